/**
 * Run-time behaviour of model() and the typed collection: the mapping onto registerCollection,
 * update() semantics, 'now' defaults, registration rules and declaration errors.
 */
import {
  Database,
  IntegrityError,
  InterfaceError,
  SchemaError,
  ValidationError,
  connect,
  model,
  t,
} from '../../src/index';
import type { AnyField } from '../../src/index';
import { tmpDir } from '../helpers/tmp';

const tmp = tmpDir('mv-models-');
afterAll(() => tmp.cleanup());

const notes = model(
  'notes',
  {
    id: t.string(),
    body: t.string().min(1).max(100),
    meta: t.object({
      author: t.string(),
      editedAt: t.timestamp().default('now'),
      labels: t.list(t.enum(['red', 'green'])).max(2),
    }),
    extra: t.object({ note: t.string().optional() }).optional(),
    version: t.int32().default(1),
    ratio: t.float64().nullable(),
  },
  { primaryKey: 'id', indexes: [t.index('meta.author'), t.unique('body', { name: 'notes_body_u' })] },
);

test('a model maps onto registerCollection descriptors', () => {
  expect(notes.descriptor).toEqual({
    name: 'notes',
    primaryKey: 'id',
    fields: [
      { path: 'id', type: 'string' },
      { path: 'body', type: 'string', constraints: [{ minLength: 1 }, { maxLength: 100 }] },
      {
        path: 'meta',
        type: {
          object: [
            { path: 'author', type: 'string' },
            { path: 'editedAt', type: 'timestamp', defaultSql: 'CURRENT_TIMESTAMP' },
            { path: 'labels', type: { list: { enum: ['red', 'green'] } }, constraints: [{ maxLength: 2 }] },
          ],
        },
      },
      { path: 'extra', type: { optional: { object: [{ path: 'note', type: { optional: 'string' } }] } } },
      {
        path: 'version',
        type: 'int64',
        constraints: [{ min: -(2 ** 31) }, { max: 2 ** 31 - 1 }],
        default: 1,
      },
      { path: 'ratio', type: { optional: 'float64' } },
    ],
    indexes: [
      { name: 'notes_meta_author', path: 'meta.author', kind: 'index' },
      { name: 'notes_body_u', path: 'body', kind: 'unique' },
    ],
  });
});

describe('typed collection', () => {
  let db: Database;
  beforeEach(() => {
    db = Database.openInMemory();
  });
  afterEach(() => db.close());

  test("nested 'now' defaults are filled without touching the caller's object", () => {
    const coll = db.register(notes);
    const input = { id: 'a', body: 'x', meta: { author: 'ann', labels: [] }, ratio: null };
    const before = Date.now();
    coll.insert(input);
    expect(input.meta).toEqual({ author: 'ann', labels: [] });
    const row = coll.get('a');
    expect(row?.meta.editedAt.getTime()).toBeGreaterThanOrEqual(before);
    expect(row?.version).toBe(1);
    expect(row?.extra).toBeNull();
    const given = new Date(1000);
    coll.upsert({ ...input, meta: { ...input.meta, editedAt: given } });
    expect(coll.get('a')?.meta.editedAt).toEqual(given);
  });

  test('update merges nested objects, replaces lists, clears with null, keeps the rest', () => {
    const coll = db.register(notes);
    coll.insert({ id: 'a', body: 'x', meta: { author: 'ann', labels: ['red'] }, ratio: 0.5 });
    const editedAt = coll.get('a')?.meta.editedAt;
    const next = coll.update('a', { meta: { labels: ['green', 'red'] }, ratio: null, extra: { note: 'n' } });
    expect(next).toEqual({
      id: 'a',
      body: 'x',
      meta: { author: 'ann', editedAt, labels: ['green', 'red'] },
      extra: { note: 'n' },
      version: 1,
      ratio: null,
    });
    expect(coll.update('a', { extra: null })?.extra).toBeNull();
    expect(coll.update('missing', { body: 'y' })).toBeNull();
    expect(coll.count()).toBe(1);
  });

  test('update validates the whole row and writes nothing on failure', () => {
    const coll = db.register(notes);
    coll.insert({ id: 'a', body: 'x', meta: { author: 'ann', labels: [] }, ratio: 1 });
    coll.insert({ id: 'b', body: 'y', meta: { author: 'bob', labels: [] }, ratio: 1 });
    expect(() => coll.update('a', { body: '' })).toThrow(ValidationError);
    expect(() => coll.update('a', { meta: { labels: ['red', 'red', 'green'] } })).toThrow(ValidationError);
    expect(() => coll.update('a', { body: 'y' })).toThrow(IntegrityError);
    expect(() => coll.update('a', { id: 'z' } as never)).toThrow(/cannot change the primary key/);
    expect(() => coll.update('a', 5 as never)).toThrow(InterfaceError);
    expect(coll.get('a')?.body).toBe('x');
  });

  test('update inside a transaction is undone with it', () => {
    const coll = db.register(notes);
    coll.insert({ id: 'a', body: 'x', meta: { author: 'ann', labels: [] }, ratio: 1 });
    expect(() =>
      db.transaction(() => {
        coll.update('a', { body: 'changed' });
        throw new Error('stop');
      }),
    ).toThrow('stop');
    expect(coll.get('a')?.body).toBe('x');
  });

  test('register is idempotent for the same schema and refuses a different one', () => {
    const file = tmp.file();
    const first = Database.open(file);
    first.register(notes).insert({ id: 'a', body: 'x', meta: { author: 'ann', labels: [] }, ratio: 1 });
    first.close();
    const again = Database.open(file);
    expect(again.register(notes).get('a')?.body).toBe('x');
    const changed = model('notes', { id: t.string(), body: t.string() }, { primaryKey: 'id' });
    expect(() => again.register(changed)).toThrow(SchemaError);
    expect(() => again.register({} as never)).toThrow(InterfaceError);
    again.close();
  });

  test('the collection is a plain SQL table', () => {
    const conn = connect(':memory:', { rowMode: 'object', autocommit: true });
    const coll = conn.database.register(notes);
    coll.insert({ id: 'a', body: 'x', meta: { author: 'ann', labels: [] }, ratio: 2 });
    expect(conn.execute('SELECT id, "meta.author", version FROM notes').fetchAll()).toEqual([
      { id: 'a', 'meta.author': 'ann', version: 1 },
    ]);
    conn.execute("UPDATE notes SET body = 'from sql' WHERE id = 'a'");
    expect(coll.get('a')?.body).toBe('from sql');
    conn.close();
  });

  test('iterate, first, offset and the untyped builder', () => {
    const coll = db.register(notes);
    for (const id of ['a', 'b', 'c'])
      coll.insert({
        id,
        body: `body ${id}`,
        meta: { author: id === 'b' ? 'bob' : 'ann', labels: [] },
        ratio: 1,
      });
    expect([...coll.iterate()].map((r) => r.id)).toEqual(['a', 'b', 'c']);
    expect(coll.orderBy('id', 'desc').first()?.id).toBe('c');
    expect(coll.query().orderBy('id').offset(1).first()?.id).toBe('b');
    expect([...coll.where('meta.author', 'ann')].map((r) => r.id)).toEqual(['a', 'c']);
    expect(
      coll
        .query()
        .untyped.groupBy('meta.author')
        .aggregate({ n: { fn: 'count' } }),
    ).toEqual([
      { meta: { author: 'ann' }, n: 2 },
      { meta: { author: 'bob' }, n: 1 },
    ]);
    expect(coll.explain()).toContain('CollectionScan');
  });
});

