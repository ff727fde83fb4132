/**
 * Access paths of one table: which tree (the primary key or an index) a query reads, and how
 * (lookup, range, whole walk), from the WHERE conjuncts, the ORDER BY and an index hint. The
 * rules, in order (docs/queries.md explains them):
 *
 *   1. Primary-key equality/IN > unique index equality/IN > non-unique index equality/IN > range
 *      (or LIKE prefix) on the primary key or an index > OR of indexable branches (IndexUnion) >
 *      CollectionScan. Among candidates of one rank, the one with fewer lookup keys wins.
 *   2. Conjuncts an access path answers exactly are dropped; everything else stays as a residual.
 *   3. A single-key ORDER BY on the primary key or an indexed path is answered by iterating that
 *      tree in order when the access path is a scan or a range on that same tree; with a LIMIT and
 *      a range on the sort key, that in-order walk is preferred over lookups that must sort.
 *   4. `NOT INDEXED` leaves the primary key only; `INDEXED BY ix` only `ix` (its whole walk when
 *      nothing else applies).
 */
import type { CollectionView, IndexView } from '../storage/collection-state';
import type { ColumnExpr, Expr } from './expr';
import { E, balancedTree, conjuncts, isConstant } from './expr';
import type { IndexHint, SortKey } from './logical';
import type {
  AccessNode,
  Bound,
  IndexLookupNode,
  IndexRangeScanNode,
  PhysicalPlan,
  PrefixKey,
  PrimaryKeyLookupNode,
} from './physical';
import { indexPaths } from '../storage/schema/normalize';
import { likePrefix } from './sql-values';
import { affinity, otherClass } from './compile-expr';
import { typeOf } from './expr-type';
import { textKeyConverts } from './join-terms';
import { indexEntryWidth } from './sqlite-widths';
import { rowBound } from './row-bound';

/** A path is "on" a tree when the column expression reads exactly the tree's key. */
export function sameColumn(e: Expr, column: number, sub: readonly number[]): boolean {
  return (
    e.kind === 'column' &&
    e.column === column &&
    e.sub.length === sub.length &&
    e.sub.every((s, i) => s === sub[i])
  );
}

interface Target {
  /** null = the primary key tree. */
  index: IndexView | null;
  column: number;
  sub: readonly number[];
}

function targets(view: CollectionView): Target[] {
  const pkColumn = view.compiled.pkColumn;
  return [
    { index: null, column: pkColumn, sub: [] },
    // A composite index answers through compositeCandidates (its key is a tuple). Newest first,
    // as SQLite's index list: of two indexes on one column, the newer serves.
    ...[...view.indexes]
      .reverse()
      .filter((ix) => !ix.composite)
      .map((ix) => ({ index: ix, column: ix.columns[0].column, sub: ix.columns[0].sub })),
  ];
}

function targetOf(e: Expr, view: CollectionView): Target | null {
  if (e.kind !== 'column') return null;
  return targets(view).find((t) => sameColumn(e, t.column, t.sub)) ?? null;
}

interface Candidate {
  rank: number;
  keys: number;
  node: AccessNode;
  covers: Expr[];
}

const FLIP: Record<string, string> = { '<': '>', '<=': '>=', '>': '<', '>=': '<=', '=': '=' };

/** Normalize `const op col` to `col op const`; null when the conjunct is not column-vs-constant. */
function columnComparison(e: Expr): { col: ColumnExpr; op: string; value: Expr } | null {
  if (e.kind !== 'binary' || !(e.op in FLIP)) return null;
  if (e.left.kind === 'column' && isConstant(e.right)) return { col: e.left, op: e.op, value: e.right };
  if (e.right.kind === 'column' && isConstant(e.left)) return { col: e.right, op: FLIP[e.op], value: e.left };
  return null;
}

/**
 * `col = outer value` where `col` is numeric and the outer value TEXT: SQLite's comparison applies
 * NUMERIC affinity to the text ('5' and '5.0' equal 5, 'abc' nothing), which a lookup of the
 * converted value in `col`'s tree answers exactly, so a correlated subquery keyed by a TEXT column
 * still looks its rows up instead of scanning the table for each outer row. The key to look up,
 * or null for any other pair.
 */
function numericLookup(col: Expr, value: Expr): Expr | null {
  if (col.kind !== 'column' || value.kind !== 'param' || value.outer === undefined) return null;
  if (value.outer.type !== 'text' || !textKeyConverts(col.type)) return null;
  return { ...value, affinity: 'numeric' };
}

function lookupNode(
  view: CollectionView,
  t: Target,
  keys: readonly Expr[],
): PrimaryKeyLookupNode | IndexLookupNode {
  const collection = view.meta.schema.name;
  return t.index
    ? { kind: 'IndexLookup', collection, index: t.index.def.name, unique: t.index.unique, keys }
    : { kind: 'PrimaryKeyLookup', collection, keys };
}

