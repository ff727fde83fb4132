/**
 * Paged trees (checkpoint layouts 3–5, docs/format.md §4.2 and §4.4): a tree whose leaves start
 * cold and are decoded from their page on first touch — and, from layout 5, whose inner nodes
 * over directory pages start cold and are read on first descent — equals an in-memory model under
 * random inserts, deletes, snapshots, checkpoints and reopens: at the tree level with tiny nodes,
 * pages and directory pages (so every split, merge and share path meets cold neighbours), and at
 * the engine level through real checkpoints and reopened files.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { BTree } from '../../storage/btree';
import type { BTreeOptions, DirEntry, DirPage, LeafPage, PageEntry } from '../../storage/btree';
import { compareValues } from '../../storage/compare';
import { Engine } from '../../storage/engine';
import {
  INDEX_PAGE_MAX_ENTRIES,
  PAGE_MAX_ENTRIES,
  StoredDirPage,
  dirPolicy,
} from '../../storage/index-pages';
import {
  ITEM_SCHEMA,
  deleteItem,
  dumpState,
  lastCheckpoint,
  listFrames,
  openBytes,
  putItem,
} from '../helpers/engine-util';
import { Database } from '../../src/index';
import { verifyDatabaseFile } from '../../src/cli/check-file';
import { crc32c } from '../../storage/crc32c';
import { FRAME_HEADER_SIZE, FrameKind } from '../../storage/format';
import { unpackColumn } from '../../storage/packed-column';

/** A page held in memory that counts its loads. */
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

/** Cut sorted entries into pages of the given sizes (cycled). */
function paginate(keys: number[], vals: number[], sizes: number[]): PageEntry<number, number>[] {
  const out: PageEntry<number, number>[] = [];
  let i = 0;
  let s = 0;
  while (i < keys.length) {
    const n = Math.max(1, sizes[s++ % sizes.length]);
    const page = new ArrayPage(keys.slice(i, i + n), vals.slice(i, i + n));
    out.push({ firstKey: page.keys[0], firstVal: page.vals[0], page });
    i += n;
  }
  return out;
}

/** A directory page held in memory that counts its loads. */
class ArrayDir implements DirPage<number, number> {
  loads = 0;
  readonly count: number;
  constructor(readonly pages: PageEntry<number, number>[]) {
    this.count = pages.reduce((n, p) => n + p.page.count, 0);
  }

  load(): PageEntry<number, number>[] {
    this.loads++;
    return this.pages.slice();
  }
}

/** Group pages into directory pages of the given sizes (cycled). */
function directories(pages: PageEntry<number, number>[], sizes: number[]): DirEntry<number, number>[] {
  const out: DirEntry<number, number>[] = [];
  let i = 0;
  let s = 0;
  while (i < pages.length) {
    const n = Math.max(1, sizes[s++ % sizes.length]);
    const dir = new ArrayDir(pages.slice(i, i + n));
    out.push({ firstKey: pages[i].firstKey, firstVal: pages[i].firstVal, dir });
    i += n;
  }
  return out;
}

/** A cold tree over `pages`: standing on them (layouts 3, 4), or on directory pages of them (5). */
function coldTree(
  pages: PageEntry<number, number>[],
  dirSizes: number[] | null,
  opts: BTreeOptions<number, number>,
): BTree<number, number> {
  return dirSizes === null
    ? BTree.fromPages<number, number>(pages, opts)
    : BTree.fromDirs<number, number>(directories(pages, dirSizes), opts);
}

/** Directory page sizes for the property tests: null (layouts 3 and 4) or 1–4 pages each. */
const dirSizes = fc.option(fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 }), {
  freq: 3,
});

/** What a checkpoint does: reuse the page of every leaf that still has one, cut the rest anew. */
function checkpointOf(tree: BTree<number, number>, sizes: number[]): PageEntry<number, number>[] {
  const out: PageEntry<number, number>[] = [];
  let keys: number[] = [];
  let vals: number[] = [];
  const flush = (): void => {
    out.push(...paginate(keys, vals, sizes));
    keys = [];
    vals = [];
  };
  tree.forEachLeaf((page, k, v) => {
    if (page) {
      flush();
      const p = page as ArrayPage;
      out.push({ firstKey: p.keys[0], firstVal: p.vals[0], page: p });
    } else {
      keys.push(...(k as number[]));
      vals.push(...(v as number[]));
    }
  });
  flush();
  return out;
}

