/**
 * AsyncCursor: the DB-API cursor (cursor/cursor.ts) with promises. execute() runs the statement
 * in a worker and brings back the first rows with its reply, so a point query costs one round
 * trip; later fetches ask for just the rows they need (fetchMany(n) is O(n)). Rows arrive as the
 * sync cursor would give them (arrays or objects, bigint with safeIntegers, Buffer, Date).
 */
import type { Readable } from 'node:stream';
import { InterfaceError, ProgrammingError } from '../errors';
import type { ColumnDescription } from '../../cursor/description';
import type { ResultRow } from '../../cursor/cursor';
import type { AsyncConnection } from './connection';
import type { ExecReply } from './protocol';
import { RemoteRows } from './rows';
import { StatementControl } from './control';
import type { QueryTraceContext } from '../../storage/trace';
import { failTrace, finishTrace, queryContext, startTrace } from './trace';

/** Per-statement options of execute()/executeMany(). */
export interface StatementOptions {
  /** Interrupt each engine call of the statement that runs longer than this (ms). */
  timeoutMs?: number;
  /** Interrupt the statement when this signal aborts. */
  signal?: AbortSignal;
}
import type { WorkerHost } from './host';
import type { SchemaPlan } from '../schema-versions';

/** Whether a statement's first reply is its whole outcome (then its traced rows are known). */
function resultFinished(ctx: QueryTraceContext, reply: ExecReply): boolean {
  if (!reply.hasRows) return true;
  if (!reply.done) return false;
  ctx.rows = reply.rows.length;
  return true;
}

/** Rows fetched ahead when a single row is asked for (fetchOne, iteration). */
const READ_AHEAD = 64;

/** `Row`: what fetches return; `execute<Row>()` sets it (the caller's claim, not checked). */
export class AsyncCursor<Row = ResultRow> implements AsyncIterable<Row> {
  /** Rows fetchMany() returns when called without a size (PEP 249 default 1). */
  arraySize = 1;
  private rows: RemoteRows | null = null;
  private _description: ColumnDescription[] | null = null;
  private _rowCount = -1;
  private _lastRowId: number | bigint | null = null;
  private _schemaPlan: SchemaPlan | null = null;
  private fetched = 0;
  private countsFetched = false;
  private closed = false;
  private readonly ctl = new StatementControl();
  /** The main-thread trace of the current statement until its outcome is published. */
  private trace: QueryTraceContext | null = null;

  /** @internal Use AsyncConnection.cursor(). */
  constructor(private readonly conn: AsyncConnection) {}

  /** PEP 249 7-tuples for the current result set; null before one and after DML/DDL. */
  get description(): ColumnDescription[] | null {
    this.assertOpen();
    return this._description;
  }

  /** Rows changed by the last DML; for a SELECT -1 until it is exhausted, then the rows fetched. */
  get rowCount(): number {
    this.assertOpen();
    return this._rowCount;
  }

  /** Primary key (rowid) of the last row inserted by this cursor. */
  get lastRowId(): number | bigint | null {
    this.assertOpen();
    return this._lastRowId;
  }

  /** After ALTER TABLE: the schema-version plan it applied (see Cursor.schemaPlan); else null. */
  get schemaPlan(): SchemaPlan | null {
    this.assertOpen();
    return this._schemaPlan;
  }

