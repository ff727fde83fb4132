/**
 * `npm run bench [-- --n 200000] [--only name,name]`: the SPEC §11 workload on ModelVault and on
 * better-sqlite3 in the same process, printed as one table with ratios (ModelVault ÷ SQLite, so
 * above 1.0 means ModelVault is faster) and written as JSON to bench/results/.
 *
 * `--only` picks sections by name: bulk, reads (point get to fetchMany), open1m, durable, window. A partial
 * run does not redraw docs/performance.svg, which must always show the whole workload.
 *
 * better-sqlite3 is configured as a performance-minded user would: WAL, 256 MB page cache, 256 MB
 * mmap, synchronous=FULL so its commits are as durable as ours (each commit is fsynced). Its rows
 * are materialized as the other side's are: objects against the typed API, arrays (`.raw(true)`)
 * against the SQL cursor's tuples, for every read workload that returns whole rows.
 * ModelVault gets the same 256 MiB as its cache budget (`cacheBytes`); its default is 64 MiB.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Database, connect } from '../src/index';
import type { Connection } from '../src/index';
import { fmt, measureInterleaved, measureOps, measureRun, ratio } from './harness';
import { renderChart } from './chart';
import { benchWindow } from './window';
import { build, probeInChild } from './scale';
import type { Figure } from './harness';
import {
  ITEM_FIELDS,
  ITEM_INDEXES,
  ITEMS_DDL,
  arg,
  makeItems,
  randomIds,
  rng,
  skuFor,
  uuidFor,
} from './data';
import type { ItemRow } from './data';

interface Result {
  workload: string;
  /** better-sqlite3 returning rows as objects, as the typed API does: the typed ratio's base. */
  sqlite: Figure | null;
  /**
   * better-sqlite3 returning rows as arrays (`.raw(true)`), as the SQL cursor returns tuples: the
   * SQL ratio's base where the two differ (absent: `sqlite`, for workloads returning no rows or
   * already raw on both sides).
   */
  sqliteRaw?: Figure | null;
  sql: Figure | null;
  typed: Figure | null;
}

const N = Number(arg('n', '200000'));
const SECTIONS = ['bulk', 'reads', 'open1m', 'durable', 'window'];
const ONLY = arg('only', '')
  .split(',')
  .map((x) => x.trim())
  .filter((x) => x !== '');
for (const name of ONLY)
  if (!SECTIONS.includes(name)) throw new Error(`--only: unknown section ${name} (${SECTIONS.join(', ')})`);

function want(section: string): boolean {
  return ONLY.length === 0 || ONLY.includes(section);
}
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modelvault-bench-'));

/** The same memory budget for both engines: SQLite's page cache, ModelVault's row caches. */
const CACHE_BYTES = 256 * 1024 * 1024;

