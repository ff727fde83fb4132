/**
 * Joins and derived tables through the DB-API cursor, each statement compared with better-sqlite3
 * (result column names, rows as a multiset unless ordered, or the error class), plus the error
 * messages SQLite words and the plan each join shape gets (EXPLAIN).
 */
import { Oracle } from '../helpers/sqlite-oracle';
import type { Outcome } from '../helpers/sqlite-oracle';
import { rowKey } from '../differential/normalize';
import { QueryError } from '../../src/errors';
import { sameAsSqlite } from '../helpers/sql-pair';

let o: Oracle;

beforeEach(() => {
  o = new Oracle();
  o.exec(
    'CREATE TABLE cust (id INTEGER PRIMARY KEY, name TEXT, region TEXT COLLATE NOCASE, score REAL)',
    'CREATE TABLE ord (id INTEGER PRIMARY KEY, cust_id INTEGER, qty INTEGER, note TEXT)',
    'CREATE INDEX ord_cust ON ord (cust_id)',
    'CREATE TABLE tag (id INTEGER PRIMARY KEY, qty INTEGER, label TEXT)',
    'CREATE TABLE pair (a INTEGER, b INTEGER, v TEXT)',
    'CREATE INDEX pair_ab ON pair (a, b)',
    'CREATE TABLE empty (id INTEGER PRIMARY KEY, cust_id INTEGER)',
    'CREATE TABLE code (id INTEGER PRIMARY KEY, code TEXT)',
    "INSERT INTO code VALUES (1, '1'), (2, '2'), (3, 'x'), (4, '2.0'), (5, NULL)",
    "INSERT INTO cust VALUES (1, 'ann', 'North', 1.5), (2, 'bob', 'north', NULL), (3, 'cy', 'South', 2.0), (4, NULL, NULL, 0.5)",
    "INSERT INTO ord VALUES (10, 1, 2, 'a'), (11, 1, 5, NULL), (12, 2, 1, 'b'), (13, NULL, 7, 'c'), (14, 99, 3, 'orphan'), (15, 3, 2, 'a')",
    "INSERT INTO tag VALUES (1, 2, 'two'), (2, 5, 'five'), (3, 2, 'deux'), (4, NULL, 'none')",
    "INSERT INTO pair VALUES (1, 1, 'x'), (1, 2, 'y'), (2, 1, 'z'), (NULL, 1, 'n')",
  );
});
afterEach(() => o.close());

/** Rows sorted (as a multiset) unless the statement orders them. */
function settled(r: Outcome, sql: string): Outcome {
  if (!r.ok || !r.rows) return r;
  const rows = /ORDER BY/i.test(sql) ? r.rows : [...r.rows].sort((a, b) => (rowKey(a) < rowKey(b) ? -1 : 1));
  return { ...r, rows, changes: -1 };
}

function compare(sql: string): boolean {
  const mv = settled(o.runMv(sql), sql);
  expect({ sql, ...mv }).toEqual({ sql, ...settled(o.runSqlite(sql), sql) });
  return mv.ok;
}

function explain(sql: string): string {
  return o.conn
    .cursor()
    .execute(`EXPLAIN ${sql}`)
    .fetchAll()
    .map((r) => String((r as unknown[])[0]))
    .join('\n');
}

