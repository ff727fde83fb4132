/**
 * Eviction of decoded checkpoint pages (storage/leaf-cache.ts): a paged tree whose decoded leaves
 * are cooled again past a byte budget still equals an in-memory model, cursors held open across
 * evictions and writes see their snapshot, and reading a large file end to end keeps the bytes
 * accounted for decoded pages within the budget (counted, not timed).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { BTree } from '../../storage/btree';
import type { AdoptedPage, BTreeCursor, LeafPage, PageEntry } from '../../storage/btree';
import { compareValues } from '../../storage/compare';
import { LeafCache, decodedBytes } from '../../storage/leaf-cache';
import { Database } from '../../src/index';
import { checkpointsDuring } from '../helpers/checkpoint-trace';

class ArrayPage implements LeafPage<number, number> {
  loads = 0;
  constructor(
    readonly keys: number[],
    readonly vals: number[],
  ) {}

  get count(): number {
    return this.keys.length;
  }

  load(): { keys: number[]; vals: number[] } {
    this.loads++;
    return { keys: this.keys.slice(), vals: this.vals.slice() };
  }
}

function paginate(keys: number[], vals: number[], size: number): PageEntry<number, number>[] {
  const out: PageEntry<number, number>[] = [];
  for (let i = 0; i < keys.length; i += size) {
    const page = new ArrayPage(keys.slice(i, i + size), vals.slice(i, i + size));
    out.push({ firstKey: page.keys[0], firstVal: page.vals[0], page });
  }
  return out;
}

const compare = compareValues as (a: number, b: number) => number;

/**
 * What a checkpoint hands BTree.adoptPages: pages of unchanged leaves again (decoded or not), the
 * other entries cut into new pages of `size` that come with their entries.
 */
function adoption(tree: BTree<number, number>, size: number): AdoptedPage<number, number>[] {
  const out: AdoptedPage<number, number>[] = [];
  let keys: number[] = [];
  let vals: number[] = [];
  const flush = (): void => {
    for (const p of paginate(keys, vals, size)) {
      const page = p.page as ArrayPage;
      out.push({ ...p, keys: page.keys.slice(), vals: page.vals.slice() });
    }
    keys = [];
    vals = [];
  };
  tree.forEachLeaf((page, k, v) => {
    if (page) {
      flush();
      const p = page as ArrayPage;
      out.push({
        firstKey: p.keys[0],
        firstVal: p.vals[0],
        page: p,
        keys: k as number[] | null,
        vals: v as number[] | null,
      });
    } else {
      keys.push(...(k as number[]));
      vals.push(...(v as number[]));
    }
  });
  flush();
  return out;
}

