/**
 * Index pages (docs/format.md §4.2, checkpoint layout 3): a checkpoint stores each index tree as
 * independently decodable pages, each a sorted run of entries, plus a directory in the CHECKPOINT
 * frame naming every page's first entry, entry count, place and checksum. Open decodes only the
 * directories and builds cold trees over them (btree.ts `fromPages`); a leaf's page is read and
 * checked the first time the leaf is touched.
 *
 *   page      := count:varint keysBytes:varint keys[keysBytes] values[rest]
 *                (keys, values: packed columns of `count` entries, §4.1)
 *   directory := [firstKeys, firstValues, counts, offsets, lengths, crcs]   (six packed columns)
 *
 * Pages of one checkpoint travel in one PAGES frame written just before it; a later checkpoint
 * points again at the pages of leaves that have not changed since, so it writes only what changed.
 * Layout 5 (§4.4) moves a large tree's directory into directory pages named by a root directory.
 * This module reads all of these; storage/page-sink.ts writes them.
 */
import type { DirEntry, DirPage, LeafPage, PageEntry } from './btree';
import type { ByteStore } from './byte-store';
import { readExact } from './byte-store';
import { compareValues } from './compare';
import { crc32c } from './crc32c';
import { LOG_START, MAX_FRAME_PAYLOAD } from './format';
import { GrowableBuffer } from './growable-buffer';
import { packColumnInto, unpackColumn } from './packed-column';
import type { ColumnExtent } from './column-pages';
import { FormatError } from '../src/errors';

/** Entries a writer puts in one page at most: a warmed page is one leaf, copied on its first write. */
export const PAGE_MAX_ENTRIES = 512;
/**
 * Entries a writer puts in one page of a secondary index at most. Application keys (UUIDs,
 * e-mail addresses, SKUs) land on an index's pages at random: a write into a reopened file
 * decodes every page it touches whole, and a checkpoint writes again every page touched since
 * the last one, so each touch costs a page's worth of entries. Primary-key pages keep
 * PAGE_MAX_ENTRIES: cold scans walk them in order and pay a read and a checksum per page.
 */
export const INDEX_PAGE_MAX_ENTRIES = 128;
/** Encoded bytes of one page at most, unless it holds a single entry (a key that large). */
export const PAGE_MAX_BYTES = 16 * 1024;

/** What a page's entries must satisfy beyond their checksum (a forged page must not mislead the tree). */
export interface PageRules {
  /** Key order of the tree. */
  readonly compare: (a: unknown, b: unknown) => number;
  /** Secondary index: entries are (key, primary key) pairs ordered by key, then primary key. */
  readonly multi: boolean;
  /** Composite index width (keys are tuples of this length); 1 for single-column keys. */
  readonly width: number;
  /** Primary-key tree: values are row locations, which lie before the checkpoint. */
  readonly locations: boolean;
}

/** Where a checkpoint's pages are read from: the file, and the checkpoint's own offset (a bound). */
export interface PageSource {
  readonly store: ByteStore;
  readonly limit: number;
}

export function corrupt(message: string, offset: number): FormatError {
  return new FormatError(`corrupt index page at offset ${offset}: ${message}`, 'CORRUPT', { offset });
}

function corruptDirectory(message: string, offset: number): FormatError {
  return new FormatError(`corrupt checkpoint: index directory ${message}`, 'CORRUPT', { offset });
}

/** Unsigned LEB128 into `out` (values < 2^53). */
export function varint(out: number[], v: number): void {
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
}

/** Read a varint of at most 8 bytes at `pos`; [value, next position], or null when malformed. */
function readVarint(buf: Uint8Array, pos: number): [number, number] | null {
  let v = 0;
  let scale = 1;
  for (let i = 0; i < 8; i++) {
    if (pos >= buf.length) return null;
    const b = buf[pos++];
    v += (b & 0x7f) * scale;
    if (b < 0x80) return [v, pos];
    scale *= 0x80;
  }
  return null;
}

/** Key columns are packed here first: the page header gives their length before them. */
const keyScratch = new GrowableBuffer(1 << 14);

/**
 * Append the page of entries [from, to) to `out`; returns its length. The page is written in
 * place (no buffer per column): a checkpoint encodes every changed page of every index.
 */
