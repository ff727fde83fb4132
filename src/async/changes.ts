/**
 * When a reader worker may skip its refresh. A live reader normally looks at the file (an fstat,
 * often a read of the next frame header) before every request, because another process may have
 * committed. While the pool's own writer worker holds the file's writer lock, no other process
 * can commit, so the only commits to look for are the writer's: it bumps a counter shared by the
 * pool after every request it runs, and a reader whose last refresh saw the current count skips
 * the look. The rule, in full:
 *
 * - `LOCKED` is set by the main thread once the writer worker reported it holds the lock (its
 *   open returned a lock token), and cleared when that thread dies — before its lock is freed, so
 *   a commit by another process that took the lock over is always looked for;
 * - the writer bumps `COUNT` after every request (the open that took the lock included), before
 *   its reply leaves, so a read issued after a resolved call sees the bump;
 * - a reader engine refreshes (every statement asks) unless `LOCKED` is set and `COUNT` equals
 *   what it read before its last look. A read-only pool has no writer: its worker always looks.
 *
 * Not covered: someone deleting the lock folder by hand so that another process writes while
 * this writer lives (the writer then fails with LOCK_LOST at its next write; docs/operations.md);
 * readers of this pool may not see that process's commits until this pool's writer runs again.
 */

export const LOCKED = 0;
export const COUNT = 1;

export function newChanges(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(8));
}

/**
 * A reader engine's refreshGate (storage/engine-core.ts): whether it must look at the file. The count
 * is read before the look, so a commit that lands during it makes the next call look again.
 */
export function refreshGate(changes: Int32Array): () => boolean {
  let seen = -1;
  return () => {
    const count = Atomics.load(changes, COUNT);
    if (Atomics.load(changes, LOCKED) === 1 && count === seen) return false;
    seen = count;
    return true;
  };
}
