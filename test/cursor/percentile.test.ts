/**
 * median(), percentile(), percentile_cont() and percentile_disc() (planner/percentile.ts) against
 * better-sqlite3, whose SQLite has the percentile extension built in: values, errors by message,
 * GROUP BY, FILTER, DISTINCT, window frames, and a property over random inputs and fractions.
 */
import fc from 'fast-check';
import { sameAsSqlite, withPair } from '../helpers/sql-pair';

test('the four functions, as aggregates and window functions, with SQLite’s errors', () => {
  sameAsSqlite([
    'CREATE TABLE t (x INT, p INT, g INT, r REAL)',
    'INSERT INTO t VALUES (1, 50, 1, 0.5), (4, 50, 1, NULL), (6, 50, 2, 2.25), (7, 20, 2, -1), (NULL, 50, 1, 8), (11, 50, 2, 3)',
    'SELECT median(x), percentile(x, 50), percentile_cont(x, 0.5), percentile_disc(x, 0.5) FROM t',
    'SELECT percentile(x, 15), percentile_disc(x, 0.15), percentile(r, 100), percentile_cont(r, 0) FROM t',
    'SELECT typeof(median(x)), median(r) FROM t',
    'SELECT g, median(x), percentile_disc(x, 1), percentile(r, 25) FROM t GROUP BY g ORDER BY g',
    'SELECT median(x) FILTER (WHERE x > 3), median(DISTINCT x % 2) FROM t',
    'SELECT median(x) FROM t WHERE 0',
    'SELECT median(x) OVER (ORDER BY rowid) FROM t',
    'SELECT percentile(x, 90) OVER (PARTITION BY g ORDER BY x ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING) FROM t ORDER BY rowid',
    "SELECT percentile(x, '50'), percentile(x, 50.0004) FROM t",
    'SELECT percentile(x, p) FROM t',
    'SELECT percentile(x, 101) FROM t',
    "SELECT percentile(x, 'a') FROM t",
    'SELECT percentile(x, NULL) FROM t',
    'SELECT percentile_cont(x, 2) FROM t',
    'SELECT percentile_disc(x, -0.5) FROM t',
    "SELECT median('a')",
    "SELECT median('12')",
    'SELECT median(1e999)',
    'SELECT median(x, 1) FROM t',
    'SELECT percentile(x) FROM t',
  ]);
});

test('property: random inputs and fractions equal SQLite', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.oneof(
          fc.integer({ min: -50, max: 50 }),
          fc.double({ min: -1e6, max: 1e6, noNaN: true }),
          fc.constant(null),
        ),
        {
          maxLength: 30,
        },
      ),
      fc.double({ min: 0, max: 1, noNaN: true }),
      fc.integer({ min: 1, max: 4 }),
      (values, fraction, groups) => {
        withPair((run) => {
          run('CREATE TABLE t (id INTEGER PRIMARY KEY, v REAL, g INT)');
          values.forEach((v, i) => run('INSERT INTO t (v, g) VALUES (?, ?)', [v, i % groups]));
          const p = fraction.toFixed(6);
          run(
            `SELECT g, median(v), percentile(v, ${p} * 100), percentile_cont(v, ${p}), percentile_disc(v, ${p}) FROM t GROUP BY g ORDER BY g`,
          );
          run(
            `SELECT id, percentile_cont(v, ${p}) OVER (ORDER BY id ROWS BETWEEN 3 PRECEDING AND CURRENT ROW) FROM t ORDER BY id`,
          );
        });
      },
    ),
    { numRuns: 200, seed: 20261204 },
  );
});
