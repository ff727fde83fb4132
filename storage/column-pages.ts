/**
 * Column pages (docs/format.md §4.3, format 1.3; DICT columns 1.5): at a checkpoint, the numeric
 * and few-valued string columns of the rows each primary-key page points at are stored beside that
 * page, so a cold filtered scan tests a filter on them (one checksum per page of column data) and
 * reads only the rows it accepts, instead of checksumming and decoding every row frame.
 *
 *   column page := count:varint columns:varint column × columns   (fields strictly ascending)
 *   column      := field:varint tag:u8 bytes:varint body[bytes]
 *     tag 1 F64   count × float64 little-endian; NULL is NaN (never a stored value)
 *     tag 2 INTS  count zigzag varints, each the difference to the previous value (the first
 *                 value's to 0); every value an integer of magnitude ≤ 2^51, no NULL
 *     tag 3 DECIMAL  scale:u8 (1..9) then an INTS body of the values times 10^scale: value i is
 *                 n_i / 10^scale, computed in float64 (prices with cents: 2 or 3 bytes a value)
 *     tag 4 DICT  (format 1.5) distinct:varint (len:varint utf8)×distinct, then a code:varint
 *                 per row: 0 NULL, k the k-th string. Written for a string field with at most
 *                 one distinct string per four rows of the page (planner/text-codes.ts tests a
 *                 filter on it once per string); a key or free text is left out.
 *
 * A number column is stored only when every row of the page holds a number (or NULL) in it (a
 * DICT column, a string or NULL): a row written before an ADD COLUMN, a 64-bit integer past 2^53
 * or a value of another type leaves the column out of that page, and the scan reads those rows
 * as before. The values are exactly the stored row's,
 * so a column page describes only the row versions its page points at.
 */
import { readExact } from './byte-store';
import type { ByteStore } from './byte-store';
import { ColumnReadError, readColumns } from './column-reader';
import { crc32c } from './crc32c';
import { FRAME_HEADER_SIZE, FrameKind, MAX_FRAME_PAYLOAD } from './format';
import { frameChecksumOkAt, u32 } from './frame';
import type { GrowableBuffer } from './growable-buffer';
import type { CollectionMeta } from './collection-state';
import type { NormalizedField } from './schema/normalize';
import { FormatError } from '../src/errors';
import type { StringCodes } from './string-codes';

export const COLUMN_F64 = 1;
export const COLUMN_INTS = 2;
export const COLUMN_DECIMAL = 3;
/** A TEXT column as a page dictionary and a code per row (format 1.5). */
export const COLUMN_DICT = 4;
/** The largest DECIMAL scale: 10^9 keeps values below 2^51 up to ~2.2 million. */
const MAX_SCALE = 9;

/** Integers up to this magnitude are stored as INTS: their deltas then zigzag below 2^53. */
const INTS_LIMIT = 2 ** 51;
/** Bytes a scan reads at once from the column pages' region (the PAGES frame). */
const WINDOW_BYTES = 256 << 10;
/** Rows of a page whose locations span at most this many bytes are read in one call. */
const SPAN_BYTES = 4 << 20;
/**
 * The widest gap between two cold rows one read serves: a call for a run of rows beats a call per
 * row (~1.4 µs each here) while it copies no more than this much more per row.
 */
const MAX_GAP_BYTES = 8 << 10;
/** Room read past the last location of a span for its frame (a longer frame is read alone). */
const TAIL_BYTES = 16 << 10;
/** readFrame's first read: the whole frame of most rows. */
const FRAME_FIRST_READ = 1024;

/** Where a primary-key page's column page lies, and which collection's rows it describes. */
export interface ColumnExtent {
  readonly collectionId: number;
  readonly offset: number;
  readonly length: number;
  readonly crc: number;
}

/** A top-level field a column page may hold: int64, uint64 or float64, optional or not. */
export interface NumericField {
  readonly field: number;
  readonly integer: boolean;
  readonly unsigned: boolean;
  readonly nullable: boolean;
}

/** Top-level string fields, optional or not: what a DICT column may hold (format 1.5). */
export function textFields(fields: readonly NormalizedField[]): number[] {
  const out: number[] = [];
  fields.forEach((f, field) => {
    const base = f.type.kind === 'optional' ? f.type.of : f.type;
    if (base.kind === 'string') out.push(field);
  });
  return out;
}

/**
 * A page's TEXT column is stored only when it has at most one distinct string per this many rows
 * (a status, a country: a byte or two a row); a key or free text would copy the column.
 */
const DICT_ROWS_PER_STRING = 4;
/** Pages a string field with too many strings on a page is not tried again for. */
const SKIP_PAGES = 63;

/** A page's DICT column: its distinct strings and, per row, 0 for NULL or 1 + a string's index. */
export interface TextColumn {
  readonly strings: readonly string[];
  readonly codes: Uint32Array;
}

