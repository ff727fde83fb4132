/**
 * Engine worker thread: owns Database/Connection handles and the result sets they opened, and
 * runs one request at a time in arrival order (so requests of one handle never interleave with
 * themselves). The main thread decides which worker gets what (src/async/pool.ts); this file only
 * executes. A writer worker opens handles writable; a reader worker opens them read-only and
 * refreshes (replays newly committed transactions) before every request, which is what makes a
 * read issued after a resolved commit see it.
 */
import '../startup/begin';
import { parentPort, workerData } from 'node:worker_threads';
import { Database } from '../database';
import { connect } from '../../cursor/connection';
import type { Connection } from '../../cursor/connection';
import type { Cursor } from '../../cursor/cursor';
import type { ConnectOptions } from '../../cursor/options';
import { LockDir } from '../../storage/lock-dir';
import { resolveRealPath } from '../../storage/lock';
import type { Query } from '../query';
import {
  InterfaceError,
  InternalError,
  ModelVaultError,
  OperationalError,
  ProgrammingError,
} from '../errors';
import { setInterruptCheck } from '../../planner/interrupt';
import { GROUPED_WRITES, toWireError } from './protocol';
import { beginCapture, endCapture } from './worker-trace';
import { WorkerChannel } from './channel';
import { COUNT, refreshGate } from './changes';
import type { Batch, ExecReply, GroupOutcome, Reply, Request } from './protocol';
import { checkSubset } from '../schema-versions';
import { batchLength, take } from './batch';
import '../startup/end';

export interface OpenSpec {
  kind: 'db' | 'conn';
  /** A file path, ':memory:', or ':snapshot:' (bytes given). */
  path: string;
  opts: ConnectOptions;
  role: 'writer' | 'reader';
  bytes?: Uint8Array;
}

interface Handle {
  db: Database;
  conn: Connection | null;
  role: 'writer' | 'reader';
  savepoints: Map<number, ReturnType<Database['storage']['savepoint']>>;
}

type Chain = [string, unknown[]][];

const handles = new Map<number, Handle>();
/** Open result sets: DB-API cursors and query iterators, by id the main thread chose. */
const cursors = new Map<number, Cursor | Iterator<unknown>>();
let nextSavepoint = 1;

const DB_METHODS = new Set([
  'registerCollection',
  'insert',
  'get',
  'delete',
  'collectionNames',
  'checkpoint',
  'compact',
  'compactTo',
  'exportSnapshot',
  'snapshotBytes',
  'planSchemaVersion',
  'registerSchemaVersion',
  'backfill',
  'rebuildIndexes',
  'schemaVersions',
]);
const QUERY_BUILDERS = new Set(['where', 'and', 'or', 'orderBy', 'limit', 'offset', 'select', 'groupBy']);
const QUERY_TERMINALS = new Set(['all', 'first', 'explain', 'count', 'aggregate']);

/**
 * Reader handles already refreshed for the message being run. Its requests were all issued in
 * one tick of the main thread, before any reply to them: one refresh (an fstat) serves them all.
 */
const refreshed = new Set<number>();

/** The pool's change counter (src/async/changes.ts); this thread bumps it if it is the writer. */
const shared = workerData as { changes?: Int32Array; bumps?: boolean } | null;
const changes = shared?.changes ?? null;
const bumps = shared?.bumps === true && changes !== null;

function handle(h: number): Handle {
  const found = handles.get(h);
  if (!found) throw new InterfaceError('database is closed', 'CLOSED');
  if (found.role === 'reader' && !refreshed.has(h)) {
    found.db.storage.refresh();
    refreshed.add(h);
  }
  return found;
}

function connOf(h: number): Connection {
  const c = handle(h).conn;
  if (!c) throw new InterfaceError('not a connection handle', 'INTERFACE');
  return c;
}

function open(h: number, spec: OpenSpec): { lockToken: string | null } {
  const reader = spec.role === 'reader';
  const opts: ConnectOptions = reader ? { ...spec.opts, readOnly: true, autocommit: true } : { ...spec.opts };
  let db: Database;
  let conn: Connection | null = null;
  if (spec.path === ':snapshot:') {
    db = Database.openSnapshotBytes(spec.bytes ?? new Uint8Array(0), {
      safeIntegers: opts.safeIntegers,
      cacheBytes: opts.cacheBytes,
    });
  } else if (spec.kind === 'conn') {
    conn = connect(spec.path, opts);
    db = conn.database;
  } else {
    const { autocommit: _a, rowMode: _r, statementCacheSize: _s, ...storage } = opts;
    db = Database.open(spec.path, storage);
  }
  // Handles of one file share an engine; its gate skips looks at the file while nothing changed.
  if (reader && changes && !db.storage.refreshGate) db.storage.refreshGate = refreshGate(changes);
  handles.set(h, { db, conn, role: spec.role, savepoints: new Map() });
  return { lockToken: reader || spec.path.startsWith(':') ? null : lockToken(spec.path) };
}

