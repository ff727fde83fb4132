/**
 * A direct MessagePack encoder for the hot write path: record payloads `[collectionId, version,
 * row]` are written straight into the transaction's staging buffer, skipping msgpackr's
 * intermediate buffer and the copy. It emits only standard MessagePack (nil, bool, int up to 64
 * bits, float64, str, bin, array) so msgpackr decodes it; anything else (maps, extension types)
 * is delegated to msgpackr. Strings get a header sized for their worst-case UTF-8 length, a
 * valid (if not always minimal) encoding that avoids measuring each string twice.
 */
import type { GrowableBuffer } from './growable-buffer';
import { encodePayload } from './codec';

function ensure(out: GrowableBuffer, n: number): void {
  const need = out.length + n;
  if (need > out.buf.length) {
    const at = out.reserve(n);
    out.length = at;
  }
}

export function encodeValueInto(out: GrowableBuffer, v: unknown): void {
  if (v === null || v === undefined) {
    ensure(out, 1);
    out.buf[out.length++] = 0xc0;
    return;
  }
  switch (typeof v) {
    case 'boolean':
      ensure(out, 1);
      out.buf[out.length++] = v ? 0xc3 : 0xc2;
      return;
    case 'number':
      encodeNumber(out, v);
      return;
    case 'string':
      encodeString(out, v);
      return;
    case 'bigint':
      ensure(out, 9);
      if (v >= 0n) {
        out.buf[out.length] = 0xcf;
        out.buf.writeBigUInt64BE(v, out.length + 1);
      } else {
        out.buf[out.length] = 0xd3;
        out.buf.writeBigInt64BE(v, out.length + 1);
      }
      out.length += 9;
      return;
    default:
      if (Array.isArray(v)) {
        encodeArrayHeader(out, v.length);
        for (let i = 0; i < v.length; i++) encodeValueInto(out, v[i]);
        return;
      }
      if (v instanceof Uint8Array) {
        encodeBinary(out, v);
        return;
      }
      encodeForeign(out, v);
  }
}

function encodeNumber(out: GrowableBuffer, v: number): void {
  ensure(out, 9);
  const b = out.buf;
  const at = out.length;
  if (Number.isInteger(v) && !Object.is(v, -0) && Number.isSafeInteger(v)) {
    if (v >= 0) {
      if (v < 128) {
        b[at] = v;
        out.length = at + 1;
      } else if (v < 0x10000) {
        b[at] = 0xcd;
        b.writeUInt16BE(v, at + 1);
        out.length = at + 3;
      } else if (v < 0x100000000) {
        b[at] = 0xce;
        b.writeUInt32BE(v, at + 1);
        out.length = at + 5;
      } else {
        b[at] = 0xcf;
        b.writeBigUInt64BE(BigInt(v), at + 1);
        out.length = at + 9;
      }
      return;
    }
    if (v >= -32) {
      b[at] = v & 0xff;
      out.length = at + 1;
    } else if (v >= -0x80000000) {
      b[at] = 0xd2;
      b.writeInt32BE(v, at + 1);
      out.length = at + 5;
    } else {
      b[at] = 0xd3;
      b.writeBigInt64BE(BigInt(v), at + 1);
      out.length = at + 9;
    }
    return;
  }
  b[at] = 0xcb;
  b.writeDoubleBE(v, at + 1);
  out.length = at + 9;
}

/** Short ASCII strings: a byte loop beats Buffer#write's argument checking. */
function encodeShortAscii(out: GrowableBuffer, s: string): boolean {
  const n = s.length;
  ensure(out, n + 2);
  const b = out.buf;
  const at = out.length;
  const h = n < 32 ? 1 : 2;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) return false;
    b[at + h + i] = c;
  }
  if (h === 1) b[at] = 0xa0 | n;
  else {
    b[at] = 0xd9;
    b[at + 1] = n;
  }
  out.length = at + h + n;
  return true;
}

/**
 * From this length on, one native UTF-8 write beats the byte loop (about a third of its time on
 * 80-140 character strings; the loop wins on short keys).
 */
const NATIVE_ASCII_MIN = 48;

/**
 * ASCII strings of NATIVE_ASCII_MIN to 255 characters: the same bytes as encodeShortAscii. With
 * room for the whole string, UTF-8 takes exactly one byte per UTF-16 unit only when every unit is
 * ASCII (other units take 2-3 bytes, a surrogate pair 4), so the byte count is the ASCII test.
 * Otherwise nothing is kept: the caller encodes the string again over the same bytes.
 */
function encodeLongAscii(out: GrowableBuffer, s: string): boolean {
  const n = s.length;
  const max = n * 3;
  ensure(out, max + 2);
  const b = out.buf;
  const at = out.length;
  if (b.write(s, at + 2, max, 'utf8') !== n) return false;
  b[at] = 0xd9;
  b[at + 1] = n;
  out.length = at + 2 + n;
  return true;
}

function encodeString(out: GrowableBuffer, s: string): void {
  const len = s.length;
  if (len < 256 && (len < NATIVE_ASCII_MIN ? encodeShortAscii(out, s) : encodeLongAscii(out, s))) return;
  const max = s.length * 3;
  ensure(out, max + 5);
  const b = out.buf;
  const at = out.length;
  if (max < 32) {
    const n = b.write(s, at + 1, max, 'utf8');
    b[at] = 0xa0 | n;
    out.length = at + 1 + n;
  } else if (max < 0x100) {
    const n = b.write(s, at + 2, max, 'utf8');
    b[at] = 0xd9;
    b[at + 1] = n;
    out.length = at + 2 + n;
  } else if (max < 0x10000) {
    const n = b.write(s, at + 3, max, 'utf8');
    b[at] = 0xda;
    b.writeUInt16BE(n, at + 1);
    out.length = at + 3 + n;
  } else {
    const n = b.write(s, at + 5, max, 'utf8');
    b[at] = 0xdb;
    b.writeUInt32BE(n, at + 1);
    out.length = at + 5 + n;
  }
}

function encodeArrayHeader(out: GrowableBuffer, n: number): void {
  ensure(out, 5);
  const b = out.buf;
  const at = out.length;
  if (n < 16) {
    b[at] = 0x90 | n;
    out.length = at + 1;
  } else if (n < 0x10000) {
    b[at] = 0xdc;
    b.writeUInt16BE(n, at + 1);
    out.length = at + 3;
  } else {
    b[at] = 0xdd;
    b.writeUInt32BE(n, at + 1);
    out.length = at + 5;
  }
}

function encodeBinary(out: GrowableBuffer, v: Uint8Array): void {
  ensure(out, v.length + 5);
  const b = out.buf;
  const at = out.length;
  let h: number;
  if (v.length < 0x100) {
    b[at] = 0xc4;
    b[at + 1] = v.length;
    h = 2;
  } else if (v.length < 0x10000) {
    b[at] = 0xc5;
    b.writeUInt16BE(v.length, at + 1);
    h = 3;
  } else {
    b[at] = 0xc6;
    b.writeUInt32BE(v.length, at + 1);
    h = 5;
  }
  b.set(v, at + h);
  out.length = at + h + v.length;
}

function encodeForeign(out: GrowableBuffer, v: unknown): void {
  const bytes = encodePayload(v);
  ensure(out, bytes.length);
  out.buf.set(bytes, out.length);
  out.length += bytes.length;
}
