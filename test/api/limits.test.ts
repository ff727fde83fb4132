/**
 * Regressions for issue 11, items 8 and 11: shapes that overflowed the stack (RangeError) or
 * took quadratic time. Each now works or is refused with a documented limit error.
 */
import { Database, QueryError, SchemaError } from '../../src/index';
import type { Condition, FieldDescriptor } from '../../src/index';
import { MAX_CONDITION_DEPTH } from '../../src/query';
import { MAX_TYPE_DEPTH } from '../../storage/schema/normalize';

function small(): Database {
  const db = Database.openInMemory();
  db.registerCollection(
    'c',
    [
      { path: 'id', type: 'int64' },
      { path: 'v', type: 'int64' },
    ],
    'id',
  );
  db.transaction(() => {
    for (let i = 0; i < 100; i++) db.insert('c', { id: i, v: i % 7 });
  });
  return db;
}

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

describe('query builder: deep and wide boolean trees (item 8)', () => {
  const db = small();
  afterAll(() => db.close());

  test('or() of 20,000 branches works (an "id in this list" written as ORs)', () => {
    const branches: Condition[] = [];
    for (let i = 0; i < 20_000; i++) branches.push({ path: 'id', op: '=', value: i * 3 });
    const ids = db
      .collection('c')
      .or(...branches)
      .all()
      .map((r) => r.id);
    expect(ids).toEqual(Array.from({ length: 34 }, (_, i) => i * 3));
  });

  test('and() of 20,000 conditions works, and so do 2,000 where() calls', () => {
    const conds: Condition[] = [];
    for (let i = 0; i < 20_000; i++) conds.push({ path: 'v', op: '!=', value: 100 + i });
    expect(
      db
        .collection('c')
        .and(...conds)
        .count(),
    ).toBe(100);
    let q = db.collection('c');
    for (let i = 0; i < 2_000; i++) q = q.where('v', '<', 1000 + i);
    expect(q.count()).toBe(100);
  });

  test('not nested 20,000 deep is a QueryError naming the limit, not a RangeError', () => {
    let c: Condition = { path: 'v', op: '=', value: 1 };
    for (let i = 0; i < 20_000; i++) c = { not: c };
    const err = caught(() => db.collection('c').and(c));
    expect(err).toBeInstanceOf(QueryError);
    expect((err as QueryError).message).toMatch(`maximum depth ${MAX_CONDITION_DEPTH}`);
  });

  test('not nested just under the limit still runs (NOT NOT x is the truth of x)', () => {
    let c: Condition = { path: 'v', op: '=', value: 1 };
    for (let i = 0; i < 998; i++) c = { not: c };
    expect(db.collection('c').and(c).count()).toBe(15);
  });

  test('a condition that contains itself is refused, not a stack overflow', () => {
    const c = { not: null as unknown } as { not: unknown };
    c.not = c;
    expect(caught(() => db.collection('c').and(c as Condition))).toBeInstanceOf(QueryError);
  });
});

describe('schema nesting (item 8)', () => {
  function nested(depth: number): unknown {
    let t: unknown = 'string';
    for (let i = 0; i < depth; i++) t = i % 2 ? { list: t } : { object: [{ path: 'x', type: t }] };
    return t;
  }

  test('a type nested 5,000 deep is a SchemaError naming the limit', () => {
    const db = Database.openInMemory();
    const err = caught(() =>
      db.registerCollection(
        'd',
        [
          { path: 'id', type: 'int64' },
          { path: 'deep', type: nested(5000) as never },
        ],
        'id',
      ),
    );
    expect(err).toBeInstanceOf(SchemaError);
    expect((err as SchemaError).message).toMatch(`at most ${MAX_TYPE_DEPTH} levels`);
    db.close();
  });

  test('a type nested to the limit works end to end', () => {
    const db = Database.openInMemory();
    db.registerCollection(
      'd',
      [
        { path: 'id', type: 'int64' },
        { path: 'deep', type: nested(MAX_TYPE_DEPTH - 1) as never },
      ],
      'id',
    );
    let v: unknown = 'leaf';
    for (let i = 0; i < MAX_TYPE_DEPTH - 1; i++) v = i % 2 ? [v] : { x: v };
    db.insert('d', { id: 1, deep: v });
    expect(db.get('d', 1)).toEqual({ id: 1, deep: v });
    db.close();
  });
});

describe('registerCollection is linear in the number of fields (item 11)', () => {
  test('40,000 fields register at once (the pairwise prefix check took ~40 s)', () => {
    const db = Database.openInMemory();
    const fields: FieldDescriptor[] = [{ path: 'id', type: 'int64' }];
    for (let i = 0; i < 40_000; i++) fields.push({ path: `f${i}`, type: { optional: 'int64' } });
    db.registerCollection('wide', fields, 'id');
    db.insert('wide', { id: 1, f39999: 7 });
    expect((db.get('wide', 1) as Record<string, unknown>).f39999).toBe(7);
    db.close();
  }, 15_000);

  test('colliding paths are still found: exact duplicates and prefixes, either order', () => {
    const db = Database.openInMemory();
    const id = { path: 'id', type: 'int64' as const };
    for (const [a, b] of [
      ['a.b', 'a.b'],
      ['a', 'a.b'],
      ['a.b', 'a'],
      ['a.b.c', 'a.b'],
    ]) {
      const err = caught(() =>
        db.registerCollection('x', [id, { path: a, type: 'int64' }, { path: b, type: 'int64' }], 'id'),
      );
      expect(err).toBeInstanceOf(SchemaError);
      expect((err as SchemaError).message).toMatch(/collides/);
    }
    db.close();
  });
});
