/**
 * Property: a correlated subquery run grouped once and hash-probed, or memoized per execution
 * (planner/scalar-decorrelate.ts), returns exactly what the per-row form returns and what SQLite
 * returns, over random data with NULLs, duplicate keys and empty tables.
 */
import fc from 'fast-check';
import { Oracle } from '../helpers/sqlite-oracle';
import { setCorrelatedFormForTests, setDecorrelationForTests } from '../../planner/decorrelate';
import { explain } from '../helpers/explain';
import { correlatedSwitchStats } from '../../planner/subquery';

type Value = number | string | null;

const lit = (v: Value): string => (v === null ? 'NULL' : typeof v === 'string' ? `'${v}'` : String(v));

const tablesArb = fc.record({
  t: fc
    .array(
      fc.tuple(
        fc.option(fc.integer({ min: 0, max: 4 }), { freq: 4 }),
        fc.option(fc.constantFrom('a', 'b', 'A'), { freq: 4 }),
      ),
      { maxLength: 12 },
    )
    .map((rows) => rows.map(([a, b], i): Value[] => [i + 1, a, b])),
  u: fc
    .array(
      fc.tuple(
        fc.option(fc.integer({ min: 0, max: 4 }), { freq: 4 }),
        fc.option(fc.constantFrom('a', 'b', 'A'), { freq: 4 }),
        fc.option(fc.integer({ min: 0, max: 9 }), { freq: 5 }),
        fc.option(fc.constantFrom(0.5, 2.0, -1.25), { freq: 4 }),
      ),
      { maxLength: 12 },
    )
    .map((rows) => rows.map(([x, y, z, r], i): Value[] => [i + 1, x, y, z, r])),
});

/** Forms that group exactly (count, min/max, avg/total over integers, NULL-safe SELECT lists). */
const GROUPED = [
  'count(*)',
  'count(x)',
  'count(DISTINCT y)',
  'max(x)',
  'min(y)',
  'max(r)',
  'avg(z)',
  'total(x)',
  'coalesce(max(z), -1) + count(*)',
  'count(*) * 2 = 4',
];
/** Forms that stay per row (memoized): order- or error-sensitive aggregates, plain rows. */
const PER_ROW = ['sum(x)', 'group_concat(y)', 'y', 'z + 1', 'avg(r)'];
const CORR = ['u.x = t.a', 'u.z = t.id', 'u.y = t.b', 'u.x = t.a AND u.y = t.b', 't.a = u.z'];
const INNER_WHERE = ['', ' AND u.z > 3', ' AND u.y IS NOT NULL', ' AND u.id % 2 = 0'];

const queryArb = fc
  .tuple(
    fc.constantFrom(...GROUPED, ...PER_ROW),
    fc.constantFrom(...CORR),
    fc.constantFrom(...INNER_WHERE),
    fc.constantFrom('', ' HAVING count(*) > 1'),
    fc.constantFrom('select', 'where', 'order'),
  )
  .map(([col, corr, w, having, place]) => {
    const aggregated = !PER_ROW.slice(2).includes(col);
    const sub = `(SELECT ${col} FROM u WHERE ${corr}${w}${aggregated ? having : ''})`;
    if (place === 'where') return { sql: `SELECT id, a FROM t WHERE ${sub} IS NOT 1 ORDER BY id`, col };
    if (place === 'order') return { sql: `SELECT id, b FROM t ORDER BY ${sub}, id`, col };
    return { sql: `SELECT id, ${sub} AS s FROM t ORDER BY id`, col };
  });

afterEach(() => {
  setDecorrelationForTests(true);
  setCorrelatedFormForTests('auto');
});

