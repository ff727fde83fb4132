/**
 * Partial indexes and indexes on expressions, differential against better-sqlite3: random tables
 * with NULLs, unique and non-unique partial and expression indexes, writes of every kind (errors
 * compared by message), queries compared, and the index trees checked against a scan of the rows
 * (verifyDatabaseFile) after reopening the file.
 */
import * as fs from 'node:fs';
import BetterSqlite3 from 'better-sqlite3';
import fc from 'fast-check';
import { Database, connect } from '../../src/index';
import { verifyDatabaseFile } from '../../src/cli/check-file';
import { sameAsSqlite } from '../helpers/sql-pair';
import { tmpDir } from '../helpers/tmp';

type Conn = ReturnType<typeof connect>;

const tmp = tmpDir('mv-pidx-');
afterAll(() => tmp.cleanup());

function tmpFile(): string {
  return tmp.file();
}

/** Small deterministic PRNG (mulberry32): a failing seed reproduces. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Outcome = { ok: true; rows?: unknown[][]; changes?: number } | { ok: false; error: string };

function onSqlite(db: BetterSqlite3.Database, sql: string): Outcome {
  try {
    const st = db.prepare(sql);
    if (st.reader) return { ok: true, rows: st.raw(true).all() as unknown[][] };
    return { ok: true, changes: st.run().changes };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}

function onMv(conn: Conn, sql: string): Outcome {
  const cur = conn.cursor();
  try {
    cur.execute(sql);
    if (cur.description) return { ok: true, rows: cur.fetchAll() as unknown[][] };
    return { ok: true, changes: cur.rowCount };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  } finally {
    cur.close();
  }
}

function same(db: BetterSqlite3.Database, conn: Conn, sql: string): Outcome {
  const ddl = /^\s*(CREATE|DROP|ALTER)/i.test(sql);
  // DDL's changes count is no part of the comparison (the DB-API reports -1 for it).
  const plain = (o: Outcome): Outcome => (ddl && o.ok ? { ok: true } : o);
  const want = plain(onSqlite(db, sql));
  const got = plain(onMv(conn, sql));
  expect({ sql, got }).toEqual({ sql, got: want });
  return got;
}

function explainText(conn: Conn, sql: string): string {
  const cur = conn.cursor();
  const out = cur
    .execute(`EXPLAIN ${sql}`)
    .fetchAll()
    .map((r) => String((r as unknown[])[0]))
    .join('\n');
  cur.close();
  return out;
}

const TABLE = 'CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT, c INTEGER, d INTEGER)';

/** Index definitions the random cases pick from: unique and not, partial, on expressions, both. */
const INDEXES = [
  'CREATE UNIQUE INDEX u_active ON t (b) WHERE d = 1',
  'CREATE UNIQUE INDEX u_sum ON t (c + d)',
  'CREATE UNIQUE INDEX u_lower ON t (lower(b), c) WHERE d IS NOT NULL',
  'CREATE INDEX i_lower ON t (lower(b))',
  'CREATE INDEX i_part ON t (c) WHERE c > 2 AND b IS NOT NULL',
  'CREATE INDEX i_abs ON t (abs(c) DESC, b) WHERE d < 3',
  "CREATE UNIQUE INDEX u_case ON t (CASE WHEN c IS NULL THEN 0 ELSE c % 3 END) WHERE b LIKE 'x%'",
];

const TEXTS = ['NULL', "'x'", "'X'", "'xa'", "'y'", "'Y'", "'z'"];

function value(r: () => number, texts: boolean): string {
  if (texts) return TEXTS[Math.floor(r() * TEXTS.length)];
  return r() < 0.2 ? 'NULL' : String(Math.floor(r() * 6) - 1);
}

function writeSql(r: () => number): string {
  const a = 1 + Math.floor(r() * 12);
  const row = `(${a}, ${value(r, true)}, ${value(r, false)}, ${value(r, false)})`;
  const set = `b = ${value(r, true)}, c = ${value(r, false)}, d = ${value(r, false)}`;
  const pick = r();
  if (pick < 0.25) return `INSERT INTO t VALUES ${row}`;
  if (pick < 0.35) return `INSERT OR REPLACE INTO t VALUES ${row}`;
  if (pick < 0.42) return `REPLACE INTO t VALUES ${row}`;
  if (pick < 0.5) return `INSERT OR IGNORE INTO t VALUES ${row}`;
  if (pick < 0.58) return `INSERT INTO t VALUES ${row} ON CONFLICT DO NOTHING`;
  if (pick < 0.66) return `INSERT INTO t VALUES ${row} ON CONFLICT (a) DO UPDATE SET ${set}`;
  if (pick < 0.82) return `UPDATE t SET ${set} WHERE a = ${a}`;
  if (pick < 0.88) return `UPDATE t SET d = ${value(r, false)} WHERE a <= ${a}`;
  // Rows in key order on both sides (which clash a statement meets first names its error).
  if (pick < 0.92) return `UPDATE t SET c = c + 1 WHERE a >= ${a}`;
  // Rows found through an index, then moved out of it or deleted.
  if (pick < 0.95) return `UPDATE t SET d = ${value(r, false)} WHERE d = 1 AND b = ${value(r, true)}`;
  if (pick < 0.97) return `DELETE FROM t WHERE lower(b) = ${value(r, true)}`;
  return `DELETE FROM t WHERE a = ${a}`;
}

