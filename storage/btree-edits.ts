/**
 * The copy-on-write writers under BTree (storage/btree.ts describes the scheme and the shape): a
 * node is written in place only when this tree's generation created it, else copied first.
 * Insert descends and splits nodes that overflow; delete descends and merges or evenly shares
 * nodes that fall below half full. BTree extends this class and keeps the public API, the lookup
 * memo, the staging of bulk runs and the paged (checkpoint) layout.
 */
import { BTreeReader } from './btree-reader';
import {
  MIXED,
  childFor,
  entryCmp,
  entryCmpMode,
  fill,
  firstEntry,
  insertAt,
  lowerIndex,
  lowerIndexFrom,
  decodedTail,
  openInner,
  settled,
  probeMode,
  removeAt,
  sharedKey,
  sweep,
  warm,
  widen,
} from './btree-nodes';
import type { Inner, Leaf, Node, Split } from './btree-nodes';

export abstract class BTreeEdits<K, V> extends BTreeReader<K, V> {
  protected root: Node<K, V>;
  protected gen: number;
  protected count = 0;
  // Out-parameters of the recursive writers, kept on the tree so a write allocates nothing itself.
  private split: Split<K, V> | null = null;
  protected previous: V | undefined = undefined;
  protected added = false;
  /**
   * The rightmost leaf of `root`, or null when not known. Ascending inserts (auto-increment keys,
   * bulk loads) append to it without a descent while this generation owns it; appending past the
   * last entry changes no separator, so its ancestors need no update. A lookup of a key above its
   * last entry is answered without a descent too.
   */
  protected tail: Leaf<K, V> | null = null;
  // Probe modes of the entry being inserted (see probeMode), shared by the recursive writers.
  private mk = MIXED;
  private mv = MIXED;
  /** @internal Leaf entries copied by copy-on-write (own) so far: tests count work with it. */
  copiedEntries = 0;
  /**
   * The leaf the last insert() put its entry in and where, its bounds in `finger` (recorded on
   * the way down); null when unknown (an append at the tail, a split, nothing added): insertRun
   * then goes on in that leaf without a second descent to find it.
   */
  private landed: Leaf<K, V> | null = null;
  private landedAt = -1;

  protected constructor(gen: number) {
    super();
    this.gen = gen;
    this.root = this.leafNode([], []);
  }

  protected leafNode(keys: K[], vals: V[]): Leaf<K, V> {
    return {
      leaf: true,
      gen: this.gen,
      keys,
      vals,
      page: null,
      cold: false,
      hot: false,
      packed: undefined,
      memo: null,
    };
  }

  /** The leaf deleteFrom reaches for (key, value) and the neighbours a rebalance may merge it with. */
  protected warmForDelete(key: K, value: V | undefined): void {
    const s = this.shape;
    let node = this.root;
    while (!node.leaf) {
      openInner(s, node);
      const c = childFor(s, node, key, value);
      const child = node.children[c];
      // A rebalance reads the neighbours too: read their pages before anything is changed.
      for (let i = Math.max(0, c - 1); i <= Math.min(node.children.length - 1, c + 1); i++) {
        const n = node.children[i];
        if (n.leaf) warm(s, n);
        else openInner(s, n);
      }
      node = child;
    }
    warm(s, node);
  }

  /** An inner node over `children`, each separator being the first entry of its child. */
  protected innerNode(children: Node<K, V>[]): Inner<K, V> {
    const sepKeys: K[] = [];
    const sepVals: V[] = [];
    for (let i = 1; i < children.length; i++) {
      const first = firstEntry(this.shape, children[i]);
      sepKeys.push(first.keys[0]);
      sepVals.push(first.vals[0]);
    }
    return { leaf: false, gen: this.gen, sepKeys, sepVals, children, packed: undefined, dir: null };
  }

  /**
   * own(leaf) with (key, value) inserted at `i`. A copy is made one entry longer at once: slice()
   * then an insert allocated each array twice (the exact-size copy, then its growth), and a
   * commit copies a leaf of every index it touches (the snapshot it publishes shares them).
   */
  protected ownInserting(leaf: Leaf<K, V>, i: number, key: K, value: V): Leaf<K, V> {
    if (leaf.gen === this.gen) {
      insertAt(leaf.keys, i, key);
      insertAt(leaf.vals, i, value);
      return leaf;
    }
    warm(this.shape, leaf);
    this.copiedEntries += leaf.keys.length;
    return this.leafNode(withInserted(leaf.keys, i, key), withInserted(leaf.vals, i, value));
  }

