/**
 * In-memory copy-on-write B+tree: the primary-key and secondary indexes.
 *
 * Copy-on-write scheme: every node records the edit generation it was created in. A tree mutates
 * a node in place only when the node's generation equals the tree's current generation; any
 * other node is copied first (and its parent re-pointed, copying up to the root). `snapshot()`
 * captures the root and moves the tree to a fresh generation, so from then on every node the
 * snapshot can reach is older than the tree's generation and is never modified again: the
 * snapshot is immutable for free. Nodes created after the snapshot belong to the new generation
 * and are mutated in place, so a bulk load after one snapshot runs at in-place speed.
 * `restore(snap)` points the tree back at a snapshot's root (transaction rollback) in O(1).
 *
 * Modes: unique (one entry per key) and multi (entries are (key, value) pairs ordered by key then
 * value: secondary indexes store (key, primary key)). Leaves hold parallel key/value arrays;
 * inner nodes hold separators = the smallest entry of each child but the first.
 */

import { InternalError } from '../src/errors';

export interface BTreeOptions<K, V> {
  compare: (a: K, b: K) => number;
  multi?: boolean;
  valueCompare?: (a: V, b: V) => number;
  nodeSize?: number;
}

export interface CursorOptions<K> {
  lo?: K;
  loInclusive?: boolean;
  hi?: K;
  hiInclusive?: boolean;
  reverse?: boolean;
}

interface Leaf<K, V> {
  leaf: true;
  gen: number;
  keys: K[];
  vals: V[];
}

interface Inner<K, V> {
  leaf: false;
  gen: number;
  /** sepKeys[i] / sepVals[i]: the smallest entry of children[i + 1]. */
  sepKeys: K[];
  sepVals: V[];
  children: Node<K, V>[];
}

type Node<K, V> = Leaf<K, V> | Inner<K, V>;

let generationCounter = 1;

/** Insert at position i; a plain shift loop beats Array.prototype.splice on small arrays. */
function insertAt<T>(a: T[], i: number, x: T): void {
  let j = a.length;
  a.push(x);
  for (; j > i; j--) a[j] = a[j - 1];
  a[i] = x;
}
const DEFAULT_NODE_SIZE = 64;

interface Shape<K, V> {
  readonly compare: (a: K, b: K) => number;
  readonly multi: boolean;
  readonly valueCompare: (a: V, b: V) => number;
  readonly nodeSize: number;
}

function entryCmp<K, V>(s: Shape<K, V>, k1: K, v1: V, k2: K, v2: V): number {
  const c = s.compare(k1, k2);
  return c !== 0 || !s.multi ? c : s.valueCompare(v1, v2);
}

