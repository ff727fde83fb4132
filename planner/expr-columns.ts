/**
 * The stored-row columns an expression reads, for pushing a filter down into a scan
 * (storage/row-reader.ts scanRowWhere): the scan decodes only these columns of a row it has not
 * cached before testing it.
 */
import { exprChildren } from './expr';
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
    case 'row':
      return e.items.every((x) => collect(x, out));
    case 'aggregate':
    case 'slot':
    case 'subquery':
      return false;
    default: {
      const unreachable: never = e;
      return unreachable;
    }
  }
}

/**
 * Every stored-row column the expressions read, anywhere in them (aggregate arguments and
 * filters included; slots read operator output, not the row): what a covering index scan must
 * supply. A column read through a nested path counts as its top-level column.
 */
export function rowColumnsOf(exprs: readonly Expr[]): Set<number> {
  const out = new Set<number>();
  const walk = (e: Expr): void => {
    switch (e.kind) {
      case 'column':
        out.add(e.column);
        return;
      case 'literal':
      case 'param':
      case 'slot':
        return;
      case 'unary':
      case 'isNull':
      case 'cast':
      case 'collate':
        walk(e.arg);
        return;
      case 'binary':
        walk(e.left);
        walk(e.right);
        return;
      case 'in':
        walk(e.arg);
        e.list.forEach(walk);
        return;
      case 'between':
        walk(e.arg);
        walk(e.lo);
        walk(e.hi);
        return;
      case 'like':
        walk(e.arg);
        walk(e.pattern);
        if (e.escape) walk(e.escape);
        return;
      case 'glob':
        walk(e.arg);
        walk(e.pattern);
        return;
      case 'case':
        if (e.base) walk(e.base);
        for (const w of e.whens) {
          walk(w.when);
          walk(w.then);
        }
        if (e.otherwise) walk(e.otherwise);
        return;
      case 'call':
        e.args.forEach(walk);
        return;
      case 'row':
        e.items.forEach(walk);
        return;
      case 'subquery':
        if (e.arg) walk(e.arg);
        for (const b of e.correlated ?? []) walk(b.expr);
        return;
      case 'aggregate':
        if (e.arg) walk(e.arg);
        e.more.forEach(walk);
        if (e.filter) walk(e.filter);
        for (const k of e.orderBy ?? []) walk(k.expr);
        return;
      default: {
        const unreachable: never = e;
        return unreachable;
      }
    }
  };
  exprs.forEach(walk);
  return out;
}

/** Whether `expr` runs a subquery anywhere inside it. */
export function hasSubquery(e: Expr): boolean {
  return e.kind === 'subquery' || exprChildren(e).some(hasSubquery);
}