test('grouped and memoized correlated subqueries equal their per-row form and SQLite', () => {
  let grouped = 0;
  let memo = 0;
  fc.assert(
    fc.property(tablesArb, queryArb, (tables, { sql, col }) => {
      const o = new Oracle();
      try {
        o.exec(
          'CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, b TEXT)',
          'CREATE TABLE u (id INTEGER PRIMARY KEY, x INTEGER, y TEXT, z INTEGER, r REAL)',
          'CREATE INDEX u_x ON u (x)',
        );
        if (tables.t.length)
          o.exec(`INSERT INTO t VALUES ${tables.t.map((r) => `(${r.map(lit).join(', ')})`).join(', ')}`);
        if (tables.u.length)
          o.exec(`INSERT INTO u VALUES ${tables.u.map((r) => `(${r.map(lit).join(', ')})`).join(', ')}`);
        // Each form under its own SQL text: the connection caches plans by text.
        setDecorrelationForTests(false);
        const perRow = o.query(`/* per row */ ${sql}`);
        expect(explain(o.conn, `/* per row */ ${sql}`)).toMatch(/\(correlated, per row\)/);
        setDecorrelationForTests(true);
        setCorrelatedFormForTests('hashed');
        const hashed = o.query(`/* hashed */ ${sql}`);
        const plan = explain(o.conn, `/* hashed */ ${sql}`);
        if (GROUPED.includes(col)) {
          expect(plan).toMatch(/grouped once, hash probe/);
          grouped++;
        } else expect(plan).not.toMatch(/grouped once/);
        setCorrelatedFormForTests('memo');
        const memoized = o.query(`/* memo */ ${sql}`);
        expect(explain(o.conn, `/* memo */ ${sql}`)).toMatch(/per row, memoized/);
        memo++;
        expect({ sql, ...hashed.mv }).toEqual({ sql, ...perRow.mv });
        expect({ sql, ...memoized.mv }).toEqual({ sql, ...perRow.mv });
        expect({ sql, ...perRow.mv }).toEqual({ sql, ...perRow.sqlite });
      } finally {
        setDecorrelationForTests(true);
        setCorrelatedFormForTests('auto');
        o.close();
      }
    }),
    { numRuns: 400, seed: 13014 },
  );
  expect(grouped).toBeGreaterThan(200);
  expect(memo).toBe(400);
});

describe('the cost rule picks the form EXPLAIN shows', () => {
  let o: Oracle;
  beforeEach(() => {
    o = new Oracle();
    o.exec(
      'CREATE TABLE c (id INTEGER PRIMARY KEY, k INTEGER)',
      'CREATE TABLE o (id INTEGER PRIMARY KEY, cid INTEGER, ship INTEGER, total REAL)',
      'CREATE INDEX o_cid ON o (cid)',
      'INSERT INTO c VALUES (1, 1), (2, 1), (3, NULL), (4, 2)',
      'INSERT INTO o VALUES (1, 1, 2, 5.5), (2, 1, NULL, 1.0), (3, 2, 2, NULL), (4, NULL, 1, 3.0)',
    );
  });
  afterEach(() => o.close());

  test.each([
    // No index on o.ship: one grouped pass instead of a scan per outer row.
    [
      'SELECT id, (SELECT count(*) FROM o WHERE o.ship = c.id) FROM c ORDER BY id',
      'Subquery #1 (correlated, grouped once, hash probe keys=[id] = [ship])',
    ],
    [
      'SELECT id, (SELECT max(total) FROM o WHERE o.ship = c.k) FROM c ORDER BY id',
      'Subquery #1 (correlated, grouped once, hash probe keys=[k] = [ship])',
    ],
    // o_cid looks the correlation up per row: per row, each run as cheap as remembering it, until
    // the runs have cost a grouping pass.
    [
      'SELECT id, (SELECT count(*) FROM o WHERE o.cid = c.k) FROM c ORDER BY id',
      'Subquery #1 (correlated, per row, grouped once after many runs: hash probe keys=[k] = [cid])',
    ],
    // Not groupable and scanning per row: results remembered by key.
    [
      'SELECT id, (SELECT group_concat(total) FROM o WHERE o.ship = c.k) FROM c ORDER BY id',
      'Subquery #1 (correlated, per row, memoized)',
    ],
    // random() must run per row.
    [
      'SELECT id, (SELECT random() FROM o WHERE o.ship = c.id) IS NULL FROM c ORDER BY id',
      'Subquery #1 (correlated, per row)',
    ],
    // SUM could raise "integer overflow" for a group no outer row reads: not grouped.
    [
      'SELECT id, (SELECT sum(cid) FROM o WHERE o.ship = c.id) FROM c ORDER BY id',
      'Subquery #1 (correlated, per row, memoized)',
    ],
  ])('%s', (sql, line) => {
    const { mv, sqlite } = o.query(sql);
    expect({ sql, ...mv }).toEqual({ sql, ...sqlite });
    expect(explain(o.conn, sql)).toContain(line);
  });
});

