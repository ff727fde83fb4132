/**
 * ORDER BY's Sort: the memory budget in bytes (connect option `sortBudgetBytes`, default the page
 * cache budget and at least 64 MiB), spilling sorted runs past it, and the all-number fast path
 * (typed-array keys). Orders are compared with better-sqlite3 row for row, ties included; spills
 * are counted, not timed.
 */
import BetterSqlite3 from 'better-sqlite3';
import fc from 'fast-check';
import { seeded } from '../helpers/seeded';
import { connect, InterfaceError } from '../../src/index';
import type { Connection } from '../../src/index';
import { spillStats } from '../../planner/sort';
import { normRow } from '../differential/normalize';

let lite: BetterSqlite3.Database;
let conns: Connection[] = [];

beforeEach(() => {
  lite = new BetterSqlite3(':memory:');
  conns = [];
});
afterEach(() => {
  lite.close();
  for (const c of conns) c.close();
});

function open(opts: { sortBudgetBytes?: number } = {}): Connection {
  const c = connect(':memory:', { autocommit: true, ...opts });
  conns.push(c);
  return c;
}

function load(c: Connection, rows: unknown[][]): void {
  const ddl = 'CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, b REAL, s TEXT)';
  lite.exec(ddl);
  c.execute(ddl);
  const ins = lite.prepare('INSERT INTO t VALUES (?, ?, ?, ?)');
  for (const r of rows) ins.run(r);
  c.cursor().executeMany('INSERT INTO t VALUES (?, ?, ?, ?)', rows);
}

const agree = (c: Connection, sql: string): void => {
  // normRow: -0.0 keeps its sign in ModelVault (docs/sql.md), SQLite stores 0.0.
  const mv = (c.cursor().execute(sql).fetchAll() as unknown[][]).map(normRow);
  expect(mv).toEqual((lite.prepare(sql).raw(true).all() as unknown[][]).map(normRow));
};

const rowsOf = (n: number, seed: number): unknown[][] => {
  const next = seeded(seed);
  return Array.from({ length: n }, (_, i) => [i + 1, next(50), next(1000) / 8 - 40, `k${next(30)}`]);
};

const ORDERS = [
  'a',
  'a DESC',
  'a, b DESC',
  'b, a',
  'a DESC, id DESC',
  's, a',
  'b * 2 - a',
  'a NULLS LAST, b',
  'a DESC NULLS FIRST',
];

describe('in memory: the all-number path and the general one agree with SQLite', () => {
  test.each(ORDERS)('ORDER BY %s', (order) => {
    const c = open();
    load(c, rowsOf(3000, 7));
    agree(c, `SELECT id, a, b FROM t ORDER BY ${order}`);
  });

  test('NULLs, -0.0 and whole REALs among the keys', () => {
    const c = open();
    load(c, [
      [1, 0, -0.0, 'x'],
      [2, null, 0.0, null],
      [3, 0, 1.0, 'y'],
      [4, -1, null, 'x'],
      [5, 1, 1, 'z'],
      [6, null, -0.0, 'x'],
      [7, 1, 0.5, 'y'],
    ]);
    for (const order of ['b', 'b DESC', 'a, b', 'a DESC, b', 'b NULLS LAST', 'a * 1.0'])
      agree(c, `SELECT id, a, b FROM t ORDER BY ${order}`);
  });

  test('property: random numbers and NULLs in random orders agree with SQLite', () => {
    const row = fc.tuple(
      fc.option(fc.integer({ min: -5, max: 5 }), { freq: 6 }),
      fc.option(fc.constantFrom(-1.5, -0.0, 0, 0.25, 2, 1e300, -1e300), { freq: 6 }),
    );
    fc.assert(
      fc.property(fc.array(row, { maxLength: 60 }), fc.constantFrom(...ORDERS.slice(0, 5)), (data, order) => {
        lite.exec('DROP TABLE IF EXISTS t');
        const c = open();
        load(
          c,
          data.map(([a, b], i) => [i + 1, a, b, null]),
        );
        agree(c, `SELECT id, a, b FROM t ORDER BY ${order}`);
        c.close();
        conns.pop();
      }),
      { numRuns: 150, seed: 20261203 },
    );
  });
});

describe('the byte budget', () => {
  test('a small budget spills sorted runs and merges them in the same order', () => {
    const c = open({ sortBudgetBytes: 64 * 1024 });
    load(c, rowsOf(20000, 11));
    for (const order of ['a, b DESC', 's DESC, id']) {
      const before = { ...spillStats };
      agree(c, `SELECT id, a, b, s FROM t ORDER BY ${order}`);
      // ~20000 rows of ~150 estimated bytes in 64 KiB runs: dozens of runs, all files removed.
      expect(spillStats.runsWritten - before.runsWritten).toBeGreaterThan(20);
      expect(spillStats.filesRemoved - before.filesRemoved).toBe(
        spillStats.filesCreated - before.filesCreated,
      );
    }
  });

  test('text keys: packed order in memory and in spilled runs, ties and later keys as SQLite', () => {
    const next = seeded(23);
    const words = ['', 'a', 'ab', 'abc', 'B', 'é', 'z\u{1f600}', '\uffff', 'note 1', 'note 10', 'note 2'];
    const rows = Array.from({ length: 8000 }, (_, i) => [
      i + 1,
      next(4),
      next(100) / 4,
      next(10) === 0 ? null : `${words[next(words.length)]}${next(3) === 0 ? '' : next(40)}`,
    ]);
    lite.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, b REAL, s TEXT)');
    const ins = lite.prepare('INSERT INTO t VALUES (?, ?, ?, ?)');
    for (const r of rows) ins.run(r);
    for (const budget of [undefined, 32 * 1024]) {
      const c = open(budget === undefined ? {} : { sortBudgetBytes: budget });
      c.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, b REAL, s TEXT)');
      c.cursor().executeMany('INSERT INTO t VALUES (?, ?, ?, ?)', rows);
      const before = spillStats.runsWritten;
      for (const order of [
        's',
        's DESC',
        's, a DESC',
        's DESC, b, id',
        's NULLS LAST, a',
        's COLLATE NOCASE, id',
      ])
        agree(c, `SELECT id, s, a, b FROM t ORDER BY ${order}`);
      // Text keys without NULLs: the packed path alone.
      agree(c, `SELECT id, s FROM t WHERE s IS NOT NULL ORDER BY s DESC, a`);
      if (budget !== undefined) expect(spillStats.runsWritten - before).toBeGreaterThan(20);
      else expect(spillStats.runsWritten).toBe(before);
    }
  });

  test('the default budget sorts 20,000 rows in memory', () => {
    const c = open();
    load(c, rowsOf(20000, 13));
    const before = spillStats.runsWritten;
    agree(c, 'SELECT id, a, b, s FROM t ORDER BY b, a');
    expect(spillStats.runsWritten).toBe(before);
  });

  test('sortBudgetBytes must be a number', () => {
    expect(() => connect(':memory:', { sortBudgetBytes: '1' as unknown as number })).toThrow(InterfaceError);
  });
});
