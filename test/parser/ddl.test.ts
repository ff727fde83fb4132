/**
 * DDL lowering: CREATE TABLE → field and index descriptors (accepted by the real schema layer),
 * CREATE/DROP INDEX, DROP TABLE, ALTER TABLE ADD COLUMN.
 */
import { DataError, NotSupportedError, ProgrammingError, QueryError, SchemaError } from '../../src/errors';
import type { CreateTableStmt } from '../../parser/ir';
import { caught, lower, makeCatalog } from './catalog';

function createTable(sql: string): CreateTableStmt {
  const { stmt } = lower(sql);
  if (stmt.kind !== 'createTable') throw new Error(`not CREATE TABLE: ${sql}`);
  // Whatever the front end produces must be a schema the storage layer accepts.
  makeCatalog().add(stmt.name, [...stmt.fields], stmt.primaryKey, [...stmt.indexes]);
  return stmt;
}

describe('CREATE TABLE', () => {
  test('the SPEC example', () => {
    expect(
      createTable('CREATE TABLE books (id INTEGER PRIMARY KEY, title TEXT NOT NULL, year INTEGER)'),
    ).toEqual({
      kind: 'createTable',
      name: 'books',
      ifNotExists: false,
      fields: [
        { path: 'id', type: 'int64', constraints: [] },
        { path: 'title', type: 'string', constraints: [] },
        { path: 'year', type: { optional: 'int64' }, constraints: [] },
      ],
      primaryKey: 'id',
      indexes: [],
      autoIncrementKey: true,
      autoIncrement: false,
      notNull: ['id', 'title'],
      strict: false,
      withoutRowid: false,
    });
  });

  test('STRICT, WITHOUT ROWID: the key is not auto-assigned and every key column is NOT NULL', () => {
    const stmt = createTable('CREATE TABLE t (a TEXT, b INT, PRIMARY KEY (a, b)) STRICT, WITHOUT ROWID');
    expect(stmt).toMatchObject({ strict: true, withoutRowid: true, notNull: ['a', 'b'] });
    expect(stmt.fields.slice(0, 2)).toEqual([
      { path: 'a', type: 'string', constraints: [] },
      { path: 'b', type: 'int64', constraints: [], sqlType: 'INT' },
    ]);
    expect(createTable('CREATE TABLE t (id INTEGER PRIMARY KEY) WITHOUT ROWID')).toMatchObject({
      autoIncrementKey: false,
      withoutRowid: true,
      indexes: [],
    });
  });

  test('ON CONFLICT clauses on constraints are kept with them; ABORT, the default, is not stored', () => {
    const stmt = createTable(
      'CREATE TABLE t (id INTEGER PRIMARY KEY ON CONFLICT IGNORE, a INT UNIQUE ON CONFLICT REPLACE, ' +
        'b TEXT NOT NULL ON CONFLICT FAIL, c INT NOT NULL ON CONFLICT ABORT, d INT, e INT, ' +
        'UNIQUE (d) ON CONFLICT ROLLBACK, UNIQUE (d, e))',
    );
    expect(stmt.fields).toMatchObject([
      { path: 'id', keyOnConflict: 'ignore' },
      { path: 'a' },
      { path: 'b', notNullOnConflict: 'fail' },
      { path: 'c' },
      { path: 'd' },
      { path: 'e' },
    ]);
    expect(stmt.fields[3]).not.toHaveProperty('notNullOnConflict');
    expect(stmt.indexes).toEqual([
      { name: 'sqlite_autoindex_t_1', path: 'a', kind: 'unique', onConflict: 'replace' },
      { name: 'sqlite_autoindex_t_2', path: 'd', kind: 'unique', onConflict: 'rollback' },
      { name: 'sqlite_autoindex_t_3', paths: ['d', 'e'], kind: 'unique' },
    ]);
    const composite = createTable('CREATE TABLE k (x INT, y INT, PRIMARY KEY (x, y) ON CONFLICT IGNORE)');
    expect(composite.indexes).toEqual([
      { name: 'sqlite_autoindex_k_1', paths: ['x', 'y'], kind: 'unique', onConflict: 'ignore' },
    ]);
  });

  test.each([
    ['INTEGER', 'int64'],
    ['INT', 'int64'],
    ['BIGINT', 'int64'],
    ['SMALLINT', 'int64'],
    ['TINYINT', 'int64'],
    ['integer', 'int64'],
    ['REAL', 'float64'],
    ['DOUBLE', 'float64'],
    ['DOUBLE PRECISION', 'float64'],
    ['FLOAT', 'float64'],
    ['NUMERIC', 'float64'],
    ['DECIMAL(10, 2)', 'float64'],
    ['TEXT', 'string'],
    ['CLOB', 'string'],
    ['VARCHAR', 'string'],
    ['BLOB', 'bytes'],
    ['BOOLEAN', 'bool'],
    ['BOOL', 'bool'],
    ['UUID', 'uuid'],
    ['TIMESTAMP', 'timestamp'],
    ['DATETIME', 'timestamp'],
  ])('type %s → %s', (declared, type) => {
    const stmt = createTable(`CREATE TABLE t (c ${declared} NOT NULL)`);
    // The declared text is kept for PRAGMA table_info unless it is the name the type shows anyway.
    const shown = { int64: 'INTEGER', float64: 'REAL', string: 'TEXT', bytes: 'BLOB', bool: 'BOOLEAN' }[type];
    const sqlType = declared.toUpperCase() === (shown ?? type.toUpperCase()) ? {} : { sqlType: declared };
    expect(stmt.fields[0]).toEqual({ path: 'c', type, constraints: [], ...sqlType });
  });

  test('VARCHAR(n) / CHAR(n) become a maxLength constraint', () => {
    const stmt = createTable('CREATE TABLE t (a VARCHAR(20), b CHAR(3) NOT NULL, c NVARCHAR(5))');
    expect(stmt.fields.slice(0, 3)).toEqual([
      { path: 'a', type: { optional: 'string' }, constraints: [{ maxLength: 20 }], sqlType: 'VARCHAR(20)' },
      { path: 'b', type: 'string', constraints: [{ maxLength: 3 }], sqlType: 'CHAR(3)' },
      { path: 'c', type: { optional: 'string' }, constraints: [{ maxLength: 5 }], sqlType: 'NVARCHAR(5)' },
    ]);
  });

  test('no primary key → a hidden __rowid key that auto-assigns', () => {
    const stmt = createTable('CREATE TABLE IF NOT EXISTS logs (msg TEXT, level INT)');
    expect(stmt).toMatchObject({
      ifNotExists: true,
      primaryKey: '__rowid',
      autoIncrementKey: true,
      notNull: [],
    });
    expect(stmt.fields[2]).toEqual({ path: '__rowid', type: 'int64' });
  });

  test('only the exact type name INTEGER makes an auto-assigned key', () => {
    expect(createTable('CREATE TABLE t (id INTEGER NOT NULL PRIMARY KEY)').autoIncrementKey).toBe(true);
    expect(createTable('CREATE TABLE t (id INT PRIMARY KEY)').autoIncrementKey).toBe(false);
    expect(createTable('CREATE TABLE t (id BIGINT PRIMARY KEY)').autoIncrementKey).toBe(false);
    expect(createTable('CREATE TABLE t (code TEXT PRIMARY KEY)')).toMatchObject({
      primaryKey: 'code',
      autoIncrementKey: false,
    });
  });

  test('a table-level PRIMARY KEY and UNIQUE constraint, named constraints', () => {
    const stmt = createTable(
      'CREATE TABLE t (a INTEGER, b TEXT, c TEXT UNIQUE, CONSTRAINT pk PRIMARY KEY (a), CONSTRAINT u UNIQUE (b))',
    );
    expect(stmt).toMatchObject({ primaryKey: 'a', autoIncrementKey: true, notNull: ['a'] });
    expect(stmt.fields[0]).toEqual({ path: 'a', type: 'int64', constraints: [] });
    expect(stmt.indexes).toEqual([
      { name: 'sqlite_autoindex_t_1', path: 'c', kind: 'unique' },
      { name: 'sqlite_autoindex_t_2', path: 'b', kind: 'unique' },
    ]);
  });

  test('a composite PRIMARY KEY is a unique index over its columns; the table keeps a hidden rowid', () => {
    const stmt = createTable(
      'CREATE TABLE t (a INTEGER, b TEXT NOT NULL, c INT, PRIMARY KEY (b, a), UNIQUE (a, b), UNIQUE (c, a))',
    );
    // As in a SQLite rowid table, the key's columns stay nullable unless declared NOT NULL.
    expect(stmt).toMatchObject({ primaryKey: '__rowid', autoIncrementKey: true, notNull: ['b'] });
    expect(stmt.fields[0]).toEqual({ path: 'a', type: { optional: 'int64' }, constraints: [] });
    expect(stmt.indexes).toEqual([
      { name: 'sqlite_autoindex_t_1', paths: ['b', 'a'], kind: 'unique' },
      { name: 'sqlite_autoindex_t_2', paths: ['a', 'b'], kind: 'unique' },
      { name: 'sqlite_autoindex_t_3', paths: ['c', 'a'], kind: 'unique' },
    ]);
    expect(stmt).toMatchObject({ keyIndex: 'sqlite_autoindex_t_1' });
  });

  test('UNIQUE on the primary key adds no index; UNIQUE twice adds one', () => {
    expect(
      createTable('CREATE TABLE t (id INTEGER PRIMARY KEY UNIQUE, e TEXT UNIQUE, UNIQUE (e))').indexes,
    ).toEqual([{ name: 'sqlite_autoindex_t_1', path: 'e', kind: 'unique' }]);
  });

  test('DEFAULT literals are typed for the column', () => {
    const stmt = createTable(
      "CREATE TABLE t (a INT DEFAULT -3, b REAL DEFAULT 1, c TEXT DEFAULT 'x', d BOOLEAN DEFAULT TRUE, e BOOLEAN DEFAULT 0, f BLOB DEFAULT x'01', g TIMESTAMP DEFAULT '2020-01-02T03:04:05Z', h INT DEFAULT NULL, i INT DEFAULT (7), j INT DEFAULT 9223372036854775807, k INT DEFAULT 0 NOT NULL)",
    );
    expect(stmt.fields.map((f) => f.default)).toEqual([
      -3,
      1,
      'x',
      true,
      false,
      Buffer.from([1]),
      new Date('2020-01-02T03:04:05Z'),
      undefined,
      7,
      9223372036854775807n,
      0,
      undefined,
    ]);
    expect(stmt.fields[10]).toMatchObject({ type: 'int64' });
  });

  test('CHECK (col IN (...)) makes an enum, optional unless NOT NULL', () => {
    const stmt = createTable(
      "CREATE TABLE t (s TEXT CHECK (s IN ('a', 'b')), r TEXT NOT NULL CHECK (r IN ('x')), q TEXT, CHECK (q IN ('m', 'n', 'm')))",
    );
    expect(stmt.fields.slice(0, 3)).toEqual([
      { path: 's', type: { optional: { enum: ['a', 'b'] } }, constraints: [] },
      { path: 'r', type: { enum: ['x'] }, constraints: [] },
      { path: 'q', type: { optional: { enum: ['m', 'n'] } }, constraints: [] },
    ]);
  });

  test.each([
    ['INT CHECK (c >= 0)', [{ min: 0 }]],
    ['INT CHECK (c > 0)', [{ min: 1 }]],
    ['INT CHECK (c > 2.5)', [{ min: 3 }]],
    ['INT CHECK (c < 10)', [{ max: 9 }]],
    ['INT CHECK (c <= 10)', [{ max: 10 }]],
    ['INT CHECK (0 <= c)', [{ min: 0 }]],
    ['INT CHECK (10 > c)', [{ max: 9 }]],
    ['INT CHECK (c >= -5)', [{ min: -5 }]],
    ['INT CHECK (c BETWEEN 1 AND 5)', [{ min: 1 }, { max: 5 }]],
    ['INT CHECK (c >= 0 AND c < 150)', [{ min: 0 }, { max: 149 }]],
    ['INT CHECK (c >= 0) CHECK (c <= 9)', [{ min: 0 }, { max: 9 }]],
    ['INT CHECK (c IS NULL OR c > 0)', [{ min: 1 }]],
    ['INT CHECK (c >= 9223372036854775807)', [{ min: 9223372036854775807n }]],
    ['INT CHECK (c > 9007199254740993)', [{ min: 9007199254740994n }]],
    ['REAL CHECK (c >= 0.5)', [{ min: 0.5 }]],
    ['REAL CHECK (c > 0)', [{ min: Number.MIN_VALUE }]],
    ['REAL CHECK (c < 1)', [{ max: 1 - Number.EPSILON / 2 }]],
    ['TEXT CHECK (length(c) <= 5)', [{ maxLength: 5 }]],
    ['TEXT CHECK (LENGTH(c) < 5)', [{ maxLength: 4 }]],
    ['TEXT CHECK (length(c) >= 2)', [{ minLength: 2 }]],
    ['TEXT CHECK (length(c) > 0)', [{ minLength: 1 }]],
    ['TEXT CHECK (length(c) BETWEEN 1 AND 3)', [{ minLength: 1 }, { maxLength: 3 }]],
    ["TEXT CHECK (c <> '')", [{ nonEmpty: true }]],
    ['VARCHAR(10) CHECK (length(c) <= 5)', [{ maxLength: 10 }, { maxLength: 5 }]],
  ])('CHECK: %s', (def, constraints) => {
    expect(createTable(`CREATE TABLE t (c ${def})`).fields[0].constraints).toEqual(constraints);
  });

  test('a table CHECK attaches to the column it names (a named one stays SQL, reported by its name)', () => {
    const stmt = createTable(
      'CREATE TABLE t (a INT, b INT, CHECK (b >= 1), CHECK (a < 3), CONSTRAINT c CHECK (b < 9))',
    );
    expect(stmt.fields.slice(0, 2)).toEqual([
      { path: 'a', type: { optional: 'int64' }, constraints: [{ max: 2 }], sqlType: 'INT' },
      { path: 'b', type: { optional: 'int64' }, constraints: [{ min: 1 }], sqlType: 'INT' },
    ]);
    expect(stmt.checks).toEqual([{ sql: 'b < 9', name: 'c' }]);
  });

  test('a quoted column name with dots is a multi-segment path (and its index path too)', () => {
    const stmt = createTable('CREATE TABLE t (id INTEGER PRIMARY KEY, "profile.timezone" TEXT UNIQUE)');
    expect(stmt.fields[1]).toEqual({
      path: ['profile', 'timezone'],
      type: { optional: 'string' },
      constraints: [],
    });
    expect(stmt.indexes).toEqual([
      { name: 'sqlite_autoindex_t_1', path: ['profile', 'timezone'], kind: 'unique' },
    ]);
  });

  test.each([
    ['CREATE TABLE t (a INT CHECK (a <> 0))', [{ sql: 'a <> 0', column: 'a' }]],
    ['CREATE TABLE t (a INT CHECK (a IN (1, 2)))', [{ sql: 'a IN (1, 2)', column: 'a' }]],
    ['CREATE TABLE t (a BOOLEAN CHECK (a > 0))', [{ sql: 'a > 0', column: 'a' }]],
    ['CREATE TABLE t (a INT CHECK (a > b), b INT)', [{ sql: 'a > b', column: 'a' }]],
    ['CREATE TABLE t (a INT, b INT, CHECK (a < b))', [{ sql: 'a < b' }]],
    ['CREATE TABLE t (a INT CHECK (a > 0 OR a < -5))', [{ sql: 'a > 0 OR a < -5', column: 'a' }]],
    ['CREATE TABLE t (a INT CHECK (abs(a) < 3))', [{ sql: 'abs(a) < 3', column: 'a' }]],
    // A named CHECK is reported by its name: kept as SQL even where a typed constraint would do.
    ['CREATE TABLE t (a INT CONSTRAINT pos CHECK (a > 0))', [{ sql: 'a > 0', name: 'pos', column: 'a' }]],
    // Half expressible as a typed constraint: kept whole; in the order written (table ones come
    // after every column: SQLite's grammar has no column after a table constraint).
    [
      'CREATE TABLE t (a INT, b INT CHECK (b > a), CHECK (a > 0 AND a <> 7), CONSTRAINT c CHECK (1))',
      [{ sql: 'b > a', column: 'b' }, { sql: 'a > 0 AND a <> 7' }, { sql: '1', name: 'c' }],
    ],
  ])('%s keeps its CHECK as SQL', (sql, checks) => {
    expect(createTable(sql).checks).toEqual(checks);
  });

  test('a CHECK a typed constraint expresses becomes one, not SQL', () => {
    expect(
      createTable('CREATE TABLE t (a INT CHECK (a > 0), b TEXT, CHECK (length(b) <= 9))').checks,
    ).toBeUndefined();
  });

  test.each([
    ['CREATE TABLE t (a INT PRIMARY KEY, b INT PRIMARY KEY)', SchemaError, 'more than one primary key'],
    ['CREATE TABLE t (a INT, PRIMARY KEY (z))', SchemaError, 'unknown column z'],
    ['CREATE TABLE t (a INT, a TEXT)', SchemaError, 'duplicate column name: a'],
    ['CREATE TABLE t (__rowid INT)', SchemaError, 'reserved'],
    [
      'CREATE TABLE t (a TEXT COLLATE NOCASE PRIMARY KEY) WITHOUT ROWID',
      NotSupportedError,
      'COLLATE NOCASE on a PRIMARY KEY column',
    ],
    ['CREATE TABLE t (a INT, b INT, PRIMARY KEY (a, c))', SchemaError, 'PRIMARY KEY names unknown column c'],
    ['CREATE TABLE t (a)', NotSupportedError, 'needs a declared type'],
    ['CREATE TABLE t (a WIDGET)', NotSupportedError, 'column type WIDGET'],
    [
      'CREATE TABLE t (a INT CHECK (a > (SELECT 1)))',
      QueryError,
      'subqueries prohibited in CHECK constraints',
    ],
    ['CREATE TABLE t (a INT DEFAULT (a + 2))', SchemaError, 'default value of column [a] is not constant'],
    ['CREATE TABLE t (a INT DEFAULT (?))', SchemaError, 'default value of column [a] is not constant'],
    ['CREATE TABLE t (a INT DEFAULT (nosuch(1)))', NotSupportedError, 'no such function: nosuch'],
    ["CREATE TABLE t (a TIMESTAMP DEFAULT 'not a date')", DataError, 'not a timestamp'],
    ['CREATE TABLE t (a INT PRIMARY KEY AUTOINCREMENT)', SchemaError, 'AUTOINCREMENT is only allowed'],
    ['CREATE TABLE t (a INT REFERENCES u (id, x))', SchemaError, 'should reference only one column'],
    ['CREATE TABLE t (a INT, FOREIGN KEY (b) REFERENCES u (id))', SchemaError, 'unknown column "b"'],
    [
      'CREATE TABLE t (a INTEGER PRIMARY KEY COLLATE NOCASE)',
      NotSupportedError,
      'COLLATE NOCASE on a PRIMARY KEY',
    ],
    ['CREATE TABLE t (a TEXT COLLATE klingon)', QueryError, 'no such collation sequence: klingon'],
    [
      'CREATE TABLE t (a INT GENERATED ALWAYS AS (1))',
      SchemaError,
      'must have at least one non-generated column',
    ],
    ['CREATE TABLE t (a INT) WITHOUT ROWID', SchemaError, 'PRIMARY KEY missing on table t'],
    ['CREATE TABLE t (a VARCHAR(9)) STRICT', SchemaError, 'unknown datatype for t.a: "VARCHAR(9)"'],
    ['CREATE TABLE t (a ANY) STRICT', NotSupportedError, 'column type ANY'],
    ['CREATE TABLE t (a INT) BOGUS', QueryError, 'unknown table option: BOGUS'],
    [
      'CREATE TEMP TRIGGER tr AFTER INSERT ON books BEGIN SELECT 1; END',
      NotSupportedError,
      'CREATE TEMP TRIGGER',
    ],
    ['CREATE TABLE t AS VALUES (1)', NotSupportedError, 'AS with anything but SELECT'],
    ['CREATE TRIGGER tr AFTER INSERT ON books BEGIN SELECT 1; END', NotSupportedError, 'CREATE TRIGGER'],
    ['CREATE TABLE t (a INT,)', QueryError, 'expected a column name'],
  ])('%s → %p', (sql, cls, message) => {
    const err = caught(() => lower(sql));
    expect(err).toBeInstanceOf(cls);
    expect(err.message).toContain(message);
  });
});

