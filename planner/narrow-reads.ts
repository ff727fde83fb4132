/**
 * Index fetches that decode only the columns a query reads. A row an index names is read by its
 * location; when it is not decoded in memory (a table larger than the row cache), decoding it
 * whole builds every string of the row though the query may use two columns of seven. The
 * planner marks such a fetch with the columns read above it (`reads`), and a `TopN` over one
 * with `refetch`: its scan then reads only the sort keys and the filter's columns of every
 * candidate, and the few rows kept are read again whole by primary key (late materialization).
 * Only query plans are marked: a write's rows are written back whole.
 */
import type { CollectionView } from '../storage/collection-state';
import { rowColumnsOf } from './expr-columns';
import type { PhysicalPlan, TopNPNode } from './physical';

type IndexFetch = Extract<PhysicalPlan, { kind: 'IndexLookup' | 'IndexRangeScan' }>;

/** Whether `node` fetches stored rows through a secondary index (not a covering read). */
function indexFetch(node: PhysicalPlan): node is IndexFetch {
  return (
    (node.kind === 'IndexLookup' || node.kind === 'IndexRangeScan') &&
    node.index !== null &&
    node.covering !== true
  );
}

function sorted(columns: ReadonlySet<number>): number[] {
  return [...columns].sort((a, b) => a - b);
}

/**
 * `node` with `reads` set when it is an index fetch and `reads` (every column the query reads
 * from the table, or null when that is not known) leaves some column out.
 */
export function withReads(
  node: PhysicalPlan,
  view: CollectionView,
  reads: ReadonlySet<number> | null,
): PhysicalPlan {
  if (reads === null || !indexFetch(node) || reads.size >= view.compiled.columnCount) return node;
  return { ...node, reads: sorted(reads) };
}

/**
 * `top` reading its candidates late: when its input is an index fetch, alone or under a Filter,
 * and the keys, the filter and the primary key leave some column out, the fetch reads those alone
 * and the TopN reads its rows again whole (TopNPNode.refetch).
 */
export function lateTopN(top: TopNPNode, view: CollectionView): TopNPNode {
  const filter = top.input.kind === 'Filter' ? top.input : null;
  const fetch = filter ? filter.input : top.input;
  if (!indexFetch(fetch)) return top;
  const reads = rowColumnsOf([...top.keys.map((k) => k.expr), ...(filter ? [filter.predicate] : [])]);
  reads.add(view.compiled.pkColumn);
  if (reads.size >= view.compiled.columnCount) return top;
  const narrow: PhysicalPlan = { ...fetch, reads: sorted(reads) };
  const input: PhysicalPlan = filter ? { ...filter, input: narrow } : narrow;
  return { ...top, input, refetch: fetch.collection };
}
