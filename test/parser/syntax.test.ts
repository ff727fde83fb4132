/**
 * Statement-level syntax: transaction statements, EXPLAIN, semicolons, comments and quoting,
 * one statement per string, and positioned SYNTAX errors.
 */
import { NotSupportedError, ProgrammingError, QueryError } from '../../src/errors';
import { caught, lower, lowerSelectStmt } from './catalog';

describe('transaction statements', () => {
  test.each([
    ['BEGIN', 'begin'],
    ['begin transaction', 'begin'],
    ['BEGIN DEFERRED', 'begin'],
    ['BEGIN IMMEDIATE TRANSACTION', 'begin'],
    ['BEGIN EXCLUSIVE TRANSACTION;', 'begin'],
    ['COMMIT', 'commit'],
    ['COMMIT TRANSACTION', 'commit'],
    ['END', 'commit'],
    ['end transaction;', 'commit'],
    ['ROLLBACK', 'rollback'],
    ['ROLLBACK TRANSACTION', 'rollback'],
  ])('%s → %s', (sql, kind) => {
    const lowered = lower(sql);
    expect(lowered.stmt).toEqual({ kind });
    expect(lowered.params).toEqual({ style: 'none', count: 0, names: [] });
    expect(lowered.sql).toBe(sql);
  });

  test.each([
    ['SAVEPOINT sp1', { kind: 'savepoint', name: 'sp1' }],
    ['RELEASE sp1', { kind: 'release', name: 'sp1' }],
    ['RELEASE SAVEPOINT "Sp 1"', { kind: 'release', name: 'Sp 1' }],
    ['ROLLBACK TO sp1', { kind: 'rollbackTo', name: 'sp1' }],
    ['ROLLBACK TRANSACTION TO SAVEPOINT sp1;', { kind: 'rollbackTo', name: 'sp1' }],
  ])('%s', (sql, stmt) => {
    expect(lower(sql).stmt).toEqual(stmt);
  });

  test('a savepoint needs a name', () => {
    expect(caught(() => lower('SAVEPOINT'))).toMatchObject({ code: 'SYNTAX' });
    expect(caught(() => lower('ROLLBACK TO'))).toMatchObject({ code: 'SYNTAX' });
  });
});

describe('EXPLAIN', () => {
  test.each([
    'EXPLAIN SELECT id FROM books WHERE id = 1',
    'EXPLAIN QUERY PLAN SELECT id FROM books WHERE id = 1',
  ])('%s wraps the lowered SELECT', (sql) => {
    const { stmt } = lower(sql);
    expect(stmt.kind).toBe('explain');
    if (stmt.kind !== 'explain') return;
    expect(stmt.select).toEqual(lowerSelectStmt('SELECT id FROM books WHERE id = 1'));
  });

  test('EXPLAIN of other statements is not supported', () => {
    const err = caught(() => lower('EXPLAIN INSERT INTO books (id) VALUES (1)'));
    expect(err).toBeInstanceOf(NotSupportedError);
    expect(err.message).toMatch(/EXPLAIN/);
  });
});

describe('statement boundaries', () => {
  test.each([
    'SELECT id FROM books;',
    'SELECT id FROM books ;;',
    'SELECT id FROM books; -- done',
    'SELECT id FROM books /* x */;',
  ])('trailing semicolons and comments are accepted: %s', (sql) => {
    expect(lower(sql).stmt.kind).toBe('select');
  });

  test.each([
    'SELECT id FROM books; SELECT id FROM books',
    'SELECT id FROM books;;DELETE FROM books',
    'BEGIN; COMMIT',
    'SELECT id FROM books SELECT 1 FROM books',
  ])('more than one statement is refused: %s', (sql) => {
    const err = caught(() => lower(sql));
    // QueryError is the ProgrammingError subclass for bad SQL (docs/sql.md: code SYNTAX).
    expect(err).toBeInstanceOf(ProgrammingError);
    expect(err).toBeInstanceOf(QueryError);
    expect(err).toMatchObject({ code: 'SYNTAX' });
    expect(err.message).toMatch(/one statement/);
  });

  test.each(['', '   ', ';', '-- only a comment'])('an empty statement is a SYNTAX error: %j', (sql) => {
    expect(caught(() => lower(sql))).toMatchObject({ code: 'SYNTAX' });
  });

  test('a semicolon inside a string or a comment does not split statements', () => {
    expect(lower("SELECT id FROM books WHERE title = 'a;b'").stmt.kind).toBe('select');
    expect(lower('SELECT id /* ; */ FROM books -- ; SELECT\n').stmt.kind).toBe('select');
  });
});

describe('tokens', () => {
  test('string literals use doubled quotes as escapes', () => {
    const { plan } = lowerSelectStmt("SELECT id FROM books WHERE title = 'it''s'");
    expect(JSON.stringify(plan)).toContain('"value":"it\'s"');
  });

  test.each([
    ['"title"', 'title'],
    ['`title`', 'title'],
    ['[title]', 'title'],
    ['"TITLE"', 'title'],
  ])('quoted identifier %s names a column', (ident, name) => {
    expect(lowerSelectStmt(`SELECT ${ident} FROM books`).columns[0].name).toBe(name);
  });

  test('keywords are case-insensitive', () => {
    expect(lower('select Id from BOOKS where ID = 1 order by id desc limit 1').stmt.kind).toBe('select');
  });
});

describe('SYNTAX errors carry the position', () => {
  test.each([
    ['SELEKT * FROM books', 1, 1, 0],
    ['SELECT * FROM books WHERE', 1, 26, 25],
    ["SELECT * FROM books WHERE title = 'x", 1, 35, 34],
    ['SELECT * FROM books\nWHERE id = = 1', 2, 12, 31],
    ['SELECT *\n  FROM books\n  WHERE (id', 3, 12, 33],
    ['SELECT "unterminated FROM books', 1, 8, 7],
    ["SELECT x'0' FROM books", 1, 8, 7],
    ['SELECT 0x FROM books', 1, 8, 7],
    ['SELECT 12abc FROM books', 1, 8, 7],
    ['SELECT # FROM books', 1, 8, 7],
  ])('%j → line %i, column %i, offset %i', (sql, line, column, offset) => {
    const err = caught(() => lower(sql));
    expect(err).toBeInstanceOf(QueryError);
    expect(err).toMatchObject({ code: 'SYNTAX', offset, sql });
    expect(err.message).toContain(`line ${line}, column ${column} (offset ${offset})`);
  });

  test('an error at the end says the statement ended', () => {
    expect(caught(() => lower('DELETE FROM')).message).toMatch(/statement ended/);
  });
});
