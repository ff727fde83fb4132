/**
 * Regression (issue 11, items 13 and 14): valid SQLite syntax outside the subset must be
 * NotSupportedError, never QueryError SYNTAX (`1<<63`, `&`, `|`, `~` were syntax errors; they are
 * implemented since issue 12), and a
 * trailing unterminated block comment is accepted as SQLite accepts it. better-sqlite3 decides
 * what is valid syntax: whatever it prepares without a syntax error must not be SYNTAX here.
 */
import Sqlite from 'better-sqlite3';
import { connect, NotSupportedError, QueryError } from '../../src/index';

const SETUP = 'CREATE TABLE t (id INTEGER PRIMARY KEY, x INTEGER, s TEXT)';

function run(sql: string): unknown {
  const conn = connect(':memory:', { autocommit: true });
  conn.execute(SETUP);
  try {
    return conn.execute(sql).description === null ? 'done' : conn.execute(sql).fetchAll();
  } catch (e) {
    return e;
  } finally {
    conn.close();
  }
}

function sqliteSyntaxOk(sql: string): boolean {
  const lite = new Sqlite(':memory:');
  lite.exec(SETUP);
  try {
    lite.prepare(sql);
    return true;
  } catch (e) {
    return !/syntax error|incomplete input|unrecognized token/.test((e as Error).message);
  } finally {
    lite.close();
  }
}

describe('valid SQLite syntax outside the subset is NotSupportedError', () => {
  // The bit operators (`1<<63`, `&`, `|`, `~`, `>>`) are implemented now: see
  // test/parser/sqlite-expressions.test.ts, which compares their results with SQLite's; so are
  // the JSON operators -> and ->> (test/planner/functions/json.test.ts).
  // json_each and json_tree are implemented (test/planner/json-table.test.ts); other
  // table-valued functions SQLite builds can have are refused by name.
  test.each(['SELECT * FROM generate_series(1, 3)', "SELECT * FROM fts5vocab('a', 'b')"])('%s', (sql) => {
    expect(sqliteSyntaxOk(sql)).toBe(true);
    const err = run(sql);
    expect(err).toBeInstanceOf(NotSupportedError);
    expect((err as NotSupportedError).message).toMatch(
      /table-valued function (generate_series|fts5vocab)\(\)/,
    );
  });

  test.each([
    'SELECT x FROM t ORDER BY x NULLS LAST',
    'VALUES (1)',
    'INSERT INTO t DEFAULT VALUES',
    'INSERT INTO t SELECT * FROM t',
    'UPDATE OR IGNORE t SET x = 1',
    'CREATE TABLE u (a INTEGER) WITHOUT ROWID',
    'CREATE TABLE u (a INTEGER) STRICT',
    'ALTER TABLE t RENAME TO t9',
    'CREATE VIEW v AS SELECT 1',
    'CREATE INDEX i ON t (x) WHERE x > 0',
    'BEGIN IMMEDIATE',
    'SAVEPOINT a',
    'VACUUM',
    'PRAGMA user_version',
    'SELECT x FROM t WHERE x IS NOT 1',
    'SELECT count(*) FILTER (WHERE x > 1) FROM t',
    "SELECT x FROM t WHERE s GLOB 'a*'",
    'SELECT * FROM t AS a, t AS b',
    'WITH c AS (SELECT 1) SELECT * FROM c',
    'SELECT x FROM t UNION SELECT x FROM t',
    'SELECT x, row_number() OVER (ORDER BY x) FROM t',
  ])('never SYNTAX: %s', (sql) => {
    expect(sqliteSyntaxOk(sql)).toBe(true);
    const err = run(sql);
    if (err instanceof QueryError) expect(err.code).not.toBe('SYNTAX');
  });

  test('malformed SQL is still SYNTAX', () => {
    for (const sql of ['SELECT FROM t', 'SELECT x FROM t WHERE', 'SELECT (x FROM t']) {
      expect(sqliteSyntaxOk(sql)).toBe(false);
      const err = run(sql);
      expect(err).toBeInstanceOf(QueryError);
      expect((err as QueryError).code).toBe('SYNTAX');
    }
  });
});

describe('a trailing unterminated block comment is accepted like SQLite', () => {
  test.each([
    'SELECT x FROM t; /*',
    'SELECT x FROM t /* no end',
    'SELECT x FROM t /* a */ /* b',
    'SELECT 1 AS x FROM t /**',
  ])('%s', (sql) => {
    expect(sqliteSyntaxOk(sql)).toBe(true);
    expect(run(sql)).toEqual([]);
  });

  test('the column name stops before the comment', () => {
    const conn = connect(':memory:');
    conn.execute(SETUP);
    const cur = conn.execute('SELECT x+1 FROM t /* trailing');
    expect(cur.description?.[0][0]).toBe('x+1');
    conn.close();
  });
});
