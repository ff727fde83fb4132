/**
 * SELECT → logical plan, in the fixed layer order of planner/logical.ts. SQLite's name rules:
 * GROUP BY, HAVING and ORDER BY accept output aliases and 1-based positions, a real column wins
 * over an alias of the same name, except an ORDER BY term that is exactly an alias. Result
 * columns are named by alias, declared column name, or the expression's exact source text.
 */
import { QueryError } from '../src/errors';
import { E } from '../planner/expr';
import type { Expr } from '../planner/expr';
import { L } from '../planner/logical';
import type { LogicalPlan, SortKey } from '../planner/logical';
import { typeOf } from '../planner/compile-expr';
import type { OutputColumn, SelectStmt } from './ir';
import type { SelectAst, SqlExpr } from './sql/ast';
import { lowerColumn, lowerExpr, visibleColumns } from './lower-expr';
import type { ExprContext, ParamCollector, TableScope } from './lower-expr';

interface Output {
  expr: Expr;
  column: OutputColumn;
}

function containsAggregate(e: SqlExpr | null): boolean {
  if (!e) return false;
  switch (e.t) {
    case 'call':
      return true;
    case 'unary':
      return containsAggregate(e.arg);
    case 'bin':
      return containsAggregate(e.l) || containsAggregate(e.r);
    case 'in':
      return containsAggregate(e.arg) || e.list.some(containsAggregate);
    case 'between':
      return containsAggregate(e.arg) || containsAggregate(e.lo) || containsAggregate(e.hi);
    case 'like':
      return containsAggregate(e.arg) || containsAggregate(e.pat) || containsAggregate(e.esc);
    case 'isnull':
      return containsAggregate(e.arg);
    default:
      return false;
  }
}

/** A 1-based output position (GROUP BY 2, ORDER BY 1), or null when `e` is not a plain integer. */
function position(e: SqlExpr, outputs: Output[], sql: string, clause: string): Expr | null {
  if (e.t !== 'num' || !/^[0-9]+$/.test(e.text)) return null;
  const k = Number(e.text);
  if (k < 1 || k > outputs.length) {
    throw new QueryError(`${clause} term out of range - should be between 1 and ${outputs.length}`, 'QUERY', {
      sql,
      offset: e.start,
    });
  }
  return outputs[k - 1].expr;
}

export function lowerSelect(
  ast: SelectAst,
  scope: TableScope,
  params: ParamCollector,
  sql: string,
): SelectStmt {
  const width = scope.compiled.columnCount;
  const isAggregate =
    ast.groupBy.length > 0 ||
    ast.items.some((i) => containsAggregate(i.expr)) ||
    containsAggregate(ast.having) ||
    ast.orderBy.some((o) => containsAggregate(o.expr));
  const aggregates = isAggregate
    ? { list: [] as NonNullable<ExprContext['aggregates']>['list'], base: width + ast.groupBy.length }
    : null;
  const cx: ExprContext = {
    scope,
    params,
    sql,
    aggregates,
    allowAggregates: isAggregate,
    allowColumns: true,
  };

  const outputs: Output[] = [];
  const aliases = new Map<string, Expr>();
  for (const item of ast.items) {
    if (!item.expr) {
      for (const c of visibleColumns(scope))
        outputs.push({ expr: c.expr, column: { name: c.declared, type: c.expr.type, nullable: c.nullable } });
      continue;
    }
    const expr = lowerExpr(item.expr, cx);
    let name = item.alias ?? sql.slice(item.start, item.end);
    let nullable = true;
    if (item.expr.t === 'col') {
      const col = lowerColumn(scope, item.expr, sql);
      if (item.alias === null) name = col.declared;
      nullable = col.nullable;
    }
    outputs.push({ expr, column: { name, type: typeOf(expr), nullable } });
    if (item.alias) aliases.set(item.alias.toLowerCase(), expr);
  }

  let plan: LogicalPlan = L.scan(scope.schema.name);
  if (ast.where) {
    if (containsAggregate(ast.where))
      throw new QueryError('misuse of aggregate function in WHERE', 'QUERY', { sql });
    plan = L.filter(plan, lowerExpr(ast.where, { ...cx, aggregates: null, allowAggregates: false }));
  }
  if (isAggregate && aggregates) {
    const groupCx: ExprContext = { ...cx, allowAggregates: false, aliases };
    const groupBy = ast.groupBy.map((g) => position(g, outputs, sql, 'GROUP BY') ?? lowerExpr(g, groupCx));
    if (groupBy.some((g) => g.kind === 'slot'))
      throw new QueryError('aggregate functions are not allowed in the GROUP BY clause', 'QUERY', { sql });
    // Aggregates referenced by HAVING/ORDER BY are registered while lowering them, so lower
    // those first and build the Aggregate node from the final list.
    const having = ast.having ? lowerExpr(ast.having, { ...cx, aliases }) : null;
    const sortKeys = lowerOrder(ast, outputs, { ...cx, aliases }, sql);
    plan = L.aggregate(
      plan,
      groupBy,
      aggregates.list.map((a) => E.aggregate(a.fn, a.arg, a.distinct)),
      width,
    );
    if (having) plan = L.filter(plan, having);
    if (sortKeys.length) plan = L.sort(plan, sortKeys);
  } else {
    if (ast.having) throw new QueryError('a GROUP BY clause is required before HAVING', 'QUERY', { sql });
    const sortKeys = lowerOrder(ast, outputs, { ...cx, aliases }, sql);
    if (sortKeys.length) plan = L.sort(plan, sortKeys);
  }
  plan = L.project(
    plan,
    outputs.map((o) => ({ expr: o.expr, name: o.column.name })),
  );
  if (ast.distinct) plan = L.distinct(plan);
  if (ast.limit) {
    const constCx: ExprContext = { ...cx, aggregates: null, allowAggregates: false, allowColumns: false };
    plan = L.limit(plan, lowerExpr(ast.limit, constCx), ast.offset ? lowerExpr(ast.offset, constCx) : null);
  }
  return { kind: 'select', plan, columns: outputs.map((o) => o.column), collection: scope.schema.name };
}

function lowerOrder(ast: SelectAst, outputs: Output[], cx: ExprContext, sql: string): SortKey[] {
  return ast.orderBy.map((o) => {
    const pos = position(o.expr, outputs, sql, 'ORDER BY');
    if (pos) return { expr: pos, desc: o.desc };
    // An ORDER BY term that is exactly an alias means the alias, even if a column has that name.
    if (o.expr.t === 'col' && o.expr.parts.length === 1) {
      const alias = cx.aliases?.get(o.expr.parts[0].toLowerCase());
      if (alias) return { expr: alias, desc: o.desc };
    }
    return { expr: lowerExpr(o.expr, cx), desc: o.desc };
  });
}
