/**
 * Statement forms SQLite's own SQL test scripts use that the subset once refused: `REINDEX`,
 * `x IN table`, and a column assigned twice in one `SET` (the rightmost wins). Every outcome —
 * rows, changes, or the error's class — is compared with better-sqlite3's.
 */
import { Oracle } from '../helpers/sqlite-oracle';

const SETUP = [
  'CREATE TABLE t1 (x INTEGER, y TEXT)',
  "INSERT INTO t1 VALUES (1, 'true'), (0, 'false'), (NULL, 'NULL')",
  'CREATE INDEX t1i1 ON t1 (x)',
  'CREATE TABLE t2 (a INTEGER PRIMARY KEY)',
  'INSERT INTO t2 VALUES (1), (3)',
  'CREATE TABLE t3 (b TEXT)',
  "INSERT INTO t3 VALUES ('a'), (NULL)",
  'CREATE VIEW v2 AS SELECT a FROM t2',
  'CREATE TABLE u (k INTEGER PRIMARY KEY, n INTEGER, m INTEGER)',
  'INSERT INTO u VALUES (1, 10, 100)',
];

function oracle(): Oracle {
  const o = new Oracle();
  o.exec(...SETUP);
  return o;
}

describe('REINDEX', () => {
  test.each([
    'REINDEX',
    'REINDEX t1',
    'REINDEX t1i1',
    'REINDEX T1I1',
    'REINDEX main.t1',
    'REINDEX main.t1i1',
    'REINDEX nocase',
    'REINDEX BINARY',
    'REINDEX rtrim',
    'REINDEX nosuch',
    'REINDEX main.nocase',
    'REINDEX temp.t1',
    'REINDEX v2',
  ])('%s', (sql) => {
    const o = oracle();
    // Success or the same error class (rowCount of a DDL statement is -1, SQLite's changes() 0).
    const got = o.query(sql);
    expect(got.mv).toEqual(got.sqlite);
    o.close();
  });

  test('inside a transaction, and rolled back with it', () => {
    const o = oracle();
    o.conn.execute('BEGIN');
    o.conn.execute('DELETE FROM t1 WHERE x = 1');
    o.conn.execute('REINDEX t1');
    expect(o.conn.execute('SELECT count(*) FROM t1 WHERE x = 1').fetchAll()).toEqual([[0n]]);
    o.conn.execute('ROLLBACK');
    expect(o.conn.execute('SELECT count(*) FROM t1 WHERE x = 1').fetchAll()).toEqual([[1n]]);
    o.close();
  });
});

describe('x IN table', () => {
  test.each([
    'SELECT 1 IN t2',
    'SELECT 2 IN t2',
    'SELECT 2 NOT IN t2',
    "SELECT 'a' IN t3",
    "SELECT 'b' IN t3",
    "SELECT 'b' NOT IN t3",
    'SELECT NULL IN t2',
    'SELECT NULL IN t3',
    'SELECT x FROM t1 WHERE x IN t2',
    'SELECT x FROM t1 WHERE x NOT IN main.t2',
    'SELECT a IN t2, a + 1 IN t2 FROM t2',
    'SELECT 3 IN v2',
    'WITH c(z) AS (VALUES (5)) SELECT 5 IN c, 6 IN c',
    // Errors: too many columns, no such table.
    'SELECT 1 IN t1',
    'SELECT 1 IN nosuch',
  ])('%s', (sql) => {
    const o = oracle();
    const got = o.query(sql);
    expect(got.mv).toEqual(got.sqlite);
    o.close();
  });

  test('DELETE … WHERE x IN table', () => {
    const o = oracle();
    const got = o.both('DELETE FROM t1 WHERE x IN t2', ['t1', 't2']);
    expect(got.mv).toEqual(got.sqlite);
    o.close();
  });
});

describe('a column assigned twice keeps the rightmost assignment', () => {
  test.each([
    'UPDATE u SET n = 1, n = 2',
    'UPDATE u SET n = m, m = n, n = n + 1',
    'UPDATE u SET n = 5, m = 6, n = 7 RETURNING n, m',
    'INSERT INTO u VALUES (1, 0, 0) ON CONFLICT (k) DO UPDATE SET n = 1, n = excluded.n + 2',
    'UPDATE u SET n = 1, nope = 2',
  ])('%s', (sql) => {
    const o = oracle();
    const got = o.both(sql, ['u']);
    expect(got.mv).toEqual(got.sqlite);
    o.close();
  });
});
