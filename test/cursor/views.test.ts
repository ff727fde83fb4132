/**
 * Views (CREATE [TEMP] VIEW, DROP VIEW), compared with better-sqlite3 where SQLite answers the
 * same: reads through views in joins, subqueries, CTEs and other views, column lists, the
 * errors SQLite raises (already exists, no such view, DROP TABLE on a view, a view over a dropped
 * table), sqlite_master rows. Then what ModelVault adds: writes to a view are NotSupportedError,
 * views persist in the file (replayed, checkpointed, compacted) and roll back with their
 * transaction, TEMP views stay in their connection.
 */
import { connect } from '../../src/index';
import { NotSupportedError } from '../../src/errors';
import { Oracle } from '../helpers/sqlite-oracle';
import { tmpDir } from '../helpers/tmp';

const tmp = tmpDir();
afterAll(() => tmp.cleanup());

let o: Oracle;

beforeEach(() => {
  o = new Oracle();
  o.exec(
    'CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT COLLATE NOCASE, b INTEGER)',
    'CREATE TABLE u (id INTEGER PRIMARY KEY, tid INTEGER, note TEXT)',
    "INSERT INTO t (a, b) VALUES ('apple', 1), ('Banana', 2), ('cherry', 2), (NULL, NULL), ('Apple', 3)",
    "INSERT INTO u (tid, note) VALUES (1, 'x'), (2, 'y'), (2, 'z'), (9, 'orphan')",
    'CREATE VIEW big AS SELECT id, a, b FROM t WHERE b >= 2',
    'CREATE VIEW named(k, label) AS SELECT id, upper(a) FROM t',
    'CREATE VIEW joined AS SELECT t.a, u.note FROM t JOIN u ON u.tid = t.id',
    'CREATE VIEW counts AS SELECT b, count(*) AS n FROM t GROUP BY b',
    'CREATE VIEW onbig AS SELECT a FROM big WHERE b > 2',
  );
});
afterEach(() => o.close());

/** Compare both engines' outcomes; whether the statement succeeded. */
function compare(sql: string): boolean {
  const { mv, sqlite } = o.query(sql);
  expect(mv).toEqual(sqlite);
  return mv.ok;
}

describe('reads through views equal SQLite', () => {
  test.each([
    'SELECT * FROM big ORDER BY id',
    'SELECT * FROM named ORDER BY k',
    'SELECT label FROM named WHERE k > 2 ORDER BY 1',
    'SELECT * FROM joined ORDER BY 1, 2',
    'SELECT * FROM counts ORDER BY b',
    'SELECT * FROM onbig',
    'SELECT big.a, u.note FROM big LEFT JOIN u ON u.tid = big.id ORDER BY 1, 2',
    'SELECT x.a FROM big AS x JOIN big AS y ON x.b = y.b AND x.id < y.id',
    'SELECT a FROM t WHERE id IN (SELECT id FROM big) ORDER BY a',
    'SELECT a, (SELECT n FROM counts WHERE counts.b = t.b) FROM t ORDER BY id',
    'SELECT * FROM (SELECT a FROM big) ORDER BY 1',
    'WITH c AS (SELECT * FROM big) SELECT count(*) FROM c',
    "SELECT * FROM big WHERE a = 'BANANA'",
    'SELECT b FROM big UNION SELECT b FROM counts ORDER BY 1',
    "SELECT type, name, tbl_name, rootpage, sql FROM sqlite_master WHERE type = 'view' ORDER BY name",
  ])('%s', (sql) => {
    compare(sql);
  });
});

test('a view read twice by one statement is computed once (rows read counted)', () => {
  const sql = 'SELECT x.a, y.b FROM big AS x JOIN big AS y ON x.b = y.b AND x.id < y.id';
  compare(sql);
  const cur = o.conn.cursor();
  const plan = cur
    .execute(`EXPLAIN ${sql}`)
    .fetchAll()
    .map((r) => String((r as unknown[])[0]))
    .join('\n');
  expect(plan).toMatch(/CteScan big AS x \(computed once, 2 references\)/);
  cur.execute(sql).fetchAll();
  // t has 5 rows: one scan for both references.
  expect(cur.executionStats?.rowsRead).toBe(5);
  // Read once, a view is still the Subquery it was.
  expect(
    cur
      .execute('EXPLAIN SELECT * FROM big')
      .fetchAll()
      .map((r) => String((r as unknown[])[0])),
  ).toContain('  Subquery big');
});

