/**
 * topN (planner/top-n.ts) against its definition: the first `keep` rows of a stable full sort.
 * Ties are the point — small key domains, so most rows tie with the heap's worst — and so is the
 * presorted early stop (input ordered on the first key).
 */
import fc from 'fast-check';
import { topN } from '../../planner/top-n';
import { rowsSource } from '../../planner/source';
import type { Row } from '../../planner/compile-expr';
import type { SortKey } from '../../planner/logical';
import { compareValues } from '../../storage/compare';

/** A column reference as a sort key's expression: topN only reads `desc` and `nulls`. */
function key(desc: boolean): SortKey {
  return { expr: { kind: 'lit', value: null } as unknown as SortKey['expr'], desc };
}

function stableTop(rows: readonly Row[], keys: readonly SortKey[], keep: number): Row[] {
  const cmp = (a: Row, b: Row): number => {
    for (let i = 0; i < keys.length; i++) {
      const c = compareValues(a[i], b[i]);
      if (c !== 0) return keys[i].desc ? -c : c;
    }
    return 0;
  };
  // Array.prototype.sort is stable: equal rows keep their arrival order.
  return [...rows].sort(cmp).slice(0, keep);
}

const value = fc.oneof(fc.integer({ min: 0, max: 4 }), fc.constant(null), fc.constantFrom('a', 'b'));
const rowArb = fc.tuple(value, value, fc.integer());
/** Rows, the two keys' directions, and how many rows to keep. */
const inputs = [
  fc.array(rowArb, { maxLength: 60 }),
  fc.tuple(fc.boolean(), fc.boolean()),
  fc.integer({ min: 1, max: 12 }),
] as const;

describe('topN', () => {
  it('keeps what a stable full sort would, ties in arrival order', () => {
    fc.assert(
      fc.property(...inputs, (rows, [d0, d1], keep) => {
        const keys = [key(d0), key(d1)];
        const evals = [(r: Row) => r[0], (r: Row) => r[1]];
        const got = topN(rowsSource(rows), evals, keys, keep);
        const want = stableTop(rows, keys, keep);
        expect(got).toEqual(want);
        // The very row objects, not copies: the third column tells equal-keyed rows apart.
        got.forEach((r, i) => expect(r).toBe(want[i]));
      }),
      { numRuns: 400, seed: 20262006 },
    );
  });

  it('stops reading presorted input once a row falls behind the kept ones on the first key', () => {
    fc.assert(
      fc.property(...inputs, (unsorted, [d0, d1], keep) => {
        const keys = [key(d0), key(d1)];
        const rows = stableTop(unsorted, [keys[0]], unsorted.length);
        let pulled = 0;
        const src = rowsSource(rows);
        const counting = { next: () => (src.next() === null ? null : rows[pulled++]) };
        const evals = [(r: Row) => r[0], (r: Row) => r[1]];
        const got = topN(counting, evals, keys, keep, 1);
        expect(got).toEqual(stableTop(rows, keys, keep));
        // Everything up to the end of the first-key group holding the keep-th row, plus one.
        const last = got.length > 0 ? got[got.length - 1][0] : undefined;
        const groupEnd = rows.findIndex((r, i) => i >= keep && compareValues(r[0], last) !== 0);
        expect(pulled).toBe(groupEnd < 0 ? rows.length : groupEnd + 1);
      }),
      { numRuns: 400, seed: 20262007 },
    );
  });
});
