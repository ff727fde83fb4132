/**
 * Correlated subqueries evaluated fewer times than once per outer row, when the answer is
 * provably the one the per-row form gives (planner/subquery.ts runs the chosen form):
 *
 * - Grouped: a scalar aggregate correlated on equalities, `(SELECT count(*) FROM o WHERE
 *   o.k = outer.k AND …)`, becomes one grouped aggregate `… GROUP BY o.k` computed on first use
 *   and hash-probed with each outer row's keys. A key matching no group (a NULL key matches none)
 *   gets the empty group's answer, computed by running the per-row form once with every key
 *   NULL: `=` is never true for NULL, so no row reaches the aggregate — count(*) 0, max() NULL,
 *   and a HAVING decides as it would over an empty group. Chosen only when the per-row form
 *   cannot look the correlation up in an index (it would scan per outer row): with an index, one
 *   lookup per row beats a pass over the whole inner table when the outer side is small. With
 *   such an index it starts per row and switches to grouping once the runs made have cost about
 *   what one grouping pass costs (planner/subquery.ts): a large outer side pays at most about
 *   twice the better form, a small one never groups.
 * - Memoized: any other correlated subquery whose plan calls no non-deterministic function and
 *   scans (no index looks an outer value up) keeps its per-row plan but remembers each result by
 *   the exact bound values (type included), so repeated keys run it once per execution.
 *
 * Grouping reads rows no outer row asks for, so what it evaluates must not fail or depend on row
 * order: aggregates are count, min/max over a BINARY-compared value of one storage class, and
 * avg/total over integers; the SELECT list and HAVING read only aggregate results through
 * operators and functions that never raise (no bare columns, no nested subqueries).
 */
import type { CaseWhen, Expr, SubqueryExpr } from './expr';
import { E, exprChildren } from './expr';
import type { AggregateNode, LogicalPlan } from './logical';
import { L } from './logical';
import type { PhysicalPlan } from './physical';
import {
  correlation,
  decorrelationEnabled,
  forcedCorrelatedForm,
  keyedAccess,
  outerKeysIn,
} from './decorrelate';
import { typeOf } from './expr-type';
import { scalarFunction } from './functions';

/** The grouped form of a correlated scalar aggregate. */
export interface GroupedScalar {
  /** Rows `[inner keys…, the subquery's columns…]`, one per group. */
  readonly plan: LogicalPlan;
  /** The inner side of each key (explain) and the index of its outer binding in `correlated`. */
  readonly inner: readonly Expr[];
  readonly outer: readonly Expr[];
  readonly binding: readonly number[];
}

export type CorrelatedForm =
  | { readonly kind: 'grouped'; readonly grouped: GroupedScalar }
  | { readonly kind: 'memo' }
  /**
   * `grouped`: the grouped form is exact but the per-row plan looks the correlation up by index,
   * so each run is cheap — until the outer side turns out large: after enough runs the subquery
   * switches to grouping (planner/subquery.ts, groupedSwitchAt).
   */
  | { readonly kind: 'perRow'; readonly grouped?: GroupedScalar };

/** Functions that never raise whatever their arguments (over aggregate results). */
const SAFE_CALLS: ReadonlySet<string> = new Set(['coalesce', 'ifnull', 'nullif', 'typeof', 'iif']);

function safeOverAggregates(e: Expr, inputWidth: number): boolean {
  switch (e.kind) {
    case 'slot':
      return e.index >= inputWidth;
    case 'literal':
      return true;
    case 'call':
      if (!SAFE_CALLS.has(e.name)) return false;
      break;
    case 'binary':
      // Arithmetic overflow turns REAL and division by zero gives NULL in SQLite: nothing raises.
      break;
    case 'unary':
    case 'isNull':
    case 'case':
    case 'cast':
      break;
    default:
      return false;
  }
  return exprChildren(e).every((c) => safeOverAggregates(c, inputWidth));
}

const ONE_CLASS = new Set(['integer', 'real', 'text', 'blob']);

function exactAggregate(a: AggregateNode['aggregates'][number]): boolean {
  if (a.more.length > 0 || a.orderBy) return false;
  if (a.fn === 'count') return true;
  if (a.arg === null) return false;
  const t = typeOf(a.arg);
  if (a.fn === 'min' || a.fn === 'max') {
    // Ties between unequal values (1 and 1.0, 'a' and 'A' under NOCASE) would pick by row order.
    if (!ONE_CLASS.has(t)) return false;
    if (t === 'text') return a.arg.kind === 'column' && a.arg.collation === undefined;
    return true;
  }
  // Integer sums are exact in any order; SUM is left out as its overflow error would surface for
  // groups no outer row reads.
  return (a.fn === 'avg' || a.fn === 'total') && t === 'integer' && !a.distinct;
}

function shiftWhen(w: CaseWhen, from: number, n: number): CaseWhen {
  return { when: shiftSlots(w.when, from, n), then: shiftSlots(w.then, from, n) };
}

