/**
 * Memo of a B+tree's small key groups (storage/btree.ts prefixGroup, keyGroup): for a probe of
 * one to MAX_WIDTH numbers, the values of every entry whose key starts with those numbers (a
 * tuple-keyed tree) or equals the one number (a single-column tree), in tree order. An equality on every column of a composite index (`customer = ? AND day = ?`)
 * otherwise descends the index for each execution — four levels of nodes spread over the heap,
 * a cache miss or more each, the largest single cost of such a query (docs/performance.md) —
 * where a repeated probe here costs one hash slot and the group's array.
 *
 * Probes are compared number by number with `===` (0 and -0 are one value, as in compareKeys;
 * NaN is never a probe), in an open-addressing table whose slot s holds the probe's width at
 * STRIDE * s (0: empty) and its numbers after it, so a hit reads one or two cache lines before the
 * group. Deletion shifts the following slots back, so no tombstones accumulate.
 *
 * The tree keeps it exact: every write drops the groups its key belongs to (drop), anything
 * wholesale (restore, clear) drops all.
 */

/** Longest probe memoized: wider composite keys are rare and would widen every slot. */
export const MAX_WIDTH = 3;
const STRIDE = MAX_WIDTH + 1;
const MIN_CAPACITY = 256;

/** Groups held before the memo starts over: at most ~8 MiB of slots, plus the groups. */
const GROUP_LIMIT = 1 << 17;
/** Values held (over all groups) before the memo starts over (their locations take as much again). */
const VALUE_LIMIT = 1 << 20;

/**
 * A memoized group: the values of the entries under one prefix (primary keys, for a secondary
 * index), and what a reader derived from them — the rows' locations, which the primary-key
 * tree's snapshot fills in and trusts only while that tree is unchanged (BTreeSnapshot.getEach).
 */
export class KeyGroup<V> {
  /** The derived values, one per value, and which tree at which edit count they came from. */
  derived: readonly unknown[] | null = null;
  derivedOf: object | null = null;
  derivedAt = -1;

  constructor(readonly values: readonly V[]) {}
}

const scratch = new Float64Array(1);
const words = new Uint32Array(scratch.buffer);

/** asProbeNumber's answer for a bigint, which no probe number can be found by. */
const WIDE = Symbol('bigint');

/**
 * The probe number a stored key element equals in the index order (storage/compare.ts: numbers,
 * bigints and booleans as 0/1 compare by value), null when it equals none (text, bytes, NULL,
 * NaN), WIDE for a bigint.
 */
function asProbeNumber(x: unknown): number | null | typeof WIDE {
  if (typeof x === 'number') return x === x ? x : null;
  if (typeof x === 'boolean') return x ? 1 : 0;
  if (typeof x === 'bigint') return WIDE;
  return null;
}

/** Whether `probe` is an array of 1..MAX_WIDTH numbers other than NaN. */
export function memoizable(probe: unknown): probe is readonly number[] {
  if (!Array.isArray(probe) || probe.length === 0 || probe.length > MAX_WIDTH) return false;
  for (let j = 0; j < probe.length; j++) {
    const x: unknown = probe[j];
    if (typeof x !== 'number' || x !== x) return false;
  }
  return true;
}

/** Hash of the first `n` numbers of `probe`, from their bits (-0 counted as 0). */
function hashOf(probe: ArrayLike<number>, from: number, n: number): number {
  let h = Math.imul(n, 0x9e3779b1);
  for (let j = 0; j < n; j++) {
    scratch[0] = probe[from + j] + 0;
    h = Math.imul(h ^ words[0], 0x85ebca6b);
    h = Math.imul(h ^ words[1] ^ (h >>> 13), 0xc2b2ae35);
  }
  return h ^ (h >>> 16);
}

export class PrefixMemo<V> {
  private slots = new Float64Array(STRIDE * MIN_CAPACITY);
  private groups: (KeyGroup<V> | undefined)[] = new Array<KeyGroup<V> | undefined>(MIN_CAPACITY).fill(
    undefined,
  );
  private shift = 32 - Math.log2(MIN_CAPACITY);
  private count = 0;
  private values = 0;

  get size(): number {
    return this.count;
  }

  private home(probe: ArrayLike<number>, from: number, n: number): number {
    return Math.imul(hashOf(probe, from, n), 0x9e3779b1) >>> this.shift;
  }

