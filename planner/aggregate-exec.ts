/**
 * Aggregate: rows grouped by their GROUP BY values (one group without GROUP BY), each group's
 * accumulators fed row by row, groups produced in group-key order as SQLite's sorter gives them.
 */
import { compareValues } from '../storage/compare';
import { compileExpr, compileTaggedExpr } from './compile-expr';
import type { Row } from './compile-expr';
import { extremeImproved, makeAccumulator } from './aggregates';
import type { Accumulator } from './aggregates';
import { jsonMode } from './json-subtype';
import type { PhysicalPlan } from './physical';
import { collationKey, exprCollation, valueCollation } from './sql-text';
import { truth } from './sql-values';
import { GroupIndex } from './value-key';
import type { ExecEnv, Source } from './execute';

/** One group of an aggregation (a class, not a literal: see planner/source.ts). */
class Group {
  constructor(
    readonly keys: unknown[],
    readonly accs: Accumulator[],
    /** The row bare columns are read from. */
    public rep: Row,
  ) {}
  /** SQLite's skip flag, inverted: whether the last min()/max() that saw a value improved. */
  improved = false;
}

export function aggregateRows(
  node: Extract<PhysicalPlan, { kind: 'Aggregate' }>,
  env: ExecEnv,
  input: Source,
): Row[] {
  const groupEvals = node.groupBy.map((g) => compileExpr(g, env.ctx).eval);
  // A group key under NOCASE/RTRIM groups by its folded form and shows its first value.
  const groupFolds = node.groupBy.map((g) => {
    const c = exprCollation(g);
    return c ? (v: unknown) => collationKey(v, c) : null;
  });
  const folding = groupFolds.some((f) => f !== null);
  // Tagged: SUM, MIN and MAX over values typed per row must know which whole numbers are REAL.
  const argEvals = node.aggregates.map((a) => (a.arg ? compileTaggedExpr(a.arg, env.ctx) : null));
  const moreEvals = node.aggregates.map((a) => a.more.map((m) => compileExpr(m, env.ctx)));
  const filters = node.aggregates.map((a) => (a.filter ? compileExpr(a.filter, env.ctx).eval : null));
  // With min()/max() aggregates, bare columns come from the last row where the last of them to
  // see a value set a new extreme (SQLite's skip flag, which each min/max step overwrites): with
  // one min/max, the row holding the extreme.
  const isExtreme = node.aggregates.map((a) => a.fn === 'min' || a.fn === 'max');
  const anyExtreme = isExtreme.includes(true);
  const groups = new GroupIndex<Group>();
  const single = groupEvals.length === 1 ? groupEvals[0] : null;
  const collations = node.aggregates.map((a) => (a.arg ? valueCollation(a.arg) : undefined));
  // The JSON aggregates embed a value that carries SQLite's JSON subtype (json_group_array(json(x))).
  const valueModes = node.aggregates.map((a) =>
    jsonMode(a.fn === 'json_group_object' ? (a.more[0] ?? null) : a.arg),
  );
  const newAccs = (): Accumulator[] =>
    node.aggregates.map((a, i) =>
      makeAccumulator(
        a.fn,
        a.arg === null,
        a.distinct,
        argEvals[i]?.type ?? 'integer',
        moreEvals[i].map((m) => m.type),
        collations[i],
        valueModes[i],
      ),
    );
  // Without GROUP BY every row is in the one group: no key to compute or look up per row.
  let whole: Group | null = null;
  for (let row = input.next(); row !== null; row = input.next()) {
    let g: Group | undefined;
    if (groupEvals.length === 0) {
      if (whole === null) {
        whole = new Group([], newAccs(), row);
        groups.add([], whole);
      }
      g = whole;
    } else if (single && !folding) {
      // One grouping value (the common case): no per-row key array or key string.
      const v = single(row);
      g = groups.findOne(v);
      if (!g) {
        g = new Group([v], newAccs(), row);
        groups.addOne(v, g);
      }
    } else {
      const keys = groupEvals.map((f) => f(row));
      const lookup = folding ? keys.map((v, i) => groupFolds[i]?.(v) ?? v) : keys;
      g = groups.find(lookup);
      if (!g) {
        g = new Group(keys, newAccs(), row);
        groups.add(lookup, g);
      }
    }
    let improved = g.improved;
    for (let i = 0; i < g.accs.length; i++) {
      const filter = filters[i];
      if (filter && truth(filter(row)) !== true) continue;
      const ev = argEvals[i];
      const more = moreEvals[i];
      const acc = g.accs[i];
      acc.add(ev ? ev.eval(row) : 1, more.length ? more.map((m) => m.eval(row)) : undefined);
      if (isExtreme[i]) improved = extremeImproved(acc) ?? improved;
    }
    // Bare columns read the row min()/max() chose, else the group's first row in scan order (what
    // SQLite 3.4x+ returns; older releases gave the last).
    g.improved = improved;
    if (anyExtreme && improved) g.rep = row;
  }
  if (groups.size === 0 && node.groupBy.length === 0) {
    groups.add([], new Group([], newAccs(), new Array<unknown>(node.inputWidth).fill(null)));
  }
  const out: Row[] = [];
  for (const g of groups.values()) {
    const row = new Array<unknown>(node.inputWidth + g.keys.length + g.accs.length);
    for (let i = 0; i < node.inputWidth; i++) row[i] = g.rep[i] ?? null;
    g.keys.forEach((v, i) => (row[node.inputWidth + i] = v));
    g.accs.forEach((a, i) => (row[node.inputWidth + g.keys.length + i] = a.result()));
    out.push(row);
  }
  // Groups come out in group-key order, as SQLite's sorter produces them.
  const width = node.inputWidth;
  const nk = node.groupBy.length;
  out.sort((a, b) => {
    for (let i = 0; i < nk; i++) {
      const fold = groupFolds[i];
      const c = fold
        ? compareValues(fold(a[width + i]), fold(b[width + i]))
        : compareValues(a[width + i], b[width + i]);
      if (c !== 0) return c;
    }
    return 0;
  });
  return out;
}
