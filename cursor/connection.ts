/**
 * DB-API connection (PEP 249) over a Database handle. Transaction model (Python sqlite3's):
 * with autocommit off (the default) the first DML or DDL statement opens a transaction that
 * commit() makes durable and rollback() discards; close() rolls back. With autocommit on, each
 * statement commits on its own unless BEGIN opened an explicit transaction. Each statement is
 * atomic inside the transaction (a failed statement leaves no trace, earlier ones stay).
 * Statements are lowered once per SQL text (LRU cache, invalidated by DDL) and physical plans are
 * cached with them, so re-executing a statement only binds parameters.
 */
import type { CollectionState } from '../storage/collection-state';
import type { ReadView } from '../storage/row-reader';
import { Database, foreignKeyGuard } from '../src/database';
import {
  DatabaseError,
  DataError,
  IntegrityError,
  InterfaceError,
  InternalError,
  ModelVaultError,
  NotSupportedError,
  OperationalError,
  ProgrammingError,
  QueryError,
  SchemaError,
  TransactionError,
  Warning,
} from '../src/errors';
import type { OpenOptions } from '../src/options';
import type { SchemaPlan } from '../src/schema-versions';
import type { StatementCache } from '../parser/statement-cache';
import { tooComplexError } from '../parser/too-complex';
import { sqlFront } from './sql-front';
import type { CreateViewStmt, LoweredStatement, OutputColumn, PragmaStmt, SavepointStmt } from '../parser/ir';
import { DEFAULT_SORT_BUDGET_BYTES, physicalPlan, openResult } from '../planner/run';
import type { PhysicalPlan } from '../planner/physical';
import type { LogicalPlan } from '../planner/logical';
import type { ExecStats, Source } from '../planner/execute';
import { explainLines, explainWriteLines } from '../planner/explain';
import { writeAccessPlan } from '../planner/write-access';
import { writeFailure } from '../planner/write-conflict';
import type { ForeignReads } from '../planner/write-access';
import type { WriteFailure } from '../planner/write-conflict';
import { Cursor } from './cursor';
import type { ResultRow } from './cursor';
import { checkConnectOptions } from './options';
import type { ConnectOptions } from './options';
import { bindParams } from './values';
import type { Params } from './values';
import { runWrite } from './write-statements';
import { runVacuum } from './vacuum';
import { readsQuery, Route, TempSchema } from './temp-schema';
import { routeStatement } from './schema-routing';
import { PragmaValues, runPragma } from './pragmas';
import { active, channels, planSummary } from '../storage/trace';
import type { QueryTraceContext } from '../storage/trace';

export type RunOutcome =
  | {
      kind: 'rows';
      source: Source;
      columns: readonly OutputColumn[];
      stats: ExecStats;
      /** A write with RETURNING: the rows it changed, which rowCount reports rather than rows fetched. */
      rowCount?: number;
      lastRowId?: number | bigint;
      /** The statement's `modelvault:query` context: the cursor publishes asyncEnd when the rows are read. */
      trace?: QueryTraceContext;
    }
  | {
      kind: 'done';
      rowCount: number;
      lastRowId?: number | bigint;
      /** ALTER TABLE: the schema-version plan the statement applied. */
      schemaPlan?: SchemaPlan;
    };

/** Size class of a table: changes when its row count grows or shrinks about fourfold. */
function sizeClass(rows: number): number {
  return Math.floor(Math.log2(rows + 1) / 2);
}

function sameSizes(sizes: readonly { state: CollectionState; size: number }[]): boolean {
  for (const s of sizes) if (sizeClass(s.state.pk.size) !== s.size) return false;
  return true;
}

const EXPLAIN_COLUMNS: readonly OutputColumn[] = [{ name: 'plan', type: 'text', nullable: false }];

/** Plan summaries for trace contexts, once per physical plan (plans are cached and immutable). */
const summaries = new WeakMap<PhysicalPlan, string | null>();

