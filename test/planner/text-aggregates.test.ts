/**
 * Regression (issue 11, item 5): SUM/AVG/TOTAL over a TEXT column threw a JavaScript SyntaxError
 * from BigInt(), and sum('') was INTEGER 0 where SQLite gives REAL 0.0. The values follow SQLite's
 * numeric affinity of text; better-sqlite3 is the oracle.
 */
import Sqlite from 'better-sqlite3';
import { connect } from '../../src/index';

const TEXTS = ['', '12', ' 7 ', '+3', '-4', '1.5', 'abc', '3x', '1e2', '007', '99999999999999999999', '.5'];

function engines(values: readonly string[]) {
  const lite = new Sqlite(':memory:');
  const conn = connect(':memory:', { autocommit: true });
  const ddl = 'CREATE TABLE t (id INTEGER PRIMARY KEY, g INTEGER, s TEXT)';
  lite.exec(ddl);
  conn.execute(ddl);
  values.forEach((v, i) => {
    lite.prepare('INSERT INTO t (g, s) VALUES (?, ?)').run(BigInt(i % 3), v);
    conn.execute('INSERT INTO t (g, s) VALUES (?, ?)', [i % 3, v]);
  });
  return { lite, conn };
}

function close(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number')
    return a === b || Math.abs(a - b) <= 1e-12 * Math.max(Math.abs(a), Math.abs(b));
  return a === b;
}

describe('SUM/AVG/TOTAL over TEXT (SQLite numeric conversion)', () => {
  const QUERIES = [
    'SELECT SUM(s), AVG(s), TOTAL(s) FROM t',
    'SELECT SUM(DISTINCT s), AVG(DISTINCT s), TOTAL(DISTINCT s) FROM t',
    'SELECT g, SUM(s), AVG(s), TOTAL(s) FROM t GROUP BY g ORDER BY g',
    "SELECT SUM(s), TOTAL(s) FROM t WHERE s = ''",
    "SELECT SUM(s) FROM t WHERE s IN ('12', ' 7 ', '+3', '007')",
  ];

  test.each(QUERIES)('%s agrees with SQLite and throws nothing raw', (sql) => {
    const { lite, conn } = engines(TEXTS);
    const want = lite.prepare(sql).raw().all() as unknown[][];
    const got = conn.execute(sql).fetchAll() as unknown[][];
    expect(got.length).toBe(want.length);
    got.forEach((row, i) => row.forEach((v, j) => expect([v, close(v, want[i][j])]).toEqual([v, true])));
  });

  test("sum('') is 0 (REAL 0.0 in SQLite) and integer text keeps SUM INTEGER", () => {
    const { lite, conn } = engines(TEXTS);
    expect(lite.prepare("SELECT typeof(SUM(s)) FROM t WHERE s = ''").pluck().get()).toBe('real');
    expect(conn.execute("SELECT SUM(s) FROM t WHERE s = ''").fetchOne()).toEqual([0]);
    // Arithmetic on the result shows INTEGER: '12' + ' 7 ' sums to 19, and 19 / 2 = 9.
    const sql = "SELECT SUM(s) / 2 FROM t WHERE s IN ('12', ' 7 ')";
    expect(conn.execute(sql).fetchOne()).toEqual([lite.prepare(sql).pluck().get()]);
  });
});
