/**
 * SQLite's conflict resolution (`INSERT OR …`, `UPDATE OR …`): ROLLBACK, ABORT, FAIL, IGNORE and
 * REPLACE on PRIMARY KEY, UNIQUE, NOT NULL and CHECK failures, each compared with better-sqlite3
 * (rows, error, changes(), total_changes(), last_insert_rowid(), whether a transaction is open),
 * and the DB-API side: a Connection whose transaction an OR ROLLBACK ended, autocommit off, a
 * file reopened after OR FAIL kept rows. test/differential/conflict.test.ts generates more.
 */
import BetterSqlite3 from 'better-sqlite3';
import { connect, IntegrityError, TransactionError } from '../../src/index';
import type { Connection } from '../../src/index';
import { tmpDir } from '../helpers/tmp';

const TABLE =
  "CREATE TABLE t (id INTEGER PRIMARY KEY, u INTEGER UNIQUE, n TEXT NOT NULL DEFAULT 'dflt', " +
  "m TEXT NOT NULL, c INTEGER CHECK (c >= 0), e TEXT NOT NULL DEFAULT (upper('e') || 'x'))";
const SEED =
  "INSERT INTO t (id, u, n, m, c) VALUES (1, 10, 'a', 'a', 1), (2, 20, 'b', 'b', 2), (3, 30, 'c', 'c', 3)";

/** SQLite's error as ModelVault's class and message (a CHECK message keeps its prefix only). */
function sqliteError(err: unknown): string {
  const { code = '', message = '' } = err as { code?: string; message?: string };
  const text = message.startsWith('CHECK') ? 'CHECK constraint failed' : message;
  return code.startsWith('SQLITE_CONSTRAINT') ? `IntegrityError: ${text}` : `TransactionError`;
}

function mvError(err: unknown): string {
  const e = err as Error;
  const text = e.message.startsWith('CHECK') ? 'CHECK constraint failed' : e.message;
  return e instanceof TransactionError ? 'TransactionError' : `${e.name}: ${text}`;
}

/** Both engines side by side, autocommit on (only BEGIN opens a transaction, as in SQLite). */
class Pair {
  readonly sqlite = new BetterSqlite3(':memory:');
  readonly conn: Connection = connect(':memory:', { autocommit: true });

  constructor(...setup: string[]) {
    for (const sql of setup) {
      this.sqlite.exec(sql);
      this.conn.execute(sql);
    }
  }

  close(): void {
    this.conn.close();
    this.sqlite.close();
  }

  /** Run `sql` on both; each side's outcome and state afterwards, for one toEqual. */
  run(sql: string): { sqlite: unknown; mv: unknown } {
    let a: unknown;
    try {
      const stmt = this.sqlite.prepare(sql);
      a = stmt.reader ? stmt.raw(true).all() : stmt.run().changes;
    } catch (err) {
      a = sqliteError(err);
    }
    let b: unknown;
    try {
      const cur = this.conn.execute(sql);
      b = cur.description === null ? cur.rowCount : cur.fetchAll();
    } catch (err) {
      b = mvError(err);
    }
    if (/^(BEGIN|COMMIT|ROLLBACK|SAVEPOINT)/.test(sql) && typeof a === 'number') a = b = 'done';
    const state = (
      one: (s: string) => unknown[],
      all: (s: string) => unknown[][],
      inTransaction: boolean,
    ): unknown => ({
      counters: one('SELECT changes(), total_changes(), last_insert_rowid()'),
      inTransaction,
      rows: all('SELECT * FROM t ORDER BY id'),
    });
    return {
      sqlite: {
        outcome: a,
        ...(state(
          (s) => this.sqlite.prepare(s).raw(true).get() as unknown[],
          (s) => this.sqlite.prepare(s).raw(true).all() as unknown[][],
          this.sqlite.inTransaction,
        ) as object),
      },
      mv: {
        outcome: b,
        ...(state(
          (s) => this.conn.execute(s).fetchOne() as unknown[],
          (s) => this.conn.execute(s).fetchAll() as unknown[][],
          this.conn.inTransaction,
        ) as object),
      },
    };
  }
}