export function numericFields(fields: readonly NormalizedField[]): NumericField[] {
  const out: NumericField[] = [];
  fields.forEach((f, field) => {
    const nullable = f.type.kind === 'optional';
    const base = f.type.kind === 'optional' ? f.type.of : f.type;
    if (base.kind === 'int64' || base.kind === 'uint64' || base.kind === 'float64')
      out.push({ field, integer: base.kind !== 'float64', unsigned: base.kind === 'uint64', nullable });
  });
  return out;
}

function corrupt(message: string, offset: number): FormatError {
  return new FormatError(`corrupt column page at offset ${offset}: ${message}`, 'CORRUPT', { offset });
}

function putVarint(out: GrowableBuffer, v: number): void {
  let n = 1;
  for (let x = v; x >= 0x80; x = Math.floor(x / 0x80)) n++;
  let at = out.reserve(n);
  while (v >= 0x80) {
    out.buf[at++] = (v % 0x80) | 0x80;
    v = Math.floor(v / 0x80);
  }
  out.buf[at] = v;
}

/** A varint of at most 8 bytes at `pos` of `buf` below `end`; -1 for the position when malformed. */
function getVarint(buf: Uint8Array, pos: number, end: number, out: { v: number; p: number }): void {
  let v = 0;
  let scale = 1;
  for (let i = 0; i < 8 && pos < end; i++) {
    const b = buf[pos++];
    v += (b & 0x7f) * scale;
    if (b < 0x80) {
      out.v = v;
      out.p = pos;
      return;
    }
    scale *= 0x80;
  }
  out.p = -1;
}

/**
 * The smallest scale s (1..MAX_SCALE) at which every value is exactly n / 10^s for an integer n
 * INTS can hold, or 0 when there is none (a NULL, -0, a value that is no such decimal).
 */
function decimalScale(values: Float64Array): number {
  let scale = 1;
  let factor = 10;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v !== v || Object.is(v, -0)) return 0;
    for (;;) {
      const n = Math.round(v * factor);
      if (Math.abs(n) <= INTS_LIMIT && n / factor === v) break;
      if (scale === MAX_SCALE || Math.abs(n) > INTS_LIMIT) return 0;
      scale++;
      factor *= 10;
    }
  }
  // A value checked at a smaller scale must hold at the final one too (the decoder divides by it).
  for (let i = 0; i < values.length; i++) {
    const n = Math.round(values[i] * factor);
    if (n / factor !== values[i] || Math.abs(n) > INTS_LIMIT) return 0;
  }
  return scale;
}

/** Append `count` zigzag varint deltas of `values` (scaled by `factor`) to `out`, length first. */
function putInts(out: GrowableBuffer, values: Float64Array, count: number, factor: number): void {
  // The body's length comes first: encode after a worst-case reservation, then move it down.
  const lengthAt = out.length;
  out.reserve(9 * count + 8);
  const bodyAt = lengthAt + 8;
  let p = bodyAt;
  let prev = 0;
  for (let i = 0; i < count; i++) {
    const n = factor === 1 ? values[i] : Math.round(values[i] * factor);
    const d = n - prev;
    prev = n;
    let z = d >= 0 ? 2 * d : -2 * d - 1;
    while (z >= 0x80) {
      out.buf[p++] = (z % 0x80) | 0x80;
      z = Math.floor(z / 0x80);
    }
    out.buf[p++] = z;
  }
  const bytes = p - bodyAt;
  out.length = lengthAt;
  putVarint(out, bytes);
  out.buf.copy(out.buf, out.length, bodyAt, p);
  out.length += bytes;
}

/** Whether a column of values (NaN for NULL) can be stored as INTS. */
function intsFit(values: Float64Array): boolean {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isInteger(v) || Math.abs(v) > INTS_LIMIT || Object.is(v, -0)) return false;
  }
  return true;
}

/** Append a column page of `count` rows holding `columns` (fields ascending) to `out`. */
export function encodeColumnPage(
  out: GrowableBuffer,
  count: number,
  columns: readonly ({ field: number; values: Float64Array } | { field: number; text: TextColumn })[],
): void {
  putVarint(out, count);
  putVarint(out, columns.length);
  for (const column of columns) {
    putVarint(out, column.field);
    if ('text' in column) {
      putDict(out, column.text, count);
      continue;
    }
    const { values } = column;
    const ints = intsFit(values);
    const scale = ints ? 0 : decimalScale(values);
    const tagAt = out.reserve(scale > 0 ? 2 : 1); // before reading out.buf: reserve may replace it
    out.buf[tagAt] = ints ? COLUMN_INTS : scale > 0 ? COLUMN_DECIMAL : COLUMN_F64;
    if (ints) putInts(out, values, count, 1);
    else if (scale > 0) {
      out.buf[tagAt + 1] = scale;
      putInts(out, values, count, 10 ** scale);
    } else {
      putVarint(out, 8 * count);
      const at = out.reserve(8 * count);
      for (let i = 0; i < count; i++) out.buf.writeDoubleLE(values[i], at + 8 * i);
    }
  }
}

