/** Schema layer: normalization errors, validation on write with field paths, stored form round trip. */
import fc from 'fast-check';
import { normalizeCollection } from '../../storage/schema/normalize';
import { compileSchema } from '../../storage/schema/compile';
import type { FieldDescriptor } from '../../storage/schema/descriptors';
import { DataError, SchemaError, ValidationError } from '../../src/errors';

function compiled(fields: FieldDescriptor[], pk = 'id') {
  return compileSchema(normalizeCollection('c', fields, pk));
}

function validationPath(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return (err as ValidationError).path;
  }
  throw new Error('expected a ValidationError');
}

describe('normalizeCollection refuses bad schemas with SchemaError', () => {
  const bad: [string, () => unknown][] = [
    ['unknown type', () => normalizeCollection('c', [{ path: 'id', type: 'int32' as never }], 'id')],
    [
      'empty enum',
      () =>
        normalizeCollection(
          'c',
          [
            { path: 'id', type: 'int64' },
            { path: 'e', type: { enum: [] } },
          ],
          'id',
        ),
    ],
    [
      'colliding paths',
      () =>
        normalizeCollection(
          'c',
          [
            { path: 'id', type: 'int64' },
            { path: 'p', type: 'string' },
            { path: 'p.q', type: 'string' },
          ],
          'id',
        ),
    ],
    [
      'min on a string',
      () =>
        normalizeCollection(
          'c',
          [
            { path: 'id', type: 'int64' },
            { path: 's', type: 'string', constraints: [{ min: 1 }] },
          ],
          'id',
        ),
    ],
    [
      'invalid regex',
      () =>
        normalizeCollection(
          'c',
          [
            { path: 'id', type: 'int64' },
            { path: 's', type: 'string', constraints: [{ regex: '(' }] },
          ],
          'id',
        ),
    ],
    [
      'catastrophic regex',
      () =>
        normalizeCollection(
          'c',
          [
            { path: 'id', type: 'int64' },
            { path: 's', type: 'string', constraints: [{ regex: '^(a+)+$' }] },
          ],
          'id',
        ),
    ],
    ['float primary key', () => normalizeCollection('c', [{ path: 'id', type: 'float64' }], 'id')],
    [
      'optional primary key',
      () => normalizeCollection('c', [{ path: 'id', type: { optional: 'int64' } }], 'id'),
    ],
    ['missing primary key', () => normalizeCollection('c', [{ path: 'id', type: 'int64' }], 'nope')],
    [
      'index on a list',
      () =>
        normalizeCollection(
          'c',
          [
            { path: 'id', type: 'int64' },
            { path: 'l', type: { list: 'string' } },
          ],
          'id',
          [{ name: 'i', path: 'l', kind: 'index' }],
        ),
    ],
    [
      'duplicate index name',
      () =>
        normalizeCollection(
          'c',
          [
            { path: 'id', type: 'int64' },
            { path: 'a', type: 'string' },
          ],
          'id',
          [
            { name: 'i', path: 'a', kind: 'index' },
            { name: 'i', path: 'a', kind: 'unique' },
          ],
        ),
    ],
    [
      'invalid default',
      () =>
        compiled([
          { path: 'id', type: 'int64' },
          { path: 'a', type: 'int64', default: 'x' },
        ]),
    ],
  ];
  test.each(bad)('%s', (_name, fn) => {
    expect(fn).toThrow(SchemaError);
  });
});

