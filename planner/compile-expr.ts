/**
 * Expression compiler: Expr IR → closure over a row array, once per statement. Static types
 * decide integer vs REAL arithmetic (a REAL column holding 3 is still REAL); parameters are typed
 * by their bound value at run time. Comparisons use the one comparison function of
 * storage/compare.ts and return 1/0/NULL like SQLite; AND/OR/NOT follow Kleene logic.
 */
import { compareValues } from '../storage/compare';
import { DataError, InternalError, QueryError } from '../src/errors';
import type { CompareOp, Expr, ValueType } from './expr';
import { scalarFunction } from './functions';
import { sumType } from './aggregates';
import { globMatcher, likeMatcher } from './like';
import { intArith, intDiv, intMod, realArith, toText, truth } from './sql-values';

export type Row = readonly unknown[];
export type Evaluator = (row: Row) => unknown;

/** A connection's counters, as changes(), total_changes() and last_insert_rowid() report them. */
export interface SessionState {
  readonly changes: number;
  readonly totalChanges: number;
  readonly lastInsertRowid: number | bigint;
}

/** Per-execution bindings the compiled closures read (set before each run of a cached plan). */
export interface ExecContext {
  params: readonly unknown[] | Readonly<Record<string, unknown>>;
  /** The SQL connection running the statement (absent for the typed query builder). */
  session?: SessionState;
}

export interface Compiled {
  readonly eval: Evaluator;
  readonly type: ValueType;
}

const NUMERIC: ReadonlySet<ValueType> = new Set(['integer', 'real', 'boolean', 'timestamp', 'any', 'null']);

/** Static result type of an expression. */
export function typeOf(e: Expr): ValueType {
  switch (e.kind) {
    case 'column':
    case 'literal':
    case 'slot':
      return e.type;
    case 'param':
      return 'any';
    case 'unary':
      return e.op === 'not'
        ? 'integer'
        : typeOf(e.arg) === 'real'
          ? 'real'
          : typeOf(e.arg) === 'any'
            ? 'any'
            : 'integer';
    case 'binary': {
      if (e.op === '||') return 'text';
      if (e.op === '+' || e.op === '-' || e.op === '*' || e.op === '/' || e.op === '%') {
        const l = typeOf(e.left);
        const r = typeOf(e.right);
        if (l === 'null' || r === 'null') return 'null';
        if (l === 'real' || r === 'real') return 'real';
        if (l === 'any' || r === 'any') return 'any';
        return 'integer';
      }
      return 'integer';
    }
    case 'in':
    case 'between':
    case 'like':
    case 'isNull':
      return 'integer';
    case 'aggregate':
      if (e.fn === 'count') return 'integer';
      if (e.fn === 'avg' || e.fn === 'total') return 'real';
      if (e.fn === 'sum') return sumType(e.arg ? typeOf(e.arg) : 'integer');
      if (e.fn === 'group_concat') return 'text';
      return e.arg ? typeOf(e.arg) : 'integer';
    case 'call':
      return e.type;
  }
}

function bool(b: boolean | null): 1 | 0 | null {
  return b === null ? null : b ? 1 : 0;
}

function readParam(ctx: ExecContext, key: number | string): unknown {
  const params = ctx.params;
  const v = Array.isArray(params)
    ? (params as readonly unknown[])[key as number]
    : (params as Record<string, unknown>)[key as string];
  return v === undefined ? null : v instanceof Date ? v.getTime() : v;
}

export function compileExpr(e: Expr, ctx: ExecContext): Compiled {
  return { eval: compile(e, ctx), type: typeOf(e) };
}

