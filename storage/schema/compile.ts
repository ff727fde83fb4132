/**
 * Compiled schemas: each field becomes a closure that validates a user value and returns its
 * stored form (docs/format.md §3.2), built once per collection so the bulk-insert path does no
 * schema interpretation per row. Also the reverse conversion (stored row → user object) and path
 * resolution for queries and indexes.
 */
import { DataError, SchemaError, ValidationError } from '../../src/errors';
import type { Constraint } from './descriptors';
import type { CollectionSchema, NormalizedField, NormalizedType } from './normalize';
import {
  REGEX_MAX_INPUT,
  codePointLength,
  compileSafeRegex,
  constraintKind,
  isEmail,
  isUrl,
} from './constraints';
import { parsePath, pathText } from './paths';

export { parsePath } from './paths';

export interface PathAccessor {
  /** Column of the stored row. */
  column: number;
  /** Positions inside nested object values (object fields are stored as arrays). */
  sub: readonly number[];
  type: NormalizedType;
  /** Whether the value can be null (an optional field or an optional object on the way). */
  nullable: boolean;
  get(row: readonly unknown[]): unknown;
}

export interface CompiledSchema {
  readonly schema: CollectionSchema;
  readonly columnCount: number;
  readonly pkColumn: number;
  /** Stored form of each top-level field's default (null when it has none): pads rows written before a column was added. */
  readonly storedDefaults: readonly unknown[];
  /** Validate a user row object; return the stored row array. Throws ValidationError naming the dotted path. */
  toRow(obj: unknown): unknown[];
  /** Stored row → user object (nested objects, Date, Buffer; int64 as number when safe, else bigint or DataError INT_PRECISION). */
  toObject(row: readonly unknown[], safeIntegers: boolean): Record<string, unknown>;
  /** Validate and canonicalize one value for a path's type (constraints not applied): primary-key arguments, query values. */
  canonicalValue(path: readonly string[], value: unknown): unknown;
  resolvePath(path: readonly string[]): PathAccessor | null;
}

type Conv = (v: unknown, path: string) => unknown;
type Out = (v: unknown, safe: boolean, path: string) => unknown;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

function fail(path: string, message: string): never {
  throw new ValidationError(`${path}: ${message}`, path);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (v instanceof Uint8Array) return 'bytes';
  if (v instanceof Date) return 'Date';
  return typeof v;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return (
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    !(v instanceof Uint8Array) &&
    !(v instanceof Date)
  );
}

function intConv(min: bigint, max: bigint, label: string): Conv {
  return (v, path) => {
    if (typeof v === 'number') {
      if (Number.isSafeInteger(v) && (min === 0n ? v >= 0 : true)) return v;
      if (Number.isInteger(v)) fail(path, `${v} is not exactly representable as a number; pass a bigint`);
      fail(path, `expected an integer (${label}), got ${v}`);
    }
    if (typeof v === 'bigint') {
      if (v < min || v > max) fail(path, `${v} is outside the ${label} range`);
      return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
    }
    return fail(path, `expected ${label}, got ${describe(v)}`);
  };
}

function primitive(kind: string): Conv {
  switch (kind) {
    case 'bool':
      return (v, path) => (typeof v === 'boolean' ? v : fail(path, `expected bool, got ${describe(v)}`));
    case 'int64':
      return intConv(INT64_MIN, INT64_MAX, 'int64');
    case 'uint64':
      return intConv(0n, UINT64_MAX, 'uint64');
    case 'float64':
      return (v, path) =>
        typeof v === 'number' && !Number.isNaN(v) ? v : fail(path, `expected float64, got ${describe(v)}`);
    case 'string':
      return (v, path) => (typeof v === 'string' ? v : fail(path, `expected string, got ${describe(v)}`));
    case 'bytes':
      return (v, path) => {
        if (Buffer.isBuffer(v)) return v;
        if (v instanceof Uint8Array) return Buffer.from(v);
        return fail(path, `expected bytes, got ${describe(v)}`);
      };
    case 'uuid':
      return (v, path) =>
        typeof v === 'string' && UUID.test(v)
          ? v.toLowerCase()
          : fail(path, `expected a uuid string, got ${describe(v)}`);
    case 'timestamp':
      return (v, path) => {
        if (v instanceof Date && !Number.isNaN(v.getTime())) return v.getTime();
        return fail(path, `expected a valid Date, got ${describe(v)}`);
      };
    default:
      throw new SchemaError(`unknown type ${kind}`);
  }
}

