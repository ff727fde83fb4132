/**
 * The cross-process writer lock: one writer per database file, whichever path names it.
 *
 * Two locks, both LockDir (see lock-dir.ts for the protocol and why it is atomic among racers):
 *   - by real path: `<realpath>.lock/` beside the file. Every spelling of the path (relative,
 *     `..`, a symlink) resolves to the same real path, so the same lock.
 *   - by file identity: `<tmpdir>/modelvault-locks/<dev>-<ino>-<birth>/`. Hard links are one file under
 *     several real paths; device and inode are what they share. Taken once the file is open.
 * A lock is taken over only when its owner process is gone (pid probe, start time, boot id), never
 * because time passed: a writer whose event loop is busy for an hour keeps its lock. A lock held
 * from another host is never taken over (network file systems are not supported).
 *
 * Defence in depth: the engine calls `assertHeld()` immediately before every mutation of the
 * file; a writer that finds either lock no longer its own stops writing for good (LOCK_LOST).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as nodePath from 'node:path';
import { LockError, OperationalError } from '../src/errors';
import { LockDir, newOwner } from './lock-dir';
import type { HeldEntry, LockOwner, TakeResult } from './lock-dir';

/** Where identity locks live: one folder per host (every process shares the temp folder). */
export function identityLockRoot(): string {
  return nodePath.join(os.tmpdir(), 'modelvault-locks');
}

/** What names one file while it exists: device, inode and (where the file system keeps it) birth time. */
export interface FileIdentity {
  readonly dev: number;
  readonly ino: number;
  /** `birthtimeMs` of the file's stat; 0 where the file system does not record it. */
  readonly birthMs?: number;
}

/**
 * The identity lock's folder. The birth time is part of the name because inode numbers are
 * reused: a file deleted while a writer still held it (a test's temp folder removed under an open
 * database) would otherwise lock out a new, unrelated file that got its inode.
 */
