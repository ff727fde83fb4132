/**
 * Batches bounded by bytes as well as rows (src/async/batch.ts): a worker cuts a result of large
 * rows into batches of about BATCH_BYTES, so the main thread never decodes a huge reply in one
 * task, while fetchMany(n) still returns exactly n rows (reading O(n) of them) and rowCount /
 * description keep their DB-API meaning. Counts rows and requests, never time.
 */
import { connect, connectAsync } from '../../src/index';
import type { Cursor } from '../../cursor/cursor';
import type { WorkerHost } from '../../src/async/host';
import type { Batch } from '../../src/async/protocol';
import { approxBytes, BATCH_BYTES, batchLength, take } from '../../src/async/batch';
import { tmpDir } from '../helpers/tmp';

const tmp = tmpDir('mv-async-bytes-');
afterAll(() => tmp.cleanup());

/** 40,000-character notes: about 80 KB each as the codec counts them, so one or two per batch. */
const WIDE = 40_000;
const ROWS = 20;

function wideRows(): [number, string][] {
  return Array.from({ length: ROWS }, (_, i) => [i, String(i % 10).repeat(WIDE)]);
}

/** A sync cursor over `rows`, counting the rows its fetchMany hands out. */
function countingCursor(rows: [number, string][]): { cur: Cursor; read: () => number } {
  const conn = connect(':memory:');
  conn.cursor().execute('CREATE TABLE t (id INTEGER PRIMARY KEY, note TEXT)');
  conn.cursor().executeMany('INSERT INTO t VALUES (?, ?)', rows);
  const cur = conn.cursor().execute('SELECT id, note FROM t ORDER BY id');
  let read = 0;
  const real = cur.fetchMany.bind(cur);
  cur.fetchMany = ((n?: number) => {
    const got = real(n);
    read += got.length;
    return got;
  }) as Cursor['fetchMany'];
  return { cur, read: () => read };
}

test('approxBytes is at least what the codec writes for rows of every kind', () => {
  expect(approxBytes('abc')).toBeGreaterThanOrEqual(5 + 3);
  expect(approxBytes('é'.repeat(10))).toBeGreaterThanOrEqual(5 + 20);
  expect(approxBytes(Buffer.alloc(1000))).toBeGreaterThanOrEqual(1005);
  expect(approxBytes([1, 2.5, null, 2n ** 70n, new Date(0)])).toBeGreaterThan(5 + 9 + 9 + 1 + 9);
  expect(approxBytes({ id: 1, note: 'x'.repeat(100) })).toBeGreaterThan(200);
});

test('take() cuts a cursor at about BATCH_BYTES, never past n rows, and reads only what it returns', () => {
  const { cur, read } = countingCursor(wideRows());
  const batches: Batch[] = [];
  for (;;) {
    const b = take(cur, 64);
    batches.push(b);
    if (b.done) break;
  }
  const rowBytes = approxBytes([0, '0'.repeat(WIDE)]);
  for (const b of batches) {
    // Over the budget only by the row that crossed it (two at most: the first step reads two).
    expect(b.rows.length).toBeLessThanOrEqual(Math.max(2, Math.ceil(BATCH_BYTES / rowBytes)));
    // Only the last batch may be empty (the one before it ended exactly at the end).
    if (!b.done) expect(b.rows.length).toBeGreaterThanOrEqual(1);
  }
  expect(batches.length).toBeGreaterThanOrEqual(Math.ceil((ROWS * rowBytes) / (BATCH_BYTES + 2 * rowBytes)));
  expect(batches.flatMap((b) => b.rows)).toEqual(wideRows());
  expect(read()).toBe(ROWS);

  // Small rows: the row count is the bound, and a step never reads past it.
  const small = countingCursor(Array.from({ length: 500 }, (_, i) => [i, `n${i}`]));
  const first = take(small.cur, 100);
  expect(first.rows).toHaveLength(100);
  expect(first.done).toBe(false);
  expect(small.read()).toBe(100);
  const point = countingCursor([[7, 'seven']]);
  expect(take(point.cur, 64)).toEqual({ rows: [[7, 'seven']], done: true });
});

test('take() over an iterator and batchLength() over materialized rows obey the same bounds', () => {
  const rows = wideRows();
  const it = rows.values();
  const b = take(it, 1000);
  expect(b.done).toBe(false);
  expect(b.rows.length).toBeLessThan(ROWS);
  expect(b.rows).toEqual(rows.slice(0, b.rows.length));
  expect(batchLength(rows, 1000)).toBe(b.rows.length);
  expect(batchLength(rows, 1)).toBe(1);
  expect(batchLength([[1], [2], [3]], 1000)).toBe(3);
});

test('async fetchAll/fetchMany over wide rows: bounded replies, exact results, rowCount and description', async () => {
  const path = tmp.file();
  const conn = await connectAsync(path, { readers: 1 });
  try {
    await conn.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, note TEXT)');
    await conn.executeMany('INSERT INTO t VALUES (?, ?)', wideRows());
    await conn.commit();
    await (await conn.execute('SELECT count(*) FROM t')).fetchAll();
    // That first read was the writer's while the reader thread started: wait for it.
    await conn._pool.readersSettled();
    const host: WorkerHost = conn._pool.hosts[1];
    // Record how many rows each reply of the reader carried.
    const replies: number[] = [];
    const real = host.request.bind(host);
    host.request = (<T>(...args: Parameters<WorkerHost['request']>) => {
      const sent = real<T>(...args);
      void sent.result.then(
        (v) => {
          const rows = (v as { rows?: unknown[] } | null)?.rows;
          if (Array.isArray(rows)) replies.push(rows.length);
        },
        () => undefined,
      );
      return sent;
    }) as WorkerHost['request'];
    try {
      const cur = await conn.execute('SELECT id, note FROM t ORDER BY id');
      expect(cur.description?.map((d) => d[0])).toEqual(['id', 'note']);
      expect(cur.rowCount).toBe(-1);
      const firstFive = await cur.fetchMany(5);
      expect(firstFive).toEqual(wideRows().slice(0, 5));
      expect(cur.rowCount).toBe(-1);
      const rest = await cur.fetchAll();
      expect(rest).toEqual(wideRows().slice(5));
      expect(cur.rowCount).toBe(ROWS);
      // No reply carried more than about BATCH_BYTES of rows: two of these at most.
      expect(Math.max(...replies)).toBeLessThanOrEqual(2);
      expect(replies.reduce((a, b) => a + b, 0)).toBe(ROWS);
    } finally {
      host.request = real;
    }
  } finally {
    await conn.close();
  }
});
