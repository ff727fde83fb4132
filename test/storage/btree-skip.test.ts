/**
 * BTreeCursor.skip (an OFFSET over a tree walk): over random trees — duplicate keys, tiny nodes
 * so that walks cross many leaves, bounds inclusive or not, forward and backward, snapshots
 * searched by packed keys — skipping n
 * entries stands where n calls of next() stand and reports as many entries, and the walk goes on
 * from there exactly as it would have.
 */
import fc from 'fast-check';
import { BTree } from '../../storage/btree';
import type { CursorOptions, DirEntry, DirPage, LeafPage, PageEntry } from '../../storage/btree';
import { compareKeys, compareValues } from '../../storage/compare';
import { packPolicy } from '../../storage/packed-keys';

interface Case {
  keys: number[];
  multi: boolean;
  /** compareKeys: a snapshot's searches then use packed keys (storage/packed-keys.ts). */
  packed: boolean;
  nodeSize: number;
  lo: number | null;
  hi: number | null;
  loInclusive: boolean;
  hiInclusive: boolean;
  reverse: boolean;
  skips: number[];
}

const caseArb: fc.Arbitrary<Case> = fc.record({
  keys: fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 50, maxLength: 400 }),
  multi: fc.boolean(),
  packed: fc.boolean(),
  nodeSize: fc.constantFrom(4, 5, 8, 64),
  // Bounds in the lower and the upper half (and often none): most walks hold many entries.
  lo: fc.option(fc.integer({ min: -5, max: 150 }), { nil: null, freq: 2 }),
  hi: fc.option(fc.integer({ min: 150, max: 305 }), { nil: null, freq: 2 }),
  loInclusive: fc.boolean(),
  hiInclusive: fc.boolean(),
  reverse: fc.boolean(),
  skips: fc.array(fc.integer({ min: 0, max: 90 }), { minLength: 1, maxLength: 8 }),
});

/** A key as the tree holds it: a number, or (packed) a composite key's tuple of two numbers. */
function keyOf(c: Case, k: number): unknown {
  return c.packed ? [Math.floor(k / 10), k % 10] : k;
}

function build(c: Case): BTree<unknown, number> {
  const tree = new BTree<unknown, number>({
    compare: c.packed ? compareKeys : compareValues,
    multi: c.multi,
    valueCompare: compareValues,
    nodeSize: c.nodeSize,
  });
  c.keys.forEach((k, i) => tree.set(keyOf(c, k), i));
  return tree;
}

function options(c: Case): CursorOptions<unknown> {
  return {
    ...(c.lo === null ? {} : { lo: keyOf(c, c.lo), loInclusive: c.loInclusive }),
    ...(c.hi === null ? {} : { hi: keyOf(c, c.hi), hiInclusive: c.hiInclusive }),
    reverse: c.reverse,
  };
}

test('skip(n) stands where n calls of next() stand', () => {
  let skipped = 0;
  // Snapshot nodes pack their tuple keys at the first search, not the eighth.
  const packAfter = packPolicy.after;
  packPolicy.after = 1;
  try {
    fc.assert(
      fc.property(caseArb, (c) => {
        const tree = build(c);
        for (const reader of [tree, tree.snapshot()]) {
          const jumping = reader.cursor(options(c));
          const stepping = reader.cursor(options(c));
          for (const n of c.skips) {
            let stepped = 0;
            while (stepped < n && stepping.next()) stepped++;
            const got = jumping.skip(n);
            skipped += got;
            if (got !== stepped) throw new Error(`skip(${n}) advanced ${got}, next() ${stepped}`);
            if (stepped > 0 && (jumping.key !== stepping.key || jumping.value !== stepping.value))
              throw new Error(
                `skip(${n}) stands on ${jumping.key}/${jumping.value}, next() on ${stepping.key}/${stepping.value}`,
              );
            // One ordinary step after each skip: the walk goes on from the same entry.
            const a = jumping.next();
            const b = stepping.next();
            if (a !== b || (a && (jumping.key !== stepping.key || jumping.value !== stepping.value)))
              throw new Error('the walks part after a skip');
          }
        }
      }),
      { seed: 20261207, numRuns: 400 },
    );
  } finally {
    packPolicy.after = packAfter;
  }
  // The cases skipped something (not only empty walks).
  expect(skipped).toBeGreaterThan(20_000);
});

