/**
 * DB-API cursor (PEP 249). States, and the only methods that move between them:
 *
 *     execute(SELECT/EXPLAIN/… RETURNING)            fetch* reaches the end
 *   idle ───────────────────────────────► rows ─────────────────────────────► exhausted
 *     ▲  execute(DML/DDL/BEGIN...) ──► done  (no result set)                       │
 *     └──────────── execute(...) from any open state starts over ◄──────────────────┘
 *   any ── close() / connection.close() ──► closed   (every method then throws InterfaceError)
 *
 * A SELECT is planned at execute() but produces rows only as fetchOne/fetchMany/iteration pull
 * them, from the snapshot taken at execute(): fetchMany(n) costs O(n).
 */
import type { Source } from '../planner/execute';
import type { ExecStats } from '../planner/execute';
import type { OutputColumn } from '../parser/ir';
import { tooComplexError } from '../parser/too-complex';
import { InterfaceError, NotSupportedError, ProgrammingError } from '../src/errors';
import { describeColumns } from './description';
import type { ColumnDescription } from './description';
import { outputValue } from './values';
import { withDeadline } from '../planner/interrupt';
import type { Connection } from './connection';
import { channels } from '../storage/trace';
import type { QueryTraceContext } from '../storage/trace';
import type { SchemaPlan } from '../src/schema-versions';

export type CursorState = 'idle' | 'rows' | 'exhausted' | 'done' | 'closed';
export type ResultRow = unknown[] | Record<string, unknown>;

interface ResultSet {
  source: Source;
  columns: readonly OutputColumn[];
  stats: ExecStats;
}

/** A plain data property, as assignment would create it. */
function ownValue(value: unknown): PropertyDescriptor {
  return { value, writable: true, enumerable: true, configurable: true };
}

/**
 * `Row` is the row type fetches return: ResultRow unless the connection's rowMode or an
 * `execute<Row>()` type argument says more. The type argument is the caller's claim about the
 * statement's columns (the library does not check it), as with any driver's typed rows.
 */
export class Cursor<Row = ResultRow> implements Iterable<Row> {
  /** Rows fetchMany() returns when called without a size (PEP 249 default 1). */
  arraySize = 1;
  private _state: CursorState = 'idle';
  private result: ResultSet | null = null;
  private _description: ColumnDescription[] | null = null;
  /** The result's columns, described on first read of `description` (most callers never read it). */
  private describe: readonly OutputColumn[] | null = null;
  private _rowCount = -1;
  private _lastRowId: number | bigint | null = null;
  private _schemaPlan: SchemaPlan | null = null;
  private fetched = 0;
  /** The result set is a write's RETURNING rows: rowCount is the rows changed, not the rows fetched. */
  private changedRows = false;
  /** The statement's per-call time limit (execute option); 0 for none. */
  private timeoutMs = 0;
  /** The result's `modelvault:query` context while its rows are being read (only when traced). */
  private trace: QueryTraceContext | null = null;

  /** @internal Created by Connection.cursor(). */
  constructor(private readonly conn: Connection<unknown>) {}

  get state(): CursorState {
    return this._state;
  }

  /** PEP 249 7-tuples for the current result set; null before one and after DML/DDL. */
  get description(): ColumnDescription[] | null {
    this.assertOpen();
    if (this.describe !== null) {
      this._description = describeColumns(this.describe);
      this.describe = null;
    }
    return this._description;
  }

  /**
   * Rows changed by the last DML (with RETURNING too, from execute() on); for a SELECT -1 until it
   * is exhausted, then the rows fetched.
   */
  get rowCount(): number {
    this.assertOpen();
    return this._rowCount;
  }

  /** Primary key (rowid) of the last row inserted by this cursor; unchanged by UPDATE/DELETE/ignored inserts. */
  get lastRowId(): number | bigint | null {
    this.assertOpen();
    return this._lastRowId;
  }

  /**
   * After ALTER TABLE (ADD COLUMN, DROP COLUMN, RENAME COLUMN, RENAME TO): the schema-version plan
   * it applied — the same classification and steps as db.planSchemaVersion (docs/migrations.md);
   * null after any other statement.
   */
  get schemaPlan(): SchemaPlan | null {
    this.assertOpen();
    return this._schemaPlan;
  }