function openSqlite(file: string): BetterSqlite3.Database {
  const db = new BetterSqlite3(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma(`cache_size = -${CACHE_BYTES / 1024}`);
  db.pragma('mmap_size = 268435456');
  for (const sql of ITEMS_DDL) db.exec(sql);
  return db;
}

function openMv(file: string): Database {
  const db = Database.open(file, { cacheBytes: CACHE_BYTES });
  db.registerCollection('items', ITEM_FIELDS, 'id', ITEM_INDEXES);
  return db;
}

function openMvSql(file: string): Connection {
  const conn = connect(file, { cacheBytes: CACHE_BYTES });
  for (const sql of ITEMS_DDL) conn.execute(sql);
  conn.commit();
  return conn;
}

/** Both SQL paths bind the same prebuilt parameter arrays, built outside the timed section. */
type ParamRow = [number, string, string, number, number, string, string];

/** Durable commits per sample of the autocommit line (section 10). */
const DURABLE_COMMITS = 200;

const INSERT_ITEM =
  'INSERT INTO items (id, sku, uuid, qty, price, status, note) VALUES (?, ?, ?, ?, ?, ?, ?)';

function paramRows(rows: ItemRow[]): ParamRow[] {
  return rows.map((r) => [r.id, r.sku, r.uuid, r.qty, r.price, r.status, r.note]);
}

function mvSqlInsertAll(conn: Connection, params: ParamRow[]): void {
  const cur = conn.cursor();
  cur.executeMany(INSERT_ITEM, params);
  conn.commit();
}

function rm(file: string): void {
  for (const f of [file, `${file}-wal`, `${file}-shm`, `${file}.lock`])
    fs.rmSync(f, { recursive: true, force: true });
}

function sqliteInsertAll(db: BetterSqlite3.Database, params: ParamRow[]): void {
  const stmt = db.prepare(INSERT_ITEM);
  db.transaction(() => {
    for (const p of params) stmt.run(p);
  })();
}

function mvInsertAll(db: Database, rows: ItemRow[]): void {
  db.transaction(() => {
    for (const r of rows) db.insert('items', r as unknown as Record<string, unknown>);
  });
}

function main(): void {
  console.log(
    `ModelVault bench: N=${N}, node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}`,
  );
  const results: Result[] = [];
  const sqliteFile = path.join(dir, 'bench.sqlite');
  const mvFile = path.join(dir, 'bench.modelvault');
  const mvSqlFile = path.join(dir, 'bench-sql.modelvault');

  if (want('bulk')) {
    // 1. Bulk insert in one transaction (rows/s): keys in random order (as application keys
    // arrive), then the ascending-key variant, whose unique inserts all append at the right edge.
    const bulkRun = (bulkRows: ItemRow[], label: string): void => {
      const bulkParams = paramRows(bulkRows);
      let sdb: BetterSqlite3.Database | null = null;
      let mdb: Database | null = null;
      const sqliteBulk = measureRun(
        N,
        3,
        () => {
          rm(sqliteFile);
          sdb = openSqlite(sqliteFile);
        },
        () => sqliteInsertAll(sdb as unknown as BetterSqlite3.Database, bulkParams),
        () => (sdb as unknown as BetterSqlite3.Database).close(),
      );
      const mvBulk = measureRun(
        N,
        3,
        () => {
          rm(mvFile);
          mdb = openMv(mvFile);
        },
        () => mvInsertAll(mdb as unknown as Database, bulkRows),
        () => (mdb as unknown as Database).close(),
      );
      let cdb: Connection | null = null;
      const sqlBulk = measureRun(
        N,
        3,
        () => {
          rm(mvSqlFile);
          cdb = openMvSql(mvSqlFile);
        },
        () => mvSqlInsertAll(cdb as unknown as Connection, bulkParams),
        () => (cdb as unknown as Connection).close(),
      );
      results.push({ workload: label, sqlite: sqliteBulk, sql: sqlBulk, typed: mvBulk });
    };
    bulkRun(makeItems(N), 'bulk insert, one transaction, random unique text keys (rows/s)');
    bulkRun(makeItems(N, 42, 'ascending'), 'bulk insert, one transaction, ascending keys (rows/s)');
  }
  if (want('reads')) {
    // Populated databases for the read workloads. The item arrays are dropped once loaded: at 1M
    // rows they hold ~800 MB of the bench's own heap, which the collector would otherwise walk
    // (and count against ModelVault, whose rows live on the same heap) through every workload.
    rm(sqliteFile);
    const sqlite = openSqlite(sqliteFile);
    rm(mvFile);
    const mv = openMv(mvFile);
    rm(mvSqlFile);
    const conn = openMvSql(mvSqlFile);
    {
      const rows = makeItems(N);
      const params = paramRows(rows);
      sqliteInsertAll(sqlite, params);
      mvInsertAll(mv, rows);
      mvSqlInsertAll(conn, params);
    }
    const cur = conn.cursor();

    // 2. Random point get by primary key.
    const ids = randomIds(N, 1 << 16);
    let i = 0;
    const getStmt = sqlite.prepare('SELECT * FROM items WHERE id = ?');
    const sqliteGet = measureOps('sqlite get', () => {
      getStmt.get(ids[i++ & 0xffff]);
    });
    i = 0;
    const getRaw = sqlite.prepare('SELECT * FROM items WHERE id = ?').raw(true);
    const sqliteGetRaw = measureOps('sqlite get raw', () => {
      getRaw.get(ids[i++ & 0xffff]);
    });
    i = 0;
    const mvGet = measureOps('mv get', () => {
      mv.get('items', ids[i++ & 0xffff]);
    });
    i = 0;
    const sqlGet = measureOps('mv sql get', () => {
      cur.execute('SELECT * FROM items WHERE id = ?', [ids[i++ & 0xffff]]).fetchOne();
    });
    results.push({
      workload: 'random point get by primary key (ops/s)',
      sqlite: sqliteGet,
      sqliteRaw: sqliteGetRaw,
      sql: sqlGet,
      typed: mvGet,
    });

    // 2b. Lookup by a random unique text key (issue 15): a uuid-shaped TEXT UNIQUE column.
    const uuids = ids.map((id) => uuidFor(id));
    i = 0;
    const uuidStmt = sqlite.prepare('SELECT * FROM items WHERE uuid = ?');
    const sqliteUuid = measureOps('sqlite uuid', () => {
      uuidStmt.get(uuids[i++ & 0xffff]);
    });
    i = 0;
    const uuidRaw = sqlite.prepare('SELECT * FROM items WHERE uuid = ?').raw(true);
    const sqliteUuidRaw = measureOps('sqlite uuid raw', () => {
      uuidRaw.get(uuids[i++ & 0xffff]);
    });
    i = 0;
    const mvUuid = measureOps('mv uuid', () => {
      mv.collection('items')
        .where('uuid', uuids[i++ & 0xffff])
        .first();
    });
    i = 0;
    const sqlUuid = measureOps('mv sql uuid', () => {
      cur.execute('SELECT * FROM items WHERE uuid = ?', [uuids[i++ & 0xffff]]).fetchOne();
    });
    results.push({
      workload: 'lookup by a random unique text key, uuid = ? (ops/s)',
      sqlite: sqliteUuid,
      sqliteRaw: sqliteUuidRaw,
      sql: sqlUuid,
      typed: mvUuid,
    });

    // 3. Indexed equality: qty = ? (about N/1000 rows each), all rows materialized.
    i = 0;
    const qtys = ids.map((x) => x % 1000);
    const eqStmt = sqlite.prepare('SELECT * FROM items WHERE qty = ?');
    const sqliteEq = measureOps('sqlite eq', () => {
      eqStmt.all(qtys[i++ & 0xffff]);
    });
    i = 0;
    const eqRaw = sqlite.prepare('SELECT * FROM items WHERE qty = ?').raw(true);
    const sqliteEqRaw = measureOps('sqlite eq raw', () => {
      eqRaw.all(qtys[i++ & 0xffff]);
    });
    i = 0;
    const mvEq = measureOps('mv eq', () => {
      mv.collection('items')
        .where('qty', qtys[i++ & 0xffff])
        .all();
    });
    i = 0;
    const sqlEq = measureOps('mv sql eq', () => {
      cur.execute('SELECT * FROM items WHERE qty = ?', [qtys[i++ & 0xffff]]).fetchAll();
    });
    results.push({
      workload: 'indexed equality qty = ? (~N/1000 rows, queries/s)',
      sqlite: sqliteEq,
      sqliteRaw: sqliteEqRaw,
      sql: sqlEq,
      typed: mvEq,
    });

    // 4. Range + order + limit on an index.
    i = 0;
    const rangeStmt = sqlite.prepare('SELECT * FROM items WHERE qty BETWEEN ? AND ? ORDER BY qty LIMIT 50');
    const sqliteRange = measureOps('sqlite range', () => {
      const lo = qtys[i++ & 0xffff];
      rangeStmt.all(lo, lo + 50);
    });
    i = 0;
    const rangeRaw = sqlite
      .prepare('SELECT * FROM items WHERE qty BETWEEN ? AND ? ORDER BY qty LIMIT 50')
      .raw(true);
    const sqliteRangeRaw = measureOps('sqlite range raw', () => {
      const lo = qtys[i++ & 0xffff];
      rangeRaw.all(lo, lo + 50);
    });
    i = 0;
    const mvRange = measureOps('mv range', () => {
      const lo = qtys[i++ & 0xffff];
      mv.collection('items')
        .where('qty', 'between', [lo, lo + 50])
        .orderBy('qty')
        .limit(50)
        .all();
    });
    i = 0;
    const sqlRange = measureOps('mv sql range', () => {
      const lo = qtys[i++ & 0xffff];
      cur
        .execute('SELECT * FROM items WHERE qty BETWEEN ? AND ? ORDER BY qty LIMIT 50', [lo, lo + 50])
        .fetchAll();
    });
    results.push({
      workload: 'qty BETWEEN ? AND ? ORDER BY qty LIMIT 50 (queries/s)',
      sqlite: sqliteRange,
      sqliteRaw: sqliteRangeRaw,
      sql: sqlRange,
      typed: mvRange,
    });

    // 4b. Keyset pagination: the page after a (qty, id) cursor, newest first, and an ORDER BY
    // whose first key alone is indexed (a TopN over the index walk).
    const pages = (sql: string, typed: (lo: number) => unknown, label: string): void => {
      i = 0;
      const stmt = sqlite.prepare(sql);
      const sqliteRun = measureOps(`sqlite ${label}`, () => {
        stmt.all(qtys[i++ & 0xffff]);
      });
      i = 0;
      const raw = sqlite.prepare(sql).raw(true);
      const sqliteRawRun = measureOps(`sqlite ${label} raw`, () => {
        raw.all(qtys[i++ & 0xffff]);
      });
      i = 0;
      const typedRun = measureOps(`mv ${label}`, () => {
        typed(qtys[i++ & 0xffff]);
      });
      i = 0;
      const sqlRun = measureOps(`mv sql ${label}`, () => {
        cur.execute(sql, [qtys[i++ & 0xffff]]).fetchAll();
      });
      results.push({
        workload: `${label} (queries/s)`,
        sqlite: sqliteRun,
        sqliteRaw: sqliteRawRun,
        sql: sqlRun,
        typed: typedRun,
      });
    };
    pages(
      'SELECT * FROM items WHERE qty < ? ORDER BY qty DESC, id DESC LIMIT 20',
      (lo) =>
        mv
          .collection('items')
          .where('qty', '<', lo)
          .orderBy('qty', 'desc')
          .orderBy('id', 'desc')
          .limit(20)
          .all(),
      'keyset page: qty < ? ORDER BY qty DESC, id DESC LIMIT 20',
    );
    pages(
      'SELECT * FROM items WHERE qty >= ? ORDER BY qty, price DESC LIMIT 20',
      (lo) =>
        mv.collection('items').where('qty', '>=', lo).orderBy('qty').orderBy('price', 'desc').limit(20).all(),
      'qty >= ? ORDER BY qty, price DESC LIMIT 20',
    );

    // 5. Filtered full scan, streamed (rows scanned per second).
    const scanStmt = sqlite.prepare('SELECT * FROM items WHERE price > ?');
    const sqliteScan = measureRun(
      N,
      5,
      () => {},
      () => {
        let n = 0;
        for (const _row of scanStmt.iterate(900)) n++;
        if (n === 0) throw new Error('scan found nothing');
      },
    );
    const scanRaw = sqlite.prepare('SELECT * FROM items WHERE price > ?').raw(true);
    const sqliteScanRaw = measureRun(
      N,
      5,
      () => {},
      () => {
        let n = 0;
        for (const _row of scanRaw.iterate(900)) n++;
        if (n === 0) throw new Error('scan found nothing');
      },
    );
    const mvScan = measureRun(
      N,
      5,
      () => {},
      () => {
        let n = 0;
        for (const _row of mv.collection('items').where('price', '>', 900).iterate()) n++;
        if (n === 0) throw new Error('scan found nothing');
      },
    );
    const sqlScan = measureRun(
      N,
      5,
      () => {},
      () => {
        cur.execute('SELECT * FROM items WHERE price > ?', [900]);
        let n = 0;
        for (let batch = cur.fetchMany(1000); batch.length > 0; batch = cur.fetchMany(1000))
          n += batch.length;
        if (n === 0) throw new Error('scan found nothing');
      },
    );
    results.push({
      workload: 'full scan WHERE price > 900, fetchMany(1000) (rows scanned/s)',
      sqlite: sqliteScan,
      sqliteRaw: sqliteScanRaw,
      sql: sqlScan,
      typed: mvScan,
    });

    // 6. GROUP BY status with COUNT and SUM (rows aggregated per second).
    const groupStmt = sqlite.prepare(
      'SELECT status, COUNT(*) AS n, SUM(qty) AS total FROM items GROUP BY status',
    );
    const sqliteGroup = measureRun(
      N,
      5,
      () => {},
      () => {
        groupStmt.all();
      },
    );
    const mvGroup = measureRun(
      N,
      5,
      () => {},
      () => {
        mv.collection('items')
          .groupBy('status')
          .aggregate({ n: { fn: 'count' }, total: { fn: 'sum', path: 'qty' } });
      },
    );
    const sqlGroup = measureRun(
      N,
      5,
      () => {},
      () => {
        cur.execute('SELECT status, COUNT(*) AS n, SUM(qty) AS total FROM items GROUP BY status').fetchAll();
      },
    );
    results.push({
      workload: 'GROUP BY status COUNT(*), SUM(qty) (rows/s)',
      sqlite: sqliteGroup,
      sql: sqlGroup,
      typed: mvGroup,
    });

    // 6b. A whole-table aggregate over numeric columns (folded from column vectors, no rows read).
    const wholeSql = 'SELECT COUNT(*) AS n, SUM(qty) AS q, AVG(price) AS p, MAX(price) AS m FROM items';
    const wholeStmt = sqlite.prepare(wholeSql);
    const sqliteWhole = measureRun(
      N,
      5,
      () => {},
      () => {
        wholeStmt.all();
      },
    );
    const mvWhole = measureRun(
      N,
      5,
      () => {},
      () => {
        mv.collection('items').aggregate({
          n: { fn: 'count' },
          q: { fn: 'sum', path: 'qty' },
          p: { fn: 'avg', path: 'price' },
          m: { fn: 'max', path: 'price' },
        });
      },
    );
    const sqlWhole = measureRun(
      N,
      5,
      () => {},
      () => {
        cur.execute(wholeSql).fetchAll();
      },
    );
    results.push({
      workload: 'whole-table COUNT(*), SUM(qty), AVG(price), MAX(price) (rows/s)',
      sqlite: sqliteWhole,
      sql: sqlWhole,
      typed: mvWhole,
    });

    // 6c. The same with a filter of arithmetic (tested on column vectors a leaf at a time).
    const arithSql = 'SELECT COUNT(*) AS n, SUM(qty) AS q FROM items WHERE qty % 7 = 3';
    const arithStmt = sqlite.prepare(arithSql);
    const sqliteArith = measureRun(
      N,
      5,
      () => {},
      () => {
        arithStmt.all();
      },
    );
    const sqlArith = measureRun(
      N,
      5,
      () => {},
      () => {
        cur.execute(arithSql).fetchAll();
      },
    );
    results.push({
      workload: 'COUNT(*), SUM(qty) WHERE qty % 7 = 3 (rows/s)',
      sqlite: sqliteArith,
      sql: sqlArith,
      typed: null,
    });

    // 6d. A filter on a TEXT column that no index serves (`!=`): tested on dictionary codes.
    const textSql = "SELECT COUNT(*) AS n, SUM(qty) AS q FROM items WHERE status != 'new'";
    const textStmt = sqlite.prepare(textSql);
    const sqliteText = measureRun(
      N,
      5,
      () => {},
      () => {
        textStmt.all();
      },
    );
    const sqlText = measureRun(
      N,
      5,
      () => {},
      () => {
        cur.execute(textSql).fetchAll();
      },
    );
    results.push({
      workload: "COUNT(*), SUM(qty) WHERE status != 'new' (rows/s)",
      sqlite: sqliteText,
      sql: sqlText,
      typed: null,
    });

    // 7. Per-call overhead of re-executing a cached statement (the cheapest possible query).
    const overheadStmt = sqlite.prepare('SELECT id FROM items WHERE id = ?').raw(true);
    const sqliteCall = measureOps('sqlite call', () => {
      overheadStmt.get(1);
    });
    const sqlCall = measureOps('mv sql call', () => {
      cur.execute('SELECT id FROM items WHERE id = ?', [1]).fetchOne();
    });
    results.push({
      workload: 'cached statement re-execute + fetchOne (calls/s)',
      sqlite: sqliteCall,
      sql: sqlCall,
      typed: null,
    });
    const overheadUs = (1 / sqlCall.opsPerSec - 1 / sqliteCall.opsPerSec) * 1e6;
    console.log(`per-call overhead vs better-sqlite3: ${overheadUs.toFixed(2)} µs (target ≤ 2 µs)`);

    // 8. fetchMany(k) throughput on the SQL path: rows delivered per second for k = 10, 100, 1000.
    for (const k of [10, 100, 1000]) {
      const f = measureRun(
        N,
        3,
        () => {},
        () => {
          cur.execute('SELECT id, qty FROM items');
          for (let batch = cur.fetchMany(k); batch.length > 0; batch = cur.fetchMany(k)) {
            /* drain */
          }
        },
      );
      const sf = measureRun(
        N,
        3,
        () => {},
        () => {
          for (const _row of sqlite.prepare('SELECT id, qty FROM items').raw(true).iterate()) {
            /* drain */
          }
        },
      );
      results.push({ workload: `fetchMany(${k}) over all rows (rows/s)`, sqlite: sf, sql: f, typed: null });
    }
    // 9. Functions and arithmetic in the select list over an indexed equality (issue 12).
    i = 0;
    const fnSql = 'SELECT lower(sku), price * qty FROM items WHERE qty = ?';
    const fnStmt = sqlite.prepare(fnSql).raw(true);
    const sqliteFn = measureOps('sqlite fn', () => {
      fnStmt.all(qtys[i++ & 0xffff]);
    });
    i = 0;
    const sqlFn = measureOps('mv sql fn', () => {
      cur.execute(fnSql, [qtys[i++ & 0xffff]]).fetchAll();
    });
    results.push({
      workload: 'SELECT lower(sku), price * qty … WHERE qty = ? (queries/s)',
      sqlite: sqliteFn,
      sql: sqlFn,
      typed: null,
    });

    // 10. UPSERT-heavy writes: random ids over twice the table, so about half update a row and
    // half insert one; 1,000 statements per transaction.
    const upsertSql = `${INSERT_ITEM} ON CONFLICT (id) DO UPDATE SET qty = qty + excluded.qty, price = excluded.price`;
    const upsertIds = randomIds(2 * N, 1 << 16, 11);
    const upsertRow = (k: number): ParamRow => {
      const id = upsertIds[k & 0xffff];
      // A new row's keys are the ones it would have had in the table: unique, random order.
      return [id, skuFor(id), uuidFor(id), k % 1000, (k % 10000) / 100, 'new', 'upserted'];
    };
    const upsertStmt = sqlite.prepare(upsertSql);
    let u = 0;
    const sqliteUpsert = measureRun(
      1000,
      5,
      () => {},
      () => {
        sqlite.transaction(() => {
          for (let k = 0; k < 1000; k++) upsertStmt.run(...upsertRow(u++));
        })();
      },
    );
    u = 0;
    const sqlUpsert = measureRun(
      1000,
      5,
      () => {},
      () => {
        for (let k = 0; k < 1000; k++) cur.execute(upsertSql, upsertRow(u++));
        conn.commit();
      },
    );
    results.push({
      workload: 'UPSERT … ON CONFLICT DO UPDATE, ~half updates, 1,000 per commit (rows/s)',
      sqlite: sqliteUpsert,
      sql: sqlUpsert,
      typed: null,
    });
    // 10b. UPDATE by primary key: random existing rows, a number column and the indexed `qty`
    // (its index entry moves), 1,000 statements per transaction.
    const updateSql = 'UPDATE items SET qty = ?, price = ? WHERE id = ?';
    const updateIds = randomIds(N, 1 << 16, 13);
    const updateStmt = sqlite.prepare(updateSql);
    let w = 0;
    const sqliteUpdate = measureRun(
      1000,
      5,
      () => {},
      () => {
        sqlite.transaction(() => {
          for (let k = 0; k < 1000; k++, w++) updateStmt.run(w % 1000, (w % 997) / 10, updateIds[w & 0xffff]);
        })();
      },
    );
    w = 0;
    const sqlUpdate = measureRun(
      1000,
      5,
      () => {},
      () => {
        for (let k = 0; k < 1000; k++, w++)
          cur.execute(updateSql, [w % 1000, (w % 997) / 10, updateIds[w & 0xffff]]);
        conn.commit();
      },
    );
    results.push({
      workload: 'UPDATE … SET qty = ?, price = ? WHERE id = ?, 1,000 per commit (rows/s)',
      sqlite: sqliteUpdate,
      sql: sqlUpdate,
      typed: null,
    });
    // 11. Composite-index lookup: equality on both columns of a two-column index, rows inserted in
    // random key order (customer, day), ~N/2000 rows per answer.
    const orderDdl = [
      'CREATE TABLE IF NOT EXISTS orders (id INTEGER PRIMARY KEY, customer INTEGER, day INTEGER, amount REAL)',
      'CREATE INDEX IF NOT EXISTS orders_customer_day ON orders (customer, day)',
    ];
    const customers = Math.max(1, Math.floor(N / 100));
    {
      // In a block: the rows are not kept alive through the measurements (see the items above).
      const orderRng = rng(5);
      const orderRows = Array.from({ length: N }, (_v, k) => [
        k + 1,
        Math.floor(orderRng() * customers),
        Math.floor(orderRng() * 20),
        Math.round(orderRng() * 10000) / 100,
      ]);
      for (const q of orderDdl) sqlite.exec(q);
      const orderIns = sqlite.prepare('INSERT INTO orders VALUES (?, ?, ?, ?)');
      sqlite.transaction(() => {
        for (const r of orderRows) orderIns.run(...r);
      })();
      for (const q of orderDdl) conn.execute(q);
      conn.executeMany('INSERT INTO orders VALUES (?, ?, ?, ?)', orderRows);
      conn.commit();
      // The typed API's database holds the same table (as better-sqlite3's file does).
      mv.registerCollection(
        'orders',
        [
          { path: 'id', type: 'int64' },
          { path: 'customer', type: 'int64' },
          { path: 'day', type: 'int64' },
          { path: 'amount', type: 'float64' },
        ],
        'id',
        [{ name: 'orders_customer_day', paths: ['customer', 'day'], kind: 'index' }],
      );
      mv.transaction(() => {
        for (const [id, customer, day, amount] of orderRows)
          mv.insert('orders', { id, customer, day, amount });
      });
    }
    const probes = randomIds(customers, 1 << 16, 13).map((c, k) => [c - 1, k % 20]);
    const compositeSql = 'SELECT * FROM orders WHERE customer = ? AND day = ?';
    const compositeStmt = sqlite.prepare(compositeSql);
    i = 0;
    const sqliteComposite = measureOps('sqlite composite', () => {
      compositeStmt.all(...probes[i++ & 0xffff]);
    });
    i = 0;
    const compositeRaw = sqlite.prepare(compositeSql).raw(true);
    const sqliteCompositeRaw = measureOps('sqlite composite raw', () => {
      compositeRaw.all(...probes[i++ & 0xffff]);
    });
    i = 0;
    const sqlComposite = measureOps('mv sql composite', () => {
      cur.execute(compositeSql, probes[i++ & 0xffff]).fetchAll();
    });
    i = 0;
    const typedComposite = measureOps('mv composite', () => {
      const [customer, day] = probes[i++ & 0xffff];
      mv.collection('orders').where('customer', customer).where('day', day).all();
    });
    results.push({
      workload: 'composite index (customer, day): customer = ? AND day = ? (queries/s)',
      sqlite: sqliteComposite,
      sqliteRaw: sqliteCompositeRaw,
      sql: sqlComposite,
      typed: typedComposite,
    });
    conn.close();

    sqlite.close();
    mv.close();
  }
  // 9. Open + first query on a 1M-row file (fresh process each, cold caches).
  if (want('open1m') && !process.argv.includes('--no-open1m')) {
    const big = build(dir, 1_000_000);
    const mvOpen = probeInChild('mv', big.mv, 1_000_000);
    const sqOpen = probeInChild('sqlite', big.sqlite, 1_000_000);
    const asFigure = (ms: number): Figure => ({ opsPerSec: 1000 / ms, spreadPct: 0, samples: 1 });
    results.push({
      workload: 'open + first point get, 1M-row file (opens/s)',
      sqlite: asFigure(sqOpen.openMs),
      sql: null,
      typed: asFigure(mvOpen.openMs),
    });
    console.log(
      `open + first query on 1M rows: ModelVault ${mvOpen.openMs.toFixed(0)} ms, better-sqlite3 ${sqOpen.openMs.toFixed(1)} ms`,
    );
    fs.rmSync(big.mv, { force: true });
    fs.rmSync(big.sqlite, { force: true });
  }

  if (want('durable')) {
    // 10. Autocommit durable single-row inserts: every commit is fsynced before it returns.
    // Keys above every id the earlier workloads wrote (the UPSERT one reaches 2N).
    const durableRows = makeItems(300, 99).map((r, k) => ({ ...r, sku: `D-${k}` }));
    const durableId = (d: number): number => 3 * N + 1 + d;
    // All three open at once, their samples taken in turn (measureInterleaved): the disk's
    // latency drifts by more than the differences measured here.
    const dSqlite = openSqlite(sqliteFile);
    const dStmt = dSqlite.prepare(INSERT_ITEM);
    const dConn = connect(mvSqlFile, { autocommit: true });
    const dCur = dConn.cursor();
    const dDb = openMv(mvFile);
    const next = { sqlite: 0, sql: 0, typed: 0 };
    const durable = measureInterleaved(DURABLE_COMMITS, 7, {
      sqlite: () => {
        for (let k = 0; k < DURABLE_COMMITS; k++) {
          const d = next.sqlite++;
          const r = durableRows[d % durableRows.length];
          dStmt.run(durableId(d), `${r.sku}-${d}`, `${r.uuid}-${d}`, r.qty, r.price, r.status, r.note);
        }
      },
      sql: () => {
        for (let k = 0; k < DURABLE_COMMITS; k++) {
          const d = next.sql++;
          const r = durableRows[d % durableRows.length];
          dCur.execute(INSERT_ITEM, [
            durableId(d),
            `${r.sku}-${d}`,
            `${r.uuid}-${d}`,
            r.qty,
            r.price,
            r.status,
            r.note,
          ]);
        }
      },
      typed: () => {
        for (let k = 0; k < DURABLE_COMMITS; k++) {
          const d = next.typed++;
          const r = durableRows[d % durableRows.length];
          dDb.insert('items', {
            ...r,
            id: durableId(d),
            sku: `${r.sku}-${d}`,
            uuid: `${r.uuid}-${d}`,
          } as unknown as Record<string, unknown>);
        }
      },
    });
    dSqlite.close();
    dConn.close();
    dDb.close();
    const sqliteDurable = durable.sqlite;
    const sqlDurable = durable.sql;
    const typedDurable = durable.typed;
    results.push({
      workload: 'autocommit durable single-row inserts (commits/s)',
      sqlite: sqliteDurable,
      sql: sqlDurable,
      typed: typedDurable,
    });
  }

  // 11. Window function: first order per customer (bench/window.ts).
  if (want('window')) results.push(benchWindow(N, dir, CACHE_BYTES));

  // 12. File sizes of the N-row databases (smaller is better: shown as bytes per row).
  const sizeOf = (f: string): number => (fs.existsSync(f) ? fs.statSync(f).size : 0);
  const sizes = {
    sqlite: sizeOf(sqliteFile) + sizeOf(`${sqliteFile}-wal`),
    modelvault: sizeOf(mvFile),
  };
  console.log(
    `file size after the run: better-sqlite3 ${(sizes.sqlite / 1048576).toFixed(1)} MiB, ModelVault ${(sizes.modelvault / 1048576).toFixed(1)} MiB`,
  );

  printTable(results);
  console.log(`peak RSS of this run: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
  const out = path.join(
    __dirname,
    '..',
    '..',
    'bench',
    'results',
    `bench-${N}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`,
  );
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(
    out,
    JSON.stringify(
      {
        n: N,
        node: process.version,
        cpus: os.cpus().map((c) => c.model),
        date: new Date().toISOString(),
        sizes,
        peakRssKiB: process.resourceUsage().maxRSS,
        results,
      },
      null,
      2,
    ),
  );
  console.log(`\nwrote ${path.relative(process.cwd(), out)}`);
  if (ONLY.length === 0) {
    const svg = path.join(__dirname, '..', '..', 'docs', 'performance.svg');
    fs.writeFileSync(svg, renderChart(results, `N = ${N}, ${new Date().toISOString().slice(0, 10)}`));
    console.log(`wrote ${path.relative(process.cwd(), svg)}`);
  }
  fs.rmSync(dir, { recursive: true, force: true });
}

function printTable(results: Result[]): void {
  const header = [
    'workload',
    'better-sqlite3',
    'better-sqlite3 raw',
    'ModelVault SQL',
    'ratio SQL',
    'ModelVault typed',
    'ratio typed',
  ];
  // SQL rows are tuples: their ratio is against better-sqlite3's arrays where it was measured.
  const lines = results.map((r) => [
    r.workload,
    fmt(r.sqlite),
    fmt(r.sqliteRaw ?? null),
    fmt(r.sql),
    ratio(r.sql, r.sqliteRaw ?? r.sqlite),
    fmt(r.typed),
    ratio(r.typed, r.sqlite),
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...lines.map((l) => l[c].length)));
  const row = (cells: string[]): string => cells.map((x, c) => x.padEnd(widths[c])).join(' | ');
  console.log(`\n${row(header)}\n${widths.map((w) => '-'.repeat(w)).join('-|-')}`);
  for (const l of lines) console.log(row(l));
}

main();
