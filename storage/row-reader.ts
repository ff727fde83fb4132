/**
 * Decoded rows for the engine: reads a RECORD_PUT frame at a file location and decodes it,
 * through the row cache (point reads), the scan memo and a read-ahead window (scans), for the
 * current file, a view's open transaction or a file a compaction replaced. It holds no state of
 * the database itself: the engine's current file, durable end and transaction are read through
 * `RowSource` at each call, because commits, compaction and re-attach change them.
 */
import { lowerBound } from './sorted-search';
import { cachedRowBytes } from './heap-bytes';
import type { StoredView } from './sql-views';
import type { TableStats } from './sql-stats';
import { FormatError, InternalError, OperationalError } from '../src/errors';
import type { ByteStore } from './byte-store';
import { readExact } from './byte-store';
import { decodePayloadAt } from './codec';
import type { CollectionView } from './collection-state';
import { widenRow } from './collection-state';
import { ColumnReadError, readColumns } from './column-reader';
import { FRAME_HEADER_SIZE, FrameKind, MAX_FRAME_PAYLOAD } from './format';
import { frameChecksumOkAt, parseFrameHeader, u32 } from './frame';
import type { GrowableBuffer } from './growable-buffer';
import type { TxnSpill } from './txn-spill';
import { RecordArena } from './record-arena';
import { RowCache, UNKEPT_ROW, type CachedRow } from './row-cache';
import { ACCEPT_ALL, ACCEPTED_ROW } from './row-readers';
import type { RowReaders, ScanPosition } from './row-readers';
import { ScanMemo } from './scan-memo';
import { ColumnVectors } from './column-vectors';
import type { CompiledSchema } from './schema/compile';

/** A frozen view of the committed catalog and trees. */
export interface ReadView {
  readonly txnId: number;
  readonly collections: ReadonlyMap<string, CollectionView>;
  /** The file the view's row locations point into (it changes when a compaction is re-attached). */
  readonly store: ByteStore;
  /** SQLite's `PRAGMA user_version`: a 32-bit signed integer the application owns (0 by default). */
  readonly userVersion: number;
  /** SQL views (CREATE VIEW), in creation order; absent: none. */
  readonly sqlViews?: readonly StoredView[];
  /** ANALYZE's figures (storage/sql-stats.ts); absent: none. */
  readonly sqlStats?: readonly TableStats[];
  /**
   * A view taken inside a write transaction: the rows that transaction had put so far. Their
   * locations lie past the durable end, where a rollback lets later writes land, so the view
   * reads them from here and never from the file (I7).
   */
  readonly staged?: StagedRows;
}

/**
 * The rows a transaction had put when a view was taken: `locations` ascend (every put appends),
 * and only the first `count` entries belong to the view. The arrays are the transaction's own;
 * once a view shares them, a rollback replaces them instead of cutting them short.
 */
export interface StagedRows {
  readonly base: number;
  readonly count: number;
  readonly locations: readonly number[];
  readonly entries: readonly CachedRow[];
}

/** What the reader needs of the engine, read at each call. */
export interface RowSource {
  readonly store: ByteStore;
  readonly durableEnd: number;
  /**
   * The open write transaction's staged bytes and the file offset they will land at, or null; the
   * first `spilled` of them are in `spill` (storage/txn-spill.ts), `staged` holds the rest.
   */
  readonly staging: {
    readonly base: number;
    readonly staged: GrowableBuffer;
    readonly spilled: number;
    readonly spill: TxnSpill | null;
  } | null;
  /** Files replaced by compaction that views taken before it may still read. */
  readonly retired: readonly ByteStore[];
  schemaOf(collectionId: number): CompiledSchema | undefined;
}

/** A stretch of the file read at once for a scan: `buf` holds the bytes from `start`. */
interface Window {
  readonly store: ByteStore;
  readonly start: number;
  readonly buf: Buffer;
}

/** Read-ahead window for sequential scans: the largest, and the first (it grows as a scan goes on). */
const READ_AHEAD_BYTES = 1 << 20;
const FIRST_WINDOW_BYTES = 16 << 10;
/**
 * The smallest window: a scan whose rows lie far apart (a selective filter tested on column
 * vectors reads only the rows it accepts) reads one or two frames a window instead of every byte
 * between them.
 */
const SPARSE_WINDOW_BYTES = 4 << 10;
/**
 * A window that served a frame per fewer bytes than DENSE_BYTES_PER_FRAME was dense: the next one
 * doubles. One that served a frame per more than SPARSE_BYTES_PER_FRAME was sparse: the next is a
 * quarter (a window smaller than the gaps serves one frame, its own size a frame, so the bound
 * lies below the first window's size). Copying ~4 KiB costs about what a read of its own does.
 */
