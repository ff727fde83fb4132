/**
 * Subquery decorrelation: WHERE terms that test a subquery become SemiJoin / AntiJoin nodes
 * (planner/physical.ts) over the rows the rest of the query produces, where that is cheap — the
 * subquery side read once per execution and hashed:
 *
 * - `x [NOT] IN (SELECT …)` with an uncorrelated subquery: hashed on its one column under the IN's
 *   collation and affinity; NOT IN keeps SQLite's NULL rules (a NULL in the set, or a NULL `x`
 *   over a non-empty set, keeps no row).
 * - `[NOT] EXISTS (SELECT … WHERE inner = outer AND …)` whose only outer references are such
 *   equalities (top-level conjuncts of its WHERE, both sides of one storage class, compared
 *   BINARY): the subquery runs once without them, projected to the inner sides, and each outer
 *   row probes with the outer sides (a NULL never matches, as `=` is never true for it).
 * - `x [NOT] IN (SELECT col FROM … WHERE inner = outer AND …)` correlated the same way (and `col`
 *   reading no outer column): projected to the inner sides and `col`, one IN set per group of
 *   inner keys; NOT IN's NULL rules then hold per group — a NULL in the outer row's own group
 *   keeps no row, an empty group (no row of the subquery for it) keeps every row, NULL `x` too.
 *
 * Only top-level conjuncts of a WHERE qualify, so a term's NULL counts as false: a SemiJoin row is
 * kept exactly when the term is true. Any other subquery stays an expression, run per outer row.
 */
import type { Expr, ParamExpr, SubqueryExpr, ValueType } from './expr';
import { E, conjuncts } from './expr';
import type { LogicalPlan } from './logical';
import { L } from './logical';
import type { PhysicalPlan } from './physical';
import { comparisonCollation } from './sql-text';
import { typeOf } from './expr-type';

/**
 * Subquery tests run as joins and correlated scalar subqueries grouped or memoized
 * (planner/scalar-decorrelate.ts); set false to keep them per row (the property tests compare both).
 */
let enabled = true;

export function decorrelationEnabled(): boolean {
  return enabled;
}

/**
 * Tests and the bench only: 'hashed' runs every exact correlated form hashed (SemiJoin, grouped)
 * even where the per-row plan looks the correlation up in an index; 'memo' keeps correlated
 * scalars per row, memoized; 'auto' restores the cost rule.
 */
let forced: 'auto' | 'hashed' | 'memo' = 'auto';
export function setCorrelatedFormForTests(f: 'auto' | 'hashed' | 'memo'): void {
  forced = f;
}
export function forcedCorrelatedForm(): 'auto' | 'hashed' | 'memo' {
  return forced;
}

const ACCESS = new Set(['PrimaryKeyLookup', 'IndexLookup', 'IndexRangeScan', 'IndexUnion']);

/**
 * Whether an access path of a correlated subquery's per-row plan reads one of the outer keys: it
 * then looks its rows up in an index for each outer row, which beats hashing the whole inner
 * side once unless the outer side is large (bench/decorrelate.ts), so the per-row form stays.
 */
export function keyedAccess(p: PhysicalPlan, keys: ReadonlySet<string>): boolean {
  let found = false;
  const walk = (v: unknown): void => {
    if (found || typeof v !== 'object' || v === null || ArrayBuffer.isView(v)) return;
    const kind = (v as { kind?: unknown }).kind;
    if (typeof kind === 'string' && ACCESS.has(kind) && outerKeysIn(v, keys).size > 0) {
      found = true;
      return;
    }
    for (const x of Array.isArray(v) ? v : Object.values(v)) walk(x);
  };
  walk(p);
  return found;
}

type PlanOf = (plan: LogicalPlan) => PhysicalPlan;

/** Whether the correlated subquery `e`, correlated through `c`, should run hashed. */
function hashedBeatsPerRow(e: SubqueryExpr, c: Correlation, planOf: PlanOf | undefined): boolean {
  if (forced === 'hashed') return true;
  return planOf !== undefined && !keyedAccess(planOf(e.plan), new Set(c.params));
}

/** Tests only: turn decorrelation off (false) or back on. */
export function setDecorrelationForTests(on: boolean): void {
  enabled = on;
}

