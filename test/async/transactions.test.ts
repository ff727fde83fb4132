/**
 * Transactions across awaits (issue 14 §3/§4): a transaction holds the write queue however many
 * awaits it spans; other writers wait in FIFO order (busyTimeoutMs, then BUSY) and never
 * interleave; commit on resolve, rollback on reject; nested = savepoints; a statement issued
 * outside the transaction waits for it and never joins it.
 */
import {
  AsyncDatabase,
  connectAsync,
  Database,
  LockError,
  OperationalError,
  TransactionError,
} from '../../src/index';
import type { FieldDescriptor } from '../../src/index';
import { tmpDir } from '../helpers/tmp';

const tmp = tmpDir('mv-async-txn-');
afterAll(() => tmp.cleanup());

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const ITEMS: FieldDescriptor[] = [
  { path: 'id', type: 'int64' },
  { path: 'who', type: 'string' },
];

async function openItems(path: string, opts = {}): Promise<AsyncDatabase> {
  const db = await AsyncDatabase.open(path, opts);
  if (!(await db.collectionNames()).includes('items')) await db.registerCollection('items', ITEMS, 'id');
  return db;
}

test('drizzle #2275: BEGIN / await / INSERT / COMMIT stays one transaction; another writer waits', async () => {
  const path = tmp.file();
  const a = await connectAsync(path, { readers: 1 });
  const b = await connectAsync(path, { autocommit: true, readers: 1 });
  try {
    await a.execute('CREATE TABLE log (id INTEGER PRIMARY KEY, who TEXT)');
    await a.commit();
    const events: string[] = [];
    await a.execute('BEGIN');
    const other = b.execute("INSERT INTO log (who) VALUES ('b')").then(() => events.push('b inserted'));
    await sleep(50);
    await a.execute("INSERT INTO log (who) VALUES ('a')");
    // Inside the transaction, its own write is visible; outside (b's reader) it is not.
    expect(await (await a.execute('SELECT who FROM log')).fetchAll()).toEqual([['a']]);
    expect(await (await b.execute('SELECT count(*) FROM log')).fetchOne()).toEqual([0]);
    await a.commit();
    events.push('a committed');
    await other;
    expect(events).toEqual(['a committed', 'b inserted']);
    expect(await (await b.execute('SELECT id, who FROM log ORDER BY id')).fetchAll()).toEqual([
      [1, 'a'],
      [2, 'b'],
    ]);
    // Same pattern, rolled back: nothing of a's is left, b's write still lands.
    await a.execute('BEGIN');
    await a.execute("INSERT INTO log (who) VALUES ('a2')");
    const late = b.execute("INSERT INTO log (who) VALUES ('b2')");
    await sleep(20);
    await a.rollback();
    await late;
    expect(await (await b.execute('SELECT who FROM log ORDER BY id')).fetchAll()).toEqual([
      ['a'],
      ['b'],
      ['b2'],
    ]);
    expect(a.inTransaction).toBe(false);
  } finally {
    await a.close();
    await b.close();
  }
});

test('concurrent transaction(fn) calls run one at a time, FIFO, and a rejected one leaves nothing', async () => {
  const db = await openItems(tmp.file(), { readers: 1 });
  try {
    const order: number[] = [];
    const runs = [0, 1, 2, 3, 4].map((t) =>
      db.transaction(async (tx) => {
        for (let i = 0; i < 3; i++) {
          await tx.insert('items', { id: t * 10 + i, who: `t${t}` });
          order.push(t);
          await sleep(2);
        }
        if (t === 2) throw new Error('t2 fails');
        return t;
      }),
    );
    const settled = await Promise.allSettled(runs);
    expect(settled.map((s) => s.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
      'fulfilled',
    ]);
    expect(order).toEqual([0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4]);
    const ids = (await db.collection('items').orderBy('id').all()).map((r) => r.id);
    expect(ids).toEqual([0, 1, 2, 10, 11, 12, 30, 31, 32, 40, 41, 42]);
  } finally {
    await db.close();
  }
});