/** Bytes of `v` as a varint. */
function varintSize(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

/** A DICT column: tag, body length, then the strings (length-prefixed UTF-8) and the codes. */
function putDict(out: GrowableBuffer, text: TextColumn, count: number): void {
  const utf8 = text.strings.map((s) => Buffer.from(s, 'utf8'));
  let bytes = varintSize(utf8.length);
  for (const b of utf8) bytes += varintSize(b.length) + b.length;
  for (let i = 0; i < count; i++) bytes += varintSize(text.codes[i]);
  const tagAt = out.reserve(1);
  out.buf[tagAt] = COLUMN_DICT;
  putVarint(out, bytes);
  putVarint(out, utf8.length);
  for (const b of utf8) {
    putVarint(out, b.length);
    const at = out.reserve(b.length);
    out.buf.set(b, at);
  }
  for (let i = 0; i < count; i++) putVarint(out, text.codes[i]);
}

/**
 * Decode a DICT column's body (`columnBodies` found it): every defect — a string or a code past
 * the body, a code naming no string, bytes left over — is a FormatError at `offset`.
 */
export function decodeTextColumn(
  buf: Uint8Array,
  body: readonly [number, number, number, number],
  count: number,
  offset: number,
): TextColumn {
  const [, start, end] = body;
  const c = cursor;
  getVarint(buf, start, end, c);
  if (c.p < 0 || c.v > count) throw corrupt('dictionary header is malformed', offset);
  const distinct = c.v;
  const strings: string[] = [];
  const text = buf instanceof Buffer ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.length);
  let p = c.p;
  for (let k = 0; k < distinct; k++) {
    getVarint(buf, p, end, c);
    if (c.p < 0 || c.p + c.v > end) throw corrupt('dictionary string runs past the column', offset);
    strings.push(text.toString('utf8', c.p, c.p + c.v));
    p = c.p + c.v;
  }
  const codes = new Uint32Array(count);
  for (let i = 0; i < count; i++) {
    getVarint(buf, p, end, c);
    if (c.p < 0 || c.v > distinct) throw corrupt('dictionary code is malformed', offset);
    codes[i] = c.v;
    p = c.p;
  }
  if (p !== end) throw corrupt('dictionary column has bytes left over', offset);
  return { strings, codes };
}

const cursor = { v: 0, p: 0 };

/** Where each column's body lies in a column page: field → [tag, start, end). */
export type ColumnBodies = Map<number, [tag: number, start: number, end: number, scale: number]>;

/**
 * Check a column page's structure (checksum already verified) for a page of `count` rows and
 * find its columns' bodies, decoding none: a scan decodes only the columns its filter tests.
 */
export function columnBodies(buf: Uint8Array, offset: number, count: number): ColumnBodies {
  const end = buf.length;
  const c = cursor;
  getVarint(buf, 0, end, c);
  if (c.p < 0) throw corrupt('header is malformed', offset);
  if (c.v !== count) throw corrupt(`holds ${c.v} rows, not ${count}`, offset);
  getVarint(buf, c.p, end, c);
  if (c.p < 0) throw corrupt('header is malformed', offset);
  const n = c.v;
  let p = c.p;
  const out: ColumnBodies = new Map();
  let last = -1;
  for (let k = 0; k < n; k++) {
    getVarint(buf, p, end, c);
    if (c.p < 0 || c.p >= end) throw corrupt('column header is malformed', offset);
    const field = c.v;
    if (field <= last) throw corrupt('columns out of order', offset);
    last = field;
    const tag = buf[c.p];
    if (tag !== COLUMN_F64 && tag !== COLUMN_INTS && tag !== COLUMN_DECIMAL && tag !== COLUMN_DICT)
      throw corrupt(`unknown column tag ${tag}`, offset);
    const scale = tag === COLUMN_DECIMAL && c.p + 1 < end ? buf[c.p + 1] : 0;
    if (tag === COLUMN_DECIMAL && (scale < 1 || scale > MAX_SCALE)) throw corrupt('decimal scale', offset);
    getVarint(buf, c.p + (tag === COLUMN_DECIMAL ? 2 : 1), end, c);
    if (c.p < 0 || c.p + c.v > end) throw corrupt('column runs past the page', offset);
    if (tag === COLUMN_F64 && c.v !== 8 * count)
      throw corrupt(`float column of ${c.v} bytes for ${count} rows`, offset);
    out.set(field, [tag, c.p, c.p + c.v, scale]);
    p = c.p + c.v;
  }
  if (p !== end) throw corrupt('bytes left over', offset);
  return out;
}

/** Decode one column whose body `columnBodies` found. */
export function decodeColumn(
  buf: Uint8Array,
  body: readonly [number, number, number, number],
  count: number,
  offset: number,
  /** Decode into this (its first `count` values) instead of a new array. */
  into: Float64Array | null = null,
): Float64Array {
  const [tag, start, end, scale] = body;
  const bytes = buf.subarray(start, end);
  if (tag === COLUMN_F64) return f64Column(bytes, count, into);
  return intsColumn(bytes, count, offset, tag === COLUMN_DECIMAL ? 10 ** scale : 1, into);
}

