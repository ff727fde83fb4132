/**
 * Main-thread lag of the async API's big reads, and the point-get round trip, for one build
 * (issue 14): a smaller, faster companion of bench/async.ts for A/B runs between builds.
 *
 *   node dist/bench/async-lag.js [rows] [build dir]   (build dir: another tree's dist/src; default this one)
 *
 * The database (rows of `id, qty, note` as in bench/async.ts) is made once in the system's temp
 * folder and reused by later runs with the same row count. Prints one JSON line: per window
 * (sort drained by 1,000, filtered scan, fetchAll() of the sort, typed all() of the sort) the
 * event-loop lag p50 / p99 / max in ms and the total time, then the point get awaited one at a
 * time (wall and CPU µs per call) for `execute` + `fetchOne` and the typed `get`.
 *
 * LAG_ONLY=syncSort,syncScan,sort,scan,fetchAll,all,get picks windows (syncSort and syncScan: the
 * same drains through the sync API on the main thread, for contrast). LAG_EXPLAIN=1 adds, per
 * window, the main thread's CPU ms (from /proc, this thread only), its heap after, its GC pauses
 * by kind, and the largest lag spikes with the GC pauses inside them ("computing": before the
 * first rows came; "busy": the ms the event loop ran rather than waited since the tick before — a
 * spike that is not busy is the thread waiting for a core, a busy one is work or a callback
 * preempted), and "busyMax": the longest such run once rows arrived, and when.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { PerformanceObserver } from 'node:perf_hooks';
import { lagAt, timerLag } from './harness';

const N = Number(process.argv[2] ?? 1_000_000);
const BUILD = path.resolve(process.argv[3] ?? path.join(__dirname, '..', 'src'));
const SORT = 'SELECT id, note FROM items ORDER BY note';
const SCAN = 'SELECT count(*), sum(qty) FROM items WHERE qty % 7 = 3';
const GET = 'SELECT id, qty, note FROM items WHERE id = ?';

interface Cur {
  fetchMany(n: number): Promise<unknown[]>;
  fetchAll(): Promise<unknown[]>;
  fetchOne(): Promise<unknown>;
}
interface Lib {
  connect(file: string): {
    cursor(): {
      execute(sql: string): { fetchMany(n: number): unknown[] };
      executeMany(sql: string, rows: unknown[][]): unknown;
    };
    commit(): void;
    close(): void;
  };
  connectAsync(
    file: string,
    opts: { readers: number },
  ): Promise<{ execute(sql: string, params?: unknown[]): Promise<Cur>; close(): Promise<void> }>;
  AsyncDatabase: {
    open(
      file: string,
      opts: { readers: number },
    ): Promise<{
      collection(name: string): { orderBy(p: string): { all(): Promise<unknown[]> } };
      get(name: string, id: number): Promise<unknown>;
      close(): Promise<void>;
    }>;
  };
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const lib = require(path.join(BUILD, 'index')) as Lib;

v8.setFlagsFromString('--expose-gc');
const collectGarbage = vm.runInNewContext('gc') as () => void;

interface Lag {
  ms: number;
  p50: number;
  p99: number;
  max: number;
}

/** As in bench/async.ts: a 1 ms timer's lateness while `work` runs. */
/** With LAG_EXPLAIN set: the main thread's GC pauses, to tell a lag spike's cause. */
const gcs: { start: number; ms: number; kind: number }[] = [];
if (process.env.LAG_EXPLAIN)
  new PerformanceObserver((list) => {
    for (const e of list.getEntries())
      gcs.push({
        start: e.startTime,
        ms: e.duration,
        kind: (e as unknown as { detail: { kind: number } }).detail.kind,
      });
  }).observe({ entryTypes: ['gc'] });
/** When the current window's first rows arrived (spikes before it happened while the worker computed). */
let firstRows = 0;
// perf_hooks.constants.NODE_PERFORMANCE_GC_*: V8's GCType bits (4 is the full mark-compact, 8 an
// incremental-marking step or its start, 16 the processing of weak callbacks).
const GC_KIND: Record<number, string> = {
  1: 'scavenge',
  2: 'minor-mc',
  4: 'mark-compact',
  8: 'incremental',
  16: 'weak',
};

/** CPU ms the main thread (not the process) has used: /proc's utime + stime of the thread whose id is the pid. */
function mainThreadCpuMs(): number {
  try {
    const stat = fs.readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return NaN;
  }
}

type Window = Lag & { spikes?: string[]; gc?: string; mainCpuMs?: number; heapMB?: number; busyMax?: string };

