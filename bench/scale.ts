/**
 * Scale curve: `node dist/bench/scale.js [--max 10000000] [--sizes 100000,1000000]`. Sizes are
 * 100k, 1M and 10M rows up to `--max` (default 1M), or `--sizes`. For each size it builds the same
 * ~220 B rows in ModelVault and better-sqlite3 (each in its own child process, timing the bulk
 * insert), then measures each engine in fresh child processes (cold caches, own heap): open +
 * first point get (the median of three processes started without V8 flags, as an application
 * starts), heap and RSS after open, random point gets cold then warm, a filtered
 * `count(*)` cold then warm, the filtered rows themselves cold then warm, and finally compaction
 * (ModelVault `compact()`, SQLite `VACUUM`; up to `--compact-max` rows). Writes bench/results/scale-*.json, prints a table
 * and redraws docs/performance-scale.svg (bench/scale-chart.ts).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import BetterSqlite3 from 'better-sqlite3';
import { Database, connect } from '../src/index';
import { ITEM_FIELDS, ITEM_INDEXES, ITEMS_DDL, arg, makeItems, randomIds } from './data';
import { renderScaleChart } from './scale-chart';

const CHUNK = 100_000;
/** Both engines get the page cache the standard bench gives them (bench/run.ts). */
const CACHE_BYTES = 256 << 20;
/** The filter of the scans: `price` is uniform in [0, 1000), so 10 % of the rows match. */
const PRICE = 900;
const GETS = 20_000;
/** Fresh processes the open column is the median of. */
const OPEN_RUNS = 3;

type Engine = 'mv' | 'sqlite';

export interface Probe {
  /** Open + first point get, in a fresh process. */
  openMs: number;
  heapMiB: number;
  rssMiB: number;
  /** Mean of GETS random point gets right after open, then of the same gets again. */
  getUs: number;
  warmGetUs: number;
}

export interface ScanProbe {
  coldRowsPerSec: number;
  warmRowsPerSec: number;
  matched: number;
}

export interface BuildStats {
  /** Rows per second of the bulk insert (100,000-row transactions, commits included). */
  insertRowsPerSec: number;
  /** The final checkpoint and close (ModelVault) or WAL checkpoint and close (SQLite). */
  finishSec: number;
}

export interface ScaleRow {
  rows: number;
  /** SQLite's row count when it differs (a run stopped before both builds were complete). */
  sqliteRows?: number;
  mvFileMiB: number;
  sqliteFileMiB: number;
  build: { mv: BuildStats; sqlite: BuildStats };
  /** compactSec is NaN (null in the JSON) above `--compact-max`. */
  mv: Probe & { count: ScanProbe; scan: ScanProbe; compactSec: number; fileAfterCompactMiB: number };
  sqlite: Probe & { count: ScanProbe; scan: ScanProbe; compactSec: number; fileAfterCompactMiB: number };
  loadAverage: number[];
}

function files(dir: string, n: number): Record<Engine, string> {
  return { mv: path.join(dir, `scale-${n}.modelvault`), sqlite: path.join(dir, `scale-${n}.sqlite`) };
}

function buildEngine(engine: Engine, file: string, n: number): BuildStats {
  let insertNs = 0n;
  if (engine === 'mv') {
    // The build loop never yields to the event loop; a long stale period keeps the writer lock valid.
    const db = Database.open(file, { lockStaleMs: 3_600_000, cacheBytes: CACHE_BYTES });
    db.registerCollection('items', ITEM_FIELDS, 'id', ITEM_INDEXES);
    for (let start = 0; start < n; start += CHUNK) {
      const rows = makeItems(Math.min(CHUNK, n - start), start + 1, 'random', start + 1);
      const t = process.hrtime.bigint();
      db.transaction(() => {
        for (const r of rows) db.insert('items', r as unknown as Record<string, unknown>);
      });
      insertNs += process.hrtime.bigint() - t;
    }
    const f = process.hrtime.bigint();
    db.checkpoint();
    db.close();
    return {
      insertRowsPerSec: n / (Number(insertNs) / 1e9),
      finishSec: Number(process.hrtime.bigint() - f) / 1e9,
    };
  }
  const s = new BetterSqlite3(file);
  s.pragma('journal_mode = WAL');
  s.pragma(`cache_size = -${CACHE_BYTES >> 10}`);
  for (const sql of ITEMS_DDL) s.exec(sql);
  const stmt = s.prepare('INSERT INTO items VALUES (?, ?, ?, ?, ?, ?, ?)');
  for (let start = 0; start < n; start += CHUNK) {
    const rows = makeItems(Math.min(CHUNK, n - start), start + 1, 'random', start + 1);
    const t = process.hrtime.bigint();
    s.transaction(() => {
      for (const r of rows) stmt.run(r.id, r.sku, r.uuid, r.qty, r.price, r.status, r.note);
    })();
    insertNs += process.hrtime.bigint() - t;
  }
  const f = process.hrtime.bigint();
  s.pragma('wal_checkpoint(TRUNCATE)');
  s.close();
  return {
    insertRowsPerSec: n / (Number(insertNs) / 1e9),
    finishSec: Number(process.hrtime.bigint() - f) / 1e9,
  };
}

