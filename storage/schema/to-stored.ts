/**
 * User value → stored value (docs/format.md §3.2), compiled once per field into a closure: the
 * bulk-insert path runs these and nothing else per row. A converter returns the stored value or
 * INVALID (see failure.ts). Converters never mutate or keep their input: bytes are copied, since
 * the stored row goes on to the row cache and a caller reusing its Buffer must not change it.
 */
import type { Constraint } from './descriptors';
import type { NormalizedField, NormalizedType } from './normalize';
import { compileCheck } from './constraints';
import { INVALID, type Invalid, describe, invalid, mismatch, step } from './failure';
import { isWellFormed } from './paths';

export type ToStored = (v: unknown) => unknown;

export function isRecord(v: unknown): v is Record<string, unknown> {
  return (
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    !(v instanceof Uint8Array) &&
    !(v instanceof Date)
  );
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;
const SAFE_MIN = BigInt(Number.MIN_SAFE_INTEGER);
const SAFE_MAX = BigInt(Number.MAX_SAFE_INTEGER);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Canonical integers: a number when it is a safe integer, else a bigint (never -0). */
function integer(label: 'int64' | 'uint64', min: bigint, max: bigint): ToStored {
  const unsigned = min === 0n;
  return (v) => {
    if (typeof v === 'number') {
      if (Number.isSafeInteger(v)) {
        if (unsigned && v < 0) return invalid(`${v} is outside the uint64 range`);
        return v === 0 ? 0 : v;
      }
      // 2 ** 60 is exact, but 2 ** 60 + 1 arrives as the same number: refuse rather than guess.
      return invalid(
        Number.isInteger(v)
          ? `${v} is beyond ±2^53 and may already have lost precision; pass a bigint`
          : `expected an integer (${label}), got ${v}`,
      );
    }
    if (typeof v === 'bigint') {
      if (v < min || v > max) return invalid(`${v} is outside the ${label} range`);
      return v >= SAFE_MIN && v <= SAFE_MAX ? Number(v) : v;
    }
    return mismatch(label, v);
  };
}

const toBool: ToStored = (v) => (typeof v === 'boolean' ? v : mismatch('bool', v));

const toFloat: ToStored = (v) => {
  if (typeof v === 'number') return v === v ? v : invalid('NaN is not a storable float64');
  return mismatch('float64 (a number)', v);
};

const toText: ToStored = (v) => {
  if (typeof v !== 'string') return mismatch('string', v);
  return isWellFormed(v) ? v : invalid('contains a lone surrogate, which UTF-8 cannot store');
};

const toBytes: ToStored = (v) =>
  v instanceof Uint8Array ? Buffer.from(v) : mismatch('bytes (Buffer or Uint8Array)', v);

const toUuid: ToStored = (v) =>
  typeof v === 'string' && UUID.test(v) ? v.toLowerCase() : mismatch('a uuid string (8-4-4-4-12 hex)', v);

const toTimestamp: ToStored = (v) => {
  if (!(v instanceof Date)) return mismatch('a Date (timestamp)', v);
  const ms = v.getTime();
  return ms === ms ? ms : invalid('Invalid Date');
};

const PRIMITIVE: Record<string, ToStored> = {
  bool: toBool,
  int64: integer('int64', INT64_MIN, INT64_MAX),
  uint64: integer('uint64', 0n, UINT64_MAX),
  float64: toFloat,
  string: toText,
  bytes: toBytes,
  uuid: toUuid,
  timestamp: toTimestamp,
};

function toEnum(values: readonly string[]): ToStored {
  const allowed = new Set(values);
  const list = values.map((s) => `'${s}'`).join(', ');
  return (v) =>
    typeof v === 'string' && allowed.has(v)
      ? v
      : v === null || v === undefined
        ? invalid('is required')
        : invalid(`must be one of ${list} (got ${typeof v === 'string' ? `'${v}'` : describe(v)})`);
}

function toList(of: NormalizedType): ToStored {
  const element = compileToStored(of, []);
  return (v) => {
    if (!Array.isArray(v)) return mismatch('a list (array)', v);
    const n = v.length;
    const out = new Array<unknown>(n);
    // An index loop, not map(): map skips holes and would store them.
    for (let i = 0; i < n; i++) {
      const s = element(v[i]);
      if (s === INVALID) return step(i);
      out[i] = s;
    }
    return out;
  };
}

function toObject(fields: readonly NormalizedField[]): ToStored {
  const inner = compileFieldsToStored(fields);
  return (v) => (isRecord(v) ? inner(v) : mismatch('an object', v));
}

/** Converter for a type plus the constraints on its non-null value. */
export function compileToStored(t: NormalizedType, constraints: readonly Constraint[]): ToStored {
  if (t.kind === 'optional') {
    const inner = compileToStored(t.of, constraints);
    return (v) => (v === null || v === undefined ? null : inner(v));
  }
  let conv: ToStored;
  if (t.kind === 'enum') conv = toEnum(t.values);
  else if (t.kind === 'list') conv = toList(t.of);
  else if (t.kind === 'object') conv = toObject(t.fields);
  else conv = PRIMITIVE[t.kind];
  if (constraints.length === 0) return conv;
  const checks = constraints.map((c) => compileCheck(c, t.kind));
  return (v) => {
    const s = conv(v);
    if (s === INVALID) return s;
    for (let i = 0; i < checks.length; i++) {
      const why = checks[i](s);
      if (why !== null) return invalid(why);
    }
    return s;
  };
}

/** Keys an input object may hold: null marks a field's last segment, a map an intermediate object. */
type KeyTree = Map<string, KeyTree | null>;

function keyTree(paths: readonly (readonly string[])[]): KeyTree {
  const root: KeyTree = new Map();
  for (const p of paths) {
    let node = root;
    for (let j = 0; j < p.length - 1; j++) {
      let next = node.get(p[j]);
      if (!next) node.set(p[j], (next = new Map()));
      node = next;
    }
    node.set(p[p.length - 1], null);
  }
  return root;
}

/**
 * Strict schemas: any key the schema does not declare is an error, and the objects that hold
 * multi-segment fields must be objects. A key whose value is undefined counts as absent.
 */
function checkKeys(obj: Record<string, unknown>, tree: KeyTree): Invalid | undefined {
  for (const k in obj) {
    const v = obj[k];
    if (v === undefined) continue;
    const sub = tree.get(k);
    if (sub === undefined) {
      invalid('unknown field');
      return step(k);
    }
    if (sub === null || v === null) continue;
    if (!isRecord(v)) {
      mismatch('an object', v);
      return step(k);
    }
    if (checkKeys(v, sub) === INVALID) return step(k);
  }
  return undefined;
}

const hasOwn = Object.prototype.hasOwnProperty;

/** Reads own properties only: a missing field named 'constructor' must read as undefined. */
function own(o: unknown, key: string): unknown {
  return o !== null && o !== undefined && hasOwn.call(o, key) ? (o as Record<string, unknown>)[key] : undefined;
}

/**
 * Converter for a list of fields stored as one array: a collection row, or an object value. The
 * caller has checked that `obj` is a record.
 */
export function compileFieldsToStored(
  fields: readonly NormalizedField[],
): (obj: Record<string, unknown>) => unknown[] | Invalid {
  const n = fields.length;
  const convs = fields.map((f) => compileToStored(f.type, f.constraints));
  const defaults = fields.map((f) => f.default);
  const heads = fields.map((f) => f.path[0]);
  const tree = keyTree(fields.map((f) => f.path));
  // Plain one-segment names are read directly; multi-segment paths and names that
  // Object.prototype also has ('constructor', 'toString'...) go through a reader.
  const readers = fields.map((f) =>
    f.path.length === 1 && !(f.path[0] in Object.prototype)
      ? null
      : (o: Record<string, unknown>): unknown => {
          let v: unknown = o;
          for (const seg of f.path) v = own(v, seg);
          return v;
        },
  );
  // Innermost first, as failure.ts wants the steps.
  const steps = fields.map((f) => [...f.path].reverse());
  const fail = (i: number): Invalid => {
    for (const s of steps[i]) step(s);
    return INVALID;
  };

  return (obj) => {
    if (checkKeys(obj, tree) === INVALID) return INVALID;
    const out: unknown[] = [];
    for (let i = 0; i < n; i++) {
      const read = readers[i];
      let v = read === null ? obj[heads[i]] : read(obj);
      if (v === undefined) v = defaults[i];
      const s = convs[i](v);
      if (s === INVALID) return fail(i);
      out.push(s);
    }
    return out;
  };
}
