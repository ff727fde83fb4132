/**
 * One behaviour suite, two models: a `t` builder model and the equivalent zod schema through
 * fromZod() must accept and reject the same rows with the same errors and answer queries the same.
 * The suite runs once per model (describe.each), and a final test compares both side by side.
 */
import { z } from 'zod';
import { expectTypeOf } from 'expect-type';
import {
  Database,
  IntegrityError,
  QueryError,
  SchemaError,
  ValidationError,
  fromZod,
  model,
  t,
} from '../../src/index';
import type { AnyModel, Infer, InferInput, ModelCollection } from '../../src/index';

const builder = model(
  'people',
  {
    id: t.int64(),
    email: t.string().email().max(40),
    site: t.string().url().optional(),
    code: t
      .string()
      .regex(/^[A-Z]{3}$/)
      .min(3)
      .max(3),
    age: t.int64().min(0).max(150),
    ratio: t.float64().min(0).max(1).nullable(),
    big: t.int64().optional(),
    born: t.timestamp().optional(),
    active: t.bool().default(true),
    status: t.enum(['active', 'banned']),
    tags: t.list(t.string()).max(3),
    profile: t.object({ timezone: t.string().optional(), lang: t.string().default('en') }),
  },
  { primaryKey: 'id', indexes: [t.unique('email'), t.index('profile.timezone')] },
);

const zodSchema = z.object({
  id: z.int(),
  email: z.email().max(40),
  site: z.url().optional(),
  code: z
    .string()
    .regex(/^[A-Z]{3}$/)
    .min(3)
    .max(3),
  age: z.int().min(0).max(150),
  ratio: z.number().min(0).max(1).nullable(),
  big: z.bigint().optional(),
  born: z.date().optional(),
  active: z.boolean().default(true),
  status: z.enum(['active', 'banned']),
  tags: z.array(z.string()).max(3),
  profile: z.object({ timezone: z.string().optional(), lang: z.string().default('en') }),
});
const fromZodModel = fromZod(zodSchema, {
  name: 'people',
  primaryKey: 'id',
  indexes: [t.unique('email'), t.index('profile.timezone')],
});

type Person = Infer<typeof builder>;

const base: InferInput<typeof builder> = {
  id: 1,
  email: 'ann@example.com',
  code: 'ABC',
  age: 30,
  ratio: 0.5,
  status: 'active',
  tags: ['a'],
  profile: { timezone: 'UTC' },
};

/** Rows and what writing them must give: 'ok', or the error class, code and path. */
const CASES: [string, Record<string, unknown>, 'ok' | [new (...a: never[]) => Error, string, string?]][] = [
  ['a full row', { site: 'https://x.org', big: 2n ** 40n, born: new Date(0), active: false }, 'ok'],
  ['defaults left out', {}, 'ok'],
  ['bad email', { email: 'nope' }, [ValidationError, 'VALIDATION', 'email']],
  ['email too long', { email: `${'a'.repeat(40)}@b.co` }, [ValidationError, 'VALIDATION', 'email']],
  ['bad url', { site: 'not a url' }, [ValidationError, 'VALIDATION', 'site']],
  ['regex mismatch', { code: 'abc' }, [ValidationError, 'VALIDATION', 'code']],
  ['too short', { code: 'AB' }, [ValidationError, 'VALIDATION', 'code']],
  ['age below min', { age: -1 }, [ValidationError, 'VALIDATION', 'age']],
  ['age above max', { age: 151 }, [ValidationError, 'VALIDATION', 'age']],
  ['age not an integer', { age: 1.5 }, [ValidationError, 'VALIDATION', 'age']],
  ['ratio above max', { ratio: 1.5 }, [ValidationError, 'VALIDATION', 'ratio']],
  ['ratio null', { ratio: null }, 'ok'],
  ['big as a string', { big: '5' }, [ValidationError, 'VALIDATION', 'big']],
  ['born as a number', { born: 5 }, [ValidationError, 'VALIDATION', 'born']],
  ['status not in enum', { status: 'gone' }, [ValidationError, 'VALIDATION', 'status']],
  ['too many tags', { tags: ['a', 'b', 'c', 'd'] }, [ValidationError, 'VALIDATION', 'tags']],
  ['tag not a string', { tags: [1] }, [ValidationError, 'VALIDATION', 'tags[0]']],
  ['nested wrong type', { profile: { timezone: 5 } }, [ValidationError, 'VALIDATION', 'profile.timezone']],
  ['nested unknown field', { profile: { tz: 'x' } }, [ValidationError, 'VALIDATION', 'profile.tz']],
  ['unknown field', { extra: 1 }, [ValidationError, 'VALIDATION', 'extra']],
  ['missing required', { email: undefined }, [ValidationError, 'VALIDATION', 'email']],
];

