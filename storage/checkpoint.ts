/**
 * Checkpoint payload codec (docs/format.md §4). A checkpoint persists the catalog and every
 * index tree as sorted parallel arrays, so open loads it and bulk-builds trees in O(n) instead of
 * replaying the log; row bodies stay where they are in the log.
 *
 *   checkpoint := { v: 1 | 2, txnId, nextCollectionId, collections: [collection...] }
 *   collection := { id, version, schema, versions?, pkKeys, pkLocs, indexes: [{ name, keys, pks }...] }
 *
 * Layout 1 (format 1.0) stores each array as a MessagePack array; layout 2 (format 1.1) stores
 * each as a packed column (storage/packed-column.ts), about 4× smaller and faster to load. Layout
 * 3 (format 1.2) stores each tree as checkpoint pages and a directory (storage/index-pages.ts):
 *
 *   collection := { id, version, schema, versions?, seq?, rows, pk: directory, indexes: [{ name, pages: directory }...] }
 *
 * so open reads the directories only and a leaf is decoded from its page on first touch. Layout 4
 * (format 1.3) is layout 3 with three more columns in each primary-key directory, naming the
 * column page of each page (storage/column-pages.ts). Layout 5 (format 1.4) moves each directory
 * into directory pages beside the pages and keeps only a root directory naming them here, so open
 * decodes a few entries per tree whatever the table's size. Layout 6 (format 1.6) is a light
 * checkpoint: layout 5 whose secondary indexes are those of an earlier full checkpoint (the base),
 * each marked `lag`, with `light: { at, from, txn, bytes }` naming that base; an index catches up
 * with the log between the two when it is first built (storage/index-lag.ts).
 */
import { BTree } from './btree';
import type { DirEntry, PageEntry } from './btree';
import type { ByteStore } from './byte-store';
import { compareValues } from './compare';
import { CollectionState, indexKeyCompare } from './collection-state';
import type { CollectionMeta, IndexSource, IndexState } from './collection-state';
import type { CollectionSchema, NormalizedIndex } from './schema/normalize';
import { indexPaths } from './schema/normalize';
import { readSequence } from './sequence';
import { isIntegerColumn, packColumn, unpackColumn } from './packed-column';
import { FormatError, InternalError } from '../src/errors';
import { isInt32, LOG_START } from './format';
import { encodeStoredViews, readStoredViews } from './sql-views';
import type { StoredView } from './sql-views';
import { encodeStoredStats, readStoredStats } from './sql-stats';
import type { TableStats } from './sql-stats';
import { INDEX_PAGE_MAX_ENTRIES, PAGE_MAX_ENTRIES, readDirectory, readRootDirectory } from './index-pages';
import { encodeHistory, readHistory } from './schema-history';
import type { EncodedDirectory, PageRules, PageSource } from './index-pages';
import type { PageSink } from './page-sink';
import type { LeafCache } from './leaf-cache';
import type { ColumnWriter } from './column-pages';

export interface CheckpointData {
  txnId: number;
  nextCollectionId: number;
  /** SQLite's user_version (absent from checkpoints written before it existed: 0). */
  userVersion: number;
  /** SQL views (absent from checkpoints written before views existed: none). */
  sqlViews: readonly StoredView[];
  /** ANALYZE's figures (absent from checkpoints written before ANALYZE existed: none). */
  sqlStats: readonly TableStats[];
  collections: CollectionState[];
  /** The layout read (read only). */
  layout?: CheckpointLayout;
  /** A light checkpoint's base (layout 6, read only): where its lagging indexes stand. */
  light?: LightBase;
}

/** CheckpointBase without the directories (a light checkpoint's payload holds them itself). */
export type LightBase = Omit<CheckpointBase, 'dirs'>;

/** A column as stored: a MessagePack array (layout 1) or a packed column (layout 2). */
type EncodedColumn = unknown[] | Uint8Array;

