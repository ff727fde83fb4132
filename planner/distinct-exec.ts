/**
 * DISTINCT: each row whose (folded) values were not seen before, in input order — streamed, with
 * the set of keys seen bounded by the sort budget (ConnectOptions.sortBudgetBytes). Past it the
 * rest of the input is numbered and sorted by key then number (planner/sort.ts, which spills),
 * the first row of each key not already seen is kept, and the kept rows are sorted back into
 * input order: the same rows in the same order as the in-memory path, in bounded memory.
 */
import type { Row } from './compile-expr';
import type { SortKey } from './logical';
import type { PhysicalPlan } from './physical';
import { sortSource } from './sort';
import type { RowSource } from './sort';
import { source } from './source';
import type { Source } from './source';
import { collationKey, exprCollation } from './sql-text';
import { tupleKey } from './value-key';

/** Spills of the DISTINCT operator since the process started (tests count them). */
export const distinctSpillStats = { spills: 0 };

/** Map, Set and string overhead of one key held (an estimate, as planner/row-bytes.ts). */
const KEY_OVERHEAD = 56;

export function distinctSource(
  node: Extract<PhysicalPlan, { kind: 'Distinct' }>,
  input: Source,
  budgetBytes: number,
): Source {
  // Output columns under NOCASE/RTRIM are distinct by their folded form; the first row seen is kept.
  const collations =
    node.input.kind === 'Project' ? node.input.columns.map((c) => exprCollation(c.expr)) : [];
  const width = node.width;
  // With a width, the values past it are sort keys carried along (planner/physical-planner.ts
  // distinctThenSort): not part of what makes a row distinct.
  const folded = (row: Row): Row => row.map((v, i) => (collations[i] ? collationKey(v, collations[i]) : v));
  const fold =
    width !== undefined
      ? (row: Row): Row => folded(row.slice(0, width))
      : collations.some((c) => c !== undefined)
        ? folded
        : (row: Row): Row => row;
  const seen = new Set<string>();
  let bytes = 0;
  let rest: RowSource | null = null;
  return source(() => {
    if (rest) return rest.next();
    for (let row = input.next(); row !== null; row = input.next()) {
      const k = tupleKey(fold(row));
      if (seen.has(k)) continue;
      if ((bytes += KEY_OVERHEAD + 2 * k.length) > budgetBytes) {
        rest = spilled(row, k, input, seen, (r) => tupleKey(fold(r)), budgetBytes);
        return rest.next();
      }
      seen.add(k);
      return row;
    }
    return null;
  });
}

/** The new rows of `first` and the rest of `input`, in input order, past the budget. */
function spilled(
  first: Row,
  firstKey: string,
  input: Source,
  seen: ReadonlySet<string>,
  keyOf: (row: Row) => string,
  budgetBytes: number,
): RowSource {
  distinctSpillStats.spills++;
  const width = first.length;
  // Each row carries its key and its position: [...row, key, n].
  let n = 0;
  let pending: Row | null = [...first, firstKey, n++];
  const numbered = {
    next: (): Row | null => {
      if (pending) {
        const r = pending;
        pending = null;
        return r;
      }
      const row = input.next();
      return row === null ? null : [...row, keyOf(row), n++];
    },
  };
  const asc = (i: number): SortKey => ({ expr: { kind: 'literal', value: i, type: 'integer' }, desc: false });
  const byKey = sortSource(numbered, [(r) => r[width], (r) => r[width + 1]], [asc(0), asc(1)], budgetBytes);
  let last: unknown = undefined;
  const firsts = {
    next: (): Row | null => {
      for (let r = byKey.next(); r !== null; r = byKey.next()) {
        const k = r[width];
        if (k === last) continue;
        last = k;
        if (!seen.has(k as string)) return r;
      }
      return null;
    },
  };
  const byPosition = sortSource(firsts, [(r) => r[width + 1]], [asc(0)], budgetBytes);
  return {
    next: () => {
      const r = byPosition.next();
      return r === null ? null : r.slice(0, width);
    },
  };
}
