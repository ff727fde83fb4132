/**
 * In-memory copy-on-write B+tree: the primary-key and secondary indexes.
 *
 * Copy-on-write scheme: every node records the edit generation it was created in, and generations
 * come from one global counter, so no two trees (or two epochs of one tree) ever share one. A tree
 * mutates a node in place only when the node's generation equals the tree's current generation;
 * any other node is copied first, and its parent re-pointed, copying up to the root. Writers
 * copy on the way back up and only when something changed, so a no-op write (adding a present
 * entry, deleting an absent one) copies nothing.
 *
 * Why in-place mutation is safe: `snapshot()` captures the root and then moves the tree to a fresh
 * generation. So a node of the current generation was created by this tree after its last
 * snapshot, and every snapshot of this tree was taken before that: no snapshot can reach it, only
 * the live root can. Nodes a snapshot can reach are all older and are never written again, so a
 * snapshot is immutable in O(1), and a bulk load after one snapshot runs at in-place speed (only
 * the first write to each old node copies it). `restore(snap)` adopts a snapshot's root: those
 * nodes predate the bump of that snapshot() and, generations being unique, belong to no live
 * generation of any tree, so they too are copied before any write.
 *
 * A cursor on the live tree reads the nodes the tree writes in place: finish it before writing
 * to the same tree, or iterate a snapshot.
 *
 * Shape: leaves hold parallel key/value arrays; inner nodes hold separators, sepKeys/sepVals[i]
 * being a lower bound of children[i + 1] that is above everything in children[i] (the smallest
 * entry of children[i + 1] when set). All leaves are at one depth; every node but the root holds
 * between nodeSize/2 and nodeSize entries or children (splits on overflow, merge or even share
 * with a neighbour on underflow, even packing in fromSorted).
 *
 * Modes: unique (one entry per key) and multi (entries are (key, value) pairs ordered by key then
 * value: secondary indexes store (key, primary key)). Cursor bounds apply to keys only.
 *
 * Paged trees (`fromPages`, checkpoint layout 3): every leaf starts **cold**, its entries still on
 * disk in a checkpoint page, and is warmed (decoded in place) the first time anything reads or
 * writes it. Warming changes no content, so doing it in place on a node snapshots share is safe.
 * A page leaf may hold more than nodeSize entries: the first insert into it splits it in halves
 * until the halves fit, and it never underflows. Cold nodes are created in a generation no tree
 * owns, so a write copies them first, and a leaf keeps its `page` only while it is the page's
 * exact content: the next checkpoint writes such a leaf by pointing at the page again.
 *
 * Files: this class (the public API, the lookup memos, the probe-then-insert path with its key
 * filter, key-filter.ts) extends btree-pages.ts (trees stood on checkpoint pages), which extends
 * btree-staging.ts (bulk staging and packed builds), which extends btree-edits.ts (the
 * recursive writers: insert with splits, delete with merges), which extends btree-reader.ts (every
 * read, shared with snapshots); btree-nodes.ts holds the node helpers.
 */

import { FormatError, InternalError } from '../src/errors';
import { BTreeCursor } from './btree-cursor';
import { BTreeSnapshot, shapeOf } from './btree-reader';
import { BTreePages } from './btree-pages';
import { KeyFilter, keyHash } from './key-filter';
import {
  MIXED,
  NONE,
  NUM,
  STR,
  before,
  childFor,
  cmpMode,
  nextGeneration,
  insertAt,
  lowerIndex,
  decodedTail,
  openInner,
  probeMode,
  same,
  settled,
  sweep,
  warm,
  widen,
} from './btree-nodes';
import type {
  AdoptedPage,
  CursorOptions,
  DirEntry,
  DirPage,
  Inner,
  Leaf,
  LeafPage,
  Node,
  PageEntry,
  Shape,
} from './btree-nodes';
import { compareValues } from './compare';
import { NumberMemo } from './number-memo';
import { KeyGroup, PrefixMemo, memoizable } from './prefix-memo';
import type { LeafCache } from './leaf-cache';

export { BTreeCursor, BTreeSnapshot };
export type { AdoptedPage, CursorOptions, DirEntry, DirPage, LeafPage, PageEntry };

export interface BTreeOptions<K, V> {
  compare: (a: K, b: K) => number;
  multi?: boolean;
  valueCompare?: (a: V, b: V) => number;
  nodeSize?: number;
  /**
   * @internal addProbed() stages entries while the nodes hold at most this many (default
   * STAGE_WHILE_NODES_AT_MOST; -1: never). Tests set it to reach both of addProbed's paths.
   */
  stageUpTo?: number;
  /** Where decoded pages of a paged tree are accounted and evicted (storage/leaf-cache.ts). */
  cache?: LeafCache | null;
}

