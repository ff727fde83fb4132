/**
 * Filters on one TEXT column tested on the scan memo's code vectors (planner/text-codes.ts,
 * storage/string-codes.ts): after the pass that fills them, only the rows that pass are read
 * (counted through the row reader, not timed), and the answers equal SQLite's for random
 * conjuncts — comparisons, LIKE, GLOB, IN, IS [NOT] NULL, functions, CASE, declared and explicit
 * collations — over values with NULLs, empty strings, case and trailing-space variants, through
 * writes (in and out of transactions), rollback, checkpoints and a dictionary at its cap.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import fc from 'fast-check';
import { connect } from '../../src/index';
import { RowReader } from '../../storage/row-reader';
import { CodePool, StringCodes, codesPolicy } from '../../storage/string-codes';
import { ScanMemo } from '../../storage/scan-memo';
import { groupedFoldStats } from '../../planner/grouped-fold';

const bag = (rows: readonly unknown[]): string[] => rows.map((r) => JSON.stringify(r)).sort();
const inOrder = (rows: readonly unknown[]): string[] => rows.map((r) => JSON.stringify(r));

const STATUSES = ['new', 'paid', 'shipped', 'returned', 'cancelled'];

test('after the first pass, a text filter reads only the rows that pass', () => {
  const conn = connect(':memory:');
  const spy = jest.spyOn(RowReader.prototype, 'scanRowWhere');
  try {
    const cur = conn.cursor();
    cur.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER, status TEXT, note TEXT COLLATE NOCASE)');
    cur.executeMany(
      'INSERT INTO t VALUES (?, ?, ?, ?)',
      Array.from({ length: 5000 }, (_, i) => [
        i + 1,
        i % 100,
        i % 11 === 0 ? null : STATUSES[(i * 31) % 5],
        `Note ${i % 300}`,
      ]),
    );
    conn.commit();
    for (const [sql, params] of [
      ['SELECT id FROM t WHERE status = ?', ['paid']],
      ["SELECT id FROM t WHERE note LIKE 'note 1_'", []],
      ["SELECT id FROM t WHERE note = 'NOTE 7' AND n < 50", []],
      ["SELECT id FROM t WHERE upper(status) IN ('NEW', 'SHIPPED') AND n < 10", []],
      ['SELECT id FROM t WHERE status IS NULL AND n > 90', []],
    ] as const) {
      const first = cur.execute(sql, [...params]).fetchAll();
      spy.mockClear();
      const second = cur.execute(sql, [...params]).fetchAll();
      expect({ sql, rows: second }).toEqual({ sql, rows: first });
      expect(second.length).toBeGreaterThan(0);
      expect(second.length).toBeLessThan(1200);
      // Every row of 5,000 tested on the vectors; only the matches read.
      expect({ sql, reads: spy.mock.calls.length }).toEqual({ sql, reads: second.length });
    }
    // Another parameter decides the strings again, on the same codes.
    spy.mockClear();
    const shipped = cur.execute('SELECT count(*) FROM t WHERE status = ?', ['shipped']).fetchAll();
    expect((shipped[0] as unknown[])[0]).toBeGreaterThan(0);
    // The count folds the passing runs (planner/column-aggregate.ts): no row read at all.
    expect(spy.mock.calls.length).toBe(0);
  } finally {
    spy.mockRestore();
    conn.close();
  }
});

test('a dictionary stops at its cap and numbers each string once', () => {
  const { maxStrings } = codesPolicy;
  codesPolicy.maxStrings = 3;
  try {
    const codes = new StringCodes();
    expect([codes.code('a'), codes.code('b'), codes.code('a'), codes.code('c')]).toEqual([0, 1, 0, 2]);
    expect(codes.code('d')).toBe(-1);
    expect(codes.code('b')).toBe(1);
    expect(codes.strings).toEqual(['a', 'b', 'c']);
  } finally {
    codesPolicy.maxStrings = maxStrings;
  }
});

test("a memo's dictionaries share one pool: past it none grows, and the memo counts it", () => {
  const pool = new CodePool(3 * (2 * 5 + 64));
  const a = new StringCodes(pool);
  const b = new StringCodes(pool);
  expect([a.code('aaaaa'), b.code('bbbbb'), a.code('ccccc')]).toEqual([0, 0, 1]);
  expect([a.code('ddddd'), b.code('eeeee')]).toEqual([-1, -1]);
  // Strings already numbered keep their codes.
  expect([a.code('ccccc'), b.code('bbbbb')]).toEqual([1, 0]);
  expect(pool.used).toBe(3 * (2 * 5 + 64));

  const memo = new ScanMemo(1 << 20);
  const codes = memo.stringCodes(7, 2);
  expect(memo.stringCodes(7, 2)).toBe(codes);
  expect(memo.stringCodes(8, 2)).not.toBe(codes);
  codes.code('paid');
  expect(memo.bytes).toBe(2 * 4 + 64);
  // A new epoch starts with new dictionaries and an empty pool.
  memo.clear();
  expect(memo.bytes).toBe(0);
  expect(memo.stringCodes(7, 2)).not.toBe(codes);
});

/** Values that tell collations and comparisons apart. */
const VALUES = [
  '',
  'a',
  'A',
  'ab',
  'Ab',
  'aB',
  'b',
  'b ',
  'B',
  'abc',
  'é',
  'É',
  'm',
  'Z',
  'zz',
  '5',
  '10',
  null,
];

