/**
 * ORDER BY … LIMIT over an index on the first ORDER BY term alone (planner/access-path.ts
 * chooseTree, planner/top-n.ts): `ORDER BY created DESC, id DESC` is the index walked backwards
 * (its entries tie in primary-key order), and `ORDER BY created, score LIMIT n` walks it and stops
 * once past the n-th row's `created` (TopN presorted, SQLite's "USE TEMP B-TREE FOR RIGHT PART OF
 * ORDER BY"). Compared with better-sqlite3 row for row over random tables and total orders, with
 * the rows read counted: a page of keyset pagination reads a page, not the table.
 */
import BetterSqlite3 from 'better-sqlite3';
import { seeded } from '../helpers/seeded';
import { connect } from '../../src/index';
import type { Connection } from '../../src/index';
import { normRow } from '../differential/normalize';

const N = 5000;

function posts(): { mv: Connection; lite: BetterSqlite3.Database } {
  const mv = connect(':memory:', { autocommit: true });
  const lite = new BetterSqlite3(':memory:');
  const ddl = [
    'CREATE TABLE posts (id INTEGER PRIMARY KEY, created INT, score INT, title TEXT)',
    'CREATE INDEX posts_created ON posts (created)',
  ];
  for (const sql of ddl) {
    mv.execute(sql);
    lite.exec(sql);
  }
  const next = seeded(99);
  const rows = Array.from({ length: N }, (_, i) => [
    i + 1,
    next(10) === 0 ? null : next(N / 4),
    next(50),
    `t${i}`,
  ]);
  mv.cursor().executeMany('INSERT INTO posts VALUES (?, ?, ?, ?)', rows);
  const ins = lite.prepare('INSERT INTO posts VALUES (?, ?, ?, ?)');
  for (const r of rows) ins.run(r);
  return { mv, lite };
}

function plan(mv: Connection, sql: string): string {
  return (mv.cursor().execute(`EXPLAIN ${sql}`).fetchAll() as unknown[][]).flat().join('\n');
}

describe('keyset pagination orders', () => {
  let mv: Connection;
  let lite: BetterSqlite3.Database;
  beforeAll(() => ({ mv, lite } = posts()));
  afterAll(() => (mv.close(), lite.close()));

  test.each([
    ['SELECT * FROM posts ORDER BY created DESC, id DESC LIMIT 20', 'reverse', 20],
    // The OFFSET's five entries are stepped over in the index, their rows not read.
    ['SELECT * FROM posts ORDER BY created, id LIMIT 20 OFFSET 5', 'range=[full]', 20],
    ['SELECT * FROM posts WHERE created < 700 ORDER BY created DESC, id DESC LIMIT 10', 'reverse', 10],
  ])('%s: the index walked, no sort, only the page read', (sql, walk, reads) => {
    const text = plan(mv, sql);
    expect(text).toMatch(/IndexRangeScan posts using posts_created/);
    expect(text).toContain(walk);
    expect(text).not.toMatch(/TopN|Sort/);
    const cur = mv.cursor().execute(sql);
    const rows = (cur.fetchAll() as unknown[][]).map(normRow);
    expect(rows).toEqual((lite.prepare(sql).raw(true).all() as unknown[][]).map(normRow));
    expect(cur.executionStats?.rowsRead).toBe(reads);
  });

  test('a second key that is not the primary key: the walk stops past the last kept key', () => {
    const sql = 'SELECT * FROM posts ORDER BY created DESC, score DESC, id LIMIT 20';
    expect(plan(mv, sql)).toMatch(
      /TopN .* presorted=1 late\n\s+IndexRangeScan posts using posts_created .*reverse/,
    );
    const cur = mv.cursor().execute(sql);
    expect((cur.fetchAll() as unknown[][]).map(normRow)).toEqual(
      (lite.prepare(sql).raw(true).all() as unknown[][]).map(normRow),
    );
    // The rows of the 20 highest `created` values and one past them, not 5,000.
    expect(cur.executionStats?.rowsRead).toBeLessThan(60);
  });

  test('mixed directions, NULLS LAST, DISTINCT and aggregates keep their sort', () => {
    for (const sql of [
      'SELECT * FROM posts ORDER BY created DESC, id LIMIT 20',
      'SELECT * FROM posts ORDER BY created NULLS LAST, id LIMIT 20',
      'SELECT DISTINCT created, score FROM posts ORDER BY created, score LIMIT 20',
      'SELECT created, count(*) FROM posts GROUP BY created ORDER BY created, 2 LIMIT 20',
    ]) {
      expect({ sql, rows: (mv.cursor().execute(sql).fetchAll() as unknown[][]).map(normRow) }).toEqual({
        sql,
        rows: (lite.prepare(sql).raw(true).all() as unknown[][]).map(normRow),
      });
    }
    expect(plan(mv, 'SELECT * FROM posts ORDER BY created DESC, id LIMIT 20')).toMatch(/TopN/);
    expect(plan(mv, 'SELECT * FROM posts ORDER BY created NULLS LAST, id LIMIT 20')).not.toMatch(/presorted/);
  });
});