  /** `n` itself when this generation created it (nothing else can see it), else a private copy. */
  protected own<N extends Node<K, V>>(n: N): N {
    if (n.gen === this.gen) return n;
    if (n.leaf) {
      warm(this.shape, n);
      this.copiedEntries += n.keys.length;
      return this.leafNode(n.keys.slice(), n.vals.slice()) as N;
    }
    openInner(this.shape, n);
    return {
      leaf: false,
      gen: this.gen,
      sepKeys: n.sepKeys.slice(),
      sepVals: n.sepVals.slice(),
      children: n.children.slice(),
      packed: undefined,
      dir: null,
    } as N;
  }

  protected insert(key: K, value: V, replace: boolean): void {
    this.added = false;
    this.landed = null;
    const s = this.shape;
    sweep(s);
    // Widen before comparing: from here on `key` counts as a stored key.
    if (s.keyKind !== MIXED) s.keyKind = widen(s.keyKind, key);
    if (s.valKind !== MIXED) s.valKind = widen(s.valKind, value);
    const mk = probeMode(s.keyKind, key);
    const mv = probeMode(s.valKind, value);
    const t = this.tail;
    if (t !== null && t.gen === this.gen) {
      const n = t.keys.length;
      if (n > 0 && n < s.nodeSize && entryCmpMode(s, mk, mv, t.keys[n - 1], t.vals[n - 1], key, value) < 0) {
        t.keys.push(s.multi ? sharedKey(t.keys, n, key) : key);
        t.vals.push(value);
        this.added = true;
        this.count++;
        return;
      }
    }
    this.mk = mk;
    this.mv = mv;
    this.descents++;
    this.finger.hasLo = false;
    this.finger.hasHi = false;
    const root = this.insertInto(this.root, key, value, replace, true);
    if (root === null) return;
    const split = this.split;
    if (split === null) this.root = settled(root);
    else {
      this.split = null;
      this.root = {
        leaf: false,
        gen: this.gen,
        sepKeys: [split.key],
        sepVals: [split.val],
        children: [root, split.node],
        packed: undefined,
        dir: null,
      };
    }
    if (this.added) this.count++;
    // Nothing is read here: the insert is done.
    this.tail = decodedTail(this.root);
  }

  /**
   * Insert the entries `keys[order[i]], vals[order[i]]` that are absent (multi mode: the pair;
   * unique mode: the key), given in ascending order or close to it (a sorted run:
   * storage/replay-indexes.ts). An entry goes straight into the leaf the previous one reached
   * when that leaf is this generation's, has room and its bounds (the separators around it on the
   * way down) admit the entry; any other takes a full insert, after which its leaf is found again
   * for the next ones. A run of n sorted entries into L leaves so costs about 2L descents instead
   * of n. Returns how many entries were added.
   */
  protected insertRun(keys: readonly K[], vals: readonly V[], order: Uint32Array): number {
    const s = this.shape;
    let added = 0;
    let leaf: Leaf<K, V> | null = null;
    // Where the previous entry went in `leaf` (-1: not known): a sorted run's next one lies after.
    let at = -1;
    for (let o = 0; o < order.length; o++) {
      const key = keys[order[o]];
      const value = vals[order[o]];
      if (leaf !== null && leaf.gen === this.gen && !leaf.cold && leaf.keys.length < s.nodeSize) {
        if (s.keyKind !== MIXED) s.keyKind = widen(s.keyKind, key);
        if (s.valKind !== MIXED) s.valKind = widen(s.valKind, value);
        const mk = probeMode(s.keyKind, key);
        const mv = probeMode(s.valKind, value);
        const f = this.finger;
        if (
          (!f.hasLo || entryCmpMode(s, mk, mv, f.loKey as K, f.loVal as V, key, value) <= 0) &&
          (!f.hasHi || entryCmpMode(s, mk, mv, f.hiKey as K, f.hiVal as V, key, value) > 0)
        ) {
          const i =
            at >= 0 && entryCmpMode(s, mk, mv, leaf.keys[at], leaf.vals[at], key, value) < 0
              ? lowerIndexFrom(s, leaf.keys, leaf.vals, key, value, !s.multi, at + 1)
              : lowerIndex(s, leaf.keys, leaf.vals, key, value, !s.multi);
          if (i < leaf.keys.length && entryCmpMode(s, mk, mv, leaf.keys[i], leaf.vals[i], key, value) === 0)
            continue;
          insertAt(leaf.keys, i, s.multi ? sharedKey(leaf.keys, i, key) : key);
          insertAt(leaf.vals, i, value);
          at = i;
          this.count++;
          added++;
          continue;
        }
      }
      this.insert(key, value, false);
      if (this.added) added++;
      if (this.landed !== null) {
        leaf = this.landed;
        at = this.landedAt;
        this.landed = null;
      } else {
        leaf = this.locate(key, value);
        at = -1;
      }
    }
    this.finger.hiKey = this.finger.loKey = undefined;
    this.finger.hiVal = this.finger.loVal = undefined;
    return added;
  }

