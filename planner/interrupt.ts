/**
 * Statement interruption: every operator's `next()` polls an interrupt check once per
 * POLL_EVERY calls, so scans, sorts (through their input), joins and aggregations stop within a
 * few thousand rows. Whoever runs statements installs the check (the async API's worker does: it
 * throws OperationalError INTERRUPTED on cancel or timeout); with none installed, operators are
 * not wrapped at all, so the sync API pays nothing.
 */
import type { Row } from './compile-expr';
import type { Source } from './execute';

/** A power of two minus one: the poll is a mask test. */
const POLL_MASK = 1023;

let check: (() => void) | null = null;

/** Install (or remove, with null) the check; it throws to stop the running statement. */
export function setInterruptCheck(fn: (() => void) | null): void {
  check = fn;
}

/** `src`, polling the interrupt check every POLL_MASK + 1 rows (itself when no check is installed). */
export function polled(src: Source): Source {
  if (check === null) return src;
  let n = 0;
  return {
    next(): Row | null {
      if ((++n & POLL_MASK) === 0) check?.();
      return src.next();
    },
  };
}
