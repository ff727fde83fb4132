/**
 * The nodes of the copy-on-write B+tree (storage/btree.ts, whose header describes the scheme) and
 * the helpers every reader and writer of them shares: key kinds, the comparisons they allow, the
 * binary searches, and small array operations.
 */

import { InternalError } from '../src/errors';
import { sameStoredKey } from './compare';
import { decodedBytes } from './leaf-cache';
import type { LeafCache } from './leaf-cache';
import type { PackedKeys } from './packed-keys';

export interface CursorOptions<K> {
  lo?: K;
  loInclusive?: boolean;
  hi?: K;
  hiInclusive?: boolean;
  reverse?: boolean;
}

export interface Leaf<K, V> {
  leaf: true;
  gen: number;
  keys: K[];
  vals: V[];
  /** The checkpoint page this leaf's entries equal (null for a leaf built or changed in memory). */
  page: LeafPage<K, V> | null;
  /** Entries not decoded yet: keys and vals are empty until warm() loads `page`. */
  cold: boolean;
  /** Touched since the leaf cache last looked (its CLOCK reference bit). */
  hot: boolean;
  /**
   * `keys` packed for searches once the leaf is frozen (storage/packed-keys.ts); a number: the
   * searches made before packing (storage/packed-keys.ts packPolicy); undefined: none yet.
   */
  packed: PackedKeys | null | number | undefined;
  /** The store's scan memo's slots for this leaf (storage/scan-memo.ts); null: none yet. */
  memo: unknown;
}

/** A sorted run of entries stored outside the tree (a checkpoint page, storage/index-pages.ts). */
export interface LeafPage<K, V> {
  readonly count: number;
  /** Decode the entries; a FormatError when the stored bytes are damaged. */
  load(): { keys: K[]; vals: V[] };
}

/** One page of a paged tree, in tree order: its first entry is the separator in front of it. */
export interface PageEntry<K, V> {
  firstKey: K;
  firstVal: V;
  page: LeafPage<K, V>;
}

/**
 * A directory page of a checkpoint (layout 5, docs/format.md §4.4): the directory entries of a run
 * of consecutive pages, stored outside the CHECKPOINT frame and read when a descent first reaches
 * the inner node standing for it.
 */
export interface DirPage<K, V> {
  /** Entries of the tree below it (the sum of its pages' counts). */
  readonly count: number;
  /** Read, check and decode it: its pages in tree order; a FormatError when damaged. */
  load(): PageEntry<K, V>[];
}

/** One directory page of a paged tree, in tree order, as PageEntry is for a page. */
export interface DirEntry<K, V> {
  firstKey: K;
  firstVal: V;
  dir: DirPage<K, V>;
}

/** A page of a checkpoint just written, with its entries when the tree already has them decoded. */
export interface AdoptedPage<K, V> extends PageEntry<K, V> {
  keys: K[] | null;
  vals: V[] | null;
  /**
   * The leaves (parts of this same page, decoded, unchanged) the tree already stands on for it:
   * standing on them again copies no entry (storage/page-parts.ts), so a checkpoint that changed
   * a few pages of a large tree costs per leaf, not per entry, for the rest.
   */
  leaves?: readonly Leaf<K, V>[] | null;
}

export interface Inner<K, V> {
  leaf: false;
  gen: number;
  /** sepKeys[i] / sepVals[i]: the smallest entry of children[i + 1]. */
  sepKeys: K[];
  sepVals: V[];
  children: Node<K, V>[];
  /** `sepKeys` packed once the node is frozen, as Leaf.packed. */
  packed: PackedKeys | null | number | undefined;
  /**
   * A directory page not read yet (a tree opened from a layout-5 checkpoint): sepKeys, sepVals
   * and children stay empty until openInner() reads it. Null for every other inner node.
   */
  dir: DirPage<K, V> | null;
}

export type Node<K, V> = Leaf<K, V> | Inner<K, V>;

/** Insert at position i; a plain shift loop beats Array.prototype.splice on small arrays. */
export function insertAt<T>(a: T[], i: number, x: T): void {
  let j = a.length;
  a.push(x);
  for (; j > i; j--) a[j] = a[j - 1];
  a[i] = x;
}

