/**
 * The storage engine: one per open file per process. It owns the byte store, the writer lock,
 * the catalog, the index trees, the row cache and the one write transaction.
 *
 * Durability and recovery invariants (tests cite them by number):
 *   I1. A transaction's frames are staged in memory and reach the file in ONE append at commit,
 *       followed by one sync; `commit()` returns only after the sync.
 *   I2. Nothing of a transaction is visible after reopen unless its TXN_COMMIT frame is durable.
 *   I3. Superblocks change only when a checkpoint is published, never on ordinary commits; the
 *       checkpoint frame is synced before the superblock that points to it is written.
 *   I4. Every write operation checks everything that can fail (validation, constraints, unique
 *       keys) before it mutates anything, so a failed operation leaves no trace.
 *   I5. Readers of a committed view never see a later mutation: views hold copy-on-write
 *       snapshots of the trees.
 *   I6. Read-only engines never write to the file, even when recovery finds a torn tail.
 *   I7. A view taken inside a write transaction reads the rows that transaction staged from the
 *       decoded rows it captured, never from offsets past the durable end: after a rollback,
 *       later writes reuse those offsets, and the view must still return exactly its snapshot.
 *   I8. Recovery cuts the file only at a point it has shown to be the end of the committed log:
 *       superblocks whose fields disagree are not trusted, and damage with a complete committed
 *       transaction after it is refused, never cut (a crash tears only the one append in flight).
 *   I9. Replay never needs the body of a superseded row: when one is unreadable, the collection's
 *       secondary indexes are rebuilt from its live rows once replay ends.
 *
 * Transaction states (only the named methods move between them):
 *
 *        begin()            commit() | rollback()
 *   idle ────────► active ───────────────────────► idle
 *                    │ commit() append/sync failed and the tail could not be cut back
 *                    ▼
 *                  broken  (every later write throws; reopen to recover)
 */
import { encodeStoredViews, readStoredViews } from './sql-views';
import type { StoredView } from './sql-views';
import { encodeStoredStats, readStoredStats } from './sql-stats';
import type { TableStats } from './sql-stats';
import { FileStore, renameDurably } from './file-store';
import { MemoryStore } from './memory-store';
import type { ByteStore } from './byte-store';
import { readExact } from './byte-store';
import { GrowableBuffer } from './growable-buffer';
import { encodePayload, decodePayload } from './codec';
import { writeFrame, writeFrameEncoded, parseFrameHeader, frameChecksumOk } from './frame';
import type { RowReaders } from './row-readers';
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
  FRAME_FLAG_IGNORABLE,
  isInt32,
} from './format';
import { findCommittedAfter, isZeroHeader, scanLog } from './log-scan';
import type { LogFrame, ScanResult, TailProblem } from './log-scan';
import type { BTree } from './btree';
import { RowReader, corruptAt } from './row-reader';
import type { ReadView, StagedRows } from './row-reader';

export type { ReadView, StagedRows } from './row-reader';

import type { CachedRow } from './row-cache';
import { WriterLock, resolveRealPath } from './lock';
import { removeLeftovers } from './leftovers';
import {
  CollectionState,
  IndexState,
  newIndexTree,
  restoreCollection,
  rowOfState,
  snapshotCollection,
} from './collection-state';
import type { CollectionMeta, CollectionView } from './collection-state';
import { checkpointPayload, loadCheckpoint } from './checkpoint';
import { PageSink } from './index-pages';
import { LeafCache } from './leaf-cache';
import { noteKey, readSequence } from './sequence';
import { encodeHistory, readHistory, withVersion } from './schema-history';
import type { SchemaChange } from './schema-history';
import { compareValues, keyHasNull } from './compare';
import type { CollectionSchema } from './schema/normalize';
import type { NormalizedIndex } from './schema/normalize';
import { active, channels } from './trace';
import type { CheckpointTraceContext, CommitTraceContext, OpenTraceContext } from './trace';
import { indexDesc, indexPaths, keyColumnsText } from './schema/normalize';
import {
  DataError,
  FormatError,
  IntegrityError,
  InterfaceError,
  InternalError,
  OperationalError,
  SchemaError,
  TransactionError,
} from '../src/errors';

export type RecoveryMode = 'strict' | 'autoTruncate';

export interface EngineOptions {
  readOnly?: boolean;
  /** Default: autoTruncate for writers, strict for read-only opens. */
  recovery?: RecoveryMode;
  /** Accepted for compatibility; locks are taken over only when their owner process is gone. */
  lockStaleMs?: number;
  /** How long a writer waits for another writer's lock before LockError (default 0: at once). */
  busyTimeoutMs?: number;
  /** false: no writer lock (the private temp file a compaction writes; nobody else knows it). */
  lock?: boolean;
  /** Row cache budget in bytes (default 64 MiB). */
  cacheBytes?: number;
  /**
   * Write a checkpoint automatically after a commit once this many bytes of log have accumulated
   * since the last one and at least CHECKPOINT_SPACING times the last checkpoint's size (default
   * 64 MiB; 0 disables every automatic checkpoint), so open time stays short without user action.
   */
  checkpointEveryBytes?: number;
  /**
   * The most log a crash may leave for the next open to replay: a commit leaving more than this
   * many bytes after the last checkpoint writes one, whatever the spacing rule says (default
   * 64 MiB; 0: no bound beyond the spacing rule).
   */
  replayLimitBytes?: number;
  /** The same bound counted in frames, which is what replay's cost follows (default 250,000; 0: none). */
  replayLimitFrames?: number;
  /** false: publish nothing on the diagnostics channels (compaction's private copy). */
  trace?: boolean;
}

export type TxnState = 'idle' | 'active' | 'broken';

/** See Engine.pageCache. */
export interface PageCacheStats {
  budgetBytes: number;
  /** Bytes of decoded leaves held now, and the most ever held. */
  bytes: number;
  peakBytes: number;
  /** Pages decoded, and decoded leaves dropped again to stay within the budget. */
  decoded: number;
  evicted: number;
}

/** What recovery did on open (for `inspect`, operators and tests). */
export interface RecoveryReport {
  /** Where the usable log ended when recovery found a damaged or torn tail (cut unless read-only). */
  truncatedFrom: number | null;
  reason: string | null;
  usedCheckpoint: boolean;
  /** Superblock slots (file offsets) ignored because their fields disagree with each other or the file (I8). */
  rejectedSuperblocks: number[];
  /**
   * Read-only `autoTruncate` opens only: offset of a committed transaction found after the damage.
   * The state in use is then a prefix of the committed log, not all of it (a writer refuses).
   */
  committedAfter: number | null;
  /** Collections whose secondary indexes replay rebuilt from their live rows (I9). */
  rebuiltIndexes: string[];
  /** Committed transactions replayed from the log after the checkpoint (0: the checkpoint was current). */
  replayedTransactions: number;
}

function emptyRecoveryReport(): RecoveryReport {
  return {
    truncatedFrom: null,
    reason: null,
    usedCheckpoint: false,
    rejectedSuperblocks: [],
    committedAfter: null,
    rebuiltIndexes: [],
    replayedTransactions: 0,
  };
}

/** How a put treats an existing row with the same primary key or unique key. */
export type ConflictMode =
  /** Replace the row with the same primary key; a unique-index clash with another row is an IntegrityError. */
  | 'replacePk'
  /** Any clash is an IntegrityError. */
  | 'abort'
  /** Any clash skips the row. */
  | 'ignore'
  /** Delete every clashing row, then insert (SQL INSERT OR REPLACE). */
  | 'replaceAll';

export type PutResult = 'inserted' | 'replaced' | 'ignored';

