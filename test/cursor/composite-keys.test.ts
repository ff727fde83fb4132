/**
 * Composite keys and indexes (issue 12, item 6) compared with better-sqlite3: `PRIMARY KEY (a, b)`,
 * `UNIQUE (a, b)`, `CREATE [UNIQUE] INDEX … (a, b DESC, …)`, descending index columns, conflicts
 * and UPSERT targets, and the answers of queries the planner serves from a leftmost prefix.
 */
import { Oracle } from '../helpers/sqlite-oracle';

let o: Oracle;
afterEach(() => o.close());

describe('descending index columns', () => {
  beforeEach(() => {
    o = new Oracle();
    o.exec(
      'CREATE TABLE t (id INTEGER PRIMARY KEY, c INTEGER, s TEXT)',
      "INSERT INTO t (id, c, s) VALUES (1, 5, 'e'), (2, NULL, 'x'), (3, 1, 'a'), (4, 5, 'f'), (5, 3, NULL)",
      'CREATE INDEX ic ON t (c DESC)',
      'CREATE UNIQUE INDEX isx ON t (s ASC)',
    );
  });

  test.each([
    'SELECT id, c FROM t ORDER BY c DESC, id',
    'SELECT id, c FROM t ORDER BY c, id',
    'SELECT id FROM t WHERE c > 2 ORDER BY c DESC, id LIMIT 2',
    'SELECT c FROM t WHERE c > 2 ORDER BY c DESC LIMIT 2',
    'SELECT id FROM t WHERE c = 5 ORDER BY id',
    'SELECT s FROM t WHERE s >= ? ORDER BY s DESC',
    "INSERT INTO t (id, c, s) VALUES (9, 0, 'a')",
  ])('%s', (sql) => {
    const r = o.both(sql, ['t'], sql.includes('?') ? ['b'] : []);
    expect(r.mv).toEqual(r.sqlite);
  });
});

