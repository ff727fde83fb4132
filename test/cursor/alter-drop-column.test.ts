/**
 * ALTER TABLE … DROP [COLUMN]: SQLite's rules for what may be dropped and the table afterwards,
 * against better-sqlite3; the dropped values gone from every read through reopen, crash recovery
 * (replay), checkpoint and compaction (and from the file's bytes once compacted); and the
 * schema-version plan ALTER TABLE reports (cursor.schemaPlan).
 */
import * as fs from 'node:fs';
import { connect, connectAsync } from '../../src/index';
import type { Connection } from '../../src/index';
import { Oracle } from '../helpers/sqlite-oracle';
import { tmpDir } from '../helpers/tmp';

const tmp = tmpDir();
afterAll(() => tmp.cleanup());

describe('against better-sqlite3', () => {
  // [name, setup, statements, tables compared after each statement]
  const cases: [string, string[], string[], string[]][] = [
    [
      'drop a column, then read, insert and add it back empty',
      [
        'CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b INTEGER)',
        "INSERT INTO t VALUES (1, 'x', 10), (2, NULL, 20)",
      ],
      [
        'ALTER TABLE t DROP COLUMN a',
        'SELECT a FROM t',
        'INSERT INTO t VALUES (3, 30)',
        "INSERT INTO t (id, a) VALUES (4, 'y')",
        'ALTER TABLE t ADD COLUMN a TEXT',
        'SELECT id, a, b FROM t ORDER BY id',
      ],
      ['t'],
    ],
    [
      'DROP without COLUMN, other case, quoted',
      [
        'CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b INT, c INT)',
        "INSERT INTO t VALUES (1, 'x', 2, 3)",
      ],
      ['ALTER TABLE t DROP a', 'ALTER TABLE T DROP COLUMN B', 'ALTER TABLE t DROP COLUMN "c"'],
      ['t'],
    ],
    [
      'the key column',
      ['CREATE TABLE t (id INTEGER PRIMARY KEY, a INT)', 'INSERT INTO t VALUES (1, 2)'],
      ['ALTER TABLE t DROP COLUMN id', 'ALTER TABLE t DROP COLUMN rowid'],
      ['t'],
    ],
    [
      'a column of a composite key',
      ['CREATE TABLE t (x INT, y INT, a INT, PRIMARY KEY (x, y))', 'INSERT INTO t VALUES (1, 2, 3)'],
      ['ALTER TABLE t DROP COLUMN y', 'ALTER TABLE t DROP COLUMN a', 'SELECT * FROM t'],
      ['t'],
    ],
    [
      'a UNIQUE column and a multi-column UNIQUE',
      [
        'CREATE TABLE t (id INTEGER PRIMARY KEY, a INT UNIQUE, b INT, c INT, UNIQUE (b, c))',
        'INSERT INTO t VALUES (1, 2, 3, 4)',
      ],
      ['ALTER TABLE t DROP COLUMN a', 'ALTER TABLE t DROP COLUMN c', 'ALTER TABLE t DROP COLUMN b'],
      ['t'],
    ],
    [
      'an indexed column; the other indexes keep working',
      [
        'CREATE TABLE t (id INTEGER PRIMARY KEY, a INT, b INT, c INT)',
        'CREATE INDEX t_a ON t (a)',
        'CREATE UNIQUE INDEX t_bc ON t (c, b)',
        'INSERT INTO t VALUES (1, 1, 10, 100), (2, 2, 20, 200)',
      ],
      [
        'ALTER TABLE t DROP COLUMN b',
        'DROP INDEX t_bc',
        'ALTER TABLE t DROP COLUMN b',
        'SELECT id FROM t WHERE a = 2',
        'ALTER TABLE t DROP COLUMN a',
        'DROP INDEX t_a',
        'ALTER TABLE t DROP COLUMN a',
        'SELECT * FROM t WHERE c = 200',
      ],
      ['t'],
    ],
    [
      'a unique index on another column is still enforced',
      [
        'CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b INT)',
        'CREATE UNIQUE INDEX t_b ON t (b)',
        "INSERT INTO t VALUES (1, 'x', 10), (2, 'y', 20)",
      ],
      ['ALTER TABLE t DROP COLUMN a', 'INSERT INTO t VALUES (3, 10)', 'INSERT INTO t VALUES (3, 30)'],
      ['t'],
    ],
    [
      'the only column',
      ['CREATE TABLE t (a INT)', 'CREATE TABLE u (a INT UNIQUE)', 'INSERT INTO t VALUES (1)'],
      ['ALTER TABLE t DROP COLUMN a', 'ALTER TABLE u DROP COLUMN a'],
      ['t', 'u'],
    ],
    [
      'a table without a key (hidden rowid)',
      ['CREATE TABLE t (a INT, b TEXT, c REAL)', "INSERT INTO t VALUES (1, 'x', 2.5), (3, 'y', NULL)"],
      ['ALTER TABLE t DROP COLUMN b', 'SELECT rowid, * FROM t ORDER BY rowid', 'INSERT INTO t VALUES (5, 6)'],
      ['t'],
    ],
    [
      'missing column, missing table, a view',
      ['CREATE TABLE t (id INTEGER PRIMARY KEY, a INT)', 'CREATE VIEW v AS SELECT id FROM t'],
      ['ALTER TABLE t DROP COLUMN zz', 'ALTER TABLE nope DROP COLUMN a', 'ALTER TABLE v DROP COLUMN id'],
      ['t'],
    ],
    [
      'a view reading the column, and one that does not',
      [
        'CREATE TABLE t (id INTEGER PRIMARY KEY, a INT, b INT)',
        'INSERT INTO t VALUES (1, 2, 3)',
        'CREATE VIEW keep AS SELECT id, b FROM t',
        'CREATE VIEW star AS SELECT * FROM t',
        'CREATE VIEW uses AS SELECT a FROM t',
      ],
      [
        'ALTER TABLE t DROP COLUMN a',
        'DROP VIEW uses',
        'ALTER TABLE t DROP COLUMN a',
        'SELECT * FROM star',
        'SELECT * FROM keep',
      ],
      ['t'],
    ],
    [
      'a view over a view',
      [
        'CREATE TABLE t (id INTEGER PRIMARY KEY, a INT, b INT)',
        'CREATE VIEW v AS SELECT * FROM t',
        'CREATE VIEW w AS SELECT a FROM v',
      ],
      ['ALTER TABLE t DROP COLUMN a', 'ALTER TABLE t DROP COLUMN b', 'SELECT * FROM v'],
      ['t'],
    ],
    [
      'foreign keys: a REFERENCES column goes with its constraint, a multi-column one stays',
      [
        'PRAGMA foreign_keys = ON',
        'CREATE TABLE p (x INT, y INT, k INTEGER PRIMARY KEY, UNIQUE (x, y))',
        'INSERT INTO p VALUES (1, 2, 1)',
        'CREATE TABLE c (id INTEGER PRIMARY KEY, r INT REFERENCES p (k), m INT, n INT, FOREIGN KEY (m, n) REFERENCES p (x, y))',
        'INSERT INTO c VALUES (1, 1, 1, 2)',
      ],
      [
        'ALTER TABLE c DROP COLUMN n',
        'ALTER TABLE c DROP COLUMN r',
        'INSERT INTO c VALUES (2, 9, 9)',
        'INSERT INTO c VALUES (2, 1, 2)',
        'DELETE FROM p',
      ],
      ['p', 'c'],
    ],
    [
      'AUTOINCREMENT keeps its sequence',
      [
        'CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, a TEXT, b INT)',
        "INSERT INTO t (a, b) VALUES ('x', 1), ('y', 2), ('z', 3)",
        'DELETE FROM t WHERE id = 3',
      ],
      ['ALTER TABLE t DROP COLUMN a', 'INSERT INTO t (b) VALUES (4)', 'SELECT * FROM sqlite_sequence'],
      ['t'],
    ],
    [
      'collation and type of the other columns unchanged',
      [
        'CREATE TABLE t (id INTEGER PRIMARY KEY, a INT, s TEXT COLLATE NOCASE, n REAL)',
        "INSERT INTO t VALUES (1, 0, 'B', 12), (2, 0, 'a', 1.5)",
      ],
      [
        'ALTER TABLE t DROP COLUMN a',
        "SELECT id FROM t WHERE s = 'b'",
        'SELECT s FROM t ORDER BY s',
        'SELECT typeof(n) FROM t',
      ],
      ['t'],
    ],
  ];

  test.each(cases)('%s', (_name, setup, sqls, tables) => {
    const o = new Oracle();
    try {
      o.exec(...setup);
      for (const sql of sqls) {
        const { mv, sqlite } = o.both(sql, tables);
        // DDL: the DB-API rowCount is -1 where SQLite's changes() still holds the last write's count.
        if (/^(ALTER|DROP|CREATE)/.test(sql))
          for (const r of [mv, sqlite]) (r as { outcome: { changes?: number } }).outcome.changes = 0;
        expect({ sql, mv }).toEqual({ sql, mv: sqlite });
      }
    } finally {
      o.close();
    }
  });

  test("SQLite's messages", () => {
    const con = connect(':memory:');
    con.execute(
      'CREATE TABLE t (id INTEGER PRIMARY KEY, a INT UNIQUE, b INT, c INT, d INT, e INT, UNIQUE (c, d))',
    );
    con.execute('CREATE INDEX t_b ON t (b)');
    con.execute('CREATE VIEW v AS SELECT e FROM t');
    const fails = (sql: string): string => {
      try {
        con.execute(sql);
      } catch (err) {
        return `${(err as Error).name}: ${(err as Error).message}`;
      }
      return 'ok';
    };
    expect(fails('ALTER TABLE t DROP COLUMN id')).toBe('SchemaError: cannot drop PRIMARY KEY column: "id"');
    expect(fails('ALTER TABLE t DROP COLUMN a')).toBe('SchemaError: cannot drop UNIQUE column: "a"');
    expect(fails('ALTER TABLE t DROP COLUMN b')).toBe(
      'SchemaError: error in index t_b after drop column: no such column: b',
    );
    expect(fails('ALTER TABLE t DROP COLUMN c')).toBe(
      'SchemaError: error in table t after drop column: no such column: c',
    );
    expect(fails('ALTER TABLE t DROP COLUMN e')).toBe(
      'SchemaError: error in view v after drop column: no such column: e',
    );
    expect(fails('ALTER TABLE t DROP COLUMN zz')).toBe('QueryError: no such column: "zz"');
    expect(fails('ALTER TABLE v DROP COLUMN e')).toBe('QueryError: cannot drop column from view "v"');
    expect(fails('ALTER TABLE t DROP COLUMN')).toMatch(/^ProgrammingError|^QueryError|SyntaxError/);
    con.close();
  });
});

