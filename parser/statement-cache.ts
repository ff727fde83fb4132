/**
 * LRU of lowered statements keyed by SQL text. An entry remembers the catalog version it was
 * lowered against; after any DDL (the engine bumps the version) it is stale and re-lowered, so a
 * cached statement never refers to a dropped column or misses a new index.
 */
import type { LoweredStatement } from './ir';

export class StatementCache {
  private readonly map = new Map<string, { version: number; stmt: LoweredStatement }>();
  private readonly capacity: number;
  /** The most recently used entry (the last in the map's order). */
  private newest: { version: number; stmt: LoweredStatement } | null = null;
  hits = 0;
  misses = 0;

  constructor(capacity = 256) {
    // A negative or fractional size would make the eviction loop below meaningless.
    this.capacity = Number.isFinite(capacity) ? Math.max(0, Math.floor(capacity)) : 256;
  }

  get(sql: string, catalogVersion: number): LoweredStatement | undefined {
    const e = this.map.get(sql);
    if (!e || e.version !== catalogVersion) {
      // A stale entry can never be used again (versions only grow): free it now.
      if (e) this.map.delete(sql);
      this.misses++;
      return undefined;
    }
    this.hits++;
    // Map iteration order is insertion order: re-inserting marks the entry most recently used.
    // A statement run again and again (executeMany, loops) already is: skip the two map writes.
    if (e !== this.newest) {
      this.map.delete(sql);
      this.map.set(sql, e);
      this.newest = e;
    }
    return e.stmt;
  }

  set(sql: string, catalogVersion: number, stmt: LoweredStatement): void {
    this.map.delete(sql);
    if (this.capacity === 0) return;
    const e = { version: catalogVersion, stmt };
    this.map.set(sql, e);
    this.newest = e;
    for (const oldest of this.map.keys()) {
      if (this.map.size <= this.capacity) break;
      this.map.delete(oldest);
    }
  }

  clear(): void {
    this.map.clear();
    this.newest = null;
  }

  get size(): number {
    return this.map.size;
  }
}
