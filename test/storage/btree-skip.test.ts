/**
 * BTreeCursor.skip (an OFFSET over a tree walk): over random trees — duplicate keys, tiny nodes
 * so that walks cross many leaves, bounds inclusive or not, forward and backward, snapshots
 * searched by packed keys — skipping n
 * entries stands where n calls of next() stand and reports as many entries, and the walk goes on
 * from there exactly as it would have.
 */
import fc from 'fast-check';
import { BTree } from '../../storage/btree';
import type { CursorOptions } from '../../storage/btree';
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