/**
 * Decode a column page's bytes (checksum already verified) of a page of `count` rows: field →
 * values (NaN for NULL). Every defect is a FormatError at `offset`.
 */
export function decodeColumnPage(
  buf: Uint8Array,
  offset: number,
  count: number,
): Map<number, Float64Array | TextColumn> {
  const out = new Map<number, Float64Array | TextColumn>();
  for (const [field, body] of columnBodies(buf, offset, count))
    out.set(
      field,
      body[0] === COLUMN_DICT
        ? decodeTextColumn(buf, body, count, offset)
        : decodeColumn(buf, body, count, offset),
    );
  return out;
}

function f64Column(body: Uint8Array, count: number, into: Float64Array | null): Float64Array {
  const values = into ? into.subarray(0, count) : new Float64Array(count);
  new Uint8Array(values.buffer, values.byteOffset, 8 * count).set(body);
  if (BIG_ENDIAN) {
    const view = new DataView(body.buffer, body.byteOffset, body.length);
    for (let i = 0; i < count; i++) values[i] = view.getFloat64(8 * i, true);
  }
  return values;
}

function intsColumn(
  body: Uint8Array,
  count: number,
  offset: number,
  factor: number,
  into: Float64Array | null,
): Float64Array {
  const values = into ? into.subarray(0, count) : new Float64Array(count);
  const end = body.length;
  let p = 0;
  let prev = 0;
  for (let i = 0; i < count; i++) {
    let d: number;
    const b0 = p < end ? body[p] : 0x80;
    if (b0 < 0x80 && p < end) {
      // One or two bytes (small deltas, most of them): 32-bit arithmetic.
      p++;
      d = (b0 >>> 1) ^ -(b0 & 1);
    } else if (p + 1 < end && body[p + 1] < 0x80) {
      const z = (b0 & 0x7f) | (body[p + 1] << 7);
      p += 2;
      d = (z >>> 1) ^ -(z & 1);
    } else {
      let z = 0;
      let scale = 1;
      for (let k = 0; ; k++) {
        if (k === 8 || p >= end) throw corrupt('integer column is malformed', offset);
        const b = body[p++];
        z += (b & 0x7f) * scale;
        if (b < 0x80) break;
        scale *= 0x80;
      }
      d = z % 2 === 0 ? z / 2 : -(z + 1) / 2;
    }
    const v = prev + d;
    if (!(v <= Number.MAX_SAFE_INTEGER && v >= -Number.MAX_SAFE_INTEGER))
      throw corrupt('integer column is malformed', offset);
    values[i] = factor === 1 ? v : v / factor;
    prev = v;
  }
  if (p !== end) throw corrupt('integer column has bytes left over', offset);
  return values;
}

const BIG_ENDIAN = new Uint8Array(Float64Array.of(1).buffer)[7] !== 0x3f;

/**
 * Whether every value of a decoded column has its field's stored form (NaN standing for NULL): a
 * checksum proves only that the bytes are the ones written.
 */
export function columnFits(values: Float64Array, f: NumericField): boolean {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v !== v) {
      if (!f.nullable) return false;
    } else if (f.integer && (!Number.isInteger(v) || (f.unsigned && v < 0))) return false;
  }
  return true;
}

/** Read and checksum the column page at `extent` into `into` (grown as needed): its bytes. */
function readColumnPage(store: ByteStore, extent: ColumnExtent, into: Buffer): Buffer {
  const buf =
    into.length >= extent.length ? into : Buffer.allocUnsafe(Math.max(extent.length, 2 * into.length));
  if (store.readInto(buf, 0, extent.length, extent.offset) !== extent.length)
    throw corrupt('cut off', extent.offset);
  if (crc32c(buf, 0, extent.length) !== extent.crc) throw corrupt('checksum mismatch', extent.offset);
  return buf;
}

/** What a checkpoint writer gives PageSink to build the column page of a primary-key page. */
export interface ColumnWriter {
  /** The collection whose rows the pages describe. */
  readonly collectionId: number;
  /**
   * Append the column page of the rows at `locations[from, to)` to `out`; false (nothing
   * appended) when a row could not be read whole and checked: the page then gets none.
   */
  write(out: GrowableBuffer, locations: readonly unknown[], from: number, to: number): boolean;
}

/**
 * Builds column pages from the rows in the file (a checkpoint's rows all lie before `limit`).
 * Each row's frame is checksummed before its values are taken: a column page must not carry a
 * damaged row's values as if they were sound.
 */
export class RowColumnWriter implements ColumnWriter {
  private span: Buffer = Buffer.alloc(0);
  /** What readFrame reads a frame's first bytes into. */
  private readonly frameBytes = Buffer.allocUnsafe(FRAME_FIRST_READ);
  private readonly probe: unknown[] = [];
  /** Per row of the page being written: the cache's entry, or undefined (then it is read). */
  private readonly cachedRows: (ReturnType<CachedRowLookup> | undefined)[] = [];
  /** Per row of the page: the buffer holding its frame in memory (`frames`) and where, or undefined. */
  private readonly heldFrames: (Buffer | undefined)[] = [];
  private heldAt = new Int32Array(512);
  /** The locations of the page's rows no cache holds, sorted for denseWindow. */
  private coldLocations = new Float64Array(512);
  private fieldList: number[];
  /**
   * Per string field, pages left to skip: a field with too many strings on one page (a key, free
   * text) is not even decoded for the next SKIP_PAGES pages, which would cost a checkpoint of 1M
   * rows with three such fields ~40 % more (decoding every string of every row).
   */
  private readonly skipping: number[];

