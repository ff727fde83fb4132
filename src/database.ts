/**
 * The typed collection API (SPEC §3 `Database`). A Database is a handle on the process's engine
 * for its file: it validates user rows against the collection schema, runs every write in a
 * transaction (its own, or the one `transaction(fn)` opened) and converts stored rows back to
 * plain objects. It may call storage/ and the error module; nothing calls upward into it.
 */
import type { StoredView } from '../storage/sql-views';
import * as fs from 'node:fs';
import { Engine } from '../storage/engine';
import { compactInPlace, compactToBytes, compactToFile } from '../storage/compaction';
import { WriterLock, resolveRealPath } from '../storage/lock';
import { renameDurably } from '../storage/file-store';
import { ioError } from '../storage/io-error';
import { rowOfState } from '../storage/collection-state';
import type { CollectionState } from '../storage/collection-state';
import { acquireEngine, releaseEngine } from '../storage/registry';
import { normalizeCollection } from '../storage/schema/normalize';
import type { FieldDescriptor, IndexDescriptor, PrimaryKeyDescriptor } from '../storage/schema/descriptors';
import { HIDDEN_ROWID } from '../storage/schema/normalize';
import { assignRowid, canonicalKey, hasCompositeKey, rowidOf } from './composite-key';
import { InterfaceError, OperationalError, ProgrammingError, SchemaError, TransactionError } from './errors';
import { checkOptions, OPEN_OPTIONS } from './options';
import { Query } from './query';
import type { QueryHost } from './query';
import type { ReadView } from '../storage/engine';
import type { OpenOptions } from './options';
import { Model } from './models/model';
import type { AnyModel } from './models/model';
import { ModelCollection } from './models/collection';
import {
  backfill,
  checkSubset,
  planSchemaVersion,
  rebuildIndexes,
  registerSchemaVersion,
  schemaVersions,
} from './schema-versions';
import type { BackfillOptions, SchemaPlan, SchemaVersionInfo, SchemaVersionInput } from './schema-versions';

import { DeferredForeignKeys, ForeignKeyGuard } from '../planner/foreign-keys';
import { installSqlHooks } from '../parser/sql-hooks';
import type { ForeignKeyDescriptor } from '../storage/schema/foreign-keys';

export type { OpenOptions } from './options';

/** Options of registerCollection beyond fields, key and indexes. */
export interface CollectionOptions {
  /** Foreign keys of the collection's rows (docs/api.md "Foreign keys"). */
  foreignKeys?: readonly ForeignKeyDescriptor[];
}

/** Options of `insert()`: what an existing row with the same primary key means. */
export interface InsertOptions {
  /** 'replace' (the default) replaces it; 'abort' refuses with an IntegrityError. */
  onConflict?: 'replace' | 'abort';
}

function versionInput(next: SchemaVersionInput | AnyModel): SchemaVersionInput {
  return next instanceof Model ? next.descriptor : next;
}

function insertMode(options: InsertOptions | undefined): 'replacePk' | 'abort' {
  const c = options?.onConflict;
  if (c === undefined || c === 'replace') return 'replacePk';
  if (c === 'abort') return 'abort';
  throw new InterfaceError(`insert: onConflict must be 'replace' or 'abort'`, 'BAD_OPTION');
}

export interface RegisteredCollection {
  collectionId: number;
  schemaVersion: number;
}

type Row = Record<string, unknown>;

/** Which handle's write transaction the engine is in; another handle writing meanwhile is BUSY. */
const txnOwners = new WeakMap<Engine, Database>();

/**
 * Each handle's foreign-key switch (the `foreignKeys` open option, SQL's PRAGMA foreign_keys) and
 * its transaction's deferred checks; kept beside the class so the SQL layer reaches them without
 * widening the public Database surface.
 */
const foreignKeyStates = new WeakMap<Database, { enabled: boolean; deferred: DeferredForeignKeys }>();

/** Whether handle `db` enforces foreign keys. */
/** Transactions each handle committed: what dataVersion leaves out. */
const ownTxns = new WeakMap<Database, number>();

