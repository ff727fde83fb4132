/**
 * Composite index keys in the B+tree: entries under one key share the key's array (sharedKey),
 * a cursor compares a shared key with its bound once, and a snapshot's cursors search frozen
 * nodes through their packed keys (storage/packed-keys.ts) with the same answers as compareKeys
 * on the live tree. Work is counted (comparisons, packed searches), never timed.
 */
import fc from 'fast-check';
import { BTree } from '../../storage/btree';
import type { CursorOptions } from '../../storage/btree';
import { KEY_BOTTOM, KEY_TOP, compareKeys, compareValues } from '../../storage/compare';
import { comparePacked, packKeys, packPolicy, packStats, packableProbe } from '../../storage/packed-keys';

type Key = unknown[];

function indexTree(nodeSize: number, compare = compareKeys): BTree<unknown, number> {
  return new BTree<unknown, number>({ compare, multi: true, valueCompare: compareValues, nodeSize });
}

function walk(
  tree: { cursor(o: CursorOptions<unknown>): { next(): boolean; key: unknown; value: number } },
  o: CursorOptions<unknown>,
): [unknown, number][] {
  const cur = tree.cursor(o);
  const out: [unknown, number][] = [];
  while (cur.next()) out.push([cur.key, cur.value]);
  return out;
}

describe('shared composite keys', () => {
  test('entries under one key store one array, whatever order they came in', () => {
    const tree = indexTree(8);
    for (let v = 0; v < 40; v++) tree.add([v % 4, 7], (v * 17) % 40);
    const snap = tree.snapshot();
    for (let c = 0; c < 4; c++) {
      const keys = walk(snap, { lo: [c, 7], hi: [c, 7] }).map(([k]) => k);
      expect(keys).toHaveLength(10);
      // Leaves split the run, so up to one array per leaf it spans; far fewer than ten.
      expect(new Set(keys).size).toBeLessThanOrEqual(3);
    }
  });

  test('keys that only compare equal (1 and 1n, -0 and 0) keep their own arrays', () => {
    const tree = indexTree(8);
    tree.add([1, 2], 1);
    tree.add([1n, 2], 2);
    tree.add([0, 2], 3);
    tree.add([-0, 2], 4);
    const keys = walk(tree, {}).map(([k]) => k as Key);
    expect(new Set(keys).size).toBe(4);
    // Each entry reads back the value it was stored with.
    expect(keys.some((k) => Object.is(k[0], -0))).toBe(true);
    expect(keys.some((k) => k[0] === 1n)).toBe(true);
  });

  test('a walk compares each distinct key with its bound once, not each entry', () => {
    let calls = 0;
    const counting = (a: unknown, b: unknown): number => {
      calls++;
      return compareKeys(a, b);
    };
    const tree = indexTree(64, counting);
    for (let v = 0; v < 50; v++) tree.add([1, 1], v);
    for (let v = 0; v < 50; v++) tree.add([1, 2], 100 + v);
    calls = 0;
    const cur = tree.cursor({ lo: [1, 1], hi: [1, 1, KEY_TOP] });
    const seekCalls = (() => {
      expect(cur.next()).toBe(true);
      return calls;
    })();
    let n = 1;
    while (cur.next()) n++;
    expect(n).toBe(50);
    // The first entry's bound check, then one more for the key after the run ends it.
    expect(calls - seekCalls).toBe(1);
  });
});

/** Number pools where packing applies, and values that must make a node fall back. */
const NUMBERS = [-Infinity, -1e300, -2, -1, -0.5, -0, 0, 0.5, 1, 2, 2 ** 53, 1e300, Infinity];
const FALLBACK: unknown[] = [null, NaN, 'a', 'B', 3n, new Uint8Array([1])];

