/**
 * Window function calls over one partition (planner/window-frame.ts WindowPartition), each value
 * handed to `out(i, v)` for row i. Values come out in row order, except the aggregates that walk
 * a frame ending at UNBOUNDED FOLLOWING, which hand them out from the last row to the first.
 *
 * An aggregate whose frame starts at UNBOUNDED PRECEDING without EXCLUDE grows one accumulator
 * as the frame's end moves forward (linear per partition, the default frame included);
 * count/sum/total/avg/min/max over a frame ending at UNBOUNDED FOLLOWING grow one walking
 * backwards; other frames recompute their accumulator from the frame's rows.
 */
import type { Accumulator } from './aggregates';
import { makeAccumulator } from './aggregates';
import { compileExpr, compilePredicate, compileTaggedExpr } from './compile-expr';
import { typeOf } from './expr-type';
import type { Evaluator, ExecContext, Row } from './compile-expr';
import type { Expr } from './expr';
import { jsonMode } from './json-subtype';
import { valueCollation } from './sql-text';
import { truth } from './sql-values';
import { tagReal } from './tagged-real';
import type { WindowCall } from './window';
import { fail, frameRange, frameRuns, numeric } from './window-frame';
import type { EdgeHints, FrameOffsets, WindowPartition } from './window-frame';

export type PartitionRunner = (
  p: WindowPartition,
  off: FrameOffsets,
  out: (i: number, v: unknown) => void,
) => void;

/**
 * A partition whose rows are one array: aggregates evaluate their inputs once per row into
 * arrays beside it. Other partitions (a spilled one) evaluate them as rows are read.
 */
export interface RowsInMemory {
  readonly rows: readonly Row[];
}