/**
 * SQLite's `PRAGMA data_version` for handle `db`: a number that changes when a transaction
 * committed by anyone but this handle — another connection, or a writer in another process (a
 * read-only handle sees those at its next read) — has become visible to it, and stays put across
 * the handle's own commits. Only comparing two values means anything.
 */
export function dataVersion(db: Database): number {
  const engine = db.storage;
  if (engine.readOnly) engine.refresh();
  return engine.committedView().txnId - (ownTxns.get(db) ?? 0) + 1;
}

/** Commit `db`'s transaction on `engine`, counting the transaction ids it consumed as its own. */
function commitCounted(db: Database, engine: Engine): void {
  const before = engine.committedView().txnId;
  engine.commit();
  ownTxns.set(db, (ownTxns.get(db) ?? 0) + engine.committedView().txnId - before);
}

export function foreignKeysEnabled(db: Database): boolean {
  return foreignKeyStates.get(db)?.enabled ?? true;
}

/** Switch enforcement for handle `db`; inside its transaction this does nothing, as in SQLite. */
export function setForeignKeys(db: Database, on: boolean): void {
  const state = foreignKeyStates.get(db);
  if (state && !db.inTransaction) state.enabled = on;
}

/** The foreign-key guard for one write of handle `db`, or null when nothing is enforced. */
export function foreignKeyGuard(db: Database, engine: Engine): ForeignKeyGuard | null {
  const state = foreignKeyStates.get(db);
  return state ? ForeignKeyGuard.open(engine, state.enabled, state.deferred) : null;
}

export class Database {
  private engine: Engine | null;
  private readonly safeIntegers: boolean;
  private queryHost: QueryHost | null = null;
  private readonly readOnly: boolean;
  /**
   * Depth of running `transaction(fn)` calls. While one runs, the transaction is the scope's:
   * an explicit commit or rollback would let `fn` go on outside it, and a throw afterwards
   * could no longer undo what `fn` wrote.
   */
  private scopes = 0;
  /** Calls of interrupt(), compared by running queries (src/query.ts). */
  private interruptCount = 0;
  /** Checks of deferred foreign keys that the open transaction's commit must run. */
  private readonly deferredKeys: DeferredForeignKeys;

  private constructor(engine: Engine, opts: OpenOptions) {
    this.engine = engine;
    this.safeIntegers = opts.safeIntegers === true;
    this.readOnly = opts.readOnly === true || engine.readOnly;
    const fk = { enabled: opts.foreignKeys !== false, deferred: new DeferredForeignKeys() };
    foreignKeyStates.set(this, fk);
    this.deferredKeys = fk.deferred;
  }

  /** Open (creating if needed) the database file at `path`. */
  static open(path: string, options?: OpenOptions): Database {
    if (typeof path !== 'string' || path.length === 0) {
      throw new InterfaceError('Database.open: path must be a non-empty string', 'BAD_OPTION');
    }
    const opts = checkOptions<OpenOptions>('Database.open', options, OPEN_OPTIONS);
    if (path === ':memory:') return Database.openInMemory(opts);
    // Partial and expression indexes are SQL: reading a catalog that has one needs it.
    installSqlHooks();
    return new Database(acquireEngine(path, opts), opts);
  }

  /** A database that lives in memory only; same engine and format, a MemoryStore underneath. */
  static openInMemory(options?: Omit<OpenOptions, 'readOnly' | 'lockStaleMs'>): Database {
    const opts = checkOptions<OpenOptions>('Database.openInMemory', options, OPEN_OPTIONS);
    installSqlHooks();
    return new Database(Engine.openMemory(undefined, opts), opts);
  }

  /** @internal The engine under this handle (the SQL layer and tests use it). */
  get storage(): Engine {
    return this.live();
  }

  get inTransaction(): boolean {
    const engine = this.live();
    return engine.inTransaction && txnOwners.get(engine) === this;
  }

  get isOpen(): boolean {
    return this.engine !== null && !this.engine.isClosed;
  }