/** The token of this thread's writer lock, so the main thread can free it if this thread dies. */
function lockToken(path: string): string | null {
  const real = resolveRealPath(path);
  const found = LockDir.holder(`${real}.lock`);
  return found && found.owner.pid === process.pid ? found.owner.token : null;
}

function runQuery(h: number, name: string, chain: Chain): Query {
  let q = handle(h).db.collection(name);
  for (const [method, args] of chain) {
    if (!QUERY_BUILDERS.has(method)) throw new ProgrammingError(`no query method ${method}`, 'PROGRAMMING');
    q = (q as unknown as Record<string, (...a: unknown[]) => Query>)[method](...args);
  }
  return q;
}

function exec(h: number, cid: number, sql: string, params: unknown, prefetch: number): ExecReply {
  const conn = connOf(h);
  let cur = cursors.get(cid) as Cursor | undefined;
  if (!cur) {
    cur = conn.cursor();
    cursors.set(cid, cur);
  }
  try {
    cur.execute(sql, params);
  } catch (err) {
    cursors.delete(cid);
    cur.close();
    throw err;
  }
  const hasRows = cur.state === 'rows';
  // Before the read-ahead: exhausting a SELECT there would turn its -1 into the rows fetched.
  const rowCount = cur.rowCount;
  let batch: Batch = { rows: [], done: !hasRows };
  try {
    if (hasRows && prefetch !== 0) batch = take(cur, prefetch);
  } catch (err) {
    cursors.delete(cid);
    cur.close();
    // To the caller this is still execute() failing: say which statement, as execute() would.
    if (err instanceof ModelVaultError && err.sql === undefined)
      Object.defineProperty(err, 'sql', { value: sql });
    throw err;
  }
  // Fields listed one by one: spreading `batch` here cost ~5 µs a statement (V8 took its slow
  // object-clone path), more than the point get it carries (docs/async.md "Measurements").
  const reply: ExecReply = {
    rows: batch.rows,
    done: batch.done,
    hasRows,
    description: cur.description,
    rowCount,
    lastRowId: cur.lastRowId,
    schemaPlan: cur.schemaPlan,
    inTransaction: conn.inTransaction,
  };
  // Nothing more to fetch: the main thread never asks again for this id.
  if (batch.done) {
    cursors.delete(cid);
    cur.close();
  }
  return reply;
}

