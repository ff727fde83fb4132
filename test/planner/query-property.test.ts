/**
 * Property: for random data (NULLs, nested paths) and random queries, every plan's result equals a
 * naive in-memory evaluation, order included when ordered; the same query on a collection without
 * indexes gives the same rows (index-vs-scan equality).
 */
import fc from 'fast-check';
import { Database } from '../../src/index';
import type { Condition, FieldDescriptor, IndexDescriptor } from '../../src/index';

const FIELDS: FieldDescriptor[] = [
  { path: 'id', type: 'int64' },
  { path: 'a', type: { optional: 'int64' } },
  { path: 'b', type: { optional: 'string' } },
  { path: 'c', type: { optional: 'float64' } },
  { path: ['n', 'x'], type: { optional: 'int64' } },
];
const INDEXES: IndexDescriptor[] = [
  { name: 'ix_a', path: 'a', kind: 'index' },
  { name: 'ix_b', path: 'b', kind: 'index' },
  { name: 'ix_nx', path: 'n.x', kind: 'index' },
];

interface Item {
  id: number;
  a: number | null;
  b: string | null;
  c: number | null;
  n: { x: number | null };
}

const PATHS = ['id', 'a', 'b', 'c', 'n.x'] as const;
type P = (typeof PATHS)[number];

const intV = fc.integer({ min: -3, max: 6 });
const strV = fc.constantFrom('', 'a', 'ab', 'abc', 'B', 'b', 'ba', 'zz');
const realV = fc.constantFrom(-1.5, 0, 0.5, 2, 3.25);
const valueFor = (p: P): fc.Arbitrary<unknown> =>
  p === 'b' ? strV : p === 'c' ? realV : p === 'id' ? fc.integer({ min: 0, max: 40 }) : intV;

const itemArb = (id: number): fc.Arbitrary<Item> =>
  fc
    .record({
      a: fc.option(intV, { freq: 4 }),
      b: fc.option(strV, { freq: 4 }),
      c: fc.option(realV, { freq: 4 }),
      x: fc.option(intV, { freq: 4 }),
    })
    .map((r) => ({ id, a: r.a, b: r.b, c: r.c, n: { x: r.x } }));

const dataArb = fc
  .uniqueArray(fc.integer({ min: 0, max: 40 }), { maxLength: 30, size: 'max' })
  .chain((ids) => fc.tuple(...ids.map(itemArb)));

const leafArb: fc.Arbitrary<Condition> = fc.constantFrom(...PATHS).chain((p) =>
  fc.oneof(
    fc
      .tuple(fc.constantFrom('=', '!=', '<', '<=', '>', '>=' as const), valueFor(p))
      .map(([op, value]) => ({ path: p, op, value }) as Condition),
    fc
      .array(valueFor(p), { minLength: 1, maxLength: 3 })
      .map((value) => ({ path: p, op: 'in', value }) as Condition),
    fc
      .array(valueFor(p), { minLength: 1, maxLength: 3 })
      .map((value) => ({ path: p, op: 'notIn', value }) as Condition),
    fc.tuple(valueFor(p), valueFor(p)).map((value) => ({ path: p, op: 'between', value }) as Condition),
    fc.constantFrom('isNull', 'isNotNull' as const).map((op) => ({ path: p, op }) as Condition),
    ...(p === 'b'
      ? [
          fc
            .constantFrom('a%', 'A%', '%b%', '_', 'ab', '%')
            .map((value) => ({ path: p, op: 'like', value }) as Condition),
          fc
            .constantFrom('a', 'ab', 'b', '')
            .map((value) => ({ path: p, op: 'startsWith', value }) as Condition),
        ]
      : []),
  ),
);

const condArb: fc.Arbitrary<Condition> = fc.letrec((tie) => ({
  cond: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leafArb,
    leafArb,
    fc.array(tie('cond'), { minLength: 1, maxLength: 3 }).map((and) => ({ and }) as Condition),
    fc.array(tie('cond'), { minLength: 1, maxLength: 3 }).map((or) => ({ or }) as Condition),
    tie('cond').map((not) => ({ not }) as Condition),
  ),
})).cond as fc.Arbitrary<Condition>;

const queryArb = fc.record({
  where: fc.array(condArb, { maxLength: 2 }),
  order: fc.array(fc.tuple(fc.constantFrom(...PATHS), fc.boolean()), { maxLength: 2 }),
  limit: fc.option(fc.integer({ min: 0, max: 8 })),
  offset: fc.option(fc.integer({ min: 0, max: 5 })),
});

// ───── naive evaluation (independent of the planner) ─────

function get(item: Item, p: P): number | string | null {
  return p === 'n.x' ? item.n.x : (item[p] as number | string | null);
}

