/**
 * Whole-table aggregates folded from column vectors (planner/column-aggregate.ts): COUNT, SUM,
 * TOTAL, AVG, MIN and MAX over numeric columns, with or without a numeric WHERE, read a leaf's
 * values at once from the scan memo (warm leaves) or the column pages stored beside checkpoint
 * pages (cold leaves) instead of reading rows. Answers are compared with better-sqlite3 exactly
 * (a REAL sum must add in SQLite's order), through writes, checkpoints and reopens; the folding
 * itself is counted.
 */
import BetterSqlite3 from 'better-sqlite3';
import fc from 'fast-check';
import { connect } from '../../src/index';
import type { Connection } from '../../src/index';
import { columnAggregateStats } from '../../planner/column-aggregate';
import { tmpDir } from '../helpers/tmp';

const DDL = 'CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER, x REAL, s TEXT)';
const FNS = ['count', 'sum', 'total', 'avg', 'min', 'max'];
const COLS = ['n', 'x', 'id'];
const WHERES = ['', ' WHERE x > ?', ' WHERE n <= ? AND x < 500', ' WHERE n != ?', ' WHERE id > ?'];

/** Exact equality, -0 and 0 apart (SQLite prints both as 0.0 but keeps neither sign in a sum). */
function exact(a: unknown[][], b: unknown[][]): void {
  expect(a.map((r) => r.map((v) => (Object.is(v, -0) ? 0 : v)))).toEqual(
    b.map((r) => r.map((v) => (Object.is(v, -0) ? 0 : v))),
  );
}

function both(
  conn: Connection,
  sqlite: BetterSqlite3.Database,
  sql: string,
  params: unknown[] = [],
): unknown[][] {
  let want: unknown[][] = [];
  // A flag, not instanceof: better-sqlite3's errors may come from another realm under jest.
  let failure: { message: string } | null = null;
  try {
    want = sqlite
      .prepare(sql)
      .raw()
      .all(...params) as unknown[][];
  } catch (e) {
    failure = { message: String((e as { message?: unknown }).message) };
  }
  if (failure !== null) {
    expect(() => conn.cursor().execute(sql, params).fetchAll()).toThrow(failure.message);
    return [];
  }
  let got: unknown[][];
  try {
    got = conn.cursor().execute(sql, params).fetchAll() as unknown[][];
  } catch (e) {
    throw new Error(
      `${sql} ${JSON.stringify(params)}: ${(e as Error).message}; SQLite: ${JSON.stringify(want, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))}`,
    );
  }
  exact(got, want);
  return got;
}

const xValue = fc.oneof(
  fc.constantFrom(null, 0.5, -0.25, 1e16, -1e16, 3, 0.1, 123.45, -0),
  fc.double({ min: -1e6, max: 1e6, noNaN: true }),
);
const nValue = fc.oneof(
  fc.constantFrom(null, 0, -1, 2 ** 52, -(2 ** 52)),
  fc.integer({ min: -1000, max: 1000 }),
);

type Op =
  | { kind: 'query'; fns: [string, string][]; where: number; arg: number }
  | { kind: 'insert'; count: number; n: number | null; x: number | null }
  | { kind: 'update'; id: number; x: number | null }
  | { kind: 'delete'; id: number }
  | { kind: 'commit' }
  | { kind: 'rollback' }
  | { kind: 'checkpoint' }
  | { kind: 'reopen' };

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    arbitrary: fc.record({
      kind: fc.constant('query' as const),
      fns: fc.array(fc.tuple(fc.constantFrom(...FNS), fc.constantFrom(...COLS, '*')), {
        minLength: 1,
        maxLength: 4,
      }),
      where: fc.nat(WHERES.length - 1),
      arg: fc.integer({ min: -10, max: 900 }),
    }),
    weight: 8,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('insert' as const),
      count: fc.integer({ min: 1, max: 400 }),
      n: nValue,
      x: xValue,
    }),
    weight: 3,
  },
  {
    arbitrary: fc.record({ kind: fc.constant('update' as const), id: fc.nat(3000), x: xValue }),
    weight: 2,
  },
  { arbitrary: fc.record({ kind: fc.constant('delete' as const), id: fc.nat(3000) }), weight: 1 },
  { arbitrary: fc.constant({ kind: 'commit' as const }), weight: 1 },
  { arbitrary: fc.constant({ kind: 'rollback' as const }), weight: 1 },
  { arbitrary: fc.constant({ kind: 'checkpoint' as const }), weight: 1 },
  { arbitrary: fc.constant({ kind: 'reopen' as const }), weight: 1 },
);