/** Build both files of `n` rows (each engine in its own process); returns their paths and build stats. */
export function build(
  dir: string,
  n: number,
): Record<Engine, string> & { stats: Record<Engine, BuildStats> } {
  const out = files(dir, n);
  const stats = {
    mv: inChild<BuildStats>(['--build', 'mv', out.mv, String(n)]),
    sqlite: inChild<BuildStats>(['--build', 'sqlite', out.sqlite, String(n)]),
  };
  return { ...out, stats };
}

interface Reader {
  get: (id: number) => unknown;
  warmUp: () => void;
  count: () => number;
  scan: () => number;
  close: () => void;
}

function openReader(engine: Engine, file: string): Reader {
  if (engine === 'mv') {
    const conn = connect(file, { readOnly: true, cacheBytes: CACHE_BYTES });
    const db = conn.database;
    const cur = conn.cursor();
    return {
      get: (id) => db.get('items', id),
      warmUp: () => cur.execute('SELECT count(*) FROM items WHERE id = ?', [1]).fetchAll(),
      count: () =>
        (
          cur.execute('SELECT count(*) FROM items WHERE price > ?', [PRICE]).fetchOne() as unknown[]
        )[0] as number,
      scan: () => {
        let k = 0;
        for (const _row of db.collection('items').where('price', '>', PRICE).iterate()) k++;
        return k;
      },
      close: () => conn.close(),
    };
  }
  const db = new BetterSqlite3(file, { readonly: true });
  db.pragma(`cache_size = -${CACHE_BYTES >> 10}`);
  db.pragma(`mmap_size = ${CACHE_BYTES}`);
  const g = db.prepare('SELECT * FROM items WHERE id = ?');
  const c = db.prepare('SELECT count(*) FROM items WHERE price > ?').pluck();
  const sc = db.prepare('SELECT * FROM items WHERE price > ?');
  return {
    get: (id) => g.get(id),
    warmUp: () => db.prepare('SELECT count(*) FROM items WHERE id = ?').get(1),
    count: () => c.get(PRICE) as number,
    scan: () => {
      let k = 0;
      for (const _row of sc.iterate(PRICE)) k++;
      return k;
    },
    close: () => db.close(),
  };
}

const seconds = (from: bigint): number => Number(process.hrtime.bigint() - from) / 1e9;

function probe(engine: Engine, file: string, n: number): Probe & { count: ScanProbe } {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const baseHeap = process.memoryUsage().heapUsed;
  const ids = randomIds(n, GETS, 3);
  const t0 = process.hrtime.bigint();
  const r = openReader(engine, file);
  r.get(1);
  const openMs = seconds(t0) * 1e3;
  gc?.();
  const mem = process.memoryUsage();
  let t = process.hrtime.bigint();
  for (const id of ids) r.get(id);
  const getUs = (seconds(t) * 1e6) / ids.length;
  t = process.hrtime.bigint();
  for (const id of ids) r.get(id);
  const warmGetUs = (seconds(t) * 1e6) / ids.length;
  // A first statement loads and compiles the SQL layer (ModelVault defers its parser to first
  // use): not part of the scan. A primary-key lookup touches none of the scan's rows.
  r.warmUp();
  const count = scanTwice(r.count, n);
  r.close();
  return {
    openMs,
    heapMiB: (mem.heapUsed - baseHeap) / 1048576,
    rssMiB: mem.rss / 1048576,
    getUs,
    warmGetUs,
    count,
  };
}

