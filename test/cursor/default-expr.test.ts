/**
 * DEFAULT expressions (`CURRENT_TIMESTAMP`, `CURRENT_DATE`, `CURRENT_TIME`, `DEFAULT (expr)`):
 * evaluated for each inserted row, checked against better-sqlite3 where the result is
 * deterministic (the clock is fixed for the time functions and SQLite is asked for the same
 * instant), kept in the catalog through reopen, checkpoint and compaction.
 */
import BetterSqlite3 from 'better-sqlite3';
import { connect } from '../../src/index';
import type { Connection } from '../../src/index';
import { Oracle } from '../helpers/sqlite-oracle';
import { tmpDir } from '../helpers/tmp';

const tmp = tmpDir();
afterAll(() => tmp.cleanup());
afterEach(() => jest.restoreAllMocks());

/**
 * o.both() for DDL: SQLite's changes() after DDL is the last write's count where the DB-API says
 * -1, and better-sqlite3 prepares ADD COLUMN with an expression default as a reader (the check
 * SQLite runs on the table), so only success or the error class, and the tables, are compared.
 */
function bothDdl(o: Oracle, sql: string, tables: string[]): { mv: unknown; sqlite: unknown } {
  const { mv, sqlite } = o.both(sql, tables);
  const shape = (r: unknown): unknown => {
    const { outcome, tables: t } = r as { outcome: { ok: boolean; error?: string }; tables: unknown };
    return { ok: outcome.ok, error: outcome.error, tables: t };
  };
  return { mv: shape(mv), sqlite: shape(sqlite) };
}

function rows(con: Connection, sql: string): unknown[][] {
  return con.execute(sql).fetchAll() as unknown[][];
}

describe('constant expressions against better-sqlite3', () => {
  let o: Oracle;
  beforeEach(() => {
    o = new Oracle();
    o.exec(
      "CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER DEFAULT (1 + 2), s TEXT DEFAULT (lower('AbC') || '-' || upper('x')), r REAL DEFAULT (round(2.5) / 4), m INTEGER NOT NULL DEFAULT (abs(-7) * 6), z TEXT DEFAULT (NULL), q TEXT DEFAULT ('lit'), b BLOB DEFAULT (x'0102'))",
    );
  });
  afterEach(() => o.close());

  test.each([
    'INSERT INTO t (id) VALUES (1), (2)',
    'INSERT INTO t DEFAULT VALUES',
    "INSERT INTO t (id, s) VALUES (5, 'given')",
    'INSERT INTO t (n) VALUES (NULL)',
    'INSERT INTO t (id, m) VALUES (9, NULL)',
    "INSERT INTO t (id, n) VALUES (1, 10) ON CONFLICT (id) DO UPDATE SET s = excluded.s || 'u'",
    'INSERT INTO t (id) VALUES (3) RETURNING id, n, s, r, m, z, q',
  ])('%s', (sql) => {
    o.exec('INSERT INTO t (id) VALUES (1)');
    const { mv, sqlite } = o.both(sql, ['t']);
    expect(mv).toEqual(sqlite);
  });

  test('INSERT … SELECT fills the defaults of the columns it leaves out', () => {
    o.exec('INSERT INTO t (id, n) VALUES (1, 100), (2, 200)');
    const { mv, sqlite } = o.both('INSERT INTO t (id, q) SELECT id + 10, s FROM t', ['t']);
    expect(mv).toEqual(sqlite);
  });

  test.each([
    'CREATE TABLE bad (a INTEGER DEFAULT (b))',
    'CREATE TABLE bad (a INTEGER, b INTEGER DEFAULT (a + 1))',
    'ALTER TABLE t ADD COLUMN late TEXT DEFAULT CURRENT_TIMESTAMP',
    "ALTER TABLE t ADD COLUMN late TEXT DEFAULT (lower('X'))",
    "ALTER TABLE t ADD COLUMN late TEXT DEFAULT ('X')",
  ])('error as SQLite (on a table with rows): %s', (sql) => {
    o.exec('INSERT INTO t (id) VALUES (1)');
    const { mv, sqlite } = bothDdl(o, sql, ['t']);
    expect(mv).toEqual(sqlite);
  });

  test('ADD COLUMN with an expression default is allowed on an empty table', () => {
    for (const sql of [
      "ALTER TABLE t ADD COLUMN late TEXT NOT NULL DEFAULT (upper('late'))",
      'INSERT INTO t (id) VALUES (4)',
      'SELECT * FROM t',
    ]) {
      const { mv, sqlite } = /^ALTER/.test(sql) ? bothDdl(o, sql, ['t']) : o.both(sql, ['t']);
      expect(mv).toEqual(sqlite);
    }
  });
});

