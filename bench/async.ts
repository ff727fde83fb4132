/**
 * Async API bench (issue 14): how responsive the main thread stays while big statements run, and
 * what a round trip to the engine worker costs.
 *
 *   npm run bench:async [-- rows]      (default 1,000,000 rows; results in bench/results/async-*.json)
 *
 * 1. Event-loop lag (perf_hooks.monitorEventLoopDelay, p50/p99/max) while a sort of every row
 *    (ORDER BY a text column, drained with fetchMany(1000)) and a filtered full scan run — through
 *    the sync API, the async API, and better-sqlite3 driven by hand inside a worker thread (it has
 *    no async API of its own).
 * 2. Point get by primary key: sync call; async round trip awaited one at a time (cursor, and the
 *    typed get); async with 32 calls in flight; better-sqlite3 direct and through its worker; the
 *    floors of a worker round trip: a bare postMessage echo and an echo through the async API's
 *    shared-memory channel (src/async/channel.ts), sleeping between calls and polling
 *    (src/async/spin.ts).
 * 3. Concurrent point gets (32 in flight) and filtered full scans (4 in flight) with a reader
 *    pool of 1, 2 and 4 workers.
 * 4. Autocommit durable inserts from 1 and 32 concurrent clients (AsyncDatabase group commit) next
 *    to better-sqlite3's one-by-one durable commits.
 * 5. node-sqlite3 (the `sqlite3` package) on the same SQLite file when it is installed — not a
 *    dependency: `npm install --no-save sqlite3` first. The sort read with each() and all(), the
 *    scan, point gets one at a time and 32 in flight.
 */
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { Worker } from 'node:worker_threads';
import BetterSqlite3 from 'better-sqlite3';
import { AsyncDatabase, connect, connectAsync } from '../src/index';
import { MainChannel } from '../src/async/channel';
import { lagAt, timerLag } from './harness';

const N = Number(process.argv[2] ?? 1_000_000);
const SORT = 'SELECT id, note FROM items ORDER BY note';
const SCAN = 'SELECT count(*), sum(qty) FROM items WHERE qty % 7 = 3';
const GET = 'SELECT id, qty, note FROM items WHERE id = ?';

/**
 * A full garbage collection, run before each lag measurement: the setup (a million rows inserted
 * through the sync API on this thread) leaves hundreds of MB of garbage on the main heap, and
 * collecting it during a measurement would show up as lag that is the bench's, not the async API's.
 */
v8.setFlagsFromString('--expose-gc');
const collectGarbage = vm.runInNewContext('gc') as () => void;

interface Lag {
  ms: number;
  p50: number;
  p99: number;
  max: number;
}

/**
 * Run `work` while a 1 ms timer measures how late it fires (its lag): the time the main thread
 * could not answer anything. A sync statement shows up as one lag as long as the statement.
 */
async function withLag(work: () => Promise<void> | void): Promise<Lag> {
  collectGarbage();
  const { ms, lags } = await timerLag(work);
  const at = (q: number): number => lagAt(lags, q, 2);
  return { ms: Math.round(ms), p50: at(0.5), p99: at(0.99), max: at(1) };
}

