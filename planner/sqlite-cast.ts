/**
 * SQLite's value conversions, on ModelVault's runtime values (null, number, bigint, string,
 * Buffer, boolean): text → number (sqlite3AtoF / sqlite3Atoi64 prefix rules), the CAST targets,
 * type-name affinity, and the 64-bit integer view bit operators take. Ground floor of the
 * planner: imports nothing of ours but errors, so expression compilation and the scalar
 * function table can share one set of rules.
 *
 * A JS number does not say whether SQLite would hold it as INTEGER or REAL; callers pass that
 * (`isReal`), usually from the expression's static type.
 */
import { DataError } from '../src/errors';
import type { CastTarget } from './expr';
import { sqliteRealText } from './real-text';
import { TaggedReal } from './tagged-real';

export const INT64_MIN = -(2n ** 63n);
export const INT64_MAX = 2n ** 63n - 1n;

/** The numeric prefix grammar of sqlite3AtoF: spaces, sign, digits, fraction, exponent. */
const NUMERIC_PREFIX = /^[ \t\n\f\r\v]*([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?/;
/** An integer prefix as sqlite3Atoi64 reads it. */
const INTEGER_PREFIX = /^[ \t\n\f\r\v]*([+-]?)(\d+)/;

/** A number in SQLite's sense: its value and whether SQLite holds it as INTEGER. */
export interface SqlNumber {
  readonly value: number | bigint;
  readonly isInteger: boolean;
}

/** Exact integer as ModelVault carries it: number when safe, bigint otherwise. */
export function normInt(v: bigint): number | bigint {
  return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
}

function clampInt64(v: bigint): bigint {
  return v < INT64_MIN ? INT64_MIN : v > INT64_MAX ? INT64_MAX : v;
}

/** Text of a BLOB or string operand (SQLite reads a BLOB's bytes as UTF-8 text when it needs a number). */
function textOf(v: string | Uint8Array): string {
  return typeof v === 'string' ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('utf8');
}

/**
 * The longest numeric prefix of `s` as SQLite's arithmetic and CAST AS NUMERIC read it:
 * integer-looking text within int64 is an INTEGER, other text a REAL; none is the INTEGER 0.
 */
export function textToNumber(s: string): SqlNumber {
  const m = NUMERIC_PREFIX.exec(s);
  if (!m || (m[2] === '' && (m[3] === undefined || m[3] === ''))) return { value: 0, isInteger: true };
  const [, sign, int, frac, exp] = m;
  if (frac === undefined && exp === undefined) {
    const big = BigInt(`${sign}${int}`);
    if (big >= INT64_MIN && big <= INT64_MAX) return { value: normInt(big), isInteger: true };
  }
  const text = `${sign}${int || '0'}.${frac ?? ''}0${exp === undefined ? '' : `e${exp}`}`;
  return { value: Number(text), isInteger: false };
}

/** A double truncated to int64 the way SQLite's doubleToInt64 does it: saturating at the bounds. */
export function realToInt64(r: number): bigint {
  if (Number.isNaN(r)) return 0n;
  if (r <= -9223372036854775808) return INT64_MIN;
  // 2^63 as a double: the first REAL above every int64.
  if (r >= 2 ** 63) return INT64_MAX;
  return BigInt(Math.trunc(r));
}

/** A REAL as SQLite's INTEGER conversion takes it, as ModelVault carries integers. */
export function realToInt(r: number): number | bigint {
  return normInt(realToInt64(r));
}

/** sqlite3Atoi64 on text: the leading integer (digits only), saturating; 0 when there is none. */
export function textToInt64(s: string): bigint {
  const m = INTEGER_PREFIX.exec(s);
  return m ? clampInt64(BigInt(`${m[1]}${m[2]}`)) : 0n;
}

/** textToInt64 as ModelVault carries integers. */
export function textToInt(s: string): number | bigint {
  return normInt(textToInt64(s));
}

/** The 64-bit integer SQLite's bit operators and CAST AS INTEGER see for a value (never NULL). */
export function toInt64(v: unknown, isReal: boolean): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'boolean') return v ? 1n : 0n;
  if (typeof v === 'number') {
    if (!isReal && Number.isSafeInteger(v)) return BigInt(v);
    const i = realToInt(v);
    return typeof i === 'bigint' ? i : BigInt(i);
  }
  if (typeof v === 'string' || v instanceof Uint8Array) {
    const i = textToInt(textOf(v));
    return typeof i === 'bigint' ? i : BigInt(i);
  }
  if (v instanceof Date) return BigInt(v.getTime());
  throw new DataError(`cannot convert a ${typeof v} value to an integer`, 'TYPE_MISMATCH');
}