describe('composite PRIMARY KEY and UNIQUE', () => {
  const TABLES = ['t', 'u'];
  beforeEach(() => {
    o = new Oracle();
    o.exec(
      'CREATE TABLE t (a INTEGER, b TEXT, c INTEGER, n INTEGER DEFAULT 0, PRIMARY KEY (a, b))',
      'CREATE TABLE u (id INTEGER PRIMARY KEY, x INTEGER, y TEXT, z INTEGER, UNIQUE (x, y))',
      "INSERT INTO t (a, b, c) VALUES (1, 'a', 10), (1, 'b', 20), (2, 'a', 30), (3, NULL, 40)",
      "INSERT INTO u (id, x, y, z) VALUES (1, 1, 'p', 1), (2, 1, 'q', 2), (3, 2, NULL, 3), (4, 2, NULL, 4)",
    );
  });

  test.each([
    // Clashes on the whole key; a partial match is no clash; NULL columns never clash.
    "INSERT INTO t (a, b, c) VALUES (1, 'a', 99)",
    "INSERT INTO t (a, b, c) VALUES (1, 'c', 99)",
    'INSERT INTO t (a, b, c) VALUES (3, NULL, 99)',
    "INSERT INTO u (id, x, y) VALUES (9, 1, 'p')",
    'INSERT INTO u (id, x, y) VALUES (9, 2, NULL)',
    "INSERT INTO u (id, x, y) VALUES (9, NULL, 'p')",
    // Conflict resolution and UPSERT targets over the composite key (any column order).
    "INSERT OR IGNORE INTO t (a, b, c) VALUES (1, 'a', 99), (5, 'e', 50)",
    "INSERT OR REPLACE INTO t (a, b, c) VALUES (1, 'a', 99)",
    "INSERT OR REPLACE INTO u (id, x, y, z) VALUES (7, 1, 'q', 70)",
    "INSERT INTO t (a, b, c) VALUES (1, 'a', 5) ON CONFLICT (a, b) DO UPDATE SET n = n + excluded.c",
    "INSERT INTO t (a, b, c) VALUES (1, 'a', 5) ON CONFLICT (b, a) DO UPDATE SET c = excluded.c RETURNING *",
    "INSERT INTO t (a, b, c) VALUES (1, 'a', 5) ON CONFLICT (a) DO NOTHING",
    "INSERT INTO t (a, b, c) VALUES (1, 'a', 5) ON CONFLICT (a, b, c) DO NOTHING",
    "INSERT INTO u (id, x, y) VALUES (8, 1, 'p') ON CONFLICT (x, y) DO UPDATE SET z = 100",
    "INSERT INTO u (id, x, y) VALUES (8, 1, 'p') ON CONFLICT DO NOTHING",
    'INSERT INTO u (id, x, y) VALUES (8, 2, NULL) ON CONFLICT (y, x) DO UPDATE SET z = 100',
    // UPDATE moving a row onto another's key; DELETE by a key prefix.
    "UPDATE t SET b = 'b' WHERE a = 1 AND b = 'a'",
    "UPDATE t SET b = 'z' WHERE a = 1 AND b = 'a'",
    "UPDATE u SET y = 'q' WHERE id = 1",
    'UPDATE u SET x = 2 WHERE id = 1',
    'DELETE FROM t WHERE a = 1',
    // Reads through the key's leftmost prefix.
    'SELECT * FROM t WHERE a = 1 ORDER BY b',
    "SELECT c FROM t WHERE a = 1 AND b = 'b'",
    "SELECT c FROM t WHERE a = 1 AND b > 'a'",
    'SELECT * FROM t ORDER BY a DESC, b DESC',
    'SELECT * FROM u WHERE x = 2 ORDER BY id',
    "SELECT * FROM u WHERE x = 1 AND y >= 'q'",
    'SELECT * FROM u WHERE x = 2 AND y IS NULL ORDER BY id',
  ])('%s', (sql) => {
    const r = o.both(sql, TABLES);
    expect(r.mv).toEqual(r.sqlite);
  });

  test('constraint messages name every key column', () => {
    expect(() => o.conn.execute("INSERT INTO t (a, b) VALUES (1, 'a')")).toThrow(
      'UNIQUE constraint failed: t.a, t.b',
    );
    expect(() => o.conn.execute("INSERT INTO u (x, y) VALUES (1, 'p')")).toThrow(
      'UNIQUE constraint failed: u.x, u.y',
    );
    expect(() => o.sqlite.exec("INSERT INTO t (a, b) VALUES (1, 'a')")).toThrow(
      'UNIQUE constraint failed: t.a, t.b',
    );
  });
});

describe('CREATE [UNIQUE] INDEX over several columns', () => {
  const TABLES = ['t'];
  beforeEach(() => {
    o = new Oracle();
    o.exec(
      'CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, b TEXT, c REAL)',
      "INSERT INTO t VALUES (1, 1, 'x', 1.5), (2, 1, 'y', 2.5), (3, 2, 'x', NULL), (4, NULL, 'x', 0), (5, 1, NULL, 3)",
    );
  });

  test.each([
    ['CREATE INDEX ix ON t (a, b DESC, c)', "INSERT INTO t VALUES (6, 1, 'x', 1.5)"],
    ['CREATE UNIQUE INDEX ix ON t (a, b)', "INSERT INTO t VALUES (6, 1, 'x', 9)"],
    ['CREATE UNIQUE INDEX ix ON t (a, b)', 'INSERT INTO t VALUES (6, 1, NULL, 9)'],
    ['CREATE UNIQUE INDEX ix ON t (b, c)', "UPDATE t SET c = 1.5 WHERE id = 2 AND b = 'x'"],
    ['CREATE UNIQUE INDEX ix ON t (b, a)', "UPDATE t SET b = 'x' WHERE id = 2"],
    ['CREATE INDEX ix ON t (a, b)', 'SELECT id FROM t WHERE a = 1 AND b < ? ORDER BY id'],
    ['CREATE INDEX ix ON t (a, b)', 'SELECT id, b FROM t WHERE a = 1 ORDER BY b DESC'],
    ['CREATE INDEX ix ON t (a, b)', 'SELECT id FROM t WHERE a >= 1 ORDER BY a, b, id'],
    ['CREATE INDEX ix ON t (a, b)', 'SELECT id FROM t WHERE b = ? ORDER BY id'],
  ])('%s; %s', (ddl, sql) => {
    o.exec(ddl);
    const r = o.both(sql, TABLES, sql.includes('?') ? ['y'] : []);
    expect(r.mv).toEqual(r.sqlite);
  });

  test('a unique index over existing duplicates is refused, as in SQLite', () => {
    o.exec("INSERT INTO t VALUES (6, 1, 'x', 7)");
    const r = o.both('CREATE UNIQUE INDEX ix ON t (a, b)', TABLES);
    expect(r.mv).toEqual(r.sqlite);
    expect(o.runMv("INSERT INTO t VALUES (7, 1, 'x', 7)")).toMatchObject({ ok: true });
  });
});

