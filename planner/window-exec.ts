/**
 * The Window operator: reads every input row, then for each distinct window specification (the
 * last one written first, as SQLite nests them) stably sorts the rows by partition and order
 * keys and computes that specification's calls partition by partition, writing each value into
 * the call's slot. Rows leave in the order of the last sort, which is SQLite's output order for
 * a query without ORDER BY.
 *
 * Frames follow SQLite: ROWS counts rows, GROUPS counts peer groups, RANGE compares the single
 * ORDER BY value (a NULL or non-numeric value bounds the frame at its peers). An aggregate whose
 * frame starts at UNBOUNDED PRECEDING without EXCLUDE grows one accumulator as the frame's end
 * moves forward (linear per partition, the default frame included); count/sum/total/avg/min/max
 * over a frame ending at UNBOUNDED FOLLOWING grow one walking backwards; other frames recompute
 * their accumulator from the frame's rows.
 */
import { compareValues } from '../storage/compare';
import { QueryError } from '../src/errors';
import type { Accumulator } from './aggregates';
import { makeAccumulator } from './aggregates';
import { compileExpr, compileTaggedExpr, typeOf } from './compile-expr';
import { drain } from './source';
import type { Source } from './source';
import type { Evaluator, ExecContext, Row } from './compile-expr';
import type { Expr } from './expr';
import { jsonMode } from './json-subtype';
import type { WindowPNode } from './physical';
import { collationKey, exprCollation, valueCollation } from './sql-text';
import { truth } from './sql-values';
import { GroupIndex } from './value-key';
import { tagReal } from './tagged-real';
import type { FrameBound, WindowCall, WindowSpec } from './window';
import { sameSpecKey } from './window';
import type { SortKey } from './logical';
import { nullsFirst } from './logical';

/** A number from a value as SQLite's numeric checks read it (text that looks numeric counts); else null. */
function numeric(v: unknown): number | null {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string' && /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/.test(v)) return Number(v);
  return null;
}

/** Text (a blob read as text) for the prefix readings below. */
function asText(v: unknown): string | null {
  if (typeof v === 'string') return v;
  return v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : null;
}

/** sqlite3_value_int64's reading: text by its leading integer digits (else 0), REALs truncate. */
function int64(v: unknown): number {
  const text = asText(v);
  if (text !== null) {
    const m = /^\s*([+-]?\d+)/.exec(text);
    return m ? Number(m[1]) : 0;
  }
  const n = numeric(v);
  return n === null || !Number.isFinite(n) ? 0 : Math.trunc(n);
}

/** A value as SQLite's arithmetic reads it: text by its longest numeric prefix (else 0). */
function arithmetic(v: unknown): number | null {
  const text = asText(v);
  if (text === null) return numeric(v);
  const m = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/.exec(text);
  return m ? Number(m[0]) : 0;
}

function fail(message: string): never {
  throw new QueryError(message, 'QUERY');
}

/** Keys compared under their collations (NOCASE / RTRIM fold before comparing). */
function keyEvals(exprs: readonly Expr[], ctx: ExecContext): Evaluator[] {
  return exprs.map((e) => {
    const f = compileExpr(e, ctx).eval;
    const c = exprCollation(e);
    return c ? (row: Row) => collationKey(f(row), c) : f;
  });
}

/** A partition in window order, with its peer groups (rows equal on every ORDER BY key). */
interface Partition {
  readonly rows: unknown[][];
  /** The (folded) first ORDER BY value per row, for RANGE offsets. */
  readonly first: unknown[];
  readonly groupOf: number[];
  /** Per group: index of its first row; one extra entry holds the partition's length. */
  readonly groupStart: number[];
}

/**
 * Rows s..e-1 of the sorted rows as one partition; `orderCols[k][j]` is ORDER BY key k of sorted
 * row j (folded by its collation).
 */
function partitionOf(rows: unknown[][], s: number, e: number, orderCols: readonly unknown[][]): Partition {
  const n = e - s;
  // Plain arrays: one small typed array per partition costs more than it saves.
  const groupOf = new Array<number>(n);
  const groupStart: number[] = [];
  const peers = (j: number): boolean => {
    for (const col of orderCols) if (compareKey(col[j - 1], col[j]) !== 0) return false;
    return true;
  };
  for (let i = 0; i < n; i++) {
    if (i === 0 || !peers(s + i)) groupStart.push(i);
    groupOf[i] = groupStart.length - 1;
  }
  groupStart.push(n);
  // BOOLEAN columns hold true/false: SQLite's RANGE arithmetic sees the integers 1 and 0.
  const firstCol = orderCols[0];
  const first = new Array<unknown>(n);
  for (let i = 0; i < n; i++) {
    const v = firstCol ? firstCol[s + i] : null;
    first[i] = typeof v === 'boolean' ? Number(v) : v;
  }
  return { rows: rows.slice(s, e), first, groupOf, groupStart };
}

