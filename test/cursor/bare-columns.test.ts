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

// Several min()/max(): each one's step overwrites SQLite's skip flag, so the bare columns follow
// the last min()/max() (in select-list order) that saw a value; a DISTINCT duplicate or a FILTER
// that leaves one out does not touch the flag.
describe('bare columns beside several min()/max()', () => {
  let d: Oracle;
  beforeAll(() => {
    d = new Oracle();
    d.exec(
      'CREATE TABLE s (a INTEGER, b INTEGER, c INTEGER, k INTEGER)',
      'INSERT INTO s VALUES (5, 1, 10, 0), (3, 9, 20, 1), (4, 2, 30, 0), (1, 8, 40, 1), (NULL, NULL, 50, 0), (1, 9, 60, 1), (6, 0, 70, 0)',
    );
  });
  afterAll(() => d.close());
  test.each([
    'SELECT min(a), min(b), c FROM s',
    'SELECT min(a), max(b), c FROM s',
    'SELECT max(b), min(a), c FROM s',
    'SELECT min(b), max(b), c FROM s',
    'SELECT max(b), min(b), c FROM s',
    'SELECT min(45) * c * - min(- b) FROM s',
    'SELECT min(a), max(DISTINCT b), c FROM s',
    'SELECT max(DISTINCT b), min(a), c FROM s',
    'SELECT min(a), max(b), count(*), c FROM s WHERE c > 10',
    'SELECT k, min(a), max(c), c FROM s GROUP BY k',
    'SELECT k, max(b), min(b), c FROM s GROUP BY k',
    'SELECT max(b) FILTER (WHERE c > 20), min(a), c FROM s',
  ])('%s', (sql) => {
    const r = d.both(sql, []);
    expect(r.mv).toEqual(r.sqlite);
  });
});
