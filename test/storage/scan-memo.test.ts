/**
 * Rows memoized beside primary-key leaves (storage/scan-memo.ts): a slot answers only for the
 * location it was filled for, the byte budget holds, and — property — scans interleaved with
 * writes, rollbacks, checkpoints and compactions always see exactly the model's rows, with a
 * budget small enough to evict constantly and with one large enough never to.
 */
import fc from 'fast-check';
import { Database } from '../../src/index';
import { ScanMemo } from '../../storage/scan-memo';
import type { MemoLeaf, ScanPosition } from '../../storage/row-readers';
import { tmpDir } from '../helpers/tmp';

const pos = (leaf: MemoLeaf, position: number, value: number): ScanPosition => ({ leaf, position, value });
const newLeaf = (): MemoLeaf => ({ memo: null });

describe('ScanMemo', () => {
  test("the columns of one leaf hold their entries' locations once", () => {
    const memo = new ScanMemo(1 << 20);
    const leaf = newLeaf();
    const at = pos(leaf, 0, 10);
    const a = {
      locations: new Float64Array([10, 11, 12]),
      values: new Float64Array([1, 2, 3]),
      trustedOn: null,
    };
    memo.putNumberColumn(leaf, 1, a);
    expect(memo.bytes).toBe(48);
    // Equal locations in another array: the leaf keeps one, and counts only the new values.
    const b = {
      locations: new Float64Array([10, 11, 12]),
      values: new Float64Array([4, 5, 6]),
      trustedOn: null,
    };
    memo.putNumberColumn(leaf, 2, b);
    expect(memo.bytes).toBe(72);
    const kept = memo.numberColumn(at, 2, [10, 11, 12]);
    expect(kept?.locations).toBe(a.locations);
    expect(Array.from(kept?.values ?? [])).toEqual([4, 5, 6]);
    // Other locations (the leaf changed between the scans that built them) are kept apart.
    const c = {
      locations: new Float64Array([10, 11, 13]),
      values: new Float64Array([7, 8, 9]),
      trustedOn: null,
    };
    memo.putNumberColumn(leaf, 3, c);
    expect(memo.bytes).toBe(120);
    expect(memo.numberColumn(at, 3, [10, 11, 13])?.locations).toBe(c.locations);
  });

  test('a slot answers only for its own location', () => {
    const memo = new ScanMemo(1 << 20);
    const leaf = newLeaf();
    const row = ['a'];
    memo.set(pos(leaf, 3, 1000), row, 10);
    expect(memo.get(pos(leaf, 3, 1000))).toBe(row);
    expect(memo.get(pos(leaf, 3, 2000))).toBeUndefined(); // the leaf changed in place
    expect(memo.get(pos(leaf, 2, 1000))).toBeUndefined();
    expect(memo.get(pos(newLeaf(), 3, 1000))).toBeUndefined(); // another leaf
    memo.clear();
    expect(memo.get(pos(leaf, 3, 1000))).toBeUndefined();
    expect(memo.bytes).toBe(0);
  });

  test('the budget holds: whole leaves go oldest first, and an evicted leaf can fill again', () => {
    const memo = new ScanMemo(1000);
    const leaves = Array.from({ length: 20 }, newLeaf);
    leaves.forEach((leaf, i) => {
      for (let k = 0; k < 5; k++) memo.set(pos(leaf, k, i * 100 + k), [i, k], 20);
      expect(memo.bytes).toBeLessThanOrEqual(1000);
    });
    expect(memo.get(pos(leaves[0], 0, 0))).toBeUndefined();
    expect(memo.get(pos(leaves[19], 4, 1904))).toEqual([19, 4]);
    for (let round = 0; round < 3; round++) {
      leaves.forEach((leaf, i) => memo.set(pos(leaf, 0, i * 100), [i], 20));
      expect(memo.bytes).toBeLessThanOrEqual(1000);
    }
    expect(memo.get(pos(leaves[19], 0, 1900))).toEqual([19, 0]); // a location's row never changes
    memo.set(pos(newLeaf(), 0, 1), ['huge'], 400); // over a quarter of the budget: never kept
    expect(memo.bytes).toBeLessThanOrEqual(1000);
  });

  test("rows flooding the budget do not take a leaf's number columns with them; those have their own", () => {
    const memo = new ScanMemo(1000);
    const kept = newLeaf();
    const col = { locations: new Float64Array([10, 11]), values: new Float64Array([1, 2]), trustedOn: null };
    memo.putNumberColumn(kept, 3, col);
    memo.set(pos(kept, 0, 10), ['a'], 20);
    // A scan over far more rows than the budget memoizes each: the rows of `kept` go first.
    for (let i = 0; i < 200; i++) memo.set(pos(newLeaf(), 0, 1000 + i), [i], 50);
    expect(memo.get(pos(kept, 0, 10))).toBeUndefined();
    expect(memo.numberColumn(pos(kept, 0, 10), 3, [10, 11])).toBe(col);
    // Columns past their half of the budget go oldest first.
    const later = Array.from({ length: 40 }, newLeaf);
    for (const leaf of later)
      memo.putNumberColumn(leaf, 0, {
        locations: new Float64Array(1),
        values: new Float64Array(1),
        trustedOn: null,
      });
    expect(memo.numberColumn(pos(kept, 0, 10), 3, [10, 11])).toBeUndefined();
    expect(memo.numberColumn(pos(later[39], 0, 0), 0, [0])).toBeDefined();
    expect(memo.bytes).toBeLessThanOrEqual(1000 + 500);
  });
});

