/**
 * Statement interruption: every operator's `next()` polls an interrupt check once per
 * POLL_EVERY calls, so scans, sorts (through their input), joins and aggregations stop within a
 * few thousand rows. Whoever runs statements installs the check (the async API's worker does: it
 * throws OperationalError INTERRUPTED on cancel or timeout; the sync cursor does for a statement
 * with `timeoutMs`); with none installed, operators are not wrapped at all and pay nothing.
 */
import { OperationalError } from '../src/errors';
import type { Source } from './execute';
import { source } from './source';

/** A power of two minus one: the poll is a mask test. */
const POLL_MASK = 1023;

let check: (() => void) | null = null;

/** Install (or remove, with null) the check; it throws to stop the running statement. */
export function setInterruptCheck(fn: (() => void) | null): void {
  check = fn;
}

/**
 * Run `fn` with a time limit: the statement work it does stops with OperationalError INTERRUPTED
 * once `Date.now()` passes `deadline` (0: no limit). Any check already installed keeps working.
 */
export function withDeadline<T>(deadline: number, fn: () => T): T {
  if (deadline <= 0) return fn();
  const prev = check;
  check = () => {
    prev?.();
    if (Date.now() > deadline)
      throw new OperationalError('statement interrupted: its time limit (timeoutMs) passed', 'INTERRUPTED');
  };
  try {
    return fn();
  } finally {
    check = prev;
  }
}

let workLeft = POLL_MASK + 1;

/**
 * For loops that pass over many rows inside one `next()` (a filtered scan rejecting rows, a join
 * testing pairs): polls the check once per POLL_MASK + 1 calls, so such a loop stops as promptly
 * as a row-returning operator does. With no check installed it is one comparison.
 */
export function pollWork(): void {
  if (check !== null && --workLeft === 0) {
    workLeft = POLL_MASK + 1;
    check();
  }
}

/** pollWork for `rows` rows handled at once (a leaf folded from its column vectors). */
export function pollRows(rows: number): void {
  if (check === null) return;
  workLeft -= rows;
  if (workLeft <= 0) {
    workLeft = POLL_MASK + 1;
    check();
  }
}

/** `src`, polling the interrupt check every POLL_MASK + 1 rows (itself when no check is installed). */
export function polled(src: Source): Source {
  if (check === null) return src;
  let n = 0;
  return source(() => {
    if ((++n & POLL_MASK) === 0) check?.();
    return src.next();
  }, src.want);
}
