/**
 * CHECK constraints kept as SQL (those no typed constraint expresses: several columns, functions,
 * OR, a name): evaluated on every written row by SQL and the typed API, failing with SQLite's
 * message; ALTER TABLE follows them; a property test of random multi-column CHECKs under random
 * writes compared with better-sqlite3 row for row and error for error.
 */
import BetterSqlite3 from 'better-sqlite3';
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, Database, IntegrityError } from '../../src/index';
import { ours, sameAsSqlite, theirs, withPair } from '../helpers/sql-pair';

describe('CHECK constraints kept as SQL behave as in SQLite', () => {
  test('a false result fails the write with its expression or its name; NULL passes; OR IGNORE skips', () => {
    sameAsSqlite([
      'CREATE TABLE t (a INT, b INT, CHECK (a < b), CONSTRAINT pos CHECK (a + b > 0))',
      'INSERT INTO t VALUES (1, 2)',
      'INSERT INTO t VALUES (3, 2)',
      'INSERT INTO t VALUES (-5, -1)',
      'INSERT INTO t VALUES (NULL, 1)',
      'INSERT OR IGNORE INTO t VALUES (3, 2), (4, 9)',
      'UPDATE t SET a = 10',
      'UPDATE OR IGNORE t SET a = a + 1',
      'INSERT INTO t VALUES (1, 3) ON CONFLICT DO NOTHING',
      'SELECT * FROM t ORDER BY a',
      'CREATE TABLE u (a INT, b INT CHECK (b > a) CHECK (b < 100))',
      'INSERT INTO u VALUES (1, 50)',
      'INSERT INTO u VALUES (60, 50)',
      "CREATE TABLE v (a INT CONSTRAINT small CHECK (a < 10), s TEXT CHECK (s LIKE '%@%' OR s IS NULL))",
      'INSERT INTO v VALUES (11, NULL)',
      "INSERT INTO v VALUES (1, 'no at sign')",
      "INSERT INTO v VALUES (1, 'a@b')",
      'CREATE TABLE w (a INT CHECK (a <> 5) CHECK (abs(a) < 10), CHECK (a % 2 = 0 OR a > 3))',
      'INSERT INTO w VALUES (5)',
      'INSERT INTO w VALUES (1)',
      'INSERT INTO w VALUES (-12)',
      'INSERT INTO w VALUES (8)',
      'CREATE TABLE s (a TEXT CHECK (a))',
      "INSERT INTO s VALUES ('abc')",
      "INSERT INTO s VALUES ('12')",
      'SELECT * FROM w',
      'SELECT * FROM s',
      'CREATE TABLE q (a INT CHECK (a > (SELECT 1)))',
      'CREATE TABLE q (a INT CHECK (a > ?))',
      'CREATE TABLE q (a INT CHECK (nope > 1))',
      'CREATE TABLE q (a INT CHECK (sum(a) > 1))',
      'CREATE TABLE r (a INT CHECK (random() <> 0 OR 1))',
      'INSERT INTO r VALUES (1)',
    ]);
  });

  test('ALTER TABLE: a new column is checked against the rows there; DROP and RENAME COLUMN follow the CHECKs', () => {
    sameAsSqlite([
      'CREATE TABLE t (a INT, b INT, CHECK (a < b), CONSTRAINT pos CHECK (a + b > 0))',
      'INSERT INTO t VALUES (1, 2), (NULL, 4)',
      'ALTER TABLE t ADD COLUMN c INT DEFAULT 5 CHECK (c < a * 3)',
      'ALTER TABLE t ADD COLUMN c INT DEFAULT 1 CHECK (c < b)',
      'ALTER TABLE t ADD COLUMN d INT CHECK (d <> a)',
      'SELECT * FROM t ORDER BY b',
      'ALTER TABLE t DROP COLUMN b',
      'ALTER TABLE t RENAME COLUMN a TO "first a"',
      'INSERT INTO t ("first a", b) VALUES (5, 1)',
      'INSERT INTO t ("first a", b) VALUES (5, 6)',
      'INSERT INTO t ("first a", b, c) VALUES (0, 6, 7)',
      'SELECT * FROM t ORDER BY b',
    ]);
  });

  test('the catalog text declares them: SQLite built from it enforces the same', () => {
    const conn = connect(':memory:');
    conn.execute('CREATE TABLE t (a INT, b INT, CHECK (a < b), CONSTRAINT "my check" CHECK (a + b > 0))');
    const text = (conn.execute("SELECT sql FROM sqlite_master WHERE name = 't'").fetchOne() as string[])[0];
    expect(text).toBe(
      'CREATE TABLE t (a INT, b INT, CHECK (a < b), CONSTRAINT "my check" CHECK (a + b > 0))',
    );
    const db = new BetterSqlite3(':memory:');
    db.exec(text);
    for (const values of ['(3, 2)', '(-5, -1)', '(1, 2)'])
      expect(ours(conn, `INSERT INTO t VALUES ${values}`)).toEqual(
        theirs(db, `INSERT INTO t VALUES ${values}`),
      );
    db.close();
    conn.close();
  });
});

