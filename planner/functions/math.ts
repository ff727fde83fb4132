/**
 * SQLite's math functions (src/func.c, SQLITE_ENABLE_MATH_FUNCTIONS). An argument must be a
 * number, or text that is entirely one number; anything else (blobs, 'abc', '5x') gives NULL. The
 * result is REAL, except ceil/floor/trunc of an INTEGER, which return it unchanged. A NaN result
 * (sqrt(-1), acos(2)) is NULL.
 */
import type { ValueType } from '../expr';
import { numericValue, toReal } from '../sqlite-conversions';
import { TaggedReal, tagReal } from '../tagged-real';
import type { ScalarFunction } from './types';
import { returnsConst } from './types';

/** NaN is NULL in SQLite; infinities stay REAL. */
function finite(r: number): number | null {
  return Number.isNaN(r) ? null : r + 0;
}

function arg(v: unknown, isReal: boolean): number | null {
  if (v === null) return null;
  const n = numericValue(v, isReal);
  return n === null ? null : Number(n.value);
}

function math1(name: string, f: (x: number) => number, summary: string): ScalarFunction {
  return {
    kind: 'scalar',
    family: 'math',
    name,
    minArgs: 1,
    maxArgs: 1,
    deterministic: true,
    summary,
    returns: returnsConst('real'),
    compile: ({ args: [a], types: [t] }) => {
      const real = t === 'real';
      return (row) => {
        const x = arg(a(row), real);
        return x === null ? null : finite(f(x));
      };
    },
  };
}

function math2(
  name: string,
  f: (x: number, y: number) => number,
  summary: string,
  args = 'X, Y',
): ScalarFunction {
  return {
    kind: 'scalar',
    family: 'math',
    name,
    args,
    minArgs: 2,
    maxArgs: 2,
    deterministic: true,
    summary,
    returns: returnsConst('real'),
    compile: ({ args: [a, b], types: [ta, tb] }) => {
      const ra = ta === 'real';
      const rb = tb === 'real';
      return (row) => {
        const x = arg(a(row), ra);
        if (x === null) return null;
        const y = arg(b(row), rb);
        return y === null ? null : finite(f(x, y));
      };
    },
  };
}

/** ceil/floor/trunc keep an INTEGER as it is. */
function rounding(name: string, f: (x: number) => number, summary: string): ScalarFunction {
  return {
    kind: 'scalar',
    family: 'math',
    name,
    minArgs: 1,
    maxArgs: 1,
    deterministic: true,
    summary,
    returns: ([t]): ValueType =>
      t === 'integer' || t === 'boolean' || t === 'timestamp' ? 'integer' : t === 'real' ? 'real' : 'any',
    tagsReal: true,
    compile: (site) => {
      const dynamic = site.types[0] === 'any';
      const a = dynamic ? site.tagged[0] : site.args[0];
      const real = site.types[0] === 'real';
      return (row) => {
        const v = a(row);
        if (v === null) return null;
        const n = v instanceof TaggedReal ? { value: v.value, real: true } : numericValue(v, real);
        if (n === null) return null;
        if (!n.real) return n.value;
        // REAL in, REAL out, even when whole: the tag says so where the static type cannot.
        return tagReal(finite(f(Number(n.value))));
      };
    },
  };
}

function logFn(name: string, one: (x: number) => number, summary: string, maxArgs: number): ScalarFunction {
  return {
    kind: 'scalar',
    family: 'math',
    name,
    ...(maxArgs > 1 ? { args: '[B,] X' } : {}),
    minArgs: 1,
    maxArgs,
    deterministic: true,
    summary,
    returns: returnsConst('real'),
    compile: ({ args, types }) => {
      const reals = types.map((t) => t === 'real');
      return (row) => {
        const x = arg(args[0](row), reals[0]);
        if (x === null || x <= 0) return null;
        if (args.length === 1) return finite(one(x));
        // SQLite divides by ln(B) only when it is positive: a base of 1 or less gives NULL.
        const lnBase = Math.log(x);
        if (lnBase <= 0) return null;
        // SQLite reads X of log(B, X) with sqlite3_value_double, unlike B: text converts by its
        // numeric prefix ('12abc' is 12) and NULL is 0.0 (so NULL).
        const v = args[1](row);
        const y = v === null ? 0 : toReal(v);
        if (y <= 0) return null;
        return finite(Math.log(y) / lnBase);
      };
    },
  };
}

export const MATH: readonly ScalarFunction[] = [
  math1('acos', Math.acos, 'Arc cosine, in radians.'),
  math1('acosh', Math.acosh, 'Inverse hyperbolic cosine.'),
  math1('asin', Math.asin, 'Arc sine, in radians.'),
  math1('asinh', Math.asinh, 'Inverse hyperbolic sine.'),
  math1('atan', Math.atan, 'Arc tangent, in radians.'),
  math2('atan2', Math.atan2, 'The angle of the point (X, Y) from the x axis, in radians.', 'Y, X'),
  math1('atanh', Math.atanh, 'Inverse hyperbolic tangent.'),
  rounding('ceil', Math.ceil, 'Smallest integral value not below X (an INTEGER stays INTEGER).'),
  rounding('ceiling', Math.ceil, 'Same as ceil().'),
  math1('cos', Math.cos, 'Cosine of X radians.'),
  math1('cosh', Math.cosh, 'Hyperbolic cosine.'),
  math1('degrees', (x) => x * (180 / Math.PI), 'Radians to degrees.'),
  math1('exp', Math.exp, 'e to the power X.'),
  rounding('floor', Math.floor, 'Largest integral value not above X (an INTEGER stays INTEGER).'),
  logFn('ln', Math.log, 'Natural logarithm; NULL for X <= 0.', 1),
  logFn(
    'log',
    Math.log10,
    'log(X): base-10 logarithm; log(B, X): base-B logarithm. NULL for X <= 0 or B <= 1.',
    2,
  ),
  logFn('log10', Math.log10, 'Base-10 logarithm.', 1),
  logFn('log2', Math.log2, 'Base-2 logarithm.', 1),
  math2('mod', (x, y) => x % y, 'Remainder of X / Y as REAL (C fmod); NULL when Y is 0.'),
  {
    kind: 'scalar',
    family: 'math',
    name: 'pi',
    args: '',
    minArgs: 0,
    maxArgs: 0,
    deterministic: true,
    summary: 'π.',
    returns: returnsConst('real'),
    compile: () => () => Math.PI,
  },
  math2('pow', Math.pow, 'X to the power Y.'),
  math2('power', Math.pow, 'Same as pow().'),
  math1('radians', (x) => x * (Math.PI / 180), 'Degrees to radians.'),
  math1('sin', Math.sin, 'Sine of X radians.'),
  math1('sinh', Math.sinh, 'Hyperbolic sine.'),
  math1('sqrt', Math.sqrt, 'Square root; NULL for negative X.'),
  math1('tan', Math.tan, 'Tangent of X radians.'),
  math1('tanh', Math.tanh, 'Hyperbolic tangent.'),
  rounding('trunc', Math.trunc, 'X rounded toward zero (an INTEGER stays INTEGER).'),
];
