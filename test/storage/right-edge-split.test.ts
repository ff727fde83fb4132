/**
 * Right-edge splits (BTreeEdits.splitLeaf): an append that overflows the last leaf of a tree keeps
 * that leaf full and starts a new one, so an ascending load packs its leaves full instead of half
 * full. Counted here: leaves after ascending loads through each insert path of the tree (set,
 * add, probe + addProbed) and through the engine; and, against a model, that appends, deletes
 * at the top (which empty the one-entry leaves an append split leaves), checkpoints, rollbacks
 * and reopens keep content and structure right.
 */
import fc from 'fast-check';
import { BTree } from '../../storage/btree';
import { compareValues } from '../../storage/compare';
import { Engine } from '../../storage/engine';
import { ITEM_SCHEMA, canon, dumpState, openBytes } from '../helpers/engine-util';

interface RawNode {
  leaf: boolean;
  keys: unknown[];
  children: RawNode[];
  sepKeys: unknown[];
  page: unknown;
}

interface Shape {
  leaves: number;
  height: number;
  problems: string[];
}

/**
 * Leaves, height and structural problems of `tree`'s nodes: one leaf depth, no empty leaf below
 * the root, every branch with at least two children and one more child than separators, and
 * every node off the right edge at least half full (leaves standing on a checkpoint page, and
 * the halves they split into, are left out of that bound: they may hold more than nodeSize).
 */
function shapeOf(tree: BTree<unknown, unknown>, nodeSize = 64): Shape {
  tree.min(); // moves staged entries into the nodes
  const root = (tree as unknown as { root: RawNode }).root;
  const problems: string[] = [];
  let leaves = 0;
  let leafDepth = -1;
  const walk = (n: RawNode, depth: number, edge: boolean): void => {
    const fill = n.leaf ? n.keys.length : n.children.length;
    if (depth > 0 && fill < (edge ? 1 : nodeSize >>> 1) && !(n.leaf && n.page !== null))
      problems.push(`fill ${fill} at depth ${depth}${edge ? ' on the edge' : ''}`);
    if (n.leaf) {
      leaves++;
      if (leafDepth < 0) leafDepth = depth;
      else if (leafDepth !== depth) problems.push(`leaves at depths ${leafDepth} and ${depth}`);
      return;
    }
    if (n.children.length < 2) problems.push(`branch of ${n.children.length} child at depth ${depth}`);
    if (n.sepKeys.length !== n.children.length - 1) problems.push(`separators at depth ${depth}`);
    n.children.forEach((c, i) => walk(c, depth + 1, edge && i === n.children.length - 1));
  };
  walk(root, 0, true);
  return { leaves, height: leafDepth + 1, problems };
}

const uniqueNumbers = (): BTree<unknown, unknown> => new BTree<unknown, unknown>({ compare: compareValues });

describe('right-edge splits keep ascending loads packed', () => {
  const n = 100_000;
  const full = Math.ceil(n / 64);

  test('set, add and probe + addProbed: ascending keys fill every leaf but the last', () => {
    const bySet = uniqueNumbers();
    const byAdd = uniqueNumbers();
    const byProbe = uniqueNumbers();
    for (let i = 0; i < n; i++) {
      bySet.set(i, i);
      byAdd.add(`k${String(i).padStart(8, '0')}`, i);
      if (byProbe.probe(i) === undefined) byProbe.addProbed(i, i);
    }
    for (const tree of [bySet, byAdd, byProbe]) {
      const shape = shapeOf(tree);
      expect(shape.problems).toEqual([]);
      expect(shape.leaves).toBe(full);
      expect(tree.size).toBe(n);
    }
    // 1,563 full leaves under inner nodes of up to 64 children: three levels, where half-full
    // leaves (3,125) under half-full inner nodes needed four.
    expect(shapeOf(bySet).height).toBe(3);
  });

  test('a multi-mode tree appending (key, value) pairs at its end packs the same way', () => {
    const tree = new BTree<unknown, unknown>({
      compare: compareValues,
      multi: true,
      valueCompare: compareValues,
    });
    for (let i = 0; i < n; i++) tree.add(Math.floor(i / 10), i);
    const shape = shapeOf(tree);
    expect(shape.problems).toEqual([]);
    expect(shape.leaves).toBe(full);
  });

  test('random keys still split evenly: no leaf below half full, none over', () => {
    const tree = uniqueNumbers();
    let seed = 7;
    for (let i = 0; i < n; i++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      tree.set(seed, i);
    }
    const shape = shapeOf(tree);
    expect(shape.problems).toEqual([]);
    // Half-full splits: between n/64 and n/32 leaves.
    expect(shape.leaves).toBeGreaterThan(full);
    expect(shape.leaves).toBeLessThanOrEqual(Math.ceil(n / 32));
  });

  test('an ascending engine load packs the primary key and the unique index', () => {
    const engine = Engine.openMemory();
    engine.begin();
    engine.registerCollection(ITEM_SCHEMA);
    engine.commit();
    const state = engine.collection('items');
    if (!state) throw new Error('items collection missing');
    const rows = 20_000;
    engine.begin();
    for (let id = 1; id <= rows; id++)
      engine.putRow(
        state,
        state.compiled.toRow({ id, sku: `sku-${String(id).padStart(8, '0')}`, qty: id, meta: { tag: null } }),
      );
    engine.commit();
    const pk = shapeOf(state.pk as BTree<unknown, unknown>);
    const sku = shapeOf(state.indexes[0].tree as BTree<unknown, unknown>);
    expect(pk.problems).toEqual([]);
    expect(sku.problems).toEqual([]);
    expect(pk.leaves).toBe(Math.ceil(rows / 64));
    expect(sku.leaves).toBe(Math.ceil(rows / 64));
    engine.close();
  });
});

