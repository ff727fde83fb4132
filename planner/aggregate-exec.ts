/**
 * Aggregate: rows grouped by their GROUP BY values (one group without GROUP BY), each group's
 * accumulators fed row by row, groups produced in group-key order as SQLite's sorter gives them.
 *
 * Memory is bounded by the sort budget (ConnectOptions.sortBudgetBytes): groups are hashed in
 * memory until their estimated size passes it; then the rest of the input is sorted by group key
 * (planner/sort.ts, which spills) and aggregated as a stream, merged in key order with the groups
 * already held (a group met again in the stream goes on being fed). Accumulators never leave
 * memory, so any aggregate works; a group's first row stays its first row in scan order because
 * the sort is stable.
 */
import { compareValues } from '../storage/compare';
import { compileCollatedKey, compileExpr, compilePredicate, compileTaggedExpr } from './compile-expr';
import type { Row } from './compile-expr';
import { extremeLoads, makeAccumulator } from './aggregates';
import type { Accumulator } from './aggregates';
import { jsonMode } from './json-subtype';
import type { PhysicalPlan } from './physical';
import { collationKey, exprCollation, valueCollation } from './sql-text';
import { truth } from './sql-values';
import { GroupIndex } from './value-key';
import { untag } from './tagged-real';
import type { ExecEnv, Source } from './execute';
import { rowBytes } from './row-bytes';
import { sortSource } from './sort';
import type { SortKey } from './logical';
import { source } from './source';

/** Spills of the GROUP BY operator since the process started (tests count them). */
export const aggregateSpillStats = { spills: 0, streamedGroups: 0 };

/** One group of an aggregation (a class, not a literal: see planner/source.ts). */
class Group {
  constructor(
    readonly keys: unknown[],
    readonly accs: Accumulator[],
    /** The row bare columns are read from. */
    public rep: Row,
  ) {}
  /**
   * SQLite's skip flag, inverted: whether bare columns load at this row. Only a min()/max() step
   * sets it, so a row no min/max steps (a duplicate or NULL its DISTINCT dropped, a FILTER)
   * keeps it; before any step it says no (the first row is loaded as the group starts).
   */
  load = false;
}

