/**
 * A blocked Bloom filter over the keys of one B+tree (storage/btree.ts): "certainly absent" or
 * "perhaps present" for a string or number key, in one hash of the key and one cache line read.
 *
 * Why: a bulk insert of random unique keys (UUIDs, e-mail addresses) into a large index must learn
 * that each key is absent before the row is accepted (the UNIQUE error belongs to the statement),
 * and a descent through a tree of a million string keys costs a few dozen loads from places all
 * over the heap, ~3 µs. With the filter the answer for a new key costs ~0.1 µs, and the entry can
 * wait in the tree's staged run (btree-staging.ts) to be merged in key order at the next read.
 *
 * The filter only ever answers for keys whose tree order is JavaScript's `<` (key kind NUM or
 * STR, btree-nodes.ts probeMode), so that equal keys are identical values and hash alike; -0 is
 * hashed as 0. Deleting a key leaves its bits (a filter only over-approximates), so the owner
 * rebuilds it when it is full (`full`), and drops it whenever its content may hold a key the
 * filter never saw (a rollback to an older snapshot).
 */

/** Bits per key the filter is sized for when built: it is `full` once twice as many are in. */
const BITS_PER_KEY = 20;
/** One block is 512 bits (16 words): a key's bits all lie in one 64-byte cache line. */
const BLOCK_WORDS = 16;
/** Bits set per key within its block. */
const PROBES = 6;

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

/** A 32-bit hash of a key (murmur3's finalizer over FNV-1a of the UTF-16 units, or of the number's bits). */
export function keyHash(key: string | number): number {
  let h: number;
  if (typeof key === 'string') {
    h = 0x811c9dc5;
    for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
    h ^= key.length;
  } else if ((key | 0) === key) {
    // -0 | 0 is 0: the two zeros, equal as keys, hash alike.
    h = Math.imul(key, 0x9e3779b1) ^ 0x5bd1e995;
  } else {
    f64[0] = key;
    h = Math.imul(u32[0] ^ Math.imul(u32[1], 0x85ebca6b), 0xc2b2ae35);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

export class KeyFilter {
  private readonly words: Int32Array;
  private readonly blockMask: number;
  /** Keys added (with repeats): the filter is `full` past `capacity`. */
  private added = 0;
  private readonly capacity: number;

  /** A filter sized for `keys` keys now and as many again to come. */
  constructor(keys: number) {
    let blocks = 1;
    while (blocks * BLOCK_WORDS * 32 < Math.max(keys, 1024) * BITS_PER_KEY) blocks *= 2;
    this.words = new Int32Array(blocks * BLOCK_WORDS);
    this.blockMask = blocks - 1;
    this.capacity = (blocks * BLOCK_WORDS * 32) / (BITS_PER_KEY / 2);
  }

  /** The filter's bytes (what the owner's memory accounting counts). */
  get bytes(): number {
    return this.words.byteLength;
  }

  /** More keys went in than the filter keeps a low false-positive rate for: build a larger one. */
  get full(): boolean {
    return this.added > this.capacity;
  }

  add(key: string | number): void {
    this.addHashed(keyHash(key));
  }

  /** add() of a key whose keyHash the caller has. */
  addHashed(h: number): void {
    const base = (h & this.blockMask) * BLOCK_WORDS;
    // The block comes from h's low bits; the bits within it by double hashing on two more
    // hashes of h, each position the top 9 bits (a word of 16, a bit of 32).
    let a = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
    const b = Math.imul(a ^ (a >>> 16), 0x297a2d39) | 1;
    for (let i = 0; i < PROBES; i++) {
      this.words[base + ((a >>> 23) & 15)] |= 1 << (a >>> 27);
      a = (a + b) | 0;
    }
    this.added++;
  }

  /** False: `key` was never added. True: it may have been. */
  mayHave(key: string | number): boolean {
    return this.mayHaveHashed(keyHash(key));
  }

  /** mayHave() of a key whose keyHash the caller has. */
  mayHaveHashed(h: number): boolean {
    const base = (h & this.blockMask) * BLOCK_WORDS;
    let a = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
    const b = Math.imul(a ^ (a >>> 16), 0x297a2d39) | 1;
    for (let i = 0; i < PROBES; i++) {
      if ((this.words[base + ((a >>> 23) & 15)] & (1 << (a >>> 27))) === 0) return false;
      a = (a + b) | 0;
    }
    return true;
  }
}
