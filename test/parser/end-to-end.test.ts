/**
 * Front-end behaviours checked end to end against SQLite (better-sqlite3): the same statements
 * run on both engines and the column names and rows agree. Covers what lowering decides and an
 * executor can't fix: parameter numbering, rowid naming, aggregate result types, aliases.
 */
import Sqlite from 'better-sqlite3';
import { connect, DataError, ValidationError, IntegrityError } from '../../src/index';

const SETUP = [
  'CREATE TABLE logs (msg TEXT, level INTEGER, ok BOOLEAN)',
  "INSERT INTO logs (msg, level, ok) VALUES ('a', 1, TRUE), ('b', 2, FALSE), ('c', 3, TRUE), ('d', 4, TRUE), ('e', 5, FALSE)",
  'CREATE TABLE s (dept TEXT, name TEXT PRIMARY KEY, sal INTEGER)',
  "INSERT INTO s VALUES ('a','x',10), ('a','y',30), ('a','z',20), ('b','p',5), ('b','q',NULL), (NULL,'r',7), (NULL,'s',NULL)",
];

function engines() {
  const lite = new Sqlite(':memory:');
  lite.defaultSafeIntegers(true);
  const conn = connect(':memory:', { autocommit: true, safeIntegers: true });
  for (const sql of SETUP) {
    lite.exec(sql);
    conn.execute(sql);
  }
  return { lite, conn };
}

/** Run a SELECT on both; return [names, rows] for each, with booleans as SQLite's 0/1. */
function both(sql: string, params: number[] = []) {
  const { lite, conn } = engines();
  const st = lite.prepare(sql);
  const bound = params.map((v) => BigInt(v));
  // better-sqlite3 binds ?NNN only from an object keyed by number (SQLITE-SEMANTICS, Binding).
  const args = /\?\d/.test(sql) ? [Object.fromEntries(bound.map((v, i) => [i + 1, v]))] : bound;
  const expected = { names: st.columns().map((c) => c.name), rows: st.raw().all(...args) };
  const cur = conn.execute(sql, params);
  const names = (cur.description ?? []).map((d) => d[0]);
  const rows = cur
    .fetchAll()
    .map((r) => (r as unknown[]).map((v) => (typeof v === 'boolean' ? BigInt(v) : v)));
  conn.close();
  lite.close();
  return { expected, actual: { names, rows } };
}

test.each<[string, number[]]>([
  ['SELECT msg FROM logs ORDER BY level LIMIT ?, ?', [1, 2]],
  ['SELECT msg FROM logs ORDER BY level LIMIT ?2 OFFSET ?1', [1, 2]],
  ['SELECT rowid, _rowid_, msg FROM logs WHERE oid > ? ORDER BY rowid', [3]],
  ['SELECT SUM(ok), COUNT(ok), TOTAL(ok) FROM logs', []],
  ['SELECT level AS lv, msg FROM logs WHERE lv >= ? ORDER BY lv DESC', [4]],
  ['SELECT dept, SUM(sal) AS total FROM s GROUP BY dept HAVING total > ? ORDER BY total DESC', [10]],
  ['SELECT dept, SUM(sal) AS sal FROM s GROUP BY dept HAVING sal > ?', [25]],
  ['SELECT sal % 2 AS parity, COUNT(*) FROM s GROUP BY parity ORDER BY parity', []],
  ['SELECT COUNT(DISTINCT dept), COUNT(dept), COUNT(*), count() FROM s', []],
  ['SELECT DISTINCT dept FROM s ORDER BY dept DESC', []],
  ['SELECT name, -sal AS sal FROM s WHERE sal IS NOT NULL ORDER BY sal', []],
])('%s', (sql, params) => {
  const { expected, actual } = both(sql, params);
  expect(actual).toEqual(expected);
});

test('CHECK forms become constraints that accept and refuse what SQLite does', () => {
  const conn = connect(':memory:', { autocommit: true });
  conn.execute(
    "CREATE TABLE c (id INTEGER PRIMARY KEY, price REAL CHECK (price > 0), code TEXT CHECK (length(code) <= 3), tag TEXT CHECK (tag <> ''))",
  );
  conn.execute("INSERT INTO c (price, code, tag) VALUES (0.01, 'abc', 'x')");
  for (const bad of [
    'INSERT INTO c (price) VALUES (0.0)',
    "INSERT INTO c (code) VALUES ('abcd')",
    "INSERT INTO c (tag) VALUES ('')",
  ]) {
    let err: unknown = null;
    try {
      conn.execute(bad);
    } catch (e) {
      err = e;
    }
    expect(err instanceof IntegrityError || err instanceof ValidationError || err instanceof DataError).toBe(
      true,
    );
  }
  expect(conn.execute('SELECT COUNT(*) FROM c').fetchAll()).toEqual([[1]]);
  conn.close();
});

test('INSERT can name the hidden rowid', () => {
  const conn = connect(':memory:', { autocommit: true });
  conn.execute('CREATE TABLE t (v TEXT)');
  conn.execute("INSERT INTO t (rowid, v) VALUES (7, 'x')");
  expect(conn.execute('SELECT rowid, v FROM t').fetchAll()).toEqual([[7, 'x']]);
  conn.close();
});
