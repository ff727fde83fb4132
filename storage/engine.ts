/**
 * The storage engine: one per open file per process. It owns the byte store, the writer lock,
 * the catalog, the index trees, the row cache and the one write transaction.
 *
 * Durability and recovery invariants (tests cite them by number):
 *   I1. A transaction's frames are staged in memory (past 3 MiB, its first frames in a temporary
 *       file beside the database, storage/txn-spill.ts) and reach the file in ONE append at
 *       commit, followed by one sync; `commit()` returns only after the sync.
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
 *
 * The class is built in layers, one file each, each layer's class extending the one listed above
 * it (engine-types.ts holds no class). A layer calls downward; the one upward call, `checkpoint()`
 * (from recovery and commit), is declared abstract in the core.
 *   engine-types.ts          options, reports, rollback points, undo codes, tuning constants
 *   engine-core.ts           the state, and what every layer uses: staging a frame, the catalog
 *                            maps, the committed view, ownership checks, appending to the log
 *   engine-rows.ts           row writes (putRow, deleteRow) and replay's same tree updates
 *   engine-recovery.ts       opening a file: superblocks, the checkpoint, replay, the log's end
 *   engine-transactions.ts   begin, savepoints, statement marks, commit, rollback
 *   engine-file.ts           checkpoints, live refresh, re-attach, close, replaceFileWith
 *   engine.ts (this file)    the openers, reads, catalog changes and settings
 */
import { encodeStoredViews } from './sql-views';
import type { StoredView } from './sql-views';
import { encodeStoredStats } from './sql-stats';
import type { TableStats } from './sql-stats';
import * as fs from 'node:fs';
import * as nodePath from 'node:path';
import { FileStore } from './file-store';
import { MemoryStore } from './memory-store';
import type { ByteStore } from './byte-store';
import { readExact } from './byte-store';
import { movedFrame, writeFrameEncoded } from './frame';
import type { RowReaders } from './row-readers';
import { CatalogOp, FrameKind, FRAME_FLAG_IGNORABLE, isInt32 } from './format';
import type { ReadView, StagedRows } from './row-reader';
import { WriterLock, resolveRealPath } from './lock';
import { removeLeftovers } from './leftovers';
import { CollectionState, rowOfState, snapshotCollection } from './collection-state';
import type { CollectionMeta, CollectionView } from './collection-state';
import { encodeHistory, withVersion } from './schema-history';
import type { SchemaChange } from './schema-history';
import type { CollectionSchema } from './schema/normalize';
import { active, channels } from './trace';
import type { OpenTraceContext } from './trace';
import { DataError, OperationalError, SchemaError } from '../src/errors';
import type { ActiveTxn, EngineOptions, PageCacheStats, RowMemoryStats } from './engine-types';
import { EngineFile } from './engine-file';

export type { ReadView, StagedRows } from './row-reader';
export type {
  ConflictMode,
  EngineOptions,
  PageCacheStats,
  RowMemoryStats,
  PutResult,
  RecoveryMode,
  RecoveryReport,
  StatementMark,
  TxnState,
} from './engine-types';
export {
  CHECKPOINT_SPACING,
  CLOSE_CHECKPOINT_BYTES,
  DEFAULT_CHECKPOINT_EVERY_BYTES,
  DEFAULT_REPLAY_LIMIT_BYTES,
  DEFAULT_REPLAY_LIMIT_FRAMES,
} from './engine-types';