type TreeOp =
  | { t: 'set'; k: number; v: number }
  | { t: 'del'; k: number }
  | { t: 'get'; k: number }
  | { t: 'range'; lo: number; hi: number; reverse: boolean }
  | { t: 'snap' }
  | { t: 'checkpoint' };

const treeOp: fc.Arbitrary<TreeOp> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      t: fc.constant('set' as const),
      k: fc.integer({ min: 0, max: 300 }),
      v: fc.nat(1000),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({ t: fc.constant('del' as const), k: fc.integer({ min: 0, max: 300 }) }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ t: fc.constant('get' as const), k: fc.integer({ min: -1, max: 301 }) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant('range' as const),
      lo: fc.integer({ min: 0, max: 300 }),
      hi: fc.integer({ min: 0, max: 300 }),
      reverse: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ t: 'snap' as const }) },
  { weight: 1, arbitrary: fc.constant({ t: 'checkpoint' as const }) },
);

function sortedModel(model: Map<number, number>): [number[], number[]] {
  const keys = [...model.keys()].sort((a, b) => a - b);
  return [keys, keys.map((k) => model.get(k) as number)];
}

describe('paged B+tree (cold leaves) against a model', () => {
  test('unique mode: inserts, deletes, snapshots and checkpoints agree with a Map', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 300 }), { maxLength: 200 }),
        fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 4, max: 8 }),
        fc.array(treeOp, { maxLength: 120 }),
        dirSizes,
        (initial, sizes, nodeSize, ops, dirs) => {
          const model = new Map<number, number>(initial.map((k) => [k, k * 10]));
          const [k0, v0] = sortedModel(model);
          const opts = { compare: compareValues as (a: number, b: number) => number, nodeSize };
          let tree = coldTree(paginate(k0, v0, sizes), dirs, opts);
          const snaps: {
            snap: ReturnType<BTree<number, number>['snapshot']>;
            expect: [number[], number[]];
          }[] = [];
          for (const op of ops) {
            switch (op.t) {
              case 'set':
                expect(tree.set(op.k, op.v)).toBe(model.get(op.k));
                model.set(op.k, op.v);
                break;
              case 'del':
                expect(tree.delete(op.k)).toBe(model.delete(op.k));
                break;
              case 'get':
                expect(tree.get(op.k)).toBe(model.get(op.k));
                break;
              case 'range': {
                const got = [...tree.entries({ lo: op.lo, hi: op.hi, reverse: op.reverse })].map(([k]) => k);
                const want = sortedModel(model)[0].filter((k) => k >= op.lo && k <= op.hi);
                expect(got).toEqual(op.reverse ? want.reverse() : want);
                break;
              }
              case 'snap':
                snaps.push({ snap: tree.snapshot(), expect: sortedModel(model) });
                break;
              case 'checkpoint':
                tree = coldTree(checkpointOf(tree, sizes), dirs, opts);
                break;
            }
            expect(tree.size).toBe(model.size);
          }
          const all = tree.toArrays();
          expect([all.keys, all.values]).toEqual(sortedModel(model));
          for (const { snap, expect: want } of snaps) {
            const got = snap.toArrays();
            expect([got.keys, got.values]).toEqual(want);
          }
        },
      ),
      { numRuns: 150, seed: 150215 },
    );
  });

  test('multi mode (secondary index entries): adds and deletes of (key, pk) pairs agree with a set', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 40 })), {
          maxLength: 150,
          selector: ([k, v]) => `${k}/${v}`,
        }),
        fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 4 }),
        fc.array(
          fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 40 }), fc.nat(9)),
          { maxLength: 120 },
        ),
        dirSizes,
        (initial, sizes, ops, dirs) => {
          const order = (a: [number, number], b: [number, number]): number => a[0] - b[0] || a[1] - b[1];
          const model = new Map(initial.map(([k, v]) => [`${k}/${v}`, [k, v] as [number, number]]));
          const sorted = (): [number, number][] => [...model.values()].sort(order);
          const start = sorted();
          const opts = {
            compare: compareValues as (a: number, b: number) => number,
            multi: true,
            valueCompare: compareValues as (a: number, b: number) => number,
            nodeSize: 4,
          };
          let tree = coldTree(
            paginate(
              start.map((e) => e[0]),
              start.map((e) => e[1]),
              sizes,
            ),
            dirs,
            opts,
          );
          for (const [add, k, v, other] of ops) {
            const id = `${k}/${v}`;
            if (add) {
              expect(tree.add(k, v)).toBe(!model.has(id));
              model.set(id, [k, v]);
            } else {
              expect(tree.delete(k, v)).toBe(model.delete(id));
            }
            if (other === 0) tree = coldTree(checkpointOf(tree, sizes), dirs, opts);
            const firstOfK = sorted().find((e) => e[0] === k);
            expect(tree.get(k)).toBe(firstOfK?.[1]);
          }
          const all = tree.toArrays();
          expect(all.keys.map((k, i) => [k, all.values[i]])).toEqual(sorted());
        },
      ),
      { numRuns: 150, seed: 150216 },
    );
  });

  test('a point get decodes one page, and a checkpoint of an untouched tree decodes none', () => {
    const keys = Array.from({ length: 10_000 }, (_, i) => i * 3);
    const pages = paginate(keys, keys, [100]);
    const tree = BTree.fromPages<number, number>(pages, {
      compare: compareValues as (a: number, b: number) => number,
    });
    const loads = (): number => pages.reduce((n, p) => n + (p.page as ArrayPage).loads, 0);
    expect(tree.coldLeaves()).toBe(100);
    expect(loads()).toBe(0);
    expect(tree.get(3 * 4321)).toBe(3 * 4321);
    expect(tree.get(3 * 4321 + 1)).toBeUndefined();
    expect(loads()).toBe(1);
    const again = checkpointOf(tree, [100]);
    expect(loads()).toBe(1);
    expect(again.map((p) => p.page)).toEqual(pages.map((p) => p.page));
    tree.set(5, 5);
    expect(
      checkpointOf(tree, [100]).filter((p) => !pages.some((q) => q.page === p.page)).length,
    ).toBeGreaterThan(0);
  });

  test('over directory pages: open reads none, a point get reads one directory page and one page', () => {
    const keys = Array.from({ length: 100_000 }, (_, i) => i * 3);
    const pages = paginate(keys, keys, [100]);
    const dirs = directories(pages, [50]);
    const tree = BTree.fromDirs<number, number>(dirs, {
      compare: compareValues as (a: number, b: number) => number,
    });
    const pageLoads = (): number => pages.reduce((n, p) => n + (p.page as ArrayPage).loads, 0);
    const dirLoads = (): number => dirs.reduce((n, d) => n + (d.dir as ArrayDir).loads, 0);
    expect(tree.size).toBe(100_000);
    expect(tree.coldDirectories()).toBe(20);
    expect(tree.coldLeaves()).toBe(0);
    expect([dirLoads(), pageLoads()]).toEqual([0, 0]);
    expect(tree.get(3 * 54_321)).toBe(3 * 54_321);
    expect([dirLoads(), pageLoads()]).toEqual([1, 1]);
    expect(tree.coldDirectories()).toBe(19);
    // A range across two directory pages reads both and the pages it covers, nothing else.
    expect([...tree.entries({ lo: 3 * 4_990, hi: 3 * 5_010 })].length).toBe(21);
    expect([dirLoads(), pageLoads()]).toEqual([3, 3]);
    // A checkpoint of it reads every directory page but no page: every page is pointed at again.
    const again = checkpointOf(tree, [100]);
    expect(again.map((p) => p.page)).toEqual(pages.map((p) => p.page));
    expect([dirLoads(), pageLoads()]).toEqual([20, 3]);
    // A write into a directory page not read yet reads it first, then its page.
    const other = BTree.fromDirs<number, number>(directories(pages, [50]), {
      compare: compareValues as (a: number, b: number) => number,
    });
    expect(other.set(3 * 70_000 + 1, 7)).toBeUndefined();
    expect(other.coldDirectories()).toBe(19);
    expect(other.get(3 * 70_000 + 1)).toBe(7);
    expect(other.size).toBe(100_001);
  });
});

