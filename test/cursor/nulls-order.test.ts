/**
 * `ORDER BY … NULLS FIRST | NULLS LAST` in SELECT, compound SELECT and window ORDER BY, each
 * statement compared with better-sqlite3 in order (rows, column names, or the error class).
 */
import { Oracle } from '../helpers/sqlite-oracle';

let o: Oracle;

beforeEach(() => {
  o = new Oracle();
  o.exec(
    'CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, b TEXT COLLATE NOCASE, r REAL)',
    'CREATE INDEX t_a ON t (a)',
    'CREATE INDEX t_ab ON t (a, b)',
    'CREATE TABLE u (id INTEGER PRIMARY KEY, a INTEGER, v TEXT)',
    "INSERT INTO t VALUES (1, 10, 'x', 1.5), (2, NULL, 'Y', NULL), (3, 30, NULL, 2.5), (4, 10, 'a', NULL), (5, NULL, NULL, 0.5), (6, 20, 'b', 3.5)",
    "INSERT INTO u VALUES (1, NULL, 'n'), (2, 10, 'p'), (3, 40, NULL), (4, NULL, 'q')",
  );
});
afterEach(() => o.close());

function same(sql: string): void {
  const { mv, sqlite } = o.query(sql);
  expect({ sql, ...mv }).toEqual({ sql, ...sqlite });
}

describe('NULLS FIRST / NULLS LAST equal SQLite', () => {
  test.each([
    'SELECT id, a FROM t ORDER BY a NULLS LAST, id',
    'SELECT id, a FROM t ORDER BY a ASC NULLS FIRST, id',
    'SELECT id, a FROM t ORDER BY a DESC NULLS FIRST, id',
    'SELECT id, a FROM t ORDER BY a DESC NULLS LAST, id DESC',
    'SELECT id, b FROM t ORDER BY b NULLS LAST, id',
    'SELECT id, b FROM t ORDER BY b COLLATE BINARY DESC NULLS FIRST, id',
    'SELECT id, a, b FROM t ORDER BY a NULLS LAST, b DESC NULLS FIRST, id',
    'SELECT id, a FROM t WHERE a > 5 OR a IS NULL ORDER BY a NULLS LAST, id',
    'SELECT id, a FROM t ORDER BY a NULLS LAST, id LIMIT 3',
    'SELECT id, a FROM t ORDER BY a DESC NULLS FIRST, id LIMIT 2 OFFSET 1',
    'SELECT id, a FROM t ORDER BY 2 NULLS LAST, 1',
    'SELECT id, a AS k FROM t ORDER BY k NULLS LAST, id',
    'SELECT DISTINCT a FROM t ORDER BY a NULLS LAST',
    'SELECT a, count(*) FROM t GROUP BY a ORDER BY a NULLS LAST',
    'SELECT a, sum(r) AS s FROM t GROUP BY a ORDER BY s DESC NULLS FIRST, a',
    'SELECT t.id, u.v FROM t LEFT JOIN u ON u.a = t.a ORDER BY u.v NULLS LAST, t.id',
    'SELECT a FROM t UNION SELECT a FROM u ORDER BY 1 NULLS LAST',
    'SELECT a, b FROM t UNION ALL SELECT a, v FROM u ORDER BY a DESC NULLS FIRST, b NULLS LAST',
    'SELECT a FROM t INTERSECT SELECT a FROM u ORDER BY a NULLS LAST',
    'SELECT id, r FROM t ORDER BY r NULLS LAST, id',
    'SELECT id, a, row_number() OVER (ORDER BY a NULLS LAST, id) FROM t ORDER BY id',
    'SELECT id, a, rank() OVER (ORDER BY a DESC NULLS FIRST) FROM t ORDER BY id',
    'SELECT id, a, sum(id) OVER (ORDER BY a NULLS LAST) FROM t ORDER BY id',
    'SELECT id, a, sum(id) OVER (ORDER BY a NULLS LAST RANGE BETWEEN 10 PRECEDING AND 5 FOLLOWING) FROM t ORDER BY id',
    'SELECT id, a, sum(id) OVER (ORDER BY a DESC NULLS FIRST RANGE BETWEEN 10 PRECEDING AND CURRENT ROW) FROM t ORDER BY id',
    'SELECT id, a, first_value(id) OVER (PARTITION BY b IS NULL ORDER BY a NULLS LAST, id) FROM t ORDER BY id',
    'SELECT id, lag(a) OVER w, lead(a) OVER w FROM t WINDOW w AS (ORDER BY a DESC NULLS LAST, id) ORDER BY id',
    'SELECT id, a FROM t ORDER BY a NULLS',
    'SELECT id, a FROM t ORDER BY a NULLS MIDDLE',
  ])('%s', (sql) => same(sql));

  test('EXPLAIN shows the NULLs placement and sorts instead of walking an index', () => {
    const lines = o.conn
      .cursor()
      .execute('EXPLAIN SELECT id, a FROM t ORDER BY a NULLS LAST LIMIT 2')
      .fetchAll()
      .map((r) => String((r as unknown[])[0]));
    // SQLite reads the covering index t_a (its ties in index order) and sorts the NULLs after.
    expect(lines).toEqual([
      'Project id, a',
      '  TopN a ASC NULLS LAST limit=2',
      '    IndexRangeScan t using covering t_a range=[full]',
    ]);
    same('SELECT id, a FROM t ORDER BY a NULLS LAST LIMIT 2');
    same('SELECT id, a FROM t ORDER BY a NULLS LAST LIMIT 3');
    const plain = o.conn
      .cursor()
      .execute('EXPLAIN SELECT id, a FROM t ORDER BY a NULLS FIRST LIMIT 2')
      .fetchAll()
      .map((r) => String((r as unknown[])[0]));
    // NULLS FIRST is ASC's own order: the index walk still provides it.
    expect(plain.join('\n')).not.toMatch(/TopN|Sort/);
  });
});
