/**
 * The worker threads behind one database: one writer worker that owns the writable engine (every
 * write, every transaction) and up to `readers` reader workers attached to the file as live
 * read-only readers (reads outside transactions spread over them). All async handles of one file
 * in this process share a pool, so they share the write queue: writers wait for each other in
 * FIFO order instead of failing. `:memory:` and snapshot databases get a private pool with the
 * writer only. If the writer thread dies, its writer lock (held by a process that lives on) is
 * freed so the restarted thread can reopen the file.
 */
import * as fs from 'node:fs';
import { identityLockDir, resolveRealPath } from '../../storage/lock';
import { LockDir } from '../../storage/lock-dir';
import { InternalError } from '../errors';
import { WorkerHost } from './host';
import { WriteQueue } from './write-queue';
import { LOCKED, newChanges } from './changes';
import type { OpenSpec } from './worker';
import type { StatementControl } from './control';

let nextHandle = 1;
let nextResult = 1;

/** A fresh id for a worker-side result set (cursor or query iterator). */
export function resultId(): number {
  return nextResult++;
}

const shared = new Map<string, EnginePool>();

export class EnginePool {
  readonly writer: WorkerHost;
  private readonly readers: WorkerHost[] = [];
  readonly queue = new WriteQueue();
  /** Handles of this pool and how each opens (the writer variant; readers open read-only). */
  private readonly specs = new Map<number, OpenSpec>();
  private readonly lockTokens = new Set<string>();
  private closed = false;
  /** Shared with every worker of the pool: when readers may skip their refresh (changes.ts). */
  private readonly changes = newChanges();

  private constructor(
    private readonly key: string | null,
    /** The file (real path) behind a file pool; null in memory. */
    private readonly realPath: string | null,
    private readonly maxReaders: number,
  ) {
    this.writer = new WorkerHost('modelvault-writer', this.changes, true);
    this.writer.onDeath = () => this.writerDied();
  }

  /** The shared pool of the file at `path` (readers: pool size; first opener decides), or a private one. */
  static forPath(path: string, readers: number, readOnly: boolean): EnginePool {
    if (path.startsWith(':')) return new EnginePool(null, null, 0);
    const real = resolveRealPath(path);
    // A read-only handle serves everything from one read-only worker; it shares nothing with writers.
    if (readOnly) return new EnginePool(null, real, 0);
    const found = shared.get(real);
    if (found && !found.closed) return found;
    const pool = new EnginePool(real, real, readers);
    shared.set(real, pool);
    return pool;
  }

  /** Register a handle and open it on the writer (resolves when it is open; rejects with the open error). */
  async open(spec: OpenSpec): Promise<number> {
    const h = nextHandle++;
    this.specs.set(h, spec);
    try {
      const info = (await this.writer.ensureOpen(h, spec)) as { lockToken: string | null };
      if (info.lockToken) this.holdsLock(info.lockToken);
    } catch (err) {
      this.specs.delete(h);
      this.writer.forget(h);
      if (this.specs.size === 0) await this.shutdown();
      throw err;
    }
    return h;
  }

  get hasReaders(): boolean {
    return this.maxReaders > 0;
  }

  /**
   * Whether a read of handle `h` should stand in on the writer for a reader still starting: no
   * reader is ready for `h` yet and the writer thread has nothing in flight (a busy writer would
   * make the read wait longer than the reader takes to start). When no reader is ready, one is
   * started, or its open of `h` begun, in the background: a reader thread takes ~90 ms to start
   * (a thread, then the package's modules).
   */
  standInOnWriter(h: number): boolean {
    if (this.readers.some((r) => r.running && r.isReady(h))) return false;
    this.startReaderFor(h);
    return this.writer.load === 0;
  }

  /** Begin opening handle `h` on a reader (starting one if none is opening it) without waiting. */
  private startReaderFor(h: number): void {
    const spec = this.specs.get(h);
    if (!spec) return;
    const host = this.readers.find((r) => r.running && r.isOpen(h)) ?? this.pickReader();
    host.ensureOpen(h, { ...spec, role: 'reader' }).catch(() => undefined);
  }

  /** @internal Tests: resolves once every open begun on a reader thread has finished. */
  async readersSettled(): Promise<void> {
    await Promise.allSettled(this.readers.flatMap((r) => r.opening()));
  }

  /** Run `op` for handle `h` on the writer worker, reopening the handle there first if needed. */
  onWriter<T>(h: number, op: string, ...args: unknown[]): Promise<T> {
    return this.on(this.writer, null, h, op, args);
  }

