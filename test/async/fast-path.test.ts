/**
 * The shared-memory fast path (src/async/channel.ts): a request alone in flight on a worker goes
 * through a SharedArrayBuffer instead of postMessage, and everything else still works the old way.
 * Asserts which path each call took (the hosts' message counters), never timings: a point get
 * awaited alone posts no message; concurrent calls, large replies and values the codec refuses
 * fall back to messages with the same results; cancellation, worker death and close() while a
 * fast-path call is in flight behave as documented; readers skip looking at the file only while
 * the pool's writer holds the lock and has not run since.
 */
import { AsyncDatabase, connect, connectAsync, DataError, OperationalError } from '../../src/index';
import type { AsyncConnection } from '../../src/index';
import type { WorkerHost } from '../../src/async/host';
import { COUNT, LOCKED, refreshGate } from '../../src/async/changes';
import { tmpDir } from '../helpers/tmp';

const tmp = tmpDir('mv-async-fast-');
afterAll(() => tmp.cleanup());

const N = 2_000;
const GET = 'SELECT id, qty, note FROM items WHERE id = ?';

async function filled(path: string, opts: { safeIntegers?: boolean } = {}): Promise<AsyncConnection> {
  const conn = await connectAsync(path, { readers: 1, ...opts });
  await conn.execute('CREATE TABLE items (id INTEGER PRIMARY KEY, qty INTEGER, note TEXT)');
  await conn.executeMany(
    'INSERT INTO items VALUES (?, ?, ?)',
    Array.from({ length: N }, (_, i) => [i, i % 7, `note ${i}`]),
  );
  await conn.commit();
  // A reader ready for this connection (the writer answers its reads until then).
  await (await conn.execute('SELECT 1')).fetchAll();
  await conn._pool.readersSettled();
  return conn;
}

function reader(conn: AsyncConnection): WorkerHost {
  return conn._pool.hosts[1];
}

/** How `host` carried what `fn` sent: [fast-path requests, messages posted, fast requests answered by message]. */
async function paths(host: WorkerHost, fn: () => Promise<unknown>): Promise<[number, number, number]> {
  const { fast, posted, fastRepliedByPort } = host.stats;
  await fn();
  return [
    host.stats.fast - fast,
    host.stats.posted - posted,
    host.stats.fastRepliedByPort - fastRepliedByPort,
  ];
}

test('a point get awaited alone posts no message, on the connection and the typed API', async () => {
  const path = tmp.file();
  const conn = await filled(path);
  const db = await AsyncDatabase.open(path, { readers: 1 });
  try {
    // Warm: the reader thread has the handles open.
    await (await conn.execute(GET, [1])).fetchOne();
    await db.get('items', 1);
    // The typed handle's first read was answered by the idle writer while its reader opened.
    await db._pool.readersSettled();
    const host = reader(conn);
    expect(db._pool).toBe(conn._pool);
    let row: unknown;
    expect(
      await paths(host, async () => {
        row = await (await conn.execute(GET, [42])).fetchOne();
      }),
    ).toEqual([1, 0, 0]);
    expect(row).toEqual([42, 0, 'note 42']);
    expect(await paths(host, async () => (row = await db.get('items', 43)))).toEqual([1, 0, 0]);
    expect(row).toEqual({ id: 43, qty: 1, note: 'note 43' });
    expect(
      await paths(host, async () => (row = await db.collection('items').where('id', '=', 44).first())),
    ).toEqual([1, 0, 0]);
    expect(row).toEqual({ id: 44, qty: 2, note: 'note 44' });
    // A hundred in a row: still no message, all right.
    expect(
      await paths(host, async () => {
        for (let i = 0; i < 100; i++)
          expect(await (await conn.execute(GET, [i])).fetchOne()).toEqual([i, i % 7, `note ${i}`]);
      }),
    ).toEqual([100, 0, 0]);
  } finally {
    await db.close();
    await conn.close();
  }
});

