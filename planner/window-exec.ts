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
 * moves forward (linear per partition, the default frame included); other frames recompute
 * their accumulator from the frame's rows.
 */
import { compareValues } from '../storage/compare';
import { QueryError } from '../src/errors';
import type { Accumulator } from './aggregates';
import { makeAccumulator } from './aggregates';
import { compileExpr, compileTaggedExpr, typeOf } from './compile-expr';
import type { Evaluator, ExecContext, Row } from './compile-expr';
import type { Expr } from './expr';
import { jsonMode } from './json-subtype';
import type { WindowPNode } from './physical';
import { collationKey, exprCollation, valueCollation } from './sql-text';
import { truth } from './sql-values';
import { tagReal } from './tagged-real';
import type { FrameBound, WindowCall, WindowSpec } from './window';

/** A number from a value as SQLite's numeric checks read it (text that looks numeric counts); else null. */
function numeric(v: unknown): number | null {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string' && /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/.test(v)) return Number(v);
  return null;
}

/** sqlite3_value_int64's reading: NULL and non-numeric text are 0, REALs truncate. */
function int64(v: unknown): number {
  if (typeof v === 'string') return Math.trunc(numeric(v.trim().replace(/[^0-9+\-.eE].*$/, '')) ?? 0);
  const n = numeric(v);
  return n === null || !Number.isFinite(n) ? 0 : Math.trunc(n);
}

function fail(message: string): never {
  throw new QueryError(message, 'QUERY');
}

/** Whether two specifications sort and frame alike (calls over them share one pass). */
function sameSpecKey(spec: WindowSpec): string {
  return JSON.stringify(spec, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
}

/** Keys compared under their collations (NOCASE / RTRIM fold before comparing). */
function keyEvals(exprs: readonly Expr[], ctx: ExecContext): Evaluator[] {
  return exprs.map((e) => {
    const f = compileExpr(e, ctx).eval;
    const c = exprCollation(e);
    return c ? (row: Row) => collationKey(f(row), c) : f;
  });
}

function sameKeys(a: readonly unknown[], b: readonly unknown[]): boolean {
  for (let i = 0; i < a.length; i++) if (compareValues(a[i], b[i]) !== 0) return false;
  return true;
}

/** A partition in window order, with its peer groups (rows equal on every ORDER BY key). */
interface Partition {
  readonly rows: unknown[][];
  /** The (folded) first ORDER BY value per row, for RANGE offsets. */
  readonly first: unknown[];
  readonly groupOf: Int32Array;
  /** Per group: index of its first row; one extra entry holds the partition's length. */
  readonly groupStart: number[];
}

function partitionOf(rows: unknown[][], orderKeys: unknown[][]): Partition {
  const n = rows.length;
  const groupOf = new Int32Array(n);
  const groupStart: number[] = [];
  for (let i = 0; i < n; i++) {
    if (i === 0 || !sameKeys(orderKeys[i - 1], orderKeys[i])) groupStart.push(i);
    groupOf[i] = groupStart.length - 1;
  }
  groupStart.push(n);
  // BOOLEAN columns hold true/false: SQLite's RANGE arithmetic sees the integers 1 and 0.
  const first = orderKeys.map((k) =>
    k.length === 0 ? null : typeof k[0] === 'boolean' ? Number(k[0]) : k[0],
  );
  return { rows, first, groupOf, groupStart };
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
        return rangeEdge(p, i, offset, desc, b, isStart);
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
          // A NULL or non-integer offset finds no row (SQLite's rowid seek fails): the default.
          const k = offsetEval ? numeric(offsetEval(row)) : 1;
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
    for (let i = 0; i < n; i++) {
      const acc = fresh();
      for (const j of frameRows(p, i, spec, off)) add(acc, j);
      out(i, acc.result());
    }
  };
}

/** Compute every window call over `input`, returning the rows (widened by the calls' slots) in window order. */
export function windowRows(node: WindowPNode, input: readonly Row[], ctx: ExecContext): Row[] {
  const width = node.inputWidth;
  const k = node.calls.length;
  let rows: unknown[][] = input.map((r) => {
    const row = new Array<unknown>(width + k);
    for (let i = 0; i < width; i++) row[i] = r[i] ?? null;
    return row;
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
    const partKeys = keyEvals(spec.partitionBy, ctx);
    const orderKeys = keyEvals(
      spec.orderBy.map((o) => o.expr),
      ctx,
    );
    const desc = spec.orderBy.map((o) => o.desc);
    const keyed = rows.map((row) => ({
      row,
      part: partKeys.map((f) => f(row)),
      order: orderKeys.map((f) => f(row)),
    }));
    // Array.prototype.sort is stable: ties keep the order the previous window left them in.
    keyed.sort((x, y) => {
      for (let i = 0; i < x.part.length; i++) {
        const c = compareValues(x.part[i], y.part[i]);
        if (c !== 0) return c;
      }
      for (let i = 0; i < x.order.length; i++) {
        const c = compareValues(x.order[i], y.order[i]);
        if (c !== 0) return desc[i] ? -c : c;
      }
      return 0;
    });
    rows = keyed.map((x) => x.row);
    // SQLite checks the offsets when a row needs them: over no rows a bad offset is no error.
    if (keyed.length === 0) continue;
    const off = frameOffsets(spec, ctx);
    const runners = calls.map((ci) => {
      const c = node.calls[ci];
      return {
        slot: width + ci,
        run: c.kind === 'builtin' ? builtinRunner(c, ctx) : aggregateRunner(c, ctx),
      };
    });
    for (let s = 0; s < keyed.length;) {
      let e = s + 1;
      while (e < keyed.length && sameKeys(keyed[s].part, keyed[e].part)) e++;
      const part = partitionOf(
        rows.slice(s, e),
        keyed.slice(s, e).map((x) => x.order),
      );
      for (const r of runners) r.run(part, off, (i, v) => (part.rows[i][r.slot] = v));
      s = e;
    }
  }
  return rows;
}
