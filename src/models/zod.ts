/**
 * fromZod(): a model from a zod (v4) object schema. Nothing here imports zod: the schema is read
 * through its documented introspection (`schema._zod.def`: `type`, `shape`, `innerType`, `element`,
 * `entries`, `format`, `checks`), and mapped onto the same `t` fields model() uses, so a zod model
 * and the equivalent builder model register the same collection and behave identically. The
 * rules are ModelVault's (its validator runs on write), not zod's: see docs/models.md.
 */
import type { Constraint, TypeDescriptor } from '../../storage/schema/descriptors';
import { SchemaError } from '../errors';
import { Field } from './fields';
import type {
  AnyField,
  FieldSpec,
  IndexSpec,
  ListField,
  NumberField,
  Shape,
  ShapeIn,
  ShapeOut,
  StringField,
  TimestampField,
} from './fields';
import { buildModel } from './model';
import type { KeyField, Model, ScalarPath } from './model';

// ───────────────────────── types ─────────────────────────

type ZDef<Z> = Z extends { _zod: { def: infer D } } ? D : never;
type FieldParts<F> = F extends Field<infer O, infer I, infer Opt, infer Sh> ? [O, I, Opt, Sh] : never;

type Optional<F> =
  FieldParts<F> extends [infer O, infer I, boolean, infer Sh extends Shape | undefined]
    ? Field<O | null, I | null | undefined, true, Sh>
    : never;
type Nullable<F> =
  FieldParts<F> extends [infer O, infer I, infer Opt extends boolean, infer Sh extends Shape | undefined]
    ? Field<O | null, I | null, Opt, Sh>
    : never;
type Defaulted<F> =
  FieldParts<F> extends [infer O, infer I, boolean, infer Sh extends Shape | undefined]
    ? Field<Exclude<O, null>, I | undefined, true, Sh>
    : never;

type ListOf<F> = F extends AnyField ? ListField<F> : never;
type ObjectField<M> = M extends Shape ? Field<ShapeOut<M>, ShapeIn<M>, false, M> : never;

/** The `t` field a zod schema maps to (never for what fromZod refuses). */
export type FieldOfZod<Z> = 0 extends 1 & Z
  ? AnyField // an untyped schema (z.ZodObject's default shape holds `any`)
  : ZDef<Z> extends { type: 'optional'; innerType: infer I }
    ? Optional<FieldOfZod<I>>
    : ZDef<Z> extends { type: 'nullable'; innerType: infer I }
      ? Nullable<FieldOfZod<I>>
      : ZDef<Z> extends { type: 'default'; innerType: infer I }
        ? Defaulted<FieldOfZod<I>>
        : ZDef<Z> extends { type: 'readonly'; innerType: infer I }
          ? FieldOfZod<I>
          : ZDef<Z> extends { type: 'object'; shape: infer Sh }
            ? ObjectField<ShapeOfZod<Sh>>
            : ZDef<Z> extends { type: 'array'; element: infer E }
              ? ListOf<FieldOfZod<E>>
              : ZDef<Z> extends { type: 'enum'; entries: infer E }
                ? StringField<E[keyof E] & string>
                : ZDef<Z> extends { type: 'string' }
                  ? StringField
                  : ZDef<Z> extends { type: 'number' }
                    ? NumberField<number>
                    : ZDef<Z> extends { type: 'bigint' }
                      ? NumberField<number | bigint>
                      : ZDef<Z> extends { type: 'boolean' }
                        ? Field<boolean>
                        : ZDef<Z> extends { type: 'date' }
                          ? TimestampField
                          : never;

/** The model shape of a zod object's shape. */
export type ShapeOfZod<Sh> = { -readonly [K in keyof Sh & string]: FieldOfZod<Sh[K]> };

/** A zod object schema (anything with `_zod.def.type === 'object'`). */
export interface ZodObjectLike {
  readonly _zod: { readonly def: { readonly type: 'object'; readonly shape: object } };
}

export type ZodModelShape<Z> = Z extends { _zod: { def: { shape: infer Sh } } } ? ShapeOfZod<Sh> : never;

export interface FromZodOptions<S extends Shape, N extends string, PK extends string> {
  name: N;
  primaryKey: PK;
  indexes?: readonly IndexSpec<ScalarPath<S>>[];
}

// ───────────────────────── run time ─────────────────────────

