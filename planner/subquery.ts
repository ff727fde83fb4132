/**
 * Subqueries at run time: an uncorrelated plan runs at most once per statement execution (on
 * first use, through ExecContext.runPlan) and its rows are kept for the rest of the execution;
 * a correlated one runs for each outer row, with its outer columns bound (planner/outer-refs.ts),
 * unless planner/scalar-decorrelate.ts picks, once per execution, a grouped form (computed once,
 * hash-probed) or memoized per-row runs.
 * IN builds a hash set keyed the way the comparison sees values (collation, affinity), so NOT IN
 * over a large set stays one lookup per row.
 */
import { InternalError } from '../src/errors';
import type { Evaluator, ExecContext, Row } from './compile-expr';
import { E } from './expr';
import type { RowKey, SubqueryExpr } from './expr';
import { L } from './logical';
import type { LogicalPlan } from './logical';
import { rowIn, rowInSet } from './row-in';
import type { RowInSet } from './row-in';
import { collationKey } from './sql-text';
import { toText } from './sqlite-cast';
import { withOuterValues } from './outer-refs';
import { TaggedReal, tagReal, untag } from './tagged-real';
import type { ExistsProbe, ScalarProbe } from './exists-probe';
import { GroupIndex, valueKey } from './value-key';
import { correlatedForm } from './scalar-decorrelate';
import type { CorrelatedForm, GroupedScalar } from './scalar-decorrelate';

/** SQLite's text affinity applied to a comparison operand: numbers become their text. */
function textAffinity(v: unknown): unknown {
  return typeof v === 'number' || typeof v === 'bigint' ? toText(v, false) : v;
}

interface InSet {
  readonly empty: boolean;
  readonly sawNull: boolean;
  readonly keys: ReadonlySet<string>;
}

/**
 * The hash key under which IN (SELECT …) compares a value: equal keys for exactly the values the
 * comparison finds equal (its collation and affinity).
 */
export function inKeyOf(e: RowKey, numericAffinity: (v: unknown) => unknown): (v: unknown) => string {
  const convert =
    e.affinity === 'numeric' ? numericAffinity : e.affinity === 'text' ? textAffinity : (v: unknown) => v;
  const collation = e.collation ?? 'binary';
  // A tagged REAL (an 'any' column's, planner/tagged-real.ts) takes text affinity as '3.0'.
  const untagged = (v: unknown): unknown =>
    v instanceof TaggedReal ? (e.affinity === 'text' ? toText(v.value, true) : v.value) : v;
  return (v) => valueKey(collationKey(convert(untagged(v)), collation));
}

/** Correlated results remembered per execution, by exact bound values. */
const MEMO_MAX_KEYS = 50_000;
const MEMO_MAX_ROWS = 500_000;

/**
 * A key telling bound values apart exactly as a subquery could (1 from '1', a REAL from an
 * INTEGER, 'a' from 'A'); null for a value it does not know, which is then not remembered.
 */
function exactKey(values: readonly unknown[]): string | null {
  let out = '';
  for (const v of values) {
    let k: string;
    if (v === null || v === undefined) k = 'z';
    else if (typeof v === 'number') k = Object.is(v, -0) ? 'n-0' : `n${v}`;
    else if (typeof v === 'bigint') k = `i${v}`;
    else if (typeof v === 'string') k = `s${v.length}:${v}`;
    else if (typeof v === 'boolean') k = v ? 't' : 'f';
    else if (v instanceof TaggedReal) k = `r${v.value}`;
    else if (v instanceof Uint8Array)
      k = `b${Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex')}`;
    else return null;
    out += `${k}\u0000`;
  }
  return out;
}

/**
 * Results of one correlated subquery for one execution (a class: see planner/run.ts). Keeping
 * results alive costs more than it saves when keys rarely repeat (every key unique: the bench's
 * customers), so after MEMO_TRIAL runs a memo with fewer than one hit in MEMO_MIN_HIT_RATIO
 * probes lets its results go and stops remembering.
 */
class Memo {
  readonly results = new Map<string, readonly Row[]>();
  rows = 0;
  probes = 0;
  hits = 0;
}
const MEMO_TRIAL = 1024;
const MEMO_MIN_HIT_RATIO = 4;

/**
 * A correlated scalar aggregate run per row through an index switches to its grouped form once
 * its runs have cost about one grouping pass (ski rental: a large outer side pays at most about
 * twice the better form's cost; a small one never groups). Measured (bench/decorrelate.ts,
 * `count(*)` of orders per customer, 200k orders): a run ~2.3 µs, grouping ~55 ns an inner row
 * (11 ms): a run costs about INNER_ROWS_PER_RUN rows of grouping.
 */
const INNER_ROWS_PER_RUN = 32;
/** ...and never before this many runs (grouping a small table is cheap, but so are a few runs). */
const SWITCH_MIN_RUNS = 64;

/** Switches from the per-row to the grouped form since the process started (tests count them). */
export const correlatedSwitchStats = { switches: 0 };

