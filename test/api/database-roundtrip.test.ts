import {
  Database,
  ValidationError,
  IntegrityError,
  DataError,
  ProgrammingError,
  TransactionError,
  InterfaceError,
} from '../../src/index';
import type { FieldDescriptor, IndexDescriptor } from '../../src/index';
import { tmpDir } from '../helpers/tmp';

const FIELDS: FieldDescriptor[] = [
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
  { path: 'big', type: { optional: 'int64' } },
  { path: 'ubig', type: { optional: 'uint64' } },
  { path: 'score', type: { optional: 'float64' } },
  { path: 'ok', type: { optional: 'bool' } },
  { path: 'blob', type: { optional: 'bytes' } },
  { path: 'uid', type: { optional: 'uuid' } },
  { path: 'at', type: { optional: 'timestamp' } },
];
const INDEXES: IndexDescriptor[] = [
  { name: 'users_email', path: 'email', kind: 'unique' },
  { name: 'users_tz', path: 'profile.timezone', kind: 'index' },
  { name: 'users_city', path: 'address.city', kind: 'index' },
];

function fullRow(id: number): Record<string, unknown> {
  return {
    id,
    email: `u${id}@example.com`,
    profile: { timezone: id % 2 ? 'UTC' : 'Europe/Oslo' },
    tags: ['a', `t${id}`],
    address: { city: 'Oslo', zip: id % 3 ? '0150' : null },
    status: 'active',
    age: 30,
    big: 2n ** 62n + BigInt(id),
    ubig: 2n ** 64n - 1n,
    score: 1.5 + id,
    ok: id % 2 === 0,
    blob: Buffer.from([0, 1, 2, id & 0xff]),
    uid: '123E4567-E89B-12D3-A456-426614174000',
    at: new Date(Date.UTC(2024, 0, 1, 0, 0, id)),
  };
}

/** What get() returns with safeIntegers: every int64/uint64 as bigint, the uuid canonical. */
function expected(id: number): Record<string, unknown> {
  const row = fullRow(id);
  return { ...row, id: BigInt(id), age: 30n, uid: '123e4567-e89b-12d3-a456-426614174000' };
}

function open(file: string): Database {
  const db = Database.open(file, { safeIntegers: true });
  db.registerCollection('users', FIELDS, 'id', INDEXES);
  return db;
}

describe('Database round trip', () => {
  const tmp = tmpDir();
  afterAll(() => tmp.cleanup());

  test('every type survives close/reopen, checkpoint + tail, and in memory', () => {
    const file = tmp.file();
    let db = open(file);
    db.transaction(() => {
      for (let i = 1; i <= 50; i++) db.insert('users', fullRow(i));
    });
    db.close();
    db = open(file);
    for (const i of [1, 2, 25, 50]) expect(db.get('users', i)).toEqual(expected(i));
    db.checkpoint();
    for (let i = 51; i <= 60; i++) db.insert('users', fullRow(i));
    db.delete('users', 2);
    db.close();
    db = open(file);
    expect(db.storage.recoveryReport.usedCheckpoint).toBe(true);
    expect(db.get('users', 2)).toBeNull();
    for (const i of [1, 50, 51, 60]) expect(db.get('users', i)).toEqual(expected(i));
    db.close();

    const mem = Database.openInMemory({ safeIntegers: true });
    mem.registerCollection('users', FIELDS, 'id', INDEXES);
    mem.insert('users', fullRow(7));
    expect(mem.get('users', 7)).toEqual(expected(7));
    mem.close();
  });

  test('bigint beyond 2^53 is refused as a number without safeIntegers', () => {
    const file = tmp.file();
    const db = open(file);
    db.insert('users', fullRow(1));
    db.close();
    const plain = Database.open(file);
    expect(() => plain.get('users', 1)).toThrow(DataError);
    try {
      plain.get('users', 1);
    } catch (err) {
      expect((err as DataError).code).toBe('INT_PRECISION');
    }
    plain.close();
  });

  test('validation failure writes nothing and names the field path', () => {
    const file = tmp.file();
    let db = open(file);
    db.insert('users', fullRow(1));
    const bad = { ...fullRow(2), age: -1 };
    expect(() => db.insert('users', bad)).toThrow(ValidationError);
    try {
      db.insert('users', { ...fullRow(2), address: { city: 5 } });
    } catch (err) {
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).path).toBe('address.city');
    }
    db.close();
    db = open(file);
    expect(db.get('users', 2)).toBeNull();
    expect(db.get('users', 1)).toEqual(expected(1));
    db.close();
  });

  test('unique violation is an IntegrityError and leaves file and memory unchanged', () => {
    const file = tmp.file();
    let db = open(file);
    db.insert('users', fullRow(1));
    const sizeBefore = db.storage.fileSize;
    expect(() => db.insert('users', { ...fullRow(2), email: 'u1@example.com' })).toThrow(IntegrityError);
    expect(db.storage.fileSize).toBe(sizeBefore);
    expect(db.get('users', 2)).toBeNull();
    // The unique key is still owned by row 1 and can be reused by replacing row 1 itself.
    db.insert('users', { ...fullRow(1), age: 31 });
    expect(db.get('users', 1)?.age).toBe(31n);
    db.close();
    db = open(file);
    expect(db.get('users', 2)).toBeNull();
    expect(db.get('users', 1)?.age).toBe(31n);
    db.close();
  });

  test('a transaction that throws leaves nothing; nested transactions are savepoints', () => {
    const file = tmp.file();
    let db = open(file);
    expect(() =>
      db.transaction(() => {
        db.insert('users', fullRow(1));
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(db.get('users', 1)).toBeNull();
    db.transaction(() => {
      db.insert('users', fullRow(1));
      expect(() =>
        db.transaction(() => {
          db.insert('users', fullRow(2));
          throw new Error('inner');
        }),
      ).toThrow('inner');
      db.transaction(() => db.insert('users', fullRow(3)));
    });
    db.close();
    db = open(file);
    expect(db.get('users', 1)).not.toBeNull();
    expect(db.get('users', 2)).toBeNull();
    expect(db.get('users', 3)).not.toBeNull();
    expect(() => db.transaction(() => Promise.resolve(1))).toThrow(TransactionError);
    db.close();
  });

  test('errors for unknown collections, closed handles and bad options', () => {
    const db = Database.openInMemory();
    expect(() => db.get('nope', 1)).toThrow(ProgrammingError);
    expect(() => Database.open(tmp.file(), { readonly: true } as never)).toThrow(/did you mean 'readOnly'/);
    db.close();
    expect(() => db.collectionNames()).toThrow(InterfaceError);
    db.close(); // idempotent
  });

  test('collectionNames lists registered collections; re-registering the same schema is a no-op', () => {
    const db = Database.openInMemory();
    const a = db.registerCollection('b', [{ path: 'k', type: 'string' }], 'k');
    db.registerCollection('a', [{ path: 'k', type: 'string' }], 'k');
    expect(db.registerCollection('b', [{ path: 'k', type: 'string' }], 'k')).toEqual(a);
    expect(db.collectionNames()).toEqual(['a', 'b']);
    db.close();
  });
});
