/** The table-driven CRC32C against a bit-at-a-time reference, at every alignment and length. */
import fc from 'fast-check';
import { crc32c, crc32cRechain } from '../../storage/crc32c';

function reference(bytes: Uint8Array, crc = 0): number {
  let c = ~crc >>> 0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return ~c >>> 0;
}

describe('crc32c', () => {
  test('the standard check value', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
  });

  test('matches the reference on any range of any view, chained or not', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300, size: 'max' }),
        fc.nat({ max: 7 }),
        fc.nat(),
        fc.nat(),
        fc.nat(),
        (data, shift, a, b, seed) => {
          // A view at every byte offset of its ArrayBuffer exercises the word-alignment prologue.
          const backing = new Uint8Array(data.length + shift);
          backing.set(data, shift);
          const view = backing.subarray(shift);
          const start = data.length === 0 ? 0 : a % (data.length + 1);
          const end = start + (data.length === 0 ? 0 : b % (data.length - start + 1));
          const expected = reference(data.subarray(start, end), seed >>> 0);
          expect(crc32c(view, start, end, seed >>> 0)).toBe(expected);
          const mid = (start + end) >>> 1;
          expect(crc32c(view, mid, end, crc32c(view, start, mid, seed >>> 0))).toBe(expected);
        },
      ),
      { numRuns: 2000, seed: 5 },
    );
  });

  test('crc32cRechain turns the CRC chained from one start into the CRC chained from another, without the data', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 700 }), fc.nat(), fc.nat(), (data, from, to) => {
        const a = from >>> 0;
        const b = to >>> 0;
        expect(crc32cRechain(reference(data, a), a, b, data.length)).toBe(reference(data, b));
      }),
      { numRuns: 1000, seed: 15 },
    );
  });
});
