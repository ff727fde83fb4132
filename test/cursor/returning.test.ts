/**
 * RETURNING on INSERT, UPDATE and DELETE compared with better-sqlite3: result column names
 * (SQLite's naming), rows (the new row for INSERT/UPDATE, the old one for DELETE), rows changed,
 * and that a statement failing part-way returns nothing and writes nothing.
 */
import { ProgrammingError } from '../../src/index';
import { Oracle } from '../helpers/sqlite-oracle';

const TABLES = ['t'];
let o: Oracle;

beforeEach(() => {
  o = new Oracle();
  o.exec(
    'CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT UNIQUE, b INTEGER NOT NULL DEFAULT 7, c REAL)',
    "INSERT INTO t (id, a, b, c) VALUES (1, 'x', 1, 0.5), (2, 'y', 2, NULL), (3, 'z', 3, 2.0)",
    'CREATE TABLE src (v TEXT)',
    "INSERT INTO src (v) VALUES ('m'), ('n')",
  );
});
afterEach(() => o.close());

describe('RETURNING', () => {
  test.each([
    "INSERT INTO t (a) VALUES ('new') RETURNING *",
    "INSERT INTO t (a) VALUES ('new') RETURNING id, a || '!', b + 1 AS c, \"b\", t.a, (a), c",
    "INSERT INTO t (a, b) VALUES ('p', 1), ('q', 2) RETURNING id, a, b",
    "INSERT INTO t (a) VALUES ('new') RETURNING rowid",
    'INSERT INTO t DEFAULT VALUES RETURNING *',
    'INSERT INTO t (a) SELECT v FROM src RETURNING id, a',
    "INSERT INTO t (a) SELECT a || '2' FROM t RETURNING *",
    "INSERT OR IGNORE INTO t (id, a) VALUES (1, 'dup'), (9, 'nine') RETURNING id, a",
    "INSERT OR REPLACE INTO t (id, a) VALUES (1, 'y') RETURNING *",
    "INSERT INTO t (id, a) VALUES (1, 'dup') ON CONFLICT DO NOTHING RETURNING id",
    'UPDATE t SET b = b * 10 WHERE id >= 2 RETURNING *',
    'UPDATE t SET b = b + 1 RETURNING id, b AS new_b, b - 1',
    'UPDATE t SET a = NULL WHERE id = 99 RETURNING *',
    'DELETE FROM t WHERE b > 1 RETURNING a, b',
    'DELETE FROM t RETURNING *, id * 2',
    // Failures: nothing returned, nothing written.
    "INSERT INTO t (a) VALUES ('ok1'), ('x') RETURNING id",
    "INSERT INTO t (a, b) VALUES ('ok', NULL) RETURNING id",
    "UPDATE t SET a = 'x' WHERE id = 3 RETURNING *",
    "INSERT INTO t (a) VALUES ('k') RETURNING count(*)",
    "INSERT INTO t (a) VALUES ('k') RETURNING nope",
    "INSERT INTO t (a) VALUES ('k') RETURNING t.*",
    'DELETE FROM t RETURNING excluded.a',
  ])('%s', (sql) => {
    const r = o.both(sql, TABLES);
    expect(r.mv).toEqual(r.sqlite);
  });

  test('parameters bind in VALUES, WHERE and RETURNING', () => {
    const r = o.both('UPDATE t SET b = ? WHERE id = ? RETURNING b + ?, id', TABLES, [5n, 2n, 100n]);
    expect(r.mv).toEqual(r.sqlite);
  });

  test('the cursor: description, rowCount before and after fetching, lastRowId', () => {
    const cur = o.conn.cursor().execute("INSERT INTO t (a) VALUES ('r1'), ('r2') RETURNING id, a");
    expect(cur.description?.map((d) => d[0])).toEqual(['id', 'a']);
    expect(cur.rowCount).toBe(2);
    expect(cur.lastRowId).toBe(5);
    expect(cur.fetchOne()).toEqual([4n, 'r1']);
    expect(cur.fetchAll()).toEqual([[5n, 'r2']]);
    expect(cur.rowCount).toBe(2);
    const del = o.conn.cursor().execute('DELETE FROM t WHERE id > 3 RETURNING id');
    expect(del.rowCount).toBe(2);
    expect(del.fetchAll()).toEqual([[4n], [5n]]);
  });

  test('the rows are written even if they are never fetched', () => {
    o.conn.cursor().execute("INSERT INTO t (a) VALUES ('unread') RETURNING id");
    expect(o.conn.execute("SELECT count(*) FROM t WHERE a = 'unread'").fetchAll()).toEqual([[1n]]);
  });

  test('executeMany refuses RETURNING before writing anything', () => {
    const cur = o.conn.cursor();
    expect(() => cur.executeMany('INSERT INTO t (a) VALUES (?) RETURNING id', [['m1'], ['m2']])).toThrow(
      ProgrammingError,
    );
    expect(o.conn.execute("SELECT count(*) FROM t WHERE a LIKE 'm%'").fetchAll()).toEqual([[0n]]);
  });
});
