/**
 * The checks behind `modelvault verify`, all read-only:
 *   1. the header and both superblocks;
 *   2. every frame from the start of the log to its end: header, length and checksum, and every
 *      CHECKPOINT frame (current or superseded) decoded and loaded;
 *   3. the log's transaction structure (ids in sequence, commit counts), as replay reads it;
 *   4. the state as a normal open builds it (current checkpoint + replay) against the state a
 *      replay of the whole log builds without any checkpoint: same catalog, keys, row locations
 *      and index entries;
 *   5. every live row read and checked against its schema, its key against the primary-key
 *      index, and each secondary index against the entries a scan of the rows computes.
 * Each problem carries the file offset it was found at when there is one.
 */
import { readExact } from '../../storage/byte-store';
import type { ByteStore } from '../../storage/byte-store';
import { FileStore } from '../../storage/file-store';
import { Engine } from '../../storage/engine';
import { decodeHeader, decodeSuperblock, encodeSuperblock, superblockProblem } from '../../storage/header';
import {
  FRAME_HEADER_SIZE,
  FrameKind,
  HEADER_SIZE,
  LOG_START,
  SUPERBLOCK_OFFSETS,
  SUPERBLOCK_SIZE,
} from '../../storage/format';
import { frameChecksumOk, parseFrameHeader } from '../../storage/frame';
import type { FrameHeader } from '../../storage/frame';
import { decodePayload } from '../../storage/codec';
import { loadCheckpoint } from '../../storage/checkpoint';
import { checkColumnPages } from '../../storage/column-pages';
import { findCommittedAfter, isZeroHeader, scanLog } from '../../storage/log-scan';
import { indexKeyCompare, newIndexTree, rowOfState } from '../../storage/collection-state';
import { NOT_INDEXED } from '../../storage/index-exprs';
import { installSqlHooks } from '../../parser/sql-hooks';
import type { CollectionView } from '../../storage/collection-state';
import { compareValues, keyHasNull } from '../../storage/compare';
import { WriterLock, resolveRealPath } from '../../storage/lock';
import type { ReadView } from '../../storage/engine';
import { FormatError } from '../errors';

export interface Problem {
  /** File offset of the damage, when it has one. */
  offset: number | null;
  reason: string;
}

export interface VerifyReport {
  file: string;
  fileBytes: number;
  /** End of the committed log (past it: a writer's reserved zeros). */
  logEnd: number;
  framesChecked: number;
  checkpointsChecked: number;
  transactions: number;
  collections: number;
  rowsChecked: number;
  indexEntriesChecked: number;
  /** Things that are not damage but worth knowing (a torn superblock a crash left, a live writer). */
  notes: string[];
  problems: Problem[];
}

export type Phase = 'frames' | 'replay' | 'rows';

const KIND_NAMES = new Map<number, string>(Object.entries(FrameKind).map(([name, kind]) => [kind, name]));

/** `RECORD_PUT frame`, or the number of a kind this build does not know. */
function kindName(kind: number): string {
  return `${KIND_NAMES.get(kind) ?? `kind ${kind}`} frame`;
}

export interface VerifyProgress {
  /** Called as work is done: `done` of `total` units (bytes for frames, rows for rows). */
  (phase: Phase, done: number, total: number): void;
}

/** How often, and how long apart, a frame that fails while a writer appends is read again. */
const LIVE_RETRIES = 25;
const LIVE_RETRY_MS = 20;

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** More problems than this in one file say nothing new: the list stops. */
const MAX_PROBLEMS = 50;
const CHUNK = 4 << 20;