describe('indexes and DROP', () => {
  test('CREATE [UNIQUE] INDEX [IF NOT EXISTS] on one column, nested paths included', () => {
    expect(lower('CREATE INDEX books_year ON books (year)').stmt).toEqual({
      kind: 'createIndex',
      name: 'books_year',
      collection: 'books',
      path: 'year',
      paths: ['year'],
      desc: [false],
      unique: false,
      ifNotExists: false,
    });
    expect(lower('CREATE INDEX ix ON books (title, year DESC, title)').stmt).toMatchObject({
      path: 'title',
      paths: ['title', 'year'],
      desc: [false, true],
    });
    expect(lower('CREATE UNIQUE INDEX IF NOT EXISTS ix ON Books (TITLE ASC)').stmt).toMatchObject({
      collection: 'books',
      path: 'title',
      unique: true,
      ifNotExists: true,
    });
    expect(lower('CREATE INDEX tz ON users (profile.timezone)').stmt).toMatchObject({
      path: 'profile.timezone',
    });
    expect(lower('CREATE INDEX tz ON users ("profile.timezone")').stmt).toMatchObject({
      path: 'profile.timezone',
    });
    expect(lower('CREATE INDEX c ON users (address.city)').stmt).toMatchObject({ path: 'address.city' });
    // A descending column is the same ascending tree, walked backwards when a query asks for DESC.
    expect(lower('CREATE INDEX d ON users (address.city DESC)').stmt).toMatchObject({ path: 'address.city' });
    expect(lower('CREATE INDEX d ON users (address.city ASC)').stmt).toMatchObject({ path: 'address.city' });
  });

  test('a partial or expression index keeps its statement and names a column per key column', () => {
    const sql = 'CREATE UNIQUE INDEX ix ON books (lower(title), year DESC) WHERE year > 0';
    expect(lower(sql).stmt).toMatchObject({
      kind: 'createIndex',
      paths: ['title', 'year'],
      desc: [false, true],
      unique: true,
      sql,
    });
    // `(year)` is the column year: a plain index, no statement kept.
    expect(lower('CREATE INDEX ix ON books ((year))').stmt).not.toHaveProperty('sql');
  });

  test.each([
    [
      'CREATE INDEX ix ON books (random())',
      QueryError,
      'non-deterministic functions prohibited in index expressions',
    ],
    ['CREATE INDEX ix ON books (year + ?)', QueryError, 'parameters prohibited in index expressions'],
    [
      'CREATE INDEX ix ON books (books.year + 1)',
      QueryError,
      'the "." operator prohibited in index expressions',
    ],
    [
      'CREATE INDEX ix ON books (year) WHERE year > (SELECT 1)',
      QueryError,
      'subqueries prohibited in partial index WHERE clauses',
    ],
    ['CREATE INDEX ix ON books (year) WHERE nope > 0', QueryError, 'no such column: nope'],
    [
      'CREATE INDEX ix ON books (lower(title) COLLATE NOCASE)',
      NotSupportedError,
      'COLLATE other than BINARY',
    ],
    ['CREATE INDEX ix ON books (nope)', QueryError, 'no such column: nope'],
    ['CREATE INDEX ix ON nope (a)', ProgrammingError, 'no such table: nope'],
  ])('%s → %p', (sql, cls, message) => {
    const err = caught(() => lower(sql));
    expect(err).toBeInstanceOf(cls);
    expect(err.message).toContain(message);
  });

  test('DROP TABLE / DROP INDEX [IF EXISTS]', () => {
    expect(lower('DROP TABLE books').stmt).toEqual({ kind: 'dropTable', name: 'books', ifExists: false });
    // The catalog's spelling of the name, as SQLite table names ignore case.
    expect(lower('DROP TABLE IF EXISTS BOOKS').stmt).toEqual({
      kind: 'dropTable',
      name: 'books',
      ifExists: true,
    });
    // An unknown table is the executor's to report (IF EXISTS makes it a no-op there).
    expect(lower('DROP TABLE nope').stmt).toEqual({ kind: 'dropTable', name: 'nope', ifExists: false });
    expect(lower('DROP INDEX ix').stmt).toEqual({ kind: 'dropIndex', name: 'ix', ifExists: false });
    expect(lower('DROP INDEX IF EXISTS ix').stmt).toEqual({ kind: 'dropIndex', name: 'ix', ifExists: true });
    expect(lower('DROP VIEW IF EXISTS v').stmt).toEqual({ kind: 'dropView', name: 'v', ifExists: true });
    expect(lower('CREATE TEMP VIEW v (a) AS SELECT 1;').stmt).toEqual({
      kind: 'createView',
      name: 'v',
      temp: true,
      ifNotExists: false,
      // As SQLite keeps it: no TEMP, IF NOT EXISTS or schema prefix.
      sql: 'CREATE VIEW v (a) AS SELECT 1',
    });
    expect(lower('CREATE VIEW IF NOT EXISTS main."v 2" AS SELECT 1').stmt).toMatchObject({
      sql: 'CREATE VIEW "v 2" AS SELECT 1',
    });
    expect(caught(() => lower('DROP TRIGGER tr'))).toBeInstanceOf(NotSupportedError);
  });
});