function rows(con: Connection, sql: string): unknown[][] {
  return con.execute(sql).fetchAll() as unknown[][];
}

describe('the dropped values are gone', () => {
  const MARK = 'dropped-secret-7f3a';

  function seeded(file: string): Connection {
    const con = connect(file);
    con.execute(
      'CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, note TEXT, n INTEGER UNIQUE, tag TEXT)',
    );
    con.execute('CREATE INDEX t_tag ON t (tag)');
    con.executeMany(
      'INSERT INTO t (note, n, tag) VALUES (?, ?, ?)',
      Array.from({ length: 40 }, (_, i) => [`${MARK}-${i}`, i, i % 2 === 0 ? 'even' : 'odd']),
    );
    con.execute('DELETE FROM t WHERE id = 40');
    con.commit();
    return con;
  }

  function check(con: Connection): void {
    expect(rows(con, 'SELECT * FROM t WHERE id <= 2')).toEqual([
      [1, 0, 'even'],
      [2, 1, 'odd'],
    ]);
    expect(() => con.execute('SELECT note FROM t')).toThrow('no such column: note');
    expect(rows(con, "SELECT count(*) FROM t WHERE tag = 'odd'")).toEqual([[19]]);
    expect(rows(con, "EXPLAIN SELECT id FROM t WHERE tag = 'odd'").join('\n')).toContain('t_tag');
    expect(() => con.execute("INSERT INTO t (n, tag) VALUES (3, 'x')")).toThrow('UNIQUE constraint failed');
    con.rollback();
  }

  type How = 'reopen' | 'checkpoint' | 'compact' | 'crash';
  test.each<How>(['reopen', 'checkpoint', 'compact', 'crash'])('after %s', (how) => {
    const file = tmp.file();
    const con = seeded(file);
    if (how === 'crash') con.database.checkpoint();
    con.execute('ALTER TABLE t DROP COLUMN note');
    con.commit();
    check(con);
    if (how === 'checkpoint') con.database.checkpoint();
    if (how === 'compact') {
      con.database.compact();
      // Compaction copies live rows only: the old records holding the values are gone from the file.
      expect(fs.readFileSync(file).includes(MARK)).toBe(false);
    }
    let reopen = file;
    if (how === 'crash') {
      reopen = tmp.file();
      fs.copyFileSync(file, reopen);
    }
    con.close();
    const again = connect(reopen);
    check(again);
    // Added back, the column is empty; the sequence went on from the largest key ever used.
    again.execute('ALTER TABLE t ADD COLUMN note TEXT');
    again.execute("INSERT INTO t (n, tag) VALUES (100, 'new')");
    again.commit();
    expect(rows(again, 'SELECT count(note), max(id) FROM t')).toEqual([[0, 41]]);
    again.close();
    const third = connect(reopen);
    expect(rows(third, 'SELECT count(*), count(note), max(id) FROM t')).toEqual([[40, 0, 41]]);
    third.close();
  });

  test('a rolled-back drop keeps the column and its values', () => {
    const file = tmp.file();
    const con = seeded(file);
    con.execute('ALTER TABLE t DROP COLUMN note');
    expect(() => con.execute('SELECT note FROM t')).toThrow('no such column: note');
    con.rollback();
    expect(rows(con, 'SELECT note FROM t WHERE id = 1')).toEqual([[`${MARK}-0`]]);
    con.close();
    const again = connect(file);
    expect(rows(again, 'SELECT count(note) FROM t')).toEqual([[39]]);
    again.close();
  });

  test('a failed drop inside a transaction undoes only itself', () => {
    const con = connect(':memory:');
    con.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, a INT, b INT)');
    con.execute('CREATE VIEW v AS SELECT b FROM t');
    con.execute('INSERT INTO t VALUES (1, 2, 3)');
    con.execute('ALTER TABLE t DROP COLUMN a');
    expect(() => con.execute('ALTER TABLE t DROP COLUMN b')).toThrow('error in view v');
    expect(rows(con, 'SELECT * FROM t')).toEqual([[1, 3]]);
    con.commit();
    expect(rows(con, 'SELECT * FROM v')).toEqual([[3]]);
    con.close();
  });

  test('an open cursor and another connection keep their snapshot', () => {
    const file = tmp.file();
    seeded(file).close();
    const a = connect(file);
    const b = connect(file, { autocommit: true });
    const cur = b.cursor().execute('SELECT id, note FROM t ORDER BY id');
    expect(cur.fetchMany(5)).toHaveLength(5);
    a.execute('ALTER TABLE t DROP COLUMN note');
    expect(rows(b, 'SELECT note FROM t WHERE id = 1')).toEqual([[`${MARK}-0`]]);
    a.commit();
    expect((cur.fetchAll() as unknown[][]).every((r) => String(r[1]).startsWith(MARK))).toBe(true);
    expect(() => b.execute('SELECT note FROM t')).toThrow('no such column: note');
    a.close();
    b.close();
  });
});

