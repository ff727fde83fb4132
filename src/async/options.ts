/** Options of the async API: the sync ones plus the reader pool size; busyTimeoutMs defaults to 5 s. */
import * as os from 'node:os';
import { checkOptions, OPEN_OPTIONS } from '../options';
import type { OpenOptions } from '../options';
import type { ConnectOptions } from '../../cursor/options';

export interface AsyncPoolOptions {
  /**
   * Reader worker threads serving reads outside transactions (file databases only). Default
   * min(4, CPU cores); 0 sends every read to the writer worker. The first handle opened on a file
   * decides its pool size.
   */
  readers?: number;
}

export interface AsyncOpenOptions extends OpenOptions, AsyncPoolOptions {}
export interface AsyncConnectOptions extends ConnectOptions, AsyncPoolOptions {}

/** How long an async writer waits in the write queue (and for another process's lock) by default. */
export const DEFAULT_BUSY_TIMEOUT_MS = 5000;

export function defaultReaders(): number {
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, Math.min(4, cores));
}

export function checkAsyncOpenOptions(where: string, options: unknown): AsyncOpenOptions {
  return checkOptions<AsyncOpenOptions>(where, options, { ...OPEN_OPTIONS, readers: 'number' });
}

export function checkAsyncConnectOptions(options: unknown): AsyncConnectOptions {
  return checkOptions<AsyncConnectOptions>('connectAsync', options, {
    ...OPEN_OPTIONS,
    readers: 'number',
    autocommit: 'boolean',
    rowMode: ['array', 'object'],
    statementCacheSize: 'number',
    traceParams: 'boolean',
    hashJoinBudgetBytes: 'number',
    sortBudgetBytes: 'number',
  });
}

/** Split the async-only options off; what remains goes to the worker's sync open. */
export function splitPoolOptions<T extends AsyncPoolOptions & OpenOptions>(
  opts: T,
): { readers: number; busyTimeoutMs: number; rest: Omit<T, 'readers'> } {
  const { readers, ...rest } = opts;
  const busyTimeoutMs = opts.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
  return {
    readers: readers === undefined ? defaultReaders() : Math.floor(readers),
    busyTimeoutMs,
    rest: { ...rest, busyTimeoutMs } as Omit<T, 'readers'>,
  };
}
