/**
 * A write statement executed again reuses the physical plan that finds its rows until the catalog
 * changes (planner/write.ts accessPlan), and reads them through a view its own writes need not
 * copy around (Engine.transientView). Answers are compared with better-sqlite3; work is counted
 * (plans made, tree entries copied), not timed.
 */
import BetterSqlite3 from 'better-sqlite3';
import { connect } from '../../src/index';
import type { Connection } from '../../src/index';
import * as run from '../../planner/run';

const DDL = [
  'CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, b TEXT UNIQUE)',
  'CREATE INDEX t_a ON t (a)',
];
const ROWS = 1000;

let conn: Connection;
let sqlite: BetterSqlite3.Database;

beforeEach(() => {
  conn = connect(':memory:');
  sqlite = new BetterSqlite3(':memory:');
  for (const sql of DDL) {
    conn.execute(sql);
    sqlite.exec(sql);
  }
  const rows = Array.from({ length: ROWS }, (_, i) => [
    i + 1,
    i % 37,
    i === 30 || i === 31 ? String(i) : `b${i}`,
  ]);
  conn.cursor().executeMany('INSERT INTO t VALUES (?, ?, ?)', rows);
  conn.commit();
  const ins = sqlite.prepare('INSERT INTO t VALUES (?, ?, ?)');
  for (const r of rows) ins.run(...r);
});
afterEach(() => {
  conn.close();
  sqlite.close();
});

/** Run a write on both engines: the same row counts. */
function write(sql: string, params: unknown[] = []): void {
  const cur = conn.cursor().execute(sql, params);
  expect(cur.rowCount).toBe(sqlite.prepare(sql).run(...params).changes);
}

function sameTable(): void {
  expect(conn.cursor().execute('SELECT * FROM t ORDER BY id').fetchAll()).toEqual(
    sqlite.prepare('SELECT * FROM t ORDER BY id').raw().all(),
  );
}

