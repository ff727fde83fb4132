/**
 * The file-system seam. The engine only ever talks to a `ByteStore`; `FileStore` is the real
 * file, `MemoryStore` its in-memory twin (used by `Database.openInMemory()` and by the crash,
 * torn-write and fault-injection tests). Both must behave identically byte for byte.
 */
export interface ByteStore {
  /** Current length in bytes. */
  readonly size: number;
  /** Whether writes are refused (read-only open). */
  readonly readOnly: boolean;
  /** Read up to `length` bytes at `position` into `target[offset..]`; returns bytes read (short at EOF). */
  readInto(target: Uint8Array, offset: number, length: number, position: number): number;
  /** Write `data` at `position` (may extend the store). */
  writeAt(data: Uint8Array, position: number): void;
  /** Make every completed write durable (fdatasync for files). */
  sync(): void;
  /** Cut the store to `length` bytes. */
  truncate(length: number): void;
  close(): void;
}

/** Read exactly `length` bytes or return null when the store is shorter. */
export function readExact(store: ByteStore, position: number, length: number): Buffer | null {
  if (position < 0 || length < 0 || position + length > store.size) return null;
  const buf = Buffer.allocUnsafe(length);
  const n = store.readInto(buf, 0, length, position);
  return n === length ? buf : null;
}
