/**
 * One engine worker thread seen from the main thread: numbered requests, replies matched to
 * their promises, errors rebuilt as the same classes. When the thread dies every request in
 * flight rejects with OperationalError `WORKER_EXITED`; the next request starts a fresh thread
 * (a new `generation`), on which handles are reopened lazily (see `ensureOpen`). The thread is
 * referenced only while requests are in flight, so an idle pool never keeps the process alive.
 */
import * as nodePath from 'node:path';
import { Worker } from 'node:worker_threads';
import { DataError, OperationalError } from '../errors';
import { fromWireError } from './protocol';
import type { Reply, Request, WorkerTrace } from './protocol';
import { MainChannel } from './channel';
import { SpinControl, TurnBudget } from './spin';
import type { OpenSpec } from './worker';
import { republish, tracing } from './trace';

/** Receives what the worker reported of the statement a request ran (only while tracing). */
export type TraceSink = (query: NonNullable<WorkerTrace['query']>) => void;

/**
 * Requests that may take the shared-memory fast path (channel.ts): the per-statement ones. Not
 * `open` (it may carry snapshot bytes), `close`, or the test hook `crash` (it needs the worker's
 * event loop to run, which a parked worker does not).
 */
const FAST_OPS = new Set([
  'exec',
  'execMany',
  'fetch',
  'closeCursor',
  'db',
  'dbGroup',
  'query',
  'queryOpen',
  'queryRows',
  'begin',
  'commit',
  'rollback',
  'savepoint',
  'rollbackTo',
  'dropSavepoint',
  'connCommit',
  'connRollback',
  'inTransaction',
  'spin',
]);

/** The main thread's budget for polling in one macrotask (spin.ts), whichever worker answers. */
const turn = new TurnBudget();

interface Pending {
  /** Sent through the shared-memory channel. */
  fast?: true;
  resolve(value: unknown): void;
  reject(err: Error): void;
  sink?: TraceSink;
}

/** The compiled worker: beside this file in dist/, or dist/'s copy when running from sources (ts-jest). */
function workerFile(): string {
  if (__filename.endsWith('.ts'))
    return nodePath.join(__dirname, '..', '..', 'dist', 'src', 'async', 'worker.js');
  return nodePath.join(__dirname, 'worker.js');
}

export class WorkerHost {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  /** Bumped when a thread starts and when it exits; handles and result sets belong to one generation. */
  generation = 0;
  /** Handles opened on the current thread. */
  private opened = new Map<number, Promise<unknown>>();
  /** Those of them whose open has finished. */
  private ready = new Set<number>();
  private closing = false;
  /** Requests of the current tick, sent together by flush(). */
  private outbox: Request[] = [];
  /** Called (once per death) when the thread exits while it was not being closed. */
  onDeath: ((host: WorkerHost, error: Error) => void) | null = null;
  /**
   * Shared with the thread: slot 0 holds the id of a request to interrupt. The thread polls it
   * while a statement runs (planner/interrupt.ts), so a cancel reaches a thread that is busy.
   */
  private readonly interrupts = new Int32Array(new SharedArrayBuffer(4));
  /** @internal The current thread's shared-memory channel (a fresh one per thread); read by tests and the bench. */
  channel: MainChannel | null = null;
  /** @internal Tests: how requests travelled (fast: the shared-memory channel; posted: messages sent; replies that came back by message instead). */
  readonly stats = { fast: 0, posted: 0, fastRepliedByPort: 0 };
  /** @internal Polling on both ends of the current thread's channel (spin.ts); tests may replace it. */
  spin: SpinControl | null = null;
  /** Requests sent and not yet answered: a cheap load figure for picking a reader. */
  get load(): number {
    return this.pending.size;
  }

  constructor(
    readonly name: string,
    /** The pool's change counter (src/async/changes.ts), and whether this thread is the one that bumps it. */
    private readonly changes: Int32Array | null = null,
    private readonly bumps = false,
  ) {}

