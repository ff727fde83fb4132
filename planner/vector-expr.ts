/**
 * A WHERE conjunct of numeric arithmetic (`qty % 7 = 3`, `price * qty > ?`, `a < b`, `-x >= 2.5`)
 * tested on the scan memo's column vectors (planner/number-tests.ts NumberTests) instead of on
 * rows read one by one.
 *
 * The arithmetic is the row path's (planner/compile-expr.ts compileBinary, sql-values.ts) on what
 * a vector holds — numbers, NaN for NULL — evaluated a node at a time over a whole leaf or column
 * page. Whether a value is INTEGER or REAL is decided by the expression's types as the row path
 * decides it, so `/` truncates exactly where SQLite's does. Two things are left to the row path: an
 * integer past 2^53 (stored, or an integer result: the row path continues in bigint, past int64 in
 * REAL), which makes that entry UNSAFE — the caller evaluates the whole predicate on a row of the
 * entry's values — and `%` with a REAL operand (SQLite converts both to int64 first), which keeps
 * the conjunct off vectors.
 */
import { evalConstant } from './compile-expr';
import type { ExecContext } from './compile-expr';
import type { CompareOp, Expr } from './expr';
import { typeOf } from './expr-type';

/** Verdicts run() writes. */
export const REJECT = 0;
export const PASS = 1;
/** A value left what a double holds exactly: evaluate the predicate on a row of these values. */
export const UNSAFE = 2;

/** One compiled conjunct; `values[t]` is the vector of the term `termOf` gave for a column. */
export interface VectorTest {
  /** The verdict of each of the entries [0, n) into `out` (REJECT, PASS or UNSAFE). */
  run(values: readonly Float64Array[], n: number, out: Uint8Array): void;
}

/**
 * A node evaluated a vector at a time. `int`: its values are INTEGERs — the row path's integer
 * arithmetic applies — unless flagged in `bad`; otherwise REALs (the row path's realArith).
 */
interface Node {
  readonly int: boolean;
  eval(values: readonly Float64Array[], n: number): Float64Array;
}

const COMPARE = new Set(['=', '!=', '<', '<=', '>', '>=']);

/**
 * `e` as a VectorTest, or null when it is not a comparison of numeric arithmetic over top-level
 * INTEGER / REAL columns and number constants (literals and parameters bound to numbers at this
 * execution), reading at least one column. `termOf` maps a column to the index of its vector in
 * run()'s `values`.
 */
export function vectorTest(e: Expr, ctx: ExecContext, termOf: (column: number) => number): VectorTest | null {
  if (e.kind !== 'binary' || e.collation !== undefined || !COMPARE.has(e.op)) return null;
  // The test of an earlier execution of the same statement with the same constants and terms:
  // a new set of closures per execution made V8 throw away the optimized loops that called the
  // last one ("wrong call target"), so the first four or five executions ran unoptimized.
  const key = signature(e, ctx, termOf);
  if (key === null) return compile(e, ctx, termOf);
  let known = compiled.get(e);
  if (known === undefined) compiled.set(e, (known = new Map()));
  let test = known.get(key);
  if (test === undefined) {
    test = compile(e, ctx, termOf);
    // A statement re-run with ever new parameters keeps a few tests, not one per value.
    if (known.size >= MEMO_PER_EXPR) known.clear();
    known.set(key, test);
  }
  return test;
}

/** Tests memoized per conjunct (see vectorTest), by signature. */
const compiled = new WeakMap<Expr, Map<string, VectorTest | null>>();
const MEMO_PER_EXPR = 8;

/**
 * What compile() depends on besides the conjunct itself: the constants' values at this execution
 * and the term of each column, in tree order; null for a node compile() does not take.
 */
function signature(e: Expr, ctx: ExecContext, termOf: (column: number) => number): string | null {
  const parts: string[] = [];
  const walk = (x: Expr): boolean => {
    switch (x.kind) {
      case 'column':
        parts.push(`c${termOf(x.column)}`);
        return true;
      case 'literal':
      case 'param': {
        const c = evalConstant(x, ctx);
        if (typeof c !== 'number') return false;
        parts.push(Object.is(c, -0) ? 'k-0' : `k${c}`);
        return true;
      }
      case 'unary':
        return walk(x.arg);
      case 'binary':
        return walk(x.left) && walk(x.right);
      default:
        return false;
    }
  };
  return walk(e) ? parts.join(',') : null;
}

