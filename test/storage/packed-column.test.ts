/** Packed columns (docs/format.md §4.1): exact round trips, the documented bytes, corruption. */
import fc from 'fast-check';
import { packColumn, packColumnInto, unpackColumn } from '../../storage/packed-column';
import { GrowableBuffer } from '../../storage/growable-buffer';
import { FormatError } from '../../src/errors';
import { compareValues } from '../../storage/compare';

const scalar = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer({ min: -1000, max: 1000 }),
  fc.maxSafeInteger(),
  fc.constant(-0),
  fc.double({ noNaN: true }),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).filter((b) => b < -(2n ** 53n) || b > 2n ** 53n),
  fc.fullUnicodeString({ maxLength: 40 }),
  fc.uint8Array({ maxLength: 20 }).map((u) => Buffer.from(u)),
);

/** Columns shaped like real index columns: sorted, often one type, often with runs. */
const column = fc.oneof(
  fc.array(scalar, { maxLength: 200 }),
  fc.array(scalar, { maxLength: 200 }).map((a) => a.sort(compareValues)),
  fc.array(fc.maxSafeInteger(), { maxLength: 200 }).map((a) => a.sort((x, y) => x - y)),
  fc.array(fc.integer({ min: -50, max: 50 }), { maxLength: 300 }).map((a) => a.sort((x, y) => x - y)),
  fc.array(fc.fullUnicodeString({ maxLength: 12 }), { maxLength: 200 }).map((a) => a.sort(compareValues)),
  fc
    .array(fc.constantFrom('a', 'ab', 'abc', '\u{1F600}x', '\u{1F600}\u{1F601}', 'é'), { maxLength: 300 })
    .map((a) => a.sort(compareValues)),
);

/**
 * Same values, same order, same types (Buffers compare by bytes). -0 may come back as 0 from the
 * MessagePack fallback, as it does in layout-1 checkpoints; index order treats them as equal.
 */
function expectSame(actual: unknown[], expected: readonly unknown[]): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((v, i) => {
    const e = expected[i];
    if (typeof e === 'number') expect(v === e).toBe(true);
    else expect(v).toEqual(e);
  });
}

