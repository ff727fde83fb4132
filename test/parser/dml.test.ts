/** INSERT / UPDATE / DELETE lowering. */
import { NotSupportedError, ProgrammingError, QueryError } from '../../src/errors';
import { E } from '../../planner/expr';
import { caught, lower } from './catalog';

const lit = E.literal;

describe('INSERT', () => {
  test('explicit columns map to field indexes; each VALUES row is a list of constant expressions', () => {
    expect(lower("INSERT INTO books (title, id) VALUES ('a', 1), (?, ? + 1)")).toEqual({
      sql: "INSERT INTO books (title, id) VALUES ('a', 1), (?, ? + 1)",
      params: { style: 'positional', count: 2, names: [] },
      stmt: {
        kind: 'insert',
        collection: 'books',
        columns: [1, 0],
        defaults: [],
        rows: [
          [lit('a', 'text'), lit(1, 'integer')],
          [E.param(0), E.binary('+', E.param(1), lit(1, 'integer'))],
        ],
        select: null,
        conflict: 'abort',
        byConstraint: true,
        nullDefaults: [],
        doNothing: false,
        upserts: [],
        returning: null,
      },
    });
  });

  test('without a column list, every visible field in order (the hidden rowid is left out)', () => {
    const books = lower("INSERT INTO books VALUES (1, 'a', 2000, 1.5, x'00', TRUE)").stmt;
    expect(books).toMatchObject({ columns: [0, 1, 2, 3, 4, 5] });
    expect(books).toMatchObject({
      rows: [[{}, {}, {}, {}, lit(Buffer.from([0]), 'blob'), lit(1, 'integer')]],
    });
    expect(lower("INSERT INTO logs VALUES ('x', 1)").stmt).toMatchObject({ columns: [0, 1] });
  });

  test.each([
    ['INSERT OR IGNORE INTO logs (msg) VALUES (1)', 'ignore', false],
    ['INSERT OR REPLACE INTO logs (msg) VALUES (1)', 'replace', false],
    ['REPLACE INTO logs (msg) VALUES (1)', 'replace', false],
    ['INSERT OR ABORT INTO logs (msg) VALUES (1)', 'abort', false],
    ['INSERT OR FAIL INTO logs (msg) VALUES (1)', 'fail', false],
    ['insert or rollback into logs (msg) values (1)', 'rollback', false],
    ['INSERT INTO logs (msg) VALUES (1) ON CONFLICT DO NOTHING', 'ignore', true],
  ])('%s → conflict %s, doNothing %s', (sql, conflict, doNothing) => {
    expect(lower(sql).stmt).toMatchObject({ kind: 'insert', conflict, doNothing });
  });

  test('nested fields are named by their dotted path, quoted or not; rowid names the key', () => {
    expect(lower('INSERT INTO users ("profile.timezone", id) VALUES (\'UTC\', 1)').stmt).toMatchObject({
      columns: [2, 0],
    });
    expect(lower("INSERT INTO users (profile.timezone, ID) VALUES ('UTC', 1)").stmt).toMatchObject({
      columns: [2, 0],
    });
    expect(lower("INSERT INTO logs (rowid, msg) VALUES (5, 'x')").stmt).toMatchObject({ columns: [2, 0] });
    expect(lower("INSERT INTO books (oid, title) VALUES (5, 'x')").stmt).toMatchObject({ columns: [0, 1] });
  });

  test.each([
    [
      "INSERT INTO books (title) VALUES ('x'), ('y', 1)",
      ProgrammingError,
      'PROGRAMMING',
      '1 columns but 2 values in VALUES row 2',
    ],
    [
      "INSERT INTO logs VALUES ('x', 1, 3)",
      ProgrammingError,
      'PROGRAMMING',
      'table logs has 2 columns but 3 values were supplied',
    ],
    ["INSERT INTO books (title, title) VALUES ('x', 'y')", ProgrammingError, 'PROGRAMMING', 'named twice'],
    [
      'INSERT INTO books (title, nope) VALUES (1, 2)',
      QueryError,
      'QUERY',
      'table books has no column named nope',
    ],
    ["INSERT INTO nope VALUES ('x')", ProgrammingError, 'NO_SUCH_COLLECTION', 'no such table: nope'],
    ['INSERT INTO books (title) VALUES (title)', QueryError, 'QUERY', 'no such column: title'],
    ['INSERT INTO books (year) VALUES (COUNT(*))', QueryError, 'QUERY', 'misuse of aggregate'],
    [
      "INSERT INTO users (address.city, id) VALUES ('x', 1)",
      NotSupportedError,
      'NOT_SUPPORTED',
      'inside an object column',
    ],
    [
      "INSERT OR NOTHING INTO logs VALUES ('x', 1)",
      QueryError,
      'SYNTAX',
      'expected ROLLBACK, ABORT, FAIL, IGNORE or REPLACE',
    ],
    [
      "INSERT INTO logs (msg) VALUES ('x') ON CONFLICT (msg) DO NOTHING",
      QueryError,
      'QUERY',
      'does not match any PRIMARY KEY or UNIQUE constraint',
    ],
    [
      "INSERT INTO books (title) VALUES ('x') ON CONFLICT (title) WHERE id > 0 DO NOTHING",
      QueryError,
      'QUERY',
      'does not match any PRIMARY KEY or UNIQUE constraint',
    ],
  ])('%s → %p %s', (sql, cls, code, message) => {
    const err = caught(() => lower(sql));
    expect(err).toBeInstanceOf(cls);
    expect(err).toMatchObject({ code });
    expect(err.message).toContain(message);
  });
});

