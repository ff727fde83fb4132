/**
 * Fuzz the shapes issue 11 found raw errors and hangs with (seeded, reproducible):
 * - deep and wide boolean trees, through the query builder and through SQL: the result equals a
 *   reference evaluation, or the documented depth limit is a QueryError — never a RangeError;
 * - long LIKE patterns against long values: the result equals SQLite's, or (past 50,000 bytes)
 *   both refuse the pattern — never a hang or a SyntaxError;
 * - forged typed rows (any stored value under any schema type, written past validation with a
 *   valid checksum): reading back succeeds with a well-typed row or fails with FormatError.
 * Longer runs: MV_FUZZ_RUNS=5000 npx jest test/fuzz/shapes.
 */
import fc from 'fast-check';
import Sqlite from 'better-sqlite3';
import { connect, Database, FormatError, ModelVaultError, QueryError } from '../../src/index';
import type { Condition, FieldDescriptor, TypeDescriptor } from '../../src/index';

const RUNS = Number(process.env.MV_FUZZ_RUNS ?? 60);

/** Kleene logic on 1/0/null: the reference the builder's results are checked against. */
type Truth = 1 | 0 | null;
const not = (a: Truth): Truth => (a === null ? null : a ? 0 : 1);
const and = (a: Truth, b: Truth): Truth => (a === 0 || b === 0 ? 0 : a === null || b === null ? null : 1);
const or = (a: Truth, b: Truth): Truth => (a === 1 || b === 1 ? 1 : a === null || b === null ? null : 0);

interface Tree {
  cond: Condition;
  sql: string;
  /** Truth per v value 0..6, or null for a NULL v. */
  evalAt: (v: number | null) => Truth;
  depth: number;
}

/** One layer on top of `t`: a NOT, or an AND/OR with `width` leaves beside it. */
type Layer = { op: 'not' } | { op: 'and' | 'or'; leaves: number[] };

function leaf(k: number): Tree {
  return {
    cond: { path: 'v', op: '=', value: k },
    sql: `v = ${k}`,
    evalAt: (v) => (v === null ? null : v === k ? 1 : 0),
    depth: 1,
  };
}

function build(base: number, layers: readonly Layer[]): Tree {
  let t = leaf(base);
  for (const layer of layers) {
    const inner = t;
    if (layer.op === 'not') {
      t = {
        cond: { not: inner.cond },
        sql: `NOT (${inner.sql})`,
        evalAt: (v) => not(inner.evalAt(v)),
        depth: inner.depth + 1,
      };
    } else {
      const op = layer.op;
      const parts = [inner, ...layer.leaves.map(leaf)];
      const f = op === 'and' ? and : or;
      t = {
        cond: op === 'and' ? { and: parts.map((p) => p.cond) } : { or: parts.map((p) => p.cond) },
        sql: parts.map((p) => `(${p.sql})`).join(op === 'and' ? ' AND ' : ' OR '),
        evalAt: (v) => parts.map((p) => p.evalAt(v)).reduce(f),
        depth: inner.depth + Math.ceil(Math.log2(parts.length)),
      };
    }
  }
  return t;
}

const layerArb: fc.Arbitrary<Layer> = fc.oneof(
  fc.constant<Layer>({ op: 'not' }),
  fc.record({
    op: fc.constantFrom<'and' | 'or'>('and', 'or'),
    leaves: fc.array(fc.nat(6), { minLength: 1, maxLength: 3 }),
  }),
);

describe('deep and wide boolean trees', () => {
  const db = Database.openInMemory();
  db.registerCollection(
    'c',
    [
      { path: 'id', type: 'int64' },
      { path: 'v', type: { optional: 'int64' } },
    ],
    'id',
  );
  const values: (number | null)[] = [];
  db.transaction(() => {
    for (let i = 0; i < 30; i++) {
      const v = i % 8 === 7 ? null : i % 7;
      values.push(v);
      db.insert('c', { id: i, v });
    }
  });
  afterAll(() => db.close());

  const expected = (t: Tree): number[] => values.flatMap((v, id) => (t.evalAt(v) === 1 ? [id] : []));

  test('query builder: the reference result or the depth QueryError', () => {
    fc.assert(
      fc.property(fc.nat(6), fc.array(layerArb, { maxLength: 1500, size: 'max' }), (base, layers) => {
        const t = build(base, layers);
        let got: number[];
        try {
          got = db
            .collection('c')
            .and(t.cond)
            .all()
            .map((r) => r.id as number);
        } catch (err) {
          expect(err).toBeInstanceOf(QueryError);
          expect((err as QueryError).message).toMatch(/maximum depth/);
          return;
        }
        expect(got).toEqual(expected(t));
      }),
      { numRuns: RUNS, seed: 11 },
    );
  });

  test('query builder: one wide OR/AND of thousands of branches', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<'and' | 'or'>('and', 'or'),
        fc.array(fc.nat(6), { minLength: 1, maxLength: 20_000, size: 'max' }),
        (op, ks) => {
          const conds = ks.map((k) => (op === 'or' ? leaf(k).cond : { not: leaf(k).cond }));
          const q = op === 'or' ? db.collection('c').or(...conds) : db.collection('c').and(...conds);
          const set = new Set(ks);
          const want = values.flatMap((v, id) =>
            v !== null && (op === 'or' ? set.has(v) : !set.has(v)) ? [id] : [],
          );
          expect(q.all().map((r) => r.id)).toEqual(want);
        },
      ),
      { numRuns: Math.max(5, Math.floor(RUNS / 6)), seed: 12 },
    );
  });

  test('SQL: the reference result or the 1,000-level QueryError', () => {
    const conn = connect(':memory:', { autocommit: true });
    conn.execute('CREATE TABLE c (id INTEGER PRIMARY KEY, v INTEGER)');
    values.forEach((v, id) => conn.execute('INSERT INTO c VALUES (?, ?)', [id, v]));
    fc.assert(
      fc.property(fc.nat(6), fc.array(layerArb, { maxLength: 1200, size: 'max' }), (base, layers) => {
        const t = build(base, layers);
        let got: unknown[][];
        try {
          got = conn.execute(`SELECT id FROM c WHERE ${t.sql} ORDER BY id`).fetchAll() as unknown[][];
        } catch (err) {
          expect(err).toBeInstanceOf(QueryError);
          expect((err as QueryError).message).toMatch(/too large|maximum depth/);
          return;
        }
        expect(got.map((r) => r[0])).toEqual(expected(t));
      }),
      { numRuns: RUNS, seed: 13 },
    );
    conn.close();
  });
});

