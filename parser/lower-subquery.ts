/**
 * Subquery lowering: the inner query becomes its own logical plan (lowered like any SELECT, with
 * its own scope), wrapped in a SubqueryExpr the executor runs once per execution. Only
 * uncorrelated subqueries are supported: an inner name that only the outer scope knows is
 * refused as a correlated subquery.
 */
import { NotSupportedError, QueryError } from '../src/errors';
import type { Expr, SubqueryExpr } from '../planner/expr';
import type { LogicalPlan } from '../planner/logical';
import { affinity } from '../planner/compile-expr';
import { comparisonCollation } from '../planner/sql-text';
import type { SelectStmt } from './ir';
import type { SqlExpr } from './sql/ast';
import type { ExprContext } from './lower-expr';
import { lowerExpr } from './lower-expr';
import { lookupColumn } from './join-scope';

type SubqueryAst = Extract<SqlExpr, { t: 'subquery' }>;

/** The expression of the plan's first result column (the leftmost arm's, for a compound). */
function firstColumnExpr(plan: LogicalPlan): Expr | null {
  switch (plan.kind) {
    case 'project':
      return plan.columns[0]?.expr ?? null;
    case 'sort':
    case 'distinct':
    case 'limit':
    case 'filter':
      return firstColumnExpr(plan.input);
    case 'compound':
      return firstColumnExpr(plan.left);
    default:
      return null;
  }
}

function lowerInner(e: SubqueryAst, cx: ExprContext): SelectStmt {
  const lowerQuery = cx.params.queryLowerer;
  if (cx.noSubqueries !== undefined)
    throw new NotSupportedError(`subqueries in ${cx.noSubqueries}`, 'NOT_SUPPORTED', {
      sql: cx.sql,
      offset: e.start,
    });
  if (!lowerQuery)
    throw new NotSupportedError('subqueries in this statement', 'NOT_SUPPORTED', { sql: cx.sql });
  try {
    return lowerQuery(e.query);
  } catch (err) {
    const m = err instanceof QueryError ? /^no such column: ([^ ]+)/.exec(err.message) : null;
    if (m && cx.scope && lookupColumn(cx.scope, m[1].split('.'), false))
      throw new NotSupportedError(
        `correlated subqueries (the subquery reads ${m[1]} of the outer query)`,
        'NOT_SUPPORTED',
        { sql: cx.sql, offset: e.start },
      );
    throw err;
  }
}

export function lowerSubquery(e: SubqueryAst, cx: ExprContext): Expr {
  const inner = lowerInner(e, cx);
  const width = inner.columns.length;
  if (e.mode !== 'exists' && width !== 1)
    throw new QueryError(`sub-select returns ${width} columns - expected 1`, 'QUERY', {
      sql: cx.sql,
      offset: e.start,
    });
  if (e.mode === 'scalar') {
    const col = firstColumnExpr(inner.plan);
    const aff = col ? affinity(col) : 'none';
    const node: SubqueryExpr = {
      kind: 'subquery',
      mode: 'scalar',
      plan: inner.plan,
      arg: null,
      negated: false,
      type: inner.columns[0].type,
    };
    return aff === 'none' ? node : { ...node, affinity: aff };
  }
  if (e.mode === 'exists')
    return { kind: 'subquery', mode: 'exists', plan: inner.plan, arg: null, negated: e.not, type: 'integer' };
  const arg = lowerExpr(e.arg as SqlExpr, cx);
  const node: SubqueryExpr = {
    kind: 'subquery',
    mode: 'in',
    plan: inner.plan,
    arg,
    negated: e.not,
    type: 'integer',
  };
  const innerExpr = firstColumnExpr(inner.plan);
  const collation = innerExpr ? comparisonCollation(arg, innerExpr) : undefined;
  // SQLite's comparison affinity of IN (SELECT): numeric if either side has it, else the one there is.
  const la = affinity(arg);
  const ra = innerExpr ? affinity(innerExpr) : 'none';
  const aff =
    la === 'numeric' || ra === 'numeric' ? 'numeric' : la === 'text' || ra === 'text' ? 'text' : null;
  return {
    ...node,
    ...(collation ? { collation } : {}),
    ...(aff ? { affinity: aff } : {}),
  };
}
