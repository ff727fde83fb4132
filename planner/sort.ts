/**
 * External merge sort. Rows up to `budgetBytes` (their estimated heap size, planner/row-bytes.ts)
 * are sorted in memory; past that, each full chunk is sorted and written as a run of SCRATCH
 * frames to a temp segment outside the database (planner/spill-segment.ts: nothing of a spill is
 * ever replayed or left behind), and the runs are merged with a heap. The segment is removed
 * when the merge finishes or fails, when a merge left unfinished is collected, and at exit.
 */
import { compareValues } from '../storage/compare';
import { textOrder } from '../storage/sort-keys';
import type { Evaluator, Row } from './compile-expr';
import type { SortKey } from './logical';
import { compareUnderKey } from './logical';
import { Heap } from './heap';
import { rowBytes } from './row-bytes';
import { source } from './source';
import { retagRows, TempSegment, untagRows } from './spill-segment';

export interface RowSource {
  next(): Row | null;
}

export interface Keyed {
  k: unknown[];
  row: Row;
}

/** Spill statistics of the most recent sorts (tests check that a spill really happened). */
export const spillStats = { runsWritten: 0, filesCreated: 0, filesRemoved: 0 };

/** Keyed pairs in `keys`' order (only their directions and NULLS placement matter here). */
export function compareKeyed(
  keys: readonly Pick<SortKey, 'desc' | 'nulls'>[],
): (a: Keyed, b: Keyed) => number {
  return (a, b) => {
    for (let i = 0; i < keys.length; i++) {
      const c = compareSortValues(keys[i], a.k[i], b.k[i]);
      if (c !== 0) return c;
    }
    return 0;
  };
}

/** Two values of one sort key, in the key's order (direction and NULLS placement). */
export function compareSortValues(k: Pick<SortKey, 'desc' | 'nulls'>, x: unknown, y: unknown): number {
  if (x === y) return 0;
  // Two numbers (the common key) compare directly; compareValues orders every other pair.
  const c =
    typeof x === 'number' && typeof y === 'number' && !k.nulls
      ? x < y
        ? -1
        : 1
      : k.nulls
        ? compareUnderKey(k, x, y, compareValues)
        : compareValues(x, y);
  return k.nulls || !k.desc ? c : -c;
}

/** Rows read but not yet sorted, with their key values column by column. */
class Chunk {
  rows: Row[] = [];
  cols: unknown[][];
  /** Every key value so far is a number (no NULL): the chunk can sort by typed arrays. */
  numeric = true;
  /** Every value of the first key so far is a string: the chunk can sort by textOrder. */
  text = true;
  bytes = 0;
  constructor(
    readonly width: number,
    private readonly keys: readonly SortKey[],
  ) {
    this.cols = Array.from({ length: width }, () => []);
  }

  /** Positions of the rows in sort order (stable), for a spill run or the merge's tail. */
  order(cmp: (a: Keyed, b: Keyed) => number): Uint32Array {
    const text = this.textOrder();
    if (text !== null) return text;
    const n = this.rows.length;
    if (this.numeric && this.width > 0) return numericOrder(this, this.keys);
    const pairs = this.rows.map((row, i) => ({ k: this.cols.map((c) => c[i]), row, i }));
    pairs.sort(cmp);
    const out = new Uint32Array(n);
    for (let i = 0; i < n; i++) out[i] = pairs[i].i;
    return out;
  }

  /** The rows in order (stable), when nothing is spilled. */
  sorted(cmp: (a: Keyed, b: Keyed) => number): Row[] {
    const order = this.order(cmp);
    const out = new Array<Row>(order.length);
    for (let i = 0; i < order.length; i++) out[i] = this.rows[order[i]];
    return out;
  }

