/**
 * Common table expressions (WITH, WITH RECURSIVE), each statement compared with better-sqlite3:
 * result columns, rows in order, or the error class. Covers CTEs reading each other (forward
 * references too), column lists, MATERIALIZED hints, CTEs in subqueries, compounds, joins,
 * INSERT … SELECT and WITH … INSERT/UPDATE/DELETE, recursive series, trees and graph walks
 * (UNION de-duplication), LIMIT stopping a recursion, a recursive CTE's own ORDER BY (its queue
 * taken smallest row first: depth- or breadth-first walks), SQLite's errors, and the row limit.
 */
import { Oracle } from '../helpers/sqlite-oracle';
import { OperationalError, QueryError } from '../../src/errors';
import { setRecursiveRowLimitForTests } from '../../planner/physical-planner';

let o: Oracle;

beforeEach(() => {
  o = new Oracle();
  o.exec(
    'CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT COLLATE NOCASE, b INTEGER)',
    'CREATE TABLE org (id INTEGER PRIMARY KEY, name TEXT, boss INTEGER)',
    'CREATE TABLE edge (src INTEGER, dst INTEGER)',
    'CREATE TABLE dst (id INTEGER PRIMARY KEY, v INTEGER)',
    "INSERT INTO t (a, b) VALUES ('apple', 1), ('Banana', 2), ('cherry', 2), (NULL, NULL), ('Apple', 3)",
    "INSERT INTO org VALUES (1, 'ceo', NULL), (2, 'cto', 1), (3, 'cfo', 1), (4, 'dev', 2), (5, 'ops', 2), (6, 'intern', 4)",
    'INSERT INTO edge VALUES (1, 2), (2, 3), (3, 1), (3, 4), (4, 5), (2, 4), (6, 6)',
  );
});
afterEach(() => o.close());

/** Compare both engines' outcomes; whether the statement succeeded. */
function compare(sql: string): boolean {
  const { mv, sqlite } = o.query(sql);
  expect(mv).toEqual(sqlite);
  return mv.ok;
}

describe('WITH results equal SQLite', () => {
  test.each([
    'WITH c AS (SELECT 1 AS x) SELECT * FROM c',
    'WITH c AS (SELECT a, b FROM t WHERE b > 1) SELECT * FROM c ORDER BY b, a',
    "WITH c(x, y) AS (SELECT a, b FROM t) SELECT y, x FROM c WHERE x = 'APPLE' ORDER BY y",
    'WITH a AS (SELECT b FROM t), b AS (SELECT b * 10 AS v FROM a) SELECT * FROM b ORDER BY v',
    'WITH a AS (SELECT * FROM b), b AS (SELECT 1 AS one) SELECT * FROM a',
    'WITH q AS MATERIALIZED (SELECT 5 AS v), r AS NOT MATERIALIZED (SELECT 6 AS w) SELECT * FROM q, r',
    'WITH q AS (SELECT 1 AS a, 2 AS a) SELECT * FROM q',
    'WITH q(a, b) AS (VALUES (1, 2), (3, 4)) SELECT * FROM q',
    'WITH q AS (SELECT b FROM t) SELECT q.b, t.a FROM q JOIN t USING (b) ORDER BY 1, 2',
    'WITH q AS (SELECT b FROM t) SELECT x.b FROM q AS x LEFT JOIN q AS y ON x.b = y.b + 1 ORDER BY 1',
    'WITH t AS (SELECT 9 AS z) SELECT * FROM t',
    'SELECT * FROM (WITH q AS (SELECT 5 AS v) SELECT * FROM q)',
    'WITH q AS (SELECT 2 AS v) SELECT (SELECT v FROM q), a FROM t WHERE b IN (SELECT v FROM q) ORDER BY a',
    'SELECT a FROM t WHERE b = (WITH q AS (SELECT 3 AS v) SELECT v FROM q)',
    'WITH q AS (SELECT 1 AS v) SELECT 1 UNION SELECT v FROM q UNION SELECT 2',
    'WITH q AS (SELECT b FROM t) SELECT b FROM q UNION ALL SELECT b FROM q ORDER BY 1 LIMIT 4',
    'WITH q AS (SELECT b, count(*) AS n FROM t GROUP BY b) SELECT * FROM q WHERE n > 1',
    'WITH q AS (SELECT a FROM t) SELECT count(*), max(a) FROM q',
    'WITH q AS (SELECT a FROM t) SELECT DISTINCT a FROM q ORDER BY a',
    'WITH q AS (SELECT a, b FROM t) SELECT a, row_number() OVER (ORDER BY b, a) FROM q ORDER BY 2',
    'SELECT a, (WITH q AS (SELECT t.b + 1 AS v) SELECT v FROM q) FROM t ORDER BY a',
    'WITH q AS (SELECT 1 AS v) SELECT * FROM (WITH q AS (SELECT 2 AS v) SELECT v FROM q), q',
    'WITH x AS (SELECT 1 AS v), y AS (SELECT v + 1 AS v FROM x), z AS (SELECT v + 1 AS v FROM y) SELECT * FROM x, y, z',
    // The collation of a CTE column follows it (a is NOCASE).
    "WITH q AS (SELECT a FROM t) SELECT a FROM q WHERE a = 'APPLE' ORDER BY a",
  ])('%s', (sql) => {
    compare(sql);
  });
});