/** A page held in memory that counts its loads (a paged tree's cold leaf stands for it). */
class CountedPage implements LeafPage<number, number> {
  constructor(
    private readonly keys: number[],
    private readonly vals: number[],
    private readonly counter: { loads: number },
  ) {}

  get count(): number {
    return this.keys.length;
  }

  load(): { keys: number[]; vals: number[] } {
    this.counter.loads++;
    return { keys: this.keys.slice(), vals: this.vals.slice() };
  }
}

/** A directory page held in memory that counts its loads (a cold inner node stands for it). */
class CountedDir implements DirPage<number, number> {
  readonly count: number;
  constructor(
    private readonly pages: PageEntry<number, number>[],
    private readonly counter: { loads: number; dirs: number },
  ) {
    this.count = pages.reduce((n, p) => n + p.page.count, 0);
  }

  load(): PageEntry<number, number>[] {
    this.counter.dirs++;
    return this.pages.slice();
  }
}

interface PagedCase {
  keys: number[];
  multi: boolean;
  pageSizes: number[];
  /** Pages per directory page (a tree opened from a layout-5 checkpoint); 0: no directory pages. */
  dirSize: number;
  lo: number | null;
  hi: number | null;
  loInclusive: boolean;
  hiInclusive: boolean;
  skips: number[];
}

const pagedArb: fc.Arbitrary<PagedCase> = fc.record({
  keys: fc.array(fc.integer({ min: 0, max: 2000 }), { minLength: 100, maxLength: 1500 }),
  multi: fc.boolean(),
  pageSizes: fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 5 }),
  dirSize: fc.constantFrom(0, 2, 3, 8),
  lo: fc.option(fc.integer({ min: -5, max: 800 }), { nil: null, freq: 2 }),
  hi: fc.option(fc.integer({ min: 1200, max: 2005 }), { nil: null, freq: 2 }),
  loInclusive: fc.boolean(),
  hiInclusive: fc.boolean(),
  skips: fc.array(fc.integer({ min: 0, max: 700 }), { minLength: 1, maxLength: 6 }),
});

/**
 * A tree standing on cold pages of the sorted entries, cut at the case's page sizes (cycled),
 * under cold directory pages of dirSize pages when dirSize > 0.
 */
