/**
 * Checkpoint pages adopted as node-sized parts (storage/page-parts.ts): after a checkpoint, a write
 * into a tree standing on 512-entry pages copies one node's worth of entries, not the page's; the
 * next checkpoint still points at every page no write changed (and is never handed a part); and
 * the content equals a model under random writes, adoptions and snapshots. Work is counted
 * (entries copied by copy-on-write, pages reused), never timed.
 */
import fc from 'fast-check';
import { BTree } from '../../storage/btree';
import type { AdoptedPage, LeafPage } from '../../storage/btree';
import { compareValues } from '../../storage/compare';
import { Engine } from '../../storage/engine';
import { PAGE_MAX_ENTRIES } from '../../storage/index-pages';
import { ITEM_SCHEMA, openBytes, putItem } from '../helpers/engine-util';

const compare = compareValues as (a: number, b: number) => number;

class ArrayPage implements LeafPage<number, number> {
  constructor(
    readonly keys: number[],
    readonly vals: number[],
  ) {}

  get count(): number {
    return this.keys.length;
  }

  load(): { keys: number[]; vals: number[] } {
    return { keys: this.keys.slice(), vals: this.vals.slice() };
  }
}

/**
 * What a checkpoint hands adoptPages: the pages of unchanged leaves again (with their entries
 * when decoded), every other entry cut into new pages of `size` that come with their entries.
 * `reused` collects the pages pointed at again.
 */
function adoption(
  tree: BTree<number, number>,
  size: number,
  reused: LeafPage<number, number>[] = [],
): AdoptedPage<number, number>[] {
  const out: AdoptedPage<number, number>[] = [];
  let keys: number[] = [];
  let vals: number[] = [];
  const flush = (): void => {
    for (let i = 0; i < keys.length; i += size) {
      const page = new ArrayPage(keys.slice(i, i + size), vals.slice(i, i + size));
      out.push({ firstKey: page.keys[0], firstVal: page.vals[0], page, keys: page.keys, vals: page.vals });
    }
    keys = [];
    vals = [];
  };
  tree.forEachLeaf((page, k, v) => {
    if (page) {
      // Only pages a checkpoint wrote come back: never a part of one.
      expect(page).toBeInstanceOf(ArrayPage);
      flush();
      const p = page as ArrayPage;
      reused.push(p);
      out.push({ firstKey: p.keys[0], firstVal: p.vals[0], page: p, keys: k, vals: v });
    } else {
      keys.push(...(k as number[]));
      vals.push(...(v as number[]));
    }
  });
  flush();
  return out;
}

/** 100 pages of 512 entries: even keys 0, 2, …; the tree stands on them, entries decoded. */
function adoptedTree(): BTree<number, number> {
  const keys = Array.from({ length: 100 * PAGE_MAX_ENTRIES }, (_, i) => 2 * i);
  const tree = BTree.fromSorted<number, number>(keys, keys, { compare });
  tree.adoptPages(adoption(tree, PAGE_MAX_ENTRIES), null);
  return tree;
}

