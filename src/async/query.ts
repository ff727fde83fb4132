/**
 * The query builder of AsyncDatabase (docs/queries.md, with promises): builder calls are recorded
 * on the main thread and replayed on the worker by the terminal call, so a chain costs one round
 * trip. Builder arguments are checked when the terminal call runs, not when they are given.
 * Every terminal call is one statement with its own StatementControl: `timeoutMs` bounds each
 * engine call (the call itself, or each batch of an iteration), `signal` and the handle's
 * interrupt() stop it with OperationalError INTERRUPTED.
 */
import { Readable } from 'node:stream';
import type { AggregateSpec, Condition, WhereOp } from '../query';
import type { WorkerHost } from './host';
import { restoreBuffers } from './protocol';
import type { Batch } from './protocol';
import { MAX_BATCH, RemoteRows } from './rows';
import { resultId } from './pool';
import { StatementControl } from './control';
import { InterfaceError } from '../errors';
import type { QueryTraceContext } from '../../storage/trace';
import { failTrace, finishTrace, queryContext, startTrace } from './trace';

type Row = Record<string, unknown>;
type Path = string | readonly string[];
export type Chain = [string, unknown[]][];

/**
 * Sends one request for a handle where it belongs and reports which worker (and generation)
 * served it; with `ctl`, the request is interruptible and time-limited.
 */
export type Runner = <T>(
  op: string,
  args: unknown[],
  ctl?: StatementControl,
) => Promise<{ value: T; host: WorkerHost; generation: number }>;

/** Options of an async query's terminal call. */
export interface AsyncQueryOptions {
  /**
   * Limit each engine call of the query to this many ms (0 or absent: none): the call for
   * all/first/count/aggregate/explain, the open and each batch of iterate()/stream(). Past it the
   * query fails with OperationalError INTERRUPTED.
   */
  timeoutMs?: number;
  /** Interrupt the query when this signal aborts (OperationalError INTERRUPTED). */
  signal?: AbortSignal;
}

/** Options of iterate(): the terminal options and how many rows each request brings back. */
export interface AsyncIterateOptions extends AsyncQueryOptions {
  batchSize?: number;
}

/** A typed terminal's traced row count, as the sync builder reports it. */
function counted(ctx: QueryTraceContext, method: string, value: unknown): boolean {
  ctx.rows = Array.isArray(value) ? value.length : method === 'first' ? (value === null ? 0 : 1) : 1;
  return true;
}

/** A rows terminal whose rows all came with the first reply is finished then. */
function oneBatch(ctx: QueryTraceContext, batch: Batch): boolean {
  if (!batch.done) return false;
  ctx.rows = batch.rows.length;
  return true;
}

/** Rows per reply of all()/aggregate(): one reply for most results, bounded decoding for big ones. */
const ROWS_BATCH = MAX_BATCH;

/** Rows per request when iterating or streaming a query. */
const BATCH = 256;

export class AsyncQuery {
  /** @internal Use AsyncDatabase.collection(). */
  constructor(
    private readonly run: Runner,
    private readonly name: string,
    private readonly chain: Chain = [],
    /** The handle's running statements, which its interrupt() stops. */
    private readonly live: Set<StatementControl> | null = null,
  ) {}

  private with(method: string, args: unknown[]): AsyncQuery {
    return new AsyncQuery(this.run, this.name, [...this.chain, [method, args]], this.live);
  }

  /** A control for one statement, following the options' time limit and signal, tracked by the handle. */
  private control(options: AsyncQueryOptions | undefined): StatementControl {
    if (options !== undefined && (typeof options !== 'object' || options === null))
      throw new InterfaceError('query options must be an object', 'BAD_OPTION');
    const timeoutMs = options?.timeoutMs;
    if (timeoutMs !== undefined && (typeof timeoutMs !== 'number' || !(timeoutMs >= 0)))
      throw new InterfaceError('timeoutMs must be a non-negative number', 'BAD_OPTION');
    const ctl = new StatementControl();
    ctl.timeoutMs = timeoutMs ?? 0;
    ctl.watch(options?.signal);
    this.live?.add(ctl);
    return ctl;
  }

  private finish(ctl: StatementControl): void {
    ctl.release();
    this.live?.delete(ctl);
  }

  where(path: Path, value: unknown): AsyncQuery;
  where(path: Path, op: WhereOp, value?: unknown): AsyncQuery;
  where(...args: unknown[]): AsyncQuery {
    return this.with('where', args);
  }
  and(...conds: Condition[]): AsyncQuery {
    return this.with('and', conds);
  }
  or(...conds: Condition[]): AsyncQuery {
    return this.with('or', conds);
  }
  orderBy(path: Path, direction: 'asc' | 'desc' = 'asc'): AsyncQuery {
    return this.with('orderBy', [path, direction]);
  }
  limit(n: number): AsyncQuery {
    return this.with('limit', [n]);
  }
  offset(n: number): AsyncQuery {
    return this.with('offset', [n]);
  }
  select(paths: readonly Path[]): AsyncQuery {
    return this.with('select', [paths]);
  }
  groupBy(...paths: Path[]): AsyncQuery {
    return this.with('groupBy', paths);
  }

