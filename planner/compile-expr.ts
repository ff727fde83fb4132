/**
 * Expression compiler: Expr IR → closure over a row array, once per statement. Static types
 * decide integer vs REAL arithmetic (a REAL column holding 3 is still REAL); parameters are typed
 * by their bound value at run time. Comparisons use the one comparison function of
 * storage/compare.ts and return 1/0/NULL like SQLite; AND/OR/NOT follow Kleene logic.
 */
import { wasBoundBigint } from './bound-bigints';
import { compareValues } from '../storage/compare';
import { DataError, InternalError, QueryError } from '../src/errors';
import type { Collation, CompareOp, Expr, ValueType } from './expr';
import { typeOf } from './expr-type';
import { scalarFunction } from './functions';
import type { CallSite } from './functions';
import { globMatcher, likeMatcher } from './like';
import { intArith, intDiv, intMod, mixedMod, realArith, truth } from './sql-values';
import { castValue, normInt, textToNumber, toInt64, toText } from './sqlite-cast';
import type { SqlNumber } from './sqlite-cast';
import { collationKey, compareCollated, exprCollation } from './sql-text';
import { TaggedReal, tagReal, untag } from './tagged-real';
import type { ExistsProbe, ScalarProbe } from './exists-probe';
import { markJson } from './json-subtype';
import type { LogicalPlan } from './logical';
import type { PhysicalPlan } from './physical';
import { compileSubquery } from './subquery';
import { isOuterKey, outerValue } from './outer-refs';

export type Row = readonly unknown[];
export type Evaluator = (row: Row) => unknown;

/** A connection's counters, as changes(), total_changes() and last_insert_rowid() report them. */
export interface SessionState {
  readonly changes: number;
  readonly totalChanges: number;
  readonly lastInsertRowid: number | bigint;
  /** `PRAGMA case_sensitive_like = 1`: LIKE compares ASCII letters exactly. */
  readonly caseSensitiveLike?: boolean;
}

/** Per-execution bindings the compiled closures read (set before each run of a cached plan). */
export interface ExecContext {
  params: readonly unknown[] | Readonly<Record<string, unknown>>;
  /** The SQL connection running the statement (absent for the typed query builder). */
  session?: SessionState;
  /**
   * Runs a subquery's plan on the statement's snapshot (set by the executor: this module cannot
   * import it). A new function per execution, which is what tells cached subquery results apart.
   */
  runPlan?: (plan: LogicalPlan) => readonly Row[];
  /**
   * The physical plan runPlan would run (set by the executor): how a correlated subquery runs
   * depends on it (planner/scalar-decorrelate.ts). Absent: correlated subqueries never group.
   */
  planOf?: (plan: LogicalPlan) => PhysicalPlan;
  /**
   * A correlated EXISTS's probe for `plan` (planner/exists-probe.ts), built once per execution:
   * whether the plan has a row under the outer values bound now; null when its shape has none.
   */
  probeOf?: (plan: LogicalPlan) => ExistsProbe | null;
  /** A correlated scalar subquery's first-row probe for `plan`, built once per execution; or null. */
  scalarProbeOf?: (plan: LogicalPlan) => ScalarProbe | null;
  /**
   * The rows of the tables `plan` scans, in the statement's snapshot (set by the executor); null
   * when one is not a table of it. What grouping a correlated subquery would read.
   */
  tableRows?: (plan: LogicalPlan) => number | null;
}

export interface Compiled {
  readonly eval: Evaluator;
  readonly type: ValueType;
}

function bool(b: boolean | null): 1 | 0 | null {
  return b === null ? null : b ? 1 : 0;
}

function readParam(ctx: ExecContext, key: number | string): unknown {
  if (typeof key === 'string' && isOuterKey(key)) return outerValue(key);
  const params = ctx.params;
  const v = Array.isArray(params)
    ? (params as readonly unknown[])[key as number]
    : (params as Record<string, unknown>)[key as string];
  return v === undefined ? null : v instanceof Date ? v.getTime() : v;
}

/**
 * The value of an expression that reads no row (a lookup key, a bound), once: a parameter or a
 * literal without compiling it, which matters because a point query evaluates a few per execution.
 */
export function evalConstant(e: Expr, ctx: ExecContext): unknown {
  if (e.kind === 'param')
    return e.affinity === undefined
      ? readParam(ctx, e.key)
      : paramAffinity(readParam(ctx, e.key), e.affinity, wasBoundBigint(ctx.params, e.key));
  if (e.kind === 'literal') return e.value instanceof Date ? e.value.getTime() : (e.value ?? null);
  return compile(e, ctx)(NO_INPUT);
}