/** Conjuncts reading one TEXT column, `?` bound to a value of VALUES. */
const TEXT_TERMS = [
  (c: string): string => `${c} = ?`,
  (c: string): string => `${c} != ?`,
  (c: string): string => `${c} < ?`,
  (c: string): string => `? <= ${c}`,
  (c: string): string => `${c} > ?`,
  (c: string): string => `${c} LIKE 'a%'`,
  (c: string): string => `${c} LIKE '%b'`,
  (c: string): string => `${c} NOT LIKE '_'`,
  (c: string): string => `${c} GLOB '[a-b]*'`,
  (c: string): string => `${c} IN ('a', 'B', ?)`,
  (c: string): string => `${c} NOT IN ('ab', 'm')`,
  (c: string): string => `${c} IS NULL`,
  (c: string): string => `${c} IS NOT NULL`,
  (c: string): string => `${c} IS ?`,
  (c: string): string => `${c} IS NOT ?`,
  (c: string): string => `lower(${c}) = ?`,
  (c: string): string => `length(${c}) >= 2`,
  (c: string): string => `substr(${c}, 1, 1) = 'a'`,
  (c: string): string => `coalesce(${c}, 'zz') = 'zz'`,
  (c: string): string => `CASE WHEN ${c} > 'm' THEN 1 ELSE 0 END = 1`,
  (c: string): string => `${c} = ? COLLATE NOCASE`,
  (c: string): string => `${c} COLLATE RTRIM = 'b'`,
  (c: string): string => `${c} BETWEEN 'a' AND ?`,
  (c: string): string => `NOT (${c} = ?)`,
  (c: string): string => `(${c} = 'a' OR ${c} LIKE 'z%')`,
  (c: string): string => `${c} || 'x' = 'ax'`,
  (c: string): string => `${c} = 5`,
  (c: string): string => `instr(${c}, 'b') > 0`,
];

const NUMBER_TERMS = ['n > 5', 'n % 3 = 1', 'n IS NULL', 'n < ?'];

interface Query {
  terms: { text: boolean; at: number; column: number; param: number }[];
  aggregate: boolean;
  /** GROUP BY column a, b or c (an index of them), or -1 for none. */
  groupBy: number;
}

const query = fc.record({
  terms: fc.array(
    fc.record({
      text: fc.boolean(),
      at: fc.nat(TEXT_TERMS.length - 1),
      column: fc.nat(2),
      param: fc.nat(VALUES.length - 1),
    }),
    { minLength: 1, maxLength: 3 },
  ),
  aggregate: fc.boolean(),
  groupBy: fc.integer({ min: -1, max: 2 }),
});

function sqlOf(q: Query): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  const parts = q.terms.map((t) => {
    const term = t.text
      ? TEXT_TERMS[t.at](['a', 'b', 'c'][t.column])
      : NUMBER_TERMS[t.at % NUMBER_TERMS.length];
    const value = t.text ? VALUES[t.param] : t.param;
    for (let k = 0; k < (term.match(/\?/g) ?? []).length; k++) params.push(value);
    return term;
  });
  const where = parts.join(' AND ');
  if (q.groupBy >= 0) {
    const g = ['a', 'b', 'c'][q.groupBy];
    return { sql: `SELECT ${g}, count(*), sum(n), min(n) FROM t WHERE ${where} GROUP BY ${g}`, params };
  }
  const sql = q.aggregate
    ? `SELECT count(*), sum(n) FROM t WHERE ${where}`
    : `SELECT id, a, b, c, n FROM t WHERE ${where}`;
  return { sql, params };
}