/** Number of entries of `keys/vals` that are < (k, v) (lower bound). */
function lowerIndex<K, V>(
  s: Shape<K, V>,
  keys: K[],
  vals: V[],
  k: K,
  v: V | undefined,
  keyOnly: boolean,
): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const c = keyOnly || v === undefined ? s.compare(keys[mid], k) : entryCmp(s, keys[mid], vals[mid], k, v);
    if (c < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Number of entries ≤ k on the key alone (upper bound). */
function upperIndexKey<K, V>(s: Shape<K, V>, keys: K[], k: K): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (s.compare(keys[mid], k) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Child to descend into for an exact entry lookup: the number of separators ≤ (k, v). */
function childFor<K, V>(s: Shape<K, V>, node: Inner<K, V>, k: K, v: V | undefined): number {
  let lo = 0;
  let hi = node.sepKeys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const c =
      s.multi && v !== undefined
        ? entryCmp(s, node.sepKeys[mid], node.sepVals[mid], k, v)
        : s.compare(node.sepKeys[mid], k);
    if (c <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Allocation-free ordered iteration: call next(), then read key/value. */
export class BTreeCursor<K, V> {
  key!: K;
  value!: V;
  private readonly nodes: Node<K, V>[] = [];
  private readonly idx: number[] = [];
  private leafNode: Leaf<K, V> | null = null;
  private i = 0;
  private started = false;
  private done = false;

  constructor(
    private readonly s: Shape<K, V>,
    private readonly root: Node<K, V>,
    private readonly o: CursorOptions<K>,
  ) {}

  private descend(node: Node<K, V>, pick: (n: Inner<K, V>) => number): void {
    while (!node.leaf) {
      const c = pick(node);
      this.nodes.push(node);
      this.idx.push(c);
      node = node.children[c];
    }
    this.leafNode = node;
  }

  /** Position at the first entry whose key is ≥ k (or > k when !inclusive); may sit past a leaf's end. */
  private seekForward(k: K, inclusive: boolean): void {
    const s = this.s;
    // A separator strictly below k (or ≤ k for exclusive) rules out everything left of it.
    this.descend(this.root, (n) =>
      inclusive ? lowerIndex(s, n.sepKeys, n.sepVals, k, undefined, true) : upperIndexKey(s, n.sepKeys, k),
    );
    const leaf = this.leafNode as Leaf<K, V>;
    this.i = inclusive
      ? lowerIndex(s, leaf.keys, leaf.vals, k, undefined, true)
      : upperIndexKey(s, leaf.keys, k);
  }

  private seekFirst(): void {
    this.descend(this.root, () => 0);
    this.i = 0;
  }

  private seekLast(): void {
    this.descend(this.root, (n) => n.children.length - 1);
    this.i = (this.leafNode as Leaf<K, V>).keys.length - 1;
  }

  /** Move forward until (leaf, i) is a real entry; false at the end. */
  private settleForward(): boolean {
    let leaf = this.leafNode as Leaf<K, V>;
    while (this.i >= leaf.keys.length) {
      let depth = this.nodes.length - 1;
      while (depth >= 0 && this.idx[depth] >= (this.nodes[depth] as Inner<K, V>).children.length - 1) depth--;
      if (depth < 0) return false;
      this.nodes.length = depth + 1;
      this.idx.length = depth + 1;
      this.idx[depth]++;
      this.descend((this.nodes[depth] as Inner<K, V>).children[this.idx[depth]], () => 0);
      leaf = this.leafNode as Leaf<K, V>;
      this.i = 0;
    }
    return true;
  }

  /** Move backward until (leaf, i) is a real entry; false before the start. */
  private settleBackward(): boolean {
    while (this.i < 0) {
      let depth = this.nodes.length - 1;
      while (depth >= 0 && this.idx[depth] === 0) depth--;
      if (depth < 0) return false;
      this.nodes.length = depth + 1;
      this.idx.length = depth + 1;
      this.idx[depth]--;
      this.descend(
        (this.nodes[depth] as Inner<K, V>).children[this.idx[depth]],
        (n) => n.children.length - 1,
      );
      this.i = (this.leafNode as Leaf<K, V>).keys.length - 1;
    }
    return true;
  }

  next(): boolean {
    if (this.done) return false;
    const o = this.o;
    const s = this.s;
    if (!o.reverse) {
      if (!this.started) {
        this.started = true;
        if (o.lo !== undefined) this.seekForward(o.lo, o.loInclusive !== false);
        else this.seekFirst();
      } else this.i++;
      if (!this.settleForward()) return this.finish();
      const leaf = this.leafNode as Leaf<K, V>;
      const k = leaf.keys[this.i];
      if (o.hi !== undefined) {
        const c = s.compare(k, o.hi);
        if (c > 0 || (c === 0 && o.hiInclusive === false)) return this.finish();
      }
      this.key = k;
      this.value = leaf.vals[this.i];
      return true;
    }
    if (!this.started) {
      this.started = true;
      if (o.hi !== undefined) {
        // Last entry ≤ hi (or < hi): one before the first entry > hi (or ≥ hi).
        this.seekForward(o.hi, o.hiInclusive === false);
        this.i--;
      } else this.seekLast();
    } else this.i--;
    if (!this.settleBackward()) return this.finish();
    const leaf = this.leafNode as Leaf<K, V>;
    const k = leaf.keys[this.i];
    if (o.lo !== undefined) {
      const c = s.compare(k, o.lo);
      if (c < 0 || (c === 0 && o.loInclusive === false)) return this.finish();
    }
    this.key = k;
    this.value = leaf.vals[this.i];
    return true;
  }

  private finish(): false {
    this.done = true;
    return false;
  }
}

/** Read operations shared by live trees and snapshots. */
abstract class BTreeReader<K, V> {
  protected abstract rootNode(): Node<K, V>;
  abstract readonly size: number;
  protected abstract readonly shape: Shape<K, V>;

  /** The value stored under `key` (unique mode), or the first value of `key` (multi mode). */
  get(key: K): V | undefined {
    const s = this.shape;
    let node = this.rootNode();
    if (s.multi) {
      // First entry with this key: descend by key-only lower bound; only when it sits past the
      // end of its leaf does the answer live in the next leaf (then a cursor finds it).
      let rightmost = true;
      while (!node.leaf) {
        const c = lowerIndex(s, node.sepKeys, node.sepVals, key, undefined, true);
        rightmost = rightmost && c === node.children.length - 1;
        node = node.children[c];
      }
      const i = lowerIndex(s, node.keys, node.vals, key, undefined, true);
      if (i < node.keys.length) return s.compare(node.keys[i], key) === 0 ? node.vals[i] : undefined;
      // Past the end of the last leaf: the key is above every entry (ascending inserts land here).
      if (rightmost) return undefined;
      const cur = new BTreeCursor(s, this.rootNode(), { lo: key, hi: key });
      return cur.next() ? cur.value : undefined;
    }
    while (!node.leaf) node = node.children[childFor(s, node, key, undefined)];
    const i = lowerIndex(s, node.keys, node.vals, key, undefined, true);
    return i < node.keys.length && s.compare(node.keys[i], key) === 0 ? node.vals[i] : undefined;
  }

  has(key: K): boolean {
    return this.get(key) !== undefined;
  }

  cursor(opts: CursorOptions<K> = {}): BTreeCursor<K, V> {
    return new BTreeCursor(this.shape, this.rootNode(), opts);
  }

  *entries(opts: CursorOptions<K> = {}): Generator<[K, V]> {
    const cur = this.cursor(opts);
    while (cur.next()) yield [cur.key, cur.value];
  }

  min(): [K, V] | undefined {
    const cur = this.cursor();
    return cur.next() ? [cur.key, cur.value] : undefined;
  }

  max(): [K, V] | undefined {
    const cur = this.cursor({ reverse: true });
    return cur.next() ? [cur.key, cur.value] : undefined;
  }

  /** All entries as sorted parallel arrays (checkpoints). */
  toArrays(): { keys: K[]; values: V[] } {
    const keys: K[] = [];
    const values: V[] = [];
    const walk = (n: Node<K, V>): void => {
      if (n.leaf) {
        for (let i = 0; i < n.keys.length; i++) {
          keys.push(n.keys[i]);
          values.push(n.vals[i]);
        }
      } else for (const c of n.children) walk(c);
    };
    walk(this.rootNode());
    return { keys, values };
  }
}

/** An immutable view of a tree at one moment. */
export class BTreeSnapshot<K, V> extends BTreeReader<K, V> {
  /** @internal */
  constructor(
    protected readonly shape: Shape<K, V>,
    /** @internal */ readonly root: Node<K, V>,
    readonly size: number,
  ) {
    super();
  }

  protected rootNode(): Node<K, V> {
    return this.root;
  }
}

export class BTree<K, V> extends BTreeReader<K, V> {
  protected readonly shape: Shape<K, V>;
  private root: Node<K, V>;
  private gen: number;
  private count = 0;

  constructor(opts: BTreeOptions<K, V>) {
    super();
    this.shape = {
      compare: opts.compare,
      multi: opts.multi === true,
      valueCompare: opts.valueCompare ?? (() => 0),
      nodeSize: Math.max(4, opts.nodeSize ?? DEFAULT_NODE_SIZE),
    };
    this.gen = generationCounter++;
    this.root = { leaf: true, gen: this.gen, keys: [], vals: [] };
  }

  get size(): number {
    return this.count;
  }

  protected rootNode(): Node<K, V> {
    return this.root;
  }

  /** Build from entries already in tree order, in O(n). */
  static fromSorted<K, V>(keys: K[], values: V[], opts: BTreeOptions<K, V>): BTree<K, V> {
    const tree = new BTree<K, V>(opts);
    if (keys.length === 0) return tree;
    const size = tree.shape.nodeSize;
    const gen = tree.gen;
    let level: Node<K, V>[] = [];
    for (let i = 0; i < keys.length; i += size) {
      level.push({ leaf: true, gen, keys: keys.slice(i, i + size), vals: values.slice(i, i + size) });
    }
    const firstOf = (n: Node<K, V>): [K, V] => {
      while (!n.leaf) n = n.children[0];
      return [n.keys[0], n.vals[0]];
    };
    while (level.length > 1) {
      const next: Node<K, V>[] = [];
      for (let i = 0; i < level.length; i += size) {
        const children = level.slice(i, i + size);
        const seps = children.slice(1).map(firstOf);
        next.push({
          leaf: false,
          gen,
          children,
          sepKeys: seps.map((x) => x[0]),
          sepVals: seps.map((x) => x[1]),
        });
      }
      level = next;
    }
    tree.root = level[0];
    tree.count = keys.length;
    return tree;
  }

  /** Freeze the current content: O(1); the tree copies nodes before its next writes to them. */
  snapshot(): BTreeSnapshot<K, V> {
    const snap = new BTreeSnapshot(this.shape, this.root, this.count);
    this.gen = generationCounter++;
    return snap;
  }

  /** Make the tree's content equal to `snap` again (rollback). */
  restore(snap: BTreeSnapshot<K, V>): void {
    this.root = snap.root;
    this.count = snap.size;
    this.gen = generationCounter++;
  }

  clear(): void {
    this.root = { leaf: true, gen: this.gen, keys: [], vals: [] };
    this.count = 0;
  }

  private own<N extends Node<K, V>>(n: N): N {
    if (n.gen === this.gen) return n;
    if (n.leaf) return { leaf: true, gen: this.gen, keys: n.keys.slice(), vals: n.vals.slice() } as N;
    return {
      leaf: false,
      gen: this.gen,
      sepKeys: n.sepKeys.slice(),
      sepVals: n.sepVals.slice(),
      children: n.children.slice(),
    } as N;
  }

  /** Unique mode: insert or replace; returns the previous value. */
  set(key: K, value: V): V | undefined {
    return this.insert(key, value, true).previous;
  }

  /** Multi mode: add the (key, value) pair; false when it was already present. */
  add(key: K, value: V): boolean {
    return this.insert(key, value, false).added;
  }

  private insert(key: K, value: V, replace: boolean): { previous: V | undefined; added: boolean } {
    const result = { previous: undefined as V | undefined, added: false };
    const root = this.own(this.root);
    this.root = root;
    const split = this.insertInto(root, key, value, replace, result);
    if (split) {
      this.root = {
        leaf: false,
        gen: this.gen,
        sepKeys: [split.key],
        sepVals: [split.val],
        children: [root, split.node],
      };
    }
    if (result.added) this.count++;
    return result;
  }

  /** Insert below an owned node; returns a new right sibling when the node split. */
  private insertInto(
    node: Node<K, V>,
    key: K,
    value: V,
    replace: boolean,
    result: { previous: V | undefined; added: boolean },
  ): { key: K; val: V; node: Node<K, V> } | null {
    const s = this.shape;
    if (node.leaf) {
      const n = node.keys.length;
      // Ascending inserts (auto-increment keys, bulk loads) land after the last entry: skip the search.
      const i =
        n > 0 && entryCmp(s, node.keys[n - 1], node.vals[n - 1], key, value) < 0
          ? n
          : lowerIndex(s, node.keys, node.vals, key, value, !s.multi);
      if (i < node.keys.length && entryCmp(s, node.keys[i], node.vals[i], key, value) === 0) {
        if (replace && !s.multi) {
          result.previous = node.vals[i];
          node.vals[i] = value;
        }
        return null;
      }
      insertAt(node.keys, i, key);
      insertAt(node.vals, i, value);
      result.added = true;
      if (node.keys.length <= s.nodeSize) return null;
      const mid = node.keys.length >>> 1;
      const right: Leaf<K, V> = {
        leaf: true,
        gen: this.gen,
        keys: node.keys.splice(mid),
        vals: node.vals.splice(mid),
      };
      return { key: right.keys[0], val: right.vals[0], node: right };
    }
    const last = node.sepKeys.length - 1;
    const c =
      last >= 0 && entryCmp(s, node.sepKeys[last], node.sepVals[last], key, value) <= 0
        ? last + 1
        : childFor(s, node, key, s.multi ? value : undefined);
    const child = this.own(node.children[c]);
    node.children[c] = child;
    const split = this.insertInto(child, key, value, replace, result);
    if (!split) return null;
    insertAt(node.children, c + 1, split.node);
    insertAt(node.sepKeys, c, split.key);
    insertAt(node.sepVals, c, split.val);
    if (node.children.length <= s.nodeSize) return null;
    const mid = node.children.length >>> 1;
    const rightChildren = node.children.splice(mid);
    const upKey = node.sepKeys[mid - 1];
    const upVal = node.sepVals[mid - 1];
    const rightKeys = node.sepKeys.splice(mid);
    const rightVals = node.sepVals.splice(mid);
    node.sepKeys.length = mid - 1;
    node.sepVals.length = mid - 1;
    return {
      key: upKey,
      val: upVal,
      node: { leaf: false, gen: this.gen, sepKeys: rightKeys, sepVals: rightVals, children: rightChildren },
    };
  }

  /** Unique mode: delete by key. Multi mode: delete the exact (key, value) pair. */
  delete(key: K, value?: V): boolean {
    const s = this.shape;
    if (s.multi && value === undefined) throw new InternalError('BTree.delete in multi mode needs the value');
    if (!this.containsEntry(key, value)) return false;
    const root = this.own(this.root);
    this.root = root;
    this.deleteFrom(root, key, value);
    this.count--;
    while (!this.root.leaf && this.root.children.length === 1) this.root = this.root.children[0];
    return true;
  }

  private containsEntry(key: K, value: V | undefined): boolean {
    const s = this.shape;
    let node = this.root;
    const v = s.multi ? value : undefined;
    while (!node.leaf) node = node.children[childFor(s, node, key, v)];
    const i = lowerIndex(s, node.keys, node.vals, key, v, !s.multi);
    return i < node.keys.length && entryCmp(s, node.keys[i], node.vals[i], key, v as V) === 0;
  }

  private deleteFrom(node: Node<K, V>, key: K, value: V | undefined): void {
    const s = this.shape;
    const v = s.multi ? value : undefined;
    if (node.leaf) {
      const i = lowerIndex(s, node.keys, node.vals, key, v, !s.multi);
      node.keys.splice(i, 1);
      node.vals.splice(i, 1);
      return;
    }
    const c = childFor(s, node, key, v);
    const child = this.own(node.children[c]);
    node.children[c] = child;
    this.deleteFrom(child, key, value);
    const empty = child.leaf ? child.keys.length === 0 : child.children.length === 0;
    if (empty && node.children.length > 1) {
      // Drop the empty child and the separator that bounded it.
      node.children.splice(c, 1);
      const sep = c === 0 ? 0 : c - 1;
      node.sepKeys.splice(sep, 1);
      node.sepVals.splice(sep, 1);
    } else if (!empty && c > 0 && child.leaf) {
      // Keep the separator equal to the child's first entry (iteration never needs it, lookups do).
      node.sepKeys[c - 1] = child.keys[0];
      node.sepVals[c - 1] = child.vals[0];
    }
  }
}
