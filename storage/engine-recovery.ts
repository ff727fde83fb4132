/**
 * Opening a file (storage/engine.ts explains the layers): superblocks, the checkpoint, replay of
 * the committed log after it, and where the log ends (I8); replay of catalog and settings frames.
 */
import { readStoredViews } from './sql-views';
import { readStoredStats } from './sql-stats';
import { readExact } from './byte-store';
import { decodePayload } from './codec';
import { parseFrameHeader, frameChecksumOk } from './frame';
import { decodeHeader, decodeSuperblock, encodeHeader, encodeSuperblock, superblockProblem } from './header';
import type { Superblock } from './header';
import {
  CatalogOp,
  FRAME_HEADER_SIZE,
  FrameKind,
  HEADER_SIZE,
  LOG_START,
  SUPERBLOCK_OFFSETS,
  SUPERBLOCK_SIZE,
  FORMAT_MINOR,
  isInt32,
} from './format';
import { findCommittedAfter, isZeroHeader, scanLog } from './log-scan';
import type { LogFrame, ScanResult, TailProblem } from './log-scan';
import { corruptAt, recordColumns } from './row-reader';
import { WriterLock } from './lock';
import { CollectionState, rowOfState, uniqueFailureText } from './collection-state';
import { NOT_INDEXED } from './index-exprs';
import type { CollectionMeta } from './collection-state';
import { indexDirectories, loadCheckpoint } from './checkpoint';
import { IndexLag } from './index-lag';
import type { BTree } from './btree';
import type { ByteStore } from './byte-store';
import { noteKey, readSequence } from './sequence';
import { readHistory } from './schema-history';
import { keyHasNull } from './compare';
import type { CollectionSchema } from './schema/normalize';
import type { NormalizedIndex } from './schema/normalize';
import { indexDesc } from './schema/normalize';
import { FormatError, IntegrityError } from '../src/errors';
import type { RecoveryMode } from './engine-types';
import { EngineRows } from './engine-rows';

/** See EngineRecovery.replayCacheRoom. */
const REPLAY_CACHE_BYTES = 64 * 1024;
/** Replayed records decoded whole, and held back with only their primary key (tests count these). */
export const replayRecordStats = { whole: 0, held: 0 };
/** readColumns asked for no column: the collection id only. */
const NO_COLUMNS: readonly number[] = [];

export abstract class EngineRecovery extends EngineRows {
  /**
   * Bytes of replayed rows that may still go into the row cache: unbounded for a live reader's
   * refresh (it reads what was just committed); for the open's replay, the first
   * REPLAY_CACHE_BYTES only — what a clean close leaves (at most 64 KiB) is cached whole. A killed
   * writer's tail, up to the replay limits (250,000 rows), would cost more heap and time than the
   * reads it might save: decoding 4 MiB of it for the cache was a sixth of such an open at 1M
   * rows, and past the cap its rows are not decoded at all (replayRecordPayload).
   */
  protected replayCacheRoom = Infinity;
  /** replayRecordPayload's scratch row and column list (all slots undefined between calls). */
  private readonly replayProbe: unknown[] = [];
  private readonly pkColumnScratch: number[] = [0];

  protected recover(mode: RecoveryMode): void {
    this.leafCache.holding = true;
    try {
      this.recoverNow(mode);
    } finally {
      this.leafCache.holding = false;
    }
  }

