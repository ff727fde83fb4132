/**
 * SQLite's min/max optimization: a query whose only aggregate is MIN(c) or MAX(c) of a plain
 * column, and no bare column, reads the first row of a walk ordered by c (an index led by c, or
 * the primary key), NULLs passed for MIN. Results are compared with better-sqlite3 over generated
 * tables; plans are checked and the work counted. (A bare column beside MIN/MAX keeps the whole
 * walk: which of several rows holding the extreme SQLite reads depends on its own plan.)
 */
import BetterSqlite3 from 'better-sqlite3';
import { connect } from '../../src/index';
import type { Connection } from '../../src/index';
import { explain } from '../helpers/explain';
import { lcg } from '../helpers/seeded';

const DDL = [
  'CREATE TABLE t (id INTEGER PRIMARY KEY, q INTEGER, r REAL, s TEXT, n TEXT COLLATE NOCASE, k INTEGER)',
  'CREATE INDEX t_q ON t (q)',
  'CREATE INDEX t_r ON t (r DESC)',
  'CREATE INDEX t_s ON t (s)',
  'CREATE INDEX t_n ON t (n)',
  'CREATE INDEX t_kq ON t (k, q)',
];
const INSERT = 'INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)';

function rowsFor(n: number, seed: number, nulls: number): unknown[][] {
  const next = lcg(seed);
  const maybe = <T>(v: T): T | null => (next(nulls) === 0 ? null : v);
  return Array.from({ length: n }, (_, i) => [
    i + 1,
    maybe(next(500) - 100),
    maybe(next(100000) / 7),
    maybe(`s${next(300)}`),
    maybe(next(2) ? `Ab${next(9)}` : `aB${next(9)}`),
    next(20),
  ]);
}

function pair(rows: readonly unknown[][]): [Connection, BetterSqlite3.Database] {
  const conn = connect(':memory:');
  const db = new BetterSqlite3(':memory:');
  for (const sql of DDL) {
    conn.execute(sql);
    db.exec(sql);
  }
  if (rows.length > 0) conn.cursor().executeMany(INSERT, rows);
  conn.commit();
  const ins = db.prepare(INSERT);
  for (const r of rows) ins.run(...r);
  return [conn, db];
}

function same(conn: Connection, db: BetterSqlite3.Database, sql: string, params: unknown[] = []): void {
  const mine = conn.cursor().execute(sql, params).fetchAll();
  const theirs = db
    .prepare(sql)
    .raw(true)
    .all(...params);
  expect({ sql, params, rows: mine }).toEqual({ sql, params, rows: theirs });
}

describe('MIN and MAX read the first row of an ordered walk', () => {
  let conn: Connection;
  let db: BetterSqlite3.Database;
  beforeAll(() => {
    [conn, db] = pair(rowsFor(20000, 7, 9));
  });
  afterAll(() => {
    conn.close();
    db.close();
  });

  test.each([
    ['SELECT max(q) FROM t', 'items'],
    ['SELECT min(q) FROM t', 'items'],
    ['SELECT max(id) FROM t', 'key'],
    ['SELECT min(id) FROM t', 'key'],
    ['SELECT max(s) FROM t', 'items'],
    ['SELECT min(r) FROM t', 'items'],
    ['SELECT max(r) FROM t', 'items'],
    ['SELECT max(q) FROM t WHERE q < 100', 'items'],
    ['SELECT min(q) FROM t WHERE q > 100', 'items'],
    ['SELECT max(q) + 1, typeof(max(q)) FROM t', 'items'],
  ])('%s: one row read, equal to SQLite', (sql) => {
    expect(explain(conn, sql)).toContain('Limit limit=1');
    const cur = conn.cursor();
    cur.execute(sql).fetchAll();
    // NULLs passed for MIN are entries of the walk: the row count stays far below the table's.
    expect(cur.executionStats?.rowsRead ?? 0).toBeLessThan(5000);
    same(conn, db, sql);
  });

  test.each([
    'SELECT max(q) FROM t WHERE r > 14000',
    'SELECT min(q) FROM t WHERE s = ?',
    'SELECT max(q) FROM t WHERE k = 3',
    'SELECT min(q) FROM t WHERE k = 3 AND q > 0',
    'SELECT max(q) FROM t WHERE q IS NULL',
    'SELECT min(s) FROM t WHERE s LIKE ?',
    'SELECT max(q) FROM t HAVING max(q) > 1000',
    'SELECT max(n) FROM t',
    'SELECT min(n) FROM t',
    'SELECT max(n COLLATE BINARY) FROM t',
    'SELECT count(*), max(q) FROM t',
    'SELECT max(q) FROM t GROUP BY k',
    'SELECT max(DISTINCT q) FROM t',
    'SELECT max(q) FILTER (WHERE r > 100) FROM t',
    'SELECT max(q + 0) FROM t',
    'SELECT (SELECT max(u.q) FROM t u WHERE u.k = t.k) FROM t WHERE id < 30',
    'SELECT id FROM t WHERE q = (SELECT max(q) FROM t) ORDER BY id',
    'SELECT max(q) FROM t WHERE id IN (SELECT id FROM t WHERE r < 500)',
  ])('%s: equal to SQLite', (sql) => {
    const params = sql.includes('LIKE') ? ['s2%'] : sql.includes('?') ? ['s17'] : [];
    same(conn, db, sql, params);
  });

  test('an empty table and an all-NULL column give NULL', () => {
    const [c2, d2] = pair([]);
    try {
      for (const sql of ['SELECT max(q) FROM t', 'SELECT min(q) FROM t', 'SELECT max(id) FROM t'])
        same(c2, d2, sql);
      c2.cursor().executeMany(INSERT, [
        [1, null, null, null, null, 1],
        [2, null, null, null, null, 2],
      ]);
      const ins = d2.prepare(INSERT);
      ins.run(1, null, null, null, null, 1);
      ins.run(2, null, null, null, null, 2);
      for (const sql of ['SELECT max(q) FROM t', 'SELECT min(q) FROM t', 'SELECT max(s), min(s) FROM t'])
        same(c2, d2, sql);
    } finally {
      c2.close();
      d2.close();
    }
  });
});

describe('generated tables, against SQLite', () => {
  test('40 tables × 12 queries', () => {
    const next = lcg(20261208);
    const columns = ['q', 'r', 's', 'id', 'k'];
    const wheres = [
      '',
      'WHERE q > ?',
      'WHERE q < ?',
      'WHERE k = ?',
      'WHERE r > ?',
      'WHERE q BETWEEN ? AND ? + 50',
    ];
    for (let t = 0; t < 40; t++) {
      const [conn, db] = pair(rowsFor(next(3000), 100 + t, 1 + next(6)));
      try {
        for (let k = 0; k < 12; k++) {
          const fn = next(2) ? 'max' : 'min';
          const col = columns[next(columns.length)];
          const where = wheres[next(wheres.length)];
          const sql = `SELECT ${fn}(${col}) FROM t ${where}`;
          const v = next(400) - 100;
          const params = where.includes('BETWEEN') ? [v, v] : where ? [v] : [];
          same(conn, db, sql, params);
        }
      } finally {
        conn.close();
        db.close();
      }
    }
  });
});
