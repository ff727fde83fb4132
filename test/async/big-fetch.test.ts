/**
 * Whole results fetched at once (fetchAll(), the query builder's all()) stay responsive (issue
 * 14): the rows come back batch by batch and the event loop gets a turn between two batches,
 * even when the main thread polls for replies (src/async/spin.ts) and would catch them in the
 * task that decoded the previous batch. Counted in event-loop turns, never timed. The result is
 * the sync API's, value for value; cancel, close and worker death during such a fetch reject it.
 */
import {
  AsyncDatabase,
  connect,
  connectAsync,
  Database,
  InterfaceError,
  OperationalError,
} from '../../src/index';
import type { AsyncConnection, AsyncCursor, FieldDescriptor } from '../../src/index';
import type { WorkerHost } from '../../src/async/host';
import { SpinControl } from '../../src/async/spin';
import { MAX_BATCH } from '../../src/async/rows';
import { tmpDir } from '../helpers/tmp';

const tmp = tmpDir('mv-async-big-fetch-');
const N = 20_000;
const SQL = 'SELECT id, big, b, s FROM t ORDER BY s';
let path: string;

beforeAll(async () => {
  path = tmp.file();
  const conn = await connectAsync(path, { readers: 1 });
  await conn.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, big INTEGER, b BLOB, s TEXT)');
  await conn.executeMany(
    'INSERT INTO t VALUES (?, ?, ?, ?)',
    Array.from({ length: N }, (_, i) => [
      i,
      i % 3 === 0 ? 2n ** 62n + BigInt(i) : -i,
      i % 5 === 0 ? Buffer.from([i & 255, 7]) : null,
      `s${(i * 7919) % N}`,
    ]),
  );
  await conn.commit();
  await conn.close();
});

afterAll(() => tmp.cleanup());

/**
 * Make `host`'s main thread catch every reply by polling, as it does while calls come quickly, and
 * stop the clock the polling budget reads (spin.ts: at most 1 ms of a macrotask): a reply is then
 * decoded in the task that sent its request, and only the yield between batches gives the event
 * loop a turn. Returns what undoes it.
 */
function pollEveryReply(host: WorkerHost): () => void {
  const channel = host.channel;
  if (!channel) throw new Error('no channel yet');
  host.spin = new SpinControl((us) => (channel.workerSpinUs = us), 20_000, 20_000);
  const frozen = performance.now();
  const clock = jest.spyOn(performance, 'now').mockReturnValue(frozen);
  return () => clock.mockRestore();
}

/** Count the fetch requests `host` sends while `fn` runs, and call `onFetch` with each count. */
async function countFetches(
  host: WorkerHost,
  fn: () => Promise<unknown>,
  onFetch: (n: number) => void = () => {},
): Promise<number> {
  let n = 0;
  const real = host.request.bind(host);
  host.request = ((...args: Parameters<WorkerHost['request']>) => {
    if (args[0] === 'fetch') onFetch(++n);
    return real(...args);
  }) as WorkerHost['request'];
  try {
    await fn();
  } finally {
    host.request = real;
  }
  return n;
}

/** Event-loop turns (a setImmediate that re-arms itself) while `fn` runs. */
async function turnsDuring<T>(fn: () => Promise<T>): Promise<{ value: T; turns: number }> {
  let turns = 0;
  let on = true;
  const tick = (): void => {
    turns++;
    if (on) setImmediate(tick);
  };
  setImmediate(tick);
  try {
    const value = await fn();
    return { value, turns };
  } finally {
    on = false;
  }
}

function codeOf(err: unknown): string | undefined {
  return err instanceof Error ? (err as Error & { code?: string }).code : undefined;
}

