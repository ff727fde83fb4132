/**
 * SQLite's core scalar functions that are not about text (src/func.c): NULL handling (coalesce,
 * ifnull, iif, nullif), typeof, numbers (abs, round, sign, multi-argument max/min, random),
 * blobs (randomblob, zeroblob), the planner hints (likely, unlikely, likelihood) and the
 * connection counters (changes, total_changes, last_insert_rowid, read from the execution
 * context's session). Text functions are in text.ts, printf/format in printf.ts.
 */
import { randomBytes } from 'node:crypto';
import { compareValues } from '../../storage/compare';
import { DataError, NotSupportedError } from '../../src/errors';
import type { SessionState } from '../compile-expr';
import { fromBigInt } from '../sql-values';
import { numericValue, storageClass, toInt64, toIntNumber, toReal } from '../sqlite-conversions';
import { roundDecimal } from './printf';
import { argumentsCollation, compareCollated } from '../sql-text';
import type { Evaluator } from '../compile-expr';
import { TaggedReal, tagReal, untag } from '../tagged-real';
import type { CallSite, ScalarFunction } from './types';
import { returnsConst, strict1, strictN, unifyTypes } from './types';

const INT64_MIN = -(2n ** 63n);
/** SQLITE_MAX_LENGTH: SQLite refuses to build a string or blob longer than this. */
export const MAX_LENGTH = 1_000_000_000;

export function tooBig(): DataError {
  return new DataError('string or blob too big', 'DATA');
}

function scalar(
  def: Omit<ScalarFunction, 'kind' | 'family' | 'deterministic'> & { deterministic?: boolean },
): ScalarFunction {
  return { kind: 'scalar', family: 'core', deterministic: true, ...def };
}

function abs(v: unknown, isReal: boolean): unknown {
  const cls = storageClass(v, isReal);
  if (cls === 'integer') {
    const x = toInt64(v);
    if (x === INT64_MIN) throw new DataError('integer overflow', 'DATA');
    return fromBigInt(x < 0n ? -x : x);
  }
  return tagReal(Math.abs(toReal(v)));
}

/** round(X, N) as SQLite computes it: N clamped to 0..30, half away from zero, always REAL. */
function round(values: unknown[]): unknown {
  let n = 0;
  if (values.length > 1) {
    n = Number(toInt64(values[1]));
    if (n > 30) n = 30;
    if (n < 0) n = 0;
  }
  const r = toReal(values[0]);
  if (!(r >= -4503599627370496 && r <= 4503599627370496)) return r;
  if (n === 0) return Math.trunc(r + (r < 0 ? -0.5 : 0.5)) + 0;
  return roundDecimal(r, n);
}

/** Multi-argument max/min: NULL if any argument is NULL; ties keep the first (max) / last (min). */
function extreme(sign: 1 | -1): ScalarFunction['compile'] {
  return (site) => {
    const args = passing(site);
    const collation = site.exprs ? argumentsCollation(site.exprs) : undefined;
    return (row) => {
      let best = args[0](row);
      if (best === null) return null;
      for (let i = 1; i < args.length; i++) {
        const v = args[i](row);
        if (v === null) return null;
        const c =
          collation === undefined
            ? compareValues(untag(best), untag(v))
            : compareCollated(untag(best), untag(v), collation);
        if (sign < 0 ? c >= 0 : c < 0) best = v;
      }
      return best;
    };
  };
}

/**
 * Arguments of a function that returns one of them unchanged: tagged when their common type is
 * 'any', so a REAL argument stays REAL in the result (compile-expr unwraps it for plain callers).
 */
function passing(site: CallSite, which: (i: number) => boolean = () => true): readonly Evaluator[] {
  const passed = site.types.filter((_t, i) => which(i));
  if (unifyTypes(passed) !== 'any') return site.args;
  const tagged = site.tagged;
  return site.args.map((a, i) => (which(i) ? tagged[i] : a));
}

function randomInt64(): number | bigint {
  const b = randomBytes(8);
  return fromBigInt(b.readBigInt64LE(0));
}

/** A connection counter: only SQL connections have them (the typed builder has no such calls). */
function sessionCounter(
  name: string,
  read: (s: SessionState) => number | bigint,
  summary: string,
): ScalarFunction {
  return scalar({
    name,
    minArgs: 0,
    maxArgs: 0,
    deterministic: false,
    summary,
    returns: returnsConst('integer'),
    compile: ({ ctx }) => {
      if (!ctx.session) throw new NotSupportedError(`${name}() needs an SQL connection`, 'NOT_SUPPORTED');
      return () => read(ctx.session as SessionState);
    },
  });
}

