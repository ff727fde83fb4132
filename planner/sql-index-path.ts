/**
 * When a query reads a table through a partial index or an index on expressions (storage/
 * index-exprs.ts), as SQLite decides it (https://www.sqlite.org/partialindex.html, expridx.html):
 *
 *   - A partial index only when the query's WHERE implies the index's: every AND-ed term of the
 *     index's WHERE is a term of the query's, or is `c IS NOT NULL` and the query compares c
 *     (`c = ?`, `c > 5`, … are never true for a NULL c).
 *   - With an equality of the index's first key expression (structurally the same expression as
 *     lowered, compared under BINARY with no affinity to convert the value) and a constant or
 *     parameter: the entries of that key; else the whole index, when it is partial.
 *
 * The access never answers a condition: every term of the WHERE stays in the Filter above it, so
 * the only thing the rules above must get right is that the index holds every row the query can
 * accept. Lowering an index's stored statement needs the parser, which sits above this layer: it
 * installs how (parser/index-sql.ts installIndexSql).
 */
import type { CollectionView, IndexView } from '../storage/collection-state';
import type { CollectionSchema, NormalizedIndex } from '../storage/schema/normalize';
import type { CompiledSchema } from '../storage/schema/compile';
import type { Expr } from './expr';
import { conjuncts, isConstant } from './expr';
import { affinity } from './compile-expr';
import { typeOf } from './expr-type';
import { comparisonCollation, exprCollation } from './sql-text';
import type { SortKey } from './logical';
import type { Bound, SqlIndexScanNode } from './physical';

/** A stored partial or expression index lowered against its table. */
export interface IndexSqlExprs {
  /** Per key column, its expression (a plain column's is a column reference). */
  readonly keys: readonly Expr[];
  readonly where: Expr | null;
}

export interface IndexSqlSupport {
  lower(schema: CollectionSchema, compiled: CompiledSchema, ix: NormalizedIndex): IndexSqlExprs;
  /** Structural equality of lowered expressions (only deterministic calls are equal). */
  equals(a: Expr, b: Expr): boolean;
}

let support: IndexSqlSupport | null = null;

/** Set by the SQL layer (parser/index-sql.ts installIndexSql). */
export function setIndexSqlSupport(s: IndexSqlSupport): void {
  support = s;
}

/** Lowered once per index definition: a definition object never changes (a new one replaces it). */
const lowered = new WeakMap<NormalizedIndex, IndexSqlExprs | null>();

function exprsOf(view: CollectionView, ix: IndexView, s: IndexSqlSupport): IndexSqlExprs | null {
  let out = lowered.get(ix.def);
  if (out === undefined) {
    try {
      out = s.lower(view.meta.schema, view.compiled, ix.def);
    } catch {
      // An index the planner cannot read is one it does not use; writes report the problem.
      out = null;
    }
    lowered.set(ix.def, out);
  }
  return out;
}

const COMPARISONS = new Set(['=', '<', '<=', '>', '>=']);

/** Whether term `q` of the query is false or NULL whenever `c` is NULL (a comparison of c). */
function comparesColumn(q: Expr, c: Expr, s: IndexSqlSupport): boolean {
  if (q.kind === 'binary' && COMPARISONS.has(q.op)) return s.equals(q.left, c) || s.equals(q.right, c);
  if (q.kind === 'between' && !q.negated) return s.equals(q.arg, c);
  return false;
}

/** Whether the query's terms imply the index's WHERE (SQLite's rule, above). */
function implies(query: readonly Expr[], where: Expr | null, s: IndexSqlSupport): boolean {
  if (where === null) return true;
  return conjuncts(where).every((w) => {
    if (query.some((q) => s.equals(q, w))) return true;
    if (w.kind !== 'isNull' || !w.negated) return false;
    return query.some((q) => comparesColumn(q, w.arg, s));
  });
}

/**
 * The constant an equality term gives `key`, when the index's BINARY order can look it up, and
 * the class of value the lookup may take (SqlIndexScanNode.keyClass).
 */
function equalityValue(
  q: Expr,
  key: Expr,
  s: IndexSqlSupport,
): { value: Expr; keyClass: SqlIndexScanNode['keyClass'] } | null {
  if (q.kind !== 'binary' || q.op !== '=') return null;
  const value = s.equals(q.left, key) ? q.right : s.equals(q.right, key) ? q.left : null;
  // The index orders BINARY and stores the value the expression computes: a collation would
  // compare differently from a key lookup.
  if (value === null || !binaryCollation(q)) return null;
  const keyClass = lookupClass(value, key);
  return keyClass === null ? null : { value, keyClass };
}

