/**
 * Statement forms SQLite's own SQL test scripts use that the subset once refused: `REINDEX`,
 * `x IN table`, and a column assigned twice in one `SET` (the rightmost wins). Every outcome —
 * rows, changes, or the error's class — is compared with better-sqlite3's.
 */
import { Oracle } from '../helpers/sqlite-oracle';

const SETUP = [
  'CREATE TABLE t1 (x INTEGER, y TEXT)',
  "INSERT INTO t1 VALUES (1, 'true'), (0, 'false'), (NULL, 'NULL')",
  'CREATE INDEX t1i1 ON t1 (x)',
  'CREATE TABLE t2 (a INTEGER PRIMARY KEY)',
  'INSERT INTO t2 VALUES (1), (3)',
  'CREATE TABLE t3 (b TEXT)',
  "INSERT INTO t3 VALUES ('a'), (NULL)",
  'CREATE VIEW v2 AS SELECT a FROM t2',
  'CREATE TABLE u (k INTEGER PRIMARY KEY, n INTEGER, m INTEGER)',
  'INSERT INTO u VALUES (1, 10, 100)',
];

function oracle(): Oracle {
  const o = new Oracle();
  o.exec(...SETUP);
  return o;
}

describe('REINDEX', () => {
  test.each([
    'REINDEX',
    'REINDEX t1',
    'REINDEX t1i1',
    'REINDEX T1I1',
    'REINDEX main.t1',
    'REINDEX main.t1i1',
    'REINDEX nocase',
    'REINDEX BINARY',
    'REINDEX rtrim',
    'REINDEX nosuch',
    'REINDEX main.nocase',
    'REINDEX temp.t1',
    'REINDEX v2',
  ])('%s', (sql) => {
    const o = oracle();
    // Success or the same error class (rowCount of a DDL statement is -1, SQLite's changes() 0).
    const got = o.query(sql);
    expect(got.mv).toEqual(got.sqlite);
    o.close();
  });

  test('inside a transaction, and rolled back with it', () => {
    const o = oracle();
    o.conn.execute('BEGIN');
    o.conn.execute('DELETE FROM t1 WHERE x = 1');
    o.conn.execute('REINDEX t1');
    expect(o.conn.execute('SELECT count(*) FROM t1 WHERE x = 1').fetchAll()).toEqual([[0n]]);
    o.conn.execute('ROLLBACK');
    expect(o.conn.execute('SELECT count(*) FROM t1 WHERE x = 1').fetchAll()).toEqual([[1n]]);
    o.close();
  });
});

describe('x IN table', () => {
  test.each([
    'SELECT 1 IN t2',
    'SELECT 2 IN t2',
    'SELECT 2 NOT IN t2',
    "SELECT 'a' IN t3",
    "SELECT 'b' IN t3",
    "SELECT 'b' NOT IN t3",
    'SELECT NULL IN t2',
    'SELECT NULL IN t3',
    'SELECT x FROM t1 WHERE x IN t2',
    'SELECT x FROM t1 WHERE x NOT IN main.t2',
    'SELECT a IN t2, a + 1 IN t2 FROM t2',
    'SELECT 3 IN v2',
    'WITH c(z) AS (VALUES (5)) SELECT 5 IN c, 6 IN c',
    // Errors: too many columns, no such table.
    'SELECT 1 IN t1',
    'SELECT 1 IN nosuch',
  ])('%s', (sql) => {
    const o = oracle();
    const got = o.query(sql);
    expect(got.mv).toEqual(got.sqlite);
    o.close();
  });

  test('DELETE … WHERE x IN table', () => {
    const o = oracle();
    const got = o.both('DELETE FROM t1 WHERE x IN t2', ['t1', 't2']);
    expect(got.mv).toEqual(got.sqlite);
    o.close();
  });
});

describe('a column assigned twice keeps the rightmost assignment', () => {
  test.each([
    'UPDATE u SET n = 1, n = 2',
    'UPDATE u SET n = m, m = n, n = n + 1',
    'UPDATE u SET n = 5, m = 6, n = 7 RETURNING n, m',
    'INSERT INTO u VALUES (1, 0, 0) ON CONFLICT (k) DO UPDATE SET n = 1, n = excluded.n + 2',
    'UPDATE u SET n = 1, nope = 2',
  ])('%s', (sql) => {
    const o = oracle();
    const got = o.both(sql, ['u']);
    expect(got.mv).toEqual(got.sqlite);
    o.close();
  });
});

