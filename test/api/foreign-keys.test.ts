/**
 * Foreign keys through the typed API: registerCollection's `foreignKeys` option, enforcement of
 * insert and delete (a replaced row counts as an update of the old one), the `foreignKeys`
 * switch, deferred constraints at commit, and the same catalog entry SQL sees.
 */
import { AsyncDatabase, connect, Database, IntegrityError, SchemaError } from '../../src/index';
import { tmpDir } from '../helpers/tmp';

function setup(onDelete?: 'cascade' | 'restrict' | 'setNull', deferred = false, file?: string): Database {
  const db = file === undefined ? Database.openInMemory() : Database.open(file);
  db.registerCollection(
    'users',
    [
      { path: 'id', type: 'int64' },
      { path: 'email', type: 'string' },
    ],
    'id',
    [{ name: 'users_email', path: 'email', kind: 'unique' }],
  );
  db.registerCollection(
    'posts',
    [
      { path: 'id', type: 'int64' },
      { path: 'author', type: { optional: 'int64' } },
      { path: 'by_email', type: { optional: 'string' } },
    ],
    'id',
    [],
    {
      foreignKeys: [
        { columns: ['author'], references: { table: 'users' }, ...(onDelete ? { onDelete } : {}), deferred },
        { columns: ['by_email'], references: { table: 'users', columns: ['email'] }, onUpdate: 'cascade' },
      ],
    },
  );
  return db;
}

const tmp = tmpDir('mv-fk-');
afterAll(() => tmp.cleanup());