function summarize(plan: PhysicalPlan, sub: (p: LogicalPlan) => PhysicalPlan): string | null {
  let summary = summaries.get(plan);
  if (summary === undefined) {
    summary = planSummary(explainLines(plan, sub));
    summaries.set(plan, summary);
  }
  return summary;
}

/** Open a connection to the database file at `path` (':memory:' for a private in-memory database). */
/**
 * Open a connection. The row type follows `rowMode`: `unknown[]` for 'array', an object keyed by
 * column label for 'object'; without the option it stays the ResultRow union (arrays at run time).
 */
export function connect(path: string, options: ConnectOptions & { rowMode: 'object' }): Connection<ObjectRow>;
export function connect(path: string, options: ConnectOptions & { rowMode: 'array' }): Connection<unknown[]>;
export function connect(path: string, options?: ConnectOptions): Connection;
export function connect(path: string, options?: ConnectOptions): Connection<unknown> {
  const opts = checkConnectOptions(options);
  const storage: OpenOptions = {};
  for (const key of [
    'readOnly',
    'recovery',
    'safeIntegers',
    'lockStaleMs',
    'busyTimeoutMs',
    'cacheBytes',
    'checkpointEveryBytes',
    'replayLimitBytes',
    'replayLimitFrames',
    'lightCheckpointBytes',
    'indexLagLimitBytes',
    'checkpointIdleMs',
    'foreignKeys',
  ] as const) {
    if (opts[key] !== undefined) (storage as Record<string, unknown>)[key] = opts[key];
  }
  if (typeof path !== 'string' || path.length === 0)
    throw new InterfaceError('connect: path must be a non-empty string', 'BAD_OPTION');
  const db =
    path === ':memory:'
      ? Database.openInMemory({
          safeIntegers: storage.safeIntegers,
          cacheBytes: storage.cacheBytes,
          foreignKeys: storage.foreignKeys,
        })
      : Database.open(path, storage);
  return new Connection(db, opts);
}

/** A row of `rowMode: 'object'`. */
export type ObjectRow = Record<string, unknown>;

/** `Row`: what fetches of this connection's cursors return (see connect()). */
export class Connection<Row = ResultRow> {
  /** The typed Database handle under this connection (same engine, same transaction). */
  readonly database: Database;
  /** Autocommit mode; may be changed between statements (switching on commits an open transaction). */
  private _autocommit: boolean;
  /** @internal */ readonly _rowMode: 'array' | 'object';
  /** @internal */ readonly _safeIntegers: boolean;
  private readonly traceParams: boolean;
  private readonly hashJoinBudgetBytes: number | undefined;
  private readonly sortBudgetBytes: number;
  private readonly cache: StatementCache;
  /** CREATE TEMP VIEW: views of this connection only, by lower-cased name (never stored). */
  private readonly tempViews = new Map<string, { name: string; sql: string }>();
  /** CREATE TEMP TABLE: the connection's temporary database (cursor/temp-schema.ts). */
  private readonly temp: TempSchema;
  /** The schema each lowered statement runs in (temp-schema.ts Route). */
  private readonly routes = new WeakMap<LoweredStatement, Route>();
  private readonly plans = new WeakMap<
    LoweredStatement,
    {
      version: number;
      plan: PhysicalPlan;
      subplans: Map<LogicalPlan, PhysicalPlan>;
      /** A join's tables and their size class when planned (join order depends on sizes). */
      sizes: readonly { state: CollectionState; size: number }[] | null;
    }
  >();
  private readonly cursors = new Set<Cursor<unknown>>();
  /** Open SQL savepoints, oldest first (see runSavepoint). */
  private readonly savepoints: {
    name: string;
    sp: ReturnType<Database['storage']['savepoint']>;
    startsTxn: boolean;
    /**
     * The temporary tables' state at this savepoint, once they take part (see tempMarks): taken
     * when the savepoint is, if they are in the transaction then, else at their first write
     * after it (nothing of theirs changed in between, so it is the same state).
     */
    tempSp?: ReturnType<Database['storage']['savepoint']>;
  }[] = [];
  private closed = false;
  /** What changes(), total_changes() and last_insert_rowid() report. */
  private readonly session = {
    changes: 0,
    totalChanges: 0,
    lastInsertRowid: 0 as number | bigint,
    caseSensitiveLike: false,
  };
  /** The tuning PRAGMAs this connection set (`cache_size`, `busy_timeout`, …), read back as set. */
  private readonly pragmaValues: PragmaValues;