function cmp(x: unknown, y: unknown): number {
  if (x === undefined || y === undefined) throw new Error('undefined in comparison');
  const rank = (v: unknown): number => (v === null ? 0 : typeof v === 'number' ? 1 : 2);
  if (rank(x) !== rank(y)) return rank(x) - rank(y);
  if (x === null) return 0;
  if (typeof x === 'number') return x - (y as number);
  return x < (y as string) ? -1 : x > (y as string) ? 1 : 0;
}

function likeNaive(s: string, pat: string): boolean {
  const re = new RegExp(
    `^${pat
      .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
      .replace(/%/g, '.*')
      .replace(/_/g, '.')}$`,
    'is',
  );
  return re.test(s);
}

type T = boolean | null;
const not3 = (a: T): T => (a === null ? null : !a);

function evalCond(c: Condition, item: Item): T {
  if ('and' in c)
    return c.and
      .map((x) => evalCond(x, item))
      .reduce(
        (a: T, b: T) => (a === false || b === false ? false : a === null || b === null ? null : true),
        true,
      );
  if ('or' in c)
    return c.or
      .map((x) => evalCond(x, item))
      .reduce(
        (a: T, b: T) => (a === true || b === true ? true : a === null || b === null ? null : false),
        false,
      );
  if ('not' in c) return not3(evalCond(c.not, item));
  const v = get(item, c.path as P);
  const val = c.value;
  switch (c.op) {
    case 'isNull':
      return v === null;
    case 'isNotNull':
      return v !== null;
  }
  if (v === null) return null;
  switch (c.op) {
    case '=':
      return cmp(v, val) === 0;
    case '!=':
      return cmp(v, val) !== 0;
    case '<':
      return cmp(v, val) < 0;
    case '<=':
      return cmp(v, val) <= 0;
    case '>':
      return cmp(v, val) > 0;
    case '>=':
      return cmp(v, val) >= 0;
    case 'in':
      return (val as unknown[]).some((w) => cmp(v, w) === 0);
    case 'notIn':
      return !(val as unknown[]).some((w) => cmp(v, w) === 0);
    case 'between': {
      const [lo, hi] = val as unknown[];
      return cmp(v, lo) >= 0 && cmp(v, hi) <= 0;
    }
    case 'like':
      return likeNaive(v as string, val as string);
    case 'startsWith':
      return (v as string).startsWith(val as string);
  }
  throw new Error(`unhandled op ${c.op}`);
}

function naive(
  items: Item[],
  q: fc.RecordValue<{
    where: Condition[];
    order: [P, boolean][];
    limit: number | null;
    offset: number | null;
  }>,
): Item[] {
  let rows = items.filter((it) => q.where.every((c) => evalCond(c, it) === true));
  const order: [P, boolean][] = [...q.order, ['id', false]];
  rows = rows.slice().sort((x, y) => {
    for (const [p, desc] of order) {
      const c = cmp(get(x, p), get(y, p));
      if (c !== 0) return desc ? -c : c;
    }
    return 0;
  });
  const off = q.offset ?? 0;
  return rows.slice(off, q.limit === null ? undefined : off + q.limit);
}

function open(withIndexes: boolean): Database {
  const db = Database.openInMemory();
  db.registerCollection('items', FIELDS, 'id', withIndexes ? INDEXES : []);
  return db;
}

describe('query results equal a naive evaluation', () => {
  const indexed = open(true);
  const plain = open(false);
  afterAll(() => {
    indexed.close();
    plain.close();
  });

  test('random data and queries (indexed, unindexed, naive)', () => {
    fc.assert(
      fc.property(dataArb, fc.array(queryArb, { minLength: 1, maxLength: 8 }), (items, queries) => {
        for (const db of [indexed, plain]) {
          db.transaction(() => {
            for (const it of db.collection('items').all()) db.delete('items', it.id);
            for (const it of items) db.insert('items', it as unknown as Record<string, unknown>);
          });
        }
        for (const q of queries) {
          const expected = naive(items, q);
          for (const db of [indexed, plain]) {
            let query = db.collection('items');
            for (const c of q.where) query = query.and(c);
            for (const [p, desc] of q.order) query = query.orderBy(p, desc ? 'desc' : 'asc');
            query = query.orderBy('id');
            if (q.limit !== null) query = query.limit(q.limit);
            if (q.offset !== null) query = query.offset(q.offset);
            const got = query.all();
            expect(got).toEqual(expected);
            if (q.limit === null && q.offset === null) expect(query.count()).toBe(expected.length);
          }
        }
      }),
      { numRuns: 120, seed: 31337 },
    );
  });
});
