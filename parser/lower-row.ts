/**
 * Row values (SQLite's rowvalue.html): `(a, b, …)`, or a scalar subquery of several columns,
 * compared with `=` `<>` `<` `<=` `>` `>=` `IS [NOT]`, `BETWEEN`, `IN (…)` and a simple CASE.
 * Each comparison becomes scalar comparisons of the items, typed and collated one pair at a
 * time as a written comparison is, joined by AND/OR so that SQLite's NULL rules fall out of
 * three-valued logic:
 *
 *   (a, b) =  (x, y)   →  a = x AND b = y              (IS: AND of IS; <> and IS NOT: OR)
 *   (a, b) <  (x, y)   →  a < x OR (a = x AND b < y)   (<= keeps <= for the last item only)
 *
 * `(1, NULL) = (1, 2)` is NULL and `(1, NULL) = (2, 2)` is 0; `(NULL, 1) < (2, 3)` is NULL: a
 * NULL item before the deciding one leaves the result unknown, as SQLite's left-to-right
 * comparison does. The planner sees plain conjuncts for `=` (its index paths apply) and finds
 * the `<` shape again to bound a composite index (planner/row-bound.ts). `(a, b) IN (SELECT …)`
 * stays one subquery node over a RowExpr (planner/row-in.ts); an IN list becomes an OR of
 * equalities. A row value anywhere else is SQLite's "row value misused".
 */
import { QueryError } from '../src/errors';
import { E, balancedTree } from '../planner/expr';
import type { CompareOp, Expr, IsOp } from '../planner/expr';
import type { SqlExpr } from './sql/ast';
import type { ExprContext } from './lower-expr';
import { collateExpr, lowerExpr, scalarComparison } from './lower-expr';
import { subqueryColumns } from './lower-subquery';

export function rowMisused(cx: ExprContext, offset: number): QueryError {
  return new QueryError('row value misused', 'QUERY', { sql: cx.sql, offset });
}

/**
 * Whether `e` may be a row value: a row, or a scalar subquery (one when it has several columns),
 * maybe under COLLATE (which a row value refuses).
 */
export function mayBeRow(e: SqlExpr | null): boolean {
  if (e?.t === 'collate') return mayBeRow(e.arg);
  return e !== null && (e.t === 'row' || (e.t === 'subquery' && e.mode === 'scalar'));
}

/** The items of an operand that may be a row value; one item for a scalar. */
export function rowOperand(e: SqlExpr, cx: ExprContext): Expr[] {
  if (e.t === 'row') return e.items.map((x) => lowerExpr(x, cx));
  if (e.t === 'subquery' && e.mode === 'scalar') return subqueryColumns(e, cx);
  if (e.t === 'collate' && mayBeRow(e.arg)) {
    const items = rowOperand(e.arg, cx);
    if (items.length > 1) throw rowMisused(cx, e.start);
    return [collateExpr(items[0], e.collation)];
  }
  return [lowerExpr(e, cx)];
}

const STRICT: Readonly<Record<'<' | '<=' | '>' | '>=', '<' | '>'>> = {
  '<': '<',
  '<=': '<',
  '>': '>',
  '>=': '>',
};

/** `l op r` over two operands of the same size (one item each: a plain comparison). */
export function rowComparison(
  op: CompareOp | IsOp,
  l: readonly Expr[],
  r: readonly Expr[],
  cx: ExprContext,
  offset: number,
): Expr {
  if (l.length !== r.length) throw rowMisused(cx, offset);
  const pair = (o: CompareOp | IsOp, i: number): Expr => scalarComparison(o, l[i], r[i], cx, offset);
  const n = l.length;
  if (n === 1) return pair(op, 0);
  const all = (o: CompareOp | IsOp): Expr[] => l.map((_, i) => pair(o, i));
  switch (op) {
    case '=':
    case 'is':
      return balancedTree(all(op), 'and');
    case '!=':
    case 'isNot':
      return balancedTree(all(op), 'or');
    default: {
      // Right-nested, so the planner reads the first item's bound at the top.
      let acc = pair(op, n - 1);
      for (let i = n - 2; i >= 0; i--) acc = E.or(pair(STRICT[op], i), E.and(pair('=', i), acc));
      return acc;
    }
  }
}

/**
 * `arg [NOT] BETWEEN lo AND hi`: the three scalar operands, or with row values the whole test,
 * `arg >= lo AND arg <= hi`.
 */
export function rowBetween(
  e: Extract<SqlExpr, { t: 'between' }>,
  cx: ExprContext,
): { readonly scalars: readonly [Expr, Expr, Expr] } | { readonly rows: Expr } {
  const arg = rowOperand(e.arg, cx);
  const lo = rowOperand(e.lo, cx);
  const hi = rowOperand(e.hi, cx);
  if (arg.length === 1 && lo.length === 1 && hi.length === 1) return { scalars: [arg[0], lo[0], hi[0]] };
  const both = E.and(rowComparison('>=', arg, lo, cx, e.start), rowComparison('<=', arg, hi, cx, e.start));
  return { rows: e.not ? E.unary('not', both) : both };
}

/**
 * `(a, b) [NOT] IN ((1, 2), (3, 4))`: an OR of row equalities (NOT: its negation), which has
 * IN's NULL rules. Every element must be a row of the same size (SQLite's message otherwise).
 */
export function rowInList(e: Extract<SqlExpr, { t: 'in' }>, arg: readonly Expr[], cx: ExprContext): Expr {
  if (e.list.length === 0) return E.literal(e.not ? 1 : 0, 'integer');
  const n = arg.length;
  // SQLite takes a subquery's row on the left of a list only as a one-column value.
  if (e.arg.t !== 'row') {
    if (e.list.length === 1) throw rowMisused(cx, e.start);
    throw new QueryError(`sub-select returns ${n} columns - expected 1`, 'QUERY', {
      sql: cx.sql,
      offset: e.arg.start,
    });
  }
  const matches = e.list.map((x) => {
    const terms = x.t === 'row' ? x.items.length : 1;
    if (terms !== n || x.t !== 'row')
      throw new QueryError(
        `IN(...) element has ${terms} term${terms === 1 ? '' : 's'} - expected ${n}`,
        'QUERY',
        {
          sql: cx.sql,
          offset: x.start,
        },
      );
    return rowComparison('=', arg, rowOperand(x, cx), cx, x.start);
  });
  const any = balancedTree(matches, 'or');
  return e.not ? E.unary('not', any) : any;
}

/** A simple CASE over a row value: a searched CASE of row equalities. */
export function rowCase(e: Extract<SqlExpr, { t: 'case' }>, base: readonly Expr[], cx: ExprContext): Expr {
  const whens = e.whens.map((w) => ({
    when: rowComparison('=', base, rowOperand(w.when, cx), cx, w.when.start),
    then: lowerExpr(w.then, cx),
  }));
  return E.case(null, whens, e.otherwise ? lowerExpr(e.otherwise, cx) : null);
}
