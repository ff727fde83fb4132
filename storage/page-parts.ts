/**
 * Checkpoint pages held as leaves of the tree's node size (storage/btree.ts `adoptPages`).
 *
 * A checkpoint writes an index in pages of up to PAGE_MAX_ENTRIES (512) entries, and the tree then
 * stands on them so that the next checkpoint can point at every page no write has changed since.
 * Standing on one 512-entry leaf per page made every random-key write after a checkpoint pay for
 * the page's size: the leaf belongs to no live generation, so the write copies all 512 entries,
 * shifts half of them, then splits it in halves — and the next write there copies a half again,
 * each commit (a snapshot) copying anew, 512 → 256 → 128 → 64 (the UPSERT line at 1M rows). A page
 * whose entries come with it is instead cut into parts of about three quarters of a node
 * (standingRun), each one leaf whose `page` is a PagePart: a write copies one part, as it would
 * any leaf of the tree. Pages opened cold are still one leaf each: a part's first entry, its
 * separator, is not known before the page is decoded.
 *
 * The page itself is still what the checkpoint reuses: PartRun hands the checkpoint writer
 * (BTreeReader.forEachLeaf) the whole page when every part of it is still unchanged and in order,
 * and the parts' entries as changed leaves (page null) otherwise, so the writer never sees a part.
 */
import { coldLeaf, forEachRun } from './btree-nodes';
import type { AdoptedPage, Leaf, LeafPage, PageEntry } from './btree-nodes';

/** Entries from..to (exclusive) of a checkpoint page. */
export class PagePart<K, V> implements LeafPage<K, V> {
  readonly count: number;

  constructor(
    readonly whole: LeafPage<K, V>,
    readonly from: number,
    readonly to: number,
  ) {
    this.count = to - from;
  }

  /** Only a part cooled by the leaf cache is decoded again: the page's decode, sliced. */
  load(): { keys: K[]; vals: V[] } {
    const { keys, vals } = this.whole.load();
    return { keys: keys.slice(this.from, this.to), vals: vals.slice(this.from, this.to) };
  }
}

/**
 * The leaves of generation `gen` a tree stands on for `p` (BTree.standOn), in order, each with its
 * first entry: one cold leaf when the entries did not come along, one decoded leaf when they fit
 * in a node, else one leaf per part (cutParts).
 */
export function pageLeaves<K, V>(
  p: PageEntry<K, V>,
  gen: number,
  nodeSize: number,
  visit: (leaf: Leaf<K, V>, key: K, val: V) => void,
): void {
  const { keys, vals, leaves } = p as Partial<AdoptedPage<K, V>>;
  if (leaves) {
    // Unchanged parts of this page: the same leaves (a write still copies them, as their
    // generation is no tree's writable one), their first entries the separators.
    for (const l of leaves) visit(l, l.keys[0], l.vals[0]);
    return;
  }
  const leaf = (page: LeafPage<K, V>, k?: K[] | null, v?: V[] | null): Leaf<K, V> =>
    k && v
      ? { leaf: true, gen, keys: k, vals: v, page, cold: false, hot: false, packed: undefined, memo: null }
      : coldLeaf(page, gen);
  if (!keys || !vals || keys.length <= nodeSize) visit(leaf(p.page, keys, vals), p.firstKey, p.firstVal);
  else cutParts(p.page, keys, vals, nodeSize, (part, k, v) => visit(leaf(part, k, v), k[0], v[0]));
}

/**
 * The longest run forEachRun should cut `n` nodes' worth of entries (or children) into when a tree
 * stands on pages: about three quarters of a node, so that the first writes after a checkpoint
 * find room instead of splitting every leaf they touch and then its full parent (a full part
 * splits at its first insert; measured on the UPSERT line, see docs/performance.md), but never
 * so short that a run falls below half a node, and never longer than a node.
 */
export function standingRun(n: number, nodeSize: number): number {
  const fewest = Math.ceil(n / nodeSize);
  const roomy = Math.ceil(n / Math.max(2, (nodeSize * 3) >>> 2));
  const most = Math.max(1, Math.floor(n / (nodeSize >>> 1)));
  return Math.ceil(n / Math.max(fewest, Math.min(roomy, most)));
}

/** Visit the parts of `page` (whose decoded entries are keys/vals), in order, cut by standingRun. */
export function cutParts<K, V>(
  page: LeafPage<K, V>,
  keys: K[],
  vals: V[],
  nodeSize: number,
  visit: (part: PagePart<K, V>, keys: K[], vals: V[]) => void,
): void {
  forEachRun(keys.length, standingRun(keys.length, nodeSize), (start, end) => {
    visit(new PagePart(page, start, end), keys.slice(start, end), vals.slice(start, end));
  });
}

/**
 * A leaf or page in order (BTreeReader.forEachLeaf): `leaves`, when the walk was asked for them,
 * are the decoded, unchanged parts that stand for the whole `page` (keys and vals then null).
 */
export type Visit<K, V> = (
  page: LeafPage<K, V> | null,
  keys: K[] | null,
  vals: V[] | null,
  leaves?: readonly Leaf<K, V>[],
) => void;

/**
 * Collects consecutive part leaves while the leaves are walked in order (forEachLeaf), and visits
 * them as their whole page when they are all of it, in order and unchanged (a changed part is a
 * copy without a page, so it ends the run), else each as a changed leaf with its entries.
 */
export class PartRun<K, V> {
  private leaves: Leaf<K, V>[] = [];
  private whole: LeafPage<K, V> | null = null;
  private next = 0;

  constructor(
    private readonly visit: Visit<K, V>,
    /** Hand unchanged decoded parts over as leaves instead of copying their entries. */
    private readonly withLeaves = false,
  ) {}

  /** The next leaf in order: false when it is no part (the caller visits it after end()). */
  add(leaf: Leaf<K, V>): boolean {
    const part = leaf.page;
    if (!(part instanceof PagePart)) return false;
    if (part.whole !== this.whole || part.from !== this.next) this.end();
    if (this.leaves.length === 0) this.whole = part.whole;
    this.leaves.push(leaf);
    this.next = (part as PagePart<K, V>).to;
    return true;
  }

  end(): void {
    const leaves = this.leaves;
    const whole = this.whole;
    if (leaves.length === 0 || whole === null) return;
    this.leaves = [];
    this.whole = null;
    this.next = 0;
    const first = leaves[0].page as PagePart<K, V>;
    const last = leaves[leaves.length - 1].page as PagePart<K, V>;
    if (first.from === 0 && last.to === whole.count) {
      let cold = false;
      for (const l of leaves) cold ||= l.cold;
      if (cold) {
        this.visit(whole, null, null);
        return;
      }
      if (this.withLeaves) {
        this.visit(whole, null, null, leaves);
        return;
      }
      const keys: K[] = [];
      const vals: V[] = [];
      for (const l of leaves)
        for (let i = 0; i < l.keys.length; i++) {
          keys.push(l.keys[i]);
          vals.push(l.vals[i]);
        }
      this.visit(whole, keys, vals);
      return;
    }
    for (const l of leaves) {
      const entries = l.cold ? (l.page as PagePart<K, V>).load() : { keys: l.keys, vals: l.vals };
      if (entries.keys.length > 0) this.visit(null, entries.keys, entries.vals);
    }
  }
}