function compareNum(a: number | bigint, b: number | bigint): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const x = typeof a === 'bigint' ? a : Number.isInteger(a) ? BigInt(a) : null;
  const y = typeof b === 'bigint' ? b : Number.isInteger(b) ? BigInt(b) : null;
  if (x !== null && y !== null) return x < y ? -1 : x > y ? 1 : 0;
  return Number(a) - Number(b);
}

function lengthOf(v: unknown): number {
  if (typeof v === 'string') return codePointLength(v);
  if (Array.isArray(v) || v instanceof Uint8Array) return v.length;
  return 0;
}

function constraintCheck(c: Constraint, where: string): (v: unknown, path: string) => void {
  const kind = constraintKind(c);
  const arg = (c as Record<string, unknown>)[kind];
  switch (kind) {
    case 'min':
      return (v, path) => {
        if (compareNum(v as number, arg as number) < 0)
          fail(path, `must be at least ${String(arg)} (got ${String(v)})`);
      };
    case 'max':
      return (v, path) => {
        if (compareNum(v as number, arg as number) > 0)
          fail(path, `must be at most ${String(arg)} (got ${String(v)})`);
      };
    case 'minLength':
      return (v, path) => {
        if (lengthOf(v) < (arg as number)) fail(path, `length must be at least ${String(arg)}`);
      };
    case 'maxLength':
      return (v, path) => {
        if (lengthOf(v) > (arg as number)) fail(path, `length must be at most ${String(arg)}`);
      };
    case 'nonEmpty':
      return (v, path) => {
        if (lengthOf(v) === 0) fail(path, 'must not be empty');
      };
    case 'regex': {
      const re = compileSafeRegex(arg as string, where);
      return (v, path) => {
        const s = v as string;
        if (s.length > REGEX_MAX_INPUT)
          fail(path, `too long to match the pattern (over ${REGEX_MAX_INPUT} characters)`);
        if (!re.test(s)) fail(path, `must match /${String(arg)}/`);
      };
    }
    case 'email':
      return (v, path) => {
        if (!isEmail(v as string)) fail(path, 'must be an email address');
      };
    case 'url':
      return (v, path) => {
        if (!isUrl(v as string)) fail(path, 'must be a URL');
      };
    default:
      throw new SchemaError(`${where}: unknown constraint ${kind}`);
  }
}

/** Validator for a type plus constraints; `constraints` apply to the non-null value. */
function compileConv(t: NormalizedType, constraints: readonly Constraint[], where: string): Conv {
  if (t.kind === 'optional') {
    const inner = compileConv(t.of, constraints, where);
    return (v, path) => (v === null || v === undefined ? null : inner(v, path));
  }
  let conv: Conv;
  switch (t.kind) {
    case 'enum': {
      const allowed = new Set(t.values);
      conv = (v, path) =>
        typeof v === 'string' && allowed.has(v)
          ? v
          : fail(path, `must be one of ${t.values.join(', ')} (got ${String(v)})`);
      break;
    }
    case 'list': {
      const el = compileConv(t.of, [], `${where}[]`);
      conv = (v, path) => {
        if (!Array.isArray(v)) return fail(path, `expected a list, got ${describe(v)}`);
        return v.map((x, i) => el(x, `${path}[${i}]`));
      };
      break;
    }
    case 'object': {
      const inner = compileFields(t.fields, where);
      conv = (v, path) => inner.toStored(v, `${path}.`);
      break;
    }
    default:
      conv = primitive(t.kind);
  }
  const checks = constraints.map((c) => constraintCheck(c, where));
  const required: Conv = (v, path) =>
    v === null || v === undefined ? fail(path, 'is required') : conv(v, path);
  if (checks.length === 0) return required;
  return (v, path) => {
    const out = required(v, path);
    for (const check of checks) check(out, path);
    return out;
  };
}