test('concurrent calls, large replies and values the codec refuses go by message, with the same results', async () => {
  const path = tmp.file();
  const conn = await filled(path);
  try {
    await (await conn.execute(GET, [1])).fetchOne();
    const host = reader(conn);
    // Issued together: one message carries them all (the first may still take the fast path).
    let rows: unknown[] = [];
    const [fast, posted] = await paths(host, async () => {
      rows = await Promise.all(
        Array.from({ length: 8 }, async (_, i) => (await conn.execute(GET, [i])).fetchOne()),
      );
    });
    expect(fast + posted).toBeLessThanOrEqual(2);
    expect(posted).toBeGreaterThanOrEqual(1);
    expect(rows).toEqual(Array.from({ length: 8 }, (_, i) => [i, i % 7, `note ${i}`]));
    // Rows of 300,000 characters: a batch (bounded by bytes, so two rows here, src/async/batch.ts)
    // does not fit the channel: the reply is posted.
    const big = "SELECT id, printf('%300000d', id) FROM items WHERE id < 3 ORDER BY id";
    let fetched: unknown[] = [];
    // execute() goes fast with the first two rows and its reply comes by message; the fetch of the
    // third goes either way (the channel is free again only once its wait ended), its reply by
    // message.
    // (Replies by message are counted as they arrive, before the caller resumes.)
    const [f, p, byPort] = await paths(
      host,
      async () => (fetched = await (await conn.execute(big)).fetchAll()),
    );
    expect(f).toBeGreaterThanOrEqual(1);
    expect(f + p).toBe(2);
    expect(byPort).toBe(f);
    const sync = connect(path, { readOnly: true });
    try {
      expect(fetched).toEqual(sync.cursor().execute(big).fetchAll());
    } finally {
      sync.close();
    }
    // A parameter the codec refuses but structured cloning carries (a Map) is posted; the engine
    // then refuses it exactly as before.
    const viaMessage = await paths(host, async () => {
      const err = await conn.execute('SELECT ?', [new Map([[1, 2]])]).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DataError);
    });
    expect(viaMessage[0]).toBe(0);
    expect(viaMessage[1]).toBe(1);
    // One nothing can carry (a function) still fails as TYPE_MISMATCH.
    const fnErr = await conn.execute('SELECT ?', [() => 1]).catch((e: unknown) => e);
    expect(fnErr).toBeInstanceOf(DataError);
    expect((fnErr as DataError).code).toBe('TYPE_MISMATCH');
  } finally {
    await conn.close();
  }
});

test('bigint, Buffer, Date, -0, NaN, lone surrogates and nested objects round-trip through the fast path', async () => {
  const path = tmp.file();
  const conn = await filled(path, { safeIntegers: true });
  try {
    await (await conn.execute(GET, [1])).fetchOne();
    const host = reader(conn);
    const params = [
      2n ** 63n - 1n,
      -(2n ** 63n),
      Buffer.from([0, 1, 255]),
      new Uint8Array([7, 8]),
      -0,
      1e300,
      'a\ud800b',
      'Zürich 🏔',
      'x'.repeat(100),
      null,
    ];
    const sql = `SELECT ${params.map(() => '?').join(', ')}`;
    let got: unknown[] | null = null;
    expect(
      await paths(host, async () => (got = await (await conn.execute<unknown[]>(sql, params)).fetchOne())),
    ).toEqual([1, 0, 0]);
    const sync = connect(path, { readOnly: true, safeIntegers: true });
    try {
      const want = sync.cursor().execute(sql, params).fetchOne() as unknown[];
      expect(got).toEqual(want);
      expect(Object.is((got as unknown[] | null)?.[4], (want as unknown[])[4])).toBe(true);
      expect(Object.is((want as unknown[])[4], -0)).toBe(true);
      expect(Buffer.isBuffer((got as unknown[] | null)?.[2])).toBe(true);
      expect(Buffer.isBuffer((got as unknown[] | null)?.[3])).toBe(true);
    } finally {
      sync.close();
    }
  } finally {
    await conn.close();
  }
  // The typed API: Date, bigint, bytes and nested documents, compared with the sync API.
  const docPath = tmp.file();
  const db = await AsyncDatabase.open(docPath, { safeIntegers: true, readers: 1 });
  try {
    await db.registerCollection(
      'things',
      [
        { path: 'id', type: 'int64' },
        { path: 'big', type: 'int64' },
        { path: 'blob', type: 'bytes' },
        { path: 'at', type: 'timestamp' },
        { path: ['profile', 'city'], type: 'string' },
        { path: 'tags', type: { list: 'string' } },
      ],
      'id',
    );
    const doc = {
      id: 1,
      big: 9007199254740993n,
      blob: Buffer.from('héllo'),
      at: new Date('2024-02-29T12:34:56.789Z'),
      profile: { city: 'Oslo' },
      tags: ['a', 'b'],
    };
    await db.insert('things', doc);
    await db.get('things', 1);
    await db._pool.readersSettled();
    let got: unknown;
    expect(await paths(db._pool.hosts[1], async () => (got = await db.get('things', 1)))).toEqual([1, 0, 0]);
    expect((got as { at: unknown }).at).toBeInstanceOf(Date);
    expect(Buffer.isBuffer((got as { blob: unknown }).blob)).toBe(true);
    await db.close();
    const sync = connect(docPath, { readOnly: true, safeIntegers: true }).database;
    try {
      expect(got).toEqual(sync.get('things', 1));
    } finally {
      sync.close();
    }
  } finally {
    await db.close();
  }
});