  /** @internal Use connect(). */
  constructor(db: Database, opts: ConnectOptions) {
    this.database = db;
    this._autocommit = opts.autocommit === true;
    this._rowMode = opts.rowMode ?? 'array';
    this._safeIntegers = opts.safeIntegers === true;
    this.traceParams = opts.traceParams === true;
    this.hashJoinBudgetBytes = opts.hashJoinBudgetBytes;
    // As SQLite's sorter, which may hold as much as the page cache before it spills.
    this.sortBudgetBytes = opts.sortBudgetBytes ?? Math.max(DEFAULT_SORT_BUDGET_BYTES, opts.cacheBytes ?? 0);
    this.cache = new (sqlFront().StatementCache)(opts.statementCacheSize ?? 256);
    this.pragmaValues = new PragmaValues(opts);
    this.temp = new TempSchema({
      ...(opts.safeIntegers === undefined ? {} : { safeIntegers: opts.safeIntegers }),
      ...(opts.foreignKeys === undefined ? {} : { foreignKeys: opts.foreignKeys }),
    });
  }

  get autocommit(): boolean {
    return this._autocommit;
  }

  set autocommit(on: boolean) {
    this._assertOpen();
    if (typeof on !== 'boolean') throw new InterfaceError('autocommit must be a boolean', 'BAD_OPTION');
    if (on && this.database.inTransaction) this.database.commit();
    if (on) this.temp.commit();
    this.savepoints.length = 0;
    this._autocommit = on;
  }

  /** An open transaction on the database or on the connection's temporary tables. */
  get inTransaction(): boolean {
    return !this.closed && this.database.isOpen && (this.database.inTransaction || this.temp.inTransaction);
  }

  cursor(): Cursor<Row> {
    this._assertOpen();
    const cur = new Cursor<Row>(this);
    this.cursors.add(cur);
    return cur;
  }

  /** Shortcut: a new cursor that has executed `sql`. */
  execute<R = Row>(sql: string, params?: unknown): Cursor<R> {
    return this.cursor().execute<R>(sql, params);
  }

  /** Shortcut: a new cursor that has run `executeMany(sql, seqOfParams)` (Python sqlite3's extension). */
  executeMany(sql: string, seqOfParams: Iterable<unknown>): Cursor<Row> {
    return this.cursor().executeMany(sql, seqOfParams);
  }

  // PEP 249 optional extension: the error classes as attributes, so code holding only a
  // connection can catch `conn.IntegrityError`. They are the module's classes, not copies.
  get Error(): typeof ModelVaultError {
    return ModelVaultError;
  }
  get Warning(): typeof Warning {
    return Warning;
  }
  get InterfaceError(): typeof InterfaceError {
    return InterfaceError;
  }
  get DatabaseError(): typeof DatabaseError {
    return DatabaseError;
  }
  get DataError(): typeof DataError {
    return DataError;
  }
  get OperationalError(): typeof OperationalError {
    return OperationalError;
  }
  get IntegrityError(): typeof IntegrityError {
    return IntegrityError;
  }
  get InternalError(): typeof InternalError {
    return InternalError;
  }
  get ProgrammingError(): typeof ProgrammingError {
    return ProgrammingError;
  }
  get NotSupportedError(): typeof NotSupportedError {
    return NotSupportedError;
  }

  commit(): void {
    this._assertOpen();
    this.database.commit();
    this.temp.commit();
    this.savepoints.length = 0;
  }

  rollback(): void {
    this._assertOpen();
    this.database.rollback();
    this.temp.rollback();
    this.savepoints.length = 0;
  }

