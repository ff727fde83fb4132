/**
 * Typed SQL results: execute<Row>() on cursors and connections, rows typed by rowMode, and untyped
 * use unchanged. Type assertions are checked by `npm run typecheck`; the calls run against a real
 * database under jest.
 */
import { expectTypeOf } from 'expect-type';
import { connect, connectAsync } from '../../src/index';
import type { AsyncCursor, Connection, Cursor, ObjectRow, ResultRow } from '../../src/index';

interface Book {
  id: number;
  title: string;
  year: number | null;
}

function setup<C extends Connection<unknown>>(conn: C): C {
  conn.execute('CREATE TABLE books (id INTEGER PRIMARY KEY, title TEXT NOT NULL, year INTEGER)');
  conn.execute("INSERT INTO books VALUES (1, 'A', 2020), (2, 'B', NULL)");
  return conn;
}

test('without rowMode and type arguments, rows stay ResultRow (existing code compiles as before)', () => {
  const conn = setup(connect(':memory:'));
  expectTypeOf(conn).toEqualTypeOf<Connection>();
  const cur = conn.cursor().execute('SELECT id, title FROM books ORDER BY id');
  expectTypeOf(cur).toEqualTypeOf<Cursor<ResultRow>>();
  expectTypeOf(cur.fetchOne).returns.toEqualTypeOf<ResultRow | null>();
  expect(cur.fetchOne()).toEqual([1, 'A']);
  expect(cur.fetchAll()).toEqual([[2, 'B']]);
  conn.close();
});

test("rowMode: 'object' types rows as objects; execute<Row>() narrows them", () => {
  const conn = setup(connect(':memory:', { rowMode: 'object' }));
  expectTypeOf(conn).toEqualTypeOf<Connection<ObjectRow>>();
  expectTypeOf(conn.execute('SELECT 1').fetchAll()).toEqualTypeOf<ObjectRow[]>();

  const cur = conn.execute<Book>('SELECT id, title, year FROM books ORDER BY id');
  expectTypeOf(cur).toEqualTypeOf<Cursor<Book>>();
  const first = cur.fetchOne();
  expectTypeOf(first).toEqualTypeOf<Book | null>();
  expect(first).toEqual({ id: 1, title: 'A', year: 2020 });
  expectTypeOf(cur.fetchMany).returns.toEqualTypeOf<Book[]>();
  expect(cur.fetchMany(1)).toEqual([{ id: 2, title: 'B', year: null }]);
  expect(cur.fetchAll()).toEqual([]);

  const titles: string[] = [];
  for (const row of conn.cursor().execute<Book>('SELECT id, title, year FROM books ORDER BY id')) {
    expectTypeOf(row).toEqualTypeOf<Book>();
    titles.push(row.title);
  }
  expect(titles).toEqual(['A', 'B']);
  // @ts-expect-error a Book has no isbn
  expect(conn.execute<Book>('SELECT * FROM books').fetchOne()?.isbn).toBeUndefined();
  conn.close();
});

test("rowMode: 'array' types rows as arrays; a tuple type argument gives typed columns", () => {
  const conn = setup(connect(':memory:', { rowMode: 'array' }));
  expectTypeOf(conn.execute('SELECT 1').fetchOne()).toEqualTypeOf<unknown[] | null>();
  const rows = conn.execute<[number, string]>('SELECT id, title FROM books ORDER BY id').fetchAll();
  expectTypeOf(rows).toEqualTypeOf<[number, string][]>();
  expect(rows).toEqual([
    [1, 'A'],
    [2, 'B'],
  ]);
  conn.close();
});

test('async cursors take the same type argument', async () => {
  const conn = await connectAsync(':memory:', { rowMode: 'object', autocommit: true });
  try {
    await conn.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)');
    await conn.execute("INSERT INTO t VALUES (1, 'x')");
    const cur = await conn.execute<{ id: number; name: string }>('SELECT id, name FROM t');
    expectTypeOf(cur).toEqualTypeOf<AsyncCursor<{ id: number; name: string }>>();
    const rows = await cur.fetchAll();
    expectTypeOf(rows).toEqualTypeOf<{ id: number; name: string }[]>();
    expect(rows).toEqual([{ id: 1, name: 'x' }]);
  } finally {
    await conn.close();
  }
});
