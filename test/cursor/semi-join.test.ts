/**
 * WHERE subquery tests run as SemiJoin / AntiJoin (planner/decorrelate.ts): results compared with
 * better-sqlite3, and EXPLAIN showing which forms are decorrelated and which stay per-row.
 */
import { Oracle } from '../helpers/sqlite-oracle';

let o: Oracle;

beforeEach(() => {
  o = new Oracle();
  o.exec(
    'CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, b TEXT, c TEXT COLLATE NOCASE, r REAL)',
    'CREATE TABLE u (id INTEGER PRIMARY KEY, x INTEGER, y TEXT COLLATE NOCASE, z REAL, w TEXT)',
    'CREATE INDEX u_x ON u (x)',
    'CREATE TABLE e (id INTEGER PRIMARY KEY, x INTEGER)',
    "INSERT INTO t VALUES (1, 1, 'a', 'A', 1.0), (2, 2, 'B', 'b', 2.5), (3, NULL, NULL, NULL, NULL), (4, 3, 'c', 'x', 3.0), (5, 1, 'b', 'B', NULL)",
    "INSERT INTO u VALUES (1, 1, 'a', 1.0, 'a'), (2, 1, 'b', NULL, 'B'), (3, NULL, 'C', 3.0, NULL), (4, 7, NULL, 2.5, 'c')",
  );
});
afterEach(() => o.close());

function explain(sql: string): string {
  return o.conn
    .cursor()
    .execute(`EXPLAIN ${sql}`)
    .fetchAll()
    .map((r) => String((r as unknown[])[0]))
    .join('\n');
}

function same(sql: string): void {
  const { mv, sqlite } = o.query(sql);
  expect({ sql, ...mv }).toEqual({ sql, ...sqlite });
}

describe('decorrelated forms equal SQLite and show as SemiJoin / AntiJoin', () => {
  test.each([
    ['SELECT id FROM t WHERE a IN (SELECT x FROM u) ORDER BY id', 'SemiJoin a IN (subquery)'],
    ['SELECT id FROM t WHERE a NOT IN (SELECT x FROM u) ORDER BY id', 'AntiJoin a NOT IN (subquery)'],
    ['SELECT id FROM t WHERE a NOT IN (SELECT x FROM u WHERE x IS NOT NULL) ORDER BY id', 'AntiJoin'],
    ['SELECT id FROM t WHERE a NOT IN (SELECT x FROM e) ORDER BY id', 'AntiJoin'],
    ['SELECT id FROM t WHERE a IN (SELECT x FROM e) ORDER BY id', 'SemiJoin'],
    // The IN's collation: c is NOCASE, so 'b' matches 'B'; b is BINARY but y is NOCASE.
    ['SELECT id FROM t WHERE c IN (SELECT w FROM u) ORDER BY id', 'SemiJoin c IN'],
    ['SELECT id FROM t WHERE b IN (SELECT y FROM u) ORDER BY id', 'SemiJoin b IN'],
    ['SELECT id FROM t WHERE b NOT IN (SELECT y FROM u WHERE y IS NOT NULL) ORDER BY id', 'AntiJoin'],
    ['SELECT id FROM t WHERE r IN (SELECT x FROM u) ORDER BY id', 'SemiJoin r IN'],
    ['SELECT id FROM t WHERE a IN (SELECT z FROM u) ORDER BY id', 'SemiJoin'],
    [
      'SELECT id FROM t WHERE EXISTS (SELECT 1 FROM u WHERE u.z = t.a) ORDER BY id',
      'SemiJoin EXISTS keys=[a] = [z]',
    ],
    [
      'SELECT id FROM t WHERE NOT EXISTS (SELECT * FROM u WHERE t.a = u.z AND u.x > 1) ORDER BY id',
      'AntiJoin NOT EXISTS',
    ],
    ['SELECT id FROM t WHERE EXISTS (SELECT 1 FROM u WHERE u.z = t.r) ORDER BY id', 'SemiJoin EXISTS'],
    [
      'SELECT id FROM t WHERE EXISTS (SELECT 1 FROM u WHERE u.z = t.a AND u.w = t.b) ORDER BY id',
      'SemiJoin EXISTS',
    ],
    [
      'SELECT id FROM t WHERE EXISTS (SELECT DISTINCT z FROM u WHERE u.z = t.a ORDER BY 1) ORDER BY id',
      'SemiJoin',
    ],
    [
      'SELECT id FROM t WHERE EXISTS (SELECT 1 FROM u JOIN e ON e.x = u.x WHERE u.id = t.id) ORDER BY id',
      'SemiJoin EXISTS',
    ],
    [
      'SELECT t.id, e.id FROM t LEFT JOIN e ON e.x = t.a WHERE NOT EXISTS (SELECT 1 FROM u WHERE u.z = t.a) ORDER BY 1',
      'AntiJoin',
    ],
    ['SELECT a, count(*) FROM t WHERE a IN (SELECT x FROM u) GROUP BY a ORDER BY a', 'SemiJoin'],
    // Correlated IN without an index for the correlation: one IN set per correlation group,
    // NULLs in a group and empty groups.
    [
      'SELECT id FROM t WHERE a IN (SELECT x FROM u WHERE u.w = t.b) ORDER BY id',
      'SemiJoin a IN (subquery) keys=[b] = [w]',
    ],
    [
      'SELECT id FROM t WHERE a NOT IN (SELECT x FROM u WHERE u.w = t.b) ORDER BY id',
      'AntiJoin a NOT IN (subquery) keys=[b] = [w]',
    ],
    [
      'SELECT id FROM t WHERE id NOT IN (SELECT x FROM u WHERE u.w = t.b AND u.id < 4) ORDER BY id',
      'AntiJoin id NOT IN (subquery) keys=[b] = [w]',
    ],
    [
      'SELECT id FROM t WHERE b IN (SELECT DISTINCT w FROM u WHERE u.z = t.r ORDER BY 1) ORDER BY id',
      'SemiJoin b IN',
    ],
    ['SELECT id FROM t WHERE c IN (SELECT y FROM u WHERE u.w = t.b) ORDER BY id', 'SemiJoin c IN'],
    [
      'SELECT id FROM t WHERE a IN (SELECT x FROM u) AND NOT EXISTS (SELECT 1 FROM u WHERE u.w = t.b) ORDER BY id',
      'AntiJoin NOT EXISTS',
    ],
  ])('%s', (sql, node) => {
    same(sql);
    expect(explain(sql)).toContain(node);
  });
});

