/**
 * A table-valued function whose arguments read a source written after it
 * (`FROM json_each(t.doc), t`): SQLite's planner runs it after that source, and so does this
 * one. The run of inner joins around it is laid out again with each function moved just after
 * the last source it reads (every other source keeps its written place), every term's columns
 * moved to match, then planned left-deep — the function joined laterally — and a Project puts
 * the columns back where the rest of the query reads them (as the join-order search does).
 * Outside a run of inner joins the order cannot change: that is an error, where SQLite runs the
 * function without its argument and finds no rows.
 */
import { QueryError } from '../src/errors';
import type { Expr } from './expr';
import { conjuncts } from './expr';
import { rowColumnsOf } from './expr-columns';
import { remapColumns } from './expr-shift';
import type { LogicalPlan } from './logical';
import type { PhysicalPlan, ProjectPNode } from './physical';
import { leftDeep } from './left-deep';

type PlanFrom = (plan: LogicalPlan, base: number, preds: readonly Expr[]) => PhysicalPlan;

interface Placed {
  plan: LogicalPlan;
  lo: number;
  hi: number;
}

/** The columns a leaf must have beside it before it runs (a table function's arguments' columns). */
function needs(leaf: Placed): number[] {
  return leaf.plan.kind === 'tableFunction' ? [...rowColumnsOf(leaf.plan.args)] : [];
}

/**
 * Whether a table function of the run of inner joins `plan` reads a column at or after its own
 * first column (one inside an outer join's side is that join's business).
 */
export function readsAhead(plan: LogicalPlan, base: number): boolean {
  if (plan.kind === 'join')
    return (
      plan.type === 'inner' && (readsAhead(plan.left, base) || readsAhead(plan.right, base + plan.leftWidth))
    );
  return plan.kind === 'tableFunction' && needs({ plan, lo: base, hi: base }).some((c) => c >= base);
}

function leafName(p: LogicalPlan): string {
  if (p.kind === 'tableFunction') return p.alias ?? p.fn;
  if (p.kind === 'scan') return p.collection;
  return p.kind === 'derived' && p.alias !== null ? p.alias : '?';
}

export function planReadingAhead(
  plan: Extract<LogicalPlan, { kind: 'join' }>,
  base: number,
  preds: readonly Expr[],
  planFrom: PlanFrom,
): PhysicalPlan {
  const leaves: Placed[] = [];
  const terms: Expr[] = [...preds];
  const walk = (p: LogicalPlan, lo: number, width: number): void => {
    if (p.kind === 'join' && p.type === 'inner') {
      walk(p.left, lo, p.leftWidth);
      walk(p.right, lo + p.leftWidth, p.rightWidth);
      terms.push(...conjuncts(p.on));
    } else leaves.push({ plan: p, lo, hi: lo + width });
  };
  walk(plan, base, plan.leftWidth + plan.rightWidth);
  const order: Placed[] = [];
  const ready = (c: number): boolean => order.some((l) => c >= l.lo && c < l.hi);
  const waiting = [...leaves];
  while (waiting.length > 0) {
    const next = waiting.findIndex((l) => needs(l).every(ready));
    if (next < 0) {
      const fn = waiting.find((l) => l.plan.kind === 'tableFunction')?.plan;
      const name = fn?.kind === 'tableFunction' ? fn.fn : 'a table-valued function';
      throw new QueryError(`${name}() reads a table that cannot be joined before it`, 'QUERY');
    }
    order.push(...waiting.splice(next, 1));
  }
  // Old global column → new global column.
  const { tree, to } = leftDeep(order, base, (l, moveTo) =>
    l.plan.kind === 'tableFunction'
      ? { ...l.plan, args: l.plan.args.map((arg) => remapColumns(arg, moveTo)) }
      : l.plan,
  );
  const node = planFrom(
    tree,
    base,
    terms.map((e) => remapColumns(e, to)),
  );
  const columns: ProjectPNode['columns'][number][] = [];
  for (const l of leaves)
    for (let c = l.lo; c < l.hi; c++)
      columns.push({
        expr: { kind: 'column', column: to(c) - base, sub: [], type: 'any', name: `${c}` },
        // EXPLAIN names each source once, as the join-order search's Project does.
        name: c === l.lo ? `${leafName(l.plan)}.*` : '',
      });
  return { kind: 'Project', input: node, columns };
}
