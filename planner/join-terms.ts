/**
 * Facts about WHERE / ON terms that the join planner (planner/join-planner.ts) and the join-order
 * search (planner/join-order.ts) both ask: which columns a term reads, and whether it is an
 * equality between two sides that a hash or index lookup can use.
 */
import type { Expr, ValueType } from './expr';
import { rowColumnsOf } from './expr-columns';
import { typeOf } from './expr-type';

/** A half-open range of global columns (one side of a join). */
export interface Span {
  lo: number;
  hi: number;
}

/** Whether every column `e` reads is inside `s` (true for an expression reading none). */
export function within(e: Expr, s: Span): boolean {
  for (const c of rowColumnsOf([e])) if (c < s.lo || c >= s.hi) return false;
  return true;
}

export function reads(e: Expr): boolean {
  return rowColumnsOf([e]).size > 0;
}

/** The storage class values of a type compare in, or null when it is not fixed. */
export function typeClass(t: ValueType): string | null {
  if (t === 'integer' || t === 'real' || t === 'boolean' || t === 'timestamp') return 'number';
  if (t === 'text' || t === 'blob') return t;
  return null;
}

/**
 * `l = r` compared exactly (BINARY, one storage class) with one side reading only columns `inA`
 * accepts and the other only columns `inB` accepts (each side reading at least one).
 */
export function equiPair(
  e: Expr,
  inA: (column: number) => boolean,
  inB: (column: number) => boolean,
): { a: Expr; b: Expr } | null {
  if (e.kind !== 'binary' || e.op !== '=' || e.collation !== undefined) return null;
  const lt = typeClass(typeOf(e.left));
  if (lt === null || lt !== typeClass(typeOf(e.right))) return null;
  if (e.left.kind === 'collate' || e.right.kind === 'collate') return null;
  const l = rowColumnsOf([e.left]);
  const r = rowColumnsOf([e.right]);
  if (l.size === 0 || r.size === 0) return null;
  const all = (cols: Set<number>, f: (c: number) => boolean): boolean => [...cols].every(f);
  if (all(l, inA) && all(r, inB)) return { a: e.left, b: e.right };
  if (all(r, inA) && all(l, inB)) return { a: e.right, b: e.left };
  return null;
}

/** `l = r` with one side reading only `a` and the other only `b`, compared exactly (BINARY, one storage class). */
export function equiSides(e: Expr, a: Span, b: Span): { a: Expr; b: Expr } | null {
  return equiPair(
    e,
    (c) => c >= a.lo && c < a.hi,
    (c) => c >= b.lo && c < b.hi,
  );
}

/**
 * Whether a TEXT value compared with a column of type `t` may be looked up (or hashed) in the
 * column's values after NUMERIC affinity, as SQLite's comparison converts it: INTEGER and REAL
 * columns only (BOOLEAN and TIMESTAMP values compare with text in ModelVault's own ways).
 */
export function textKeyConverts(t: ValueType): boolean {
  return t === 'integer' || t === 'real';
}
