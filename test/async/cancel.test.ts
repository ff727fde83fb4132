/**
 * Cancellation and time limits (issue 14 §5): cursor.cancel(), conn.interrupt(), per-statement
 * timeoutMs and an AbortSignal stop a long scan or aggregation with OperationalError INTERRUPTED;
 * an interrupted UPDATE is rolled back (to its savepoint inside a transaction), and the
 * connection stays usable.
 */
import { connectAsync, OperationalError } from '../../src/index';
import type { AsyncConnection } from '../../src/index';

const N = 100_000;
const GROUP = 'SELECT v, count(*) FROM t GROUP BY v ORDER BY 2 DESC, 1 LIMIT 1';
let conn: AsyncConnection;

beforeAll(async () => {
  conn = await connectAsync(':memory:');
  await conn.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER, s TEXT)');
  await conn.executeMany(
    'INSERT INTO t VALUES (?, ?, ?)',
    Array.from({ length: N }, (_, i) => [i, (i * 7919) % 10007, `s${i}`]),
  );
  await conn.commit();
});

afterAll(async () => {
  await conn.close();
});

function isInterrupted(err: unknown): boolean {
  return err instanceof OperationalError && err.code === 'INTERRUPTED';
}

/** Call `stop` as soon as the writer worker has the statement (deterministic, no timers). */
async function whenRunning(stop: () => void): Promise<void> {
  while (conn._pool.writer.load === 0) await new Promise((r) => setImmediate(r));
  stop();
}

async function checksum(): Promise<unknown[] | null> {
  return (
    await conn.execute("SELECT count(*), sum(v), sum(length(s)) FROM t WHERE s LIKE 's%'")
  ).fetchOne() as Promise<unknown[] | null>;
}

test('cursor.cancel() stops a long aggregation; the connection goes on', async () => {
  const cur = conn.cursor();
  const running = cur.execute(GROUP).catch((e: unknown) => e);
  await whenRunning(() => cur.cancel());
  const err = await running;
  expect(isInterrupted(err)).toBe(true);
  expect((err as OperationalError).sql).toBe(GROUP);
  const again = await conn.execute(GROUP);
  expect(await again.fetchOne()).toHaveLength(2);
  // cancel() on an idle cursor is a no-op: the next statement is not affected.
  again.cancel();
  expect(await (await again.execute('SELECT count(*) FROM t')).fetchOne()).toEqual([N]);
});

test('a long UPDATE interrupted by conn.interrupt() is rolled back; inside a transaction only to its savepoint', async () => {
  const before = await checksum();
  const update = conn.execute("UPDATE t SET s = s || 'x', v = v + 1").catch((e: unknown) => e);
  await whenRunning(() => conn.interrupt());
  expect(isInterrupted(await update)).toBe(true);
  expect(conn.inTransaction).toBe(false);
  expect(await checksum()).toEqual(before);

  await conn.execute("INSERT INTO t VALUES (?, 0, 'kept')", [N]);
  const inTxn = conn.execute("UPDATE t SET s = s || 'x'").catch((e: unknown) => e);
  await whenRunning(() => conn.interrupt());
  expect(isInterrupted(await inTxn)).toBe(true);
  expect(conn.inTransaction).toBe(true);
  await conn.commit();
  expect(await (await conn.execute('SELECT s FROM t WHERE id >= ?', [N - 1])).fetchAll()).toEqual([
    [`s${N - 1}`],
    ['kept'],
  ]);
  await conn.execute('DELETE FROM t WHERE id = ?', [N]);
  await conn.commit();
});

test('timeoutMs limits a statement; an AbortSignal interrupts one, and an aborted signal refuses at once', async () => {
  const timedOut = await conn.execute(GROUP, [], { timeoutMs: 1 }).catch((e: unknown) => e);
  expect(isInterrupted(timedOut)).toBe(true);
  expect((timedOut as Error).message).toMatch(/timeoutMs/);
  const ok = await conn.execute('SELECT count(*) FROM t', [], { timeoutMs: 60_000 });
  expect(await ok.fetchOne()).toEqual([N]);

  const ac = new AbortController();
  const aborted = conn.execute(GROUP, [], { signal: ac.signal }).catch((e: unknown) => e);
  await whenRunning(() => ac.abort());
  expect(isInterrupted(await aborted)).toBe(true);
  await expect(conn.execute('SELECT 1', [], { signal: ac.signal })).rejects.toMatchObject({
    code: 'INTERRUPTED',
  });
  await expect(conn.execute('SELECT 1', [], { timeoutMs: -1 })).rejects.toMatchObject({ code: 'BAD_OPTION' });
});
