/**
 * HashJoin over a build (right) side larger than its memory budget: a Grace hash join. Once the
 * right rows read so far exceed the budget, every right row, then every left row, is written to
 * one of PARTITIONS temp files chosen by a hash of its join key (a NULL key: partition 0, where
 * it matches nothing, as in memory). Rows with equal keys share a partition, so joining the
 * partitions one by one — each right partition hashed in memory, its left partition streamed
 * past it — gives every match, and each outer join's NULL-extended rows, exactly once. Rows then
 * come out partition by partition rather than in left-input order (the planner never relies on
 * a join's output order: ORDER BY always sorts above a join). A partition that alone exceeds the
 * budget (heavily repeated keys) is still joined in memory.
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

/** Bytes of build-side rows a HashJoin keeps in memory before partitioning to temp files. */
export const DEFAULT_HASH_JOIN_BUDGET_BYTES = 64 * 1024 * 1024;
const PARTITIONS = 64;
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
export const hashSpillStats = { joinsSpilled: 0, dirsCreated: 0, dirsRemoved: 0 };

/** An estimate of a row's heap size: enough to tell a budget from ten times it. */
export function rowBytes(row: Row): number {
  let n = 32 + 8 * row.length;
  for (const v of row) {
    if (typeof v === 'string') n += 16 + 2 * v.length;
    else if (v instanceof Uint8Array) n += 64 + v.byteLength;
    else if (typeof v === 'bigint' || (typeof v === 'object' && v !== null)) n += 32;
  }
  return n;
}

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
    for (let i = 0; i < count; i++) this.state.fds.push(fs.openSync(path.join(dir, `p${i}`), 'w+'));
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
    fs.writeSync(this.state.fds[p], head, 0, 4, this.sizes[p]);
    fs.writeSync(this.state.fds[p], payload, 0, payload.length, this.sizes[p] + 4);
    this.sizes[p] += 4 + payload.length;
    this.pending[p] = [];
  }

  /** The rows of partition `p`, in the order they were added. */
  reader(p: number): Source {
    const fd = this.state.fds[p];
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

/** FNV-1a over the key's characters: a partition number independent of the in-memory table. */
function partitionOf(key: string | null): number {
  if (key === null) return 0;
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
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
}

export function* graceHashJoin(g: GraceInput, joinRows: JoinRows): Generator<Row, void, void> {
  hashSpillStats.joinsSpilled++;
  const files = new PartitionFiles(2 * PARTITIONS, g.owner);
  try {
    for (const r of g.head.splice(0)) files.add(PARTITIONS + partitionOf(g.keyOf(g.rightKeys, r)), r);
    for (let r = g.rest.next(); r !== null; r = g.rest.next())
      files.add(PARTITIONS + partitionOf(g.keyOf(g.rightKeys, r)), r);
    for (let l = g.left.next(); l !== null; l = g.left.next())
      files.add(partitionOf(g.keyOf(g.leftKeys, l)), l);
    files.flushAll();
    for (let p = 0; p < PARTITIONS; p++) {
      const right: Row[] = [];
      const rs = files.reader(PARTITIONS + p);
      for (let r = rs.next(); r !== null; r = rs.next()) right.push(r);
      const table = new Map<string, number[]>();
      right.forEach((r, i) => {
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
      yield* joinRows(g.node, files.reader(p), right, hits, g.pred);
    }
  } finally {
    files.dispose();
  }
}
