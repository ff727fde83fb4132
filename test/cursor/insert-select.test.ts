/**
 * INSERT … SELECT and INSERT … DEFAULT VALUES, each statement compared with better-sqlite3:
 * result, rows changed, error class and every table's rows afterwards. The SELECT is read in
 * full before the first row is written (a same-table insert doubles the table, never loops),
 * and a failing row leaves none of the statement's rows behind.
 */
import { Oracle } from '../helpers/sqlite-oracle';

const TABLES = ['t', 'src'];
let o: Oracle;

beforeEach(() => {
  o = new Oracle();
  o.exec(
    'CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT UNIQUE, b INTEGER NOT NULL DEFAULT 7, c REAL DEFAULT 1.5)',
    'CREATE TABLE src (x TEXT, y INTEGER)',
    "INSERT INTO src (x, y) VALUES ('p', 1), ('q', 2), ('p', 3), (NULL, 4), ('r', NULL)",
    "INSERT INTO t (id, a, b) VALUES (1, 'seed', 10)",
  );
});
afterEach(() => o.close());

describe('INSERT … SELECT', () => {
  test.each([
    'INSERT INTO t (a, b) SELECT x, y FROM src WHERE y < 3',
    'INSERT INTO t (a, b) SELECT x, y FROM src',
    'INSERT OR IGNORE INTO t (a, b) SELECT x, y FROM src',
    'INSERT OR REPLACE INTO t (a, b) SELECT x, y FROM src WHERE y IS NOT NULL',
    'INSERT INTO t (a, b) SELECT x, y FROM src WHERE y IS NOT NULL ON CONFLICT DO NOTHING',
    "INSERT INTO t (a) SELECT x || '!' FROM src WHERE x IS NOT NULL",
    'INSERT INTO t (a, b) SELECT DISTINCT x, 1 FROM src WHERE x IS NOT NULL',
    'INSERT INTO t (a, b) SELECT x, sum(y) FROM src WHERE x IS NOT NULL GROUP BY x',
    'INSERT INTO t (b) SELECT y FROM src WHERE y IS NOT NULL ORDER BY y DESC LIMIT 2',
    'INSERT INTO t (id, a, b) SELECT y, x, y FROM src WHERE y > 1 AND x IS NOT NULL',
    'INSERT INTO t (id, a, b) SELECT 1, x, y FROM src WHERE y = 2',
    'INSERT INTO t (a, b) SELECT x, y FROM src WHERE 0',
    'INSERT INTO t SELECT y + 100, x, y, 2.5 FROM src WHERE y IS NOT NULL',
    // Errors: value count, unknown table/column.
    'INSERT INTO t (a) SELECT x, y FROM src',
    'INSERT INTO t SELECT x FROM src',
    'INSERT INTO t (a) SELECT nope FROM src',
    'INSERT INTO t (a) SELECT x FROM nowhere',
  ])('%s', (sql) => {
    const r = o.both(sql, TABLES);
    expect(r.mv).toEqual(r.sqlite);
  });

  test('a same-table insert reads the table once, before writing', () => {
    for (const sql of [
      "INSERT INTO t (a, b) SELECT a || 'x', b + 1 FROM t",
      "INSERT INTO t (a, b) SELECT a || 'y', b * 2 FROM t",
      'INSERT INTO t (b) SELECT b FROM t',
      'INSERT INTO t (a, b) SELECT a, b FROM t',
    ]) {
      const r = o.both(sql, TABLES);
      expect(r.mv).toEqual(r.sqlite);
    }
  });

  test('parameters bind in the SELECT', () => {
    const r = o.both('INSERT INTO t (a, b) SELECT x, y * ? FROM src WHERE y >= ?', TABLES, [10n, 2n]);
    expect(r.mv).toEqual(r.sqlite);
  });

  test('a NOT NULL failure on a later row leaves no row of the statement', () => {
    // The 5th source row has y NULL; the four before it would insert.
    const r = o.both("INSERT INTO t (a, b) SELECT x || '.', y FROM src", TABLES);
    expect(r.mv).toEqual(r.sqlite);
    expect((r.mv as { outcome: { ok: boolean } }).outcome.ok).toBe(false);
  });

  test('inside a transaction a failed INSERT … SELECT undoes only itself', () => {
    o.exec('BEGIN', "INSERT INTO t (a, b) VALUES ('kept', 1)");
    const r = o.both('INSERT INTO t (a, b) SELECT x, y FROM src', TABLES);
    expect(r.mv).toEqual(r.sqlite);
    o.exec('COMMIT');
    const after = o.both('SELECT * FROM t ORDER BY id', TABLES);
    expect(after.mv).toEqual(after.sqlite);
  });
});

describe('INSERT … SELECT across column types', () => {
  test('a BOOLEAN column copies into INTEGER and REAL columns as 1/0, like SQLite', () => {
    o.exec(
      'CREATE TABLE flags (id INTEGER PRIMARY KEY, f BOOLEAN)',
      'INSERT INTO flags (id, f) VALUES (1, TRUE), (2, FALSE), (3, NULL)',
      'CREATE TABLE nums (i INTEGER, r REAL, b BOOLEAN)',
    );
    const r = o.both('INSERT INTO nums (i, r, b) SELECT f, f, f FROM flags', ['nums']);
    expect(r.mv).toEqual(r.sqlite);
  });
});

describe('INSERT … DEFAULT VALUES', () => {
  test.each([
    'INSERT INTO t DEFAULT VALUES',
    'INSERT INTO src DEFAULT VALUES',
    'INSERT OR IGNORE INTO t DEFAULT VALUES',
    'INSERT OR REPLACE INTO t DEFAULT VALUES',
  ])('%s', (sql) => {
    const r = o.both(sql, TABLES);
    expect(r.mv).toEqual(r.sqlite);
    const again = o.both(sql, TABLES);
    expect(again.mv).toEqual(again.sqlite);
  });

  test('a NOT NULL column without a default fails like SQLite', () => {
    o.exec('CREATE TABLE n (id INTEGER PRIMARY KEY, v TEXT NOT NULL)');
    const r = o.both('INSERT INTO n DEFAULT VALUES', ['n']);
    expect(r.mv).toEqual(r.sqlite);
  });

  test('lastRowId is the new rowid', () => {
    const cur = o.conn.cursor().execute('INSERT INTO t DEFAULT VALUES');
    expect(cur.rowCount).toBe(1);
    expect(cur.lastRowId).toBe(2);
  });
});
