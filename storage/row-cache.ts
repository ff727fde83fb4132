/**
 * Decoded-row cache bounded by bytes, with CLOCK (second-chance) eviction: a hit only sets the
 * entry's reference bit, so hits — the inner loop of every scan — cost one Map lookup and never
 * reorder anything. When the budget is exceeded, entries are examined oldest first: referenced
 * ones lose their bit and move to the back, unreferenced ones are evicted.
 */
export interface CachedRow {
  collectionId: number;
  row: unknown[];
  /** Approximate size: the encoded frame length. */
  bytes: number;
  /** Reference bit for CLOCK; set on every hit. */
  ref?: boolean;
}

export class RowCache {
  private readonly map = new Map<number, CachedRow>();
  private total = 0;
  hits = 0;
  misses = 0;

  constructor(private readonly budgetBytes: number) {}

  get(location: number): CachedRow | undefined {
    const e = this.map.get(location);
    if (e === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    e.ref = true;
    return e;
  }

  set(location: number, entry: CachedRow): void {
    if (entry.bytes > this.budgetBytes / 4) return; // a huge row would flush everything else
    const old = this.map.get(location);
    if (old) this.total -= old.bytes;
    entry.ref = false;
    this.map.set(location, entry);
    this.total += entry.bytes;
    if (this.total > this.budgetBytes) this.evict();
  }

  /**
   * Insert only if the budget has room: what sequential scans use, so a scan over more rows than
   * fit does not evict the working set (and rows it does not keep die young, which is cheap to
   * collect) — the classic LRU-flooding problem.
   */
  offer(location: number, entry: CachedRow): void {
    if (this.total + entry.bytes > this.budgetBytes) return;
    this.set(location, entry);
  }

  /** Evict down to 90% of the budget so eviction runs in batches, not on every insert. */
  private evict(): void {
    const target = this.budgetBytes * 0.9;
    let second = 0;
    for (const [loc, e] of this.map) {
      if (this.total <= target) break;
      if (e.ref && second < this.map.size) {
        e.ref = false;
        this.map.delete(loc);
        this.map.set(loc, e);
        second++;
        continue;
      }
      this.map.delete(loc);
      this.total -= e.bytes;
    }
  }

  /** Forget every row at or after `location` (after a truncation reuses those offsets). */
  dropFrom(location: number): void {
    for (const [loc, e] of this.map) {
      if (loc >= location) {
        this.map.delete(loc);
        this.total -= e.bytes;
      }
    }
  }

  clear(): void {
    this.map.clear();
    this.total = 0;
  }

  get size(): number {
    return this.map.size;
  }

  get bytes(): number {
    return this.total;
  }
}
