/**
 * `x IN (SELECT …)` on a primary key or an indexed column runs as lookups of the subquery's
 * values (IndexLookup / PrimaryKeyLookup `keys=IN (subquery)`): the work is bounded by the rows
 * found, not the table (counted in rows read), and the answers equal SQLite's, NULLs and
 * duplicates included. Where a lookup could miss a row IN keeps (affinity, collation), the
 * hashed SemiJoin stays.
 */
import BetterSqlite3 from 'better-sqlite3';
import fc from 'fast-check';
import { connect } from '../../src/index';
import type { Connection, Cursor } from '../../src/index';
import { explain } from '../helpers/explain';
import { RowReader } from '../../storage/row-reader';

const bag = (rows: readonly unknown[]): string[] => rows.map((r) => JSON.stringify(r)).sort();

/** The rows of `sql` on ModelVault, checked to be SQLite's bag. */
function sameAsSqlite(
  cur: Cursor,
  sqlite: BetterSqlite3.Database,
  sql: string,
  params: unknown[],
): unknown[] {
  const rows = cur.execute(sql, params).fetchAll();
  expect({ sql, rows: bag(rows) }).toEqual({
    sql,
    rows: bag(
      sqlite
        .prepare(sql)
        .raw(true)
        .all(...params) as unknown[][],
    ),
  });
  return rows;
}

describe('IN (SELECT …) as lookups', () => {
  let conn: Connection;
  let sqlite: BetterSqlite3.Database;
  const DDL = [
    'CREATE TABLE customers (id INTEGER PRIMARY KEY, region TEXT, code TEXT)',
    'CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER, total REAL, tag TEXT)',
    'CREATE INDEX orders_customer ON orders (customer_id)',
    'CREATE INDEX orders_tag ON orders (tag)',
  ];
  beforeAll(() => {
    conn = connect(':memory:');
    sqlite = new BetterSqlite3(':memory:');
    const cur = conn.cursor();
    for (const sql of DDL) {
      cur.execute(sql);
      sqlite.exec(sql);
    }
    const c = Array.from({ length: 500 }, (_, i) => [i + 1, ['n', 's', 'e', 'w', null][i % 5], `c${i % 50}`]);
    const o = Array.from({ length: 10000 }, (_, i) => [
      i + 1,
      i % 97 === 0 ? null : 1 + ((i * 7919) % 600),
      (i * 37) % 1000,
      i % 11 === 0 ? null : `c${i % 70}`,
    ]);
    cur.executeMany('INSERT INTO customers VALUES (?, ?, ?)', c);
    cur.executeMany('INSERT INTO orders VALUES (?, ?, ?, ?)', o);
    conn.commit();
    const ic = sqlite.prepare('INSERT INTO customers VALUES (?, ?, ?)');
    const io = sqlite.prepare('INSERT INTO orders VALUES (?, ?, ?, ?)');
    sqlite.transaction(() => {
      for (const r of c) ic.run(r);
      for (const r of o) io.run(r);
    })();
  });
  afterAll(() => {
    conn.close();
    sqlite.close();
  });

  const same = (sql: string, params: unknown[] = []): unknown[] =>
    sameAsSqlite(conn.cursor(), sqlite, sql, params);

  test('an indexed column is looked up by each value; work follows the rows found', () => {
    const sql = 'SELECT id, total FROM orders WHERE customer_id IN (SELECT id FROM customers WHERE id <= ?)';
    expect(explain(conn, sql, [3])).toMatch(/IndexLookup orders using orders_customer keys=IN \(subquery\)/);
    const cur = conn.cursor();
    const rows = cur.execute(sql, [3]).fetchAll();
    same(sql, [3]);
    // Three customers by primary key, then only their orders: nowhere near the 10,000 orders.
    expect(cur.executionStats?.rowsRead).toBeLessThan(rows.length + 10);
  });

  test('the primary key, text keys, duplicates and NULLs in the subquery, an empty subquery', () => {
    const pk = 'SELECT id FROM orders WHERE id IN (SELECT customer_id FROM orders WHERE total < 5)';
    expect(explain(conn, pk)).toMatch(/PrimaryKeyLookup orders keys=IN \(subquery\)/);
    same(pk);
    const text = 'SELECT id, tag FROM orders WHERE tag IN (SELECT code FROM customers WHERE region = ?)';
    expect(explain(conn, text, ['n'])).toMatch(/IndexLookup orders using (covering )?orders_tag/);
    same(text, ['n']);
    same('SELECT count(*) FROM orders WHERE tag IN (SELECT code FROM customers WHERE region IS NULL)');
    same('SELECT count(*) FROM orders WHERE customer_id IN (SELECT NULL FROM customers)');
    same('SELECT count(*) FROM orders WHERE customer_id IN (SELECT id FROM customers WHERE id < 0)');
    same('SELECT id FROM orders WHERE customer_id IN (SELECT id FROM customers) AND total > 990 ORDER BY id');
    same(
      'SELECT id FROM orders WHERE customer_id IN (SELECT DISTINCT id FROM customers LIMIT 5) ORDER BY total DESC, id',
    );
  });

  test('a lookup is not used where IN converts or folds values', () => {
    // Text values against an INTEGER column: IN applies numeric affinity, a lookup would miss.
    const conv =
      "SELECT count(*) FROM orders WHERE customer_id IN (SELECT '' || id FROM customers WHERE id < 9)";
    expect(explain(conn, conv)).toMatch(/SemiJoin/);
    same(conv);
    // NOT IN keeps its NULL rules as an AntiJoin.
    const not =
      'SELECT count(*) FROM orders WHERE customer_id NOT IN (SELECT id FROM customers WHERE id > 10)';
    expect(explain(conn, not)).toMatch(/AntiJoin/);
    same(not);
    const nocase =
      'SELECT count(*) FROM orders WHERE tag IN (SELECT upper(code) COLLATE NOCASE FROM customers)';
    same(nocase);
  });

  test('random IN subqueries agree with SQLite', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('customer_id', 'id', 'tag'),
        fc.constantFrom(
          'SELECT id FROM customers WHERE region = ?',
          'SELECT id FROM customers WHERE id % ? = 0',
          'SELECT code FROM customers WHERE region = ?',
          'SELECT customer_id FROM orders WHERE total < ?',
          'SELECT tag FROM orders WHERE id < ?',
        ),
        fc.constantFrom('n', 's', 7, 40, 300),
        fc.constantFrom('', ' AND total > 500', ' ORDER BY id DESC LIMIT 20'),
        (col, sub, param, tail) => {
          const sql = `SELECT id, customer_id, tag FROM orders WHERE ${col} IN (${sub})${tail}`;
          same(sql, [param]);
        },
      ),
      { seed: 2026, numRuns: 120 },
    );
  });
});