// SQLite names the one database of a connection `main`: any table, view or index name may carry
// it, in DDL and DML as in FROM, and a column may be written `main.t.col`. Each step's outcome and
// the schema afterwards equal SQLite's.
describe('main. before a table, view or index name', () => {
  const steps = [
    'CREATE TABLE main.m1 (x INTEGER, y TEXT)',
    "INSERT INTO main.m1 VALUES (1, 'a'), (2, 'b')",
    "INSERT INTO MAIN.m1 (x, y) VALUES (3, 'c')",
    "UPDATE main.m1 SET y = 'z' WHERE x = 2",
    'DELETE FROM main.m1 WHERE x = 3',
    'SELECT main.m1.x, main.m1.y FROM main.m1 ORDER BY 1',
    'SELECT main.m1.* FROM m1 WHERE main.m1.x > 1',
    'SELECT (SELECT count(*) FROM m1 AS b WHERE b.x <= main.m1.x) FROM m1 ORDER BY 1',
    'SELECT main.m1.nope FROM m1',
    'CREATE INDEX main.m1x ON m1 (x)',
    'CREATE UNIQUE INDEX IF NOT EXISTS main.m1y ON m1 (y)',
    'CREATE VIEW main.mv AS SELECT y FROM m1',
    'SELECT * FROM main.mv ORDER BY 1',
    'DROP VIEW main.mv',
    'DROP INDEX main.m1x',
    'DROP INDEX IF EXISTS main.m1x',
    'ALTER TABLE main.m1 ADD COLUMN z INTEGER',
    'ALTER TABLE main.m1 RENAME TO m2',
    'SELECT * FROM m2 ORDER BY 1',
    'DROP TABLE main.m2',
    'DROP TABLE IF EXISTS main.m2',
  ];
  test('each step and the schema after it equal SQLite', () => {
    const o = oracle();
    for (const sql of steps) {
      const got = o.query(sql);
      expect({ sql, outcome: got.mv }).toEqual({ sql, outcome: got.sqlite });
      const schema = o.query("SELECT type, name FROM sqlite_master WHERE name LIKE 'm%' ORDER BY name");
      expect({ sql, schema: schema.mv }).toEqual({ sql, schema: schema.sqlite });
    }
    o.close();
  });

  // temp.t9 is a table of the connection's temporary schema (test/cursor/temp-tables.test.ts); an
  // index there on a main table would join the two schemas.
  test.each(['DROP TABLE aux.t1', 'CREATE INDEX temp.i ON t1 (x)', 'SELECT * FROM aux.t1'])(
    'another schema is NotSupportedError: %s',
    (sql) => {
      const o = oracle();
      expect(o.runMv(sql)).toEqual({ ok: false, error: 'NotSupportedError' });
      o.close();
    },
  );
});

// SQLite's grammar reads BETWEEN's lower bound as any expression short of AND/OR, and its upper
// bound up to BETWEEN's own precedence (SQLite's random expression scripts write such bounds).
describe('BETWEEN bounds parse as in SQLite', () => {
  test.each([
    'SELECT x BETWEEN 1 IS x AND 3 FROM t1',
    'SELECT x BETWEEN x = 1 AND 3 FROM t1',
    'SELECT x NOT BETWEEN x IS NOT NULL AND 2 FROM t1',
    'SELECT x BETWEEN NOT x AND 3 FROM t1',
    'SELECT x BETWEEN x IN (0, 1) AND 5 FROM t1',
    'SELECT x BETWEEN x BETWEEN 0 AND 1 AND 3 FROM t1',
    'SELECT x BETWEEN 0 AND 3 IS NULL FROM t1',
    'SELECT x BETWEEN 0 AND 3 = 1 FROM t1',
    'SELECT x FROM t1 WHERE x BETWEEN - 1 IS NOT x AND 2 AND y IS NOT NULL',
    'SELECT x BETWEEN 1 OR 2 AND 3 FROM t1',
  ])('%s', (sql) => {
    const o = oracle();
    const got = o.query(sql);
    expect(got.mv).toEqual(got.sqlite);
    o.close();
  });
});

// Index trees are BINARY: `COLLATE BINARY` on an index column is accepted and changes no answer;
// another collation there stays a NotSupportedError.
describe('COLLATE BINARY in an index column list', () => {
  test('queries through the index equal SQLite', () => {
    const o = oracle();
    o.exec(
      'CREATE TABLE c1 (x INTEGER, s TEXT COLLATE NOCASE, t TEXT)',
      "INSERT INTO c1 VALUES (1, 'a', 'a'), (2, 'B', 'B'), (3, 'A', 'A'), (4, 'b', 'b')",
      'CREATE INDEX c1x ON c1 (x COLLATE BINARY DESC)',
      'CREATE INDEX c1s ON c1 (s COLLATE binary)',
      'CREATE INDEX c1t ON c1 (t COLLATE BINARY, x)',
    );
    for (const sql of [
      "SELECT x FROM c1 WHERE s = 'a' ORDER BY x",
      "SELECT x FROM c1 WHERE t = 'a' ORDER BY x",
      "SELECT x FROM c1 WHERE t > 'a' ORDER BY x",
      "SELECT x FROM c1 WHERE s > 'a' ORDER BY x",
      'SELECT x FROM c1 WHERE x > 1 ORDER BY x DESC',
      "SELECT name FROM pragma_index_list('c1') ORDER BY name",
    ]) {
      const got = o.query(sql);
      expect({ sql, outcome: got.mv }).toEqual({ sql, outcome: got.sqlite });
    }
    expect(o.runMv('CREATE INDEX c1n ON c1 (t COLLATE NOCASE)')).toEqual({
      ok: false,
      error: 'NotSupportedError',
    });
    o.close();
  });
});

