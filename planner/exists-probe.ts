/**
 * A correlated EXISTS answered by a probe built once per execution instead of an operator tree
 * built for every outer row. `EXISTS (SELECT 1 FROM orders o WHERE o.item = i.id [AND …])` plans
 * as Limit 1 → Project → [Filter] → a one-key lookup (primary key or index) keyed by the outer
 * row; building those operators, their cursor and their row buffer again per outer row cost
 * ~3 µs where the lookup itself costs a few hundred nanoseconds.
 *
 * The probe evaluates the lookup's key (the outer row's value, bound by the caller), walks the
 * key's entries and stops at the first whose row passes the filter: what the operators would do,
 * counted in the same statistics. Any other shape (an OFFSET, several keys, a key subquery, a
 * result column that could raise an error, a table of another store) gets no probe.
 *
 * The same lookup serves correlated scalar subqueries (scalarProbe: the first passing row,
 * projected) and correlated `x IN (SELECT col …)` (its `each`: every passing row's value).
 */
import { Bounds } from './bounds';
import { compilePredicate, compileTaggedExpr, evalConstant, numericAffinity } from './compile-expr';
import type { Row } from './compile-expr';
import type { Expr } from './expr';
import type { PhysicalPlan } from './physical';
import { coveringRow } from './index-range';
import { keyFinger } from './key-finger';
import { collectionOf, rowsOf, staleEntry, treeOf } from './row-fetch';
import type { ExecEnv } from './execute';

/** Result columns that cannot raise: the probe never computes them, as SQLite does not. */
function inert(e: Expr): boolean {
  return e.kind === 'literal' || e.kind === 'column' || e.kind === 'param';
}

/**
 * A probe: `run()` answers with the outer values bound as parameters; when the lookup's key is an
 * outer value itself (`o.item = i.id`), `withKey(v)` answers for that value directly, with no
 * binding (the caller passes what it would have bound under `outerKey`).
 */
export interface ExistsProbe {
  run(): boolean;
  readonly outerKey: string | null;
  withKey(value: unknown): boolean;
}

/** The key's outer parameter and its conversion (the comparison's affinity), or null. */
function outerKeyOf(keyExpr: Expr): { key: string; convert: (v: unknown) => unknown } | null {
  if (keyExpr.kind !== 'param' || keyExpr.outer === undefined || typeof keyExpr.key !== 'string') return null;
  if (keyExpr.affinity === undefined) return { key: keyExpr.key, convert: (v) => v };
  return keyExpr.affinity === 'numeric' ? { key: keyExpr.key, convert: numericAffinity } : null;
}

/** `plan`'s existence probe in `env`, or null when its shape is not one the probe covers. */
export function existsProbe(plan: PhysicalPlan, env: ExecEnv): ExistsProbe | null {
  const test = keyTest(plan, env);
  if (test === null) return null;
  const outer = outerKeyOf(test.keyExpr);
  return {
    run: () => test.has(evalConstant(test.keyExpr, env.ctx)),
    outerKey: outer?.key ?? null,
    withKey: (v) => test.has(outer === null ? v : outer.convert(v)),
  };
}

/**
 * A correlated scalar subquery's probe: the first row of a one-key lookup keyed by one outer
 * value, `(SELECT c.name FROM customers c WHERE c.id = o.customer_id)`, projected — what the
 * scalar reads (SQLite stops at that row too). `first(v)` answers for the outer value `v` (the
 * caller passes what it would have bound under `outerKey`).
 */
export interface ScalarProbe {
  readonly outerKey: string;
  first(value: unknown): Row | null;
  /**
   * Every row under the outer value `v`, projected, in the plan's order (a correlated `IN`'s
   * values): what running the plan yields, without building its operators.
   */
  each(value: unknown, visit: (row: Row) => void): void;
}

/** `plan`'s first-row probe in `env`, or null when its shape is not one the probe covers. */
export function scalarProbe(plan: PhysicalPlan, env: ExecEnv): ScalarProbe | null {
  if (plan.kind !== 'Project') return null;
  const test = keyTest(plan, env, false);
  const outer = test === null ? null : outerKeyOf(test.keyExpr);
  if (test === null || outer === null) return null;
  // A column typed per row keeps its whole-number REALs tagged, as the Project operator's do.
  const cols = plan.columns.map((c) => compileTaggedExpr(c.expr, env.ctx).eval);
  const project = (row: readonly unknown[]): Row => {
    const out = new Array<unknown>(cols.length);
    for (let i = 0; i < cols.length; i++) out[i] = cols[i](row);
    return out;
  };
  return {
    outerKey: outer.key,
    first: (v) => {
      const row = test.first(outer.convert(v));
      return row === null ? null : project(row);
    },
    each: (v, visit) => {
      test.first(outer.convert(v), (row) => {
        visit(project(row));
        return false;
      });
    },
  };
}

