/**
 * The numeric lookup memo is a cache of a Map<number, number>: it may forget an entry but never
 * answers with a stale one; within its budgets it forgets nothing; its memory stays bounded.
 */
import fc from 'fast-check';
import { NumberMemo } from '../../storage/number-memo';
import { BTree } from '../../storage/btree';
import { compareValues } from '../../storage/compare';
import { lcg } from '../helpers/seeded';

type Op = { kind: 'set'; k: number; v: number } | { kind: 'delete'; k: number } | { kind: 'get'; k: number };

function ops(pool: number[]): fc.Arbitrary<Op[]> {
  const key = fc.constantFrom(...pool);
  const op: fc.Arbitrary<Op> = fc.oneof(
    { arbitrary: fc.record({ kind: fc.constant('set' as const), k: key, v: fc.integer() }), weight: 30 },
    { arbitrary: fc.record({ kind: fc.constant('delete' as const), k: key }), weight: 10 },
    { arbitrary: fc.record({ kind: fc.constant('get' as const), k: key }), weight: 10 },
  );
  return fc.array(op, { minLength: 2500, maxLength: 4000 });
}

/** Keys the dense part never takes: negatives, fractions, infinities, past 2^28. */
const HASHED = [
  -0.5,
  -1,
  -(2 ** 31),
  2 ** 28,
  2 ** 32,
  2 ** 53 - 1,
  -(2 ** 53) + 1,
  0.5,
  1.5,
  Infinity,
  -Infinity,
];