describe('validation on write', () => {
  const c = compiled([
    { path: 'id', type: 'int64' },
    { path: 'email', type: 'string', constraints: [{ email: true }] },
    { path: 'site', type: { optional: 'string' }, constraints: [{ url: true }] },
    { path: ['profile', 'tz'], type: { optional: 'string' }, constraints: [{ maxLength: 3 }] },
    { path: 'tags', type: { list: 'string' }, constraints: [{ nonEmpty: true }] },
    {
      path: 'addr',
      type: { object: [{ path: 'city', type: 'string', constraints: [{ regex: '^[A-Z]' }] }] },
    },
    { path: 'age', type: 'uint64', constraints: [{ min: 1 }, { max: 150 }] },
    { path: 'state', type: { enum: ['on', 'off'] }, default: 'on' },
  ]);
  const ok = {
    id: 1,
    email: 'a@b.co',
    site: 'https://x.org',
    profile: { tz: 'UTC' },
    tags: ['x'],
    addr: { city: 'Oslo' },
    age: 30,
  };

  test('a valid row round-trips, defaults fill in, uuid-less optional fields are null', () => {
    const row = c.toRow(ok);
    expect(c.toObject(row, false)).toEqual({ ...ok, state: 'on' });
    expect(c.toObject(c.toRow({ ...ok, site: undefined, profile: {} }), false)).toEqual({
      ...ok,
      site: null,
      profile: { tz: null },
      state: 'on',
    });
  });

  test('each failure names its field path', () => {
    expect(validationPath(() => c.toRow({ ...ok, email: 'nope' }))).toBe('email');
    expect(validationPath(() => c.toRow({ ...ok, site: 'mailto:x' }))).toBe('site');
    expect(validationPath(() => c.toRow({ ...ok, profile: { tz: 'Europe/Oslo' } }))).toBe('profile.tz');
    expect(validationPath(() => c.toRow({ ...ok, tags: [] }))).toBe('tags');
    expect(validationPath(() => c.toRow({ ...ok, tags: ['a', 3] }))).toBe('tags[1]');
    expect(validationPath(() => c.toRow({ ...ok, addr: { city: 'oslo' } }))).toBe('addr.city');
    expect(validationPath(() => c.toRow({ ...ok, age: 0 }))).toBe('age');
    expect(validationPath(() => c.toRow({ ...ok, age: -1 }))).toBe('age');
    expect(validationPath(() => c.toRow({ ...ok, state: 'maybe' }))).toBe('state');
    expect(validationPath(() => c.toRow({ ...ok, extra: 1 }))).toBe('extra');
    expect(validationPath(() => c.toRow({ ...ok, profile: { tz: 'UTC', other: 1 } }))).toBe('profile.other');
    expect(validationPath(() => c.toRow({ ...ok, email: undefined }))).toBe('email');
  });

  test('int64 never loses precision silently', () => {
    const n = compiled([
      { path: 'id', type: 'int64' },
      { path: 'v', type: 'int64' },
    ]);
    expect(validationPath(() => n.toRow({ id: 1, v: 2 ** 60 }))).toBe('v');
    expect(validationPath(() => n.toRow({ id: 1, v: 1.5 }))).toBe('v');
    expect(validationPath(() => n.toRow({ id: 1, v: 2n ** 63n }))).toBe('v');
    const big = n.toRow({ id: 1, v: 2n ** 62n });
    expect(n.toObject(big, true)).toEqual({ id: 1n, v: 2n ** 62n });
    expect(() => n.toObject(big, false)).toThrow(DataError);
    expect(n.toObject(n.toRow({ id: 1n, v: 5n }), false)).toEqual({ id: 1, v: 5 });
  });

  test('uuid is canonicalized, bytes become Buffer, timestamps Date', () => {
    const t = compiled([
      { path: 'id', type: 'uuid' },
      { path: 'b', type: 'bytes' },
      { path: 'at', type: 'timestamp' },
    ]);
    const at = new Date(Date.UTC(2020, 1, 2));
    const obj = t.toObject(
      t.toRow({ id: 'ABCDEF01-2345-6789-ABCD-EF0123456789', b: new Uint8Array([1, 2]), at }),
      false,
    );
    expect(obj).toEqual({ id: 'abcdef01-2345-6789-abcd-ef0123456789', b: Buffer.from([1, 2]), at });
    expect(Buffer.isBuffer(obj.b)).toBe(true);
    expect(validationPath(() => t.toRow({ id: 'not-a-uuid', b: Buffer.alloc(0), at }))).toBe('id');
    expect(
      validationPath(() =>
        t.toRow({ id: 'abcdef01-2345-6789-abcd-ef0123456789', b: Buffer.alloc(0), at: new Date('x') }),
      ),
    ).toBe('at');
  });

  test('resolvePath reaches nested scalars; unknown paths are null', () => {
    expect(c.resolvePath(['addr', 'city'])?.get(c.toRow(ok))).toBe('Oslo');
    expect(c.resolvePath(['profile', 'tz'])?.nullable).toBe(true);
    expect(c.resolvePath(['addr', 'zip'])).toBeNull();
  });

  test('property: random flat rows round-trip exactly', () => {
    const f = compiled([
      { path: 'id', type: 'int64' },
      { path: 'b', type: { optional: 'bool' } },
      { path: 'f', type: 'float64' },
      { path: 's', type: 'string' },
      { path: 'l', type: { list: 'int64' } },
    ]);
    fc.assert(
      fc.property(
        fc.record({
          id: fc.maxSafeInteger(),
          b: fc.option(fc.boolean()),
          f: fc.double({ noNaN: true }),
          s: fc.fullUnicodeString(),
          l: fc.array(fc.integer()),
        }),
        (row) => {
          expect(f.toObject(f.toRow(row), false)).toEqual(row);
        },
      ),
      { numRuns: 300, seed: 3 },
    );
  });
});
