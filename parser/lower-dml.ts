/**
 * INSERT / UPDATE / DELETE lowering. Target columns become top-level field indexes (a nested
 * field declared with a multi-segment path is one top-level field, named by its dotted path);
 * VALUES rows are constant expressions (literals, parameters, arithmetic); value types are
 * checked against the schema by the executor when it validates the row.
 */
import { ProgrammingError } from '../src/errors';
import type { DeleteStmt, InsertStmt, UpdateStmt } from './ir';
import type { StatementAst } from './sql/ast';
import type { ParamCollector } from './params';
import type { CatalogReader } from './scope';
import { isHidden, scopeFor, targetColumn } from './scope';
import { lowerExpr } from './lower-expr';
import type { ExprContext } from './lower-expr';

type Ast<T extends StatementAst['t']> = Extract<StatementAst, { t: T }>;

export function lowerInsert(
  ast: Ast<'insert'>,
  catalog: CatalogReader,
  params: ParamCollector,
  sql: string,
): InsertStmt {
  const scope = scopeFor(catalog, ast.table, null, sql);
  const columns = ast.columns
    ? ast.columns.map((c) => targetColumn(scope, c, sql))
    : scope.schema.fields.flatMap((f, i) => (isHidden(f.path) ? [] : [i]));
  if (new Set(columns).size !== columns.length)
    throw new ProgrammingError('a column is named twice in the INSERT column list', 'PROGRAMMING', { sql });
  const cx: ExprContext = { scope, params, sql, aggregates: null, allowColumns: false };
  const rows = ast.rows.map((row, r) => {
    if (row.length !== columns.length) {
      throw new ProgrammingError(
        ast.columns
          ? `${columns.length} columns but ${row.length} values in VALUES row ${r + 1}`
          : `table ${scope.schema.name} has ${columns.length} columns but ${row.length} values were supplied`,
        'PROGRAMMING',
        { sql },
      );
    }
    return row.map((e) => lowerExpr(e, cx));
  });
  // ON CONFLICT DO NOTHING skips conflicting rows like OR IGNORE, but `doNothing` keeps the
  // difference SQLite makes: NOT NULL violations still fail.
  const conflict =
    ast.doNothing || ast.or === 'ignore' ? 'ignore' : ast.or === 'replace' ? 'replace' : 'abort';
  return { kind: 'insert', collection: scope.schema.name, columns, rows, conflict, doNothing: ast.doNothing };
}

export function lowerUpdate(
  ast: Ast<'update'>,
  catalog: CatalogReader,
  params: ParamCollector,
  sql: string,
): UpdateStmt {
  const scope = scopeFor(catalog, ast.table, null, sql);
  const cx: ExprContext = { scope, params, sql, aggregates: null, allowColumns: true };
  const sets = ast.sets.map((s) => ({
    column: targetColumn(scope, s.column, sql),
    expr: lowerExpr(s.expr, cx),
  }));
  if (new Set(sets.map((s) => s.column)).size !== sets.length)
    throw new ProgrammingError('a column is assigned twice in UPDATE', 'PROGRAMMING', { sql });
  return {
    kind: 'update',
    collection: scope.schema.name,
    sets,
    where: ast.where ? lowerExpr(ast.where, cx) : null,
  };
}

export function lowerDelete(
  ast: Ast<'delete'>,
  catalog: CatalogReader,
  params: ParamCollector,
  sql: string,
): DeleteStmt {
  const scope = scopeFor(catalog, ast.table, null, sql);
  const cx: ExprContext = { scope, params, sql, aggregates: null, allowColumns: true };
  return {
    kind: 'delete',
    collection: scope.schema.name,
    where: ast.where ? lowerExpr(ast.where, cx) : null,
  };
}
