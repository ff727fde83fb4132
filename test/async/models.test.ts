/**
 * AsyncDatabase: typed models and schema versions through the worker (the same validator and
 * classification as the sync API).
 */
import {
  AsyncDatabase,
  IntegrityError,
  InterfaceError,
  SchemaError,
  ValidationError,
  model,
  t,
} from '../../src/index';

const users = model(
  'users',
  {
    id: t.int64(),
    email: t.string().email(),
    profile: t.object({ tz: t.string().optional() }),
    createdAt: t.timestamp().default('now'),
  },
  { primaryKey: 'id', indexes: [t.unique('email')] },
);

test('register, typed writes and reads, update in a transaction', async () => {
  const db = await AsyncDatabase.openInMemory();
  try {
    const coll = await db.register(users);
    await coll.insert({ id: 1, email: 'a@b.co', profile: {} });
    await expect(coll.insert({ id: 1, email: 'c@d.co', profile: {} })).rejects.toBeInstanceOf(IntegrityError);
    await expect(coll.insert({ id: 2, email: 'nope', profile: {} })).rejects.toBeInstanceOf(ValidationError);
    expect(await coll.upsert({ id: 2, email: 'c@d.co', profile: { tz: 'UTC' } })).toBe('inserted');
    const one = await coll.get(1);
    expect(one?.createdAt).toBeInstanceOf(Date);
    expect((await coll.update(1, { profile: { tz: 'Europe/Oslo' } }))?.profile).toEqual({
      tz: 'Europe/Oslo',
    });
    await expect(coll.update(1, { id: 5 } as never)).rejects.toThrow(/cannot change the primary key/);
    expect(await coll.count()).toBe(2);
    expect((await coll.query().where('profile.tz', 'UTC').all()).map((r) => r.id)).toEqual([2]);
    expect(await coll.delete(2)).toBe(true);
    expect((await coll.all()).map((u) => u.email)).toEqual(['a@b.co']);
  } finally {
    await db.close();
  }
});

describe('subset models', () => {
  const wide = model(
    'wide',
    { id: t.int64(), name: t.string(), secret: t.string(), extra: t.int64().optional() },
    { primaryKey: 'id', indexes: [t.index('name')] },
  );
  const narrow = model('wide', { id: t.int64(), name: t.string() }, { primaryKey: 'id' });

  test('read their own fields and keep the undeclared ones on write, as the sync API', async () => {
    const db = await AsyncDatabase.openInMemory();
    try {
      await (await db.register(wide)).insert({ id: 1, name: 'ann', secret: 's1', extra: 5 });
      const n = await db.register(narrow, { subset: true });
      expect(await n.get(1)).toEqual({ id: 1, name: 'ann' });
      expect(await n.query().where('name', 'ann').all()).toEqual([{ id: 1, name: 'ann' }]);
      expect(await n.all()).toEqual([{ id: 1, name: 'ann' }]);
      expect(await n.update(1, { name: 'anne' })).toEqual({ id: 1, name: 'anne' });
      expect(await n.upsert({ id: 1, name: 'annie' })).toBe('replaced');
      expect(await db.get('wide', 1)).toEqual({ id: 1, name: 'annie', secret: 's1', extra: 5 });
      // A new row must still satisfy the stored schema: 'secret' is required there.
      await expect(n.insert({ id: 2, name: 'bob' })).rejects.toBeInstanceOf(ValidationError);
      await expect(n.upsert({ id: 2, name: 'bob' })).rejects.toThrow(/secret/);
      expect(await n.count()).toBe(1);
    } finally {
      await db.close();
    }
  });

  test('must fit the stored collection', async () => {
    const db = await AsyncDatabase.openInMemory();
    try {
      await expect(db.register(narrow, { subset: true })).rejects.toThrow(/needs an existing collection/);
      await db.register(wide);
      const retyped = model('wide', { id: t.int64(), name: t.string().max(3) }, { primaryKey: 'id' });
      await expect(db.register(retyped, { subset: true })).rejects.toThrow(
        /name differs from the stored field/,
      );
      const otherKey = model('wide', { id: t.int64(), name: t.string() }, { primaryKey: 'name' });
      await expect(db.register(otherKey, { subset: true })).rejects.toBeInstanceOf(SchemaError);
    } finally {
      await db.close();
    }
  });
});

test('schema versions, backfill, rebuildIndexes and the version history', async () => {
  const db = await AsyncDatabase.openInMemory();
  try {
    const coll = await db.register(users);
    await coll.insert({ id: 1, email: 'a@b.co', profile: {} });
    const v2 = model(
      'users',
      {
        id: t.int64(),
        email: t.string().email(),
        profile: t.object({ tz: t.string().optional() }),
        createdAt: t.timestamp().default('now'),
        nick: t.string().optional(),
      },
      { primaryKey: 'id', indexes: [t.unique('email')] },
    );
    await expect(db.register(v2)).rejects.toThrow(/addField nick \(compatible\)/);
    const plan = await db.planSchemaVersion('users', v2);
    expect(plan.classification).toBe('compatible');
    expect((await db.registerSchemaVersion('users', v2)).schemaVersion).toBe(2);
    expect(await db.backfill('users', 'nick', 'n')).toBe(1);
    await expect(db.backfill('users', 'nick', () => 'x')).rejects.toBeInstanceOf(InterfaceError);
    expect((await db.register(v2).then((c) => c.get(1)))?.nick).toBe('n');
    expect(await db.rebuildIndexes('users')).toBe(1);
    const versions = await db.schemaVersions('users');
    expect(versions.map((v) => [v.version, v.change])).toEqual([
      [1, 'create'],
      [2, 'compatible'],
      [3, 'rebuildIndexes'],
      [4, 'rebuildIndexes'],
    ]);
    expect(versions.every((v) => v.time instanceof Date)).toBe(true);
    await expect(
      db.registerSchemaVersion('users', { fields: [{ path: 'id', type: 'int64' }] }),
    ).rejects.toBeInstanceOf(SchemaError);
  } finally {
    await db.close();
  }
});
