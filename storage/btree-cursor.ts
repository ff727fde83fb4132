/** Ordered iteration over a B+tree's nodes (storage/btree.ts). */

import { lowerIndex, openInner, sweep, upperIndexKey, warm } from './btree-nodes';
import type { CursorOptions, Inner, Leaf, Node, Shape } from './btree-nodes';
import { InternalError } from '../src/errors';
import { compareKeys } from './compare';
import { comparePacked, packKeys, packPolicy, packableProbe, packedBound } from './packed-keys';
import type { PackedKeys } from './packed-keys';

/** descend()'s pick for the leftmost path. */
function firstChild(): number {
  return 0;
}

/** Entries under `n` as stored beside what is not read yet: a cold leaf's page, a cold inner node's directory page; else -1. */
function storedCount<K, V>(n: Node<K, V>): number {
  if (n.leaf) return n.cold && n.page !== null ? n.page.count : -1;
  return n.dir !== null ? n.dir.count : -1;
}

/** Allocation-free ordered iteration: call next(), then read key/value. */
export class BTreeCursor<K, V> {
  key!: K;
  value!: V;
  private readonly nodes: Node<K, V>[] = [];
  private readonly idx: number[] = [];
  private leafNode: Leaf<K, V> | null = null;
  /**
   * The current leaf's entries, held by the cursor: the leaf cache may cool the leaf between two
   * steps (storage/leaf-cache.ts), and the cursor must still read what it was positioned on.
   */
  private lk: K[] = [];
  private lv: V[] = [];
  private i = 0;
  private started = false;
  private done = false;
  /**
   * Offered each leaf not decoded yet that a forward walk reaches after its first, with the page
   * it stands for: returning true consumes the whole leaf (the walk steps over its entries as if
   * it were empty, and never decodes it). A whole-table count set it to count a leaf from what is
   * stored beside its page (planner/filtered-scan.ts).
   */
  onColdLeaf: ((page: object) => boolean) | null = null;
  /** Offer onColdLeaf the first leaf a seek reaches too (a walk that must decode nothing). */
  coldFirstLeaf = false;
  /** Whether searches may use packed keys (storage/packed-keys.ts): frozen nodes, compareKeys order. */
  private readonly packs: boolean;

  constructor(
    private readonly s: Shape<K, V>,
    private readonly root: Node<K, V>,
    private readonly o: CursorOptions<K>,
    /** No node under `root` changes any more (a snapshot's), see storage/packed-keys.ts. */
    readonly frozen = false,
  ) {
    this.packs = frozen && s.compare === (compareKeys as (a: K, b: K) => number);
  }

  private descend(node: Node<K, V>, pick: (n: Inner<K, V>) => number, stepping = false): void {
    sweep(this.s);
    while (!node.leaf) {
      openInner(this.s, node);
      const c = pick(node);
      this.nodes.push(node);
      this.idx.push(c);
      node = node.children[c];
    }
    const skip = this.onColdLeaf;
    if (
      (stepping || this.coldFirstLeaf) &&
      skip !== null &&
      node.cold &&
      node.page !== null &&
      skip(node.page)
    ) {
      this.leafNode = node;
      this.lk = [];
      this.lv = [];
      return;
    }
    warm(this.s, node);
    this.leafNode = node;
    this.lk = node.keys;
    this.lv = node.vals;
  }

  /**
   * The packed keys of frozen node `n`, or null: not packable, or searched fewer than
   * packPolicy.after times so far (n.packed counts them).
   */
  private packedOf(n: Node<K, V>): PackedKeys | null {
    const p = n.packed;
    if (p === null || typeof p === 'object') return p;
    const searched = p === undefined ? 1 : p + 1;
    if (searched < packPolicy.after) {
      n.packed = searched;
      return null;
    }
    return (n.packed = packKeys(n.leaf ? n.keys : n.sepKeys));
  }

  /** Entries (separators) of `n` < k, or ≤ k when !inclusive; by packed keys where they apply. */
  private bound(n: Node<K, V>, k: K, inclusive: boolean): number {
    if (this.packs) {
      const p = this.packedOf(n);
      if (p !== null && packableProbe(k, p.width)) return packedBound(p, k, !inclusive);
    }
    const s = this.s;
    if (n.leaf)
      return inclusive ? lowerIndex(s, n.keys, n.vals, k, undefined, true) : upperIndexKey(s, n.keys, k);
    return inclusive
      ? lowerIndex(s, n.sepKeys, n.sepVals, k, undefined, true)
      : upperIndexKey(s, n.sepKeys, k);
  }