async function withLag(work: () => Promise<void>): Promise<Window> {
  collectGarbage();
  const cpu0 = mainThreadCpuMs();
  gcs.length = 0;
  firstRows = Infinity;
  const spikes: { at: number; lag: number; busy: number }[] = [];
  // How long the event loop ran (callbacks, and collections inside them) since the previous tick,
  // the rest of the interval being spent waiting in the poll phase: a spike with little of it is
  // the thread waiting for a core (or a late wake-up), not work on it.
  let elu = performance.eventLoopUtilization();
  // The longest such run once rows arrive (all(): in the whole window), and when.
  let busyMax = { ms: 0, at: 0 };
  let busyAll = { ms: 0, at: 0 };
  const { ms, t0, lags } = await timerLag(work, (due, lag) => {
    const now = performance.eventLoopUtilization();
    const busy = performance.eventLoopUtilization(now, elu).active;
    if (lag > 4) spikes.push({ at: due, lag, busy });
    if (due >= firstRows && busy > busyMax.ms) busyMax = { ms: busy, at: due };
    if (busy > busyAll.ms) busyAll = { ms: busy, at: due };
    elu = now;
  });
  const at = (q: number): number => lagAt(lags, q, 1);
  const lagOut: Window = { ms: Math.round(ms), p50: at(0.5), p99: at(0.99), max: at(1) };
  if (process.env.LAG_EXPLAIN) {
    lagOut.mainCpuMs = mainThreadCpuMs() - cpu0;
    lagOut.heapMB = Math.round(process.memoryUsage().heapUsed / 1e6);
    const [b, since] = firstRows === Infinity ? [busyAll, t0] : [busyMax, firstRows];
    lagOut.busyMax = `${b.ms.toFixed(1)} @+${Math.round(b.at - since)}ms`;
    const byKind: Record<string, [number, number, number]> = {};
    for (const g of gcs) {
      const k = (byKind[GC_KIND[g.kind] ?? g.kind] ??= [0, 0, 0]);
      k[0]++;
      k[1] += g.ms;
      k[2] = Math.max(k[2], g.ms);
    }
    // Per kind: count, total ms, longest ms.
    lagOut.gc = Object.entries(byKind)
      .map(([k, [n, sum, max]]) => `${k} ${n}x ${Math.round(sum)}ms max ${max.toFixed(1)}`)
      .join('; ');
    // Each spike over 4 ms, with the GC pauses that fell in it.
    lagOut.spikes = spikes
      .sort((a, b) => b.lag - a.lag)
      .slice(0, 8)
      .map(({ at: t, lag, busy }) => {
        const inside = gcs.filter((g) => g.start < t + lag && g.start + g.ms > t);
        const why = inside.map((g) => `${GC_KIND[g.kind] ?? g.kind} ${g.ms.toFixed(1)}`).join(', ');
        // all() has no moment its rows are seen to arrive: its spikes are timed from the window's start.
        const when =
          firstRows === Infinity
            ? `@${Math.round(t - t0)}ms`
            : t < firstRows
              ? `computing @${Math.round(t - t0)}ms`
              : `+${Math.round(t - firstRows)}ms`;
        return `${lag.toFixed(1)} ${when} busy ${busy.toFixed(1)}${why ? ` (${why})` : ''}`;
      });
  }
  return lagOut;
}

async function sequential(count: number, fn: (i: number) => Promise<unknown>): Promise<[number, number]> {
  for (let i = 0; i < count; i++) await fn(i);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < count; i++) await fn(i);
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  return [Math.round((ms * 1000) / count), Math.round((cpu.user + cpu.system) / count)];
}

const rid = (i: number): number => ((i * 2654435761) >>> 0) % N;

function database(): string {
  const dir = path.join(os.tmpdir(), `mv-async-lag-${N}`);
  const file = path.join(dir, 'items.modelvault');
  if (fs.existsSync(path.join(dir, 'ready'))) return file;
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const sync = lib.connect(file);
  sync.cursor().execute('CREATE TABLE items (id INTEGER PRIMARY KEY, qty INTEGER, note TEXT)');
  for (let from = 0; from < N; from += 100_000) {
    const rows = Array.from({ length: Math.min(100_000, N - from) }, (_, k) => {
      const i = from + k;
      return [i, (i * 7919) % 1000, `note ${(i * 104729) % N}`];
    });
    sync.cursor().executeMany('INSERT INTO items VALUES (?, ?, ?)', rows);
  }
  sync.commit();
  sync.close();
  fs.writeFileSync(path.join(dir, 'ready'), '');
  return file;
}

async function main(): Promise<void> {
  const file = database();
  const only = process.env.LAG_ONLY?.split(',');
  const want = (k: string): boolean => !only || only.includes(k);
  const out: Record<string, unknown> = { build: BUILD, rows: N, load: os.loadavg()[0].toFixed(2) };
  // The sync API for contrast, on this thread (before the async pool takes the file's writer lock).
  if (want('syncSort') || want('syncScan')) {
    const sync = lib.connect(file);
    const drain = (sql: string) => async (): Promise<void> => {
      const cur = sync.cursor().execute(sql);
      while (cur.fetchMany(1000).length === 1000);
    };
    if (want('syncSort')) out.syncSort = await withLag(drain(SORT));
    if (want('syncScan')) out.syncScan = await withLag(drain(SCAN));
    sync.close();
  }
  const conn = await lib.connectAsync(file, { readers: 1 });
  await (await conn.execute('SELECT count(*) FROM items')).fetchOne();
  if (want('sort'))
    out.sort = await withLag(async () => {
      const cur = await conn.execute(SORT);
      firstRows = performance.now();
      while ((await cur.fetchMany(1000)).length === 1000);
    });
  if (want('scan'))
    out.scan = await withLag(async () => {
      const cur = await conn.execute(SCAN);
      while ((await cur.fetchMany(1000)).length === 1000);
    });
  if (want('fetchAll'))
    out.fetchAll = await withLag(async () => {
      const cur = await conn.execute(SORT);
      firstRows = performance.now();
      if ((await cur.fetchAll()).length !== N) throw new Error('fetchAll lost rows');
    });
  const db = await lib.AsyncDatabase.open(file, { readers: 1 });
  if (want('all'))
    out.all = await withLag(async () => {
      if ((await db.collection('items').orderBy('note').all()).length !== N)
        throw new Error('all() lost rows');
    });
  if (want('get')) {
    out.getCursor = await sequential(5_000, async (i) => (await conn.execute(GET, [rid(i)])).fetchOne());
    await db.get('items', 1);
    out.getTyped = await sequential(5_000, (i) => db.get('items', rid(i)));
  }
  await db.close();
  await conn.close();
  console.log(JSON.stringify(out));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