/** better-sqlite3 inside a worker thread, driven by hand: the peer a user would write. */
const PEER_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
const db = new Database(workerData.file, { readonly: true });
const iters = new Map();
parentPort.on('message', ({ id, op, sql, params, n, it }) => {
  try {
    if (op === 'echo') return parentPort.postMessage({ id });
    if (op === 'get') return parentPort.postMessage({ id, value: db.prepare(sql).get(...params) });
    if (op === 'open') { iters.set(it, db.prepare(sql).iterate(...params)); return parentPort.postMessage({ id }); }
    if (op === 'next') {
      const iter = iters.get(it); const rows = [];
      while (rows.length < n) { const r = iter.next(); if (r.done) { iters.delete(it); break; } rows.push(r.value); }
      return parentPort.postMessage({ id, value: rows });
    }
  } catch (err) { parentPort.postMessage({ id, error: String(err) }); }
});`;

class PeerWorker {
  private readonly worker: Worker;
  private next = 1;
  private readonly pending = new Map<number, (v: unknown) => void>();
  constructor(file: string) {
    this.worker = new Worker(PEER_WORKER, {
      eval: true,
      workerData: { file, module: require.resolve('better-sqlite3') },
    });
    this.worker.on('message', (m: { id: number; value?: unknown; error?: string }) => {
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (m.error) throw new Error(m.error);
      p?.(m.value);
    });
  }
  call(msg: Record<string, unknown>): Promise<unknown> {
    const id = this.next++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.worker.postMessage({ ...msg, id });
    });
  }
  async drain(sql: string, params: unknown[] = []): Promise<number> {
    const it = this.next++;
    await this.call({ op: 'open', sql, params, it });
    let total = 0;
    for (;;) {
      const rows = (await this.call({ op: 'next', it, n: 1000 })) as unknown[];
      total += rows.length;
      if (rows.length < 1000) return total;
    }
  }
  close(): Promise<number> {
    return this.worker.terminate();
  }
}

/** The part of node-sqlite3's (`sqlite3` package) callback API this bench drives. */
interface NodeSqlite3Db {
  get(sql: string, params: unknown[], cb: (err: Error | null, row: unknown) => void): void;
  each(
    sql: string,
    params: unknown[],
    row: (err: Error | null, row: unknown) => void,
    done: (err: Error | null, count: number) => void,
  ): void;
  all(sql: string, params: unknown[], cb: (err: Error | null, rows: unknown[]) => void): void;
  close(cb: (err: Error | null) => void): void;
}

/**
 * node-sqlite3, the asynchronous SQLite driver most Node users know (its statements run on
 * libuv's thread pool, rows are made on the main thread), when it is installed. It is not a
 * dependency (its install fetches or compiles a native addon): `npm install --no-save sqlite3`
 * adds it for a run of this bench.
 */
class NodeSqlite3 {
  private constructor(private readonly db: NodeSqlite3Db) {}

  static async open(file: string): Promise<NodeSqlite3 | null> {
    let mod: {
      Database: new (file: string, mode: number, cb: (err: Error | null) => void) => NodeSqlite3Db;
      OPEN_READONLY: number;
    };
    try {
      mod = createRequire(__filename)('sqlite3') as typeof mod;
    } catch {
      return null;
    }
    return new Promise((resolve, reject) => {
      const db = new mod.Database(file, mod.OPEN_READONLY, (err) =>
        err ? reject(err) : resolve(new NodeSqlite3(db)),
      );
    });
  }

  get(sql: string, params: unknown[]): Promise<unknown> {
    return new Promise((resolve, reject) =>
      this.db.get(sql, params, (err, row) => (err ? reject(err) : resolve(row))),
    );
  }

  /** Every row through `each()`: one callback per row on the main thread, as a streaming user does. */
  each(sql: string): Promise<number> {
    return new Promise((resolve, reject) => {
      let rows = 0;
      this.db.each(
        sql,
        [],
        (err) => {
          if (!err) rows++;
        },
        (err) => (err ? reject(err) : resolve(rows)),
      );
    });
  }

  all(sql: string): Promise<unknown[]> {
    return new Promise((resolve, reject) =>
      this.db.all(sql, [], (err, rows) => (err ? reject(err) : resolve(rows))),
    );
  }

  close(): Promise<void> {
    return new Promise((resolve, reject) => this.db.close((err) => (err ? reject(err) : resolve())));
  }
}

/** The async API's shared-memory channel with a worker that answers every request at once. */
const CHANNEL_ECHO = `
const { workerData } = require('node:worker_threads');
const { WorkerChannel } = require(workerData.module);
const channel = new WorkerChannel(workerData.buffer);
setImmediate(() => channel.park((req) => ({ id: req.id, ok: true, value: null }), () => {}));`;

/** The polling of src/async/spin.ts, where the channel has it (a build before it has not). */
interface Polling {
  workerSpinUs?: number;
  poll?: (us: number) => number;
}

class ChannelEcho {
  private readonly channel = new MainChannel();
  private readonly worker = new Worker(CHANNEL_ECHO, {
    eval: true,
    workerData: { buffer: this.channel.buffer, module: require.resolve('../src/async/channel') },
  });
  private next = 1;

  /** `pollUs` > 0: both ends poll (the worker 50 µs for the next request, this thread `pollUs` for the reply). */
  constructor(private readonly pollUs = 0) {
    if (pollUs > 0) (this.channel as unknown as Polling).workerSpinUs = 50;
  }

  /** Whether this build's channel can poll. */
  static get polls(): boolean {
    return typeof (MainChannel.prototype as unknown as Polling).poll === 'function';
  }

  async call(): Promise<unknown> {
    if (!this.channel.send({ id: this.next++, op: 'echo', args: [], deadline: 0 })) throw new Error('echo');
    const poll = (this.channel as unknown as Polling).poll;
    if (this.pollUs > 0 && poll && poll.call(this.channel, this.pollUs) >= 0) return this.channel.reply();
    for (;;) {
      const waiting = this.channel.replied();
      if (waiting) await waiting;
      if (this.channel.answered) return this.channel.reply();
    }
  }
  close(): Promise<number> {
    return this.worker.terminate();
  }
}

/**
 * Calls per second and mean µs per call of `fn` run `count` times one after another, and the CPU
 * time per call of the whole process (every thread): on a shared machine wall time mostly
 * measures waiting to be scheduled, CPU time what the call costs.
 */
async function sequential(
  count: number,
  fn: (i: number) => unknown,
): Promise<{ perSec: number; usPerCall: number; cpuUsPerCall: number }> {
  // One untimed pass over the same calls: the figure is the per-call cost with the rows and index
  // pages already read (the sync lines run warm too), not the first reads of a cold worker, whose
  // page decodes would also keep the fast path's polling backed off (src/async/spin.ts).
  for (let i = 0; i < count; i++) await fn(i);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < count; i++) await fn(i);
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  return {
    perSec: Math.round((count / ms) * 1000),
    usPerCall: Math.round((ms * 1000) / count),
    cpuUsPerCall: Math.round((cpu.user + cpu.system) / count),
  };
}

/** Calls per second with `inFlight` concurrent loops for `ms`; `cpu` receives the CPU µs per call. */
async function concurrent(
  inFlight: number,
  ms: number,
  fn: (i: number) => Promise<unknown>,
  cpu?: (usPerCall: number) => void,
): Promise<number> {
  let done = 0;
  const c0 = process.cpuUsage();
  const end = performance.now() + ms;
  await Promise.all(
    Array.from({ length: inFlight }, async (_, k) => {
      for (let i = k; performance.now() < end; i += inFlight) {
        await fn(i);
        done++;
      }
    }),
  );
  const used = process.cpuUsage(c0);
  cpu?.(Math.round((used.user + used.system) / Math.max(1, done)));
  return Math.round((done / ms) * 1000);
}

function rid(i: number): number {
  return ((i * 2654435761) >>> 0) % N;
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mv-bench-async-'));
  const mvFile = path.join(dir, 'items.modelvault');
  const sqFile = path.join(dir, 'items.sqlite');
  try {
    const loadBefore = os.loadavg().map((x) => Math.round(x * 100) / 100);
    console.log(
      `async bench: ${N.toLocaleString()} rows, ${os.availableParallelism()} cores, node ${process.version}, load average ${loadBefore.join(' ')}`,
    );
    // The rows are made in chunks and dropped once inserted: a million rows kept alive here would
    // be the main thread's heap, and its garbage collections would show up as event-loop lag that
    // is the bench's, not the async API's.
    const chunk = (from: number): [number, number, string][] =>
      Array.from({ length: Math.min(100_000, N - from) }, (_, k) => {
        const i = from + k;
        return [i, (i * 7919) % 1000, `note ${(i * 104729) % N}`];
      });
    const sync = connect(mvFile);
    sync.cursor().execute('CREATE TABLE items (id INTEGER PRIMARY KEY, qty INTEGER, note TEXT)');
    for (let from = 0; from < N; from += 100_000)
      sync.cursor().executeMany('INSERT INTO items VALUES (?, ?, ?)', chunk(from));
    sync.commit();
    const peerDb = new BetterSqlite3(sqFile);
    peerDb.pragma('journal_mode = WAL');
    peerDb.exec('CREATE TABLE items (id INTEGER PRIMARY KEY, qty INTEGER, note TEXT)');
    const ins = peerDb.prepare('INSERT INTO items VALUES (?, ?, ?)');
    peerDb.transaction(() => {
      for (let from = 0; from < N; from += 100_000) for (const r of chunk(from)) ins.run(...r);
    })();
    const heapMB = (): number => Math.round(process.memoryUsage().heapUsed / 1e5) / 10;

    const lag: Record<string, Record<string, Lag>> = { sort: {}, scan: {} };
    const drainSync = (sql: string): void => {
      const cur = sync.cursor().execute(sql);
      while (cur.fetchMany(1000).length === 1000);
    };
    lag.sort.sync = await withLag(() => drainSync(SORT));
    lag.scan.sync = await withLag(() => drainSync(SCAN));
    const point: Record<string, { perSec: number; usPerCall?: number; cpuUsPerCall?: number }> = {};
    const cpu32: Record<string, number> = {};
    const syncCur = sync.cursor();
    point['sync cursor'] = await sequential(50_000, (i) => syncCur.execute(GET, [rid(i)]).fetchOne());
    // One writer per file per process: the async pool's writer worker takes the lock next.
    sync.close();

    const conn = await connectAsync(mvFile, { readers: 1 });
    await (await conn.execute('SELECT count(*) FROM items')).fetchOne();
    collectGarbage();
    const heapBefore = heapMB();
    const drainAsync = async (sql: string): Promise<void> => {
      const cur = await conn.execute(sql);
      while ((await cur.fetchMany(1000)).length === 1000);
    };
    lag.sort.async = await withLag(() => drainAsync(SORT));
    lag.scan.async = await withLag(() => drainAsync(SCAN));
    // Whole results in one call: the rows arrive in bounded batches, never as one huge reply.
    lag.sort['async, fetchAll()'] = await withLag(async () => {
      const cur = await conn.execute(SORT);
      if ((await cur.fetchAll()).length !== N) throw new Error('fetchAll lost rows');
    });
    {
      const db = await AsyncDatabase.open(mvFile, { readers: 1 });
      lag.sort['async typed all()'] = await withLag(async () => {
        if ((await db.collection('items').orderBy('note').all()).length !== N)
          throw new Error('all() lost rows');
      });
      await db.close();
    }

    const peer = new PeerWorker(sqFile);
    await peer.call({ op: 'get', sql: GET, params: [1] });
    lag.sort['better-sqlite3 in a worker'] = await withLag(async () => void (await peer.drain(SORT)));
    lag.scan['better-sqlite3 in a worker'] = await withLag(async () => void (await peer.drain(SCAN)));

    const peerGet = peerDb.prepare(GET);
    point['better-sqlite3 direct'] = await sequential(50_000, (i) => peerGet.get(rid(i)));
    point['async, awaited one by one'] = await sequential(10_000, async (i) =>
      (await conn.execute(GET, [rid(i)])).fetchOne(),
    );
    {
      const db = await AsyncDatabase.open(mvFile, { readers: 1 });
      await db.get('items', 1);
      point['async typed get, awaited one by one'] = await sequential(10_000, (i) => db.get('items', rid(i)));
      await db.close();
    }
    point['better-sqlite3 in a worker, one by one'] = await sequential(10_000, (i) =>
      peer.call({ op: 'get', sql: GET, params: [rid(i)] }),
    );
    // The floor of any worker round trip on this machine: a postMessage there and back, no work.
    point['bare worker echo, one by one (floor)'] = await sequential(10_000, () => peer.call({ op: 'echo' }));
    {
      // The floor of the async API's fast path: its shared-memory channel, no work.
      const echo = new ChannelEcho();
      point['shared-memory channel echo (fast-path floor)'] = await sequential(10_000, () => echo.call());
      await echo.close();
    }
    if (ChannelEcho.polls) {
      // The same with both ends polling before they sleep, as the fast path does (src/async/spin.ts).
      const echo = new ChannelEcho(25);
      point['shared-memory channel echo, polling'] = await sequential(10_000, () => echo.call());
      await echo.close();
    }
    point['async, 32 in flight'] = {
      perSec: await concurrent(
        32,
        1500,
        async (i) => (await conn.execute(GET, [rid(i)])).fetchOne(),
        (us) => (cpu32.async = us),
      ),
    };
    point['async, 32 in flight'].cpuUsPerCall = cpu32.async;
    point['better-sqlite3 in a worker, 32 in flight'] = {
      perSec: await concurrent(
        32,
        1500,
        (i) => peer.call({ op: 'get', sql: GET, params: [rid(i)] }),
        (us) => (cpu32.peer = us),
      ),
    };
    point['better-sqlite3 in a worker, 32 in flight'].cpuUsPerCall = cpu32.peer;
    await conn.close();
    await peer.close();

    const nodeSqlite3 = await NodeSqlite3.open(sqFile);
    if (nodeSqlite3) {
      await nodeSqlite3.get(GET, [1]);
      lag.sort['node-sqlite3 each()'] = await withLag(async () => {
        if ((await nodeSqlite3.each(SORT)) !== N) throw new Error('node-sqlite3 lost rows');
      });
      lag.sort['node-sqlite3 all()'] = await withLag(async () => {
        if ((await nodeSqlite3.all(SORT)).length !== N) throw new Error('node-sqlite3 lost rows');
      });
      lag.scan['node-sqlite3'] = await withLag(async () => void (await nodeSqlite3.all(SCAN)));
      point['node-sqlite3, awaited one by one'] = await sequential(10_000, (i) =>
        nodeSqlite3.get(GET, [rid(i)]),
      );
      point['node-sqlite3, 32 in flight'] = {
        perSec: await concurrent(
          32,
          1500,
          (i) => nodeSqlite3.get(GET, [rid(i)]),
          (us) => (cpu32.nodeSqlite3 = us),
        ),
      };
      point['node-sqlite3, 32 in flight'].cpuUsPerCall = cpu32.nodeSqlite3;
      await nodeSqlite3.close();
    } else {
      console.log(
        'node-sqlite3 is not installed: its lines are left out (npm install --no-save sqlite3 adds it)',
      );
    }

    const readers: Record<string, { pointGets: number; scans: number }> = {};
    for (const n of [1, 2, 4]) {
      const c = await connectAsync(mvFile, { readers: n });
      await Promise.all(Array.from({ length: n * 2 }, () => c.execute(GET, [1])));
      const pointGets = await concurrent(32, 1500, async (i) => (await c.execute(GET, [rid(i)])).fetchOne());
      const scansPerSec = await concurrent(4, 3000, async () => (await c.execute(SCAN)).fetchOne());
      readers[`${n} reader${n > 1 ? 's' : ''}`] = { pointGets, scans: scansPerSec };
      await c.close();
    }
    peerDb.close();

    // Autocommit durable inserts (each acknowledged after its fsync) from 1 and 32 concurrent
    // clients: AsyncDatabase groups the writes queued together into one commit (group commit);
    // better-sqlite3 (WAL, synchronous = FULL) commits them one by one, whoever issues them.
    const durable: Record<string, number> = {};
    {
      const file = path.join(dir, 'durable.modelvault');
      const db = await AsyncDatabase.open(file, { readers: 0 });
      await db.registerCollection(
        'd',
        [
          { path: 'id', type: 'int64' },
          { path: 'note', type: 'string' },
        ],
        'id',
      );
      let next = 0;
      for (const clients of [1, 32])
        durable[`ModelVault async, ${clients} client${clients > 1 ? 's' : ''}`] = await concurrent(
          clients,
          1500,
          () => db.insert('d', { id: next++, note: `durable ${next}` }),
        );
      await db.close();
      const sq = new BetterSqlite3(path.join(dir, 'durable.sqlite'));
      sq.pragma('journal_mode = WAL');
      sq.pragma('synchronous = FULL');
      sq.exec('CREATE TABLE d (id INTEGER PRIMARY KEY, note TEXT)');
      const ins = sq.prepare('INSERT INTO d VALUES (?, ?)');
      let k = 0;
      const end = performance.now() + 1500;
      const t0 = performance.now();
      while (performance.now() < end) ins.run(k, `durable ${k++}`);
      durable['better-sqlite3, one at a time'] = Math.round((k / (performance.now() - t0)) * 1000);
      sq.close();
    }

    console.log(
      `\nEvent-loop lag while a statement runs (ms): p50 / p99 / max, and total time (main heap ${heapBefore} MB)`,
    );
    for (const [what, byApi] of Object.entries(lag))
      for (const [api, l] of Object.entries(byApi))
        console.log(`  ${what.padEnd(5)} ${api.padEnd(28)} ${l.p50} / ${l.p99} / ${l.max}   (${l.ms} ms)`);
    console.log('\nPoint get by primary key');
    for (const [api, f] of Object.entries(point))
      console.log(
        `  ${api.padEnd(42)} ${f.perSec.toLocaleString()} /s${f.usPerCall ? `   ${f.usPerCall} µs per call` : ''}${
          f.cpuUsPerCall ? `   ${f.cpuUsPerCall} µs CPU per call` : ''
        }`,
      );
    console.log('\nBy reader pool size: point gets/s (32 in flight), full scans/s (4 in flight)');
    for (const [n, f] of Object.entries(readers))
      console.log(`  ${n.padEnd(10)} ${f.pointGets.toLocaleString()} /s   ${f.scans} scans/s`);
    console.log('\nAutocommit durable inserts (each acknowledged after its fsync)');
    for (const [who, perSec] of Object.entries(durable))
      console.log(`  ${who.padEnd(32)} ${perSec.toLocaleString()} /s`);

    const out = path.join(
      __dirname,
      '..',
      '..',
      'bench',
      'results',
      `async-${N}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`,
    );
    fs.writeFileSync(
      out,
      JSON.stringify(
        {
          rows: N,
          cores: os.availableParallelism(),
          node: process.version,
          load: { before: loadBefore, after: os.loadavg().map((x) => Math.round(x * 100) / 100) },
          mainHeapMBAtLagStart: heapBefore,
          lag,
          point,
          readers,
          durable,
        },
        null,
        2,
      ),
    );
    console.log(`\nwrote ${path.relative(process.cwd(), out)}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
