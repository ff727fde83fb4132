/**
 * A whole-number REAL keeps its storage class on its way through rows: out of a derived table, a
 * CTE, a compound, VALUES, GROUP BY keys, DISTINCT, ORDER BY, joins, windows and spills, into
 * typeof(), `/`, `||`, the cursor (safeIntegers: INTEGER as bigint, REAL as number) and writes.
 * Also SQLite's REAL affinity of a compound read as a table, and which of two rows UNION
 * finds equal it keeps. Every answer is better-sqlite3's, storage class included.
 */
import Sqlite from 'better-sqlite3';
import { connect } from '../../src/index';
import { lcg } from '../helpers/seeded';
import type { Connection } from '../../src/index';

const DDL = [
  'CREATE TABLE t (id INTEGER PRIMARY KEY, i INTEGER, r REAL, s TEXT)',
  'CREATE TABLE u (id INTEGER PRIMARY KEY, v REAL)',
];
const ROWS: [number, number | null, number | null, string | null][] = [
  [1, 5, 2.5, '7'],
  [2, 3, 3.0, 'x'],
  [3, null, 4.0, '3.0'],
  [4, 4, null, 'A'],
  [5, 3, 5.0, 'a'],
];
const MIXED = 'CASE WHEN id % 2 = 1 THEN i ELSE r END';

/** A value with its storage class: INTEGER and REAL apart even when the number is whole. */
function shown(v: unknown): string {
  if (typeof v === 'bigint') return `${v}i`;
  if (typeof v === 'number') return `${v}r`;
  if (v instanceof Uint8Array) return `x${Buffer.from(v).toString('hex')}`;
  return JSON.stringify(v);
}

function pair(): { sqlite: Sqlite.Database; conn: Connection } {
  const sqlite = new Sqlite(':memory:');
  const conn = connect(':memory:', { autocommit: true, safeIntegers: true });
  for (const d of DDL) {
    sqlite.exec(d);
    conn.execute(d);
  }
  const ins = 'INSERT INTO t VALUES (?, ?, ?, ?)';
  const stmt = sqlite.prepare(ins);
  for (const r of ROWS) {
    stmt.run(...r);
    conn.execute(ins, r);
  }
  return { sqlite, conn };
}

function answers(sqlite: Sqlite.Database, conn: Connection, q: string): [string, string] {
  const run = (f: () => unknown[][]): string => {
    try {
      return f()
        .map((r) => r.map(shown).join(','))
        .join(' | ');
    } catch (err) {
      return `error: ${(err as Error).message.split(' at line')[0]}`;
    }
  };
  const a = run(() => sqlite.prepare(q).safeIntegers(true).raw().all() as unknown[][]);
  const b = run(() => conn.cursor().execute(q).fetchAll() as unknown[][]);
  return [a, b];
}

