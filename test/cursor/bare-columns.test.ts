/**
 * Bare columns in aggregate queries (a column neither grouped nor aggregated): SQLite reads them
 * from the row min()/max() chose, else from the group's first row in scan order (recent SQLite;
 * releases before 3.4x read the last). Compared with better-sqlite3 where both engines scan in
 * the same order; a scan SQLite runs backwards through an index (GROUP BY g ORDER BY g DESC) can
 * pick another row, which docs/sql.md lists.
 */
import { Oracle } from '../helpers/sqlite-oracle';

let o: Oracle;
beforeAll(() => {
  o = new Oracle();
  o.exec(
    'CREATE TABLE t (id INTEGER PRIMARY KEY, g INTEGER, v TEXT, n INTEGER)',
    'CREATE INDEX t_g ON t (g)',
    "INSERT INTO t VALUES (1, 1, 'a', 5), (2, 2, 'b', 1), (3, 1, 'c', 1), (4, 2, 'd', 9), (5, 1, 'e', 1), (6, NULL, 'f', NULL)",
  );
});
afterAll(() => o.close());

test.each([
  'SELECT g, v FROM t GROUP BY g',
  'SELECT g, v, count(*) FROM t GROUP BY g',
  'SELECT v, count(*) FROM t',
  'SELECT g, v, sum(id) FROM t WHERE id > 1 GROUP BY g',
  'SELECT v FROM t GROUP BY g HAVING count(*) > 1',
  'SELECT v, count(*) FROM t WHERE g = 1',
  'SELECT n, v FROM t GROUP BY n',
  // min()/max() choose the row: the first that reaches the extreme.
  'SELECT v, min(n) FROM t',
  'SELECT v, max(n), g FROM t GROUP BY g',
  'SELECT v, min(n) FROM t GROUP BY g',
])('%s', (sql) => {
  const r = o.both(sql, []);
  expect(r.mv).toEqual(r.sqlite);
});

// min()/max() with DISTINCT: a row DISTINCT drops leaves SQLite's "new extreme" flag as the last
// row that reached the aggregate set it, so duplicates after an improving row move the bare
// columns along, and duplicates after a non-improving row do not.
describe('bare columns beside min()/max() with DISTINCT', () => {
  let d: Oracle;
  beforeAll(() => {
    d = new Oracle();
    d.exec(
      'CREATE TABLE m (a INTEGER, b INTEGER, k INTEGER)',
      'INSERT INTO m VALUES (NULL, 10, 0), (NULL, 20, 1), (3, 30, 0), (NULL, 40, 1), (2, 50, 0), (3, 60, 1), (5, 70, 0), (5, 80, 1)',
    );
  });
  afterAll(() => d.close());
  test.each([
    'SELECT max(DISTINCT a), b FROM m',
    'SELECT min(DISTINCT a), b FROM m',
    'SELECT max(DISTINCT 64) * b FROM m',
    'SELECT min(DISTINCT 7), b FROM m WHERE b < 60',
    'SELECT max(DISTINCT a / 10), b FROM m',
    'SELECT max(DISTINCT a), b FROM m WHERE b <= 60',
    'SELECT max(DISTINCT a), b FROM m WHERE a IS NULL',
    'SELECT k, max(DISTINCT a), b FROM m GROUP BY k',
    'SELECT k, min(DISTINCT 1), b FROM m GROUP BY k',
    'SELECT k, b, max(DISTINCT -a) FROM m GROUP BY k',
  ])('%s', (sql) => {
    const r = d.both(sql, []);
    expect(r.mv).toEqual(r.sqlite);
  });
});
