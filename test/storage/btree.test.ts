/**
 * Model-based properties of the copy-on-write B+tree against a sorted-array model. Tiny node sizes
 * make splits, merges, redistributions and deep trees happen in small cases; a structural check
 * walks the nodes to confirm balance, fill and separator invariants.
 */
import fc from 'fast-check';
import { BTree } from '../../storage/btree';
import type { BTreeOptions, BTreeSnapshot, CursorOptions } from '../../storage/btree';
import { compareValues } from '../../storage/compare';

type Entry = [number, number];
type Reader = BTree<number, number> | BTreeSnapshot<number, number>;

type Op =
  | { t: 'put'; k: number; v: number }
  /** Put above the current maximum: the tree's append path. */
  | { t: 'append'; v: number }
  | { t: 'del'; k: number; v: number }
  | { t: 'snap' }
  | { t: 'restore'; i: number }
  | { t: 'clear' }
  | { t: 'rebuild' }
  /** Lookups between writes: the lookup memo of unique trees must follow every write. */
  | { t: 'get'; k: number }
  /** A unique-index insert: probe(k), then addProbed(k, v) at once when k is absent. */
  | { t: 'uput'; k: number; v: number }
  /** probe() and addProbed() apart, so other writes may come between them (a stale probe). */
  | { t: 'probe'; k: number }
  | { t: 'padd'; k: number; v: number };

const MAX_KEY = 40;
const keyArb = fc.integer({ min: 0, max: MAX_KEY });
const valArb = fc.integer({ min: 0, max: 5 });

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 60, arbitrary: fc.record({ t: fc.constant('put' as const), k: keyArb, v: valArb }) },
  { weight: 35, arbitrary: fc.record({ t: fc.constant('del' as const), k: keyArb, v: valArb }) },
  { weight: 25, arbitrary: fc.record({ t: fc.constant('append' as const), v: valArb }) },
  { weight: 8, arbitrary: fc.constant({ t: 'snap' as const }) },
  { weight: 6, arbitrary: fc.record({ t: fc.constant('restore' as const), i: fc.nat() }) },
  { weight: 3, arbitrary: fc.constant({ t: 'rebuild' as const }) },
  { weight: 30, arbitrary: fc.record({ t: fc.constant('get' as const), k: keyArb }) },
  { weight: 40, arbitrary: fc.record({ t: fc.constant('uput' as const), k: keyArb, v: valArb }) },
  { weight: 10, arbitrary: fc.record({ t: fc.constant('probe' as const), k: keyArb }) },
  { weight: 10, arbitrary: fc.record({ t: fc.constant('padd' as const), k: keyArb, v: valArb }) },
  // Rare: clearing often would keep trees too small to be deep.
  { weight: 1, arbitrary: fc.constant({ t: 'clear' as const }) },
);
// size 'max': fast-check's default sizing would cap these sequences near ten operations.
const opsArb = fc.array(opArb, { minLength: 1, maxLength: 400, size: 'max' });

// Bounds reach one past the key space on both sides so empty and open-ended ranges occur.
const boundArb = fc.option(fc.integer({ min: -1, max: MAX_KEY + 1 }), { nil: undefined });
const rangeArb: fc.Arbitrary<CursorOptions<number>> = fc.record({
  lo: boundArb,
  loInclusive: fc.boolean(),
  hi: boundArb,
  hiInclusive: fc.boolean(),
  reverse: fc.boolean(),
});

function byEntry(a: Entry, b: Entry): number {
  return a[0] - b[0] || a[1] - b[1];
}

function inRange(k: number, r: CursorOptions<number>): boolean {
  if (r.lo !== undefined && (r.loInclusive === false ? k <= r.lo : k < r.lo)) return false;
  if (r.hi !== undefined && (r.hiInclusive === false ? k >= r.hi : k > r.hi)) return false;
  return true;
}

function expectRange(reader: Reader, model: readonly Entry[], r: CursorOptions<number>): void {
  const want = model.filter(([k]) => inRange(k, r));
  if (r.reverse) want.reverse();
  expect([...reader.entries(r)]).toEqual(want);
}

/** The node layout, read through a cast: the structure itself is what is under test here. */
interface RawNode {
  leaf: boolean;
  keys: number[];
  vals: number[];
  sepKeys: number[];
  sepVals: number[];
  children: RawNode[];
}