const QUERIES = [
  // Out of a derived table, a CTE and a view-like nesting.
  `SELECT v, typeof(v), v / 2, v || '' FROM (SELECT id, ${MIXED} AS v FROM t) ORDER BY id`,
  `WITH c(v) AS (SELECT ${MIXED} FROM t) SELECT v, typeof(v), v % 2 FROM c`,
  `SELECT w FROM (SELECT v AS w FROM (SELECT ${MIXED} AS v FROM t))`,
  `SELECT ${MIXED} FROM t`,
  // GROUP BY keys, DISTINCT, ORDER BY, LIMIT/OFFSET, aggregates over the column.
  `SELECT v, typeof(v), count(*) FROM (SELECT ${MIXED} AS v FROM t) GROUP BY v ORDER BY 1`,
  'SELECT v, typeof(v) FROM (SELECT 3.0 AS v UNION ALL SELECT 3 UNION ALL SELECT 2) GROUP BY v',
  `SELECT DISTINCT v, typeof(v) FROM (SELECT ${MIXED} AS v FROM t)`,
  `SELECT v FROM (SELECT ${MIXED} AS v FROM t) ORDER BY v DESC LIMIT 2 OFFSET 1`,
  `SELECT max(v), typeof(max(v)), sum(v), group_concat(v), json_group_array(v) FROM (SELECT ${MIXED} AS v FROM t)`,
  // Windows and joins over the column.
  `SELECT v, lag(v) OVER (ORDER BY id), first_value(v) OVER (ORDER BY id DESC) FROM (SELECT id, ${MIXED} AS v FROM t)`,
  `SELECT x.v, typeof(x.v), y.v FROM (SELECT ${MIXED} AS v FROM t) x JOIN (SELECT r AS v FROM t) y ON x.v = y.v`,
  `SELECT x.v, typeof(x.v) FROM (SELECT ${MIXED} AS v FROM t) x WHERE x.v IN (SELECT r FROM t)`,
  `SELECT id FROM t WHERE s IN (SELECT ${MIXED} FROM t) ORDER BY id`,
  // Compounds: the arms' types differ.
  'SELECT i FROM t UNION ALL SELECT r FROM t',
  'SELECT v, typeof(v) FROM (SELECT i AS v FROM t UNION ALL SELECT r FROM t)',
  'SELECT v, typeof(v) FROM (SELECT i AS v FROM t UNION SELECT s FROM t UNION SELECT r FROM t)',
  'SELECT v, typeof(v) FROM (SELECT i AS v FROM t INTERSECT SELECT r FROM t)',
  // VALUES with mixed columns.
  "SELECT column1, typeof(column1), column1 / 2 FROM (VALUES (1), (2.0), (NULL), ('x'))",
  "SELECT * FROM (VALUES (1.0, 'a'), (2, 3.0))",
  // A compound read as a table takes its first arm's REAL affinity, unless an arm may be text.
  'SELECT v, typeof(v) FROM (SELECT r AS v FROM t UNION ALL SELECT i FROM t)',
  'WITH c(v) AS (SELECT r FROM t UNION SELECT i FROM t) SELECT v, typeof(v), v / 2 FROM c',
  'SELECT v, typeof(v) FROM (SELECT r AS v FROM t UNION ALL SELECT 7 UNION ALL SELECT NULL)',
  'SELECT v, typeof(v) FROM (SELECT r AS v FROM t UNION ALL SELECT i FROM t UNION ALL SELECT s FROM t)',
  'SELECT v, typeof(v) FROM (SELECT r AS v FROM t UNION ALL SELECT CASE WHEN id > 2 THEN i ELSE 2.5 END FROM t)',
  "SELECT v, typeof(v) FROM (SELECT r AS v FROM t UNION ALL SELECT CASE WHEN id > 2 THEN i ELSE 'z' END FROM t)",
  'SELECT v, typeof(v) FROM (SELECT r + 0 AS v FROM t UNION ALL SELECT i FROM t)',
  'SELECT v, typeof(v) FROM (SELECT CAST(i AS REAL) AS v FROM t UNION ALL SELECT i FROM t)',
  'SELECT v, typeof(v) FROM (SELECT r AS v FROM t UNION ALL SELECT 9223372036854775807)',
  'SELECT r FROM t UNION ALL SELECT i FROM t',
  'SELECT typeof((SELECT r FROM t WHERE id = 4 UNION ALL SELECT i FROM t))',
  // Recursive CTEs whose arms differ.
  'WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1.0 FROM c WHERE n < 3) SELECT n, typeof(n) FROM c',
  'WITH RECURSIVE c(n) AS (SELECT 1.0 UNION SELECT n + 1 FROM c WHERE n < 3) SELECT n, typeof(n) FROM c',
  // UNION keeps a row of its right side over an equal one of its left; each side keeps its first.
  'SELECT 3 UNION SELECT 3.0',
  'SELECT 3.0 UNION SELECT 3',
  "SELECT 'a' COLLATE NOCASE UNION SELECT 'A'",
  'SELECT 3 UNION SELECT 4 UNION SELECT 3.0',
  'SELECT 3 UNION ALL SELECT 3.0 UNION SELECT 4',
  'SELECT 3 UNION SELECT column1 FROM (VALUES (3.0), (3))',
  'SELECT 3 UNION ALL SELECT 3.0 INTERSECT SELECT 3',
  'SELECT 3.0 INTERSECT SELECT 3 UNION SELECT 3',
  'SELECT i FROM t UNION SELECT r FROM t',
  "SELECT s COLLATE NOCASE FROM t UNION SELECT 'a' UNION SELECT 'X' ORDER BY 1",
];

describe('a whole-number REAL through rows', () => {
  const { sqlite, conn } = pair();
  afterAll(() => {
    sqlite.close();
    conn.close();
  });

  test.each(QUERIES)('%s', (q) => {
    const [a, b] = answers(sqlite, conn, q);
    expect(b).toBe(a);
  });

  test('INSERT … SELECT and CREATE TABLE … AS store the REAL the column held', () => {
    const w = `SELECT id, ${MIXED} FROM t WHERE id <= 3`;
    sqlite.exec(`INSERT INTO u ${w}`);
    conn.execute(`INSERT INTO u ${w}`);
    const [a, b] = answers(sqlite, conn, 'SELECT id, v, typeof(v) FROM u ORDER BY id');
    expect(a).toBe('1i,5r,"real" | 2i,3r,"real" | 3i,null,"null"');
    expect(b).toBe(a);
    // ModelVault types a CTAS column by its values: a REAL among INTEGERs makes it REAL.
    conn.execute(`CREATE TABLE m AS SELECT ${MIXED} AS v FROM t WHERE id IN (1, 2)`);
    const rows = conn.cursor().execute('SELECT v, typeof(v) FROM m').fetchAll();
    expect(rows.map((r) => (r as unknown[]).map(shown).join(','))).toEqual(['5r,"real"', '3r,"real"']);
  });
});

