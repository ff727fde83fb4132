/**
 * ORDER BY without LIMIT over an index giving its leading terms (planner/access-path.ts,
 * planner/presorted-sort.ts): the index is walked, as SQLite walks it ("USE TEMP B-TREE FOR LAST
 * TERM OF ORDER BY"), and each run of equal leading keys is sorted by the remaining terms on its
 * own. The first row comes out after one run is read, and ties come out in the walk's order, as
 * SQLite's do. Compared with better-sqlite3 row for row over random tables and orders.
 */
import BetterSqlite3 from 'better-sqlite3';
import { seeded } from '../helpers/seeded';
import { connect } from '../../src/index';
import type { Connection } from '../../src/index';
import { presortedStats } from '../../planner/presorted-sort';
import { spillStats } from '../../planner/sort';
import { normRow } from '../differential/normalize';

const N = 5000;

function both(ddl: readonly string[]): { mv: Connection; lite: BetterSqlite3.Database } {
  const mv = connect(':memory:', { autocommit: true });
  const lite = new BetterSqlite3(':memory:');
  for (const sql of ddl) {
    mv.execute(sql);
    lite.exec(sql);
  }
  return { mv, lite };
}

function load(mv: Connection, lite: BetterSqlite3.Database, table: string, rows: unknown[][]): void {
  const marks = rows[0].map(() => '?').join(', ');
  mv.cursor().executeMany(`INSERT INTO ${table} VALUES (${marks})`, rows);
  const ins = lite.prepare(`INSERT INTO ${table} VALUES (${marks})`);
  for (const r of rows) ins.run(r);
}

function plan(mv: Connection, sql: string): string {
  return (mv.cursor().execute(`EXPLAIN ${sql}`).fetchAll() as unknown[][]).flat().join('\n');
}

function rowsOf(mv: Connection, sql: string): unknown[][] {
  return (mv.cursor().execute(sql).fetchAll() as unknown[][]).map(normRow);
}

function liteRows(lite: BetterSqlite3.Database, sql: string): unknown[][] {
  return (lite.prepare(sql).raw(true).all() as unknown[][]).map(normRow);
}