/**
 * Measured on 200k random number keys (Node.js 20, median of 7): 32 / 64 / 128 gave insert 110 / 105 /
 * 120 ns, get 59 / 54 / 51 ns, delete 26 / 31 / 35 ns. 64 is the best all-round; larger nodes also
 * make each copy-on-write copy dearer.
 */
const DEFAULT_NODE_SIZE = 64;

/**
 * Entries a tree's lookup memo holds before it starts over: about 10 MiB of Map at most, and
 * enough for the hot keys of a few hundred thousand rows.
 */
const MEMO_LIMIT = 1 << 18;

/**
 * Staging (see BTree.pending) applies while the nodes hold at most this many entries: a probe of so
 * small a tree stays in cache, and past it the probe's descent costs the misses staging avoids,
 * so the insert is made at once where the probe ended.
 */
const STAGE_WHILE_NODES_AT_MOST = 1024;

/**
 * Adds a large tree takes one by one after a read or a snapshot before it stages the rest: a
 * commit of a few rows, or inserts each followed by a lookup of this index, never stage (each
 * flush would cost more than the insert it replaced); a bulk load stages all but these.
 */
const DIRECT_ADDS = 64;

/** What prefixGroup memoizes for a group larger than its caller takes: its caller walks. */
const LARGE_GROUP = new KeyGroup<never>([]);

/** Unique mode never looks at values, so their order is irrelevant there. */
const noValueOrder = (): number => 0;

export class BTree<K, V> extends BTreePages<K, V> {
  protected readonly shape: Shape<K, V>;
  /**
   * Exact-key lookup memo of a unique tree: key → value for keys `get` found, so a repeated lookup
   * costs one hash probe instead of a descent, whose few dozen dependent loads from nodes spread
   * over the heap (a cache miss each on a large tree) dominate a secondary-index read, which
   * looks every row up by primary key. Only keys whose `<` order is exact (probeMode NUM or STR)
   * use it, so Map equality is the tree's equality. Every write keeps it exact (a written or
   * deleted key leaves it); it is bounded by MEMO_LIMIT and starts over when full. A multi-mode
   * tree (a secondary index) fills it only through firstValue(), with a key's first value, and
   * every entry added or deleted drops its key.
   */
  private lookups: Map<K, V> | null = null;
  /** The same memo for number keys with number values (the primary-key tree): see NumberMemo. */
  private numberLookups: NumberMemo | null = null;
  /**
   * Small key groups of a tuple-keyed tree (a composite index): prefix → the values of its
   * entries, for prefixGroup; every write drops the groups of its key (storage/prefix-memo.ts).
   */
  private prefixes: PrefixMemo<V> | null = null;
  /** @internal prefixGroup calls answered by the memo, and groups memoized (tests count work). */
  readonly prefixStats = { hits: 0, fills: 0 };
  /** Writes that changed the content: a snapshot may use the memo only while this is unchanged. */
  private edits = 0;
  /**
   * Where the last probe() ended, for addProbed(): the inner nodes from the root down and the child
   * taken in each, the leaf, the key's position in it and whether it was there. Valid while
   * `probeEdits` equals `edits` (no content change since) and for `probeKey` only; the arrays are
   * reused so that a probe allocates nothing.
   */
  private readonly probePath: Inner<K, V>[] = [];
  private readonly probeChild: number[] = [];
  private probeLeaf: Leaf<K, V> | null = null;
  private probeAt = 0;
  private probeFound = false;
  private probeKey: K | undefined = undefined;
  private probeEdits = -1;
  /**
   * A filter over every key in the nodes and the staged run (storage/key-filter.ts), built once
   * probe() has made many descents that found a key absent (`absentDescents`): with it a new
   * key's probe is a hash, and addProbed stages the entry however large the tree (see
   * wantsFilter). Every public write adds its key (noteKey); a rollback to a snapshot drops it.
   */
  private filter: KeyFilter | null = null;
  private absentDescents = 0;
  /** hashOf's memo: the last key hashed and its hash. */
  private hashedKey: K | undefined = undefined;
  private hashed = 0;
  /** Adds since the last read or snapshot (`readTicks` was `addsAt` then): see bulkAdding. */
  private addsSinceRead = 0;
  private addsAt = -1;

