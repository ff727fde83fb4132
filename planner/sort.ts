/**
 * External merge sort. Up to `budgetRows` rows are sorted in memory; past that, each full chunk
 * is sorted and written as a run of SCRATCH frames to a temp file outside the database (so
 * nothing of a spill is ever replayed or left behind), and the runs are merged with a heap.
 * The temp file is deleted when the merge finishes or fails.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { compareValues } from '../storage/compare';
import { encodePayload, decodePayload } from '../storage/codec';
import { GrowableBuffer } from '../storage/growable-buffer';
import { writeFrame, parseFrameHeader } from '../storage/frame';
import { FRAME_HEADER_SIZE, FrameKind } from '../storage/format';
import type { Evaluator, Row } from './compile-expr';
import type { SortKey } from './logical';
import { compareUnderKey } from './logical';
import { InternalError } from '../src/errors';
import { Heap } from './heap';
import { source } from './source';

export interface RowSource {
  next(): Row | null;
}

interface Keyed {
  k: unknown[];
  row: Row;
}

/** Spill statistics of the most recent sorts (tests check that a spill really happened). */
export const spillStats = { runsWritten: 0, filesCreated: 0, filesRemoved: 0 };

function compareKeyed(keys: readonly SortKey[]): (a: Keyed, b: Keyed) => number {
  return (a, b) => {
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i];
      const c = k.nulls ? compareUnderKey(k, a.k[i], b.k[i], compareValues) : compareValues(a.k[i], b.k[i]);
      if (c !== 0) return k.nulls || !k.desc ? c : -c;
    }
    return 0;
  };
}

/** Sort all rows of `input`; returns a source over them in order. */
export function sortSource(
  input: RowSource,
  evals: Evaluator[],
  keys: readonly SortKey[],
  budgetRows: number,
): RowSource {
  const cmp = compareKeyed(keys);
  let chunk: Keyed[] = [];
  let spill: SpillFile | null = null;
  try {
    for (let row = input.next(); row !== null; row = input.next()) {
      chunk.push({ k: evals.map((f) => f(row)), row });
      if (chunk.length >= budgetRows) {
        chunk.sort(cmp);
        spill ??= new SpillFile();
        spill.writeRun(chunk);
        chunk = [];
      }
    }
  } catch (err) {
    spill?.dispose();
    throw err;
  }
  chunk.sort(cmp); // Array.prototype.sort is stable: ties keep input order
  if (!spill) {
    let i = 0;
    return source(() => (i < chunk.length ? chunk[i++].row : null));
  }
  return spill.merge(chunk, cmp);
}

/** Convenience for callers holding an array. */
export function sortRows(
  rows: Row[],
  evals: Evaluator[],
  keys: readonly SortKey[],
  budgetRows: number,
): Row[] {
  let i = 0;
  const src = sortSource(
    source(() => (i < rows.length ? rows[i++] : null)),
    evals,
    keys,
    budgetRows,
  );
  const out: Row[] = [];
  for (let r = src.next(); r !== null; r = src.next()) out.push(r);
  return out;
}

const ROWS_PER_FRAME = 256;

class SpillFile {
  private readonly file: string;
  private readonly fd: number;
  private size = 0;
  private readonly runs: { start: number; end: number }[] = [];

  constructor() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modelvault-sort-'));
    this.file = path.join(dir, 'spill.tmp');
    this.fd = fs.openSync(this.file, 'w+');
    spillStats.filesCreated++;
  }

  writeRun(sorted: Keyed[]): void {
    const out = new GrowableBuffer(1 << 20);
    for (let i = 0; i < sorted.length; i += ROWS_PER_FRAME) {
      const batch = sorted.slice(i, i + ROWS_PER_FRAME).map((x) => [x.k, x.row]);
      writeFrame(out, FrameKind.SCRATCH, 0, encodePayload(batch));
    }
    const bytes = out.view();
    fs.writeSync(this.fd, bytes, 0, bytes.length, this.size);
    this.runs.push({ start: this.size, end: this.size + bytes.length });
    this.size += bytes.length;
    spillStats.runsWritten++;
  }

  /** k-way merge of the runs and the in-memory tail; stable: earlier runs win ties. */
  merge(tail: Keyed[], cmp: (a: Keyed, b: Keyed) => number): RowSource {
    const readers: (() => Keyed | null)[] = this.runs.map((r) => this.runReader(r.start, r.end));
    let t = 0;
    readers.push(() => (t < tail.length ? tail[t++] : null));
    interface Head {
      item: Keyed;
      src: number;
    }
    // Ties go to the earlier run, so the merge is stable as the in-memory sort is.
    const heap = new Heap<Head>((a, b) => {
      const c = cmp(a.item, b.item);
      return c < 0 || (c === 0 && a.src < b.src);
    });
    const push = (h: Head): void => heap.push(h);
    const pop = (): Head | undefined => heap.pop();
    try {
      readers.forEach((read, src) => {
        const item = read();
        if (item) push({ item, src });
      });
    } catch (err) {
      this.dispose();
      throw err;
    }
    let done = false;
    return {
      next: () => {
        if (done) return null;
        const h = pop();
        if (!h) {
          done = true;
          this.dispose();
          return null;
        }
        const following = readers[h.src]();
        if (following) push({ item: following, src: h.src });
        return h.item.row;
      },
    };
  }

  private runReader(start: number, end: number): () => Keyed | null {
    let pos = start;
    let batch: [unknown[], Row][] = [];
    let i = 0;
    return () => {
      if (i >= batch.length) {
        if (pos >= end) return null;
        const head = Buffer.alloc(FRAME_HEADER_SIZE);
        fs.readSync(this.fd, head, 0, FRAME_HEADER_SIZE, pos);
        const h = parseFrameHeader(head, 0, end - pos);
        if (!h) throw new InternalError('sort spill file is damaged');
        const payload = Buffer.alloc(h.length);
        fs.readSync(this.fd, payload, 0, h.length, pos + FRAME_HEADER_SIZE);
        batch = decodePayload(payload) as [unknown[], Row][];
        i = 0;
        pos += FRAME_HEADER_SIZE + h.length;
      }
      const [k, row] = batch[i++];
      return { k, row };
    };
  }

  dispose(): void {
    try {
      fs.closeSync(this.fd);
    } catch {
      // already closed
    }
    fs.rmSync(path.dirname(this.file), { recursive: true, force: true });
    spillStats.filesRemoved++;
  }
}