/** compareValues with the common case (two numbers) first. */
function compareKey(x: unknown, y: unknown): number {
  if (typeof x === 'number' && typeof y === 'number') return x < y ? -1 : x > y ? 1 : 0;
  return compareValues(x, y);
}

interface FrameOffsets {
  readonly start: number;
  readonly end: number;
}

/** Frame offsets are constants: checked once per execution with SQLite's messages. */
function frameOffsets(spec: WindowSpec, ctx: ExecContext): FrameOffsets {
  const { unit, start, end } = spec.frame;
  const read = (b: FrameBound, which: string): number => {
    if (b.offset === null) return 0;
    const n = numeric(compileExpr(b.offset, ctx).eval([]));
    const ok = n !== null && n >= 0 && (unit === 'range' || Number.isInteger(n));
    if (!ok) fail(`frame ${which} offset must be a non-negative ${unit === 'range' ? 'number' : 'integer'}`);
    return n;
  };
  return { start: read(start, 'starting'), end: read(end, 'ending') };
}

/**
 * RANGE with an offset: the first row (from the start) or the row after the last (from the end)
 * whose value lies within `offset` of row i's value, in the window's direction. A NULL or
 * non-numeric current value bounds the frame at its peers (SQLite leaves it unchanged).
 */
function rangeEdge(
  p: Partition,
  i: number,
  offset: number,
  desc: boolean,
  nullsAtStart: boolean,
  b: FrameBound,
  isStart: boolean,
): number {
  const v = p.first[i];
  const g = p.groupOf[i];
  if (typeof v !== 'number' && typeof v !== 'bigint') return isStart ? p.groupStart[g] : p.groupStart[g + 1];
  const x = Number(v);
  const towardStart = b.kind === 'preceding';
  // The bound value in sort order: PRECEDING moves against the sort direction.
  const target = towardStart !== desc ? x - offset : x + offset;
  const n = p.rows.length;
  // Row j is "before" the bound when it sorts strictly before target (or at/before it for an end).
  const before = (j: number): boolean => {
    // NULLs sit at one end of the order (NULLS FIRST/LAST may move them from where they compare).
    if (p.first[j] == null) return nullsAtStart;
    const c = compareValues(p.first[j], target);
    const s = desc ? -c : c;
    return isStart ? s < 0 : s <= 0;
  };
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (before(mid)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** [start, end) of row i's frame before exclusions (may be empty: start >= end). */
function frameRange(p: Partition, i: number, spec: WindowSpec, off: FrameOffsets): { s: number; e: number } {
  const n = p.rows.length;
  const { unit, start, end } = spec.frame;
  const g = p.groupOf[i];
  const groups = p.groupStart.length - 1;
  const desc = spec.orderBy[0]?.desc === true;
  const nullsAtStart = spec.orderBy[0] ? nullsFirst(spec.orderBy[0]) : true;
  const edge = (b: FrameBound, offset: number, isStart: boolean): number => {
    switch (b.kind) {
      case 'unboundedPreceding':
        return 0;
      case 'unboundedFollowing':
        return n;
      case 'currentRow':
        if (unit === 'rows') return isStart ? i : i + 1;
        return isStart ? p.groupStart[g] : p.groupStart[g + 1];
      default: {
        const sign = b.kind === 'preceding' ? -1 : 1;
        if (unit === 'rows') return Math.min(n, Math.max(0, i + sign * offset + (isStart ? 0 : 1)));
        if (unit === 'groups') {
          const t = g + sign * offset + (isStart ? 0 : 1);
          return p.groupStart[Math.min(groups, Math.max(0, t))];
        }
        return rangeEdge(p, i, offset, desc, nullsAtStart, b, isStart);
      }
    }
  };
  return { s: edge(start, off.start, true), e: edge(end, off.end, false) };
}

/** The row indexes of row i's frame, in order, after EXCLUDE. */
function frameRows(p: Partition, i: number, spec: WindowSpec, off: FrameOffsets): number[] {
  const { s, e } = frameRange(p, i, spec, off);
  const out: number[] = [];
  const exclude = spec.frame.exclude;
  const g = p.groupOf[i];
  const gs = p.groupStart[g];
  const ge = p.groupStart[g + 1];
  for (let j = s; j < e; j++) {
    if (exclude === 'currentRow' && j === i) continue;
    if (exclude === 'group' && j >= gs && j < ge) continue;
    if (exclude === 'ties' && j >= gs && j < ge && j !== i) continue;
    out.push(j);
  }
  return out;
}

/** An evaluator whose whole-number REALs stay recognisable when the call's type is not REAL. */
function valueEval(e: Expr, resultType: string, ctx: ExecContext): Evaluator {
  if (resultType !== 'any') return compileExpr(e, ctx).eval;
  if (typeOf(e) === 'real') {
    const f = compileExpr(e, ctx).eval;
    return (row) => tagReal(f(row));
  }
  return compileTaggedExpr(e, ctx).eval;
}

type PartitionRunner = (p: Partition, off: FrameOffsets, out: (i: number, v: unknown) => void) => void;

function positiveInt(v: unknown): number | null {
  const n = numeric(v);
  return n !== null && Number.isInteger(n) && n > 0 ? n : null;
}

function builtinRunner(c: Extract<WindowCall, { kind: 'builtin' }>, ctx: ExecContext): PartitionRunner {
  const args = c.args.map((a) => valueEval(a, c.type, ctx));
  const spec = c.spec;
  switch (c.fn) {
    case 'row_number':
      return (p, _o, out) => p.rows.forEach((_r, i) => out(i, i + 1));
    case 'rank':
      return (p, _o, out) => p.rows.forEach((_r, i) => out(i, p.groupStart[p.groupOf[i]] + 1));
    case 'dense_rank':
      return (p, _o, out) => p.rows.forEach((_r, i) => out(i, p.groupOf[i] + 1));
    case 'percent_rank':
      return (p, _o, out) => {
        const n = p.rows.length;
        p.rows.forEach((_r, i) => out(i, n > 1 ? p.groupStart[p.groupOf[i]] / (n - 1) : 0));
      };
    case 'cume_dist':
      return (p, _o, out) => {
        const n = p.rows.length;
        p.rows.forEach((_r, i) => out(i, p.groupStart[p.groupOf[i] + 1] / n));
      };
    case 'ntile': {
      const arg = compileExpr(c.args[0], ctx).eval;
      return (p, _o, out) => {
        // SQLite reads the bucket count from the partition's first row.
        const buckets = int64(arg(p.rows[0]));
        if (buckets <= 0) fail('argument of ntile must be a positive integer');
        const n = p.rows.length;
        const size = Math.floor(n / buckets);
        const large = n % buckets;
        const bigRows = large * (size + 1);
        p.rows.forEach((_r, i) =>
          out(i, i < bigRows ? Math.floor(i / (size + 1)) + 1 : Math.floor((i - bigRows) / size) + large + 1),
        );
      };
    }
    case 'lag':
    case 'lead': {
      const offsetEval = c.args[1] ? compileExpr(c.args[1], ctx).eval : null;
      const dflt = args[2] ?? null;
      const sign = c.fn === 'lag' ? -1 : 1;
      return (p, _o, out) => {
        const n = p.rows.length;
        p.rows.forEach((row, i) => {
          // SQLite adds the offset to a row number and seeks it: a NULL or non-integer offset
          // finds no row (the default), text counts by its numeric prefix.
          const k = offsetEval ? arithmetic(offsetEval(row)) : 1;
          const j = k !== null && Number.isInteger(k) ? i + sign * k : -1;
          out(i, j >= 0 && j < n ? args[0](p.rows[j]) : dflt ? dflt(row) : null);
        });
      };
    }
    case 'first_value':
    case 'last_value':
    case 'nth_value': {
      const nth = c.fn === 'nth_value' ? compileExpr(c.args[1], ctx).eval : null;
      return (p, off, out) => {
        const plain = spec.frame.exclude === 'noOthers';
        p.rows.forEach((row, i) => {
          // Without EXCLUDE the frame is one run of rows: index into it instead of listing it.
          let frame: number[] | null = null;
          let s = 0;
          let len: number;
          if (plain) {
            const r = frameRange(p, i, spec, off);
            s = r.s;
            len = Math.max(0, r.e - r.s);
          } else {
            frame = frameRows(p, i, spec, off);
            len = frame.length;
          }
          let k: number;
          if (nth) {
            const want = positiveInt(nth(row));
            if (want === null) fail('second argument to nth_value must be a positive integer');
            k = want - 1;
          } else k = c.fn === 'first_value' ? 0 : len - 1;
          const at = k >= 0 && k < len ? (frame ? frame[k] : s + k) : -1;
          out(i, at >= 0 ? args[0](p.rows[at]) : null);
        });
      };
    }
  }
}

/** Aggregates whose value is the same whatever order their rows are added in. */
const ORDER_FREE: ReadonlySet<string> = new Set(['count', 'sum', 'total', 'avg', 'min', 'max']);

function aggregateRunner(c: Extract<WindowCall, { kind: 'aggregate' }>, ctx: ExecContext): PartitionRunner {
  const a = c.agg;
  // Tagged like the Aggregate operator's arguments: SUM/MIN/MAX must see which whole numbers are REAL.
  const arg = a.arg ? compileTaggedExpr(a.arg, ctx) : null;
  const more = a.more.map((m) => compileExpr(m, ctx));
  const filter = a.filter ? compileExpr(a.filter, ctx).eval : null;
  const collation = a.arg ? valueCollation(a.arg) : undefined;
  const mode = jsonMode(a.fn === 'json_group_object' ? (a.more[0] ?? null) : a.arg);
  const fresh = (): Accumulator =>
    makeAccumulator(
      a.fn,
      a.arg === null,
      false,
      arg?.type ?? 'integer',
      more.map((m) => m.type),
      collation,
      mode,
    );
  const spec = c.spec;
  const { start, exclude } = spec.frame;
  const growing = start.kind === 'unboundedPreceding' && exclude === 'noOthers';
  // A frame running to the partition's end grows as the current row moves backwards: for the
  // aggregates whose value does not depend on the order rows are added in, walk it that way.
  const shrinking =
    !growing &&
    spec.frame.end.kind === 'unboundedFollowing' &&
    exclude === 'noOthers' &&
    ORDER_FREE.has(a.fn);
  return (p, off, out) => {
    const n = p.rows.length;
    // Each row's inputs once per partition; a FILTERed-out row is never added.
    const values = p.rows.map((row) => (arg ? arg.eval(row) : 1));
    const extras = more.length ? p.rows.map((row) => more.map((m) => m.eval(row))) : null;
    const keep = filter ? p.rows.map((row) => truth(filter(row)) === true) : null;
    const add = (acc: Accumulator, j: number): void => {
      if (keep && !keep[j]) return;
      acc.add(values[j], extras ? extras[j] : undefined);
    };
    if (growing) {
      let acc = fresh();
      let added = 0;
      for (let i = 0; i < n; i++) {
        const { e } = frameRange(p, i, spec, off);
        const end = Math.max(0, e);
        if (end < added) {
          // The frame shrank (cannot happen with sorted keys, but stay correct): start over.
          acc = fresh();
          added = 0;
        }
        for (; added < end; added++) add(acc, added);
        out(i, acc.result());
      }
      return;
    }
    if (shrinking) {
      let acc = fresh();
      let from = n;
      for (let i = n - 1; i >= 0; i--) {
        const start = Math.min(n, Math.max(0, frameRange(p, i, spec, off).s));
        if (start > from) {
          // The frame's start moved forward (cannot happen with sorted keys, but stay correct).
          acc = fresh();
          from = n;
        }
        while (from > start) add(acc, --from);
        out(i, acc.result());
      }
      return;
    }
    for (let i = 0; i < n; i++) {
      const acc = fresh();
      for (const j of frameRows(p, i, spec, off)) add(acc, j);
      out(i, acc.result());
    }
  };
}

/** A comparator of row indexes by key columns `from`.. (each ascending or descending), ties by index. */
function movedNulls(k: SortKey): number {
  return k.nulls === undefined ? 0 : k.nulls === 'first' ? 1 : -1;
}

function byKeys(
  cols: readonly unknown[][],
  sign: readonly number[],
  nulls: readonly number[],
  from: number,
): (a: number, b: number) => number {
  const nk = cols.length;
  return (a, b) => {
    for (let j = from; j < nk; j++) {
      const c = compareKeyAt(cols[j][a], cols[j][b], sign[j], nulls[j]);
      if (c !== 0) return c;
    }
    return a - b;
  };
}

/** One window key's comparison: NULLs moved by `nulls` (1 first, -1 last, 0 as values), then `sign`. */
function compareKeyAt(x: unknown, y: unknown, sign: number, nulls: number): number {
  if (x === y) return 0;
  if (nulls !== 0 && (x == null || y == null)) {
    if (x == null && y == null) return 0;
    return x == null ? -nulls : nulls;
  }
  const c = typeof x === 'number' && typeof y === 'number' ? (x < y ? -1 : 1) : compareValues(x, y);
  return sign * c;
}

/**
 * The rows' indexes sorted by partition keys (the first `np` columns, ascending) then ORDER BY
 * keys, ties in their current order. Rows are first hashed into partitions, so only the distinct
 * partition keys and each partition's own rows are sorted (many small sorts instead of one big).
 */
function windowOrder(
  n: number,
  cols: readonly unknown[][],
  sign: readonly number[],
  nulls: readonly number[],
  np: number,
): number[] {
  if (np === 0) {
    const all = Array.from({ length: n }, (_, i) => i);
    return cols.length === 0 ? all : all.sort(byKeys(cols, sign, nulls, 0));
  }
  const parts = new GroupIndex<number[]>();
  const list: number[][] = [];
  const key = new Array<unknown>(np);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < np; j++) key[j] = cols[j][i];
    let members = parts.find(key);
    if (!members) {
      members = [];
      parts.add(key, members);
      list.push(members);
    }
    members.push(i);
  }
  const partKeys = byKeys(cols.slice(0, np), sign, nulls, 0);
  list.sort((a, b) => partKeys(a[0], b[0]));
  const within = byKeys(cols, sign, nulls, np);
  const out: number[] = [];
  for (const members of list) {
    if (members.length > 1 && cols.length > np) members.sort(within);
    for (const i of members) out.push(i);
  }
  return out;
}

