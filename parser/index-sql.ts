/**
 * Partial indexes and indexes on expressions (storage/index-exprs.ts): lowering CREATE INDEX's
 * key expressions and WHERE against the table, with SQLite's refusals, and the compiler storage
 * reads a stored index's keys with (installIndexSql, via parser/sql-hooks.ts). CREATE INDEX and every
 * later read of the catalog lower the same text the same way, so writes, replay and rebuilds agree.
 */
import type { SqlExpr, StatementAst } from './sql/ast';
import { parseSql } from './sql/parse';
import type { Expr } from '../planner/expr';
import { exprChildren } from '../planner/expr';
import { compileExpr } from '../planner/compile-expr';
import { truth } from '../planner/sql-values';
import { scalarFunction } from '../planner/functions';
import type { CompiledSchema } from '../storage/schema/compile';
import type { CollectionSchema, NormalizedIndex } from '../storage/schema/normalize';
import { setIndexSqlCompiler } from '../storage/index-exprs';
import { setIndexSqlSupport } from '../planner/sql-index-path';
import { exprEquals } from './expr-utils';
import type { IndexRowFunctions } from '../storage/index-exprs';
import { ParamCollector } from './params';
import { lowerExpr } from './lower-expr';
import type { ExprContext } from './lower-expr';
import type { TableScope } from './scope';
import { tryColumn } from './scope';
import { NotSupportedError, QueryError, SchemaError } from '../src/errors';
import { exprCollation } from '../planner/sql-text';

type CreateIndexAst = Extract<StatementAst, { t: 'createIndex' }>;

/** A partial or expression index lowered against its table. */
export interface LoweredIndexSql {
  /** Per key column, its expression (a plain column's is a column reference). */
  readonly keys: readonly Expr[];
  /** Per key column, whether it is an expression rather than a plain column. */
  readonly isExpr: readonly boolean[];
  /** Per key column, the column it names or, for an expression, the first column it reads. */
  readonly paths: readonly string[][];
  readonly where: Expr | null;
}

const KEY_PLACE = 'index expressions';
const WHERE_PLACE = 'partial index WHERE clauses';

function sqlChildren(e: SqlExpr): (SqlExpr | null)[] {
  switch (e.t) {
    case 'unary':
    case 'isnull':
    case 'cast':
    case 'collate':
      return [e.arg];
    case 'bin':
    case 'is':
      return [e.l, e.r];
    case 'glob':
      return [e.arg, e.pat];
    case 'like':
      return [e.arg, e.pat, e.esc];
    case 'between':
      return [e.arg, e.lo, e.hi];
    case 'in':
      return [e.arg, ...e.list];
    case 'case':
      return [e.base, ...e.whens.flatMap((w) => [w.when, w.then]), e.otherwise];
    case 'call':
      return [...e.args, e.filter];
    case 'subquery':
      return [e.arg];
    default:
      return [];
  }
}

export function someSql(e: SqlExpr | null, test: (e: SqlExpr) => boolean): boolean {
  if (e === null) return false;
  return test(e) || sqlChildren(e).some((c) => someSql(c, test));
}

export function someExpr(e: Expr, test: (e: Expr) => boolean): boolean {
  return test(e) || exprChildren(e).some((c) => someExpr(c, test));
}

const CLOCK_FUNCTIONS = new Set([
  'date',
  'time',
  'datetime',
  'julianday',
  'unixepoch',
  'strftime',
  'timediff',
]);

/**
 * Whether a call's value can change between two evaluations on the same row: a function SQLite
 * calls non-deterministic, or a date/time function that may read the clock ('now', or no time
 * value). SQLite accepts the latter at CREATE INDEX and fails each write; it is refused here.
 */
function nonDeterministic(e: Expr, clockAtRun: boolean): boolean {
  if (e.kind !== 'call') return false;
  const name = e.name.toLowerCase();
  if (scalarFunction(name)?.deterministic === false) return true;
  if (!CLOCK_FUNCTIONS.has(name)) return false;
  const time = name === 'strftime' ? e.args[1] : e.args[0];
  if (time === undefined) return true;
  if (time.kind !== 'literal') return !clockAtRun;
  return typeof time.value === 'string' && time.value.toLowerCase() === 'now';
}

/**
 * An expression kept in the catalog (an index key or WHERE, a generated column) lowered against its
 * table, with SQLite's refusals worded for `place`: no subqueries, no parameters, deterministic only.
 * `functions`: 'clockAtRun' lets a date function over a column stay (a generated column checks at
 * each write that it reads no clock, as SQLite does); 'any' allows every function (a CHECK).
 */
export function lowerPart(
  e: SqlExpr,
  scope: TableScope,
  sql: string,
  place: string,
  functions: 'deterministic' | 'clockAtRun' | 'any' = 'deterministic',
): Expr {
  if (someSql(e, (x) => x.t === 'subquery'))
    throw new QueryError(`subqueries prohibited in ${place}`, 'QUERY', { sql });
  if (someSql(e, (x) => x.t === 'param'))
    throw new QueryError(`parameters prohibited in ${place}`, 'QUERY', { sql });
  if (place === KEY_PLACE && someSql(e, (x) => x.t === 'col' && x.parts.length > 1))
    throw new QueryError(`the "." operator prohibited in ${place}`, 'QUERY', { sql });
  const cx: ExprContext = {
    scope,
    params: new ParamCollector(sql),
    sql,
    aggregates: null,
    allowColumns: true,
  };
  const lowered = lowerExpr(e, cx);
  if (functions !== 'any' && someExpr(lowered, (x) => nonDeterministic(x, functions === 'clockAtRun')))
    throw new QueryError(`non-deterministic functions prohibited in ${place}`, 'QUERY', { sql });
  return lowered;
}