  registerCollection(
    name: string,
    fields: readonly FieldDescriptor[],
    primaryKey: PrimaryKeyDescriptor,
    indexes: readonly IndexDescriptor[] = [],
    options: CollectionOptions = {},
  ): RegisteredCollection {
    if (typeof options !== 'object' || options === null || Array.isArray(options))
      throw new InterfaceError('registerCollection: options must be an object', 'BAD_OPTION');
    for (const key of Object.keys(options))
      if (key !== 'foreignKeys')
        throw new InterfaceError(
          `registerCollection: unknown option '${key}'; known options: foreignKeys`,
          'BAD_OPTION',
        );
    const schema = normalizeCollection(
      name,
      fields,
      primaryKey,
      indexes,
      options.foreignKeys === undefined ? {} : { foreignKeys: options.foreignKeys },
    );
    return this.write((engine) => engine.registerCollection(schema));
  }

  collectionNames(): string[] {
    const engine = this.live();
    if (engine.readOnly) engine.refresh();
    return this.visibleCollectionNames();
  }

  /**
   * Insert `row`, replacing any row with the same primary key. Returns what happened. With
   * `{ onConflict: 'abort' }` an existing row with the same key is an IntegrityError instead
   * (`PRIMARY_KEY`, or `UNIQUE` for a composite key) and nothing is written.
   */
  insert(name: string, row: Row, options?: InsertOptions): 'inserted' | 'replaced' {
    const state = this.state(name);
    const mode = insertMode(options);
    if (hasCompositeKey(state)) {
      // The rowid is the engine's to choose: the row with the same key keeps its own.
      const stored = state.compiled.toRow({ ...row, [HIDDEN_ROWID]: 0 });
      return this.write((engine) => {
        const live = this.state(name);
        assignRowid(live, stored);
        return this.putChecked(engine, live, stored, mode);
      });
    }
    const stored = state.compiled.toRow(row);
    // Hot path of bulk loads: inside this handle's transaction, skip the autocommit wrapper.
    if (this.inTransaction) return this.putChecked(this.live(), state, stored, mode);
    return this.write((engine) => this.putChecked(engine, this.state(name), stored, mode));
  }

  /**
   * A put with foreign keys enforced: a replaced row counts as an update of the old one (ON UPDATE
   * actions when a referenced key changed), and the write's checks run when it is done.
   */
  private putChecked(
    engine: Engine,
    state: CollectionState,
    stored: unknown[],
    mode: 'replacePk' | 'abort' = 'replacePk',
  ): 'inserted' | 'replaced' {
    const fk = foreignKeyGuard(this, engine);
    if (fk === null) return engine.putRow(state, stored, mode) as 'inserted' | 'replaced';
    const old = engine.getRow(state, state.pkOf(stored));
    fk.prepare(state.name, old === undefined ? 'insert' : 'update');
    // The bulk-load path: a new row checked before it is written needs no savepoint.
    if (old === undefined && fk.checkBeforeInsert(state, stored))
      return engine.putRow(state, stored, mode) as 'inserted' | 'replaced';
    return undoOnThrow(engine, () => {
      const result = engine.putRow(state, stored, mode) as 'inserted' | 'replaced';
      if (old === undefined) fk.inserted(state, stored);
      else fk.updated(state, old, stored, null);
      fk.finish();
      return result;
    });
  }

  private deleteChecked(engine: Engine, state: CollectionState, pk: unknown): boolean {
    const fk = foreignKeyGuard(this, engine);
    if (fk === null) return engine.deleteRow(state, pk);
    fk.prepare(state.name, 'delete');
    return undoOnThrow(engine, () => {
      const done = fk.deleteRow(state, pk);
      fk.finish();
      return done;
    });
  }

