/**
 * ORDER BY on the first table of index joins (planner/ordered-join.ts): `posts JOIN users ON
 * users.id = posts.author ORDER BY posts.created DESC LIMIT 20` walks posts' index backwards and
 * looks each author up, so a page reads a page of rows instead of joining and sorting every post;
 * without a LIMIT the first row comes at once. An index giving only the leading terms (a later
 * term on the joined table) leaves runs of ties to sort. Compared with better-sqlite3 row for row
 * over random tables and joins with total orders; the rows read are counted.
 */
import BetterSqlite3 from 'better-sqlite3';
import { seeded } from '../helpers/seeded';
import { connect } from '../../src/index';
import type { Connection } from '../../src/index';
import { normRow } from '../differential/normalize';

function same(mv: Connection, lite: BetterSqlite3.Database, sql: string): unknown[][] {
  const ours = (mv.cursor().execute(sql).fetchAll() as unknown[][]).map(normRow);
  expect({ sql, rows: ours }).toEqual({
    sql,
    rows: (lite.prepare(sql).raw(true).all() as unknown[][]).map(normRow),
  });
  return ours;
}

describe('a feed joined to its authors', () => {
  const mv = connect(':memory:', { autocommit: true });
  const lite = new BetterSqlite3(':memory:');
  beforeAll(() => {
    const ddl = [
      'CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)',
      'CREATE TABLE posts (id INTEGER PRIMARY KEY, author INT, created INT, title TEXT)',
      'CREATE INDEX posts_created ON posts (created)',
      'CREATE INDEX posts_author ON posts (author)',
    ];
    for (const sql of ddl) {
      mv.execute(sql);
      lite.exec(sql);
    }
    const next = seeded(7);
    const users = Array.from({ length: 200 }, (_, i) => [i + 1, `u${i}`]);
    const posts = Array.from({ length: 4000 }, (_, i) => [i + 1, 1 + next(210), next(1000), `t${i}`]);
    mv.cursor().executeMany('INSERT INTO users VALUES (?, ?)', users);
    mv.cursor().executeMany('INSERT INTO posts VALUES (?, ?, ?, ?)', posts);
    const u = lite.prepare('INSERT INTO users VALUES (?, ?)');
    for (const r of users) u.run(r);
    const p = lite.prepare('INSERT INTO posts VALUES (?, ?, ?, ?)');
    for (const r of posts) p.run(r);
  });
  afterAll(() => (mv.close(), lite.close()));

  const explain = (sql: string): string =>
    (mv.cursor().execute(`EXPLAIN ${sql}`).fetchAll() as unknown[][]).flat().join('\n');

  test.each([
    'SELECT p.id, p.title, u.name FROM posts p JOIN users u ON u.id = p.author ORDER BY p.created DESC, p.id DESC LIMIT 20',
    'SELECT p.*, u.name FROM posts p LEFT JOIN users u ON u.id = p.author WHERE p.created < 500 ORDER BY p.created DESC, p.id DESC LIMIT 20',
    'SELECT p.id, u.name FROM posts p JOIN users u ON p.author = u.id ORDER BY p.id DESC LIMIT 20 OFFSET 3',
  ])('%s: the first table walked in order, each author looked up, one page read', (sql) => {
    const text = explain(sql);
    expect(text).toMatch(/IndexNestedLoopJoin (inner|left) users using PRIMARY KEY/);
    expect(text).toMatch(/IndexRangeScan posts using (posts_created|PRIMARY KEY) .*reverse/);
    expect(text).not.toMatch(/TopN|Sort/);
    const cur = mv.cursor().execute(sql);
    const rows = (cur.fetchAll() as unknown[][]).map(normRow);
    expect(rows).toEqual((lite.prepare(sql).raw(true).all() as unknown[][]).map(normRow));
    // Posts of the page (and the offset) and their authors: not 4,000 posts.
    expect(cur.executionStats?.rowsRead).toBeLessThan(60);
  });

  test.each([
    'SELECT p.id, u.name FROM posts p JOIN users u ON u.id = p.author ORDER BY p.created, p.id',
    'SELECT p.*, u.name FROM posts p LEFT JOIN users u ON u.id = p.author WHERE p.created >= 500 ORDER BY p.created DESC, p.id DESC',
    'SELECT p.id, u.name FROM posts p JOIN users u ON p.author = u.id ORDER BY p.id',
  ])('%s: no LIMIT, nothing sorted, the first row after a few rows read', (sql) => {
    expect(explain(sql)).not.toMatch(/TopN|Sort|HashJoin/);
    const cur = mv.cursor().execute(sql);
    cur.fetchOne();
    expect(cur.executionStats?.rowsRead).toBeLessThan(60);
    same(mv, lite, sql);
  });

  test.each([
    [
      'SELECT p.id, u.name FROM posts p JOIN users u ON u.id = p.author ORDER BY p.created DESC, u.name, p.id LIMIT 10',
      /TopN .* presorted=1/,
      200,
    ],
    [
      'SELECT p.id, u.name FROM posts p JOIN users u ON u.id = p.author ORDER BY p.created, u.name DESC, p.id',
      /Sort .* presorted=1/,
      200,
    ],
    [
      'SELECT p.id, u.name FROM posts p LEFT JOIN users u ON u.id = p.author ORDER BY p.created, p.title, u.name',
      /Sort .* presorted=1/,
      200,
    ],
  ])('%s: a later term on the joined table sorts runs of ties', (sql, shape, firstReads) => {
    const text = explain(sql);
    expect(text).toMatch(shape);
    expect(text).toMatch(/IndexNestedLoopJoin (inner|left) users using PRIMARY KEY/);
    const cur = mv.cursor().execute(sql);
    cur.fetchOne();
    // A run of ties and the lookups read ahead in a batch with it: not 8,000 rows.
    expect(cur.executionStats?.rowsRead).toBeLessThan(firstReads);
    same(mv, lite, sql);
  });

  test('a WHERE on the joined table, a sort on it, or NULLS LAST keep the join planner’s plan', () => {
    for (const sql of [
      "SELECT p.id FROM posts p JOIN users u ON u.id = p.author WHERE u.name = 'u5' ORDER BY p.created DESC, p.id LIMIT 5",
      'SELECT p.id, u.name FROM posts p JOIN users u ON u.id = p.author ORDER BY u.name, p.id LIMIT 5',
      'SELECT p.id FROM posts p JOIN users u ON u.id = p.author ORDER BY p.created NULLS LAST, p.id LIMIT 5',
    ]) {
      expect(explain(sql)).toMatch(/TopN/);
      same(mv, lite, sql);
    }
  });
});