const QUERIES = [
  'SELECT * FROM t ORDER BY a',
  'SELECT lower(b), count(*) FROM t GROUP BY 1 ORDER BY 1',
  "SELECT a FROM t WHERE d = 1 AND b = 'x' ORDER BY a",
  'SELECT a FROM t WHERE c + d = 3 ORDER BY a',
  "SELECT a FROM t WHERE lower(b) = 'x' ORDER BY a",
  'SELECT a FROM t WHERE c > 2 AND b IS NOT NULL ORDER BY a',
  // Through the indexes when they apply (the plans are checked in the planning tests below).
  "SELECT a FROM t WHERE d = 1 AND b = 'y' ORDER BY a",
  "SELECT a FROM t WHERE lower(b) = 'x' AND d IS NOT NULL ORDER BY a",
  "SELECT a, b FROM t WHERE lower(b) = 'x' AND c = 2 AND d = 1 ORDER BY a",
  'SELECT a, c FROM t WHERE abs(c) = 2 AND d < 3 ORDER BY a',
  'SELECT a FROM t WHERE c > 2 AND b IS NOT NULL AND c = 4 ORDER BY a',
  "SELECT a FROM t WHERE (CASE WHEN c IS NULL THEN 0 ELSE c % 3 END) = 1 AND b LIKE 'x%' ORDER BY a",
  "SELECT count(*) FROM t WHERE b LIKE 'x%'",
  "SELECT a FROM t WHERE c + d = '3' ORDER BY a",
  'SELECT a FROM t WHERE c + d = 3.0 ORDER BY a',
  'SELECT a FROM t WHERE d = 1 ORDER BY a',
  "SELECT a FROM t WHERE d = 1 AND b = 'x' COLLATE NOCASE ORDER BY a",
];