describe('WITH errors equal SQLite', () => {
  test.each([
    'WITH a AS (SELECT 1), a AS (SELECT 2) SELECT * FROM a',
    'WITH a(x, y) AS (SELECT 1) SELECT * FROM a',
    'WITH c AS (SELECT * FROM c) SELECT * FROM c',
    'WITH a AS (SELECT * FROM b), b AS (SELECT * FROM a) SELECT * FROM a',
    'WITH c AS (SELECT 1) SELECT * FROM nope',
    'WITH c AS (SELECT 1 AS v) SELECT w FROM c',
    'SELECT 1 UNION ALL WITH q AS (SELECT 2) SELECT * FROM q',
  ])('%s', (sql) => {
    expect(compare(sql)).toBe(false);
  });

  test('SQLite messages', () => {
    expect(() => o.conn.execute('WITH a AS (SELECT 1), A AS (SELECT 2) SELECT * FROM a')).toThrow(
      'duplicate WITH table name: A',
    );
    expect(() => o.conn.execute('WITH a(x, y) AS (SELECT 1) SELECT * FROM a')).toThrow(
      'table a has 1 values for 2 columns',
    );
    expect(() => o.conn.execute('WITH c AS (SELECT * FROM c) SELECT * FROM c')).toThrow(
      'circular reference: c',
    );
  });
});

describe('WITH in write statements equals SQLite', () => {
  const after = (): void => {
    const sql = 'SELECT * FROM dst ORDER BY id';
    const { mv, sqlite } = o.query(sql);
    expect(mv).toEqual(sqlite);
  };
  test.each([
    'INSERT INTO dst (v) WITH q AS (SELECT b FROM t WHERE b IS NOT NULL) SELECT b FROM q',
    'WITH q AS (SELECT b FROM t WHERE b IS NOT NULL) INSERT INTO dst (v) SELECT b * 2 FROM q',
    'WITH q(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM q WHERE n < 5) INSERT INTO dst (v) SELECT n FROM q',
  ])('%s', (sql) => {
    compare(sql);
    after();
  });

  test('WITH … UPDATE and WITH … DELETE', () => {
    o.exec('INSERT INTO dst (v) VALUES (1), (2), (3), (4)');
    compare(
      'WITH q AS (SELECT b FROM t WHERE b > 1) UPDATE dst SET v = v + 100 WHERE v IN (SELECT b FROM q)',
    );
    after();
    compare('WITH q AS (SELECT 101 AS k) DELETE FROM dst WHERE v IN (SELECT k FROM q)');
    after();
  });

  test('CREATE TABLE … AS WITH', () => {
    compare('CREATE TABLE made AS WITH q AS (SELECT a, b FROM t) SELECT * FROM q WHERE b > 1');
    compare('SELECT * FROM made ORDER BY b, a');
  });
});

