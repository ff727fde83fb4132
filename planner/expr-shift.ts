/**
 * Rebase column references: a join evaluates expressions over rows that start at some column of
 * the wide FROM row, so every ColumnExpr moves by `delta`. Subquery plans are left alone (they
 * read their own rows); literal values are never walked into.
 */
import type { Expr } from './expr';

function shift(v: unknown, to: (column: number) => number): unknown {
  if (Array.isArray(v)) return v.map((x) => shift(x, to));
  if (v === null || typeof v !== 'object') return v;
  const node = v as { readonly kind?: unknown } & Record<string, unknown>;
  switch (node.kind) {
    case 'column':
      return { ...node, column: to(node.column as number) };
    case 'literal':
    case 'param':
    case 'slot':
      return node;
    case 'subquery':
      // The plan reads its own rows; the arg and a correlated subquery's outer bindings read ours.
      return {
        ...node,
        arg: node.arg === null ? null : shift(node.arg, to),
        ...(node.correlated ? { correlated: shift(node.correlated, to) } : {}),
      };
    default: {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(node)) out[k] = shift(x, to);
      return out;
    }
  }
}

export function shiftColumns(e: Expr, delta: number): Expr {
  return delta === 0 ? e : (shift(e, (c) => c + delta) as Expr);
}

/** Move every column reference to `to(column)` (a join planned in another order than written). */
export function remapColumns(e: Expr, to: (column: number) => number): Expr {
  return shift(e, to) as Expr;
}
