/**
 * Foreign keys compared with better-sqlite3 run with `PRAGMA foreign_keys = ON`: the same
 * statements on both engines, each statement's outcome (rows, rows changed, error class) and
 * every table afterwards. ModelVault enforces them by default; SQLite needs the PRAGMA.
 */
import BetterSqlite3 from 'better-sqlite3';
import { Oracle } from '../helpers/sqlite-oracle';
import { connect, IntegrityError, ProgrammingError } from '../../src/index';

/** Run `setup` on both engines, then each statement, comparing outcomes and tables after each. */
function compare(setup: string[], stmts: string[], tables: string[]): void {
  const o = new Oracle();
  try {
    o.sqlite.exec('PRAGMA foreign_keys = ON');
    o.exec(...setup);
    for (const sql of stmts) {
      const { mv, sqlite } = o.both(sql, tables);
      // Rows changed are compared for writes only: DDL, BEGIN and PRAGMA report -1 in the DB-API.
      if (!/^\s*(INSERT|UPDATE|DELETE|REPLACE)/i.test(sql)) for (const r of [mv, sqlite]) unchanged(r);
      expect({ sql, result: mv }).toEqual({ sql, result: sqlite });
    }
  } finally {
    o.close();
  }
}

function unchanged(result: unknown): void {
  const outcome = (result as { outcome: { ok: boolean; changes?: number } }).outcome;
  if (outcome.ok) outcome.changes = -1;
}

const P = 'CREATE TABLE p (id INTEGER PRIMARY KEY, k INTEGER UNIQUE)';
const child = (clause: string, extra = ''): string =>
  `CREATE TABLE c (id INTEGER PRIMARY KEY, pid INTEGER${extra} REFERENCES p ${clause})`;
const SEED = [
  'INSERT INTO p VALUES (1, 10), (2, 20), (3, 30)',
  'INSERT INTO c VALUES (1, 1), (2, 1), (3, 2)',
];

describe('each ON DELETE / ON UPDATE action', () => {
  test.each([
    ['NO ACTION', ''],
    ['RESTRICT', ''],
    ['CASCADE', ''],
    ['SET NULL', ''],
    ['SET NULL', ' NOT NULL DEFAULT 3'],
    ['SET DEFAULT', ' DEFAULT 3'],
    ['SET DEFAULT', ' DEFAULT 9'],
    ['SET DEFAULT', ''],
  ])('%s (column%s)', (action, extra) => {
    const stmts = [
      'INSERT INTO c VALUES (4, NULL)',
      'DELETE FROM p WHERE id = 3',
      'DELETE FROM p WHERE id = 1',
      'UPDATE p SET id = 5 WHERE id = 2',
      'UPDATE p SET id = 2 WHERE id = 2',
      'DELETE FROM p',
      'INSERT INTO c VALUES (9, 7)',
      'INSERT INTO c VALUES (9, NULL)',
      'UPDATE c SET pid = 8 WHERE id = 9',
    ];
    compare([P, child(`ON DELETE ${action}`, extra), ...SEED], stmts, ['p', 'c']);
    compare([P, child(`ON UPDATE ${action}`, extra), ...SEED], stmts, ['p', 'c']);
  });
});