  /** Run a read for handle `h` on the least busy reader (starting one while under the pool size). */
  onReader<T>(h: number, op: string, ...args: unknown[]): { host: WorkerHost; result: Promise<T> } {
    const host = this.pickReader();
    return { host, result: this.on(host, null, h, op, args) };
  }

  /** onWriter / onReader for a statement its caller may interrupt or time-limit. */
  statement<T>(
    where: 'writer' | 'reader',
    ctl: StatementControl,
    h: number,
    op: string,
    ...args: unknown[]
  ): { host: WorkerHost; result: Promise<T> } {
    const host = where === 'writer' ? this.writer : this.pickReader();
    return { host, result: this.on(host, ctl, h, op, args) };
  }

  private on<T>(
    host: WorkerHost,
    ctl: StatementControl | null,
    h: number,
    op: string,
    args: unknown[],
  ): Promise<T> {
    const send = (): Promise<T> => (ctl ? ctl.send<T>(host, op, [h, ...args]) : host.call<T>(op, h, ...args));
    const spec = this.specs.get(h);
    if (!spec) return send();
    if (host.isOpen(h) && host.running) return send();
    const opened = host.ensureOpen(h, host === this.writer ? spec : { ...spec, role: 'reader' });
    const result = send();
    // The open's own failure is the one to report (the request after it fails for the same reason).
    return opened.then(
      () => result,
      (err: unknown) => {
        result.catch(() => undefined);
        throw err;
      },
    );
  }

  private pickReader(): WorkerHost {
    let best: WorkerHost | null = null;
    for (const r of this.readers) if (!best || r.load < best.load) best = r;
    if ((!best || best.load > 0) && this.readers.length < this.maxReaders) {
      best = new WorkerHost(`modelvault-reader-${this.readers.length + 1}`, this.changes);
      this.readers.push(best);
    }
    if (!best) throw new InternalError('a reader pool of size 0 has no readers', 'INTERNAL');
    return best;
  }

  /** Close handle `h` on every worker; the last handle stops the threads. */
  async close(h: number): Promise<void> {
    if (!this.specs.has(h)) return;
    this.specs.delete(h);
    const hosts = [this.writer, ...this.readers].filter((w) => w.running && w.isOpen(h));
    // A reader still starting (standInOnWriter) is not waited for: its close follows its open in
    // order, and the last handle's shutdown stops the thread anyway.
    const closing = hosts.map((w) => {
      const ready = w === this.writer || w.isReady(h);
      w.forget(h);
      const closed = w.call('close', h).catch(() => undefined);
      return ready ? closed : undefined;
    });
    await Promise.all(closing);
    if (this.specs.size === 0) await this.shutdown();
  }

  private async shutdown(): Promise<void> {
    this.closed = true;
    if (this.key !== null && shared.get(this.key) === this) shared.delete(this.key);
    await Promise.all([this.writer, ...this.readers].map((w) => w.close()));
  }

  /**
   * The writer thread died holding the file's writer lock. Its process lives on, so nobody would
   * ever take the lock over: free the entries the dead thread held (matched by owner token).
   */
  private writerDied(): void {
    // First: readers look at the file again before another process can take the lock over.
    Atomics.store(this.changes, LOCKED, 0);
    if (!this.realPath) return;
    const dirs = [`${this.realPath}.lock`];
    try {
      const st = fs.statSync(this.realPath);
      dirs.push(identityLockDir({ dev: st.dev, ino: st.ino, birthMs: st.birthtimeMs }));
    } catch {
      // the file is gone: only the path lock remains to free
    }
    for (const token of this.lockTokens) for (const dir of dirs) LockDir.releaseAbandoned(dir, token);
    this.lockTokens.clear();
    // Reopened handles report their new tokens.
    for (const [h, spec] of this.specs) {
      this.writer
        .ensureOpen(h, spec)
        .then((info) => {
          const token = (info as { lockToken: string | null }).lockToken;
          if (token) this.holdsLock(token);
        })
        .catch(() => undefined);
    }
  }

  /** The writer thread took the file's writer lock: no other process can commit while it lives. */
  private holdsLock(token: string): void {
    this.lockTokens.add(token);
    Atomics.store(this.changes, LOCKED, 1);
  }

  /** @internal Tests: the pool's change counter (src/async/changes.ts). */
  get _changes(): Int32Array {
    return this.changes;
  }

  /** @internal Tests: the worker hosts (writer first). */
  get hosts(): WorkerHost[] {
    return [this.writer, ...this.readers];
  }
}
