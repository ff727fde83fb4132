/**
 * Temp segments for operators that keep more rows than their memory budget: the sort's runs
 * (planner/sort.ts), the Window operator's large partitions (planner/window-spill.ts) and a
 * HashJoin's partitions (planner/hash-spill.ts). A
 * segment is one file in its own directory under the OS temp dir, written as SCRATCH frames, so
 * nothing of a spill is ever replayed or left in the database.
 * The directory is removed when the segment is closed, when its owner is garbage collected
 * without closing it, and at process exit.
 *
 * A SpilledList is an append-only list kept in such a segment in blocks, read back through a
 * small cache of decoded blocks: what it holds in memory is bounded by its block and cache sizes,
 * whatever its length.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { decodePayload, encodePayload } from '../storage/codec';
import { FRAME_HEADER_SIZE, FrameKind } from '../storage/format';
import { parseFrameHeader, writeFrame } from '../storage/frame';
import { GrowableBuffer } from '../storage/growable-buffer';
import { InternalError } from '../src/errors';
import { io, ioError } from '../storage/io-error';
import type { Row } from './compile-expr';
import { TaggedReal } from './tagged-real';

/** Segments opened and removed, blocks written and read, since the process started (tests count them). */
export const segmentStats = { created: 0, removed: 0, blocksWritten: 0, blocksRead: 0 };

/** Directories still open: removed at exit whatever happened to their segments. */
const live = new Set<string>();
let exitHook = false;

/** Segments one kind of operator opened and removed (its own statistics, beside segmentStats). */
export interface SegmentCounters {
  created: number;
  removed: number;
}

function removeDir(dir: string): boolean {
  if (!live.delete(dir)) return false;
  fs.rmSync(dir, { recursive: true, force: true });
  segmentStats.removed++;
  return true;
}

/** What an abandoned segment's file needs to be closed and removed (never the segment itself). */
class Handle {
  fd = -1;
  constructor(
    readonly dir: string,
    private readonly counters: SegmentCounters | null,
  ) {}

  close(): void {
    if (this.fd >= 0)
      try {
        fs.closeSync(this.fd);
      } catch {
        // already closed
      }
    this.fd = -1;
    if (removeDir(this.dir) && this.counters !== null) this.counters.removed++;
  }
}

const abandoned = new FinalizationRegistry<Handle>((h) => h.close());

export class TempSegment {
  private readonly handle: Handle;
  private size = 0;

  /**
   * `owner`: the object whose collection means the segment was abandoned (never referenced here);
   * `counters`: the opening operator's statistics.
   */
  constructor(owner: object, prefix = 'modelvault-window-', counters: SegmentCounters | null = null) {
    const dir = io(`cannot create a temporary directory in ${os.tmpdir()}`, () =>
      fs.mkdtempSync(path.join(os.tmpdir(), prefix)),
    );
    live.add(dir);
    segmentStats.created++;
    if (counters !== null) counters.created++;
    if (!exitHook) {
      exitHook = true;
      process.once('exit', () => [...live].forEach(removeDir));
    }
    this.handle = new Handle(dir, counters);
    try {
      this.handle.fd = fs.openSync(path.join(dir, 'segment.tmp'), 'w+');
    } catch (err) {
      this.handle.close();
      throw ioError(`cannot create a temporary file in ${dir}`, err);
    }
    abandoned.register(owner, this.handle, this.handle);
  }

  /** Append one frame holding `value`; returns where it is (for read). */
  write(value: unknown): { at: number; length: number } {
    return this.writeAll([value])[0];
  }

  /** Append one frame per value with one write; returns where each is. */
  writeAll(values: readonly unknown[]): { at: number; length: number }[] {
    const out = new GrowableBuffer(values.length > 1 ? 1 << 20 : 4096);
    const frames: { at: number; length: number }[] = [];
    for (const v of values) {
      const start = out.length;
      writeFrame(out, FrameKind.SCRATCH, 0, encodePayload(v));
      frames.push({ at: this.size + start, length: out.length - start });
    }
    const bytes = out.view();
    try {
      let done = 0;
      while (done < bytes.length)
        done += fs.writeSync(this.handle.fd, bytes, done, bytes.length - done, this.size + done);
    } catch (err) {
      // The operator fails; what was written is past `size` and the segment is removed with it.
      throw ioError('write to a temporary spill file failed', err);
    }
    this.size += bytes.length;
    segmentStats.blocksWritten += values.length;
    return frames;
  }

  read(at: number, length: number): unknown {
    const buf = Buffer.alloc(length);
    io('read of a temporary spill file failed', () => fs.readSync(this.handle.fd, buf, 0, length, at));
    const h = parseFrameHeader(buf, 0, length);
    if (!h) throw new InternalError('spill segment is damaged');
    segmentStats.blocksRead++;
    return decodePayload(buf.subarray(FRAME_HEADER_SIZE, FRAME_HEADER_SIZE + h.length));
  }

  close(): void {
    abandoned.unregister(this.handle);
    this.handle.close();
  }
}

/**
 * Rows ready to encode: TaggedReal values (whole-number REALs a window or aggregate slot may
 * hold, planner/tagged-real.ts) become plain numbers, their places listed as [row, column, …].
 * The codec would write them as maps and lose the tag.
 */
