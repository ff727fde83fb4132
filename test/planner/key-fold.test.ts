/**
 * Whole-table aggregates folded from an index's keys (planner/key-fold.ts): the WHERE, which
 * reads the index's leading INTEGER column alone, is decided once per distinct key. Results are
 * compared with better-sqlite3 over generated tables and predicates; plans and the work done
 * (predicate calls, give-ups) are counted, never timed.
 */
import BetterSqlite3 from 'better-sqlite3';
import { connect } from '../../src/index';
import type { Connection } from '../../src/index';
import { keyFoldStats } from '../../planner/key-fold';
import { explain } from '../helpers/explain';
import { lcg } from '../helpers/seeded';

const PER_KEY = 'per distinct key of';

function pair(
  ddl: readonly string[],
  rows: readonly unknown[][],
  insert: string,
): [Connection, BetterSqlite3.Database] {
  const conn = connect(':memory:');
  const db = new BetterSqlite3(':memory:');
  db.defaultSafeIntegers(true);
  for (const sql of ddl) {
    conn.execute(sql);
    db.exec(sql);
  }
  conn.cursor().executeMany(insert, rows);
  conn.commit();
  const ins = db.prepare(insert);
  db.transaction(() => {
    for (const r of rows) ins.run(...r);
  })();
  return [conn, db];
}

/** Both engines' rows, numbers compared by value and class (INTEGER as bigint, REAL as number). */
function both(
  conn: Connection,
  db: BetterSqlite3.Database,
  sql: string,
  params: unknown[] = [],
): [unknown, unknown] {
  const mine = conn.cursor().execute(sql, params).fetchAll();
  const theirs = db
    .prepare(sql)
    .raw(true)
    .all(...params.map((p) => (typeof p === 'number' && Number.isInteger(p) ? BigInt(p) : p)));
  return [norm(mine), norm(theirs)];
}

/** better-sqlite3's rows of `sql`, every value a number (the tables here hold no REAL). */
function sqliteNumbers(db: BetterSqlite3.Database, sql: string): number[][] {
  return (db.prepare(sql).raw(true).all() as unknown[][]).map((r) => r.map(Number));
}

function norm(rows: unknown): unknown {
  return JSON.stringify(rows, (_k, v: unknown) =>
    typeof v === 'bigint' ? `i${v}` : typeof v === 'number' ? (Number.isInteger(v) ? `r${v}.0` : `r${v}`) : v,
  );
}

