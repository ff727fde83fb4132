/**
 * INSERT / UPDATE / DELETE lowering. Target columns become top-level field indexes (a nested
 * field declared with a multi-segment path is one top-level field, named by its dotted path);
 * VALUES rows are constant expressions (literals, parameters, arithmetic); INSERT … SELECT
 * carries the lowered query; RETURNING items are expressions over the written row. Value types
 * are checked against the schema by the executor when it validates the row.
 */
import { ProgrammingError, QueryError } from '../src/errors';
import { typeOf } from '../planner/expr-type';
import { E } from '../planner/expr';
import type { Expr } from '../planner/expr';
import type {
  ConflictAction,
  DeleteStmt,
  InsertStmt,
  OutputColumn,
  Returning,
  UpdateStmt,
  UpsertAction,
} from './ir';
import type { SelectItem, StatementAst, UpsertClause } from './sql/ast';
import type { ParamCollector } from './params';
import type { CatalogReader, TableScope } from './scope';
import { isHidden, scopeFor, targetColumn, tryColumn, visibleColumns } from './scope';
import { indexPaths } from '../storage/schema/normalize';
import { lowerExpr } from './lower-expr';
import type { ExprContext } from './lower-expr';
import { lowerSelect } from './lower-select';
import { lowerCompound } from './lower-compound';
import { defaultExprs, nullDefaults } from './lower-default';
import { fromScope } from './lower-from';
import { updateFromScope } from './lower-update-from';
import { loweredStoredIndex } from './index-sql';
import { exprEquals } from './expr-utils';

type Ast<T extends StatementAst['t']> = Extract<StatementAst, { t: T }>;

/**
 * RETURNING items, named as SQLite names result columns: alias, declared column name, or the
 * item's source text. Aggregates are refused the way SQLite refuses them (no grouping here).
 */
function lowerReturning(
  items: readonly SelectItem[] | null,
  scope: TableScope,
  params: ParamCollector,
  sql: string,
): Returning | null {
  if (items === null) return null;
  const cx: ExprContext = {
    scope,
    params,
    sql,
    aggregates: null,
    allowColumns: true,
    noSubqueries: 'RETURNING',
  };
  const exprs: Expr[] = [];
  const columns: OutputColumn[] = [];
  for (const item of items) {
    if (!item.expr) {
      if (item.qualifier !== null && !scope.qualifiers.includes(item.qualifier.toLowerCase()))
        throw new QueryError(`no such table: ${item.qualifier}`, 'QUERY', { sql, offset: item.start });
      for (const c of visibleColumns(scope)) {
        exprs.push(c.expr);
        columns.push({ name: c.declared, type: c.expr.type, nullable: c.nullable });
      }
      continue;
    }
    const expr = lowerExpr(item.expr, cx);
    const col = item.expr.t === 'col' ? tryColumn(scope, item.expr.parts, item.expr.quoted) : null;
    exprs.push(expr);
    columns.push({
      name: item.alias ?? col?.declared ?? sql.slice(item.start, item.end),
      type: typeOf(expr),
      nullable: col ? col.nullable : true,
    });
  }
  return { exprs, columns };
}

function countError(
  ast: Ast<'insert'>,
  scope: TableScope,
  columns: number,
  values: number,
  row: number | null,
  sql: string,
): ProgrammingError {
  return new ProgrammingError(
    ast.columns
      ? row === null
        ? `${values} values for ${columns} columns`
        : `${columns} columns but ${values} values in VALUES row ${row + 1}`
      : `table ${scope.schema.name} has ${columns} columns but ${values} values were supplied`,
    'PROGRAMMING',
    { sql },
  );
}

const NO_MATCH = 'ON CONFLICT clause does not match any PRIMARY KEY or UNIQUE constraint';