/**
 * Kinds of the keys (or values) a tree has ever stored, for comparisons that skip compareValues.
 * NUM: all numbers other than NaN, ordered by `<` exactly as compareValues orders them. STR: all
 * strings without a UTF-16 unit at or above U+D800: where such a key and any string first differ,
 * the key's unit is below U+D800, so `<` on units agrees with compareValues's code-point order
 * whatever the other string holds (a surrogate or a unit ≥ U+E000 is above it in both orders).
 * The kind only widens (NONE → NUM or STR → MIXED) because snapshots share it: a snapshot's keys
 * are a subset of every key the tree ever held.
 */
export const NONE = 0;
export const NUM = 1;
export const STR = 2;
export const MIXED = 3;

/** Units that make `<` disagree with code-point order somewhere (no `u` flag: units, not code points). */
const HIGH_UNIT = /[\ud800-\uffff]/;

export function kindOf(x: unknown): number {
  if (typeof x === 'number') return x === x ? NUM : MIXED;
  if (typeof x === 'string') return HIGH_UNIT.test(x) ? MIXED : STR;
  return MIXED;
}

export function widen(kind: number, x: unknown): number {
  if (kind === MIXED) return MIXED;
  const k = kindOf(x);
  return kind === NONE || kind === k ? k : MIXED;
}

export interface Shape<K, V> {
  readonly compare: (a: K, b: K) => number;
  readonly multi: boolean;
  readonly valueCompare: (a: V, b: V) => number;
  readonly nodeSize: number;
  /** Kind of every key stored so far (MIXED for a comparator other than compareValues). */
  keyKind: number;
  valKind: number;
  /** Whether cold leaves may exist (a paged tree, or one that adopted a paged snapshot). */
  paged: boolean;
  /** See BTreeOptions.stageUpTo. */
  readonly stageUpTo: number;
  /** Accounts decoded pages and cools leaves past its budget; null: decoded leaves stay. */
  cache: LeafCache | null;
}

/** Decode a cold leaf in place; its keys join the shape's kinds before anything compares them. */
export function warm<K, V>(s: Shape<K, V>, n: Leaf<K, V>): void {
  if (!n.cold) {
    n.hot = true;
    return;
  }
  const page = n.page as LeafPage<K, V>;
  const { keys, vals } = page.load();
  if (keys.length !== page.count || vals.length !== page.count)
    throw new InternalError('BTree: a page decoded to the wrong number of entries');
  for (let i = 0; i < keys.length && s.keyKind !== MIXED; i++) s.keyKind = widen(s.keyKind, keys[i]);
  for (let i = 0; i < vals.length && s.valKind !== MIXED; i++) s.valKind = widen(s.valKind, vals[i]);
  n.keys = keys;
  n.vals = vals;
  n.cold = false;
  n.hot = true;
  s.cache?.admit(n, decodedBytes(keys, vals));
}

/** A leaf of generation `gen` standing for `page`, its entries not decoded yet (warm() loads them). */
export function coldLeaf<K, V>(page: LeafPage<K, V>, gen: number): Leaf<K, V> {
  return { leaf: true, gen, keys: [], vals: [], page, cold: true, hot: false, packed: undefined, memo: null };
}

let generationCounter = 1;

/**
 * A generation no node has yet (btree.ts header): a tree writes in place only nodes of its own
 * current generation, so taking a fresh one freezes every node it had for the snapshots.
 */
export function nextGeneration(): number {
  return generationCounter++;
}

/**
 * The last leaf under `root` when it is decoded (a write's tail: BTree.add's ascending-key path),
 * else null; nothing is read, so a directory page not read yet on the way gives null too.
 */
export function decodedTail<K, V>(root: Node<K, V>): Leaf<K, V> | null {
  let n = root;
  while (!n.leaf && n.dir === null) n = n.children[n.children.length - 1];
  return n.leaf && !n.cold ? n : null;
}

/**
 * `n` with its children: a cold directory node (Inner.dir) reads its directory page first and
 * stands on cold leaves over its pages. Like warm(), this changes no content, so doing it in place
 * on a node that snapshots share is safe; every reader of an inner node's separators or children
 * calls this first (a cold node's are empty).
 */
