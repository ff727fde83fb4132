/**
 * Entry point of the planner layer for callers above it (src/, cursor/): plan a logical query
 * against a read view and open a pull-based result over it.
 */
import type { ReadView } from '../storage/engine';
import type { ScanPosition } from '../storage/scan-memo';
import type { ExecContext, Row } from './compile-expr';
import type { LogicalPlan } from './logical';
import type { PhysicalPlan } from './physical';
import { planQuery } from './physical-planner';
import { build } from './execute';
import type { ExecStats, ScanRowWhere, Source } from './execute';

export const DEFAULT_SORT_BUDGET_ROWS = 100_000;

export interface RunOptions {
  readRow: (location: number) => unknown[];
  /** Read path for scans in file order; defaults to readRow. */
  readRowSequential?: (at: ScanPosition) => unknown[];
  /** Filtered scans push their predicate into the reads through this when given. */
  scanRowWhere?: ScanRowWhere;
  params?: ExecContext['params'];
  sortBudgetRows?: number;
  stats?: ExecStats;
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
  const env = {
    view,
    readRow: opts.readRow,
    readRowSequential: opts.readRowSequential ?? ((at: ScanPosition) => opts.readRow(at.value)),
    scanRowWhere: opts.scanRowWhere,
    ctx: { params: opts.params ?? [] },
    stats,
    sortBudgetRows: opts.sortBudgetRows ?? DEFAULT_SORT_BUDGET_ROWS,
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