/** Runs before a per-row form with an exact grouped form switches to it; -1: never. */
function groupedSwitchAt(ctx: ExecContext, form: CorrelatedForm): number {
  if (form.kind !== 'perRow' || form.grouped === undefined) return -1;
  const rows = ctx.tableRows?.(form.grouped.plan) ?? null;
  return rows === null ? -1 : Math.max(SWITCH_MIN_RUNS, Math.ceil(rows / INNER_ROWS_PER_RUN));
}

/**
 * A grouped correlated scalar (planner/scalar-decorrelate.ts): rows per group key, the empty
 * group's answer, for one execution.
 */
class GroupedRows {
  readonly byKey = new GroupIndex<Row>();
  /** Computed on the first probe without a group (it costs a run of the per-row plan). */
  empty: Row | undefined | null = null;
}

/** What a probed EXISTS (planner/exists-probe.ts) found: only the count matters. */
const ONE_ROW: readonly Row[] = [[]];
const NO_ROWS: readonly Row[] = [];

/** Each EXISTS subquery's plan cut to its first row (one object per plan: runs plan it once). */
const firstRowPlans = new WeakMap<LogicalPlan, LogicalPlan>();

/**
 * What an EXISTS runs: its plan under LIMIT 1, so a run stops at the first row (SQLite's does)
 * instead of reading every row of a large match, per outer row when correlated.
 */
function existsPlan(plan: LogicalPlan): LogicalPlan {
  // A LIMIT of its own (with an OFFSET, perhaps) is kept: the planner takes one LIMIT a query.
  if (plan.kind === 'limit') return plan;
  let cut = firstRowPlans.get(plan);
  if (cut === undefined) firstRowPlans.set(plan, (cut = L.limit(plan, E.literal(1), null)));
  return cut;
}

