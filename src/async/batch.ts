/**
 * How a worker cuts a result into the batches it sends back: at most the rows asked for, and at
 * most about BATCH_BYTES of them, so that the main thread never decodes more than that in one
 * task (a thousand rows of 100 KB each would otherwise arrive as one 100 MB reply, and block the
 * event loop for as long as it takes to decode). A batch always carries at least one row (two
 * when they are huge: the first step reads two), so a single huge row still goes through. The size of a row is what the codec (codec.ts) writes at
 * most for it; structured cloning, the other path, is of the same order.
 */
import type { Cursor } from '../../cursor/cursor';
import type { Batch } from './protocol';

/** About the most bytes of rows one batch carries (besides its first row). */
export const BATCH_BYTES = 128 * 1024;

/** Rows fetched from a cursor before the size of the rows so far decides the next step (a point get: one step). */
const FIRST_STEP = 2;

/** At most what the codec writes for `v` (strings counted at two bytes a code unit). */
export function approxBytes(v: unknown, depth = 0): number {
  switch (typeof v) {
    case 'string':
      return 5 + 2 * v.length;
    case 'number':
      return 9;
    case 'bigint':
      return 10 + (v >= 0n ? v : -v).toString(16).length;
    case 'object': {
      if (v === null) return 1;
      if (depth > 64) return 0;
      if (ArrayBuffer.isView(v)) return 5 + v.byteLength;
      if (Array.isArray(v)) {
        let n = 5;
        for (const x of v) n += approxBytes(x, depth + 1);
        return n;
      }
      if (v instanceof Date) return 9;
      let n = 5;
      for (const k of Object.keys(v))
        n += 5 + 2 * k.length + approxBytes((v as Record<string, unknown>)[k], depth + 1);
      return n;
    }
    default:
      return 1;
  }
}

/**
 * The next batch of `source`: up to `n` rows (all of them when negative) and about BATCH_BYTES.
 * A cursor is read in steps sized from the rows seen so far, so it is not asked for many more
 * rows than the budget holds.
 */
export function take(source: { next(): IteratorResult<unknown> } | Cursor, n: number): Batch {
  const rows: unknown[] = [];
  let bytes = 0;
  const room = (): number => (n < 0 ? Infinity : n - rows.length);
  if ('fetchMany' in source) {
    let step = Math.min(FIRST_STEP, room());
    for (;;) {
      const got = source.fetchMany(step);
      for (const r of got) {
        rows.push(r);
        bytes += approxBytes(r);
      }
      // fetchMany returning fewer than asked means the end was reached.
      if (got.length < step) return { rows, done: true };
      if (room() === 0 || bytes >= BATCH_BYTES) return { rows, done: false };
      const perRow = bytes / rows.length;
      step = Math.max(1, Math.min(room(), Math.floor((BATCH_BYTES - bytes) / perRow)));
    }
  }
  while (room() > 0 && bytes < BATCH_BYTES) {
    const r = source.next();
    if (r.done) return { rows, done: true };
    rows.push(r.value);
    bytes += approxBytes(r.value);
  }
  return { rows, done: false };
}

/** How many of `rows` the first batch takes: up to `n` and about BATCH_BYTES. */
export function batchLength(rows: readonly unknown[], n: number): number {
  let bytes = 0;
  let i = 0;
  while (i < rows.length && i < n && bytes < BATCH_BYTES) bytes += approxBytes(rows[i++]);
  return i;
}
