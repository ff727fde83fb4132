/** Date and time functions against SQLite (deterministic inputs only: no 'now'). */
import { connect } from '../../../src/index';
import { Oracle } from './oracle';

let db: Oracle;
beforeAll(() => (db = new Oracle()));
afterAll(() => db.close());

const check = (exprs: readonly string[]): void =>
  expect(exprs.flatMap((e) => db.diff(e, { rows: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12] }))).toEqual([]);

const VALUES = [
  "'2024-02-29'",
  "'2024-02-29 13:45'",
  "'2024-02-29T13:45:30'",
  "'2024-02-29 13:45:30.123'",
  "'2024-02-29 13:45:30.9999'",
  "'2023-02-31'",
  "'2023-12-31 23:59:59+05:30'",
  "'2023-12-31 23:59:59Z'",
  "'2023-12-31 23:59:59 -02:00'",
  "'12:30'",
  "'12:30:45.5'",
  "'-0044-03-15'",
  "'-2600-11-23'",
  "'-0101-02-28 06:00'",
  '771756',
  "'0000-01-01'",
  "'9999-12-31 23:59:59'",
  '2460000.5',
  '0',
  '-1',
  '1700000000',
  "'2460000.25'",
  "'2024-13-01'",
  "'2024-1-01'",
  "'24:00'",
  "'2024-02-29 25:00'",
  "'garbage'",
  "''",
  'NULL',
  "x'323032342d30312d3031'",
  's',
  'i',
  'r',
];

test('date, time, datetime, julianday and unixepoch of many time values', () => {
  const exprs: string[] = [];
  for (const v of VALUES)
    for (const f of ['date', 'time', 'datetime', 'julianday', 'unixepoch']) exprs.push(`${f}(${v})`);
  check(exprs);
});

test('modifiers', () => {
  const mods = [
    "'+1 day'",
    "'-1 days'",
    "'+1.5 days'",
    "'+36 hours'",
    "'-90 minutes'",
    "'+30 seconds'",
    "'+1.25 seconds'",
    "'+1 month'",
    "'-1 month'",
    "'+13 months'",
    "'+1 year'",
    "'-1 years'",
    "'+1.5 months'",
    "'start of month'",
    "'start of year'",
    "'start of day'",
    "'weekday 0'",
    "'weekday 3'",
    "'weekday 7'",
    "'+01:30'",
    "'-12:00:30'",
    "'+0001-02-03'",
    "'-0001-00-01 12:00'",
    "'+1 fortnight'",
    "'unixepoch'",
    "'auto'",
    "'julianday'",
    "'subsec'",
    "'floor'",
    "'ceiling'",
    "'  +1 day'",
    "'+1 DAY'",
    "'utc'",
    "'localtime'",
  ];
  const bases = [
    "'2024-01-31 10:20:30.5'",
    "'2023-03-31'",
    '1700000000',
    '2460000.5',
    "'2024-02-29'",
    '771756',
  ];
  const exprs: string[] = [];
  for (const b of bases)
    for (const m of mods) exprs.push(`datetime(${b}, ${m})`, `datetime(${b}, ${m}, 'subsec')`);
  exprs.push(
    "date('2024-01-31', '+1 month', 'floor')",
    "date('2024-01-31', '+1 month', 'ceiling')",
    "date('2024-03-31', '-1 month', 'floor')",
    "datetime(1700000000.5, 'unixepoch', 'subsec')",
    "datetime(1700000000, 'auto')",
    "datetime(2460000, 'auto')",
    "date('2024-05-05', 'start of month', '+1 month', '-1 day')",
    "unixepoch('2024-01-01 00:00:00.250', 'subsec')",
    // With 'subsec' a whole number of seconds is still REAL.
    "typeof(unixepoch('2024-01-01', 'subsec'))",
    "unixepoch('2024-01-01', 'subsec') || ''",
    "unixepoch('9', 'auto', 'subsec', 'start of day') / 7",
    "typeof(unixepoch('2024-01-01'))",
    "time('12:00', '+90 minutes', 'subsec')",
    "datetime('2024-01-01', 'unixepoch')",
    "datetime(100, 'unixepoch', 'unixepoch')",
    "datetime(100, '+1 day', 'unixepoch')",
  );
  check(exprs);
});

