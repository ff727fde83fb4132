/**
 * A join probing another table's primary key keeps the rows it found by key for the rest of the
 * execution (planner/key-rows.ts): results equal better-sqlite3's for every kind of key (repeated,
 * missing, NULL, negative, fractional, -0, beyond the memo's range, bigint) in inner and
 * LEFT joins, and the rows read are counted: a key repeated across outer rows is read once.
 */
import BetterSqlite3 from 'better-sqlite3';
import fc from 'fast-check';
import { connect } from '../../src/index';
import { normRow } from '../differential/normalize';

const DDL = [
  'CREATE TABLE c (id INTEGER PRIMARY KEY, name TEXT)',
  'CREATE TABLE o (id INTEGER PRIMARY KEY, cid REAL, total REAL)',
];

function bag(rows: unknown[][]): string[] {
  return rows.map((r) => JSON.stringify(normRow(r))).sort();
}

test('a join over every outer row reads each repeated inner key once', () => {
  const conn = connect(':memory:');
  const cur = conn.cursor();
  cur.execute('CREATE TABLE c (id INTEGER PRIMARY KEY, region TEXT)');
  cur.execute('CREATE TABLE o (id INTEGER PRIMARY KEY, cid INTEGER, total REAL)');
  cur.executeMany(
    'INSERT INTO c VALUES (?, ?)',
    Array.from({ length: 50 }, (_, i) => [i + 1, `r${i % 3}`]),
  );
  cur.executeMany(
    'INSERT INTO o VALUES (?, ?, ?)',
    Array.from({ length: 5000 }, (_, i) => [i + 1, 1 + ((i * 7) % 50), i / 4]),
  );
  const sql = 'SELECT c.region, count(*), sum(o.total) FROM o JOIN c ON c.id = o.cid GROUP BY c.region';
  expect(
    cur
      .execute(`EXPLAIN ${sql}`)
      .fetchAll()
      .map((r) => String((r as unknown[])[0]))
      .join('\n'),
  ).toContain('IndexNestedLoopJoin inner c using PRIMARY KEY');
  const rows = cur.execute(sql).fetchAll() as unknown[][];
  const oracle = new BetterSqlite3(':memory:');
  oracle.exec('CREATE TABLE c (id INTEGER PRIMARY KEY, region TEXT)');
  oracle.exec('CREATE TABLE o (id INTEGER PRIMARY KEY, cid INTEGER, total REAL)');
  for (let i = 0; i < 50; i++) oracle.prepare('INSERT INTO c VALUES (?, ?)').run(i + 1, `r${i % 3}`);
  for (let i = 0; i < 5000; i++)
    oracle.prepare('INSERT INTO o VALUES (?, ?, ?)').run(i + 1, 1 + ((i * 7) % 50), i / 4);
  expect(bag(rows)).toEqual(bag(oracle.prepare(sql).raw(true).all() as unknown[][]));
  // 5,000 orders scanned; customers probed while the outer batches are small (8, 16, 32, 64) and
  // through the first batch that keeps rows (128: its keys are looked up before any is kept),
  // then never again: without the memo it would be 5,000 more.
  const read = cur.executionStats?.rowsRead ?? -1;
  expect(read).toBeGreaterThanOrEqual(5000 + 50);
  expect(read).toBeLessThanOrEqual(5000 + 8 + 16 + 32 + 64 + 128);
  expect(cur.executionStats?.indexEntries).toBe(read - 5000);
  oracle.close();
  conn.close();
});

const KEYS: unknown[] = [
  1,
  2,
  3,
  4,
  5,
  0,
  -0,
  -1,
  -7,
  2.5,
  1.0,
  3e9,
  2 ** 26,
  2 ** 26 - 1,
  99,
  null,
  4n,
  2 ** 53 + 2,
];

test('property: primary-key joins with kept rows equal better-sqlite3 (inner and LEFT, every kind of key)', () => {
  const inner = fc.uniqueArray(
    fc.oneof(fc.integer({ min: -8, max: 12 }), fc.constantFrom(2 ** 26 - 1, 2 ** 26, 3e9)),
    { maxLength: 30 },
  );
  const outer = fc.array(fc.constantFrom(...KEYS), { minLength: 0, maxLength: 900, size: 'max' });
  fc.assert(
    fc.property(inner, outer, (ids, keys) => {
      const conn = connect(':memory:');
      const oracle = new BetterSqlite3(':memory:');
      oracle.defaultSafeIntegers(false);
      try {
        const cur = conn.cursor();
        for (const sql of DDL) {
          cur.execute(sql);
          oracle.exec(sql);
        }
        const c = ids.map((id) => [id, `n${id}`]);
        const o = keys.map((k, i) => [i + 1, k, i % 7]);
        cur.executeMany('INSERT INTO c VALUES (?, ?)', c);
        cur.executeMany('INSERT INTO o VALUES (?, ?, ?)', o);
        const insC = oracle.prepare('INSERT INTO c VALUES (?, ?)');
        const insO = oracle.prepare('INSERT INTO o VALUES (?, ?, ?)');
        for (const r of c) insC.run(...r);
        for (const r of o) insO.run(...r);
        for (const sql of [
          'SELECT o.id, c.id, c.name FROM o JOIN c ON c.id = o.cid',
          'SELECT o.id, c.id, c.name FROM o LEFT JOIN c ON c.id = o.cid',
          'SELECT c.name, count(*), sum(o.total) FROM o LEFT JOIN c ON c.id = o.cid GROUP BY c.name',
        ]) {
          const got = bag(cur.execute(sql).fetchAll() as unknown[][]);
          const want = bag(oracle.prepare(sql).raw(true).all() as unknown[][]);
          expect(got).toEqual(want);
        }
      } finally {
        conn.close();
        oracle.close();
      }
    }),
    { numRuns: 120, seed: 20261604 },
  );
});
