/**
 * UNIQUE columns declared COLLATE NOCASE or RTRIM (storage/schema/normalize.ts
 * NormalizedIndex.collate, storage/compare.ts collatedKeyCompare): the index is ordered and
 * compared under the collation, so 'a@x.com' and 'A@X.com' clash as in SQLite, and an equality
 * compared under it is a lookup in that index (planner/access-path.ts collatedCandidates).
 * Compared with better-sqlite3 statement by statement — results, and error messages for writes
 * that fail — by hand and over random write sequences; then kept across checkpoints, a killed
 * writer's replay and a reopened file through the typed API.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { seeded } from '../helpers/seeded';
import { Database, IntegrityError, connect } from '../../src/index';
import type { Connection } from '../../src/index';
import { normRow } from '../differential/normalize';
import { canon, dumpState } from '../helpers/engine-util';

type Outcome = unknown[][] | string;

function pair(): { run: (sql: string) => [Outcome, Outcome]; mv: Connection; close: () => void } {
  const lite = new BetterSqlite3(':memory:');
  const mv = connect(':memory:', { autocommit: true });
  const attempt = (f: () => unknown[][]): Outcome => {
    try {
      return f().map(normRow);
    } catch (err) {
      return `error: ${(err as Error).message}`;
    }
  };
  const run = (sql: string): [Outcome, Outcome] => [
    attempt(() => {
      const cur = mv.cursor().execute(sql);
      return cur.description ? (cur.fetchAll() as unknown[][]) : [];
    }),
    attempt(() => {
      const st = lite.prepare(sql);
      if (st.reader) return st.raw(true).all() as unknown[][];
      st.run();
      return [];
    }),
  ];
  return { run, mv, close: () => (lite.close(), mv.close()) };
}

function agreeAll(statements: readonly string[]): void {
  const { run, close } = pair();
  try {
    for (const sql of statements) {
      const [ours, theirs] = run(sql);
      expect({ sql, outcome: ours }).toEqual({ sql, outcome: theirs });
    }
  } finally {
    close();
  }
}

test('a NOCASE UNIQUE column: clashes, OR IGNORE, OR REPLACE, UPSERT, UPDATE, as SQLite', () => {
  agreeAll([
    'CREATE TABLE u (id INTEGER PRIMARY KEY, email TEXT UNIQUE COLLATE NOCASE, name TEXT)',
    "INSERT INTO u (email, name) VALUES ('A@x.com', 'a')",
    "INSERT INTO u (email, name) VALUES ('a@X.com', 'b')",
    "INSERT OR IGNORE INTO u (email, name) VALUES ('a@X.COM', 'c')",
    "INSERT OR REPLACE INTO u (email, name) VALUES ('a@x.com', 'd')",
    "INSERT INTO u (email, name) VALUES ('b@x.com', 'e') ON CONFLICT(email) DO UPDATE SET name = 'upd'",
    "INSERT INTO u (email, name) VALUES ('B@X.com', 'f') ON CONFLICT(email) DO UPDATE SET name = excluded.name || '!'",
    'SELECT * FROM u ORDER BY id',
    "SELECT * FROM u WHERE email = 'B@x.COM'",
    'SELECT email FROM u ORDER BY email',
    "UPDATE u SET email = 'B@x.com' WHERE id = 2",
    "UPDATE u SET email = 'A@X.com' WHERE email = 'b@x.com'",
    "UPDATE OR REPLACE u SET email = 'a@x.com' WHERE email = 'b@x.com'",
    'SELECT * FROM u ORDER BY id',
    "INSERT INTO u (email, name) VALUES (NULL, 'n1'), (NULL, 'n2')",
    'SELECT count(*) FROM u WHERE email IS NULL',
    'PRAGMA index_list(u)',
    'PRAGMA index_xinfo(sqlite_autoindex_u_1)',
    'PRAGMA integrity_check',
    'ANALYZE',
    'SELECT * FROM sqlite_stat1',
  ]);
});

test('RTRIM, composite keys, a composite PRIMARY KEY and CREATE UNIQUE INDEX, as SQLite', () => {
  agreeAll([
    'CREATE TABLE w (a TEXT COLLATE NOCASE, b TEXT COLLATE RTRIM, c INT, UNIQUE (a, c), UNIQUE (b))',
    "INSERT INTO w VALUES ('x', 'p', 1)",
    "INSERT INTO w VALUES ('X', 'p ', 2)",
    "INSERT INTO w VALUES ('X', 'q', 1)",
    "INSERT INTO w VALUES ('y', 'q  ', 1), ('Y', 'Q', NULL), ('y', 'r', NULL)",
    'SELECT * FROM w ORDER BY rowid',
    'CREATE TABLE k (a TEXT COLLATE NOCASE, b INT, PRIMARY KEY (a, b))',
    "INSERT INTO k VALUES ('x', 1), ('y', 1)",
    "INSERT INTO k VALUES ('X', 1)",
    "INSERT OR REPLACE INTO k VALUES ('Y', 1)",
    'SELECT * FROM k ORDER BY a, b',
    'CREATE TABLE v (t TEXT COLLATE NOCASE)',
    "INSERT INTO v VALUES ('a'), ('A')",
    'CREATE UNIQUE INDEX vu ON v(t)',
    "DELETE FROM v WHERE t = 'A' COLLATE BINARY",
    'CREATE UNIQUE INDEX vu ON v(t)',
    "INSERT INTO v VALUES ('A')",
    'SELECT * FROM v',
    // A foreign key to a NOCASE UNIQUE parent matches under NOCASE.
    'CREATE TABLE p (k TEXT COLLATE NOCASE UNIQUE)',
    'CREATE TABLE c (r TEXT REFERENCES p(k))',
    'PRAGMA foreign_keys = ON',
    "INSERT INTO p VALUES ('Key')",
    "INSERT INTO c VALUES ('KEY')",
    "INSERT INTO c VALUES ('nokey')",
    'SELECT * FROM c',
  ]);
});

test('a one-column PRIMARY KEY declared COLLATE NOCASE or RTRIM: a hidden rowid and the key’s index, as SQLite', () => {
  agreeAll([
    'CREATE TABLE tags (name TEXT PRIMARY KEY COLLATE NOCASE, n INT)',
    "INSERT INTO tags VALUES ('Red', 1), ('blue', 2)",
    "INSERT INTO tags VALUES ('RED', 3)",
    "INSERT OR REPLACE INTO tags VALUES ('BLUE', 4)",
    "INSERT INTO tags VALUES ('green', 5) ON CONFLICT(name) DO UPDATE SET n = n + 100",
    "INSERT INTO tags VALUES ('GREEN', 6) ON CONFLICT(name) DO UPDATE SET n = n + 100",
    'SELECT rowid, * FROM tags ORDER BY rowid',
    "SELECT * FROM tags WHERE name = 'rEd'",
    'PRAGMA table_info(tags)',
    'PRAGMA index_list(tags)',
    'PRAGMA index_xinfo(sqlite_autoindex_tags_1)',
    'CREATE TABLE t2 (a TEXT COLLATE RTRIM, b INT, PRIMARY KEY (a))',
    "INSERT INTO t2 VALUES ('x', 1)",
    "INSERT INTO t2 VALUES ('x  ', 2)",
    'INSERT INTO t2 VALUES (NULL, 3), (NULL, 4)',
    'SELECT rowid, * FROM t2 ORDER BY rowid',
    'CREATE TABLE t4 (a TEXT COLLATE NOCASE PRIMARY KEY ON CONFLICT REPLACE, b INT)',
    "INSERT INTO t4 VALUES ('a', 1), ('A', 2)",
    'SELECT * FROM t4',
    // Foreign keys match child values under the parent key's collation.
    'PRAGMA foreign_keys = ON',
    'CREATE TABLE child (t TEXT REFERENCES tags)',
    'CREATE TABLE kid (t TEXT REFERENCES tags ON DELETE CASCADE ON UPDATE CASCADE)',
    "INSERT INTO child VALUES ('RED')",
    "INSERT INTO child VALUES ('purple')",
    "INSERT INTO kid VALUES ('GREEN'), ('green '), ('Green')",
    "UPDATE tags SET name = 'Crimson' WHERE name = 'red'",
    "DELETE FROM tags WHERE name = 'RED'",
    "UPDATE tags SET name = 'Lime' WHERE name = 'green'",
    'SELECT * FROM kid ORDER BY rowid',
    "DELETE FROM tags WHERE name = 'LIME'",
    'SELECT * FROM kid ORDER BY rowid',
    'SELECT rowid, * FROM tags ORDER BY rowid',
    'ALTER TABLE tags RENAME COLUMN name TO label',
    "INSERT INTO tags (label, n) VALUES ('BLUE', 9)",
    'PRAGMA integrity_check',
  ]);
});

test('the typed API finds a collated key’s row by any spelling, inside another handle’s transaction too', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mv-collated-key-'));
  const file = path.join(dir, 'db.modelvault');
  try {
    const sql = connect(file, { autocommit: true });
    sql.execute('CREATE TABLE tags (name TEXT PRIMARY KEY COLLATE NOCASE, n INT)');
    sql.execute('CREATE TABLE pairs (a TEXT COLLATE NOCASE, b INT, v TEXT, PRIMARY KEY (a, b))');
    sql.execute("INSERT INTO tags VALUES ('Red', 1)");
    sql.execute("INSERT INTO pairs VALUES ('Key', 1, 'one')");
    sql.close();
    const one = Database.open(file);
    const two = Database.open(file);
    try {
      expect(one.get('tags', 'RED')).toMatchObject({ name: 'Red', n: 1 });
      expect(one.get('tags', ['red'])).toMatchObject({ name: 'Red' });
      expect(one.get('pairs', ['KEY', 1])).toMatchObject({ v: 'one' });
      two.transaction(() => {
        two.insert('tags', { name: 'blue', n: 2 });
        // `one` reads the committed state while `two`'s transaction is open.
        expect(one.get('tags', 'rED')).toMatchObject({ name: 'Red' });
        expect(one.get('pairs', ['kEy', 1])).toMatchObject({ v: 'one' });
        expect(one.get('tags', 'BLUE')).toBeNull();
      });
      expect(one.get('tags', 'BLUE')).toMatchObject({ name: 'blue' });
      expect(one.delete('tags', 'red')).toBe(true);
      expect(one.get('tags', 'Red')).toBeNull();
    } finally {
      one.close();
      two.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('an equality under the index’s collation is a lookup in it; other comparisons are not', () => {
  const { run, mv, close } = pair();
  try {
    run('CREATE TABLE u (id INTEGER PRIMARY KEY, e TEXT UNIQUE COLLATE NOCASE, b TEXT UNIQUE)');
    run("INSERT INTO u VALUES (1, '5', '5'), (2, 'Ab', 'Ab'), (3, 'cd', 'cd')");
    const plan = (sql: string, params: unknown[] = []): string =>
      (mv.cursor().execute(`EXPLAIN ${sql}`, params).fetchAll() as unknown[][]).flat().join('\n');
    expect(plan('SELECT id FROM u WHERE e = ?', ['x'])).toMatch(/IndexLookup u using sqlite_autoindex_u_1/);
    expect(plan("SELECT id FROM u WHERE 'AB' = e")).toMatch(/IndexLookup u using sqlite_autoindex_u_1/);
    expect(plan("SELECT id FROM u WHERE e = 'ab' COLLATE BINARY")).toMatch(/CollectionScan/);
    expect(plan("SELECT id FROM u WHERE e > 'a'")).toMatch(/CollectionScan/);
    expect(plan('SELECT e FROM u ORDER BY e')).toMatch(/Sort/);
    for (const [sql, params] of [
      ['SELECT id FROM u WHERE e = ?', ['aB']],
      ['SELECT id FROM u WHERE e = ?', [5]],
      ['SELECT id FROM u WHERE e = 5', []],
      ['SELECT id FROM u WHERE e = ?', [null]],
      ["SELECT id FROM u WHERE e = 'AB' COLLATE BINARY", []],
      ["SELECT id FROM u WHERE e IN ('ab', 'CD') ORDER BY id", []],
      ['SELECT u1.id, u2.id FROM u u1 JOIN u u2 ON u1.e = upper(u2.b) ORDER BY 1', []],
    ] as [string, unknown[]][]) {
      const ours = (mv.cursor().execute(sql, params).fetchAll() as unknown[][]).map(normRow);
      const lite = new BetterSqlite3(':memory:');
      lite.exec('CREATE TABLE u (id INTEGER PRIMARY KEY, e TEXT UNIQUE COLLATE NOCASE, b TEXT UNIQUE)');
      lite.exec("INSERT INTO u VALUES (1, '5', '5'), (2, 'Ab', 'Ab'), (3, 'cd', 'cd')");
      expect({ sql, rows: ours }).toEqual({
        sql,
        rows: (
          lite
            .prepare(sql)
            .raw(true)
            .all(...params) as unknown[][]
        ).map(normRow),
      });
      lite.close();
    }
  } finally {
    close();
  }
});

test('property: random writes to NOCASE and RTRIM unique keys agree with SQLite statement by statement', () => {
  const next = seeded(20261206);
  const E = ["'ann'", "'Ann'", "'ANN'", "'bob'", "'BOB'", "'cy'", "'Cy '", 'NULL'];
  const R = ["'p'", "'p '", "'p  '", "'P'", "'q'", "'q '", 'NULL'];
  const pick = (xs: readonly string[]): string => xs[next(xs.length)];
  let statements = 0;
  for (let run = 0; run < 40; run++) {
    const script = [
      'CREATE TABLE t (id INTEGER PRIMARY KEY, e TEXT UNIQUE COLLATE NOCASE, r TEXT COLLATE RTRIM, n INT, UNIQUE (r, n))',
    ];
    for (let i = 0; i < 25; i++) {
      const op = next(7);
      const verb = ['INSERT', 'INSERT OR IGNORE', 'INSERT OR REPLACE'][next(3)];
      if (op <= 2) script.push(`${verb} INTO t (e, r, n) VALUES (${pick(E)}, ${pick(R)}, ${next(3)})`);
      else if (op === 3)
        script.push(
          `INSERT INTO t (e, r, n) VALUES (${pick(E)}, ${pick(R)}, ${next(3)}) ON CONFLICT(e) DO UPDATE SET n = n + 10`,
        );
      else if (op === 4)
        script.push(`UPDATE ${next(2) ? 'OR REPLACE ' : ''}t SET e = ${pick(E)} WHERE id = ${1 + next(6)}`);
      else if (op === 5) script.push(`DELETE FROM t WHERE e = ${pick(E)}`);
      else script.push(`SELECT id FROM t WHERE e = ${pick(E)} ORDER BY id`);
    }
    script.push('SELECT * FROM t ORDER BY id', 'PRAGMA integrity_check');
    agreeAll(script);
    statements += script.length;
  }
  expect(statements).toBe(40 * 28);
});

describe('kept in the file', () => {
  const FIELDS = [
    { path: 'id', type: 'int64' as const },
    { path: 'email', type: 'string' as const, collate: 'nocase' as const },
  ];
  const INDEXES = [{ name: 'ux_email', path: 'email', kind: 'unique' as const }];
  const email = (i: number): string => (i % 2 ? `User${i}@Mail.org` : `user${i}@mail.ORG`);

  function writer(): Database {
    const db = Database.openInMemory({ checkpointEveryBytes: 0, checkpointIdleMs: 0 });
    db.registerCollection('users', FIELDS, 'id', INDEXES);
    return db;
  }
  const clash = (db: Database, i: number): void => {
    expect(() => db.insert('users', { id: 1_000_000 + i, email: email(i).toUpperCase() })).toThrow(
      IntegrityError,
    );
  };

  test('checkpointed pages and a killed writer’s replayed tail keep the NOCASE order and its clashes', () => {
    const db = writer();
    let bytes: Uint8Array;
    let state: string;
    try {
      db.transaction(() => {
        for (let i = 0; i < 3000; i++) db.insert('users', { id: i, email: email(i) });
      });
      db.checkpoint();
      db.transaction(() => {
        for (let i = 3000; i < 4000; i++) db.insert('users', { id: i, email: email(i) });
      });
      clash(db, 3500);
      bytes = db.storage.bytes();
      state = canon(dumpState(db.storage));
    } finally {
      db.close();
    }
    // Reopened without a closing checkpoint: pages checked under the index's order, the tail replayed.
    const again = Database.openSnapshotBytes(bytes);
    try {
      expect(again.storage.recoveryReport.replayedTransactions).toBe(1);
      expect(canon(dumpState(again.storage))).toBe(state);
      clash(again, 10);
      clash(again, 3999);
      again.insert('users', { id: 5000, email: 'new@mail.org' });
      again.checkpoint();
      const third = Database.openSnapshotBytes(again.storage.bytes());
      try {
        clash(third, 1234);
        expect(() => third.insert('users', { id: 5001, email: 'NEW@MAIL.org' })).toThrow(IntegrityError);
      } finally {
        third.close();
      }
    } finally {
      again.close();
    }
  });

  test('a SQL table in a file: the unique key holds after close and reopen', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mv-collated-'));
    const file = path.join(dir, 'db.modelvault');
    try {
      const first = connect(file, { autocommit: true });
      first.execute('CREATE TABLE u (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE COLLATE NOCASE)');
      first.cursor().executeMany(
        'INSERT INTO u (email) VALUES (?)',
        Array.from({ length: 2000 }, (_, i) => [email(i)]),
      );
      first.close();
      const second = connect(file, { autocommit: true });
      try {
        expect(() => second.execute("INSERT INTO u (email) VALUES ('USER7@MAIL.ORG')")).toThrow(
          /UNIQUE constraint failed: u\.email/,
        );
        expect(
          second.cursor().execute('SELECT id FROM u WHERE email = ?', ['user1999@mail.org']).fetchAll(),
        ).toEqual([[2000]]);
        expect(second.cursor().execute('PRAGMA integrity_check').fetchAll()).toEqual([['ok']]);
      } finally {
        second.close();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