describe('WITH RECURSIVE results equal SQLite', () => {
  test.each([
    'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 10) SELECT * FROM c',
    'WITH c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 5) SELECT sum(x) FROM c',
    'WITH RECURSIVE c AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM c WHERE n < 3) SELECT * FROM c',
    'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT * FROM c LIMIT 7',
    'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT * FROM c LIMIT 3 OFFSET 2',
    'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 4) SELECT * FROM c',
    'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 9 LIMIT 3 OFFSET 2) SELECT * FROM c',
    'WITH RECURSIVE c(x) AS (SELECT 1 UNION SELECT x FROM c) SELECT * FROM c',
    'WITH RECURSIVE c(x) AS (SELECT 1 UNION SELECT (x + 1) % 4 FROM c) SELECT * FROM c',
    // Trees: everyone under the cto, with depth and path.
    "WITH RECURSIVE sub(id, name, depth, path) AS (SELECT id, name, 0, name FROM org WHERE name = 'cto' UNION ALL SELECT org.id, org.name, depth + 1, path || '/' || org.name FROM org JOIN sub ON org.boss = sub.id) SELECT * FROM sub",
    'WITH RECURSIVE up(id, boss) AS (SELECT id, boss FROM org WHERE id = 6 UNION ALL SELECT org.id, org.boss FROM up, org WHERE org.id = up.boss) SELECT id FROM up',
    // Graph walks: UNION stops at cycles; UNION ALL with a depth bound does not de-duplicate.
    'WITH RECURSIVE r(n) AS (SELECT 1 UNION SELECT dst FROM edge JOIN r ON edge.src = r.n) SELECT * FROM r',
    'WITH RECURSIVE r(n) AS (VALUES (6) UNION SELECT dst FROM edge, r WHERE src = n) SELECT * FROM r',
    'WITH RECURSIVE r(n, d) AS (SELECT 1, 0 UNION ALL SELECT dst, d + 1 FROM r JOIN edge ON src = n WHERE d < 4) SELECT * FROM r',
    'WITH RECURSIVE r(n, d) AS (SELECT 1, 0 UNION ALL SELECT dst, d + 1 FROM edge LEFT JOIN r ON src = n WHERE d < 3) SELECT * FROM r',
    // Several initial and several recursive arms.
    'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT x + 1 FROM c WHERE x < 3) SELECT * FROM c',
    'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3 UNION ALL SELECT x + 10 FROM c WHERE x < 3) SELECT * FROM c',
    'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT DISTINCT x + 1 FROM c, t WHERE x < 3) SELECT * FROM c',
    // Recursive CTEs read by joins, subqueries and later CTEs.
    'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 4) SELECT t.a, c.x FROM t JOIN c ON t.b = c.x ORDER BY 1, 2',
    'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 4), d AS (SELECT x * x AS sq FROM c) SELECT * FROM d',
    'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 4) SELECT a FROM t WHERE b IN (SELECT x FROM c WHERE x > 1) ORDER BY a',
    'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3) SELECT x FROM c UNION ALL SELECT 9',
    'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3) SELECT a.x, b.x FROM c AS a, c AS b ORDER BY 1, 2',
    "WITH RECURSIVE s(i, str) AS (SELECT 1, 'a' UNION ALL SELECT i + 1, str || char(97 + i) FROM s WHERE i < 5) SELECT str FROM s",
    'WITH RECURSIVE f(n, fact) AS (SELECT 1, 1 UNION ALL SELECT n + 1, fact * (n + 1) FROM f WHERE n < 15) SELECT * FROM f',
  ])('%s', (sql) => {
    compare(sql);
  });

  test('errors equal SQLite', () => {
    for (const sql of [
      'WITH RECURSIVE c(x) AS (SELECT x + 1 FROM c UNION ALL SELECT 1) SELECT * FROM c',
      'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c, c AS d) SELECT * FROM c',
      'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT (SELECT x FROM c)) SELECT * FROM c',
      'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT max(x) + 1 FROM c) SELECT * FROM c',
      'WITH RECURSIVE c(x) AS (SELECT 1 INTERSECT SELECT x + 1 FROM c) SELECT * FROM c',
      'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM (SELECT * FROM c) WHERE x < 3) SELECT * FROM c',
      'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3 GROUP BY x) SELECT * FROM c',
      'WITH RECURSIVE c(x, y) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT * FROM c',
    ])
      expect([sql, compare(sql)]).toEqual([sql, false]);
    expect(() =>
      o.conn.execute(
        'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c, c AS d) SELECT * FROM c',
      ),
    ).toThrow('multiple references to recursive table: c');
    expect(() =>
      o.conn.execute('WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT max(x) FROM c) SELECT * FROM c'),
    ).toThrow('recursive aggregate queries not supported');
  });

  test('a recursion that never ends stops at the row limit with RECURSION_LIMIT', () => {
    setRecursiveRowLimitForTests(1000);
    try {
      let err: unknown;
      try {
        o.conn
          .cursor()
          .execute('WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c')
          .fetchAll();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(OperationalError);
      expect((err as OperationalError).code).toBe('RECURSION_LIMIT');
      // Under the limit the same shape runs; a LIMIT above stops it long before.
      const n = o.conn
        .cursor()
        .execute(
          'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000) SELECT count(*) FROM c',
        );
      expect(n.fetchOne()).toEqual([1000n]);
      const few = o.conn
        .cursor()
        .execute('WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x FROM c LIMIT 2');
      expect(few.fetchAll()).toEqual([[1n], [2n]]);
    } finally {
      setRecursiveRowLimitForTests(null);
    }
  });

  test('EXPLAIN shows CteScan, RecursiveUnion and WorkingTable', () => {
    const lines = (
      o.conn
        .cursor()
        .execute(
          'EXPLAIN WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3) SELECT x FROM c',
        )
        .fetchAll() as unknown[][]
    ).map((r) => String(r[r.length - 1]));
    const text = lines.join('\n');
    expect(text).toMatch(/CteScan c/);
    expect(text).toMatch(/RecursiveUnion c all/);
    expect(text).toMatch(/WorkingTable c/);
  });

  test("a CTE body read in a correlated subquery sees the reader's columns, as in SQLite", () => {
    // SQLite expands a CTE where it is read: its body may name the enclosing query's columns.
    expect(compare('WITH q AS (SELECT t.b AS v) SELECT (SELECT v FROM q) FROM t')).toBe(true);
    expect(compare('WITH q AS (SELECT t.b AS v) SELECT * FROM q')).toBe(false);
    expect(() => o.conn.execute('WITH q AS (SELECT t.b AS v) SELECT * FROM q')).toThrow(QueryError);
  });
});

describe('a recursive CTE with its own ORDER BY takes rows from its queue in that order, as SQLite', () => {
  test.each([
    'WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c ORDER BY 1 DESC LIMIT 5) SELECT * FROM c',
    'WITH RECURSIVE c(n, d) AS (SELECT 1, 0 UNION ALL SELECT n * 2, d + 1 FROM c WHERE d < 3 UNION ALL SELECT n * 2 + 1, d + 1 FROM c WHERE d < 3 ORDER BY 2 DESC) SELECT * FROM c',
    'WITH RECURSIVE c(x) AS (SELECT 1 AS a UNION ALL SELECT x + 1 FROM c WHERE x < 5 ORDER BY a) SELECT * FROM c',
    'WITH RECURSIVE c(x) AS (SELECT 5 UNION ALL SELECT x - 1 FROM c WHERE x > 0 ORDER BY 1 LIMIT 3 OFFSET 1) SELECT * FROM c',
    "WITH RECURSIVE c(s) AS (SELECT 'b' AS s UNION SELECT s || 'a' FROM c WHERE length(s) < 3 UNION SELECT 'A' || s FROM c WHERE length(s) < 3 ORDER BY s COLLATE NOCASE DESC) SELECT * FROM c",
    "WITH RECURSIVE c(s, n) AS (SELECT 'x' AS s, 3 UNION ALL SELECT s || n, n - 1 FROM c WHERE n > 0 ORDER BY 2, 1 DESC) SELECT * FROM c",
    // Depth-first walk of a tree: the deepest pending row first, then by name.
    "WITH RECURSIVE w(id, name, depth) AS (SELECT id, name, 0 FROM org WHERE boss IS NULL UNION ALL SELECT org.id, org.name, w.depth + 1 FROM org JOIN w ON org.boss = w.id ORDER BY 3 DESC, 2) SELECT substr('....', 1, depth) || name FROM w",
    'WITH RECURSIVE r(n) AS (SELECT src FROM edge UNION SELECT dst FROM edge JOIN r ON src = n ORDER BY 1 DESC NULLS LAST) SELECT * FROM r',
    'WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c ORDER BY 1) SELECT * FROM c LIMIT 4',
    'WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c ORDER BY n LIMIT 3) SELECT * FROM c',
    'WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c ORDER BY 2 LIMIT 3) SELECT * FROM c',
  ])('%s', (sql) => {
    compare(sql);
  });

  test('generated walks over random graphs agree with SQLite', () => {
    let seed = 41;
    const r = (m: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % m;
    };
    o.exec('DELETE FROM edge');
    for (let i = 0; i < 40; i++) o.exec(`INSERT INTO edge VALUES (${r(12)}, ${r(12)})`);
    for (let i = 0; i < 60; i++) {
      const op = r(2) === 0 ? 'UNION' : 'UNION ALL';
      // Total orders: among rows tied on every key SQLite's order is its join plan's (here an
      // automatic index on edge), which nothing promises.
      const keys = ['1, 2', '2, 1', '1 DESC, 2', '2 DESC, 1 DESC', '2, 1 DESC', '2 DESC, 1'][r(6)];
      const limit = r(3) === 0 ? '' : ` LIMIT ${1 + r(15)}`;
      const sql = `WITH RECURSIVE p(node, hops) AS (SELECT ${r(12)}, 0 ${op} SELECT dst, hops + 1 FROM edge JOIN p ON src = node WHERE hops < 4 ORDER BY ${keys}${limit}) SELECT * FROM p`;
      expect(compare(sql)).toBe(true);
    }
  });
});