describe('leaf cache: decoded pages past the budget are cooled again', () => {
  test('a full scan of a paged tree decodes every page once and holds about the budget', () => {
    const keys = Array.from({ length: 20_000 }, (_, i) => i * 2 + 0.5);
    const pages = paginate(keys, keys, 100);
    const pageBytes = decodedBytes(keys.slice(0, 100), keys.slice(0, 100));
    const cache = new LeafCache(5 * pageBytes);
    const tree = BTree.fromPages<number, number>(pages, { compare, cache });
    let n = 0;
    for (const [k] of tree.entries()) {
      expect(k).toBe(keys[n]);
      n++;
    }
    expect(n).toBe(keys.length);
    expect(cache.decoded).toBe(200);
    expect(cache.evicted).toBeGreaterThanOrEqual(200 - 6);
    // One step decodes one leaf on top of what the sweep before it left.
    expect(cache.peakBytes).toBeLessThanOrEqual(cache.budgetBytes + pageBytes);
    expect(tree.coldLeaves()).toBeGreaterThanOrEqual(200 - 6);
    // A second pass decodes the pages again: they were really dropped.
    expect([...tree.entries()].length).toBe(keys.length);
    expect(cache.decoded).toBeGreaterThanOrEqual(390);
    expect(pages.every((p) => (p.page as ArrayPage).loads >= 1)).toBe(true);
  });

  test('without a cache, decoded leaves stay (nothing is accounted)', () => {
    const keys = Array.from({ length: 1000 }, (_, i) => i);
    const tree = BTree.fromPages<number, number>(paginate(keys, keys, 50), { compare });
    expect([...tree.entries()].length).toBe(1000);
    expect(tree.coldLeaves()).toBe(0);
  });

  test('a memo chunk fill takes the decoded leaves only: it decodes no page', () => {
    const keys = Array.from({ length: 4096 }, (_, i) => i);
    const pages = paginate(
      keys,
      keys.map((k) => k * 2),
      64,
    );
    const tree = BTree.fromPages<number, number>(pages, { compare });
    // The first lookup makes the memo; eight misses follow in the block of keys 0…4095, each on
    // another page, and the 8th fills the block from the pages decoded so far. Page 0, where the
    // walk starts, is still cold then.
    const asked = [700, 1300, 1900, 2500, 3100, 3700, 4000, 4050, 4090];
    for (const k of asked) expect(tree.get(k)).toBe(k * 2);
    const loaded = pages.filter((p) => (p.page as ArrayPage).loads > 0).length;
    expect(loaded).toBe(new Set(asked.map((k) => Math.floor(k / 64))).size);
    expect((pages[0].page as ArrayPage).loads).toBe(0);
    // The other keys of the decoded pages need no descent now; the cold pages' keys do.
    const d0 = tree.descents;
    expect(tree.get(701)).toBe(1402);
    expect(tree.get(1301)).toBe(2602);
    expect(tree.descents).toBe(d0);
    expect(tree.get(1)).toBe(2);
    expect(tree.descents).toBe(d0 + 1);
    expect(pages.every((p) => (p.page as ArrayPage).loads <= 1)).toBe(true);
  });

  test('hot leaves survive a sweep that cools cold ones (CLOCK second chance)', () => {
    const keys = Array.from({ length: 1000 }, (_, i) => i);
    const pages = paginate(keys, keys, 100);
    const pageBytes = decodedBytes(keys.slice(0, 100), keys.slice(0, 100));
    const cache = new LeafCache(3 * pageBytes);
    const tree = BTree.fromPages<number, number>(pages, { compare, cache });
    // Keep page 0 hot while every other page passes through once.
    for (let p = 1; p < 10; p++) {
      expect(tree.get(5)).toBe(5);
      expect(tree.get(p * 100 + 1)).toBe(p * 100 + 1);
    }
    expect((pages[0].page as ArrayPage).loads).toBe(1);
    expect(cache.evicted).toBeGreaterThan(0);
  });

  type Op =
    | { t: 'set'; k: number; v: number }
    | { t: 'del'; k: number }
    | { t: 'get'; k: number }
    | { t: 'open'; lo: number; reverse: boolean }
    | { t: 'step'; n: number }
    | { t: 'adopt' }
    | { t: 'probe'; k: number }
    | { t: 'addProbed'; k: number; v: number }
    | { t: 'other'; k: number };

  const op: fc.Arbitrary<Op> = fc.oneof(
    { weight: 4, arbitrary: fc.record({ t: fc.constant('set' as const), k: fc.nat(400), v: fc.nat(1000) }) },
    { weight: 3, arbitrary: fc.record({ t: fc.constant('del' as const), k: fc.nat(400) }) },
    { weight: 3, arbitrary: fc.record({ t: fc.constant('get' as const), k: fc.nat(400) }) },
    {
      weight: 1,
      arbitrary: fc.record({ t: fc.constant('open' as const), lo: fc.nat(400), reverse: fc.boolean() }),
    },
    {
      weight: 3,
      arbitrary: fc.record({ t: fc.constant('step' as const), n: fc.integer({ min: 1, max: 40 }) }),
    },
    { weight: 1, arbitrary: fc.constant({ t: 'adopt' as const }) },
    // A unique-index insert apart: between probe and addProbed, adoptPages or another tree's
    // operation (whose sweep may cool the probed leaf) can come.
    { weight: 2, arbitrary: fc.record({ t: fc.constant('probe' as const), k: fc.nat(400) }) },
    {
      weight: 2,
      arbitrary: fc.record({ t: fc.constant('addProbed' as const), k: fc.nat(400), v: fc.nat(1000) }),
    },
    { weight: 2, arbitrary: fc.record({ t: fc.constant('other' as const), k: fc.nat(400) }) },
  );

  test('writes, lookups, checkpoints (adoptPages) and open snapshot cursors agree with a model while pages are evicted', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.nat(400), { minLength: 20, maxLength: 300 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 0, max: 3 }),
        fc.array(op, { minLength: 40, maxLength: 150 }),
        (initial, pageSize, budgetPages, ops) => {
          const model = new Map<number, number>(initial.map((k) => [k, k * 10]));
          const keys = [...model.keys()].sort((a, b) => a - b);
          const pages = paginate(
            keys,
            keys.map((k) => k * 10),
            pageSize,
          );
          // Budgets from zero (every sweep cools all it may) to a few pages.
          const cache = new LeafCache(budgetPages * (96 + 8 * pageSize));
          const tree = BTree.fromPages<number, number>(pages, { compare, cache, nodeSize: 4 });
          // Another index of the same engine: its operations sweep the shared cache.
          const other = BTree.fromPages<number, number>(pages, { compare, cache, nodeSize: 4 });
          let probed: number | null = null;
          const open: { cur: BTreeCursor<number, number>; want: [number, number][]; at: number }[] = [];
          for (const o of ops) {
            switch (o.t) {
              case 'set':
                expect(tree.set(o.k, o.v)).toBe(model.get(o.k));
                model.set(o.k, o.v);
                break;
              case 'del':
                expect(tree.delete(o.k)).toBe(model.delete(o.k));
                break;
              case 'get':
                expect(tree.get(o.k)).toBe(model.get(o.k));
                break;
              case 'open': {
                const all = [...model.entries()].sort((a, b) => a[0] - b[0]);
                const want = o.reverse
                  ? all.filter(([k]) => k <= o.lo).reverse()
                  : all.filter(([k]) => k >= o.lo);
                const snap = tree.snapshot();
                const cur = snap.cursor(o.reverse ? { hi: o.lo, reverse: true } : { lo: o.lo });
                open.push({ cur, want, at: 0 });
                break;
              }
              case 'adopt':
                tree.adoptPages(adoption(tree, pageSize), cache);
                break;
              case 'probe':
                expect(tree.probe(o.k)).toBe(model.get(o.k));
                probed = o.k;
                break;
              case 'addProbed': {
                // Mostly the probed key (the engine's pattern), sometimes another (a plain add).
                const k = probed !== null && o.v % 4 !== 0 ? probed : o.k;
                const absent = !model.has(k);
                expect(tree.addProbed(k, o.v)).toBe(absent);
                if (absent) model.set(k, o.v);
                probed = null;
                break;
              }
              case 'other':
                expect(other.get(o.k)).toBe(keys.includes(o.k) ? o.k * 10 : undefined);
                break;
              case 'step':
                for (const c of open) {
                  for (let i = 0; i < o.n; i++) {
                    const more = c.cur.next();
                    expect(more).toBe(c.at < c.want.length);
                    if (!more) break;
                    expect([c.cur.key, c.cur.value]).toEqual(c.want[c.at++]);
                  }
                }
                break;
            }
          }
          for (const c of open) {
            while (c.cur.next()) expect([c.cur.key, c.cur.value]).toEqual(c.want[c.at++]);
            expect(c.at).toBe(c.want.length);
          }
          expect([...tree.entries()]).toEqual([...model.entries()].sort((a, b) => a[0] - b[0]));
        },
      ),
      { numRuns: 200, seed: 151515 },
    );
  });
});

