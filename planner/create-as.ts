/**
 * CREATE TABLE … AS SELECT: reads the whole query, decides each column's ModelVault type, creates
 * the table (all columns nullable, a hidden rowid key, as SQLite gives such a table no
 * constraints) and writes the rows with rowids 1, 2, …. The caller's statement savepoint makes it
 * atomic: a failing row leaves no table behind.
 *
 * Types: SQLite declares such columns by affinity (INT, REAL, TEXT, NUM or none); ModelVault
 * columns are strictly typed, so a column whose expression has a static type takes it (INTEGER →
 * int64, REAL → float64, TEXT → string, BLOB → bytes, BOOLEAN → bool, TIMESTAMP → timestamp), and
 * one without (NULL, a CASE or function mixing types) takes the type of its values: integers →
 * int64, any non-integral number → float64, all NULL → string; values of two other kinds are a
 * DataError naming the column.
 */
import type { Engine } from '../storage/engine';
import type { FieldDescriptor, PrimitiveTypeName } from '../storage/schema/descriptors';
import { normalizeCollection } from '../storage/schema/normalize';
import { DataError, SchemaError } from '../src/errors';
import type { ExecContext } from './compile-expr';
import type { ValueType } from './expr';
import type { LogicalPlan } from './logical';
import { openResult, physicalPlan } from './run';
import { TaggedReal } from './tagged-real';
import { sqlToKind } from './write-values';
import { STORED_PRIMITIVE } from './expr-type';

export interface CreateAsPlan {
  readonly name: string;
  readonly ifNotExists: boolean;
  /** null: IF NOT EXISTS found the table when the statement was compiled. */
  readonly select: { readonly plan: LogicalPlan } | null;
  readonly columns: readonly { readonly name: string; readonly type: ValueType }[];
}

const HIDDEN_ROWID = '__rowid';

function valueKind(v: unknown): PrimitiveTypeName | 'real' {
  if (v instanceof TaggedReal) return 'real';
  if (typeof v === 'bigint') return 'int64';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int64' : 'real';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (v instanceof Date) return 'timestamp';
  return 'bytes';
}

/** The type of a column without a static type, from its values. */
function typeFromValues(rows: readonly unknown[][], j: number, column: string): PrimitiveTypeName {
  const kinds = new Set<PrimitiveTypeName | 'real'>();
  for (const row of rows) if (row[j] !== null && row[j] !== undefined) kinds.add(valueKind(row[j]));
  if (kinds.has('real') && kinds.has('int64')) kinds.delete('int64');
  if (kinds.size > 1)
    throw new DataError(
      `CREATE TABLE ... AS: column ${column} has values of several types (${[...kinds].join(', ')}); CAST it to one`,
      'TYPE_MISMATCH',
    );
  const [only] = kinds;
  return only === undefined ? 'string' : only === 'real' ? 'float64' : only;
}

function readAll(engine: Engine, plan: LogicalPlan, ctx: ExecContext): unknown[][] {
  const view = engine.currentView();
  const { source } = openResult(physicalPlan(plan, view), view, {
    readers: engine.readersFor(view),
    params: ctx.params,
    session: ctx.session,
  });
  const rows: unknown[][] = [];
  for (let r = source.next(); r !== null; r = source.next()) rows.push([...r]);
  return rows;
}

/** Run CREATE TABLE … AS SELECT in the engine's open transaction; returns the rows copied. */
export function createTableAs(engine: Engine, stmt: CreateAsPlan, ctx: ExecContext): number {
  const lower = stmt.name.toLowerCase();
  if (engine.collectionNames().some((n) => n.toLowerCase() === lower)) {
    if (stmt.ifNotExists) return 0;
    throw new SchemaError(`table ${stmt.name} already exists`, 'SCHEMA');
  }
  if (stmt.select === null) return 0;
  const rows = readAll(engine, stmt.select.plan, ctx);
  const types = stmt.columns.map((c, j) => STORED_PRIMITIVE[c.type] ?? typeFromValues(rows, j, c.name));
  const fields: FieldDescriptor[] = stmt.columns.map((c, j) => ({
    path: c.name,
    type: { optional: types[j] },
  }));
  fields.push({ path: HIDDEN_ROWID, type: 'int64' });
  engine.registerCollection(normalizeCollection(stmt.name, fields, HIDDEN_ROWID));
  const state = engine.collection(stmt.name);
  const toRow = state?.compiled.columnsToRow;
  if (!state || !toRow) throw new SchemaError(`CREATE TABLE ... AS could not create ${stmt.name}`, 'SCHEMA');
  const schemaFields = state.meta.schema.fields;
  const width = stmt.columns.length;
  rows.forEach((row, i) => {
    const values = new Array<unknown>(width + 1);
    for (let j = 0; j < width; j++) values[j] = sqlToKind(types[j], schemaFields[j], row[j], stmt.name);
    values[width] = i + 1;
    engine.putRow(state, toRow(values), 'abort');
  });
  return rows.length;
}
