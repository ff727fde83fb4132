/**
 * Subqueries at run time: an uncorrelated plan runs at most once per statement execution (on
 * first use, through ExecContext.runPlan) and its rows are kept for the rest of the execution;
 * a correlated one runs for each outer row, with its outer columns bound (planner/outer-refs.ts).
 * IN builds a hash set keyed the way the comparison sees values (collation, affinity), so NOT IN
 * over a large set stays one lookup per row.
 */
import { InternalError } from '../src/errors';
import type { Evaluator, ExecContext, Row } from './compile-expr';
import type { SubqueryExpr } from './expr';
import { collationKey } from './sql-text';
import { toText } from './sqlite-cast';
import { valueKey } from './value-key';
import { withOuterValues } from './outer-refs';
import { tagReal } from './tagged-real';

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
export function inKeyOf(e: SubqueryExpr, numericAffinity: (v: unknown) => unknown): (v: unknown) => string {
  const convert =
    e.affinity === 'numeric' ? numericAffinity : e.affinity === 'text' ? textAffinity : (v: unknown) => v;
  const collation = e.collation ?? 'binary';
  return (v) => valueKey(collationKey(convert(v), collation));
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
  const correlated = keys.length > 0;
  const rowsOf = (row: Row): readonly Row[] => {
    const run = ctx.runPlan;
    if (run === undefined) throw new InternalError('subquery run without an executor', 'INTERNAL');
    if (correlated) {
      // A correlated subquery runs again for every outer row, its outer columns bound first.
      rows = withOuterValues(
        keys,
        bindings.map((f) => f(row)),
        () => run(e.plan),
      );
      inSet = null;
    } else if (runner !== run) {
      runner = run;
      rows = run(e.plan);
      inSet = null;
    }
    return rows;
  };
  if (e.mode === 'scalar') {
    if (!e.storageClass) return (row) => rowsOf(row)[0]?.[0] ?? null;
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
  const key = inKeyOf(e, numericAffinity);
  const setOf = (row: Row): InSet => {
    const all = rowsOf(row);
    if (inSet) return inSet;
    const keys = new Set<string>();
    let sawNull = false;
    for (const r of all) {
      const v = r[0] ?? null;
      if (v === null) sawNull = true;
      else keys.add(key(v));
    }
    inSet = { empty: all.length === 0, sawNull, keys };
    return inSet;
  };
  const negated = e.negated;
  return (row) => {
    const set = setOf(row);
    // An empty set decides before the operand is looked at, even a NULL one.
    if (set.empty) return negated ? 1 : 0;
    const v = arg(row);
    if (v === null) return null;
    if (set.keys.has(key(v))) return negated ? 0 : 1;
    return set.sawNull ? null : negated ? 1 : 0;
  };
}
