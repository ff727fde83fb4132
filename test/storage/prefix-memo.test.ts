/**
 * Whole-key groups of tuple-keyed trees (BTree.prefixGroup, storage/prefix-memo.ts): the memo
 * against a Map model under random writes, and the tree's groups against a filter of its entries
 * while inserts, deletes and snapshots interleave with reads. Work is counted (memo hits, packed
 * searches), never timed.
 */
import fc from 'fast-check';
import { BTree } from '../../storage/btree';
import { compareKeys, compareValues } from '../../storage/compare';
import { packPolicy, packStats } from '../../storage/packed-keys';
import { KeyGroup, PrefixMemo, memoizable } from '../../storage/prefix-memo';

type Key = number[];

function indexTree(nodeSize = 8): BTree<unknown, number> {
  return new BTree<unknown, number>({
    compare: compareKeys,
    multi: true,
    valueCompare: compareValues,
    nodeSize,
  });
}

/** A tree's group as its values (null: larger than the caller takes). */
function valuesOf(
  tree: { prefixGroup(p: readonly unknown[], max: number): KeyGroup<number> | null },
  prefix: readonly unknown[],
  max = 64,
): readonly number[] | null {
  return tree.prefixGroup(prefix, max)?.values ?? null;
}

/** The model's name for a probe: -0 and 0 are one number, as in the tree's order. */
const name = (k: readonly number[]): string => k.map((x) => String(x + 0)).join(',');

/** The values of the entries whose key starts with `prefix`, in tree order, from a plain list. */
function model(entries: readonly [Key, number][], prefix: readonly number[]): number[] {
  return entries
    .filter(([k]) => prefix.every((x, j) => k[j] === x))
    .sort((a, b) => compareKeys(a[0], b[0]) || a[1] - b[1])
    .map(([, v]) => v);
}

describe('PrefixMemo', () => {
  test('answers as a Map keyed by the probe, through collisions, growth and deletions', () => {
    const probe = fc.array(fc.constantFrom(0, -0, 1, 2, 0.5, -3, 1e300), { minLength: 1, maxLength: 3 });
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom('set', 'drop', 'get'), probe, fc.integer({ min: 0, max: 5 })), {
          minLength: 1,
          maxLength: 400,
        }),
        (ops) => {
          const memo = new PrefixMemo<number>();
          const ref = new Map<string, number[]>();
          for (const [op, key, n] of ops) {
            if (op === 'set') {
              if (ref.has(name(key))) continue; // set() is for probes not memoized yet
              const group = Array.from({ length: n }, (_v, i) => i);
              memo.set(key, new KeyGroup(group));
              ref.set(name(key), group);
            } else if (op === 'drop') {
              memo.drop(key);
              for (let j = 1; j <= key.length; j++) ref.delete(name(key.slice(0, j)));
            } else expect(memo.get(key)?.values).toEqual(ref.get(name(key)));
          }
          expect(memo.size).toBe(ref.size);
          for (const [k, g] of ref) expect(memo.get(k.split(',').map(Number))?.values).toBe(g);
        },
      ),
      { seed: 20261203, numRuns: 200 },
    );
  });

  test('a key holding a bigint drops every group; text, NULL or a wider key drop only their own', () => {
    const memo = new PrefixMemo<number>();
    memo.set([1, 2], new KeyGroup([7]));
    memo.set([1], new KeyGroup([7, 8]));
    memo.set([3, 4], new KeyGroup([9]));
    memo.drop(['x', 1]);
    memo.drop([null, 3]);
    memo.drop('x');
    memo.drop(null);
    expect(memo.size).toBe(3);
    memo.drop([1, 2, 5, 6]);
    expect(memo.get([1, 2])).toBeUndefined();
    expect(memo.get([1])).toBeUndefined();
    expect(memo.get([3, 4])?.values).toEqual([9]);
    memo.drop([3n, 4]);
    expect(memo.size).toBe(0);
  });

  test('memoizes probes of one to three numbers other than NaN', () => {
    expect(memoizable([1])).toBe(true);
    expect(memoizable([1, -0, 2.5])).toBe(true);
    expect(memoizable([])).toBe(false);
    expect(memoizable([1, 2, 3, 4])).toBe(false);
    expect(memoizable([1, NaN])).toBe(false);
    expect(memoizable([1, 'a'])).toBe(false);
    expect(memoizable([1n])).toBe(false);
    expect(memoizable(1)).toBe(false);
  });
});