describe('partial and expression indexes against better-sqlite3', () => {
  test.each(Array.from({ length: 16 }, (_, i) => i + 1))(
    'random writes, seed %i: same errors, rows and index trees',
    (seed) => {
      const r = rng(seed);
      const file = tmpFile();
      const db = new BetterSqlite3(':memory:');
      let conn = connect(file, { autocommit: true });
      try {
        same(db, conn, TABLE);
        // Some rows before the indexes: CREATE builds them from existing rows (or fails as SQLite does).
        for (let i = 0; i < 6; i++) same(db, conn, writeSql(r));
        const made = INDEXES.filter((ix) => r() < 0.7 && same(db, conn, ix).ok);
        for (let i = 0; i < 120; i++) {
          same(db, conn, writeSql(r));
          if (i % 40 === 39) {
            // Reopen: the definitions come back from the catalog and keep enforcing.
            conn.close();
            conn = connect(file, { autocommit: true });
          }
        }
        for (const q of QUERIES) same(db, conn, q);
        // The queries above went through the indexes that apply (the most recently made first).
        if (made.includes(INDEXES[0]) && !made.includes(INDEXES[2]))
          expect(explainText(conn, "SELECT a FROM t WHERE d = 1 AND b = 'y'")).toMatch(
            /SqlIndexScan t using partial u_active/,
          );
        if (made.includes(INDEXES[1]))
          expect(explainText(conn, 'SELECT a FROM t WHERE c + d = 3')).toMatch(
            /SqlIndexScan t using u_sum key=3/,
          );
        same(
          db,
          conn,
          "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name",
        );
        same(db, conn, 'PRAGMA index_list(t)');
        for (const name of ['u_lower', 'i_abs', 'u_active']) same(db, conn, `PRAGMA index_xinfo(${name})`);
      } finally {
        conn.close();
        db.close();
      }
      const report = verifyDatabaseFile(file);
      expect(report.problems).toEqual([]);
    },
  );

  test('one active row per user: a UNIQUE partial index only among the rows it holds', () => {
    const db = new BetterSqlite3(':memory:');
    const conn = connect(':memory:', { autocommit: true });
    for (const sql of [
      'CREATE TABLE s (id INTEGER PRIMARY KEY, user INTEGER, active INTEGER)',
      'CREATE UNIQUE INDEX one_active ON s (user) WHERE active = 1',
      'INSERT INTO s VALUES (1, 7, 1)',
      'INSERT INTO s VALUES (2, 7, 0)',
      'INSERT INTO s VALUES (3, 7, 0)',
      'INSERT INTO s VALUES (4, 7, 1)',
      'UPDATE s SET active = 1 WHERE id = 2',
      'UPDATE s SET active = 0 WHERE id = 1',
      'UPDATE s SET active = 1 WHERE id = 2',
      'INSERT OR REPLACE INTO s VALUES (5, 7, 1)',
      'SELECT * FROM s ORDER BY id',
    ])
      same(db, conn, sql);
    expect(onMv(conn, 'INSERT INTO s VALUES (6, 7, 1)')).toEqual({
      ok: false,
      error: 'UNIQUE constraint failed: s.user',
    });
    conn.close();
    db.close();
  });

  test.each([
    'CREATE INDEX x ON t (b) WHERE c > (SELECT 1)',
    'CREATE INDEX x ON t (b) WHERE random() > 0',
    'CREATE INDEX x ON t (b) WHERE c > ?',
    'CREATE INDEX x ON t (b) WHERE count(*) > 0',
    'CREATE INDEX x ON t (b) WHERE nope > 0',
    'CREATE INDEX x ON t (random())',
    'CREATE INDEX x ON t (c + (SELECT 1))',
    'CREATE INDEX x ON t (c, ?)',
    'CREATE INDEX x ON t (t.c + 1)',
    'CREATE INDEX x ON t (sum(c))',
    'CREATE INDEX x ON t (changes())',
    'CREATE INDEX x ON t (c) WHERE current_timestamp > 0',
  ])('%s: SQLite’s error', (sql) => {
    const db = new BetterSqlite3(':memory:');
    const conn = connect(':memory:', { autocommit: true });
    same(db, conn, TABLE);
    const out = same(db, conn, sql);
    expect(out.ok).toBe(false);
    conn.close();
    db.close();
  });

  test('an upsert targets a partial unique index by repeating its WHERE, as in SQLite', () => {
    sameAsSqlite([
      'CREATE TABLE t (id INTEGER PRIMARY KEY, u INT, active INT, n INT)',
      'CREATE UNIQUE INDEX one ON t (u) WHERE active = 1',
      'INSERT INTO t (u, active, n) VALUES (1, 1, 0), (1, 0, 0)',
      'INSERT INTO t (u, active, n) VALUES (1, 1, 5) ON CONFLICT (u) DO UPDATE SET n = n + 1',
      'INSERT INTO t (u, active, n) VALUES (1, 1, 5) ON CONFLICT (u) WHERE active = 1 DO UPDATE SET n = n + 1',
      'INSERT INTO t (u, active, n) VALUES (1, 1, 5) ON CONFLICT (u) WHERE active = 1 AND n > 0 DO NOTHING',
      'INSERT INTO t (u, active, n) VALUES (1, 1, 5) ON CONFLICT (u) WHERE active = 2 DO NOTHING',
      'INSERT INTO t (u, active, n) VALUES (1, 1, 5), (7, 0, 5), (7, 1, 6) ON CONFLICT (u) WHERE active = 1 DO NOTHING',
      'INSERT INTO t (u, active, n) VALUES (7, 1, 9) ON CONFLICT (u) WHERE active = 1 DO UPDATE SET n = excluded.n',
      'SELECT * FROM t ORDER BY id',
      'SELECT id FROM t WHERE active = 1 AND u = 7',
      // A full unique index ignores the target WHERE; an index on expressions is no target of columns.
      'CREATE TABLE f (a INT UNIQUE, b INT)',
      'INSERT INTO f VALUES (1, 1)',
      'INSERT INTO f VALUES (1, 2) ON CONFLICT (a) WHERE b > 0 DO UPDATE SET b = 9',
      'SELECT * FROM f',
      'CREATE UNIQUE INDEX ex ON t (lower(n))',
      'INSERT INTO t (u, active, n) VALUES (3, 1, 5) ON CONFLICT (n) DO NOTHING',
    ]);
  });

  test('DROP COLUMN of a column an index reads: SQLite’s error, naming the first such index', () => {
    const db = new BetterSqlite3(':memory:');
    const conn = connect(':memory:', { autocommit: true });
    same(db, conn, TABLE);
    same(db, conn, 'CREATE INDEX e ON t (lower(b))');
    same(db, conn, 'CREATE INDEX p ON t (c) WHERE d > 0');
    expect(same(db, conn, 'ALTER TABLE t DROP COLUMN d')).toEqual({
      ok: false,
      error: 'error in index p after drop column: no such column: d',
    });
    same(db, conn, 'ALTER TABLE t DROP COLUMN b');
    same(db, conn, 'DROP INDEX p');
    same(db, conn, 'ALTER TABLE t DROP COLUMN d');
    same(db, conn, 'SELECT sql FROM sqlite_master ORDER BY name');
    conn.close();
    db.close();
  });

  test('CREATE over existing rows fails on a duplicate exactly where SQLite does', () => {
    const db = new BetterSqlite3(':memory:');
    const conn = connect(':memory:', { autocommit: true });
    same(db, conn, TABLE);
    same(db, conn, "INSERT INTO t VALUES (1, 'a', 1, 0), (2, 'A', 1, 1), (3, 'a', 2, 1)");
    same(db, conn, 'CREATE UNIQUE INDEX ok1 ON t (lower(b)) WHERE d = 1');
    expect(same(db, conn, 'CREATE UNIQUE INDEX bad ON t (lower(b))').ok).toBe(false);
    expect(same(db, conn, 'CREATE UNIQUE INDEX bad ON t (c) WHERE b = lower(b) OR c = 1').ok).toBe(false);
    same(db, conn, 'PRAGMA index_list(t)');
    conn.close();
    db.close();
  });

  test('the typed API writes keep a partial unique index, across reopen, compaction and REINDEX', () => {
    const file = tmpFile();
    let conn = connect(file, { autocommit: true });
    conn.cursor().execute('CREATE TABLE s (id INTEGER PRIMARY KEY, user INTEGER, active INTEGER)');
    conn.cursor().execute('CREATE UNIQUE INDEX one_active ON s (user) WHERE active = 1');
    conn.cursor().execute('CREATE UNIQUE INDEX by_twice ON s (user * 2, id % 2) WHERE active = 0');
    conn.commit();
    conn.close();
    const typed = Database.open(file);
    typed.insert('s', { id: 1, user: 7, active: 1 });
    typed.insert('s', { id: 2, user: 7, active: 0 });
    expect(() => typed.insert('s', { id: 3, user: 7, active: 1 })).toThrow(
      'UNIQUE constraint failed: s.user',
    );
    expect(() => typed.insert('s', { id: 4, user: 7, active: 0 })).toThrow(
      "UNIQUE constraint failed: index 'by_twice'",
    );
    typed.insert('s', { id: 5, user: 7, active: 0 });
    typed.delete('s', 1);
    typed.insert('s', { id: 3, user: 7, active: 1 });
    typed.compact();
    expect(typed.rebuildIndexes('s')).toBe(2);
    typed.close();
    conn = connect(file, { autocommit: true });
    try {
      const cur = conn.cursor();
      cur.execute('REINDEX');
      expect(() => cur.execute('INSERT INTO s VALUES (9, 7, 1)')).toThrow('UNIQUE constraint failed: s.user');
      cur.execute('UPDATE s SET active = 2 WHERE id = 3');
      cur.execute('INSERT INTO s VALUES (9, 7, 1)');
      conn.commit();
    } finally {
      conn.close();
    }
    const report = verifyDatabaseFile(file);
    expect(report.problems).toEqual([]);
    // one_active holds row 9; by_twice rows 2 and 5; row 3 is in neither.
    expect(report.indexEntriesChecked).toBe(3);
  });

  test('RENAME of a table or a column a partial or expression index reads rewrites its statement, as SQLite does', () => {
    // The table is spelled like the renamed column on purpose: only the column's references move.
    const statements = [
      'CREATE TABLE b (id INTEGER PRIMARY KEY, b TEXT, c INTEGER)',
      "INSERT INTO b VALUES (1, 'Ab', 1), (2, 'ab', NULL), (3, 'x', 3), (4, NULL, 4)",
      'CREATE INDEX b_low ON b (lower(b), c) WHERE b IS NOT NULL AND c > 0',
      'CREATE UNIQUE INDEX "b_up" ON b (upper("b"), id)',
      'CREATE INDEX sum_ix ON b (c + 1) WHERE c IS NOT NULL',
      'ALTER TABLE b RENAME COLUMN b TO label',
      "SELECT name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name",
      "SELECT id FROM b WHERE lower(label) = 'ab' AND c > 0 ORDER BY id",
      "INSERT INTO b VALUES (5, 'AB', 5)",
      "SELECT id FROM b WHERE upper(label) = 'AB' ORDER BY id",
      'ALTER TABLE b RENAME TO items',
      "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name",
      "SELECT id FROM items WHERE lower(label) = 'ab' AND c > 0 ORDER BY id",
      'SELECT id FROM items WHERE c + 1 = 4',
      'ALTER TABLE items RENAME COLUMN c TO qty',
      "SELECT name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name",
      'SELECT id FROM items WHERE qty + 1 > 3 ORDER BY id',
      "UPDATE items SET label = 'ab', qty = 9 WHERE id = 3",
      "SELECT id, label, qty FROM items WHERE lower(label) = 'ab' AND qty > 0 ORDER BY id",
    ];
    sameAsSqlite(statements);
  });

  test('a renamed expression index still answers from the file after reopening (replayed and checkpointed)', () => {
    for (const checkpoint of [false, true]) {
      const file = tmpFile();
      const conn = connect(file, { autocommit: true });
      const cur = conn.cursor();
      cur.execute(TABLE);
      cur.execute('CREATE INDEX e ON t (lower(b)) WHERE c IS NOT NULL');
      cur.execute("INSERT INTO t (a, b, c) VALUES (1, 'Ab', 1), (2, 'ab', NULL), (3, 'AB', 3)");
      cur.execute('ALTER TABLE t RENAME COLUMN b TO bb');
      cur.execute('ALTER TABLE t RENAME TO u');
      if (checkpoint) conn.database.checkpoint();
      conn.close();
      const again = connect(file, { autocommit: true });
      try {
        const rows = again
          .cursor()
          .execute("SELECT a FROM u WHERE lower(bb) = 'ab' AND c IS NOT NULL ORDER BY a");
        expect(rows.fetchAll()).toEqual([[1], [3]]);
        expect(again.cursor().execute("SELECT sql FROM sqlite_master WHERE name = 'e'").fetchAll()).toEqual([
          ['CREATE INDEX e ON "u" (lower(bb)) WHERE c IS NOT NULL'],
        ]);
      } finally {
        again.close();
      }
      expect(verifyDatabaseFile(file).problems).toEqual([]);
    }
  });
});

