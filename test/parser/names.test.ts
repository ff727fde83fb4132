/**
 * Name resolution (columns, qualifiers, nested paths, rowid aliases, `*`) and SQLite's result
 * column naming (SQLITE-SEMANTICS §11), with the static type and nullability of each column.
 */
import { ProgrammingError, QueryError } from '../../src/errors';
import { E } from '../../planner/expr';
import { caught, findNode, lowerSelectStmt, makeCatalog } from './catalog';

function projected(sql: string) {
  return findNode(lowerSelectStmt(sql).plan, 'project').columns.map((c) => c.expr);
}

describe('column references', () => {
  test('plain, table-qualified and alias-qualified references resolve to the same column', () => {
    const title = E.column(1, [], 'text', 'title');
    expect(projected('SELECT title, books.title, BOOKS.TITLE FROM books')).toEqual([title, title, title]);
    expect(projected('SELECT title, b.title, B.TITLE FROM books AS b')).toEqual([title, title, title]);
    expect(projected('SELECT b.title FROM books b')).toEqual([title]);
  });

  test('an alias hides the table name, as in SQLite', () => {
    const err = caught(() => lowerSelectStmt('SELECT books.title FROM books AS b'));
    expect(err).toBeInstanceOf(QueryError);
    expect(err.message).toBe('no such column: books.title');
  });

  test('identifiers and table names are case-insensitive', () => {
    const stmt = lowerSelectStmt('SELECT TITLE, Year FROM BOOKS');
    expect(stmt.collection).toBe('books');
    expect(stmt.columns.map((c) => c.name)).toEqual(['title', 'year']);
  });

  test('a multi-segment field resolves by its dotted path, bare or quoted', () => {
    const tz = E.column(2, [], 'text', 'profile.timezone');
    expect(
      projected(
        'SELECT profile.timezone, "profile.timezone", users.profile.timezone, "profile"."timezone" FROM users',
      ),
    ).toEqual([tz, tz, tz, tz]);
  });

  test('a field inside an object column resolves to its sub-position', () => {
    expect(projected('SELECT address.city, u.address.zip FROM users u')).toEqual([
      E.column(3, [0], 'text', 'address.city'),
      E.column(3, [1], 'text', 'address.zip'),
    ]);
  });

  test('a table named like a path prefix still resolves paths', () => {
    const catalog = makeCatalog().add(
      'profile',
      [
        { path: 'id', type: 'int64' },
        { path: 'profile.timezone', type: 'string' },
      ],
      'id',
    );
    const stmt = lowerSelectStmt('SELECT profile.timezone, profile.id FROM profile', catalog);
    expect(findNode(stmt.plan, 'project').columns.map((c) => c.expr)).toEqual([
      E.column(1, [], 'text', 'profile.timezone'),
      { ...E.column(0, [], 'integer', 'id'), rowid: true as const },
    ]);
  });

  test.each([
    ['SELECT nope FROM books', 'no such column: nope'],
    ['SELECT b.title FROM books', 'no such column: b.title'],
    ['SELECT books.nope FROM books', 'no such column: books.nope'],
    ['SELECT profile.nope FROM users', 'no such column: profile.nope'],
    ['SELECT id FROM books WHERE nope = 1', 'no such column: nope'],
    ['SELECT id FROM books ORDER BY nope', 'no such column: nope'],
  ])('%s → QueryError QUERY', (sql, message) => {
    const err = caught(() => lowerSelectStmt(sql));
    expect(err).toBeInstanceOf(QueryError);
    expect(err).toMatchObject({ code: 'QUERY' });
    expect(err.message).toContain(message);
  });

  test('an unknown table is NO_SUCH_COLLECTION', () => {
    const err = caught(() => lowerSelectStmt('SELECT * FROM nope'));
    expect(err).toBeInstanceOf(ProgrammingError);
    expect(err).toMatchObject({ code: 'NO_SUCH_COLLECTION', message: 'no such table: nope' });
  });
});

describe('rowid aliases', () => {
  test('an INTEGER PRIMARY KEY answers to rowid, _rowid_ and oid, named by the key', () => {
    const stmt = lowerSelectStmt('SELECT rowid, _rowid_, OID, books.rowid FROM books');
    expect(findNode(stmt.plan, 'project').columns.map((c) => c.expr)).toEqual(
      Array(4).fill({ ...E.column(0, [], 'integer', 'id'), rowid: true as const }),
    );
    expect(stmt.columns.map((c) => c.name)).toEqual(['id', 'id', 'id', 'id']);
  });

  test('a table without a primary key answers with its hidden __rowid, named rowid', () => {
    const stmt = lowerSelectStmt('SELECT rowid, l.oid FROM logs l WHERE _rowid_ > 1');
    expect(findNode(stmt.plan, 'project').columns.map((c) => c.expr)).toEqual(
      Array(2).fill({ ...E.column(2, [], 'integer', '__rowid'), rowid: true }),
    );
    expect(stmt.columns).toEqual(Array(2).fill({ name: 'rowid', type: 'integer', nullable: false }));
  });

  test('a text primary key has no rowid', () => {
    expect(caught(() => lowerSelectStmt('SELECT rowid FROM s')).message).toBe('no such column: rowid');
  });

  test('a real column named rowid wins over the alias', () => {
    const catalog = makeCatalog().ddl('CREATE TABLE r (id INTEGER PRIMARY KEY, rowid TEXT)');
    expect(lowerSelectStmt('SELECT rowid FROM r', catalog).columns[0]).toEqual({
      name: 'rowid',
      type: 'text',
      nullable: true,
    });
  });
});