describe('planner: prefix use, ordered walks, covering reads, EXPLAIN', () => {
  const TABLES = ['t'];
  beforeEach(() => {
    o = new Oracle();
    o.exec(
      'CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, b TEXT, c INTEGER, d TEXT)',
      'CREATE INDEX ix ON t (a, b, c)',
    );
    const rows: string[] = [];
    for (let i = 1; i <= 60; i++) {
      const a = i % 4 === 0 ? 'NULL' : String(i % 3);
      const b = i % 7 === 0 ? 'NULL' : `'${String.fromCharCode(97 + (i % 5))}'`;
      rows.push(`(${i}, ${a}, ${b}, ${i % 6}, 'd${i}')`);
    }
    o.exec(`INSERT INTO t VALUES ${rows.join(', ')}`);
  });

  const plan = (sql: string): string =>
    (o.conn.cursor().execute(`EXPLAIN ${sql}`).fetchAll() as unknown[][]).map((r) => String(r[0])).join('\n');

  test.each([
    ["SELECT id, a, b FROM t WHERE a = 1 AND b = 'b' ORDER BY id", "ix (a, b, c) (a=1 AND b='b')", true],
    ["SELECT a, b, c FROM t WHERE a = 2 AND b > 'b' ORDER BY b, c, id", "(a=2 AND b>'b')", true],
    ['SELECT count(*), sum(c) FROM t WHERE a = 0', '(a=0)', true],
    ['SELECT b, count(*) FROM t WHERE a = 1 GROUP BY b HAVING count(*) > 1 ORDER BY b', '(a=1)', true],
    [
      "SELECT id FROM t WHERE a = 1 AND b = 'c' AND c BETWEEN 1 AND 4 ORDER BY id",
      "(a=1 AND b='c' AND c>=1 AND c<=4)",
      true,
    ],
    ["SELECT id FROM t WHERE a IS NULL AND b < 'c' ORDER BY id", "(a IS NULL AND b<'c')", true],
    ['SELECT id, d FROM t WHERE a = 1 ORDER BY b DESC, c DESC, id DESC', '(a=1) reverse', false],
    ['SELECT d FROM t WHERE a = 2 AND c = 3 ORDER BY d', '(a=2)', false],
    ['SELECT id FROM t WHERE a = 1 AND b = NULL', '(a=1 AND b=NULL)', true],
    ['SELECT a, b, c, id FROM t ORDER BY a, b, c, id', 'range=[full]', true],
    ['SELECT a, b, c, id FROM t ORDER BY a DESC, b DESC, c DESC, id DESC', 'range=[full] reverse', true],
  ])('%s uses %s', (sql, used, covering) => {
    const text = plan(sql);
    expect(text).toContain(used);
    expect(text.includes('using covering ix')).toBe(covering);
    const r = o.both(sql, TABLES);
    expect(r.mv).toEqual(r.sqlite);
  });

  test.each([
    ['SELECT id FROM t WHERE b = ? ORDER BY id', 'CollectionScan'],
    ['SELECT id FROM t ORDER BY a, b DESC, id', 'Sort'],
  ])('%s is not served by the index (%s)', (sql, node) => {
    expect(plan(sql.replace('?', "'a'"))).toContain(node);
    const r = o.both(sql, TABLES, sql.includes('?') ? ['a'] : []);
    expect(r.mv).toEqual(r.sqlite);
  });

  test('an IN list on the first column reads one prefix per value, as SQLite does', () => {
    const sql = 'SELECT id FROM t WHERE a IN (2, 1) ORDER BY id';
    expect(plan(sql)).toContain('IndexRangeScan t using covering ix (a, b, c) (a IN (2, 1))');
    const r = o.both(sql, TABLES);
    expect(r.mv).toEqual(r.sqlite);
  });

  test.each([
    "UPDATE t SET d = 'u' WHERE a = 1 AND b >= 'c'",
    'DELETE FROM t WHERE a = 2 AND b IS NULL',
    "UPDATE t SET b = 'z' WHERE a = 0 AND b = 'a' RETURNING id, a, b, c, d",
  ])('%s (rows found through the index)', (sql) => {
    const r = o.both(sql, TABLES);
    expect(r.mv).toEqual(r.sqlite);
  });
});