  /**
   * A typed collection for `m` (see docs/models.md): registers the model's collection (a no-op
   * when the catalog already holds the same schema) and returns its typed API. With
   * `{ subset: true }` the collection must exist and hold every field of the model unchanged; the
   * model then reads its own fields only, and its writes keep the fields it does not declare.
   */
  register<M extends AnyModel>(m: M, options?: { subset?: boolean }): ModelCollection<M> {
    if (!(m instanceof Model))
      throw new InterfaceError('register() needs a model from model() or fromZod()', 'BAD_OPTION');
    const d = m.descriptor;
    if (options?.subset === true) {
      checkSubset(this.visibleCollection(d.name)?.meta.schema, d);
      return new ModelCollection(this, m, { subset: true });
    }
    try {
      this.registerCollection(d.name, d.fields, d.primaryKey, d.indexes);
    } catch (err) {
      // Say what differs: the same diff planSchemaVersion() (and migrations) work from.
      if (!(err instanceof SchemaError) || !this.visibleCollection(d.name)) throw err;
      let diff = err.message;
      try {
        const plan = planSchemaVersion(this, d.name, d);
        diff = `${plan.steps.map((s) => `${s.kind} ${s.target} (${s.classification})`).join(', ')}; schema version ${plan.fromVersion}`;
      } catch {
        // A collection schema versions do not cover (composite key): the engine's message stands.
      }
      throw new SchemaError(
        `model ${d.name} does not match the stored collection: ${diff}; plan and apply a schema version`,
        'SCHEMA',
        { cause: err },
      );
    }
    return new ModelCollection(this, m);
  }

  /**
   * Classify changing collection `name` to `next` (fields, and optionally key and indexes; or a
   * model) as compatible / needsMigration / breaking, with the steps and row counts. Writes nothing.
   */
  planSchemaVersion(name: string, next: SchemaVersionInput | AnyModel): SchemaPlan {
    return planSchemaVersion(this, name, versionInput(next));
  }

  /**
   * Apply a schema version: compatible changes directly, needsMigration and breaking ones with
   * `force` once no row violates them (a breaking one rewrites every row: dropped fields' values
   * go); a new primary key is refused. Recorded in the catalog as a new version.
   */
  registerSchemaVersion(
    name: string,
    next: SchemaVersionInput | AnyModel,
    options?: { force?: boolean },
  ): SchemaPlan & { schemaVersion: number } {
    return registerSchemaVersion(this, name, versionInput(next), options);
  }

  /** Fill `path` where it is null with `value` (or `value(row)`), in resumable batches; see docs/models.md. */
  backfill(
    name: string,
    path: string | readonly string[],
    value: unknown,
    options?: BackfillOptions,
  ): number {
    return backfill(this, name, path, value, options);
  }

  /** Rebuild every secondary index of `name` from its rows; returns how many. */
  rebuildIndexes(name: string): number {
    return rebuildIndexes(this, name);
  }

  /**
   * The schema versions of `name` as the catalog records them, oldest first: each version's
   * number, when it was registered and what kind of change it was (both null for versions a file
   * written by an older release holds without them). See docs/migrations.md.
   */
  schemaVersions(name: string): SchemaVersionInfo[] {
    return schemaVersions(this, name);
  }

  /** The row with primary key `pk`, or null. */
  get(name: string, pk: unknown): Row | null {
    const engine = this.live();
    if (engine.readOnly) engine.refresh();
    const state = this.state(name);
    const composite = hasCompositeKey(state) ? canonicalKey(state, pk) : null;
    const key = composite ? null : state.compiled.canonicalValue(state.meta.schema.primaryKey, pk);
    let row: readonly unknown[] | undefined;
    if (this.inTransaction || !engine.inTransaction) {
      const rowid = composite ? rowidOf(state, state.indexes, composite) : key;
      row = rowid === undefined ? undefined : engine.getRow(state, rowid);
    } else {
      // Another handle's transaction is open: read the committed state only.
      const view = engine.committedView().collections.get(name);
      // allIndexes: a key index over a collated column is not one query planning reads as a column index.
      const rowid = composite ? view && rowidOf(state, view.allIndexes, composite) : key;
      const loc = rowid === undefined ? undefined : view?.pk.get(rowid);
      row = loc === undefined ? undefined : rowOfState(state, engine.readRow(loc));
    }
    return row ? state.compiled.toObject(row, this.safeIntegers) : null;
  }

  /** A query builder over collection `name` (see docs/queries.md). */
  collection(name: string): Query {
    this.state(name);
    return new Query((this.queryHost ??= this.makeQueryHost()), name);
  }

