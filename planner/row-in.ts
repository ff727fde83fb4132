/**
 * `(a, b) [NOT] IN (SELECT x, y …)`: SQLite's NULL rules for a row value. The result is true when
 * a row of the subquery equals the left row in every column; else NULL when some row could still
 * equal it (every column equal or NULL on a side); else false. An empty subquery gives false
 * (NOT IN: true) without looking at the left row, as for one column.
 * Rows without NULLs go in a hash set keyed column by column as the comparisons see values
 * (collation, affinity: SubqueryExpr.rowKeys), so a probe without NULLs costs one lookup plus a
 * pass over the rows holding a NULL; a left row holding a NULL is compared with every row.
 */
import type { Evaluator, Row } from './compile-expr';

/** The rows of one run of the subquery, ready for probes. */
export interface RowInSet {
  readonly empty: boolean;
  /** Tuple keys of the rows without a NULL. */
  readonly keys: ReadonlySet<string>;
  /** Every row's per-column keys (null for a NULL), for the probes hashing cannot answer. */
  readonly rows: readonly (readonly (string | null)[])[];
  /** Rows holding a NULL (indexes into `rows`): the only ones a NULL-free probe can be unsure of. */
  readonly withNull: readonly number[];
}

type KeyOf = (v: unknown) => string;

/** Length-prefixed, so no two different column lists give one key. */
function tupleOf(keys: readonly (string | null)[]): string {
  let out = '';
  for (const k of keys) out += `${(k as string).length}:${k as string}`;
  return out;
}

function keysOf(values: readonly unknown[], keyOf: readonly KeyOf[]): (string | null)[] {
  return keyOf.map((f, i) => {
    const v = values[i] ?? null;
    return v === null ? null : f(v);
  });
}

export function rowInSet(all: readonly Row[], keyOf: readonly KeyOf[]): RowInSet {
  const keys = new Set<string>();
  const rows: (string | null)[][] = [];
  const withNull: number[] = [];
  for (const r of all) {
    const k = keysOf(r, keyOf);
    if (k.includes(null)) withNull.push(rows.length);
    else keys.add(tupleOf(k));
    rows.push(k);
  }
  return { empty: all.length === 0, keys, rows, withNull };
}

/** Whether `row` could equal `probe` once their NULLs were known (every column equal or NULL). */
function couldEqual(probe: readonly (string | null)[], row: readonly (string | null)[]): boolean {
  for (let i = 0; i < probe.length; i++) {
    const a = probe[i];
    const b = row[i];
    if (a !== null && b !== null && a !== b) return false;
  }
  return true;
}

/** The IN test over `setOf`'s rows for the left row `arg` (an array of the row value's items). */
export function rowIn(
  setOf: (row: Row) => RowInSet,
  arg: Evaluator,
  keyOf: readonly KeyOf[],
  negated: boolean,
): Evaluator {
  const yes = negated ? 0 : 1;
  return (row) => {
    const set = setOf(row);
    if (set.empty) return 1 - yes;
    const probe = keysOf(arg(row) as readonly unknown[], keyOf);
    if (!probe.includes(null)) {
      if (set.keys.has(tupleOf(probe))) return yes;
      for (const i of set.withNull) if (couldEqual(probe, set.rows[i])) return null;
      return 1 - yes;
    }
    for (const r of set.rows) if (couldEqual(probe, r)) return null;
    return 1 - yes;
  };
}