  get connection(): AsyncConnection {
    return this.conn;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Run `sql`. `timeoutMs` limits each engine call of the statement (this one with its first rows,
   * each later fetch); `signal` interrupts it when aborted. Both stop it with OperationalError
   * INTERRUPTED, as cancel() does; a write is rolled back to where the statement began.
   */
  async execute<R = Row>(sql: string, params?: unknown, options?: StatementOptions): Promise<AsyncCursor<R>> {
    this.assertOpen();
    await this.reset();
    this.prepare(options);
    const ctx = this.traceStatement(sql, params);
    this.conn._active(this, true);
    try {
      const issue = (): ReturnType<AsyncConnection['_execute']> =>
        this.conn._execute(sql, params, READ_AHEAD, this.ctl);
      const { reply, host, generation, id } = await (ctx
        ? startTrace(ctx, issue, (r) => resultFinished(ctx, r.reply))
        : issue());
      this.adopt(reply, host, generation, id);
      if (ctx && (!this.rows || this.rows.finished)) this.endTrace();
    } catch (err) {
      // startTrace published the failure.
      if (ctx) this.endTrace();
      throw err;
    } finally {
      this.settle();
    }
    return this as unknown as AsyncCursor<R>;
  }

  /** Run a DML statement once per parameter set (one round trip); rowCount is the total. */
  async executeMany(sql: string, seqOfParams: Iterable<unknown>, options?: StatementOptions): Promise<this> {
    this.assertOpen();
    if (
      seqOfParams === null ||
      typeof (seqOfParams as { [Symbol.iterator]?: unknown })?.[Symbol.iterator] !== 'function'
    )
      throw new ProgrammingError('executeMany needs an iterable of parameter sets', 'PARAMETER');
    await this.reset();
    this.prepare(options);
    const seq = [...seqOfParams];
    const ctx = this.traceStatement(sql, seq);
    this.conn._active(this, true);
    try {
      const issue = (): ReturnType<AsyncConnection['_executeMany']> =>
        this.conn._executeMany(sql, seq, this.ctl);
      // The worker traced each parameter set; the caller's trace is the whole call.
      const total = (r: { rowCount: number }, c: QueryTraceContext): boolean => {
        c.rowsChanged = r.rowCount;
        return true;
      };
      const reply = await (ctx ? startTrace(ctx, issue, (r) => total(r, ctx)) : issue());
      if (ctx) this.endTrace();
      this._rowCount = reply.rowCount;
      if (reply.lastRowId !== null) this._lastRowId = reply.lastRowId;
    } catch (err) {
      if (ctx) this.endTrace();
      throw err;
    } finally {
      this.settle();
    }
    return this;
  }

  /** Interrupt this cursor's running statement or fetch (OperationalError INTERRUPTED); a no-op when idle. */
  cancel(): void {
    this.ctl.interrupt();
  }

  async fetchOne(): Promise<Row | null> {
    const rows = await this.fetching(this.result().take(1, READ_AHEAD));
    return this.counted(rows, 1)[0] ?? null;
  }

  async fetchMany(size: number = this.arraySize): Promise<Row[]> {
    const result = this.result();
    if (typeof size !== 'number' || !Number.isInteger(size) || size < 0)
      throw new ProgrammingError('fetchMany size must be a non-negative integer', 'PROGRAMMING');
    return this.counted(await this.fetching(result.take(size)), size);
  }

  async fetchAll(): Promise<Row[]> {
    return this.counted(await this.fetching(this.result().take(-1)), Infinity);
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Row, void, undefined> {
    for (let row = await this.fetchOne(); row !== null; row = await this.fetchOne()) yield row;
  }

  /**
   * The rest of the result set as an object-mode Readable: it fetches the next batch only when
   * its consumer drained the buffer below `highWaterMark` (backpressure holds back the worker).
   */
  stream(highWaterMark = 256): Readable {
    return this.result().stream(highWaterMark);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.traceAbandoned();
    this.closed = true;
    this.conn._active(this, false);
    this.ctl.release();
    await this.rows?.close();
    this.rows = null;
  }

  // ───────────────────────── internals ─────────────────────────

  private prepare(options: StatementOptions | undefined): void {
    const timeoutMs = options?.timeoutMs;
    if (timeoutMs !== undefined && (typeof timeoutMs !== 'number' || !(timeoutMs >= 0)))
      throw new InterfaceError('timeoutMs must be a non-negative number', 'BAD_OPTION');
    this.ctl.timeoutMs = timeoutMs ?? 0;
    this.ctl.watch(options?.signal);
  }

  /** Keep the connection's hold on this cursor only while a result set is left on a worker. */
  private settle(): void {
    if (!this.rows || this.rows.exhausted) {
      this.conn._active(this, false);
      this.ctl.release();
    }
  }

  private async fetching(p: Promise<unknown[]>): Promise<unknown[]> {
    try {
      return await p;
    } catch (err) {
      this.traceFailed(err);
      throw err;
    } finally {
      this.settle();
    }
  }

  // ───────────────────────── tracing (src/async/trace.ts) ─────────────────────────

  /** Open the statement's main-thread trace when someone listens on `modelvault:query`. */
  private traceStatement(sql: string, params: unknown): QueryTraceContext | null {
    const ctx = typeof sql === 'string' ? queryContext(sql, null, null) : null;
    if (ctx && this.conn._traceParams) ctx.params = params;
    this.trace = ctx;
    this.ctl.trace = ctx;
    return ctx;
  }

  /** Publish the outcome once it is known: no result set, or the worker sent its last row. */
  private traceProgress(): void {
    const ctx = this.trace;
    if (!ctx) return;
    if (this.rows) {
      if (!this.rows.finished) return;
      ctx.rows = this.rows.received;
    }
    this.endTrace();
    finishTrace(ctx, true);
  }

  private traceFailed(err: unknown): void {
    const ctx = this.trace;
    if (!ctx) return;
    this.endTrace();
    failTrace(ctx, err);
  }

  /** The result set is dropped before its end (re-execute, close). */
  private traceAbandoned(): void {
    const ctx = this.trace;
    if (!ctx) return;
    ctx.rows = this.rows?.received ?? null;
    this.endTrace();
    finishTrace(ctx, false);
  }

  private endTrace(): void {
    this.trace = null;
    this.ctl.trace = null;
  }

  private adopt(reply: ExecReply, host: WorkerHost, generation: number, id: number): void {
    this._lastRowId = reply.lastRowId ?? this._lastRowId;
    this._schemaPlan = reply.schemaPlan ?? null;
    if (reply.hasRows) {
      this._description = reply.description as ColumnDescription[];
      this.rows = new RemoteRows(host, generation, id, reply, this.ctl);
      // A traced result read through stream() ends its trace too.
      if (this.trace) this.rows.onBatch = () => this.traceProgress();
      this._rowCount = reply.rowCount;
      // A SELECT reports the rows fetched once exhausted; a write's RETURNING reports rows changed.
      this.countsFetched = reply.rowCount === -1;
    } else {
      this._rowCount = reply.rowCount;
    }
  }

  private counted(rows: unknown[], asked: number): Row[] {
    this.fetched += rows.length;
    if (rows.length < asked && this.countsFetched) this._rowCount = this.fetched;
    return rows as Row[];
  }

  private result(): RemoteRows {
    this.assertOpen();
    if (!this.rows) throw new ProgrammingError('no result set: execute a query first', 'NO_RESULT_SET');
    return this.rows;
  }

  private async reset(): Promise<void> {
    this.traceAbandoned();
    const old = this.rows;
    this.rows = null;
    this._description = null;
    this._rowCount = -1;
    this._schemaPlan = null;
    this.fetched = 0;
    this.countsFetched = false;
    await old?.close();
  }

  private assertOpen(): void {
    if (this.closed) throw new InterfaceError('cursor is closed', 'CLOSED');
    this.conn._assertOpen();
  }
}
