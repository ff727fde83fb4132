/**
 * Tracing of the async API (src/async/trace.ts, worker-trace.ts): statements run in worker
 * threads, yet subscribers on the main thread see `modelvault:query` traces of async SQL
 * statements and typed queries (with the statement kind, plan summary and rows the worker
 * knows) and the commit / checkpoint / compact / open traces of the workers' engines. Each test
 * subscribes by name on the main thread, as an application would.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import * as diagnostics from 'node:diagnostics_channel';
import { AsyncDatabase, Database, ProgrammingError, connectAsync } from '../../src/index';
import type {
  AsyncConnection,
  CommitTraceContext,
  CompactTraceContext,
  OpenTraceContext,
  QueryTraceContext,
} from '../../src/index';
import type { Worker } from 'node:worker_threads';
import { tmpDir } from '../helpers/tmp';

const tmp = tmpDir('mv-async-tracing-');
afterAll(() => tmp.cleanup());

type Phase = 'start' | 'end' | 'asyncStart' | 'asyncEnd' | 'error';
interface Event {
  channel: string;
  phase: Phase;
  /** A copy of the context when the event was published. */
  ctx: Record<string, unknown>;
  same: object;
}

/** Subscribe to the given channels by name until the returned stop() is called. */
function recorder(names: readonly string[]): { events: Event[]; stop(): void } {
  const events: Event[] = [];
  const subs = names.map((name) => {
    const at =
      (phase: Phase) =>
      (message: unknown): void => {
        const ctx = message as Record<string, unknown>;
        events.push({ channel: name, phase, ctx: { ...ctx }, same: ctx });
      };
    const handlers = {
      start: at('start'),
      end: at('end'),
      asyncStart: at('asyncStart'),
      asyncEnd: at('asyncEnd'),
      error: at('error'),
    };
    const ch = diagnostics.tracingChannel(`modelvault:${name}`);
    ch.subscribe(handlers);
    return () => ch.unsubscribe(handlers);
  });
  return { events, stop: () => subs.forEach((u) => u()) };
}

const ALL = ['query', 'commit', 'checkpoint', 'compact', 'open'];

function phases(events: Event[], same: object): Phase[] {
  return events.filter((e) => e.same === same).map((e) => e.phase);
}

function queries(events: Event[]): Event[] {
  return events.filter((e) => e.channel === 'query' && e.phase === 'start');
}

/** The event of `phase` for the trace whose start is `start`. */
function at(events: Event[], start: Event, phase: Phase): Record<string, unknown> {
  const e = events.find((x) => x.same === start.same && x.phase === phase);
  if (!e) throw new Error(`no ${phase} event for ${String(start.ctx.sql ?? start.ctx.collection)}`);
  return e.ctx;
}