  private recoverNow(mode: RecoveryMode): void {
    const size = this.store.size;
    if (size === 0) {
      if (this.readOnly) throw new FormatError('file is empty: not a ModelVault database', 'BAD_MAGIC');
      this.initialize();
      return;
    }
    const header = readExact(this.store, 0, HEADER_SIZE);
    if (!header)
      throw new FormatError('file is too short to be a ModelVault database', 'BAD_MAGIC', { offset: 0 });
    this.fileMinor = decodeHeader(header).minor;
    if (size < LOG_START)
      throw new FormatError('file is cut off inside its superblocks', 'CORRUPT', { offset: size });

    const slots: Superblock[] = [];
    const rejected: string[] = [];
    for (const at of SUPERBLOCK_OFFSETS) {
      const sb = decodeSuperblock(readExact(this.store, at, SUPERBLOCK_SIZE));
      if (!sb) continue;
      const why = superblockProblem(sb, size);
      if (why === null) {
        slots.push(sb);
      } else {
        // A valid checksum over contradictory fields is still damage (I8): treated like a torn slot.
        this.recoveryReport.rejectedSuperblocks.push(at);
        rejected.push(`superblock at offset ${at} ignored: ${why}`);
      }
    }
    slots.sort((a, b) => b.generation - a.generation);
    if (slots.length === 0 && mode === 'strict') {
      const detail = rejected.length > 0 ? ` (${rejected.join('; ')})` : '';
      throw new FormatError(`both superblocks are damaged${detail}`, 'CORRUPT', {
        offset: SUPERBLOCK_OFFSETS[0],
      });
    }
    if (rejected.length > 0) this.recoveryReport.reason = rejected.join('; ');

    let replayFrom = LOG_START;
    const damaged = new Map<number, number>();
    let fellBack = false;
    for (const sb of slots) {
      if (sb.checkpointOffset === 0) {
        this.superblock = sb;
        break;
      }
      try {
        this.loadCheckpointAt(sb);
        this.superblock = sb;
        replayFrom = sb.replayFrom;
        this.recoveryReport.usedCheckpoint = true;
        break;
      } catch (err) {
        if (mode === 'strict' || !(err instanceof FormatError)) throw err;
        // autoTruncate: an older checkpoint or, failing all, a full replay still yields the committed state.
        fellBack = true;
        // Skip the frame by its recorded length only when its bytes are damaged: a well-formed
        // frame there (the superblock pointed at the wrong place) is read like any other.
        if (!this.readFrame(sb.checkpointOffset)) damaged.set(sb.checkpointOffset, sb.checkpointLength);
        this.resetState();
        this.superblock = {
          ...sb,
          checkpointOffset: 0,
          checkpointLength: 0,
          checkpointTxnId: 0,
          replayFrom: LOG_START,
        };
      }
    }

    // Replay may read rows of earlier frames; bound reads by the file until the good end is known.
    this.durableEnd = size;
    const report = this.recoveryReport;
    this.replayCacheRoom = REPLAY_CACHE_BYTES;
    let result: ScanResult;
    try {
      result = this.replayBatched(
        replayFrom,
        () =>
          scanLog(
            this.store,
            replayFrom,
            this.lastTxnId,
            (txnId, frames) => {
              this.applyCommitted(txnId, frames);
              report.replayedTransactions++;
              this.framesSinceCheckpoint += frames.length + 1;
            },
            damaged,
            true,
          ),
        true,
      );
    } finally {
      this.replayCacheRoom = Infinity;
    }
    this.lastTxnId = result.lastTxnId;
    this.durableEnd = result.goodEnd;
    this.logEndsMoved = result.endsMoved;
    // A read-only open racing a live writer (another process holds the lock) can see that
    // writer's append half done, and whole transactions appended after it while it looks: the
    // committed prefix is what a live reader sees, and refresh() picks up the rest. Only without a
    // live writer can a stop before the end of the file be damage.
    const inFlight =
      this.readOnly &&
      (result.problem !== null || this.store.size > result.goodEnd) &&
      this.liveWriterAppending();
    const problem = inFlight ? null : this.provenEnd(result, size);
    if (problem) {
      if (problem.committedAfter !== null) {
        if (mode === 'strict' || !this.readOnly)
          throw new FormatError(problem.message, 'CORRUPT', { offset: problem.at });
        // Read-only: nothing is cut, so the prefix is served in memory — the salvage route.
        this.recoveryReport.committedAfter = problem.committedAfter;
      } else if (mode === 'strict') {
        throw new FormatError(
          `${problem.message}; open with recovery 'autoTruncate' to cut the damaged tail`,
          problem.code,
          { offset: problem.offset },
        );
      }
      this.recoveryReport.truncatedFrom = result.goodEnd;
      this.recoveryReport.reason = problem.message;
      if (!this.readOnly) {
        this.verifyOwnership(null);
        this.store.truncate(result.goodEnd);
        this.store.sync();
      }
    } else if (!this.readOnly && this.store.size > result.goodEnd) {
      // Space a writer reserved and never used (it did not close cleanly): dropped, since a crash
      // may have left a partial append in it that a later strict reader would call damage.
      this.verifyOwnership(null);
      this.store.truncate(result.goodEnd);
      this.store.sync();
    }
    this.rebuildStaleIndexes();
    this.publishView();
    // A writer that had to fall back past a damaged checkpoint or superblocks repairs them, and one
    // that rebuilt indexes persists them, so the next open is fast again and needs no repair.
    if (this.readOnly) return;
    const rejectedSlots = this.recoveryReport.rejectedSuperblocks;
    if (fellBack || slots.length === 0 || (rejectedSlots.length > 0 && mode === 'autoTruncate')) {
      this.checkpoint();
      // A rejected slot left in place would be rejected, and repaired, again at every open.
      if (rejectedSlots.includes(SUPERBLOCK_OFFSETS[(this.superblock.generation + 1) % 2])) this.checkpoint();
      this.recoveryReport.reason ??= 'damaged checkpoint replaced';
    } else if (this.recoveryReport.rebuiltIndexes.length > 0) {
      this.checkpoint();
    }
  }

