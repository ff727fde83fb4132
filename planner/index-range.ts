/**
 * Index range scans: cursor bounds from a plan node's bound expressions (single-column and
 * composite indexes, and the walks of partial and expression indexes), whole-key groups read
 * through the tree's memo, and rows built from a covering index's entries.
 */
import type { BTreeSnapshot, CursorOptions } from '../storage/btree';
import type { CollectionView } from '../storage/collection-state';
import { KEY_BOTTOM, KEY_TOP } from '../storage/compare';
import type { KeyGroup } from '../storage/prefix-memo';
import { QueryError } from '../src/errors';
import { Bounds } from './bounds';
import { evalConstant } from './compile-expr';
import type { Row } from './compile-expr';
import type { ExecEnv } from './execute';
import type { Bound, IndexRangeScanNode, SqlIndexScanNode } from './physical';
import type { IndexView } from '../storage/collection-state';
import { E } from './expr';

/** Entries of a whole-key group read in one piece (a larger group streams from a cursor). */
const GROUP_MAX = 64;

/**
 * The primary keys an equality on every column of a composite index selects, in index order,
 * when there are at most GROUP_MAX: the tree answers a repeated key from its memo instead of
 * descending (storage/btree.ts prefixGroup). `opts` are compositeRange's bounds, which for such
 * a scan are the key and the key followed by KEY_TOP, the walk prefixGroup makes. Null: walk.
 */
export function wholeKeyGroup(
  node: IndexRangeScanNode,
  coll: CollectionView,
  opts: CursorOptions<unknown>,
  tree: BTreeSnapshot<unknown, unknown>,
): KeyGroup<unknown> | null {
  const prefix = node.prefix;
  if (prefix === undefined || node.lo !== null || node.hi !== null || node.reverse) return null;
  if (node.flipTies === true || node.covering === true || !Array.isArray(opts.lo)) return null;
  const ix = coll.indexes.find((x) => x.def.name === node.index);
  if (ix === undefined || !ix.composite || prefix.length !== ix.columns.length) return null;
  return tree.prefixGroup(opts.lo, GROUP_MAX);
}

/**
 * The primary keys of the entries of a single-column index whose key is the number `key`, when
 * there are at most GROUP_MAX, through the tree's memo (storage/btree.ts keyGroup). Null: walk.
 */
export function singleKeyGroup(
  coll: CollectionView,
  index: string,
  tree: BTreeSnapshot<unknown, unknown>,
  key: unknown,
): KeyGroup<unknown> | null {
  if (typeof key !== 'number') return null;
  const ix = coll.indexes.find((x) => x.def.name === index);
  if (ix === undefined || ix.composite) return null;
  return tree.keyGroup(key, GROUP_MAX);
}

/**
 * A bound's values: its value and a row bound's following items up to the first NULL (a row
 * comparison with a NULL item is never true on the key it names, only past it); null when the
 * bounded column's own value is NULL (no row is in range).
 */
function boundValues(b: Bound, env: ExecEnv): unknown[] | null {
  const first = evalConstant(b.expr, env.ctx);
  if (first === null) return null;
  const out = [first];
  for (const x of b.rest ?? []) {
    const v = evalConstant(x, env.ctx);
    if (v === null) break;
    out.push(v);
  }
  return out;
}

/**
 * Cursor bounds of a scan over a composite index: tuples, in the tree's order. With the equality
 * prefix p and a value v of the next column, `[...p, v]` is before and `[...p, v, END]` after every
 * key starting with p, v (END: the value that sorts last in the following column's direction). A
 * descending column swaps the SQL bounds: its upper bound starts the walk, its lower bound ends
 * it, and its NULLs (the smallest values) come last instead of first. A NULL equality value
 * matches nothing (unless it came from IS NULL), a NULL bound nothing, and a range skips NULLs.
 */
