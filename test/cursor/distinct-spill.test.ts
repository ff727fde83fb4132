/**
 * DISTINCT past its memory budget (planner/distinct-exec.ts): once the keys seen pass
 * `sortBudgetBytes`, the rest of the input is sorted by key and position (spilling), the first
 * row of each new key kept and put back in input order. Compared with better-sqlite3 row for row
 * (DISTINCT keeps each key's first row, in input order), with the spill counted.
 */
import BetterSqlite3 from 'better-sqlite3';
import fc from 'fast-check';
import { seeded } from '../helpers/seeded';
import { connect } from '../../src/index';
import type { Connection } from '../../src/index';
import { distinctSpillStats } from '../../planner/distinct-exec';
import { normRow } from '../differential/normalize';

let lite: BetterSqlite3.Database;
let tiny: Connection;

const DDL = 'CREATE TABLE t (id INTEGER PRIMARY KEY, g INTEGER, h TEXT COLLATE NOCASE, v REAL, b BLOB)';

function rows(n: number, seed: number): unknown[][] {
  const next = seeded(seed);
  const H = ['a', 'A', 'b', 'B ', 'c', null];
  return Array.from({ length: n }, (_, i) => [
    i + 1,
    next(9) === 0 ? null : next(300),
    H[next(H.length)],
    next(5) === 0 ? null : next(40) / 4,
    next(3) === 0 ? null : Buffer.from([next(4), 7]),
  ]);
}

beforeEach(() => {
  lite = new BetterSqlite3(':memory:');
  tiny = connect(':memory:', { autocommit: true, sortBudgetBytes: 2048 });
  lite.exec(DDL);
  tiny.execute(DDL);
  const data = rows(5000, 7);
  const ins = lite.prepare('INSERT INTO t VALUES (?, ?, ?, ?, ?)');
  for (const r of data) ins.run(r);
  tiny.cursor().executeMany('INSERT INTO t VALUES (?, ?, ?, ?, ?)', data);
});
afterEach(() => {
  lite.close();
  tiny.close();
});

function agree(sql: string): number {
  const before = distinctSpillStats.spills;
  const mv = (tiny.cursor().execute(sql).fetchAll() as unknown[][]).map(normRow);
  expect(mv).toEqual((lite.prepare(sql).raw(true).all() as unknown[][]).map(normRow));
  return distinctSpillStats.spills - before;
}

test.each([
  'SELECT DISTINCT g FROM t NOT INDEXED',
  'SELECT DISTINCT g, v FROM t NOT INDEXED',
  'SELECT DISTINCT v, g FROM t NOT INDEXED',
  'SELECT DISTINCT g % 50, h FROM t NOT INDEXED',
  'SELECT DISTINCT h, v, b FROM t NOT INDEXED',
  'SELECT DISTINCT g, b FROM t NOT INDEXED WHERE id > 200',
  'SELECT DISTINCT g * 2 AS x FROM t NOT INDEXED ORDER BY x DESC',
  'SELECT DISTINCT g, v FROM t NOT INDEXED LIMIT 40 OFFSET 17',
])('%s', (sql) => {
  expect(agree(sql)).toBe(1);
});

test('few distinct values: nothing spills', () => {
  expect(agree('SELECT DISTINCT h FROM t NOT INDEXED')).toBe(0);
  expect(agree('SELECT DISTINCT h, g IS NULL FROM t NOT INDEXED')).toBe(0);
});

test('the default budget holds 5,000 keys', () => {
  const wide = connect(':memory:', { autocommit: true });
  try {
    wide.execute(DDL);
    wide.cursor().executeMany('INSERT INTO t VALUES (?, ?, ?, ?, ?)', rows(5000, 7));
    const before = distinctSpillStats.spills;
    expect(wide.cursor().execute('SELECT DISTINCT id, g FROM t').fetchAll()).toHaveLength(5000);
    expect(distinctSpillStats.spills).toBe(before);
  } finally {
    wide.close();
  }
});

test('property: random column lists spill and agree with SQLite', () => {
  const col = fc.constantFrom('g', 'h', 'v', 'b', 'g % 7', 'id % 400', 'v * 2');
  fc.assert(
    fc.property(
      fc.uniqueArray(col, { minLength: 1, maxLength: 3 }),
      fc.integer({ min: 0, max: 3000 }),
      (cols, from) => {
        agree(`SELECT DISTINCT ${cols.join(', ')} FROM t NOT INDEXED WHERE id > ${from}`);
      },
    ),
    { numRuns: 25, seed: 20261203 },
  );
});
