/**
 * Top k per group (planner/window-topk.ts): a `rn <= k` filter on a derived table's
 * row_number() bounds the Window under it to each partition's first k rows. Every statement is
 * compared with better-sqlite3 in order (rows and columns); the plan is checked for where the
 * bound applies and where it must not (other window functions, a second specification, a LIMIT
 * inside the subquery, a CTE read twice), and the work is counted: the rows the Window holds.
 */
import fc from 'fast-check';
import { Oracle } from '../helpers/sqlite-oracle';
import { explain } from '../helpers/explain';
import { windowStats } from '../../planner/window-exec';

let o: Oracle;

const sub = (calls: string, from = 't'): string => `SELECT id, g, a, ${calls} FROM ${from}`;
const RN = 'row_number() OVER (PARTITION BY g ORDER BY a) AS rn';

beforeEach(() => {
  o = new Oracle();
  o.exec(
    'CREATE TABLE t (id INTEGER PRIMARY KEY, g INTEGER, a INTEGER, b TEXT COLLATE NOCASE)',
    `INSERT INTO t (g, a, b) VALUES
      (1, 3, 'x'), (1, 1, 'Y'), (1, 3, 'y'), (1, NULL, 'z'), (2, 2, 'a'), (2, 2, 'A'), (2, 1, NULL),
      (NULL, 5, 'b'), (NULL, NULL, 'B'), (NULL, 5, 'c'), (3, 0, 'd'), (1, 1, 'e'), (2, 9, 'f')`,
  );
});
afterEach(() => o.close());

function same(sql: string, params: unknown[] = []): unknown[][] {
  const mv = o.runMv(sql, params);
  const lite = o.runSqlite(sql, params);
  const blank = (r: typeof mv): unknown => (r.ok ? { ...r, changes: -1 } : r);
  expect(blank(mv)).toEqual(blank(lite));
  if (!mv.ok || mv.rows === null) throw new Error(`not a query: ${sql}`);
  return mv.rows;
}

const bounded = (sql: string): boolean => explain(o.conn, sql).includes('keeping row_number');