interface EncodedIndex {
  name: string;
  keys: EncodedColumn;
  pks: EncodedColumn;
}

interface EncodedCollection {
  id: number;
  version: number;
  schema: CollectionSchema;
  pkKeys: EncodedColumn;
  pkLocs: EncodedColumn;
  /** AUTOINCREMENT collections: the largest key ever written (absent in older files). */
  seq?: number | bigint;
  /** The schema version history (absent in older files and when nothing was recorded). */
  versions?: [number, number, string][];
  indexes: EncodedIndex[];
}

/**
 * Layout 1 is written only into format 1.0 files and layout 2 only into format 1.1 files, which
 * older readers must keep opening; layout 3 was written into format 1.2 files, and layout 4 into
 * format 1.3 files (a 1.2 file becomes one at its first checkpoint).
 */
export type CheckpointLayout = 1 | 2 | 3 | 4 | 5 | 6;

/**
 * The full checkpoint a light one (layout 6) leaves the secondary indexes at: where its frame is,
 * where the log it does not cover starts, its transaction id, the bytes it wrote (pages and
 * frame: the spacing rule's measure), and each collection's index directories as it stored them.
 */
export interface CheckpointBase {
  at: number;
  from: number;
  txnId: number;
  bytes: number;
  dirs: ReadonlyMap<number, ReadonlyMap<string, unknown>>;
}

/**
 * How a lagging index catches up (layout 6): `tree` holds the base's entries; the hook applies
 * the changes the log between the base and the light checkpoint made to collection `collectionId`.
 */
export type LagHook = (collectionId: number, ix: IndexState, tree: BTree<unknown, unknown>) => void;

/** Each collection's index directories in a layout-5 or 6 payload as written or read (unchecked). */
export function indexDirectories(payload: unknown): Map<number, Map<string, unknown>> {
  const out = new Map<number, Map<string, unknown>>();
  const collections = isRecord(payload) ? payload.collections : undefined;
  if (!Array.isArray(collections)) return out;
  for (const c of collections as unknown[]) {
    if (!isRecord(c) || typeof c.id !== 'number' || !Array.isArray(c.indexes)) continue;
    const dirs = new Map<string, unknown>();
    for (const ix of c.indexes as unknown[])
      if (isRecord(ix) && typeof ix.name === 'string') dirs.set(ix.name, ix.pages);
    out.set(c.id, dirs);
  }
  return out;
}

/** The column page writer of a collection's primary-key pages (layout 4), or null for none. */
export type ColumnWriters = (c: CollectionState) => ColumnWriter | null;

/** The `versions` key of a collection entry: written only when there is a history (older readers ignore it). */
function historyKey(c: CollectionState): { versions?: [number, number, string][] } {
  const history = c.meta.history;
  return history && history.length > 0 ? { versions: encodeHistory(history) } : {};
}

/** Page rules of the primary-key tree (values are row locations). */
const PK_RULES: PageRules = { compare: compareValues, multi: false, width: 1, locations: true };

function indexRules(def: NormalizedIndex | undefined): PageRules {
  return {
    compare: indexKeyCompare(def),
    multi: true,
    width: def ? indexPaths(def).length : 1,
    locations: false,
  };
}

/**
 * Layout 3: the catalog with a page directory per tree; the pages go into `sink`, which also
 * keeps each tree's pages for BTree.adoptPages once the checkpoint is published.
 * `light`: a light checkpoint (layout 6): the primary-key trees as now, the secondary indexes as
 * `light` stored them, marked lagging (their trees are neither walked nor written).
 */
