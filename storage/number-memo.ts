/**
 * A number → number map for the B+tree's exact-key lookup memo (storage/btree.ts) when both the
 * keys and the values are numbers: the primary-key tree maps a numeric key to a row location. It
 * is a cache: it may forget an entry (get() is then undefined and the tree descends), never
 * return a stale one. Two parts, each key always in the same one:
 *
 * - Dense: whole-number keys in [0, 2^28) — what INTEGER PRIMARY KEY and rowid tables use — live
 *   in chunks of 4,096 Float64 slots indexed by the key itself, 8 bytes a key, so a hit is one
 *   cache miss with no hashing, and the memo covers 2M keys in 16 MiB (the hash part below needs
 *   32 bytes a key at its load factor). A chunk is made when a key of its range is first set; past
 *   the budget the oldest chunk is dropped. Keys so sparse that chunks stay nearly empty switch
 *   this part off (until clear()), and every key goes to the hash part.
 * - Hash: any other number key, by linear probing over one Float64Array, capped at 2^18 keys and
 *   started over when full.
 *
 * NaN marks an empty slot in both (the tree never memoizes a NaN key); keys compare with `===`
 * (0 and -0 are one key, as in a Map). Hash deletion shifts the following entries back, so no
 * tombstones accumulate.
 */
const MIN_CAPACITY = 1024;
/** Keys the hash part holds before it starts over: about 8 MiB of slots at its load factor. */
const HASH_LIMIT = 1 << 18;

const CHUNK_BITS = 12;
const CHUNK_SLOTS = 1 << CHUNK_BITS;
const CHUNK_MASK = CHUNK_SLOTS - 1;
/** Dense keys are whole numbers below this: the chunk table then has at most 65,536 entries. */
const DENSE_KEYS_BELOW = 2 ** 28;
/** 16 MiB of 32 KiB chunks: 2M keys of a 1M–2M-row table's primary key. */
const MAX_CHUNKS = 512;
/**
 * From this many chunks held, a dense part whose keys are too sparse for chunks (e.g. random
 * 28-bit ids) is switched off: it would spend 32 KiB per handful of keys. See sparse().
 */
const SPARSE_CHECK_CHUNKS = 64;

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

/**
 * Misses in a dense chunk's range before the tree fills the whole chunk at once (wantsFill):
 * random point reads of a large table otherwise descend once per key, ~1 µs of cache misses
 * each, before the memo knows a key; one walk over the chunk's ≤ 4,096 entries costs about as
 * much as 30 such descents and answers every later read of the range.
 */
const FILL_AFTER_MISSES = 8;
/** wantsFill's mark for a chunk filled (until it is dropped). */
const FILLED = 255;

/** A key the dense part would hold (whether or not it is switched on). */
function denseKey(key: number): boolean {
  return key >>> 0 === key && key < DENSE_KEYS_BELOW;
}

export class NumberMemo {
  /**
   * `population`: how many keys the memoized tree holds (sparse() compares it with the span of
   * the keys seen); without it the memo judges only once its chunk budget is held.
   */
  constructor(private readonly population: (() => number) | null = null) {}

  /** Dense part: chunk c holds keys c·4096 … c·4096 + 4095 (see the header). */
  private chunks: (Float64Array | undefined)[] = [];
  /** Chunk numbers made, oldest first from `evictAt` (a ring once the budget is reached). */
  private held: number[] = [];
  private evictAt = 0;
  private denseCount = 0;
  private denseOn = true;
  /** Per chunk number: misses counted by wantsFill, or FILLED; null until the first miss. */
  private misses: Uint8Array | null = null;
  /** Lowest and highest chunk numbers made: the span the table's keys spread over. */
  private lowChunk = Infinity;
  private highChunk = -Infinity;
  /**
   * Hash part: slot s holds its key at 2s and its value at 2s + 1, so a hit reads one cache line
   * where keys and values in two arrays would cost a miss in each.
   */
  private slots = emptySlots(MIN_CAPACITY);
  private shift = 32 - Math.log2(MIN_CAPACITY);
  private count = 0;

  /** Entries held (both parts). */
  get size(): number {
    return this.count + this.denseCount;
  }

  /** @internal Chunks allocated so far (tests count them). */
  chunksMade = 0;

  /** @internal Bytes of slot arrays held: what the budgets bound (tests check them). */
  get bytes(): number {
    return this.held.length * CHUNK_SLOTS * 8 + this.slots.length * 8;
  }

  get(key: number): number | undefined {
    if (this.denseOn && denseKey(key)) {
      const chunk = this.chunks[key >>> CHUNK_BITS];
      if (chunk === undefined) return undefined;
      const v = chunk[key & CHUNK_MASK];
      return v === v ? v : undefined;
    }
    const slots = this.slots;
    const mask = (slots.length >>> 1) - 1;
    for (let s = this.home(key); ; s = (s + 1) & mask) {
      const k = slots[2 * s];
      if (k === key) return slots[2 * s + 1];
      if (k !== k) return undefined;
    }
  }

  /**
   * After get(key) missed: whether the caller should now put every entry of the key's chunk
   * range (chunkRange) — true once per chunk, at its FILL_AFTER_MISSES-th miss, and again only
   * after the chunk was dropped. Never for a key outside the dense part.
   */
  wantsFill(key: number): boolean {
    if (!this.denseOn || !denseKey(key)) return false;
    const c = key >>> CHUNK_BITS;
    const misses = (this.misses ??= new Uint8Array(DENSE_KEYS_BELOW >>> CHUNK_BITS));
    const m = misses[c];
    if (m === FILLED) return false;
    if (m + 1 < FILL_AFTER_MISSES) {
      misses[c] = m + 1;
      return false;
    }
    misses[c] = FILLED;
    return true;
  }

