/**
 * `SELECT count(*) FROM t` is answered from the primary-key tree's size: one row read at most
 * (for bare columns), the same answer as SQLite through inserts, deletes, an open transaction,
 * a rollback and a cursor's snapshot.
 */
import BetterSqlite3 from 'better-sqlite3';
import { connect } from '../../src/index';

test('count(*) of a whole table reads no rows and agrees with SQLite', () => {
  const conn = connect(':memory:', { autocommit: false });
  const sqlite = new BetterSqlite3(':memory:');
  try {
    const cur = conn.cursor();
    const both = (sql: string, params: unknown[] = []): void => {
      cur.execute(sql, params);
      sqlite.prepare(sql).run(...params);
    };
    const check = (sql: string, maxRead = 1): void => {
      const ours = conn.cursor();
      const rows = ours.execute(sql).fetchAll();
      expect({ sql, rows }).toEqual({ sql, rows: sqlite.prepare(sql).raw(true).all() });
      expect(ours.executionStats?.rowsRead).toBeLessThanOrEqual(maxRead);
    };
    both('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
    check('SELECT count(*) FROM t');
    check('SELECT count(*), v FROM t');
    sqlite.exec('BEGIN');
    for (let i = 1; i <= 500; i++) both('INSERT INTO t VALUES (?, ?)', [i, `v${i}`]);
    check('SELECT count(*) FROM t');
    check('SELECT count(*) AS n, v, id FROM t');
    both('DELETE FROM t WHERE id % 3 = 0');
    check('SELECT count(*) FROM t');
    conn.commit();
    sqlite.exec('COMMIT');
    // A cursor's snapshot keeps its count while the table changes under it.
    const held = conn.cursor().execute('SELECT count(*) FROM t');
    cur.execute('INSERT INTO t VALUES (1000, ?)', ['late']);
    expect(held.fetchAll()).toEqual([[334]]);
    conn.rollback();
    check('SELECT count(*) FROM t');
    // Not the shortcut: these read rows (a filter, DISTINCT, a column argument).
    check('SELECT count(*) FROM t WHERE id > 490', 10);
    const c = conn.cursor();
    expect(c.execute('SELECT count(v) FROM t').fetchAll()).toEqual([[334]]);
    expect(c.executionStats?.rowsRead).toBe(334);
  } finally {
    conn.close();
    sqlite.close();
  }
});