const DENSE_BYTES_PER_FRAME = 4 << 10;
const SPARSE_BYTES_PER_FRAME = 8 << 10;
/** Marks a probe slot with no decoded value (undefined is never a stored value). */
const MISSING = undefined;
/** The most of cacheBytes the record arena holds (the row cache keeps at least the rest). */
const ARENA_SHARE = 7 / 8;
/** The arena grows while more than 1 in GROW_READS rows looked up is read from the file... */
const GROW_READS = 10;
/** ...among at least GROW_WINDOW looked up since the last slab (fewer cannot tell). */
const GROW_WINDOW = 1024;
/** readExact, or null when the read fails or comes up short. */
/** Read up to `length` bytes at `at` into `into`: how many came, or -1 when the read failed. */
function readQuietly(store: ByteStore, into: Buffer, at: number, length: number): number {
  try {
    return store.readInto(into, 0, length, at);
  } catch {
    return -1;
  }
}

/** Rows read from the file between two marks of arenaMayGrow's window. */
const SNAPSHOT_READS = 512;
/** Bytes of a transaction's spilled front read back at once by keepCommitted. */
const KEEP_CHUNK = 1 << 20;
/** First read of a record frame: enough for most rows in one system call. */
const SPECULATIVE_READ = 1024;

/**
 * Records decoded whole, and for a few columns only (`fetched`: of those, rows an index fetch read
 * through readRowColumns); tests count the work with these.
 */
export const rowDecodeStats = { whole: 0, partial: 0, fetched: 0 };

export class RowReader {
  readonly cache: RowCache;
  /** Record frames the row cache does not hold decoded (storage/record-arena.ts). */
  readonly arena: RecordArena;
  /** Rows beside the primary-key leaves scans walk (a second budget of cacheBytes). */
  private readonly memo: ScanMemo;
  private readonly scratch = Buffer.allocUnsafe(SPECULATIVE_READ);
  /** Read-ahead window of the last sequential scan. */
  private window: Window | null = null;
  /**
   * Distinct frames served from `window` (a row can be looked up twice, tested then read), the
   * last of them, and the size the next window read onward takes (readWindow).
   */
  private windowFrames = 0;
  private lastFrame = -1;
  private aheadBytes = FIRST_WINDOW_BYTES;
  /** The bytes every window is read into (grown to the largest window read, at most 1 MiB). */
  private windowBytes: Buffer = Buffer.alloc(0);
  private readers: (RowReaders & { view: ReadView }) | null = null;
  /** Column vectors of scans (storage/column-vectors.ts). */
  private readonly vectors: ColumnVectors;
  /** Scratch row for scanRowWhere's partial decodes; every slot not being tested holds MISSING. */
  private readonly probeRow: unknown[] = [];

  constructor(
    private readonly src: RowSource,
    cacheBytes: number,
  ) {
    // The arena may take up to 7/8 of the budget, and the row cache gives up what it takes: it
    // grows only once the row cache is full and while many lookups read the file (arenaMayGrow),
    // so a table or a hot set that fits decoded keeps its budget; a table that does not is read
    // from the arena's bytes (about half a decoded row's size) rather than from the file.
    // Measured at 1M items (`qty = ?`, 1,000 rows a query): a 3/4 share 1.06x better-sqlite3
    // (23 % of rows still read from the file), 7/8 1.23x (6 %).
    this.cache = new RowCache(cacheBytes);
    this.arena = new RecordArena(cacheBytes * ARENA_SHARE);
    this.arena.onResize = (bytes) => this.cache.resize(cacheBytes - bytes);
    this.arena.mayGrow = () => this.arenaMayGrow();
    this.memo = new ScanMemo(cacheBytes);
    this.vectors = new ColumnVectors(src, this.memo, cacheBytes);
  }

  /**
   * Rows looked up in the row cache (hits and misses) and rows read from the file, at two recent
   * marks taken every SNAPSHOT_READS rows read from the file: arenaMayGrow judges what happened
   * since the older mark, so a slab asked for after a long quiet spell is judged on the last
   * thousand or so file reads, not on everything since the last slab.
   */
  private markLooked = [0, 0];
  private markReads = [0, 0];
  private fileReads = 0;

  /** Called for each row read from the file: moves the marks on every SNAPSHOT_READS. */
  private countFileRead(): void {
    if (++this.fileReads % SNAPSHOT_READS !== 0) return;
    this.markLooked[0] = this.markLooked[1];
    this.markReads[0] = this.markReads[1];
    this.markLooked[1] = this.cache.hits + this.cache.misses;
    this.markReads[1] = this.fileReads;
  }