const NO_INPUT: Row = [];

export function compileExpr(e: Expr, ctx: ExecContext): Compiled {
  return { eval: compile(e, ctx), type: typeOf(e) };
}

/**
 * `e` as the test of a WHERE, ON, HAVING or FILTER clause: true only when `e` is true. Its AND and
 * OR operands are tested the way SQLite codes a WHERE (sqlite3ExprIfFalse): an AND whose left side
 * is not true — false or NULL — rejects the row without evaluating its right side, where an AND
 * computing a value must evaluate it (NULL AND x is false or NULL depending on x). The same rows
 * pass either way, but an error the right side raises (a bad ESCAPE, an integer overflow) is not
 * raised for rows the left side already rejected, as in SQLite.
 */
export function compilePredicate(e: Expr, ctx: ExecContext): (row: Row) => boolean {
  if (e.kind === 'binary' && (e.op === 'and' || e.op === 'or')) {
    const l = compilePredicate(e.left, ctx);
    const r = compilePredicate(e.right, ctx);
    return e.op === 'and' ? (row) => l(row) && r(row) : (row) => l(row) || r(row);
  }
  const f = compile(e, ctx);
  return (row) => truth(f(row)) === true;
}

/** `e`'s evaluator folding its value under its collation (NOCASE/RTRIM): a sort or order key. */
export function compileCollatedKey(e: Expr, ctx: ExecContext): Evaluator {
  const f = compile(e, ctx);
  const collation = exprCollation(e);
  return collation ? (row) => collationKey(f(row), collation) : f;
}

/**
 * Like compileExpr, but when the static type is 'any' its whole-number REALs come back as
 * TaggedReal (planner/tagged-real.ts): for what makes row columns (Project, VALUES, group keys),
 * which must hand a REAL on as REAL, and the aggregate accumulators, which unwrap them.
 */
export function compileTaggedExpr(e: Expr, ctx: ExecContext): Compiled {
  return { eval: compileOperand(e, ctx), type: typeOf(e) };
}

/**
 * `e` with every whole-number REAL tagged, a REAL-typed expression's too: for a column whose
 * other rows hold other types (a VALUES column typed per row).
 */
export function compileTagged(e: Expr, ctx: ExecContext): Evaluator {
  return compile(e, ctx, true);
}

/** Node kinds whose 'any'-typed value may be a REAL that only a tag can mark. */
function mayTag(e: Expr): boolean {
  switch (e.kind) {
    case 'binary':
      return e.op === '+' || e.op === '-' || e.op === '*' || e.op === '/' || e.op === '%';
    case 'unary':
      return e.op === 'neg';
    case 'case':
    case 'call':
    case 'slot':
    case 'collate':
    case 'cast':
    case 'subquery':
      return true;
    case 'column':
      // An 'any' column of a derived table, CTE or compound may hold tags (planner/tagged-real.ts).
      return e.jsonTypeAt !== undefined || e.type === 'any';
    default:
      return false;
  }
}

/**
 * Plain mode (the default) never returns a TaggedReal; tagged mode returns one for every
 * whole-number REAL whose static type is not 'real' itself.
 */
function compile(e: Expr, ctx: ExecContext, tagged = false): Evaluator {
  if (tagged) {
    const t = typeOf(e);
    if (t === 'real') {
      const f = compileNode(e, ctx, false);
      return (row) => tagReal(f(row));
    }
    return compileNode(e, ctx, t === 'any' && mayTag(e));
  }
  if (mayTag(e) && typeOf(e) === 'any') {
    const f = compileNode(e, ctx, true);
    return (row) => untag(f(row));
  }
  return compileNode(e, ctx, false);
}

/**
 * An operand whose REAL-ness matters to its consumer (arithmetic, text conversion): tagged when
 * only a tag can tell, plain when the static type already does (no per-row allocation).
 */
function compileOperand(e: Expr, ctx: ExecContext): Evaluator {
  return compile(e, ctx, typeOf(e) === 'any');
}

