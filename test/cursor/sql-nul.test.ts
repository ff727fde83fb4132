/**
 * A NUL character in SQL text ends the statement, as in SQLite (which reads SQL as a C string):
 * what follows it is never run or parsed, and a literal cut by it is unterminated. Compared with
 * better-sqlite3 statement by statement; a NUL inside a bound parameter is data.
 */
import BetterSqlite3 from 'better-sqlite3';
import { QueryError, connect } from '../../src/index';

type Outcome = { rows: unknown[][] } | { error: true };

function sqlite(db: BetterSqlite3.Database, sql: string, params: unknown[]): Outcome {
  try {
    const stmt = db.prepare(sql);
    if (!stmt.reader) {
      stmt.run(...params);
      return { rows: [] };
    }
    return { rows: stmt.raw(true).all(...params) as unknown[][] };
  } catch {
    return { error: true };
  }
}

describe('a NUL in SQL text', () => {
  const db = new BetterSqlite3(':memory:');
  const conn = connect(':memory:', { autocommit: true });
  afterAll(() => {
    conn.close();
    db.close();
  });

  const cases: [string, unknown[]][] = [
    ['SELECT 1\0', []],
    ['SELECT 1;\0 this is not SQL', []],
    ['SELECT 1, 2\0, 3', []],
    ["SELECT 'a\0b'", []],
    ['SELECT "x\0"', []],
    ['\0SELECT 1', []],
    ['CREATE TABLE t (a INTEGER)\0; DROP TABLE t', []],
    ['INSERT INTO t VALUES (1)\0, (2)', []],
    ['SELECT a FROM t\0 WHERE a = 2', []],
    ['SELECT ?, length(?)', ['a\0b', 'a\0b']],
    ['SELECT 1 /* comment \0 */ + 1', []],
    ['SELECT 1 -- comment \0 more', []],
  ];

  it.each(cases)('%j runs as SQLite runs it', (sql, params) => {
    const expected = sqlite(db, sql, params);
    let actual: Outcome;
    try {
      const cur = conn.cursor().execute(sql, params);
      actual = { rows: cur.description === null ? [] : (cur.fetchAll() as unknown[][]) };
    } catch (err) {
      expect(err).toBeInstanceOf(QueryError);
      actual = { error: true };
    }
    expect(actual).toEqual(expected);
  });

  it('reports positions and context from the text before the NUL only', () => {
    let message = '';
    try {
      conn.cursor().execute("SELECT 'abc\0' FROM nowhere");
    } catch (err) {
      expect(err).toBeInstanceOf(QueryError);
      message = (err as Error).message;
    }
    expect(message).toMatch(/unterminated string literal/);
    expect(message).not.toMatch(/nowhere/);
  });
});