/** Runs each statement on both engines and expects the same outcome and state after each. */
function same(setup: readonly string[], stmts: readonly string[]): Array<{ sqlite: unknown; mv: unknown }> {
  const p = new Pair(TABLE, SEED, ...setup);
  try {
    return stmts.map((sql) => {
      const r = p.run(sql);
      expect({ sql, ...(r.mv as object) }).toEqual({ sql, ...(r.sqlite as object) });
      return r;
    });
  } finally {
    p.close();
  }
}

const POLICIES = ['ROLLBACK', 'ABORT', 'FAIL', 'IGNORE', 'REPLACE'] as const;

describe('INSERT OR … with a failing middle row', () => {
  // Row 5 breaks one constraint; rows 4 and 6 are fine.
  const rows: [string, string][] = [
    ['PRIMARY KEY', "(4, 40, 'x', 'x', 4), (1, 50, 'y', 'y', 5), (6, 60, 'z', 'z', 6)"],
    ['UNIQUE', "(4, 40, 'x', 'x', 4), (5, 10, 'y', 'y', 5), (6, 60, 'z', 'z', 6)"],
    ['NOT NULL with a default', "(4, 40, 'x', 'x', 4), (5, 50, NULL, 'y', 5), (6, 60, 'z', 'z', 6)"],
    ['NOT NULL without a default', "(4, 40, 'x', 'x', 4), (5, 50, 'y', NULL, 5), (6, 60, 'z', 'z', 6)"],
    ['CHECK', "(4, 40, 'x', 'x', 4), (5, 50, 'y', 'y', -5), (6, 60, 'z', 'z', 6)"],
  ];
  const cases = POLICIES.flatMap((p) => rows.map(([what, values]) => [p, what, values] as const));

  test.each(cases)('OR %s, %s: autocommit', (policy, _what, values) => {
    same([], [`INSERT OR ${policy} INTO t (id, u, n, m, c) VALUES ${values}`]);
  });

  test.each(cases)('OR %s, %s: inside BEGIN after another write', (policy, _what, values) => {
    same(
      [],
      [
        'BEGIN',
        "INSERT INTO t (id, u, n, m, c) VALUES (7, 70, 'q', 'q', 7)",
        `INSERT OR ${policy} INTO t (id, u, n, m, c) VALUES ${values}`,
        "INSERT INTO t (id, u, n, m, c) VALUES (8, 80, 'r', 'r', 8)",
        'COMMIT',
      ],
    );
  });

  test.each(POLICIES)('OR %s with INSERT … SELECT meeting a clash on its third row', (policy) => {
    same(
      [
        'CREATE TABLE src (id INTEGER, u INTEGER, m TEXT)',
        "INSERT INTO src VALUES (4, 40, 'p'), (5, 50, 'q'), (6, 20, 'r'), (7, 70, 's')",
      ],
      ['BEGIN', `INSERT OR ${policy} INTO t (id, u, m) SELECT id, u, m FROM src ORDER BY id`, 'SELECT 1'],
    );
  });

  test('OR FAIL with RETURNING: the error, no rows, and the rows before it kept', () => {
    const [r] = same([], ["INSERT OR FAIL INTO t (id, u, m) VALUES (4, 40, 'x'), (5, 10, 'y') RETURNING id"]);
    expect(r.mv).toMatchObject({
      outcome: 'IntegrityError: UNIQUE constraint failed: t.u',
      counters: [1, 4, 4],
      inTransaction: false,
    });
  });
});

