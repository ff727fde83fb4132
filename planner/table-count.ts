/**
 * `SELECT count(*) FROM t` and nothing else: the primary-key tree knows its size, so no row is
 * counted (SQLite answers it from its tree too); over a range of an index or of the key
 * (`WHERE qty > ?`), the walk steps its cursor and builds no row.
 */
import { collectionOf, rowsOf } from './row-fetch';
import { pollRows } from './interrupt';
import type { Source } from './source';
import type { Row } from './compile-expr';
import type { ExecEnv } from './execute';
import type { PhysicalPlan } from './physical';

/** `count(*)` of a whole table and nothing else: the primary-key tree knows its size. */
export function countsWholeTable(node: Extract<PhysicalPlan, { kind: 'Aggregate' }>): boolean {
  if (node.groupBy.length !== 0 || node.aggregates.length !== 1 || node.input.kind !== 'CollectionScan')
    return false;
  const a = node.aggregates[0];
  return a.fn === 'count' && a.arg === null && !a.distinct && a.filter === null;
}

/**
 * aggregateRows' one row for countsWholeTable without reading every row (SQLite answers it from
 * its tree too). Bare columns read the first row in scan order, as aggregateRows gives them.
 */
export function tableCount(node: Extract<PhysicalPlan, { kind: 'Aggregate' }>, env: ExecEnv): Row[] {
  const input = node.input as Extract<PhysicalPlan, { kind: 'CollectionScan' }>;
  const coll = collectionOf(env, input.collection);
  const cur = coll.pk.cursor();
  const first = cur.next() ? rowsOf(env, coll).readRowSequential(cur) : null;
  if (first) env.stats.rowsRead++;
  const row = new Array<unknown>(node.inputWidth + 1);
  for (let i = 0; i < node.inputWidth; i++) row[i] = first?.[i] ?? null;
  row[node.inputWidth] = coll.pk.size;
  return [row];
}

/** `count(*)` and nothing else, without GROUP BY: only the first row's values are ever read (bare columns). */
export function countsRowsOnly(node: Extract<PhysicalPlan, { kind: 'Aggregate' }>): boolean {
  if (node.groupBy.length !== 0 || node.aggregates.length !== 1) return false;
  const a = node.aggregates[0];
  return a.fn === 'count' && a.arg === null && !a.distinct && a.filter === null;
}

/** `count(*)` alone, no bare column read, over an index or key range: counted by stepping the walk. */
export function countsRange(node: Extract<PhysicalPlan, { kind: 'Aggregate' }>): boolean {
  return node.bareUnread === true && countsRowsOnly(node) && node.input.kind === 'IndexRangeScan';
}

/** Rows the walk steps over at a time between interrupt checks. */
const STEP = 1 << 14;

/**
 * countsRange's one row from `input`, the range's walk, stepped over (Source.skip) a chunk at a
 * time with the interrupt checked between (statement timeouts, cancel); null when the walk cannot
 * step (the caller aggregates its rows).
 */
export function rangeCount(node: Extract<PhysicalPlan, { kind: 'Aggregate' }>, input: Source): Row[] | null {
  const skip = input.skip;
  if (skip === undefined) return null;
  let count = 0;
  for (;;) {
    const k = skip(STEP);
    count += k;
    pollRows(k);
    if (k < STEP) break;
  }
  // Bare columns are NULL: nothing above reads them (bareUnread).
  const row = new Array<unknown>(node.inputWidth + 1).fill(null);
  row[node.inputWidth] = count;
  return [row];
}