// Standard SQL, Oracle and MySQL spellings of types whose SQLite affinity matches a ModelVault type
// (legacy schemas): accepted, read back as SQLite reads them, `(n)` of the character types a
// maximum length. (Values of another type are refused as in every strict column: docs/sql.md.)
describe('type name spellings', () => {
  const TYPES: [string, string][] = [
    ['CHARACTER VARYING(5)', "'12'"],
    ['NATIONAL CHARACTER(4)', "'ab'"],
    ['NATIONAL CHARACTER VARYING(9)', "'1.5'"],
    ['NATIONAL VARCHAR(3)', "'abc'"],
    ['NCHAR VARYING(3)', "'x'"],
    ['VARCHAR2(8)', "'7'"],
    ['NVARCHAR2(8)', "'y'"],
    ['TINYTEXT', "'t'"],
    ['MEDIUMTEXT', "'m'"],
    ['LONGTEXT', "'l'"],
    ['TINYBLOB', "x'01'"],
    ['MEDIUMBLOB', "x'0203'"],
    ['LONGBLOB', 'NULL'],
    ['INT4', '12'],
    ['FLOAT4', '2.5'],
    ['FLOAT8', '3'],
  ];

  test.each(TYPES)('%s column holding %s', (type, value) => {
    const o = oracle();
    o.exec(`CREATE TABLE ty (k INTEGER PRIMARY KEY, v ${type})`, `INSERT INTO ty VALUES (1, ${value})`);
    for (const sql of [
      'SELECT v, typeof(v) FROM ty',
      "SELECT type FROM pragma_table_info('ty') WHERE name = 'v'",
    ]) {
      const got = o.query(sql);
      expect({ sql, outcome: got.mv }).toEqual({ sql, outcome: got.sqlite });
    }
    o.close();
  });

  test('(n) of a character type is a maximum length', () => {
    const o = oracle();
    o.exec('CREATE TABLE ty (k INTEGER PRIMARY KEY, a CHARACTER VARYING(3), b VARCHAR2(2))');
    expect(o.runMv("INSERT INTO ty VALUES (1, 'abc', 'de')")).toMatchObject({ ok: true });
    expect(o.runMv("INSERT INTO ty VALUES (2, 'abcd', 'de')")).toEqual({
      ok: false,
      error: 'IntegrityError',
    });
    expect(o.runMv("INSERT INTO ty VALUES (3, 'a', 'def')")).toEqual({ ok: false, error: 'IntegrityError' });
    o.close();
  });
});

// SQLite keeps a view's SQL from its name on ("CREATE VIEW v ..."), without TEMP, IF NOT EXISTS or
// a schema prefix, and lists TEMP views in sqlite_temp_master beside the temporary tables.
describe('view SQL in the schema tables', () => {
  test('main and TEMP views, as SQLite shows them', () => {
    const o = new Oracle();
    o.exec(
      'CREATE TABLE m1 (a INTEGER)',
      'CREATE VIEW IF NOT EXISTS v9 AS SELECT a FROM m1',
      'create view main.v8 as select 1',
      'CREATE VIEW "v 7" (x) AS SELECT a FROM m1',
      'create temporary view v2 as select a from m1',
      'create view temp.v3 as select a from m1',
      'CREATE  TEMP  VIEW  IF NOT EXISTS v4(x) AS SELECT a FROM m1',
    );
    for (const sql of [
      "SELECT name, sql FROM sqlite_master WHERE type = 'view' ORDER BY name",
      'SELECT type, name, tbl_name, rootpage, sql FROM sqlite_temp_master ORDER BY name',
      'SELECT m.name, p.name FROM sqlite_temp_master m JOIN pragma_table_info(m.name) p ORDER BY 1, p.cid',
    ]) {
      const got = o.query(sql);
      expect({ sql, outcome: got.mv }).toEqual({ sql, outcome: got.sqlite });
    }
    o.exec('CREATE TEMP TABLE tt (q TEXT)', 'DROP VIEW v2');
    const got = o.query('SELECT type, name FROM sqlite_temp_master ORDER BY name');
    expect(got.mv).toEqual(got.sqlite);
    o.close();
  });
});
