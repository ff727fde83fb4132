/**
 * The `t` field builder of typed models. A field is an immutable value that carries two things:
 * at run time a small spec (the storage type descriptor, its constraints, its default) that
 * model() turns into an ordinary `registerCollection` field descriptor; at compile time the types
 * of what a read returns (`Out`), what a write accepts (`In`), whether a write may leave the key out
 * (`Opt`) and, for objects, the nested shape (`Sh`) that paths and projections walk.
 */
import type { Constraint, TypeDescriptor } from '../../storage/schema/descriptors';
import { SchemaError } from '../errors';

/** What model() needs to build a field descriptor. */
export interface FieldSpec {
  /** The type without the optional wrapper. */
  readonly type: TypeDescriptor;
  readonly constraints: readonly Constraint[];
  /** null and absent are accepted (stored as null, read back as null). */
  readonly optional: boolean;
  readonly hasDefault: boolean;
  readonly default?: unknown;
  /** `t.timestamp().default('now')`: the typed API fills in the current time, SQL uses CURRENT_TIMESTAMP. */
  readonly defaultNow?: boolean;
  /** `.generated(sql)`: computed from the row by SQL on every write (FieldDescriptor.generated). */
  readonly generated?: { readonly sql: string; readonly stored: boolean };
  /** The nested fields of `t.object(...)` (also for an optional object). */
  readonly shape?: Shape;
  /** The element of `t.list(...)`. */
  readonly element?: AnyField;
}

/** Any field, whatever its types. */
// The phantom parameters are only read by the inference types; `unknown` keeps them unconstrained.
export type AnyField = Field<unknown, unknown, boolean, Shape | undefined>;

/** The fields of a model or of `t.object(...)`, by name. */
export type Shape = { readonly [name: string]: AnyField };

export class Field<Out, In = Out, Opt extends boolean = false, Sh extends Shape | undefined = undefined> {
  /** Type-level only: never set at run time. */
  declare readonly _types: { out: Out; in: In; opt: Opt; shape: Sh };

  constructor(readonly spec: FieldSpec) {}

  /** The key may be left out (or null) on write; a read gives null for it. */
  optional(): Field<Out | null, In | null | undefined, true, Sh> {
    return new Field({ ...this.spec, optional: true });
  }

  /** null is accepted on write (as is leaving the key out); a read gives null for it. */
  nullable(): Field<Out | null, In | null, Opt, Sh> {
    return new Field({ ...this.spec, optional: true });
  }

  /** Used when a write leaves the key out; reads always have a value. */
  default(value: Exclude<In, null | undefined>): Field<Exclude<Out, null>, In | undefined, true, Sh> {
    return new Field({ ...this.spec, hasDefault: true, default: value });
  }

  /**
   * A generated column: computed from the row's other fields by the SQL expression `sql` on every
   * write (as SQL's `AS (expr)`), so a write leaves the key out (a value given is replaced).
   * Top-level fields only; `stored` records SQL's STORED keyword (both kinds are kept in the row).
   */
  generated(sql: string, opts: { stored?: boolean } = {}): Field<Out, undefined, true, Sh> {
    return new Field({ ...this.spec, generated: { sql, stored: opts.stored === true } });
  }

  protected with(c: Constraint): this {
    const Ctor = this.constructor as new (spec: FieldSpec) => this;
    return new Ctor({ ...this.spec, constraints: [...this.spec.constraints, c] });
  }
}

export class StringField<Out extends string = string> extends Field<Out> {
  email(): this {
    return this.with({ email: true });
  }
  url(): this {
    return this.with({ url: true });
  }
  /** The pattern's source is stored (flags are not supported); see docs/models.md on regex safety. */
  regex(pattern: RegExp | string): this {
    return this.with({ regex: typeof pattern === 'string' ? pattern : regexSource(pattern) });
  }
  /** Minimum length in UTF-16 code units. */
  min(n: number): this {
    return this.with({ minLength: n });
  }
  max(n: number): this {
    return this.with({ maxLength: n });
  }
  nonEmpty(): this {
    return this.with({ nonEmpty: true });
  }
}

export class NumberField<In = number> extends Field<number, In> {
  min(n: number | bigint): this {
    return this.with({ min: n });
  }
  max(n: number | bigint): this {
    return this.with({ max: n });
  }
}