describe('UPDATE OR … hitting several rows where a middle row fails', () => {
  const updates: [string, string][] = [
    ['UNIQUE', 'SET u = u + 10'],
    ['PRIMARY KEY', 'SET id = id + 1 WHERE id < 3'],
    ['PRIMARY KEY to a lower key', 'SET id = id - 1 WHERE id > 1'],
    ['NOT NULL with a default', 'SET n = CASE WHEN id = 2 THEN NULL ELSE n || n END'],
    ['NOT NULL without a default', 'SET m = CASE WHEN id = 2 THEN NULL ELSE m || m END'],
    ['CHECK', 'SET c = c - 2'],
    ['an expression default', 'SET e = CASE WHEN id = 2 THEN NULL ELSE e || e END'],
  ];
  const cases = POLICIES.flatMap((p) => updates.map(([what, set]) => [p, what, set] as const));

  test.each(cases)('OR %s, %s: autocommit', (policy, _what, set) => {
    same([], [`UPDATE OR ${policy} t ${set}`]);
  });

  test.each(cases)('OR %s, %s: inside BEGIN, with RETURNING', (policy, _what, set) => {
    same([], ['BEGIN', 'DELETE FROM t WHERE id = 3', `UPDATE OR ${policy} t ${set} RETURNING *`, 'ROLLBACK']);
  });

  test('OR REPLACE deletes a row the statement was still to update, which then is not updated', () => {
    const [r] = same([], ['UPDATE OR REPLACE t SET u = u + 10']);
    // Row 1 takes u = 20 and deletes row 2; row 3 then takes 40.
    expect(r.mv).toMatchObject({ outcome: 2 });
  });

  test('OR IGNORE leaves each failing row as it was and counts only the others', () => {
    const [r] = same([], ['UPDATE OR IGNORE t SET u = 30 WHERE id <= 2']);
    expect(r.mv).toMatchObject({ outcome: 0 });
    const [s] = same([], ['UPDATE OR IGNORE t SET c = c - 2']);
    // c = 1 and 2 become -1 and 0: only the first breaks the CHECK.
    expect(s.mv).toMatchObject({ outcome: 2 });
  });
});

describe('transactions', () => {
  test('OR ROLLBACK ends the explicit transaction: every earlier write of it is gone', () => {
    const out = same(
      [],
      [
        'BEGIN',
        "INSERT INTO t (id, u, m) VALUES (4, 40, 'x')",
        "UPDATE t SET m = 'changed' WHERE id = 1",
        "INSERT OR ROLLBACK INTO t (id, u, m) VALUES (5, 50, 'y'), (6, 10, 'z')",
        'COMMIT',
        'ROLLBACK',
        "INSERT INTO t (id, u, m) VALUES (9, 90, 'w')",
      ],
    );
    expect(out[3].mv).toMatchObject({ inTransaction: false, counters: [0, 5, 5] });
  });

  test('OR ROLLBACK inside a savepoint ends the transaction and its savepoints', () => {
    same(
      [],
      [
        'SAVEPOINT a',
        "INSERT INTO t (id, u, m) VALUES (4, 40, 'x')",
        'UPDATE OR ROLLBACK t SET u = 10 WHERE id = 4',
        'ROLLBACK TO a',
        'RELEASE a',
      ],
    );
  });

  test('OR FAIL inside a transaction keeps its rows there until ROLLBACK', () => {
    same(
      [],
      [
        'BEGIN',
        "INSERT OR FAIL INTO t (id, u, m) VALUES (4, 40, 'x'), (5, 10, 'y'), (6, 60, 'z')",
        'SELECT 1',
        'ROLLBACK',
      ],
    );
  });

  test('a foreign key failure is never resolved by the OR policy: the statement is undone', () => {
    const parent = 'CREATE TABLE p (id INTEGER PRIMARY KEY)';
    const child = 'CREATE TABLE t (id INTEGER PRIMARY KEY, pid INTEGER REFERENCES p (id), u INTEGER UNIQUE)';
    for (const policy of POLICIES) {
      const p = new Pair(
        'PRAGMA foreign_keys = ON',
        parent,
        child,
        'INSERT INTO p VALUES (1)',
        'INSERT INTO t VALUES (1, 1, 1)',
      );
      try {
        for (const sql of [
          'BEGIN',
          'INSERT INTO t VALUES (2, 1, 2)',
          `INSERT OR ${policy} INTO t VALUES (3, 1, 3), (4, 99, 4), (5, 1, 5)`,
          // A row breaking a foreign key, then a clash: SQLite reports the foreign key under FAIL.
          `INSERT OR ${policy} INTO t VALUES (6, 99, 6), (7, 1, 1)`,
          `UPDATE OR ${policy} t SET u = CASE id WHEN 2 THEN 20 ELSE 1 END, pid = CASE id WHEN 2 THEN 99 ELSE 1 END WHERE id >= 2`,
          `UPDATE OR ${policy} t SET pid = 99 WHERE id >= 2`,
          'SELECT 1',
        ]) {
          const r = p.run(sql);
          expect({ sql, ...(r.mv as object) }).toEqual({ sql, ...(r.sqlite as object) });
        }
      } finally {
        p.close();
      }
    }
  });
});

