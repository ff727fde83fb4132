/**
 * `GROUP BY key` with `count(*)` alone over a covering walk of a plain index on the key
 * (planner/group-counts.ts): the groups are runs of equal keys, short runs stepped, long ones
 * counted by a walk bounded to the key. Every answer equals better-sqlite3's — integers, REALs
 * (whole and not), text, NULLs, ranges on the key, LIMIT, ORDER BY the count, HAVING — in
 * memory and over a file opened cold; the path taken and the long runs are counted.
 */
import { connect } from '../../src/index';
import { groupCountStats } from '../../planner/group-counts';
import { Oracle } from '../helpers/sqlite-oracle';
import { lcg } from '../helpers/seeded';
import { tmpDir } from '../helpers/tmp';
import BetterSqlite3 from 'better-sqlite3';

const DDL = [
  'CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER, r REAL, s TEXT, a INTEGER, b TEXT)',
  'CREATE INDEX t_n ON t (n)',
  'CREATE INDEX t_r ON t (r)',
  'CREATE INDEX t_s ON t (s)',
  'CREATE INDEX t_ab ON t (a, b)',
  'CREATE INDEX t_ns ON t (n, s)',
];

/** Runs of every length: a few keys hold hundreds of rows, most a handful, some one. */
function rows(count: number, seed: number): string[] {
  const next = lcg(seed);
  const out: string[] = [];
  const skewed = (): number => (next(4) === 0 ? next(3) : next(400));
  for (let i = 1; i <= count; i++) {
    const n = next(12) === 0 ? 'NULL' : String(skewed() - 50);
    const r = next(10) === 0 ? 'NULL' : String(skewed() / 2);
    const s = next(9) === 0 ? 'NULL' : `'k${skewed()}'`;
    // (a, b): a of a few values (long runs), b of a few more, either sometimes NULL.
    const a = next(15) === 0 ? 'NULL' : String(next(6));
    const b = next(15) === 0 ? 'NULL' : `'b${skewed() % 9}'`;
    out.push(`INSERT INTO t VALUES (${i}, ${n}, ${r}, ${s}, ${a}, ${b})`);
  }
  return out;
}

const QUERIES = [
  'SELECT n, count(*) FROM t GROUP BY n',
  'SELECT r, count(*) FROM t GROUP BY r',
  'SELECT s, count(*) FROM t GROUP BY s',
  'SELECT n, count(*) FROM t WHERE n > 10 GROUP BY n',
  'SELECT n, count(*) FROM t WHERE n BETWEEN -20 AND 5 GROUP BY n',
  "SELECT s, count(*) FROM t WHERE s < 'k2' GROUP BY s",
  'SELECT r, count(*) FROM t WHERE r >= 1 GROUP BY r',
  'SELECT n, count(*) AS c FROM t GROUP BY n HAVING c > 20',
  'SELECT n, count(*) AS c FROM t GROUP BY n ORDER BY c DESC, n LIMIT 5',
  'SELECT n, count(*) FROM t GROUP BY n LIMIT 3',
  'SELECT n, count(*) FROM t GROUP BY n LIMIT 4 OFFSET 10',
  'SELECT count(*), n, count(*) AS again FROM t GROUP BY n',
  'SELECT count(*) FROM t GROUP BY s',
  // The groups come in key order; a sort above reverses them.
  'SELECT n, count(*) FROM t GROUP BY n ORDER BY n DESC',
  // Leading columns of a composite index.
  'SELECT a, count(*) FROM t GROUP BY a',
  'SELECT a, b, count(*) FROM t GROUP BY a, b',
  'SELECT a, count(*) FROM t WHERE a > 2 GROUP BY a',
  'SELECT a, b, count(*) FROM t WHERE a = 3 GROUP BY a, b',
  "SELECT a, b, count(*) FROM t WHERE a = 3 AND b > 'b4' GROUP BY a, b",
  'SELECT b, a, count(*) AS c FROM t GROUP BY a, b HAVING c > 30 LIMIT 6',
  // Its leading columns in another order: grouped, and listed, as SQLite does, in the index's.
  'SELECT b, a, count(*) FROM t GROUP BY b, a',
];