export class ListField<E extends AnyField> extends Field<ElementOut<E>[], readonly ElementIn<E>[]> {
  min(n: number): this {
    return this.with({ minLength: n });
  }
  max(n: number): this {
    return this.with({ maxLength: n });
  }
  nonEmpty(): this {
    return this.with({ nonEmpty: true });
  }
}

export class TimestampField extends Field<Date> {
  /** `'now'`: the time of the write (the typed API) or CURRENT_TIMESTAMP (SQL). */
  override default(value: Date | 'now'): Field<Date, Date | undefined, true, undefined> {
    if (value === 'now') return new Field({ ...this.spec, hasDefault: true, defaultNow: true });
    return super.default(value);
  }
}

type ElementOut<E> = E extends Field<infer O, unknown, boolean, Shape | undefined> ? O : never;
type ElementIn<E> = E extends Field<unknown, infer I, boolean, Shape | undefined> ? I : never;

/** A model's index declaration: t.unique('email'), t.index('profile.timezone'). */
export interface IndexSpec<P extends string = string> {
  readonly path: P;
  readonly kind: 'unique' | 'index';
  /** Defaults to `<model>_<path with dots as underscores>`. */
  readonly name?: string;
}

function regexSource(re: RegExp): string {
  // Stored constraints are a pattern source only: a flag would be silently dropped.
  if (re.flags !== '') throw new SchemaError(`regex /${re.source}/${re.flags}: flags are not supported`);
  return re.source;
}

function spec(type: TypeDescriptor, extra: Partial<FieldSpec> = {}): FieldSpec {
  return { type, constraints: [], optional: false, hasDefault: false, ...extra };
}

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/** The field builder. */
export const t = {
  /** A 64-bit signed integer: a number on read (bigint with safeIntegers), number or bigint on write. */
  int64: (): NumberField<number | bigint> => new NumberField(spec('int64')),
  /** An int64 limited to the 32-bit range (a min/max constraint). */
  int32: (): NumberField<number> =>
    new NumberField(spec('int64', { constraints: [{ min: INT32_MIN }, { max: INT32_MAX }] })),
  uint64: (): NumberField<number | bigint> => new NumberField(spec('uint64')),
  float64: (): NumberField<number> => new NumberField(spec('float64')),
  string: (): StringField => new StringField(spec('string')),
  /** A UUID as its canonical lower-case string. */
  uuid: (): StringField => new StringField(spec('uuid')),
  bool: (): Field<boolean> => new Field(spec('bool')),
  /** Bytes: a Buffer on read, a Buffer or Uint8Array on write. */
  bytes: (): Field<Buffer, Uint8Array> => new Field(spec('bytes')),
  timestamp: (): TimestampField => new TimestampField(spec('timestamp')),
  object: <S extends Shape>(shape: S): Field<ShapeOut<S>, ShapeIn<S>, false, S> =>
    new Field(spec({ object: [] }, { shape })),
  list: <E extends AnyField>(element: E): ListField<E> =>
    new ListField(spec({ list: 'string' }, { element })),
  enum: <const V extends readonly [string, ...string[]]>(values: V): StringField<V[number]> =>
    new StringField<V[number]>(spec({ enum: [...values] })),
  unique: <const P extends string>(path: P, options: { name?: string } = {}): IndexSpec<P> => ({
    path,
    kind: 'unique',
    ...options,
  }),
  index: <const P extends string>(path: P, options: { name?: string } = {}): IndexSpec<P> => ({
    path,
    kind: 'index',
    ...options,
  }),
};

// ───────────────────────── inference ─────────────────────────

type Simplify<T> = { [K in keyof T]: T[K] } & {};

export type OutOf<F> = F extends Field<infer O, unknown, boolean, Shape | undefined> ? O : never;
export type InOf<F> = F extends Field<unknown, infer I, boolean, Shape | undefined> ? I : never;
type IsOpt<F> = F extends Field<unknown, unknown, infer O, Shape | undefined> ? O : never;

/** What a read returns for a shape: every key present (null for an absent optional value). */
export type ShapeOut<S extends Shape> = Simplify<{ -readonly [K in keyof S]: OutOf<S[K]> }>;

/** What a write accepts for a shape: optional and defaulted keys may be left out. */
export type ShapeIn<S extends Shape> = Simplify<
  { -readonly [K in keyof S as IsOpt<S[K]> extends true ? never : K]: InOf<S[K]> } & {
    -readonly [K in keyof S as IsOpt<S[K]> extends true ? K : never]?: InOf<S[K]>;
  }
>;