function compileOut(t: NormalizedType): Out {
  switch (t.kind) {
    case 'optional': {
      const inner = compileOut(t.of);
      return (v, safe, path) => (v === null || v === undefined ? null : inner(v, safe, path));
    }
    case 'int64':
    case 'uint64':
      return (v, safe, path) => {
        if (safe) return typeof v === 'bigint' ? v : BigInt(v as number);
        if (typeof v === 'bigint')
          throw new DataError(
            `${path}: ${v} does not fit a JS number exactly; open with safeIntegers`,
            'INT_PRECISION',
            { path },
          );
        return v;
      };
    case 'timestamp':
      return (v) => new Date(v as number);
    case 'list': {
      const el = compileOut(t.of);
      return (v, safe, path) => (v as unknown[]).map((x, i) => el(x, safe, `${path}[${i}]`));
    }
    case 'object': {
      const inner = compileFields(t.fields, '');
      return (v, safe, path) => inner.toUser(v as unknown[], safe, `${path}.`);
    }
    default:
      return (v) => (v === undefined ? null : v);
  }
}

interface FieldSet {
  toStored(obj: unknown, prefix: string): unknown[];
  toUser(row: readonly unknown[], safe: boolean, prefix: string): Record<string, unknown>;
}

/** Converters for a list of fields stored as one array (a collection row, or an object value). */
function compileFields(fields: readonly NormalizedField[], where: string): FieldSet {
  const n = fields.length;
  const convs = fields.map((f) => compileConv(f.type, f.constraints, `${where}${pathText(f.path)}`));
  const outs = fields.map((f) => compileOut(f.type));
  const paths = fields.map((f) => f.path);
  const names = fields.map((f) => pathText(f.path));
  const defaults = fields.map((f) => f.default);
  const flat = fields.every((f) => f.path.length === 1);
  const known = new Set(fields.map((f) => f.path[0]));
  // Intermediate objects of multi-segment paths, by their dotted prefix, with the keys they may hold.
  const inner = new Map<string, Set<string>>();
  for (const p of paths) {
    for (let i = 1; i < p.length; i++) {
      const key = p.slice(0, i).join('.');
      if (!inner.has(key)) inner.set(key, new Set());
      inner.get(key)?.add(p[i]);
    }
  }

  const checkKeys = (obj: Record<string, unknown>, prefix: string): void => {
    for (const k in obj) {
      if (!known.has(k) && obj[k] !== undefined) fail(`${prefix}${k}`, 'unknown field');
    }
    if (flat) return;
    for (const [key, allowed] of inner) {
      let o: unknown = obj;
      for (const s of key.split('.')) o = isRecord(o) ? o[s] : undefined;
      if (o === undefined || o === null) continue;
      if (!isRecord(o)) fail(`${prefix}${key}`, `expected an object, got ${describe(o)}`);
      for (const k in o)
        if (!allowed.has(k) && o[k] !== undefined) fail(`${prefix}${key}.${k}`, 'unknown field');
    }
  };

  return {
    toStored(obj, prefix) {
      if (!isRecord(obj))
        return fail(prefix.replace(/\.$/, '') || '(row)', `expected an object, got ${describe(obj)}`);
      checkKeys(obj, prefix);
      const out = new Array<unknown>(n);
      for (let i = 0; i < n; i++) {
        const p = paths[i];
        let v: unknown = obj[p[0]];
        for (let j = 1; j < p.length && v !== undefined && v !== null; j++)
          v = (v as Record<string, unknown>)[p[j]];
        if (v === undefined && defaults[i] !== undefined) v = defaults[i];
        out[i] = convs[i](v, prefix + names[i]);
      }
      return out;
    },
    toUser(row, safe, prefix) {
      const out: Record<string, unknown> = {};
      for (let i = 0; i < n; i++) {
        const v = outs[i](row[i] ?? null, safe, prefix + names[i]);
        const p = paths[i];
        if (p.length === 1) {
          out[p[0]] = v;
          continue;
        }
        let o = out;
        for (let j = 0; j < p.length - 1; j++) {
          if (typeof o[p[j]] !== 'object' || o[p[j]] === null) o[p[j]] = {};
          o = o[p[j]] as Record<string, unknown>;
        }
        o[p[p.length - 1]] = v;
      }
      return out;
    },
  };
}

