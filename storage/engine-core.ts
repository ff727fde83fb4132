/**
 * The engine's state and the primitives every layer of it uses (storage/engine.ts explains the
 * layers): the fields, the staging of frames into the open transaction, the catalog maps, the
 * committed view, and the checks made before any change to the file.
 */
import type { CommittedRows } from './committed-rows';
import type { CheckpointBase } from './checkpoint';
import type { StoredView } from './sql-views';
import type { TableStats } from './sql-stats';
import { FileStore } from './file-store';
import type { ByteStore } from './byte-store';
import { GrowableBuffer } from './growable-buffer';
import { SPILL_AT, TxnSpill } from './txn-spill';
import { writeFrameEncoded } from './frame';
import type { Superblock } from './header';
import { FRAME_HEADER_SIZE, LOG_START, FORMAT_MINOR } from './format';
import { RowReader } from './row-reader';
import type { ReadView } from './row-reader';
import { WriterLock } from './lock';
import { CollectionState, snapshotCollection } from './collection-state';
import type { CollectionView } from './collection-state';
import { LeafCache } from './leaf-cache';
import { InterfaceError, OperationalError, TransactionError } from '../src/errors';
import type { ActiveTxn, EngineOptions, RecoveryReport } from './engine-types';
import {
  DEFAULT_CACHE_BYTES,
  DEFAULT_CHECKPOINT_EVERY_BYTES,
  DEFAULT_REPLAY_LIMIT_BYTES,
  DEFAULT_REPLAY_LIMIT_FRAMES,
  DEFAULT_LIGHT_CHECKPOINT_BYTES,
  DEFAULT_INDEX_LAG_LIMIT_BYTES,
  DEFAULT_CHECKPOINT_IDLE_MS,
  RESERVE_BYTES,
  emptyRecoveryReport,
} from './engine-types';

/** The zeros reserved behind the log's end (only ever read: shared by every append). */
const RESERVED_ZEROS = Buffer.alloc(RESERVE_BYTES);

export abstract class EngineCore {
  readonly path: string | null;
  readonly readOnly: boolean;
  protected store: ByteStore;
  protected lock: WriterLock | null;
  protected collections = new Map<string, CollectionState>();
  protected byId = new Map<number, CollectionState>();
  protected nextCollectionId = 1;
  /** user_version as of the open transaction (or the last commit). */
  protected userVersion = 0;
  protected sqlViews: readonly StoredView[] = [];
  /** ANALYZE's figures (storage/sql-stats.ts), as of the open transaction or the last commit. */
  protected sqlStats: readonly TableStats[] = [];
  protected lastTxnId = 0;
  protected durableEnd = LOG_START;
  /**
   * Live reads: the log applied ends with a MOVED frame (its writer is replacing the file), so
   * refresh() checks which file is at the path before every statement until more log follows.
   */
  protected logEndsMoved = false;
  /** Live reads: when refresh() last checked the file's identity (performance.now()). */
  protected identityCheckedAt = -Infinity;
  protected superblock: Superblock = {
    generation: 0,
    checkpointOffset: 0,
    checkpointLength: 0,
    checkpointTxnId: 0,
    replayFrom: LOG_START,
  };
  protected txn: ActiveTxn | null = null;
  /** Bumped on every catalog change (and rollback): cached lowered statements check it. */
  protected catalogGen = 0;
  protected broken: Error | null = null;
  /**
   * End of the zero-filled space reserved past the log (format 1.1): commits overwrite reserved
   * blocks instead of growing the file, so their fdatasync has no file-size change to journal.
   */
  protected reservedEnd = 0;
  /** The minor format version in the file's header: what this file's older readers understand. */
  protected fileMinor = FORMAT_MINOR;
  protected closed = false;
  protected committed: ReadView;
  /** Files replaced by compaction that views taken before it may still read (most recent last). */
  protected readonly retired: ByteStore[] = [];
  /** Decoded rows: the row cache, the scan memo and the read-ahead window (storage/row-reader.ts). */
  protected readonly rows: RowReader;
  /** Index leaves decoded from checkpoint pages, bounded by the same `cacheBytes` (leaf-cache.ts). */
  protected readonly leafCache: LeafCache;
  protected readonly stagingBuffer = new GrowableBuffer();
  /** Whether a large transaction may keep its first frames in a temporary file (txn-spill.ts). */
  private spillable = true;
  protected readonly keyScratch: unknown[] = [];
  /** putRow's keys of the row it replaces (same reuse as keyScratch). */
  protected readonly oldKeyScratch: unknown[] = [];
  protected readonly headProbe = Buffer.alloc(FRAME_HEADER_SIZE);
  /**
   * Live reads: asked before each look at the file; false means nothing can have been committed
   * since the last look, so refresh() skips it (an fstat and often a read). Set by an owner that
   * knows who can write the file (src/async/changes.ts); null: always look.
   */
  refreshGate: (() => boolean) | null = null;
  protected readonly checkpointEvery: number;
  protected readonly replayLimitBytes: number;
  protected readonly replayLimitFrames: number;
  protected readonly lightCheckpointBytes: number;
  protected readonly indexLagLimitBytes: number;
  /** Bytes the last light checkpoint appended (pages included): the light spacing rule's measure. */
  protected lastLightBytes = 0;
  /** How long the last light checkpoint took, and when the last checkpoint ended (performance.now()). */
  protected lastLightMs = 0;
  protected lastCheckpointEnd = 0;
  /** Light checkpoints this engine wrote (the first one's duration is not counted: cold code). */
  protected lightsWritten = 0;
  protected readonly checkpointIdleMs: number;
  /** Frames committed after the last checkpoint (replayed ones included): see replayLimitFrames. */
  protected framesSinceCheckpoint = 0;
  /**
   * Bytes the last checkpoint this engine wrote appended, pages included (the superblock records
   * the CHECKPOINT frame only, which in format 1.2 is just the directories).
   */
  protected lastCheckpointBytes = 0;
  /**
   * The last full checkpoint, which a light one leaves the secondary indexes at
   * (storage/index-lag.ts): null before this engine wrote or loaded one of layout 5 or 6.
   */
  protected lagBase: CheckpointBase | null = null;
  /** A catalog change since lagBase: the next checkpoint is full (no lagging range holds one). */
  protected catalogSinceBase = false;
  /** Whether the checkpoint the superblock names is a light one (its indexes lag behind lagBase). */
  protected checkpointIsLight = false;

