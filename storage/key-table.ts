/**
 * A hash table from string or number keys to small integers: the staged run's index of a B+tree
 * (btree-staging.ts `pending`: key → position or group). It does what a Map does there, on the
 * key filter's hash (storage/key-filter.ts keyHash), which a unique index's probe has already
 * computed for the filter: staging a new key is then one slot written in a typed array, where a
 * Map hashed the string again and grew three arrays of its own.
 *
 * Keys are compared with `===`, which is Map's equality for the keys a run holds (numbers other
 * than NaN, strings; -0 and 0 are one key, and hash alike).
 */

import { keyHash } from './key-filter';

export class KeyTable<K> {
  /** Entry index + 1 per slot, 0 for an empty slot; open addressing, linear probing. */
  private slots = new Int32Array(64);
  private mask = 63;
  private readonly keys: K[] = [];
  private vals: Int32Array = new Int32Array(32);
  /** Each entry's hash, so that growing never hashes a key again. */
  private hashes: Int32Array = new Int32Array(32);

  get size(): number {
    return this.keys.length;
  }

  get(key: K, hash = keyHash(key as string | number)): number | undefined {
    const at = this.find(key, hash);
    return at < 0 ? undefined : this.vals[at];
  }

  has(key: K): boolean {
    return this.find(key, keyHash(key as string | number)) >= 0;
  }

  set(key: K, value: number, hash = keyHash(key as string | number)): void {
    const at = this.find(key, hash);
    if (at >= 0) {
      this.vals[at] = value;
      return;
    }
    const n = this.keys.length;
    if (n === this.vals.length) {
      const vals = new Int32Array(n * 2);
      vals.set(this.vals);
      this.vals = vals;
      const hashes = new Int32Array(n * 2);
      hashes.set(this.hashes);
      this.hashes = hashes;
    }
    this.keys.push(key);
    this.vals[n] = value;
    this.hashes[n] = hash;
    // At most half full: probe sequences stay short.
    if ((n + 1) * 2 > this.mask) this.grow();
    else this.place(n, hash);
  }

  private find(key: K, hash: number): number {
    const slots = this.slots;
    const mask = this.mask;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const s = slots[i];
      if (s === 0) return -1;
      if (this.keys[s - 1] === key) return s - 1;
    }
  }

  private place(entry: number, hash: number): void {
    const slots = this.slots;
    const mask = this.mask;
    let i = hash & mask;
    while (slots[i] !== 0) i = (i + 1) & mask;
    slots[i] = entry + 1;
  }

  private grow(): void {
    this.slots = new Int32Array(this.slots.length * 2);
    this.mask = this.slots.length - 1;
    for (let e = 0; e < this.keys.length; e++) this.place(e, this.hashes[e]);
  }
}
