/**
 * The Window operator past its memory budget (the sort budget, ConnectOptions.sortBudgetBytes):
 * instead of holding every input row, each window specification is a streaming pass. The rows
 * are sorted by partition and ORDER BY keys (planner/sort.ts, which spills sorted runs), then
 * read partition by partition. A partition within the budget is computed in memory exactly as
 * the in-memory operator does; a larger one is written to a temp segment (planner/spill-segment.ts)
 * as it is read, with its peer groups' starts beside it, and every call reads back the rows its
 * frames need through a small cache of blocks: frame edges move forward row by row, so the blocks
 * around the current row, the frame's start and end stay cached. Each call's values go to a list
 * of their own, read back as the partition's rows leave with them. Rows leave partition by
 * partition in the order of the last specification's sort, as in memory.
 *
 * Memory held is then the sort's budget, one partition's worth of rows below the budget (or, for
 * a spilled partition, its cached blocks) and the block positions of the spilled lists.
 */
import type { ExecContext, Row } from './compile-expr';
import type { SortKey } from './logical';
import type { WindowPNode } from './physical';
import { rowBytes } from './row-bytes';
import { sortSource } from './sort';
import { rowsSource, source } from './source';
import type { Source } from './source';
import { HeldMeter, SpilledList, TempSegment } from './spill-segment';
import type { WindowSpec } from './window';
import type { PartitionRunner } from './window-calls';
import { callRunner } from './window-calls';
import { frameOffsets } from './window-frame';
import type { FrameOffsets, WindowPartition } from './window-frame';
import {
  compareKey,
  firstRowsPerPartition,
  keyEvals,
  partitionOf,
  specGroups,
  widenRow,
  windowRows,
  windowStats,
} from './window-exec';

/** Window operators past their budget and the work they did, since the process started (tests count it). */
export const windowSpillStats = {
  /** Window operators whose input exceeded the budget. */
  spills: 0,
  /** Partitions written to a temp segment, and their rows. */
  partitionsSpilled: 0,
  rowsSpilled: 0,
  /** The most rows and bytes (rowBytes) the operator held at once, over every spilled run. */
  peakRows: 0,
  peakBytes: 0,
};

/** Bytes one row costs the operator besides its values: its place in lists and its key values. */
export function rowOverhead(keys: number): number {
  return 48 + 8 * keys;
}

/**
 * A spilled partition's share of the budget: its rows in blocks of 1/16 of it, 8 of them cached
 * (the current row, the frame's start and end, lag/lead's row) besides the one being written;
 * group starts in blocks of 1/64, 4 cached; each call's values in blocks of 1/16 shared by the
 * calls, 2 cached. About 5/6 of the budget in all.
 */
const ROW_BLOCK_SHARE = 16;
const ROW_CACHE_BLOCKS = 8;

/**
 * The Window operator's rows: in memory (planner/window-exec.ts windowRows) while its input's
 * rows stay within `budget` bytes, streamed pass by pass past it. A top k per partition keeps k
 * rows a partition (planner/window-topk.ts) and always runs in memory.
 */
export function windowSource(node: WindowPNode, input: Source, ctx: ExecContext, budget: number): Source {
  if (node.keepPerPartition)
    return rowsSource(windowRows(node, firstRowsPerPartition(node, input, ctx), ctx));
  const keys = node.calls.reduce((n, c) => n + c.spec.partitionBy.length + c.spec.orderBy.length, 0);
  const overhead = rowOverhead(keys + node.calls.length);
  const head: Row[] = [];
  let bytes = 0;
  for (let row = input.next(); row !== null; row = input.next()) {
    head.push(row);
    bytes += overhead + rowBytes(row);
    if (bytes > budget) {
      const slots = new Array<unknown>(node.calls.length).fill(null);
      const widen = (r: Row): Row => {
        windowStats.rowsWindowed++;
        return widenRow(r, node.inputWidth, slots);
      };
      return spilledWindow(node, head, input, ctx, budget, widen);
    }
  }
  return rowsSource(windowRows(node, head, ctx));
}

/**
 * The rows of `head` and then `rest` (each `width` wide) widened by the calls' slots and windowed
 * pass by pass; `head` is emptied as it is read.
 */
export function spilledWindow(
  node: WindowPNode,
  head: Row[],
  rest: Source,
  ctx: ExecContext,
  budget: number,
  widen: (row: Row) => Row,
): Source {
  windowSpillStats.spills++;
  const meter = new HeldMeter();
  let i = 0;
  let rows: Source = source(() => {
    if (i < head.length) {
      const row = head[i];
      // Dropped as it goes: the sort below holds these rows now.
      head[i++] = [];
      return widen(row);
    }
    const row = rest.next();
    return row === null ? null : widen(row);
  });
  for (const { spec, calls } of specGroups(node).reverse())
    rows = specPass(node, spec, calls, rows, ctx, budget, meter);
  return rows;
}

