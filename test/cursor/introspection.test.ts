/**
 * sqlite_master / sqlite_schema and the catalog PRAGMAs compared with better-sqlite3: the same
 * DDL runs in both, then the rows each engine lists (type, name, tbl_name; table_info,
 * table_xinfo, index_list, index_info, index_xinfo) must agree. The `sql` column is regenerated
 * by ModelVault (docs/sql.md, "Introspection"), so it is checked by what it means: run in a fresh
 * SQLite it rebuilds tables with the same PRAGMA answers, and in a fresh ModelVault the same
 * catalog. `rootpage` is ModelVault's own (a collection id, 0 for indexes).
 */
import BetterSqlite3 from 'better-sqlite3';
import { connect, Database, NotSupportedError, ProgrammingError } from '../../src/index';
import type { Connection } from '../../src/index';
import { Oracle } from '../helpers/sqlite-oracle';
import { tmpDir } from '../helpers/tmp';
import type { Outcome } from '../helpers/sqlite-oracle';

/** Tables covering each kind of key and constraint index ModelVault has. */
const DDL = [
  'CREATE TABLE plain (msg TEXT, level INT)',
  'CREATE TABLE books (id INTEGER PRIMARY KEY, title VARCHAR(200) NOT NULL, year integer, price Float DEFAULT 0, isbn TEXT UNIQUE)',
  "CREATE TABLE codes (code TEXT PRIMARY KEY, label TEXT UNIQUE, rank INT UNIQUE, note TEXT DEFAULT 'n/a')",
  'CREATE TABLE t2 (a INT, b INT, PRIMARY KEY (b), UNIQUE (a))',
  'CREATE TABLE t3 (a INT PRIMARY KEY, b INT UNIQUE, c BIGINT, d unsigned big int, e DOUBLE PRECISION, f BOOLEAN, g BLOB)',
  'CREATE TABLE t4 (a TEXT UNIQUE UNIQUE, b TEXT UNIQUE, c TEXT COLLATE NOCASE, UNIQUE (b))',
  "CREATE TABLE t5 (a INTEGER PRIMARY KEY, s TEXT CHECK (s IN ('x', 'y')), n INT CHECK (n >= 0))",
  'CREATE INDEX books_year ON books (year)',
  'CREATE UNIQUE INDEX codes_note ON codes (note)',
  'CREATE INDEX t4_c ON t4 (c)',
  'ALTER TABLE plain ADD COLUMN extra VARCHAR(10)',
  'CREATE INDEX plain_level ON plain (level)',
  'CREATE TABLE gone (x INT UNIQUE)',
  'DROP TABLE gone',
  'CREATE INDEX dropped ON t2 (a)',
  'DROP INDEX dropped',
];
const TABLES = ['plain', 'books', 'codes', 't2', 't3', 't4', 't5'];

let o: Oracle;
beforeEach(() => {
  o = new Oracle();
  o.exec(...DDL);
});
afterEach(() => o.close());

/** A query's rowCount is the rows fetched, SQLite's changes() the last write's: not compared. */
function withoutChanges(outcome: Outcome): Outcome {
  return outcome.ok ? { ...outcome, changes: -1 } : outcome;
}

function expectSame(sql: string, params: unknown[] = []): void {
  expect(withoutChanges(o.runMv(sql, params))).toEqual(withoutChanges(o.runSqlite(sql, params)));
}

/** The names of every index in sqlite_master (the round trip below needs them). */
function indexNames(): string[] {
  const out = o.runMv("SELECT name FROM sqlite_master WHERE type = 'index' ORDER BY name");
  if (!out.ok || !out.rows) throw new Error('sqlite_master is not readable');
  return out.rows.map((r) => String(r[0]));
}

