/**
 * The engine and its file as a whole (storage/engine.ts explains the layers): checkpoints (I3),
 * live refresh of read-only engines, re-attaching after a compaction, close, and the replacement
 * of the file by a compacted copy.
 */
import type { CommittedRows } from './committed-rows';
import { FileStore, renameDurably } from './file-store';
import { readExact } from './byte-store';
import { encodePayload } from './codec';
import { frameHeaderFor, movedFrame, writeFrame } from './frame';
import { encodeHeader, encodeSuperblock } from './header';
import type { Superblock } from './header';
import {
  FORMAT_MINOR,
  FRAME_HEADER_SIZE,
  FrameKind,
  LOG_START,
  SUPERBLOCK_OFFSETS,
  FRAME_FLAG_IGNORABLE,
} from './format';
import { columnWriter } from './column-pages';
import { isZeroHeader, scanLog } from './log-scan';
import { checkpointPayload, indexDirectories } from './checkpoint';
import { PageSink } from './page-sink';
import { active, channels } from './trace';
import type { CheckpointTraceContext } from './trace';
import { OperationalError, TransactionError } from '../src/errors';
import {
  CHECKPOINT_RETRY_BYTES,
  CLOSE_CHECKPOINT_BYTES,
  livePolicy,
  MAX_RETIRED_STORES,
  RESERVE_BYTES,
  emptyRecoveryReport,
} from './engine-types';
import { EngineTransactions } from './engine-transactions';

export abstract class EngineFile extends EngineTransactions {
  /**
   * Persist the catalog and all index trees so the next open replays only what follows (I3).
   * Refused inside a transaction: a checkpoint describes committed state only.
   */
  checkpoint(): void {
    this.checkpointOf(false);
  }

  /**
   * A light checkpoint (storage/index-lag.ts) when the file can take one — a full checkpoint of
   * layout 5 or 6 to lag behind and no catalog change since — else a full one. Returns whether
   * it was light. For tests and the fixture generator; commits write them by the policy.
   */
  checkpointLight(): boolean {
    const light = this.lagBase !== null && !this.catalogSinceBase;
    this.checkpointOf(light);
    return light;
  }

  /** A full checkpoint, or a light one (`light`: storage/index-lag.ts), traced. */
  private checkpointOf(light: boolean): void {
    if (!this.traced || !active(channels.checkpoint)) {
      this.writeCheckpoint(light);
      return;
    }
    const ctx: CheckpointTraceContext = {
      path: this.path,
      txnId: this.lastTxnId,
      logBytes: this.logBytesSinceCheckpoint,
      bytes: 0,
      light,
    };
    channels.checkpoint.traceSync(() => {
      ctx.bytes = this.writeCheckpoint(light);
    }, ctx);
  }

  /**
   * Returns the bytes written (the CHECKPOINT frame and the PAGES frame before it, if any). A
   * failure once writing began cuts back what was appended (pages, part of a frame): past the
   * log's end the next commit must find this writer's zeros or nothing.
   */
  private writeCheckpoint(light = false): number {
    this.assertWritable();
    if (this.txn) throw new TransactionError('cannot checkpoint inside a transaction');
    this.verifyOwnership(this.durableEnd);
    try {
      return this.appendCheckpoint(light);
    } catch (err) {
      this.cutBackFailedAppend();
      throw err;
    }
  }