function compile(
  e: Extract<Expr, { kind: 'binary' }>,
  ctx: ExecContext,
  termOf: (column: number) => number,
): VectorTest | null {
  // Entries whose value some node could not compute exactly (UNSAFE).
  let bad = new Uint8Array(0);
  let reads = false;

  const operand = (x: Expr): Node | null => {
    switch (x.kind) {
      case 'column': {
        if (x.sub.length !== 0 || x.jsonTypeAt !== undefined) return null;
        if (x.type !== 'integer' && x.type !== 'real') return null;
        reads = true;
        const t = termOf(x.column);
        if (x.type === 'real') return { int: false, eval: (v) => v[t] };
        return {
          int: true,
          eval: (v, n) => {
            // An INTEGER column's number past 2^53 is REAL to the row path's arithmetic (isIntegral).
            const col = v[t];
            for (let i = 0; i < n; i++) {
              const x = col[i];
              if (x === x && !Number.isSafeInteger(x)) bad[i] = 1;
            }
            return col;
          },
        };
      }
      case 'literal':
      case 'param': {
        const c = evalConstant(x, ctx);
        if (typeof c !== 'number' || Number.isNaN(c)) return null;
        let buf = new Float64Array(0);
        return {
          int: typeOf(x) !== 'real' && Number.isSafeInteger(c),
          eval: (_v, n) => {
            if (buf.length < n) buf = new Float64Array(n).fill(c);
            return buf;
          },
        };
      }
      case 'unary': {
        if (x.op !== 'neg' && x.op !== 'pos') return null;
        const arg = operand(x.arg);
        if (arg === null || x.op === 'pos') return arg;
        const out = scratch();
        return {
          int: arg.int,
          eval: (v, n) => {
            const a = arg.eval(v, n);
            const o = out(n);
            // A safe integer's negation is one; the sign of a zero changes no comparison.
            for (let i = 0; i < n; i++) o[i] = -a[i];
            return o;
          },
        };
      }
      case 'binary':
        return arithmetic(x.op, x.left, x.right);
      default:
        return null;
    }
  };

  const arithmetic = (op: string, l: Expr, r: Expr): Node | null => {
    if (op !== '+' && op !== '-' && op !== '*' && op !== '/' && op !== '%') return null;
    const left = operand(l);
    const right = operand(r);
    if (left === null || right === null) return null;
    const int = left.int && right.int;
    // SQLite's % converts REAL operands to int64 first (sql-values.ts mixedMod): left to rows.
    if (op === '%' && !int) return null;
    const out = scratch();
    return {
      int,
      eval: (v, n) => {
        const a = left.eval(v, n);
        const b = right.eval(v, n);
        const o = out(n);
        if (int) intLoop(op, a, b, o, n, bad);
        else realLoop(op, a, b, o, n);
        return o;
      },
    };
  };

  const left = operand(e.left);
  const right = operand(e.right);
  if (left === null || right === null || !reads) return null;
  const cmp = e.op as CompareOp;
  return {
    run(values, n, out) {
      if (bad.length < n) bad = new Uint8Array(n);
      else bad.fill(0, 0, n);
      compareLoop(cmp, left.eval(values, n), right.eval(values, n), out, n, bad);
    },
  };
}

/** A node's output buffer, grown to the largest n asked for. */
function scratch(): (n: number) => Float64Array {
  let buf = new Float64Array(0);
  return (n) => {
    if (buf.length < n) buf = new Float64Array(n);
    return buf;
  };
}

/** The row path's integer arithmetic on safe integers (sql-values.ts intArith, intDiv, intMod). */
function intLoop(
  op: string,
  a: Float64Array,
  b: Float64Array,
  o: Float64Array,
  n: number,
  bad: Uint8Array,
): void {
  switch (op) {
    case '/':
      // Exact for safe integers, as intDiv says; NaN (NULL) stays NaN.
      for (let i = 0; i < n; i++) {
        const y = b[i];
        o[i] = y === 0 ? NaN : Math.trunc(a[i] / y) + 0;
      }
      return;
    case '%':
      for (let i = 0; i < n; i++) {
        const x = a[i];
        const y = b[i];
        if (y === 0) {
          o[i] = NaN;
          continue;
        }
        // Within int32 the remainder is an integer instruction; a double's % is a call to fmod
        // (a quarter of the speed measured). Both give the row path's `(a % b) + 0`.
        const xi = x | 0;
        const yi = y | 0;
        o[i] = xi === x && yi === y && yi !== -1 ? (xi % yi) + 0 : (x % y) + 0;
      }
      return;
    case '+':
      for (let i = 0; i < n; i++) o[i] = a[i] + b[i];
      break;
    case '-':
      for (let i = 0; i < n; i++) o[i] = a[i] - b[i];
      break;
    default:
      for (let i = 0; i < n; i++) o[i] = a[i] * b[i];
  }
  // Past 2^53 the row path continues in bigint (and past int64 in REAL): those entries are UNSAFE.
  for (let i = 0; i < n; i++) {
    const x = o[i];
    if (x === x && !Number.isSafeInteger(x)) bad[i] = 1;
  }
}

