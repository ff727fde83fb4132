/**
 * The staged-run orders of storage/sort-keys.ts equal a plain sort by `<`, over key sets that
 * pack many units (hex, base 36), few (a wide alphabet), tie on their packed units (long common
 * stretches after a shared prefix), or end early (prefixes of one another). textOrder (ORDER BY a
 * text key) equals a stable sort in code-point order, ascending and descending, with repeats and
 * with characters above U+FFFF (surrogate pairs) and U+E000–U+FFFF, where unit order differs.
 */
import fc from 'fast-check';
import { compareText } from '../../storage/compare';
import { numberOrder, stringOrder, textOrder } from '../../storage/sort-keys';

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

describe('textOrder', () => {
  /** Positions in a stable code-point sort, the reference textOrder must equal. */
  function reference(keys: readonly string[], desc: boolean): number[] {
    const at = keys.map((_, i) => i);
    return at.sort((x, y) => (desc ? compareText(keys[y], keys[x]) : compareText(keys[x], keys[y])) || x - y);
  }
  const chars = [
    'a',
    'b',
    'z',
    '0',
    '-',
    'é',
    '\u4e00',
    '\ue000',
    '\uffff',
    '\u{1f600}',
    '\u{10000}',
    '\u{1f601}',
  ];

  test('repeats keep their positions; code-point order above U+FFFF; both directions', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('', 'note ', 'x\u{1f600}'),
        fc.array(fc.array(fc.constantFrom(...chars), { maxLength: 12 }), { maxLength: 400 }),
        fc.boolean(),
        (prefix, parts, desc) => {
          // Repeats on purpose: every third key is an earlier one again.
          const keys = parts.map((p, i) =>
            i % 3 === 2 && i > 0 ? prefix + parts[i >> 1].join('') : prefix + p.join(''),
          );
          const want = reference(keys, desc);
          expect(Array.from(textOrder(keys, desc, 2))).toEqual(want);
          expect(Array.from(textOrder(keys, desc))).toEqual(want);
        },
      ),
      { numRuns: 300, seed: 41 },
    );
  });

  test('20k keys of one wide run, many ties on the packed units', () => {
    let x = 7;
    const next = (): number => (x = (Math.imul(x, 1103515245) + 12345) >>> 0);
    const keys = Array.from(
      { length: 20000 },
      () => `${'y'.repeat(next() % 3)}${next() % 500}${'q'.repeat(25)}${next() % 4}`,
    );
    for (const desc of [false, true])
      expect(Array.from(textOrder(keys, desc))).toEqual(reference(keys, desc));
  });
});
