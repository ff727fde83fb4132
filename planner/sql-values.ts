/**
 * SQLite value semantics on ModelVault's runtime values (null, number, bigint, string, Buffer,
 * boolean): truthiness, integer arithmetic with overflow to REAL, text rendering of numbers, and
 * LIKE matching. See ../shared SQLITE-SEMANTICS.md §2–§4 for the rules these follow.
 */
import { DataError } from '../src/errors';
import { formatFloat } from './real-format';

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
  const m = /^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?/.exec(s);
  return m ? Number(m[0]) : 0;
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
      // SQLite casts REAL operands of % to INTEGER first; the result is REAL.
      const x = Math.trunc(a);
      const y = Math.trunc(b);
      if (y === 0 || !Number.isFinite(x) || !Number.isFinite(y)) return null;
      r = x % y;
      break;
    }
  }
  return Number.isNaN(r) ? null : r + 0;
}

/**
 * A number as SQLite 3.53 renders a REAL as text: '%!.15g' when that reads back as the same
 * double, else '%!.17g' (100.0, 1.0e+20, 0.1, 0.30000000000000004, 123456789012345.59).
 */
export function realToText(v: number): string {
  if (!Number.isFinite(v)) return v > 0 ? 'Inf' : v < 0 ? '-Inf' : 'NaN';
  const short = formatFloat(v, 'g', 15, { altform2: true });
  return Number(short) === v ? short : formatFloat(v, 'g', 17, { altform2: true });
}

/** Text form of a value for LIKE and ||: integers plainly, REALs the SQLite way. */
export function toText(v: unknown, isReal: boolean): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'boolean') return v ? '1' : '0';
  if (typeof v === 'number') return isReal || !Number.isInteger(v) ? realToText(v) : String(v);
  if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
  if (v instanceof Date) return String(v.getTime());
  throw new DataError(`cannot use a ${typeof v} value as text`, 'TYPE_MISMATCH');
}

const likeCache = new Map<string, (s: string) => boolean>();

/**
 * Compile a LIKE pattern: `%` any run, `_` one code point, ASCII letters case-insensitive,
 * optional single-character escape.
 */
export function likeMatcher(pattern: string, escape: string | null): (s: string) => boolean {
  const cacheKey = `${escape ?? ''}\u0000${pattern}`;
  const hit = likeCache.get(cacheKey);
  if (hit) return hit;
  let src = '';
  const chars = Array.from(pattern);
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i];
    if (escape !== null && c === escape) {
      const next = chars[++i];
      if (next !== undefined) src += escapeRegex(next);
      continue;
    }
    if (c === '%') src += '[\\s\\S]*';
    else if (c === '_') src += '[\\s\\S]';
    else if (/[a-zA-Z]/.test(c)) src += `[${c.toLowerCase()}${c.toUpperCase()}]`;
    else src += escapeRegex(c);
  }
  const re = new RegExp(`^${src}$`, 'u');
  const fn = (s: string): boolean => re.test(s);
  if (likeCache.size > 1000) likeCache.clear();
  likeCache.set(cacheKey, fn);
  return fn;
}

function escapeRegex(c: string): string {
  // Only characters special outside a class: '-' escaped would be an error in a 'u' regex.
  return c.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
}

/** The literal prefix of a LIKE pattern before its first wildcard (for index range scans). */
export function likePrefix(pattern: string): string {
  let i = 0;
  while (i < pattern.length && pattern[i] !== '%' && pattern[i] !== '_') i++;
  return pattern.slice(0, i);
}
