/**
 * Decode only some columns of a record payload `[collectionId, schemaVersion, row]`
 * (docs/format.md §3.2) — what a filtered scan needs to test a row it has not cached. Columns it
 * does not ask for are skipped by their MessagePack lengths, never materialized, so a scan that
 * rejects most rows allocates almost nothing for them. The common scalar encodings are read here;
 * anything else (64-bit integers, extension types, nested values) goes through the shared
 * decoder, so every value decodes exactly as a full read would decode it.
 */
import { decodePayload } from './codec';

/** Thrown for payload bytes that are not the expected shape; the caller reports corruption. */
export class ColumnReadError extends Error {}

function fail(): never {
  throw new ColumnReadError('record payload');
}

/** The end offset of the MessagePack value starting at `p` (within `end`). */
function skip(b: Uint8Array, p: number, end: number): number {
  if (p >= end) fail();
  const t = b[p];
  if (t <= 0x7f || t >= 0xe0) return p + 1;
  if (t <= 0x8f) return skipN(b, p + 1, end, (t & 0x0f) * 2);
  if (t <= 0x9f) return skipN(b, p + 1, end, t & 0x0f);
  if (t <= 0xbf) return p + 1 + (t & 0x1f);
  switch (t) {
    case 0xc0:
    case 0xc2:
    case 0xc3:
      return p + 1;
    case 0xc4:
    case 0xd9:
      return p + 2 + b[p + 1];
    case 0xc5:
    case 0xda:
      return p + 3 + be16(b, p + 1);
    case 0xc6:
    case 0xdb:
      return p + 5 + be32(b, p + 1);
    case 0xc7:
      return p + 3 + b[p + 1];
    case 0xc8:
      return p + 4 + be16(b, p + 1);
    case 0xc9:
      return p + 6 + be32(b, p + 1);
    case 0xca:
      return p + 5;
    case 0xcb:
      return p + 9;
    case 0xcc:
    case 0xd0:
      return p + 2;
    case 0xcd:
    case 0xd1:
      return p + 3;
    case 0xce:
    case 0xd2:
      return p + 5;
    case 0xcf:
    case 0xd3:
      return p + 9;
    case 0xd4:
      return p + 3;
    case 0xd5:
      return p + 4;
    case 0xd6:
      return p + 6;
    case 0xd7:
      return p + 10;
    case 0xd8:
      return p + 18;
    case 0xdc:
      return skipN(b, p + 3, end, be16(b, p + 1));
    case 0xdd:
      return skipN(b, p + 5, end, be32(b, p + 1));
    case 0xde:
      return skipN(b, p + 3, end, be16(b, p + 1) * 2);
    case 0xdf:
      return skipN(b, p + 5, end, be32(b, p + 1) * 2);
    default:
      return fail(); // 0xc1 is never used
  }
}

function skipN(b: Uint8Array, p: number, end: number, n: number): number {
  for (let i = 0; i < n; i++) p = skip(b, p, end);
  return p;
}

function be16(b: Uint8Array, p: number): number {
  return (b[p] << 8) | b[p + 1];
}

function be32(b: Uint8Array, p: number): number {
  return b[p] * 0x1000000 + ((b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]);
}

/** Read the array header at `p`: [element count, offset of the first element]. */
function arrayHeader(b: Uint8Array, p: number, end: number): [number, number] {
  if (p >= end) fail();
  const t = b[p];
  if (t >= 0x90 && t <= 0x9f) return [t & 0x0f, p + 1];
  if (t === 0xdc) return [be16(b, p + 1), p + 3];
  if (t === 0xdd) return [be32(b, p + 1), p + 5];
  return fail();
}

/** Decode the value at [p, next) the way the shared decoder would. */
function decodeAt(buf: Buffer, p: number, next: number): unknown {
  const t = buf[p];
  if (t <= 0x7f) return t;
  if (t >= 0xe0) return t - 0x100;
  if (t >= 0xa0 && t <= 0xbf) return buf.toString('utf8', p + 1, next);
  switch (t) {
    case 0xc0:
      return null;
    case 0xc2:
      return false;
    case 0xc3:
      return true;
    case 0xcb:
      return buf.readDoubleBE(p + 1);
    case 0xcc:
      return buf[p + 1];
    case 0xcd:
      return be16(buf, p + 1);
    case 0xce:
      return be32(buf, p + 1);
    case 0xd0:
      return buf.readInt8(p + 1);
    case 0xd1:
      return buf.readInt16BE(p + 1);
    case 0xd2:
      return buf.readInt32BE(p + 1);
    case 0xd9:
      return buf.toString('utf8', p + 2, next);
    case 0xda:
      return buf.toString('utf8', p + 3, next);
    default:
      return decodePayload(buf.subarray(p, next));
  }
}

/**
 * Fill `out[c]` for each column `c` in `columns` (ascending) from the payload at [start, end);
 * columns past the stored row's end are left untouched (the caller supplies their defaults).
 * Returns the collection id.
 */
export function readColumns(
  buf: Buffer,
  start: number,
  end: number,
  columns: readonly number[],
  out: unknown[],
): number {
  const [outer, first] = arrayHeader(buf, start, end);
  if (outer !== 3 || first >= end) fail();
  const idTag = buf[first];
  const collectionId = idTag <= 0x7f ? idTag : decodeAt(buf, first, skip(buf, first, end));
  if (typeof collectionId !== 'number') fail();
  let p = skip(buf, skip(buf, first, end), end);
  const [width, rowStart] = arrayHeader(buf, p, end);
  p = rowStart;
  let col = 0;
  for (const c of columns) {
    if (c >= width) break;
    while (col < c) {
      p = skip(buf, p, end);
      col++;
    }
    const next = skip(buf, p, end);
    if (next > end) fail();
    out[c] = decodeAt(buf, p, next);
    p = next;
    col++;
  }
  return collectionId;
}