interface Savepoint {
  stagedLength: number;
  frameCount: number;
  stagedRows: number;
  collections: Map<string, CollectionState>;
  nextCollectionId: number;
  userVersion: number;
  sqlViews: readonly StoredView[];
  sqlStats: readonly TableStats[];
  metaFrames: number;
  views: CollectionView[];
  /** Length of the statement undo journal: entries after it are undone by restoring the views. */
  journalAt: number;
}

/**
 * A statement's rollback point (see `mark`): where the transaction's staged bytes and undo journal
 * stood. Opaque to callers, who only hand it back to `rollbackToMark` or `release`.
 */
export interface StatementMark {
  readonly stagedLength: number;
  readonly frameCount: number;
  readonly metaFrames: number;
  readonly stagedRows: number;
  readonly journalAt: number;
}

/** Undo journal operations (see ActiveTxn.journal). */
const UNDO_PK = 0; // (pk tree, key, previous value or undefined): put the previous value back
const UNDO_ADDED = 1; // (index tree, key, pk): remove the entry the statement added
const UNDO_REMOVED = 2; // (index tree, key, pk): add back the entry the statement removed
const UNDO_SEQ = 3; // (collection state, previous sequence, unused)

interface ActiveTxn {
  id: number;
  /** File offset the staged bytes will be appended at. */
  base: number;
  staged: GrowableBuffer;
  frameCount: number;
  /** META frames staged: written like data frames but not counted by TXN_COMMIT (format.ts). */
  metaFrames: number;
  /**
   * Undo journal of the open statement marks, as flat (op, target, key, value) quadruples; null
   * while no mark is open. A mark costs nothing to take, where a savepoint snapshots every tree and
   * so makes the statement's first write to each node copy it: a statement that fails is rare,
   * a statement that succeeds is the loop of every bulk write.
   */
  journal: unknown[] | null;
  marks: number;
  /** Rows put by the transaction (parallel arrays): they enter the row cache at commit. */
  rowLocations: number[];
  rowEntries: CachedRow[];
  /** A view holds rowLocations/rowEntries: rolling back must not overwrite what it reads. */
  rowsShared: boolean;
  begin: Savepoint;
}

const DEFAULT_CACHE_BYTES = 64 * 1024 * 1024;
/** Replaced files kept readable after re-attaching (for result sets opened before a compaction). */
const MAX_RETIRED_STORES = 4;
export const DEFAULT_CHECKPOINT_EVERY_BYTES = 64 * 1024 * 1024;
/**
 * Default bounds on what a killed writer leaves to replay (docs/operations.md "Checkpoints"): past
 * them a commit checkpoints even when the spacing rule would wait, trading write amplification
 * (a random-key index rewrites most of its pages at every checkpoint) for a bounded open.
 */
export const DEFAULT_REPLAY_LIMIT_BYTES = 64 * 1024 * 1024;
export const DEFAULT_REPLAY_LIMIT_FRAMES = 250_000;
/** Least log written between automatic checkpoints, as a multiple of the last checkpoint's size. */
export const CHECKPOINT_SPACING = 4;
/**
 * A writer closing cleanly checkpoints when more log than this follows the last checkpoint, so
 * the next open replays nothing. Below it the replay costs a few milliseconds (about 0.1 s per
 * MiB of small rows was measured), less than the checkpoint it would take (the catalog plus every
 * changed index page), and short sessions leave the file exactly as their commits wrote it.
 */
export const CLOSE_CHECKPOINT_BYTES = 64 * 1024;
/** Space reserved past the log at a time (file stores of writers only). */
const RESERVE_BYTES = 1 << 20;

export class Engine {
  readonly path: string | null;
  readonly readOnly: boolean;
  private store: ByteStore;
  private lock: WriterLock | null;
  private collections = new Map<string, CollectionState>();
  private byId = new Map<number, CollectionState>();
  private nextCollectionId = 1;
  /** user_version as of the open transaction (or the last commit). */
  private userVersion = 0;
  private sqlViews: readonly StoredView[] = [];
  /** ANALYZE's figures (storage/sql-stats.ts), as of the open transaction or the last commit. */
  private sqlStats: readonly TableStats[] = [];
  private lastTxnId = 0;
  private durableEnd = LOG_START;
  private superblock: Superblock = {
    generation: 0,
    checkpointOffset: 0,
    checkpointLength: 0,
    checkpointTxnId: 0,
    replayFrom: LOG_START,
  };
  private txn: ActiveTxn | null = null;
  /** Bumped on every catalog change (and rollback): cached lowered statements check it. */
  private catalogGen = 0;
  private broken: Error | null = null;
  /**
   * End of the zero-filled space reserved past the log (format 1.1): commits overwrite reserved
   * blocks instead of growing the file, so their fdatasync has no file-size change to journal.
   */
  private reservedEnd = 0;
  /** The minor format version in the file's header: what this file's older readers understand. */
  private fileMinor = FORMAT_MINOR;
  private closed = false;
  private committed: ReadView;
  /** Files replaced by compaction that views taken before it may still read (most recent last). */
  private readonly retired: ByteStore[] = [];
  /** Decoded rows: the row cache, the scan memo and the read-ahead window (storage/row-reader.ts). */
  private readonly rows: RowReader;
  /** Index leaves decoded from checkpoint pages, bounded by the same `cacheBytes` (leaf-cache.ts). */
  private readonly leafCache: LeafCache;
  private readonly stagingBuffer = new GrowableBuffer();
  private readonly keyScratch: unknown[] = [];
  private readonly headProbe = Buffer.alloc(FRAME_HEADER_SIZE);
  /**
   * Live reads: asked before each look at the file; false means nothing can have been committed
   * since the last look, so refresh() skips it (an fstat and often a read). Set by an owner that
   * knows who can write the file (src/async/changes.ts); null: always look.
   */
  refreshGate: (() => boolean) | null = null;
  private readonly checkpointEvery: number;
  private readonly replayLimitBytes: number;
  private readonly replayLimitFrames: number;
  /** Frames committed after the last checkpoint (replayed ones included): see replayLimitFrames. */
  private framesSinceCheckpoint = 0;
  /**
   * Bytes the last checkpoint this engine wrote appended, pages included (the superblock records
   * the CHECKPOINT frame only, which in format 1.2 is just the directories).
   */
  private lastCheckpointBytes = 0;
  /** Whether this engine publishes commits and checkpoints on the diagnostics channels. */
  private readonly traced: boolean;
  private readonly recordScratch: unknown[] = [0, 0, null];
  /** What recovery did on open (for `inspect` and tests). */
  recoveryReport: RecoveryReport = emptyRecoveryReport();
  /**
   * Ids of collections whose secondary indexes replay could not keep exact (a superseded row was
   * unreadable, so its entries could not be found to remove): rebuilt when replay ends (I9).
   */
  private staleIndexes = new Set<number>();

  private constructor(store: ByteStore, path: string | null, lock: WriterLock | null, opts: EngineOptions) {
    this.store = store;
    this.path = path;
    this.lock = lock;
    this.readOnly = store.readOnly;
    this.committed = { txnId: 0, collections: new Map(), store, userVersion: 0 };
    // The reader reads the engine's current file, durable end and transaction at each call.
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- getters below must see later reassignments of these private fields
    const engine = this;
    this.rows = new RowReader(
      {
        get store() {
          return engine.store;
        },
        get durableEnd() {
          return engine.durableEnd;
        },
        get staging() {
          return engine.txn;
        },
        get retired() {
          return engine.retired;
        },
        schemaOf: (collectionId) => engine.byId.get(collectionId)?.compiled,
      },
      opts.cacheBytes ?? DEFAULT_CACHE_BYTES,
    );
    this.leafCache = new LeafCache(opts.cacheBytes ?? DEFAULT_CACHE_BYTES);
    this.checkpointEvery = opts.checkpointEveryBytes ?? DEFAULT_CHECKPOINT_EVERY_BYTES;
    this.replayLimitBytes = opts.replayLimitBytes ?? DEFAULT_REPLAY_LIMIT_BYTES;
    this.replayLimitFrames = opts.replayLimitFrames ?? DEFAULT_REPLAY_LIMIT_FRAMES;
    this.traced = opts.trace !== false;
  }