describe('ORDER BY over an index giving its leading terms', () => {
  let mv: Connection;
  let lite: BetterSqlite3.Database;
  beforeAll(() => {
    ({ mv, lite } = both([
      'CREATE TABLE t (id INTEGER PRIMARY KEY, a INT, b INT, c TEXT)',
      'CREATE INDEX ta ON t (a)',
      'CREATE TABLE u (id INTEGER PRIMARY KEY, x INT, y INT, z INT)',
      'CREATE INDEX uxy ON u (x, y)',
      'CREATE TABLE v (id INTEGER PRIMARY KEY, a INT, b INT)',
      'CREATE INDEX va ON v (a DESC)',
    ]));
    const next = seeded(2026);
    load(
      mv,
      lite,
      't',
      Array.from({ length: N }, (_, i) => [
        i + 1,
        next(20) === 0 ? null : next(500),
        next(97),
        `c${next(40)}`,
      ]),
    );
    load(
      mv,
      lite,
      'u',
      Array.from({ length: N }, (_, i) => [i + 1, next(50), next(30), next(1000)]),
    );
    load(
      mv,
      lite,
      'v',
      Array.from({ length: 500 }, (_, i) => [i + 1, next(60), next(1000)]),
    );
  });
  afterAll(() => (mv.close(), lite.close()));

  test.each([
    [
      'SELECT * FROM t ORDER BY a, b',
      /Sort a ASC, b ASC presorted=1\n\s+IndexRangeScan t using ta range=\[full\]/,
    ],
    [
      'SELECT * FROM t WHERE a BETWEEN 100 AND 200 ORDER BY a DESC, b',
      /presorted=1\n\s+IndexRangeScan t using ta .*reverse/,
    ],
    ['SELECT id, a FROM t ORDER BY a DESC, id', /presorted=1\n\s+IndexRangeScan t using covering ta/],
    [
      'SELECT * FROM u ORDER BY x, y, z',
      /Sort x ASC, y ASC, z ASC presorted=2\n\s+IndexRangeScan u using uxy/,
    ],
    ['SELECT * FROM u ORDER BY x DESC, y, z', /presorted=1\n\s+IndexRangeScan u using uxy .*reverse/],
    [
      'SELECT * FROM u WHERE x = 7 ORDER BY y DESC, z',
      /presorted=1\n\s+IndexRangeScan u using uxy \(x, y\) \(x=7\)/,
    ],
    [
      'SELECT * FROM u WHERE z > 500 ORDER BY x, z',
      /presorted=1\n\s+Filter \(z > 500\)\n\s+IndexRangeScan u using uxy/,
    ],
    // An index declared DESC is stored ascending: walked in the ORDER BY's direction, not its own.
    [
      'SELECT * FROM v WHERE a > 20 ORDER BY a, b',
      /presorted=1\n\s+IndexRangeScan v using va range=\[> 20\]$/,
    ],
    [
      'SELECT * FROM v WHERE a > 20 ORDER BY a DESC, b',
      /presorted=1\n\s+IndexRangeScan v using va .*reverse/,
    ],
  ])('%s: the index walked, runs of ties sorted, rows as SQLite gives them', (sql, shape) => {
    expect(plan(mv, sql)).toMatch(shape);
    expect(rowsOf(mv, sql)).toEqual(liteRows(lite, sql));
  });

  test('a TopN over an index declared DESC stops after the rows it keeps', () => {
    // It was walked in the index's declared direction, against the ORDER BY: correct rows, but
    // every entry of the range read.
    const sql = 'SELECT * FROM v WHERE a > 20 ORDER BY a, b LIMIT 5';
    expect(plan(mv, sql)).toMatch(/TopN .* presorted=1\n\s+IndexRangeScan v using va range=\[> 20\]$/);
    const cur = mv.cursor().execute(sql);
    expect((cur.fetchAll() as unknown[][]).map(normRow)).toEqual(liteRows(lite, sql));
    expect(cur.executionStats?.rowsRead).toBeLessThan(60);
  });

  test('non-total orders: ties come out in the index walk order, as in SQLite', () => {
    // Each of these differed from SQLite while the whole table was sorted in rowid order.
    for (const sql of [
      'SELECT id FROM t ORDER BY a DESC, b % 3',
      'SELECT id FROM u ORDER BY x DESC, y DESC, z % 2',
      'SELECT id FROM u ORDER BY x DESC, y, z % 2',
      'SELECT id FROM u WHERE x = 4 ORDER BY y DESC, z % 2',
    ]) {
      expect(plan(mv, sql)).toMatch(/presorted=/);
      expect(rowsOf(mv, sql)).toEqual(liteRows(lite, sql));
    }
  });

  test('the first row comes after one run of the leading key, not the whole table', () => {
    const sql = 'SELECT * FROM u ORDER BY x, z';
    const before = presortedStats.runs;
    const cur = mv.cursor().execute(sql);
    expect(normRow(cur.fetchOne() as unknown[])).toEqual(liteRows(lite, `${sql} LIMIT 1`)[0]);
    // The first run (every row of the smallest x) and the little the cursor reads ahead.
    const firstRun = lite
      .prepare('SELECT count(*) FROM u WHERE x = (SELECT min(x) FROM u)')
      .pluck()
      .get() as number;
    expect(cur.executionStats?.rowsRead).toBeGreaterThanOrEqual(firstRun);
    expect(cur.executionStats?.rowsRead).toBeLessThan(firstRun + 64);
    const rest = (cur.fetchAll() as unknown[][]).map(normRow);
    expect(rest).toEqual(liteRows(lite, `${sql} LIMIT -1 OFFSET 1`));
    // One run per distinct x, each sorted on its own.
    const distinct = lite.prepare('SELECT count(DISTINCT x) FROM u').pluck().get() as number;
    expect(presortedStats.runs - before).toBe(distinct);
  });

  test('NULLS FIRST/LAST, DISTINCT under a LIMIT, aggregates and collated leading terms keep a full sort', () => {
    // DISTINCT without a LIMIT reads the index as SQLite does (distinct-order.test.ts).
    expect(plan(mv, 'SELECT DISTINCT a, b FROM t ORDER BY a, b')).toMatch(/presorted=1/);
    for (const sql of [
      'SELECT * FROM t ORDER BY a NULLS LAST, b',
      'SELECT DISTINCT a, b FROM t ORDER BY a, b LIMIT 30',
      'SELECT a, count(*) FROM t GROUP BY a ORDER BY a, 2',
      'SELECT * FROM t ORDER BY c COLLATE NOCASE, a',
    ]) {
      expect(plan(mv, sql)).not.toMatch(/presorted/);
      expect(rowsOf(mv, sql)).toEqual(liteRows(lite, sql));
    }
  });
});