describe('view errors equal SQLite', () => {
  test.each([
    'CREATE VIEW big AS SELECT 1',
    'CREATE VIEW t AS SELECT 1',
    'CREATE TABLE big (x INTEGER)',
    'DROP TABLE big',
    'DROP VIEW t',
    'DROP VIEW nope',
    'CREATE VIEW p AS SELECT ?',
    'ALTER TABLE big RENAME TO big2',
    'ALTER TABLE big ADD COLUMN z INTEGER',
    'ALTER TABLE big RENAME COLUMN a TO aa',
    'CREATE INDEX ib ON big (a)',
  ])('%s', (sql) => {
    expect(compare(sql)).toBe(false);
  });

  test('IF NOT EXISTS / IF EXISTS and a view over a dropped table', () => {
    expect(compare('CREATE VIEW IF NOT EXISTS big AS SELECT 1')).toBe(true);
    expect(compare('CREATE VIEW IF NOT EXISTS t AS SELECT 1')).toBe(true);
    expect(compare('CREATE TABLE IF NOT EXISTS big (x INTEGER)')).toBe(true);
    expect(() => o.conn.execute('CREATE VIEW BIG AS SELECT 1')).toThrow('view BIG already exists');
    compare('SELECT * FROM big ORDER BY id');
    expect(compare('DROP VIEW IF EXISTS nope')).toBe(true);
    expect(compare('DROP VIEW big')).toBe(true);
    expect(compare('SELECT * FROM big')).toBe(false);
    expect(compare('SELECT * FROM onbig')).toBe(false);
    expect(compare('CREATE VIEW wrong(x, y) AS SELECT 1')).toBe(true);
    expect(compare('SELECT * FROM wrong')).toBe(false);
    expect(() => o.conn.execute('SELECT * FROM wrong')).toThrow("expected 2 columns for 'wrong' but got 1");
    expect(compare('DROP TABLE u')).toBe(true);
    expect(compare('SELECT * FROM joined')).toBe(false);
  });

  test('SQLite messages', () => {
    expect(() => o.conn.execute('CREATE VIEW big AS SELECT 1')).toThrow('view big already exists');
    expect(() => o.conn.execute('DROP TABLE big')).toThrow('use DROP VIEW to delete view big');
    expect(() => o.conn.execute('DROP VIEW t')).toThrow('use DROP TABLE to delete table t');
    expect(() => o.conn.execute('DROP VIEW nope')).toThrow('no such view: nope');
    expect(() => o.conn.execute('ALTER TABLE big RENAME TO b2')).toThrow('view big may not be altered');
    expect(() => o.conn.execute('CREATE INDEX ib ON big (a)')).toThrow('views may not be indexed');
  });
});

describe('writes to a view', () => {
  test.each(['INSERT INTO big (a) VALUES (1)', 'UPDATE big SET a = 1', 'DELETE FROM big'])(
    '%s is NotSupportedError',
    (sql) => {
      expect(() => o.conn.execute(sql)).toThrow(NotSupportedError);
      expect(() => o.conn.execute(sql)).toThrow('cannot modify big because it is a view');
      // SQLite refuses it too (without INSTEAD OF triggers, which ModelVault does not have).
      expect(o.runSqlite(sql).ok).toBe(false);
    },
  );
});

describe('TEMP views', () => {
  test('read like SQLite and stay in their connection', () => {
    expect(compare('CREATE TEMP VIEW tv AS SELECT b FROM t WHERE b > 1')).toBe(true);
    compare('SELECT * FROM tv ORDER BY 1');
    // Not listed in sqlite_master (SQLite keeps them in sqlite_temp_master).
    compare("SELECT name FROM sqlite_master WHERE name = 'tv'");
    const file = tmp.file();
    const a = connect(file, { autocommit: true });
    const b = connect(file, { autocommit: true });
    a.execute('CREATE TABLE x (v INTEGER)');
    a.execute('CREATE TEMPORARY VIEW only_a AS SELECT v FROM x');
    expect(a.cursor().execute('SELECT count(*) FROM only_a').fetchAll()).toEqual([[0]]);
    expect(() => b.execute('SELECT * FROM only_a')).toThrow('no such table: only_a');
    a.execute('DROP VIEW only_a');
    expect(() => a.execute('SELECT * FROM only_a')).toThrow('no such table: only_a');
    a.close();
    b.close();
  });
});

describe('views in the file', () => {
  for (const how of ['reopened', 'checkpointed', 'compacted'] as const)
    test(`survive being ${how}`, () => {
      const file = tmp.file();
      let con = connect(file, { autocommit: true });
      con.execute('CREATE TABLE x (v INTEGER)');
      con.execute('INSERT INTO x VALUES (1), (2), (3)');
      con.execute('CREATE VIEW odd AS SELECT v FROM x WHERE v % 2 = 1');
      con.execute('CREATE VIEW gone AS SELECT 1 AS one');
      con.execute('DROP VIEW gone');
      if (how === 'checkpointed') con.database.checkpoint();
      if (how === 'compacted') con.database.compact();
      con.close();
      con = connect(file, { autocommit: true });
      expect(con.cursor().execute('SELECT v FROM odd ORDER BY v').fetchAll()).toEqual([[1], [3]]);
      expect(
        con.cursor().execute("SELECT type, name, sql FROM sqlite_master WHERE type = 'view'").fetchAll(),
      ).toEqual([['view', 'odd', 'CREATE VIEW odd AS SELECT v FROM x WHERE v % 2 = 1']]);
      con.close();
    });

  test('roll back with their transaction, and other connections see them on commit', () => {
    const file = tmp.file();
    const a = connect(file);
    const b = connect(file, { autocommit: true });
    a.execute('CREATE TABLE x (v INTEGER)');
    a.commit();
    a.execute('CREATE VIEW vx AS SELECT v FROM x');
    expect(a.cursor().execute('SELECT count(*) FROM vx').fetchAll()).toEqual([[0]]);
    expect(() => b.execute('SELECT * FROM vx')).toThrow('no such table: vx');
    a.rollback();
    expect(() => a.execute('SELECT * FROM vx')).toThrow('no such table: vx');
    a.execute('CREATE VIEW vx AS SELECT v + 1 AS w FROM x');
    a.execute('INSERT INTO x VALUES (41)');
    a.commit();
    expect(b.cursor().execute('SELECT w FROM vx').fetchAll()).toEqual([[42]]);
    a.close();
    b.close();
  });
});