  /** Whether another process's live writer holds this file (so its tail may be mid-append). */
  private liveWriterAppending(): boolean {
    return this.path !== null && WriterLock.liveHolder(this.path) !== null;
  }

  /**
   * Where the scan stopped, unless it stopped at the end of the file; with `committedAfter` set
   * when a complete committed transaction follows the stop (damage inside the log, I8). A clean
   * stop before the end of the file is a zero header: the writer's reserved space, or a zeroed
   * block inside the log, which the same search tells apart.
   */
  private provenEnd(
    result: ScanResult,
    size: number,
  ): (TailProblem & { committedAfter: number | null }) | null {
    const { goodEnd, lastTxnId } = result;
    const problem: TailProblem | null =
      result.problem ??
      (size > goodEnd
        ? {
            code: 'CORRUPT',
            offset: goodEnd,
            at: goodEnd,
            searchFrom: goodEnd + 1,
            message: `zero bytes where a frame should start at offset ${goodEnd}`,
          }
        : null);
    if (!problem) return null;
    // A read-only engine may share the file with a live writer, which writes into its reserved
    // zeros: if the stop reads differently after the search, the writer appended there meanwhile
    // and what the search found is its new work, not damage. (A writer holds the lock: no one
    // else appends.)
    const readBefore = this.readOnly && result.problem !== null && this.readFrame(problem.at) !== null;
    const after = findCommittedAfter(this.store, problem.searchFrom, lastTxnId);
    const moved =
      after !== null &&
      this.readOnly &&
      (result.problem ? !readBefore && this.readFrame(problem.at) !== null : !this.zeroHeaderAt(goodEnd));
    if (after === null || moved) return result.problem ? { ...result.problem, committedAfter: null } : null;
    return {
      ...problem,
      committedAfter: after.offset,
      message:
        `${problem.message}, but committed transaction ${after.txnId} follows it at offset ` +
        `${after.offset}: this is damage inside the log, not a torn tail, and cutting it would ` +
        `destroy acknowledged commits, so the file was left as it is. To salvage: keep a copy of ` +
        `the file; open it with { readOnly: true, recovery: 'autoTruncate' } to read the ` +
        `transactions before offset ${goodEnd} and export them with exportSnapshot(); the ` +
        `transactions from offset ${after.offset} on stay readable only in the damaged file ` +
        `(docs/operations.md, Recovery playbook)`,
    };
  }

  private zeroHeaderAt(at: number): boolean {
    const head = readExact(this.store, at, FRAME_HEADER_SIZE);
    return head !== null && isZeroHeader(head);
  }

  private initialize(): void {
    this.fileMinor = FORMAT_MINOR;
    const init = Buffer.alloc(LOG_START);
    encodeHeader().copy(init, 0);
    encodeSuperblock(this.superblock).copy(init, SUPERBLOCK_OFFSETS[0]);
    this.verifyOwnership(null);
    this.store.writeAt(init, 0);
    this.store.sync();
    this.durableEnd = LOG_START;
    this.publishView();
  }

  protected resetState(): void {
    this.framesSinceCheckpoint = 0;
    this.lagBase = null;
    this.catalogSinceBase = false;
    this.checkpointIsLight = false;
    this.lastLightBytes = 0;
    this.collections = new Map();
    this.byId = new Map();
    this.nextCollectionId = 1;
    this.userVersion = 0;
    this.sqlViews = [];
    this.sqlStats = [];
    this.lastTxnId = 0;
  }

