/**
 * UPDATE … FROM (SQLite ≥ 3.33) through the DB-API cursor, each statement compared with
 * better-sqlite3: its outcome (rows changed, RETURNING rows, or the error class) and every table
 * afterwards. Only cases where each target row joins with rows that agree on the SET values are
 * compared; with several disagreeing matches SQLite picks an unspecified one (docs/sql.md).
 */
import { Oracle } from '../helpers/sqlite-oracle';

let o: Oracle;
const TABLES = ['t', 'u', 'w'];

beforeEach(() => {
  o = new Oracle();
  o.exec(
    'CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, b TEXT UNIQUE)',
    'CREATE TABLE u (id INTEGER PRIMARY KEY, tid INTEGER, v INTEGER, note TEXT)',
    'CREATE INDEX u_tid ON u (tid)',
    'CREATE TABLE w (k TEXT, tid INTEGER, n REAL)',
    'CREATE TABLE empty (id INTEGER PRIMARY KEY, tid INTEGER)',
    "INSERT INTO t VALUES (1, 10, 'x'), (2, 20, 'y'), (3, NULL, 'z'), (4, 40, NULL), (5, 50, 'q')",
    "INSERT INTO u VALUES (1, 1, 100, 'p'), (2, 2, 200, NULL), (3, 9, 900, 'orphan'), (4, NULL, 5, 'r'), (5, 1, 100, 's'), (6, 3, NULL, 't')",
    "INSERT INTO w VALUES ('a', 1, 1.5), ('b', 2, NULL), ('c', 2, 2.5), ('d', NULL, 3.5)",
  );
});
afterEach(() => o.close());

function same(sql: string, params: unknown[] = []): void {
  const { mv, sqlite } = o.both(sql, TABLES, params);
  expect({ sql, ...(mv as object) }).toEqual({ sql, ...(sqlite as object) });
}

describe('UPDATE … FROM equals SQLite', () => {
  test.each([
    'UPDATE t SET a = u.v FROM u WHERE u.tid = t.id AND u.id <> 5',
    'UPDATE t SET a = u.v, b = u.note FROM u WHERE u.tid = t.id AND u.id IN (2, 6)',
    // Two matches for t.id = 1 (u.id 1 and 5) that agree on v: one update, SQLite counts it once.
    'UPDATE t SET a = u.v FROM u WHERE u.tid = t.id',
    'UPDATE t SET a = t.a + 1 FROM u WHERE u.tid = t.id',
    'UPDATE t SET a = 0 FROM u',
    'UPDATE t SET a = 0 FROM empty',
    'UPDATE t SET a = 0 FROM u WHERE u.tid = t.id AND u.v > 1000',
    'UPDATE t SET a = s.total FROM (SELECT tid, sum(v) AS total FROM u GROUP BY tid) AS s WHERE s.tid = t.id',
    'UPDATE t SET a = s.c FROM (SELECT tid, count(*) AS c FROM w GROUP BY tid) s WHERE s.tid = t.id',
    'WITH s AS (SELECT tid, max(v) AS m FROM u GROUP BY tid) UPDATE t SET a = s.m FROM s WHERE s.tid = t.id',
    "UPDATE t SET a = u.v FROM u JOIN w ON w.tid = u.tid AND w.k = 'a' WHERE u.tid = t.id AND u.id = 1",
    "UPDATE t SET b = coalesce(w.k, 'none') FROM u LEFT JOIN w ON w.tid = u.tid AND w.k <> 'c' WHERE u.tid = t.id AND u.id IN (2, 6)",
    'UPDATE t AS x SET a = x.a + y.a FROM t AS y WHERE y.id = x.id + 1',
    'UPDATE t SET a = u.v FROM u WHERE u.tid = t.id AND t.b IS NOT NULL AND u.id < 5',
    'UPDATE t SET a = (SELECT count(*) FROM w WHERE w.tid = u.tid) FROM u WHERE u.tid = t.id AND u.id < 5',
    "UPDATE t SET a = u.v FROM u, w WHERE u.tid = t.id AND w.tid = u.tid AND w.k = 'b'",
    'UPDATE t SET a = u.v FROM u WHERE u.tid = t.id AND u.id <> 5 RETURNING id, a, b',
    'UPDATE t SET a = u.v FROM u WHERE u.tid = t.id AND u.id <> 5 RETURNING *',
    // The primary key moves; the changed rows are written in key order.
    'UPDATE t SET id = t.id + 100 FROM u WHERE u.tid = t.id AND u.id <> 5',
    // A unique key clash fails the whole statement.
    "UPDATE t SET b = 'x' FROM u WHERE u.tid = t.id AND u.id = 2",
    'UPDATE t SET a = u.v FROM u NATURAL JOIN w WHERE u.tid = t.id',
    "UPDATE t SET b = w.k FROM w JOIN u USING (tid) WHERE u.tid = t.id AND w.k = 'a' AND u.id = 1",
    // The FROM clause is joined as a whole: a RIGHT / FULL join in it never NULL-extends the target.
    'UPDATE t SET a = 9 FROM u RIGHT JOIN w ON w.tid = u.id AND u.id > 1',
    'UPDATE t SET a = coalesce(u.v, 7) FROM u FULL JOIN w ON w.tid = u.id WHERE t.id > 3 AND u.id IS NULL',
    // The FROM clause's ON terms do not see the target (an unqualified name means a FROM source's).
    'UPDATE t SET a = 1 FROM u JOIN w ON w.tid = t.id',
    'UPDATE t SET a = 1 FROM u JOIN w ON w.tid = id WHERE u.v = 100',
    'UPDATE t SET a = 1 FROM u LEFT JOIN w ON (SELECT t.id) = 1',
  ])('%s', (sql) => same(sql));

  test('parameters in SET, FROM and WHERE', () => {
    same('UPDATE t SET a = ? + u.v FROM u WHERE u.tid = t.id AND u.v > ? AND u.id <> 5', [7, 50]);
    same('UPDATE t SET b = ? FROM (SELECT tid FROM u WHERE v = ?) AS s WHERE s.tid = t.id', ['new', 100]);
  });

  test('errors are the ones SQLite raises', () => {
    same('UPDATE t SET a = u.v FROM u WHERE u.tid = t.id RETURNING u.v');
    same('UPDATE t SET a = id FROM u');
    same('UPDATE t SET a = 1 FROM nope');
    same('UPDATE t SET a = 1 FROM t');
    same('UPDATE t SET a = 1 FROM u JOIN T ON 1');
    same('UPDATE t SET a = 1 FROM u JOIN t AS z ON z.id = u.id WHERE t.id = z.id');
    same('UPDATE t AS x SET a = 1 FROM t WHERE t.id = x.id');
    same('UPDATE t SET a = u.nope FROM u');
    same('UPDATE t SET a = 1 FROM u JOIN w ON w.zz = 1');
  });

  test('an aggregate in SET is refused (SQLite runs it over an unspecified grouping)', () => {
    expect(() => o.conn.cursor().execute('UPDATE t SET a = count(*) FROM u')).toThrow(/misuse of aggregate/);
  });

  test('a foreign key broken by UPDATE … FROM is an IntegrityError', () => {
    o.exec(
      'PRAGMA foreign_keys = ON',
      'CREATE TABLE parent (id INTEGER PRIMARY KEY)',
      'CREATE TABLE child (id INTEGER PRIMARY KEY, pid INTEGER REFERENCES parent(id))',
      'INSERT INTO parent VALUES (1), (2)',
      'INSERT INTO child VALUES (1, 1), (2, 2)',
    );
    const child = (): unknown => o.both('SELECT * FROM child ORDER BY id', []);
    const { mv, sqlite } = o.both('UPDATE child SET pid = u.v FROM u WHERE u.tid = child.id', []);
    expect(mv).toEqual(sqlite);
    expect((mv as { outcome: { ok: boolean; error?: string } }).outcome).toEqual({
      ok: false,
      error: 'IntegrityError',
    });
    const after = child() as { mv: unknown; sqlite: unknown };
    expect(after.mv).toEqual(after.sqlite);
    same('UPDATE child SET pid = u.tid FROM u WHERE u.id = child.id');
  });
});

