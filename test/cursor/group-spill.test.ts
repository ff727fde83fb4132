/**
 * GROUP BY past its memory budget (planner/aggregate-exec.ts): once the held groups' estimated
 * size passes `sortBudgetBytes`, the rest of the input is sorted by group key (spilling) and
 * merged with the held groups. Every answer is compared with better-sqlite3 in order, on a
 * connection with a tiny budget (so most statements spill) and counted to prove the spill ran.
 */
import BetterSqlite3 from 'better-sqlite3';
import fc from 'fast-check';
import { seeded } from '../helpers/seeded';
import { connect } from '../../src/index';
import type { Connection } from '../../src/index';
import { aggregateSpillStats } from '../../planner/aggregate-exec';
import { normRow } from '../differential/normalize';

let lite: BetterSqlite3.Database;
let tiny: Connection;

const DDL = 'CREATE TABLE t (id INTEGER PRIMARY KEY, g INTEGER, h TEXT COLLATE NOCASE, v REAL, s TEXT)';

function rows(n: number, seed: number): unknown[][] {
  const next = seeded(seed);
  const H = ['a', 'A', 'b', 'B', 'c', null];
  return Array.from({ length: n }, (_, i) => [
    i + 1,
    next(7) === 0 ? null : next(400),
    H[next(H.length)],
    next(5) === 0 ? null : next(1000) / 4,
    `s${next(50)}`,
  ]);
}

beforeEach(() => {
  lite = new BetterSqlite3(':memory:');
  // 4 KiB: a few dozen groups held, the rest streamed through a spilling sort.
  tiny = connect(':memory:', { autocommit: true, sortBudgetBytes: 4096 });
  lite.exec(DDL);
  tiny.execute(DDL);
  const data = rows(6000, 42);
  const ins = lite.prepare('INSERT INTO t VALUES (?, ?, ?, ?, ?)');
  for (const r of data) ins.run(r);
  tiny.cursor().executeMany('INSERT INTO t VALUES (?, ?, ?, ?, ?)', data);
});
afterEach(() => {
  lite.close();
  tiny.close();
});

function agree(sql: string): number {
  const before = aggregateSpillStats.spills;
  const mv = (tiny.cursor().execute(sql).fetchAll() as unknown[][]).map(normRow);
  expect(mv).toEqual((lite.prepare(sql).raw(true).all() as unknown[][]).map(normRow));
  return aggregateSpillStats.spills - before;
}

const SPILLING = [
  'SELECT g, count(*), sum(v), avg(v), min(s), max(s), total(v) FROM t GROUP BY g',
  'SELECT g, h, count(*) FROM t GROUP BY g, h',
  'SELECT h, g, count(*) FROM t GROUP BY h, g',
  'SELECT g, group_concat(id) FROM t GROUP BY g',
  'SELECT g, count(DISTINCT s), group_concat(DISTINCT h) FROM t GROUP BY g',
  // Bare columns: the row max()/min() chose, else the group's first row in scan order.
  'SELECT g, max(v), id, s FROM t GROUP BY g',
  'SELECT g, min(v), id FROM t GROUP BY g',
  'SELECT g, id, s FROM t GROUP BY g',
  'SELECT g, count(*) AS n FROM t GROUP BY g HAVING n > 14 ORDER BY n DESC, g',
  'SELECT g % 37, sum(v) FILTER (WHERE v > 100) FROM t GROUP BY g % 37 + 0, g',
  'SELECT g, count(*) FROM t WHERE id > 100 GROUP BY g LIMIT 30 OFFSET 5',
  'SELECT s, g, count(*) FROM t GROUP BY s, g',
  'SELECT g, json_group_array(id) FROM t GROUP BY g',
];

test.each(SPILLING)('%s', (sql) => {
  expect(agree(sql)).toBe(1);
});

test('groups folded by NOCASE stay one group across the held and streamed parts', () => {
  lite.exec("INSERT INTO t (g, h) SELECT 1000 + (id % 500), CASE id % 2 WHEN 0 THEN 'x' ELSE 'X' END FROM t");
  tiny.execute(
    "INSERT INTO t (g, h) SELECT 1000 + (id % 500), CASE id % 2 WHEN 0 THEN 'x' ELSE 'X' END FROM t",
  );
  expect(agree('SELECT h, g, count(*) FROM t GROUP BY h, g')).toBe(1);
  expect(agree('SELECT h, count(*), min(id) FROM t GROUP BY h')).toBe(0);
});

test('without GROUP BY, and with few groups, nothing spills', () => {
  expect(agree('SELECT count(*), sum(v), min(id) FROM t')).toBe(0);
  expect(agree('SELECT h, count(*) FROM t GROUP BY h')).toBe(0);
  expect(agree('SELECT count(*) FROM t WHERE id < 0')).toBe(0);
});

test('the default budget holds 6,000 groups in memory', () => {
  const wide = connect(':memory:', { autocommit: true });
  try {
    wide.execute(DDL);
    wide.cursor().executeMany('INSERT INTO t VALUES (?, ?, ?, ?, ?)', rows(6000, 42));
    const before = aggregateSpillStats.spills;
    const n = wide.cursor().execute('SELECT id, count(*) FROM t GROUP BY id').fetchAll().length;
    expect(n).toBe(6000);
    expect(aggregateSpillStats.spills).toBe(before);
  } finally {
    wide.close();
  }
});

test('property: random groupings spill and agree with SQLite', () => {
  const key = fc.constantFrom('g', 'h', 's', 'g % 3', 'v', 'g, h', 'h, s', 's, g, h');
  const agg = fc.constantFrom(
    'count(*)',
    'sum(v)',
    'min(s)',
    'max(v)',
    'group_concat(id)',
    'avg(g)',
    'count(DISTINCT h)',
  );
  const bare = fc.constantFrom('', ', id', ', s, id');
  fc.assert(
    fc.property(key, fc.array(agg, { minLength: 1, maxLength: 3 }), bare, (k, aggs, b) => {
      agree(`SELECT ${k}, ${aggs.join(', ')}${b} FROM t GROUP BY ${k}`);
    }),
    { numRuns: 60, seed: 20261203 },
  );
});