/**
 * A grouped-exact aggregate whose per-row plan uses an index starts per row and switches to the
 * grouped form after max(64, inner rows / 32) runs, in the middle of the outer rows: the answers
 * before and after the switch are SQLite's, over random data with NULL keys and outer keys that
 * match no group.
 */
test('an indexed per-row subquery that runs often switches to grouping mid-query, answers unchanged', () => {
  const before = correlatedSwitchStats.switches;
  let switched = 0;
  fc.assert(
    fc.property(
      fc.array(fc.option(fc.integer({ min: 0, max: 40 }), { freq: 6 }), {
        minLength: 1,
        maxLength: 300,
        size: 'max',
      }),
      fc.array(
        fc.tuple(
          fc.option(fc.integer({ min: 0, max: 30 }), { freq: 6 }),
          fc.option(fc.integer({ min: -5, max: 9 })),
        ),
        { maxLength: 120, size: 'max' },
      ),
      fc.constantFrom(...GROUPED.filter((c) => !c.includes('y') && !c.includes('r'))),
      fc.constantFrom('', ' AND u.z > 3'),
      (outer, inner, col, w) => {
        const o = new Oracle();
        try {
          o.exec(
            'CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER)',
            'CREATE TABLE u (id INTEGER PRIMARY KEY, x INTEGER, z INTEGER)',
            'CREATE INDEX u_x ON u (x)',
            `INSERT INTO t VALUES ${outer.map((a, i) => `(${i + 1}, ${lit(a)})`).join(', ')}`,
          );
          if (inner.length)
            o.exec(
              `INSERT INTO u VALUES ${inner.map(([x, z], i) => `(${i + 1}, ${lit(x)}, ${lit(z)})`).join(', ')}`,
            );
          const sql = `SELECT id, (SELECT ${col} FROM u WHERE u.x = t.a${w}) AS s FROM t ORDER BY id`;
          expect(explain(o.conn, sql)).toMatch(/\(correlated, per row, grouped once after many runs/);
          const n = correlatedSwitchStats.switches;
          const { mv, sqlite } = o.query(sql);
          expect({ sql, ...mv }).toEqual({ sql, ...sqlite });
          // 64 runs at least (u has at most 120 rows: 120 / 32 < 64).
          expect(correlatedSwitchStats.switches - n).toBe(outer.length > 64 ? 1 : 0);
          if (outer.length > 64) switched++;
        } finally {
          o.close();
        }
      },
    ),
    { numRuns: 150, seed: 20261207 },
  );
  expect(switched).toBeGreaterThan(50);
  expect(correlatedSwitchStats.switches - before).toBe(switched);
});

test('the switch waits for runs worth a pass over the inner table: a small outer side never groups', () => {
  const o = new Oracle();
  try {
    o.exec(
      'CREATE TABLE c (id INTEGER PRIMARY KEY, name TEXT)',
      'CREATE TABLE o (id INTEGER PRIMARY KEY, cid INTEGER, total REAL)',
      'CREATE INDEX o_cid ON o (cid)',
    );
    const cs: string[] = [];
    for (let i = 1; i <= 3000; i++) cs.push(`(${i}, 'c${i}')`);
    o.exec(`INSERT INTO c VALUES ${cs.join(', ')}`);
    const os: string[] = [];
    for (let i = 1; i <= 6400; i++)
      os.push(`(${i}, ${i % 7 === 0 ? 'NULL' : (i * 37) % 3500}, ${(i % 100) / 4})`);
    o.exec(`INSERT INTO o VALUES ${os.join(', ')}`);
    const count = (where: string): number => {
      const sql = `SELECT id, (SELECT count(*) FROM o WHERE o.cid = c.id), (SELECT max(total) FROM o WHERE o.cid = c.id) FROM c ${where} ORDER BY id`;
      const n = correlatedSwitchStats.switches;
      const { mv, sqlite } = o.query(sql);
      expect({ sql, ...mv }).toEqual({ sql, ...sqlite });
      return correlatedSwitchStats.switches - n;
    };
    // 6,400 inner rows: each subquery groups after 6,400 / 32 = 200 runs.
    expect(count('WHERE id <= 199')).toBe(0);
    expect(count('WHERE id <= 201')).toBe(2);
    expect(count('')).toBe(2);
  } finally {
    o.close();
  }
});