  constructor(opts: BTreeOptions<K, V>) {
    super(nextGeneration());
    const multi = opts.multi === true;
    // Without a value order, multi mode would silently fold all entries of a key into one.
    if (multi && opts.valueCompare === undefined)
      throw new InternalError('BTree: multi mode needs valueCompare');
    const valueCompare = opts.valueCompare ?? noValueOrder;
    this.shape = {
      compare: opts.compare,
      multi,
      valueCompare,
      nodeSize: Math.max(4, Math.floor(opts.nodeSize ?? DEFAULT_NODE_SIZE)),
      // Only compareValues's order is known to match `<` on same-kind operands.
      keyKind: opts.compare === compareValues ? NONE : MIXED,
      valKind: multi && valueCompare === compareValues ? NONE : MIXED,
      paged: false,
      stageUpTo: opts.stageUpTo ?? STAGE_WHILE_NODES_AT_MOST,
      cache: opts.cache ?? null,
    };
  }

  /** The key order of this tree (replay-indexes.ts sorts held-back entries by it). */
  get keyCompare(): (a: K, b: K) => number {
    return this.shape.compare;
  }

  get size(): number {
    return this.count;
  }

  /**
   * Build from entries already in tree order (strictly ascending by key, or by (key, value) in
   * multi mode) in O(n). Nodes are packed evenly so none starts below half full.
   */
  static fromSorted<K, V>(keys: readonly K[], values: readonly V[], opts: BTreeOptions<K, V>): BTree<K, V> {
    const tree = new BTree<K, V>(opts);
    if (keys.length !== values.length)
      throw new InternalError('BTree.fromSorted: keys and values differ in length');
    if (keys.length === 0) return tree;
    const shape = tree.shape;
    for (let i = 0; i < keys.length && shape.keyKind !== MIXED; i++)
      shape.keyKind = widen(shape.keyKind, keys[i]);
    for (let i = 0; i < values.length && shape.valKind !== MIXED; i++)
      shape.valKind = widen(shape.valKind, values[i]);
    tree.build(keys, values);
    return tree;
  }

  /**
   * A tree over `pages` (in tree order, each page's entries below the next page's first entry),
   * all leaves cold: O(pages), and nothing is decoded until a leaf is first touched.
   */
  static fromPages<K, V>(pages: readonly PageEntry<K, V>[], opts: BTreeOptions<K, V>): BTree<K, V> {
    const tree = new BTree<K, V>(opts);
    if (pages.length === 0) return tree;
    const shape = tree.shape;
    for (const p of pages) {
      if (shape.keyKind !== MIXED) shape.keyKind = widen(shape.keyKind, p.firstKey);
      if (shape.valKind !== MIXED) shape.valKind = widen(shape.valKind, p.firstVal);
    }
    tree.standOn(pages);
    return tree;
  }

  /**
   * A tree over directory pages (checkpoint layout 5, in tree order): O(directory pages), and
   * nothing is read until a descent first reaches one; its pages then stand as cold leaves.
   * ModelVault writes directory pages only for trees of more than 64 pages, each naming at least
   * 32; a file whose root directory names a single directory page of one page (another writer's)
   * gets a root of one child once read, which the next write reaching the root lifts into its
   * place (settled()).
   */
  static fromDirs<K, V>(dirs: readonly DirEntry<K, V>[], opts: BTreeOptions<K, V>): BTree<K, V> {
    const tree = new BTree<K, V>(opts);
    if (dirs.length > 0) tree.standOnDirs(dirs);
    return tree;
  }

  /**
   * @internal After a checkpoint published `pages` (this tree's entries, in order): stand on them,
   * so that the next checkpoint points at every page no write has changed since. Leaves whose
   * entries come along stay decoded and are not handed to `cache`: they are what this session
   * wrote, kept in memory as before (evicting them made random-key writers re-decode the pages of
   * every index they insert into; bench/kill-replay.ts); the pages decoded later are bounded. Content is unchanged: snapshots
   * and the lookup memo stay valid; the old nodes stay with the snapshots that hold them.
   */
  adoptPages(pages: readonly AdoptedPage<K, V>[], cache: LeafCache | null): void {
    // The pages were cut from the nodes (forEachLeaf flushes staged entries first); anything
    // staged since would be missing from them, and the count check below catches it either way.
    if (this.pending !== null) this.flush();
    this.shape.cache ??= cache;
    let count = 0;
    for (const p of pages) count += p.page.count;
    if (count !== this.count) throw new InternalError('BTree.adoptPages: the pages hold another entry count');
    if (pages.length === 0) return;
    this.tail = null;
    // The content stays, so `edits` does not move; but the path the last probe() remembered is
    // of the old nodes, and addProbed must not write there.
    this.probeEdits = -1;
    this.probeLeaf = null;
    this.standOn(pages);
  }

  /** @internal The number of content changes so far (BTreeSnapshot.get). */
  get editCount(): number {
    return this.edits;
  }