describe('BTree.prefixGroup', () => {
  // These tests count packed searches: pack every node at its first search (the default waits).
  const packAfter = packPolicy.after;
  beforeAll(() => {
    packPolicy.after = 1;
  });
  afterAll(() => {
    packPolicy.after = packAfter;
  });

  test('equals the entries under the prefix while writes, snapshots and reads interleave', () => {
    const key = fc.tuple(fc.integer({ min: 0, max: 5 }), fc.constantFrom(0, -0, 1, 2));
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(fc.constantFrom('add', 'addNew', 'delete', 'read', 'readSnap', 'snap'), key, fc.nat(60)),
          { minLength: 1, maxLength: 300 },
        ),
        fc.constantFrom(4, 8, 64),
        (ops, nodeSize) => {
          const tree = indexTree(nodeSize);
          let entries: [Key, number][] = [];
          let snap = tree.snapshot();
          let snapEntries = entries;
          const has = (k: Key, v: number): boolean =>
            entries.some(([x, y]) => name(x) === name(k) && y === v);
          for (const [op, k, v] of ops) {
            const prefix = op === 'read' && v % 3 === 0 ? [k[0]] : k;
            if (op === 'add' || (op === 'addNew' && has(k, v))) {
              if (!has(k, v)) entries = [...entries, [k, v]];
              tree.add(k, v);
            } else if (op === 'addNew') {
              entries = [...entries, [k, v]];
              tree.addNew(k, v);
            } else if (op === 'delete') {
              const at = entries.findIndex(([x]) => name(x) === name(k));
              if (at < 0) continue;
              const [stored, value] = entries[at];
              entries = entries.filter((_e, i) => i !== at);
              expect(tree.delete(stored, value)).toBe(true);
            } else if (op === 'snap') {
              snap = tree.snapshot();
              snapEntries = entries;
            } else if (op === 'readSnap') {
              expect(valuesOf(snap, prefix)).toEqual(model(snapEntries, prefix));
            } else {
              const want = model(entries, prefix);
              // Twice: the second answer comes from the memo and must be the same.
              expect(valuesOf(tree, prefix)).toEqual(want);
              expect(valuesOf(tree, prefix)).toEqual(want);
              expect(valuesOf(tree, prefix, 2)).toEqual(want.length <= 2 ? want : null);
            }
          }
        },
      ),
      { seed: 20261203, numRuns: 150 },
    );
  });

  test('a repeated prefix is answered by the memo, with no search of the tree', () => {
    const tree = indexTree(8);
    for (let i = 0; i < 2000; i++) tree.add([i % 50, i % 7], i);
    const snap = tree.snapshot();
    const first = packStats.searches;
    const group = snap.prefixGroup([3, 4], 64);
    expect(group?.values).toEqual(
      model(
        Array.from({ length: 2000 }, (_v, i): [Key, number] => [[i % 50, i % 7], i]),
        [3, 4],
      ),
    );
    expect(packStats.searches).toBeGreaterThan(first);
    const hits = tree.prefixStats.hits;
    const again = packStats.searches;
    expect(snap.prefixGroup([3, 4], 64)).toBe(group);
    expect(packStats.searches).toBe(again);
    expect(tree.prefixStats.hits).toBe(hits + 1);
    // A write under the key drops its group: the next read walks again and sees the new entry.
    tree.add([3, 4], 5000);
    const before = group?.values ?? [];
    expect(valuesOf(tree, [3, 4])).toEqual([...before, 5000]);
    // The snapshot still reads its own content (the memo is the live tree's).
    expect(valuesOf(snap, [3, 4])).toEqual(before);
  });

  test('a group larger than the caller takes is null, and remembered as large', () => {
    const tree = indexTree(8);
    for (let i = 0; i < 300; i++) tree.add([1, 1], i);
    expect(tree.prefixGroup([1, 1], 64)).toBeNull();
    const fills = tree.prefixStats.fills;
    expect(tree.prefixGroup([1, 1], 64)).toBeNull();
    expect(tree.prefixStats.fills).toBe(fills);
    tree.delete([1, 1], 0);
    expect(valuesOf(tree, [1, 1], 400)).toHaveLength(299);
  });

  test('restore and clear forget every group', () => {
    const tree = indexTree(8);
    tree.add([1, 2], 1);
    const snap = tree.snapshot();
    tree.add([1, 2], 2);
    expect(valuesOf(tree, [1, 2])).toEqual([1, 2]);
    tree.restore(snap);
    expect(valuesOf(tree, [1, 2])).toEqual([1]);
    tree.clear();
    expect(valuesOf(tree, [1, 2])).toEqual([]);
  });

  test("getEach remembers a group's locations while the primary-key tree is unchanged", () => {
    const pk = new BTree<unknown, number>({ compare: compareValues });
    for (let i = 0; i < 500; i++) pk.set(i, 10 * i);
    const ix = indexTree(8);
    for (let i = 0; i < 500; i++) ix.add([i % 10, i % 3], i);
    const group = ix.snapshot().prefixGroup([4, 1], 64) as KeyGroup<unknown>;
    const snap = pk.snapshot();
    const locs = snap.getEach(group);
    expect(locs).toEqual(group.values.map((v) => 10 * (v as number)));
    const descents = pk.descents + snap.descents;
    // A second read of the group looks nothing up: the same locations come back.
    expect(pk.snapshot().getEach(group)).toBe(locs);
    expect(pk.descents + snap.descents).toBe(descents);
    // A row moved (a new location under its key): a later snapshot locates the group again.
    const moved = group.values[0];
    pk.set(moved, 99999);
    const again = pk.snapshot().getEach(group);
    expect(again).not.toBe(locs);
    expect(again[0]).toBe(99999);
    // The old snapshot still reads its own content.
    expect(snap.getEach(group)[0]).toBe(10 * (moved as number));
  });
});