type Op =
  /** Insert `n` rows above the largest id (ascending primary and unique keys). */
  | { t: 'append'; n: number }
  /** Delete the `n` largest ids: a stack's pop, emptying the one-entry edge leaves. */
  | { t: 'popTop'; n: number }
  | { t: 'put'; id: number }
  | { t: 'del'; id: number }
  | { t: 'commit' }
  | { t: 'rollback' }
  | { t: 'checkpoint' }
  | { t: 'reopen' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({ t: fc.constant('append' as const), n: fc.integer({ min: 1, max: 150 }) }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ t: fc.constant('popTop' as const), n: fc.integer({ min: 1, max: 70 }) }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ t: fc.constant('put' as const), id: fc.integer({ min: 1, max: 600 }) }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ t: fc.constant('del' as const), id: fc.integer({ min: 1, max: 600 }) }),
  },
  { weight: 2, arbitrary: fc.constant({ t: 'commit' as const }) },
  { weight: 1, arbitrary: fc.constant({ t: 'rollback' as const }) },
  { weight: 1, arbitrary: fc.constant({ t: 'checkpoint' as const }) },
  { weight: 1, arbitrary: fc.constant({ t: 'reopen' as const }) },
);

const sku = (id: number): string => `sku-${String(id).padStart(6, '0')}`;

/** The state dumpState gives for `model` (id → qty), committed rows only. */
function expected(model: ReadonlyMap<number, number>): string {
  const ids = [...model.keys()].sort((a, b) => a - b);
  const rows = ids.map((id) => [id, sku(id), model.get(id), null]);
  return canon({
    items: {
      rows,
      indexes: {
        items_sku: { keys: ids.map(sku), values: ids },
        items_tag: { keys: ids.map(() => null), values: ids },
      },
    },
  });
}

describe('right-edge splits against a model', () => {
  test('appends, pops, random writes, checkpoints, rollbacks and reopens', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 40, size: 'max' }), (ops) => {
        let engine = Engine.openMemory();
        engine.begin();
        engine.registerCollection(ITEM_SCHEMA);
        engine.commit();
        let committed = new Map<number, number>();
        let live = new Map<number, number>();
        const put = (id: number, qty: number): void => {
          const state = engine.collection('items');
          if (!state) throw new Error('items collection missing');
          if (!engine.inTransaction) engine.begin();
          engine.putRow(state, state.compiled.toRow({ id, sku: sku(id), qty, meta: { tag: null } }));
          live.set(id, qty);
        };
        const del = (id: number): void => {
          const state = engine.collection('items');
          if (!state) throw new Error('items collection missing');
          if (!engine.inTransaction) engine.begin();
          engine.deleteRow(state, id);
          live.delete(id);
        };
        const commit = (): void => {
          if (engine.inTransaction) engine.commit();
          committed = new Map(live);
        };
        let step = 0;
        for (const op of ops) {
          step++;
          const top = live.size === 0 ? 0 : Math.max(...live.keys());
          if (op.t === 'append') for (let i = 1; i <= op.n; i++) put(top + i, step);
          else if (op.t === 'popTop') {
            const ids = [...live.keys()].sort((a, b) => b - a).slice(0, op.n);
            for (const id of ids) del(id);
          } else if (op.t === 'put') put(op.id, step);
          else if (op.t === 'del') del(op.id);
          else if (op.t === 'commit') commit();
          else if (op.t === 'rollback') {
            if (engine.inTransaction) engine.rollback();
            live = new Map(committed);
          } else if (op.t === 'checkpoint') {
            commit();
            engine.checkpoint();
          } else {
            commit();
            const bytes = engine.bytes();
            engine.close();
            engine = openBytes(bytes);
          }
          expect(canon(dumpState(engine))).toBe(expected(live));
        }
        const state = engine.collection('items');
        if (!state) throw new Error('items collection missing');
        for (const tree of [state.pk, ...state.indexes.map((ix) => ix.tree)])
          expect(shapeOf(tree as BTree<unknown, unknown>).problems).toEqual([]);
        commit();
        const reopened = openBytes(engine.bytes());
        expect(canon(dumpState(reopened))).toBe(expected(committed));
        reopened.close();
        engine.close();
      }),
      { numRuns: 120, seed: 151515 },
    );
  });
});
