/**
 * The bulk-staging layer of the B+tree (see btree.ts, whose class extends this one): entries a
 * bulk load adds to a small tree wait in a hash map and insertion-order arrays, and are sorted
 * once and moved into the nodes at the next read (`flush`), instead of one descent per entry.
 * BTree decides what is staged (addProbed, addNew) and keeps its memos exact; this class holds
 * the run, builds packed nodes from sorted entries, and flushes. Every read reaches the nodes
 * through rootNode(), which flushes first, so nothing but BTree's probe path sees a staged entry.
 */

import { BTreeEdits } from './btree-edits';
import { MIXED, STR, collect, entryCmp, forEachRun, probeMode } from './btree-nodes';
import type { Node } from './btree-nodes';
import { groupByKey, multiRunOrder } from './multi-run';
import { numberOrder, stringOrder } from './sort-keys';

export abstract class BTreeStaging<K, V> extends BTreeEdits<K, V> {
  /**
   * Entries added by addProbed() but not yet in the nodes: key → value, keys distinct and absent
   * from the nodes. A bulk load into an empty index (random keys: UUIDs, e-mail addresses) would
   * otherwise pay one descent per row whose comparisons each load a string from a random place
   * in the heap; here a row costs two hash operations, and flush() sorts the run once and inserts
   * it in key order, each insert landing next to the previous one. Every other operation
   * flushes first, so nothing but probe() and addProbed() ever sees a staged entry. Only keys of
   * one kind compared by `<` (`pendingMode`, NUM or STR) are staged: Map equality is then the
   * tree's key equality.
   */
  protected pending: Map<K, number> | null = null;
  /** The staged entries in the order they came: `pending` maps a key to its position here. */
  protected stagedKeys: K[] = [];
  protected stagedVals: V[] = [];
  protected pendingMode = MIXED;
  /**
   * A multi-mode tree's staged run (addNew): `pending` then maps each distinct key to its group,
   * `stagedKeys` holds each group's key once and `stagedGroups` each entry's group, in the order
   * the entries came (their values in `stagedVals`). See multi-run.ts.
   */
  protected stagedGroups: number[] = [];
  /** Whether the staged run is addNew's (grouped by key) rather than addProbed's. */
  protected grouped = false;

  protected rootNode(): Node<K, V> {
    if (this.pending !== null) this.flush();
    return this.root;
  }

  protected dropStaged(): void {
    this.pending = null;
    this.stagedKeys = [];
    this.stagedVals = [];
    this.stagedGroups = [];
    this.grouped = false;
  }

  /** Move the staged entries into the nodes, in key order (see `pending`). */
  protected flush(): void {
    const p = this.pending;
    if (p === null) return;
    this.pending = null;
    const sk = this.stagedKeys;
    const sv = this.stagedVals;
    this.stagedKeys = [];
    this.stagedVals = [];
    // Distinct keys of one kind (see `pending`), ordered by `<`.
    const order =
      this.pendingMode === STR
        ? stringOrder(sk as unknown as string[])
        : numberOrder(sk as unknown as number[]);
    const s = this.shape;
    if (this.grouped) {
      // addNew moved the nodes' entries into the run when it began: the run is the content.
      const groups = this.stagedGroups;
      this.stagedGroups = [];
      this.grouped = false;
      const run = multiRunOrder(sk, order, groups, sv, s.valueCompare);
      this.build(run.keys, run.values);
      return;
    }
    const inNodes = this.count - sk.length;
    if (sk.length * 8 < inNodes) {
      // A short run (a few rows per commit into a small table): inserting it costs less than
      // rebuilding the nodes, each insert a descent into a tree small enough to stay cached.
      this.count = inNodes;
      for (let i = 0; i < order.length; i++) this.insert(sk[order[i]], sv[order[i]], false);
      return;
    }
    // Staging only runs while the nodes hold few entries (stageUpTo): merge those with the run
    // and rebuild, O(n) with no descent. New nodes of this generation: snapshots keep the old.
    const oldKeys: K[] = [];
    const oldVals: V[] = [];
    collect(s, this.root, oldKeys, oldVals);
    const keys: K[] = new Array<K>(sk.length + oldKeys.length);
    const values: V[] = new Array<V>(keys.length);
    let i = 0;
    let j = 0;
    for (let o = 0; o < keys.length; o++) {
      const x = i < order.length ? order[i] : 0;
      if (
        j >= oldKeys.length ||
        (i < order.length && entryCmp(s, sk[x], sv[x], oldKeys[j], oldVals[j]) < 0)
      ) {
        keys[o] = sk[x];
        values[o] = sv[x];
        i++;
      } else {
        keys[o] = oldKeys[j];
        values[o] = oldVals[j];
        j++;
      }
    }
    this.build(keys, values);
  }

