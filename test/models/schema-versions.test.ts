/**
 * Schema versions (issue 16 item 4, first part): the classification of every kind of change with
 * its row counts, applying compatible and forced changes, backfill (nested, batched, resumable),
 * rebuildIndexes, and model plan/apply.
 */
import { Database, SchemaError, ValidationError, apply, connect, model, plan, t } from '../../src/index';
import type { FieldDescriptor, IndexDescriptor, SchemaPlan } from '../../src/index';
import { tmpDir } from '../helpers/tmp';

const tmp = tmpDir('mv-versions-');
afterAll(() => tmp.cleanup());

const V1: FieldDescriptor[] = [
  { path: 'id', type: 'int64' },
  { path: 'name', type: 'string', constraints: [{ maxLength: 10 }] },
  { path: 'status', type: { enum: ['active', 'banned'] } },
  { path: 'score', type: { optional: 'int64' }, constraints: [{ min: 0 }] },
  { path: 'profile', type: { object: [{ path: 'tz', type: { optional: 'string' } }] } },
];
const IX: IndexDescriptor[] = [{ name: 'u_name', path: 'name', kind: 'index' }];

function load(db: Database): void {
  db.registerCollection('u', V1, 'id', IX);
  db.transaction(() => {
    db.insert('u', { id: 1, name: 'ann', status: 'active', score: 5, profile: { tz: 'UTC' } });
    db.insert('u', { id: 2, name: 'bob', status: 'banned', score: null, profile: { tz: null } });
    db.insert('u', { id: 3, name: 'cyd-longer', status: 'active', score: 50, profile: { tz: 'UTC' } });
  });
}

const replace = (i: number, f: FieldDescriptor): FieldDescriptor[] => V1.map((x, j) => (j === i ? f : x));
const only = (p: SchemaPlan): [string, string, string][] =>
  p.steps.map((s) => [s.kind, s.classification, s.target] as [string, string, string]);

let db: Database;
beforeEach(() => {
  db = Database.openInMemory();
  load(db);
});
afterEach(() => db.close());