  constructor(
    private readonly store: ByteStore,
    private readonly limit: number,
    readonly collectionId: number,
    private readonly fields: readonly NumericField[],
    /** String fields stored as DICT columns (format 1.5 files; none in older ones). */
    private readonly texts: readonly number[] = [],
    /** The decoded row at a location when a cache holds it (the row cache), else undefined. */
    private readonly cachedRow: CachedRowLookup | null = null,
    /** Frames held in memory (the record arena): read there before the file. */
    private readonly frames: FrameLookup | null = null,
  ) {
    this.fieldList = [...fields.map((f) => f.field), ...texts].sort((a, b) => a - b);
    this.skipping = texts.map(() => 0);
  }

  /** Per numeric field its values, per text field its codes (all 0): reused from page to page. */
  private valueBuffers: Float64Array[] = [];
  private codeBuffers: Uint32Array[] = [];

  /**
   * Views of `count` entries over the writer's buffers (grown when a page is larger): a
   * checkpoint writes a column page for each of up to thousands of pages, and new typed arrays
   * for each, their backing stores allocated outside the heap, made the collector run far more
   * often (a full checkpoint at 1M rows: 1.3-1.5 s with them, 0.95 s without).
   */
  private columnsFor(count: number): { values: Float64Array[]; codes: Uint32Array[] } {
    if (this.valueBuffers.length !== this.fields.length || (this.valueBuffers[0]?.length ?? count) < count)
      this.valueBuffers = this.fields.map(() => new Float64Array(Math.max(count, 512)));
    if (this.codeBuffers.length !== this.texts.length || (this.codeBuffers[0]?.length ?? count) < count)
      this.codeBuffers = this.texts.map(() => new Uint32Array(Math.max(count, 512)));
    const codes = this.codeBuffers.map((b) => b.fill(0, 0, count).subarray(0, count));
    return { values: this.valueBuffers.map((b) => b.subarray(0, count)), codes };
  }

  /** The fields this page's rows are read for: the numeric ones and the string ones not skipped. */
  private pageFields(): number[] {
    const texts = this.texts.filter((_, k) => this.skipping[k] === 0);
    for (let k = 0; k < this.skipping.length; k++) if (this.skipping[k] > 0) this.skipping[k]--;
    return [...this.fields.map((f) => f.field), ...texts].sort((a, b) => a - b);
  }