describe('the clock', () => {
  // 2024-02-29 23:59:58.250 UTC
  const instant = Date.UTC(2024, 1, 29, 23, 59, 58, 250);
  const sqlite = new BetterSqlite3(':memory:');
  afterAll(() => sqlite.close());
  const atInstant = (fn: string): unknown =>
    sqlite
      .prepare(`SELECT ${fn}(${instant / 1000}, 'unixepoch')`)
      .pluck()
      .get();

  test('CURRENT_TIMESTAMP / DATE / TIME and datetime(now) read the clock when each row is inserted', () => {
    const con = connect(':memory:');
    con.execute(
      "CREATE TABLE t (id INTEGER PRIMARY KEY, at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, txt TEXT DEFAULT CURRENT_TIMESTAMP, d TEXT DEFAULT CURRENT_DATE, tm TEXT DEFAULT CURRENT_TIME, dt TEXT DEFAULT (datetime('now', '+1 day')), day TIMESTAMP DEFAULT CURRENT_DATE)",
    );
    const clock = jest.spyOn(Date, 'now').mockReturnValue(instant);
    const insert = 'INSERT INTO t (id) VALUES (?)';
    con.execute(insert, [1]);
    clock.mockReturnValue(instant + 3_600_000);
    // The same cached statement again: the default is not frozen at its first run.
    con.execute(insert, [2]);
    clock.mockRestore();
    const got = rows(con, 'SELECT at, txt, d, tm, dt, day FROM t ORDER BY id');
    expect(got[0]).toEqual([
      new Date(Math.floor(instant / 1000) * 1000),
      atInstant('datetime'),
      atInstant('date'),
      atInstant('time'),
      sqlite
        .prepare(`SELECT datetime(${instant / 1000}, 'unixepoch', '+1 day')`)
        .pluck()
        .get(),
      new Date(Date.UTC(2024, 1, 29)),
    ]);
    expect(got[1][1]).toBe('2024-03-01 00:59:58');
    expect(got[1][0]).toEqual(new Date(Date.UTC(2024, 2, 1, 0, 59, 58)));
    // A value given explicitly wins over the default.
    con.execute("INSERT INTO t (id, txt) VALUES (3, 'mine')");
    expect(rows(con, 'SELECT txt FROM t WHERE id = 3')).toEqual([['mine']]);
    expect(rows(con, 'SELECT CURRENT_DATE = date(), typeof(CURRENT_TIME)')).toEqual([[1, 'text']]);
    con.close();
  });

  test('(random()) is evaluated for each row', () => {
    const con = connect(':memory:', { safeIntegers: true });
    con.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, r INTEGER DEFAULT (random()))');
    con.executeMany('INSERT INTO t (id) VALUES (?)', [[1], [2], [3], [4]]);
    const values = rows(con, 'SELECT r FROM t').map((r) => r[0]);
    expect(values.every((v) => typeof v === 'bigint')).toBe(true);
    expect(new Set(values).size).toBe(4);
    con.close();
  });
});

describe('in the catalog', () => {
  type How = 'reopen' | 'checkpoint' | 'compact';
  test.each<How>(['reopen', 'checkpoint', 'compact'])('the expression survives %s', (how) => {
    const file = tmp.file();
    const con = connect(file);
    con.execute(
      "CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER DEFAULT (2 * 21), s TEXT DEFAULT CURRENT_DATE, k TEXT DEFAULT 'lit')",
    );
    con.execute('CREATE TABLE e (id INTEGER PRIMARY KEY)');
    con.execute("ALTER TABLE e ADD COLUMN tag TEXT NOT NULL DEFAULT (upper('x') || 'y')");
    con.commit();
    if (how === 'checkpoint') con.database.checkpoint();
    if (how === 'compact') con.database.compact();
    con.close();
    const again = connect(file);
    again.execute('INSERT INTO t (id) VALUES (1)');
    again.execute('INSERT INTO e DEFAULT VALUES');
    const [[n, s, k]] = rows(again, 'SELECT n, s, k FROM t');
    expect([n, k]).toEqual([42, 'lit']);
    expect(s).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(rows(again, 'SELECT * FROM e')).toEqual([[1, 'Xy']]);
    const field = again.database.storage.collection('t')?.meta.schema.fields[1];
    expect(field?.defaultSql).toBe('2 * 21');
    again.close();
  });
});