describe('NumberMemo', () => {
  test('equals a Map under random operations while within its budgets (dense and hashed keys, growth, backward-shift deletes)', () => {
    // Dense keys in a few chunks (0 and -0 are one key), hashed keys enough to grow the hash table.
    const pool = [0, -0, 1, 4095, 4096, 2 ** 28 - 1, ...HASHED];
    for (let i = 0; i < 3000; i++) pool.push(i * 7 + 3, -(i * 7919 + 1), i + 0.25);
    let largest = 0;
    fc.assert(
      fc.property(ops(pool), (list) => {
        const memo = new NumberMemo();
        const model = new Map<number, number>();
        for (const o of list) {
          if (o.kind === 'set') {
            memo.set(o.k, o.v);
            model.set(o.k, o.v);
          } else if (o.kind === 'delete') {
            memo.delete(o.k);
            model.delete(o.k);
          } else if (memo.get(o.k) !== model.get(o.k)) {
            expect(memo.get(o.k)).toBe(model.get(o.k));
          }
          if (memo.size !== model.size) expect(memo.size).toBe(model.size);
          largest = Math.max(largest, model.size);
        }
        for (const [k, v] of model) if (memo.get(k) !== v) expect(memo.get(k)).toBe(v);
        for (const k of pool) if (memo.get(k) !== model.get(k)) expect(memo.get(k)).toBe(model.get(k));
        memo.clear();
        expect(memo.size).toBe(0);
        for (const k of pool) if (memo.get(k) !== undefined) expect(memo.get(k)).toBeUndefined();
        memo.set(7, 1);
        memo.set(-7, 2);
        expect([memo.get(7), memo.get(-7)]).toEqual([1, 2]);
      }),
      { seed: 20261206, numRuns: 30 },
    );
    // Growth past the first hash table (1,024 slots) must be exercised, not just small maps.
    expect(largest).toBeGreaterThan(1024);
  });

  test('never answers with a stale value, also when it forgets (sparse keys switch the dense part off)', () => {
    // Keys spread over the dense range: chunks nearly empty, so the dense part gives up.
    const pool = [0, 1, ...HASHED];
    for (let i = 0; i < 3000; i++) pool.push(i * 4096, (i * 89_417) % 2 ** 28);
    let forgot = 0;
    fc.assert(
      fc.property(ops(pool), (list) => {
        const memo = new NumberMemo();
        const model = new Map<number, number>();
        for (const o of list) {
          if (o.kind === 'set') {
            memo.set(o.k, o.v);
            model.set(o.k, o.v);
          } else if (o.kind === 'delete') {
            memo.delete(o.k);
            model.delete(o.k);
            if (memo.get(o.k) !== undefined) expect(memo.get(o.k)).toBeUndefined();
          }
          const got = memo.get(o.k);
          if (got !== undefined && got !== model.get(o.k)) expect(got).toBe(model.get(o.k));
        }
        for (const k of pool) {
          const got = memo.get(k);
          if (got === undefined) forgot += model.has(k) ? 1 : 0;
          else if (got !== model.get(k)) expect(got).toBe(model.get(k));
        }
        expect(memo.size).toBeLessThanOrEqual(model.size);
      }),
      { seed: 20261207, numRuns: 20 },
    );
    // The switch-off did happen (entries held in chunks were dropped).
    expect(forgot).toBeGreaterThan(0);
  });

  test("dense keys cost 8 bytes each and the chunks stay within 16 MiB; fills take the oldest chunks' places", () => {
    const memo = new NumberMemo();
    for (let k = 1; k <= 1_000_000; k++) memo.set(k, k * 3);
    expect(memo.size).toBe(1_000_000);
    // 245 chunks of 4,096 keys plus the empty first hash table.
    expect(memo.bytes).toBeLessThan(1_000_000 * 8 + 2 * 4096 * 8 + 32 * 1024);
    for (let k = 1; k <= 1_000_000; k += 9973) expect(memo.get(k)).toBe(k * 3);
    for (let k = 1_000_001; k <= 3_000_000; k++) memo.set(k, k);
    expect(memo.bytes).toBeLessThanOrEqual(16 * 1024 * 1024 + 1024 * 16);
    // With the budget held (512 chunks: keys below 2^21), a key alone makes no chunk ...
    expect(memo.chunksMade).toBe(512);
    expect(memo.get(2_097_151)).toBe(2_097_151);
    expect(memo.get(2_097_152)).toBeUndefined();
    expect(memo.get(3_000_000)).toBeUndefined();
    expect(memo.get(1)).toBe(3);
    // ... a fill of its range does, in place of the oldest chunk.
    memo.setRun([2_999_999, 3_000_000], [7, 8], 0, 2);
    expect(memo.get(3_000_000)).toBe(8);
    expect(memo.get(1)).toBeUndefined();
    expect(memo.chunksMade).toBe(513);
    expect(memo.size).toBeLessThanOrEqual(512 * 4096);
    for (let k = 1; k <= 3_000_000; k += 7919) {
      const got = memo.get(k);
      if (got !== undefined) expect(got).toBe(k <= 1_000_000 ? k * 3 : k);
    }
  });

  test('random reads of a dense key range keep the dense part: 1M ids in random order', () => {
    // The table holds its 1M ids: spread over the 245 chunks they span, they fill them.
    const memo = new NumberMemo(() => 1_000_000);
    let s = 99;
    const next = (): number => (s = (Math.imul(s, 1103515245) + 12345) >>> 0);
    // Keys 1…1,000,000 touched in random order, as random point gets of a 1M-row table are.
    for (let i = 0; i < 3_000_000; i++) {
      const k = 1 + (next() % 1_000_000);
      memo.set(k, k * 2);
    }
    // Every key seen is still there (245 chunks < the 512 budget) and nothing went to the hash part.
    let held = 0;
    // Counted, not asserted a million times (an expect per key took ~30 s).
    let wrong = 0;
    for (let k = 1; k <= 1_000_000; k++) {
      const got = memo.get(k);
      if (got !== undefined) {
        if (got !== k * 2) wrong++;
        held++;
      }
    }
    expect(wrong).toBe(0);
    expect(held).toBeGreaterThan(940_000);
    expect(memo.bytes).toBeLessThanOrEqual(245 * 32 * 1024 + 1024 * 16);
  });

  test('random reads past the chunk budget allocate no chunk per read (a 10M-key table)', () => {
    const memo = new NumberMemo(() => 10_000_000);
    const next = lcg(7);
    for (let i = 0; i < 3_000_000; i++) {
      const k = 1 + next(10_000_000);
      memo.set(k, k + 0.5);
    }
    // The first 512 chunks touched, then none: before, each read whose chunk was not held
    // dropped the oldest and made a new one (~2.4M chunks of 32 KiB here).
    expect(memo.chunksMade).toBe(512);
    expect(memo.bytes).toBeLessThanOrEqual(16 * 1024 * 1024 + 1024 * 16);
    let held = 0;
    for (let i = 0; i < 100_000; i++) {
      const k = 1 + next(10_000_000);
      const got = memo.get(k);
      if (got !== undefined) {
        expect(got).toBe(k + 0.5);
        held++;
      }
    }
    // 512 of the ~2,442 chunks' ranges are held, and in them the ~26 % of keys seen: ~5,500.
    expect(held).toBeGreaterThan(4_500);
  });

  test('wantsFill: once per dense chunk, at its 8th miss; again only after the chunk was dropped', () => {
    const memo = new NumberMemo();
    const asked = (k: number): boolean => memo.wantsFill(k);
    // Misses anywhere in chunk 1 (keys 4096…8191) count together; chunk 2 counts on its own.
    for (let i = 0; i < 7; i++) expect(asked(4096 + i * 500)).toBe(false);
    expect(asked(9000)).toBe(false);
    expect(asked(8191)).toBe(true);
    for (let i = 0; i < 20; i++) expect(asked(5000)).toBe(false);
    expect(memo.chunkRange(5000)).toEqual([4096, 8191]);
    expect(memo.chunkRange(0)).toEqual([0, 4095]);
    // Keys outside the dense part are never filled by chunk.
    for (const k of HASHED) for (let i = 0; i < 10; i++) expect(asked(k)).toBe(false);
    // clear() drops the chunks, and with them the marks.
    memo.clear();
    for (let i = 0; i < 7; i++) expect(asked(6000)).toBe(false);
    expect(asked(6000)).toBe(true);
  });

  test('random 28-bit keys of a table that knows its size switch the dense part off early', () => {
    let keys = 0;
    const memo = new NumberMemo(() => keys);
    let s = 777;
    for (let i = 0; i < 50_000; i++) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      keys++;
      memo.set(s >>> 4, i);
    }
    // 50,000 keys over a span of ~65,000 chunks: off after 64 chunks (2 MiB), the rest hashed.
    expect(memo.bytes).toBeLessThanOrEqual((1 << 17) * 16);
    expect(memo.size).toBeGreaterThan(40_000);
  });

  test('random 28-bit keys do not fill the chunk budget', () => {
    const memo = new NumberMemo();
    let s = 12345;
    const keys: number[] = [];
    for (let i = 0; i < 200_000; i++) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      keys.push(s >>> 4);
      memo.set(s >>> 4, i);
    }
    // The dense part switched off once the chunk budget (512 chunks) was held and nearly empty;
    // its chunks were dropped and the rest went to the hash part (≤ 2^18 keys, 16 bytes a slot
    // at most half full).
    expect(memo.bytes).toBeLessThanOrEqual((1 << 19) * 16);
    // The newest keys are all there.
    for (let i = 199_000; i < 200_000; i++) {
      const got = memo.get(keys[i]);
      expect(got === undefined ? -1 : keys[got]).toBe(keys[i]);
    }
  });
});