function outcome(fn: () => unknown): unknown {
  try {
    fn();
    return 'ok';
  } catch (err) {
    const e = err as Error & { code?: string; path?: string };
    return [e.constructor.name, e.code, e.path];
  }
}

describe.each([
  ['builder model', builder as AnyModel],
  ['zod model', fromZodModel as AnyModel],
])('%s', (_label, m) => {
  let db: Database;
  let people: ModelCollection<typeof builder>;
  beforeEach(() => {
    db = Database.openInMemory();
    people = db.register(m) as unknown as ModelCollection<typeof builder>;
  });
  afterEach(() => db.close());

  test.each(CASES)('%s', (_name, patch, want) => {
    const row = { ...base, ...patch } as InferInput<typeof builder>;
    const got = outcome(() => people.insert(row));
    if (want === 'ok') {
      expect(got).toBe('ok');
      const stored = people.get(1) as Person;
      expect(stored.active).toBe('active' in patch ? patch.active : true);
      expect(stored.profile.lang).toBe('en');
    } else {
      expect(got).toEqual([want[0].name, want[1], want[2]]);
      expect(people.count()).toBe(0);
    }
  });

  test('insert refuses an existing key, upsert replaces, unique index clashes', () => {
    people.insert(base);
    expect(() => people.insert(base)).toThrow(IntegrityError);
    expect(people.upsert({ ...base, age: 31 })).toBe('replaced');
    expect(people.get(1)?.age).toBe(31);
    expect(() => people.insert({ ...base, id: 2 })).toThrow(IntegrityError);
  });

  test('queries answer the same', () => {
    const zones = ['UTC', 'Europe/Oslo', null];
    for (let i = 1; i <= 9; i++)
      people.insert({
        ...base,
        id: i,
        email: `p${i}@example.com`,
        age: i * 10,
        status: i % 3 === 0 ? 'banned' : 'active',
        profile: { timezone: zones[i % 3] },
      });
    expect(people.where('profile.timezone', 'UTC').orderBy('id').select('id').all()).toEqual([
      { id: 3 },
      { id: 6 },
      { id: 9 },
    ]);
    expect(people.where('age', '>=', 50).where('status', 'active').count()).toBe(3);
    expect(people.where('profile.timezone', 'isNull').count()).toBe(3);
    expect(people.orderBy('age', 'desc').limit(2).select('id', 'age').all()).toEqual([
      { id: 9, age: 90 },
      { id: 8, age: 80 },
    ]);
    expect(people.where('profile.timezone', 'Europe/Oslo').explain()).toContain('IndexLookup');
    expect(() => people.where('age', '>', 'x' as unknown as number)).toThrow(QueryError);
    expect(people.update(4, { profile: { timezone: 'UTC' } })?.profile).toEqual({
      timezone: 'UTC',
      lang: 'en',
    });
    expect(people.where('profile.timezone', 'UTC').count()).toBe(4);
    expect(people.delete(4)).toBe(true);
    expect(people.get(4)).toBeNull();
  });
});

