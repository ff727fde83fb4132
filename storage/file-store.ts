/** ByteStore over a real file: positional reads and writes on one descriptor, fdatasync for durability. */
import * as fs from 'node:fs';
import * as nodePath from 'node:path';
import type { ByteStore } from './byte-store';
import { OperationalError } from '../src/errors';
import { ioError } from './io-error';
import { DirWatch } from './dir-watch';

/** Bytes checked at an append position: a frame header's worth. */
const ZERO_PROBE = 20;

export class FileStore implements ByteStore {
  private fd: number;
  private length: number;
  readonly readOnly: boolean;
  readonly path: string;

  /** A file with other hard links keeps a link count above 0 when renamed over: check its path. */
  private readonly linkedElsewhere: boolean;
  /**
   * Writers on Linux: where /proc/self/fd/N pointed when the file was opened (null elsewhere, or
   * when /proc cannot be read). checkOwnPlace compares it instead of stat-ing the file: since
   * Linux 6.13, reading a file's timestamps (any stat) makes its next write take a fine-grained
   * timestamp and dirty the inode, which on ext4 cost every commit's fdatasync ~60 µs (≈ +40 %,
   * measured on this project's machines). The link names the open file's path, with
   * " (deleted)" appended once that name is gone: renamed, removed or renamed over.
   */
  private readonly fdLink: string | null;
  /**
   * The folder holding the file, watched for changes (storage/dir-watch.ts): while nothing in it
   * was created, removed or renamed since the link last matched, the file is still at its path
   * and checkByLink skips the readlink. Null where fdLink is.
   */
  private readonly nameWatch: DirWatch | null;
  /**
   * The ownership probes' bytes, reused: a buffer allocated per commit (two, with the zero probe)
   * costs an array buffer each, freed only by the collector.
   */
  private readonly probeBytes = Buffer.alloc(ZERO_PROBE + 1);

  private constructor(path: string, fd: number, readOnly: boolean) {
    this.path = path;
    this.fd = fd;
    this.readOnly = readOnly;
    const st = fs.fstatSync(fd);
    this.length = st.size;
    this.linkedElsewhere = st.nlink > 1;
    this.fdLink = readOnly ? null : readFdLink(fd);
    // The folder the link names (the real one, whatever spelling `path` used).
    this.nameWatch = this.fdLink === null ? null : DirWatch.open(nodePath.dirname(this.fdLink));
  }

  /** Open (creating when `create` and not read-only) the file at `path`. */
  static open(path: string, readOnly: boolean, create: boolean): FileStore {
    try {
      const flags = readOnly ? 'r' : create ? fs.constants.O_RDWR | fs.constants.O_CREAT : 'r+';
      return new FileStore(path, fs.openSync(path, flags, 0o644), readOnly);
    } catch (err) {
      throw ioError(`cannot open ${path}`, err);
    }
  }

  get size(): number {
    return this.length;
  }

  /** Device, inode and link count of the open file. */
  fileId(): { dev: number; ino: number; nlink: number; birthMs: number } {
    const st = fs.fstatSync(this.fd);
    return { dev: st.dev, ino: st.ino, nlink: st.nlink, birthMs: st.birthtimeMs };
  }

  /**
   * What a writer checks immediately before it changes the file, so that it never writes into a
   * file that is no longer the one it owns: the open file is still the one at its path, nobody
   * changed its length, and (for an append at `appendAt`) the bytes there are still the zeros
   * this writer reserved. Returns why not, or null when all holds.
   */
  checkOwnPlace(appendAt: number | null): string | null {
    const problem = this.fdLink !== null ? this.checkByLink() : this.checkByStat();
    if (problem !== null) return problem;
    if (appendAt !== null && appendAt < this.length) {
      const n = Math.min(ZERO_PROBE, this.length - appendAt);
      const head = this.probeBytes;
      if (this.readInto(head, 0, n, appendAt) < n)
        return `the file's length changed under this writer (shorter than ${appendAt + n} bytes)`;
      for (let i = 0; i < n; i++)
        if (head[i] !== 0) return `bytes at offset ${appendAt} were written by someone else`;
    }
    return null;
  }

  /** checkOwnPlace's identity and length checks without a stat of the file (see `fdLink`). */
  private checkByLink(): string | null {
    if (!this.nameWatch?.unchanged()) {
      const link = readFdLink(this.fd);
      if (link === null) return this.checkByStat();
      if (link !== this.fdLink) return `another file now sits at ${this.path} (it was replaced or removed)`;
      this.nameWatch?.confirm();
    }
    if (this.length === 0) return this.checkByStat();
    // One byte readable at the last position, none past it: the length is unchanged. One pread:
    // a regular file's pread is short only at its end (readInto would ask again for the missing
    // byte — a second system call on every commit, answered with 0).
    let got = -1;
    try {
      got = fs.readSync(this.fd, this.probeBytes, 0, 2, this.length - 1);
    } catch {
      // checkByStat says what is wrong.
    }
    return got === 1 ? null : this.checkByStat();
  }

