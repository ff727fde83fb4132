/**
 * Join order from cardinality estimates (planner/join-order.ts) and ANALYZE: a selective filter
 * on the second table of a join turns the loop round (counted in rows read, not timed); every
 * reordered plan returns the bag SQLite returns; ANALYZE's figures equal SQLite's sqlite_stat1
 * and survive reopen, checkpoint and compaction; CROSS JOIN keeps its written order.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import fc from 'fast-check';
import { connect } from '../../src/index';
import type { Connection } from '../../src/index';
import { explain } from '../helpers/explain';
import { setJoinReorderForTests } from '../../planner/join-order';
import { QueryError } from '../../src/errors';

const DDL = [
  'CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT, region TEXT)',
  'CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER, total REAL)',
  'CREATE INDEX orders_customer ON orders (customer_id)',
];

function load(conn: Connection, sqlite: BetterSqlite3.Database, customers: number, orders: number): void {
  const cur = conn.cursor();
  for (const sql of DDL) {
    cur.execute(sql);
    sqlite.exec(sql);
  }
  const c = Array.from({ length: customers }, (_, i) => [
    i + 1,
    `cust-${i + 1}`,
    ['n', 's', 'e', 'w'][i % 4],
  ]);
  const o = Array.from({ length: orders }, (_, i) => [i + 1, 1 + ((i * 7919) % customers), (i * 31) % 1000]);
  cur.executeMany('INSERT INTO customers VALUES (?, ?, ?)', c);
  cur.executeMany('INSERT INTO orders VALUES (?, ?, ?)', o);
  conn.commit();
  const ic = sqlite.prepare('INSERT INTO customers VALUES (?, ?, ?)');
  const io = sqlite.prepare('INSERT INTO orders VALUES (?, ?, ?)');
  sqlite.transaction(() => {
    for (const r of c) ic.run(r);
    for (const r of o) io.run(r);
  })();
}

const bag = (rows: readonly unknown[]): string[] => rows.map((r) => JSON.stringify(r)).sort();

describe('join order from estimates', () => {
  let conn: Connection;
  let sqlite: BetterSqlite3.Database;
  beforeAll(() => {
    conn = connect(':memory:');
    sqlite = new BetterSqlite3(':memory:');
    load(conn, sqlite, 2000, 20000);
  });
  afterAll(() => {
    conn.close();
    sqlite.close();
  });

  const selective =
    'SELECT o.id, c.name, o.total FROM orders o JOIN customers c ON c.id = o.customer_id WHERE c.name = ?';

  test('a selective filter on the written-second table drives the loop', () => {
    const plan = explain(conn, selective, ['cust-7']);
    // customers is scanned (and filtered) first, orders probed through its index.
    expect(plan).toMatch(/IndexNestedLoopJoin inner orders using orders_customer/);
    expect(plan).toMatch(/CollectionScan customers/);
    expect(plan).toMatch(/Project orders\.\*, customers\.\*/);
    const cur = conn.cursor();
    const rows = cur.execute(selective, ['cust-7']).fetchAll();
    expect(bag(rows)).toEqual(bag(sqlite.prepare(selective).raw(true).all('cust-7') as unknown[][]));
    expect(rows.length).toBe(10);
    // 2,000 customers scanned and 10 orders fetched, against 20,000 orders in the written order.
    expect(cur.executionStats?.rowsRead).toBeLessThan(2100);
  });

  test('the written order stands when it is as cheap', () => {
    const sql = 'SELECT c.name, o.id FROM customers c JOIN orders o ON o.customer_id = c.id WHERE c.id = ?';
    const plan = explain(conn, sql, [5]);
    expect(plan).not.toMatch(/Project customers\.\*/);
    expect(plan).toMatch(/PrimaryKeyLookup customers/);
  });

  test('CROSS JOIN keeps the written loop order, as in SQLite', () => {
    const sql =
      'SELECT o.id, c.name FROM orders o CROSS JOIN customers c WHERE c.id = o.customer_id AND c.name = ?';
    const plan = explain(conn, sql, ['cust-7']);
    expect(plan).not.toMatch(/Project orders\.\*/);
    expect(plan).toMatch(/CollectionScan orders/);
    const rows = conn.cursor().execute(sql, ['cust-7']).fetchAll();
    expect(bag(rows)).toEqual(bag(sqlite.prepare(sql).raw(true).all('cust-7') as unknown[][]));
  });

  test('three tables: the filtered one first, then each probed', () => {
    const cur = conn.cursor();
    cur.execute('CREATE TABLE regions (code TEXT PRIMARY KEY, label TEXT)');
    sqlite.exec('CREATE TABLE regions (code TEXT PRIMARY KEY, label TEXT)');
    for (const [code, label] of [
      ['n', 'North'],
      ['s', 'South'],
      ['e', 'East'],
      ['w', 'West'],
    ]) {
      cur.execute('INSERT INTO regions VALUES (?, ?)', [code, label]);
      sqlite.prepare('INSERT INTO regions VALUES (?, ?)').run(code, label);
    }
    conn.commit();
    const sql =
      'SELECT o.id, c.name, r.label FROM orders o JOIN customers c ON c.id = o.customer_id JOIN regions r ON r.code = c.region WHERE c.name IN (?, ?)';
    const rows = cur.execute(sql, ['cust-3', 'cust-9']).fetchAll();
    expect(bag(rows)).toEqual(bag(sqlite.prepare(sql).raw(true).all('cust-3', 'cust-9') as unknown[][]));
    expect(cur.executionStats?.rowsRead).toBeLessThan(2100);
  });
});

