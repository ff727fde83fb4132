/** An estimate of a row's heap size, for the memory budgets of Sort and HashJoin. */
import type { Row } from './compile-expr';

/** Enough to tell a budget from ten times it: arrays, strings, blobs and boxed values counted. */
export function rowBytes(row: Row): number {
  let n = 32 + 8 * row.length;
  for (const v of row) {
    if (typeof v === 'string') n += 16 + 2 * v.length;
    else if (v instanceof Uint8Array) n += 64 + v.byteLength;
    else if (typeof v === 'bigint' || (typeof v === 'object' && v !== null)) n += 32;
  }
  return n;
}
