/**
 * model(): a typed model is a name, a shape of `t` fields, a primary key and indexes. It maps to
 * the ordinary registerCollection descriptors (so storage, validation, SQL and the catalog see a
 * plain collection) and carries the shape's types for the typed collection and its queries.
 */
import type { FieldDescriptor, IndexDescriptor, TypeDescriptor } from '../../storage/schema/descriptors';
import { SchemaError } from '../errors';
import type { AnyField, IndexSpec, InOf, OutOf, Shape, ShapeIn, ShapeOut } from './fields';
import type { Field } from './fields';

/** The registerCollection arguments a model stands for. */
export interface ModelDescriptor {
  readonly name: string;
  readonly fields: readonly FieldDescriptor[];
  readonly primaryKey: string;
  readonly indexes: readonly IndexDescriptor[];
}

export class Model<Name extends string, S extends Shape, PK extends string> {
  /** Type-level only. */
  declare readonly _types: { shape: S; pk: PK };
  /** Paths (through objects) of `t.timestamp().default('now')` fields, filled in on write. */
  readonly nowPaths: readonly (readonly string[])[];

  /** @internal Use model() or fromZod(). */
  constructor(
    readonly name: Name,
    readonly shape: S,
    readonly primaryKey: PK,
    readonly descriptor: ModelDescriptor,
  ) {
    this.nowPaths = collectNowPaths(shape, []);
    Object.freeze(this);
  }
}

/** Any model. */
export type AnyModel = Model<string, Shape, string>;

/** The shape of a model. */
export type ShapeOf<M> = M extends Model<string, infer S, string> ? S : never;

/** What a read of model `M` returns. */
export type Infer<M> = M extends Model<string, infer S, string> ? ShapeOut<S> : never;

/** What a write of model `M` accepts (optional and defaulted fields may be left out). */
export type InferInput<M> = M extends Model<string, infer S, string> ? ShapeIn<S> : never;

/** The primary key value of model `M`. */
export type KeyOf<M> =
  M extends Model<string, infer S, infer K> ? (K extends keyof S ? InOf<S[K]> : never) : never;

/** Fields that can be a primary key: required, never null, of a key type. */
export type KeyField<S extends Shape> = {
  [K in keyof S & string]: S[K] extends Field<infer O, unknown, false, undefined>
    ? O extends string | number | Date | Buffer
      ? K
      : never
    : never;
}[keyof S & string];

type FieldShape<F> = F extends Field<unknown, unknown, boolean, infer Sh> ? Sh : undefined;

/** Dotted paths to the scalar (indexable, comparable) fields of a shape, through objects. */
export type ScalarPath<S extends Shape> = {
  [K in keyof S & string]: FieldShape<S[K]> extends infer Sh extends Shape
    ? `${K}.${ScalarPath<Sh>}`
    : NonNullable<OutOf<S[K]>> extends readonly unknown[]
      ? never
      : K;
}[keyof S & string];

/** Every dotted path of a shape: scalars, objects and lists. */
export type AnyPath<S extends Shape> = {
  [K in keyof S & string]: FieldShape<S[K]> extends infer Sh extends Shape ? K | `${K}.${AnyPath<Sh>}` : K;
}[keyof S & string];

/** The field at a dotted path. */
export type FieldAt<S extends Shape, P extends string> = P extends keyof S
  ? S[P]
  : P extends `${infer H}.${infer R}`
    ? H extends keyof S
      ? FieldShape<S[H]> extends infer Sh extends Shape
        ? FieldAt<Sh, R>
        : never
      : never
    : never;

/** What a read gives at a dotted path: null too when an enclosing object may be null. */
export type OutAt<S extends Shape, P extends string> = P extends keyof S
  ? OutOf<S[P]>
  : P extends `${infer H}.${infer R}`
    ? H extends keyof S
      ? FieldShape<S[H]> extends infer Sh extends Shape
        ? null extends OutOf<S[H]>
          ? OutAt<Sh, R> | null
          : OutAt<Sh, R>
        : never
      : never
    : never;

/** The value a condition on a path compares with (never null: use 'isNull'). */
export type ValueAt<S extends Shape, P extends string> = Exclude<InOf<FieldAt<S, P>>, null | undefined>;

/** Options of model(). */
export interface ModelOptions<S extends Shape, PK extends string> {
  primaryKey: PK;
  indexes?: readonly IndexSpec<ScalarPath<S>>[];
}

/**
 * A typed model: `model('users', { id: t.int64(), email: t.string().email() }, { primaryKey: 'id' })`.
 * Bad declarations (a key that is not a required scalar, a constraint the type does not take) are
 * SchemaErrors here, or at register() for what only the schema normalizer checks.
 */
