/**
 * ALTER TABLE … RENAME TO / RENAME [COLUMN] … TO: results and errors against better-sqlite3, and
 * the renamed catalog through reopen, crash recovery (replay), checkpoint and compaction, with
 * cached statements and open cursors around the rename.
 */
import * as fs from 'node:fs';
import { connect } from '../../src/index';
import type { Connection } from '../../src/index';
import { Oracle } from '../helpers/sqlite-oracle';
import { tmpDir } from '../helpers/tmp';

const tmp = tmpDir();
afterAll(() => tmp.cleanup());

describe('against better-sqlite3', () => {
  let o: Oracle;
  beforeEach(() => {
    o = new Oracle();
    o.exec(
      'CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, b TEXT UNIQUE)',
      'CREATE INDEX t_a ON t (a)',
      "INSERT INTO t VALUES (1, 10, 'x'), (2, 20, 'y'), (3, 30, 'z')",
      'CREATE TABLE other (k INTEGER PRIMARY KEY)',
    );
  });
  afterEach(() => o.close());

  const cases: [string, string[], string[]][] = [
    ['rename table', ['ALTER TABLE t RENAME TO u', 'SELECT * FROM u ORDER BY id', 'SELECT * FROM t'], ['u']],
    ['rename table, other case', ['ALTER TABLE T RENAME TO U', 'SELECT a FROM u WHERE a > 15'], ['U']],
    ['rename to the same name', ['ALTER TABLE t RENAME TO t'], ['t']],
    ['rename to itself in another case', ['ALTER TABLE t RENAME TO T', 'SELECT b FROM T'], ['T']],
    ['rename onto another table', ['ALTER TABLE t RENAME TO other'], ['t']],
    ['rename onto an index', ['ALTER TABLE t RENAME TO t_a'], ['t']],
    ['rename onto a reserved name', ['ALTER TABLE t RENAME TO sqlite_x'], ['t']],
    ['rename a missing table', ['ALTER TABLE nope RENAME TO q'], ['t']],
    [
      'rename column',
      [
        'ALTER TABLE t RENAME COLUMN a TO c',
        'SELECT c FROM t WHERE c = 20',
        'SELECT a FROM t',
        "INSERT INTO t (c, b) VALUES (5, 'w')",
      ],
      ['t'],
    ],
    [
      'rename without COLUMN',
      ['ALTER TABLE t RENAME b TO label', "SELECT id FROM t WHERE label = 'y'"],
      ['t'],
    ],
    ['rename the key column', ['ALTER TABLE t RENAME id TO k', 'SELECT k, rowid FROM t WHERE k = 2'], ['t']],
    ['rename column, other case', ['ALTER TABLE t RENAME COLUMN A TO Aa', 'SELECT aa FROM t'], ['t']],
    [
      'rename column to its own name in another case',
      ['ALTER TABLE t RENAME COLUMN a TO A', 'SELECT * FROM t'],
      ['t'],
    ],
    ['rename a missing column', ['ALTER TABLE t RENAME COLUMN zz TO q'], ['t']],
    ['rename onto another column', ['ALTER TABLE t RENAME COLUMN a TO B'], ['t']],
    ['rename a column of a missing table', ['ALTER TABLE nope RENAME COLUMN a TO q'], ['t']],
    [
      'unique index follows a column rename',
      [
        'ALTER TABLE t RENAME COLUMN b TO bb',
        "INSERT INTO t (a, bb) VALUES (1, 'x')",
        "INSERT INTO t (a, bb) VALUES (1, 'q')",
      ],
      ['t'],
    ],
  ];
  test.each(cases)('%s', (_name, sqls, tables) => {
    for (const sql of sqls) {
      const { mv, sqlite } = o.both(sql, tables);
      // DDL: the DB-API rowCount is -1 where SQLite's changes() still holds the last write's count.
      if (/^ALTER/.test(sql))
        for (const r of [mv, sqlite]) (r as { outcome: { changes?: number } }).outcome.changes = 0;
      expect({ sql, mv }).toEqual({ sql, mv: sqlite });
    }
  });
});

function rows(con: Connection, sql: string): unknown[][] {
  return con.execute(sql).fetchAll() as unknown[][];
}