function rangeNode(
  view: CollectionView,
  t: Target,
  lo: Bound | null,
  hi: Bound | null,
  reverse = false,
): IndexRangeScanNode {
  return {
    kind: 'IndexRangeScan',
    collection: view.meta.schema.name,
    index: t.index ? t.index.def.name : null,
    lo,
    hi,
    reverse,
    skipNulls: t.index !== null,
  };
}

function equalityRank(t: Target): number {
  return t.index === null ? 0 : t.index.unique ? 1 : 2;
}

/**
 * Trees are ordered by BINARY collation and hold values as stored: a conjunct comparing under
 * another collation, or against a CAST (which converts by affinity), needs the residual filter.
 */
function treeComparable(e: Expr): boolean {
  if ((e.kind === 'binary' || e.kind === 'between') && e.collation !== undefined) return false;
  if (e.kind === 'in' && e.collations?.some((c) => c !== undefined)) return false;
  const operands =
    e.kind === 'binary'
      ? [e.left, e.right]
      : e.kind === 'in'
        ? e.list
        : e.kind === 'between'
          ? [e.lo, e.hi]
          : [];
  // An outer column of a correlated subquery of another type converts by affinity, as a CAST does.
  const classOf = (t: string): string => (t === 'text' || t === 'blob' || t === 'any' ? t : 'number');
  const column = (
    e.kind === 'binary' ? [e.left, e.right] : e.kind === 'in' || e.kind === 'between' ? [e.arg] : []
  ).find((x) => x.kind === 'column');
  const mismatched = (x: Expr): boolean =>
    x.kind === 'param' &&
    x.outer !== undefined &&
    column !== undefined &&
    classOf(x.outer.type) !== classOf(column.kind === 'column' ? column.type : 'any') &&
    !(e.kind === 'binary' && numericLookup(column, x) !== null);
  // So does an expression known to be of another class (`s = 1 + 1` compares '2'): the tree
  // holds the column's values as stored, so the residual filter, which converts, answers it. One
  // whose class only its value tells (`a = abs(?)`, type 'any') keeps the index, as before.
  const converted = (x: Expr): boolean =>
    column !== undefined && typeOf(x) !== 'any' && otherClass(affinity(column), x);
  return !operands.some((x) => x.kind === 'cast' || x.kind === 'collate' || mismatched(x) || converted(x));
}

/**
 * `col = value` compared under NOCASE or RTRIM, where `col` has a unique index ordered under that
 * collation (a UNIQUE column declared with it, NormalizedIndex.collate): a lookup in that index,
 * whose tree finds 'A' for 'a' as the comparison does. Other indexes stay out of such comparisons.
 */
function collatedCandidates(e: Expr, view: CollectionView): Candidate[] {
  if (e.kind !== 'binary' || e.op !== '=' || e.collation === undefined || e.collation === 'binary') return [];
  const cmp = columnComparison(e);
  if (!cmp || !treeComparable({ ...e, collation: undefined })) return [];
  const collation = e.collation;
  const ix = view.collatedIndexes.find(
    (x) =>
      !x.composite &&
      sameColumn(cmp.col, x.columns[0].column, x.columns[0].sub) &&
      x.def.collate?.[0] === collation,
  );
  if (!ix) return [];
  const node: IndexLookupNode = {
    kind: 'IndexLookup',
    collection: view.meta.schema.name,
    index: ix.def.name,
    unique: true,
    keys: [cmp.value],
  };
  return [{ rank: 1, keys: 1, node, covers: [e] }];
}