/**
 * Balance (one leaf depth), fill (nodeSize/2..nodeSize off the root and the right edge, at least
 * one entry on the edge, every branch >= 2 children), order within leaves and separators
 * that bound their children. The last node of each level may be underfull: an append splits it
 * keeping the left node full (BTreeEdits.splitLeaf). Returns the height. Problems are collected
 * and asserted once: an expect() per entry would dominate the run time.
 */
function checkShape(tree: BTree<number, number>, nodeSize: number, multi: boolean): number {
  // Any read moves staged entries (BTree.pending) into the nodes before they are walked raw.
  tree.min();
  const root = (tree as unknown as { root: RawNode }).root;
  const cmp = (a: Entry, b: Entry): number => (multi ? byEntry(a, b) : a[0] - b[0]);
  const problems: string[] = [];
  let leafDepth = -1;
  let count = 0;
  const walk = (n: RawNode, depth: number, lo: Entry | null, hi: Entry | null, edge: boolean): void => {
    const fill = n.leaf ? n.keys.length : n.children.length;
    if (fill > nodeSize || (depth > 0 && fill < (edge ? 1 : nodeSize >>> 1)))
      problems.push(`fill ${fill} at depth ${depth}${edge ? ' (right edge)' : ''}`);
    if (n.leaf) {
      if (leafDepth < 0) leafDepth = depth;
      if (depth !== leafDepth) problems.push(`leaf at depth ${depth}, another at ${leafDepth}`);
      for (let i = 0; i < n.keys.length; i++) {
        const e: Entry = [n.keys[i], n.vals[i]];
        if (i > 0 && cmp([n.keys[i - 1], n.vals[i - 1]], e) >= 0) problems.push(`leaf out of order at ${e}`);
        if ((lo && cmp(lo, e) > 0) || (hi && cmp(e, hi) >= 0)) problems.push(`${e} outside [${lo}, ${hi})`);
      }
      count += n.keys.length;
      return;
    }
    if (n.children.length < 2) problems.push(`branch with ${n.children.length} child`);
    if (n.sepKeys.length !== n.children.length - 1) problems.push('separator count');
    n.children.forEach((c, i) => {
      const cLo: Entry | null = i === 0 ? lo : [n.sepKeys[i - 1], n.sepVals[i - 1]];
      const cHi: Entry | null = i === n.children.length - 1 ? hi : [n.sepKeys[i], n.sepVals[i]];
      walk(c, depth + 1, cLo, cHi, edge && i === n.children.length - 1);
    });
  };
  walk(root, 0, null, null, true);
  expect(problems.slice(0, 5)).toEqual([]);
  expect(count).toBe(tree.size);
  return leafDepth + 1;
}

function indexIn(model: readonly Entry[], k: number, v: number, multi: boolean): number {
  return model.findIndex(([mk, mv]) => mk === k && (!multi || mv === v));
}

function options(multi: boolean, nodeSize?: number, stageUpTo?: number): BTreeOptions<number, number> {
  return { compare: compareValues, multi, valueCompare: compareValues, nodeSize, stageUpTo };
}

/** Stage limits reaching each of addProbed's paths: never, into empty nodes, small, always here. */
const stageArb = fc.constantFrom(-1, 0, 6, 1024);

/** Throws on a mismatch: far cheaper than expect() for the thousands of checks per property run. */
function same(actual: unknown, expected: unknown, what: string): void {
  if (actual !== expected) throw new Error(`${what}: got ${String(actual)}, expected ${String(expected)}`);
}

/**
 * Applies `ops` to a tree and the model, checking each write's result; returns the end state.
 * Model arrays are never changed in place: snapshots keep references to them.
 */
