/**
 * SQLite's index hints (`INDEXED BY name`, `NOT INDEXED`) after a table in FROM, UPDATE and
 * DELETE (which also takes `AS alias`). A hint changes which tree is read and so the order of
 * rows a query without ORDER BY returns (and of `group_concat`): every answer below is compared,
 * in order, with better-sqlite3's.
 */
import fc from 'fast-check';
import { Oracle } from '../helpers/sqlite-oracle';
import { explain } from '../helpers/explain';

const SETUP = [
  'CREATE TABLE t1 (id INTEGER PRIMARY KEY, x INTEGER, y TEXT, z INTEGER)',
  "INSERT INTO t1 VALUES (1, 1, 'true', 5), (2, 0, 'false', 4), (3, NULL, 'NULL', 3), (4, 2, 'true', 2), (5, 2, 'b', NULL)",
  'CREATE INDEX t1x ON t1 (x)',
  'CREATE INDEX t1yz ON t1 (y, z)',
  'CREATE TABLE t2 (k INTEGER PRIMARY KEY, x INTEGER)',
  'INSERT INTO t2 VALUES (10, 2), (11, 0), (12, 7)',
  'CREATE INDEX t2x ON t2 (x)',
  'CREATE VIEW v1 AS SELECT x, y FROM t1',
];

function oracle(): Oracle {
  const o = new Oracle();
  o.exec(...SETUP);
  return o;
}