describe('spilled operators keep the tags', () => {
  // Budgets of a few hundred bytes make the hash join, the sort and GROUP BY spill at once.
  const sqlite = new Sqlite(':memory:');
  const conn = connect(':memory:', {
    autocommit: true,
    safeIntegers: true,
    hashJoinBudgetBytes: 512,
    sortBudgetBytes: 512,
  });
  const ddl = 'CREATE TABLE n (id INTEGER PRIMARY KEY, i INTEGER, r REAL)';
  sqlite.exec(ddl);
  conn.execute(ddl);
  const ins = 'INSERT INTO n VALUES (?, ?, ?)';
  const stmt = sqlite.prepare(ins);
  for (let id = 1; id <= 400; id++) {
    const row = [id, id % 17, (id % 13) + 0.0];
    stmt.run(...row);
    conn.execute(ins, row);
  }
  afterAll(() => {
    sqlite.close();
    conn.close();
  });
  const derived = 'SELECT id, CASE WHEN id % 3 = 0 THEN i ELSE r END AS v FROM n';
  test.each([
    `SELECT a.id, a.v, typeof(a.v), b.v FROM (${derived}) a JOIN (${derived}) b ON a.id = b.id + 1 ORDER BY a.id`,
    `SELECT v, typeof(v), id FROM (${derived}) ORDER BY v, id`,
    `SELECT v, typeof(v), count(*) FROM (${derived}) GROUP BY v ORDER BY 1`,
    `SELECT DISTINCT v, typeof(v) FROM (${derived}) ORDER BY 1, 2`,
  ])('%s', (q) => {
    const [a, b] = answers(sqlite, conn, q);
    expect(b).toBe(a);
  });
});

describe('generated queries over columns typed per row', () => {
  const { sqlite, conn } = pair();
  afterAll(() => {
    sqlite.close();
    conn.close();
  });
  const pick = lcg(20261207);
  const one = <T>(xs: readonly T[]): T => xs[pick(xs.length)];
  const values = [
    'i',
    'r',
    's',
    '2.0',
    '3',
    'NULL',
    "'4.0'",
    'i + 0.0',
    'r * 2',
    'id',
    'CAST(i AS REAL)',
    'CAST(s AS NUMERIC)',
  ];
  const mixed = (): string => {
    const a = one(values);
    const b = one(values);
    return one([
      `CASE WHEN id % 2 = 0 THEN ${a} ELSE ${b} END`,
      `coalesce(${a}, ${b})`,
      `iif(id > 2, ${a}, ${b})`,
      `max(${a}, ${b})`,
      a,
    ]);
  };
  const inner = (): string =>
    one([
      `SELECT id, ${mixed()} AS v FROM t`,
      `SELECT id, ${one(values)} AS v FROM t UNION ALL SELECT id + 10, ${one(values)} FROM t`,
      `SELECT id, ${one(values)} AS v FROM t UNION SELECT id, ${one(values)} FROM t`,
      `SELECT column1 AS id, column2 AS v FROM (VALUES (1, ${one(['1', '2.0', "'x'", 'NULL'])}), (2, ${one(['3', '4.0', 'NULL'])}))`,
    ]);
  const outer = (src: string): string =>
    one([
      `SELECT id, v, typeof(v), v / 2, v || '' FROM (${src}) ORDER BY id, 2`,
      `SELECT v, typeof(v), count(*) FROM (${src}) GROUP BY v ORDER BY 1, 2`,
      `SELECT DISTINCT typeof(v), v FROM (${src}) ORDER BY 2, 1`,
      `WITH c AS (${src}) SELECT x.id, x.v, typeof(x.v), y.id FROM c x LEFT JOIN c y ON x.v = y.v AND x.id < y.id ORDER BY 1, 4`,
      `SELECT max(v), typeof(min(v)), sum(v), total(v) FROM (${src})`,
      `SELECT v, typeof(v) FROM (${src}) WHERE v IN (SELECT r FROM t) ORDER BY id, 1`,
      `SELECT typeof(v) || ':' || quote(v) FROM (${src}) ORDER BY id, 1`,
    ]);
  const CASES = 300;
  test(`${CASES} cases agree with SQLite, storage classes included`, () => {
    const failures: string[] = [];
    for (let k = 0; k < CASES; k++) {
      const q = outer(inner());
      const [a, b] = answers(sqlite, conn, q);
      if (a !== b) failures.push(`${q}\n  sqlite:    ${a}\n  modelvault: ${b}`);
    }
    expect(failures.slice(0, 5).join('\n')).toBe('');
  });
});