/** Order keys compared as byKeys compares them, without its final tie-break. */
function compareTuples(
  x: readonly unknown[],
  y: readonly unknown[],
  sign: readonly number[],
  nulls: readonly number[],
): number {
  for (let j = 0; j < x.length; j++) {
    const c = compareKeyAt(x[j], y[j], sign[j], nulls[j]);
    if (c !== 0) return c;
  }
  return 0;
}

/** The rows one partition keeps: at most `keep`, in window order, ties in arrival order. */
interface Kept {
  rows: Row[];
  keys: unknown[][];
  seqs: number[];
}

/**
 * The input rows a Window with `keepPerPartition` needs (planner/window-topk.ts): the first `keep`
 * rows of each partition in window order, the rest dropped as they stream past, so a top-k per
 * group holds k rows a partition instead of the whole input. The kept rows come back in arrival
 * order, so windowRows' stable sort ranks them exactly as it would among all rows. A limit that
 * is not a finite number (NULL, text) keeps every row: the filter above then decides alone.
 */
export function firstRowsPerPartition(node: WindowPNode, input: Source, ctx: ExecContext): Row[] {
  const keepExpr = node.keepPerPartition;
  const bound = keepExpr ? compileExpr(keepExpr, ctx).eval([]) : null;
  const limit = typeof bound === 'bigint' ? Number(bound) : bound;
  if (typeof limit !== 'number' || !Number.isFinite(limit)) return drain(input);
  const keep = Math.max(0, node.keepStrict ? Math.ceil(limit) - 1 : Math.floor(limit));
  const { spec } = node.calls[0];
  const partEvals = keyEvals(spec.partitionBy, ctx);
  const orderEvals = keyEvals(
    spec.orderBy.map((o) => o.expr),
    ctx,
  );
  const sign = spec.orderBy.map((o) => (o.desc ? -1 : 1));
  const nulls = spec.orderBy.map((o) => movedNulls(o));
  const parts = new GroupIndex<Kept>();
  const all: Kept[] = [];
  const pkey = new Array<unknown>(partEvals.length);
  const okey = new Array<unknown>(orderEvals.length);
  let seq = 0;
  for (let row = input.next(); row !== null; row = input.next(), seq++) {
    if (keep === 0) continue;
    for (let j = 0; j < partEvals.length; j++) pkey[j] = partEvals[j](row);
    for (let j = 0; j < orderEvals.length; j++) okey[j] = orderEvals[j](row);
    const kept = parts.find(pkey);
    if (!kept) {
      const first: Kept = { rows: [row], keys: [okey.slice()], seqs: [seq] };
      parts.add(pkey, first);
      all.push(first);
      continue;
    }
    const { rows, keys, seqs } = kept;
    const n = rows.length;
    // Full and not strictly before the last kept row: a tie keeps the earlier arrival.
    if (n === keep && compareTuples(okey, keys[n - 1], sign, nulls) >= 0) continue;
    // Insertion into a sorted list of at most `keep` (usually 1–10) entries, the last one falling
    // off when full.
    let at = n === keep ? n - 1 : n;
    if (at === n) {
      rows.push(row);
      keys.push(okey);
      seqs.push(seq);
    }
    while (at > 0 && compareTuples(okey, keys[at - 1], sign, nulls) < 0) {
      rows[at] = rows[at - 1];
      keys[at] = keys[at - 1];
      seqs[at] = seqs[at - 1];
      at--;
    }
    rows[at] = row;
    keys[at] = okey.slice();
    seqs[at] = seq;
  }
  const order: { seq: number; row: Row }[] = [];
  for (const k of all) for (let i = 0; i < k.rows.length; i++) order.push({ seq: k.seqs[i], row: k.rows[i] });
  order.sort((a, b) => a.seq - b.seq);
  return order.map((o) => o.row);
}