  write(out: GrowableBuffer, locations: readonly unknown[], from: number, to: number): boolean {
    const count = to - from;
    // The rows no cache holds are read from the file: those lying close together in one call.
    const cachedRows = this.cachedRows;
    cachedRows.length = count;
    const held = this.heldFrames;
    held.length = count;
    const heldAt =
      this.heldAt.length < count ? (this.heldAt = new Int32Array(Math.max(count, 512))) : this.heldAt;
    let cold = this.coldLocations;
    if (cold.length < count) cold = this.coldLocations = new Float64Array(Math.max(count, 512));
    let colds = 0;
    const frames = this.frames;
    for (let i = 0; i < count; i++) {
      const l = locations[from + i];
      if (typeof l !== 'number') return false;
      const cached = this.cachedRow?.(l);
      cachedRows[i] = cached;
      held[i] = undefined;
      if (cached !== undefined) continue;
      if (frames !== null) {
        const at = frames.find(l);
        if (at >= 0) {
          held[i] = frames.buf;
          heldAt[i] = at;
          continue;
        }
      }
      cold[colds++] = l;
    }
    const window = denseWindow(cold, colds);
    let spanStart = 0;
    let spanLength = 0;
    if (window !== null) {
      spanStart = window.lo;
      spanLength = Math.min(this.limit, window.hi + TAIL_BYTES) - window.lo;
      if (this.span.length < spanLength) this.span = Buffer.allocUnsafe(Math.max(spanLength, 1 << 16));
      spanLength = this.store.readInto(this.span, 0, spanLength, spanStart);
    }
    const { values, codes } = this.columnsFor(count);
    const kept = this.fields.map(() => true);
    this.fieldList = this.pageFields();
    const dicts = this.texts.map(() => new Map<string, number>());
    const maxStrings = Math.floor(count / DICT_ROWS_PER_STRING);
    const textKept = this.texts.map((f) => this.fieldList.includes(f));
    const probe = this.probe;
    for (let i = 0; i < count; i++) {
      const location = locations[from + i] as number;
      try {
        const cached = cachedRows[i];
        if (cached !== undefined) {
          // Decoded once from checked bytes (or written by this process): no read, no checksum.
          if (cached.collectionId !== this.collectionId) return false;
          for (const f of this.fieldList) probe[f] = cached.row[f];
          continue;
        }
        let buf: Buffer = this.span;
        let at = location - spanStart;
        const inMemory = held[i];
        if (inMemory !== undefined) {
          buf = inMemory;
          at = heldAt[i];
        } else if (spanLength === 0 || at < 0 || !wholeFrame(buf, at, spanLength)) {
          const frame = this.readFrame(location);
          if (!frame) return false;
          buf = frame;
          at = 0;
        }
        const length = u32(buf, at);
        if (buf[at + 4] !== FrameKind.RECORD_PUT) return false;
        if (inMemory === undefined && !frameChecksumOkAt(buf, at, length, u32(buf, at + 16))) return false;
        const start = at + FRAME_HEADER_SIZE;
        if (readColumns(buf, start, start + length, this.fieldList, probe) !== this.collectionId)
          return false;
      } catch (err) {
        if (err instanceof ColumnReadError) return false;
        throw err;
      } finally {
        for (let k = 0; k < this.fields.length; k++) {
          const v = probe[this.fields[k].field];
          if (typeof v === 'number' && v === v) values[k][i] = v;
          else if (v === null) values[k][i] = NaN;
          else kept[k] = false; // missing (an older row), a bigint past 2^53, another type
        }
        for (let k = 0; k < this.texts.length; k++) {
          if (!textKept[k]) continue;
          const v = probe[this.texts[k]];
          if (typeof v === 'string') {
            const dict = dicts[k];
            let code = dict.get(v);
            if (code === undefined) {
              // Past one string per four rows the column is left out: stop looking (a key column
              // would otherwise cost a Map entry per row at every checkpoint).
              if (dict.size >= maxStrings) {
                textKept[k] = false;
                this.skipping[k] = SKIP_PAGES;
                continue;
              }
              dict.set(v, (code = dict.size + 1));
            }
            codes[k][i] = code;
          } else if (v !== null) textKept[k] = false;
        }
        for (const f of this.fieldList) probe[f] = undefined;
      }
    }
    cachedRows.length = 0;
    held.length = 0;
    const columns: ({ field: number; values: Float64Array } | { field: number; text: TextColumn })[] = [];
    this.fields.forEach((f, k) => {
      if (kept[k] && columnFits(values[k], f)) columns.push({ field: f.field, values: values[k] });
    });
    this.texts.forEach((field, k) => {
      if (textKept[k]) columns.push({ field, text: { strings: [...dicts[k].keys()], codes: codes[k] } });
    });
    columns.sort((a, b) => a.field - b.field);
    encodeColumnPage(out, count, columns);
    return true;
  }

  /**
   * The frame at `location`, read apart from the page's span. One read of up to 1 KiB holds most
   * rows whole: after random updates a page's rows lie all over the file, and reading each
   * frame's header and then its body was two system calls a row of every changed page.
   */
  private readFrame(location: number): Buffer | null {
    const first = Math.min(FRAME_FIRST_READ, this.limit - location);
    if (first < FRAME_HEADER_SIZE) return null;
    const got = this.store.readInto(this.frameBytes, 0, first, location);
    if (got < FRAME_HEADER_SIZE) return null;
    const length = u32(this.frameBytes, 0);
    if (length > MAX_FRAME_PAYLOAD || location + FRAME_HEADER_SIZE + length > this.limit) return null;
    if (FRAME_HEADER_SIZE + length <= got) return this.frameBytes;
    return readExact(this.store, location, FRAME_HEADER_SIZE + length);
  }
}

/**
 * Among the first `n` locations of `cold` (sorted here), the run with the most rows whose
 * neighbours lie at most MAX_GAP_BYTES apart, cut at SPAN_BYTES: what one read serves. A page's
 * rows written together (a bulk load) lie side by side however many of them a later transaction
 * moved to the log's end; the moved ones, apart, are read on their own (or come from the row
 * cache). Null when no run has two rows: every cold row is read on its own.
 */
export function denseWindow(cold: Float64Array, n: number): { lo: number; hi: number } | null {
  if (n < 2) return null;
  const sorted = cold.subarray(0, n).sort();
  let best = 1;
  let bestStart = 0;
  let start = 0;
  for (let i = 1; i <= n; i++) {
    if (i < n && sorted[i] - sorted[i - 1] <= MAX_GAP_BYTES && sorted[i] - sorted[start] <= SPAN_BYTES)
      continue;
    if (i - start > best) {
      best = i - start;
      bestStart = start;
    }
    start = i;
  }
  return best < 2 ? null : { lo: sorted[bestStart], hi: sorted[bestStart + best - 1] };
}

function wholeFrame(buf: Uint8Array, at: number, available: number): boolean {
  if (at + FRAME_HEADER_SIZE > available) return false;
  const length = u32(buf, at);
  return length <= MAX_FRAME_PAYLOAD && at + FRAME_HEADER_SIZE + length <= available;
}

/**
 * The column writer of a collection's checkpoint (rows before `limit` in `store`), or null when
 * its schema has no numeric field (its pages then get no column page).
 */
