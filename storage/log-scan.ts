/**
 * Reads the log forward from an offset and hands every committed transaction to a callback.
 * This is where the recovery rules of docs/format.md §5 live:
 *
 *  1. A frame is usable only if its header fits, its length lies inside the file and its crc matches.
 *  2. Outside a transaction only TXN_BEGIN, CHECKPOINT and SCRATCH frames may appear; TXN_BEGIN
 *     must carry exactly lastTxnId + 1 (anything else is a transaction-id mismatch).
 *  3. Inside a transaction every frame carries the transaction's id; TXN_COMMIT delivers the
 *     group (its payload repeats the frame count), TXN_ABORT discards it.
 *  4. The first violation ends the usable log: everything from the end of the last complete
 *     transaction on is the tail that `autoTruncate` cuts and `strict` refuses.
 *  5. A checkpoint frame that a superblock points to but that failed to load is skipped by its
 *     recorded length, so one damaged checkpoint does not cost the transactions after it.
 *  6. An unknown frame kind is a newer format: skipped when flagged ignorable, otherwise refused
 *     outright (truncating it would destroy a newer writer's data).
 *  7. Outside a transaction, a frame header of 20 zero bytes is the clean end of the log: what
 *     follows is space a writer preallocated (format 1.1), not a damaged tail.
 *  8. A damaged checkpoint is skipped (rule 5) only when its recorded length lands on a valid frame,
 *     a zero header or the end of the file: a wrong length must not resume the scan mid-frame.
 *
 * Where the scan stopped is only where the usable log ends; whether that is the end of the
 * committed log is for findCommittedAfter to prove (docs/format.md §5, rule 5): a crash tears
 * at most the one append in flight, so a complete transaction after the damage means the damage
 * is inside the log, and cutting there would destroy acknowledged commits.
 */
import type { ByteStore } from './byte-store';
import { FRAME_FLAG_IGNORABLE, FRAME_HEADER_SIZE, FrameKind, LOG_START } from './format';
import { frameChecksumOk, frameChecksumOkAt, parseFrameHeader } from './frame';
import { crc32c } from './crc32c';
import { decodePayload } from './codec';
import { FormatError } from '../src/errors';

export interface LogFrame {
  offset: number;
  kind: number;
  txnId: number;
  /** The decoded payload; undefined for a record left undecoded (see `payload`). */
  body: unknown;
  /**
   * A RECORD_PUT frame's payload, undecoded, when the scan was asked for `lazyRecords`: the read
   * chunk it lies in (kept alive while the frame is) from `payloadAt` for `size` less the header.
   * No view per frame: a Buffer view each was a tenth of a killed writer's open.
   */
  chunk?: Buffer;
  payloadAt?: number;
  /** Total frame length in bytes (header + payload). */
  size: number;
}

export interface TailProblem {
  code: 'TORN_TAIL' | 'CORRUPT';
  /** End of the usable log (the scan's goodEnd). */
  offset: number;
  /** Offset of the frame, or missing frame, that broke the log. */
  at: number;
  /**
   * Where a search for committed transactions after the damage starts: past the breaking frame
   * outside a transaction (a well-formed frame there, such as a transaction with the wrong id, is
   * the tail itself), at it inside one (it may begin the next transaction, the current one having
   * lost its end).
   */
  searchFrom: number;
  message: string;
}

/** A complete committed transaction, or a checkpoint of later ones, found past the usable log. */
export interface CommittedAfter {
  offset: number;
  txnId: number;
}

export interface ScanResult {
  /** Offset just past the last complete transaction (or skippable frame): the durable end. */
  goodEnd: number;
  lastTxnId: number;
  /** Why the log stopped before the end of the file; null when it was read to the end cleanly. */
  problem: TailProblem | null;
  /**
   * The usable log ends with a MOVED frame: the file was, or is about to be, replaced by a rename
   * (a live reader then checks the file's identity before every statement).
   */
  endsMoved: boolean;
}

const KNOWN_KINDS = new Set<number>(Object.values(FrameKind));
const DATA_KINDS = new Set<number>([
  FrameKind.CATALOG,
  FrameKind.RECORD_PUT,
  FrameKind.RECORD_DELETE,
  FrameKind.INDEX,
  FrameKind.MANIFEST,
]);
const CHUNK = 4 * 1024 * 1024;

/** A frame header of zero bytes only (no frame kind is 0, so no real frame starts like this). */
export function isZeroHeader(head: Uint8Array, at = 0): boolean {
  for (let i = at; i < at + FRAME_HEADER_SIZE; i++) if (head[i] !== 0) return false;
  return true;
}

