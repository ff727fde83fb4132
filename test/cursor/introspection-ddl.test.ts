/**
 * Introspection of the DDL forms of issue 12: expression defaults (PRAGMA table_info's dflt_value
 * and sqlite_master's CREATE text), AUTOINCREMENT tables, and ALTER TABLE RENAME, which renames
 * the sqlite_autoindex_<table>_<n> indexes with the table. Compared with better-sqlite3.
 */
import Sqlite from 'better-sqlite3';
import { connect } from '../../src/index';
import { tmpDir } from '../helpers/tmp';

const tmp = tmpDir();
afterAll(() => tmp.cleanup());

const SCRIPT = [
  "CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, a INTEGER DEFAULT (1+2), b TEXT DEFAULT CURRENT_TIMESTAMP, c REAL DEFAULT (abs(random()) % 100 + 0.5), d TEXT DEFAULT 'x' UNIQUE, e TEXT UNIQUE)",
  "INSERT INTO t (d, e) VALUES ('p', 'q')",
  'ALTER TABLE t RENAME TO u',
  'ALTER TABLE u RENAME COLUMN e TO f',
];
const QUERIES = [
  'PRAGMA table_info(u)',
  'SELECT type, name, tbl_name FROM sqlite_master ORDER BY name',
  "SELECT name FROM pragma_index_list('u') ORDER BY name",
  'SELECT * FROM sqlite_sequence',
  "SELECT count(*) FROM u WHERE d = 'p' AND f = 'q' AND a = 3",
];

test('DDL forms introspect as in SQLite, also after reopening the file', () => {
  const lite = new Sqlite(':memory:');
  const file = tmp.file();
  const con = connect(file, { autocommit: true });
  for (const q of SCRIPT) {
    lite.exec(q);
    con.execute(q);
  }
  const expected = QUERIES.map((q) => lite.prepare(q).raw().all());
  expect(QUERIES.map((q) => con.execute(q).fetchAll())).toEqual(expected);
  con.close();
  const again = connect(file);
  expect(QUERIES.map((q) => again.execute(q).fetchAll())).toEqual(expected);
  // The regenerated CREATE text keeps the defaults and AUTOINCREMENT, and SQLite accepts it.
  const [[text]] = again.execute("SELECT sql FROM sqlite_master WHERE name = 'u'").fetchAll() as string[][];
  expect(text).toContain('DEFAULT (1+2)');
  expect(text).toContain('DEFAULT CURRENT_TIMESTAMP');
  expect(text).toContain('PRIMARY KEY AUTOINCREMENT');
  const fresh = new Sqlite(':memory:');
  fresh.exec(text);
  expect(fresh.prepare('PRAGMA table_info(u)').raw().all()).toEqual(expected[0]);
  fresh.close();
  again.close();
  lite.close();
});

test('composite keys introspect as in SQLite, and the latest unique index clashes first', () => {
  const lite = new Sqlite(':memory:');
  const con = connect(':memory:', { autocommit: true });
  const script = [
    'CREATE TABLE t (a INTEGER, b TEXT NOT NULL, c INT UNIQUE, d REAL, UNIQUE (a, b), PRIMARY KEY (b, a), UNIQUE (c, a))',
    'CREATE INDEX ix ON t (d, a DESC)',
    "INSERT INTO t VALUES (1, 'x', 2, 0.5), (2, 'y', 3, 1.5)",
    'ALTER TABLE t RENAME TO u',
  ];
  for (const q of script) {
    lite.exec(q);
    con.execute(q);
  }
  for (const q of [
    'PRAGMA table_info(u)',
    'PRAGMA index_list(u)',
    'PRAGMA index_xinfo(sqlite_autoindex_u_3)',
    'PRAGMA index_xinfo(ix)',
    'SELECT type, name, tbl_name FROM sqlite_master ORDER BY name',
  ])
    expect(con.execute(q).fetchAll()).toEqual(lite.prepare(q).raw().all());
  // (1, 'x') clashes with both UNIQUE (a, b) and the key (b, a): SQLite names the later index.
  const clash = "INSERT INTO u VALUES (1, 'x', 9, 9)";
  expect(() => lite.exec(clash)).toThrow('UNIQUE constraint failed: u.b, u.a');
  expect(() => con.execute(clash)).toThrow('UNIQUE constraint failed: u.b, u.a');
  lite.close();
  con.close();
});
