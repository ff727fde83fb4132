/**
 * `npm run bench:decorrelate [-- --n 200000]`: correlated subqueries over `customers` (n/10 rows)
 * and `orders` (n rows; `customer_id` indexed, `ship_to` not), each query timed with ModelVault's
 * decorrelation on and off and on better-sqlite3, in one process, alternating, median of the
 * samples. Prints the medians, the ratios (ModelVault ÷ SQLite time: below 1.0 = ModelVault
 * faster) and the plan line each form shows in EXPLAIN.
 */
import BetterSqlite3 from 'better-sqlite3';
import { connect } from '../src/index';
import { setCorrelatedFormForTests, setDecorrelationForTests } from '../planner/decorrelate';
import { arg, rng } from './data';

const N = Number(arg('n', '200000'));
const SAMPLES = Number(arg('samples', '5'));
const CUSTOMERS = Math.max(10, Math.floor(N / 10));

const DDL = [
  'CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT, region INTEGER)',
  'CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER, ship_to INTEGER, total REAL, tag INTEGER)',
  'CREATE INDEX orders_customer ON orders (customer_id)',
];

const QUERIES: { name: string; sql: string; force?: 'hashed' }[] = [
  {
    name: 'scalar count(*), indexed key',
    sql: 'SELECT c.id, (SELECT count(*) FROM orders o WHERE o.customer_id = c.id) FROM customers c',
  },
  {
    name: 'same, grouped form forced',
    sql: 'SELECT c.id, (SELECT count(*) FROM orders o WHERE o.customer_id = c.id) FROM customers c',
    force: 'hashed',
  },
  {
    name: 'same, 100 outer rows, grouped forced',
    sql: 'SELECT c.id, (SELECT count(*) FROM orders o WHERE o.customer_id = c.id) FROM customers c WHERE c.id <= 100',
    force: 'hashed',
  },
  {
    name: 'same, 100 outer rows',
    sql: 'SELECT c.id, (SELECT count(*) FROM orders o WHERE o.customer_id = c.id) FROM customers c WHERE c.id <= 100',
  },
  {
    name: 'scalar max(), unindexed key, 100 outer rows',
    sql: 'SELECT c.id, (SELECT max(o.total) FROM orders o WHERE o.ship_to = c.id) FROM customers c WHERE c.id <= 100',
  },
  {
    name: 'scalar lookup, repeated keys',
    sql: 'SELECT o.id, (SELECT c.name FROM customers c WHERE c.id = o.customer_id) FROM orders o WHERE o.id <= 50000',
  },
  {
    name: 'scalar group_concat, unindexed, repeated keys',
    sql: 'SELECT o.id, (SELECT group_concat(c.id) FROM customers c WHERE c.region = o.tag) FROM orders o WHERE o.id <= 300',
  },
  {
    name: 'correlated IN, indexed key',
    sql: 'SELECT count(*) FROM customers c WHERE c.region IN (SELECT o.tag FROM orders o WHERE o.customer_id = c.id)',
  },
  {
    name: 'same, SemiJoin forced',
    sql: 'SELECT count(*) FROM customers c WHERE c.region IN (SELECT o.tag FROM orders o WHERE o.customer_id = c.id)',
    force: 'hashed',
  },
  {
    name: 'correlated IN, unindexed key, 100 outer rows',
    sql: 'SELECT count(*) FROM customers c WHERE c.id <= 100 AND c.region IN (SELECT o.tag FROM orders o WHERE o.ship_to = c.id)',
  },
  {
    name: 'correlated EXISTS, indexed key (SemiJoin)',
    sql: 'SELECT count(*) FROM customers c WHERE EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id AND o.tag = 3)',
  },
  {
    name: 'correlated NOT IN, indexed key',
    sql: 'SELECT count(*) FROM customers c WHERE c.region NOT IN (SELECT o.tag FROM orders o WHERE o.customer_id = c.id)',
  },
];

function time(fn: () => unknown): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function main(): void {
  console.log(`decorrelation bench: ${CUSTOMERS} customers, ${N} orders, node ${process.version}`);
  const r = rng(20261202);
  const customers: unknown[][] = [];
  for (let i = 1; i <= CUSTOMERS; i++) customers.push([i, `cust-${i}`, i % 7]);
  const orders: unknown[][] = [];
  for (let i = 1; i <= N; i++) {
    const tag = r() < 0.02 ? null : Math.floor(r() * 7);
    orders.push([
      i,
      1 + Math.floor(r() * CUSTOMERS),
      1 + Math.floor(r() * CUSTOMERS),
      Math.round(r() * 1e5) / 100,
      tag,
    ]);
  }
  const sqlite = new BetterSqlite3(':memory:');
  for (const sql of DDL) sqlite.exec(sql);
  const ci = sqlite.prepare('INSERT INTO customers VALUES (?, ?, ?)');
  const oi = sqlite.prepare('INSERT INTO orders VALUES (?, ?, ?, ?, ?)');
  sqlite.transaction(() => {
    for (const row of customers) ci.run(row);
    for (const row of orders) oi.run(row);
  })();
  const mv = connect(':memory:');
  for (const sql of DDL) mv.execute(sql);
  const cur = mv.cursor();
  cur.executeMany('INSERT INTO customers VALUES (?, ?, ?)', customers);
  cur.executeMany('INSERT INTO orders VALUES (?, ?, ?, ?, ?)', orders);
  mv.commit();
  const rows: string[][] = [];
  for (const q of QUERIES) {
    const stmt = sqlite.prepare(q.sql).raw(true);
    const run = (on: boolean) => (): unknown => {
      setDecorrelationForTests(on);
      setCorrelatedFormForTests(on && q.force ? q.force : 'auto');
      // Other SQL text per form: the connection caches a statement's plan by its text.
      return cur.execute(`/* ${on ? 'on' : 'off'} */ ${q.sql}`).fetchAll();
    };
    const plan = (on: boolean): string => {
      setDecorrelationForTests(on);
      setCorrelatedFormForTests(on && q.force ? q.force : 'auto');
      return cur
        .execute(`EXPLAIN ${q.sql}`)
        .fetchAll()
        .map((x) => String((x as unknown[])[0]).trim())
        .filter((l) => /Join|Subquery #/.test(l))
        .join(' / ');
    };
    const expect = JSON.stringify(stmt.all());
    for (const on of [false, true])
      if (JSON.stringify(run(on)()) !== expect)
        throw new Error(`${q.name}: answers differ (decorrelation ${on})`);
    const t: Record<'sqlite' | 'off' | 'on', number[]> = { sqlite: [], off: [], on: [] };
    for (let i = 0; i < SAMPLES; i++) {
      t.sqlite.push(time(() => stmt.all()));
      t.off.push(time(run(false)));
      t.on.push(time(run(true)));
    }
    const s = median(t.sqlite);
    const off = median(t.off);
    const on = median(t.on);
    rows.push([
      q.name,
      s.toFixed(1),
      off.toFixed(1),
      on.toFixed(1),
      (off / s).toFixed(2),
      (on / s).toFixed(2),
      plan(true) || '(per row)',
    ]);
  }
  setDecorrelationForTests(true);
  setCorrelatedFormForTests('auto');
  sqlite.close();
  mv.close();
  const header = ['query', 'sqlite ms', 'off ms', 'on ms', 'off/sqlite', 'on/sqlite', 'plan (on)'];
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((l) => l[c].length)));
  const line = (cells: string[]): string => cells.map((x, c) => x.padEnd(widths[c])).join(' | ');
  console.log(`\n${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('-|-')}`);
  for (const row of rows) console.log(line(row));
}

main();
