/**
 * AsyncDatabase: the typed collection API (src/database.ts) with promises, its engine in worker
 * threads (src/async/pool.ts). Writes go to the writer worker through the pool's write queue;
 * reads outside a transaction go to reader workers (live read-only readers of the file), which
 * see every commit that resolved before the read was issued. `transaction(fn)` holds the write
 * queue across any number of awaits: other writers wait (FIFO, busyTimeoutMs), and what `fn` does
 * through its `tx` commits when `fn`'s promise resolves and rolls back when it rejects.
 */
import { InterfaceError, OperationalError, SchemaError, TransactionError } from '../errors';
import type { FieldDescriptor, IndexDescriptor } from '../../storage/schema/descriptors';
import type { CollectionOptions, InsertOptions, RegisteredCollection } from '../database';
import { Model } from '../models/model';
import type { AnyModel } from '../models/model';
import type { SchemaPlan, SchemaVersionInfo, SchemaVersionInput } from '../schema-versions';
import { AsyncModelCollection } from './models';
import { EnginePool } from './pool';
import { WorkerHost } from './host';
import { GROUPED_WRITES, fromWireError, restoreBuffers } from './protocol';
import type { GroupOutcome } from './protocol';
import { tracing } from './trace';
import { AsyncQuery } from './query';
import type { Runner } from './query';
import { checkAsyncOpenOptions, splitPoolOptions } from './options';
import type { AsyncOpenOptions } from './options';
import type { Release } from './write-queue';
import type { StatementControl } from './control';

type Row = Record<string, unknown>;

function versionInput(next: SchemaVersionInput | AnyModel): SchemaVersionInput {
  return next instanceof Model ? next.descriptor : next;
}

function lost(): OperationalError {
  return new OperationalError(
    'the transaction was lost: the engine worker stopped while it was open (its writes were rolled back)',
    'WORKER_EXITED',
  );
}

/** Most writes one group commit carries. */
const MAX_GROUP = 256;

/** A write waiting in the queue, and how to settle its promise when another write's group ran it. */
interface GroupItem {
  method: string;
  args: unknown[];
  settle: { resolve(v: unknown): void; reject(e: unknown): void };
}

export class AsyncDatabase {
  private closed = false;
  /** The write queue held by begin() (until commit/rollback), and the writer generation it began on. */
  private explicit: { release: Release; generation: number } | null = null;
  /** Open transaction(fn) scopes of this handle. */
  private scopes = 0;
  /** Queries of this handle (and of its transactions) that are running: what interrupt() stops. */
  private readonly live = new Set<StatementControl>();

  private constructor(
    private readonly pool: EnginePool,
    private readonly h: number,
    private readonly busyTimeoutMs: number,
  ) {}

  /** Open (creating if needed) the database file at `path`; ':memory:' opens a private in-memory one. */
  static async open(path: string, options?: AsyncOpenOptions): Promise<AsyncDatabase> {
    if (typeof path !== 'string' || path.length === 0)
      throw new InterfaceError('AsyncDatabase.open: path must be a non-empty string', 'BAD_OPTION');
    const opts = checkAsyncOpenOptions('AsyncDatabase.open', options);
    const { readers, busyTimeoutMs, rest } = splitPoolOptions(opts);
    const memory = path === ':memory:';
    const pool = EnginePool.forPath(path, readers, rest.readOnly === true);
    const h = await pool.open({ kind: 'db', path: memory ? ':memory:' : path, opts: rest, role: 'writer' });
    return new AsyncDatabase(pool, h, busyTimeoutMs);
  }

  /** A private in-memory database, run by one worker. */
  static openInMemory(
    options?: Omit<AsyncOpenOptions, 'readOnly' | 'lockStaleMs' | 'readers'>,
  ): Promise<AsyncDatabase> {
    return AsyncDatabase.open(':memory:', options);
  }

  /** An in-memory database from snapshotBytes() (verified strictly), run by one worker. */
  static async openSnapshotBytes(
    bytes: Uint8Array,
    options?: Omit<AsyncOpenOptions, 'readOnly' | 'lockStaleMs' | 'recovery' | 'readers'>,
  ): Promise<AsyncDatabase> {
    if (!(bytes instanceof Uint8Array))
      throw new InterfaceError('openSnapshotBytes needs a Buffer or Uint8Array', 'BAD_OPTION');
    const opts = checkAsyncOpenOptions('AsyncDatabase.openSnapshotBytes', options);
    const { busyTimeoutMs, rest } = splitPoolOptions(opts);
    const pool = EnginePool.forPath(':snapshot:', 0, false);
    const h = await pool.open({ kind: 'db', path: ':snapshot:', opts: rest, role: 'writer', bytes });
    return new AsyncDatabase(pool, h, busyTimeoutMs);
  }

