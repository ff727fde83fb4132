/** Aggregates (group_concat, string_agg, total, DISTINCT, FILTER, over expressions) against SQLite. */
import { QueryError } from '../../../src/errors';
import { Oracle } from './oracle';

let db: Oracle;
beforeAll(() => (db = new Oracle()));
afterAll(() => db.close());

const check = (sqls: readonly string[]): void =>
  expect(sqls.flatMap((q) => db.diffQuery(q, 1e-14))).toEqual([]);

test('group_concat and string_agg: default and per-row separators, NULLs, numbers and blobs as text', () => {
  check([
    'SELECT group_concat(s) FROM t',
    'SELECT group_concat(i) FROM t',
    'SELECT group_concat(r) FROM t',
    "SELECT group_concat(s, ' | ') FROM t",
    'SELECT group_concat(s, NULL) FROM t',
    'SELECT group_concat(i, s) FROM t',
    "SELECT string_agg(s, ';') FROM t",
    'SELECT group_concat(s) FROM t WHERE id < 0',
    "SELECT group_concat(s, '') FROM t WHERE i IS NULL",
    'SELECT i % 2, group_concat(id) FROM t GROUP BY i % 2 ORDER BY 1',
    "SELECT group_concat(hex(b), '-') FROM t",
    'SELECT typeof(group_concat(i)) FROM t',
  ]);
});

test('DISTINCT tells values apart as SQLite does across storage classes', () => {
  // One expression of every class: integers and their REAL copies (equal), -0.0 and 0, texts
  // that look like numbers (not equal to them), blobs, the int64 extremes and their REAL
  // neighbours (not equal).
  const mixed = (k: number): string =>
    `CASE (id + ${k}) % 5 WHEN 0 THEN i WHEN 1 THEN r WHEN 2 THEN s WHEN 3 THEN b ELSE CAST(i AS REAL) END`;
  check(
    [0, 1, 2, 3, 4].flatMap((k) => [
      `SELECT count(DISTINCT ${mixed(k)}), sum(DISTINCT ${mixed(k)}) FROM t`,
      `SELECT group_concat(DISTINCT hex(${mixed(k)})) FROM t`,
    ]),
  );
  check([
    'SELECT count(DISTINCT i), count(DISTINCT CAST(i AS REAL)), count(DISTINCT -r), count(DISTINCT r + 0) FROM t',
    'SELECT count(DISTINCT s COLLATE NOCASE), count(DISTINCT upper(s)), count(DISTINCT b) FROM t',
    // 1..6 as integers, REALs and texts: the texts are other values.
    'SELECT count(DISTINCT CASE WHEN id <= 6 THEN id WHEN id <= 9 THEN CAST(id - 6 AS REAL) ELSE CAST(id - 9 AS TEXT) END) FROM t',
  ]);
});

test('DISTINCT on every aggregate', () => {
  check([
    'SELECT count(DISTINCT i % 3), sum(DISTINCT i % 3), total(DISTINCT i % 3), avg(DISTINCT i % 3) FROM t WHERE i > -1000 AND i < 1000',
    'SELECT min(DISTINCT s), max(DISTINCT s), count(DISTINCT s) FROM t',
    'SELECT group_concat(DISTINCT i % 2) FROM t',
    'SELECT count(DISTINCT r) FROM t',
  ]);
  const err = db.mvError("SELECT group_concat(DISTINCT s, ',') FROM t");
  expect(err).toBeInstanceOf(QueryError);
  expect(err?.message).toContain('DISTINCT aggregates must have exactly one argument');
});

test('FILTER (WHERE …) on any aggregate, with and without GROUP BY', () => {
  check([
    'SELECT count(*) FILTER (WHERE i > 0), count(s) FILTER (WHERE id % 2 = 0) FROM t',
    'SELECT sum(id) FILTER (WHERE s IS NOT NULL), total(id) FILTER (WHERE 0), avg(id) FILTER (WHERE id > 3) FROM t',
    "SELECT min(s) FILTER (WHERE s LIKE '%l%'), max(id) FILTER (WHERE s IS NULL) FROM t",
    "SELECT group_concat(id, '+') FILTER (WHERE i >= 0) FROM t",
    'SELECT count(DISTINCT i % 2) FILTER (WHERE id > 2) FROM t',
    'SELECT id % 3, count(*) FILTER (WHERE r > 0), sum(id) FILTER (WHERE r < 1) FROM t GROUP BY id % 3 ORDER BY 1',
    'SELECT count(*) FILTER (WHERE id > 100) FROM t WHERE 0',
    'SELECT id % 2, sum(id) FROM t GROUP BY id % 2 HAVING count(*) FILTER (WHERE r > 1) > 0 ORDER BY 1',
  ]);
});

test('aggregates over expressions and functions', () => {
  check([
    'SELECT sum(id * 2), max(length(s)), min(abs(id - 6)), avg(id * 1.5), total(length(b)) FROM t',
    'SELECT max(lower(s)), min(upper(s)), count(nullif(id % 3, 0)) FROM t',
    'SELECT sum(s), total(s), avg(s) FROM t',
    'SELECT id % 2 AS p, max(length(s)) + 1, sum(id) * 2 FROM t GROUP BY p ORDER BY p',
    'SELECT round(avg(r), 2), abs(sum(id) - 100) FROM t',
  ]);
});

test('an aggregate inside an aggregate, or in FILTER, is refused', () => {
  expect(db.mvError('SELECT sum(count(*)) FROM t')).toBeInstanceOf(QueryError);
  expect(db.mvError('SELECT count(*) FILTER (WHERE sum(id) > 1) FROM t')).toBeInstanceOf(QueryError);
});