describe('fetchAll()', () => {
  let conn: AsyncConnection;
  let reader: WorkerHost;

  beforeEach(async () => {
    conn = await connectAsync(path, { readers: 1, safeIntegers: true });
    await (await conn.execute('SELECT count(*) FROM t')).fetchOne();
    // That first read was the writer's while the reader thread started: wait for it.
    await conn._pool.readersSettled();
    reader = conn._pool.hosts[1];
  });

  afterEach(async () => {
    await conn.close();
  });

  test('gives the event loop a turn between batches, even when polling catches every reply', async () => {
    const cur = await conn.execute('SELECT id FROM t ORDER BY s');
    let rows: unknown[] = [];
    let turns = 0;
    const restore = pollEveryReply(reader);
    const fetches = await countFetches(reader, async () => {
      ({ value: rows, turns } = await turnsDuring(() => cur.fetchAll()));
    }).finally(restore);
    expect(fetches).toBeGreaterThanOrEqual(Math.ceil((N - 64) / MAX_BATCH));
    // One turn at least before each batch (execute() brought the first rows).
    expect(turns).toBeGreaterThanOrEqual(fetches);
    expect(rows).toHaveLength(N);
  });

  test('returns the sync cursor rows: values, order and types', async () => {
    const cur = await conn.execute(SQL);
    const rows = await cur.fetchAll();
    expect(cur.rowCount).toBe(N);

    const sync = connect(path, { readOnly: true, safeIntegers: true });
    try {
      const want = sync.cursor().execute(SQL).fetchAll();
      expect(rows).toEqual(want);
      const [r0, r3, r5] = [rows[0], rows.find((r) => (r as unknown[])[0] === 3n), rows[5]] as unknown[][];
      expect(typeof r0[0]).toBe('bigint');
      expect(r3[1]).toBe(2n ** 62n + 3n);
      expect(rows.filter((r) => Buffer.isBuffer((r as unknown[])[2]))).toHaveLength(N / 5);
      expect(r5).toHaveLength(4);
    } finally {
      sync.close();
    }
  });

  test('cancel() during it rejects it with INTERRUPTED; the connection goes on', async () => {
    const cur = await conn.execute(SQL);
    const { err, fetches } = await stoppedAfterTwoFetches(reader, cur, () => cur.cancel());
    expect(err).toBeInstanceOf(OperationalError);
    expect(codeOf(err)).toBe('INTERRUPTED');
    expect(fetches).toBeLessThan(Math.ceil(N / MAX_BATCH));
    expect(await (await conn.execute('SELECT count(*) FROM t')).fetchOne()).toEqual([BigInt(N)]);
  });

  test('closing the cursor or the connection during it rejects it with CLOSED, not a partial result', async () => {
    const cur = await conn.execute(SQL);
    const closed = await stoppedAfterTwoFetches(reader, cur, () => void cur.close());
    expect(closed.err).toBeInstanceOf(InterfaceError);
    expect(codeOf(closed.err)).toBe('CLOSED');
    expect(closed.fetches).toBeLessThan(Math.ceil(N / MAX_BATCH));

    const cur2 = await conn.execute(SQL);
    const gone = await stoppedAfterTwoFetches(reader, cur2, () => void conn.close());
    expect(gone.err).toBeInstanceOf(InterfaceError);
    expect(codeOf(gone.err)).toBe('CLOSED');
  });

  test('the worker dying during it rejects it with WORKER_EXITED; the next statement runs', async () => {
    const cur = await conn.execute(SQL);
    const { err } = await stoppedAfterTwoFetches(reader, cur, () => void reader.kill());
    expect(err).toBeInstanceOf(OperationalError);
    expect(codeOf(err)).toBe('WORKER_EXITED');
    expect(await (await conn.execute('SELECT count(*) FROM t')).fetchOne()).toEqual([BigInt(N)]);
  });
});

/** Run `cur.fetchAll()` and call `stop` in the event-loop turn after its second fetch request: what it rejected with. */
async function stoppedAfterTwoFetches(
  host: WorkerHost,
  cur: AsyncCursor,
  stop: () => void,
): Promise<{ err: unknown; fetches: number }> {
  let err: unknown = null;
  const fetches = await countFetches(
    host,
    async () => {
      err = await cur.fetchAll().then(
        () => null,
        (e: unknown) => e,
      );
    },
    (n) => {
      if (n === 2) setImmediate(stop);
    },
  );
  return { err, fetches };
}

const FIELDS: FieldDescriptor[] = [
  { path: 'id', type: 'int64' },
  { path: 'big', type: 'int64' },
  { path: 'blob', type: 'bytes' },
  { path: 'at', type: 'timestamp' },
  { path: ['profile', 'city'], type: 'string' },
  { path: 'tags', type: { list: 'string' } },
];

test('typed all() of a large result: a turn between batches; rows equal to the sync builder', async () => {
  const sync = Database.openInMemory({ safeIntegers: true });
  sync.registerCollection('things', FIELDS, 'id');
  sync.transaction(() => {
    for (let i = 0; i < N / 2; i++)
      sync.insert('things', {
        id: i,
        big: 2n ** 60n * BigInt(i % 7) - BigInt(i),
        blob: Buffer.from([i & 255]),
        at: new Date(Date.UTC(2024, 0, 1) + i * 60_000),
        profile: { city: i % 2 ? 'Oslo' : 'Zürich 🏔' },
        tags: i % 3 ? ['a', `t${i}`] : [],
      });
  });
  const db = await AsyncDatabase.openSnapshotBytes(sync.snapshotBytes(), { safeIntegers: true });
  try {
    await db.get('things', 0);
    const host = db._pool.hosts[0];
    let turns = 0;
    let ids: Record<string, unknown>[] = [];
    const restore = pollEveryReply(host);
    const fetches = await countFetches(host, async () => {
      ({ value: ids, turns } = await turnsDuring(() =>
        db.collection('things').orderBy('at', 'desc').select(['id']).all(),
      ));
    }).finally(restore);
    expect(ids).toHaveLength(N / 2);
    // The first batch comes with the query's reply; one turn at least before each later one.
    expect(fetches).toBeGreaterThanOrEqual(2);
    expect(turns).toBeGreaterThanOrEqual(fetches);
    const rows = await db.collection('things').orderBy('at', 'desc').all();
    const want = sync.collection('things').orderBy('at', 'desc').all();
    expect(rows).toEqual(want);
    expect(rows[0].at).toBeInstanceOf(Date);
    expect(Buffer.isBuffer(rows[0].blob)).toBe(true);
    expect(typeof rows[0].big).toBe('bigint');
    expect(rows.map((r) => r.id)).toEqual(want.map((r) => r.id));
    expect(Object.keys(rows[1])).toEqual(Object.keys(want[1]));
  } finally {
    await db.close();
    sync.close();
  }
});
