/**
 * The read side of the copy-on-write B+tree (storage/btree.ts, whose header describes the
 * scheme): the operations live trees and snapshots share, and the immutable snapshot itself.
 */

import { BTreeCursor } from './btree-cursor';
import { childFor, lowerIndex, openInner, probeMode, same, sweep, warm } from './btree-nodes';
import type { CursorOptions, Node, Shape } from './btree-nodes';
import type { BTree } from './btree';
import { flatString } from './flat-string';
import { KEY_TOP } from './compare';
import { KeyGroup } from './prefix-memo';
import { PartRun } from './page-parts';
import type { Visit } from './page-parts';

/** Read operations shared by live trees and snapshots. */
export abstract class BTreeReader<K, V> {
  protected abstract rootNode(): Node<K, V>;
  abstract readonly size: number;
  protected abstract readonly shape: Shape<K, V>;
  /**
   * @internal Root-to-leaf descents by point operations (get, probe, insert, delete) so far: tests
   * count work with it, not time.
   */
  descents = 0;

  /** The value stored under `key` (unique mode), or the first value of `key` (multi mode). */
  get(key: K): V | undefined {
    // A probe built by concatenation would be walked part by part in every comparison below.
    if (typeof key === 'string') key = flatString(key) as K;
    const s = this.shape;
    sweep(s);
    let node = this.rootNode();
    this.descents++;
    if (s.multi) {
      // First entry with this key: descend by key-only lower bound; only when it sits past the
      // end of its leaf does the answer live in the next leaf (then a cursor finds it).
      let rightmost = true;
      while (!node.leaf) {
        openInner(s, node);
        const c = lowerIndex(s, node.sepKeys, node.sepVals, key, undefined, true);
        rightmost = rightmost && c === node.children.length - 1;
        node = node.children[c];
      }
      warm(s, node);
      const i = lowerIndex(s, node.keys, node.vals, key, undefined, true);
      if (i < node.keys.length) return s.compare(node.keys[i], key) === 0 ? node.vals[i] : undefined;
      // Past the end of the last leaf: the key is above every entry (ascending inserts land here).
      if (rightmost) return undefined;
      const cur = new BTreeCursor(s, this.rootNode(), { lo: key, hi: key });
      return cur.next() ? cur.value : undefined;
    }
    while (!node.leaf) node = openInner(s, node).children[childFor(s, node, key, undefined)];
    warm(s, node);
    const i = lowerIndex(s, node.keys, node.vals, key, undefined, true);
    return i < node.keys.length && same(probeMode(s.keyKind, key), s.compare, node.keys[i], key)
      ? node.vals[i]
      : undefined;
  }

  has(key: K): boolean {
    return this.get(key) !== undefined;
  }

  /**
   * get(key) for a key a multi-mode tree holds at most once (a UNIQUE index's non-NULL key): the
   * live tree answers repeated keys from its lookup memo (see BTree.lookups).
   */
  firstValue(key: K): V | undefined {
    return this.get(key);
  }

  /**
   * The values of every entry whose key (a tuple) starts with `prefix`, in tree order: the walk
   * from `prefix` to `[...prefix, KEY_TOP]`, both inclusive, that planner/execute.ts makes for an
   * equality on every column of a composite index. Null when there are more than `max` (the
   * caller then walks a cursor, streaming). The live tree memoizes small groups (BTree.prefixes).
   */
  prefixGroup(prefix: readonly unknown[], max: number): KeyGroup<V> | null {
    const hi: unknown[] = prefix.slice();
    hi.push(KEY_TOP);
    const cur = this.cursor({ lo: prefix as K, loInclusive: true, hi: hi as K, hiInclusive: true });
    const out: V[] = [];
    while (cur.next()) {
      if (out.length === max) return null;
      out.push(cur.value);
    }
    return new KeyGroup(out);
  }

  /**
   * The values of every entry whose key equals `key`, a number (a single-column index read by an
   * equality or a join key), in tree order; null when there are more than `max`. The live tree
   * memoizes small groups as prefixGroup's, under the one-number probe `[key]`.
   */
  keyGroup(key: number, max: number): KeyGroup<V> | null {
    const cur = this.cursor({ lo: key as K, loInclusive: true, hi: key as K, hiInclusive: true });
    const out: V[] = [];
    while (cur.next()) {
      if (out.length === max) return null;
      out.push(cur.value);
    }
    return new KeyGroup(out);
  }