type Op =
  | { kind: 'put'; id: number; v: number }
  | { kind: 'del'; id: number }
  | { kind: 'scan'; min: number }
  | { kind: 'txn'; ops: { id: number; v: number | null; scan: boolean }[]; commit: boolean }
  | { kind: 'checkpoint' }
  | { kind: 'compact' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('put' as const), id: fc.nat(300), v: fc.nat(100) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('del' as const), id: fc.nat(300) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('scan' as const), min: fc.nat(100) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('txn' as const),
      ops: fc.array(fc.record({ id: fc.nat(300), v: fc.option(fc.nat(100)), scan: fc.boolean() }), {
        maxLength: 40,
      }),
      commit: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'checkpoint' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'compact' as const }) },
);

describe('scans with memoized rows', () => {
  const tmp = tmpDir();
  afterAll(() => tmp.cleanup());

  test.each([
    ['a budget that evicts constantly', 2048],
    ['a budget that never evicts', 64 << 20],
  ])('property: scans see exactly the model after any writes (%s)', (_name, cacheBytes) => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 40 }), (ops) => {
        const file = tmp.file();
        const db = Database.open(file, { cacheBytes });
        db.registerCollection(
          'items',
          [
            { path: 'id', type: 'int64' },
            { path: 'v', type: 'int64' },
            { path: 'pad', type: 'string' },
          ],
          'id',
        );
        const model = new Map<number, number>();
        const expectScan = (min: number): void => {
          const want = [...model.entries()]
            .filter(([, v]) => v >= min)
            .sort((a, b) => a[0] - b[0])
            .map(([id, v]) => ({ id, v }));
          const filtered = db
            .collection('items')
            .where('v', '>=', min)
            .all()
            .map((r) => ({ id: r.id, v: r.v }));
          expect(filtered).toEqual(want);
          const all = db
            .collection('items')
            .all()
            .map((r) => r.id);
          expect(all).toEqual([...model.keys()].sort((a, b) => a - b));
        };
        try {
          for (const op of ops) {
            switch (op.kind) {
              case 'put':
                db.insert('items', { id: op.id, v: op.v, pad: 'x'.repeat(op.v) });
                model.set(op.id, op.v);
                break;
              case 'del':
                db.delete('items', op.id);
                model.delete(op.id);
                break;
              case 'scan':
                expectScan(op.min);
                break;
              case 'txn': {
                const staged = new Map(model);
                try {
                  db.transaction(() => {
                    for (const w of op.ops) {
                      if (w.v === null) {
                        db.delete('items', w.id);
                        staged.delete(w.id);
                      } else {
                        db.insert('items', { id: w.id, v: w.v, pad: '' });
                        staged.set(w.id, w.v);
                      }
                      // Scans between writes fill slots of leaves the next write changes in place.
                      if (w.scan) {
                        const ids = db
                          .collection('items')
                          .all()
                          .map((r) => [r.id, r.v]);
                        expect(ids).toEqual([...staged.entries()].sort((a, b) => a[0] - b[0]));
                      }
                    }
                    // Scans inside the transaction see its own writes.
                    const inside = db.collection('items').all().length;
                    expect(inside).toBe(staged.size);
                    if (!op.commit) throw new Error('rollback');
                  });
                  model.clear();
                  staged.forEach((v, k) => model.set(k, v));
                } catch (err) {
                  if ((err as Error).message !== 'rollback') throw err;
                }
                break;
              }
              case 'checkpoint':
                db.checkpoint();
                break;
              case 'compact':
                db.compact();
                break;
            }
          }
          expectScan(0);
        } finally {
          db.close();
        }
      }),
      { numRuns: 60, seed: 4711 },
    );
  });
});