export function encodePageInto(
  out: GrowableBuffer,
  keys: readonly unknown[],
  vals: readonly unknown[],
  from = 0,
  to = keys.length,
): number {
  keyScratch.reset();
  packColumnInto(keyScratch, keys, from, to);
  const head: number[] = [];
  varint(head, to - from);
  varint(head, keyScratch.length);
  const start = out.length;
  const at = out.reserve(head.length + keyScratch.length);
  for (let i = 0; i < head.length; i++) out.buf[at + i] = head[i];
  keyScratch.buf.copy(out.buf, at + head.length, 0, keyScratch.length);
  packColumnInto(out, vals, from, to);
  return out.length - start;
}

export function encodePage(keys: readonly unknown[], vals: readonly unknown[]): Buffer {
  const out = new GrowableBuffer(1 << 12);
  encodePageInto(out, keys, vals);
  return Buffer.from(out.view());
}

/** Decode a page's bytes (checksum already verified); every defect is a FormatError at `offset`. */
export function decodePage(buf: Uint8Array, offset: number): { keys: unknown[]; vals: unknown[] } {
  const count = readVarint(buf, 0);
  const keysBytes = count && readVarint(buf, count[1]);
  if (!count || !keysBytes) throw corrupt('header is malformed', offset);
  const start = keysBytes[1];
  const split = start + keysBytes[0];
  if (split > buf.length) throw corrupt('key column runs past the page', offset);
  const keys = unpackColumn(buf.subarray(start, split), offset);
  const vals = unpackColumn(buf.subarray(split), offset);
  if (keys.length !== count[0] || vals.length !== count[0])
    throw corrupt(`holds ${keys.length} keys and ${vals.length} values, not ${count[0]}`, offset);
  return { keys, vals };
}

/** Entry order of a tree with `rules` (key, then value for a secondary index). */
function entryCompare(rules: PageRules, k1: unknown, v1: unknown, k2: unknown, v2: unknown): number {
  const c = rules.compare(k1, k2);
  return c !== 0 || !rules.multi ? c : compareValues(v1, v2);
}

/** Surrogates: the only units where `<` on UTF-16 and compareValues' code-point order part. */
const SURROGATE = /[\ud800-\udfff]/;

/** Every key is a string without a surrogate: `<` orders them as compareValues does. */
function plainStrings(keys: readonly unknown[]): boolean {
  for (const k of keys) if (typeof k !== 'string' || SURROGATE.test(k)) return false;
  return true;
}

/**
 * Every key is a number other than NaN: `<` orders them as compareValues does (a primary key's
 * integers, a numeric index's values), so a page's order check compares them natively.
 */
function plainNumbers(keys: readonly unknown[]): boolean {
  for (const k of keys) if (typeof k !== 'number' || k !== k) return false;
  return true;
}

/**
 * entryCompare for keys plainStrings or plainNumbers accepted (all of one kind), with native
 * comparisons: a cold page's order check compared 511 pairs of keys through compareText's loop,
 * much of a commit's time when it touches a page no read has decoded yet.
 */
function plainEntryCompare(
  multi: boolean,
  k1: string | number,
  v1: unknown,
  k2: string | number,
  v2: unknown,
): number {
  if (k1 !== k2) return k1 < k2 ? -1 : 1;
  return multi ? compareValues(v1, v2) : 0;
}

function keyShaped(k: unknown, width: number): boolean {
  return Array.isArray(k) === width > 1 && (width <= 1 || (k as unknown[]).length === width);
}

function isLocation(v: unknown, limit: number): boolean {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v < limit;
}

/** A page of a loaded checkpoint: read, verified and decoded when its leaf is first touched. */
export class StoredPage implements LeafPage<unknown, unknown> {
  /**
   * Set once the entries passed every check below: a page decoded again after its leaf was
   * evicted (leaf-cache.ts) has the same bytes when its checksum holds, so only that is checked.
   */
  private checked = false;
  /**
   * The column page of a primary-key page (format 1.3, storage/column-pages.ts), or null: none
   * stored (a page of a 1.2 checkpoint, or rows that could not be read when it was written). Set
   * once a checkpoint that wrote one for a page it points at again is published.
   */
  columns: ColumnExtent | null = null;
  /**
   * Decoded columns of the column page kept by a reader (storage/row-reader.ts scanPageColumn),
   * by field (empty once the page was counted, before anything is kept); they describe this
   * page's rows, which never change.
   */
  keptColumns: Float64Array[] | null = null;
  /** The same for TEXT columns' codes, with the dictionary each was numbered by (storage/string-codes.ts). */
  keptCodes: Float64Array[] | null = null;
  keptCodeDicts: object[] | null = null;

