/**
 * Functions that compare their arguments (nullif, scalar min and max) use the collation of the
 * first argument that has one (a column's, or an explicit COLLATE), as SQLite: compared with
 * better-sqlite3.
 */
import { Oracle } from '../helpers/sqlite-oracle';

let o: Oracle;
beforeAll(() => {
  o = new Oracle();
  o.exec(
    'CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT COLLATE NOCASE, b TEXT, r TEXT COLLATE RTRIM)',
    "INSERT INTO t VALUES (1, 'b', 'B', 'x  '), (2, 'Q', 'q', 'y'), (3, NULL, 'z', NULL)",
  );
});
afterAll(() => o.close());

test.each([
  'SELECT id, nullif(a, b), nullif(b, a), nullif(b COLLATE NOCASE, a), nullif(a, b COLLATE BINARY) FROM t ORDER BY id',
  "SELECT id, nullif('x', 'X' COLLATE NOCASE), nullif('B', a), nullif(r, 'x'), nullif('x', r) FROM t ORDER BY id",
  'SELECT id, max(a, b), min(a, b), max(b, a), min(b, a), max(b COLLATE NOCASE, a) FROM t ORDER BY id',
])('%s', (sql) => {
  const r = o.both(sql, []);
  expect(r.mv).toEqual(r.sqlite);
});
