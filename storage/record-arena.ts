/**
 * Committed record frames kept as bytes, behind the decoded-row cache: a row the row cache does
 * not hold is decoded from here instead of read from the file again. It plays the part SQLite's
 * page cache and memory map play for it — a table too large to keep decoded is still read from
 * memory — at a fraction of a decoded row's cost: the bench's item takes ~210 bytes here against
 * ~460 decoded, so the same budget holds more than twice the rows.
 *
 * Measured before it was built (issue 15, 1M items, `WHERE qty = ?`, 1,000 rows a query): 43 % of
 * the rows missed the decoded cache, and each miss cost a positional read (0.8 µs alone, more in
 * a busy process) plus the decode. A miss served from here costs the decode only.
 *
 * Layout: slabs of equal size filled in order; a frame never straddles two. Frames are named by a
 * running byte address (`end` grows without bound; address a lives in slab floor(a / slabBytes),
 * held as ring[that - first]): making room drops the oldest slab whole, so eviction is FIFO in
 * slab steps and costs nothing per frame. The table maps a location to its frame's address; an
 * address in a dropped slab is stale and reads as absent, and stale entries are dropped when the
 * table is rebuilt. FIFO rather than CLOCK because rows used often are held decoded by the row
 * cache above; this tier only has to hold many. It takes another slab only while mayGrow() says
 * so (the row reader: while the decoded cache misses often), else reuses its oldest.
 *
 * The table's slot is 8 bytes where it can be (issue 15: at 1M items a 16-byte slot took 32 MiB
 * of the 224 a 256 MiB budget gives the arena, and ~7 % of the frames no longer fit): the key is
 * the location + 1 in a Uint32 (0 is an empty slot) while locations stay below 4 GiB, and the
 * address is kept modulo 2^32 and read back as the one address below `end` with those low bits.
 * That is exact while every entry is younger than 2^32 bytes of puts: live entries are (the slabs
 * span less than a quarter of 2^32 bytes), and stale ones are dropped by a rebuild of the table
 * once `end` has moved a quarter of 2^32 past the last rebuild (insert). A file past 4 GiB widens
 * the keys to float64s; a budget whose slabs could span more keeps float64 addresses.
 *
 * Frames come in with their checksums verified (storage/row-reader.ts copies them after its own
 * check) and are immutable: a location names one frame until a compaction replaces the file,
 * when the reader clears everything.
 */
import { homeSlot } from './number-memo';

/** A slot's key: the location + 1, so that 0 (what a new typed array holds) marks it empty. */
const EMPTY = 0;
const MIN_CAPACITY = 1024;
const MAX_SLAB = 1 << 20;
const MIN_SLAB = 64 << 10;
/**
 * The table has at most one slot per BUDGET_PER_SLOT bytes of the budget (a power of two of them;
 * rebuilt at 3/4 full, so a full table indexes frames of ~85 bytes and more on average).
 */
const BUDGET_PER_SLOT = 64;
/** Keys at or past this go in float64s: a Uint32 holds location + 1 below it. */
const NARROW_KEY_LIMIT = 2 ** 32 - 1;

/** Test seams: a smaller address modulus than 2^32 makes wrap-arounds cheap to reach. */
export interface RecordArenaOptions {
  /** Addresses are kept modulo 2^addressBits (8 to 32; default 32). */
  addressBits?: number;
}