/** Buffered sequential reader: one large read serves many small frames. */
class ChunkReader {
  buf = Buffer.alloc(0);
  private bufStart = 0;
  constructor(private readonly store: ByteStore) {}

  /** Bytes [pos, pos+len) or null when the file is shorter. */
  get(pos: number, len: number): Buffer | null {
    return this.has(pos, len) ? this.buf.subarray(pos - this.bufStart, pos - this.bufStart + len) : null;
  }

  /**
   * Whether bytes [pos, pos+len) are in `buf` (at `pos - bufStart`), reading from `pos` when they
   * were not: the scan reads frame headers in place, without a view per frame.
   */
  has(pos: number, len: number): boolean {
    if (pos + len > this.store.size) return false;
    if (pos < this.bufStart || pos + len > this.bufStart + this.buf.length) {
      const size = Math.min(Math.max(CHUNK, len), this.store.size - pos);
      // A new buffer each time, never refilled: frames handed out undecoded still point into it.
      const next = Buffer.allocUnsafe(size);
      const n = this.store.readInto(next, 0, size, pos);
      if (n < len) return false;
      this.buf = next.subarray(0, n);
      this.bufStart = pos;
    }
    return true;
  }

  /** Where `pos` lies in `buf` (after has()). */
  at(pos: number): number {
    return pos - this.bufStart;
  }
}

export function scanLog(
  store: ByteStore,
  from: number,
  lastTxnId: number,
  onCommit: (txnId: number, frames: LogFrame[], endOffset: number) => void,
  /** Frames known from a superblock to be damaged checkpoints: offset → total length, skipped unread. */
  skip: ReadonlyMap<number, number> = new Map(),
  /** Hand RECORD_PUT frames over undecoded (LogFrame.payload): their reader decodes what it needs. */
  lazyRecords = false,
): ScanResult {
  const reader = new ChunkReader(store);
  const size = store.size;
  let pos = from;
  let goodEnd = from;
  let open: { txnId: number; begin: number; frames: LogFrame[]; meta: number } | null = null;
  // Where the last MOVED frame ended: the log ends moved while nothing usable follows it.
  let movedEnd = -1;

  const stop = (code: TailProblem['code'], message: string): ScanResult => ({
    goodEnd,
    lastTxnId,
    endsMoved: goodEnd === movedEnd,
    problem: {
      code,
      offset: goodEnd,
      at: Math.min(pos, size),
      searchFrom: open ? pos : pos + 1,
      message,
    },
  });

  while (pos < size) {
    const skipLength = open ? undefined : skip.get(pos);
    if (
      skipLength !== undefined &&
      pos + skipLength <= size &&
      landsOnFrame(reader, pos + skipLength, size)
    ) {
      pos += skipLength;
      goodEnd = pos;
      continue;
    }
    if (!reader.has(pos, FRAME_HEADER_SIZE))
      return stop('TORN_TAIL', `incomplete frame header at offset ${pos}`);
    if (!open && isZeroHeader(reader.buf, reader.at(pos)))
      return { goodEnd, lastTxnId, problem: null, endsMoved: goodEnd === movedEnd };
    const header = parseFrameHeader(reader.buf, reader.at(pos), size - pos);
    if (!header) return stop('TORN_TAIL', `frame at offset ${pos} extends past the end of the file`);
    if (!reader.has(pos, FRAME_HEADER_SIZE + header.length))
      return stop('TORN_TAIL', `frame at offset ${pos} is cut off`);
    const chunk = reader.buf;
    const here = reader.at(pos);
    if (!frameChecksumOkAt(chunk, here, header.length, header.crc)) {
      return stop('CORRUPT', `checksum mismatch in frame at offset ${pos}`);
    }
    const frameEnd = pos + FRAME_HEADER_SIZE + header.length;
    const { kind, txnId } = header;

    if (!KNOWN_KINDS.has(kind)) {
      if (header.flags & FRAME_FLAG_IGNORABLE) {
        if (!open) goodEnd = frameEnd;
        pos = frameEnd;
        continue;
      }
      throw new FormatError(
        `frame at offset ${pos} has unknown kind ${kind}: written by a newer format version`,
        'UNSUPPORTED_VERSION',
        { offset: pos },
      );
    }

    if (!open) {
      if (kind === FrameKind.TXN_BEGIN) {
        if (txnId !== lastTxnId + 1) {
          return stop(
            'CORRUPT',
            `transaction id mismatch at offset ${pos}: expected ${lastTxnId + 1}, found ${txnId}`,
          );
        }
        open = { txnId, begin: pos, frames: [], meta: 0 };
      } else if (kind === FrameKind.CHECKPOINT || kind === FrameKind.SCRATCH || kind === FrameKind.PAGES) {
        goodEnd = frameEnd;
      } else if (kind === FrameKind.MOVED) {
        goodEnd = frameEnd;
        movedEnd = frameEnd;
      } else {
        return stop('CORRUPT', `frame of kind ${kind} outside a transaction at offset ${pos} (orphan)`);
      }
      pos = frameEnd;
      continue;
    }

    if (txnId !== open.txnId) {
      return stop(
        'CORRUPT',
        `frame at offset ${pos} belongs to transaction ${txnId} inside transaction ${open.txnId}`,
      );
    }
    if (lazyRecords && kind === FrameKind.RECORD_PUT) {
      const payloadAt = here + FRAME_HEADER_SIZE;
      open.frames.push({ offset: pos, kind, txnId, body: undefined, chunk, payloadAt, size: frameEnd - pos });
      pos = frameEnd;
      continue;
    }
    const payload = chunk.subarray(here + FRAME_HEADER_SIZE, here + FRAME_HEADER_SIZE + header.length);
    if (DATA_KINDS.has(kind) || kind === FrameKind.META) {
      // Decode now: decoding copies what the frame holds, so the chunk need not outlive it.
      open.frames.push({ offset: pos, kind, txnId, body: decodePayload(payload, pos), size: frameEnd - pos });
      // META frames are not counted by the commit marker (readers that skip them must agree).
      if (kind === FrameKind.META) open.meta++;
    } else if (kind === FrameKind.TXN_COMMIT) {
      const count = decodePayload(payload, pos);
      if (count !== open.frames.length - open.meta) {
        return stop(
          'CORRUPT',
          `commit marker at offset ${pos} counts ${String(count)} frames, found ${open.frames.length - open.meta}`,
        );
      }
      onCommit(open.txnId, open.frames, frameEnd);
      lastTxnId = open.txnId;
      goodEnd = frameEnd;
      open = null;
    } else if (kind === FrameKind.TXN_ABORT) {
      lastTxnId = open.txnId;
      goodEnd = frameEnd;
      open = null;
    } else {
      return stop(
        'CORRUPT',
        `unexpected frame of kind ${kind} inside transaction ${open.txnId} at offset ${pos}`,
      );
    }
    pos = frameEnd;
  }
  if (open) return stop('TORN_TAIL', `transaction ${open.txnId} has no commit marker`);
  return { goodEnd, lastTxnId, problem: null, endsMoved: goodEnd === movedEnd };
}

