/**
 * Frame codec. Grammar (docs/format.md §3), all integers little-endian:
 *
 *   frame   := length:u32 kind:u8 flags:u8 reserved:u16 txnId:u64 crc:u32 payload[length]
 *   crc     := crc32c(bytes 0..15 of the header ++ payload)
 *
 * A frame is valid only when its whole extent lies inside the file and the crc matches; the
 * length is checked against the file size before anything is allocated.
 */
import { FRAME_FLAG_IGNORABLE, FRAME_HEADER_SIZE, FrameKind, MAX_FRAME_PAYLOAD } from './format';
import { crc32c, crc32cRechain } from './crc32c';
import type { GrowableBuffer } from './growable-buffer';
import { encodeValueInto } from './record-encoder';

export interface FrameHeader {
  length: number;
  kind: number;
  flags: number;
  txnId: number;
  crc: number;
}

/** Append one frame to `out`; returns the offset of the frame inside `out`. */
export function writeFrame(
  out: GrowableBuffer,
  kind: number,
  txnId: number,
  payload: Uint8Array,
  flags = 0,
): number {
  const at = out.reserve(FRAME_HEADER_SIZE + payload.length);
  const b = out.buf;
  b.writeUInt32LE(payload.length, at);
  b[at + 4] = kind;
  b[at + 5] = flags;
  b.writeUInt16LE(0, at + 6);
  b.writeUInt32LE(txnId % 0x100000000, at + 8);
  b.writeUInt32LE(Math.floor(txnId / 0x100000000), at + 12);
  b.set(payload, at + FRAME_HEADER_SIZE);
  const crc = crc32c(payload, 0, payload.length, crc32c(b, at, at + 16));
  b.writeUInt32LE(crc, at + 16);
  return at;
}

/** The 20-byte header of a frame carrying `payload`, for a writer that writes the payload apart. */
export function frameHeader(kind: number, txnId: number, payload: Uint8Array, flags = 0): Buffer {
  const b = Buffer.alloc(FRAME_HEADER_SIZE);
  b.writeUInt32LE(payload.length, 0);
  b[4] = kind;
  b[5] = flags;
  b.writeUInt32LE(txnId % 0x100000000, 8);
  b.writeUInt32LE(Math.floor(txnId / 0x100000000), 12);
  b.writeUInt32LE(crc32c(payload, 0, payload.length, crc32c(b, 0, 16)), 16);
  return b;
}

/** A MOVED frame (docs/format.md §3): a header with an empty payload, IGNORABLE. */
export function movedFrame(txnId: number): Buffer {
  return frameHeader(FrameKind.MOVED, txnId, EMPTY_PAYLOAD, FRAME_FLAG_IGNORABLE);
}

const EMPTY_PAYLOAD = new Uint8Array(0);

/**
 * The 20-byte header of a frame whose payload of `length` bytes was written apart, given the
 * payload's crc32c from 0 (the frame checksum starts from the header's first 16 bytes instead).
 */
export function frameHeaderFor(
  kind: number,
  txnId: number,
  length: number,
  payloadCrc: number,
  flags = 0,
): Buffer {
  const b = Buffer.alloc(FRAME_HEADER_SIZE);
  b.writeUInt32LE(length, 0);
  b[4] = kind;
  b[5] = flags;
  b.writeUInt32LE(txnId % 0x100000000, 8);
  b.writeUInt32LE(Math.floor(txnId / 0x100000000), 12);
  b.writeUInt32LE(crc32cRechain(payloadCrc, 0, crc32c(b, 0, 16), length), 16);
  return b;
}

/** Append one frame whose payload is `body` encoded in place (the record hot path); returns its offset. */
export function writeFrameEncoded(
  out: GrowableBuffer,
  kind: number,
  txnId: number,
  body: unknown,
  flags = 0,
): number {
  const at = out.reserve(FRAME_HEADER_SIZE);
  encodeValueInto(out, body);
  const b = out.buf;
  const length = out.length - at - FRAME_HEADER_SIZE;
  b.writeUInt32LE(length, at);
  b[at + 4] = kind;
  b[at + 5] = flags;
  b.writeUInt16LE(0, at + 6);
  b.writeUInt32LE(txnId % 0x100000000, at + 8);
  b.writeUInt32LE(Math.floor(txnId / 0x100000000), at + 12);
  const crc = crc32c(b, at + FRAME_HEADER_SIZE, out.length, crc32c(b, at, at + 16));
  b.writeUInt32LE(crc, at + 16);
  return at;
}

/** Parse a header; null when the length field is impossible for a file of `available` bytes. */
export function parseFrameHeader(b: Uint8Array, at: number, available: number): FrameHeader | null {
  // Byte arithmetic instead of a Buffer view: this runs once per row read, where a view's
  // allocation showed in profiles.
  if (at < 0 || at + FRAME_HEADER_SIZE > b.length) return null;
  const length = u32(b, at);
  if (length > MAX_FRAME_PAYLOAD || FRAME_HEADER_SIZE + length > available) return null;
  return {
    length,
    kind: b[at + 4],
    flags: b[at + 5],
    txnId: u32(b, at + 8) + u32(b, at + 12) * 0x100000000,
    crc: u32(b, at + 16),
  };
}

/** The little-endian u32 at `at` (byte arithmetic: no view allocated on the per-row path). */
export function u32(b: Uint8Array, at: number): number {
  return (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16)) + b[at + 3] * 0x1000000;
}

/** True when `payload` and the header bytes at `headerAt` match the stored crc. */
export function frameChecksumOk(
  header: Uint8Array,
  headerAt: number,
  payload: Uint8Array,
  crc: number,
): boolean {
  return crc32c(payload, 0, payload.length, crc32c(header, headerAt, headerAt + 16)) === crc;
}

/** frameChecksumOk for a frame whose header and payload lie together in `buf` at `at`. */
export function frameChecksumOkAt(buf: Uint8Array, at: number, length: number, crc: number): boolean {
  const start = at + FRAME_HEADER_SIZE;
  return crc32c(buf, start, start + length, crc32c(buf, at, at + 16)) === crc;
}