type EngineOp =
  | { t: 'put'; ids: number[]; tag: string | null }
  | { t: 'del'; ids: number[] }
  | { t: 'checkpoint' }
  | { t: 'reopen' };

const ids = fc.array(fc.integer({ min: 0, max: 3 * PAGE_MAX_ENTRIES }), { minLength: 1, maxLength: 400 });
const engineOp: fc.Arbitrary<EngineOp> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ t: fc.constant('put' as const), ids, tag: fc.option(fc.constantFrom('a', 'b')) }),
  },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('del' as const), ids }) },
  { weight: 2, arbitrary: fc.constant({ t: 'checkpoint' as const }) },
  { weight: 2, arbitrary: fc.constant({ t: 'reopen' as const }) },
);

describe.each([64, 2])('paged checkpoints through the engine, directory pages of %d pages', (entries) => {
  const writerDefault = dirPolicy.entries;
  beforeAll(() => {
    dirPolicy.entries = entries;
  });
  afterAll(() => {
    dirPolicy.entries = writerDefault;
  });

  test('random puts, deletes, checkpoints and reopens: the reopened state equals the model', () => {
    fc.assert(
      fc.property(fc.array(engineOp, { minLength: 1, maxLength: 12 }), (ops) => {
        let engine = Engine.openMemory();
        engine.begin();
        engine.registerCollection(ITEM_SCHEMA);
        engine.commit();
        const model = new Map<number, string | null>();
        const check = (): void => {
          const state = engine.collection('items');
          if (!state) throw new Error('items missing');
          const keys = [...model.keys()].sort((a, b) => a - b);
          expect(state.pk.toArrays().keys).toEqual(keys);
          const tagged = keys.filter((k) => model.get(k) === 'a');
          const byTag = [
            ...(state.indexes[1].tree.entries({ lo: 'a', hi: 'a' }) as Iterable<[unknown, unknown]>),
          ];
          expect(byTag.map(([, pk]) => pk)).toEqual(tagged);
          for (const k of keys.slice(0, 5)) expect(engine.readRow(state.pk.get(k) as number)[0]).toBe(k);
        };
        for (const op of ops) {
          if (op.t === 'put' || op.t === 'del') {
            engine.begin();
            for (const id of op.ids) {
              if (op.t === 'put') {
                putItem(engine, id, op.tag);
                model.set(id, op.tag);
              } else if (model.has(id)) {
                deleteItem(engine, id);
                model.delete(id);
              }
            }
            engine.commit();
          } else if (op.t === 'checkpoint') {
            engine.checkpoint();
          } else {
            const bytes = engine.bytes();
            engine.close();
            engine = openBytes(bytes);
            expect(engine.recoveryReport.truncatedFrom).toBeNull();
          }
          check();
        }
        // A last checkpoint and a strict reopen read everything back from pages alone.
        engine.checkpoint();
        const bytes = engine.bytes();
        engine.close();
        engine = openBytes(bytes, { readOnly: true, recovery: 'strict' });
        expect(engine.recoveryReport.replayedTransactions).toBe(0);
        // Opened cold: at least one page per PAGE_MAX_ENTRIES rows, and one directory page per
        // dirPolicy.entries pages or fewer; nothing read yet but the directory page of a tree
        // that has only one (whose leaves are cold then).
        const pk = engine.collection('items')?.pk;
        const pages = Math.ceil(model.size / PAGE_MAX_ENTRIES);
        if (pages > entries) expect(pk?.coldDirectories()).toBeGreaterThanOrEqual(2);
        if ((pk?.coldDirectories() ?? 0) > 0) expect(pk?.coldLeaves()).toBe(0);
        else expect((pk?.coldLeaves() ?? 0) >= pages).toBe(true);
        check();
        expect(pk?.coldLeaves()).toBe(0);
        expect(pk?.coldDirectories()).toBe(0);
        expect(dumpState(engine)).toEqual(dumpState(openBytes(bytes, { readOnly: true })));
        engine.close();
      }),
      { numRuns: 25, seed: 150217 },
    );
  });
});

