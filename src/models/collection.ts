/**
 * The typed collection `db.register(model)` returns, and its typed query builder. Both are thin:
 * every write goes through Database.insert (the one validator and storage path), every query
 * through the untyped Query builder; what this layer adds is types, `'now'` defaults and
 * update(pk, patch).
 */
import type { Database } from '../database';
import { InterfaceError, ValidationError } from '../errors';
import type { Query, QueryRunOptions } from '../query';
import { isRecord } from '../../storage/schema/to-stored';
import { ABORT, merge, nowFiller, pick, sameValue } from './rows';
import type {
  AnyPath,
  AnyModel,
  Infer,
  InferInput,
  KeyOf,
  OutAt,
  ScalarPath,
  ShapeOf,
  ValueAt,
} from './model';
import type { Field, InOf, OutOf, Shape } from './fields';

type Row = Record<string, unknown>;

/** Operators a condition may use on a value type (strings add like/startsWith). */
export type OpFor<V> = [V] extends [string]
  ? '=' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | 'notIn' | 'between' | 'like' | 'startsWith'
  : [V] extends [boolean]
    ? '=' | '!=' | 'in' | 'notIn'
    : '=' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | 'notIn' | 'between';

/** The value an operator takes. */
export type OpValue<V, O> = O extends 'in' | 'notIn'
  ? readonly V[]
  : O extends 'between'
    ? readonly [V, V]
    : O extends 'like' | 'startsWith'
      ? string
      : V;

/** Paths whose value may be null (optional or nullable, or inside an optional object). */
export type NullablePath<S extends Shape> = {
  [P in ScalarPath<S>]: null extends OutAt<S, P> ? P : never;
}[ScalarPath<S>];

/** The typed where() of a model query: paths, operators and values follow the schema. */
export interface TypedWhere<S extends Shape, R> {
  <P extends ScalarPath<S>>(path: P, value: ValueAt<S, P>): ModelQuery<S, R>;
  <P extends ScalarPath<S>, O extends OpFor<ValueAt<S, P>>>(
    path: P,
    op: O,
    value: OpValue<ValueAt<S, P>, O>,
  ): ModelQuery<S, R>;
  <P extends NullablePath<S>>(path: P, op: 'isNull' | 'isNotNull'): ModelQuery<S, R>;
}

type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void
  ? I
  : never;
type Nest<P extends string, V> = P extends `${infer H}.${infer Rest}`
  ? { [K in H]: Nest<Rest, V> }
  : { [K in P]: V };
type DeepSimplify<T> = T extends Date | Buffer | readonly unknown[] | null
  ? T
  : T extends object
    ? { [K in keyof T]: DeepSimplify<T[K]> }
    : T;

/** The row type of `select(...paths)`: only those paths, in their nested shape. */
export type Projection<S extends Shape, P extends string> = DeepSimplify<
  UnionToIntersection<P extends string ? Nest<P, OutAt<S, P>> : never>
>;

type FieldShape<F> = F extends Field<unknown, unknown, boolean, infer Sh> ? Sh : undefined;
type PatchOf<F> =
  FieldShape<F> extends infer Sh extends Shape
    ? ShapePatch<Sh> | (null extends OutOf<F> ? null : never)
    : InOf<F>;
type ShapePatch<S extends Shape> = { -readonly [K in keyof S]?: PatchOf<S[K]> };

/** update()'s patch: any fields but the primary key, nested objects partially. */
export type Patch<M> = M extends { _types: { shape: infer S extends Shape; pk: infer K extends string } }
  ? Omit<ShapePatch<S>, K>
  : never;

/** A typed query over a model's collection. Immutable like Query: each method returns a new one. */
export class ModelQuery<S extends Shape, R> {
  /** @internal */
  constructor(private readonly q: Query) {}

  where<P extends ScalarPath<S>>(path: P, value: ValueAt<S, P>): ModelQuery<S, R>;
  where<P extends ScalarPath<S>, O extends OpFor<ValueAt<S, P>>>(
    path: P,
    op: O,
    value: OpValue<ValueAt<S, P>, O>,
  ): ModelQuery<S, R>;
  where<P extends NullablePath<S>>(path: P, op: 'isNull' | 'isNotNull'): ModelQuery<S, R>;
  where(path: string, opOrValue: unknown, value?: unknown): ModelQuery<S, R> {
    // The plain builder tells where(path, value) from where(path, op, value) by argument count.
    return new ModelQuery(
      arguments.length === 2 ? this.q.where(path, opOrValue) : this.q.where(path, opOrValue, value),
    );
  }

  orderBy(path: ScalarPath<S>, direction: 'asc' | 'desc' = 'asc'): ModelQuery<S, R> {
    return new ModelQuery(this.q.orderBy(path, direction));
  }

  limit(n: number): ModelQuery<S, R> {
    return new ModelQuery(this.q.limit(n));
  }

  offset(n: number): ModelQuery<S, R> {
    return new ModelQuery(this.q.offset(n));
  }

  /** Only these paths; the row type narrows to them. */
  select<const P extends readonly AnyPath<S>[]>(...paths: P): ModelQuery<S, Projection<S, P[number]>> {
    return new ModelQuery(this.q.select(paths));
  }

  /** `timeoutMs` limits the call (each pull for iterate()): see Query. */
  all(options?: QueryRunOptions): R[] {
    return this.q.all(options) as R[];
  }

  first(options?: QueryRunOptions): R | null {
    return this.q.first(options) as R | null;
  }

