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

describe('SQLite loads bare columns at each row the last min()/max() stepped does not decline', () => {
  beforeAll(() => {
    o.exec(
      'CREATE TABLE m (id INTEGER PRIMARY KEY, g INTEGER, h TEXT COLLATE NOCASE, s TEXT, x REAL)',
      `INSERT INTO m VALUES (1, 1, 'A', 'x', 1), (2, 1, 'a', 'a', 5), (3, 1, 'A', 'b', 2),
        (4, 2, 'b', 'q', NULL), (5, 2, 'B', 'b', NULL), (6, 3, 'c', NULL, 1), (7, 3, 'C', NULL, NULL),
        (8, 4, 'd', NULL, NULL), (9, 4, 'D', NULL, NULL), (10, 4, 'd', NULL, NULL)`,
    );
  });
  test.each([
    // A group whose values are all NULL shows its last row (min() never declines before a value).
    'SELECT g, min(x), id FROM m GROUP BY g',
    'SELECT g, max(s), id FROM m GROUP BY g',
    'SELECT min(x), id FROM m WHERE g = 4',
    // Two of them: the later one in the select list decides.
    'SELECT g, min(s), max(x), id FROM m GROUP BY g',
    'SELECT g, max(x), min(s), id FROM m GROUP BY g',
    'SELECT g, min(s), count(*), max(x), id, h FROM m GROUP BY g',
    // A NOCASE group key is spelled as in that row.
    'SELECT h, max(x), id FROM m GROUP BY h',
    'SELECT g, h, min(s) FROM m GROUP BY g, h',
    'SELECT h, count(*) FROM m GROUP BY h',
  ])('%s', (sql) => {
    const r = o.both(sql, []);
    expect(r.mv).toEqual(r.sqlite);
  });
});
