/**
 * CREATE TABLE … AS SELECT: column names, rows and errors against better-sqlite3; the chosen
 * ModelVault column types (SQLite declares affinities, ModelVault needs one type per column);
 * atomicity (a failing row leaves no table) and the copy surviving reopen.
 */
import { connect, DataError } from '../../src/index';
import type { Connection } from '../../src/index';
import { Oracle } from '../helpers/sqlite-oracle';
import { tmpDir } from '../helpers/tmp';

const tmp = tmpDir();
afterAll(() => tmp.cleanup());

function rows(con: Connection, sql: string): unknown[][] {
  return con.execute(sql).fetchAll() as unknown[][];
}

const SETUP = [
  'CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, b TEXT, c REAL, d BLOB, f BOOLEAN)',
  "INSERT INTO t VALUES (1, 10, 'x', 1.5, x'00ff', 1), (2, NULL, 'y', NULL, NULL, 0), (3, 30, NULL, -2.25, x'', NULL)",
];

describe('against better-sqlite3', () => {
  let o: Oracle;
  beforeEach(() => {
    o = new Oracle();
    o.exec(...SETUP, 'CREATE INDEX t_a ON t (a)');
  });
  afterEach(() => o.close());

  const cases: [string, string][] = [
    ['CREATE TABLE c AS SELECT * FROM t', 'SELECT * FROM c'],
    [
      "CREATE TABLE c AS SELECT a, a + 1, b || '!' AS s, c * 2, upper(b), d FROM t WHERE id > 1",
      'SELECT * FROM c',
    ],
    ['CREATE TABLE c AS SELECT a AS x, b AS x, id AS X FROM t', 'SELECT * FROM c ORDER BY 1'],
    ['CREATE TABLE c AS SELECT count(*) AS n, sum(a), max(b), avg(c) FROM t', 'SELECT * FROM c'],
    ['CREATE TABLE c AS SELECT b, count(*) FROM t GROUP BY b ORDER BY b', 'SELECT * FROM c'],
    ['CREATE TABLE c AS SELECT a FROM t WHERE 0', 'SELECT * FROM c'],
    ["CREATE TABLE c AS SELECT 1 AS one, 'two' AS two, NULL AS nil", 'SELECT * FROM c'],
    ['CREATE TABLE c AS SELECT id, a FROM t ORDER BY a DESC LIMIT 2', 'SELECT rowid, * FROM c'],
    ['CREATE TABLE c AS SELECT a FROM t', 'INSERT INTO c VALUES (7) RETURNING *'],
    ['CREATE TABLE c AS SELECT * FROM nope', 'SELECT 1'],
    ['CREATE TABLE c AS SELECT zz FROM t', 'SELECT 1'],
    ['CREATE TABLE t AS SELECT 1 AS x', 'SELECT count(*) FROM t'],
    ['CREATE TABLE T AS SELECT 1 AS x', 'SELECT count(*) FROM t'],
    ['CREATE TABLE IF NOT EXISTS t AS SELECT 1 AS x', 'SELECT count(*) FROM t'],
    // Without ORDER BY the copy's row order is each engine's scan order (SQLite's covering index here).
    ['CREATE TABLE IF NOT EXISTS c AS SELECT a FROM t', 'SELECT * FROM c ORDER BY 1'],
    ['CREATE TABLE IF NOT EXISTS t AS SELECT * FROM nope', 'SELECT count(*) FROM t'],
    ['CREATE TABLE IF NOT EXISTS T AS SELECT zz FROM t', 'SELECT count(*) FROM t'],
    ['CREATE TABLE t_a AS SELECT 1 AS x', 'SELECT 1'],
    ['CREATE TABLE c AS SELECT a FROM t WHERE a > ?', 'SELECT * FROM c'],
  ];
  test.each(cases)('%s', (create, query) => {
    const params = create.includes('?') ? [15] : [];
    const sqlite = o.runSqlite(create, params);
    const mv = o.runMv(create, params);
    expect(mv.ok ? 'ok' : mv.error).toEqual(sqlite.ok ? 'ok' : sqlite.error);
    // A SELECT's rowCount is the rows fetched, SQLite's changes() the last write's.
    const strip = (r: ReturnType<Oracle['runMv']>): unknown => (r.ok ? { ...r, changes: 0 } : r);
    expect(strip(o.runMv(query))).toEqual(strip(o.runSqlite(query)));
  });
});

describe('types', () => {
  test('a column takes the static type of its expression, else the type of its values', () => {
    const con = connect(':memory:');
    for (const s of SETUP) con.execute(s);
    con.execute(
      "CREATE TABLE c AS SELECT a, b, c, d, f, a * 1.5 AS r, NULL AS z, coalesce(a, 0) AS k, iif(a > 15, 'big', 'small') AS i FROM t",
    );
    const schema = con.database.storage.collection('c')?.meta.schema;
    const kinds = schema?.fields.map((f) => [
      f.path.join('.'),
      f.type.kind === 'optional' ? f.type.of.kind : f.type.kind,
    ]);
    expect(kinds).toEqual([
      ['a', 'int64'],
      ['b', 'string'],
      ['c', 'float64'],
      ['d', 'bytes'],
      ['f', 'bool'],
      ['r', 'float64'],
      ['z', 'string'],
      ['k', 'int64'],
      ['i', 'string'],
      ['__rowid', 'int64'],
    ]);
    expect(rows(con, 'SELECT * FROM c ORDER BY rowid')).toEqual([
      [10, 'x', 1.5, Buffer.from([0, 255]), true, 15, null, 10, 'small'],
      [null, 'y', null, null, false, null, null, 0, 'small'],
      [30, null, -2.25, Buffer.alloc(0), null, 45, null, 30, 'big'],
    ]);
    con.close();
  });

  test('values of two kinds in an untyped column: DataError, and no table (atomic)', () => {
    const con = connect(':memory:');
    for (const s of SETUP) con.execute(s);
    con.commit();
    expect(() => con.execute("CREATE TABLE c AS SELECT iif(id = 1, 'text', 5) AS m FROM t")).toThrow(
      DataError,
    );
    expect(() => con.execute('SELECT * FROM c')).toThrow('no such table: c');
    // In an open transaction the failed statement is undone alone.
    con.execute('INSERT INTO t (id) VALUES (9)');
    expect(() => con.execute("CREATE TABLE c AS SELECT iif(id = 1, x'00', 'a') AS m FROM t")).toThrow(
      DataError,
    );
    expect(rows(con, 'SELECT count(*) FROM t')).toEqual([[4]]);
    expect(con.database.storage.collection('c')).toBeUndefined();
    con.close();
  });

  test('a name that cannot be a column needs an alias', () => {
    const con = connect(':memory:');
    expect(() => con.execute('CREATE TABLE c AS SELECT 1.5')).toThrow('give it an alias');
    con.execute('CREATE TABLE c AS SELECT 1.5 AS x');
    expect(rows(con, 'SELECT x FROM c')).toEqual([[1.5]]);
    con.close();
  });
});

test('the copied table survives reopen and takes new rows', () => {
  const file = tmp.file();
  const con = connect(file);
  for (const s of SETUP) con.execute(s);
  con.execute('CREATE TABLE c AS SELECT id, b FROM t WHERE id < 3');
  con.commit();
  con.close();
  const again = connect(file);
  again.execute("INSERT INTO c VALUES (5, 'z')");
  expect(rows(again, 'SELECT rowid, id, b FROM c ORDER BY rowid')).toEqual([
    [1, 1, 'x'],
    [2, 2, 'y'],
    [3, 5, 'z'],
  ]);
  again.close();
});