function compileNode(e: Expr, ctx: ExecContext, tagged: boolean): Evaluator {
  switch (e.kind) {
    case 'column': {
      const { column, sub } = e;
      if (e.jsonTypeAt !== undefined) return jsonTableColumn(column, column + e.jsonTypeAt, tagged);
      if (sub.length === 0) return (row) => row[column] ?? null;
      return (row) => {
        let v: unknown = row[column];
        for (const s of sub) {
          if (!Array.isArray(v)) return null;
          v = v[s];
        }
        return v ?? null;
      };
    }
    case 'slot': {
      // Aggregate results over 'any' values may be tagged (see compileTaggedExpr): a plain read
      // unwraps them whatever the slot's static type says, so no tag reaches a result row.
      const i = e.index;
      if (tagged) return (row) => row[i] ?? null;
      return (row) => untag(row[i] ?? null);
    }
    case 'literal': {
      const v = e.value instanceof Date ? e.value.getTime() : (e.value ?? null);
      return () => v;
    }
    case 'param': {
      const key = e.key;
      const aff = e.affinity;
      if (aff !== undefined)
        return () => paramAffinity(readParam(ctx, key), aff, wasBoundBigint(ctx.params, key));
      return () => readParam(ctx, key);
    }
    case 'unary':
      return compileUnary(e.op, e.arg, ctx, tagged);
    case 'binary':
      return compileBinary(e, ctx, tagged);
    case 'row': {
      // Only a row-valued IN reads one (planner/subquery.ts): its items, as an array.
      const items = e.items.map((x) => compile(x, ctx));
      return (row) => items.map((f) => f(row));
    }
    case 'subquery':
      return compileSubquery(
        e,
        ctx,
        e.arg ? compile(e.arg, ctx) : null,
        numericAffinity,
        (e.correlated ?? []).map((b) => compile(b.expr, ctx)),
      );
    case 'in': {
      const arg = compile(e.arg, ctx);
      const list = e.list.map((x) => inListItem(e.arg, x, ctx));
      const negated = e.negated;
      const collations = e.collations ?? [];
      const collated = collations.some((c) => c !== undefined);
      return (row) => {
        if (list.length === 0) return negated ? 1 : 0;
        const v = arg(row);
        if (v === null) return null;
        let sawNull = false;
        for (let i = 0; i < list.length; i++) {
          const w = list[i](row);
          if (w === null) sawNull = true;
          else if ((collated ? compareCollated(v, w, collations[i]) : compareValues(v, w)) === 0)
            return negated ? 0 : 1;
        }
        return sawNull ? null : negated ? 1 : 0;
      };
    }
    case 'between': {
      const negated = e.negated;
      const collation = e.collation;
      // `x BETWEEN y AND z` is `x >= y AND x <= z`: each comparison with its affinity (operands
      // read tagged then, so that a whole-number REAL converts to text as '10.0').
      const lowConv = affinityConversions(e.arg, e.lo);
      const highConv = affinityConversions(e.arg, e.hi);
      const converts = lowConv !== null || highConv !== null;
      const arg = compile(e.arg, ctx, converts);
      const lo = compile(e.lo, ctx, converts);
      const hi = compile(e.hi, ctx, converts);
      const [la, lb] = lowConv ?? [untag, untag];
      const [ha, hb] = highConv ?? [untag, untag];
      return (row) => {
        const v = arg(row);
        const a = v === null ? null : cmpTruth(la(v), lb(lo(row)), '>=', collation);
        const b = v === null ? null : cmpTruth(ha(v), hb(hi(row)), '<=', collation);
        const both = a === false || b === false ? false : a === null || b === null ? null : true;
        return bool(both === null ? null : negated ? !both : both);
      };
    }
    case 'like': {
      const arg = compileOperand(e.arg, ctx);
      const pattern = compileOperand(e.pattern, ctx);
      const escape = e.escape ? compile(e.escape, ctx) : null;
      const argReal = typeOf(e.arg) === 'real';
      const patReal = typeOf(e.pattern) === 'real';
      const negated = e.negated;
      if (e.glob) {
        return (row) => {
          const s = toText(arg(row), argReal);
          const p = toText(pattern(row), patReal);
          if (s === null || p === null) return null;
          const m = globMatcher(p)(s);
          return negated ? (m ? 0 : 1) : m ? 1 : 0;
        };
      }
      return (row) => {
        const s = toText(arg(row), argReal);
        const p = toText(pattern(row), patReal);
        if (s === null || p === null) return null;
        let esc: string | null = null;
        if (escape) {
          esc = toText(escape(row), false);
          if (esc === null) return null;
          if (Array.from(esc).length !== 1)
            throw new DataError('ESCAPE expression must be a single character', 'DATA');
        }
        // The session is the running connection's, swapped in per execution.
        const m = likeMatcher(p, esc, ctx.session?.caseSensitiveLike === true)(s);
        return negated ? (m ? 0 : 1) : m ? 1 : 0;
      };
    }
    case 'isNull': {
      const arg = compile(e.arg, ctx);
      const negated = e.negated;
      return (row) => ((arg(row) === null) !== negated ? 1 : 0);
    }
    case 'cast':
      return compileCast(e, ctx, tagged);
    case 'collate':
      return compile(e.arg, ctx, tagged);
    case 'glob': {
      const arg = compileOperand(e.arg, ctx);
      const pattern = compileOperand(e.pattern, ctx);
      const argReal = typeOf(e.arg) === 'real';
      const patReal = typeOf(e.pattern) === 'real';
      const negated = e.negated;
      return (row) => {
        const s = toText(arg(row), argReal);
        const p = toText(pattern(row), patReal);
        if (s === null || p === null) return null;
        return globMatcher(p)(s) !== negated ? 1 : 0;
      };
    }
    case 'case':
      return compileCase(e, ctx, tagged);
    case 'aggregate':
      throw new InternalError('aggregate expression outside an Aggregate node');
    case 'call': {
      // Resolved once here, per statement: the closure never looks the name up again.
      const def = scalarFunction(e.name);
      if (!def) throw new InternalError(`no scalar function ${e.name}()`);
      const f = def.compile(new Site(e.args, ctx));
      return def.tagsReal && !tagged ? (row) => untag(f(row)) : f;
    }
  }
}