describe('DB-API connection state', () => {
  test('after OR ROLLBACK in BEGIN: inTransaction is false, rollback() and commit() are no-ops', () => {
    const conn = connect(':memory:', { autocommit: true });
    try {
      conn.execute(TABLE);
      conn.execute(SEED);
      conn.execute('BEGIN');
      conn.execute("INSERT INTO t (id, u, m) VALUES (4, 40, 'x')");
      expect(conn.inTransaction).toBe(true);
      expect(() => conn.execute("INSERT OR ROLLBACK INTO t (id, u, m) VALUES (5, 10, 'y')")).toThrow(
        IntegrityError,
      );
      expect(conn.inTransaction).toBe(false);
      expect(() => conn.rollback()).not.toThrow();
      expect(() => conn.commit()).not.toThrow();
      expect(() => conn.execute('COMMIT')).toThrow(TransactionError);
      expect(conn.execute('SELECT count(*) FROM t').fetchOne()).toEqual([3]);
      // The connection goes on: a new transaction opens and commits.
      conn.execute('BEGIN');
      conn.execute("INSERT INTO t (id, u, m) VALUES (4, 40, 'x')");
      conn.commit();
      expect(conn.execute('SELECT count(*) FROM t').fetchOne()).toEqual([4]);
    } finally {
      conn.close();
    }
  });

  test('autocommit off: OR ROLLBACK undoes the implicitly opened transaction, as Python sqlite3 would', () => {
    const conn = connect(':memory:');
    try {
      conn.execute(TABLE);
      conn.execute(SEED);
      conn.commit();
      conn.execute("INSERT INTO t (id, u, m) VALUES (4, 40, 'x')");
      expect(conn.inTransaction).toBe(true);
      const cur = conn.cursor();
      expect(() => cur.execute('UPDATE OR ROLLBACK t SET u = 10 WHERE id = 4')).toThrow(
        'UNIQUE constraint failed: t.u',
      );
      expect(conn.inTransaction).toBe(false);
      conn.rollback();
      expect(conn.execute('SELECT id FROM t ORDER BY id').fetchAll()).toEqual([[1], [2], [3]]);
    } finally {
      conn.close();
    }
  });

  test('autocommit off: OR FAIL keeps its rows in the open transaction; OR ABORT keeps none', () => {
    const conn = connect(':memory:');
    try {
      conn.execute(TABLE);
      conn.execute(SEED);
      conn.commit();
      expect(() =>
        conn.execute("INSERT OR FAIL INTO t (id, u, m) VALUES (4, 40, 'x'), (5, 10, 'y')"),
      ).toThrow(IntegrityError);
      expect(conn.inTransaction).toBe(true);
      expect(conn.execute('SELECT changes()').fetchOne()).toEqual([1]);
      expect(() =>
        conn.execute("INSERT OR ABORT INTO t (id, u, m) VALUES (6, 60, 'x'), (7, 10, 'y')"),
      ).toThrow(IntegrityError);
      expect(conn.execute('SELECT changes(), last_insert_rowid()').fetchOne()).toEqual([0, 6]);
      conn.commit();
      expect(conn.execute('SELECT id FROM t ORDER BY id').fetchAll()).toEqual([[1], [2], [3], [4]]);
    } finally {
      conn.close();
    }
  });

  test('autocommit on: the rows OR FAIL kept are committed durably', () => {
    const tmp = tmpDir();
    const file = tmp.file();
    try {
      const conn = connect(file, { autocommit: true });
      conn.execute(TABLE);
      conn.execute(SEED);
      // Row 1 takes 16; row 2 would take row 3's 30.
      expect(() =>
        conn.execute('UPDATE OR FAIL t SET u = CASE id WHEN 1 THEN 16 WHEN 2 THEN 30 ELSE 99 END'),
      ).toThrow('UNIQUE constraint failed: t.u');
      expect(conn.inTransaction).toBe(false);
      expect(conn.execute('SELECT changes()').fetchOne()).toEqual([1]);
      conn.close();
      const again = connect(file, { readOnly: true });
      try {
        expect(again.execute('SELECT id, u FROM t ORDER BY id').fetchAll()).toEqual([
          [1, 16],
          [2, 20],
          [3, 30],
        ]);
      } finally {
        again.close();
      }
    } finally {
      tmp.cleanup();
    }
  });
});