interface Def {
  type?: unknown;
  format?: unknown;
  check?: unknown;
  checks?: readonly unknown[];
  innerType?: unknown;
  shape?: unknown;
  element?: unknown;
  entries?: unknown;
  catchall?: unknown;
  defaultValue?: unknown;
  pattern?: unknown;
  minimum?: unknown;
  maximum?: unknown;
  length?: unknown;
  value?: unknown;
  inclusive?: unknown;
}

function defOf(schema: unknown, path: string): Def {
  const z = (schema as { _zod?: { def?: unknown } } | null)?._zod;
  if (typeof z !== 'object' || z === null || typeof z.def !== 'object' || z.def === null)
    throw new SchemaError(`${path}: not a zod (v4) schema`, 'SCHEMA', { path });
  return z.def as Def;
}

/**
 * A model from a zod object schema: `fromZod(z.object({ id: z.int(), email: z.email() }),
 * { name: 'users', primaryKey: 'id' })`. A zod feature with no storage equivalent (unions,
 * transforms, refinements, literals, records, string formats other than email/url/uuid/regex, ...)
 * is a SchemaError naming its path.
 */
export function fromZod<
  Z extends ZodObjectLike,
  const N extends string,
  const PK extends KeyField<ZodModelShape<Z>>,
>(schema: Z, options: FromZodOptions<ZodModelShape<Z>, N, PK>): Model<N, ZodModelShape<Z>, PK> {
  if (typeof options !== 'object' || options === null || typeof options.name !== 'string')
    throw new SchemaError('fromZod: options with a name and a primaryKey are required');
  const def = defOf(schema, options.name);
  if (def.type !== 'object') throw new SchemaError(`${options.name}: fromZod needs a z.object(...) schema`);
  const shape = objectShape(def, '');
  return buildModel(options.name, shape as ZodModelShape<Z>, options.primaryKey, options.indexes ?? []);
}

function unsupported(path: string, what: string): never {
  throw new SchemaError(`${path}: ${what} is not supported by fromZod`, 'SCHEMA', { path });
}

function objectShape(def: Def, prefix: string): Shape {
  const where = prefix.replace(/\.$/, '') || 'object';
  if (def.catchall !== undefined && defOf(def.catchall, where).type !== 'never')
    unsupported(where, 'an object with a catchall (looseObject, passthrough)');
  if ((def.checks ?? []).length) unsupported(where, 'a refinement on an object');
  const shape = def.shape;
  if (typeof shape !== 'object' || shape === null) throw new SchemaError(`${where}: object without a shape`);
  const out: Record<string, AnyField> = {};
  for (const key of Object.keys(shape))
    out[key] = zodField((shape as Record<string, unknown>)[key], `${prefix}${key}`);
  return out;
}

function zodField(schema: unknown, path: string): AnyField {
  const def = defOf(schema, path);
  switch (def.type) {
    case 'optional':
    case 'nullable': {
      const inner = zodField(def.innerType, path);
      if (inner.spec.optional) return inner;
      return new Field({ ...inner.spec, optional: true });
    }
    case 'default': {
      const inner = zodField(def.innerType, path);
      const value = def.defaultValue;
      if (typeof value === 'function') unsupported(path, 'a default computed by a function');
      return new Field({ ...inner.spec, hasDefault: true, default: value });
    }
    case 'readonly':
      return zodField(def.innerType, path);
    case 'object':
      return new Field(spec({ object: [] }, [], { shape: objectShape(def, `${path}.`) }));
    case 'array': {
      const element = zodField(def.element, `${path}[]`);
      return new Field(spec({ list: 'string' }, lengthChecks(def, path, 'an array'), { element }));
    }
    case 'enum': {
      const values = Object.values((def.entries ?? {}) as Record<string, unknown>);
      if (values.length === 0 || !values.every((v) => typeof v === 'string'))
        unsupported(path, 'an enum with non-string values');
      refuseChecks(def, path, 'an enum');
      return new Field(spec({ enum: values as string[] }));
    }
    case 'string':
      return stringField(def, path);
    case 'number':
      return numberField(def, path);
    case 'bigint':
      return new Field(spec('int64', boundChecks(def, path, true)));
    case 'boolean':
      refuseChecks(def, path, 'a boolean');
      return new Field(spec('bool'));
    case 'date':
      refuseChecks(def, path, 'a date (min/max)');
      return new Field(spec('timestamp'));
    default:
      return unsupported(path, `zod type '${String(def.type)}'`);
  }
}

