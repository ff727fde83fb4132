/**
 * CREATE TABLE … STRICT / WITHOUT ROWID (issue 13): the forms SQLite accepts are accepted, the
 * ones it refuses fail with its message, and what the options change (no rowid, no auto-assigned
 * INTEGER PRIMARY KEY, NOT NULL key columns, lastRowId untouched, the catalog's text) matches
 * better-sqlite3, also after reopen, checkpoint and compaction.
 */
import Sqlite from 'better-sqlite3';
import { connect, Database, NotSupportedError, ValidationError } from '../../src/index';
import type { Connection } from '../../src/index';
import { Oracle } from '../helpers/sqlite-oracle';
import { tmpDir } from '../helpers/tmp';

const tmp = tmpDir();
afterAll(() => tmp.cleanup());

function rows(con: Connection, sql: string): unknown[][] {
  return con.execute(sql).fetchAll() as unknown[][];
}

/** The error message of `run`, or 'ok'. */
function outcome(run: () => unknown): string {
  try {
    run();
    return 'ok';
  } catch (err) {
    return (err as Error).message;
  }
}

describe('CREATE TABLE forms against better-sqlite3', () => {
  // [statement, whether ModelVault's message is SQLite's word for word]
  const forms: string[] = [
    'CREATE TABLE t (a INTEGER, b TEXT) STRICT',
    'CREATE TABLE t (a int, b real, c text, d blob) strict',
    'CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT) WITHOUT ROWID',
    'CREATE TABLE t (a TEXT PRIMARY KEY, b INT) without rowid',
    'CREATE TABLE t (a TEXT, b INT, PRIMARY KEY (a, b)) WITHOUT ROWID, STRICT',
    'CREATE TABLE t (a TEXT, b INT, PRIMARY KEY (a, b)) STRICT, WITHOUT ROWID',
    'CREATE TABLE t (a INTEGER PRIMARY KEY) STRICT, STRICT',
    'CREATE TABLE t (a VARCHAR(10)) STRICT',
    'CREATE TABLE t (a integer(5)) STRICT',
    'CREATE TABLE t (a BOOLEAN) STRICT',
    'CREATE TABLE t (a INTEGER, b) STRICT',
    'CREATE TABLE t (a INT, b TEXT) WITHOUT ROWID',
    'CREATE TABLE t (a INTEGER PRIMARY KEY AUTOINCREMENT, b TEXT) WITHOUT ROWID',
    'CREATE TABLE t (a TEXT PRIMARY KEY) FOO',
    'CREATE TABLE t (a TEXT PRIMARY KEY) WITHOUT foo',
    'CREATE TABLE t (a TEXT PRIMARY KEY) STRICT, nonsense',
  ];
  test.each(forms)('%s', (sql) => {
    const sqlite = new Sqlite(':memory:');
    const con = connect(':memory:', { autocommit: true });
    try {
      expect(outcome(() => con.execute(sql))).toBe(outcome(() => sqlite.exec(sql)));
    } finally {
      con.close();
      sqlite.close();
    }
  });

  test('options without a comma, or a trailing comma, are syntax errors in both', () => {
    for (const sql of [
      'CREATE TABLE t (a TEXT PRIMARY KEY) WITHOUT ROWID STRICT',
      'CREATE TABLE t (a TEXT PRIMARY KEY) STRICT,',
    ]) {
      const sqlite = new Sqlite(':memory:');
      const con = connect(':memory:', { autocommit: true });
      expect(() => sqlite.exec(sql)).toThrow();
      expect(() => con.execute(sql)).toThrow(/unexpected text after the end|statement ended/);
      con.close();
      sqlite.close();
    }
  });

  test('ANY is refused with a NotSupportedError (no ModelVault column holds any value)', () => {
    const con = connect(':memory:', { autocommit: true });
    expect(() => con.execute('CREATE TABLE t (a ANY) STRICT')).toThrow(NotSupportedError);
    expect(() => con.execute('CREATE TABLE t (a ANY) STRICT')).toThrow(/column type ANY \(column a\)/);
    con.close();
  });

  test('ADD COLUMN on a STRICT table follows the STRICT rule, with SQLite message', () => {
    for (const column of ['z VARCHAR(5)', 'z', 'z int', 'z BLOB']) {
      const sqlite = new Sqlite(':memory:');
      const con = connect(':memory:', { autocommit: true });
      const setup = 'CREATE TABLE s (x INTEGER, y TEXT) STRICT';
      sqlite.exec(setup);
      con.execute(setup);
      const sql = `ALTER TABLE s ADD COLUMN ${column}`;
      expect({ column, mv: outcome(() => con.execute(sql)) }).toEqual({
        column,
        mv: outcome(() => sqlite.exec(sql)),
      });
      con.close();
      sqlite.close();
    }
  });
});

