/** Math functions against SQLite on the same edge values (see oracle.ts). */
import { Oracle } from './oracle';

let db: Oracle;
beforeAll(() => (db = new Oracle()));
afterAll(() => db.close());

const ARGS = ['i', 'r', 's', 'b', 'NULL', '0', '-0.0', '1', '-1', '0.5', "'2'", "'2.5'", "'x'", '1e308 * 10'];

test.each([
  'acos',
  'acosh',
  'asin',
  'asinh',
  'atan',
  'atanh',
  'ceil',
  'ceiling',
  'cos',
  'cosh',
  'degrees',
  'exp',
  'floor',
  'ln',
  'log',
  'log10',
  'log2',
  'radians',
  'sin',
  'sinh',
  'sqrt',
  'tan',
  'tanh',
  'trunc',
])('%s()', (fn) => {
  // typeof of ceil/floor/trunc over text is dynamic (INTEGER or REAL by value): see docs/sql.md.
  const exact = !['ceil', 'ceiling', 'floor', 'trunc'].includes(fn);
  const typed = (a: string): boolean => exact || !(a.startsWith("'") || a === 's');
  expect(ARGS.flatMap((a) => db.diff(`${fn}(${a})`, { tolerance: 1e-14, typeof: typed(a) }))).toEqual([]);
});

test.each(['atan2', 'pow', 'power', 'mod', 'log'])('%s(x, y)', (fn) => {
  const pairs = ARGS.flatMap((a) =>
    ['i', 'r', '2', '-0.5', 'NULL', "'3'", '0'].map((b) => `${fn}(${a}, ${b})`),
  );
  // Row 3 stores -0.0 in a REAL column: SQLite reads it back as +0.0, ModelVault keeps the sign,
  // which atan2 can see (docs/sql.md).
  const rows = [1, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12];
  expect(pairs.flatMap((e) => db.diff(e, { tolerance: 1e-14, rows }))).toEqual([]);
});

test('pi()', () => {
  expect(db.diff('pi()')).toEqual([]);
});
