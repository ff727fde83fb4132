/**
 * The key filter of a large tree (storage/key-filter.ts, BTree.filter): it never calls a present
 * key absent, and its false positives stay rare; a tree that builds one answers exactly as a model
 * under bulk loads of random keys, deletes, snapshots, rollbacks and checkpoints (pages adopted
 * and evicted), and the loads it serves take far fewer descents (counted, not timed).
 */
import fc from 'fast-check';
import { BTree } from '../../storage/btree';
import type { AdoptedPage, BTreeOptions, BTreeSnapshot, LeafPage, PageEntry } from '../../storage/btree';
import { compareValues } from '../../storage/compare';
import { KeyFilter } from '../../storage/key-filter';
import { KeyTable } from '../../storage/key-table';
import { LeafCache } from '../../storage/leaf-cache';
import { Engine } from '../../storage/engine';
import type { CollectionState } from '../../storage/collection-state';
import { normalizeCollection } from '../../storage/schema/normalize';
import { canon, dumpState } from '../helpers/engine-util';

type Key = string | number;

class ArrayPage implements LeafPage<Key, number> {
  constructor(
    readonly keys: Key[],
    readonly vals: number[],
  ) {}

  get count(): number {
    return this.keys.length;
  }

  load(): { keys: Key[]; vals: number[] } {
    return { keys: this.keys.slice(), vals: this.vals.slice() };
  }
}

function paginate(keys: Key[], vals: number[], size: number): PageEntry<Key, number>[] {
  const out: PageEntry<Key, number>[] = [];
  for (let i = 0; i < keys.length; i += size) {
    const page = new ArrayPage(keys.slice(i, i + size), vals.slice(i, i + size));
    out.push({ firstKey: page.keys[0], firstVal: page.vals[0], page });
  }
  return out;
}

/** A checkpoint as BTree.adoptPages sees it: every entry cut into new pages that come along. */
function adoption(tree: BTree<Key, number>, size: number): AdoptedPage<Key, number>[] {
  const keys: Key[] = [];
  const vals: number[] = [];
  for (const [k, v] of tree.entries()) {
    keys.push(k);
    vals.push(v);
  }
  return paginate(keys, vals, size).map((p) => {
    const page = p.page as ArrayPage;
    return { ...p, keys: page.keys.slice(), vals: page.vals.slice() };
  });
}

const byKey = (a: [Key, number], b: [Key, number]): number => compareValues(a[0], b[0]);

/** How every index is stored: (key, pk) in multi mode, a unique one probed by key. */
const INDEX = { compare: compareValues, multi: true, valueCompare: compareValues };

/** A tree stood on pages of `size` over `entries` (in key order), all cold. */
function pagedIndex(
  entries: readonly [Key, number][],
  size = 64,
  opts: BTreeOptions<Key, number> = INDEX,
): BTree<Key, number> {
  return BTree.fromPages<Key, number>(
    paginate(
      entries.map((e) => e[0]),
      entries.map((e) => e[1]),
      size,
    ),
    opts,
  );
}

/** Deterministic random text keys shaped like UUIDs' first groups. */
function randomKeys(n: number, seed: number): string[] {
  let a = seed >>> 0;
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    a = (Math.imul(a, 1664525) + 1013904223) >>> 0;
    const b = Math.imul(a ^ (a >>> 13), 0x5bd1e995) >>> 0;
    out.push(`${a.toString(16).padStart(8, '0')}-${b.toString(16).padStart(8, '0')}`);
  }
  return out;
}

