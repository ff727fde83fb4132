/**
 * The query builder of AsyncDatabase (docs/queries.md, with promises): builder calls are recorded
 * on the main thread and replayed on the worker by the terminal call, so a chain costs one round
 * trip. Builder arguments are checked when the terminal call runs, not when they are given.
 */
import { Readable } from 'node:stream';
import type { AggregateSpec, Condition, WhereOp } from '../query';
import type { WorkerHost } from './host';
import { restoreBuffers } from './protocol';
import type { Batch } from './protocol';
import { RemoteRows } from './rows';
import { resultId } from './pool';

type Row = Record<string, unknown>;
type Path = string | readonly string[];
export type Chain = [string, unknown[]][];

/** Sends one request for a handle where it belongs and reports which worker (and generation) served it. */
export type Runner = <T>(
  op: string,
  args: unknown[],
) => Promise<{ value: T; host: WorkerHost; generation: number }>;

/** Rows per request when iterating or streaming a query. */
const BATCH = 256;

export class AsyncQuery {
  /** @internal Use AsyncDatabase.collection(). */
  constructor(
    private readonly run: Runner,
    private readonly name: string,
    private readonly chain: Chain = [],
  ) {}

  private with(method: string, args: unknown[]): AsyncQuery {
    return new AsyncQuery(this.run, this.name, [...this.chain, [method, args]]);
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

  private async terminal<T>(method: string, args: unknown[] = []): Promise<T> {
    const { value } = await this.run<T>('query', [this.name, this.chain, method, args]);
    return restoreBuffers(value) as T;
  }

  all(): Promise<Row[]> {
    return this.terminal('all');
  }
  first(): Promise<Row | null> {
    return this.terminal('first');
  }
  explain(): Promise<string> {
    return this.terminal('explain');
  }
  count(): Promise<number> {
    return this.terminal('count');
  }
  aggregate(spec: Readonly<Record<string, AggregateSpec>>): Promise<Row[]> {
    return this.terminal('aggregate', [spec]);
  }

  /** The matching rows, fetched from the worker `batchSize` at a time. */
  async *iterate(batchSize = BATCH): AsyncGenerator<Row, void, undefined> {
    const id = resultId();
    const { value, host, generation } = await this.run<Batch>('queryOpen', [
      id,
      this.name,
      this.chain,
      batchSize,
    ]);
    const rows = new RemoteRows(host, generation, id, value);
    yield* rows.iterate(batchSize) as AsyncGenerator<Row, void, undefined>;
  }

  [Symbol.asyncIterator](): AsyncGenerator<Row, void, undefined> {
    return this.iterate();
  }

  /** An object-mode Readable of the matching rows; backpressure holds back the worker. */
  stream(highWaterMark = BATCH): Readable {
    return Readable.from(this.iterate(highWaterMark), { objectMode: true, highWaterMark });
  }
}
