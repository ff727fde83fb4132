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
 * The temp directory is removed when the join finishes or fails (an interrupt is a failure
 * thrown from a pull), when a join abandoned mid-way is garbage collected, and at process exit.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { encodePayload, decodePayload } from '../storage/codec';
import { InternalError } from '../src/errors';
import type { Evaluator, Row } from './compile-expr';
import type { HashJoinNode } from './physical';
import type { Source } from './execute';
import { source } from './source';
import { rowBytes } from './row-bytes';

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

/** Spill statistics (tests check that a spill really happened and left nothing behind). */
export const hashSpillStats = {
  joinsSpilled: 0,
  dirsCreated: 0,
  dirsRemoved: 0,
  /** Partitions partitioned again because their build rows exceeded the budget. */
  repartitioned: 0,
  /** The most build-row bytes (rowBytes) one spilled partition held in memory. */
  largestPartitionBytes: 0,
};

/** Directories of spills still open: removed at exit whatever happened to their joins. */
const live = new Set<string>();
let exitHook = false;

function removeDir(dir: string): void {
  if (!live.delete(dir)) return;
  fs.rmSync(dir, { recursive: true, force: true });
  hashSpillStats.dirsRemoved++;
}

/** What an abandoned join's files need to be closed and removed (never the join itself). */
class SpillState {
  readonly fds: number[] = [];
  constructor(readonly dir: string) {}

  close(): void {
    for (const fd of this.fds.splice(0))
      try {
        fs.closeSync(fd);
      } catch {
        // already closed
      }
    removeDir(this.dir);
  }
}

const abandoned = new FinalizationRegistry<SpillState>((s) => s.close());

/** `count` append-only files of row frames (`u32 length, payload`), each read back once. */
class PartitionFiles {
  private readonly state: SpillState;
  private readonly sizes: number[];
  private readonly pending: Row[][];
  /** Each partition's file (-1 until its first rows are written: most partitions of a small split get none). */
  private readonly fdOf: number[];

  constructor(count: number, owner: object) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modelvault-hash-'));
    live.add(dir);
    hashSpillStats.dirsCreated++;
    if (!exitHook) {
      exitHook = true;
      process.once('exit', () => [...live].forEach(removeDir));
    }
    this.state = new SpillState(dir);
    abandoned.register(owner, this.state, this.state);
    this.sizes = new Array<number>(count).fill(0);
    this.pending = Array.from({ length: count }, () => []);
    this.fdOf = new Array<number>(count).fill(-1);
  }

  private fd(p: number): number {
    if (this.fdOf[p] < 0) {
      this.fdOf[p] = fs.openSync(path.join(this.state.dir, `p${p}`), 'w+');
      this.state.fds.push(this.fdOf[p]);
    }
    return this.fdOf[p];
  }

  add(p: number, row: Row): void {
    const rows = this.pending[p];
    rows.push(row);
    if (rows.length >= ROWS_PER_FRAME) this.flush(p);
  }

  flushAll(): void {
    for (let p = 0; p < this.pending.length; p++) this.flush(p);
  }

  private flush(p: number): void {
    const rows = this.pending[p];
    if (rows.length === 0) return;
    const payload = encodePayload(rows);
    const head = Buffer.alloc(4);
    head.writeUInt32LE(payload.length, 0);
    const fd = this.fd(p);
    fs.writeSync(fd, head, 0, 4, this.sizes[p]);
    fs.writeSync(fd, payload, 0, payload.length, this.sizes[p] + 4);
    this.sizes[p] += 4 + payload.length;
    this.pending[p] = [];
  }

  /** The rows of partition `p`, in the order they were added. */
  reader(p: number): Source {
    const fd = this.fdOf[p];
    const end = this.sizes[p];
    let pos = 0;
    let batch: Row[] = [];
    let i = 0;
    return source(() => {
      while (i >= batch.length) {
        if (pos >= end) return null;
        const head = Buffer.alloc(4);
        fs.readSync(fd, head, 0, 4, pos);
        const length = head.readUInt32LE(0);
        if (pos + 4 + length > end) throw new InternalError('hash join spill file is damaged');
        const payload = Buffer.alloc(length);
        fs.readSync(fd, payload, 0, length, pos + 4);
        batch = decodePayload(payload) as Row[];
        i = 0;
        pos += 4 + length;
      }
      return batch[i++];
    });
  }

  dispose(): void {
    abandoned.unregister(this.state);
    this.state.close();
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