describe('declaration errors are SchemaErrors', () => {
  test.each([
    [
      'a dotted field name',
      () => model('m', { id: t.int64(), 'a.b': t.string() }, { primaryKey: 'id' }),
      /a\.b: /,
    ],
    ['regex flags', () => t.string().regex(/x/i), /flags are not supported/],
    [
      'element constraints',
      () => model('m', { id: t.int64(), l: t.list(t.string().email()) }, { primaryKey: 'id' }),
      /l\[\]: constraints on list elements/,
    ],
    [
      'a non-field value',
      () => model('m', { id: t.int64(), x: 5 as unknown as AnyField }, { primaryKey: 'id' }),
      /x: not a field/,
    ],
    [
      'a defaulted key',
      () => model('m', { id: t.int64().default(1) }, { primaryKey: 'id' as never }),
      /primary key/,
    ],
    ['a missing key', () => model('m', { id: t.int64() }, { primaryKey: 'nope' as never }), /not a field/],
    ['an empty name', () => model('', { id: t.int64() }, { primaryKey: 'id' }), /name/],
  ])('%s', (_name, fn, message) => {
    expect(fn).toThrow(SchemaError);
    expect(fn).toThrow(message);
  });

  test('what only the normalizer checks fails at register(), naming the field', () => {
    const db = Database.openInMemory();
    const badConstraint = model('m', { id: t.int64(), s: t.string().regex('(a+)+$') }, { primaryKey: 'id' });
    expect(() => db.register(badConstraint)).toThrow(SchemaError);
    const badIndex = model(
      'm2',
      { id: t.int64(), l: t.list(t.string()) },
      {
        primaryKey: 'id',
        indexes: [t.index('l' as never)],
      },
    );
    expect(() => db.register(badIndex)).toThrow(/not a scalar field/);
    const badDefault = model(
      'm3',
      { id: t.int64(), s: t.string().max(2).default('long') },
      { primaryKey: 'id' },
    );
    expect(() => db.register(badDefault)).toThrow(/s: invalid default/);
    db.close();
  });
});

test('a generated field is computed on every write and left out of the write type', () => {
  const lines = model(
    'lines',
    {
      id: t.int64(),
      price: t.float64(),
      qty: t.int64(),
      total: t.float64().generated('price * qty', { stored: true }),
      label: t.string().nullable().generated("qty || ' x ' || price"),
    },
    { primaryKey: 'id', indexes: [t.index('total')] },
  );
  expect(lines.descriptor.fields.slice(3)).toEqual([
    { path: 'total', type: 'float64', generated: { sql: 'price * qty', stored: true } },
    { path: 'label', type: { optional: 'string' }, generated: { sql: "qty || ' x ' || price" } },
  ]);
  const db = Database.openInMemory();
  try {
    const coll = db.register(lines);
    coll.insert({ id: 1, price: 2.5, qty: 4 });
    // @ts-expect-error: a generated field is not written
    coll.insert({ id: 2, price: 1, qty: 3, total: 99 });
    expect(coll.get(1)).toEqual({ id: 1, price: 2.5, qty: 4, total: 10, label: '4 x 2.5' });
    expect(coll.get(2)).toEqual({ id: 2, price: 1, qty: 3, total: 3, label: '3 x 1.0' });
  } finally {
    db.close();
  }
});
