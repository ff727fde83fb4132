/**
 * A failing statement inside an open transaction undoes exactly its own changes (SQLite's
 * statement journal): the engine's undo journal (Engine.mark) against better-sqlite3. Random
 * multi-row INSERT / UPDATE / DELETE / UPSERT / REPLACE statements, many of which fail part way
 * on a unique or NOT NULL constraint, run inside BEGIN … on both; after each statement the table
 * and every index lookup must agree, and the transaction's end (COMMIT or ROLLBACK) too.
 */
import fc from 'fast-check';
import { Oracle } from '../helpers/sqlite-oracle';

const DDL = [
  'CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, u INTEGER UNIQUE, v INTEGER NOT NULL, w TEXT)',
  'CREATE INDEX t_v ON t (v)',
  'CREATE TABLE s (a INTEGER, b TEXT, c INTEGER, PRIMARY KEY (a, b), UNIQUE (c))',
];

const small = fc.integer({ min: 0, max: 12 });
const maybeNull = fc.option(small, { nil: null });
const lit = (x: number | null): string => (x === null ? 'NULL' : String(x));

const statement: fc.Arbitrary<string> = fc.oneof(
  fc
    .array(fc.tuple(maybeNull, maybeNull), { minLength: 1, maxLength: 4 })
    .map(
      (rows) => `INSERT INTO t (u, v) VALUES ${rows.map(([u, v]) => `(${lit(u)}, ${lit(v)})`).join(', ')}`,
    ),
  fc
    .array(fc.tuple(small, small), { minLength: 1, maxLength: 4 })
    .map(
      (rows) =>
        `INSERT INTO t (id, u, v) VALUES ${rows.map(([i, u]) => `(${i + 1}, ${u}, ${i})`).join(', ')} ` +
        'ON CONFLICT (id) DO UPDATE SET u = excluded.u + 1, v = t.v + 1',
    ),
  fc
    .array(fc.tuple(small, small), { minLength: 1, maxLength: 3 })
    .map(
      (rows) =>
        `INSERT OR REPLACE INTO t (id, u, v) VALUES ${rows.map(([i, u]) => `(${i + 1}, ${u}, 7)`).join(', ')}`,
    ),
  // Constant targets: whether a unique clash happens must not depend on the order rows are
  // updated in, which SQLite takes from whichever index it picks (u = u + 1 can pass or fail).
  fc.tuple(small, small).map(([k, lo]) => `UPDATE t SET u = ${k} WHERE v >= ${lo}`),
  fc.tuple(small, small).map(([k, lo]) => `UPDATE t SET v = ${k}, w = 'x' || id WHERE u >= ${lo}`),
  small.map((lo) => `UPDATE t SET v = NULL WHERE u > ${lo}`),
  small.map((lo) => `DELETE FROM t WHERE u < ${lo}`),
  fc
    .array(fc.tuple(small, fc.constantFrom('p', 'q'), maybeNull), { minLength: 1, maxLength: 3 })
    .map((rows) => `INSERT INTO s VALUES ${rows.map(([a, b, c]) => `(${a}, '${b}', ${lit(c)})`).join(', ')}`),
  fc.tuple(small, small).map(([k, lo]) => `UPDATE s SET c = ${k} WHERE a >= ${lo}`),
  small.map((lo) => `DELETE FROM s WHERE a > ${lo}`),
);

const CHECKS = [
  'SELECT id, u, v, w FROM t ORDER BY id',
  'SELECT id, u FROM t WHERE u IS NOT NULL ORDER BY u',
  'SELECT v, count(*) FROM t WHERE v >= 0 GROUP BY v ORDER BY v',
  'SELECT * FROM s ORDER BY a, b',
  'SELECT a, b FROM s WHERE c IS NOT NULL AND c >= 0 ORDER BY c',
  'SELECT name, seq FROM sqlite_sequence',
];

function sameEverywhere(o: Oracle, context: string): void {
  for (const q of CHECKS) {
    // Rows only: a SELECT's `changes` is the counter left by the previous statement.
    const rows = (r: object): unknown => ('rows' in r ? r.rows : r);
    const mv = rows(o.runMv(q));
    const sqlite = rows(o.runSqlite(q));
    if (JSON.stringify(mv) !== JSON.stringify(sqlite)) {
      throw new Error(
        `${context}\n${q}\nModelVault: ${JSON.stringify(mv)}\nSQLite:     ${JSON.stringify(sqlite)}`,
      );
    }
  }
}

describe('a failing statement in a transaction undoes only itself', () => {
  test('random DML in BEGIN … COMMIT/ROLLBACK agrees with SQLite after every statement', () => {
    let failures = 0;
    fc.assert(
      fc.property(
        fc.array(fc.tuple(small, small), { maxLength: 8 }),
        fc.array(statement, { minLength: 1, maxLength: 12 }),
        fc.boolean(),
        (seed, stmts, commit) => {
          const o = new Oracle();
          try {
            o.exec(...DDL);
            for (const [u, v] of seed) o.both(`INSERT OR IGNORE INTO t (u, v) VALUES (${u}, ${v})`, []);
            o.exec('BEGIN');
            const log: string[] = [];
            for (const sql of stmts) {
              const r = o.both(sql, []);
              log.push(sql);
              if (JSON.stringify(r.mv) !== JSON.stringify(r.sqlite))
                throw new Error(
                  `${log.join(';\n')}\nModelVault: ${JSON.stringify(r.mv)}\nSQLite: ${JSON.stringify(r.sqlite)}`,
                );
              if (JSON.stringify(r.mv).includes('Error')) failures++;
              sameEverywhere(o, log.join(';\n'));
            }
            o.exec(commit ? 'COMMIT' : 'ROLLBACK');
            sameEverywhere(o, `${log.join(';\n')};\n${commit ? 'COMMIT' : 'ROLLBACK'}`);
          } finally {
            o.close();
          }
        },
      ),
      { numRuns: 150, seed: 20261202 },
    );
    // The property only means something if statements did fail part way.
    expect(failures).toBeGreaterThan(50);
  });

  test('a cursor opened before a failed statement keeps reading its snapshot', () => {
    const o = new Oracle();
    try {
      o.exec(...DDL, 'INSERT INTO t (u, v) VALUES (1, 1), (2, 2), (3, 3)', 'BEGIN');
      const reader = o.conn.cursor();
      reader.execute('SELECT u FROM t ORDER BY u');
      expect(reader.fetchOne()).toEqual([1n]);
      // Updates u = 1 → 3 first (in id order), then clashes: the whole statement is undone.
      expect(() => o.conn.cursor().execute('UPDATE t SET u = u + 2')).toThrow(
        /UNIQUE constraint failed: t\.u/,
      );
      o.conn.cursor().execute('INSERT INTO t (u, v) VALUES (10, 10)');
      expect(reader.fetchAll()).toEqual([[2n], [3n]]);
      const after = o.conn.cursor();
      after.execute('SELECT u FROM t ORDER BY u');
      expect(after.fetchAll()).toEqual([[1n], [2n], [3n], [10n]]);
    } finally {
      o.close();
    }
  });
});