describe('ALTER TABLE ADD COLUMN', () => {
  test('a nullable column, or a NOT NULL column with a DEFAULT', () => {
    expect(lower('ALTER TABLE books ADD COLUMN isbn VARCHAR(13)').stmt).toEqual({
      kind: 'addColumn',
      collection: 'books',
      field: {
        path: 'isbn',
        type: { optional: 'string' },
        constraints: [{ maxLength: 13 }],
        sqlType: 'VARCHAR(13)',
      },
    });
    expect(
      lower("ALTER TABLE Books ADD isbn TEXT NOT NULL DEFAULT '' CHECK (length(isbn) <= 13)").stmt,
    ).toEqual({
      kind: 'addColumn',
      collection: 'books',
      field: { path: 'isbn', type: 'string', constraints: [{ maxLength: 13 }], default: '' },
    });
  });

  test.each([
    [
      'ALTER TABLE books ADD COLUMN isbn TEXT NOT NULL',
      SchemaError,
      'NOT NULL column with default value NULL',
    ],
    ['ALTER TABLE books ADD COLUMN isbn TEXT NOT NULL DEFAULT NULL', SchemaError, 'NOT NULL column'],
    ['ALTER TABLE books ADD COLUMN Title TEXT', SchemaError, 'duplicate column name: Title'],
    ['ALTER TABLE books ADD COLUMN k INT PRIMARY KEY', NotSupportedError, 'PRIMARY KEY'],
    ['ALTER TABLE books ADD COLUMN k INT UNIQUE', NotSupportedError, 'UNIQUE'],
    ['ALTER TABLE nope ADD COLUMN k INT', ProgrammingError, 'no such table: nope'],
    ['ALTER TABLE books RENAME TO Books', SchemaError, 'there is already another table or index'],
    ['ALTER TABLE books RENAME COLUMN nope TO b', QueryError, 'no such column: "nope"'],
    ['ALTER TABLE books DROP COLUMN nope', QueryError, 'no such column: "nope"'],
    ['ALTER TABLE books ALTER COLUMN year', NotSupportedError, 'ALTER TABLE ALTER'],
  ])('%s → %p', (sql, cls, message) => {
    const err = caught(() => lower(sql));
    expect(err).toBeInstanceOf(cls);
    expect(err.message).toContain(message);
  });
});