  /** Replace the content with `keys`/`values` (in tree order, not empty), packed evenly: O(n). */
  protected build(keys: readonly K[], values: readonly V[]): void {
    const max = this.shape.nodeSize;
    let level: Node<K, V>[] = [];
    forEachRun(keys.length, max, (a, b) => level.push(this.leafNode(keys.slice(a, b), values.slice(a, b))));
    while (level.length > 1) {
      const below = level;
      level = [];
      forEachRun(below.length, max, (a, b) => level.push(this.innerNode(below.slice(a, b))));
    }
    this.root = level[0];
    this.count = keys.length;
    const last = level[0];
    let n = last;
    while (!n.leaf) n = n.children[n.children.length - 1];
    this.tail = n;
  }

  /** @internal Entries staged by addProbed and not yet in the nodes (tests: see `pending`). */
  get stagedCount(): number {
    return this.pending === null ? 0 : this.stagedVals.length;
  }

  /**
   * Begin a staged run with `key`. The entries already in the nodes (at most stageUpTo) join the
   * run and the nodes are left empty, so that until the flush a probe is one hash lookup with no
   * descent (probe's `count === staged` shortcut); flush() then builds from the run alone. Keys
   * of another kind or repeated (never so for a unique index's tree) leave the nodes as they are.
   */
  protected startStaging(key: K, mode: number): void {
    const s = this.shape;
    const pending = new Map<K, number>();
    const keys: K[] = [];
    const vals: V[] = [];
    collect(s, this.root, keys, vals);
    let movable = true;
    for (let i = 0; i < keys.length && movable; i++) {
      const k = keys[i];
      if (probeMode(s.keyKind, k) !== mode || pending.has(k)) movable = false;
      else pending.set(k, i);
    }
    if (movable) {
      // A new root of this generation: nodes a snapshot shares are left as they were.
      this.root = this.leafNode([], []);
      this.tail = null;
      this.stagedKeys = keys;
      this.stagedVals = vals;
    } else pending.clear();
    pending.set(key, this.stagedKeys.length);
    this.pending = pending;
    this.pendingMode = mode;
  }

  /**
   * Begin a multi-mode staged run (addNew): the nodes' entries (at most stageUpTo) join it and the
   * nodes are left empty. Null, and nothing changed, when one of their keys is of another kind.
   */
  protected startGroups(mode: number): Map<K, number> | null {
    const s = this.shape;
    const keys: K[] = [];
    const vals: V[] = [];
    collect(s, this.root, keys, vals);
    for (const k of keys) if (probeMode(s.keyKind, k) !== mode) return null;
    const { groups, groupKeys, groupOf } = groupByKey(keys);
    // A new root of this generation: nodes a snapshot shares are left as they were.
    this.root = this.leafNode([], []);
    this.tail = null;
    this.stagedKeys = groupKeys;
    this.stagedGroups = groupOf;
    this.stagedVals = vals;
    this.pending = groups;
    this.pendingMode = mode;
    this.grouped = true;
    return groups;
  }
}