describe('sqlite_master', () => {
  test.each([
    'SELECT type, name, tbl_name FROM sqlite_master ORDER BY name',
    'SELECT type, name, tbl_name FROM sqlite_schema ORDER BY type, name',
    'SELECT type, name, tbl_name FROM main.sqlite_master ORDER BY name DESC',
    "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name",
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'books'",
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'nope'",
    "SELECT count(*) FROM sqlite_master WHERE type = 'index'",
    'SELECT type, count(*) FROM sqlite_master GROUP BY type ORDER BY type',
    "SELECT name, sql IS NULL FROM sqlite_master WHERE type = 'index' ORDER BY name",
    "SELECT m.name FROM sqlite_master AS m WHERE m.tbl_name = 'codes' ORDER BY 1",
    "SELECT sqlite_master.name FROM sqlite_master WHERE name LIKE 't_' ORDER BY name",
    "SELECT upper(name) || ':' || type FROM sqlite_master WHERE tbl_name IN ('t2', 't4') ORDER BY 1",
    "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'books' ORDER BY name LIMIT 1",
    "SELECT DISTINCT tbl_name FROM sqlite_master WHERE type = 'index' ORDER BY 1",
    "SELECT typeof(rootpage), typeof(sql) FROM sqlite_master WHERE name = 'books'",
    'SELECT * FROM sqlite_temp_master',
    'SELECT count(*) FROM sqlite_temp_schema',
  ])('%s', (sql) => expectSame(sql));

  test('a parameter in the WHERE clause (the usual "does this table exist" check)', () => {
    const check = "SELECT name FROM sqlite_master WHERE type='table' AND name=?";
    for (const name of ['books', 'codes', 'missing']) expectSame(check, [name]);
  });

  test('result columns are named and typed like SQLite', () => {
    const cur = o.conn.cursor().execute('SELECT * FROM sqlite_master');
    expect(cur.description?.map((d) => d[0])).toEqual(['type', 'name', 'tbl_name', 'rootpage', 'sql']);
    expect(cur.description?.map((d) => d[1])).toEqual(['TEXT', 'TEXT', 'TEXT', 'INTEGER', 'TEXT']);
    expect(cur.description?.map((d) => d[6])).toEqual([false, false, false, false, true]);
  });

  test('rootpage: the collection id of a table (stable), 0 for an index', () => {
    const rows = o.conn
      .execute("SELECT name, rootpage FROM sqlite_master WHERE name IN ('books', 'books_year', 'plain')")
      .fetchAll();
    expect(rows).toEqual([
      ['plain', 1n],
      ['books', 2n],
      ['books_year', 0n],
    ]);
  });

  test('the sql column rebuilds the same tables and indexes in SQLite (PRAGMA answers equal)', () => {
    const sqls = o.conn
      .execute('SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY type DESC')
      .fetchAll() as unknown[][];
    const fresh = new BetterSqlite3(':memory:');
    try {
      for (const [sql] of sqls) fresh.exec(String(sql));
      for (const t of TABLES) {
        for (const pragma of ['table_info', 'index_list']) {
          const rebuilt = fresh.prepare(`PRAGMA ${pragma}(${t})`).raw(true).all();
          const original = o.sqlite.prepare(`PRAGMA ${pragma}(${t})`).raw(true).all();
          expect([t, pragma, rebuilt]).toEqual([t, pragma, original]);
        }
      }
    } finally {
      fresh.close();
    }
  });

  test('the sql column rebuilds the same catalog in ModelVault', () => {
    const sqls = o.conn
      .execute('SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY type DESC')
      .fetchAll() as unknown[][];
    const fresh = connect(':memory:', { autocommit: true });
    try {
      for (const [sql] of sqls) fresh.execute(String(sql));
      const dump = (c: Connection): unknown =>
        c.execute('SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name').fetchAll();
      expect(dump(fresh)).toEqual(dump(o.conn));
    } finally {
      fresh.close();
    }
  });

  test('the canonical CREATE TABLE text', () => {
    const sql = (name: string): unknown =>
      o.conn.execute('SELECT sql FROM sqlite_master WHERE name = ?', [name]).fetchOne();
    expect(sql('books')).toEqual([
      'CREATE TABLE books (id INTEGER PRIMARY KEY, title VARCHAR(200) NOT NULL, year INTEGER, price Float DEFAULT 0, isbn TEXT UNIQUE)',
    ]);
    expect(sql('t5')).toEqual([
      "CREATE TABLE t5 (a INTEGER PRIMARY KEY, s TEXT CHECK (s IN ('x', 'y')), n INT CHECK (n >= 0))",
    ]);
    expect(sql('books_year')).toEqual(['CREATE INDEX books_year ON books (year)']);
    expect(sql('sqlite_autoindex_books_1')).toEqual([null]);
  });

  test('a statement cached before a CREATE TABLE sees the new table', () => {
    const count = "SELECT count(*) FROM sqlite_master WHERE type = 'table'";
    expect(o.conn.execute(count).fetchOne()).toEqual([7n]);
    o.exec('CREATE TABLE later (x INT)');
    expect(o.conn.execute(count).fetchOne()).toEqual([8n]);
    expectSame(count);
  });

  test('INSERT … SELECT reads sqlite_master and the table-valued PRAGMAs', () => {
    o.exec('CREATE TABLE names (n TEXT, k TEXT)');
    const tables = ['names'];
    for (const sql of [
      "INSERT INTO names (n, k) SELECT name, type FROM sqlite_master WHERE tbl_name = 'books'",
      "INSERT INTO names SELECT name, type FROM pragma_table_info('codes') WHERE pk = 0",
    ]) {
      const { mv, sqlite } = o.both(sql, tables);
      expect(mv).toEqual(sqlite);
    }
  });

  test('EXPLAIN shows the virtual scan inside the ordinary plan', () => {
    const plan = o.conn
      .execute("EXPLAIN SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .fetchAll();
    expect(plan.map((r) => String((r as unknown[])[0]).trim())).toEqual([
      'Project name',
      'Sort name ASC',
      "Filter (type = 'table')",
      'VirtualScan sqlite_master',
    ]);
  });

  test('a collection registered through the typed API is listed with a generated CREATE TABLE', () => {
    const c = connect(':memory:', { autocommit: true });
    c.database.registerCollection(
      'users',
      [
        { path: 'id', type: 'string' },
        { path: 'email', type: 'string', constraints: [{ maxLength: 200 }] },
        { path: ['profile', 'tz'], type: { optional: 'string' } },
        { path: 'age', type: { optional: 'int64' }, constraints: [{ min: 0 }] },
        { path: 'status', type: { enum: ['active', 'banned'] }, default: 'active' },
      ],
      'id',
      [{ name: 'users_email', path: 'email', kind: 'unique' }],
    );
    const rows = c
      .execute('SELECT type, name, sql FROM sqlite_master ORDER BY name')
      .fetchAll() as unknown[][];
    expect(rows).toEqual([
      ['index', 'sqlite_autoindex_users_1', null],
      [
        'table',
        'users',
        "CREATE TABLE users (id TEXT PRIMARY KEY, email TEXT NOT NULL CHECK (length(email) <= 200), \"profile.tz\" TEXT, age INTEGER CHECK (age >= 0), status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'banned')))",
      ],
      ['index', 'users_email', 'CREATE UNIQUE INDEX users_email ON users (email)'],
    ]);
    // SQLite accepts the generated text.
    const fresh = new BetterSqlite3(':memory:');
    for (const r of rows) if (r[2] !== null) fresh.exec(String(r[2]));
    expect(fresh.prepare('PRAGMA table_info(users)').raw(true).all()).toEqual(
      c
        .execute('PRAGMA table_info(users)')
        .fetchAll()
        .map((r) => (r as unknown[]).map((v) => v)),
    );
    fresh.close();
    c.close();
  });

  test.each([
    "INSERT INTO sqlite_master VALUES ('table', 'x', 'x', 0, NULL)",
    "UPDATE sqlite_master SET name = 'x'",
    'DELETE FROM sqlite_master',
    'DELETE FROM sqlite_schema',
    'DROP TABLE sqlite_master',
    'CREATE TABLE sqlite_master (a INT)',
    'CREATE TABLE sqlite_stuff (a INT)',
    'CREATE INDEX i ON sqlite_master (name)',
    'CREATE INDEX sqlite_i ON books (year)',
    'DROP INDEX sqlite_autoindex_books_1',
    'ALTER TABLE sqlite_master ADD COLUMN z INT',
    'CREATE TABLE IF NOT EXISTS sqlite_master (a INT)',
    'CREATE TABLE IF NOT EXISTS SQLITE_x (a INT)',
    'CREATE INDEX IF NOT EXISTS sqlite_autoindex_books_1 ON books (isbn)',
    'DROP INDEX IF EXISTS sqlite_autoindex_books_1',
    'DROP TABLE IF EXISTS sqlite_schema',
  ])('%s is refused as by SQLite', (sql) => {
    const mv = o.runMv(sql);
    expect(mv).toEqual(o.runSqlite(sql));
    expect(mv).toEqual({ ok: false, error: 'ProgrammingError' });
  });

  test('DROP INDEX IF EXISTS of a constraint index name that does not exist is accepted, as by SQLite', () => {
    expectSame('DROP INDEX IF EXISTS sqlite_autoindex_nope_1');
    expectSame('DROP INDEX sqlite_autoindex_nope_1');
  });

  test('the refusal carries code SYSTEM_TABLE and changes nothing', () => {
    let err: unknown;
    try {
      o.conn.execute('DELETE FROM sqlite_master');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ProgrammingError);
    expect(err).toMatchObject({ code: 'SYSTEM_TABLE', message: 'table sqlite_master may not be modified' });
    expectSame('SELECT type, name FROM sqlite_master ORDER BY name');
  });
});

describe('catalog PRAGMAs', () => {
  const forTables = TABLES.flatMap((t) => [
    `PRAGMA table_info(${t})`,
    `PRAGMA table_xinfo(${t})`,
    `PRAGMA index_list(${t})`,
    `PRAGMA main.table_info(${t.toUpperCase()})`,
    `PRAGMA table_info('${t}')`,
    `PRAGMA table_info = ${t}`,
  ]);
  test.each(forTables)('%s', (sql) => expectSame(sql));

  test('index_info and index_xinfo of every index, constraint indexes included', () => {
    const names = indexNames();
    expect(names.length).toBeGreaterThan(8);
    for (const name of names) {
      expectSame(`PRAGMA index_info(${name})`);
      expectSame(`PRAGMA index_xinfo(${name})`);
    }
  });

  test.each([
    'PRAGMA table_info(nope)',
    'PRAGMA index_list(nope)',
    'PRAGMA index_info(nope)',
    'PRAGMA index_xinfo(nope)',
    'PRAGMA table_info',
    'PRAGMA index_list',
  ])('%s: an unknown or missing name has no rows', (sql) => expectSame(sql));

  test.each([
    "SELECT * FROM pragma_table_info('books')",
    "SELECT name, type FROM pragma_table_info('codes') WHERE pk = 1",
    "SELECT count(*) FROM pragma_index_list('t4')",
    "SELECT * FROM main.pragma_table_xinfo('t3') ORDER BY cid DESC",
    "SELECT rowid, name FROM pragma_table_info('plain')",
    "SELECT * FROM pragma_index_info('sqlite_autoindex_t2_1')",
    "SELECT name FROM pragma_index_list('books') AS l WHERE l.origin = 'c'",
    "SELECT * FROM pragma_table_info('books', 'main')",
    'SELECT * FROM pragma_table_info',
    "SELECT * FROM pragma_table_info('nope')",
    'SELECT * FROM pragma_table_info(books)',
  ])('table-valued form: %s', (sql) => expectSame(sql));

  test('table-valued form with a parameter', () => {
    for (const t of TABLES) expectSame('SELECT name, type, pk FROM pragma_table_info(?) ORDER BY cid', [t]);
  });

  test('description of table_info', () => {
    const cur = o.conn.cursor().execute('PRAGMA table_info(books)');
    expect(cur.description?.map((d) => d[0])).toEqual(['cid', 'name', 'type', 'notnull', 'dflt_value', 'pk']);
    expect(cur.rowCount).toBe(-1);
    expect(cur.fetchAll()).toHaveLength(5);
    expect(cur.rowCount).toBe(5);
  });

  test('a table without a primary key does not show its hidden rowid (table_xinfo neither)', () => {
    const rows = o.conn.execute('PRAGMA table_xinfo(plain)').fetchAll();
    expect(rows.map((r) => (r as unknown[])[1])).toEqual(['msg', 'level', 'extra']);
  });

  test('the PRAGMAs of SQLite that are not answered are NotSupportedError naming them', () => {
    for (const sql of ['PRAGMA schema_version', 'PRAGMA function_list', 'PRAGMA application_id = 7']) {
      let err: unknown;
      try {
        o.conn.execute(sql);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(NotSupportedError);
      expect(String((err as Error).message)).toContain(sql.split(/[ (=]/)[1]);
    }
    expect(() => o.conn.execute('PRAGMA aux.table_info(books)')).toThrow(NotSupportedError);
    // The temp schema has no books: no rows, as in SQLite (test/cursor/temp-tables.test.ts).
    expect(o.query('PRAGMA temp.table_info(books)').mv).toEqual(
      o.query('PRAGMA temp.table_info(books)').sqlite,
    );
  });

  test('malformed PRAGMAs are syntax errors in both engines', () => {
    for (const sql of [
      'PRAGMA',
      'PRAGMA user_version = ',
      'PRAGMA table_info(books',
      'PRAGMA user_version = 1 + 2',
    ])
      expect(o.runMv(sql)).toEqual(o.runSqlite(sql));
  });
});

describe('declared types are kept in the file', () => {
  const tmp = tmpDir();
  afterAll(() => tmp.cleanup());

  test('table_info and sqlite_master show them after reopen, a checkpoint and compaction', () => {
    const file = tmp.file();
    const create =
      'CREATE TABLE items (sku varchar ( 20 ) PRIMARY KEY, qty Int NOT NULL DEFAULT 1, price Double Precision, tags NVARCHAR(5) UNIQUE)';
    const sqlite = new BetterSqlite3(':memory:');
    sqlite.exec(create);
    const expected = sqlite.prepare('PRAGMA table_info(items)').raw(true).all();
    sqlite.close();
    const c = connect(file, { autocommit: true });
    c.execute(create);
    c.execute('ALTER TABLE items ADD COLUMN note Text');
    c.close();
    const info = (): unknown[] => {
      const r = connect(file, { readOnly: true });
      try {
        return r.execute('PRAGMA table_info(items)').fetchAll();
      } finally {
        r.close();
      }
    };
    const withNote = [...expected, [4, 'note', 'TEXT', 0, null, 0]];
    expect(info()).toEqual(withNote);
    const db = Database.open(file);
    db.checkpoint();
    db.compact();
    db.close();
    expect(info()).toEqual(withNote);
  });
});
