/**
 * MIN, MAX and DISTINCT aggregates compare with their argument's collation (a declared one or
 * COLLATE), as SQLite does.
 */
import Sqlite from 'better-sqlite3';
import { connect } from '../../src/index';

const DDL =
  'CREATE TABLE t (id INTEGER PRIMARY KEY, g INTEGER, n TEXT COLLATE NOCASE, r TEXT COLLATE RTRIM, b TEXT)';
const ROWS: [number, number, string, string, string][] = [
  [1, 1, 'ab', 'x ', 'ab'],
  [2, 1, 'Zz', 'x', 'Zz'],
  [3, 2, 'B', 'a  ', 'B'],
  [4, 2, 'a', 'a', 'a'],
  [5, 2, 'AB', 'b', 'AB'],
];
const QUERIES = [
  'SELECT min(n), max(n) FROM t',
  'SELECT g, min(n), max(n), min(DISTINCT n), max(r) FROM t GROUP BY g ORDER BY g',
  'SELECT min(b), max(b), min(b COLLATE NOCASE), max(b COLLATE NOCASE) FROM t',
  'SELECT max(n COLLATE BINARY), min(n COLLATE BINARY) FROM t',
  'SELECT length(max(r)), length(min(r)) FROM t',
  // Scalar max/min take the first argument's collation (explicit or its column's), as SQLite.
  // The INTEGER PRIMARY KEY (SQLite's rowid) has no collation: the next argument's decides.
  "SELECT id, max(id, 19, n, 'z'), max(rowid, b, n), min(id, n, 'A') FROM t ORDER BY id",
  "SELECT id, max(n, 'abc', 'Abd'), min(n, 'abc'), max(b, 'abc'), max('abc', n), max(b COLLATE NOCASE, 'abc') FROM t ORDER BY id",
  'SELECT count(DISTINCT n), count(DISTINCT b), count(DISTINCT b COLLATE NOCASE), count(DISTINCT r) FROM t',
  'SELECT g, length(group_concat(DISTINCT n)), count(DISTINCT n) FROM t GROUP BY g ORDER BY g',
];

describe('MIN/MAX and DISTINCT aggregates under collations', () => {
  const sqlite = new Sqlite(':memory:');
  sqlite.exec(DDL);
  const ins = sqlite.prepare('INSERT INTO t VALUES (?, ?, ?, ?, ?)');
  for (const r of ROWS) ins.run(...r);
  const conn = connect(':memory:');
  conn.execute(DDL);
  conn.executeMany('INSERT INTO t VALUES (?, ?, ?, ?, ?)', ROWS);
  conn.commit();
  afterAll(() => {
    sqlite.close();
    conn.close();
  });

  test.each(QUERIES)('%s', (sql) => {
    const expected = sqlite.prepare(sql).raw(true).all();
    expect(conn.cursor().execute(sql).fetchAll()).toEqual(expected);
  });
});