  constructor(
    readonly source: PageSource,
    readonly rules: PageRules,
    readonly offset: number,
    readonly length: number,
    readonly crc: number,
    readonly count: number,
    readonly firstKey: unknown,
    readonly firstVal: unknown,
    /** The next page's first entry: every entry of this page lies below it (null for the last page). */
    private readonly next: { key: unknown; val: unknown } | null,
  ) {}

  load(): { keys: unknown[]; vals: unknown[] } {
    const { offset, rules } = this;
    const buf = readExact(this.source.store, offset, this.length);
    if (!buf) throw corrupt('cut off', offset);
    if (crc32c(buf, 0, buf.length) !== this.crc) throw corrupt('checksum mismatch', offset);
    const { keys, vals } = decodePage(buf, offset);
    if (keys.length !== this.count) throw corrupt(`holds ${keys.length} entries, not ${this.count}`, offset);
    if (this.checked) return { keys, vals };
    if (entryCompare(rules, keys[0], vals[0], this.firstKey, this.firstVal) !== 0)
      throw corrupt('first entry differs from its directory entry', offset);
    const plain = rules.compare === compareValues && (plainStrings(keys) || plainNumbers(keys));
    for (let i = 0; i < keys.length; i++) {
      if (
        i > 0 &&
        (plain
          ? plainEntryCompare(
              rules.multi,
              keys[i - 1] as string | number,
              vals[i - 1],
              keys[i] as string | number,
              vals[i],
            )
          : entryCompare(rules, keys[i - 1], vals[i - 1], keys[i], vals[i])) >= 0
      )
        throw corrupt('entries out of order', offset);
      if (rules.locations ? !isLocation(vals[i], this.source.limit) : !keyShaped(keys[i], rules.width))
        throw corrupt(
          rules.locations ? 'a row location past the checkpoint' : 'a key of the wrong shape',
          offset,
        );
    }
    const last = keys.length - 1;
    if (this.next && entryCompare(rules, keys[last], vals[last], this.next.key, this.next.val) >= 0)
      throw corrupt("entries reach into the next page's range", offset);
    this.checked = true;
    return { keys, vals };
  }
}

/**
 * A directory as stored: six packed columns (nine for a layout-4/5 primary key's), or in layout 5
 * for a tree of more than dirPolicy.entries pages, `{ dirs }`: a root directory of six packed
 * columns naming its directory pages (docs/format.md §4.4).
 */
export type EncodedDirectory = Uint8Array[] | { dirs: Uint8Array[] };

/**
 * Directory entries a writer puts in one directory page at most (layout 5, docs/format.md §4.4):
 * at 1M rows a primary key's ~2,000 pages take 31 of them, so opening a file decodes 31 root
 * entries and a first lookup one directory page of 64 (readers accept any count). `entries` is
 * @internal mutable: tests lower it to reach trees of many directory pages with few rows.
 */
export const dirPolicy = { entries: 64 };

/** Where a directory's entries are: the CHECKPOINT frame, or a directory page at this offset. */
type DirectoryAt = { page: false; at: number } | { page: true; at: number };

function badDirectory(message: string, where: DirectoryAt): FormatError {
  return where.page
    ? new FormatError(`corrupt index directory page at offset ${where.at}: ${message}`, 'CORRUPT', {
        offset: where.at,
      })
    : corruptDirectory(message, where.at);
}

/** The six (or nine) packed columns of a directory, unpacked and of equal length. */
function directoryColumns(raw: unknown, width: 6 | 9, where: DirectoryAt): unknown[][] {
  if (!Array.isArray(raw) || raw.length !== width || !raw.every((c) => c instanceof Uint8Array))
    throw badDirectory(width === 9 ? 'is not nine packed columns' : 'is not six packed columns', where);
  const all = (raw as Uint8Array[]).map((c) => unpackColumn(c, where.at));
  const n = all[0].length;
  if (all.some((c) => c.length !== n)) throw badDirectory('columns differ in length', where);
  return all;
}

/** One checked directory entry, as `visit` receives it (its index, then the six fields). */
type EntryVisit = (
  i: number,
  key: unknown,
  val: unknown,
  count: number,
  offset: number,
  length: number,
  crc: number,
  next: { key: unknown; val: unknown } | null,
) => void;

