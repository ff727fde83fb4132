/**
 * Structural helpers over planner expressions that the SELECT lowering needs: equality (to
 * share one aggregate between SELECT and HAVING, and to find group keys), bottom-up rewriting
 * (group keys → slots) and "does this read only these values" (DISTINCT + ORDER BY).
 */
import type { AggregateOrder, Expr } from '../planner/expr';
import { exprChildren } from '../planner/expr';
import { scalarFunction } from '../planner/functions';

function sameValue(a: unknown, b: unknown): boolean {
  if (a instanceof Uint8Array && b instanceof Uint8Array)
    return a.length === b.length && a.every((x, i) => x === b[i]);
  return a === b;
}

function sameOptional(a: Expr | null, b: Expr | null): boolean {
  return a === null ? b === null : b !== null && exprEquals(a, b);
}

function orderEquals(a: readonly AggregateOrder[], b: readonly AggregateOrder[]): boolean {
  return (
    a.length === b.length &&
    a.every((k, i) => k.desc === b[i].desc && k.nulls === b[i].nulls && exprEquals(k.expr, b[i].expr))
  );
}

export function exprEquals(a: Expr, b: Expr): boolean {
  switch (a.kind) {
    case 'subquery':
      // Two subqueries are never merged (each runs its own plan): only the same node is equal.
      return a === b;
    case 'column':
      return (
        b.kind === 'column' &&
        a.column === b.column &&
        a.sub.length === b.sub.length &&
        a.sub.every((s, i) => s === b.sub[i])
      );
    case 'literal':
      return b.kind === 'literal' && a.type === b.type && sameValue(a.value, b.value);
    case 'param':
      return b.kind === 'param' && a.key === b.key && a.affinity === b.affinity;
    case 'slot':
      return b.kind === 'slot' && a.index === b.index;
    case 'unary':
      return b.kind === 'unary' && a.op === b.op && exprEquals(a.arg, b.arg);
    case 'binary':
      return (
        b.kind === 'binary' && a.op === b.op && exprEquals(a.left, b.left) && exprEquals(a.right, b.right)
      );
    case 'in':
      return (
        b.kind === 'in' &&
        a.negated === b.negated &&
        exprEquals(a.arg, b.arg) &&
        a.list.length === b.list.length &&
        a.list.every((x, i) => exprEquals(x, b.list[i]))
      );
    case 'between':
      return (
        b.kind === 'between' &&
        a.negated === b.negated &&
        exprEquals(a.arg, b.arg) &&
        exprEquals(a.lo, b.lo) &&
        exprEquals(a.hi, b.hi)
      );
    case 'like':
      return (
        b.kind === 'like' &&
        a.negated === b.negated &&
        a.glob === b.glob &&
        exprEquals(a.arg, b.arg) &&
        exprEquals(a.pattern, b.pattern) &&
        (a.escape === null ? b.escape === null : b.escape !== null && exprEquals(a.escape, b.escape))
      );
    case 'isNull':
      return b.kind === 'isNull' && a.negated === b.negated && exprEquals(a.arg, b.arg);
    case 'cast':
      return b.kind === 'cast' && a.to === b.to && exprEquals(a.arg, b.arg);
    case 'collate':
      return b.kind === 'collate' && a.collation === b.collation && exprEquals(a.arg, b.arg);
    case 'glob':
      return (
        b.kind === 'glob' &&
        a.negated === b.negated &&
        exprEquals(a.arg, b.arg) &&
        exprEquals(a.pattern, b.pattern)
      );
    case 'case':
      return (
        b.kind === 'case' &&
        sameOptional(a.base, b.base) &&
        sameOptional(a.otherwise, b.otherwise) &&
        a.whens.length === b.whens.length &&
        a.whens.every((w, i) => exprEquals(w.when, b.whens[i].when) && exprEquals(w.then, b.whens[i].then))
      );
    case 'aggregate':
      return (
        b.kind === 'aggregate' &&
        a.fn === b.fn &&
        a.distinct === b.distinct &&
        (a.arg === null ? b.arg === null : b.arg !== null && exprEquals(a.arg, b.arg)) &&
        listEquals(a.more, b.more) &&
        (a.filter === null ? b.filter === null : b.filter !== null && exprEquals(a.filter, b.filter)) &&
        orderEquals(a.orderBy ?? [], b.orderBy ?? [])
      );
    case 'call':
      // random() twice is two values: only deterministic calls are the same expression.
      return (
        b.kind === 'call' &&
        a.name === b.name &&
        scalarFunction(a.name)?.deterministic === true &&
        listEquals(a.args, b.args)
      );
    case 'row':
      return b.kind === 'row' && listEquals(a.items, b.items);
  }
}

function listEquals(a: readonly Expr[], b: readonly Expr[]): boolean {
  return a.length === b.length && a.every((x, i) => exprEquals(x, b[i]));
}

/**
 * Rewrite `e` top-down: `replace` returns a substitute for a node or null to descend into it.
 * Aggregate arguments are not descended into (they read input rows, not the rewritten ones).
 */
export function rewrite(e: Expr, replace: (node: Expr) => Expr | null): Expr {
  const sub = replace(e);
  if (sub) return sub;
  const r = (x: Expr): Expr => rewrite(x, replace);
  switch (e.kind) {
    case 'column':
    case 'literal':
    case 'param':
    case 'slot':
    case 'aggregate':
      return e;
    case 'unary':
      return { ...e, arg: r(e.arg) };
    case 'binary':
      return { ...e, left: r(e.left), right: r(e.right) };
    case 'in':
      return { ...e, arg: r(e.arg), list: e.list.map(r) };
    case 'between':
      return { ...e, arg: r(e.arg), lo: r(e.lo), hi: r(e.hi) };
    case 'like':
      return { ...e, arg: r(e.arg), pattern: r(e.pattern), escape: e.escape && r(e.escape) };
    case 'isNull':
    case 'cast':
    case 'collate':
      return { ...e, arg: r(e.arg) };
    case 'glob':
      return { ...e, arg: r(e.arg), pattern: r(e.pattern) };
    case 'case':
      return {
        ...e,
        base: e.base && r(e.base),
        whens: e.whens.map((w) => ({ when: r(w.when), then: r(w.then) })),
        otherwise: e.otherwise && r(e.otherwise),
      };
    case 'call':
      return { ...e, args: e.args.map(r) };
    case 'subquery':
      return e.arg ? { ...e, arg: r(e.arg) } : e;
    case 'row':
      return { ...e, items: e.items.map(r) };
  }
}

/** Direct sub-expressions of `e`. */
export const children = exprChildren;

export function containsKind(e: Expr, kind: Expr['kind']): boolean {
  return e.kind === kind || children(e).some((c) => containsKind(c, kind));
}
