/**
 * Literal typing the SQLite way: integer text is INTEGER while it fits 64 bits (a JS number
 * when it is a safe integer, a bigint otherwise) and REAL beyond; anything with a point or an
 * exponent is REAL even when integral (`2.0`); hex literals are 64-bit two's complement.
 */
import { DataError, NotSupportedError } from '../src/errors';
import { E } from '../planner/expr';
import type { LiteralExpr } from '../planner/expr';
import type { SqlExpr } from './sql/ast';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

function integer(v: bigint): LiteralExpr {
  const safe = v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER);
  return E.literal(safe ? Number(v) : v, 'integer');
}

/** A numeric literal's value; `negative` folds a leading unary minus (so -9223372036854775808 stays INTEGER). */
export function numberLiteral(text: string, negative: boolean, sql?: string): LiteralExpr {
  if (/^0[xX][0-9a-fA-F]+$/.test(text)) {
    let v = BigInt(text);
    if (v > UINT64_MAX) throw new DataError(`hex literal too big: ${text}`, 'DATA', { sql });
    if (v > INT64_MAX) v -= 2n ** 64n;
    if (negative) v = -v;
    // Negating the most negative value overflows to REAL, as SQLite's arithmetic does.
    return v > INT64_MAX ? E.literal(Number(v), 'real') : integer(v);
  }
  if (/^[0-9]+$/.test(text)) {
    const v = negative ? -BigInt(text) : BigInt(text);
    if (v >= INT64_MIN && v <= INT64_MAX) return integer(v);
    return E.literal(Number(v), 'real');
  }
  const n = Number(text);
  return E.literal(negative ? -n : n, 'real');
}

/** Whether `e` is a literal (optionally signed): what DEFAULT and CHECK operands may be. */
export function isLiteral(e: SqlExpr): boolean {
  if (e.t === 'unary') return (e.op === '-' || e.op === '+') && e.arg.t === 'num';
  return e.t === 'num' || e.t === 'str' || e.t === 'null' || e.t === 'bool' || e.t === 'blob';
}

/** A constant from DDL (DEFAULT, CHECK operands) as a JS value: number/bigint, string, Buffer or null. */
export function constValue(e: SqlExpr, sql: string): unknown {
  switch (e.t) {
    case 'num':
      return numberLiteral(e.text, false, sql).value;
    case 'str':
      return e.value;
    case 'null':
      return null;
    case 'bool':
      return e.value ? 1 : 0;
    case 'blob':
      return Buffer.from(e.hex, 'hex');
    case 'unary':
      if (e.arg.t === 'num' && (e.op === '-' || e.op === '+'))
        return numberLiteral(e.arg.text, e.op === '-', sql).value;
      break;
  }
  throw new NotSupportedError(
    `non-constant expression ${sql.slice(e.start, e.end)} in a column definition`,
    'NOT_SUPPORTED',
    { sql, offset: e.start },
  );
}
