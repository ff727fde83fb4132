/**
 * Expression lowering: SQL syntax → planner Expr with names resolved against one table, literals
 * typed the SQLite way, parameters collected, aggregate calls registered as slots of the
 * Aggregate node, and a literal compared with a column given the column's comparison affinity as
 * SQLite gives it (the stored values themselves are strictly typed and never converted).
 */
import { DataError, NotSupportedError, QueryError } from '../src/errors';
import { E } from '../planner/expr';
import type { AggregateExpr, BinaryExpr, Collation, CompareOp, Expr, IsOp } from '../planner/expr';
import { lowerWindowCall, readsWindow } from './lower-window';
import type { WindowScope } from './lower-window';
import { isAggregateCall, resolveFunction } from '../planner/functions';
import { affinity, numericText } from '../planner/compile-expr';
import { typeOf } from '../planner/expr-type';
import { toText } from '../planner/sqlite-cast';
import { affinityOfTypeName } from '../planner/sqlite-cast';
import { comparisonCollation, parseCollation } from '../planner/sql-text';
import type { SqlExpr } from './sql/ast';
import type { ParamCollector } from './params';
import { tryColumn } from './scope';
import type { Scope } from './join-scope';
import { isMulti, lookupColumn } from './join-scope';
import { numberLiteral } from './literals';
import { containsKind, exprEquals } from './expr-utils';
import { lowerSubquery, outerColumn } from './lower-subquery';
import { mayBeRow, rowBetween, rowCase, rowComparison, rowInList, rowMisused, rowOperand } from './lower-row';

/** Aggregate calls of one SELECT: each distinct call gets one slot after the group keys. */
export interface AggregateScope {
  readonly list: AggregateExpr[];
  /** Slot of the first aggregate: the input width plus the number of group keys. */
  readonly base: number;
}

export interface ExprContext {
  /** The table names resolve against; null in a SELECT without FROM (only aliases resolve). */
  readonly scope: Scope | null;
  readonly params: ParamCollector;
  readonly sql: string;
  /** Where aggregate calls are allowed (select list, HAVING, ORDER BY of an aggregate query); else null. */
  readonly aggregates: AggregateScope | null;
  /** Column references are refused where there is no row (VALUES, LIMIT). */
  readonly allowColumns: boolean;
  /** Output aliases a name falls back to when it is not a real column (WHERE, GROUP BY, HAVING, ORDER BY). */
  readonly aliases?: ReadonlyMap<string, Expr>;
  /**
   * UPSERT's DO UPDATE: `excluded.col` reads the row that would have been inserted, stored after
   * the existing row (its columns are offset by the table's width).
   */
  readonly excludedOffset?: number;
  /**
   * Where a subquery is refused, the clause to name (RETURNING: SQLite runs its subqueries
   * after each row changes, which one run per statement cannot reproduce).
   */
  readonly noSubqueries?: string;
  /** SQLite's message for an aggregate where none is allowed, when it is not "misuse of aggregate". */
  readonly aggregateMisuse?: string;
  /** Where window function calls are allowed (a SELECT's list and ORDER BY); else absent or null. */
  readonly windows?: WindowScope | null;
}

const BINARY: Readonly<Record<string, BinaryExpr['op']>> = {
  AND: 'and',
  OR: 'or',
  '=': '=',
  '!=': '!=',
  '<': '<',
  '<=': '<=',
  '>': '>',
  '>=': '>=',
  '+': '+',
  '-': '-',
  '*': '*',
  '/': '/',
  '%': '%',
  '||': '||',
  '&': '&',
  '|': '|',
  '<<': '<<',
  '>>': '>>',
};

const COMPARISONS: ReadonlySet<string> = new Set(['=', '!=', '<', '<=', '>', '>=']);

function isComparison(op: BinaryExpr['op']): op is CompareOp {
  return COMPARISONS.has(op);
}

