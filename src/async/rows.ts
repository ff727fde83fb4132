/**
 * A result set that lives in a worker, read from the main thread in batches: a fetch asks the
 * worker for just the rows it still needs (or a small read-ahead for one-row fetches), so
 * fetchMany(n) costs O(n) whatever the size of the result. Fetches of one result set run one
 * after another even when the caller does not await between them.
 */
import { Readable } from 'node:stream';
import { InterfaceError, OperationalError } from '../errors';
import type { WorkerHost } from './host';
import { restoreBuffers } from './protocol';
import type { Batch } from './protocol';
import { interrupted } from './control';
import type { StatementControl } from './control';

/** Most rows one fetch request brings back (docs/async.md "Measurements"). */
export const MAX_BATCH = 2048;

/** Resolves in a later macrotask: timers and I/O callbacks that are due run first. */
const nextTask = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A fetch whose result set was closed (cursor or connection close()) before it ended. */
function closedDuringFetch(): InterfaceError {
  return new InterfaceError('the result set was closed during the fetch', 'CLOSED');
}

export class RemoteRows {
  private buffer: unknown[];
  private head = 0;
  private done: boolean;
  private chain: Promise<unknown> = Promise.resolve();
  /** close() was called: a fetch still looping over batches fails instead of returning part of the rows. */
  private closed = false;
  /** Rows the worker sent so far (the traced `rows` of the statement). */
  received: number;
  /** Called after each batch arrives, whoever asked for it (fetches, iteration, stream()). */
  onBatch: (() => void) | null = null;

  constructor(
    private readonly host: WorkerHost,
    private readonly generation: number,
    private readonly id: number,
    first: Batch,
    /** Makes fetches interruptible and time-limited like the statement's execute. */
    private readonly ctl: StatementControl | null = null,
  ) {
    this.buffer = restoreBuffers(first.rows) as unknown[];
    this.done = first.done;
    this.received = first.rows.length;
  }

  /** True once the worker reported the end of the result (rows may still be buffered here). */
  get finished(): boolean {
    return this.done;
  }

  /** True once the worker reported the end and every buffered row was taken. */
  get exhausted(): boolean {
    return this.done && this.head >= this.buffer.length;
  }

  /**
   * Up to `want` rows (all that remain when negative); asks the worker for at least `ask` rows when
   * it has to ask. Fewer than `want` means the end was reached.
   */
  take(want: number, ask = want): Promise<unknown[]> {
    const next = this.chain.then(() => this.takeNow(want, ask));
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async takeNow(want: number, ask: number): Promise<unknown[]> {
    const interrupts = this.ctl?.interrupts ?? 0;
    // One request brings at most MAX_BATCH rows, and the worker cuts them at about BATCH_BYTES
    // (batch.ts), so the main thread never decodes a huge reply at once (event-loop lag stays
    // bounded); a larger take loops, batch by batch, and gives the event loop a turn before it
    // asks for a batch while it holds rows already (decoded by an earlier request of this take, or
    // buffered): a reply caught by polling (spin.ts) would otherwise be decoded in the task that
    // decoded the previous one, several batches to a task within the polling's budget.
    let batches = 0;
    for (;;) {
      const have = this.buffer.length - this.head;
      if (want >= 0 && have >= want) return this.slice(want);
      if (this.done) return this.slice(want < 0 ? have : want);
      if (batches++ > 0 || have > 0) {
        await nextTask();
        if (this.closed) throw closedDuringFetch();
      }
      if (this.closed) throw closedDuringFetch();
      if (this.host.generation !== this.generation)
        throw new OperationalError('the engine worker holding this result set stopped', 'WORKER_EXITED');
      // A cancel since this fetch began stops it, even when it came between two of its batches.
      if (this.ctl && this.ctl.interrupts !== interrupts) throw interrupted();
      const need = want < 0 ? MAX_BATCH : Math.min(MAX_BATCH, Math.max(want - have, ask - have));
      let batch: Batch;
      try {
        batch = this.ctl
          ? await this.ctl.send<Batch>(this.host, 'fetch', [this.id, need])
          : await this.host.call<Batch>('fetch', this.id, need);
      } catch (err) {
        // Closed while the request was out: whatever ended the request (the worker closing its
        // result set, or the pool stopping the worker), the caller's answer is CLOSED.
        if (this.closed) throw closedDuringFetch();
        throw err;
      }
      if (this.closed) throw closedDuringFetch();
      restoreBuffers(batch.rows);
      if (this.head > 0) {
        this.buffer = this.buffer.slice(this.head);
        this.head = 0;
      }
      if (this.buffer.length === 0) this.buffer = batch.rows;
      else for (const r of batch.rows) this.buffer.push(r);
      this.received += batch.rows.length;
      this.done = batch.done;
      this.onBatch?.();
    }
  }

  private slice(n: number): unknown[] {
    const end = Math.min(this.head + n, this.buffer.length);
    if (this.head === 0 && end === this.buffer.length) {
      // Everything buffered: hand the array over instead of copying it.
      const all = this.buffer;
      this.buffer = [];
      return all;
    }
    const out = this.buffer.slice(this.head, end);
    this.head = end;
    if (this.head === this.buffer.length) {
      this.buffer = [];
      this.head = 0;
    }
    return out;
  }

  /** Drop the worker-side result set (idempotent; harmless once exhausted). */
  close(): Promise<void> {
    this.closed = true;
    this.buffer = [];
    this.head = 0;
    if (this.done || this.host.generation !== this.generation) return Promise.resolve();
    this.done = true;
    return this.host.call<void>('closeCursor', this.id).catch(() => undefined);
  }

  /** Async iteration in batches of `batch` rows. */
  async *iterate(batch: number): AsyncGenerator<unknown, void, undefined> {
    try {
      for (;;) {
        const rows = await this.take(batch);
        for (const r of rows) yield r;
        if (rows.length < batch) return;
      }
    } finally {
      await this.close();
    }
  }

  /**
   * An object-mode Readable over the remaining rows. It asks for the next batch only when its
   * consumer drained the buffer below `highWaterMark`, so a slow consumer (an HTTP response)
   * holds back the worker instead of filling memory.
   */
  stream(highWaterMark = 256): Readable {
    const readable: Readable = new Readable({
      objectMode: true,
      highWaterMark,
      read: (size) => {
        const n = Math.max(1, size);
        this.take(n).then(
          (rows) => {
            for (const r of rows) readable.push(r);
            if (rows.length < n) readable.push(null);
          },
          (err: Error) => readable.destroy(err),
        );
      },
      destroy: (err, cb) => {
        this.close().then(
          () => cb(err),
          () => cb(err),
        );
      },
    });
    return readable;
  }
}
