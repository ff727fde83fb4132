/**
 * LIMIT … OFFSET over a table or index walk (planner/execute.ts Limit, Source.skip): the rows the
 * OFFSET passes over are stepped over in the walk, not read, and their result columns are not
 * computed — as in SQLite, where a skipped row's `abs(-9223372036854775808)` raises nothing.
 * Answers are compared with better-sqlite3; rows read are counted (Cursor.executionStats).
 */
import BetterSqlite3 from 'better-sqlite3';
import fc from 'fast-check';
import { connect } from '../../src/index';
import type { Connection } from '../../src/index';

const DDL = [
  'CREATE TABLE t (id INTEGER PRIMARY KEY, k TEXT UNIQUE, n INTEGER, x INTEGER)',
  'CREATE INDEX t_n ON t (n)',
  'CREATE INDEX t_n_desc ON t (x DESC)',
];
const ROWS = 3000;

let conn: Connection;
let sqlite: BetterSqlite3.Database;

beforeAll(() => {
  conn = connect(':memory:', { autocommit: true, safeIntegers: true });
  sqlite = new BetterSqlite3(':memory:');
  sqlite.defaultSafeIntegers(true);
  for (const sql of DDL) {
    conn.execute(sql);
    sqlite.exec(sql);
  }
  // Keys in random order; NULLs in the indexed columns; one value abs() cannot take.
  const rows = Array.from({ length: ROWS }, (_, i) => [
    i + 1,
    i % 97 === 5 ? null : `k${(i * 7919) % ROWS}`,
    i % 13 === 0 ? null : (i * 31) % 200,
    i === 10 ? -9223372036854775808n : BigInt((i * 17) % 500),
  ]);
  conn.cursor().executeMany('INSERT INTO t VALUES (?, ?, ?, ?)', rows);
  const ins = sqlite.prepare('INSERT INTO t VALUES (?, ?, ?, ?)');
  for (const r of rows) ins.run(...r);
});
afterAll(() => {
  conn.close();
  sqlite.close();
});

/** A statement's rows, or the error it raised (compared by whether one was raised: better-sqlite3's
 * errors come from the realm that first loaded it, so `instanceof Error` fails in later files). */
type Outcome = { rows: unknown[][] } | { error: unknown };

function outcome(run: () => unknown[][]): Outcome {
  try {
    return { rows: run() };
  } catch (error) {
    return { error };
  }
}

/** `sql` on both engines; the same rows (ModelVault's integers compared as SQLite's bigints). */
function same(sql: string, params: unknown[]): unknown[][] {
  const got = outcome(() => conn.cursor().execute(sql, params).fetchAll() as unknown[][]);
  const want = outcome(
    () =>
      sqlite
        .prepare(sql)
        .raw()
        .all(...params) as unknown[][],
  );
  if ('error' in want) {
    expect('error' in got).toBe(true);
    return [];
  }
  if ('error' in got) throw got.error;
  const norm = (rows: unknown[][]): unknown[][] =>
    rows.map((r) => r.map((v) => (typeof v === 'number' && Number.isInteger(v) ? BigInt(v) : v)));
  expect(norm(got.rows)).toEqual(want.rows);
  return got.rows;
}

const WALKS = [
  'SELECT * FROM t',
  'SELECT * FROM t ORDER BY id DESC',
  'SELECT id, k FROM t WHERE id > 100 ORDER BY id',
  'SELECT * FROM t ORDER BY k',
  'SELECT k, id FROM t ORDER BY k DESC',
  'SELECT * FROM t WHERE n > 50 ORDER BY n',
  'SELECT id, n FROM t ORDER BY n DESC, id DESC',
  'SELECT * FROM t WHERE x < 300 ORDER BY x DESC',
  'SELECT abs(x), id FROM t ORDER BY id',
  'SELECT abs(x) FROM t ORDER BY x',
  'SELECT abs(x), n FROM t WHERE n IS NOT NULL ORDER BY n',
  // One key's entries, located through the key group's remembered locations.
  'SELECT * FROM t WHERE n = 62',
  'SELECT id, k FROM t WHERE n = 31 ORDER BY id',
];

describe('LIMIT … OFFSET over walks', () => {
  test('property: every walk, any LIMIT and OFFSET, equals SQLite', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...WALKS),
        fc.integer({ min: -2, max: 60 }),
        fc.oneof(fc.integer({ min: -3, max: ROWS + 10 }), fc.constantFrom(0, 1, 9, 10, 11, ROWS - 1, ROWS)),
        (walk, limit, offset) => {
          same(`${walk} LIMIT ? OFFSET ?`, [limit, offset]);
        },
      ),
      { numRuns: 300, seed: 20262203 },
    );
  });

  test("skipped rows' result columns are not computed, as in SQLite", () => {
    // Row 11 holds -2^63: abs() of it is an error wherever it is computed.
    for (const walk of [
      'SELECT abs(x) FROM t ORDER BY id',
      'SELECT abs(x) FROM t ORDER BY x',
      'SELECT abs(x) FROM t',
    ]) {
      expect(same(`${walk} LIMIT 3 OFFSET 2000`, [])).toHaveLength(3);
    }
    expect(() =>
      conn.cursor().execute('SELECT abs(x) FROM t ORDER BY id LIMIT 3 OFFSET 9').fetchAll(),
    ).toThrow(/overflow/);
  });

  test('the rows an OFFSET passes over are not read', () => {
    for (const walk of [
      'SELECT * FROM t',
      'SELECT * FROM t ORDER BY id DESC',
      'SELECT * FROM t ORDER BY k',
      'SELECT * FROM t WHERE n > 50 ORDER BY n',
    ]) {
      const cur = conn.cursor().execute(`${walk} LIMIT 20 OFFSET 1500`);
      expect(cur.fetchAll()).toHaveLength(20);
      expect(cur.executionStats?.rowsRead).toBeLessThanOrEqual(20);
    }
    const group = conn.cursor().execute('SELECT * FROM t WHERE n = 62 LIMIT 3 OFFSET 10');
    expect(group.fetchAll()).toHaveLength(3);
    expect(group.executionStats?.rowsRead).toBeLessThanOrEqual(3);
  });
});