describe('INSERT … SELECT, DEFAULT VALUES, RETURNING', () => {
  test('INSERT … SELECT carries the lowered query and no VALUES rows', () => {
    const stmt = lower('INSERT INTO logs (msg) SELECT title FROM books WHERE year > ?').stmt;
    expect(stmt).toMatchObject({ kind: 'insert', columns: [0], rows: [], select: { kind: 'select' } });
  });

  test('DEFAULT VALUES is one row that names no column', () => {
    expect(lower('INSERT INTO logs DEFAULT VALUES').stmt).toMatchObject({
      columns: [],
      rows: [[]],
      select: null,
    });
  });

  test('RETURNING columns are named like a select list', () => {
    const stmt = lower('UPDATE books SET year = 1 RETURNING id, year + 1, title AS t, *').stmt;
    const names = stmt.kind === 'update' ? stmt.returning?.columns.map((c) => c.name) : [];
    expect(names?.slice(0, 4)).toEqual(['id', 'year + 1', 't', 'id']);
  });

  test.each([
    ['INSERT INTO logs (msg) SELECT title, id FROM books', '2 values for 1 columns'],
    ['INSERT INTO logs SELECT title FROM books', 'table logs has 2 columns but 1 values were supplied'],
    ["INSERT INTO logs (msg) VALUES ('x') RETURNING count(*)", 'misuse of aggregate function'],
    ["INSERT INTO logs (msg) VALUES ('x') RETURNING nope", 'no such column: nope'],
  ])('%s → %s', (sql, message) => {
    const err = caught(() => lower(sql));
    expect(err).toBeInstanceOf(ProgrammingError);
    expect(err.message).toContain(message);
  });
});

describe('UPDATE', () => {
  test('SET expressions may read the row; WHERE is lowered like a SELECT filter', () => {
    expect(lower('UPDATE books SET year = year + 1, title = :t WHERE id = :id').stmt).toEqual({
      kind: 'update',
      collection: 'books',
      sets: [
        { column: 2, expr: E.binary('+', E.column(2, [], 'integer', 'year'), lit(1, 'integer')) },
        { column: 1, expr: E.param('t') },
      ],
      where: E.binary(
        '=',
        { ...E.column(0, [], 'integer', 'id'), rowid: true as const },
        { ...E.param('id'), affinity: 'numeric' as const },
      ),
      conflict: 'abort',
      byConstraint: true,
      nullDefaults: [],
      returning: null,
    });
    expect(lower("UPDATE users SET profile.timezone = 'UTC'").stmt).toMatchObject({
      sets: [{ column: 2 }],
      where: null,
    });
  });

  test.each([
    ['UPDATE OR ROLLBACK books SET year = 1', 'rollback'],
    ['UPDATE OR ABORT books SET year = 1', 'abort'],
    ['UPDATE OR FAIL books SET year = 1', 'fail'],
    ['UPDATE OR IGNORE books SET year = 1', 'ignore'],
    ['update or replace books set year = 1', 'replace'],
    ['UPDATE books SET year = 1', 'abort'],
  ])('%s → conflict %s', (sql, conflict) => {
    expect(lower(sql).stmt).toMatchObject({ kind: 'update', conflict, nullDefaults: [] });
  });

  test.each([
    ['UPDATE books SET nope = 1', QueryError, 'table books has no column named nope'],
    ['UPDATE books SET year = 1, year = 2, nope = 3', QueryError, 'no column named nope'],
    ['UPDATE books SET year = COUNT(*)', QueryError, 'misuse of aggregate'],
    ["UPDATE users SET address.city = 'x'", NotSupportedError, 'inside an object column'],
    // SQLite's UPDATE takes an alias only after AS.
    ['UPDATE books b SET year = 1', QueryError, 'expected SET'],
    ['UPDATE OR NOTHING books SET year = 1', QueryError, 'expected ROLLBACK, ABORT, FAIL, IGNORE or REPLACE'],
    ['UPDATE books SET year = 1 LIMIT 1', NotSupportedError, 'LIMIT'],
  ])('%s → %p', (sql, cls, message) => {
    const err = caught(() => lower(sql));
    expect(err).toBeInstanceOf(cls);
    expect(err.message).toContain(message);
  });

  test("WHERE compares like a SELECT filter: a literal takes the column's affinity", () => {
    const { stmt } = lower("UPDATE books SET title = 'x' WHERE year = '1999'");
    expect(stmt.kind === 'update' && stmt.where).toMatchObject({ right: { kind: 'literal', value: 1999 } });
  });
});

describe('DELETE', () => {
  test('with and without WHERE', () => {
    expect(lower('DELETE FROM books').stmt).toEqual({
      kind: 'delete',
      collection: 'books',
      where: null,
      returning: null,
    });
    expect(lower('DELETE FROM Books WHERE year < ?1').stmt).toEqual({
      kind: 'delete',
      collection: 'books',
      where: E.binary('<', E.column(2, [], 'integer', 'year'), {
        ...E.param(0),
        affinity: 'numeric' as const,
      }),
      returning: null,
    });
  });

  test.each([
    ['DELETE FROM nope', 'NO_SUCH_COLLECTION'],
    ['DELETE FROM books WHERE nope = 1', 'QUERY'],
    ['DELETE FROM books ORDER BY id LIMIT 1', 'NOT_SUPPORTED'],
    ['DELETE FROM books WHERE COUNT(*) > 1', 'QUERY'],
  ])('%s → %s', (sql, code) => {
    expect(caught(() => lower(sql))).toMatchObject({ code });
  });
});