  /**
   * A view for a read that ends before the tree's next write (a write statement reading its
   * target rows in full before changing any): snapshot() without the new generation, so the
   * writes after it change nodes in place instead of copying their paths. Reading it after a
   * write would see that write in part.
   */
  transientSnapshot(): BTreeSnapshot<K, V> {
    if (this.pending !== null) this.flush();
    // A commit or a statement's view: the adds after it start a new run (bulkAdding).
    this.readTicks++;
    return new BTreeSnapshot(this.shape, this.root, this.count, this, this.edits);
  }

  /** Freeze the current content: O(1); the tree copies nodes before its next writes to them. */
  snapshot(): BTreeSnapshot<K, V> {
    const snap = this.transientSnapshot();
    this.gen = nextGeneration();
    return snap;
  }

  /**
   * Make the tree's content equal to `snap` again (rollback), O(1). The adopted nodes stay
   * read-only whichever tree they came from (see the header); the fresh generation is insurance.
   */
  restore(snap: BTreeSnapshot<K, V>): void {
    this.dropStaged();
    // The snapshot may hold a key deleted before the filter was built.
    this.filter = null;
    this.root = snap.root;
    this.count = snap.size;
    this.gen = nextGeneration();
    this.tail = null;
    this.forget();
    // Another tree's nodes may hold keys of any kind.
    if (shapeOf(snap) !== this.shape) {
      this.shape.keyKind = MIXED;
      this.shape.valKind = MIXED;
      if (shapeOf(snap).paged) this.shape.paged = true;
      this.shape.cache ??= shapeOf(snap).cache;
    }
  }

  clear(): void {
    this.dropStaged();
    this.filter = null;
    this.absentDescents = 0;
    this.root = this.leafNode([], []);
    this.count = 0;
    this.tail = null;
    this.forget();
  }

  private forget(): void {
    this.lookups = null;
    this.numberLookups = null;
    this.prefixes = null;
    this.edits++;
  }

  override prefixGroup(prefix: readonly unknown[], max: number): KeyGroup<V> | null {
    if (this.pending !== null) this.flush();
    const known = this.knownGroup(prefix, max);
    if (known !== undefined) return known;
    const group = super.prefixGroup(prefix, max);
    this.rememberGroup(prefix, group);
    return group;
  }

  override keyGroup(key: number, max: number): KeyGroup<V> | null {
    if (this.pending !== null) this.flush();
    if (key !== key) return super.keyGroup(key, max);
    const probe = [key];
    const known = this.knownGroup(probe, max);
    if (known !== undefined) return known;
    const group = super.keyGroup(key, max);
    this.rememberGroup(probe, group);
    return group;
  }

  /**
   * @internal The memoized prefixGroup(prefix, max) of the current content: undefined when not
   * memoized (then the caller walks, and hands the group to rememberGroup).
   */
  knownGroup(prefix: readonly unknown[], max: number): KeyGroup<V> | null | undefined {
    const memo = this.prefixes;
    if (memo === null || !memoizable(prefix)) return undefined;
    const known = memo.get(prefix);
    if (known === undefined) return undefined;
    this.prefixStats.hits++;
    // Null is always a safe answer: the caller walks a cursor.
    return known === LARGE_GROUP || known.values.length > max ? null : known;
  }

  /** @internal Memoize prefixGroup's answer for the current content (null: the group was larger). */
  rememberGroup(prefix: readonly unknown[], group: KeyGroup<V> | null): void {
    if (!memoizable(prefix)) return;
    const memo = (this.prefixes ??= new PrefixMemo<V>());
    if (memo.get(prefix) !== undefined) return;
    // A large group is remembered as such, so that its next reads walk once instead of twice.
    memo.set(prefix.slice(), group ?? (LARGE_GROUP as KeyGroup<V>));
    this.prefixStats.fills++;
  }

  /** As BTreeReader.get, with no descent for a key above the last one (ascending loads probe those). */
  override get(key: K): V | undefined {
    if (this.pending !== null) this.flush();
    const t = this.tail;
    if (t !== null) {
      const n = t.keys.length;
      if (n > 0 && cmpMode(probeMode(this.shape.keyKind, key), this.shape.compare, t.keys[n - 1], key) < 0)
        return undefined;
    }
    const s = this.shape;
    const mode = probeMode(s.keyKind, key);
    if (s.multi || mode === MIXED) return super.get(key);
    if (mode === NUM) {
      const numbers = this.numberLookups;
      const known = numbers?.get(key as number);
      if (known !== undefined) return known as V;
      if (numbers && numbers.wantsFill(key as number)) {
        this.fillNumbers(numbers, key as number);
        const filled = numbers.get(key as number);
        if (filled !== undefined) return filled as V;
      }
    }
    let memo = this.lookups;
    if (memo !== null) {
      const known = memo.get(key);
      if (known !== undefined) return known;
    }
    const found = super.get(key);
    if (found === undefined) return found;
    if (mode === NUM && typeof found === 'number') {
      // The number memo bounds itself (see NumberMemo).
      (this.numberLookups ??= new NumberMemo(() => this.count)).set(key as number, found);
      return found;
    }
    if (memo === null) memo = this.lookups = new Map();
    else if (memo.size >= MEMO_LIMIT) memo.clear();
    memo.set(key, found);
    return found;
  }

