/**
 * SQLite's size limits on a statement, at the limit and one past it, against better-sqlite3: the
 * same statements run and the same ones are refused with SQLite's words (SQLITE_MAX_COLUMN 2000,
 * SQLITE_MAX_COMPOUND_SELECT 500, 200 FROM terms, 64 tables in a join). Past what they bound, a
 * statement nested so deeply that compiling or running it exhausts the JavaScript stack is a
 * QueryError naming that, never a RangeError or an InternalError.
 */
import BetterSqlite3 from 'better-sqlite3';
import { QueryError, connect } from '../../src/index';
import type { Connection } from '../../src/index';

const list = (n: number, f: (i: number) => string): string =>
  Array.from({ length: n }, (_v, i) => f(i)).join(', ');

/** The statement's outcome: 'ok', or the error message. */
function sqliteOutcome(db: BetterSqlite3.Database, sql: string): string {
  try {
    const stmt = db.prepare(sql);
    if (stmt.reader) stmt.all();
    else stmt.run();
    return 'ok';
  } catch (err) {
    return (err as Error).message;
  }
}

function mvOutcome(conn: Connection, sql: string): string {
  try {
    const cur = conn.cursor().execute(sql);
    if (cur.description !== null) cur.fetchAll();
    return 'ok';
  } catch (err) {
    expect(err).toBeInstanceOf(QueryError);
    return (err as Error).message;
  }
}

describe("SQLite's statement limits", () => {
  const sqlite = new BetterSqlite3(':memory:');
  const conn = connect(':memory:', { autocommit: true });
  afterAll(() => {
    conn.close();
    sqlite.close();
  });

  const cases: [string, string][] = [
    ['table of 2000 columns', `CREATE TABLE w2000 (${list(2000, (i) => `c${i} INTEGER`)})`],
    ['table of 2001 columns', `CREATE TABLE w2001 (${list(2001, (i) => `c${i} INTEGER`)})`],
    ['index of 2000 columns', `CREATE INDEX i2000 ON w2000 (${list(2000, (i) => `c${i}`)})`],
    ['index of 2001 columns', `CREATE INDEX i2001 ON w2000 (${list(2000, (i) => `c${i}`)}, c0)`],
    ['result of 2000 columns', 'SELECT * FROM w2000'],
    ['result of 2001 columns', 'SELECT *, 1 FROM w2000'],
    ['2001 literal columns', `SELECT ${list(2001, (i) => String(i))}`],
    ['GROUP BY of 2000 terms', `SELECT 1 FROM w2000 GROUP BY ${list(2000, (i) => `c${i}`)}`],
    ['GROUP BY of 2001 terms', `SELECT 1 FROM w2000 GROUP BY ${list(2001, (i) => `c${i % 2000}`)}`],
    ['ORDER BY of 2000 terms', `SELECT 1 FROM w2000 ORDER BY ${list(2000, (i) => `c${i}`)}`],
    ['ORDER BY of 2001 terms', `SELECT 1 FROM w2000 ORDER BY ${list(2001, (i) => `c${i % 2000}`)}`],
    ['compound ORDER BY of 2001 terms', `SELECT 1 AS a UNION SELECT 2 ORDER BY ${list(2001, () => 'a')}`],
    ['ADD COLUMN to 2000 columns', 'ALTER TABLE w2000 ADD COLUMN extra INTEGER'],
    ['compound of 500 terms', Array(500).fill('SELECT 1').join(' UNION ALL ')],
    ['compound of 501 terms', Array(501).fill('SELECT 1').join(' UNION ALL ')],
    ['compound of 100,000 terms', Array(100_000).fill('SELECT 1').join(' UNION ALL ')],
    [
      'join of 64 tables',
      `SELECT 1 FROM ${Array.from({ length: 64 }, (_v, i) => `(SELECT 1 AS a) t${i}`).join(' JOIN ')}`,
    ],
    [
      'join of 65 tables',
      `SELECT 1 FROM ${Array.from({ length: 65 }, (_v, i) => `(SELECT 1 AS a) t${i}`).join(' JOIN ')}`,
    ],
    [
      'join of 65 tables, some in parentheses',
      `SELECT 1 FROM (SELECT 1 AS a) x JOIN (${Array.from({ length: 64 }, (_v, i) => `(SELECT 1 AS a) t${i}`).join(' JOIN ')})`,
    ],
    [
      'FROM of 201 terms',
      `SELECT 1 FROM ${Array.from({ length: 201 }, (_v, i) => `(SELECT 1 AS a) t${i}`).join(', ')}`,
    ],
    [
      'FROM of 10,000 terms',
      `SELECT 1 FROM ${Array.from({ length: 10_000 }, (_v, i) => `(SELECT 1 AS a) t${i}`).join(' JOIN ')}`,
    ],
  ];

  test.each(cases)('%s: as SQLite', (_name, sql) => {
    // SQLite names the table it rebuilds for ADD COLUMN (sqlite_altertab_w2000); we name the table.
    const theirs = sqliteOutcome(sqlite, sql).replace('sqlite_altertab_', '');
    expect(mvOutcome(conn, sql)).toBe(theirs);
  });

  test('a statement nested past the stack is a QueryError saying so', () => {
    const chain = (n: number): string =>
      `WITH ${list(n, (i) => `c${i} AS (SELECT ${i ? `x FROM c${i - 1}` : '1 AS x'})`)} SELECT * FROM c${n - 1}`;
    expect(mvOutcome(conn, chain(300))).toBe('ok');
    expect(mvOutcome(conn, chain(20_000))).toMatch(/^statement is too complex/);
    // The connection goes on.
    expect(conn.cursor().execute('SELECT 1 + 1').fetchAll()).toEqual([[2]]);
  });
});