test('strftime conversions', () => {
  const fmts = '%d|%e|%f|%F|%G|%g|%H|%I|%j|%J|%k|%l|%m|%M|%p|%P|%R|%s|%S|%T|%u|%U|%V|%w|%W|%Y|%%';
  const dates = [
    "'2024-01-01 00:00:00'",
    "'2024-12-30 13:05:09.25'",
    "'2021-01-03'",
    "'2020-12-31 23:59:59.999'",
    "'2027-01-01 12:00'",
    "'0001-01-01'",
    "'-0010-06-15'",
    '2460000.123',
    "'2024-06-15 12:00'",
  ];
  const exprs = dates.map((d) => `strftime('${fmts}', ${d})`);
  exprs.push(
    "strftime('%Q', '2024-01-01')",
    "strftime(NULL, '2024-01-01')",
    "strftime('%Y', NULL)",
    "strftime('%s', 1700000000.75, 'unixepoch', 'subsec')",
    "strftime('x%')",
  );
  check(exprs);
});

test('timediff', () => {
  const pairs = [
    ["'2024-03-01'", "'2024-01-31'"],
    ["'2024-01-31'", "'2024-03-01'"],
    ["'2023-02-28 10:00'", "'2020-02-29 11:30:15.5'"],
    ["'2000-01-01'", "'2000-01-01'"],
    ["'2024-05-31'", "'2024-04-30 23:59:59'"],
    ["'garbage'", "'2024-01-01'"],
    ['2460000.5', '2450000.25'],
  ];
  check(pairs.map(([a, b]) => `timediff(${a}, ${b})`));
});

test("'now' and no argument read the clock", () => {
  const conn = connect(':memory:');
  conn.execute('CREATE TABLE one (id INTEGER PRIMARY KEY)');
  conn.execute('INSERT INTO one (id) VALUES (1)');
  const before = Math.floor(Date.now() / 1000);
  const [epoch, now, noArg] = conn
    .execute("SELECT unixepoch('now'), datetime('now'), date() FROM one")
    .fetchOne() as [number, string, string];
  const after = Math.ceil(Date.now() / 1000);
  expect(epoch).toBeGreaterThanOrEqual(before);
  expect(epoch).toBeLessThanOrEqual(after);
  expect(now).toBe(new Date(epoch * 1000).toISOString().slice(0, 19).replace('T', ' '));
  expect(noArg).toBe(now.slice(0, 10));
  conn.close();
});

test('a TIMESTAMP column is its instant (UTC)', () => {
  const conn = connect(':memory:');
  conn.execute('CREATE TABLE ev (id INTEGER PRIMARY KEY, at TIMESTAMP)');
  conn.execute('INSERT INTO ev (id, at) VALUES (1, ?)', [new Date(Date.UTC(2024, 1, 29, 13, 45, 30, 250))]);
  expect(
    conn
      .execute("SELECT datetime(at), date(at, '+1 day'), strftime('%H:%M:%f', at), unixepoch(at) FROM ev")
      .fetchOne(),
  ).toEqual(['2024-02-29 13:45:30', '2024-03-01', '13:45:30.250', 1709214330]);
  conn.close();
});

test('Julian day numbers across the whole range, with calendar modifiers', () => {
  let seed = 99;
  const rnd = (): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const exprs: string[] = [];
  for (let k = 0; k < 120; k++) {
    const jd = (rnd() * 5373484).toFixed(k % 3 === 0 ? 0 : 4);
    exprs.push(
      `datetime(${jd}, 'subsec')`,
      `datetime(${jd}, 'utc')`,
      `date(${jd}, '+1 month', '-1 year')`,
      `strftime('%W %V %G %j %u', ${jd})`,
      `date(${jd}, 'weekday 2', 'start of month')`,
    );
  }
  expect(exprs.flatMap((e) => db.diff(e, { rows: [1] }))).toEqual([]);
});
