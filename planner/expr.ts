/**
 * Expression IR shared by the typed query builder and the SQL front end: plain readonly data
 * with a literal `kind`, built by the factories below and compiled once per statement into
 * closures (planner/compile-expr.ts). Column references are resolved against the catalog before
 * they get here: `column` + `sub` locate a value inside a stored row array.
 */

import type { LogicalPlan } from './logical';

/** The static type of an expression's values (SQLite storage classes plus ModelVault's strict types). */
export type ValueType =
  'integer' | 'real' | 'text' | 'blob' | 'boolean' | 'timestamp' | 'null' | 'composite' | 'any';

export type ArithOp = '+' | '-' | '*' | '/' | '%';
export type BitOp = '&' | '|' | '<<' | '>>';
export type CompareOp = '=' | '!=' | '<' | '<=' | '>' | '>=';
/** The null-safe comparisons: `IS` / `IS NOT DISTINCT FROM` and `IS NOT` / `IS DISTINCT FROM`. */
export type IsOp = 'is' | 'isNot';
/** SQLite's built-in collating sequences. */
export type Collation = 'binary' | 'nocase' | 'rtrim';
/** Target of CAST, by SQLite's type-affinity rules (NUMERIC keeps integers and reals apart). */
export type CastTarget = 'integer' | 'real' | 'numeric' | 'text' | 'blob';
export type AggregateFn =
  | 'count'
  | 'sum'
  | 'avg'
  | 'min'
  | 'max'
  | 'total'
  | 'group_concat'
  | 'json_group_array'
  | 'json_group_object'
  | 'median'
  | 'percentile'
  | 'percentile_cont'
  | 'percentile_disc';

export interface ColumnExpr {
  readonly kind: 'column';
  /** Column of the stored row; `sub` descends into object columns. */
  readonly column: number;
  readonly sub: readonly number[];
  readonly type: ValueType;
  /** Dotted path, for explain output and result column names. */
  readonly name: string;
  /** Declared COLLATE of the column, when not BINARY. */
  readonly collation?: Collation;
  /**
   * SQLite's rowid (an INTEGER PRIMARY KEY or the hidden rowid): it has no collating sequence at
   * all, so comparisons and max()/min() look for one in their other operands.
   */
  readonly rowid?: true;
  /**
   * json_each / json_tree's `value` or `atom` (planner/json-table.ts): the row's column
   * `column + jsonTypeAt` holds the value's JSON type, which says what a plain JS value cannot:
   * that a whole number is REAL, or that text is an array or object (SQLite's JSON subtype).
   */
  readonly jsonTypeAt?: number;
  /**
   * A column declared without a type (json_each's): SQLite gives it BLOB affinity, so comparing
   * it with a TEXT column converts neither side (a NUMERIC one still converts it).
   */
  readonly blobAffinity?: true;
  /**
   * A derived table's column computed by an expression (`row_number() … AS rn`, `a + 1`): SQLite
   * gives it no affinity, so a bound parameter compared with it is not converted.
   */
  readonly noAffinity?: true;
}

export interface LiteralExpr {
  readonly kind: 'literal';
  readonly value: unknown;
  readonly type: ValueType;
}

/** A statement parameter, bound at execution: its type is the bound value's. */
export interface ParamExpr {
  readonly kind: 'param';
  /** Position (0-based) for positional parameters, or the name without its prefix. */
  readonly key: number | string;
  /**
   * SQLite's comparison affinity, set where the parameter is compared with a column (`a = ?`,
   * `a IN (?, ?)`, `a BETWEEN ? AND ?`): the value bound is converted as the column's affinity
   * converts it in that comparison only — text that reads as a number becomes the number for an
   * INTEGER, REAL or BOOLEAN column; a number becomes text for a TEXT column (a JS number as a
   * REAL's text, `10` → '10.0', as better-sqlite3 binds it; a bigint as an integer's).
   */
  readonly affinity?: 'numeric' | 'text';
  /**
   * Set for an outer column of a correlated subquery (planner/outer-refs.ts): the column's static
   * type and its name, for explain(). The value is bound per outer row, not by the caller.
   */
  readonly outer?: {
    readonly type: ValueType;
    readonly name: string;
    /** The outer expression is a (non-rowid) column: it has a collation, like SQLite's. */
    readonly column?: boolean;
    readonly collation?: Collation;
  };
}

export interface UnaryExpr {
  readonly kind: 'unary';
  readonly op: 'not' | 'neg' | 'pos' | 'bitnot';
  readonly arg: Expr;
}

export interface BinaryExpr {
  readonly kind: 'binary';
  readonly op: ArithOp | BitOp | CompareOp | IsOp | 'and' | 'or' | '||';
  readonly left: Expr;
  readonly right: Expr;
  /** Collating sequence of a comparison on text (chosen by SQLite's precedence when lowering). */
  readonly collation?: Collation;
}