export function verifyDatabaseFile(file: string, progress: VerifyProgress = () => {}): VerifyReport {
  // A partial or expression index's keys are SQL: the check reads them as every writer does.
  installSqlHooks();
  const store = FileStore.open(file, true, false);
  const report: VerifyReport = {
    file,
    fileBytes: store.size,
    logEnd: store.size,
    framesChecked: 0,
    checkpointsChecked: 0,
    transactions: 0,
    collections: 0,
    rowsChecked: 0,
    indexEntriesChecked: 0,
    notes: [],
    problems: [],
  };
  const problem = (offset: number | null, reason: string): void => {
    if (report.problems.length < MAX_PROBLEMS) report.problems.push({ offset, reason });
  };
  try {
    const live = WriterLock.liveHolder(resolveRealPath(file));
    if (live)
      report.notes.push(`a writer (pid ${live.pid}) has the file open: checked the log as committed so far`);
    if (!checkLayout(store, report, problem)) return report;
    const logEnd = checkFrames(store, report, problem, progress, live !== null);
    report.logEnd = logEnd;
    if (report.problems.length > 0) return report;
    progress('replay', 0, 1);
    const structure = scanLog(new LimitedStore(store, logEnd), LOG_START, 0, () => report.transactions++);
    // A live writer's append in flight can end in whole frames of a transaction whose commit
    // marker it has not written yet: the log committed so far ends before that transaction.
    const inFlight = live !== null && structure.problem?.code === 'TORN_TAIL';
    if (structure.problem && !inFlight) {
      problem(structure.problem.at, structure.problem.message);
      return report;
    }
    if (inFlight) report.logEnd = structure.goodEnd;
    compareStates(store, report.logEnd, report, problem, progress);
  } catch (err) {
    if (!(err instanceof FormatError)) throw err;
    problem(err.offset ?? null, err.message);
  } finally {
    store.close();
  }
  return report;
}

/** Header and superblocks; false when the file cannot be read any further. */
function checkLayout(
  store: ByteStore,
  report: VerifyReport,
  problem: (o: number | null, r: string) => void,
): boolean {
  const head = readExact(store, 0, HEADER_SIZE);
  if (!head) {
    problem(0, `file is ${store.size} bytes: too short for a ModelVault header`);
    return false;
  }
  try {
    decodeHeader(head);
  } catch (err) {
    if (!(err instanceof FormatError)) throw err;
    problem(0, err.message);
    return false;
  }
  if (store.size < LOG_START) {
    problem(store.size, 'file is cut off inside its superblocks');
    return false;
  }
  let valid = 0;
  for (const at of SUPERBLOCK_OFFSETS) {
    const bytes = readExact(store, at, SUPERBLOCK_SIZE);
    const sb = decodeSuperblock(bytes);
    if (!sb) {
      // A new file's slot B is all zeros; other bytes there are a superblock write a crash tore.
      if (bytes && bytes.some((b) => b !== 0))
        report.notes.push(
          `superblock at offset ${at} is torn (a crash during a checkpoint; the other slot is used)`,
        );
      continue;
    }
    const why = superblockProblem(sb, store.size);
    if (why) problem(at, `superblock at offset ${at} is inconsistent: ${why}`);
    else valid++;
  }
  if (valid === 0) problem(SUPERBLOCK_OFFSETS[0], 'no usable superblock');
  return true;
}

/**
 * Walk every frame by its length, checking each checksum and loading each checkpoint. Returns the
 * end of the log: the end of the file, or the zero header where a writer's reserved space starts.
 */
