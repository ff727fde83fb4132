/** SQLite's value order: NULL < numbers (exact across number/bigint) < text (code points) < bytes. */
import fc from 'fast-check';
import {
  KEY_TOP,
  compareKeys,
  compareTuples,
  compareValues,
  keyHasNull,
  valuesEqual,
} from '../../storage/compare';

const sign = (x: number): number => Math.sign(x) + 0; // + 0 folds -0 into 0

/** Exact order of a double and a bigint, from the double's bits: d = mantissa * 2^exponent. */
function exactCompare(d: number, b: bigint): number {
  if (d === Infinity) return 1;
  if (d === -Infinity) return -1;
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, d);
  const bits = view.getBigUint64(0);
  const negative = bits >> 63n === 1n;
  const biased = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  const mantissa = biased === 0 ? fraction : fraction | (1n << 52n);
  const exponent = biased === 0 ? -1074 : biased - 1075;
  const signed = negative ? -mantissa : mantissa;
  // Scale whichever side needs it so both are integers.
  const lhs = exponent >= 0 ? signed << BigInt(exponent) : signed;
  const rhs = exponent >= 0 ? b : b << BigInt(-exponent);
  return lhs < rhs ? -1 : lhs > rhs ? 1 : 0;
}

const scalarArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, undefined, NaN, true, false, 0, -0, Infinity, -Infinity),
  fc.integer({ min: -5, max: 5 }),
  fc.double(),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }),
  fc.string({ maxLength: 4 }),
  fc.fullUnicodeString({ maxLength: 4 }),
  fc.uint8Array({ maxLength: 4 }),
);

describe('compareValues', () => {
  test('storage classes order like SQLite', () => {
    expect(compareValues(null, 1)).toBeLessThan(0);
    expect(compareValues(1, 'a')).toBeLessThan(0);
    expect(compareValues('a', Buffer.from([0]))).toBeLessThan(0);
    expect(compareValues(9999999, '1')).toBeLessThan(0);
    expect(compareValues('', new Uint8Array(0))).toBeLessThan(0);
    expect(compareValues(null, null)).toBe(0);
    expect(compareValues(undefined, null)).toBe(0);
    // NaN cannot be stored; if one appears it sorts as NULL rather than breaking the order.
    expect(compareValues(NaN, null)).toBe(0);
    expect(compareValues(NaN, -Infinity)).toBeLessThan(0);
    expect(compareValues(1, NaN)).toBeGreaterThan(0);
  });

  test('numbers compare by exact value across number, bigint and boolean', () => {
    expect(compareValues(1, 1n)).toBe(0);
    expect(compareValues(1.0, 1)).toBe(0);
    expect(compareValues(true, 1)).toBe(0);
    expect(compareValues(true, 1n)).toBe(0);
    expect(compareValues(false, -0.5)).toBeGreaterThan(0);
    expect(compareValues(true, 0.5)).toBeGreaterThan(0);
    expect(compareValues(9007199254740993n, 9007199254740992)).toBeGreaterThan(0);
    expect(compareValues(9007199254740992, 9007199254740993n)).toBeLessThan(0);
    expect(compareValues(2 ** 64, 2n ** 64n + 1n)).toBeLessThan(0);
    expect(compareValues(2.5, 2n)).toBeGreaterThan(0);
    expect(compareValues(-Infinity, -(2n ** 63n))).toBeLessThan(0);
    expect(compareValues(Infinity, 10n ** 400n)).toBeGreaterThan(0);
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(2n ** 62n), max: 2n ** 62n }),
        fc.bigInt({ min: -(2n ** 62n), max: 2n ** 62n }),
        (a, b) => {
          const expected = a < b ? -1 : a > b ? 1 : 0;
          expect(sign(compareValues(a, b))).toBe(expected);
          // A double that represents `b` exactly compares like the bigint.
          const d = Number(b);
          if (BigInt(d) === b) expect(sign(compareValues(a, d))).toBe(expected);
        },
      ),
      { numRuns: 500, seed: 5 },
    );
  });

  test('double vs bigint matches exact BigInt arithmetic, fractions and huge values included', () => {
    // Bigints are drawn near the double (where rounding would bite) or anywhere.
    const pair = fc.double({ noNaN: true }).chain((d) => {
      const near = Number.isFinite(d) ? BigInt(Math.trunc(d)) : 0n;
      return fc.tuple(
        fc.constant(d),
        fc.oneof(
          fc.bigInt({ min: near - 2n, max: near + 2n }),
          fc.bigInt({ min: -(2n ** 1100n), max: 2n ** 1100n }),
        ),
      );
    });
    fc.assert(
      fc.property(pair, ([d, b]) => {
        expect(sign(compareValues(d, b))).toBe(exactCompare(d, b));
        expect(sign(compareValues(b, d))).toBe(-exactCompare(d, b) + 0);
      }),
      { numRuns: 3000, seed: 8 },
    );
  });

  test('text compares by code point (UTF-8 byte order), not UTF-16 units', () => {
    expect(compareValues('😀', '｡')).toBeGreaterThan(0);
    expect('😀' < '｡').toBe(true); // what JS would have said
    expect(compareValues('a', 'ab')).toBeLessThan(0);
    expect(compareValues('b', 'ab')).toBeGreaterThan(0);
    const utf8Order = (a: string, b: string): number =>
      sign(Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
    fc.assert(
      fc.property(fc.fullUnicodeString(), fc.fullUnicodeString(), (a, b) => {
        expect(sign(compareValues(a, b))).toBe(utf8Order(a, b));
      }),
      { numRuns: 2000, seed: 6 },
    );
    // Random strings rarely pit U+E000..U+FFFF against astral characters: draw from the boundaries.
    const edgy = fc
      .array(
        fc.constantFrom(
          '\u0000',
          'a',
          '\u07ff',
          '\ud7ff',
          '\ue000',
          '\uff61',
          '\uffff',
          '𐀀',
          '😀',
          '\u{10ffff}',
        ),
        {
          maxLength: 4,
        },
      )
      .map((cs) => cs.join(''));
    fc.assert(
      fc.property(edgy, edgy, (a, b) => {
        expect(sign(compareValues(a, b))).toBe(utf8Order(a, b));
      }),
      { numRuns: 2000, seed: 7 },
    );
  });

  test('bytes compare like memcmp, short and long alike', () => {
    expect(compareValues(Buffer.from([1, 2]), Buffer.from([1, 2, 0]))).toBeLessThan(0);
    expect(compareValues(Buffer.from([2]), Buffer.from([1, 9]))).toBeGreaterThan(0);
    expect(compareValues(new Uint8Array([7, 7]), Buffer.from([7, 7]))).toBe(0);
    // A shared prefix pushes the first difference past the short-array loop's range.
    const bytes = fc.tuple(fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ maxLength: 3 }));
    fc.assert(
      fc.property(bytes, bytes, ([p, a], [, b]) => {
        const x = Buffer.concat([p, a]);
        const y = Buffer.concat([p, b]);
        expect(sign(compareValues(x, y))).toBe(sign(Buffer.compare(x, y)));
      }),
      { numRuns: 1000, seed: 9 },
    );
  });

  test('is a total order over mixed values: antisymmetric and transitive', () => {
    fc.assert(
      fc.property(scalarArb, scalarArb, scalarArb, (a, b, c) => {
        expect(sign(compareValues(a, b))).toBe(-sign(compareValues(b, a)) + 0);
        expect(sign(compareValues(a, a))).toBe(0);
        // Checked directly: Array.prototype.sort never passes undefined to a comparator.
        if (compareValues(a, b) <= 0 && compareValues(b, c) <= 0)
          expect(compareValues(a, c)).toBeLessThanOrEqual(0);
        if (compareValues(a, b) === 0 && compareValues(b, c) === 0) expect(compareValues(a, c)).toBe(0);
      }),
      { numRuns: 3000, seed: 10 },
    );
  });
});