/**
 * json_each's value or atom, told apart by the row's `type` column: a REAL is tagged (when the
 * consumer asked) and an array or object is marked as carrying the JSON subtype.
 */
function jsonTableColumn(column: number, typeColumn: number, tagged: boolean): Evaluator {
  return (row) => {
    const v = row[column] ?? null;
    const t = row[typeColumn];
    if (t === 'real') return tagged ? tagReal(v) : v;
    if ((t === 'array' || t === 'object') && typeof v === 'string') markJson(v);
    return v;
  };
}

/** A call's arguments; the tagged evaluators are compiled only for functions that ask. */
class Site implements CallSite {
  readonly args: readonly Evaluator[];
  readonly types: readonly ValueType[];
  private taggedArgs: readonly Evaluator[] | null = null;
  private testArgs: readonly ((row: Row) => boolean)[] | null = null;
  constructor(
    readonly exprs: readonly Expr[],
    readonly ctx: ExecContext,
  ) {
    this.args = exprs.map((a) => compile(a, ctx));
    this.types = exprs.map(typeOf);
  }
  get tagged(): readonly Evaluator[] {
    this.taggedArgs ??= this.exprs.map((a) => compile(a, this.ctx, true));
    return this.taggedArgs;
  }
  get tests(): readonly ((row: Row) => boolean)[] {
    this.testArgs ??= this.exprs.map((a) => compilePredicate(a, this.ctx));
    return this.testArgs;
  }
}

function compileCast(e: Extract<Expr, { kind: 'cast' }>, ctx: ExecContext, tagged: boolean): Evaluator {
  const argType = typeOf(e.arg);
  const isReal = argType === 'real';
  const to = e.to;
  const dynamic = argType === 'any';
  const arg = compile(e.arg, ctx, dynamic);
  if (!dynamic && (!tagged || to !== 'numeric')) return (row) => castValue(arg(row), isReal, to);
  const tagNumeric = tagged && to === 'numeric';
  return (row) => {
    const v = arg(row);
    if (v instanceof TaggedReal)
      return to !== 'numeric' ? castValue(v.value, true, to) : tagged ? v : v.value;
    const r = castValue(v, isReal, to);
    // Text that reads as a whole REAL too large to be an INTEGER stays REAL ('1e20').
    return tagNumeric &&
      (typeof v === 'string' || v instanceof Uint8Array) &&
      typeof r === 'number' &&
      Math.abs(r) >= 2 ** 51
      ? tagReal(r)
      : r;
  };
}