describe('a damaged directory page (layout 5)', () => {
  const writerDefault = dirPolicy.entries;
  afterAll(() => {
    dirPolicy.entries = writerDefault;
  });

  test('open reads no directory page; reads reaching the damaged one fail with CORRUPT naming it, others answer, verify reports it', () => {
    dirPolicy.entries = 2;
    const db = Database.openInMemory();
    db.registerCollection(
      'u',
      [
        { path: 'id', type: 'int64' },
        { path: 'name', type: 'string' },
      ],
      'id',
      [{ name: 'u_name', path: 'name', kind: 'unique' }],
    );
    db.transaction(() => {
      for (let i = 0; i < 3000; i++) db.insert('u', { id: i, name: `name-${String(i).padStart(5, '0')}` });
    });
    db.checkpoint();
    const bytes = db.storage.bytes();
    db.close();
    dirPolicy.entries = writerDefault;
    const { frame, payload: stored } = lastCheckpoint(bytes);
    const payload = stored as { collections: { pk: { dirs: Uint8Array[] } }[] };
    // Six pages of at most 512 rows: three directory pages of two pages each.
    const offsets = unpackColumn(payload.collections[0].pk.dirs[3], 0) as number[];
    expect(offsets).toHaveLength(3);
    // The last directory page (rows 2048 on): one byte flipped, its checksum now wrong; the
    // PAGES frame's own checksum made right again, so that only the page's can find it.
    const damaged = Buffer.from(bytes);
    damaged[offsets[2] + 3] ^= 0x40;
    const pages = listFrames(bytes).find((f) => f.kind === FrameKind.PAGES && f.offset < offsets[2]);
    if (!pages) throw new Error('no PAGES frame');
    const start = pages.offset + FRAME_HEADER_SIZE;
    damaged.writeUInt32LE(
      crc32c(damaged, start, start + pages.length, crc32c(damaged, pages.offset, pages.offset + 16)),
      pages.offset + 16,
    );
    const reader = Database.openSnapshotBytes(damaged);
    expect(reader.storage.recoveryReport.usedCheckpoint).toBe(true);
    expect(reader.get('u', 5)).toEqual({ id: 5, name: 'name-00005' });
    expect(reader.get('u', 1500)).toEqual({ id: 1500, name: 'name-01500' });
    expect(() => reader.get('u', 2999)).toThrow(
      expect.objectContaining({
        code: 'CORRUPT',
        message: expect.stringContaining(`index directory page at offset ${offsets[2]}`) as unknown,
      }),
    );
    // Still usable: the damage fails each read that reaches it, nothing else.
    expect(reader.get('u', 7)).toEqual({ id: 7, name: 'name-00007' });
    reader.close();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mv-dirpage-'));
    try {
      const file = path.join(dir, 'damaged.modelvault');
      fs.writeFileSync(file, damaged);
      // Reported against the checkpoint that names it, with the page's own offset in the reason.
      const report = verifyDatabaseFile(file);
      expect(report.problems).toEqual([
        {
          offset: frame.offset,
          reason: expect.stringContaining(
            `index directory page at offset ${offsets[2]}: checksum mismatch`,
          ) as unknown,
        },
      ]);
      fs.writeFileSync(file, bytes);
      expect(verifyDatabaseFile(file).problems).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('directory pages through reopen, checkpoint and compaction', () => {
  const writerDefault = dirPolicy.entries;
  afterAll(() => {
    dirPolicy.entries = writerDefault;
  });

  test('a file of directory pages reopens, takes a write and a checkpoint, compacts and verifies clean', () => {
    dirPolicy.entries = 2;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mv-dirpages-'));
    try {
      const file = path.join(dir, 'a.modelvault');
      const fields = [
        { path: 'id', type: 'int64' as const },
        { path: 'name', type: 'string' as const },
        { path: 'n', type: 'int64' as const },
      ];
      let db = Database.open(file);
      db.registerCollection('u', fields, 'id', [
        { name: 'u_name', path: 'name', kind: 'unique' },
        { name: 'u_n', path: 'n', kind: 'index' },
      ]);
      db.transaction(() => {
        for (let i = 0; i < 4000; i++) db.insert('u', { id: i, name: `n${(i * 7919) % 4000}`, n: i % 10 });
      });
      db.checkpoint();
      db.close();
      // Reopened: one row changed; the next checkpoint points again at every page it did not
      // change, through the directory pages it reads.
      db = Database.open(file);
      expect(db.get('u', 3999)).toEqual({ id: 3999, name: `n${(3999 * 7919) % 4000}`, n: 9 });
      db.insert('u', { id: 5, name: `n${(5 * 7919) % 4000}`, n: 42 });
      db.checkpoint();
      db.close();
      db = Database.open(file, { readOnly: true, recovery: 'strict' });
      expect(db.storage.recoveryReport.replayedTransactions).toBe(0);
      expect(db.collection('u').where('n', 42).all()).toEqual([
        { id: 5, name: `n${(5 * 7919) % 4000}`, n: 42 },
      ]);
      expect(db.collection('u').where('name', 'n17').count()).toBe(1);
      db.close();
      expect(verifyDatabaseFile(file).problems).toEqual([]);
      // Compaction copies the untouched index's pages out of directory pages into a new file.
      db = Database.open(file);
      db.compact();
      expect(db.collection('u').count()).toBe(4000);
      expect(db.collection('u').where('n', 9).count()).toBe(400);
      expect(
        db
          .collection('u')
          .orderBy('name')
          .limit(2)
          .all()
          .map((r) => r.name),
      ).toEqual(['n0', 'n1']);
      db.close();
      expect(verifyDatabaseFile(file).problems).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('an index untouched since the last checkpoint (layout 5)', () => {
  const writerDefault = dirPolicy.entries;
  afterAll(() => {
    dirPolicy.entries = writerDefault;
  });

  test('is stored again as it was: the next checkpoint reads none of its directory pages and writes none', () => {
    dirPolicy.entries = 2;
    const fields = [
      { path: 'id', type: 'int64' as const },
      { path: 'name', type: 'string' as const },
    ];
    let db = Database.openInMemory();
    db.registerCollection('a', fields, 'id', [{ name: 'a_name', path: 'name', kind: 'unique' }]);
    db.registerCollection('b', fields, 'id', []);
    db.transaction(() => {
      for (let i = 0; i < 3000; i++) db.insert('a', { id: i, name: `n${(i * 7919) % 3000}` });
    });
    db.checkpoint();
    const first = db.storage.bytes();
    db.close();
    /** The stored directory of a's index in the file's last checkpoint. */
    const indexDirectory = (bytes: Buffer): unknown =>
      (lastCheckpoint(bytes).payload as { collections: { indexes: { pages: unknown }[] }[] }).collections[0]
        .indexes[0].pages;
    const before = indexDirectory(first);
    // Six pages: three directory pages named by a root directory.
    expect(Array.isArray(before)).toBe(false);
    const loads = jest.spyOn(StoredDirPage.prototype, 'load');
    try {
      db = Database.openSnapshotBytes(first);
      db.insert('b', { id: 1, name: 'only b changes' });
      db.checkpoint();
      // The pk of `a` is read to be written again; its unique index, untouched, is not.
      const aIndexLoads = loads.mock.instances.filter(
        (d) => (d as unknown as StoredDirPage).rules.multi,
      ).length;
      expect(aIndexLoads).toBe(0);
      const second = db.storage.bytes();
      db.close();
      expect(indexDirectory(second)).toEqual(before);
      const again = Database.openSnapshotBytes(second);
      expect(again.collection('a').where('name', 'n17').count()).toBe(1);
      expect(again.collection('a').orderBy('name').limit(1).all()).toEqual([{ id: 0, name: 'n0' }]);
      expect(again.get('b', 1)).toEqual({ id: 1, name: 'only b changes' });
      again.close();
    } finally {
      loads.mockRestore();
    }
  });
});

describe('page sizes a checkpoint writes', () => {
  test('secondary-index pages hold at most INDEX_PAGE_MAX_ENTRIES, primary-key pages PAGE_MAX_ENTRIES', () => {
    // 4,096 rows, ids in a scrambled order: the primary key's pages hold 512 entries, the unique
    // sku index's (keys in another order than the ids) 128; few enough pages that both
    // directories stay inline, so every page is a cold leaf of the reopened tree.
    const n = 4096;
    let engine = Engine.openMemory();
    engine.begin();
    engine.registerCollection(ITEM_SCHEMA);
    engine.commit();
    engine.begin();
    for (let k = 0; k < n; k++) putItem(engine, (k * 2654435761) % 2 ** 32, 'a');
    engine.commit();
    engine.checkpoint();
    const bytes = engine.bytes();
    engine.close();
    engine = openBytes(bytes, { readOnly: true });
    const state = engine.collection('items');
    if (!state) throw new Error('items missing');
    expect(state.pk.coldDirectories()).toBe(0);
    expect(state.pk.coldLeaves()).toBe(n / PAGE_MAX_ENTRIES);
    const sku = state.indexes[0].tree;
    expect(sku.coldDirectories()).toBe(0);
    expect(sku.coldLeaves()).toBe(n / INDEX_PAGE_MAX_ENTRIES);
    expect(INDEX_PAGE_MAX_ENTRIES).toBeLessThan(PAGE_MAX_ENTRIES);
    // Every entry reads back (the pages decode to what was written).
    expect(sku.size).toBe(n);
    expect([...(sku.entries({}) as Iterable<[unknown, unknown]>)]).toHaveLength(n);
    engine.close();
  });
});