describe('many IN values: a scan testing membership', () => {
  test('answers equal SQLite; past the first pass the rejected rows are not read', () => {
    const conn = connect(':memory:');
    const sqlite = new BetterSqlite3(':memory:');
    const spy = jest.spyOn(RowReader.prototype, 'scanRowWhere');
    try {
      const cur = conn.cursor();
      const DDL = [
        'CREATE TABLE k (id INTEGER PRIMARY KEY, grp INTEGER)',
        'CREATE TABLE big (id INTEGER PRIMARY KEY, kid INTEGER, v REAL)',
        'CREATE INDEX big_kid ON big (kid)',
      ];
      for (const sql of DDL) {
        cur.execute(sql);
        sqlite.exec(sql);
      }
      const k = Array.from({ length: 1000 }, (_, i) => [i + 1, i % 10]);
      const big = Array.from({ length: 8000 }, (_, i) => [
        i + 1,
        i % 53 === 0 ? null : 1 + ((i * 7919) % 1200),
        i % 17 === 0 ? null : (i % 100) / 4,
      ]);
      cur.executeMany('INSERT INTO k VALUES (?, ?)', k);
      cur.executeMany('INSERT INTO big VALUES (?, ?, ?)', big);
      conn.commit();
      sqlite.transaction(() => {
        for (const r of k) sqlite.prepare('INSERT INTO k VALUES (?, ?)').run(r);
        for (const r of big) sqlite.prepare('INSERT INTO big VALUES (?, ?, ?)').run(r);
      })();
      const same = (sql: string, params: unknown[]): unknown[] => sameAsSqlite(cur, sqlite, sql, params);
      const sql = 'SELECT id, kid, v FROM big WHERE kid IN (SELECT id FROM k WHERE grp = ?)';
      for (const g of [0, 3, 9]) same(sql, [g]);
      // 200 keys of 8,000 rows: a scan (every row counted), not 200 lookups.
      const wide = 'SELECT id, kid, v FROM big WHERE kid IN (SELECT id FROM k WHERE grp < ?)';
      same(wide, [2]);
      cur.execute(wide, [2]).fetchAll();
      // The 1,000 rows of k the subquery reads, then every row of big once.
      expect(cur.executionStats?.rowsRead).toBe(9000);
      spy.mockClear();
      const rows = same(wide, [2]);
      // The 200 keys the subquery's own (vector-tested) scan of k reads, then the matches of big.
      expect(spy.mock.calls.length).toBe(200 + rows.length);
      // The primary key, and aggregates over the scan.
      same('SELECT count(*), sum(v) FROM big WHERE id IN (SELECT id * 7 FROM k WHERE grp < ?)', [5]);
      same('SELECT count(*) FROM big WHERE kid IN (SELECT id FROM k WHERE grp >= ?) AND v > 10', [2]);
      // Few keys: lookups still.
      cur.execute(sql.replace('grp = ?', 'id < ?'), [5]).fetchAll();
      expect(cur.executionStats?.rowsRead).toBeLessThan(50);
    } finally {
      spy.mockRestore();
      conn.close();
      sqlite.close();
    }
  });

  test('dense and sparse key sets, negative, fractional, out-of-range and NULL values agree with SQLite', () => {
    // Dense whole-number keys are tested on a bitmap, others on a hash set: both must answer as
    // SQL's = does, whatever the row holds.
    fc.assert(
      fc.property(
        fc.constantFrom('dense', 'sparse', 'negative', 'fractional'),
        fc.integer({ min: 0, max: 1_000_000 }),
        (shape, seed) => {
          const conn = connect(':memory:');
          const sqlite = new BetterSqlite3(':memory:');
          try {
            let x = seed;
            const r = (m: number): number => {
              x = (x * 1103515245 + 12345) % 2147483648;
              return x % m;
            };
            const cur = conn.cursor();
            const DDL = [
              'CREATE TABLE keys (id INTEGER PRIMARY KEY, n INTEGER, f REAL)',
              'CREATE TABLE big (id INTEGER PRIMARY KEY, n INTEGER, f REAL)',
              'CREATE INDEX big_n ON big (n)',
              'CREATE INDEX big_f ON big (f)',
            ];
            for (const sql of DDL) {
              cur.execute(sql);
              sqlite.exec(sql);
            }
            const key = (): number =>
              shape === 'dense'
                ? r(300)
                : shape === 'sparse'
                  ? r(1e6)
                  : shape === 'negative'
                    ? r(300) - 150
                    : r(300);
            const keys = Array.from({ length: 120 }, (_, i) => [
              i + 1,
              r(15) === 0 ? null : key(),
              shape === 'fractional' ? key() + (r(2) === 0 ? 0.5 : 0) : key(),
            ]);
            const big = Array.from({ length: 2500 }, (_, i) => [
              i + 1,
              r(20) === 0 ? null : r(5) === 0 ? r(2e6) - 1e6 : key(),
              r(20) === 0 ? null : key() + [0, 0.5, 0.25][r(3)],
            ]);
            cur.executeMany('INSERT INTO keys VALUES (?, ?, ?)', keys);
            cur.executeMany('INSERT INTO big VALUES (?, ?, ?)', big);
            conn.commit();
            sqlite.transaction(() => {
              for (const row of keys) sqlite.prepare('INSERT INTO keys VALUES (?, ?, ?)').run(row);
              for (const row of big) sqlite.prepare('INSERT INTO big VALUES (?, ?, ?)').run(row);
            })();
            for (const sql of [
              'SELECT id, n FROM big WHERE n IN (SELECT n FROM keys)',
              'SELECT id, f FROM big WHERE f IN (SELECT f FROM keys)',
              'SELECT count(*), sum(f) FROM big WHERE n IN (SELECT n FROM keys WHERE id > 20)',
              'SELECT id FROM big WHERE id IN (SELECT n FROM keys)',
            ])
              for (let k = 0; k < 2; k++) sameAsSqlite(cur, sqlite, sql, []);
          } finally {
            conn.close();
            sqlite.close();
          }
        },
      ),
      { seed: 1202, numRuns: 40 },
    );
  });
});
