/**
 * Staged runs of non-unique index entries (BTree.addNew, storage/multi-run.ts): a new row's entry
 * in a new or small secondary index is staged by key group and the run sorted once at the next
 * read or at commit. Checked against a model under every other operation of the tree, counted
 * (no descent per staged row), and through the engine (reads inside the transaction, statement
 * rollback, commit, reopen).
 */
import fc from 'fast-check';
import { BTree } from '../../storage/btree';
import type { BTreeSnapshot } from '../../storage/btree';
import { compareValues } from '../../storage/compare';
import { Engine } from '../../storage/engine';
import { InternalError } from '../../src/errors';
import { ITEM_SCHEMA, canon, dumpState, openBytes } from '../helpers/engine-util';

type Entry = [unknown, number];

function byEntry(a: Entry, b: Entry): number {
  return compareValues(a[0], b[0]) || a[1] - b[1];
}

function multiTree(stageUpTo?: number): BTree<unknown, number> {
  return new BTree<unknown, number>({
    compare: compareValues,
    multi: true,
    valueCompare: compareValues,
    stageUpTo,
  });
}

type Op =
  /** addNew of a fresh pair: `v` is made unique by the replay. */
  | { t: 'new'; k: number | string | null }
  | { t: 'del'; i: number }
  | { t: 'add'; k: number }
  | { t: 'first'; k: number | string }
  | { t: 'range'; lo: number }
  | { t: 'snap' }
  | { t: 'restore'; i: number };

const keyArb = fc.oneof(
  { weight: 12, arbitrary: fc.integer({ min: 0, max: 6 }) },
  { weight: 3, arbitrary: fc.constantFrom('new', 'paid', 'shipped') },
  { weight: 1, arbitrary: fc.constant(null) },
);

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 40, arbitrary: fc.record({ t: fc.constant('new' as const), k: keyArb }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('del' as const), i: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('add' as const), k: fc.integer({ min: 0, max: 6 }) }) },
  {
    weight: 3,
    arbitrary: fc.record({ t: fc.constant('first' as const), k: fc.integer({ min: 0, max: 6 }) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ t: fc.constant('range' as const), lo: fc.integer({ min: 0, max: 6 }) }),
  },
  { weight: 2, arbitrary: fc.constant({ t: 'snap' as const }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('restore' as const), i: fc.nat() }) },
);

