/**
 * Bounded replies (issue 14, event-loop responsiveness): however large a result, no single reply
 * from a worker carries more than MAX_BATCH rows, so the main thread never decodes a huge payload
 * at once — fetchAll(), fetchMany(n) with a large n, AsyncQuery.all() and aggregate() loop over
 * batches. Results stay exactly those of the sync API; a snapshot's bytes are moved, not copied.
 */
import { AsyncDatabase, Database, connectAsync } from '../../src/index';
import type { WorkerHost } from '../../src/async/host';
import { MAX_BATCH } from '../../src/async/rows';

const N = 10_000;

/** Record the op and row count of every fetch-like request `hosts` send while `fn` runs. */
async function requests(hosts: WorkerHost[], fn: () => Promise<void>): Promise<[string, unknown][]> {
  const seen: [string, unknown][] = [];
  const restore = hosts.map((host) => {
    const real = host.request.bind(host);
    host.request = ((...args: Parameters<WorkerHost['request']>) => {
      const [op, a] = args;
      if (op === 'fetch') seen.push([op, a[1]]);
      if (op === 'queryRows') seen.push([op, a[a.length - 1]]);
      return real(...args);
    }) as WorkerHost['request'];
    return () => {
      host.request = real;
    };
  });
  try {
    await fn();
  } finally {
    restore.forEach((r) => r());
  }
  return seen;
}

let sync: Database;
let db: AsyncDatabase;

beforeAll(async () => {
  sync = Database.openInMemory();
  sync.registerCollection(
    'items',
    [
      { path: 'id', type: 'int64' },
      { path: 'g', type: 'int64' },
      { path: 'blob', type: 'bytes' },
    ],
    'id',
  );
  sync.transaction(() => {
    for (let i = 0; i < N; i++) sync.insert('items', { id: i, g: i % 3001, blob: Buffer.from([i & 255]) });
  });
  db = await AsyncDatabase.openSnapshotBytes(sync.snapshotBytes());
});

afterAll(async () => {
  await db?.close();
  sync?.close();
});

test('AsyncQuery.all() and aggregate() bring large results back in bounded batches, equal to the sync result', async () => {
  let rows: Record<string, unknown>[] = [];
  let groups: Record<string, unknown>[] = [];
  const seen = await requests(db._pool.hosts, async () => {
    rows = await db.collection('items').orderBy('g', 'desc').all();
    groups = await db
      .collection('items')
      .groupBy('g')
      .aggregate({ n: { fn: 'count' } });
  });
  expect(rows).toEqual(sync.collection('items').orderBy('g', 'desc').all());
  expect(Buffer.isBuffer(rows[N - 1].blob)).toBe(true);
  expect(groups).toEqual(
    sync
      .collection('items')
      .groupBy('g')
      .aggregate({ n: { fn: 'count' } }),
  );
  expect(seen.length).toBeGreaterThanOrEqual(2 + Math.floor(N / MAX_BATCH));
  for (const [, n] of seen) expect(n).toBeLessThanOrEqual(MAX_BATCH);
  // A small result is still one round trip.
  const small = await requests(db._pool.hosts, async () => {
    expect(await db.collection('items').where('id', '<', 5).all()).toHaveLength(5);
  });
  expect(small).toEqual([['queryRows', MAX_BATCH]]);
});

test('fetchAll() and fetchMany(large) on a cursor never ask for more than MAX_BATCH rows at once', async () => {
  const conn = await connectAsync(':memory:', { autocommit: true });
  try {
    await conn.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
    await conn.executeMany(
      'INSERT INTO t VALUES (?, ?)',
      Array.from({ length: N }, (_, i) => [i, `v${i}`]),
    );
    let all: unknown[] = [];
    let many: unknown[] = [];
    const seen = await requests(conn._pool.hosts, async () => {
      all = await (await conn.execute('SELECT id, v FROM t ORDER BY v')).fetchAll();
      const cur = await conn.execute('SELECT id FROM t');
      many = await cur.fetchMany(N - 10);
      expect(await cur.fetchAll()).toHaveLength(10);
    });
    expect(all).toHaveLength(N);
    expect((all[0] as unknown[])[1]).toBe('v0');
    expect((all[N - 1] as unknown[])[1]).toBe('v9999');
    expect(many).toHaveLength(N - 10);
    expect(seen.length).toBeGreaterThanOrEqual(2 * Math.floor(N / MAX_BATCH));
    for (const [op, n] of seen) {
      expect(op).toBe('fetch');
      expect(n).toBeGreaterThan(0);
      expect(n).toBeLessThanOrEqual(MAX_BATCH);
    }
  } finally {
    await conn.close();
  }
});

test('snapshotBytes() crosses without a copy and still opens', async () => {
  const bytes = await db.snapshotBytes();
  expect(Buffer.isBuffer(bytes)).toBe(true);
  const copy = Database.openSnapshotBytes(bytes);
  try {
    expect(copy.collection('items').count()).toBe(N);
  } finally {
    copy.close();
  }
  // The worker keeps nothing of it: asking again gives equal, fresh bytes.
  expect(Buffer.compare(await db.snapshotBytes(), bytes)).toBe(0);
});