/** SQLite's REAL → TEXT rendering (planner/real-text.ts): 1.0 → '1.0', 1e20 → '1.0e+20'. */
export function realToText(v: number): string {
  return sqliteRealText(v);
}

/** Text form of a value as SQLite converts it (||, CAST AS TEXT, LIKE, GLOB). */
export function toText(v: unknown, isReal: boolean): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'boolean') return v ? '1' : '0';
  // Integers beyond 2^53 travel as bigint, so an unsafe whole number is a REAL.
  if (typeof v === 'number') return isReal || !Number.isSafeInteger(v) ? realToText(v) : String(v);
  if (v instanceof Uint8Array) return textOf(v);
  if (v instanceof Date) return String(v.getTime());
  if (v instanceof TaggedReal) return realToText(v.value);
  throw new DataError(`cannot use a ${typeof v} value as text`, 'TYPE_MISMATCH');
}

/**
 * The affinity a type name gives (SQLite's rules, in order): INT → INTEGER; CHAR, CLOB,
 * TEXT → TEXT; BLOB → BLOB; REAL, FLOA, DOUB → REAL; else NUMERIC.
 */
export function affinityOfTypeName(typeName: string): CastTarget {
  const t = typeName.toUpperCase();
  if (t.includes('INT')) return 'integer';
  if (t.includes('CHAR') || t.includes('CLOB') || t.includes('TEXT')) return 'text';
  // A column declared without a type has BLOB affinity, but that case never reaches here: CAST
  // with an empty type name is NUMERIC, as in sqlite3AffinityType.
  if (t.includes('BLOB')) return 'blob';
  if (t.includes('REAL') || t.includes('FLOA') || t.includes('DOUB')) return 'real';
  return 'numeric';
}

/** CAST(v AS <target>) with SQLite's rules; `isReal` says whether a JS number is a REAL. */
export function castValue(v: unknown, isReal: boolean, to: CastTarget): unknown {
  if (v === null || v === undefined) return null;
  switch (to) {
    case 'integer':
      return normInt(toInt64(v, isReal));
    case 'real':
      if (typeof v === 'number') return v + 0;
      if (typeof v === 'bigint') return Number(v);
      if (typeof v === 'boolean') return v ? 1 : 0;
      if (typeof v === 'string' || v instanceof Uint8Array) {
        const n = textToNumber(textOf(v)).value;
        return typeof n === 'bigint' ? Number(n) : n + 0;
      }
      return Number(v instanceof Date ? v.getTime() : v);
    case 'numeric': {
      if (typeof v === 'number' || typeof v === 'bigint') return v;
      if (typeof v === 'boolean') return v ? 1 : 0;
      if (typeof v === 'string' || v instanceof Uint8Array) {
        const n = textToNumber(textOf(v));
        if (n.isInteger) return n.value;
        const r = n.value as number;
        // sqlite3RealSameAsInt: only reals within ±2^51 that are whole become INTEGERs.
        return Number.isInteger(r) && Math.abs(r) < 2 ** 51 ? r + 0 : r;
      }
      return v instanceof Date ? v.getTime() : v;
    }
    case 'text':
      return toText(v, isReal);
    case 'blob': {
      if (v instanceof Uint8Array) return v;
      const s = toText(v, isReal);
      return s === null ? null : Buffer.from(s, 'utf8');
    }
  }
}