/**
 * Check every entry of a directory's columns and visit it: counts ≥ 1, extents inside the log
 * before the checkpoint, checksums in range, first entries ascending and of the tree's shape, the
 * last one below `after` (the next directory page's first entry, when there is one). Returns
 * the entries they count.
 */
function checkEntries(
  all: unknown[][],
  source: PageSource,
  rules: PageRules,
  where: DirectoryAt,
  after: { key: unknown; val: unknown } | null,
  visit: EntryVisit,
): number {
  const [firstKeys, firstVals, counts, offsets, lengths, crcs] = all;
  const n = firstKeys.length;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const count = counts[i] as number;
    const offset = offsets[i] as number;
    const length = lengths[i] as number;
    const crc = crcs[i] as number;
    if (!Number.isSafeInteger(count) || count < 1) throw badDirectory('has an empty page', where);
    if (
      !Number.isSafeInteger(offset) ||
      !Number.isSafeInteger(length) ||
      length < 1 ||
      length > MAX_FRAME_PAYLOAD
    )
      throw badDirectory('has a malformed page extent', where);
    if (offset < LOG_START || offset + length > source.limit)
      throw badDirectory(`places a page at ${offset}, outside the log before the checkpoint`, where);
    if (!Number.isSafeInteger(crc) || crc < 0 || crc > 0xffffffff)
      throw badDirectory('has a bad checksum', where);
    const key = firstKeys[i];
    const val = firstVals[i];
    if (i > 0 && entryCompare(rules, firstKeys[i - 1], firstVals[i - 1], key, val) >= 0)
      throw badDirectory('pages out of order', where);
    if (rules.locations ? !isLocation(val, source.limit) : !keyShaped(key, rules.width))
      throw badDirectory('has a first entry of the wrong shape', where);
    total += count;
    const next = i + 1 < n ? { key: firstKeys[i + 1], val: firstVals[i + 1] } : after;
    if (i + 1 === n && after && entryCompare(rules, key, val, after.key, after.val) >= 0)
      throw badDirectory("reaches into the next directory page's range", where);
    visit(i, key, val, count, offset, length, crc, next);
  }
  return total;
}

/** The pages of a directory's checked columns (a layout-4/5 primary key's name column pages too). */
function pageEntries(
  all: unknown[][],
  source: PageSource,
  rules: PageRules,
  where: DirectoryAt,
  after: { key: unknown; val: unknown } | null,
  columnsOf: number | null,
): { pages: PageEntry<unknown, unknown>[]; total: number } {
  const pages = new Array<PageEntry<unknown, unknown>>(all[0].length);
  const total = checkEntries(
    all,
    source,
    rules,
    where,
    after,
    (i, key, val, count, offset, length, crc, next) => {
      const page = new StoredPage(source, rules, offset, length, crc, count, key, val, next);
      if (columnsOf !== null)
        page.columns = columnExtent(columnsOf, all[6][i], all[7][i], all[8][i], source, where);
      pages[i] = { firstKey: key, firstVal: val, page };
    },
  );
  return { pages, total };
}

/**
 * Decode and check a directory (layouts 3 and 4): O(pages), reads no page. `rows` is the entry
 * count it must add up to (`atMost`: may not exceed, for an index that may be partial).
 */
export function readDirectory(
  raw: unknown,
  source: PageSource,
  rules: PageRules,
  /** The entries the tree must hold (at most, with `atMost`); null: not checked (a lagging index). */
  rows: number | null,
  at: number,
  /** A layout-4 primary-key directory: the id of the collection whose rows its column pages hold. */
  columnsOf: number | null = null,
  atMost = false,
): PageEntry<unknown, unknown>[] {
  const where: DirectoryAt = { page: false, at };
  const all = directoryColumns(raw, columnsOf !== null ? 9 : 6, where);
  const { pages, total } = pageEntries(all, source, rules, where, null, columnsOf);
  if (rows !== null && (atMost ? total > rows : total !== rows))
    throw corruptDirectory(`counts ${total} entries for ${rows} rows`, at);
  return pages;
}

/**
 * Decode and check a root directory (layout 5): one entry per directory page, O(directory pages),
 * reads no directory page. Checked as readDirectory checks a directory.
 */