  /** Run an open under `modelvault:open` when someone listens (see storage/trace.ts). */
  private static traceOpen(path: string | null, opts: EngineOptions, open: () => Engine): Engine {
    if (opts.trace === false || !active(channels.open)) return open();
    const ctx: OpenTraceContext = {
      path,
      readOnly: opts.readOnly === true,
      bytes: null,
      lastTxnId: null,
      recovery: null,
    };
    // The engine goes back to the caller, not into the context (`result`) where subscribers see it.
    let opened: Engine | null = null;
    channels.open.traceSync(() => {
      const engine = open();
      opened = engine;
      const r = engine.recoveryReport;
      ctx.bytes = engine.fileSize;
      ctx.lastTxnId = engine.lastTxnId;
      ctx.recovery = {
        usedCheckpoint: r.usedCheckpoint,
        truncatedFrom: r.truncatedFrom,
        reason: r.reason,
        committedAfter: r.committedAfter,
        rebuiltIndexes: r.rebuiltIndexes.length,
        rejectedSuperblocks: r.rejectedSuperblocks.length,
      };
    }, ctx);
    return opened as unknown as Engine;
  }

  /**
   * Open or create the database file at `path`. Writers take the lock on the file's real path,
   * open it, then take the lock on its identity (hard links) and check that the file at the path
   * is still the one they opened; read-only opens take no lock.
   */
  static openFile(path: string, opts: EngineOptions = {}): Engine {
    return Engine.traceOpen(path, opts, () => Engine.openFileNow(path, opts));
  }

  private static openFileNow(path: string, opts: EngineOptions): Engine {
    const readOnly = opts.readOnly === true;
    const real = resolveRealPath(path);
    const deadline = Date.now() + (opts.busyTimeoutMs ?? 0);
    const lock = readOnly || opts.lock === false ? null : WriterLock.acquire(real, opts.busyTimeoutMs ?? 0);
    let store: FileStore | null = null;
    try {
      store = FileStore.open(real, readOnly, !readOnly);
      if (lock) {
        const id = store.fileId();
        lock.bindFile(id, Math.max(0, deadline - Date.now()));
        const moved = store.checkOwnPlace(null);
        if (moved) throw new OperationalError(`cannot open ${real}: ${moved} while opening`, 'IO');
        removeLeftovers(real);
      }
      const engine = new Engine(store, real, lock, opts);
      engine.recover(opts.recovery ?? (readOnly ? 'strict' : 'autoTruncate'));
      return engine;
    } catch (err) {
      store?.close();
      lock?.dispose();
      throw err;
    }
  }

  /** Whether this engine has the file `realPath` (device `id`) open: one engine per file per process. */
  sameFile(realPath: string, id: { dev: number; ino: number } | null): boolean {
    if (this.path === realPath) return true;
    if (!id || !(this.store instanceof FileStore)) return false;
    const mine = this.store.fileId();
    return mine.dev === id.dev && mine.ino === id.ino;
  }

  /** Open a database held in memory; `bytes` (a snapshot) seeds it. */
  static openMemory(bytes?: Uint8Array, opts: EngineOptions = {}): Engine {
    return Engine.traceOpen(null, opts, () => {
      const engine = new Engine(new MemoryStore(bytes), null, null, opts);
      engine.recover(opts.recovery ?? 'autoTruncate');
      return engine;
    });
  }

  /** Open over an existing store (tests inject MemoryStores holding damaged bytes). */
  static openStore(store: ByteStore, opts: EngineOptions = {}): Engine {
    return Engine.traceOpen(null, { ...opts, readOnly: store.readOnly }, () => {
      const engine = new Engine(store, null, null, opts);
      engine.recover(opts.recovery ?? (store.readOnly ? 'strict' : 'autoTruncate'));
      return engine;
    });
  }

  // ───────────────────────────── recovery ─────────────────────────────