function runProperty(file: boolean, runs: number, seed: number): void {
  fc.assert(
    fc.property(
      fc.array(query, { minLength: 1, maxLength: 4 }),
      fc.integer({ min: 0, max: 1_000_000 }),
      (queries, s0) => {
        const dir = file ? fs.mkdtempSync(path.join(os.tmpdir(), 'mv-text-codes-')) : null;
        const conn = connect(dir ? path.join(dir, 'db.modelvault') : ':memory:');
        const sqlite = new BetterSqlite3(':memory:');
        try {
          let s = s0;
          const r = (m: number): number => {
            s = (s * 1103515245 + 12345) % 2147483648;
            return s % m;
          };
          const cur = conn.cursor();
          const both = (sql: string, params: unknown[] = []): void => {
            cur.execute(sql, params);
            sqlite.prepare(sql).run(...params);
          };
          both(
            'CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b TEXT COLLATE NOCASE, c TEXT COLLATE RTRIM, n INTEGER)',
          );
          const value = (): unknown => VALUES[r(VALUES.length)];
          const row = (id: number): unknown[] => [id, value(), value(), value(), r(8) === 0 ? null : r(12)];
          const rows = Array.from({ length: 600 }, (_, i) => row(i + 1));
          const ins = sqlite.prepare('INSERT INTO t VALUES (?, ?, ?, ?, ?)');
          sqlite.exec('BEGIN');
          for (const x of rows) ins.run(...x);
          sqlite.exec('COMMIT');
          cur.executeMany('INSERT INTO t VALUES (?, ?, ?, ?, ?)', rows);
          conn.commit();
          const same = (): void => {
            for (const q of queries) {
              const { sql, params } = sqlOf(q);
              // Twice: the first pass fills the code vectors, the second tests them. Groups come
              // out in SQLite's order.
              const order = q.groupBy >= 0 ? inOrder : bag;
              for (let k = 0; k < 2; k++)
                expect({ sql, params, rows: order(cur.execute(sql, params).fetchAll()) }).toEqual({
                  sql,
                  params,
                  rows: order(
                    sqlite
                      .prepare(sql)
                      .raw(true)
                      .all(...params) as unknown[][],
                  ),
                });
            }
          };
          same();
          // Updates and deletes move rows; an open transaction changes the writer's leaves in place.
          for (let k = 0; k < 20; k++)
            both('UPDATE t SET a = ?, n = ? WHERE id = ?', [value(), r(12), 1 + r(600)]);
          both('DELETE FROM t WHERE id % 17 = ?', [r(17)]);
          conn.commit();
          same();
          sqlite.exec('BEGIN');
          for (let k = 0; k < 10; k++) both('INSERT INTO t VALUES (?, ?, ?, ?, ?)', row(1000 + k));
          both('UPDATE t SET b = ? WHERE id < ?', [value(), r(300)]);
          same();
          // Rolled back: the answers are the committed ones again.
          conn.rollback();
          sqlite.exec('ROLLBACK');
          same();
          if (dir) {
            conn.database.checkpoint();
            same();
          }
        } finally {
          conn.close();
          sqlite.close();
          if (dir) fs.rmSync(dir, { recursive: true, force: true });
        }
      },
    ),
    { numRuns: runs, seed },
  );
}

test('text filters agree with SQLite through collations, NULLs, writes and rollback (in memory)', () => {
  const before = groupedFoldStats.folded;
  runProperty(false, 60, 20261205);
  // GROUP BY a (no collation) folded from its codes at least once.
  expect(groupedFoldStats.folded).toBeGreaterThan(before);
});

test('GROUP BY a TEXT column folds its code vectors: no row read once they are filled', () => {
  const conn = connect(':memory:');
  const spy = jest.spyOn(RowReader.prototype, 'scanRowWhere');
  try {
    const cur = conn.cursor();
    cur.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER, status TEXT)');
    cur.executeMany(
      'INSERT INTO t VALUES (?, ?, ?)',
      Array.from({ length: 5000 }, (_, i) => [i + 1, i % 100, i % 13 === 0 ? null : STATUSES[(i * 31) % 5]]),
    );
    conn.commit();
    const sql = 'SELECT status, count(*), sum(n) FROM t GROUP BY status';
    const first = cur.execute(sql).fetchAll();
    spy.mockClear();
    const folded = groupedFoldStats.vectorEntries;
    expect(cur.execute(sql).fetchAll()).toEqual(first);
    expect(spy.mock.calls.length).toBe(0);
    expect(groupedFoldStats.vectorEntries - folded).toBe(5000);
    expect(first.map((r) => (r as unknown[])[0])).toEqual([
      null,
      'cancelled',
      'new',
      'paid',
      'returned',
      'shipped',
    ]);
  } finally {
    spy.mockRestore();
    conn.close();
  }
});