  /**
   * Whether the arena may take another slab from the decoded cache's budget: only once that cache
   * is full, and while more than 1 row in GROW_READS of those looked up lately was read from the
   * file (or too few were looked up to tell: a commit's frames). A set of rows read again and
   * again that fits decoded then keeps its budget — with few rows read from the file the arena
   * stops growing and reuses its slabs — while reads spread over a table that fits neither way
   * hand the budget over.
   */
  private arenaMayGrow(): boolean {
    // A commit's rows the decoded cache did not take: as many as the budget holds.
    if (this.keepingCommitted) return true;
    const c = this.cache;
    if (!c.isFull) return false;
    const looked = c.hits + c.misses - this.markLooked[0];
    const reads = this.fileReads - this.markReads[0];
    return !(looked >= GROW_WINDOW) || reads * GROW_READS > looked;
  }

  /**
   * After a commit: keep the frames of the rows it put (`locations`, ascending) in the arena when
   * they overflowed the decoded cache (a bulk load) or some were never kept decoded (`leftOut`,
   * RowCache.setMany's answer), the newest that fit — what a later read of them would otherwise
   * fetch from the file one by one, as SQLite's page cache keeps the pages a load wrote. Frames at or past `memStart` are taken from `mem` (the commit's bytes still in
   * memory); earlier ones (a large transaction's spilled front) are read back from the log a
   * chunk at a time. They are kept as written, like the decoded rows the commit caches.
   */
  keepCommitted(
    locations: readonly number[],
    count: number,
    memStart: number,
    mem: Buffer,
    leftOut: boolean,
  ): void {
    const n = Math.min(count, locations.length);
    if (n === 0 || (!leftOut && !this.cache.isFull)) return;
    this.keepingCommitted = true;
    try {
      this.keepFrames(locations, n, memStart, mem);
    } finally {
      this.keepingCommitted = false;
    }
  }

  /** Set while keepCommitted fills the arena: its slabs may grow whatever the decoded cache holds. */
  private keepingCommitted = false;

  /** keepCommitted's copy of the first `n` rows' frames (the newest that fit). */
  private keepFrames(locations: readonly number[], n: number, memStart: number, mem: Buffer): void {
    const arena = this.arena;
    // The newest frames that fit (the last one always does).
    const lo = lowerBound(locations, locations[n - 1] - arena.capacityBytes, n - 1);
    let chunk: Buffer = Buffer.alloc(0);
    let chunkStart = 0;
    let chunkLength = 0;
    for (let i = lo; i < n;) {
      const location = locations[i];
      let buf: Buffer;
      let at: number;
      let limit: number;
      if (location >= memStart) {
        buf = mem;
        at = location - memStart;
        limit = mem.length;
      } else {
        if (location < chunkStart || location + FRAME_HEADER_SIZE > chunkStart + chunkLength) {
          const length = Math.min(KEEP_CHUNK, memStart - location);
          if (chunk.length < length) chunk = Buffer.allocUnsafe(KEEP_CHUNK);
          // The commit is durable already: a read that fails here ends the filling, not the commit.
          chunkLength = readQuietly(this.src.store, chunk, location, length);
          if (chunkLength <= 0) return;
          chunkStart = location;
        }
        buf = chunk;
        at = location - chunkStart;
        limit = chunkLength;
      }
      // The run of frames from i lying back to back and whole in `buf` (a transaction writes its
      // rows' frames one after another): kept with one copy per slab, not one per frame.
      let j = i;
      let end = at;
      while (j < n) {
        const p = locations[j] - location + at;
        if (p !== end || p + FRAME_HEADER_SIZE > limit || buf[p + 4] !== FrameKind.RECORD_PUT) break;
        const next = p + FRAME_HEADER_SIZE + u32(buf, p);
        if (next > limit) break;
        end = next;
        j++;
      }
      if (j > i) {
        arena.putAdjacent(locations, i, j, buf, at, end);
        i = j;
        continue;
      }
      // Frame i is not whole here: cut by the chunk's end (read again from it), or no record.
      if (buf === chunk && at > 0 && buf[at + 4] === FrameKind.RECORD_PUT) chunkLength = 0;
      else i++;
    }
  }

  /** Forget every decoded row (the file's locations changed: compaction, re-attach). */
  clear(): void {
    this.cache.clear();
    this.arena.clear();
    this.memo.clear();
    this.vectors.clear();
  }