/** Open + first point get alone (the `--open` child): what the table's open column reports. */
function probeOpen(engine: Engine, file: string): { openMs: number } {
  const t0 = process.hrtime.bigint();
  const r = openReader(engine, file);
  r.get(1);
  const openMs = seconds(t0) * 1e3;
  r.close();
  return { openMs };
}

/** Median open + first get of OPEN_RUNS fresh processes started without V8 flags (see probeInChild). */
function openMedian(engine: Engine, file: string): number {
  const runs: number[] = [];
  for (let i = 0; i < OPEN_RUNS; i++)
    runs.push(inChild<{ openMs: number }>(['--open', engine, file, '0'], []).openMs);
  runs.sort((a, b) => a - b);
  return runs[Math.floor(runs.length / 2)];
}

function scanTwice(run: () => number, n: number): ScanProbe {
  let t = process.hrtime.bigint();
  const matched = run();
  const cold = seconds(t);
  t = process.hrtime.bigint();
  run();
  return { coldRowsPerSec: n / cold, warmRowsPerSec: n / seconds(t), matched };
}

/** The filtered rows themselves, cold (fresh process) then warm. */
function probeScan(engine: Engine, file: string, n: number): ScanProbe {
  const r = openReader(engine, file);
  r.get(1);
  const out = scanTwice(r.scan, n);
  r.close();
  return out;
}

function compactFile(engine: Engine, file: string): { sec: number } {
  const t = process.hrtime.bigint();
  if (engine === 'mv') {
    const db = Database.open(file, { lockStaleMs: 3_600_000, cacheBytes: CACHE_BYTES });
    db.compact();
    db.close();
  } else {
    const db = new BetterSqlite3(file);
    db.exec('VACUUM');
    db.close();
  }
  return { sec: seconds(t) };
}

