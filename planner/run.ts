/**
 * Entry point of the planner layer for callers above it (src/, cursor/): plan a logical query
 * against a read view and open a pull-based result over it.
 */
import type { ReadView } from '../storage/engine';
import type { RowReaders, ScanPosition } from '../storage/row-readers';
import type { ExecContext, Row } from './compile-expr';
import type { LogicalPlan, SharedCte } from './logical';
import type { PhysicalPlan } from './physical';
import { planQuery } from './physical-planner';
import { build, drain } from './execute';
import type { ExecStats, Source } from './execute';

export const DEFAULT_SORT_BUDGET_ROWS = 100_000;

export interface RunOptions {
  readers: RowReaders;
  params?: ExecContext['params'];
  session?: ExecContext['session'];
  sortBudgetRows?: number;
  stats?: ExecStats;
  /** Rows of shared CTEs, when several runs make up one statement execution (a write's queries). */
  sharedCtes?: Map<SharedCte, Row[]>;
}

export function physicalPlan(plan: LogicalPlan, view: ReadView): PhysicalPlan {
  return planQuery(plan, { collection: (name) => view.collections.get(name) });
}

/** Open a result: nothing is read until the first next(). */
export function openResult(
  plan: PhysicalPlan,
  view: ReadView,
  opts: RunOptions,
): { source: Source; stats: ExecStats } {
  const stats = opts.stats ?? { rowsRead: 0, indexEntries: 0 };
  const readers = opts.readers;
  const ctx: ExecContext = opts.session
    ? { params: opts.params ?? [], session: opts.session }
    : { params: opts.params ?? [] };
  const env = {
    view,
    readRow: readers.readRow,
    readRowSequential: readers.readRowSequential ?? ((at: ScanPosition) => readers.readRow(at.value)),
    scanRowWhere: readers.scanRowWhere,
    ctx,
    stats,
    sortBudgetRows: opts.sortBudgetRows ?? DEFAULT_SORT_BUDGET_ROWS,
    sharedCtes: opts.sharedCtes ?? new Map<SharedCte, Row[]>(),
  };
  // Subqueries run on this execution's snapshot and bindings, planned like any query.
  // A correlated subquery runs once per outer row: plan it once per execution.
  const planned = new WeakMap<LogicalPlan, PhysicalPlan>();
  ctx.runPlan = (sub: LogicalPlan) => {
    let p = planned.get(sub);
    if (!p) {
      p = physicalPlan(sub, view);
      planned.set(sub, p);
    }
    return drain(build(p, env));
  };
  let source: Source | null = null;
  return {
    source: {
      next(): Row | null {
        source ??= build(plan, env);
        return source.next();
      },
    },
    stats,
  };
}