  /**
   * When the current checkpoint is light: the full checkpoint its secondary indexes stand at
   * (its frame's offset) and the log they lag behind by, in bytes (for `inspect`); else null.
   */
  get indexLag(): { baseOffset: number; logBytes: number } | null {
    const base = this.lagBase;
    if (!this.checkpointIsLight || base === null) return null;
    return { baseOffset: base.at, logBytes: this.superblock.checkpointOffset - base.from };
  }
  /** Whether this engine publishes commits and checkpoints on the diagnostics channels. */
  protected readonly traced: boolean;
  protected readonly recordScratch: unknown[] = [0, 0, null];
  /** What recovery did on open (for `inspect` and tests). */
  recoveryReport: RecoveryReport = emptyRecoveryReport();
  /**
   * Ids of collections whose secondary indexes replay could not keep exact (a superseded row was
   * unreadable, so its entries could not be found to remove): rebuilt when replay ends (I9).
   */
  protected staleIndexes = new Set<number>();

  protected constructor(store: ByteStore, path: string | null, lock: WriterLock | null, opts: EngineOptions) {
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
    this.lightCheckpointBytes = opts.lightCheckpointBytes ?? DEFAULT_LIGHT_CHECKPOINT_BYTES;
    this.indexLagLimitBytes = opts.indexLagLimitBytes ?? DEFAULT_INDEX_LAG_LIMIT_BYTES;
    this.checkpointIdleMs = opts.checkpointIdleMs ?? DEFAULT_CHECKPOINT_IDLE_MS;
    this.traced = opts.trace !== false;
  }

  /**
   * Decode the row stored at `location` (a RECORD_PUT frame offset), through the cache. The row is
   * as stored: one written before an ADD COLUMN is shorter than its schema, and readers widen it
   * to the schema they read with (collection-state.ts widenRow); the cache never holds it widened.
   */
  readRow(location: number): unknown[] {
    return this.rows.readRow(location);
  }

  /** Bytes of log written since the last checkpoint (the auto-checkpoint policy watches this). */
  get logBytesSinceCheckpoint(): number {
    return this.durableEnd - this.superblock.replayFrom;
  }

  /** Bytes of log the secondary indexes lag behind: since the last full checkpoint. */
  get logBytesSinceFullCheckpoint(): number {
    return this.durableEnd - (this.lagBase?.from ?? this.superblock.replayFrom);
  }

  protected assertOpen(): void {
    if (this.closed) throw new InterfaceError('database is closed', 'CLOSED');
  }

  protected assertWritable(): void {
    this.assertOpen();
    if (this.readOnly) throw new OperationalError('database was opened read-only', 'READ_ONLY');
    if (this.broken)
      throw new OperationalError(
        `database stopped writing after an I/O failure: ${this.broken.message}`,
        'IO',
      );
  }