describe('bounded partitions agree with SQLite', () => {
  const cases: [string, unknown[]][] = [
    [`SELECT * FROM (${sub(RN)}) WHERE rn = 1`, []],
    [`SELECT * FROM (${sub(RN)}) WHERE rn <= 2`, []],
    [`SELECT * FROM (${sub(RN)}) WHERE rn < 3`, []],
    [`SELECT * FROM (${sub(RN)}) WHERE 2 >= rn`, []],
    [`SELECT * FROM (${sub(RN)}) WHERE 3 > rn`, []],
    [`SELECT * FROM (${sub(RN)}) WHERE 1 = rn`, []],
    [`SELECT * FROM (${sub(RN)}) WHERE rn = 2`, []],
    [`SELECT * FROM (${sub(RN)}) WHERE rn <= 2.5`, []],
    [`SELECT * FROM (${sub(RN)}) WHERE rn < 2.5`, []],
    [`SELECT * FROM (${sub(RN)}) WHERE rn = 1.5`, []],
    [`SELECT * FROM (${sub(RN)}) WHERE rn <= 0`, []],
    [`SELECT * FROM (${sub(RN)}) WHERE rn <= -3`, []],
    [`SELECT * FROM (${sub(RN)}) WHERE rn <= 100`, []],
    [`SELECT * FROM (${sub(RN)}) WHERE rn <= ?`, [2]],
    [`SELECT * FROM (${sub(RN)}) WHERE rn <= ?`, [2n]],
    [`SELECT * FROM (${sub(RN)}) WHERE rn <= ?`, ['2']],
    [`SELECT * FROM (${sub(RN)}) WHERE rn <= ?`, [null]],
    [`SELECT * FROM (${sub(RN)}) WHERE rn = 1 AND a > 1`, []],
    [`SELECT * FROM (${sub(RN)}) WHERE a > 1 AND rn <= 2`, []],
    [`SELECT * FROM (${sub('row_number() OVER (PARTITION BY g ORDER BY a DESC) AS rn')}) WHERE rn = 1`, []],
    [
      `SELECT * FROM (${sub('row_number() OVER (PARTITION BY g ORDER BY a NULLS LAST) AS rn')}) WHERE rn <= 2`,
      [],
    ],
    [
      `SELECT * FROM (${sub('row_number() OVER (PARTITION BY g ORDER BY a DESC NULLS FIRST) AS rn')}) WHERE rn <= 2`,
      [],
    ],
    [`SELECT * FROM (${sub('row_number() OVER (PARTITION BY g) AS rn')}) WHERE rn <= 2`, []],
    [`SELECT * FROM (${sub('row_number() OVER (ORDER BY a, id DESC) AS rn')}) WHERE rn <= 4`, []],
    [`SELECT * FROM (${sub('row_number() OVER () AS rn')}) WHERE rn <= 4`, []],
    [
      `SELECT * FROM (${sub('row_number() OVER (PARTITION BY g, a % 2 ORDER BY id) AS rn')}) WHERE rn = 1`,
      [],
    ],
    [
      `SELECT * FROM (SELECT b, row_number() OVER (PARTITION BY b ORDER BY id) AS rn FROM t) WHERE rn = 1`,
      [],
    ],
    [
      `SELECT * FROM (SELECT id, row_number() OVER (PARTITION BY g ORDER BY b) AS rn FROM t) WHERE rn <= 2`,
      [],
    ],
    [
      `SELECT * FROM (${sub(`${RN}, rank() OVER (PARTITION BY g ORDER BY a) AS rk, dense_rank() OVER (PARTITION BY g ORDER BY a) AS dr`)}) WHERE rn <= 3`,
      [],
    ],
    [
      `SELECT * FROM (${sub('row_number() OVER w AS rn')} WINDOW w AS (PARTITION BY g ORDER BY a)) WHERE rn = 1`,
      [],
    ],
    [`SELECT * FROM (${sub(RN)} ORDER BY a DESC, id) WHERE rn <= 2`, []],
    [`WITH r AS (${sub(RN)}) SELECT id, g FROM r WHERE rn = 1`, []],
    [`SELECT t.id, r.rn FROM t LEFT JOIN (${sub(RN)}) AS r ON r.id = t.id AND r.rn = 1`, []],
    [`SELECT * FROM (${sub(RN)}) AS x JOIN t ON t.id = x.id WHERE x.rn = 1`, []],
    [`SELECT g, count(*) FROM (${sub(RN)}) WHERE rn <= 2 GROUP BY g`, []],
  ];
  test.each(cases)('%s with %p', (sql, params) => {
    same(sql, params);
  });

  test('the bound shows in EXPLAIN where it applies', () => {
    expect(bounded(`SELECT * FROM (${sub(RN)}) WHERE rn = 1`)).toBe(true);
    expect(bounded(`SELECT * FROM (${sub(RN)}) WHERE 3 > rn`)).toBe(true);
    expect(explain(o.conn, `SELECT * FROM (${sub(RN)}) WHERE rn < ?`, [3])).toMatch(
      /Window \[row_number\(\) OVER \(PARTITION BY g ORDER BY a\)\] keeping row_number < \?1 per partition/,
    );
    expect(bounded(`WITH r AS (${sub(RN)}) SELECT id, g FROM r WHERE rn = 1`)).toBe(true);
  });
});

describe('where the bound must not apply', () => {
  const unbounded: string[] = [
    // Calls that read the whole partition: a truncated partition changes their values.
    `SELECT * FROM (${sub(`${RN}, count(*) OVER (PARTITION BY g) AS n`)}) WHERE rn = 1`,
    `SELECT * FROM (${sub(`${RN}, last_value(a) OVER (PARTITION BY g ORDER BY a) AS lv`)}) WHERE rn = 1`,
    `SELECT * FROM (${sub(`${RN}, lead(a) OVER (PARTITION BY g ORDER BY a) AS nx`)}) WHERE rn = 1`,
    `SELECT * FROM (${sub(`${RN}, cume_dist() OVER (PARTITION BY g ORDER BY a) AS cd`)}) WHERE rn = 1`,
    `SELECT * FROM (${sub(`${RN}, sum(a) OVER (PARTITION BY g ORDER BY a) AS s`)}) WHERE rn = 1`,
    // A second specification would see the rows the first one dropped.
    `SELECT * FROM (${sub(`${RN}, row_number() OVER (ORDER BY id) AS r2`)}) WHERE rn = 1`,
    // The filter is on rank, whose ties can run past the k-th row.
    `SELECT * FROM (${sub('rank() OVER (PARTITION BY g ORDER BY a) AS rk')}) WHERE rk = 1`,
    // A LIMIT or DISTINCT inside the subquery sees different rows.
    `SELECT * FROM (${sub(RN)} LIMIT 5) WHERE rn = 1`,
    `SELECT * FROM (SELECT DISTINCT g, ${RN} FROM t) WHERE rn = 1`,
    // Not a bound: >, !=, OR, a column on the other side.
    `SELECT * FROM (${sub(RN)}) WHERE rn > 1`,
    `SELECT * FROM (${sub(RN)}) WHERE rn != 1`,
    `SELECT * FROM (${sub(RN)}) WHERE rn = 1 OR a = 5`,
    `SELECT * FROM (${sub(RN)}) WHERE rn <= a`,
  ];
  test.each(unbounded)('%s', (sql) => {
    same(sql);
    expect(bounded(sql)).toBe(false);
  });

  test('a CTE read twice is computed whole once', () => {
    const sql = `WITH r AS (${sub(RN)}) SELECT x.id, y.id FROM r AS x JOIN r AS y ON x.id = y.id WHERE x.rn = 1`;
    same(sql);
    expect(bounded(sql)).toBe(false);
  });
});