function replay(multi: boolean, nodeSize: number, ops: readonly Op[], stageUpTo?: number) {
  const opts = options(multi, nodeSize, stageUpTo);
  let tree = new BTree<number, number>(opts);
  let model: readonly Entry[] = [];
  const snaps: { snap: BTreeSnapshot<number, number>; model: readonly Entry[] }[] = [];
  for (const o of ops) {
    // Appends may leave the key space: range and probe checks still hold beyond it.
    const op = o.t === 'append' ? { t: 'put' as const, k: (model.at(-1)?.[0] ?? 0) + 1, v: o.v } : o;
    if (op.t === 'put') {
      const i = indexIn(model, op.k, op.v, multi);
      if (o.t === 'append') same(tree.get(op.k), undefined, `get(${op.k}) above the maximum`);
      if (multi) same(tree.add(op.k, op.v), i < 0, `add(${op.k}, ${op.v})`);
      else same(tree.set(op.k, op.v), i < 0 ? undefined : model[i][1], `set(${op.k})`);
      const entry: Entry = [op.k, op.v];
      model = i >= 0 ? model.map((e, j) => (j === i ? entry : e)) : [...model, entry].sort(byEntry);
    } else if (op.t === 'del') {
      const i = indexIn(model, op.k, op.v, multi);
      same(multi ? tree.delete(op.k, op.v) : tree.delete(op.k), i >= 0, `delete(${op.k}, ${op.v})`);
      if (i >= 0) model = model.filter((_, j) => j !== i);
    } else if (op.t === 'snap') {
      snaps.push({ snap: tree.snapshot(), model });
    } else if (op.t === 'restore') {
      if (snaps.length === 0) continue;
      const s = snaps[op.i % snaps.length];
      tree.restore(s.snap);
      model = s.model;
    } else if (op.t === 'clear') {
      tree.clear();
      model = [];
    } else if (op.t === 'uput' || op.t === 'padd') {
      const first = model.find(([mk]) => mk === op.k);
      if (op.t === 'uput') same(tree.probe(op.k), first?.[1], `probe(${op.k})`);
      // addProbed is add(): in multi mode a new (key, value) pair, in unique mode a new key.
      if (op.t === 'padd' || first === undefined) {
        const i = multi ? indexIn(model, op.k, op.v, true) : first === undefined ? -1 : 0;
        same(tree.addProbed(op.k, op.v), i < 0, `addProbed(${op.k}, ${op.v})`);
        if (i < 0) model = [...model, [op.k, op.v] as Entry].sort(byEntry);
      }
    } else if (op.t === 'probe') {
      same(tree.probe(op.k), model.find(([mk]) => mk === op.k)?.[1], `probe(${op.k})`);
    } else if (op.t === 'get') {
      same(tree.get(op.k), model.find(([mk]) => mk === op.k)?.[1], `get(${op.k})`);
      // firstValue memoizes in multi mode too: every write must keep it exact, twice in a row.
      for (let twice = 0; twice < 2; twice++)
        same(tree.firstValue(op.k), model.find(([mk]) => mk === op.k)?.[1], `firstValue(${op.k})`);
      // A snapshot answers from the tree's memo only while the tree is unchanged since it.
      for (const sn of snaps) {
        same(sn.snap.get(op.k), sn.model.find(([mk]) => mk === op.k)?.[1], `snapshot get(${op.k})`);
        same(
          sn.snap.firstValue(op.k),
          sn.model.find(([mk]) => mk === op.k)?.[1],
          `snapshot firstValue(${op.k})`,
        );
      }
    } else {
      // Checkpoint round trip; older snapshots stay restorable into the rebuilt tree.
      const { keys, values } = tree.toArrays();
      expect(keys.map((k, i) => [k, values[i]])).toEqual(model);
      tree = BTree.fromSorted(keys, values, opts);
    }
    same(tree.size, model.length, 'size');
  }
  return { tree, model, snaps };
}

describe('B+tree against a sorted model', () => {
  for (const multi of [false, true]) {
    test(`${multi ? 'multi' : 'unique'} mode: writes, snapshots, restores, rebuilds, bounded cursors`, () => {
      fc.assert(
        fc.property(
          fc.constantFrom(4, 5, 6),
          opsArb,
          fc.array(rangeArb, { minLength: 1, maxLength: 4 }),
          fc.array(keyArb, { maxLength: 6 }),
          stageArb,
          (nodeSize, ops, ranges, probes, stageUpTo) => {
            const { tree, model, snaps } = replay(multi, nodeSize, ops, stageUpTo);
            checkShape(tree, nodeSize, multi);
            expect([...tree.entries()]).toEqual(model);
            for (const r of ranges) expectRange(tree, model, r);
            for (const k of probes) {
              const first = model.find(([mk]) => mk === k);
              expect(tree.get(k)).toBe(first?.[1]);
              expect(tree.has(k)).toBe(first !== undefined);
            }
            expect(tree.min()).toEqual(model[0]);
            expect(tree.max()).toEqual(model[model.length - 1]);
            // Snapshots never observe writes made after them.
            for (const s of snaps) {
              expect(s.snap.size).toBe(s.model.length);
              expect([...s.snap.entries()]).toEqual(s.model);
              expectRange(s.snap, s.model, ranges[0]);
            }
          },
        ),
        { numRuns: 250, seed: multi ? 22 : 21 },
      );
    });
  }

  test('multi mode keeps every value of a key together, ordered by value, in both directions', () => {
    const tree = new BTree<number, number>(options(true, 4));
    for (const v of [9, 3, 7, 1]) for (const k of [2, 1, 3]) expect(tree.add(k, v)).toBe(true);
    expect(tree.add(2, 7)).toBe(false);
    expect(tree.size).toBe(12);
    expect([...tree.entries({ lo: 2, hi: 2 })]).toEqual([
      [2, 1],
      [2, 3],
      [2, 7],
      [2, 9],
    ]);
    expect([
      ...tree.entries({ lo: 1, loInclusive: false, hi: 3, hiInclusive: false, reverse: true }),
    ]).toEqual([
      [2, 9],
      [2, 7],
      [2, 3],
      [2, 1],
    ]);
    expect(tree.get(3)).toBe(1);
    expect(tree.delete(2, 4)).toBe(false);
    expect(tree.delete(2, 3)).toBe(true);
    expect([...tree.entries({ lo: 2, hi: 2 })].map(([, v]) => v)).toEqual([1, 7, 9]);
  });
});