function inChild<T>(args: string[], flags = ['--expose-gc', '--max-old-space-size=16384']): T {
  const res = spawnSync(process.execPath, [...flags, __filename, ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  if (res.status !== 0) throw new Error(`${args.join(' ')}: ${res.stderr}`);
  return JSON.parse(res.stdout.trim().split('\n').pop() as string) as T;
}

/** Measure one engine on one file in a fresh process (cold caches, its own heap). */
/**
 * The open probe as an application meets it: a child started without V8 flags. Flags such as
 * `--expose-gc` make V8 refuse the package's code cache (src/startup/code-cache.ts), which an
 * application started plainly uses; the heap figures then go without a forced collection.
 */
export function probeInChild(engine: Engine, file: string, n: number): Probe {
  return inChild<Probe>(['--probe', engine, file, String(n)], []);
}

function child(argv: readonly string[]): boolean {
  const [mode, engine, file, n] = argv as [string, Engine, string, string];
  const jobs: Record<string, () => unknown> = {
    '--build': () => buildEngine(engine, file, Number(n)),
    '--probe': () => probe(engine, file, Number(n)),
    '--open': () => probeOpen(engine, file),
    '--scan': () => probeScan(engine, file, Number(n)),
    '--compact': () => compactFile(engine, file),
  };
  const job = jobs[mode];
  if (!job) return false;
  console.log(JSON.stringify(job()));
  return true;
}

export function defaultSizes(max: number): number[] {
  return [100_000, 1_000_000, 10_000_000].filter((n) => n <= max);
}

/** Compaction is measured up to this many rows (`--compact-max`; a 10M-row compaction takes many minutes). */
const COMPACT_MAX = Number(arg('compact-max', 'Infinity'));

function measure(dir: string, n: number): ScaleRow {
  const built = build(dir, n);
  const mib = (f: string): number => fs.statSync(f).size / 1048576;
  const row = { rows: n, mvFileMiB: mib(built.mv), sqliteFileMiB: mib(built.sqlite), build: built.stats };
  const engine = (e: Engine): ScaleRow['mv'] => {
    // The open column is the median of fresh flagless processes: the probe's own child runs with
    // --expose-gc, which costs it the package's code cache, and its first open may meet the
    // kernel still writing the file just built back (one run measured 25 ms where 5 was typical).
    const openMs = openMedian(e, built[e]);
    const p = { ...inChild<Probe & { count: ScanProbe }>(['--probe', e, built[e], String(n)]), openMs };
    const scan = inChild<ScanProbe>(['--scan', e, built[e], String(n)]);
    const compact =
      n <= COMPACT_MAX ? inChild<{ sec: number }>(['--compact', e, built[e], String(n)]) : { sec: NaN };
    return { ...p, scan, compactSec: compact.sec, fileAfterCompactMiB: mib(built[e]) };
  };
  const out: ScaleRow = { ...row, mv: engine('mv'), sqlite: engine('sqlite'), loadAverage: os.loadavg() };
  fs.rmSync(built.mv, { force: true });
  fs.rmSync(`${built.mv}.lock`, { recursive: true, force: true });
  fs.rmSync(built.sqlite, { force: true });
  return out;
}

function printTable(table: readonly ScaleRow[]): void {
  const f = (x: number, d = 1): string => x.toFixed(d);
  const pair = (a: number, b: number, d = 1): string => `${f(a, d)} / ${f(b, d)}`;
  const m = (x: number): string => f(x / 1e6, 2);
  console.log(
    '\n| rows | file MV / SQLite (MiB) | open + first get (ms) | heap after open (MiB) | RSS (MiB) | point get cold / warm MV (µs) | SQLite (µs) | count cold / warm MV (Mrows/s) | SQLite | rows scan cold / warm MV (Mrows/s) | SQLite | bulk insert MV / SQLite (krows/s) | compact MV / VACUUM SQLite (s) | load |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of table) {
    const { mv, sqlite: s } = r;
    console.log(
      `| ${r.rows.toLocaleString('en')} | ${pair(r.mvFileMiB, r.sqliteFileMiB)} | ${pair(mv.openMs, s.openMs, 0)} | ${pair(mv.heapMiB, s.heapMiB)} | ${pair(mv.rssMiB, s.rssMiB, 0)} | ${pair(mv.getUs, mv.warmGetUs, 2)} | ${pair(s.getUs, s.warmGetUs, 2)} | ${m(mv.count.coldRowsPerSec)} / ${m(mv.count.warmRowsPerSec)} | ${m(s.count.coldRowsPerSec)} / ${m(s.count.warmRowsPerSec)} | ${m(mv.scan.coldRowsPerSec)} / ${m(mv.scan.warmRowsPerSec)} | ${m(s.scan.coldRowsPerSec)} / ${m(s.scan.warmRowsPerSec)} | ${pair(r.build.mv.insertRowsPerSec / 1e3, r.build.sqlite.insertRowsPerSec / 1e3, 0)} | ${Number.isFinite(mv.compactSec) ? pair(mv.compactSec, s.compactSec) : 'not run'} | ${r.loadAverage.map((x) => f(x, 1)).join(' ')} |`,
    );
  }
}

function main(): void {
  if (child(process.argv.slice(2))) return;
  const sizes = process.argv.includes('--sizes')
    ? arg('sizes', '').split(',').map(Number)
    : defaultSizes(Number(arg('max', '1000000')));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modelvault-scale-'));
  const table: ScaleRow[] = [];
  try {
    for (const n of sizes) {
      const row = measure(dir, n);
      table.push(row);
      console.log(JSON.stringify(row));
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const stamp = new Date().toISOString();
  const out = path.join(
    __dirname,
    '..',
    '..',
    'bench',
    'results',
    `scale-${stamp.replace(/[:.]/g, '-')}.json`,
  );
  fs.writeFileSync(out, `${JSON.stringify({ date: stamp, node: process.version, table }, null, 2)}\n`);
  printTable(table);
  const svg = path.join(__dirname, '..', '..', 'docs', 'performance-scale.svg');
  fs.writeFileSync(svg, renderScaleChart(table, `${stamp.slice(0, 10)}, ${path.basename(out)}`));
  console.log(`wrote ${path.relative(process.cwd(), out)} and ${path.relative(process.cwd(), svg)}`);
}

if (require.main === module) main();