  /**
   * Decode the row stored at `location` (a RECORD_PUT frame offset), through the cache. The row is
   * as stored: one written before an ADD COLUMN is shorter than its schema, and readers widen it
   * to the schema they read with (collection-state.ts widenRow); the cache never holds it widened.
   */
  readRow(location: number): unknown[] {
    const hit = this.cache.getRow(location);
    if (hit !== undefined) return hit;
    return this.readMiss(location);
  }

  /**
   * The record the open transaction staged at `location` (at or past its base), decoded from its
   * staged bytes or its spill file: never cached, since a rollback lets other rows land there.
   */
  stagedRecord(location: number): CachedRow {
    const txn = this.src.staging;
    if (!txn || location < txn.base)
      throw new InternalError(`no staged record at offset ${location}`, 'INTERNAL');
    const at = location - txn.base - txn.spilled;
    if (at >= 0) return this.decodeRecord(txn.staged.buf, at, txn.staged.length - at, location);
    const frame = txn.spill?.readFrame(location - txn.base) ?? null;
    if (!frame) throw corruptAt(location, 'staged record frame is cut off');
    return this.decodeRecord(frame, 0, frame.length, location);
  }

  /** readRow for a row the decoded cache has just missed (and the arena too, if `arenaLooked`). */
  private readMiss(location: number, arenaLooked = false): unknown[] {
    const txn = this.src.staging;
    if (txn && location >= txn.base) return this.stagedRecord(location).row;
    const arena = this.arena;
    const at = arenaLooked ? -1 : arena.find(location);
    if (at >= 0) {
      // Most rows decoded here are not kept decoded (admit() samples): measured only if kept.
      const kept = this.decodeRecord(arena.buf, at, arena.buf.length - at, location, true, false);
      this.cache.admit(location, kept);
      return kept.row;
    }
    const scratch = this.scratch;
    const got = this.src.store.readInto(
      scratch,
      0,
      Math.min(SPECULATIVE_READ, this.src.durableEnd - location),
      location,
    );
    let entry: { collectionId: number; row: unknown[]; bytes: number };
    const header =
      got >= FRAME_HEADER_SIZE ? parseFrameHeader(scratch, 0, this.src.durableEnd - location) : null;
    if (header && FRAME_HEADER_SIZE + header.length <= got) {
      entry = this.decodeRecord(scratch, 0, got, location, false, false);
      arena.put(location, scratch, 0, FRAME_HEADER_SIZE + header.length);
      this.countFileRead();
    } else {
      const whole = header ? readExact(this.src.store, location, FRAME_HEADER_SIZE + header.length) : null;
      if (!whole) throw corruptAt(location, 'record frame is cut off');
      entry = this.decodeRecord(whole, 0, whole.length, location, false, false);
      arena.put(location, whole, 0, whole.length);
      this.countFileRead();
    }
    this.cache.admit(location, entry);
    return entry.row;
  }

  decodeRecord(
    buf: Buffer,
    at: number,
    available: number,
    location: number,
    checksumVerified = false,
    /** false: leave the row's heap size unmeasured (-1) until a cache takes it (CachedRow.bytes). */
    measured = true,
  ): { collectionId: number; row: unknown[]; bytes: number } {
    const header = parseFrameHeader(buf, at, available);
    if (!header || header.kind !== FrameKind.RECORD_PUT) throw corruptAt(location, 'expected a record frame');
    if (!checksumVerified && !frameChecksumOkAt(buf, at, header.length, header.crc))
      throw corruptAt(location, 'record checksum mismatch');
    rowDecodeStats.whole++;
    const start = at + FRAME_HEADER_SIZE;
    const body = decodePayloadAt(buf, start, start + header.length, location);
    if (!Array.isArray(body) || typeof body[0] !== 'number' || !Array.isArray(body[2]))
      throw corruptAt(location, 'record payload');
    const row = body[2] as unknown[];
    // A valid checksum does not make a valid row: every value is checked against the schema.
    if (this.src.schemaOf(body[0])?.isStoredRow(row) === false)
      throw corruptAt(location, 'record that does not match its collection schema');
    return { collectionId: body[0], row, bytes: measured ? cachedRowBytes(row) : -1 };
  }

