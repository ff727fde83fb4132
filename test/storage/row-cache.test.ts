/** The row cache stays within its byte budget and keeps recently used rows (second chance). */
import { RowCache } from '../../storage/row-cache';

const entry = (bytes: number) => ({ collectionId: 1, row: [bytes], bytes });

describe('row cache', () => {
  test('never exceeds its budget', () => {
    const cache = new RowCache(10_000);
    for (let i = 0; i < 5_000; i++) {
      cache.set(i, entry(100));
      expect(cache.bytes).toBeLessThanOrEqual(10_000);
    }
    expect(cache.size).toBeLessThanOrEqual(100);
    expect(cache.size).toBeGreaterThan(50);
  });

  test('a referenced row survives eviction that removes unreferenced ones', () => {
    const cache = new RowCache(1_000);
    for (let i = 0; i < 10; i++) cache.set(i, entry(100));
    expect(cache.get(0)).toBeDefined(); // oldest, but referenced
    cache.set(10, entry(100)); // over budget: evicts the oldest unreferenced entries
    expect(cache.get(0)).toBeDefined();
    expect(cache.get(1)).toBeUndefined();
    expect(cache.hits).toBe(2);
    expect(cache.misses).toBe(1);
  });

  test('rows larger than a quarter of the budget are not cached; dropFrom forgets a range', () => {
    const cache = new RowCache(1_000);
    cache.set(1, entry(300));
    expect(cache.get(1)).toBeUndefined();
    cache.set(5, entry(10));
    cache.set(50, entry(10));
    cache.dropFrom(10);
    expect(cache.get(5)).toBeDefined();
    expect(cache.get(50)).toBeUndefined();
    expect(cache.bytes).toBe(10);
  });
});