test('property: random tables, indexes and total orders agree with SQLite', () => {
  const next = seeded(20261207);
  const pick = <T>(xs: readonly T[]): T => xs[next(xs.length)];
  let queries = 0;
  for (let run = 0; run < 40; run++) {
    const mv = connect(':memory:', { autocommit: true });
    const lite = new BetterSqlite3(':memory:');
    try {
      const key = pick(['id INTEGER PRIMARY KEY', 'id TEXT PRIMARY KEY']);
      const index = pick([
        'CREATE INDEX ia ON t (a)',
        'CREATE INDEX ia ON t (a DESC)',
        'CREATE UNIQUE INDEX ia ON t (a)',
        'CREATE INDEX ia ON t (a, b)',
      ]);
      for (const sql of [`CREATE TABLE t (${key}, a INT, b TEXT, c REAL)`, index]) {
        mv.execute(sql);
        lite.exec(sql);
      }
      const seen = new Set<string>();
      for (let i = 0; i < 1 + next(60); i++) {
        const id = key.startsWith('id TEXT') ? `'k${next(1000)}'` : String(next(1000));
        if (seen.has(id)) continue;
        seen.add(id);
        const a = next(7) === 0 ? 'NULL' : String(next(8));
        const sql = `INSERT INTO t VALUES (${id}, ${a}, '${pick(['x', 'y', 'z'])}', ${next(100) / 10})`;
        let ok = true;
        try {
          lite.exec(sql);
        } catch {
          ok = false;
        }
        if (ok) mv.execute(sql);
      }
      for (let q = 0; q < 20; q++) {
        const dir = pick(['', ' DESC']);
        const second = pick(['', `b${pick(['', ' DESC'])}, `, `c${pick(['', ' DESC'])}, `]);
        const where = pick([
          '',
          ' WHERE a > 2',
          ' WHERE a BETWEEN 2 AND 5',
          " WHERE b = 'x'",
          ' WHERE a IS NULL',
        ]);
        const limit = pick([' LIMIT 5', ' LIMIT 3 OFFSET 2', ' LIMIT 1', ' LIMIT 0', ' LIMIT 12 OFFSET 4']);
        const sql = `SELECT * FROM t${where} ORDER BY a${dir}, ${second}id${pick([dir, '', ' DESC'])}${limit}`;
        expect({ sql, rows: (mv.cursor().execute(sql).fetchAll() as unknown[][]).map(normRow) }).toEqual({
          sql,
          rows: (lite.prepare(sql).raw(true).all() as unknown[][]).map(normRow),
        });
        queries++;
      }
    } finally {
      mv.close();
      lite.close();
    }
  }
  expect(queries).toBe(800);
});

