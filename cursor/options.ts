/** ConnectOptions (SPEC §3) and their checking. */
import { checkOptions, OPEN_OPTIONS } from '../src/options';
import type { OpenOptions } from '../src/options';

export interface ConnectOptions extends OpenOptions {
  /** PEP 249 default false: the first DML/DDL opens a transaction that commit()/rollback() end. */
  autocommit?: boolean;
  /** Rows as arrays (default) or plain objects keyed by column label. */
  rowMode?: 'array' | 'object';
  /** Capacity of the per-connection statement cache (default 256 statements). */
  statementCacheSize?: number;
  /** Put each statement's parameters in its `modelvault:query` trace context (default false: they may hold secrets). */
  traceParams?: boolean;
  /**
   * Bytes of build-side rows a query's `HashJoin` holds in memory before it partitions both
   * inputs to temp files (default 64 MiB; docs/queries.md "Joins").
   */
  hashJoinBudgetBytes?: number;
  /**
   * Estimated bytes of rows a query's `Sort` holds in memory before it writes sorted runs to a
   * temp file and merges them (default: `cacheBytes`, at least 64 MiB; docs/queries.md).
   */
  sortBudgetBytes?: number;
}

export function checkConnectOptions(opts: unknown): ConnectOptions {
  return checkOptions<ConnectOptions>('connect', opts, {
    ...OPEN_OPTIONS,
    autocommit: 'boolean',
    rowMode: ['array', 'object'],
    statementCacheSize: 'number',
    traceParams: 'boolean',
    hashJoinBudgetBytes: 'number',
    sortBudgetBytes: 'number',
  });
}
