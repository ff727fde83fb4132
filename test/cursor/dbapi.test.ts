/** DB-API (PEP 249) edge cases of Connection and Cursor. */
import {
  connect,
  apilevel,
  threadsafety,
  paramstyle,
  NUMBER,
  STRING,
  InterfaceError,
  ProgrammingError,
  OperationalError,
} from '../../src/index';
import type { Connection } from '../../src/index';
import { tmpDir } from '../helpers/tmp';

function books(conn: Connection, n = 5): void {
  const cur = conn.cursor();
  cur.execute('CREATE TABLE books (id INTEGER PRIMARY KEY, title TEXT NOT NULL, year INTEGER)');
  cur.executeMany(
    'INSERT INTO books (id, title, year) VALUES (?, ?, ?)',
    Array.from({ length: n }, (_, i) => [i + 1, `T${i + 1}`, 2000 + i]),
  );
  conn.commit();
}

describe('module and cursor basics', () => {
  test('module constants', () => {
    expect([apilevel, threadsafety, paramstyle]).toEqual(['2.0', 1, 'qmark']);
  });

  test('description is null before a result set, 7-tuples after a SELECT, null after DML', () => {
    const conn = connect(':memory:');
    books(conn);
    const cur = conn.cursor();
    expect(cur.description).toBeNull();
    cur.execute('SELECT id, title AS name, year + 1 FROM books');
    expect(cur.description).toEqual([
      ['id', 'INTEGER', null, null, null, null, false],
      ['name', 'TEXT', null, null, null, null, false],
      ['year + 1', 'INTEGER', null, null, null, null, true],
    ]);
    expect(NUMBER.equals(cur.description?.[0][1] ?? 'NULL')).toBe(true);
    expect(STRING.equals(cur.description?.[1][1] ?? 'NULL')).toBe(true);
    cur.execute('UPDATE books SET year = year WHERE id = 1');
    expect(cur.description).toBeNull();
    conn.close();
  });

  test('rowCount: DML counts, SELECT is -1 until exhausted, then the rows fetched', () => {
    const conn = connect(':memory:');
    books(conn);
    const cur = conn.cursor();
    cur.execute('UPDATE books SET year = year + 1 WHERE id <= 3');
    expect(cur.rowCount).toBe(3);
    cur.execute('DELETE FROM books WHERE id = 99');
    expect(cur.rowCount).toBe(0);
    cur.execute('SELECT * FROM books');
    expect(cur.rowCount).toBe(-1);
    cur.fetchMany(2);
    expect(cur.rowCount).toBe(-1);
    cur.fetchAll();
    expect(cur.rowCount).toBe(5);
    cur.execute('CREATE TABLE x (a INTEGER)');
    expect(cur.rowCount).toBe(-1);
    conn.close();
  });

  test('lastRowId: INTEGER PRIMARY KEY and hidden rowid; unchanged by UPDATE, DELETE and ignored inserts', () => {
    const conn = connect(':memory:');
    const cur = conn.cursor();
    cur.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT UNIQUE)');
    expect(cur.lastRowId).toBeNull();
    cur.execute("INSERT INTO t (v) VALUES ('a')");
    expect(cur.lastRowId).toBe(1);
    cur.execute("INSERT INTO t (id, v) VALUES (10, 'b')");
    cur.execute("INSERT INTO t (v) VALUES ('c'), ('d')");
    expect(cur.lastRowId).toBe(12);
    cur.execute("UPDATE t SET v = 'z' WHERE id = 1");
    cur.execute("INSERT OR IGNORE INTO t (v) VALUES ('b')");
    expect(cur.rowCount).toBe(0);
    expect(cur.lastRowId).toBe(12);
    cur.execute('CREATE TABLE n (a TEXT)');
    cur.execute("INSERT INTO n VALUES ('x')");
    expect(cur.lastRowId).toBe(1);
    conn.close();
  });

  test('arraySize defaults to 1 and drives fetchMany(); fetch after exhaustion returns nothing', () => {
    const conn = connect(':memory:');
    books(conn, 3);
    const cur = conn.execute('SELECT id FROM books ORDER BY id');
    expect(cur.arraySize).toBe(1);
    expect(cur.fetchMany()).toEqual([[1]]);
    cur.arraySize = 5;
    expect(cur.fetchMany()).toEqual([[2], [3]]);
    expect(cur.fetchMany()).toEqual([]);
    expect(cur.fetchOne()).toBeNull();
    expect(cur.fetchAll()).toEqual([]);
    conn.close();
  });

  test('iteration, rowMode object, named and numbered parameters', () => {
    const conn = connect(':memory:', { rowMode: 'object' });
    books(conn, 3);
    const rows = [...conn.execute('SELECT id, title FROM books WHERE year >= :y ORDER BY id', { y: 2001 })];
    expect(rows).toEqual([
      { id: 2, title: 'T2' },
      { id: 3, title: 'T3' },
    ]);
    expect(
      conn.execute('SELECT id FROM books WHERE id = ?2 OR id = ?1 ORDER BY id', [1, 3]).fetchAll(),
    ).toEqual([{ id: 1 }, { id: 3 }]);
    expect(
      conn.execute('SELECT id FROM books WHERE id = $a OR id = @b ORDER BY id', { a: 1, b: 2 }).fetchAll(),
    ).toEqual([{ id: 1 }, { id: 2 }]);
    conn.close();
  });

  test('fetch before any result set is a ProgrammingError; closed cursor and connection are InterfaceErrors', () => {
    const conn = connect(':memory:');
    books(conn, 1);
    const cur = conn.cursor();
    expect(() => cur.fetchOne()).toThrow(ProgrammingError);
    cur.execute('DELETE FROM books WHERE id = 5');
    expect(() => cur.fetchAll()).toThrow(expect.objectContaining({ code: 'NO_RESULT_SET' }));
    cur.close();
    expect(() => cur.execute('SELECT 1 FROM books')).toThrow(expect.objectContaining({ code: 'CLOSED' }));
    const other = conn.cursor();
    conn.close();
    expect(() => other.execute('SELECT * FROM books')).toThrow(InterfaceError);
    expect(() => conn.cursor()).toThrow(InterfaceError);
    expect(() => conn.commit()).toThrow(InterfaceError);
    conn.close(); // idempotent
  });

  test('interleaved cursors on one connection stream independently', () => {
    const conn = connect(':memory:');
    books(conn, 6);
    const a = conn.execute('SELECT id FROM books ORDER BY id');
    const b = conn.execute('SELECT id FROM books ORDER BY id DESC');
    expect([a.fetchOne(), b.fetchOne(), a.fetchOne(), b.fetchOne()]).toEqual([[1], [6], [2], [5]]);
    // A write in between does not disturb the open result sets (each is a snapshot).
    conn.execute('DELETE FROM books');
    expect(a.fetchAll()).toEqual([[3], [4], [5], [6]]);
    expect(b.fetchAll()).toEqual([[4], [3], [2], [1]]);
    conn.close();
  });
});

