/**
 * The compacted copy of a committed view, written straight into an empty byte store: no engine,
 * no per-row tree insert, one sync.
 *
 *   1. The settings (user_version, views, ANALYZE figures), every collection's catalog entry
 *      (id, schema version, history) and AUTOINCREMENT sequence, at the start of the first
 *      transaction.
 *   2. The live records of all collections in source-file order — each copied as bytes, so the
 *      source is read and the copy written sequentially — in transactions of ROWS_PER_TXN frames.
 *   3. One checkpoint: the primary-key tree built bottom-up from (key, new location) in key order
 *      (BTree.fromSorted); each secondary index's pages cut straight from the source index's
 *      leaves, already in (key, primary key) order, without building a tree. The source was
 *      valid, so nothing is re-checked for uniqueness: the copy has exactly its entries.
 *   4. The superblock that publishes the checkpoint, then one sync.
 *
 * The destination is private to the compaction until it is complete and synced (a temp file,
 * renamed by the caller), so ordering syncs inside it would buy nothing.
 *
 * Memory: every primary key with its old and new location (16 B per row in arrays, plus the keys
 * themselves), 24 B per row more when rows are not in key order (the sort), the key-ordered
 * primary-key trees the checkpoint is cut from (about as much again as the arrays), and the
 * checkpoint's pages until they are written (the size of the PAGES frame, as for any
 * checkpoint). Secondary indexes stream page by page. docs/performance.md gives the figures.
 */
import { lowerBound } from './sorted-search';
import { BTree } from './btree';
import type { BTreeSnapshot, LeafPage } from './btree';
import type { ByteStore } from './byte-store';
import { encodePayload } from './codec';
import { compareValues } from './compare';
import { checkpointPayload } from './checkpoint';
import { columnWriter } from './column-pages';
import { CollectionState, indexKeyCompare } from './collection-state';
import type { CollectionView, IndexSource, PackedIndex } from './collection-state';
import { encodeHeader, encodeSuperblock } from './header';
import { PageSink } from './page-sink';
import {
  CatalogOp,
  FRAME_FLAG_IGNORABLE,
  FRAME_HEADER_SIZE,
  FrameKind,
  LOG_START,
  SUPERBLOCK_OFFSETS,
} from './format';
import { FrameWindow, LogWriter } from './record-copier';
import type { ReadView } from './row-reader';
import { encodeHistory } from './schema-history';
import { encodeStoredStats } from './sql-stats';
import { encodeStoredViews } from './sql-views';
import type { NormalizedIndex } from './schema/normalize';

/** What a copy did (tests count work with it; the compaction trace reports the bytes). */
export interface CopyStats {
  /** Size of the new file. */
  bytes: number;
  /** Records copied. */
  rows: number;
  /** Bytes read from the source for the records. */
  sourceBytesRead: number;
}

/** Write the compacted copy of `view` into `out` (an empty store) and sync it. */
export function writeCompactedCopy(view: ReadView, out: ByteStore): CopyStats {
  const init = Buffer.alloc(LOG_START);
  encodeHeader().copy(init, 0);
  encodeSuperblock({
    generation: 0,
    checkpointOffset: 0,
    checkpointLength: 0,
    checkpointTxnId: 0,
    replayFrom: LOG_START,
  }).copy(init, SUPERBLOCK_OFFSETS[0]);
  out.writeAt(init, 0);

  const log = new LogWriter(out);
  const colls = [...view.collections.values()];
  writeCatalog(log, view, colls);
  const source = new FrameWindow(view.store);
  const gathered = colls.map(gather);
  copyRecords(log, source, gathered);
  let rows = 0;
  // Each tree holds what the checkpoint needs: the arrays go (shift) before the pages are cut.
  const states: CollectionState[] = [];
  for (let g = gathered.shift(); g; g = gathered.shift()) {
    rows += g.keys.length;
    states.push(stateOf(g));
  }
  log.finishTxn();
  log.flush();

  const txnId = log.lastTxnId;
  const pagesAt = log.position;
  // The pages stream into the file behind the PAGES frame's header, written once they are all out.
  const sink = new PageSink(out, pagesAt + FRAME_HEADER_SIZE, false, true);
  const payload = encodePayload(
    checkpointPayload(
      {
        txnId,
        nextCollectionId: colls.reduce((next, c) => Math.max(next, c.meta.id + 1), 1),
        userVersion: view.userVersion,
        sqlViews: view.sqlViews ?? [],
        sqlStats: view.sqlStats ?? [],
        collections: states,
      },
      5,
      sink,
      (c) => columnWriter(out, pagesAt, c, true),
    ),
  );
  const pages = sink.finish();
  if (pages.length > 0) log.headerFor(FrameKind.PAGES, txnId, pages.length, pages.crc, FRAME_FLAG_IGNORABLE);
  const checkpointAt = log.standalone(FrameKind.CHECKPOINT, txnId, payload);
  const end = log.position;
  out.writeAt(
    encodeSuperblock({
      generation: 1,
      checkpointOffset: checkpointAt,
      checkpointLength: end - checkpointAt,
      checkpointTxnId: txnId,
      replayFrom: end,
    }),
    SUPERBLOCK_OFFSETS[1],
  );
  out.sync();
  return { bytes: end, rows, sourceBytesRead: source.bytesRead };
}