/** Candidates answering one conjunct through one tree. */
function conjunctCandidates(e: Expr, view: CollectionView): Candidate[] {
  const out: Candidate[] = [];
  if (!treeComparable(e)) return collatedCandidates(e, view);
  const cmp = columnComparison(e);
  if (cmp) {
    const t = targetOf(cmp.col, view);
    if (!t) return out;
    if (cmp.op === '=') {
      const key = numericLookup(cmp.col, cmp.value) ?? cmp.value;
      out.push({ rank: equalityRank(t), keys: 1, node: lookupNode(view, t, [key]), covers: [e] });
    } else {
      const bound: Bound = { expr: cmp.value, inclusive: cmp.op === '<=' || cmp.op === '>=' };
      const isLower = cmp.op === '>' || cmp.op === '>=';
      out.push({
        rank: 3,
        keys: 2,
        node: rangeNode(view, t, isLower ? bound : null, isLower ? null : bound),
        covers: [e],
      });
    }
    return out;
  }
  if (e.kind === 'in' && !e.negated && e.list.every(isConstant)) {
    const t = targetOf(e.arg, view);
    if (t)
      out.push({
        rank: equalityRank(t),
        keys: e.list.length,
        node: lookupNode(view, t, e.list),
        covers: [e],
      });
    return out;
  }
  if (e.kind === 'between' && !e.negated && isConstant(e.lo) && isConstant(e.hi)) {
    const t = targetOf(e.arg, view);
    if (t) {
      const node = rangeNode(view, t, { expr: e.lo, inclusive: true }, { expr: e.hi, inclusive: true });
      out.push({ rank: 3, keys: 2, node, covers: [e] });
    }
    return out;
  }
  if (
    e.kind === 'like' &&
    !e.negated &&
    !e.glob &&
    e.pattern.kind === 'literal' &&
    typeof e.pattern.value === 'string' &&
    !e.escape
  ) {
    const t = targetOf(e.arg, view);
    const prefix = likePrefix(e.pattern.value);
    if (t && prefix.length > 0 && e.arg.kind === 'column' && e.arg.type === 'text') {
      // LIKE folds ASCII case, so scan from the upper-case to past the lower-case spelling; the LIKE stays as residual.
      const lo: Bound = { expr: E.literal(prefix.toUpperCase(), 'text'), inclusive: true };
      const hi: Bound = { expr: E.literal(`${prefix.toLowerCase()}\u{10FFFF}`, 'text'), inclusive: true };
      out.push({ rank: 4, keys: 2, node: rangeNode(view, t, lo, hi), covers: [] });
    }
    return out;
  }
  if (e.kind === 'isNull' && !e.negated) {
    const t = targetOf(e.arg, view);
    if (t && t.index) {
      const collection = view.meta.schema.name;
      const node: IndexLookupNode = {
        kind: 'IndexLookup',
        collection,
        index: t.index.def.name,
        unique: t.index.unique,
        keys: [E.literal(null, 'null')],
        matchNull: true,
      };
      out.push({ rank: 2, keys: 1, node, covers: [e] });
    }
    return out;
  }
  if (e.kind === 'binary' && e.op === 'or') {
    const branches = orBranches(e);
    const inputs: (PrimaryKeyLookupNode | IndexLookupNode | IndexRangeScanNode)[] = [];
    for (const b of branches) {
      const best = pickBest(conjunctCandidates(b, view));
      if (!best || best.node.kind === 'CollectionScan' || best.node.kind === 'IndexUnion') return out;
      inputs.push(best.node as PrimaryKeyLookupNode | IndexLookupNode | IndexRangeScanNode);
    }
    // The OR itself stays as residual: branches may overlap and carry LIKE residuals.
    out.push({
      rank: 5,
      keys: inputs.length,
      node: { kind: 'IndexUnion', collection: view.meta.schema.name, inputs },
      covers: [],
    });
  }
  return out;
}

function orBranches(e: Expr): Expr[] {
  if (e.kind === 'binary' && e.op === 'or') return [...orBranches(e.left), ...orBranches(e.right)];
  return [e];
}

/**
 * A composite index used on its first column only reads the same entries as a single-column
 * index on that column answering the same terms. SQLite then takes the one that covers the
 * columns the query reads (`reads`, when known), else the narrower, whose entries are smaller —
 * unless the composite's next columns give ORDER BY terms the other cannot. The row order of a
 * query without ORDER BY (and of ties) follows the choice: `WHERE a = 2` with indexes on (a, b)
 * and (a) reads (a), in rowid order.
 */
function narrowerEquivalent(
  view: CollectionView,
  best: Candidate,
  cands: readonly Candidate[],
  sort: readonly SortKey[] | null,
  reads: ReadonlySet<number> | null,
): Candidate {
  const node = best.node;
  if (node.kind !== 'IndexRangeScan' || node.index === null || !node.prefix) return best;
  const name = node.index;
  const ix = view.indexes.find((i) => i.def.name === name);
  if (!ix?.composite || node.prefix.length + (node.lo || node.hi ? 1 : 0) !== 1) return best;
  const first = ix.columns[0];
  const alt = cands.find((c) => {
    if (c === best || c.rank !== best.rank || !sameTerms(c.covers, best.covers)) return false;
    const n = c.node;
    if ((n.kind !== 'IndexLookup' && n.kind !== 'IndexRangeScan') || n.index === null) return false;
    const other = view.indexes.find((i) => i.def.name === n.index);
    return (
      other !== undefined &&
      !other.composite &&
      other.columns[0].column === first.column &&
      sameSubPath(other.columns[0].sub, first.sub)
    );
  });
  if (!alt) return best;
  // The composite's walk orders ORDER BY terms past its first column: it may save the sort
  // (not a walk per IN value, which is never taken as ordered).
  if (sort && sort.length > 0 && !node.prefixIn) {
    const given = leadingOrder(ix, node.prefix.length, sort).count;
    if (sort.slice(0, given).some((k) => !sameColumn(k.expr, first.column, first.sub))) return best;
  }
  if (reads) {
    const altNode = alt.node as IndexLookupNode | IndexRangeScanNode;
    const altIx = view.indexes.find((i) => i.def.name === altNode.index);
    if (altIx && coversReads(view, ix, reads) && !coversReads(view, altIx, reads)) return best;
  }
  return alt;
}

