/**
 * The front of a large transaction's staged frames, kept in a temporary file instead of memory
 * until commit copies them into the log. A staging buffer that grows to hundreds of MB is memory
 * outside the JavaScript heap, and V8 answers every 64 MB of such growth with a full collection
 * of the whole heap ("external memory pressure"): two or three of them per 1M-row bulk insert,
 * each marking every live object of the process. Past SPILL_AT bytes the transaction's buffer is
 * written here and reused, so its memory stays bounded; the log still receives the whole
 * transaction at commit, followed by one sync (engine.ts I1), so nothing about durability or
 * what other readers of the file see changes.
 */
import * as fs from 'node:fs';
import type { ByteStore } from './byte-store';
import { FRAME_HEADER_SIZE } from './format';
import { parseFrameHeader } from './frame';
import { io, ioError } from './io-error';
import { OperationalError } from '../src/errors';

/**
 * Staged bytes kept in memory before they go to the spill file (the buffer then starts over):
 * under the staging buffer's 4 MiB step, so that it stops growing there (growable-buffer.ts).
 */
export const SPILL_AT = 3 * 1024 * 1024;

/** Bytes copied from the spill file into the log per write at commit. */
const COPY_CHUNK = 1024 * 1024;

let serial = 0;

export class TxnSpill {
  /** Bytes of the transaction (from its TXN_BEGIN frame on) held in the file. */
  length = 0;
  private fd: number;
  /** Still to remove at close (where an open file cannot be unlinked). */
  private leftover: string | null;

  /** A temporary file beside the database at `dbPath`: on its file system, as the log is. */
  constructor(dbPath: string) {
    const file = `${dbPath}.spill-${process.pid}-${serial++}.tmp`;
    this.fd = io(`cannot create the spill file ${file}`, () => fs.openSync(file, 'wx+', 0o600));
    this.leftover = file;
    try {
      fs.unlinkSync(file); // gone with its descriptor, even if the process dies
      this.leftover = null;
    } catch {
      // Windows: removed in close().
    }
  }

  /** Append `length` bytes of `buf` (the staged frames that follow the ones already here). */
  push(buf: Buffer, length: number): void {
    let done = 0;
    try {
      while (done < length) done += fs.writeSync(this.fd, buf, done, length - done, this.length + done);
    } catch (err) {
      // Nothing counted: the engine stages the transaction in memory instead (engine-core.ts).
      throw ioError('write to the transaction spill file failed', err);
    }
    this.length += length;
  }

  /** Forget everything from byte `length` on (a rollback to a point inside the file). */
  cut(length: number): void {
    if (length < this.length) this.length = length;
  }

  /** The record frame staged at `offset` (from the transaction's start), header included. */
  readFrame(offset: number): Buffer | null {
    return io('read of the transaction spill file failed', () => this.readFrameAt(offset));
  }

  private readFrameAt(offset: number): Buffer | null {
    const head = Buffer.allocUnsafe(FRAME_HEADER_SIZE);
    if (fs.readSync(this.fd, head, 0, FRAME_HEADER_SIZE, offset) !== FRAME_HEADER_SIZE) return null;
    const header = parseFrameHeader(head, 0, this.length - offset);
    if (!header) return null;
    const whole = Buffer.allocUnsafe(FRAME_HEADER_SIZE + header.length);
    let got = 0;
    while (got < whole.length) {
      const n = fs.readSync(this.fd, whole, got, whole.length - got, offset + got);
      if (n === 0) return null;
      got += n;
    }
    return whole;
  }

  /** Write the file's bytes into `store` at `at` (commit: the transaction's front, in order). */
  copyTo(store: ByteStore, at: number): void {
    const chunk = Buffer.allocUnsafe(Math.min(COPY_CHUNK, this.length));
    for (let done = 0; done < this.length;) {
      const want = Math.min(chunk.length, this.length - done);
      this.readFully(chunk, want, done);
      store.writeAt(want === chunk.length ? chunk : chunk.subarray(0, want), at + done);
      done += want;
    }
  }

  /** Read `want` bytes at `position` into `chunk`; a failure or a short file is an I/O error. */
  private readFully(chunk: Buffer, want: number, position: number): void {
    let got = 0;
    try {
      while (got < want) {
        const n = fs.readSync(this.fd, chunk, got, want - got, position + got);
        if (n === 0) break;
        got += n;
      }
    } catch (err) {
      throw ioError('read of the transaction spill file failed', err);
    }
    if (got < want)
      throw new OperationalError(
        `the transaction spill file ended at ${position + got} of ${this.length} bytes`,
        'IO',
      );
  }

  close(): void {
    try {
      fs.closeSync(this.fd);
    } finally {
      this.fd = -1;
      if (this.leftover !== null) fs.rmSync(this.leftover, { force: true });
      this.leftover = null;
    }
  }
}
