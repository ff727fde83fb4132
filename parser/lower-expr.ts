/**
 * Expression lowering: SQL syntax → planner Expr with names resolved against one table, literals
 * typed the SQLite way, parameters collected, aggregate calls registered as slots of the
 * Aggregate node, and ModelVault's strict typing enforced (a column compared with a literal of
 * another storage class is a DataError when the statement is prepared, never coerced).
 */
import { DataError, NotSupportedError, QueryError } from '../src/errors';
import { E } from '../planner/expr';
import type { AggregateExpr, AggregateFn, BinaryExpr, Expr, ValueType } from '../planner/expr';
import { typeOf } from '../planner/compile-expr';
import { sumType } from '../planner/aggregates';
import type { SqlExpr } from './sql/ast';
import type { ParamCollector } from './params';
import type { TableScope } from './scope';
import { tryColumn } from './scope';
import { numberLiteral } from './literals';
import { containsKind, exprEquals } from './expr-utils';

/** Aggregate calls of one SELECT: each distinct call gets one slot after the group keys. */
export interface AggregateScope {
  readonly list: AggregateExpr[];
  /** Slot of the first aggregate: the input width plus the number of group keys. */
  readonly base: number;
}

export interface ExprContext {
  readonly scope: TableScope;
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
  /** SQLite's message for an aggregate where none is allowed, when it is not "misuse of aggregate". */
  readonly aggregateMisuse?: string;
}

const AGGREGATES: Readonly<Record<string, AggregateFn>> = {
  COUNT: 'count',
  SUM: 'sum',
  AVG: 'avg',
  MIN: 'min',
  MAX: 'max',
  TOTAL: 'total',
};

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
};

const COMPARISONS: ReadonlySet<string> = new Set(['=', '!=', '<', '<=', '>', '>=']);

function aggregateFn(name: string): AggregateFn | undefined {
  const key = name.toUpperCase();
  return Object.prototype.hasOwnProperty.call(AGGREGATES, key) ? AGGREGATES[key] : undefined;
}

/** Whether an aggregate call appears anywhere in `e`. */
export function containsAggregateCall(e: SqlExpr | null): boolean {
  if (!e) return false;
  switch (e.t) {
    case 'call':
      return aggregateFn(e.name) !== undefined || e.args.some(containsAggregateCall);
    case 'unary':
    case 'isnull':
      return containsAggregateCall(e.arg);
    case 'bin':
      return containsAggregateCall(e.l) || containsAggregateCall(e.r);
    case 'in':
      return containsAggregateCall(e.arg) || e.list.some(containsAggregateCall);
    case 'between':
      return containsAggregateCall(e.arg) || containsAggregateCall(e.lo) || containsAggregateCall(e.hi);
    case 'like':
      return containsAggregateCall(e.arg) || containsAggregateCall(e.pat) || containsAggregateCall(e.esc);
    default:
      return false;
  }
}

/** Result type of an aggregate: SUM of booleans counts them, AVG and TOTAL are always REAL. */
function aggregateType(fn: AggregateFn, arg: Expr | null): ValueType {
  if (fn === 'count') return 'integer';
  if (fn === 'avg' || fn === 'total') return 'real';
  const t = arg ? typeOf(arg) : 'integer';
  if (fn === 'min' || fn === 'max') return t;
  return sumType(t);
}

/** Storage class for the strict-typing check; null when it can't be known statically. */
function typeClass(t: ValueType): 'number' | 'text' | 'blob' | null {
  if (t === 'integer' || t === 'real' || t === 'boolean' || t === 'timestamp') return 'number';
  if (t === 'text') return 'text';
  if (t === 'blob') return 'blob';
  return null;
}