  private checkByStat(): string | null {
    let open: fs.Stats;
    let atPath: fs.Stats;
    try {
      open = fs.fstatSync(this.fd);
      atPath = fs.statSync(this.path);
    } catch (err) {
      return `the file at ${this.path} cannot be checked (${(err as NodeJS.ErrnoException).code ?? 'error'})`;
    }
    if (open.nlink === 0 || open.ino !== atPath.ino || open.dev !== atPath.dev)
      return `another file now sits at ${this.path} (it was replaced or removed)`;
    if (open.size !== this.length)
      return `the file's length changed under this writer (${this.length} -> ${open.size} bytes)`;
    return null;
  }

  /** Inode of the open descriptor and of whatever file is at the path now (they differ after a compaction's rename). */
  identity(): { open: number; atPath: number | null } {
    let atPath: number | null = null;
    try {
      atPath = fs.statSync(this.path).ino;
    } catch {
      atPath = null;
    }
    return { open: fs.fstatSync(this.fd).ino, atPath };
  }

  /**
   * What a live reader checks before each statement, in one system call: the current length, and
   * whether the open file is no longer the one at the path (a compaction or restore renamed a new
   * file over it, which drops the old file's link count to 0).
   */
  watch(): { size: number; replaced: boolean } {
    const st = fs.fstatSync(this.fd);
    this.length = st.size;
    if (st.nlink > 0 && !this.linkedElsewhere) return { size: st.size, replaced: false };
    // Unlinked (or possibly renamed over): replaced only if another file now sits at the path.
    const id = this.identity();
    return { size: st.size, replaced: id.atPath !== null && id.atPath !== id.open };
  }

  /**
   * A live reader's look between statements, in one pread: true when the file ends at `end` (the
   * end of the log the reader applied) or a writer's reserved zeros follow it, so nothing was
   * appended since; false when anything else is there, or the file became shorter.
   */
  logEndsAt(end: number): boolean {
    const probe = this.probeBytes;
    let got = 0;
    try {
      got = fs.readSync(this.fd, probe, 0, ZERO_PROBE + 1, end - 1);
    } catch {
      return false; // the full check says what is wrong
    }
    if (got === 1) return true;
    if (got < ZERO_PROBE + 1) return false;
    for (let i = 1; i <= ZERO_PROBE; i++) if (probe[i] !== 0) return false;
    return true;
  }

  readInto(target: Uint8Array, offset: number, length: number, position: number): number {
    let done = 0;
    try {
      while (done < length) {
        const n = fs.readSync(this.fd, target, offset + done, length - done, position + done);
        if (n === 0) break;
        done += n;
      }
    } catch (err) {
      throw ioError(`read of ${this.path} failed`, err);
    }
    return done;
  }

  writeAt(data: Uint8Array, position: number): void {
    if (this.readOnly) throw new OperationalError('database is read-only', 'READ_ONLY');
    try {
      let done = 0;
      while (done < data.length) {
        done += fs.writeSync(this.fd, data, done, data.length - done, position + done);
      }
    } catch (err) {
      // A write cut short (disk full) may still have extended the file. The bytes are this
      // writer's own, and the caller cuts them back (a failed commit or checkpoint): the length
      // must follow the file, or the next ownership check would take them for someone else's.
      try {
        this.length = Math.max(this.length, fs.fstatSync(this.fd).size);
      } catch {
        // the descriptor itself failed: the caller's cut-back fails too and stops the writer
      }
      throw ioError(`write to ${this.path} failed`, err);
    }
    if (position + data.length > this.length) this.length = position + data.length;
  }

  sync(): void {
    try {
      fs.fdatasyncSync(this.fd);
    } catch (err) {
      throw ioError(`fdatasync of ${this.path} failed`, err);
    }
  }

  truncate(length: number): void {
    if (this.readOnly) throw new OperationalError('database is read-only', 'READ_ONLY');
    try {
      fs.ftruncateSync(this.fd, length);
    } catch (err) {
      throw ioError(`truncate of ${this.path} failed`, err);
    }
    this.length = length;
  }

  close(): void {
    this.nameWatch?.close();
    if (this.fd >= 0) {
      fs.closeSync(this.fd);
      this.fd = -1;
    }
  }
}

/** Where /proc/self/fd/`fd` points (Linux), or null where that cannot be read. */
function readFdLink(fd: number): string | null {
  if (process.platform !== 'linux') return null;
  try {
    return fs.readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return null;
  }
}

/** Rename `from` over `to` (atomic on POSIX) and make the rename durable. */
export function renameDurably(from: string, to: string): void {
  try {
    fs.renameSync(from, to);
  } catch (err) {
    throw ioError(`cannot rename ${from} to ${to}`, err);
  }
  syncDir(nodePath.dirname(to));
}

export function syncDir(dir: string): void {
  let fd: number | null = null;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Some file systems refuse to fsync a directory; the rename itself is still atomic.
  } finally {
    if (fd !== null) fs.closeSync(fd);
  }
}