/** One row read in window order, with its partition and ORDER BY key values. */
interface Keyed {
  /** The operator's own copy (widened from the input, or decoded from a spill): its slots are written. */
  row: unknown[];
  part: unknown[];
  order: unknown[];
}

function specPass(
  node: WindowPNode,
  spec: WindowSpec,
  calls: readonly number[],
  input: Source,
  ctx: ExecContext,
  budget: number,
  meter: HeldMeter,
): Source {
  const np = spec.partitionBy.length;
  const exprs = [...spec.partitionBy, ...spec.orderBy.map((o) => o.expr)];
  const evals = keyEvals(exprs, ctx);
  const keys: SortKey[] = [...spec.partitionBy.map((expr) => ({ expr, desc: false })), ...spec.orderBy];
  const slots = calls.map((ci) => node.inputWidth + ci);
  const inMemory = calls.map((ci) => callRunner(node.calls[ci], ctx));
  const spilled = calls.map((ci) => callRunner(node.calls[ci], ctx, () => ({ start: -1, end: -1 })));
  const overhead = rowOverhead(exprs.length);
  let sorted: Source | null = null;
  let off: FrameOffsets | null = null;
  let ahead: Keyed | null = null;
  let out: Source = source(() => null);

  const read = (): Keyed | null => {
    const row = (sorted ??= sortSource(input, evals, keys, budget)).next() as unknown[] | null;
    if (row === null) return null;
    const all = evals.map((f) => f(row));
    return { row, part: all.slice(0, np), order: all.slice(np) };
  };
  const samePartition = (a: Keyed, b: Keyed): boolean => {
    for (let j = 0; j < np; j++) if (compareKey(a.part[j], b.part[j]) !== 0) return false;
    return true;
  };

  /** The next partition's rows with their values, or null when the input is done. */
  const nextPartition = (): Source | null => {
    const first = ahead ?? read();
    if (first === null) return null;
    // SQLite checks the offsets when a row needs them: over no rows a bad offset is no error.
    off ??= frameOffsets(spec, ctx);
    const rows: unknown[][] = [];
    const orderCols: unknown[][] = spec.orderBy.map(() => []);
    let bytes = 0;
    let big: PartitionWriter | null = null;
    let k: Keyed | null = first;
    try {
      for (; k !== null && samePartition(first, k); k = read()) {
        if (big) {
          big.add(k);
          continue;
        }
        rows.push(k.row);
        k.order.forEach((v, j) => orderCols[j].push(v));
        const b = overhead + rowBytes(k.row);
        bytes += b;
        meter.add(b, 1);
        if (bytes > budget) {
          big = new PartitionWriter(budget, calls.length, meter);
          for (let j = 0; j < rows.length; j++) {
            // Each row leaves the buffer as the writer takes it: the two never hold it at once.
            meter.add(-(overhead + rowBytes(rows[j])), -1);
            big.add({ row: rows[j], part: first.part, order: orderCols.map((c) => c[j]) });
          }
          rows.length = 0;
        }
      }
    } catch (err) {
      // An interrupt or a failing input: the temp segment goes now, not when collected.
      big?.close();
      throw err;
    }
    ahead = k;
    if (big) return spilledPartition(big, spilled, slots, off, meter);
    const p = partitionOf(rows, 0, rows.length, orderCols);
    for (let r = 0; r < inMemory.length; r++) {
      const slot = slots[r];
      inMemory[r](p, off, (i, v) => (p.rows[i][slot] = v));
    }
    notePeak(meter);
    let i = 0;
    return source(() => {
      if (i < rows.length) return rows[i++];
      if (i++ === rows.length) meter.add(-bytes, -rows.length);
      return null;
    });
  };

  return source(() => {
    for (;;) {
      const row = out.next();
      if (row !== null) return row;
      const next = nextPartition();
      if (next === null) return null;
      out = next;
    }
  });
}

function notePeak(meter: HeldMeter): void {
  windowSpillStats.peakRows = Math.max(windowSpillStats.peakRows, meter.peakRows);
  windowSpillStats.peakBytes = Math.max(windowSpillStats.peakBytes, meter.peakBytes);
}

/** A partition written to a temp segment as it is read: rows with their first ORDER BY value and group. */
class PartitionWriter {
  readonly rows: SpilledList<Row>;
  readonly groupStarts: SpilledList<number>;
  private last: unknown[] | null = null;
  private width = 0;

