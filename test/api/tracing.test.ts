/**
 * The diagnostics channels (storage/trace.ts): each test subscribes to a channel by name, as an
 * application would, runs real statements against real files and checks the events and context
 * fields: SQL text without parameters by default, plan summary, rows, errors, commits,
 * checkpoints, compactions and opens.
 */
import * as diagnostics from 'node:diagnostics_channel';
import * as fs from 'node:fs';
import {
  channels,
  connect,
  Database,
  DataError,
  FormatError,
  IntegrityError,
  ProgrammingError,
  QueryError,
  TransactionError,
} from '../../src/index';
import type {
  CheckpointTraceContext,
  CommitTraceContext,
  CompactTraceContext,
  Connection,
  OpenTraceContext,
  QueryTraceContext,
} from '../../src/index';
import { tmpDir } from '../helpers/tmp';

const tmp = tmpDir('mv-tracing-');
afterAll(() => tmp.cleanup());

type Phase = 'start' | 'end' | 'asyncStart' | 'asyncEnd' | 'error';
interface Event<C> {
  phase: Phase;
  /** A copy of the context as it was when the event was published. */
  ctx: C;
  /** The context object itself (one per traced call). */
  same: C;
}

/** Subscribe to `modelvault:<name>` by name for the duration of `fn`; returns the events seen. */
function record<C extends object>(name: string, fn: () => void): Event<C>[] {
  const events: Event<C>[] = [];
  const at =
    (phase: Phase) =>
    (message: unknown): void => {
      const ctx = message as C;
      events.push({ phase, ctx: { ...ctx }, same: ctx });
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
  try {
    fn();
  } finally {
    ch.unsubscribe(handlers);
  }
  return events;
}

function phases(events: Event<object>[]): Phase[] {
  return events.map((e) => e.phase);
}

function withTable(options: Parameters<typeof connect>[1] = {}): Connection {
  const conn = connect(tmp.file(), { autocommit: true, ...options });
  conn.execute('CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, qty INTEGER)');
  conn.executeMany(
    'INSERT INTO items VALUES (?, ?, ?)',
    [1, 2, 3, 4, 5].map((i) => [i, `item${i}`, i * 10]),
  );
  return conn;
}

describe('modelvault:query', () => {
  test('a SELECT: start, end with the plan, asyncEnd with the rows once the result is read; no parameters', () => {
    const conn = withTable();
    const secret = 'hunter2-secret';
    let rows: unknown[] = [];
    const events = record<QueryTraceContext>('query', () => {
      rows = conn.execute('SELECT id, name FROM items WHERE id >= ? OR name = ?', [3, secret]).fetchAll();
    });
    expect(rows).toHaveLength(3);
    expect(phases(events)).toEqual(['start', 'end', 'asyncStart', 'asyncEnd']);
    const [start, end, , done] = events;
    expect(start.ctx.sql).toBe('SELECT id, name FROM items WHERE id >= ? OR name = ?');
    expect(end.ctx.statement).toBe('select');
    expect(end.ctx.streaming).toBe(true);
    expect(end.ctx.rows).toBeNull();
    expect(end.ctx.plan).toMatch(/^Project > /);
    expect(end.ctx.plan).toContain('items');
    expect(done.ctx.rows).toBe(3);
    expect(done.ctx.complete).toBe(true);
    expect(done.same).toBe(start.same);
    for (const e of events) {
      expect('params' in e.ctx).toBe(false);
      expect(JSON.stringify(e.ctx)).not.toContain(secret);
    }
    conn.close();
  });

  test('a primary-key lookup is summarized by its plan node kinds', () => {
    const conn = withTable();
    const events = record<QueryTraceContext>('query', () => {
      expect(conn.execute('SELECT * FROM items WHERE id = ?', [2]).fetchOne()).toEqual([2, 'item2', 20]);
    });
    const end = events.find((e) => e.phase === 'end');
    expect(end?.ctx.plan).toBe('Project > PrimaryKeyLookup items');
    conn.close();
  });

  test('traceParams: true puts the parameters in the context', () => {
    const conn = withTable({ traceParams: true });
    const events = record<QueryTraceContext>('query', () => {
      conn.execute('SELECT * FROM items WHERE id = ?', [4]).fetchAll();
    });
    expect(events[0].ctx.params).toEqual([4]);
    conn.close();
  });

  test('DML reports rows changed at end; executeMany traces each parameter set', () => {
    const conn = withTable();
    const update = record<QueryTraceContext>('query', () => {
      expect(conn.execute('UPDATE items SET qty = qty + 1 WHERE id <= ?', [3]).rowCount).toBe(3);
    });
    expect(phases(update)).toEqual(['start', 'end']);
    expect(update[1].ctx).toMatchObject({
      statement: 'update',
      rowsChanged: 3,
      streaming: false,
      complete: true,
    });
    const many = record<QueryTraceContext>('query', () => {
      conn.executeMany('DELETE FROM items WHERE id = ?', [[1], [2], [99]]);
    });
    const ends = many.filter((e) => e.phase === 'end').map((e) => e.ctx.rowsChanged);
    expect(ends).toEqual([1, 1, 0]);
    conn.close();
  });

  test('a statement that fails: error then end, with the error in the context', () => {
    const conn = withTable();
    const missing = record<QueryTraceContext>('query', () => {
      expect(() => conn.execute('SELECT * FROM nope')).toThrow(ProgrammingError);
    });
    expect(phases(missing)).toEqual(['start', 'error', 'end']);
    expect(missing[1].ctx.error).toBeInstanceOf(ProgrammingError);
    expect(missing[1].ctx.sql).toBe('SELECT * FROM nope');

    const duplicate = record<QueryTraceContext>('query', () => {
      expect(() => conn.execute('INSERT INTO items VALUES (?, ?, ?)', [1, 'again', 0])).toThrow(
        IntegrityError,
      );
    });
    expect(phases(duplicate)).toEqual(['start', 'error', 'end']);
    expect(duplicate[1].ctx.statement).toBe('insert');
    expect(duplicate[1].ctx.error).toBeInstanceOf(IntegrityError);
    conn.close();
  });

  test('an error while fetching ends the trace with an error event and the rows fetched so far', () => {
    const conn = connect(':memory:', { autocommit: true });
    conn.execute('CREATE TABLE docs (id INTEGER PRIMARY KEY, body TEXT)');
    conn.executeMany('INSERT INTO docs VALUES (?, ?)', [
      [1, '{"a":1}'],
      [2, '{not json'],
    ]);
    const cur = conn.cursor();
    const events = record<QueryTraceContext>('query', () => {
      cur.execute("SELECT json_extract(body, '$.a') FROM docs ORDER BY id");
      expect(cur.fetchOne()).toEqual([1]);
      expect(() => cur.fetchOne()).toThrow(DataError);
    });
    expect(phases(events)).toEqual(['start', 'end', 'error', 'asyncStart', 'asyncEnd']);
    const last = events[events.length - 1].ctx;
    expect(last.error).toBeInstanceOf(DataError);
    expect(last.rows).toBe(1);
    expect(last.complete).toBe(false);
    conn.close();
  });

  test('a result abandoned by close() or a new execute() ends with complete: false', () => {
    const conn = withTable();
    const cur = conn.cursor();
    const events = record<QueryTraceContext>('query', () => {
      cur.execute('SELECT id FROM items ORDER BY id');
      cur.fetchMany(2);
      cur.execute('SELECT count(*) FROM items');
      cur.close();
    });
    const ends = events
      .filter((e) => e.phase === 'asyncEnd')
      .map((e) => [e.ctx.sql, e.ctx.rows, e.ctx.complete]);
    expect(ends).toEqual([
      ['SELECT id FROM items ORDER BY id', 2, false],
      ['SELECT count(*) FROM items', 0, false],
    ]);
    conn.close();
  });

  test('typed queries: all, first, count and aggregate, complete at end', () => {
    const conn = withTable();
    const items = conn.database.collection('items');
    const events = record<QueryTraceContext>('query', () => {
      expect(items.where('qty', '>', 20).all()).toHaveLength(3);
      expect(items.where('id', 2).first()).toEqual({ id: 2, name: 'item2', qty: 20 });
      expect(items.count()).toBe(5);
      expect(items.aggregate({ total: { fn: 'sum', path: 'qty' } })).toEqual([{ total: 150 }]);
    });
    const ends = events.filter((e) => e.phase === 'end').map((e) => e.ctx);
    expect(ends.map((c) => [c.statement, c.rows])).toEqual([
      ['all', 3],
      ['first', 1],
      ['count', 1],
      ['aggregate', 1],
    ]);
    for (const c of ends) {
      expect(c).toMatchObject({ sql: null, collection: 'items', streaming: false, complete: true });
    }
    expect(ends[1].plan).toContain('PrimaryKeyLookup items');
    const stale = items.where('id', 1);
    conn.execute('DROP TABLE items');
    const failed = record<QueryTraceContext>('query', () => {
      expect(() => stale.all()).toThrow(QueryError);
    });
    expect(phases(failed)).toEqual(['start', 'error', 'end']);
    conn.close();
  });

  test('with nobody subscribed nothing is published and the channel reports no subscribers', () => {
    expect(channels.query.hasSubscribers).toBe(false);
    const conn = withTable();
    const seen: unknown[] = [];
    const onStart = (m: unknown): void => {
      seen.push(m);
    };
    // Only a start subscriber: still counts as subscribed, so statements are traced.
    diagnostics.channel('tracing:modelvault:query:start').subscribe(onStart);
    expect(channels.query.hasSubscribers).toBe(true);
    conn.execute('SELECT 1').fetchAll();
    diagnostics.channel('tracing:modelvault:query:start').unsubscribe(onStart);
    conn.execute('SELECT 2').fetchAll();
    expect(seen).toHaveLength(1);
    conn.close();
  });
});

describe('modelvault:commit and modelvault:checkpoint', () => {
  test('commit() publishes the transaction id, bytes and frames written', () => {
    const path = tmp.file();
    const conn = connect(path);
    conn.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
    conn.commit();
    conn.execute('INSERT INTO t VALUES (1, ?)', ['x'.repeat(100)]);
    conn.execute('INSERT INTO t VALUES (2, ?)', ['y']);
    const before = conn.database.storage.fileSize;
    const events = record<CommitTraceContext>('commit', () => conn.commit());
    expect(phases(events)).toEqual(['start', 'end']);
    const end = events[1].ctx;
    expect(end.path).toBe(fs.realpathSync(path));
    expect(end.txnId).toBe(conn.database.storage.lastCommittedTxnId);
    expect(end.bytes).toBe(conn.database.storage.fileSize - before);
    expect(end.bytes).toBeGreaterThan(100);
    expect(end.frames).toBe(3); // two rows and the commit frame
    conn.close();
  });

  test('checkpoint() publishes the log bytes it covers and the checkpoint size', () => {
    const sql = connect(tmp.file(), { autocommit: true, checkpointEveryBytes: 0 });
    const db = sql.database;
    sql.execute('CREATE TABLE t (id INTEGER PRIMARY KEY)');
    sql.execute('INSERT INTO t VALUES (1), (2), (3)');
    const log = db.storage.logBytesSinceCheckpoint;
    const events = record<CheckpointTraceContext>('checkpoint', () => db.checkpoint());
    expect(phases(events)).toEqual(['start', 'end']);
    expect(events[1].ctx).toMatchObject({ txnId: db.storage.lastCommittedTxnId, logBytes: log });
    expect(events[1].ctx.bytes).toBeGreaterThan(0);
    expect(db.storage.logBytesSinceCheckpoint).toBe(0);
    sql.close();
  });

  test('a refused checkpoint (inside a transaction) publishes an error', () => {
    const conn = withTable({ autocommit: false });
    conn.execute('INSERT INTO items VALUES (10, ?, 0)', ['x']);
    const events = record<CheckpointTraceContext>('checkpoint', () => {
      // Database.checkpoint() refuses before the engine starts (nothing published); the engine's
      // own refusal is what an automatic or CLI checkpoint would meet.
      expect(() => conn.database.checkpoint()).toThrow(TransactionError);
      expect(() => conn.database.storage.checkpoint()).toThrow(TransactionError);
    });
    expect(phases(events)).toEqual(['start', 'error', 'end']);
    expect(events[1].ctx.error).toBeInstanceOf(TransactionError);
    conn.close();
  });
});

describe('modelvault:compact', () => {
  test('compact() in place and compactTo(): sizes before and after; the copy itself is not traced', () => {
    const conn = withTable();
    conn.execute('DELETE FROM items WHERE id > 1');
    const db = conn.database;
    const opens: Event<OpenTraceContext>[] = [];
    const commits: Event<CommitTraceContext>[] = [];
    const events = record<CompactTraceContext>('compact', () => {
      opens.push(
        ...record<OpenTraceContext>('open', () => {
          commits.push(...record<CommitTraceContext>('commit', () => db.compact()));
        }),
      );
    });
    expect(opens).toEqual([]);
    expect(commits).toEqual([]);
    expect(phases(events)).toEqual(['start', 'end']);
    const end = events[1].ctx;
    expect(end).toMatchObject({ mode: 'inPlace', dest: null, path: db.storage.path });
    expect(end.bytesAfter as number).toBeLessThan(end.bytesBefore);

    const dest = tmp.file();
    const copy = record<CompactTraceContext>('compact', () => db.compactTo(dest));
    expect(copy[1].ctx).toMatchObject({ mode: 'file', dest: fs.realpathSync(dest) });
    expect(copy[1].ctx.bytesAfter).toBeGreaterThan(0);
    const bytes = record<CompactTraceContext>('compact', () => db.snapshotBytes());
    expect(bytes[1].ctx).toMatchObject({ mode: 'bytes', dest: null });
    conn.close();
  });
});

describe('modelvault:open', () => {
  test('opening a file publishes its path, size and recovery summary', () => {
    const path = tmp.file();
    const first = Database.open(path);
    first.close();
    let db: Database | null = null;
    const events = record<OpenTraceContext>('open', () => {
      db = Database.open(path);
    });
    expect(phases(events)).toEqual(['start', 'end']);
    const end = events[1].ctx;
    expect(end).toMatchObject({ path: fs.realpathSync(path), readOnly: false, lastTxnId: 0 });
    expect(end.bytes).toBeGreaterThan(0);
    expect(end.recovery).toEqual({
      usedCheckpoint: false,
      truncatedFrom: null,
      reason: null,
      committedAfter: null,
      rebuiltIndexes: 0,
      rejectedSuperblocks: 0,
    });
    (db as unknown as Database).close();
  });

  test('a torn tail shows in the recovery summary', () => {
    const path = tmp.file();
    const conn = connect(path, { autocommit: true });
    conn.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
    conn.execute('INSERT INTO t VALUES (1, ?)', ['a'.repeat(500)]);
    const good = conn.database.storage.fileSize;
    conn.execute('INSERT INTO t VALUES (2, ?)', ['b'.repeat(500)]);
    const full = conn.database.storage.fileSize;
    conn.close();
    // Cut the last transaction in half, as a crash during its write would.
    fs.truncateSync(path, good + Math.floor((full - good) / 2));
    const events = record<OpenTraceContext>('open', () => Database.open(path).close());
    const end = events.find((e) => e.phase === 'end');
    expect(end?.ctx.recovery?.truncatedFrom).toBe(good);
    expect(end?.ctx.recovery?.reason).toEqual(expect.any(String));
  });

  test('a file that is not a database: error event with a FormatError', () => {
    const path = tmp.file();
    fs.writeFileSync(path, 'this is not a database file at all, just some text');
    const events = record<OpenTraceContext>('open', () => {
      expect(() => Database.open(path, { readOnly: true })).toThrow(FormatError);
    });
    expect(phases(events)).toEqual(['start', 'error', 'end']);
    expect(events[1].ctx.error).toBeInstanceOf(FormatError);
    expect(events[1].ctx.readOnly).toBe(true);
  });
});
