/**
 * The in-process write queue of one database: at most one holder (a transaction, a connection
 * with an open transaction, or a single write) at a time; the others wait in arrival order. A
 * waiter that is not served within its busy timeout gives up with OperationalError `BUSY`.
 */
import { OperationalError } from '../errors';

/** Give the queue back; calling it twice is harmless. */
export type Release = () => void;

interface Waiter {
  grant(release: Release): void;
}

export class WriteQueue {
  private held = false;
  private readonly waiters: Waiter[] = [];

  get busy(): boolean {
    return this.held;
  }

  get waiting(): number {
    return this.waiters.length;
  }

  acquire(timeoutMs: number): Promise<Release> {
    if (!this.held && this.waiters.length === 0) {
      this.held = true;
      return Promise.resolve(this.releaser());
    }
    return new Promise<Release>((resolve, reject) => {
      let timer: NodeJS.Timeout | null = null;
      const waiter: Waiter = {
        grant: (release) => {
          if (timer) clearTimeout(timer);
          resolve(release);
        },
      };
      this.waiters.push(waiter);
      timer = setTimeout(() => {
        const at = this.waiters.indexOf(waiter);
        if (at < 0) return;
        this.waiters.splice(at, 1);
        reject(
          new OperationalError(
            `database is busy: another transaction held the write lock for more than ${timeoutMs} ms (busyTimeoutMs)`,
            'BUSY',
          ),
        );
      }, timeoutMs);
    });
  }

  /** The queue at once when nobody holds it or waits for it, else null (never waits). */
  tryAcquire(): Release | null {
    if (this.held || this.waiters.length > 0) return null;
    this.held = true;
    return this.releaser();
  }

  private releaser(): Release {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const next = this.waiters.shift();
      if (next) next.grant(this.releaser());
      else this.held = false;
    };
  }
}
