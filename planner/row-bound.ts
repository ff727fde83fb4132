/**
 * A row-value comparison as an index bound: `(a, b) > (?, ?)` arrives lowered to scalar
 * comparisons (parser/lower-row.ts), `a > ?1 OR (a = ?1 AND b > ?2)`, and this finds the row
 * again in that shape, right-nested with the first column at the top, so a composite index on
 * (a, b) can start its walk at the key (?1, ?2) — keyset pagination reads only the page.
 * The same conditions written by hand match too (they mean the same). The comparison stays the
 * residual filter: the range is a superset of its true rows (a NULL item makes the row
 * comparison NULL where the tuple order still says "after"), never narrower.
 */
import type { ColumnExpr, Expr } from './expr';

export type RangeOp = '<' | '<=' | '>' | '>=';

/** `(columns…) op (values…)`, columns and constants of equal length. */
export interface RowBound {
  readonly columns: readonly ColumnExpr[];
  readonly values: readonly Expr[];
  readonly op: RangeOp;
}

/** A conjunct as `column op constant` (access-path.ts normalizes `constant op column`), or null. */
export type ColumnComparison = (e: Expr) => { col: ColumnExpr; op: string; value: Expr } | null;

function sameConstant(a: Expr, b: Expr): boolean {
  if (a === b) return true;
  if (a.kind === 'param' && b.kind === 'param')
    return a.key === b.key && a.outer === undefined && a.affinity === b.affinity;
  return a.kind === 'literal' && b.kind === 'literal' && a.type === b.type && Object.is(a.value, b.value);
}

function sameColumnExpr(a: ColumnExpr, b: ColumnExpr): boolean {
  return a.column === b.column && a.sub.length === b.sub.length && a.sub.every((s, i) => s === b.sub[i]);
}

function isRange(op: string): op is RangeOp {
  return op === '<' || op === '<=' || op === '>' || op === '>=';
}

/**
 * The row comparison `e` is, or null. `comparison` reads one scalar comparison (null also for
 * one the index cannot answer: a collation, a CAST).
 */
export function rowBound(e: Expr, comparison: ColumnComparison): RowBound | null {
  const single = comparison(e);
  if (single)
    return isRange(single.op) ? { columns: [single.col], values: [single.value], op: single.op } : null;
  if (e.kind !== 'binary' || e.op !== 'or' || e.right.kind !== 'binary' || e.right.op !== 'and') return null;
  const first = comparison(e.left);
  const eq = comparison(e.right.left);
  if (!first || !eq || (first.op !== '<' && first.op !== '>') || eq.op !== '=') return null;
  if (!sameColumnExpr(first.col, eq.col) || !sameConstant(first.value, eq.value)) return null;
  const rest = rowBound(e.right.right, comparison);
  // Every level bounds the same way: `a < x OR (a = x AND b > y)` is no range on (a, b).
  if (!rest || rest.op[0] !== first.op) return null;
  return { columns: [first.col, ...rest.columns], values: [first.value, ...rest.values], op: rest.op };
}