function compile(e: Expr, ctx: ExecContext): Evaluator {
  switch (e.kind) {
    case 'column': {
      const { column, sub } = e;
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
      const i = e.index;
      return (row) => row[i] ?? null;
    }
    case 'literal': {
      const v = e.value instanceof Date ? e.value.getTime() : (e.value ?? null);
      return () => v;
    }
    case 'param': {
      const key = e.key;
      return () => readParam(ctx, key);
    }
    case 'unary':
      return compileUnary(e.op, e.arg, ctx);
    case 'binary':
      return compileBinary(e, ctx);
    case 'in': {
      const arg = compile(e.arg, ctx);
      const list = e.list.map((x) => compile(x, ctx));
      const negated = e.negated;
      return (row) => {
        if (list.length === 0) return negated ? 1 : 0;
        const v = arg(row);
        if (v === null) return null;
        let sawNull = false;
        for (const item of list) {
          const w = item(row);
          if (w === null) sawNull = true;
          else if (compareValues(v, w) === 0) return negated ? 0 : 1;
        }
        return sawNull ? null : negated ? 1 : 0;
      };
    }
    case 'between': {
      const arg = compile(e.arg, ctx);
      const lo = compile(e.lo, ctx);
      const hi = compile(e.hi, ctx);
      const negated = e.negated;
      return (row) => {
        const v = arg(row);
        const a = v === null ? null : cmpTruth(v, lo(row), '>=');
        const b = v === null ? null : cmpTruth(v, hi(row), '<=');
        const both = a === false || b === false ? false : a === null || b === null ? null : true;
        return bool(both === null ? null : negated ? !both : both);
      };
    }
    case 'like': {
      const arg = compile(e.arg, ctx);
      const pattern = compile(e.pattern, ctx);
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
        const m = likeMatcher(p, esc)(s);
        return negated ? (m ? 0 : 1) : m ? 1 : 0;
      };
    }
    case 'isNull': {
      const arg = compile(e.arg, ctx);
      const negated = e.negated;
      return (row) => ((arg(row) === null) !== negated ? 1 : 0);
    }
    case 'aggregate':
      throw new InternalError('aggregate expression outside an Aggregate node');
    case 'call': {
      // Resolved once here, per statement: the closure never looks the name up again.
      const def = scalarFunction(e.name);
      if (!def) throw new InternalError(`no scalar function ${e.name}()`);
      return def.compile({ args: e.args.map((a) => compile(a, ctx)), types: e.args.map(typeOf), ctx });
    }
  }
}

function cmpTruth(a: unknown, b: unknown, op: CompareOp): boolean | null {
  if (a === null || b === null) return null;
  const c = compareValues(a, b);
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

function compileUnary(op: 'not' | 'neg' | 'pos', argExpr: Expr, ctx: ExecContext): Evaluator {
  const arg = compile(argExpr, ctx);
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
    if (typeof v === 'number') return real || !Number.isInteger(v) ? -v + 0 : intArith('-', 0, v);
    throw new DataError(`cannot negate a ${typeof v} value`, 'TYPE_MISMATCH');
  };
}

function isIntegral(v: unknown, staticType: ValueType): boolean {
  if (typeof v === 'bigint' || typeof v === 'boolean') return true;
  if (staticType === 'real') return false;
  return typeof v === 'number' && Number.isInteger(v);
}

function asNumber(v: unknown): number | bigint {
  if (typeof v === 'number' || typeof v === 'bigint') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  throw new DataError(
    `arithmetic on a ${v instanceof Uint8Array ? 'blob' : typeof v} value`,
    'TYPE_MISMATCH',
  );
}

function compileBinary(e: Extract<Expr, { kind: 'binary' }>, ctx: ExecContext): Evaluator {
  const left = compile(e.left, ctx);
  const right = compile(e.right, ctx);
  const op = e.op;
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
    case '>=':
      return (row) => bool(cmpTruth(left(row), right(row), op));
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
        if (!NUMERIC.has(t)) {
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
        if (isIntegral(a, lt) && isIntegral(b, rt)) {
          if (op === '/') return intDiv(x, y);
          if (op === '%') return intMod(x, y);
          return intArith(op, x, y);
        }
        return realArith(op, Number(x), Number(y));
      };
    }
  }
}

function describe(e: Expr): string {
  return e.kind === 'column' ? e.name : e.kind;
}
