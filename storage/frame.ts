/**
 * Frame codec. Grammar (docs/format.md §3), all integers little-endian:
 *
 *   frame   := length:u32 kind:u8 flags:u8 reserved:u16 txnId:u64 crc:u32 payload[length]
 *   crc     := crc32c(bytes 0..15 of the header ++ payload)
 *
 * A frame is valid only when its whole extent lies inside the file and the crc matches; the
 * length is checked against the file size before anything is allocated.
 */
import { FRAME_HEADER_SIZE, MAX_FRAME_PAYLOAD } from './format';
import { crc32c } from './crc32c';
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

/** Append one frame whose payload is `body` encoded in place (the record hot path); returns its offset. */
export function writeFrameEncoded(out: GrowableBuffer, kind: number, txnId: number, body: unknown): number {
  const at = out.reserve(FRAME_HEADER_SIZE);
  encodeValueInto(out, body);
  const b = out.buf;
  const length = out.length - at - FRAME_HEADER_SIZE;
  b.writeUInt32LE(length, at);
  b[at + 4] = kind;
  b[at + 5] = 0;
  b.writeUInt16LE(0, at + 6);
  b.writeUInt32LE(txnId % 0x100000000, at + 8);
  b.writeUInt32LE(Math.floor(txnId / 0x100000000), at + 12);
  const crc = crc32c(b, at + FRAME_HEADER_SIZE, out.length, crc32c(b, at, at + 16));
  b.writeUInt32LE(crc, at + 16);
  return at;
}

/** Parse a header; null when the length field is impossible for a file of `available` bytes. */
export function parseFrameHeader(b: Uint8Array, at: number, available: number): FrameHeader | null {
  const view = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  const length = view.readUInt32LE(at);
  if (length > MAX_FRAME_PAYLOAD || FRAME_HEADER_SIZE + length > available) return null;
  return {
    length,
    kind: view[at + 4],
    flags: view[at + 5],
    txnId: view.readUInt32LE(at + 8) + view.readUInt32LE(at + 12) * 0x100000000,
    crc: view.readUInt32LE(at + 16),
  };
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
