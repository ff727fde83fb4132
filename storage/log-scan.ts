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
 */
import type { ByteStore } from './byte-store';
import { FRAME_FLAG_IGNORABLE, FRAME_HEADER_SIZE, FrameKind } from './format';
import { frameChecksumOk, parseFrameHeader } from './frame';
import { decodePayload } from './codec';
import { FormatError } from '../src/errors';

export interface LogFrame {
  offset: number;
  kind: number;
  txnId: number;
  /** The decoded payload (decoded here: the chunk buffer it came from is reused). */
  body: unknown;
  /** Total frame length in bytes (header + payload). */
  size: number;
}

export interface TailProblem {
  code: 'TORN_TAIL' | 'CORRUPT';
  offset: number;
  message: string;
}

export interface ScanResult {
  /** Offset just past the last complete transaction (or skippable frame): the durable end. */
  goodEnd: number;
  lastTxnId: number;
  /** Why the log stopped before the end of the file; null when it was read to the end cleanly. */
  problem: TailProblem | null;
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
  private buf = Buffer.alloc(0);
  private bufStart = 0;
  constructor(private readonly store: ByteStore) {}

  /** Bytes [pos, pos+len) or null when the file is shorter. */
  get(pos: number, len: number): Buffer | null {
    if (pos + len > this.store.size) return null;
    if (pos < this.bufStart || pos + len > this.bufStart + this.buf.length) {
      const size = Math.min(Math.max(CHUNK, len), this.store.size - pos);
      const next = Buffer.allocUnsafe(size);
      const n = this.store.readInto(next, 0, size, pos);
      if (n < len) return null;
      this.buf = next.subarray(0, n);
      this.bufStart = pos;
    }
    return this.buf.subarray(pos - this.bufStart, pos - this.bufStart + len);
  }
}

export function scanLog(
  store: ByteStore,
  from: number,
  lastTxnId: number,
  onCommit: (txnId: number, frames: LogFrame[], endOffset: number) => void,
  /** Frames known from a superblock to be damaged checkpoints: offset → total length, skipped unread. */
  skip: ReadonlyMap<number, number> = new Map(),
): ScanResult {
  const reader = new ChunkReader(store);
  const size = store.size;
  let pos = from;
  let goodEnd = from;
  let open: { txnId: number; begin: number; frames: LogFrame[] } | null = null;

  const stop = (code: TailProblem['code'], message: string): ScanResult => ({
    goodEnd,
    lastTxnId,
    problem: { code, offset: goodEnd, message },
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
    const head = reader.get(pos, FRAME_HEADER_SIZE);
    if (!head) return stop('TORN_TAIL', `incomplete frame header at offset ${pos}`);
    if (!open && isZeroHeader(head)) return { goodEnd, lastTxnId, problem: null };
    const header = parseFrameHeader(head, 0, size - pos);
    if (!header) return stop('TORN_TAIL', `frame at offset ${pos} extends past the end of the file`);
    const whole = reader.get(pos, FRAME_HEADER_SIZE + header.length);
    if (!whole) return stop('TORN_TAIL', `frame at offset ${pos} is cut off`);
    const payload = whole.subarray(FRAME_HEADER_SIZE);
    if (!frameChecksumOk(whole, 0, payload, header.crc)) {
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
        open = { txnId, begin: pos, frames: [] };
      } else if (kind === FrameKind.CHECKPOINT || kind === FrameKind.SCRATCH) {
        goodEnd = frameEnd;
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
    if (DATA_KINDS.has(kind)) {
      // Decode now: the chunk buffer is reused, and decoding copies what the frame holds.
      open.frames.push({ offset: pos, kind, txnId, body: decodePayload(payload, pos), size: frameEnd - pos });
    } else if (kind === FrameKind.TXN_COMMIT) {
      const count = decodePayload(payload, pos);
      if (count !== open.frames.length) {
        return stop(
          'CORRUPT',
          `commit marker at offset ${pos} counts ${String(count)} frames, found ${open.frames.length}`,
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
  return { goodEnd, lastTxnId, problem: null };
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