function compileCase(e: Extract<Expr, { kind: 'case' }>, ctx: ExecContext, tagged: boolean): Evaluator {
  const otherwise = e.otherwise ? compile(e.otherwise, ctx, tagged) : () => null;
  if (e.base === null) {
    // A WHEN is a test, as a WHERE is: its ANDs stop at the first operand that is not true.
    const tests = e.whens.map((w) => ({
      when: compilePredicate(w.when, ctx),
      then: compile(w.then, ctx, tagged),
    }));
    return (row) => {
      for (const w of tests) if (w.when(row)) return w.then(row);
      return otherwise(row);
    };
  }
  const operand = e.base;
  const whens = e.whens.map((w) => {
    // Each arm compares as `operand = arm` would: with SQLite's comparison affinity.
    const convert = affinityConversions(operand, w.when, true);
    return {
      when: compile(w.when, ctx, convert !== null),
      then: compile(w.then, ctx, tagged),
      left: convert?.[0] ?? null,
      right: convert?.[1] ?? null,
    };
  });
  // Read tagged when an arm converts, so that a whole-number REAL converts to text as '10.0'.
  const base = compile(
    operand,
    ctx,
    whens.some((w) => w.left !== null),
  );
  const collation = e.collation;
  return (row) => {
    // The operand is evaluated once; a NULL operand or arm never matches (`=` is NULL then).
    const v = base(row);
    if (v !== null)
      for (const w of whens) {
        const x = w.when(row);
        if (x === null) continue;
        const a = w.left ? w.left(v) : untag(v);
        const b = w.right ? w.right(x) : x;
        if (a !== null && b !== null && compareCollated(a, b, collation) === 0) return w.then(row);
      }
    return otherwise(row);
  };
}

function cmpTruth(a: unknown, b: unknown, op: CompareOp, collation?: Collation): boolean | null {
  if (a === null || b === null) return null;
  return cmpResult(collation === undefined ? compareValues(a, b) : compareCollated(a, b, collation), op);
}

/** BINARY comparison: the per-row path of plain predicates, kept small so it inlines. */
function cmpBinary(a: unknown, b: unknown, op: CompareOp): boolean | null {
  if (a === null || b === null) return null;
  return cmpResult(compareValues(a, b), op);
}

function cmpResult(c: number, op: CompareOp): boolean {
  switch (op) {
    case '=':
      return c === 0;
    case '!=':
      return c !== 0;
    case '<':
      return c < 0;
    case '<=':
      return c <= 0;
    case '>':
      return c > 0;
    case '>=':
      return c >= 0;
  }
}

function compileUnary(
  op: 'not' | 'neg' | 'pos' | 'bitnot',
  argExpr: Expr,
  ctx: ExecContext,
  tagged: boolean,
): Evaluator {
  // Text, blobs and 'any' values negate as INTEGER or REAL depending on the value.
  if (op === 'neg' && typeOf({ kind: 'unary', op, arg: argExpr }) === 'any')
    return compileDynamicNeg(argExpr, ctx, tagged);
  const arg = compile(argExpr, ctx);
  if (op === 'bitnot') {
    const isReal = typeOf(argExpr) === 'real';
    return (row) => {
      const v = arg(row);
      if (v === null) return null;
      if (typeof v === 'number' && !isReal && (v | 0) === v) return ~v;
      return normInt(BigInt.asIntN(64, ~toInt64(v, isReal)));
    };
  }
  if (op === 'not') {
    return (row) => {
      const t = truth(arg(row));
      return t === null ? null : t ? 0 : 1;
    };
  }
  if (op === 'pos') return arg;
  const real = typeOf(argExpr) === 'real';
  return (row) => {
    const v = arg(row);
    if (v === null) return null;
    if (typeof v === 'bigint') return intArith('-', 0, v);
    if (typeof v === 'boolean') return v ? -1 : 0;
    if (typeof v === 'number') return real || !Number.isSafeInteger(v) ? -v + 0 : intArith('-', 0, v);
    if (typeof v === 'string' || v instanceof Uint8Array) {
      const n = textToNumber(toText(v, false) ?? '');
      return n.isInteger ? intArith('-', 0, n.value) : -(n.value as number) + 0;
    }
    throw new DataError(`cannot negate a ${typeof v} value`, 'TYPE_MISMATCH');
  };
}

/** Negation of a value whose type is decided per row: '3.0' and a tagged 2.0 negate as REAL. */
function compileDynamicNeg(argExpr: Expr, ctx: ExecContext, tagged: boolean): Evaluator {
  const arg = compile(argExpr, ctx, true);
  const real = (x: number): unknown => (tagged ? tagReal(-x + 0) : -x + 0);
  return (row) => {
    const v = arg(row);
    if (v === null) return null;
    if (v instanceof TaggedReal) return real(v.value);
    if (typeof v === 'bigint') return intArith('-', 0, v);
    if (typeof v === 'boolean') return v ? -1 : 0;
    if (typeof v === 'number') return Number.isSafeInteger(v) ? intArith('-', 0, v) : -v + 0;
    if (typeof v === 'string' || v instanceof Uint8Array) {
      const n = textToNumber(toText(v, false) ?? '');
      return n.isInteger ? intArith('-', 0, n.value) : real(n.value as number);
    }
    throw new DataError(`cannot negate a ${typeof v} value`, 'TYPE_MISMATCH');
  };
}