export function identityLockDir(id: FileIdentity): string {
  const birth = id.birthMs !== undefined && id.birthMs > 0 ? `-${Math.round(id.birthMs * 1000)}` : '';
  return nodePath.join(identityLockRoot(), `${id.dev}-${id.ino}${birth}`);
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
function sleepSync(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

function describe(owner: LockOwner | null, state: string): string {
  if (!owner) return 'another writer (the lock is changing hands)';
  if (state === 'foreign')
    return `a writer on host ${owner.host} (pid ${owner.pid}); locks held from another host are never taken over — network file systems are not supported`;
  return owner.pid === process.pid ? 'another handle in this process' : `another writer (pid ${owner.pid})`;
}

/**
 * Take `dir` or throw LockError LOCKED; while it is held by a live owner, retry with backoff until
 * `deadline` (a Date.now() value; the past means: try once).
 */
function takeWithin(dir: LockDir, deadline: number, what: string): Held {
  let pause = 2;
  for (;;) {
    const result: TakeResult = dir.tryTake();
    if (result.taken) return { dir, entry: result.entry };
    const left = deadline - Date.now();
    if (left <= 0 || result.state === 'foreign')
      throw new LockError(`database ${what} is locked by ${describe(result.owner, result.state)}`);
    sleepSync(Math.min(pause, left));
    pause = Math.min(pause * 2, 100);
  }
}

interface Held {
  dir: LockDir;
  entry: HeldEntry;
}

function holds(held: Held): boolean {
  return held.dir.holds(held.entry);
}

/**
 * How often a writer refreshes the timestamps of the lock entries it holds (@internal mutable:
 * tests lower it). The identity lock lives under the system's temporary folder, whose periodic
 * cleaners (systemd-tmpfiles: 10 days by default) delete files not touched for a while — a lock
 * held by a server for weeks would then be found gone at its next write (LOCK_LOST).
 */
export const lockPolicy = { refreshMs: 60 * 60 * 1000 };
/** The idle refresh's timer never runs more often than this, whatever refreshMs a test sets. */
const MIN_IDLE_REFRESH_MS = 1000;

/** Mark the entry as in use now (its content and inode stay; best effort). */
function touch(held: Held): void {
  const now = new Date();
  try {
    fs.utimesSync(held.entry.path, now, now);
    fs.utimesSync(held.dir.dir, now, now);
  } catch {
    // Not ours to touch (another user's shared folder), or gone: holds() decides what that means.
  }
}

export class WriterLock {
  private readonly byPath: Held;
  private byFile: Held | null = null;
  private lost: string | null = null;
  private released = false;
  /** When the held entries' timestamps were last refreshed (see lockPolicy). */
  private touchedAt = Date.now();

  /**
   * The same refresh for a writer that stays idle (no write to do it): unref'd, so it never keeps
   * a process alive; a displaced writer's entries are gone, and touching them does nothing.
   */
  private readonly idleRefresh: ReturnType<typeof setInterval>;

  private constructor(
    /** The real path of the database file. */
    readonly path: string,
    private readonly owner: LockOwner,
    byPath: Held,
  ) {
    this.byPath = byPath;
    this.idleRefresh = setInterval(
      () => {
        if (!this.released && this.lost === null && Date.now() - this.touchedAt >= lockPolicy.refreshMs)
          this.refresh();
      },
      Math.max(lockPolicy.refreshMs, MIN_IDLE_REFRESH_MS),
    );
    this.idleRefresh.unref();
  }

  /**
   * Take the lock on the file at `realPath` (already resolved), waiting up to `busyTimeoutMs` while
   * another live writer holds it. Call `bindFile` once the file is open.
   */
  static acquire(realPath: string, busyTimeoutMs = 0): WriterLock {
    const owner = newOwner();
    const dir = new LockDir(`${realPath}.lock`, owner);
    return new WriterLock(realPath, owner, takeWithin(dir, Date.now() + busyTimeoutMs, realPath));
  }

  /** Take the identity lock of the open file (device + inode), so hard links share one lock. */
  bindFile(id: FileIdentity, busyTimeoutMs = 0): void {
    const held = this.takeIdentity(id, Date.now() + busyTimeoutMs);
    this.byFile = held;
  }

  /**
   * A compaction is about to rename a new file (dev, ino) over the database: take its identity
   * lock first, so nobody can open the new file through another link and write before we do.
   * `done` then drops the old file's identity lock; `undo` (the rename failed) goes back to it.
   */
  rebindFile(id: FileIdentity): { done(oldFileUnlinked: boolean): void; undo(): void } {
    const old = this.byFile;
    const fresh = this.takeIdentity(id, Date.now());
    this.byFile = fresh;
    return {
      done: (oldFileUnlinked) => {
        if (!old) return;
        old.dir.release(old.entry);
        // Nobody can open an unlinked file again, so its identity lock is dead weight.
        if (oldFileUnlinked) fs.rmSync(old.dir.dir, { recursive: true, force: true });
      },
      undo: () => {
        fresh.dir.release(fresh.entry);
        this.byFile = old;
      },
    };
  }

  /** The engine found the file changed under it: this lock counts as lost from now on. */
  markLost(reason: string): void {
    this.lost ??= reason;
  }

  private takeIdentity(id: FileIdentity, deadline: number): Held {
    const root = identityLockRoot();
    try {
      fs.mkdirSync(root, { recursive: true });
      // Shared by every user of this host, like /tmp itself.
      fs.chmodSync(root, 0o1777);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EPERM')
        throw new OperationalError(`cannot create ${root}: ${(err as Error).message}`, 'IO', { cause: err });
    }
    const dir = new LockDir(identityLockDir(id), this.owner);
    const held = takeWithin(
      dir,
      deadline,
      `${this.path} (inode ${id.ino}, also reachable through another link)`,
    );
    try {
      fs.chmodSync(dir.dir, 0o1777);
    } catch {
      // created by another user: its mode is already set
    }
    return held;
  }

  /** Throw LockError LOCK_LOST unless both locks are still ours; called before every file mutation. */
  assertHeld(): void {
    if (this.lost === null && this.released) this.lost = 'the lock was released';
    if (this.lost === null && (!holds(this.byPath) || (this.byFile !== null && !holds(this.byFile)))) {
      this.lost = 'the lock was taken over or removed by someone else';
    }
    if (this.lost === null && Date.now() - this.touchedAt >= lockPolicy.refreshMs) this.refresh();
    if (this.lost !== null)
      throw new LockError(
        `writer lock on ${this.path} is no longer held (${this.lost}); this handle stopped writing — reopen the database`,
        undefined,
        'LOCK_LOST',
      );
  }

  /** Mark the held entries as in use now (see lockPolicy). */
  private refresh(): void {
    this.touchedAt = Date.now();
    touch(this.byPath);
    if (this.byFile !== null) touch(this.byFile);
  }

  dispose(): void {
    if (this.released) return;
    this.released = true;
    clearInterval(this.idleRefresh);
    // Both lock folders go (lock-dir.ts "retire"): a closed database leaves none behind. A
    // displaced writer touches nothing: retire() only acts on an entry that is still the highest.
    if (this.byFile) this.byFile.dir.retire(this.byFile.entry);
    this.byPath.dir.retire(this.byPath.entry);
  }

  /** The live writer holding the file at `realPath`, if any (read-only probe: writes nothing). */
  static liveHolder(realPath: string): LockOwner | null {
    const found = LockDir.holder(`${realPath}.lock`);
    return found && found.state !== 'dead' ? found.owner : null;
  }
}

/**
 * The real path of a database file that may not exist yet: symlinks and `..` resolved, so every
 * spelling of one file gives one path. A missing folder is an I/O error naming the cause.
 */
export function resolveRealPath(path: string, depth = 0): string {
  const abs = nodePath.resolve(path);
  try {
    return fs.realpathSync(abs);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw openError(abs, err);
  }
  // The file does not exist (yet): resolve its folder, keep the name.
  const dir = nodePath.dirname(abs);
  let realDir: string;
  try {
    realDir = fs.realpathSync(dir);
  } catch (err) {
    throw openError(abs, err, `folder ${dir} does not exist`);
  }
  let st: fs.Stats;
  try {
    st = fs.lstatSync(nodePath.join(realDir, nodePath.basename(abs)));
  } catch {
    return nodePath.join(realDir, nodePath.basename(abs));
  }
  if (st.isSymbolicLink()) {
    // A dangling symlink: the file would be created at its target.
    const target = fs.readlinkSync(nodePath.join(realDir, nodePath.basename(abs)));
    if (depth > 32)
      throw openError(abs, Object.assign(new Error('too many symbolic links'), { code: 'ELOOP' }));
    return resolveRealPath(nodePath.resolve(realDir, target), depth + 1);
  }
  return nodePath.join(realDir, nodePath.basename(abs));
}

function openError(path: string, err: unknown, why?: string): OperationalError {
  const e = err as NodeJS.ErrnoException;
  const reason = why ? `${why} (${e.code ?? 'error'})` : `${e.code ?? ''} ${e.message ?? String(err)}`.trim();
  return new OperationalError(`cannot open ${path}: ${reason}`, 'IO', { cause: err });
}
