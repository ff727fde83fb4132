/**
 * Bound parameters that were a `bigint` within ±2^53, which the binding (cursor/values.ts) turns
 * into a number: better-sqlite3 binds a bigint as INTEGER and every JS number as REAL, and a
 * bound value compared with a TEXT column reads as its text, so 10n is '10' where 10 is '10.0'
 * (docs/sql.md, parameter affinity). Kept beside the bound values, keyed by their array or object.
 */
const bigints = new WeakMap<object, Set<number | string>>();

/** Record that the parameter at `key` of `params` was bound as a bigint. */
export function noteBoundBigint(params: object, key: number | string): void {
  let keys = bigints.get(params);
  if (keys === undefined) bigints.set(params, (keys = new Set()));
  keys.add(key);
}

/** Whether the parameter at `key` of `params` was bound as a bigint (see noteBoundBigint). */
export function wasBoundBigint(params: unknown, key: number | string): boolean {
  return typeof params === 'object' && params !== null && (bigints.get(params)?.has(key) ?? false);
}