describe('compareTuples and valuesEqual', () => {
  test('tuples compare lexicographically, a shorter prefix first', () => {
    expect(compareTuples([1, 'a'], [1, 'b'])).toBeLessThan(0);
    expect(compareTuples([2], [1, 'z'])).toBeGreaterThan(0);
    expect(compareTuples([1], [1, null])).toBeLessThan(0);
    expect(compareTuples([], [])).toBe(0);
    expect(compareTuples([1n, 'x', null], [1, 'x', undefined])).toBe(0);
    expect(compareTuples([null, 5], [0, 0])).toBeLessThan(0);
    fc.assert(
      fc.property(fc.array(scalarArb, { maxLength: 3 }), fc.array(scalarArb, { maxLength: 3 }), (a, b) => {
        const first = a.findIndex((x, i) => i < b.length && compareValues(x, b[i]) !== 0);
        const expected = first >= 0 ? sign(compareValues(a[first], b[first])) : sign(a.length - b.length);
        expect(sign(compareTuples(a, b))).toBe(expected);
      }),
      { numRuns: 1000, seed: 11 },
    );
  });

  test('valuesEqual is compareValues === 0', () => {
    expect(valuesEqual(1, 1n)).toBe(true);
    expect(valuesEqual(1, 1.0)).toBe(true);
    expect(valuesEqual(true, 1)).toBe(true);
    expect(valuesEqual(0, -0)).toBe(true);
    expect(valuesEqual(null, undefined)).toBe(true);
    expect(valuesEqual(Buffer.from('ab'), new Uint8Array([97, 98]))).toBe(true);
    expect(valuesEqual('1', 1)).toBe(false);
    expect(valuesEqual(0, null)).toBe(false);
    expect(valuesEqual(2 ** 53, 2n ** 53n + 1n)).toBe(false);
  });
});

describe('compareKeys (composite index keys)', () => {
  const value = fc.oneof(
    fc.constant(null),
    fc.integer({ min: -3, max: 3 }),
    fc.double({ noNaN: false }),
    fc.bigInt({ min: -3n, max: 3n }),
    fc.constantFrom('', 'a', 'b', '\u{1F600}', '\uE000'),
    fc.uint8Array({ maxLength: 2 }),
  );
  test('orders tuples column by column like compareTuples, a prefix first', () => {
    fc.assert(
      fc.property(fc.array(value, { maxLength: 3 }), fc.array(value, { maxLength: 3 }), (a, b) => {
        expect(Math.sign(compareKeys(a, b))).toBe(Math.sign(compareTuples(a, b)));
      }),
      { numRuns: 2000 },
    );
  });
  test('KEY_TOP bounds every key with a given prefix', () => {
    expect(compareKeys([1, 'z', null], [1, KEY_TOP])).toBeLessThan(0);
    expect(compareKeys([1, new Uint8Array([255])], [1, KEY_TOP])).toBeLessThan(0);
    expect(compareKeys([2], [1, KEY_TOP])).toBeGreaterThan(0);
    expect(compareKeys([1], [1, 0])).toBeLessThan(0);
    expect(keyHasNull([1, null])).toBe(true);
    expect(keyHasNull([1, 0])).toBe(false);
    expect(keyHasNull(null)).toBe(true);
  });
});