function checkFrames(
  store: ByteStore,
  report: VerifyReport,
  problem: (o: number | null, r: string) => void,
  progress: VerifyProgress,
  liveWriter: boolean,
): number {
  const size = store.size;
  let pos = LOG_START;
  let buf = Buffer.alloc(0);
  let bufStart = 0;
  const get = (at: number, len: number): Buffer | null => {
    if (at + len > size) return null;
    if (at < bufStart || at + len > bufStart + buf.length) {
      const n = Math.min(Math.max(CHUNK, len), size - at);
      buf = Buffer.allocUnsafe(n);
      if (store.readInto(buf, 0, n, at) < len) return null;
      bufStart = at;
    }
    return buf.subarray(at - bufStart, at - bufStart + len);
  };
  /** The frame at `at`; null for a zero header (the end of the log); else why it is unusable. */
  const readFrame = (at: number): { header: FrameHeader; whole: Buffer } | string | null => {
    const head = get(at, FRAME_HEADER_SIZE);
    if (!head) return 'frame header is cut off';
    if (isZeroHeader(head)) return null;
    const header = parseFrameHeader(head, 0, size - at);
    if (!header) return 'frame length runs past the end of the file';
    const whole = get(at, FRAME_HEADER_SIZE + header.length);
    if (!whole || !frameChecksumOk(whole, 0, whole.subarray(FRAME_HEADER_SIZE), header.crc))
      return `checksum mismatch in ${kindName(header.kind)}`;
    return { header, whole };
  };
  let lastReport = 0;
  while (pos < size) {
    if (pos - lastReport >= CHUNK) {
      progress('frames', pos, size);
      lastReport = pos;
    }
    let frame = readFrame(pos);
    // A live writer appends while we read: a frame read half-written is read again once it lands.
    for (let retry = 0; liveWriter && typeof frame === 'string' && retry < LIVE_RETRIES; retry++) {
      buf = Buffer.alloc(0);
      sleep(LIVE_RETRY_MS);
      frame = readFrame(pos);
    }
    if (frame === null) return zerosAfter(store, pos, report, problem, liveWriter);
    if (typeof frame === 'string') {
      tornOrDamaged(store, pos, frame, report, problem, liveWriter);
      return pos;
    }
    const { header, whole } = frame;
    report.framesChecked++;
    if (header.kind === FrameKind.CHECKPOINT) {
      try {
        // A light checkpoint's indexes are its base's pages, read as stored (no catch-up from the log).
        const data = loadCheckpoint(
          decodePayload(whole.subarray(FRAME_HEADER_SIZE), pos),
          pos,
          store,
          null,
          () => undefined,
        );
        // A paged checkpoint (format 1.2) leaves its pages on disk until touched: read them all.
        for (const c of data.collections) {
          c.pk.toArrays();
          // Format 1.3: the column page beside each primary-key page, checked as a scan would.
          checkColumnPages((visit) => c.pk.forEachLeaf((page) => visit(page)), c.meta.schema.fields);
          for (const ix of c.indexes) ix.tree.toArrays();
        }
        report.checkpointsChecked++;
      } catch (err) {
        if (!(err instanceof FormatError)) throw err;
        problem(pos, `checkpoint does not load: ${err.message}`);
      }
    }
    pos += FRAME_HEADER_SIZE + header.length;
  }
  progress('frames', size, size);
  return size;
}

/** Past the log's end only zeros may follow (reserved space); anything else is damage. */
function zerosAfter(
  store: ByteStore,
  at: number,
  report: VerifyReport,
  problem: (o: number | null, r: string) => void,
  liveWriter: boolean,
): number {
  const size = store.size;
  const piece = Buffer.allocUnsafe(1 << 16);
  for (let pos = at; pos < size;) {
    const n = store.readInto(piece, 0, Math.min(piece.length, size - pos), pos);
    const nonZero = piece.subarray(0, n).findIndex((b) => b !== 0);
    if (nonZero >= 0) {
      // A live writer may have appended over its reserved zeros since the file size was taken.
      if (liveWriter) return at;
      const later = findCommittedAfter(store, at, 0);
      problem(
        at,
        `zero bytes where a frame should start, but non-zero bytes follow at offset ${pos + nonZero}` +
          (later ? ` (committed transaction ${later.txnId} at offset ${later.offset})` : ''),
      );
      return at;
    }
    pos += n;
  }
  report.notes.push(`${size - at} bytes of reserved space after the log (a writer's preallocation)`);
  return at;
}

/**
 * Damage at `at`: a torn tail when nothing committed follows (what a crash leaves, and what the
 * next writer cuts), damage inside the log otherwise. Both are problems; a live writer's append
 * in flight is neither.
 */
