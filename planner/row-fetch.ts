/**
 * Rows found through keys: the table and its row reads a lookup works on, and the rows an index
 * walk or a key lookup points at, fetched a batch at a time (planner/execute.ts's lookup
 * builders, the exists probe, the index walks). A stored row that an index entry names but the
 * primary key does not is a stale index (InternalError STALE_INDEX).
 */
import type { CollectionView } from '../storage/collection-state';
import { widenDefaults, widenRow } from '../storage/collection-state';
import type { BTreeSnapshot } from '../storage/btree';
import type { ScanPosition } from '../storage/row-readers';
import { compareValues } from '../storage/compare';
import type { KeyGroup } from '../storage/prefix-memo';
import { InternalError, QueryError } from '../src/errors';
import type { Row } from './compile-expr';
import type { Expr } from './expr';
import { isOuterKey } from './outer-refs';
import { source } from './source';
import type { Source } from './source';
import { touchRows } from './touch';
import type { ExecEnv } from './execute';

export function collectionOf(env: ExecEnv, name: string): CollectionView {
  const view = env.view.collections.get(name);
  if (!view) throw new QueryError(`no such collection: ${name}`, 'QUERY');
  return view;
}

export interface CollectionRows {
  readRow(location: number): unknown[];
  readRowSequential(at: ScanPosition): unknown[];
}

/**
 * The row reads of a scan over `coll`: rows written before an ALTER TABLE ADD COLUMN come back
 * at the width of the view's schema, the added columns holding their defaults. Collections that
 * never changed schema read through the environment's functions unchanged. With `reads` (the
 * only columns read above), a row not decoded in memory may hold those alone.
 */
export function rowsOf(env: ExecEnv, coll: CollectionView, reads?: readonly number[]): CollectionRows {
  const defaults = widenDefaults(coll.meta, coll.compiled);
  // Only once the decoded rows overflow their budget: before, rows are whole at no cost, and the
  // plain reads are cheaper than the narrowing layer (measured: a late TopN at 200k, 20 % slower).
  const narrow = reads === undefined || env.narrowing?.() !== true ? undefined : env.readRowColumns;
  if (narrow !== undefined && reads !== undefined) {
    // Only `reads` are read above (IndexLookupNode.reads): a row not decoded in memory need not be.
    const width = coll.compiled.columnCount;
    return {
      readRow: (location) => narrow(location, reads, width, defaults),
      readRowSequential: (at) => narrow(at.value, reads, width, defaults),
    };
  }
  if (defaults === null) return env;
  return {
    readRow: (location) => widenRow(env.readRow(location), defaults),
    readRowSequential: (at) => widenRow(env.readRowSequential(at), defaults),
  };
}

/** What an index walk's `nextPk` returns once it has no more entries. */
export const NO_KEY: unique symbol = Symbol('no key');

/** Rows fetched per batch: the first batch stays small for LIMIT-like consumers. */
const FIRST_BATCH = 8;
const MAX_BATCH = 256;

/**
 * The rows an index walk points at, fetched a batch at a time: first every primary key of the
 * batch, then every location, then every row. Each lookup is a chain of dependent cache misses;
 * done one row at a time through the operator pipeline those chains run back to back, while a
 * loop of independent lookups lets the CPU overlap them (measured A/B in one process on the
 * bench's `SELECT lower(sku), price * qty … WHERE qty = ?`, ~200 rows a query: 1.6x faster with
 * the batches and the touch loop below, no gain from the batches alone). The view is a snapshot,
 * so reading a little ahead sees the same rows.
 */
export function fetchInBatches(
  env: ExecEnv,
  rows: CollectionRows,
  coll: CollectionView,
  from: string,
  nextPk: () => unknown,
  /** The locations of the primary keys nextPk returns, in its order, when known beforehand. */
  known?: () => readonly (number | undefined)[],
  /** Pass over up to n keys nextPk would return, faster than calling it: how many it passed. */
  skipKeys?: (n: number) => number,
): Source {
  const buf: Row[] = [];
  let knownLocs: readonly (number | undefined)[] | null = null;
  let taken = 0;
  const pks: unknown[] = [];
  const locs: (number | undefined)[] = [];
  let at = 0;
  let size = FIRST_BATCH;
  /** Rows the consumer still wants at most (Source.want); reading ahead stops there. */
  let cap = Infinity;
  let done = false;
  const fill = (): void => {
    buf.length = 0;
    pks.length = 0;
    at = 0;
    const take = size < cap ? size : cap;
    while (pks.length < take) {
      const pk = nextPk();
      if (pk === NO_KEY) {
        done = true;
        break;
      }
      pks.push(pk);
    }
    if (size < MAX_BATCH) size *= 2;
    if (cap !== Infinity) cap = Math.max(1, cap - pks.length);
    const pk = coll.pk;
    locs.length = pks.length;
    if (known !== undefined) {
      knownLocs ??= known();
      for (let k = 0; k < pks.length; k++) locs[k] = knownLocs[taken + k];
    } else for (let k = 0; k < pks.length; k++) locs[k] = pk.get(pks[k]);
    taken += pks.length;
    for (let k = 0; k < pks.length; k++) {
      const loc = locs[k];
      if (loc === undefined) staleEntry(coll, pks[k], from);
      buf.push(rows.readRow(loc));
    }
    env.stats.rowsRead += pks.length;
    touchRows(buf);
  };
  return source(
    () => {
      if (at >= buf.length) {
        if (done) return null;
        fill();
        if (buf.length === 0) return null;
      }
      return buf[at++];
    },
    (n) => {
      cap = Math.max(1, n - (buf.length - at));
    },
    (n) => {
      // Rows already read first, then keys alone: their rows are never read.
      const inBuf = Math.min(n, buf.length - at);
      at += inBuf;
      let k = inBuf;
      if (skipKeys !== undefined && known === undefined && k < n && !done) {
        const passed = skipKeys(n - k);
        if (passed < n - k) done = true;
        k += passed;
        taken += passed;
      }
      while (k < n && !done) {
        if (nextPk() === NO_KEY) done = true;
        else {
          k++;
          taken++;
        }
      }
      if (cap !== Infinity) cap = Math.max(1, cap - (k - inBuf));
      return k;
    },
  );
}