function inMemory(p: WindowPartition): p is WindowPartition & RowsInMemory {
  return 'rows' in p;
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

/** An evaluator whose whole-number REALs stay recognisable when the call's type is not REAL. */
function valueEval(e: Expr, resultType: string, ctx: ExecContext): Evaluator {
  if (resultType !== 'any') return compileExpr(e, ctx).eval;
  if (typeOf(e) === 'real') {
    const f = compileExpr(e, ctx).eval;
    return (row) => tagReal(f(row));
  }
  return compileTaggedExpr(e, ctx).eval;
}

function positiveInt(v: unknown): number | null {
  const n = numeric(v);
  return n !== null && Number.isInteger(n) && n > 0 ? n : null;
}

/** The runner of one call; `hints` (spilled partitions) makes RANGE edges search from the last ones. */
export function callRunner(c: WindowCall, ctx: ExecContext, hints?: () => EdgeHints): PartitionRunner {
  return c.kind === 'builtin' ? builtinRunner(c, ctx, hints) : aggregateRunner(c, ctx, hints);
}

function builtinRunner(
  c: Extract<WindowCall, { kind: 'builtin' }>,
  ctx: ExecContext,
  hints?: () => EdgeHints,
): PartitionRunner {
  const args = c.args.map((a) => valueEval(a, c.type, ctx));
  const spec = c.spec;
  switch (c.fn) {
    case 'row_number':
      return (p, _o, out) => {
        for (let i = 0; i < p.size; i++) out(i, i + 1);
      };
    case 'rank':
      return (p, _o, out) => {
        for (let i = 0; i < p.size; i++) out(i, p.groupStart(p.groupOf(i)) + 1);
      };
    case 'dense_rank':
      return (p, _o, out) => {
        for (let i = 0; i < p.size; i++) out(i, p.groupOf(i) + 1);
      };
    case 'percent_rank':
      return (p, _o, out) => {
        const n = p.size;
        for (let i = 0; i < n; i++) out(i, n > 1 ? p.groupStart(p.groupOf(i)) / (n - 1) : 0);
      };
    case 'cume_dist':
      return (p, _o, out) => {
        const n = p.size;
        for (let i = 0; i < n; i++) out(i, p.groupStart(p.groupOf(i) + 1) / n);
      };
    case 'ntile': {
      const arg = compileExpr(c.args[0], ctx).eval;
      return (p, _o, out) => {
        // SQLite reads the bucket count from the partition's first row.
        const buckets = int64(arg(p.row(0)));
        if (buckets <= 0) fail('argument of ntile must be a positive integer');
        const n = p.size;
        const size = Math.floor(n / buckets);
        const large = n % buckets;
        const bigRows = large * (size + 1);
        for (let i = 0; i < n; i++)
          out(i, i < bigRows ? Math.floor(i / (size + 1)) + 1 : Math.floor((i - bigRows) / size) + large + 1);
      };
    }
    case 'lag':
    case 'lead': {
      const offsetEval = c.args[1] ? compileExpr(c.args[1], ctx).eval : null;
      const dflt = args[2] ?? null;
      const sign = c.fn === 'lag' ? -1 : 1;
      return (p, _o, out) => {
        const n = p.size;
        for (let i = 0; i < n; i++) {
          const row = p.row(i);
          // SQLite adds the offset to a row number and seeks it: a NULL or non-integer offset
          // finds no row (the default), text counts by its numeric prefix.
          const k = offsetEval ? arithmetic(offsetEval(row)) : 1;
          const j = k !== null && Number.isInteger(k) ? i + sign * k : -1;
          out(i, j >= 0 && j < n ? args[0](p.row(j)) : dflt ? dflt(row) : null);
        }
      };
    }
    case 'first_value':
    case 'last_value':
    case 'nth_value': {
      const nth = c.fn === 'nth_value' ? compileExpr(c.args[1], ctx).eval : null;
      return (p, off, out) => {
        const h = hints?.();
        for (let i = 0; i < p.size; i++) {
          // The frame as runs of rows: the k-th row is found by counting runs, not listing rows.
          const runs = frameRuns(p, i, spec, off, h);
          let len = 0;
          for (let r = 0; r < runs.length; r += 2) len += runs[r + 1] - runs[r];
          let k: number;
          if (nth) {
            const want = positiveInt(nth(p.row(i)));
            if (want === null) fail('second argument to nth_value must be a positive integer');
            k = want - 1;
          } else k = c.fn === 'first_value' ? 0 : len - 1;
          let at = -1;
          if (k >= 0 && k < len)
            for (let r = 0; r < runs.length; r += 2) {
              const run = runs[r + 1] - runs[r];
              if (k < run) {
                at = runs[r] + k;
                break;
              }
              k -= run;
            }
          out(i, at >= 0 ? args[0](p.row(at)) : null);
        }
      };
    }
  }
}

/** Aggregates whose value is the same whatever order their rows are added in. */
const ORDER_FREE: ReadonlySet<string> = new Set(['count', 'sum', 'total', 'avg', 'min', 'max']);

function aggregateRunner(
  c: Extract<WindowCall, { kind: 'aggregate' }>,
  ctx: ExecContext,
  hints?: () => EdgeHints,
): PartitionRunner {
  const a = c.agg;
  // Tagged like the Aggregate operator's arguments: SUM/MIN/MAX must see which whole numbers are REAL.
  const arg = a.arg ? compileTaggedExpr(a.arg, ctx) : null;
  const more = a.more.map((m) => compileExpr(m, ctx));
  const filter = a.filter ? compilePredicate(a.filter, ctx) : null;
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
  /** Row j added to `acc` unless FILTERed out: inputs read once per row in memory, as read otherwise. */
  const adder = (p: WindowPartition): ((acc: Accumulator, j: number) => void) => {
    if (!inMemory(p))
      return (acc, j) => {
        const row = p.row(j);
        if (filter && truth(filter(row)) !== true) return;
        acc.add(arg ? arg.eval(row) : 1, more.length ? more.map((m) => m.eval(row)) : undefined);
      };
    const values = p.rows.map((row) => (arg ? arg.eval(row) : 1));
    const extras = more.length ? p.rows.map((row) => more.map((m) => m.eval(row))) : null;
    const keep = filter ? p.rows.map((row) => truth(filter(row)) === true) : null;
    return (acc, j) => {
      if (keep && !keep[j]) return;
      acc.add(values[j], extras ? extras[j] : undefined);
    };
  };
  return (p, off, out) => {
    const n = p.size;
    const add = adder(p);
    const h = hints?.();
    if (growing) {
      let acc = fresh();
      let added = 0;
      for (let i = 0; i < n; i++) {
        const { e } = frameRange(p, i, spec, off, h);
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
        const start = Math.min(n, Math.max(0, frameRange(p, i, spec, off, h).s));
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
      const runs = frameRuns(p, i, spec, off, h);
      for (let r = 0; r < runs.length; r += 2) for (let j = runs[r]; j < runs[r + 1]; j++) add(acc, j);
      out(i, acc.result());
    }
  };
}