export class Engine extends EngineFile {
  private constructor(store: ByteStore, path: string | null, lock: WriterLock | null, opts: EngineOptions) {
    super(store, path, lock, opts);
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
    if (!readOnly) refuseUnwritable(real);
    const lock = readOnly || opts.lock === false ? null : WriterLock.acquire(real, opts.busyTimeoutMs ?? 0);
    let store: FileStore | null = null;
    try {
      store = FileStore.open(real, readOnly, !readOnly);
      if (lock) {
        const id = store.fileId();
        lock.bindFile(id, Math.max(0, deadline - Date.now()));
        // The length read at open may have been another writer's, through a hard link, which
        // held the identity lock while this one waited for it: read it again, now that only
        // this writer changes the file.
        store.watch();
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

  /**
   * For a caller holding the writer lock of the database at `realPath` that is about to rename
   * another file over it (compaction to a path, restore): a MOVED frame at the end of its log,
   * as the engine's own compaction writes (replaceFileWith), so its live readers look for the new
   * file at their next statement. Best effort: a file that does not open as a database, or cannot
   * be written, is left as it is; its readers notice the rename at their next identity check
   * (livePolicy.identityCheckMs).
   */
  static markMoved(realPath: string): void {
    try {
      const reader = Engine.openFileNow(realPath, { readOnly: true, recovery: 'autoTruncate' });
      const frame = movedFrame(reader.lastTxnId);
      const end = reader.durableEnd;
      reader.close();
      const store = FileStore.open(realPath, false, false);
      try {
        store.writeAt(frame, end);
      } finally {
        store.close();
      }
    } catch {
      // Not a database, or not writable: the rename goes ahead, noticed by the identity check.
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

  // ───────────────────────────── reads ─────────────────────────────

  /** The last committed state; what other connections and statements outside the transaction read. */
  committedView(): ReadView {
    this.assertOpen();
    return this.committed;
  }

  /** A snapshot of the current state including the open transaction's own writes. */
  currentView(): ReadView {
    return this.viewOfTxn(false);
  }

  /**
   * currentView() for a read that ends before the next write: an UPDATE or DELETE reads the
   * keys of its rows in full before it changes any. Its trees are not frozen (BTree
   * .transientSnapshot), so the statement's writes change their nodes in place; a point UPDATE
   * in a loop copied a path of every tree it wrote otherwise. Read after a write, it is wrong.
   */
  transientView(): ReadView {
    return this.viewOfTxn(true);
  }

  private viewOfTxn(transient: boolean): ReadView {
    this.assertOpen();
    const txn = this.txn;
    if (!txn) return this.committed;
    const views = new Map<string, CollectionView>();
    for (const [name, state] of this.collections) views.set(name, snapshotCollection(state, transient));
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

  // ───────────────────────────── file ─────────────────────────────

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

  /**
   * The point-read row memory: decoded rows and record bytes, counts and bytes held within
   * `cacheBytes` (tests and diagnostics). arenaFrames counts the table: call it rarely.
   */
  get rowMemory(): RowMemoryStats {
    const { cache, arena } = this.rows;
    return {
      decodedRows: cache.size,
      decodedBytes: cache.bytes,
      arenaFrames: arena.size,
      arenaBytes: arena.bytes,
      arenaHits: arena.hits,
      arenaMisses: arena.misses,
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

  get isClosed(): boolean {
    return this.closed;
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

/**
 * A writer needs to write the file (or, to create it, its folder) and the lock beside it: a file
 * or folder this process may only read is READ_ONLY up front, naming the way to read it, instead
 * of an I/O error about the lock directory it could not create.
 */
function refuseUnwritable(real: string): void {
  const exists = fs.existsSync(real);
  const lockDir = `${real}.lock`;
  // The lock lives in its own directory beside the file (storage/lock.ts): that one, once made.
  const beside = fs.existsSync(lockDir) ? lockDir : nodePath.dirname(real);
  for (const target of exists ? [real, beside] : [beside]) {
    try {
      fs.accessSync(target, fs.constants.W_OK);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EACCES' && code !== 'EPERM' && code !== 'EROFS') continue;
      const what =
        target === real
          ? 'the database file'
          : `${target === lockDir ? 'its lock directory' : 'the folder'} ${target}`;
      throw new OperationalError(
        `cannot open ${real} for writing: ${what} is not writable by this process (${code})` +
          (exists ? '; open it with { readOnly: true } to read it' : ''),
        'READ_ONLY',
        { cause: err },
      );
    }
  }
}