/** Rows the Window operator held and sorted, since the process started (tests count work with it). */
export const windowStats = { rowsWindowed: 0 };

/** Compute every window call over `input`, returning the rows (widened by the calls' slots) in window order. */
export function windowRows(node: WindowPNode, input: readonly Row[], ctx: ExecContext): Row[] {
  windowStats.rowsWindowed += input.length;
  const width = node.inputWidth;
  const k = node.calls.length;
  // Input rows may be shared (the row cache): each output row is a copy with the calls' slots
  // (concat keeps the array packed; a row narrower than the node's input is padded first).
  const slots = new Array<unknown>(k).fill(null);
  let rows: unknown[][] = input.map((r) => {
    if (r.length === width) return r.concat(slots);
    const row = r.slice(0, width);
    while (row.length < width) row.push(null);
    return row.concat(slots);
  });
  // Calls grouped by specification, in order of first appearance.
  const groups = new Map<string, { spec: WindowSpec; calls: number[] }>();
  node.calls.forEach((c, i) => {
    const key = sameSpecKey(c.spec);
    const g = groups.get(key);
    if (g) g.calls.push(i);
    else groups.set(key, { spec: c.spec, calls: [i] });
  });
  for (const { spec, calls } of [...groups.values()].reverse()) {
    const n = rows.length;
    // One column of values per key (partition keys first), evaluated once per row.
    const evals = keyEvals([...spec.partitionBy, ...spec.orderBy.map((o) => o.expr)], ctx);
    const cols = evals.map((f) => rows.map((row) => f(row)));
    const sign = [...spec.partitionBy.map(() => 1), ...spec.orderBy.map((o) => (o.desc ? -1 : 1))];
    // Per key: 0 when NULLs sort as values do, else 1 (NULLS FIRST) or -1 (NULLS LAST).
    const nulls = [...spec.partitionBy.map(() => 0), ...spec.orderBy.map((o) => movedNulls(o))];
    const order = windowOrder(n, cols, sign, nulls, spec.partitionBy.length);
    rows = order.map((i) => rows[i]);
    const sorted = cols.map((col) => order.map((i) => col[i]));
    const partCols = sorted.slice(0, spec.partitionBy.length);
    const orderCols = sorted.slice(spec.partitionBy.length);
    // SQLite checks the offsets when a row needs them: over no rows a bad offset is no error.
    if (n === 0) continue;
    const off = frameOffsets(spec, ctx);
    const runners = calls.map((ci) => {
      const c = node.calls[ci];
      return {
        slot: width + ci,
        run: c.kind === 'builtin' ? builtinRunner(c, ctx) : aggregateRunner(c, ctx),
      };
    });
    const samePartition = (j: number): boolean => {
      for (const col of partCols) if (compareKey(col[j - 1], col[j]) !== 0) return false;
      return true;
    };
    for (let s = 0; s < n;) {
      let e = s + 1;
      while (e < n && samePartition(e)) e++;
      const part = partitionOf(rows, s, e, orderCols);
      for (const r of runners) r.run(part, off, (i, v) => (part.rows[i][r.slot] = v));
      s = e;
    }
  }
  return rows;
}