  private recover(mode: RecoveryMode): void {
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
    const result = scanLog(
      this.store,
      replayFrom,
      this.lastTxnId,
      (txnId, frames) => {
        this.applyCommitted(txnId, frames);
        report.replayedTransactions++;
        this.framesSinceCheckpoint += frames.length + 1;
      },
      damaged,
    );
    this.lastTxnId = result.lastTxnId;
    this.durableEnd = result.goodEnd;
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

  private resetState(): void {
    this.framesSinceCheckpoint = 0;
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
    const data = loadCheckpoint(decodePayload(frame.payload, at), at, this.store, this.leafCache);
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
  private applyCommitted(_txnId: number, frames: LogFrame[]): void {
    for (const frame of frames) {
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
          this.replayCatalog(body, frame.offset);
          break;
        case FrameKind.RECORD_PUT: {
          const [collectionId, , row] = body as [unknown, unknown, unknown];
          const state = this.replayTarget(collectionId, frame.offset);
          if (!Array.isArray(row) || !state.compiled.isStoredRow(row))
            throw corruptAt(frame.offset, 'record row');
          this.applyPut(state, row, frame.offset);
          this.rows.cache.set(frame.offset, {
            collectionId: state.meta.id,
            row,
            bytes: frame.size,
          });
          break;
        }
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
  private rebuildState(previous: CollectionState, meta: CollectionMeta, replaying = false): CollectionState {
    const unchanged = new Map<string, CollectionState['indexes'][number]['tree']>();
    for (const ix of previous.indexes) {
      const now = meta.schema.indexes.find((d) => d.name === ix.def.name);
      const same = (a: NormalizedIndex): string => JSON.stringify([a.path, indexDesc(a)]);
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
          if (ix.unique && !keyHasNull(key) && ix.tree.get(key) !== undefined) {
            throw new IntegrityError(
              `UNIQUE constraint failed: ${keyColumnsText(meta.schema.name, indexPaths(ix.def))}`,
              'UNIQUE',
            );
          }
          ix.tree.add(key, cur.key);
        }
      }
    }
    return state;
  }

  /**
   * Replace a collection's schema (new version): added indexes are built over existing rows and
   * must hold (a unique violation is an IntegrityError and changes nothing); dropped indexes go.
   * Field changes are the caller's responsibility to classify (only additions of optional or
   * defaulted fields keep old rows readable).
   */
  alterCollection(
    schema: CollectionSchema,
    change: SchemaChange = 'compatible',
  ): { collectionId: number; schemaVersion: number } {
    const txn = this.requireTxn();
    const previous = this.collections.get(schema.name);
    if (!previous) throw new SchemaError(`no such collection: ${schema.name}`, 'NO_SUCH_COLLECTION');
    const meta = nextVersion(previous.meta, previous.meta.id, schema, change);
    const state = this.rebuildState(previous, meta);
    this.stagePut(txn, meta);
    this.removeCollection(previous);
    this.addCollection(state);
    return { collectionId: meta.id, schemaVersion: meta.version };
  }

  /**
   * Rename a collection or some of its fields (ALTER TABLE RENAME): `schema` is the old schema
   * with new names only, so the rows, the primary-key tree and every index tree stay as they are.
   * Replay of the logged entry takes rebuildState's path (an index whose path changed is rebuilt).
   */
  renameCollection(from: string, schema: CollectionSchema): { collectionId: number; schemaVersion: number } {
    const txn = this.requireTxn();
    const previous = this.collections.get(from);
    if (!previous) throw new SchemaError(`no such collection: ${from}`, 'NO_SUCH_COLLECTION');
    if (schema.name !== from && this.collections.has(schema.name))
      throw new SchemaError(`collection ${schema.name} already exists`, 'SCHEMA');
    const meta = nextVersion(previous.meta, previous.meta.id, schema, 'breaking');
    const trees = new Map(previous.indexes.map((ix, i) => [schema.indexes[i].name, ix.packed ?? ix.tree]));
    const state = new CollectionState(meta, previous.pk, trees);
    state.seq = previous.seq;
    this.stagePut(txn, meta);
    this.removeCollection(previous);
    this.addCollection(state);
    return { collectionId: meta.id, schemaVersion: meta.version };
  }

  /**
   * Replace a collection's schema and write every row again in the new layout (ALTER TABLE DROP
   * COLUMN, forced schema versions): stored rows are positional, so a dropped or moved column
   * cannot be read through the old records. The catalog entry is dropped and put back under a
   * new collection id with the next version: records are checked against their collection id's
   * schema when decoded, so an old-layout record (still read by older snapshots, and by `rows`
   * while this runs) must never resolve to the new schema; replay likewise starts the new entry
   * with empty trees. `rows` are validated
   * stored rows of `schema`; a duplicate key or unique value throws and the caller's savepoint
   * undoes the whole change. The old records stay in the log until compaction removes them.
   */
  rewriteCollection(
    from: string,
    schema: CollectionSchema,
    rows: Iterable<unknown[]>,
  ): { collectionId: number; schemaVersion: number } {
    const txn = this.requireTxn();
    const previous = this.collections.get(from);
    if (!previous) throw new SchemaError(`no such collection: ${from}`, 'NO_SUCH_COLLECTION');
    if (schema.name !== from && this.collections.has(schema.name))
      throw new SchemaError(`collection ${schema.name} already exists`, 'SCHEMA');
    const meta = nextVersion(previous.meta, this.nextCollectionId, schema, 'breaking');
    this.stage(txn, FrameKind.CATALOG, [CatalogOp.DROP_COLLECTION, previous.meta.id]);
    this.removeCollection(previous);
    this.nextCollectionId++;
    const state = new CollectionState(meta);
    this.stagePut(txn, meta);
    this.addCollection(state);
    for (const row of rows) this.putRow(state, row, 'abort');
    // The AUTOINCREMENT sequence may be past every key (deleted rows): carry it over.
    if (previous.seq !== null) this.advanceSequence(state, previous.seq);
    return { collectionId: meta.id, schemaVersion: meta.version };
  }

  private addCollection(state: CollectionState): void {
    this.catalogGen++;
    this.collections.set(state.name, state);
    this.byId.set(state.meta.id, state);
  }

  private removeCollection(state: CollectionState): void {
    this.catalogGen++;
    this.collections.delete(state.name);
    this.byId.delete(state.meta.id);
  }

  private publishView(): void {
    const views = new Map<string, CollectionView>();
    const before = this.committed.collections;
    // Handles outside the transaction lower statements against the committed catalog, cached
    // under catalogGen: when a commit changes that catalog, their cached statements are stale.
    let catalogChanged = before.size !== this.collections.size;
    for (const [name, state] of this.collections) {
      views.set(name, snapshotCollection(state));
      if (before.get(name)?.state !== state) catalogChanged = true;
    }
    if (this.committed.sqlViews !== this.sqlViews || this.committed.sqlStats !== this.sqlStats)
      catalogChanged = true;
    if (catalogChanged) this.catalogGen++;
    this.committed = {
      txnId: this.lastTxnId,
      collections: views,
      store: this.store,
      userVersion: this.userVersion,
      sqlViews: this.sqlViews,
      sqlStats: this.sqlStats,
    };
  }

  // ───────────────────────────── reads ─────────────────────────────

  /** The last committed state; what other connections and statements outside the transaction read. */
  committedView(): ReadView {
    this.assertOpen();
    return this.committed;
  }

  /** A snapshot of the current state including the open transaction's own writes. */
  currentView(): ReadView {
    this.assertOpen();
    const txn = this.txn;
    if (!txn) return this.committed;
    const views = new Map<string, CollectionView>();
    for (const [name, state] of this.collections) views.set(name, snapshotCollection(state));
    txn.rowsShared = true;
    const staged: StagedRows = {
      base: txn.base,
      count: txn.rowLocations.length,
      locations: txn.rowLocations,
      entries: txn.rowEntries,
    };
    return {
      txnId: txn.id,
      collections: views,
      store: this.store,
      userVersion: this.userVersion,
      sqlViews: this.sqlViews,
      sqlStats: this.sqlStats,
      staged,
    };
  }

  get catalogVersion(): number {
    return this.catalogGen;
  }

  collection(name: string): CollectionState | undefined {
    return this.collections.get(name);
  }

  collectionNames(): string[] {
    this.assertOpen();
    return [...this.collections.keys()].sort();
  }

  /** The SQL views as the open transaction (or the last commit) has them. */
  sqlViewList(): readonly StoredView[] {
    this.assertOpen();
    return this.sqlViews;
  }

  /**
   * Decode the row stored at `location` (a RECORD_PUT frame offset), through the cache. The row is
   * as stored: one written before an ADD COLUMN is shorter than its schema, and readers widen it
   * to the schema they read with (collection-state.ts widenRow); the cache never holds it widened.
   */
  readRow(location: number): unknown[] {
    return this.rows.readRow(location);
  }

  /** A row for a view (storage/row-reader.ts readRowFor). */
  readRowFor(view: ReadView, location: number): unknown[] {
    return this.rows.readRowFor(view, location);
  }

  /** Rows currently held decoded in the row cache (tests count work with it). */
  get cachedRowCount(): number {
    return this.rows.cachedRowCount;
  }

  /** The row readers of statements running over `view` (planner/run.ts RowReaders). */
  readersFor(view: ReadView): RowReaders {
    return this.rows.readersFor(view);
  }

  /** The stored row with primary key `pk` in the current state (at the state's width), or undefined. */
  getRow(state: CollectionState, pk: unknown): unknown[] | undefined {
    const loc = state.pk.get(pk);
    return loc === undefined ? undefined : rowOfState(state, this.readRow(loc));
  }

  // ───────────────────────────── transactions ─────────────────────────────

  get txnState(): TxnState {
    return this.broken ? 'broken' : this.txn ? 'active' : 'idle';
  }

  get inTransaction(): boolean {
    return this.txn !== null;
  }

  begin(): void {
    this.assertWritable();
    if (this.txn) throw new TransactionError('a transaction is already active', 'NESTED_TRANSACTION');
    const staged = this.stagingBuffer;
    staged.reset();
    const id = this.lastTxnId + 1;
    this.txn = {
      id,
      base: this.durableEnd,
      staged,
      frameCount: 0,
      metaFrames: 0,
      rowLocations: [],
      rowEntries: [],
      rowsShared: false,
      journal: null,
      marks: 0,
      begin: this.savepoint(staged),
    };
    writeFrame(staged, FrameKind.TXN_BEGIN, id, encodePayload(null));
  }

  /** Capture the transaction's current state so `rollbackTo` can return to it (nested transactions, statements). */
  savepoint(staged: GrowableBuffer | null = this.txn?.staged ?? null): Savepoint {
    const views: CollectionView[] = [];
    for (const state of this.collections.values()) views.push(snapshotCollection(state));
    return {
      stagedLength: staged?.length ?? 0,
      frameCount: this.txn?.frameCount ?? 0,
      stagedRows: this.txn?.rowLocations.length ?? 0,
      collections: new Map(this.collections),
      nextCollectionId: this.nextCollectionId,
      userVersion: this.userVersion,
      sqlViews: this.sqlViews,
      sqlStats: this.sqlStats,
      metaFrames: this.txn?.metaFrames ?? 0,
      views,
      journalAt: this.txn?.journal?.length ?? 0,
    };
  }

  /**
   * A rollback point for one statement (INSERT, UPDATE, DELETE and the writes they cascade to;
   * never DDL, whose catalog changes only `savepoint` captures). Until `release`, every tree change
   * is journaled so `rollbackToMark` can undo it in reverse.
   */
  mark(): StatementMark {
    const txn = this.requireTxn();
    txn.journal ??= [];
    txn.marks++;
    return {
      stagedLength: txn.staged.length,
      frameCount: txn.frameCount,
      metaFrames: txn.metaFrames,
      stagedRows: txn.rowLocations.length,
      journalAt: txn.journal.length,
    };
  }

  /** The statement of `mark` is done: its changes stay, and no longer need undoing on its behalf. */
  release(mark: StatementMark): void {
    const txn = this.txn;
    if (!txn || txn.journal === null) return; // the transaction ended meanwhile
    if (--txn.marks <= 0) {
      txn.journal = null;
      txn.marks = 0;
    } else if (txn.journal.length < mark.journalAt) txn.journal.length = mark.journalAt;
  }

  /** Undo every change since `mark` and release it. */
  rollbackToMark(mark: StatementMark): void {
    const txn = this.requireTxn();
    const j = txn.journal;
    if (j === null) throw new InternalError('statement mark rolled back after its release', 'INTERNAL');
    // Undoing writes through the trees, which journal nothing while `journal` is detached.
    txn.journal = null;
    for (let i = j.length - 4; i >= mark.journalAt; i -= 4) {
      const op = j[i] as number;
      const key = j[i + 2];
      const value = j[i + 3];
      if (op === UNDO_SEQ) {
        (j[i + 1] as CollectionState).seq = key as CollectionState['seq'];
        continue;
      }
      const tree = j[i + 1] as BTree<unknown, unknown>;
      if (op === UNDO_PK) {
        if (value === undefined) tree.delete(key);
        else tree.set(key, value);
      } else if (op === UNDO_ADDED) tree.delete(key, value);
      else tree.add(key, value);
    }
    j.length = mark.journalAt;
    txn.journal = j;
    txn.staged.length = mark.stagedLength;
    txn.frameCount = mark.frameCount;
    txn.metaFrames = mark.metaFrames;
    this.truncateStagedRows(txn, mark.stagedRows);
    this.release(mark);
  }

  rollbackTo(sp: Savepoint): void {
    const txn = this.requireTxn();
    // Restoring the views undoes what the journal recorded since the savepoint.
    if (txn.journal !== null && txn.journal.length > sp.journalAt) txn.journal.length = sp.journalAt;
    this.catalogGen++;
    this.collections = new Map(sp.collections);
    this.byId = new Map([...this.collections.values()].map((s) => [s.meta.id, s] as const));
    this.nextCollectionId = sp.nextCollectionId;
    this.userVersion = sp.userVersion;
    this.sqlViews = sp.sqlViews;
    this.sqlStats = sp.sqlStats;
    for (const view of sp.views) restoreCollection(view);
    txn.staged.length = sp.stagedLength;
    txn.frameCount = sp.frameCount;
    txn.metaFrames = sp.metaFrames;
    this.truncateStagedRows(txn, sp.stagedRows);
  }

  private truncateStagedRows(txn: ActiveTxn, count: number): void {
    if (txn.rowsShared && txn.rowLocations.length > count) {
      // Views still read the undone rows (I7): later puts go to fresh arrays.
      txn.rowLocations = txn.rowLocations.slice(0, count);
      txn.rowEntries = txn.rowEntries.slice(0, count);
      txn.rowsShared = false;
    } else {
      txn.rowLocations.length = count;
      txn.rowEntries.length = count;
    }
  }

  commit(): void {
    if (!this.traced || !active(channels.commit)) return this.commitTxn(null);
    const ctx: CommitTraceContext = { path: this.path, txnId: this.txn?.id ?? null, bytes: 0, frames: 0 };
    channels.commit.traceSync(() => this.commitTxn(ctx), ctx);
  }

  private commitTxn(ctx: CommitTraceContext | null): void {
    const txn = this.requireTxn();
    if (txn.frameCount === 0 && txn.metaFrames === 0) {
      this.txn = null; // nothing written: an empty transaction leaves no trace in the file
      return;
    }
    this.verifyOwnership(txn.base);
    writeFrame(txn.staged, FrameKind.TXN_COMMIT, txn.id, encodePayload(txn.frameCount));
    const bytes = txn.staged.view();
    try {
      this.append(bytes, txn.base);
      this.store.sync();
    } catch (err) {
      this.failCommit(txn, err);
      throw err;
    }
    this.durableEnd = txn.base + bytes.length;
    this.lastTxnId = txn.id;
    this.framesSinceCheckpoint += txn.frameCount + txn.metaFrames + 1;
    if (ctx) {
      ctx.bytes = bytes.length;
      ctx.frames = txn.frameCount + 1;
    }
    for (let i = 0; i < txn.rowLocations.length; i++)
      this.rows.cache.set(txn.rowLocations[i], txn.rowEntries[i]);
    this.txn = null;
    this.publishView();
    if (this.checkpointDue()) this.checkpoint();
  }

  /**
   * The automatic checkpoint policy: after `checkpointEvery` bytes of log, and never before the
   * log since the last checkpoint is CHECKPOINT_SPACING times that checkpoint's size. A checkpoint
   * rewrites every index page changed since the last one (with random keys, most of them), so a
   * fixed spacing would fill a growing file with superseded pages (O(n²) bytes); spacing them in
   * proportion keeps those under a fixed fraction of the file. That lets the log left to replay
   * after a crash grow with the index size, so past the replay limits (bytes or frames) a
   * checkpoint is written regardless: the bound a killed writer's next open replays.
   */
  private checkpointDue(): boolean {
    if (this.checkpointEvery <= 0) return false;
    const tail = this.logBytesSinceCheckpoint;
    if (this.replayLimitBytes > 0 && tail > this.replayLimitBytes) return true;
    if (this.replayLimitFrames > 0 && this.framesSinceCheckpoint > this.replayLimitFrames) return true;
    const size = Math.max(this.lastCheckpointBytes, this.superblock.checkpointLength);
    const spacing = Math.max(this.checkpointEvery, CHECKPOINT_SPACING * size);
    return tail >= spacing;
  }

  /** A failed append may have left part of the transaction in the file: cut it off, or stop writing. */
  private failCommit(txn: ActiveTxn, err: unknown): void {
    this.rollbackTo(txn.begin);
    this.txn = null;
    try {
      this.verifyOwnership(null);
      this.store.truncate(txn.base);
      this.reservedEnd = txn.base;
      this.store.sync();
    } catch {
      this.broken = err instanceof Error ? err : new Error(String(err));
    }
  }

  rollback(): void {
    const txn = this.requireTxn();
    this.rollbackTo(txn.begin);
    this.txn = null;
  }

  private requireTxn(): ActiveTxn {
    this.assertOpen();
    if (!this.txn) throw new TransactionError('no transaction is active');
    return this.txn;
  }

  // ───────────────────────────── writes ─────────────────────────────

  /**
   * Register a collection. The same schema again returns the existing ids; a different schema
   * for an existing name is refused (schema versions are registered through planSchemaVersion).
   */
  registerCollection(schema: CollectionSchema): { collectionId: number; schemaVersion: number } {
    const txn = this.requireTxn();
    const existing = this.collections.get(schema.name);
    if (existing) {
      if (compareSchemas(existing.meta.schema, schema)) {
        return { collectionId: existing.meta.id, schemaVersion: existing.meta.version };
      }
      throw new SchemaError(`collection ${schema.name} already exists with a different schema`, 'SCHEMA');
    }
    const meta: CollectionMeta = {
      id: this.nextCollectionId,
      version: 1,
      schema,
      history: withVersion(undefined, 1, 'create'),
    };
    const state = new CollectionState(meta);
    this.stagePut(txn, meta);
    this.nextCollectionId++;
    this.addCollection(state);
    return { collectionId: meta.id, schemaVersion: meta.version };
  }

  /** Recreate a collection with its id and schema version (compaction copies catalogs this way). */
  importCollection(meta: CollectionMeta, seq: number | bigint | null = null): void {
    const txn = this.requireTxn();
    if (this.collections.has(meta.schema.name))
      throw new SchemaError(`collection ${meta.schema.name} already exists`, 'SCHEMA');
    const state = new CollectionState({ ...meta });
    state.seq = seq;
    this.stagePut(txn, meta);
    this.nextCollectionId = Math.max(this.nextCollectionId, meta.id + 1);
    this.addCollection(state);
  }

  /**
   * Stage a PUT_COLLECTION: `[1, id, version, schema]`, and the collection's history as a fifth
   * element when it has one (readers that predate it read the first four only).
   */
  private stagePut(txn: ActiveTxn, meta: CollectionMeta): void {
    const body: unknown[] = [CatalogOp.PUT_COLLECTION, meta.id, meta.version, meta.schema];
    if (meta.history && meta.history.length > 0) body.push(encodeHistory(meta.history));
    this.stage(txn, FrameKind.CATALOG, body);
  }

  dropCollection(name: string): boolean {
    const txn = this.requireTxn();
    const state = this.collections.get(name);
    if (!state) return false;
    this.stage(txn, FrameKind.CATALOG, [CatalogOp.DROP_COLLECTION, state.meta.id]);
    this.removeCollection(state);
    return true;
  }

  /**
   * Insert a validated stored row (see CompiledSchema.toRow). All checks run before any
   * mutation (I4); returns what happened.
   */
  putRow(state: CollectionState, row: unknown[], mode: ConflictMode = 'replacePk'): PutResult {
    const txn = this.requireTxn();
    const pk = state.pkOf(row);
    // abort/ignore must know about an existing key before anything else; the replacing modes learn
    // it from pk.set() below, which saves a second descent on the bulk-insert path.
    if ((mode === 'abort' || mode === 'ignore') && state.pk.get(pk) !== undefined) {
      if (mode === 'ignore') return 'ignored';
      throw new IntegrityError(
        `UNIQUE constraint failed: ${state.name}.${state.meta.schema.primaryKey.join('.')}`,
        'PRIMARY_KEY',
      );
    }
    const indexes = state.indexes;
    // Reused between calls: putRow never re-enters itself before it is done with the keys.
    const keys = this.keyScratch;
    keys.length = indexes.length;
    let clashes: unknown[] | null = null;
    for (let i = 0; i < indexes.length; i++) keys[i] = indexes[i].accessor.get(row) ?? null;
    // SQLite checks the most recently created unique index first: its clash names the error.
    for (let i = indexes.length - 1; i >= 0; i--) {
      const ix = indexes[i];
      const key = keys[i];
      if (!ix.unique || keyHasNull(key)) continue;
      // probe() remembers the leaf: the add below inserts there without a second descent.
      const other = ix.tree.probe(key);
      if (other === undefined || compareValues(other, pk) === 0) continue;
      if (mode === 'ignore') return 'ignored';
      if (mode !== 'replaceAll') {
        throw new IntegrityError(
          `UNIQUE constraint failed: ${keyColumnsText(state.name, indexPaths(ix.def))}`,
          'UNIQUE',
        );
      }
      (clashes ??= []).push(other);
    }
    // Every check has passed (I4): from here on nothing can fail.
    if (clashes) for (const other of clashes) this.deleteByPk(state, other);
    const record = this.recordScratch;
    record[0] = state.meta.id;
    record[1] = state.meta.version;
    record[2] = row;
    const location = this.stage(txn, FrameKind.RECORD_PUT, record);
    const previous = state.pk.set(pk, location);
    const j = txn.journal;
    if (j !== null) j.push(UNDO_PK, state.pk, pk, previous);
    if (previous !== undefined) this.unindex(state, this.readRow(previous), pk);
    for (let i = 0; i < indexes.length; i++) {
      const tree = indexes[i].tree;
      if (tree.addProbed(keys[i], pk) && j !== null) j.push(UNDO_ADDED, tree, keys[i], pk);
    }
    const seqBefore = state.seq;
    noteKey(state, pk);
    if (j !== null && state.seq !== seqBefore) j.push(UNDO_SEQ, state, seqBefore, undefined);
    txn.rowLocations.push(location);
    txn.rowEntries.push({ collectionId: state.meta.id, row, bytes: txn.staged.length + txn.base - location });
    return previous === undefined ? 'inserted' : 'replaced';
  }

  /** Delete the row with primary key `pk`; false when there is none. */
  deleteRow(state: CollectionState, pk: unknown): boolean {
    this.requireTxn();
    return this.deleteByPk(state, pk);
  }

  private deleteByPk(state: CollectionState, pk: unknown): boolean {
    const txn = this.requireTxn();
    const loc = state.pk.get(pk);
    if (loc === undefined) return false;
    this.unindex(state, this.readRow(loc), pk);
    state.pk.delete(pk);
    txn.journal?.push(UNDO_PK, state.pk, pk, loc);
    this.stage(txn, FrameKind.RECORD_DELETE, [state.meta.id, pk]);
    return true;
  }

  private unindex(state: CollectionState, stored: unknown[], pk: unknown): void {
    // A row older than an ADD COLUMN was indexed under the column's default.
    const row = rowOfState(state, stored);
    const j = this.txn?.journal ?? null;
    for (const ix of state.indexes) {
      const key = ix.accessor.get(row) ?? null;
      if (ix.tree.delete(key, pk) && j !== null) j.push(UNDO_REMOVED, ix.tree, key, pk);
    }
  }

  /** Replay of a RECORD_PUT: the same tree updates as putRow, without staging. */
  private applyPut(state: CollectionState, row: unknown[], location: number): void {
    const pk = state.pkOf(row);
    const oldLoc = state.pk.get(pk);
    if (oldLoc !== undefined) this.unindexSuperseded(state, oldLoc, pk);
    state.pk.set(pk, location);
    for (const ix of state.indexes) ix.tree.add(ix.accessor.get(row) ?? null, pk);
    noteKey(state, pk);
  }

  private applyDelete(state: CollectionState, pk: unknown): void {
    const loc = state.pk.get(pk);
    if (loc === undefined) return;
    this.unindexSuperseded(state, loc, pk);
    state.pk.delete(pk);
  }

  /**
   * Replay: remove the index entries of the row at `loc`, which the frame being replayed
   * supersedes. Its body is read only to find those entries and is never needed again, so an
   * unreadable one is not damage to the database (I9): the collection's indexes are marked for a
   * rebuild from its live rows when replay ends, and until then no longer maintained entry by entry.
   */
  private unindexSuperseded(state: CollectionState, loc: number, pk: unknown): void {
    if (state.indexes.length === 0 || this.staleIndexes.has(state.meta.id)) return;
    let row: unknown[];
    try {
      row = this.readRow(loc);
    } catch (err) {
      if (!(err instanceof FormatError)) throw err;
      this.staleIndexes.add(state.meta.id);
      return;
    }
    this.unindex(state, row, pk);
  }

  /**
   * End of replay: give every collection marked by unindexSuperseded fresh secondary indexes
   * built from its live rows. A live row that cannot be read is real damage and stays a
   * FormatError, as is a unique key held by two live rows (writes never let that happen).
   */
  private rebuildStaleIndexes(): void {
    if (this.staleIndexes.size === 0) return;
    for (const id of this.staleIndexes) {
      const state = this.byId.get(id);
      if (!state) continue;
      const trees = state.indexes.map((ix) => newIndexTree(ix.def));
      const cur = state.pk.cursor();
      while (cur.next()) {
        const row = this.readRow(cur.value);
        state.indexes.forEach((ix, i) => {
          const key = ix.accessor.get(row) ?? null;
          if (ix.unique && !keyHasNull(key) && trees[i].get(key) !== undefined)
            throw corruptAt(cur.value, `row: its key in unique index ${ix.def.name} is held by another row`);
          trees[i].add(key, cur.key);
        });
      }
      state.indexes = state.indexes.map((ix, i) => new IndexState(ix.def, ix.columns, trees[i]));
      this.recoveryReport.rebuiltIndexes.push(state.name);
    }
    this.staleIndexes.clear();
    this.catalogGen++;
  }

  /** Append one frame to the transaction; returns the file offset it will have. */
  /** Set SQLite's user_version inside the open transaction (a META frame, docs/format.md §3.3). */
  setUserVersion(value: number): void {
    const txn = this.requireTxn();
    if (!isInt32(value)) throw new DataError(`user_version must be a 32-bit signed integer`, 'DATA');
    writeFrameEncoded(txn.staged, FrameKind.META, txn.id, { userVersion: value }, FRAME_FLAG_IGNORABLE);
    txn.metaFrames++;
    this.userVersion = value;
  }

  /**
   * Replace the SQL views inside the open transaction: a META frame with the whole list (`views`),
   * which readers that predate views skip (docs/format.md §3.3).
   */
  setSqlViews(views: readonly StoredView[]): void {
    const txn = this.requireTxn();
    writeFrameEncoded(
      txn.staged,
      FrameKind.META,
      txn.id,
      { views: encodeStoredViews(views) },
      FRAME_FLAG_IGNORABLE,
    );
    txn.metaFrames++;
    this.sqlViews = [...views];
    this.catalogGen++;
  }

  /** ANALYZE's figures as the open transaction has them. */
  sqlStatsList(): readonly TableStats[] {
    return this.sqlStats;
  }

  /** Replace the planner statistics inside the open transaction (a META frame, like setSqlViews). */
  setSqlStats(stats: readonly TableStats[]): void {
    const txn = this.requireTxn();
    writeFrameEncoded(
      txn.staged,
      FrameKind.META,
      txn.id,
      { stats: encodeStoredStats(stats) },
      FRAME_FLAG_IGNORABLE,
    );
    txn.metaFrames++;
    this.sqlStats = [...stats];
    this.catalogGen++;
  }

  /**
   * SQLite advances an AUTOINCREMENT table's sequence to the key of a row it then skipped (OR
   * IGNORE, DO NOTHING) or turned into an update of another row (DO UPDATE on a unique index):
   * the key was allocated. No record carries that key, so a META frame does, for replay.
   */
  advanceSequence(state: CollectionState, pk: unknown): void {
    const txn = this.requireTxn();
    if (state.meta.schema.autoIncrement !== true) return;
    if (typeof pk !== 'number' && typeof pk !== 'bigint') return;
    if (state.seq !== null && state.seq >= pk) return;
    writeFrameEncoded(
      txn.staged,
      FrameKind.META,
      txn.id,
      { sequence: [state.meta.id, pk] },
      FRAME_FLAG_IGNORABLE,
    );
    txn.metaFrames++;
    txn.journal?.push(UNDO_SEQ, state, state.seq, undefined);
    noteKey(state, pk);
  }

  private stage(txn: ActiveTxn, kind: number, body: unknown): number {
    const at = writeFrameEncoded(txn.staged, kind, txn.id, body);
    txn.frameCount++;
    return txn.base + at;
  }

  // ───────────────────────────── checkpoints ─────────────────────────────

  /**
   * Persist the catalog and all index trees so the next open replays only what follows (I3).
   * Refused inside a transaction: a checkpoint describes committed state only.
   */
  checkpoint(): void {
    if (!this.traced || !active(channels.checkpoint)) {
      this.writeCheckpoint();
      return;
    }
    const ctx: CheckpointTraceContext = {
      path: this.path,
      txnId: this.lastTxnId,
      logBytes: this.logBytesSinceCheckpoint,
      bytes: 0,
    };
    channels.checkpoint.traceSync(() => {
      ctx.bytes = this.writeCheckpoint();
    }, ctx);
  }

  /** Returns the bytes written (the CHECKPOINT frame and the PAGES frame before it, if any). */
  private writeCheckpoint(): number {
    this.assertWritable();
    if (this.txn) throw new TransactionError('cannot checkpoint inside a transaction');
    this.verifyOwnership(this.durableEnd);
    const staged = this.stagingBuffer;
    staged.reset();
    const at = this.durableEnd;
    // Each file gets the layout its own minor's readers load: packed columns are 1.1, pages 1.2.
    const layout = this.fileMinor >= 2 ? 3 : this.fileMinor >= 1 ? 2 : 1;
    const sink = layout === 3 ? new PageSink(this.store, at + FRAME_HEADER_SIZE) : null;
    const payload = encodePayload(
      checkpointPayload(
        {
          txnId: this.lastTxnId,
          nextCollectionId: this.nextCollectionId,
          userVersion: this.userVersion,
          sqlViews: this.sqlViews,
          sqlStats: this.sqlStats,
          collections: [...this.collections.values()],
        },
        layout,
        sink,
      ),
    );
    // The pages go first, in the same append: the checkpoint's directory points back into them.
    if (sink && sink.length > 0)
      writeFrame(staged, FrameKind.PAGES, this.lastTxnId, sink.bytes(), FRAME_FLAG_IGNORABLE);
    const checkpointAt = at + staged.length;
    writeFrame(staged, FrameKind.CHECKPOINT, this.lastTxnId, payload);
    const frame = staged.view();
    this.append(frame, at);
    this.store.sync();
    this.durableEnd = at + frame.length;
    const next: Superblock = {
      generation: this.superblock.generation + 1,
      checkpointOffset: checkpointAt,
      checkpointLength: this.durableEnd - checkpointAt,
      checkpointTxnId: this.lastTxnId,
      replayFrom: this.durableEnd,
    };
    this.verifyOwnership(null);
    this.store.writeAt(encodeSuperblock(next), SUPERBLOCK_OFFSETS[next.generation % 2]);
    this.store.sync();
    this.superblock = next;
    this.lastCheckpointBytes = frame.length;
    this.framesSinceCheckpoint = 0;
    if (sink) {
      // Published: the trees stand on its pages from now on (decoded leaves become evictable, and
      // the next checkpoint writes only the pages changed after this one).
      sink.source.limit = checkpointAt;
      for (const [tree, pages] of sink.adopted) tree.adoptPages(pages, this.leafCache);
    }
    staged.reset();
    return frame.length;
  }

  /**
   * Write log bytes at `at` (the log's end); when they reach past the reserved space, reserve the
   * next RESERVE_BYTES of zeros behind them in the same write-back (the caller's sync covers it).
   */
  private append(bytes: Uint8Array, at: number): void {
    this.store.writeAt(bytes, at);
    const end = at + bytes.length;
    if (this.store instanceof FileStore && end > this.reservedEnd) {
      this.store.writeAt(Buffer.alloc(RESERVE_BYTES), end);
      this.reservedEnd = end + RESERVE_BYTES;
    }
  }

  /** Bytes of log written since the last checkpoint (the auto-checkpoint policy watches this). */
  get logBytesSinceCheckpoint(): number {
    return this.durableEnd - this.superblock.replayFrom;
  }

  get fileSize(): number {
    return this.durableEnd;
  }

  /** Decoded index pages: counts and bytes held against the budget (tests and diagnostics). */
  get pageCache(): PageCacheStats {
    const c = this.leafCache;
    return {
      budgetBytes: c.budgetBytes,
      bytes: c.bytes,
      peakBytes: c.peakBytes,
      decoded: c.decoded,
      evicted: c.evicted,
    };
  }

  get lastCommittedTxnId(): number {
    return this.lastTxnId;
  }

  /** The durable bytes of an in-memory database (snapshots). */
  bytes(): Buffer {
    const out = readExact(this.store, 0, this.durableEnd);
    if (!out) throw new OperationalError('cannot read the database bytes', 'IO');
    return out;
  }

  // ───────────────────────────── lifecycle ─────────────────────────────

  /**
   * Live reads (read-only engines on a file another process writes): pick up what the writer
   * committed since the last look. Appended transactions are replayed incrementally (a
   * transaction still being written is left for the next look); a file replaced by compaction or
   * restore, or cut shorter, is re-attached from scratch. Returns whether anything changed.
   */
  refresh(): boolean {
    this.assertOpen();
    if (!this.readOnly || !(this.store instanceof FileStore)) return false;
    if (this.refreshGate && !this.refreshGate()) return false;
    const { size, replaced } = this.store.watch();
    if (replaced) {
      this.reattach();
      return true;
    }
    if (size === this.durableEnd) return false;
    if (size < this.durableEnd) {
      this.reattach();
      return true;
    }
    // The writer's reserved space: zeros where the next frame would start mean nothing new.
    const head = this.headProbe;
    if (
      size >= this.durableEnd + FRAME_HEADER_SIZE &&
      this.store.readInto(head, 0, FRAME_HEADER_SIZE, this.durableEnd) === FRAME_HEADER_SIZE &&
      isZeroHeader(head)
    )
      return false;
    const before = this.lastTxnId;
    const scanEnd = this.durableEnd;
    this.durableEnd = size;
    const result = scanLog(this.store, scanEnd, this.lastTxnId, (txnId, frames) =>
      this.applyCommitted(txnId, frames),
    );
    this.lastTxnId = result.lastTxnId;
    this.durableEnd = result.goodEnd;
    this.rebuildStaleIndexes();
    if (this.lastTxnId !== before) {
      this.catalogGen++;
      this.publishView();
      return true;
    }
    return false;
  }

  /**
   * Switch to the file now at `this.path` (after compaction renamed a new file over it): the old
   * descriptor is closed and the state is reloaded from the new file. Locations held by views taken
   * before are meaningless afterwards, so callers must not keep result sets across a compaction.
   */
  reattach(): void {
    this.assertOpen();
    if (this.txn) throw new TransactionError('cannot reattach inside a transaction');
    if (!this.path) throw new OperationalError('only file databases can reattach', 'OPERATIONAL');
    // Keep the replaced file open for result sets still reading it; only the last few are kept.
    this.retired.push(this.store);
    while (this.retired.length > MAX_RETIRED_STORES) this.retired.shift()?.close();
    this.store = FileStore.open(this.path, this.readOnly, false);
    this.reservedEnd = 0;
    this.lastCheckpointBytes = 0;
    this.rows.clear();
    this.leafCache.forget();
    this.resetState();
    this.superblock = {
      generation: 0,
      checkpointOffset: 0,
      checkpointLength: 0,
      checkpointTxnId: 0,
      replayFrom: LOG_START,
    };
    this.recoveryReport = emptyRecoveryReport();
    // A live reader may see the writer mid-append: use the committed prefix (read-only never writes).
    this.recover(this.readOnly ? 'autoTruncate' : 'strict');
  }

  close(): void {
    if (this.closed) return;
    if (this.txn) this.rollback();
    this.checkpointOnClose();
    this.closed = true;
    // A clean close leaves no reserved space: the file ends where the log does. Only a writer
    // that still owns the file and finds nothing but its own zeros there cuts anything.
    if (!this.readOnly && !this.broken && this.store.size > this.durableEnd && this.ownsReservedTail()) {
      try {
        this.store.truncate(this.durableEnd);
      } catch {
        // The reserved zeros are harmless: the next open drops them.
      }
    }
    this.store.close();
    for (const old of this.retired.splice(0)) old.close();
    this.lock?.dispose();
    this.rows.clear();
  }

  /**
   * A clean close leaves a checkpoint behind when enough log follows the last one, so the next
   * open replays nothing (docs/format.md §5). Best effort: the log already holds every commit, so
   * a failure here loses nothing; a partial append it leaves is cut back like a failed commit's.
   */
  private checkpointOnClose(): void {
    if (this.readOnly || this.broken || !(this.store instanceof FileStore)) return;
    if (this.logBytesSinceCheckpoint <= CLOSE_CHECKPOINT_BYTES) return;
    try {
      this.writeCheckpoint();
    } catch {
      try {
        this.verifyOwnership(null);
        this.store.truncate(this.durableEnd);
        this.reservedEnd = this.durableEnd;
      } catch {
        // Not ours any more, or the disk refuses: the next writer's open cuts the torn append.
      }
    }
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Immediately before any change to the file: the lock is still ours and the file is still the
   * one we own, unchanged by anyone else (for an append at `appendAt`, our reserved zeros are
   * still there). Otherwise LockError LOCK_LOST, and this engine never writes again.
   */
  private verifyOwnership(appendAt: number | null): void {
    if (!this.lock || !(this.store instanceof FileStore)) return;
    this.lock.assertHeld();
    const problem = this.store.checkOwnPlace(appendAt);
    if (problem) {
      this.lock.markLost(problem);
      this.lock.assertHeld();
    }
  }

  /** Whether everything past the log's end is this writer's unused reservation (zeros only). */
  private ownsReservedTail(): boolean {
    try {
      this.verifyOwnership(null);
    } catch {
      return false;
    }
    const length = this.store.size - this.durableEnd;
    if (length > RESERVE_BYTES) return false;
    const tail = readExact(this.store, this.durableEnd, length);
    return tail !== null && tail.every((b) => b === 0);
  }

  /**
   * Compaction's last step: rename the finished copy `tmp` over this engine's file and switch to
   * it. The lock and the file are verified first, and the new file's identity lock is taken before
   * the rename, so at no moment can another writer reach either file.
   */
  replaceFileWith(tmp: string): void {
    this.assertWritable();
    if (this.txn) throw new TransactionError('cannot replace the file inside a transaction');
    if (!this.path || !(this.store instanceof FileStore))
      throw new OperationalError('only file databases can be compacted in place', 'OPERATIONAL');
    const next = FileStore.open(tmp, true, false);
    const id = next.fileId();
    next.close();
    this.verifyOwnership(null);
    const swap = this.lock?.rebindFile(id);
    try {
      renameDurably(tmp, this.path);
    } catch (err) {
      swap?.undo();
      throw err;
    }
    const old = this.store;
    this.reattach();
    const now = (this.store as FileStore).fileId();
    if (now.dev !== id.dev || now.ino !== id.ino) {
      this.lock?.markLost(`another file appeared at ${this.path} during compaction`);
    }
    swap?.done(old.fileId().nlink === 0);
    this.lock?.assertHeld();
  }

  private assertOpen(): void {
    if (this.closed) throw new InterfaceError('database is closed', 'CLOSED');
  }

  private assertWritable(): void {
    this.assertOpen();
    if (this.readOnly) throw new OperationalError('database was opened read-only', 'READ_ONLY');
    if (this.broken)
      throw new OperationalError(
        `database stopped writing after an I/O failure: ${this.broken.message}`,
        'IO',
      );
  }
}

/** The row a transaction staged at `location`, as a view of that transaction captured it (I7). */
/** The catalog entry of `previous`'s next version under `id`, its history recording it now. */
function nextVersion(
  previous: CollectionMeta,
  id: number,
  schema: CollectionSchema,
  change: SchemaChange,
): CollectionMeta {
  const version = previous.version + 1;
  return { id, version, schema, history: withVersion(previous.history, version, change) };
}

function compareSchemas(a: CollectionSchema, b: CollectionSchema): boolean {
  return JSON.stringify(a, bigintSafe) === JSON.stringify(b, bigintSafe);
}

function bigintSafe(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? `${value.toString()}n` : value;
}