  /** Database.restoreSnapshot, run off the main thread. */
  static async restoreSnapshot(src: string, dest: string): Promise<void> {
    const host = new WorkerHost('modelvault-restore');
    try {
      await host.call('restoreSnapshot', src, dest);
    } finally {
      await host.close();
    }
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /** Whether this handle has a transaction open (begin() or a running transaction(fn)). */
  get inTransaction(): boolean {
    return this.explicit !== null || this.scopes > 0;
  }

  registerCollection(
    name: string,
    fields: readonly FieldDescriptor[],
    primaryKey: string | readonly string[],
    indexes: readonly IndexDescriptor[] = [],
    options: CollectionOptions = {},
  ): Promise<RegisteredCollection> {
    return this.write('registerCollection', [name, fields, primaryKey, indexes, options]);
  }

  /** See Database.insert; `{ onConflict: 'abort' }` refuses an existing key. */
  insert(name: string, row: Row, options?: InsertOptions): Promise<'inserted' | 'replaced'> {
    return this.write('insert', options === undefined ? [name, row] : [name, row, options]);
  }

  /**
   * A typed collection for model `m` (see docs/models.md): registers its collection and returns
   * the async typed API. Subset models are not supported here yet (NotSupportedError).
   */
  async register<M extends AnyModel>(m: M, options?: { subset?: boolean }): Promise<AsyncModelCollection<M>> {
    if (!(m instanceof Model))
      throw new InterfaceError('register() needs a model from model() or fromZod()', 'BAD_OPTION');
    const d = m.descriptor;
    if (options?.subset === true) {
      await this.read('checkSubset', [{ name: d.name, fields: d.fields, primaryKey: d.primaryKey }]);
      return new AsyncModelCollection(this, m, { subset: true });
    }
    try {
      await this.registerCollection(d.name, d.fields, d.primaryKey, d.indexes);
    } catch (err) {
      if (!(err instanceof SchemaError) || err.code !== 'SCHEMA') throw err;
      const plan = await this.planSchemaVersion(d.name, m).catch(() => null);
      if (!plan) throw err;
      const diff = plan.steps.map((s) => `${s.kind} ${s.target} (${s.classification})`).join(', ');
      throw new SchemaError(
        `model ${d.name} does not match the stored collection: ${diff}; schema version ${plan.fromVersion}; plan and apply a schema version`,
        'SCHEMA',
        { cause: err },
      );
    }
    return new AsyncModelCollection(this, m);
  }

  /** See Database.planSchemaVersion and docs/migrations.md. */
  planSchemaVersion(name: string, next: SchemaVersionInput | AnyModel): Promise<SchemaPlan> {
    return this.read('planSchemaVersion', [name, versionInput(next)]);
  }

  /** See Database.registerSchemaVersion and docs/migrations.md. */
  registerSchemaVersion(
    name: string,
    next: SchemaVersionInput | AnyModel,
    options?: { force?: boolean },
  ): Promise<SchemaPlan & { schemaVersion: number }> {
    return this.write('registerSchemaVersion', [name, versionInput(next), options ?? {}]);
  }

  /**
   * See Database.backfill. The value crosses to the engine worker, so it must be a plain value
   * (a function or an onProgress callback cannot: InterfaceError); `batchSize` is honoured.
   */
  backfill(
    name: string,
    path: string | readonly string[],
    value: unknown,
    options?: { batchSize?: number },
  ): Promise<number> {
    if (typeof value === 'function')
      return Promise.reject(
        new InterfaceError('AsyncDatabase.backfill takes a value, not a function', 'BAD_OPTION'),
      );
    if (options && 'onProgress' in options)
      return Promise.reject(
        new InterfaceError('AsyncDatabase.backfill has no onProgress callback', 'BAD_OPTION'),
      );
    return this.write('backfill', [name, path, value, { batchSize: options?.batchSize }]);
  }

  /** See Database.rebuildIndexes. */
  rebuildIndexes(name: string): Promise<number> {
    return this.write('rebuildIndexes', [name]);
  }

  /** See Database.schemaVersions and docs/migrations.md. */
  schemaVersions(name: string): Promise<SchemaVersionInfo[]> {
    return this.read('schemaVersions', [name]);
  }

  delete(name: string, pk: unknown): Promise<boolean> {
    return this.write('delete', [name, pk]);
  }

  get(name: string, pk: unknown): Promise<Row | null> {
    return this.read('get', [name, pk]);
  }

  collectionNames(): Promise<string[]> {
    return this.read('collectionNames', []);
  }

  /** A query builder over collection `name`; reads the committed state (or this handle's begin() transaction). */
  collection(name: string): AsyncQuery {
    this.assertOpen();
    return new AsyncQuery(this.readRunner(), name, [], this.live);
  }

  /**
   * Stop the queries of this handle and of its transactions that are running now, including an
   * iteration between two batches: they fail with OperationalError INTERRUPTED. Queries started
   * afterwards run normally; the handle stays usable.
   */
  interrupt(): void {
    for (const ctl of this.live) ctl.stop();
  }

  checkpoint(): Promise<void> {
    return this.write('checkpoint', []);
  }

  compact(): Promise<void> {
    return this.write('compact', []);
  }

  compactTo(dest: string): Promise<void> {
    return this.write('compactTo', [dest]);
  }

  exportSnapshot(dest: string): Promise<void> {
    return this.write('exportSnapshot', [dest]);
  }

  snapshotBytes(): Promise<Buffer> {
    return this.write('snapshotBytes', []);
  }

  /**
   * Run `fn` in a write transaction that lasts across its awaits: committed when its promise
   * resolves, rolled back when it rejects. Do the transaction's work through `tx`: calls on the
   * database itself meanwhile are outside the transaction and wait for it (reads on a file
   * database go to a reader and see the committed state). Other writers wait their turn (FIFO)
   * up to busyTimeoutMs, then fail with OperationalError BUSY.
   */
  async transaction<T>(fn: (tx: AsyncTransaction) => T | Promise<T>): Promise<T> {
    this.assertOpen();
    if (typeof fn !== 'function') throw new InterfaceError('transaction() needs a function', 'BAD_OPTION');
    if (this.explicit) {
      // Inside begin(): a savepoint of that transaction.
      const tx = new AsyncTransaction(this.pool, this.h, this.explicit.generation, 1, this.live);
      return tx.transaction(fn);
    }
    const release = await this.pool.queue.acquire(this.busyTimeoutMs);
    this.scopes++;
    try {
      await this.pool.onWriter(this.h, 'begin');
      const tx = new AsyncTransaction(this.pool, this.h, this.pool.writer.generation, 0, this.live);
      let result: T;
      try {
        result = await fn(tx);
      } catch (err) {
        tx._end();
        await this.pool.onWriter(this.h, 'rollback').catch(() => undefined);
        throw err;
      }
      tx._end();
      if (tx.generation !== this.pool.writer.generation) throw lost();
      try {
        await this.pool.onWriter(this.h, 'commit');
      } catch (err) {
        await this.pool.onWriter(this.h, 'rollback').catch(() => undefined);
        throw err;
      }
      return restoreBuffers(result) as T;
    } finally {
      this.scopes--;
      release();
    }
  }

  /**
   * Open a write transaction explicitly; it holds the write queue until commit() or rollback().
   * Calls on this handle meanwhile run inside it. Prefer transaction(fn), which cannot be left open.
   */
  async begin(): Promise<void> {
    this.assertOpen();
    if (this.inTransaction)
      throw new TransactionError('a transaction is already open on this handle', 'NESTED_TRANSACTION');
    const release = await this.pool.queue.acquire(this.busyTimeoutMs);
    try {
      await this.pool.onWriter(this.h, 'begin');
    } catch (err) {
      release();
      throw err;
    }
    this.explicit = { release, generation: this.pool.writer.generation };
  }

  /** Commit the begin() transaction durably; a no-op without one. */
  async commit(): Promise<void> {
    this.assertOpen();
    if (this.scopes > 0)
      throw new TransactionError(
        'cannot commit inside transaction(fn): the transaction ends when fn settles',
      );
    const held = this.explicit;
    if (!held) return;
    this.explicit = null;
    try {
      if (held.generation !== this.pool.writer.generation) throw lost();
      await this.pool.onWriter(this.h, 'commit');
    } finally {
      held.release();
    }
  }

  /** Discard the begin() transaction; a no-op without one. */
  async rollback(): Promise<void> {
    this.assertOpen();
    if (this.scopes > 0)
      throw new TransactionError(
        'cannot roll back inside transaction(fn): the transaction ends when fn settles',
      );
    const held = this.explicit;
    if (!held) return;
    this.explicit = null;
    try {
      if (held.generation === this.pool.writer.generation) await this.pool.onWriter(this.h, 'rollback');
    } finally {
      held.release();
    }
  }

  /** Close the handle (an open begin() transaction is rolled back); the last handle stops the workers. */
  async close(): Promise<void> {
    if (this.closed) return;
    const held = this.explicit;
    this.explicit = null;
    this.closed = true;
    try {
      await this.pool.close(this.h);
    } finally {
      held?.release();
    }
  }

  /** @internal Tests: the pool behind this handle. */
  get _pool(): EnginePool {
    return this.pool;
  }

  // ───────────────────────── internals ─────────────────────────

  private assertOpen(): void {
    if (this.closed) throw new InterfaceError('database is closed', 'CLOSED');
  }

  private async write<T>(method: string, args: unknown[]): Promise<T> {
    this.assertOpen();
    if (this.explicit) return this.inExplicit<T>('db', [method, args]);
    if (!GROUPED_WRITES.has(method) || tracing()) {
      const release = await this.pool.queue.acquire(this.busyTimeoutMs);
      try {
        return restoreBuffers(await this.pool.onWriter<T>(this.h, 'db', method, args)) as T;
      } finally {
        release();
      }
    }
    return (await this.groupWrite(method, args)) as T;
  }

  /**
   * Group commit: an autocommit insert or delete waits for the write queue as any write does; the
   * one that gets it takes the writes of this handle queued right behind it (arrival order, none
   * overtaking another queue user) and sends them as one group, run in one transaction with a
   * savepoint per write and one commit (worker.ts dbGroup). Each promise still settles only once
   * its write is durable, or with its own error; concurrent writers share fsyncs instead of
   * taking turns at them. Alone, a write goes as before.
   */
  private async groupWrite(method: string, args: unknown[]): Promise<unknown> {
    const item: GroupItem = { method, args, settle: { resolve: () => {}, reject: () => {} } };
    // Settled only when another write's group ran this one (its acquire then resolves with null).
    const result = new Promise<unknown>((resolve, reject) => (item.settle = { resolve, reject }));
    const release = await this.pool.queue.acquireJoinable(this.busyTimeoutMs, this.h, item);
    // Taken into the group of the write ahead of it, which settles it.
    if (release === null) return restoreBuffers(await result);
    const joined = this.pool.queue.takeJoined<GroupItem>(this.h, MAX_GROUP - 1);
    try {
      if (joined.length === 0) return restoreBuffers(await this.pool.onWriter(this.h, 'db', method, args));
      const outcomes = await this.pool.onWriter<GroupOutcome[]>(
        this.h,
        'dbGroup',
        [item, ...joined].map((i) => [i.method, i.args]),
      );
      joined.forEach((other, k) => {
        const o = outcomes[k + 1];
        if (o.ok) other.settle.resolve(o.value);
        else other.settle.reject(fromWireError(o.error));
      });
      const own = outcomes[0];
      if (!own.ok) throw fromWireError(own.error);
      return restoreBuffers(own.value);
    } catch (err) {
      // The group never ran, or its reply was lost (the worker died): every write in it fails.
      for (const other of joined) other.settle.reject(err);
      throw err;
    } finally {
      release();
    }
  }

  private async read<T>(method: string, args: unknown[]): Promise<T> {
    this.assertOpen();
    const { value } = await this.readRunner()<T>('db', [method, args]);
    return restoreBuffers(value) as T;
  }

  private async inExplicit<T>(op: string, args: unknown[], ctl?: StatementControl): Promise<T> {
    const held = this.explicit;
    if (!held || held.generation !== this.pool.writer.generation) throw lost();
    const result = ctl
      ? this.pool.statement<T>('writer', ctl, this.h, op, ...args).result
      : this.pool.onWriter<T>(this.h, op, ...args);
    return restoreBuffers(await result) as T;
  }

  /**
   * Where reads of this handle go: inside begin() to the writer (they see the transaction); else to
   * a reader; without readers (memory) to the writer through the write queue, so they never see a
   * transaction(fn) of this handle that is still open. Until a reader thread is ready for this
   * handle (the first reads of a pool), a read that finds the write queue free is answered by the
   * writer the same way instead of waiting for the thread to start.
   */
  private readRunner(): Runner {
    return async <T>(op: string, args: unknown[], ctl?: StatementControl) => {
      this.assertOpen();
      if (this.explicit) {
        const value = await this.inExplicit<T>(op, args, ctl);
        return { value, host: this.pool.writer, generation: this.pool.writer.generation };
      }
      if (this.pool.hasReaders) {
        const idle = this.pool.standInOnWriter(this.h) ? this.pool.queue.tryAcquire() : null;
        if (idle !== null) return this.onQueuedWriter<T>(idle, op, args, ctl, 'once sent');
        const { host, result } = ctl
          ? this.pool.statement<T>('reader', ctl, this.h, op, ...args)
          : this.pool.onReader<T>(this.h, op, ...args);
        const generation = host.generation;
        return { value: await result, host, generation };
      }
      return this.onQueuedWriter<T>(await this.pool.queue.acquire(this.busyTimeoutMs), op, args, ctl);
    };
  }

  /**
   * A read on the writer while this handle holds the write queue (`release` gives it back: when
   * the read has run, or — `'once sent'`, for a read that only stands in for a reader still
   * starting — as soon as it is sent: the writer thread runs requests in the order they were
   * sent, so a transaction begun after it cannot be seen by it, and a long read does not hold up
   * the writes that follow it).
   */
  private async onQueuedWriter<T>(
    release: Release,
    op: string,
    args: unknown[],
    ctl: StatementControl | undefined,
    hold: 'until done' | 'once sent' = 'until done',
  ): Promise<{ value: T; host: WorkerHost; generation: number }> {
    try {
      ctl?.assertLive();
      const result = ctl
        ? this.pool.statement<T>('writer', ctl, this.h, op, ...args).result
        : this.pool.onWriter<T>(this.h, op, ...args);
      if (hold === 'once sent') release(); // releasing twice is harmless
      const generation = this.pool.writer.generation;
      return { value: await result, host: this.pool.writer, generation };
    } finally {
      release();
    }
  }
}

/**
 * The handle `transaction(fn)` passes to `fn`: the same methods as AsyncDatabase, run inside the
 * transaction (reads see its uncommitted writes). Unusable once `fn` settled.
 */
export class AsyncTransaction {
  private ended = false;

