/**
 * Descriptor → normalized schema. The normalized form is plain data (the catalog persists it in
 * CATALOG frames and checkpoints, docs/format.md §3.1); every defect is a SchemaError naming the
 * field, found here, before anything is written.
 */
import { SchemaError } from '../../src/errors';
import type {
  Constraint,
  FieldDescriptor,
  IndexDescriptor,
  PrimitiveTypeName,
  TypeDescriptor,
} from './descriptors';
import { PRIMITIVE_TYPES } from './descriptors';
import { compileSafeRegex, constraintKind } from './constraints';
import { parsePath, pathText } from './paths';

export type NormalizedType =
  | { kind: PrimitiveTypeName }
  | { kind: 'optional'; of: NormalizedType }
  | { kind: 'list'; of: NormalizedType }
  | { kind: 'object'; fields: NormalizedField[] }
  | { kind: 'enum'; values: string[] };

export interface NormalizedField {
  path: string[];
  type: NormalizedType;
  constraints: Constraint[];
  default?: unknown;
}

export interface NormalizedIndex {
  name: string;
  path: string[];
  kind: 'unique' | 'index';
}

export interface CollectionSchema {
  name: string;
  fields: NormalizedField[];
  primaryKey: string[];
  indexes: NormalizedIndex[];
}

const PK_TYPES = new Set<string>(['int64', 'uint64', 'string', 'uuid', 'bytes', 'timestamp']);
const NUMERIC = new Set<string>(['int64', 'uint64', 'float64']);
const TEXTUAL = new Set<string>(['string', 'uuid', 'enum']);

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function normalizeType(t: TypeDescriptor, where: string): NormalizedType {
  if (typeof t === 'string') {
    if (!(PRIMITIVE_TYPES as readonly string[]).includes(t))
      throw new SchemaError(`${where}: unknown type '${t}'`);
    return { kind: t };
  }
  if (!isRecord(t)) throw new SchemaError(`${where}: a type is a type name or an object`);
  const keys = Object.keys(t);
  if (keys.length !== 1)
    throw new SchemaError(`${where}: a type object has exactly one key (optional, list, object or enum)`);
  if ('optional' in t) {
    const inner = normalizeType(t.optional, where);
    if (inner.kind === 'optional') throw new SchemaError(`${where}: optional<optional<T>> is not allowed`);
    return { kind: 'optional', of: inner };
  }
  if ('list' in t) return { kind: 'list', of: normalizeType(t.list, `${where}[]`) };
  if ('object' in t) {
    if (!Array.isArray(t.object) || t.object.length === 0)
      throw new SchemaError(`${where}: object needs at least one field`);
    return { kind: 'object', fields: normalizeFields(t.object, `${where}.`) };
  }
  if ('enum' in t) {
    const values: unknown = t.enum;
    if (!Array.isArray(values) || values.length === 0 || !values.every((v) => typeof v === 'string')) {
      throw new SchemaError(`${where}: enum needs a non-empty list of strings`);
    }
    if (new Set(values).size !== values.length)
      throw new SchemaError(`${where}: enum values must be distinct`);
    return { kind: 'enum', values: [...(values as string[])] };
  }
  throw new SchemaError(`${where}: unknown type '${keys[0]}'`);
}

function base(t: NormalizedType): NormalizedType {
  return t.kind === 'optional' ? base(t.of) : t;
}

function checkConstraint(c: Constraint, t: NormalizedType, where: string): Constraint {
  if (!isRecord(c)) throw new SchemaError(`${where}: a constraint must be an object`);
  const kind = constraintKind(c);
  const b = base(t).kind;
  const value = (c as Record<string, unknown>)[kind];
  switch (kind) {
    case 'min':
    case 'max':
      if (!NUMERIC.has(b)) throw new SchemaError(`${where}: ${kind} applies to numbers, not ${b}`);
      if (!(typeof value === 'bigint' || (typeof value === 'number' && Number.isFinite(value)))) {
        throw new SchemaError(`${where}: ${kind} must be a finite number or bigint`);
      }
      return { [kind]: value } as Constraint;
    case 'minLength':
    case 'maxLength':
      if (!TEXTUAL.has(b) && b !== 'list' && b !== 'bytes')
        throw new SchemaError(`${where}: ${kind} applies to strings, lists and bytes, not ${b}`);
      if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
        throw new SchemaError(`${where}: ${kind} must be a non-negative integer`);
      return { [kind]: value } as Constraint;
    case 'nonEmpty':
      if (!TEXTUAL.has(b) && b !== 'list' && b !== 'bytes')
        throw new SchemaError(`${where}: nonEmpty applies to strings, lists and bytes, not ${b}`);
      if (value !== true) throw new SchemaError(`${where}: nonEmpty must be true`);
      return { nonEmpty: true };
    case 'regex':
      if (!TEXTUAL.has(b)) throw new SchemaError(`${where}: regex applies to strings, not ${b}`);
      compileSafeRegex(value as string, where);
      return { regex: value as string };
    case 'email':
    case 'url':
      if (b !== 'string') throw new SchemaError(`${where}: ${kind} applies to strings, not ${b}`);
      if (value !== true) throw new SchemaError(`${where}: ${kind} must be true`);
      return { [kind]: true } as Constraint;
    default:
      throw new SchemaError(`${where}: unknown constraint '${kind}'`);
  }
}

