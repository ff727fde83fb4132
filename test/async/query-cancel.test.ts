/**
 * Cancellation of the typed query builder (issue 14 §5): `timeoutMs` on the sync Query, the typed
 * ModelQuery and the async AsyncQuery; Database.interrupt() and AsyncDatabase.interrupt(); an
 * AbortSignal on async queries. A long scan or sort over a large collection stops with
 * OperationalError INTERRUPTED and the handle stays usable. The sync cases live here beside the
 * async ones because both run the same planner check (planner/interrupt.ts).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AsyncDatabase, Database, InterfaceError, OperationalError, model, t } from '../../src/index';
import type { AsyncQuery } from '../../src/index';

const N = 200_000;

const items = model('items', { id: t.int64(), v: t.int64(), s: t.string() }, { primaryKey: 'id' });

function fill(db: Database): void {
  db.register(items);
  db.transaction(() => {
    for (let i = 0; i < N; i++) db.insert('items', { id: i, v: (i * 7919) % 10007, s: `s${i}` });
  });
}

function isInterrupted(err: unknown): boolean {
  return err instanceof OperationalError && err.code === 'INTERRUPTED';
}

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return null;
}

describe('sync Query and ModelQuery', () => {
  const db = Database.openInMemory();
  beforeAll(() => fill(db));
  afterAll(() => db.close());

  test('timeoutMs stops a long sort, scan, count and aggregate with INTERRUPTED', () => {
    const q = db.collection('items');
    for (const run of [
      () => q.orderBy('s', 'desc').all({ timeoutMs: 1 }),
      () => q.where('s', 'like', '%9%9%9%').all({ timeoutMs: 1 }),
      () => q.where('s', 'like', '%9%9%9%').count({ timeoutMs: 1 }),
      () => q.groupBy('v').aggregate({ n: { fn: 'count' } }, { timeoutMs: 1 }),
      () => q.orderBy('s').first({ timeoutMs: 1 }),
    ]) {
      const err = caught(run);
      expect(isInterrupted(err)).toBe(true);
      expect((err as Error).message).toMatch(/timeoutMs/);
    }
    // The handle goes on; a generous limit does not get in the way.
    expect(q.count({ timeoutMs: 60_000 })).toBe(N);
    expect(q.orderBy('s', 'desc').first({ timeoutMs: 60_000 })).toEqual({
      id: 99999,
      v: (99999 * 7919) % 10007,
      s: 's99999',
    });
    db.insert('items', { id: N, v: 0, s: 'late' });
    expect(db.get('items', N)).toEqual({ id: N, v: 0, s: 'late' });
    db.delete('items', N);
  });

  test('the typed ModelQuery and ModelCollection take the same options', () => {
    const coll = db.register(items);
    expect(isInterrupted(caught(() => coll.orderBy('s').all({ timeoutMs: 1 })))).toBe(true);
    // A count that must read every row (a whole-table count(*) reads none).
    expect(isInterrupted(caught(() => coll.where('v', '>', -1).count({ timeoutMs: 1 })))).toBe(true);
    expect(
      isInterrupted(caught(() => [...coll.where('v', '>', -1).orderBy('s').iterate({ timeoutMs: 1 })])),
    ).toBe(true);
    expect(coll.where('id', 5).first({ timeoutMs: 60_000 })?.s).toBe('s5');
    expect(coll.where('v', '<', 3).count({ timeoutMs: 60_000 })).toBe(
      db.collection('items').where('v', '<', 3).count(),
    );
  });

  test('iterate(): the limit applies to each pull, not to time spent between rows', () => {
    const it = db.collection('items').where('id', '<', 50).iterate({ timeoutMs: 50 });
    let n = 0;
    for (const _row of it) {
      if (n++ === 0) {
        const until = Date.now() + 120;
        while (Date.now() < until);
      }
    }
    expect(n).toBe(50);
  });

  test('db.interrupt() stops running iterations at their next pull; later queries run', () => {
    const running = db.collection('items').orderBy('v').iterate();
    const other = db.collection('items').iterate();
    expect(running.next().done).toBe(false);
    expect(other.next().done).toBe(false);
    db.interrupt();
    expect(isInterrupted(caught(() => running.next()))).toBe(true);
    expect(isInterrupted(caught(() => other.next()))).toBe(true);
    // Started after the call: not affected.
    const later = db.collection('items').where('id', '<', 3).iterate();
    expect([...later].map((r) => r.id)).toEqual([0, 1, 2]);
    expect(db.collection('items').count()).toBe(N);
    // A write after the interrupt works as usual.
    expect(db.insert('items', { id: N + 1, v: 1, s: 'x' })).toBe('inserted');
    expect(db.delete('items', N + 1)).toBe(true);
  });

  test('bad options are InterfaceError BAD_OPTION', () => {
    const q = db.collection('items');
    for (const bad of [{ timeoutMs: -1 }, { timeoutMs: Number.NaN }, { timeoutMs: '5' }]) {
      const err = caught(() => q.all(bad as never));
      expect(err).toBeInstanceOf(InterfaceError);
      expect((err as InterfaceError).code).toBe('BAD_OPTION');
    }
    expect(caught(() => q.count(5 as never))).toBeInstanceOf(InterfaceError);
  });
});

describe('AsyncQuery', () => {
  let sync: Database;
  let dir: string;
  let mem: AsyncDatabase;
  let file: AsyncDatabase;

  beforeAll(async () => {
    sync = Database.openInMemory();
    fill(sync);
    mem = await AsyncDatabase.openSnapshotBytes(sync.snapshotBytes());
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mv-qcancel-'));
    const p = path.join(dir, 'items.mvdb');
    sync.compactTo(p);
    file = await AsyncDatabase.open(p, { readers: 1 });
  });

  afterAll(async () => {
    await mem?.close();
    await file?.close();
    sync?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Call `stop` as soon as some worker of `db` has a request in flight (no timers). */
  async function whenRunning(db: AsyncDatabase, stop: () => void): Promise<void> {
    while (!db._pool.hosts.some((h) => h.load > 0)) await new Promise((r) => setImmediate(r));
    stop();
  }

  const sorted = (db: AsyncDatabase): AsyncQuery => db.collection('items').orderBy('s', 'desc');

  test.each([
    ['memory (one worker)', () => mem],
    ['file (reader pool)', () => file],
  ])(
    '%s: timeoutMs, AbortSignal and db.interrupt() stop a long sort; the handle goes on',
    async (_n, get) => {
      const db = get();
      const timedOut = await sorted(db)
        .all({ timeoutMs: 1 })
        .catch((e: unknown) => e);
      expect(isInterrupted(timedOut)).toBe(true);
      expect((timedOut as Error).message).toMatch(/timeoutMs/);
      expect(
        isInterrupted(
          await db
            .collection('items')
            .where('v', '>', -1)
            .count({ timeoutMs: 1 })
            .catch((e: unknown) => e),
        ),
      ).toBe(true);

      const ac = new AbortController();
      const aborted = sorted(db)
        .first({ signal: ac.signal })
        .catch((e: unknown) => e);
      await whenRunning(db, () => ac.abort());
      expect(isInterrupted(await aborted)).toBe(true);
      // An aborted signal refuses before anything is sent.
      await expect(db.collection('items').count({ signal: ac.signal })).rejects.toMatchObject({
        code: 'INTERRUPTED',
      });

      const interrupted = db
        .collection('items')
        .groupBy('v')
        .orderBy('n', 'desc')
        .aggregate({ n: { fn: 'count' } })
        .catch((e: unknown) => e);
      await whenRunning(db, () => db.interrupt());
      expect(isInterrupted(await interrupted)).toBe(true);

      // Still usable, and the limits do not leak into later queries.
      expect(await db.collection('items').count()).toBe(N);
      expect(await sorted(db).first({ timeoutMs: 60_000 })).toEqual({
        id: 99999,
        v: (99999 * 7919) % 10007,
        s: 's99999',
      });
    },
  );

  test('iteration: a signal or db.interrupt() between batches ends it; the worker-side result is dropped', async () => {
    for (const stop of ['signal', 'interrupt'] as const) {
      const ac = new AbortController();
      const rows: unknown[] = [];
      const err = await (async () => {
        for await (const row of file.collection('items').iterate({ batchSize: 100, signal: ac.signal })) {
          rows.push(row);
          if (rows.length === 150) {
            if (stop === 'signal') ac.abort();
            else file.interrupt();
          }
        }
      })().catch((e: unknown) => e);
      expect(isInterrupted(err)).toBe(true);
      // The first batch of 100 and the buffered rest of the second arrive; no third batch.
      expect(rows).toHaveLength(200);
    }
    expect(await file.collection('items').where('id', '<', 3).count()).toBe(3);
  });

  test('iteration with timeoutMs: each batch is limited, a long sort before the first fails', async () => {
    const err = await (async () => {
      for await (const _row of sorted(mem).iterate({ timeoutMs: 1 })) break;
    })().catch((e: unknown) => e);
    expect(isInterrupted(err)).toBe(true);
    let n = 0;
    for await (const _row of mem
      .collection('items')
      .where('id', '<', 600)
      .iterate({ timeoutMs: 60_000, batchSize: 256 }))
      n++;
    expect(n).toBe(600);
  });

  test('queries inside a transaction are interruptible too', async () => {
    const err = await mem
      .transaction(async (tx) => {
        await tx.insert('items', { id: N, v: 1, s: 'tx' });
        await tx.collection('items').orderBy('s').all({ timeoutMs: 1 });
      })
      .catch((e: unknown) => e);
    expect(isInterrupted(err)).toBe(true);
    expect(await mem.get('items', N)).toBeNull();
  });

  test('typed async collections pass the options; bad ones are BAD_OPTION', async () => {
    const coll = await mem.register(items);
    expect(isInterrupted(await coll.all({ timeoutMs: 1 }).catch((e: unknown) => e))).toBe(true);
    let n = 0;
    for await (const _row of coll.iterate({ batchSize: 1000 })) n++;
    expect(n).toBe(N);
    await expect(mem.collection('items').all({ timeoutMs: -5 })).rejects.toMatchObject({
      code: 'BAD_OPTION',
    });
    await expect(
      (async () => {
        for await (const _r of mem.collection('items').iterate({ batchSize: 0 }));
      })(),
    ).rejects.toMatchObject({ code: 'BAD_OPTION' });
  });
});