export interface CastExpr {
  readonly kind: 'cast';
  readonly arg: Expr;
  readonly to: CastTarget;
}

export interface CaseWhen {
  readonly when: Expr;
  readonly then: Expr;
}

/** Simple CASE (`base` set: each `when` is compared with it by `=`) or searched CASE. */
export interface CaseExpr {
  readonly kind: 'case';
  readonly base: Expr | null;
  readonly whens: readonly CaseWhen[];
  readonly otherwise: Expr | null;
  /** Collation of the simple CASE's comparisons. */
  readonly collation?: Collation;
}

/** `x COLLATE name`: evaluates to x; the collation steers comparisons and ordering above it. */
export interface CollateExpr {
  readonly kind: 'collate';
  readonly arg: Expr;
  readonly collation: Collation;
  /**
   * A name SQLite has no collating sequence for: harmless until a comparison or an ordering
   * uses it, which is then refused (SQLite's "no such collation sequence").
   */
  readonly unknown?: string;
}

export interface GlobExpr {
  readonly kind: 'glob';
  readonly arg: Expr;
  readonly pattern: Expr;
  readonly negated: boolean;
}

export interface InExpr {
  readonly kind: 'in';
  readonly arg: Expr;
  readonly list: readonly Expr[];
  readonly negated: boolean;
  /** Collation of each item's comparison with `arg` (an item may carry its own COLLATE). */
  readonly collations?: readonly (Collation | undefined)[];
}

export interface BetweenExpr {
  readonly kind: 'between';
  readonly arg: Expr;
  readonly lo: Expr;
  readonly hi: Expr;
  readonly negated: boolean;
  readonly collation?: Collation;
}

export interface LikeExpr {
  readonly kind: 'like';
  readonly arg: Expr;
  readonly pattern: Expr;
  readonly escape: Expr | null;
  readonly negated: boolean;
  /** GLOB: case-sensitive, `*` `?` `[...]`, never an escape. */
  readonly glob: boolean;
}

export interface IsNullExpr {
  readonly kind: 'isNull';
  readonly arg: Expr;
  readonly negated: boolean;
}

/** An aggregate call; only valid inside an Aggregate node's list. */
export interface AggregateExpr {
  readonly kind: 'aggregate';
  readonly fn: AggregateFn;
  /** null for COUNT(*). */
  readonly arg: Expr | null;
  readonly distinct: boolean;
  /** Arguments after the first (group_concat's separator), evaluated per input row. */
  readonly more: readonly Expr[];
  /** FILTER (WHERE …): only rows where it is true reach the accumulator. */
  readonly filter: Expr | null;
  /**
   * `ORDER BY` inside the call (`group_concat(x ORDER BY y)`): the order the accumulator sees its
   * input in, ties in input order. Absent when none.
   */
  readonly orderBy?: readonly AggregateOrder[];
}

/** One term of an aggregate's ORDER BY (as logical.ts SortKey, which this module cannot import). */
export interface AggregateOrder {
  readonly expr: Expr;
  readonly desc: boolean;
  /** Only when NULLs go where the direction would not put them (see logical.ts SortKey). */
  readonly nulls?: 'first' | 'last';
}

/**
 * A scalar function call. `name` keys the function table (planner/functions), which the compiler
 * consults once per statement; `type` is the result type the table's type rule gave at lowering.
 */
export interface CallExpr {
  readonly kind: 'call';
  readonly name: string;
  readonly args: readonly Expr[];
  readonly type: ValueType;
}

/** Reference to slot `index` of the row an operator below produced (post-aggregate rows, sort keys). */
export interface SlotExpr {
  readonly kind: 'slot';
  readonly index: number;
  readonly type: ValueType;
  readonly name: string;
  /** The slot holds a json_group_array/object result, which carries SQLite's JSON subtype. */
  readonly json?: boolean;
}

/**
 * An uncorrelated subquery over its own logical plan, run once per statement execution through
 * ExecContext.runPlan: `scalar` gives the first row's value (NULL without rows), `exists` 1/0,
 * `in` tests `arg` against the plan's one column with SQLite's NULL rules.
 */
