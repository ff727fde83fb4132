/**
 * A pool's reader threads start on first use, which takes a thread start and the package's
 * modules (~90 ms). Until a reader is ready for a handle, the writer answers its reads (as every
 * read of a memory database is) and the reader starts meanwhile; once it is ready, reads go to it.
 * An AsyncDatabase read goes to the writer only when the write queue is free, so it never sees a
 * transaction's uncommitted writes; a connection's SELECT sees committed rows only on the writer
 * too, whatever another connection has open.
 * Asserts which thread answered (the hosts' request counters), never timings.
 */
import { AsyncDatabase, connectAsync } from '../../src/index';
import type { WorkerHost } from '../../src/async/host';
import { tmpDir } from '../helpers/tmp';

const tmp = tmpDir('mv-async-first-');
afterAll(() => tmp.cleanup());

/** Requests `host` carried while `fn` ran (fast path and messages). */
async function requests(host: WorkerHost, fn: () => Promise<unknown>): Promise<number> {
  const before = host.stats.fast + host.stats.posted;
  await fn();
  return host.stats.fast + host.stats.posted - before;
}

async function filled(): Promise<string> {
  const path = tmp.file();
  const db = await AsyncDatabase.open(path, { readers: 0 });
  await db.registerCollection(
    'items',
    [
      { path: 'id', type: 'int64' },
      { path: 'note', type: 'string' },
    ],
    'id',
  );
  await db.transaction(async (tx) => {
    for (let i = 0; i < 100; i++) await tx.insert('items', { id: i, note: `n${i}` });
  });
  await db.close();
  return path;
}

test('the first read is answered by the idle writer while a reader starts; then reads go to the reader', async () => {
  const db = await AsyncDatabase.open(await filled(), { readers: 1 });
  try {
    const writer = db._pool.hosts[0];
    let row: unknown;
    expect(await requests(writer, async () => (row = await db.get('items', 7)))).toBe(1);
    expect(row).toEqual({ id: 7, note: 'n7' });
    // The reader was started (its open of this handle begun) by that read.
    expect(db._pool.hosts.length).toBe(2);
    await db._pool.readersSettled();
    const reader = db._pool.hosts[1];
    expect(await requests(writer, async () => (row = await db.get('items', 8)))).toBe(0);
    expect(row).toEqual({ id: 8, note: 'n8' });
    let rows: unknown[] = [];
    const onReader = await requests(reader, async () => {
      expect(
        await requests(writer, async () => (rows = await db.collection('items').where('id', '<', 3).all())),
      ).toBe(0);
    });
    expect(onReader).toBeGreaterThan(0);
    expect(rows.length).toBe(3);
  } finally {
    await db.close();
  }
});

test('a first read does not stand in on a busy writer: it waits for the reader instead', async () => {
  const db = await AsyncDatabase.open(await filled(), { readers: 1 });
  try {
    const writer = db._pool.hosts[0];
    let writerFree = false;
    const busy = writer.call('spin', 1500).then(() => (writerFree = true));
    // Let the spin request leave (requests of one tick are sent together) before counting.
    await new Promise((resolve) => setImmediate(resolve));
    let row: unknown;
    expect(await requests(writer, async () => (row = await db.get('items', 9)))).toBe(0);
    expect(row).toEqual({ id: 9, note: 'n9' });
    expect(writerFree).toBe(false);
    await busy;
  } finally {
    await db.close();
  }
});

test('such a read gives the write queue back as soon as it is sent: writes after it do not wait for it', async () => {
  const db = await AsyncDatabase.open(await filled(), { readers: 1 });
  try {
    const writer = db._pool.hosts[0];
    const real = writer.request.bind(writer);
    const busyAtReply: boolean[] = [];
    writer.request = (<T>(...args: Parameters<WorkerHost['request']>) => {
      const sent = real<T>(...args);
      void sent.result.then(
        () => busyAtReply.push(db._pool.queue.busy),
        () => undefined,
      );
      return sent;
    }) as WorkerHost['request'];
    try {
      expect(await db.collection('items').where('id', '<', 50).all()).toHaveLength(50);
    } finally {
      writer.request = real;
    }
    expect(busyAtReply.length).toBeGreaterThan(0);
    expect(busyAtReply.every((busy) => !busy)).toBe(true);
  } finally {
    await db.close();
  }
});

test('a read while a transaction holds the queue waits for the reader and sees only committed rows', async () => {
  const db = await AsyncDatabase.open(await filled(), { readers: 1 });
  try {
    const writer = db._pool.hosts[0];
    let inside!: () => void;
    const entered = new Promise<void>((resolve) => (inside = resolve));
    let finish!: () => void;
    const gate = new Promise<void>((resolve) => (finish = resolve));
    const tx = db.transaction(async (t) => {
      await t.insert('items', { id: 500, note: 'uncommitted' });
      inside();
      await gate;
    });
    await entered;
    let seen: unknown = 'not read';
    // No reader is ready yet and the writer holds an open transaction: the read must not use it.
    expect(await requests(writer, async () => (seen = await db.get('items', 500)))).toBe(0);
    expect(seen).toBeNull();
    finish();
    await tx;
    expect(await db.get('items', 500)).toEqual({ id: 500, note: 'uncommitted' });
  } finally {
    await db.close();
  }
});

test('close right after a first read does not wait for the starting reader', async () => {
  const db = await AsyncDatabase.open(await filled(), { readers: 2 });
  expect(await db.collection('items').count()).toBe(100);
  const starting = db._pool.hosts.slice(1);
  expect(starting.length).toBe(1);
  await db.close();
  expect(starting.every((h) => !h.running)).toBe(true);
});

describe('connections', () => {
  test("the first SELECT is answered by the writer, later ones by the reader, and neither sees another connection's open transaction", async () => {
    const path = await filled();
    const a = await connectAsync(path, { readers: 1 });
    const b = await connectAsync(path, { readers: 1 });
    try {
      expect(a._pool).toBe(b._pool);
      const writer = a._pool.hosts[0];
      // A opens a transaction (not autocommit) with an uncommitted row.
      await a.execute("INSERT INTO items VALUES (600, 'uncommitted')");
      let rows: unknown;
      const count = async (): Promise<void> => {
        rows = await (await b.execute('SELECT count(*) FROM items')).fetchAll();
      };
      expect(await requests(writer, count)).toBeGreaterThan(0);
      expect(rows).toEqual([[100]]);
      await a._pool.readersSettled();
      expect(await requests(writer, count)).toBe(0);
      expect(rows).toEqual([[100]]);
      await a.commit();
      await count();
      expect(rows).toEqual([[101]]);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