/** Shift the aggregate-result slots of `e` past `n` new group keys. */
function shiftSlots(e: Expr, from: number, n: number): Expr {
  if (e.kind === 'slot') return e.index >= from ? { ...e, index: e.index + n } : e;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(e)) {
    if (Array.isArray(v))
      out[k] = v.map((x: unknown) =>
        typeof x === 'object' && x !== null && 'kind' in x
          ? shiftSlots(x as Expr, from, n)
          : typeof x === 'object' && x !== null && 'when' in x
            ? shiftWhen(x as unknown as CaseWhen, from, n)
            : x,
      );
    else if (typeof v === 'object' && v !== null && 'kind' in v) out[k] = shiftSlots(v as Expr, from, n);
    else out[k] = v;
  }
  return out as unknown as Expr;
}

const groupedCache = new WeakMap<SubqueryExpr, GroupedScalar | null>();

/** The grouped form of `e`, or null when it is not exactly equivalent. */
export function groupedScalarOf(e: SubqueryExpr): GroupedScalar | null {
  if (groupedCache.has(e)) return groupedCache.get(e) ?? null;
  const g = buildGrouped(e);
  groupedCache.set(e, g);
  return g;
}

function buildGrouped(e: SubqueryExpr): GroupedScalar | null {
  if (e.mode !== 'scalar' || e.correlated === undefined) return null;
  const project = e.plan;
  if (project.kind !== 'project') return null;
  let node = project.input;
  const having = node.kind === 'filter' ? node.predicate : null;
  if (node.kind === 'filter') node = node.input;
  if (node.kind !== 'aggregate' || node.groupBy.length > 0) return null;
  const agg = node;
  const where = agg.input.kind === 'filter' ? agg.input.predicate : null;
  const from = agg.input.kind === 'filter' ? agg.input.input : agg.input;
  if (!['scan', 'join', 'derived', 'virtual'].includes(from.kind)) return null;
  if (!agg.aggregates.every(exactAggregate)) return null;
  const w = agg.inputWidth;
  if (!project.columns.every((c) => safeOverAggregates(c.expr, w))) return null;
  if (having !== null && !safeOverAggregates(having, w)) return null;
  const c = correlation(where, e);
  if (c === null) return null;
  const keys = new Set(e.correlated.map((b) => b.key));
  if (outerKeysIn([from, agg.aggregates], keys).size > 0) return null;
  const n = c.inner.length;
  let plan: LogicalPlan = from;
  if (c.rest.length > 0)
    plan = L.filter(
      plan,
      c.rest.reduce((a, b) => E.and(a, b)),
    );
  plan = L.aggregate(plan, c.inner, agg.aggregates, w);
  if (having !== null) plan = L.filter(plan, shiftSlots(having, w, n));
  const keyCols = c.inner.map((x, i) => ({
    expr: E.slot(w + i, typeOf(x), `key${i + 1}`),
    name: `key${i + 1}`,
  }));
  const cols = project.columns.map((col) => ({ expr: shiftSlots(col.expr, w, n), name: col.name }));
  plan = L.project(plan, [...keyCols, ...cols]);
  const order = e.correlated.map((b) => b.key);
  return { plan, inner: c.inner, outer: c.outer, binding: c.params.map((k) => order.indexOf(k)) };
}

/** Whether a plan (at any depth, nested subqueries included) calls a non-deterministic function. */
function callsVolatile(root: unknown): boolean {
  const seen = new Set<object>();
  const walk = (v: unknown): boolean => {
    if (typeof v !== 'object' || v === null || seen.has(v) || ArrayBuffer.isView(v)) return false;
    seen.add(v);
    const c = v as { kind?: unknown; name?: unknown };
    if (c.kind === 'call' && typeof c.name === 'string' && scalarFunction(c.name)?.deterministic !== true)
      return true;
    return (Array.isArray(v) ? v : Object.values(v)).some(walk);
  };
  return walk(root);
}

const memoCache = new WeakMap<SubqueryExpr, boolean>();

function memoizable(e: SubqueryExpr): boolean {
  let ok = memoCache.get(e);
  if (ok === undefined) {
    ok = e.correlated !== undefined && !callsVolatile(e.plan);
    memoCache.set(e, ok);
  }
  return ok;
}

/**
 * How a correlated subquery runs: grouped when that is exact and the per-row plan (`planOf`)
 * would scan for each outer row, else memoized when deterministic, else per row.
 */
export function correlatedForm(
  e: SubqueryExpr,
  planOf: ((plan: LogicalPlan) => PhysicalPlan) | undefined,
): CorrelatedForm {
  if (e.correlated === undefined || !decorrelationEnabled()) return { kind: 'perRow' };
  const grouped = groupedScalarOf(e);
  const forced = forcedCorrelatedForm();
  if (grouped !== null && forced !== 'memo') {
    if (forced === 'hashed') return { kind: 'grouped', grouped };
    const keys = new Set(grouped.binding.map((i) => (e.correlated ?? [])[i].key));
    if (planOf !== undefined && !keyedAccess(planOf(e.plan), keys)) return { kind: 'grouped', grouped };
    if (planOf !== undefined && forced === 'auto') return { kind: 'perRow', grouped };
  }
  if (!memoizable(e)) return { kind: 'perRow' };
  if (forced === 'memo') return { kind: 'memo' };
  // A run that looks its rows up by index costs about what remembering it does (the bench's
  // repeated-key lookup gained nothing): only runs that scan are remembered.
  const all = new Set(e.correlated.map((b) => b.key));
  return planOf !== undefined && !keyedAccess(planOf(e.plan), all) ? { kind: 'memo' } : { kind: 'perRow' };
}