function compositeRange(node: IndexRangeScanNode, env: ExecEnv): CursorOptions<unknown> | null {
  const prefix = node.prefix ?? [];
  const k = prefix.length;
  // Bounds are the prefix values followed by up to two more: a bound value and an end marker.
  const key = (extra: number): unknown[] => new Array<unknown>(k + extra);
  const p = key(0);
  for (let i = 0; i < k; i++) {
    const v = evalConstant(prefix[i].expr, env.ctx);
    if (v === null && !prefix[i].matchNull) return null;
    p[i] = v;
  }
  const lo = node.lo ? boundValues(node.lo, env) : undefined;
  const hi = node.hi ? boundValues(node.hi, env) : undefined;
  if (lo === null || hi === null) return null;
  const desc = node.desc ?? [];
  // The prefix, then the bound's values vs (before: keys ≥ [p, vs]), or then vs and the end
  // marker (after: keys > [p, vs, …]).
  const before = (vs: readonly unknown[]): unknown[] => {
    const out = key(vs.length);
    for (let i = 0; i < k; i++) out[i] = p[i];
    for (let j = 0; j < vs.length; j++) out[k + j] = vs[j];
    return out;
  };
  const after = (vs: readonly unknown[]): unknown[] => {
    const out = before(vs);
    out.push(desc[k + vs.length] === true ? KEY_BOTTOM : KEY_TOP);
    return out;
  };
  const whole = (): unknown[] => {
    const out = key(1);
    for (let i = 0; i < k; i++) out[i] = p[i];
    out[k] = desc[k] === true ? KEY_BOTTOM : KEY_TOP;
    return out;
  };
  // A row bound cut short by a NULL item excludes its leading items' key (planner/row-bound.ts).
  const loIncl = node.lo?.inclusive === true && lo?.length === 1 + (node.lo.rest?.length ?? 0);
  const hiIncl = node.hi?.inclusive === true && hi?.length === 1 + (node.hi.rest?.length ?? 0);
  const opts = new Bounds(node.reverse);
  let start: unknown[] | undefined;
  let stop: unknown[] | undefined;
  let stopIncl = true;
  if (desc[k] !== true) {
    if (lo !== undefined) start = loIncl ? before(lo) : after(lo);
    else if (node.skipNulls) start = after([null]);
    else if (k > 0) start = p;
    if (hi !== undefined) {
      stop = hiIncl ? after(hi) : before(hi);
      stopIncl = hiIncl;
    } else if (k > 0) stop = whole();
  } else {
    if (hi !== undefined) start = hiIncl ? before(hi) : after(hi);
    else if (k > 0) start = p;
    if (lo !== undefined) {
      stop = loIncl ? after(lo) : before(lo);
      stopIncl = loIncl;
    } else if (node.skipNulls) {
      stop = before([null]);
      stopIncl = false;
    } else if (k > 0) stop = whole();
  }
  if (start !== undefined) {
    opts.lo = start;
    opts.loInclusive = true;
  }
  if (stop !== undefined) {
    opts.hi = stop;
    opts.hiInclusive = stopIncl;
  }
  return opts;
}

/**
 * Rows of a covering index read, built from an entry: the key's values at their columns (a
 * composite index's key is a tuple, a single-column index's a plain value), the primary key at
 * its column, NULL elsewhere (the planner checked that the query reads no other column).
 */
export function coveringRow(coll: CollectionView, index: string): (key: unknown, pk: unknown) => Row {
  const ix = coll.indexes.find((i) => i.def.name === index);
  if (!ix) throw new QueryError(`no such index: ${index}`, 'QUERY');
  const columns = ix.columns.map((c) => c.column);
  const width = coll.compiled.columnCount;
  const pkColumn = coll.compiled.pkColumn;
  const composite = ix.composite;
  // Copied per entry: a packed array of the right length, where `new Array(width).fill(null)`
  // made a holey one element by element (a covering walk builds one row per index entry).
  const empty: unknown[] = new Array<unknown>(width).fill(null);
  return (key, pk) => {
    const row = empty.slice();
    if (composite) {
      const tuple = key as readonly unknown[];
      for (let i = 0; i < columns.length; i++) row[columns[i]] = tuple[i];
    } else if (ix.columns[0].sub.length === 0) row[columns[0]] = key;
    row[pkColumn] = pk;
    return row;
  };
}