describe('probe / addProbed with the leaf cache', () => {
  test('a leaf cooled between probe and addProbed (another tree swept) still takes the entry and keeps every entry of its page', () => {
    const keys = Array.from({ length: 1000 }, (_, i) => i * 2);
    const pages = paginate(keys, keys, 100);
    const cache = new LeafCache(decodedBytes(keys.slice(0, 100), keys.slice(0, 100)));
    const a = BTree.fromPages<number, number>(pages, { compare, cache });
    const b = BTree.fromPages<number, number>(paginate(keys, keys, 100), { compare, cache });
    expect(a.probe(501)).toBeUndefined();
    // b decodes pages until the cache is over its budget; its next operation sweeps, and a's
    // probed leaf (touched once) goes on the second pass of the hand.
    for (let i = 0; i < 6; i++) expect(b.get(i * 200)).toBe(i * 200);
    expect(a.coldLeaves()).toBe(10);
    expect(a.addProbed(501, 7)).toBe(true);
    expect(a.size).toBe(1001);
    expect(a.get(501)).toBe(7);
    expect([...a.entries()].map(([k]) => k)).toEqual([...keys, 501].sort((x, y) => x - y));
  });

  test('addProbed after adoptPages inserts into the adopted nodes, not the path the probe took', () => {
    const keys = Array.from({ length: 1000 }, (_, i) => i * 2);
    const tree = BTree.fromSorted<number, number>(keys, keys, { compare, nodeSize: 16, stageUpTo: -1 });
    expect(tree.probe(501)).toBeUndefined();
    tree.adoptPages(adoption(tree, 50), null);
    expect(tree.addProbed(501, 7)).toBe(true);
    expect(tree.get(501)).toBe(7);
    // Only the page 501 went into lost its page: the other 19 leaves still stand on theirs.
    let onPages = 0;
    tree.forEachLeaf((page) => {
      if (page !== null) onPages++;
    });
    expect(onPages).toBe(19);
    expect([...tree.entries()].map(([k]) => k)).toEqual([...keys, 501].sort((x, y) => x - y));
  });

  test('entries staged by addProbed are in the pages a checkpoint adopts, and writes go on after', () => {
    let stagedAtAdopt = 0;
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.nat(5000), { minLength: 1, maxLength: 400 }),
        fc.integer({ min: 1, max: 399 }),
        fc.integer({ min: 1, max: 20 }),
        (ks, adoptAt, pageSize) => {
          const cache = new LeafCache(0);
          const tree = new BTree<number, number>({ compare, cache, nodeSize: 8, stageUpTo: 1 << 20 });
          const model = new Map<number, number>();
          ks.forEach((k, i) => {
            if (i === adoptAt) {
              stagedAtAdopt += tree.stagedCount;
              tree.adoptPages(adoption(tree, pageSize), cache);
              expect(tree.stagedCount).toBe(0);
            }
            expect(tree.probe(k)).toBeUndefined();
            expect(tree.addProbed(k, k + 1)).toBe(true);
            model.set(k, k + 1);
            // A repeat is found whether it is staged, in the nodes or on a page.
            expect(tree.probe(ks[i >> 1])).toBe(ks[i >> 1] + 1);
          });
          expect(tree.stagedCount).toBeLessThanOrEqual(ks.length);
          expect([...tree.entries()]).toEqual([...model.entries()].sort((x, y) => x[0] - y[0]));
        },
      ),
      { numRuns: 100, seed: 1515 },
    );
    // The runs did reach adoptPages with entries staged.
    expect(stagedAtAdopt).toBeGreaterThan(0);
  });
});

