/**
 * ORDER BY inside an aggregate call (SQLite 3.44: `group_concat(x, ',' ORDER BY y DESC)`): the
 * aggregate sees its input in that order, ties in input order; DISTINCT drops repeats in input
 * order before the sort; NULLS FIRST/LAST, collations, GROUP BY, HAVING, FILTER and
 * correlated subqueries work as in SQLite. Generated queries are compared with better-sqlite3.
 */
import BetterSqlite3 from 'better-sqlite3';
import fc from 'fast-check';
import { connect } from '../../src/index';

const DDL =
  'CREATE TABLE t (id INTEGER PRIMARY KEY, g INTEGER, n INTEGER, x REAL, s TEXT, c TEXT COLLATE NOCASE)';

const CALLS = [
  (o: string) => `group_concat(s ${o})`,
  (o: string) => `group_concat(c, '|' ${o})`,
  (o: string) => `string_agg(s, '-' ${o})`,
  (o: string) => `group_concat(DISTINCT c ${o})`,
  (o: string) => `json_group_array(n ${o})`,
  (o: string) => `json_group_object(s, x ${o})`,
  (o: string) => `sum(x ${o})`,
  (o: string) => `max(s ${o})`,
  (o: string) => `count(DISTINCT n ${o})`,
  (o: string) => `group_concat(n ${o}) FILTER (WHERE x > 0)`,
];
const KEYS = ['n', 'x', 's', 'c', 'c COLLATE BINARY', 'id', 'g + n', '1'];
const DIRS = ['', ' ASC', ' DESC', ' NULLS FIRST', ' DESC NULLS LAST', ' ASC NULLS LAST'];

const orderClause = fc
  .array(fc.tuple(fc.constantFrom(...KEYS), fc.constantFrom(...DIRS)), { minLength: 1, maxLength: 3 })
  .map((terms) => `ORDER BY ${terms.map(([k, d]) => `${k}${d}`).join(', ')}`);

const query = fc.record({
  calls: fc.array(fc.tuple(fc.nat(CALLS.length - 1), orderClause), { minLength: 1, maxLength: 3 }),
  grouped: fc.boolean(),
  having: fc.boolean(),
});

const row = fc.tuple(
  fc.option(fc.integer({ min: 0, max: 3 }), { nil: null }),
  fc.option(fc.integer({ min: -5, max: 5 }), { nil: null }),
  fc.option(fc.constantFrom(-1.5, 0, 2, 2.25, 10), { nil: null }),
  fc.option(fc.constantFrom('a', 'B', 'b', 'A', 'c', ''), { nil: null }),
  fc.option(fc.constantFrom('a', 'B', 'b', 'A', 'c'), { nil: null }),
);

test('ordered aggregates equal SQLite on generated data and queries', () => {
  fc.assert(
    fc.property(
      fc.array(row, { maxLength: 25 }),
      fc.array(query, { minLength: 1, maxLength: 6 }),
      (rows, queries) => {
        const conn = connect(':memory:');
        const sqlite = new BetterSqlite3(':memory:');
        try {
          conn.execute(DDL);
          sqlite.exec(DDL);
          const values = rows.map((r, i) => [i + 1, ...r]);
          if (values.length > 0) {
            conn.executeMany('INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)', values);
            const ins = sqlite.prepare('INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)');
            for (const v of values) ins.run(...v);
          }
          conn.commit();
          for (const q of queries) {
            const list = q.calls.map(([c, o]) => CALLS[c](o)).join(', ');
            const sql = q.grouped
              ? `SELECT g, ${list} FROM t GROUP BY g${q.having ? ` HAVING ${CALLS[q.calls[0][0]](q.calls[0][1])} IS NOT NULL` : ''} ORDER BY g`
              : `SELECT ${list} FROM t`;
            const want = sqlite.prepare(sql).raw().all();
            expect([sql, conn.cursor().execute(sql).fetchAll()]).toEqual([sql, want]);
          }
        } finally {
          conn.close();
          sqlite.close();
        }
      },
    ),
    { numRuns: 150, seed: 20261304 },
  );
});

/** `t` holding `values` in ModelVault and in SQLite, both closed after `body`. */
function withTables(
  values: unknown[][],
  body: (conn: ReturnType<typeof connect>, sqlite: BetterSqlite3.Database) => void,
): void {
  const conn = connect(':memory:');
  const sqlite = new BetterSqlite3(':memory:');
  try {
    conn.execute(DDL);
    sqlite.exec(DDL);
    conn.executeMany('INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)', values);
    for (const v of values) sqlite.prepare('INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)').run(...v);
    conn.commit();
    body(conn, sqlite);
  } finally {
    conn.close();
    sqlite.close();
  }
}

const SMALL = [
  [1, 1, 3, 1.5, 'p', 'x'],
  [2, 1, 1, null, 'q', 'X'],
  [3, 2, 2, 2, 'r', null],
];

test('a correlated subquery, EXPLAIN, and the errors SQLite gives', () => {
  withTables([...SMALL, [4, 2, null, 0, 's', 'y']], (conn, sqlite) => {
    const sql =
      'SELECT id, (SELECT group_concat(u.s ORDER BY u.n DESC) FROM t u WHERE u.g = t.g) FROM t ORDER BY id';
    expect(conn.cursor().execute(sql).fetchAll()).toEqual(sqlite.prepare(sql).raw().all());
    const plan = (
      conn
        .cursor()
        .execute('EXPLAIN SELECT group_concat(s ORDER BY n DESC NULLS FIRST) FROM t')
        .fetchAll() as string[][]
    ).map((r) => r[0]);
    expect(plan.join('\n')).toContain('GROUP_CONCAT(s ORDER BY n DESC NULLS FIRST)');
    for (const bad of [
      'SELECT upper(s ORDER BY n) FROM t',
      'SELECT group_concat(s ORDER BY n) OVER () FROM t',
    ]) {
      let want = '';
      try {
        sqlite.prepare(bad).raw().all();
      } catch (e) {
        want = (e as Error).message;
      }
      expect(want).not.toBe('');
      expect(() => conn.cursor().execute(bad).fetchAll()).toThrow(want);
    }
  });
});

test('an ORDER BY in a call without arguments is parsed and dropped, as SQLite does', () => {
  withTables(SMALL, (conn, sqlite) => {
    for (const sql of [
      // The ORDER BY neither orders nor is resolved (`zz` names no column).
      'SELECT id, row_number(ORDER BY n DESC) OVER () FROM t ORDER BY id',
      'SELECT id, rank(ORDER BY zz) OVER (ORDER BY n) FROM t ORDER BY id',
      'SELECT count(ORDER BY s), count(ORDER BY s) OVER () FROM t',
      'SELECT id, dense_rank(ORDER BY n, s DESC) OVER () FROM t ORDER BY id',
    ])
      expect(conn.cursor().execute(sql).fetchAll()).toEqual(sqlite.prepare(sql).raw().all());
  });
});
