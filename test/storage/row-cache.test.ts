/** The row cache stays within its byte budget and keeps recently used rows (second chance). */
import { RowCache } from '../../storage/row-cache';
import fc from 'fast-check';

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

/** The CLOCK policy the table implements, written over a Map (insertion order is the circle). */
class MapClock {
  private readonly map = new Map<number, { bytes: number; ref: boolean }>();
  total = 0;
  constructor(private readonly budget: number) {}
  get(k: number): boolean {
    const e = this.map.get(k);
    if (e) e.ref = true;
    return e !== undefined;
  }
  set(k: number, bytes: number): void {
    if (bytes > this.budget / 4) return;
    const old = this.map.get(k);
    if (old) this.total -= old.bytes;
    this.map.set(k, { bytes, ref: false });
    this.total += bytes;
    if (this.total <= this.budget) return;
    let second = 0;
    for (const [loc, e] of this.map) {
      if (this.total <= this.budget * 0.9) break;
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
  offer(k: number, bytes: number): void {
    if (this.total + bytes <= this.budget) this.set(k, bytes);
  }
  dropFrom(from: number): void {
    for (const [loc, e] of this.map) {
      if (loc >= from) {
        this.map.delete(loc);
        this.total -= e.bytes;
      }
    }
  }
  get size(): number {
    return this.map.size;
  }
}

describe('row cache: rows kept by reads', () => {
  // A read keeps a copy of the row it decoded (an array and entry made here, values shared), so
  // the decoder's allocation sites never see their rows survive while the cache fills, and V8
  // does not start allocating every decoded row in the old generation (see keptCopy).
  test('admit() and offer() keep copies with the same values; set() keeps what it is given', () => {
    const cache = new RowCache(1 << 20);
    const read = { collectionId: 3, row: ['a', 1, null], bytes: 120 };
    const scanned = { collectionId: 3, row: ['b', 2, 2.5], bytes: 120 };
    const committed = { collectionId: 3, row: ['c', 3, 'x'], bytes: 120 };
    cache.admit(10, read);
    cache.offer(20, scanned);
    cache.set(30, committed);
    expect(cache.peek(10)).toEqual(read);
    expect(cache.peek(10)?.row).not.toBe(read.row);
    expect(cache.peek(10)).not.toBe(read);
    expect(cache.peek(20)).toEqual(scanned);
    expect(cache.peek(20)?.row).not.toBe(scanned.row);
    expect(cache.peek(30)).toBe(committed);
    expect(cache.getRow(10)).toEqual(['a', 1, null]);
  });
});

describe('row cache: the rows of a commit (setMany)', () => {
  test('grows the table once, not by doubling along the way', () => {
    const cache = new RowCache(1 << 30);
    const n = 100_000;
    const locations = Array.from({ length: n }, (_, i) => 1000 + i * 64);
    cache.setMany(
      locations,
      locations.map(() => entry(64)),
    );
    expect(cache.size).toBe(n);
    expect(cache.rehashes).toBe(1);
    for (const at of [locations[0], locations[n >> 1], locations[n - 1]])
      expect(cache.getRow(at)).toEqual([64]);
    const one = new RowCache(1 << 30);
    for (const at of locations) one.set(at, entry(64));
    // set() one by one doubles from 1,024 slots: seven rebuilds for 100k rows.
    expect(one.rehashes).toBeGreaterThanOrEqual(7);
  });

  test('inserts only the last rows that fit the budget: what set() one by one ends with', () => {
    const cache = new RowCache(10_000);
    for (let i = 0; i < 10; i++) cache.set(i, entry(100));
    const locations = Array.from({ length: 500 }, (_, i) => 100 + i);
    cache.setMany(
      locations,
      locations.map(() => entry(100)),
    );
    // Rows 500..599 are the last budget's worth; the batch eviction keeps 90-100 % of it.
    expect(cache.bytes).toBeLessThanOrEqual(10_000);
    expect(cache.bytes).toBeGreaterThanOrEqual(9_000);
    expect(cache.getRow(599)).toEqual([100]);
    for (let at = 0; at < 500; at++) expect(cache.getRow(at)).toBeUndefined();
    // set() one by one also ends with newest rows only, within the same bounds.
    const one = new RowCache(10_000);
    for (let i = 0; i < 10; i++) one.set(i, entry(100));
    for (const at of locations) one.set(at, entry(100));
    expect(one.bytes).toBeGreaterThanOrEqual(9_000);
    for (let at = 0; at < 500; at++) expect(one.getRow(at)).toBeUndefined();
  });
});

describe('row cache table', () => {
  test('behaves exactly like CLOCK over a Map under random operations (seeded)', () => {
    // Locations from a small pool (so keys repeat) spread over the whole 2^53 range.
    const pool = [
      0,
      1,
      2,
      3,
      1023,
      1024,
      4096,
      65_537,
      2 ** 32 - 1,
      2 ** 32,
      2 ** 32 + 1,
      2 ** 40 + 7,
      2 ** 53 - 1,
    ];
    for (let i = 0; i < 300; i++) pool.push(192 + i * 97);
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('set' as const),
        k: fc.constantFrom(...pool),
        bytes: fc.integer({ min: 1, max: 300 }),
      }),
      fc.record({
        kind: fc.constant('offer' as const),
        k: fc.constantFrom(...pool),
        bytes: fc.integer({ min: 1, max: 300 }),
      }),
      fc.record({ kind: fc.constant('get' as const), k: fc.constantFrom(...pool) }),
      fc.record({ kind: fc.constant('drop' as const), k: fc.constantFrom(...pool) }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 400, max: 20_000 }), fc.array(op, { maxLength: 400 }), (budget, ops) => {
        const cache = new RowCache(budget);
        const model = new MapClock(budget);
        for (const o of ops) {
          if (o.kind === 'set') {
            cache.set(o.k, entry(o.bytes));
            model.set(o.k, o.bytes);
          } else if (o.kind === 'offer') {
            cache.offer(o.k, entry(o.bytes));
            model.offer(o.k, o.bytes);
          } else if (o.kind === 'get') {
            const row = cache.getRow(o.k);
            expect(row !== undefined).toBe(model.get(o.k));
            if (row !== undefined) expect(cache.get(o.k)?.row).toBe(row);
          } else {
            cache.dropFrom(o.k);
            model.dropFrom(o.k);
          }
          expect(cache.size).toBe(model.size);
          expect(cache.bytes).toBe(model.total);
        }
        for (const k of pool) expect(cache.getRow(k) !== undefined).toBe(model.get(k));
      }),
      { seed: 20261205, numRuns: 300 },
    );
  });
});