  /**
   * Put every entry of `key`'s dense chunk range held by decoded leaves into the number memo
   * (NumberMemo.wantsFill) by one walk over them. Cold leaves are stepped over: a fill decodes no
   * page (nor pushes others out of the leaf cache) that no read asked for, so it cannot meet a
   * damaged one; the keys of leaves still cold are looked up as before. A directory page not read
   * yet (layout 5) is read, being small and the way to the leaves; a damaged one ends the fill,
   * never the lookup, which meets it only if its own key lies there.
   */
  private fillNumbers(numbers: NumberMemo, key: number): void {
    const [lo, hi] = numbers.chunkRange(key);
    const cur = new BTreeCursor(this.shape, this.root, { lo: lo as K, hi: hi as K });
    cur.onColdLeaf = () => true;
    cur.coldFirstLeaf = true;
    try {
      // A leaf at a time: the memo takes each leaf's run of keys in one loop (NumberMemo.setRun).
      while (cur.next()) {
        const keys = cur.leafKeys as readonly unknown[];
        const n = keys.length;
        const from = cur.at;
        let end = from;
        while (end < n && (keys[end] as number) <= hi) end++;
        numbers.setRun(keys, cur.leafVals as readonly unknown[], from, end);
        if (end < n) break;
        cur.passLeaf();
      }
    } catch (err) {
      if (!(err instanceof FormatError)) throw err;
    }
  }

  override firstValue(key: K): V | undefined {
    const s = this.shape;
    if (!s.multi) return this.get(key);
    if (this.pending !== null) this.flush();
    if (probeMode(s.keyKind, key) === MIXED) return super.get(key);
    let memo = this.lookups;
    if (memo !== null) {
      const known = memo.get(key);
      if (known !== undefined) return known;
    }
    const found = super.get(key);
    if (found === undefined) return found;
    if (memo === null) memo = this.lookups = new Map();
    else if (memo.size >= MEMO_LIMIT) memo.clear();
    memo.set(key, found);
    return found;
  }

  /**
   * get(key), remembering where its descent ended so that addProbed(key, value) next inserts there
   * without descending again: a unique index checks that a key is absent, then adds it.
   */
  probe(key: K): V | undefined {
    const s = this.shape;
    // The start of an operation: the only place the leaf cache may cool leaves (leaf-cache.ts).
    sweep(s);
    // The key the last probe looked at, nothing changed since (an UPSERT's conflict check, then
    // the insert's own): that probe's answer, and addProbed still inserts where it ended.
    if (this.probeEdits === this.edits && this.probeKey === key) {
      const leaf = this.probeLeaf;
      if (leaf === null) return undefined;
      if (!leaf.cold) return this.probeFound ? leaf.vals[this.probeAt] : undefined;
    }
    this.probeEdits = -1;
    const mode = probeMode(s.keyKind, key);
    // Keys above the last one, and keys a memo answers, take add()'s own paths; so does a key
    // while addNew's run is staged (its `pending` maps keys to groups, not to entries).
    if (mode === MIXED || this.grouped) return this.get(key);
    if (this.filter === null ? this.wantsFilter() : this.filter.full) this.buildFilter();
    const f = this.filter;
    const p = this.pending;
    const h = f !== null || p !== null ? this.hashOf(key) : 0;
    // The filter holds the staged keys too: its "absent" spares the staged run's lookup as well.
    const absent = f !== null && !f.mayHaveHashed(h);
    let staged = 0;
    if (p !== null) {
      if (mode !== this.pendingMode) return this.get(key);
      if (!absent) {
        const at = p.get(key, h);
        if (at !== undefined) return this.stagedVals[at];
      }
      staged = p.size;
    }
    const t = this.tail;
    // Nothing in the nodes, or a key above their last one: absent, without a descent.
    if (
      this.count === staged ||
      (t !== null && t.keys.length > 0 && before(mode, s.compare, t.keys[t.keys.length - 1], key, false))
    ) {
      this.probeLeaf = null;
      this.probeFound = false;
      this.probeKey = key;
      this.probeEdits = this.edits;
      return undefined;
    }
    if (!s.multi) {
      if (mode === NUM) {
        const known = this.numberLookups?.get(key as number);
        if (known !== undefined) return known as V;
      }
      const known = this.lookups?.get(key);
      if (known !== undefined) return known;
    }
    if (absent) {
      this.probeLeaf = null;
      this.probeFound = false;
      this.probeKey = key;
      this.probeEdits = this.edits;
      return undefined;
    }
    const path = this.probePath;
    const taken = this.probeChild;
    path.length = 0;
    taken.length = 0;
    let node = this.root;
    while (!node.leaf) {
      // A directory page read on the way may widen the kinds: the mode taken above would then be
      // stale, and nothing has changed yet, so the plain lookup answers.
      if (node.dir !== null) {
        openInner(s, node);
        if (probeMode(s.keyKind, key) !== mode) return this.get(key);
      }
      let c: number;
      if (s.multi) {
        // Key-only lower bound, as get() descends. A separator equal to the key means entries of
        // the key may sit right of it (get() then looks there), and that an entry of the key put
        // in this child could be above the separator: no shortcut.
        c = lowerIndex(s, node.sepKeys, node.sepVals, key, undefined, true);
        if (c < node.sepKeys.length && same(mode, s.compare, node.sepKeys[c], key)) return this.get(key);
      } else c = childFor(s, node, key, undefined);
      path.push(node);
      taken.push(c);
      node = node.children[c];
    }
    this.descents++;
    warm(s, node);
    const i = lowerIndex(s, node.keys, node.vals, key, undefined, true);
    // No separator on the way equals the key, so an entry of it can only be at position i.
    const found = i < node.keys.length && same(probeMode(s.keyKind, key), s.compare, node.keys[i], key);
    this.probeLeaf = node;
    this.probeAt = i;
    this.probeFound = found;
    this.probeKey = key;
    this.probeEdits = this.edits;
    if (!found) this.absentDescents++;
    return found ? node.vals[i] : undefined;
  }

