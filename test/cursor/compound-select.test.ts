/**
 * Compound SELECTs (UNION, UNION ALL, INTERSECT, EXCEPT), each statement compared with
 * better-sqlite3: result columns, rows in order, or the error class. Covers NULLs, duplicates,
 * INTEGER/REAL/TEXT mixes, collations, ORDER BY by number, name and expression, LIMIT/OFFSET,
 * VALUES arms, chains, INSERT … SELECT … UNION and SQLite's errors.
 */
import { Oracle } from '../helpers/sqlite-oracle';
import type { Outcome } from '../helpers/sqlite-oracle';

const TABLES = ['t', 'u', 'dst'];
let o: Oracle;

beforeEach(() => {
  o = new Oracle();
  o.exec(
    'CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT COLLATE NOCASE, b INTEGER, c REAL)',
    'CREATE TABLE u (id INTEGER PRIMARY KEY, x TEXT, y REAL, z INTEGER)',
    'CREATE TABLE dst (id INTEGER PRIMARY KEY, v REAL)',
    "INSERT INTO t (a, b, c) VALUES ('apple', 1, 1.0), ('Banana', 2, 2.5), ('cherry', 2, NULL), (NULL, NULL, 3.0), ('apple', 1, 1.0), ('date', 3, 3.0)",
    "INSERT INTO u (x, y, z) VALUES ('Apple', 1.0, 1), ('kiwi', 2.0, 2), (NULL, NULL, NULL), ('kiwi', 2.0, 2), ('zebra', 9.5, 10), ('10', 10.0, 10)",
  );
});
afterEach(() => o.close());

/** Compare both engines' outcomes; whether the statement succeeded. */
function compare(sql: string): boolean {
  const { mv, sqlite } = o.query(sql);
  expect(mv).toEqual(sqlite);
  return mv.ok;
}

