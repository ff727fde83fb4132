/**
 * AsyncCursor against the sync cursor as the oracle: description, rowCount, lastRowId, RETURNING;
 * fetchMany(n) asks the worker for O(n) rows; `for await`; stream() honours backpressure.
 */
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { connect, connectAsync, ProgrammingError } from '../../src/index';
import type { AsyncConnection } from '../../src/index';
import { WorkerHost } from '../../src/async/host';
import { tmpDir } from '../helpers/tmp';

const tmp = tmpDir('mv-async-cursor-');
const N = 3000;
let path: string;
let conn: AsyncConnection;

beforeAll(async () => {
  path = tmp.file();
  conn = await connectAsync(path, { readers: 1 });
  await conn.execute('CREATE TABLE n (id INTEGER PRIMARY KEY, sq INTEGER, label TEXT)');
  await conn.executeMany(
    'INSERT INTO n VALUES (?, ?, ?)',
    Array.from({ length: N }, (_, i) => [i + 1, (i + 1) * (i + 1), `n${i + 1}`]),
  );
  await conn.commit();
});

afterAll(async () => {
  await conn.close();
  tmp.cleanup();
});

afterEach(() => jest.restoreAllMocks());

test('execute/fetch/rowCount/lastRowId/description match the sync cursor', async () => {
  const sync = connect(path, { readOnly: true });
  try {
    for (const sql of [
      'SELECT id, label FROM n WHERE id <= 5 ORDER BY id DESC',
      'SELECT count(*) AS c, max(sq) FROM n',
    ]) {
      const a = await conn.execute(sql);
      const s = sync.cursor().execute(sql);
      expect(a.description).toEqual(s.description);
      expect(a.rowCount).toBe(-1);
      expect(await a.fetchOne()).toEqual(s.fetchOne());
      expect(await a.fetchMany(2)).toEqual(s.fetchMany(2));
      expect(await a.fetchAll()).toEqual(s.fetchAll());
      expect(a.rowCount).toBe(s.rowCount);
    }
  } finally {
    sync.close();
  }
  const ins = await conn.execute("INSERT INTO n (id, sq, label) VALUES (?, 0, 'x')", [N + 1]);
  expect(ins.rowCount).toBe(1);
  expect(ins.lastRowId).toBe(N + 1);
  expect(ins.description).toBeNull();
  const ret = await conn.execute('UPDATE n SET sq = -sq WHERE id > ? RETURNING id, sq', [N - 1]);
  expect(ret.rowCount).toBe(2);
  expect(await ret.fetchAll()).toEqual([
    [N, -N * N],
    [N + 1, 0],
  ]);
  await conn.rollback();
  await expect(conn.cursor().fetchOne()).rejects.toBeInstanceOf(ProgrammingError);
});

test('fetchMany(n) asks the worker for O(n) rows, whatever the result size', async () => {
  const spy = jest.spyOn(WorkerHost.prototype, 'request');
  const cur = await conn.execute('SELECT id FROM n ORDER BY id');
  expect(await cur.fetchMany(5)).toEqual([[1], [2], [3], [4], [5]]);
  const next = await cur.fetchMany(100);
  expect(next).toHaveLength(100);
  expect(next[0]).toEqual([6]);
  const fetches = spy.mock.calls.filter((c) => c[0] === 'fetch').map((c) => c[1][1]);
  // execute() brought 64 rows; the second fetchMany asked for the 41 it still needed.
  expect(fetches).toEqual([41]);
  const execs = spy.mock.calls.filter((c) => c[0] === 'exec');
  expect(execs[0][1][4]).toBe(64);
  await cur.close();
});

test('for await iterates every row in order; rowCount set when exhausted', async () => {
  const cur = await conn.execute('SELECT id FROM n WHERE id % 7 = 0 ORDER BY id');
  let expectNext = 7;
  for await (const row of cur) {
    expect(row).toEqual([expectNext]);
    expectNext += 7;
  }
  expect(expectNext).toBe(Math.floor(N / 7) * 7 + 7);
  expect(cur.rowCount).toBe(Math.floor(N / 7));
});

test('stream() is an object-mode Readable that holds back the worker for a slow consumer', async () => {
  const spy = jest.spyOn(WorkerHost.prototype, 'request');
  const cur = await conn.execute('SELECT id FROM n ORDER BY id');
  const stream = cur.stream(16);
  let consumed = 0;
  let maxAhead = 0;
  const requested = (): number =>
    64 + spy.mock.calls.filter((c) => c[0] === 'fetch').reduce((s, c) => s + (c[1][1] as number), 0);
  await pipeline(
    stream,
    new Writable({
      objectMode: true,
      highWaterMark: 4,
      write(row: unknown[], _enc, cb) {
        expect(row[0]).toBe(consumed + 1);
        consumed++;
        maxAhead = Math.max(maxAhead, requested() - consumed);
        setImmediate(cb);
      },
    }),
  );
  expect(consumed).toBe(N);
  // Bounded read-ahead: the first batch, the stream's buffer and the writer's, not the result set.
  expect(maxAhead).toBeLessThanOrEqual(64 + 16 + 16 + 4);
});

test('a closed cursor refuses work; closing mid-result frees the worker-side result set', async () => {
  const cur = await conn.execute('SELECT id FROM n');
  await cur.fetchOne();
  await cur.close();
  await expect(cur.fetchOne()).rejects.toMatchObject({ code: 'CLOSED' });
  expect(() => cur.rowCount).toThrow(/closed/);
});