/** Whether the one key of a lookup is a column of a correlated subquery's outer row. */
export function outerKeyed(keys: readonly Expr[]): boolean {
  const k = keys[0];
  return keys.length === 1 && k.kind === 'param' && typeof k.key === 'string' && isOuterKey(k.key);
}

/** The rows of a memoized key group, in its order, located through its remembered locations. */
export function groupRows(
  env: ExecEnv,
  rows: CollectionRows,
  coll: CollectionView,
  index: string,
  group: KeyGroup<unknown>,
): Source {
  const pks = group.values;
  let j = 0;
  return fetchInBatches(
    env,
    rows,
    coll,
    index,
    () => {
      if (j >= pks.length) return NO_KEY;
      env.stats.indexEntries++;
      return pks[j++];
    },
    () => coll.pk.getEach(group),
  );
}

/**
 * `col = ?` on a single-column UNIQUE index: at most one entry holds a non-NULL key, so one
 * descent of the index tree answers it (or the tree's lookup memo, for a key seen before:
 * BTree.firstValue), where a cursor would descend, step, and step again to find the next key
 * different, and the batch machinery would buffer one row.
 */
export function uniqueLookup(
  env: ExecEnv,
  rows: CollectionRows,
  coll: CollectionView,
  from: string,
  tree: BTreeSnapshot<unknown, unknown>,
  key: unknown,
): Source {
  let pending = key !== null;
  return source(() => {
    if (!pending) return null;
    pending = false;
    const pk = tree.firstValue(key);
    if (pk === undefined) return null;
    env.stats.indexEntries++;
    const loc = coll.pk.get(pk);
    if (loc === undefined) staleEntry(coll, pk, from);
    env.stats.rowsRead++;
    return rows.readRow(loc);
  });
}

/**
 * TopNPNode.refetch: the kept rows of a TopN whose index fetch read only some columns, read again
 * whole by their primary key (the same snapshot: every one is there).
 */
export function refetchRows(env: ExecEnv, collection: string, kept: readonly Row[]): Row[] {
  const coll = collectionOf(env, collection);
  const rows = rowsOf(env, coll);
  const pkColumn = coll.compiled.pkColumn;
  return kept.map((row) => {
    const loc = coll.pk.get(row[pkColumn]);
    if (loc === undefined)
      throw new InternalError(`row ${String(row[pkColumn])} vanished from ${collection}`);
    // Counted once, as a candidate (ExecStats.rowsRead counts rows, not decodes).
    return rows.readRow(loc);
  });
}

export function staleEntry(coll: CollectionView, pk: unknown, from: string): never {
  throw new InternalError(
    `stale index ${from}: entry points at missing row ${String(pk)} of ${coll.meta.schema.name}`,
    'STALE_INDEX',
  );
}

export function sortedDistinctKeys(values: unknown[]): unknown[] {
  const sorted = values.slice().sort(compareValues);
  return sorted.filter((v, i) => i === 0 || compareValues(v, sorted[i - 1]) !== 0);
}

export function declaredDescending(coll: CollectionView, index: string | null): boolean {
  return index !== null && coll.indexes.find((i) => i.def.name === index)?.def.descending === true;
}

export function treeOf(coll: CollectionView, index: string | null): BTreeSnapshot<unknown, unknown> | null {
  if (index === null) return null;
  // A lookup may read a collated unique index (CollectionView.collatedIndexes), which `indexes` leaves out.
  const ix =
    coll.indexes.find((i) => i.def.name === index) ?? coll.collatedIndexes.find((i) => i.def.name === index);
  if (!ix) throw new QueryError(`no such index: ${index}`, 'QUERY');
  return ix.tree;
}