const ops: Record<string, (...args: never[]) => unknown> = {
  open: (h: number, spec: OpenSpec) => open(h, spec),
  close(h: number) {
    const found = handles.get(h);
    handles.delete(h);
    if (found?.conn) found.conn.close();
    else found?.db.close();
  },
  db(h: number, method: string, args: unknown[]) {
    // A subset model's check (AsyncDatabase.register with { subset: true }), against this handle's catalog.
    if (method === 'checkSubset') {
      const d = args[0] as Parameters<typeof checkSubset>[1];
      return checkSubset(handle(h).db.visibleCollection(d.name)?.meta.schema, d);
    }
    if (!DB_METHODS.has(method)) throw new ProgrammingError(`no database method ${method}`, 'PROGRAMMING');
    const db = handle(h).db as unknown as Record<string, (...a: unknown[]) => unknown>;
    const value = db[method](...args);
    // A snapshot is a fresh buffer nobody here keeps: move its memory instead of copying it.
    if (method === 'snapshotBytes' && value instanceof Uint8Array) transferable(value);
    return value;
  },
  /**
   * Group commit (AsyncDatabase.write): autocommit writes that waited for the write queue together
   * run in one transaction, each in a savepoint of its own, so a write that fails is undone alone
   * and fails alone; one commit (one fsync) makes the rest durable, and no reply leaves before it.
   * When that commit fails, every write of the group fails with its error: none is durable.
   */
  dbGroup(h: number, items: [string, unknown[]][]): GroupOutcome[] {
    const db = handle(h).db;
    if (db.inTransaction) throw new InternalError('a write group found a transaction open', 'INTERNAL');
    for (const [method] of items)
      if (!GROUPED_WRITES.has(method))
        throw new ProgrammingError(`no grouped method ${method}`, 'PROGRAMMING');
    const outcomes: GroupOutcome[] = [];
    const calls = db as unknown as Record<string, (...a: unknown[]) => unknown>;
    try {
      db.transaction(() => {
        for (const [method, args] of items) {
          try {
            outcomes.push({ ok: true, value: db.transaction(() => calls[method](...args)) });
          } catch (err) {
            outcomes.push({ ok: false, error: toWireError(err) });
          }
        }
      });
    } catch (err) {
      const error = toWireError(err);
      return items.map(() => ({ ok: false, error }));
    }
    return outcomes;
  },
  query(h: number, name: string, chain: Chain, terminal: string, targs: unknown[]) {
    if (!QUERY_TERMINALS.has(terminal))
      throw new ProgrammingError(`no query method ${terminal}`, 'PROGRAMMING');
    const q = runQuery(h, name, chain) as unknown as Record<string, (...a: unknown[]) => unknown>;
    return q[terminal](...targs);
  },
  /**
   * A terminal that returns rows (all, aggregate), run to its end here as the sync builder runs
   * it; the rows go back at most `n` and about BATCH_BYTES at a time (the rest is fetched like a
   * result set), so the main thread never decodes a huge reply at once.
   */
  queryRows(
    h: number,
    cid: number,
    name: string,
    chain: Chain,
    terminal: string,
    targs: unknown[],
    n: number,
  ): Batch {
    if (terminal !== 'all' && terminal !== 'aggregate')
      throw new ProgrammingError(`no query method ${terminal}`, 'PROGRAMMING');
    const q = runQuery(h, name, chain) as unknown as Record<string, (...a: unknown[]) => unknown[]>;
    const rows = q[terminal](...targs);
    const first = batchLength(rows, n);
    if (first === rows.length) return { rows, done: true };
    const rest = rows.values();
    for (let i = 0; i < first; i++) rest.next();
    cursors.set(cid, rest);
    return { rows: rows.slice(0, first), done: false };
  },
  queryOpen(h: number, cid: number, name: string, chain: Chain, n: number): Batch {
    const it = runQuery(h, name, chain).iterate();
    const batch = take(it, n);
    if (!batch.done) cursors.set(cid, it);
    return batch;
  },
  begin: (h: number) => handle(h).db.begin(),
  commit: (h: number) => handle(h).db.commit(),
  rollback: (h: number) => handle(h).db.rollback(),
  savepoint(h: number) {
    const hd = handle(h);
    const id = nextSavepoint++;
    hd.savepoints.set(id, hd.db.storage.savepoint());
    return id;
  },
  rollbackTo(h: number, id: number) {
    const hd = handle(h);
    const sp = hd.savepoints.get(id);
    hd.savepoints.delete(id);
    if (sp && hd.db.storage.inTransaction) hd.db.storage.rollbackTo(sp);
  },
  dropSavepoint: (h: number, id: number) => void handle(h).savepoints.delete(id),
  exec: (h: number, cid: number, sql: string, params: unknown, prefetch: number) =>
    exec(h, cid, sql, params, prefetch),
  execMany(h: number, cid: number, sql: string, seq: unknown[]) {
    const conn = connOf(h);
    let cur = cursors.get(cid) as Cursor | undefined;
    if (!cur) {
      cur = conn.cursor();
      cursors.set(cid, cur);
    }
    try {
      cur.executeMany(sql, seq);
      return { rowCount: cur.rowCount, lastRowId: cur.lastRowId, inTransaction: conn.inTransaction };
    } finally {
      cursors.delete(cid);
      cur.close();
    }
  },
  fetch(cid: number, n: number): Batch {
    const source = cursors.get(cid);
    if (!source) return { rows: [], done: true };
    const batch = take(source as Cursor, n);
    if (batch.done) {
      cursors.delete(cid);
      if ('close' in source) source.close();
    }
    return batch;
  },
  closeCursor(cid: number) {
    const source = cursors.get(cid);
    cursors.delete(cid);
    if (source && 'close' in source) source.close();
    else (source as Iterator<unknown> | undefined)?.return?.();
  },
  connCommit: (h: number) => connOf(h).commit(),
  connRollback: (h: number) => connOf(h).rollback(),
  inTransaction: (h: number) => handle(h).conn?.inTransaction ?? handle(h).db.inTransaction,
  restoreSnapshot: (src: string, dest: string) => Database.restoreSnapshot(src, dest),
  /** Test and bench hook: keep this thread busy for `ms` (a stand-in for a long statement). */
  spin(ms: number) {
    const end = Date.now() + ms;
    while (Date.now() < end);
  },
  /** Test hook: die the way an uncaught bug would. */
  crash() {
    setImmediate(() => {
      throw new Error('engine worker crashed (test hook)');
    });
  },
};

