/**
 * Rebase column references: a join evaluates expressions over rows that start at some column of
 * the wide FROM row, so every ColumnExpr moves by `delta`. Subquery plans are left alone (they
 * read their own rows); literal values are never walked into.
 */
import type { Expr } from './expr';

function shift(v: unknown, delta: number): unknown {
  if (Array.isArray(v)) return v.map((x) => shift(x, delta));
  if (v === null || typeof v !== 'object') return v;
  const node = v as { readonly kind?: unknown } & Record<string, unknown>;
  switch (node.kind) {
    case 'column':
      return { ...node, column: (node.column as number) + delta };
    case 'literal':
    case 'param':
    case 'slot':
      return node;
    case 'subquery':
      // The plan reads its own rows; the arg and a correlated subquery's outer bindings read ours.
      return {
        ...node,
        arg: node.arg === null ? null : shift(node.arg, delta),
        ...(node.correlated ? { correlated: shift(node.correlated, delta) } : {}),
      };
    default: {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(node)) out[k] = shift(x, delta);
      return out;
    }
  }
}

export function shiftColumns(e: Expr, delta: number): Expr {
  return delta === 0 ? e : (shift(e, delta) as Expr);
}
