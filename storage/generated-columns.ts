/**
 * Generated columns (SQL `b AS (a * 2) [STORED|VIRTUAL]`, NormalizedField.generated): a row's
 * generated values are SQL evaluated on the row's other columns, on every write (SQL and the typed
 * API), before the row is validated and stored; both kinds are kept in the stored row, so reads,
 * indexes and replay need nothing more. Storage cannot parse or evaluate SQL (imports go parser ->
 * planner -> storage), so the SQL layer registers the compiler here (parser/generated-sql.ts,
 * installed with the index compiler by every Database open), as it does for expression indexes.
 */
import { SchemaError } from '../src/errors';
import type { CompiledSchema } from './schema/compile';
import type { CollectionSchema } from './schema/normalize';

/** How a table computes its generated columns. */
export interface GeneratedColumns {
  /** The generated columns, in an order where each is computed after those it reads. */
  readonly order: readonly number[];
  /**
   * Per entry of `order`: the column's value for a stored row whose earlier generated columns are
   * filled in, as a typed value of the field (stored form not yet applied); DataError when the
   * expression's value cannot be the column's type.
   */
  readonly values: readonly ((row: readonly unknown[]) => unknown)[];
}

export type GeneratedCompiler = (schema: CollectionSchema, compiled: CompiledSchema) => GeneratedColumns;

let compiler: GeneratedCompiler | null = null;

/** Set by the SQL layer (parser/generated-sql.ts). */
export function setGeneratedCompiler(c: GeneratedCompiler): void {
  compiler = c;
}

/** The generated columns of `schema` (which has at least one), compiled. */
export function compileGenerated(schema: CollectionSchema, compiled: CompiledSchema): GeneratedColumns {
  if (compiler === null)
    throw new SchemaError(`table ${schema.name} has generated columns, which need the SQL layer loaded`);
  return compiler(schema, compiled);
}
