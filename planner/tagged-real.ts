/**
 * A REAL that happens to be a whole number, travelling between the evaluators of one expression
 * whose static type cannot say REAL. JS has one number type, so `2.0` and `2` are the same value;
 * the planner normally knows which one it has from static types (a REAL column, a `2.0` literal).
 * When the type is decided per row (`CASE … THEN r ELSE i END`, `coalesce(i, r)`, `'3.0' + 0`,
 * SUM over mixed values), the whole-number REALs are wrapped in a TaggedReal so that `/`, `%`,
 * `||`, typeof() and CAST still treat them as REAL, as SQLite does.
 *
 * Rows carry tags only in columns whose static type is 'any' (a Project or VALUES column typed
 * per row, a compound's column whose arms differ, an aggregate's slots), so that a derived table,
 * a CTE or a compound hands a whole-number REAL on as REAL. Everything else sees plain values:
 * compile-expr.ts's plain evaluators unwrap tags, keys (value-key.ts) and comparisons
 * (compareCollated) look through them, and the cursor, writes and spills take them off
 * (storage never holds one).
 */
export class TaggedReal {
  constructor(readonly value: number) {}
}

/** A REAL result: whole numbers get the tag, other numbers are unambiguous already. */
export function tagReal(v: unknown): unknown {
  return typeof v === 'number' && Number.isInteger(v) ? new TaggedReal(v) : v;
}

export function untag(v: unknown): unknown {
  return v instanceof TaggedReal ? v.value : v;
}
