/**
 * Lookups through a two-column index compared with better-sqlite3, on tables large enough for
 * several tree levels (so snapshot reads search packed keys, storage/packed-keys.ts): integers,
 * reals (-0.0, 0.5, 1e300), text and NULL in the index columns, equality on both columns, a
 * prefix only, a range on the second column, ORDER BY the index (ascending and descending
 * columns) and a NOCASE column.
 */
import fc from 'fast-check';
import { Oracle } from '../helpers/sqlite-oracle';
import { packPolicy, packStats } from '../../storage/packed-keys';

/**
 * Two table shapes (ModelVault columns hold one type): a REAL first column with integers, reals
 * and NULL (its nodes are packed), or a TEXT one (never packed), binary or NOCASE; then INTEGER.
 */
interface Shape {
  readonly a: string;
  readonly aValues: readonly string[];
  readonly aParams: readonly unknown[];
  readonly indexes: readonly string[];
}

const SHAPES: readonly Shape[] = [
  {
    a: 'REAL',
    aValues: ['-2', '-1', '0', '1', '2', '3', '-0.0', '0.5', '1.0', '2.5', '1e300', '-1e300', 'NULL'],
    aParams: [-2, -1, 0, 1, 2, 3, -0, 0.5, 2.5, 1e300, null],
    indexes: [
      'CREATE INDEX ix ON t (a, b)',
      'CREATE INDEX ix ON t (a DESC, b)',
      'CREATE INDEX ix ON t (a, b DESC)',
    ],
  },
  {
    a: 'TEXT',
    aValues: ["'a'", "'A'", "'b'", "'B'", "''", "'ab'", 'NULL'],
    aParams: ['a', 'A', 'b', 'B', '', 'ab', null],
    indexes: ['CREATE INDEX ix ON t (a, b)', 'CREATE INDEX ix ON t (a, b DESC)'],
  },
  {
    a: 'TEXT COLLATE NOCASE',
    aValues: ["'a'", "'A'", "'b'", "'B'", "''", "'ab'", 'NULL'],
    aParams: ['a', 'A', 'b', 'B', '', 'ab', null],
    indexes: ['CREATE INDEX ix ON t (a, b)', 'CREATE INDEX ix ON t (a DESC, b)'],
  },
];
const B_VALUES = ['-2', '-1', '0', '1', '2', '3', 'NULL'];
const B_PARAMS = [-2, -1, 0, 0.5, 1, 2, 3, null];

const QUERIES: readonly [string, number][] = [
  ['SELECT * FROM t WHERE a = ? AND b = ? ORDER BY id', 2],
  ['SELECT id, b FROM t WHERE a = ? ORDER BY id', 1],
  ['SELECT * FROM t WHERE a = ? AND b > ? ORDER BY id', 2],
  ['SELECT * FROM t WHERE a = ? AND b >= ? ORDER BY id', 2],
  ['SELECT * FROM t WHERE a = ? AND b < ? ORDER BY id', 2],
  ['SELECT * FROM t WHERE a = ? AND b <= ? ORDER BY id', 2],
  ['SELECT * FROM t WHERE a = ? AND b BETWEEN ? AND ? ORDER BY id', 3],
  ['SELECT id, a, b FROM t WHERE a = ? ORDER BY b, id', 1],
  ['SELECT id, a, b FROM t WHERE a = ? ORDER BY b DESC, id', 1],
  ['SELECT id, a, b FROM t WHERE a > ? ORDER BY a, b, id', 1],
  ['SELECT id FROM t WHERE a IS NULL AND b = ? ORDER BY id', 1],
  ['SELECT count(*) FROM t WHERE a = ? AND b = ?', 2],
];

