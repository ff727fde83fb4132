/**
 * Concurrent reads (SPEC §12 "async database + concurrent reads"): reader workers attached as
 * live read-only readers serve reads while the writer is busy, read-your-writes holds, the pool
 * size defaults to min(4, cores), and `:memory:` runs in a single worker.
 */
import * as os from 'node:os';
import { AsyncDatabase, connectAsync, OperationalError } from '../../src/index';
import { defaultReaders } from '../../src/async/options';
import { tmpDir } from '../helpers/tmp';

const tmp = tmpDir('mv-async-readers-');
afterAll(() => tmp.cleanup());

const FIELDS = [
  { path: 'id', type: 'int64' as const },
  { path: 'v', type: 'string' as const },
];

test('the reader pool size defaults to min(4, cores)', () => {
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  expect(defaultReaders()).toBe(Math.min(4, cores));
});

test('reads run on reader workers while the writer is busy, spread over the pool', async () => {
  const db = await AsyncDatabase.open(tmp.file(), { readers: 2 });
  try {
    await db.registerCollection('kv', FIELDS, 'id');
    await db.insert('kv', { id: 1, v: 'one' });
    // Start both readers.
    await Promise.all([db.get('kv', 1), db.get('kv', 1)]);
    // Keep the writer thread busy: reads must be answered before it is free again.
    let writerFree = false;
    const busy = db._pool.writer.call('spin', 600).then(() => (writerFree = true));
    const reads = await Promise.all(Array.from({ length: 8 }, () => db.get('kv', 1)));
    expect(writerFree).toBe(false);
    await busy;
    expect(reads).toEqual(Array.from({ length: 8 }, () => ({ id: 1, v: 'one' })));
    const hosts = db._pool.hosts;
    expect(hosts).toHaveLength(3);
    expect(hosts.slice(1).every((h) => h.running)).toBe(true);
  } finally {
    await db.close();
  }
});

test('read-your-writes: a read issued after a resolved commit sees it', async () => {
  const path = tmp.file();
  const db = await AsyncDatabase.open(path, { readers: 2 });
  const conn = await connectAsync(path);
  try {
    await db.registerCollection('kv', FIELDS, 'id');
    for (let i = 0; i < 40; i++) {
      await db.insert('kv', { id: i, v: `v${i}` });
      expect(await db.get('kv', i)).toEqual({ id: i, v: `v${i}` });
      if (i % 4 === 0) {
        await conn.execute('UPDATE kv SET v = ? WHERE id = ?', [`u${i}`, i]);
        await conn.commit();
        expect(await db.get('kv', i)).toEqual({ id: i, v: `u${i}` });
        expect(await (await conn.execute('SELECT v FROM kv WHERE id = ?', [i])).fetchOne()).toEqual([
          `u${i}`,
        ]);
      }
    }
    expect(await db.collection('kv').count()).toBe(40);
  } finally {
    await conn.close();
    await db.close();
  }
});

test(':memory: runs in one worker; a read-only handle refuses writes and follows the writer', async () => {
  const mem = await AsyncDatabase.open(':memory:', { readers: 4 });
  try {
    await mem.registerCollection('kv', FIELDS, 'id');
    await Promise.all(Array.from({ length: 10 }, (_, i) => mem.insert('kv', { id: i, v: 'x' })));
    expect(await Promise.all(Array.from({ length: 10 }, (_, i) => mem.get('kv', i)))).toHaveLength(10);
    expect(mem._pool.hosts).toHaveLength(1);
  } finally {
    await mem.close();
  }
  const path = tmp.file();
  const writer = await AsyncDatabase.open(path);
  const reader = await AsyncDatabase.open(path, { readOnly: true });
  try {
    await writer.registerCollection('kv', FIELDS, 'id');
    await writer.insert('kv', { id: 1, v: 'w' });
    expect(await reader.get('kv', 1)).toEqual({ id: 1, v: 'w' });
    const err = await reader.insert('kv', { id: 2, v: 'r' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OperationalError);
    expect((err as OperationalError).code).toBe('READ_ONLY');
  } finally {
    await reader.close();
    await writer.close();
  }
});

test('readers follow DDL and re-attach after a compaction; an open result set keeps its snapshot', async () => {
  const path = tmp.file();
  const conn = await connectAsync(path, { readers: 1 });
  const db = await AsyncDatabase.open(path);
  try {
    await conn.execute('CREATE TABLE a (id INTEGER PRIMARY KEY)');
    await conn.execute('INSERT INTO a VALUES (1)');
    await conn.commit();
    expect(await (await conn.execute('SELECT id FROM a')).fetchAll()).toEqual([[1]]);
    await conn.execute("CREATE TABLE b (id INTEGER PRIMARY KEY, x TEXT DEFAULT 'd')");
    await conn.execute('INSERT INTO b (id) VALUES (1)');
    await conn.commit();
    expect(await (await conn.execute('SELECT id, x FROM b')).fetchAll()).toEqual([[1, 'd']]);
    const open = await conn.execute('SELECT id FROM a');
    await conn.executeMany(
      'INSERT INTO a VALUES (?)',
      Array.from({ length: 99 }, (_, i) => [i + 2]),
    );
    await conn.commit();
    await db.compact();
    await conn.execute('INSERT INTO a VALUES (500)');
    await conn.commit();
    expect(await (await conn.execute('SELECT count(*), max(id) FROM a')).fetchOne()).toEqual([101, 500]);
    expect(await open.fetchAll()).toEqual([[1]]);
    expect(await db.collectionNames()).toEqual(['a', 'b']);
  } finally {
    await db.close();
    await conn.close();
  }
});

test('TEMP tables of an async connection: its later reads go to its writer-side handle', async () => {
  const path = tmp.file();
  const conn = await connectAsync(path, { readers: 2, autocommit: true });
  const other = await connectAsync(path, { readers: 2, autocommit: true });
  try {
    await conn.execute('CREATE TABLE m (a INT)');
    await conn.execute('INSERT INTO m VALUES (1)');
    await conn.execute('CREATE TEMP TABLE t (a INT)');
    await conn.execute('INSERT INTO t SELECT a + 1 FROM m');
    // Several reads at once: each must find the temp table, none may land on a reader worker.
    const reads = await Promise.all(
      Array.from({ length: 6 }, async () => (await conn.execute('SELECT a FROM t')).fetchAll()),
    );
    expect(reads).toEqual(Array.from({ length: 6 }, () => [[2]]));
    expect(await (await conn.execute('SELECT a FROM m')).fetchAll()).toEqual([[1]]);
    // Another connection sees no temp table of this one.
    await expect(other.execute('SELECT a FROM t')).rejects.toThrow('no such table: t');
  } finally {
    await conn.close();
    await other.close();
  }
});