describe('join kinds equal SQLite', () => {
  test.each([
    'SELECT * FROM cust JOIN ord ON ord.cust_id = cust.id',
    'SELECT * FROM cust INNER JOIN ord ON ord.cust_id = cust.id AND ord.qty > 1',
    'SELECT * FROM cust LEFT JOIN ord ON ord.cust_id = cust.id',
    'SELECT * FROM cust LEFT OUTER JOIN ord ON ord.cust_id = cust.id AND ord.note IS NOT NULL',
    'SELECT * FROM cust LEFT JOIN ord ON ord.cust_id = cust.id AND cust.score > 1',
    'SELECT * FROM cust RIGHT JOIN ord ON ord.cust_id = cust.id',
    'SELECT * FROM cust FULL JOIN ord ON ord.cust_id = cust.id',
    'SELECT * FROM cust FULL OUTER JOIN ord ON ord.cust_id = cust.id AND ord.qty < 5',
    'SELECT * FROM cust CROSS JOIN tag',
    'SELECT * FROM cust, tag WHERE tag.qty = cust.id + 1',
    'SELECT * FROM ord NATURAL JOIN tag',
    'SELECT * FROM ord JOIN tag USING (qty)',
    'SELECT * FROM ord LEFT JOIN tag USING (qty)',
    'SELECT * FROM ord RIGHT JOIN tag USING (qty)',
    'SELECT * FROM ord FULL JOIN tag USING (qty)',
    'SELECT qty, ord.qty, tag.qty FROM ord FULL JOIN tag USING (qty)',
    'SELECT qty FROM ord RIGHT JOIN tag USING (qty)',
    'SELECT ord.*, tag.* FROM ord FULL JOIN tag USING (qty)',
    'SELECT * FROM ord NATURAL FULL JOIN tag',
    'SELECT * FROM ord JOIN tag ON ord.qty < tag.qty',
    'SELECT * FROM cust AS a JOIN cust AS b ON a.region = b.region AND a.id < b.id',
    'SELECT a.name, b.name FROM cust a, cust b WHERE a.score < b.score',
    'SELECT * FROM ord JOIN pair ON pair.a = ord.qty - 1',
    'SELECT * FROM ord JOIN pair ON pair.a = ord.qty - 1 AND pair.b = 1',
    'SELECT * FROM cust JOIN empty ON empty.cust_id = cust.id',
    'SELECT * FROM cust LEFT JOIN empty ON empty.cust_id = cust.id',
    'SELECT * FROM empty RIGHT JOIN cust ON empty.cust_id = cust.id',
    'SELECT * FROM empty FULL JOIN cust ON empty.cust_id = cust.id',
    'SELECT * FROM cust JOIN ord ON ord.cust_id = cust.id JOIN tag ON tag.qty = ord.qty',
    'SELECT * FROM cust LEFT JOIN ord ON ord.cust_id = cust.id LEFT JOIN tag ON tag.qty = ord.qty',
    'SELECT * FROM cust RIGHT JOIN ord ON ord.cust_id = cust.id FULL JOIN tag ON tag.qty = ord.qty',
    'SELECT m.type, m.name, cust.* FROM sqlite_master m, cust WHERE cust.id = 1 AND m.name = ' + "'ord'",
  ])('%s', (sql) => {
    expect(compare(sql)).toBe(true);
  });
});

describe('joins with the rest of SELECT equal SQLite', () => {
  test.each([
    // WHERE on the NULL-extended side is applied after the join (anti-join).
    'SELECT cust.id FROM cust LEFT JOIN ord ON ord.cust_id = cust.id WHERE ord.id IS NULL',
    'SELECT ord.id FROM cust RIGHT JOIN ord ON ord.cust_id = cust.id WHERE cust.id IS NULL',
    'SELECT cust.id, ord.id FROM cust FULL JOIN ord ON ord.cust_id = cust.id WHERE cust.id IS NULL OR ord.id IS NULL',
    'SELECT c.name, count(o.id), sum(o.qty) FROM cust c LEFT JOIN ord o ON o.cust_id = c.id GROUP BY c.name ORDER BY 1',
    'SELECT c.region, count(*) FROM cust c JOIN ord o ON o.cust_id = c.id GROUP BY c.region HAVING count(*) > 1',
    'SELECT DISTINCT c.region FROM cust c JOIN ord o ON o.cust_id = c.id ORDER BY 1',
    'SELECT c.name, o.qty FROM cust c JOIN ord o ON o.cust_id = c.id ORDER BY o.qty DESC, c.name LIMIT 3',
    'SELECT c.name, o.qty FROM cust c JOIN ord o ON o.cust_id = c.id ORDER BY 2 LIMIT 2 OFFSET 1',
    'SELECT * FROM cust c JOIN ord o ON o.cust_id = c.id ORDER BY id',
    'SELECT c.id FROM cust c JOIN ord o ON o.cust_id = c.id UNION SELECT qty FROM tag',
    'SELECT c.id FROM cust c WHERE c.id IN (SELECT o.cust_id FROM ord o JOIN tag t ON t.qty = o.qty)',
    'SELECT c.id, (SELECT count(*) FROM ord JOIN tag USING (qty)) FROM cust c',
    'SELECT * FROM cust c JOIN ord o ON o.cust_id = c.id AND o.qty IN (SELECT qty FROM tag)',
    'SELECT c.id, o.id FROM cust c JOIN ord o ON o.cust_id = c.id WHERE c.id = 1',
    'SELECT c.id, o.id FROM ord o JOIN cust c ON o.cust_id = c.id WHERE c.id = 1',
    'SELECT cust.rowid, ord.rowid FROM cust JOIN ord ON ord.cust_id = cust.rowid',
    'SELECT count(*) FROM cust, ord, tag',
    // An INTEGER column compared with a TEXT column: SQLite's numeric affinity converts the text.
    'SELECT * FROM cust JOIN code ON code.code = cust.id',
    'SELECT * FROM code LEFT JOIN cust ON cust.id = code.code',
    'SELECT * FROM code, ord WHERE ord.qty > code.code',
    // An inner join's ON term may read a source to its right: it is a WHERE term then.
    'SELECT * FROM cust JOIN ord ON ord.qty = tag.qty JOIN tag ON tag.id > 1',
    'SELECT * FROM cust JOIN ord ON ord.cust_id = cust.id AND tag.qty IS NULL LEFT JOIN tag ON tag.qty = ord.qty',
  ])('%s', (sql) => {
    expect(compare(sql)).toBe(true);
  });
});