/** Cursor bounds of a range scan; null when a NULL bound makes the range empty. */
export function rangeOptions(node: IndexRangeScanNode, env: ExecEnv): CursorOptions<unknown> | null {
  if (node.prefix) return compositeRange(node, env);
  const lo = node.lo ? evalConstant(node.lo.expr, env.ctx) : undefined;
  const hi = node.hi ? evalConstant(node.hi.expr, env.ctx) : undefined;
  // A comparison with NULL is never true: a NULL bound selects nothing.
  if (lo === null || hi === null) return null;
  const opts = new Bounds(node.reverse);
  if (lo !== undefined) {
    opts.lo = lo;
    opts.loInclusive = node.lo?.inclusive ?? true;
  } else if (node.skipNulls) {
    // NULL keys sort first and a range skips them: a walk bounded just above NULL never meets
    // them, so an OFFSET or a count may jump over entries (BTreeCursor.skip) from the start.
    opts.lo = null;
    opts.loInclusive = false;
  }
  if (hi !== undefined) {
    opts.hi = hi;
    opts.hiInclusive = node.hi?.inclusive ?? true;
  }
  return opts;
}

/**
 * The walk of a SqlIndexScan: the key's entries (a prefix range over a tuple index), every entry
 * when there is no key or the value is of a class no key of the index can equal under `=` (the
 * filter above decides), nothing for a NULL value (`=` NULL is never true).
 */
export function sqlIndexBounds(
  node: SqlIndexScanNode,
  ix: IndexView,
  env: ExecEnv,
): CursorOptions<unknown> | null {
  if (node.key === null)
    return node.lo || node.hi ? sqlIndexRange(node, ix, env) : new Bounds(node.reverse === true);
  const v = evalConstant(node.key, env.ctx);
  if (v === null) return null;
  if (!keyClassFits(node, v)) return new Bounds(false);
  if (!ix.composite) return Bounds.exactly(v);
  return rangeOptions(
    {
      kind: 'IndexRangeScan',
      collection: node.collection,
      index: node.index,
      lo: null,
      hi: null,
      reverse: false,
      skipNulls: false,
      prefix: [{ expr: E.literal(v, 'any'), matchNull: false }],
      ...(ix.desc ? { desc: ix.desc } : {}),
    },
    env,
  );
}

/** Whether value `v` compares with the index's keys as they are stored (SqlIndexScanNode.keyClass). */
function keyClassFits(node: SqlIndexScanNode, v: unknown): boolean {
  const number = typeof v === 'number' || typeof v === 'bigint';
  const text = typeof v === 'string';
  return node.keyClass === 'number' ? number : node.keyClass === 'text' ? text : number || text;
}

/**
 * A SqlIndexScan's range on the first key column: nothing for a NULL bound (a comparison with
 * NULL is never true), the whole walk when a bound's class is not the keys' (the filter decides).
 */
function sqlIndexRange(node: SqlIndexScanNode, ix: IndexView, env: ExecEnv): CursorOptions<unknown> | null {
  const lo = node.lo ? evalConstant(node.lo.expr, env.ctx) : undefined;
  const hi = node.hi ? evalConstant(node.hi.expr, env.ctx) : undefined;
  if (lo === null || hi === null) return null;
  const reverse = node.reverse === true;
  if ((lo !== undefined && !keyClassFits(node, lo)) || (hi !== undefined && !keyClassFits(node, hi)))
    return new Bounds(reverse);
  const range: IndexRangeScanNode = {
    kind: 'IndexRangeScan',
    collection: node.collection,
    index: node.index,
    lo: lo === undefined ? null : { expr: E.literal(lo, 'any'), inclusive: node.lo?.inclusive ?? true },
    hi: hi === undefined ? null : { expr: E.literal(hi, 'any'), inclusive: node.hi?.inclusive ?? true },
    reverse,
    // Entries with a NULL key sort first: a lower bound passes them by, an upper one keeps them
    // for the filter (a superset of the rows is all a SqlIndexScan must give).
    skipNulls: false,
    ...(ix.composite ? { prefix: [] } : {}),
    ...(ix.desc ? { desc: ix.desc } : {}),
  };
  return rangeOptions(range, env);
}