test('text filters agree with SQLite over a file, through checkpoints', () => {
  runProperty(true, 15, 20261206);
});

test('text filters agree with SQLite when the dictionary is full', () => {
  const { maxStrings } = codesPolicy;
  // Six strings: leaves meeting others get no code vector and are read row by row.
  codesPolicy.maxStrings = 6;
  try {
    runProperty(false, 25, 20261207);
  } finally {
    codesPolicy.maxStrings = maxStrings;
  }
});

test('code vectors follow DROP, ADD (with a default, rolled back) and RENAME COLUMN', () => {
  const conn = connect(':memory:');
  const sqlite = new BetterSqlite3(':memory:');
  try {
    const cur = conn.cursor();
    const both = (sql: string, params: unknown[] = []): void => {
      cur.execute(sql, params);
      sqlite.prepare(sql).run(...params);
    };
    const same = (...queries: string[]): void => {
      // Twice each: the second answer comes from the vectors the first filled.
      for (const sql of queries)
        for (let k = 0; k < 2; k++)
          expect({ sql, rows: cur.execute(sql).fetchAll() }).toEqual({
            sql,
            rows: sqlite.prepare(sql).raw(true).all(),
          });
    };
    both('CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b TEXT, n INTEGER)');
    sqlite.exec('BEGIN');
    for (let i = 0; i < 3000; i++)
      both('INSERT INTO t VALUES (?, ?, ?, ?)', [
        i + 1,
        ['x', 'y', 'z'][i % 3],
        ['x', 'y', 'q'][(i * 7) % 3],
        i % 10,
      ]);
    sqlite.exec('COMMIT');
    conn.commit();
    same(
      "SELECT count(*) FROM t WHERE b = 'x'",
      "SELECT count(*) FROM t WHERE a = 'x'",
      'SELECT b, count(*) FROM t GROUP BY b',
    );
    // b moves to a's place in the rows.
    both('ALTER TABLE t DROP COLUMN a');
    conn.commit();
    same("SELECT count(*) FROM t WHERE b = 'x'", 'SELECT b, count(*) FROM t GROUP BY b');
    // A column number used again, first with NULLs, then with values.
    both('ALTER TABLE t ADD COLUMN a TEXT');
    conn.commit();
    same('SELECT count(*) FROM t WHERE a IS NULL', 'SELECT a, count(*) FROM t GROUP BY a');
    both("UPDATE t SET a = 'k' WHERE id % 5 = 0");
    conn.commit();
    same("SELECT count(*) FROM t WHERE a = 'k'", 'SELECT a, count(*) FROM t GROUP BY a');
    both('ALTER TABLE t RENAME COLUMN b TO bb');
    conn.commit();
    same("SELECT count(*) FROM t WHERE bb = 'x'", 'SELECT bb, count(*) FROM t GROUP BY bb');
    // A default read for rows written before the column, rolled back, then another default.
    sqlite.exec('BEGIN');
    both("ALTER TABLE t ADD COLUMN c TEXT DEFAULT 'dd'");
    same("SELECT count(*) FROM t WHERE c = 'dd'", 'SELECT c, count(*) FROM t GROUP BY c');
    conn.rollback();
    sqlite.exec('ROLLBACK');
    both("ALTER TABLE t ADD COLUMN c TEXT DEFAULT 'ee'");
    conn.commit();
    same(
      "SELECT count(*) FROM t WHERE c = 'ee'",
      "SELECT count(*) FROM t WHERE c = 'dd'",
      'SELECT c, count(*) FROM t GROUP BY c',
    );
  } finally {
    conn.close();
    sqlite.close();
  }
});

