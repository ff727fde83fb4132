/**
 * `SELECT status, count(*) FROM items [WHERE status …] GROUP BY status` over a covering walk of a
 * plain single-column index on the key: the groups are the runs of equal keys, so their counts
 * need no row — built from the index entries, a row per entry went through the aggregate (1M
 * rows: 60–78 ms warm, SQLite 33–35). Here the walk steps a run while it is short (a key of a few
 * rows costs what a row did); a run longer than LONG_RUN is counted by a walk bounded to its key,
 * which jumps over the entries of each leaf and passes whole pages the walk has not read
 * (BTreeCursor.skip), and the walk goes on past the key. The groups come out in key order with
 * their first entry's key, as aggregating the walk's rows gives them.
 *
 * Applies when every aggregate is `count(*)` (no FILTER, not DISTINCT), nothing above reads a
 * column of the group's row but its key (AggregatePNode.keysOnly), and the input is a forward
 * covering walk of an index of `coll.indexes` (plain, BINARY) on exactly that top-level column.
 */
import { pollRows } from './interrupt';
import { rangeOptions } from './index-range';
import { valueCollation } from './sql-text';
import { collectionOf, treeOf } from './row-fetch';
import type { ExecEnv } from './execute';
import { source } from './source';
import type { Source } from './source';
import type { IndexRangeScanNode, PhysicalPlan } from './physical';

type AggregateNode = Extract<PhysicalPlan, { kind: 'Aggregate' }>;

/** Entries of one key the walk steps before it counts the rest of the run by a bounded walk. */
const LONG_RUN = 64;
/** Entries a bounded walk passes at a time between interrupt checks. */
const STEP = 1 << 14;

/** Group-count runs made and runs counted by a bounded walk (tests count the work). */
export const groupCountStats = { groups: 0, longRuns: 0 };

/** The group key's column when countsGroups applies to `node`, else -1. */
export function countsGroups(node: AggregateNode, env: ExecEnv): number {
  if (!node.keysOnly || node.groupBy.length !== 1 || node.aggregates.length === 0) return -1;
  for (const a of node.aggregates)
    if (a.fn !== 'count' || a.arg !== null || a.distinct || a.filter !== null || a.orderBy !== undefined)
      return -1;
  const g = node.groupBy[0];
  const scan = node.input;
  if (g.kind !== 'column' || g.sub.length !== 0 || valueCollation(g) !== undefined) return -1;
  if (scan.kind !== 'IndexRangeScan') return -1;
  if (
    !scan.covering ||
    scan.reverse ||
    scan.flipTies ||
    scan.distinctKeys ||
    scan.prefix ||
    scan.index === null
  )
    return -1;
  if (env.foreign !== undefined) return -1;
  const coll = collectionOf(env, scan.collection);
  const ix = coll.indexes.find((i) => i.def.name === scan.index);
  if (!ix || ix.composite || ix.desc !== null || ix.columns.length !== 1) return -1;
  const col = ix.columns[0];
  return col.column === g.column && col.sub.length === 0 ? g.column : -1;
}

/**
 * The rows of countsGroups' aggregate, one per run of equal keys as it is pulled (a LIMIT above
 * stops the walk): the group's row holding its key at `column`, the key, the counts.
 */
export function groupCounts(node: AggregateNode, column: number, env: ExecEnv): Source {
  const scan = node.input as IndexRangeScanNode;
  const coll = collectionOf(env, scan.collection);
  const tree = treeOf(coll, scan.index);
  const opts = rangeOptions(scan, env);
  if (tree === null || opts === null) return source(() => null);
  // aggregateRows' layout: the group's row (here its key alone), the group key, the aggregates.
  const width = node.inputWidth;
  const counts = node.aggregates.length;
  let cur = tree.cursor(opts);
  let have = cur.next();
  return source(() => {
    if (!have) return null;
    const key = cur.key;
    let n = 1;
    for (;;) {
      have = cur.next();
      if (!have || tree.compareKeys(cur.key, key) !== 0) break;
      if (++n < LONG_RUN) continue;
      // A long run: every entry of the key lies inside the walk's range (the bounds compare it as
      // they compared its first entry), so a walk bounded to the key counts the whole run.
      const run = tree.cursor({ lo: key, loInclusive: true, hi: key, hiInclusive: true });
      n = 0;
      for (;;) {
        const k = run.skip(STEP);
        n += k;
        pollRows(k);
        if (k < STEP) break;
      }
      groupCountStats.longRuns++;
      cur = tree.cursor({ ...opts, lo: key, loInclusive: false });
      have = cur.next();
      break;
    }
    env.stats.indexEntries += n;
    groupCountStats.groups++;
    pollRows(1);
    const row = new Array<unknown>(width + 1 + counts).fill(null);
    row[column] = key;
    row[width] = key;
    for (let j = 0; j < counts; j++) row[width + 1 + j] = n;
    return row;
  });
}