describe('conflict clauses on constraints in CREATE TABLE', () => {
  const ddl =
    'CREATE TABLE t (id INTEGER PRIMARY KEY ON CONFLICT REPLACE, u INTEGER UNIQUE ON CONFLICT IGNORE, ' +
    "v INTEGER UNIQUE ON CONFLICT FAIL, n TEXT NOT NULL ON CONFLICT REPLACE DEFAULT 'dflt', " +
    'm TEXT NOT NULL ON CONFLICT IGNORE, c INTEGER CHECK (c >= 0), a INTEGER, b INTEGER, ' +
    'UNIQUE (a, b) ON CONFLICT ROLLBACK)';
  const seed = "INSERT INTO t VALUES (1, 10, 100, 'a', 'a', 1, 1, 1), (2, 20, 200, 'b', 'b', 2, 2, 2)";

  test.each([
    // Without an OR clause each constraint's own algorithm decides.
    "INSERT INTO t VALUES (3, 10, 300, 'c', 'c', 3, 3, 3), (4, 40, 400, 'd', 'd', 4, 4, 4)",
    "INSERT INTO t VALUES (3, 30, 300, NULL, 'c', 3, 3, 3)",
    "INSERT INTO t VALUES (3, 30, 300, 'c', NULL, 3, 3, 3), (4, 40, 400, 'd', 'd', 4, 4, 4)",
    "INSERT INTO t VALUES (1, 30, 300, 'c', 'c', 3, 3, 3)",
    "INSERT INTO t VALUES (3, 30, 300, 'c', 'c', 3, 3, 3), (4, 40, 100, 'd', 'd', 4, 4, 4)",
    "INSERT INTO t VALUES (3, 30, 300, 'c', 'c', -3, 3, 3)",
    // A row clashing on an IGNORE and a FAIL constraint: the newer index decides.
    "INSERT INTO t VALUES (3, 10, 100, 'c', 'c', 3, 3, 3)",
    // The primary key's REPLACE comes after every other constraint.
    "INSERT INTO t VALUES (1, 30, 200, 'c', 'c', 3, 3, 3)",
    'UPDATE t SET u = 20 WHERE id = 1',
    'UPDATE t SET v = v + 100',
    'UPDATE t SET id = 2 WHERE id = 1',
    'UPDATE t SET n = NULL, m = m || m',
    'UPDATE t SET m = NULL WHERE id = 1',
    // The OR clause overrides them all.
    "INSERT OR ABORT INTO t VALUES (3, 10, 300, 'c', 'c', 3, 3, 3)",
    "INSERT OR REPLACE INTO t VALUES (3, 10, 200, 'c', 'c', 3, 3, 3)",
    "INSERT OR FAIL INTO t VALUES (3, 30, 300, 'c', NULL, 3, 3, 3)",
    "REPLACE INTO t VALUES (3, 30, 300, 'c', NULL, 3, 3, 3)",
    'UPDATE OR ABORT t SET u = 20 WHERE id = 1',
    'UPDATE OR IGNORE t SET v = 200 WHERE id = 1',
  ])('%s', (sql) => {
    const p = new Pair(ddl, seed);
    try {
      for (const s of ['BEGIN', "INSERT INTO t VALUES (9, 90, 900, 'z', 'z', 9, 9, 9)", sql, 'SELECT 1']) {
        const r = p.run(s);
        expect({ s, ...(r.mv as object) }).toEqual({ s, ...(r.sqlite as object) });
      }
    } finally {
      p.close();
    }
  });

  test('a table ROLLBACK constraint ends the transaction', () => {
    const p = new Pair(ddl, seed);
    try {
      for (const s of [
        'BEGIN',
        "INSERT INTO t VALUES (9, 90, 900, 'z', 'z', 9, 9, 9)",
        "INSERT INTO t VALUES (3, 30, 300, 'c', 'c', 3, 1, 1)",
        'COMMIT',
      ]) {
        const r = p.run(s);
        expect({ s, ...(r.mv as object) }).toEqual({ s, ...(r.sqlite as object) });
      }
      expect(p.conn.inTransaction).toBe(false);
    } finally {
      p.close();
    }
  });

  test('the clauses are kept in the file, shown in sqlite_master, and survive ALTER TABLE', () => {
    const tmp = tmpDir();
    const file = tmp.file();
    try {
      const conn = connect(file, { autocommit: true });
      conn.execute(ddl);
      conn.execute(seed);
      conn.execute('ALTER TABLE t RENAME COLUMN m TO mm');
      conn.execute('ALTER TABLE t ADD COLUMN w INTEGER NOT NULL ON CONFLICT IGNORE DEFAULT 5');
      conn.close();
      const again = connect(file, { autocommit: true });
      try {
        const [sql] = again.execute("SELECT sql FROM sqlite_master WHERE name = 't'").fetchOne() as [string];
        expect(sql).toContain('id INTEGER PRIMARY KEY ON CONFLICT REPLACE,');
        expect(sql).toContain("n TEXT NOT NULL ON CONFLICT REPLACE DEFAULT 'dflt'");
        expect(sql).toContain('mm TEXT NOT NULL ON CONFLICT IGNORE,');
        expect(sql).toContain('w INTEGER NOT NULL ON CONFLICT IGNORE DEFAULT 5');
        expect(sql).toContain('UNIQUE (u) ON CONFLICT IGNORE, UNIQUE (v) ON CONFLICT FAIL');
        expect(sql).toContain('UNIQUE (a, b) ON CONFLICT ROLLBACK');
        // The text SQLite reads back declares the same algorithms.
        const sqlite = new BetterSqlite3(':memory:');
        sqlite.exec(sql);
        sqlite.close();
        again.execute("INSERT INTO t VALUES (3, 10, 300, 'c', 'c', 3, 3, 3, 7)");
        again.execute("INSERT INTO t VALUES (4, 40, 400, 'd', NULL, 4, 4, 4, 7)");
        again.execute("INSERT INTO t VALUES (5, 50, 500, 'e', 'e', 5, 5, 5, NULL)");
        again.execute("INSERT INTO t VALUES (1, 60, 600, NULL, 'f', 6, 6, 6, 8)");
        expect(again.execute('SELECT id, n, mm, w FROM t ORDER BY id').fetchAll()).toEqual([
          [1, 'dflt', 'f', 8],
          [2, 'b', 'b', 5],
        ]);
      } finally {
        again.close();
      }
    } finally {
      tmp.cleanup();
    }
  });

  test('an unknown algorithm is a syntax error', () => {
    const conn = connect(':memory:');
    try {
      expect(() => conn.execute('CREATE TABLE d (u INTEGER UNIQUE ON CONFLICT NOPE)')).toThrow(
        'expected ROLLBACK, ABORT, FAIL, IGNORE or REPLACE',
      );
    } finally {
      conn.close();
    }
  });
});

