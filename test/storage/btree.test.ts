/**
 * Model-based properties of the copy-on-write B+tree against a sorted-array model, with a tiny
 * node size so splits, empty-node removal and deep trees happen in small cases.
 */
import fc from 'fast-check';
import { BTree } from '../../storage/btree';
import type { BTreeSnapshot } from '../../storage/btree';
import { compareValues } from '../../storage/compare';

type Op = { t: 'set' | 'del'; k: number } | { t: 'snap' } | { t: 'restore'; i: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ t: fc.constant('set' as const), k: fc.integer({ min: 0, max: 60 }) }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('del' as const), k: fc.integer({ min: 0, max: 60 }) }) },
  { weight: 1, arbitrary: fc.constant({ t: 'snap' as const }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('restore' as const), i: fc.nat() }) },
);

function range(
  model: [number, number][],
  lo?: number,
  loInc = true,
  hi?: number,
  hiInc = true,
): [number, number][] {
  return model.filter(
    ([k]) =>
      (lo === undefined || (loInc ? k >= lo : k > lo)) && (hi === undefined || (hiInc ? k <= hi : k < hi)),
  );
}

describe('B+tree, unique mode', () => {
  test('matches a sorted model through sets, deletes, snapshots, restores and bounded cursors', () => {
    fc.assert(
      fc.property(
        fc.array(opArb, { maxLength: 300 }),
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: 0, max: 60 }),
        fc.boolean(),
        fc.boolean(),
        (ops, a, b, loInc, hiInc) => {
          const tree = new BTree<number, number>({ compare: compareValues, nodeSize: 4 });
          let model = new Map<number, number>();
          const snaps: { snap: BTreeSnapshot<number, number>; model: Map<number, number> }[] = [];
          let n = 0;
          for (const op of ops) {
            if (op.t === 'set') {
              expect(tree.set(op.k, n)).toBe(model.get(op.k));
              model.set(op.k, n++);
            } else if (op.t === 'del') {
              expect(tree.delete(op.k)).toBe(model.delete(op.k));
            } else if (op.t === 'snap') snaps.push({ snap: tree.snapshot(), model: new Map(model) });
            else if (op.t === 'restore' && snaps.length) {
              const s = snaps[op.i % snaps.length];
              tree.restore(s.snap);
              model = new Map(s.model);
            }
          }
          const sorted = [...model.entries()].sort((x, y) => x[0] - y[0]);
          expect(tree.size).toBe(sorted.length);
          expect([...tree.entries()]).toEqual(sorted);
          const [lo, hi] = a <= b ? [a, b] : [b, a];
          const want = range(sorted, lo, loInc, hi, hiInc);
          expect([...tree.entries({ lo, loInclusive: loInc, hi, hiInclusive: hiInc })]).toEqual(want);
          expect([
            ...tree.entries({ lo, loInclusive: loInc, hi, hiInclusive: hiInc, reverse: true }),
          ]).toEqual([...want].reverse());
          for (let k = 0; k <= 60; k += 7) expect(tree.get(k)).toBe(model.get(k));
          // Snapshots never see later mutations.
          for (const s of snaps)
            expect([...s.snap.entries()]).toEqual([...s.model.entries()].sort((x, y) => x[0] - y[0]));
          expect(tree.min()?.[0]).toBe(sorted[0]?.[0]);
          expect(tree.max()?.[0]).toBe(sorted[sorted.length - 1]?.[0]);
        },
      ),
      { numRuns: 300, seed: 11 },
    );
  });

  test('fromSorted + toArrays round trip, 100k entries at the default node size', () => {
    const keys = Array.from({ length: 100_000 }, (_, i) => i * 2);
    const vals = keys.map((k) => k + 1);
    const tree = BTree.fromSorted(keys, vals, { compare: compareValues });
    expect(tree.size).toBe(100_000);
    expect(tree.get(1234)).toBe(1235);
    expect(tree.get(1235)).toBeUndefined();
    tree.set(1235, 0);
    tree.delete(0);
    const arrays = tree.toArrays();
    expect(arrays.keys.length).toBe(100_000);
    expect(arrays.keys.slice(0, 3)).toEqual([2, 4, 6]);
    expect(arrays.keys.indexOf(1235)).toBe(617); // right after 1234
  });
});

describe('B+tree, multi mode (secondary indexes)', () => {
  test('duplicate keys ordered by value; bounds apply to whole keys; get returns the first value', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 8 }), fc.integer({ min: 0, max: 30 })), {
          maxLength: 300,
        }),
        fc.integer({ min: 0, max: 8 }),
        (ops, probe) => {
          const tree = new BTree<number, number>({
            compare: compareValues,
            multi: true,
            valueCompare: compareValues,
            nodeSize: 4,
          });
          const model = new Set<string>();
          for (const [add, k, v] of ops) {
            const key = `${k}:${v}`;
            if (add) {
              expect(tree.add(k, v)).toBe(!model.has(key));
              model.add(key);
            } else {
              expect(tree.delete(k, v)).toBe(model.delete(key));
            }
          }
          const sorted = [...model]
            .map((x) => x.split(':').map(Number) as [number, number])
            .sort((x, y) => x[0] - y[0] || x[1] - y[1]);
          expect([...tree.entries()]).toEqual(sorted);
          const withKey = sorted.filter(([k]) => k === probe);
          expect([...tree.entries({ lo: probe, hi: probe })]).toEqual(withKey);
          expect(tree.get(probe)).toBe(withKey[0]?.[1]);
          expect([...tree.entries({ lo: probe, loInclusive: false })]).toEqual(
            sorted.filter(([k]) => k > probe),
          );
        },
      ),
      { numRuns: 300, seed: 12 },
    );
  });
});