describe('B+tree rebalancing', () => {
  test('deleting most entries merges nodes back down to a shallow, half-full tree', () => {
    const tree = new BTree<number, number>(options(false, 4));
    const n = 2000;
    for (let i = 0; i < n; i++) tree.set((i * 7919) % n, i);
    const tall = checkShape(tree, 4, false);
    const kept = new Set<number>();
    for (let i = 0; i < n; i++) {
      const k = (i * 104729) % n;
      if (k % 100 === 0) kept.add(k);
      else expect(tree.delete(k)).toBe(true);
    }
    const short = checkShape(tree, 4, false);
    expect(tree.size).toBe(kept.size);
    // 20 entries fit in 3 levels of nodes that are at least half full; 2000 entries needed more.
    expect(short).toBeLessThanOrEqual(3);
    expect(short).toBeLessThan(tall);
    expect([...tree.entries()].map(([k]) => k)).toEqual([...kept].sort((a, b) => a - b));
  });

  test('default node size with 100k random writes and deletes matches the model', () => {
    const tree = new BTree<number, number>({ compare: compareValues });
    const model = new Map<number, number>();
    let seed = 1;
    const next = (): number => (seed = (seed * 1103515245 + 12345) >>> 0);
    // Count mismatches instead of 100k expect() calls, which would dominate the run time.
    let wrongResults = 0;
    for (let i = 0; i < 100_000; i++) {
      const k = next() % 60_000;
      if (next() % 4 === 0) {
        if (tree.delete(k) !== model.delete(k)) wrongResults++;
      } else {
        if (tree.set(k, i) !== model.get(k)) wrongResults++;
        model.set(k, i);
      }
    }
    expect(wrongResults).toBe(0);
    checkShape(tree, 64, false);
    const sorted = [...model.entries()].sort((a, b) => a[0] - b[0]);
    expect(tree.size).toBe(sorted.length);
    const { keys, values } = tree.toArrays();
    expect(keys).toEqual(sorted.map(([k]) => k));
    expect(values).toEqual(sorted.map(([, v]) => v));
    expectRange(tree, sorted, { lo: 20_000, loInclusive: false, hi: 20_500, reverse: true });
  });
});

describe('B+tree snapshots', () => {
  test('a bulk load after one snapshot leaves the snapshot as it was', () => {
    const tree = BTree.fromSorted([1, 2, 3], [10, 20, 30], options(false, 4));
    const before = tree.snapshot();
    for (let i = 4; i <= 5000; i++) tree.set(i, i * 10);
    const middle = tree.snapshot();
    for (let i = 1; i <= 5000; i += 2) tree.delete(i);
    tree.set(2, -2);
    expect([...before.entries()]).toEqual([
      [1, 10],
      [2, 20],
      [3, 30],
    ]);
    expect(middle.size).toBe(5000);
    expect(middle.get(4999)).toBe(49990);
    expect(middle.get(2)).toBe(20);
    expect(tree.size).toBe(2500);
    expect(tree.get(2)).toBe(-2);
    tree.restore(middle);
    expect(tree.size).toBe(5000);
    expect(tree.get(1)).toBe(10);
    // Writing after a restore copies the snapshot's nodes instead of changing them.
    tree.delete(1);
    expect(middle.get(1)).toBe(10);
    checkShape(tree, 4, false);
  });

  test('a snapshot can be restored into another tree without either seeing the other’s writes', () => {
    const a = new BTree<number, number>(options(true, 4));
    for (let i = 0; i < 100; i++) a.add(i % 10, i);
    const snap = a.snapshot();
    const b = BTree.fromSorted<number, number>([], [], options(true, 4));
    b.restore(snap);
    b.add(5, 1000);
    a.delete(5, 5);
    expect(b.size).toBe(101);
    expect(a.size).toBe(99);
    expect(snap.size).toBe(100);
    expect([...snap.entries({ lo: 5, hi: 5 })].map(([, v]) => v)).toEqual([
      5, 15, 25, 35, 45, 55, 65, 75, 85, 95,
    ]);
    expect([...b.entries({ lo: 5, hi: 5 })].map(([, v]) => v)).toContain(1000);
  });
});