  /** The keys of `key`'s dense chunk: [first, last]. */
  chunkRange(key: number): [number, number] {
    const first = (key >>> CHUNK_BITS) << CHUNK_BITS;
    return [first, first + CHUNK_MASK];
  }

  set(key: number, value: number): void {
    if (this.denseOn && denseKey(key)) {
      const c = key >>> CHUNK_BITS;
      let chunk: Float64Array | null | undefined = this.chunks[c];
      if (chunk === undefined) {
        // With the budget held, one key does not make a chunk: random reads of a table past the
        // budget's 2M keys would otherwise drop and allocate a 32 KiB chunk for nearly every
        // read. Its chunk comes with a fill (setRun), once its range has missed often enough.
        // (Unless the keys prove too sparse for chunks: makeChunk then switches the part off.)
        if (this.held.length >= MAX_CHUNKS && !this.sparse()) return;
        chunk = this.makeChunk(c);
      }
      if (chunk !== null) {
        const i = key & CHUNK_MASK;
        if (chunk[i] !== chunk[i]) this.denseCount++;
        chunk[i] = value;
        return;
      }
      // makeChunk switched the dense part off: the key goes to the hash part below.
    }
    if (this.count >= HASH_LIMIT) this.clearHash();
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

  /**
   * set(keys[i], vals[i]) for i in [from, to): a leaf's run of one dense chunk's range, as a fill
   * (wantsFill) puts it, in one loop. Entries that are not whole-number keys of that chunk with
   * number values are left out, as the fill always did.
   */
  setRun(keys: readonly unknown[], vals: readonly unknown[], from: number, to: number): void {
    if (from >= to) return;
    const first = keys[from];
    if (typeof first !== 'number' || !this.denseOn || !denseKey(first)) return;
    const c = first >>> CHUNK_BITS;
    const chunk = this.chunks[c] ?? this.makeChunk(c);
    if (chunk === null) return;
    let added = 0;
    for (let j = from; j < to; j++) {
      const k = keys[j];
      const v = vals[j];
      if (typeof k !== 'number' || typeof v !== 'number' || k >>> 0 !== k || k >>> CHUNK_BITS !== c) continue;
      const i = k & CHUNK_MASK;
      if (chunk[i] !== chunk[i]) added++;
      chunk[i] = v;
    }
    this.denseCount += added;
  }

  delete(key: number): void {
    if (this.denseOn && denseKey(key)) {
      const chunk = this.chunks[key >>> CHUNK_BITS];
      if (chunk === undefined) return;
      const i = key & CHUNK_MASK;
      if (chunk[i] === chunk[i]) {
        chunk[i] = NaN;
        this.denseCount--;
      }
      return;
    }
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
    this.dropChunks();
    this.denseOn = true;
    this.clearHash();
  }

  private home(key: number): number {
    return homeSlot(key, this.shift);
  }

  /**
   * Whether the keys are too sparse for chunks: the chunks held are under 1/64 full on average
   * and, knowing the table's size, its keys spread over the span of chunk numbers seen would
   * leave them so. Random reads of a dense table (ids 1…1M in any order) touch many chunks with
   * a few keys each long before they fill them; judged by the fill alone after 64 chunks, they
   * switched the part off and the memo answered 1 point lookup in 8 at 1M rows.
   */
  private sparse(): boolean {
    const held = this.held.length;
    if (this.denseCount * 64 >= held * CHUNK_SLOTS) return false;
    if (this.population === null) return held >= MAX_CHUNKS;
    const span = this.highChunk - this.lowChunk + 1;
    return this.population() * 64 < span * CHUNK_SLOTS;
  }

  /**
   * A new empty chunk for chunk number `c`, dropping the oldest past the budget; null when the
   * keys proved too sparse for chunks (the dense part is then off and empty).
   */
  private makeChunk(c: number): Float64Array | null {
    const held = this.held;
    if (held.length >= SPARSE_CHECK_CHUNKS && this.sparse()) {
      this.dropChunks();
      this.denseOn = false;
      return null;
    }
    const chunks = this.chunks;
    while (chunks.length <= c) chunks.push(undefined);
    if (held.length >= MAX_CHUNKS) {
      const old = held[this.evictAt];
      const dropped = chunks[old] as Float64Array;
      for (let i = 0; i < CHUNK_SLOTS; i++) if (dropped[i] === dropped[i]) this.denseCount--;
      chunks[old] = undefined;
      if (this.misses !== null) this.misses[old] = 0;
      held[this.evictAt] = c;
      this.evictAt = (this.evictAt + 1) % MAX_CHUNKS;
    } else held.push(c);
    if (c < this.lowChunk) this.lowChunk = c;
    if (c > this.highChunk) this.highChunk = c;
    const chunk = new Float64Array(CHUNK_SLOTS).fill(NaN);
    chunks[c] = chunk;
    this.chunksMade++;
    return chunk;
  }

  private dropChunks(): void {
    this.chunks = [];
    this.misses = null;
    this.held = [];
    this.evictAt = 0;
    this.denseCount = 0;
    this.lowChunk = Infinity;
    this.highChunk = -Infinity;
  }

  private clearHash(): void {
    this.slots = emptySlots(MIN_CAPACITY);
    this.shift = 32 - Math.log2(MIN_CAPACITY);
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
