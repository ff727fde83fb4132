/**
 * The write transaction (storage/engine.ts draws its states): begin, savepoints, statement marks
 * and their undo journal, commit (I1) and rollback.
 */
import { CommittedRows } from './committed-rows';
import { UNKEPT_ROW, type CachedRow } from './row-cache';
import { GrowableBuffer } from './growable-buffer';
import { encodePayload } from './codec';
import { writeFrame } from './frame';
import { FrameKind } from './format';
import type { BTree } from './btree';
import { CollectionState, restoreCollection, snapshotCollection } from './collection-state';
import type { CollectionView } from './collection-state';
import { active, channels } from './trace';
import type { CommitTraceContext } from './trace';
import { InternalError, TransactionError } from '../src/errors';
import type { ActiveTxn, DetachedRows, Savepoint, StatementMark, TxnState } from './engine-types';
import {
  CHECKPOINT_SPACING,
  CLOSE_CHECKPOINT_BYTES,
  LIGHT_TIME_SPACING,
  UNDO_ADDED,
  UNDO_PK,
  UNDO_SEQ,
} from './engine-types';
import { EngineRecovery } from './engine-recovery';

export abstract class EngineTransactions extends EngineRecovery {
  /** @internal Row entries a rollback examined for unkept rows to decode (tests count the work). */
  unkeptExamined = 0;

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
      spilled: 0,
      spill: null,
      frameCount: 0,
      metaFrames: 0,
      rowLocations: [],
      rowEntries: [],
      rowsShared: false,
      detachedRows: [],
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
      stagedLength: (this.txn?.spilled ?? 0) + (staged?.length ?? 0),
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
      stagedLength: txn.spilled + txn.staged.length,
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
    // Rows first: views may need the bytes the cut drops (truncateStagedRows).
    this.truncateStagedRows(txn, mark.stagedRows);
    this.cutStaged(txn, mark.stagedLength);
    txn.frameCount = mark.frameCount;
    txn.metaFrames = mark.metaFrames;
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
    // Rows first: views may need the bytes the cut drops (truncateStagedRows).
    this.truncateStagedRows(txn, sp.stagedRows);
    this.cutStaged(txn, sp.stagedLength);
    txn.frameCount = sp.frameCount;
    txn.metaFrames = sp.metaFrames;
  }

  /** Drop the rows put after the first `count`; called before the cut of their staged bytes. */
  private truncateStagedRows(txn: ActiveTxn, count: number): void {
    // Rows not kept decoded (UNKEPT_ROW) that a view may still read are decoded into its entries
    // now, while their bytes are still staged: later puts write other rows at the same offsets.
    // Every pair of arrays shares the rows below the cut with the current one, so the same
    // index cuts them all.
    for (const old of txn.detachedRows) {
      if (count >= old.decodedFrom) continue;
      this.decodeUnkept(old, count, old.decodedFrom);
      old.decodedFrom = count;
    }
    if (txn.rowsShared && txn.rowLocations.length > count) {
      // Views still read the undone rows (I7): later puts go to fresh arrays.
      const shared: DetachedRows = {
        locations: txn.rowLocations,
        entries: txn.rowEntries,
        decodedFrom: count,
      };
      this.decodeUnkept(shared, count, shared.entries.length);
      txn.detachedRows.push(shared);
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
      this.releaseSpill(txn);
      this.txn = null; // nothing written: an empty transaction leaves no trace in the file
      return;
    }
    this.verifyOwnership(txn.base);
    writeFrame(txn.staged, FrameKind.TXN_COMMIT, txn.id, encodePayload(txn.frameCount));
    const bytes = txn.staged.view();
    const spilled = txn.spilled;
    try {
      // The frames a large transaction spilled go first, then the rest: one append in order,
      // covered by the one sync (I1).
      txn.spill?.copyTo(this.store, txn.base);
      this.append(bytes, txn.base + spilled);
      this.store.sync();
    } catch (err) {
      this.failCommit(txn, err);
      throw err;
    }
    this.releaseSpill(txn);
    this.durableEnd = txn.base + spilled + bytes.length;
    this.lastTxnId = txn.id;
    this.framesSinceCheckpoint += txn.frameCount + txn.metaFrames + 1;
    if (ctx) {
      ctx.bytes = spilled + bytes.length;
      ctx.frames = txn.frameCount + 1;
    }
    const leftOut = this.rows.cache.setMany(txn.rowLocations, txn.rowEntries);
    this.rows.keepCommitted(txn.rowLocations, txn.rowEntries.length, txn.base + spilled, bytes, leftOut);
    this.txn = null;
    this.publishView();
    const due = this.checkpointDue();
    if (due !== null)
      this.checkpointAfterCommit(
        due === 'light',
        new CommittedRows(txn.rowLocations, txn.rowEntries, txn.rowEntries.length),
      );
    else this.scheduleIdleCheckpoint();
  }

  /** The pending idle checkpoint (scheduleIdleCheckpoint); null when none. */
  private idleTimer: ReturnType<typeof setTimeout> | null = null;

  /**
   * After a commit that leaves more than CLOSE_CHECKPOINT_BYTES of log after the last checkpoint:
   * checkpoint once the writer has stayed idle for checkpointIdleMs, as a clean close would, so a
   * writer killed while idle leaves nothing to replay (a busy one is bounded by the replay
   * limits). Each commit pushes it back; unref'd, it never keeps a process alive.
   */
  private scheduleIdleCheckpoint(): void {
    if (this.checkpointIdleMs <= 0 || this.logBytesSinceFullCheckpoint <= CLOSE_CHECKPOINT_BYTES) return;
    if (this.idleTimer !== null) {
      this.idleTimer.refresh();
      return;
    }
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null;
      // A transaction still open (an async one between awaits) schedules again at its commit.
      if (this.closed || this.txn !== null || this.logBytesSinceFullCheckpoint <= CLOSE_CHECKPOINT_BYTES)
        return;
      this.checkpointWhenIdle();
    }, this.checkpointIdleMs);
    this.idleTimer.unref();
  }

  /** Drop a pending idle checkpoint (close). */
  protected cancelIdleCheckpoint(): void {
    if (this.idleTimer === null) return;
    clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }

  /**
   * The automatic checkpoint policy: after `checkpointEvery` bytes of log, and never before the
   * log since the last checkpoint is CHECKPOINT_SPACING times that checkpoint's size. A checkpoint
   * rewrites every index page changed since the last one (with random keys, most of them), so a
   * fixed spacing would fill a growing file with superseded pages (O(n²) bytes); spacing them in
   * proportion keeps those under a fixed fraction of the file. That lets the log left to replay
   * after a crash grow with the index size, so past the replay limits (bytes or frames) a
   * checkpoint is written regardless: the bound a killed writer's next open replays.
   *
   * Light checkpoints (storage/index-lag.ts) bound that replay far tighter: past
   * lightCheckpointBytes of log (and CHECKPOINT_SPACING times what the last light one wrote, and
   * LIGHT_TIME_SPACING times its duration after it) a commit writes one when the file allows it
   * (a full checkpoint of layout 5 or 6 to lag behind, no catalog change since); the full ones
   * then follow the spacing rule and indexLagLimitBytes. Without a base (a new file, a catalog
   * change) the replay limits above still apply.
   */
  private checkpointDue(): 'full' | 'light' | null {
    if (this.checkpointEvery <= 0) return null;
    const tail = this.logBytesSinceCheckpoint;
    if (tail < this.checkpointRetryAt) return null;
    const sinceFull = this.logBytesSinceFullCheckpoint;
    const base = this.lagBase;
    const size = base ? base.bytes : Math.max(this.lastCheckpointBytes, this.superblock.checkpointLength);
    if (sinceFull >= Math.max(this.checkpointEvery, CHECKPOINT_SPACING * size)) return 'full';
    const lightOk = this.lightCheckpointBytes > 0 && base !== null && !this.catalogSinceBase;
    if (lightOk && sinceFull > this.indexLagLimitBytes) return 'full';
    const overLimit =
      (this.replayLimitBytes > 0 && tail > this.replayLimitBytes) ||
      (this.replayLimitFrames > 0 && this.framesSinceCheckpoint > this.replayLimitFrames);
    const lightDue =
      tail > Math.max(this.lightCheckpointBytes, CHECKPOINT_SPACING * this.lastLightBytes) &&
      performance.now() - this.lastCheckpointEnd >= LIGHT_TIME_SPACING * this.lastLightMs;
    if (lightOk && (overLimit || lightDue)) return 'light';
    return overLimit ? 'full' : null;
  }

  /** Decode the unkept rows at indexes [from, to) (see truncateStagedRows). */
  private decodeUnkept(
    rows: { locations: readonly number[]; entries: CachedRow[] },
    from: number,
    to: number,
  ): void {
    const { locations, entries } = rows;
    this.unkeptExamined += to - from;
    for (let i = from; i < to; i++)
      if (entries[i] === UNKEPT_ROW) entries[i] = this.rows.stagedRecord(locations[i]);
  }

  /** A failed append may have left part of the transaction in the file: cut it off, or stop writing. */
  private failCommit(txn: ActiveTxn, err: unknown): void {
    this.rollbackTo(txn.begin);
    this.releaseSpill(txn);
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
    this.releaseSpill(txn);
    this.txn = null;
  }
}
