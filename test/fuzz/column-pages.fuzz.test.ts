/**
 * Fuzz the decoding of column pages (docs/format.md §4.3, storage/column-pages.ts). A column
 * page's checksum stops random damage before decoding, so the harness decodes mutated bytes as
 * if their checksum held: the decoder must answer with columns of exactly the page's row count
 * or a FormatError CORRUPT — never another exception, a hang or a huge allocation. A second
 * harness damages the column pages inside a real file and checks that a cold filtered count
 * fails with CORRUPT (the checksum finds it). Seeded; MV_FUZZ_RUNS for longer runs.
 */
import fc from 'fast-check';
import { Database, FormatError } from '../../src/index';
import { crc32c } from '../../storage/crc32c';
import { decodePayload } from '../../storage/codec';
import { FRAME_HEADER_SIZE, FrameKind } from '../../storage/format';
import { GrowableBuffer } from '../../storage/growable-buffer';
import { columnFits, decodeColumnPage, encodeColumnPage } from '../../storage/column-pages';
import type { TextColumn } from '../../storage/column-pages';
import { listFrames, pageDirectory } from '../helpers/engine-util';

const RUNS = Number(process.env.MV_FUZZ_RUNS ?? 500);

function expectCorrupt(run: () => unknown): void {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(FormatError);
    expect((err as FormatError).code).toBe('CORRUPT');
  }
}

/** A column of `count` values: integers (small or up to 2^53), decimals, floats, NULLs (NaN), -0. */
const value = fc.oneof(
  fc.integer({ min: -1000, max: 1000 }),
  // Decimals (prices): stored as DECIMAL when every value of the column is one.
  fc.integer({ min: -10_000_000, max: 10_000_000 }).map((n) => n / 100),
  fc.integer({ min: -1000, max: 1000 }).map((n) => n / 1000),
  fc.constantFrom(2 ** 51, -(2 ** 51), 2 ** 53 - 1, -(2 ** 53) + 1, 0.5, -0, NaN),
  fc.double({ noNaN: true }),
);

/**
 * A DICT column (format 1.5): distinct strings (empty, multi-byte, astral), no more than rows (a
 * writer stores each string a row holds), and a code per row.
 */
const textArb = (count: number): fc.Arbitrary<TextColumn> =>
  fc
    .uniqueArray(fc.oneof(fc.string(), fc.constantFrom('', 'é', '😀 x', 'paid')), {
      maxLength: Math.min(6, count),
    })
    .chain((strings) =>
      fc
        .array(fc.integer({ min: 0, max: strings.length }), { minLength: count, maxLength: count })
        .map((codes) => ({ strings, codes: Uint32Array.from(codes) })),
    );

type Column = { field: number; values: Float64Array } | { field: number; text: TextColumn };

const columnsArb = fc.integer({ min: 0, max: 40 }).chain((count) =>
  fc.tuple(
    fc.constant(count),
    fc.uniqueArray(fc.integer({ min: 0, max: 300 }), { maxLength: 4 }).chain((fields) =>
      fc.tuple(
        ...[...fields]
          .sort((a, b) => a - b)
          .map((field): fc.Arbitrary<Column> =>
            fc.oneof(
              fc
                .array(value, { minLength: count, maxLength: count })
                .map((vs) => ({ field, values: Float64Array.from(vs) })),
              textArb(count).map((text) => ({ field, text })),
            ),
          ),
      ),
    ),
  ),
);

function encoded(count: number, columns: Column[]): Buffer {
  const out = new GrowableBuffer(64);
  encodeColumnPage(out, count, columns);
  return Buffer.from(out.view());
}

const edits = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 });

test('a DICT column encodes as docs/format.md §4.3 shows', () => {
  const page = encoded(4, [{ field: 4, text: { strings: ['new'], codes: Uint32Array.of(1, 0, 1, 1) } }]);
  expect(page.toString('hex')).toBe('04010404090103' + '6e6577' + '01000101');
});