describe('CHECKs persist and hold for the typed API', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mv-check-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('a reopened file enforces them on SQL and typed writes alike', () => {
    const file = join(dir, 'c.mv');
    const conn = connect(file);
    try {
      conn.execute('CREATE TABLE span (id INTEGER PRIMARY KEY, lo INT, hi INT, CHECK (lo <= hi))');
      conn.execute('INSERT INTO span (lo, hi) VALUES (1, 5)');
      conn.commit();
    } finally {
      conn.close();
    }
    const db = Database.open(file);
    try {
      expect(() => db.insert('span', { id: 2, lo: 9, hi: 3 })).toThrow(IntegrityError);
      expect(() => db.insert('span', { id: 2, lo: 9, hi: 3 })).toThrow('CHECK constraint failed: lo <= hi');
      db.insert('span', { id: 2, lo: 3, hi: 9 });
      expect(db.collectionNames()).toContain('span');
    } finally {
      db.close();
    }
    const again = connect(file);
    try {
      expect(() => again.execute('UPDATE span SET lo = hi + 1 WHERE id = 1')).toThrow(
        'CHECK constraint failed: lo <= hi',
      );
      expect(again.execute('SELECT id, lo, hi FROM span ORDER BY id').fetchAll()).toEqual([
        [1, 1, 5],
        [2, 3, 9],
      ]);
    } finally {
      again.close();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Property: random multi-column CHECKs under random writes equal SQLite.

const CHECKS = [
  'a < b',
  'a + b > 0',
  'a IS NULL OR b IS NULL OR a <> b',
  "c LIKE 'x%' OR c IS NULL",
  'length(c) <= a',
  'coalesce(a, 0) * 2 >= coalesce(b, 0) - 10',
  'CASE WHEN a > 5 THEN b > 5 ELSE 1 END',
  'abs(a - b) < 8',
  "c <> 'xx' AND a <> 3",
];

const value = fc.oneof(fc.integer({ min: -6, max: 12 }), fc.constant(null));
const text = fc.constantFrom('x', 'xx', 'xyz', 'y', '', null);

const op = fc.oneof(
  fc.record({
    t: fc.constant('insert' as const),
    a: value,
    b: value,
    c: text,
    or: fc.constantFrom('', 'OR IGNORE '),
  }),
  fc.record({
    t: fc.constant('update' as const),
    a: value,
    k: fc.integer({ min: 1, max: 4 }),
    or: fc.constantFrom('', 'OR IGNORE '),
  }),
  fc.record({ t: fc.constant('upsert' as const), id: fc.integer({ min: 1, max: 6 }), b: value }),
  fc.record({ t: fc.constant('delete' as const), k: fc.integer({ min: 0, max: 4 }) }),
);

test('property: random multi-column CHECKs under random writes equal SQLite, row for row and message for message', () => {
  fc.assert(
    fc.property(
      fc.uniqueArray(fc.nat({ max: CHECKS.length - 1 }), { minLength: 1, maxLength: 3 }),
      fc.boolean(),
      fc.boolean(),
      fc.array(op, { minLength: 1, maxLength: 25 }),
      (picked, named, onColumn, ops) => {
        const checks = picked.map(
          (i, n) => `${named && n === 0 ? 'CONSTRAINT first ' : ''}CHECK (${CHECKS[i]})`,
        );
        // The last one declared on column c instead: SQLite tests column constraints first.
        const columnCheck = onColumn && checks.length > 1 ? ` ${checks.pop() ?? ''}` : '';
        withPair(
          (run) => {
            run(
              `CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, b INTEGER, c TEXT${columnCheck}, ${checks.join(', ')})`,
            );
            for (const o of ops) {
              if (o.t === 'insert') run(`INSERT ${o.or}INTO t (a, b, c) VALUES (?, ?, ?)`, [o.a, o.b, o.c]);
              else if (o.t === 'update') run(`UPDATE ${o.or}t SET a = ? WHERE id % ${o.k} = 0`, [o.a]);
              else if (o.t === 'upsert')
                run('INSERT INTO t (id, b) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET b = excluded.b', [
                  o.id,
                  o.b,
                ]);
              else run(`DELETE FROM t WHERE id % 5 = ${o.k}`);
              run('SELECT * FROM t ORDER BY id');
            }
          },
          { messages: true },
        );
      },
    ),
    { numRuns: 200, seed: 20261204 },
  );
});
