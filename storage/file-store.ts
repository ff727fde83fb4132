/** ByteStore over a real file: positional reads and writes on one descriptor, fdatasync for durability. */
import * as fs from 'node:fs';
import type { ByteStore } from './byte-store';
import { OperationalError } from '../src/errors';

export class FileStore implements ByteStore {
  private fd: number;
  private length: number;
  readonly readOnly: boolean;
  readonly path: string;

  /** A file with other hard links keeps a link count above 0 when renamed over: check its path. */
  private readonly linkedElsewhere: boolean;

  private constructor(path: string, fd: number, readOnly: boolean) {
    this.path = path;
    this.fd = fd;
    this.readOnly = readOnly;
    const st = fs.fstatSync(fd);
    this.length = st.size;
    this.linkedElsewhere = st.nlink > 1;
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

  readInto(target: Uint8Array, offset: number, length: number, position: number): number {
    let done = 0;
    while (done < length) {
      const n = fs.readSync(this.fd, target, offset + done, length - done, position + done);
      if (n === 0) break;
      done += n;
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
    if (this.fd >= 0) {
      fs.closeSync(this.fd);
      this.fd = -1;
    }
  }
}

function ioError(message: string, cause: unknown): OperationalError {
  const detail = cause instanceof Error ? `: ${cause.message}` : '';
  return new OperationalError(message + detail, 'IO', { cause });
}
