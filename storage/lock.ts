/**
 * Cross-process writer lock: proper-lockfile on the sidecar `<file>.lock`. The lock's mtime is
 * refreshed on a timer; if the refresh fails or finds the lock stolen, the lock is marked
 * compromised and every later write is refused with LockError instead of risking two appenders.
 *
 * A timer cannot run while the event loop is blocked (a long synchronous transaction), so before
 * every append `assertHeld()` also checks a heartbeat: if the loop was stalled for more than half
 * the stale period, the lock is examined: a stall longer than the stale period (another writer may
 * have taken the lock over) or a different lock directory means the lock is lost and the write is
 * refused; proper-lockfile reaches the same verdict on its next refresh.
 */
import * as fs from 'node:fs';
import * as lockfile from 'proper-lockfile';
import { LockError } from '../src/errors';

export const DEFAULT_LOCK_STALE_MS = 10_000;

export class WriterLock {
  private release: (() => void) | null;
  private compromisedBy: Error | null = null;
  private readonly lockDir: string;
  private readonly ino: number;
  private lastBeat = Date.now();
  private readonly heartbeat: NodeJS.Timeout;

  private constructor(
    readonly path: string,
    release: () => void,
    private readonly staleMs: number,
  ) {
    this.release = release;
    this.lockDir = `${path}.lock`;
    this.ino = fs.statSync(this.lockDir).ino;
    this.heartbeat = setInterval(() => (this.lastBeat = Date.now()), Math.max(250, staleMs / 8));
    this.heartbeat.unref();
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
    holder.lock = new WriterLock(path, release, Math.max(staleMs, 5000));
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
    if (Date.now() - this.lastBeat > this.staleMs / 2) this.verifyAfterStall();
  }

  /**
   * The event loop stalled. Longer than the stale period: another process may legitimately have
   * taken the lock, so the lock counts as lost. Shorter: nobody could take it, but make sure the
   * lock directory is still ours.
   */
  private verifyAfterStall(): void {
    const stalled = Date.now() - this.lastBeat;
    let st: fs.Stats | null = null;
    try {
      st = fs.statSync(this.lockDir);
    } catch {
      st = null;
    }
    if (stalled > this.staleMs || !st || st.ino !== this.ino) {
      this.compromisedBy = new Error(
        `the event loop was blocked for ${stalled} ms (lock stale period ${this.staleMs} ms)`,
      );
      throw new LockError(
        `writer lock on ${this.path} may have been taken over while this process was unresponsive (${stalled} ms); refusing to write — reopen the database`,
      );
    }
    this.lastBeat = Date.now();
  }

  dispose(): void {
    clearInterval(this.heartbeat);
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