test('the Window holds k rows per partition, not the whole input (work counted)', () => {
  o.exec('CREATE TABLE big (id INTEGER PRIMARY KEY, g INTEGER, a INTEGER)');
  const rows = Array.from({ length: 5000 }, (_, i) => [i + 1, (i * 7919) % 100, (i * 104729) % 997]);
  const insert = o.sqlite.prepare('INSERT INTO big VALUES (?, ?, ?)');
  for (const r of rows) insert.run(r);
  o.conn.cursor().executeMany('INSERT INTO big VALUES (?, ?, ?)', rows);
  const q = (k: string): string =>
    `SELECT id, g FROM (SELECT id, g, row_number() OVER (PARTITION BY g ORDER BY a, id) AS rn FROM big) WHERE rn <= ${k}`;
  // A NULL bound keeps no row, but is no number of rows either: the Window holds them all.
  for (const [k, held, out] of [
    ['1', 100, 100],
    ['3', 300, 300],
    ['NULL', 5000, 0],
  ] as const) {
    const before = windowStats.rowsWindowed;
    expect(same(q(k)).length).toBe(out);
    expect(windowStats.rowsWindowed - before).toBe(held);
  }
});

test('property: random data, bounds and window orders agree with SQLite', () => {
  const row = fc.tuple(
    fc.option(fc.integer({ min: 0, max: 4 }), { freq: 5 }),
    fc.option(fc.integer({ min: -3, max: 3 }), { freq: 4 }),
    fc.option(fc.constantFrom('a', 'A', 'b', 'B ', 'c'), { freq: 4 }),
  );
  const orderKey = fc.constantFrom(
    'a',
    'a DESC',
    'b',
    'b DESC',
    'a NULLS LAST',
    'a DESC NULLS FIRST',
    'id DESC',
  );
  const spec = fc.record({
    part: fc.constantFrom('PARTITION BY g', 'PARTITION BY b', 'PARTITION BY g, b', ''),
    order: fc.array(orderKey, { minLength: 0, maxLength: 2 }),
  });
  const bound = fc.record({
    op: fc.constantFrom('rn = ', 'rn <= ', 'rn < ', '', ''),
    flipped: fc.constantFrom('>= rn', '> rn', '= rn'),
    k: fc.constantFrom('0', '1', '2', '3', '1.5', '2.5', '10', 'NULL', '-1'),
  });
  const extra = fc.constantFrom(
    '',
    ', rank() OVER w AS rk',
    ', dense_rank() OVER w AS dr, rank() OVER w AS rk',
  );
  fc.assert(
    fc.property(fc.array(row, { maxLength: 40 }), spec, bound, extra, (data, s, b, x) => {
      o.exec(
        'DROP TABLE IF EXISTS p',
        'CREATE TABLE p (id INTEGER PRIMARY KEY, g INTEGER, a INTEGER, b TEXT COLLATE NOCASE)',
      );
      const ins = o.sqlite.prepare('INSERT INTO p (g, a, b) VALUES (?, ?, ?)');
      for (const r of data) ins.run(r);
      if (data.length) o.conn.cursor().executeMany('INSERT INTO p (g, a, b) VALUES (?, ?, ?)', data);
      const w = `${s.part}${s.order.length ? ` ORDER BY ${s.order.join(', ')}` : ''}`;
      const cond = b.op === '' ? `${b.k} ${b.flipped}` : `${b.op}${b.k}`;
      same(
        `SELECT * FROM (SELECT id, g, a, b, row_number() OVER w AS rn${x} FROM p WINDOW w AS (${w})) WHERE ${cond}`,
      );
    }),
    { numRuns: 200, seed: 20261203 },
  );
});