  iterate(options?: QueryRunOptions): Generator<R, void, undefined> {
    return this.q.iterate(options) as Generator<R, void, undefined>;
  }

  [Symbol.iterator](): Iterator<R> {
    return this.iterate();
  }

  count(options?: QueryRunOptions): number {
    return this.q.count(options);
  }

  explain(): string {
    return this.q.explain();
  }

  /** The untyped builder underneath (aggregate(), and/or conditions). */
  get untyped(): Query {
    return this.q;
  }
}

/** `db.register(model)`: the typed API of one collection. */
export class ModelCollection<M extends AnyModel> {
  readonly name: string;
  private readonly fill: (row: Row) => Row;

  /** For a subset model: the declared top-level fields, which reads are cut down to. */
  private readonly subset: readonly string[] | null;

  /** @internal Created by db.register(). */
  constructor(
    private readonly db: Database,
    readonly model: M,
    options: { subset?: boolean } = {},
  ) {
    this.name = model.name;
    this.fill = nowFiller(model.nowPaths);
    this.subset = options.subset === true ? Object.keys(model.shape) : null;
  }

  /** Insert a new row; an existing row with the same primary key is an IntegrityError. */
  insert(row: InferInput<M>): void {
    this.db.insert(this.name, this.fill(row as Row), ABORT);
  }

  /** Insert or replace by primary key. */
  upsert(row: InferInput<M>): 'inserted' | 'replaced' {
    if (this.subset)
      return this.db.transaction(() => this.db.insert(this.name, this.keepUndeclared(this.fill(row as Row))));
    return this.db.insert(this.name, this.fill(row as Row));
  }

  get(pk: KeyOf<M>): Infer<M> | null {
    const row = this.db.get(this.name, pk);
    return (this.subset && row ? pick(row, this.subset) : row) as Infer<M> | null;
  }

  /**
   * Change some fields of the row with key `pk` (nested objects merge, lists and other values are
   * replaced, `undefined` leaves a field as it is, null clears an optional one) and return the new
   * row, or null when there is no such row. Validated as a whole row, in one transaction.
   */
  update(pk: KeyOf<M>, patch: Patch<M>): Infer<M> | null {
    if (!isRecord(patch)) throw new InterfaceError('update: patch must be an object', 'BAD_OPTION');
    const key = this.model.primaryKey;
    return this.db.transaction(() => {
      const current = this.db.get(this.name, pk);
      if (current === null) return null;
      const next = merge(current, patch as Row);
      if (!sameValue(next[key], current[key]))
        throw new ValidationError(`${key}: update() cannot change the primary key`, key);
      this.db.insert(this.name, next);
      return this.get(pk) as Infer<M>;
    });
  }

  delete(pk: KeyOf<M>): boolean {
    return this.db.delete(this.name, pk);
  }

  /** A query over every row. */
  query(): ModelQuery<ShapeOf<M>, Infer<M>> {
    return new ModelQuery(this.base());
  }

  /** Every query starts here: a subset model reads its declared fields only. */
  private base(): Query {
    const q = this.db.collection(this.name);
    return this.subset ? q.select(this.subset) : q;
  }

  /** A subset model's write of an existing row keeps the fields the model does not declare. */
  private keepUndeclared(row: Row): Row {
    const key = row[this.model.primaryKey];
    const current = key === undefined || key === null ? null : this.db.get(this.name, key);
    if (!current) return row;
    const out: Row = { ...row };
    for (const k of Object.keys(current)) if (!this.subset?.includes(k)) out[k] = current[k];
    return out;
  }

  where<P extends ScalarPath<ShapeOf<M>>>(
    path: P,
    value: ValueAt<ShapeOf<M>, P>,
  ): ModelQuery<ShapeOf<M>, Infer<M>>;
  where<P extends ScalarPath<ShapeOf<M>>, O extends OpFor<ValueAt<ShapeOf<M>, P>>>(
    path: P,
    op: O,
    value: OpValue<ValueAt<ShapeOf<M>, P>, O>,
  ): ModelQuery<ShapeOf<M>, Infer<M>>;
  where<P extends NullablePath<ShapeOf<M>>>(
    path: P,
    op: 'isNull' | 'isNotNull',
  ): ModelQuery<ShapeOf<M>, Infer<M>>;
  where(path: string, opOrValue: unknown, value?: unknown): ModelQuery<ShapeOf<M>, Infer<M>> {
    const q = this.base();
    return new ModelQuery(
      arguments.length === 2 ? q.where(path, opOrValue) : q.where(path, opOrValue, value),
    );
  }

  select<const P extends readonly AnyPath<ShapeOf<M>>[]>(
    ...paths: P
  ): ModelQuery<ShapeOf<M>, Projection<ShapeOf<M>, P[number]>> {
    return this.query().select(...paths);
  }

  orderBy(path: ScalarPath<ShapeOf<M>>, direction: 'asc' | 'desc' = 'asc'): ModelQuery<ShapeOf<M>, Infer<M>> {
    return this.query().orderBy(path, direction);
  }

  limit(n: number): ModelQuery<ShapeOf<M>, Infer<M>> {
    return this.query().limit(n);
  }

  all(options?: QueryRunOptions): Infer<M>[] {
    return this.query().all(options);
  }

  iterate(options?: QueryRunOptions): Generator<Infer<M>, void, undefined> {
    return this.query().iterate(options);
  }

  count(options?: QueryRunOptions): number {
    return this.query().count(options);
  }

  explain(): string {
    return this.query().explain();
  }
}