describe('aggregates folded per distinct key', () => {
  const ddl = [
    'CREATE TABLE t (id INTEGER PRIMARY KEY, q INTEGER, r REAL, s TEXT)',
    'CREATE INDEX t_q ON t (q)',
  ];
  const insert = 'INSERT INTO t VALUES (?, ?, ?, ?)';
  const rows = Array.from({ length: 6000 }, (_, i) => [
    i + 1,
    i % 11 === 0 ? null : ((i * 7919) % 301) - 150,
    i / 7,
    `s${i % 5}`,
  ]);
  let conn: Connection;
  let db: BetterSqlite3.Database;
  beforeAll(() => {
    [conn, db] = pair(ddl, rows, insert);
    // The connection's results read INTEGERs as bigints, as better-sqlite3's do here.
    conn.close();
    conn = connect(':memory:', { safeIntegers: true });
    for (const sql of ddl) conn.execute(sql);
    conn.cursor().executeMany(insert, rows);
    conn.commit();
  });
  afterAll(() => {
    conn.close();
    db.close();
  });

  test.each([
    'SELECT count(*), sum(q) FROM t WHERE q % 7 = 3',
    'SELECT count(q), min(q), max(q), avg(q) FROM t WHERE q * q > 900',
    'SELECT count(*) FROM t WHERE q IS NULL OR q % 9 = 4',
    'SELECT count(*), sum(q) FROM t WHERE coalesce(q, 0) = 0',
    'SELECT sum(q), avg(q) FROM t WHERE abs(q) BETWEEN 20 AND 40',
    'SELECT count(*) FROM t WHERE CASE WHEN q < 0 THEN -q ELSE q END % 10 = 1',
    'SELECT min(q), max(q) FROM t WHERE q + 0 IN (3, 5, -7, 400)',
    'SELECT sum(q) FROM t WHERE q % 1000 = 999',
    "SELECT count(*) FROM t WHERE CAST(q AS TEXT) LIKE '1%'",
    'SELECT count(*), sum(q) FROM t WHERE q / 3 = -2',
  ])('%s: folded per key, equal to SQLite', (sql) => {
    expect(explain(conn, sql)).toContain(PER_KEY);
    const before = keyFoldStats.keysTested;
    const [mine, theirs] = both(conn, db, sql);
    expect(mine).toEqual(theirs);
    // One predicate call per distinct key (301 values and NULL), not per row (6,000).
    expect(keyFoldStats.keysTested - before).toBe(302);
  });

  test('parameters are bound at each execution', () => {
    const sql = 'SELECT count(*), sum(q) FROM t WHERE q % ? = ?';
    for (const [m, r] of [
      [7, 3],
      [5, -2],
      [2, 0],
    ]) {
      const [mine, theirs] = both(conn, db, sql, [m, r]);
      expect(mine).toEqual(theirs);
    }
  });

  test.each([
    ['a REAL sum (order decides its last bits)', 'SELECT sum(r) FROM t WHERE q % 7 = 3'],
    ['a second column in the WHERE', 'SELECT count(*) FROM t WHERE q % 7 = 3 AND r > 10'],
    ['a non-deterministic function', 'SELECT count(*) FROM t WHERE q % 7 = abs(random()) % 7'],
    ['GROUP BY', 'SELECT s, count(*) FROM t WHERE q % 7 = 3 GROUP BY s'],
    ['a bare column read', 'SELECT count(*), s FROM t WHERE q % 7 = 3'],
    ['a TEXT column', "SELECT count(*) FROM t WHERE s || 'x' = 's1x'"],
    ['NOT INDEXED', 'SELECT count(*) FROM t NOT INDEXED WHERE q % 7 = 3'],
  ])('not folded per key: %s', (_why, sql) => {
    expect(explain(conn, sql)).not.toContain(PER_KEY);
    if (!sql.includes('random()')) {
      const [mine, theirs] = both(conn, db, sql);
      expect(mine).toEqual(theirs);
    }
  });

  test("sees the open transaction's own writes", () => {
    const sql = 'SELECT count(*), sum(q) FROM t WHERE q % 7 = 3';
    conn.cursor().execute('INSERT INTO t VALUES (?, ?, ?, ?)', [100001, 10, 0.5, 'x']);
    conn.cursor().execute('DELETE FROM t WHERE id <= 50');
    db.prepare('INSERT INTO t VALUES (?, ?, ?, ?)').run(100001n, 10n, 0.5, 'x');
    db.prepare('DELETE FROM t WHERE id <= 50').run();
    const [mine, theirs] = both(conn, db, sql);
    expect(mine).toEqual(theirs);
    conn.rollback();
    db.prepare('DELETE FROM t WHERE id = 100001').run();
    const ins = db.prepare(insert);
    for (const r of rows.slice(0, 50))
      ins.run(...r.map((v) => (typeof v === 'number' && Number.isInteger(v) ? BigInt(v) : v)));
    const [again, sqlite] = both(conn, db, sql);
    expect(again).toEqual(sqlite);
  });
});

