/**
 * Group commit of AsyncDatabase's autocommit inserts and deletes (src/async/database.ts
 * groupWrite, worker.ts dbGroup): writes of one handle queued right behind the one that holds the
 * write queue go with it as one group, one transaction with a savepoint per write and one commit.
 * Counts the requests the writer thread received (never timings) and checks what each promise
 * says and what the file holds afterwards.
 */
import { AsyncDatabase, Database } from '../../src/index';
import type { WorkerHost } from '../../src/async/host';
import { WriteQueue } from '../../src/async/write-queue';
import { tmpDir } from '../helpers/tmp';

const tmp = tmpDir('mv-async-group-');
afterAll(() => tmp.cleanup());

const FIELDS = [
  { path: 'id', type: 'int64' as const },
  { path: 'v', type: 'string' as const },
];
const INDEXES = [{ name: 't_v', path: 'v', kind: 'unique' as const }];

/** The ops the writer thread is sent (`db.<method>` for single calls), counted. */
function countOps(host: WorkerHost): Map<string, number> {
  const counts = new Map<string, number>();
  const original = host.request.bind(host);
  host.request = ((op: string, args: unknown[], ...rest: unknown[]) => {
    const key = op === 'db' ? `db.${String(args[1])}` : op;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    return (original as (...a: unknown[]) => ReturnType<WorkerHost['request']>)(op, args, ...rest);
  }) as WorkerHost['request'];
  return counts;
}

async function opened(): Promise<{ db: AsyncDatabase; path: string; ops: Map<string, number> }> {
  const path = tmp.file();
  const db = await AsyncDatabase.open(path, { readers: 0 });
  await db.registerCollection('t', FIELDS, 'id', INDEXES);
  return { db, path, ops: countOps(db._pool.hosts[0]) };
}

test('concurrent inserts share commits; every row is durable once its promise resolved', async () => {
  const { db, path, ops } = await opened();
  try {
    const results = await Promise.all(
      Array.from({ length: 64 }, (_, i) => db.insert('t', { id: i, v: `v${i}` })),
    );
    expect(results).toEqual(Array.from({ length: 64 }, () => 'inserted'));
    // The first write took the queue alone, before the others were queued behind it... or with them.
    const groups = ops.get('dbGroup') ?? 0;
    const singles = ops.get('db.insert') ?? 0;
    expect(groups).toBeGreaterThanOrEqual(1);
    expect(groups + singles).toBeLessThanOrEqual(2);
  } finally {
    await db.close();
  }
  const sync = Database.open(path, { readOnly: true });
  try {
    for (let i = 0; i < 64; i++) expect(sync.get('t', i)).toEqual({ id: i, v: `v${i}` });
  } finally {
    sync.close();
  }
});