describe('connectAsync', () => {
  let conn: AsyncConnection;
  beforeAll(async () => {
    conn = await connectAsync(':memory:', { autocommit: true });
    await conn.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
  });
  afterAll(() => conn.close());

  test('a write: query trace with the worker-side statement and rows changed, its commit nested inside', async () => {
    const rec = recorder(ALL);
    try {
      const cur = await conn.execute('INSERT INTO t VALUES (?, ?), (?, ?)', [1, 'a', 2, 'b']);
      expect(cur.rowCount).toBe(2);
    } finally {
      rec.stop();
    }
    const [q] = queries(rec.events);
    expect(q.ctx).toMatchObject({
      sql: 'INSERT INTO t VALUES (?, ?), (?, ?)',
      collection: null,
      streaming: true,
    });
    expect(q.ctx.params).toBeUndefined();
    expect(phases(rec.events, q.same)).toEqual(['start', 'end', 'asyncStart', 'asyncEnd']);
    expect(at(rec.events, q, 'asyncEnd')).toMatchObject({
      statement: 'insert',
      rowsChanged: 2,
      complete: true,
    });
    // The autocommit's commit ran in the worker; it is published between the query's end and asyncEnd.
    const commit = rec.events.filter((e) => e.channel === 'commit');
    expect(commit.map((e) => e.phase)).toEqual(['start', 'end']);
    const c = commit[1].ctx as unknown as CommitTraceContext;
    expect(c.path).toBeNull();
    expect(typeof c.txnId).toBe('number');
    expect(c.bytes).toBeGreaterThan(0);
    expect(c.frames).toBeGreaterThan(0);
    const order = rec.events.map((e) => `${e.channel}:${e.phase}`);
    expect(order.indexOf('commit:start')).toBeGreaterThan(order.indexOf('query:end'));
    expect(order.indexOf('commit:end')).toBeLessThan(order.indexOf('query:asyncEnd'));
  });

  test('a SELECT read in batches: rows and plan at asyncEnd once the worker sent its last row; abandoned results are incomplete', async () => {
    await conn.executeMany(
      'INSERT INTO t VALUES (?, ?)',
      Array.from({ length: 300 }, (_, i) => [i + 10, `v${i}`]),
    );
    const rec = recorder(['query']);
    try {
      const cur = await conn.execute('SELECT id, v FROM t WHERE id >= ?', [10]);
      let n = 0;
      for (let rows = await cur.fetchMany(100); rows.length > 0; rows = await cur.fetchMany(100))
        n += rows.length;
      expect(n).toBe(300);
      const partial = await conn.execute('SELECT v FROM t');
      await partial.fetchOne();
      await partial.close();
      const streamed: unknown[] = [];
      for await (const row of (await conn.execute('SELECT id FROM t')).stream(50)) streamed.push(row);
      expect(streamed).toHaveLength(302);
    } finally {
      rec.stop();
    }
    const [full, partial, streamed] = queries(rec.events);
    expect(at(rec.events, streamed, 'asyncEnd')).toMatchObject({ rows: 302, complete: true });
    expect(phases(rec.events, full.same)).toEqual(['start', 'end', 'asyncStart', 'asyncEnd']);
    expect(at(rec.events, full, 'end').rows).toBeNull();
    expect(at(rec.events, full, 'asyncEnd')).toMatchObject({
      statement: 'select',
      rows: 300,
      complete: true,
      rowsChanged: null,
    });
    expect(String(at(rec.events, full, 'asyncEnd').plan)).toMatch(/^Project > .*t$/);
    const done = at(rec.events, partial, 'asyncEnd');
    expect(done.complete).toBe(false);
    expect(done.rows).toBeGreaterThanOrEqual(1);
  });

  test('executeMany is one trace with the total rows changed; a failing statement publishes error', async () => {
    const rec = recorder(['query']);
    let failure: unknown;
    try {
      await conn.executeMany('UPDATE t SET v = ? WHERE id = ?', [
        ['x', 10],
        ['y', 11],
        ['z', 12],
      ]);
      failure = await conn.execute('SELECT * FROM nobody').catch((e: unknown) => e);
    } finally {
      rec.stop();
    }
    const [many, bad] = queries(rec.events);
    expect(at(rec.events, many, 'asyncEnd')).toMatchObject({
      statement: 'update',
      rowsChanged: 3,
      complete: true,
    });
    expect(failure).toBeInstanceOf(ProgrammingError);
    expect(phases(rec.events, bad.same)).toEqual(['start', 'end', 'error', 'asyncStart', 'asyncEnd']);
    expect(at(rec.events, bad, 'error').error).toBe(failure);
    expect(at(rec.events, bad, 'asyncEnd').complete).toBe(false);
  });

  test('traceParams adds the parameters; with nobody subscribed requests are not marked and replies carry no trace', async () => {
    const withParams = await connectAsync(':memory:', { autocommit: true, traceParams: true });
    try {
      const rec = recorder(['query']);
      try {
        await withParams.execute('SELECT ? + ?', [2, 3]);
      } finally {
        rec.stop();
      }
      expect(queries(rec.events)[0].ctx.params).toEqual([2, 3]);
      // After unsubscribing, nothing is published and requests go unmarked.
      const host = withParams._pool.writer;
      const sent: unknown[] = [];
      const real = host.request.bind(host);
      host.request = ((...args: Parameters<typeof host.request>) => {
        const out = real(...args);
        sent.push(args[3]);
        return out;
      }) as typeof host.request;
      // Raw replies: a worker reports traces only for marked requests.
      const worker = (host as unknown as { worker: Worker }).worker;
      const replies: unknown[] = [];
      const seeReply = (msg: unknown): void => void replies.push(...(Array.isArray(msg) ? msg : [msg]));
      worker.on('message', seeReply);
      const fastBefore = host.stats.fast;
      const cur = await withParams.execute('SELECT 1');
      expect(await cur.fetchAll()).toEqual([[1]]);
      expect(sent).toEqual([undefined]);
      // Unmarked, it took the shared-memory path, which never carries a trace (a traced reply
      // would have come back as a message).
      expect(host.stats.fast).toBe(fastBefore + 1);
      const commits = recorder(['commit']);
      try {
        await withParams.execute('CREATE TABLE x (a INTEGER)');
      } finally {
        commits.stop();
        worker.off('message', seeReply);
      }
      expect(replies.map((r) => 'trace' in (r as object))).toEqual([true]);
      expect(commits.events.map((e) => e.phase)).toEqual(['start', 'end']);
    } finally {
      await withParams.close();
    }
  });
});

