/** SQLite's value order: NULL < numbers (exact across number/bigint) < text (code points) < bytes. */
import fc from 'fast-check';
import { compareValues } from '../../storage/compare';

describe('compareValues', () => {
  test('storage classes order like SQLite', () => {
    expect(compareValues(null, 1)).toBeLessThan(0);
    expect(compareValues(1, 'a')).toBeLessThan(0);
    expect(compareValues('a', Buffer.from([0]))).toBeLessThan(0);
    expect(compareValues(9999999, '1')).toBeLessThan(0);
    expect(compareValues(null, null)).toBe(0);
  });

  test('numbers compare by exact value across number, bigint and boolean', () => {
    expect(compareValues(1, 1n)).toBe(0);
    expect(compareValues(1.0, 1)).toBe(0);
    expect(compareValues(true, 1)).toBe(0);
    expect(compareValues(9007199254740993n, 9007199254740992)).toBeGreaterThan(0);
    expect(compareValues(9007199254740992, 9007199254740993n)).toBeLessThan(0);
    expect(compareValues(2.5, 2n)).toBeGreaterThan(0);
    expect(compareValues(-Infinity, -(2n ** 63n))).toBeLessThan(0);
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(2n ** 62n), max: 2n ** 62n }),
        fc.bigInt({ min: -(2n ** 62n), max: 2n ** 62n }),
        (a, b) => {
          const expected = a < b ? -1 : a > b ? 1 : 0;
          expect(Math.sign(compareValues(a, b))).toBe(expected);
          // A double that represents `b` exactly compares like the bigint.
          const d = Number(b);
          if (BigInt(d) === b) expect(Math.sign(compareValues(a, d))).toBe(expected);
        },
      ),
      { numRuns: 500, seed: 5 },
    );
  });

  test('text compares by code point (UTF-8 byte order), not UTF-16 units', () => {
    expect(compareValues('😀', '｡')).toBeGreaterThan(0);
    fc.assert(
      fc.property(fc.fullUnicodeString(), fc.fullUnicodeString(), (a, b) => {
        expect(Math.sign(compareValues(a, b))).toBe(
          Math.sign(Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'))),
        );
      }),
      { numRuns: 2000, seed: 6 },
    );
  });

  test('bytes compare like memcmp', () => {
    expect(compareValues(Buffer.from([1, 2]), Buffer.from([1, 2, 0]))).toBeLessThan(0);
    expect(compareValues(Buffer.from([2]), Buffer.from([1, 9]))).toBeGreaterThan(0);
  });
});
