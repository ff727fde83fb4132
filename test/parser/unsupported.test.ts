/**
 * Valid SQL outside Tier 1 is a NotSupportedError naming the construct, and the error classes
 * and codes of docs/sql.md's error table for everything the front end rejects.
 */
import {
  DataError,
  ModelVaultError,
  NotSupportedError,
  ProgrammingError,
  QueryError,
  SchemaError,
} from '../../src/errors';
import { caught, lower } from './catalog';

test.each([
  ['SELECT load_extension(title) FROM books', 'no such function: load_extension'],
  ['SELECT id FROM books WHERE load_extension(title) > 2', 'no such function: load_extension'],
  ['SELECT Sqlite_Version_X(year, 0) FROM books', 'no such function: Sqlite_Version_X'],
  ["SELECT id FROM books WHERE title REGEXP 'a*'", 'REGEXP'],
  ["SELECT id FROM books WHERE title REGEXP 'a'", 'REGEXP'],
  ["SELECT id FROM books WHERE title MATCH 'x'", 'MATCH'],
  ['SELECT id FROM aux.books', 'schema-qualified'],
  ['PRAGMA schema_version', 'PRAGMA schema_version'],
  ["ATTACH 'x.db' AS x", 'ATTACH'],
  ['CREATE TRIGGER tr AFTER INSERT ON books BEGIN SELECT 1; END', 'CREATE TRIGGER'],
])('%s → NotSupportedError naming %s', (sql, construct) => {
  const err = caught(() => lower(sql));
  expect(err).toBeInstanceOf(NotSupportedError);
  expect(err).toMatchObject({ code: 'NOT_SUPPORTED', sql });
  expect(err.message).toContain(construct);
});

test.each<[string, new (...args: never[]) => ModelVaultError, string]>([
  ['SELEKT 1', QueryError, 'SYNTAX'],
  ['SELECT id FROM books; SELECT id FROM books', QueryError, 'SYNTAX'],
  ['SELECT * FROM nope', ProgrammingError, 'NO_SUCH_COLLECTION'],
  ['SELECT nope FROM books', QueryError, 'QUERY'],
  // Index hints are SQL the subset runs (test/cursor/index-hints.test.ts); a missing index is an error.
  ['SELECT id FROM books INDEXED BY ix', QueryError, 'QUERY'],
  ['DELETE FROM books b WHERE b.id = 1', QueryError, 'SYNTAX'],
  ['SELECT id FROM books WHERE COUNT(*) > 0', QueryError, 'QUERY'],
  // Window functions outside a SELECT's list and ORDER BY are misused, as in SQLite.
  ['SELECT id FROM books WHERE row_number() OVER () > 1', QueryError, 'QUERY'],
  ['DELETE FROM books RETURNING id, count(*) OVER ()', QueryError, 'QUERY'],
  ['SELECT id, row_number() FROM books', QueryError, 'QUERY'],
  ['SELECT sum(id) OVER (ROWS BETWEEN 1 FOLLOWING AND CURRENT ROW) FROM books', QueryError, 'QUERY'],
  ['SELECT sum(id) OVER (ROWS UNBOUNDED FOLLOWING) FROM books', QueryError, 'SYNTAX'],
  ['SELECT id FROM books WHERE id = ? AND id = :a', ProgrammingError, 'PARAMETER'],
  ['SELECT 0x1FFFFFFFFFFFFFFFF FROM books', DataError, 'DATA'],
  ['CREATE TABLE t (a INT, a INT)', SchemaError, 'SCHEMA'],
  ['INSERT INTO books (id) VALUES (1, 2)', ProgrammingError, 'PROGRAMMING'],
  ['SELECT load_extension(title) FROM books', NotSupportedError, 'NOT_SUPPORTED'],
])('%s → %p %s', (sql, cls, code) => {
  const err = caught(() => lower(sql));
  expect(err).toBeInstanceOf(cls);
  expect(err).toMatchObject({ code, sql });
});

test('a non-string statement is a ProgrammingError', () => {
  expect(caught(() => lower(42 as unknown as string))).toBeInstanceOf(ProgrammingError);
});

describe('resource limits', () => {
  test('deep nesting is a QueryError, not a stack overflow', () => {
    for (const sql of [
      `SELECT ${'('.repeat(5000)}1${')'.repeat(5000)} FROM books`,
      `SELECT ${'- '.repeat(5000)}1 FROM books`,
      `SELECT id FROM books WHERE ${'NOT '.repeat(5000)}1`,
      `SELECT 1${' + 1'.repeat(5000)} FROM books`,
      `SELECT id FROM books WHERE ${Array(3000).fill('id = 1').join(' OR ')}`,
    ]) {
      const err = caught(() => lower(sql));
      expect(err).toBeInstanceOf(QueryError);
      expect(err.message).toMatch(/too large/);
    }
  });

  test('nesting below the limit lowers', () => {
    expect(() => lower(`SELECT ${'('.repeat(200)}1${')'.repeat(200)} FROM books`)).not.toThrow();
    expect(() => lower(`SELECT 1${' + 1'.repeat(900)} FROM books`)).not.toThrow();
    expect(() =>
      lower(`SELECT id FROM books WHERE id IN (${Array(10000).fill('1').join(', ')})`),
    ).not.toThrow();
  });
});