function firstColumn(e: Expr, scope: TableScope): string[] {
  let found: string[] | null = null;
  someExpr(e, (x) => {
    if (x.kind !== 'column') return false;
    const field = scope.schema.fields[x.column];
    found = field ? [...field.path] : null;
    return found !== null && x.sub.length === 0;
  });
  // An expression reading no column (`ON t(1)`) keys every row alike; it names the primary key.
  return found ?? [...scope.schema.primaryKey];
}

/** Lower the key columns and WHERE of CREATE INDEX `ast` against `scope` (SQLite's errors). */
export function lowerIndexSql(ast: CreateIndexAst, scope: TableScope, sql: string): LoweredIndexSql {
  const keys: Expr[] = [];
  const isExpr: boolean[] = [];
  const paths: string[][] = [];
  ast.columns.forEach((column, i) => {
    const e = ast.exprs?.[i] ?? null;
    if (e === null) {
      const found = tryColumn(scope, column.split('.'), false);
      if (!found) throw new QueryError(`no such column: ${column}`, 'QUERY', { sql });
      keys.push(found.expr);
      isExpr.push(false);
      paths.push(found.expr.name.split('.'));
      return;
    }
    const lowered = lowerPart(e, scope, sql, KEY_PLACE);
    keys.push(lowered);
    isExpr.push(true);
    paths.push(firstColumn(lowered, scope));
  });
  // Entries are ordered and compared BINARY: a UNIQUE key under another collation (a NOCASE
  // column, `+c` of one) would let through what SQLite refuses as a duplicate.
  if (ast.unique && keys.some((k) => exprCollation(k) !== undefined))
    throw new NotSupportedError(
      'a UNIQUE partial or expression index on a key with a collation other than BINARY',
      'NOT_SUPPORTED',
      { sql },
    );
  const where = ast.where ? lowerPart(ast.where, scope, sql, WHERE_PLACE) : null;
  return { keys, isExpr, paths, where };
}

function scopeOf(schema: CollectionSchema, compiled: CompiledSchema): TableScope {
  return { schema, compiled, qualifiers: [schema.name.toLowerCase()] };
}

/** The CREATE INDEX statement stored in index `ix`'s catalog entry, parsed. */
export function storedIndexAst(ix: NormalizedIndex): CreateIndexAst {
  const ast = parseSql(ix.sql ?? '');
  if (ast.t !== 'createIndex') throw new SchemaError(`index ${ix.name}: its SQL is not CREATE INDEX`);
  return ast;
}

/** A stored partial or expression index, lowered against the table as it is now. */
export function loweredStoredIndex(
  schema: CollectionSchema,
  compiled: CompiledSchema,
  ix: NormalizedIndex,
): LoweredIndexSql {
  const sql = ix.sql ?? '';
  // The table may have been renamed since: the columns are looked up in the schema given.
  const scope = {
    ...scopeOf(schema, compiled),
    qualifiers: [schema.name.toLowerCase(), storedIndexAst(ix).table.toLowerCase()],
  };
  return lowerIndexSql(storedIndexAst(ix), scope, sql);
}

function compileStoredIndex(
  schema: CollectionSchema,
  compiled: CompiledSchema,
  ix: NormalizedIndex,
): IndexRowFunctions {
  const lowered = loweredStoredIndex(schema, compiled, ix);
  // No parameters, no session: index expressions read only the row.
  const ctx = { params: [] };
  const evals = lowered.keys.map((k) => compileExpr(k, ctx).eval);
  const key =
    evals.length === 1
      ? (row: readonly unknown[]) => evals[0](row) ?? null
      : (row: readonly unknown[]) => evals.map((f) => f(row) ?? null);
  const where = lowered.where === null ? null : compileExpr(lowered.where, ctx).eval;
  return {
    key,
    covers: where === null ? null : (row) => truth(where(row)) === true,
    exprColumns: lowered.isExpr,
  };
}

/**
 * Give storage and the planner what they need to read partial and expression indexes (storage/
 * index-exprs.ts, planner/sql-index-path.ts); parser/sql-hooks.ts calls it. Idempotent.
 */
export function installIndexSql(): void {
  setIndexSqlCompiler(compileStoredIndex);
  setIndexSqlSupport({ lower: loweredStoredIndex, equals: exprEquals });
}

/** Whether stored index `ix` (with SQL text) reads top-level column `column` in a key or its WHERE. */
export function indexReadsColumn(
  schema: CollectionSchema,
  compiled: CompiledSchema,
  ix: NormalizedIndex,
  column: number,
): boolean {
  const lowered = loweredStoredIndex(schema, compiled, ix);
  const reads = (e: Expr): boolean => someExpr(e, (x) => x.kind === 'column' && x.column === column);
  return lowered.keys.some(reads) || (lowered.where !== null && reads(lowered.where));
}