  /** @internal */
  constructor(
    private readonly pool: EnginePool,
    private readonly h: number,
    /** @internal The writer generation the transaction began on: a restarted worker lost it. */
    readonly generation: number,
    private readonly depth: number,
    /** @internal The database handle's running queries (its interrupt() reaches these too). */
    private readonly live: Set<StatementControl> | null = null,
  ) {}

  /** @internal */
  _end(): void {
    this.ended = true;
  }

  private call<T>(op: string, ...args: unknown[]): Promise<T> {
    return this.controlled<T>(null, op, args);
  }

  private async controlled<T>(ctl: StatementControl | null, op: string, args: unknown[]): Promise<T> {
    if (this.ended) throw new TransactionError('this transaction has ended; use the database handle');
    if (this.generation !== this.pool.writer.generation) throw lost();
    const result = ctl
      ? this.pool.statement<T>('writer', ctl, this.h, op, ...args).result
      : this.pool.onWriter<T>(this.h, op, ...args);
    return restoreBuffers(await result) as T;
  }

  registerCollection(
    name: string,
    fields: readonly FieldDescriptor[],
    primaryKey: string | readonly string[],
    indexes: readonly IndexDescriptor[] = [],
    options: CollectionOptions = {},
  ): Promise<RegisteredCollection> {
    return this.call('db', 'registerCollection', [name, fields, primaryKey, indexes, options]);
  }