describe('KeyFilter', () => {
  test('never calls an added key absent: strings of any units, integers, fractions, both zeros', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.string({ unit: 'binary' }), fc.double({ noNaN: true }), fc.integer()), {
          maxLength: 3000,
        }),
        (keys) => {
          const f = new KeyFilter(keys.length);
          for (const k of keys) f.add(k);
          for (const k of keys) if (!f.mayHave(k)) throw new Error(`${String(k)} added, reported absent`);
          if (keys.some((k) => Object.is(k, -0))) expect(f.mayHave(0)).toBe(true);
          if (keys.some((k) => Object.is(k, 0))) expect(f.mayHave(-0)).toBe(true);
        },
      ),
      { numRuns: 200, seed: 4101 },
    );
  });

  test('false positives stay rare up to the capacity it reports', () => {
    const keys = randomKeys(200_000, 7);
    const f = new KeyFilter(100_000);
    let n = 0;
    while (!f.full) f.add(keys[n++]);
    // Sized for twice the keys it was built for: `full` comes once past that.
    expect(n).toBeGreaterThan(200_000 - 1);
    const others = randomKeys(100_000, 99);
    let hits = 0;
    for (const k of others) if (f.mayHave(k)) hits++;
    // 10 bits a key at capacity, six bits in one 512-bit block: ~1 % expected.
    expect(hits / others.length).toBeLessThan(0.03);
    const numbers = new KeyFilter(50_000);
    for (let i = 0; i < 50_000; i++) numbers.add(i * 2);
    let numberHits = 0;
    for (let i = 0; i < 50_000; i++) if (numbers.mayHave(i * 2 + 1)) numberHits++;
    expect(numberHits / 50_000).toBeLessThan(0.01);
  });
});

describe('KeyTable', () => {
  test('answers as a Map under sets, overwrites and lookups, across its growth', () => {
    const key = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 6 }),
      fc.integer({ min: -50, max: 50 }),
      fc.constantFrom(0, -0, 0.5, -1e300, Number.MAX_SAFE_INTEGER),
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(key, fc.nat(1000), fc.boolean()), { maxLength: 3000 }), (ops) => {
        const table = new KeyTable<string | number>();
        const model = new Map<string | number, number>();
        for (const [k, v, write] of ops) {
          if (write) {
            table.set(k, v);
            model.set(k, v);
          }
          if (table.get(k) !== model.get(k)) throw new Error(`get(${String(k)})`);
          if (table.has(k) !== model.has(k)) throw new Error(`has(${String(k)})`);
          if (table.size !== model.size) throw new Error('size');
        }
        for (const [k, v] of model) if (table.get(k) !== v) throw new Error(`final get(${String(k)})`);
      }),
      { numRuns: 200, seed: 4104 },
    );
  });
});