export function readRootDirectory(
  raw: unknown,
  source: PageSource,
  rules: PageRules,
  /** The entries the tree must hold (at most, with `atMost`); null: not checked (a lagging index). */
  rows: number | null,
  at: number,
  columnsOf: number | null = null,
  atMost = false,
): DirEntry<unknown, unknown>[] {
  const where: DirectoryAt = { page: false, at };
  const all = directoryColumns(raw, 6, where);
  const dirs = new Array<DirEntry<unknown, unknown>>(all[0].length);
  const total = checkEntries(
    all,
    source,
    rules,
    where,
    null,
    (i, key, val, count, offset, length, crc, next) => {
      const dir = new StoredDirPage(source, rules, offset, length, crc, count, key, val, next, columnsOf);
      dirs[i] = { firstKey: key, firstVal: val, dir };
    },
  );
  if (rows !== null && (atMost ? total > rows : total !== rows))
    throw corruptDirectory(`counts ${total} entries for ${rows} rows`, at);
  return dirs;
}

/**
 * A directory page (layout 5): the directory of a run of consecutive pages, read, verified and
 * decoded when a descent first reaches the inner node standing for it (btree-nodes.ts openInner).
 *
 *   directory page := columns:u8 (bytes:varint column[bytes]) × columns
 *                     (the six, or nine, packed columns of a directory, §4.2 and §4.3)
 */
export class StoredDirPage implements DirPage<unknown, unknown> {
  constructor(
    readonly source: PageSource,
    readonly rules: PageRules,
    readonly offset: number,
    readonly length: number,
    readonly crc: number,
    readonly count: number,
    readonly firstKey: unknown,
    readonly firstVal: unknown,
    /** The next directory page's first entry (null for the last). */
    private readonly next: { key: unknown; val: unknown } | null,
    private readonly columnsOf: number | null,
  ) {}

  load(): PageEntry<unknown, unknown>[] {
    const { offset, rules } = this;
    const where: DirectoryAt = { page: true, at: offset };
    const buf = readExact(this.source.store, offset, this.length);
    if (!buf) throw badDirectory('cut off', where);
    if (crc32c(buf, 0, buf.length) !== this.crc) throw badDirectory('checksum mismatch', where);
    const raw = splitDirectoryPage(buf);
    if (raw === null) throw badDirectory('is malformed', where);
    const all = directoryColumns(raw, this.columnsOf !== null ? 9 : 6, where);
    const { pages, total } = pageEntries(all, this.source, rules, where, this.next, this.columnsOf);
    if (total !== this.count) throw badDirectory(`counts ${total} entries, not ${this.count}`, where);
    if (entryCompare(rules, pages[0].firstKey, pages[0].firstVal, this.firstKey, this.firstVal) !== 0)
      throw badDirectory('first entry differs from its root directory entry', where);
    return pages;
  }
}

/** The packed columns of a directory page's bytes, or null when it does not split exactly. */
export function splitDirectoryPage(buf: Uint8Array): Uint8Array[] | null {
  if (buf.length < 1) return null;
  const columns = buf[0];
  const out: Uint8Array[] = [];
  let pos = 1;
  for (let i = 0; i < columns; i++) {
    const len = readVarint(buf, pos);
    if (!len || len[1] + len[0] > buf.length) return null;
    out.push(buf.subarray(len[1], len[1] + len[0]));
    pos = len[1] + len[0];
  }
  return pos === buf.length ? out : null;
}

/** A directory's column-page extent (a length of 0: none), checked like a page's. */
function columnExtent(
  collectionId: number,
  offset: unknown,
  length: unknown,
  crc: unknown,
  source: PageSource,
  where: DirectoryAt,
): ColumnExtent | null {
  if (length === 0 && offset === 0 && crc === 0) return null;
  if (
    !Number.isSafeInteger(offset) ||
    !Number.isSafeInteger(length) ||
    (length as number) < 1 ||
    (length as number) > MAX_FRAME_PAYLOAD ||
    (offset as number) < LOG_START ||
    (offset as number) + (length as number) > source.limit
  )
    throw badDirectory('has a malformed column page extent', where);
  if (!Number.isSafeInteger(crc) || (crc as number) < 0 || (crc as number) > 0xffffffff)
    throw badDirectory('has a bad column page checksum', where);
  return { collectionId, offset: offset as number, length: length as number, crc: crc as number };
}