  /**
   * Count an add into a large tree; true once more than DIRECT_ADDS have come since the last read
   * of the nodes or snapshot: a bulk load, whose entries are worth staging.
   */
  private bulkAdding(): boolean {
    if (this.addsAt !== this.readTicks) {
      this.addsAt = this.readTicks;
      this.addsSinceRead = 0;
    }
    return ++this.addsSinceRead > DIRECT_ADDS;
  }

  /**
   * Whether probe() should build the filter: the tree is past staging's size and its probes have
   * descended to find keys absent at least an eighth as many times as it holds entries, so the
   * O(n) build costs less than the descents it has already paid for once again.
   */
  private wantsFilter(): boolean {
    const s = this.shape;
    return (
      this.absentDescents * 8 > this.count &&
      this.count > s.stageUpTo &&
      (s.keyKind === NUM || s.keyKind === STR)
    );
  }

  /**
   * Build the filter from every key in the nodes and the staged run. Nothing changes in the tree:
   * a page not decoded yet is read for its keys alone (LeafPage.load), not stood in its leaf, so
   * the build neither holds the whole tree decoded nor pushes other pages out of the leaf cache.
   * A damaged page, or a key other than a string or a number (pages not decoded yet had not
   * widened the kind), leaves the tree without a filter for good: its probes descend as before.
   */
  private buildFilter(): void {
    const s = this.shape;
    this.filter = null;
    const f = new KeyFilter(this.count);
    let ok = true;
    const add = (k: K): void => {
      if (typeof k === 'string' || typeof k === 'number') f.add(k);
      else ok = false;
    };
    const addAll = (keys: readonly K[]): void => {
      for (let i = 0; i < keys.length && ok; i++) add(keys[i]);
    };
    const cur = new BTreeCursor(s, this.root, {});
    cur.coldFirstLeaf = true;
    cur.onColdLeaf = (page) => {
      addAll((page as LeafPage<K, V>).load().keys);
      return true;
    };
    try {
      while (ok && cur.next()) add(cur.key);
    } catch (err) {
      if (!(err instanceof FormatError)) throw err;
      ok = false;
    }
    addAll(this.stagedKeys);
    // A decoded leaf may have widened the kind: the filter only answers NUM and STR probes.
    if (ok && (s.keyKind === NUM || s.keyKind === STR)) this.filter = f;
    else if (!ok) this.absentDescents = -Infinity;
  }

  /**
   * keyHash(key) (a string or a number), remembered for the last key asked: a probe's hash serves
   * the filter, the staged run's table and the add that follows.
   */
  private hashOf(key: K): number {
    if (this.hashedKey !== key) {
      this.hashed = keyHash(key as string | number);
      this.hashedKey = key;
    }
    return this.hashed;
  }

