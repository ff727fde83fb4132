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
import { typeOf } from './compile-expr';

/** Subquery tests run as joins; set false to keep them expressions (the property tests compare both). */
let enabled = true;

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
function outerKeysIn(root: unknown, keys: ReadonlySet<string>): Set<string> {
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

interface Correlation {
  /** The inner side of each equality, over the subquery's FROM row. */
  inner: Expr[];
  /** The outer side, over the outer query's row. */
  outer: Expr[];
  rest: Expr[];
}

/** `inner = outer` with `outer` a bound outer reference, compared exactly; else null. */
function equality(
  c: Expr,
  refs: ReadonlyMap<string, Expr>,
  keys: ReadonlySet<string>,
): { inner: Expr; outer: Expr } | null {
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
    return { inner, outer: refs.get(param.key) as Expr };
  }
  return null;
}

/** The equalities correlating an EXISTS body, when they are its only outer references. */
function correlation(where: Expr | null, e: SubqueryExpr): Correlation | null {
  const refs = new Map((e.correlated ?? []).map((b) => [b.key, b.expr]));
  const keys = new Set(refs.keys());
  const out: Correlation = { inner: [], outer: [], rest: [] };
  for (const c of conjuncts(where)) {
    const eq = equality(c, refs, keys);
    if (eq) {
      out.inner.push(eq.inner);
      out.outer.push(eq.outer);
    } else if (outerKeysIn(c, keys).size > 0) return null;
    else out.rest.push(c);
  }
  return out.inner.length > 0 ? out : null;
}

/**
 * An EXISTS body as a plan of its correlation keys: `Project inner keys ← Filter rest ← FROM`.
 * ORDER BY and DISTINCT do not change whether a row exists; a LIMIT, an aggregate, a window or a
 * compound might, so those stay correlated.
 */
function existsPlan(e: SubqueryExpr): { plan: LogicalPlan; c: Correlation } | null {
  let node = e.plan;
  if (node.kind === 'distinct') node = node.input;
  if (node.kind !== 'project') return null;
  node = node.input;
  if (node.kind === 'sort') node = node.input;
  const where = node.kind === 'filter' ? node.predicate : null;
  const from = node.kind === 'filter' ? node.input : node;
  if (!['scan', 'join', 'derived', 'virtual'].includes(from.kind)) return null;
  const c = correlation(where, e);
  if (c === null) return null;
  // Outer references anywhere else (a derived table, a nested subquery) keep it correlated.
  const keys = new Set((e.correlated ?? []).map((b) => b.key));
  if (outerKeysIn(from, keys).size > 0) return null;
  let plan: LogicalPlan = from;
  if (c.rest.length > 0)
    plan = L.filter(
      plan,
      c.rest.reduce((a, b) => E.and(a, b)),
    );
  plan = L.project(
    plan,
    c.inner.map((x, i) => ({ expr: x, name: `key${i + 1}` })),
  );
  return { plan, c };
}

function termOf(c: Expr): SemiTerm | null {
  if (c.kind !== 'subquery') return null;
  const kind = c.negated ? 'AntiJoin' : 'SemiJoin';
  if (c.mode === 'in' && c.arg !== null && c.correlated === undefined) {
    const arg = c.arg;
    return {
      build: (input, plan) => ({ kind, input, sub: plan(c.plan), keys: [arg], subKeys: [], in: c }),
      reads: [arg],
      ...(c.negated ? {} : { inList: c }),
    };
  }
  if (c.mode === 'exists' && c.correlated !== undefined) {
    const found = existsPlan(c);
    if (found === null) return null;
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
export function semiJoinTerms(where: Expr | null): { terms: SemiTerm[]; rest: Expr | null } {
  if (!enabled || where === null) return { terms: [], rest: where };
  const terms: SemiTerm[] = [];
  const rest: Expr[] = [];
  for (const c of conjuncts(where)) {
    const t = termOf(c);
    if (t) terms.push(t);
    else rest.push(c);
  }
  if (terms.length === 0) return { terms, rest: where };
  return { terms, rest: rest.length === 0 ? null : rest.reduce((a, b) => E.and(a, b)) };
}