describe('statement-end checks', () => {
  test('a statement that breaks and repairs a reference passes; one that leaves an orphan fails', () => {
    compare(
      [P, child(''), ...SEED],
      [
        'INSERT INTO c VALUES (10, 7), (11, 1)',
        // The self-contained repair: the parent row arrives after the child row in one statement.
        'INSERT INTO p SELECT 7, 70 UNION ALL SELECT 8, 80',
        'INSERT INTO c VALUES (10, 7)',
        'UPDATE p SET id = id + 100 WHERE id > 5',
        'DELETE FROM c WHERE pid = 7',
        'UPDATE p SET id = id + 100 WHERE id > 5',
        'DELETE FROM p WHERE id IN (1, 2)',
        'DELETE FROM c',
        'DELETE FROM p WHERE id IN (1, 2)',
      ],
      ['p', 'c'],
    );
  });

  test('NULL in any child column means no check; composite keys reference the parent key', () => {
    compare(
      [
        'CREATE TABLE p (a INTEGER, b TEXT, PRIMARY KEY (a, b))',
        'CREATE TABLE c (id INTEGER PRIMARY KEY, x INTEGER, y TEXT, FOREIGN KEY (x, y) REFERENCES p ON UPDATE CASCADE ON DELETE SET NULL)',
        "INSERT INTO p VALUES (1, 'a'), (2, 'b')",
      ],
      [
        "INSERT INTO c VALUES (1, 1, 'a'), (2, 2, 'b'), (3, NULL, 'zz'), (4, 9, NULL)",
        "INSERT INTO c VALUES (5, 1, 'b')",
        "UPDATE p SET b = 'q' WHERE a = 1",
        'DELETE FROM p WHERE a = 2',
        "UPDATE c SET y = 'nope' WHERE id = 1",
      ],
      ['p', 'c'],
    );
  });

  test('a composite key over a unique index, columns given in another order', () => {
    compare(
      [
        'CREATE TABLE p (id INTEGER PRIMARY KEY, a INTEGER, b INTEGER, UNIQUE (b, a))',
        'CREATE TABLE c (id INTEGER PRIMARY KEY, x INTEGER, y INTEGER, FOREIGN KEY (x, y) REFERENCES p (a, b) ON DELETE CASCADE)',
        'INSERT INTO p VALUES (1, 1, 2), (2, 3, 4)',
      ],
      [
        'INSERT INTO c VALUES (1, 1, 2), (2, 3, 4)',
        'INSERT INTO c VALUES (3, 2, 1)',
        'DELETE FROM p WHERE id = 1',
      ],
      ['p', 'c'],
    );
  });
});

describe('chains', () => {
  test('CASCADE through several levels', () => {
    compare(
      [
        'CREATE TABLE g (id INTEGER PRIMARY KEY)',
        'CREATE TABLE p (id INTEGER PRIMARY KEY, g INT REFERENCES g ON DELETE CASCADE ON UPDATE CASCADE)',
        'CREATE TABLE c (id INTEGER PRIMARY KEY, p INT REFERENCES p ON DELETE CASCADE)',
        'CREATE INDEX c_p ON c (p)',
        'INSERT INTO g VALUES (1), (2)',
        'INSERT INTO p VALUES (1, 1), (2, 1), (3, 2)',
        'INSERT INTO c VALUES (1, 1), (2, 2), (3, 3)',
      ],
      ['UPDATE g SET id = 5 WHERE id = 2', 'DELETE FROM g WHERE id = 1', 'DELETE FROM g'],
      ['g', 'p', 'c'],
    );
  });

  test('self-references: a tree deleted by CASCADE, RESTRICT on a row referencing itself', () => {
    compare(
      [
        'CREATE TABLE t (id INTEGER PRIMARY KEY, up INT REFERENCES t ON DELETE CASCADE ON UPDATE CASCADE)',
        'INSERT INTO t VALUES (1, NULL), (2, 1), (3, 2), (4, 3), (5, 1), (6, 6)',
      ],
      [
        'UPDATE t SET id = 20 WHERE id = 2',
        'DELETE FROM t WHERE id = 20',
        'DELETE FROM t WHERE id = 6',
        'DELETE FROM t',
      ],
      ['t'],
    );
    compare(
      [
        'CREATE TABLE t (id INTEGER PRIMARY KEY, up INT REFERENCES t ON DELETE RESTRICT ON UPDATE RESTRICT)',
        'INSERT INTO t VALUES (1, 1), (2, 1)',
      ],
      [
        'UPDATE t SET id = 5 WHERE id = 1',
        'DELETE FROM t WHERE id = 1',
        'DELETE FROM t WHERE id = 2',
        'DELETE FROM t WHERE id = 1',
        'UPDATE t SET id = 5, up = 5',
      ],
      ['t'],
    );
  });

  test('a long self-referencing chain cascades without overflowing the stack', () => {
    const conn = connect(':memory:', { autocommit: true });
    conn.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, up INT REFERENCES t ON DELETE CASCADE)');
    conn.execute('CREATE INDEX t_up ON t (up)');
    conn.executeMany(
      'INSERT INTO t VALUES (?, ?)',
      Array.from({ length: 3000 }, (_, i) => [i + 1, i === 0 ? null : i]),
    );
    conn.execute('DELETE FROM t WHERE id = 1');
    expect(conn.execute('SELECT count(*) FROM t').fetchOne()).toEqual([0]);
    conn.close();
  });
});

