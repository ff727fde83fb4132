/**
 * Decoded checkpoint pages, bounded by bytes (the engine's `cacheBytes`), with CLOCK eviction.
 *
 * A leaf of a paged tree (btree.ts `fromPages`) is decoded from its page on first touch. A leaf
 * that still equals its page is never written in place (its nodes belong to a generation no tree
 * owns, so a write copies it first), which makes it safe to drop its entries again at any moment
 * nobody is reading them: it goes back to cold and the next touch decodes the page again. So
 * reading a large file end to end keeps only the budget's worth of decoded pages.
 *
 * "Nobody is reading them": eviction runs only at the start of a tree operation (a lookup, a
 * write, a cursor step onto another leaf) via `sweep`, never inside one, and a cursor keeps its
 * current leaf's entry arrays itself, so a leaf cooled under it is not missed (btree-cursor.ts
 * BTreeCursor). Snapshots share leaves: cooling a shared leaf changes no content any of them sees.
 */

/** The fields of a B+tree leaf (storage/btree-nodes.ts) the cache reads and writes. */
export interface CacheableLeaf {
  keys: unknown[];
  vals: unknown[];
  /** Entries not decoded (keys and vals empty). */
  cold: boolean;
  /** CLOCK reference bit: set by every touch of a decoded leaf. */
  hot: boolean;
  /** The page the entries equal; only leaves that have one can be decoded again. */
  page: object | null;
  /** A copy of the keys for searches (storage/packed-keys.ts), dropped with them. */
  packed: unknown;
}

/** Bytes a decoded value occupies on the V8 heap, roughly (64-bit, pointer-compressed heaps). */
function valueBytes(v: unknown): number {
  switch (typeof v) {
    case 'number':
      // Small integers live in the array slot itself; other numbers are 12-byte heap numbers.
      return (v | 0) === v ? 0 : 12;
    case 'string':
      return 16 + ((v.length + 3) & ~3);
    case 'bigint':
      return 24;
    case 'object': {
      if (v === null) return 0;
      if (v instanceof Uint8Array) return 100 + v.byteLength;
      if (Array.isArray(v)) {
        let n = 16 + 4 * v.length;
        for (const x of v) n += valueBytes(x);
        return n;
      }
      return 64;
    }
    default:
      return 8;
  }
}

/** Per leaf: the leaf object and its two arrays' headers. */
const LEAF_OVERHEAD = 96;

/** Bytes a decoded leaf holds: its array slots (4 bytes each) and the values they point to. */
export function decodedBytes(keys: readonly unknown[], vals: readonly unknown[]): number {
  let n = LEAF_OVERHEAD + 8 * keys.length;
  for (let i = 0; i < keys.length; i++) n += valueBytes(keys[i]) + valueBytes(vals[i]);
  return n;
}

export class LeafCache {
  private ring: CacheableLeaf[] = [];
  private sizes: number[] = [];
  private hand = 0;
  /** Bytes of the decoded leaves the ring holds. */
  bytes = 0;
  /**
   * Most bytes ever held. Between sweeps the leaves one operation decodes are added on top of the
   * budget (a cursor step one, a write or lookup a few), so this stays within a few pages of it.
   */
  peakBytes = 0;
  /** Pages decoded, and decoded leaves cooled again, since the cache was made. */
  decoded = 0;
  evicted = 0;

  constructor(readonly budgetBytes: number) {}

  /** Whether a sweep has work: checked on every tree operation, so it is a plain field. */
  over = false;
  /**
   * While set, sweeps do nothing (recovery: replaying a random-key tail touches pages all over
   * the indexes, and cooling them in between would decode each many times); the first operation
   * after it is cleared brings the cache back within its budget.
   */
  holding = false;

  /** A leaf was just decoded from its page (`bytes`: decodedBytes of its entries). */
  admit(leaf: CacheableLeaf, bytes: number): void {
    this.ring.push(leaf);
    this.sizes.push(bytes);
    this.bytes += bytes;
    this.decoded++;
    if (this.bytes > this.budgetBytes) this.over = true;
    if (this.bytes > this.peakBytes) this.peakBytes = this.bytes;
  }

  /**
   * Cool unreferenced leaves until the budget holds. Only at the start of a tree operation (see
   * the header). Referenced leaves lose their bit and are passed over once, as in the row cache;
   * nothing sets a bit during a sweep, so one turn of the hand clears them all and it ends.
   */
  sweep(): void {
    if (this.holding) return;
    const ring = this.ring;
    const sizes = this.sizes;
    while (this.bytes > this.budgetBytes && ring.length > 0) {
      if (this.hand >= ring.length) this.hand = 0;
      const leaf = ring[this.hand];
      if (leaf.hot && !leaf.cold) {
        leaf.hot = false;
        this.hand++;
        continue;
      }
      if (!leaf.cold && leaf.page !== null) {
        leaf.keys = [];
        leaf.vals = [];
        // Its packed keys (storage/packed-keys.ts) would outlive the entries they copy.
        leaf.packed = undefined;
        leaf.cold = true;
        leaf.hot = false;
        this.evicted++;
      }
      this.bytes -= sizes[this.hand];
      // Swap-remove: the hand then looks at the entry moved into this slot.
      const last = ring.length - 1;
      ring[this.hand] = ring[last];
      sizes[this.hand] = sizes[last];
      ring.pop();
      sizes.pop();
    }
    this.over = this.bytes > this.budgetBytes;
  }

  /**
   * Stop accounting for every leaf held (they stay decoded): after the engine moved to another
   * file, the old trees' pages live in a store that may be closed, so they are not cooled.
   */
  forget(): void {
    this.ring = [];
    this.sizes = [];
    this.hand = 0;
    this.bytes = 0;
    this.over = false;
  }
}