test('a run of few but wide rows goes to the external sort and spills past the budget', () => {
  const mv = connect(':memory:', { autocommit: true, sortBudgetBytes: 64 * 1024 });
  const lite = new BetterSqlite3(':memory:');
  try {
    for (const sql of [
      'CREATE TABLE w (id INTEGER PRIMARY KEY, a INT, b INT, payload TEXT)',
      'CREATE INDEX wa ON w (a)',
    ]) {
      mv.execute(sql);
      lite.exec(sql);
    }
    const next = seeded(41);
    // 300 rows of ~10 KB under two values of a: far under 4,096 rows a run, far over 64 KiB.
    load(
      mv,
      lite,
      'w',
      Array.from({ length: 300 }, (_, i) => [i + 1, i % 2, next(1000), `${i}`.padEnd(10_000, 'x')]),
    );
    const sql = 'SELECT id, a, b, length(payload) FROM w ORDER BY a, b, id';
    expect(plan(mv, sql)).toMatch(/Sort .* presorted=1/);
    const runs = presortedStats.externalRuns;
    const written = spillStats.runsWritten;
    expect(rowsOf(mv, sql)).toEqual(liteRows(lite, sql));
    expect(presortedStats.externalRuns - runs).toBe(2);
    expect(spillStats.runsWritten - written).toBeGreaterThan(2);
  } finally {
    mv.close();
    lite.close();
  }
});

test('random tables and total orders over single-column and composite indexes agree with SQLite', () => {
  const next = seeded(20261206);
  const pick = <T>(xs: readonly T[]): T => xs[next(xs.length)];
  const indexes = [
    'CREATE INDEX i1 ON t (a)',
    'CREATE INDEX i1 ON t (a DESC)',
    'CREATE INDEX i1 ON t (a, b)',
    'CREATE INDEX i1 ON t (a, b DESC)',
    'CREATE INDEX i1 ON t (b, a)',
    'CREATE INDEX i1 ON t (a, b, c)',
    'CREATE INDEX i1 ON t (a DESC, b DESC)',
    'CREATE INDEX i1 ON t (b)',
  ];
  let presorted = 0;
  let queries = 0;
  for (let run = 0; run < 40; run++) {
    const ddl = ['CREATE TABLE t (id INTEGER PRIMARY KEY, a INT, b TEXT, c INT, d REAL)', pick(indexes)];
    if (next(5) < 2)
      ddl.push(pick(['CREATE INDEX i2 ON t (a)', 'CREATE INDEX i2 ON t (c, d)', 'CREATE INDEX i2 ON t (c)']));
    const { mv, lite } = both(ddl);
    const rows = Array.from({ length: 1 + next(90) }, (_, i) => [
      i + 1,
      next(10) === 0 ? null : 1 + next(5),
      next(10) === 0 ? null : pick(['x', 'y', 'z', 'X']),
      next(10) === 0 ? null : next(6),
      next(4),
    ]);
    load(mv, lite, 't', rows);
    for (let q = 0; q < 25; q++) {
      const cols = ['a', 'b', 'c', 'd'].sort(() => next(3) - 1);
      if (next(5) < 3) cols.unshift(...cols.splice(cols.indexOf('a'), 1));
      const terms = cols.slice(0, 2 + next(2)).map((x) => x + pick(['', ' DESC']));
      const where = pick([
        '',
        '',
        ' WHERE a = 2',
        " WHERE a = 1 AND b > 'x'",
        ' WHERE a > 1',
        " WHERE b <> 'y'",
        ' WHERE a IN (1, 2)',
        ' WHERE c > 2',
      ]);
      const sql = `SELECT ${pick(['*', 'id', 'a, b', 'id, c'])} FROM t${where} ORDER BY ${terms.join(', ')}, id${pick(['', ' DESC'])}${pick(['', '', ' LIMIT -1 OFFSET 3'])}`;
      if (/presorted=/.test(plan(mv, sql))) presorted++;
      queries++;
      expect([sql, rowsOf(mv, sql)]).toEqual([sql, liteRows(lite, sql)]);
    }
    mv.close();
    lite.close();
  }
  // The property covers the new plans, not only full sorts.
  expect(presorted).toBeGreaterThan(queries / 4);
});
