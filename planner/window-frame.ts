/**
 * Window frames over one partition, read through WindowPartition so that the same code serves a
 * partition held in memory (planner/window-exec.ts) and one kept in a temp segment
 * (planner/window-spill.ts). Frames follow SQLite: ROWS counts rows, GROUPS counts peer groups,
 * RANGE compares the single ORDER BY value (a NULL or non-numeric value bounds the frame at its
 * peers).
 */
import { compareValues } from '../storage/compare';
import { QueryError } from '../src/errors';
import { compileExpr } from './compile-expr';
import type { ExecContext, Row } from './compile-expr';
import { nullsFirst } from './logical';
import type { FrameBound, WindowSpec } from './window';

/** A partition in window order, with its peer groups (rows equal on every ORDER BY key). */
export interface WindowPartition {
  readonly size: number;
  /** Number of peer groups. */
  readonly groups: number;
  row(j: number): Row;
  /** The (folded) first ORDER BY value of row j, for RANGE offsets (booleans read as 1 and 0). */
  first(j: number): unknown;
  groupOf(j: number): number;
  /** Index of group g's first row; groupStart(groups) is the partition's size. */
  groupStart(g: number): number;
}

/**
 * Where the last RANGE edges were found: a spilled partition searches from there (its edges move
 * forward row by row) instead of bisecting the whole partition, which would read blocks from
 * all over the temp segment for every row.
 */
export interface EdgeHints {
  start: number;
  end: number;
}

export function fail(message: string): never {
  throw new QueryError(message, 'QUERY');
}

/** A number from a value as SQLite's numeric checks read it (text that looks numeric counts); else null. */
export function numeric(v: unknown): number | null {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string' && /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/.test(v)) return Number(v);
  return null;
}

export interface FrameOffsets {
  readonly start: number;
  readonly end: number;
}

/** Frame offsets are constants: checked once per execution with SQLite's messages. */
export function frameOffsets(spec: WindowSpec, ctx: ExecContext): FrameOffsets {
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

/** The first j in [0, n] where `before(j)` is false (`before` is true then false along j), bisecting. */
function bisect(n: number, before: (j: number) => boolean): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (before(mid)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** As bisect, galloping out from `hint` first: a few probes when the answer is near it. */
function gallop(n: number, before: (j: number) => boolean, hint: number): number {
  if (hint < 0 || hint > n) return bisect(n, before);
  let lo: number;
  let hi: number;
  if (hint < n && before(hint)) {
    lo = hint + 1;
    hi = lo;
    for (let step = 1; hi < n && before(hi); step *= 2) {
      lo = hi + 1;
      hi = Math.min(n, lo + step);
    }
  } else {
    hi = hint;
    let probe = hint - 1;
    for (let step = 1; probe >= 0 && !before(probe); step *= 2) {
      hi = probe;
      probe = hi - 2 * step;
    }
    lo = Math.max(0, probe + 1);
  }
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (before(mid)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * RANGE with an offset: the first row (from the start) or the row after the last (from the end)
 * whose value lies within `offset` of row i's value, in the window's direction. A NULL or
 * non-numeric current value bounds the frame at its peers (SQLite leaves it unchanged).
 */
function rangeEdge(
  p: WindowPartition,
  i: number,
  offset: number,
  desc: boolean,
  nullsAtStart: boolean,
  b: FrameBound,
  isStart: boolean,
  hints: EdgeHints | undefined,
): number {
  const v = p.first(i);
  const g = p.groupOf(i);
  if (typeof v !== 'number' && typeof v !== 'bigint') return isStart ? p.groupStart(g) : p.groupStart(g + 1);
  const x = Number(v);
  const towardStart = b.kind === 'preceding';
  // The bound value in sort order: PRECEDING moves against the sort direction.
  const target = towardStart !== desc ? x - offset : x + offset;
  // Row j is "before" the bound when it sorts strictly before target (or at/before it for an end).
  const before = (j: number): boolean => {
    const fj = p.first(j);
    // NULLs sit at one end of the order (NULLS FIRST/LAST may move them from where they compare).
    if (fj == null) return nullsAtStart;
    const c = compareValues(fj, target);
    const s = desc ? -c : c;
    return isStart ? s < 0 : s <= 0;
  };
  if (!hints) return bisect(p.size, before);
  const at = gallop(p.size, before, isStart ? hints.start : hints.end);
  if (isStart) hints.start = at;
  else hints.end = at;
  return at;
}

/** [start, end) of row i's frame before exclusions (may be empty: start >= end). */
export function frameRange(
  p: WindowPartition,
  i: number,
  spec: WindowSpec,
  off: FrameOffsets,
  hints?: EdgeHints,
): { s: number; e: number } {
  const n = p.size;
  const { unit, start, end } = spec.frame;
  const g = p.groupOf(i);
  const groups = p.groups;
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
        return isStart ? p.groupStart(g) : p.groupStart(g + 1);
      default: {
        const sign = b.kind === 'preceding' ? -1 : 1;
        if (unit === 'rows') return Math.min(n, Math.max(0, i + sign * offset + (isStart ? 0 : 1)));
        if (unit === 'groups') {
          const t = g + sign * offset + (isStart ? 0 : 1);
          return p.groupStart(Math.min(groups, Math.max(0, t)));
        }
        return rangeEdge(p, i, offset, desc, nullsAtStart, b, isStart, hints);
      }
    }
  };
  return { s: edge(start, off.start, true), e: edge(end, off.end, false) };
}

/**
 * Row i's frame after EXCLUDE as runs of rows: [from0, to0, from1, to1, …] (at most three runs,
 * each non-empty), so a frame is walked or indexed without listing its rows.
 */
export function frameRuns(
  p: WindowPartition,
  i: number,
  spec: WindowSpec,
  off: FrameOffsets,
  hints?: EdgeHints,
): number[] {
  const { s, e } = frameRange(p, i, spec, off, hints);
  const exclude = spec.frame.exclude;
  if (exclude === 'noOthers') return s < e ? [s, e] : [];
  let holes: number[];
  if (exclude === 'currentRow') holes = [i, i + 1];
  else {
    const g = p.groupOf(i);
    const gs = p.groupStart(g);
    const ge = p.groupStart(g + 1);
    holes = exclude === 'group' ? [gs, ge] : [gs, i, i + 1, ge];
  }
  const runs: number[] = [];
  let at = s;
  for (let h = 0; h < holes.length; h += 2) {
    const to = Math.min(holes[h], e);
    if (at < to) runs.push(at, to);
    at = Math.max(at, holes[h + 1]);
  }
  if (at < e) runs.push(at, e);
  return runs;
}