/** Memory the replies being built may move to the main thread instead of copying. */
let transfers: ArrayBuffer[] = [];

function transferable(bytes: Uint8Array): void {
  const buf = bytes.buffer;
  // Only a buffer the value owns whole (not a slice of Node's pool or of a shared one).
  if (buf instanceof ArrayBuffer && bytes.byteOffset === 0 && bytes.byteLength === buf.byteLength)
    transfers.push(buf);
}

/** The request running now and its statement deadline, for the interrupt check. */
let running = 0;
let deadline = 0;
const interrupts = (workerData as { interrupts?: Int32Array } | null)?.interrupts;
if (interrupts) {
  setInterruptCheck(() => {
    if (Atomics.load(interrupts, 0) === running)
      throw new OperationalError('statement interrupted', 'INTERRUPTED');
    if (deadline > 0 && Date.now() > deadline)
      throw new OperationalError('statement interrupted: its time limit (timeoutMs) passed', 'INTERRUPTED');
  });
}

const port = parentPort;
const channelBuffer = (workerData as { channel?: SharedArrayBuffer } | null)?.channel;
if (port) {
  const run = (req: Request): Reply => {
    running = req.id;
    deadline = req.deadline ?? 0;
    beginCapture(req.trace === true);
    let reply: Reply;
    try {
      const fn = ops[req.op] as ((...a: unknown[]) => unknown) | undefined;
      if (!fn) throw new InterfaceError(`unknown worker request ${req.op}`, 'INTERFACE');
      reply = { id: req.id, ok: true, value: fn(...req.args) };
    } catch (err) {
      reply = { id: req.id, ok: false, error: toWireError(err) };
    }
    // Before the reply leaves: a read issued after it must see whatever this request committed.
    if (bumps) Atomics.add(changes, COUNT, 1);
    const trace = endCapture();
    if (trace) reply.trace = trace;
    return reply;
  };
  const send = (replies: Reply[]): void => {
    const moved = transfers;
    transfers = [];
    try {
      port.postMessage(replies.length === 1 ? replies[0] : replies, moved);
    } catch {
      // A value structured cloning cannot carry (a function in a row, say): report it for the
      // request it belongs to, do not die.
      for (const reply of replies) {
        try {
          port.postMessage(reply);
        } catch (err) {
          port.postMessage({ id: reply.id, ok: false, error: toWireError(err) });
        }
      }
    }
  };
  // Between messages the thread parks on the shared-memory channel (src/async/channel.ts): it
  // serves the requests written there and comes back to the event loop when a message is posted.
  // Nothing else may need this thread's event loop: a parked worker runs no timers or callbacks.
  const channel = channelBuffer ? new WorkerChannel(channelBuffer) : null;
  const fast = (req: Request): Reply | null => {
    refreshed.clear();
    const reply = run(req);
    // Moved memory (a snapshot) only travels by message.
    if (transfers.length === 0) return reply;
    send([reply]);
    return null;
  };
  const post = (reply: Reply): void => send([reply]);
  let parking = false;
  const park = (): void => {
    parking = false;
    channel?.park(fast, post);
  };
  const parkSoon = (): void => {
    if (channel && !parking) {
      parking = true;
      setImmediate(park);
    }
  };
  parkSoon();
  // Requests issued in the same tick on the main thread arrive as one array; their replies go back
  // together, except that a long request does not hold back the replies of the ones before it.
  const receive = (msg: Request | Request[]): void => {
    refreshed.clear();
    if (!Array.isArray(msg)) return send([run(msg)]);
    let replies: Reply[] = [];
    let since = Date.now();
    for (const req of msg) {
      replies.push(run(req));
      if (Date.now() - since >= 2) {
        send(replies);
        replies = [];
        since = Date.now();
      }
    }
    if (replies.length > 0) send(replies);
  };
  port.on('message', (msg: Request | Request[]) => {
    channel?.countMessage();
    // A request waiting in the channel was issued before this message: it runs first.
    channel?.serveWaiting(fast, post);
    receive(msg);
    // After the requests ran: what they scheduled on this thread's event loop (the crash test
    // hook's setImmediate) runs before the thread parks again.
    parkSoon();
  });
}