  /** What this handle's queries reach it through: made once (a lookup builds a query per call). */
  private makeQueryHost(): QueryHost {
    const live = (): Engine => this.live();
    return {
      // Looked up at each use: a query kept after close() then fails CLOSED instead of holding
      // the closed engine (and every tree and cache in it) alive.
      get engine(): Engine {
        return live();
      },
      view: () => this.readView(),
      collection: (n) => this.visibleCollection(n),
      safeIntegers: this.safeIntegers,
      interrupts: () => this.interruptCount,
    };
  }

  /**
   * Stop the typed queries of this handle that are running now (an iterate() not yet exhausted):
   * their next pull fails with OperationalError INTERRUPTED. Queries started afterwards run
   * normally, and the handle stays usable. A single call cannot be interrupted from its own
   * thread; for those, give `timeoutMs` (docs/queries.md "Time limits and interrupt").
   */
  interrupt(): void {
    this.interruptCount++;
  }

  /**
   * @internal The collection `name` as this handle's statements see it: the live catalog when
   * this handle holds the write transaction or none is open, else the committed one — another
   * handle's uncommitted CREATE, DROP or ALTER is not this handle's to see.
   */
  visibleCollection(name: string): CollectionState | undefined {
    const engine = this.live();
    if (this.readsLiveCatalog(engine)) return engine.collection(name);
    return engine.committedView().collections.get(name)?.state;
  }

  /** @internal The collection names visibleCollection() resolves, sorted. */
  visibleCollectionNames(): string[] {
    const engine = this.live();
    if (this.readsLiveCatalog(engine)) return engine.collectionNames();
    return [...engine.committedView().collections.keys()].sort();
  }

  /** @internal The SQL views this handle's statements see (the same rule as visibleCollection). */
  visibleSqlViews(): readonly StoredView[] {
    const engine = this.live();
    if (this.readsLiveCatalog(engine)) return engine.sqlViewList();
    return engine.committedView().sqlViews ?? [];
  }

  /** With no transaction open the live catalog is the committed one. */
  private readsLiveCatalog(engine: Engine): boolean {
    return !engine.inTransaction || txnOwners.get(engine) === this;
  }

  /** What a statement of this handle reads: its own transaction's state, else the committed state. */
  readView(): ReadView {
    const engine = this.live();
    if (engine.readOnly) engine.refresh();
    return this.inTransaction ? engine.currentView() : engine.committedView();
  }

  /**
   * @internal readView() for a statement that already looked for other processes' commits (a
   * cursor's execute): a live reader's look costs a system call, one per statement is enough.
   */
  _viewAsRefreshed(): ReadView {
    const engine = this.live();
    return this.inTransaction ? engine.currentView() : engine.committedView();
  }

  /** Delete the row with primary key `pk`; false when there was none. */
  delete(name: string, pk: unknown): boolean {
    const state = this.state(name);
    if (hasCompositeKey(state)) {
      const composite = canonicalKey(state, pk);
      return this.write((engine) => {
        const live = this.state(name);
        const rowid = rowidOf(live, live.indexes, composite);
        return rowid !== undefined && this.deleteChecked(engine, live, rowid);
      });
    }
    const key = state.compiled.canonicalValue(state.meta.schema.primaryKey, pk);
    return this.write((engine) => this.deleteChecked(engine, this.state(name), key));
  }

  /**
   * Run `fn` in a transaction: committed (durably) when it returns, rolled back when it throws.
   * A nested call runs as a savepoint inside the outer transaction: if the inner function throws,
   * only its own writes are undone. `fn` must be synchronous, and must not commit or roll back
   * itself: `commit()`/`rollback()` (and the connection's, and COMMIT/ROLLBACK statements) throw
   * TransactionError while `fn` runs.
   */
  transaction<T>(fn: () => T): T {
    if (typeof fn !== 'function') throw new InterfaceError('transaction() needs a function', 'BAD_OPTION');
    const engine = this.writable();
    this.scopes++;
    try {
      if (this.inTransaction) {
        const sp = engine.savepoint();
        try {
          return assertSync(fn());
        } catch (err) {
          if (engine.inTransaction) engine.rollbackTo(sp);
          throw err;
        }
      }
      return this.ownTransaction(engine, () => assertSync(fn()));
    } finally {
      this.scopes--;
    }
  }

