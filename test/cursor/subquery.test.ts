/**
 * Uncorrelated subqueries (IN / NOT IN (SELECT …), [NOT] EXISTS, scalar subqueries), each
 * statement compared with better-sqlite3: result columns and rows, or the error class; writes
 * compare the tables afterwards. Correlated subqueries: test/cursor/correlated.test.ts.
 */
import { Oracle } from '../helpers/sqlite-oracle';
import { NotSupportedError } from '../../src/errors';

const TABLES = ['t', 'u', 'e'];
let o: Oracle;

beforeEach(() => {
  o = new Oracle();
  o.exec(
    'CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT COLLATE NOCASE, b INTEGER, c REAL)',
    'CREATE TABLE u (id INTEGER PRIMARY KEY, x TEXT, y REAL, z INTEGER)',
    'CREATE TABLE e (id INTEGER PRIMARY KEY, v INTEGER)',
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

describe('IN / NOT IN (SELECT …) equal SQLite', () => {
  test.each([
    'SELECT id FROM t WHERE b IN (SELECT z FROM u) ORDER BY id',
    'SELECT id FROM t WHERE b NOT IN (SELECT z FROM u) ORDER BY id',
    'SELECT id FROM t WHERE b NOT IN (SELECT z FROM u WHERE z IS NOT NULL) ORDER BY id',
    'SELECT id, b IN (SELECT z FROM u), b NOT IN (SELECT z FROM u) FROM t ORDER BY id',
    // Empty set: IN false, NOT IN true, even for a NULL operand.
    'SELECT NULL IN (SELECT v FROM e), NULL NOT IN (SELECT v FROM e), 1 IN (SELECT v FROM e)',
    'SELECT id, b IN (SELECT v FROM e), b NOT IN (SELECT v FROM e) FROM t ORDER BY id',
    // A NULL in the set makes a non-match NULL; a NULL operand is NULL.
    'SELECT 1 IN (SELECT NULL), 1 NOT IN (SELECT NULL UNION ALL SELECT 1), 2 IN (SELECT 1 UNION SELECT NULL)',
    'SELECT NULL IN (SELECT 1), NULL NOT IN (SELECT 1)',
    // Duplicates, mixed types, VALUES, compounds, aggregates, LIMIT.
    "SELECT 2 IN (SELECT 2.0), 2.5 IN (SELECT c FROM t), 10 IN (SELECT x FROM u), '10' IN (SELECT z FROM u)",
    'SELECT id FROM t WHERE c IN (SELECT y FROM u) ORDER BY id',
    'SELECT id FROM t WHERE b IN (VALUES (1), (3)) ORDER BY id',
    'SELECT id FROM t WHERE b IN (SELECT 1 UNION SELECT 3) ORDER BY id',
    'SELECT id FROM t WHERE b IN (SELECT max(z) FROM u GROUP BY x) ORDER BY id',
    'SELECT id FROM t WHERE b IN (SELECT z FROM u ORDER BY z DESC LIMIT 2) ORDER BY id',
    // Comparison affinity: a numeric column on either side converts numeric-looking text.
    'SELECT id FROM u WHERE z IN (SELECT x FROM u) ORDER BY id',
    'SELECT id FROM u WHERE x IN (SELECT z FROM u) ORDER BY id',
    'SELECT id FROM u WHERE x NOT IN (SELECT y FROM u WHERE y IS NOT NULL) ORDER BY id',
    "SELECT '10' IN (SELECT z FROM u), 10 IN (SELECT x FROM u), '10.0' IN (SELECT y FROM u)",
    'SELECT id FROM u WHERE x = (SELECT max(z) FROM u) ORDER BY id',
    'SELECT id FROM u WHERE z = (SELECT x FROM u WHERE id = 6) ORDER BY id',
    'SELECT (SELECT y FROM u WHERE id = 1), typeof((SELECT y FROM u WHERE id = 1))',
    // Collations: the left column's NOCASE, an explicit COLLATE on either side.
    'SELECT id FROM t WHERE a IN (SELECT x FROM u) ORDER BY id',
    'SELECT id FROM u WHERE x IN (SELECT a FROM t) ORDER BY id',
    'SELECT id FROM u WHERE x COLLATE NOCASE IN (SELECT a FROM t) ORDER BY id',
    'SELECT id FROM t WHERE a COLLATE BINARY IN (SELECT x FROM u) ORDER BY id',
    // Same table as the outer query.
    'SELECT id FROM t WHERE b IN (SELECT b FROM t WHERE c > 2) ORDER BY id',
    'SELECT id FROM t WHERE id NOT IN (SELECT min(id) FROM t GROUP BY a) ORDER BY id',
    'SELECT b, count(*) FROM t GROUP BY b HAVING b IN (SELECT z FROM u) ORDER BY b',
  ])('%s', (sql) => {
    expect(compare(sql)).toBe(true);
  });
});

describe('EXISTS and scalar subqueries equal SQLite', () => {
  test.each([
    'SELECT EXISTS (SELECT 1 FROM e), NOT EXISTS (SELECT 1 FROM e), EXISTS (SELECT * FROM u)',
    'SELECT id FROM t WHERE EXISTS (SELECT 1 FROM u WHERE z > 5) ORDER BY id',
    'SELECT id FROM t WHERE NOT EXISTS (SELECT x, y FROM u) ORDER BY id',
    'SELECT (SELECT max(z) FROM u), (SELECT v FROM e), (SELECT 1)',
    'SELECT id, (SELECT count(*) FROM u) + b FROM t ORDER BY id',
    'SELECT id FROM t WHERE b = (SELECT min(z) FROM u) ORDER BY id',
    'SELECT id FROM t WHERE b > (SELECT avg(b) FROM t) ORDER BY id',
    'SELECT (SELECT x FROM u ORDER BY x DESC LIMIT 1 OFFSET 1)',
    'SELECT (SELECT z FROM u WHERE z IS NOT NULL)',
    'SELECT (VALUES (3), (4))',
    'SELECT (SELECT 5 UNION SELECT 2)',
    'SELECT b, count(*) FROM t GROUP BY b HAVING count(*) >= (SELECT count(*) FROM e) + 2 ORDER BY b',
    'SELECT id FROM t ORDER BY (SELECT 1), id DESC',
    'SELECT count(*), (SELECT max(y) FROM u) FROM t',
    'SELECT (SELECT (SELECT max(b) FROM t) + 1)',
    'SELECT 1 IN (SELECT (SELECT 1))',
    // Inside grouping, DISTINCT, LIMIT, FILTER and CASE.
    'SELECT b, (SELECT max(z) FROM u), count(*) FROM t GROUP BY b ORDER BY b',
    'SELECT b IN (SELECT 2), count(*) FROM t GROUP BY b IN (SELECT 2) ORDER BY 1',
    'SELECT DISTINCT b IN (SELECT z FROM u) FROM t ORDER BY 1',
    'SELECT (SELECT 1) AS v, b FROM t ORDER BY v, b, id',
    'SELECT id FROM t ORDER BY id LIMIT (SELECT count(*) FROM u WHERE z = 2)',
    'SELECT count(*) FILTER (WHERE b IN (SELECT z FROM u)) FROM t',
    "SELECT CASE WHEN b IN (SELECT 1) THEN 'one' ELSE (SELECT x FROM u WHERE id = 2) END FROM t ORDER BY id",
  ])('%s', (sql) => {
    expect(compare(sql)).toBe(true);
  });
});

describe('errors equal SQLite', () => {
  test.each([
    'SELECT (SELECT 1, 2)',
    'SELECT 1 IN (SELECT 1, 2)',
    'SELECT id FROM t WHERE b IN (SELECT z, x FROM u)',
    'SELECT (SELECT nope FROM u)',
    'SELECT (SELECT 1 FROM nope)',
  ])('%s', (sql) => {
    expect(compare(sql)).toBe(false);
  });

  test('correlated subqueries run per outer row, equal to SQLite', () => {
    for (const sql of [
      'SELECT id FROM t WHERE EXISTS (SELECT 1 FROM u WHERE z = b) ORDER BY id',
      'SELECT id, (SELECT max(z) FROM u WHERE z < t.b) FROM t ORDER BY id',
      'SELECT id FROM t WHERE a IN (SELECT x FROM u WHERE y = c) ORDER BY id',
      'SELECT id FROM t WHERE EXISTS (SELECT 1 FROM t AS x WHERE x.id = t.id) ORDER BY id',
    ])
      expect(compare(sql)).toBe(true);
  });

  test('subqueries in RETURNING are refused', () => {
    expect(() =>
      o.conn.cursor().execute('INSERT INTO e (v) VALUES (1) RETURNING (SELECT count(*) FROM e)'),
    ).toThrow(NotSupportedError);
  });

  test('row values IN (SELECT …) run as in SQLite (test/cursor/row-values.test.ts has the rest)', () => {
    expect(compare('SELECT (1, 2) IN (SELECT 1, 2), (1, 3) NOT IN (SELECT 1, 2)')).toBe(true);
  });
});

describe('writes with subqueries equal SQLite', () => {
  test.each([
    'DELETE FROM t WHERE id IN (SELECT id FROM t WHERE b = 2)',
    'DELETE FROM t WHERE b NOT IN (SELECT z FROM u)',
    'DELETE FROM t WHERE b NOT IN (SELECT z FROM u WHERE z IS NOT NULL)',
    'UPDATE t SET b = (SELECT max(z) FROM u) WHERE id IN (SELECT min(id) FROM t)',
    'UPDATE t SET b = b + (SELECT count(*) FROM t) WHERE EXISTS (SELECT 1 FROM u)',
    'UPDATE t SET b = (SELECT sum(b) FROM t)',
    'INSERT INTO e (v) VALUES ((SELECT max(z) FROM u)), ((SELECT v FROM e)), ((SELECT count(*) FROM e))',
    'INSERT INTO e (v) SELECT z FROM u WHERE z IN (SELECT b FROM t)',
  ])('%s', (sql) => {
    const { mv, sqlite } = o.both(sql, TABLES);
    expect(mv).toEqual(sqlite);
  });

  test('a cached statement re-runs its subquery on each execution', () => {
    const cur = o.conn.cursor();
    const sql = 'SELECT (SELECT count(*) FROM e)';
    expect(cur.execute(sql).fetchAll()).toEqual([[0n]]);
    o.exec('INSERT INTO e (v) VALUES (1)');
    expect(cur.execute(sql).fetchAll()).toEqual([[1n]]);
  });
});

describe('EXPLAIN shows each subquery plan', () => {
  test('Subquery nodes follow the statement plan, nested ones under theirs', () => {
    const lines = o.conn
      .cursor()
      .execute(
        'EXPLAIN SELECT id, (SELECT max(z) FROM u) FROM t WHERE b IN (SELECT z FROM u WHERE EXISTS (SELECT 1 FROM e))',
      )
      .fetchAll()
      .map((r) => String((r as unknown[])[0]));
    // The IN runs as a SemiJoin (its subquery a child of it); the others follow the plan.
    expect(lines.filter((l) => l.trim().startsWith('Subquery #'))).toEqual([
      '  Subquery #1',
      '  Subquery #2',
    ]);
    expect(lines[1]).toBe('  SemiJoin b IN (subquery)');
    expect(lines).toContain('      Filter EXISTS (subquery)');
    expect(lines.some((l) => l.includes('Aggregate [MAX(z)]'))).toBe(true);
  });
});