function pagedPayload(
  data: CheckpointData,
  sink: PageSink,
  layout: 3 | 4 | 5,
  columns: ColumnWriters | null,
  light: CheckpointBase | null,
): unknown {
  const directory = (
    tree: BTree<unknown, unknown>,
    rules: PageRules,
    writer?: ColumnWriter | null,
  ): EncodedDirectory =>
    sink.directory(
      (visit) => tree.forEachLeaf(visit, true),
      { tree, rules },
      writer,
      rules.locations ? PAGE_MAX_ENTRIES : INDEX_PAGE_MAX_ENTRIES,
    );
  return {
    v: light ? 6 : layout,
    ...(light ? { light: { at: light.at, from: light.from, txn: light.txnId, bytes: light.bytes } } : {}),
    txnId: data.txnId,
    nextCollectionId: data.nextCollectionId,
    ...(data.userVersion === 0 ? {} : { userVersion: data.userVersion }),
    ...(data.sqlViews.length === 0 ? {} : { views: encodeStoredViews(data.sqlViews) }),
    ...(data.sqlStats.length === 0 ? {} : { stats: encodeStoredStats(data.sqlStats) }),
    collections: data.collections.map((c) => ({
      id: c.meta.id,
      version: c.meta.version,
      schema: c.meta.schema,
      ...historyKey(c),
      ...(c.seq === null ? {} : { seq: c.seq }),
      rows: c.pk.size,
      // A light checkpoint builds no column page (null: its new pages get none, pages pointed at
      // again keep theirs): reading the changed pages' rows for their columns was most of its
      // time after random writes (0.4-0.65 s of a commit at 1M rows). The next full checkpoint
      // gives every page pointed at again that lacks one its column page.
      pk: directory(
        c.pk as BTree<unknown, unknown>,
        PK_RULES,
        layout >= 4 ? (light ? null : (columns?.(c) ?? null)) : undefined,
      ),
      indexes: c.indexes.map((ix) => {
        if (light) {
          const base = light.dirs.get(c.meta.id)?.get(ix.def.name);
          if (base === undefined)
            throw new InternalError(`light checkpoint without a base for ${ix.def.name}`);
          return { name: ix.def.name, pages: base, lag: true };
        }
        // An index nobody touched since the checkpoint points at its pages again, unbuilt: in
        // layout 5 by storing its directory again as it is (its pages and directory pages are in
        // this file), else through a directory of its pages. A lagging one (of a light
        // checkpoint) is not what its pages hold: it is built, caught up, and written.
        const pending = ix.packed;
        const stored = pending?.stored;
        const pages =
          layout === 5 && stored && !stored.lagging && sink.writesInto(stored.store)
            ? stored.directory
            : pending?.forEachPage && !stored?.lagging
              ? sink.directory(
                  (visit) => pending.forEachPage?.(visit),
                  null,
                  undefined,
                  INDEX_PAGE_MAX_ENTRIES,
                )
              : directory(ix.tree, indexRules(ix.def));
        return { name: ix.def.name, pages };
      }),
    })),
  };
}

export function checkpointPayload(
  data: CheckpointData,
  layout: CheckpointLayout = 2,
  sink: PageSink | null = null,
  columns: ColumnWriters | null = null,
  light: CheckpointBase | null = null,
): unknown {
  if (layout >= 3) {
    if (!sink) throw new InternalError('checkpoint layouts 3 to 6 need a page sink');
    if (light && layout !== 5) throw new InternalError('a light checkpoint is layout 5 with lagging indexes');
    sink.twoLevel = layout === 5;
    return pagedPayload(data, sink, layout as 3 | 4 | 5, columns, light);
  }
  const column = layout === 2 ? packColumn : (values: unknown[]): unknown[] => values;
  return {
    v: layout,
    txnId: data.txnId,
    nextCollectionId: data.nextCollectionId,
    // Older readers ignore the key; written only when set so unchanged files keep their bytes.
    ...(data.userVersion === 0 ? {} : { userVersion: data.userVersion }),
    ...(data.sqlViews.length === 0 ? {} : { views: encodeStoredViews(data.sqlViews) }),
    ...(data.sqlStats.length === 0 ? {} : { stats: encodeStoredStats(data.sqlStats) }),
    collections: data.collections.map((c): EncodedCollection => {
      const pk = c.pk.toArrays();
      return {
        id: c.meta.id,
        version: c.meta.version,
        schema: c.meta.schema,
        ...historyKey(c),
        pkKeys: column(pk.keys),
        pkLocs: column(pk.values),
        ...(c.seq === null ? {} : { seq: c.seq }),
        indexes: c.indexes.map((ix) => {
          // An index nobody touched since the last checkpoint is copied over still packed.
          const packed = layout === 2 ? ix.packed : null;
          if (packed?.keys && packed.pks) return { name: ix.def.name, keys: packed.keys, pks: packed.pks };
          const arrays = ix.tree.toArrays();
          return { name: ix.def.name, keys: column(arrays.keys), pks: column(arrays.values) };
        }),
      };
    }),
  };
}