export function openInner<K, V>(s: Shape<K, V>, n: Inner<K, V>): Inner<K, V> {
  const dir = n.dir;
  if (dir === null) return n;
  const pages = dir.load();
  let count = 0;
  for (const p of pages) count += p.page.count;
  if (pages.length === 0 || count !== dir.count)
    throw new InternalError('BTree: a directory page decoded to the wrong number of entries');
  const sepKeys: K[] = [];
  const sepVals: V[] = [];
  const children: Node<K, V>[] = [];
  for (const p of pages) {
    if (s.keyKind !== MIXED) s.keyKind = widen(s.keyKind, p.firstKey);
    if (s.valKind !== MIXED) s.valKind = widen(s.valKind, p.firstVal);
    if (children.length > 0) {
      sepKeys.push(p.firstKey);
      sepVals.push(p.firstVal);
    }
    children.push(coldLeaf(p.page, n.gen));
  }
  n.sepKeys = sepKeys;
  n.sepVals = sepVals;
  n.children = children;
  n.dir = null;
  return n;
}

/**
 * A root of one child (a tree over a single directory page, once read: btree.ts fromDirs) replaced
 * by that child, as deletes collapse the root; any other node as it is. The child keeps its
 * generation: a tree copies it before writing to it, as any node it does not own.
 */
export function settled<K, V>(n: Node<K, V>): Node<K, V> {
  while (!n.leaf && n.dir === null && n.children.length === 1) n = n.children[0];
  return n;
}

/** Let the leaf cache cool leaves, at the start of an operation (never inside one: leaf-cache.ts). */
export function sweep<K, V>(s: Shape<K, V>): void {
  const c = s.cache;
  if (c !== null && c.over) c.sweep();
}

/** How to compare stored keys of `s` with probe `k`: NUM or STR when `<` is exact, else MIXED. */
export function probeMode(kind: number, k: unknown): number {
  if (kind === NUM) return typeof k === 'number' && k === k ? NUM : MIXED;
  if (kind === STR) return typeof k === 'string' ? STR : MIXED;
  return MIXED;
}

/** compare(a, b) for a stored `a` and a probe `b` of mode `m` (see probeMode). */
export function cmpMode<T>(m: number, compare: (a: T, b: T) => number, a: T, b: T): number {
  if (m === NUM) return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
  if (m === STR) return a === b ? 0 : (a as string) < (b as string) ? -1 : 1;
  return compare(a, b);
}

/**
 * compare(a, b) < 0, or ≤ 0 when `orEqual`, for a stored `a` and a probe `b` of mode `m`: one
 * relational operator where cmpMode needs an equality test as well (for two strings both look
 * at their contents), which matters in binary searches over keys spread across the heap.
 */
export function before<T>(m: number, compare: (a: T, b: T) => number, a: T, b: T, orEqual: boolean): boolean {
  if (m === MIXED) return orEqual ? compare(a, b) <= 0 : compare(a, b) < 0;
  return orEqual ? a <= b : a < b;
}

/** compare(a, b) === 0 for a stored `a` and a probe `b` of mode `m`. */
export function same<T>(m: number, compare: (a: T, b: T) => number, a: T, b: T): boolean {
  return m === MIXED ? compare(a, b) === 0 : a === b;
}

/** Entry order for a stored (k1, v1) and a probe (k2, v2) of modes mk, mv. */
export function entryCmpMode<K, V>(
  s: Shape<K, V>,
  mk: number,
  mv: number,
  k1: K,
  v1: V,
  k2: K,
  v2: V,
): number {
  const c = cmpMode(mk, s.compare, k1, k2);
  return c !== 0 || !s.multi ? c : cmpMode(mv, s.valueCompare, v1, v2);
}

export function entryCmp<K, V>(s: Shape<K, V>, k1: K, v1: V, k2: K, v2: V): number {
  const c = s.compare(k1, k2);
  return c !== 0 || !s.multi ? c : s.valueCompare(v1, v2);
}