  private async terminal<T>(
    method: string,
    args: unknown[],
    options: AsyncQueryOptions | undefined,
  ): Promise<T> {
    const ctl = this.control(options);
    // Traced like the sync builder's terminals (explain is not a query run).
    const ctx = method === 'explain' ? null : queryContext(null, this.name, method);
    ctl.trace = ctx;
    try {
      const send = (): ReturnType<Runner> => this.run<T>('query', [this.name, this.chain, method, args], ctl);
      const { value } = await (ctx ? startTrace(ctx, send, (r) => counted(ctx, method, r.value)) : send());
      return restoreBuffers(value) as T;
    } finally {
      this.finish(ctl);
    }
  }

  /**
   * A terminal that returns rows (all, aggregate): run to its end by the worker, its rows brought
   * back ROWS_BATCH at a time so no single reply is huge (the event loop stays responsive).
   */
  private async rowsTerminal(
    method: string,
    args: unknown[],
    options: AsyncQueryOptions | undefined,
  ): Promise<Row[]> {
    const ctl = this.control(options);
    const ctx = queryContext(null, this.name, method);
    ctl.trace = ctx;
    let rows: RemoteRows | null = null;
    // Whether the trace is still open after its first reply (a result of several batches).
    let open = false;
    try {
      const id = resultId();
      const send = (): Promise<{ value: Batch; host: WorkerHost; generation: number }> =>
        this.run<Batch>('queryRows', [id, this.name, this.chain, method, args, ROWS_BATCH], ctl);
      const first = await (ctx ? startTrace(ctx, send, (r) => oneBatch(ctx, r.value)) : send());
      open = ctx !== null && !first.value.done;
      rows = new RemoteRows(first.host, first.generation, id, first.value, ctl);
      const all = (await rows.take(-1)) as Row[];
      if (ctx && open) {
        open = false;
        ctx.rows = all.length;
        finishTrace(ctx, true);
      }
      return all;
    } catch (err) {
      if (ctx && open) failTrace(ctx, err);
      throw err;
    } finally {
      await rows?.close();
      this.finish(ctl);
    }
  }

  all(options?: AsyncQueryOptions): Promise<Row[]> {
    return this.rowsTerminal('all', [], options);
  }
  first(options?: AsyncQueryOptions): Promise<Row | null> {
    return this.terminal('first', [], options);
  }
  explain(options?: AsyncQueryOptions): Promise<string> {
    return this.terminal('explain', [], options);
  }
  count(options?: AsyncQueryOptions): Promise<number> {
    return this.terminal('count', [], options);
  }
  aggregate(spec: Readonly<Record<string, AggregateSpec>>, options?: AsyncQueryOptions): Promise<Row[]> {
    return this.rowsTerminal('aggregate', [spec], options);
  }

  /** The matching rows, fetched from the worker `batchSize` (default 256) at a time. */
  async *iterate(options?: number | AsyncIterateOptions): AsyncGenerator<Row, void, undefined> {
    const opts = typeof options === 'number' ? { batchSize: options } : options;
    const batchSize = opts?.batchSize ?? BATCH;
    if (typeof batchSize !== 'number' || !Number.isSafeInteger(batchSize) || batchSize < 1)
      throw new InterfaceError('batchSize must be a positive integer', 'BAD_OPTION');
    const ctl = this.control(opts);
    try {
      const id = resultId();
      // The first batch is bounded like every later one (RemoteRows caps fetches at MAX_BATCH).
      const { value, host, generation } = await this.run<Batch>(
        'queryOpen',
        [id, this.name, this.chain, Math.min(batchSize, MAX_BATCH)],
        ctl,
      );
      const rows = new RemoteRows(host, generation, id, value, ctl);
      yield* rows.iterate(batchSize) as AsyncGenerator<Row, void, undefined>;
    } finally {
      this.finish(ctl);
    }
  }

  [Symbol.asyncIterator](): AsyncGenerator<Row, void, undefined> {
    return this.iterate();
  }

  /** An object-mode Readable of the matching rows; backpressure holds back the worker. */
  stream(highWaterMark = BATCH, options?: AsyncQueryOptions): Readable {
    return Readable.from(this.iterate({ ...options, batchSize: highWaterMark }), {
      objectMode: true,
      highWaterMark,
    });
  }
}
