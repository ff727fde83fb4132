/**
 * A CTE read by several references of one statement is computed once per execution (a shared
 * CteScan in EXPLAIN), as SQLite materializes it: results compared with better-sqlite3, and
 * random() in the body proving one computation (both references see the same value).
 */
import { Oracle } from '../helpers/sqlite-oracle';

let o: Oracle;

beforeEach(() => {
  o = new Oracle();
  o.exec(
    'CREATE TABLE t (id INTEGER PRIMARY KEY, g INTEGER, v INTEGER)',
    'INSERT INTO t VALUES (1, 1, 10), (2, 1, 20), (3, 2, 5), (4, NULL, 7), (5, 2, NULL)',
  );
});
afterEach(() => o.close());

function explain(sql: string): string[] {
  return o.conn
    .cursor()
    .execute(`EXPLAIN ${sql}`)
    .fetchAll()
    .map((r) => String((r as unknown[])[0]));
}

function same(sql: string): void {
  const { mv, sqlite } = o.query(sql);
  expect({ sql, ...mv }).toEqual({ sql, ...sqlite });
}

const TOTALS = 'WITH s AS (SELECT g, sum(v) AS total FROM t GROUP BY g)';

describe('shared CTEs', () => {
  test.each([
    `${TOTALS} SELECT a.g, a.total, b.total FROM s AS a JOIN s AS b ON b.g = a.g ORDER BY a.g`,
    `${TOTALS} SELECT g FROM s WHERE total = (SELECT max(total) FROM s)`,
    `${TOTALS} SELECT t.id FROM t WHERE EXISTS (SELECT 1 FROM s WHERE s.g = t.g AND s.total > 10) AND t.g IN (SELECT g FROM s) ORDER BY id`,
    `${TOTALS} SELECT g, total FROM s UNION ALL SELECT g, total FROM s ORDER BY 1, 2`,
    'WITH r AS (SELECT random() AS x) SELECT (SELECT x FROM r) = (SELECT x FROM r)',
    'WITH r AS (SELECT random() AS x) SELECT a.x = b.x FROM r AS a, r AS b',
    'WITH r AS NOT MATERIALIZED (SELECT random() AS x) SELECT (SELECT x FROM r) = (SELECT x FROM r)',
    'WITH r AS MATERIALIZED (SELECT random() AS x) SELECT (SELECT x FROM r) = (SELECT x FROM r)',
  ])('%s', (sql) => same(sql));

  test('EXPLAIN marks a CTE read twice; once, NOT MATERIALIZED or recursive it is expanded', () => {
    const two = explain(`${TOTALS} SELECT a.g, b.total FROM s AS a JOIN s AS b ON b.g = a.g`);
    expect(two.filter((l) => l.includes('CteScan'))).toEqual([
      '    CteScan s AS a (computed once, 2 references)',
      '    CteScan s AS b (computed once, 2 references)',
    ]);
    expect(explain(`${TOTALS} SELECT * FROM s`).join('\n')).not.toMatch(/computed once/);
    const hinted = explain(
      'WITH s AS NOT MATERIALIZED (SELECT g FROM t) SELECT * FROM s AS a JOIN s AS b ON a.g = b.g',
    );
    expect(hinted.join('\n')).not.toMatch(/computed once/);
    const recursive = explain(
      'WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3) SELECT * FROM n AS a, n AS b',
    );
    expect(recursive.join('\n')).not.toMatch(/computed once/);
  });

  test('the queries of one write share the CTE too', () => {
    const sql =
      'WITH r AS (SELECT abs(random()) % 1000 AS x) UPDATE t SET v = (SELECT x FROM r) - (SELECT x FROM r) WHERE id < 3 RETURNING v';
    const { mv, sqlite } = o.both(sql, ['t']);
    expect(mv).toEqual(sqlite);
  });
});
