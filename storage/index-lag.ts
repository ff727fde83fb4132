/**
 * Lagging secondary indexes of a light checkpoint (checkpoint layout 6, docs/format.md §4.5).
 *
 * A full checkpoint writes every index page changed since the last one; with application keys
 * (random UUIDs, emails) that is most pages of every unique index, so full checkpoints are spaced
 * in proportion to the file. A light checkpoint, written every few hundred KiB of log so a killed
 * writer's next open replays almost nothing, writes only the primary-key trees and leaves each
 * secondary index at the last full checkpoint (the base). Such an index catches up when it is
 * first built: its base tree, minus the entries of every row the log between the base and the
 * light checkpoint replaced or deleted, plus the entries of those rows' last versions. One scan of
 * that range finds, per collection, each touched primary key and where its last version is (or
 * that it was deleted); the replaced rows' old versions are found through the base's own
 * primary-key tree, whose pages stay in the file until a compaction (which writes a full one).
 *
 * No catalog change lies in the range: the writer writes a full checkpoint after one.
 */
import { BTree } from './btree';
import type { ByteStore } from './byte-store';
import type { LightBase } from './checkpoint';
import { rowOfState } from './collection-state';
import type { CollectionState, IndexState } from './collection-state';
import { compareValues } from './compare';
import { FRAME_HEADER_SIZE, FrameKind } from './format';
import { NOT_INDEXED } from './index-exprs';
import { scanLog } from './log-scan';
import { keyOrder } from './replay-indexes';
import { forEachRecordColumns } from './record-columns';
import { corruptAt, recordColumns } from './row-reader';
import { FormatError } from '../src/errors';

/** What the catch-up reads: the file, the range, and the engine's rows and catalog. */
export interface LagSource {
  readonly store: ByteStore;
  readonly base: LightBase;
  /** The light checkpoint's frame offset (the range ends there) and its transaction id. */
  readonly to: number;
  readonly toTxnId: number;
  /** The base checkpoint's primary-key tree of collection `id` (undefined: the base had none). */
  basePk(id: number): BTree<unknown, number> | undefined;
  /** The collection with id `id` now (undefined: dropped since). */
  stateOf(id: number): CollectionState | undefined;
  readRow(location: number): unknown[];
}

/** Counter for tests: scans of a lagging range. */
export const lagStats = { scans: 0 };

const NONE: readonly number[] = [];
/** A deleted row's last "location". */
const DELETED = -1;

/** One index's catch-up: entries to remove (base rows replaced or deleted), then a run to add. */
interface IndexDelta {
  delKeys: unknown[];
  delPks: unknown[];
  addKeys: unknown[];
  addPks: unknown[];
}

/** A light checkpoint's lagging indexes, caught up one at a time as each is first built. */
export class IndexLag {
  /** Per collection id: each touched primary key and its last location (DELETED). */
  private touched: Map<number, BTree<unknown, number>> | null = null;
  /** Per collection id, per index name: the catch-up not yet applied (computed for all at once). */
  private readonly deltas = new Map<number, Map<string, IndexDelta>>();
  /** Each collection's schema version at the light checkpoint (its range's rows have it). */
  private readonly versions = new Map<number, number>();

  constructor(private readonly src: LagSource) {}

  /** Note collection `id`'s schema version as the light checkpoint stored it (before any replay). */
  noteVersion(id: number, version: number): void {
    this.versions.set(id, version);
  }

  /** Bring `tree` (index `ix` of collection `collectionId`, holding the base's entries) up to date. */
  apply(collectionId: number, ix: IndexState, tree: BTree<unknown, unknown>): void {
    let byIndex = this.deltas.get(collectionId);
    if (byIndex === undefined) {
      byIndex = this.collectionDeltas(collectionId);
      this.deltas.set(collectionId, byIndex);
    }
    const delta = byIndex.get(ix.def.name);
    if (delta === undefined) return;
    byIndex.delete(ix.def.name);
    for (let i = 0; i < delta.delKeys.length; i++) tree.delete(delta.delKeys[i], delta.delPks[i]);
    const { addKeys, addPks } = delta;
    if (addKeys.length > 0) tree.addRun(addKeys, addPks, keyOrder(addKeys, tree.keyCompare));
  }

