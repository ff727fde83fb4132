/**
 * Stored value → user value: Date for timestamps, Buffer for bytes, nested objects for object
 * fields and multi-segment paths, int64/uint64 as number when safe, else bigint with safeIntegers,
 * else INVALID (reported as DataError INT_PRECISION, see failure.ts). The stored row may be the
 * row cache's copy, so nothing mutable of it is handed out: lists and bytes are copied.
 */
import type { NormalizedField, NormalizedType } from './normalize';
import { INVALID, type Invalid, invalid, step } from './failure';

const hasOwn = Object.prototype.hasOwnProperty;

/** Called with a non-null stored value; `safe` = safeIntegers. */
export type ToUser = (v: unknown, safe: boolean) => unknown;

const toInteger: ToUser = (v, safe) => {
  if (safe) return typeof v === 'bigint' ? v : BigInt(v as number);
  if (typeof v !== 'bigint') return v;
  return invalid(
    `${v} does not fit a JS number exactly; open with safeIntegers: true to read it as a bigint`,
  );
};

const toDate: ToUser = (v) => new Date(v as number);

const toBuffer: ToUser = (v) => Buffer.from(v as Uint8Array);

/** null: the stored value is already the user's value and immutable (bool, numbers, strings). */
export function compileToUser(t: NormalizedType): ToUser | null {
  switch (t.kind) {
    case 'optional':
      return compileToUser(t.of);
    case 'int64':
    case 'uint64':
      return toInteger;
    case 'timestamp':
      return toDate;
    case 'bytes':
      return toBuffer;
    case 'list': {
      const element = compileToUser(t.of);
      if (element === null) return (v) => (v as unknown[]).slice();
      return (v, safe) => {
        const list = v as unknown[];
        const out = new Array<unknown>(list.length);
        for (let i = 0; i < list.length; i++) {
          const x = list[i];
          const u = x === null || x === undefined ? null : element(x, safe);
          if (u === INVALID) return step(i);
          out[i] = u;
        }
        return out;
      };
    }
    case 'object': {
      const inner = compileFieldsToUser(t.fields);
      return (v, safe) => inner(v as readonly unknown[], safe);
    }
    default:
      return null;
  }
}

/** Converter for a stored array of field values (a row, or an object value) to a user object. */
export function compileFieldsToUser(
  fields: readonly NormalizedField[],
): (row: readonly unknown[], safe: boolean) => Record<string, unknown> | Invalid {
  const n = fields.length;
  const outs = fields.map((f) => compileToUser(f.type));
  const heads = fields.map((f) => f.path[0]);
  const paths = fields.map((f) => f.path);
  return (row, safe) => {
    const obj: Record<string, unknown> = {};
    for (let i = 0; i < n; i++) {
      let v = row[i];
      const out = outs[i];
      // A row shorter than the schema (written before a column was added) reads null there.
      if (v === undefined || v === null) v = null;
      else if (out !== null) {
        v = out(v, safe);
        if (v === INVALID) {
          const p = paths[i];
          for (let j = p.length - 1; j >= 0; j--) step(p[j]);
          return INVALID;
        }
      }
      const p = paths[i];
      if (p.length === 1) {
        obj[heads[i]] = v;
        continue;
      }
      let o = obj;
      for (let j = 0; j < p.length - 1; j++) {
        // Own properties only: an inherited 'constructor' is not an intermediate object.
        o = (hasOwn.call(o, p[j]) ? o[p[j]] : (o[p[j]] = {})) as Record<string, unknown>;
      }
      o[p[p.length - 1]] = v;
    }
    return obj;
  };
}
