/**
 * HashJoin over a build (right) side larger than its memory budget: a Grace hash join. Once the
 * right rows read so far exceed the budget, every right row, then every left row, is written to
 * one of PARTITIONS temp files chosen by a hash of its join key (a NULL key: partition 0, where
 * it matches nothing, as in memory). Rows with equal keys share a partition, so joining the
 * partitions one by one — each right partition hashed in memory, its left partition streamed
 * past it — gives every match, and each outer join's NULL-extended rows, exactly once. Rows then
 * come out partition by partition rather than in left-input order (the planner never relies on
 * a join's output order: ORDER BY always sorts above a join). A partition whose build rows alone
 * exceed the budget is partitioned again, with another hash, up to MAX_LEVELS deep; one that
 * still does (rows sharing one key, which no hash can split) is joined in memory.
 *
 * Each partitioning pass writes its rows to one temp segment (planner/spill-segment.ts: checksummed
 * frames of up to ROWS_PER_FRAME rows, each frame listed under its partition), removed when the
 * join finishes or fails (an interrupt is a failure thrown from a pull), when a join abandoned
 * mid-way is garbage collected, and at process exit.
 */
import { InternalError } from '../src/errors';
import type { Evaluator, Row } from './compile-expr';
import type { HashJoinNode } from './physical';
import type { Source } from './execute';
import { source } from './source';
import { rowBytes } from './row-bytes';
import { retagRows, TempSegment, untagRows } from './spill-segment';

/** Bytes of build-side rows a HashJoin keeps in memory before partitioning to temp files. */
export const DEFAULT_HASH_JOIN_BUDGET_BYTES = 64 * 1024 * 1024;
const PARTITIONS = 64;
/** Partitioning passes at most: 64^3 partitions split any realistic key spread. */
const MAX_LEVELS = 3;
const ROWS_PER_FRAME = 256;

let budgetBytes = DEFAULT_HASH_JOIN_BUDGET_BYTES;

/** Tests only: lower the HashJoin memory budget (null restores the default). */
export function setHashJoinBudgetForTests(bytes: number | null): void {
  budgetBytes = bytes ?? DEFAULT_HASH_JOIN_BUDGET_BYTES;
}

export function hashJoinBudget(): number {
  return budgetBytes;
}

/** Temp segments (one directory each) the joins opened and removed. */
const segments = { created: 0, removed: 0 };

/** Spill statistics (tests check that a spill really happened and left nothing behind). */
export const hashSpillStats = {
  joinsSpilled: 0,
  get dirsCreated(): number {
    return segments.created;
  },
  get dirsRemoved(): number {
    return segments.removed;
  },
  /** Partitions partitioned again because their build rows exceeded the budget. */
  repartitioned: 0,
  /** The most build-row bytes (rowBytes) one spilled partition held in memory. */
  largestPartitionBytes: 0,
};

/** A frame of rows as written: the rows, their tagged REALs taken off and listed (untagRows). */
function frameOf(rows: readonly Row[]): unknown {
  const { rows: plain, tagged } = untagRows(rows);
  return [plain, tagged];
}

/** Partitions of rows in one temp segment, each partition's frames read back once, in order. */
class PartitionFiles {
  private readonly segment: TempSegment;
  private readonly pending: Row[][];
  /** Each partition's frames: position and length, in the order written. */
  private readonly frames: { at: number; length: number }[][];

  constructor(count: number, owner: object) {
    this.segment = new TempSegment(owner, 'modelvault-hash-', segments);
    this.pending = Array.from({ length: count }, () => []);
    this.frames = Array.from({ length: count }, () => []);
  }

  add(p: number, row: Row): void {
    const rows = this.pending[p];
    rows.push(row);
    if (rows.length >= ROWS_PER_FRAME) this.flush(p);
  }

  /** Write every partition's unwritten rows, with one write. */
  flushAll(): void {
    const parts: number[] = [];
    const blocks: unknown[] = [];
    for (let p = 0; p < this.pending.length; p++)
      if (this.pending[p].length > 0) {
        parts.push(p);
        blocks.push(frameOf(this.pending[p]));
        this.pending[p] = [];
      }
    if (blocks.length === 0) return;
    const where = this.segment.writeAll(blocks);
    for (let i = 0; i < parts.length; i++) this.frames[parts[i]].push(where[i]);
  }

  private flush(p: number): void {
    this.frames[p].push(this.segment.write(frameOf(this.pending[p])));
    this.pending[p] = [];
  }