describe('REPLACE and UPSERT', () => {
  test('REPLACE deletes run ON DELETE actions; DO UPDATE runs ON UPDATE actions', () => {
    compare(
      [
        P,
        'CREATE TABLE c (id INTEGER PRIMARY KEY, pk INT REFERENCES p (k) ON UPDATE CASCADE ON DELETE CASCADE)',
        'INSERT INTO p VALUES (1, 10), (2, 20)',
        'INSERT INTO c VALUES (1, 10), (2, 20)',
      ],
      [
        'INSERT OR REPLACE INTO p VALUES (3, 10)',
        'INSERT INTO p VALUES (4, 20) ON CONFLICT (k) DO UPDATE SET k = 21',
        'REPLACE INTO p VALUES (2, 99)',
        'INSERT INTO c VALUES (5, 99)',
        'INSERT INTO p VALUES (2, 98) ON CONFLICT (id) DO UPDATE SET k = excluded.k',
      ],
      ['p', 'c'],
    );
  });

  test('REPLACE of a referenced row with NO ACTION or RESTRICT', () => {
    for (const action of ['NO ACTION', 'RESTRICT'])
      compare(
        [P, child(`ON DELETE ${action}`), ...SEED],
        [
          'REPLACE INTO p VALUES (1, 11)',
          'REPLACE INTO p VALUES (3, 20)',
          'INSERT OR IGNORE INTO c VALUES (1, 5), (7, 5)',
        ],
        ['p', 'c'],
      );
  });
});

describe('errors SQLite reports when a statement needs the constraint', () => {
  test('foreign key mismatch and a missing parent table', () => {
    compare(
      [
        'CREATE TABLE p (id INTEGER PRIMARY KEY, x INT)',
        'CREATE TABLE c (id INTEGER PRIMARY KEY, p INT REFERENCES p (x))',
        'CREATE TABLE d (id INTEGER PRIMARY KEY, p INT REFERENCES nope)',
        'CREATE TABLE e (id INTEGER PRIMARY KEY, p INT REFERENCES c)',
      ],
      [
        'INSERT INTO c VALUES (1, NULL)',
        'INSERT INTO p VALUES (1, 1)',
        'DELETE FROM p',
        'UPDATE p SET x = 2',
        'UPDATE p SET id = 2',
        'INSERT INTO d VALUES (1, NULL)',
        'UPDATE d SET id = 2',
        'UPDATE d SET p = 2',
        'DELETE FROM d',
        'INSERT INTO e VALUES (1, NULL)',
      ],
      ['p', 'c', 'd'],
    );
  });

  test('CREATE TABLE refuses clauses SQLite refuses', () => {
    compare(
      [],
      [
        'CREATE TABLE c1 (id INTEGER PRIMARY KEY, p INT REFERENCES p (a, b))',
        'CREATE TABLE c2 (id INTEGER PRIMARY KEY, p INT, FOREIGN KEY (p) REFERENCES p (a, b))',
        'CREATE TABLE c3 (id INTEGER PRIMARY KEY, p INT, FOREIGN KEY (p, zz) REFERENCES p (a, b))',
        'CREATE TABLE c4 (id INTEGER PRIMARY KEY, p INT CONSTRAINT fk REFERENCES p (a) MATCH FULL NOT DEFERRABLE)',
      ],
      [],
    );
  });

  test('DROP TABLE of a referenced parent deletes its rows first, then checks', () => {
    compare(
      [
        'CREATE TABLE p (id INTEGER PRIMARY KEY)',
        'CREATE TABLE c (id INTEGER PRIMARY KEY, p INT REFERENCES p)',
        'CREATE TABLE q (id INTEGER PRIMARY KEY)',
        'CREATE TABLE d (id INTEGER PRIMARY KEY, q INT REFERENCES q ON DELETE CASCADE)',
        'INSERT INTO p VALUES (1)',
        'INSERT INTO c VALUES (1, 1)',
        'INSERT INTO q VALUES (1)',
        'INSERT INTO d VALUES (1, 1)',
      ],
      [
        'DROP TABLE p',
        'SELECT * FROM p',
        'DROP TABLE q',
        'SELECT * FROM d',
        'DELETE FROM c',
        'DROP TABLE p',
        'INSERT INTO c VALUES (1, 1)',
      ],
      ['c', 'd'],
    );
  });
});