/** True when `at` is the end of the file, a zero header (reserved space) or a frame whose crc holds. */
function landsOnFrame(reader: ChunkReader, at: number, size: number): boolean {
  if (at === size) return true;
  const head = reader.get(at, FRAME_HEADER_SIZE);
  if (!head) return false;
  if (isZeroHeader(head)) return true;
  const header = parseFrameHeader(head, 0, size - at);
  if (!header) return false;
  const whole = reader.get(at, FRAME_HEADER_SIZE + header.length);
  return whole !== null && frameChecksumOk(whole, 0, whole.subarray(FRAME_HEADER_SIZE), header.crc);
}

/** Bytes searched per read by findCommittedAfter. */
const SEARCH_CHUNK = 1 << 20;
/** TXN_BEGIN carries `nil` (1 byte); a little room for a later minor, none for a forged length. */
const MAX_BEGIN_PAYLOAD = 255;

/**
 * The first complete committed transaction with an id above `lastTxnId`, or CHECKPOINT frame of
 * such a transaction, that starts at or after `from`; null when there is none up to the end of
 * the file. It proves the log went on past a damaged frame: a crash tears only the one append in
 * flight (a transaction or a checkpoint, starting at the end of the usable log), and is followed
 * only by zeros or the end of the file.
 *
 * Frame boundaries past damage are unknown, so every byte offset is a candidate; a candidate
 * costs four byte compares unless it looks like a TXN_BEGIN or CHECKPOINT header (flags and
 * reserved bytes zero), and only those are read and checksummed. The search stops at the first
 * proof, so damage inside the log costs a read up to the next commit; a real torn tail costs
 * one pass over the rest of the file (one append plus reserved zeros).
 */