describe('typed API foreign keys', () => {
  test('an insert needs its parent; NULL references nothing', () => {
    const db = setup();
    db.insert('users', { id: 1, email: 'a@x' });
    db.insert('posts', { id: 1, author: 1 });
    db.insert('posts', { id: 2, author: null });
    expect(() => db.insert('posts', { id: 3, author: 9 })).toThrow(IntegrityError);
    expect(db.get('posts', 3)).toBeNull();
    try {
      db.insert('posts', { id: 3, author: 9 });
    } catch (err) {
      expect((err as IntegrityError).code).toBe('FOREIGN_KEY');
    }
  });

  test('deleting a referenced row: NO ACTION fails, CASCADE and SET NULL act', () => {
    const none = setup();
    none.insert('users', { id: 1, email: 'a@x' });
    none.insert('posts', { id: 1, author: 1 });
    expect(() => none.delete('users', 1)).toThrow(IntegrityError);
    expect(none.get('users', 1)).not.toBeNull();

    const cascade = setup('cascade');
    cascade.insert('users', { id: 1, email: 'a@x' });
    cascade.insert('posts', { id: 1, author: 1 });
    expect(cascade.delete('users', 1)).toBe(true);
    expect(cascade.get('posts', 1)).toBeNull();

    const setNull = setup('setNull');
    setNull.insert('users', { id: 1, email: 'a@x' });
    setNull.insert('posts', { id: 1, author: 1 });
    setNull.delete('users', 1);
    expect(setNull.get('posts', 1)).toEqual({ id: 1, author: null, by_email: null });
  });

  test('replacing a parent row is an update: ON UPDATE CASCADE follows a changed unique key', () => {
    const db = setup();
    db.insert('users', { id: 1, email: 'a@x' });
    db.insert('posts', { id: 1, author: 1, by_email: 'a@x' });
    expect(db.insert('users', { id: 1, email: 'b@x' })).toBe('replaced');
    expect(db.get('posts', 1)).toEqual({ id: 1, author: 1, by_email: 'b@x' });
  });

  test('the foreignKeys open option and deferred constraints inside transaction()', () => {
    const file = tmp.file();
    setup(undefined, true, file).close();
    const off = Database.open(file, { foreignKeys: false });
    off.insert('posts', { id: 1, author: 9 });
    off.close();
    const db = Database.open(file);
    try {
      expect(() => db.insert('posts', { id: 3, author: 9 })).toThrow(IntegrityError);
      expect(() =>
        db.transaction(() => {
          db.insert('posts', { id: 2, author: 8 });
        }),
      ).toThrow(IntegrityError);
      expect(db.get('posts', 2)).toBeNull();
      db.transaction(() => {
        db.insert('posts', { id: 2, author: 8 });
        db.insert('users', { id: 8, email: 'h@x' });
      });
      expect(db.get('posts', 2)).toEqual({ id: 2, author: 8, by_email: null });
    } finally {
      // A writer left open keeps its lock on a file whose folder afterAll removes.
      db.close();
    }
  });

  test('a refused write inside a transaction leaves no trace (the transaction goes on)', () => {
    const db = setup('cascade');
    db.insert('users', { id: 1, email: 'a@x' });
    db.insert('posts', { id: 1, author: 1, by_email: 'a@x' });
    db.insert('posts', { id: 3, author: null, by_email: 'a@x' });
    db.transaction(() => {
      expect(() => db.insert('posts', { id: 2, author: 7 })).toThrow(IntegrityError);
      // Deleting user 1 cascades to post 1, but post 3's by_email reference (NO ACTION) fails.
      expect(() => db.delete('users', 1)).toThrow(IntegrityError);
      db.insert('users', { id: 2, email: 'b@x' });
    });
    expect(db.get('posts', 2)).toBeNull();
    expect(db.get('posts', 1)).toEqual({ id: 1, author: 1, by_email: 'a@x' });
    expect(db.get('users', 1)).toEqual({ id: 1, email: 'a@x' });
    expect(db.get('users', 2)).toEqual({ id: 2, email: 'b@x' });
  });

  test('bad descriptors are SchemaErrors', () => {
    const db = Database.openInMemory();
    const fields = [
      { path: 'id', type: 'int64' as const },
      { path: 'p', type: 'int64' as const },
    ];
    expect(() =>
      db.registerCollection('c', fields, 'id', [], {
        foreignKeys: [{ columns: ['nope'], references: { table: 'p' } }],
      }),
    ).toThrow(SchemaError);
    expect(() =>
      db.registerCollection('c', fields, 'id', [], {
        foreignKeys: [{ columns: ['p'], references: { table: 'p', columns: ['a', 'b'] } }],
      }),
    ).toThrow(SchemaError);
    expect(() =>
      db.registerCollection('c', fields, 'id', [], {
        // @ts-expect-error: not an action
        foreignKeys: [{ columns: ['p'], references: { table: 'p' }, onDelete: 'explode' }],
      }),
    ).toThrow(SchemaError);
  });

  test('SQL sees the typed descriptor and enforces it the same way', () => {
    const conn = connect(':memory:', { autocommit: true });
    conn.database.registerCollection('p', [{ path: 'id', type: 'int64' }], 'id');
    conn.database.registerCollection(
      'c',
      [
        { path: 'id', type: 'int64' },
        { path: 'p', type: { optional: 'int64' } },
      ],
      'id',
      [],
      { foreignKeys: [{ columns: ['p'], references: { table: 'p' }, onDelete: 'cascade' }] },
    );
    expect(conn.execute('PRAGMA foreign_key_list(c)').fetchAll()).toEqual([
      [0, 0, 'p', 'p', null, 'NO ACTION', 'CASCADE', 'NONE'],
    ]);
    conn.execute('INSERT INTO p VALUES (1)');
    conn.execute('INSERT INTO c VALUES (1, 1)');
    expect(() => conn.execute('INSERT INTO c VALUES (2, 2)')).toThrow(IntegrityError);
    conn.execute('DELETE FROM p');
    expect(conn.execute('SELECT count(*) FROM c').fetchOne()).toEqual([0]);
    conn.close();
  });
});

describe('async API', () => {
  test('registerCollection passes foreignKeys to the worker, which enforces them', async () => {
    const db = await AsyncDatabase.open(tmp.file(), { readers: 1 });
    try {
      await db.registerCollection('p', [{ path: 'id', type: 'int64' }], 'id');
      await db.registerCollection(
        'c',
        [
          { path: 'id', type: 'int64' },
          { path: 'p', type: 'int64' },
        ],
        'id',
        [],
        { foreignKeys: [{ columns: ['p'], references: { table: 'p' } }] },
      );
      await db.insert('p', { id: 1 });
      await db.insert('c', { id: 1, p: 1 });
      await expect(db.insert('c', { id: 2, p: 2 })).rejects.toMatchObject({ code: 'FOREIGN_KEY' });
    } finally {
      await db.close();
    }
  });
});