const numArb = fc.constantFrom(...NUMBERS);
const anyArb = fc.oneof(
  { weight: 12, arbitrary: numArb },
  { weight: 1, arbitrary: fc.constantFrom(...FALLBACK) },
);
const boundArb = (vArb: fc.Arbitrary<unknown>): fc.Arbitrary<unknown[]> =>
  fc.oneof(
    fc.tuple(vArb),
    fc.tuple(vArb, vArb),
    fc.tuple(vArb, fc.constantFrom(KEY_TOP, KEY_BOTTOM)),
    fc.tuple(vArb, vArb, fc.constantFrom(KEY_TOP, KEY_BOTTOM)),
  );
const optsArb = (vArb: fc.Arbitrary<unknown>): fc.Arbitrary<CursorOptions<unknown>> =>
  fc.record(
    {
      lo: boundArb(vArb),
      loInclusive: fc.boolean(),
      hi: boundArb(vArb),
      hiInclusive: fc.boolean(),
      reverse: fc.boolean(),
    },
    { requiredKeys: [] },
  );

/** The model: entries sorted by (key, value), filtered by the bounds with compareKeys. */
function modelWalk(entries: [Key, number][], o: CursorOptions<unknown>): [unknown, number][] {
  const sorted = entries.slice().sort((a, b) => compareKeys(a[0], b[0]) || compareValues(a[1], b[1]));
  const inside = sorted.filter(([k]) => {
    if (o.lo !== undefined) {
      const c = compareKeys(k, o.lo);
      if (c < 0 || (c === 0 && o.loInclusive === false)) return false;
    }
    if (o.hi !== undefined) {
      const c = compareKeys(k, o.hi);
      if (c > 0 || (c === 0 && o.hiInclusive === false)) return false;
    }
    return true;
  });
  return o.reverse ? inside.reverse() : inside;
}

