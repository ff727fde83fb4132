/**
 * AsyncConnection: the DB-API connection (cursor/connection.ts) with promises. Its transaction
 * model is the sync one (autocommit off: the first DML/DDL opens a transaction that commit() or
 * rollback() ends); what changes is that an open transaction holds the database's write queue
 * across awaits, so other connections' writes wait for it (FIFO, busyTimeoutMs) instead of
 * interleaving with it — the `BEGIN; await …; INSERT; COMMIT` pattern stays one transaction.
 * Reads outside a transaction go to reader workers; inside one, to the writer (they see it).
 */
import { InterfaceError, OperationalError, TransactionError } from '../errors';
import { EnginePool, resultId } from './pool';
import type { WorkerHost } from './host';
import type { ExecReply } from './protocol';
import { AsyncCursor } from './cursor';
import type { StatementOptions } from './cursor';
import type { ResultRow } from '../../cursor/cursor';
import { checkAsyncConnectOptions, splitPoolOptions } from './options';
import type { AsyncConnectOptions } from './options';
import type { Release } from './write-queue';
import type { StatementControl } from './control';

interface ManyReply {
  rowCount: number;
  lastRowId: number | bigint | null;
  inTransaction: boolean;
}

/** Statements that only read: SELECT, VALUES and EXPLAIN (after comments). Anything else may write. */
function readsOnly(sql: string): boolean {
  let i = 0;
  for (;;) {
    while (i < sql.length && /\s/.test(sql[i])) i++;
    if (sql.startsWith('--', i)) {
      const nl = sql.indexOf('\n', i);
      if (nl < 0) return false;
      i = nl + 1;
    } else if (sql.startsWith('/*', i)) {
      const end = sql.indexOf('*/', i + 2);
      if (end < 0) return false;
      i = end + 2;
    } else break;
  }
  const word = /^[A-Za-z]+/.exec(sql.slice(i, i + 8))?.[0].toLowerCase();
  return word === 'select' || word === 'values' || word === 'explain';
}

/** Open an async connection to the database file at `path` (':memory:' for a private in-memory one). */
export async function connectAsync(path: string, options?: AsyncConnectOptions): Promise<AsyncConnection> {
  if (typeof path !== 'string' || path.length === 0)
    throw new InterfaceError('connectAsync: path must be a non-empty string', 'BAD_OPTION');
  const opts = checkAsyncConnectOptions(options);
  const { readers, busyTimeoutMs, rest } = splitPoolOptions(opts);
  const pool = EnginePool.forPath(path, readers, rest.readOnly === true);
  const h = await pool.open({ kind: 'conn', path, opts: rest, role: 'writer' });
  return new AsyncConnection(pool, h, busyTimeoutMs, rest.autocommit === true, rest.traceParams === true);
}

export class AsyncConnection {
  private closed = false;
  /** Held while this connection has a transaction open on the writer. */
  private held: { release: Release; generation: number } | null = null;
  /**
   * Set once a statement may have made a TEMP table: those live in this connection's handle on
   * the writer worker only (cursor/temp-schema.ts), so from then on reads go there too.
   */
  private temp = false;
  private readonly cursors = new Set<AsyncCursor<unknown>>();

  /** @internal Use connectAsync(). */
  constructor(
    private readonly pool: EnginePool,
    private readonly h: number,
    private readonly busyTimeoutMs: number,
    /** Fixed at connect time (the sync connection's setter is not mirrored). */
    readonly autocommit: boolean,
    /** @internal Query traces carry the parameters (the traceParams option). */
    readonly _traceParams = false,
  ) {}

