/**
 * Decoded rows memoized beside the primary-key leaves a scan walks. The row cache answers "which
 * row lives at location L" with a hash lookup per row; a scan already holds the leaf and the
 * entry's index in it, so here each leaf gets a small array of (location, row) slots and a warm
 * scan finds its row by index — one WeakMap lookup per leaf (~64 rows) instead of one hash lookup
 * per row.
 *
 * Why no invalidation is needed: a slot is used only when its location equals the entry's, and a
 * location always names the same immutable row (rows are never rewritten in place; offsets reused
 * after a truncation or a compaction are handled by clear()). A leaf changed in place (inserts in
 * the writer's own nodes) at worst turns some slots into misses.
 *
 * Memory: slots are kept per leaf in arrival order and whole leaves are dropped oldest first once
 * the rows they hold exceed the budget. Leaves are held weakly, so a leaf of a finished snapshot
 * takes its slots with it.
 */
import type { ScanPosition } from './row-readers';

interface LeafSlots {
  locations: number[];
  rows: unknown[][];
  bytes: number;
  /** In `order` (false once evicted: the next set() queues it again). */
  queued: boolean;
}

export class ScanMemo {
  private slots = new WeakMap<object, LeafSlots>();
  /** Leaves with slots, oldest first (strong references to the slots only, never to the leaf). */
  private order: LeafSlots[] = [];
  private head = 0;
  private total = 0;
  private lastLeaf: object | null = null;
  private lastSlots: LeafSlots | undefined = undefined;

  constructor(private readonly budgetBytes: number) {}

  private slotsOf(leaf: object): LeafSlots | undefined {
    if (leaf !== this.lastLeaf) {
      this.lastLeaf = leaf;
      this.lastSlots = this.slots.get(leaf);
    }
    return this.lastSlots;
  }

  get(at: ScanPosition): unknown[] | undefined {
    const leaf = at.leaf;
    if (leaf === null) return undefined;
    const s = this.slotsOf(leaf);
    if (s === undefined || s.locations[at.position] !== at.value) return undefined;
    return s.rows[at.position];
  }

  set(at: ScanPosition, row: unknown[], bytes: number): void {
    const leaf = at.leaf;
    if (leaf === null || bytes > this.budgetBytes / 4) return;
    let s = this.slotsOf(leaf);
    if (s === undefined) {
      s = { locations: [], rows: [], bytes: 0, queued: false };
      this.slots.set(leaf, s);
      this.lastSlots = s;
    }
    if (!s.queued) {
      s.queued = true;
      this.order.push(s);
    }
    if (s.locations[at.position] === at.value) return;
    s.locations[at.position] = at.value;
    s.rows[at.position] = row;
    s.bytes += bytes;
    this.total += bytes;
    if (this.total > this.budgetBytes) this.evict();
  }

  /** Drop whole leaves, oldest first, down to 90% of the budget (so eviction runs in batches). */
  private evict(): void {
    const target = this.budgetBytes * 0.9;
    while (this.total > target && this.head < this.order.length) {
      const s = this.order[this.head++];
      this.total -= s.bytes;
      s.locations = [];
      s.rows = [];
      s.bytes = 0;
      s.queued = false;
    }
    if (this.head > 1024 && this.head * 2 > this.order.length) {
      this.order = this.order.slice(this.head);
      this.head = 0;
    }
  }

  /** Forget everything (locations are about to name other rows). */
  clear(): void {
    this.slots = new WeakMap();
    this.order = [];
    this.head = 0;
    this.total = 0;
    this.lastLeaf = null;
    this.lastSlots = undefined;
  }

  /** Bytes of rows held (tests). */
  get bytes(): number {
    return this.total;
  }
}
