/**
 * INTEGER PRIMARY KEY AUTOINCREMENT: keys are never reused (after the largest row is deleted the
 * next key is the largest ever + 1), checked against better-sqlite3, and the sequence survives
 * reopen, crash recovery (replay of the log), checkpoints, compaction and rollback.
 */
import * as fs from 'node:fs';
import Sqlite from 'better-sqlite3';
import { connect, ProgrammingError } from '../../src/index';
import type { Connection } from '../../src/index';
import { Oracle } from '../helpers/sqlite-oracle';
import { tmpDir } from '../helpers/tmp';

const tmp = tmpDir();
afterAll(() => tmp.cleanup());

function rows(con: Connection, sql: string): unknown[][] {
  return con.execute(sql).fetchAll() as unknown[][];
}

describe('against better-sqlite3', () => {
  let o: Oracle;
  beforeEach(() => {
    o = new Oracle();
  });
  afterEach(() => o.close());

  const script = (create: string): string[] => [
    create,
    "INSERT INTO t (v) VALUES ('a'), ('b'), ('c')",
    'DELETE FROM t WHERE id = 3',
    "INSERT INTO t (v) VALUES ('d') RETURNING id",
    "INSERT INTO t VALUES (100, 'x')",
    'DELETE FROM t WHERE id = 100',
    "INSERT INTO t (v) VALUES ('e') RETURNING id",
    "INSERT INTO t VALUES (-5, 'neg')",
    'DELETE FROM t',
    'INSERT INTO t DEFAULT VALUES RETURNING id',
    "INSERT INTO t (id, v) VALUES (NULL, 'n') RETURNING id",
    "INSERT OR REPLACE INTO t (id, v) VALUES (102, 'r') RETURNING id",
    "INSERT INTO t (v) SELECT v || '2' FROM t RETURNING id",
  ];
  test.each([
    'CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT)',
    'CREATE TABLE t (id INTEGER NOT NULL PRIMARY KEY ASC AUTOINCREMENT, v TEXT)',
    'CREATE TABLE t (id INTEGER, v TEXT, PRIMARY KEY (id AUTOINCREMENT))',
  ])('%s', (create) => {
    for (const sql of script(create)) {
      const { mv, sqlite } = o.both(sql, /^CREATE/.test(sql) ? [] : ['t']);
      if (/^CREATE/.test(sql))
        for (const r of [mv, sqlite]) (r as { outcome: { changes?: number } }).outcome.changes = 0;
      expect({ sql, mv }).toEqual({ sql, mv: sqlite });
    }
  });

  test('a row OR IGNORE skips for NOT NULL or CHECK uses up its key, as in SQLite', () => {
    const script = [
      'CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT NOT NULL, n INTEGER CHECK (n >= 0), u TEXT UNIQUE)',
      "INSERT INTO t (v, n, u) VALUES ('a', 1, 'x')",
      'INSERT OR IGNORE INTO t (v, n) VALUES (NULL, 1)',
      "INSERT OR IGNORE INTO t (v, n) VALUES ('b', -1)",
      "INSERT OR IGNORE INTO t (id, v, n) VALUES (100, 'c', -1)",
      "INSERT OR IGNORE INTO t (v, n, u) VALUES ('d', 1, 'x')",
      "INSERT OR IGNORE INTO t (v, n) SELECT 'e', -1 UNION ALL SELECT 'f', 2 RETURNING id",
      "INSERT INTO t (v, n) VALUES ('g', -1)",
      'SELECT name, seq FROM sqlite_sequence',
      "INSERT INTO t (v, n) VALUES ('h', 3) RETURNING id",
    ];
    for (const sql of script) {
      const { mv, sqlite } = o.both(sql, /^CREATE/.test(sql) ? [] : ['t']);
      if (/^CREATE/.test(sql))
        for (const r of [mv, sqlite]) (r as { outcome: { changes?: number } }).outcome.changes = 0;
      expect({ sql, mv }).toEqual({ sql, mv: sqlite });
    }
  });

  test('without AUTOINCREMENT the largest key is reused (the difference)', () => {
    for (const sql of [
      'CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)',
      "INSERT INTO t (v) VALUES ('a'), ('b')",
      'DELETE FROM t WHERE id = 2',
      "INSERT INTO t (v) VALUES ('c') RETURNING id",
    ]) {
      const { mv, sqlite } = o.both(sql, []);
      if (/^CREATE/.test(sql))
        for (const r of [mv, sqlite]) (r as { outcome: { changes?: number } }).outcome.changes = 0;
      expect(mv).toEqual(sqlite);
    }
  });

  test.each([
    'CREATE TABLE t (id INT PRIMARY KEY AUTOINCREMENT)',
    'CREATE TABLE t (id TEXT PRIMARY KEY AUTOINCREMENT)',
    'CREATE TABLE t (id INTEGER, v TEXT, PRIMARY KEY (v AUTOINCREMENT))',
    'CREATE TABLE t (id INTEGER AUTOINCREMENT)',
  ])('error as SQLite: %s', (sql) => {
    const { mv, sqlite } = o.both(sql, []);
    expect(mv).toEqual(sqlite);
  });

  test('the SQLite error text', () => {
    expect(() => o.conn.execute('CREATE TABLE t (id INT PRIMARY KEY AUTOINCREMENT)')).toThrow(
      'AUTOINCREMENT is only allowed on an INTEGER PRIMARY KEY',
    );
  });
});