  private appendCheckpoint(lightAsked: boolean): number {
    const started = performance.now();
    const staged = this.stagingBuffer;
    staged.reset();
    const at = this.durableEnd;
    // Files of 1.0 and 1.1 keep the layout their own minor's readers load (packed columns are
    // 1.1). A 1.2 to 1.5 file becomes 1.6 here: its header says so before the first checkpoint
    // that may hold what only 1.6 readers read (layout 5; DICT columns; layout 6), and the sync
    // below covers both before the superblock publishes it.
    if (this.fileMinor >= 2 && this.fileMinor < FORMAT_MINOR) {
      this.store.writeAt(encodeHeader(), 0);
      this.fileMinor = FORMAT_MINOR;
    }
    const layout = this.fileMinor >= 4 ? 5 : this.fileMinor >= 1 ? 2 : 1;
    // A light checkpoint needs a full one of layout 5 or 6 to lag behind, with no catalog change since.
    const light = lightAsked && layout === 5 && !this.catalogSinceBase ? this.lagBase : null;
    // The pages stream into the file behind the PAGES frame's header in chunks, as they are cut:
    // held whole, a large checkpoint's pages (tens of MB at 1M rows) cost a growing buffer's
    // copies and first touches of fresh memory, then a copy into the frame.
    const sink = layout === 5 ? new PageSink(this.store, at + FRAME_HEADER_SIZE, true, true) : null;
    const payloadObject = checkpointPayload(
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
      (c) =>
        columnWriter(
          this.store,
          at,
          c,
          this.fileMinor >= 5,
          (location) => this.rows.cache.peek(location) ?? this.committedRows?.find(location),
          this.rows.arena,
        ),
      light,
    );
    const payload = encodePayload(payloadObject);
    // The pages go first: the checkpoint's directory points back into them. Their frame's header
    // is written once they are all out (its checksum covers them); until the sync below, any
    // part of these writes may be missing after a crash, as of one large write, and the
    // superblock still names the previous checkpoint.
    const pages = sink ? sink.finish() : { length: 0, crc: 0 };
    const pagesBytes = pages.length > 0 ? FRAME_HEADER_SIZE + pages.length : 0;
    if (pages.length > 0)
      this.store.writeAt(
        frameHeaderFor(FrameKind.PAGES, this.lastTxnId, pages.length, pages.crc, FRAME_FLAG_IGNORABLE),
        at,
      );
    const checkpointAt = at + pagesBytes;
    writeFrame(staged, FrameKind.CHECKPOINT, this.lastTxnId, payload);
    const frame = staged.view();
    this.append(frame, checkpointAt);
    this.store.sync();
    const written = pagesBytes + frame.length;
    this.durableEnd = at + written;
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
    this.framesSinceCheckpoint = 0;
    this.checkpointRetryAt = 0;
    this.checkpointIsLight = light !== null;
    this.lastCheckpointEnd = performance.now();
    if (light) {
      this.lastLightBytes = written;
      // The first light checkpoint of a process runs in code V8 has not optimized yet (several
      // times slower): its duration would space the next ones too widely, so it does not count.
      this.lastLightMs = this.lightsWritten++ === 0 ? 0 : this.lastCheckpointEnd - started;
    } else {
      this.lastCheckpointBytes = written;
      this.lastLightBytes = 0;
      this.catalogSinceBase = false;
      this.lagBase =
        layout === 5
          ? {
              at: checkpointAt,
              from: this.durableEnd,
              txnId: this.lastTxnId,
              bytes: written,
              dirs: indexDirectories(payloadObject),
            }
          : null;
    }
    if (sink) {
      // Published: the trees stand on its pages from now on (decoded leaves become evictable, and
      // the next checkpoint writes only the pages changed after this one).
      sink.source.limit = checkpointAt;
      for (const [tree, pages] of sink.adopted) tree.adoptPages(pages, this.leafCache);
      sink.publishColumns();
    }
    staged.reset();
    return written;
  }

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
    // Between identity checks, one read past the log's end says whether anything was appended:
    // a writer that replaces the file by a rename first appends a MOVED frame there, which ends
    // the fast path (the fstat it saves is most of a point query's time on such a handle).
    const now = performance.now();
    if (
      !this.logEndsMoved &&
      now - this.identityCheckedAt < livePolicy.identityCheckMs &&
      this.store.logEndsAt(this.durableEnd)
    )
      return false;
    this.identityCheckedAt = now;
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
    const result = this.replayBatched(scanEnd, () =>
      scanLog(this.store, scanEnd, this.lastTxnId, (txnId, frames) => this.applyCommitted(txnId, frames)),
    );
    this.lastTxnId = result.lastTxnId;
    this.durableEnd = result.goodEnd;
    if (result.goodEnd > scanEnd) this.logEndsMoved = result.endsMoved;
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
    this.cancelIdleCheckpoint();
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
    if (this.logBytesSinceFullCheckpoint <= CLOSE_CHECKPOINT_BYTES) return;
    this.checkpointBestEffort();
  }

  /** The idle checkpoint (EngineTransactions.scheduleIdleCheckpoint): the same best effort. */
  protected checkpointWhenIdle(): void {
    if (this.readOnly || this.broken || !(this.store instanceof FileStore)) return;
    this.checkpointBestEffort();
  }

  /**
   * A commit's automatic checkpoint: the commit is durable before it starts, so a failure here
   * must not fail the commit (it would be reported failed and found by the next open). A file
   * system error (a full disk, the lock found lost) is left for the next write to meet; the next
   * automatic try waits for CHECKPOINT_RETRY_BYTES more log.
   */
  protected checkpointAfterCommit(light: boolean, rows?: CommittedRows): void {
    this.committedRows = rows ?? null;
    try {
      this.checkpointOf(light);
    } catch (err) {
      if (!(err instanceof OperationalError)) throw err;
      this.checkpointRetryAt = this.logBytesSinceCheckpoint + CHECKPOINT_RETRY_BYTES;
    } finally {
      this.committedRows = null;
    }
  }

  /** The rows of the commit whose checkpoint is being written, for its column pages (or null). */
  private committedRows: CommittedRows | null = null;

  private checkpointBestEffort(): void {
    try {
      this.writeCheckpoint();
    } catch {
      // Cut back already (writeCheckpoint); the log holds every commit.
    }
  }

  /** Cut the file back to the log's end after a failed append, if it is still ours to cut. */
  private cutBackFailedAppend(): void {
    try {
      this.verifyOwnership(null);
      if (this.store.size > this.durableEnd) this.store.truncate(this.durableEnd);
      this.reservedEnd = this.durableEnd;
    } catch {
      // Not ours any more, or the disk refuses: the next writer's open cuts the torn append.
    }
  }

  /**
   * Before a rename replaces the file: a MOVED frame at the log's end tells live readers, whose
   * look between statements is a read there, to check which file is at the path (docs/format.md
   * §3). It becomes part of this writer's log: if the rename fails, commits follow it. A disk
   * without room for it does not stop the compaction: readers then notice the rename at their
   * next identity check (livePolicy.identityCheckMs).
   */
  private appendMoved(): void {
    this.verifyOwnership(this.durableEnd);
    const frame = movedFrame(this.lastTxnId);
    try {
      this.append(frame, this.durableEnd);
    } catch (err) {
      this.cutBackFailedAppend();
      if (err instanceof OperationalError && err.code === 'FULL') return;
      throw err;
    }
    this.durableEnd += frame.length;
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
    this.appendMoved();
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
}