/** A WHERE term turned into a SemiJoin / AntiJoin builder, and the expressions it reads of the input row. */
export interface SemiTerm {
  build(input: PhysicalPlan, plan: (l: LogicalPlan) => PhysicalPlan): PhysicalPlan;
  reads: readonly Expr[];
  /** An uncorrelated `x IN (SELECT …)`: the planner may look x up by the subquery's values instead. */
  inList?: SubqueryExpr;
}

function storageClass(t: ValueType): string | null {
  if (t === 'integer' || t === 'real') return 'number';
  if (t === 'text' || t === 'blob') return t;
  return null;
}

/** Every outer-reference key the plan (or an expression) reads, at any depth. */
export function outerKeysIn(root: unknown, keys: ReadonlySet<string>): Set<string> {
  const found = new Set<string>();
  const seen = new Set<object>();
  const walk = (v: unknown): void => {
    if (typeof v !== 'object' || v === null || seen.has(v) || ArrayBuffer.isView(v)) return;
    seen.add(v);
    const p = v as Partial<ParamExpr>;
    if (p.kind === 'param' && typeof p.key === 'string' && keys.has(p.key)) found.add(p.key);
    for (const x of Array.isArray(v) ? v : Object.values(v)) walk(x);
  };
  walk(root);
  return found;
}

export interface Correlation {
  /** The inner side of each equality, over the subquery's FROM row. */
  inner: Expr[];
  /** The outer side, over the outer query's row. */
  outer: Expr[];
  /** The outer-reference key of each equality (SubqueryExpr.correlated's `key`). */
  params: string[];
  rest: Expr[];
}

/** `inner = outer` with `outer` a bound outer reference, compared exactly; else null. */
function equality(
  c: Expr,
  refs: ReadonlyMap<string, Expr>,
  keys: ReadonlySet<string>,
): { inner: Expr; outer: Expr; param: string } | null {
  if (c.kind !== 'binary' || c.op !== '=' || c.collation !== undefined) return null;
  const sides: [Expr, Expr][] = [
    [c.left, c.right],
    [c.right, c.left],
  ];
  for (const [inner, param] of sides) {
    if (param.kind !== 'param' || typeof param.key !== 'string' || !refs.has(param.key)) continue;
    if (outerKeysIn(inner, keys).size > 0 || inner.kind === 'cast') continue;
    const cls = storageClass(typeOf(inner));
    if (cls === null || cls !== storageClass(typeOf(param))) continue;
    if (comparisonCollation(inner, param) !== undefined) continue;
    return { inner, outer: refs.get(param.key) as Expr, param: param.key };
  }
  return null;
}

/** The equalities correlating a subquery's WHERE, when they are its only outer references. */
export function correlation(where: Expr | null, e: SubqueryExpr): Correlation | null {
  const refs = new Map((e.correlated ?? []).map((b) => [b.key, b.expr]));
  const keys = new Set(refs.keys());
  const out: Correlation = { inner: [], outer: [], params: [], rest: [] };
  for (const c of conjuncts(where)) {
    const eq = equality(c, refs, keys);
    if (eq) {
      out.inner.push(eq.inner);
      out.outer.push(eq.outer);
      out.params.push(eq.param);
    } else if (outerKeysIn(c, keys).size > 0) return null;
    else out.rest.push(c);
  }
  return out.inner.length > 0 ? out : null;
}

/** A subquery body's FROM and WHERE, under the layers that do not change which rows it yields. */
interface Body {
  from: LogicalPlan;
  where: Expr | null;
  columns: readonly { expr: Expr }[];
}

/**
 * `Distinct? → Project → Sort? → Filter? → FROM`: ORDER BY and DISTINCT change neither whether a
 * row exists nor which values an IN set holds; a LIMIT, an aggregate, a window or a compound
 * might, so those stay correlated.
 */
function bodyOf(plan: LogicalPlan): Body | null {
  let node = plan;
  if (node.kind === 'distinct') node = node.input;
  if (node.kind !== 'project') return null;
  const columns = node.columns;
  node = node.input;
  if (node.kind === 'sort') node = node.input;
  const where = node.kind === 'filter' ? node.predicate : null;
  const from = node.kind === 'filter' ? node.input : node;
  if (!['scan', 'join', 'derived', 'virtual'].includes(from.kind)) return null;
  return { from, where, columns };
}