/**
 * Whether `value` (one side of a comparison with `key`) can be looked up in the index as it is,
 * and the class of value the lookup then takes (SqlIndexScanNode.keyClass); null when not.
 */
function lookupClass(value: Expr, key: Expr): SqlIndexScanNode['keyClass'] | null {
  if (!isConstant(value) || (value.kind !== 'literal' && value.kind !== 'param')) return null;
  if (affinity(value) !== 'none') return null;
  const t = typeOf(key);
  if (t !== 'text' && t !== 'integer' && t !== 'real') return null;
  // A plain column converts the value to its affinity before comparing (SQLite's rule): only a
  // value already of the column's class is looked up as it is.
  if (key.kind === 'column') return t === 'text' ? 'text' : 'number';
  return affinity(key) === 'none' ? 'any' : null;
}

const FLIPPED: Readonly<Record<string, string>> = { '<': '>', '<=': '>=', '>': '<', '>=': '<=' };

/**
 * The bounds range terms of the query give `key` (`key > ?`, `5 >= key`, `key BETWEEN a AND b`),
 * under the same conditions as an equality's (equalityValue), or null when there is none. Any
 * bound will do: the walk needs only to hold every row the terms accept, the filter keeps the rest.
 */
function rangeBounds(
  terms: readonly Expr[],
  key: Expr,
  s: IndexSqlSupport,
): { lo?: Bound; hi?: Bound; keyClass: SqlIndexScanNode['keyClass'] } | null {
  let lo: Bound | undefined;
  let hi: Bound | undefined;
  let keyClass: SqlIndexScanNode['keyClass'] | null = null;
  const take = (op: string, value: Expr): void => {
    const cls = lookupClass(value, key);
    if (cls === null) return;
    keyClass = cls;
    if ((op === '>' || op === '>=') && lo === undefined) lo = { expr: value, inclusive: op === '>=' };
    if ((op === '<' || op === '<=') && hi === undefined) hi = { expr: value, inclusive: op === '<=' };
  };
  for (const q of terms) {
    if (q.kind === 'binary' && FLIPPED[q.op] !== undefined && binaryCollation(q)) {
      if (s.equals(q.left, key)) take(q.op, q.right);
      else if (s.equals(q.right, key)) take(FLIPPED[q.op], q.left);
    } else if (q.kind === 'between' && !q.negated && s.equals(q.arg, key) && betweenBinary(q)) {
      take('>=', q.lo);
      take('<=', q.hi);
    }
  }
  if (keyClass === null || (lo === undefined && hi === undefined)) return null;
  return { ...(lo ? { lo } : {}), ...(hi ? { hi } : {}), keyClass };
}

/** Whether a comparison compares BINARY (an explicit or a column's collation orders otherwise). */
function binaryCollation(q: Extract<Expr, { kind: 'binary' }>): boolean {
  return (q.collation ?? 'binary') === 'binary' && comparisonCollation(q.left, q.right) === undefined;
}

/** The same for BETWEEN, whose two comparisons take the argument's collation. */
function betweenBinary(q: Extract<Expr, { kind: 'between' }>): boolean {
  return (
    (q.collation ?? 'binary') === 'binary' &&
    comparisonCollation(q.arg, q.lo) === undefined &&
    comparisonCollation(q.arg, q.hi) === undefined
  );
}

/**
 * A scan through a partial or expression index of `view` for the query's WHERE `where`, when one
 * applies; null otherwise (the caller keeps its own access path). The most recently created
 * index that applies wins, a key lookup over a whole partial index.
 */