describe('classification', () => {
  const cases: [string, () => SchemaPlan, string, [string, string, string][], Record<string, number>?][] = [
    ['unchanged', () => db.planSchemaVersion('u', { fields: V1 }), 'unchanged', []],
    [
      'add an optional field',
      () => db.planSchemaVersion('u', { fields: [...V1, { path: 'nick', type: { optional: 'string' } }] }),
      'compatible',
      [['addField', 'compatible', 'nick']],
    ],
    [
      'add a field with a default',
      () => db.planSchemaVersion('u', { fields: [...V1, { path: 'n', type: 'int64', default: 0 }] }),
      'compatible',
      [['addField', 'compatible', 'n']],
    ],
    [
      'widen a constraint',
      () =>
        db.planSchemaVersion('u', {
          fields: replace(1, { path: 'name', type: 'string', constraints: [{ maxLength: 20 }] }),
        }),
      'compatible',
      [['widenConstraint', 'compatible', 'name']],
    ],
    [
      'widen an enum and make a field optional',
      () =>
        db.planSchemaVersion('u', {
          fields: replace(2, { path: 'status', type: { optional: { enum: ['active', 'banned', 'gone'] } } }),
        }),
      'compatible',
      [['widenType', 'compatible', 'status']],
    ],
    [
      'add an index, drop an index',
      () =>
        db.planSchemaVersion('u', {
          fields: V1,
          indexes: [{ name: 'u_status', path: 'status', kind: 'index' }],
        }),
      'compatible',
      [
        ['dropIndex', 'compatible', 'u_name'],
        ['addIndex', 'compatible', 'u_status'],
      ],
    ],
    [
      'change a default',
      () => db.planSchemaVersion('u', { fields: replace(3, { ...V1[3], default: 1 }) }),
      'compatible',
      [['changeDefault', 'compatible', 'score']],
    ],
    [
      'add a required field without a default',
      () => db.planSchemaVersion('u', { fields: [...V1, { path: 'email', type: 'string' }] }),
      'needsMigration',
      [['addRequiredField', 'needsMigration', 'email']],
      { rowsNeedingValue: 3 },
    ],
    [
      'tighten a constraint',
      () =>
        db.planSchemaVersion('u', {
          fields: replace(1, { path: 'name', type: 'string', constraints: [{ maxLength: 5 }] }),
        }),
      'needsMigration',
      [['tightenConstraint', 'needsMigration', 'name']],
      { violatingRows: 1 },
    ],
    [
      'make an optional field required',
      () =>
        db.planSchemaVersion('u', {
          fields: replace(3, { path: 'score', type: 'int64', constraints: [{ min: 0 }] }),
        }),
      'needsMigration',
      [['tightenType', 'needsMigration', 'score']],
      { rowsNeedingValue: 1 },
    ],
    [
      'shrink an enum',
      () => db.planSchemaVersion('u', { fields: replace(2, { path: 'status', type: { enum: ['active'] } }) }),
      'needsMigration',
      [['tightenType', 'needsMigration', 'status']],
      { violatingRows: 1 },
    ],
    [
      'change a nested shape',
      () =>
        db.planSchemaVersion('u', {
          fields: replace(4, {
            path: 'profile',
            type: {
              object: [
                { path: 'tz', type: { optional: 'string' } },
                { path: 'lang', type: 'string' },
              ],
            },
          }),
        }),
      'needsMigration',
      [['changeNestedShape', 'needsMigration', 'profile']],
      { violatingRows: 3 },
    ],
    [
      'a unique index over duplicates',
      () =>
        db.planSchemaVersion('u', {
          fields: V1,
          indexes: [...IX, { name: 'u_st', path: 'status', kind: 'unique' }],
        }),
      'needsMigration',
      [['addIndex', 'needsMigration', 'u_st']],
      { duplicateRows: 1 },
    ],
    [
      'drop a field',
      () => db.planSchemaVersion('u', { fields: V1.filter((f) => f.path !== 'score') }),
      'breaking',
      [['dropField', 'breaking', 'score']],
      { rowsWithValue: 2 },
    ],
    [
      'rename a field',
      () => db.planSchemaVersion('u', { fields: replace(3, { ...V1[3], path: 'points' }) }),
      'breaking',
      [
        ['dropField', 'breaking', 'score'],
        ['addField', 'compatible', 'points'],
      ],
    ],
    [
      'change a type',
      () =>
        db.planSchemaVersion('u', { fields: replace(3, { path: 'score', type: { optional: 'float64' } }) }),
      'breaking',
      [['changeType', 'breaking', 'score']],
    ],
    [
      'change the primary key',
      () => db.planSchemaVersion('u', { fields: V1, primaryKey: 'name' }),
      'breaking',
      [['changePrimaryKey', 'breaking', 'name']],
    ],
    [
      'reorder fields',
      () => db.planSchemaVersion('u', { fields: [V1[1], V1[0], ...V1.slice(2)] }),
      'breaking',
      [['reorderFields', 'breaking', 'u']],
    ],
  ];
  // A rest parameter: jest would take a fifth declared parameter for a done callback.
  test.each(cases)('%s', (...[, run, cls, steps, counts]) => {
    const p = run();
    expect(p.classification).toBe(cls);
    expect(only(p)).toEqual(steps);
    expect(p.fromVersion).toBe(1);
    expect(p.rows).toBe(3);
    if (counts) expect(p.steps[0]).toMatchObject(counts);
  });
});