test('a checkpoint keeps a few-valued TEXT column beside its pages: cold filters and GROUP BY read no row', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mv-text-pages-'));
  const file = path.join(dir, 'db.modelvault');
  const sqlite = new BetterSqlite3(':memory:');
  const spy = jest.spyOn(RowReader.prototype, 'scanRowWhere');
  try {
    const ddl = 'CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER, status TEXT, note TEXT COLLATE NOCASE)';
    const rows = Array.from({ length: 4000 }, (_, i) => [
      i + 1,
      i % 100,
      i % 17 === 0 ? null : ['new', 'Paid', 'paid', 'shipped', 'é'][(i * 31) % 5],
      `note ${i}`,
    ]);
    const writer = connect(file);
    writer.cursor().execute(ddl);
    writer.cursor().executeMany('INSERT INTO t VALUES (?, ?, ?, ?)', rows);
    writer.commit();
    writer.close();
    sqlite.exec(ddl);
    const ins = sqlite.prepare('INSERT INTO t VALUES (?, ?, ?, ?)');
    for (const r of rows) ins.run(...r);
    const queries = [
      "SELECT count(*) FROM t WHERE status = 'paid'",
      "SELECT count(*), sum(n) FROM t WHERE status LIKE 'p%' AND n > 40",
      'SELECT count(*) FROM t WHERE status IS NULL',
      'SELECT status, count(*), sum(n) FROM t GROUP BY status',
    ];
    for (const sql of queries) {
      // A fresh reader each time: nothing memoized, no leaf decoded, only column pages.
      const cold = connect(file, { readOnly: true, cacheBytes: 0 });
      try {
        spy.mockClear();
        expect({ sql, rows: cold.cursor().execute(sql).fetchAll() }).toEqual({
          sql,
          rows: sqlite.prepare(sql).raw(true).all(),
        });
        expect({ sql, reads: spy.mock.calls.length }).toEqual({ sql, reads: 0 });
      } finally {
        cold.close();
      }
    }
    // Rows returned: each leaf is decoded, its codes and numbers come from the column pages, and
    // only the matching rows are read.
    const rowsSql = "SELECT id, status FROM t WHERE status = 'shipped' AND n < 5";
    const reader = connect(file, { readOnly: true, cacheBytes: 0 });
    try {
      spy.mockClear();
      const got = reader.cursor().execute(rowsSql).fetchAll();
      expect(got).toEqual(sqlite.prepare(rowsSql).raw(true).all());
      expect(got.length).toBeGreaterThan(0);
      expect(spy.mock.calls.length).toBe(got.length);
    } finally {
      reader.close();
    }
    // `note` has a string per row: no DICT column, its filter reads every row.
    const cold = connect(file, { readOnly: true, cacheBytes: 0 });
    try {
      spy.mockClear();
      const sql = "SELECT count(*) FROM t WHERE note LIKE 'NOTE 1%'";
      expect(cold.cursor().execute(sql).fetchAll()).toEqual(sqlite.prepare(sql).raw(true).all());
      expect(spy.mock.calls.length).toBe(4000);
    } finally {
      cold.close();
    }
  } finally {
    spy.mockRestore();
    sqlite.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('an arithmetic term the vectors cannot decide exactly rebuilds the row with its text from the codes', () => {
  // big * 2 leaves the exact range of a double for values near 2^53: those entries are decided by
  // the whole WHERE on a row rebuilt from the vectors, whose status then comes from its code.
  const conn = connect(':memory:');
  const sqlite = new BetterSqlite3(':memory:');
  try {
    const cur = conn.cursor();
    const ddl = 'CREATE TABLE t (id INTEGER PRIMARY KEY, big INTEGER, status TEXT)';
    cur.execute(ddl);
    sqlite.exec(ddl);
    const rows = Array.from({ length: 2000 }, (_, i) => [
      i + 1,
      i % 3 === 0 ? 2 ** 52 + i : i,
      i % 7 === 0 ? null : STATUSES[i % 5],
    ]);
    cur.executeMany('INSERT INTO t VALUES (?, ?, ?)', rows);
    conn.commit();
    const ins = sqlite.prepare('INSERT INTO t VALUES (?, ?, ?)');
    for (const r of rows) ins.run(...r);
    for (const sql of [
      "SELECT id FROM t WHERE big * 2 > 9007199254740990 AND status = 'paid'",
      'SELECT count(*) FROM t WHERE big * 2 < 100 AND status IS NULL',
    ])
      for (let k = 0; k < 2; k++)
        expect({ sql, rows: cur.execute(sql).fetchAll() }).toEqual({
          sql,
          rows: sqlite.prepare(sql).raw(true).all(),
        });
  } finally {
    conn.close();
    sqlite.close();
  }
});