  /**
   * Read a row for a view: from the current file, or — for a view taken before a compaction was
   * re-attached — from the replaced file it was taken on, so a running result set stays consistent.
   */
  readRowFor(view: ReadView, location: number): unknown[] {
    const staged = view.staged;
    if (staged !== undefined && location >= staged.base) {
      const row = stagedRow(staged, location);
      if (row !== undefined) return row;
    }
    if (view.store === this.src.store) return this.readRow(location);
    if (!this.src.retired.includes(view.store)) {
      throw new OperationalError(
        'this result set was opened before the file was compacted several times; re-run the query',
        'OPERATIONAL',
      );
    }
    const whole = frameAt(view.store, location);
    if (!whole) throw corruptAt(location, 'record frame in a replaced file');
    return this.decodeRecord(whole, 0, whole.length, location).row;
  }

  /**
   * RowReaders.readRowColumns: the row at `location` for a consumer that reads `columns` alone
   * (ascending), widened by `defaults`. A row at hand (decoded in the cache, staged, of a replaced
   * file or of the open transaction) comes back whole. One whose frame the record arena holds
   * comes back, once the decoded cache is full, as a new row of `width` values holding `columns`
   * decoded from the frame, the others null: an index lookup over rows that do not fit decoded
   * then builds no strings for the columns nobody reads (measured at 1M items, see
   * docs/performance.md). Such a read never offers its row to the full decoded cache: that
   * sample (one miss in 16, RowCache.takesMiss) decoded the row whole and evicted another for a
   * reader that reads a few columns and finds them in the arena anyway (10 % of the 1M `ORDER BY
   * qty, price DESC` line). Else the row is read whole, as readRow reads it (from the file: into
   * the arena, and offered to the cache).
   */
  readRowColumns(
    view: ReadView,
    location: number,
    columns: readonly number[],
    width: number,
    defaults: readonly unknown[] | null,
  ): unknown[] {
    const staged = view.staged;
    const txn = this.src.staging;
    let raw: unknown[] | undefined;
    if (
      view.store !== this.src.store ||
      (staged !== undefined && location >= staged.base) ||
      (txn !== null && location >= txn.base)
    )
      raw = this.readRowFor(view, location);
    else raw = this.cache.getRow(location);
    if (raw === undefined) {
      const arena = this.arena;
      const at = arena.find(location);
      if (at < 0) {
        const frame = narrowEveryRead ? frameAt(this.src.store, location) : null;
        if (frame) {
          rowDecodeStats.fetched++;
          return this.partialRow(frame, 0, location, columns, width, defaults);
        }
        const row = this.cache.isFull ? this.readMissColumns(location, columns, width, defaults) : undefined;
        if (row !== undefined) return row;
        raw = this.readMiss(location, true);
      } else if (!this.cache.isFull) {
        const kept = this.decodeRecord(arena.buf, at, arena.buf.length - at, location, true);
        this.cache.admit(location, kept);
        raw = kept.row;
      } else {
        rowDecodeStats.fetched++;
        return this.partialRow(arena.buf, at, location, columns, width, defaults, true);
      }
    }
    return defaults ? widenRow(raw, defaults) : raw;
  }

  /**
   * readRowColumns's read of a row neither cache holds, once the decoded cache is full: the frame
   * is read into the arena and `columns` are decoded from it, as from a frame found there (no
   * whole decode, nothing offered to the cache). Undefined when the first read does not hold the
   * whole frame (readMiss then reads it).
   */
  private readMissColumns(
    location: number,
    columns: readonly number[],
    width: number,
    defaults: readonly unknown[] | null,
  ): unknown[] | undefined {
    const scratch = this.scratch;
    const room = this.src.durableEnd - location;
    const got = this.src.store.readInto(scratch, 0, Math.min(SPECULATIVE_READ, room), location);
    const header = got >= FRAME_HEADER_SIZE ? parseFrameHeader(scratch, 0, room) : null;
    if (header === null || FRAME_HEADER_SIZE + header.length > got) return undefined;
    rowDecodeStats.fetched++;
    // Checksummed by the decode: only then is the frame kept.
    const row = this.partialRow(scratch, 0, location, columns, width, defaults);
    this.arena.put(location, scratch, 0, FRAME_HEADER_SIZE + header.length);
    this.countFileRead();
    return row;
  }

  /**
   * A new row of `width` values holding `columns` of the record frame at `offset` of `buf`, the
   * others null (see decodeColumns).
   */
  private partialRow(
    buf: Buffer,
    offset: number,
    location: number,
    columns: readonly number[],
    width: number,
    defaults: readonly unknown[] | null,
    checksumVerified = false,
  ): unknown[] {
    this.decodeColumns(buf, offset, location, columns, defaults, checksumVerified);
    const probe = this.probeRow;
    const row = new Array<unknown>(width).fill(null);
    for (const c of columns) {
      row[c] = probe[c];
      probe[c] = MISSING;
    }
    return row;
  }