/**
 * A correlated body as a plan of its correlation keys (then `extra`, when given):
 * `Project inner keys, extra ← Filter rest ← FROM`. Null when an outer reference sits anywhere
 * but an equality conjunct of the WHERE (a derived table, a nested subquery, `extra` itself).
 */
function keyedPlan(
  e: SubqueryExpr,
  body: Body,
  extra: Expr | null,
): { plan: LogicalPlan; c: Correlation } | null {
  const c = correlation(body.where, e);
  if (c === null) return null;
  const keys = new Set((e.correlated ?? []).map((b) => b.key));
  if (outerKeysIn(body.from, keys).size > 0) return null;
  if (extra !== null && outerKeysIn(extra, keys).size > 0) return null;
  let plan: LogicalPlan = body.from;
  if (c.rest.length > 0)
    plan = L.filter(
      plan,
      c.rest.reduce((a, b) => E.and(a, b)),
    );
  const columns = c.inner.map((x, i) => ({ expr: x, name: `key${i + 1}` }));
  if (extra !== null) columns.push({ expr: extra, name: 'value' });
  return { plan: L.project(plan, columns), c };
}

function termOf(c: Expr, planOf: PlanOf | undefined): SemiTerm | null {
  // A row-valued IN stays an expression (planner/row-in.ts): the joins hash one column.
  if (c.kind !== 'subquery' || c.rowKeys !== undefined) return null;
  const kind = c.negated ? 'AntiJoin' : 'SemiJoin';
  if (c.mode === 'in' && c.arg !== null && c.correlated === undefined) {
    const arg = c.arg;
    return {
      build: (input, plan) => ({ kind, input, sub: plan(c.plan), keys: [arg], subKeys: [], in: c }),
      reads: [arg],
      ...(c.negated ? {} : { inList: c }),
    };
  }
  if (c.correlated === undefined) return null;
  const body = bodyOf(c.plan);
  if (body === null) return null;
  if (c.mode === 'in' && c.arg !== null) {
    // Correlated IN: the set is hashed per correlation group (keys first, the IN column last), so
    // NOT IN's NULL rules apply to the outer row's own group.
    if (body.columns.length !== 1) return null;
    const found = keyedPlan(c, body, body.columns[0].expr);
    if (found === null || !hashedBeatsPerRow(c, found.c, planOf)) return null;
    const keys = [...found.c.outer, c.arg];
    return {
      build: (input, plan) => ({ kind, input, sub: plan(found.plan), keys, subKeys: found.c.inner, in: c }),
      reads: keys,
    };
  }
  if (c.mode === 'exists') {
    const found = keyedPlan(c, body, null);
    if (found === null) return null;
    // An index that looks the correlation up answers each outer row with a probe, as SQLite
    // plans EXISTS: hashing the whole inner side instead costs its size even for one outer row.
    if (planOf !== undefined && !hashedBeatsPerRow(c, found.c, planOf)) return null;
    return {
      build: (input, plan) => ({
        kind,
        input,
        sub: plan(found.plan),
        keys: found.c.outer,
        subKeys: found.c.inner,
        in: null,
      }),
      reads: found.c.outer,
    };
  }
  return null;
}

/**
 * Split a WHERE clause: the terms run as semi/anti joins, and the rest (null: none). The joins
 * apply in the terms' written order, above the node the rest produces.
 */
export function semiJoinTerms(where: Expr | null, planOf?: PlanOf): { terms: SemiTerm[]; rest: Expr | null } {
  if (!enabled || where === null) return { terms: [], rest: where };
  const terms: SemiTerm[] = [];
  const rest: Expr[] = [];
  for (const c of conjuncts(where)) {
    const t = termOf(c, planOf);
    if (t) terms.push(t);
    else rest.push(c);
  }
  if (terms.length === 0) return { terms, rest: where };
  return { terms, rest: rest.length === 0 ? null : rest.reduce((a, b) => E.and(a, b)) };
}