describe('a large tree with a key filter', () => {
  test('a bulk load of random keys into a large unique index descends for a small share of them', () => {
    const keys = randomKeys(40_000, 3);
    const initial = keys
      .slice(0, 20_000)
      .map((k, i): [Key, number] => [k, i])
      .sort(byKey);
    const paged = pagedIndex(initial);
    const before = paged.descents;
    for (let i = 20_000; i < 40_000; i++) {
      expect(paged.probe(keys[i])).toBeUndefined();
      expect(paged.addProbed(keys[i], i)).toBe(true);
    }
    // Without the filter every probe descends (20,000); with it, until it is built (an eighth of
    // the tree's size) and for its false positives.
    expect(paged.descents - before).toBeLessThan(4_000);
    // Each key present once, and found again, staged or merged.
    for (let i = 0; i < 40_000; i += 97) expect(paged.probe(keys[i])).toBe(i);
    expect(paged.size).toBe(40_000);
    const all = [...paged.entries()];
    expect(all.length).toBe(40_000);
    for (let i = 1; i < all.length; i++) expect(compareValues(all[i - 1][0], all[i][0])).toBeLessThan(0);
  });

  test('inserts each followed by a read of the index go in at once; a run of adds with no read stages', () => {
    const keys = randomKeys(12_000, 5);
    const initial = keys
      .slice(0, 6_000)
      .map((k, i): [Key, number] => [k, i])
      .sort(byKey);
    const tree = pagedIndex(initial);
    // A bulk load first: the filter is built, and past 64 adds with no read the entries stage.
    for (let i = 6_000; i < 9_000; i++) {
      tree.probe(keys[i]);
      tree.addProbed(keys[i], i);
    }
    expect(tree.stagedCount).toBeGreaterThan(2_000);
    expect(tree.get(keys[8_999])).toBe(8_999);
    expect(tree.stagedCount).toBe(0);
    // Then each insert read back at once: nothing is staged (a flush per row would cost more
    // than the insert), each insert one descent.
    for (let i = 9_000; i < 10_000; i++) {
      tree.probe(keys[i]);
      tree.addProbed(keys[i], i);
      expect(tree.stagedCount).toBe(0);
      expect(tree.get(keys[i])).toBe(i);
    }
    // A non-unique index the same way (addNew).
    const multi = pagedIndex(initial);
    for (let i = 6_000; i < 6_200; i++) multi.addNew(keys[i], i);
    expect(multi.stagedCount).toBe(200 - 64);
    expect(multi.firstValue(keys[6_100])).toBe(6_100);
    for (let i = 6_200; i < 6_400; i++) {
      multi.addNew(keys[i], i);
      expect(multi.stagedCount).toBe(0);
      expect(multi.firstValue(keys[i])).toBe(i);
    }
    expect(multi.size).toBe(6_400);
    expect(tree.size).toBe(10_000);
  });

  test('building the filter reads pages not decoded yet for their keys, without decoding them into the tree', () => {
    const keys = Array.from({ length: 20_000 }, (_, i) => `k${String(i).padStart(6, '0')}`);
    const tree = pagedIndex(keys.map((k, i): [Key, number] => [k, i]));
    // Absent keys of the first fifth of the key range only: the other leaves stay cold.
    const absent = (i: number): string => `k${String(i % 4_000).padStart(6, '0')}x${i}`;
    let i = 0;
    for (; i < 2_501; i++) expect(tree.probe(absent(i))).toBeUndefined();
    const cold = tree.coldLeaves();
    expect(cold).toBeGreaterThan(200);
    // This probe builds the filter over all 20,000 keys.
    const before = tree.descents;
    for (; i < 3_500; i++) expect(tree.probe(absent(i))).toBeUndefined();
    expect(tree.descents - before).toBeLessThan(100);
    expect(tree.coldLeaves()).toBe(cold);
    // Keys of cold pages are in it: each present key is still found.
    for (let k = 0; k < 20_000; k += 37) expect(tree.probe(keys[k])).toBe(k);
  });

  // Operations of an engine's unique index: probe then addProbed (an insert), delete (a delete or
  // an update), snapshot (a commit), restore (a rollback), adopt (a checkpoint), plain writes.
  const op = fc.oneof(
    { weight: 12, arbitrary: fc.record({ t: fc.constant('insert' as const), k: fc.nat(3000) }) },
    { weight: 2, arbitrary: fc.record({ t: fc.constant('del' as const), k: fc.nat(3000) }) },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('snap' as const) }) },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('restore' as const), i: fc.nat() }) },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('adopt' as const) }) },
    { weight: 2, arbitrary: fc.record({ t: fc.constant('get' as const), k: fc.nat(3000) }) },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('add' as const), k: fc.nat(3000) }) },
    {
      weight: 1,
      arbitrary: fc.record({ t: fc.constant('bulk' as const), n: fc.integer({ min: 50, max: 400 }) }),
    },
  );

  for (const kind of ['text', 'number'] as const) {
    test(`${kind} keys: probes, inserts, deletes, commits, rollbacks and checkpoints agree with a model`, () => {
      const keyOf = (k: number): Key =>
        kind === 'text' ? `key-${(k * 7919) % 3001}` : ((k * 7919) % 3001) / 4;
      fc.assert(
        fc.property(
          fc.uniqueArray(fc.nat(3000), { minLength: 0, maxLength: 400 }),
          fc.array(op, { minLength: 20, maxLength: 120 }),
          fc.integer({ min: 4, max: 16 }),
          fc.integer({ min: 0, max: 8 }),
          (initial, ops, pageSize, budgetPages) => {
            const model = new Map<Key, number>();
            for (const k of initial) model.set(keyOf(k), k);
            const sorted = [...model.entries()].sort(byKey);
            const cache = new LeafCache(budgetPages * (96 + 16 * pageSize));
            const opts = {
              ...INDEX,
              nodeSize: 4,
              stageUpTo: 8,
              cache,
            };
            const tree = pagedIndex(sorted, pageSize, opts);
            const snaps: { snap: BTreeSnapshot<Key, number>; model: Map<Key, number> }[] = [];
            let next = 10_000;
            const insert = (k: Key): void => {
              const v = next++;
              const have = model.get(k);
              const found = tree.probe(k);
              if (found !== have) throw new Error(`probe(${k}): ${found} against ${have}`);
              if (found !== undefined) return; // the engine reports the UNIQUE error here
              if (!tree.addProbed(k, v)) throw new Error(`addProbed(${k}) added nothing`);
              model.set(k, v);
            };
            for (const o of ops) {
              switch (o.t) {
                case 'insert':
                  insert(keyOf(o.k));
                  break;
                case 'bulk':
                  // Many new keys at once: what makes the tree build its filter.
                  for (let i = 0; i < o.n; i++) insert(keyOf((o.n * 31 + i * 17 + next) % 3001));
                  break;
                case 'add': {
                  const k = keyOf(o.k);
                  const v = next++;
                  const absent = !model.has(k);
                  // A multi-mode tree adds the pair; keep the model unique-keyed as an index is.
                  if (absent) {
                    expect(tree.add(k, v)).toBe(true);
                    model.set(k, v);
                  }
                  break;
                }
                case 'del': {
                  const k = keyOf(o.k);
                  const v = model.get(k);
                  if (v !== undefined) {
                    expect(tree.delete(k, v)).toBe(true);
                    model.delete(k);
                  }
                  break;
                }
                case 'snap':
                  snaps.push({ snap: tree.snapshot(), model: new Map(model) });
                  break;
                case 'restore': {
                  if (snaps.length === 0) break;
                  const s = snaps[o.i % snaps.length];
                  tree.restore(s.snap);
                  model.clear();
                  for (const [k, v] of s.model) model.set(k, v);
                  break;
                }
                case 'adopt':
                  tree.adoptPages(adoption(tree, pageSize), cache);
                  break;
                case 'get':
                  expect(tree.get(keyOf(o.k))).toBe(model.get(keyOf(o.k)));
                  break;
              }
              expect(tree.size).toBe(model.size);
            }
            // Every key of the key space probed: a filter that lost a key lets a duplicate in here.
            for (let k = 0; k <= 3000; k++) {
              const key = keyOf(k);
              if (tree.probe(key) !== model.get(key)) throw new Error(`final probe(${key})`);
            }
            expect([...tree.entries()]).toEqual([...model.entries()].sort(byKey));
            for (const s of snaps) expect([...s.snap.entries()]).toEqual([...s.model.entries()].sort(byKey));
          },
        ),
        { numRuns: 150, seed: kind === 'text' ? 4102 : 4103 },
      );
    });
  }

  test('a rollback to a snapshot taken before the filter keeps keys deleted before it was built', () => {
    const keys = randomKeys(4_000, 11);
    const opts = { ...INDEX, stageUpTo: 16 };
    const tree = new BTree<Key, number>(opts);
    for (let i = 0; i < 2_000; i++) {
      tree.probe(keys[i]);
      tree.addProbed(keys[i], i);
    }
    const snap = tree.snapshot();
    expect(tree.delete(keys[5], 5)).toBe(true);
    // Enough absent probes to build the filter (it holds no keys[5]).
    for (let i = 2_000; i < 4_000; i++) expect(tree.probe(keys[i])).toBeUndefined();
    const d = tree.descents;
    for (let i = 2_000; i < 2_400; i++) tree.probe(keys[i]);
    expect(tree.descents - d).toBeLessThan(50);
    tree.restore(snap);
    // The engine's insert of keys[5] now meets the row that holds it (a UNIQUE error).
    expect(tree.probe(keys[5])).toBe(5);
    expect(tree.size).toBe(2_000);
  });
});