interface KeyTest {
  readonly keyExpr: Expr;
  has(key: unknown): boolean;
  /**
   * The first row (the lookup's, before the projection) under `key` that passes the filter —
   * with `take`, the first it accepts: `take` sees every passing row until it returns true.
   */
  first(key: unknown, take?: (row: readonly unknown[]) => boolean): readonly unknown[] | null;
}

/**
 * The plan's one-key lookup as a test of a key value, with the key's expression. `exists`: the
 * plan is an EXISTS's (a LIMIT 1 allowed; result columns that could raise refused, as SQLite
 * never computes them), else a scalar's (the caller projects the first row).
 */
function keyTest(plan: PhysicalPlan, env: ExecEnv, exists = true): KeyTest | null {
  if (env.foreign !== undefined) return null;
  let node = plan;
  if (node.kind === 'Limit' && exists) {
    if (
      node.offset !== null ||
      node.limit === null ||
      node.limit.kind !== 'literal' ||
      node.limit.value !== 1
    )
      return null;
    node = node.input;
  }
  if (node.kind !== 'Project' || (exists && !node.columns.every((c) => inert(c.expr)))) return null;
  node = node.input;
  let predicate: Expr | null = null;
  if (node.kind === 'Filter') {
    predicate = node.predicate;
    node = node.input;
  }
  const passes = predicate === null ? null : compilePredicate(predicate, env.ctx);
  if (node.kind === 'PrimaryKeyLookup') {
    if (node.keys.length !== 1 || node.keysFrom) return null;
    const keyExpr = node.keys[0];
    const coll = collectionOf(env, node.collection);
    const rows = rowsOf(env, coll);
    const has = (key: unknown): boolean => {
      if (key === null) return false;
      env.stats.indexEntries++;
      const loc = coll.pk.get(key);
      if (loc === undefined) return false;
      if (passes === null) return true;
      env.stats.rowsRead++;
      return passes(rows.readRow(loc));
    };
    const first = (key: unknown, take?: (row: readonly unknown[]) => boolean): readonly unknown[] | null => {
      if (key === null) return null;
      env.stats.indexEntries++;
      const loc = coll.pk.get(key);
      if (loc === undefined) return null;
      env.stats.rowsRead++;
      const row = rows.readRow(loc);
      return (passes === null || passes(row)) && (take === undefined || take(row)) ? row : null;
    };
    return { keyExpr, has, first };
  }
  if (node.kind === 'IndexLookup') {
    if (node.keys.length !== 1 || node.keysFrom) return null;
    const keyExpr = node.keys[0];
    const matchNull = node.matchNull === true;
    const coll = collectionOf(env, node.collection);
    const tree = treeOf(coll, node.index);
    if (tree === null) return null;
    const rows = rowsOf(env, coll);
    const covering = node.covering === true ? coveringRow(coll, node.index) : null;
    const exists = keyFinger(tree);
    const first = (key: unknown, take?: (row: readonly unknown[]) => boolean): readonly unknown[] | null => {
      if (key === null && !matchNull) return null;
      const cur = tree.cursor(Bounds.exactly(key));
      while (cur.next()) {
        env.stats.indexEntries++;
        let row: readonly unknown[];
        if (covering !== null) row = covering(cur.key, cur.value);
        else {
          const loc = coll.pk.get(cur.value);
          if (loc === undefined) staleEntry(coll, cur.value, node.index);
          env.stats.rowsRead++;
          row = rows.readRow(loc);
        }
        if ((passes === null || passes(row)) && (take === undefined || take(row))) return row;
      }
      return null;
    };
    const has = (key: unknown): boolean => {
      if (key === null && !matchNull) return false;
      if (passes === null) {
        // Whether the key has an entry at all: no row, and mostly no descent (planner/key-finger.ts).
        if (!exists(key)) return false;
        env.stats.indexEntries++;
        return true;
      }
      return first(key) !== null;
    };
    return { keyExpr, has, first };
  }
  return null;
}
