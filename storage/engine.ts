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
 *
 * Transaction states (only the named methods move between them):
 *
 *        begin()            commit() | rollback()
 *   idle ────────► active ───────────────────────► idle
 *                    │ commit() append/sync failed and the tail could not be cut back
 *                    ▼
 *                  broken  (every later write throws; reopen to recover)
 */
import { FileStore } from './file-store';
import { MemoryStore } from './memory-store';
import type { ByteStore } from './byte-store';
import { readExact } from './byte-store';
import { GrowableBuffer } from './growable-buffer';
import { encodePayload, decodePayload } from './codec';
import { writeFrame, writeFrameEncoded, parseFrameHeader, frameChecksumOk, frameChecksumOkAt } from './frame';
import type { FrameHeader } from './frame';
import { ColumnReadError, readColumns } from './column-reader';
import { ScanMemo } from './scan-memo';
import type { RowReaders, ScanPosition } from './row-readers';
import { decodeHeader, decodeSuperblock, encodeHeader, encodeSuperblock } from './header';
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
} from './format';
import { isZeroHeader, scanLog } from './log-scan';
import type { LogFrame } from './log-scan';
import { RowCache } from './row-cache';
import type { CachedRow } from './row-cache';
import { WriterLock, DEFAULT_LOCK_STALE_MS } from './lock';
import { CollectionState, restoreCollection, snapshotCollection } from './collection-state';
import type { CollectionMeta, CollectionView } from './collection-state';
import { checkpointPayload, loadCheckpoint } from './checkpoint';
import { compareValues } from './compare';
import type { CollectionSchema } from './schema/normalize';
import {
  FormatError,
  IntegrityError,
  InterfaceError,
  OperationalError,
  SchemaError,
  TransactionError,
} from '../src/errors';

export type RecoveryMode = 'strict' | 'autoTruncate';

export interface EngineOptions {
  readOnly?: boolean;
  /** Default: autoTruncate for writers, strict for read-only opens. */
  recovery?: RecoveryMode;
  lockStaleMs?: number;
  /** Row cache budget in bytes (default 64 MiB). */
  cacheBytes?: number;
  /**
   * Write a checkpoint automatically after a commit once this many bytes of log have accumulated
   * since the last one (default 64 MiB; 0 disables), so open time stays bounded without user action.
   */
  checkpointEveryBytes?: number;
}

export type TxnState = 'idle' | 'active' | 'broken';

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

/** A frozen view of the committed catalog and trees. */
export interface ReadView {
  readonly txnId: number;
  readonly collections: ReadonlyMap<string, CollectionView>;
  /** The file the view's row locations point into (it changes when a compaction is re-attached). */
  readonly store: ByteStore;
}

interface Savepoint {
  stagedLength: number;
  frameCount: number;
  stagedRows: number;
  collections: Map<string, CollectionState>;
  nextCollectionId: number;
  views: CollectionView[];
}

interface ActiveTxn {
  id: number;
  /** File offset the staged bytes will be appended at. */
  base: number;
  staged: GrowableBuffer;
  frameCount: number;
  /** Rows put by the transaction (parallel arrays): they enter the row cache at commit. */
  rowLocations: number[];
  rowEntries: CachedRow[];
  begin: Savepoint;
}

const DEFAULT_CACHE_BYTES = 64 * 1024 * 1024;
/** Replaced files kept readable after re-attaching (for result sets opened before a compaction). */
const MAX_RETIRED_STORES = 4;
/** Read-ahead window for sequential scans: the largest, and the first (it grows as a scan goes on). */
const READ_AHEAD_BYTES = 1 << 20;
const FIRST_WINDOW_BYTES = 16 << 10;
export const DEFAULT_CHECKPOINT_EVERY_BYTES = 64 * 1024 * 1024;
/** Least log written between automatic checkpoints, as a multiple of the last checkpoint's size. */
export const CHECKPOINT_SPACING = 4;
/** Space reserved past the log at a time (file stores of writers only). */
const RESERVE_BYTES = 1 << 20;
/** Marks a probe slot with no decoded value (undefined is never a stored value). */
const MISSING = undefined;
/** First read of a record frame: enough for most rows in one system call. */
const SPECULATIVE_READ = 1024;