describe('two-column index lookups against better-sqlite3', () => {
  // These tests count packed searches: pack every node at its first search (the default waits).
  const packAfter = packPolicy.after;
  beforeAll(() => {
    packPolicy.after = 1;
  });
  afterAll(() => {
    packPolicy.after = packAfter;
  });

  test.each(SHAPES.map((sh) => [sh.a, sh]))(
    'same rows for equality, prefix, range and ordered reads (%s first column)',
    (_name, shape) => {
      const searches = packStats.searches;
      fc.assert(
        fc.property(
          fc.constantFrom(...shape.indexes),
          fc.array(fc.tuple(fc.constantFrom(...shape.aValues), fc.constantFrom(...B_VALUES)), {
            minLength: 70,
            maxLength: 400,
          }),
          fc.array(
            fc.tuple(
              fc.constantFrom(...QUERIES),
              fc.constantFrom(...shape.aParams),
              fc.constantFrom(...B_PARAMS),
              fc.constantFrom(...B_PARAMS),
            ),
            { minLength: 1, maxLength: 12 },
          ),
          (index, rows, queries) => {
            const o = new Oracle();
            try {
              o.exec(`CREATE TABLE t (id INTEGER PRIMARY KEY, a ${shape.a}, b INTEGER, c TEXT)`, index);
              const values = rows.map(([a, b], i) => `(${i + 1}, ${a}, ${b}, 'r${i}')`).join(', ');
              o.exec(`INSERT INTO t VALUES ${values}`);
              for (const [[sql, n], a, b1, b2] of queries) {
                // The first parameter is the first column's (a = ?, a > ?), the rest the second's.
                const params = sql.includes('a IS NULL') ? [b1] : [a, b1, b2].slice(0, n);
                const r = o.both(sql, [], params);
                expect(r.mv).toEqual(r.sqlite);
              }
            } finally {
              o.close();
            }
          },
        ),
        { seed: 20261202, numRuns: 40 },
      );
      // Nodes of the ascending REAL index hold numbers only: they were searched packed.
      if (shape.a === 'REAL') expect(packStats.searches).toBeGreaterThan(searches);
    },
  );

  test('equality on both columns of a 5,000-row table uses the index and packed searches', () => {
    const o = new Oracle();
    try {
      o.exec(
        'CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, b INTEGER, c REAL)',
        'CREATE INDEX ix ON t (a, b)',
      );
      const rows = Array.from(
        { length: 5000 },
        (_v, i) => `(${i + 1}, ${(i * 7919) % 50}, ${i % 20}, ${i / 3})`,
      );
      o.exec(`INSERT INTO t VALUES ${rows.join(', ')}`);
      const plan = o.runMv('EXPLAIN SELECT * FROM t WHERE a = ? AND b = ?', [3, 4]);
      expect(JSON.stringify(plan)).toContain('IndexRangeScan t using ix (a, b) (a=?1 AND b=?2)');
      for (const [a, b] of [
        [3, 4],
        [49, 19],
        [0, 0],
        [7, 99],
      ]) {
        const before = packStats.searches;
        const r = o.both('SELECT * FROM t WHERE a = ? AND b = ? ORDER BY id', [], [a, b]);
        expect(r.mv).toEqual(r.sqlite);
        // One packed search per tree level (5,000 entries: 2 or 3 levels at 64 per node).
        const levels = packStats.searches - before;
        expect(levels).toBeGreaterThanOrEqual(2);
        expect(levels).toBeLessThanOrEqual(3);
      }
    } finally {
      o.close();
    }
  });

  test('equality on both columns stays exact while writes, rollbacks and repeats interleave', () => {
    // The whole-key memo (storage/prefix-memo.ts) answers repeats: every write must reach it.
    const op = fc.oneof(
      fc.tuple(fc.constant('SELECT * FROM t WHERE a = ? AND b = ? ORDER BY id'), fc.nat(4), fc.nat(3)),
      fc.tuple(fc.constant('SELECT id FROM t WHERE a = ? AND b = ?'), fc.nat(4), fc.nat(3)),
      fc.tuple(fc.constant('INSERT INTO t (a, b, c) VALUES (?, ?, 1.5)'), fc.nat(4), fc.nat(3)),
      fc.tuple(
        fc.constant('UPDATE t SET a = ?, b = ? WHERE id = (SELECT min(id) FROM t WHERE id >= 7)'),
        fc.nat(4),
        fc.nat(3),
      ),
      fc.tuple(fc.constant('UPDATE t SET c = c + 1 WHERE a = ? AND b = ?'), fc.nat(4), fc.nat(3)),
      fc.tuple(fc.constant('DELETE FROM t WHERE a = ? AND b = ? AND id % 2 = 0'), fc.nat(4), fc.nat(3)),
      fc.tuple(fc.constant('rollback'), fc.nat(4), fc.nat(3)),
    );
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 60 }), (ops) => {
        const o = new Oracle();
        try {
          o.exec(
            'CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, b INTEGER, c REAL)',
            'CREATE INDEX ix ON t (a, b)',
          );
          const rows = Array.from({ length: 300 }, (_v, i) => `(${i + 1}, ${i % 5}, ${(i * 7) % 4}, ${i})`);
          o.exec(`INSERT INTO t VALUES ${rows.join(', ')}`);
          for (const [sql, a, b] of ops) {
            if (sql === 'rollback') {
              // A write undone: the memo must not keep what the rolled-back statement saw.
              o.exec('BEGIN', `INSERT INTO t (a, b, c) VALUES (${a}, ${b}, 0)`);
              expect(o.both('SELECT id FROM t WHERE a = ? AND b = ? ORDER BY id', [], [a, b])).toBeTruthy();
              o.exec('ROLLBACK');
              continue;
            }
            const r = o.both(sql, [], [a, b]);
            expect(r.mv).toEqual(r.sqlite);
            const check = o.both('SELECT id, c FROM t WHERE a = ? AND b = ? ORDER BY id', [], [a, b]);
            expect(check.mv).toEqual(check.sqlite);
          }
        } finally {
          o.close();
        }
      }),
      { seed: 20261203, numRuns: 60 },
    );
  });

  test('a repeated equality on both columns searches the index once (the memo answers)', () => {
    const o = new Oracle();
    try {
      o.exec(
        'CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, b INTEGER, c TEXT)',
        'CREATE INDEX ix ON t (a, b)',
      );
      const rows = Array.from(
        { length: 5000 },
        (_v, i) => `(${i + 1}, ${(i * 7919) % 50}, ${i % 20}, 'r${i}')`,
      );
      o.exec(`INSERT INTO t VALUES ${rows.join(', ')}`);
      const first = packStats.searches;
      const r = o.both('SELECT * FROM t WHERE a = ? AND b = ? ORDER BY id', [], [3, 4]);
      expect(r.mv).toEqual(r.sqlite);
      expect(packStats.searches).toBeGreaterThan(first);
      const again = packStats.searches;
      for (let i = 0; i < 3; i++) {
        const rr = o.both('SELECT * FROM t WHERE a = ? AND b = ? ORDER BY id', [], [3, 4]);
        expect(rr.mv).toEqual(rr.sqlite);
      }
      expect(packStats.searches).toBe(again);
      // A write to the table (not under this key) keeps the answer right: the index is unchanged.
      o.exec("INSERT INTO t VALUES (9001, 3, 4, 'new')");
      const after = o.both('SELECT id FROM t WHERE a = ? AND b = ? ORDER BY id', [], [3, 4]);
      expect(after.mv).toEqual(after.sqlite);
    } finally {
      o.close();
    }
  });
});