  /** The tree's key order (a negative number when `a` sorts first, 0 for equal keys). */
  compareKeys(a: K, b: K): number {
    return this.shape.compare(a, b);
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
        warm(this.shape, n);
        for (let i = 0; i < n.keys.length; i++) {
          keys.push(n.keys[i]);
          values.push(n.vals[i]);
        }
      } else for (const c of openInner(this.shape, n).children) walk(c);
    };
    walk(this.rootNode());
    return { keys, values };
  }

  /**
   * @internal Visit the leaves in order without warming any (checkpoint writers): a leaf that
   * still equals its page gets that page, with its entries when they are decoded (null when cold);
   * any other leaf gets null and its entries.
   */
  forEachLeaf(
    visit: Visit<K, V>,
    /** Unchanged decoded parts of a page come as their leaves (a checkpoint writer that adopts). */
    withLeaves = false,
  ): void {
    // Leaves cut from one page (storage/page-parts.ts) are visited as that page when unchanged.
    const parts = new PartRun<K, V>(visit, withLeaves);
    const walk = (n: Node<K, V>): void => {
      if (!n.leaf) for (const c of openInner(this.shape, n).children) walk(c);
      else if (parts.add(n)) return;
      else {
        parts.end();
        if (n.cold) visit(n.page, null, null);
        else if (n.keys.length > 0) visit(n.page, n.keys, n.vals);
      }
    };
    walk(this.rootNode());
    parts.end();
  }

  /**
   * Leaves whose page is not decoded yet (tests and diagnostics: how much of a paged tree is
   * loaded); the leaves under a directory page not read yet are not counted (see coldDirectories).
   */
  coldLeaves(): number {
    let cold = 0;
    const walk = (n: Node<K, V>): void => {
      if (!n.leaf) for (const c of n.children) walk(c);
      else if (n.cold) cold++;
    };
    walk(this.rootNode());
    return cold;
  }

  /** Directory pages not read yet (a tree opened from a layout-5 checkpoint; tests and diagnostics). */
  coldDirectories(): number {
    let cold = 0;
    const walk = (n: Node<K, V>): void => {
      if (n.leaf) return;
      if (n.dir !== null) cold++;
      else for (const c of n.children) walk(c);
    };
    walk(this.rootNode());
    return cold;
  }
}

/** An immutable view of a tree at one moment. */
export class BTreeSnapshot<K, V> extends BTreeReader<K, V> {
  /** @internal */
  constructor(
    protected readonly shape: Shape<K, V>,
    /** @internal */ readonly root: Node<K, V>,
    readonly size: number,
    /** The tree it was taken from, and that tree's edit count then (see BTree.lookups). */
    private readonly owner: BTree<K, V> | null = null,
    private readonly edits = 0,
  ) {
    super();
  }

  /** While the tree it came from is unchanged, its lookup memo answers for the snapshot too. */
  override get(key: K): V | undefined {
    const o = this.owner;
    return o !== null && o.editCount === this.edits ? o.get(key) : super.get(key);
  }

  override firstValue(key: K): V | undefined {
    const o = this.owner;
    return o !== null && o.editCount === this.edits ? o.firstValue(key) : super.get(key);
  }

  /** The owner's memo answers while it is unchanged; a miss walks this snapshot (packed keys). */
  override prefixGroup(prefix: readonly unknown[], max: number): KeyGroup<V> | null {
    const o = this.owner;
    if (o === null || o.editCount !== this.edits) return super.prefixGroup(prefix, max);
    const known = o.knownGroup(prefix, max);
    if (known !== undefined) return known;
    const group = super.prefixGroup(prefix, max);
    o.rememberGroup(prefix, group);
    return group;
  }

  /** As prefixGroup, for keyGroup's one-number probe. */
  override keyGroup(key: number, max: number): KeyGroup<V> | null {
    const o = this.owner;
    if (o === null || o.editCount !== this.edits || key !== key) return super.keyGroup(key, max);
    const probe = [key];
    const known = o.knownGroup(probe, max);
    if (known !== undefined) return known;
    const group = super.keyGroup(key, max);
    o.rememberGroup(probe, group);
    return group;
  }

  /**
   * get() of each of `group`'s values (a secondary index's primary keys, this snapshot being the
   * primary-key tree's), remembered on the group while the tree this snapshot came from is
   * unchanged: the rows of a repeated group are then located with no lookup at all.
   */
  getEach(group: KeyGroup<K>): readonly (V | undefined)[] {
    const o = this.owner;
    const current = o !== null && o.editCount === this.edits;
    if (current && group.derivedOf === o && group.derivedAt === this.edits)
      return group.derived as readonly (V | undefined)[];
    const keys = group.values;
    const out = new Array<V | undefined>(keys.length);
    for (let i = 0; i < keys.length; i++) out[i] = this.get(keys[i]);
    if (current) {
      group.derived = out;
      group.derivedOf = o;
      group.derivedAt = this.edits;
    }
    return out;
  }

  protected rootNode(): Node<K, V> {
    return this.root;
  }

  /** A snapshot's nodes never change: its cursors may search packed keys (storage/packed-keys.ts). */
  override cursor(opts: CursorOptions<K> = {}): BTreeCursor<K, V> {
    return new BTreeCursor(this.shape, this.root, opts, true);
  }
}

/** The shape a snapshot shares with its tree (protected on the class: not part of the public API). */
export function shapeOf<K, V>(snap: BTreeSnapshot<K, V>): Shape<K, V> {
  return (snap as unknown as { shape: Shape<K, V> }).shape;
}
