/**
 * Values crossing the SQL boundary: parameters checked on the way in, stored values converted on
 * the way out (timestamps as Date, booleans as booleans, integers by the safeIntegers rule).
 */
import type { ValueType } from '../planner/expr';
import { noteBoundBigint } from '../planner/bound-bigints';
import type { ParamInfo } from '../parser/ir';
import { DataError, ProgrammingError } from '../src/errors';
import { TaggedReal } from '../planner/tagged-real';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

export type Params = readonly unknown[] | Readonly<Record<string, unknown>>;

function label(where: string, n: number | undefined): string {
  return n === undefined ? where : `${where} ${n}`;
}

/** `where` (with `n` appended when given) names the parameter in errors; built only for one. */
function checkValue(v: unknown, where: string, n?: number): unknown {
  if (v === null || v === undefined) return null;
  switch (typeof v) {
    case 'number':
      if (Number.isNaN(v)) throw new DataError(`${label(where, n)}: NaN cannot be bound`, 'TYPE_MISMATCH');
      return v;
    case 'bigint':
      if (v < INT64_MIN || v > INT64_MAX)
        throw new DataError(`${label(where, n)}: ${v} is outside the 64-bit integer range`, 'TYPE_MISMATCH');
      return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
    case 'string':
      return v;
    case 'boolean':
      return v ? 1 : 0;
    default:
      if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
      if (v instanceof Date) {
        if (Number.isNaN(v.getTime()))
          throw new DataError(`${label(where, n)}: invalid Date`, 'TYPE_MISMATCH');
        return v;
      }
      throw new DataError(
        `${label(where, n)}: a ${typeof v === 'object' ? (v.constructor?.name ?? 'object') : typeof v} cannot be bound`,
        'TYPE_MISMATCH',
      );
  }
}

/** Check the bound values against what the statement expects; returns normalized bindings. */
export function bindParams(info: ParamInfo, params: unknown): Params {
  if (info.style === 'none') {
    const given =
      params === undefined || params === null
        ? 0
        : Array.isArray(params)
          ? params.length
          : Object.keys(params as object).length;
    if (given > 0)
      throw new ProgrammingError(`statement takes no parameters, ${given} supplied`, 'PARAMETER');
    return [];
  }
  if (info.style === 'named') {
    if (
      params === null ||
      typeof params !== 'object' ||
      Array.isArray(params) ||
      params instanceof Uint8Array
    ) {
      throw new ProgrammingError(
        `statement uses named parameters: pass an object with ${info.names.map((n) => `'${n}'`).join(', ')}`,
        'PARAMETER',
      );
    }
    const src = params as Record<string, unknown>;
    // No prototype: a parameter named :__proto__ is a plain key here.
    const out = Object.create(null) as Record<string, unknown>;
    for (const name of info.names) {
      // Own properties only: ':constructor' must not bind Object.prototype.constructor.
      if (!Object.hasOwn(src, name))
        throw new ProgrammingError(`missing named parameter '${name}'`, 'PARAMETER');
      out[name] = checkValue(src[name], `parameter '${name}'`);
      if (typeof src[name] === 'bigint' && typeof out[name] === 'number') noteBoundBigint(out, name);
    }
    return out;
  }
  if (info.style === 'numbered' && params !== null && typeof params === 'object' && !Array.isArray(params)) {
    // ?NNN may also be bound from an object keyed by number, as better-sqlite3 allows.
    const src = params as Record<string, unknown>;
    const out = Array.from({ length: info.count }, (_, i) =>
      checkValue(Object.hasOwn(src, String(i + 1)) ? src[String(i + 1)] : undefined, `parameter ?${i + 1}`),
    );
    for (let i = 0; i < out.length; i++)
      if (typeof src[String(i + 1)] === 'bigint' && typeof out[i] === 'number') noteBoundBigint(out, i);
    return out;
  }
  if (!Array.isArray(params)) {
    throw new ProgrammingError(
      `statement takes ${info.count} positional parameter(s): pass an array`,
      'PARAMETER',
    );
  }
  if (params.length !== info.count) {
    throw new ProgrammingError(
      `statement takes ${info.count} parameter(s), ${params.length} supplied`,
      'PARAMETER',
    );
  }
  const out = new Array<unknown>(params.length);
  for (let i = 0; i < params.length; i++) {
    out[i] = checkValue(params[i], 'parameter', i + 1);
    if (typeof params[i] === 'bigint' && typeof out[i] === 'number') noteBoundBigint(out, i);
  }
  return out;
}

/** Stored/computed value → what a SQL row returns for a column of static type `t`. */
export function outputValue(v: unknown, t: ValueType, safeIntegers: boolean, column: string): unknown {
  if (v === null || v === undefined) return null;
  if (t === 'timestamp' && typeof v === 'number') return new Date(v);
  if (t === 'boolean') return typeof v === 'boolean' ? v : v !== 0;
  if (typeof v === 'bigint') {
    if (safeIntegers) return v;
    throw new DataError(
      `column ${column}: integer ${v} does not fit a JS number exactly; use safeIntegers`,
      'INT_PRECISION',
    );
  }
  // A column typed per row tags its whole-number REALs (planner/tagged-real.ts): an untagged
  // whole number there is an INTEGER. An INTEGER-typed expression that overflowed int64 is a
  // REAL (integers past 2^53 travel as bigint), so only safe whole numbers become bigint.
  if (typeof v === 'object' && v instanceof TaggedReal) return v.value;
  if (typeof v === 'number' && safeIntegers && Number.isSafeInteger(v)) {
    if (t === 'integer') return BigInt(v);
    // -0 is no INTEGER's value: a bound -0 keeps its sign.
    if (t === 'any' && !Object.is(v, -0)) return BigInt(v);
  }
  return v;
}
