/** The numeric lookup memo behaves as a Map<number, number> under random sets, deletes and gets, then a clear. */
import fc from 'fast-check';
import { NumberMemo } from '../../storage/number-memo';

describe('NumberMemo', () => {
  test('equals a Map under random operations (seeded), through growth and backward-shift deletes', () => {
    // A small pool makes keys repeat and collide; the extremes exercise both 32-bit halves.
    const pool = [
      0,
      -0,
      1,
      -1,
      2 ** 31,
      -(2 ** 31),
      2 ** 32,
      2 ** 53 - 1,
      -(2 ** 53) + 1,
      0.5,
      1.5,
      Infinity,
      -Infinity,
    ];
    for (let i = 0; i < 3000; i++) pool.push(i * 4096, i * 7919 + 1);
    const key = fc.constantFrom(...pool);
    const op = fc.oneof(
      { arbitrary: fc.record({ kind: fc.constant('set' as const), k: key, v: fc.integer() }), weight: 30 },
      { arbitrary: fc.record({ kind: fc.constant('delete' as const), k: key }), weight: 10 },
      { arbitrary: fc.record({ kind: fc.constant('get' as const), k: key }), weight: 10 },
    );
    // Growth past the first table (1,024 slots) must be exercised, not just small maps.
    let largest = 0;
    fc.assert(
      fc.property(fc.array(op, { minLength: 2500, maxLength: 4000 }), (ops) => {
        const memo = new NumberMemo();
        const model = new Map<number, number>();
        for (const o of ops) {
          if (o.kind === 'set') {
            memo.set(o.k, o.v);
            model.set(o.k, o.v);
          } else if (o.kind === 'delete') {
            memo.delete(o.k);
            model.delete(o.k);
          } else if (memo.get(o.k) !== model.get(o.k)) {
            expect(memo.get(o.k)).toBe(model.get(o.k));
          }
          if (memo.size !== model.size) expect(memo.size).toBe(model.size);
          largest = Math.max(largest, model.size);
        }
        for (const [k, v] of model) if (memo.get(k) !== v) expect(memo.get(k)).toBe(v);
        for (const k of pool) if (memo.get(k) !== model.get(k)) expect(memo.get(k)).toBe(model.get(k));
        memo.clear();
        expect(memo.size).toBe(0);
        for (const k of pool) if (memo.get(k) !== undefined) expect(memo.get(k)).toBeUndefined();
        memo.set(7, 1);
        expect(memo.get(7)).toBe(1);
      }),
      { seed: 20261206, numRuns: 40 },
    );
    expect(largest).toBeGreaterThan(1024);
  });
});