test('a write that fails in a group fails alone; the others land', async () => {
  const { db } = await opened();
  try {
    const settled = await Promise.allSettled([
      db.insert('t', { id: 1, v: 'a' }),
      db.insert('t', { id: 2, v: 'a' }), // the unique index refuses it
      db.insert('t', { id: 3, v: 'c' }),
      db.insert('t', { id: 1, v: 'z' }, { onConflict: 'abort' }), // the key exists by then
      db.delete('t', 3),
    ]);
    expect(settled.map((s) => s.status)).toEqual([
      'fulfilled',
      'rejected',
      'fulfilled',
      'rejected',
      'fulfilled',
    ]);
    expect((settled[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'UNIQUE' });
    expect((settled[4] as PromiseFulfilledResult<boolean>).value).toBe(true);
    expect(await db.get('t', 1)).toEqual({ id: 1, v: 'a' });
    expect(await db.get('t', 2)).toBeNull();
    expect(await db.get('t', 3)).toBeNull();
    // The failed write left nothing behind: its unique value is free.
    await db.insert('t', { id: 4, v: 'z' });
    expect(await db.get('t', 4)).toEqual({ id: 4, v: 'z' });
  } finally {
    await db.close();
  }
});

test('writes run in call order, inside a group and across groups', async () => {
  const { db, ops } = await opened();
  try {
    const order = await Promise.all([
      db.insert('t', { id: 7, v: 'first' }),
      db.delete('t', 7),
      db.insert('t', { id: 7, v: 'second' }),
      db.insert('t', { id: 7, v: 'third' }),
    ]);
    expect(order).toEqual(['inserted', true, 'inserted', 'replaced']);
    expect(await db.get('t', 7)).toEqual({ id: 7, v: 'third' });
    expect(ops.get('dbGroup')).toBeGreaterThanOrEqual(1);
  } finally {
    await db.close();
  }
});

test('a lone write is sent as before; a transaction queued between writes is never overtaken', async () => {
  const { db, ops } = await opened();
  try {
    await db.insert('t', { id: 1, v: 'a' });
    await db.insert('t', { id: 2, v: 'b' });
    expect(ops.get('db.insert')).toBe(2);
    expect(ops.get('dbGroup')).toBeUndefined();
    // Writes called before transaction() run before it; those called after wait for its end.
    const seen: (unknown | null)[] = [];
    const before = db.insert('t', { id: 10, v: 'before' });
    const tx = db.transaction(async (t) => {
      seen.push(await t.get('t', 10), await t.get('t', 11));
      await t.insert('t', { id: 12, v: 'in tx' });
    });
    const after = db.insert('t', { id: 11, v: 'after' });
    await Promise.all([before, tx, after]);
    expect(seen).toEqual([{ id: 10, v: 'before' }, null]);
    expect(await db.get('t', 11)).toEqual({ id: 11, v: 'after' });
    expect(await db.get('t', 12)).toEqual({ id: 12, v: 'in tx' });
  } finally {
    await db.close();
  }
});

describe('WriteQueue joins', () => {
  test('the holder takes only the waiters right behind it with its key, in order', async () => {
    const q = new WriteQueue();
    const holder = await q.acquireJoinable(1000, 'a', 'x0');
    expect(holder).not.toBeNull();
    const a1 = q.acquireJoinable(1000, 'a', 'x1');
    const a2 = q.acquireJoinable(1000, 'a', 'x2');
    const other = q.acquire(1000);
    const a3 = q.acquireJoinable(1000, 'a', 'x3');
    expect(q.takeJoined<string>('a', 10)).toEqual(['x1', 'x2']);
    expect(await a1).toBeNull();
    expect(await a2).toBeNull();
    (holder as () => void)();
    // The plain waiter is next (x3 was behind it, so not taken), then x3 gets the queue itself.
    const otherRelease = await other;
    otherRelease();
    const third = await a3;
    expect(third).not.toBeNull();
    (third as () => void)();
    expect(q.busy).toBe(false);
  });

  test('at most `max` are taken; a taken waiter does not time out later', async () => {
    const q = new WriteQueue();
    const holder = (await q.acquire(1000)) as () => void;
    const waiting = Array.from({ length: 5 }, (_, i) => q.acquireJoinable(20, 'k', i));
    const settled = Promise.allSettled(waiting);
    expect(q.takeJoined<number>('k', 3)).toEqual([0, 1, 2]);
    await new Promise((r) => setTimeout(r, 40));
    const outcomes = await settled;
    expect(outcomes.slice(0, 3).map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
    expect(outcomes.slice(3).map((o) => (o as PromiseRejectedResult).reason?.code)).toEqual(['BUSY', 'BUSY']);
    holder();
    expect(q.busy).toBe(false);
  });
});

test('a group in flight when the writer dies fails whole: every write of it rejects, none is in the file', async () => {
  const { db } = await opened();
  try {
    await db.insert('t', { id: 0, v: 'before' });
    // The writer is kept busy, so the group queued behind the busy call is still waiting in it.
    const busy = db._pool.writer.call('spin', 5000).catch((e: unknown) => e);
    const writes = Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => db.insert('t', { id: i + 1, v: `w${i}` })),
    );
    await new Promise((r) => setTimeout(r, 50));
    await db._pool.writer.kill();
    await busy;
    const outcomes = await writes;
    if (process.env.GC_DEBUG)
      console.log(
        JSON.stringify(
          outcomes.map((o) =>
            o.status === 'fulfilled' ? o.value : String((o as PromiseRejectedResult).reason),
          ),
        ),
        JSON.stringify(db._pool.writer.stats),
      );
    for (const o of outcomes) {
      expect(o.status).toBe('rejected');
      expect((o as PromiseRejectedResult).reason).toMatchObject({ code: 'WORKER_EXITED' });
    }
    // The restarted writer has the committed row, and no write of the group.
    expect(await db.collection('t').orderBy('id').all()).toEqual([{ id: 0, v: 'before' }]);
    await db.insert('t', { id: 1, v: 'again' });
    expect(await db.get('t', 1)).toEqual({ id: 1, v: 'again' });
  } finally {
    await db.close();
  }
});

test('requests issued back to back run in issue order, whichever way each travels', async () => {
  // The first of two requests in flight takes the shared-memory channel, the second a message;
  // a worker asleep when both arrive must still run the first one first.
  const { db } = await opened();
  try {
    for (let i = 0; i < 40; i++) {
      // Long enough for the writer to stop polling and go to sleep.
      await new Promise((r) => setTimeout(r, 3));
      const row = await db.transaction(async (tx) => {
        const [, got] = await Promise.all([
          tx.insert('t', { id: 100 + i, v: `o${i}` }),
          tx.get('t', 100 + i),
        ]);
        return got;
      });
      expect(row).toEqual({ id: 100 + i, v: `o${i}` });
    }
  } finally {
    await db.close();
  }
});