describe('compound SELECT results equal SQLite', () => {
  test.each([
    // The four operators, NULLs and duplicates.
    'SELECT b FROM t UNION SELECT z FROM u',
    'SELECT b FROM t UNION ALL SELECT z FROM u',
    'SELECT b FROM t INTERSECT SELECT z FROM u',
    'SELECT b FROM t EXCEPT SELECT z FROM u',
    'SELECT z FROM u EXCEPT SELECT b FROM t',
    'SELECT NULL UNION SELECT NULL',
    'SELECT NULL UNION ALL SELECT NULL',
    'SELECT NULL INTERSECT SELECT NULL',
    'SELECT NULL EXCEPT SELECT NULL',
    'SELECT b, c FROM t UNION SELECT z, y FROM u',
    'SELECT b, c FROM t INTERSECT SELECT z, y FROM u',
    'SELECT b, c FROM t EXCEPT SELECT z, y FROM u',
    // INTEGER, REAL and TEXT: 2 equals 2.0, '10' is not 10; mixed types sort NULL < numbers < text < blob.
    'SELECT 2 UNION SELECT 2.0',
    'SELECT 2.0 UNION SELECT 2',
    'SELECT 1 INTERSECT SELECT 1.0',
    "SELECT 10 UNION SELECT '10'",
    'SELECT z FROM u UNION SELECT x FROM u',
    "SELECT x'00' UNION SELECT 'a' UNION SELECT 1 UNION SELECT NULL UNION SELECT 1.5",
    'SELECT c FROM t UNION SELECT y FROM u',
    'SELECT c FROM t INTERSECT SELECT y FROM u',
    // Chains apply left to right with equal precedence.
    'SELECT 3 UNION SELECT 1 UNION ALL SELECT 0',
    'SELECT 1 UNION ALL SELECT 1 UNION SELECT 2',
    'SELECT b FROM t UNION SELECT z FROM u EXCEPT SELECT 2',
    'SELECT b FROM t EXCEPT SELECT 2 UNION SELECT 2',
    'SELECT b FROM t INTERSECT SELECT z FROM u UNION ALL SELECT 7 INTERSECT SELECT 7',
    // Arms: WHERE, GROUP BY, aggregates, DISTINCT, no FROM, VALUES.
    'SELECT b FROM t WHERE b > 1 UNION SELECT z FROM u WHERE z < 5',
    'SELECT b, count(*) FROM t GROUP BY b UNION ALL SELECT z, count(*) FROM u GROUP BY z',
    'SELECT max(b) FROM t UNION SELECT min(z) FROM u',
    'SELECT DISTINCT a FROM t UNION ALL SELECT DISTINCT x FROM u',
    'SELECT 1, 2 UNION SELECT 3, 4',
    'VALUES (1, 2) UNION SELECT 3, 4',
    'VALUES (2), (1) UNION SELECT 0 ORDER BY 1 DESC',
    'SELECT 1 UNION VALUES (2), (3), (1)',
    'VALUES (1), (1) UNION ALL VALUES (2)',
    'VALUES (1), (2) EXCEPT VALUES (2)',
    // Column names come from the first arm.
    'SELECT b AS first, c FROM t UNION SELECT z AS second, y FROM u',
    'SELECT z + 1 FROM u UNION SELECT b FROM t',
    // ORDER BY: number, name, alias of any arm, expression equal to a result column, COLLATE.
    'SELECT b FROM t UNION SELECT z FROM u ORDER BY 1',
    'SELECT b FROM t UNION SELECT z FROM u ORDER BY 1 DESC',
    'SELECT b FROM t UNION SELECT z FROM u ORDER BY b',
    'SELECT b FROM t UNION SELECT z FROM u ORDER BY z DESC',
    'SELECT b AS k FROM t UNION SELECT z FROM u ORDER BY k',
    'SELECT b AS K FROM t UNION SELECT z FROM u ORDER BY k DESC',
    'SELECT b FROM t UNION SELECT z AS w FROM u ORDER BY w',
    'SELECT b, c FROM t UNION ALL SELECT z, y FROM u ORDER BY 2 DESC, 1',
    'SELECT b, c FROM t UNION SELECT z, y FROM u ORDER BY c, b DESC',
    'SELECT b + 1 FROM t UNION SELECT z FROM u ORDER BY b + 1',
    'SELECT b FROM t UNION SELECT z FROM u ORDER BY t.b',
    'SELECT x FROM u UNION SELECT a FROM t ORDER BY 1',
    'SELECT x FROM u UNION ALL SELECT a FROM t ORDER BY 1 COLLATE NOCASE, 1',
    'SELECT x FROM u UNION SELECT a FROM t ORDER BY x',
    'SELECT b, count(*) FROM t GROUP BY b UNION SELECT 5, 0 ORDER BY count(*)',
    'SELECT b, COUNT(*) FROM t GROUP BY b UNION SELECT 5, 0 ORDER BY count(*) DESC, 1',
    "SELECT b, max(a) || 'x' FROM t GROUP BY b UNION SELECT 5, 'y' ORDER BY MAX(a) || 'x'",
    "SELECT * FROM t UNION SELECT 1, 'q', 9, 0.5 ORDER BY b DESC, 1",
    "SELECT *, b AS k FROM t UNION SELECT 1, 'q', 9, 0.5, 1 ORDER BY k, 1",
    "SELECT b, a FROM t UNION SELECT 1, 'x' ORDER BY a, b",
    // LIMIT and OFFSET apply to the whole compound.
    'SELECT b FROM t UNION ALL SELECT z FROM u ORDER BY 1 LIMIT 3',
    'SELECT b FROM t UNION ALL SELECT z FROM u ORDER BY 1 LIMIT 3 OFFSET 2',
    'SELECT b FROM t UNION SELECT z FROM u LIMIT 2',
    'SELECT b FROM t UNION SELECT z FROM u LIMIT 2, 3',
    'SELECT b FROM t UNION ALL SELECT z FROM u LIMIT 4 OFFSET 3',
    'SELECT b FROM t UNION SELECT z FROM u ORDER BY 1 DESC LIMIT -1 OFFSET 1',
    'SELECT b FROM t UNION SELECT z FROM u LIMIT 0',
  ])('%s', (sql) => expect(compare(sql)).toBe(true));

  // Errors: the same error class as SQLite's.
  test.each([
    'SELECT 1 UNION SELECT 2, 3',
    'SELECT 1 UNION ALL SELECT 2, 3',
    'SELECT 1 INTERSECT SELECT 2, 3',
    'SELECT 1 EXCEPT SELECT 2, 3',
    'SELECT 1 UNION SELECT 2 UNION SELECT 3, 4',
    'SELECT b FROM t UNION SELECT z FROM u ORDER BY 2',
    'SELECT b FROM t UNION SELECT z FROM u ORDER BY 0',
    'SELECT b FROM t UNION SELECT z FROM u ORDER BY b + 1',
    'SELECT b FROM t UNION SELECT z FROM u ORDER BY c',
    'SELECT b AS k FROM t UNION SELECT z FROM u ORDER BY k + 0',
    'SELECT b FROM t UNION SELECT z FROM u ORDER BY 1, nope',
    'SELECT b, count(*) FROM t GROUP BY b UNION SELECT 5, 0 ORDER BY sum(b)',
    "SELECT b, max(a) FROM t GROUP BY b UNION SELECT 5, 'x' ORDER BY max(a) || 'X'",
    'SELECT b FROM t UNION SELECT z FROM u ORDER BY 1 COLLATE nope',
    'SELECT b FROM t ORDER BY 1 UNION SELECT z FROM u',
    'SELECT b FROM t LIMIT 1 UNION SELECT z FROM u',
    'SELECT b FROM t UNION SELECT nope FROM u',
    'SELECT b FROM t UNION SELECT z FROM nowhere',
    'SELECT b FROM t UNION',
    'SELECT b FROM t UNION ALL ALL SELECT 1',
    'SELECT 1 UNION VALUES (1, 2)',
    // SQLite's grammar: nothing may follow a VALUES arm that ends the compound.
    'SELECT 1 UNION VALUES (2) ORDER BY 1',
    'SELECT 1 UNION VALUES (2), (3) LIMIT 1',
  ])('%s', (sql) => expect(compare(sql)).toBe(false));

  test('parameters bind in every arm and in LIMIT', () => {
    const sql = 'SELECT b FROM t WHERE b > ? UNION SELECT z FROM u WHERE z < ? ORDER BY 1 LIMIT ?';
    const params = [1, 5, 2];
    const strip = (r: Outcome): Outcome => (r.ok ? { ...r, changes: -1 } : r);
    expect(strip(o.runMv(sql, params))).toEqual(strip(o.runSqlite(sql, params)));
    expect(o.runMv('SELECT 1 UNION SELECT 2 ORDER BY ?', [1])).toEqual(
      o.runSqlite('SELECT 1 UNION SELECT 2 ORDER BY ?', [1]),
    );
  });

  test('text deduplicates and sorts under the first arm column collation that has one', () => {
    // Which of two values equal under NOCASE SQLite keeps depends on its temporary index; the
    // rows are compared case-folded, their number and order exactly.
    const fold = (r: Outcome): unknown =>
      r.ok ? r.rows?.map((row) => row.map((v) => (typeof v === 'string' ? v.toLowerCase() : v))) : r.error;
    for (const sql of [
      'SELECT a FROM t UNION SELECT x FROM u',
      'SELECT x FROM u UNION SELECT a FROM t',
      'SELECT a FROM t INTERSECT SELECT x FROM u',
      'SELECT x FROM u INTERSECT SELECT a FROM t',
      'SELECT a FROM t EXCEPT SELECT x FROM u',
      'SELECT x FROM u EXCEPT SELECT a FROM t',
      'SELECT 1, x FROM u UNION SELECT 1, a FROM t ORDER BY 2',
      "SELECT 'APPLE' UNION SELECT a FROM t",
      'SELECT x COLLATE NOCASE FROM u UNION SELECT a FROM t',
      'SELECT x COLLATE BINARY FROM u UNION SELECT a FROM t',
    ]) {
      const mv = o.runMv(sql);
      const lite = o.runSqlite(sql);
      expect([sql, fold(mv)]).toEqual([sql, fold(lite)]);
      expect(mv.ok && mv.names).toEqual(lite.ok && lite.names);
    }
  });
});

