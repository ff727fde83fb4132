/**
 * Property: a subquery test run as a SemiJoin / AntiJoin (planner/decorrelate.ts) returns exactly
 * what the same statement returns with the subquery evaluated per row (decorrelation off), and
 * what SQLite returns, over random data with NULLs, duplicates and empty tables — `[NOT] IN` with
 * SQLite's NULL rules (per correlation group when correlated) and correlated `[NOT] EXISTS` with
 * one or two equality keys.
 */
import fc from 'fast-check';
import { Oracle } from '../helpers/sqlite-oracle';
import { setCorrelatedFormForTests, setDecorrelationForTests } from '../../planner/decorrelate';
import { explain } from '../helpers/explain';

interface Tables {
  t: [number, number | null, string | null][];
  u: [number, number | null, string | null, number | null][];
}

const lit = (v: number | string | null): string =>
  v === null ? 'NULL' : typeof v === 'string' ? `'${v}'` : String(v);

const tablesArb: fc.Arbitrary<Tables> = fc.record({
  t: fc
    .array(
      fc.tuple(
        fc.option(fc.integer({ min: 0, max: 4 }), { freq: 4 }),
        fc.option(fc.constantFrom('a', 'b', 'A'), { freq: 4 }),
      ),
      { maxLength: 10 },
    )
    .map((rows) => rows.map(([a, b], i): [number, number | null, string | null] => [i + 1, a, b])),
  u: fc
    .array(
      fc.tuple(
        fc.option(fc.integer({ min: 0, max: 4 }), { freq: 4 }),
        fc.option(fc.constantFrom('a', 'b', 'A'), { freq: 4 }),
        fc.option(fc.integer({ min: 0, max: 9 }), { freq: 5 }),
      ),
      { maxLength: 10 },
    )
    .map((rows) =>
      rows.map(([x, y, z], i): [number, number | null, string | null, number | null] => [i + 1, x, y, z]),
    ),
});

const INNER_WHERE = ['', 'z > 3', 'z IS NULL', 'y IS NOT NULL', 'id % 2 = 0'];

const queryArb: fc.Arbitrary<string> = fc.oneof(
  fc
    .tuple(
      fc.constantFrom('a', 'id', 'a + 1'),
      fc.boolean(),
      fc.constantFrom('x', 'z', 'id'),
      fc.constantFrom(...INNER_WHERE),
      fc.constantFrom('', ' AND b IS NOT NULL', ' OR a IS NULL'),
    )
    .map(
      ([arg, not, col, w, more]) =>
        `SELECT id, a, b FROM t WHERE ${arg} ${not ? 'NOT ' : ''}IN (SELECT ${col} FROM u${w ? ` WHERE ${w}` : ''})${more} ORDER BY id`,
    ),
  fc
    .tuple(fc.boolean(), fc.constantFrom('b', 'lower(b)'), fc.constantFrom('y', 'upper(y)'))
    .map(
      ([not, arg, col]) =>
        `SELECT id FROM t WHERE ${arg} ${not ? 'NOT ' : ''}IN (SELECT ${col} FROM u) ORDER BY id`,
    ),
  fc
    .tuple(
      fc.boolean(),
      fc.constantFrom('u.x = t.a', 't.a = u.x', 'u.z = t.id', 'u.x = t.a AND u.y = t.b', 'u.y = t.b'),
      fc.constantFrom(...INNER_WHERE),
      fc.constantFrom('', ' AND t.a IS NOT NULL', ' AND t.id > 2'),
    )
    .map(
      ([not, corr, w, more]) =>
        `SELECT id, a, b FROM t WHERE ${not ? 'NOT ' : ''}EXISTS (SELECT 1 FROM u WHERE ${corr}${w ? ` AND u.${w}` : ''})${more} ORDER BY id`,
    ),
  // Correlated IN: NOT IN's NULL rules per correlation group (a NULL `x`/`z`/`y` in the group).
  fc
    .tuple(
      fc.constantFrom('a', 'id', 'b'),
      fc.boolean(),
      fc.constantFrom('x', 'z', 'y', 'id'),
      fc.constantFrom('u.z = t.id', 'u.x = t.a', 't.b = u.y', 'u.x = t.a AND u.y = t.b', 'u.id = t.id'),
      fc.constantFrom(...INNER_WHERE),
      fc.constantFrom('', ' AND t.a IS NOT NULL', ' AND t.id > 2'),
    )
    .map(
      ([arg, not, col, corr, w, more]) =>
        `SELECT id, a, b FROM t WHERE ${arg} ${not ? 'NOT ' : ''}IN (SELECT ${col} FROM u WHERE ${corr}${w ? ` AND u.${w}` : ''})${more} ORDER BY id`,
    ),
  fc
    .tuple(
      fc.boolean(),
      fc.constantFrom('v.x = t.a', 'v.z = t.id'),
      fc.constantFrom('EXISTS (SELECT 1', 'w.x IN (SELECT v.z'),
    )
    .map(
      ([not, corr, test]) =>
        `SELECT t.id, count(*) FROM t JOIN u AS w ON w.x = t.a WHERE ${test.startsWith('w.') && not ? 'w.x NOT IN (SELECT v.z' : `${not ? 'NOT ' : ''}${test}`} FROM u AS v WHERE ${corr} AND v.y = w.y) GROUP BY t.id ORDER BY t.id`,
    ),
);

afterEach(() => {
  setDecorrelationForTests(true);
  setCorrelatedFormForTests('auto');
});

test('decorrelated subquery tests equal their per-row form and SQLite', () => {
  let decorrelated = 0;
  fc.assert(
    fc.property(tablesArb, queryArb, (tables, sql) => {
      const o = new Oracle();
      try {
        o.exec(
          'CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, b TEXT)',
          'CREATE TABLE u (id INTEGER PRIMARY KEY, x INTEGER, y TEXT, z INTEGER)',
          'CREATE INDEX u_x ON u (x)',
        );
        if (tables.t.length)
          o.exec(`INSERT INTO t VALUES ${tables.t.map((r) => `(${r.map(lit).join(', ')})`).join(', ')}`);
        if (tables.u.length)
          o.exec(`INSERT INTO u VALUES ${tables.u.map((r) => `(${r.map(lit).join(', ')})`).join(', ')}`);
        setDecorrelationForTests(true);
        // Hashed even where u's index would look the correlation up per row (the cost rule).
        setCorrelatedFormForTests('hashed');
        const joined = o.query(sql);
        // A test under OR is no WHERE conjunct: it stays an expression.
        if (/ OR /.test(sql)) expect(explain(o.conn, sql)).not.toMatch(/SemiJoin|AntiJoin/);
        else {
          // Decorrelated: a semi / anti join, or lookups by the IN list's values.
          expect(explain(o.conn, sql)).toMatch(/SemiJoin|AntiJoin|keys=IN \(subquery\)/);
          decorrelated++;
        }
        setDecorrelationForTests(false);
        // Other SQL text: the connection caches the plan of `sql`, made with decorrelation on.
        const perRowSql = `/* per row */ ${sql}`;
        const perRow = o.query(perRowSql);
        expect(explain(o.conn, perRowSql)).not.toMatch(/SemiJoin|AntiJoin/);
        expect({ sql, ...joined.mv }).toEqual({ sql, ...perRow.mv });
        expect({ sql, ...joined.mv }).toEqual({ sql, ...joined.sqlite });
      } finally {
        setDecorrelationForTests(true);
        setCorrelatedFormForTests('auto');
        o.close();
      }
    }),
    { numRuns: 500, seed: 13013 },
  );
  expect(decorrelated).toBeGreaterThan(300);
});