export function findCommittedAfter(store: ByteStore, from: number, lastTxnId: number): CommittedAfter | null {
  const size = store.size;
  const reader = new ChunkReader(store);
  const buf = Buffer.allocUnsafe(SEARCH_CHUNK + FRAME_HEADER_SIZE);
  for (let base = Math.max(from, LOG_START); base + FRAME_HEADER_SIZE <= size; base += SEARCH_CHUNK) {
    const n = store.readInto(buf, 0, Math.min(buf.length, size - base), base);
    const last = Math.min(n - FRAME_HEADER_SIZE, SEARCH_CHUNK - 1);
    // The kind byte sits 4 bytes into a header: find each candidate kind with a native byte search.
    let nextBegin = buf.indexOf(FrameKind.TXN_BEGIN, 4);
    let nextCheckpoint = buf.indexOf(FrameKind.CHECKPOINT, 4);
    for (;;) {
      const k =
        nextBegin < 0 ? nextCheckpoint : nextCheckpoint < 0 ? nextBegin : Math.min(nextBegin, nextCheckpoint);
      const i = k - 4;
      if (k < 0 || i > last) break;
      if (k === nextBegin) nextBegin = buf.indexOf(FrameKind.TXN_BEGIN, k + 1);
      else nextCheckpoint = buf.indexOf(FrameKind.CHECKPOINT, k + 1);
      if (buf[i + 5] !== 0 || buf[i + 6] !== 0 || buf[i + 7] !== 0) continue;
      const found = committedAt(reader, store, base + i, lastTxnId);
      if (found) return found;
    }
  }
  return null;
}

/** The proof findCommittedAfter looks for, checked at one offset. */
function committedAt(
  reader: ChunkReader,
  store: ByteStore,
  at: number,
  lastTxnId: number,
): CommittedAfter | null {
  const size = store.size;
  // The header alone rules most candidates out before any checksum is computed.
  const head = reader.get(at, FRAME_HEADER_SIZE);
  if (!head) return null;
  const claimed = parseFrameHeader(head, 0, size - at);
  if (!claimed || claimed.txnId <= lastTxnId) return null;
  if (claimed.kind === FrameKind.TXN_BEGIN && claimed.length > MAX_BEGIN_PAYLOAD) return null;
  const first = verifiedFrame(reader, store, at, size);
  if (!first || first.txnId <= lastTxnId) return null;
  if (first.kind === FrameKind.CHECKPOINT) return { offset: at, txnId: first.txnId };
  let pos = first.end;
  let dataFrames = 0;
  for (;;) {
    const frame = verifiedFrame(reader, store, pos, size);
    if (!frame || frame.txnId !== first.txnId) return null;
    if (DATA_KINDS.has(frame.kind)) {
      dataFrames++;
    } else if (frame.kind === FrameKind.META) {
      // not counted by the commit marker
    } else if (frame.kind === FrameKind.TXN_COMMIT) {
      const payload = frame.length <= 16 ? reader.get(pos + FRAME_HEADER_SIZE, frame.length) : null;
      let count: unknown = null;
      try {
        if (payload) count = decodePayload(payload, pos);
      } catch {
        return null;
      }
      return count === dataFrames ? { offset: at, txnId: first.txnId } : null;
    } else {
      return null;
    }
    pos = frame.end;
  }
}

/** Frames up to this size are checked from the reader's chunk; larger ones are streamed. */
const STREAM_ABOVE = 1 << 20;

/**
 * The frame at `at` when its crc holds. A candidate found inside damaged or foreign bytes may
 * carry any length, so a large one is checksummed in pieces instead of being read whole.
 */
function verifiedFrame(
  reader: ChunkReader,
  store: ByteStore,
  at: number,
  size: number,
): { kind: number; txnId: number; length: number; end: number } | null {
  const head = reader.get(at, FRAME_HEADER_SIZE);
  if (!head) return null;
  const header = parseFrameHeader(head, 0, size - at);
  if (!header || !Number.isSafeInteger(header.txnId)) return null;
  const end = at + FRAME_HEADER_SIZE + header.length;
  const found = { kind: header.kind, txnId: header.txnId, length: header.length, end };
  if (header.length <= STREAM_ABOVE) {
    const whole = reader.get(at, FRAME_HEADER_SIZE + header.length);
    return whole && frameChecksumOk(whole, 0, whole.subarray(FRAME_HEADER_SIZE), header.crc) ? found : null;
  }
  let crc = crc32c(head, 0, 16);
  const piece = Buffer.allocUnsafe(STREAM_ABOVE);
  for (let pos = at + FRAME_HEADER_SIZE; pos < end;) {
    const n = store.readInto(piece, 0, Math.min(piece.length, end - pos), pos);
    if (n <= 0) return null;
    crc = crc32c(piece, 0, n, crc);
    pos += n;
  }
  return crc === header.crc ? found : null;
}
