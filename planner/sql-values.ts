/**
 * SQLite value semantics on ModelVault's runtime values (null, number, bigint, string, Buffer,
 * boolean): truthiness, integer arithmetic with overflow to REAL, text rendering of numbers, and
 * the LIKE prefix (matching itself is in like.ts). See ../shared SQLITE-SEMANTICS.md §2–§4 for the rules these follow.
 */

import { realToInt64 } from './sqlite-cast';
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Three-valued truth: null for NULL, else whether the value is non-zero. */
export function truth(v: unknown): boolean | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'bigint') return v !== 0n;
  if (typeof v === 'string') return numericPrefix(v) !== 0;
  if (v instanceof Uint8Array) return numericPrefix(Buffer.from(v).toString('utf8')) !== 0;
  return true;
}

/** SQLite's text-to-number conversion: the longest numeric prefix, 0 when there is none. */
export function numericPrefix(s: string): number {
  // SQLite skips ASCII white space only (sqlite3Isspace), not every Unicode space.
  const m = /^[ \t\n\v\f\r]*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?/.exec(s);
  return m ? Number(m[0]) : 0;
}

const INTEGER_TEXT = /^[ \t\n\v\f\r]*([+-]?)(\d+)[ \t\n\v\f\r]*$/;

/**
 * SQLite's numeric affinity of a TEXT value as the SUM family applies it
 * (sqlite3_value_numeric_type): text that is wholly an integer inside int64 is that INTEGER;
 * anything else is REAL, worth its numeric prefix ('1.5' → 1.5, '12abc' → 12, '' → 0).
 */
export function textAsNumber(s: string): { readonly int: boolean; readonly value: number | bigint } {
  const m = INTEGER_TEXT.exec(s);
  if (m) {
    const big = BigInt(m[2]);
    const v = m[1] === '-' ? -big : big;
    if (v >= INT64_MIN && v <= INT64_MAX) return { int: true, value: fromBigInt(v) };
  }
  return { int: false, value: numericPrefix(s) };
}

/** Normalize an exact integer: number when safe, bigint inside int64, otherwise REAL (SQLite overflow). */
export function fromBigInt(v: bigint): number | bigint {
  if (v >= -9007199254740991n && v <= 9007199254740991n) return Number(v);
  if (v < INT64_MIN || v > INT64_MAX) return Number(v);
  return v;
}

export function toBigInt(v: number | bigint | boolean): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'boolean') return v ? 1n : 0n;
  return BigInt(v);
}

/** Integer +, -, * exact within int64; results outside int64 become REAL like SQLite. */
export function intArith(op: '+' | '-' | '*', a: number | bigint, b: number | bigint): number | bigint {
  if (typeof a === 'number' && typeof b === 'number') {
    const r = op === '+' ? a + b : op === '-' ? a - b : a * b;
    if (Number.isSafeInteger(r)) return r;
  }
  const x = toBigInt(a);
  const y = toBigInt(b);
  const r = op === '+' ? x + y : op === '-' ? x - y : x * y;
  if (r < INT64_MIN || r > INT64_MAX)
    return op === '+' ? Number(x) + Number(y) : op === '-' ? Number(x) - Number(y) : Number(x) * Number(y);
  return fromBigInt(r);
}

/** Integer division truncating toward zero; NULL on division by zero. */
export function intDiv(a: number | bigint, b: number | bigint): number | bigint | null {
  if (typeof a === 'number' && typeof b === 'number') {
    if (b === 0) return null;
    // Exact for safe integers: the true quotient is at least 1/|b| away from the next integer.
    return Math.trunc(a / b) + 0;
  }
  const y = toBigInt(b);
  if (y === 0n) return null;
  const x = toBigInt(a);
  if (x === INT64_MIN && y === -1n) return Number(x) / -1;
  return fromBigInt(x / y);
}

export function intMod(a: number | bigint, b: number | bigint): number | bigint | null {
  if (typeof a === 'number' && typeof b === 'number') {
    if (b === 0) return null;
    return (a % b) + 0;
  }
  const y = toBigInt(b);
  if (y === 0n) return null;
  return fromBigInt(toBigInt(a) % y);
}

/**
 * `%` with one INTEGER and one REAL operand: SQLite takes each operand's integer value (the
 * INTEGER exactly, even past 2^53; the REAL truncated and saturated) and returns the remainder as
 * REAL, so `9007199254740993 % 2.0` is 1.0, where going through a double would give 0.
 */
export function mixedMod(
  x: number | bigint,
  xInt: boolean,
  y: number | bigint,
  yInt: boolean,
): number | null {
  const a = xInt ? BigInt(x) : realToInt64(Number(x));
  const b = yInt ? BigInt(y) : realToInt64(Number(y));
  if (b === 0n) return null;
  // A divisor of -1 is 1 in SQLite (INT64_MIN % -1 would trap).
  return Number(a % (b === -1n ? 1n : b)) + 0;
}

/** REAL arithmetic; division by zero and NaN results are NULL. */
export function realArith(op: '+' | '-' | '*' | '/' | '%', a: number, b: number): number | null {
  let r: number;
  switch (op) {
    case '+':
      r = a + b;
      break;
    case '-':
      r = a - b;
      break;
    case '*':
      r = a * b;
      break;
    case '/':
      if (b === 0) return null;
      r = a / b;
      break;
    case '%': {
      // SQLite converts REAL operands of % to INTEGER first, saturating at the int64 bounds
      // (so 1e20 % 10 is 9223372036854775807 % 10), and returns the remainder as REAL.
      const x = Math.abs(a) < 2 ** 53 ? null : realToInt64(a);
      const y = realToInt64(b);
      if (y === 0n) return null;
      if (x === null && Math.abs(b) < 2 ** 53) {
        r = Math.trunc(a) % Math.trunc(b);
        break;
      }
      // A divisor of -1 is 1 in SQLite (INT64_MIN % -1 would trap).
      r = Number((x ?? BigInt(Math.trunc(a))) % (y === -1n ? 1n : y));
      break;
    }
  }
  return Number.isNaN(r) ? null : r + 0;
}

// Text conversions live with the other conversion rules (SQLite's own digit generation);
// re-exported for existing callers.
export { realToText, toText } from './sqlite-cast';

/** The literal prefix of a LIKE pattern before its first wildcard (for index range scans). */
export function likePrefix(pattern: string): string {
  let i = 0;
  while (i < pattern.length && pattern[i] !== '%' && pattern[i] !== '_') i++;
  return pattern.slice(0, i);
}