  /**
   * readRowFor for scans: rows of a collection scan usually lie in file order, so on a cache miss
   * read a large window of the file at once and decode the following rows from it instead of one
   * positional read per row (a cold scan would otherwise be one system call per row).
   */
  readRowAhead(view: ReadView, at: ScanPosition): unknown[] {
    const known = this.rowAtHand(view, at);
    if (known) return known;
    const offset = this.frameOffset(at.value);
    if (offset < 0) return this.readRow(at.value); // a frame larger than the window: plain read
    const buf = (this.window as Window).buf;
    return this.remember(at, this.decodeRecord(buf, offset, buf.length - offset, at.value));
  }

  /**
   * A scan's read with its filter pushed down: the row at `at` when `test` accepts it, else null.
   * A row not in memory is first tested on just `columns` (ascending; the only ones `test`
   * reads), decoded straight from the read-ahead window, and decoded whole only if it passes — a
   * selective scan over cold rows then builds no row objects for the rows it rejects.
   */
  scanRowWhere(
    view: ReadView,
    at: ScanPosition,
    columns: readonly number[],
    test: (row: unknown[], defaulted: boolean) => boolean,
    defaults: readonly unknown[] | null = null,
    whole: boolean | 'columns' = true,
  ): unknown[] | null {
    const location = at.value;
    const known = this.rowAtHand(view, at);
    if (known) {
      const row = defaults ? widenRow(known, defaults) : known;
      return test(row, row !== known) ? row : null;
    }
    const offset = this.frameOffset(location);
    if (offset < 0) {
      const raw = this.readRow(location);
      const row = defaults ? widenRow(raw, defaults) : raw;
      return test(row, row !== raw) ? row : null;
    }
    const buf = (this.window as Window).buf;
    if (test === ACCEPT_ALL && whole === true) {
      const row = this.remember(at, this.decodeRecord(buf, offset, buf.length - offset, location));
      return defaults ? widenRow(row, defaults) : row;
    }
    const defaulted = this.decodeColumns(buf, offset, location, columns, defaults);
    const probe = this.probeRow;
    const pass = test(probe, defaulted);
    const partial = pass && whole === 'columns' ? new Array<unknown>(probe.length).fill(null) : null;
    for (const c of columns) {
      if (partial) partial[c] = probe[c];
      probe[c] = MISSING;
    }
    if (!pass) return null;
    if (partial) return partial;
    if (!whole) return ACCEPTED_ROW;
    // decodeColumns verified the frame's checksum.
    const row = this.remember(at, this.decodeRecord(buf, offset, buf.length - offset, location, true));
    return defaults ? widenRow(row, defaults) : row;
  }

  /** See ScanRowColumns (storage/row-readers.ts). */
  scanRowColumns(
    view: ReadView,
    at: ScanPosition,
    columns: readonly number[],
    width: number,
    defaults: readonly unknown[] | null = null,
  ): unknown[] {
    const known = this.rowAtHand(view, at);
    const location = at.value;
    const offset = known ? -1 : this.frameOffset(location);
    if (known || offset < 0) {
      const raw = known ?? this.readRow(location);
      return defaults ? widenRow(raw, defaults) : raw;
    }
    return this.partialRow((this.window as Window).buf, offset, location, columns, width, defaults);
  }

  /**
   * Decode `columns` of the record frame at `offset` of `buf` (location `location`) into the
   * probe row, checksum (unless verified already: an arena frame) and stored forms checked; columns an older row lacks (added by ALTER
   * TABLE) read as the defaults of the view's schema. Whether any did. The caller resets the
   * probe's `columns` to MISSING once done with them.
   */
  private decodeColumns(
    buf: Buffer,
    offset: number,
    location: number,
    columns: readonly number[],
    defaults: readonly unknown[] | null,
    checksumVerified = false,
  ): boolean {
    // Header fields read in place: no header object per row (a cold scan's garbage).
    const length = u32(buf, offset);
    const start = offset + FRAME_HEADER_SIZE;
    if (buf[offset + 4] !== FrameKind.RECORD_PUT) throw corruptAt(location, 'expected a record frame');
    if (!checksumVerified && !frameChecksumOkAt(buf, offset, length, u32(buf, offset + 16)))
      throw corruptAt(location, 'record checksum mismatch');
    const probe = this.probeRow;
    rowDecodeStats.partial++;
    const collectionId = recordColumns(buf, start, start + length, columns, probe, location);
    // The columns the row has must have their stored form (a valid checksum does not make a valid row).
    const schema = this.src.schemaOf(collectionId);
    const fill = defaults ?? schema?.storedDefaults;
    const checks = schema?.storedColumnChecks;
    let defaulted = false;
    for (const c of columns) {
      if (probe[c] === MISSING) {
        defaulted = true;
        if (fill) probe[c] = fill[c];
        continue;
      }
      const check = checks?.[c];
      if (check && !check(probe[c])) {
        for (const k of columns) probe[k] = MISSING;
        throw corruptAt(location, 'record that does not match its collection schema');
      }
    }
    return defaulted;
  }

