/**
 * User value → stored value (docs/format.md §3.2), compiled once per field into a closure: the
 * bulk-insert path runs these and nothing else per row. A converter returns the stored value or
 * INVALID (see failure.ts). Converters never mutate or keep their input: bytes are copied, since
 * the stored row goes on to the row cache and a caller reusing its Buffer must not change it.
 */
import { SchemaError } from '../../src/errors';
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

const PRIMITIVE = new Map<string, ToStored>([
  ['bool', toBool],
  ['int64', integer('int64', INT64_MIN, INT64_MAX)],
  ['uint64', integer('uint64', 0n, UINT64_MAX)],
  ['float64', toFloat],
  ['string', toText],
  ['bytes', toBytes],
  ['uuid', toUuid],
  ['timestamp', toTimestamp],
]);

function primitive(kind: string): ToStored {
  const conv = PRIMITIVE.get(kind);
  // normalizeCollection admits only known kinds; a schema read from a damaged catalog may not.
  if (!conv) throw new SchemaError(`unknown type '${kind}' in a stored schema`);
  return conv;
}

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
  else conv = primitive(t.kind);
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

function countKeys(obj: Record<string, unknown>): number {
  let n = 0;
  for (const _key in obj) n++;
  return n;
}

const hasOwn = Object.prototype.hasOwnProperty;

function own(o: Record<string, unknown>, key: string): unknown {
  return hasOwn.call(o, key) ? o[key] : undefined;
}

/**
 * Converter for a row given by column, for fields that all have one-segment paths: `values[i]` is
 * the user value of field i, undefined when absent (then its default applies). Converts `values`
 * in place, so the SQL insert path allocates no second row; on failure the failing column still
 * holds its user value. The same checks and failures as compileFieldsToStored, which in addition
 * refuses keys that are not fields (a row by column cannot have any).
 */
export function compileColumnsToStored(
  fields: readonly NormalizedField[],
): (values: unknown[]) => unknown[] | Invalid {
  const n = fields.length;
  const convs = fields.map((f) => compileToStored(f.type, f.constraints));
  const defaults = fields.map((f) => f.default);
  const heads = fields.map((f) => f.path[0]);
  return (values) => {
    for (let i = 0; i < n; i++) {
      let v = values[i];
      if (v === undefined) v = defaults[i];
      const s = convs[i](v);
      if (s === INVALID) return step(heads[i]);
      values[i] = s;
    }
    return values;
  };
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
  // Plain one-segment names are read directly. Multi-segment paths go through a reader, as do
  // names Object.prototype also has ('constructor', 'toString'...), which read own properties
  // only so that a missing field reads as undefined rather than as the inherited member.
  const readers = fields.map((f) => {
    const segs = f.path;
    const inherited = segs.map((s) => s in Object.prototype);
    if (segs.length === 1 && !inherited[0]) return null;
    return (o: Record<string, unknown>): unknown => {
      let v: unknown = o;
      for (let j = 0; j < segs.length; j++) {
        // checkKeys has vetted every enumerable intermediate; a null one makes the field null.
        if (v === null || v === undefined) return v;
        if (!isRecord(v)) return undefined;
        v = inherited[j] ? own(v, segs[j]) : v[segs[j]];
      }
      return v;
    };
  });
  // Innermost first, as failure.ts wants the steps.
  const steps = fields.map((f) => [...f.path].reverse());
  const fail = (i: number): Invalid => {
    for (const s of steps[i]) step(s);
    return INVALID;
  };

  const oneSegment = fields.every((f) => f.path.length === 1);

  return (obj) => {
    // Multi-segment paths: the intermediate objects must be objects before anything is read.
    if (!oneSegment && checkKeys(obj, tree) === INVALID) return INVALID;
    const out = new Array<unknown>(n);
    let present = 0;
    for (let i = 0; i < n; i++) {
      const read = readers[i];
      let v = read === null ? obj[heads[i]] : read(obj);
      if (v === undefined) v = defaults[i];
      else present++;
      const s = convs[i](v);
      if (s === INVALID) return fail(i);
      out[i] = s;
    }
    // Unknown keys, one-segment case. A plain object whose enumerable keys are as many as the
    // fields it supplied has no other key. Counting is one for-in without lookups (a quarter
    // of the cost of looking every key up); a mismatch, or an object whose fields may come from
    // its prototype (getters are not enumerable), pays for checkKeys, which finds the culprit
    // or finds that the extra keys hold undefined.
    if (
      oneSegment &&
      (Object.getPrototypeOf(obj) !== Object.prototype || countKeys(obj) !== present) &&
      checkKeys(obj, tree) === INVALID
    )
      return INVALID;
    return out;
  };
}