export function columnWriter(
  store: ByteStore,
  limit: number,
  c: { readonly meta: CollectionMeta },
  /** Whether the file's version has DICT columns (1.5 on). */
  text: boolean,
  cachedRow: CachedRowLookup | null = null,
  frames: FrameLookup | null = null,
): ColumnWriter | null {
  const fields = numericFields(c.meta.schema.fields);
  const texts = text ? textFields(c.meta.schema.fields) : [];
  return fields.length === 0 && texts.length === 0
    ? null
    : new RowColumnWriter(store, limit, c.meta.id, fields, texts, cachedRow, frames);
}

/**
 * Record frames held in memory (storage/record-arena.ts): find() gives the offset of the frame at
 * a location in `buf` as it is right after that call (each call may move `buf`), or -1. Like the
 * row cache's rows, they were checked as they came in (or written by this process): their
 * checksums are not verified again, as the readers of the arena do not.
 */
export interface FrameLookup {
  find(location: number): number;
  readonly buf: Buffer;
}

/**
 * A row cache's decoded row at `location` (its collection and its values as stored), or
 * undefined; looking must not count as a use of the row (RowCache.peek).
 */
export type CachedRowLookup = (
  location: number,
) => { readonly collectionId: number; readonly row: readonly unknown[] } | undefined;

/** A column of a primary-key page's rows, beside the locations of the entries it describes. */
export interface PageColumn {
  readonly locations: Float64Array;
  readonly values: Float64Array;
  /** See NumberColumn.trustedOn (storage/scan-memo.ts). */
  trustedOn: object | null;
}

/**
 * The column page of the last primary-key page a scan asked about, read and checksummed once and
 * decoded column by column as the filter asks (once per column for each leaf). Columns whose
 * field is not numeric in the schema the rows are read with are not served (the scan reads those
 * rows); a value that does not have its field's stored form is damage.
 */
type PageWithColumns = {
  readonly source: { readonly store: ByteStore };
  readonly columns: ColumnExtent | null;
  readonly count: number;
};

type SchemaOf = (
  collectionId: number,
) => { readonly schema: { readonly fields: readonly NormalizedField[] } } | undefined;

export class PageColumns {
  private page: object | null = null;
  private buf: Buffer = Buffer.alloc(0);
  /** Read-ahead over the PAGES frame: a scan meets the column pages in file order. */
  private space: Buffer = Buffer.alloc(0);
  private spaceStore: ByteStore | null = null;
  private spaceStart = 0;
  private spaceLength = 0;
  private bodies: ColumnBodies = new Map();
  private offset = 0;
  private count = 0;
  private fields: readonly NumericField[] = [];
  private texts: readonly number[] = [];
  private where: Float64Array | null = null;
  private readonly fieldsOf = new WeakMap<object, NumericField[]>();
  private readonly textsOf = new WeakMap<object, number[]>();
  private readonly scratch = new Map<number, Float64Array>();

  /** Column `field` of the rows of `page`, in entry order (NaN for NULL), or undefined: none. */
  values(
    page: PageWithColumns,
    schemaOf: SchemaOf,
    field: number,
    /** Decode into a buffer of this reader's, valid until the next call for the same field. */
    transient = false,
  ): Float64Array | undefined {
    if (page !== this.page && !this.load(page, schemaOf)) return undefined;
    const body = this.bodies.get(field);
    if (body === undefined) return undefined;
    const f = this.fields.find((x) => x.field === field);
    if (f === undefined) return undefined;
    if (body[0] === COLUMN_DICT) throw corrupt(`text where column ${field}'s numbers belong`, this.offset);
    let into: Float64Array | null = null;
    if (transient) {
      into = this.scratch.get(field) ?? null;
      if (into === null || into.length < this.count) {
        into = new Float64Array(Math.max(this.count, 512));
        this.scratch.set(field, into);
      }
    }
    const values = decodeColumn(this.buf, body, this.count, this.offset, into);
    if (!columnFits(values, f))
      throw corrupt(`a value that does not match column ${field}'s type`, this.offset);
    return values;
  }

  /**
   * TEXT column `field` of the rows of `page` as codes of `dict` (NaN for NULL), in entry order,
   * or undefined: none stored, the field not a string in the rows' schema, or `dict` full.
   */
  codes(
    page: PageWithColumns,
    schemaOf: SchemaOf,
    field: number,
    dict: StringCodes,
  ): Float64Array | undefined {
    if (page !== this.page && !this.load(page, schemaOf)) return undefined;
    const body = this.bodies.get(field);
    if (body === undefined || !this.texts.includes(field)) return undefined;
    if (body[0] !== COLUMN_DICT) throw corrupt(`numbers where column ${field}'s text belongs`, this.offset);
    const { strings, codes } = decodeTextColumn(this.buf, body, this.count, this.offset);
    // Page codes are 1 + a string's index; 0 is NULL.
    const global = new Float64Array(strings.length + 1);
    global[0] = NaN;
    for (let k = 0; k < strings.length; k++) {
      const code = dict.code(strings[k]);
      if (code < 0) return undefined;
      global[k + 1] = code;
    }
    const out = new Float64Array(this.count);
    for (let i = 0; i < this.count; i++) out[i] = global[codes[i]];
    return out;
  }