  private loadCheckpointAt(sb: Superblock): void {
    const at = sb.checkpointOffset;
    const frame = this.readFrame(at);
    if (
      !frame ||
      frame.kind !== FrameKind.CHECKPOINT ||
      FRAME_HEADER_SIZE + frame.payload.length !== sb.checkpointLength
    ) {
      throw new FormatError(`checkpoint at offset ${at} is missing or damaged`, 'CORRUPT', { offset: at });
    }
    const payload = decodePayload(frame.payload, at);
    let lag: IndexLag | null = null;
    const data = loadCheckpoint(payload, at, this.store, this.leafCache, (id, ix, tree) =>
      (lag as IndexLag).apply(id, ix, tree),
    );
    if (data.txnId !== sb.checkpointTxnId) {
      throw new FormatError(`checkpoint at offset ${at} does not match its superblock`, 'CORRUPT', {
        offset: at,
      });
    }
    this.resetState();
    for (const state of data.collections) this.addCollection(state);
    this.nextCollectionId = data.nextCollectionId;
    this.userVersion = data.userVersion;
    this.sqlViews = data.sqlViews;
    this.sqlStats = data.sqlStats;
    this.lastTxnId = data.txnId;
    this.catalogSinceBase = false;
    this.lagBase = null;
    const light = data.light;
    this.checkpointIsLight = light !== undefined;
    if (light) {
      const store = this.store;
      let basePks: Map<number, BTree<unknown, number>> | null = null;
      lag = new IndexLag({
        store,
        base: light,
        to: at,
        toTxnId: data.txnId,
        basePk: (id) => (basePks ??= this.basePrimaryKeys(store, light.at, light.txnId)).get(id),
        stateOf: (id) => this.byId.get(id),
        readRow: (location) => this.readRow(location),
      });
      for (const c of data.collections) lag.noteVersion(c.meta.id, c.meta.version);
      this.lagBase = { ...light, dirs: indexDirectories(payload) };
    } else if (data.layout === 5) {
      this.lagBase = {
        at,
        from: sb.replayFrom,
        txnId: data.txnId,
        bytes: sb.checkpointLength,
        dirs: indexDirectories(payload),
      };
    }
  }

  /** The primary-key trees of the full checkpoint at `at` (a light checkpoint's base), by collection id. */
  private basePrimaryKeys(store: ByteStore, at: number, txnId: number): Map<number, BTree<unknown, number>> {
    const frame = this.readFrame(at);
    if (!frame || frame.kind !== FrameKind.CHECKPOINT)
      throw new FormatError(`the base checkpoint at offset ${at} is missing or damaged`, 'CORRUPT', {
        offset: at,
      });
    const data = loadCheckpoint(decodePayload(frame.payload, at), at, store, this.leafCache);
    if (data.txnId !== txnId)
      throw new FormatError(`the base checkpoint at offset ${at} is not the one named`, 'CORRUPT', {
        offset: at,
      });
    return new Map(data.collections.map((c) => [c.meta.id, c.pk]));
  }

  /** Read and verify one frame anywhere in the file; null when it is cut off or its checksum fails. */
  private readFrame(at: number): { kind: number; txnId: number; payload: Buffer } | null {
    const head = readExact(this.store, at, FRAME_HEADER_SIZE);
    if (!head) return null;
    const header = parseFrameHeader(head, 0, this.store.size - at);
    if (!header) return null;
    const payload = readExact(this.store, at + FRAME_HEADER_SIZE, header.length);
    if (!payload || !frameChecksumOk(head, 0, payload, header.crc)) return null;
    return { kind: header.kind, txnId: header.txnId, payload };
  }

