/**
 * Subquery lowering: the inner query becomes its own logical plan (lowered like any SELECT, with
 * its own scope), wrapped in a SubqueryExpr the executor runs once per execution. Only
 * uncorrelated subqueries are supported: an inner name that only the outer scope knows is
 * refused as a correlated subquery.
 */
import { NotSupportedError, QueryError } from '../src/errors';
import { E } from '../planner/expr';
import type { Expr, SubqueryExpr } from '../planner/expr';
import type { LogicalPlan } from '../planner/logical';
import { affinity, typeOf } from '../planner/compile-expr';
import { comparisonCollation } from '../planner/sql-text';
import { newOuterKey } from '../planner/outer-refs';
import type { OuterFrame } from './params';
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

/**
 * `plan` with a second result column, `typeof()` of its first, when its top is a projection
 * (under ORDER BY / LIMIT only: DISTINCT or a compound would count the extra column); else null.
 */
function withStorageClass(plan: LogicalPlan): LogicalPlan | null {
  switch (plan.kind) {
    case 'project': {
      const first = plan.columns[0];
      if (!first) return null;
      return {
        ...plan,
        columns: [...plan.columns, { expr: E.call('typeof', [first.expr], 'text'), name: 'typeof' }],
      };
    }
    case 'sort':
    case 'limit': {
      const input = withStorageClass(plan.input);
      return input ? { ...plan, input } : null;
    }
    default:
      return null;
  }
}

function lowerInner(e: SubqueryAst, cx: ExprContext): { inner: SelectStmt; refs: OuterFrame['refs'] } {
  const lowerQuery = cx.params.queryLowerer;
  if (cx.noSubqueries !== undefined)
    throw new NotSupportedError(`subqueries in ${cx.noSubqueries}`, 'NOT_SUPPORTED', {
      sql: cx.sql,
      offset: e.start,
    });
  if (!lowerQuery)
    throw new NotSupportedError('subqueries in this statement', 'NOT_SUPPORTED', { sql: cx.sql });
  // Names the inner query does not know resolve in this query (and those around it).
  const frame: OuterFrame = { scope: cx.scope, refs: [] };
  cx.params.outerFrames.push(frame);
  try {
    return { inner: lowerQuery(e.query), refs: frame.refs };
  } finally {
    cx.params.outerFrames.pop();
  }
}

/**
 * A name found in an enclosing query: a fresh outer ParamExpr, bound by the subquery of the frame
 * that has the column (to the column on its rows) and passed through by the subqueries between.
 */
export function outerColumn(parts: readonly string[], quoted: boolean, cx: ExprContext): Expr | null {
  const frames = cx.params.outerFrames;
  for (let f = frames.length - 1; f >= 0; f--) {
    const scope = frames[f].scope;
    const found = scope ? lookupColumn(scope, parts, quoted, cx.sql) : null;
    if (!found) continue;
    const key = newOuterKey();
    // The outer column keeps its collation (`b.name = a.name` compares under a.name's NOCASE).
    const x = found.expr;
    const column = x.kind === 'column' && x.rowid !== true;
    const collation = column ? x.collation : undefined;
    const param: Expr = {
      kind: 'param',
      key,
      outer: {
        type: typeOf(x),
        name: parts.join('.'),
        ...(column ? { column } : {}),
        ...(collation ? { collation } : {}),
      },
    };
    frames[f].refs.push({ key, expr: x });
    for (let g = f + 1; g < frames.length; g++) frames[g].refs.push({ key, expr: param });
    return param;
  }
  return null;
}

export function lowerSubquery(e: SubqueryAst, cx: ExprContext): Expr {
  const { inner, refs } = lowerInner(e, cx);
  const correlated = refs.length > 0 ? { correlated: refs } : {};
  const width = inner.columns.length;
  if (e.mode !== 'exists' && width !== 1)
    throw new QueryError(`sub-select returns ${width} columns - expected 1`, 'QUERY', {
      sql: cx.sql,
      offset: e.start,
    });
  if (e.mode === 'scalar') {
    const col = firstColumnExpr(inner.plan);
    const aff = col ? affinity(col) : 'none';
    const classed = inner.columns[0].type === 'any' ? withStorageClass(inner.plan) : null;
    const node: SubqueryExpr = {
      kind: 'subquery',
      mode: 'scalar',
      plan: classed ?? inner.plan,
      arg: null,
      negated: false,
      type: inner.columns[0].type,
      ...correlated,
      ...(classed ? { storageClass: true as const } : {}),
    };
    return aff === 'none' ? node : { ...node, affinity: aff };
  }
  if (e.mode === 'exists')
    return {
      kind: 'subquery',
      mode: 'exists',
      plan: inner.plan,
      arg: null,
      negated: e.not,
      type: 'integer',
      ...correlated,
    };
  const arg = lowerExpr(e.arg as SqlExpr, cx);
  const node: SubqueryExpr = {
    kind: 'subquery',
    mode: 'in',
    plan: inner.plan,
    arg,
    negated: e.not,
    type: 'integer',
    ...correlated,
  };
  const innerExpr = firstColumnExpr(inner.plan);
  const collation = innerExpr ? comparisonCollation(arg, innerExpr) : undefined;
  // SQLite's comparison affinity of IN (SELECT): numeric if either side has it, none when a side
  // has BLOB affinity (sqlite3CompareAffinity), else the one there is.
  const la = affinity(arg);
  const ra = innerExpr ? affinity(innerExpr) : 'none';
  const aff =
    la === 'numeric' || ra === 'numeric'
      ? 'numeric'
      : la === 'blob' || ra === 'blob'
        ? null
        : la === 'text' || ra === 'text'
          ? 'text'
          : null;
  return {
    ...node,
    ...(collation ? { collation } : {}),
    ...(aff ? { affinity: aff } : {}),
  };
}