  /** Keep the filter a superset of the keys: every write that adds `key` calls this. */
  private noteKey(key: K): void {
    const f = this.filter;
    if (f === null) return;
    if (typeof key === 'string' || typeof key === 'number') f.addHashed(this.hashOf(key));
    else this.filter = null;
  }

  /**
   * add(key, value), at the position the last probe(key) found when nothing has changed the tree
   * since; otherwise (or after a probe that took a shortcut) a plain add.
   */
  addProbed(key: K, value: V): boolean {
    if (this.probeEdits !== this.edits || this.probeKey !== key || this.grouped) return this.add(key, value);
    this.probeEdits = -1;
    this.probeKey = undefined;
    const leaf = this.probeLeaf;
    this.probeLeaf = null;
    const s = this.shape;
    // A present key: unique mode adds nothing; multi mode orders the entry among the key's own.
    if (this.probeFound) return s.multi ? this.add(key, value) : false;
    // The key's first value may change (firstValue's memo); unique mode's memo cannot hold it.
    if (s.multi) this.lookups?.delete(key);
    this.prefixes?.drop(key);
    const p = this.pending;
    // A key above the nodes' last one appends at the rightmost leaf (add's own shortcut) unless a
    // run is being staged: staging starts with a key that took a descent, so an ascending load
    // never stages.
    if (
      (this.filter !== null && this.bulkAdding()) ||
      ((leaf !== null || p !== null) && this.count - (p === null ? 0 : p.size) <= s.stageUpTo && !s.paged)
    ) {
      // Stage (see BTreeStaging.pending): the probe found the key neither staged nor in the nodes. A key
      // that widens the kind (a string with high units) or is of another kind is not staged.
      if (s.keyKind !== MIXED) s.keyKind = widen(s.keyKind, key);
      const mode = probeMode(s.keyKind, key);
      if (mode === MIXED || (p !== null && mode !== this.pendingMode)) return this.add(key, value);
      if (p === null) this.startStaging(key, mode);
      else p.set(key, this.stagedKeys.length, this.hashOf(key));
      this.stagedKeys.push(key);
      this.stagedVals.push(value);
      this.noteKey(key);
      if (s.valKind !== MIXED) s.valKind = widen(s.valKind, value);
      this.count++;
      this.edits++;
      this.takeNodesAlong();
      return true;
    }
    if (s.keyKind !== MIXED) s.keyKind = widen(s.keyKind, key);
    if (s.valKind !== MIXED) s.valKind = widen(s.valKind, value);
    // A leaf the leaf cache cooled since the probe (another tree's operation swept it) holds no
    // entries until decoded again. own() would decode it (a cooled leaf has a page, so no tree
    // owns it), but a plain add does not depend on that: it descends afresh.
    if (p !== null || leaf === null || leaf.cold) return this.add(key, value);
    const w = this.ownInserting(leaf, this.probeAt, key, value);
    this.noteKey(key);
    const path = this.probePath;
    const taken = this.probeChild;
    // How many of the path's lowest nodes lie on the right edge (their child taken is their last):
    // a split there may keep the left half full (splitLeaf, splitInner).
    let edgeFrom = path.length;
    while (edgeFrom > 0 && taken[edgeFrom - 1] === path[edgeFrom - 1].children.length - 1) edgeFrom--;
    let split =
      w.keys.length > s.nodeSize
        ? this.splitLeaf(w, edgeFrom === 0 && this.probeAt === w.keys.length - 1)
        : null;
    let child: Node<K, V> = w;
    let d = path.length - 1;
    // Up the path while a node was copied or split: its parent must point at the copy or take the
    // new sibling; above an unchanged node nothing changes.
    for (; d >= 0; d--) {
      const parent = path[d];
      const c = taken[d];
      if (split === null && parent.children[c] === child) break;
      const p = this.own(parent);
      p.children[c] = child;
      if (split !== null) {
        insertAt(p.children, c + 1, split.node);
        insertAt(p.sepKeys, c, split.key);
        insertAt(p.sepVals, c, split.val);
        split =
          p.children.length > s.nodeSize
            ? this.splitInner(p, edgeFrom === 0 && c === p.children.length - 2)
            : null;
      }
      child = p;
    }
    if (d < 0) {
      this.root =
        split === null
          ? settled(child)
          : {
              leaf: false,
              gen: this.gen,
              sepKeys: [split.key],
              sepVals: [split.val],
              children: [child, split.node],
              packed: undefined,
              dir: null,
            };
    }
    path.length = 0;
    taken.length = 0;
    this.count++;
    this.edits++;
    this.tail = decodedTail(this.root);
    return true;
  }