test('a cached join statement is planned again once its tables have grown', () => {
  const conn = connect(':memory:');
  const sqlite = new BetterSqlite3(':memory:');
  try {
    const cur = conn.cursor();
    for (const sql of DDL) cur.execute(sql);
    conn.commit();
    const sql = 'SELECT o.id FROM orders o JOIN customers c ON c.id = o.customer_id WHERE c.name = ?';
    // Planned (and cached) while both tables are empty: the written order.
    expect(cur.execute(sql, ['cust-7']).fetchAll()).toEqual([]);
    conn.rollback();
    for (const t of ['orders', 'customers']) cur.execute(`DROP TABLE ${t}`);
    conn.commit();
    load(conn, sqlite, 2000, 20000);
    expect(cur.execute(sql, ['cust-7']).fetchAll()).toHaveLength(10);
    expect(cur.executionStats?.rowsRead).toBeLessThan(2100);
  } finally {
    conn.close();
    sqlite.close();
  }
});

test('growth alone (no DDL in between) also re-plans the cached statement', () => {
  const conn = connect(':memory:');
  try {
    const cur = conn.cursor();
    for (const sql of DDL) cur.execute(sql);
    cur.execute('INSERT INTO customers VALUES (1, ?, ?)', ['cust-1', 'n']);
    conn.commit();
    const sql = 'SELECT o.id FROM orders o JOIN customers c ON c.id = o.customer_id WHERE c.name = ?';
    expect(cur.execute(sql, ['cust-7']).fetchAll()).toEqual([]);
    const c = Array.from({ length: 1999 }, (_, i) => [i + 2, `cust-${i + 2}`, 'n']);
    const o = Array.from({ length: 20000 }, (_, i) => [i + 1, 1 + ((i * 7919) % 2000), i % 1000]);
    cur.executeMany('INSERT INTO customers VALUES (?, ?, ?)', c);
    cur.executeMany('INSERT INTO orders VALUES (?, ?, ?)', o);
    conn.commit();
    expect(cur.execute(sql, ['cust-7']).fetchAll()).toHaveLength(10);
    expect(cur.executionStats?.rowsRead).toBeLessThan(2100);
  } finally {
    conn.close();
  }
});

describe('every reordered plan returns SQLite’s bag', () => {
  afterEach(() => setJoinReorderForTests(null));

  const tables = ['a', 'b', 'c', 'd'];
  const TERMS = [
    'a.k = b.k',
    'b.k = c.k',
    'c.id = a.v',
    'b.v = d.k',
    'a.id = d.v',
    'c.v = d.id',
    'a.v < c.v',
    'b.v IS NULL',
    'd.k = 2',
    'a.k + 1 = c.v',
  ];

  test('random 3- and 4-table inner joins, reordering at any gain', () => {
    // Reorder whenever the estimate says cheaper, so small tables exercise every order.
    setJoinReorderForTests({ minWork: 0, minGain: 1 });
    let reordered = 0;
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 30 }), { minLength: 4, maxLength: 4 }),
        fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
        fc.integer({ min: 3, max: 4 }),
        fc.subarray(TERMS, { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        (sizes, indexed, n, terms, seed) => {
          const conn = connect(':memory:');
          const sqlite = new BetterSqlite3(':memory:');
          try {
            let s = seed;
            const r = (m: number): number | null => {
              s = (s * 1103515245 + 12345) % 2147483648;
              return s % 7 === 0 ? null : s % m;
            };
            const cur = conn.cursor();
            tables.forEach((t, i) => {
              const ddl = [`CREATE TABLE ${t} (id INTEGER PRIMARY KEY, k INTEGER, v INTEGER)`];
              if (indexed[i]) ddl.push(`CREATE INDEX ${t}_k ON ${t} (k)`);
              for (const sql of ddl) {
                cur.execute(sql);
                sqlite.exec(sql);
              }
              const rows = Array.from({ length: sizes[i] }, (_, j) => [j + 1, r(5), r(8)]);
              if (rows.length > 0) {
                cur.executeMany(`INSERT INTO ${t} VALUES (?, ?, ?)`, rows);
                const ins = sqlite.prepare(`INSERT INTO ${t} VALUES (?, ?, ?)`);
                for (const row of rows) ins.run(row);
              }
            });
            conn.commit();
            const used = tables.slice(0, n);
            const where = terms.filter((t) =>
              [...t.matchAll(/\b([a-d])\./g)].every((m) => used.includes(m[1])),
            );
            const sql = `SELECT * FROM ${used.join(' JOIN ')}${where.length ? ` WHERE ${where.join(' AND ')}` : ''}`;
            if (/Project [a-d]\.\*/.test(explain(conn, sql))) reordered++;
            const ours = cur.execute(sql).fetchAll();
            expect({ sql, rows: bag(ours) }).toEqual({
              sql,
              rows: bag(sqlite.prepare(sql).raw(true).all() as unknown[][]),
            });
          } finally {
            conn.close();
            sqlite.close();
          }
        },
      ),
      { seed: 1313, numRuns: 200 },
    );
    // The property is about reordered plans: enough of the runs must have been reordered.
    expect(reordered).toBeGreaterThan(40);
  });
});

