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
import { KeyTable } from './key-table';
import { multiRunOrder } from './multi-run';
import { numberOrder, stringOrder } from './sort-keys';

export abstract class BTreeStaging<K, V> extends BTreeEdits<K, V> {
  /**
   * Entries added by addProbed() but not yet in the nodes: key → value, keys distinct and absent
   * from the nodes. A bulk load into an empty index (random keys: UUIDs, e-mail addresses) would
   * otherwise pay one descent per row whose comparisons each load a string from a random place
   * in the heap; here a row costs two hash operations, and flush() sorts the run once and inserts
   * it in key order, each insert landing next to the previous one. Every other operation
   * flushes first, so nothing but probe() and addProbed() ever sees a staged entry. Only keys of
   * one kind compared by `<` (`pendingMode`, NUM or STR) are staged: the table's `===` is then the
   * tree's key equality.
   */
  protected pending: KeyTable<K> | null = null;
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
  /**
   * Reads of the nodes so far (rootNode), flushes and snapshots: BTree stages into a large tree
   * only after a run of adds with none of these between them (BTree.bulkAdding).
   */
  protected readTicks = 0;
  /** The nodes' entries cannot join this run (takeNodesAlong found a key they cannot stage as). */
  private nodesStay = false;

  protected rootNode(): Node<K, V> {
    this.readTicks++;
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
    // Whoever needed the nodes ended the run: the adds after it start a new one.
    this.readTicks++;
    const sk = this.stagedKeys;
    const sv = this.stagedVals;
    this.stagedKeys = [];
    this.stagedVals = [];
    // Distinct keys of one kind (see `pending`), ordered by `<`.
    const order =
      this.pendingMode === STR
        ? stringOrder(sk as unknown as string[])
        : numberOrder(sk as unknown as number[]);
    if (this.grouped) {
      const groups = this.stagedGroups;
      this.stagedGroups = [];
      this.grouped = false;
      const run = multiRunOrder(sk, order, groups, sv, this.shape.valueCompare);
      const identity = new Uint32Array(run.keys.length);
      for (let i = 0; i < identity.length; i++) identity[i] = i;
      this.mergeRun(run.keys, run.values, identity);
      return;
    }
    this.mergeRun(sk, sv, order);
  }

  /**
   * Put the staged run `keys[order[i]], values[order[i]]` (ascending, absent from the nodes) into
   * the nodes. `count` already includes the run.
   */
  private mergeRun(keys: readonly K[], values: readonly V[], order: Uint32Array): void {
    const s = this.shape;
    const inNodes = this.count - order.length;
    if (order.length * 8 < inNodes || s.paged) {
      // A short run (a few rows per commit into a small table, or a filtered run into a large
      // tree: BTree.filter): inserting it in key order costs less than rebuilding the nodes,
      // consecutive entries sharing a leaf. A paged tree is never rebuilt: every page would be
      // new at the next checkpoint.
      this.count = inNodes;
      this.insertRun(keys, values, order);
      return;
    }
    // Staging only runs while the nodes hold few entries (stageUpTo): merge those with the run
    // and rebuild, O(n) with no descent. New nodes of this generation: snapshots keep the old.
    const oldKeys: K[] = [];
    const oldVals: V[] = [];
    if (inNodes > 0) collect(s, this.root, oldKeys, oldVals);
    const outKeys: K[] = new Array<K>(order.length + oldKeys.length);
    const outVals: V[] = new Array<V>(outKeys.length);
    let i = 0;
    let j = 0;
    for (let o = 0; o < outKeys.length; o++) {
      const x = i < order.length ? order[i] : 0;
      if (
        j >= oldKeys.length ||
        (i < order.length && entryCmp(s, keys[x], values[x], oldKeys[j], oldVals[j]) < 0)
      ) {
        outKeys[o] = keys[x];
        outVals[o] = values[x];
        i++;
      } else {
        outKeys[o] = oldKeys[j];
        outVals[o] = oldVals[j];
        j++;
      }
    }
    this.build(outKeys, outVals);
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
   * Begin a staged run with `key`. The entries already in the nodes (at most stageUpTo) stay
   * there until the run is as long as they are (takeNodesAlong): a transaction of a few rows into
   * a small table then costs a few inserts at flush, not a rebuild of the tree, while a bulk load
   * soon has empty nodes and probes that are one hash lookup.
   */
  protected startStaging(key: K, mode: number): void {
    const pending = new KeyTable<K>();
    pending.set(key, this.stagedKeys.length);
    this.pending = pending;
    this.pendingMode = mode;
    this.nodesStay = false;
  }

  /** Begin a multi-mode staged run (addNew); the nodes keep their entries (see startStaging). */
  protected startGroups(mode: number): KeyTable<K> {
    this.stagedKeys = [];
    this.stagedGroups = [];
    this.stagedVals = [];
    const groups = new KeyTable<K>();
    this.pending = groups;
    this.pendingMode = mode;
    this.grouped = true;
    this.nodesStay = false;
    return groups;
  }

  /**
   * Once the staged run holds as many entries as the nodes (so the O(n) move is paid for by the
   * run), move the nodes' entries into it and leave the nodes empty: until the flush a probe is
   * then one hash lookup with no descent (probe's `count === staged` shortcut), and flush()
   * builds from the run alone. Keys of another kind, or a unique tree's key repeated, leave the
   * nodes as they are for the rest of this run.
   */
  protected takeNodesAlong(): void {
    const p = this.pending;
    // A paged tree's entries stay where they are (see mergeRun).
    if (p === null || this.nodesStay || this.shape.paged) return;
    const staged = this.stagedVals.length;
    const inNodes = this.count - staged;
    if (inNodes === 0 || staged < inNodes) return;
    const s = this.shape;
    const keys: K[] = [];
    const vals: V[] = [];
    collect(s, this.root, keys, vals);
    for (const k of keys) {
      if (probeMode(s.keyKind, k) !== this.pendingMode || (!this.grouped && p.has(k))) {
        this.nodesStay = true;
        return;
      }
    }
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i];
      if (this.grouped) {
        let g = p.get(k);
        if (g === undefined) {
          g = this.stagedKeys.length;
          this.stagedKeys.push(k);
          p.set(k, g);
        }
        this.stagedGroups.push(g);
      } else {
        p.set(k, this.stagedKeys.length);
        this.stagedKeys.push(k);
      }
      this.stagedVals.push(vals[i]);
    }
    // A new root of this generation: nodes a snapshot shares are left as they were.
    this.root = this.leafNode([], []);
    this.tail = null;
  }
}
