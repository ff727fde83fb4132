/**
 * Worker death: calls in flight reject with OperationalError `WORKER_EXITED`, an open transaction
 * is lost (rolled back, never half committed), and the pool restarts the worker — including
 * freeing the writer lock the dead thread held — so the database keeps working.
 */
import { AsyncDatabase, connectAsync, OperationalError } from '../../src/index';
import { tmpDir } from '../helpers/tmp';

const tmp = tmpDir('mv-async-crash-');
afterAll(() => tmp.cleanup());

const FIELDS = [
  { path: 'id', type: 'int64' as const },
  { path: 'v', type: 'string' as const },
];

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function isWorkerExit(err: unknown): boolean {
  return err instanceof OperationalError && err.code === 'WORKER_EXITED';
}

test('a writer crash rejects calls in flight, loses the open transaction, and the pool recovers', async () => {
  const path = tmp.file();
  const db = await AsyncDatabase.open(path, { readers: 1 });
  try {
    await db.registerCollection('kv', FIELDS, 'id');
    await db.insert('kv', { id: 1, v: 'committed' });
    // An uncaught error in the worker (the test hook throws one) ends the thread and orphans its
    // writer lock; the pool frees it and the next call starts a new thread.
    const before = db._pool.writer.generation;
    await db._pool.writer.call('crash');
    while (db._pool.writer.generation === before) await sleep(5);
    await db.insert('kv', { id: 5, v: 'after crash' });
    // A call in flight when the thread dies rejects.
    const spinning = db._pool.writer.call('spin', 5000).catch((e: unknown) => e);
    await sleep(20);
    await db._pool.writer.kill();
    expect(isWorkerExit(await spinning)).toBe(true);
    // A transaction open when it dies is lost: the rest of it is refused, nothing of it is kept.
    const txn = await db
      .transaction(async (tx) => {
        await tx.insert('kv', { id: 2, v: 'lost' });
        await db._pool.writer.kill();
        await tx.insert('kv', { id: 3, v: 'after death' });
      })
      .catch((e: unknown) => e);
    expect(isWorkerExit(txn)).toBe(true);
    // The restarted writer reopened the file (the dead thread's lock was freed) and works.
    await db.insert('kv', { id: 4, v: 'after restart' });
    const rows = await db.collection('kv').orderBy('id').all();
    expect(rows).toEqual([
      { id: 1, v: 'committed' },
      { id: 4, v: 'after restart' },
      { id: 5, v: 'after crash' },
    ]);
  } finally {
    await db.close();
  }
});

test('a connection transaction lost with its worker refuses to commit; cursors of a dead reader reject', async () => {
  const path = tmp.file();
  const conn = await connectAsync(path, { readers: 1 });
  try {
    await conn.execute('CREATE TABLE t (id INTEGER PRIMARY KEY)');
    await conn.executeMany(
      'INSERT INTO t VALUES (?)',
      Array.from({ length: 500 }, (_, i) => [i]),
    );
    await conn.commit();
    await conn.execute('INSERT INTO t VALUES (1000)');
    expect(conn.inTransaction).toBe(true);
    await conn._pool.writer.kill();
    const err = await conn.commit().catch((e: unknown) => e);
    expect(isWorkerExit(err)).toBe(true);
    expect(conn.inTransaction).toBe(false);
    // A reader ready for this connection (until then the writer answers its reads).
    await (await conn.execute('SELECT 1')).fetchAll();
    await conn._pool.readersSettled();
    const cur = await conn.execute('SELECT id FROM t ORDER BY id');
    expect(await cur.fetchMany(3)).toEqual([[0], [1], [2]]);
    await conn._pool.hosts[1].kill();
    expect(isWorkerExit(await cur.fetchAll().catch((e: unknown) => e))).toBe(true);
    // Both workers come back on demand; the lost INSERT is not there.
    expect(await (await conn.execute('SELECT count(*), max(id) FROM t')).fetchOne()).toEqual([500, 499]);
    await conn.execute('INSERT INTO t VALUES (2000)');
    await conn.commit();
    expect(await (await conn.execute('SELECT max(id) FROM t')).fetchOne()).toEqual([2000]);
  } finally {
    await conn.close();
  }
});
