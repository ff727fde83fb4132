/**
 * VACUUM, VACUUM main and VACUUM INTO (issue 13): in-place compaction and a compacted copy keep
 * every row and index (query results before and after, and against better-sqlite3 running the
 * same statements), with SQLite's errors inside a transaction, for an existing target, a
 * non-text file name and an unknown schema.
 */
import * as fs from 'node:fs';
import Sqlite from 'better-sqlite3';
import { connect, NotSupportedError, OperationalError, TransactionError } from '../../src/index';
import type { Connection } from '../../src/index';
import { normRow } from '../differential/normalize';
import { tmpDir } from '../helpers/tmp';

const tmp = tmpDir();
afterAll(() => tmp.cleanup());

/** Connections and SQLite handles a test opened, closed after it even when it fails. */
const handles: { close(): void }[] = [];
afterEach(() => {
  for (const h of handles.splice(0)) {
    try {
      h.close();
    } catch {
      // already closed by the test
    }
  }
});

function open(path: string, options?: Parameters<typeof connect>[1]): Connection {
  const con = connect(path, options);
  handles.push(con);
  return con;
}

function openSqlite(path: string): Sqlite.Database {
  const db = new Sqlite(path);
  handles.push(db);
  return db;
}

function rows(con: Connection, sql: string, params: unknown[] = []): unknown[][] {
  return (con.execute(sql, params).fetchAll() as unknown[][]).map(normRow);
}