/** Shapes left to the aggregate over rows: the path must not take them. */
const OTHERS = [
  'SELECT n, count(n) FROM t GROUP BY n',
  'SELECT n, count(*), sum(r) FROM t GROUP BY n',
  'SELECT n, count(*), id FROM t GROUP BY n',
  'SELECT n, count(DISTINCT n) FROM t GROUP BY n',
  'SELECT n, count(*) FILTER (WHERE n > 3) FROM t GROUP BY n',
  "SELECT n, count(*) FROM t WHERE s > 'k1' GROUP BY n",
  // IS NOT NULL is a filter over the walk, not a range of it.
  'SELECT r, count(*) FROM t WHERE r IS NOT NULL GROUP BY r',
  // The walk bounds b, past the group's column: a's runs reach outside it.
  "SELECT a, count(*) FROM t WHERE a = 3 AND b > 'b4' GROUP BY a",
  // Not the index's leading columns.
  'SELECT b, count(*) FROM t GROUP BY b',
];

describe('GROUP BY key count(*) from runs of index keys', () => {
  const oracle = new Oracle();
  beforeAll(() => oracle.exec(...DDL, ...rows(6_000, 20261207)));
  afterAll(() => oracle.close());

  test.each(QUERIES)('%s: same answer as SQLite, by runs', (sql) => {
    const before = groupCountStats.groups;
    const { mv, sqlite } = oracle.query(sql);
    expect(mv).toEqual(sqlite);
    expect(groupCountStats.groups).toBeGreaterThan(before);
  });

  test.each(OTHERS)('%s: same answer as SQLite, not by runs', (sql) => {
    const before = groupCountStats.groups;
    const { mv, sqlite } = oracle.query(sql);
    expect(mv).toEqual(sqlite);
    expect(groupCountStats.groups).toBe(before);
  });

  test('long runs are counted by a bounded walk, short ones stepped', () => {
    const before = { ...groupCountStats };
    const { mv, sqlite } = oracle.query('SELECT n, count(*) FROM t GROUP BY n');
    expect(mv).toEqual(sqlite);
    // The three heavy keys (about 1,500 rows each, one in four rows) and NULL (one in twelve).
    const long = groupCountStats.longRuns - before.longRuns;
    expect(long).toBeGreaterThanOrEqual(3);
    expect(long).toBeLessThanOrEqual(5);
    expect(groupCountStats.groups - before.groups).toBeGreaterThan(300);
  });
});

describe('GROUP BY key count(*) over a file opened cold', () => {
  const tmp = tmpDir();
  afterAll(() => tmp.cleanup());

  test('answers equal SQLite’s, with long runs passing pages unread', () => {
    const file = tmp.file();
    const writer = connect(file);
    const db = new BetterSqlite3(':memory:');
    try {
      for (const sql of DDL) {
        writer.execute(sql);
        db.exec(sql);
      }
      const next = lcg(20261211);
      // 60,000 rows; `n` holds 7 values (runs of thousands: many pages each), `s` mostly singles.
      const data = Array.from({ length: 60_000 }, (_, i) => [
        i + 1,
        next(15) === 0 ? null : next(7),
        next(100) / 4,
        `k${next(50_000)}`,
        next(3),
        `b${next(4)}`,
      ]);
      writer.cursor().executeMany('INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)', data);
      writer.commit();
      writer.database.checkpoint();
      const ins = db.prepare('INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)');
      for (const r of data) ins.run(...r);
    } finally {
      writer.close();
    }
    try {
      for (const sql of [
        'SELECT n, count(*) FROM t GROUP BY n',
        'SELECT n, count(*) FROM t WHERE n >= 3 GROUP BY n',
        'SELECT s, count(*) FROM t GROUP BY s',
        "SELECT s, count(*) FROM t WHERE s > 'k3' GROUP BY s LIMIT 7",
        'SELECT a, b, count(*) FROM t GROUP BY a, b',
        'SELECT a, count(*) FROM t WHERE a > 0 GROUP BY a',
      ]) {
        const reader = connect(file, { readOnly: true });
        try {
          const before = groupCountStats.groups;
          expect({ sql, rows: reader.cursor().execute(sql).fetchAll() }).toEqual({
            sql,
            rows: db.prepare(sql).raw(true).all(),
          });
          expect(groupCountStats.groups).toBeGreaterThan(before);
        } finally {
          reader.close();
        }
      }
    } finally {
      db.close();
    }
  });
});