  /** Bounds of the leaf insertRun writes into (the separators around it), kept allocation-free. */
  private readonly finger: {
    hasLo: boolean;
    loKey: K | undefined;
    loVal: V | undefined;
    hasHi: boolean;
    hiKey: K | undefined;
    hiVal: V | undefined;
  } = { hasLo: false, loKey: undefined, loVal: undefined, hasHi: false, hiKey: undefined, hiVal: undefined };

  /** Narrow `finger` to the separators around child `c` of `node`, on a descent from the root. */
  private narrowFinger(node: Inner<K, V>, c: number): void {
    const f = this.finger;
    if (c > 0) {
      f.hasLo = true;
      f.loKey = node.sepKeys[c - 1];
      f.loVal = node.sepVals[c - 1];
    }
    if (c < node.sepKeys.length) {
      f.hasHi = true;
      f.hiKey = node.sepKeys[c];
      f.hiVal = node.sepVals[c];
    }
  }

  /** The leaf (key, value) belongs in, with its bounds in `finger`: one descent, nothing copied. */
  private locate(key: K, value: V): Leaf<K, V> {
    const s = this.shape;
    const f = this.finger;
    f.hasLo = false;
    f.hasHi = false;
    this.descents++;
    let node = this.root;
    while (!node.leaf) {
      openInner(s, node);
      const c = childFor(s, node, key, s.multi ? value : undefined);
      this.narrowFinger(node, c);
      node = node.children[c];
    }
    return node;
  }

  /**
   * Insert below `node`. Returns the node to put in its place (itself when owned, else a copy), or
   * null when nothing changed so that no ancestor is copied either; a split leaves its new right
   * sibling in `this.split`. `edge`: `node` is the last node of its level (see splitLeaf).
   */
  private insertInto(node: Node<K, V>, key: K, value: V, replace: boolean, edge: boolean): Node<K, V> | null {
    if (node.leaf) return this.insertIntoLeaf(node, key, value, replace, edge);
    const s = this.shape;
    if (node.dir !== null) {
      // As for a cold leaf (insertIntoLeaf): nothing has changed yet, and the kinds may widen.
      openInner(s, node);
      this.mk = probeMode(s.keyKind, key);
      this.mv = probeMode(s.valKind, value);
    }
    const last = node.sepKeys.length - 1;
    // Ascending inserts (auto-increment keys, bulk loads) go right: skip the search.
    const c =
      last >= 0 && entryCmpMode(s, this.mk, this.mv, node.sepKeys[last], node.sepVals[last], key, value) <= 0
        ? last + 1
        : childFor(s, node, key, s.multi ? value : undefined);
    const lastChild = edge && c === node.children.length - 1;
    // The leaf's bounds, narrowed level by level (as locate() does): see `landed`.
    this.narrowFinger(node, c);
    const child = this.insertInto(node.children[c], key, value, replace, lastChild);
    if (child === null) return null;
    const w = this.own(node);
    w.children[c] = child;
    const split = this.split;
    if (split === null) return w;
    this.split = null;
    insertAt(w.children, c + 1, split.node);
    insertAt(w.sepKeys, c, split.key);
    insertAt(w.sepVals, c, split.val);
    if (w.children.length > s.nodeSize) this.split = this.splitInner(w, lastChild);
    return w;
  }