  private start(): Worker {
    const channel = new MainChannel();
    const worker = new Worker(workerFile(), {
      name: this.name,
      workerData: {
        interrupts: this.interrupts,
        channel: channel.buffer,
        changes: this.changes,
        bumps: this.bumps,
      },
    });
    this.channel = channel;
    this.spin = new SpinControl((us) => (channel.workerSpinUs = us));
    this.generation++;
    this.opened = new Map();
    this.ready = new Set();
    worker.unref();
    let died: Error | null = null;
    const settle = (reply: Reply): void => {
      if (this.pending.get(reply.id)?.fast) this.stats.fastRepliedByPort++;
      this.settle(worker, reply);
    };
    worker.on('message', (msg: Reply | Reply[]) => {
      if (Array.isArray(msg)) msg.forEach(settle);
      else settle(msg);
    });
    worker.on('error', (err) => {
      died = err;
    });
    worker.on('exit', (code) => {
      if (this.worker === worker) this.worker = null;
      if (this.channel === channel) this.channel = null;
      channel.abandon();
      // What the dead thread held (handles, result sets, a transaction) is gone from now on.
      this.generation++;
      this.opened = new Map();
      this.ready = new Set();
      const why = died ? `: ${died.message}` : ` (exit code ${code})`;
      const err = new OperationalError(`the engine worker ${this.name} stopped${why}`, 'WORKER_EXITED', {
        cause: died ?? undefined,
      });
      const inFlight = [...this.pending.values()];
      this.pending.clear();
      for (const p of inFlight) p.reject(err);
      if (!this.closing) this.onDeath?.(this, err);
    });
    this.worker = worker;
    return worker;
  }

  private settle(worker: Worker, reply: Reply): void {
    const p = this.pending.get(reply.id);
    if (!p) return;
    this.pending.delete(reply.id);
    if (this.pending.size === 0) worker.unref();
    if (reply.trace) {
      if (reply.trace.query && p.sink) p.sink(reply.trace.query);
      if (reply.trace.events) republish(reply.trace.events);
    }
    if (reply.ok) p.resolve(reply.value);
    else p.reject(fromWireError(reply.error));
  }

  /** Send one request; starts the thread if it is not running. */
  call<T>(op: string, ...args: unknown[]): Promise<T> {
    return this.request<T>(op, args).result;
  }

  /** Interrupt request `id` if it is still running a statement (OperationalError INTERRUPTED). */
  interrupt(id: number): void {
    Atomics.store(this.interrupts, 0, id);
  }