function resolveIn(
  fields: readonly NormalizedField[],
  path: readonly string[],
): { index: number; rest: readonly string[]; field: NormalizedField } | null {
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i];
    if (path.length >= f.path.length && f.path.every((s, j) => s === path[j]))
      return { index: i, rest: path.slice(f.path.length), field: f };
  }
  return null;
}

function unwrap(t: NormalizedType): { type: NormalizedType; optional: boolean } {
  return t.kind === 'optional' ? { type: t.of, optional: true } : { type: t, optional: false };
}

export function compileSchema(schema: CollectionSchema): CompiledSchema {
  const fields = schema.fields;
  const set = compileFields(fields, '');
  const pkColumn = fields.findIndex((f) => pathText(f.path) === pathText(schema.primaryKey));
  if (pkColumn < 0) throw new SchemaError(`${schema.name}: primary key is not a field`);
  // Defaults must themselves be valid values of their field.
  const storedDefaults: unknown[] = fields.map(() => null);
  for (const [i, f] of fields.entries()) {
    if (f.default === undefined) continue;
    try {
      storedDefaults[i] = compileConv(f.type, f.constraints, pathText(f.path))(f.default, pathText(f.path));
    } catch (err) {
      throw new SchemaError(
        `${schema.name}.${pathText(f.path)}: invalid default: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  }
  const accessors = new Map<string, PathAccessor | null>();
  const typeConvs = new Map<string, Conv>();

  const resolvePath = (path: readonly string[]): PathAccessor | null => {
    const key = path.join('\u0000');
    const cached = accessors.get(key);
    if (cached !== undefined) return cached;
    let found = resolveIn(fields, path);
    let result: PathAccessor | null = null;
    if (found) {
      const column = found.index;
      const sub: number[] = [];
      let { type, optional } = unwrap(found.field.type);
      let nullable = optional;
      while (found && found.rest.length > 0) {
        if (type.kind !== 'object') {
          found = null;
          break;
        }
        found = resolveIn(type.fields, found.rest);
        if (!found) break;
        sub.push(found.index);
        ({ type, optional } = unwrap(found.field.type));
        nullable = nullable || optional;
      }
      if (found) {
        const declared =
          nullable && type.kind !== 'optional' ? ({ kind: 'optional', of: type } as NormalizedType) : type;
        const get =
          sub.length === 0
            ? (row: readonly unknown[]) => row[column] ?? null
            : (row: readonly unknown[]) => {
                let v: unknown = row[column];
                for (const s of sub) {
                  if (!Array.isArray(v)) return null;
                  v = v[s];
                }
                return v ?? null;
              };
        result = { column, sub, type: declared, nullable, get };
      }
    }
    accessors.set(key, result);
    return result;
  };

  return {
    schema,
    columnCount: fields.length,
    pkColumn,
    storedDefaults,
    toRow: (obj) => set.toStored(obj, ''),
    toObject: (row, safe) => set.toUser(row, safe, ''),
    canonicalValue(path, value) {
      const segs = parsePath(path);
      const key = segs.join('\u0000');
      let conv = typeConvs.get(key);
      if (!conv) {
        const acc = resolvePath(segs);
        if (!acc) throw new ValidationError(`${pathText(segs)}: unknown path`, pathText(segs));
        conv = compileConv(unwrap(acc.type).type, [], pathText(segs));
        typeConvs.set(key, conv);
      }
      return conv(value, pathText(segs));
    },
    resolvePath,
  };
}