describe('WITHOUT ROWID and STRICT tables behave as in SQLite', () => {
  let o: Oracle;
  beforeEach(() => {
    o = new Oracle();
  });
  afterEach(() => o.close());

  const scripts: Record<string, string[]> = {
    'INTEGER PRIMARY KEY without rowid': [
      'CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT) WITHOUT ROWID',
      "INSERT INTO t (b) VALUES ('x')",
      "INSERT INTO t VALUES (NULL, 'x')",
      "INSERT INTO t VALUES (5, 'x'), (3, 'y')",
      "INSERT INTO t VALUES (5, 'dup')",
      "INSERT OR REPLACE INTO t VALUES (5, 'z')",
      "INSERT OR IGNORE INTO t VALUES (3, 'ignored')",
      'SELECT rowid FROM t',
      'SELECT _rowid_ FROM t',
      'SELECT oid FROM t',
      'SELECT t.rowid FROM t',
      'SELECT * FROM t WHERE a = 5',
      'UPDATE t SET a = a + 10',
      'DELETE FROM t WHERE a = 13',
      'SELECT a, b FROM t ORDER BY a',
    ],
    'composite key without rowid, STRICT': [
      'CREATE TABLE t (a TEXT, b INT, c REAL, PRIMARY KEY (a, b)) STRICT, WITHOUT ROWID',
      'INSERT INTO t VALUES (NULL, 1, 1.5)',
      "INSERT INTO t VALUES ('a', NULL, 1.5)",
      "INSERT INTO t VALUES ('a', 1, 1.5), ('a', 2, 2.5), ('b', 1, NULL)",
      "INSERT INTO t VALUES ('a', 1, 9.0)",
      'SELECT rowid FROM t',
      "SELECT * FROM t WHERE a = 'a' ORDER BY b DESC",
      'SELECT a, COUNT(*), SUM(c) FROM t GROUP BY a ORDER BY a',
      "UPDATE t SET b = 2 WHERE a = 'a' AND b = 1",
      "DELETE FROM t WHERE a = 'b'",
      'SELECT * FROM t ORDER BY a, b',
    ],
    'STRICT rowid table keeps its rowid': [
      'CREATE TABLE t (a INT, b TEXT) STRICT',
      "INSERT INTO t VALUES (1, 'one'), (2, 'two')",
      'SELECT rowid, a, b FROM t ORDER BY rowid',
      'SELECT typeof(a), typeof(b) FROM t',
    ],
    'joins between a WITHOUT ROWID table and a rowid table': [
      'CREATE TABLE k (id TEXT PRIMARY KEY, n INT) WITHOUT ROWID',
      'CREATE TABLE r (id INTEGER PRIMARY KEY, k TEXT)',
      "INSERT INTO k VALUES ('a', 1), ('b', 2)",
      "INSERT INTO r (k) VALUES ('a'), ('b'), ('a'), ('c')",
      'SELECT r.id, k.n FROM r JOIN k ON k.id = r.k ORDER BY r.id',
      'SELECT k.id, COUNT(r.id) FROM k LEFT JOIN r ON r.k = k.id GROUP BY k.id ORDER BY k.id',
    ],
  };
  test.each(Object.keys(scripts))('%s', (name) => {
    const tables = name.startsWith('joins') ? ['k', 'r'] : ['t'];
    for (const sql of scripts[name]) {
      const create = /^CREATE/.test(sql);
      const { mv, sqlite } = o.both(sql, create ? [] : tables);
      // A DDL statement's rowCount is -1 (PEP 249), SQLite's changes() the last write's.
      if (create) for (const r of [mv, sqlite]) (r as { outcome: { changes?: number } }).outcome.changes = 0;
      expect({ sql, mv }).toEqual({ sql, mv: sqlite });
    }
  });

  test('a value of the wrong type: SQLite STRICT says CONSTRAINT_DATATYPE, ModelVault a ValidationError', () => {
    o.exec('CREATE TABLE t (a TEXT, b INT, PRIMARY KEY (a, b)) STRICT, WITHOUT ROWID');
    const sql = "INSERT INTO t VALUES ('x', 'not an int')";
    expect(() => o.sqlite.exec(sql)).toThrow('cannot store TEXT value in INT column t.b');
    // Every ModelVault column is typed: the documented DataError (ValidationError with the path).
    expect(() => o.conn.execute(sql)).toThrow(ValidationError);
    expect(() => o.conn.execute(sql)).toThrow(/^b: expected int64/);
    expect(rows(o.conn, 'SELECT COUNT(*) FROM t')).toEqual([[0n]]);
  });

  test('an insert into a WITHOUT ROWID table leaves lastRowId as it was', () => {
    const sqlite = new Sqlite(':memory:');
    const con = connect(':memory:', { autocommit: true });
    const cur = con.cursor();
    const lastIds: unknown[][] = [[], []];
    for (const sql of [
      'CREATE TABLE r (id INTEGER PRIMARY KEY, v TEXT)',
      'CREATE TABLE w (id INTEGER PRIMARY KEY, v TEXT) WITHOUT ROWID',
      "INSERT INTO r VALUES (7, 'a')",
      "INSERT INTO w VALUES (99, 'b')",
      "INSERT INTO w VALUES (100, 'c')",
    ]) {
      cur.execute(sql);
      const info = sqlite.prepare(sql).run();
      if (sql.startsWith('INSERT')) {
        lastIds[0].push(cur.lastRowId);
        lastIds[1].push(Number(info.lastInsertRowid));
      }
    }
    expect(lastIds[0]).toEqual([7, 7, 7]);
    expect(lastIds[0]).toEqual(lastIds[1]);
    con.close();
    sqlite.close();
  });

  test('catalog: the option stays in the sql text; no separate primary-key index in sqlite_master', () => {
    o.exec(
      'CREATE TABLE s (x INTEGER, y TEXT) STRICT',
      'CREATE TABLE w (a INTEGER PRIMARY KEY, b TEXT) WITHOUT ROWID',
      'CREATE TABLE c (a TEXT, b INT, PRIMARY KEY (a, b)) STRICT, WITHOUT ROWID',
      'CREATE INDEX c_b ON c (b)',
    );
    const mv = rows(o.conn, 'SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name');
    expect(mv.map((r) => r.slice(0, 3))).toEqual(
      o.sqlite.prepare('SELECT type, name, tbl_name FROM sqlite_master ORDER BY name').raw().all(),
    );
    const sqlOf = (name: string): string => String(mv.find((r) => r[1] === name)?.[3]);
    expect(sqlOf('s')).toBe('CREATE TABLE s (x INTEGER, y TEXT) STRICT');
    expect(sqlOf('w')).toBe('CREATE TABLE w (a INTEGER PRIMARY KEY, b TEXT) WITHOUT ROWID');
    expect(sqlOf('c')).toBe('CREATE TABLE c (a TEXT, b INT, PRIMARY KEY (a, b)) STRICT, WITHOUT ROWID');
    // The text is SQLite's: a fresh SQLite database made from it has the same options.
    const copy = new Sqlite(':memory:');
    for (const name of ['s', 'w', 'c']) copy.exec(sqlOf(name));
    const options = (db: Sqlite.Database): unknown[] =>
      db
        .prepare(
          "SELECT name, wr, strict FROM pragma_table_list WHERE schema = 'main' AND name IN ('s','w','c')",
        )
        .raw()
        .all()
        .sort();
    expect(options(copy)).toEqual(options(o.sqlite));
    copy.close();
    for (const pragma of ['PRAGMA index_list(w)', 'PRAGMA index_list(c)', 'PRAGMA table_info(c)'])
      expect({ pragma, mv: o.query(pragma).mv }).toEqual({ pragma, mv: o.query(pragma).sqlite });
  });
});