export function untagRows(rows: readonly Row[]): { rows: readonly Row[]; tagged: number[] } {
  let tagged: number[] | null = null;
  let out: unknown[][] | null = null;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    for (let c = 0; c < row.length; c++) {
      const v = row[c];
      if (typeof v !== 'object' || !(v instanceof TaggedReal)) continue;
      tagged ??= [];
      out ??= rows.map((r) => r as unknown[]);
      if (out[i] === row) out[i] = row.slice();
      out[i][c] = v.value;
      tagged.push(i, c);
    }
  }
  return { rows: out ?? rows, tagged: tagged ?? [] };
}

/** The tags untagRows took off, put back. */
export function retagRows(rows: readonly unknown[][], tagged: readonly number[]): void {
  for (let t = 0; t < tagged.length; t += 2) {
    const row = rows[tagged[t]];
    row[tagged[t + 1]] = new TaggedReal(row[tagged[t + 1]] as number);
  }
}

/** Bytes and rows held in memory now and at most (a spilled operator's own accounting). */
export class HeldMeter {
  bytes = 0;
  rows = 0;
  peakBytes = 0;
  peakRows = 0;

  add(bytes: number, rows: number): void {
    this.bytes += bytes;
    this.rows += rows;
    if (this.bytes > this.peakBytes) this.peakBytes = this.bytes;
    if (this.rows > this.peakRows) this.peakRows = this.rows;
  }
}

export interface ListOptions<T> {
  /** A block is written once its items' estimated bytes reach this. */
  readonly blockBytes: number;
  /** Decoded blocks kept for reads, at most (besides the unwritten last one). */
  readonly cacheBlocks: number;
  readonly meter: HeldMeter;
  /** Whether each item counts as a row held (else only its bytes count). */
  readonly rows: boolean;
  /** An item as stored: a row-shaped array (TaggedReal values inside are kept, see untagRows). */
  readonly toRow: (item: T) => Row;
  readonly fromRow: (row: Row) => T;
}

interface Block<T> {
  readonly items: T[];
  readonly bytes: number;
}

export class SpilledList<T> {
  /** Per written block: first item's index, frame position and length, estimated bytes. */
  private readonly starts: number[] = [];
  private readonly ats: number[] = [];
  private readonly lengths: number[] = [];
  private readonly blockBytes: number[] = [];
  private tail: T[] = [];
  private tailBytes = 0;
  private count = 0;
  /** Decoded blocks by number, least recently used first. */
  private readonly cache = new Map<number, Block<T>>();
  /** The block the last read found, checked first (reads mostly move through one block). */
  private current: T[] = [];
  private currentStart = 0;

  constructor(
    private readonly segment: TempSegment,
    private readonly opts: ListOptions<T>,
  ) {}

  get length(): number {
    return this.count;
  }

  push(item: T, bytes: number): void {
    this.tail.push(item);
    this.tailBytes += bytes;
    this.count++;
    this.opts.meter.add(bytes, this.opts.rows ? 1 : 0);
    if (this.tailBytes >= this.opts.blockBytes) this.flush();
  }

  /** Write the unwritten items as a block (a list read back keeps its last block in memory otherwise). */
  private flush(): void {
    if (this.tail.length === 0) return;
    const { rows, tagged } = untagRows(this.tail.map(this.opts.toRow));
    const { at, length } = this.segment.write([rows, tagged]);
    this.starts.push(this.count - this.tail.length);
    this.ats.push(at);
    this.lengths.push(length);
    this.blockBytes.push(this.tailBytes);
    this.opts.meter.add(-this.tailBytes, this.opts.rows ? -this.tail.length : 0);
    this.tail = [];
    this.tailBytes = 0;
    this.current = [];
  }

  at(j: number): T {
    const k = j - this.currentStart;
    if (k >= 0 && k < this.current.length) return this.current[k];
    const tailStart = this.count - this.tail.length;
    if (j >= tailStart) {
      if (j >= this.count) throw new InternalError(`spilled list read past its end (${j} of ${this.count})`);
      this.current = this.tail;
      this.currentStart = tailStart;
      return this.tail[j - tailStart];
    }
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= j) lo = mid;
      else hi = mid - 1;
    }
    const block = this.block(lo);
    this.current = block.items;
    this.currentStart = this.starts[lo];
    return block.items[j - this.currentStart];
  }

  private block(b: number): Block<T> {
    const hit = this.cache.get(b);
    if (hit) {
      this.cache.delete(b);
      this.cache.set(b, hit);
      return hit;
    }
    const [rows, tagged] = this.segment.read(this.ats[b], this.lengths[b]) as [unknown[][], number[]];
    retagRows(rows, tagged);
    const block: Block<T> = { items: rows.map(this.opts.fromRow), bytes: this.blockBytes[b] };
    this.cache.set(b, block);
    this.opts.meter.add(block.bytes, this.opts.rows ? block.items.length : 0);
    while (this.cache.size > this.opts.cacheBlocks) {
      const [oldest, old] = this.cache.entries().next().value as [number, Block<T>];
      this.cache.delete(oldest);
      this.opts.meter.add(-old.bytes, this.opts.rows ? -old.items.length : 0);
    }
    return block;
  }

  /** Forget every cached and unwritten item (the meter drops them); the list is unusable after. */
  release(): void {
    for (const block of this.cache.values())
      this.opts.meter.add(-block.bytes, this.opts.rows ? -block.items.length : 0);
    this.cache.clear();
    this.opts.meter.add(-this.tailBytes, this.opts.rows ? -this.tail.length : 0);
    this.tail = [];
    this.tailBytes = 0;
    this.current = [];
  }
}
