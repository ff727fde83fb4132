/** Core scalar functions against SQLite on the same edge values (see oracle.ts). */
import { NotSupportedError, QueryError } from '../../../src/errors';
import { connect } from '../../../src/index';
import { Oracle } from './oracle';

let db: Oracle;
beforeAll(() => (db = new Oracle()));
afterAll(() => db.close());

const COLS = ['i', 'r', 's', 'b', 'NULL', "''", '-0.0', "'-5'", "'  7  '", '9223372036854775807'];

describe('one-argument functions over every column and edge literal', () => {
  const fns = [
    'abs',
    'typeof',
    'sign',
    'round',
    'length',
    'octet_length',
    'lower',
    'upper',
    'hex',
    'quote',
    'unicode',
    'likely',
    'unlikely',
    'trim',
    'ltrim',
    'rtrim',
    'unhex',
    'zeroblob',
  ];
  test.each(fns)('%s()', (fn) => {
    const diffs = COLS.flatMap((c) => db.diff(`${fn}(${c})`));
    expect(diffs).toEqual([]);
  });
});

test('abs keeps INTEGER, makes text REAL, overflows at the int64 minimum', () => {
  expect(db.diff("abs('-5')")).toEqual([]);
  expect(db.diff('abs(-9223372036854775807)')).toEqual([]);
  const err = db.mvError('SELECT abs(i) FROM t');
  expect(err?.message).toMatch(/integer overflow/);
});

test('NULL handling: coalesce, ifnull, iif, if, nullif', () => {
  const exprs = [
    'coalesce(i, r, s)',
    'coalesce(NULL, s, 1)',
    'ifnull(s, b)',
    'ifnull(NULL, NULL)',
    'iif(i > 0, s, b)',
    'iif(i, 1, 2)',
    'iif(s, 1, 0)',
    'if(r > 1, 1)',
    'iif(i = 1, 10, i = 5, 50, 0)',
    'iif(i = 1, 10, i = 5, 50)',
    'nullif(i, 5)',
    "nullif(s, 'abc')",
    'nullif(NULL, 1)',
    'nullif(1, NULL)',
    'nullif(r, 3)',
  ];
  expect(
    exprs.flatMap((e) =>
      db.diff(e, {
        typeof: !e.startsWith('coalesce(i') && !e.startsWith('iif(i > 0') && !e.startsWith('ifnull(s, b'),
      }),
    ),
  ).toEqual([]);
});

test('multi-argument max and min', () => {
  const exprs = [
    'max(i, r)',
    'min(i, r)',
    'max(s, i)',
    'min(b, s, i)',
    'max(1, 2, NULL)',
    'min(i, 5, 3)',
    "max('a', 'B')",
    'max(r, -1)',
  ];
  expect(exprs.flatMap((e) => db.diff(e, { typeof: false }))).toEqual([]);
});

test('round: half away from zero, digits, REAL result', () => {
  const exprs = [
    'round(r)',
    'round(r, 1)',
    'round(r, 2)',
    'round(i, 2)',
    'round(s)',
    'round(s, 1)',
    'round(2.5)',
    'round(-2.5)',
    'round(-0.4)',
    'round(2.345, 2)',
    'round(1.005, 2)',
    'round(123.456, -1)',
    'round(r, 40)',
    'round(1e300, 2)',
    'round(i, NULL)',
    'round(0.5)',
    'round(0.49999999999999994)',
  ];
  expect(exprs.flatMap((e) => db.diff(e))).toEqual([]);
});

test('random, randomblob and zeroblob', () => {
  expect(db.diff('typeof(random())')).toEqual([]);
  expect(db.diff('length(randomblob(i))', { rows: [1, 2, 3, 4, 5, 6, 9, 10, 11, 12] })).toEqual([]);
  expect(db.diff('typeof(randomblob(3))')).toEqual([]);
  expect(db.diff('zeroblob(3)')).toEqual([]);
  expect(db.diff('length(zeroblob(i))', { rows: [1, 2, 3, 4, 5, 6, 9, 10, 11] })).toEqual([]);
});

test('likelihood needs a REAL literal between 0.0 and 1.0, checked when the statement is prepared', () => {
  expect(db.diff('likelihood(s, 0.5)')).toEqual([]);
  expect(db.diff('likelihood(i, 0.0)')).toEqual([]);
  for (const p of ['2.0', '1', '0', '-0.0', "'0.5'", 'NULL', 'r'])
    expect(db.diff(`likelihood(i, ${p})`)).toEqual([]);
  // Refused even when no row would evaluate it.
  expect(db.mvError('SELECT likelihood(i, 2) FROM t WHERE 0')).toBeInstanceOf(QueryError);
});

test('an unknown function is NotSupportedError naming it; a wrong argument count is QueryError', () => {
  const unknown = db.mvError('SELECT no_such_fn(i) FROM t');
  expect(unknown).toBeInstanceOf(NotSupportedError);
  expect(unknown?.message).toContain('no_such_fn');
  for (const sql of [
    'SELECT abs(i, r) FROM t',
    'SELECT coalesce(i) FROM t',
    'SELECT substr(s) FROM t',
    'SELECT abs(*) FROM t',
    'SELECT pi(1) FROM t',
    'SELECT sum(*) FROM t',
    'SELECT concat() FROM t',
  ])
    expect(db.mvError(sql)).toBeInstanceOf(QueryError);
  expect(db.mvError('SELECT abs(i) FILTER (WHERE 1) FROM t')).toBeInstanceOf(QueryError);
});

test('function names are case-insensitive and results are named by their source text', () => {
  expect(db.diffQuery('SELECT ABS(i), Lower(s), abs( i ) FROM t ORDER BY id')).toEqual([]);
});

test('EXPLAIN shows calls and aggregate FILTERs', () => {
  const conn = connect(':memory:');
  conn.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, s TEXT)');
  const plan = (
    conn
      .execute("EXPLAIN SELECT lower(s), count(*) FILTER (WHERE s > 'a') FROM t WHERE length(s) > 2")
      .fetchAll() as string[][]
  )
    .map((r) => r[0])
    .join('\n');
  expect(plan).toContain('length(s)');
  expect(plan).toContain("COUNT(*) FILTER (WHERE (s > 'a'))");
  conn.close();
});