describe('ALTER TABLE goes through the schema-version classification', () => {
  test('each ALTER reports its plan; other statements report none', () => {
    const con = connect(':memory:', { autocommit: true });
    con.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b INTEGER)');
    con.execute("INSERT INTO t VALUES (1, 'x', 1), (2, NULL, 2), (3, 'z', 3)");
    const cur = con.cursor();
    expect(cur.execute('ALTER TABLE t ADD COLUMN c TEXT').schemaPlan).toEqual({
      collection: 't',
      fromVersion: 1,
      classification: 'compatible',
      steps: [{ kind: 'addField', classification: 'compatible', target: 'c', detail: 'new field c' }],
      rows: 3,
    });
    expect(cur.execute('ALTER TABLE t DROP COLUMN a').schemaPlan).toMatchObject({
      fromVersion: 2,
      classification: 'breaking',
      steps: [{ kind: 'dropField', classification: 'breaking', target: 'a', rowsWithValue: 2 }],
    });
    expect(cur.execute('ALTER TABLE t RENAME COLUMN b TO bb').schemaPlan).toMatchObject({
      fromVersion: 3,
      classification: 'breaking',
      steps: [{ kind: 'renameField', target: 'bb', detail: 'field b is renamed bb (values kept)' }],
    });
    expect(cur.execute('ALTER TABLE t RENAME TO u').schemaPlan).toMatchObject({
      collection: 't',
      fromVersion: 4,
      classification: 'breaking',
      steps: [{ kind: 'renameCollection', target: 'u' }],
    });
    expect(cur.execute('SELECT * FROM u').schemaPlan).toBeNull();
    // Each ALTER is a schema version in the catalog, as a registered one is.
    expect(cur.execute('ALTER TABLE u ADD COLUMN d INT').schemaPlan?.fromVersion).toBe(5);
    con.close();
  });
});

