/**
 * Schema layer (SPEC §6): descriptor normalization and its SchemaErrors, validation on write with
 * field paths, the compact stored row and its conversion back, integer precision, constraints,
 * canonical values and path resolution.
 */
import fc from 'fast-check';
import { normalizeCollection } from '../../storage/schema/normalize';
import type { CollectionSchema } from '../../storage/schema/normalize';
import { compileSchema, parsePath } from '../../storage/schema/compile';
import type { CompiledSchema } from '../../storage/schema/compile';
import type { FieldDescriptor, IndexDescriptor, TypeDescriptor } from '../../storage/schema/descriptors';
import { REGEX_MAX_INPUT } from '../../storage/schema/constraints';
import { DataError, SchemaError, ValidationError } from '../../src/errors';

const ID: FieldDescriptor = { path: 'id', type: 'int64' };

function compiled(fields: FieldDescriptor[], pk: string | string[] = 'id'): CompiledSchema {
  return compileSchema(normalizeCollection('c', fields, pk));
}

/** A compiled schema with an int64 `id` plus one field `v`. */
function one(type: TypeDescriptor, rest: Omit<FieldDescriptor, 'path' | 'type'> = {}): CompiledSchema {
  return compiled([ID, { path: 'v', type, ...rest }]);
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

/** Runs fn, expects a ValidationError, returns it. */
function invalid(fn: () => unknown): ValidationError {
  const err = thrown(fn);
  expect(err).toBeInstanceOf(ValidationError);
  expect((err as ValidationError).code).toBe('VALIDATION');
  return err as ValidationError;
}

const USERS: FieldDescriptor[] = [
  { path: 'id', type: 'int64' },
  { path: 'email', type: 'string', constraints: [{ email: true }, { maxLength: 200 }] },
  { path: ['profile', 'timezone'], type: { optional: 'string' } },
  { path: 'tags', type: { list: 'string' } },
  {
    path: 'address',
    type: {
      object: [
        { path: 'city', type: 'string' },
        { path: 'zip', type: { optional: 'string' } },
      ],
    },
  },
  { path: 'status', type: { enum: ['active', 'banned'] } },
  { path: 'age', type: 'int64', constraints: [{ min: 0 }, { max: 150 }] },
];
const USER_INDEXES: IndexDescriptor[] = [
  { name: 'users_email', path: 'email', kind: 'unique' },
  { name: 'users_tz', path: 'profile.timezone', kind: 'index' },
];
const users = compileSchema(normalizeCollection('users', USERS, 'id', USER_INDEXES));
const alice = {
  id: 1,
  email: 'a@b.co',
  profile: { timezone: 'UTC' },
  tags: [],
  address: { city: 'Oslo' },
  status: 'active',
  age: 30,
};

describe('parsePath', () => {
  test('a dotted string and a segment array name the same path', () => {
    expect(parsePath('profile.timezone')).toEqual(['profile', 'timezone']);
    expect(parsePath(['profile', 'timezone'])).toEqual(['profile', 'timezone']);
    expect(parsePath('id')).toEqual(['id']);
  });

  test.each<[string, unknown]>([
    ['empty string', ''],
    ['empty segment', 'a..b'],
    ['trailing dot', 'a.'],
    ['empty array', []],
    ["'.' inside an array segment", ['a.b']],
    ['non-string segment', ['a', 1]],
    ['not a path at all', 42],
    ['__proto__ segment', 'a.__proto__'],
    ['lone surrogate', 'a\ud800'],
  ])('refuses %s with SchemaError', (_name, path) => {
    expect(() => parsePath(path as string)).toThrow(SchemaError);
  });
});

describe('normalizeCollection', () => {
  test('produces the plain-data form the catalog persists', () => {
    const s = normalizeCollection('users', USERS, 'id', USER_INDEXES);
    expect(s).toEqual({
      name: 'users',
      fields: [
        { path: ['id'], type: { kind: 'int64' }, constraints: [] },
        { path: ['email'], type: { kind: 'string' }, constraints: [{ email: true }, { maxLength: 200 }] },
        {
          path: ['profile', 'timezone'],
          type: { kind: 'optional', of: { kind: 'string' } },
          constraints: [],
        },
        { path: ['tags'], type: { kind: 'list', of: { kind: 'string' } }, constraints: [] },
        {
          path: ['address'],
          type: {
            kind: 'object',
            fields: [
              { path: ['city'], type: { kind: 'string' }, constraints: [] },
              { path: ['zip'], type: { kind: 'optional', of: { kind: 'string' } }, constraints: [] },
            ],
          },
          constraints: [],
        },
        { path: ['status'], type: { kind: 'enum', values: ['active', 'banned'] }, constraints: [] },
        { path: ['age'], type: { kind: 'int64' }, constraints: [{ min: 0 }, { max: 150 }] },
      ],
      primaryKey: ['id'],
      indexes: [
        { name: 'users_email', path: ['email'], kind: 'unique' },
        { name: 'users_tz', path: ['profile', 'timezone'], kind: 'index' },
      ],
    });
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
  });

  test('bigint bounds survive normalization', () => {
    const s = normalizeCollection(
      'c',
      [{ path: 'id', type: 'uint64', constraints: [{ max: 2n ** 64n - 2n }] }],
      'id',
    );
    expect(s.fields[0].constraints).toEqual([{ max: 2n ** 64n - 2n }]);
  });

  test('a default is kept as a copy: later changes to the caller object do not reach the schema', () => {
    const tags = ['x'];
    const s = normalizeCollection('c', [ID, { path: 'tags', type: { list: 'string' }, default: tags }], 'id');
    tags.push('y');
    expect(s.fields[1].default).toEqual(['x']);
  });

  test('accepts a primary key on a multi-segment path, and indexes on nested and optional scalars', () => {
    const s = normalizeCollection(
      'c',
      [
        { path: 'meta.key', type: 'uuid' },
        { path: 'addr', type: { optional: { object: [{ path: 'geo.city', type: 'string' }] } } },
        { path: 'n', type: { optional: 'float64' } },
        { path: 'flag', type: 'bool' },
      ],
      ['meta', 'key'],
      [
        { name: 'by_city', path: 'addr.geo.city', kind: 'index' },
        { name: 'by_n', path: ['n'], kind: 'unique' },
        { name: 'by_flag', path: 'flag', kind: 'index' },
      ],
    );
    expect(s.primaryKey).toEqual(['meta', 'key']);
    expect(s.indexes.map((i) => i.path)).toEqual([['addr', 'geo', 'city'], ['n'], ['flag']]);
  });

  test.each<[string, string]>([
    ['plain class', '^[a-z0-9_]+$'],
    ['fixed count inside a repeated group', '^(\\d{3}-)+\\d{4}$'],
    ['unicode property escape (its braces are no quantifier)', '^(\\p{L})+$'],
    ['optional group with a quantifier', '^(a+)?b$'],
    ['non-capturing optional group', '^(?:ab)?c*$'],
    ['named group', '^(?<year>\\d{4})-\\d{2}$'],
    ['alternation that is not repeated', '^(cat|dog)$'],
    ['quantifier characters inside a class', '^[(+*?{]+$'],
    ['escaped parentheses', '^\\(a+\\)+$'],
  ])('accepts a safe regex: %s', (_name, regex) => {
    expect(() =>
      normalizeCollection('c', [ID, { path: 's', type: 'string', constraints: [{ regex }] }], 'id'),
    ).not.toThrow();
  });

  // Regression (issue 11, item 7): (a+)\1+$ took 11–14 s on 4,000 characters and hung at the cap.
  test.each<[string, string, RegExp]>([
    ['numbered backreference', '(a+)\\1+$', /backreference/],
    ['backreference to an unrepeated group', '^(ab)\\1$', /backreference/],
    ['named backreference', '^(?<x>a+)\\k<x>$', /backreference/],
    ['lookahead', '^(?=a)a+$', /lookaround \(\(\?=/],
    ['negative lookahead', '^(?!b)\\w+$', /lookaround \(\(\?!/],
    ['lookbehind', '(?<=a)b', /lookaround \(\(\?<=/],
    ['negative lookbehind', '(?<!a)b', /lookaround \(\(\?<!/],
  ])('refuses a regex with a %s', (_name, regex, message) => {
    let err: unknown;
    try {
      normalizeCollection('c', [ID, { path: 's', type: 'string', constraints: [{ regex }] }], 'id');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SchemaError);
    expect((err as SchemaError).message).toMatch(message);
  });

  test.each<[string, string]>([
    ['NUL escape', '^a\\0?$'],
    ['escaped digit inside a class', '^[\\d]+$'],
    ['literal backslash then digit', '^\\\\1$'],
  ])('still accepts a regex with a %s', (_name, regex) => {
    expect(() =>
      normalizeCollection('c', [ID, { path: 's', type: 'string', constraints: [{ regex }] }], 'id'),
    ).not.toThrow();
  });
});

describe('normalizeCollection refuses bad schemas with a specific SchemaError', () => {
  const f = (type: TypeDescriptor, rest: Partial<FieldDescriptor> = {}): FieldDescriptor[] => [
    ID,
    { path: 'v', type, ...rest },
  ];
  const cases: [string, () => unknown, RegExp][] = [
    ['collection name empty', () => normalizeCollection('', [ID], 'id'), /collection name/],
    ['collection name not a string', () => normalizeCollection(7 as never, [ID], 'id'), /collection name/],
    ['no fields', () => normalizeCollection('c', [], 'id'), /at least one field/],
    ['fields not an array', () => normalizeCollection('c', {} as never, 'id'), /must be an array/],
    ['field not an object', () => normalizeCollection('c', [ID, 'v' as never], 'id'), /each field/],
    ['unknown type name', () => normalizeCollection('c', f('int32' as never), 'id'), /unknown type 'int32'/],
    [
      'unknown type object',
      () => normalizeCollection('c', f({ map: 'string' } as never), 'id'),
      /unknown type 'map'/,
    ],
    [
      'type object with two keys',
      () => normalizeCollection('c', f({ list: 'string', optional: 'string' } as never), 'id'),
      /exactly one key/,
    ],
    [
      'type of the wrong shape',
      () => normalizeCollection('c', f(5 as never), 'id'),
      /type name or an object/,
    ],
    [
      'nested unknown type',
      () => normalizeCollection('c', f({ list: 'text' as never }), 'id'),
      /v\[\]: unknown type/,
    ],
    [
      'optional<optional<T>>',
      () => normalizeCollection('c', f({ optional: { optional: 'string' } }), 'id'),
      /optional<optional/,
    ],
    ['empty enum', () => normalizeCollection('c', f({ enum: [] }), 'id'), /enum needs/],
    ['enum of non-strings', () => normalizeCollection('c', f({ enum: [1] as never }), 'id'), /enum needs/],
    ['repeated enum value', () => normalizeCollection('c', f({ enum: ['a', 'a'] }), 'id'), /distinct/],
    ['object without fields', () => normalizeCollection('c', f({ object: [] }), 'id'), /at least one field/],
    [
      'duplicate path',
      () => normalizeCollection('c', [ID, { path: 'a', type: 'string' }, { path: 'a', type: 'int64' }], 'id'),
      /a: path collides with 'a'/,
    ],
    [
      'a path that is a prefix of a later one',
      () =>
        normalizeCollection(
          'c',
          [ID, { path: 'profile', type: 'string' }, { path: 'profile.timezone', type: 'string' }],
          'id',
        ),
      /profile.timezone: path collides with 'profile'/,
    ],
    [
      'a path that extends an earlier one (array form)',
      () =>
        normalizeCollection(
          'c',
          [ID, { path: ['p', 'q'], type: 'string' }, { path: 'p', type: 'string' }],
          'id',
        ),
      /p: path collides with 'p.q'/,
    ],
    [
      'colliding sub-fields of an object',
      () =>
        normalizeCollection(
          'c',
          f({
            object: [
              { path: 'x', type: 'string' },
              { path: 'x.y', type: 'string' },
            ],
          }),
          'id',
        ),
      /v.x.y: path collides with 'v.x'/,
    ],
    [
      'misspelled descriptor key',
      () => normalizeCollection('c', [ID, { path: 'v', type: 'string', constraint: [] } as never], 'id'),
      /unknown key 'constraint'/,
    ],
    [
      'constraints not an array',
      () => normalizeCollection('c', f('string', { constraints: {} as never }), 'id'),
      /array/,
    ],
    [
      'constraint with two keys',
      () => normalizeCollection('c', f('int64', { constraints: [{ min: 1, max: 2 } as never] }), 'id'),
      /exactly one key/,
    ],
    [
      'unknown constraint',
      () => normalizeCollection('c', f('int64', { constraints: [{ positive: true } as never] }), 'id'),
      /unknown constraint 'positive'/,
    ],
    [
      'constraint not an object',
      () => normalizeCollection('c', f('int64', { constraints: [1 as never] }), 'id'),
      /object/,
    ],
    [
      'min on a string',
      () => normalizeCollection('c', f('string', { constraints: [{ min: 1 }] }), 'id'),
      /min applies to/,
    ],
    [
      'max on a bool',
      () => normalizeCollection('c', f('bool', { constraints: [{ max: 1 }] }), 'id'),
      /max applies to/,
    ],
    [
      'min on a list',
      () => normalizeCollection('c', f({ list: 'int64' }, { constraints: [{ min: 1 }] }), 'id'),
      /min applies/,
    ],
    [
      'minLength on an int',
      () => normalizeCollection('c', f('int64', { constraints: [{ minLength: 1 }] }), 'id'),
      /minLength applies/,
    ],
    [
      'regex on an int',
      () => normalizeCollection('c', f('int64', { constraints: [{ regex: 'a' }] }), 'id'),
      /regex applies/,
    ],
    [
      'regex on a list',
      () => normalizeCollection('c', f({ list: 'string' }, { constraints: [{ regex: 'a' }] }), 'id'),
      /regex/,
    ],
    [
      'email on a uuid',
      () => normalizeCollection('c', f('uuid', { constraints: [{ email: true }] }), 'id'),
      /email applies/,
    ],
    [
      'url on bytes',
      () => normalizeCollection('c', f('bytes', { constraints: [{ url: true }] }), 'id'),
      /url applies/,
    ],
    [
      'nonEmpty on a float',
      () => normalizeCollection('c', f('float64', { constraints: [{ nonEmpty: true }] }), 'id'),
      /nonEmpty applies/,
    ],
    [
      'min NaN',
      () => normalizeCollection('c', f('float64', { constraints: [{ min: NaN }] }), 'id'),
      /finite/,
    ],
    [
      'min as a string',
      () => normalizeCollection('c', f('int64', { constraints: [{ min: '1' as never }] }), 'id'),
      /finite/,
    ],
    [
      'negative maxLength',
      () => normalizeCollection('c', f('string', { constraints: [{ maxLength: -1 }] }), 'id'),
      /non-negative integer/,
    ],
    [
      'fractional minLength',
      () => normalizeCollection('c', f('string', { constraints: [{ minLength: 1.5 }] }), 'id'),
      /non-negative integer/,
    ],
    [
      'nonEmpty: false',
      () => normalizeCollection('c', f('string', { constraints: [{ nonEmpty: false as never }] }), 'id'),
      /must be true/,
    ],
    [
      'min above max',
      () => normalizeCollection('c', f('int64', { constraints: [{ min: 10 }, { max: 2n }] }), 'id'),
      /min 10 is greater than max 2/,
    ],
    [
      'minLength above maxLength',
      () =>
        normalizeCollection('c', f('string', { constraints: [{ minLength: 3 }, { maxLength: 2 }] }), 'id'),
      /minLength 3 is greater/,
    ],
    [
      'invalid regex',
      () => normalizeCollection('c', f('string', { constraints: [{ regex: '(' }] }), 'id'),
      /invalid regex/,
    ],
    [
      'regex that is not a string',
      () => normalizeCollection('c', f('string', { constraints: [{ regex: /a/ as never }] }), 'id'),
      /regex must be a string/,
    ],
    [
      'primary key not declared',
      () => normalizeCollection('c', [ID], 'nope'),
      /primary key 'nope' is not a declared/,
    ],
    [
      'float64 primary key',
      () => normalizeCollection('c', [{ path: 'id', type: 'float64' }], 'id'),
      /got float64/,
    ],
    ['bool primary key', () => normalizeCollection('c', [{ path: 'id', type: 'bool' }], 'id'), /got bool/],
    [
      'optional primary key',
      () => normalizeCollection('c', [{ path: 'id', type: { optional: 'int64' } }], 'id'),
      /got optional/,
    ],
    [
      'list primary key',
      () => normalizeCollection('c', [{ path: 'id', type: { list: 'int64' } }], 'id'),
      /got list/,
    ],
    [
      'enum primary key',
      () => normalizeCollection('c', [{ path: 'id', type: { enum: ['a'] } }], 'id'),
      /got enum/,
    ],
    [
      'primary key inside an object field',
      () =>
        normalizeCollection('c', [{ path: 'o', type: { object: [{ path: 'k', type: 'int64' }] } }], 'o.k'),
      /not a declared field/,
    ],
    [
      'index on a list',
      () => normalizeCollection('c', f({ list: 'string' }), 'id', [{ name: 'i', path: 'v', kind: 'index' }]),
      /'v' is not a scalar field/,
    ],
    [
      'index on an object',
      () =>
        normalizeCollection('c', f({ object: [{ path: 'a', type: 'string' }] }), 'id', [
          { name: 'i', path: 'v', kind: 'index' },
        ]),
      /not a scalar field/,
    ],
    [
      'index on an unknown path',
      () => normalizeCollection('c', f('string'), 'id', [{ name: 'i', path: 'v.w', kind: 'index' }]),
      /'v.w' is not a scalar field/,
    ],
    [
      'index on a prefix of a multi-segment field',
      () =>
        normalizeCollection('c', [ID, { path: 'p.q', type: 'string' }], 'id', [
          { name: 'i', path: 'p', kind: 'index' },
        ]),
      /not a scalar field/,
    ],
    [
      'duplicate index name',
      () =>
        normalizeCollection('c', f('string'), 'id', [
          { name: 'i', path: 'v', kind: 'index' },
          { name: 'i', path: 'id', kind: 'unique' },
        ]),
      /duplicate index name 'i'/,
    ],
    [
      'bad index kind',
      () => normalizeCollection('c', f('string'), 'id', [{ name: 'i', path: 'v', kind: 'primary' as never }]),
      /kind must be/,
    ],
    [
      'index without a name',
      () => normalizeCollection('c', f('string'), 'id', [{ name: '', path: 'v', kind: 'index' }]),
      /index name/,
    ],
    [
      'misspelled index key',
      () =>
        normalizeCollection('c', f('string'), 'id', [
          { name: 'i', path: 'v', kind: 'index', unqiue: true } as never,
        ]),
      /unknown key 'unqiue'/,
    ],
    [
      'indexes not an array',
      () => normalizeCollection('c', f('string'), 'id', {} as never),
      /must be an array/,
    ],
    [
      'default of the wrong type',
      () => normalizeCollection('c', f('int64', { default: 'x' }), 'id'),
      /invalid default/,
    ],
    [
      'default failing a constraint',
      () => normalizeCollection('c', f('int64', { default: 200, constraints: [{ max: 150 }] }), 'id'),
      /invalid default: must be at most 150/,
    ],
    [
      'default outside an enum',
      () => normalizeCollection('c', f({ enum: ['a'] }, { default: 'b' }), 'id'),
      /invalid default/,
    ],
    [
      'invalid default of an object sub-field',
      () => normalizeCollection('c', f({ object: [{ path: 'n', type: 'int64', default: 1.5 }] }), 'id'),
      /v.n: invalid default/,
    ],
    [
      'object default missing a required sub-field',
      () => normalizeCollection('c', f({ object: [{ path: 'a', type: 'string' }] }, { default: {} }), 'id'),
      /invalid default: a: is required/,
    ],
  ];
  test.each(cases)('%s', (_name, fn, message) => {
    const err = thrown(fn);
    expect(err).toBeInstanceOf(SchemaError);
    expect((err as SchemaError).code).toBe('SCHEMA');
    expect((err as SchemaError).message).toMatch(message);
  });

  test.each<[string]>([
    ['^(a+)+$'],
    ['(a*)*'],
    ['(a|a)*'],
    ['(a|b)+'],
    ['^(a?){20}a{20}$'],
    ['^((ab)*c)+$'],
    ['(?:x+y)+'],
    ['^(\\w+\\s?)+$'],
    ['(a{1,3})+'],
    ['(a+){2,}'],
    ['(.*a){12}'],
    ['((a)+)*'],
  ])('refuses the backtracking-prone regex %s', (regex) => {
    const err = thrown(() =>
      normalizeCollection('c', [ID, { path: 's', type: 'string', constraints: [{ regex }] }], 'id'),
    );
    expect(err).toBeInstanceOf(SchemaError);
    expect((err as SchemaError).message).toMatch(/catastrophic backtracking/);
  });
});

describe('stored rows and their user objects', () => {
  test('the SPEC users row: compact stored form and back', () => {
    const row = users.toRow(alice);
    expect(row).toEqual([1, 'a@b.co', 'UTC', [], ['Oslo', null], 'active', 30]);
    expect(users.columnCount).toBe(7);
    expect(users.pkColumn).toBe(0);
    expect(users.toObject(row, false)).toEqual({ ...alice, address: { city: 'Oslo', zip: null } });
  });

  test('optional fields and multi-segment paths read as null when missing, undefined or null', () => {
    const expected = { ...alice, profile: { timezone: null }, address: { city: 'Oslo', zip: null } };
    for (const profile of [undefined, null, {}, { timezone: undefined }, { timezone: null }]) {
      const row = users.toRow({ ...alice, profile });
      expect(row[2]).toBeNull();
      expect(users.toObject(row, false)).toEqual(expected);
    }
  });

  test('every primitive type stores compactly and comes back as the user type', () => {
    const c = compiled([
      ID,
      { path: 'b', type: 'bool' },
      { path: 'u', type: 'uint64' },
      { path: 'f', type: 'float64' },
      { path: 's', type: 'string' },
      { path: 'by', type: 'bytes' },
      { path: 'uu', type: 'uuid' },
      { path: 'at', type: 'timestamp' },
      { path: 'e', type: { enum: ['x', 'y'] } },
    ]);
    const at = new Date(Date.UTC(2024, 1, 29, 12, 0, 0, 5));
    const row = c.toRow({
      id: -7,
      b: false,
      u: 2n ** 64n - 1n,
      f: -0.25,
      s: 'héllo 😀',
      by: new Uint8Array([0, 255]),
      uu: 'ABCDEF01-2345-6789-ABCD-EF0123456789',
      at,
      e: 'y',
    });
    expect(row).toEqual([
      -7,
      false,
      2n ** 64n - 1n,
      -0.25,
      'héllo 😀',
      Buffer.from([0, 255]),
      'abcdef01-2345-6789-abcd-ef0123456789',
      at.getTime(),
      'y',
    ]);
    expect(Buffer.isBuffer(row[5])).toBe(true);
    const obj = c.toObject(row, true);
    expect(obj).toEqual({
      id: -7n,
      b: false,
      u: 2n ** 64n - 1n,
      f: -0.25,
      s: 'héllo 😀',
      by: Buffer.from([0, 255]),
      uu: 'abcdef01-2345-6789-abcd-ef0123456789',
      at,
      e: 'y',
    });
    expect(obj.at).toBeInstanceOf(Date);
    expect(Buffer.isBuffer(obj.by)).toBe(true);
  });

  test('float64 keeps ±Infinity and -0, refuses NaN and bigint', () => {
    const c = one('float64');
    expect(c.toRow({ id: 1, v: Infinity })[1]).toBe(Infinity);
    expect(c.toRow({ id: 1, v: -Infinity })[1]).toBe(-Infinity);
    expect(Object.is(c.toRow({ id: 1, v: -0 })[1], -0)).toBe(true);
    expect(invalid(() => c.toRow({ id: 1, v: NaN })).path).toBe('v');
    expect(invalid(() => c.toRow({ id: 1, v: 1n })).message).toMatch(/expected float64/);
  });

  test('lists and objects nest: list of objects, list of lists, optional elements', () => {
    const c = compiled([
      ID,
      {
        path: 'items',
        type: {
          list: {
            object: [
              { path: 'sku', type: 'string' },
              { path: 'at', type: { optional: 'timestamp' } },
            ],
          },
        },
      },
      { path: 'grid', type: { list: { list: 'int64' } } },
      { path: 'maybe', type: { list: { optional: 'uuid' } } },
    ]);
    const at = new Date(0);
    const input = {
      id: 1,
      items: [{ sku: 'a', at }, { sku: 'b' }],
      grid: [[1, 2], [], [3n]],
      maybe: [null, '00000000-0000-0000-0000-00000000000A'],
    };
    const row = c.toRow(input);
    expect(row).toEqual([
      1,
      [
        ['a', 0],
        ['b', null],
      ],
      [[1, 2], [], [3]],
      [null, '00000000-0000-0000-0000-00000000000a'],
    ]);
    expect(c.toObject(row, false)).toEqual({
      id: 1,
      items: [
        { sku: 'a', at },
        { sku: 'b', at: null },
      ],
      grid: [[1, 2], [], [3]],
      maybe: [null, '00000000-0000-0000-0000-00000000000a'],
    });
  });

  test('failures inside lists and objects name the element: tags[2], items[1].sku', () => {
    const c = compiled([
      ID,
      { path: 'tags', type: { list: 'string' } },
      { path: 'items', type: { list: { object: [{ path: 'sku', type: 'string' }] } } },
      { path: 'grid', type: { list: { list: 'int64' } } },
    ]);
    const ok = { id: 1, tags: ['a'], items: [{ sku: 'x' }], grid: [] };
    expect(invalid(() => c.toRow({ ...ok, tags: ['a', 'b', 3] })).path).toBe('tags[2]');
    expect(invalid(() => c.toRow({ ...ok, items: [{ sku: 'x' }, { sku: 1 }] })).path).toBe('items[1].sku');
    expect(invalid(() => c.toRow({ ...ok, items: [{ sku: 'x', extra: 1 }] })).path).toBe('items[0].extra');
    expect(invalid(() => c.toRow({ ...ok, grid: [[1], [2, 'x']] })).path).toBe('grid[1][1]');
    const sparse = new Array<string>(3);
    sparse[0] = 'a';
    sparse[2] = 'c';
    const hole = invalid(() => c.toRow({ ...ok, tags: sparse }));
    expect(hole.path).toBe('tags[1]');
    expect(hole.message).toBe('tags[1]: is required');
  });

  test('type mismatches and missing values name the field', () => {
    expect(invalid(() => users.toRow({ ...alice, email: undefined })).message).toBe('email: is required');
    expect(invalid(() => users.toRow({ ...alice, email: null })).path).toBe('email');
    expect(invalid(() => users.toRow({ ...alice, tags: 'a' })).message).toMatch(/^tags: expected a list/);
    expect(invalid(() => users.toRow({ ...alice, address: 'Oslo' })).path).toBe('address');
    expect(invalid(() => users.toRow({ ...alice, address: {} })).path).toBe('address.city');
    expect(invalid(() => users.toRow({ ...alice, status: 'gone' })).message).toMatch(
      /must be one of 'active', 'banned'/,
    );
    expect(invalid(() => users.toRow({ ...alice, profile: 'UTC' })).message).toMatch(
      /^profile: expected an object/,
    );
    expect(invalid(() => one('bool').toRow({ id: 1, v: 1 })).message).toBe('v: expected bool, got a number');
    expect(invalid(() => one('uuid').toRow({ id: 1, v: 'abc' })).path).toBe('v');
    expect(invalid(() => one('bytes').toRow({ id: 1, v: [1, 2] })).path).toBe('v');
    expect(invalid(() => one('timestamp').toRow({ id: 1, v: 0 })).path).toBe('v');
    expect(invalid(() => one('timestamp').toRow({ id: 1, v: new Date('nope') })).message).toMatch(
      /Invalid Date/,
    );
    expect(invalid(() => one('string').toRow({ id: 1, v: 'a\udc00' })).message).toMatch(/lone surrogate/);
  });

  test('a row that is not an object is refused', () => {
    for (const bad of [null, undefined, [1], 'row', new Date(), Buffer.from('x')]) {
      const err = invalid(() => users.toRow(bad));
      expect(err.path).toBe('');
      expect(err.message).toMatch(/^row: expected an object/);
    }
  });

  test('unknown keys are refused wherever they are; a key holding undefined counts as absent', () => {
    expect(invalid(() => users.toRow({ ...alice, nickname: 'al' })).message).toBe('nickname: unknown field');
    expect(invalid(() => users.toRow({ ...alice, address: { city: 'Oslo', country: 'NO' } })).path).toBe(
      'address.country',
    );
    expect(invalid(() => users.toRow({ ...alice, profile: { timezone: 'UTC', lang: 'nb' } })).path).toBe(
      'profile.lang',
    );
    expect(users.toRow({ ...alice, nickname: undefined })).toEqual(users.toRow(alice));
    // Null is a value: a null under an unknown key is still unknown.
    expect(invalid(() => users.toRow({ ...alice, nickname: null })).path).toBe('nickname');
  });

  test('rows with another prototype: fields may come from getters, unknown keys are still refused', () => {
    class Row {
      extra?: number;
      constructor(readonly id: number) {}
      get v(): string {
        return 'x';
      }
    }
    const c = one('string');
    expect(c.toRow(new Row(1))).toEqual([1, 'x']);
    const r = new Row(1);
    r.extra = 2;
    expect(invalid(() => c.toRow(r)).path).toBe('extra');
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { id: 1, v: 'y' });
    expect(c.toRow(bare)).toEqual([1, 'y']);
    bare.w = 0;
    expect(invalid(() => c.toRow(bare)).path).toBe('w');
  });

  test('field names that Object.prototype also has read only the own property', () => {
    const c = compiled([
      ID,
      { path: 'constructor', type: { optional: 'string' } },
      { path: 'toString.x', type: { optional: 'int64' } },
    ]);
    expect(c.toRow({ id: 1 })).toEqual([1, null, null]);
    const obj = c.toObject(c.toRow({ id: 1, constructor: 'k', toString: { x: 2 } }), false);
    expect(obj).toEqual({ id: 1, constructor: 'k', toString: { x: 2 } });
    expect(Object.getPrototypeOf(obj)).toBe(Object.prototype);
  });

  test('defaults fill undefined (not null) at any level', () => {
    const c = compiled([
      ID,
      { path: 'state', type: { enum: ['on', 'off'] }, default: 'on' },
      { path: 'note', type: { optional: 'string' }, default: 'none' },
      { path: 'tags', type: { list: 'string' }, default: [] },
      { path: 'o', type: { object: [{ path: 'n', type: 'int64', default: 5 }] } },
      { path: 'at', type: 'timestamp', default: new Date(1000) },
    ]);
    expect(c.toRow({ id: 1, o: {} })).toEqual([1, 'on', 'none', [], [5], 1000]);
    expect(c.toRow({ id: 1, state: undefined, note: null, o: { n: 2 } })).toEqual([
      1,
      'on',
      null,
      [],
      [2],
      1000,
    ]);
    // Each row gets its own list, not the schema's.
    const a = c.toRow({ id: 1, o: {} });
    const b = c.toRow({ id: 2, o: {} });
    expect(a[3]).not.toBe(b[3]);
    expect(c.storedDefaults).toEqual([null, 'on', 'none', [], null, 1000]);
  });

  test('toRow never mutates its input; bytes are copied both ways', () => {
    const c = compiled([
      ID,
      { path: 'b', type: 'bytes' },
      { path: 'l', type: { list: 'int64' } },
      { path: 'p.q', type: 'uuid' },
    ]);
    const bytes = Buffer.from([1, 2, 3]);
    const input = Object.freeze({
      id: 1,
      b: bytes,
      l: Object.freeze([1n, 2]),
      p: Object.freeze({ q: 'AAAAAAAA-AAAA-AAAA-AAAA-AAAAAAAAAAAA' }),
    });
    const row = c.toRow(input);
    expect(input.l).toEqual([1n, 2]);
    expect(input.p.q).toBe('AAAAAAAA-AAAA-AAAA-AAAA-AAAAAAAAAAAA');
    bytes[0] = 9;
    expect(row[1]).toEqual(Buffer.from([1, 2, 3]));
    const out = c.toObject(row, false);
    (out.b as Buffer)[1] = 9;
    (out.l as number[]).push(3);
    expect(row[1]).toEqual(Buffer.from([1, 2, 3]));
    expect(row[2]).toEqual([1, 2]);
  });

  test('a row shorter than the schema (written before a column was added) reads null there', () => {
    const c = compiled([
      ID,
      { path: 'added', type: { optional: 'timestamp' } },
      { path: 'n', type: { optional: 'int64' } },
    ]);
    expect(c.toObject([1], true)).toEqual({ id: 1n, added: null, n: null });
  });
});

describe('integers never lose precision silently', () => {
  const i64 = one('int64');
  const u64 = one('uint64');

  test('int64 and uint64 accept exactly their ranges', () => {
    expect(i64.toRow({ id: 1, v: -(2n ** 63n) })[1]).toBe(-(2n ** 63n));
    expect(i64.toRow({ id: 1, v: 2n ** 63n - 1n })[1]).toBe(2n ** 63n - 1n);
    expect(i64.toRow({ id: 1, v: -1n })[1]).toBe(-1);
    for (const v of [-(2n ** 63n) - 1n, 2n ** 63n])
      expect(invalid(() => i64.toRow({ id: 1, v })).message).toMatch(/outside the int64 range/);
    for (const v of [0n, 2n ** 64n - 1n, 2n ** 63n]) expect(() => u64.toRow({ id: 1, v })).not.toThrow();
    for (const v of [-1n, -1, 2n ** 64n])
      expect(invalid(() => u64.toRow({ id: 1, v })).message).toMatch(/outside the uint64 range/);
  });

  test('a bigint in the safe range is stored as a number, beyond it as a bigint; -0 becomes 0', () => {
    expect(i64.toRow({ id: 1, v: 42n })[1]).toBe(42);
    expect(i64.toRow({ id: 1, v: 2n ** 53n - 1n })[1]).toBe(2 ** 53 - 1);
    expect(i64.toRow({ id: 1, v: 2n ** 53n })[1]).toBe(2n ** 53n);
    expect(i64.toRow({ id: 1, v: -(2n ** 53n) })[1]).toBe(-(2n ** 53n));
    expect(Object.is(i64.toRow({ id: 1, v: -0 })[1], 0)).toBe(true);
  });

  test('a number that is not a safe integer is refused rather than rounded', () => {
    expect(invalid(() => i64.toRow({ id: 1, v: 2 ** 60 })).message).toMatch(/pass a bigint/);
    expect(invalid(() => i64.toRow({ id: 1, v: 2 ** 53 })).path).toBe('v');
    expect(invalid(() => i64.toRow({ id: 1, v: 1.5 })).message).toMatch(/expected an integer/);
    expect(invalid(() => i64.toRow({ id: 1, v: Infinity })).path).toBe('v');
    expect(invalid(() => i64.toRow({ id: 1, v: NaN })).path).toBe('v');
    expect(invalid(() => i64.toRow({ id: 1, v: '1' })).message).toBe('v: expected int64, got a string');
  });

  test('reading: number when safe, bigint with safeIntegers, else DataError INT_PRECISION naming the path', () => {
    const c = compiled([
      ID,
      { path: 'v', type: 'int64' },
      { path: 'ns', type: { list: 'uint64' } },
      { path: 'o', type: { object: [{ path: 'n', type: { optional: 'int64' } }] } },
    ]);
    const small = c.toRow({ id: 1, v: 5, ns: [1], o: {} });
    expect(c.toObject(small, false)).toEqual({ id: 1, v: 5, ns: [1], o: { n: null } });
    expect(c.toObject(small, true)).toEqual({ id: 1n, v: 5n, ns: [1n], o: { n: null } });

    const big = 2n ** 62n + 1n;
    const cases: [Record<string, unknown>, string][] = [
      [{ id: 1, v: big, ns: [], o: {} }, 'v'],
      [{ id: 1, v: 0, ns: [1, big], o: {} }, 'ns[1]'],
      [{ id: 1, v: 0, ns: [], o: { n: -big } }, 'o.n'],
    ];
    for (const [input, path] of cases) {
      const row = c.toRow(input);
      const err = thrown(() => c.toObject(row, false));
      expect(err).toBeInstanceOf(DataError);
      expect(err).not.toBeInstanceOf(ValidationError);
      expect((err as DataError).code).toBe('INT_PRECISION');
      expect((err as DataError).path).toBe(path);
      expect(c.toObject(row, true)).toEqual({
        id: 1n,
        v: BigInt(input.v as number | bigint),
        ns: (input.ns as (number | bigint)[]).map((x) => BigInt(x)),
        o: { n: (input.o as { n?: bigint }).n ?? null },
      });
    }
  });
});

describe('constraints on write', () => {
  const pass = (c: CompiledSchema, v: unknown): void => {
    expect(() => c.toRow({ id: 1, v })).not.toThrow();
  };
  const fail = (c: CompiledSchema, v: unknown, message: RegExp): void => {
    const err = invalid(() => c.toRow({ id: 1, v }));
    expect(err.path).toBe('v');
    expect(err.message).toMatch(message);
    // SQL reports constraint failures as CHECK by this word (cursor/write-statements.ts).
    expect(err.message).toMatch(/must/);
  };

  test('min and max on int64, uint64 and float64, with number and bigint bounds compared exactly', () => {
    const age = one('int64', { constraints: [{ min: 0 }, { max: 150 }] });
    pass(age, 0);
    pass(age, 150n);
    fail(age, -1, /at least 0/);
    fail(age, 151, /at most 150/);
    const huge = one('uint64', { constraints: [{ min: 2n ** 62n + 1n }, { max: 2n ** 63n + 1n }] });
    pass(huge, 2n ** 62n + 1n);
    pass(huge, 2n ** 63n + 1n);
    fail(huge, 2n ** 62n, /at least 4611686018427387905/);
    fail(huge, 2n ** 63n + 2n, /at most/);
    const frac = one('float64', { constraints: [{ min: 0.5 }, { max: 2n }] });
    pass(frac, 0.5);
    pass(frac, 2);
    fail(frac, 0.49, /at least 0.5/);
    fail(frac, 2.000001, /at most 2/);
    fail(frac, Infinity, /at most 2/);
  });

  test('minLength and maxLength count code points in strings, elements in lists, bytes in bytes', () => {
    const s = one('string', { constraints: [{ minLength: 2 }, { maxLength: 3 }] });
    pass(s, '😀😀😀'); // 6 UTF-16 units, 3 characters
    pass(s, 'ab');
    fail(s, '😀', /length must be at least 2 \(got 1\)/);
    fail(s, '😀😀😀😀', /length must be at most 3 \(got 4\)/);
    const l = one({ list: 'int64' }, { constraints: [{ maxLength: 2 }] });
    pass(l, [1, 2]);
    fail(l, [1, 2, 3], /at most 2/);
    const b = one('bytes', { constraints: [{ minLength: 1 }] });
    pass(b, Buffer.from([0]));
    fail(b, Buffer.alloc(0), /at least 1/);
  });

  test('nonEmpty on strings, lists and bytes', () => {
    fail(one('string', { constraints: [{ nonEmpty: true }] }), '', /must not be empty/);
    pass(one('string', { constraints: [{ nonEmpty: true }] }), ' ');
    fail(one({ list: 'string' }, { constraints: [{ nonEmpty: true }] }), [], /must not be empty/);
    fail(one('bytes', { constraints: [{ nonEmpty: true }] }), new Uint8Array(0), /must not be empty/);
  });

  test('regex is a unicode pattern, and inputs past the cap fail before matching', () => {
    const c = one('string', { constraints: [{ regex: '^\\p{Lu}[a-z]*$' }] });
    pass(c, 'Ärlig');
    fail(c, 'ärlig', /must match/);
    const any = one('string', { constraints: [{ regex: '^a*$' }] });
    pass(any, 'a'.repeat(REGEX_MAX_INPUT));
    fail(any, 'a'.repeat(REGEX_MAX_INPUT + 1), /at most 10000 characters/);
  });

  test('email and url', () => {
    const email = one('string', { constraints: [{ email: true }] });
    for (const ok of ['a@b.co', 'first.last+tag@mail.example.org']) pass(email, ok);
    for (const bad of ['nope', 'a@b', 'a b@c.de', 'a@@b.co', 'a@b..co', '@b.co'])
      fail(email, bad, /must be an email address/);
    const url = one('string', { constraints: [{ url: true }] });
    for (const ok of ['https://x.org/p?q=1', 'http://localhost:8080', 'ftp://files.example/a', 'wss://h/s'])
      pass(url, ok);
    for (const bad of ['mailto:a@b.co', 'not a url', 'file:///etc/passwd', 'https://', 'javascript:alert(1)'])
      fail(url, bad, /URL/);
  });

  test('constraints apply to a present optional value only, and inside objects with the nested path', () => {
    const c = one({ optional: 'string' }, { constraints: [{ maxLength: 1 }] });
    pass(c, null);
    pass(c, undefined);
    fail(c, 'ab', /at most 1/);
    const nested = one({ object: [{ path: 'city', type: 'string', constraints: [{ regex: '^[A-Z]' }] }] });
    expect(invalid(() => nested.toRow({ id: 1, v: { city: 'oslo' } })).path).toBe('v.city');
    expect(invalid(() => users.toRow({ ...alice, email: `${'a'.repeat(200)}@b.co` })).path).toBe('email');
  });

  test('property: maxLength passes exactly when the code-point count is within the bound', () => {
    const c = one('string', { constraints: [{ maxLength: 3 }] });
    fc.assert(
      fc.property(fc.fullUnicodeString({ maxLength: 6 }), (s) => {
        const within = [...s].length <= 3;
        if (within) expect(c.toRow({ id: 1, v: s })[1]).toBe(s);
        else expect(() => c.toRow({ id: 1, v: s })).toThrow(ValidationError);
      }),
      { numRuns: 300, seed: 11 },
    );
  });

  test('property: min/max compare integers exactly, across the number/bigint boundary', () => {
    const lo = 2n ** 53n - 3n;
    const hi = 2n ** 53n + 3n;
    const c = one('int64', { constraints: [{ min: lo }, { max: hi }] });
    fc.assert(
      fc.property(fc.bigInt(lo - 5n, hi + 5n), (v) => {
        if (v >= lo && v <= hi) expect(BigInt(c.toRow({ id: 1, v })[1] as bigint)).toBe(v);
        else expect(() => c.toRow({ id: 1, v })).toThrow(ValidationError);
      }),
      { numRuns: 200, seed: 5 },
    );
  });
});

describe('canonicalValue', () => {
  test('canonicalizes a primary-key argument or query value for its path type', () => {
    expect(users.canonicalValue(['id'], 7n)).toBe(7);
    expect(users.canonicalValue(['id'], 2n ** 60n)).toBe(2n ** 60n);
    expect(users.canonicalValue(['address', 'city'], 'Oslo')).toBe('Oslo');
    expect(users.canonicalValue(['profile', 'timezone'], 'UTC')).toBe('UTC');
    const c = compiled([
      { path: 'id', type: 'uuid' },
      { path: 'at', type: 'timestamp' },
    ]);
    expect(c.canonicalValue(['id'], 'ABCDEF01-2345-6789-ABCD-EF0123456789')).toBe(
      'abcdef01-2345-6789-abcd-ef0123456789',
    );
    expect(c.canonicalValue(['at'], new Date(5))).toBe(5);
  });

  test('does not apply constraints: a query may compare with any value of the type', () => {
    expect(users.canonicalValue(['age'], 500)).toBe(500);
  });

  test('refuses values of the wrong type, null, and unknown paths with ValidationError', () => {
    expect(invalid(() => users.canonicalValue(['id'], '1')).path).toBe('id');
    expect(invalid(() => users.canonicalValue(['id'], 1.5)).path).toBe('id');
    expect(invalid(() => users.canonicalValue(['profile', 'timezone'], null)).path).toBe('profile.timezone');
    expect(invalid(() => users.canonicalValue(['tags'], ['a', 1])).path).toBe('tags[1]');
    expect(invalid(() => users.canonicalValue(['nope'], 1)).message).toBe('nope: unknown field');
    expect(invalid(() => users.canonicalValue(['address', 'nope'], 1)).path).toBe('address.nope');
  });
});

describe('resolvePath', () => {
  const c = compiled([
    ID,
    { path: 'profile.timezone', type: { optional: 'string' } },
    {
      path: 'address',
      type: {
        object: [
          { path: 'city', type: 'string' },
          { path: 'geo', type: { optional: { object: [{ path: 'lat', type: 'float64' }] } } },
        ],
      },
    },
    { path: 'tags', type: { list: 'string' } },
  ]);
  const row = c.toRow({
    id: 1,
    profile: { timezone: 'UTC' },
    address: { city: 'Oslo', geo: { lat: 59.9 } },
    tags: [],
  });

  test('a top-level column', () => {
    const acc = c.resolvePath(['id']);
    expect(acc).toMatchObject({ column: 0, sub: [], nullable: false, type: { kind: 'int64' } });
    expect(acc?.get(row)).toBe(1);
  });

  test('a multi-segment column', () => {
    const acc = c.resolvePath(['profile', 'timezone']);
    expect(acc).toMatchObject({
      column: 1,
      sub: [],
      nullable: true,
      type: { kind: 'optional', of: { kind: 'string' } },
    });
    expect(acc?.get(row)).toBe('UTC');
  });

  test('scalars inside object columns, nullable through an optional object', () => {
    const city = c.resolvePath(['address', 'city']);
    expect(city).toMatchObject({ column: 2, sub: [0], nullable: false, type: { kind: 'string' } });
    expect(city?.get(row)).toBe('Oslo');
    const lat = c.resolvePath(['address', 'geo', 'lat']);
    expect(lat).toMatchObject({
      column: 2,
      sub: [1, 0],
      nullable: true,
      type: { kind: 'optional', of: { kind: 'float64' } },
    });
    expect(lat?.get(row)).toBe(59.9);
    const noGeo = c.toRow({ id: 2, profile: {}, address: { city: 'X', geo: null }, tags: [] });
    expect(lat?.get(noGeo)).toBeNull();
  });

  test('object and list columns resolve as themselves', () => {
    expect(c.resolvePath(['address'])).toMatchObject({ column: 2, sub: [], type: { kind: 'object' } });
    expect(c.resolvePath(['tags'])).toMatchObject({ column: 3, type: { kind: 'list' } });
  });

  test('unknown paths are null', () => {
    expect(c.resolvePath(['nope'])).toBeNull();
    expect(c.resolvePath(['profile'])).toBeNull();
    expect(c.resolvePath(['profile.timezone'])).toBeNull();
    expect(c.resolvePath(['address', 'zip'])).toBeNull();
    expect(c.resolvePath(['tags', 'x'])).toBeNull();
    expect(c.resolvePath(['id', 'x'])).toBeNull();
  });

  test('accessors are built once per path', () => {
    expect(c.resolvePath(['address', 'city'])).toBe(c.resolvePath(['address', 'city']));
  });
});

describe('property: random flat schemas round-trip exactly', () => {
  interface Spec {
    type: TypeDescriptor;
    /** [input value, expected value read back with safeIntegers] */
    value: fc.Arbitrary<[unknown, unknown]>;
  }
  const same = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<[unknown, unknown]> => a.map((v) => [v, v]);
  const int = (min: bigint, max: bigint): fc.Arbitrary<[unknown, unknown]> =>
    fc.tuple(fc.bigInt(min, max), fc.boolean()).map(([v, asNumber]) => {
      const safe = v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER);
      return [safe && asNumber ? Number(v) : v, v];
    });
  const base: Spec[] = [
    { type: 'bool', value: same(fc.boolean()) },
    { type: 'int64', value: int(-(2n ** 63n), 2n ** 63n - 1n) },
    { type: 'uint64', value: int(0n, 2n ** 64n - 1n) },
    { type: 'float64', value: same(fc.double({ noNaN: true })) },
    { type: 'string', value: same(fc.fullUnicodeString({ maxLength: 200 })) },
    { type: 'bytes', value: fc.uint8Array({ maxLength: 64 }).map((b) => [b, Buffer.from(b)]) },
    {
      type: 'uuid',
      value: fc
        .tuple(fc.uuid(), fc.boolean())
        .map(([u, upper]) => [upper ? u.toUpperCase() : u, u.toLowerCase()]),
    },
    {
      type: 'timestamp',
      value: fc.date({ noInvalidDate: true }).map((d) => [d, new Date(d.getTime())]),
    },
    { type: { enum: ['a', 'b', 'ü'] }, value: same(fc.constantFrom('a', 'b', 'ü')) },
    {
      type: { list: 'int64' },
      value: fc.array(fc.maxSafeInteger(), { maxLength: 50 }).map((l) => [l, l.map((x) => BigInt(x))]),
    },
  ];
  const spec: fc.Arbitrary<Spec> = fc.oneof(
    fc.constantFrom(...base),
    fc.constantFrom(...base).map((s): Spec => ({
      type: { optional: s.type },
      value: fc.oneof(s.value, fc.constantFrom<[unknown, unknown]>([null, null], [undefined, null])),
    })),
  );
  const scenario = fc
    .array(spec, { minLength: 1, maxLength: 8 })
    .chain((specs) => fc.tuple(fc.constant(specs), fc.tuple(...specs.map((s) => s.value))));

  function schemaOf(specs: Spec[]): CollectionSchema {
    return normalizeCollection(
      'p',
      [ID, ...specs.map((s, i): FieldDescriptor => ({ path: `f${i}`, type: s.type }))],
      'id',
    );
  }

  test('toObject(toRow(x)) equals x in canonical form; toRow(toObject(row)) is the same row', () => {
    fc.assert(
      fc.property(scenario, fc.maxSafeInteger(), ([specs, values], id) => {
        const c = compileSchema(schemaOf(specs));
        const input: Record<string, unknown> = { id };
        const expected: Record<string, unknown> = { id: BigInt(id) };
        values.forEach(([v, e], i) => {
          input[`f${i}`] = v;
          expected[`f${i}`] = e;
        });
        const row = c.toRow(input);
        expect(row).toHaveLength(specs.length + 1);
        expect(c.toObject(row, true)).toEqual(expected);
        expect(c.toRow(c.toObject(row, true))).toEqual(row);
        // Without safeIntegers: numbers where exact, INT_PRECISION otherwise.
        const bigints = row.some(
          (v) => typeof v === 'bigint' || (Array.isArray(v) && v.some((x) => typeof x === 'bigint')),
        );
        if (bigints) expect(() => c.toObject(row, false)).toThrow(DataError);
        else expect(c.toRow(c.toObject(row, false))).toEqual(row);
      }),
      { numRuns: 300, seed: 42 },
    );
  });
});
