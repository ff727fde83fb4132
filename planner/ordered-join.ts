/**
 * `… FROM posts p JOIN users u ON u.id = p.author ORDER BY p.created DESC LIMIT 20`: when every
 * ORDER BY term is a column of the first table and the WHERE reads only that table, the first
 * table is walked in the ORDER BY's order (an index on the first term, or its primary key:
 * planner/access-path.ts) and every other table is looked up once per row by an index, in the
 * written order. Inner and left index joins keep their outer rows' order, so nothing is sorted,
 * the first row comes at once and a LIMIT stops the walk after a page — SQLite's plan for a feed
 * joined to its authors. An index giving only the leading terms leaves runs of ties to sort
 * (planner/presorted-sort.ts). The join planner's own choice (planner/join-planner.ts) sorts
 * every joined row instead.
 */
import type { Expr } from './expr';
import { conjuncts } from './expr';
import type { LogicalPlan, SortKey } from './logical';
import type { PhysicalPlan } from './physical';
import type { JoinPlanning } from './join-planner';
import { planFrom } from './join-planner';
import { within } from './join-terms';
import { accessPlan } from './access-path';
import type { AccessChoice } from './access-path';

type Join = Extract<LogicalPlan, { kind: 'join' }>;

/**
 * The plan above, or null when the query is not of its shape or the joins are not all index
 * lookups. `access(view, where)` chooses the first table's access path for the ORDER BY; when it
 * gives only the leading terms, `presorted` says how many (a TopN or Sort above sorts the runs).
 */
export function orderedJoin(
  from: LogicalPlan,
  where: Expr | null,
  sort: readonly SortKey[],
  ctx: JoinPlanning,
  access: (
    view: Parameters<JoinPlanning['access']>[0],
    preds: readonly Expr[],
    sort: readonly SortKey[],
  ) => AccessChoice,
): { plan: PhysicalPlan; presorted: number } | null {
  // A left-deep run of inner and left joins of tables, each table once.
  const names: string[] = [];
  const fixed = (p: LogicalPlan): LogicalPlan | null => {
    if (p.kind === 'scan') {
      names.push(p.collection);
      return p;
    }
    if (p.kind !== 'join' || (p.type !== 'inner' && p.type !== 'left') || p.right.kind !== 'scan')
      return null;
    const left = fixed(p.left);
    if (left === null) return null;
    names.push(p.right.collection);
    // `fixed`: planned in the written order (the join planner would otherwise drive from a lookup).
    return { ...p, left, fixed: true } satisfies Join;
  };
  const tree = fixed(from);
  if (tree === null || tree.kind !== 'join' || new Set(names).size !== names.length) return null;
  let first: LogicalPlan = tree;
  while (first.kind === 'join') first = first.left;
  if (first.kind !== 'scan') return null;
  const firstName = first.collection;
  let bottom: Join = tree;
  while (bottom.left.kind === 'join') bottom = bottom.left;
  const span = { lo: 0, hi: bottom.leftWidth };
  const onFirst = (e: Expr): boolean => within(e, span);
  // The leading ORDER BY terms that are columns of the first table: its walk can give those.
  let lead = 0;
  while (lead < sort.length && sort[lead].expr.kind === 'column' && onFirst(sort[lead].expr)) lead++;
  if (lead === 0) return null;
  const firstSort = sort.slice(0, lead);
  const preds = conjuncts(where);
  if (!preds.every(onFirst)) return null;

  let ordered = false;
  let presorted = 0;
  const node = planFrom(tree, 0, preds, {
    ...ctx,
    reorder: false,
    access(view, local) {
      if (view.meta.schema.name !== firstName) return ctx.access(view, local);
      const choice = access(view, local, firstSort);
      ordered = choice.ordered;
      presorted = choice.presorted ?? 0;
      return accessPlan(choice);
    },
  });
  // How many leading terms the rows come ordered by; the rest sorts run by run above.
  const given = ordered ? lead : presorted;
  if (given === 0 || !lookupsAll(node)) return null;
  return { plan: node, presorted: given === sort.length ? 0 : given };
}

/** Whether every join down the outer side is an index lookup of its inner table. */
function lookupsAll(node: PhysicalPlan): boolean {
  let p = node;
  let joins = 0;
  for (;;) {
    if (p.kind === 'Filter') p = p.input;
    else if (p.kind === 'IndexNestedLoopJoin' && !p.swapped) {
      joins++;
      p = p.outer;
    } else return joins > 0 && p.kind !== 'HashJoin' && p.kind !== 'NestedLoopJoin';
  }
}
