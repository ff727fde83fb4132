/**
 * The staged-run orders of storage/sort-keys.ts equal a plain sort by `<`, over key sets that
 * pack many units (hex, base 36), few (a wide alphabet), tie on their packed units (long common
 * stretches after a shared prefix), or end early (prefixes of one another).
 */
import fc from 'fast-check';
import { numberOrder, stringOrder } from '../../storage/sort-keys';

function expectOrder(keys: readonly unknown[], order: Uint32Array): void {
  const want = keys.slice().sort((a, b) => ((a as string) < (b as string) ? -1 : 1));
  expect(Array.from(order, (i) => keys[i])).toEqual(want);
  expect(new Set(order).size).toBe(keys.length);
}

describe('stringOrder', () => {
  const alphabets = {
    hex: '0123456789abcdef-',
    base36: '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ',
    binary: 'ab',
    wide: 'aé\u07ff\u4e00\ud7ff\u0000~ Z',
  };
  for (const [name, chars] of Object.entries(alphabets)) {
    test(`${name} keys, with shared prefixes and keys that end early`, () => {
      fc.assert(
        fc.property(
          fc.constantFrom('', 'SKU-', 'user-0000000000-'),
          fc.array(fc.stringOf(fc.constantFrom(...chars.split('')), { maxLength: 14 }), { maxLength: 300 }),
          (prefix, tails) => {
            const keys = [...new Set(tails.map((t) => prefix + t))];
            // The packed sort (short-run threshold lowered) and the default, comparator here.
            expectOrder(keys, stringOrder(keys, 2));
            expectOrder(keys, stringOrder(keys));
          },
        ),
        { numRuns: 200, seed: 15 },
      );
    });
  }

  test('20k random UUID-like keys; keys that tie on their packed units in long and short runs', () => {
    let x = 1;
    const next = (): number => (x = (Math.imul(x, 1103515245) + 12345) >>> 0);
    const uuids = Array.from({ length: 20000 }, (_, i) => `${next().toString(16)}-${i}`);
    expectOrder(uuids, stringOrder(uuids));
    expectOrder(uuids.slice(0, 100), stringOrder(uuids.slice(0, 100)));
    // After a differing first unit, twenty equal ones: every packed number ties with many
    // (long runs) or a few (short runs) others, and the keys decide.
    const long = Array.from(
      { length: 3000 },
      (_, i) => `${'ab'[i % 2]}${'y'.repeat(20)}${next() % 1000}-${i}`,
    );
    expectOrder(long, stringOrder(long));
    const short = Array.from({ length: 3000 }, (_, i) => `${next() % 700}${'y'.repeat(20)}${i}`);
    expectOrder(short, stringOrder(short));
  });
});

describe('numberOrder', () => {
  test('distinct numbers in ascending order', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ noNaN: true }), { maxLength: 300 }), (xs) => {
        const keys = [...new Set(xs.map((v) => (Object.is(v, -0) ? 0 : v)))];
        const order = numberOrder(keys);
        expect(Array.from(order, (i) => keys[i])).toEqual(keys.slice().sort((a, b) => a - b));
      }),
      { numRuns: 200, seed: 15 },
    );
  });
});
