/**
 * Cross-process writer lock: proper-lockfile on the sidecar `<file>.lock`. The lock's mtime is
 * refreshed on a timer; if the refresh fails or finds the lock stolen, the lock is marked
 * compromised and every later write is refused with LockError instead of risking two appenders.
 */
import * as lockfile from 'proper-lockfile';
import { LockError } from '../src/errors';

export const DEFAULT_LOCK_STALE_MS = 10_000;

export class WriterLock {
  private release: (() => void) | null;
  private compromisedBy: Error | null = null;

  private constructor(
    readonly path: string,
    release: () => void,
  ) {
    this.release = release;
  }

  /** Take the lock or throw LockError (code LOCKED) at once; never waits. */
  static acquire(path: string, staleMs = DEFAULT_LOCK_STALE_MS): WriterLock {
    const holder: { lock: WriterLock | null } = { lock: null };
    let release: () => void;
    try {
      release = lockfile.lockSync(path, {
        stale: Math.max(staleMs, 5000),
        realpath: false,
        lockfilePath: `${path}.lock`,
        onCompromised: (err: Error) => {
          if (holder.lock) holder.lock.compromisedBy = err;
        },
      });
    } catch (err) {
      const code = (err as { code?: string }).code;
      const message =
        code === 'ELOCKED'
          ? `database ${path} is locked by another writer`
          : `cannot take the writer lock on ${path}: ${err instanceof Error ? err.message : String(err)}`;
      throw new LockError(message, { cause: err });
    }
    holder.lock = new WriterLock(path, release);
    return holder.lock;
  }

  /** Throw LockError if the lock was lost; called before every append. */
  assertHeld(): void {
    if (this.compromisedBy) {
      throw new LockError(
        `writer lock on ${this.path} was lost (${this.compromisedBy.message}); refusing to write`,
        {
          cause: this.compromisedBy,
        },
      );
    }
    if (!this.release) throw new LockError(`writer lock on ${this.path} was released`);
  }

  dispose(): void {
    const release = this.release;
    this.release = null;
    if (release && !this.compromisedBy) {
      try {
        release();
      } catch {
        // Releasing a lock that was already removed or compromised is not an error for the closer.
      }
    }
  }
}