export function aggregateRows(
  node: Extract<PhysicalPlan, { kind: 'Aggregate' }>,
  env: ExecEnv,
  input: Source,
  budgetBytes: number = Infinity,
): Source {
  // Tagged: a key typed per row shows its group's REAL as REAL (planner/tagged-real.ts).
  const groupEvals = node.groupBy.map((g) => compileTaggedExpr(g, env.ctx).eval);
  // A group key under NOCASE/RTRIM groups by its folded form and shows its first value.
  const groupFolds = node.groupBy.map((g) => {
    const c = exprCollation(g);
    return c ? (v: unknown) => collationKey(v, c) : null;
  });
  const folding = groupFolds.some((f) => f !== null);
  // Tagged: SUM, MIN and MAX over values typed per row must know which whole numbers are REAL.
  const argEvals = node.aggregates.map((a) => (a.arg ? compileTaggedExpr(a.arg, env.ctx) : null));
  const moreEvals = node.aggregates.map((a) => a.more.map((m) => compileExpr(m, env.ctx)));
  const filters = node.aggregates.map((a) => (a.filter ? compilePredicate(a.filter, env.ctx) : null));
  // An ORDER BY in a call: its key values follow the further arguments (makeAccumulator).
  const orderEvals = node.aggregates.map((a) =>
    (a.orderBy ?? []).map((k) => compileCollatedKey(k.expr, env.ctx)),
  );
  // With a MIN/MAX, bare columns come from the row holding the extreme (SQLite's rule; see feed).
  const extremes = node.aggregates.some((a) => a.fn === 'min' || a.fn === 'max');
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
        a.orderBy,
      ),
    );
  /*
   * Bare columns, as SQLite's aggregate loop loads them: from a group's first row, and then, when
   * there is a min()/max(), from every row the last min/max stepped does not decline (a step
   * declines a NULL once it holds a value, and a value no better than the one it holds; each
   * step resets the flag, so the last one decides). So the row of the extreme shows, and a group
   * whose values are all NULL shows its last row.
   */
  const feed = (g: Group, row: Row): void => {
    let load = g.load;
    for (let i = 0; i < g.accs.length; i++) {
      const filter = filters[i];
      if (filter && truth(filter(row)) !== true) continue;
      const ev = argEvals[i];
      const more = moreEvals[i];
      const order = orderEvals[i];
      const acc = g.accs[i];
      acc.add(
        ev ? ev.eval(row) : 1,
        order.length > 0
          ? [...more.map((m) => m.eval(row)), ...order.map((o) => o(row))]
          : more.length
            ? more.map((m) => m.eval(row))
            : undefined,
      );
      load = extremeLoads(acc) ?? load;
    }
    g.load = load;
    if (extremes && load) g.rep = row;
  };
  // Estimated heap of one more group: its first row, key values and accumulators.
  const groupBytes = 64 + 8 * groupEvals.length + 48 * node.aggregates.length;
  let bytes = 0;
  let overflow: Row | null = null;
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
        if ((bytes += groupBytes + rowBytes(row)) > budgetBytes) {
          overflow = row;
          break;
        }
        g = new Group([v], newAccs(), row);
        groups.addOne(v, g);
      }
    } else {
      const keys = groupEvals.map((f) => f(row));
      const lookup = folding ? keys.map((v, i) => groupFolds[i]?.(v) ?? v) : keys;
      g = groups.find(lookup);
      if (!g) {
        if ((bytes += groupBytes + rowBytes(row)) > budgetBytes) {
          overflow = row;
          break;
        }
        g = new Group(keys, newAccs(), row);
        groups.add(lookup, g);
      }
    }
    feed(g, row);
  }
  if (groups.size === 0 && node.groupBy.length === 0) {
    groups.add([], new Group([], newAccs(), new Array<unknown>(node.inputWidth).fill(null)));
  }
  const width = node.inputWidth;
  const nk = node.groupBy.length;
  // With one min()/max(), SQLite reads the group's values, like its bare columns, from the row
  // that aggregate chose: under NOCASE/RTRIM that row's spelling of the key shows.
  const keysShown =
    extremes && folding ? (g: Group) => groupEvals.map((f) => f(g.rep)) : (g: Group) => g.keys;
  const rowOf = (g: Group): Row => {
    const row = new Array<unknown>(width + g.keys.length + g.accs.length);
    for (let i = 0; i < width; i++) row[i] = g.rep[i] ?? null;
    keysShown(g).forEach((v, i) => (row[width + i] = v));
    g.accs.forEach((a, i) => (row[width + g.keys.length + i] = a.result()));
    return row;
  };
  // Group keys as compared for order and sameness: folded under NOCASE/RTRIM.
  const folded = (keys: readonly unknown[], i: number): unknown => {
    const fold = groupFolds[i];
    const v = untag(keys[i]);
    return fold ? fold(v) : v;
  };
  const compareKeys = (a: readonly unknown[], b: readonly unknown[]): number => {
    for (let i = 0; i < nk; i++) {
      const c = compareValues(folded(a, i), folded(b, i));
      if (c !== 0) return c;
    }
    return 0;
  };
  // Groups come out in group-key order, as SQLite's sorter produces them.
  const held = groups.values().sort((a, b) => compareKeys(a.keys, b.keys));
  if (overflow === null) {
    const out = held.map(rowOf);
    let i = 0;
    return source(() => (i < out.length ? out[i++] : null));
  }
  aggregateSpillStats.spills++;
  // The rest of the input, the overflowing row first, sorted by group key (stable: scan order
  // within a group), then merged with the held groups.
  let first: Row | null = overflow;
  const rest = {
    next: (): Row | null => {
      const r = first;
      first = null;
      return r ?? input.next();
    },
  };
  const keyEvals = node.groupBy.map((g, i) => {
    const f = compileExpr(g, env.ctx).eval;
    const fold = groupFolds[i];
    return fold ? (row: Row) => fold(f(row)) : f;
  });
  const sortKeys: SortKey[] = node.groupBy.map((expr) => ({ expr, desc: false }));
  const sorted = sortSource(rest, keyEvals, sortKeys, budgetBytes);
  let h = 0;
  let current: Group | null = null;
  let done = false;
  const ready: Row[] = [];
  return source(() => {
    while (ready.length === 0 && !done) {
      const row = sorted.next();
      if (row === null) {
        if (current) ready.push(rowOf(current));
        current = null;
        while (h < held.length) ready.push(rowOf(held[h++]));
        done = true;
        break;
      }
      const keys = groupEvals.map((f) => f(row));
      if (current && compareKeys(current.keys, keys) === 0) {
        feed(current, row);
        continue;
      }
      if (current) ready.push(rowOf(current));
      current = null;
      while (h < held.length && compareKeys(held[h].keys, keys) < 0) ready.push(rowOf(held[h++]));
      if (h < held.length && compareKeys(held[h].keys, keys) === 0) {
        feed(held[h], row);
        continue;
      }
      current = new Group(keys, newAccs(), row);
      aggregateSpillStats.streamedGroups++;
      feed(current, row);
    }
    return ready.shift() ?? null;
  });
}