describe('composite indexes across schema changes and savepoints', () => {
  const TABLES = ['t'];
  beforeEach(() => {
    o = new Oracle();
    o.exec(
      'CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, b TEXT)',
      "INSERT INTO t VALUES (1, 1, 'x'), (2, 1, 'y'), (3, 2, 'x')",
      'CREATE UNIQUE INDEX ux ON t (a, b)',
    );
  });

  test('ADD COLUMN keeps the index; an index over the new column reads its default', () => {
    o.exec("ALTER TABLE t ADD COLUMN c TEXT DEFAULT 'k'", 'CREATE UNIQUE INDEX uc ON t (c, a, b)');
    for (const sql of [
      "INSERT INTO t (id, a, b) VALUES (4, 1, 'x')",
      "INSERT INTO t (id, a, b, c) VALUES (5, 1, 'z', 'k')",
      "SELECT id, c FROM t WHERE c = 'k' AND a = 1 ORDER BY b",
    ]) {
      const r = o.both(sql, TABLES);
      expect(r.mv).toEqual(r.sqlite);
    }
  });

  test('DROP INDEX drops the composite constraint; IF NOT EXISTS keeps the first', () => {
    o.exec('CREATE INDEX IF NOT EXISTS ux ON t (b)', 'DROP INDEX ux');
    const r = o.both("INSERT INTO t (id, a, b) VALUES (4, 1, 'x')", TABLES);
    expect(r.mv).toEqual(r.sqlite);
  });

  test('ROLLBACK TO a savepoint restores the composite index', () => {
    o.conn.execute('SAVEPOINT s');
    o.conn.execute("INSERT INTO t VALUES (4, 3, 'q')");
    o.conn.execute("DELETE FROM t WHERE a = 1 AND b = 'x'");
    o.conn.execute('ROLLBACK TO s');
    o.conn.execute('RELEASE s');
    const r = o.both("SELECT id FROM t WHERE a = 1 AND b >= 'x' ORDER BY b", TABLES);
    expect(r.mv).toEqual(r.sqlite);
    expect(o.runMv("INSERT INTO t VALUES (9, 3, 'q')")).toMatchObject({ ok: true });
    expect(o.runMv("INSERT INTO t VALUES (10, 1, 'x')")).toMatchObject({
      ok: false,
      error: 'IntegrityError',
    });
  });
});

