/**
 * Parenthesized joins in FROM (`a JOIN (b JOIN c ON …) ON …`, `FROM (a, b)`), compared with
 * better-sqlite3: result column names, rows as a multiset unless ordered, or the error class.
 * SQLite reads a parenthesized join as a nested FROM: its ON terms see only its own sources, its
 * columns are named uniquely (`id:1`), its tables stay qualifiable by their own names.
 */
import { Oracle } from '../helpers/sqlite-oracle';
import type { Outcome } from '../helpers/sqlite-oracle';
import { rowKey } from '../differential/normalize';

let o: Oracle;

beforeEach(() => {
  o = new Oracle();
  o.exec(
    'CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER)',
    'CREATE TABLE u (id INTEGER PRIMARY KEY, tid INTEGER, v INTEGER)',
    'CREATE INDEX u_tid ON u (tid)',
    'CREATE TABLE w (k INTEGER, tid INTEGER, n TEXT)',
    'CREATE TABLE e (id INTEGER PRIMARY KEY, x INTEGER)',
    'INSERT INTO t VALUES (1, 1), (2, 2), (3, NULL), (4, 1)',
    'INSERT INTO u VALUES (1, 1, 10), (2, 1, 50), (3, 2, NULL), (4, 9, 7), (5, NULL, 8)',
    "INSERT INTO w VALUES (1, 5, 'a'), (2, 1, 'b'), (3, NULL, NULL), (NULL, 2, 'd'), (1, 1, 'e')",
  );
});
afterEach(() => o.close());

function settled(r: Outcome, sql: string): Outcome {
  if (!r.ok || !r.rows) return r;
  const rows = /ORDER BY/i.test(sql) ? r.rows : [...r.rows].sort((a, b) => (rowKey(a) < rowKey(b) ? -1 : 1));
  return { ...r, rows, changes: -1 };
}

function same(sql: string): void {
  const mv = settled(o.runMv(sql), sql);
  expect({ sql, ...mv }).toEqual({ sql, ...settled(o.runSqlite(sql), sql) });
}

describe('parenthesized joins equal SQLite', () => {
  test.each([
    'SELECT * FROM (t)',
    'SELECT * FROM ((t))',
    'SELECT * FROM (t) AS z WHERE z.id = 1',
    'SELECT * FROM (t, u)',
    'SELECT * FROM (t, u) WHERE u.tid = t.id',
    'SELECT * FROM (t JOIN u ON u.tid = t.id) JOIN w ON w.tid = u.tid',
    'SELECT * FROM (t LEFT JOIN u ON u.tid = t.id), w WHERE w.k = t.id',
    'SELECT * FROM w JOIN (t JOIN u ON u.tid = t.id) ON w.k = t.id',
    'SELECT * FROM w LEFT JOIN (t JOIN u ON u.tid = t.id) ON w.k = t.id',
    'SELECT * FROM w LEFT JOIN (t LEFT JOIN u ON u.tid = t.id) ON w.tid = t.id',
    'SELECT * FROM w LEFT JOIN (t JOIN u ON u.tid = t.id) ON w.k = t.id WHERE u.v IS NULL',
    'SELECT * FROM t RIGHT JOIN (w JOIN u ON u.id = w.k) ON t.id = u.tid',
    'SELECT * FROM t FULL JOIN (w, u) ON t.id = u.tid AND w.k = u.id',
    'SELECT * FROM w JOIN (t JOIN u ON u.tid = t.id)',
    'SELECT * FROM w, (t JOIN u ON u.tid = t.id) WHERE w.k = t.id',
    'SELECT * FROM w JOIN (t JOIN u ON u.tid = t.id JOIN (SELECT 1 AS one) s ON s.one = u.id) ON w.k = t.id',
    'SELECT * FROM w JOIN (t JOIN (u JOIN e ON e.id = u.id) ON u.tid = t.id) ON w.k = t.id',
    'SELECT * FROM w LEFT JOIN (t JOIN u ON u.tid = t.id) USING (tid)',
    'SELECT * FROM w NATURAL JOIN (t JOIN u ON u.tid = t.id)',
    'SELECT tid FROM w JOIN (t JOIN u ON u.tid = t.id) USING (tid)',
    'SELECT t.id, u.v, w.n FROM w JOIN (t JOIN u ON u.tid = t.id) ON w.k = t.id ORDER BY 1, 2, 3',
    'SELECT u.*, w.k FROM w LEFT JOIN (t JOIN u ON u.tid = t.id) ON w.k = t.id',
    'SELECT t.*, w.k FROM w LEFT JOIN (t JOIN u ON u.tid = t.id) ON w.k = t.id',
    'SELECT x.id, x.v FROM (t JOIN u ON u.tid = t.id) AS x',
    'SELECT count(*), x.a FROM w JOIN (t JOIN u ON u.tid = t.id) x ON w.k = x.id GROUP BY x.a',
    'SELECT w.n FROM w WHERE EXISTS (SELECT 1 FROM (t JOIN u ON u.tid = t.id) WHERE t.id = w.k)',
    'SELECT * FROM w JOIN (t JOIN e ON e.x = t.a) ON w.k = t.id',
    // SQLite's errors: a nested ON term cannot see the outer sources, a bare name found in two
    // of the nested tables is ambiguous, an aliased nested join has no x.* and its * is ambiguous.
    'SELECT * FROM w JOIN (t JOIN u ON u.tid = w.k) ON w.k = t.id',
    'SELECT * FROM w, (t JOIN u ON t.id = u.tid AND u.v = w.k)',
    'SELECT id FROM w JOIN (t JOIN u ON u.tid = t.id) ON w.k = t.id',
    'SELECT * FROM (t JOIN u ON u.tid = t.id) AS x',
    'SELECT x.* FROM (t JOIN u ON u.tid = t.id) AS x',
    'SELECT * FROM w JOIN (t JOIN u ON u.tid = t.id) USING (id)',
    'SELECT * FROM w JOIN (t JOIN nope ON 1) ON 1',
    'SELECT * FROM w JOIN (t JOIN u ON 1',
  ])('%s', (sql) => same(sql));

  test('UPDATE … FROM and DELETE … WHERE IN read parenthesized joins too', () => {
    const write = (sql: string): void => {
      const { mv, sqlite } = o.both(sql, ['t', 'u', 'w']);
      expect({ sql, ...(mv as object) }).toEqual({ sql, ...(sqlite as object) });
    };
    write('UPDATE t SET a = 0 FROM (u JOIN w ON w.tid = u.tid) WHERE u.tid = t.id AND w.k = 2');
    write(
      'DELETE FROM w WHERE k IN (SELECT t.id FROM e RIGHT JOIN (t JOIN u ON u.tid = t.id) ON e.id = t.id)',
    );
  });
});
