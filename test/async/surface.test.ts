/**
 * SPEC §3 async surface: AsyncDatabase mirrors every public Database method (instance and
 * static) with promises, docs/async.md names each, and option checking matches the sync API's.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AsyncDatabase, connectAsync, Database, InterfaceError } from '../../src/index';

/** Engine internals and sync-only accessors that have no async counterpart on purpose. */
const NOT_MIRRORED = new Set([
  'constructor',
  'storage',
  'readView',
  '_viewAsRefreshed',
  'visibleCollection',
  'visibleCollectionNames',
  'visibleSqlViews',
]);
const doc = fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'async.md'), 'utf8');
// `private` is invisible at runtime: read it from the source, as test/docs/api-reference does.
const source = fs.readFileSync(path.join(__dirname, '..', '..', 'src', 'database.ts'), 'utf8');
for (const m of source.matchAll(/^ {2}private (?:static )?(?:get )?(\w+)/gm)) NOT_MIRRORED.add(m[1]);

test.each(Object.getOwnPropertyNames(Database.prototype).filter((n) => !NOT_MIRRORED.has(n)))(
  'AsyncDatabase has %s, and docs/async.md names it',
  (name) => {
    expect(Object.getOwnPropertyNames(AsyncDatabase.prototype)).toContain(name);
    if (!['inTransaction', 'isOpen'].includes(name)) expect(doc).toContain(name);
  },
);

test.each(['open', 'openInMemory', 'openSnapshotBytes', 'restoreSnapshot'])(
  'static AsyncDatabase.%s',
  (name) => {
    expect(typeof (Database as unknown as Record<string, unknown>)[name]).toBe('function');
    expect(typeof (AsyncDatabase as unknown as Record<string, unknown>)[name]).toBe('function');
  },
);

test('bad paths and misspelled options are InterfaceError BAD_OPTION, as in the sync API', async () => {
  await expect(AsyncDatabase.open('')).rejects.toMatchObject({ code: 'BAD_OPTION' });
  const err = await AsyncDatabase.open(':memory:', { safeInteger: true } as never).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(InterfaceError);
  expect((err as Error).message).toMatch(/did you mean 'safeIntegers'/);
  await expect(connectAsync(':memory:', { readers: -1 })).rejects.toMatchObject({ code: 'BAD_OPTION' });
  await expect(AsyncDatabase.openSnapshotBytes('nope' as never)).rejects.toBeInstanceOf(InterfaceError);
});

test('snapshot bytes round-trip through a single-worker database; closed handles refuse work', async () => {
  const db = await AsyncDatabase.openInMemory();
  await db.registerCollection('t', [{ path: 'id', type: 'int64' }], 'id');
  await db.insert('t', { id: 42 });
  const bytes = await db.snapshotBytes();
  expect(Buffer.isBuffer(bytes)).toBe(true);
  await db.close();
  await expect(db.get('t', 42)).rejects.toMatchObject({ code: 'CLOSED' });
  const copy = await AsyncDatabase.openSnapshotBytes(bytes);
  try {
    expect(await copy.get('t', 42)).toEqual({ id: 42 });
    expect(await copy.collection('t').explain()).toMatch(/t/);
  } finally {
    await copy.close();
  }
});
