/**
 * SQLite's value conversions, ground floor (imports nothing of ours but sql-values' number
 * rendering): the storage class of a runtime value, and text/blob → number the way
 * sqlite3_value_double (sqlite3AtoF prefix), sqlite3_value_int64 (sqlite3Atoi64 prefix) and
 * sqlite3_value_numeric_type (numeric affinity) do it. Functions and CAST share these so the same
 * text converts the same way everywhere.
 *
 * A REAL that happens to be integral (3.0) is a JS number like INTEGER 3: callers pass whether
 * the value is REAL (its static type is 'real') where it matters.
 */
import { fromBigInt, realToText } from './sql-values';
// One implementation of SQLite's integer conversions, shared with CAST and the operators.
import { INT64_MAX, INT64_MIN, realToInt64, textToInt64 } from './sqlite-cast';
import { TaggedReal } from './tagged-real';

export type StorageClass = 'null' | 'integer' | 'real' | 'text' | 'blob';

/** SQLite's storage class of a runtime value; `isReal` marks a number whose static type is REAL. */
export function storageClass(v: unknown, isReal = false): StorageClass {
  if (v === null || v === undefined) return 'null';
  switch (typeof v) {
    case 'number':
      // Integers beyond 2^53 travel as bigint: a number that is not a safe integer is a REAL.
      return isReal || !Number.isSafeInteger(v) ? 'real' : 'integer';
    case 'bigint':
    case 'boolean':
      return 'integer';
    case 'string':
      return 'text';
    default:
      if (v instanceof Uint8Array) return 'blob';
      if (v instanceof Date) return 'integer';
      return 'text';
  }
}

export function isSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

/** Text as SQLite's C-string code sees it: up to the first NUL. */
export function cString(s: string): string {
  const i = s.indexOf('\u0000');
  return i < 0 ? s : s.slice(0, i);
}

/** Bytes of a blob read as UTF-8 text, as SQLite does when a blob meets a text function. */
export function blobText(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8');
}

interface ParsedNumber {
  /** The value of the longest numeric prefix (0 when there is none). */
  readonly value: number;
  /** The whole text (bar surrounding whitespace) is one number. */
  readonly whole: boolean;
  /** The prefix has neither a decimal point nor an exponent. */
  readonly integral: boolean;
  /** Text of the numeric prefix. */
  readonly text: string;
}

const NUMBER_PREFIX = /^[\t\n\v\f\r ]*([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)/;

/** sqlite3AtoF: the longest numeric prefix after leading whitespace. */
export function parseNumberPrefix(s: string): ParsedNumber {
  const m = NUMBER_PREFIX.exec(s);
  if (!m) return { value: 0, whole: false, integral: false, text: '' };
  let end = m[0].length;
  while (end < s.length && isSpace(s.charCodeAt(end))) end++;
  const text = m[1];
  return {
    value: Number(text),
    whole: end === s.length,
    integral: !/[.eE]/.test(text),
    text,
  };
}

/** sqlite3_value_double. */
export function toReal(v: unknown): number {
  switch (typeof v) {
    case 'number':
      return v;
    case 'bigint':
      return Number(v);
    case 'boolean':
      return v ? 1 : 0;
    case 'string':
      return parseNumberPrefix(v).value;
    default:
      if (v instanceof Uint8Array) return parseNumberPrefix(blobText(v)).value;
      if (v instanceof Date) return v.getTime();
      return 0;
  }
}

/** sqlite3_value_int64 (as bigint: exact over the whole int64 range). */
export function toInt64(v: unknown): bigint {
  switch (typeof v) {
    case 'number':
      return Number.isInteger(v) && Number.isSafeInteger(v) ? BigInt(v) : realToInt64(v);
    case 'bigint':
      return v;
    case 'boolean':
      return v ? 1n : 0n;
    case 'string':
      return textToInt64(v);
    default:
      if (v instanceof Uint8Array) return textToInt64(blobText(v));
      if (v instanceof Date) return BigInt(v.getTime());
      return 0n;
  }
}

/** sqlite3_value_int64 narrowed to a JS number, for counts and positions. */
export function toIntNumber(v: unknown): number {
  return Number(toInt64(v));
}

/** A numeric value as applyNumericAffinity gives it: INTEGER, REAL, or null when not a number. */
export interface NumericValue {
  readonly value: number | bigint;
  readonly real: boolean;
}

/**
 * sqlite3_value_numeric_type: numbers stay as they are; text (and blobs) that are entirely one
 * number convert — to INTEGER when written as an integer that fits int64, else REAL. Anything
 * else (including '5abc') is not numeric: null.
 */
export function numericValue(v: unknown, isReal: boolean): NumericValue | null {
  switch (typeof v) {
    case 'number':
      return { value: v, real: isReal || !Number.isInteger(v) };
    case 'bigint':
      return { value: v, real: false };
    case 'boolean':
      return { value: v ? 1 : 0, real: false };
    case 'string':
      return textNumeric(v);
    default:
      if (v instanceof Uint8Array) return null;
      if (v instanceof Date) return { value: v.getTime(), real: false };
      return null;
  }
}

function textNumeric(s: string): NumericValue | null {
  const p = parseNumberPrefix(s);
  if (!p.whole) return null;
  if (p.integral) {
    const b = BigInt(p.text);
    if (b >= INT64_MIN && b <= INT64_MAX) return { value: fromBigInt(b), real: false };
  }
  return { value: p.value, real: true };
}

/** Text of a value (sqlite3_value_text): integers plainly, REALs as '%!.15g', blobs as UTF-8. */
export function valueText(v: unknown, isReal: boolean): string | null {
  switch (typeof v) {
    case 'string':
      return v;
    case 'number':
      return isReal || !Number.isInteger(v) ? realToText(v) : String(v);
    case 'bigint':
      return v.toString();
    case 'boolean':
      return v ? '1' : '0';
    default:
      if (v === null || v === undefined) return null;
      if (v instanceof Uint8Array) return blobText(v);
      if (v instanceof Date) return String(v.getTime());
      if (v instanceof TaggedReal) return realToText(v.value);
      return String(v);
  }
}

/** Bytes of a value (sqlite3_value_blob): text as UTF-8, numbers as their text. */
export function valueBytes(v: unknown, isReal: boolean): Buffer | null {
  if (v === null || v === undefined) return null;
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  return Buffer.from(valueText(v, isReal) ?? '', 'utf8');
}
