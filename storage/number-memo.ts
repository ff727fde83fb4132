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
  private keys = new Float64Array(MIN_CAPACITY).fill(NaN);
  private vals = new Float64Array(MIN_CAPACITY);
  private shift = 32 - Math.log2(MIN_CAPACITY);
  private count = 0;

  get size(): number {
    return this.count;
  }

  private home(key: number): number {
    return homeSlot(key, this.shift);
  }

  get(key: number): number | undefined {
    const keys = this.keys;
    const mask = keys.length - 1;
    for (let s = this.home(key); ; s = (s + 1) & mask) {
      const k = keys[s];
      if (k === key) return this.vals[s];
      if (k !== k) return undefined;
    }
  }

  set(key: number, value: number): void {
    if ((this.count + 1) * 2 > this.keys.length) this.grow();
    const keys = this.keys;
    const mask = keys.length - 1;
    for (let s = this.home(key); ; s = (s + 1) & mask) {
      const k = keys[s];
      if (k === key) {
        this.vals[s] = value;
        return;
      }
      if (k !== k) {
        keys[s] = key;
        this.vals[s] = value;
        this.count++;
        return;
      }
    }
  }

  delete(key: number): void {
    const keys = this.keys;
    const vals = this.vals;
    const mask = keys.length - 1;
    let i = this.home(key);
    for (; ; i = (i + 1) & mask) {
      const k = keys[i];
      if (k === key) break;
      if (k !== k) return;
    }
    this.count--;
    // Backward-shift deletion: move up every later entry of the run whose home slot is not
    // cyclically inside (i, j], so every remaining key stays reachable from its home slot.
    for (;;) {
      keys[i] = NaN;
      let j = i;
      for (;;) {
        j = (j + 1) & mask;
        const k = keys[j];
        if (k !== k) return;
        const h = this.home(k);
        const stays = i <= j ? i < h && h <= j : i < h || h <= j;
        if (stays) continue;
        keys[i] = k;
        vals[i] = vals[j];
        i = j;
        break;
      }
    }
  }

  clear(): void {
    this.keys.fill(NaN);
    this.count = 0;
  }

  private grow(): void {
    const keys = this.keys;
    const vals = this.vals;
    const capacity = keys.length * 2;
    this.keys = new Float64Array(capacity).fill(NaN);
    this.vals = new Float64Array(capacity);
    this.shift = 32 - Math.log2(capacity);
    this.count = 0;
    for (let s = 0; s < keys.length; s++) if (keys[s] === keys[s]) this.set(keys[s], vals[s]);
  }
}