/** The first transaction's start: settings, then each collection's catalog entry and sequence. */
function writeCatalog(log: LogWriter, view: ReadView, colls: readonly CollectionView[]): void {
  const settings =
    view.userVersion !== 0 || (view.sqlViews?.length ?? 0) > 0 || (view.sqlStats?.length ?? 0) > 0;
  // An empty database has no transaction at all, as an engine leaves none for nothing written.
  if (!settings && colls.length === 0) return;
  log.begin();
  const meta = (body: unknown): void => log.frame(FrameKind.META, body, FRAME_FLAG_IGNORABLE, false);
  if (view.userVersion !== 0) meta({ userVersion: view.userVersion });
  if (view.sqlViews && view.sqlViews.length > 0) meta({ views: encodeStoredViews(view.sqlViews) });
  if (view.sqlStats && view.sqlStats.length > 0) meta({ stats: encodeStoredStats(view.sqlStats) });
  for (const c of colls) {
    const body: unknown[] = [CatalogOp.PUT_COLLECTION, c.meta.id, c.meta.version, c.meta.schema];
    if (c.meta.history && c.meta.history.length > 0) body.push(encodeHistory(c.meta.history));
    log.frame(FrameKind.CATALOG, body);
    // The checkpoint carries the sequence; the log does too, for a reader that replays it.
    if (c.seq !== null) meta({ sequence: [c.meta.id, c.seq] });
  }
  // Left open: the first records join this transaction.
}

/** A collection's primary-key entries, in key order, and where its rows go in the copy. */
interface Gathered {
  readonly c: CollectionView;
  readonly keys: unknown[];
  readonly locs: number[];
  /** Filled by copyRecords: the new location of the row at locs[i]. */
  readonly newLocs: number[];
}

function gather(c: CollectionView): Gathered {
  const keys: unknown[] = [];
  const locs: number[] = [];
  forEachEntry(c.pk, (k, v) => {
    keys.push(k);
    locs.push(v);
  });
  return { c, keys, locs, newLocs: new Array<number>(keys.length) };
}

/**
 * Copy every live record, all collections together in source-file order, so that the source is
 * read in one sequential pass (each byte at most once) whatever order the keys and collections
 * have. When the rows already lie in key order collection after collection (a file written in key
 * order, or compacted before) they are copied as they come; otherwise the locations are sorted
 * once (a typed-array sort) and each row finds its new location by binary search.
 */
function copyRecords(log: LogWriter, source: FrameWindow, all: readonly Gathered[]): void {
  let total = 0;
  let ascending = true;
  let last = -1;
  for (const g of all) {
    total += g.locs.length;
    for (let i = 0; i < g.locs.length && ascending; i++) {
      ascending = g.locs[i] > last;
      last = g.locs[i];
    }
  }
  if (ascending) {
    for (const g of all) {
      const id = g.c.meta.id;
      for (let i = 0; i < g.locs.length; i++)
        g.newLocs[i] = log.record(source, source.recordAt(g.locs[i], id));
    }
    return;
  }
  const sorted = new Float64Array(total);
  let n = 0;
  for (const g of all) for (const loc of g.locs) sorted[n++] = loc;
  sorted.sort();
  // Where each row's location sits in file order, and whose row each sorted location is.
  const owner = new Uint32Array(total);
  const at: Int32Array[] = all.map((g) => {
    const pos = new Int32Array(g.locs.length);
    for (let i = 0; i < pos.length; i++) {
      pos[i] = lowerBound(sorted, g.locs[i]);
      owner[pos[i]] = g.c.meta.id;
    }
    return pos;
  });
  const moved = new Float64Array(total);
  for (let j = 0; j < total; j++) moved[j] = log.record(source, source.recordAt(sorted[j], owner[j]));
  all.forEach((g, k) => {
    const pos = at[k];
    for (let i = 0; i < pos.length; i++) g.newLocs[i] = moved[pos[i]];
  });
}

/** The copy's state of a collection: the primary-key tree over the new locations, each index standing on the source's. */
function stateOf(g: Gathered): CollectionState {
  const { c } = g;
  const pk = BTree.fromSorted<unknown, number>(g.keys, g.newLocs, { compare: compareValues });
  const indexes = new Map<string, IndexSource>();
  c.allIndexes.forEach((ix) => indexes.set(ix.def.name, streamedIndex(ix.def, ix.tree)));
  const state = new CollectionState({ ...c.meta }, pk, indexes);
  state.seq = c.seq;
  return state;
}

/** Visit every entry of `tree` in order, decoding cold leaves without warming them. */
function forEachEntry<K, V>(tree: BTreeSnapshot<K, V>, visit: (key: K, value: V) => void): void {
  tree.forEachLeaf((page, keys, vals) => {
    const entries = keys && vals ? { keys, vals } : (page as LeafPage<K, V>).load();
    for (let i = 0; i < entries.keys.length; i++) visit(entries.keys[i], entries.vals[i]);
  });
}

/** A leaf's entries as a page (the checkpoint writer reads pages through `load`). */
class EntriesPage implements LeafPage<unknown, unknown> {
  constructor(
    private readonly keys: unknown[],
    private readonly vals: unknown[],
  ) {}

  get count(): number {
    return this.keys.length;
  }

  load(): { keys: unknown[]; vals: unknown[] } {
    return { keys: this.keys, vals: this.vals };
  }
}

/**
 * An index of the copy as the source index's leaves: the checkpoint writer cuts its pages from
 * them in order (PackedIndex.forEachPage), so no tree is built; `build` is there for the
 * interface and builds one bottom-up.
 */
function streamedIndex(def: NormalizedIndex, tree: BTreeSnapshot<unknown, unknown>): PackedIndex {
  return {
    forEachPage(visit) {
      tree.forEachLeaf((page, keys, vals) =>
        visit(keys && vals ? new EntriesPage(keys, vals) : (page as LeafPage<unknown, unknown>), null, null),
      );
    },
    build() {
      const { keys, values } = tree.toArrays();
      return BTree.fromSorted(keys, values, {
        compare: indexKeyCompare(def),
        multi: true,
        valueCompare: compareValues,
      });
    },
  };
}