  /**
   * compare(current key, bound), by the current leaf's packed keys where they apply (not when the
   * leaf cache cooled the leaf since: the cursor then holds entries the leaf no longer does).
   */
  private compareBound(k: K, bound: K): number {
    const leaf = this.leafNode;
    if (this.packs && leaf !== null && leaf.keys === this.lk) {
      const p = this.packedOf(leaf);
      if (p !== null && packableProbe(bound, p.width)) return comparePacked(p, this.i, bound);
    }
    return this.s.compare(k, bound);
  }

  /** Position at the first entry whose key is ≥ k (or > k when !inclusive); may sit past a leaf's end. */
  private seekForward(k: K, inclusive: boolean): void {
    // A separator strictly below k (or ≤ k for exclusive) rules out everything left of it.
    this.descend(this.root, (n) => this.bound(n, k, inclusive));
    this.i = this.bound(this.leafNode as Leaf<K, V>, k, inclusive);
  }

  private seekFirst(): void {
    this.descend(this.root, firstChild);
    this.i = 0;
  }

  private seekLast(): void {
    this.descend(this.root, (n) => n.children.length - 1);
    this.i = this.lk.length - 1;
  }

  /** Move forward until (leaf, i) is a real entry; false at the end. */
  private settleForward(): boolean {
    while (this.i >= this.lk.length) {
      let depth = this.nodes.length - 1;
      // The next leaf under the same parent, the common step of a walk: no path to rebuild.
      if (depth >= 0) {
        const parent = this.nodes[depth] as Inner<K, V>;
        const c = this.idx[depth] + 1;
        if (c < parent.children.length) {
          const next = parent.children[c];
          if (next.leaf) {
            this.idx[depth] = c;
            this.descend(next, firstChild, true);
            this.i = 0;
            continue;
          }
        }
      }
      while (depth >= 0 && this.idx[depth] >= (this.nodes[depth] as Inner<K, V>).children.length - 1) depth--;
      if (depth < 0) return false;
      this.nodes.length = depth + 1;
      this.idx.length = depth + 1;
      this.idx[depth]++;
      this.descend((this.nodes[depth] as Inner<K, V>).children[this.idx[depth]], firstChild, true);
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
      this.i = this.lk.length - 1;
    }
    return true;
  }