  /**
   * Positions in sort order when the first key is text throughout (storage/sort-keys.ts: a
   * packed typed-array sort instead of ~n log n string comparisons), later keys ordering the rows
   * it ties; null otherwise.
   */
  private textOrder(): Uint32Array | null {
    if (!this.text || this.width === 0 || this.rows.length < 2) return null;
    const first = this.cols[0] as string[];
    const order = textOrder(first, this.keys[0].desc);
    if (this.width === 1) return order;
    // Rows with equal first keys sit together, in arrival order: order them by the other keys.
    const rest = compareKeyed(this.keys.slice(1));
    let from = 0;
    for (let i = 1; i <= order.length; i++) {
      if (i < order.length && first[order[i]] === first[order[from]]) continue;
      if (i - from > 1) {
        const run = Array.from(order.subarray(from, i), (at) => ({
          k: this.cols.slice(1).map((c) => c[at]),
          row: this.rows[at],
          at,
        }));
        // Array.prototype.sort is stable: ties keep arrival order.
        run.sort(rest);
        for (let j = 0; j < run.length; j++) order[from + j] = run[j].at;
      }
      from = i;
    }
    return order;
  }
}

/**
 * Positions of rows whose keys are all numbers, sorted by index over one Float64Array per key
 * (negated for DESC), ties by position: about half the time of comparing {k, row} pairs, and no
 * pair objects.
 */
function numericOrder(chunk: Chunk, keys: readonly SortKey[]): Uint32Array {
  const n = chunk.rows.length;
  const cols = chunk.cols.map((c, j) => {
    const f = new Float64Array(n);
    const sign = keys[j].desc ? -1 : 1;
    for (let i = 0; i < n; i++) f[i] = sign * (c[i] as number);
    return f;
  });
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => {
    for (let j = 0; j < cols.length; j++) {
      const x = cols[j][a];
      const y = cols[j][b];
      if (x !== y) return x < y ? -1 : 1;
    }
    return a - b;
  });
  return order;
}

/** Sort all rows of `input`; returns a source over them in order. */
export function sortSource(
  input: RowSource,
  evals: Evaluator[],
  keys: readonly SortKey[],
  budgetBytes: number,
): RowSource {
  const cmp = compareKeyed(keys);
  const width = evals.length;
  let chunk = new Chunk(width, keys);
  // Each entry: the row, its place in the list and its key values (a {k, row} pair once spilled).
  const entryBytes = 48 + 8 * width;
  let spill: SpillFile | null = null;
  try {
    for (let row = input.next(); row !== null; row = input.next()) {
      chunk.rows.push(row);
      for (let j = 0; j < width; j++) {
        const v = evals[j](row);
        chunk.cols[j].push(v);
        if (typeof v !== 'number') chunk.numeric = false;
        if (j === 0 && typeof v !== 'string') chunk.text = false;
      }
      chunk.bytes += entryBytes + rowBytes(row);
      if (chunk.bytes > budgetBytes) {
        spill ??= new SpillFile(keys);
        spill.writeRun(chunk, chunk.order(cmp));
        chunk = new Chunk(width, keys);
      }
    }
  } catch (err) {
    spill?.dispose();
    throw err;
  }
  if (!spill) {
    // Stable: ties keep input order (Array.prototype.sort, sortNumeric's and textOrder's index
    // tie-breaks).
    const rows = chunk.sorted(cmp);
    let i = 0;
    return source(() => (i < rows.length ? rows[i++] : null));
  }
  return spill.merge(chunk, chunk.order(cmp));
}

/** Convenience for callers holding an array. */
export function sortRows(
  rows: Row[],
  evals: Evaluator[],
  keys: readonly SortKey[],
  budgetBytes: number,
): Row[] {
  let i = 0;
  const src = sortSource(
    source(() => (i < rows.length ? rows[i++] : null)),
    evals,
    keys,
    budgetBytes,
  );
  const out: Row[] = [];
  for (let r = src.next(); r !== null; r = src.next()) out.push(r);
  return out;
}

const ROWS_PER_FRAME = 256;

/**
 * Where a merge input stands: its current frame's key columns and rows, and the position in it.
 * The merge compares these in place; no object per row.
 */
interface RunCursor {
  cols: unknown[][];
  rows: Row[];
  at: number;
  /** Which input (earlier runs win ties, so the merge is stable as the in-memory sort is). */
  readonly src: number;
  /** Load the next frame into `cols`/`rows` (at = 0); false when the input is done. */
  readonly refill: () => boolean;
}