describe('index hints', () => {
  test.each([
    'SELECT group_concat(x) FROM t1 NOT INDEXED',
    'SELECT group_concat(DISTINCT x) FROM t1 NOT INDEXED',
    "SELECT group_concat(x, ':') FROM t1 NOT INDEXED",
    'SELECT x FROM t1 INDEXED BY t1x',
    'SELECT id, x FROM t1 INDEXED BY t1x WHERE x > 0',
    'SELECT id FROM t1 INDEXED BY t1x WHERE x >= 0 ORDER BY x DESC',
    'SELECT * FROM t1 INDEXED BY t1x WHERE id = 4',
    "SELECT * FROM t1 INDEXED BY t1x WHERE y = 'true'",
    'SELECT * FROM t1 INDEXED BY T1X ORDER BY id',
    'SELECT y, z FROM t1 INDEXED BY t1yz',
    "SELECT id FROM t1 INDEXED BY t1yz WHERE y = 'true'",
    'SELECT * FROM t1 AS a NOT INDEXED WHERE x = 2',
    'SELECT * FROM t1 NOT INDEXED WHERE id > 2',
    'SELECT a.id, b.k FROM t1 AS a NOT INDEXED JOIN t2 AS b INDEXED BY t2x ON a.x = b.x',
    'SELECT count(*) FROM t1 INDEXED BY t1x, t2 NOT INDEXED WHERE t1.x = t2.x',
    'SELECT * FROM t1 WHERE x IN (SELECT x FROM t2 NOT INDEXED)',
    'SELECT * FROM t1 INDEXED BY t1x WHERE id IN (SELECT k - 8 FROM t2)',
    'SELECT * FROM v1 NOT INDEXED',
    'WITH c AS (SELECT 1 AS a) SELECT * FROM c NOT INDEXED',
    'SELECT type, name, tbl_name FROM sqlite_master NOT INDEXED',
  ])('%s', (sql) => {
    const o = oracle();
    const got = o.query(sql);
    expect(got.sqlite.ok).toBe(true);
    expect(got.mv).toEqual(got.sqlite);
    o.close();
  });

  test.each([
    'SELECT * FROM t1 INDEXED BY nosuch',
    'SELECT * FROM t1 INDEXED BY t2x',
    'SELECT * FROM v1 INDEXED BY t1x',
    'WITH c AS (SELECT 1 AS a) SELECT * FROM c INDEXED BY t1x',
    'SELECT * FROM json_each(1) NOT INDEXED',
    'SELECT * FROM (SELECT 1) NOT INDEXED',
    'DELETE FROM t1 x WHERE x.x = 1',
    'UPDATE t1 INDEXED BY nosuch SET x = 1',
  ])('%s is an error in both', (sql) => {
    const o = oracle();
    const got = o.query(sql);
    expect(got.sqlite.ok).toBe(false);
    expect(got.mv).toEqual(got.sqlite);
    o.close();
  });

  test('no such index names the index', () => {
    const o = oracle();
    expect(() => o.conn.execute('SELECT * FROM t1 INDEXED BY nosuch')).toThrow('no such index: nosuch');
    o.close();
  });

  test.each([
    "UPDATE t1 NOT INDEXED SET y = 'z' WHERE x = 1",
    'UPDATE t1 AS a INDEXED BY t1x SET z = a.z + 1 WHERE a.x = 2',
    "UPDATE t1 INDEXED BY t1yz SET z = 0 WHERE y = 'true' RETURNING id, z",
    'DELETE FROM t1 INDEXED BY t1x WHERE x = 0',
    "DELETE FROM t1 AS a WHERE a.y = 'true'",
    'DELETE FROM t1 AS a NOT INDEXED WHERE a.x = 2 RETURNING t1.id, x',
    // RETURNING names the table, never the alias (SQLite: "no such column: a.id").
    'DELETE FROM t1 AS a WHERE a.x = 2 RETURNING a.id',
    'UPDATE t1 AS a SET z = 1 WHERE id = 1 RETURNING a.id',
    'UPDATE t1 AS a SET z = 1 WHERE id = 1 RETURNING t1.id, z',
  ])('%s changes what SQLite changes', (sql) => {
    const o = oracle();
    const got = o.both(sql, ['t1']);
    expect(got.mv).toEqual(got.sqlite);
    o.close();
  });

  test('the plan honours the hint', () => {
    const o = oracle();
    // NOT INDEXED: a scan, though an index answers the WHERE; the rowid still looks rows up.
    expect(explain(o.conn, 'SELECT * FROM t1 NOT INDEXED WHERE x = 2')).toMatch(/CollectionScan t1/);
    expect(explain(o.conn, 'SELECT * FROM t1 NOT INDEXED WHERE id = 2')).toMatch(/PrimaryKeyLookup/);
    // INDEXED BY: that index, even where the primary key would answer.
    const forced = explain(o.conn, 'SELECT * FROM t1 INDEXED BY t1x WHERE id = 2');
    expect(forced).toMatch(/t1x/);
    expect(forced).not.toMatch(/PrimaryKeyLookup|CollectionScan/);
    expect(explain(o.conn, "SELECT * FROM t1 INDEXED BY t1yz WHERE x = 2 AND y = 'b'")).toMatch(/t1yz/);
    expect(explain(o.conn, 'DELETE FROM t1 NOT INDEXED WHERE x = 2')).toMatch(/CollectionScan t1/);
    expect(explain(o.conn, 'UPDATE t1 INDEXED BY t1x SET y = 1 WHERE id = 2')).toMatch(/t1x/);
    o.close();
  });

  test('property: hinted single-table queries return SQLite’s rows in SQLite’s order', () => {
    const o = new Oracle();
    o.exec(
      'CREATE TABLE p (id INTEGER PRIMARY KEY, a INTEGER, b TEXT, c REAL)',
      'CREATE INDEX pa ON p (a)',
      'CREATE INDEX pb ON p (b)',
      'CREATE INDEX pab ON p (a, b)',
    );
    const rows = fc.sample(
      fc.tuple(
        fc.option(fc.integer({ min: -3, max: 3 })),
        fc.option(fc.constantFrom('a', 'b', 'c', 'A')),
        fc.option(fc.double({ min: -5, max: 5, noNaN: true })),
      ),
      { numRuns: 60, seed: 20261205 },
    );
    rows.forEach(([a, b, c], i) => {
      const lit = (v: unknown): string =>
        v === null ? 'NULL' : typeof v === 'string' ? `'${v}'` : String(v);
      o.exec(`INSERT INTO p VALUES (${(i * 7919) % 1000}, ${lit(a)}, ${lit(b)}, ${lit(c)})`);
    });
    const hint = fc.constantFrom('NOT INDEXED', 'INDEXED BY pa', 'INDEXED BY pb', 'INDEXED BY pab');
    const cols = fc.constantFrom('*', 'id', 'a', 'b', 'a, b', 'group_concat(id)', 'count(*)', 'id, c');
    const where = fc.constantFrom(
      '',
      'WHERE a = 1',
      'WHERE a > 0',
      "WHERE b = 'b'",
      "WHERE b >= 'b' AND a < 2",
      'WHERE id < 500',
      'WHERE id = 7',
      'WHERE c > 0',
      'WHERE a IS NULL',
      "WHERE a = 2 AND b = 'a'",
    );
    const order = fc.constantFrom('', 'ORDER BY a', 'ORDER BY b DESC', 'ORDER BY id DESC', 'ORDER BY a, id');
    fc.assert(
      fc.property(hint, cols, where, order, (h, c, w, ord) => {
        const aggregate = c.includes('(');
        const sql = `SELECT ${c} FROM p ${h} ${w} ${aggregate ? '' : ord}`;
        const got = o.query(sql);
        expect({ sql, ...got.mv }).toEqual({ sql, ...got.sqlite });
      }),
      { numRuns: 400, seed: 20261206 },
    );
    o.close();
  });
});
