/** In-memory twin of FileStore: a growable buffer with the same read/write/truncate semantics. */
import type { ByteStore } from './byte-store';
import { OperationalError } from '../src/errors';

export class MemoryStore implements ByteStore {
  private buf: Buffer;
  private length: number;
  readonly readOnly: boolean;
  /** Number of sync() calls; the crash tests use it to know what a real file would have made durable. */
  syncCount = 0;

  constructor(initial?: Uint8Array, readOnly = false) {
    this.length = initial ? initial.length : 0;
    this.buf = Buffer.alloc(Math.max(4096, this.length));
    if (initial) this.buf.set(initial, 0);
    this.readOnly = readOnly;
  }

  get size(): number {
    return this.length;
  }

  readInto(target: Uint8Array, offset: number, length: number, position: number): number {
    const n = Math.max(0, Math.min(length, this.length - position));
    if (n > 0) target.set(this.buf.subarray(position, position + n), offset);
    return n;
  }

  writeAt(data: Uint8Array, position: number): void {
    if (this.readOnly) throw new OperationalError('store is read-only', 'READ_ONLY');
    const end = position + data.length;
    if (end > this.buf.length) {
      let cap = this.buf.length * 2;
      while (cap < end) cap *= 2;
      const next = Buffer.alloc(cap);
      next.set(this.buf.subarray(0, this.length), 0);
      this.buf = next;
    }
    this.buf.set(data, position);
    if (end > this.length) this.length = end;
  }

  sync(): void {
    this.syncCount++;
  }

  truncate(length: number): void {
    if (this.readOnly) throw new OperationalError('store is read-only', 'READ_ONLY');
    if (length < this.length) this.buf.fill(0, length, this.length);
    this.length = Math.min(length, this.length);
  }

  /** A copy of the current bytes (snapshots, tests). */
  bytes(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.length));
  }

  close(): void {
    /* nothing to release */
  }
}