function isCode(err: unknown, code: string): boolean {
  return err instanceof OperationalError && err.code === code;
}

test('cancel, AbortSignal and timeoutMs reach a statement running on the fast path', async () => {
  const conn = await connectAsync(':memory:');
  try {
    await conn.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)');
    await conn.executeMany(
      'INSERT INTO t VALUES (?, ?)',
      Array.from({ length: 100_000 }, (_, i) => [i, (i * 7919) % 10007]),
    );
    await conn.commit();
    const host = conn._pool.writer;
    const long = 'SELECT v, count(*) FROM t GROUP BY v ORDER BY 2 DESC, 1 LIMIT 1';
    const whenRunning = async (): Promise<void> => {
      while (host.load === 0) await new Promise((r) => setImmediate(r));
    };
    const fastBefore = host.stats.fast;
    const postedBefore = host.stats.posted;
    const cur = conn.cursor();
    const running = cur.execute(long).catch((e: unknown) => e);
    await whenRunning();
    cur.cancel();
    expect(isCode(await running, 'INTERRUPTED')).toBe(true);
    const ac = new AbortController();
    const aborted = conn.execute(long, [], { signal: ac.signal }).catch((e: unknown) => e);
    await whenRunning();
    ac.abort();
    expect(isCode(await aborted, 'INTERRUPTED')).toBe(true);
    const timed = await conn.execute(long, [], { timeoutMs: 1 }).catch((e: unknown) => e);
    expect(isCode(timed, 'INTERRUPTED')).toBe(true);
    expect(host.stats.fast - fastBefore).toBe(3);
    expect(host.stats.posted - postedBefore).toBe(0);
    // The connection goes on, on the fast path too.
    expect(await (await conn.execute('SELECT count(*) FROM t')).fetchOne()).toEqual([100_000]);
  } finally {
    await conn.close();
  }
});

test('a worker dying under a fast-path call rejects it with WORKER_EXITED; the pool restarts it', async () => {
  const path = tmp.file();
  const conn = await filled(path);
  try {
    await (await conn.execute(GET, [1])).fetchOne();
    const host = reader(conn);
    const fastBefore = host.stats.fast;
    const spinning = host.call('spin', 10_000).catch((e: unknown) => e);
    while (host.stats.fast === fastBefore) await new Promise((r) => setImmediate(r));
    await host.kill();
    expect(isCode(await spinning, 'WORKER_EXITED')).toBe(true);
    // The next read starts a new thread with a new channel (the writer answers it meanwhile);
    // then reads take the fast path again.
    expect(await (await conn.execute(GET, [5])).fetchOne()).toEqual([5, 5, 'note 5']);
    await conn._pool.readersSettled();
    expect(await paths(host, async () => (await conn.execute(GET, [6])).fetchOne())).toEqual([1, 0, 0]);
  } finally {
    await conn.close();
  }
});

test('close() while a fast-path call is in flight does not hang', async () => {
  const path = tmp.file();
  const conn = await filled(path);
  await (await conn.execute(GET, [1])).fetchOne();
  const host = reader(conn);
  const fastBefore = host.stats.fast;
  const spinning = host.call('spin', 200).then(
    () => 'done',
    (e: unknown) => e,
  );
  while (host.stats.fast === fastBefore) await new Promise((r) => setImmediate(r));
  await conn.close();
  const outcome = await spinning;
  expect(outcome === 'done' || isCode(outcome, 'WORKER_EXITED')).toBe(true);
  expect(host.running).toBe(false);
});