describe('query planning through partial and expression indexes', () => {
  const N = 2000;
  let db: BetterSqlite3.Database;
  let conn: Conn;
  beforeAll(() => {
    db = new BetterSqlite3(':memory:');
    conn = connect(':memory:', { autocommit: true });
    const setup = [
      'CREATE TABLE s (id INTEGER PRIMARY KEY, user INTEGER, active INTEGER, name TEXT, a INTEGER, b INTEGER)',
      'CREATE UNIQUE INDEX one_active ON s (user) WHERE active = 1',
      'CREATE INDEX by_lower ON s (lower(name))',
      'CREATE INDEX by_sum ON s (a + b, id)',
      'CREATE INDEX named ON s (a) WHERE name IS NOT NULL',
    ];
    for (const sql of setup) same(db, conn, sql);
    const rows: string[] = [];
    for (let i = 1; i <= N; i++) {
      const name = i % 7 === 0 ? 'NULL' : `'${i % 3 === 0 ? 'Ab' : 'ab'}${i % 50}'`;
      rows.push(`(${i}, ${i % 400}, ${i <= 400 && i % 5 === 0 ? 1 : 0}, ${name}, ${i % 13}, ${i % 11})`);
    }
    expect(same(db, conn, `INSERT INTO s VALUES ${rows.join(', ')}`)).toEqual({ ok: true, changes: N });
  });
  afterAll(() => {
    conn.close();
    db.close();
  });

  /** Run `sql` on both, compare, and return ModelVault's rows read and its plan. */
  function run(sql: string, params: unknown[] = []): { rowsRead: number; plan: string } {
    const want = db
      .prepare(sql)
      .raw(true)
      .all(...params);
    const cur = conn.cursor();
    const got = cur.execute(sql, params).fetchAll();
    expect(got).toEqual(want);
    const rowsRead = cur.executionStats?.rowsRead ?? -1;
    const plan = conn
      .cursor()
      .execute(`EXPLAIN ${sql}`, params)
      .fetchAll()
      .map((r) => String((r as unknown[])[0]))
      .join('\n');
    return { rowsRead, plan };
  }

  test('an equality on the key of a partial index whose WHERE the query repeats', () => {
    const r = run('SELECT id FROM s WHERE active = 1 AND user = ? ORDER BY id', [5]);
    expect(r.plan).toMatch(/SqlIndexScan s using partial one_active key=\?/);
    expect(r.rowsRead).toBeLessThanOrEqual(1);
  });

  test('the whole partial index when the query implies its WHERE but compares no key', () => {
    const r = run('SELECT count(*) FROM s WHERE active = 1');
    expect(r.plan).toMatch(/SqlIndexScan s using partial one_active range=\[full\]/);
    const active = (db.prepare('SELECT count(*) FROM s WHERE active = 1').pluck().get() as number) ?? 0;
    expect(r.rowsRead).toBe(active);
    expect(active).toBeLessThan(N / 4);
  });

  test('c IS NOT NULL is implied by a comparison of c', () => {
    const r = run("SELECT id FROM s WHERE name > 'ab4' AND a = 3 ORDER BY id");
    expect(r.plan).toMatch(/SqlIndexScan s using partial named/);
    expect(r.rowsRead).toBeLessThan(N);
  });

  test('an expression index answers an equality on the same expression', () => {
    const r = run("SELECT id, name FROM s WHERE lower(name) = 'ab7' ORDER BY id");
    expect(r.plan).toMatch(/SqlIndexScan s using by_lower key='ab7'/);
    const count = db.prepare("SELECT count(*) FROM s WHERE lower(name) = 'ab7'").pluck().get() as number;
    expect(count).toBeGreaterThan(20);
    expect(r.rowsRead).toBe(count);
  });

  test('the first expression of a composite expression index', () => {
    const r = run('SELECT id FROM s WHERE a + b = ? ORDER BY id', [12]);
    expect(r.plan).toMatch(/SqlIndexScan s using by_sum key=\?/);
    const count = db.prepare('SELECT count(*) FROM s WHERE a + b = 12').pluck().get() as number;
    expect(r.rowsRead).toBe(count);
  });

  test.each([
    // The query does not imply the index's WHERE: never through it.
    'SELECT id FROM s WHERE user = 5 ORDER BY id',
    'SELECT id FROM s WHERE active = 1 OR user = 5 ORDER BY id',
    'SELECT count(*) FROM s WHERE active >= 1',
    'SELECT id FROM s WHERE a = 3 ORDER BY id',
    // A different expression, a collation, a non-constant value.
    "SELECT id FROM s WHERE upper(name) = 'AB7' ORDER BY id",
    "SELECT id FROM s WHERE lower(name) = 'AB7' COLLATE NOCASE ORDER BY id",
    'SELECT id FROM s WHERE a + b = id ORDER BY id',
    'SELECT id FROM s WHERE b + a = 12 ORDER BY id',
  ])('%s: not through a partial or expression index', (sql) => {
    const r = run(sql);
    expect(r.plan).not.toMatch(/SqlIndexScan/);
  });

  test('ORDER BY the indexed expression walks the index: LIMIT reads only what it returns', () => {
    for (const [sql, reverse] of [
      ['SELECT id, lower(name) FROM s ORDER BY lower(name), id LIMIT 7', false],
      ['SELECT id, lower(name) FROM s ORDER BY lower(name) DESC, id DESC LIMIT 7', true],
    ] as const) {
      const r = run(sql);
      expect(r.plan).toContain(`SqlIndexScan s using by_lower range=[full]${reverse ? ' reverse' : ''}`);
      expect(r.plan).not.toMatch(/Sort|TopN/);
      expect(r.rowsRead).toBe(7);
    }
    // A partial index's order, when the WHERE implies the index's.
    const r = run('SELECT id, a FROM s WHERE name IS NOT NULL ORDER BY a, id LIMIT 5');
    expect(r.plan).toContain('SqlIndexScan s using partial named range=[full]');
    expect(r.plan).not.toMatch(/Sort|TopN/);
    // Under a Filter the LIMIT cannot tell the walk how many it wants: one first batch (8 rows).
    expect(r.rowsRead).toBeLessThanOrEqual(8);
  });

  test.each([
    'SELECT id FROM s ORDER BY lower(name) COLLATE NOCASE, id LIMIT 5',
    'SELECT id FROM s ORDER BY lower(name), id DESC LIMIT 5',
    'SELECT id FROM s ORDER BY lower(name) NULLS LAST, id LIMIT 5',
    'SELECT id FROM s ORDER BY a, id LIMIT 5',
    'SELECT id FROM s ORDER BY a + b, a LIMIT 5',
  ])('%s: the walk does not give that order, so it is sorted', (sql) => {
    const r = run(sql);
    expect(r.plan).toMatch(/Sort|TopN/);
  });

  test('a range on the indexed expression walks only its entries, in order where the ORDER BY asks', () => {
    const count = (where: string, params: unknown[] = []): number =>
      db
        .prepare(`SELECT count(*) FROM s WHERE ${where}`)
        .pluck()
        .get(...params) as number;
    let r = run("SELECT id, name FROM s WHERE lower(name) > 'ab45' ORDER BY id");
    expect(r.plan).toContain("SqlIndexScan s using by_lower range=[> 'ab45']");
    expect(r.rowsRead).toBe(count("lower(name) > 'ab45'"));
    expect(r.rowsRead).toBeLessThan(N / 5);
    r = run('SELECT id FROM s WHERE lower(name) BETWEEN ? AND ? ORDER BY id', ['ab1', 'ab12']);
    expect(r.plan).toContain('SqlIndexScan s using by_lower range=[>= ?1 AND <= ?2]');
    expect(r.rowsRead).toBe(count('lower(name) BETWEEN ? AND ?', ['ab1', 'ab12']));
    r = run('SELECT id FROM s WHERE ? >= a + b AND a + b > 19 ORDER BY id', [21]);
    expect(r.plan).toContain('SqlIndexScan s using by_sum range=[> 19 AND <= ?1]');
    expect(r.rowsRead).toBe(count('a + b BETWEEN 20 AND 21'));
    // In the walk's order: a LIMIT reads little more than it returns, backwards too.
    r = run(
      "SELECT id, lower(name) FROM s WHERE lower(name) < 'ab3' ORDER BY lower(name) DESC, id DESC LIMIT 4",
    );
    expect(r.plan).toContain("SqlIndexScan s using by_lower range=[< 'ab3'] reverse");
    expect(r.plan).not.toMatch(/Sort|TopN/);
    expect(r.rowsRead).toBeLessThanOrEqual(8);
    // Through a partial index whose WHERE the query implies.
    r = run('SELECT id FROM s WHERE name IS NOT NULL AND a >= 11 ORDER BY id');
    expect(r.plan).toContain('SqlIndexScan s using partial named range=[>= 11]');
    expect(r.rowsRead).toBe(count('name IS NOT NULL AND a >= 11'));
  });

  test('property: ranges through expression and partial indexes equal SQLite for values of every class', () => {
    const value = fc.oneof(
      fc.integer({ min: -2, max: 25 }),
      fc.double({ min: -2, max: 25, noNaN: true }),
      fc.constantFrom('ab1', 'ab4', 'Ab3', 'b', '', '12', 'ab49z'),
      fc.constant(null),
      fc.constant(Buffer.from('ab2')),
    );
    const shape = fc.constantFrom(
      'lower(name) > ?',
      'lower(name) >= ? AND lower(name) < ?',
      '? <= lower(name)',
      'lower(name) BETWEEN ? AND ?',
      'a + b < ?',
      'a + b >= ? AND a + b <= ?',
      '? > a + b',
      'a + b BETWEEN ? AND ?',
      'name IS NOT NULL AND a > ?',
      'name IS NOT NULL AND a BETWEEN ? AND ?',
      'active = 1 AND user < ?',
    );
    const order = fc.constantFrom(
      'id',
      'id DESC',
      'lower(name), id',
      'lower(name) DESC, id DESC',
      'a + b, id',
    );
    fc.assert(
      fc.property(
        shape,
        value,
        value,
        order,
        fc.option(fc.integer({ min: 1, max: 30 })),
        (where, p1, p2, by, limit) => {
          const params = [p1, p2].slice(0, (where.match(/\?/g) ?? []).length);
          run(
            `SELECT id, name, a + b FROM s WHERE ${where} ORDER BY ${by}${limit === null ? '' : ` LIMIT ${limit}`}`,
            params,
          );
        },
      ),
      { numRuns: 400, seed: 20261204 },
    );
  });

  test('a join looks the inner rows up through an expression or partial index', () => {
    same(db, conn, 'CREATE TABLE q (id INTEGER PRIMARY KEY, k TEXT, n INTEGER, r REAL)');
    const rows: string[] = [];
    for (let i = 1; i <= 60; i++) {
      const k = i % 9 === 0 ? 'NULL' : `'${i % 2 === 0 ? 'ab' : 'AB'}${i % 55}'`;
      const n = i % 8 === 0 ? 'NULL' : String(i % 26);
      rows.push(`(${i}, ${k}, ${n}, ${i % 5 === 0 ? 'NULL' : (i % 26) / 2})`);
    }
    same(db, conn, `INSERT INTO q VALUES ${rows.join(', ')}`);
    const count = (sql: string): number => db.prepare(sql).pluck().get() as number;
    let r = run('SELECT q.id, s.id FROM q JOIN s ON lower(s.name) = q.k ORDER BY 1, 2');
    expect(r.plan).toContain('IndexNestedLoopJoin inner s using by_lower (lower(s.name)=q.k)');
    // Each outer row reads only its matches: far fewer than 60 scans of s.
    expect(r.rowsRead).toBe(60 + count('SELECT count(*) FROM q JOIN s ON lower(s.name) = q.k'));
    r = run('SELECT q.id, s.id FROM q LEFT JOIN s ON s.a + s.b = q.n ORDER BY 1, 2');
    expect(r.plan).toContain('IndexNestedLoopJoin left s using by_sum');
    r = run('SELECT q.id, s.id FROM q JOIN s ON s.user = q.n AND s.active = 1 ORDER BY 1, 2');
    expect(r.plan).toContain('IndexNestedLoopJoin inner s using one_active');
    // The index's WHERE is not implied: not through it.
    r = run('SELECT q.id, s.id FROM q JOIN s ON s.user = q.n ORDER BY 1, 2');
    expect(r.plan).not.toContain('using one_active');
    // A comparison that converts (a REAL key against an integer sum is fine; text against a
    // number would convert, so it is not looked up): the same answers either way.
    run('SELECT q.id, s.id FROM q JOIN s ON s.a + s.b = q.r ORDER BY 1, 2');
    r = run('SELECT q.id, s.id FROM q JOIN s ON s.a + s.b = q.k ORDER BY 1, 2');
    expect(r.plan).not.toContain('using by_sum');
    r = run('SELECT q.id, s.id FROM q JOIN s ON lower(s.name) = q.k COLLATE NOCASE ORDER BY 1, 2');
    expect(r.plan).not.toContain('using by_lower');
    // A column's own collation and a BOOLEAN key (stored as true/false, compared as 1/0).
    same(db, conn, 'CREATE TABLE q2 (id INTEGER PRIMARY KEY, k TEXT COLLATE NOCASE, f BOOLEAN)');
    same(db, conn, "INSERT INTO q2 VALUES (1, 'AB3', 1), (2, 'ab4', 0), (3, 'Ab9', NULL), (4, NULL, 1)");
    r = run('SELECT q2.id, s.id FROM q2 JOIN s ON lower(s.name) = q2.k ORDER BY 1, 2');
    expect(r.plan).not.toContain('using by_lower');
    run('SELECT q2.id, s.id FROM q2 JOIN s ON s.a + s.b = q2.f ORDER BY 1, 2');
    run('SELECT q2.id, s.id FROM q2 LEFT JOIN s ON s.a + s.b = q2.f + 1 ORDER BY 1, 2');
    fc.assert(
      fc.property(
        fc.constantFrom('JOIN', 'LEFT JOIN'),
        fc.constantFrom(
          'lower(s.name) = q.k',
          'q.k = lower(s.name)',
          's.a + s.b = q.n',
          's.a + s.b = q.r',
          's.a + s.b = q.n + 1',
          's.user = q.n AND s.active = 1',
          'lower(s.name) = q.k AND s.a > 3',
          's.a = q.n AND s.name IS NOT NULL',
        ),
        fc.constantFrom('', 'WHERE q.id % 3 = 0', 'WHERE s.id IS NULL', 'WHERE s.active = 1'),
        (join, on, where) => {
          run(`SELECT q.id, s.id, s.name FROM q ${join} s ON ${on} ${where} ORDER BY 1, 2`);
        },
      ),
      { numRuns: 120, seed: 20261204 },
    );
  });

  test('a looked-up value of another class than the keys: same answers', () => {
    for (const v of ['12', 12.0, 12n, null, Buffer.from('12')])
      run('SELECT id FROM s WHERE a + b = ? ORDER BY id', [v]);
    for (const v of [7, 'ab7', null]) run('SELECT id FROM s WHERE lower(name) = ? ORDER BY id', [v]);
  });

  test('UPDATE and DELETE find their rows through the index and keep it exact', () => {
    same(db, conn, "UPDATE s SET name = 'zz' WHERE lower(name) = 'ab9'");
    same(db, conn, 'UPDATE s SET active = 0 WHERE active = 1 AND user = 10');
    same(db, conn, 'DELETE FROM s WHERE a + b = 3');
    run("SELECT id FROM s WHERE lower(name) = 'zz' ORDER BY id");
    run("SELECT id FROM s WHERE lower(name) = 'ab9' ORDER BY id");
    run('SELECT id FROM s WHERE active = 1 ORDER BY id');
    run('SELECT id FROM s WHERE a + b = 3 ORDER BY id');
  });
});

