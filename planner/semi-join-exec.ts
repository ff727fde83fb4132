/**
 * SemiJoin / AntiJoin at run time (planner/decorrelate.ts plans them): the subquery side is read
 * and hashed on the first pull, then the input streams through, each row kept or dropped by one
 * lookup. IN keys are hashed as IN compares them (planner/subquery.ts inKeyOf) and keep SQLite's
 * NULL rules (per correlation group for a correlated IN); EXISTS keys compare as `=` does between values of one storage class.
 */
import { compileExpr, numericAffinity } from './compile-expr';
import type { Row } from './compile-expr';
import type { SemiJoinPNode, PhysicalPlan } from './physical';
import type { SubqueryExpr } from './expr';
import { inKeyOf } from './subquery';
import { tupleKey } from './value-key';
import { InternalError } from '../src/errors';
import type { ExecEnv, Source } from './execute';
import { source } from './source';

type Build = (plan: PhysicalPlan, env: ExecEnv) => Source;

/** Whether an input row passes, decided from the hashed subquery rows. */
type Test = (row: Row) => boolean;

function inTest(node: SemiJoinPNode, sub: Source, env: ExecEnv): Test {
  const e = node.in;
  if (e === null) throw new InternalError('IN semi join without its subquery', 'INTERNAL');
  if (node.keys.length > 1) return groupedInTest(node, e, sub, env);
  const key = inKeyOf(e, numericAffinity);
  const keys = new Set<string>();
  let empty = true;
  let sawNull = false;
  for (let r = sub.next(); r !== null; r = sub.next()) {
    empty = false;
    const v = r[0] ?? null;
    if (v === null) sawNull = true;
    else keys.add(key(v));
  }
  const arg = compileExpr(node.keys[0], env.ctx).eval;
  if (node.kind === 'SemiJoin')
    return (row) => {
      if (empty) return false;
      const v = arg(row) ?? null;
      return v !== null && keys.has(key(v));
    };
  // NOT IN is true only over an empty set, or for a non-NULL value missing from a set without NULL.
  return (row) => {
    if (empty) return true;
    const v = arg(row) ?? null;
    if (v === null || sawNull) return false;
    return !keys.has(key(v));
  };
}

/** The IN set of one correlation group. */
class InGroup {
  sawNull = false;
  readonly keys = new Set<string>();
}

/**
 * A correlated IN: sub rows are the correlation keys then the IN column, one set per group of
 * keys. A row whose keys match no group (a NULL key matches none, as `=` is never true for it)
 * sees an empty set, which NOT IN passes whatever its operand; NULLs count only in their group.
 */
function groupedInTest(node: SemiJoinPNode, e: SubqueryExpr, sub: Source, env: ExecEnv): Test {
  const key = inKeyOf(e, numericAffinity);
  const n = node.keys.length - 1;
  const groups = new Map<string, InGroup>();
  for (let r = sub.next(); r !== null; r = sub.next()) {
    const k = r.slice(0, n);
    if (k.some((v) => v == null)) continue;
    const gk = tupleKey(k);
    let g = groups.get(gk);
    if (g === undefined) groups.set(gk, (g = new InGroup()));
    const v = r[n] ?? null;
    if (v === null) g.sawNull = true;
    else g.keys.add(key(v));
  }
  const evals = node.keys.slice(0, n).map((k) => compileExpr(k, env.ctx).eval);
  const arg = compileExpr(node.keys[n], env.ctx).eval;
  const groupOf = (row: Row): InGroup | undefined => {
    const vs = evals.map((f) => f(row) ?? null);
    return vs.includes(null) ? undefined : groups.get(tupleKey(vs));
  };
  if (node.kind === 'SemiJoin')
    return (row) => {
      const g = groupOf(row);
      if (g === undefined) return false;
      const v = arg(row) ?? null;
      return v !== null && g.keys.has(key(v));
    };
  return (row) => {
    const g = groupOf(row);
    if (g === undefined) return true;
    const v = arg(row) ?? null;
    if (v === null || g.sawNull) return false;
    return !g.keys.has(key(v));
  };
}

function existsTest(node: SemiJoinPNode, sub: Source, env: ExecEnv): Test {
  const keys = new Set<string>();
  for (let r = sub.next(); r !== null; r = sub.next()) if (!r.some((v) => v == null)) keys.add(tupleKey(r));
  const evals = node.keys.map((k) => compileExpr(k, env.ctx).eval);
  const found = (row: Row): boolean => {
    const vs = evals.map((f) => f(row) ?? null);
    return !vs.includes(null) && keys.has(tupleKey(vs));
  };
  return node.kind === 'SemiJoin' ? found : (row) => !found(row);
}

export function semiJoinSource(node: SemiJoinPNode, env: ExecEnv, build: Build): Source {
  let test: Test | null = null;
  let input: Source | null = null;
  return source(() => {
    if (test === null) {
      const sub = build(node.sub, env);
      test = node.in ? inTest(node, sub, env) : existsTest(node, sub, env);
      input = build(node.input, env);
    }
    for (let row = (input as Source).next(); row !== null; row = (input as Source).next())
      if (test(row)) return row;
    return null;
  });
}