function bad(message: string, offset: number): FormatError {
  return new FormatError(`corrupt checkpoint: ${message}`, 'CORRUPT', { offset });
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Read one stored column of the given layout; null when it has the wrong shape. */
function readColumn(raw: unknown, layout: CheckpointLayout, offset: number): unknown[] | null {
  if (layout === 1) return Array.isArray(raw) ? raw : null;
  return raw instanceof Uint8Array ? unpackColumn(raw, offset) : null;
}

function readPair(
  a: unknown,
  b: unknown,
  layout: CheckpointLayout,
  offset: number,
): [unknown[], unknown[]] | null {
  const left = readColumn(a, layout, offset);
  const right = readColumn(b, layout, offset);
  return left && right && left.length === right.length ? [left, right] : null;
}

function isLocations(values: unknown[]): values is number[] {
  for (const v of values) if (!Number.isSafeInteger(v) || (v as number) < 0) return false;
  return true;
}

/*
 * Cross-checks a forged checkpoint (valid checksum, wrong content) must pass, chosen to be linear
 * and cheap on open: keys strictly ascending (a tree built from unsorted arrays answers lookups
 * and scans differently), every row location before the checkpoint itself (rows are written
 * before the checkpoint that lists them), and each index holding exactly one entry per row in
 * (key, primary key) order. Membership of each index's primary keys is not checked: that costs a
 * lookup per entry (issue 11, item 10).
 */
function strictlyAscending(keys: readonly unknown[]): boolean {
  for (let i = 1; i < keys.length; i++) if (compareValues(keys[i - 1], keys[i]) >= 0) return false;
  return true;
}

/** A composite index's keys are tuples with one value per column; a single-column index's are not. */
function keysShaped(keys: readonly unknown[], width: number): boolean {
  for (const k of keys)
    if (Array.isArray(k) !== width > 1 || (width > 1 && (k as unknown[]).length !== width)) return false;
  return true;
}

function entriesAscending(
  keys: readonly unknown[],
  pks: readonly unknown[],
  compare: (a: unknown, b: unknown) => number,
): boolean {
  for (let i = 1; i < keys.length; i++) {
    const c = compare(keys[i - 1], keys[i]);
    if (c > 0 || (c === 0 && compareValues(pks[i - 1], pks[i]) >= 0)) return false;
  }
  return true;
}

function locationsBefore(locs: readonly number[], end: number): boolean {
  for (const l of locs) if (l >= end) return false;
  return true;
}

function collectionState(
  meta: CollectionMeta,
  pk: BTree<unknown, number>,
  trees: Map<string, IndexSource>,
  seq: unknown,
  offset: number,
): CollectionState {
  try {
    const state = new CollectionState(meta, pk, trees);
    state.seq = readSequence(seq);
    return state;
  } catch (err) {
    throw new FormatError(
      `corrupt checkpoint: collection ${String(meta.id)} has an invalid schema`,
      'CORRUPT',
      {
        offset,
        cause: err,
      },
    );
  }
}

/** The definition of index `name` in a schema not validated yet (read defensively). */
function indexDefIn(schema: Record<string, unknown>, name: unknown): NormalizedIndex | undefined {
  const defs: unknown = schema.indexes;
  const found: unknown = Array.isArray(defs)
    ? defs.find((d: unknown) => isRecord(d) && d.name === name)
    : undefined;
  return isRecord(found) && Array.isArray(found.path) ? (found as unknown as NormalizedIndex) : undefined;
}

/**
 * The root directory of a layout-5 tree stored as directory pages (`{ dirs }`), or null for a
 * directory stored whole (an array, as in layouts 3 and 4: a tree of at most 64 pages).
 */
function rootOf(stored: unknown): unknown {
  return isRecord(stored) ? (stored.dirs ?? null) : null;
}

/**
 * Layout 3–5 trees: cold trees over the page directories; nothing but the directories is decoded
 * (layout 5: the root directories, each directory page being read when a descent reaches it).
 */
function pagedTrees(
  raw: Record<string, unknown>,
  schema: Record<string, unknown>,
  source: PageSource,
  offset: number,
  cache: LeafCache | null,
  layout: 3 | 4 | 5,
  lag: LagHook | null,
): { pk: BTree<unknown, number>; trees: Map<string, IndexSource> } {
  const { rows, pk: pkDir, indexes } = raw;
  if (!Number.isSafeInteger(rows) || (rows as number) < 0 || !Array.isArray(indexes))
    throw bad('collection header', offset);
  const pkColumns = layout >= 4 ? (raw.id as number) : null;
  const pkOptions = { compare: compareValues, cache };
  const pkDirs = layout === 5 ? rootOf(pkDir) : null;
  const pk =
    pkDirs !== null
      ? BTree.fromDirs<unknown, number>(
          readRootDirectory(pkDirs, source, PK_RULES, rows as number, offset, pkColumns) as DirEntry<
            unknown,
            number
          >[],
          pkOptions,
        )
      : BTree.fromPages<unknown, number>(
          readDirectory(pkDir, source, PK_RULES, rows as number, offset, pkColumns) as PageEntry<
            unknown,
            number
          >[],
          pkOptions,
        );
  const trees = new Map<string, IndexSource>();
  for (const ix of indexes as unknown[]) {
    if (!isRecord(ix) || typeof ix.name !== 'string') throw bad('index directory', offset);
    const def = indexDefIn(schema, ix.name);
    const rules = indexRules(def);
    const options = { compare: rules.compare, multi: true, valueCompare: compareValues, cache };
    // A partial index (one with SQL text may be) holds at most one entry per row.
    const partial = def?.sql !== undefined;
    const root = layout === 5 ? rootOf(ix.pages) : null;
    // A lagging index (layout 6) holds the base checkpoint's entries, so any count of them may
    // stand for this checkpoint's rows: the directory's entry count is not checked against them.
    const lagging = ix.lag === true;
    if (ix.lag !== undefined && (!lagging || lag === null)) throw bad('index lag mark', offset);
    const count = lagging ? null : (rows as number);
    if (lagging) {
      const directory = (): DirEntry<unknown, unknown>[] | PageEntry<unknown, unknown>[] =>
        root !== null
          ? readRootDirectory(root, source, rules, null, offset, null, partial)
          : readDirectory(ix.pages, source, rules, null, offset, null, partial);
      const id = raw.id as number;
      trees.set(ix.name, {
        stored: { directory: ix.pages, store: source.store, lagging: true },
        build: (state: IndexState) => {
          const dir = directory();
          const tree =
            root !== null
              ? BTree.fromDirs<unknown, unknown>(dir as DirEntry<unknown, unknown>[], options)
              : BTree.fromPages<unknown, unknown>(dir as PageEntry<unknown, unknown>[], options);
          (lag as LagHook)(id, state, tree);
          return tree;
        },
      });
      continue;
    }
    if (root !== null) {
      // Like a layout-2 index, the directory is read only when the index is first used (or copied).
      let dirs: DirEntry<unknown, unknown>[] | null = null;
      const directory = (): DirEntry<unknown, unknown>[] =>
        (dirs ??= readRootDirectory(root, source, rules, count as number, offset, null, partial));
      trees.set(ix.name, {
        forEachPage: (visit) => {
          for (const d of directory()) for (const p of d.dir.load()) visit(p.page, null, null);
        },
        build: () => BTree.fromDirs<unknown, unknown>(directory(), options),
        stored: { directory: ix.pages, store: source.store },
      });
      continue;
    }
    let pages: PageEntry<unknown, unknown>[] | null = null;
    const directory = (): PageEntry<unknown, unknown>[] =>
      (pages ??= readDirectory(ix.pages, source, rules, rows as number, offset, null, partial));
    trees.set(ix.name, {
      forEachPage: (visit) => {
        for (const p of directory()) visit(p.page, null, null);
      },
      build: () => BTree.fromPages<unknown, unknown>(directory(), options),
      // A layout-5 directory stored inline names at most 64 pages: stored again as it is. One of
      // layouts 3 and 4 may name thousands, which layout 5 keeps in directory pages.
      ...(layout === 5 ? { stored: { directory: ix.pages, store: source.store } } : {}),
    });
  }
  return { pk, trees };
}

/**
 * Rebuild collection states from a decoded payload; every shape defect is a FormatError. `store`
 * holds the pages of a layout-3 checkpoint (read later, as the trees are touched), and `cache`
 * bounds how many of them stay decoded.
 */
export function loadCheckpoint(
  payload: unknown,
  offset: number,
  store: ByteStore | null = null,
  cache: LeafCache | null = null,
  /** How lagging indexes catch up (layout 6); null: a light checkpoint is refused. */
  lag: LagHook | null = null,
): CheckpointData {
  if (
    !isRecord(payload) ||
    (payload.v !== 1 &&
      payload.v !== 2 &&
      payload.v !== 3 &&
      payload.v !== 4 &&
      payload.v !== 5 &&
      payload.v !== 6)
  )
    throw bad('unknown layout', offset);
  const layout: CheckpointLayout = payload.v;
  const light = layout === 6 ? readLight(payload, offset) : null;
  if (layout === 6 && lag === null) throw bad('a light checkpoint where a full one is needed', offset);
  const { txnId, nextCollectionId, collections } = payload;
  const userVersion = payload.userVersion ?? 0;
  const sqlViews = payload.views === undefined ? [] : readStoredViews(payload.views);
  const sqlStats = payload.stats === undefined ? [] : readStoredStats(payload.stats);
  if (
    sqlViews === null ||
    sqlStats === null ||
    !isInt32(userVersion) ||
    !Number.isSafeInteger(txnId) ||
    !Number.isSafeInteger(nextCollectionId) ||
    !Array.isArray(collections)
  ) {
    throw bad('bad fields', offset);
  }
  const states = collections.map((raw: unknown) => {
    if (!isRecord(raw)) throw bad('collection entry is not a map', offset);
    const { id, version, schema, pkKeys, pkLocs, indexes } = raw;
    if (!Number.isSafeInteger(id) || !Number.isSafeInteger(version) || !isRecord(schema)) {
      throw bad('collection header', offset);
    }
    const history = raw.versions === undefined ? [] : readHistory(raw.versions, version as number);
    if (history === null) throw bad('schema version history', offset);
    const meta: CollectionMeta = {
      id: id as number,
      version: version as number,
      schema: schema as unknown as CollectionSchema,
      ...(history.length > 0 ? { history } : {}),
    };
    if (layout >= 3) {
      if (!store) throw new InternalError('a paged checkpoint needs the file its pages are in');
      const source = { store, limit: offset };
      const paged = layout === 6 ? 5 : (layout as 3 | 4 | 5);
      const { pk, trees } = pagedTrees(raw, schema, source, offset, cache, paged, light ? lag : null);
      return collectionState(meta, pk, trees, raw.seq, offset);
    }
    const pkPair = readPair(pkKeys, pkLocs, layout, offset);
    // A packed integer column holds safe integers by construction; a wrong location still fails its
    // frame checksum when the row is read.
    const locsChecked = pkLocs instanceof Uint8Array && isIntegerColumn(pkLocs);
    if (!pkPair || !(locsChecked || isLocations(pkPair[1])) || !Array.isArray(indexes))
      throw bad('primary key arrays', offset);
    if (!strictlyAscending(pkPair[0])) throw bad('primary keys out of order', offset);
    if (!locationsBefore(pkPair[1] as number[], offset))
      throw bad('a row location past the checkpoint', offset);
    const rowCount = pkPair[0].length;
    const pk = BTree.fromSorted<unknown, number>(pkPair[0], pkPair[1] as number[], {
      compare: compareValues,
    });
    const trees = new Map<string, IndexSource>();
    for (const ix of indexes as unknown[]) {
      if (!isRecord(ix) || typeof ix.name !== 'string') throw bad('index arrays', offset);
      const { keys, pks } = ix;
      // The schema is checked when the collection state is built below; read it defensively here.
      const def = indexDefIn(schema, ix.name);
      const width = def ? indexPaths(def).length : 1;
      const compare = indexKeyCompare(def);
      const build = (): BTree<unknown, unknown> => {
        const pair = readPair(keys, pks, layout, offset);
        if (!pair) throw bad(`index ${String(ix.name)} arrays`, offset);
        // A partial index (one with SQL text may be) holds at most one entry per row.
        if (def?.sql !== undefined ? pair[0].length > rowCount : pair[0].length !== rowCount)
          throw bad(`index ${String(ix.name)} has ${pair[0].length} entries for ${rowCount} rows`, offset);
        if (!keysShaped(pair[0], width))
          throw bad(`index ${String(ix.name)} keys have the wrong shape`, offset);
        if (!entriesAscending(pair[0], pair[1], compare))
          throw bad(`index ${String(ix.name)} entries out of order`, offset);
        return BTree.fromSorted<unknown, unknown>(pair[0], pair[1], {
          compare,
          multi: true,
          valueCompare: compareValues,
        });
      };
      // Layout 2 keeps an index packed until first use (its frame's checksum already held);
      // layout-1 arrays are decoded anyway, so their trees are built at once.
      if (layout === 2 && keys instanceof Uint8Array && pks instanceof Uint8Array)
        trees.set(ix.name, { keys, pks, build });
      else trees.set(ix.name, build());
    }
    return collectionState(meta, pk, trees, raw.seq, offset);
  });
  return {
    txnId: txnId as number,
    nextCollectionId: nextCollectionId as number,
    userVersion,
    sqlViews,
    sqlStats,
    collections: states,
    layout,
    ...(light ? { light } : {}),
  };
}

/** A light checkpoint's base (layout 6): before the checkpoint, and its log range in order. */
function readLight(payload: Record<string, unknown>, offset: number): LightBase {
  const light = payload.light;
  if (!isRecord(light)) throw bad('light checkpoint without its base', offset);
  const { at, from, txn, bytes } = light;
  if (
    !Number.isSafeInteger(at) ||
    !Number.isSafeInteger(from) ||
    !Number.isSafeInteger(txn) ||
    !Number.isSafeInteger(bytes) ||
    (at as number) < LOG_START ||
    (at as number) >= (from as number) ||
    (from as number) > offset ||
    (bytes as number) < 0 ||
    (txn as number) < 0 ||
    (txn as number) > (payload.txnId as number)
  )
    throw bad('light checkpoint base', offset);
  return { at: at as number, from: from as number, txnId: txn as number, bytes: bytes as number };
}
