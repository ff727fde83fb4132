/**
 * Aggregates of DISTINCT values of an indexed column over a covering walk
 * (planner/distinct-keys.ts): the walk hands on one entry per run of equal keys, and every answer
 * equals better-sqlite3's — NULLs, whole-number REALs, text, ranges,
 * group_concat's order of first occurrence. Counted: the rows built are the distinct keys, not
 * the entries.
 */
import { connect } from '../../src/index';
import { Oracle } from '../helpers/sqlite-oracle';
import { lcg } from '../helpers/seeded';
import * as indexRange from '../../planner/index-range';

const DDL = [
  'CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER, r REAL, s TEXT)',
  'CREATE INDEX t_n ON t (n)',
  'CREATE INDEX t_r ON t (r)',
  'CREATE INDEX t_s ON t (s)',
];

function rows(count: number, seed: number): string[] {
  const next = lcg(seed);
  const out: string[] = [];
  for (let i = 1; i <= count; i++) {
    const n = next(10) === 0 ? 'NULL' : String(next(60) - 20);
    const r = next(8) === 0 ? 'NULL' : String(next(40) / 4);
    const s = next(9) === 0 ? 'NULL' : `'${String.fromCharCode(97 + next(12))}${next(3)}'`;
    out.push(`INSERT INTO t VALUES (${i}, ${n}, ${r}, ${s})`);
  }
  return out;
}

const QUERIES = [
  'SELECT count(DISTINCT n) FROM t',
  'SELECT count(DISTINCT n), sum(DISTINCT n), avg(DISTINCT n), min(DISTINCT n), max(DISTINCT n) FROM t',
  'SELECT count(DISTINCT n), total(DISTINCT n) FROM t WHERE n > 5',
  'SELECT count(DISTINCT n) FROM t WHERE n BETWEEN -3 AND 12',
  'SELECT group_concat(DISTINCT n) FROM t WHERE n < 10',
  'SELECT count(DISTINCT r), sum(DISTINCT r), group_concat(DISTINCT r) FROM t',
  "SELECT count(DISTINCT s), group_concat(DISTINCT s), max(DISTINCT s) FROM t WHERE s > 'c'",
  'SELECT count(DISTINCT n) FROM t WHERE n IS NOT NULL AND n <> 3',
  'SELECT count(DISTINCT n) AS c FROM t HAVING c > 3',
  // Not every aggregate DISTINCT, or a bare column beside it: a row per entry, as before.
  'SELECT count(DISTINCT n), count(n), sum(n) FROM t WHERE n > 0',
  'SELECT count(DISTINCT s), max(id) FROM t',
];

describe('aggregates of DISTINCT keys over a covering walk', () => {
  const oracle = new Oracle();
  beforeAll(() => oracle.exec(...DDL, ...rows(3_000, 20261207)));
  afterAll(() => oracle.close());

  test.each(QUERIES)('%s: same answer as SQLite', (sql) => {
    expect(oracle.runMv(sql)).toEqual(oracle.runSqlite(sql));
  });

  test('the walk builds one row per distinct key; other shapes keep a row per entry', () => {
    const conn = connect(':memory:');
    const original = indexRange.coveringRow;
    const built = jest.spyOn(indexRange, 'coveringRow');
    try {
      const cur = conn.cursor();
      for (const d of DDL) cur.execute(d);
      for (const r of rows(3_000, 7)) cur.execute(r);
      const plan = (sql: string): string =>
        (cur.execute(`EXPLAIN ${sql}`).fetchAll() as unknown[][])
          .map((r) => String(r[r.length - 1]))
          .join('\n');
      expect(plan('SELECT count(DISTINCT n) FROM t')).toMatch(/covering t_n range=\[full\] distinct keys/);
      // A bare column reads the representative row; a plain count counts every entry.
      expect(plan('SELECT count(DISTINCT n), id FROM t')).not.toMatch(/distinct keys/);
      expect(plan('SELECT count(DISTINCT n), count(n) FROM t')).not.toMatch(/distinct keys/);

      // Count the rows the covering walk builds through the builder coveringRow returns.
      let rowsBuilt = 0;
      built.mockImplementation((...args: Parameters<typeof indexRange.coveringRow>) => {
        const real = original(...args);
        return (key, pk) => {
          rowsBuilt++;
          return real(key, pk);
        };
      });
      const distinct = cur.execute('SELECT count(DISTINCT n) FROM t').fetchAll() as unknown[][];
      const keys = Number(distinct[0][0]);
      expect(keys).toBeGreaterThan(50);
      // The distinct non-NULL keys, and the run of NULLs (one entry, skipped by the aggregate).
      expect(rowsBuilt).toBe(keys + 1);
      // With a bare column beside it, the walk builds a row for each of the 3,000 entries.
      rowsBuilt = 0;
      const bare = cur.execute('SELECT count(DISTINCT n), id FROM t').fetchAll() as unknown[][];
      expect(bare[0][0]).toBe(distinct[0][0]);
      expect(rowsBuilt).toBe(3_000);
    } finally {
      built.mockRestore();
      conn.close();
    }
  });
});
