/**
 * Open + first point get, in fresh processes, for the three kinds of file a user produces (issue 15):
 *
 * - `node dist/bench/open-kinds.js --make DIR [--n 1000000]` writes, into DIR, `sql.modelvault`
 *   (the standard `items` table through SQL, 50,000-row transactions, closed without an explicit
 *   `checkpoint()`), `killed.modelvault` (the same rows through the typed API in 1,000-row
 *   transactions by a child killed with SIGKILL once all are committed) and `items.sqlite`
 *   (better-sqlite3, the same rows, WAL checkpointed); with `--only idle`, `killed-idle.modelvault`,
 *   the same writer killed after ten idle seconds. The checkpointed file is the one
 *   `bench/scale.ts --build mv` writes.
 * - `node dist/bench/open-kinds.js --probe FILE... --builds DIST_A,DIST_B [--runs 7]` runs
 *   bench/open-probe.js of each build (`dist` directories) on each file, alternating builds, and
 *   better-sqlite3's open + first get on each `.sqlite` file; prints per-phase medians.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import BetterSqlite3 from 'better-sqlite3';
import { Database, connect } from '../src/index';
import { ITEM_FIELDS, ITEM_INDEXES, ITEMS_DDL, arg, makeItems } from './data';
import type { Probe } from './open-probe';
import { firstLine } from './harness';

const INSERT_ITEM =
  'INSERT INTO items (id, sku, uuid, qty, price, status, note) VALUES (?, ?, ?, ?, ?, ?, ?)';

function makeSql(file: string, n: number): void {
  const conn = connect(file, { lockStaleMs: 3_600_000 });
  for (const sql of ITEMS_DDL) conn.execute(sql);
  conn.commit();
  for (let start = 0; start < n; start += 50_000) {
    const rows = makeItems(Math.min(50_000, n - start), start + 1, 'random', start + 1);
    conn.executeMany(
      INSERT_ITEM,
      rows.map((r) => [r.id, r.sku, r.uuid, r.qty, r.price, r.status, r.note]),
    );
    conn.commit();
  }
  conn.close();
}

function makeSqlite(file: string, n: number): void {
  const s = new BetterSqlite3(file);
  s.pragma('journal_mode = WAL');
  for (const sql of ITEMS_DDL) s.exec(sql);
  const stmt = s.prepare('INSERT INTO items VALUES (?, ?, ?, ?, ?, ?, ?)');
  for (let start = 0; start < n; start += 100_000) {
    const rows = makeItems(Math.min(100_000, n - start), start + 1, 'random', start + 1);
    s.transaction(() => {
      for (const r of rows) stmt.run(r.id, r.sku, r.uuid, r.qty, r.price, r.status, r.note);
    })();
  }
  s.pragma('wal_checkpoint(TRUNCATE)');
  s.close();
}

/** Child: write n rows in `txn`-row transactions, report, then wait to be killed. */
function writeThenWait(file: string, n: number, txn: number): void {
  const db = Database.open(file, { lockStaleMs: 3_600_000 });
  db.registerCollection('items', ITEM_FIELDS, 'id', ITEM_INDEXES);
  for (let start = 0; start < n; start += txn) {
    const rows = makeItems(Math.min(txn, n - start), start + 1, 'random', start + 1);
    db.transaction(() => {
      for (const r of rows) db.insert('items', r as unknown as Record<string, unknown>);
    });
  }
  process.stdout.write(`${JSON.stringify({ tail: db.storage.logBytesSinceCheckpoint })}\n`);
  setInterval(() => undefined, 1000);
}

