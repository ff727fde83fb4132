/**
 * Bounded polling on the shared-memory fast path (src/async/spin.ts): when the main thread and
 * the worker poll, when they stop, how they probe, and that polling never takes the event loop
 * away for longer than the macrotask budget. The decisions are tested with given clock values;
 * the integration tests count calls, polls and event-loop turns, never time.
 */
import { connectAsync, OperationalError } from '../../src/index';
import type { AsyncConnection } from '../../src/index';
import type { WorkerHost } from '../../src/async/host';
import { MAIN_POLL_US, PROBE_POLL_US, SpinControl, TurnBudget, WORKER_SPIN_US } from '../../src/async/spin';
import { tmpDir } from '../helpers/tmp';

const tmp = tmpDir('mv-async-spin-');
afterAll(() => tmp.cleanup());

/** A SpinControl with its worker setting recorded, driven with given times (ms, as performance.now()). */
function control(): { sc: SpinControl; worker: number[] } {
  const worker: number[] = [];
  const sc = new SpinControl((us) => worker.push(us));
  return { sc, worker };
}

/** One request answered after `waitedUs` (-1: not within the poll), sent `gapUs` after the last reply. */
function call(sc: SpinControl, t: { now: number }, gapUs: number, waitedUs: number): number {
  t.now += gapUs / 1000;
  const us = sc.sending(t.now);
  if (us > 0) sc.polled(waitedUs <= us ? waitedUs : -1);
  t.now += Math.max(waitedUs, 0) / 1000;
  sc.replied(t.now);
  return us;
}

describe('SpinControl', () => {
  test('calls that follow each other and are answered quickly keep both sides polling', () => {
    const { sc, worker } = control();
    expect(worker).toEqual([WORKER_SPIN_US]);
    const t = { now: 1000 };
    for (let i = 0; i < 1000; i++) expect(call(sc, t, 5, 3)).toBe(MAIN_POLL_US);
    expect(sc.stats).toEqual({ caught: 1000, missed: 0, probes: 0, rests: 0 });
    expect(worker).toEqual([WORKER_SPIN_US]);
  });

  test('polls that miss stop both sides; probes come every 64 requests, then less often while they fail', () => {
    const { sc, worker } = control();
    const t = { now: 1000 };
    let polled = 0;
    for (let i = 0; i < 4; i++) polled += call(sc, t, 5, 500) > 0 ? 1 : 0;
    expect(polled).toBe(4);
    expect(sc.stats.rests).toBe(1);
    expect(worker).toEqual([WORKER_SPIN_US, 0]);
    // Resting: the next 63 requests do not poll; the 64th is a probe with the longer poll.
    const polls: number[] = [];
    for (let i = 1; i <= 64 + 128 + 256 + 512 + 512; i++) {
      const us = call(sc, t, 5, 500);
      if (us > 0) polls.push(i);
      if (us > 0) expect(us).toBe(PROBE_POLL_US);
    }
    expect(polls).toEqual([64, 64 + 128, 64 + 128 + 256, 64 + 128 + 256 + 512, 64 + 128 + 256 + 512 + 512]);
    // Each probe turned the worker's polling on for its reply, and off again when it failed.
    expect(worker.slice(2)).toEqual(Array.from({ length: 5 }, () => [WORKER_SPIN_US, 0]).flat());
    expect(sc.stats.probes).toBe(5);
  });

  test('a probe that catches its reply brings polling back; calls far apart stop it again', () => {
    const { sc, worker } = control();
    const t = { now: 1000 };
    for (let i = 0; i < 4; i++) call(sc, t, 5, -1);
    let i = 0;
    while (call(sc, t, 5, 40) === 0) i++;
    expect(i).toBe(63);
    expect(worker.at(-1)).toBe(WORKER_SPIN_US);
    // On trial: quick calls keep it polling...
    for (let k = 0; k < 100; k++) expect(call(sc, t, 5, 3)).toBe(MAIN_POLL_US);
    expect(worker.at(-1)).toBe(WORKER_SPIN_US);
    // ...requests that come later than the worker polls count as failures: four stop it.
    // (each such request still polls, and its reply is caught: six of them stop it).
    for (let k = 0; k < 6; k++) call(sc, t, 10 * WORKER_SPIN_US, 3);
    expect(worker.at(-1)).toBe(0);
    expect(call(sc, t, 5, 3)).toBe(0);
  });

  test('a main poll of 0 turns polling off on both sides', () => {
    const worker: number[] = [];
    const sc = new SpinControl((us) => worker.push(us), 0);
    expect(worker).toEqual([0]);
    const t = { now: 0 };
    for (let i = 0; i < 200; i++) expect(call(sc, t, 5, 3)).toBe(0);
    expect(sc.stats).toEqual({ caught: 0, missed: 0, probes: 0, rests: 0 });
  });
});