/**
 * The SQLite release the differential tests compare with (better-sqlite3's, the test oracle):
 * test/cursor/sqlite-version.test.ts fails when the oracle moves without this.
 */
export const SQLITE_VERSION = '3.53.2';

export const CORE: readonly ScalarFunction[] = [
  sessionCounter(
    'changes',
    (s) => s.changes,
    'Rows inserted, updated or deleted by the most recent completed INSERT, UPDATE or DELETE of this connection.',
  ),
  sessionCounter(
    'total_changes',
    (s) => s.totalChanges,
    'Rows inserted, updated or deleted by every INSERT, UPDATE and DELETE since the connection opened.',
  ),
  sessionCounter(
    'last_insert_rowid',
    (s) => s.lastInsertRowid,
    'Rowid (INTEGER PRIMARY KEY) of the last row inserted by this connection; 0 before any.',
  ),
  scalar({
    name: 'sqlite_version',
    minArgs: 0,
    maxArgs: 0,
    summary: `The SQLite version whose SQL ModelVault's follows and is tested against ('${SQLITE_VERSION}'), for code that checks for a feature by version (RETURNING needs 3.35).`,
    returns: returnsConst('text'),
    compile: () => () => SQLITE_VERSION,
  }),
  scalar({
    name: 'abs',
    minArgs: 1,
    maxArgs: 1,
    summary:
      'Absolute value; INTEGER stays INTEGER, anything else becomes REAL. abs(-9223372036854775808) is an integer overflow error.',
    returns: ([t]) =>
      t === 'integer' || t === 'boolean' || t === 'timestamp'
        ? 'integer'
        : t === 'real' || t === 'text' || t === 'blob'
          ? 'real'
          : t,
    compile: strict1(abs),
    tagsReal: true,
  }),
  scalar({
    name: 'coalesce',
    args: 'X, Y, …',
    minArgs: 2,
    maxArgs: -1,
    summary: 'The first non-NULL argument; later arguments are not evaluated.',
    returns: unifyTypes,
    compile: (site) => {
      const args = passing(site);
      return (row) => {
        for (const a of args) {
          const v = a(row);
          if (v !== null) return v;
        }
        return null;
      };
    },
  }),
  scalar({
    name: 'ifnull',
    minArgs: 2,
    maxArgs: 2,
    summary: 'coalesce() with exactly two arguments.',
    returns: unifyTypes,
    compile: (site) => {
      const [a, b] = passing(site);
      return (row) => {
        const v = a(row);
        return v !== null ? v : b(row);
      };
    },
  }),
  ...['iif', 'if'].map((name) =>
    scalar({
      name,
      minArgs: 2,
      maxArgs: -1,
      args: 'C1, V1 [, C2, V2, …] [, ELSE]',
      summary:
        'The V after the first true C, else ELSE, else NULL (a searched CASE); `if` is the same function.',
      returns: (types) => unifyTypes(types.filter((_t, i) => i % 2 === 1 || i === types.length - 1)),
      compile: (site) => {
        const n = site.args.length;
        const args = passing(site, (i) => i % 2 === 1 || i === n - 1);
        const tests = site.tests;
        return (row) => {
          let i = 0;
          for (; i + 1 < args.length; i += 2) if (tests[i](row)) return args[i + 1](row);
          return i < args.length ? args[i](row) : null;
        };
      },
    }),
  ),
  scalar({
    name: 'nullif',
    minArgs: 2,
    maxArgs: 2,
    summary:
      "NULL when both arguments are equal (under the first argument's collation that has one, as min() and max()), else the first.",
    returns: ([t]) => t,
    compile: (site) => {
      const a = site.types[0] === 'any' ? site.tagged[0] : site.args[0];
      const b = site.args[1];
      const collation = site.exprs ? argumentsCollation(site.exprs) : undefined;
      return (row) => {
        const x = a(row);
        if (x === null) return null;
        const y = b(row);
        if (y === null) return x;
        const c =
          collation === undefined ? compareValues(untag(x), y) : compareCollated(untag(x), y, collation);
        return c === 0 ? null : x;
      };
    },
  }),
  scalar({
    name: 'typeof',
    minArgs: 1,
    maxArgs: 1,
    summary: "The storage class name: 'null', 'integer', 'real', 'text' or 'blob'.",
    returns: returnsConst('text'),
    compile: (site) => {
      if (site.types[0] === 'any') {
        const a = site.tagged[0];
        return (row) => {
          const v = a(row);
          return v instanceof TaggedReal ? 'real' : storageClass(v, false);
        };
      }
      const a = site.args[0];
      const real = site.types[0] === 'real';
      return (row) => storageClass(a(row), real);
    },
  }),
  scalar({
    name: 'round',
    args: 'X [, N]',
    minArgs: 1,
    maxArgs: 2,
    summary: 'Round half away from zero to N (0–30) decimal places; always REAL.',
    deviation:
      'With N > 0, the decimal digits come from an 18-digit expansion of the value; about 1 in 25,000 ties can round the other way from SQLite in the last place.',
    returns: returnsConst('real'),
    compile: strictN(round),
  }),
  scalar({
    name: 'sign',
    minArgs: 1,
    maxArgs: 1,
    summary:
      '-1, 0 or +1; NULL for NULL and for anything that is not a number (text must be entirely numeric).',
    returns: returnsConst('integer'),
    compile: strict1((v, isReal) => {
      const n = numericValue(v, isReal);
      if (n === null) return null;
      const x = n.value;
      return x < 0 ? -1 : x > 0 ? 1 : 0;
    }),
  }),
  scalar({
    name: 'max',
    minArgs: 2,
    maxArgs: -1,
    summary: 'Scalar max (two or more arguments): the largest in SQLite order, NULL if any argument is NULL.',
    returns: unifyTypes,
    compile: extreme(1),
  }),
  scalar({
    name: 'min',
    minArgs: 2,
    maxArgs: -1,
    summary:
      'Scalar min (two or more arguments): the smallest in SQLite order, NULL if any argument is NULL.',
    returns: unifyTypes,
    compile: extreme(-1),
  }),
  scalar({
    name: 'random',
    minArgs: 0,
    maxArgs: 0,
    deterministic: false,
    summary: 'A pseudo-random 64-bit signed integer.',
    returns: returnsConst('integer'),
    compile: () => randomInt64,
  }),
  scalar({
    name: 'randomblob',
    args: 'N',
    minArgs: 1,
    maxArgs: 1,
    deterministic: false,
    summary: 'N random bytes (at least 1).',
    returns: returnsConst('blob'),
    compile:
      ({ args: [a] }) =>
      (row) => {
        const n = Math.max(1, toIntNumber(a(row)));
        if (n > MAX_LENGTH) throw tooBig();
        return randomBytes(n);
      },
  }),
  scalar({
    name: 'zeroblob',
    args: 'N',
    minArgs: 1,
    maxArgs: 1,
    summary: 'A blob of N zero bytes.',
    returns: returnsConst('blob'),
    compile:
      ({ args: [a] }) =>
      (row) => {
        const n = Math.max(0, toIntNumber(a(row)));
        if (n > MAX_LENGTH) throw tooBig();
        return Buffer.alloc(n);
      },
  }),
  ...['likely', 'unlikely'].map((name) =>
    scalar({
      name,
      minArgs: 1,
      maxArgs: 1,
      summary: 'Its argument unchanged (a planner hint in SQLite).',
      returns: ([t]) => t,
      compile: (site) => (site.types[0] === 'any' ? site.tagged[0] : site.args[0]),
    }),
  ),
  scalar({
    name: 'likelihood',
    args: 'X, P',
    minArgs: 2,
    maxArgs: 2,
    summary: 'Its first argument unchanged; P must be a REAL literal between 0.0 and 1.0.',
    returns: ([t]) => t,
    // SQLite checks P when preparing, and only a floating-point literal qualifies (not 1, not ?).
    checkArgs: ([, p]) =>
      p.kind === 'literal' &&
      p.type === 'real' &&
      typeof p.value === 'number' &&
      p.value >= 0 &&
      p.value <= 1 &&
      !Object.is(p.value, -0)
        ? null
        : 'second argument to likelihood() must be a constant between 0.0 and 1.0',
    compile: (site) => (site.types[0] === 'any' ? site.tagged[0] : site.args[0]),
  }),
];