export function sqlIndexAccess(
  view: CollectionView,
  where: Expr | null,
  sort: readonly SortKey[] | null,
  /** The table scan already gives the ORDER BY (by primary key): no whole partial index then. */
  scanOrdered = false,
): { node: SqlIndexScanNode; ordered: boolean } | null {
  const s = support;
  if (s === null || (where === null && sort === null)) return null;
  const terms = conjuncts(where);
  let whole: SqlIndexScanNode | null = null;
  let walk: SqlIndexScanNode | null = null;
  let ranged: { node: SqlIndexScanNode; ordered: boolean } | null = null;
  for (let i = view.allIndexes.length - 1; i >= 0; i--) {
    const ix = view.allIndexes[i];
    if (!ix.special) continue;
    const exprs = exprsOf(view, ix, s);
    if (exprs === null || !implies(terms, exprs.where, s)) continue;
    const collection = view.meta.schema.name;
    for (const q of terms) {
      const eq = equalityValue(q, exprs.keys[0], s);
      if (eq !== null) {
        const node: SqlIndexScanNode = {
          kind: 'SqlIndexScan',
          collection,
          index: ix.def.name,
          key: eq.value,
          keyClass: eq.keyClass,
          partial: exprs.where !== null,
        };
        return { node, ordered: false };
      }
    }
    const order = walkOrder(view, ix, exprs.keys[0], sort, s);
    const range: ReturnType<typeof rangeBounds> =
      ranged === null ? rangeBounds(terms, exprs.keys[0], s) : null;
    if (range !== null) {
      const node: SqlIndexScanNode = {
        kind: 'SqlIndexScan',
        collection,
        index: ix.def.name,
        key: null,
        keyClass: range.keyClass,
        partial: exprs.where !== null,
        ...(range.lo ? { lo: range.lo } : {}),
        ...(range.hi ? { hi: range.hi } : {}),
        ...(order === true ? { reverse: true } : {}),
      };
      ranged = { node, ordered: order !== null };
    }
    const reverse: boolean | null = walk === null ? order : null;
    if (reverse !== null)
      walk = {
        kind: 'SqlIndexScan',
        collection,
        index: ix.def.name,
        key: null,
        keyClass: 'any',
        partial: exprs.where !== null,
        ...(reverse ? { reverse: true } : {}),
      };
    if (exprs.where !== null)
      whole ??= {
        kind: 'SqlIndexScan',
        collection,
        index: ix.def.name,
        key: null,
        keyClass: 'any',
        partial: true,
      };
  }
  // A range in the ORDER BY's order first, then the order alone, then a range, then a whole
  // partial index (never in place of a scan already in the ORDER BY's order).
  if (ranged !== null && ranged.ordered) return ranged;
  if (walk !== null) return { node: walk, ordered: true };
  if (ranged !== null) return ranged;
  return whole === null || scanOrdered ? null : { node: whole, ordered: false };
}

/**
 * Whether walking index `ix` (first key `key`) gives the ORDER BY `sort`: one term on the same
 * expression compared BINARY (then optionally the primary key, in the walk's direction, which
 * orders a single-key index's ties). Its answer is the walk's direction (true: backwards), or
 * null when the walk does not give that order.
 */
function walkOrder(
  view: CollectionView,
  ix: IndexView,
  key: Expr,
  sort: readonly SortKey[] | null,
  s: IndexSqlSupport,
): boolean | null {
  if (sort === null || sort.length === 0 || sort.length > 2) return null;
  const [first, tie] = sort;
  if (first.nulls !== undefined || !s.equals(first.expr, key)) return null;
  if (exprCollation(first.expr) !== undefined || exprCollation(key) !== undefined) return null;
  // DESC on every column is stored ascending (its ties the other way round): not walked for order.
  if (ix.desc !== null || ix.def.descending === true) return null;
  if (tie !== undefined) {
    const pk = view.compiled.pkColumn;
    const onPk = tie.expr.kind === 'column' && tie.expr.column === pk && tie.expr.sub.length === 0;
    if (ix.composite || !onPk || tie.desc !== first.desc || tie.nulls !== undefined) return null;
  }
  return first.desc;
}

/** A partial or expression index a join may probe: its first key expression, at the table's columns. */
export interface SqlIndexProbe {
  readonly index: IndexView;
  readonly key: Expr;
}

/**
 * The partial and expression indexes of `view` a join can look rows up in (planner/join-planner.ts):
 * those whose WHERE the inner table's own terms `innerTerms` (at the table's columns) imply, each
 * with its first key expression when an equality with it can be looked up as it is: a BINARY
 * text or number, as for a constant (lookupClass).
 */
export function sqlIndexProbes(view: CollectionView, innerTerms: readonly Expr[]): SqlIndexProbe[] {
  const s = support;
  if (s === null) return [];
  const out: SqlIndexProbe[] = [];
  for (let i = view.allIndexes.length - 1; i >= 0; i--) {
    const ix = view.allIndexes[i];
    if (!ix.special) continue;
    const exprs = exprsOf(view, ix, s);
    if (exprs === null || !implies(innerTerms, exprs.where, s)) continue;
    const key = exprs.keys[0];
    const t = typeOf(key);
    if (t !== 'text' && t !== 'integer' && t !== 'real') continue;
    if (exprCollation(key) !== undefined) continue;
    out.push({ index: ix, key });
  }
  return out;
}

/** Structural equality of lowered expressions, as the index rules compare them. */
export function sameIndexExpr(a: Expr, b: Expr): boolean {
  return support !== null && support.equals(a, b);
}
