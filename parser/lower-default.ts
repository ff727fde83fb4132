/**
 * DEFAULT expressions (`CURRENT_TIMESTAMP`, `DEFAULT (expr)`): checked when the column is
 * declared, kept in the catalog as SQL text (NormalizedField.defaultSql) and lowered again by each
 * INSERT that leaves the column out, which evaluates it once per row as SQLite does. Literal
 * defaults stay values (FieldDescriptor.default), so files and the typed API see them unchanged.
 */
import { SchemaError } from '../src/errors';
import type { Expr } from '../planner/expr';
import type { NullDefault } from '../planner/write-plan';
import type { CollectionSchema } from '../storage/schema/normalize';
import type { SqlExpr } from './sql/ast';
import { parseExpression } from './sql/parse';
import { ParamCollector } from './params';
import { lowerExpr } from './lower-expr';

/** Whether a DEFAULT is a literal SQLite stores as a value (a signed number, text, blob, NULL). */
export function isLiteralDefault(e: SqlExpr): boolean {
  switch (e.t) {
    case 'num':
    case 'str':
    case 'null':
    case 'bool':
    case 'blob':
      return true;
    case 'unary':
      return e.arg.t === 'num' && (e.op === '-' || e.op === '+');
    default:
      return false;
  }
}

/** Whether the parsed expression holds a node of one of `kinds` anywhere. */
function mentions(node: unknown, kinds: ReadonlySet<string>): boolean {
  if (typeof node !== 'object' || node === null) return false;
  if (Array.isArray(node)) return node.some((x) => mentions(x, kinds));
  const o = node as Record<string, unknown>;
  if (typeof o.t === 'string' && kinds.has(o.t)) return true;
  return Object.values(o).some((v) => mentions(v, kinds));
}

const NOT_CONSTANT = new Set(['col', 'param']);

function lowerConstant(e: SqlExpr, sql: string): Expr {
  const params = new ParamCollector(sql);
  return lowerExpr(e, { scope: null, params, sql, aggregates: null, allowColumns: false });
}

/**
 * The SQL text a non-literal DEFAULT is stored as, after the checks SQLite makes when the column
 * is declared: no column references, no parameters. The expression is lowered once here, so an
 * unknown function or a wrong argument count fails the CREATE rather than every later INSERT.
 */
export function defaultSqlOf(column: string, e: SqlExpr, sql: string): string {
  if (mentions(e, NOT_CONSTANT))
    throw new SchemaError(`default value of column [${column}] is not constant`, 'SCHEMA', {
      sql,
      offset: e.start,
    });
  const text = sql.slice(e.start, e.end);
  lowerConstant(parseExpression(text), text);
  return text;
}

/** The columns an INSERT leaves out whose DEFAULT is an expression, with those expressions lowered. */
export function defaultExprs(
  schema: CollectionSchema,
  given: readonly number[],
): { columns: number[]; exprs: Expr[] } {
  const columns: number[] = [];
  const exprs: Expr[] = [];
  schema.fields.forEach((f, i) => {
    if (f.defaultSql === undefined || given.includes(i)) return;
    columns.push(i);
    exprs.push(lowerConstant(parseExpression(f.defaultSql), f.defaultSql));
  });
  return { columns, exprs };
}

/**
 * The expression DEFAULTs of the NOT NULL columns among `columns`: what OR REPLACE writes in place
 * of a NULL there (a literal default is read from the schema by the executor).
 */
export function nullDefaults(schema: CollectionSchema, columns: readonly number[]): NullDefault[] {
  const out: NullDefault[] = [];
  for (const column of new Set(columns)) {
    const f = schema.fields[column];
    if (f.defaultSql === undefined || f.type.kind === 'optional') continue;
    out.push({ column, expr: lowerConstant(parseExpression(f.defaultSql), f.defaultSql) });
  }
  return out;
}