describe('the catalog keys through the typed API', () => {
  test('registerCollection takes them, SQL statements apply them, bad values are SchemaError', () => {
    const conn = connect(':memory:', { autocommit: true });
    try {
      const db = conn.database;
      db.registerCollection(
        'u',
        [
          { path: 'id', type: 'int64', keyOnConflict: 'ignore' },
          { path: 'name', type: 'string', notNullOnConflict: 'replace', default: 'x' },
          { path: 'k', type: { optional: 'int64' } },
        ],
        'id',
        [{ name: 'u_k', path: 'k', kind: 'unique', onConflict: 'replace' }],
      );
      conn.execute("INSERT INTO u VALUES (1, 'a', 1), (2, 'b', 2)");
      conn.execute("INSERT INTO u VALUES (1, 'c', 3), (3, NULL, 2)");
      expect(conn.execute('SELECT * FROM u ORDER BY id').fetchAll()).toEqual([
        [1, 'a', 1],
        [3, 'x', 2],
      ]);
      expect(() =>
        db.registerCollection('b1', [{ path: 'id', type: 'int64', keyOnConflict: 'nope' as 'ignore' }], 'id'),
      ).toThrow("id: keyOnConflict must be 'rollback', 'fail', 'ignore' or 'replace'");
      expect(() =>
        db.registerCollection(
          'b2',
          [
            { path: 'id', type: 'int64' },
            { path: 'o', type: { optional: 'int64' }, notNullOnConflict: 'ignore' },
          ],
          'id',
        ),
      ).toThrow('o: notNullOnConflict needs a non-optional type');
      expect(() =>
        db.registerCollection(
          'b3',
          [
            { path: 'id', type: 'int64' },
            { path: 'o', type: 'int64' },
          ],
          'id',
          [{ name: 'i', path: 'o', kind: 'index', onConflict: 'ignore' }],
        ),
      ).toThrow('index i: onConflict is for a unique index');
    } finally {
      conn.close();
    }
  });
});

