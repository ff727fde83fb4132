/**
 * The two ends of a compaction's row copy: `FrameWindow` reads the source's RECORD_PUT frames
 * through a large read-ahead buffer (the live rows are visited in file order, so the source is
 * read sequentially, each byte at most once), and `LogWriter` appends the new file's log in large
 * sequential writes, cutting the copied records into transactions. A record's payload
 * (`[collectionId, schemaVersion, row]`) is copied as bytes: only its frame header changes (the
 * new transaction id, hence the checksum).
 */
import type { ByteStore } from './byte-store';
import { encodePayload } from './codec';
import { FRAME_HEADER_SIZE, FrameKind, LOG_START, MAX_FRAME_PAYLOAD } from './format';
import { frameHeader, frameHeaderFor, u32, writeFrame, writeFrameEncoded } from './frame';
import { crc32c, crc32cRechain } from './crc32c';
import { GrowableBuffer } from './growable-buffer';
import { corruptAt } from './row-reader';

/** Bytes read from the source at once. */
const WINDOW_BYTES = 4 << 20;
/** Bytes of new log gathered before one write to the target. */
const FLUSH_BYTES = 4 << 20;
/**
 * Copied records per transaction: a reader that cannot use the checkpoint replays the copy, and
 * holds one transaction's frames at a time (the same bound the per-row copy had).
 */
export const ROWS_PER_TXN = 20_000;

const NIL = encodePayload(null);

/** Reads whole frames of `store` at ascending offsets through one reused buffer. */
export class FrameWindow {
  private window: Buffer = Buffer.allocUnsafe(WINDOW_BYTES);
  private start = 0;
  private end = 0;
  /** Bytes read from the source (tests count work with it). */
  bytesRead = 0;

  /** The buffer holding the frame the last recordAt() found. */
  buf: Buffer = this.window;
  /** Its payload length. */
  length = 0;
  /** crc32c of its header bytes 0..15: the starting value its verified checksum was chained from. */
  headCrc = 0;

  constructor(private readonly store: ByteStore) {}

  /**
   * Find the RECORD_PUT frame at `location` and check it (kind, length, checksum, collection id);
   * returns its offset in `this.buf` (fields, not an object: this runs once per row). A damaged
   * source row stops the compaction with `CORRUPT` rather than being copied under a fresh checksum.
   */
  recordAt(location: number, collectionId: number): number {
    let at = location - this.start;
    if (location < this.start || at + FRAME_HEADER_SIZE > this.end - this.start) at = this.fill(location);
    let length = u32(this.window, at);
    if (length > MAX_FRAME_PAYLOAD || location + FRAME_HEADER_SIZE + length > this.store.size)
      throw corruptAt(location, 'record frame is cut off');
    if (at + FRAME_HEADER_SIZE + length > this.end - this.start) {
      at = this.fill(location, FRAME_HEADER_SIZE + length);
      length = u32(this.window, at);
    }
    const buf = this.window;
    if (buf[at + 4] !== FrameKind.RECORD_PUT) throw corruptAt(location, 'expected a record frame');
    const head = crc32c(buf, at, at + 16);
    const start = at + FRAME_HEADER_SIZE;
    if (crc32c(buf, start, start + length, head) !== u32(buf, at + 16))
      throw corruptAt(location, 'record checksum mismatch');
    if (payloadCollectionId(buf, start, length) !== collectionId)
      throw corruptAt(location, 'record of another collection');
    this.buf = buf;
    this.length = length;
    this.headCrc = head;
    return at;
  }

  /** Read from `location` on (at least `need` bytes); returns the location's offset in the buffer. */
  private fill(location: number, need = FRAME_HEADER_SIZE): number {
    if (need > this.window.length) this.window = Buffer.allocUnsafe(need);
    const want = Math.min(this.window.length, this.store.size - location);
    const got = want > 0 ? this.store.readInto(this.window, 0, want, location) : 0;
    this.bytesRead += got;
    this.start = location;
    this.end = location + got;
    if (got < need) throw corruptAt(location, 'record frame is cut off');
    return 0;
  }
}

/**
 * The collection id a record payload starts with (MessagePack: a 3-element array, then an
 * unsigned integer), or -1 when the payload does not start that way.
 */