describe('packed columns', () => {
  test('property: every column decodes to exactly its values', () => {
    fc.assert(
      fc.property(column, (values) => {
        expectSame(unpackColumn(packColumn(values), 0), values);
      }),
      { numRuns: 400, seed: 20261201 },
    );
  });

  /** docs/format.md §4.1 written out plainly: tag 2, count, then (shared, suffixBytes, UTF-8). */
  function referenceStrings(values: readonly string[]): Buffer {
    const out: number[] = [];
    const varint = (v: number): void => {
      while (v >= 0x80) {
        out.push((v % 0x80) | 0x80);
        v = Math.floor(v / 0x80);
      }
      out.push(v);
    };
    out.push(2);
    varint(values.length);
    let prev = '';
    for (const s of values) {
      let shared = 0;
      while (shared < Math.min(prev.length, s.length) && prev.charCodeAt(shared) === s.charCodeAt(shared))
        shared++;
      const hi = s.charCodeAt(shared - 1);
      if (shared > 0 && shared < s.length && hi >= 0xd800 && hi <= 0xdbff) shared--;
      const suffix = Buffer.from(s.slice(shared), 'utf8');
      varint(shared);
      varint(suffix.length);
      out.push(...suffix);
      prev = s;
    }
    return Buffer.from(out);
  }

  test('property: string columns are the documented bytes (short ASCII, long and non-ASCII suffixes)', () => {
    const text = fc.oneof(
      fc.string({ maxLength: 20 }),
      fc.string({ minLength: 120, maxLength: 300 }),
      fc.fullUnicodeString({ maxLength: 140 }),
      fc.constantFrom('a'.repeat(127), 'a'.repeat(128), 'b'.repeat(127) + 'é', 'x\u{1F600}'),
    );
    fc.assert(
      fc.property(fc.array(text, { minLength: 1, maxLength: 60 }), (raw) => {
        // Distinct values, so the column is never written as runs.
        const values = [...new Set(raw)].sort(compareValues) as string[];
        expect(packColumn(values).equals(referenceStrings(values))).toBe(true);
      }),
      { numRuns: 300, seed: 20261203 },
    );
  });

  test('property: a packed range equals the packed slice, appended after what the buffer holds', () => {
    fc.assert(
      fc.property(column, fc.nat(), fc.nat(), (values, a, b) => {
        const from = values.length === 0 ? 0 : a % (values.length + 1);
        const to = from + (values.length === 0 ? 0 : b % (values.length - from + 1));
        const out = new GrowableBuffer(16);
        out.reserve(3);
        out.buf.fill(7, 0, 3);
        packColumnInto(out, values, from, to);
        expect(
          out
            .view()
            .subarray(0, 3)
            .equals(Buffer.from([7, 7, 7])),
        ).toBe(true);
        expect(
          out
            .view()
            .subarray(3)
            .equals(packColumn(values.slice(from, to))),
        ).toBe(true);
      }),
      { numRuns: 300, seed: 20261204 },
    );
  });

  test('the examples of docs/format.md §4.1, byte for byte', () => {
    expect(packColumn([5, 6, 7]).toString('hex')).toBe('01030a0202');
    expect(packColumn(['ab', 'ac']).toString('hex')).toBe('020200026162010163');
    expect(packColumn(['x', 'x', 'x', 'y']).toString('hex')).toBe('03040203010202000178000179');
  });

  test('sorted index columns pack far smaller than MessagePack arrays', () => {
    const n = 10_000;
    const ids = Array.from({ length: n }, (_, i) => i + 1);
    const skus = ids.map((i) => `SKU-${String(i).padStart(8, '0')}`);
    const statuses = ids.map((i) => ['new', 'paid', 'shipped'][Math.floor((i * 3) / (n + 1))]);
    expect(packColumn(ids).length).toBeLessThan(n * 1.01);
    expect(packColumn(skus).length).toBeLessThan(n * 5);
    expect(packColumn(statuses).length).toBeLessThan(40);
    // Deltas beyond 2^52 and mixed types fall back to MessagePack and still round-trip.
    const wide = [-Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER];
    expect(packColumn(wide)[0]).toBe(0);
    expectSame(unpackColumn(packColumn(wide), 0), wide);
  });

  test('a surrogate pair shared with the previous string is never split', () => {
    const values = ['\u{1F600}', '\u{1F601}', '\u{1F601}a'];
    expectSame(unpackColumn(packColumn(values), 0), values);
  });

  test('damaged bytes raise FormatError (or decode to some column), never anything else', () => {
    const samples = [
      packColumn(Array.from({ length: 50 }, (_, i) => i * 3)),
      packColumn(Array.from({ length: 50 }, (_, i) => `k${i}`)),
      packColumn(['a', 'a', 'a', 'b', 'b', 'c']),
      packColumn([1.5, null, 'x']),
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...samples),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
        fc.nat(),
        (sample, flips, cut) => {
          const bytes = Buffer.from(sample);
          for (const [at, b] of flips) bytes[at % bytes.length] = b;
          const damaged = bytes.subarray(0, bytes.length - (cut % 3));
          try {
            expect(Array.isArray(unpackColumn(damaged, 7))).toBe(true);
          } catch (err) {
            expect(err).toBeInstanceOf(FormatError);
            expect((err as FormatError).code).toBe('CORRUPT');
          }
        },
      ),
      { numRuns: 3000, seed: 7 },
    );
    expect(() => unpackColumn(Buffer.from([1, 3, 2]), 0)).toThrow(FormatError);
    expect(() => unpackColumn(Buffer.from([9, 0]), 0)).toThrow(/unknown tag/);
    expect(() => unpackColumn(Buffer.from([3, 2, 1, 0, 1, 1, 1]), 0)).toThrow(/empty run/);
  });
});
