/** Text and blob functions against SQLite on the same edge values (see oracle.ts). */
import { Oracle } from './oracle';

let db: Oracle;
beforeAll(() => (db = new Oracle()));
afterAll(() => db.close());

const check = (exprs: readonly string[]): void => expect(exprs.flatMap((e) => db.diff(e))).toEqual([]);

test('substr and substring: positive, zero, negative starts and lengths, blobs, numbers', () => {
  const starts = ['0', '1', '2', '-1', '-3', '100', '-100', 'NULL', "'2'", '2.7'];
  const lens = ['', ', 0', ', 1', ', 2', ', -1', ', -2', ', 100', ', NULL'];
  const exprs: string[] = [];
  for (const x of ['s', 'b', 'i', 'r'])
    for (const st of starts) for (const l of lens) exprs.push(`substr(${x}, ${st}${l})`);
  exprs.push("substring('hello', 2, 3)", "substr('a' || char(0) || 'b', 1)");
  check(exprs);
});

test('substr with 64-bit positions whose sum cancels out (worked out exactly, not in doubles)', () => {
  const big = ['9223372036854775807', '-9223372036854775807', '4611686018427387904', '-4611686018427387904'];
  const exprs: string[] = [];
  for (const x of ["'a%b'", 's', 'b'])
    for (const st of [...big, '1', '-1'])
      for (const l of ['', ...big.map((v) => `, ${v}`)]) exprs.push(`substr(${x}, ${st}${l})`);
  check(exprs);
});

test('instr, replace, trim family with character sets', () => {
  check([
    "instr(s, 'l')",
    "instr(s, '')",
    "instr(b, x'ff')",
    "instr(i, '2')",
    "instr(s, 'é')",
    'instr(s, NULL)',
    "instr(b, 'a')",
    "replace(s, 'l', 'L')",
    "replace(s, '', 'x')",
    "replace(i, '2', 'two')",
    "replace(s, 'abc', NULL)",
    "replace(r, '.', ',')",
    "replace(NULL, 'a', 'b')",
    "trim(s, ' x')",
    "ltrim(s, 'H ')",
    "rtrim(s, 'dl')",
    "trim(s, '')",
    'trim(s, NULL)',
    "trim(i, '4')",
    "rtrim(r, '0')",
  ]);
});

test('char, unicode, hex, unhex, quote, octet_length', () => {
  check([
    'char(65, 66, 67)',
    'char()',
    'char(i)',
    'char(NULL, 65)',
    'char(128512)',
    'char(-1)',
    'char(1114112)',
    'unicode(s)',
    "unicode('')",
    'hex(i)',
    'hex(r)',
    'hex(s)',
    'hex(NULL)',
    "unhex('4142')",
    "unhex('41 42', ' ')",
    "unhex('4 142', ' ')",
    "unhex('414')",
    "unhex('zz')",
    'unhex(hex(s))',
    'quote(r)',
    'quote(0.1 + 0.2)',
    'quote(1e999)',
    'quote(-1e999)',
    'quote(s)',
    'quote(b)',
    'octet_length(s)',
    'octet_length(r)',
    'length(r)',
    'length(i)',
  ]);
});

test('concat and concat_ws skip NULLs', () => {
  check([
    'concat(s, i, r, b)',
    'concat(NULL)',
    "concat(s, NULL, 'x')",
    "concat_ws('-', s, i, r)",
    'concat_ws(NULL, s, i)',
    "concat_ws(',', NULL, NULL)",
    'concat_ws(i, s, s)',
  ]);
});

test('glob()', () => {
  check([
    "glob('H*', s)",
    "glob('*l*', s)",
    "glob('?', s)",
    "glob('[a-c]*', s)",
    "glob('[^a]*', s)",
    "glob('1*', i)",
    "glob('*.*', r)",
    'glob(s, NULL)',
    "glob('*', b)",
    "glob(x'2a', s)",
  ]);
});

test('like() with and without escape', () => {
  check([
    "like('a%', s)",
    "like('%b%', s)",
    "like('_', s)",
    "like('1%', i)",
    "like('%.%', r)",
    "like('a\\%', 'a%', '\\')",
    'like(s, NULL)',
    "like('%', b)",
  ]);
});

test('printf and format', () => {
  check([
    "printf('%d|%5d|%-5d|%05d|%+d|% d', i, i, i, i, i, i)",
    "printf('%s|%10s|%-10s|%.2s', s, s, s, s)",
    "printf('%f|%.2f|%10.3f|%-10.1f|%e|%.3e|%g|%G', r, r, r, r, r, r, r, r)",
    "printf('%x|%X|%o|%#x|%#o', i, i, i, i, i)",
    "printf('%q|%Q|%w', s, s, s)",
    "printf('%c', s)",
    "printf('%%|%d')",
    "printf('%,d', i)",
    "format('%s and %s', s, i)",
    'printf(NULL, 1)',
    "printf('%.*f', 2, r)",
    "printf('%*d', 6, i)",
    "printf('%!.15g', r)",
    "printf('%.0f', r)",
    "printf('%g', 100000.0)",
    "printf('%g', 1000000.0)",
    "printf('%g', 0.0001)",
    "printf('%g', 0.00001)",
    "printf('%#g', 1.0)",
    "printf('%.20f', 0.1)",
    "printf('%d', s)",
    "printf('%f', s)",
    "printf('%s', b)",
    "printf('%5.1f%%', 12.345)",
    "printf('%i', r)",
    "printf('%u', -1)",
  ]);
});

test('REAL formatting (quote, printf %f %e %g, round) over many values', () => {
  let seed = 12345;
  const rnd = (): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const exprs: string[] = [];
  for (let k = 0; k < 150; k++) {
    const r = (rnd() - 0.5) * 10 ** Math.floor(rnd() * 30 - 12);
    const lit = String(r);
    const n = Math.floor(rnd() * 6);
    exprs.push(
      `printf('%.${n}f|%.${n}e|%.${n + 1}g|%!.${n + 10}g', ${lit}, ${lit}, ${lit}, ${lit})`,
      `round(${lit}, ${n})`,
    );
  }
  expect(exprs.flatMap((e) => db.diff(e, { rows: [1] }))).toEqual([]);
});

test('soundex: ASCII letters, separators, repeats, no letter, NULL, numbers, blobs, non-ASCII bytes', () => {
  const words = [
    "'Robert'",
    "'Rupert'",
    "'Tymczak'",
    "'Pfister'",
    "'Ashcraft'",
    "'Honeyman'",
    "'Lloyd'",
    "'a'",
    "''",
    "'123'",
    "'  ab'",
    "'héllo'",
    "'ÉÀtest'",
    "'x' || char(0) || 'abc'",
    'NULL',
    '12',
    '1.5',
    "x'41424300'",
    's',
    'b',
    'i',
    'r',
  ];
  check(words.map((w) => `soundex(${w})`));
});
