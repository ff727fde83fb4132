/**
 * Values cross the worker boundary without loss: the async API returns exactly what the sync API
 * returns for the same file (bigint with safeIntegers, Buffer, Date, nested objects), and errors
 * come back as the same classes with the same codes.
 */
import {
  AsyncDatabase,
  connect,
  connectAsync,
  Database,
  DataError,
  IntegrityError,
  ProgrammingError,
  QueryError,
  ValidationError,
} from '../../src/index';
import type { FieldDescriptor } from '../../src/index';
import { tmpDir } from '../helpers/tmp';

const tmp = tmpDir('mv-async-values-');
afterAll(() => tmp.cleanup());

const FIELDS: FieldDescriptor[] = [
  { path: 'id', type: 'int64' },
  { path: 'big', type: 'int64' },
  { path: 'blob', type: 'bytes' },
  { path: 'at', type: 'timestamp' },
  { path: ['profile', 'city'], type: 'string' },
  { path: 'tags', type: { list: 'string' } },
  { path: 'score', type: 'float64' },
];

const ROWS = [
  {
    id: 1,
    big: 9007199254740993n,
    blob: Buffer.from([0, 1, 2, 255]),
    at: new Date('2024-02-29T12:34:56.789Z'),
    profile: { city: 'Oslo' },
    tags: ['a', 'b'],
    score: -0.5,
  },
  {
    id: 2,
    big: -(2n ** 63n),
    blob: new Uint8Array([9, 8, 7]),
    at: new Date(0),
    profile: { city: 'Zürich 🏔' },
    tags: [],
    score: 1e300,
  },
];

test('typed API: bigint, Buffer, Uint8Array, Date and nested objects round-trip like the sync API', async () => {
  const path = tmp.file();
  const db = await AsyncDatabase.open(path, { safeIntegers: true, readers: 1 });
  try {
    await db.registerCollection('things', FIELDS, 'id');
    for (const row of ROWS) expect(await db.insert('things', row)).toBe('inserted');
    const got = [await db.get('things', 1), await db.get('things', 2)];
    const all = await db.collection('things').orderBy('id').all();
    await db.close();
    const sync = Database.open(path, { safeIntegers: true });
    try {
      const want = [sync.get('things', 1), sync.get('things', 2)];
      expect(got).toEqual(want);
      expect(all).toEqual(want);
      expect(Buffer.isBuffer(got[1]?.blob)).toBe(true);
      expect(got[0]?.at).toBeInstanceOf(Date);
      expect(got[0]?.big).toBe(9007199254740993n);
      expect(got[1]?.big).toBe(-(2n ** 63n));
    } finally {
      sync.close();
    }
  } finally {
    await db.close();
  }
});

test('SQL API: parameters and rows round-trip like the sync cursor', async () => {
  const path = tmp.file();
  const conn = await connectAsync(path, { safeIntegers: true, readers: 1 });
  try {
    await conn.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, big INTEGER, b BLOB, r REAL, s TEXT)');
    await conn.executeMany('INSERT INTO t VALUES (?, ?, ?, ?, ?)', [
      [1, 2n ** 62n, Buffer.from('héllo'), 0.1, 'x'],
      [2, -1n, new Uint8Array([0]), null, '✓'],
    ]);
    await conn.commit();
    const cur = await conn.execute('SELECT id, big, b, r, s FROM t ORDER BY id');
    const rows = await cur.fetchAll();
    const sync = connect(path, { safeIntegers: true, readOnly: true });
    try {
      const want = sync.cursor().execute('SELECT id, big, b, r, s FROM t ORDER BY id');
      expect(rows).toEqual(want.fetchAll());
      expect(cur.description).toEqual(want.description);
      expect(Buffer.isBuffer((rows[0] as unknown[])[2])).toBe(true);
    } finally {
      sync.close();
    }
  } finally {
    await conn.close();
  }
});

test('errors cross as the same classes and codes as the sync API', async () => {
  const path = tmp.file();
  const conn = await connectAsync(path, { readers: 1 });
  const db = await AsyncDatabase.open(path);
  try {
    await conn.execute('CREATE TABLE u (id INTEGER PRIMARY KEY, email TEXT UNIQUE)');
    await conn.execute("INSERT INTO u VALUES (1, 'a@b.co')");
    await conn.commit();
    const dup = await conn.execute("INSERT INTO u VALUES (2, 'a@b.co')").catch((e: unknown) => e);
    expect(dup).toBeInstanceOf(IntegrityError);
    expect((dup as IntegrityError).code).toBe('UNIQUE');
    expect((dup as IntegrityError).sql).toBe("INSERT INTO u VALUES (2, 'a@b.co')");
    const bad = await conn.execute('SELEC 1').catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(ProgrammingError);
    const unknownCol = await conn.execute('SELECT nope FROM u').catch((e: unknown) => e);
    expect(unknownCol).toBeInstanceOf(QueryError);
    // The sync API's answer for the same statements is the oracle.
    const sync = connect(path, { readOnly: true });
    try {
      for (const [sql, err] of [
        ['SELEC 1', bad],
        ['SELECT nope FROM u', unknownCol],
      ] as const) {
        let want: unknown = null;
        try {
          sync.cursor().execute(sql);
        } catch (e) {
          want = e;
        }
        expect((err as Error).constructor.name).toBe((want as Error).constructor.name);
        expect((err as QueryError).code).toBe((want as QueryError).code);
        expect((err as Error).message).toBe((want as Error).message);
      }
    } finally {
      sync.close();
    }
    await db.registerCollection(
      'v',
      [
        { path: 'id', type: 'int64' },
        { path: 'n', type: 'int64', constraints: [{ min: 0 }] },
      ],
      'id',
    );
    const invalid = await db.insert('v', { id: 1, n: -1 }).catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(ValidationError);
    expect((invalid as ValidationError).path).toBe('n');
    // A value structured cloning cannot carry fails like binding it fails in the sync API, alone.
    const [fnParam, ok] = await Promise.all([
      conn.execute('SELECT ?', [() => 1]).catch((e: unknown) => e),
      conn.execute('SELECT ?', [7]),
    ]);
    expect(fnParam).toBeInstanceOf(DataError);
    expect((fnParam as DataError).code).toBe('TYPE_MISMATCH');
    expect(await ok.fetchOne()).toEqual([7]);
    // The failed statements left the connection usable.
    expect(await (await conn.execute('SELECT count(*) FROM u')).fetchOne()).toEqual([1]);
  } finally {
    await db.close();
    await conn.close();
  }
});
