/**
 * The order of a run of keys as a permutation of their positions: a B+tree's staged entries
 * (distinct index keys, btree.ts `pending`) and the rows of an ORDER BY on a text key
 * (planner/sort.ts, repeats kept in arrival order).
 *
 * Strings are sorted without a comparator for most of the work. A comparator sort of n random
 * keys makes ~n log2 n calls, each loading two strings from wherever the heap put them; here each
 * key is read once, in the order it arrived, into one number: its first units after the run's
 * common prefix, each replaced by its rank in the run's alphabet (so hex or base-36 keys pack 5–7
 * units), times 2^indexBits, plus its position. A native Float64Array sort orders those; only keys
 * whose packed units tie are compared as strings.
 */

import { compareText } from './compare';

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
  return packedOrder(keys, shortRun, false, false);
}

/**
 * Positions of `keys` (any strings, repeats allowed) in code-point order (compareText's: SQLite's
 * BINARY order of their UTF-8), descending when `desc`; equal keys keep their positions' order
 * (a stable sort). The ORDER BY of a text key (planner/sort.ts) sorts by it.
 */
export function textOrder(keys: readonly string[], desc: boolean, shortRun = SHORT_RUN): Uint32Array {
  return packedOrder(keys, shortRun, true, desc);
}

/**
 * The rank of UTF-16 unit `u` in code-point order: surrogates (U+D800–U+DFFF, halves of code
 * points above U+FFFF) after U+E000–U+FFFF. Comparing strings unit by unit through it is
 * comparing their code points (a surrogate pair's first halves decide, then its second halves).
 */
function codePointUnit(u: number): number {
  return u < 0xd800 ? u : u < 0xe000 ? u + 0x2000 : u - 0x800;
}

/**
 * The packed sort (see the file comment). `stable`: keys may repeat and must keep their
 * positions' order, compared in code-point order; else keys are distinct and compared by `<`
 * (the callers' keys have no unit at or above U+D800, where the two orders part).
 */
function packedOrder(keys: readonly string[], shortRun: number, stable: boolean, desc: boolean): Uint32Array {
  const n = keys.length;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  if (n < 2) return order;
  const before: (x: number, y: number) => number = stable
    ? desc
      ? (x, y) => compareText(keys[y], keys[x]) || x - y
      : (x, y) => compareText(keys[x], keys[y]) || x - y
    : (x, y) => (keys[x] < keys[y] ? -1 : 1);
  // The alphabet tables cost a fixed 320 KiB and a pass over 65,536 units: not worth it for a
  // short run, which a comparator sorts in a few hundred comparisons.
  if (n < shortRun) return comparatorOrder(order, before);
  const indexBits = Math.max(1, Math.ceil(Math.log2(n)));
  if (indexBits > 32) return comparatorOrder(order, before);
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
  if (stable) {
    // Ranks in code-point order: by unit up to U+D7FF, then U+E000–U+FFFF, then the surrogates.
    const byRank = new Uint32Array(65536);
    for (let u = 0; u < 65536; u++) byRank[codePointUnit(u)] = u;
    for (let r = 0; r < 65536; r++) if (seen[byRank[r]] === 1) rank[byRank[r]] = ++symbols;
  } else {
    for (let u = 0; u < 65536; u++) if (seen[u] === 1) rank[u] = ++symbols;
  }
  // No unit after the common prefix: every key is that prefix, all equal (repeats only).
  if (symbols === 0) return order;
  const bitsPerUnit = Math.ceil(Math.log2(symbols + 1));
  const units = Math.floor((EXACT_BITS - indexBits) / bitsPerUnit);
  if (units < 1) return comparatorOrder(order, before);
  const base = 2 ** bitsPerUnit;
  const slot = 2 ** indexBits;
  // Descending: the packed units complemented, positions still ascending within equal ones.
  const top = base ** units - 1;
  const packed = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const k = keys[i];
    let x = 0;
    for (let j = common; j < common + units; j++) x = x * base + (j < k.length ? rank[k.charCodeAt(j)] : 0);
    packed[i] = (desc ? top - x : x) * slot + i;
  }
  packed.sort();
  // Runs of equal packed units: the order of those keys is still open.
  let runStart = 0;
  let runPrefix = Math.floor(packed[0] / slot);
  for (let i = 0; i <= n; i++) {
    const prefix = i < n ? Math.floor(packed[i] / slot) : -1;
    if (i < n) order[i] = packed[i] - prefix * slot;
    if (prefix === runPrefix) continue;
    if (i - runStart > 1) sortRun(order, runStart, i, before);
    runStart = i;
    runPrefix = prefix;
  }
  return order;
}

/**
 * Sort order[from..to) (ascending positions, as the packed sort leaves a run) by `before`:
 * insertion sort for the short runs ties leave, stable as the callers need.
 */
function sortRun(
  order: Uint32Array,
  from: number,
  to: number,
  before: (x: number, y: number) => number,
): void {
  if (to - from > 32) {
    const run = Array.from(order.subarray(from, to));
    run.sort(before);
    order.set(run, from);
    return;
  }
  for (let i = from + 1; i < to; i++) {
    const x = order[i];
    let j = i - 1;
    while (j >= from && before(order[j], x) > 0) {
      order[j + 1] = order[j];
      j--;
    }
    order[j + 1] = x;
  }
}

function comparatorOrder(order: Uint32Array, before: (x: number, y: number) => number): Uint32Array {
  const run = Array.from(order);
  run.sort(before);
  order.set(run);
  return order;
}

/** Positions of `keys` (distinct numbers, no NaN) in ascending order. */
export function numberOrder(keys: readonly number[]): Uint32Array {
  const run = Array.from({ length: keys.length }, (_, i) => i);
  run.sort((a, b) => keys[a] - keys[b]);
  return Uint32Array.from(run);
}
