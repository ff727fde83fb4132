/**
 * Compile-time tests of model inference. `npm run typecheck` (tsc over test/) checks every
 * expectTypeOf and every `@ts-expect-error` below: a wrong path, value, operator or field must not
 * compile. Jest runs the same file, so the calls are also exercised against a real database.
 */
import { expectTypeOf } from 'expect-type';
import { Database, QueryError, ValidationError, model, t } from '../../src/index';
import type { Infer, InferInput, ModelCollection } from '../../src/index';

const users = model(
  'users',
  {
    id: t.int64(),
    email: t.string().email().max(200),
    profile: t.object({ timezone: t.string().optional(), lang: t.string().default('en') }),
    tags: t.list(t.string()),
    status: t.enum(['active', 'banned']),
    score: t.float64().nullable(),
    verified: t.bool().default(false),
    avatar: t.bytes().optional(),
    createdAt: t.timestamp().default('now'),
    address: t.object({ city: t.string(), zip: t.string().optional() }).optional(),
  },
  { primaryKey: 'id', indexes: [t.unique('email'), t.index('profile.timezone')] },
);

type User = Infer<typeof users>;
type NewUser = InferInput<typeof users>;

let db: Database;
let coll: ModelCollection<typeof users>;

beforeEach(() => {
  db = Database.openInMemory();
  coll = db.register(users);
  coll.insert({ id: 1, email: 'a@b.co', profile: {}, tags: ['x'], status: 'active', score: 1.5 });
  coll.insert({
    id: 2,
    email: 'c@d.co',
    profile: { timezone: 'UTC' },
    tags: [],
    status: 'banned',
    score: null,
  });
});
afterEach(() => db.close());

test('Infer gives the read shape: every key present, optional values null', () => {
  expectTypeOf<User>().toEqualTypeOf<{
    id: number;
    email: string;
    profile: { timezone: string | null; lang: string };
    tags: string[];
    status: 'active' | 'banned';
    score: number | null;
    verified: boolean;
    avatar: Buffer | null;
    createdAt: Date;
    address: { city: string; zip: string | null } | null;
  }>();
  const row = coll.get(1);
  expectTypeOf(row).toEqualTypeOf<User | null>();
  expect(row?.profile).toEqual({ timezone: null, lang: 'en' });
  expect(row?.createdAt).toBeInstanceOf(Date);
});

test('InferInput: optional and defaulted keys may be left out, nullable ones may not', () => {
  expectTypeOf<NewUser>().toEqualTypeOf<{
    id: number | bigint;
    email: string;
    profile: { timezone?: string | null | undefined; lang?: string | undefined };
    tags: readonly string[];
    status: 'active' | 'banned';
    score: number | null;
    verified?: boolean | undefined;
    avatar?: Uint8Array | null | undefined;
    createdAt?: Date | undefined;
    address?: { city: string; zip?: string | null | undefined } | null | undefined;
  }>();
  const row = { id: 3, email: 'e@f.co', profile: {}, tags: [], status: 'active' } as const;
  // The store accepts a missing nullable value; the type asks for an explicit null.
  // @ts-expect-error score is nullable but required
  coll.insert(row);
  expect(coll.get(3)?.score).toBeNull();
  // @ts-expect-error 'deleted' is not a status
  expect(() => coll.insert({ ...row, id: 4, score: 1, status: 'deleted' })).toThrow(ValidationError);
  // @ts-expect-error unknown field
  expect(() => coll.upsert({ ...row, id: 5, score: 1, nope: 1 })).toThrow(ValidationError);
  // @ts-expect-error required fields missing (docs/models.md shows this line)
  expect(() => coll.insert({ id: 6, email: 'c@d.co' })).toThrow(ValidationError);
});

test('where: paths, operators and values follow the field types', () => {
  expect(
    coll
      .where('profile.timezone', 'UTC')
      .all()
      .map((u) => u.id),
  ).toEqual([2]);
  expect(coll.where('status', 'in', ['active', 'banned']).count()).toBe(2);
  expect(coll.where('email', 'startsWith', 'a@').count()).toBe(1);
  expect(coll.where('score', 'isNull').count()).toBe(1);
  expect(coll.where('id', 'between', [1, 1]).count()).toBe(1);
  expect(coll.where('createdAt', '<=', new Date(Date.now() + 1000)).count()).toBe(2);
  expectTypeOf(coll.where('id', '>', 0).all()).toEqualTypeOf<User[]>();

  // @ts-expect-error no such path
  expect(() => coll.where('profile.tz', 'UTC')).toThrow();
  // @ts-expect-error a number field compared with a string
  expect(() => coll.where('id', '>', 'x')).toThrow();
  // @ts-expect-error like is for strings
  expect(() => coll.where('id', 'like', '1%')).toThrow();
  // @ts-expect-error 'deleted' is not a status
  expect(() => coll.where('status', 'deleted')).toThrow(QueryError);
  // @ts-expect-error between takes a pair
  expect(() => coll.where('id', 'between', 1)).toThrow();
  // @ts-expect-error isNull takes no value
  coll.where('score', 'isNull', 1);
  // @ts-expect-error lists are not comparable
  expect(() => coll.where('tags', 'x')).toThrow();
  // @ts-expect-error an object is not a scalar path
  expect(() => coll.where('profile', {})).toThrow();
});

test('select narrows the row type to the projected paths', () => {
  const rows = coll.select('id', 'profile.timezone').orderBy('id').all();
  expectTypeOf(rows).toEqualTypeOf<{ id: number; profile: { timezone: string | null } }[]>();
  expect(rows).toEqual([
    { id: 1, profile: { timezone: null } },
    { id: 2, profile: { timezone: 'UTC' } },
  ]);
  const cities = coll.select('address.city').all();
  expectTypeOf(cities).toEqualTypeOf<{ address: { city: string | null } }[]>();
  // @ts-expect-error no such path
  expect(() => coll.select('id', 'nope')).toThrow();
  // @ts-expect-error orderBy needs a scalar path (SQL would order lists by their encoding)
  coll.orderBy('tags');
});

test('update takes a typed nested partial patch without the key', () => {
  const u = coll.update(1, { profile: { timezone: 'Europe/Oslo' }, score: null });
  expectTypeOf(u).toEqualTypeOf<User | null>();
  expect(u?.profile).toEqual({ timezone: 'Europe/Oslo', lang: 'en' });
  expect(u?.email).toBe('a@b.co');
  // @ts-expect-error the primary key cannot be patched
  expect(() => coll.update(1, { id: 7 })).toThrow();
  // @ts-expect-error wrong value type
  expect(() => coll.update(1, { score: 'high' })).toThrow();
  // @ts-expect-error no such nested field
  expect(() => coll.update(1, { profile: { tz: 'x' } })).toThrow(ValidationError);
  // @ts-expect-error the key is a number
  expect(() => coll.get('1')).toThrow(ValidationError);
});

test('primaryKey and index paths are checked', () => {
  const fields = { id: t.string(), n: t.int64().optional(), o: t.object({ a: t.string() }) };
  expect(model('ok', fields, { primaryKey: 'id', indexes: [t.index('o.a'), t.unique('n')] }).name).toBe('ok');
  // @ts-expect-error an optional field cannot be the key
  expect(() => model('bad', fields, { primaryKey: 'n' })).toThrow();
  // @ts-expect-error not a field
  expect(() => model('bad', fields, { primaryKey: 'x' })).toThrow();
  // @ts-expect-error index on a missing nested path
  model('bad', fields, { primaryKey: 'id', indexes: [t.index('o.b')] });
});