describe('B+tree bulk build and API details', () => {
  test('fromSorted + toArrays round trip at every size up to a few levels', () => {
    for (let n = 0; n <= 130; n++) {
      const keys = Array.from({ length: n }, (_, i) => i * 2);
      const tree = BTree.fromSorted(
        keys,
        keys.map((k) => -k),
        options(false, 4),
      );
      checkShape(tree, 4, false);
      expect(tree.toArrays()).toEqual({ keys, values: keys.map((k) => -k) });
      // Keys are 0, 2, .., 2n - 2: n itself is present when even and below 2n.
      expect(tree.get(n)).toBe(n > 0 && n % 2 === 0 ? -n : undefined);
    }
  });

  test('fromSorted, 100k entries at the default node size, then writes', () => {
    const keys = Array.from({ length: 100_000 }, (_, i) => i * 2);
    const vals = keys.map((k) => k + 1);
    const tree = BTree.fromSorted(keys, vals, { compare: compareValues });
    checkShape(tree, 64, false);
    expect(tree.size).toBe(100_000);
    expect(tree.get(1234)).toBe(1235);
    expect(tree.get(1235)).toBeUndefined();
    tree.set(1235, 0);
    tree.delete(0);
    const arrays = tree.toArrays();
    expect(arrays.keys.length).toBe(100_000);
    expect(arrays.keys.slice(0, 3)).toEqual([2, 4, 6]);
    expect(arrays.keys.indexOf(1235)).toBe(617); // right after 1234
  });

  test('fromSorted in multi mode keeps duplicate keys ordered by value', () => {
    const keys = [1, 1, 1, 2, 2, 3, 3, 3, 3, 4];
    const vals = [1, 2, 3, 1, 5, 0, 1, 2, 9, 4];
    const tree = BTree.fromSorted(keys, vals, options(true, 4));
    checkShape(tree, 4, true);
    expect([...tree.entries({ lo: 3, hi: 3 })].map(([, v]) => v)).toEqual([0, 1, 2, 9]);
    expect(tree.add(3, 1)).toBe(false);
    expect(tree.add(3, 5)).toBe(true);
    expect(tree.toArrays().values.slice(5, 10)).toEqual([0, 1, 2, 5, 9]);
  });

  test('random point gets of dense number keys fill a memo chunk at once: later keys of its range need no descent', () => {
    const n = 100_000;
    const keys = Array.from({ length: n }, (_, i) => i + 1);
    const tree = BTree.fromSorted(
      keys,
      keys.map((k) => k * 10),
      { compare: compareValues },
    );
    // The memo is made by the first key found (here, outside the chunk watched below).
    expect(tree.get(1)).toBe(10);
    // Keys of one 4,096-key chunk (8192…12287): 7 misses descend, the 8th fills the chunk.
    const d0 = tree.descents;
    for (let i = 0; i < 8; i++) expect(tree.get(8192 + i * 97)).toBe((8192 + i * 97) * 10);
    expect(tree.descents - d0).toBe(7);
    for (let k = 8192; k < 12288; k += 3) expect(tree.get(k)).toBe(k * 10);
    expect(tree.descents - d0).toBe(7);
    // Writes keep the filled range exact: a replaced value, a deleted key, an added one.
    tree.set(9000, -1);
    expect(tree.delete(9001)).toBe(true);
    expect(tree.get(9000)).toBe(-1);
    expect(tree.get(9001)).toBeUndefined();
    expect(tree.add(9001, 5)).toBe(true);
    expect(tree.get(9001)).toBe(5);
    // A snapshot taken now answers from the same memo; after a later write, from its own nodes.
    const snap = tree.snapshot();
    tree.set(9002, -2);
    expect(snap.get(9002)).toBe(90020);
    expect(tree.get(9002)).toBe(-2);
  });

  test('point gets through chunk fills equal a Map under random writes and reads', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            op: fc.constantFrom('get', 'get', 'get', 'get', 'set', 'delete', 'add'),
            k: fc.oneof(fc.integer({ min: 0, max: 20_000 }), fc.constantFrom(0.5, -3, 2 ** 29)),
            v: fc.integer({ min: 0, max: 1_000_000 }),
          }),
          { minLength: 200, maxLength: 1500 },
        ),
        (ops) => {
          const model = new Map<number, number>();
          for (let k = 0; k < 20_000; k += 2) model.set(k, k);
          const sorted = [...model.keys()];
          const tree = BTree.fromSorted(sorted, sorted.slice(), { compare: compareValues });
          for (const { op, k, v } of ops) {
            if (op === 'get') expect(tree.get(k)).toBe(model.get(k));
            else if (op === 'set') {
              tree.set(k, v);
              model.set(k, v);
            } else if (op === 'delete') expect(tree.delete(k)).toBe(model.delete(k));
            else {
              const absent = !model.has(k);
              expect(tree.add(k, v)).toBe(absent);
              if (absent) model.set(k, v);
            }
          }
          for (const [k, v] of model) if (k % 7 === 0) expect(tree.get(k)).toBe(v);
        },
      ),
      { numRuns: 60, seed: 20261204 },
    );
  });

  test('multi mode firstValue: one descent for a key, none when asked again, until it is written', () => {
    const keys = Array.from({ length: 5000 }, (_, i) => `k${String(i).padStart(5, '0')}`);
    const tree = BTree.fromSorted(
      keys,
      keys.map((_, i) => i),
      { compare: compareValues, multi: true, valueCompare: compareValues },
    );
    const d0 = tree.descents;
    expect(tree.firstValue('k01234')).toBe(1234);
    expect(tree.descents - d0).toBe(1);
    for (let i = 0; i < 10; i++) expect(tree.firstValue('k01234')).toBe(1234);
    expect(tree.descents - d0).toBe(1);
    // A snapshot taken while nothing changed answers from the same memo.
    const snap = tree.snapshot();
    expect(snap.firstValue('k01234')).toBe(1234);
    expect(tree.descents - d0).toBe(1);
    // An entry of the key below its first value becomes the first value.
    expect(tree.add('k01234', -1)).toBe(true);
    expect(tree.firstValue('k01234')).toBe(-1);
    expect(snap.firstValue('k01234')).toBe(1234);
    expect(tree.delete('k01234', -1)).toBe(true);
    expect(tree.firstValue('k01234')).toBe(1234);
    expect(tree.delete('k01234', 1234)).toBe(true);
    expect(tree.firstValue('k01234')).toBeUndefined();
    // Misses are not memoized: the key found after an insert through probe/addProbed.
    expect(tree.probe('k01234')).toBeUndefined();
    expect(tree.addProbed('k01234', 7)).toBe(true);
    expect(tree.firstValue('k01234')).toBe(7);
  });

  test('unique mode: set replaces and returns the previous value; add never replaces', () => {
    const tree = new BTree<string, number>({ compare: compareValues });
    expect(tree.set('a', 1)).toBeUndefined();
    expect(tree.set('a', 2)).toBe(1);
    expect(tree.add('a', 3)).toBe(false);
    expect(tree.add('b', 4)).toBe(true);
    expect(tree.get('a')).toBe(2);
    expect(tree.size).toBe(2);
    tree.clear();
    expect(tree.size).toBe(0);
    expect(tree.min()).toBeUndefined();
    expect(tree.get('a')).toBeUndefined();
  });

  test('the cursor exposes key/value after next() and stays finished', () => {
    const tree = BTree.fromSorted([10, 20, 30], ['x', 'y', 'z'], { compare: compareValues });
    const cur = tree.cursor({ lo: 15, reverse: true });
    const seen: string[] = [];
    while (cur.next()) seen.push(`${cur.key}=${cur.value}`);
    expect(seen).toEqual(['30=z', '20=y']);
    expect(cur.next()).toBe(false);
    expect(tree.cursor({ lo: 25, hi: 15 }).next()).toBe(false);
    expect(new BTree<number, number>({ compare: compareValues }).cursor().next()).toBe(false);
  });

  test('misuse is rejected instead of corrupting an index', () => {
    expect(() => new BTree<number, number>({ compare: compareValues, multi: true })).toThrow(/valueCompare/);
    const multi = new BTree<number, number>(options(true));
    expect(() => multi.delete(1)).toThrow(/needs the value/);
    expect(() => BTree.fromSorted([1, 2], [1], options(false))).toThrow(/length/);
  });
});

