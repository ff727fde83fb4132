/**
 * The in-process write queue of one database: at most one holder (a transaction, a connection
 * with an open transaction, or a single write) at a time; the others wait in arrival order. A
 * waiter that is not served within its busy timeout gives up with OperationalError `BUSY`.
 *
 * Group commit: a waiter may carry a join key and an item. The holder that got the queue with
 * that key may take the waiters right behind it that carry the same key (takeJoined), in order,
 * and run their items in its own commit; their acquire resolves with null instead of the queue.
 * Only waiters directly behind the holder are taken, so nothing overtakes anything queued before.
 */
import { OperationalError } from '../errors';

/** Give the queue back; calling it twice is harmless. */
export type Release = () => void;

interface Waiter {
  /** The queue, or null: the holder took this waiter's item into its group (takeJoined). */
  grant(release: Release | null): void;
  joinKey?: unknown;
  item?: unknown;
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
    return this.wait(timeoutMs, undefined, undefined) as Promise<Release>;
  }

  /**
   * acquire(), or null once a holder with the same `key` took `item` into its group: the holder
   * then settles whatever `item` stands for.
   */
  acquireJoinable(timeoutMs: number, key: unknown, item: unknown): Promise<Release | null> {
    return this.wait(timeoutMs, key, item);
  }

  /** The holder's group: the items of the waiters right behind it with `key` (at most `max`), in order. */
  takeJoined<T>(key: unknown, max: number): T[] {
    const items: T[] = [];
    while (items.length < max && this.waiters.length > 0 && this.waiters[0].joinKey === key) {
      const waiter = this.waiters.shift() as Waiter;
      items.push(waiter.item as T);
      waiter.grant(null);
    }
    return items;
  }

  private wait(timeoutMs: number, joinKey: unknown, item: unknown): Promise<Release | null> {
    if (!this.held && this.waiters.length === 0) {
      this.held = true;
      return Promise.resolve(this.releaser());
    }
    return new Promise<Release | null>((resolve, reject) => {
      let timer: NodeJS.Timeout | null = null;
      const waiter: Waiter = {
        grant: (release) => {
          if (timer) clearTimeout(timer);
          resolve(release);
        },
      };
      if (joinKey !== undefined) {
        waiter.joinKey = joinKey;
        waiter.item = item;
      }
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
