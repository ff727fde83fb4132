/**
 * A REAL that happens to be a whole number, travelling between the evaluators of one expression
 * whose static type cannot say REAL. JS has one number type, so `2.0` and `2` are the same value;
 * the planner normally knows which one it has from static types (a REAL column, a `2.0` literal).
 * When the type is decided per row (`CASE … THEN r ELSE i END`, `coalesce(i, r)`, `'3.0' + 0`,
 * SUM over mixed values), the whole-number REALs are wrapped in a TaggedReal so that `/`, `%`,
 * `||`, typeof() and CAST still treat them as REAL, as SQLite does.
 *
 * Tags never leave an expression: compile-expr.ts's plain evaluators unwrap them, so row arrays,
 * sort keys, group keys, stored values and results never hold one. Only evaluators compiled in
 * tagged mode (and the aggregate accumulators, whose results are read back through slot
 * expressions) see them.
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