  insert(name: string, row: Row, options?: InsertOptions): Promise<'inserted' | 'replaced'> {
    return this.call('db', 'insert', options === undefined ? [name, row] : [name, row, options]);
  }

  delete(name: string, pk: unknown): Promise<boolean> {
    return this.call('db', 'delete', [name, pk]);
  }

  get(name: string, pk: unknown): Promise<Row | null> {
    return this.call('db', 'get', [name, pk]);
  }

  collectionNames(): Promise<string[]> {
    return this.call('db', 'collectionNames', []);
  }

  collection(name: string): AsyncQuery {
    const run: Runner = async <T>(op: string, args: unknown[], ctl?: StatementControl) => {
      const value = await this.controlled<T>(ctl ?? null, op, args);
      return { value, host: this.pool.writer, generation: this.generation };
    };
    return new AsyncQuery(run, name, [], this.live);
  }

  /** A nested transaction: a savepoint, rolled back alone when `fn` rejects. */
  async transaction<T>(fn: (tx: AsyncTransaction) => T | Promise<T>): Promise<T> {
    if (typeof fn !== 'function') throw new InterfaceError('transaction() needs a function', 'BAD_OPTION');
    const sp = await this.call<number>('savepoint');
    const inner = new AsyncTransaction(this.pool, this.h, this.generation, this.depth + 1, this.live);
    try {
      const result = await fn(inner);
      inner._end();
      await this.call('dropSavepoint', sp);
      return result;
    } catch (err) {
      inner._end();
      if (!this.ended && this.generation === this.pool.writer.generation)
        await this.call('rollbackTo', sp).catch(() => undefined);
      throw err;
    }
  }
}