/** A single-column index tree (number keys, some of other kinds). */
function scalarTree(nodeSize = 8): BTree<unknown, number> {
  return new BTree<unknown, number>({
    compare: compareValues,
    multi: true,
    valueCompare: compareValues,
    nodeSize,
  });
}

/** The values of the entries whose key equals `key` (by the tree's order), in tree order. */
function scalarModel(entries: readonly [unknown, number][], key: number): number[] {
  return entries
    .filter(([k]) => compareValues(k, key) === 0)
    .sort((a, b) => compareValues(a[0], b[0]) || a[1] - b[1])
    .map(([, v]) => v);
}

describe('BTree.keyGroup (single-column trees)', () => {
  test('equals the entries of the key while writes (numbers, bigints, booleans, text, NULL), snapshots and reads interleave', () => {
    const key = fc.constantFrom<unknown>(0, -0, 1, 2, 2.5, 3, 2n, 3n, true, false, 'a', null);
    const probe = fc.constantFrom(0, -0, 1, 2, 2.5, 3);
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.constantFrom('add', 'addNew', 'delete', 'read', 'readSnap', 'snap'),
            key,
            probe,
            fc.nat(60),
          ),
          { minLength: 1, maxLength: 300 },
        ),
        fc.constantFrom(4, 8, 64),
        (ops, nodeSize) => {
          const tree = scalarTree(nodeSize);
          let entries: [unknown, number][] = [];
          let snap = tree.snapshot();
          let snapEntries = entries;
          const has = (k: unknown, v: number): boolean =>
            entries.some(([x, y]) => compareValues(x, k) === 0 && y === v);
          for (const [op, k, p, v] of ops) {
            if (op === 'add' || (op === 'addNew' && has(k, v))) {
              if (!has(k, v)) entries = [...entries, [k, v]];
              tree.add(k, v);
            } else if (op === 'addNew') {
              entries = [...entries, [k, v]];
              tree.addNew(k, v);
            } else if (op === 'delete') {
              const at = entries.findIndex(([x]) => compareValues(x, k) === 0);
              if (at < 0) continue;
              const [stored, value] = entries[at];
              entries = entries.filter((_e, i) => i !== at);
              expect(tree.delete(stored, value)).toBe(true);
            } else if (op === 'snap') {
              snap = tree.snapshot();
              snapEntries = entries;
            } else if (op === 'readSnap') {
              expect(snap.keyGroup(p, 64)?.values).toEqual(scalarModel(snapEntries, p));
            } else {
              const want = scalarModel(entries, p);
              // Twice: the second answer comes from the memo and must be the same.
              expect(tree.keyGroup(p, 64)?.values).toEqual(want);
              expect(tree.snapshot().keyGroup(p, 64)?.values).toEqual(want);
              expect(tree.keyGroup(p, 2)?.values ?? null).toEqual(want.length <= 2 ? want : null);
            }
          }
        },
      ),
      { seed: 20261208, numRuns: 150 },
    );
  });

  test('a repeated key is answered by the memo with no descent; a write under it drops the group', () => {
    const tree = scalarTree(8);
    for (let i = 0; i < 2000; i++) tree.add(i % 200, i);
    const snap = tree.snapshot();
    const group = snap.keyGroup(17, 64);
    expect(group?.values).toEqual(Array.from({ length: 10 }, (_v, j) => 17 + 200 * j));
    const hits = tree.prefixStats.hits;
    expect(snap.keyGroup(17, 64)).toBe(group);
    expect(tree.keyGroup(17, 64)).toBe(group);
    expect(tree.prefixStats.hits).toBe(hits + 2);
    tree.add(17, 5000);
    expect(tree.keyGroup(17, 64)?.values).toEqual([...(group?.values ?? []), 5000]);
    // The snapshot still reads its own content (the memo is the live tree's, now changed).
    expect(snap.keyGroup(17, 64)?.values).toEqual(group?.values);
    // A bigint equal to a memoized number key drops it as well.
    const before = tree.keyGroup(18, 64)?.values ?? [];
    tree.add(18n, 6000);
    expect(tree.keyGroup(18, 64)?.values).toEqual([...before, 6000]);
    // So does a boolean (a BOOLEAN column's key), which the index order puts at 0 or 1.
    const ones = tree.keyGroup(1, 64)?.values ?? [];
    tree.add(true, 7000);
    expect(tree.keyGroup(1, 64)?.values).toEqual([...ones, 7000]);
    const composite = indexTree(8);
    composite.add([0, 5], 1);
    expect(valuesOf(composite, [0])).toEqual([1]);
    composite.add([false, 5], 2);
    expect(valuesOf(composite, [0])).toEqual([1, 2]);
    expect(valuesOf(composite, [0, 5])).toEqual([1, 2]);
  });
});