export class RecordArena {
  private readonly slabBytes: number;
  private readonly slabCount: number;
  /** The table's most slots (at most a quarter of the budget), reserved beside the slabs. */
  private readonly maxCapacity: number;
  /** The slabs held, oldest first: ring[i] holds slab number first + i. */
  private readonly ring: Buffer[] = [];
  private first = 0;
  private keys!: Uint32Array | Float64Array;
  private addrs!: Uint32Array | Float64Array;
  /** Whether addresses are kept whole (float64) rather than modulo 2^addressBits. */
  private readonly wideAddrs: boolean;
  private wideKeys = false;
  /** 2^addressBits - 1 as an int32 mask (-1 for 32 bits). */
  private readonly addrMask: number;
  /**
   * How far `end` may move between two rebuilds of the table: a quarter of the modulus (no limit
   * for whole addresses).
   */
  private readonly purgeSpan: number;
  /** `end` when the table was last rebuilt (no stale entry in it is older than that, less a ring). */
  private purgedAt = 0;
  private shift = 0;
  private filled = 0;
  /** The next frame's address (addresses below first * slabBytes are stale). */
  private end = 0;
  /** The slab the last find() hit (read its frame at the offset find() returned). */
  buf: Buffer = Buffer.alloc(0);
  hits = 0;
  misses = 0;
  /** Called with the bytes held whenever that changes (the row cache gives up as much). */
  onResize: (bytes: number) => void = () => {};
  /**
   * Asked before another slab is taken (up to the budget); when it says no, the oldest slab is
   * reused instead. The row reader answers from the decoded cache's recent misses.
   */
  mayGrow: () => boolean = () => true;

  /** `budgetBytes`: the most held (slabs and table); below two minimal slabs, nothing is kept. */
  constructor(budgetBytes: number, options: RecordArenaOptions = {}) {
    const bits = options.addressBits ?? 32;
    if (!Number.isInteger(bits) || bits < 8 || bits > 32) throw new RangeError('addressBits: 8 to 32');
    let slab = MAX_SLAB;
    while (slab > MIN_SLAB && slab * 16 > budgetBytes) slab >>= 1;
    this.slabBytes = slab;
    let capacity = MIN_CAPACITY;
    while (capacity * 2 * BUDGET_PER_SLOT <= budgetBytes) capacity *= 2;
    this.maxCapacity = capacity;
    const span = 2 ** bits / 4;
    this.addrMask = bits === 32 ? -1 : 2 ** bits - 1;
    // Narrow addresses need every live one within a quarter of the modulus of `end` (see above).
    const narrowSlabs = Math.floor((budgetBytes - capacity * 8) / slab);
    this.wideAddrs = (narrowSlabs + 2) * slab > span;
    // Whole addresses never alias: their stale slots wait for a rebuild for fullness.
    this.purgeSpan = this.wideAddrs ? Infinity : span;
    const slotBytes = this.wideAddrs ? 12 : 8;
    this.slabCount = Math.floor((budgetBytes - capacity * slotBytes) / slab);
    this.allocate(MIN_CAPACITY);
  }

  private allocate(capacity: number): void {
    this.keys = this.wideKeys ? new Float64Array(capacity) : new Uint32Array(capacity);
    this.addrs = this.wideAddrs ? new Float64Array(capacity) : new Uint32Array(capacity);
    this.shift = 32 - Math.log2(capacity);
    this.filled = 0;
    this.purgedAt = this.end;
  }

  /** The whole address of a slot's `stored` one: itself, or the latest below `end` it names. */
  private addressOf(stored: number): number {
    return this.wideAddrs ? stored : this.end - (((this.end - stored) & this.addrMask) >>> 0);
  }

  /** Bytes of one table slot: 8, or 12 / 16 with float64 addresses or keys. */
  get slotBytes(): number {
    return this.keys.BYTES_PER_ELEMENT + this.addrs.BYTES_PER_ELEMENT;
  }

  /** The most frame bytes the slabs can hold. */
  get capacityBytes(): number {
    return this.slabCount * this.slabBytes;
  }

  /** The bytes held: slabs allocated and the table. */
  get bytes(): number {
    return this.ring.length * this.slabBytes + this.keys.length * this.slotBytes;
  }

  /** Frames that can be found (tests count them). */
  get size(): number {
    let n = 0;
    const start = this.first * this.slabBytes;
    for (let s = 0; s < this.keys.length; s++)
      if (this.keys[s] !== EMPTY && this.addressOf(this.addrs[s]) >= start) n++;
    return n;
  }