  /**
   * Open a write transaction explicitly (the DB-API connection uses this; `transaction(fn)` is the
   * scoped form). Another handle's open transaction makes this throw OperationalError `BUSY`.
   */
  begin(): void {
    const engine = this.writable();
    if (this.inTransaction)
      throw new TransactionError('a transaction is already open on this handle', 'NESTED_TRANSACTION');
    this.beginOwn(engine);
  }

  /**
   * Commit this handle's open transaction durably (fsync before returning); a no-op without one.
   * Refused (TransactionError) inside `transaction(fn)`, whose transaction ends with `fn`.
   */
  commit(): void {
    const engine = this.live();
    this.assertNoScope('commit');
    if (!this.inTransaction) return;
    // A deferred constraint still broken fails the commit and leaves the transaction open (SQLite).
    this.deferredKeys.verify(engine);
    try {
      commitCounted(this, engine);
    } finally {
      if (!engine.inTransaction) {
        txnOwners.delete(engine);
        this.deferredKeys.clear();
      }
    }
  }

  /** Discard this handle's open transaction; a no-op without one. Refused inside `transaction(fn)`. */
  rollback(): void {
    const engine = this.live();
    this.assertNoScope('roll back');
    if (!this.inTransaction) return;
    engine.rollback();
    txnOwners.delete(engine);
    this.deferredKeys.clear();
  }

  /**
   * Rewrite the file in place with only the live state (latest rows, catalog, indexes, a fresh
   * checkpoint): built in a temp file, fsynced, renamed over the original. A crash at any point
   * leaves the old or the new file. Result sets opened before it keep reading their snapshot from
   * the replaced file.
   */
  compact(): void {
    const engine = this.writable();
    if (engine.inTransaction) throw new TransactionError('cannot compact inside a transaction');
    if (!engine.path)
      throw new OperationalError(
        'compact() needs a file database; use snapshotBytes() in memory',
        'OPERATIONAL',
      );
    compactInPlace(engine);
  }

  /** Write a compacted copy of the committed state to `dest` (atomically; `dest` is replaced). */
  compactTo(dest: string): void {
    const engine = this.live();
    if (typeof dest !== 'string' || dest.length === 0)
      throw new InterfaceError('compactTo: dest must be a path', 'BAD_OPTION');
    compactToFile(engine, dest);
  }

  /** A consistent copy of the committed state, taken while writers go on (a compacted file). */
  exportSnapshot(dest: string): void {
    this.compactTo(dest);
  }

  /**
   * Replace `dest` with the snapshot `src` after verifying it opens cleanly: copied to a temp file,
   * fsynced, renamed over `dest`. Refused (LockError) while a writer holds `dest`.
   */
  static restoreSnapshot(src: string, dest: string): void {
    installSqlHooks();
    const check = Engine.openFile(src, { readOnly: true, recovery: 'strict' });
    check.close();
    const target = resolveRealPath(dest);
    const lock = WriterLock.acquire(target);
    try {
      // A writer reaching dest through another link holds its identity lock: refuse then too.
      if (fs.existsSync(target)) {
        const st = fs.statSync(target);
        lock.bindFile({ dev: st.dev, ino: st.ino, birthMs: st.birthtimeMs });
      }
      const tmp = `${target}.restore-${process.pid}.tmp`;
      try {
        fs.copyFileSync(src, tmp);
        const fd = fs.openSync(tmp, 'r+');
        try {
          fs.fsyncSync(fd);
        } finally {
          fs.closeSync(fd);
        }
      } catch (err) {
        // A full disk leaves a part of the copy: dest is untouched, the part removed.
        fs.rmSync(tmp, { force: true });
        throw ioError(`cannot copy ${src} to ${tmp}`, err);
      }
      if (fs.existsSync(target)) Engine.markMoved(target);
      renameDurably(tmp, target);
    } finally {
      lock.dispose();
    }
  }

  /** The committed state as the bytes of a compacted database file (works in memory too). */
  snapshotBytes(): Buffer {
    return compactToBytes(this.live());
  }