describe('long LIKE patterns', () => {
  const lite = new Sqlite(':memory:');
  const liteLike = lite.prepare('SELECT ? LIKE ?').pluck();
  const conn = connect(':memory:', { autocommit: true });
  conn.execute('CREATE TABLE l (id INTEGER PRIMARY KEY, s TEXT)');
  afterAll(() => conn.close());

  const piece = fc.oneof(
    fc.constantFrom('%', '_', 'a', 'b', 'A', 'é'),
    fc.constantFrom('%a', 'a%', '%a%b', '__', 'ab'),
  );

  test('agree with SQLite, or both refuse a pattern over 50,000 bytes', () => {
    fc.assert(
      fc.property(
        fc.array(piece, { maxLength: 400, size: 'max' }),
        fc.nat(30_000),
        fc.constantFrom('a', 'ab', 'ba', 'aab'),
        fc.boolean(),
        (pieces, repeat, unit, huge) => {
          const pattern = huge ? '%a'.repeat(25_000 + (repeat % 10)) + 'b' : pieces.join('');
          const value = unit.repeat(Math.floor(repeat / unit.length) % 5000) + (repeat % 2 ? 'b' : '');
          let want: number | 'refused';
          try {
            want = liteLike.get(value, pattern) as number;
          } catch {
            want = 'refused';
          }
          let got: unknown;
          try {
            conn.execute('DELETE FROM l');
            conn.execute('INSERT INTO l VALUES (1, ?)', [value]);
            got = (
              conn.execute('SELECT COUNT(*) FROM l WHERE s LIKE ?', [pattern]).fetchOne() as unknown[]
            )[0];
          } catch (err) {
            expect(err).toBeInstanceOf(ModelVaultError);
            expect((err as ModelVaultError).code).toBe('VALUE_TOO_LARGE');
            got = 'refused';
          }
          expect(got).toBe(want);
        },
      ),
      { numRuns: RUNS, seed: 14 },
    );
  }, 60_000);
});

describe('forged typed rows', () => {
  const typeArb: fc.Arbitrary<TypeDescriptor> = fc.letrec<{ t: TypeDescriptor }>((tie) => ({
    t: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.constantFrom<TypeDescriptor>(
        'bool',
        'int64',
        'uint64',
        'float64',
        'string',
        'bytes',
        'uuid',
        'timestamp',
      ),
      fc.constant<TypeDescriptor>({ enum: ['x', 'y'] }),
      tie('t').map((t) => (typeof t === 'object' && 'optional' in t ? t : { optional: t })),
      tie('t').map((t) => ({ list: t })),
      tie('t').map((t) => ({ object: [{ path: 'k', type: t }] })),
    ),
  })).t;

  const storedArb: fc.Arbitrary<unknown> = fc.letrec<{ v: unknown }>((tie) => ({
    v: fc.oneof(
      { depthSize: 'small' },
      fc.constant(null),
      fc.boolean(),
      fc.integer(),
      fc.double(),
      fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n - 1n }),
      fc.string(),
      fc.uint8Array({ maxLength: 4 }).map((b) => Buffer.from(b)),
      fc.array(tie('v'), { maxLength: 3 }),
    ),
  })).v;

  test('read back as a well-typed row or FormatError CORRUPT', () => {
    fc.assert(
      fc.property(typeArb, storedArb, fc.boolean(), (type, stored, checkpoint) => {
        const fields: FieldDescriptor[] = [
          { path: 'id', type: 'int64' },
          { path: 'f', type },
        ];
        const db = Database.openInMemory();
        db.registerCollection('c', fields, 'id');
        const engine = db.storage;
        const state = engine.collection('c');
        if (!state) throw new Error('no collection');
        // Msgpack cannot hold every JS value the arbitrary makes (bigints past 64 bits): skip those.
        try {
          engine.begin();
          engine.putRow(state, [1, stored]);
          engine.commit();
        } catch {
          db.close();
          return;
        }
        if (checkpoint) db.checkpoint();
        const bytes = engine.bytes();
        db.close();
        let copy: Database | null = null;
        try {
          copy = Database.openSnapshotBytes(bytes);
          const row = copy.get('c', 1);
          expect(row).not.toBeNull();
          copy.collection('c').all();
        } catch (err) {
          if (!(err instanceof FormatError) && err instanceof ModelVaultError) {
            // A forged row that happens to be well-typed may still hold an int64 past 2^53.
            expect(err.code).toBe('INT_PRECISION');
            return;
          }
          expect(err).toBeInstanceOf(FormatError);
          expect((err as FormatError).code).toBe('CORRUPT');
        } finally {
          copy?.close();
        }
      }),
      { numRuns: RUNS * 10, seed: 15 },
    );
  });
});
