/**
 * SQLite's covering-index scan: when nothing in the WHERE clause narrows a table's rows, SQLite
 * still reads a whole index instead of the table if that index holds every column the query
 * needs and its entries are estimated narrower than the table's rows ("SCAN t USING COVERING
 * INDEX ix"). The result is the same bag of rows, but in the index's order — and SQLite users see
 * that order in every query without ORDER BY (`SELECT x FROM t` lists x sorted), in
 * `group_concat` and in the order rows tie under ORDER BY. This module makes the same choice, by
 * SQLite's own width estimates, so those orders agree.
 *
 * SQLite's rule (where.c, whereLoopAddBtree), for a rowid table and no usable constraint:
 *   - a full table scan costs rSize + 16 (LogEst units);
 *   - an index whose columns (plus the rowid, in every index) cover every column the statement
 *     reads, and whose estimated entry width szIdxRow is below the table's szTabRow, costs
 *     rSize + 1 + 15·szIdxRow / szTabRow (integer division) — always below the table scan;
 *   - among equal costs the index SQLite considered first stays: its index list puts the newest
 *     index first.
 * Widths come from the declared column types (build.c, sqlite3AffinityType): 1 for numbers and
 * untyped columns, 5 for TEXT / BLOB / CLOB, k/4 + 1 for CHAR(k) / BLOB(k) (at most 255); a row
 * adds 1 for a rowid that is not an INTEGER PRIMARY KEY, an entry 1 for the rowid; both are
 * LogEst(4·sum).
 */
import type { CollectionView, IndexView } from '../storage/collection-state';
import { declaredDesc } from '../storage/schema/normalize';
import { indexEntryWidth, keyIsRowid, tableRowWidth } from './sqlite-widths';
import type { AccessChoice } from './access-path';
import { declaredTies, wholeIndexWalk } from './access-path';
import type { Expr } from './expr';
import { E } from './expr';
import type { SortKey } from './logical';

/**
 * The index SQLite would scan instead of the table, or null for the table itself. `reads` is
 * every stored-row column the statement reads anywhere; an empty set (count(*)) can't tell one
 * order from another, so it keeps the table.
 */
export function coveringScanIndex(
  view: CollectionView,
  reads: ReadonlySet<number>,
  notNull: ReadonlySet<number> = new Set(),
): IndexView | null {
  if (reads.size === 0 || view.indexes.length === 0) return null;
  const rowid = keyIsRowid(view);
  const szTabRow = tableRowWidth(view);
  let best: IndexView | null = null;
  let bestCost = Infinity;
  // SQLite's index list holds the newest index first; on equal cost the first one stays.
  for (let i = view.indexes.length - 1; i >= 0; i--) {
    const ix = view.indexes[i];
    if (ix.columns.some((c) => c.sub.length > 0)) continue;
    const have = new Set(ix.columns.map((c) => c.column));
    if (rowid) have.add(view.compiled.pkColumn);
    let covers = true;
    for (const c of reads) if (!have.has(c)) covers = false;
    if (!covers) continue;
    const szIdxRow = indexEntryWidth(view, ix);
    // `x IS NOT NULL` on the index's first column makes it a range (x > NULL), which SQLite
    // prefers to any full scan, narrower or not.
    const range = notNull.has(ix.columns[0].column);
    if (szIdxRow >= szTabRow && !range) continue;
    const cost = (range ? 0 : 100) + Math.floor((15 * szIdxRow) / szTabRow);
    if (cost < bestCost) {
      best = ix;
      bestCost = cost;
    }
  }
  return best;
}

/**
 * SELECT DISTINCT over plain columns: SQLite plans the result list as an ORDER BY it may satisfy in
 * any column order (WHERE_DISTINCTBY), so an index whose leading columns give a prefix of that
 * list is walked, covering or not (duplicates then arrive together); the one satisfying the most
 * terms wins, then a covering one, then the newest. Null when none satisfies the first term, or
 * when the rowid is in the list (every row is distinct already).
 */