describe('mixed-direction indexes: ranges and orderings in the tree order', () => {
  const TABLES = ['t'];
  beforeEach(() => {
    o = new Oracle();
    o.exec(
      'CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, b TEXT, c INTEGER, d TEXT)',
      'CREATE INDEX ix ON t (a, b DESC, c)',
      'CREATE UNIQUE INDEX ux ON t (c DESC, a)',
    );
    const rows: string[] = [];
    for (let i = 1; i <= 80; i++) {
      const a = i % 9 === 0 ? 'NULL' : String(i % 3);
      const b = i % 7 === 0 ? 'NULL' : `'${String.fromCharCode(97 + (i % 5))}'`;
      const c = i % 11 === 0 ? 'NULL' : String(i);
      rows.push(`(${i}, ${a}, ${b}, ${c}, 'd${i}')`);
    }
    o.exec(`INSERT INTO t VALUES ${rows.join(', ')}`);
  });

  const plan = (sql: string): string =>
    (o.conn.cursor().execute(`EXPLAIN ${sql}`).fetchAll() as unknown[][]).map((r) => String(r[0])).join('\n');

  test.each([
    // Ranges on a descending column, NULLs excluded, every bound kind.
    ["SELECT id FROM t WHERE a = 1 AND b > 'b' ORDER BY id", "(a=1 AND b>'b')"],
    ["SELECT id FROM t WHERE a = 1 AND b >= 'b' ORDER BY id", "(a=1 AND b>='b')"],
    ["SELECT id FROM t WHERE a = 1 AND b < 'c' ORDER BY id", "(a=1 AND b<'c')"],
    ["SELECT id FROM t WHERE a = 1 AND b <= 'c' ORDER BY id", "(a=1 AND b<='c')"],
    ["SELECT id FROM t WHERE a = 2 AND b BETWEEN 'b' AND 'd' ORDER BY id", "(a=2 AND b>='b' AND b<='d')"],
    ["SELECT id FROM t WHERE a = 2 AND b = 'c' AND c > 10 ORDER BY id", "(a=2 AND b='c' AND c>10)"],
    ['SELECT id FROM t WHERE a IS NULL AND b IS NULL ORDER BY id', '(a IS NULL AND b IS NULL)'],
    ['SELECT id, c FROM t WHERE c > 40 ORDER BY c DESC', 'ux (c DESC, a) (c>40)'],
    ['SELECT id, c FROM t WHERE c <= 12 ORDER BY c', 'ux (c DESC, a) (c<=12) reverse'],
    ['SELECT id, c FROM t WHERE c < 12 AND c >= 3 ORDER BY c DESC, a', '(c>=3 AND c<12)'],
    // Orderings the tree answers forwards (a, b DESC, c) or backwards (a DESC, b, c DESC).
    ['SELECT a, b, c FROM t ORDER BY a, b DESC, c, id', 'range=[full]'],
    ['SELECT a, b, c, id FROM t ORDER BY a DESC, b, c DESC, id DESC', 'range=[full] reverse'],
    ['SELECT id, b FROM t WHERE a = 0 ORDER BY b DESC, c', '(a=0)'],
    ['SELECT id, b FROM t WHERE a = 0 ORDER BY b, c DESC, id DESC', '(a=0) reverse'],
    ["SELECT id, c FROM t WHERE a = 1 AND b = 'b' ORDER BY c DESC", "(a=1 AND b='b') reverse"],
  ])('%s uses %s', (sql, used) => {
    const text = plan(sql);
    expect(text).toContain(used);
    // ORDER BY id alone is the primary key's order, not the index's: that one is sorted.
    expect(text.includes('Sort')).toBe(sql.endsWith('ORDER BY id'));
    const r = o.both(sql, TABLES);
    expect(r.mv).toEqual(r.sqlite);
  });

  test.each([
    'SELECT id FROM t ORDER BY a, b, id',
    'SELECT id FROM t WHERE a = 1 ORDER BY b, c, id',
    'SELECT id FROM t ORDER BY c, a DESC, id',
  ])('%s: a direction the tree has in neither walk is sorted', (sql) => {
    expect(plan(sql)).toContain('Sort');
    const r = o.both(sql, TABLES);
    expect(r.mv).toEqual(r.sqlite);
  });

  test('a descending unique column still refuses a duplicate key', () => {
    const r = o.both("INSERT INTO t VALUES (100, 1, 'x', 1, 'dup')", TABLES);
    expect(r.mv).toEqual(r.sqlite);
  });
});
