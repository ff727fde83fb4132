/**
 * UPDATE changes rows one at a time and checks each against the table as it is by then, so a
 * key shifted onto another row's UNIQUE value clashes or not depending on the order: rows are
 * updated in primary-key order, as SQLite's full-table UPDATE does, whatever index found them.
 */
import { Oracle } from '../helpers/sqlite-oracle';

let o: Oracle;
beforeEach(() => {
  o = new Oracle();
  o.exec(
    'CREATE TABLE t (id INTEGER PRIMARY KEY, u INTEGER NOT NULL, v INTEGER)',
    'CREATE UNIQUE INDEX t_u ON t (u)',
    'CREATE INDEX t_v ON t (v)',
    'INSERT INTO t VALUES (1, 3, 10), (2, 2, 20), (3, 1, 30), (4, 10, 40), (5, 20, 50)',
  );
});
afterEach(() => o.close());

test.each([
  // Row 1 (u 3 -> 2) meets row 2's u = 2 first: SQLite fails the statement, nothing changes.
  'UPDATE t SET u = u - 1',
  'UPDATE t SET u = u - 1 WHERE u > 0',
  'UPDATE t SET u = u - 1 WHERE v >= 10',
  // Shifting up in id order never meets a row not yet moved here.
  'UPDATE t SET u = u + 100',
  'UPDATE t SET u = u - 1 WHERE id >= 4',
])('%s', (sql) => {
  const { mv, sqlite } = o.both(sql, ['t']);
  expect(mv).toEqual(sqlite);
});
