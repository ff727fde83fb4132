/**
 * A literal compared with a column takes the column's comparison affinity, as in SQLite: text
 * that reads as a number matches an INTEGER, REAL or BOOLEAN column's number (`id = '5'`); a
 * number compared with a TEXT column compares as its text (`s = 10.0` is `s = '10.0'`); text that
 * is no number, and anything against a BLOB column or an aggregate, compares by storage class
 * (NULL < numbers < text < blobs). Through primary-key, index and composite-index paths and scans,
 * for =, !=, <, >=, IN and BETWEEN with the literal on either side, compared with better-sqlite3.
 * Only a TIMESTAMP column refuses a text literal (SQLite has no date class to compare by).
 * `CASE x WHEN y` compares each arm as `x = y`. A column against an expression of another class
 * (`s = a + 1`, `s = 1 + 1`) converts the expression as SQLite does; `x IN (y, …)` takes the items
 * to have no affinity.
 */
import BetterSqlite3 from 'better-sqlite3';
import fc from 'fast-check';
import { connect, DataError } from '../../src/index';
import { normRow } from '../differential/normalize';

const DDL = [
  'CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, r REAL, s TEXT, f BOOLEAN, b BLOB)',
  'CREATE INDEX t_a ON t (a)',
  'CREATE INDEX t_s ON t (s)',
  'CREATE INDEX t_b ON t (b)',
  'CREATE INDEX t_ar ON t (a, r)',
];
const ROWS = [
  "(1, 0, 1.5, '1', 0, x'31')",
  "(2, 1, 2, '2', 1, x'')",
  "(3, 2, 3, '10', 1, x'3130')",
  "(4, 10, 10, '10.0', 0, NULL)",
  "(5, 5, -1, 'a', NULL, x'61')",
  '(6, NULL, NULL, NULL, 1, NULL)',
  "(7, -3, 0.25, ' 7 ', 0, x'00ff')",
  "(8, 7, 100, '', 1, x'20')",
];

const literal = fc.constantFrom(
  "'1'",
  "'10'",
  "'10.0'",
  "' 7 '",
  "'2.5'",
  "'-3'",
  "'a'",
  "''",
  "'1e1'",
  "'0x10'",
  "'abc'",
  "'+5'",
  "'.25'",
  '1',
  '10',
  '10.0',
  '2.5',
  '-3',
  '0',
  '0.25',
  '1e1',
  "x'31'",
  "x''",
  "x'61'",
  'NULL',
);
const column = fc.constantFrom('id', 'a', 'r', 's', 'f', 'b');
const hint = fc.constantFrom('', ' NOT INDEXED');
const shape = fc.constantFrom(
  (c: string, x: string) => `${c} = ${x}`,
  (c: string, x: string) => `${x} = ${c}`,
  (c: string, x: string) => `${c} < ${x}`,
  (c: string, x: string) => `${x} < ${c}`,
  (c: string, x: string) => `${c} >= ${x}`,
  (c: string, x: string, y: string) => `${c} IN (${x}, ${y})`,
  (c: string, x: string, y: string) => `${c} NOT IN (${x}, ${y})`,
  (c: string, x: string, y: string) => `${c} BETWEEN ${x} AND ${y}`,
  (c: string, x: string) => `${c} != ${x}`,
  (c: string, x: string) => `a = 2 AND ${c} > ${x}`,
  (c: string, x: string) => `${c} COLLATE NOCASE = ${x}`,
);

function setup(): { conn: ReturnType<typeof connect>; sqlite: BetterSqlite3.Database } {
  const conn = connect(':memory:', { safeIntegers: true });
  const sqlite = new BetterSqlite3(':memory:');
  sqlite.defaultSafeIntegers(true);
  for (const sql of DDL) {
    conn.execute(sql);
    sqlite.exec(sql);
  }
  const insert = `INSERT INTO t VALUES ${ROWS.join(', ')}`;
  conn.execute(insert);
  sqlite.exec(insert);
  conn.commit();
  return { conn, sqlite };
}

function sameRows(conn: ReturnType<typeof connect>, sqlite: BetterSqlite3.Database, sql: string): void {
  const want = (sqlite.prepare(sql).raw().all() as unknown[][]).map(normRow);
  const got = (conn.cursor().execute(sql).fetchAll() as unknown[][]).map(normRow);
  expect([sql, got]).toEqual([sql, want]);
}

test('comparisons of a column with a literal of another storage class equal SQLite', () => {
  const { conn, sqlite } = setup();
  try {
    fc.assert(
      fc.property(column, shape, hint, literal, literal, (c, where, h, x, y) => {
        sameRows(conn, sqlite, `SELECT id FROM t${h} WHERE ${where(c, x, y)} ORDER BY id`);
      }),
      { numRuns: 1500, seed: 20261501 },
    );
  } finally {
    conn.close();
    sqlite.close();
  }
});