/**
 * Trees compare with `<` while every key (or value) they ever held is a plain number, or a string
 * without UTF-16 units at or above U+D800, and fall back to compareValues otherwise. Against a
 * compareValues-sorted model, over key domains that stay in one kind, leave it, or mix all kinds
 * (NULL, NaN, -0, bigint, booleans, surrogates, U+E000+, bytes), with ascending runs for the
 * append path and probes of every kind.
 */
describe('B+tree comparisons specialized by key kind', () => {
  type Key = unknown;
  type MEntry = [Key, Key];
  type MOp =
    | { t: 'put'; k: Key; v: Key }
    /** probe(k), then addProbed(k, v) when k is absent: a unique-index insert. */
    | { t: 'uput'; k: Key; v: Key }
    | { t: 'append'; v: Key }
    | { t: 'del'; k: Key; v: Key }
    | { t: 'snap' }
    | { t: 'restore'; i: number }
    | { t: 'rebuild' };

  const nums = fc.oneof(
    fc.integer({ min: -5, max: 30 }),
    fc.constantFrom(-0, 0.5, -1.5, Infinity, -Infinity, 2 ** 53, 2 ** 53 + 2),
  );
  const text = fc.oneof(
    fc.constantFrom('', 'a', 'ab', 'b', 'B', 'é', 'z'),
    fc.stringOf(fc.constantFrom('a', 'b', 'Z', '0', 'é', '\u07ff'), { maxLength: 4 }),
  );
  // Units where UTF-16 order and code-point order disagree: a surrogate pair sorts above U+FFFF.
  const highText = fc.stringOf(fc.constantFrom('a', '\ud83d\ude00', '\ud800', '\udc00', '\ue000', '\uffff'), {
    minLength: 1,
    maxLength: 3,
  });
  const other = fc.oneof(
    fc.constantFrom(null, NaN, true, false),
    fc.bigInt({ min: -5n, max: 30n }),
    fc.constantFrom(2n ** 53n + 1n),
    fc.uint8Array({ maxLength: 3 }).map((b) => Buffer.from(b)),
  );
  const domains: Record<string, { key: fc.Arbitrary<Key>; val: fc.Arbitrary<Key> }> = {
    numbers: { key: nums, val: fc.integer({ min: 0, max: 4 }) },
    strings: { key: text, val: fc.integer({ min: 0, max: 4 }) },
    'strings, then high units': { key: fc.oneof({ weight: 6, arbitrary: text }, highText), val: text },
    'numbers, then other kinds': {
      key: fc.oneof({ weight: 6, arbitrary: nums }, other),
      val: fc.oneof(fc.integer({ min: 0, max: 4 }), other),
    },
    mixed: { key: fc.oneof(nums, text, highText, other), val: fc.oneof(nums, text, other) },
  };

  const entryOrder = (multi: boolean) => (a: MEntry, b: MEntry) =>
    compareValues(a[0], b[0]) || (multi ? compareValues(a[1], b[1]) : 0);

  /** A key above `k` in compareValues order, of the same kind where there is one. */
  function above(k: Key): Key {
    if (typeof k === 'number') return Number.isNaN(k) ? 0 : k === Infinity ? 'a' : k + 1;
    if (typeof k === 'bigint') return k + 1n;
    if (typeof k === 'boolean') return 2;
    if (typeof k === 'string') return `${k}a`;
    if (k instanceof Uint8Array) return Buffer.concat([k, Buffer.from([0])]);
    return 0; // NULL
  }

  function sameEntries(actual: MEntry[], expected: readonly MEntry[]): void {
    same(actual.length, expected.length, 'length');
    actual.forEach(([k, v], i) => {
      same(compareValues(k, expected[i][0]), 0, `key ${i}`);
      same(compareValues(v, expected[i][1]), 0, `value ${i}`);
    });
  }

  for (const [name, domain] of Object.entries(domains)) {
    for (const multi of [false, true]) {
      test(`${name}, ${multi ? 'multi' : 'unique'} mode`, () => {
        const op: fc.Arbitrary<MOp> = fc.oneof(
          {
            weight: 40,
            arbitrary: fc.record({ t: fc.constant('put' as const), k: domain.key, v: domain.val }),
          },
          { weight: 30, arbitrary: fc.record({ t: fc.constant('append' as const), v: domain.val }) },
          {
            weight: 30,
            arbitrary: fc.record({ t: fc.constant('uput' as const), k: domain.key, v: domain.val }),
          },
          {
            weight: 20,
            arbitrary: fc.record({ t: fc.constant('del' as const), k: domain.key, v: domain.val }),
          },
          { weight: 4, arbitrary: fc.constant({ t: 'snap' as const }) },
          { weight: 3, arbitrary: fc.record({ t: fc.constant('restore' as const), i: fc.nat() }) },
          { weight: 2, arbitrary: fc.constant({ t: 'rebuild' as const }) },
        );
        fc.assert(
          fc.property(
            fc.constantFrom(4, 5),
            fc.array(op, { minLength: 1, maxLength: 200, size: 'max' }),
            fc.array(fc.oneof(domain.key, nums, text, highText, other), { maxLength: 8 }),
            stageArb,
            (nodeSize, ops, probes, stageUpTo) => {
              const order = entryOrder(multi);
              const opts: BTreeOptions<Key, Key> = {
                compare: compareValues,
                multi,
                valueCompare: compareValues,
                nodeSize,
                stageUpTo,
              };
              let tree = new BTree<Key, Key>(opts);
              let model: readonly MEntry[] = [];
              const snaps: { snap: BTreeSnapshot<Key, Key>; model: readonly MEntry[] }[] = [];
              const find = (k: Key, v: Key): number =>
                model.findIndex(
                  ([mk, mv]) => compareValues(mk, k) === 0 && (!multi || compareValues(mv, v) === 0),
                );
              for (const o of ops) {
                if (o.t === 'put' || o.t === 'append') {
                  const k =
                    o.t === 'append' ? (model.length > 0 ? above(model[model.length - 1][0]) : 0) : o.k;
                  const i = find(k, o.v);
                  if (multi) same(tree.add(k, o.v), i < 0, 'add');
                  else same(compareValues(tree.set(k, o.v), i < 0 ? undefined : model[i][1]), 0, 'set');
                  // A replaced entry keeps the key it was stored under.
                  model =
                    i >= 0
                      ? model.map((e, j): MEntry => (j === i ? [e[0], o.v] : e))
                      : [...model, [k, o.v] as MEntry].sort(order);
                } else if (o.t === 'uput') {
                  const first = model.find(([mk]) => compareValues(mk, o.k) === 0);
                  const got = tree.probe(o.k);
                  same(
                    first === undefined ? got === undefined : compareValues(got, first[1]) === 0,
                    true,
                    'probe',
                  );
                  if (first === undefined) {
                    same(tree.addProbed(o.k, o.v), true, 'addProbed');
                    model = [...model, [o.k, o.v] as MEntry].sort(order);
                  }
                } else if (o.t === 'del') {
                  const i = find(o.k, o.v);
                  same(multi ? tree.delete(o.k, o.v) : tree.delete(o.k), i >= 0, 'delete');
                  if (i >= 0) model = model.filter((_, j) => j !== i);
                } else if (o.t === 'snap') {
                  snaps.push({ snap: tree.snapshot(), model });
                } else if (o.t === 'restore') {
                  if (snaps.length === 0) continue;
                  const sp = snaps[o.i % snaps.length];
                  tree.restore(sp.snap);
                  model = sp.model;
                } else {
                  const { keys, values } = tree.toArrays();
                  tree = BTree.fromSorted(keys, values, opts);
                }
                same(tree.size, model.length, 'size');
              }
              sameEntries([...tree.entries()], model);
              for (const k of probes) {
                const first = model.find(([mk]) => compareValues(mk, k) === 0);
                same(
                  first === undefined
                    ? tree.get(k) === undefined
                    : compareValues(tree.get(k), first[1]) === 0,
                  true,
                  'get',
                );
                const want = model.filter(([mk]) => compareValues(mk, k) >= 0);
                sameEntries([...tree.entries({ lo: k })], want);
                sameEntries(
                  [...tree.entries({ hi: k, hiInclusive: false, reverse: true })],
                  model.filter(([mk]) => compareValues(mk, k) < 0).reverse(),
                );
              }
              for (const sp of snaps) sameEntries([...sp.snap.entries()], sp.model);
            },
          ),
          { numRuns: 120, seed: 31 },
        );
      });
    }
  }
});
