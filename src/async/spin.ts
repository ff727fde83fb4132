/**
 * Bounded busy-waiting for the shared-memory fast path (channel.ts). A thread asleep in
 * Atomics.wait, or a main thread asleep in its event loop until Atomics.waitAsync resolves,
 * takes from a few to over a hundred microseconds to wake (most on an idle virtual machine,
 * whose vCPUs halt when idle) — more than a point get costs. So while calls come one right after
 * another, both sides poll the shared words for a short time before they sleep:
 *
 * - the worker, after each reply, polls its bell for up to WORKER_SPIN_US: a caller awaiting one
 *   call at a time sends the next request within that time;
 * - the main thread, after sending a request, polls the reply slot for up to MAIN_POLL_US and
 *   settles the call at once when the reply came. This blocks the event loop, so it is bounded
 *   three ways: per request (MAIN_POLL_US), per macrotask (no polling once the current task has
 *   run MAIN_TURN_MS since the fast path first polled in it: replies then go through the event
 *   loop, and timers and I/O get their turn), and by stopping while polls do not pay.
 *
 * The main thread decides for both sides (SpinControl, one per worker): polling pays while its
 * polls catch replies and the next request leaves within the worker's polling time. When either
 * keeps failing — long statements, calls far apart, or a machine so busy that the other thread
 * is not running to answer — it tells the worker to sleep at once and stops polling itself, but
 * probes one request in PROBE_EVERY (the worker polls after it, the main thread polls for it up
 * to PROBE_POLL_US, long enough to cover a wake-up), which finds the next burst of short calls;
 * probes that fail come less often (down to one in PROBE_EVERY_MAX).
 */

/** How long the worker polls for the next request before it sleeps (µs). */
export const WORKER_SPIN_US = 50;
/** How long the main thread polls for a reply before it yields to the event loop (µs). */
export const MAIN_POLL_US = 25;
/** How long the main thread polls for the reply to a probe (µs). */
export const PROBE_POLL_US = 100;
/** Once a macrotask has run this long since the fast path first polled in it, no more polling in it (ms). */
export const MAIN_TURN_MS = 1;
/** A failure costs MISS_COST, a success earns one back: polling stops past one failure in about five. */
const MISS_COST = 4;
/** Polling stops at this score (four failures in a row)... */
const REST_SCORE = 4 * MISS_COST;
/** ...and a probe that succeeds brings it back just under, to polling on trial. */
const MAX_SCORE = REST_SCORE + 2 * MISS_COST;
/** Probes come one request in PROBE_EVERY, up to one in PROBE_EVERY_MAX after probes that failed. */
const PROBE_EVERY = 64;
const PROBE_EVERY_MAX = 512;
/** A probe succeeded when this many polls after it caught too. */
const TRIAL = 8;

/** The main thread's decisions about polling for one worker (see the module comment). */
export class SpinControl {
  private score = 0;
  private resting = 0;
  /** When the last reply was taken (performance.now()); -1 before the first. */
  private lastReply = -1;
  private probing = false;
  private probeEvery = PROBE_EVERY;
  /** Polls that caught since polling resumed after a probe (it counts as a success from TRIAL on). */
  private sinceProbe = TRIAL;
  /** @internal Tests and bench: the main thread's polls. */
  readonly stats = { caught: 0, missed: 0, probes: 0, rests: 0 };

  constructor(
    /** Tells the worker how long to poll for the next request (0: sleep at once). */
    private readonly setWorkerSpin: (us: number) => void,
    /** 0 turns polling off on both sides. */
    private readonly mainPollUs = MAIN_POLL_US,
    private readonly workerSpinUs = WORKER_SPIN_US,
  ) {
    setWorkerSpin(mainPollUs > 0 ? workerSpinUs : 0);
  }

  /** A request is being sent: how long to poll for its reply (µs; 0: do not). */
  sending(now: number): number {
    this.probing = false;
    if (this.mainPollUs <= 0) return 0;
    if (this.score < REST_SCORE) {
      // The worker polled for this request only that long after the last reply.
      if (this.lastReply >= 0 && (now - this.lastReply) * 1000 > this.workerSpinUs) this.failed();
      if (this.score < REST_SCORE) return this.mainPollUs;
    }
    if (++this.resting < this.probeEvery) return 0;
    this.resting = 0;
    this.stats.probes++;
    this.probing = true;
    this.setWorkerSpin(this.workerSpinUs);
    return Math.max(PROBE_POLL_US, this.mainPollUs);
  }

  /** What the poll for the reply saw: µs waited, or -1 when the reply did not come in time. */
  polled(waitedUs: number): void {
    if (waitedUs < 0) {
      this.stats.missed++;
      this.failed();
      return;
    }
    this.stats.caught++;
    if (this.probing) {
      this.score = REST_SCORE - 1;
      this.sinceProbe = 0;
    } else {
      if (this.score > 0) this.score--;
      if (++this.sinceProbe === TRIAL) this.probeEvery = PROBE_EVERY;
    }
  }

  /** A reply was taken (polled or not) at `now`. */
  replied(now: number): void {
    this.lastReply = now;
  }

  private failed(): void {
    const wasPolling = this.score < REST_SCORE;
    this.score = Math.min(this.score + MISS_COST, MAX_SCORE);
    if (this.score >= REST_SCORE && (wasPolling || this.probing)) {
      if (wasPolling) this.stats.rests++;
      // The probe that resumed polling did not lead to a run of short calls.
      if (this.probing || this.sinceProbe < TRIAL)
        this.probeEvery = Math.min(2 * this.probeEvery, PROBE_EVERY_MAX);
      this.setWorkerSpin(0);
    }
  }
}

/**
 * Poll `ctl[index]` until it differs from `value` or `us` microseconds passed: how long it
 * waited for the change (µs, about), or -1 when it did not come. Reads the clock once every few
 * loads to keep the loop tight.
 */
export function pollUntilChanged(ctl: Int32Array, index: number, value: number, us: number): number {
  if (Atomics.load(ctl, index) !== value) return 0;
  const start = performance.now();
  const end = start + us / 1000;
  for (;;) {
    for (let i = 0; i < 64; i++)
      if (Atomics.load(ctl, index) !== value) return (performance.now() - start) * 1000;
    const now = performance.now();
    if (now >= end) return Atomics.load(ctl, index) !== value ? (now - start) * 1000 : -1;
  }
}

/**
 * The main thread's macrotask budget: polling (and settling a reply inside the task that sent
 * its request) stops once the current macrotask has spent MAIN_TURN_MS since the fast path
 * first looked at the clock in it. A setImmediate marks the end of the task.
 */
export class TurnBudget {
  private start = -1;
  private readonly reset = (): void => {
    this.start = -1;
  };

  constructor(private readonly ms: number = MAIN_TURN_MS) {}

  /** Whether the current macrotask may still poll or settle a reply in place. */
  open(now: number): boolean {
    if (this.start < 0) {
      this.start = now;
      setImmediate(this.reset);
      return true;
    }
    return now - this.start < this.ms;
  }
}