describe('column page decode fuzz', () => {
  test(`encode then decode gives the values back, NULL as NaN, -0 kept (${RUNS})`, () => {
    fc.assert(
      fc.property(columnsArb, ([count, columns]) => {
        const got = decodeColumnPage(encoded(count, columns), 0, count);
        expect([...got.keys()]).toEqual(columns.map((c) => c.field));
        for (const c of columns) expect(got.get(c.field)).toEqual('text' in c ? c.text : c.values);
      }),
      { numRuns: RUNS, seed: 1521 },
    );
  });

  test(`mutated column page bytes decode to the page's row count or fail CORRUPT (${RUNS})`, () => {
    fc.assert(
      fc.property(
        columnsArb,
        edits,
        fc.option(fc.nat(), { freq: 4 }),
        fc.integer({ min: 0, max: 45 }),
        ([count, columns], ed, cut, asked) => {
          const bytes = encoded(count, columns);
          for (const [at, x] of ed) bytes[at % bytes.length] ^= x;
          const page = cut === null ? bytes : bytes.subarray(0, cut % (bytes.length + 1));
          expectCorrupt(() => {
            const got = decodeColumnPage(page, 0, asked);
            let last = -1;
            for (const [field, values] of got) {
              expect(field).toBeGreaterThan(last);
              last = field;
              if (!(values instanceof Float64Array)) {
                // A DICT column: a code per row, each NULL (0) or naming one of its strings.
                expect(values.codes.length).toBe(asked);
                for (const code of values.codes) expect(code).toBeLessThanOrEqual(values.strings.length);
                continue;
              }
              expect(values.length).toBe(asked);
              // What decodes is a number or NULL per row; the field's type is checked by the caller.
              columnFits(values, { field, integer: false, unsigned: false, nullable: true });
            }
          });
        },
      ),
      { numRuns: RUNS, seed: 1522 },
    );
  });

  test('damaged column pages inside a file: a cold filtered count fails with CORRUPT', () => {
    const db = Database.openInMemory();
    db.registerCollection(
      'u',
      [
        { path: 'id', type: 'int64' },
        { path: 'name', type: 'string' },
        { path: 'x', type: 'float64' },
        { path: 'n', type: { optional: 'int64' } },
      ],
      'id',
    );
    db.transaction(() => {
      for (let i = 0; i < 3000; i++)
        db.insert('u', { id: i, name: `name-${i}`, x: i / 8, n: i % 9 === 0 ? null : i % 50 });
    });
    db.checkpoint();
    const base = db.storage.bytes();
    db.close();
    const pages = listFrames(base).find((f) => f.kind === FrameKind.PAGES);
    const checkpoint = listFrames(base).find((f) => f.kind === FrameKind.CHECKPOINT);
    if (!pages || !checkpoint) throw new Error('no checkpoint');
    const payload = decodePayload(
      base.subarray(
        checkpoint.offset + FRAME_HEADER_SIZE,
        checkpoint.offset + FRAME_HEADER_SIZE + checkpoint.length,
      ),
    ) as { v: number; collections: { pk: Uint8Array[] }[] };
    expect(payload.v).toBe(5);
    const dir = pageDirectory(base, payload.collections[0].pk);
    const offsets = dir[6] as number[];
    const lengths = dir[7] as number[];
    expect(lengths.every((l) => l > 0)).toBe(true);
    fc.assert(
      fc.property(fc.nat(offsets.length - 1), edits, (which, ed) => {
        const bytes = Buffer.from(base);
        for (const [at, x] of ed) bytes[offsets[which] + (at % lengths[which])] ^= x;
        // Keep the PAGES frame's own checksum right: the damage is left for the page's checksum.
        const start = pages.offset + FRAME_HEADER_SIZE;
        const crc = crc32c(
          bytes,
          start,
          start + pages.length,
          crc32c(bytes, pages.offset, pages.offset + 16),
        );
        bytes.writeUInt32LE(crc, pages.offset + 16);
        const damaged = Database.openSnapshotBytes(bytes);
        try {
          expect(() => damaged.collection('u').where('x', '>', 10).count()).toThrow(
            expect.objectContaining({
              code: 'CORRUPT',
              message: expect.stringMatching(/column page/) as unknown,
            }),
          );
          // Rows and their primary-key pages are intact: reading them is unaffected.
          expect(damaged.collection('u').all()).toHaveLength(3000);
        } finally {
          damaged.close();
        }
      }),
      { numRuns: 60, seed: 1523 },
    );
  });
});