describe('staged non-unique entries (addNew)', () => {
  test('against a sorted model, under reads, deletes, adds, snapshots and restores', () => {
    fc.assert(
      fc.property(
        fc.array(opArb, { minLength: 1, maxLength: 300, size: 'max' }),
        fc.constantFrom(-1, 0, 8, 1024),
        fc.boolean(),
        (ops, stageUpTo, descending) => {
          const tree = multiTree(stageUpTo);
          let model: Entry[] = [];
          const snaps: { snap: BTreeSnapshot<unknown, number>; model: Entry[] }[] = [];
          // Values arrive ascending (a load in primary-key order) or descending (sorted per group).
          let next = descending ? 1_000_000 : 0;
          for (const op of ops) {
            if (op.t === 'new') {
              const v = descending ? next-- : next++;
              expect(tree.addNew(op.k, v)).toBe(true);
              model = [...model, [op.k, v] as Entry].sort(byEntry);
            } else if (op.t === 'add') {
              const v = descending ? next-- : next++;
              expect(tree.add(op.k, v)).toBe(true);
              model = [...model, [op.k, v] as Entry].sort(byEntry);
            } else if (op.t === 'del') {
              if (model.length === 0) continue;
              const [k, v] = model[op.i % model.length];
              expect(tree.delete(k, v)).toBe(true);
              model = model.filter((e) => e[0] !== k || e[1] !== v);
            } else if (op.t === 'first') {
              expect(tree.firstValue(op.k)).toBe(model.find((e) => e[0] === op.k)?.[1]);
            } else if (op.t === 'range') {
              const want = model.filter((e) => typeof e[0] === 'number' && e[0] >= op.lo);
              expect([...tree.entries({ lo: op.lo, hi: 1000 })]).toEqual(want);
            } else if (op.t === 'snap') {
              snaps.push({ snap: tree.snapshot(), model });
            } else {
              if (snaps.length === 0) continue;
              const s = snaps[op.i % snaps.length];
              tree.restore(s.snap);
              model = s.model;
            }
            expect(tree.size).toBe(model.length);
          }
          const { keys, values } = tree.toArrays();
          expect(keys.map((k, i) => [k, values[i]])).toEqual(model);
          for (const s of snaps) expect([...s.snap.entries()]).toEqual(s.model);
        },
      ),
      { numRuns: 200, seed: 1515 },
    );
  });

  test('a load into a new index stages every entry: no descent, one sort at the first read', () => {
    const status = multiTree();
    const qty = multiTree();
    const names = ['new', 'paid', 'shipped', 'returned', 'cancelled'];
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      status.addNew(names[(i * 7) % 5], i);
      qty.addNew((i * 7919) % 1000, i);
    }
    expect(status.descents).toBe(0);
    expect(qty.descents).toBe(0);
    expect(status.stagedCount).toBe(n);
    expect(qty.size).toBe(n);
    const got = qty.toArrays();
    expect(qty.stagedCount).toBe(0);
    const want = Array.from({ length: n }, (_, i): Entry => [(i * 7919) % 1000, i]).sort(byEntry);
    expect(got.keys).toEqual(want.map((e) => e[0]));
    expect(got.values).toEqual(want.map((e) => e[1]));
    // 'paid' is names[1]: (i * 7) % 5 === 1 first at i = 3.
    expect(status.firstValue('paid')).toBe(3);
  });

  test('past stageUpTo entries in the nodes, entries are inserted at once', () => {
    const tree = multiTree(100);
    for (let i = 0; i < 200; i++) tree.add(i % 3, i);
    tree.addNew(1, 1000);
    expect(tree.stagedCount).toBe(0);
    expect(tree.firstValue(1)).toBe(1);
  });

  test('a pair staged twice is refused when the run is sorted', () => {
    const tree = multiTree();
    tree.addNew('a', 1);
    tree.addNew('b', 2);
    tree.addNew('a', 1);
    expect(() => tree.toArrays()).toThrow(InternalError);
  });

  test('through the engine: reads in the transaction, statement rollback, commit and reopen', () => {
    const engine = Engine.openMemory(undefined, { checkpointEveryBytes: 0 });
    engine.begin();
    engine.registerCollection(ITEM_SCHEMA);
    engine.commit();
    const state = engine.collection('items');
    if (!state) throw new Error('items collection missing');
    const tags = state.indexes[1];
    expect(tags.def.name).toBe('items_tag');
    const put = (id: number): void => {
      engine.putRow(
        state,
        state.compiled.toRow({ id, sku: `s${id}`, qty: id, meta: { tag: ['x', 'y', 'z'][id % 3] } }),
      );
    };
    engine.begin();
    for (let id = 300; id >= 1; id--) put(id);
    expect(tags.tree.stagedCount).toBe(300);
    // A read inside the transaction sees every staged entry, in order.
    expect(tags.tree.firstValue('y')).toBe(1);
    expect(tags.tree.stagedCount).toBe(0);
    const mark = engine.mark();
    for (let id = 301; id <= 330; id++) put(id);
    engine.rollbackToMark(mark);
    for (let id = 331; id <= 340; id++) put(id);
    engine.commit();
    const ids = [
      ...Array.from({ length: 300 }, (_, i) => i + 1),
      ...Array.from({ length: 10 }, (_, i) => i + 331),
    ];
    const want = ids.map((id): Entry => [['x', 'y', 'z'][id % 3], id]).sort(byEntry);
    const { keys, values } = tags.tree.toArrays();
    expect(keys.map((k, i) => [k, values[i]])).toEqual(want);
    const state1 = canon(dumpState(engine));
    const reopened = openBytes(engine.bytes());
    expect(canon(dumpState(reopened))).toBe(state1);
    engine.checkpoint();
    const fromCheckpoint = openBytes(engine.bytes());
    expect(canon(dumpState(fromCheckpoint))).toBe(state1);
    for (const e of [engine, reopened, fromCheckpoint]) e.close();
  });
});