function pagedTree(c: PagedCase, counter = { loads: 0, dirs: 0 }): BTree<number, number> {
  const sorted = c.keys.map((k, i) => [k, i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const entries = c.multi ? sorted : sorted.filter((e, i) => i === 0 || sorted[i - 1][0] !== e[0]);
  const pages: PageEntry<number, number>[] = [];
  for (let i = 0, s = 0; i < entries.length; s++) {
    const n = c.pageSizes[s % c.pageSizes.length];
    const part = entries.slice(i, i + n);
    pages.push({
      firstKey: part[0][0],
      firstVal: part[0][1],
      page: new CountedPage(
        part.map((e) => e[0]),
        part.map((e) => e[1]),
        counter,
      ),
    });
    i += n;
  }
  const opts = { compare: compareValues, multi: c.multi, valueCompare: compareValues };
  if (c.dirSize === 0) return BTree.fromPages<number, number>(pages, opts);
  const dirs: DirEntry<number, number>[] = [];
  for (let i = 0; i < pages.length; i += c.dirSize) {
    const group = pages.slice(i, i + c.dirSize);
    dirs.push({
      firstKey: group[0].firstKey,
      firstVal: group[0].firstVal,
      dir: new CountedDir(group, counter),
    });
  }
  return BTree.fromDirs<number, number>(dirs, opts);
}

test('skip(n) over cold leaves and directory pages passes them by their counts and stands where next() stands', () => {
  let passedPages = 0;
  fc.assert(
    fc.property(pagedArb, (c) => {
      const opts: CursorOptions<number> = {
        ...(c.lo === null ? {} : { lo: c.lo, loInclusive: c.loInclusive }),
        ...(c.hi === null ? {} : { hi: c.hi, hiInclusive: c.hiInclusive }),
      };
      const jumpingLoads = { loads: 0, dirs: 0 };
      const steppingLoads = { loads: 0, dirs: 0 };
      const jumping = pagedTree(c, jumpingLoads).cursor(opts);
      const stepping = pagedTree(c, steppingLoads).cursor(opts);
      for (const n of c.skips) {
        let stepped = 0;
        while (stepped < n && stepping.next()) stepped++;
        const got = jumping.skip(n);
        if (got !== stepped) throw new Error(`skip(${n}) advanced ${got}, next() ${stepped}`);
        if (stepped === n && n > 0 && (jumping.key !== stepping.key || jumping.value !== stepping.value))
          throw new Error(`skip(${n}) stands on ${jumping.key}/${jumping.value}, next() on ${stepping.key}`);
        const a = jumping.next();
        const b = stepping.next();
        if (a !== b || (a && (jumping.key !== stepping.key || jumping.value !== stepping.value)))
          throw new Error('the walks part after a skip');
      }
      // What the two walks read: the skipping one never more pages than the stepping one.
      if (jumpingLoads.loads > steppingLoads.loads || jumpingLoads.dirs > steppingLoads.dirs)
        throw new Error(
          `skipping read ${jumpingLoads.loads}/${jumpingLoads.dirs} pages, stepping ${steppingLoads.loads}/${steppingLoads.dirs}`,
        );
      passedPages += steppingLoads.loads - jumpingLoads.loads;
    }),
    { seed: 20261208, numRuns: 300 },
  );
  // Pages were passed unread (not only walks too short to pass any).
  expect(passedPages).toBeGreaterThan(1_000);
});

test('a long skip over a cold tree reads the pages at its ends', () => {
  // 64,000 entries in 500 pages of 128, under inner nodes of up to 64 pages built in memory: the
  // walk enters each inner node and passes its leaves by count.
  const keys = Array.from({ length: 64_000 }, (_, i) => i);
  const flat: PagedCase = {
    keys,
    multi: false,
    pageSizes: [128],
    dirSize: 0,
    lo: null,
    hi: null,
    loInclusive: true,
    hiInclusive: true,
    skips: [],
  };
  const counter = { loads: 0, dirs: 0 };
  const cur = pagedTree(flat, counter).cursor({ lo: 100, hi: 63_900 });
  expect(cur.skip(100_000)).toBe(63_801);
  expect(counter.loads).toBeLessThanOrEqual(3);
  expect(counter.loads).toBeGreaterThan(0);
  // Under cold directory pages of 20 pages each (25 of them), whole directory pages pass unread:
  // only the pages and directory pages at the two ends are read.
  const cold = { loads: 0, dirs: 0 };
  const walk = pagedTree({ ...flat, dirSize: 20 }, cold).cursor({ lo: 100, hi: 63_900 });
  expect(walk.skip(100_000)).toBe(63_801);
  expect(cold.dirs).toBeLessThanOrEqual(3);
  expect(cold.loads).toBeLessThanOrEqual(3);
  expect(walk.next()).toBe(false);
  // 250 directory pages of 2 pages: 4 inner nodes over up to 64 of them, a root over those.
  // Passing the last directory page of an inner node takes the separator from the root; an inner
  // node (built in memory, its count unknown) is entered and its directory pages passed: only the
  // directory pages and pages at the two ends are read.
  const deep = { loads: 0, dirs: 0 };
  const deepWalk = pagedTree({ ...flat, dirSize: 2 }, deep).cursor({ lo: 100, hi: 63_900 });
  expect(deepWalk.skip(100_000)).toBe(63_801);
  expect(deep.dirs + deep.loads).toBeLessThanOrEqual(7);
});