  /** Closed when the partition's last row has left, on an error, or once this writer is collected. */
  readonly segment = new TempSegment(this);

  constructor(
    readonly budget: number,
    /** Calls whose values get a list each. */
    readonly calls: number,
    readonly meter: HeldMeter,
  ) {
    windowSpillStats.partitionsSpilled++;
    const segment = this.segment;
    this.rows = new SpilledList<Row>(segment, {
      blockBytes: Math.max(1, Math.floor(budget / ROW_BLOCK_SHARE)),
      cacheBlocks: ROW_CACHE_BLOCKS,
      meter,
      rows: true,
      toRow: (r) => r,
      fromRow: (r) => r,
    });
    this.groupStarts = new SpilledList<number>(segment, {
      blockBytes: Math.max(64, Math.floor(budget / 64)),
      cacheBlocks: 4,
      meter,
      rows: false,
      toRow: (n) => [n],
      fromRow: (r) => r[0] as number,
    });
  }

  /** Row k, stored as [...row, first ORDER BY value, group]. */
  add(k: Keyed): void {
    const j = this.rows.length;
    this.width = k.row.length;
    if (this.last === null || !peers(this.last, k.order)) this.groupStarts.push(j, 16);
    this.last = k.order;
    // BOOLEAN columns hold true/false: SQLite's RANGE arithmetic sees the integers 1 and 0.
    const v = k.order.length > 0 ? k.order[0] : null;
    const first = typeof v === 'boolean' ? Number(v) : v;
    const record = k.row.concat([first, this.groupStarts.length - 1]);
    this.rows.push(record, rowBytes(record));
    windowSpillStats.rowsSpilled++;
  }

  /** Drop what the lists hold in memory and remove the segment. */
  close(): void {
    this.rows.release();
    this.groupStarts.release();
    this.segment.close();
  }

  finish(): SpilledPartition {
    return new SpilledPartition(this.rows, this.groupStarts, this.width);
  }
}

function peers(a: readonly unknown[], b: readonly unknown[]): boolean {
  for (let j = 0; j < a.length; j++) if (compareKey(a[j], b[j]) !== 0) return false;
  return true;
}

class SpilledPartition implements WindowPartition {
  constructor(
    private readonly records: SpilledList<Row>,
    private readonly starts: SpilledList<number>,
    /** Stored rows carry two more values past this: first ORDER BY value and group. */
    readonly width: number,
  ) {}

  get size(): number {
    return this.records.length;
  }

  get groups(): number {
    return this.starts.length;
  }

  row(j: number): Row {
    return this.records.at(j);
  }

  first(j: number): unknown {
    return this.records.at(j)[this.width];
  }

  groupOf(j: number): number {
    return this.records.at(j)[this.width + 1] as number;
  }

  groupStart(g: number): number {
    return g >= this.starts.length ? this.records.length : this.starts.at(g);
  }
}

/**
 * Each call's values over the spilled partition into a list of its own (in the order the call
 * hands them out: forwards, or backwards for frames walked from the end), then the rows in
 * order with their values; the segment is closed once the last row has left or on an error.
 */
function spilledPartition(
  writer: PartitionWriter,
  runners: readonly PartitionRunner[],
  slots: readonly number[],
  off: FrameOffsets,
  meter: HeldMeter,
): Source {
  const { segment } = writer;
  const p = writer.finish();
  const n = p.size;
  const lists: { values: SpilledList<unknown>; backwards: boolean }[] = [];
  try {
    for (const run of runners) {
      const values = new SpilledList<unknown>(segment, {
        blockBytes: Math.max(64, Math.floor(writer.budget / (16 * writer.calls))),
        cacheBlocks: 2,
        meter,
        rows: false,
        toRow: (v) => [v],
        fromRow: (r) => r[0],
      });
      let backwards = false;
      run(p, off, (i, v) => {
        if (values.length === 0) backwards = n > 1 && i === n - 1;
        values.push(v, 16);
      });
      lists.push({ values, backwards });
    }
  } catch (err) {
    for (const l of lists) l.values.release();
    writer.close();
    throw err;
  }
  writer.groupStarts.release();
  let i = 0;
  return source(() => {
    if (i >= n) return null;
    const row = p.row(i).slice(0, p.width);
    for (let c = 0; c < lists.length; c++) {
      const { values, backwards } = lists[c];
      row[slots[c]] = values.at(backwards ? n - 1 - i : i);
    }
    // Closed with the last row, not at the next pull: a LIMIT that ends here pulls no more.
    if (++i === n) {
      notePeak(meter);
      for (const l of lists) l.values.release();
      writer.close();
    }
    return row;
  });
}
