/**
 * GROUP BY keys: GroupIndex puts two values in the same group exactly when compareValues says
 * they are equal — the contract valueKey/tupleKey already meet — on its fast path too.
 */
import fc from 'fast-check';
import { GroupIndex, tupleKey } from '../../planner/value-key';
import { compareValues } from '../../storage/compare';

const value = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer({ min: -3, max: 3 }),
  fc.constantFrom(0, -0, 1.5, 2 ** 53, 2 ** 53 + 2, -(2 ** 60)),
  fc.constantFrom(0n, 1n, -1n, 2n ** 53n, 2n ** 53n + 2n, -(2n ** 60n)),
  fc.constantFrom('', 'a', '1', 'n1', 's', 'z', 'b00', 'sa'),
  fc.constantFrom(Buffer.from([]), Buffer.from([0]), Buffer.from('a')),
);

describe('GroupIndex', () => {
  test('property: one-value and multi-value tuples group exactly as compareValues equality', () => {
    fc.assert(
      fc.property(fc.array(fc.array(value, { minLength: 1, maxLength: 2 }), { maxLength: 40 }), (tuples) => {
        const index = new GroupIndex<number>();
        const assigned: number[] = [];
        for (const t of tuples) {
          let g = t.length === 1 ? index.findOne(t[0]) : index.find(t);
          if (g === undefined) {
            g = assigned.length;
            if (t.length === 1) index.addOne(t[0], g);
            else index.add(t, g);
          }
          assigned.push(g);
        }
        tuples.forEach((a, i) =>
          tuples.forEach((b, j) => {
            const equal = a.length === b.length && a.every((v, k) => compareValues(v, b[k]) === 0);
            expect(assigned[i] === assigned[j]).toBe(equal);
          }),
        );
        expect(index.size).toBe(new Set(assigned).size);
        expect(index.values().sort((x, y) => x - y)).toEqual([...new Set(assigned)].sort((x, y) => x - y));
      }),
      { numRuns: 300, seed: 1201 },
    );
  });

  test('agrees with tupleKey on which values are equal', () => {
    expect(tupleKey([1])).toBe(tupleKey([1n]));
    const index = new GroupIndex<string>();
    index.addOne(true, 'one');
    expect(index.findOne(1)).toBe('one');
    expect(index.findOne(1n)).toBe('one');
    expect(index.findOne('1')).toBeUndefined();
    index.addOne(2 ** 53 + 2, 'big');
    expect(index.findOne(2n ** 53n + 2n)).toBe('big');
    index.addOne(null, 'null');
    expect(index.findOne(undefined)).toBe('null');
    expect(index.findOne('z')).toBeUndefined();
  });
});