/** Whether an aggregate call appears anywhere in `e`. */
export function containsAggregateCall(e: SqlExpr | null): boolean {
  if (!e) return false;
  switch (e.t) {
    case 'call':
      // A call with OVER is a window function: only aggregates in its arguments count.
      return (
        (e.over === undefined && isAggregateCall(e.name, e.star ? 0 : e.args.length)) ||
        e.args.some(containsAggregateCall)
      );
    case 'unary':
    case 'isnull':
    case 'cast':
    case 'collate':
      return containsAggregateCall(e.arg);
    case 'bin':
    case 'is':
      return containsAggregateCall(e.l) || containsAggregateCall(e.r);
    case 'glob':
      return containsAggregateCall(e.arg) || containsAggregateCall(e.pat);
    case 'case':
      return (
        containsAggregateCall(e.base) ||
        e.whens.some((w) => containsAggregateCall(w.when) || containsAggregateCall(w.then)) ||
        containsAggregateCall(e.otherwise)
      );
    case 'in':
      return containsAggregateCall(e.arg) || e.list.some(containsAggregateCall);
    case 'between':
      return containsAggregateCall(e.arg) || containsAggregateCall(e.lo) || containsAggregateCall(e.hi);
    case 'like':
      return containsAggregateCall(e.arg) || containsAggregateCall(e.pat) || containsAggregateCall(e.esc);
    case 'subquery':
      // The inner query's aggregates are its own.
      return containsAggregateCall(e.arg);
    case 'row':
      return e.items.some(containsAggregateCall);
    default:
      return false;
  }
}

/**
 * A column compared with a literal of another storage class: the literal takes the column's
 * comparison affinity, as SQLite converts it (`id = '5'` finds 5, `name = 1` compares with '1';
 * text that does not read as a number stays text and compares by storage class). A TIMESTAMP
 * column holds dates, which SQLite has no class for: a text or blob literal against one is
 * refused rather than silently never equal.
 */
function withLiteralAffinity(x: Expr, other: Expr, cx: ExprContext, offset: number): Expr {
  if (x.kind !== 'literal' || x.value === null) return x;
  let col = other;
  while (col.kind === 'collate') col = col.arg;
  if (col.kind !== 'column' && !(col.kind === 'param' && col.outer?.column === true)) return x;
  const type = col.kind === 'column' ? col.type : col.outer?.type;
  if (type === 'timestamp' && (x.type === 'text' || x.type === 'blob'))
    throw new DataError(
      `datatype mismatch: ${col.kind === 'column' ? col.name : 'column'} (timestamp) compared with a ${x.type} literal; compare a timestamp with a number of milliseconds or a bound Date`,
      'TYPE_MISMATCH',
      { sql: cx.sql, offset },
    );
  if (col.kind === 'column' && col.noAffinity) return x;
  const a = affinity(col);
  if (a === 'numeric' && x.type === 'text' && typeof x.value === 'string') {
    const n = numericText(x.value);
    return n === null ? x : E.literal(n.value, n.isInteger ? 'integer' : 'real');
  }
  if (a === 'text' && (x.type === 'integer' || x.type === 'real'))
    return E.literal(toText(x.value, x.type === 'real'), 'text');
  return x;
}