function spec(
  type: TypeDescriptor,
  constraints: Constraint[] = [],
  extra: Partial<FieldSpec> = {},
): FieldSpec {
  return { type, constraints, optional: false, hasDefault: false, ...extra };
}

/** The check definitions of a schema: its `checks`, and the schema itself when it is a format (z.email()). */
function checksOf(def: Def): Def[] {
  const out = (def.checks ?? []).map((c) => defOf(c, 'check'));
  if (def.check !== undefined) out.unshift(def);
  return out;
}

function refuseChecks(def: Def, path: string, what: string): void {
  const c = checksOf(def)[0];
  if (c) unsupported(path, `check '${String(c.check)}' on ${what}`);
}

function lengthChecks(def: Def, path: string, what: string): Constraint[] {
  const out: Constraint[] = [];
  for (const c of checksOf(def)) {
    if (c.check === 'min_length') out.push({ minLength: c.minimum as number });
    else if (c.check === 'max_length') out.push({ maxLength: c.maximum as number });
    else if (c.check === 'length_equals')
      out.push({ minLength: c.length as number }, { maxLength: c.length as number });
    else unsupported(path, `check '${String(c.check)}' on ${what}`);
  }
  return out;
}

function stringField(def: Def, path: string): AnyField {
  let type: TypeDescriptor = 'string';
  const out: Constraint[] = [];
  for (const c of checksOf(def)) {
    if (c.check === 'min_length') out.push({ minLength: c.minimum as number });
    else if (c.check === 'max_length') out.push({ maxLength: c.maximum as number });
    else if (c.check === 'length_equals')
      out.push({ minLength: c.length as number }, { maxLength: c.length as number });
    else if (c.check === 'string_format' && c.format === 'email') out.push({ email: true });
    else if (c.check === 'string_format' && c.format === 'url') out.push({ url: true });
    else if (c.check === 'string_format' && (c.format === 'uuid' || c.format === 'guid')) type = 'uuid';
    else if (c.check === 'string_format' && c.format === 'regex') {
      const re = c.pattern;
      if (!(re instanceof RegExp)) unsupported(path, 'a regex check without a pattern');
      if (re.flags !== '') unsupported(path, `regex flags (/${re.source}/${re.flags})`);
      out.push({ regex: re.source });
    } else if (c.check === 'string_format') unsupported(path, `string format '${String(c.format)}'`);
    else unsupported(path, `check '${String(c.check)}' on a string`);
  }
  return new Field(spec(type, out));
}

const INT_FORMATS: Record<string, [number, number] | null> = {
  safeint: null,
  int32: [-(2 ** 31), 2 ** 31 - 1],
  uint32: [0, 2 ** 32 - 1],
};

function numberField(def: Def, path: string): AnyField {
  let integer = false;
  const bounds: Constraint[] = [];
  const checks = checksOf(def);
  for (const c of checks) {
    if (c.check !== 'number_format') continue;
    const f = String(c.format);
    if (f === 'float64') continue;
    if (!(f in INT_FORMATS)) unsupported(path, `number format '${f}'`);
    integer = true;
    const range = INT_FORMATS[f];
    if (range) bounds.push({ min: range[0] }, { max: range[1] });
  }
  const rest: Def = {
    ...def,
    check: undefined,
    checks: (def.checks ?? []).filter((c) => defOf(c, path).check !== 'number_format'),
  };
  return new Field(spec(integer ? 'int64' : 'float64', [...bounds, ...boundChecks(rest, path, integer)]));
}

/** greater_than / less_than as min / max; an exclusive bound only on integers (as bound ± 1). */
function boundChecks(def: Def, path: string, integer: boolean): Constraint[] {
  const out: Constraint[] = [];
  for (const c of checksOf(def)) {
    if (c.check !== 'greater_than' && c.check !== 'less_than')
      unsupported(path, `check '${String(c.check)}' on a number`);
    let v = c.value as number | bigint;
    if (c.inclusive !== true) {
      if (!integer) unsupported(path, 'an exclusive bound (gt/lt, positive/negative) on a float');
      const up = c.check === 'greater_than';
      if (typeof v === 'bigint') v = up ? v + 1n : v - 1n;
      // x > 2.5 on integers is x >= 3; x > 2 is x >= 3.
      else v = up ? Math.floor(v) + 1 : Math.ceil(v) - 1;
    }
    out.push(c.check === 'greater_than' ? { min: v } : { max: v });
  }
  return out;
}