/** The constraint a conflict target names: the primary key or a unique index on exactly those columns. */
function upsertTarget(
  u: UpsertClause,
  scope: TableScope,
  params: ParamCollector,
  sql: string,
): UpsertAction['target'] {
  if (u.target === null) return null;
  const fields = scope.schema.fields;
  const paths = u.target.map((c) => fields[targetColumn(scope, c, sql)].path.join('.'));
  // As in SQLite, a target matches a key naming as many columns as the key has, each of the
  // key's columns among them, in any order.
  const same = (key: readonly (readonly string[])[]): boolean =>
    paths.length === key.length && key.every((p) => paths.includes(p.join('.')));
  if (same([scope.schema.primaryKey]) && !isHidden(scope.schema.primaryKey)) return { kind: 'pk' };
  // A target WHERE matters only for a partial index, whose WHERE it must repeat exactly (SQLite
  // compares the two expressions); an index on expressions is never a target of column names.
  const where =
    u.targetWhere === null ? null : lowerExpr(u.targetWhere, targetWhereContext(scope, params, sql));
  const ix = scope.schema.indexes.find((i) => {
    if (i.kind !== 'unique' || !same(indexPaths(i))) return false;
    if (i.sql === undefined) return true;
    const lowered = loweredStoredIndex(scope.schema, scope.compiled, i);
    if (lowered.isExpr.some(Boolean)) return false;
    return lowered.where === null || (where !== null && exprEquals(lowered.where, where));
  });
  if (ix === undefined) throw new QueryError(NO_MATCH, 'QUERY', { sql });
  return { kind: 'index', name: ix.name };
}

/** What a conflict target's WHERE may read: the table's columns, no parameters' values yet. */
function targetWhereContext(scope: TableScope, params: ParamCollector, sql: string): ExprContext {
  return { scope, params, sql, aggregates: null, allowColumns: true, noSubqueries: 'ON CONFLICT' };
}

function lowerUpsert(u: UpsertClause, scope: TableScope, params: ParamCollector, sql: string): UpsertAction {
  const target = upsertTarget(u, scope, params, sql);
  if (u.sets === null) return { target, sets: null, where: null };
  const cx: ExprContext = {
    scope,
    params,
    sql,
    aggregates: null,
    allowColumns: true,
    excludedOffset: scope.compiled.columnCount,
  };
  const sets = rightmost(
    u.sets.map((s) => ({
      column: targetColumn(scope, s.column, sql, 'UPDATE'),
      expr: lowerExpr(s.expr, cx),
    })),
  );
  return { target, sets, where: u.where ? lowerExpr(u.where, cx) : null };
}

export function lowerInsert(
  ast: Ast<'insert'>,
  catalog: CatalogReader,
  params: ParamCollector,
  sql: string,
): InsertStmt {
  const scope = scopeFor(catalog, ast.table, null, sql);
  const source = ast.source;
  const columns =
    source.t === 'defaults'
      ? []
      : ast.columns
        ? ast.columns.map((c) => targetColumn(scope, c, sql, 'INSERT'))
        : scope.schema.fields.flatMap((f, i) => (isHidden(f.path) || f.generated ? [] : [i]));
  if (new Set(columns).size !== columns.length)
    throw new ProgrammingError('a column is named twice in the INSERT column list', 'PROGRAMMING', { sql });
  const cx: ExprContext = { scope, params, sql, aggregates: null, allowColumns: false };
  let rows: Expr[][] = [[]];
  let select: InsertStmt['select'] = null;
  if (source.t === 'values') {
    rows = source.rows.map((row, r) => {
      if (row.length !== columns.length) throw countError(ast, scope, columns.length, row.length, r, sql);
      return row.map((e) => lowerExpr(e, cx));
    });
  } else if (source.t === 'select') {
    const sel = source.select;
    if (sel.t === 'compound') select = lowerCompound(sel, catalog, params, sql);
    else {
      const from = fromScope(sel, catalog, params, sql);
      select = lowerSelect(sel, from, params, sql);
    }
    if (select.columns.length !== columns.length)
      throw countError(ast, scope, columns.length, select.columns.length, null, sql);
    rows = [];
  }
  const defaults = defaultExprs(scope.schema, columns);
  // A lone ON CONFLICT DO NOTHING without a target is OR IGNORE, except that `doNothing` keeps
  // the difference SQLite makes: NOT NULL violations still fail.
  const only = ast.upserts.length === 1 ? ast.upserts[0] : null;
  const doNothing = only !== null && only.target === null && only.sets === null;
  const upserts = doNothing ? [] : ast.upserts.map((u) => lowerUpsert(u, scope, params, sql));
  const conflict = doNothing ? 'ignore' : (ast.or ?? 'abort');
  const byConstraint = ast.or === null && !doNothing;
  return {
    kind: 'insert',
    collection: scope.schema.name,
    columns: [...columns, ...defaults.columns],
    defaults: defaults.exprs,
    rows,
    select,
    conflict,
    byConstraint,
    nullDefaults: mayReplaceNull(scope, conflict, byConstraint) ? nullDefaults(scope.schema, columns) : [],
    doNothing,
    upserts,
    returning: lowerReturning(ast.returning, scope, params, sql),
  };
}