describe('through the engine: a bulk load into a checkpointed unique index', () => {
  const schema = normalizeCollection(
    'items',
    [
      { path: 'id', type: 'int64' },
      { path: 'uuid', type: 'string' },
      { path: 'tag', type: 'int64' },
    ],
    'id',
    [
      { name: 'items_uuid', path: 'uuid', kind: 'unique' },
      { name: 'items_tag', path: 'tag', kind: 'index' },
    ],
  );
  const uuids = randomKeys(20_000, 17);
  const row = (i: number, uuid = uuids[i]): unknown[] => {
    const state = engineState;
    return state.compiled.toRow({ id: i, uuid, tag: i % 97 });
  };
  let engineState: CollectionState;

  function setup(rows: number): Engine {
    const engine = Engine.openMemory(undefined, { checkpointEveryBytes: 0 });
    engine.begin();
    engine.registerCollection(schema);
    engine.commit();
    const state = engine.collection('items');
    if (!state) throw new Error('items collection missing');
    engineState = state;
    engine.begin();
    for (let i = 0; i < rows; i++) engine.putRow(state, row(i));
    engine.commit();
    // The trees now stand on checkpoint pages, as a file's do after a checkpoint.
    engine.checkpoint();
    return engine;
  }

  test('clashes with committed and with staged keys are refused at their statement; the rest commits', () => {
    const engine = setup(8_000);
    const state = engineState;
    const tree = state.indexes[0].tree;
    const before = tree.descents;
    engine.begin();
    for (let i = 8_000; i < 16_000; i++) engine.putRow(state, row(i), 'abort');
    expect(tree.descents - before).toBeLessThan(2_000);
    expect(tree.stagedCount).toBeGreaterThan(4_000);
    // A key committed before (on a checkpoint page), then one staged in this transaction.
    for (const clash of [uuids[123], uuids[15_000]]) {
      const mark = engine.mark();
      expect(() => engine.putRow(state, row(19_000, clash), 'abort')).toThrow(
        'UNIQUE constraint failed: items.uuid',
      );
      engine.rollbackToMark(mark);
    }
    for (let i = 16_000; i < 17_000; i++) engine.putRow(state, row(i), 'abort');
    engine.commit();
    expect(tree.stagedCount).toBe(0);
    expect([...tree.entries()].map(([k]) => k)).toEqual(uuids.slice(0, 17_000).sort());
    expect(engine.getRow(state, 19_000)).toBeUndefined();
    const expected = canon(dumpState(engine));
    const reopened = Engine.openMemory(Buffer.from(engine.bytes()));
    expect(canon(dumpState(reopened))).toBe(expected);
    reopened.close();
    engine.close();
  });

  test('a rolled-back delete brings its key back for the uniqueness check, filter or not', () => {
    const engine = setup(6_000);
    const state = engineState;
    engine.begin();
    expect(engine.deleteRow(state, 42)).toBe(true);
    // Enough new keys that the index builds its filter while uuids[42] is out of it.
    for (let i = 6_000; i < 12_000; i++) engine.putRow(state, row(i), 'abort');
    engine.rollback();
    engine.begin();
    expect(() => engine.putRow(state, row(12_500, uuids[42]), 'abort')).toThrow(
      'UNIQUE constraint failed: items.uuid',
    );
    engine.rollback();
    engine.begin();
    // The same within one transaction: a statement rolled back to its mark.
    const mark = engine.mark();
    expect(engine.deleteRow(state, 43)).toBe(true);
    for (let i = 6_000; i < 12_000; i++) engine.putRow(state, row(i), 'abort');
    engine.rollbackToMark(mark);
    expect(() => engine.putRow(state, row(12_500, uuids[43]), 'abort')).toThrow(
      'UNIQUE constraint failed: items.uuid',
    );
    engine.commit();
    expect(state.indexes[0].tree.size).toBe(6_000);
    engine.close();
  });
});