describe('whole-table aggregates folded from column vectors', () => {
  const tmp = tmpDir();
  afterAll(() => tmp.cleanup());

  test('equal SQLite exactly through writes, checkpoints and reopens', () => {
    const before = { ...columnAggregateStats };
    fc.assert(
      fc.property(fc.array(op, { minLength: 5, maxLength: 40 }), (ops) => {
        const file = tmp.file();
        // Integer sums past 2^53 arrive as bigint from both.
        let conn = connect(file, { safeIntegers: true });
        const sqlite = new BetterSqlite3(':memory:');
        sqlite.defaultSafeIntegers(true);
        try {
          conn.cursor().execute(DDL);
          sqlite.exec(DDL);
          // A base large enough for several leaves and checkpoint pages.
          let next = 1;
          const insert = (count: number, n: number | null, x: number | null): void => {
            const rows = Array.from({ length: count }, (_, i) => [
              next + i,
              n === null || i % 5 === 0 ? (i % 11 === 0 ? null : (next + i) % 97) : n,
              x === null || i % 3 === 0 ? (i % 13 === 0 ? null : (((next + i) * 37) % 1000) + 0.25) : x,
              `s${i % 7}`,
            ]);
            next += count;
            write();
            conn.cursor().executeMany('INSERT INTO t VALUES (?, ?, ?, ?)', rows);
            const ins = sqlite.prepare('INSERT INTO t VALUES (?, ?, ?, ?)');
            for (const r of rows) ins.run(...r);
          };
          // Writes stay in an open transaction until a commit or rollback: reads between them see
          // rows moved inside leaves the scan memo already describes.
          const write = (): void => {
            if (!sqlite.inTransaction) sqlite.exec('BEGIN');
          };
          const end = (commit: boolean): void => {
            if (commit) conn.commit();
            else conn.rollback();
            if (sqlite.inTransaction) sqlite.exec(commit ? 'COMMIT' : 'ROLLBACK');
          };
          insert(1500, 7, 2.5);
          end(true);
          for (const o of ops) {
            switch (o.kind) {
              case 'query': {
                const list = o.fns.map(([f, c]) => (c === '*' ? 'count(*)' : `${f}(${c})`)).join(', ');
                const where = WHERES[o.where];
                const sql = `SELECT ${list} FROM t${where}`;
                both(conn, sqlite, sql, where.includes('?') ? [o.arg] : []);
                break;
              }
              case 'insert':
                insert(o.count, o.n, o.x);
                break;
              case 'update':
                write();
                conn.cursor().execute('UPDATE t SET x = ? WHERE id = ?', [o.x, o.id]);
                sqlite.prepare('UPDATE t SET x = ? WHERE id = ?').run(o.x, o.id);
                break;
              case 'delete':
                write();
                conn.cursor().execute('DELETE FROM t WHERE id = ?', [o.id]);
                sqlite.prepare('DELETE FROM t WHERE id = ?').run(o.id);
                break;
              case 'commit':
              case 'rollback':
                end(o.kind === 'commit');
                break;
              case 'checkpoint':
                end(true);
                conn.database.checkpoint();
                break;
              case 'reopen':
                end(true);
                conn.close();
                conn = connect(file, { safeIntegers: true });
                break;
            }
          }
        } finally {
          conn.close();
          sqlite.close();
        }
      }),
      { numRuns: 40, seed: 20261303 },
    );
    // Both kinds of vectors were folded, and rows no vector described were added one by one.
    expect(columnAggregateStats.folded).toBeGreaterThan(before.folded + 100);
    expect(columnAggregateStats.values).toBeGreaterThan(before.values + 100_000);
    expect(columnAggregateStats.rows).toBeGreaterThan(before.rows);
  });

  test('a cold aggregate reads no row: the column pages are folded', () => {
    const file = tmp.file();
    const conn = connect(file);
    const sqlite = new BetterSqlite3(':memory:');
    try {
      conn.cursor().execute(DDL);
      sqlite.exec(DDL);
      const rows = Array.from({ length: 5000 }, (_, i) => [
        i + 1,
        i % 10 === 0 ? null : i,
        (i % 1000) / 8,
        's',
      ]);
      conn.cursor().executeMany('INSERT INTO t VALUES (?, ?, ?, ?)', rows);
      const ins = sqlite.prepare('INSERT INTO t VALUES (?, ?, ?, ?)');
      for (const r of rows) ins.run(...r);
      conn.commit();
      conn.close();
      for (const [sql, params] of [
        ['SELECT sum(x), count(n), max(n), min(x), avg(x), total(n) FROM t', []],
        ['SELECT sum(x), count(*) FROM t WHERE n > ?', [2000]],
      ] as [string, unknown[]][]) {
        const cold = connect(file, { readOnly: true, cacheBytes: 0 });
        try {
          const before = { ...columnAggregateStats };
          both(cold, sqlite, sql, params);
          expect(columnAggregateStats.folded).toBe(before.folded + 1);
          // The first leaf is reached by a descent and read as rows; every later one is folded.
          expect(columnAggregateStats.rows - before.rows).toBeLessThan(1000);
          expect(columnAggregateStats.values - before.values).toBeGreaterThan(2500);
        } finally {
          cold.close();
        }
      }
    } finally {
      sqlite.close();
    }
  });

  test('a warm aggregate folds the scan memo: the second run reads no row', () => {
    const conn = connect(':memory:');
    const sqlite = new BetterSqlite3(':memory:');
    try {
      conn.cursor().execute(DDL);
      sqlite.exec(DDL);
      const rows = Array.from({ length: 3000 }, (_, i) => [i + 1, i, i * 0.1, 's']);
      conn.cursor().executeMany('INSERT INTO t VALUES (?, ?, ?, ?)', rows);
      const ins = sqlite.prepare('INSERT INTO t VALUES (?, ?, ?, ?)');
      for (const r of rows) ins.run(...r);
      conn.commit();
      const sql = 'SELECT sum(x), max(n) FROM t WHERE n >= 10';
      both(conn, sqlite, sql);
      const before = { ...columnAggregateStats };
      both(conn, sqlite, sql);
      expect(columnAggregateStats.rows).toBe(before.rows);
      expect(columnAggregateStats.values - before.values).toBe(2990);
    } finally {
      conn.close();
      sqlite.close();
    }
  });

  test('integer overflow, bare columns and other columns are answered as SQLite does', () => {
    const conn = connect(':memory:', { safeIntegers: true });
    const sqlite = new BetterSqlite3(':memory:');
    sqlite.defaultSafeIntegers(true);
    try {
      conn.cursor().execute(DDL);
      sqlite.exec(DDL);
      const rows = Array.from({ length: 1500 }, (_, i) => [i + 1, 2 ** 53 - 1 - i, i % 2 ? 1e16 : 1, 'a']);
      conn.cursor().executeMany('INSERT INTO t VALUES (?, ?, ?, ?)', rows);
      const ins = sqlite.prepare('INSERT INTO t VALUES (?, ?, ?, ?)');
      for (const r of rows) ins.run(...r);
      conn.commit();
      // Warm the memo, then each query twice (rows, then vectors).
      for (let k = 0; k < 2; k++) {
        both(conn, sqlite, 'SELECT sum(n) FROM t');
        both(conn, sqlite, 'SELECT total(n), avg(n), sum(x), typeof(sum(x)) FROM t');
        both(conn, sqlite, 'SELECT sum(n) FROM t WHERE id <= 1000');
        const folded = columnAggregateStats.folded;
        // A bare column (id) is read from a row: not folded.
        both(conn, sqlite, 'SELECT id, max(n), sum(x) FROM t');
        both(conn, sqlite, 'SELECT max(n), s FROM t');
        // A text column or expression argument is not folded either.
        both(conn, sqlite, 'SELECT max(s), sum(n + 1) FROM t WHERE x > 2');
        expect(columnAggregateStats.folded).toBe(folded);
      }
    } finally {
      conn.close();
      sqlite.close();
    }
  });
});