function sqliteRows(db: Sqlite.Database, sql: string): unknown[][] {
  const stmt = db.prepare(sql);
  stmt.safeIntegers(true);
  return (stmt.raw(true).all() as unknown[][]).map(normRow);
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

const SETUP = [
  'CREATE TABLE items (id INTEGER PRIMARY KEY, sku TEXT UNIQUE, qty INTEGER, note TEXT)',
  'CREATE INDEX items_qty ON items (qty)',
  'CREATE INDEX items_note_qty ON items (note, qty DESC)',
  'CREATE TABLE tags (name TEXT, item INT, PRIMARY KEY (name, item)) WITHOUT ROWID',
  'CREATE TABLE plain (v TEXT)',
];

/** Rows written, overwritten and deleted, so the log holds much that compaction drops. */
function churn(run: (sql: string) => void): void {
  run('BEGIN');
  for (let i = 1; i <= 300; i++)
    run(`INSERT INTO items VALUES (${i}, 'sku${i}', ${i % 17}, '${i % 2 ? 'odd' : 'even'}')`);
  for (let i = 1; i <= 120; i++) run(`INSERT INTO tags VALUES ('t${i % 7}', ${i})`);
  for (let i = 0; i < 40; i++) run(`INSERT INTO plain VALUES ('p${i}')`);
  run('UPDATE items SET qty = qty + 100 WHERE id % 5 = 0');
  run('DELETE FROM items WHERE id % 3 = 0');
  run("DELETE FROM tags WHERE name = 't3'");
  run("UPDATE plain SET v = v || '!' WHERE rowid % 4 = 0");
  run('DELETE FROM plain WHERE rowid % 6 = 0');
  run('COMMIT');
}

const QUERIES = [
  'SELECT * FROM items ORDER BY id',
  'SELECT id, sku FROM items WHERE qty BETWEEN 3 AND 9 ORDER BY qty, id',
  "SELECT id FROM items INDEXED BY items_note_qty WHERE note = 'odd' ORDER BY qty DESC, id",
  "SELECT id FROM items WHERE sku = 'sku10'",
  'SELECT qty, COUNT(*) FROM items GROUP BY qty ORDER BY qty',
  'SELECT * FROM tags ORDER BY name, item',
  'SELECT v FROM plain ORDER BY v',
  "SELECT type, name, tbl_name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name",
  'PRAGMA index_list(items)',
];

/**
 * SQLite's VACUUM may renumber the rowids of a table without an INTEGER PRIMARY KEY (its
 * documentation says so, and it does); ModelVault's keeps them, so they are compared with the
 * state before only.
 */
const ROWIDS = 'SELECT rowid, v FROM plain ORDER BY rowid';

function answers(con: Connection): unknown[][][] {
  return [...QUERIES, ROWIDS].map((q) => rows(con, q));
}

function sqliteAnswers(db: Sqlite.Database): unknown[][][] {
  return QUERIES.map((q) => sqliteRows(db, q));
}

describe('VACUUM compacts in place and keeps every row and index', () => {
  test('results before = after = SQLite after; the file shrinks; reopen agrees', () => {
    const file = tmp.file();
    const sqlite = openSqlite(tmp.file('oracle.db'));
    let con = open(file, { autocommit: true, safeIntegers: true });
    for (const sql of SETUP) {
      con.execute(sql);
      sqlite.exec(sql);
    }
    churn((sql) => {
      con.execute(sql);
      sqlite.exec(sql);
    });
    const before = answers(con);
    const size = fs.statSync(file).size;
    con.execute('VACUUM');
    sqlite.exec('VACUUM');
    expect(fs.statSync(file).size).toBeLessThan(size);
    expect(answers(con)).toEqual(before);
    expect(sqliteAnswers(sqlite)).toEqual(before.slice(0, QUERIES.length));
    // Writes go on after it, and VACUUM main is the same statement.
    con.execute("INSERT INTO items VALUES (1000, 'new', 1, 'odd')");
    con.execute('VACUUM main');
    con.close();
    con = open(file, { autocommit: true, safeIntegers: true });
    expect(rows(con, 'SELECT COUNT(*) FROM items')).toEqual([[201]]);
    con.execute('DELETE FROM items WHERE id = 1000');
    expect(answers(con)).toEqual(before);
    con.close();
    sqlite.close();
  });

  test('a second connection to the file reads the compacted file', () => {
    const file = tmp.file();
    const a = open(file, { autocommit: true });
    const b = open(file, { autocommit: true });
    for (const sql of SETUP) a.execute(sql);
    churn((sql) => a.execute(sql));
    const before = answers(b);
    a.execute('VACUUM');
    expect(answers(b)).toEqual(before);
    b.execute("INSERT INTO plain VALUES ('from b')");
    expect(rows(a, "SELECT COUNT(*) FROM plain WHERE v = 'from b'")).toEqual([[1]]);
    a.close();
    b.close();
  });

  test('VACUUM temp is a no-op, an unknown schema is an error, as in SQLite', () => {
    const sqlite = openSqlite(':memory:');
    const con = open(':memory:', { autocommit: true });
    for (const sql of ['VACUUM', 'VACUUM temp', 'VACUUM "main"', 'VACUUM nope'])
      expect({ sql, mv: outcome(() => con.execute(sql)) }).toEqual({
        sql,
        mv: outcome(() => sqlite.exec(sql)),
      });
    expect(() => con.execute('VACUUM main.t')).toThrow(/unexpected text after the end of the statement/);
    con.close();
    sqlite.close();
  });
});

describe('VACUUM is refused inside a transaction', () => {
  test('BEGIN … VACUUM, and the implicit PEP 249 transaction, with SQLite words', () => {
    const file = tmp.file();
    const sqlite = openSqlite(tmp.file('txn.db'));
    sqlite.exec('CREATE TABLE t (a INT)');
    sqlite.exec('BEGIN');
    sqlite.exec('INSERT INTO t VALUES (1)');
    const words = outcome(() => sqlite.exec('VACUUM'));
    expect(words).toBe('cannot VACUUM from within a transaction');
    expect(outcome(() => sqlite.exec(`VACUUM INTO '${tmp.file('x.db')}'`))).toBe(words);
    sqlite.close();

    const con = open(file);
    con.execute('CREATE TABLE t (a INT)');
    // autocommit off: the CREATE opened a transaction.
    expect(() => con.execute('VACUUM')).toThrow(TransactionError);
    expect(outcome(() => con.execute('VACUUM'))).toBe(words);
    expect(outcome(() => con.execute(`VACUUM INTO '${tmp.file('y.modelvault')}'`))).toBe(words);
    con.commit();
    con.execute('VACUUM');
    // VACUUM opens no transaction of its own.
    expect(con.inTransaction).toBe(false);
    con.close();
  });

  test("another connection's open write transaction: BUSY, nothing replaced", () => {
    const file = tmp.file();
    const a = open(file, { autocommit: true });
    const b = open(file);
    a.execute('CREATE TABLE t (a INT)');
    b.execute('INSERT INTO t VALUES (1)');
    expect(() => a.execute('VACUUM')).toThrow(OperationalError);
    expect(() => a.execute('VACUUM')).toThrow(expect.objectContaining({ code: 'BUSY' }));
    b.commit();
    a.execute('VACUUM');
    expect(rows(a, 'SELECT a FROM t')).toEqual([[1]]);
    a.close();
    b.close();
  });

  test('a read-only connection cannot VACUUM but can VACUUM INTO', () => {
    const file = tmp.file();
    const w = open(file, { autocommit: true });
    w.execute('CREATE TABLE t (a INT)');
    w.execute('INSERT INTO t VALUES (7)');
    w.close();
    const ro = open(file, { readOnly: true });
    expect(() => ro.execute('VACUUM')).toThrow(expect.objectContaining({ code: 'READ_ONLY' }));
    const copy = tmp.file();
    ro.execute(`VACUUM INTO '${copy}'`);
    ro.close();
    const c = open(copy);
    expect(rows(c, 'SELECT a FROM t')).toEqual([[7]]);
    c.close();
  });
});

describe('VACUUM INTO writes a compacted copy', () => {
  test('the copy answers every query as the source and SQLite do; the source is unchanged', () => {
    const file = tmp.file();
    const sqlite = openSqlite(':memory:');
    const con = open(file, { autocommit: true, safeIntegers: true });
    for (const sql of SETUP) {
      con.execute(sql);
      sqlite.exec(sql);
    }
    churn((sql) => {
      con.execute(sql);
      sqlite.exec(sql);
    });
    const before = answers(con);
    const bytes = fs.readFileSync(file);
    const target = tmp.file();
    con.execute(`VACUUM INTO '${target}'`);
    expect(fs.readFileSync(file).equals(bytes)).toBe(true);
    expect(fs.statSync(target).size).toBeLessThan(bytes.length);
    // A bound parameter names the target too (SQLite: `VACUUM INTO ?`).
    const second = tmp.file();
    con.execute('VACUUM main INTO ?', [second]);
    con.close();
    for (const copy of [target, second]) {
      const c = open(copy, { safeIntegers: true });
      expect(answers(c)).toEqual(before);
      c.close();
    }
    expect(sqliteAnswers(sqlite)).toEqual(before.slice(0, QUERIES.length));
    sqlite.close();
  });

  test('an existing target or a non-text name: SQLite errors, the target untouched', () => {
    const sqlite = openSqlite(':memory:');
    const con = open(':memory:', { autocommit: true });
    sqlite.exec('CREATE TABLE t (a INT)');
    con.execute('CREATE TABLE t (a INT)');
    // An existing database file (each engine's own), a missing directory, non-text names.
    const mvFile = tmp.file();
    open(mvFile).close();
    const mvBytes = fs.readFileSync(mvFile);
    const sqliteFile = tmp.file('existing.db');
    openSqlite(sqliteFile).exec('CREATE TABLE x (a INT)');
    const missing = `${tmp.dir}/no/such/dir.db`;
    for (const [mvSql, sql] of [
      [`VACUUM INTO '${mvFile}'`, `VACUUM INTO '${sqliteFile}'`],
      [`VACUUM INTO '${missing}'`, `VACUUM INTO '${missing}'`],
      ['VACUUM INTO 5', 'VACUUM INTO 5'],
      ['VACUUM INTO NULL', 'VACUUM INTO NULL'],
    ])
      expect({ sql, mv: outcome(() => con.execute(mvSql)) }).toEqual({
        sql,
        mv: outcome(() => sqlite.exec(sql)),
      });
    expect(() => con.execute(`VACUUM INTO '${mvFile}'`)).toThrow(OperationalError);
    expect(fs.readFileSync(mvFile).equals(mvBytes)).toBe(true);
    // Any other non-empty file is kept too (SQLite's words there: "file is not a database").
    const junk = tmp.file('junk.bin');
    fs.writeFileSync(junk, 'keep me');
    expect(() => con.execute(`VACUUM INTO '${junk}'`)).toThrow('output file already exists');
    expect(fs.readFileSync(junk, 'utf8')).toBe('keep me');
    // An empty file is a target in both.
    const empty = tmp.file('empty.modelvault');
    fs.writeFileSync(empty, '');
    con.execute('INSERT INTO t VALUES (3)');
    con.execute(`VACUUM INTO '${empty}'`);
    expect(rows(open(empty), 'SELECT a FROM t')).toEqual([[3]]);
    expect(() => con.execute(`VACUUM temp INTO '${tmp.file()}'`)).toThrow(NotSupportedError);
    con.close();
    sqlite.close();
  });

  test('an in-memory database: VACUUM is a no-op, VACUUM INTO writes a file', () => {
    const con = open(':memory:', { autocommit: true });
    con.execute('CREATE TABLE t (a INT)');
    con.execute('INSERT INTO t VALUES (1), (2)');
    con.execute('VACUUM');
    const target = tmp.file();
    con.execute(`VACUUM INTO '${target}'`);
    con.close();
    const c = open(target);
    expect(rows(c, 'SELECT a FROM t ORDER BY a')).toEqual([[1], [2]]);
    c.close();
  });
});