  protected requireTxn(): ActiveTxn {
    this.assertOpen();
    if (!this.txn) throw new TransactionError('no transaction is active');
    return this.txn;
  }

  /** Append one frame to the transaction; returns the file offset it will have. */
  protected stage(txn: ActiveTxn, kind: number, body: unknown): number {
    const at = writeFrameEncoded(txn.staged, kind, txn.id, body);
    txn.frameCount++;
    const location = txn.base + txn.spilled + at;
    if (txn.staged.length >= SPILL_AT && this.spillable) this.spillStaged(txn);
    return location;
  }

  /** The file offset just past the transaction's staged frames. */
  protected stagedEnd(txn: ActiveTxn): number {
    return txn.base + txn.spilled + txn.staged.length;
  }

  private spillStaged(txn: ActiveTxn): void {
    if (this.path === null || !(this.store instanceof FileStore)) return;
    try {
      txn.spill ??= new TxnSpill(this.path);
      txn.spill.push(txn.staged.buf, txn.staged.length);
    } catch {
      // No room or no permission beside the file: this engine stages in memory, as before.
      this.spillable = false;
      if (txn.spill !== null) txn.spill.cut(txn.spilled);
      return;
    }
    txn.spilled += txn.staged.length;
    txn.staged.length = 0;
  }

  /** Cut the staged frames back to their first `length` bytes (rolling back to a mark or savepoint). */
  protected cutStaged(txn: ActiveTxn, length: number): void {
    if (length >= txn.spilled) {
      txn.staged.length = length - txn.spilled;
      return;
    }
    // The buffer held only frames after the cut: the ones before it stay in the spill file.
    txn.spill?.cut(length);
    txn.spilled = length;
    txn.staged.length = 0;
  }

  /** The transaction has ended: drop its spill file. */
  protected releaseSpill(txn: ActiveTxn): void {
    const spill = txn.spill;
    txn.spill = null;
    txn.spilled = 0;
    spill?.close();
  }

  protected addCollection(state: CollectionState): void {
    this.catalogSinceBase = true;
    this.catalogGen++;
    this.collections.set(state.name, state);
    this.byId.set(state.meta.id, state);
  }

  protected removeCollection(state: CollectionState): void {
    this.catalogSinceBase = true;
    this.catalogGen++;
    this.collections.delete(state.name);
    this.byId.delete(state.meta.id);
  }

  protected publishView(): void {
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

  /**
   * Immediately before any change to the file: the lock is still ours and the file is still the
   * one we own, unchanged by anyone else (for an append at `appendAt`, our reserved zeros are
   * still there). Otherwise LockError LOCK_LOST, and this engine never writes again.
   */
  protected verifyOwnership(appendAt: number | null): void {
    if (!this.lock || !(this.store instanceof FileStore)) return;
    this.lock.assertHeld();
    const problem = this.store.checkOwnPlace(appendAt);
    if (problem) {
      this.lock.markLost(problem);
      this.lock.assertHeld();
    }
  }

  /**
   * Write log bytes at `at` (the log's end); when they reach past the reserved space, reserve the
   * next RESERVE_BYTES of zeros behind them in the same write-back (the caller's sync covers it).
   * The reservation only spares later syncs a change of the file's size: when the disk has no
   * room for it, the zeros written are cut off again and the append stands without one (it must
   * not fail a commit whose own bytes are all written — that commit would be reported failed and
   * yet be found by the next open).
   */
  protected append(bytes: Uint8Array, at: number): void {
    this.store.writeAt(bytes, at);
    const end = at + bytes.length;
    if (this.store instanceof FileStore && end > this.reservedEnd) {
      try {
        this.store.writeAt(RESERVED_ZEROS, end);
        this.reservedEnd = end + RESERVE_BYTES;
      } catch (err) {
        if (!(err instanceof OperationalError) || err.code !== 'FULL') throw err;
        this.store.truncate(end);
        this.reservedEnd = end;
      }
    }
  }

  /** Written by the file layer (engine-file.ts); recovery and commits call it. */
  abstract checkpoint(): void;

  /** The idle checkpoint's body (engine-transactions.ts schedules it, engine-file.ts writes it). */
  protected abstract checkpointWhenIdle(): void;

  /** The automatic checkpoint a commit may start once it is durable (engine-file.ts). */
  protected abstract checkpointAfterCommit(light: boolean, rows?: CommittedRows): void;

  /**
   * logBytesSinceCheckpoint below which no automatic checkpoint is tried after one failed (a
   * full disk would otherwise make every following commit write pages until it fails again).
   */
  protected checkpointRetryAt = 0;
}