describe('derived tables equal SQLite', () => {
  test.each([
    'SELECT * FROM (SELECT id, name FROM cust WHERE id > 1)',
    'SELECT * FROM (SELECT id, name FROM cust) AS x WHERE x.id > 1',
    'SELECT x.* FROM (SELECT qty + 1, note FROM ord) x',
    'SELECT * FROM (SELECT 1 AS a, 2 AS a, 3 AS a)',
    'SELECT * FROM (SELECT * FROM cust JOIN ord ON ord.cust_id = cust.id)',
    'SELECT * FROM (SELECT cust_id, count(*) AS n FROM ord GROUP BY cust_id) AS s JOIN cust ON cust.id = s.cust_id',
    'SELECT * FROM cust LEFT JOIN (SELECT cust_id, sum(qty) AS total FROM ord GROUP BY cust_id) s ON s.cust_id = cust.id',
    'SELECT * FROM (SELECT qty FROM ord UNION SELECT qty FROM tag) ORDER BY 1',
    'SELECT * FROM (SELECT id FROM cust ORDER BY id DESC LIMIT 2) ORDER BY id',
    'SELECT * FROM (VALUES (1, 2), (3, 4))',
    'SELECT region FROM (SELECT region FROM cust) WHERE region = ' + "'NORTH'",
    'SELECT * FROM ord NATURAL JOIN (SELECT qty, label FROM tag)',
  ])('%s', (sql) => {
    expect(compare(sql)).toBe(true);
  });
});

describe('errors as SQLite words them', () => {
  test.each([
    ['SELECT id FROM cust JOIN ord ON 1', 'ambiguous column name: id'],
    ['SELECT * FROM cust JOIN ord ON id = 1', 'ambiguous column name: id'],
    ['SELECT * FROM cust, ord GROUP BY id', 'ambiguous column name: id'],
    ['SELECT rowid FROM cust, ord', 'ambiguous column name: rowid'],
    ['SELECT * FROM cust AS t JOIN ord AS t ON 1', 'ambiguous column name: main.t.id'],
    [
      'SELECT * FROM ord JOIN tag USING (nope)',
      'cannot join using column nope - column not present in both tables',
    ],
    [
      'SELECT * FROM ord JOIN tag USING (rowid)',
      'cannot join using column rowid - column not present in both tables',
    ],
    ['SELECT * FROM ord NATURAL JOIN tag ON 1', 'a NATURAL join may not have an ON or USING clause'],
    ['SELECT * FROM cust JOIN ord ON ord.x = 1', 'no such column: ord.x'],
    ['SELECT z.* FROM cust JOIN ord ON 1', 'no such table: z'],
    ['SELECT * FROM cust JOIN ord ON count(*) > 1', 'misuse of aggregate function count()'],
    [
      'SELECT * FROM cust LEFT JOIN ord ON ord.qty = tag.qty JOIN tag ON 1',
      'ON clause references tables to its right',
    ],
    [
      'SELECT * FROM cust JOIN ord ON ord.qty = tag.qty RIGHT JOIN tag ON 1',
      'ON clause references tables to its right',
    ],
  ])('%s → %s', (sql, message) => {
    const sqlite = o.runSqlite(sql);
    expect(sqlite.ok).toBe(false);
    expect(() => o.conn.cursor().execute(sql)).toThrow(QueryError);
    expect(() => o.conn.cursor().execute(sql)).toThrow(message);
    expect(() => o.sqlite.prepare(sql)).toThrow(message);
  });

  test('a parenthesized join is read as SQLite reads it (test/cursor/nested-joins.test.ts)', () => {
    expect(compare('SELECT * FROM (cust JOIN ord ON ord.cust_id = cust.id)')).toBe(true);
  });
});