describe('durability', () => {
  function seeded(file: string): Connection {
    const con = connect(file);
    con.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, b TEXT UNIQUE)');
    con.execute('CREATE INDEX t_a ON t (a)');
    con.execute("INSERT INTO t VALUES (1, 10, 'x'), (2, 20, 'y'), (3, 30, 'z')");
    con.commit();
    return con;
  }

  function check(con: Connection): void {
    expect(rows(con, 'SELECT id, c, label FROM u WHERE c >= 20 ORDER BY c')).toEqual([
      [2, 20, 'y'],
      [3, 30, 'z'],
    ]);
    expect(rows(con, "SELECT id FROM u WHERE label = 'z'")).toEqual([[3]]);
    expect(() => con.execute('SELECT * FROM t')).toThrow('no such table: t');
    expect(() => con.execute("INSERT INTO u (c, label) VALUES (1, 'x')")).toThrow('UNIQUE constraint failed');
    con.rollback();
    const plan = rows(con, 'EXPLAIN SELECT id FROM u WHERE c = 20').join('\n');
    expect(plan).toContain('t_a');
  }

  type How = 'reopen' | 'checkpoint' | 'compact' | 'crash';
  test.each<How>(['reopen', 'checkpoint', 'compact', 'crash'])('after %s', (how) => {
    const file = tmp.file();
    const con = seeded(file);
    if (how === 'crash') con.database.checkpoint();
    con.execute('ALTER TABLE t RENAME TO u');
    con.execute('ALTER TABLE u RENAME COLUMN a TO c');
    con.execute('ALTER TABLE u RENAME b TO label');
    con.commit();
    check(con);
    if (how === 'checkpoint') con.database.checkpoint();
    if (how === 'compact') con.database.compact();
    let reopen = file;
    if (how === 'crash') {
      // The bytes on disk while the writer is still open are what a kill leaves: the copy recovers
      // by replaying the log (a checkpoint before the rename gives replay an index to rebuild).
      reopen = tmp.file();
      fs.copyFileSync(file, reopen);
    }
    con.close();
    const again = connect(reopen);
    check(again);
    again.execute("INSERT INTO u (c, label) VALUES (40, 'w')");
    again.commit();
    expect(rows(again, 'SELECT max(id) FROM u')).toEqual([[4]]);
    again.close();
  });

  test('a rolled-back rename leaves the old names', () => {
    const file = tmp.file();
    const con = seeded(file);
    con.execute('ALTER TABLE t RENAME TO u');
    con.execute('ALTER TABLE u RENAME COLUMN a TO c');
    expect(rows(con, 'SELECT c FROM u WHERE id = 1')).toEqual([[10]]);
    con.rollback();
    expect(rows(con, 'SELECT a FROM t WHERE a = 10')).toEqual([[10]]);
    expect(() => con.execute('SELECT * FROM u')).toThrow('no such table: u');
    con.close();
    const again = connect(file);
    expect(rows(again, 'SELECT a FROM t WHERE id = 3')).toEqual([[30]]);
    again.close();
  });

  test('cached statements do not run against the old names', () => {
    const con = connect(':memory:');
    con.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER)');
    con.execute('INSERT INTO t VALUES (1, 10)');
    const before = 'SELECT a FROM t WHERE id = 1';
    expect(rows(con, before)).toEqual([[10]]);
    expect(rows(con, before)).toEqual([[10]]);
    con.execute('ALTER TABLE t RENAME COLUMN a TO b');
    expect(() => con.execute(before)).toThrow('no such column: a');
    expect(() => con.execute('INSERT INTO t (a) VALUES (1)')).toThrow();
    con.execute('ALTER TABLE t RENAME TO u');
    expect(() => con.execute('SELECT b FROM t WHERE id = 1')).toThrow('no such table: t');
    expect(rows(con, 'SELECT b FROM u WHERE id = 1')).toEqual([[10]]);
    con.close();
  });

  test('an open cursor keeps reading across a rename', () => {
    const con = connect(':memory:');
    con.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER)');
    con.executeMany(
      'INSERT INTO t VALUES (?, ?)',
      Array.from({ length: 50 }, (_, i) => [i + 1, i]),
    );
    con.commit();
    const cur = con.cursor().execute('SELECT id, a FROM t ORDER BY id');
    expect(cur.fetchMany(10)).toHaveLength(10);
    con.execute('ALTER TABLE t RENAME TO u');
    con.execute('ALTER TABLE u RENAME COLUMN a TO b');
    con.commit();
    expect(cur.fetchAll()).toHaveLength(40);
    expect(rows(con, 'SELECT count(b) FROM u')).toEqual([[50]]);
    con.close();
  });

  test('another connection sees the rename once it commits, and its cached statements follow', () => {
    const file = tmp.file();
    seeded(file).close();
    const a = connect(file);
    const b = connect(file, { autocommit: true });
    const read = 'SELECT a FROM t WHERE id = 1';
    expect(rows(b, read)).toEqual([[10]]);
    a.execute('ALTER TABLE t RENAME COLUMN a TO c');
    // Uncommitted: b still reads the committed catalog through its cached statement.
    expect(rows(b, read)).toEqual([[10]]);
    a.commit();
    expect(() => b.execute(read)).toThrow('no such column: a');
    expect(rows(b, 'SELECT c FROM t WHERE id = 1')).toEqual([[10]]);
    a.close();
    b.close();
  });
});
