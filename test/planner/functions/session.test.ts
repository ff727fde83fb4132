/** changes(), total_changes() and last_insert_rowid() follow the connection like SQLite's. */
import BetterSqlite3 from 'better-sqlite3';
import { connect } from '../../../src/index';

const STEPS = [
  'CREATE TABLE one (id INTEGER PRIMARY KEY)',
  'CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT UNIQUE, n INTEGER)',
  'INSERT INTO one (id) VALUES (1)',
  "INSERT INTO t (v, n) VALUES ('a', 1), ('b', 2), ('c', 3)",
  "INSERT INTO t (id, v, n) VALUES (10, 'd', 4)",
  "INSERT OR IGNORE INTO t (v, n) VALUES ('a', 9)",
  'UPDATE t SET n = n + 1 WHERE n >= 2',
  'DELETE FROM t WHERE id = 1',
  "INSERT OR REPLACE INTO t (id, v, n) VALUES (2, 'z', 0)",
  'UPDATE t SET n = n WHERE 0',
  "INSERT INTO t (v, n) VALUES ('e', changes())",
  "INSERT INTO t (v, n) VALUES ('f', last_insert_rowid())",
  'UPDATE t SET n = total_changes() WHERE id = 10',
];

test('the counters after every statement match SQLite, also as values inside INSERT and UPDATE', () => {
  const sqlite = new BetterSqlite3(':memory:');
  const conn = connect(':memory:', { autocommit: true, safeIntegers: true });
  const probe = 'SELECT changes(), total_changes(), last_insert_rowid() FROM one';
  try {
    for (const sql of STEPS) {
      sqlite.exec(sql);
      conn.execute(sql);
      const want = sqlite.prepare(probe).raw(true).get();
      const got = (conn.execute(probe).fetchOne() as unknown[] | null)?.map((v) => Number(v));
      expect({ sql, got }).toEqual({ sql, got: want });
    }
    const table = 'SELECT id, v, n FROM t ORDER BY id';
    const rows = conn.execute(table).fetchAll() as unknown[][];
    expect(rows.map((r) => r.map((v) => (typeof v === 'bigint' ? Number(v) : v)))).toEqual(
      sqlite.prepare(table).raw(true).all(),
    );
  } finally {
    conn.close();
    sqlite.close();
  }
});