  /** The connection this cursor was created from (PEP 249 extension). */
  get connection(): Connection<unknown> {
    this.assertOpen();
    return this.conn;
  }

  /** PEP 249: a hint for parameter sizes. Accepted and ignored: values need no preallocation here. */
  setInputSizes(_sizes?: unknown): void {
    this.assertOpen();
  }

  /** PEP 249: a hint for large column buffers. Accepted and ignored: rows are built as fetched. */
  setOutputSize(_size?: number, _column?: number): void {
    this.assertOpen();
  }

  /** PEP 249 optional: there are no stored procedures; always NotSupportedError. */
  callproc(name?: string, _params?: unknown): never {
    this.assertOpen();
    throw new NotSupportedError(
      `callproc(${name === undefined ? '' : String(name)}): stored procedures are not supported`,
    );
  }

  /** PEP 249 optional: a statement has at most one result set; always NotSupportedError. */
  nextSet(): never {
    this.assertOpen();
    throw new NotSupportedError('nextSet: a statement produces at most one result set');
  }

  /** Work counters of the current result set (rows read from storage, index entries visited). */
  get executionStats(): Readonly<ExecStats> | null {
    return this.result?.stats ?? null;
  }

  /**
   * `timeoutMs` limits each call that runs the statement (this one, each later fetch): past it
   * the statement stops with OperationalError INTERRUPTED (a write is rolled back).
   */
  execute<R = Row>(sql: string, params?: unknown, options?: { timeoutMs?: number }): Cursor<R> {
    this.assertOpen();
    this.reset();
    const timeoutMs = options?.timeoutMs;
    if (timeoutMs !== undefined && (typeof timeoutMs !== 'number' || !(timeoutMs >= 0)))
      throw new InterfaceError('timeoutMs must be a non-negative number', 'BAD_OPTION');
    this.timeoutMs = timeoutMs ?? 0;
    const outcome = this.timed(() => this.conn._run(sql, params));
    if (outcome.kind === 'rows') {
      this.result = { source: outcome.source, columns: outcome.columns, stats: outcome.stats };
      this.describe = outcome.columns;
      this._state = 'rows';
      if (outcome.rowCount !== undefined) {
        this._rowCount = outcome.rowCount;
        this.changedRows = true;
      }
      if (outcome.lastRowId !== undefined) this._lastRowId = outcome.lastRowId;
      if (outcome.trace) this.trace = outcome.trace;
    } else {
      this._rowCount = outcome.rowCount;
      if (outcome.lastRowId !== undefined) this._lastRowId = outcome.lastRowId;
      if (outcome.schemaPlan) this._schemaPlan = outcome.schemaPlan;
      this._state = 'done';
    }
    return this as unknown as Cursor<R>;
  }

  /** Run a DML statement once per parameter set; rowCount is the total. A SELECT is refused. */
  executeMany(sql: string, seqOfParams: Iterable<unknown>): this {
    this.assertOpen();
    if (
      seqOfParams === null ||
      typeof (seqOfParams as { [Symbol.iterator]?: unknown })?.[Symbol.iterator] !== 'function'
    ) {
      throw new ProgrammingError('executeMany needs an iterable of parameter sets', 'PARAMETER');
    }
    this.reset();
    let total = 0;
    for (const params of seqOfParams) {
      const outcome = this.conn._run(sql, params, true);
      if (outcome.kind === 'rows')
        throw new ProgrammingError('executeMany cannot run a statement that returns rows', 'PROGRAMMING');
      total += outcome.rowCount;
      if (outcome.lastRowId !== undefined) this._lastRowId = outcome.lastRowId;
    }
    this._rowCount = total;
    this._state = 'done';
    return this;
  }

  fetchOne(): Row | null {
    const result = this.requireResult();
    const row = this.timed(() => result.source.next());
    if (row === null) {
      this.exhaust();
      return null;
    }
    this.fetched++;
    return this.shape(row, result.columns);
  }