test('a composite index giving the leading terms (after its equality prefix): TopN presorted by as many, agreeing with SQLite', () => {
  const mv = connect(':memory:', { autocommit: true });
  const lite = new BetterSqlite3(':memory:');
  try {
    for (const sql of [
      'CREATE TABLE people (id INTEGER PRIMARY KEY, last TEXT, first TEXT, age INT)',
      'CREATE INDEX people_name ON people (last, first)',
    ]) {
      mv.execute(sql);
      lite.exec(sql);
    }
    const rows = Array.from({ length: 3000 }, (_, i) => [i + 1, `L${i % 150}`, `F${i % 37}`, i % 90]);
    mv.cursor().executeMany('INSERT INTO people VALUES (?, ?, ?, ?)', rows);
    const ins = lite.prepare('INSERT INTO people VALUES (?, ?, ?, ?)');
    for (const r of rows) ins.run(r);
    const sql = 'SELECT * FROM people ORDER BY last, first, age, id LIMIT 20';
    expect(plan(mv, sql)).toMatch(
      /TopN .* presorted=2\n\s+IndexRangeScan people using people_name \(last, first\) range=\[full\]/,
    );
    expect(plan(mv, 'SELECT * FROM people ORDER BY last DESC, age, id LIMIT 20')).toMatch(/presorted=1/);
    // Under an equality on the leading column, the next one orders the walk.
    const own = "SELECT * FROM people WHERE last = 'L7' ORDER BY first DESC, age, id LIMIT 5";
    expect(plan(mv, own)).toMatch(
      /TopN .* presorted=1 late\n\s+IndexRangeScan people using people_name .*\(last='L7'\) reverse/,
    );
    const mine = mv.cursor().execute(own);
    expect((mine.fetchAll() as unknown[][]).map(normRow)).toEqual(
      (lite.prepare(own).raw(true).all() as unknown[][]).map(normRow),
    );
    expect(mine.executionStats?.rowsRead).toBeLessThan(10);
    const cur = mv.cursor().execute(sql);
    expect((cur.fetchAll() as unknown[][]).map(normRow)).toEqual(
      (lite.prepare(sql).raw(true).all() as unknown[][]).map(normRow),
    );
    expect(cur.executionStats?.rowsRead).toBeLessThan(60);
  } finally {
    mv.close();
    lite.close();
  }

  const next = seeded(20261209);
  const pick = <T>(xs: readonly T[]): T => xs[next(xs.length)];
  let queries = 0;
  for (let run = 0; run < 25; run++) {
    const db = connect(':memory:', { autocommit: true });
    const peer = new BetterSqlite3(':memory:');
    try {
      const ddl = [
        'CREATE TABLE t (id INTEGER PRIMARY KEY, a INT, b TEXT, c INT, d REAL)',
        pick([
          'CREATE INDEX i1 ON t (a, b)',
          'CREATE INDEX i1 ON t (a, b DESC)',
          'CREATE INDEX i1 ON t (a, b, c)',
          'CREATE INDEX i1 ON t (a DESC, b DESC)',
        ]),
      ];
      for (let i = 1; i <= 1 + next(70); i++)
        ddl.push(
          `INSERT INTO t VALUES (${i}, ${next(10) === 0 ? 'NULL' : next(5)}, ${next(10) === 0 ? 'NULL' : `'${pick(['x', 'y', 'z'])}'`}, ${next(6)}, ${next(50) / 10})`,
        );
      for (const s of ddl) {
        db.execute(s);
        peer.exec(s);
      }
      for (let q = 0; q < 20; q++) {
        const rest = pick([['b', 'c'], ['b', 'd'], ['c'], ['b']]);
        const order = ['a', ...rest].map((x) => x + pick(['', ' DESC'])).join(', ');
        const where = pick(['', '', ' WHERE a = 2', " WHERE a = 1 AND b > 'x'", ' WHERE a > 1']);
        const s = `SELECT * FROM t${where} ORDER BY ${order}, id${pick(['', ' DESC'])}${pick([' LIMIT 5', ' LIMIT 3 OFFSET 2', ' LIMIT 12 OFFSET 4'])}`;
        expect({ s, rows: (db.cursor().execute(s).fetchAll() as unknown[][]).map(normRow) }).toEqual({
          s,
          rows: (peer.prepare(s).raw(true).all() as unknown[][]).map(normRow),
        });
        queries++;
      }
    } finally {
      db.close();
      peer.close();
    }
  }
  expect(queries).toBe(500);
});