describe('aggregates over `col IN (SELECT …)` run as a membership scan', () => {
  const KEYED = [
    'CREATE TABLE t (id INTEGER PRIMARY KEY, k INTEGER, n INTEGER, x REAL)',
    'CREATE INDEX t_k ON t (k)',
    'CREATE TABLE g (id INTEGER PRIMARY KEY, grp INTEGER, label TEXT)',
  ];
  /** Quarter multiples: every sum is exact, so SQLite's index order and the scan's agree. */
  function load(conn: Connection, sqlite: BetterSqlite3.Database, rows: number, keys: number): void {
    for (const sql of KEYED) {
      conn.cursor().execute(sql);
      sqlite.exec(sql);
    }
    const t = Array.from({ length: rows }, (_, i) => [
      i + 1,
      i % 7 === 0 ? null : (i * 37) % keys,
      (i * 13) % 101,
      i % 11 === 0 ? null : ((i * 7) % 400) / 4,
    ]);
    const g = Array.from({ length: keys }, (_, i) => [i, i % 5, `l${i % 3}`]);
    conn.cursor().executeMany('INSERT INTO t VALUES (?, ?, ?, ?)', t);
    conn.cursor().executeMany('INSERT INTO g VALUES (?, ?, ?)', g);
    const it = sqlite.prepare('INSERT INTO t VALUES (?, ?, ?, ?)');
    const ig = sqlite.prepare('INSERT INTO g VALUES (?, ?, ?)');
    for (const r of t) it.run(...r);
    for (const r of g) ig.run(...r);
    conn.commit();
  }

  test('fold the column vectors with the membership test, equal to SQLite', () => {
    const conn = connect(':memory:');
    const sqlite = new BetterSqlite3(':memory:');
    try {
      load(conn, sqlite, 4000, 400);
      const sql =
        'SELECT count(*), sum(n), total(x), avg(x), min(n), max(x), count(x) FROM t WHERE k IN (SELECT id FROM g WHERE grp = ?)';
      const pk = 'SELECT count(*), sum(n), max(x) FROM t WHERE id IN (SELECT id * 9 FROM g WHERE grp <= ?)';
      for (const p of [0, 1, 4, 9]) {
        both(conn, sqlite, sql, [p]);
        both(conn, sqlite, pk, [p]);
      }
      // Warm: the second run of each folds runs of values and adds no row one by one.
      const before = { ...columnAggregateStats };
      both(conn, sqlite, sql, [2]);
      both(conn, sqlite, pk, [2]);
      expect(columnAggregateStats.folded - before.folded).toBe(2);
      expect(columnAggregateStats.rows).toBe(before.rows);
      expect(columnAggregateStats.values).toBeGreaterThan(before.values);
      // Few keys: index lookups, not a scan, and no fold (the same answers).
      const few = { ...columnAggregateStats };
      both(conn, sqlite, 'SELECT count(*), sum(n) FROM t WHERE k IN (SELECT id FROM g WHERE id < 3)');
      expect(columnAggregateStats.folded).toBe(few.folded);
      // Keys that are not all numbers: the rows are aggregated as before.
      both(
        conn,
        sqlite,
        'SELECT count(*), sum(n) FROM t WHERE k IN (SELECT label FROM g UNION SELECT id FROM g)',
      );
      // What the fold cannot do (GROUP BY, DISTINCT, text) falls back to rows.
      both(
        conn,
        sqlite,
        'SELECT count(DISTINCT n), sum(x) FROM t WHERE k IN (SELECT id FROM g WHERE grp = 1)',
      );
    } finally {
      conn.close();
      sqlite.close();
    }
  });

  test('property: random groups and writes between runs, equal to SQLite', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1100, max: 3000 }),
        fc.integer({ min: 20, max: 600 }),
        fc.array(fc.record({ grp: fc.integer({ min: -1, max: 5 }), del: fc.nat(3000) }), {
          minLength: 1,
          maxLength: 6,
        }),
        (rows, keys, steps) => {
          const conn = connect(':memory:');
          const sqlite = new BetterSqlite3(':memory:');
          try {
            load(conn, sqlite, rows, keys);
            const sql =
              'SELECT count(*), sum(n), total(x), min(x), max(n) FROM t WHERE k IN (SELECT id FROM g WHERE grp >= ?)';
            for (const s of steps) {
              both(conn, sqlite, sql, [s.grp]);
              both(conn, sqlite, sql, [s.grp]);
              const del = `DELETE FROM t WHERE id % 97 = ${s.del % 97}`;
              conn.cursor().execute(del);
              conn.commit();
              sqlite.exec(del);
            }
          } finally {
            conn.close();
            sqlite.close();
          }
        },
      ),
      { numRuns: 40, seed: 20261604 },
    );
  });
});