describe('EXISTS whose correlation an index looks up stays per row, as SQLite plans it', () => {
  // Each outer row is one probe of u_x (or u's primary key); hashing all of u would cost its
  // size even for one outer row.
  test.each([
    'SELECT id FROM t WHERE EXISTS (SELECT 1 FROM u WHERE u.x = t.a) ORDER BY id',
    'SELECT id FROM t WHERE NOT EXISTS (SELECT * FROM u WHERE t.a = u.x AND u.z > 1) ORDER BY id',
    'SELECT id FROM t WHERE EXISTS (SELECT 1 FROM u WHERE u.x = t.a AND u.w = t.b) ORDER BY id',
    'SELECT id FROM t WHERE EXISTS (SELECT DISTINCT x FROM u WHERE u.x = t.a ORDER BY 1) ORDER BY id',
    'SELECT t.id, e.id FROM t LEFT JOIN e ON e.x = t.a WHERE NOT EXISTS (SELECT 1 FROM u WHERE u.x = t.a) ORDER BY 1',
    'SELECT id FROM t WHERE t.id = 2 AND EXISTS (SELECT 1 FROM u WHERE u.id = t.a)',
  ])('%s', (sql) => {
    same(sql);
    const plan = explain(sql);
    expect(plan).not.toMatch(/SemiJoin|AntiJoin/);
    expect(plan).toMatch(/IndexLookup u using (covering )?u_x keys=\[outer|PrimaryKeyLookup u keys=\[outer/);
  });
});

describe('forms that stay per-row subqueries', () => {
  test.each([
    // NOCASE on the inner column decides the comparison: not a plain hash key.
    'SELECT id FROM t WHERE EXISTS (SELECT 1 FROM u WHERE u.y = t.b) ORDER BY id',
    'SELECT id FROM t WHERE EXISTS (SELECT 1 FROM u WHERE u.x > t.a) ORDER BY id',
    'SELECT id FROM t WHERE EXISTS (SELECT 1 FROM u WHERE u.x = t.a LIMIT 1) ORDER BY id',
    'SELECT id FROM t WHERE EXISTS (SELECT count(*) FROM u WHERE u.x = t.a) ORDER BY id',
    'SELECT id FROM t WHERE EXISTS (SELECT 1 FROM u WHERE u.x = t.a OR u.x IS NULL) ORDER BY id',
    // A correlated IN whose index looks the correlation up per row: cheaper than hashing u.
    'SELECT id FROM t WHERE a IN (SELECT x FROM u WHERE u.id = t.id) ORDER BY id',
    'SELECT id FROM t WHERE a NOT IN (SELECT z FROM u WHERE u.x = t.a) ORDER BY id',
    // A correlated IN whose column reads the outer row, or correlated by a range.
    'SELECT id FROM t WHERE a IN (SELECT x + t.id FROM u WHERE u.id = t.id) ORDER BY id',
    'SELECT id FROM t WHERE a IN (SELECT x FROM u WHERE u.id > t.id) ORDER BY id',
    'SELECT id FROM t WHERE a IN (SELECT max(x) FROM u WHERE u.id = t.id) ORDER BY id',
    'SELECT id FROM t WHERE a IN (SELECT x FROM u) OR b IS NULL ORDER BY id',
    'SELECT id FROM t WHERE NOT (a IN (SELECT x FROM u)) ORDER BY id',
    // An integer column against a text column: SQLite's affinity, not one storage class.
    'SELECT id FROM t WHERE EXISTS (SELECT 1 FROM u WHERE u.w = t.a) ORDER BY id',
  ])('%s', (sql) => {
    same(sql);
    expect(explain(sql)).not.toMatch(/SemiJoin|AntiJoin/);
  });
});

describe('writes find their rows through semi joins', () => {
  test('DELETE … WHERE IN (SELECT …) and UPDATE … WHERE NOT EXISTS', () => {
    const write = (sql: string): void => {
      const { mv, sqlite } = o.both(sql, ['t', 'u']);
      expect({ sql, ...(mv as object) }).toEqual({ sql, ...(sqlite as object) });
    };
    expect(explain('DELETE FROM t WHERE a IN (SELECT x FROM u)')).toContain('SemiJoin a IN (subquery)');
    write('UPDATE t SET b = NULL WHERE NOT EXISTS (SELECT 1 FROM u WHERE u.x = t.a)');
    write('DELETE FROM t WHERE a NOT IN (SELECT x FROM u WHERE x IS NOT NULL)');
    write('DELETE FROM u WHERE x IN (SELECT a FROM t) RETURNING id');
  });
});