describe('deferred constraints and PRAGMA foreign_keys', () => {
  test('DEFERRABLE INITIALLY DEFERRED is checked at commit; a failed COMMIT leaves the transaction open', () => {
    compare(
      [P, child('DEFERRABLE INITIALLY DEFERRED')],
      [
        'INSERT INTO c VALUES (1, 5)',
        'BEGIN',
        'INSERT INTO c VALUES (2, 6)',
        'COMMIT',
        'SELECT * FROM c',
        'INSERT INTO p VALUES (6, 60)',
        'COMMIT',
        'BEGIN',
        'DELETE FROM p',
        'INSERT INTO p VALUES (6, 61)',
        'COMMIT',
      ],
      ['p', 'c'],
    );
  });

  test('PRAGMA foreign_keys reads 1 by default, turns enforcement off per connection, is ignored in a transaction', () => {
    compare(
      [P, child('')],
      [
        'PRAGMA foreign_keys',
        'PRAGMA foreign_keys = OFF',
        'PRAGMA foreign_keys',
        'INSERT INTO c VALUES (1, 9)',
        'PRAGMA foreign_key_check',
        'PRAGMA foreign_key_check(c)',
        "SELECT * FROM pragma_foreign_key_check('c')",
        'PRAGMA foreign_keys = ON',
        'UPDATE c SET pid = pid',
        'UPDATE c SET id = 2',
        'BEGIN',
        'PRAGMA foreign_keys = OFF',
        'PRAGMA foreign_keys',
        'COMMIT',
      ],
      ['c'],
    );
  });

  test('a refused single-row INSERT inside a transaction leaves no row behind', () => {
    const conn = connect(':memory:');
    conn.execute(P);
    conn.execute(child(''));
    conn.commit();
    conn.execute('INSERT INTO p VALUES (1, 10)');
    expect(() => conn.execute('INSERT INTO c VALUES (1, 5)')).toThrow(IntegrityError);
    conn.execute('INSERT INTO c VALUES (2, 1)');
    conn.commit();
    expect(conn.execute('SELECT * FROM c').fetchAll()).toEqual([[2, 1]]);
    conn.close();
  });

  test('a row that clashes on its key and has no parent reports the clash, as SQLite does', () => {
    const conn = connect(':memory:', { autocommit: true });
    conn.execute(P);
    conn.execute(child(''));
    conn.execute('INSERT INTO p VALUES (1, 10)');
    conn.execute('INSERT INTO c VALUES (1, 1)');
    const lite = new BetterSqlite3(':memory:');
    lite.exec(
      `PRAGMA foreign_keys = ON; ${P}; ${child('')}; INSERT INTO p VALUES (1, 10); INSERT INTO c VALUES (1, 1)`,
    );
    expect(() => lite.exec('INSERT INTO c VALUES (1, 5)')).toThrow(/UNIQUE/);
    expect(() => conn.execute('INSERT INTO c VALUES (1, 5)')).toThrow(/UNIQUE/);
    lite.close();
    conn.close();
  });

  test('ModelVault enforces them without the PRAGMA (SQLite does not)', () => {
    const conn = connect(':memory:', { autocommit: true });
    conn.execute(P);
    conn.execute(child(''));
    expect(() => conn.execute('INSERT INTO c VALUES (1, 9)')).toThrow(IntegrityError);
    try {
      conn.execute('INSERT INTO c VALUES (1, 9)');
    } catch (err) {
      expect((err as IntegrityError).code).toBe('FOREIGN_KEY');
    }
    expect(() => conn.execute('INSERT INTO c VALUES (1, 9) RETURNING *')).toThrow(IntegrityError);
    conn.close();
  });
});

