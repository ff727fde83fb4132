/**
 * Committed bytes of the file in fixed 32 KiB blocks, for the point reads of records
 * (RowReader.readRow): a row not in the decoded-row cache is decoded from a block in memory
 * instead of costing a system call. At 1M rows, reads through an index (`qty = ?`, ~1,000 rows
 * from anywhere in the file) spent half their time in `pread` of 1 KiB each.
 *
 * Only whole blocks below the durable end are kept: the log is append-only, so committed bytes
 * never change (the superblocks, rewritten at checkpoints, live in block 0, which is never kept).
 * A block is read whole only the second time a read lands in it (the first is read as before,
 * 1 KiB), and once the budget is full only while blocks pay for their reads: reading 32 KiB costs
 * about what four 1 KiB reads do, so each block read spends READ_COST credits and each hit earns
 * one. A file far larger than the budget, read at random, would otherwise pay 32 KiB per row
 * for blocks evicted before their next use. Eviction is CLOCK; an evicted block's buffer is reused
 * for the next one. Records are still
 * checksummed at each decode. Bound to one file: a compaction or re-attach (a new store)
 * empties it.
 */
import type { ByteStore } from './byte-store';

export const BLOCK_BYTES = 32 << 10;
/** Credits a block read spends once the budget is full (a hit earns one). */
const READ_COST = 4;
const SLAB_BLOCKS = 32;

/** Blocks read, hits and first touches (tests count the work with these). */
export const blockCacheStats = { hits: 0, reads: 0, firstTouches: 0 };

export class BlockCache {
  private store: ByteStore | null = null;
  private readonly capacity: number;
  private readonly slot = new Map<number, number>();
  private buffers: Buffer[] = [];
  private slab = Buffer.alloc(0);
  private blockOf: number[] = [];
  private ref = new Uint8Array(0);
  private hand = 0;
  /** One bit per block: read once already (the next read keeps it). */
  private touched = new Uint8Array(0);
  /** Hits earned minus reads spent since the budget filled (see the header), capped. */
  private credit = 0;

  constructor(budgetBytes: number) {
    this.capacity = Math.max(0, Math.floor(budgetBytes / BLOCK_BYTES));
    this.ref = new Uint8Array(this.capacity);
  }

  /** Forget every block (the file's bytes at the same offsets may differ from now on). */
  clear(): void {
    this.slot.clear();
    this.buffers = [];
    this.slab = Buffer.alloc(0);
    this.blockOf = [];
    this.hand = 0;
    this.touched = new Uint8Array(0);
    this.credit = 0;
  }

  /**
   * The kept block holding `location` (its buffer starts at `start`), reading it into memory on
   * its second touch; null when it is not kept (the caller reads the file itself).
   */
  block(store: ByteStore, location: number, durableEnd: number): { buf: Buffer; start: number } | null {
    if (this.capacity === 0) return null;
    if (store !== this.store) {
      this.clear();
      this.store = store;
    }
    const b = Math.floor(location / BLOCK_BYTES);
    const start = b * BLOCK_BYTES;
    if (b === 0 || start + BLOCK_BYTES > durableEnd) return null;
    const s = this.slot.get(b);
    if (s !== undefined) {
      blockCacheStats.hits++;
      if (this.credit < this.capacity * READ_COST) this.credit++;
      this.ref[s] = 1;
      return { buf: this.buffers[s], start };
    }
    if (!this.touch(b)) return null;
    const full = this.buffers.length >= this.capacity;
    if (full && this.credit < READ_COST) return null;
    if (full) this.credit -= READ_COST;
    const at = this.place();
    const buf = this.buffers[at];
    if (store.readInto(buf, 0, BLOCK_BYTES, start) !== BLOCK_BYTES) {
      // A short read: the slot stays empty (its buffer is reused by the next block).
      this.blockOf[at] = -1;
      return null;
    }
    blockCacheStats.reads++;
    this.blockOf[at] = b;
    this.slot.set(b, at);
    this.ref[at] = 1;
    return { buf, start };
  }

  /** Whether block `b` was touched before; marks it touched. */
  private touch(b: number): boolean {
    const byte = b >> 3;
    if (byte >= this.touched.length) {
      const grown = new Uint8Array(Math.max(byte + 1, this.touched.length * 2));
      grown.set(this.touched);
      this.touched = grown;
    }
    const bit = 1 << (b & 7);
    if ((this.touched[byte] & bit) !== 0) return true;
    this.touched[byte] |= bit;
    blockCacheStats.firstTouches++;
    return false;
  }

  /** A free slot: a new one while under capacity, else the CLOCK's victim (unmapped). */
  private place(): number {
    if (this.buffers.length < this.capacity) {
      // Blocks are cut from 1 MiB slabs: one external allocation per 32 blocks (each one counts
      // towards V8's external-memory pressure, which schedules collections).
      const k = this.buffers.length % SLAB_BLOCKS;
      if (k === 0)
        this.slab = Buffer.allocUnsafeSlow(
          BLOCK_BYTES * Math.min(SLAB_BLOCKS, this.capacity - this.buffers.length),
        );
      this.buffers.push(this.slab.subarray(k * BLOCK_BYTES, (k + 1) * BLOCK_BYTES));
      this.blockOf.push(-1);
      return this.buffers.length - 1;
    }
    for (;;) {
      const at = this.hand;
      this.hand = (at + 1) % this.capacity;
      if (this.ref[at] === 1) {
        this.ref[at] = 0;
        continue;
      }
      const old = this.blockOf[at];
      if (old >= 0) this.slot.delete(old);
      this.blockOf[at] = -1;
      return at;
    }
  }
}
