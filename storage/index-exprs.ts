/**
 * Partial indexes (`CREATE INDEX … WHERE expr`) and indexes on expressions (`ON t(lower(name))`):
 * their catalog entry keeps the CREATE INDEX text (NormalizedIndex.sql), and a row's key and
 * whether the index holds the row are SQL evaluated on the stored row. Storage cannot parse or
 * evaluate SQL (imports go parser -> planner -> storage), so the layer that can registers the
 * compiler here (parser/index-sql.ts installIndexSql, called by every Database open); every writer,
 * replay and rebuild then reads keys the same way.
 */
import { SchemaError } from '../src/errors';
import type { CompiledSchema } from './schema/compile';
import type { CollectionSchema, NormalizedIndex } from './schema/normalize';

/**
 * The key a partial index gives a row its WHERE does not accept: the index holds no entry for it.
 * Every place that reads an index key (writes, replay, rebuilds, conflict checks) skips it.
 */
export const NOT_INDEXED: unique symbol = Symbol('not indexed');

/** How a partial or expression index reads a stored row (already at the schema's width). */
export interface IndexRowFunctions {
  /** The key: one value, or a tuple for several key columns. */
  key(row: readonly unknown[]): unknown;
  /** A partial index's WHERE (true: the index holds the row); null for a full index. */
  covers: ((row: readonly unknown[]) => boolean) | null;
  /** Per key column, whether it is an expression (not a plain column). */
  exprColumns: readonly boolean[];
}

export type IndexSqlCompiler = (
  schema: CollectionSchema,
  compiled: CompiledSchema,
  ix: NormalizedIndex,
) => IndexRowFunctions;

let compiler: IndexSqlCompiler | null = null;

/** Set by the SQL layer (parser/index-sql.ts installIndexSql). */
export function setIndexSqlCompiler(c: IndexSqlCompiler): void {
  compiler = c;
}

/** The key and WHERE functions of index `ix`, which has SQL text (NormalizedIndex.sql). */
export function compileIndexSql(
  schema: CollectionSchema,
  compiled: CompiledSchema,
  ix: NormalizedIndex,
): IndexRowFunctions {
  if (compiler === null)
    throw new SchemaError(
      `index ${ix.name} is a partial or expression index, which needs the SQL layer loaded`,
    );
  return compiler(schema, compiled, ix);
}