function isIntegral(v: unknown, staticType: ValueType): boolean {
  // Numbers first: this runs per row and operand.
  if (typeof v === 'number') return staticType !== 'real' && Number.isSafeInteger(v);
  if (typeof v === 'bigint' || typeof v === 'boolean') return true;
  if (staticType === 'real' || v instanceof TaggedReal) return false;
  if (typeof v === 'string' || v instanceof Uint8Array) return textToNumber(toText(v, false) ?? '').isInteger;
  return false;
}

/** An arithmetic operand: text and blobs read their numeric prefix ('12abc' + 1 is 13). */
function asNumber(v: unknown): number | bigint {
  if (typeof v === 'number' || typeof v === 'bigint') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string' || v instanceof Uint8Array) return textToNumber(toText(v, false) ?? '').value;
  if (v instanceof TaggedReal) return v.value;
  throw new DataError(`arithmetic on a ${typeof v} value`, 'TYPE_MISMATCH');
}

function compileBinary(e: Extract<Expr, { kind: 'binary' }>, ctx: ExecContext, tagged: boolean): Evaluator {
  const op = e.op;
  const keepReal = op === '||' || op === '+' || op === '-' || op === '*' || op === '/' || op === '%';
  const left = keepReal ? compileOperand(e.left, ctx) : compile(e.left, ctx);
  const right = keepReal ? compileOperand(e.right, ctx) : compile(e.right, ctx);
  switch (op) {
    case 'and':
      return (row) => {
        const a = truth(left(row));
        if (a === false) return 0;
        const b = truth(right(row));
        if (b === false) return 0;
        return a === null || b === null ? null : 1;
      };
    case 'or':
      return (row) => {
        const a = truth(left(row));
        if (a === true) return 1;
        const b = truth(right(row));
        if (b === true) return 1;
        return a === null || b === null ? null : 0;
      };
    case '=':
    case '!=':
    case '<':
    case '<=':
    case '>':
    case '>=': {
      const collation = e.collation;
      const conv = affinityConversions(e.left, e.right);
      if (conv) {
        const [cl, cr] = conv;
        // A whole-number REAL converts to text as REAL ('10.0'): read the operands tagged.
        const l = compile(e.left, ctx, true);
        const r = compile(e.right, ctx, true);
        return (row) => bool(cmpTruth(cl(l(row)), cr(r(row)), op, collation));
      }
      // BINARY compares as compareValues does: the plain path, which inlines.
      if (collation && collation !== 'binary')
        return (row) => bool(cmpTruth(left(row), right(row), op, collation));
      return (row) => bool(cmpBinary(left(row), right(row), op));
    }
    case 'is':
    case 'isNot': {
      const collation = e.collation;
      const want = op === 'is' ? 1 : 0;
      const conv = affinityConversions(e.left, e.right) ?? [identity, identity];
      const [cl, cr] = conv;
      return (row) => {
        const a = left(row);
        const b = right(row);
        const same = a === null || b === null ? a === b : compareCollated(cl(a), cr(b), collation) === 0;
        return same ? want : 1 - want;
      };
    }
    case '&':
    case '|':
    case '<<':
    case '>>':
      return compileBitOp(op, left, right, typeOf(e.left) === 'real', typeOf(e.right) === 'real');
    case '||': {
      const lr = typeOf(e.left) === 'real';
      const rr = typeOf(e.right) === 'real';
      return (row) => {
        const a = toText(left(row), lr);
        const b = toText(right(row), rr);
        return a === null || b === null ? null : a + b;
      };
    }
    case '+':
    case '-':
    case '*':
    case '/':
    case '%': {
      const lt = typeOf(e.left);
      const rt = typeOf(e.right);
      for (const [t, side] of [
        [lt, e.left],
        [rt, e.right],
      ] as const) {
        // Text and blobs convert like SQLite's; composite values (lists, objects) have no number.
        if (t === 'composite') {
          throw new QueryError(
            `arithmetic operator ${op} needs numbers, got ${t} (${describe(side)})`,
            'QUERY',
          );
        }
      }
      return (row) => {
        const a = left(row);
        const b = right(row);
        if (a === null || b === null) return null;
        const x = asNumber(a);
        const y = asNumber(b);
        const xi = isIntegral(a, lt);
        const yi = isIntegral(b, rt);
        if (xi && yi) {
          if (op === '/') return intDiv(x, y);
          if (op === '%') return intMod(x, y);
          return intArith(op, x, y);
        }
        const r = op === '%' && (xi || yi) ? mixedMod(x, xi, y, yi) : realArith(op, Number(x), Number(y));
        return tagged ? tagReal(r) : r;
      };
    }
  }
}

