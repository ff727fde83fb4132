/**
 * Packed columns (docs/format.md §4.1): the compact encoding of the sorted key and value arrays a
 * checkpoint (layout 2) stores for every index. Sorted index columns are highly regular —
 * ascending integers, strings sharing long prefixes, long runs of one key in a non-unique index —
 * and a generic MessagePack array spends a full value on each entry. Packing them shrinks a
 * checkpoint about 4× (so old checkpoints left in the append-only log cost less space) and decodes
 * in tight loops without MessagePack's per-value dispatch (so open is faster).
 *
 *   column := tag:u8 count:varint body
 *   tag 0  MSGPACK  body = one MessagePack array of `count` values (any values; the fallback)
 *   tag 1  INTS     body = `count` zigzag varints, each the difference to the previous value
 *                   (the first to 0); every value is a safe integer other than -0
 *   tag 2  STRINGS  body = `count` × (shared:varint, suffixBytes:varint, suffix UTF-8): the value
 *                   is the previous value's first `shared` UTF-16 code units + the suffix
 *   tag 3  RUNS     body = runs:varint, `runs` × runLength:varint, then a column (tag 0-2) of the
 *                   `runs` values: value i repeats runLength i times; the lengths sum to `count`
 *
 * A varint is unsigned LEB128 (7 bits per byte, low first) of at most 8 bytes (values < 2^53).
 */
import { decodePayload, encodePayload } from './codec';
import { GrowableBuffer } from './growable-buffer';
import { FormatError } from '../src/errors';

const enum Tag {
  MSGPACK = 0,
  INTS = 1,
  STRINGS = 2,
  RUNS = 3,
}

const TWO_POW_52 = 2 ** 52;
/** No index holds more entries than an array can (2^32 - 1). */
const MAX_ENTRIES = 2 ** 32 - 1;

/**
 * The encoder's byte sink: writes at the end of a GrowableBuffer. A checkpoint packs two columns
 * per page for every page of every index, so the sink writes straight into the page buffer
 * (`packColumnInto`) instead of allocating a buffer per column and concatenating them.
 */
class Sink {
  constructor(readonly g: GrowableBuffer) {}

  /** Room for `n` more bytes at `g.length` (the length itself does not move). */
  room(n: number): Buffer {
    const g = this.g;
    if (g.length + n > g.buf.length) g.length = g.reserve(n);
    return g.buf;
  }

  byte(b: number): void {
    const buf = this.room(1);
    buf[this.g.length++] = b;
  }

  varint(v: number): void {
    const buf = this.room(8);
    const g = this.g;
    while (v >= 0x80) {
      buf[g.length++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    buf[g.length++] = v;
  }

  bytes(b: Uint8Array): void {
    this.room(b.length).set(b, this.g.length);
    this.g.length += b.length;
  }

  /** Write `s` as UTF-8. */
  utf8(s: string): number {
    const n = this.room(s.length * 3).write(s, this.g.length, 'utf8');
    this.g.length += n;
    return n;
  }

  /**
   * suffixBytes:varint and the UTF-8 of `s` from code unit `from`. Index keys are mostly short
   * ASCII (codes, ids, UUIDs): those are copied unit by unit without slicing a suffix string.
   */
  suffix(s: string, from: number): void {
    const n = s.length - from;
    if (n < 0x80) {
      const buf = this.room(n + 1);
      const g = this.g;
      const at = g.length;
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(from + i);
        if (c >= 0x80) break;
        buf[at + 1 + i] = c;
      }
      if (i === n) {
        buf[at] = n;
        g.length = at + 1 + n;
        return;
      }
    }
    const rest = s.slice(from);
    this.varint(Buffer.byteLength(rest, 'utf8'));
    this.utf8(rest);
  }
}

function isPackableInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && !Object.is(v, -0);
}

function allInts(values: readonly unknown[], from: number, to: number): boolean {
  let prev = 0;
  for (let i = from; i < to; i++) {
    const v = values[i];
    if (!isPackableInt(v)) return false;
    // A delta beyond 2^52 would not survive zigzag doubling exactly.
    if (Math.abs(v - prev) >= TWO_POW_52) return false;
    prev = v;
  }
  return true;
}

function allStrings(values: readonly unknown[], from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (typeof values[i] !== 'string') return false;
  return true;
}

