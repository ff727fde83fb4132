/**
 * CRC32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of every frame, header and
 * superblock. Node 20 has no built-in CRC32C, so this is a slicing-by-8 table implementation:
 * eight table lookups per eight input bytes keeps checksumming well below the cost of encoding.
 */
import { endianness } from 'node:os';

const POLY = 0x82f63b78;
// Int32Array: table entries stay small integers in V8 instead of doubles above 2^31.
const TABLES: Int32Array[] = buildTables();
const [T0, T1, T2, T3, T4, T5, T6, T7] = TABLES;
/** Word loads read bytes in memory order as the low byte first only on little-endian machines. */
const LITTLE_ENDIAN = endianness() === 'LE';

function buildTables(): Int32Array[] {
  const tables = Array.from({ length: 8 }, () => new Int32Array(256));
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    tables[0][n] = c;
  }
  for (let n = 0; n < 256; n++) {
    let c = tables[0][n];
    for (let t = 1; t < 8; t++) {
      c = tables[0][c & 0xff] ^ (c >>> 8);
      tables[t][n] = c;
    }
  }
  return tables;
}

/**
 * A word view of the last ArrayBuffer checksummed: frames are checksummed in the staging buffer
 * one after another, so caching it saves a view allocation per frame.
 */
let wordsOf: ArrayBufferLike | null = null;
let words: Int32Array = new Int32Array(0);
/**
 * The last view asked about: a scan checksums every frame of one read-ahead window through the
 * same view, and `buf.buffer` (an accessor) showed at 1-3 % of a cold scan's profile.
 */
let lastView: Uint8Array | null = null;

function wordView(buf: Uint8Array): Int32Array {
  if (buf === lastView) return words;
  const buffer = buf.buffer;
  if (wordsOf !== buffer) {
    wordsOf = buffer;
    words = new Int32Array(buffer, 0, buffer.byteLength >>> 2);
  }
  lastView = buf;
  return words;
}

/**
 * Continue a CRC over `buf[start, end)`; pass the previous result as `crc` to chain (0 to start).
 * The loops live in small functions of their own: in one function, a branch that had not run
 * before the optimizing compiler saw the function (the alignment bytes of an unaligned buffer,
 * the tail of a length not a multiple of 8) deoptimized it on first use, again and again under
 * load, and a 5 KiB page then took ~100 µs instead of ~3.
 */
export function crc32c(buf: Uint8Array, start = 0, end = buf.length, crc = 0): number {
  let c = ~crc;
  let i = start;
  if (LITTLE_ENDIAN && end - start >= 32) {
    // Two aligned 32-bit loads per eight bytes instead of eight byte loads.
    const off = buf.byteOffset;
    const lead = (4 - ((off + i) & 3)) & 3;
    c = crcBytes(c, buf, i, i + lead);
    i += lead;
    const blocks = (end - i) >>> 3;
    c = crcWords(c, wordView(buf), (off + i) >>> 2, blocks);
    i += blocks * 8;
  } else {
    const blocks = (end - i) >>> 3;
    c = crcBlocks(c, buf, i, blocks);
    i += blocks * 8;
  }
  return ~crcBytes(c, buf, i, end) >>> 0;
}

/** One byte at a time over buf[from, to). */
function crcBytes(c: number, buf: Uint8Array, from: number, to: number): number {
  for (let i = from; i < to; i++) c = T0[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
  return c;
}

/** `blocks` blocks of eight bytes as two little-endian words each, from word `at` of `w`. */
function crcWords(c: number, w: Int32Array, at: number, blocks: number): number {
  for (let b = 0; b < blocks; b++, at += 2) {
    const lo = c ^ w[at];
    const hi = w[at + 1];
    c =
      T7[lo & 0xff] ^
      T6[(lo >>> 8) & 0xff] ^
      T5[(lo >>> 16) & 0xff] ^
      T4[lo >>> 24] ^
      T3[hi & 0xff] ^
      T2[(hi >>> 8) & 0xff] ^
      T1[(hi >>> 16) & 0xff] ^
      T0[hi >>> 24];
  }
  return c;
}

/** `blocks` blocks of eight bytes read byte by byte, from `i` (big-endian machines, short runs). */
function crcBlocks(c: number, buf: Uint8Array, i: number, blocks: number): number {
  for (let b = 0; b < blocks; b++, i += 8) {
    const lo = c ^ (buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24));
    c =
      T7[lo & 0xff] ^
      T6[(lo >>> 8) & 0xff] ^
      T5[(lo >>> 16) & 0xff] ^
      T4[lo >>> 24] ^
      T3[buf[i + 4]] ^
      T2[buf[i + 5]] ^
      T1[buf[i + 6]] ^
      T0[buf[i + 7]];
  }
  return c;
}

/**
 * Given `crc` = crc32c(data, s, s + length, from), return crc32c(data, s, s + length, to) without
 * reading `data`: the CRC register is linear over GF(2) in its starting value, so the two differ by
 * `from ^ to` carried through `length` zero bytes (four table lookups per eight bytes). A frame
 * copied under a new header is re-checksummed this way from the checksum just verified.
 */
export function crc32cRechain(crc: number, from: number, to: number, length: number): number {
  let c = from ^ to;
  let n = length;
  for (; n >= 8; n -= 8) c = T7[c & 0xff] ^ T6[(c >>> 8) & 0xff] ^ T5[(c >>> 16) & 0xff] ^ T4[c >>> 24];
  for (; n > 0; n--) c = T0[c & 0xff] ^ (c >>> 8);
  return (crc ^ c) >>> 0;
}