function identity(v: unknown): unknown {
  return v;
}

export type Affinity = 'numeric' | 'text' | 'blob' | 'none';

/** Affinity of an operand for comparisons: columns and CASTs carry one, other expressions none. */
export function affinity(e: Expr): Affinity {
  if (e.kind === 'collate') return affinity(e.arg);
  if (e.kind === 'column' && e.blobAffinity) return 'blob';
  // A scalar subquery has its result column's affinity, as in SQLite.
  if (e.kind === 'subquery') return e.mode === 'scalar' ? (e.affinity ?? 'none') : 'none';
  if (e.kind === 'cast') return e.to === 'blob' ? 'none' : e.to === 'text' ? 'text' : 'numeric';
  // An outer column of a correlated subquery keeps its column's affinity.
  const t = e.kind === 'column' ? e.type : e.kind === 'param' && e.outer?.column ? e.outer.type : null;
  if (t === 'text') return 'text';
  if (t === 'integer' || t === 'real' || t === 'boolean') return 'numeric';
  return 'none';
}

function columnLike(e: Expr): boolean {
  if (e.kind === 'collate') return columnLike(e.arg);
  return e.kind === 'column' || (e.kind === 'param' && e.outer?.column === true);
}

/** Operands whose affinity strict typing cannot settle when lowering: CASTs and scalar subqueries. */
function involvesCast(e: Expr): boolean {
  if (e.kind === 'subquery') return e.mode === 'scalar';
  return e.kind === 'cast' || (e.kind === 'collate' && involvesCast(e.arg));
}

/**
 * A bound value as a column of `affinity` converts it in a comparison (ParamExpr.affinity). A
 * number reads as better-sqlite3 binds it: a REAL's text, or an INTEGER's when it was bound as a
 * bigint (`bigint`).
 */
function paramAffinity(v: unknown, affinity: 'numeric' | 'text', bigint: boolean): unknown {
  if (affinity === 'numeric') return numericAffinity(v);
  if (typeof v === 'number') return toText(v, !bigint);
  return typeof v === 'bigint' ? toText(v, false) : v;
}

/** Text that reads entirely as a number becomes that number (SQLite's numeric affinity). */
export function numericAffinity(v: unknown): unknown {
  return typeof v === 'string' ? (numericText(v)?.value ?? v) : v;
}

/** The number text reads as entirely (surrounding spaces aside), or null: SQLite's numeric affinity. */
export function numericText(v: string): SqlNumber | null {
  const t = v.trim();
  return /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t) ? textToNumber(t) : null;
}

/**
 * The conversions SQLite's comparison affinity applies to each operand, or null for none. A
 * literal compared with a column took the column's affinity when the statement was lowered;
 * this covers the rest: CASTs, two columns of different types (a join's `ON a.n = b.t`), and a
 * column against an expression of another class (`s = a + 1` compares the sum as text).
 */
function affinityConversions(
  l: Expr,
  r: Expr,
  /** Literals convert here too (a CASE operand, which lowering could not give each arm's affinity). */
  literals = false,
): [(v: unknown) => unknown, (v: unknown) => unknown] | null {
  const la = affinity(l);
  const ra = affinity(r);
  const columns = columnLike(l) && columnLike(r);
  const mixed = (columnLike(l) && otherClass(la, r)) || (columnLike(r) && otherClass(ra, l, literals));
  if (!involvesCast(l) && !involvesCast(r) && !columns && !mixed) return null;
  // Values may come tagged (a scalar subquery read with its storage class): unwrap them.
  const numeric = (v: unknown): unknown => numericAffinity(untag(v));
  if (la === 'numeric' && ra !== 'numeric') return [untag, numeric];
  if (ra === 'numeric' && la !== 'numeric') return [numeric, untag];
  if (la === 'text' && ra === 'none') return [untag, textAffinity(typeOf(r) === 'real')];
  if (ra === 'text' && la === 'none') return [textAffinity(typeOf(l) === 'real'), untag];
  return null;
}

