/**
 * Type checks of decoded (stored-form) values against the schema, for rows read back from a file.
 * A frame's checksum proves the bytes are the ones written, not that a writer wrote a valid row: a
 * forged file with correct checksums could hold a bigint timestamp, a number where bytes belong or
 * a row longer than its schema, and those reached the row converters as raw TypeErrors,
 * RangeErrors or silent `Invalid Date`s (issue 11, item 10). The engine runs these checks on every
 * record it decodes and reports a failure as FormatError CORRUPT.
 *
 * The checks accept exactly the stored forms storage/schema/to-stored.ts produces, and what older
 * rows may legitimately look like: rows (and nested objects) shorter than the current schema,
 * because ALTER TABLE ADD COLUMN and compatible schema versions append fields.
 */
import type { NormalizedField, NormalizedType } from './normalize';

/** Whether a stored value has the stored form of its type. */
export type StoredCheck = (v: unknown) => boolean;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;
/** ECMAScript's Date range: a timestamp outside it reads as `Invalid Date`. */
const MAX_TIME_MS = 8.64e15;

const PRIMITIVE: Readonly<Record<string, StoredCheck>> = {
  bool: (v) => typeof v === 'boolean',
  int64: (v) =>
    typeof v === 'number'
      ? Number.isSafeInteger(v)
      : typeof v === 'bigint' && v >= INT64_MIN && v <= INT64_MAX,
  uint64: (v) =>
    typeof v === 'number'
      ? Number.isSafeInteger(v) && v >= 0
      : typeof v === 'bigint' && v >= 0n && v <= UINT64_MAX,
  float64: (v) => typeof v === 'number',
  string: (v) => typeof v === 'string',
  uuid: (v) => typeof v === 'string',
  enum: (v) => typeof v === 'string',
  bytes: (v) => v instanceof Uint8Array,
  timestamp: (v) => typeof v === 'number' && Number.isInteger(v) && Math.abs(v) <= MAX_TIME_MS,
};

const never: StoredCheck = () => false;

/** The check for one type; a value of a non-optional type is never null. */
export function compileStoredCheck(t: NormalizedType): StoredCheck {
  switch (t.kind) {
    case 'optional': {
      const inner = compileStoredCheck(t.of);
      return (v) => v === null || v === undefined || inner(v);
    }
    case 'list': {
      const element = compileStoredCheck(t.of);
      return (v) => {
        if (!Array.isArray(v)) return false;
        for (let i = 0; i < v.length; i++) if (!element(v[i])) return false;
        return true;
      };
    }
    case 'object': {
      const inner = compileStoredRowCheck(t.fields);
      return (v) => Array.isArray(v) && inner(v);
    }
    default:
      // An unknown kind cannot come from normalizeCollection; from a damaged catalog it fails here.
      return Object.hasOwn(PRIMITIVE, t.kind) ? PRIMITIVE[t.kind] : never;
  }
}

/** The check for a stored array of field values: a row, or the value of an object field. */
export function compileStoredRowCheck(
  fields: readonly NormalizedField[],
): (row: readonly unknown[]) => boolean {
  const checks = fields.map((f) => compileStoredCheck(f.type));
  const n = checks.length;
  return (row) => {
    if (row.length > n) return false;
    for (let i = 0; i < row.length; i++) if (!checks[i](row[i])) return false;
    return true;
  };
}