describe('INSERT … SELECT … UNION', () => {
  test.each([
    'INSERT INTO dst (v) SELECT b FROM t UNION SELECT z FROM u',
    'INSERT INTO dst (v) SELECT b FROM t UNION ALL SELECT z FROM u ORDER BY 1 DESC LIMIT 3',
    'INSERT INTO dst (v) SELECT b FROM t EXCEPT SELECT 2',
    'INSERT INTO dst (v) SELECT b, c FROM t UNION SELECT z, y FROM u',
  ])('%s', (sql) => {
    const r = o.both(sql, TABLES);
    expect(r.mv).toEqual(r.sqlite);
  });
});

describe('CREATE TABLE … AS SELECT … UNION', () => {
  test('creates the table with the compound rows', () => {
    o.exec("CREATE TABLE c AS SELECT a, b FROM t UNION ALL SELECT 'z', 3 ORDER BY 2 DESC, 1 LIMIT 4");
    compare('SELECT * FROM c');
    expect(compare('SELECT count(*) FROM c')).toBe(true);
  });
});

describe('EXPLAIN of a compound SELECT', () => {
  test('shows the compound node over its arms, each an ordinary plan', () => {
    const cur = o.conn
      .cursor()
      .execute(
        'EXPLAIN SELECT b FROM t WHERE id = 1 UNION ALL SELECT z FROM u EXCEPT SELECT 2 ORDER BY 1 LIMIT 2',
      );
    const lines = (cur.fetchAll() as unknown[][]).map((r) => String(r[0]));
    expect(lines).toEqual([
      'TopN b ASC limit=2',
      '  Except',
      '    Union all',
      '      Project b',
      '        PrimaryKeyLookup t keys=[1]',
      '      Project z',
      '        CollectionScan u',
      '    Project 2',
      '      Values (1 row)',
    ]);
  });

  test('INTERSECT and UNION are named as such', () => {
    const text = (sql: string): string[] =>
      (o.conn.cursor().execute(sql).fetchAll() as unknown[][]).map((r) => String(r[0]).trim());
    expect(text('EXPLAIN SELECT 1 INTERSECT SELECT 2')[0]).toBe('Intersect');
    expect(text('EXPLAIN SELECT 1 UNION SELECT 2')[0]).toBe('Union');
  });
});