describe('introspection', () => {
  test('PRAGMA foreign_key_list and pragma_foreign_key_list()', () => {
    compare(
      [
        'CREATE TABLE p (id INTEGER PRIMARY KEY, x INT UNIQUE, y INT, UNIQUE (x, y))',
        'CREATE TABLE c (id INTEGER PRIMARY KEY, p INT REFERENCES p, q INT, FOREIGN KEY (q) REFERENCES p (x) ON DELETE CASCADE, FOREIGN KEY (id, q) REFERENCES p (x, y) ON UPDATE SET NULL DEFERRABLE INITIALLY DEFERRED)',
      ],
      [
        'PRAGMA foreign_key_list(c)',
        "SELECT * FROM pragma_foreign_key_list('c') ORDER BY id DESC, seq",
        "SELECT * FROM pragma_foreign_key_list('nosuch')",
        'PRAGMA foreign_key_list(p)',
      ],
      [],
    );
  });

  test('CREATE TABLE text keeps the clauses and is accepted again', () => {
    const conn = connect(':memory:', { autocommit: true });
    conn.execute('CREATE TABLE p (id INTEGER PRIMARY KEY, x INT UNIQUE)');
    conn.execute(
      'CREATE TABLE c (id INTEGER PRIMARY KEY, p INT REFERENCES p ON DELETE CASCADE, q INT, FOREIGN KEY (q) REFERENCES p (x) ON UPDATE SET DEFAULT DEFERRABLE INITIALLY DEFERRED)',
    );
    const row = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'c'").fetchOne() as unknown[];
    const sql = row[0] as string;
    expect(sql).toBe(
      'CREATE TABLE c (id INTEGER PRIMARY KEY, p INT, q INT, FOREIGN KEY (p) REFERENCES p ON DELETE CASCADE, ' +
        'FOREIGN KEY (q) REFERENCES p (x) ON UPDATE SET DEFAULT DEFERRABLE INITIALLY DEFERRED)',
    );
    const list = conn.execute('PRAGMA foreign_key_list(c)').fetchAll();
    conn.execute('DROP TABLE c');
    conn.execute(sql);
    expect(conn.execute('PRAGMA foreign_key_list(c)').fetchAll()).toEqual(list);
    conn.close();
  });

  test('ALTER TABLE RENAME keeps references pointing at the renamed table and column', () => {
    compare(
      [P, child('ON DELETE CASCADE'), ...SEED],
      [
        'ALTER TABLE p RENAME TO parent',
        'PRAGMA foreign_key_list(c)',
        'DELETE FROM parent WHERE id = 1',
        'ALTER TABLE parent RENAME COLUMN k TO kk',
        'ALTER TABLE c RENAME COLUMN pid TO parent_id',
        'PRAGMA foreign_key_list(c)',
        'INSERT INTO c VALUES (8, 9)',
        'DELETE FROM parent WHERE id = 2',
      ],
      ['c'],
    );
  });

  test('ALTER TABLE ADD COLUMN … REFERENCES (a non-NULL default refused while enforcing)', () => {
    compare(
      [
        'CREATE TABLE p (id INTEGER PRIMARY KEY)',
        'CREATE TABLE c (id INTEGER PRIMARY KEY)',
        'INSERT INTO c VALUES (1)',
      ],
      [
        'ALTER TABLE c ADD COLUMN p INT REFERENCES p DEFAULT 5',
        'ALTER TABLE c ADD COLUMN p INT REFERENCES p ON DELETE CASCADE',
        'ALTER TABLE c ADD COLUMN q INT DEFAULT NULL REFERENCES p',
        'PRAGMA foreign_key_list(c)',
        'INSERT INTO c VALUES (2, 3, NULL)',
        'INSERT INTO p VALUES (3)',
        'INSERT INTO c VALUES (2, 3, NULL)',
        'DELETE FROM p',
        'PRAGMA foreign_keys = OFF',
        'ALTER TABLE c ADD COLUMN r INT REFERENCES p DEFAULT 5',
        'PRAGMA foreign_key_check',
      ],
      ['c'],
    );
  });

  test('a write-time error names the statement', () => {
    const conn = connect(':memory:', { autocommit: true });
    conn.execute('CREATE TABLE d (id INTEGER PRIMARY KEY, p INT REFERENCES nope)');
    expect(() => conn.execute('INSERT INTO d VALUES (1, NULL)')).toThrow(ProgrammingError);
    conn.close();
  });
});
