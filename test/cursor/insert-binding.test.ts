/**
 * INSERT binds VALUES straight into stored-row positions on tables whose fields are all top level,
 * and through a user row object otherwise. Both must give the same rows, defaults, rowids and
 * error classes; executeMany runs the statement once per parameter set.
 */
import { connect, Database, DataError, IntegrityError } from '../../src/index';
import type { Connection } from '../../src/index';
import { tmpDir } from '../helpers/tmp';

const tmp = tmpDir();
afterAll(() => tmp.cleanup());

function table(): Connection {
  const conn = connect(':memory:', { autocommit: true });
  conn.execute(
    "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT 'anon', age INTEGER CHECK (age >= 0), score REAL, ok BOOLEAN)",
  );
  return conn;
}

function rows(conn: Connection, sql = 'SELECT * FROM t ORDER BY id'): unknown[] {
  return conn.cursor().execute(sql).fetchAll();
}

function errorOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return null;
}

describe('INSERT value binding', () => {
  test('defaults, auto rowids, lossless conversions and SQL NULL', () => {
    const conn = table();
    const cur = conn.cursor();
    cur.executeMany('INSERT INTO t (id, name, age, score, ok) VALUES (?, ?, ?, ?, ?)', [
      [1, 'a', 3, 1n, 1],
      [null, 'b', null, 2.5, false],
    ]);
    cur.execute('INSERT INTO t (age) VALUES (?)', [7]);
    expect(cur.lastRowId).toBe(3);
    expect(rows(conn)).toEqual([
      [1, 'a', 3, 1, true],
      [2, 'b', null, 2.5, false],
      [3, 'anon', 7, null, null],
    ]);
  });

  test('constraint and type failures map to the SQL error classes and leave no row', () => {
    const conn = table();
    const cur = conn.cursor();
    const notNull = errorOf(() => cur.execute('INSERT INTO t (id, name) VALUES (1, NULL)'));
    expect(notNull).toBeInstanceOf(IntegrityError);
    expect((notNull as IntegrityError).code).toBe('NOT_NULL');
    expect((notNull as Error).message).toContain('t.name');
    const check = errorOf(() => cur.execute('INSERT INTO t (id, age) VALUES (1, -1)'));
    expect(check).toBeInstanceOf(IntegrityError);
    expect((check as IntegrityError).code).toBe('CHECK');
    const type = errorOf(() => cur.execute("INSERT INTO t (id, ok) VALUES (1, 'yes')"));
    expect(type).toBeInstanceOf(DataError);
    expect((type as Error).message).toContain('t.ok');
    const pk = errorOf(() => cur.execute("INSERT INTO t (id, age) VALUES ('x', 1)"));
    expect(pk).toBeInstanceOf(Error);
    expect(rows(conn)).toEqual([]);
    // OR IGNORE skips NOT NULL and CHECK failures row by row.
    cur.execute('INSERT OR IGNORE INTO t (id, name, age) VALUES (1, NULL, 1), (2, ?, -5), (3, ?, 5)', [
      'x',
      'y',
    ]);
    expect(rows(conn)).toEqual([[3, 'y', 5, null, null]]);
    // A failing row of executeMany undoes only that statement.
    expect(
      errorOf(() =>
        cur.executeMany('INSERT INTO t (id, age) VALUES (?, ?)', [
          [4, 1],
          [5, -1],
        ]),
      ),
    ).toBeInstanceOf(IntegrityError);
    expect(rows(conn, 'SELECT id FROM t ORDER BY id')).toEqual([[3], [4]]);
  });

  test('a collection with dotted field paths is filled through the user row object', () => {
    const file = tmp.file();
    const db = Database.open(file);
    db.registerCollection(
      'p',
      [
        { path: 'id', type: 'int64' },
        { path: 'addr.city', type: 'string' },
        { path: 'addr.zip', type: { optional: 'string' } },
      ],
      'id',
    );
    db.close();
    const conn = connect(file, { autocommit: true });
    const missing = errorOf(() => conn.execute('INSERT INTO p (id) VALUES (1)'));
    expect(missing).toBeInstanceOf(IntegrityError);
    expect((missing as Error).message).toContain('p.addr.city');
    conn.close();
    const again = Database.open(file);
    expect(again.get('p', 1)).toBeNull();
    again.close();
  });
});
