/**
 * `npm run bench:joins [-- --n 1000000]`: the two-table workload of issue 13 — `customers` (n/10
 * rows) and `orders` (n rows, an index on `customer_id`) — on ModelVault SQL and better-sqlite3
 * in the same process: a point join by customer id, a filtered join with ORDER BY … LIMIT 50, a
 * join + GROUP BY over all orders, an `IN (SELECT …)` semi-join, a page of the newest orders with
 * their customers (keyset: `WHERE o.id < ? ORDER BY o.id DESC LIMIT 20`), and the first order per customer
 * by `row_number() OVER (PARTITION BY customer_id ORDER BY created_at)`. Prints ops/s, the ratio (ModelVault ÷ SQLite, above 1.0 =
 * ModelVault faster) and the plan ModelVault chose for each. Both engines get the same 256 MiB.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { connect } from '../src/index';
import type { Connection } from '../src/index';
import { fmt, measureOps, ratio } from './harness';
import type { Figure } from './harness';
import { arg, rng } from './data';

const N = Number(arg('n', '1000000'));
const CUSTOMERS = Math.max(10, Math.floor(N / 10));
const REGIONS = ['north', 'south', 'east', 'west', 'central'];
const CACHE_BYTES = 256 * 1024 * 1024;

const DDL = [
  'CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT, region TEXT)',
  'CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers (id), total REAL, created_at INTEGER)',
  'CREATE INDEX orders_customer ON orders (customer_id)',
];

const WORKLOADS: { name: string; sql: string; param: (r: () => number) => unknown[] }[] = [
  {
    name: 'point join by customer id',
    sql: 'SELECT c.name, o.id, o.total FROM customers c JOIN orders o ON o.customer_id = c.id WHERE c.id = ?',
    param: (r) => [1 + Math.floor(r() * CUSTOMERS)],
  },
  {
    name: 'filtered join, ORDER BY … LIMIT 50',
    sql: 'SELECT o.id, c.name, o.total FROM orders o JOIN customers c ON c.id = o.customer_id WHERE c.region = ? AND o.total > 990 ORDER BY o.total DESC LIMIT 50',
    param: (r) => [REGIONS[Math.floor(r() * REGIONS.length)]],
  },
  {
    name: 'join + GROUP BY over all orders',
    sql: 'SELECT c.region, count(*), sum(o.total) FROM orders o JOIN customers c ON c.id = o.customer_id GROUP BY c.region',
    param: () => [],
  },
  {
    name: 'IN (SELECT …) semi-join',
    sql: 'SELECT count(*), sum(total) FROM orders WHERE customer_id IN (SELECT id FROM customers WHERE region = ?)',
    param: (r) => [REGIONS[Math.floor(r() * REGIONS.length)]],
  },
  {
    name: 'newest orders with their customers, ORDER BY o.id DESC LIMIT 20',
    sql: 'SELECT o.id, o.total, c.name FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.id < ? ORDER BY o.id DESC LIMIT 20',
    param: (r) => [1 + Math.floor(r() * N)],
  },
  {
    name: 'row_number() top-1 per customer',
    sql: 'SELECT id, customer_id, created_at FROM (SELECT id, customer_id, created_at, row_number() OVER (PARTITION BY customer_id ORDER BY created_at) AS rn FROM orders) WHERE rn = 1',
    param: () => [],
  },
];

interface Data {
  customers: [number, string, string][];
  orders: [number, number, number, number][];
}

function makeData(): Data {
  const r = rng(20261202);
  const customers: Data['customers'] = [];
  for (let i = 1; i <= CUSTOMERS; i++) customers.push([i, `cust-${i}`, REGIONS[i % REGIONS.length]]);
  const orders: Data['orders'] = [];
  for (let i = 1; i <= N; i++)
    orders.push([
      i,
      1 + Math.floor(r() * CUSTOMERS),
      Math.round(r() * 100000) / 100,
      1_700_000_000 + Math.floor(r() * 10_000_000),
    ]);
  return { customers, orders };
}

function loadSqlite(file: string, d: Data): BetterSqlite3.Database {
  const db = new BetterSqlite3(file);
  db.pragma('journal_mode = WAL');
  db.pragma(`cache_size = -${CACHE_BYTES / 1024}`);
  db.pragma('mmap_size = 268435456');
  for (const sql of DDL) db.exec(sql);
  const c = db.prepare('INSERT INTO customers VALUES (?, ?, ?)');
  const o = db.prepare('INSERT INTO orders VALUES (?, ?, ?, ?)');
  db.transaction(() => {
    for (const row of d.customers) c.run(row);
    for (const row of d.orders) o.run(row);
  })();
  return db;
}

function loadMv(file: string, d: Data): Connection {
  const conn = connect(file, { cacheBytes: CACHE_BYTES });
  // The same DDL: ModelVault enforces the foreign key (SQLite, by default, does not).
  for (const sql of DDL) conn.execute(sql);
  conn.commit();
  const cur = conn.cursor();
  cur.executeMany('INSERT INTO customers VALUES (?, ?, ?)', d.customers);
  cur.executeMany('INSERT INTO orders VALUES (?, ?, ?, ?)', d.orders);
  conn.commit();
  return conn;
}

function main(): void {
  console.log(`ModelVault join bench: ${CUSTOMERS} customers, ${N} orders, node ${process.version}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modelvault-joins-'));
  try {
    const data = makeData();
    const sqlite = loadSqlite(path.join(dir, 'joins.sqlite'), data);
    const mv = loadMv(path.join(dir, 'joins.mv'), data);
    const rows: string[][] = [];
    for (const w of WORKLOADS) {
      const rs = rng(7);
      const rm = rng(7);
      const stmt = sqlite.prepare(w.sql);
      const cur = mv.cursor();
      // Same answers first: the bench must compare equal work.
      const probe = w.param(rng(3));
      const a = stmt.raw(true).all(...probe).length;
      const b = cur.execute(w.sql, probe).fetchAll().length;
      if (a !== b) throw new Error(`${w.name}: ${a} rows from SQLite, ${b} from ModelVault`);
      const maxTime = /GROUP BY|row_number/.test(w.name) ? 3 : 1.5;
      const s: Figure = measureOps(`sqlite ${w.name}`, () => stmt.raw(true).all(...w.param(rs)), maxTime);
      const m: Figure = measureOps(`mv ${w.name}`, () => cur.execute(w.sql, w.param(rm)).fetchAll(), maxTime);
      const plan = cur
        .execute(`EXPLAIN ${w.sql}`, probe)
        .fetchAll()
        .map((r) => String((r as unknown[])[0]).trim())
        .filter((l) => /Join|Lookup|Scan/.test(l))
        .join(' / ');
      rows.push([w.name, fmt(s), fmt(m), ratio(m, s), plan]);
    }
    sqlite.close();
    mv.close();
    const header = ['workload', 'better-sqlite3', 'ModelVault SQL', 'ratio', 'ModelVault plan'];
    const widths = header.map((h, c) => Math.max(h.length, ...rows.map((l) => l[c].length)));
    const line = (cells: string[]): string => cells.map((x, c) => x.padEnd(widths[c])).join(' | ');
    console.log(`\n${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('-|-')}`);
    for (const r of rows) console.log(line(r));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main();