describe('when the fold gives up', () => {
  test('mostly distinct keys: the column vectors answer, and later executions go there directly', () => {
    const rows = Array.from({ length: 30000 }, (_, i) => [i + 1, (i * 40503) % 30011, 1.5, 'a']);
    const [conn, db] = pair(
      ['CREATE TABLE u (id INTEGER PRIMARY KEY, q INTEGER, r REAL, s TEXT)', 'CREATE INDEX u_q ON u (q)'],
      rows,
      'INSERT INTO u VALUES (?, ?, ?, ?)',
    );
    try {
      const sql = 'SELECT count(*), sum(q) FROM u WHERE q % 7 = 3';
      expect(explain(conn, sql)).toContain(PER_KEY);
      const cur = conn.cursor();
      const gaveUp = keyFoldStats.gaveUp;
      const tested = keyFoldStats.keysTested;
      expect(cur.execute(sql).fetchAll()).toEqual(sqliteNumbers(db, sql));
      expect(keyFoldStats.gaveUp).toBe(gaveUp + 1);
      expect(cur.execute(sql).fetchAll()).toEqual(sqliteNumbers(db, sql));
      expect(keyFoldStats.gaveUp).toBe(gaveUp + 1);
      expect(keyFoldStats.keysTested).toBe(tested);
    } finally {
      conn.close();
      db.close();
    }
  });

  test('a key past 2^53 leaves the aggregate to the rows, exactly', () => {
    const big = 2n ** 60n;
    const rows = Array.from({ length: 3000 }, (_, i) => [i + 1, i === 1500 ? big + 7n : BigInt(i % 50)]);
    const conn = connect(':memory:', { safeIntegers: true });
    const db = new BetterSqlite3(':memory:');
    db.defaultSafeIntegers(true);
    try {
      for (const sql of ['CREATE TABLE b (id INTEGER PRIMARY KEY, q INTEGER)', 'CREATE INDEX b_q ON b (q)']) {
        conn.execute(sql);
        db.exec(sql);
      }
      conn.cursor().executeMany('INSERT INTO b VALUES (?, ?)', rows);
      const ins = db.prepare('INSERT INTO b VALUES (?, ?)');
      for (const r of rows) ins.run(...r);
      for (const sql of [
        'SELECT count(*), sum(q), max(q) FROM b WHERE q % 7 = 3',
        'SELECT count(*), sum(q), max(q), min(q) FROM b WHERE q % 2 = 1',
      ]) {
        expect(explain(conn, sql)).toContain(PER_KEY);
        expect(norm(conn.cursor().execute(sql).fetchAll())).toEqual(norm(db.prepare(sql).raw(true).all()));
      }
    } finally {
      conn.close();
      db.close();
    }
  });

  test('a composite index led by the column folds by its first key column', () => {
    const rows = Array.from({ length: 5000 }, (_, i) => [i + 1, i % 40, i % 3]);
    const [conn, db] = pair(
      ['CREATE TABLE c (id INTEGER PRIMARY KEY, a INTEGER, b INTEGER)', 'CREATE INDEX c_ab ON c (a, b)'],
      rows,
      'INSERT INTO c VALUES (?, ?, ?)',
    );
    try {
      const sql = 'SELECT count(*), sum(a), min(a) FROM c WHERE a % 6 = 1';
      expect(explain(conn, sql)).toContain(`${PER_KEY} c_ab`);
      const before = keyFoldStats.keysTested;
      expect(conn.cursor().execute(sql).fetchAll()).toEqual(sqliteNumbers(db, sql));
      expect(keyFoldStats.keysTested - before).toBe(40);
    } finally {
      conn.close();
      db.close();
    }
  });
});

describe('generated tables and predicates, against SQLite', () => {
  test('300 cases', () => {
    const next = lcg(20261207);
    const pick = <T>(xs: readonly T[]): T => xs[next(xs.length)];
    const preds = [
      'q % $K = $R',
      'q * $K > $R',
      'q IS NULL OR q % $K = $R',
      'abs(q) < $K * $R',
      'q BETWEEN $R AND $R + $K',
      'CASE WHEN q % 2 = 0 THEN q ELSE -q END > $R',
      'coalesce(q, $R) % $K = 0',
      'q IN ($R, $K, -($R))',
      'q / $K = $R',
      'NOT (q > $R)',
      'max(q, $R) = $R',
    ];
    const aggs = ['count(*)', 'count(q)', 'sum(q)', 'avg(q)', 'min(q)', 'max(q)'];
    let folded = 0;
    for (let c = 0; c < 30; c++) {
      const n = 200 + next(3000);
      const spread = 1 + next(c % 3 === 0 ? 5000 : 60);
      const rows = Array.from({ length: n }, (_, i) => [
        i + 1,
        next(9) === 0 ? null : next(spread) - Math.floor(spread / 3),
      ]);
      const [conn, db] = pair(
        ['CREATE TABLE g (id INTEGER PRIMARY KEY, q INTEGER)', 'CREATE INDEX g_q ON g (q)'],
        rows,
        'INSERT INTO g VALUES (?, ?)',
      );
      try {
        for (let k = 0; k < 10; k++) {
          const pred = pick(preds)
            .replace(/\$K/g, String(1 + next(9)))
            .replace(/\$R/g, String(next(21) - 10));
          const list = Array.from({ length: 1 + next(3) }, () => pick(aggs)).join(', ');
          const sql = `SELECT ${list} FROM g WHERE ${pred}`;
          if (explain(conn, sql).includes(PER_KEY)) folded++;
          const mine = norm(conn.cursor().execute(sql).fetchAll());
          const theirs = norm(
            (db.prepare(sql).raw(true).all() as unknown[][]).map((r) =>
              r.map((v) => (typeof v === 'bigint' ? Number(v) : v)),
            ),
          );
          expect({ sql, result: mine }).toEqual({ sql, result: theirs });
        }
      } finally {
        conn.close();
        db.close();
      }
    }
    // Most of them were planned per key (the others found a better index path, e.g. IN, BETWEEN).
    expect(folded).toBeGreaterThan(150);
  });
});