export class Engine {
  readonly path: string | null;
  readonly readOnly: boolean;
  private store: ByteStore;
  private lock: WriterLock | null;
  private collections = new Map<string, CollectionState>();
  private byId = new Map<number, CollectionState>();
  private nextCollectionId = 1;
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
  private readonly cache: RowCache;
  private readonly scratch = Buffer.allocUnsafe(SPECULATIVE_READ);
  private readonly stagingBuffer = new GrowableBuffer();
  private readonly keyScratch: unknown[] = [];
  /** Read-ahead window of the last sequential scan. */
  private window: { store: ByteStore; start: number; buf: Buffer } | null = null;
  private readers: (RowReaders & { view: ReadView }) | null = null;
  private readonly headProbe = Buffer.alloc(FRAME_HEADER_SIZE);
  /** Rows beside the primary-key leaves scans walk (a second budget of cacheBytes). */
  private readonly memo: ScanMemo;
  /** Scratch row for scanRowWhere's partial decodes; every slot not being tested holds MISSING. */
  private readonly probeRow: unknown[] = [];
  private readonly checkpointEvery: number;
  private readonly recordScratch: unknown[] = [0, 0, null];
  /** What recovery did on open (for `inspect` and tests). */
  recoveryReport: { truncatedFrom: number | null; reason: string | null; usedCheckpoint: boolean } = {
    truncatedFrom: null,
    reason: null,
    usedCheckpoint: false,
  };

  private constructor(store: ByteStore, path: string | null, lock: WriterLock | null, opts: EngineOptions) {
    this.store = store;
    this.path = path;
    this.lock = lock;
    this.readOnly = store.readOnly;
    this.committed = { txnId: 0, collections: new Map(), store };
    this.cache = new RowCache(opts.cacheBytes ?? DEFAULT_CACHE_BYTES);
    this.memo = new ScanMemo(opts.cacheBytes ?? DEFAULT_CACHE_BYTES);
    this.checkpointEvery = opts.checkpointEveryBytes ?? DEFAULT_CHECKPOINT_EVERY_BYTES;
  }

  /** Open or create the database file at `path`. */
  static openFile(path: string, opts: EngineOptions = {}): Engine {
    const readOnly = opts.readOnly === true;
    const lock = readOnly ? null : WriterLock.acquire(path, opts.lockStaleMs ?? DEFAULT_LOCK_STALE_MS);
    let store: FileStore | null = null;
    try {
      store = FileStore.open(path, readOnly, !readOnly);
      const engine = new Engine(store, path, lock, opts);
      engine.recover(opts.recovery ?? (readOnly ? 'strict' : 'autoTruncate'));
      return engine;
    } catch (err) {
      store?.close();
      lock?.dispose();
      throw err;
    }
  }

  /** Open a database held in memory; `bytes` (a snapshot) seeds it. */
  static openMemory(bytes?: Uint8Array, opts: EngineOptions = {}): Engine {
    const engine = new Engine(new MemoryStore(bytes), null, null, opts);
    engine.recover(opts.recovery ?? 'autoTruncate');
    return engine;
  }

  /** Open over an existing store (tests inject MemoryStores holding damaged bytes). */
  static openStore(store: ByteStore, opts: EngineOptions = {}): Engine {
    const engine = new Engine(store, null, null, opts);
    engine.recover(opts.recovery ?? (store.readOnly ? 'strict' : 'autoTruncate'));
    return engine;
  }

  // ───────────────────────────── recovery ─────────────────────────────

