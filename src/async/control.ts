/**
 * What the caller of a statement can stop: the requests it has in flight (cursor.cancel(),
 * conn.interrupt(), an AbortSignal) and the time limit of each (timeoutMs). Stopping sets the
 * worker's shared interrupt slot; the running statement notices within about a thousand rows and
 * fails with OperationalError INTERRUPTED (a write is rolled back to its savepoint).
 */
import { OperationalError } from '../errors';
import type { TraceSink, WorkerHost } from './host';
import type { QueryTraceContext } from '../../storage/trace';
import { absorb } from './trace';

export class StatementControl {
  /** Time limit of each engine call of the statement, in ms; 0 for none. */
  timeoutMs = 0;
  private signal: AbortSignal | null = null;
  private readonly onAbort = (): void => this.interrupt();
  private readonly inflight = new Set<{ host: WorkerHost; id: number }>();
  /** The main-thread trace of the statement (src/async/trace.ts); null when nobody listens. */
  trace: QueryTraceContext | null = null;
  private readonly sink: TraceSink = (q) => {
    if (this.trace) absorb(this.trace, q);
  };

  /** Follow `signal` (until the next watch() or release()); throws at once when it already fired. */
  watch(signal: AbortSignal | undefined): void {
    this.release();
    if (!signal) return;
    if (signal.aborted) throw interrupted();
    this.signal = signal;
    signal.addEventListener('abort', this.onAbort, { once: true });
  }

  release(): void {
    this.signal?.removeEventListener('abort', this.onAbort);
    this.signal = null;
  }

  /** Set by stop(): every later request of the statement fails at once. */
  private stopped = false;

  /** Throws INTERRUPTED when the followed signal fired or stop() was called (checked before each request is sent). */
  assertLive(): void {
    if (this.stopped || this.signal?.aborted) throw interrupted();
  }

  /**
   * interrupt(), and the statement's later requests (the next batch of an iteration) fail too:
   * what AsyncDatabase.interrupt() does to a query it catches between two batches.
   */
  stop(): void {
    this.stopped = true;
    this.interrupt();
  }

  get deadline(): number {
    return this.timeoutMs > 0 ? Date.now() + this.timeoutMs : 0;
  }

  /** Send `op` on `host`, tracked so interrupt() can reach it. */
  send<T>(host: WorkerHost, op: string, args: unknown[]): Promise<T> {
    this.assertLive();
    const { id, result } = host.request<T>(op, args, this.deadline, this.trace ? this.sink : undefined);
    const entry = { host, id };
    this.inflight.add(entry);
    const done = (): void => void this.inflight.delete(entry);
    result.then(done, done);
    return result;
  }

  /**
   * Bumped by interrupt(): a fetch that spans several requests (batches) compares it before each
   * one, so a cancel caught between two batches stops the fetch too, not only the request that
   * happened to be running.
   */
  interrupts = 0;

  /** Interrupt every request of this statement that is still running. */
  interrupt(): void {
    this.interrupts++;
    for (const { host, id } of this.inflight) host.interrupt(id);
  }
}

export function interrupted(): OperationalError {
  return new OperationalError('statement interrupted', 'INTERRUPTED');
}