class SpillFile {
  private readonly segment: TempSegment;
  /** Per run, where each of its frames is. */
  private readonly runs: { at: number; length: number }[][] = [];
  private disposed = false;

  constructor(private readonly keys: readonly SortKey[]) {
    // Owned by itself: a merge abandoned mid-way (a LIMIT, a cursor not read to the end) is
    // collected with this file, and the segment's directory goes then.
    this.segment = new TempSegment(this, 'modelvault-sort-');
    spillStats.filesCreated++;
  }

  /** Write `chunk`'s rows in `order` as one run: frames of key columns, rows and their tags. */
  writeRun(chunk: Chunk, order: Uint32Array): void {
    const frames: unknown[] = [];
    for (let i = 0; i < order.length; i += ROWS_PER_FRAME) {
      const end = Math.min(order.length, i + ROWS_PER_FRAME);
      const batch: Row[] = [];
      for (let j = i; j < end; j++) batch.push(chunk.rows[order[j]]);
      const cols = chunk.cols.map((c) => {
        const out: unknown[] = [];
        for (let j = i; j < end; j++) out.push(c[order[j]]);
        return out;
      });
      // A window's slots may hold TaggedReals, which the codec would write as plain maps.
      const { rows, tagged } = untagRows(batch);
      frames.push([cols, rows, tagged]);
    }
    this.runs.push(this.segment.writeAll(frames));
    spillStats.runsWritten++;
  }

  /** k-way merge of the runs and the in-memory tail; stable: earlier runs win ties. */
  merge(tail: Chunk, tailOrder: Uint32Array): RowSource {
    const inputs: RunCursor[] = [];
    const keys = this.keys;
    const less = (a: RunCursor, b: RunCursor): boolean => {
      for (let j = 0; j < keys.length; j++) {
        const c = compareSortValues(keys[j], a.cols[j][a.at], b.cols[j][b.at]);
        if (c !== 0) return c < 0;
      }
      return a.src < b.src;
    };
    const heap = new Heap<RunCursor>(less);
    try {
      this.runs.forEach((frames, src) => {
        const input = this.runCursor(frames, src);
        if (input.refill()) heap.push(input);
        inputs.push(input);
      });
      // The tail, sorted in memory: its columns and rows put in order once.
      const n = tailOrder.length;
      if (n > 0) {
        const rows = new Array<Row>(n);
        for (let i = 0; i < n; i++) rows[i] = tail.rows[tailOrder[i]];
        const cols = tail.cols.map((c) => {
          const out = new Array<unknown>(n);
          for (let i = 0; i < n; i++) out[i] = c[tailOrder[i]];
          return out;
        });
        let loaded = false;
        const input: RunCursor = {
          cols,
          rows,
          at: 0,
          src: this.runs.length,
          refill: () => (loaded ? false : (loaded = true)),
        };
        input.refill();
        heap.push(input);
      }
    } catch (err) {
      this.dispose();
      throw err;
    }
    let done = false;
    return {
      next: () => {
        if (done) return null;
        const top = heap.pop();
        if (!top) {
          done = true;
          this.dispose();
          return null;
        }
        const row = top.rows[top.at++];
        if (top.at < top.rows.length || top.refill()) heap.push(top);
        return row;
      },
    };
  }

  private runCursor(frames: readonly { at: number; length: number }[], src: number): RunCursor {
    let f = 0;
    const input: RunCursor = {
      cols: [],
      rows: [],
      at: 0,
      src,
      refill: () => {
        if (f >= frames.length) return false;
        const [cols, rows, tagged] = this.segment.read(frames[f].at, frames[f].length) as [
          unknown[][],
          unknown[][],
          number[],
        ];
        f++;
        retagRows(rows, tagged);
        input.cols = cols;
        input.rows = rows;
        input.at = 0;
        return rows.length > 0 || input.refill();
      },
    };
    return input;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.segment.close();
    spillStats.filesRemoved++;
  }
}