export interface SubqueryExpr {
  readonly kind: 'subquery';
  readonly mode: 'scalar' | 'exists' | 'in';
  readonly plan: LogicalPlan;
  /** Left operand of IN; null otherwise. */
  readonly arg: Expr | null;
  /** NOT IN / NOT EXISTS. */
  readonly negated: boolean;
  /** The type of the plan's column (scalar), else integer. */
  readonly type: ValueType;
  /**
   * A correlated subquery: before each run, every `key` (an outer ParamExpr the plan reads) is
   * bound to `expr` evaluated on the current outer row. Absent: run once per execution.
   */
  readonly correlated?: readonly { readonly key: string; readonly expr: Expr }[];
  /**
   * IN: the comparisons' collation and affinity (from `arg` and the plan's column, as SQLite
   * picks them). Scalar: the result column's own affinity and collation.
   */
  readonly collation?: Collation;
  readonly affinity?: 'numeric' | 'text' | 'blob';
  /**
   * Scalar with an 'any'-typed column: the plan has a second column, the first's `typeof()`, so a
   * whole-number REAL result stays REAL (a plain row value cannot say so; tagged-real.ts).
   */
  readonly storageClass?: true;
  /**
   * Scalar: the result is this column of the first row (a row value compared with, or assigned
   * from, a subquery of several columns: one node per column). Absent: column 0.
   */
  readonly column?: number;
  /**
   * An item of a row value read from the subquery: the collation its result column's expression
   * brings to a comparison (a declared column's, BINARY included, or an explicit COLLATE's);
   * absent when it has none. A one-column scalar subquery has none, as in SQLite.
   */
  readonly itemCollation?: {
    readonly collation: Collation;
    readonly explicit: boolean;
    readonly unknown?: string;
  };
  /**
   * IN with a row value `arg` (`(a, b) IN (SELECT x, y …)`): per column, the comparison's
   * collation and affinity, chosen as for a one-column IN. Absent for a scalar `arg`.
   */
  readonly rowKeys?: readonly RowKey[];
}

/** How one column of a row-valued IN compares (SubqueryExpr.rowKeys). */
export interface RowKey {
  readonly collation?: Collation;
  readonly affinity?: 'numeric' | 'text' | 'blob';
}

/**
 * A row value `(a, b, …)`: only ever the left operand of a row-valued IN (SELECT …), which reads
 * its items one by one. Comparisons of row values are lowered to scalar comparisons (parser/
 * lower-row.ts), so nothing else meets this node.
 */
export interface RowExpr {
  readonly kind: 'row';
  readonly items: readonly Expr[];
}

export type Expr =
  | SubqueryExpr
  | RowExpr
  | ColumnExpr
  | LiteralExpr
  | ParamExpr
  | UnaryExpr
  | BinaryExpr
  | InExpr
  | BetweenExpr
  | LikeExpr
  | IsNullExpr
  | CastExpr
  | CaseExpr
  | CollateExpr
  | GlobExpr
  | AggregateExpr
  | SlotExpr
  | CallExpr;

export type ExprKind = Expr['kind'];

export const E = Object.freeze({
  column: (column: number, sub: readonly number[], type: ValueType, name: string): ColumnExpr => ({
    kind: 'column',
    column,
    sub,
    type,
    name,
  }),
  literal: (value: unknown, type: ValueType = literalType(value)): LiteralExpr => ({
    kind: 'literal',
    value,
    type,
  }),
  param: (key: number | string): ParamExpr => ({ kind: 'param', key }),
  unary: (op: UnaryExpr['op'], arg: Expr): UnaryExpr => ({ kind: 'unary', op, arg }),
  binary: (op: BinaryExpr['op'], left: Expr, right: Expr): BinaryExpr => ({
    kind: 'binary',
    op,
    left,
    right,
  }),
  and: (left: Expr, right: Expr): BinaryExpr => ({ kind: 'binary', op: 'and', left, right }),
  or: (left: Expr, right: Expr): BinaryExpr => ({ kind: 'binary', op: 'or', left, right }),
  in: (arg: Expr, list: readonly Expr[], negated = false): InExpr => ({ kind: 'in', arg, list, negated }),
  between: (arg: Expr, lo: Expr, hi: Expr, negated = false): BetweenExpr => ({
    kind: 'between',
    arg,
    lo,
    hi,
    negated,
  }),
  like: (arg: Expr, pattern: Expr, escape: Expr | null = null, negated = false, glob = false): LikeExpr => ({
    kind: 'like',
    arg,
    pattern,
    escape,
    negated,
    glob,
  }),
  isNull: (arg: Expr, negated = false): IsNullExpr => ({ kind: 'isNull', arg, negated }),
  cast: (arg: Expr, to: CastTarget): CastExpr => ({ kind: 'cast', arg, to }),
  case: (base: Expr | null, whens: readonly CaseWhen[], otherwise: Expr | null): CaseExpr => ({
    kind: 'case',
    base,
    whens,
    otherwise,
  }),
  collate: (arg: Expr, collation: Collation): CollateExpr => ({ kind: 'collate', arg, collation }),
  glob: (arg: Expr, pattern: Expr, negated = false): GlobExpr => ({ kind: 'glob', arg, pattern, negated }),
  aggregate: (
    fn: AggregateFn,
    arg: Expr | null,
    distinct = false,
    more: readonly Expr[] = [],
    filter: Expr | null = null,
    orderBy: readonly AggregateOrder[] = [],
  ): AggregateExpr => ({
    kind: 'aggregate',
    fn,
    arg,
    distinct,
    more,
    filter,
    ...(orderBy.length > 0 ? { orderBy } : {}),
  }),
  call: (name: string, args: readonly Expr[], type: ValueType): CallExpr => ({
    kind: 'call',
    name,
    args,
    type,
  }),
  slot: (index: number, type: ValueType, name: string): SlotExpr => ({ kind: 'slot', index, type, name }),
  row: (items: readonly Expr[]): RowExpr => ({ kind: 'row', items }),
});