function lowerColumnRef(e: Extract<SqlExpr, { t: 'col' }>, cx: ExprContext): Expr {
  const name = e.parts.join('.');
  const details = { sql: cx.sql, offset: e.start };
  if (!cx.allowColumns)
    throw new QueryError(
      `no such column: ${name} (column references are not allowed here)`,
      'QUERY',
      details,
    );
  if (cx.excludedOffset !== undefined && e.parts.length >= 2 && e.parts[0].toLowerCase() === 'excluded') {
    const ex = cx.scope && !isMulti(cx.scope) ? tryColumn(cx.scope, e.parts.slice(1), e.quoted) : null;
    if (!ex) throw new QueryError(`no such column: ${name}`, 'QUERY', details);
    const c = ex.expr;
    return E.column(c.column + cx.excludedOffset, c.sub, c.type, c.name);
  }
  const found = cx.scope ? lookupColumn(cx.scope, e.parts, e.quoted, cx.sql) : null;
  if (found) return found.expr;
  // `main.t.col`: `main` is the schema of the one database a connection has (SQLite's name).
  if (e.parts.length >= 3 && e.parts[0].toLowerCase() === 'main')
    return lowerColumnRef({ ...e, parts: e.parts.slice(1) }, cx);
  // A real column wins over an output alias of the same name; the alias is only the fallback.
  const alias = e.parts.length === 1 ? cx.aliases?.get(e.parts[0].toLowerCase()) : undefined;
  if (!alias) {
    // Not a column here nor an alias: a column of an enclosing query (a correlated subquery).
    const outer = outerColumn(e.parts, e.quoted, cx);
    if (outer) return outer;
    // A lone double-quoted name that is no column: SQLite asks whether a string was meant.
    if (e.parts.length === 1 && cx.sql[e.start] === '"')
      throw new QueryError(
        `no such column: "${name}" - should this be a string literal in single-quotes?`,
        'QUERY',
        details,
      );
    throw new QueryError(`no such column: ${name}`, 'QUERY', details);
  }
  if (!cx.windows && readsWindow(alias))
    throw new QueryError(`misuse of aliased window function ${name}`, 'QUERY', details);
  if (!cx.aggregates && containsKind(alias, 'slot'))
    throw new QueryError(cx.aggregateMisuse ?? `misuse of aggregate: ${name}`, 'QUERY', details);
  return alias;
}

function lowerCall(e: Extract<SqlExpr, { t: 'call' }>, cx: ExprContext): Expr {
  const details = { sql: cx.sql, offset: e.start };
  const found = resolveFunction(e.name, e.star ? 0 : e.args.length);
  if (found.kind === 'unknown')
    throw new NotSupportedError(
      `no such function: ${e.name} (not in ModelVault's SQL subset)`,
      'NOT_SUPPORTED',
      details,
    );
  if (found.kind === 'arity' || (e.star && !(found.def.kind === 'aggregate' && found.def.star)))
    throw new QueryError(`wrong number of arguments to function ${e.name}()`, 'QUERY', details);
  const def = found.def;
  if (e.orderBy && (e.over !== undefined || def.kind !== 'aggregate'))
    throw new QueryError(`ORDER BY may not be used with non-aggregate ${e.name}()`, 'QUERY', details);
  if (e.over !== undefined || def.kind === 'window') return lowerWindowCall(e, def, cx, lowerExpr);
  if (def.kind === 'scalar') {
    if (e.filter)
      throw new QueryError(`FILTER may not be used with non-aggregate ${e.name}()`, 'QUERY', details);
    if (e.distinct)
      throw new QueryError(`DISTINCT may not be used with non-aggregate ${e.name}()`, 'QUERY', details);
    const args = e.args.map((a) => lowerExpr(a, cx));
    const problem = def.checkArgs?.(args) ?? null;
    if (problem !== null) throw new QueryError(problem, 'QUERY', details);
    return E.call(def.name, args, def.returns(args.map(typeOf)));
  }
  if (e.distinct && e.args.length !== 1)
    throw new QueryError('DISTINCT aggregates must have exactly one argument', 'QUERY', details);
  if (!cx.aggregates)
    throw new QueryError(cx.aggregateMisuse ?? `misuse of aggregate function ${e.name}()`, 'QUERY', details);
  // Arguments and FILTER read input rows: no aggregate may nest inside them.
  const rowCx: ExprContext = { ...cx, aggregates: null };
  const args = e.args.map((a) => lowerExpr(a, rowCx));
  const filter = e.filter ? lowerExpr(e.filter, rowCx) : null;
  // NULLS FIRST/LAST is kept only where it moves NULLs from the direction's own place.
  const orderBy = (e.orderBy ?? []).map((o) => {
    const expr = lowerExpr(o.expr, rowCx);
    const moved = o.nulls !== undefined && (o.nulls === 'first') === o.desc;
    return moved ? { expr, desc: o.desc, nulls: o.nulls } : { expr, desc: o.desc };
  });
  // count() is count(*) in SQLite.
  const agg = E.aggregate(def.fn, args[0] ?? null, e.distinct, args.slice(1), filter, orderBy);
  const { list, base } = cx.aggregates;
  // One slot per distinct call, so `SELECT SUM(x) ... HAVING SUM(x) > 1` computes it once.
  let idx = list.findIndex((a) => exprEquals(a, agg));
  if (idx < 0) idx = list.push(agg) - 1;
  const slot = E.slot(base + idx, def.returns(args.map(typeOf)), cx.sql.slice(e.start, e.end));
  return def.family === 'json' ? { ...slot, json: true } : slot;
}