  /** The rows of partition `p`, in the order they were added (after flushAll). */
  reader(p: number): Source {
    const frames = this.frames[p];
    let f = 0;
    let batch: Row[] = [];
    let i = 0;
    return source(() => {
      while (i >= batch.length) {
        if (f >= frames.length) return null;
        const { at, length } = frames[f++];
        const frame = this.segment.read(at, length);
        if (!Array.isArray(frame) || frame.length !== 2 || !Array.isArray(frame[0]))
          throw new InternalError('hash join spill segment is damaged');
        const [rows, tagged] = frame as [unknown[][], number[]];
        retagRows(rows, tagged);
        batch = rows;
        i = 0;
      }
      return batch[i++];
    });
  }

  dispose(): void {
    this.segment.close();
  }
}

/**
 * FNV-1a over the key's characters, seeded by the partitioning level so that a partition split
 * again spreads over all the new ones: a partition number independent of the in-memory table.
 */
function partitionOf(key: string | null, level: number): number {
  if (key === null) return 0;
  let h = (0x811c9dc5 ^ Math.imul(level, 0x9e3779b9)) >>> 0;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  h ^= h >>> 15;
  return (h >>> 0) % PARTITIONS;
}

/** The in-memory join of one left source against rows hashed on their keys (join-exec.ts). */
export type JoinRows = (
  node: HashJoinNode,
  left: Source,
  right: readonly Row[],
  candidates: (l: Row) => readonly number[] | undefined,
  pred: ((row: Row) => boolean) | null,
) => Generator<Row, void, void>;

export interface GraceInput {
  readonly node: HashJoinNode;
  readonly left: Source;
  /** Right rows already read (emptied here), then the rest of the right input. */
  readonly head: Row[];
  readonly rest: Source;
  readonly keyOf: (evals: readonly Evaluator[], row: Row) => string | null;
  readonly leftKeys: readonly Evaluator[];
  readonly rightKeys: readonly Evaluator[];
  readonly pred: ((row: Row) => boolean) | null;
  /** The object whose collection means the join was abandoned (the operator's source). */
  readonly owner: object;
  /** Bytes (rowBytes) of build rows one partition may hold in memory. */
  readonly budget: number;
}

export function* graceHashJoin(g: GraceInput, joinRows: JoinRows): Generator<Row, void, void> {
  hashSpillStats.joinsSpilled++;
  yield* partitioned(g, concatSources(listSource(g.head.splice(0)), g.rest), g.left, 0, joinRows);
}

/** Partition `right` and `left` at `level`, then join each partition (partitioned again if too big). */
function* partitioned(
  g: GraceInput,
  right: Source,
  left: Source,
  level: number,
  joinRows: JoinRows,
): Generator<Row, void, void> {
  const files = new PartitionFiles(2 * PARTITIONS, g.owner);
  try {
    for (let r = right.next(); r !== null; r = right.next())
      files.add(PARTITIONS + partitionOf(g.keyOf(g.rightKeys, r), level), r);
    for (let l = left.next(); l !== null; l = left.next())
      files.add(partitionOf(g.keyOf(g.leftKeys, l), level), l);
    files.flushAll();
    for (let p = 0; p < PARTITIONS; p++) {
      const rows: Row[] = [];
      const rs = files.reader(PARTITIONS + p);
      let bytes = 0;
      let over = false;
      for (let r = rs.next(); r !== null; r = rs.next()) {
        rows.push(r);
        bytes += rowBytes(r);
        if (bytes > g.budget && level + 1 < MAX_LEVELS) {
          over = true;
          break;
        }
      }
      if (over) {
        hashSpillStats.repartitioned++;
        yield* partitioned(g, concatSources(listSource(rows), rs), files.reader(p), level + 1, joinRows);
        continue;
      }
      hashSpillStats.largestPartitionBytes = Math.max(hashSpillStats.largestPartitionBytes, bytes);
      const table = new Map<string, number[]>();
      rows.forEach((r, i) => {
        const k = g.keyOf(g.rightKeys, r);
        if (k === null) return;
        const list = table.get(k);
        if (list) list.push(i);
        else table.set(k, [i]);
      });
      const hits = (l: Row): number[] | undefined => {
        const k = g.keyOf(g.leftKeys, l);
        return k === null ? undefined : table.get(k);
      };
      yield* joinRows(g.node, files.reader(p), rows, hits, g.pred);
    }
  } finally {
    files.dispose();
  }
}

function listSource(rows: Row[]): Source {
  let i = 0;
  return source(() => (i < rows.length ? rows[i++] : null));
}

function concatSources(a: Source, b: Source): Source {
  let first = true;
  return source(() => {
    if (first) {
      const row = a.next();
      if (row !== null) return row;
      first = false;
    }
    return b.next();
  });
}