describe('AsyncDatabase', () => {
  test('typed queries, writes, transactions, open, checkpoint and compaction are seen on the main thread', async () => {
    const file = tmp.file('typed.mvdb');
    const rec = recorder(ALL);
    let db: AsyncDatabase | null = null;
    try {
      db = await AsyncDatabase.open(file, { readers: 1 });
      await db.registerCollection(
        'users',
        [
          { path: 'id', type: 'int64' },
          { path: 'name', type: 'string' },
        ],
        'id',
      );
      await db.transaction(async (tx) => {
        for (let i = 1; i <= 5; i++) await tx.insert('users', { id: i, name: `u${i}` });
      });
      expect(await db.collection('users').where('id', 3).all()).toEqual([{ id: 3, name: 'u3' }]);
      expect(await db.collection('users').count()).toBe(5);
      await expect(db.collection('users').where('nope', 1).first()).rejects.toThrow(/unknown path/);
      await db.checkpoint();
      await db.compact();
    } finally {
      rec.stop();
      await db?.close();
    }
    const opens = rec.events.filter((e) => e.channel === 'open' && e.phase === 'end');
    expect(opens.length).toBeGreaterThanOrEqual(1);
    expect((opens[0].ctx as unknown as OpenTraceContext).path).toContain('typed.mvdb');
    // registerCollection, the transaction's commit (one for five inserts), checkpoint and compact.
    const commits = rec.events.filter((e) => e.channel === 'commit' && e.phase === 'end');
    expect(commits.length).toBeGreaterThanOrEqual(2);
    expect(
      rec.events.filter((e) => e.channel === 'checkpoint' && e.phase === 'end').length,
    ).toBeGreaterThanOrEqual(1);
    const compact = rec.events.find((e) => e.channel === 'compact' && e.phase === 'end');
    expect((compact?.ctx as unknown as CompactTraceContext).mode).toBe('inPlace');

    const [all, count, bad] = queries(rec.events);
    expect(at(rec.events, all, 'asyncEnd')).toMatchObject({
      sql: null,
      collection: 'users',
      statement: 'all',
      plan: 'PrimaryKeyLookup users',
      rows: 1,
      complete: true,
    });
    expect(at(rec.events, count, 'asyncEnd')).toMatchObject({ statement: 'count', rows: 1, complete: true });
    expect(phases(rec.events, bad.same)).toEqual(['start', 'end', 'error', 'asyncStart', 'asyncEnd']);
  });

  test("start is published in the caller's async context, and a store bound to it follows the request", async () => {
    const db = await AsyncDatabase.openInMemory();
    const caller = new AsyncLocalStorage<string>();
    const span = new AsyncLocalStorage<string>();
    const seen: (string | undefined)[] = [];
    const ch = diagnostics.tracingChannel<unknown, QueryTraceContext>('modelvault:query');
    ch.start.bindStore(span, (ctx) => `span:${ctx.collection}`);
    const handlers = {
      start: () => seen.push(caller.getStore()),
      end: () => undefined,
      asyncStart: () => undefined,
      asyncEnd: () => seen.push(span.getStore()),
      error: () => undefined,
    };
    ch.subscribe(handlers);
    try {
      await db.registerCollection('c', [{ path: 'id', type: 'int64' }], 'id');
      await caller.run('request-7', () => db.collection('c').all());
    } finally {
      ch.unsubscribe(handlers);
      ch.start.unbindStore(span);
      await db.close();
    }
    expect(seen).toEqual(['request-7', 'span:c']);
  });

  test('the sync API is unchanged: its traces still come from the engine itself', () => {
    const rec = recorder(['query']);
    const db = Database.openInMemory();
    try {
      db.registerCollection('c', [{ path: 'id', type: 'int64' }], 'id');
      expect(db.collection('c').count()).toBe(0);
    } finally {
      rec.stop();
      db.close();
    }
    const [q] = queries(rec.events);
    expect(phases(rec.events, q.same)).toEqual(['start', 'end']);
    expect(at(rec.events, q, 'end')).toMatchObject({ streaming: false, statement: 'count', rows: 1 });
  });
});
