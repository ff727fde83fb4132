/**
 * The shared-memory fast path between the main thread and one engine worker, for a request sent
 * while nothing else is in flight on that worker (a point get awaited one at a time). The main
 * thread writes the request (codec.ts) into a SharedArrayBuffer and wakes the worker with
 * Atomics.notify; the worker, parked in Atomics.wait whenever it has nothing to do, runs it and
 * writes the reply back; the main thread awaits it with Atomics.waitAsync. That skips the
 * MessagePort machinery, which costs more than the engine's own work for a point get (docs/async.md,
 * "Measurements"). Everything else — several requests in flight, large or unencodable values,
 * traced requests — still travels by postMessage.
 *
 * A parked worker does not run its event loop, so posted messages would wait: the main thread
 * counts every message it posts (POSTED) and rings the bell; the worker leaves the park whenever
 * it has received fewer messages than were posted, and parks again once it has handled them.
 * Idle, the worker sleeps in Atomics.wait (no CPU); terminate() still stops it.
 */
import type { Reply, WireError } from './protocol';
import { Decoder, Encoder } from './codec';
import { pollUntilChanged } from './spin';

/** Control words (Int32 slots) at the start of the buffer. */
const BELL = 0; // bumped by the main thread for anything the worker must look at
const POSTED = 1; // messages the main thread posted to the worker
const REQUEST = 2; // sequence number of the last request written
const REPLY = 3; // sequence number of the last reply written (-1: the channel is abandoned)
const STATUS = 4; // what the last reply is
const SPIN = 5; // how long the worker polls for the next request before sleeping (µs, spin.ts)
const SPIN_STATS = 6; // the worker's polls: caught, missed (2 slots; tests and bench)

const OK = 1;
const FAILED = 2;
/** The reply went by postMessage (too large, or not encodable): the message settles the request. */
const BY_PORT = 3;

/** Node 20 has Atomics.waitAsync; the TypeScript lib this project targets does not declare it yet. */
const waitAsync = (
  Atomics as unknown as {
    waitAsync(
      a: Int32Array,
      index: number,
      value: number,
    ): { async: false; value: string } | { async: true; value: Promise<string> };
  }
).waitAsync;

const HEADER_BYTES = 64;
/** Room for one request or reply; a larger one goes by postMessage. */
export const CHANNEL_BYTES = 256 * 1024;

export interface FastRequest {
  id: number;
  op: string;
  args: unknown[];
  /** Date.now() after which the statement is interrupted (0: none). */
  deadline: number;
}

/** What the main thread reads back: the outcome, or null when the reply travels by postMessage. */
export type FastReply = { ok: true; value: unknown } | { ok: false; error: WireError } | null;

/** The main thread's end of a channel (one per worker thread). */
export class MainChannel {
  readonly buffer = new SharedArrayBuffer(HEADER_BYTES + CHANNEL_BYTES);
  private readonly ctl = new Int32Array(this.buffer, 0, HEADER_BYTES / 4);
  private readonly data = Buffer.from(this.buffer, HEADER_BYTES);
  private readonly encoder = new Encoder(this.data);
  private readonly decoder = new Decoder(this.data);
  private seq = 0;
  /** A request is in flight on the channel (its reply not read yet). */
  busy = false;

  /** How long the worker polls for the next request before it sleeps (µs; 0: it sleeps at once). */
  get workerSpinUs(): number {
    return Atomics.load(this.ctl, SPIN);
  }

  set workerSpinUs(us: number) {
    Atomics.store(this.ctl, SPIN, us);
  }

  /** Write `req` and wake the worker; false (nothing sent) when it does not fit or cannot be encoded. */
  send(req: FastRequest): boolean {
    const enc = this.encoder;
    enc.pos = 0;
    if (!enc.float(req.id) || !enc.float(req.deadline) || !enc.value(req.op) || !enc.value(req.args))
      return false;
    this.busy = true;
    Atomics.store(this.ctl, REQUEST, ++this.seq);
    this.ring();
    return true;
  }

  /**
   * Wait for the worker to answer the request send() wrote (or for abandon()); null when it
   * already has. The promise may also resolve early — a notify the worker issued for the previous
   * reply can land after this wait began — so check answered() and wait again.
   */
  replied(): Promise<string> | null {
    const wait = waitAsync(this.ctl, REPLY, this.seq - 1);
    return wait.async ? wait.value : null;
  }

  /** @internal Tests and bench: the worker's polls for the next request (spin.ts). */
  get workerSpinStats(): { caught: number; missed: number } {
    return { caught: Atomics.load(this.ctl, SPIN_STATS), missed: Atomics.load(this.ctl, SPIN_STATS + 1) };
  }

  /** Busy-wait up to `us` microseconds for the reply to the last request (spin.ts): µs waited, -1 if none came. */
  poll(us: number): number {
    return pollUntilChanged(this.ctl, REPLY, this.seq - 1, us);
  }