  /** Whether this connection has a transaction open (it then holds the write queue). */
  get inTransaction(): boolean {
    return this.held !== null;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  cursor(): AsyncCursor {
    this._assertOpen();
    return new AsyncCursor(this);
  }

  /** Shortcut: a new cursor that has executed `sql`. */
  execute<R = ResultRow>(sql: string, params?: unknown, options?: StatementOptions): Promise<AsyncCursor<R>> {
    return this.cursor().execute<R>(sql, params, options);
  }

  /** Shortcut: a new cursor that has run executeMany. */
  executeMany(sql: string, seqOfParams: Iterable<unknown>, options?: StatementOptions): Promise<AsyncCursor> {
    return this.cursor().executeMany(sql, seqOfParams, options);
  }

  /** Commit the open transaction durably (fsync before it resolves); a no-op without one. */
  async commit(): Promise<void> {
    this._assertOpen();
    await this.end('connCommit');
  }

  /** Discard the open transaction; a no-op without one. */
  async rollback(): Promise<void> {
    this._assertOpen();
    await this.end('connRollback');
  }

  /**
   * Run `fn` in a transaction of this connection: BEGIN, then COMMIT when its promise resolves or
   * ROLLBACK when it rejects. A call while a transaction is open runs as a savepoint of it.
   */
  async transaction<T>(fn: (conn: AsyncConnection) => T | Promise<T>): Promise<T> {
    this._assertOpen();
    if (typeof fn !== 'function') throw new InterfaceError('transaction() needs a function', 'BAD_OPTION');
    if (this.held) {
      const name = `mv_async_${resultId()}`;
      await this.execute(`SAVEPOINT ${name}`);
      try {
        const result = await fn(this);
        await this.execute(`RELEASE ${name}`);
        return result;
      } catch (err) {
        if (this.held) await this.execute(`ROLLBACK TO ${name}`).catch(() => undefined);
        throw err;
      }
    }
    await this.execute('BEGIN');
    try {
      const result = await fn(this);
      await this.commit();
      return result;
    } catch (err) {
      await this.rollback().catch(() => undefined);
      throw err;
    }
  }

  /** Close every cursor with a result set left and roll back an open transaction; the last handle stops the workers. */
  async close(): Promise<void> {
    if (this.closed) return;
    for (const cur of [...this.cursors]) await cur.close();
    this.closed = true;
    const held = this.held;
    this.held = null;
    try {
      await this.pool.close(this.h);
    } finally {
      held?.release();
    }
  }

  /** @internal Tests: the pool behind this connection. */
  get _pool(): EnginePool {
    return this.pool;
  }

  // ───────────────────────── internals used by AsyncCursor ─────────────────────────

  /** @internal */
  _assertOpen(): void {
    if (this.closed) throw new InterfaceError('connection is closed', 'CLOSED');
  }

  /**
   * @internal Cursors with a request running or a result set left on a worker: the ones close()
   * must close and interrupt() must reach. Idle cursors are not held, so they can be collected.
   */
  _active(cur: AsyncCursor<unknown>, active: boolean): void {
    if (active) this.cursors.add(cur);
    else this.cursors.delete(cur);
  }

  /** @internal Run one statement where it belongs; see the module comment. */
  async _execute(
    sql: string,
    params: unknown,
    prefetch: number,
    ctl: StatementControl,
  ): Promise<{ reply: ExecReply; host: WorkerHost; generation: number; id: number }> {
    this._assertOpen();
    if (typeof sql !== 'string') throw new InterfaceError('SQL must be a string', 'INTERFACE');
    const id = resultId();
    if (!this.temp && /\btemp(orary)?\b/i.test(sql) && !readsOnly(sql)) this.temp = true;
    if (this.held) {
      const generation = this.pool.writer.generation;
      const reply = await this.inTransactionCall<ExecReply>(ctl, 'exec', id, sql, params, prefetch);
      return { reply, host: this.pool.writer, generation, id };
    }
    if (readsOnly(sql) && !this.temp) {
      // Until a reader thread is ready for this connection (the first reads of a pool), an idle
      // writer answers: outside this connection's own transaction it reads committed rows only,
      // as it does for a memory database; the reader starts meanwhile (pool.standInOnWriter).
      const where = this.pool.hasReaders && !this.pool.standInOnWriter(this.h) ? 'reader' : 'writer';
      const { host, result } = this.pool.statement<ExecReply>(
        where,
        ctl,
        this.h,
        'exec',
        id,
        sql,
        params,
        prefetch,
      );
      const generation = host.generation;
      return { reply: await result, host, generation, id };
    }
    const reply = await this.asWriter<ExecReply>(ctl, 'exec', id, sql, params, prefetch);
    return { reply, host: this.pool.writer, generation: this.pool.writer.generation, id };
  }

  /** @internal */
  _executeMany(sql: string, seq: unknown[], ctl: StatementControl): Promise<ManyReply> {
    this._assertOpen();
    if (this.held) return this.inTransactionCall<ManyReply>(ctl, 'execMany', resultId(), sql, seq);
    return this.asWriter<ManyReply>(ctl, 'execMany', resultId(), sql, seq);
  }

  /** Interrupt the statements of this connection that are running (OperationalError INTERRUPTED). */
  interrupt(): void {
    for (const cur of this.cursors) cur.cancel();
  }

  /** A statement outside a transaction that may write: wait for the write queue, keep it if a transaction opened. */
  private async asWriter<T extends { inTransaction: boolean }>(
    ctl: StatementControl,
    op: string,
    ...args: unknown[]
  ): Promise<T> {
    const release = await this.pool.queue.acquire(this.busyTimeoutMs);
    if (this.closed) {
      release();
      throw new InterfaceError('connection is closed', 'CLOSED');
    }
    let reply: T;
    try {
      reply = await this.pool.statement<T>('writer', ctl, this.h, op, ...args).result;
    } catch (err) {
      // Without autocommit a failed write may leave its transaction open: OR FAIL keeps the rows
      // it wrote before the failing one (docs/sql.md "Conflict resolution").
      const generation = this.pool.writer.generation;
      const open =
        !this.autocommit && (await this.pool.onWriter<boolean>(this.h, 'inTransaction').catch(() => false));
      if (open && !this.closed && !this.held && generation === this.pool.writer.generation)
        this.held = { release, generation };
      else release();
      throw err;
    }
    if (reply.inTransaction && !this.held) this.held = { release, generation: this.pool.writer.generation };
    else release();
    return reply;
  }

  private async inTransactionCall<T extends { inTransaction: boolean }>(
    ctl: StatementControl,
    op: string,
    ...args: unknown[]
  ): Promise<T> {
    const held = this.held;
    if (!held) throw new TransactionError('no transaction is open');
    if (held.generation !== this.pool.writer.generation) {
      this.held = null;
      held.release();
      throw new OperationalError(
        'the transaction was lost: the engine worker stopped while it was open (its writes were rolled back)',
        'WORKER_EXITED',
      );
    }
    let reply: T;
    try {
      reply = await this.pool.statement<T>('writer', ctl, this.h, op, ...args).result;
    } catch (err) {
      await this.syncHeld(held);
      throw err;
    }
    if (!reply.inTransaction && this.held === held) {
      // COMMIT, ROLLBACK or RELEASE of the outermost savepoint ended it.
      this.held = null;
      held.release();
    }
    return reply;
  }

  /** After a failed statement inside a transaction: release the queue if the transaction is gone. */
  private async syncHeld(held: { release: Release; generation: number }): Promise<void> {
    if (this.held !== held) return;
    let open = false;
    if (held.generation === this.pool.writer.generation)
      open = await this.pool.onWriter<boolean>(this.h, 'inTransaction').catch(() => false);
    if (!open) {
      this.held = null;
      held.release();
    }
  }

  private async end(op: 'connCommit' | 'connRollback'): Promise<void> {
    const held = this.held;
    if (!held) return;
    this.held = null;
    try {
      if (held.generation !== this.pool.writer.generation) {
        if (op === 'connCommit')
          throw new OperationalError(
            'the transaction was lost: the engine worker stopped while it was open (its writes were rolled back)',
            'WORKER_EXITED',
          );
        return;
      }
      await this.pool.onWriter(this.h, op);
    } finally {
      held.release();
    }
  }
}