describe('leaf cache through the engine (a real file)', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modelvault-leafcache-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const ROWS = 12_000;
  function build(file: string): void {
    const db = Database.open(file);
    db.registerCollection(
      'items',
      [
        { path: 'id', type: 'int64' },
        { path: 'qty', type: 'int64' },
        { path: 'name', type: 'string' },
      ],
      'id',
      [{ name: 'items_qty', path: 'qty', kind: 'index' }],
    );
    db.transaction(() => {
      for (let i = 1; i <= ROWS; i++) db.insert('items', { id: i, qty: (i * 7919) % 1000, name: `n${i}` });
    });
    db.checkpoint();
    db.close();
  }

  test('reading a file end to end keeps the decoded index pages within cacheBytes', () => {
    const file = path.join(dir, 'scan.mv');
    build(file);
    const budget = 20_000;
    const db = Database.open(file, { readOnly: true, cacheBytes: budget });
    let n = 0;
    for (const row of db.collection('items').iterate()) {
      n++;
      expect(row.id).toBe(n);
    }
    expect(n).toBe(ROWS);
    // The secondary index too: every entry in (qty, id) order.
    let last = -1;
    let m = 0;
    for (const row of db.collection('items').where('qty', '>=', 0).orderBy('qty').iterate()) {
      expect(row.qty as number).toBeGreaterThanOrEqual(last);
      last = row.qty as number;
      m++;
    }
    expect(m).toBe(ROWS);
    const stats = db.storage.pageCache;
    const pages = Math.ceil(ROWS / 512);
    expect(stats.decoded).toBeGreaterThanOrEqual(2 * pages);
    expect(stats.evicted).toBeGreaterThan(stats.decoded - 2 * Math.ceil(budget / 4000));
    // A step decodes one page (at most 512 entries of small integers: ~4 KiB accounted) on top.
    expect(stats.peakBytes).toBeLessThanOrEqual(budget + 8 * 1024);
    expect(stats.bytes).toBeLessThanOrEqual(budget + 8 * 1024);
    db.close();
  });

  test('a query iterated across writes, checkpoints and evictions returns its snapshot', () => {
    const file = path.join(dir, 'snap.mv');
    build(file);
    const db = Database.open(file, { cacheBytes: 10_000 });
    const byPk = db.collection('items').iterate();
    const byQty = db.collection('items').where('qty', '<', 500).orderBy('qty').iterate();
    const seen: number[] = [];
    const seenQty: [number, number][] = [];
    const pull = (k: number): void => {
      for (let i = 0; i < k; i++) {
        const a = byPk.next();
        if (!a.done) seen.push(a.value.id as number);
        const b = byQty.next();
        if (!b.done) seenQty.push([b.value.qty as number, b.value.id as number]);
      }
    };
    pull(100);
    for (let round = 0; round < 20; round++) {
      db.transaction(() => {
        for (let i = 1 + round; i <= ROWS; i += 97) {
          if (i % 2 === 0) db.delete('items', i);
          else db.insert('items', { id: i, qty: 1, name: 'changed' });
        }
        db.insert('items', { id: ROWS + 1 + round, qty: 0, name: 'new' });
      });
      // Checkpoints now and then: the trees move onto the new pages under the open cursors.
      if (round % 3 === 1) db.checkpoint();
      // Lookups all over the file, so other leaves are decoded and cooled between pulls.
      for (let k = 1; k <= ROWS; k += 1013) db.get('items', k);
      pull(1500);
    }
    pull(ROWS);
    expect(seen).toEqual(Array.from({ length: ROWS }, (_, i) => i + 1));
    const want: [number, number][] = [];
    for (let i = 1; i <= ROWS; i++) if ((i * 7919) % 1000 < 500) want.push([(i * 7919) % 1000, i]);
    want.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    expect(seenQty).toEqual(want);
    expect(db.storage.pageCache.evicted).toBeGreaterThan(0);
    db.close();
  });

  /** Bytes each checkpoint `fn` makes appends (pages and directories), from modelvault:checkpoint. */
  function checkpointBytes(fn: () => void): number[] {
    return checkpointsDuring(fn).map((ctx) => ctx.bytes);
  }

  test("a writer's trees stand on the pages its checkpoint wrote: the next one writes only changed pages", () => {
    const file = path.join(dir, 'writer.mv');
    const db = Database.open(file, { cacheBytes: 30_000, checkpointEveryBytes: 0 });
    db.registerCollection(
      'items',
      [
        { path: 'id', type: 'int64' },
        { path: 'qty', type: 'int64' },
      ],
      'id',
      [{ name: 'items_qty', path: 'qty', kind: 'index' }],
    );
    const sizes = checkpointBytes(() => {
      db.transaction(() => {
        for (let i = 1; i <= ROWS; i++) db.insert('items', { id: i, qty: i % 100 });
      });
      db.checkpoint();
      // Appended keys change the last primary-key page only, and one page per touched qty run.
      db.transaction(() => {
        for (let i = ROWS + 1; i <= ROWS + 10; i++) db.insert('items', { id: i, qty: 7 });
      });
      db.checkpoint();
    });
    expect(sizes).toHaveLength(2);
    // Before, a tree built in this session was written whole at every checkpoint.
    expect(sizes[1] * 10).toBeLessThan(sizes[0]);
    // What the session wrote stays decoded through its checkpoints: reading it back decodes no
    // page (a writer inserting at random would otherwise decode its pages again and again).
    let n = 0;
    for (const _row of db.collection('items').orderBy('qty').iterate()) n++;
    expect(n).toBe(ROWS + 10);
    expect(db.storage.pageCache.decoded).toBe(0);
    db.close();
    const again = Database.open(file, { readOnly: true });
    expect(again.get('items', ROWS + 3)).toEqual({ id: ROWS + 3, qty: 7 });
    expect(again.collection('items').where('qty', 7).count()).toBe(ROWS / 100 + 10);
    again.close();
  });
});