  /** Whether the reply to the last request is there (or the channel was abandoned). */
  get answered(): boolean {
    return Atomics.load(this.ctl, REPLY) !== this.seq - 1;
  }

  /** After replied(): the reply, or null when it travels by postMessage or the channel was abandoned. */
  reply(): FastReply {
    this.busy = false;
    if (Atomics.load(this.ctl, REPLY) !== this.seq) return null;
    const status = Atomics.load(this.ctl, STATUS);
    if (status === BY_PORT) return null;
    this.decoder.pos = 0;
    const v = this.decoder.value();
    return status === OK ? { ok: true, value: v } : { ok: false, error: v as WireError };
  }

  /** A message was posted to the worker: a parked worker must go and receive it. */
  posted(): void {
    Atomics.add(this.ctl, POSTED, 1);
    this.ring();
  }

  /** The worker is gone: release a replied() still waiting. */
  abandon(): void {
    Atomics.store(this.ctl, REPLY, -1);
    Atomics.notify(this.ctl, REPLY);
  }

  private ring(): void {
    Atomics.add(this.ctl, BELL, 1);
    Atomics.notify(this.ctl, BELL);
  }
}

/** The worker's end. */
export class WorkerChannel {
  private readonly ctl: Int32Array;
  private readonly data: Buffer;
  private readonly encoder: Encoder;
  private readonly decoder: Decoder;
  /** Messages received by postMessage so far. */
  private received = 0;
  private served = 0;

  constructor(buffer: SharedArrayBuffer) {
    this.ctl = new Int32Array(buffer, 0, HEADER_BYTES / 4);
    this.data = Buffer.from(buffer, HEADER_BYTES);
    this.encoder = new Encoder(this.data);
    this.decoder = new Decoder(this.data);
  }

  /** Count a message that arrived by postMessage. */
  countMessage(): void {
    this.received++;
  }

  /**
   * Sleep until there is work; serve the requests written to the channel, and return as soon as a
   * posted message is waiting (the event loop delivers it). `run` answers a request, or returns
   * null when it sent the reply by postMessage itself; `post` sends a reply that does not fit.
   */
  park(run: (req: FastRequest) => Reply | null, post: (reply: Reply) => void): void {
    const ctl = this.ctl;
    for (;;) {
      const bell = Atomics.load(ctl, BELL);
      // A request written to the channel runs before any posted message: the main thread writes
      // one only while nothing else is in flight on this worker, so a message waiting beside it
      // was posted after it (a thread asleep when both arrived ran the message first, out of the
      // order the caller issued them in).
      if (this.serveWaiting(run, post)) continue;
      // Only a message posted and not yet received sends the thread back to its event loop. The
      // main thread counts a message after posting it, so the event loop may have delivered it
      // before the count went up (received ahead of POSTED): leaving the park then would leave it
      // for good — nothing would park the thread again, and the next fast request would wait
      // forever. Stay; the count catches up with a ring of the bell.
      if (((Atomics.load(ctl, POSTED) - this.received) | 0) > 0) return;
      // While calls come one right after another the main thread asks for a short poll before
      // sleeping (spin.ts): the next request comes sooner than a sleeping thread would wake.
      const us = Atomics.load(ctl, SPIN);
      if (us > 0) {
        const waited = pollUntilChanged(ctl, BELL, bell, us);
        this.publishSpinStats(waited >= 0 ? 0 : 1);
        if (waited >= 0) continue;
      }
      Atomics.wait(ctl, BELL, bell);
    }
  }

  /**
   * Serve the request written to the channel, if one is waiting; true when one was. The worker
   * also calls this before it runs a posted message: a request waiting in the channel then was
   * written before that message was posted (see park), so it runs first.
   */
  serveWaiting(run: (req: FastRequest) => Reply | null, post: (reply: Reply) => void): boolean {
    const ctl = this.ctl;
    const seq = Atomics.load(ctl, REQUEST);
    if (seq === this.served) return false;
    this.served = seq;
    const reply = run(this.read());
    let status = BY_PORT;
    if (reply) {
      status = this.write(reply);
      if (status === BY_PORT) post(reply);
    }
    Atomics.store(ctl, STATUS, status);
    Atomics.store(ctl, REPLY, seq);
    Atomics.notify(ctl, REPLY);
    return true;
  }

  private publishSpinStats(which: 0 | 1): void {
    this.ctl[SPIN_STATS + which]++;
  }

  private read(): FastRequest {
    const dec = this.decoder;
    dec.pos = 0;
    const id = dec.float();
    const deadline = dec.float();
    const op = dec.value() as string;
    const args = dec.value() as unknown[];
    return { id, op, args, deadline };
  }

  private write(reply: Reply): number {
    // Traces are rare (only while someone subscribes): they take the ordinary path.
    if (reply.trace) return BY_PORT;
    const enc = this.encoder;
    enc.pos = 0;
    if (reply.ok) return enc.value(reply.value) ? OK : BY_PORT;
    return enc.value(reply.error) ? FAILED : BY_PORT;
  }
}