describe('* expansion', () => {
  test('* lists the top-level fields in declaration order without hidden ones', () => {
    expect(lowerSelectStmt('SELECT * FROM logs').columns.map((c) => c.name)).toEqual(['msg', 'level']);
    expect(lowerSelectStmt('SELECT * FROM users').columns.map((c) => c.name)).toEqual([
      'id',
      'email',
      'profile.timezone',
      'address',
      'status',
      'tags',
      'born',
    ]);
  });

  test('t.* and alias.* expand the same way; another qualifier is an error', () => {
    const all = lowerSelectStmt('SELECT * FROM books').columns;
    expect(lowerSelectStmt('SELECT books.* FROM books').columns).toEqual(all);
    expect(lowerSelectStmt('SELECT b.*, id FROM books b').columns).toEqual([...all, all[0]]);
    expect(caught(() => lowerSelectStmt('SELECT x.* FROM books'))).toMatchObject({
      code: 'QUERY',
      message: 'no such table: x',
    });
  });
});

describe('result column names (SQLITE-SEMANTICS §11)', () => {
  test.each([
    ['SELECT year+1 FROM books', 'year+1'],
    ['SELECT year + 1 FROM books', 'year + 1'],
    ['SELECT year /* c */ + 1 FROM books', 'year /* c */ + 1'],
    ['SELECT year AS x FROM books', 'x'],
    ['SELECT year x FROM books', 'x'],
    ['SELECT year AS "Mixed Case" FROM books', 'Mixed Case'],
    ["SELECT year AS 'str alias' FROM books", 'str alias'],
    ['SELECT COUNT(*) FROM books', 'COUNT(*)'],
    ['SELECT count(*) FROM books', 'count(*)'],
    ['SELECT books.year FROM books', 'year'],
    ['SELECT BOOKS.YEAR FROM books', 'year'],
    ['SELECT (year) FROM books', 'year'],
    ['SELECT ((year)) AS y2 FROM books', 'y2'],
    ['SELECT -  1 FROM books', '-  1'],
    ["SELECT 'it''s' FROM books", "'it''s'"],
    ["SELECT x'0A' FROM books", "x'0A'"],
    ['SELECT "profile.timezone" FROM users', 'profile.timezone'],
    ['SELECT profile.timezone FROM users', 'profile.timezone'],
    ['SELECT address.city FROM users', 'address.city'],
  ])('%s → %j', (sql, name) => {
    expect(lowerSelectStmt(sql).columns[0].name).toBe(name);
  });

  test('a column is named as declared, not as written', () => {
    const catalog = makeCatalog().ddl('CREATE TABLE q ("B" INTEGER PRIMARY KEY, "p.q" TEXT)');
    expect(lowerSelectStmt('SELECT b, "P.Q", p.q FROM q', catalog).columns.map((c) => c.name)).toEqual([
      'B',
      'p.q',
      'p.q',
    ]);
  });

  test('duplicate names are kept', () => {
    expect(lowerSelectStmt('SELECT 1 AS a, 2 AS a FROM books').columns.map((c) => c.name)).toEqual([
      'a',
      'a',
    ]);
  });
});

describe('output types and nullability', () => {
  test('column types come from the schema, nullability from the accessor', () => {
    expect(lowerSelectStmt('SELECT * FROM books').columns).toEqual([
      { name: 'id', type: 'integer', nullable: false },
      { name: 'title', type: 'text', nullable: false },
      { name: 'year', type: 'integer', nullable: true },
      { name: 'price', type: 'real', nullable: true },
      { name: 'cover', type: 'blob', nullable: true },
      { name: 'available', type: 'boolean', nullable: true },
    ]);
    expect(lowerSelectStmt('SELECT status, tags, born, address, address.zip FROM users').columns).toEqual([
      { name: 'status', type: 'text', nullable: false },
      { name: 'tags', type: 'composite', nullable: false },
      { name: 'born', type: 'timestamp', nullable: true },
      { name: 'address', type: 'composite', nullable: false },
      { name: 'address.zip', type: 'text', nullable: true },
    ]);
  });

  test('expressions are typed by typeOf and always nullable', () => {
    expect(
      lowerSelectStmt("SELECT id + 1, price * 2, title || 'x', id = 1, -price, 1.5, 'a', NULL FROM books")
        .columns,
    ).toEqual([
      { name: 'id + 1', type: 'integer', nullable: true },
      { name: 'price * 2', type: 'real', nullable: true },
      { name: "title || 'x'", type: 'text', nullable: true },
      { name: 'id = 1', type: 'integer', nullable: true },
      { name: '-price', type: 'real', nullable: true },
      { name: '1.5', type: 'real', nullable: true },
      { name: "'a'", type: 'text', nullable: true },
      { name: 'NULL', type: 'null', nullable: true },
    ]);
  });
});
