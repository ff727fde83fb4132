/**
 * A bound parameter compared with a column takes the column's affinity in that comparison, as in
 * SQLite (SQLITE-SEMANTICS.md §1): text that reads as a number matches an INTEGER, REAL or BOOLEAN
 * column's number; a number compared with a TEXT column is its text (a JS number as a REAL's,
 * `10` → '10.0', as better-sqlite3 binds it). The same answers through primary-key, index and
 * composite-index paths and through scans, for =, <, >, IN and BETWEEN, compared with
 * better-sqlite3; the parameter itself keeps its value elsewhere in the statement.
 */
import BetterSqlite3 from 'better-sqlite3';
import fc from 'fast-check';
import { connect } from '../../src/index';
import { normRow } from '../differential/normalize';

const DDL = [
  'CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, r REAL, s TEXT, f BOOLEAN)',
  'CREATE INDEX t_a ON t (a)',
  'CREATE INDEX t_s ON t (s)',
  'CREATE INDEX t_ar ON t (a, r)',
];
const ROWS = [
  [1, 0, 1.5, '1', 0],
  [2, 1, 2, '2', 1],
  [3, 2, 3, '10', 1],
  [4, 10, 10, '10.0', 0],
  [5, 5, -1, 'a', null],
  [6, null, null, null, 1],
  [7, -3, 0.25, ' 7 ', 0],
];

const value = fc.oneof(
  fc.constantFrom('1', '10', '10.0', ' 7 ', '2.5', '-3', 'a', '', '1e1', '0x10', 'abc'),
  fc.constantFrom(1, 10, 2.5, -3, 0, 0.25),
  fc.constantFrom(1n, 10n, -3n),
);
const column = fc.constantFrom('id', 'a', 'r', 's', 'f');
const hint = fc.constantFrom('', ' NOT INDEXED');
const shape = fc.constantFrom(
  (c: string) => `${c} = ?`,
  (c: string) => `? = ${c}`,
  (c: string) => `${c} < ?`,
  (c: string) => `${c} >= ?`,
  (c: string) => `${c} IN (?, ?)`,
  (c: string) => `${c} BETWEEN ? AND ?`,
  (c: string) => `${c} != ?`,
  (c: string) => `a = 2 AND r > ?`.replace('r', c === 'a' ? 'r' : c),
);

test('comparisons with a bound value of another storage class equal SQLite', () => {
  const conn = connect(':memory:', { safeIntegers: true });
  const sqlite = new BetterSqlite3(':memory:');
  sqlite.defaultSafeIntegers(true);
  try {
    for (const sql of DDL) {
      conn.execute(sql);
      sqlite.exec(sql);
    }
    conn.executeMany('INSERT INTO t VALUES (?, ?, ?, ?, ?)', ROWS);
    for (const r of ROWS) sqlite.prepare('INSERT INTO t VALUES (?, ?, ?, ?, ?)').run(...r);
    conn.commit();
    fc.assert(
      fc.property(column, shape, hint, value, value, (c, where, h, p1, p2) => {
        // A bigint against TEXT reads as an INTEGER's text ('10'), a number as a REAL's ('10.0'),
        // as better-sqlite3 binds them; `c === 's'` with a bigint checks the first.
        const cond = where(c);
        const params = (cond.match(/\?/g) ?? []).map((_, i) => (i === 0 ? p1 : p2));
        const sql = `SELECT id, ? AS p FROM t${h} WHERE ${cond} ORDER BY id`;
        const all = [p1, ...params];
        const want = (
          sqlite
            .prepare(sql)
            .raw()
            .all(...all) as unknown[][]
        ).map(normRow);
        const got = (conn.cursor().execute(sql, all).fetchAll() as unknown[][]).map(normRow);
        expect([sql, all, got]).toEqual([sql, all, want]);
      }),
      { numRuns: 600, seed: 20261306 },
    );
  } finally {
    conn.close();
    sqlite.close();
  }
});

test('SQLITE-SEMANTICS §1 table: TEXT and INTEGER columns against bound values', () => {
  const conn = connect(':memory:');
  const sqlite = new BetterSqlite3(':memory:');
  try {
    for (const db of [conn, sqlite] as const) {
      const run = (sql: string): unknown => ('exec' in db ? db.exec(sql) : conn.execute(sql));
      run('CREATE TABLE m (id INTEGER PRIMARY KEY, tt TEXT, ti INTEGER)');
      run("INSERT INTO m VALUES (1, '10', 10), (2, '10.0', NULL)");
    }
    conn.commit();
    const cases: [string, unknown[], number[]][] = [
      ['tt = ?', [10], [2]],
      ['tt = ?', ['10'], [1]],
      ['ti = ?', ['10'], [1]],
      ['ti = ?', ['10.0'], [1]],
      ['tt IN (?, ?)', [10, 7], [2]],
      // better-sqlite3 binds a bigint as INTEGER: its text is '10', also within ±2^53.
      ['tt = ?', [10n], [1]],
      ['tt IN (?, ?)', [7n, 10n], [1]],
      ['tt = ? OR tt = ?', [10n, 10], [1, 2]],
    ];
    // A derived table's column keeps its column's affinity; one computed by an expression has none.
    for (const [sql, params] of [
      ['SELECT id FROM (SELECT id, ti FROM m) WHERE ti = ?', ['10']],
      ['SELECT id FROM (SELECT id, ti + 0 AS e FROM m) WHERE e = ?', ['10']],
      ['SELECT id FROM (SELECT id, ti + 0 AS e FROM m) WHERE e < ? ORDER BY id', ['5']],
      ['SELECT id FROM (SELECT id, CAST(ti AS TEXT) AS e FROM m) WHERE e = ?', [10]],
    ] as [string, unknown[]][])
      expect([sql, conn.cursor().execute(sql, params).fetchAll()]).toEqual([
        sql,
        sqlite
          .prepare(sql)
          .raw()
          .all(...params),
      ]);
    for (const [cond, params, ids] of cases) {
      const sql = `SELECT id FROM m WHERE ${cond} ORDER BY id`;
      const want = (
        sqlite
          .prepare(sql)
          .raw()
          .all(...params) as number[][]
      ).map((r) => r[0]);
      expect(want).toEqual(ids);
      expect((conn.cursor().execute(sql, params).fetchAll() as number[][]).map((r) => r[0])).toEqual(ids);
    }
  } finally {
    conn.close();
    sqlite.close();
  }
});