describe('cursor.description names as SQLite', () => {
  test('duplicate names over a join are kept, USING columns shown once', () => {
    const desc = (sql: string): string[] => (o.conn.cursor().execute(sql).description ?? []).map((d) => d[0]);
    expect(desc('SELECT * FROM ord JOIN tag USING (qty)')).toEqual([
      'id',
      'cust_id',
      'qty',
      'note',
      'id',
      'label',
    ]);
    expect(desc('SELECT ord.id, tag.id, ord.qty AS q FROM ord JOIN tag USING (qty)')).toEqual([
      'id',
      'id',
      'q',
    ]);
    expect(desc('SELECT * FROM (SELECT ord.id, tag.id FROM ord JOIN tag USING (qty))')).toEqual([
      'id',
      'id:1',
    ]);
  });
});

describe('join plans (EXPLAIN)', () => {
  test('equality on an indexed inner column → IndexNestedLoopJoin, WHERE pushed into the outer side', () => {
    const plan = explain("SELECT * FROM cust c JOIN ord o ON o.cust_id = c.id WHERE c.name = 'ann'");
    expect(plan).toMatch(/IndexNestedLoopJoin inner ord using ord_cust \(o\.cust_id=c\.id\)/);
    expect(plan).toMatch(/Filter \(c\.name = 'ann'\)\n\s+CollectionScan cust/);
  });

  test('a point lookup on the written right side drives the loop (inner join turned round)', () => {
    const plan = explain('SELECT * FROM ord o JOIN cust c ON o.cust_id = c.id WHERE c.id = 2');
    expect(plan).toMatch(
      /IndexNestedLoopJoin inner ord using ord_cust[^\n]*\n\s+PrimaryKeyLookup cust keys=\[2\]/,
    );
    expect(compare('SELECT * FROM ord o JOIN cust c ON o.cust_id = c.id WHERE c.id = 2')).toBe(true);
  });

  test('composite index prefix → IndexNestedLoopJoin on (a, b)', () => {
    expect(explain('SELECT * FROM ord JOIN pair ON pair.a = ord.qty AND pair.b = ord.id')).toMatch(
      /IndexNestedLoopJoin inner pair using pair_ab \(a, b\) \(pair\.a=ord\.qty AND pair\.b=ord\.id\)/,
    );
  });

  test('equality without an index → HashJoin; no equality → NestedLoopJoin', () => {
    expect(explain('SELECT * FROM ord JOIN tag ON tag.qty = ord.qty')).toMatch(
      /HashJoin inner keys=\[ord\.qty\] = \[tag\.qty\]/,
    );
    expect(explain('SELECT * FROM ord JOIN tag ON tag.qty > ord.qty')).toMatch(
      /NestedLoopJoin inner on \(tag\.qty > ord\.qty\)/,
    );
  });

  test('a WHERE term on the NULL-extended side stays above a LEFT JOIN; an ON term goes into the inner side', () => {
    const plan = explain(
      'SELECT * FROM cust LEFT JOIN tag ON tag.qty = cust.id AND tag.label > ' +
        "'a'" +
        ' WHERE tag.id IS NULL',
    );
    expect(plan).toMatch(/^Project[^\n]*\n\s+Filter tag\.id IS NULL\n\s+HashJoin left/);
    expect(plan).toMatch(/Filter \(tag\.label > 'a'\)\n\s+CollectionScan tag/);
  });

  test('a derived table is a Subquery node', () => {
    expect(explain('SELECT * FROM (SELECT id FROM cust) AS s')).toMatch(
      /Subquery s\n\s+Project id\n\s+CollectionScan cust/,
    );
  });
});

test('a table joined to itself without aliases: * and t.* name its columns as SQLite resolves them', () => {
  sameAsSqlite([
    'CREATE TABLE t (a INT, b INT)',
    'CREATE TABLE u (a INT, c INT)',
    'INSERT INTO t VALUES (1, 2), (3, 4)',
    'INSERT INTO u VALUES (1, 5)',
    // Every column merged by USING / NATURAL: no ambiguity.
    'SELECT * FROM t NATURAL JOIN t',
    'SELECT * FROM t JOIN t USING (a, b)',
    'SELECT * FROM t LEFT JOIN t USING (a, b)',
    'SELECT t.* FROM t NATURAL JOIN t',
    'SELECT * FROM t JOIN t USING (b, a) JOIN u USING (a)',
    'SELECT u.*, t.* FROM t NATURAL JOIN u NATURAL JOIN t',
    'SELECT * FROM t JOIN u USING (a) JOIN t USING (a, b)',
    // A column both hold unmerged: SQLite's ambiguous column name, naming it.
    'SELECT * FROM t JOIN t USING (a)',
    'SELECT t.* FROM t JOIN t USING (a)',
    'SELECT * FROM t, t',
    'SELECT t.* FROM t, t',
    'SELECT b FROM t NATURAL JOIN t',
  ]);
});
