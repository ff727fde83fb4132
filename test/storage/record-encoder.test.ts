/** The direct record encoder must produce MessagePack that the shared decoder reads back exactly. */
import fc from 'fast-check';
import { encodeValueInto } from '../../storage/record-encoder';
import { decodePayload, encodePayload } from '../../storage/codec';
import { GrowableBuffer } from '../../storage/growable-buffer';

const scalar = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer({ min: -(2 ** 31) - 5, max: 2 ** 32 + 5 }),
  fc.maxSafeInteger(),
  fc.maxSafeNat().map((n) => -n),
  fc.double({ noNaN: true }),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).filter((b) => b < -(2n ** 53n) || b > 2n ** 53n),
  fc.fullUnicodeString({ maxLength: 300 }),
  fc.uint8Array({ maxLength: 300 }).map((u) => Buffer.from(u)),
);
const value = fc.letrec((tie) => ({
  v: fc.oneof({ depthSize: 'small' }, scalar, fc.array(tie('v'), { maxLength: 20 })),
})).v;

function roundTrip(v: unknown): unknown {
  const out = new GrowableBuffer(16); // tiny start: exercises growth in the middle of values
  encodeValueInto(out, v);
  return decodePayload(Buffer.from(out.view()));
}

describe('record encoder', () => {
  test('random nested values decode to themselves', () => {
    fc.assert(
      fc.property(value, (v) => {
        expect(roundTrip(v)).toEqual(v);
      }),
      { numRuns: 2000, seed: 99 },
    );
  });

  test('boundaries of every integer width and -0', () => {
    const ints = [
      0,
      127,
      128,
      255,
      256,
      65535,
      65536,
      2 ** 32 - 1,
      2 ** 32,
      -1,
      -32,
      -33,
      -128,
      -129,
      -(2 ** 31),
      -(2 ** 31) - 1,
      Number.MAX_SAFE_INTEGER,
      Number.MIN_SAFE_INTEGER,
    ];
    for (const n of ints) expect(roundTrip(n)).toBe(n);
    expect(Object.is(roundTrip(-0), -0)).toBe(true);
    expect(roundTrip(2n ** 63n - 1n)).toBe(2n ** 63n - 1n);
    expect(roundTrip(-(2n ** 63n))).toBe(-(2n ** 63n));
    expect(roundTrip('x'.repeat(70000))).toBe('x'.repeat(70000));
  });

  test('strings of every length up to 300 around the byte-loop and native thresholds', () => {
    const ascii = fc.stringOf(fc.constantFrom('a', 'Z', ' ', '~', '\x00', '\x7f'), {
      maxLength: 300,
      size: 'max',
    });
    // One non-ASCII unit anywhere sends the string to the UTF-8 route.
    const mixed = fc
      .tuple(ascii, fc.constantFrom('\x80', 'é', '€', '\ud83d\ude00'), fc.nat())
      .map(([a, c, i]) => a.slice(0, i % (a.length + 1)) + c + a.slice(i % (a.length + 1)));
    fc.assert(
      fc.property(fc.oneof(ascii, mixed), (s) => {
        const out = new GrowableBuffer(16);
        encodeValueInto(out, s);
        expect(decodePayload(Buffer.from(out.view()))).toBe(s);
        // ASCII gets the minimal header, as msgpackr writes it: the bytes files have always held.
        if (!/[\u0080-\uffff]/.test(s)) expect(Buffer.from(out.view()).equals(encodePayload(s))).toBe(true);
      }),
      { numRuns: 1000, seed: 7 },
    );
  });
});