function sharedPrefix(a: string, b: string): number {
  const max = Math.min(a.length, b.length);
  let i = 0;
  while (i < max && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  // Never split a surrogate pair: the suffix is written as UTF-8, which has no lone surrogates.
  if (i > 0 && i < b.length) {
    const c = b.charCodeAt(i - 1);
    if (c >= 0xd800 && c <= 0xdbff) i--;
  }
  return i;
}

function writePlain(out: Sink, values: readonly unknown[], from: number, to: number): void {
  const n = to - from;
  if (n > 0 && allInts(values, from, to)) {
    out.byte(Tag.INTS);
    out.varint(n);
    let prev = 0;
    for (let i = from; i < to; i++) {
      const v = values[i] as number;
      const d = v - prev;
      out.varint(d >= 0 ? d * 2 : -d * 2 - 1);
      prev = v;
    }
    return;
  }
  if (n > 0 && allStrings(values, from, to)) {
    out.byte(Tag.STRINGS);
    out.varint(n);
    let prev = '';
    for (let i = from; i < to; i++) {
      const s = values[i] as string;
      const shared = sharedPrefix(prev, s);
      out.varint(shared);
      out.suffix(s, shared);
      prev = s;
    }
    return;
  }
  out.byte(Tag.MSGPACK);
  out.varint(n);
  out.bytes(encodePayload(from === 0 && to === values.length ? values : values.slice(from, to)));
}

/** Primitive equality for run detection (Buffers and other objects never form runs). */
function sameRunValue(a: unknown, b: unknown): boolean {
  return a === b && (typeof a !== 'number' || !Object.is(a, -0) === !Object.is(b, -0));
}

/**
 * Append `values[from, to)` as a packed column to `g`, choosing the smallest of the encodings
 * that apply.
 */
export function packColumnInto(
  g: GrowableBuffer,
  values: readonly unknown[],
  from = 0,
  to = values.length,
): void {
  const out = new Sink(g);
  const n = to - from;
  let runs = n > 0 ? 1 : 0;
  for (let i = from + 1; i < to; i++) if (!sameRunValue(values[i], values[i - 1])) runs++;
  if (runs * 2 <= n) {
    const distinct: unknown[] = [];
    const lengths: number[] = [];
    for (let i = from; i < to; i++) {
      if (i > from && sameRunValue(values[i], values[i - 1])) lengths[lengths.length - 1]++;
      else {
        distinct.push(values[i]);
        lengths.push(1);
      }
    }
    out.byte(Tag.RUNS);
    out.varint(n);
    out.varint(runs);
    for (const len of lengths) out.varint(len);
    writePlain(out, distinct, 0, distinct.length);
  } else {
    writePlain(out, values, from, to);
  }
}

/** One scratch buffer for `packColumn`: nothing packs re-entrantly. */
const scratch = new GrowableBuffer(1 << 16);

/** Encode `values` as a packed column (a buffer of its own). */
export function packColumn(values: readonly unknown[]): Buffer {
  scratch.reset();
  packColumnInto(scratch, values);
  return Buffer.from(scratch.view());
}

class Reader {
  pos = 0;
  constructor(
    readonly buf: Uint8Array,
    readonly at: number,
  ) {}

  fail(what: string): FormatError {
    return new FormatError(`corrupt checkpoint: packed column ${what}`, 'CORRUPT', { offset: this.at });
  }

  byte(): number {
    if (this.pos >= this.buf.length) throw this.fail('is cut short');
    return this.buf[this.pos++];
  }

  varint(): number {
    const buf = this.buf;
    let b = this.pos < buf.length ? buf[this.pos++] : -1;
    if (b < 0) throw this.fail('is cut short');
    if (b < 0x80) return b;
    let v = b & 0x7f;
    let scale = 0x80;
    for (let i = 1; i < 8; i++) {
      b = this.pos < buf.length ? buf[this.pos++] : -1;
      if (b < 0) throw this.fail('is cut short');
      v += (b & 0x7f) * scale;
      if (b < 0x80) return v;
      scale *= 0x80;
    }
    throw this.fail('has an over-long varint');
  }

  /** A count that cannot exceed the bytes left (each entry takes at least one byte). */
  count(): number {
    const n = this.varint();
    if (n > this.buf.length - this.pos + 1) throw this.fail('count exceeds its bytes');
    return n;
  }

  utf8(n: number): string {
    const end = this.pos + n;
    if (end > this.buf.length) throw this.fail('is cut short');
    const buf = this.buf;
    let s = '';
    // Short ASCII suffixes are the common case; building them here beats a native call per value.
    if (n <= 16) {
      let ascii = true;
      for (let i = this.pos; i < end; i++) {
        const c = buf[i];
        if (c >= 0x80) {
          ascii = false;
          break;
        }
        s += String.fromCharCode(c);
      }
      if (ascii) {
        this.pos = end;
        return s;
      }
    }
    s = Buffer.from(buf.buffer, buf.byteOffset + this.pos, n).toString('utf8');
    this.pos = end;
    return s;
  }
}

function readPlain(r: Reader, tag: number): unknown[] {
  const n = r.count();
  switch (tag) {
    case Tag.INTS: {
      const out = new Array<number>(n);
      let prev = 0;
      for (let i = 0; i < n; i++) {
        const z = r.varint();
        prev += z % 2 === 0 ? z / 2 : -(z + 1) / 2;
        out[i] = prev;
      }
      return out;
    }
    case Tag.STRINGS:
      return readStrings(r, n);
    case Tag.MSGPACK: {
      const rest = r.buf.subarray(r.pos);
      r.pos = r.buf.length;
      const values = decodePayload(Buffer.from(rest.buffer, rest.byteOffset, rest.length), r.at);
      if (!Array.isArray(values) || values.length !== n) throw r.fail('has a bad MessagePack body');
      return values;
    }
    default:
      throw r.fail(`has unknown tag ${tag}`);
  }
}

/** Scratch for readStrings: the current ASCII key's bytes. */
let keyBytes = Buffer.alloc(256);

/**
 * A STRINGS column: each value shares a prefix (in UTF-16 units) with the one before and adds
 * its UTF-8 suffix. While the values are ASCII (units are bytes), the current one is kept as
 * bytes and each value is made by one latin1 decode: a flat string, where joining the previous
 * value's slice and a decoded suffix made two strings and a rope that every later comparison of
 * the key flattened again (a cold index page's decode was most of a commit touching it).
 */
function readStrings(r: Reader, n: number): string[] {
  const out = new Array<string>(n);
  const buf = r.buf;
  let prev = '';
  // keyBytes[0, prev.length) holds prev while `bytesOk` (prev is ASCII).
  let bytesOk = true;
  for (let i = 0; i < n; i++) {
    const shared = r.varint();
    if (shared > prev.length) throw r.fail('shares more than the previous string');
    const len = r.varint();
    if (shared === 0) bytesOk = true;
    if (bytesOk) {
      const end = r.pos + len;
      if (end > buf.length) throw r.fail('is cut short');
      if (shared + len > keyBytes.length) {
        const grown = Buffer.alloc(Math.max(2 * keyBytes.length, shared + len));
        keyBytes.copy(grown, 0, 0, shared);
        keyBytes = grown;
      }
      let ascii = true;
      for (let j = r.pos, k = shared; j < end; j++, k++) {
        const c = buf[j];
        if (c >= 0x80) {
          ascii = false;
          break;
        }
        keyBytes[k] = c;
      }
      if (ascii) {
        r.pos = end;
        prev = keyBytes.toString('latin1', 0, shared + len);
        out[i] = prev;
        continue;
      }
      bytesOk = false;
    }
    const suffix = r.utf8(len);
    prev = shared === 0 ? suffix : prev.slice(0, shared) + suffix;
    out[i] = prev;
  }
  return out;
}

/** Whether a packed column decodes to safe integers only (its tag says so, no need to look at each). */
export function isIntegerColumn(buf: Uint8Array): boolean {
  return buf.length > 0 && buf[0] === Tag.INTS;
}

/** Decode a packed column; every defect is a FormatError naming `offset` (the checkpoint's). */
export function unpackColumn(buf: Uint8Array, offset: number): unknown[] {
  const r = new Reader(buf, offset);
  const tag = r.byte();
  let out: unknown[];
  if (tag === Tag.RUNS) {
    const total = r.varint();
    // Every run covers at least one entry and takes at least one byte.
    if (total > MAX_ENTRIES) throw r.fail('count is implausible');
    const runs = r.count();
    const lengths = new Array<number>(runs);
    let sum = 0;
    for (let i = 0; i < runs; i++) {
      lengths[i] = r.varint();
      if (lengths[i] === 0) throw r.fail('has an empty run');
      sum += lengths[i];
    }
    if (sum !== total) throw r.fail('run lengths do not add up');
    const distinct = readPlain(r, r.byte());
    if (distinct.length !== runs) throw r.fail('run count mismatch');
    out = new Array<unknown>(total);
    let k = 0;
    for (let i = 0; i < runs; i++) {
      const v = distinct[i];
      for (let j = lengths[i]; j > 0; j--) out[k++] = v;
    }
  } else {
    out = readPlain(r, tag);
  }
  if (r.pos !== buf.length) throw r.fail('has trailing bytes');
  return out;
}