test('nested transactions are savepoints; the tx handle is dead after fn settles', async () => {
  const db = await openItems(':memory:');
  try {
    let saved: Parameters<Parameters<AsyncDatabase['transaction']>[0]>[0] | null = null;
    await db.transaction(async (tx) => {
      saved = tx;
      await tx.insert('items', { id: 1, who: 'outer' });
      await expect(
        tx.transaction(async (inner) => {
          await inner.insert('items', { id: 2, who: 'inner' });
          expect(await inner.get('items', 2)).toEqual({ id: 2, who: 'inner' });
          throw new Error('inner fails');
        }),
      ).rejects.toThrow('inner fails');
      await tx.transaction(async (inner) => inner.insert('items', { id: 3, who: 'inner ok' }));
      expect(await tx.collection('items').count()).toBe(2);
    });
    expect((await db.collection('items').orderBy('id').all()).map((r) => r.id)).toEqual([1, 3]);
    await expect(saved!.insert('items', { id: 9, who: 'late' })).rejects.toBeInstanceOf(TransactionError);
  } finally {
    await db.close();
  }
});

test('a writer waiting longer than busyTimeoutMs fails with OperationalError BUSY', async () => {
  const path = tmp.file();
  const db = await openItems(path, { busyTimeoutMs: 80, readers: 1 });
  try {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const tx = db.transaction(async (t) => {
      await t.insert('items', { id: 1, who: 'holder' });
      await held;
    });
    const started = Date.now();
    const err = await db.insert('items', { id: 2, who: 'waiter' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OperationalError);
    expect((err as OperationalError).code).toBe('BUSY');
    expect(Date.now() - started).toBeGreaterThanOrEqual(70);
    release();
    await tx;
    expect(await db.get('items', 1)).toEqual({ id: 1, who: 'holder' });
    expect(await db.get('items', 2)).toBeNull();
  } finally {
    await db.close();
  }
});

test('statements outside the transaction wait for it and never join it; reads see committed state', async () => {
  const path = tmp.file();
  const db = await openItems(path, { readers: 1 });
  try {
    const events: string[] = [];
    let outside: Promise<unknown> = Promise.resolve();
    await expect(
      db.transaction(async (tx) => {
        await tx.insert('items', { id: 1, who: 'tx' });
        outside = db.insert('items', { id: 2, who: 'outside' }).then(() => events.push('outside done'));
        // A read outside the transaction (a reader worker) sees the committed state only.
        expect(await db.get('items', 1)).toBeNull();
        await sleep(30);
        events.push('tx ending');
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    await outside;
    expect(events).toEqual(['tx ending', 'outside done']);
    // Rolled back with the transaction: the outside write did not join it.
    expect(await db.get('items', 1)).toBeNull();
    expect(await db.get('items', 2)).toEqual({ id: 2, who: 'outside' });
  } finally {
    await db.close();
  }
});

test('in memory, reads outside an open transaction wait for it and never see its writes', async () => {
  const db = await openItems(':memory:');
  try {
    let read: Promise<unknown> = Promise.resolve();
    await db.transaction(async (tx) => {
      await tx.insert('items', { id: 1, who: 'tx' });
      read = db.get('items', 1);
      await sleep(10);
      await tx.insert('items', { id: 2, who: 'tx' });
    });
    expect(await read).toEqual({ id: 1, who: 'tx' });
    expect(await db.collection('items').count()).toBe(2);
  } finally {
    await db.close();
  }
});

test('begin()/commit() on AsyncDatabase spans awaits; the sync Database still refuses async callbacks', async () => {
  const path = tmp.file();
  const db = await openItems(path, { readers: 1 });
  const other = await AsyncDatabase.open(path);
  try {
    await db.begin();
    await db.insert('items', { id: 1, who: 'begin' });
    const waiting = other.insert('items', { id: 2, who: 'other' });
    await sleep(20);
    expect(await db.get('items', 1)).toEqual({ id: 1, who: 'begin' });
    expect(await other.get('items', 1)).toBeNull();
    await db.commit();
    await waiting;
    expect(await other.collection('items').count()).toBe(2);
    const sync = Database.openInMemory();
    expect(() => sync.transaction((async () => undefined) as () => unknown)).toThrow(TransactionError);
    sync.close();
  } finally {
    await other.close();
    await db.close();
  }
});

test('conn.transaction(fn): commit on resolve, rollback on reject, nested calls are savepoints', async () => {
  const path = tmp.file();
  const conn = await connectAsync(path, { readers: 1 });
  const other = await connectAsync(path, { autocommit: true });
  try {
    await conn.execute('CREATE TABLE k (id INTEGER PRIMARY KEY)');
    await conn.commit();
    const result = await conn.transaction(async (c) => {
      await c.execute('INSERT INTO k VALUES (1)');
      await expect(
        c.transaction(async (inner) => {
          await inner.execute('INSERT INTO k VALUES (2)');
          throw new Error('inner fails');
        }),
      ).rejects.toThrow('inner fails');
      await c.transaction(async (inner) => inner.execute('INSERT INTO k VALUES (3)'));
      // Another connection's write waits for this transaction.
      const waits = other.execute('INSERT INTO k VALUES (4)');
      await sleep(10);
      expect(await (await c.execute('SELECT id FROM k ORDER BY id')).fetchAll()).toEqual([[1], [3]]);
      // Wrapped: a returned promise would be awaited before the commit (and wait for this one).
      return { waits };
    });
    await result.waits;
    await expect(
      conn.transaction(async (c) => {
        await c.execute('INSERT INTO k VALUES (5)');
        throw new Error('outer fails');
      }),
    ).rejects.toThrow('outer fails');
    expect(conn.inTransaction).toBe(false);
    expect(await (await other.execute('SELECT id FROM k ORDER BY id')).fetchAll()).toEqual([[1], [3], [4]]);
  } finally {
    await other.close();
    await conn.close();
  }
});

test('the writer lock held elsewhere: the async open waits busyTimeoutMs, then LockError LOCKED', async () => {
  const path = tmp.file();
  const holder = Database.open(path);
  try {
    const started = Date.now();
    const err = await AsyncDatabase.open(path, { busyTimeoutMs: 150 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockError);
    expect((err as LockError).code).toBe('LOCKED');
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  } finally {
    holder.close();
  }
  // Once the holder is gone the same open succeeds.
  const db = await AsyncDatabase.open(path, { busyTimeoutMs: 150 });
  await db.close();
});

test('OR FAIL without autocommit keeps its rows in a transaction the connection holds; OR ROLLBACK ends one', async () => {
  const path = tmp.file();
  const a = await connectAsync(path, { readers: 1 });
  const b = await connectAsync(path, { autocommit: true, readers: 1, busyTimeoutMs: 50 });
  try {
    await a.execute('CREATE TABLE u (id INTEGER PRIMARY KEY, k INTEGER UNIQUE)');
    await a.execute('INSERT INTO u VALUES (1, 1)');
    await a.commit();
    // The first write of a new transaction fails under OR FAIL after keeping one row.
    await expect(a.execute('INSERT OR FAIL INTO u VALUES (2, 2), (3, 1)')).rejects.toThrow(
      'UNIQUE constraint failed: u.k',
    );
    expect(a.inTransaction).toBe(true);
    // The transaction holds the write queue: another writer waits, then gives up.
    await expect(b.execute('INSERT INTO u VALUES (9, 9)')).rejects.toMatchObject({ code: 'BUSY' });
    await a.commit();
    expect(a.inTransaction).toBe(false);
    expect(await (await b.execute('SELECT id FROM u ORDER BY id')).fetchAll()).toEqual([[1], [2]]);
    // OR ROLLBACK inside the transaction ends it, and the queue is free again.
    await a.execute('INSERT INTO u VALUES (4, 4)');
    await expect(a.execute('UPDATE OR ROLLBACK u SET k = 1 WHERE id = 4')).rejects.toThrow(
      'UNIQUE constraint failed: u.k',
    );
    expect(a.inTransaction).toBe(false);
    await b.execute('INSERT INTO u VALUES (9, 9)');
    expect(await (await b.execute('SELECT id FROM u ORDER BY id')).fetchAll()).toEqual([[1], [2], [9]]);
  } finally {
    await a.close();
    await b.close();
  }
});
