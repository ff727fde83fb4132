/**
 * Aggregates over cold rows decode only the columns they read (planner/projected-scan.ts): a
 * `GROUP BY` over a reopened file returns SQLite's answers (NULLs, a WHERE, DISTINCT, FILTER,
 * ORDER BY inside the call, columns added by ALTER TABLE that older rows lack) while building no
 * whole row — counted by the row cache, which a whole-row read fills and a projected read leaves
 * empty.
 */
import BetterSqlite3 from 'better-sqlite3';
import fc from 'fast-check';
import { connect } from '../../src/index';
import type { Connection } from '../../src/index';
import { normRow } from '../differential/normalize';
import { tmpDir } from '../helpers/tmp';
import { rowDecodeStats } from '../../storage/row-reader';

const tmp = tmpDir();
afterAll(() => tmp.cleanup());

const DDL =
  'CREATE TABLE t (id INTEGER PRIMARY KEY, g TEXT, n INTEGER, x REAL, note TEXT, pad TEXT, k INTEGER)';

function build(rows: number): { file: string; sqlite: BetterSqlite3.Database } {
  const file = tmp.file();
  const sqlite = new BetterSqlite3(':memory:');
  const conn = connect(file);
  const statements = [DDL];
  const values: string[] = [];
  for (let i = 1; i <= rows; i++) {
    const g = i % 7 === 0 ? 'NULL' : `'g${i % 5}'`;
    const n = i % 11 === 0 ? 'NULL' : String((i * 37) % 100);
    values.push(`(${i}, ${g}, ${n}, ${(i % 13) / 4}, 'note ${i} ${'x'.repeat(i % 30)}', 'pad', ${i % 3})`);
  }
  statements.push(`INSERT INTO t VALUES ${values.join(', ')}`);
  statements.push('ALTER TABLE t ADD COLUMN late INTEGER DEFAULT 5');
  statements.push(
    `INSERT INTO t (id, g, n, x, note, pad, k, late) VALUES (${rows + 1}, 'g1', 1, 1.5, 'n', 'p', 0, 9)`,
  );
  for (const sql of statements) {
    conn.execute(sql);
    sqlite.exec(sql);
  }
  conn.commit();
  conn.database.checkpoint();
  conn.close();
  return { file, sqlite };
}

function rowsOf(conn: Connection, sql: string): unknown[][] {
  return (conn.cursor().execute(sql).fetchAll() as unknown[][]).map(normRow);
}

const QUERIES = [
  'SELECT g, count(*), sum(n) FROM t GROUP BY g ORDER BY g',
  'SELECT g, avg(x), max(n), min(n) FROM t WHERE k = 1 GROUP BY g ORDER BY g',
  'SELECT k, count(DISTINCT g), total(x) FROM t GROUP BY k ORDER BY k',
  "SELECT g, group_concat(n, ',' ORDER BY n DESC) FROM t WHERE id < 60 GROUP BY g ORDER BY g",
  'SELECT g, count(*) FILTER (WHERE n > 50), sum(late) FROM t GROUP BY g ORDER BY g',
  'SELECT late, count(*) FROM t GROUP BY late ORDER BY late',
  'SELECT count(*), sum(n), max(g) FROM t WHERE g IS NOT NULL',
  'SELECT g, count(*) FROM t WHERE id BETWEEN 100 AND 400 GROUP BY g HAVING count(*) > 10 ORDER BY 2 DESC, 1',
];

test('aggregates over cold rows equal SQLite, and build no whole rows', () => {
  const { file, sqlite } = build(3000);
  try {
    for (const sql of QUERIES) {
      const conn = connect(file, { readOnly: true });
      try {
        const want = (sqlite.prepare(sql).raw().all() as unknown[][]).map(normRow);
        const whole = rowDecodeStats.whole;
        expect({ sql, rows: rowsOf(conn, sql) }).toEqual({ sql, rows: want });
        expect({ sql, wholeDecodes: rowDecodeStats.whole - whole }).toEqual({ sql, wholeDecodes: 0 });
        // Decoded for their columns alone: no row reached the cache.
        expect({ sql, cached: conn.database.storage.cachedRowCount }).toEqual({ sql, cached: 0 });
      } finally {
        conn.close();
      }
    }
    // A query that reads the rows whole fills the cache (what the count above would see).
    const conn = connect(file, { readOnly: true });
    try {
      rowsOf(conn, 'SELECT g, note, pad, x, n, k FROM t WHERE id < 50');
      expect(conn.database.storage.cachedRowCount).toBeGreaterThan(0);
    } finally {
      conn.close();
    }
  } finally {
    sqlite.close();
  }
});

test('projected GROUP BY over random tables equals SQLite (property)', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.tuple(
          fc.option(fc.constantFrom('a', 'b', 'c', 'é'), { nil: null }),
          fc.option(fc.integer({ min: -5, max: 5 }), { nil: null }),
          fc.option(fc.double({ min: -10, max: 10, noNaN: true }), { nil: null }),
        ),
        { minLength: 1, maxLength: 200 },
      ),
      fc.constantFrom(...QUERIES.slice(0, 3)),
      (rows, sql) => {
        const file = tmp.file();
        const sqlite = new BetterSqlite3(':memory:');
        try {
          const conn = connect(file);
          for (const db of [conn, sqlite] as const) {
            const run = (s: string, p: unknown[] = []): unknown =>
              'exec' in db ? db.prepare(s).run(...p) : conn.execute(s, p);
            run(DDL);
            rows.forEach(([g, n, x], i) =>
              run('INSERT INTO t (id, g, n, x, note, pad, k) VALUES (?, ?, ?, ?, ?, ?, ?)', [
                i + 1,
                g,
                n,
                x,
                `note ${i}`,
                'p',
                i % 3,
              ]),
            );
          }
          conn.commit();
          // Checkpointed, so the reopened file replays nothing: every row is read cold.
          conn.database.checkpoint();
          conn.close();
          const cold = connect(file, { readOnly: true });
          try {
            const want = (sqlite.prepare(sql).raw().all() as unknown[][]).map(normRow);
            expect(rowsOf(cold, sql)).toEqual(want);
          } finally {
            cold.close();
          }
        } finally {
          sqlite.close();
        }
      },
    ),
    { numRuns: 60, seed: 20261503 },
  );
});

test('a whole-table aggregate whose rows fit no cache decodes only its columns', () => {
  // Built in this process (leaves in memory, no column pages) with a budget far below the rows:
  // the aggregate reads most rows from the file, each for its folded columns alone.
  const file = tmp.file();
  const conn = connect(file, { cacheBytes: 64 * 1024 });
  const sqlite = new BetterSqlite3(':memory:');
  try {
    for (const db of [conn, sqlite] as const) {
      const run = (s: string): unknown => ('exec' in db ? db.exec(s) : conn.execute(s));
      run(DDL);
      run(
        `WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 4000)
         INSERT INTO t SELECT i, 'g' || (i % 4), i % 97, i / 8.0, 'note ' || i, 'pad', i % 3 FROM c`,
      );
    }
    conn.commit();
    const sql = 'SELECT count(*), sum(n), avg(x), max(x), min(n) FROM t';
    const whole = rowDecodeStats.whole;
    const partial = rowDecodeStats.partial;
    expect(rowsOf(conn, sql)).toEqual((sqlite.prepare(sql).raw().all() as unknown[][]).map(normRow));
    expect(rowDecodeStats.whole - whole).toBe(0);
    expect(rowDecodeStats.partial - partial).toBeGreaterThan(1000);
  } finally {
    conn.close();
    sqlite.close();
  }
});