  fetchMany(size: number = this.arraySize): Row[] {
    const result = this.requireResult();
    if (typeof size !== 'number' || !Number.isInteger(size) || size < 0) {
      throw new ProgrammingError('fetchMany size must be a non-negative integer', 'PROGRAMMING');
    }
    const out: Row[] = [];
    this.timed(() => {
      while (out.length < size) {
        const row = result.source.next();
        if (row === null) {
          this.exhaust();
          break;
        }
        this.fetched++;
        out.push(this.shape(row, result.columns));
      }
    });
    return out;
  }

  fetchAll(): Row[] {
    const result = this.requireResult();
    const out: Row[] = [];
    this.timed(() => {
      for (let row = result.source.next(); row !== null; row = result.source.next()) {
        this.fetched++;
        out.push(this.shape(row, result.columns));
      }
    });
    this.exhaust();
    return out;
  }

  *[Symbol.iterator](): Iterator<Row> {
    for (let row = this.fetchOne(); row !== null; row = this.fetchOne()) yield row;
  }

  close(): void {
    if (this._state === 'closed') return;
    this.reset();
    this._state = 'closed';
    this.conn._forget(this);
  }

  get closed(): boolean {
    return this._state === 'closed';
  }

  // ───────────────────────── internals ─────────────────────────

  /** Run statement work under this cursor's timeoutMs (free when there is none). */
  private timed<T>(fn: () => T): T {
    if (this.trace !== null) return this.tracedFetch(fn);
    try {
      return this.timeoutMs > 0 ? withDeadline(Date.now() + this.timeoutMs, fn) : fn();
    } catch (err) {
      throw tooComplexError(err) ?? err;
    }
  }

  /** A fetch from a traced result: a failure ends the statement's trace with an error event. */
  private tracedFetch<T>(fn: () => T): T {
    try {
      return this.timeoutMs > 0 ? withDeadline(Date.now() + this.timeoutMs, fn) : fn();
    } catch (thrown) {
      const err = tooComplexError(thrown) ?? thrown;
      const ctx = this.trace;
      if (ctx) {
        ctx.error = err;
        channels.query.error.publish(ctx);
        this.finishTrace(false);
      }
      throw err;
    }
  }

  /**
   * The result's rows are read (or abandoned): publish asyncStart/asyncEnd with the rows fetched,
   * as a traced promise does when it settles.
   */
  private finishTrace(complete: boolean): void {
    const ctx = this.trace;
    if (ctx === null) return;
    this.trace = null;
    ctx.rows = this.fetched;
    ctx.complete = complete;
    channels.query.asyncStart.publish(ctx);
    channels.query.asyncEnd.publish(ctx);
  }

  private shape(row: readonly unknown[], columns: readonly OutputColumn[]): Row {
    const safe = this.conn._safeIntegers;
    if (this.conn._rowMode === 'object') {
      const obj: Record<string, unknown> = {};
      for (let i = 0; i < columns.length; i++) {
        const name = columns[i].name;
        const v = outputValue(row[i], columns[i].type, safe, name);
        // Assigning to '__proto__' would replace the row's prototype (a BLOB value could make
        // the row a Buffer) and drop the column: define it as an own property instead.
        if (name === '__proto__') Object.defineProperty(obj, name, ownValue(v));
        else obj[name] = v;
      }
      return obj as Row;
    }
    const out = new Array<unknown>(columns.length);
    for (let i = 0; i < columns.length; i++)
      out[i] = outputValue(row[i], columns[i].type, safe, columns[i].name);
    return out as Row;
  }

  private exhaust(): void {
    if (this._state === 'rows') {
      this._state = 'exhausted';
      if (!this.changedRows) this._rowCount = this.fetched;
      if (this.trace !== null) this.finishTrace(true);
    }
  }

  private requireResult(): ResultSet {
    this.assertOpen();
    if (!this.result) throw new ProgrammingError('no result set: execute a query first', 'NO_RESULT_SET');
    return this.result;
  }

  private reset(): void {
    if (this.trace !== null) this.finishTrace(false);
    this.result = null;
    this._description = null;
    this.describe = null;
    this._rowCount = -1;
    this._schemaPlan = null;
    this.fetched = 0;
    this.changedRows = false;
    this._state = this._state === 'closed' ? 'closed' : 'idle';
  }

  private assertOpen(): void {
    if (this._state === 'closed') throw new InterfaceError('cursor is closed', 'CLOSED');
    this.conn._assertOpen();
  }
}