  private insertIntoLeaf(
    leaf: Leaf<K, V>,
    key: K,
    value: V,
    replace: boolean,
    edge: boolean,
  ): Leaf<K, V> | null {
    const s = this.shape;
    if (leaf.cold) {
      // Nothing has changed yet on the way down, so a damaged page fails the insert cleanly. Its
      // keys may widen the kinds: the probe modes are taken again.
      warm(s, leaf);
      this.mk = probeMode(s.keyKind, key);
      this.mv = probeMode(s.valKind, value);
    }
    const n = leaf.keys.length;
    const mk = this.mk;
    const mv = this.mv;
    const i =
      n > 0 && entryCmpMode(s, mk, mv, leaf.keys[n - 1], leaf.vals[n - 1], key, value) < 0
        ? n
        : lowerIndex(s, leaf.keys, leaf.vals, key, value, !s.multi);
    if (i < n && entryCmpMode(s, mk, mv, leaf.keys[i], leaf.vals[i], key, value) === 0) {
      if (!replace || s.multi) return null;
      this.previous = leaf.vals[i];
      if (leaf.vals[i] === value) return null;
      const w = this.own(leaf);
      w.vals[i] = value;
      return w;
    }
    const w = this.ownInserting(leaf, i, s.multi ? sharedKey(leaf.keys, i, key) : key, value);
    this.added = true;
    if (n + 1 > s.nodeSize) this.split = this.splitLeaf(w, edge && i === n);
    else {
      this.landed = w;
      this.landedAt = i;
    }
    return w;
  }

  /**
   * Split an overflowing leaf. `appended`: the entry just inserted is the last of the whole tree
   * (the leaf is the last of its level and the entry went to its end). Then, as SQLite's
   * balance_quick does for appends, the leaf keeps nodeSize entries and the new right sibling
   * starts with the new entry alone: an ascending load fills its leaves instead of leaving each
   * half full, with half the nodes. The last node of each level may so hold fewer than
   * nodeSize/2; it is the only one that can, since the next split of it again leaves it full.
   * Anywhere else (or an oversized page leaf) the halves are even, so random inserts keep
   * leaves at least half full.
   */
  protected splitLeaf(w: Leaf<K, V>, appended = false): Split<K, V> {
    const n = w.keys.length;
    const mid = appended && n === this.shape.nodeSize + 1 ? n - 1 : n >>> 1;
    const right = this.leafNode(w.keys.splice(mid), w.vals.splice(mid));
    return { key: right.keys[0], val: right.vals[0], node: right };
  }

  /**
   * Split an overflowing inner node; `appended`: it is the last of its level and its new child is
   * its last (an append split it), so the right half takes only its last two children (see
   * splitLeaf). Two, not one: an inner node of one child could be left holding an empty leaf
   * by a delete (a child's underflow is repaired against a sibling, and it would have none).
   */
  protected splitInner(w: Inner<K, V>, appended = false): Split<K, V> {
    const n = w.children.length;
    const mid = appended && n === this.shape.nodeSize + 1 ? n - 2 : n >>> 1;
    // The separator in front of children[mid] moves up instead of into either half.
    const key = w.sepKeys[mid - 1];
    const val = w.sepVals[mid - 1];
    const node: Inner<K, V> = {
      leaf: false,
      gen: this.gen,
      sepKeys: w.sepKeys.splice(mid),
      sepVals: w.sepVals.splice(mid),
      children: w.children.splice(mid),
      packed: undefined,
      dir: null,
    };
    w.sepKeys.length = mid - 1;
    w.sepVals.length = mid - 1;
    return { key, val, node };
  }

  /** Delete below `node`; the node to put in its place, or null when the entry was absent. */
  protected deleteFrom(node: Node<K, V>, key: K, value: V | undefined): Node<K, V> | null {
    const s = this.shape;
    if (node.leaf) {
      warm(s, node);
      const i = lowerIndex(s, node.keys, node.vals, key, value, !s.multi);
      if (i >= node.keys.length || entryCmp(s, node.keys[i], node.vals[i], key, value as V) !== 0)
        return null;
      const w = this.own(node);
      removeAt(w.keys, i);
      removeAt(w.vals, i);
      return w;
    }
    openInner(s, node);
    const c = childFor(s, node, key, value);
    const child = this.deleteFrom(node.children[c], key, value);
    if (child === null) return null;
    const w = this.own(node);
    w.children[c] = child;
    if (fill(s, child) < s.nodeSize >>> 1 && w.children.length > 1) this.rebalance(w, c);
    else if (c > 0 && child.leaf) {
      // Keep the separator on a live entry so a deleted key is not kept reachable.
      w.sepKeys[c - 1] = child.keys[0];
      w.sepVals[c - 1] = child.vals[0];
    }
    return w;
  }

