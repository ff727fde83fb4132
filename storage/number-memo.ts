/**
 * A number → number hash map for the B+tree's exact-key lookup memo (storage/btree.ts) when both
 * the keys and the values are numbers: the primary-key tree maps a numeric key to a row location.
 * Linear probing over two Float64Arrays, so a hit is one cache miss where a Map costs two (its
 * bucket, then its entry) — the memo is probed once per row of every index read. Keys compare
 * with `===` (0 and -0 are one key, as in a Map); NaN marks an empty slot (the tree never memoizes
 * a NaN key). Deletion shifts the following entries back, so no tombstones accumulate.
 */
const MIN_CAPACITY = 1024;

/**
 * First slot to probe for a number key in a power-of-two table of 2^(32 - shift) slots: a
 * multiplicative hash of both 32-bit halves (row locations pass 2^32 in large files). Shared with
 * storage/row-cache.ts.
 */
export function homeSlot(key: number, shift: number): number {
  const lo = key >>> 0;
  const hi = (key / 4294967296) >>> 0;
  return Math.imul(lo ^ Math.imul(hi, 0x85ebca6b), 0x9e3779b1) >>> shift;
}

export class NumberMemo {
  /**
   * Slot s holds its key at 2s and its value at 2s + 1: a hit reads one cache line, where keys and
   * values in two arrays cost a miss in each (the memo is as large as the table's hot keys, so
   * most probes of a random key miss the CPU caches).
   */
  private slots = emptySlots(MIN_CAPACITY);
  private shift = 32 - Math.log2(MIN_CAPACITY);
  private count = 0;

  get size(): number {
    return this.count;
  }

  private home(key: number): number {
    return homeSlot(key, this.shift);
  }

  get(key: number): number | undefined {
    const slots = this.slots;
    const mask = (slots.length >>> 1) - 1;
    for (let s = this.home(key); ; s = (s + 1) & mask) {
      const k = slots[2 * s];
      if (k === key) return slots[2 * s + 1];
      if (k !== k) return undefined;
    }
  }

  set(key: number, value: number): void {
    if ((this.count + 1) * 4 > this.slots.length) this.grow();
    const slots = this.slots;
    const mask = (slots.length >>> 1) - 1;
    for (let s = this.home(key); ; s = (s + 1) & mask) {
      const k = slots[2 * s];
      if (k === key) {
        slots[2 * s + 1] = value;
        return;
      }
      if (k !== k) {
        slots[2 * s] = key;
        slots[2 * s + 1] = value;
        this.count++;
        return;
      }
    }
  }

  delete(key: number): void {
    const slots = this.slots;
    const mask = (slots.length >>> 1) - 1;
    let i = this.home(key);
    for (; ; i = (i + 1) & mask) {
      const k = slots[2 * i];
      if (k === key) break;
      if (k !== k) return;
    }
    this.count--;
    // Backward-shift deletion: move up every later entry of the run whose home slot is not
    // cyclically inside (i, j], so every remaining key stays reachable from its home slot.
    for (;;) {
      slots[2 * i] = NaN;
      let j = i;
      for (;;) {
        j = (j + 1) & mask;
        const k = slots[2 * j];
        if (k !== k) return;
        const h = this.home(k);
        const stays = i <= j ? i < h && h <= j : i < h || h <= j;
        if (stays) continue;
        slots[2 * i] = k;
        slots[2 * i + 1] = slots[2 * j + 1];
        i = j;
        break;
      }
    }
  }

  clear(): void {
    this.slots.fill(NaN);
    this.count = 0;
  }

  private grow(): void {
    const old = this.slots;
    const capacity = old.length; // slots: twice the old number
    this.slots = emptySlots(capacity);
    this.shift = 32 - Math.log2(capacity);
    this.count = 0;
    for (let s = 0; s < old.length; s += 2) if (old[s] === old[s]) this.set(old[s], old[s + 1]);
  }
}

/** A table of `capacity` empty slots (NaN keys; values are only read under a key). */
function emptySlots(capacity: number): Float64Array {
  return new Float64Array(2 * capacity).fill(NaN);
}
