/** Test helpers for storage/dir-watch.ts: a settling time for one suite, and a blocking sleep. */
import { dirWatchPolicy } from '../../storage/dir-watch';

/** Sets dirWatchPolicy.settleMs for the suite it is called in, and puts the default back after. */
export function useSettleMs(ms: number): void {
  const before = dirWatchPolicy.settleMs;
  beforeAll(() => {
    dirWatchPolicy.settleMs = ms;
  });
  afterAll(() => {
    dirWatchPolicy.settleMs = before;
  });
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Blocks for `ms` (the watches compare wall-clock ages; no timer needs to run meanwhile). */
export function sleepMs(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}
