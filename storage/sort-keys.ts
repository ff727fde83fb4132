/**
 * The order of a run of distinct index keys (a B+tree's staged entries, btree.ts `pending`), as
 * a permutation of their positions.
 *
 * Strings are sorted in UTF-16 unit order (the tree's `<` order for its STR kind) without a
 * comparator for most of the work. A comparator sort of n random keys makes ~n log2 n calls,
 * each loading two strings from wherever the heap put them; here each key is read once, in the
 * order it arrived, into one number: its first units after the run's common prefix, each
 * replaced by its rank in the run's alphabet (so hex or base-36 keys pack 5–7 units), times
 * 2^indexBits, plus its position. A native Float64Array sort orders those; only keys whose
 * packed units tie are compared as strings.
 */

/** Bits a packed number can hold exactly. */
const EXACT_BITS = 53;
/** Runs shorter than this are sorted with a comparator. */
const SHORT_RUN = 512;
/** Units scanned for the alphabet: more than any packing can use (53 bits / 1 bit per unit). */
const SCAN_UNITS = 24;

/**
 * Positions of `keys` (distinct strings) in ascending `<` order. `shortRun`: below this many keys
 * a comparator sorts them (tests lower it to reach the packed sort with small inputs).
 */
export function stringOrder(keys: readonly string[], shortRun = SHORT_RUN): Uint32Array {
  const n = keys.length;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  if (n < 2) return order;
  // The alphabet tables cost a fixed 320 KiB and a pass over 65,536 units: not worth it for a
  // short run, which a comparator sorts in a few hundred comparisons.
  if (n < shortRun) return comparatorOrder(keys, order);
  const indexBits = Math.max(1, Math.ceil(Math.log2(n)));
  if (indexBits > 32) return comparatorOrder(keys, order);
  // The common prefix orders nothing: skip it.
  const first = keys[0];
  let common = first.length;
  for (let i = 1; i < n && common > 0; i++) {
    const k = keys[i];
    const lim = Math.min(common, k.length);
    let c = 0;
    while (c < lim && k.charCodeAt(c) === first.charCodeAt(c)) c++;
    common = c;
  }
  // The alphabet of the units after it; rank 0 stands for "the key has ended".
  const seen = new Uint8Array(65536);
  for (let i = 0; i < n; i++) {
    const k = keys[i];
    const end = Math.min(k.length, common + SCAN_UNITS);
    for (let j = common; j < end; j++) seen[k.charCodeAt(j)] = 1;
  }
  const rank = new Uint32Array(65536);
  let symbols = 0;
  for (let u = 0; u < 65536; u++) if (seen[u] === 1) rank[u] = ++symbols;
  const bitsPerUnit = Math.ceil(Math.log2(symbols + 1));
  const units = Math.floor((EXACT_BITS - indexBits) / bitsPerUnit);
  if (units < 1) return comparatorOrder(keys, order);
  const base = 2 ** bitsPerUnit;
  const slot = 2 ** indexBits;
  const packed = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const k = keys[i];
    let x = 0;
    for (let j = common; j < common + units; j++) x = x * base + (j < k.length ? rank[k.charCodeAt(j)] : 0);
    packed[i] = x * slot + i;
  }
  packed.sort();
  // Runs of equal packed units: the order of those keys is still open.
  let runStart = 0;
  let runPrefix = Math.floor(packed[0] / slot);
  for (let i = 0; i <= n; i++) {
    const prefix = i < n ? Math.floor(packed[i] / slot) : -1;
    if (i < n) order[i] = packed[i] - prefix * slot;
    if (prefix === runPrefix) continue;
    if (i - runStart > 1) sortRun(keys, order, runStart, i);
    runStart = i;
    runPrefix = prefix;
  }
  return order;
}

/** Sort order[from..to) by key: insertion sort for the short runs ties leave. */
function sortRun(keys: readonly string[], order: Uint32Array, from: number, to: number): void {
  if (to - from > 32) {
    const run = Array.from(order.subarray(from, to));
    run.sort((a, b) => (keys[a] < keys[b] ? -1 : 1));
    order.set(run, from);
    return;
  }
  for (let i = from + 1; i < to; i++) {
    const x = order[i];
    const k = keys[x];
    let j = i - 1;
    while (j >= from && keys[order[j]] > k) {
      order[j + 1] = order[j];
      j--;
    }
    order[j + 1] = x;
  }
}

function comparatorOrder(keys: readonly string[], order: Uint32Array): Uint32Array {
  const run = Array.from(order);
  run.sort((a, b) => (keys[a] < keys[b] ? -1 : 1));
  order.set(run);
  return order;
}

/** Positions of `keys` (distinct numbers, no NaN) in ascending order. */
export function numberOrder(keys: readonly number[]): Uint32Array {
  const run = Array.from({ length: keys.length }, (_, i) => i);
  run.sort((a, b) => keys[a] - keys[b]);
  return Uint32Array.from(run);
}