  /** Apply one committed transaction read from the log (replay); idempotent by construction. */
  protected applyCommitted(_txnId: number, frames: LogFrame[]): void {
    for (const frame of frames) {
      if (frame.chunk !== undefined) {
        this.replayRecordPayload(frame.chunk, frame.payloadAt as number, frame);
        continue;
      }
      const body = frame.body;
      if (frame.kind === FrameKind.META) {
        this.replayMeta(body, frame.offset);
        continue;
      }
      if (!Array.isArray(body))
        throw new FormatError(`malformed frame payload at offset ${frame.offset}`, 'CORRUPT', {
          offset: frame.offset,
        });
      switch (frame.kind) {
        case FrameKind.CATALOG:
          // A catalog change reads and replaces index trees: held-back entries go in first.
          this.replayBatch?.flush();
          this.replayCatalog(body, frame.offset);
          break;
        case FrameKind.RECORD_PUT:
          this.replayRecord(body, frame);
          break;
        case FrameKind.RECORD_DELETE: {
          const [collectionId, pk] = body as [unknown, unknown];
          this.applyDelete(this.replayTarget(collectionId, frame.offset), pk);
          break;
        }
        default:
          // INDEX and MANIFEST frames are reserved; format 1.0 never writes them.
          throw corruptAt(frame.offset, `frame kind ${frame.kind} is not valid in format 1.0 transactions`);
      }
    }
  }

  /** A decoded RECORD_PUT payload `[collectionId, version, row]`. */
  private replayRecord(body: unknown[], frame: LogFrame): void {
    replayRecordStats.whole++;
    const [collectionId, , row] = body as [unknown, unknown, unknown];
    const state = this.replayTarget(collectionId, frame.offset);
    if (!Array.isArray(row) || !state.compiled.isStoredRow(row)) throw corruptAt(frame.offset, 'record row');
    this.applyPut(state, row, frame.offset);
    if (this.replayCacheRoom > 0) {
      this.replayCacheRoom -= frame.size;
      this.rows.cache.set(frame.offset, {
        collectionId: state.meta.id,
        row,
        bytes: frame.size,
      });
    }
  }

  /**
   * A RECORD_PUT the scan left undecoded (an open's replay): past the rows the open caches, a row
   * whose keys the batch can read later has only its primary key decoded (ReplayIndexBatch.addRow);
   * any other is decoded whole. Its other columns are checked when a read decodes it.
   */
  private replayRecordPayload(chunk: Buffer, start: number, frame: LogFrame): void {
    const probe = this.replayProbe;
    const end = start + frame.size - FRAME_HEADER_SIZE;
    const collectionId = recordColumns(chunk, start, end, NO_COLUMNS, probe, frame.offset);
    const state = this.replayTarget(collectionId, frame.offset);
    const batch = this.replayBatch;
    let pk: unknown = undefined;
    let old: number | undefined;
    if (this.replayCacheRoom <= 0 && batch !== null && batch.holdsRows(state)) {
      const column = state.compiled.pkColumn;
      this.pkColumnScratch[0] = column;
      recordColumns(chunk, start, end, this.pkColumnScratch, probe, frame.offset);
      pk = probe[column];
      probe[column] = undefined;
      if (pk === undefined || !state.compiled.storedColumnChecks[column](pk))
        throw corruptAt(frame.offset, 'record row');
      // A row replacing one replayed before it flushes the batch (its entries may be held), and
      // the batch then holds no more rows: this one is decoded whole.
      old = state.pk.get(pk);
      if (old !== undefined && batch.mayHold(old)) pk = undefined;
    }
    if (pk === undefined) {
      const body = decodePayload(chunk.subarray(start, end), frame.offset);
      if (!Array.isArray(body)) throw corruptAt(frame.offset, 'record payload');
      this.replayRecord(body, frame);
      return;
    }
    replayRecordStats.held++;
    this.applyPutHeld(state, pk, frame.offset, old);
  }

  /** A META payload is a map of settings; keys this version does not know are ignored. */
  private replayMeta(body: unknown, offset: number): void {
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw corruptAt(offset, 'settings frame payload');
    const { userVersion, sequence, views, stats } = body as Record<string, unknown>;
    if (views !== undefined) {
      const list = readStoredViews(views);
      if (list === null) throw corruptAt(offset, 'views');
      this.sqlViews = list;
      this.catalogGen++;
    }
    if (stats !== undefined) {
      const list = readStoredStats(stats);
      if (list === null) throw corruptAt(offset, 'statistics');
      this.sqlStats = list;
      this.catalogGen++;
    }
    if (sequence !== undefined) {
      const [collectionId, value] = Array.isArray(sequence) ? (sequence as unknown[]) : [];
      const key = readSequence(value);
      if (key === null) throw corruptAt(offset, 'sequence');
      noteKey(this.replayTarget(collectionId, offset), key);
    }
    if (userVersion === undefined) return;
    if (!isInt32(userVersion)) throw corruptAt(offset, 'user_version');
    this.userVersion = userVersion;
  }