test('UPDATE OR REPLACE whose deleted clash cascades onto the row being updated leaves it deleted', () => {
  const conn = connect(':memory:', { autocommit: true });
  const sqlite = new BetterSqlite3(':memory:');
  try {
    const setup = [
      'PRAGMA foreign_keys = ON',
      'CREATE TABLE p (id INTEGER PRIMARY KEY, k INTEGER UNIQUE, g INTEGER REFERENCES p (id) ON DELETE CASCADE)',
      'INSERT INTO p (id, k, g) VALUES (1, 1, NULL), (2, 6, 1), (3, 7, NULL)',
    ];
    for (const sql of setup) {
      conn.execute(sql);
      sqlite.exec(sql);
    }
    // Row 2 takes k = 1 from row 1; deleting row 1 cascades to row 2 (g = 1) itself.
    const sql = 'UPDATE OR REPLACE p SET k = 1 WHERE id >= 1';
    const changes = sqlite.prepare(sql).run().changes;
    expect(conn.cursor().execute(sql).rowCount).toBe(changes);
    const all = 'SELECT * FROM p ORDER BY id';
    expect(conn.cursor().execute(all).fetchAll()).toEqual(sqlite.prepare(all).raw().all());
  } finally {
    conn.close();
    sqlite.close();
  }
});
