/**
 * Breaking schema versions applied with `force` (issue 16 item 4): dropping a field (reported by
 * the plan, its values gone from reads and, once compacted, from the file), renaming one with its
 * values, reordering, retyping only when every value fits, nested drops; a new primary key stays
 * refused; a failure changes nothing. Also model apply() with force.
 */
import * as fs from 'node:fs';
import { Database, NotSupportedError, SchemaError, ValidationError, apply, model, t } from '../../src/index';
import type { FieldDescriptor, IndexDescriptor } from '../../src/index';
import { tmpDir } from '../helpers/tmp';

const tmp = tmpDir('mv-forced-');
afterAll(() => tmp.cleanup());

const MARK = 'forced-drop-marker-91c2';
const V1: FieldDescriptor[] = [
  { path: 'id', type: 'int64' },
  { path: 'name', type: 'string' },
  { path: 'secret', type: { optional: 'string' } },
  { path: 'score', type: { optional: 'int64' } },
  {
    path: 'profile',
    type: {
      object: [
        { path: 'tz', type: { optional: 'string' } },
        { path: 'lang', type: { optional: 'string' } },
      ],
    },
  },
];
const IX: IndexDescriptor[] = [
  { name: 'u_name', path: 'name', kind: 'unique' },
  { name: 'u_tz', path: 'profile.tz', kind: 'index' },
];
const without = (name: string): FieldDescriptor[] => V1.filter((f) => f.path !== name);

function load(db: Database): void {
  db.registerCollection('u', V1, 'id', IX);
  db.transaction(() => {
    db.insert('u', { id: 1, name: 'ann', secret: `${MARK}-1`, score: 5, profile: { tz: 'UTC', lang: 'en' } });
    db.insert('u', { id: 2, name: 'bob', secret: null, score: null, profile: { tz: null, lang: 'nb' } });
    db.insert('u', {
      id: 3,
      name: 'cyd',
      secret: `${MARK}-3`,
      score: 50,
      profile: { tz: 'UTC', lang: null },
    });
  });
}

