/**
 * `SELECT count(*) FROM t` and nothing else: the primary-key tree knows its size, so no row is
 * counted (SQLite answers it from its tree too).
 */
import { collectionOf, rowsOf } from './row-fetch';
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