export function compileSubquery(
  e: SubqueryExpr,
  ctx: ExecContext,
  arg: Evaluator | null,
  numericAffinity: (v: unknown) => unknown,
  bindings: readonly Evaluator[] = [],
): Evaluator {
  let runner: ExecContext['runPlan'] | null = null;
  let rows: readonly Row[] = [];
  let inSet: InSet | null = null;
  const keys = (e.correlated ?? []).map((b) => b.key);
  const runs = e.mode === 'exists' ? existsPlan(e.plan) : e.plan;
  const correlated = keys.length > 0;
  // How a correlated subquery runs is decided once per execution (planner/scalar-decorrelate.ts).
  let form: CorrelatedForm = { kind: 'perRow' };
  let memo: Memo | null = null;
  let grouped: GroupedRows | null = null;
  let switchLeft = -1;
  // A correlated EXISTS of a simple shape probes its lookup instead of running its plan per row;
  // keyed by its only outer value, it takes that value directly, with nothing bound.
  let probe: ExistsProbe | null = null;
  let direct: Evaluator | null = null;
  // A correlated scalar of the same shape keyed by its only outer value: its first row, probed.
  let firstRow: ScalarProbe | null = null;
  const fresh = (run: NonNullable<ExecContext['runPlan']>): void => {
    runner = run;
    probe = e.mode === 'exists' ? (ctx.probeOf?.(runs) ?? null) : null;
    direct = probe !== null && keys.length === 1 && probe.outerKey === keys[0] ? bindings[0] : null;
    // A correlated IN of one column takes every row the same way (its values, then the operand).
    const probed = e.mode === 'scalar' || (e.mode === 'in' && e.rowKeys === undefined);
    firstRow = probed && keys.length === 1 ? (ctx.scalarProbeOf?.(runs) ?? null) : null;
    if (firstRow !== null && firstRow.outerKey !== keys[0]) firstRow = null;
    form = correlatedForm(e, ctx.planOf);
    memo = form.kind === 'memo' ? new Memo() : null;
    grouped = null;
    switchLeft = groupedSwitchAt(ctx, form);
  };
  const groupedRows = (run: NonNullable<ExecContext['runPlan']>, g: GroupedScalar): GroupedRows => {
    const out = new GroupedRows();
    const n = g.binding.length;
    for (const r of run(g.plan)) {
      // Keys compare as `=` does: a tagged whole REAL equals its number.
      const k = r.slice(0, n).map(untag);
      // A NULL group key never equals an outer key; the first row of a group is its answer.
      if (!k.includes(null) && out.byKey.find(k) === undefined) out.byKey.add(k, r.slice(n));
    }
    return out;
  };
  const rowsOf = (row: Row): readonly Row[] => {
    const run = ctx.runPlan;
    if (run === undefined) throw new InternalError('subquery run without an executor', 'INTERNAL');
    if (correlated) {
      if (runner !== run) fresh(run);
      if (direct !== null && probe !== null) return (rows = probe.withKey(direct(row)) ? ONE_ROW : NO_ROWS);
      if (firstRow !== null) {
        const r = firstRow.first(bindings[0](row));
        return (rows = r === null ? NO_ROWS : [r]);
      }
      const bound = bindings.map((f) => f(row));
      inSet = null;
      if (switchLeft > 0 && --switchLeft === 0 && form.kind === 'perRow' && form.grouped !== undefined) {
        form = { kind: 'grouped', grouped: form.grouped };
        correlatedSwitchStats.switches++;
      }
      if (form.kind === 'grouped') {
        const g = form.grouped;
        grouped ??= groupedRows(run, g);
        const k = g.binding.map((i) => untag(bound[i] ?? null));
        let answer = k.includes(null) ? undefined : grouped.byKey.find(k);
        // The empty group's answer: the per-row form with every key NULL sees no row (`=` never
        // holds for NULL).
        if (answer === undefined && grouped.empty === null)
          grouped.empty = withOuterValues(
            keys,
            keys.map(() => null),
            () => run(e.plan),
          )[0];
        answer ??= grouped.empty ?? undefined;
        rows = answer === undefined ? [] : [answer];
        return rows;
      }
      let m = memo as Memo | null;
      if (m !== null && ++m.probes === MEMO_TRIAL && m.hits * MEMO_MIN_HIT_RATIO < m.probes) {
        memo = m = null;
      }
      const mk = m === null ? null : exactKey(bound);
      if (m !== null && mk !== null) {
        const hit = m.results.get(mk);
        if (hit !== undefined) {
          m.hits++;
          return (rows = hit);
        }
      }
      // A correlated subquery runs again for every outer row, its outer columns bound first.
      const p = probe;
      rows = withOuterValues(keys, bound, () => (p === null ? run(runs) : p.run() ? ONE_ROW : NO_ROWS));
      if (
        m !== null &&
        mk !== null &&
        m.results.size < MEMO_MAX_KEYS &&
        m.rows + rows.length <= MEMO_MAX_ROWS
      ) {
        m.results.set(mk, rows);
        m.rows += rows.length;
      }
    } else if (runner !== run) {
      runner = run;
      rows = run(runs);
      inSet = null;
    }
    return rows;
  };
  if (e.mode === 'scalar') {
    const column = e.column ?? 0;
    if (!e.storageClass) return (row) => rowsOf(row)[0]?.[column] ?? null;
    return (row) => {
      const first = rowsOf(row)[0];
      if (first === undefined) return null;
      const v = first[0] ?? null;
      return first[1] === 'real' && typeof v === 'number' ? tagReal(v) : v;
    };
  }
  if (e.mode === 'exists') {
    const yes = e.negated ? 0 : 1;
    return (row) => (rowsOf(row).length > 0 ? yes : 1 - yes);
  }
  if (!arg) throw new InternalError('IN subquery without a left operand', 'INTERNAL');
  if (e.rowKeys !== undefined) {
    const keyOf = e.rowKeys.map((k) => inKeyOf(k, numericAffinity));
    // One set per run of the plan (an uncorrelated plan's rows, a memoized correlated result).
    const rowSets = new WeakMap<readonly Row[], RowInSet>();
    const setOf = (row: Row): RowInSet => {
      const all = rowsOf(row);
      let set = rowSets.get(all);
      if (set === undefined) rowSets.set(all, (set = rowInSet(all, keyOf)));
      return set;
    };
    return rowIn(setOf, arg, keyOf, e.negated);
  }
  const key = inKeyOf(e, numericAffinity);
  // A memoized correlated IN meets the same rows again: their set is kept with them.
  const sets = new WeakMap<readonly Row[], InSet>();
  const setOf = (row: Row): InSet => {
    const all = rowsOf(row);
    if (inSet) return inSet;
    const known = sets.get(all);
    if (known) return (inSet = known);
    const keys = new Set<string>();
    let sawNull = false;
    for (const r of all) {
      const v = r[0] ?? null;
      if (v === null) sawNull = true;
      else keys.add(key(v));
    }
    inSet = { empty: all.length === 0, sawNull, keys };
    sets.set(all, inSet);
    return inSet;
  };
  const negated = e.negated;
  // A correlated IN answered by a probe: its values read into `seen`, no set built, no operators.
  const seen: unknown[] = [];
  const collect = (r: Row): void => {
    seen.push(r[0] ?? null);
  };
  const probed = (row: Row): 0 | 1 | null | undefined => {
    const run = ctx.runPlan;
    if (!correlated || run === undefined) return undefined;
    if (runner !== run) fresh(run);
    const p = firstRow as ScalarProbe | null;
    if (p === null) return undefined;
    seen.length = 0;
    p.each(bindings[0](row), collect);
    // As from the set below: an empty set decides before the operand is looked at.
    if (seen.length === 0) return negated ? 1 : 0;
    const v = arg(row);
    if (v === null) return null;
    const k = key(v);
    let sawNull = false;
    for (const x of seen) {
      if (x === null) sawNull = true;
      else if (key(x) === k) return negated ? 0 : 1;
    }
    return sawNull ? null : negated ? 1 : 0;
  };
  return (row) => {
    const answer = probed(row);
    if (answer !== undefined) return answer;
    const set = setOf(row);
    // An empty set decides before the operand is looked at, even a NULL one.
    if (set.empty) return negated ? 1 : 0;
    const v = arg(row);
    if (v === null) return null;
    if (set.keys.has(key(v))) return negated ? 0 : 1;
    return set.sawNull ? null : negated ? 1 : 0;
  };
}
