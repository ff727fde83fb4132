/**
 * `SELECT status, count(*) FROM items [WHERE status …] GROUP BY status` over a covering walk of a
 * plain index on the key (or whose leading columns are the GROUP BY columns): the groups are the
 * runs of equal keys (of equal leading values), so their counts need no row — built from the index
 * entries, a row per entry went through the aggregate (1M rows: 60–78 ms warm, SQLite 33–35).
 * Here the walk steps a run while it is short (a key of a few rows costs what a row did); a run
 * longer than LONG_RUN is counted by a walk bounded to its key, which jumps over the entries of
 * each leaf and passes whole pages the walk has not read (BTreeCursor.skip), and the walk goes on
 * past the key. The groups come out in the index's order with their first entry's keys, as
 * SQLite's walk of the same index gives them.
 *
 * Applies when every aggregate is `count(*)` (no FILTER, not DISTINCT), nothing above reads a
 * column of the group's row but its keys (AggregatePNode.keysOnly), and the input is a forward
 * covering walk of an index of `coll.indexes` (plain, BINARY, ascending) led by exactly those
 * top-level columns, whose bounds constrain no later column.
 */
import { KEY_TOP, compareValues } from '../storage/compare';
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

/**
 * The stored-row columns of the group keys, in the index's order, when countsGroups applies to
 * `node`, else null: the GROUP BY columns are the index's leading columns (in any order), and the
 * walk's bounds constrain no column past them (else a run of the keys could reach outside the
 * walk: `WHERE a = 7 AND b > 3 GROUP BY a` over an index on (a, b) groups only part of a's run).
 */
export function countsGroups(node: AggregateNode, env: ExecEnv): number[] | null {
  if (!node.keysOnly || node.groupBy.length === 0 || node.aggregates.length === 0) return null;
  for (const a of node.aggregates)
    if (a.fn !== 'count' || a.arg !== null || a.distinct || a.filter !== null || a.orderBy !== undefined)
      return null;
  const scan = node.input;
  if (scan.kind !== 'IndexRangeScan' || scan.index === null || env.foreign !== undefined) return null;
  if (!scan.covering || scan.reverse || scan.flipTies || scan.distinctKeys || scan.prefixIn) return null;
  const coll = collectionOf(env, scan.collection);
  const ix = coll.indexes.find((i) => i.def.name === scan.index);
  if (!ix || ix.desc !== null || ix.columns.length < node.groupBy.length) return null;
  const constrained = (scan.prefix?.length ?? 0) + (scan.lo || scan.hi || scan.skipNulls ? 1 : 0);
  if (constrained > node.groupBy.length || ix.composite !== (scan.prefix !== undefined)) return null;
  // The GROUP BY columns in the index's order (SQLite groups `GROUP BY b, a` by an index on (a, b)
  // too, its groups then in the index's order).
  const columns: number[] = [];
  for (let i = 0; i < node.groupBy.length; i++) {
    const col = ix.columns[i];
    if (col.sub.length !== 0) return null;
    const g = node.groupBy.find((e) => e.kind === 'column' && e.column === col.column);
    if (!g || g.kind !== 'column' || g.sub.length !== 0 || valueCollation(g) !== undefined) return null;
    columns.push(col.column);
  }
  return columns;
}

/**
 * The rows of countsGroups' aggregate, one per run of equal keys (equal leading `columns.length`
 * values of a composite key) as it is pulled (a LIMIT above stops the walk): the group's row
 * holding its keys at `columns`, the keys, the counts.
 */
export function groupCounts(node: AggregateNode, columns: readonly number[], env: ExecEnv): Source {
  const scan = node.input as IndexRangeScanNode;
  const coll = collectionOf(env, scan.collection);
  const tree = treeOf(coll, scan.index);
  const opts = rangeOptions(scan, env);
  if (tree === null || opts === null) return source(() => null);
  const g = columns.length;
  const composite = scan.prefix !== undefined;
  // The group's keys of an entry's key, and whether two entries' keys fall in one group.
  const keysOf = (key: unknown): readonly unknown[] => (composite ? (key as unknown[]).slice(0, g) : [key]);
  const sameGroup = composite
    ? (a: unknown, b: readonly unknown[]): boolean => {
        const t = a as readonly unknown[];
        for (let i = 0; i < g; i++) if (compareValues(t[i], b[i]) !== 0) return false;
        return true;
      }
    : (a: unknown, b: readonly unknown[]): boolean => tree.compareKeys(a, b[0]) === 0;
  // Cursor bounds around every entry of one group: a composite key's group prefix sorts before
  // each key it starts, and the prefix followed by KEY_TOP after each.
  const first = (keys: readonly unknown[]): unknown => (composite ? keys : keys[0]);
  const last = (keys: readonly unknown[]): unknown => (composite ? [...keys, KEY_TOP] : keys[0]);
  // aggregateRows' layout: the group's row (here its keys alone), the group keys, the aggregates.
  const width = node.inputWidth;
  const counts = node.aggregates.length;
  const slots = node.groupBy.map((e) => (e as Extract<typeof e, { kind: 'column' }>).column);
  let cur = tree.cursor(opts);
  let have = cur.next();
  return source(() => {
    if (!have) return null;
    const keys = keysOf(cur.key);
    let n = 1;
    for (;;) {
      have = cur.next();
      if (!have || !sameGroup(cur.key, keys)) break;
      if (++n < LONG_RUN) continue;
      // A long run: every entry of the group lies inside the walk's range (its bounds constrain
      // no column past the group's), so a walk bounded to the group counts the whole run.
      const run = tree.cursor({ lo: first(keys), loInclusive: true, hi: last(keys), hiInclusive: true });
      n = 0;
      for (;;) {
        const k = run.skip(STEP);
        n += k;
        pollRows(k);
        if (k < STEP) break;
      }
      groupCountStats.longRuns++;
      cur = tree.cursor({ ...opts, lo: last(keys), loInclusive: false });
      have = cur.next();
      break;
    }
    env.stats.indexEntries += n;
    groupCountStats.groups++;
    pollRows(1);
    const row = new Array<unknown>(width + g + counts).fill(null);
    for (let i = 0; i < g; i++) row[columns[i]] = keys[i];
    // The group keys in GROUP BY order.
    for (let i = 0; i < g; i++) row[width + i] = row[slots[i]];
    for (let j = 0; j < counts; j++) row[width + g + j] = n;
    return row;
  });
}