/** Strict typing: a column (or aggregate) and a literal of different storage classes never compare. */
function checkComparable(a: Expr, b: Expr, cx: ExprContext, offset: number): void {
  const typed =
    a.kind === 'column' || a.kind === 'slot' ? a : b.kind === 'column' || b.kind === 'slot' ? b : null;
  const lit = a.kind === 'literal' ? a : b.kind === 'literal' ? b : null;
  if (!typed || !lit) return;
  const tc = typeClass(typed.type);
  const lc = typeClass(lit.type);
  if (tc === null || lc === null || tc === lc) return;
  throw new DataError(
    `datatype mismatch: ${typed.name} (${typed.type}) compared with a ${lit.type} literal; ModelVault does not convert between types`,
    'TYPE_MISMATCH',
    { sql: cx.sql, offset },
  );
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
    const ex = tryColumn(cx.scope, e.parts.slice(1), e.quoted);
    if (!ex) throw new QueryError(`no such column: ${name}`, 'QUERY', details);
    const c = ex.expr;
    return E.column(c.column + cx.excludedOffset, c.sub, c.type, c.name);
  }
  const found = tryColumn(cx.scope, e.parts, e.quoted);
  if (found) return found.expr;
  // A real column wins over an output alias of the same name; the alias is only the fallback.
  const alias = e.parts.length === 1 ? cx.aliases?.get(e.parts[0].toLowerCase()) : undefined;
  if (!alias) throw new QueryError(`no such column: ${name}`, 'QUERY', details);
  if (!cx.aggregates && containsKind(alias, 'slot'))
    throw new QueryError(cx.aggregateMisuse ?? `misuse of aggregate: ${name}`, 'QUERY', details);
  return alias;
}

function lowerCall(e: Extract<SqlExpr, { t: 'call' }>, cx: ExprContext): Expr {
  const fn = aggregateFn(e.name);
  const details = { sql: cx.sql, offset: e.start };
  if (fn === undefined)
    throw new NotSupportedError(
      `function ${e.name}() is not supported by ModelVault's SQL subset`,
      'NOT_SUPPORTED',
      details,
    );
  if (e.args.length > 1 && (fn === 'min' || fn === 'max'))
    throw new NotSupportedError(
      `scalar function ${e.name}() with several arguments`,
      'NOT_SUPPORTED',
      details,
    );
  // COUNT() is COUNT(*) in SQLite.
  const star = e.star || (fn === 'count' && e.args.length === 0);
  if ((star && fn !== 'count') || (!star && e.args.length !== 1))
    throw new QueryError(`wrong number of arguments to function ${e.name}()`, 'QUERY', details);
  if (!cx.aggregates)
    throw new QueryError(cx.aggregateMisuse ?? `misuse of aggregate function ${e.name}()`, 'QUERY', details);
  const arg = star ? null : lowerExpr(e.args[0], { ...cx, aggregates: null });
  const agg = E.aggregate(fn, arg, e.distinct);
  const { list, base } = cx.aggregates;
  // One slot per distinct call, so `SELECT SUM(x) ... HAVING SUM(x) > 1` computes it once.
  let idx = list.findIndex((a) => exprEquals(a, agg));
  if (idx < 0) idx = list.push(agg) - 1;
  return E.slot(base + idx, aggregateType(fn, arg), cx.sql.slice(e.start, e.end));
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
      return E.unary(e.op === 'NOT' ? 'not' : e.op === '-' ? 'neg' : 'pos', lowerExpr(e.arg, cx));
    case 'bin': {
      const op = BINARY[e.op];
      if (op === undefined)
        throw new QueryError(`unknown operator ${e.op}`, 'SYNTAX', { sql: cx.sql, offset: e.start });
      const l = lowerExpr(e.l, cx);
      const r = lowerExpr(e.r, cx);
      if (COMPARISONS.has(op)) checkComparable(l, r, cx, e.start);
      return E.binary(op, l, r);
    }
    case 'in': {
      const arg = lowerExpr(e.arg, cx);
      const list = e.list.map((x) => lowerExpr(x, cx));
      for (const x of list) checkComparable(arg, x, cx, e.start);
      return E.in(arg, list, e.not);
    }
    case 'between': {
      const arg = lowerExpr(e.arg, cx);
      const lo = lowerExpr(e.lo, cx);
      const hi = lowerExpr(e.hi, cx);
      checkComparable(arg, lo, cx, e.start);
      checkComparable(arg, hi, cx, e.start);
      return E.between(arg, lo, hi, e.not);
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
  }
}
