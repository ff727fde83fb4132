/**
 * Fuzz the decoding of checkpoint pages, directories and directory pages (docs/format.md §4.2,
 * §4.4). A page's checksum
 * stops random damage before decoding, so these harnesses recompute it after mutating: the
 * decoder and the cross-checks behind it must then answer with the entries or a FormatError
 * CORRUPT — never another exception, a hang or a huge allocation. A third harness damages the
 * pages inside a real file and checks that reads fail with CORRUPT when they reach them.
 * Seeded; MV_FUZZ_RUNS for longer runs.
 */
import fc from 'fast-check';
import { Database, FormatError } from '../../src/index';
import { compareKeys, compareValues } from '../../storage/compare';
import { crc32c } from '../../storage/crc32c';
import { encodePayload, decodePayload } from '../../storage/codec';
import { LOG_START, FrameKind, FRAME_HEADER_SIZE } from '../../storage/format';
import { MemoryStore } from '../../storage/memory-store';
import {
  StoredDirPage,
  StoredPage,
  dirPolicy,
  encodePage,
  readDirectory,
  readRootDirectory,
} from '../../storage/index-pages';
import type { PageRules } from '../../storage/index-pages';
import { PageSink } from '../../storage/page-sink';
import { BTree } from '../../storage/btree';
import { listFrames } from '../helpers/engine-util';

const RUNS = Number(process.env.MV_FUZZ_RUNS ?? 500);
const LIMIT = 1 << 20;

const PK: PageRules = { compare: compareValues, multi: false, width: 1, locations: true };
const INDEX: PageRules = { compare: compareValues, multi: true, width: 1, locations: false };
const COMPOSITE: PageRules = { compare: compareKeys, multi: true, width: 2, locations: false };

interface Sample {
  rules: PageRules;
  keys: unknown[];
  vals: unknown[];
}

const SAMPLES: Sample[] = [
  { rules: PK, keys: [1, 2, 3, 5, 8, 13, 21], vals: [200, 260, 330, 400, 480, 999, 2000] },
  { rules: PK, keys: ['apple', 'apricot', 'banana', 'band', 'bandana'], vals: [300, 310, 320, 330, 340] },
  {
    rules: INDEX,
    keys: ['a', 'a', 'a', 'b', 'b', null, 'zz'].sort(compareValues),
    vals: [1, 2, 3, 4, 5, 6, 7],
  },
  {
    rules: COMPOSITE,
    keys: [
      [1, 'x'],
      [1, 'y'],
      [2, null],
      [3, 'z'],
    ],
    vals: [9, 8, 7, 6],
  },
  { rules: PK, keys: [-5, 0, 2.5, 'k', Buffer.from([1, 2])], vals: [500, 501, 502, 503, 504] },
];

/** `page` placed in a file at LOG_START, with a StoredPage whose checksum matches its bytes. */
function storedPage(sample: Sample, page: Buffer, count: number): StoredPage {
  const file = Buffer.alloc(LOG_START + page.length);
  page.copy(file, LOG_START);
  const source = { store: new MemoryStore(file, true), limit: LIMIT };
  return new StoredPage(
    source,
    sample.rules,
    LOG_START,
    page.length,
    crc32c(page, 0, page.length),
    count,
    sample.keys[0],
    sample.vals[0],
    null,
  );
}

function mutate(bytes: Buffer, edits: [number, number][], cut: number | null): Buffer {
  const out = Buffer.from(bytes);
  for (const [at, x] of edits) out[at % out.length] ^= x;
  return cut === null ? out : out.subarray(0, cut % (out.length + 1));
}

const edits = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 });

function expectCorrupt(run: () => unknown): void {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(FormatError);
    expect((err as FormatError).code).toBe('CORRUPT');
  }
}

/** The order of entry i - 1 against entry i by the rules' own comparison (the oracle of load's checks). */
function entryOrder(rules: PageRules, keys: unknown[], vals: unknown[], i: number): number {
  const c = rules.compare(keys[i - 1], keys[i]);
  return c !== 0 || !rules.multi ? c : compareValues(vals[i - 1], vals[i]);
}