async function makeKilled(file: string, n: number, idleMs: number): Promise<void> {
  const child = spawn(process.execPath, [__filename, '--write', file, String(n), '1000'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = await firstLine(child);
  // Killed at once (mid-write, as a crash during a load), or after idling `idleMs`.
  await new Promise((resolve) => setTimeout(resolve, idleMs));
  child.kill('SIGKILL');
  await new Promise((resolve) => child.once('exit', resolve));
  console.log(`killed writer: ${line}`);
}

function sqliteProbe(file: string): Record<string, number> {
  const t0 = process.hrtime.bigint();
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loading the driver is timed
  const B = require('better-sqlite3') as typeof BetterSqlite3;
  const t1 = process.hrtime.bigint();
  const c1 = process.cpuUsage();
  const db = new B(file, { readonly: true });
  const t2 = process.hrtime.bigint();
  db.prepare('SELECT * FROM items WHERE id = ?').get(12345);
  const t3 = process.hrtime.bigint();
  const c3 = process.cpuUsage(c1);
  db.close();
  const ms = (a: bigint, b: bigint): number => Number(b - a) / 1e6;
  return {
    loadMs: ms(t0, t1),
    openMs: ms(t1, t2),
    firstGetMs: ms(t1, t3),
    firstGetCpuMs: (c3.user + c3.system) / 1e3,
  };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function run(args: string[]): Record<string, number> {
  const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop() as string) as Record<string, number>;
}

function probeAll(filesIn: string[], builds: string[], runs: number): void {
  console.log(
    `load before: ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  for (const file of filesIn) {
    const isSqlite = file.endsWith('.sqlite');
    const sides = isSqlite ? ['sqlite'] : builds;
    const got = new Map<string, Record<string, number>[]>(sides.map((s) => [s, []]));
    for (let i = 0; i < runs; i++) {
      for (const side of i % 2 ? [...sides].reverse() : sides) {
        const p = isSqlite
          ? run([__filename, '--sqlite-probe', file])
          : run([path.join(side, 'bench', 'open-probe.js'), file]);
        got.get(side)?.push(p);
      }
    }
    for (const [side, ps] of got) {
      const m = (k: string): string => median(ps.map((p) => p[k])).toFixed(2);
      const all = (k: string): string => ps.map((p) => p[k].toFixed(1)).join(' ');
      console.log(
        `${path.basename(file)} ${side}: load ${m('loadMs')} open ${m('openMs')} open+get ${m('firstGetMs')} ms, CPU ${m('firstGetCpuMs')} ms (open+get runs: ${all('firstGetMs')})` +
          (isSqlite ? '' : ` replayed ${(ps[0] as unknown as Probe).replayed} tail ${ps[0].tailBytes}`),
      );
    }
  }
  console.log(
    `load after: ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === '--write') return writeThenWait(argv[1], Number(argv[2]), Number(argv[3]));
  if (argv[0] === '--sqlite-probe') {
    console.log(JSON.stringify(sqliteProbe(argv[1])));
    return;
  }
  if (argv[0] === '--make') {
    const dir = argv[1];
    const n = Number(arg('n', '1000000'));
    fs.mkdirSync(dir, { recursive: true });
    const only = arg('only', 'sql,killed,sqlite').split(',');
    const t = Date.now();
    if (only.includes('sqlite')) makeSqlite(path.join(dir, 'items.sqlite'), n);
    if (only.includes('sql')) makeSql(path.join(dir, 'sql.modelvault'), n);
    if (only.includes('killed')) await makeKilled(path.join(dir, 'killed.modelvault'), n, 0);
    // Killed after ten idle seconds (a server or desktop app killed between bursts of writes): the
    // idle checkpoint starts after one and, with random keys at 1M rows, takes seconds.
    if (only.includes('idle')) await makeKilled(path.join(dir, 'killed-idle.modelvault'), n, 10_000);
    console.log(`made in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    return;
  }
  if (argv[0] === '--probe') {
    const filesIn = argv.slice(1).filter((a, i, all) => !a.startsWith('--') && !all[i - 1]?.startsWith('--'));
    probeAll(filesIn, arg('builds', path.join(__dirname, '..')).split(','), Number(arg('runs', '7')));
  }
}

if (require.main === module) void main();