test('crash recovery: a log replayed without a checkpoint rebuilds the same entries', () => {
  const file = tmpFile();
  const db = new BetterSqlite3(':memory:');
  const conn = connect(file, { autocommit: true });
  const r = rng(99);
  let copy = '';
  try {
    same(db, conn, TABLE);
    for (const ix of INDEXES) same(db, conn, ix);
    for (let i = 0; i < 150; i++) same(db, conn, writeSql(r));
    // What a kill now would leave: the committed log, no checkpoint since.
    copy = `${file}.killed`;
    fs.copyFileSync(file, copy);
  } finally {
    conn.close();
  }
  const typed = Database.open(copy, { readOnly: true });
  try {
    expect(typed.storage.recoveryReport.replayedTransactions).toBeGreaterThan(50);
  } finally {
    typed.close();
  }
  const reopened = connect(copy, { autocommit: true });
  try {
    for (const q of QUERIES) same(db, reopened, q);
    for (let i = 0; i < 40; i++) same(db, reopened, writeSql(r));
    for (const q of QUERIES) same(db, reopened, q);
  } finally {
    reopened.close();
    db.close();
  }
  expect(verifyDatabaseFile(copy).problems).toEqual([]);
});

test('DROP COLUMN before an indexed one and ADD COLUMN: the index follows its columns', () => {
  const db = new BetterSqlite3(':memory:');
  const conn = connect(':memory:', { autocommit: true });
  try {
    for (const sql of [
      'CREATE TABLE w (id INTEGER PRIMARY KEY, x INTEGER, b TEXT, c INTEGER)',
      "INSERT INTO w VALUES (1, 1, 'Aa', 1), (2, 2, 'aa', 0), (3, 3, 'b', 1), (4, 4, NULL, 1)",
      'CREATE INDEX wl ON w (lower(b)) WHERE c = 1',
      'CREATE UNIQUE INDEX wu ON w (b || c)',
      'ALTER TABLE w DROP COLUMN x',
      "INSERT INTO w VALUES (5, 'AA', 1)",
      "INSERT INTO w VALUES (6, 'b', 1)",
      'ALTER TABLE w ADD COLUMN z INTEGER DEFAULT 7',
      "INSERT INTO w VALUES (7, 'aA', 1, 0)",
      "UPDATE w SET c = 1 WHERE lower(b) = 'aa'",
      "SELECT id, b FROM w WHERE lower(b) = 'aa' AND c = 1 ORDER BY id",
      'SELECT id, b, z FROM w WHERE c = 1 ORDER BY lower(b), id',
      "SELECT id FROM w WHERE b || c = 'b1'",
    ])
      same(db, conn, sql);
    expect(explainText(conn, "SELECT id FROM w WHERE lower(b) = 'aa' AND c = 1")).toContain(
      "SqlIndexScan w using partial wl key='aa'",
    );
  } finally {
    conn.close();
    db.close();
  }
});