/**
 * SQLite's TEXT affinity applied to a value compared with a TEXT operand: a number becomes its
 * text (a tagged or `isReal` whole number as a REAL's, '10.0'), a boolean '1' or '0'.
 */
function textAffinity(isReal: boolean): (v: unknown) => unknown {
  return (v) =>
    v instanceof TaggedReal
      ? toText(v.value, true)
      : typeof v === 'number' || typeof v === 'bigint'
        ? toText(v, isReal)
        : typeof v === 'boolean'
          ? v
            ? '1'
            : '0'
          : v;
}

/**
 * Whether `e`, without an affinity of its own, may yield a value a column of affinity `a` converts
 * in a comparison: not when its type already is the column's class (the conversion would do
 * nothing, and every row would pay for it).
 */
export function otherClass(a: Affinity, e: Expr, literals = false): boolean {
  // Literals took the column's affinity when lowered, bound values carry theirs (ParamExpr.affinity).
  if (affinity(e) !== 'none' || (e.kind === 'literal' && !literals) || e.kind === 'param') return false;
  const t = typeOf(e);
  if (a === 'numeric') return !numberTyped(t) && !alwaysNumber(e);
  if (a === 'text') return t !== 'text' && t !== 'null';
  return false;
}

/** A static type whose values need no numeric affinity (numbers, booleans, NULL). */
function numberTyped(t: ValueType): boolean {
  return t === 'integer' || t === 'real' || t === 'boolean' || t === 'null';
}

/** Arithmetic yields a number (or NULL) whatever its operands: `? + 1` needs no numeric affinity. */
function alwaysNumber(e: Expr): boolean {
  if (e.kind === 'binary') return e.op !== '||';
  return e.kind === 'unary' && e.op !== 'pos';
}

/**
 * An IN list's item as SQLite compares it: `x IN (y, …)` is `x = +y OR …`, the items taken to
 * have no affinity, so x's affinity converts each item (a column or CAST among them too). Only
 * items that may hold another class than x's pay for a conversion.
 */
function inListItem(arg: Expr, item: Expr, ctx: ExecContext): Evaluator {
  const a = affinity(arg);
  // Against a column, literals took its affinity when lowered; bound values carry theirs.
  if (item.kind === 'param' || (item.kind === 'literal' && columnLike(arg))) return compile(item, ctx);
  const t = typeOf(item);
  if (a === 'numeric' && !numberTyped(t)) {
    const f = compile(item, ctx);
    return (row) => numericAffinity(f(row));
  }
  if (a === 'text' && t !== 'text' && t !== 'null') {
    const convert = textAffinity(t === 'real');
    // Tagged: a whole-number REAL converts to text as '10.0'.
    const f = compile(item, ctx, true);
    return (row) => convert(f(row));
  }
  return compile(item, ctx);
}

/** SQLite's OP_BitAnd/BitOr/ShiftLeft/ShiftRight on the operands' 64-bit integer values. */
function compileBitOp(
  op: '&' | '|' | '<<' | '>>',
  left: Evaluator,
  right: Evaluator,
  lReal: boolean,
  rReal: boolean,
): Evaluator {
  return (row) => {
    const a = left(row);
    const b = right(row);
    if (a === null || b === null) return null;
    if ((op === '&' || op === '|') && typeof a === 'number' && typeof b === 'number' && !lReal && !rReal) {
      // 32-bit fast path: JS bit operators are exact there.
      if ((a | 0) === a && (b | 0) === b) return op === '&' ? a & b : a | b;
    }
    const x = toInt64(a, lReal);
    let y = toInt64(b, rReal);
    if (op === '&') return normInt(x & y);
    if (op === '|') return normInt(x | y);
    let shiftLeft = op === '<<';
    // A negative shift goes the other way; 64 or more shifts everything out.
    if (y < 0n) {
      shiftLeft = !shiftLeft;
      y = y > -64n ? -y : 64n;
    }
    if (y >= 64n) return x >= 0n || shiftLeft ? 0 : -1;
    return normInt(shiftLeft ? BigInt.asIntN(64, x << y) : x >> y);
  };
}

function describe(e: Expr): string {
  return e.kind === 'column' ? e.name : e.kind;
}