describe('index page decode fuzz', () => {
  test('pages of number keys out of order, or repeated where the tree is unique, are CORRUPT', () => {
    const cases: [PageRules, unknown[], unknown[]][] = [
      [PK, [1, 3, 2], [200, 210, 220]],
      [PK, [1, 2, 2], [200, 210, 220]],
      [PK, [-0, 0], [200, 210]],
      [PK, [1.5, 1.25], [200, 210]],
      [INDEX, [4, 4, 4], [1, 3, 2]],
      [INDEX, [4, 4], [1, 1]],
      [INDEX, [5, 4], [1, 2]],
    ];
    for (const [rules, keys, vals] of cases) {
      const page = encodePage(keys, vals);
      expect(() => storedPage({ rules, keys, vals }, page, keys.length).load()).toThrow(
        /entries out of order/,
      );
    }
    // The same shapes in order load.
    const ok = storedPage(
      { rules: INDEX, keys: [4, 4, 5], vals: [1, 2, 1] },
      encodePage([4, 4, 5], [1, 2, 1]),
      3,
    );
    expect(ok.load()).toEqual({ keys: [4, 4, 5], vals: [1, 2, 1] });
  });

  test(`mutated page bytes with a matching checksum (${RUNS})`, () => {
    fc.assert(
      fc.property(
        fc.nat(SAMPLES.length - 1),
        edits,
        fc.option(fc.nat(), { freq: 4 }),
        fc.integer({ min: 0, max: 9 }),
        (which, ed, cut, count) => {
          const sample = SAMPLES[which];
          const page = mutate(encodePage(sample.keys, sample.vals), ed, cut);
          expectCorrupt(() => {
            const { keys, vals } = storedPage(sample, page, count).load();
            // Whatever decodes passed every check: the right count, in order, within bounds.
            expect(keys.length).toBe(count);
            expect(vals.length).toBe(count);
            for (let i = 1; i < keys.length; i++)
              expect(entryOrder(sample.rules, keys, vals, i)).toBeLessThan(0);
          });
        },
      ),
      { numRuns: RUNS, seed: 1502 },
    );
  });

  test(`mutated directories (${RUNS})`, () => {
    const source = { store: new MemoryStore(Buffer.alloc(LOG_START + 64), true), limit: LIMIT };
    fc.assert(
      fc.property(fc.nat(SAMPLES.length - 1), edits, (which, ed) => {
        const sample = SAMPLES[which];
        const sink = new PageSink(source.store, LOG_START);
        const tree = BTree.fromSorted<unknown, unknown>(sample.keys, sample.vals, {
          compare: sample.rules.compare,
          multi: sample.rules.multi,
          valueCompare: compareValues,
        });
        const encoded = mutate(encodePayload(sink.directory((visit) => tree.forEachLeaf(visit))), ed, null);
        expectCorrupt(() =>
          readDirectory(decodePayload(encoded, 0), source, sample.rules, sample.keys.length, 0),
        );
      }),
      { numRuns: RUNS, seed: 1503 },
    );
  });

  test(`mutated directory pages with a matching checksum (${RUNS})`, () => {
    const writerDefault = dirPolicy.entries;
    dirPolicy.entries = 2;
    try {
      fc.assert(
        fc.property(
          fc.boolean(),
          fc.integer({ min: 1025, max: 2600 }),
          edits,
          fc.option(fc.nat(), { freq: 4 }),
          (pk, n, ed, cut) => {
            // n entries of a primary key or a secondary index: pages of at most 512 entries, in
            // directory pages of two pages (layout 5); then the first directory page's bytes damaged.
            const rules = pk ? PK : INDEX;
            const keys = Array.from({ length: n }, (_, i) =>
              pk ? i * 3 : `k${String(i >> 2).padStart(5, '0')}`,
            );
            const vals = Array.from({ length: n }, (_, i) => 200 + i);
            const sink = new PageSink(new MemoryStore(), LOG_START);
            sink.twoLevel = true;
            // Three pages or more: more than two, so a root directory names directory pages.
            const root = sink.directory((visit) => visit(null, keys, vals)) as { dirs: Uint8Array[] };
            const file = Buffer.concat([Buffer.alloc(LOG_START), sink.bytes()]);
            const source = { store: new MemoryStore(file, true), limit: LIMIT };
            const dirs = readRootDirectory(root.dirs, source, rules, n, 0);
            expect(dirs.length).toBe(Math.ceil(Math.ceil(n / 512) / 2));
            const first = dirs[0].dir as StoredDirPage;
            const damaged = mutate(file.subarray(first.offset, first.offset + first.length), ed, cut);
            const bytes = Buffer.concat([
              file.subarray(0, first.offset),
              damaged,
              file.subarray(first.offset + first.length),
            ]);
            const dir = new StoredDirPage(
              { store: new MemoryStore(bytes, true), limit: LIMIT },
              rules,
              first.offset,
              damaged.length,
              crc32c(damaged, 0, damaged.length),
              first.count,
              first.firstKey,
              first.firstVal,
              dirs.length > 1 ? { key: dirs[1].firstKey, val: dirs[1].firstVal } : null,
              null,
            );
            expectCorrupt(() => {
              const pages = dir.load();
              // Whatever decodes passed every check: the counts add up, and each page it names
              // decodes to its entries or fails with CORRUPT.
              expect(pages.reduce((sum, p) => sum + p.page.count, 0)).toBe(first.count);
              for (const p of pages) expect(p.page.load().keys).toHaveLength(p.page.count);
            });
          },
        ),
        { numRuns: RUNS, seed: 1505 },
      );
    } finally {
      dirPolicy.entries = writerDefault;
    }
  });

  test('damaged pages inside a file: open succeeds, reading them fails with CORRUPT', () => {
    const db = Database.openInMemory();
    db.registerCollection(
      'u',
      [
        { path: 'id', type: 'int64' },
        { path: 'name', type: 'string' },
        { path: 'n', type: 'float64' },
      ],
      'id',
      [{ name: 'u_name', path: 'name', kind: 'unique' }],
    );
    db.transaction(() => {
      for (let i = 0; i < 3000; i++) db.insert('u', { id: i, name: `name-${i}`, n: i / 4 });
    });
    db.checkpoint();
    const base = db.storage.bytes();
    db.close();
    const pages = listFrames(base).find((f) => f.kind === FrameKind.PAGES);
    if (!pages) throw new Error('no PAGES frame');
    const start = pages.offset + FRAME_HEADER_SIZE;
    fc.assert(
      fc.property(edits, (ed) => {
        const bytes = Buffer.from(base);
        for (const [at, x] of ed) bytes[start + (at % pages.length)] ^= x;
        // Keep the frame's own checksum right: the damage is left for the page checksums to find.
        const crc = crc32c(
          bytes,
          start,
          start + pages.length,
          crc32c(bytes, pages.offset, pages.offset + 16),
        );
        bytes.writeUInt32LE(crc, pages.offset + 16);
        const damaged = Database.openSnapshotBytes(bytes);
        expect(damaged.storage.recoveryReport.usedCheckpoint).toBe(true);
        expectCorrupt(() => {
          for (let i = 0; i < 3000; i += 97) expect(damaged.get('u', i)).toMatchObject({ id: i });
          expect(damaged.collection('u').where('name', 'name-77').all()).toHaveLength(1);
        });
        // Reading every row and every index entry touches every page, and a filtered count every
        // column page (format 1.3): the damage is always found.
        expect(() => {
          expect(damaged.collection('u').where('n', '>=', 0).count()).toBe(3000);
          damaged.collection('u').all();
          damaged.collection('u').orderBy('name').all();
        }).toThrow(expect.objectContaining({ code: 'CORRUPT' }));
        damaged.close();
      }),
      { numRuns: 100, seed: 1504 },
    );
  });
});
