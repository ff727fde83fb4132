/**
 * Composite index keys of a frozen B+tree node packed into one Float64Array, for binary searches
 * that read contiguous memory. A composite key is an array (storage/compare.ts compareKeys), and
 * comparing a probe with a stored key loads the array and then its elements, two objects spread
 * over the heap: a descent of a 200k-entry index made ~19 such comparisons, most of them cache
 * misses. Packed, the entries of a node lie in a few cache lines, compared without per-element
 * type dispatch.
 *
 * A node is packed only when every key is an array of `width` numbers other than NaN (the
 * numbers' `<` is then compareKeys's order exactly; -0 and 0 are equal in both), and only nodes
 * that can no longer change: nodes a snapshot reaches (BTreeSnapshot), which the live tree copies
 * before writing (storage/btree.ts, copy on write). The node holds its packed form (`packed`,
 * computed by a search once the node was searched often enough, see packPolicy); a leaf the leaf
 * cache cools drops it with its entries.
 */
import { KEY_BOTTOM, KEY_TOP } from './compare';

/** Packed keys of one node: entry i's columns at [i * width, (i + 1) * width). */
export interface PackedKeys {
  readonly width: number;
  readonly values: Float64Array;
}

/**
 * When to pack: at a node's `after`-th search. Packing reads every key of the node (64 arrays
 * spread over the heap) where one search reads ~6, so it pays only for a node searched again and
 * again — the upper levels, not the leaves of a large index that random probes reach once or
 * twice (a 1M-row composite index's first 20,000 probes spent a quarter of their time packing
 * when every node was packed at its first search). @internal Tests that count packed searches
 * set `after` to 1.
 */
export const packPolicy = { after: 8 };

/** @internal Nodes packed so far (tests count work with it, not time). */
export const packStats = { packed: 0, searches: 0 };

/** The packed form of a frozen node's `keys`, or null when they do not all fit (see header). */
export function packKeys(keys: readonly unknown[]): PackedKeys | null {
  const first: unknown = keys[0];
  if (!Array.isArray(first) || first.length === 0) return null;
  const width = first.length;
  const values = new Float64Array(keys.length * width);
  for (let i = 0; i < keys.length; i++) {
    const k: unknown = keys[i];
    if (!Array.isArray(k) || k.length !== width) return null;
    for (let j = 0; j < width; j++) {
      const x: unknown = k[j];
      if (typeof x !== 'number' || x !== x) return null;
      values[i * width + j] = x;
    }
  }
  packStats.packed++;
  return { width, values };
}

/**
 * Whether `probe` can be compared with packed keys of `width`: an array whose first `width` values
 * (or all of them, when shorter) are numbers other than NaN or KEY_TOP / KEY_BOTTOM (the end
 * markers of the bounds planner/execute.ts compositeRange builds). Values past `width` are never
 * read: a stored key equal to the probe's first `width` values is a prefix of it, so it is less.
 */
export function packableProbe(probe: unknown, width: number): probe is readonly unknown[] {
  if (!Array.isArray(probe) || probe.length === 0) return false;
  const n = probe.length < width ? probe.length : width;
  for (let j = 0; j < n; j++) {
    const y: unknown = probe[j];
    if (typeof y === 'number' ? y !== y : y !== KEY_TOP && y !== KEY_BOTTOM) return false;
  }
  return true;
}

/** compareKeys(keys[i], probe) on the packed form, for a probe packableProbe accepted. */
export function comparePacked(p: PackedKeys, i: number, probe: readonly unknown[]): number {
  const w = p.width;
  const v = p.values;
  const n = probe.length < w ? probe.length : w;
  const base = i * w;
  for (let j = 0; j < n; j++) {
    const y = probe[j];
    // A marker sorts after (KEY_TOP) or before (KEY_BOTTOM) every stored value.
    if (typeof y !== 'number') return y === KEY_TOP ? -1 : 1;
    const x = v[base + j];
    if (x !== y) return x < y ? -1 : 1;
  }
  // A key that is a prefix of the other sorts first.
  return w < probe.length ? -1 : w > probe.length ? 1 : 0;
}

/** Number of packed keys < probe (or ≤ probe when `orEqual`): a lower (upper) bound. */
export function packedBound(p: PackedKeys, probe: readonly unknown[], orEqual: boolean): number {
  packStats.searches++;
  let lo = 0;
  let hi = p.values.length / p.width;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const c = comparePacked(p, mid, probe);
    if (c < 0 || (orEqual && c === 0)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