  /** codes() beside the locations of the page's entries, as column() gives values(). */
  codeColumn(
    page: PageWithColumns,
    locations: readonly unknown[],
    schemaOf: SchemaOf,
    field: number,
    dict: StringCodes,
  ): PageColumn | undefined {
    if (locations.length !== page.count) return undefined;
    const values = this.codes(page, schemaOf, field, dict);
    return values === undefined
      ? undefined
      : { locations: this.locationsOf(locations), values, trustedOn: null };
  }

  private locationsOf(locations: readonly unknown[]): Float64Array {
    if (this.where === null) {
      this.where = new Float64Array(this.count);
      for (let i = 0; i < this.count; i++) this.where[i] = locations[i] as number;
    }
    return this.where;
  }

  /** values() beside the locations of the page's entries (`locations`, the decoded leaf's). */
  column(
    page: PageWithColumns,
    locations: readonly unknown[],
    schemaOf: SchemaOf,
    field: number,
  ): PageColumn | undefined {
    if (locations.length !== page.count) return undefined;
    const values = this.values(page, schemaOf, field);
    if (values === undefined) return undefined;
    return { locations: this.locationsOf(locations), values, trustedOn: null };
  }

  /**
   * The checksummed bytes of the column page at `extent`, out of a window of the file read at once
   * (one read per WINDOW_BYTES instead of one per page; values are decoded into arrays of their
   * own, so the window is reused).
   */
  private windowed(store: ByteStore, extent: ColumnExtent): Buffer {
    const at = extent.offset - this.spaceStart;
    if (store !== this.spaceStore || at < 0 || at + extent.length > this.spaceLength) {
      const want = Math.min(Math.max(extent.length, WINDOW_BYTES), store.size - extent.offset);
      if (this.space.length < want) this.space = Buffer.allocUnsafe(want);
      this.spaceLength = store.readInto(this.space, 0, Math.max(want, 0), extent.offset);
      this.spaceStore = store;
      this.spaceStart = extent.offset;
      if (this.spaceLength < extent.length) {
        this.spaceStore = null;
        throw corrupt('cut off', extent.offset);
      }
    }
    const from = extent.offset - this.spaceStart;
    const buf = this.space.subarray(from, from + extent.length);
    if (crc32c(buf, 0, buf.length) !== extent.crc) throw corrupt('checksum mismatch', extent.offset);
    return buf;
  }

  private load(page: PageWithColumns, schemaOf: SchemaOf): boolean {
    const extent = page.columns as ColumnExtent;
    this.page = null;
    this.where = null;
    const compiled = schemaOf(extent.collectionId);
    if (compiled === undefined) return false;
    let fields = this.fieldsOf.get(compiled);
    if (fields === undefined) {
      fields = numericFields(compiled.schema.fields);
      this.fieldsOf.set(compiled, fields);
    }
    let texts = this.textsOf.get(compiled);
    if (texts === undefined) {
      texts = textFields(compiled.schema.fields);
      this.textsOf.set(compiled, texts);
    }
    this.texts = texts;
    this.buf = this.windowed(page.source.store, extent);
    this.bodies = columnBodies(this.buf, extent.offset, page.count);
    this.offset = extent.offset;
    this.count = page.count;
    this.fields = fields;
    this.page = page;
    return true;
  }
}

/**
 * Read and check every column page a primary-key tree's pages name (`modelvault verify`): the
 * checks of a scan's first read, for every column, against the numeric fields of `fields`.
 */
export function checkColumnPages(
  forEachLeaf: (visit: (page: unknown) => void) => void,
  fields: readonly NormalizedField[],
): number {
  const numeric = numericFields(fields);
  const texts = textFields(fields);
  let checked = 0;
  forEachLeaf((page) => {
    const p = page as Partial<PageWithColumns> | null;
    const extent = p?.columns;
    if (!p || !extent || !p.source) return;
    const buf = readColumnPage(p.source.store, extent, Buffer.alloc(0));
    const count = p.count as number;
    for (const [field, body] of columnBodies(buf, extent.offset, count)) {
      // A column of the other kind than its field's is what a scan reports as damage too.
      const dict = body[0] === COLUMN_DICT;
      if ((dict && numeric.some((x) => x.field === field)) || (!dict && texts.includes(field)))
        throw corrupt(`column ${field} does not hold its field's kind of values`, extent.offset);
      if (body[0] === COLUMN_DICT) {
        decodeTextColumn(buf, body, count, extent.offset);
        continue;
      }
      const values = decodeColumn(buf, body, count, extent.offset);
      const f = numeric.find((x) => x.field === field);
      if (f && !columnFits(values, f))
        throw corrupt(`a value that does not match column ${field}'s type`, extent.offset);
    }
    checked++;
  });
  return checked;
}