  /** The slot holding `probe` (its first `n` numbers), or -1. */
  private find(probe: readonly number[], n: number): number {
    const slots = this.slots;
    const mask = this.groups.length - 1;
    for (let s = this.home(probe, 0, n); ; s = (s + 1) & mask) {
      const at = s * STRIDE;
      const w = slots[at];
      if (w === 0) return -1;
      if (w !== n) continue;
      let j = 0;
      while (j < n && slots[at + 1 + j] === probe[j]) j++;
      if (j === n) return s;
    }
  }

  /** The memoized group of `probe` (a memoizable() array), or undefined. */
  get(probe: readonly number[]): KeyGroup<V> | undefined {
    const s = this.find(probe, probe.length);
    return s < 0 ? undefined : this.groups[s];
  }

  /** Remember `group` for `probe` (a memoizable() array not memoized yet). */
  set(probe: readonly number[], group: KeyGroup<V>): void {
    if (this.count >= GROUP_LIMIT || this.values + group.values.length > VALUE_LIMIT) this.clear();
    if ((this.count + 1) * 2 > this.groups.length) this.grow();
    this.place(probe, 0, probe.length, group);
  }

  /** Put `group` under the `n` numbers of `probe` from `from` (a probe, or an old table's slot). */
  private place(probe: ArrayLike<number>, from: number, n: number, group: KeyGroup<V>): void {
    const slots = this.slots;
    const mask = this.groups.length - 1;
    let s = this.home(probe, from, n);
    while (slots[s * STRIDE] !== 0) s = (s + 1) & mask;
    const at = s * STRIDE;
    slots[at] = n;
    for (let j = 0; j < n; j++) slots[at + 1 + j] = probe[from + j] + 0;
    this.groups[s] = group;
    this.count++;
    this.values += group.values.length;
  }

  /**
   * Forget every group an entry with `key` belongs to: those of its prefixes of 1..MAX_WIDTH
   * numbers; a number key (single-column tree), the group of [key]. A boolean counts as 0 or 1, as
   * the index order compares it; any other key belongs to none. A bigint can equal a number probe
   * while `===` cannot find it: such a key drops everything.
   */
  drop(key: unknown): void {
    if (this.count === 0) return;
    if (!Array.isArray(key)) {
      // A single-column tree's key: its group is keyGroup's probe [key].
      const x = asProbeNumber(key);
      if (x === WIDE) this.clear();
      else if (x !== null) {
        const s = this.find([x], 1);
        if (s >= 0) this.removeAt(s);
      }
      return;
    }
    const prefix: number[] = [];
    for (let j = 0; j < key.length && j < MAX_WIDTH; j++) {
      const x = asProbeNumber(key[j]);
      if (x === WIDE) {
        this.clear();
        return;
      }
      // Text, bytes, NULL or NaN equal no number: no longer prefix can match a probe.
      if (x === null) return;
      prefix.push(x);
      const s = this.find(prefix, prefix.length);
      if (s >= 0) this.removeAt(s);
    }
  }

  private removeAt(slot: number): void {
    const slots = this.slots;
    const mask = this.groups.length - 1;
    this.values -= (this.groups[slot] as KeyGroup<V>).values.length;
    this.count--;
    // Backward-shift deletion: move up every later entry of the run whose home slot is not
    // cyclically inside (i, j], so every remaining probe stays reachable from its home slot.
    let i = slot;
    for (;;) {
      slots[i * STRIDE] = 0;
      this.groups[i] = undefined;
      let j = i;
      for (;;) {
        j = (j + 1) & mask;
        const at = j * STRIDE;
        const w = slots[at];
        if (w === 0) return;
        const h = this.home(slots, at + 1, w);
        const stays = i <= j ? i < h && h <= j : i < h || h <= j;
        if (stays) continue;
        slots.copyWithin(i * STRIDE, at, at + STRIDE);
        this.groups[i] = this.groups[j];
        i = j;
        break;
      }
    }
  }

  clear(): void {
    if (this.count === 0) return;
    this.slots.fill(0);
    this.groups.fill(undefined);
    this.count = 0;
    this.values = 0;
  }

  private grow(): void {
    const old = this.slots;
    const oldGroups = this.groups;
    const capacity = oldGroups.length * 2;
    this.slots = new Float64Array(STRIDE * capacity);
    this.groups = new Array<KeyGroup<V> | undefined>(capacity).fill(undefined);
    this.shift = 32 - Math.log2(capacity);
    this.count = 0;
    this.values = 0;
    for (let s = 0; s < oldGroups.length; s++) {
      const at = s * STRIDE;
      const w = old[at];
      if (w !== 0) this.place(old, at + 1, w, oldGroups[s] as KeyGroup<V>);
    }
  }
}
