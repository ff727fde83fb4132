/**
 * Composite keys and indexes (issue 12, item 6) compared with better-sqlite3: `PRIMARY KEY (a, b)`,
 * `UNIQUE (a, b)`, `CREATE [UNIQUE] INDEX … (a, b DESC, …)`, descending index columns, conflicts
 * and UPSERT targets, and the answers of queries the planner serves from a leftmost prefix.
 */
import { Oracle } from '../helpers/sqlite-oracle';

let o: Oracle;
afterEach(() => o.close());

describe('descending index columns', () => {
  beforeEach(() => {
    o = new Oracle();
    o.exec(
      'CREATE TABLE t (id INTEGER PRIMARY KEY, c INTEGER, s TEXT)',
      "INSERT INTO t (id, c, s) VALUES (1, 5, 'e'), (2, NULL, 'x'), (3, 1, 'a'), (4, 5, 'f'), (5, 3, NULL)",
      'CREATE INDEX ic ON t (c DESC)',
      'CREATE UNIQUE INDEX isx ON t (s ASC)',
    );
  });

  test.each([
    'SELECT id, c FROM t ORDER BY c DESC, id',
    'SELECT id, c FROM t ORDER BY c, id',
    'SELECT id FROM t WHERE c > 2 ORDER BY c DESC, id LIMIT 2',
    'SELECT c FROM t WHERE c > 2 ORDER BY c DESC LIMIT 2',
    'SELECT id FROM t WHERE c = 5 ORDER BY id',
    'SELECT s FROM t WHERE s >= ? ORDER BY s DESC',
    "INSERT INTO t (id, c, s) VALUES (9, 0, 'a')",
  ])('%s', (sql) => {
    const r = o.both(sql, ['t'], sql.includes('?') ? ['b'] : []);
    expect(r.mv).toEqual(r.sqlite);
  });
});