  /**
   * The row at a scan position when it needs no decoding from the current file: memoized beside
   * its leaf, in the row cache (then memoized), or read for a view of a replaced file or of the
   * open transaction (never memoized: those locations are not the current file's committed rows).
   * A row whose frame lies in the read-ahead window is not looked up in the row cache: the scan
   * decodes it from the window instead, because on a cold scan that probe — a random access into
   * a table as large as the cache — missed for every row and cost more than the decode (profile:
   * 11 % of a cold 1M-row filtered scan).
   */
  private rowAtHand(view: ReadView, at: ScanPosition): unknown[] | undefined {
    const location = at.value;
    const staged = view.staged;
    if (staged !== undefined && location >= staged.base) return this.readRowFor(view, location);
    const memo = this.memo.get(at);
    if (memo) return memo;
    if (view.store !== this.src.store || (this.src.staging && location >= this.src.staging.base))
      return this.readRowFor(view, location);
    if (this.inWindow(location)) return undefined;
    const cached = this.cache.get(location);
    if (!cached) return undefined;
    this.memo.set(at, cached.row, cached.bytes);
    return cached.row;
  }

  /** Keep a row a scan decoded: offered to the row cache and memoized beside its leaf. */
  private remember(at: ScanPosition, entry: CachedRow): unknown[] {
    this.cache.offer(at.value, entry);
    this.memo.set(at, entry.row, entry.bytes);
    return entry.row;
  }

  /** Rows currently held decoded in the row cache (tests count work with it). */
  get cachedRowCount(): number {
    return this.cache.size;
  }

  /**
   * The row readers of statements running over `view` (planner/run.ts RowReaders). Built once per
   * view: a statement only re-executed against the same committed state allocates nothing here.
   */
  readersFor(view: ReadView): RowReaders {
    if (this.readers?.view !== view) {
      this.readers = {
        view,
        readRow: (l) => this.readRowFor(view, l),
        readRowSequential: (at) => this.readRowAhead(view, at),
        scanRowWhere: (at, columns, test, defaults, whole) =>
          this.scanRowWhere(view, at, columns, test, defaults, whole),
        scanRowColumns: (at, columns, width, defaults) =>
          this.scanRowColumns(view, at, columns, width, defaults),
        readRowColumns: (location, columns, width, defaults) =>
          this.readRowColumns(view, location, columns, width, defaults),
        narrowing: () => this.cache.isFull || narrowEveryRead,
        scanNumberColumn: (at, column) => this.vectors.scanNumberColumn(view, at, column),
        scanPageColumn: (page, column) => this.vectors.scanPageColumn(view, page, column),
        keepNumberColumn: (leaf, column, locations, values) =>
          this.vectors.keepNumberColumn(view, leaf, column, locations, values),
        scanCodeColumn: (at, column, codes) => this.vectors.scanCodeColumn(view, at, column, codes),
        scanPageCodeColumn: (page, column, codes) =>
          this.vectors.scanPageCodeColumn(view, page, column, codes),
        keepCodeColumn: (leaf, column, codes, locations, values) =>
          this.vectors.keepCodeColumn(view, leaf, column, codes, locations, values),
        stringCodes: (collectionId, column) => this.memo.stringCodes(collectionId, column),
      };
    }
    return this.readers;
  }

  /** Whether `location`'s frame header lies inside the current read-ahead window. */
  private inWindow(location: number): boolean {
    const w = this.window;
    return (
      w !== null &&
      w.store === this.src.store &&
      location >= w.start &&
      location + FRAME_HEADER_SIZE <= w.start + w.buf.length
    );
  }

  /**
   * The offset inside the read-ahead window of the whole frame at `location` (re-reading the
   * window as needed), or -1 when it does not fit a window: larger than one, or a length no
   * frame can have (the caller's plain read reports that).
   */
  private frameOffset(location: number): number {
    let w = this.window;
    if (!w || !this.inWindow(location)) w = this.readWindow(location);
    let at = location - w.start;
    if (!wholeFrameAt(w.buf, at)) {
      if (at === 0) return -1;
      // The frame runs past the window's end: slide the window to start at it.
      w = this.readWindow(location);
      at = 0;
      if (!wholeFrameAt(w.buf, 0)) return -1;
    }
    if (location !== this.lastFrame) {
      this.windowFrames++;
      this.lastFrame = location;
    }
    return at;
  }