function withCollation<T extends Expr>(e: T, collation: Collation | undefined): T {
  return collation ? { ...e, collation } : e;
}

/** `arg COLLATE name`. */
export function collateExpr(arg: Expr, name: string): Expr {
  const collation = parseCollation(name);
  const node = E.collate(arg, collation ?? 'binary');
  // SQLite only refuses an unknown name where a comparison or an ordering uses it.
  return collation === null ? { ...node, unknown: name } : node;
}

/** `l op r` checked for strict typing and given the collation SQLite picks for it. */
export function scalarComparison(
  op: CompareOp | IsOp,
  l: Expr,
  r: Expr,
  cx: ExprContext,
  offset: number,
): Expr {
  const left = withParamAffinity(withLiteralAffinity(l, r, cx, offset), r);
  const right = withParamAffinity(withLiteralAffinity(r, l, cx, offset), l);
  return withCollation(E.binary(op, left, right), comparisonCollation(left, right));
}

/**
 * `x` with the comparison affinity of `other` when `x` is a bound parameter and `other` a column
 * (under a COLLATE too) of a type SQLite gives an affinity — INTEGER, REAL and BOOLEAN numeric,
 * TEXT text — or a CAST to such a type. A parameter compared with anything else is compared as
 * bound, as in SQLite.
 */
function withParamAffinity(x: Expr, other: Expr): Expr {
  if (x.kind !== 'param' || x.outer !== undefined) return x;
  let col = other;
  while (col.kind === 'collate') col = col.arg;
  // A CAST has the affinity of its type, as a column has its column's.
  if (col.kind === 'column' ? col.noAffinity === true : col.kind !== 'cast') return x;
  const a = affinity(col);
  return a === 'numeric' || a === 'text' ? { ...x, affinity: a } : x;
}

