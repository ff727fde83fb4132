/**
 * The storage engine's types and tuning constants (storage/engine.ts and the engine-*.ts layers
 * it is built from): options, recovery reports, transaction and statement rollback points, the
 * undo journal's operation codes.
 */
import type { TxnSpill } from './txn-spill';
import type { StoredView } from './sql-views';
import type { TableStats } from './sql-stats';
import { GrowableBuffer } from './growable-buffer';
import type { CachedRow } from './row-cache';
import { CollectionState } from './collection-state';
import type { CollectionView } from './collection-state';

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
  /**
   * A commit leaving more than this much log after the last checkpoint writes a light checkpoint
   * (the primary-key trees only; the secondary indexes stay at the last full checkpoint and catch
   * up when first built: storage/index-lag.ts), when the file has a full checkpoint of format 1.4
   * or later and no catalog change since it. Default 512 KiB (and at least CHECKPOINT_SPACING
   * times what the last light one wrote); 0: no light checkpoints.
   */
  lightCheckpointBytes?: number;
  /**
   * The most log the secondary indexes of a light checkpoint may lag behind: past it the next
   * checkpoint is a full one (default 256 MiB). Full checkpoints rewrite most pages of a
   * random-key index, so spacing them further keeps a growing file smaller (a 10M-row load:
   * docs/performance.md "Light checkpoints"); it bounds what an index's first use after a killed
   * writer reads from the log.
   */
  indexLagLimitBytes?: number;
  /**
   * A writer left idle this long after a commit (no transaction open) checkpoints when more than
   * CLOSE_CHECKPOINT_BYTES of log follow the last checkpoint, as a clean close would: what a
   * writer killed while idle leaves to replay (default 1,000 ms; 0 disables).
   */
  checkpointIdleMs?: number;
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

/** See Engine.rowMemory. */
export interface RowMemoryStats {
  /** Rows held decoded in the row cache, and the bytes charged for them. */
  decodedRows: number;
  decodedBytes: number;
  /** Record frames held as bytes in the arena below it, and the bytes it holds (slabs and table). */
  arenaFrames: number;
  arenaBytes: number;
  /** Rows the row cache missed that the arena had, and did not have (then read from the file). */
  arenaHits: number;
  arenaMisses: number;
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

export function emptyRecoveryReport(): RecoveryReport {
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

export interface Savepoint {
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
export const UNDO_PK = 0; // (pk tree, key, previous value or undefined): put the previous value back
export const UNDO_ADDED = 1; // (index tree, key, pk): remove the entry the statement added
export const UNDO_REMOVED = 2; // (index tree, key, pk): add back the entry the statement removed
export const UNDO_SEQ = 3; // (collection state, previous sequence, unused)

/** A rowLocations/rowEntries pair that views still read after a rollback replaced it. */
export interface DetachedRows {
  locations: readonly number[];
  entries: CachedRow[];
  /**
   * Its unkept rows from this index on are decoded already: it never grows once detached, so a
   * later rollback decodes only below it (each row is examined once, not once per rollback).
   */
  decodedFrom: number;
}

export interface ActiveTxn {
  id: number;
  /** File offset the staged bytes will be appended at. */
  base: number;
  /**
   * The staged frames after the first `spilled` bytes, which a large transaction keeps in `spill`
   * (storage/txn-spill.ts): the frame at offset `at` of `staged` lands at `base + spilled + at`.
   */
  staged: GrowableBuffer;
  spilled: number;
  spill: TxnSpill | null;
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
  /**
   * Earlier rowLocations/rowEntries pairs that views still hold (each replaced by a rollback while
   * shared): a later rollback cutting below their ends decodes their unkept rows first.
   */
  detachedRows: DetachedRows[];
  begin: Savepoint;
}

export const DEFAULT_CACHE_BYTES = 64 * 1024 * 1024;
/** Replaced files kept readable after re-attaching (for result sets opened before a compaction). */
export const MAX_RETIRED_STORES = 4;
/**
 * (@internal mutable: tests stretch it to prove what the look past the log's end sees alone.)
 * Live reads: how long a read-only handle goes between checks of which file is at its path (an
 * fstat), looking in between only past the log's end. A replacement by this library's writers
 * is seen at once (they append a MOVED frame first); one by other means (a copy or a `mv` by
 * hand) within this time.
 */
export const livePolicy = { identityCheckMs: 100 };
export const DEFAULT_CHECKPOINT_EVERY_BYTES = 64 * 1024 * 1024;
/**
 * Default bounds on what a killed writer leaves to replay (docs/operations.md "Checkpoints"): past
 * them a commit checkpoints even when the spacing rule would wait, trading write amplification
 * (a random-key index rewrites most of its pages at every checkpoint) for a bounded open.
 */
export const DEFAULT_REPLAY_LIMIT_BYTES = 64 * 1024 * 1024;
export const DEFAULT_REPLAY_LIMIT_FRAMES = 250_000;
/**
 * A light checkpoint walks the whole primary-key tree (O(leaves): ~13 ms at 1M rows here), so a
 * busy writer waits this many times the last one's duration after it before the next: light
 * checkpoints then take at most about a ninth of its time, however large the table grows.
 */
export const LIGHT_TIME_SPACING = 8;
/** See EngineOptions.lightCheckpointBytes and indexLagLimitBytes. */
export const DEFAULT_LIGHT_CHECKPOINT_BYTES = 512 * 1024;
export const DEFAULT_INDEX_LAG_LIMIT_BYTES = 256 * 1024 * 1024;
/** See EngineOptions.checkpointIdleMs. */
export const DEFAULT_CHECKPOINT_IDLE_MS = 1000;
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
export const RESERVE_BYTES = 1 << 20;
/** Log written after a failed automatic checkpoint before the next one is tried (a full disk). */
export const CHECKPOINT_RETRY_BYTES = 4 << 20;