describe('ANALYZE', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mv-analyze-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const SCHEMA = [
    'CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT, c INTEGER, u TEXT UNIQUE, n INTEGER)',
    'CREATE INDEX tb ON t (b, c)',
    'CREATE INDEX tn ON t (n)',
    'CREATE TABLE plain (x INTEGER)',
    'CREATE TABLE empty (x INTEGER)',
    'CREATE INDEX empty_x ON empty (x)',
  ];

  function fill(exec: (sql: string, params?: unknown[]) => void): void {
    for (const sql of SCHEMA) exec(sql);
    for (let i = 0; i < 100; i++)
      exec('INSERT INTO t VALUES (?, ?, ?, ?, ?)', [i, `x${i % 10}`, i % 3, `u${i}`, i % 2 ? null : i % 7]);
    for (let i = 0; i < 3; i++) exec('INSERT INTO plain VALUES (?)', [i]);
  }

  const statSql = 'SELECT tbl, idx, stat FROM sqlite_stat1';
  const sorted = (rows: readonly unknown[]): string[] =>
    (rows as unknown[][])
      .map((r) =>
        JSON.stringify([
          r[0],
          typeof r[1] === 'string' && r[1].startsWith('sqlite_autoindex') ? 'auto' : r[1],
          r[2],
        ]),
      )
      .sort();

  test('the figures equal SQLite’s sqlite_stat1', () => {
    const sqlite = new BetterSqlite3(':memory:');
    fill((sql, params = []) => void sqlite.prepare(sql).run(...params));
    sqlite.exec('ANALYZE');
    const file = path.join(dir, 'stat.mv');
    const conn = connect(file);
    const cur = conn.cursor();
    fill((sql, params = []) => void cur.execute(sql, params));
    cur.execute('ANALYZE');
    conn.commit();
    const expected = sorted(sqlite.prepare(statSql).raw(true).all() as unknown[][]);
    expect(sorted(cur.execute(statSql).fetchAll())).toEqual(expected);
    conn.close();
    sqlite.close();
    // Durable: after reopen (log replay), after a checkpoint, and after compaction.
    const again = connect(file);
    expect(sorted(again.cursor().execute(statSql).fetchAll())).toEqual(expected);
    again.database.checkpoint();
    again.close();
    const third = connect(file);
    expect(sorted(third.cursor().execute(statSql).fetchAll())).toEqual(expected);
    third.database.compact();
    third.close();
    const fourth = connect(file);
    expect(sorted(fourth.cursor().execute(statSql).fetchAll())).toEqual(expected);
    fourth.close();
  });

  test('a named table, an index, a schema; errors in SQLite’s words; rollback undoes it', () => {
    const conn = connect(':memory:');
    const cur = conn.cursor();
    fill((sql, params = []) => void cur.execute(sql, params));
    conn.commit();
    cur.execute('ANALYZE plain');
    expect(cur.execute(statSql).fetchAll()).toEqual([['plain', null, '3']]);
    cur.execute('ANALYZE tn');
    // Naming an index analyses its table: all three of t's indexes.
    expect(
      cur
        .execute(statSql)
        .fetchAll()
        .map((r) => (r as unknown[])[0])
        .sort(),
    ).toEqual(['plain', 't', 't', 't']);
    conn.rollback();
    expect(cur.execute(statSql).fetchAll()).toEqual([]);
    cur.execute('ANALYZE main');
    cur.execute('ANALYZE temp');
    cur.execute('ANALYZE main.t');
    expect(() => cur.execute('ANALYZE nosuch')).toThrow(new QueryError('no such table: nosuch', 'QUERY'));
    expect(() => cur.execute('ANALYZE main.nosuch')).toThrow('no such table: main.nosuch');
    expect(() => cur.execute('ANALYZE other.t')).toThrow('unknown database other');
    conn.close();
  });
});