describe('UPDATE … FROM with several disagreeing matches', () => {
  test('each target row is updated once, from one of its matches', () => {
    // t.id = 2 joins w rows b and c: SQLite leaves which one it takes unspecified.
    const cur = o.conn.cursor().execute('UPDATE t SET b = w.k FROM w WHERE w.tid = t.id');
    expect(cur.rowCount).toBe(2);
    const rows = o.conn.cursor().execute('SELECT id, b FROM t WHERE id IN (1, 2) ORDER BY id').fetchAll();
    expect(rows[0]).toEqual([1n, 'a']);
    expect(['b', 'c']).toContainEqual((rows[1] as unknown[])[1]);
  });
});

describe('EXPLAIN UPDATE … FROM', () => {
  const explain = (sql: string): string[] =>
    o.conn
      .cursor()
      .execute(`EXPLAIN ${sql}`)
      .fetchAll()
      .map((r) => String((r as unknown[])[0]));

  test('shows the write over the join that finds its rows and values', () => {
    expect(explain('UPDATE t SET a = u.v FROM u WHERE u.tid = t.id')).toEqual([
      'Update t SET a',
      '  Project pk, u.v',
      '    IndexNestedLoopJoin inner u using u_tid (u.tid=t.id)',
      '      CollectionScan t',
    ]);
    const lines = explain(
      'UPDATE t SET b = s.k FROM (SELECT k, tid FROM w WHERE n > 1) AS s WHERE s.tid = t.id AND t.a > 5',
    );
    expect(lines[0]).toBe('Update t SET b');
    expect(lines.slice(1, 4)).toEqual([
      '  Project pk, s.k',
      '    HashJoin inner keys=[t.id] = [s.tid]',
      '      Filter (t.a > 5)',
    ]);
    expect(lines).toContain('      Subquery s');
    // Nothing was written.
    const { mv, sqlite } = o.both('SELECT * FROM t ORDER BY id', TABLES);
    expect(mv).toEqual(sqlite);
  });
});