function normalizeFields(fields: readonly FieldDescriptor[], prefix: string): NormalizedField[] {
  if (!Array.isArray(fields)) throw new SchemaError(`${prefix || 'fields'}: fields must be an array`);
  const out: NormalizedField[] = [];
  const seen: string[][] = [];
  for (const raw of fields as readonly unknown[]) {
    if (!isRecord(raw)) throw new SchemaError(`${prefix}: each field is an object with path and type`);
    const f = raw as unknown as FieldDescriptor;
    const path = parsePath(f.path);
    const where = `${prefix}${pathText(path)}`;
    for (const other of seen) {
      const n = Math.min(other.length, path.length);
      if (other.slice(0, n).join('\u0000') === path.slice(0, n).join('\u0000')) {
        throw new SchemaError(`${where}: path collides with '${prefix}${pathText(other)}'`);
      }
    }
    seen.push(path);
    const type = normalizeType(f.type, where);
    const constraints = (f.constraints ?? []).map((c) => checkConstraint(c, type, where));
    const field: NormalizedField = { path, type, constraints };
    if (f.default !== undefined) field.default = f.default;
    out.push(field);
  }
  return out;
}

/** Resolve a path to the scalar type it names (through object fields); null when it is not one. */
export function scalarTypeAt(
  fields: readonly NormalizedField[],
  path: readonly string[],
): NormalizedType | null {
  for (const f of fields) {
    const n = f.path.length;
    if (path.length < n || f.path.some((s, i) => s !== path[i])) continue;
    const rest = path.slice(n);
    const b = base(f.type);
    if (rest.length === 0) return b.kind === 'object' || b.kind === 'list' ? null : f.type;
    if (b.kind !== 'object') return null;
    return scalarTypeAt(b.fields, rest);
  }
  return null;
}

export function normalizeCollection(
  name: string,
  fields: readonly FieldDescriptor[],
  primaryKey: string | readonly string[],
  indexes: readonly IndexDescriptor[] = [],
): CollectionSchema {
  if (typeof name !== 'string' || name.length === 0)
    throw new SchemaError('collection name must be a non-empty string');
  const nf = normalizeFields(fields, '');
  if (nf.length === 0) throw new SchemaError(`${name}: a collection needs at least one field`);
  const pk = parsePath(primaryKey);
  const pkField = nf.find((f) => pathText(f.path) === pathText(pk));
  if (!pkField) throw new SchemaError(`${name}: primary key '${pathText(pk)}' is not a declared field`);
  if (!PK_TYPES.has(pkField.type.kind)) {
    throw new SchemaError(
      `${name}: primary key '${pathText(pk)}' must be a non-optional int64, uint64, string, uuid, bytes or timestamp (got ${pkField.type.kind})`,
    );
  }
  if (!Array.isArray(indexes)) throw new SchemaError(`${name}: indexes must be an array`);
  const names = new Set<string>();
  const ni = (indexes as readonly unknown[]).map((raw): NormalizedIndex => {
    if (!isRecord(raw) || typeof raw.name !== 'string' || raw.name.length === 0)
      throw new SchemaError(`${name}: each index needs a name`);
    const ix = raw as unknown as IndexDescriptor;
    if (names.has(ix.name)) throw new SchemaError(`${name}: duplicate index name '${ix.name}'`);
    names.add(ix.name);
    if (ix.kind !== 'unique' && ix.kind !== 'index')
      throw new SchemaError(`${name}: index ${ix.name}: kind must be 'unique' or 'index'`);
    const path = parsePath(ix.path);
    if (!scalarTypeAt(nf, path))
      throw new SchemaError(`${name}: index ${ix.name}: '${pathText(path)}' is not a scalar field`);
    return { name: ix.name, path, kind: ix.kind };
  });
  return { name, fields: nf, primaryKey: pk, indexes: ni };
}