test('TurnBudget closes after its time in one macrotask and opens again in the next', async () => {
  const budget = new TurnBudget(1);
  expect(budget.open(100)).toBe(true);
  expect(budget.open(100.9)).toBe(true);
  expect(budget.open(101.1)).toBe(false);
  await new Promise((r) => setImmediate(r));
  expect(budget.open(500)).toBe(true);
});

describe('on a real worker', () => {
  const GET = 'SELECT id, qty, note FROM items WHERE id = ?';
  const N = 1_000;
  /** Rows after the first N, for a scan long enough to cancel. */
  const BIG = 200_000;
  let conn: AsyncConnection;
  let host: WorkerHost;

  beforeAll(async () => {
    conn = await connectAsync(tmp.file(), { readers: 1 });
    await conn.execute('CREATE TABLE items (id INTEGER PRIMARY KEY, qty INTEGER, note TEXT)');
    await conn.executeMany(
      'INSERT INTO items VALUES (?, ?, ?)',
      Array.from({ length: N }, (_, i) => [i, i % 7, `note ${i}`]),
    );
    await conn.executeMany(
      'INSERT INTO items VALUES (?, ?, ?)',
      Array.from({ length: BIG - N }, (_, i) => [N + i, i % 7, `far ${i}`]),
    );
    await conn.commit();
    await (await conn.execute(GET, [0])).fetchOne();
    // That first read was the writer's while the reader thread started: wait for it.
    await conn._pool.readersSettled();
    host = conn._pool.hosts[1];
  });

  afterAll(async () => {
    await conn.close();
  });

  /** Replace the host's polling: `mainUs` for the main thread, `workerUs` for the worker. */
  function setPolling(mainUs: number, workerUs: number): SpinControl {
    const channel = host.channel;
    if (!channel) throw new Error('the reader thread is not running');
    const sc = new SpinControl((us) => (channel.workerSpinUs = us), mainUs, workerUs);
    host.spin = sc;
    return sc;
  }

  test('replies caught by polling settle in place, yet the event loop runs at least every macrotask budget', async () => {
    // Polls long enough to catch every reply: without the budget the whole loop would run in one
    // macrotask and no setImmediate could run until it ended.
    const sc = setPolling(5_000, 5_000);
    let turns = 0;
    let on = true;
    const turn = (): void => {
      turns++;
      if (on) setImmediate(turn);
    };
    setImmediate(turn);
    const { posted } = host.stats;
    try {
      for (let i = 0; i < 2_000; i++)
        expect(await (await conn.execute(GET, [i % N])).fetchOne()).toEqual([
          i % N,
          (i % N) % 7,
          `note ${i % N}`,
        ]);
    } finally {
      on = false;
      setPolling(0, 0);
    }
    expect(host.stats.posted).toBe(posted);
    expect(sc.stats.caught).toBeGreaterThan(0);
    // At most MAIN_TURN_MS (1 ms) of the loop runs in one macrotask.
    expect(turns).toBeGreaterThanOrEqual(5);
  });

  test('with polling off the worker sleeps between requests, and everything still works', async () => {
    setPolling(0, 0);
    // The worker may still be in a poll asked for before: this request ends it.
    await (await conn.execute(GET, [0])).fetchOne();
    const before = host.channel?.workerSpinStats;
    for (let i = 0; i < 200; i++)
      expect(await (await conn.execute(GET, [i])).fetchOne()).toEqual([i, i % 7, `note ${i}`]);
    expect(host.channel?.workerSpinStats).toEqual(before);
  });

  test('cancel() mid-result stops the fetch that is running; the connection goes on', async () => {
    setPolling(MAIN_POLL_US, WORKER_SPIN_US);
    // A fetch of many batches: cancel() stops the batch running, or the next one if it comes
    // between two (src/async/rows.ts).
    const cur = await conn.execute('SELECT id, note FROM items');
    expect(await cur.fetchMany(100)).toHaveLength(100);
    const rest = cur.fetchMany(150_000).catch((e: unknown) => e);
    while (host.load === 0) await new Promise((r) => setImmediate(r));
    cur.cancel();
    const err = await rest;
    expect(err).toBeInstanceOf(OperationalError);
    expect((err as OperationalError).code).toBe('INTERRUPTED');
    expect(await (await conn.execute(GET, [5])).fetchOne()).toEqual([5, 5, 'note 5']);
  });
});