test('CASE x WHEN y compares as x = y does, with the same affinity, as SQLite', () => {
  // Each arm of a CASE with an operand is `operand = arm`: a literal arm against a column operand
  // (and the reverse) takes the column's affinity; two columns and CASTs convert as `=` does.
  const operand = fc.oneof(
    column,
    literal,
    column.map((c) => `CAST(${c} AS TEXT)`),
    column.map((c) => `${c} + 0`),
  );
  const arm = fc.oneof(
    literal,
    column,
    column.map((c) => `CAST(${c} AS INTEGER)`),
  );
  const { conn, sqlite } = setup();
  try {
    fc.assert(
      fc.property(operand, arm, arm, (x, y, z) => {
        sameRows(
          conn,
          sqlite,
          `SELECT id, CASE ${x} WHEN ${y} THEN 'y' WHEN ${z} THEN 'z' ELSE 'none' END FROM t ORDER BY id`,
        );
      }),
      { numRuns: 1000, seed: 20261506 },
    );
  } finally {
    conn.close();
    sqlite.close();
  }
});

test('a column against an expression of another class converts it, as SQLite does, with or without an index', () => {
  // `s = a + 1` compares the sum as text, `a = s || ''` the text as a number; a constant
  // expression (`s = 1 + 1`) too, which the index over s cannot answer as stored.
  const expr = fc.constantFrom(
    'a + 0',
    'r * 1',
    'abs(id)',
    "s || ''",
    'length(s)',
    'upper(s)',
    '1 + 1',
    '5 * 2',
    '2.5 * 1',
    "'1' || ''",
    "'10' || '.0'",
    'CAST(a AS TEXT)',
    'CAST(s AS INTEGER)',
  );
  const where = fc.constantFrom(
    (c: string, x: string) => `${c} = ${x}`,
    (c: string, x: string) => `${x} = ${c}`,
    (c: string, x: string) => `${c} < ${x}`,
    (c: string, x: string) => `${x} >= ${c}`,
    (c: string, x: string) => `${c} != ${x}`,
    (c: string, x: string) => `${c} IS ${x}`,
    (c: string, x: string, y: string) => `${c} IN (${x}, ${y})`,
    (c: string, x: string, y: string) => `${c} NOT IN (${x}, ${y})`,
    (c: string, x: string, y: string) => `${c} BETWEEN ${x} AND ${y}`,
    (c: string, x: string, y: string) => `${x} IN (${c}, ${y})`,
  );
  const { conn, sqlite } = setup();
  try {
    fc.assert(
      fc.property(fc.constantFrom('id', 'a', 'r', 's', 'f'), where, hint, expr, expr, (c, w, h, x, y) => {
        sameRows(conn, sqlite, `SELECT id FROM t${h} WHERE ${w(c, x, y)} ORDER BY id`);
      }),
      { numRuns: 1500, seed: 20261507 },
    );
  } finally {
    conn.close();
    sqlite.close();
  }
});

test('literals against aggregates, derived columns and in joins compare as SQLite', () => {
  const { conn, sqlite } = setup();
  try {
    for (const sql of [
      "SELECT f, count(*) FROM t GROUP BY f HAVING count(*) > '1' ORDER BY f",
      'SELECT f, max(s) FROM t GROUP BY f HAVING max(s) > 5 ORDER BY f',
      "SELECT id FROM (SELECT id, a FROM t) WHERE a = '5'",
      "SELECT id FROM (SELECT id, a + 0 AS e FROM t) WHERE e = '5'",
      'SELECT x.id FROM t x JOIN t y ON y.id = x.a WHERE y.s = 2 ORDER BY x.id',
      "SELECT id FROM t WHERE a = '5' OR s = 10.0 ORDER BY id",
      "SELECT id, a = '10', s > 1, b = 'a' FROM t ORDER BY id",
      "SELECT id FROM t WHERE id IN ('1', '3.0', 'x') ORDER BY id",
      'SELECT count(*) FROM t WHERE s < 100',
      "SELECT id FROM t WHERE a > 'a' OR r < x'00' ORDER BY id",
    ])
      sameRows(conn, sqlite, sql);
  } finally {
    conn.close();
    sqlite.close();
  }
});

test('a TIMESTAMP column refuses a text literal; a number of milliseconds compares', () => {
  const conn = connect(':memory:');
  try {
    conn.execute('CREATE TABLE e (id INTEGER PRIMARY KEY, at TIMESTAMP)');
    conn.execute('INSERT INTO e VALUES (1, ?), (2, ?)', [new Date(1000), new Date(5000)]);
    expect(() => conn.execute("SELECT id FROM e WHERE at > '2024-01-01'")).toThrow(DataError);
    expect(() => conn.execute("SELECT id FROM e WHERE at > '2024-01-01'")).toThrow(/timestamp/);
    expect(conn.cursor().execute('SELECT id FROM e WHERE at > 2000').fetchAll()).toEqual([[2]]);
  } finally {
    conn.close();
  }
});