describe('fetchMany is incremental', () => {
  test('fetchMany(n) over a 100k-row result pulls n rows per call: linear total work', () => {
    const conn = connect(':memory:');
    const cur = conn.cursor();
    cur.execute('CREATE TABLE big (id INTEGER PRIMARY KEY, v INTEGER)');
    conn.database.transaction(() => {
      for (let i = 0; i < 100_000; i++) conn.database.insert('big', { id: i, v: i % 7 });
    });
    cur.execute('SELECT id, v FROM big WHERE v >= 0');
    expect(cur.executionStats?.rowsRead).toBe(0); // execute() produced nothing yet
    let total = 0;
    for (let call = 1; call <= 100; call++) {
      total += cur.fetchMany(1000).length;
      expect(cur.executionStats?.rowsRead).toBe(call * 1000);
    }
    expect(total).toBe(100_000);
    expect(cur.fetchMany(1000)).toEqual([]);
    expect(cur.executionStats?.rowsRead).toBe(100_000);
    conn.close();
  });
});

describe('transactions (PEP 249 model)', () => {
  const tmp = tmpDir();
  afterAll(() => tmp.cleanup());

  test('first DML opens a transaction; commit makes it durable; rollback discards; close rolls back', () => {
    const file = tmp.file();
    let conn = connect(file);
    books(conn, 2);
    expect(conn.inTransaction).toBe(false);
    conn.execute("INSERT INTO books (title, year) VALUES ('uncommitted', 1)");
    expect(conn.inTransaction).toBe(true);
    conn.rollback();
    expect(conn.inTransaction).toBe(false);
    expect(conn.execute('SELECT COUNT(*) FROM books').fetchOne()).toEqual([2]);
    conn.execute("INSERT INTO books (title, year) VALUES ('kept', 1)");
    conn.commit();
    conn.execute("INSERT INTO books (title, year) VALUES ('lost on close', 1)");
    conn.close();
    conn = connect(file);
    expect(conn.execute('SELECT title FROM books ORDER BY id').fetchAll()).toEqual([
      ['T1'],
      ['T2'],
      ['kept'],
    ]);
    conn.close();
  });

  test('BEGIN/COMMIT/ROLLBACK statements; a failed statement leaves earlier ones of the transaction', () => {
    const conn = connect(':memory:', { autocommit: true });
    books(conn, 1);
    conn.execute('BEGIN');
    expect(conn.inTransaction).toBe(true);
    conn.execute("INSERT INTO books (id, title, year) VALUES (5, 'a', 1)");
    expect(() =>
      conn.execute("INSERT INTO books (id, title, year) VALUES (6, 'b', 1), (5, 'dup', 1)"),
    ).toThrow(expect.objectContaining({ code: 'PRIMARY_KEY' }));
    conn.execute('COMMIT');
    expect(conn.execute('SELECT id FROM books ORDER BY id').fetchAll()).toEqual([[1], [5]]);
    conn.execute('BEGIN');
    conn.execute('DELETE FROM books');
    conn.execute('ROLLBACK');
    expect(conn.execute('SELECT COUNT(*) FROM books').fetchOne()).toEqual([2]);
    expect(() => conn.execute('COMMIT')).toThrow(expect.objectContaining({ code: 'TRANSACTION' }));
    conn.close();
  });

  test('two connections to one file: a second writer is BUSY; readers see committed data only', () => {
    const file = tmp.file();
    const a = connect(file);
    const b = connect(file);
    books(a, 2);
    a.execute("INSERT INTO books (title, year) VALUES ('pending', 1)");
    let busy: unknown = null;
    try {
      b.execute("INSERT INTO books (title, year) VALUES ('other', 1)");
    } catch (err) {
      busy = err;
    }
    expect(busy).toBeInstanceOf(OperationalError);
    expect((busy as OperationalError).code).toBe('BUSY');
    expect(b.execute('SELECT COUNT(*) FROM books').fetchOne()).toEqual([2]);
    expect(a.execute('SELECT COUNT(*) FROM books').fetchOne()).toEqual([3]);
    a.commit();
    expect(b.execute('SELECT COUNT(*) FROM books').fetchOne()).toEqual([3]);
    b.execute("INSERT INTO books (title, year) VALUES ('now fine', 1)");
    b.commit();
    a.close();
    b.close();
  });
});