  /** Open an in-memory database from snapshotBytes() (or any database file's bytes), verified strictly. */
  static openSnapshotBytes(
    bytes: Uint8Array,
    options?: Omit<OpenOptions, 'readOnly' | 'lockStaleMs' | 'recovery'>,
  ): Database {
    if (!(bytes instanceof Uint8Array))
      throw new InterfaceError('openSnapshotBytes needs a Buffer or Uint8Array', 'BAD_OPTION');
    const opts = checkOptions<OpenOptions>('Database.openSnapshotBytes', options, OPEN_OPTIONS);
    installSqlHooks();
    return new Database(Engine.openMemory(bytes, { ...opts, recovery: 'strict' }), opts);
  }

  /** Write a checkpoint so the next open replays only what follows it. */
  checkpoint(): void {
    const engine = this.writable();
    if (engine.inTransaction) throw new TransactionError('cannot checkpoint inside a transaction');
    engine.checkpoint();
  }

  /** Close the handle; an open transaction of this handle is rolled back. Idempotent. */
  close(): void {
    const engine = this.engine;
    if (!engine) return;
    this.engine = null;
    if (engine.inTransaction && txnOwners.get(engine) === this) {
      engine.rollback();
      txnOwners.delete(engine);
    }
    this.deferredKeys.clear();
    releaseEngine(engine);
  }

  // ───────────────────────── internals ─────────────────────────

  private live(): Engine {
    if (!this.engine || this.engine.isClosed) throw new InterfaceError('database is closed', 'CLOSED');
    return this.engine;
  }

  private writable(): Engine {
    const engine = this.live();
    if (this.readOnly) throw new OperationalError('database was opened read-only', 'READ_ONLY');
    return engine;
  }

  private state(name: string): CollectionState {
    if (typeof name !== 'string')
      throw new ProgrammingError('collection name must be a string', 'NO_SUCH_COLLECTION');
    const state = this.visibleCollection(name);
    if (!state) throw new ProgrammingError(`no such collection: ${name}`, 'NO_SUCH_COLLECTION');
    return state;
  }

  private assertNoScope(what: string): void {
    if (this.scopes > 0) {
      throw new TransactionError(
        `cannot ${what} inside transaction(fn): the transaction ends when fn returns or throws`,
        'TRANSACTION',
      );
    }
  }

  private beginOwn(engine: Engine): void {
    if (engine.inTransaction) {
      throw new OperationalError('another handle holds the write transaction on this database', 'BUSY');
    }
    engine.begin();
    txnOwners.set(engine, this);
    this.deferredKeys.clear();
  }

  /** Run one write inside this handle's transaction, or in its own autocommit transaction. */
  private write<T>(op: (engine: Engine) => T): T {
    const engine = this.writable();
    if (this.inTransaction) return op(engine);
    return this.ownTransaction(engine, () => op(engine));
  }

  /** Run `fn` in a new transaction of this handle: commit when it returns, roll back when it throws. */
  private ownTransaction<T>(engine: Engine, fn: () => T): T {
    this.beginOwn(engine);
    try {
      const result = fn();
      this.deferredKeys.verify(engine);
      commitCounted(this, engine);
      return result;
    } catch (err) {
      if (engine.inTransaction) engine.rollback();
      throw err;
    } finally {
      txnOwners.delete(engine);
      this.deferredKeys.clear();
    }
  }
}

/**
 * Run a write whose foreign-key checks come after its changes (and whose actions may change other
 * rows): a failure puts the transaction back as it was before the write.
 */
function undoOnThrow<T>(engine: Engine, fn: () => T): T {
  // Row changes only: the engine's statement undo journal, far cheaper than a savepoint.
  const mark = engine.mark();
  let result: T;
  try {
    result = fn();
  } catch (err) {
    if (engine.inTransaction) engine.rollbackToMark(mark);
    throw err;
  }
  engine.release(mark);
  return result;
}

function assertSync<T>(value: T): T {
  if (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as { then?: unknown }).then === 'function'
  ) {
    throw new TransactionError('transaction() callbacks must be synchronous (a Promise was returned)');
  }
  return value;
}
