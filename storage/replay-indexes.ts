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
 */
import type { BTree } from './btree';
import type { IndexState } from './collection-state';
import { compareValues } from './compare';
import { numberOrder, stringOrder } from './sort-keys';

interface Run {
  keys: unknown[];
  pks: unknown[];
}

export class ReplayIndexBatch {
  private runs = new Map<IndexState, Run>();
  private held = 0;

  /** `from`: where the replayed log starts; rows before it were indexed by the checkpoint. */
  constructor(readonly from: number) {}

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
    this.runs = new Map();
    this.held = 0;
    for (const [ix, { keys, pks }] of runs) {
      const put = (tree: BTree<unknown, unknown>): void => {
        tree.addRun(keys, pks, keyOrder(keys, tree.keyCompare));
      };
      if (!defer || !ix.deferEntries(put)) put(ix.tree);
    }
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
