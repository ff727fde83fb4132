/**
 * CHECK constraints kept as SQL (CollectionSchema.checks): evaluated on every written row, after
 * its generated columns, by SQL and the typed API alike; a false result throws IntegrityError
 * CHECK. Storage cannot evaluate SQL (imports go parser -> planner -> storage), so the SQL layer
 * registers the compiler here (parser/check-sql.ts, installed by parser/sql-hooks.ts).
 */
import { SchemaError } from '../src/errors';
import type { CompiledSchema } from './schema/compile';
import type { CollectionSchema } from './schema/normalize';

/** Throws IntegrityError CHECK when the stored row breaks one of the table's CHECKs. */
export type RowCheck = (row: readonly unknown[]) => void;

export type CheckCompiler = (schema: CollectionSchema, compiled: CompiledSchema) => RowCheck;

let compiler: CheckCompiler | null = null;

/** Set by the SQL layer (parser/check-sql.ts). */
export function setCheckCompiler(c: CheckCompiler): void {
  compiler = c;
}

/** The CHECKs of `schema` (which has at least one), compiled. */
export function compileChecks(schema: CollectionSchema, compiled: CompiledSchema): RowCheck {
  if (compiler === null)
    throw new SchemaError(`table ${schema.name} has CHECK constraints, which need the SQL layer loaded`);
  return compiler(schema, compiled);
}