describe('durability of the sequence', () => {
  function seeded(file: string): Connection {
    const con = connect(file);
    con.execute('CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT)');
    con.execute("INSERT INTO t (v) VALUES ('a'), ('b'), ('c'), ('d')");
    con.commit();
    con.execute('DELETE FROM t WHERE id >= 3');
    con.commit();
    return con;
  }

  type How =
    'reopen' | 'crash' | 'checkpoint' | 'checkpoint then delete' | 'compact' | 'rename' | 'add column';
  test.each<How>([
    'reopen',
    'crash',
    'checkpoint',
    'checkpoint then delete',
    'compact',
    'rename',
    'add column',
  ])('after %s the next key is the largest ever + 1', (how) => {
    const file = tmp.file();
    const con = seeded(file);
    let table = 't';
    if (how === 'checkpoint') con.database.checkpoint();
    if (how === 'checkpoint then delete') {
      con.execute("INSERT INTO t (v) VALUES ('e')"); // 5
      con.commit();
      con.database.checkpoint();
      con.execute('DELETE FROM t WHERE id = 5');
      con.commit();
    }
    if (how === 'compact') con.database.compact();
    if (how === 'rename') {
      con.execute('ALTER TABLE t RENAME TO u');
      con.commit();
      table = 'u';
    }
    if (how === 'add column') {
      con.execute('ALTER TABLE t ADD COLUMN w TEXT');
      con.execute('CREATE INDEX t_v ON t (v)');
      con.commit();
    }
    let reopen = file;
    if (how === 'crash') {
      // The bytes on disk while the writer is still open are what a kill leaves.
      reopen = tmp.file();
      fs.copyFileSync(file, reopen);
    }
    con.close();
    const again = connect(reopen);
    again.execute(`INSERT INTO ${table} (v) VALUES ('next')`);
    const expected = how === 'checkpoint then delete' ? 6 : 5;
    expect(rows(again, `SELECT max(id) FROM ${table}`)).toEqual([[expected]]);
    again.commit();
    again.close();
  });

  test('a rolled-back insert does not advance the sequence', () => {
    const file = tmp.file();
    const con = seeded(file);
    con.execute("INSERT INTO t (v) VALUES ('x'), ('y')"); // 5, 6
    con.rollback();
    con.execute('SAVEPOINT s');
    con.execute("INSERT INTO t VALUES (50, 'z')");
    con.execute('ROLLBACK TO s');
    con.execute("INSERT INTO t (v) VALUES ('w') RETURNING id");
    expect(rows(con, 'SELECT max(id) FROM t')).toEqual([[5]]);
    con.commit();
    con.close();
    const again = connect(file);
    again.execute('DELETE FROM t');
    again.execute("INSERT INTO t (v) VALUES ('v')");
    expect(rows(again, 'SELECT id FROM t')).toEqual([[6]]);
    again.close();
  });

  test('sqlite_sequence reads the counters as SQLite shows them, read-only', () => {
    const script = [
      'CREATE TABLE plain (id INTEGER PRIMARY KEY, v TEXT)',
      'CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT UNIQUE)',
      'CREATE TABLE u (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT)',
      "INSERT INTO t (v) VALUES ('a'), ('b'), ('c')",
      'DELETE FROM t WHERE id = 3',
    ];
    const lite = new Sqlite(':memory:');
    const con = connect(':memory:', { autocommit: true });
    for (const q of script) {
      lite.exec(q);
      con.execute(q);
    }
    for (const q of [
      'SELECT name, seq FROM sqlite_sequence ORDER BY name',
      "SELECT seq FROM sqlite_sequence WHERE name = 't'",
      'SELECT type, name, tbl_name, sql FROM sqlite_master',
    ])
      expect(rows(con, q)).toEqual(lite.prepare(q).raw().all());
    expect(() => con.execute('UPDATE sqlite_sequence SET seq = 0')).toThrow(ProgrammingError);
    lite.close();
    con.close();
  });
});