  private replayTarget(collectionId: unknown, offset: number): CollectionState {
    const state = typeof collectionId === 'number' ? this.byId.get(collectionId) : undefined;
    if (!state) throw corruptAt(offset, `record for unknown collection ${String(collectionId)}`);
    return state;
  }

  private replayCatalog(body: unknown[], offset: number): void {
    const [op, id] = body;
    if (typeof id !== 'number') throw corruptAt(offset, 'catalog entry without id');
    if (op === CatalogOp.PUT_COLLECTION) {
      const [, , version, schema, stored] = body;
      if (typeof version !== 'number' || typeof schema !== 'object' || schema === null)
        throw corruptAt(offset, 'catalog entry');
      const previous = this.byId.get(id);
      // An entry without a history (an older writer's) keeps what the collection had recorded.
      const history =
        stored === undefined
          ? previous?.meta.history?.filter((r) => r.version < version)
          : readHistory(stored, version);
      if (history === null) throw corruptAt(offset, 'schema version history');
      const meta: CollectionMeta = {
        id,
        version,
        schema: schema as CollectionSchema,
        ...(history && history.length > 0 ? { history } : {}),
      };
      let state: CollectionState;
      try {
        state = previous ? this.rebuildState(previous, meta, true) : new CollectionState(meta);
      } catch (err) {
        throw new FormatError(`catalog entry at offset ${offset} holds an invalid schema`, 'CORRUPT', {
          offset,
          cause: err,
        });
      }
      if (previous) this.removeCollection(previous);
      this.addCollection(state);
      this.nextCollectionId = Math.max(this.nextCollectionId, id + 1);
    } else if (op === CatalogOp.DROP_COLLECTION) {
      const state = this.byId.get(id);
      if (state) this.removeCollection(state);
      this.staleIndexes.delete(id);
    } else {
      throw corruptAt(offset, `unknown catalog operation ${String(op)}`);
    }
  }

  /**
   * A new state for a changed catalog entry: keeps the pk tree and the trees of indexes whose
   * definition is unchanged, and builds trees for new or changed indexes from the existing rows.
   * In replay (`replaying`) a row that cannot be read may be one a later frame supersedes, so it
   * marks the indexes for the end-of-replay rebuild instead of failing (I9).
   */
  protected rebuildState(
    previous: CollectionState,
    meta: CollectionMeta,
    replaying = false,
  ): CollectionState {
    const unchanged = new Map<string, CollectionState['indexes'][number]['tree']>();
    for (const ix of previous.indexes) {
      const now = meta.schema.indexes.find((d) => d.name === ix.def.name);
      const same = (a: NormalizedIndex): string => JSON.stringify([a.path, indexDesc(a), a.sql, a.collate]);
      if (now && now.kind === ix.def.kind && same(now) === same(ix.def)) unchanged.set(ix.def.name, ix.tree);
    }
    const state = new CollectionState(meta, previous.pk, unchanged);
    state.seq = previous.seq;
    const fresh = state.indexes.filter((ix) => !unchanged.has(ix.def.name));
    if (fresh.length > 0 && !this.staleIndexes.has(meta.id)) {
      const cur = state.pk.cursor();
      while (cur.next()) {
        let row: unknown[];
        try {
          // Rows older than an added column are indexed under its default.
          row = rowOfState(state, this.readRow(cur.value));
        } catch (err) {
          if (!replaying || !(err instanceof FormatError)) throw err;
          this.staleIndexes.add(meta.id);
          break;
        }
        for (const ix of fresh) {
          const key = ix.accessor.get(row) ?? null;
          if (key === NOT_INDEXED) continue;
          if (ix.unique && !keyHasNull(key) && ix.tree.get(key) !== undefined) {
            throw new IntegrityError(
              `UNIQUE constraint failed: ${uniqueFailureText(meta.schema.name, ix)}`,
              'UNIQUE',
            );
          }
          ix.tree.add(key, cur.key);
        }
      }
    }
    return state;
  }
}