test('the async cursor reports the plan too', async () => {
  const conn = await connectAsync(':memory:', { autocommit: true });
  try {
    await conn.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b INTEGER)');
    await conn.execute("INSERT INTO t VALUES (1, 'x', 1)");
    const cur = conn.cursor();
    await cur.execute('ALTER TABLE t DROP COLUMN a');
    expect(cur.schemaPlan).toMatchObject({
      classification: 'breaking',
      steps: [{ kind: 'dropField', target: 'a', rowsWithValue: 1 }],
    });
    await cur.execute('SELECT * FROM t');
    expect(cur.schemaPlan).toBeNull();
    expect(await cur.fetchAll()).toEqual([[1, 1]]);
  } finally {
    await conn.close();
  }
});

test('a renamed key column or table keeps its key and indexes in the plan', () => {
  const con = connect(':memory:', { autocommit: true });
  con.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER UNIQUE, b INTEGER)');
  con.execute('CREATE INDEX t_b ON t (b)');
  const cur = con.cursor();
  const kinds = (sql: string): unknown => cur.execute(sql).schemaPlan?.steps.map((s) => [s.kind, s.target]);
  expect(kinds('ALTER TABLE t RENAME COLUMN id TO k')).toEqual([['renameField', 'k']]);
  expect(kinds('ALTER TABLE t RENAME COLUMN b TO c')).toEqual([['renameField', 'c']]);
  expect(kinds('ALTER TABLE t RENAME TO u')).toEqual([['renameCollection', 'u']]);
  con.close();
});