export function lowerExpr(e: SqlExpr, cx: ExprContext): Expr {
  switch (e.t) {
    case 'num':
      return numberLiteral(e.text, false, cx.sql);
    case 'str':
      return E.literal(e.value, 'text');
    case 'blob':
      return E.literal(Buffer.from(e.hex, 'hex'), 'blob');
    case 'null':
      return E.literal(null, 'null');
    case 'bool':
      // SQLite's TRUE and FALSE are the integers 1 and 0.
      return E.literal(e.value ? 1 : 0, 'integer');
    case 'param':
      return E.param(cx.params.key(e.spec, e.ordinal));
    case 'col':
      return lowerColumnRef(e, cx);
    case 'unary':
      // Signs fold into numeric literals: -9223372036854775808 stays INTEGER and `x = -1` is type-checked.
      if ((e.op === '-' || e.op === '+') && e.arg.t === 'num')
        return numberLiteral(e.arg.text, e.op === '-', cx.sql);
      return E.unary(
        e.op === 'NOT' ? 'not' : e.op === '-' ? 'neg' : e.op === '~' ? 'bitnot' : 'pos',
        lowerExpr(e.arg, cx),
      );
    case 'bin': {
      // The JSON operators compile like the functions they are (planner/functions/json.ts).
      if (e.op === '->' || e.op === '->>') {
        const args = [lowerExpr(e.l, cx), lowerExpr(e.r, cx)];
        return E.call(e.op, args, e.op === '->' ? 'text' : 'any');
      }
      const op = BINARY[e.op];
      if (op === undefined)
        throw new QueryError(`unknown operator ${e.op}`, 'SYNTAX', { sql: cx.sql, offset: e.start });
      if (isComparison(op) && (mayBeRow(e.l) || mayBeRow(e.r)))
        return rowComparison(op, rowOperand(e.l, cx), rowOperand(e.r, cx), cx, e.start);
      const l = lowerExpr(e.l, cx);
      const r = lowerExpr(e.r, cx);
      if (!isComparison(op)) return E.binary(op, l, r);
      return scalarComparison(op, l, r, cx, e.start);
    }
    case 'is':
      return rowComparison(e.not ? 'isNot' : 'is', rowOperand(e.l, cx), rowOperand(e.r, cx), cx, e.start);
    case 'in': {
      const args = rowOperand(e.arg, cx);
      if (args.length > 1) return rowInList(e, args, cx);
      const arg = args[0];
      const list = e.list.map((x) => lowerExpr(x, cx));
      // IN-list values take the column's affinity (SQLITE-SEMANTICS §1).
      for (let i = 0; i < list.length; i++)
        list[i] = withParamAffinity(withLiteralAffinity(list[i], arg, cx, e.start), arg);
      const node = E.in(arg, list, e.not);
      const collations = list.map((x) => comparisonCollation(arg, x));
      return collations.some((c) => c !== undefined) ? { ...node, collations } : node;
    }
    case 'between': {
      const operands = rowBetween(e, cx);
      if ('rows' in operands) return operands.rows;
      const [arg, lo, hi] = operands.scalars;
      const low = withParamAffinity(withLiteralAffinity(lo, arg, cx, e.start), arg);
      const high = withParamAffinity(withLiteralAffinity(hi, arg, cx, e.start), arg);
      return withCollation(E.between(arg, low, high, e.not), comparisonCollation(arg, lo));
    }
    case 'glob':
      return E.glob(lowerExpr(e.arg, cx), lowerExpr(e.pat, cx), e.not);
    case 'cast':
      return E.cast(lowerExpr(e.arg, cx), affinityOfTypeName(e.typeName));
    case 'collate':
      return collateExpr(lowerExpr(e.arg, cx), e.collation);
    case 'case': {
      const baseItems = e.base ? rowOperand(e.base, cx) : null;
      if (baseItems !== null && baseItems.length > 1) return rowCase(e, baseItems, cx);
      const base = baseItems?.[0] ?? null;
      // `CASE x WHEN y` compares as `x = y` does: a literal or bound value takes x's affinity.
      const whens = e.whens.map((w) => {
        const when = lowerExpr(w.when, cx);
        return {
          when: base ? withParamAffinity(withLiteralAffinity(when, base, cx, e.start), base) : when,
          then: lowerExpr(w.then, cx),
        };
      });
      const otherwise = e.otherwise ? lowerExpr(e.otherwise, cx) : null;
      const node = E.case(base, whens, otherwise);
      return base && whens.length ? withCollation(node, comparisonCollation(base, whens[0].when)) : node;
    }
    case 'like':
      return E.like(
        lowerExpr(e.arg, cx),
        lowerExpr(e.pat, cx),
        e.esc ? lowerExpr(e.esc, cx) : null,
        e.not,
        e.glob,
      );
    case 'isnull':
      return E.isNull(lowerExpr(e.arg, cx), e.not);
    case 'call':
      return lowerCall(e, cx);
    case 'subquery':
      return lowerSubquery(e, cx);
    case 'row':
      throw rowMisused(cx, e.start);
  }
}