  next(): boolean {
    if (this.done) return false;
    const o = this.o;
    if (!o.reverse) {
      if (!this.started) {
        this.started = true;
        if (o.lo !== undefined) this.seekForward(o.lo, o.loInclusive !== false);
        else this.seekFirst();
      } else this.i++;
      if (!this.settleForward()) return this.finish();
      const k = this.lk[this.i];
      // The key just returned passed the bound: the same key object (a multi tree's entries under
      // one key share it, see sharedKey) passes again without loading its contents.
      if (o.hi !== undefined && k !== this.key) {
        const c = this.compareBound(k, o.hi);
        if (c > 0 || (c === 0 && o.hiInclusive === false)) return this.finish();
      }
      this.key = k;
      this.value = this.lv[this.i];
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
    const k = this.lk[this.i];
    if (o.lo !== undefined && k !== this.key) {
      const c = this.compareBound(k, o.lo);
      if (c < 0 || (c === 0 && o.loInclusive === false)) return this.finish();
    }
    this.key = k;
    this.value = this.lv[this.i];
    return true;
  }

  /**
   * Advance over up to `n` entries as `n` calls of next() would, standing on the last: how many
   * it advanced. Within a leaf it jumps, testing the walk's far bound on the entry it lands on
   * alone (every entry before it is nearer); an OFFSET over an index walk then costs a few
   * comparisons a leaf instead of a step per entry.
   */
  skip(n: number): number {
    const o = this.o;
    let k = 0;
    let jumps = true;
    while (k < n) {
      if (jumps && this.started && !this.done) {
        const jump = Math.min(n - k - 1, o.reverse ? this.i : this.lk.length - 1 - this.i);
        if (jump > 0) {
          const at = o.reverse ? this.i - jump : this.i + jump;
          if (this.within(this.lk[at])) {
            this.i = at;
            this.key = this.lk[at];
            this.value = this.lv[at];
            k += jump;
          } else jumps = false; // near the bound: step the rest
        }
        if (jumps && !o.reverse && this.i === this.lk.length - 1) k += this.passColdSubtrees(n - k - 1);
      }
      if (!this.next()) return k;
      k++;
    }
    return k;
  }

  /**
   * skip()'s step over whole subtrees not read yet, forwards from the last entry of a leaf. The
   * subtree next in walk order (a sibling of the leaf or of an ancestor, the nearest first) is
   * passed by its stored entry count, nothing under it read, when it is a leaf whose page is not
   * decoded or an inner node whose directory page is not read, holds at most `room` entries, and
   * lies below the walk's far bound (its entries are below the separator after it, which is
   * within the bound). An inner node that cannot be passed whole is entered (its directory page
   * read, if not yet) and its children are tried one by one; a leaf that cannot stops the step. A
   * count over a cold index range then reads the pages at its ends and the directory pages on
   * their paths instead of every page. The cursor stands at the end of the last subtree passed
   * (or before the first child of the node entered), as if at the end of an empty leaf: the next
   * next() goes on from what follows. Returns how many entries it passed.
   */
  private passColdSubtrees(room: number): number {
    const nodes = this.nodes;
    const idx = this.idx;
    let passed = 0;
    // Nothing left to pass: entering a node would only read what the next step reads anyway.
    while (passed < room) {
      let d = nodes.length - 1;
      while (d >= 0 && idx[d] + 1 >= (nodes[d] as Inner<K, V>).children.length) d--;
      if (d < 0) return passed;
      const parent = nodes[d] as Inner<K, V>;
      const c = idx[d] + 1;
      // The separator after that subtree: its parent's, or (the parent's last child) that of the
      // nearest ancestor with a subtree to its right. None: the tree's last, where the walk ends.
      let a = d;
      let after = c;
      while (a >= 0 && after + 1 >= (nodes[a] as Inner<K, V>).children.length) {
        a--;
        if (a >= 0) after = idx[a];
      }
      if (a < 0) return passed;
      const next = parent.children[c];
      const count = storedCount(next);
      const passes =
        count >= 0 && count <= room - passed && this.within((nodes[a] as Inner<K, V>).sepKeys[after]);
      if (!passes && next.leaf) return passed;
      idx[d] = c;
      nodes.length = d + 1;
      idx.length = d + 1;
      this.leafNode = null;
      this.lk = [];
      this.lv = [];
      this.i = -1;
      if (passes) passed += count;
      else {
        openInner(this.s, next as Inner<K, V>);
        nodes.push(next);
        idx.push(-1);
      }
    }
    return passed;
  }

  /** Whether `key` is inside the walk's far bound (hi walking forwards, lo backwards). */
  private within(key: K): boolean {
    const o = this.o;
    const bound = o.reverse ? o.lo : o.hi;
    if (bound === undefined) return true;
    // Not compareBound: its packed path compares the entry the cursor stands on, not `key`.
    const c = this.s.compare(key, bound);
    const inclusive = o.reverse ? o.loInclusive !== false : o.hiInclusive !== false;
    return (o.reverse ? c > 0 : c < 0) || (c === 0 && inclusive);
  }

  /**
   * After next() returned true: the current leaf's keys and values, the current entry at `at`
   * (no bound applied past it). A caller taking the rest of the leaf in bulk then calls
   * passLeaf(), and the next next() starts at the following leaf.
   */
  get leafKeys(): readonly K[] {
    return this.lk;
  }

  get leafVals(): readonly V[] {
    return this.lv;
  }

  get at(): number {
    return this.i;
  }

  passLeaf(): void {
    this.i = this.lk.length - 1;
  }

  private finish(): false {
    this.done = true;
    return false;
  }

  /** The leaf holding the current entry — an identity and a slot for per-leaf memos (storage/scan-memo.ts). */
  get leaf(): Leaf<K, V> | null {
    return this.leafNode;
  }

  /**
   * The checkpoint page the current leaf's entries equal, or null (a leaf built or changed in
   * memory): a scan may read what is stored beside the page (storage/column-pages.ts).
   */
  get leafPage(): object | null {
    const leaf = this.leafNode;
    return leaf !== null && leaf.vals === this.lv ? leaf.page : null;
  }

  /** The current entry's index inside `leaf`. */
  get position(): number {
    return this.i;
  }

  /** The values of every entry of `leaf`, in order (storage/scan-memo.ts column vectors). */
  get leafValues(): readonly V[] {
    return this.lv;
  }

  /**
   * Move forward to entry `position` of the current leaf, for a walk that tested the entries in
   * between on something else (a scan's column vectors). Only for forward walks without an upper
   * bound: the skipped entries' keys are not checked against one.
   */
  moveWithinLeaf(position: number): void {
    if (this.o.reverse || this.o.hi !== undefined || position < this.i || position >= this.lk.length)
      throw new InternalError('cursor moved outside its leaf or against its bounds', 'INTERNAL');
    this.i = position;
    this.key = this.lk[position];
    this.value = this.lv[position];
  }
}