  /**
   * Read the window starting at `location`. While reads keep moving onward from the previous
   * window (a scan), its size follows how densely the previous one was used: it doubles up to
   * READ_AHEAD_BYTES while frames came close together and shrinks to SPARSE_WINDOW_BYTES while
   * they lay far apart; a read elsewhere starts small again, so a short range walk does not pay
   * for a megabyte it never uses. Windows share one buffer (rows are decoded out of it, binary
   * values copied), so a long scan allocates no megabyte per read.
   */
  private readWindow(location: number): Window {
    const prev = this.window;
    const onward =
      prev !== null &&
      prev.store === this.src.store &&
      location >= prev.start &&
      location <= prev.start + prev.buf.length + READ_AHEAD_BYTES;
    if (!onward) this.aheadBytes = FIRST_WINDOW_BYTES;
    else {
      const perFrame = prev.buf.length / Math.max(1, this.windowFrames);
      if (perFrame < DENSE_BYTES_PER_FRAME) this.aheadBytes = Math.min(READ_AHEAD_BYTES, this.aheadBytes * 2);
      else if (perFrame > SPARSE_BYTES_PER_FRAME)
        this.aheadBytes = Math.max(SPARSE_WINDOW_BYTES, this.aheadBytes >> 2);
    }
    this.windowFrames = 0;
    const size = Math.max(0, Math.min(this.aheadBytes, this.src.durableEnd - location));
    if (this.windowBytes.length < size) this.windowBytes = Buffer.allocUnsafe(size);
    const n = this.src.store.readInto(this.windowBytes, 0, size, location);
    this.window = { store: this.src.store, start: location, buf: this.windowBytes.subarray(0, n) };
    return this.window;
  }
}

/** The whole frame at `location` of `store`, or null when it is cut off. */
function frameAt(store: ByteStore, location: number): Buffer | null {
  const head = readExact(store, location, FRAME_HEADER_SIZE);
  const header = head ? parseFrameHeader(head, 0, store.size - location) : null;
  return header ? readExact(store, location, FRAME_HEADER_SIZE + header.length) : null;
}

/**
 * Tests only: readRowColumns decodes every row it does not find decoded in part, read from the
 * file when the arena lacks it, so a differential run with no row cache checks that a plan's
 * `reads` name every column the query reads.
 */
let narrowEveryRead = false;

export function setNarrowEveryReadForTests(on: boolean): void {
  narrowEveryRead = on;
}

/** Whether a whole frame starts at `at` in `buf` (its header fits and its length stays inside). */
function wholeFrameAt(buf: Buffer, at: number): boolean {
  if (at + FRAME_HEADER_SIZE > buf.length) return false;
  const length = u32(buf, at);
  return length <= MAX_FRAME_PAYLOAD && at + FRAME_HEADER_SIZE + length <= buf.length;
}

/**
 * The row a view's transaction put at `location`, or undefined for one it did not keep decoded
 * (UNKEPT_ROW): its bytes are still where the view expects them (a rollback that would cut them
 * first decodes them into the views' entries, engine-transactions.ts), so the caller reads them.
 */
function stagedRow(staged: StagedRows, location: number): unknown[] | undefined {
  const { locations } = staged;
  let lo = 0;
  let hi = staged.count - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const at = locations[mid];
    if (at === location) {
      const entry = staged.entries[mid];
      return entry === UNKEPT_ROW ? undefined : entry.row;
    }
    if (at < location) lo = mid + 1;
    else hi = mid - 1;
  }
  throw new InternalError(`no row staged at offset ${location} for this snapshot`, 'INTERNAL');
}

/**
 * readColumns of the record payload at [start, end) of `buf` (the frame at `location`): a payload
 * that is not a record's shape is FormatError CORRUPT. Returns the collection id.
 */
export function recordColumns(
  buf: Buffer,
  start: number,
  end: number,
  columns: readonly number[],
  out: unknown[],
  location: number,
): number {
  try {
    return readColumns(buf, start, end, columns, out);
  } catch (err) {
    if (err instanceof ColumnReadError) throw corruptAt(location, 'record payload');
    throw err;
  }
}

export function corruptAt(offset: number, what: string): FormatError {
  return new FormatError(`corrupt ${what} at offset ${offset}`, 'CORRUPT', { offset });
}