  private recover(mode: RecoveryMode): void {
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

    const slots = SUPERBLOCK_OFFSETS.map((at) => decodeSuperblock(readExact(this.store, at, SUPERBLOCK_SIZE)))
      .filter((sb): sb is Superblock => sb !== null)
      .sort((a, b) => b.generation - a.generation);
    if (slots.length === 0 && mode === 'strict') {
      throw new FormatError('both superblocks are damaged', 'CORRUPT', { offset: SUPERBLOCK_OFFSETS[0] });
    }

    let replayFrom = LOG_START;
    const damaged = new Map<number, number>();
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
        damaged.set(sb.checkpointOffset, sb.checkpointLength);
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
    const result = scanLog(
      this.store,
      replayFrom,
      this.lastTxnId,
      (txnId, frames) => this.applyCommitted(txnId, frames),
      damaged,
    );
    this.lastTxnId = result.lastTxnId;
    this.durableEnd = result.goodEnd;
    if (result.problem) {
      if (mode === 'strict') {
        throw new FormatError(
          `${result.problem.message}; open with recovery 'autoTruncate' to cut the damaged tail`,
          result.problem.code,
          {
            offset: result.problem.offset,
          },
        );
      }
      this.recoveryReport.truncatedFrom = result.goodEnd;
      this.recoveryReport.reason = result.problem.message;
      if (!this.readOnly) {
        this.store.truncate(result.goodEnd);
        this.store.sync();
      }
    } else if (!this.readOnly && this.store.size > result.goodEnd) {
      // Space a writer reserved and never used (it did not close cleanly): dropped, since a crash
      // may have left a partial append in it that a later strict reader would call damage.
      this.store.truncate(result.goodEnd);
      this.store.sync();
    }
    this.publishView();
    // A writer that had to fall back past a damaged checkpoint or superblocks repairs them, so the
    // next open is fast again and a strict open of the file succeeds.
    if ((damaged.size > 0 || slots.length === 0) && !this.readOnly) {
      this.checkpoint();
      this.recoveryReport.reason ??= 'damaged checkpoint replaced';
    }
  }

  private initialize(): void {
    this.fileMinor = FORMAT_MINOR;
    const init = Buffer.alloc(LOG_START);
    encodeHeader().copy(init, 0);
    encodeSuperblock(this.superblock).copy(init, SUPERBLOCK_OFFSETS[0]);
    this.store.writeAt(init, 0);
    this.store.sync();
    this.durableEnd = LOG_START;
    this.publishView();
  }