describe('adopted checkpoint pages stand as node-sized parts', () => {
  test('random writes after a checkpoint copy at most one node of entries each', () => {
    const tree = adoptedTree();
    tree.snapshot(); // what every commit does: no node is writable in place
    const before = tree.copiedEntries;
    let seed = 7;
    const writes = 200;
    const written = new Set<number>();
    for (let i = 0; i < writes; i++) {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      const k = 2 * (seed % (100 * PAGE_MAX_ENTRIES)) + 1;
      tree.set(k, k);
      written.add(k);
    }
    // 512-entry leaves: each first write of a page copied all of it (~45k entries here).
    expect(tree.copiedEntries - before).toBeLessThanOrEqual(writes * 64);
    expect(tree.size).toBe(100 * PAGE_MAX_ENTRIES + written.size);
    for (const k of written) expect(tree.get(k)).toBe(k);
  });

  test('a delete after a checkpoint copies one node of entries', () => {
    const tree = adoptedTree();
    tree.snapshot();
    const before = tree.copiedEntries;
    expect(tree.delete(2 * 1000)).toBe(true);
    // The leaf and, at most, the neighbour a rebalance merges it with.
    expect(tree.copiedEntries - before).toBeLessThanOrEqual(2 * 64);
    expect(tree.get(2 * 1000)).toBeUndefined();
    expect(tree.get(2 * 1001)).toBe(2 * 1001);
  });

  test('the next checkpoint points at every page no write changed, and at no part', () => {
    const tree = adoptedTree();
    const pages: LeafPage<number, number>[] = [];
    adoption(tree, PAGE_MAX_ENTRIES, pages);
    expect(pages).toHaveLength(100);
    // One write in each of three pages (keys 1, 512 * 2 * 40 + 1, the last page's last gap).
    tree.set(1, 1);
    tree.set(2 * PAGE_MAX_ENTRIES * 40 + 1, 1);
    tree.delete(2 * (100 * PAGE_MAX_ENTRIES - 1));
    const again: LeafPage<number, number>[] = [];
    const adopted = adoption(tree, PAGE_MAX_ENTRIES, again);
    expect(again).toHaveLength(97);
    for (const p of again) expect(pages).toContain(p);
    let entries = 0;
    for (const p of adopted) entries += p.page.count;
    expect(entries).toBe(tree.size);
    tree.adoptPages(adopted, null);
    const all = tree.toArrays();
    const want = Array.from({ length: 100 * PAGE_MAX_ENTRIES - 1 }, (_, i) => 2 * i);
    want.push(1, 2 * PAGE_MAX_ENTRIES * 40 + 1);
    want.sort((a, b) => a - b);
    expect(all.keys).toEqual(want);
  });

  test('multi mode: adds, deletes, adoptions and snapshots agree with a model', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(fc.nat(30), fc.nat(60)), {
          maxLength: 200,
          selector: ([k, v]) => `${k}/${v}`,
        }),
        fc.integer({ min: 1, max: 20 }),
        fc.array(fc.tuple(fc.nat(3), fc.nat(30), fc.nat(60)), { maxLength: 150 }),
        (initial, pageSize, ops) => {
          const order = (a: [number, number], b: [number, number]): number => a[0] - b[0] || a[1] - b[1];
          const model = new Map(initial.map(([k, v]) => [`${k}/${v}`, [k, v] as [number, number]]));
          const sorted = (): [number, number][] => [...model.values()].sort(order);
          const start = sorted();
          const tree = BTree.fromSorted<number, number>(
            start.map((e) => e[0]),
            start.map((e) => e[1]),
            { compare, multi: true, valueCompare: compare, nodeSize: 4 },
          );
          const snaps: { snap: ReturnType<BTree<number, number>['snapshot']>; want: [number, number][] }[] =
            [];
          for (const [kind, k, v] of ops) {
            const id = `${k}/${v}`;
            if (kind === 0) {
              expect(tree.add(k, v)).toBe(!model.has(id));
              model.set(id, [k, v]);
            } else if (kind === 1) {
              expect(tree.delete(k, v)).toBe(model.delete(id));
            } else if (kind === 2) {
              tree.adoptPages(adoption(tree, pageSize), null);
            } else {
              snaps.push({ snap: tree.snapshot(), want: sorted() });
            }
            expect(tree.get(k)).toBe(sorted().find((e) => e[0] === k)?.[1]);
          }
          const all = tree.toArrays();
          expect(all.keys.map((k, i) => [k, all.values[i]])).toEqual(sorted());
          for (const { snap, want } of snaps) {
            const got = snap.toArrays();
            expect(got.keys.map((k, i) => [k, got.values[i]])).toEqual(want);
          }
        },
      ),
      { numRuns: 150, seed: 150218 },
    );
  });

  test('engine: after a checkpoint, a new row copies at most one node of each tree it writes', () => {
    const engine = Engine.openMemory();
    engine.begin();
    engine.registerCollection(ITEM_SCHEMA);
    for (let id = 0; id < 4 * PAGE_MAX_ENTRIES; id += 2) putItem(engine, id, 'a');
    engine.commit();
    engine.checkpoint();
    const state = engine.collection('items');
    if (!state) throw new Error('items missing');
    const trees = [state.pk, ...state.indexes.map((i) => i.tree)];
    const before = trees.map((t) => t.copiedEntries);
    engine.begin();
    putItem(engine, 2 * PAGE_MAX_ENTRIES + 1, 'a');
    engine.commit();
    trees.forEach((t, i) => expect(t.copiedEntries - before[i]).toBeLessThanOrEqual(64));
    expect(trees.reduce((n, t, i) => n + t.copiedEntries - before[i], 0)).toBeGreaterThan(0);
    // The file still reads back the same rows after a reopen.
    const reopened = openBytes(engine.bytes(), { readOnly: true });
    expect(reopened.collection('items')?.pk.get(2 * PAGE_MAX_ENTRIES + 1)).toBeDefined();
    reopened.close();
    engine.close();
  });
});