describe('packed keys of frozen nodes', () => {
  // These tests count packed searches: pack every node at its first search (the default waits).
  const packAfter = packPolicy.after;
  beforeAll(() => {
    packPolicy.after = 1;
  });
  afterAll(() => {
    packPolicy.after = packAfter;
  });

  test.each([
    ['numbers only', numArb],
    ['numbers with NULL, NaN, text, bigint and bytes', anyArb],
  ])('snapshot cursors answer as compareKeys does (%s)', (_name, vArb) => {
    const searchesBefore = packStats.searches;
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.tuple(vArb, vArb), fc.integer({ min: 0, max: 30 })), { maxLength: 300 }),
        fc.array(fc.nat(), { maxLength: 40 }),
        fc.array(optsArb(vArb), { minLength: 1, maxLength: 8 }),
        fc.constantFrom(4, 8, 64),
        (adds, dels, queries, nodeSize) => {
          const tree = indexTree(nodeSize);
          // Fresh arrays each time: equal keys must still be found and shared.
          let entries: [Key, number][] = [];
          for (const [k, v] of adds) {
            if (entries.some(([ek, ev]) => compareKeys(ek, k) === 0 && ev === v)) continue;
            tree.add(k.slice(), v);
            entries.push([k, v]);
          }
          const snap = tree.snapshot();
          const frozen = entries;
          // Later writes must not reach the snapshot's packed nodes.
          for (const d of dels) {
            if (entries.length === 0) break;
            const [k, v] = entries[d % entries.length];
            tree.delete(k, v);
            entries = entries.filter((e) => !(compareKeys(e[0], k) === 0 && e[1] === v));
          }
          for (let i = 0; i < 5 && adds.length > 0; i++) {
            const [k, v] = adds[(i * 7) % adds.length];
            if (!entries.some(([ek, ev]) => compareKeys(ek, k) === 0 && ev === v)) {
              tree.add([...k], v);
              entries.push([k, v]);
            }
          }
          for (const q of queries) {
            expect(walk(snap, q).map(([k, v]) => [k, v])).toEqual(modelWalk(frozen, q));
            expect(walk(tree, q)).toEqual(modelWalk(entries, q));
            expect(walk(tree.snapshot(), q)).toEqual(modelWalk(entries, q));
          }
        },
      ),
      { seed: 20261202, numRuns: 150 },
    );
    expect(packStats.searches).toBeGreaterThan(searchesBefore);
  });

  test('a descent of a snapshot searches packed keys once per level, the live tree none', () => {
    const tree = indexTree(16);
    for (let i = 0; i < 5000; i++) tree.add([i % 97, i % 13], i);
    const live = packStats.searches;
    expect(walk(tree, { lo: [5, 3], hi: [5, 3, KEY_TOP] }).length).toBeGreaterThan(0);
    expect(packStats.searches).toBe(live);
    const snap = tree.snapshot();
    let depth = 1;
    const before = packStats.searches;
    const got = walk(snap, { lo: [5, 3], hi: [5, 3, KEY_TOP] });
    expect(got).toEqual(walk(tree, { lo: [5, 3], hi: [5, 3, KEY_TOP] }));
    // Levels: entries fill nodes between half and full, so depth ≤ 1 + log_8(5000 / 8).
    depth = packStats.searches - before;
    expect(depth).toBeGreaterThanOrEqual(2);
    expect(depth).toBeLessThanOrEqual(5);
    // Packed once: a second walk packs nothing new.
    const packed = packStats.packed;
    walk(snap, { lo: [6, 3], hi: [6, 3, KEY_TOP] });
    walk(snap, { lo: [5, 3], hi: [5, 3, KEY_TOP] });
    const again = packStats.packed - packed;
    expect(again).toBeLessThanOrEqual(depth);
  });

  test('by default a node is packed at its 8th search, not before', () => {
    packPolicy.after = 8;
    try {
      const tree = indexTree(16);
      for (let i = 0; i < 5000; i++) tree.add([i % 97, i % 13], i);
      const snap = tree.snapshot();
      // One seek: a search of each node on the path to the first entry ≥ [5, 3], nothing else.
      const seek = (): unknown => {
        const cur = snap.cursor({ lo: [5, 3] });
        return cur.next() ? cur.key : undefined;
      };
      const expected = walk(tree, { lo: [5, 3] })[0][0];
      const packed = packStats.packed;
      const searches = packStats.searches;
      // Seven seeks: every node on the path searched unpacked.
      for (let i = 0; i < 7; i++) expect(seek()).toEqual(expected);
      expect(packStats.packed).toBe(packed);
      expect(packStats.searches).toBe(searches);
      // The 8th packs each node of the path and searches it packed; the 9th packs nothing new.
      expect(seek()).toEqual(expected);
      const levels = packStats.packed - packed;
      expect(levels).toBeGreaterThanOrEqual(2);
      expect(packStats.searches - searches).toBe(levels);
      expect(seek()).toEqual(expected);
      expect(packStats.packed - packed).toBe(levels);
      expect(packStats.searches - searches).toBe(2 * levels);
    } finally {
      packPolicy.after = 1;
    }
  });

  test('nodes holding anything but numbers, or keys of several widths, are not packed', () => {
    expect(
      packKeys([
        [1, 2],
        [1, null],
      ]),
    ).toBeNull();
    expect(
      packKeys([
        [1, 2],
        [1, NaN],
      ]),
    ).toBeNull();
    expect(
      packKeys([
        [1, 2],
        [1, 'a'],
      ]),
    ).toBeNull();
    expect(
      packKeys([
        [1, 2],
        [1, 2, 3],
      ]),
    ).toBeNull();
    expect(packKeys([1, 2])).toBeNull();
    const p = packKeys([
      [1, -0],
      [1, 2],
    ]);
    expect(p).not.toBeNull();
    if (p === null) return;
    expect(comparePacked(p, 0, [1, 0])).toBe(0);
    expect(comparePacked(p, 1, [1])).toBe(1);
    expect(comparePacked(p, 1, [1, KEY_TOP])).toBe(-1);
    expect(comparePacked(p, 1, [1, KEY_BOTTOM])).toBe(1);
    expect(comparePacked(p, 1, [1, 2, KEY_BOTTOM])).toBe(-1);
    expect(packableProbe([1, null], 2)).toBe(false);
    expect(packableProbe([1, 'a'], 2)).toBe(false);
    expect(packableProbe([1, 2, 'anything past the width'], 2)).toBe(true);
  });
});
