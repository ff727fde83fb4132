/**
 * Decoded-row cache bounded by bytes. Two generations instead of a strict LRU list: a hit in the
 * old generation promotes the row, and when the young generation fills half the budget the old
 * one is dropped whole. That keeps hits to one or two Map lookups with no list splicing, and the
 * bound holds (young + old never exceed the budget).
 */
export interface CachedRow {
  collectionId: number;
  row: unknown[];
  /** Approximate size: the encoded frame length. */
  bytes: number;
}

export class RowCache {
  private young = new Map<number, CachedRow>();
  private old = new Map<number, CachedRow>();
  private youngBytes = 0;
  hits = 0;
  misses = 0;

  constructor(private readonly budgetBytes: number) {}

  get(location: number): CachedRow | undefined {
    const y = this.young.get(location);
    if (y) {
      this.hits++;
      return y;
    }
    const o = this.old.get(location);
    if (o) {
      this.hits++;
      this.old.delete(location);
      this.insert(location, o);
      return o;
    }
    this.misses++;
    return undefined;
  }

  set(location: number, entry: CachedRow): void {
    if (entry.bytes > this.budgetBytes / 4) return; // a huge row would flush everything else
    this.insert(location, entry);
  }

  private insert(location: number, entry: CachedRow): void {
    this.young.set(location, entry);
    this.youngBytes += entry.bytes;
    if (this.youngBytes > this.budgetBytes / 2) {
      this.old = this.young;
      this.young = new Map();
      this.youngBytes = 0;
    }
  }

  /** Forget every row at or after `location` (after a truncation reuses those offsets). */
  dropFrom(location: number): void {
    for (const gen of [this.young, this.old]) {
      for (const key of gen.keys()) if (key >= location) gen.delete(key);
    }
  }

  clear(): void {
    this.young.clear();
    this.old.clear();
    this.youngBytes = 0;
  }

  get size(): number {
    return this.young.size + this.old.size;
  }
}