describe('applying', () => {
  test('a compatible change applies, bumps the version and keeps every row', () => {
    const next = [
      ...V1,
      { path: 'nick', type: { optional: 'string' } } as FieldDescriptor,
      { path: 'n', type: 'int64', default: 7 } as FieldDescriptor,
    ];
    const r = db.registerSchemaVersion('u', { fields: next });
    expect(r.schemaVersion).toBe(2);
    expect(db.get('u', 1)).toEqual({
      id: 1,
      name: 'ann',
      status: 'active',
      score: 5,
      profile: { tz: 'UTC' },
      nick: null,
      n: 7,
    });
    db.insert('u', { id: 4, name: 'dee', status: 'active', score: 1, profile: {}, nick: 'd' });
    expect(db.collection('u').where('n', 7).count()).toBe(4);
    expect(db.registerSchemaVersion('u', { fields: next }).classification).toBe('unchanged');
  });

  test('needsMigration needs force, and force needs the data to fit', () => {
    const tight = replace(1, { path: 'name', type: 'string', constraints: [{ maxLength: 5 }] });
    expect(() => db.registerSchemaVersion('u', { fields: tight })).toThrow(SchemaError);
    expect(() => db.registerSchemaVersion('u', { fields: tight }, { force: true })).toThrow(ValidationError);
    expect(db.storage.collection('u')?.meta.version).toBe(1);
    db.insert('u', { id: 3, name: 'cyd', status: 'active', score: 50, profile: { tz: 'UTC' } });
    expect(db.registerSchemaVersion('u', { fields: tight }, { force: true }).schemaVersion).toBe(2);
    expect(() => db.insert('u', { id: 9, name: 'toolong', status: 'active', score: 1, profile: {} })).toThrow(
      ValidationError,
    );
  });

  test('breaking changes need force (test/models/forced-breaking.test.ts), and nothing changes without it', () => {
    const dropped = V1.filter((f) => f.path !== 'score');
    expect(() => db.registerSchemaVersion('u', { fields: dropped })).toThrow(
      /breaking schema change \(pass \{ force: true \} to apply it\): dropField/,
    );
    expect(db.get('u', 1)?.score).toBe(5);
    expect(db.storage.collection('u')?.meta.version).toBe(1);
  });

  test('backfill of a nested required field, then forced registration', () => {
    const withLang = (lang: FieldDescriptor['type']): FieldDescriptor[] =>
      replace(4, {
        path: 'profile',
        type: {
          object: [
            { path: 'tz', type: { optional: 'string' } },
            { path: 'lang', type: lang },
          ],
        },
      });
    // Step 1: the nested field arrives optional (a nested shape change nothing violates).
    const step1 = db.registerSchemaVersion(
      'u',
      { fields: withLang({ optional: 'string' }) },
      { force: true },
    );
    expect(step1.classification).toBe('needsMigration');
    expect(db.get('u', 1)?.profile).toEqual({ tz: 'UTC', lang: null });
    // Step 2: backfill, in batches, with progress.
    const progress: number[] = [];
    const n = db.backfill(
      'u',
      'profile.lang',
      (row: Record<string, unknown>) => (row.id === 1 ? 'nb' : 'en'),
      {
        batchSize: 2,
        onProgress: (p) => progress.push(p.done),
      },
    );
    expect(n).toBe(3);
    expect(progress).toEqual([2, 3]);
    // Step 3: required now; the plan finds no row without a value.
    const p = db.planSchemaVersion('u', { fields: withLang('string') });
    expect(p.steps[0]).toMatchObject({ kind: 'changeNestedShape', violatingRows: 0, rowsNeedingValue: 0 });
    expect(db.registerSchemaVersion('u', { fields: withLang('string') }, { force: true }).schemaVersion).toBe(
      3,
    );
    expect(db.collection('u').where('profile.lang', 'en').count()).toBe(2);
    expect(() => db.insert('u', { id: 9, name: 'x', status: 'active', score: 1, profile: {} })).toThrow(
      /profile.lang/,
    );
  });

  test('a backfill that fails midway keeps the committed batches and resumes', () => {
    db.registerSchemaVersion('u', { fields: [...V1, { path: 'email', type: { optional: 'string' } }] });
    let calls = 0;
    expect(() =>
      db.backfill(
        'u',
        'email',
        (row: Record<string, unknown>) => {
          if (++calls === 3) throw new Error('crash');
          return `${String(row.name)}@x.co`;
        },
        { batchSize: 2 },
      ),
    ).toThrow('crash');
    expect(db.collection('u').where('email', 'isNull').count()).toBe(1);
    expect(db.backfill('u', 'email', 'late@x.co')).toBe(1);
    expect(db.get('u', 3)?.email).toBe('late@x.co');
    expect(db.backfill('u', 'email', 'again@x.co')).toBe(0);
    expect(() => db.backfill('u', 'nope', 1)).toThrow(SchemaError);
    expect(() => db.backfill('u', 'email', () => null)).not.toThrow(); // nothing left to fill
  });

  test('rebuildIndexes rebuilds every index and queries still answer from them', () => {
    expect(db.rebuildIndexes('u')).toBe(1);
    expect(db.collection('u').where('name', 'bob').explain()).toContain('IndexLookup');
    expect(db.collection('u').where('name', 'bob').count()).toBe(1);
  });

  test('versions persist across reopen and SQL sees the new column', () => {
    const file = tmp.file();
    const a = Database.open(file);
    load(a);
    a.registerSchemaVersion('u', { fields: [...V1, { path: 'nick', type: { optional: 'string' } }] });
    a.backfill('u', 'nick', 'n');
    a.close();
    const conn = connect(file, { rowMode: 'object', autocommit: true });
    expect(conn.database.storage.collection('u')?.meta.version).toBe(2);
    expect(conn.execute('SELECT id, nick FROM u ORDER BY id').fetchAll()).toEqual([
      { id: 1, nick: 'n' },
      { id: 2, nick: 'n' },
      { id: 3, nick: 'n' },
    ]);
    conn.close();
  });
});