  /**
   * The offset in `this.buf` of the frame stored for `location`, or -1. The frame's length is in
   * its own header.
   */
  find(location: number): number {
    const keys = this.keys;
    const mask = keys.length - 1;
    const key = location + 1;
    for (let s = homeSlot(location, this.shift); ; s = (s + 1) & mask) {
      const k = keys[s];
      if (k === key) {
        const addr = this.addressOf(this.addrs[s]);
        const index = Math.floor(addr / this.slabBytes) - this.first;
        if (index < 0) break;
        this.hits++;
        this.buf = this.ring[index];
        return addr % this.slabBytes;
      }
      if (k === EMPTY) break;
    }
    this.misses++;
    return -1;
  }

  /** Keep the frame `src[at, at + length)` read from `location`. */
  put(location: number, src: Buffer, at: number, length: number): void {
    if (this.slabCount < 2 || length > this.slabBytes / 8) return; // a huge frame would flush the ring
    const slabBytes = this.slabBytes;
    const ring = this.ring;
    let addr = Math.max(this.end, this.first * slabBytes);
    if ((addr % slabBytes) + length > slabBytes) addr = Math.ceil(addr / slabBytes) * slabBytes;
    const slab = Math.floor(addr / slabBytes);
    if (ring.length === 0) this.first = slab;
    if (slab - this.first === ring.length) {
      // The next slab: a new one while the budget and mayGrow allow, else the oldest reused.
      if (ring.length === 0 || (ring.length < this.slabCount && this.mayGrow())) {
        ring.push(Buffer.allocUnsafeSlow(slabBytes));
        this.onResize(this.bytes);
      } else {
        ring.push(ring.shift() as Buffer);
        this.first++;
      }
    }
    src.copy(ring[slab - this.first], addr % slabBytes, at, at + length);
    this.end = addr + length;
    this.insert(location, addr);
  }

  /**
   * put() for frames lying back to back: frame k of `locations[from, to)` starts at `src[at +
   * locations[k] - locations[from]]` and the last ends at `src[end]` (a committed transaction's
   * frames, keepCommitted). They are copied a slab's worth at a time instead of one call per
   * frame (a bulk load keeps ~200 MB of them; see docs/performance.md).
   */
  putAdjacent(
    locations: readonly number[],
    from: number,
    to: number,
    src: Buffer,
    at: number,
    end: number,
  ): void {
    const slabBytes = this.slabBytes;
    const first = locations[from];
    /** The location just past frame i. */
    const endOf = (i: number): number => (i + 1 < to ? locations[i + 1] : first + end - at);
    // At most what the slabs can hold comes in (the smallest frames a commit has: 20 bytes).
    const coming = Math.min(to - from, Math.floor((this.slabCount * slabBytes) / 64));
    if ((this.filled + coming) * 4 > this.keys.length * 3 && this.keys.length < this.maxCapacity)
      this.rehash(coming);
    let k = from;
    while (k < to) {
      const start = locations[k];
      const length = endOf(k) - start;
      if (this.slabCount < 2 || length > slabBytes / 8) {
        k++; // put() would not keep it either
        continue;
      }
      // The slab put() will place frame k in, and the longest run from k that fits in its rest.
      let addr = Math.max(this.end, this.first * slabBytes);
      if ((addr % slabBytes) + length > slabBytes) addr = Math.ceil(addr / slabBytes) * slabBytes;
      const room = slabBytes - (addr % slabBytes);
      let j = k + 1;
      while (j < to && endOf(j) - start <= room && endOf(j) - locations[j] <= slabBytes / 8) j++;
      this.put(start, src, at + start - first, length);
      // The rest of the run follows frame k in that slab in one copy — unless the table's rebuild
      // in put() dropped the slab (a table full of tiny frames): then they go one by one.
      const slab = this.ring[Math.floor(addr / slabBytes) - this.first];
      if (j > k + 1 && slab !== undefined && this.end === addr + length) {
        const off = (addr % slabBytes) + length;
        src.copy(slab, off, at + endOf(k) - first, at + endOf(j - 1) - first);
        // `end` first: a rebuild inside insert() reads the addresses relative to it.
        this.end = addr + endOf(j - 1) - start;
        for (let i = k + 1; i < j; i++) this.insert(locations[i], addr + locations[i] - start);
      } else
        for (let i = k + 1; i < j; i++)
          this.put(locations[i], src, at + locations[i] - first, endOf(i) - locations[i]);
      k = j;
    }
  }