/** The static type of a JS literal value. */
export function literalType(value: unknown): ValueType {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'bigint') return 'integer';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'real';
  if (typeof value === 'string') return 'text';
  if (typeof value === 'boolean') return 'boolean';
  if (value instanceof Uint8Array) return 'blob';
  if (value instanceof Date) return 'timestamp';
  return 'any';
}

/**
 * AND/OR of many operands as a balanced tree, left to right: 20,000 operands nest 15 levels deep
 * instead of 20,000, so the recursive passes over expressions keep a small stack (issue 11,
 * item 8). AND and OR are associative in three-valued logic too, so the shape changes nothing.
 */
export function balancedTree(items: readonly Expr[], op: 'and' | 'or'): Expr {
  let level = items;
  while (level.length > 1) {
    const next: Expr[] = [];
    for (let i = 0; i < level.length; i += 2)
      next.push(i + 1 < level.length ? E.binary(op, level[i], level[i + 1]) : level[i]);
    level = next;
  }
  return level[0];
}

/** Split a predicate into its AND-ed conjuncts. */
export function conjuncts(e: Expr | null): Expr[] {
  if (!e) return [];
  if (e.kind === 'binary' && e.op === 'and') return [...conjuncts(e.left), ...conjuncts(e.right)];
  return [e];
}

/**
 * Whether `e` reads no row data (literals and parameters only): a constant per execution. A
 * subquery is constant too, but only the executor can run it, so it is never an index key.
 */
export function isConstant(e: Expr): boolean {
  switch (e.kind) {
    case 'literal':
    case 'param':
      return true;
    case 'column':
    case 'slot':
    case 'aggregate':
    case 'subquery':
      return false;
    case 'unary':
      return isConstant(e.arg);
    case 'binary':
      return isConstant(e.left) && isConstant(e.right);
    case 'in':
      return isConstant(e.arg) && e.list.every(isConstant);
    case 'between':
      return isConstant(e.arg) && isConstant(e.lo) && isConstant(e.hi);
    case 'like':
      return isConstant(e.arg) && isConstant(e.pattern) && (e.escape === null || isConstant(e.escape));
    case 'isNull':
    case 'cast':
    case 'collate':
      return isConstant(e.arg);
    case 'glob':
      return isConstant(e.arg) && isConstant(e.pattern);
    case 'case':
      return (
        (e.base === null || isConstant(e.base)) &&
        e.whens.every((w) => isConstant(w.when) && isConstant(w.then)) &&
        (e.otherwise === null || isConstant(e.otherwise))
      );
    case 'row':
      return e.items.every(isConstant);
    case 'call':
      // Never an index key: random() differs per row, and the planner does not ask the table.
      return false;
  }
}

/** Direct sub-expressions of `e` (an aggregate's argument included). */
export function exprChildren(e: Expr): Expr[] {
  switch (e.kind) {
    case 'column':
    case 'literal':
    case 'param':
    case 'slot':
      return [];
    case 'aggregate':
      return [
        ...(e.arg ? [e.arg] : []),
        ...e.more,
        ...(e.filter ? [e.filter] : []),
        ...(e.orderBy ?? []).map((k) => k.expr),
      ];
    case 'subquery':
      return e.arg ? [e.arg] : [];
    case 'unary':
    case 'isNull':
    case 'cast':
    case 'collate':
      return [e.arg];
    case 'binary':
      return [e.left, e.right];
    case 'in':
      return [e.arg, ...e.list];
    case 'between':
      return [e.arg, e.lo, e.hi];
    case 'like':
      return e.escape ? [e.arg, e.pattern, e.escape] : [e.arg, e.pattern];
    case 'glob':
      return [e.arg, e.pattern];
    case 'case': {
      const out: Expr[] = e.base ? [e.base] : [];
      for (const w of e.whens) out.push(w.when, w.then);
      if (e.otherwise) out.push(e.otherwise);
      return out;
    }
    case 'call':
      return [...e.args];
    case 'row':
      return [...e.items];
  }
}
