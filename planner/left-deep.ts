/**
 * A run of inner joins rebuilt in a chosen order: the leaves joined left-deep as written (`fixed`:
 * the planner keeps this order), each leaf's columns moved to where the new order puts them.
 * Used by the join-order search and by the lateral reordering of table functions.
 */
import type { LogicalPlan } from './logical';

export interface Leaf {
  readonly plan: LogicalPlan;
  /** The leaf's global columns before reordering: lo ≤ c < hi. */
  readonly lo: number;
  readonly hi: number;
}

/**
 * `order`'s leaves joined left to right from global column `base`, and `to`, each old global
 * column's new one. `planOf` gives a leaf's plan once `to` is known (a leaf reading other leaves'
 * columns remaps them).
 */
export function leftDeep<L extends Leaf>(
  order: readonly L[],
  base: number,
  planOf: (leaf: L, to: (c: number) => number) => LogicalPlan = (leaf) => leaf.plan,
): { tree: LogicalPlan; to: (c: number) => number } {
  const moved = new Map<number, number>();
  let at = base;
  for (const l of order) {
    for (let c = l.lo; c < l.hi; c++) moved.set(c, at + (c - l.lo));
    at += l.hi - l.lo;
  }
  const to = (c: number): number => moved.get(c) ?? c;
  let tree = planOf(order[0], to);
  let width = order[0].hi - order[0].lo;
  for (const l of order.slice(1)) {
    const w = l.hi - l.lo;
    tree = {
      kind: 'join',
      type: 'inner',
      left: tree,
      right: planOf(l, to),
      on: null,
      leftWidth: width,
      rightWidth: w,
      fixed: true,
    };
    width += w;
  }
  return { tree, to };
}
