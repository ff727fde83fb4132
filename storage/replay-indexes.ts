/**
 * Replay's secondary-index entries, put into their trees in key order (engine-rows.ts applyPut).
 *
 * A killed writer leaves up to the replay limits of log to replay (250,000 rows by default), and
 * with application keys (random UUIDs, SKUs) each of those rows inserts into every index at a
 * random place: one descent and one leaf per entry, each a cache miss in a tree of a million
 * entries, which made the index inserts ~90 % of such an open (4.4 of 4.9 s at 1M rows, four
 * indexes). Held back and sorted by key, the same entries arrive leaf after leaf, so a descent
 * finds its path and its leaf already in cache, and each page of the checkpoint is decoded by
 * the first of its entries. The trees' content is the same; only the order of the adds differs.
 *
 * Held-back entries must reach their trees before anything reads those trees: the engine flushes
 * before a superseded row of the replayed range is un-indexed (its entries may still be here),
 * before a catalog change, and when the replay ends.
 *
 * An open's replay can hold back rows instead of entries (`addRow`, with a `RowKeys` reader): the
 * row's location and primary key, its record left undecoded. Their keys are read from the log
 * when they are needed — at a flush, or, for an index still unbuilt when the replay ends, when that
 * index is first built — so an open after a killed writer decodes only each replayed row's
 * primary key, and reads by primary key never pay for the rest.
 */
import type { BTree } from './btree';
import type { CollectionState, IndexState } from './collection-state';
import { compareValues } from './compare';
import { NOT_INDEXED } from './index-exprs';
import { numberOrder, stringOrder } from './sort-keys';

interface Run {
  keys: unknown[];
  pks: unknown[];
}

/** Rows of one collection held back undecoded: their locations (ascending) and primary keys. */
interface HeldRows {
  locations: number[];
  pks: unknown[];
}

/**
 * Reads `columns` of the records at `locations` (ascending), calling `visit` with a reused row
 * holding them (storage/record-columns.ts).
 */
export type RowKeys = (
  state: CollectionState,
  locations: readonly number[],
  columns: readonly number[],
  visit: (i: number, row: unknown[]) => void,
) => void;

export class ReplayIndexBatch {
  private runs = new Map<IndexState, Run>();
  private rows = new Map<CollectionState, HeldRows>();
  private held = 0;
  /**
   * Set by a flush that had rows to read: their keys were read back at once, so a log that
   * rewrites its replayed rows (updates, upserts) would read every row twice; the rest of this
   * replay decodes rows whole.
   */
  private rowsRead = false;

  /**
   * `from`: where the replayed log starts; rows before it were indexed by the checkpoint.
   * `rowKeys`: how held-back rows' keys are read (null: rows are not held back, only entries).
   */
  constructor(
    readonly from: number,
    private readonly rowKeys: RowKeys | null = null,
  ) {}

  /**
   * Whether a replayed row of `state` may be held back undecoded: there is a reader, and every
   * index's key is read from columns (a SQL expression or partial index needs the whole row).
   */
  holdsRows(state: CollectionState): boolean {
    return this.rowKeys !== null && !this.rowsRead && !state.indexes.some((ix) => ix.special);
  }

  /** Hold back the row at `location` (primary key `pk`) of `state`: its entries, read later. */
  addRow(state: CollectionState, location: number, pk: unknown): void {
    let rows = this.rows.get(state);
    if (rows === undefined) {
      rows = { locations: [], pks: [] };
      this.rows.set(state, rows);
    }
    rows.locations.push(location);
    rows.pks.push(pk);
    this.held++;
  }

  /** Hold back the entry (key, pk) of index `ix`. */
  add(ix: IndexState, key: unknown, pk: unknown): void {
    let run = this.runs.get(ix);
    if (run === undefined) {
      run = { keys: [], pks: [] };
      this.runs.set(ix, run);
    }
    run.keys.push(key);
    run.pks.push(pk);
    this.held++;
  }

  /** Whether the row at `location` may have entries held here (it was replayed, not checkpointed). */
  mayHold(location: number): boolean {
    return this.held > 0 && location >= this.from;
  }

  /** Put every held entry into its tree now, each tree's in key order. */
  flush(): void {
    if (this.rows.size > 0) this.rowsRead = true;
    this.finish(false);
  }