describe('the options survive reopen, ALTER TABLE, checkpoint and compaction', () => {
  const setup = [
    'CREATE TABLE s (x INTEGER PRIMARY KEY, y TEXT) STRICT',
    'CREATE TABLE w (a INTEGER PRIMARY KEY, b TEXT) WITHOUT ROWID',
    'CREATE TABLE c (a TEXT, b INT, PRIMARY KEY (a, b)) STRICT, WITHOUT ROWID',
    "INSERT INTO s VALUES (1, 'one')",
    "INSERT INTO w VALUES (10, 'ten')",
    "INSERT INTO c VALUES ('k', 1), ('k', 2)",
  ];
  const catalog = (con: Connection): unknown[][] =>
    rows(con, "SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY name");

  function checkBehaviour(con: Connection): void {
    expect(() => con.execute('SELECT rowid FROM w')).toThrow('no such column: rowid');
    expect(() => con.execute('SELECT rowid FROM c')).toThrow('no such column: rowid');
    expect(() => con.execute("INSERT INTO w (b) VALUES ('no key')")).toThrow(
      'NOT NULL constraint failed: w.a',
    );
    expect(() => con.execute('INSERT INTO c VALUES (NULL, 3)')).toThrow('NOT NULL constraint failed: c.a');
    expect(rows(con, 'SELECT rowid, y FROM s')).toEqual([[1, 'one']]);
    expect(() => con.execute('ALTER TABLE s ADD COLUMN bad VARCHAR(3)')).toThrow(
      'error in table s after add column: unknown datatype for s.bad: "VARCHAR(3)"',
    );
  }

  test('reopen, then ADD COLUMN and RENAME keep the options, then checkpoint and compact', () => {
    const file = tmp.file();
    let con = connect(file, { autocommit: true });
    for (const sql of setup) con.execute(sql);
    const before = catalog(con);
    con.close();

    con = connect(file, { autocommit: true });
    expect(catalog(con)).toEqual(before);
    checkBehaviour(con);
    con.execute('ALTER TABLE w ADD COLUMN extra TEXT');
    con.execute('ALTER TABLE c RENAME TO c2');
    con.execute('ALTER TABLE c2 RENAME TO c');
    con.execute('CREATE INDEX w_b ON w (b)');
    const altered = catalog(con);
    expect(altered.find((r) => r[0] === 'w')?.[1]).toBe(
      'CREATE TABLE w (a INTEGER PRIMARY KEY, b TEXT, extra TEXT) WITHOUT ROWID',
    );
    expect(altered.find((r) => r[0] === 'c')?.[1]).toMatch(/\) STRICT, WITHOUT ROWID$/);
    con.database.checkpoint();
    con.close();

    con = connect(file, { autocommit: true });
    expect(catalog(con)).toEqual(altered);
    con.database.compact();
    con.close();

    con = connect(file, { autocommit: true });
    expect(catalog(con)).toEqual(altered);
    checkBehaviour(con);
    expect(rows(con, 'SELECT * FROM c ORDER BY b')).toEqual([
      ['k', 1],
      ['k', 2],
    ]);
    con.close();
  });

  test('a typed-API schema version keeps STRICT and WITHOUT ROWID', () => {
    const file = tmp.file();
    const con = connect(file, { autocommit: true });
    con.execute('CREATE TABLE w (a INTEGER PRIMARY KEY, b TEXT) STRICT, WITHOUT ROWID');
    con.close();
    const db = Database.open(file);
    try {
      db.registerSchemaVersion('w', {
        fields: [
          { path: 'a', type: 'int64' },
          { path: 'b', type: { optional: 'string' } },
          { path: 'c', type: { optional: 'string' } },
        ],
      });
    } finally {
      db.close();
    }
    const again = connect(file, { autocommit: true });
    expect(rows(again, "SELECT sql FROM sqlite_master WHERE name = 'w'")[0][0]).toMatch(
      /\) STRICT, WITHOUT ROWID$/,
    );
    again.close();
  });
});