  /**
   * Close every cursor, roll back an open transaction, release the database and drop the
   * temporary tables. Idempotent.
   */
  close(): void {
    if (this.closed) return;
    for (const cur of [...this.cursors]) cur.close();
    this.closed = true;
    // A closed handle the application still holds must not keep the database's trees alive
    // through its lowered statements (they reference collection states).
    this.cache.clear();
    this.temp.close();
    this.database.close();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Statement cache counters: lowered statements reused (hits) and compiled (misses). */
  get statementCacheStats(): { hits: number; misses: number; size: number } {
    return { hits: this.cache.hits, misses: this.cache.misses, size: this.cache.size };
  }

  // ───────────────────────── internals used by Cursor ─────────────────────────

  /** @internal */
  _assertOpen(): void {
    if (this.closed || !this.database.isOpen) throw new InterfaceError('connection is closed', 'CLOSED');
  }

  /** @internal */
  _forget(cur: Cursor<unknown>): void {
    this.cursors.delete(cur);
  }

  private lower(sql: string): LoweredStatement {
    if (typeof sql !== 'string') throw new InterfaceError('SQL must be a string', 'INTERFACE');
    const db = this.database;
    const version = db.storage.catalogVersion;
    const hit = this.cache.get(sql, version);
    if (hit) return hit;
    // The catalog this connection may see: another connection's uncommitted DDL is not in it;
    // its temporary tables come first (temp-schema.ts).
    const route = new Route();
    let lowered: LoweredStatement;
    try {
      lowered = sqlFront().lowerStatement(
        sql,
        this.temp.catalog(
          db,
          route,
          (name) => {
            const key = name.toLowerCase();
            return this.tempViews.get(key) ?? db.visibleSqlViews().find((v) => v.name.toLowerCase() === key);
          },
          () => [...this.tempViews.values(), ...db.visibleSqlViews()].map((v) => v.name),
          () => [...this.tempViews.values()],
        ),
      );
    } catch (err) {
      throw route.reword(err);
    }
    // Most statements run on the database as before: only the others keep their route.
    if (
      route.resolve(readsQuery(lowered.stmt.kind)) !== 'main' ||
      lowered.stmt.kind === 'dropIndex' ||
      route.qualifies
    )
      this.routes.set(lowered, route);
    this.cache.set(sql, version, lowered);
    return lowered;
  }

  private plan(
    lowered: LoweredStatement,
    stmt: Extract<LoweredStatement['stmt'], { kind: 'select' }>,
    db: Database,
    view: ReadView,
  ): { plan: PhysicalPlan; subplans: Map<LogicalPlan, PhysicalPlan> } {
    const version = db.storage.catalogVersion;
    const cached = this.plans.get(lowered);
    if (cached && cached.version === version && (cached.sizes === null || sameSizes(cached.sizes)))
      return cached;
    const seen = new Map<CollectionState, number>();
    const plan = physicalPlan(stmt.plan, view, (c) => seen.set(c.state, sizeClass(c.pk.size)));
    // Plans of one table do not depend on its size; a join's order does, so it is re-planned when
    // a table it reads has grown or shrunk about fourfold since.
    const sizes = seen.size < 2 ? null : [...seen].map(([state, size]) => ({ state, size }));
    const entry = { version, plan, subplans: new Map(), sizes };
    this.plans.set(lowered, entry);
    return entry;
  }

  /** @internal Execute one statement; `many` marks executeMany (SELECT refused by the caller). */
  _run(sql: string, params: unknown, many = false): RunOutcome {
    if (!active(channels.query)) return this.runStatement(sql, params, many, null);
    const ctx: QueryTraceContext = {
      sql: typeof sql === 'string' ? sql : null,
      collection: null,
      statement: null,
      plan: null,
      streaming: false,
      rows: null,
      rowsChanged: null,
      complete: false,
    };
    if (this.traceParams) ctx.params = params;
    // The outcome (internal) goes back to the cursor, not into the context's `result`.
    let traced: RunOutcome | null = null;
    channels.query.traceSync(() => {
      const outcome = this.runStatement(sql, params, many, ctx);
      traced = outcome;
      if (outcome.kind === 'rows') {
        ctx.streaming = true;
        if (outcome.rowCount !== undefined) ctx.rowsChanged = outcome.rowCount;
        outcome.trace = ctx;
      } else {
        ctx.complete = true;
        if (outcome.rowCount >= 0) ctx.rowsChanged = outcome.rowCount;
      }
    }, ctx);
    return traced as unknown as RunOutcome;
  }

  private runStatement(
    sql: string,
    params: unknown,
    many: boolean,
    ctx: QueryTraceContext | null,
  ): RunOutcome {
    this._assertOpen();
    // Live read-only connections pick up what another process committed since the last statement.
    const engine = this.database.storage;
    if (engine.readOnly) engine.refresh();
    try {
      const lowered = this.lower(sql);
      if (ctx) ctx.statement = lowered.stmt.kind;
      // Refused before anything is written: executeMany has nowhere to put RETURNING rows.
      if (many && 'returning' in lowered.stmt && lowered.stmt.returning !== null)
        throw new ProgrammingError('executeMany cannot run a statement with RETURNING', 'PROGRAMMING');
      try {
        return this.runLowered(lowered, params, ctx);
      } catch (err) {
        throw this.routes.get(lowered)?.reword(err) ?? err;
      }
    } catch (thrown) {
      const err = tooComplexError(thrown, typeof sql === 'string' ? sql : undefined) ?? thrown;
      if (err instanceof ModelVaultError && err.sql === undefined)
        Object.defineProperty(err, 'sql', { value: sql });
      throw err;
    }
  }

  private runLowered(lowered: LoweredStatement, params: unknown, ctx: QueryTraceContext | null): RunOutcome {
    const bound: Params = bindParams(lowered.params, params);
    const route = this.routes.get(lowered);
    const { db, stmt, both, reads } = route
      ? routeStatement(lowered, route, this.database, this.temp, bound, this.session)
      : { db: this.database, stmt: lowered.stmt, both: null, reads: null };
    switch (stmt.kind) {
      case 'select': {
        const view = both?.view ?? db._viewAsRefreshed();
        const engine = db.storage;
        // A query over TEMP and main tables is planned for each run (no cache keyed by both catalogs).
        const { plan, subplans } = both
          ? { plan: physicalPlan(stmt.plan, view), subplans: undefined }
          : this.plan(lowered, stmt, db, view);
        if (ctx) ctx.plan = summarize(plan, (sub) => physicalPlan(sub, view));
        const { source, stats } = openResult(plan, view, {
          readers: engine.readersFor(view),
          params: bound,
          session: this.session,
          subplans,
          hashJoinBudgetBytes: this.hashJoinBudgetBytes,
          sortBudgetBytes: this.sortBudgetBytes,
          ...(both ? { foreign: both.foreign } : {}),
        });
        return { kind: 'rows', source, columns: stmt.columns, stats };
      }
      case 'explain': {
        const view = both?.view ?? db._viewAsRefreshed();
        const lines = explainLines(physicalPlan(stmt.select.plan, view), (sub) => physicalPlan(sub, view));
        if (ctx) ctx.plan = planSummary(lines);
        let i = 0;
        return {
          kind: 'rows',
          source: { next: () => (i < lines.length ? [lines[i++]] : null) },
          columns: EXPLAIN_COLUMNS,
          stats: { rowsRead: 0, indexEntries: 0 },
        };
      }
      case 'explainWrite': {
        const view = db._viewAsRefreshed();
        const w = stmt.write;
        const coll = view.collections.get(w.collection);
        if (!coll) throw new QueryError(`no such table: ${w.collection}`, 'QUERY');
        const access = physicalPlan(writeAccessPlan(coll.compiled.pkColumn, w), view);
        const names = coll.meta.schema.fields.map((f) => f.path.join('.'));
        const lines = explainWriteLines(w, names, access, (sub) => physicalPlan(sub, view));
        let i = 0;
        return {
          kind: 'rows',
          source: { next: () => (i < lines.length ? [lines[i++]] : null) },
          columns: EXPLAIN_COLUMNS,
          stats: { rowsRead: 0, indexEntries: 0 },
        };
      }
      // Transactions span the database and the temporary tables (temp-schema.ts).
      case 'begin':
        if (this.inTransaction)
          throw new TransactionError('cannot start a transaction within a transaction', 'NESTED_TRANSACTION');
        this.database.begin();
        return { kind: 'done', rowCount: -1 };
      case 'commit':
        if (!this.inTransaction) throw new TransactionError('cannot commit: no transaction is active');
        if (this.database.inTransaction) this.database.commit();
        this.temp.commit();
        this.savepoints.length = 0;
        return { kind: 'done', rowCount: -1 };
      case 'rollback':
        if (!this.inTransaction) throw new TransactionError('cannot rollback: no transaction is active');
        if (this.database.inTransaction) this.database.rollback();
        this.temp.rollback();
        this.savepoints.length = 0;
        return { kind: 'done', rowCount: -1 };
      case 'savepoint':
      case 'release':
      case 'rollbackTo':
        this.runSavepoint(stmt);
        return { kind: 'done', rowCount: -1 };
      case 'pragma':
        return this.runPragma(stmt);
      case 'vacuum':
        runVacuum(this.database, stmt, bound);
        return { kind: 'done', rowCount: -1 };
      case 'createView':
        // CREATE VIEW temp.v, or a view over a temporary table: a view of the temp schema.
        if (stmt.temp || db !== this.database) return this.createTempView(stmt);
        return this.runWriteStatement(stmt, bound);
      case 'dropView':
        if (this.tempViews.delete(stmt.name.toLowerCase())) {
          this.cache.clear();
          return { kind: 'done', rowCount: -1 };
        }
        return this.runWriteStatement(stmt, bound);
      default:
        return this.runWriteStatement(stmt, bound, db, reads);
    }
  }

  /** A TEMP view: checked against the names this connection sees, kept in memory. */
  private createTempView(stmt: CreateViewStmt): RunOutcome {
    const db = this.database;
    const key = stmt.name.toLowerCase();
    const table =
      db.visibleCollectionNames().some((n) => n.toLowerCase() === key) || this.temp.hasTable(stmt.name);
    if (table || this.tempViews.has(key)) {
      if (stmt.ifNotExists) return { kind: 'done', rowCount: -1 };
      throw new SchemaError(`${table ? 'table' : 'view'} ${stmt.name} already exists`, 'SCHEMA');
    }
    this.tempViews.set(key, { name: stmt.name, sql: stmt.sql });
    // Statements lowered before may have read a table or view this one now hides.
    this.cache.clear();
    return { kind: 'done', rowCount: -1 };
  }

  /** Settings PRAGMAs (cursor/pragmas.ts): one row, several, or none. */
  private runPragma(stmt: PragmaStmt): RunOutcome {
    const out = runPragma(this.database, this.pragmaValues, this.session, stmt);
    if (out === null) return { kind: 'done', rowCount: -1 };
    let at = 0;
    return {
      kind: 'rows',
      source: {
        next: () => (at < out.length ? out[at++] : null),
      },
      columns: stmt.columns,
      stats: { rowsRead: 0, indexEntries: 0 },
    };
  }

  /**
   * SQLite's savepoints over the engine's: SAVEPOINT outside a transaction begins one, and
   * RELEASE of that outermost savepoint commits it; RELEASE drops the named savepoint and every
   * later one; ROLLBACK TO undoes everything after the named savepoint and keeps it. Names ignore
   * case and the most recent of equal names wins. COMMIT and ROLLBACK end them all.
   */
  private runSavepoint(stmt: SavepointStmt): void {
    const db = this.database;
    const engine = db.storage;
    // The transaction may have ended without a statement here (commit(), rollback(), the typed API).
    if (!db.inTransaction) this.savepoints.length = 0;
    if (stmt.kind === 'savepoint') {
      if (engine.readOnly) throw new OperationalError('attempt to write a readonly database', 'READ_ONLY');
      const startsTxn = !db.inTransaction;
      if (startsTxn) db.begin();
      const temp = this.temp.inTransaction ? this.temp.opened : null;
      this.savepoints.push({
        name: stmt.name.toLowerCase(),
        sp: engine.savepoint(),
        startsTxn,
        ...(temp ? { tempSp: temp.storage.savepoint() } : {}),
      });
      return;
    }
    const key = stmt.name.toLowerCase();
    let at = -1;
    for (let i = this.savepoints.length - 1; i >= 0 && at < 0; i--)
      if (this.savepoints[i].name === key) at = i;
    if (at < 0) throw new TransactionError(`no such savepoint: ${stmt.name}`);
    const mark = this.savepoints[at];
    if (stmt.kind === 'release') {
      this.savepoints.length = at;
      if (mark.startsTxn) {
        // The outermost savepoint began the transaction, which spans the temporary tables.
        db.commit();
        this.temp.commit();
      }
      return;
    }
    engine.rollbackTo(mark.sp);
    const temp = this.temp.opened;
    let tempSp = mark.tempSp;
    if (tempSp !== undefined && temp !== null && temp.inTransaction) {
      temp.storage.rollbackTo(tempSp);
      tempSp = temp.storage.savepoint();
      // A temporary table created or dropped since is undone too: no lowered statement may keep it.
      this.cache.clear();
    }
    this.savepoints.length = at + 1;
    // A fresh capture of the same state: the savepoint stays usable for another ROLLBACK TO.
    this.savepoints[at] = { ...mark, sp: engine.savepoint(), ...(tempSp !== undefined ? { tempSp } : {}) };
  }

  /**
   * Before a write to the temporary tables inside SQL savepoints: the savepoints that do not yet
   * know the temporary tables' state learn it now (it has not changed since they were taken).
   */
  private tempMarks(tempDb: Database): void {
    for (let i = 0; i < this.savepoints.length; i++) {
      const mark = this.savepoints[i];
      if (mark.tempSp === undefined) this.savepoints[i] = { ...mark, tempSp: tempDb.storage.savepoint() };
    }
  }

  private runWriteStatement(
    stmt: LoweredStatement['stmt'],
    bound: Params,
    db: Database = this.database,
    reads: ForeignReads | null = null,
  ): RunOutcome {
    const temp = db !== this.database;
    if (db.storage.readOnly) throw new OperationalError('attempt to write a readonly database', 'READ_ONLY');
    if (temp && (stmt.kind === 'createTable' || stmt.kind === 'createTableAs')) {
      const view = this.tempViews.get(stmt.name.toLowerCase());
      if (view) throw new SchemaError(`view ${view.name} already exists`, 'SCHEMA');
    }
    const isDml = stmt.kind === 'insert' || stmt.kind === 'update' || stmt.kind === 'delete';
    const implicit = !db.inTransaction;
    if (implicit) db.begin();
    if (temp && this.savepoints.length > 0 && this.database.inTransaction) this.tempMarks(db);
    const engine = db.storage;
    // A single-row INSERT is atomic by construction (every check runs before any change), so it
    // needs no savepoint; taking one would also force copy-on-write of the trees on every row.
    // An upsert may rewrite an existing row, which is more than one change.
    // A foreign key checked when the statement ends may refuse a row already written, unless the
    // table's rows are checked before they are written (planner/write.ts).
    const fk = stmt.kind === 'insert' ? foreignKeyGuard(db, engine) : null;
    const atomic =
      stmt.kind === 'insert' &&
      stmt.rows.length === 1 &&
      stmt.upserts.length === 0 &&
      (fk === null || (stmt.conflict === 'abort' && fk.checksInsertFirst(stmt.collection)));
    // DML undoes a failed statement through the engine's undo journal (a mark); DDL changes the
    // catalog, which only a savepoint captures.
    const sp = implicit || atomic || isDml ? null : engine.savepoint();
    const mark = !implicit && !atomic && isDml ? engine.mark() : null;
    try {
      const result = runWrite(db, stmt, bound, this.session, reads);
      if (mark) engine.release(mark);
      // A temporary table's write joins the database's open transaction (BEGIN … COMMIT).
      if (implicit && this._autocommit && !(temp && this.database.inTransaction)) db.commit();
      // Statements lowered before may have resolved a name this DDL now shadows or removes.
      if (temp && !isDml) this.cache.clear();
      const rowCount = isDml ? result.rowCount : -1;
      if (isDml) {
        // SQLite's connection counters: kept across rollbacks, untouched by DDL.
        this.session.changes = result.rowCount;
        this.session.totalChanges += result.rowCount;
        if (result.lastRowId !== undefined) this.session.lastInsertRowid = result.lastRowId;
      }
      if (result.returning !== undefined && 'returning' in stmt && stmt.returning !== null) {
        const rows = result.returning;
        let i = 0;
        return {
          kind: 'rows',
          source: { next: () => (i < rows.length ? rows[i++] : null) },
          columns: stmt.returning.columns,
          stats: { rowsRead: 0, indexEntries: 0 },
          rowCount,
          ...(result.lastRowId === undefined ? {} : { lastRowId: result.lastRowId }),
        };
      }
      if (result.schemaPlan) return { kind: 'done', rowCount, schemaPlan: result.schemaPlan };
      // Two literals rather than a spread: this runs once per row of executeMany.
      return result.lastRowId === undefined
        ? { kind: 'done', rowCount }
        : { kind: 'done', rowCount, lastRowId: result.lastRowId };
    } catch (err) {
      const failure = isDml ? writeFailure(err) : undefined;
      if (failure === undefined) {
        this.undoStatement(db, sp, mark, implicit);
        throw err;
      }
      this.endFailedWrite(db, failure, mark, implicit);
      throw err;
    }
  }

  /**
   * Undo a failed statement of `db` (the database or the temporary one it ran in): back to its
   * savepoint or mark, or the transaction it opened.
   */
  private undoStatement(
    db: Database,
    sp: ReturnType<Database['storage']['savepoint']> | null,
    mark: ReturnType<Database['storage']['mark']> | null,
    implicit: boolean,
  ): void {
    const engine = db.storage;
    if (sp && engine.inTransaction) engine.rollbackTo(sp);
    else if (mark && engine.inTransaction) engine.rollbackToMark(mark);
    else if (implicit) db.rollback();
  }

  /**
   * End an INSERT/UPDATE that failed on a row, as its conflict policy says (SQLite's ON CONFLICT):
   * ABORT undoes the statement; FAIL keeps the rows it changed before the failing one (committed
   * with autocommit when the statement opened the transaction); ROLLBACK undoes the whole
   * transaction, which then is over (inside a transaction the statement opened, it is ABORT).
   * The counters follow SQLite: changes() is what FAIL kept, else 0, and last_insert_rowid() is
   * the last row inserted, even an undone one.
   */
  private endFailedWrite(
    db: Database,
    failure: WriteFailure,
    mark: ReturnType<Database['storage']['mark']> | null,
    implicit: boolean,
  ): void {
    const engine = db.storage;
    const temp = db !== this.database;
    const kept = failure.resolution === 'fail' && failure.rowCount > 0 ? failure.rowCount : 0;
    if (kept > 0) {
      if (mark) engine.release(mark);
      // As a statement that succeeded: a temporary table's write joins an open transaction.
      if (implicit && this._autocommit && !(temp && this.database.inTransaction)) {
        try {
          db.commit();
        } catch (commitErr) {
          db.rollback();
          throw commitErr;
        }
      }
    } else if (failure.resolution === 'rollback' && (!implicit || (temp && this.database.inTransaction))) {
      // The transaction spans the database and the temporary tables: both are undone.
      if (this.database.inTransaction) this.database.rollback();
      this.temp.rollback();
      this.savepoints.length = 0;
    } else this.undoStatement(db, null, mark, implicit);
    this.session.changes = kept;
    this.session.totalChanges += kept;
    if (failure.lastRowId !== undefined) this.session.lastInsertRowid = failure.lastRowId;
  }
}