describe('model plan / apply', () => {
  const v1 = model('people', { id: t.int64(), name: t.string() }, { primaryKey: 'id' });
  const v2 = model(
    'people',
    { id: t.int64(), name: t.string(), nick: t.string().optional() },
    {
      primaryKey: 'id',
      indexes: [t.index('nick')],
    },
  );
  const v3 = model('people', { id: t.int64(), nick: t.string().optional() }, { primaryKey: 'id' });

  test('a new collection is created; a compatible model change applies; register then matches', () => {
    expect(plan(db, v1).steps.map((s) => s.kind)).toEqual(['createCollection']);
    apply(db, v1).insert({ id: 1, name: 'ann' });
    expect(() => db.register(v2)).toThrow(
      /does not match the stored collection: addField nick \(compatible\)/,
    );
    expect(plan(db, v2).classification).toBe('compatible');
    const people = apply(db, v2);
    expect(people.get(1)).toEqual({ id: 1, name: 'ann', nick: null });
    expect(db.register(v2).where('nick', 'isNull').count()).toBe(1);
    expect(plan(db, v3).classification).toBe('breaking');
    expect(() => apply(db, v3)).toThrow(SchemaError);
    expect(() => db.register(v3)).toThrow(/dropField name \(breaking\)/);
  });
});

describe('subset models', () => {
  const wide = model(
    'wide',
    { id: t.int64(), name: t.string(), secret: t.string(), extra: t.int64().optional() },
    { primaryKey: 'id', indexes: [t.index('name')] },
  );
  const narrow = model('wide', { id: t.int64(), name: t.string() }, { primaryKey: 'id' });

  test('read their own fields and keep the undeclared ones on write', () => {
    db.register(wide).insert({ id: 1, name: 'ann', secret: 's1', extra: 5 });
    const n = db.register(narrow, { subset: true });
    expect(n.get(1)).toEqual({ id: 1, name: 'ann' });
    expect(n.where('name', 'ann').all()).toEqual([{ id: 1, name: 'ann' }]);
    expect(n.all()).toEqual([{ id: 1, name: 'ann' }]);
    expect(n.update(1, { name: 'anne' })).toEqual({ id: 1, name: 'anne' });
    expect(n.upsert({ id: 1, name: 'annie' })).toBe('replaced');
    expect(db.get('wide', 1)).toEqual({ id: 1, name: 'annie', secret: 's1', extra: 5 });
    // A new row must still satisfy the stored schema: 'secret' is required there.
    expect(() => n.insert({ id: 2, name: 'bob' })).toThrow(ValidationError);
    expect(() => n.upsert({ id: 2, name: 'bob' })).toThrow(/secret/);
    expect(n.count()).toBe(1);
  });

  test('must fit the stored collection', () => {
    expect(() => db.register(narrow, { subset: true })).toThrow(/needs an existing collection/);
    db.register(wide);
    const retyped = model('wide', { id: t.int64(), name: t.string().max(3) }, { primaryKey: 'id' });
    expect(() => db.register(retyped, { subset: true })).toThrow(/name differs from the stored field/);
    const unknown = model('wide', { id: t.int64(), nope: t.string() }, { primaryKey: 'id' });
    expect(() => db.register(unknown, { subset: true })).toThrow(/nope is not a stored field/);
    const otherKey = model('wide', { id: t.int64(), name: t.string() }, { primaryKey: 'name' });
    expect(() => db.register(otherKey, { subset: true })).toThrow(/primary key name/);
  });
});