export function model<const Name extends string, S extends Shape, const PK extends KeyField<S>>(
  name: Name,
  fields: S,
  options: ModelOptions<S, PK>,
): Model<Name, S, PK> {
  if (typeof name !== 'string' || name.length === 0)
    throw new SchemaError('model: name must be a non-empty string');
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields))
    throw new SchemaError(`${name}: fields must be an object of t.* fields`);
  if (typeof options !== 'object' || options === null)
    throw new SchemaError(`${name}: options with a primaryKey are required`);
  return buildModel(name, fields, options.primaryKey, options.indexes ?? []);
}

/** @internal Shared by model() and fromZod(). */
export function buildModel<Name extends string, S extends Shape, PK extends string>(
  name: Name,
  fields: S,
  primaryKey: PK,
  indexes: readonly IndexSpec[],
): Model<Name, S, PK> {
  const pkField = Object.prototype.hasOwnProperty.call(fields, primaryKey) ? fields[primaryKey] : undefined;
  if (typeof primaryKey !== 'string' || !pkField)
    throw new SchemaError(`${name}: primary key '${String(primaryKey)}' is not a field of the model`);
  if (pkField.spec.optional || pkField.spec.hasDefault)
    throw new SchemaError(
      `${name}: primary key '${primaryKey}' cannot be optional, nullable or have a default`,
    );
  if (!Array.isArray(indexes)) throw new SchemaError(`${name}: indexes must be an array`);
  const descriptor: ModelDescriptor = {
    name,
    fields: shapeFields(fields, ''),
    primaryKey,
    indexes: indexes.map((ix) => {
      if (typeof ix !== 'object' || ix === null || typeof ix.path !== 'string')
        throw new SchemaError(`${name}: each index is t.unique(path) or t.index(path)`);
      return { name: ix.name ?? `${name}_${ix.path.replace(/\./g, '_')}`, path: ix.path, kind: ix.kind };
    }),
  };
  return new Model(name, fields, primaryKey, descriptor);
}

function isField(f: unknown): f is AnyField {
  return typeof f === 'object' && f !== null && 'spec' in f && typeof (f as AnyField).spec === 'object';
}

function shapeFields(shape: Shape, prefix: string): FieldDescriptor[] {
  const out: FieldDescriptor[] = [];
  for (const key of Object.keys(shape)) {
    const where = `${prefix}${key}`;
    if (key.length === 0 || key.includes('.'))
      throw new SchemaError(`${where}: a model field name must be non-empty and contain no '.'`);
    const f = shape[key];
    if (!isField(f)) throw new SchemaError(`${where}: not a field (use t.string(), t.int64(), ...)`);
    out.push(fieldDescriptor(key, f, where));
  }
  return out;
}

function fieldDescriptor(key: string, f: AnyField, where: string): FieldDescriptor {
  const base = baseType(f, where);
  const d: FieldDescriptor = { path: key, type: f.spec.optional ? { optional: base } : base };
  const out = d as { -readonly [K in keyof FieldDescriptor]: FieldDescriptor[K] };
  if (f.spec.constraints.length) out.constraints = [...f.spec.constraints];
  if (f.spec.defaultNow) out.defaultSql = 'CURRENT_TIMESTAMP';
  else if (f.spec.hasDefault) out.default = f.spec.default;
  const g = f.spec.generated;
  if (g) out.generated = g.stored ? { sql: g.sql, stored: true } : { sql: g.sql };
  return d;
}

function baseType(f: AnyField, where: string): TypeDescriptor {
  const { shape, element } = f.spec;
  if (shape) return { object: shapeFields(shape, `${where}.`) };
  if (element) {
    const e = element.spec;
    if (e.constraints.length)
      throw new SchemaError(
        `${where}[]: constraints on list elements are not supported (constrain the list itself)`,
      );
    if (e.hasDefault) throw new SchemaError(`${where}[]: a list element cannot have a default`);
    const inner = baseType(element, `${where}[]`);
    return { list: e.optional ? { optional: inner } : inner };
  }
  return f.spec.type;
}

function collectNowPaths(shape: Shape, prefix: readonly string[]): string[][] {
  const out: string[][] = [];
  for (const key of Object.keys(shape)) {
    const f = shape[key];
    if (!isField(f)) continue;
    if (f.spec.defaultNow) out.push([...prefix, key]);
    if (f.spec.shape) out.push(...collectNowPaths(f.spec.shape, [...prefix, key]));
  }
  return out;
}
