/**
 * The stored-row columns an expression reads, for pushing a filter down into a scan
 * (storage/engine.ts scanRowWhere): the scan decodes only these columns of a row it has not
 * cached before testing it.
 */
import type { Expr } from './expr';

/**
 * Ascending column indexes `expr` reads, or null when it reads something a partially decoded
 * row cannot provide (slots of operator output, aggregates).
 */
export function columnsOf(expr: Expr): number[] | null {
  const found = new Set<number>();
  return collect(expr, found) ? [...found].sort((a, b) => a - b) : null;
}

function collect(e: Expr, out: Set<number>): boolean {
  switch (e.kind) {
    case 'column':
      out.add(e.column);
      return true;
    case 'literal':
    case 'param':
      return true;
    case 'unary':
      return collect(e.arg, out);
    case 'binary':
      return collect(e.left, out) && collect(e.right, out);
    case 'in':
      return collect(e.arg, out) && e.list.every((x) => collect(x, out));
    case 'between':
      return collect(e.arg, out) && collect(e.lo, out) && collect(e.hi, out);
    case 'like':
      return collect(e.arg, out) && collect(e.pattern, out) && (e.escape === null || collect(e.escape, out));
    case 'isNull':
    case 'cast':
    case 'collate':
      return collect(e.arg, out);
    case 'glob':
      return collect(e.arg, out) && collect(e.pattern, out);
    case 'case':
      return (
        (e.base === null || collect(e.base, out)) &&
        e.whens.every((w) => collect(w.when, out) && collect(w.then, out)) &&
        (e.otherwise === null || collect(e.otherwise, out))
      );
    case 'call':
      return e.args.every((x) => collect(x, out));
    case 'aggregate':
    case 'slot':
      return false;
    default: {
      const unreachable: never = e;
      return unreachable;
    }
  }
}
