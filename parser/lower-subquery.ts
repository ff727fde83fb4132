/**
 * Subquery lowering: the inner query becomes its own logical plan (lowered like any SELECT, with
 * its own scope), wrapped in a SubqueryExpr the executor runs once per execution. Only
 * uncorrelated subqueries are supported: an inner name that only the outer scope knows is
 * refused as a correlated subquery.
 */
import { NotSupportedError, QueryError } from '../src/errors';
import { E } from '../planner/expr';
import type { Expr, RowKey, SubqueryExpr } from '../planner/expr';
import type { LogicalPlan } from '../planner/logical';
import { affinity } from '../planner/compile-expr';
import { typeOf } from '../planner/expr-type';
import { comparisonCollation, comparisonSource } from '../planner/sql-text';
import { newOuterKey } from '../planner/outer-refs';
import type { OuterFrame } from './params';
import type { SelectStmt } from './ir';
import type { SqlExpr } from './sql/ast';
import type { ExprContext } from './lower-expr';
import { rowOperand } from './lower-row';
import { lookupColumn } from './join-scope';

type SubqueryAst = Extract<SqlExpr, { t: 'subquery' }>;

/** The expression of the plan's result column `k` (the leftmost arm's, for a compound). */
function columnExpr(plan: LogicalPlan, k = 0): Expr | null {
  switch (plan.kind) {
    case 'project':
      return plan.columns[k]?.expr ?? null;
    case 'sort':
    case 'distinct':
    case 'limit':
    case 'filter':
      return columnExpr(plan.input, k);
    case 'compound':
      return columnExpr(plan.left, k);
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

/**
 * Column `k` of a scalar subquery's first row. A one-column subquery keeps its result's storage
 * class (a whole-number REAL stays REAL); a column of a row value compares as its value.
 */
function scalarColumn(
  inner: SelectStmt,
  correlated: Partial<Pick<SubqueryExpr, 'correlated'>>,
  k: number,
): Expr {
  const col = columnExpr(inner.plan, k);
  const aff = col ? affinity(col) : 'none';
  // An item of a row value compares as its result column's expression would (SQLite compares the
  // vector's fields themselves): a declared column's collation, or an explicit COLLATE's.
  const source = inner.columns.length > 1 && col ? comparisonSource(col) : null;
  const classed =
    inner.columns.length === 1 && inner.columns[0].type === 'any' ? withStorageClass(inner.plan) : null;
  const node: SubqueryExpr = {
    kind: 'subquery',
    mode: 'scalar',
    plan: classed ?? inner.plan,
    arg: null,
    negated: false,
    type: inner.columns[k].type,
    ...correlated,
    ...(classed ? { storageClass: true as const } : {}),
    ...(k > 0 ? { column: k } : {}),
    ...(source ? { itemCollation: source } : {}),
  };
  return aff === 'none' ? node : { ...node, affinity: aff };
}

/**
 * A scalar subquery as the items of a row value: one expression per result column (a single one
 * for a one-column subquery). `UPDATE … SET (a, b) = (SELECT …)` asks for one given column.
 */
export function subqueryColumns(e: SubqueryAst, cx: ExprContext): Expr[] {
  const { inner, refs } = lowerInner(e, cx);
  const correlated = refs.length > 0 ? { correlated: refs } : {};
  const width = inner.columns.length;
  if (e.column !== undefined) {
    if (width !== e.column.of)
      throw new QueryError(`${e.column.of} columns assigned ${width} values`, 'QUERY', {
        sql: cx.sql,
        offset: e.start,
      });
    return [scalarColumn(inner, correlated, e.column.index)];
  }
  return inner.columns.map((_, k) => scalarColumn(inner, correlated, k));
}

/**
 * SQLite's comparison affinity of IN (SELECT): numeric if either side has it, none when a side
 * has BLOB affinity (sqlite3CompareAffinity), else the one there is; and the collation.
 */
function inKey(arg: Expr, innerExpr: Expr | null): RowKey {
  const collation = innerExpr ? comparisonCollation(arg, innerExpr) : undefined;
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
  return { ...(collation ? { collation } : {}), ...(aff ? { affinity: aff } : {}) };
}

export function lowerSubquery(e: SubqueryAst, cx: ExprContext): Expr {
  if (e.mode === 'scalar') {
    const items = subqueryColumns(e, cx);
    if (items.length !== 1)
      throw new QueryError(`sub-select returns ${items.length} columns - expected 1`, 'QUERY', {
        sql: cx.sql,
        offset: e.start,
      });
    return items[0];
  }
  const { inner, refs } = lowerInner(e, cx);
  const correlated = refs.length > 0 ? { correlated: refs } : {};
  const width = inner.columns.length;
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
  // `(a, b) IN (SELECT x, y …)`: the subquery has as many columns as the row value has items.
  const args = rowOperand(e.arg as SqlExpr, cx);
  if (width !== args.length)
    throw new QueryError(`sub-select returns ${width} columns - expected ${args.length}`, 'QUERY', {
      sql: cx.sql,
      offset: e.start,
    });
  const node: SubqueryExpr = {
    kind: 'subquery',
    mode: 'in',
    plan: inner.plan,
    arg: args.length === 1 ? args[0] : E.row(args),
    negated: e.not,
    type: 'integer',
    ...correlated,
  };
  if (args.length > 1) return { ...node, rowKeys: args.map((a, k) => inKey(a, columnExpr(inner.plan, k))) };
  return { ...node, ...inKey(args[0], columnExpr(inner.plan)) };
}
