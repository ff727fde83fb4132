/**
 * The Window operator in memory: reads every input row, then for each distinct window
 * specification (the last one written first, as SQLite nests them) stably sorts the rows by
 * partition and order keys and computes that specification's calls partition by partition
 * (planner/window-calls.ts), writing each value into the call's slot. Rows leave in the order of
 * the last sort, which is SQLite's output order for a query without ORDER BY. Past the memory
 * budget the operator streams instead (planner/window-spill.ts), reusing the partition code here.
 */
import { compareValues } from '../storage/compare';
import { compileExpr } from './compile-expr';
import { drain } from './source';
import type { Source } from './source';
import type { Evaluator, ExecContext, Row } from './compile-expr';
import type { Expr } from './expr';
import type { WindowPNode } from './physical';
import { collationKey, exprCollation } from './sql-text';
import { GroupIndex } from './value-key';
import type { WindowSpec } from './window';
import { sameSpecKey } from './window';
import type { SortKey } from './logical';
import { callRunner } from './window-calls';
import type { RowsInMemory } from './window-calls';
import { frameOffsets } from './window-frame';
import type { WindowPartition } from './window-frame';
import { joinedRow } from './joined-row';

/** Keys compared under their collations (NOCASE / RTRIM fold before comparing). */
export function keyEvals(exprs: readonly Expr[], ctx: ExecContext): Evaluator[] {
  return exprs.map((e) => {
    const f = compileExpr(e, ctx).eval;
    const c = exprCollation(e);
    return c ? (row: Row) => collationKey(f(row), c) : f;
  });
}

/** A partition held in memory: its rows, and per row its first ORDER BY value and peer group. */
export class MemoryPartition implements WindowPartition, RowsInMemory {
  constructor(
    readonly rows: unknown[][],
    private readonly firsts: unknown[],
    private readonly groupOfs: number[],
    /** Per group: index of its first row; one extra entry holds the partition's length. */
    private readonly groupStarts: number[],
  ) {}

  get size(): number {
    return this.rows.length;
  }

  get groups(): number {
    return this.groupStarts.length - 1;
  }

  row(j: number): Row {
    return this.rows[j];
  }

  first(j: number): unknown {
    return this.firsts[j];
  }

  groupOf(j: number): number {
    return this.groupOfs[j];
  }

  groupStart(g: number): number {
    return this.groupStarts[g];
  }
}

/**
 * Rows s..e-1 of the sorted rows as one partition; `orderCols[k][j]` is ORDER BY key k of sorted
 * row j (folded by its collation).
 */
export function partitionOf(
  rows: unknown[][],
  s: number,
  e: number,
  orderCols: readonly (readonly unknown[])[],
): MemoryPartition {
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
  return new MemoryPartition(rows.slice(s, e), first, groupOf, groupStart);
}

/** compareValues with the common case (two numbers) first. */
export function compareKey(x: unknown, y: unknown): number {
  if (typeof x === 'number' && typeof y === 'number') return x < y ? -1 : x > y ? 1 : 0;
  return compareValues(x, y);
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

/** The calls grouped by specification, in order of first appearance (calls alike share one sort). */
export function specGroups(node: WindowPNode): { spec: WindowSpec; calls: number[] }[] {
  const groups = new Map<string, { spec: WindowSpec; calls: number[] }>();
  node.calls.forEach((c, i) => {
    const key = sameSpecKey(c.spec);
    const g = groups.get(key);
    if (g) g.calls.push(i);
    else groups.set(key, { spec: c.spec, calls: [i] });
  });
  return [...groups.values()];
}

/**
 * An input row as the operator's output row: a copy (input rows may be shared, the row cache)
 * with `slots` (the calls' values, null until computed) after its first `width` values; a row
 * narrower than the node's input is padded first.
 */
export function widenRow(r: Row, width: number, slots: readonly unknown[]): unknown[] {
  if (r.length === width) return joinedRow(r, slots);
  const row = r.slice(0, width);
  while (row.length < width) row.push(null);
  return joinedRow(row, slots);
}

/** Compute every window call over `input`, returning the rows (widened by the calls' slots) in window order. */
export function windowRows(node: WindowPNode, input: readonly Row[], ctx: ExecContext): Row[] {
  windowStats.rowsWindowed += input.length;
  const width = node.inputWidth;
  const slots = new Array<unknown>(node.calls.length).fill(null);
  let rows: unknown[][] = input.map((r) => widenRow(r, width, slots));
  for (const { spec, calls } of specGroups(node).reverse()) {
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
    const runners = calls.map((ci) => ({ slot: width + ci, run: callRunner(node.calls[ci], ctx) }));
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