  /**
   * The catch-up of every index of collection `id`: the old entries of the base rows the range
   * replaced or deleted (rows read whole: they may predate an ADD COLUMN), and the entries of
   * each touched row's last version, read in file order with only the indexed columns decoded
   * when the rows are of the schema version the light checkpoint had (whole otherwise).
   */
  private collectionDeltas(id: number): Map<string, IndexDelta> {
    const out = new Map<string, IndexDelta>();
    const all = (this.touched ??= this.scan());
    const touched = all.get(id);
    all.delete(id);
    const state = this.src.stateOf(id);
    if (touched === undefined || state === undefined) return out;
    const indexes = state.indexes;
    const deltas = indexes.map((): IndexDelta => ({ delKeys: [], delPks: [], addKeys: [], addPks: [] }));
    indexes.forEach((ix, x) => out.set(ix.def.name, deltas[x]));
    const basePk = this.src.basePk(id);
    const finals: number[] = [];
    const finalPks: unknown[] = [];
    const cur = touched.cursor();
    while (cur.next()) {
      const pk = cur.key;
      const old = basePk?.get(pk);
      if (old !== undefined) {
        const row = rowOfState(state, this.src.readRow(old));
        indexes.forEach((ix, x) => {
          const key = ix.accessor.get(row) ?? null;
          if (key === NOT_INDEXED) return;
          deltas[x].delKeys.push(key);
          deltas[x].delPks.push(pk);
        });
      }
      if (cur.value !== DELETED) {
        finals.push(cur.value);
        finalPks.push(pk);
      }
    }
    const add = (i: number, row: readonly unknown[]): void => {
      indexes.forEach((ix, x) => {
        const key = ix.accessor.get(row) ?? null;
        if (key === NOT_INDEXED) return;
        deltas[x].addKeys.push(key);
        deltas[x].addPks.push(finalPks[i]);
      });
    };
    const columnsOnly = this.versions.get(id) === state.meta.version && !indexes.some((ix) => ix.special);
    if (!columnsOnly) {
      for (let i = 0; i < finals.length; i++) add(i, rowOfState(state, this.src.readRow(finals[i])));
      return out;
    }
    // In file order, each record's indexed columns only (storage/record-columns.ts).
    const order = Array.from(finals.keys()).sort((a, b) => finals[a] - finals[b]);
    const columns = [...new Set(indexes.flatMap((ix) => ix.columns.map((c) => c.column)))].sort(
      (a, b) => a - b,
    );
    forEachRecordColumns(
      this.src.store,
      order.map((i) => finals[i]),
      columns,
      state.compiled.columnCount,
      state.compiled.storedColumnChecks,
      (i, row) => add(order[i], row),
    );
    return out;
  }

  /** One pass over the range: each collection's touched primary keys and their last locations. */
  private scan(): Map<number, BTree<unknown, number>> {
    lagStats.scans++;
    const { store, base, to, toTxnId } = this.src;
    const out = new Map<number, BTree<unknown, number>>();
    const probe: unknown[] = [];
    const pkColumn: number[] = [0];
    const touchedOf = (id: number): BTree<unknown, number> => {
      let t = out.get(id);
      if (t === undefined) {
        t = new BTree<unknown, number>({ compare: compareValues });
        out.set(id, t);
      }
      return t;
    };
    const result = scanLog(
      boundedStore(store, to),
      base.from,
      base.txnId,
      (_txnId, frames) => {
        for (const frame of frames) {
          if (frame.kind === FrameKind.RECORD_PUT) {
            const chunk = frame.chunk as Buffer;
            const start = frame.payloadAt as number;
            const end = start + frame.size - FRAME_HEADER_SIZE;
            const id = recordColumns(chunk, start, end, NONE, probe, frame.offset);
            const state = this.src.stateOf(id);
            // A collection dropped since has no index left to catch up.
            if (state === undefined) continue;
            pkColumn[0] = state.compiled.pkColumn;
            recordColumns(chunk, start, end, pkColumn, probe, frame.offset);
            const pk = probe[pkColumn[0]];
            probe[pkColumn[0]] = undefined;
            if (pk === undefined) throw corruptAt(frame.offset, 'record row');
            touchedOf(id).set(pk, frame.offset);
          } else if (frame.kind === FrameKind.RECORD_DELETE) {
            const [id, pk] = frame.body as [unknown, unknown];
            if (typeof id !== 'number') throw corruptAt(frame.offset, 'delete record');
            if (this.src.stateOf(id) !== undefined) touchedOf(id).set(pk, DELETED);
          } else if (frame.kind === FrameKind.CATALOG) {
            throw corruptAt(frame.offset, 'catalog change between a light checkpoint and its base');
          }
        }
      },
      new Map(),
      true,
    );
    if (result.problem !== null || result.lastTxnId !== toTxnId)
      throw new FormatError(
        `corrupt checkpoint: the log between offsets ${base.from} and ${to} does not lead to transaction ${toTxnId}`,
        'CORRUPT',
        { offset: to },
      );
    return out;
  }
}

/** `store` as if it ended at `end` (read-only). */
function boundedStore(store: ByteStore, end: number): ByteStore {
  return {
    get size() {
      return Math.min(end, store.size);
    },
    readOnly: true,
    readInto: (target, offset, length, position) =>
      store.readInto(target, offset, Math.max(0, Math.min(length, end - position)), position),
    writeAt: () => {
      throw new FormatError('a log range is read-only', 'CORRUPT');
    },
    sync: () => undefined,
    truncate: () => {
      throw new FormatError('a log range is read-only', 'CORRUPT');
    },
    close: () => undefined,
  };
}