describe('filling a dense chunk from a tree', () => {
  test('setRun puts exactly what set() would for the whole-number keys of one chunk', () => {
    const keys: unknown[] = [4096, 4097, 4100.5, 'x', 5000, 8191, 8192, -1, 6000];
    const vals: unknown[] = [1, 2, 3, 4, 'not a number', 6, 7, 8, 9];
    const memo = new NumberMemo();
    memo.setRun(keys, vals, 0, keys.length);
    expect([4096, 4097, 8191, 6000].map((k) => memo.get(k))).toEqual([1, 2, 6, 9]);
    // Not whole numbers, another chunk's key, a value that is no number: left out.
    expect([4100.5, 5000, 8192, -1].map((k) => memo.get(k))).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    expect(memo.size).toBe(4);
    // Again over the same keys: no entry counted twice.
    memo.setRun(keys, vals, 1, 2);
    expect(memo.size).toBe(4);
  });

  test('random point reads of a 300,000-key tree answer as a Map does while chunks fill', () => {
    const tree = new BTree<number, number>({
      compare: compareValues,
      multi: false,
      valueCompare: compareValues,
    });
    const model = new Map<number, number>();
    let x = 7;
    const next = (n: number): number => (x = (Math.imul(x, 1664525) + 1013904223) >>> 0) % n;
    // Keys 1…300,000 with gaps (every 7th missing), inserted in random order.
    const ids = Array.from({ length: 300_000 }, (_v, i) => i + 1).filter((k) => k % 7 !== 0);
    for (let i = ids.length - 1; i > 0; i--) {
      const j = next(i + 1);
      [ids[i], ids[j]] = [ids[j], ids[i]];
    }
    for (const k of ids) {
      tree.set(k, k * 3);
      model.set(k, k * 3);
    }
    tree.snapshot();
    let wrong = 0;
    for (let q = 0; q < 200_000; q++) {
      const k = next(310_000);
      if (tree.get(k) !== model.get(k)) wrong++;
    }
    expect(wrong).toBe(0);
  });
});
