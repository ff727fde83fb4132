/** Every error class and code reachable from SQL, asserted. */
import {
  connect,
  DataError,
  IntegrityError,
  InterfaceError,
  NotSupportedError,
  OperationalError,
  ProgrammingError,
  QueryError,
  SchemaError,
  TransactionError,
} from '../../src/index';
import type { Connection, ModelVaultError } from '../../src/index';
import { tmpDir } from '../helpers/tmp';
import { sameAsSqlite } from '../helpers/sql-pair';

function setup(): Connection {
  const conn = connect(':memory:', { autocommit: true });
  conn.execute(
    "CREATE TABLE t (id INTEGER PRIMARY KEY, email TEXT UNIQUE, name TEXT NOT NULL DEFAULT 'anon', age INTEGER CHECK (age >= 0), code TEXT CHECK (code IN ('a', 'b')), seen TIMESTAMP)",
  );
  conn.execute("INSERT INTO t (id, email, age) VALUES (1, 'a@x', 30)");
  return conn;
}

function caught(fn: () => unknown): ModelVaultError {
  try {
    fn();
  } catch (err) {
    return err as ModelVaultError;
  }
  throw new Error('expected an error');
}

const cases: [string, string, new (...a: never[]) => Error, string][] = [
  ['malformed SQL', 'SELEKT * FROM t', QueryError, 'SYNTAX'],
  ['unterminated string', "SELECT * FROM t WHERE name = 'x", QueryError, 'SYNTAX'],
  ['trigger', 'CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; END', NotSupportedError, 'NOT_SUPPORTED'],
  ['unknown view', 'DROP VIEW nope', ProgrammingError, 'NO_SUCH_COLLECTION'],
  ['window function misuse', 'SELECT * FROM t WHERE row_number() OVER () > 1', QueryError, 'QUERY'],
  ['unknown function', 'SELECT load_extension(name) FROM t', NotSupportedError, 'NOT_SUPPORTED'],
  ['wrong argument count', 'SELECT upper(name, 1) FROM t', QueryError, 'QUERY'],
  ['circular common table expression', 'WITH c AS (SELECT * FROM c) SELECT * FROM c', QueryError, 'QUERY'],
  [
    'ORDER BY term of a recursive CTE naming no result column',
    'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c ORDER BY x) SELECT * FROM c',
    QueryError,
    'QUERY',
  ],
  ['ambiguous column in a join', 'SELECT id FROM t JOIN t AS u ON t.id = u.id', QueryError, 'QUERY'],
  ['unknown table', 'SELECT * FROM nope', ProgrammingError, 'NO_SUCH_COLLECTION'],
  ['unknown column', 'SELECT nope FROM t', QueryError, 'QUERY'],
  ['text compared with a timestamp', "SELECT * FROM t WHERE seen > 'yesterday'", DataError, 'TYPE_MISMATCH'],
  [
    'wrong type for a column',
    "INSERT INTO t (id, email, age) VALUES (2, 'b@x', 'old')",
    DataError,
    'VALIDATION',
  ],
  ['duplicate primary key', "INSERT INTO t (id, email) VALUES (1, 'z@x')", IntegrityError, 'PRIMARY_KEY'],
  ['duplicate unique value', "INSERT INTO t (id, email) VALUES (2, 'a@x')", IntegrityError, 'UNIQUE'],
  ['NOT NULL', "INSERT INTO t (id, email, name) VALUES (3, 'c@x', NULL)", IntegrityError, 'NOT_NULL'],
  ['CHECK min', "INSERT INTO t (id, email, age) VALUES (4, 'd@x', -1)", IntegrityError, 'CHECK'],
  ['CHECK IN', "INSERT INTO t (id, email, code) VALUES (5, 'e@x', 'z')", IntegrityError, 'CHECK'],
  ['table exists', 'CREATE TABLE t (id INTEGER PRIMARY KEY)', SchemaError, 'SCHEMA'],
  ['unknown index', 'DROP INDEX nope', ProgrammingError, 'NO_SUCH_INDEX'],
  ['COMMIT without a transaction', 'COMMIT', TransactionError, 'TRANSACTION'],
  ['two statements', 'SELECT * FROM t; SELECT * FROM t', QueryError, 'SYNTAX'],
];