/** Number of entries of `keys/vals` that are < (k, v) (lower bound). */
export function lowerIndex<K, V>(
  s: Shape<K, V>,
  keys: K[],
  vals: V[],
  k: K,
  v: V | undefined,
  keyOnly: boolean,
): number {
  const mk = probeMode(s.keyKind, k);
  let lo = 0;
  let hi = keys.length;
  if (keyOnly || v === undefined || !s.multi) {
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (before(mk, s.compare, keys[mid], k, false)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
  const mv = probeMode(s.valKind, v);
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (entryCmpMode(s, mk, mv, keys[mid], vals[mid], k, v) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * lowerIndex when the entries before `from` are known to be below (k, v): a galloping search up
 * from there, for a sorted run inserted into one leaf (BTreeEdits.insertRun), whose next entry
 * lies a few places after the previous one; the entries it compares are the ones just touched.
 */
export function lowerIndexFrom<K, V>(
  s: Shape<K, V>,
  keys: K[],
  vals: V[],
  k: K,
  v: V,
  keyOnly: boolean,
  from: number,
): number {
  const mk = probeMode(s.keyKind, k);
  const pairs = !keyOnly && s.multi;
  const mv = pairs ? probeMode(s.valKind, v) : 0;
  const n = keys.length;
  let lo = from;
  let hi = n;
  for (let step = 1; lo < n; step *= 2) {
    const i = Math.min(lo + step - 1, n - 1);
    const below = pairs
      ? entryCmpMode(s, mk, mv, keys[i], vals[i], k, v) < 0
      : before(mk, s.compare, keys[i], k, false);
    if (!below) {
      hi = i;
      break;
    }
    lo = i + 1;
  }
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const below = pairs
      ? entryCmpMode(s, mk, mv, keys[mid], vals[mid], k, v) < 0
      : before(mk, s.compare, keys[mid], k, false);
    if (below) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Number of entries ≤ k on the key alone (upper bound). */
export function upperIndexKey<K, V>(s: Shape<K, V>, keys: K[], k: K): number {
  const mk = probeMode(s.keyKind, k);
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (before(mk, s.compare, keys[mid], k, true)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Child to descend into for an exact entry lookup: the number of separators ≤ (k, v). */
export function childFor<K, V>(s: Shape<K, V>, node: Inner<K, V>, k: K, v: V | undefined): number {
  const sepKeys = node.sepKeys;
  const mk = probeMode(s.keyKind, k);
  let lo = 0;
  let hi = sepKeys.length;
  if (!s.multi || v === undefined) {
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (before(mk, s.compare, sepKeys[mid], k, true)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
  const mv = probeMode(s.valKind, v);
  const sepVals = node.sepVals;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (entryCmpMode(s, mk, mv, sepKeys[mid], sepVals[mid], k, v) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The new right sibling produced by a split, with the separator that goes up to the parent. */
export interface Split<K, V> {
  key: K;
  val: V;
  node: Node<K, V>;
}

/** Entries of a leaf or children of an inner node: the quantity nodeSize bounds. */
export function fill<K, V>(s: Shape<K, V>, n: Node<K, V>): number {
  return n.leaf ? n.keys.length : openInner(s, n).children.length;
}

/**
 * The key to store for an entry of a multi tree going in at position `i` of `keys`: a neighbour's
 * own key object when it holds the same stored value, else `key`. A composite index key is an
 * array, and the entries under one key (a customer's orders on one day) are adjacent: sharing one
 * array keeps a walk over them on one object (BTreeCursor skips comparing an identical key again)
 * and a binary search over fewer distinct objects, so fewer cache misses. Stored keys are never
 * changed in place, so sharing is invisible to readers.
 */
export function sharedKey<K>(keys: readonly K[], i: number, key: K): K {
  if (!Array.isArray(key)) return key;
  if (i > 0 && sameStoredKey(keys[i - 1], key)) return keys[i - 1];
  if (i < keys.length && sameStoredKey(keys[i], key)) return keys[i];
  return key;
}

/** Remove position i; like insertAt, a shift loop beats splice on small arrays. */
export function removeAt<T>(a: T[], i: number): void {
  const n = a.length - 1;
  for (; i < n; i++) a[i] = a[i + 1];
  a.length = n;
}

/** Cut n items into ceil(n / max) runs whose lengths differ by at most one, so none is underfull. */
export function forEachRun(n: number, max: number, visit: (start: number, end: number) => void): void {
  const runs = Math.ceil(n / max);
  const base = Math.floor(n / runs);
  const longer = n % runs;
  let start = 0;
  for (let r = 0; r < runs; r++) {
    const end = start + base + (r < longer ? 1 : 0);
    visit(start, end);
    start = end;
  }
}

/** Append the entries below `n`, in order, to keys/values (warming cold leaves). */
export function collect<K, V>(s: Shape<K, V>, n: Node<K, V>, keys: K[], values: V[]): void {
  if (!n.leaf) {
    for (const c of openInner(s, n).children) collect(s, c, keys, values);
    return;
  }
  warm(s, n);
  for (let i = 0; i < n.keys.length; i++) {
    keys.push(n.keys[i]);
    values.push(n.vals[i]);
  }
}

export function firstEntry<K, V>(s: Shape<K, V>, n: Node<K, V>): Leaf<K, V> {
  while (!n.leaf) n = openInner(s, n).children[0];
  return n;
}
