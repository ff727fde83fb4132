/**
 * Typed models: the `t` builder, model(), fromZod(), the typed collection and the type emitter.
 * @module
 */
export { t, Field, StringField, NumberField, ListField, TimestampField } from './fields';
export type { AnyField, Shape, IndexSpec, ShapeIn, ShapeOut, OutOf, InOf } from './fields';
export { model, Model } from './model';
export type {
  AnyModel,
  Infer,
  InferInput,
  KeyOf,
  ModelOptions,
  ModelDescriptor,
  ScalarPath,
  AnyPath,
  OutAt,
  ValueAt,
  FieldAt,
} from './model';
export { ModelCollection, ModelQuery } from './collection';
export type { TypedWhere, OpFor, OpValue, Projection, Patch, NullablePath } from './collection';
export { fromZod } from './zod';
export type { FieldOfZod, ShapeOfZod, ZodObjectLike, ZodModelShape, FromZodOptions } from './zod';
export { emitTypes } from './emit-types';
export type { EmitTypesOptions } from './emit-types';
export { plan, apply } from './migrate';
