/**
 * Values whose storage class is decided per row (CASE and coalesce over INTEGER and REAL
 * branches, text in arithmetic, SUM over mixed inputs) keep a whole-number REAL REAL, as SQLite
 * does: `/` and `%` stay REAL, `||` and quote() print '2.0', typeof() says 'real'. Each query is
 * compared with better-sqlite3's answer, typeof() columns included.
 */
import Sqlite from 'better-sqlite3';
import { connect } from '../../src/index';

const DDL = 'CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, r REAL, s TEXT, big INTEGER)';
const ROWS: [number, number | null, number, string, bigint][] = [
  [1, 1, 2.0, '3.0', 9223372036854775807n],
  [2, null, 5.0, 'x', 9223372036854775807n],
  [3, 4, -0.5, '12', -5n],
  [4, 7, 8.0, ' 2 ', 1n],
];
const MIXED = 'CASE WHEN id % 2 = 1 THEN r ELSE a END';
const QUERIES = [
  `SELECT id, ${MIXED} / 4, typeof(${MIXED}), ${MIXED} || '', quote(${MIXED}) FROM t ORDER BY id`,
  'SELECT id, coalesce(a, r) / 2, coalesce(r, a) / 4, ifnull(a, 2.0) / 4, typeof(ifnull(a, 2.0)) FROM t ORDER BY id',
  "SELECT id, max(a, r) / 4, min(r, a) || '', iif(id = 1, r, a) / 4, nullif(r, 7) / 4 FROM t ORDER BY id",
  'SELECT id, (s + 0) / 2, typeof(s + 0), -s, typeof(-s), CAST(s AS NUMERIC) / 2 FROM t ORDER BY id',
  `SELECT id, CAST(${MIXED} AS TEXT), likely(${MIXED}) / 4, hex(${MIXED}), length(${MIXED}), -(${MIXED}) / 4 FROM t ORDER BY id`,
  `SELECT id, ${MIXED} % 3, (${MIXED} + 1) / 2, typeof(${MIXED} * 1) FROM t ORDER BY id`,
  'SELECT sum(CASE WHEN id < 3 THEN 1.0 ELSE 0 END) / count(*), typeof(sum(CASE WHEN id < 3 THEN 1.0 ELSE 0 END)) FROM t',
  `SELECT min(${MIXED}) / 4, max(${MIXED}) / 4, typeof(max(${MIXED})), sum(${MIXED}) / 4 FROM t`,
  'SELECT sum(s) / 2, typeof(sum(s)), total(s), avg(s) FROM t WHERE id <> 2',
  `SELECT id % 2, sum(${MIXED}) / 2, count(DISTINCT ${MIXED}) FROM t GROUP BY id % 2 ORDER BY 1`,
  'SELECT avg(big), total(big), typeof(avg(big)) FROM t',
  'SELECT sum(big) FROM t WHERE id < 3',
  'SELECT sum(CASE WHEN id = 3 THEN 0.5 ELSE big END) FROM t',
  // INTEGER arithmetic that overflows int64 is REAL: SUM adds it as REAL instead of overflowing.
  'SELECT sum(big + 12), typeof(sum(big + 12)), sum(-(CASE WHEN id > 0 THEN -9223372036854775808 END)) FROM t WHERE id < 3',
  'SELECT char(55296), char(65, 56320, 66) FROM t WHERE id = 1',
  // log(B, X) reads X as sqlite3_value_double does: text by its numeric prefix.
  "SELECT log(1.5, '12abc'), log(2, NULL), log(2, x'3132'), log('2', '8'), log(2, 'abc') FROM t WHERE id = 1",
  'SELECT 1e20 % 10, 1e400 % 3, -1e400 % 7, 5.5 % -1, -9.3e18 % 1000, 7.9 % 2.5, -7.9 % 2.5, 2e16 % 3',
  // An INTEGER beside a REAL keeps its exact value (past 2^53) for %; the result is REAL.
  'SELECT 9007199254740993 % 2.0, -9007199254740993 % 2.5, 9223372036854775807 % 2.0, 7 % 1e20, typeof(7 % 2.5)',
];

describe('REAL values whose type is decided per row', () => {
  const sqlite = new Sqlite(':memory:');
  sqlite.defaultSafeIntegers(false);
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

  const outcome = (run: () => unknown[]): unknown => {
    try {
      return run();
    } catch (e) {
      return `error: ${(e as Error).message}`;
    }
  };

  test.each(QUERIES)('%s', (sql) => {
    const expected = outcome(() => sqlite.prepare(sql).raw(true).all());
    const actual = outcome(() => conn.cursor().execute(sql).fetchAll());
    expect(actual).toEqual(expected);
  });
});