  /**
   * The end of the replay: as flush(), except that with `defer` the entries of an index whose tree
   * is still unbuilt (the checkpoint's pages, untouched by the replay) join it when it is first
   * built (IndexState.deferEntries): a killed writer's file then opens and serves reads by
   * primary key without inserting the tail's index entries, which were most of that open's work.
   */
  finish(defer: boolean): void {
    if (this.held === 0) return;
    const runs = this.runs;
    const rows = this.rows;
    this.runs = new Map();
    this.rows = new Map();
    this.held = 0;
    // A collection's rows held back come after its entries held here (a flush ends both): each
    // index takes the two as one run, in log order, read when its tree first needs it.
    for (const [state, held] of rows) {
      let read: Map<IndexState, Run> | null = null;
      for (const ix of state.indexes) {
        const own = runs.get(ix);
        runs.delete(ix);
        const put = (tree: BTree<unknown, unknown>): void => {
          read ??= this.readRows(state, held);
          const run = read.get(ix) as Run;
          read.delete(ix);
          const keys = own ? own.keys.concat(run.keys) : run.keys;
          const pks = own ? own.pks.concat(run.pks) : run.pks;
          tree.addRun(keys, pks, keyOrder(keys, tree.keyCompare));
        };
        if (!defer || !ix.deferEntries(put)) put(ix.tree);
      }
    }
    for (const [ix, { keys, pks }] of runs) {
      const put = (tree: BTree<unknown, unknown>): void => {
        tree.addRun(keys, pks, keyOrder(keys, tree.keyCompare));
      };
      if (!defer || !ix.deferEntries(put)) put(ix.tree);
    }
  }

  /** The entries of held-back rows, per index of `state`: their keys read from the log at once. */
  private readRows(state: CollectionState, held: HeldRows): Map<IndexState, Run> {
    const indexes = state.indexes;
    const runs = indexes.map((): Run => ({ keys: [], pks: [] }));
    const columns = [...new Set(indexes.flatMap((ix) => ix.columns.map((c) => c.column)))].sort(
      (a, b) => a - b,
    );
    (this.rowKeys as RowKeys)(state, held.locations, columns, (i, row) => {
      const pk = held.pks[i];
      for (let x = 0; x < indexes.length; x++) {
        const key = indexes[x].accessor.get(row) ?? null;
        if (key === NOT_INDEXED) continue;
        runs[x].keys.push(key);
        runs[x].pks.push(pk);
      }
    });
    return new Map(indexes.map((ix, x) => [ix, runs[x]]));
  }
}

/**
 * Positions of `keys` in ascending `compare` order, equal keys in arrival order: the distinct keys
 * are sorted (natively, through sort-keys.ts, when they are all numbers or all strings under the
 * default order), then each entry is placed by a counting sort over the ranks of its key.
 */
export function keyOrder(keys: readonly unknown[], compare: (a: unknown, b: unknown) => number): Uint32Array {
  const n = keys.length;
  const group = new Uint32Array(n);
  const distinct: unknown[] = [];
  const ids = new Map<unknown, number>();
  let numbers = true;
  let strings = true;
  for (let i = 0; i < n; i++) {
    const k = keys[i];
    let g = ids.get(k);
    if (g === undefined) {
      g = distinct.length;
      distinct.push(k);
      ids.set(k, g);
      if (typeof k !== 'number' || k !== k) numbers = false;
      if (typeof k !== 'string') strings = false;
    }
    group[i] = g;
  }
  // Map groups keys by SameValueZero: for anything but numbers and strings (composite tuples,
  // blobs) every entry is its own group, and the comparator orders them.
  const native = compare === compareValues;
  const sorted =
    native && numbers
      ? numberOrder(distinct as number[])
      : native && strings
        ? stringOrder(distinct as string[])
        : comparatorOrder(distinct, compare);
  const g = distinct.length;
  const rank = new Uint32Array(g);
  for (let r = 0; r < g; r++) rank[sorted[r]] = r;
  const starts = new Uint32Array(g + 1);
  for (let i = 0; i < n; i++) starts[rank[group[i]] + 1]++;
  for (let r = 0; r < g; r++) starts[r + 1] += starts[r];
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[starts[rank[group[i]]]++] = i;
  return order;
}

function comparatorOrder(keys: readonly unknown[], compare: (a: unknown, b: unknown) => number): Uint32Array {
  const run = Array.from({ length: keys.length }, (_, i) => i);
  run.sort((a, b) => compare(keys[a], keys[b]));
  return Uint32Array.from(run);
}