function tornOrDamaged(
  store: ByteStore,
  at: number,
  what: string,
  report: VerifyReport,
  problem: (o: number | null, r: string) => void,
  liveWriter: boolean,
): void {
  const after = findCommittedAfter(store, at + 1, 0);
  if (after) {
    const head = readExact(store, after.offset, FRAME_HEADER_SIZE);
    const later =
      head && head[4] === FrameKind.CHECKPOINT
        ? `a checkpoint of transaction ${after.txnId}`
        : `committed transaction ${after.txnId}`;
    problem(at, `${what}; ${later} follows at offset ${after.offset} (damage inside the log)`);
  } else if (liveWriter) {
    report.notes.push(`the log ends in an append still being written at offset ${at}`);
  } else {
    problem(at, `${what}: a torn tail (an append a crash interrupted; the next writer cuts it)`);
  }
}

/** A store that ends at `limit` (a live writer keeps appending past what verify looked at). */
class LimitedStore implements ByteStore {
  readonly readOnly = true;
  constructor(
    protected readonly inner: ByteStore,
    readonly size: number,
  ) {}
  readInto(target: Uint8Array, offset: number, length: number, position: number): number {
    const n = Math.max(0, Math.min(length, this.size - position));
    return n === 0 ? 0 : this.inner.readInto(target, offset, n, position);
  }
  writeAt(): void {
    throw new Error('verify never writes');
  }
  sync(): void {}
  truncate(): void {
    throw new Error('verify never writes');
  }
  close(): void {}
}

/** The file as if no checkpoint had ever been published: opening it replays the whole log. */
class NoCheckpointStore extends LimitedStore {
  private readonly slots = Buffer.concat([
    encodeSuperblock({
      generation: 0,
      checkpointOffset: 0,
      checkpointLength: 0,
      checkpointTxnId: 0,
      replayFrom: LOG_START,
    }),
    Buffer.alloc(SUPERBLOCK_SIZE),
  ]);
  override readInto(target: Uint8Array, offset: number, length: number, position: number): number {
    const n = super.readInto(target, offset, length, position);
    const from = Math.max(position, SUPERBLOCK_OFFSETS[0]);
    const to = Math.min(position + n, LOG_START);
    for (let p = from; p < to; p++) target[offset + p - position] = this.slots[p - SUPERBLOCK_OFFSETS[0]];
    return n;
  }
}

function compareStates(
  store: ByteStore,
  logEnd: number,
  report: VerifyReport,
  problem: (o: number | null, r: string) => void,
  progress: VerifyProgress,
): void {
  const opened = Engine.openStore(new LimitedStore(store, logEnd), { readOnly: true, recovery: 'strict' });
  const replayed = Engine.openStore(new NoCheckpointStore(store, logEnd), {
    readOnly: true,
    recovery: 'strict',
  });
  try {
    const a = opened.committedView();
    const b = replayed.committedView();
    progress('replay', 1, 1);
    report.collections = a.collections.size;
    const names = new Set([...a.collections.keys(), ...b.collections.keys()]);
    for (const name of names) {
      const x = a.collections.get(name);
      const y = b.collections.get(name);
      if (!x || !y) {
        problem(
          null,
          `collection ${name} is ${x ? 'in the checkpoint but not in the log' : 'in the log but not in the checkpoint'}`,
        );
        continue;
      }
      if (x.meta.id !== y.meta.id || x.meta.version !== y.meta.version)
        problem(
          null,
          `collection ${name}: the checkpoint has id ${x.meta.id} v${x.meta.version}, the log id ${y.meta.id} v${y.meta.version}`,
        );
      comparePk(name, x, y, problem);
      x.allIndexes.forEach((ix, i) => {
        const other = y.allIndexes[i];
        if (!other || other.def.name !== ix.def.name) {
          problem(
            null,
            `collection ${name}: index ${ix.def.name} differs between the checkpoint and the log`,
          );
          return;
        }
        compareTrees(
          `collection ${name}, index ${ix.def.name}`,
          ix.tree.entries(),
          other.tree.entries(),
          indexKeyCompare(ix.def),
          problem,
        );
      });
    }
    let total = 0;
    for (const c of a.collections.values()) total += c.pk.size;
    checkRows(opened, a, total, report, problem, progress);
  } finally {
    opened.close();
    replayed.close();
  }
}

