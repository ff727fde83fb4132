/**
 * SQLite's collating sequences beyond the one comparison function: BINARY, NOCASE and RTRIM,
 * and which one a comparison, an ORDER BY or a GROUP BY term uses (sqlite3ExprCollSeq's rules).
 * LIKE and GLOB matching live in planner/like.ts.
 */
import { compareValues } from '../storage/compare';
import { collatedForm } from '../storage/collation';
import type { Collation, Expr } from './expr';
import { exprChildren } from './expr';
import { QueryError } from '../src/errors';
import { TaggedReal } from './tagged-real';

/** The form of a text value a collation compares (and groups) by; other values pass through. */
export function collationKey(v: unknown, collation: Collation): unknown {
  return collation === 'binary' ? v : collatedForm(v, collation);
}

/** SQLite's order (NULL < numbers < text < blob) with text compared under `collation`. */
export function compareCollated(a: unknown, b: unknown, collation: Collation | undefined): number {
  // Row values of an 'any' column may be tagged REALs (planner/tagged-real.ts): compare their numbers.
  if (typeof a === 'object' && a instanceof TaggedReal) a = a.value;
  if (typeof b === 'object' && b instanceof TaggedReal) b = b.value;
  if (collation === undefined || collation === 'binary' || typeof a !== 'string' || typeof b !== 'string')
    return compareValues(a, b);
  return compareValues(collationKey(a, collation), collationKey(b, collation));
}

/** A collation name as written (any case); null when SQLite has no such collating sequence. */
export function parseCollation(name: string): Collation | null {
  const n = name.toUpperCase();
  return n === 'BINARY' ? 'binary' : n === 'NOCASE' ? 'nocase' : n === 'RTRIM' ? 'rtrim' : null;
}

export interface CollationSource {
  readonly collation: Collation;
  /** From a COLLATE operator (beats a column's declared collation). */
  readonly explicit: boolean;
  /** The name of an unknown collating sequence this source would use. */
  readonly unknown?: string;
}

/**
 * Where an operand's collation comes from, following sqlite3ExprCollSeq: a COLLATE operator
 * anywhere in it (left first), else a column (through CAST and unary +), else none.
 */
function collationSource(e: Expr): CollationSource | null {
  if (e.kind === 'collate') return fromCollate(e);
  if (e.kind === 'column') return e.rowid ? null : { collation: e.collation ?? 'binary', explicit: false };
  // An outer column of a correlated subquery is still a column to SQLite.
  if (e.kind === 'param' && e.outer?.column === true)
    return { collation: e.outer.collation ?? 'binary', explicit: false };
  if (e.kind === 'cast' || (e.kind === 'unary' && e.op === 'pos')) return collationSource(e.arg);
  if (e.kind === 'subquery' && e.itemCollation !== undefined) return e.itemCollation;
  const explicit = findExplicit(e);
  return explicit ? fromCollate(explicit) : null;
}

/** The collation `e` brings to a comparison, if any (SubqueryExpr.itemCollation records it). */
export function comparisonSource(e: Expr): CollationSource | null {
  return collationSource(e);
}

/**
 * The collation a value of `e` carries into MIN/MAX (a declared column collation, or an explicit
 * COLLATE); undefined for BINARY.
 */
export function valueCollation(e: Expr): Collation | undefined {
  const source = collationSource(e);
  return source && source.unknown === undefined && source.collation !== 'binary'
    ? source.collation
    : undefined;
}

function fromCollate(e: Extract<Expr, { kind: 'collate' }>): CollationSource {
  return e.unknown === undefined
    ? { collation: e.collation, explicit: true }
    : { collation: e.collation, explicit: true, unknown: e.unknown };
}

function findExplicit(e: Expr): Extract<Expr, { kind: 'collate' }> | null {
  if (e.kind === 'collate') return e;
  if (e.kind === 'aggregate') return null;
  for (const c of exprChildren(e)) {
    const found = findExplicit(c);
    if (found) return found;
  }
  return null;
}

function refuseUnknown(source: CollationSource | null | undefined): void {
  if (source?.unknown !== undefined)
    throw new QueryError(`no such collation sequence: ${source.unknown}`, 'QUERY');
}

/** Refuse `e` as an ORDER BY, GROUP BY or DISTINCT term when its collation does not exist. */
export function checkOrderingCollation(e: Expr): void {
  refuseUnknown(collationSource(e));
}

/**
 * The collation a result column of `e` carries into a compound SELECT: its column's (BINARY when
 * it declares none) or an explicit COLLATE's; null when `e` has none, so a later arm may supply one.
 */
export function resultCollation(e: Expr): Collation | null {
  const source = collationSource(e);
  return source && source.unknown === undefined ? source.collation : null;
}

/** The collation ORDER BY, GROUP BY and DISTINCT use for `e`; undefined for BINARY. */
export function exprCollation(e: Expr): Collation | undefined {
  const c = collationSource(e)?.collation;
  return c === 'binary' ? undefined : c;
}

/**
 * The collation of a function that needs one (scalar max/min): the first argument that has a
 * collation, explicit or from its column, as sqlite3GetFuncCollSeq sees it; BINARY is undefined.
 */
export function argumentsCollation(args: readonly Expr[]): Collation | undefined {
  for (const a of args) {
    const src = collationSource(a);
    if (src) {
      refuseUnknown(src);
      return src.collation === 'binary' ? undefined : src.collation;
    }
  }
  return undefined;
}

/** SQLite's choice for a binary comparison: explicit left, explicit right, column left, column right. */
export function comparisonCollation(l: Expr, r: Expr): Collation | undefined {
  const a = collationSource(l);
  const b = collationSource(r);
  const pick = a?.explicit ? a : b?.explicit ? b : (a ?? b);
  refuseUnknown(pick);
  return pick && pick.collation !== 'binary' ? pick.collation : undefined;
}