test('the builder and the zod model register the same collection and behave identically', () => {
  expect(fromZodModel.descriptor).toEqual(builder.descriptor);
  expectTypeOf<Infer<typeof fromZodModel>>().toEqualTypeOf<Person>();
  // zod's z.int() takes numbers only; t.int64() also takes bigints: the zod input is narrower.
  expectTypeOf<InferInput<typeof fromZodModel>>().toExtend<InferInput<typeof builder>>();
  const a = Database.openInMemory();
  const b = Database.openInMemory();
  try {
    const pa = a.register(builder);
    const pb = b.register(fromZodModel);
    for (const [, patch] of CASES) {
      const row = { ...base, ...patch } as InferInput<typeof builder>;
      expect(outcome(() => pb.upsert(row as InferInput<typeof fromZodModel>))).toEqual(
        outcome(() => pa.upsert(row)),
      );
    }
    expect(pb.all()).toEqual(pa.all());
    // Registering one model after the other on the same database is a no-op: same schema.
    expect(() => a.register(fromZodModel)).not.toThrow();
  } finally {
    a.close();
    b.close();
  }
});

describe('fromZod refuses what has no storage equivalent, naming the path', () => {
  const cases: [string, z.ZodObject, string][] = [
    ['union', z.object({ id: z.int(), v: z.union([z.string(), z.number()]) }), 'v'],
    ['literal', z.object({ id: z.int(), v: z.literal('a') }), 'v'],
    ['transform', z.object({ id: z.int(), v: z.string().transform((s) => s.length) }), 'v'],
    ['refine', z.object({ id: z.int(), v: z.string().refine((s) => s !== '') }), 'v'],
    ['startsWith', z.object({ id: z.int(), v: z.string().startsWith('a') }), 'v'],
    ['trim', z.object({ id: z.int(), v: z.string().trim() }), 'v'],
    ['multipleOf', z.object({ id: z.int(), v: z.number().multipleOf(2) }), 'v'],
    ['exclusive float bound', z.object({ id: z.int(), v: z.number().positive() }), 'v'],
    ['regex flags', z.object({ id: z.int(), v: z.string().regex(/a/i) }), 'v'],
    ['record', z.object({ id: z.int(), v: z.record(z.string(), z.string()) }), 'v'],
    ['nested', z.object({ id: z.int(), o: z.object({ w: z.tuple([z.string()]) }) }), 'o.w'],
    ['list element', z.object({ id: z.int(), l: z.array(z.union([z.string(), z.int()])) }), 'l[]'],
    ['date bounds', z.object({ id: z.int(), d: z.date().min(new Date(0)) }), 'd'],
    ['loose object', z.object({ id: z.int(), o: z.looseObject({ a: z.string() }) }), 'o'],
  ];
  test.each(cases)('%s', (_name, schema, path) => {
    let err: unknown;
    try {
      fromZod(schema, { name: 'x', primaryKey: 'id' as never });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SchemaError);
    expect((err as SchemaError).message.startsWith(`${path}: `)).toBe(true);
    expect((err as SchemaError).path).toBe(path);
  });

  test('element constraints and non-object schemas', () => {
    expect(() => {
      fromZod(z.object({ id: z.int(), l: z.array(z.email()) }), { name: 'x', primaryKey: 'id' });
    }).toThrow(/l\[\]: constraints on list elements/);
    expect(() =>
      fromZod(z.string() as unknown as z.ZodObject, { name: 'x', primaryKey: 'id' as never }),
    ).toThrow(SchemaError);
    expect(() =>
      fromZod(z.object({ id: z.int().optional() }), { name: 'x', primaryKey: 'id' as never }),
    ).toThrow(/primary key 'id' cannot be optional/);
  });

  test('integer formats and exclusive integer bounds map to min/max', () => {
    const m = fromZod(
      z.object({ id: z.int(), a: z.int32(), b: z.int().gt(0).lt(10), c: z.bigint().gt(5n), d: z.uuid() }),
      { name: 'x', primaryKey: 'id' },
    );
    expect(m.descriptor.fields).toEqual([
      { path: 'id', type: 'int64' },
      { path: 'a', type: 'int64', constraints: [{ min: -(2 ** 31) }, { max: 2 ** 31 - 1 }] },
      { path: 'b', type: 'int64', constraints: [{ min: 1 }, { max: 9 }] },
      { path: 'c', type: 'int64', constraints: [{ min: 6n }] },
      { path: 'd', type: 'uuid' },
    ]);
  });
});