describe('write statements executed again', () => {
  test('a repeated UPDATE and DELETE are planned once while the catalog stands', () => {
    const plans = jest.spyOn(run, 'physicalPlan');
    try {
      for (let i = 1; i <= 50; i++) write('UPDATE t SET a = a + 1 WHERE id = ?', [i * 7]);
      expect(plans.mock.calls.length).toBe(1);
      plans.mockClear();
      for (let i = 1; i <= 50; i++) write('DELETE FROM t WHERE id = ?', [i * 11]);
      expect(plans.mock.calls.length).toBe(1);
    } finally {
      plans.mockRestore();
    }
    sameTable();
  });

  test('a write by one primary key finds its row without opening a query, as SQLite converts the key', () => {
    const opened = jest.spyOn(run, 'openResult');
    try {
      const keys: unknown[] = [7, '8', 9.0, 10.5, ' 11', '12abc', null, ROWS + 5, 2 ** 53, -3, 13n, '1e1'];
      for (const key of keys) write('UPDATE t SET a = a + 100 WHERE id = ?', [key]);
      for (const key of keys) write('DELETE FROM t WHERE id = ?', [key]);
      // By a UNIQUE column: text affinity makes 30 the text '30'.
      const texts: unknown[] = ['b17', 'b18', null, 'nope', 30, 'B19', 31.0, Buffer.from('b20')];
      for (const key of texts) write('UPDATE t SET a = a - 100 WHERE b = ?', [key]);
      for (const key of texts) write('DELETE FROM t WHERE b = ?', [key]);
      // Planned (and run as a query) at their first execution only.
      expect(opened.mock.calls.length).toBe(4);
      opened.mockClear();
      // Anything more than the key is a query each time.
      for (const key of [20, 21]) write('UPDATE t SET a = 0 WHERE id = ? AND a > 3', [key]);
      expect(opened.mock.calls.length).toBe(2);
    } finally {
      opened.mockRestore();
    }
    sameTable();
  });

  test('a point write on a NOCASE text key works on the stored key', () => {
    for (const sql of [
      'CREATE TABLE u (k TEXT PRIMARY KEY COLLATE NOCASE, v INTEGER)',
      "INSERT INTO u VALUES ('abc', 1), ('Def', 2), ('ghi', 3)",
    ]) {
      conn.execute(sql);
      sqlite.exec(sql);
    }
    for (const [sql, key] of [
      ['UPDATE u SET v = v + 10 WHERE k = ? RETURNING k, v', 'ABC'],
      ['UPDATE u SET v = v + 10 WHERE k = ? RETURNING k, v', 'def'],
      ['UPDATE u SET k = upper(k) WHERE k = ? RETURNING k, v', 'GHI'],
      ['UPDATE u SET v = v + 10 WHERE k = ? RETURNING k, v', 'ghi'],
      ['DELETE FROM u WHERE k = ? RETURNING k, v', 'ABC'],
      ['DELETE FROM u WHERE k = ? RETURNING k, v', 'xyz'],
    ]) {
      expect(conn.cursor().execute(sql, [key]).fetchAll()).toEqual(sqlite.prepare(sql).raw().all(key));
    }
    expect(conn.cursor().execute('SELECT * FROM u ORDER BY k').fetchAll()).toEqual(
      sqlite.prepare('SELECT * FROM u ORDER BY k').raw().all(),
    );
  });

  test('CREATE INDEX and DROP INDEX between executions plan the write again', () => {
    const sql = 'UPDATE t SET b = b || ? WHERE a = ?';
    const plans = jest.spyOn(run, 'physicalPlan');
    try {
      write(sql, ['x', 3]);
      write(sql, ['y', 4]);
      expect(plans.mock.calls.length).toBe(1);
      for (const ddl of ['DROP INDEX t_a', 'CREATE INDEX t_a2 ON t (a, id)', 'DROP INDEX t_a2']) {
        conn.execute(ddl);
        sqlite.exec(ddl);
        plans.mockClear();
        write(sql, ['z', 5]);
        write(sql, ['w', 6]);
        expect(plans.mock.calls.length).toBe(1);
      }
    } finally {
      plans.mockRestore();
    }
    sameTable();
  });

  test('writes whose WHERE reads the table they change, executed again, equal SQLite', () => {
    for (let k = 0; k < 4; k++) {
      write('UPDATE t SET a = a + 40 WHERE a < (SELECT avg(a) FROM t WHERE id > ?)', [k * 100]);
      write('DELETE FROM t WHERE id IN (SELECT id FROM t WHERE a = ? ORDER BY id LIMIT 3)', [k + 38]);
      write('UPDATE t SET a = (SELECT max(a) FROM t) - a WHERE id % 50 = ?', [k]);
      sameTable();
    }
  });

  test('a failing UPDATE leaves the table and an open cursor as they were', () => {
    // Rows written in this transaction first: the cursor's view then shares the leaves these
    // writes made, which the updates below must copy, not change in place.
    for (let i = 1; i <= 200; i++) write('UPDATE t SET a = ? WHERE id = ?', [i, i * 3]);
    const reader = conn.cursor().execute('SELECT id, a, b FROM t ORDER BY id');
    const first = reader.fetchMany(10);
    const before = sqlite.prepare('SELECT id, a, b FROM t ORDER BY id').raw().all();
    for (let i = 1; i <= 200; i++) write('UPDATE t SET a = ? WHERE id = ?', [-i, i * 3]);
    // The second row it reaches takes b1's value: the statement is undone, the earlier ones stay.
    expect(() => conn.cursor().execute("UPDATE t SET b = 'b1' WHERE id > 500")).toThrow(/UNIQUE/);
    expect(() => sqlite.prepare("UPDATE t SET b = 'b1' WHERE id > 500").run()).toThrow(/UNIQUE/);
    sameTable();
    // The cursor opened before the updates reads the table as it was then.
    expect([...first, ...reader.fetchAll()]).toEqual(before);
  });

  test('point UPDATEs in one transaction copy each tree leaf once, not once a statement', () => {
    const state = conn.database.storage.collection('t');
    if (!state) throw new Error('no table t');
    const trees = [state.pk, ...state.indexes.map((ix) => ix.tree)];
    const before = trees.map((t) => t.copiedEntries);
    for (let k = 0; k < 400; k++) write('UPDATE t SET a = ? WHERE id = ?', [k % 37, 1 + ((k * 389) % ROWS)]);
    const copied = trees.reduce((n, t, i) => n + t.copiedEntries - before[i], 0);
    expect(copied).toBeGreaterThan(0);
    // One copy of each leaf after the last commit's snapshot: a few times the rows at most
    // (a statement's frozen view made every UPDATE copy a path of every tree it wrote: ~400 leaves).
    expect(copied).toBeLessThanOrEqual(3 * ROWS);
    conn.commit();
    sameTable();
  });
});
