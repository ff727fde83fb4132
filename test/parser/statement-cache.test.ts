/** The LRU statement cache keyed by SQL text and invalidated by catalog version. */
import { StatementCache } from '../../parser/statement-cache';
import type { LoweredStatement } from '../../parser/ir';

function stmt(sql: string): LoweredStatement {
  return { sql, stmt: { kind: 'begin' }, params: { style: 'none', count: 0, names: [] } };
}

test('returns what was stored for the same text and catalog version', () => {
  const cache = new StatementCache();
  const a = stmt('A');
  cache.set('A', 1, a);
  expect(cache.get('A', 1)).toBe(a);
  expect(cache.get('a', 1)).toBeUndefined();
  expect(cache.get('B', 1)).toBeUndefined();
  expect(cache.hits).toBe(1);
  expect(cache.misses).toBe(2);
});

test('an entry lowered against another catalog version is stale and dropped', () => {
  const cache = new StatementCache();
  cache.set('A', 1, stmt('A'));
  expect(cache.get('A', 2)).toBeUndefined();
  expect(cache.size).toBe(0);
  const again = stmt('A');
  cache.set('A', 2, again);
  expect(cache.get('A', 2)).toBe(again);
});

test('evicts the least recently used entry beyond its capacity', () => {
  const cache = new StatementCache(2);
  cache.set('A', 0, stmt('A'));
  cache.set('B', 0, stmt('B'));
  expect(cache.get('A', 0)).toBeDefined(); // A is now the most recently used
  cache.set('C', 0, stmt('C'));
  expect(cache.size).toBe(2);
  expect(cache.get('B', 0)).toBeUndefined();
  expect(cache.get('A', 0)).toBeDefined();
  expect(cache.get('C', 0)).toBeDefined();
});

test('re-setting a key replaces it without growing', () => {
  const cache = new StatementCache(2);
  const newer = stmt('A');
  cache.set('A', 0, stmt('A'));
  cache.set('A', 0, newer);
  expect(cache.size).toBe(1);
  expect(cache.get('A', 0)).toBe(newer);
});

test('clear() empties it', () => {
  const cache = new StatementCache();
  cache.set('A', 0, stmt('A'));
  cache.clear();
  expect(cache.size).toBe(0);
  expect(cache.get('A', 0)).toBeUndefined();
});

test.each([0, -5, 1.5, Number.NaN])('capacity %p is clamped to something sane', (capacity) => {
  const cache = new StatementCache(capacity);
  for (let i = 0; i < 10; i++) cache.set(String(i), 0, stmt(String(i)));
  expect(cache.size).toBeLessThanOrEqual(Number.isNaN(capacity) ? 256 : Math.max(0, Math.floor(capacity)));
});