function payloadCollectionId(b: Buffer, at: number, length: number): number {
  if (length < 2 || b[at] !== 0x93) return -1;
  const tag = b[at + 1];
  if (tag < 0x80) return tag;
  if (tag === 0xcc && length >= 3) return b[at + 2];
  if (tag === 0xcd && length >= 4) return b.readUInt16BE(at + 2);
  if (tag === 0xce && length >= 6) return b.readUInt32BE(at + 2);
  return -1;
}

/** Appends the new file's log: frames gathered in memory, written out in large sequential writes. */
export class LogWriter {
  private readonly out = new GrowableBuffer(FLUSH_BYTES + (64 << 10));
  /** File offset of the first byte in `out`. */
  private base = LOG_START;
  private txn = 0;
  private txnFrames = 0;
  private inTxn = false;

  constructor(private readonly store: ByteStore) {}

  /** Id of the last transaction begun. */
  get lastTxnId(): number {
    return this.txn;
  }

  /** File offset of the next frame. */
  get position(): number {
    return this.base + this.out.length;
  }

  begin(): void {
    this.txn++;
    this.txnFrames = 0;
    this.inTxn = true;
    writeFrame(this.out, FrameKind.TXN_BEGIN, this.txn, NIL);
  }

  commit(): void {
    writeFrame(this.out, FrameKind.TXN_COMMIT, this.txn, encodePayload(this.txnFrames));
    this.inTxn = false;
    this.maybeFlush();
  }

  /** A frame of the open transaction with `body` encoded; `counted`: a data frame TXN_COMMIT counts. */
  frame(kind: number, body: unknown, flags = 0, counted = true): void {
    writeFrameEncoded(this.out, kind, this.txn, body, flags);
    if (counted) this.txnFrames++;
  }

  /**
   * Copy the record frame `source` just checked (at offset `at` of its buffer) into the open
   * transaction, beginning a new one every ROWS_PER_TXN records; returns its location in the new
   * file. Only the transaction id changes, so the checksum is the verified one re-chained from the
   * new header's (crc32cRechain): the payload is checksummed once, not twice.
   */
  record(source: FrameWindow, at: number): number {
    if (this.inTxn && this.txnFrames >= ROWS_PER_TXN) this.commit();
    if (!this.inTxn) this.begin();
    const location = this.position;
    const { buf, length } = source;
    const out = this.out;
    const to = out.reserve(FRAME_HEADER_SIZE + length);
    const b = out.buf;
    // The whole frame in one copy; then its transaction id and checksum are rewritten.
    buf.copy(b, to, at, at + FRAME_HEADER_SIZE + length);
    b.writeUInt32LE(this.txn % 0x100000000, to + 8);
    b.writeUInt32LE(Math.floor(this.txn / 0x100000000), to + 12);
    const head = crc32c(b, to, to + 16);
    b.writeUInt32LE(crc32cRechain(u32(buf, at + 16), source.headCrc, head, length), to + 16);
    this.txnFrames++;
    return location;
  }

  /** End the open transaction, if any. */
  finishTxn(): void {
    if (this.inTxn) this.commit();
  }

  /** A frame outside any transaction (PAGES, CHECKPOINT), written straight through. */
  standalone(kind: number, txnId: number, payload: Uint8Array, flags = 0): number {
    this.flush();
    const at = this.position;
    // Header and payload written apart: the payload (the PAGES frame's may be large) is not copied.
    this.store.writeAt(frameHeader(kind, txnId, payload, flags), at);
    this.store.writeAt(payload, at + FRAME_HEADER_SIZE);
    this.base = at + FRAME_HEADER_SIZE + payload.length;
    return at;
  }

  /**
   * The header of a frame outside any transaction whose `length` payload bytes were already
   * written right after it (a streamed PAGES frame), given the payload's crc32c.
   */
  headerFor(kind: number, txnId: number, length: number, payloadCrc: number, flags = 0): number {
    this.flush();
    const at = this.position;
    this.store.writeAt(frameHeaderFor(kind, txnId, length, payloadCrc, flags), at);
    this.base = at + FRAME_HEADER_SIZE + length;
    return at;
  }

  flush(): void {
    if (this.out.length === 0) return;
    this.store.writeAt(this.out.view(), this.base);
    this.base += this.out.length;
    this.out.length = 0;
  }

  private maybeFlush(): void {
    if (this.out.length >= FLUSH_BYTES) this.flush();
  }
}
