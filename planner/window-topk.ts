/**
 * Top k per group: `SELECT … FROM (SELECT …, row_number() OVER (PARTITION BY g ORDER BY o) AS rn
 * FROM t) WHERE rn <= k` (or `rn = k`, `rn < k`, written either way round) keeps only rows among
 * the first k of their partition, so the Window under it needs only those: it drops the others
 * as they stream past (planner/window-exec.ts firstRowsPerPartition) instead of holding, copying
 * and sorting every input row. The filter stays above and still decides; this only bounds what
 * reaches it.
 *
 * Safe only when every call of the Window is row_number, rank or dense_rank over one
 * specification: those values on a partition's first k rows depend on no later row. Frames,
 * aggregates, lead/last_value/ntile/percent_rank/cume_dist see the whole partition, and a second
 * specification would see the rows the first one dropped. The subquery must end in Project over
 * the Window (a Sort above is fine; a LIMIT or DISTINCT would see different rows).
 */
import type { Expr } from './expr';
import type { PhysicalPlan, WindowPNode } from './physical';
import { sameSpecKey } from './window';

const RANKING: ReadonlySet<string> = new Set(['row_number', 'rank', 'dense_rank']);

/** `input` (a derived table's plan) with its Window bounded by the first usable conjunct of `preds`. */
export function boundWindowPartitions(input: PhysicalPlan, preds: readonly Expr[]): PhysicalPlan {
  const project = input.kind === 'Sort' ? input.input : input;
  if (project.kind !== 'Project' || project.input.kind !== 'Window') return input;
  const win = project.input;
  if (win.keepPerPartition || !rankingOnly(win)) return input;
  for (const p of preds) {
    const b = rowNumberBound(p);
    if (!b) continue;
    const c = project.columns[b.column]?.expr;
    const at = c?.kind === 'slot' ? c.index : c?.kind === 'column' && c.sub.length === 0 ? c.column : -1;
    const call = win.calls[at - win.inputWidth];
    if (call?.kind !== 'builtin' || call.fn !== 'row_number') continue;
    const bounded: WindowPNode = {
      ...win,
      keepPerPartition: b.limit,
      ...(b.strict ? { keepStrict: true } : {}),
    };
    const proj = { ...project, input: bounded };
    return input.kind === 'Sort' ? { ...input, input: proj } : proj;
  }
  return input;
}

function rankingOnly(win: WindowPNode): boolean {
  const spec = sameSpecKey(win.calls[0].spec);
  return win.calls.every((c) => c.kind === 'builtin' && RANKING.has(c.fn) && sameSpecKey(c.spec) === spec);
}

/** The limit a conjunct puts on an output column: `col <= x`, `col = x`, `col < x` (strict). */
function rowNumberBound(p: Expr): { column: number; limit: Expr; strict: boolean } | null {
  if (p.kind !== 'binary') return null;
  const { op, left, right } = p;
  const constant = (e: Expr): boolean => e.kind === 'literal' || e.kind === 'param';
  if (left.kind === 'column' && left.sub.length === 0 && constant(right)) {
    if (op === '=' || op === '<=') return { column: left.column, limit: right, strict: false };
    if (op === '<') return { column: left.column, limit: right, strict: true };
  }
  if (right.kind === 'column' && right.sub.length === 0 && constant(left)) {
    if (op === '=' || op === '>=') return { column: right.column, limit: left, strict: false };
    if (op === '>') return { column: right.column, limit: left, strict: true };
  }
  return null;
}