  /** Map `location` to `addr` (below `end`); a Uint32 slot keeps the address's low 32 bits. */
  private insert(location: number, addr: number): void {
    if (location >= NARROW_KEY_LIMIT && !this.wideKeys) this.widenKeys();
    const keys = this.keys;
    const mask = keys.length - 1;
    const key = location + 1;
    let s = homeSlot(location, this.shift);
    for (; keys[s] !== key; s = (s + 1) & mask) {
      if (keys[s] === EMPTY) {
        keys[s] = key;
        this.filled++;
        break;
      }
    }
    this.addrs[s] = this.wideAddrs ? addr : addr & this.addrMask;
    if (this.filled * 4 > keys.length * 3) this.rehash();
    else if (this.end - this.purgedAt > this.purgeSpan) this.rehash(0, true);
  }

  /** Keys to float64s: a location past 4 GiB came (the slots' positions do not change). */
  private widenKeys(): void {
    this.wideKeys = true;
    this.keys = Float64Array.from(this.keys);
    this.onResize(this.bytes);
  }

  /**
   * Rebuild the table without stale entries (it is rebuilt when 3/4 full: linear probes stay
   * short, and a slot costs 8 bytes a frame of ~200 shares): twice as large when more than half
   * is live. At its largest, the oldest slabs are dropped until at most 5/8 of it is live (many
   * small frames). `purge`: only drop the stale entries, at the same size (insert).
   */
  private rehash(room = 0, purge = false): void {
    const { keys, addrs, slabBytes } = this;
    // Live entries counted per slab in one pass (stored addresses are read against `end`, which
    // does not move here): dropping slabs then costs nothing per slab. Counting all of them again
    // after each slab dropped took 120-170 ms a rebuild at 2M slots.
    const perSlab = new Int32Array(this.ring.length);
    const start0 = this.first * slabBytes;
    let count = 0;
    for (let s = 0; s < keys.length; s++) {
      if (keys[s] === EMPTY) continue;
      const addr = this.addressOf(addrs[s]);
      if (addr < start0) continue;
      perSlab[Math.floor((addr - start0) / slabBytes)]++;
      count++;
    }
    const grow = !purge && count * 2 > keys.length && keys.length < this.maxCapacity;
    let dropped = 0;
    if (!grow && !purge)
      while (count * 8 > keys.length * 5 && dropped < perSlab.length) count -= perSlab[dropped++];
    if (dropped > 0) {
      this.ring.splice(0, dropped);
      this.first += dropped;
    }
    let capacity = grow ? keys.length * 2 : keys.length;
    // Room asked for (putAdjacent): grown at once rather than doubling again and again on the way.
    while ((count + room) * 4 > capacity * 3 && capacity < this.maxCapacity) capacity *= 2;
    const start = this.first * slabBytes;
    this.allocate(capacity);
    const mask = capacity - 1;
    for (let i = 0; i < keys.length; i++) {
      if (keys[i] === EMPTY || this.addressOf(addrs[i]) < start) continue;
      let s = homeSlot(keys[i] - 1, this.shift);
      while (this.keys[s] !== EMPTY) s = (s + 1) & mask;
      this.keys[s] = keys[i];
      this.addrs[s] = addrs[i];
    }
    this.filled = count;
    if (capacity !== keys.length || dropped > 0) this.onResize(this.bytes);
  }

  /** Forget every frame and give the memory back (the file's locations changed). */
  clear(): void {
    this.ring.length = 0;
    this.first = 0;
    this.end = 0;
    this.buf = Buffer.alloc(0);
    this.allocate(MIN_CAPACITY);
    this.onResize(this.bytes);
  }
}