export function lowerUpdate(
  ast: Ast<'update'>,
  catalog: CatalogReader,
  params: ParamCollector,
  sql: string,
): UpdateStmt {
  const scope = scopeFor(catalog, ast.table, ast.alias, sql, ast.hint);
  // UPDATE … FROM: SET and WHERE read the target joined with the FROM sources.
  const joined = ast.from ? updateFromScope(ast.from, scope, catalog, params, sql) : null;
  const cx: ExprContext = { scope: joined ?? scope, params, sql, aggregates: null, allowColumns: true };
  const sets = rightmost(
    ast.sets.map((s) => ({
      column: targetColumn(scope, s.column, sql, 'UPDATE'),
      expr: lowerExpr(s.expr, cx),
    })),
  );
  const terms = [...(ast.where ? [lowerExpr(ast.where, cx)] : []), ...(joined?.where ?? [])];
  const where = terms.length === 0 ? null : terms.reduce((a, b) => E.and(a, b));
  const conflict = ast.or ?? 'abort';
  const byConstraint = ast.or === null;
  return {
    kind: 'update',
    collection: scope.schema.name,
    ...(scope.hint ? { hint: scope.hint } : {}),
    sets,
    where,
    conflict,
    byConstraint,
    nullDefaults: mayReplaceNull(scope, conflict, byConstraint)
      ? nullDefaults(
          scope.schema,
          sets.map((s) => s.column),
        )
      : [],
    // RETURNING reads the updated row only: SQLite refuses the FROM sources there, and it names
    // the table by its own name, not the alias.
    returning: lowerReturning(ast.returning, unaliased(scope, catalog, ast, sql), params, sql),
    ...(joined ? { from: joined.plan } : {}),
  };
}

export function lowerDelete(
  ast: Ast<'delete'>,
  catalog: CatalogReader,
  params: ParamCollector,
  sql: string,
): DeleteStmt {
  const scope = scopeFor(catalog, ast.table, ast.alias, sql, ast.hint);
  const cx: ExprContext = { scope, params, sql, aggregates: null, allowColumns: true };
  const where = ast.where ? lowerExpr(ast.where, cx) : null;
  return {
    kind: 'delete',
    collection: scope.schema.name,
    ...(scope.hint ? { hint: scope.hint } : {}),
    where,
    returning: lowerReturning(ast.returning, unaliased(scope, catalog, ast, sql), params, sql),
  };
}

/** Whether a NULL written into a NOT NULL column may become its DEFAULT (an OR REPLACE or a NOT NULL ON CONFLICT REPLACE). */
function mayReplaceNull(scope: TableScope, conflict: ConflictAction, byConstraint: boolean): boolean {
  return byConstraint
    ? scope.schema.fields.some((f) => f.notNullOnConflict === 'replace')
    : conflict === 'replace';
}

/**
 * SET assignments with only the rightmost of a column's kept, as SQLite does (`SET x = 1, x = 2`
 * sets 2; every expression reads the row as it was, so dropping the others changes nothing else).
 * The ignored ones are still lowered first: an unknown column there is an error as in SQLite.
 */
function rightmost<T extends { readonly column: number }>(sets: readonly T[]): T[] {
  return sets.filter((s, i) => !sets.some((later, j) => j > i && later.column === s.column));
}

/** The target as RETURNING sees it: SQLite resolves `t.col` there by the table's name, never the alias. */
function unaliased(
  scope: TableScope,
  catalog: CatalogReader,
  ast: { readonly table: string; readonly alias: string | null },
  sql: string,
): TableScope {
  return ast.alias === null ? scope : scopeFor(catalog, ast.table, null, sql);
}
