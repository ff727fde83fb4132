/**
 * Shape of the one function table (SQLite's `FuncDef aBuiltinFunc[]`): every scalar and aggregate
 * function the SQL front end accepts is one entry here, and the binder (parser/lower-expr.ts), the
 * compiler (planner/compile-expr.ts), the differential generator and docs/sql.md all read the same
 * entries. A scalar entry compiles once per statement into a closure over its arguments'
 * evaluators, so no row ever looks a function up by name.
 */
import type { Evaluator, ExecContext, Row } from '../compile-expr';
import { TaggedReal } from '../tagged-real';
import type { AggregateFn, Expr, ValueType } from '../expr';
import type { WindowBuiltin } from '../window';

export type FunctionFamily = 'core' | 'math' | 'aggregate' | 'window' | 'datetime' | 'json';

/** What a scalar implementation is compiled against. */
export interface CallSite {
  /** The arguments, compiled. */
  readonly args: readonly Evaluator[];
  /** Their static types ('real' marks a number that is REAL even when integral). */
  readonly types: readonly ValueType[];
  /** The arguments' expressions (JSON functions read which ones carry SQLite's JSON subtype). */
  readonly exprs?: readonly Expr[];
  readonly ctx: ExecContext;
  /**
   * The arguments compiled so that a whole-number REAL of an 'any'-typed argument arrives as a
   * TaggedReal (planner/tagged-real.ts); for functions that pass values through or convert them.
   */
  readonly tagged: readonly Evaluator[];
  /**
   * The arguments compiled as tests (true only when true, their ANDs stopping at the first operand
   * that is not true, as a WHERE's do): for the conditions of `iif`, a searched CASE's twin.
   */
  readonly tests: readonly ((row: Row) => boolean)[];
}

interface FunctionBase {
  /** Lower-case name, as SQL code calls it. */
  readonly name: string;
  readonly family: FunctionFamily;
  readonly minArgs: number;
  /** Largest argument count; -1 for any number. */
  readonly maxArgs: number;
  /** Same arguments, same result (random() is not). */
  readonly deterministic: boolean;
  /** The argument list as docs/sql.md shows it, when X, Y, Z would not say enough. */
  readonly args?: string;
  /** One line for docs/sql.md. */
  readonly summary: string;
  /** Where ModelVault differs from SQLite, for docs/sql.md. */
  readonly deviation?: string;
}

export interface ScalarFunction extends FunctionBase {
  readonly kind: 'scalar';
  /** Static result type from the arguments' static types. */
  readonly returns: (types: readonly ValueType[]) => ValueType;
  /** A check SQLite makes when preparing the call: the error message, or null when it passes. */
  readonly checkArgs?: (args: readonly Expr[]) => string | null;
  readonly compile: (site: CallSite) => Evaluator;
  /**
   * The evaluator may return a TaggedReal (planner/tagged-real.ts) even when its static type is
   * not 'any' (a REAL result from text input); compile-expr unwraps it for plain callers.
   */
  readonly tagsReal?: boolean;
}

export interface AggregateFunction extends FunctionBase {
  readonly kind: 'aggregate';
  /** The accumulator (planner/aggregates.ts) this name runs. */
  readonly fn: AggregateFn;
  /** Whether `name(*)` is allowed (count). */
  readonly star: boolean;
  readonly returns: (types: readonly ValueType[]) => ValueType;
}

/** A built-in window function: only valid with OVER (planner/window-exec.ts computes it). */
export interface WindowFunction extends FunctionBase {
  readonly kind: 'window';
  readonly fn: WindowBuiltin;
  readonly returns: (types: readonly ValueType[]) => ValueType;
}

export type FunctionDef = ScalarFunction | AggregateFunction | WindowFunction;

/** `isReal` flags per argument, from static types. */
export function realFlags(types: readonly ValueType[]): boolean[] {
  return types.map((t) => t === 'real');
}

type Body1 = (v: unknown, isReal: boolean) => unknown;
type BodyN = (values: unknown[], reals: readonly boolean[]) => unknown;

/** A one-argument function that is NULL on a NULL argument. */
export function strict1(body: Body1): (site: CallSite) => Evaluator {
  return (site) => {
    if (site.types[0] === 'any') {
      const t = site.tagged[0];
      return (row) => {
        const v = t(row);
        return v === null ? null : v instanceof TaggedReal ? body(v.value, true) : body(v, false);
      };
    }
    const a = site.args[0];
    const real = site.types[0] === 'real';
    return (row) => {
      const v = a(row);
      return v === null ? null : body(v, real);
    };
  };
}

/**
 * The arguments' evaluators and REAL flags; with an 'any'-typed argument the flags are decided per
 * row from its tags, so the body gets plain values and knows which whole numbers are REAL.
 */
function argReader(site: CallSite): (row: Row, values: unknown[], reals: boolean[]) => void {
  const dynamic = site.types.map((t) => t === 'any');
  const evals = site.types.map((t, i) => (t === 'any' ? site.tagged[i] : site.args[i]));
  const fixed = realFlags(site.types);
  return (row, values, reals) => {
    for (let i = 0; i < evals.length; i++) {
      const v = evals[i](row);
      if (dynamic[i] && v instanceof TaggedReal) {
        values[i] = v.value;
        reals[i] = true;
      } else {
        values[i] = v;
        reals[i] = fixed[i];
      }
    }
  };
}

/** A call with an 'any'-typed argument: each row's values and REAL flags go to `body`. */
function dynamicCall(site: CallSite, body: BodyN): Evaluator {
  const read = argReader(site);
  const n = site.args.length;
  return (row) => {
    const values = new Array<unknown>(n);
    const reals = new Array<boolean>(n);
    read(row, values, reals);
    return body(values, reals);
  };
}

/** A function of all its arguments that is NULL when any argument is NULL. */
export function strictN(body: BodyN): (site: CallSite) => Evaluator {
  return (site) => {
    const n = site.args.length;
    if (site.types.includes('any'))
      return dynamicCall(site, (values, reals) => (values.includes(null) ? null : body(values, reals)));
    const { args } = site;
    const reals = realFlags(site.types);
    return (row) => {
      const values = new Array<unknown>(n);
      for (let i = 0; i < n; i++) {
        const v = args[i](row);
        if (v === null) return null;
        values[i] = v;
      }
      return body(values, reals);
    };
  };
}

/** A function of all its arguments, NULLs included. */
export function lenientN(body: BodyN): (site: CallSite) => Evaluator {
  return (site) => {
    if (site.types.includes('any')) return dynamicCall(site, body);
    const { args } = site;
    const reals = realFlags(site.types);
    return (row) =>
      body(
        args.map((a) => a(row)),
        reals,
      );
  };
}

export const returnsConst = (t: ValueType) => (): ValueType => t;

/**
 * The common type of values that may come from several arguments (coalesce, max, iif): one type
 * when they agree, else 'any' (an integral number is then read as INTEGER — see docs/sql.md).
 */
export function unifyTypes(types: readonly ValueType[]): ValueType {
  let out: ValueType | null = null;
  for (const t of types) {
    if (t === 'null') continue;
    const u = t === 'boolean' || t === 'timestamp' ? 'integer' : t;
    if (out === null) out = u;
    else if (out !== u) return 'any';
  }
  return out ?? 'null';
}