  /**
   * Send one request and say which id it got (for interrupt); `deadline` bounds its statement,
   * `sink` receives the worker's report of it when tracing.
   */
  request<T>(
    op: string,
    args: unknown[],
    deadline = 0,
    sink?: TraceSink,
  ): { id: number; result: Promise<T> } {
    const worker = this.worker ?? this.start();
    const id = this.nextId++;
    const result = new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, sink });
      if (this.pending.size === 1) worker.ref();
      const req: Request = deadline > 0 ? { id, op, args, deadline } : { id, op, args };
      if (tracing()) req.trace = true;
      this.outbox.push(req);
      // Requests issued in the same tick travel as one message (one wake-up of the thread).
      if (this.outbox.length === 1) queueMicrotask(() => this.flush(worker));
    });
    return { id, result };
  }

  private flush(worker: Worker): void {
    const batch = this.outbox;
    this.outbox = [];
    if (batch.length === 1 && this.pending.size === 1 && this.sendFast(worker, batch[0])) return;
    const channel = this.channel;
    try {
      worker.postMessage(batch.length === 1 ? batch[0] : batch);
      this.posted(channel);
    } catch {
      // DataCloneError: some parameter structured cloning cannot carry (a function, a symbol).
      // Send one by one so only the request it belongs to fails.
      for (const req of batch) {
        try {
          worker.postMessage(req);
          this.posted(channel);
        } catch (err) {
          const p = this.pending.get(req.id);
          this.pending.delete(req.id);
          if (this.pending.size === 0) worker.unref();
          p?.reject(
            new DataError(
              `value cannot be passed to the engine worker: ${(err as Error).message}`,
              'TYPE_MISMATCH',
            ),
          );
        }
      }
    }
  }

  /** A message went to the worker: tell the channel, so a parked worker goes to receive it. */
  private posted(channel: MainChannel | null): void {
    this.stats.posted++;
    // A thread that died (and was replaced) meanwhile has nothing to receive.
    if (channel && channel === this.channel) channel.posted();
  }

  /**
   * The lone request in flight on this worker goes through shared memory when it can: a
   * per-statement op, not traced, values the codec carries, small enough. False: post it.
   */
  private sendFast(worker: Worker, req: Request): boolean {
    const channel = this.channel;
    if (!channel || worker !== this.worker || channel.busy || req.trace || !FAST_OPS.has(req.op))
      return false;
    if (!channel.send({ id: req.id, op: req.op, args: req.args, deadline: req.deadline ?? 0 })) return false;
    this.stats.fast++;
    const p = this.pending.get(req.id);
    if (p) p.fast = true;
    const spin = this.spin;
    const done = (): void => {
      const reply = channel.reply();
      spin?.replied(performance.now());
      // Abandoned (the thread died: its exit rejected the request), or the reply was posted.
      if (!reply) return;
      this.settle(
        worker,
        reply.ok
          ? { id: req.id, ok: true, value: reply.value }
          : { id: req.id, ok: false, error: reply.error },
      );
    };
    const wait = (): void => {
      const waiting = channel.replied();
      if (waiting) void waiting.then(() => (channel.answered ? done() : wait()));
      else if (turn.open(performance.now())) queueMicrotask(done);
      // This task ran long enough: let the event loop run before the caller continues.
      else setImmediate(done);
    };
    // A short request is answered within microseconds: poll for it (bounded, spin.ts) and settle
    // it in this task rather than sleep until the event loop wakes up.
    const now = performance.now();
    const us = spin ? spin.sending(now) : 0;
    if (us > 0 && turn.open(now)) {
      const waited = channel.poll(us);
      spin?.polled(waited);
      if (waited >= 0) {
        done();
        return true;
      }
    }
    wait();
    return true;
  }

  /**
   * Open handle `h` on the current thread unless it is already open there; resolves when it is.
   * Requests sent after this one are ordered after it, so callers may pipeline.
   */
  ensureOpen(h: number, spec: OpenSpec): Promise<unknown> {
    if (!this.worker) this.start();
    let p = this.opened.get(h);
    if (!p) {
      const opening = this.call('open', h, spec);
      p = opening;
      // A failed open is retried by the next request rather than remembered.
      opening.then(
        () => {
          if (this.opened.get(h) === opening) this.ready.add(h);
        },
        () => this.opened.delete(h),
      );
      this.opened.set(h, p);
    }
    return p;
  }

  isOpen(h: number): boolean {
    return this.opened.has(h);
  }

  /** @internal Tests (pool.readersSettled): the opens begun on the current thread, finished or not. */
  opening(): Promise<unknown>[] {
    return [...this.opened.values()];
  }

  /** Whether handle `h` is open on the current thread and its open has finished. */
  isReady(h: number): boolean {
    return this.ready.has(h);
  }

  forget(h: number): void {
    this.opened.delete(h);
    this.ready.delete(h);
  }

  get running(): boolean {
    return this.worker !== null;
  }

  /** Stop the thread; requests still in flight reject (WORKER_EXITED is not reported as a death). */
  async close(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    this.closing = true;
    try {
      await worker.terminate();
    } finally {
      this.closing = false;
      if (this.worker === worker) this.worker = null;
    }
  }

  /** @internal Tests: kill the thread abruptly, as a crash would. */
  async kill(): Promise<void> {
    const worker = this.worker;
    if (worker) await worker.terminate();
  }
}
