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
 * Frames come in with their checksums verified (storage/row-reader.ts copies them after its own
 * check) and are immutable: a location names one frame until a compaction replaces the file,
 * when the reader clears everything.
 */
import { homeSlot } from './number-memo';

const EMPTY = -1;
const MIN_CAPACITY = 1024;
const MAX_SLAB = 1 << 20;
const MIN_SLAB = 64 << 10;
/** Bytes of one table slot: the location and the address, two float64s. */
const SLOT_BYTES = 16;
/** The table may take at most 1/TABLE_SHARE of the budget (a power of two of slots within it). */
const TABLE_SHARE = 4;

export class RecordArena {
  private readonly slabBytes: number;
  private readonly slabCount: number;
  /** The table's most slots (at most a quarter of the budget), reserved beside the slabs. */
  private readonly maxCapacity: number;
  /** The slabs held, oldest first: ring[i] holds slab number first + i. */
  private readonly ring: Buffer[] = [];
  private first = 0;
  private keys!: Float64Array;
  private addrs!: Float64Array;
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
  constructor(budgetBytes: number) {
    let slab = MAX_SLAB;
    while (slab > MIN_SLAB && slab * 16 > budgetBytes) slab >>= 1;
    this.slabBytes = slab;
    let capacity = MIN_CAPACITY;
    while (capacity * 2 * SLOT_BYTES * TABLE_SHARE <= budgetBytes) capacity *= 2;
    this.maxCapacity = capacity;
    this.slabCount = Math.floor((budgetBytes - capacity * SLOT_BYTES) / slab);
    this.allocate(MIN_CAPACITY);
  }

  private allocate(capacity: number): void {
    this.keys = new Float64Array(capacity).fill(EMPTY);
    this.addrs = new Float64Array(capacity);
    this.shift = 32 - Math.log2(capacity);
    this.filled = 0;
  }

  /** The most frame bytes the slabs can hold. */
  get capacityBytes(): number {
    return this.slabCount * this.slabBytes;
  }

  /** The bytes held: slabs allocated and the table. */
  get bytes(): number {
    return this.ring.length * this.slabBytes + this.keys.length * SLOT_BYTES;
  }

  /** Frames that can be found (tests count them). */
  get size(): number {
    let n = 0;
    const start = this.first * this.slabBytes;
    for (let s = 0; s < this.keys.length; s++) if (this.keys[s] !== EMPTY && this.addrs[s] >= start) n++;
    return n;
  }

  /**
   * The offset in `this.buf` of the frame stored for `location`, or -1. The frame's length is in
   * its own header.
   */
  find(location: number): number {
    const keys = this.keys;
    const mask = keys.length - 1;
    for (let s = homeSlot(location, this.shift); ; s = (s + 1) & mask) {
      const k = keys[s];
      if (k === location) {
        const addr = this.addrs[s];
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
        for (let i = k + 1; i < j; i++) this.insert(locations[i], addr + locations[i] - start);
        this.end = addr + endOf(j - 1) - start;
      } else
        for (let i = k + 1; i < j; i++)
          this.put(locations[i], src, at + locations[i] - first, endOf(i) - locations[i]);
      k = j;
    }
  }

  private insert(location: number, addr: number): void {
    const keys = this.keys;
    const mask = keys.length - 1;
    for (let s = homeSlot(location, this.shift); ; s = (s + 1) & mask) {
      const k = keys[s];
      if (k === location) {
        this.addrs[s] = addr;
        return;
      }
      if (k === EMPTY) {
        keys[s] = location;
        this.addrs[s] = addr;
        this.filled++;
        break;
      }
    }
    if (this.filled * 4 > keys.length * 3) this.rehash();
  }

  /**
   * Rebuild the table without stale entries (it is rebuilt when 3/4 full: linear probes stay
   * short, and a slot costs 16 bytes a frame of ~200 shares): twice as large when more than half
   * is live. At its largest, the oldest slabs are dropped until at most 5/8 of it is live (many
   * small frames).
   */
  private rehash(room = 0): void {
    const { keys, addrs } = this;
    const live = (): number => {
      const start = this.first * this.slabBytes;
      let n = 0;
      for (let s = 0; s < keys.length; s++) if (keys[s] !== EMPTY && addrs[s] >= start) n++;
      return n;
    };
    let count = live();
    const grow = count * 2 > keys.length && keys.length < this.maxCapacity;
    let dropped = false;
    if (!grow)
      while (count * 8 > keys.length * 5 && this.ring.length > 0) {
        this.ring.shift();
        this.first++;
        dropped = true;
        count = live();
      }
    let capacity = grow ? keys.length * 2 : keys.length;
    // Room asked for (putAdjacent): grown at once rather than doubling again and again on the way.
    while ((count + room) * 4 > capacity * 3 && capacity < this.maxCapacity) capacity *= 2;
    const start = this.first * this.slabBytes;
    this.allocate(capacity);
    const mask = capacity - 1;
    for (let i = 0; i < keys.length; i++) {
      if (keys[i] === EMPTY || addrs[i] < start) continue;
      let s = homeSlot(keys[i], this.shift);
      while (this.keys[s] !== EMPTY) s = (s + 1) & mask;
      this.keys[s] = keys[i];
      this.addrs[s] = addrs[i];
    }
    this.filled = count;
    if (capacity !== keys.length || dropped) this.onResize(this.bytes);
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