/** The row path's REAL arithmetic (sql-values.ts realArith): x / 0 and NaN are NULL (NaN). */
function realLoop(op: string, a: Float64Array, b: Float64Array, o: Float64Array, n: number): void {
  switch (op) {
    case '+':
      for (let i = 0; i < n; i++) o[i] = a[i] + b[i];
      return;
    case '-':
      for (let i = 0; i < n; i++) o[i] = a[i] - b[i];
      return;
    case '*':
      for (let i = 0; i < n; i++) o[i] = a[i] * b[i];
      return;
    default:
      for (let i = 0; i < n; i++) {
        const y = b[i];
        o[i] = y === 0 ? NaN : a[i] / y;
      }
  }
}

/** Verdicts of `a op b`; NaN is NULL, which no comparison accepts. */
function compareLoop(
  op: CompareOp,
  a: Float64Array,
  b: Float64Array,
  out: Uint8Array,
  n: number,
  bad: Uint8Array,
): void {
  switch (op) {
    case '=':
      for (let i = 0; i < n; i++) out[i] = bad[i] === 1 ? UNSAFE : a[i] === b[i] ? PASS : REJECT;
      return;
    case '!=':
      for (let i = 0; i < n; i++) {
        const x = a[i];
        const y = b[i];
        out[i] = bad[i] === 1 ? UNSAFE : x === x && y === y && x !== y ? PASS : REJECT;
      }
      return;
    case '<':
      for (let i = 0; i < n; i++) out[i] = bad[i] === 1 ? UNSAFE : a[i] < b[i] ? PASS : REJECT;
      return;
    case '<=':
      for (let i = 0; i < n; i++) out[i] = bad[i] === 1 ? UNSAFE : a[i] <= b[i] ? PASS : REJECT;
      return;
    case '>':
      for (let i = 0; i < n; i++) out[i] = bad[i] === 1 ? UNSAFE : a[i] > b[i] ? PASS : REJECT;
      return;
    case '>=':
      for (let i = 0; i < n; i++) out[i] = bad[i] === 1 ? UNSAFE : a[i] >= b[i] ? PASS : REJECT;
      return;
  }
}

/**
 * Whether `e` has the shape numberTests can test on column vectors — a comparison of a top-level
 * INTEGER / REAL column with a constant, or of numeric arithmetic over such columns, literals and
 * parameters — judged before execution (a parameter may still bind a non-number: the scan then
 * tests rows). For the planner (physical-planner.ts orderFreeFold).
 */
export function vectorShaped(e: Expr): boolean {
  if (e.kind !== 'binary' || e.collation !== undefined || !COMPARE.has(e.op)) return false;
  let reads = false;
  const numeric = (x: Expr): boolean => {
    switch (x.kind) {
      case 'column':
        reads = true;
        return (
          x.sub.length === 0 && x.jsonTypeAt === undefined && (x.type === 'integer' || x.type === 'real')
        );
      case 'literal':
        return typeof x.value === 'number';
      case 'param':
        return true;
      case 'unary':
        return (x.op === 'neg' || x.op === 'pos') && numeric(x.arg);
      case 'binary':
        if (x.op !== '+' && x.op !== '-' && x.op !== '*' && x.op !== '/' && x.op !== '%') return false;
        return (
          numeric(x.left) &&
          numeric(x.right) &&
          (x.op !== '%' || (typeOf(x.left) !== 'real' && typeOf(x.right) !== 'real'))
        );
      default:
        return false;
    }
  };
  return numeric(e.left) && numeric(e.right) && reads;
}