  /**
   * add(key, value) of a pair the caller knows is absent (a new row's entry in a secondary index):
   * in a multi-mode tree whose nodes hold at most stageUpTo entries (a new or small index), the
   * entry is staged by key group and the run sorted once at the next read or at commit
   * (multi-run.ts), instead of one descent per row. Staging a pair already in the tree would
   * corrupt it: flush() refuses a run holding one twice. Unique mode: addProbed. A unique index
   * (a multi-mode tree too) stages through probe() and addProbed() instead.
   */
  addNew(key: K, value: V): boolean {
    const s = this.shape;
    if (!s.multi) return this.addProbed(key, value);
    let p = this.pending;
    // A large tree stages only once a run of adds shows a bulk load (bulkAdding): a commit of a
    // few rows, or inserts each followed by a read of this index, insert at once.
    const large = s.paged || this.count > s.stageUpTo;
    if (p === null ? large && !this.bulkAdding() : !this.grouped) return this.add(key, value);
    if (s.keyKind !== MIXED) s.keyKind = widen(s.keyKind, key);
    const mode = probeMode(s.keyKind, key);
    if (mode === MIXED || (p !== null && mode !== this.pendingMode)) return this.add(key, value);
    if (p === null) p = this.startGroups(mode);
    let g = p.get(key);
    if (g === undefined) {
      g = this.stagedKeys.length;
      this.stagedKeys.push(key);
      p.set(key, g);
    }
    this.stagedGroups.push(g);
    this.stagedVals.push(value);
    this.noteKey(key);
    if (s.valKind !== MIXED) s.valKind = widen(s.valKind, value);
    // The key's first value may change (firstValue's memo).
    this.lookups?.delete(key);
    this.prefixes?.drop(key);
    this.count++;
    this.edits++;
    this.takeNodesAlong();
    return true;
  }

  /**
   * Add the absent entries `keys[order[i]], vals[order[i]]`, best given in ascending order (a
   * sorted run, storage/replay-indexes.ts): consecutive entries of one leaf share its descent
   * (BTreeEdits.insertRun). Returns how many were added; the same content as add() on each.
   */
  addRun(keys: readonly K[], vals: readonly V[], order: Uint32Array): number {
    if (this.pending !== null) this.flush();
    sweep(this.shape);
    // Replay's runs are rare: the filter is built again when probes want it.
    this.filter = null;
    const added = this.insertRun(keys, vals, order);
    // The first value of a key may have changed (firstValue's memo): drop the memo once.
    if (added > 0) this.forget();
    return added;
  }

  /** Unique mode: insert or replace; returns the previous value. */
  set(key: K, value: V): V | undefined {
    if (this.pending !== null) this.flush();
    this.insert(key, value, true);
    this.noteKey(key);
    this.edits++;
    this.lookups?.delete(key);
    this.prefixes?.drop(key);
    if (typeof key === 'number') this.numberLookups?.delete(key);
    const previous = this.previous;
    this.previous = undefined; // do not keep a replaced value alive
    return previous;
  }

  /**
   * Insert if absent; false when the entry was already there (nothing is replaced). Multi mode:
   * the (key, value) pair; unique mode: the key.
   */
  add(key: K, value: V): boolean {
    if (this.pending !== null) this.flush();
    this.insert(key, value, false);
    // A unique tree adds only an absent key, which the memo cannot hold; in a multi-mode tree the
    // key's first value may change (firstValue).
    if (this.added) {
      this.noteKey(key);
      this.edits++;
      if (this.shape.multi) this.lookups?.delete(key);
      this.prefixes?.drop(key);
    }
    return this.added;
  }

  /** Unique mode: delete by key. Multi mode: delete the exact (key, value) pair. */
  delete(key: K, value?: V): boolean {
    const s = this.shape;
    if (s.multi && value === undefined) throw new InternalError('BTree.delete in multi mode needs the value');
    if (this.pending !== null) this.flush();
    sweep(s);
    // Warm, before anything changes, every leaf the delete may touch: a damaged page then fails
    // the delete with the tree untouched, never halfway through a rebalance.
    if (s.paged) this.warmForDelete(key, s.multi ? value : undefined);
    this.descents++;
    const root = this.deleteFrom(this.root, key, s.multi ? value : undefined);
    if (root === null) return false;
    this.edits++;
    this.lookups?.delete(key);
    this.prefixes?.drop(key);
    if (typeof key === 'number') this.numberLookups?.delete(key);
    this.tail = null;
    let top = root;
    while (!top.leaf && top.children.length === 1) top = top.children[0];
    this.root = top;
    this.count--;
    return true;
  }
}
