/**
 * LRU of lowered statements keyed by SQL text. An entry remembers the catalog version it was
 * lowered against; after any DDL (the engine bumps the version) it is stale and re-lowered, so a
 * cached statement never refers to a dropped column or misses a new index.
 */
import type { LoweredStatement } from './ir';

export class StatementCache {
  private readonly map = new Map<string, { version: number; stmt: LoweredStatement }>();
  hits = 0;
  misses = 0;

  constructor(private readonly capacity = 256) {}

  get(sql: string, catalogVersion: number): LoweredStatement | undefined {
    const e = this.map.get(sql);
    if (!e || e.version !== catalogVersion) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    // Refresh recency: Map iteration order is insertion order, so re-insert at the back.
    this.map.delete(sql);
    this.map.set(sql, e);
    return e.stmt;
  }

  set(sql: string, catalogVersion: number, stmt: LoweredStatement): void {
    this.map.delete(sql);
    this.map.set(sql, { version: catalogVersion, stmt });
    while (this.map.size > this.capacity) {
      const oldest = this.map.keys().next().value as string;
      this.map.delete(oldest);
    }
  }

  clear(): void {
    this.map.clear();
  }

  get size(): number {
    return this.map.size;
  }
}