describe('statement cache', () => {
  test('re-executing the same text reuses the lowered statement; DDL invalidates it', () => {
    const conn = connect(':memory:', { autocommit: true });
    conn.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)');
    conn.execute('INSERT INTO t (v) VALUES (1), (2), (3)');
    const sql = 'SELECT id FROM t WHERE v = ?';
    const before = conn.statementCacheStats;
    for (const v of [1, 2, 3]) expect(conn.execute(sql, [v]).fetchAll()).toEqual([[v]]);
    const after = conn.statementCacheStats;
    expect(after.misses - before.misses).toBe(1);
    expect(after.hits - before.hits).toBe(2);
    expect(conn.execute(`EXPLAIN ${sql}`, [1]).fetchAll().join('\n')).toContain('CollectionScan');
    conn.execute('CREATE INDEX t_v ON t (v)');
    const beforeDdl = conn.statementCacheStats;
    expect(conn.execute(sql, [2]).fetchAll()).toEqual([[2]]);
    expect(conn.statementCacheStats.misses - beforeDdl.misses).toBe(1); // re-lowered after DDL
    expect(conn.execute(`EXPLAIN ${sql}`, [1]).fetchAll().join('\n')).toContain(
      'IndexLookup t using covering t_v',
    );
    conn.close();
  });
});

describe('UPDATE with a BLOB primary key', () => {
  test('updating other columns keeps the row (keys compare by value, not identity)', () => {
    const conn = connect(':memory:', { autocommit: true });
    conn.execute('CREATE TABLE b (k BLOB PRIMARY KEY, n INTEGER)');
    conn.execute("INSERT INTO b VALUES (x'01', 1), (x'02', 2)");
    conn.execute('UPDATE b SET n = n + 10');
    expect(conn.execute('SELECT n FROM b ORDER BY k').fetchAll()).toEqual([[11], [12]]);
    conn.execute("UPDATE b SET k = x'03' WHERE n = 11");
    expect(conn.execute("SELECT n FROM b WHERE k = x'03'").fetchAll()).toEqual([[11]]);
    expect(() => conn.execute("UPDATE b SET k = x'02' WHERE n = 11")).toThrow(
      expect.objectContaining({ code: 'PRIMARY_KEY' }),
    );
    conn.close();
  });
});