describe('SQL error mapping', () => {
  test.each(cases)('%s', (_what, sql, cls, code) => {
    const conn = setup();
    const err = caught(() => conn.execute(sql));
    expect(err).toBeInstanceOf(cls);
    expect(err.code).toBe(code);
    expect(err.sql).toBe(sql);
    // The connection stays usable and nothing was written.
    expect(conn.execute('SELECT COUNT(*) FROM t').fetchOne()).toEqual([1]);
    conn.close();
  });

  test("no such column: SQLite's words, with its hint for a lone double-quoted name", () => {
    sameAsSqlite([
      'CREATE TABLE t (a INT)',
      'SELECT "unknown"',
      'SELECT "a" FROM t',
      'SELECT [zz] FROM t',
      'SELECT `zz` FROM t',
      'SELECT t."zz" FROM t',
      'SELECT * FROM t WHERE "zz" = 1',
      'UPDATE t SET a = "q"',
    ]);
  });

  test('syntax errors carry the position', () => {
    const conn = setup();
    const err = caught(() => conn.execute('SELECT id,\n  FROM t'));
    expect(err.message).toMatch(/line 2, column 3/);
    conn.close();
  });

  test('parameter count and type errors', () => {
    const conn = setup();
    expect(caught(() => conn.execute('SELECT * FROM t WHERE id = ?', [1, 2])).code).toBe('PARAMETER');
    expect(caught(() => conn.execute('SELECT * FROM t WHERE id = ?')).code).toBe('PARAMETER');
    expect(caught(() => conn.execute('SELECT * FROM t WHERE id = :id', { other: 1 })).code).toBe('PARAMETER');
    expect(caught(() => conn.execute('SELECT * FROM t WHERE id = ? AND id = :x', [1])).code).toBe(
      'PARAMETER',
    );
    const bad = caught(() => conn.execute('SELECT * FROM t WHERE id = ?', [{ not: 'bindable' }]));
    expect(bad).toBeInstanceOf(DataError);
    expect(bad.code).toBe('TYPE_MISMATCH');
    // Execution is lazy: a bad LIMIT value surfaces at the first fetch.
    expect(caught(() => conn.execute('SELECT * FROM t LIMIT ?', [2.5]).fetchAll()).code).toBe(
      'TYPE_MISMATCH',
    );
    conn.close();
  });

  test('closed objects, read-only and busy', () => {
    const tmp = tmpDir();
    try {
      const file = tmp.file();
      const w = connect(file);
      w.execute('CREATE TABLE k (id INTEGER PRIMARY KEY)');
      w.commit();
      const other = connect(file);
      w.execute('INSERT INTO k VALUES (1)');
      const busy = caught(() => other.execute('INSERT INTO k VALUES (2)'));
      expect(busy).toBeInstanceOf(OperationalError);
      expect(busy.code).toBe('BUSY');
      w.commit();
      w.close();
      other.close();
      const ro = connect(file, { readOnly: true });
      const readOnly = caught(() => ro.execute('INSERT INTO k VALUES (3)'));
      expect(readOnly).toBeInstanceOf(OperationalError);
      expect(readOnly.code).toBe('READ_ONLY');
      ro.close();
      expect(caught(() => ro.execute('SELECT * FROM k'))).toBeInstanceOf(InterfaceError);
    } finally {
      tmp.cleanup();
    }
  });

  test('int64 beyond 2^53 without safeIntegers is a DataError; with it a bigint', () => {
    const conn = connect(':memory:');
    conn.execute('CREATE TABLE b (id INTEGER PRIMARY KEY, v INTEGER)');
    conn.execute('INSERT INTO b VALUES (1, 9007199254740993)');
    const err = caught(() => conn.execute('SELECT v FROM b').fetchAll());
    expect(err).toBeInstanceOf(DataError);
    expect(err.code).toBe('INT_PRECISION');
    conn.close();
    const safe = connect(':memory:', { safeIntegers: true });
    safe.execute('CREATE TABLE b (id INTEGER PRIMARY KEY, v INTEGER)');
    safe.execute('INSERT INTO b VALUES (1, 9007199254740993)');
    expect(safe.execute('SELECT id, v FROM b').fetchAll()).toEqual([[1n, 9007199254740993n]]);
    safe.close();
  });

  test('bad options are InterfaceErrors naming the fix', () => {
    expect(() => connect(':memory:', { rowmode: 'object' } as never)).toThrow(/did you mean 'rowMode'/);
    expect(() => connect(':memory:', { rowMode: 'rows' } as never)).toThrow(InterfaceError);
  });
});