  /**
   * Children[c] of the owned `parent` fell below half full: merge it with a neighbour when both fit
   * in one node, else share their entries evenly. This bounds height and memory under deletes.
   */
  private rebalance(parent: Inner<K, V>, c: number): void {
    const j = c > 0 ? c - 1 : c;
    const left = parent.children[j];
    const right = parent.children[j + 1];
    if (fill(this.shape, left) + fill(this.shape, right) <= this.shape.nodeSize) {
      parent.children[j] = this.merge(left, right, parent.sepKeys[j], parent.sepVals[j]);
      removeAt(parent.children, j + 1);
      removeAt(parent.sepKeys, j);
      removeAt(parent.sepVals, j);
    } else if (left.leaf && right.leaf) this.shareLeaves(parent, j, left, right);
    else this.shareInner(parent, j, left as Inner<K, V>, right as Inner<K, V>);
  }

  /** `right` appended to `left`; `sepKey/sepVal` (their separator) joins inner nodes. */
  private merge(left: Node<K, V>, right: Node<K, V>, sepKey: K, sepVal: V): Node<K, V> {
    const m = this.own(left);
    if (m.leaf) {
      const r = right as Leaf<K, V>;
      for (let i = 0; i < r.keys.length; i++) {
        m.keys.push(r.keys[i]);
        m.vals.push(r.vals[i]);
      }
      return m;
    }
    const r = right as Inner<K, V>;
    m.sepKeys.push(sepKey);
    m.sepVals.push(sepVal);
    for (let i = 0; i < r.sepKeys.length; i++) {
      m.sepKeys.push(r.sepKeys[i]);
      m.sepVals.push(r.sepVals[i]);
    }
    for (let i = 0; i < r.children.length; i++) m.children.push(r.children[i]);
    return m;
  }

  private shareLeaves(parent: Inner<K, V>, j: number, left: Leaf<K, V>, right: Leaf<K, V>): void {
    const keys = left.keys.concat(right.keys);
    const vals = left.vals.concat(right.vals);
    const mid = keys.length >>> 1;
    parent.children[j] = this.leafNode(keys.slice(0, mid), vals.slice(0, mid));
    parent.children[j + 1] = this.leafNode(keys.slice(mid), vals.slice(mid));
    parent.sepKeys[j] = keys[mid];
    parent.sepVals[j] = vals[mid];
  }

  private shareInner(parent: Inner<K, V>, j: number, left: Inner<K, V>, right: Inner<K, V>): void {
    // The parent's separator sits between the two runs of separators, as in a merge.
    const children = left.children.concat(right.children);
    const sepKeys = left.sepKeys.concat([parent.sepKeys[j]], right.sepKeys);
    const sepVals = left.sepVals.concat([parent.sepVals[j]], right.sepVals);
    const mid = children.length >>> 1;
    const gen = this.gen;
    parent.children[j] = {
      leaf: false,
      gen,
      sepKeys: sepKeys.slice(0, mid - 1),
      sepVals: sepVals.slice(0, mid - 1),
      children: children.slice(0, mid),
      packed: undefined,
      dir: null,
    };
    parent.children[j + 1] = {
      leaf: false,
      gen,
      sepKeys: sepKeys.slice(mid),
      sepVals: sepVals.slice(mid),
      children: children.slice(mid),
      packed: undefined,
      dir: null,
    };
    parent.sepKeys[j] = sepKeys[mid - 1];
    parent.sepVals[j] = sepVals[mid - 1];
  }
}

/** A copy of `a`, one longer, with `x` at `i` (one allocation of the final size). */
function withInserted<T>(a: readonly T[], i: number, x: T): T[] {
  // concat of a one-element array: `x` itself may be an array (a composite key).
  const out = a.concat([x]);
  for (let j = a.length; j > i; j--) out[j] = out[j - 1];
  out[i] = x;
  return out;
}