test('messages posted to a parked worker are received (requests in flight together, then alone again)', async () => {
  const path = tmp.file();
  const conn = await filled(path);
  try {
    await (await conn.execute(GET, [1])).fetchOne();
    const host = reader(conn);
    for (let round = 0; round < 20; round++) {
      // Idle (parked) → a burst by message → alone again by the channel.
      const burst = await Promise.all(
        Array.from({ length: 3 }, async (_, i) => (await conn.execute(GET, [round + i])).fetchOne()),
      );
      expect(burst).toEqual(
        Array.from({ length: 3 }, (_, i) => [round + i, (round + i) % 7, `note ${round + i}`]),
      );
      expect(await (await conn.execute(GET, [round])).fetchOne()).toEqual([
        round,
        round % 7,
        `note ${round}`,
      ]);
    }
    expect(host.stats.posted).toBeGreaterThanOrEqual(20);
    expect(host.stats.fast).toBeGreaterThanOrEqual(20);
  } finally {
    await conn.close();
  }
});

test('a request issued while another is in flight runs after it, though one takes the channel and one a message', async () => {
  // The first request goes through the channel (alone in flight), the next one, issued a few
  // microtasks later, as a message. A worker asleep when both arrive ran the message first
  // (55–80 rounds of 100 here with the old order): it must serve the channel's request first, in
  // the park and in its message handler alike. The second request reads what the first wrote.
  const db = await AsyncDatabase.open(tmp.file(), { readers: 0 });
  try {
    await db.registerCollection(
      't',
      [
        { path: 'id', type: 'int64' },
        { path: 'v', type: 'string' },
      ],
      'id',
    );
    const host = db._pool.writer;
    const h = (db as unknown as { h: number }).h;
    const before = { ...host.stats };
    const seen: unknown[] = [];
    for (let round = 0; round < 100; round++) {
      // Long enough for the worker to stop polling and sleep.
      await new Promise((r) => setTimeout(r, 2));
      const first = host.call('db', h, 'insert', ['t', { id: round, v: `r${round}` }]);
      await Promise.resolve();
      await Promise.resolve();
      const second = host.call('db', h, 'get', ['t', round]);
      seen.push((await Promise.all([first, second]))[1]);
    }
    expect(seen).toEqual(Array.from({ length: 100 }, (_, i) => ({ id: i, v: `r${i}` })));
    // Both ways were taken: one request a round by the channel, one by message — in most rounds;
    // when the first reply is back within the two microtasks, the second goes by the channel too
    // (seen once in a CI run: 101 / 99), which cannot reorder anything.
    const fast = host.stats.fast - before.fast;
    const posted = host.stats.posted - before.posted;
    expect(fast + posted).toBe(200);
    expect(fast).toBeGreaterThanOrEqual(100);
    expect(posted).toBeGreaterThanOrEqual(80);
  } finally {
    await db.close();
  }
});

test('readers skip looking at the file only while the pool writer holds the lock and has not run since', async () => {
  // The gate itself.
  const changes = new Int32Array(new SharedArrayBuffer(8));
  const gate = refreshGate(changes);
  expect(gate()).toBe(true); // never looked
  expect(gate()).toBe(true); // nobody holds the lock: always look
  // The writer's open takes the lock and, being a request, bumps the count.
  Atomics.store(changes, LOCKED, 1);
  Atomics.add(changes, COUNT, 1);
  expect(gate()).toBe(true); // first look under the lock
  expect(gate()).toBe(false);
  Atomics.add(changes, COUNT, 1); // the writer ran a request
  expect(gate()).toBe(true);
  expect(gate()).toBe(false);
  Atomics.store(changes, LOCKED, 0); // the writer died
  expect(gate()).toBe(true);
  // In a pool: locked once the writer opened the file, unlocked when its thread dies; reads see
  // every commit through it.
  const path = tmp.file();
  const conn = await filled(path);
  const db = await AsyncDatabase.open(path, { readers: 1 });
  try {
    expect(Atomics.load(conn._pool._changes, LOCKED)).toBe(1);
    for (let i = 0; i < 20; i++) {
      await conn.execute('UPDATE items SET qty = ? WHERE id = 0', [100 + i]);
      await conn.commit();
      expect(await db.get('items', 0)).toEqual({ id: 0, qty: 100 + i, note: 'note 0' });
    }
    await conn._pool.writer.kill();
    expect(Atomics.load(conn._pool._changes, LOCKED)).toBe(0);
    await conn.execute('UPDATE items SET qty = 7 WHERE id = 0');
    await conn.commit();
    expect(Atomics.load(conn._pool._changes, LOCKED)).toBe(1);
    expect(await db.get('items', 0)).toEqual({ id: 0, qty: 7, note: 'note 0' });
  } finally {
    await db.close();
    await conn.close();
  }
});