function sameTerms(a: readonly Expr[], b: readonly Expr[]): boolean {
  return a.length === b.length && a.every((e) => b.includes(e));
}

function sameSubPath(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Whether index `ix` holds every top-level column in `reads` (the primary key is in every entry). */
function coversReads(view: CollectionView, ix: IndexView, reads: ReadonlySet<number>): boolean {
  for (const c of reads)
    if (c !== view.compiled.pkColumn && !ix.columns.some((k) => k.column === c && k.sub.length === 0))
      return false;
  return true;
}

function pickBest(cands: Candidate[]): Candidate | null {
  let best: Candidate | null = null;
  for (const c of cands)
    if (!best || c.rank < best.rank || (c.rank === best.rank && c.keys < best.keys)) best = c;
  return best;
}

/** Merge a lower and an upper bound on the same tree from two conjuncts into one range. */
function mergeRanges(cands: Candidate[]): Candidate[] {
  const ranges = cands.filter(
    (c) => c.node.kind === 'IndexRangeScan' && c.covers.length === 1,
  ) as (Candidate & {
    node: IndexRangeScanNode;
  })[];
  const merged: Candidate[] = [];
  for (const a of ranges) {
    for (const b of ranges) {
      if (a === b || a.node.index !== b.node.index) continue;
      if (a.node.lo && !a.node.hi && b.node.hi && !b.node.lo) {
        merged.push({
          rank: 3,
          keys: 1,
          node: { ...a.node, hi: b.node.hi },
          covers: [...a.covers, ...b.covers],
        });
      }
    }
  }
  return [...cands, ...merged];
}

/**
 * Composite indexes: equality on a leftmost prefix of the columns, then at most one lower and
 * one upper bound on the next column (SQLite's rule). The conjuncts used are answered exactly.
 */
interface CompositeMatch {
  index: IndexView;
  prefix: PrefixKey[];
  /** Conjuncts the prefix answers, by column. */
  eqCovers: Expr[];
  lo: Bound | null;
  hi: Bound | null;
  rangeCovers: Expr[];
}

function columnIs(e: Expr, ix: IndexView, i: number): boolean {
  return sameColumn(e, ix.columns[i].column, ix.columns[i].sub);
}

function compositeMatch(ix: IndexView, parts: readonly Expr[]): CompositeMatch {
  const m: CompositeMatch = { index: ix, prefix: [], eqCovers: [], lo: null, hi: null, rangeCovers: [] };
  const usable = parts.filter(treeComparable);
  for (let i = 0; i < ix.columns.length; i++) {
    let found = false;
    for (const e of usable) {
      const cmp = columnComparison(e);
      if (cmp && cmp.op === '=' && columnIs(cmp.col, ix, i)) {
        m.prefix.push({ expr: cmp.value, matchNull: false });
        m.eqCovers.push(e);
        found = true;
        break;
      }
      if (e.kind === 'isNull' && !e.negated && columnIs(e.arg, ix, i)) {
        m.prefix.push({ expr: E.literal(null, 'null'), matchNull: true });
        m.eqCovers.push(e);
        found = true;
        break;
      }
    }
    if (!found) break;
  }
  const next = m.prefix.length;
  if (next >= ix.columns.length) return m;
  rowBounds(ix, next, usable, m);
  for (const e of usable) {
    const cmp = columnComparison(e);
    if (cmp && cmp.op !== '=' && columnIs(cmp.col, ix, next)) {
      const bound: Bound = { expr: cmp.value, inclusive: cmp.op === '<=' || cmp.op === '>=' };
      if ((cmp.op === '>' || cmp.op === '>=') && !m.lo) m.lo = bound;
      else if ((cmp.op === '<' || cmp.op === '<=') && !m.hi) m.hi = bound;
      else continue;
      m.rangeCovers.push(e);
    } else if (
      e.kind === 'between' &&
      !e.negated &&
      isConstant(e.lo) &&
      isConstant(e.hi) &&
      !m.lo &&
      !m.hi &&
      columnIs(e.arg, ix, next)
    ) {
      m.lo = { expr: e.lo, inclusive: true };
      m.hi = { expr: e.hi, inclusive: true };
      m.rangeCovers.push(e);
    }
  }
  return m;
}

/**
 * Row-value comparisons on the columns from `next` on, `(a, b) > (?, ?)`, as tuple bounds of
 * composite index `ix` (ascending columns only). A row longer than the index's remaining
 * columns bounds by its leading items, inclusively: a superset, so the comparison stays residual.
 * A lower bound on the whole row is exact — every key after `(x, y)` is a row the comparison
 * finds true, a NULL item of the bound cuts it to the items before (index-range.ts), and the
 * NULL keys a NULL would make unknown sort first — so it is answered by the index. An upper
 * bound is not: a key `(x, NULL)` lies below `(x, y)` while `(x, NULL) < (x, y)` is NULL.
 */
function rowBounds(ix: IndexView, next: number, usable: readonly Expr[], m: CompositeMatch): void {
  const comparison = (e: Expr): ReturnType<typeof columnComparison> =>
    treeComparable(e) ? columnComparison(e) : null;
  for (const e of usable) {
    const row = rowBound(e, comparison);
    if (!row || row.columns.length < 2) continue;
    let used = 0;
    while (
      used < row.columns.length &&
      next + used < ix.columns.length &&
      ix.desc?.[next + used] !== true &&
      columnIs(row.columns[used], ix, next + used)
    )
      used++;
    if (used === 0) continue;
    const bound: Bound = {
      expr: row.values[0],
      inclusive: used < row.columns.length || row.op === '<=' || row.op === '>=',
      ...(used > 1 ? { rest: row.values.slice(1, used) } : {}),
    };
    if ((row.op === '>' || row.op === '>=') && !m.lo) {
      m.lo = bound;
      if (used === row.columns.length) m.rangeCovers.push(e);
    } else if ((row.op === '<' || row.op === '<=') && !m.hi) m.hi = bound;
  }
}

function compositeNode(view: CollectionView, m: CompositeMatch, reverse = false): IndexRangeScanNode {
  return {
    kind: 'IndexRangeScan',
    collection: view.meta.schema.name,
    index: m.index.def.name,
    lo: m.lo,
    hi: m.hi,
    reverse,
    skipNulls: m.lo !== null || m.hi !== null,
    prefix: m.prefix,
    columns: indexPaths(m.index.def).map((p) => p.join('.')),
    ...(m.index.desc ? { desc: m.index.desc } : {}),
  };
}

function compositeCandidates(view: CollectionView, parts: readonly Expr[]): Candidate[] {
  const out: Candidate[] = [];
  for (const ix of view.indexes) {
    if (!ix.composite) continue;
    const m = compositeMatch(ix, parts);
    const used = m.prefix.length + (m.lo || m.hi ? 1 : 0);
    if (m.prefix.length === 0) {
      const listed = compositeInCandidate(view, ix, parts);
      if (listed) out.push(listed);
    }
    if (used === 0) continue;
    const full = m.prefix.length === ix.columns.length;
    // Equality on the whole unique key finds at most one row; an equality prefix is a lookup;
    // a range on the first column alone is a range. More columns used = fewer entries read.
    const rank = full && ix.unique ? 1 : m.prefix.length > 0 ? 2 : 3;
    out.push({
      rank,
      keys: 1 / (1 + used),
      node: compositeNode(view, m),
      covers: [...m.eqCovers, ...m.rangeCovers],
    });
  }
  return out;
}

/**
 * `a IN (1, 3)` on the first column of composite index `ix` (with whatever equalities and bound
 * follow on its next columns): one prefix scan per value (IndexRangeScanNode.prefixIn). Before,
 * such an IN read the whole table when no single-column index had `a`. Not for an index declared
 * DESC on every column (stored ascending, its ties flipped on a walk: planner/flipped-ties.ts).
 */
function compositeInCandidate(view: CollectionView, ix: IndexView, parts: readonly Expr[]): Candidate | null {
  if (ix.def.descending) return null;
  const list = parts.find(
    (e): e is Extract<Expr, { kind: 'in' }> =>
      e.kind === 'in' &&
      !e.negated &&
      e.list.length > 0 &&
      e.list.every(isConstant) &&
      treeComparable(e) &&
      columnIs(e.arg, ix, 0),
  );
  if (!list) return null;
  // The first value stands in for the column while the rest of the prefix is matched.
  const stand = E.binary('=', list.arg, list.list[0]);
  const m = compositeMatch(ix, [stand, ...parts.filter((p) => p !== list)]);
  if (m.eqCovers[0] !== stand) return null;
  const used = m.prefix.length + (m.lo || m.hi ? 1 : 0);
  return {
    rank: 2,
    keys: list.list.length / (1 + used),
    node: { ...compositeNode(view, m), prefixIn: list.list },
    covers: [list, ...m.eqCovers.slice(1), ...m.rangeCovers],
  };
}

/**
 * Whether walking composite index `ix` forwards or backwards yields rows in the order of `sort`,
 * given the columns fixed by an equality prefix of `fixed` columns: the sort keys, leaving out
 * fixed columns, must be the next index columns in order, each in its column's direction
 * (forwards) or each against it (backwards); the primary key may follow the last index column
 * (ties are in primary-key order, ascending forwards). Returns whether to walk backwards, or null.
 */
function compositeOrder(
  view: CollectionView,
  ix: IndexView,
  fixed: number,
  sort: readonly SortKey[],
): { desc: boolean } | null {
  const lead = leadingOrder(ix, fixed, sort);
  if (lead.count === sort.length) return { desc: lead.reverse ?? false };
  const k = sort[lead.count];
  if (
    lead.next !== ix.columns.length ||
    k.expr.kind !== 'column' ||
    k.expr.collation ||
    !sameColumn(k.expr, view.compiled.pkColumn, [])
  )
    return null;
  if (lead.reverse !== null && k.desc !== lead.reverse) return null;
  return { desc: k.desc };
}

/**
 * The composite index whose leading columns, walked forwards or backwards, give the longest
 * leading part of `sort` (at least `min` terms, fewer than all: compositeOrder takes whole
 * orders), for a TopN or Sort over its walk (AccessChoice.presorted); null when none gives `min`.
 */
function compositePrefixOrder(
  view: CollectionView,
  sort: readonly SortKey[],
  min: number,
): { ix: IndexView; desc: boolean; count: number } | null {
  let best: { ix: IndexView; desc: boolean; count: number } | null = null;
  for (const ix of [...view.indexes].reverse()) {
    if (!ix.composite) continue;
    const { reverse, count } = leadingOrder(ix, 0, sort);
    if (count >= min && count < sort.length && (!best || count > best.count))
      best = { ix, desc: reverse ?? false, count };
  }
  return best;
}

/**
 * How many leading terms of `sort` a walk of composite index `ix` gives, its first `fixed`
 * columns held by equalities (a term on one of those is given, in either direction); whether the
 * walk goes backwards (null: no term decided it) and the index column after the terms given.
 */
function leadingOrder(
  ix: IndexView,
  fixed: number,
  sort: readonly SortKey[],
): { reverse: boolean | null; count: number; next: number } {
  let next = fixed;
  let count = 0;
  let reverse: boolean | null = null;
  for (const k of sort) {
    const e = k.expr;
    if (e.kind !== 'column' || e.collation) break;
    let i = -1;
    for (let c = 0; c < ix.columns.length; c++) if (columnIs(e, ix, c)) i = c;
    if (i >= 0 && i < fixed) {
      count++;
      continue;
    }
    if (i < 0 || i !== next) break;
    const walkBack = k.desc !== (ix.desc?.[i] === true);
    if (reverse !== null && walkBack !== reverse) break;
    reverse = walkBack;
    next++;
    count++;
  }
  return { reverse, count, next };
}

/** A table as one FROM source sees it: an index hint narrows the indexes it may use. */
export type HintedView = CollectionView & { readonly hint?: IndexHint };

/**
 * `view` under `hint`: NOT INDEXED leaves the primary key only (SQLite still uses the rowid);
 * INDEXED BY keeps the one index, and chooseAccess then reads the table through it.
 */
export function hintedView(view: CollectionView, hint: IndexHint | undefined): HintedView {
  if (!hint) return view;
  const indexes = hint.kind === 'notIndexed' ? [] : view.indexes.filter((ix) => ix.def.name === hint.index);
  return { ...view, indexes, hint };
}

export interface AccessChoice {
  access: AccessNode;
  residual: Expr[];
  /** The access path yields rows already ordered by this sort (no Sort needed). */
  ordered: boolean;
  /**
   * Not `ordered`, but ordered by this many leading sort keys (an index giving them, walked for
   * `ORDER BY a, b`): a TopN over it stops once past the rows it keeps, a Sort sorts each run of
   * equal leading keys by the rest (planner/presorted-sort.ts).
   */
  presorted?: number;
}

/** A choice as a plan: its access path, under a Filter of the residual terms when there are any. */
export function accessPlan(choice: AccessChoice): PhysicalPlan {
  return choice.residual.length > 0
    ? { kind: 'Filter', input: choice.access, predicate: balancedTree(choice.residual, 'and') }
    : choice.access;
}

export function chooseAccess(
  view: HintedView,
  where: Expr | null,
  sort: readonly SortKey[] | null,
  hasLimit: boolean,
  /**
   * The query's TopN or Sort can use input ordered by its leading keys only (AccessChoice.presorted):
   * it then reads an index giving them, as SQLite does, and sorts each run of ties by the rest.
   */
  partialOrder = false,
  /** Top-level columns the query reads from the table, when known (an index covering them is preferred). */
  reads: ReadonlySet<number> | null = null,
): AccessChoice {
  const choice = chooseTree(view, where, sort, hasLimit, partialOrder, reads);
  return { ...choice, access: declaredTies(view, choice.access, sort) };
}

/**
 * An index declared DESC on every column is stored ascending (key, then primary key), so any walk
 * of it has its equal keys the other way round from SQLite's (key descending, rowid ascending):
 * `flipTies` restores them — unless the ORDER BY names the primary key, whose order the walk
 * then gives.
 */
export function declaredTies(
  view: CollectionView,
  access: AccessNode,
  sort: readonly SortKey[] | null,
): AccessNode {
  if (access.kind !== 'IndexRangeScan' || access.index === null) return access;
  const name = access.index;
  if (!view.indexes.find((ix) => ix.def.name === name)?.def.descending) return access;
  const pk = view.compiled.pkColumn;
  if ((sort ?? []).some((k) => k.expr.kind === 'column' && k.expr.column === pk && k.expr.sub.length === 0))
    return access;
  return { ...access, flipTies: true };
}

function chooseTree(
  view: HintedView,
  where: Expr | null,
  sort: readonly SortKey[] | null,
  hasLimit: boolean,
  partialOrder: boolean,
  reads: ReadonlySet<number> | null,
): AccessChoice {
  const parts = conjuncts(where);
  const forced = view.hint?.kind === 'indexedBy' ? view.indexes[0] : undefined;
  const cands = [
    ...mergeRanges(parts.flatMap((p) => conjunctCandidates(p, view))),
    ...compositeCandidates(view, parts),
  ].filter((c) => !forced || usesIndex(c.node, forced.def.name));
  let best = pickBest(cands);
  if (best) best = narrowerEquivalent(view, best, cands, sort, reads);
  const collection = view.meta.schema.name;
  const first = sort && sort.length >= 1 ? sort[0].expr : null;
  // Trees are in BINARY order: a column declared COLLATE NOCASE / RTRIM must be sorted.
  let sortTarget = first && !(first.kind === 'column' && first.collation) ? targetOf(first, view) : null;
  // INDEXED BY: the primary key's order is not the forced index's.
  if (forced && sortTarget?.index === null) sortTarget = null;
  // Only a single key (or the primary key first: it is unique) makes tree order the full order,
  // or a single-column index's key and then the primary key in the same direction: its entries
  // tie in primary-key order (`ORDER BY created DESC, id DESC`, keyset pagination's order).
  const pkNext =
    sort !== null &&
    sort.length >= 2 &&
    sort[1].desc === sort[0].desc &&
    sameColumn(sort[1].expr, view.compiled.pkColumn, []) &&
    sort[1].expr.kind === 'column' &&
    sort[1].expr.collation === undefined;
  const sortUsable =
    sortTarget !== null &&
    (sort?.length === 1 || sortTarget.index === null || (pkNext && !sortTarget.index.composite))
      ? sortTarget
      : null;
  const desc = sort?.[0]?.desc === true;
  // `ORDER BY a, b` with an index on a alone: walked in a's order, each run of equal a is sorted
  // by b on its own, and under a LIMIT n the first n rows are known once a passes the n-th one's
  // (SQLite's "USE TEMP B-TREE FOR LAST TERM / RIGHT PART OF ORDER BY").
  const prefixTarget =
    partialOrder && sortUsable === null && sortTarget?.index && !sortTarget.index.composite
      ? sortTarget
      : null;

  // With ORDER BY ... LIMIT and a range on the sort key, walking that range in order stops after
  // LIMIT matches; that beats a non-unique lookup or another range that must read every match and
  // then sort. (Without a range on it, a full in-order walk could read the whole index for a
  // selective lookup, so the lookup keeps priority.)
  const orderTarget = sortUsable ?? prefixTarget;
  if (best && hasLimit && orderTarget && best.rank >= 2) {
    const sortIndex = orderTarget.index?.def.name ?? null;
    const onSortTree = cands.filter((c) => c.node.kind === 'IndexRangeScan' && c.node.index === sortIndex);
    const ordered = onSortTree.sort((a, b) => b.covers.length - a.covers.length)[0];
    if (ordered) best = ordered;
  }

  // A composite index answering the WHERE may also give the ORDER BY (forwards or backwards);
  // not a walk per IN value, whose first column takes several values.
  if (
    best &&
    sort &&
    sort.length > 0 &&
    best.node.kind === 'IndexRangeScan' &&
    best.node.prefix &&
    !best.node.prefixIn
  ) {
    const node = best.node;
    const ix = view.indexes.find((i) => i.def.name === node.index);
    const order = ix ? compositeOrder(view, ix, node.prefix?.length ?? 0, sort) : null;
    const residual = parts.filter((p) => !best.covers.includes(p));
    if (order) return { access: { ...node, reverse: order.desc }, residual, ordered: true };
    // Else the leading terms it gives leave only runs of ties to sort, and make a TopN over it
    // stop early (`WHERE author = ? ORDER BY created DESC, score LIMIT 20` over (author, created)).
    const lead = ix && partialOrder ? leadingOrder(ix, node.prefix?.length ?? 0, sort) : null;
    if (lead && lead.count > 0 && lead.count < sort.length)
      return {
        access: { ...node, reverse: lead.reverse ?? false },
        residual,
        ordered: false,
        presorted: lead.count,
      };
  }
  // No access path, or only a full walk: a composite index in the ORDER BY's order replaces the
  // sort. Of the indexes giving the order (a single-column one included), SQLite walks the
  // narrowest (its entry-width estimate), the newest on a tie (its index list starts with it).
  if (!best && sort && sort.length > 0 && (!sortUsable || sortUsable.index !== null)) {
    let chosen: { ix: IndexView; desc: boolean; width: number } | null = null;
    for (const ix of [...view.indexes].reverse()) {
      const single = !ix.composite && sortUsable?.index === ix;
      const order = single ? { desc } : ix.composite ? compositeOrder(view, ix, 0, sort) : null;
      if (!order) continue;
      const width = indexEntryWidth(view, ix);
      if (!chosen || width < chosen.width) chosen = { ix, desc: order.desc, width };
    }
    if (chosen?.ix.composite)
      return { access: wholeIndexWalk(view, chosen.ix, chosen.desc), residual: parts, ordered: true };
  }

  // INDEXED BY with nothing the index answers: a walk of the whole index, in its order.
  if (!best && forced) {
    if (forced.composite) {
      const order = sort && sort.length > 0 ? compositeOrder(view, forced, 0, sort) : null;
      return {
        access: order ? wholeIndexWalk(view, forced, order.desc) : wholeIndexWalk(view, forced, false, true),
        residual: parts,
        ordered: order !== null,
      };
    }
    const reverse = sortUsable !== null && desc;
    const access =
      sortUsable !== null ? wholeIndexWalk(view, forced, reverse) : wholeIndexWalk(view, forced, false, true);
    return { access, residual: parts, ordered: sortUsable !== null };
  }

  if (!best) {
    // A composite index giving two or more leading terms beats a single-column one giving one.
    const partial =
      partialOrder && sort && !sortUsable ? compositePrefixOrder(view, sort, prefixTarget ? 2 : 1) : null;
    if (partial) {
      const access = wholeIndexWalk(view, partial.ix, partial.desc);
      return { access, residual: parts, ordered: false, presorted: partial.count };
    }
    if (prefixTarget) {
      const node = rangeNode(view, prefixTarget, null, null, desc);
      return { access: { ...node, skipNulls: false }, residual: parts, ordered: false, presorted: 1 };
    }
    if (sortUsable && sort) {
      if (sortUsable.index === null && !desc)
        return { access: { kind: 'CollectionScan', collection }, residual: parts, ordered: true };
      const node = rangeNode(view, sortUsable, null, null, desc);
      return { access: { ...node, skipNulls: false }, residual: parts, ordered: true };
    }
    return { access: { kind: 'CollectionScan', collection }, residual: parts, ordered: sort === null };
  }
  const residual = parts.filter((p) => !best.covers.includes(p));
  let access = best.node;
  let ordered = false;
  let presorted = 0;
  if (
    access.kind === 'IndexRangeScan' &&
    orderTarget &&
    (orderTarget.index?.def.name ?? null) === access.index
  ) {
    access = { ...access, reverse: desc };
    ordered = orderTarget === sortUsable;
    presorted = ordered ? 0 : 1;
  }
  // A range read for no ORDER BY comes in the index's declared order, as SQLite reads it: an
  // index declared DESC on every column is stored ascending, so it is walked backwards (not a
  // walk giving the leading ORDER BY terms: its direction is theirs).
  if (!ordered && presorted === 0 && access.kind === 'IndexRangeScan' && access.index !== null) {
    const name = access.index;
    if (view.indexes.find((ix) => ix.def.name === name)?.def.descending)
      access = { ...access, reverse: true };
  }
  return presorted > 0 ? { access, residual, ordered, presorted } : { access, residual, ordered };
}

/**
 * Every entry of index `ix`, NULL keys included, in its order (or backwards). `declared`: in the
 * order its columns were declared in — an index declared DESC on every column is stored ascending,
 * so that order is the tree's backwards.
 */
export function wholeIndexWalk(
  view: CollectionView,
  ix: IndexView,
  reverse: boolean,
  declared = false,
): IndexRangeScanNode {
  if (declared && ix.def.descending) return wholeIndexWalk(view, ix, !reverse);
  if (ix.composite) {
    const m: CompositeMatch = { index: ix, prefix: [], eqCovers: [], lo: null, hi: null, rangeCovers: [] };
    return compositeNode(view, m, reverse);
  }
  const t: Target = { index: ix, column: ix.columns[0].column, sub: ix.columns[0].sub };
  return { ...rangeNode(view, t, null, null, reverse), skipNulls: false };
}

/** Whether an access path reads index `name` (INDEXED BY allows no other). */
function usesIndex(node: AccessNode, name: string): boolean {
  return (node.kind === 'IndexLookup' || node.kind === 'IndexRangeScan') && node.index === name;
}
