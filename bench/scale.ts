/**
 * Scale curve: `node dist/bench/scale.js [--sizes 100000,1000000,5000000]`. For each size builds
 * the same ~200 B rows in ModelVault and better-sqlite3, then — each in a fresh child process —
 * records open time, heap and RSS after open, point-get latency and a filtered scan's rows/s, plus
 * the file sizes. Writes bench/results/scale-*.json and prints a table.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import BetterSqlite3 from 'better-sqlite3';
import { Database } from '../src/index';
import { ITEM_FIELDS, ITEM_INDEXES, ITEMS_DDL, arg, makeItems, randomIds } from './data';

const CHUNK = 100_000;

export interface Probe {
  openMs: number;
  heapMiB: number;
  rssMiB: number;
  getUs: number;
  scanRowsPerSec: number;
}

export function build(dir: string, n: number): { mv: string; sqlite: string } {
  const mvFile = path.join(dir, `scale-${n}.modelvault`);
  const sqliteFile = path.join(dir, `scale-${n}.sqlite`);
  // The build loop never yields to the event loop; a long stale period keeps the writer lock valid.
  const db = Database.open(mvFile, { lockStaleMs: 3_600_000 });
  db.registerCollection('items', ITEM_FIELDS, 'id', ITEM_INDEXES);
  const s = new BetterSqlite3(sqliteFile);
  s.pragma('journal_mode = WAL');
  for (const sql of ITEMS_DDL) s.exec(sql);
  const stmt = s.prepare('INSERT INTO items VALUES (?, ?, ?, ?, ?, ?, ?)');
  for (let start = 0; start < n; start += CHUNK) {
    const rows = makeItems(Math.min(CHUNK, n - start), start + 1, 'random', start + 1);
    db.transaction(() => {
      for (const r of rows) db.insert('items', r as unknown as Record<string, unknown>);
    });
    s.transaction(() => {
      for (const r of rows) stmt.run(r.id, r.sku, r.uuid, r.qty, r.price, r.status, r.note);
    })();
  }
  db.checkpoint();
  db.close();
  s.pragma('wal_checkpoint(TRUNCATE)');
  s.close();
  return { mv: mvFile, sqlite: sqliteFile };
}

function probe(engine: 'mv' | 'sqlite', file: string, n: number): Probe {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const baseHeap = process.memoryUsage().heapUsed;
  const t0 = process.hrtime.bigint();
  const ids = randomIds(n, 20_000, 3);
  let get: (id: number) => unknown;
  let scan: () => number;
  let close: () => void;
  if (engine === 'mv') {
    const db = Database.open(file, { readOnly: true });
    get = (id) => db.get('items', id);
    scan = () => {
      let k = 0;
      for (const _row of db.collection('items').where('price', '>', 900).iterate()) k++;
      return k;
    };
    close = () => db.close();
  } else {
    const db = new BetterSqlite3(file, { readonly: true });
    db.pragma('cache_size = -262144');
    db.pragma('mmap_size = 268435456');
    const g = db.prepare('SELECT * FROM items WHERE id = ?');
    const sc = db.prepare('SELECT * FROM items WHERE price > ?');
    get = (id) => g.get(id);
    scan = () => {
      let k = 0;
      for (const _row of sc.iterate(900)) k++;
      return k;
    };
    close = () => db.close();
  }
  get(1);
  const openMs = Number(process.hrtime.bigint() - t0) / 1e6;
  gc?.();
  const mem = process.memoryUsage();
  const g0 = process.hrtime.bigint();
  for (const id of ids) get(id);
  const getUs = Number(process.hrtime.bigint() - g0) / 1e3 / ids.length;
  const s0 = process.hrtime.bigint();
  scan();
  const scanSec = Number(process.hrtime.bigint() - s0) / 1e9;
  close();
  return {
    openMs,
    heapMiB: (mem.heapUsed - baseHeap) / 1048576,
    rssMiB: mem.rss / 1048576,
    getUs,
    scanRowsPerSec: n / scanSec,
  };
}

/** Measure one engine on one file in a fresh process (cold caches, its own heap). */
export function probeInChild(engine: 'mv' | 'sqlite', file: string, n: number): Probe {
  const res = spawnSync(process.execPath, ['--expose-gc', __filename, '--probe', engine, file, String(n)], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  if (res.status !== 0) throw new Error(res.stderr);
  return JSON.parse(res.stdout.trim()) as Probe;
}

function main(): void {
  if (process.argv[2] === '--probe') {
    console.log(
      JSON.stringify(probe(process.argv[3] as 'mv' | 'sqlite', process.argv[4], Number(process.argv[5]))),
    );
    return;
  }
  const sizes = arg('sizes', '100000,1000000,5000000').split(',').map(Number);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modelvault-scale-'));
  const table: Record<string, unknown>[] = [];
  try {
    for (const n of sizes) {
      const t = Date.now();
      const files = build(dir, n);
      const buildSec = (Date.now() - t) / 1000;
      const run = (engine: 'mv' | 'sqlite', file: string): Probe => {
        const res = spawnSync(
          process.execPath,
          ['--expose-gc', __filename, '--probe', engine, file, String(n)],
          { encoding: 'utf8', maxBuffer: 1 << 20 },
        );
        if (res.status !== 0) throw new Error(res.stderr);
        return JSON.parse(res.stdout.trim()) as Probe;
      };
      const mv = run('mv', files.mv);
      const sq = run('sqlite', files.sqlite);
      const row = {
        rows: n,
        buildSec,
        mvFileMiB: fs.statSync(files.mv).size / 1048576,
        sqliteFileMiB: fs.statSync(files.sqlite).size / 1048576,
        mv,
        sqlite: sq,
      };
      table.push(row);
      console.log(JSON.stringify(row));
      fs.rmSync(files.mv, { force: true });
      fs.rmSync(files.sqlite, { force: true });
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const out = path.join(
    __dirname,
    '..',
    '..',
    'bench',
    'results',
    `scale-${new Date().toISOString().replace(/[:.]/g, '-')}.json`,
  );
  fs.writeFileSync(
    out,
    `${JSON.stringify({ date: new Date().toISOString(), node: process.version, table }, null, 2)}\n`,
  );
  console.log(
    `\n| rows | file MV / SQLite (MiB) | open MV / SQLite (ms) | heap after open MV / SQLite (MiB) | RSS MV / SQLite (MiB) | point get MV / SQLite (µs) | scan MV / SQLite (Mrows/s) |`,
  );
  console.log('|---|---|---|---|---|---|---|');
  for (const r of table as {
    rows: number;
    mvFileMiB: number;
    sqliteFileMiB: number;
    mv: Probe;
    sqlite: Probe;
  }[]) {
    const f = (x: number, d = 1): string => x.toFixed(d);
    console.log(
      `| ${r.rows.toLocaleString('en')} | ${f(r.mvFileMiB)} / ${f(r.sqliteFileMiB)} | ${f(r.mv.openMs, 0)} / ${f(r.sqlite.openMs, 0)} | ${f(r.mv.heapMiB)} / ${f(r.sqlite.heapMiB)} | ${f(r.mv.rssMiB, 0)} / ${f(r.sqlite.rssMiB, 0)} | ${f(r.mv.getUs, 2)} / ${f(r.sqlite.getUs, 2)} | ${f(r.mv.scanRowsPerSec / 1e6, 2)} / ${f(r.sqlite.scanRowsPerSec / 1e6, 2)} |`,
    );
  }
  console.log(`wrote ${path.relative(process.cwd(), out)}`);
}

if (require.main === module) main();
