/**
 * `SELECT count(DISTINCT qty) FROM items [WHERE qty > ?]` over a covering walk of an index on
 * `qty`: every aggregate reads only the DISTINCT values of the index's key, so an entry whose key
 * is the very value of the entry before it changes nothing, and the walk hands on the first entry
 * of each run of equal keys alone (IndexRangeScanNode.distinctKeys) instead of a row per entry.
 * Skipped keys are identical (===) to the previous one, so any DISTINCT comparison — a collation,
 * 1 against 1.0 — sees the same set of values; the values kept come in the same order (what
 * `group_concat(DISTINCT …)` concatenates in).
 */
import type { BTreeSnapshot, CursorOptions } from '../storage/btree';
import type { CollectionView } from '../storage/collection-state';
import { Bounds } from './bounds';
import type { Row } from './compile-expr';
import type { AggregateExpr } from './expr';
import type { PhysicalPlan } from './physical';
import { source } from './source';
import type { Source } from './source';
import type { ExecStats } from './execute';

type AggregateNode = Extract<PhysicalPlan, { kind: 'Aggregate' }>;

/** Aggregates whose DISTINCT result depends on the set of values alone (and their first order). */
const SET_FUNCTIONS = new Set(['count', 'sum', 'avg', 'min', 'max', 'total', 'group_concat']);

/** The column every aggregate reads DISTINCT values of, or null when they do not all. */
function distinctColumn(aggregates: readonly AggregateExpr[]): number | null {
  let column: number | null = null;
  for (const a of aggregates) {
    const arg = a.arg;
    if (!a.distinct || a.filter !== null || a.more.length > 0 || a.orderBy !== undefined) return null;
    if (!SET_FUNCTIONS.has(a.fn) || arg === null || arg.kind !== 'column' || arg.sub.length > 0) return null;
    if (column !== null && arg.column !== column) return null;
    column = arg.column;
  }
  return column;
}

/**
 * `node` with its input walking distinct keys, when it is an ungrouped aggregate of DISTINCT
 * values of one column over a covering walk of a single-column index on that column, and nothing
 * reads the representative row (`bareUnread`); else `node` as it is. `collection` looks the
 * walked table up in the plan's catalog.
 */
export function distinctKeyWalk(
  node: AggregateNode,
  collection: (name: string) => CollectionView | undefined,
): AggregateNode {
  const input = node.input;
  if (node.groupBy.length > 0 || node.bareUnread !== true || node.aggregates.length === 0) return node;
  if (input.kind !== 'IndexRangeScan' || input.covering !== true || input.index === null) return node;
  if (input.prefix !== undefined || input.prefixIn !== undefined || input.flipTies === true) return node;
  const column = distinctColumn(node.aggregates);
  const ix = collection(input.collection)?.indexes.find((i) => i.def.name === input.index);
  if (column === null || ix === undefined || ix.special || ix.composite) return node;
  const key = ix.columns[0];
  if (key.column !== column || key.sub.length > 0) return node;
  return { ...node, input: { ...input, distinctKeys: true } };
}

/** `last` before the walk's first entry: equal to no key. */
const NONE: unique symbol = Symbol('no key yet');

/** Entries of one key stepped over before the walk seeks past the key instead. */
const SEEK_AFTER = 8;

/** The bounds of the rest of a walk over `opts` past every entry of `key`. */
function past(opts: CursorOptions<unknown>, key: unknown): Bounds {
  const reverse = opts.reverse === true;
  const b = new Bounds(reverse);
  b.lo = reverse ? opts.lo : key;
  b.loInclusive = reverse ? opts.loInclusive : false;
  b.hi = reverse ? key : opts.hi;
  b.hiInclusive = reverse ? false : opts.hiInclusive;
  return b;
}

/**
 * The rows of a covering walk over `opts` with IndexRangeScanNode.distinctKeys: the first entry
 * of each run of identical keys (NULL keys skipped with `skipNulls`). A run longer than a few
 * entries is left by a seek past its key, so a walk over 1,000 distinct values of a million rows
 * descends the tree about 1,000 times rather than stepping a million entries.
 */
export function distinctKeyRows(
  tree: BTreeSnapshot<unknown, unknown>,
  opts: CursorOptions<unknown>,
  skipNulls: boolean,
  stats: ExecStats,
  build: (key: unknown, pk: unknown) => Row,
): Source {
  let cur = tree.cursor(opts);
  let last: unknown = NONE;
  return source(() => {
    let same = 0;
    while (cur.next()) {
      stats.indexEntries++;
      const key = cur.key;
      if (skipNulls && key === null) continue;
      if (key === last) {
        // Seek only past a number or a string: keys the bounds compare exactly as the tree does.
        if (++same >= SEEK_AFTER && (typeof key === 'number' || typeof key === 'string')) {
          cur = tree.cursor(past(opts, key));
          same = 0;
        }
        continue;
      }
      last = key;
      return build(key, cur.value);
    }
    return null;
  });
}