  private resetState(): void {
    this.collections = new Map();
    this.byId = new Map();
    this.nextCollectionId = 1;
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
    const data = loadCheckpoint(decodePayload(frame.payload, at), at);
    if (data.txnId !== sb.checkpointTxnId) {
      throw new FormatError(`checkpoint at offset ${at} does not match its superblock`, 'CORRUPT', {
        offset: at,
      });
    }
    this.resetState();
    for (const state of data.collections) this.addCollection(state);
    this.nextCollectionId = data.nextCollectionId;
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
          this.cache.set(frame.offset, {
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

  private replayTarget(collectionId: unknown, offset: number): CollectionState {
    const state = typeof collectionId === 'number' ? this.byId.get(collectionId) : undefined;
    if (!state) throw corruptAt(offset, `record for unknown collection ${String(collectionId)}`);
    return state;
  }

  private replayCatalog(body: unknown[], offset: number): void {
    const [op, id] = body;
    if (typeof id !== 'number') throw corruptAt(offset, 'catalog entry without id');
    if (op === CatalogOp.PUT_COLLECTION) {
      const [, , version, schema] = body;
      if (typeof version !== 'number' || typeof schema !== 'object' || schema === null)
        throw corruptAt(offset, 'catalog entry');
      const previous = this.byId.get(id);
      let state: CollectionState;
      try {
        state = previous
          ? this.rebuildState(previous, { id, version, schema: schema as CollectionSchema })
          : new CollectionState({ id, version, schema: schema as CollectionSchema });
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
    } else {
      throw corruptAt(offset, `unknown catalog operation ${String(op)}`);
    }
  }

  /**
   * A new state for a changed catalog entry: keeps the pk tree and the trees of indexes whose
   * definition is unchanged, and builds trees for new or changed indexes from the existing rows.
   */
  private rebuildState(previous: CollectionState, meta: CollectionMeta): CollectionState {
    const unchanged = new Map<string, CollectionState['indexes'][number]['tree']>();
    for (const ix of previous.indexes) {
      const now = meta.schema.indexes.find((d) => d.name === ix.def.name);
      if (now && now.kind === ix.def.kind && now.path.join('.') === ix.def.path.join('.'))
        unchanged.set(ix.def.name, ix.tree);
    }
    const state = new CollectionState(meta, previous.pk, unchanged);
    const fresh = state.indexes.filter((ix) => !unchanged.has(ix.def.name));
    if (fresh.length > 0) {
      const cur = state.pk.cursor();
      while (cur.next()) {
        const row = this.readRow(cur.value);
        for (const ix of fresh) {
          const key = ix.accessor.get(row) ?? null;
          if (ix.unique && key !== null && ix.tree.get(key) !== undefined) {
            throw new IntegrityError(
              `UNIQUE constraint failed: ${meta.schema.name}.${ix.def.path.join('.')}`,
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
  alterCollection(schema: CollectionSchema): { collectionId: number; schemaVersion: number } {
    const txn = this.requireTxn();
    const previous = this.collections.get(schema.name);
    if (!previous) throw new SchemaError(`no such collection: ${schema.name}`, 'NO_SUCH_COLLECTION');
    const meta: CollectionMeta = { id: previous.meta.id, version: previous.meta.version + 1, schema };
    const state = this.rebuildState(previous, meta);
    this.stage(txn, FrameKind.CATALOG, [CatalogOp.PUT_COLLECTION, meta.id, meta.version, schema]);
    this.removeCollection(previous);
    this.addCollection(state);
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
    for (const [name, state] of this.collections) views.set(name, snapshotCollection(state));
    this.committed = { txnId: this.lastTxnId, collections: views, store: this.store };
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
    if (!this.txn) return this.committed;
    const views = new Map<string, CollectionView>();
    for (const [name, state] of this.collections) views.set(name, snapshotCollection(state));
    return { txnId: this.txn.id, collections: views, store: this.store };
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

  /** Decode the row stored at `location` (a RECORD_PUT frame offset), through the cache. */
  readRow(location: number): unknown[] {
    const cached = this.cache.get(location);
    if (cached) return cached.row;
    const txn = this.txn;
    if (txn && location >= txn.base)
      return this.decodeRecord(
        txn.staged.buf,
        location - txn.base,
        txn.staged.length - (location - txn.base),
        location,
      ).row;
    const scratch = this.scratch;
    const got = this.store.readInto(
      scratch,
      0,
      Math.min(SPECULATIVE_READ, this.durableEnd - location),
      location,
    );
    let entry: { collectionId: number; row: unknown[]; bytes: number };
    const header = got >= FRAME_HEADER_SIZE ? parseFrameHeader(scratch, 0, this.durableEnd - location) : null;
    if (header && FRAME_HEADER_SIZE + header.length <= got) {
      entry = this.decodeRecord(scratch, 0, got, location);
    } else {
      const whole = header ? readExact(this.store, location, FRAME_HEADER_SIZE + header.length) : null;
      if (!whole) throw corruptAt(location, 'record frame is cut off');
      entry = this.decodeRecord(whole, 0, whole.length, location);
    }
    this.padRow(entry);
    this.cache.set(location, entry);
    return entry.row;
  }

  /** Rows written before ALTER TABLE ADD COLUMN are shorter: the new columns read as their defaults. */
  private padRow(entry: { collectionId: number; row: unknown[] }): void {
    const state = this.byId.get(entry.collectionId);
    if (state && entry.row.length < state.compiled.columnCount) {
      entry.row = [...entry.row, ...state.compiled.storedDefaults.slice(entry.row.length)];
    }
  }

  private decodeRecord(
    buf: Buffer,
    at: number,
    available: number,
    location: number,
    checksumVerified = false,
  ): { collectionId: number; row: unknown[]; bytes: number } {
    const header = parseFrameHeader(buf, at, available);
    if (!header || header.kind !== FrameKind.RECORD_PUT) throw corruptAt(location, 'expected a record frame');
    const payload = buf.subarray(at + FRAME_HEADER_SIZE, at + FRAME_HEADER_SIZE + header.length);
    if (!checksumVerified && !frameChecksumOk(buf, at, payload, header.crc))
      throw corruptAt(location, 'record checksum mismatch');
    const body = decodePayload(payload, location);
    if (!Array.isArray(body) || typeof body[0] !== 'number' || !Array.isArray(body[2]))
      throw corruptAt(location, 'record payload');
    const row = body[2] as unknown[];
    // A valid checksum does not make a valid row: every value is checked against the schema.
    if (this.byId.get(body[0])?.compiled.isStoredRow(row) === false)
      throw corruptAt(location, 'record that does not match its collection schema');
    return { collectionId: body[0], row, bytes: FRAME_HEADER_SIZE + header.length };
  }

  /**
   * Read a row for a view: from the current file, or — for a view taken before a compaction was
   * re-attached — from the replaced file it was taken on, so a running result set stays consistent.
   */
  readRowFor(view: ReadView, location: number): unknown[] {
    if (view.store === this.store) return this.readRow(location);
    if (!this.retired.includes(view.store)) {
      throw new OperationalError(
        'this result set was opened before the file was compacted several times; re-run the query',
        'OPERATIONAL',
      );
    }
    const head = readExact(view.store, location, FRAME_HEADER_SIZE);
    const header = head ? parseFrameHeader(head, 0, view.store.size - location) : null;
    const whole = header ? readExact(view.store, location, FRAME_HEADER_SIZE + header.length) : null;
    if (!whole) throw corruptAt(location, 'record frame in a replaced file');
    return this.decodeRecord(whole, 0, whole.length, location).row;
  }

  /**
   * readRowFor for scans: rows of a collection scan usually lie in file order, so on a cache miss
   * read a large window of the file at once and decode the following rows from it instead of one
   * positional read per row (a cold scan would otherwise be one system call per row).
   */
  readRowAhead(view: ReadView, at: ScanPosition): unknown[] {
    const known = this.rowAtHand(view, at);
    if (known) return known;
    const frame = this.windowFrame(at.value);
    if (!frame) return this.readRow(at.value); // a frame larger than the window: plain read
    return this.remember(at, this.decodeRecord(frame.buf, frame.at, frame.buf.length - frame.at, at.value));
  }

  /**
   * A scan's read with its filter pushed down: the row at `at` when `test` accepts it, else null.
   * A row not in memory is first tested on just `columns` (ascending; the only ones `test`
   * reads), decoded straight from the read-ahead window, and decoded whole only if it passes — a
   * selective scan over cold rows then builds no row objects for the rows it rejects.
   */
  scanRowWhere(
    view: ReadView,
    at: ScanPosition,
    columns: readonly number[],
    test: (row: unknown[]) => boolean,
  ): unknown[] | null {
    const known = this.rowAtHand(view, at);
    if (known) return test(known) ? known : null;
    const location = at.value;
    const frame = this.windowFrame(location);
    if (!frame) {
      const row = this.readRow(location);
      return test(row) ? row : null;
    }
    const { buf, at: offset, header } = frame;
    const start = offset + FRAME_HEADER_SIZE;
    if (header.kind !== FrameKind.RECORD_PUT) throw corruptAt(location, 'expected a record frame');
    if (!frameChecksumOkAt(buf, offset, header.length, header.crc))
      throw corruptAt(location, 'record checksum mismatch');
    const probe = this.probeRow;
    let collectionId: number;
    try {
      collectionId = readColumns(buf, start, start + header.length, columns, probe);
    } catch (err) {
      if (err instanceof ColumnReadError) throw corruptAt(location, 'record payload');
      throw err;
    }
    const state = this.byId.get(collectionId);
    if (state) {
      // Columns an older row lacks (added by ALTER TABLE) read as their defaults.
      const defaults = state.compiled.storedDefaults;
      const checks = state.compiled.storedColumnChecks;
      for (const c of columns) {
        if (probe[c] === MISSING) probe[c] = defaults[c];
        else if (!checks[c](probe[c])) {
          for (const k of columns) probe[k] = MISSING;
          throw corruptAt(location, 'record that does not match its collection schema');
        }
      }
    }
    const pass = test(probe);
    for (const c of columns) probe[c] = MISSING;
    if (!pass) return null;
    return this.remember(at, this.decodeRecord(buf, offset, buf.length - offset, location, true));
  }

  /**
   * The row at a scan position when it needs no decoding from the current file: memoized beside
   * its leaf, in the row cache (then memoized), or read for a view of a replaced file or of the
   * open transaction (never memoized: those locations are not the current file's committed rows).
   */
  private rowAtHand(view: ReadView, at: ScanPosition): unknown[] | undefined {
    const memo = this.memo.get(at);
    if (memo) return memo;
    const location = at.value;
    if (view.store !== this.store || (this.txn && location >= this.txn.base))
      return this.readRowFor(view, location);
    const cached = this.cache.get(location);
    if (!cached) return undefined;
    this.memo.set(at, cached.row, cached.bytes);
    return cached.row;
  }

  /** Keep a row a scan decoded: offered to the row cache and memoized beside its leaf. */
  private remember(at: ScanPosition, entry: CachedRow): unknown[] {
    this.padRow(entry);
    this.cache.offer(at.value, entry);
    this.memo.set(at, entry.row, entry.bytes);
    return entry.row;
  }

  /** Rows currently held decoded in the row cache (tests count work with it). */
  get cachedRowCount(): number {
    return this.cache.size;
  }

  /**
   * The row readers of statements running over `view` (planner/run.ts RowReaders). Built once per
   * view: a statement only re-executed against the same committed state allocates nothing here.
   */
  readersFor(view: ReadView): RowReaders {
    if (this.readers?.view !== view) {
      this.readers = {
        view,
        readRow: (l) => this.readRowFor(view, l),
        readRowSequential: (at) => this.readRowAhead(view, at),
        scanRowWhere: (at, columns, test) => this.scanRowWhere(view, at, columns, test),
      };
    }
    return this.readers;
  }

  /** The frame at `location` inside the read-ahead window (re-reading the window as needed). */
  private windowFrame(location: number): { buf: Buffer; at: number; header: FrameHeader } | null {
    let w = this.window;
    if (
      !w ||
      w.store !== this.store ||
      location < w.start ||
      location + FRAME_HEADER_SIZE > w.start + w.buf.length
    ) {
      w = this.readWindow(location);
    }
    let at = location - w.start;
    let header = parseFrameHeader(w.buf, at, w.buf.length - at);
    if (!header && at > 0) {
      // The frame runs past the window's end: slide the window to start at it.
      w = this.readWindow(location);
      at = 0;
      header = parseFrameHeader(w.buf, 0, w.buf.length);
    }
    return header ? { buf: w.buf, at, header } : null;
  }

  /**
   * Read the window starting at `location`. Its size doubles while reads keep moving forward
   * from the previous window (a scan) up to READ_AHEAD_BYTES, and starts small otherwise, so a
   * short range walk does not pay for a megabyte it never uses.
   */
  private readWindow(location: number): { store: ByteStore; start: number; buf: Buffer } {
    const prev = this.window;
    const forward =
      prev !== null &&
      prev.store === this.store &&
      location >= prev.start &&
      location <= prev.start + 2 * prev.buf.length;
    const want = forward ? Math.min(READ_AHEAD_BYTES, prev.buf.length * 2) : FIRST_WINDOW_BYTES;
    const size = Math.max(0, Math.min(want, this.durableEnd - location));
    const buf = Buffer.allocUnsafe(size);
    const n = this.store.readInto(buf, 0, size, location);
    this.window = { store: this.store, start: location, buf: buf.subarray(0, n) };
    return this.window;
  }

  /** The stored row with primary key `pk` in the current state, or undefined. */
  getRow(state: CollectionState, pk: unknown): unknown[] | undefined {
    const loc = state.pk.get(pk);
    return loc === undefined ? undefined : this.readRow(loc);
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
      rowLocations: [],
      rowEntries: [],
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
      views,
    };
  }

  rollbackTo(sp: Savepoint): void {
    const txn = this.requireTxn();
    this.catalogGen++;
    this.collections = new Map(sp.collections);
    this.byId = new Map([...this.collections.values()].map((s) => [s.meta.id, s] as const));
    this.nextCollectionId = sp.nextCollectionId;
    for (const view of sp.views) restoreCollection(view);
    txn.staged.length = sp.stagedLength;
    txn.frameCount = sp.frameCount;
    txn.rowLocations.length = sp.stagedRows;
    txn.rowEntries.length = sp.stagedRows;
  }

  commit(): void {
    const txn = this.requireTxn();
    if (txn.frameCount === 0) {
      this.txn = null; // nothing written: an empty transaction leaves no trace in the file
      return;
    }
    this.lock?.assertHeld();
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
    for (let i = 0; i < txn.rowLocations.length; i++) this.cache.set(txn.rowLocations[i], txn.rowEntries[i]);
    this.txn = null;
    this.publishView();
    if (this.checkpointDue()) this.checkpoint();
  }

  /**
   * The automatic checkpoint policy: after `checkpointEvery` bytes of log, and never before the
   * log since the last checkpoint is CHECKPOINT_SPACING times that checkpoint's size. A checkpoint
   * holds every index, so a fixed spacing would fill a growing file with superseded checkpoints
   * (O(n²) bytes); spacing them in proportion keeps those under a fixed fraction of the file,
   * while the log left to replay after a crash stays proportional to the index size.
   */
  private checkpointDue(): boolean {
    if (this.checkpointEvery <= 0) return false;
    const spacing = Math.max(this.checkpointEvery, CHECKPOINT_SPACING * this.superblock.checkpointLength);
    return this.logBytesSinceCheckpoint >= spacing;
  }

  /** A failed append may have left part of the transaction in the file: cut it off, or stop writing. */
  private failCommit(txn: ActiveTxn, err: unknown): void {
    this.rollbackTo(txn.begin);
    this.txn = null;
    try {
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
    const meta: CollectionMeta = { id: this.nextCollectionId, version: 1, schema };
    const state = new CollectionState(meta);
    this.stage(txn, FrameKind.CATALOG, [CatalogOp.PUT_COLLECTION, meta.id, meta.version, schema]);
    this.nextCollectionId++;
    this.addCollection(state);
    return { collectionId: meta.id, schemaVersion: meta.version };
  }

  /** Recreate a collection with its id and schema version (compaction copies catalogs this way). */
  importCollection(meta: CollectionMeta): void {
    const txn = this.requireTxn();
    if (this.collections.has(meta.schema.name))
      throw new SchemaError(`collection ${meta.schema.name} already exists`, 'SCHEMA');
    const state = new CollectionState({ ...meta });
    this.stage(txn, FrameKind.CATALOG, [CatalogOp.PUT_COLLECTION, meta.id, meta.version, meta.schema]);
    this.nextCollectionId = Math.max(this.nextCollectionId, meta.id + 1);
    this.addCollection(state);
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
    for (let i = 0; i < indexes.length; i++) {
      const ix = indexes[i];
      const key = ix.accessor.get(row) ?? null;
      keys[i] = key;
      if (!ix.unique || key === null) continue;
      const other = ix.tree.get(key);
      if (other === undefined || compareValues(other, pk) === 0) continue;
      if (mode === 'ignore') return 'ignored';
      if (mode !== 'replaceAll') {
        throw new IntegrityError(
          `UNIQUE constraint failed: ${state.name}.${ix.def.path.join('.')}`,
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
    if (previous !== undefined) this.unindex(state, this.readRow(previous), pk);
    for (let i = 0; i < indexes.length; i++) indexes[i].tree.add(keys[i], pk);
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
    this.stage(txn, FrameKind.RECORD_DELETE, [state.meta.id, pk]);
    return true;
  }

  private unindex(state: CollectionState, row: readonly unknown[], pk: unknown): void {
    for (const ix of state.indexes) ix.tree.delete(ix.accessor.get(row) ?? null, pk);
  }

  /** Replay of a RECORD_PUT: the same tree updates as putRow, without staging. */
  private applyPut(state: CollectionState, row: unknown[], location: number): void {
    const pk = state.pkOf(row);
    const oldLoc = state.pk.get(pk);
    if (oldLoc !== undefined) this.unindex(state, this.readRow(oldLoc), pk);
    state.pk.set(pk, location);
    for (const ix of state.indexes) ix.tree.add(ix.accessor.get(row) ?? null, pk);
  }

  private applyDelete(state: CollectionState, pk: unknown): void {
    const loc = state.pk.get(pk);
    if (loc === undefined) return;
    this.unindex(state, this.readRow(loc), pk);
    state.pk.delete(pk);
  }

  /** Append one frame to the transaction; returns the file offset it will have. */
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
    this.assertWritable();
    if (this.txn) throw new TransactionError('cannot checkpoint inside a transaction');
    this.lock?.assertHeld();
    const staged = this.stagingBuffer;
    staged.reset();
    const payload = encodePayload(
      checkpointPayload(
        {
          txnId: this.lastTxnId,
          nextCollectionId: this.nextCollectionId,
          collections: [...this.collections.values()],
        },
        // Packed columns are format 1.1: a 1.0 file keeps checkpoints its own readers can load.
        this.fileMinor >= 1 ? 2 : 1,
      ),
    );
    writeFrame(staged, FrameKind.CHECKPOINT, this.lastTxnId, payload);
    const at = this.durableEnd;
    const frame = staged.view();
    this.append(frame, at);
    this.store.sync();
    this.durableEnd = at + frame.length;
    const next: Superblock = {
      generation: this.superblock.generation + 1,
      checkpointOffset: at,
      checkpointLength: frame.length,
      checkpointTxnId: this.lastTxnId,
      replayFrom: this.durableEnd,
    };
    this.store.writeAt(encodeSuperblock(next), SUPERBLOCK_OFFSETS[next.generation % 2]);
    this.store.sync();
    this.superblock = next;
    staged.reset();
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
    this.cache.clear();
    this.memo.clear();
    this.resetState();
    this.superblock = {
      generation: 0,
      checkpointOffset: 0,
      checkpointLength: 0,
      checkpointTxnId: 0,
      replayFrom: LOG_START,
    };
    this.recoveryReport = { truncatedFrom: null, reason: null, usedCheckpoint: false };
    // A live reader may see the writer mid-append: use the committed prefix (read-only never writes).
    this.recover(this.readOnly ? 'autoTruncate' : 'strict');
  }

  close(): void {
    if (this.closed) return;
    if (this.txn) this.rollback();
    this.closed = true;
    // A clean close leaves no reserved space: the file ends where the log does.
    if (!this.readOnly && !this.broken && this.store.size > this.durableEnd) {
      try {
        this.store.truncate(this.durableEnd);
      } catch {
        // The reserved zeros are harmless: the next open drops them.
      }
    }
    this.store.close();
    for (const old of this.retired.splice(0)) old.close();
    this.lock?.dispose();
    this.cache.clear();
    this.memo.clear();
  }

  get isClosed(): boolean {
    return this.closed;
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

function corruptAt(offset: number, what: string): FormatError {
  return new FormatError(`corrupt ${what} at offset ${offset}`, 'CORRUPT', { offset });
}

function compareSchemas(a: CollectionSchema, b: CollectionSchema): boolean {
  return JSON.stringify(a, bigintSafe) === JSON.stringify(b, bigintSafe);
}

function bigintSafe(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? `${value.toString()}n` : value;
}