describe('in memory', () => {
  let db: Database;
  beforeEach(() => {
    db = Database.openInMemory();
    load(db);
  });
  afterEach(() => db.close());

  test('dropping a field: the plan says how many rows lose a value, force applies it', () => {
    const plan = db.planSchemaVersion('u', { fields: without('secret') });
    expect(plan.classification).toBe('breaking');
    expect(plan.steps).toEqual([
      {
        kind: 'dropField',
        classification: 'breaking',
        target: 'secret',
        detail: 'field secret is dropped with its values',
        rowsWithValue: 2,
      },
    ]);
    const done = db.registerSchemaVersion('u', { fields: without('secret') }, { force: true });
    expect(done.schemaVersion).toBe(2);
    expect(db.get('u', 1)).toEqual({ id: 1, name: 'ann', score: 5, profile: { tz: 'UTC', lang: 'en' } });
    expect(db.collection('u').where('profile.tz', 'UTC').count()).toBe(2);
    expect(() => db.insert('u', { id: 4, name: 'ann', profile: {} })).toThrow('UNIQUE constraint failed');
    expect(() => db.insert('u', { id: 4, name: 'dee', secret: 'x', profile: {} })).toThrow(ValidationError);
    // Added back, the field is empty on every row.
    db.registerSchemaVersion(
      'u',
      {
        fields: V1.map((f) => (f.path === 'secret' ? V1[4] : f))
          .slice(0, 4)
          .concat([V1[2]]),
      },
      {
        force: true,
      },
    );
    expect(db.collection('u').where('secret', 'isNotNull').count()).toBe(0);
  });

  test('renaming a field keeps its values, and its indexes follow', () => {
    const fields = V1.map((f) => (f.path === 'name' ? { ...f, path: 'fullName' } : f));
    const plan = db.planSchemaVersion('u', { fields, renames: { name: 'fullName' } });
    // The index on the field follows it: no index step.
    expect(plan.steps.map((s) => [s.kind, s.classification, s.target])).toEqual([
      ['renameField', 'breaking', 'fullName'],
    ]);
    db.registerSchemaVersion('u', { fields, renames: { name: 'fullName' } }, { force: true });
    expect(db.get('u', 2)).toMatchObject({ id: 2, fullName: 'bob' });
    expect(db.get('u', 2)).not.toHaveProperty('name');
    expect(db.collection('u').where('fullName', 'cyd').count()).toBe(1);
    expect(() => db.insert('u', { id: 9, fullName: 'ann', profile: {} })).toThrow('UNIQUE constraint failed');
    expect(() => db.planSchemaVersion('u', { fields, renames: { nope: 'fullName' } })).toThrow(SchemaError);
  });

  test('without renames, a rename is a drop and an add', () => {
    const fields = V1.map((f) => (f.path === 'secret' ? { ...f, path: 'hidden' } : f));
    const plan = db.planSchemaVersion('u', { fields });
    expect(plan.steps.map((s) => [s.kind, s.target])).toEqual([
      ['dropField', 'secret'],
      ['addField', 'hidden'],
    ]);
  });

  test('reordering fields moves no value', () => {
    const fields = [V1[0], V1[3], V1[1], V1[4], V1[2]];
    expect(db.planSchemaVersion('u', { fields }).steps.map((s) => s.kind)).toEqual(['reorderFields']);
    db.registerSchemaVersion('u', { fields }, { force: true });
    expect(db.get('u', 3)).toEqual({
      id: 3,
      score: 50,
      name: 'cyd',
      profile: { tz: 'UTC', lang: null },
      secret: `${MARK}-3`,
    });
  });

  test('retyping applies only when every value fits the new type; otherwise nothing changes', () => {
    const toFloat = V1.map((f) =>
      f.path === 'score' ? { ...f, type: { optional: 'float64' as const } } : f,
    );
    const plan = db.planSchemaVersion('u', { fields: toFloat });
    expect(plan.steps).toEqual([expect.objectContaining({ kind: 'changeType', violatingRows: 0 })]);
    db.registerSchemaVersion('u', { fields: toFloat }, { force: true });
    expect(db.get('u', 3)?.score).toBe(50);
    db.insert('u', { id: 4, name: 'dee', score: 2.5, profile: {} });

    const toInt = V1.map((f) => (f.path === 'name' ? { ...f, type: 'int64' as const } : f));
    expect(db.planSchemaVersion('u', { fields: toInt }).steps[0]).toMatchObject({
      kind: 'changeType',
      violatingRows: 4,
    });
    expect(() => db.registerSchemaVersion('u', { fields: toInt }, { force: true })).toThrow(ValidationError);
    expect(db.get('u', 1)?.name).toBe('ann');
    expect(db.storage.collection('u')?.meta.version).toBe(2);
  });

  test('a nested field dropped with force leaves the rest of the object', () => {
    const fields = V1.map((f) =>
      f.path === 'profile'
        ? { path: 'profile', type: { object: [{ path: 'lang', type: { optional: 'string' as const } }] } }
        : f,
    );
    expect(() => db.planSchemaVersion('u', { fields })).toThrow(/u_tz/);
    expect(db.planSchemaVersion('u', { fields, indexes: [IX[0]] }).steps).toContainEqual(
      expect.objectContaining({
        kind: 'changeType',
        detail: 'profile: type changes (drops profile.tz)',
        violatingRows: 0,
      }),
    );
    // The index on profile.tz must go with it (above: the version must say so).
    db.registerSchemaVersion('u', { fields, indexes: [IX[0]] }, { force: true });
    expect(db.get('u', 1)?.profile).toEqual({ lang: 'en' });
    expect(db.get('u', 2)?.profile).toEqual({ lang: 'nb' });
  });

  test('a new primary key stays refused, force or not', () => {
    const byName = { fields: V1, primaryKey: 'name' };
    expect(() => db.registerSchemaVersion('u', byName)).toThrow(SchemaError);
    expect(() => db.registerSchemaVersion('u', byName, { force: true })).toThrow(NotSupportedError);
    expect(db.get('u', 1)?.name).toBe('ann');
  });

  test('a failure inside an open transaction undoes the whole version', () => {
    db.begin();
    db.insert('u', { id: 4, name: 'dee', secret: 's', profile: {} });
    const toInt = V1.map((f) => (f.path === 'name' ? { ...f, type: 'int64' as const } : f));
    expect(() => db.registerSchemaVersion('u', { fields: toInt }, { force: true })).toThrow(ValidationError);
    db.registerSchemaVersion('u', { fields: without('secret') }, { force: true });
    expect(db.get('u', 4)).toEqual({ id: 4, name: 'dee', score: null, profile: { tz: null, lang: null } });
    db.rollback();
    expect(db.get('u', 1)?.secret).toBe(`${MARK}-1`);
    expect(db.get('u', 4)).toBeNull();
  });

  test('model apply() with force drops what the model no longer declares', () => {
    const users = model(
      'u',
      {
        id: t.int64(),
        name: t.string(),
        score: t.int64().optional(),
        profile: t.object({ tz: t.string().optional(), lang: t.string().optional() }),
      },
      { primaryKey: 'id', indexes: [t.unique('name'), t.index('profile.tz')] },
    );
    expect(() => apply(db, users)).toThrow(/breaking/);
    const col = apply(db, users, { force: true });
    expect(col.get(1)).toEqual({ id: 1, name: 'ann', score: 5, profile: { tz: 'UTC', lang: 'en' } });
  });
});

describe('on a file', () => {
  type How = 'reopen' | 'compact' | 'crash';
  test.each<How>(['reopen', 'compact', 'crash'])('the dropped values stay gone after %s', (how) => {
    const file = tmp.file();
    const db = Database.open(file);
    load(db);
    if (how === 'crash') db.checkpoint();
    db.registerSchemaVersion('u', { fields: without('secret') }, { force: true });
    let reopen = file;
    if (how === 'compact') {
      db.compact();
      expect(fs.readFileSync(file).includes(MARK)).toBe(false);
    }
    if (how === 'crash') {
      reopen = tmp.file();
      fs.copyFileSync(file, reopen);
    }
    db.close();
    const again = Database.open(reopen);
    expect(again.get('u', 3)).toEqual({ id: 3, name: 'cyd', score: 50, profile: { tz: 'UTC', lang: null } });
    expect(again.collection('u').where('profile.tz', 'UTC').count()).toBe(2);
    expect(again.storage.collection('u')?.meta.version).toBe(2);
    again.close();
  });
});