function comparePk(
  name: string,
  x: CollectionView,
  y: CollectionView,
  problem: (o: number | null, r: string) => void,
): void {
  const ia = x.pk.entries();
  const ib = y.pk.entries();
  for (;;) {
    const p = ia.next();
    const q = ib.next();
    if (p.done && q.done) return;
    if (p.done || q.done || compareValues(p.value[0], q.value[0]) !== 0 || p.value[1] !== q.value[1]) {
      const at = p.done ? (q.done ? null : q.value[1]) : p.value[1];
      problem(
        at,
        `collection ${name}: the checkpoint's primary-key index disagrees with the log` +
          (p.done ? '' : ` at key ${String(p.value[0])}`),
      );
      return;
    }
  }
}

function compareTrees(
  what: string,
  ia: Iterator<[unknown, unknown]>,
  ib: Iterator<[unknown, unknown]>,
  cmp: (a: unknown, b: unknown) => number,
  problem: (o: number | null, r: string) => void,
): number {
  let n = 0;
  for (;;) {
    const p = ia.next();
    const q = ib.next();
    if (p.done && q.done) return n;
    if (
      p.done ||
      q.done ||
      cmp(p.value[0], q.value[0]) !== 0 ||
      compareValues(p.value[1], q.value[1]) !== 0
    ) {
      const entry = p.done ? q.value : p.value;
      problem(
        null,
        `${what}: entry ${entry ? `(${keyText(entry[0])} → ${keyText(entry[1])})` : ''} disagrees (${n} entries matched before it)`,
      );
      return n;
    }
    n++;
  }
}

function keyText(v: unknown): string {
  return (
    JSON.stringify(v, (_k, x: unknown) =>
      typeof x === 'bigint' ? x.toString() : x instanceof Uint8Array ? Buffer.from(x).toString('hex') : x,
    ) ?? 'undefined'
  );
}

/** Read every live row; rebuild every secondary index from the rows and compare. */
function checkRows(
  engine: Engine,
  view: ReadView,
  total: number,
  report: VerifyReport,
  problem: (o: number | null, r: string) => void,
  progress: VerifyProgress,
): void {
  let done = 0;
  for (const [name, coll] of view.collections) {
    const expected = coll.allIndexes.map((ix) => newIndexTree(ix.def));
    const cur = coll.pk.cursor();
    while (cur.next()) {
      const loc = cur.value;
      let row: unknown[];
      try {
        row = rowOfState(coll.state, engine.readRowFor(view, loc));
      } catch (err) {
        if (!(err instanceof FormatError)) throw err;
        problem(
          err.offset ?? loc,
          `collection ${name}: row ${keyText(cur.key)} is unreadable: ${err.message}`,
        );
        continue;
      }
      if (compareValues(coll.state.pkOf(row), cur.key) !== 0)
        problem(
          loc,
          `collection ${name}: the row at offset ${loc} has key ${keyText(coll.state.pkOf(row))}, the index says ${keyText(cur.key)}`,
        );
      coll.allIndexes.forEach((ix, i) => {
        const key = ix.accessor.get(row) ?? null;
        if (key === NOT_INDEXED) return;
        if (ix.unique && !keyHasNull(key) && expected[i].get(key) !== undefined)
          problem(
            loc,
            `collection ${name}: unique index ${ix.def.name} key ${keyText(key)} is held by two rows`,
          );
        expected[i].add(key, cur.key);
      });
      report.rowsChecked++;
      if (++done % 4096 === 0) progress('rows', done, total);
    }
    coll.allIndexes.forEach((ix, i) => {
      report.indexEntriesChecked += compareTrees(
        `collection ${name}, index ${ix.def.name} against a scan of its rows`,
        ix.tree.entries(),
        expected[i].entries(),
        indexKeyCompare(ix.def),
        problem,
      );
    });
  }
  progress('rows', total, total);
}