test('property: random joins ordered on the first table agree with SQLite', () => {
  const next = seeded(20261208);
  const pick = <T>(xs: readonly T[]): T => xs[next(xs.length)];
  let queries = 0;
  let unsorted = 0;
  let presorted = 0;
  for (let run = 0; run < 30; run++) {
    const mv = connect(':memory:', { autocommit: true });
    const lite = new BetterSqlite3(':memory:');
    try {
      const ddl = [
        'CREATE TABLE b (id INTEGER PRIMARY KEY, name TEXT, k INT)',
        'CREATE TABLE a (id INTEGER PRIMARY KEY, x INT, y TEXT, bid INT)',
        'CREATE TABLE c (id INTEGER PRIMARY KEY, aid INT, z TEXT)',
        pick(['CREATE INDEX ax ON a (x)', 'CREATE INDEX ax ON a (x DESC)', 'CREATE INDEX ax ON a (x, y)']),
        'CREATE UNIQUE INDEX bk ON b (k)',
      ];
      for (let i = 1; i <= 10; i++) ddl.push(`INSERT INTO b VALUES (${i}, 'n${i}', ${i * 7})`);
      const n = 1 + next(80);
      for (let i = 1; i <= n; i++)
        ddl.push(
          `INSERT INTO a VALUES (${i}, ${next(10) === 0 ? 'NULL' : next(10)}, '${pick(['p', 'q', 'r'])}', ${next(7) === 0 ? 'NULL' : next(12)})`,
        );
      for (let i = 1; i <= 30; i++) ddl.push(`INSERT INTO c VALUES (${i}, ${1 + next(n)}, 'z${i}')`);
      for (const sql of ddl) {
        mv.execute(sql);
        lite.exec(sql);
      }
      for (let q = 0; q < 25; q++) {
        const d = pick(['', ' DESC']);
        const join = pick([
          'JOIN b ON b.id = a.bid',
          'LEFT JOIN b ON b.id = a.bid',
          'LEFT JOIN b ON b.k = a.bid * 7',
          'JOIN b ON b.id = a.bid LEFT JOIN c ON c.id = a.id',
          "LEFT JOIN b ON b.id = a.bid AND b.name > 'n3'",
        ]);
        const where = pick([
          '',
          ' WHERE a.x > 3',
          ' WHERE a.x BETWEEN 2 AND 6',
          " WHERE a.y = 'p'",
          ' WHERE a.x IS NULL',
        ]);
        const order = pick([
          `a.x${d}, a.id${pick([d, ' DESC', ''])}`,
          `a.id${d}`,
          `a.x${d}, a.y, a.id`,
          `a.x${d}, b.name${pick([d, ' DESC', ''])}, a.id`,
          `a.y${d}, b.k, a.id${pick([d, ' DESC', ''])}`,
        ]);
        const limit = pick([
          '',
          '',
          ' LIMIT -1 OFFSET 2',
          ' LIMIT 5',
          ' LIMIT 3 OFFSET 2',
          ' LIMIT 1',
          ' LIMIT 0',
          ' LIMIT 12 OFFSET 4',
        ]);
        const sql = `SELECT a.id, a.x, b.name FROM a ${join}${where} ORDER BY ${order}${limit}`;
        same(mv, lite, sql);
        const text = (mv.cursor().execute(`EXPLAIN ${sql}`).fetchAll() as unknown[][]).flat().join('\n');
        if (!/TopN|Sort/.test(text)) unsorted++;
        if (/presorted/.test(text)) presorted++;
        queries++;
      }
    } finally {
      mv.close();
      lite.close();
    }
  }
  expect(queries).toBe(750);
  // The ordered walk, whole or with runs to sort, is what many of these take: the comparison covers it.
  expect(unsorted).toBeGreaterThan(150);
  expect(presorted).toBeGreaterThan(100);
});