export function distinctScanIndex(
  view: CollectionView,
  reads: ReadonlySet<number>,
  list: readonly number[],
): IndexView | null {
  const rowid = keyIsRowid(view);
  if (list.length === 0 || (rowid && list.includes(view.compiled.pkColumn))) return null;
  const wanted = new Set(list);
  let best: IndexView | null = null;
  let bestScore = 0;
  for (let i = view.indexes.length - 1; i >= 0; i--) {
    const ix = view.indexes[i];
    if (ix.columns.some((c) => c.sub.length > 0)) continue;
    // The list's terms all ascend: the matched index columns must share one direction.
    const sat = new Set<number>();
    const dir = ix.desc?.[0] === true;
    for (let k = 0; k < ix.columns.length; k++) {
      const c = ix.columns[k];
      if (!wanted.has(c.column) || (ix.desc?.[k] === true) !== dir) break;
      sat.add(c.column);
    }
    let terms = 0;
    while (terms < list.length && sat.has(list[terms])) terms++;
    if (terms === 0) continue;
    const have = new Set(ix.columns.map((c) => c.column));
    if (rowid) have.add(view.compiled.pkColumn);
    const covering = [...reads].every((c) => have.has(c));
    // More terms first, then a covering walk, then the narrower entries (SQLite's cost order).
    const score = terms * 1e6 + (covering ? 1e5 : 0) - indexEntryWidth(view, ix);
    if (best === null || score > bestScore) {
      best = ix;
      bestScore = score;
    }
  }
  return best;
}

/**
 * A full table scan (`choice` is a CollectionScan) that SQLite would make through a covering index
 * walks that index instead, so rows come in SQLite's order; a scan that already gives the ORDER BY
 * (the primary key's order) stays. Index trees are in BINARY order: when a column of the chosen
 * index declares NOCASE or RTRIM, `resort` puts the walk into SQLite's order (the index columns
 * under their collations, then the rowid).
 */
export function sqliteFullScan(
  view: CollectionView,
  choice: AccessChoice,
  sort: readonly SortKey[] | null,
  reads: ReadonlySet<number>,
  distinct: readonly number[] | null,
): { choice: AccessChoice; resort: SortKey[] | null } {
  const sorted = sort !== null && sort.length > 0;
  if (choice.access.kind !== 'CollectionScan' || (sorted && choice.ordered)) return { choice, resort: null };
  if (searchable(view, choice.residual)) return { choice, resort: null };
  const notNull = new Set<number>();
  for (const p of choice.residual)
    if (p.kind === 'isNull' && p.negated && p.arg.kind === 'column' && p.arg.sub.length === 0)
      notNull.add(p.arg.column);
  const ix =
    (distinct && !sorted ? distinctScanIndex(view, reads, distinct) : null) ??
    coveringScanIndex(view, reads, notNull);
  if (!ix) return { choice, resort: null };
  const declared = declaredDesc(ix.def);
  const walk = { ...choice, access: declaredTies(view, wholeIndexWalk(view, ix, false, true), sort) };
  const fields = view.meta.schema.fields;
  if (ix.columns.every((c) => fields[c.column].collate === undefined)) return { choice: walk, resort: null };
  const keys: SortKey[] = ix.columns.map((c, i) => {
    const f = fields[c.column];
    const col = E.column(c.column, [], 'any', f.path.join('.'));
    return { expr: f.collate ? { ...col, collation: f.collate } : col, desc: declared[i] };
  });
  const pk = view.compiled.pkColumn;
  keys.push({ expr: E.column(pk, [], 'any', fields[pk].path.join('.')), desc: false });
  return { choice: walk, resort: keys };
}

const SEARCH_OPS = new Set(['=', '<', '<=', '>', '>=', 'is']);

/**
 * Whether SQLite could search the rowid or an index with one of these conjuncts though our trees
 * can't (the index column declares NOCASE, the constant needs a CAST…): SQLite then reads a part of
 * that index, not a full scan, and this module does not guess that order.
 */
function searchable(view: CollectionView, parts: readonly Expr[]): boolean {
  const firsts = new Set([view.compiled.pkColumn, ...view.indexes.map((ix) => ix.columns[0].column)]);
  const onFirst = (e: Expr): boolean => {
    const x = e.kind === 'collate' ? e.arg : e;
    return x.kind === 'column' && x.sub.length === 0 && firsts.has(x.column);
  };
  return parts.some((p) => {
    switch (p.kind) {
      case 'binary':
        return SEARCH_OPS.has(p.op) && (onFirst(p.left) || onFirst(p.right));
      case 'in':
      case 'between':
        return !p.negated && onFirst(p.arg);
      case 'isNull':
        // `x IS NOT NULL` is a range SQLite reads only through a covering index (coveringScanIndex).
        return !p.negated && onFirst(p.arg);
      case 'like':
      case 'glob':
        return onFirst(p.arg);
      default:
        return false;
    }
  });
}
