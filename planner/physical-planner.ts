/**
 * Logical → physical planning: the access path of a single table (planner/access-path.ts, which
 * lists its rules), joins (planner/join-planner.ts), subquery tests as semi / anti joins, then the
 * layers above (docs/queries.md explains them):
 *
 *   - Conjuncts the access path does not answer stay as a residual Filter above it.
 *   - An ORDER BY the access path's order gives needs no Sort; otherwise ORDER BY + LIMIT becomes
 *     TopN (a bounded heap), ORDER BY alone a Sort.
 */
import type { CollectionView } from '../storage/collection-state';
import type { TableStats } from '../storage/sql-stats';
import { QueryError } from '../src/errors';
import { windowCallExprs } from './window';
import type { Expr, ValueType } from './expr';
import { typeOf } from './expr-type';
import { exprCollation } from './sql-text';
import { E, balancedTree, conjuncts, exprChildren } from './expr';
import type { IndexHint, LogicalPlan, SortKey } from './logical';
import type { AccessNode, IndexLookupNode, PhysicalPlan, PrimaryKeyLookupNode, TopNPNode } from './physical';
import { lateTopN, withReads } from './narrow-reads';
import { distinctKeyWalk } from './distinct-keys';
import { accessPlan, chooseAccess, hintedView, sameColumn } from './access-path';
import { orderedJoin } from './ordered-join';
import { sqliteFullScan } from './covering-scan';
import { vectorShaped } from './vector-expr';
import { foldedColumn } from './column-aggregate';
import { keyFoldIndex, wholeTableWalk } from './key-fold';
import { sqlIndexAccess } from './sql-index-path';
import type { AccessChoice, HintedView } from './access-path';
import { rowColumnsOf } from './expr-columns';
import { planFrom } from './join-planner';
import type { JoinPlanning } from './join-planner';
import { semiJoinTerms } from './decorrelate';
import type { SemiTerm } from './decorrelate';

export interface Catalog {
  collection(name: string): CollectionView | undefined;
  /**
   * Plan every join as a NestedLoopJoin over whole scans, with no push-down: the naive
   * reference the join property tests compare the chosen plans with.
   */
  readonly naiveJoins?: boolean;
  /** ANALYZE's figures for a table (none: the join planner's default guesses). */
  stats?(table: string): TableStats | undefined;
}

interface Layers {
  /** The collection scanned, or null when the leaf is a Values node. */
  scan: string | null;
  hint: IndexHint | undefined;
  /** The scan is a write's row search (ScanNode.forWrite). */
  forWrite: boolean;
  values: Extract<LogicalPlan, { kind: 'values' }> | null;
  virtual: Extract<LogicalPlan, { kind: 'virtual' }> | null;
  compound: Extract<LogicalPlan, { kind: 'compound' }> | null;
  recursive: Extract<LogicalPlan, { kind: 'recursiveCte' }> | null;
  /** A FROM clause of several sources or a derived table (planner/join-planner.ts). */
  from: Extract<LogicalPlan, { kind: 'join' | 'derived' | 'workingTable' | 'tableFunction' }> | null;
  where: Expr | null;
  aggregate: Extract<LogicalPlan, { kind: 'aggregate' }> | null;
  having: Expr | null;
  window: Extract<LogicalPlan, { kind: 'window' }> | null;
  sort: readonly SortKey[] | null;
  project: Extract<LogicalPlan, { kind: 'project' }> | null;
  distinct: boolean;
  /** The Distinct is marked beforeSort (planner/logical.ts DistinctNode). */
  distinctFirst: boolean;
  limit: Extract<LogicalPlan, { kind: 'limit' }> | null;
}

/** Peel the fixed layer order of a logical plan (see planner/logical.ts). */
function layers(plan: LogicalPlan): Layers {
  const out: Layers = {
    scan: null,
    hint: undefined,
    forWrite: false,
    values: null,
    virtual: null,
    compound: null,
    recursive: null,
    from: null,
    where: null,
    aggregate: null,
    having: null,
    window: null,
    sort: null,
    project: null,
    distinct: false,
    distinctFirst: false,
    limit: null,
  };
  let node: LogicalPlan = plan;
  if (node.kind === 'limit') {
    out.limit = node;
    node = node.input;
  }
  if (node.kind === 'distinct') {
    out.distinct = true;
    out.distinctFirst = node.beforeSort === true;
    node = node.input;
  }
  if (node.kind === 'project') {
    out.project = node;
    node = node.input;
  }
  if (node.kind === 'sort') {
    out.sort = node.keys;
    node = node.input;
  }
  if (node.kind === 'window') {
    out.window = node;
    node = node.input;
  }
  if (node.kind === 'filter' && node.input.kind === 'aggregate') {
    out.having = node.predicate;
    node = node.input;
  }
  if (node.kind === 'aggregate') {
    out.aggregate = node;
    node = node.input;
  }
  if (node.kind === 'filter') {
    out.where = node.predicate;
    node = node.input;
  }
  if (node.kind === 'values') out.values = node;
  else if (node.kind === 'virtual') out.virtual = node;
  else if (node.kind === 'compound') out.compound = node;
  else if (node.kind === 'recursiveCte') out.recursive = node;
  else if (
    node.kind === 'join' ||
    node.kind === 'derived' ||
    node.kind === 'workingTable' ||
    node.kind === 'tableFunction'
  )
    out.from = node;
  else if (node.kind === 'scan') {
    out.scan = node.collection;
    out.hint = node.hint;
    out.forWrite = node.forWrite === true;
  } else throw new QueryError(`logical plan has an unexpected ${node.kind} node`, 'QUERY');
  return out;
}

/**
 * A composite index scan that can answer the whole query from its entries: every column the
 * query reads anywhere (residual filter, grouping, aggregates, sort, output) is a top-level index
 * column or the primary key (the entry's value). Needs an output list: without one every column
 * is read.
 */
function coveringAccess(view: CollectionView, choice: AccessChoice, l: Layers): AccessNode {
  const access = choice.access;
  if (!l.project) return access;
  if (access.kind !== 'IndexRangeScan' && access.kind !== 'IndexLookup') return access;
  if (access.index === null) return access;
  const ix = view.indexes.find((i) => i.def.name === access.index);
  if (!ix) return access;
  // A composite index scan's entries carry a tuple; a single-column index's a plain value (both
  // readers below). Composite lookups (IndexLookup over a tuple index) are not planned.
  if (access.kind === 'IndexRangeScan' ? !access.prefix && ix.composite : ix.composite) return access;
  const have = new Set(ix.columns.filter((c) => c.sub.length === 0).map((c) => c.column));
  have.add(view.compiled.pkColumn);
  for (const c of queryReads(choice.residual, l)) if (!have.has(c)) return access;
  return { ...access, covering: true };
}

/** The columns of a `SELECT DISTINCT` listing plain columns only (else null). */
function distinctColumns(l: Layers): number[] | null {
  if (!l.distinct || !l.project || l.aggregate || l.window) return null;
  const out: number[] = [];
  for (const c of l.project.columns) {
    if (c.expr.kind !== 'column' || c.expr.sub.length > 0) return null;
    out.push(c.expr.column);
  }
  return out;
}

/**
 * Whether the query is a whole-table aggregate whose result does not depend on the order rows
 * come in, folded from column vectors over a primary-key walk (planner/column-aggregate.ts):
 * COUNT, MIN and MAX, and SUM / AVG of INTEGER columns (exact in any order), with a WHERE the
 * vectors test (planner/vector-expr.ts). SQLite walks a covering index for it where one exists;
 * the rows' order is all that walk would give, and the vectors are several times faster.
 */
function orderFreeFold(l: Layers, residual: readonly Expr[]): boolean {
  const agg = l.aggregate;
  if (!agg || agg.groupBy.length !== 0 || residual.length === 0 || !bareUnread(l)) return false;
  const orderFree = agg.aggregates.every((a) => {
    if (foldedColumn(a) === null) return false;
    if (a.fn === 'count' || a.fn === 'min' || a.fn === 'max') return true;
    // SUM and AVG of INTEGERs are exact in any order; over REAL (and TOTAL, a REAL sum) their
    // last bits follow the order.
    return (a.fn === 'sum' || a.fn === 'avg') && typeOf(a.arg as Expr) === 'integer';
  });
  return orderFree && residual.every((p) => conjuncts(p).every(vectorShaped));
}

/**
 * A filtered whole-table aggregate over a walk of every row (the table's, or an index's), folded
 * instead from the keys of an index led by the one column its WHERE reads (planner/key-fold.ts),
 * when one exists and no index hint names the table's access.
 */
function keyFold(
  l: Layers,
  input: PhysicalPlan,
  catalog: Catalog,
): { index: string; column: number } | undefined {
  const agg = l.aggregate;
  if (!agg || agg.groupBy.length !== 0 || l.hint !== undefined || !bareUnread(l)) return undefined;
  const table = input.kind === 'Filter' ? wholeTableWalk(input.input) : null;
  if (input.kind !== 'Filter' || table === null) return undefined;
  const view = catalog.collection(table);
  return view ? keyFoldIndex(agg.aggregates, input.predicate, view) : undefined;
}

/**
 * SQLite's min/max optimization: a query whose only aggregate is MIN(c) or MAX(c) of a plain
 * column without a collation, no GROUP BY, reads the first row of a walk ordered by `c` (MAX
 * descending). Not when a bare column is read: which of several rows holding the extreme it
 * reads depends on the walk SQLite's own plan makes (and with every `c` NULL, on its reading
 * them all). The ORDER BY key the access path is asked for; null when the query is not of that
 * kind.
 */
function minMaxKey(l: Layers): SortKey | null {
  const agg = l.aggregate;
  if (!agg || agg.groupBy.length !== 0 || agg.aggregates.length !== 1 || l.window || !bareUnread(l))
    return null;
  const a = agg.aggregates[0];
  if ((a.fn !== 'min' && a.fn !== 'max') || a.distinct || a.filter !== null || a.more.length !== 0)
    return null;
  const e = a.arg;
  if (a.orderBy || e === null || e.kind !== 'column' || e.sub.length !== 0 || e.jsonTypeAt !== undefined)
    return null;
  return exprCollation(e) === undefined ? { expr: e, desc: a.fn === 'max' } : null;
}

/**
 * The first row of `walk`, ordered by `key`: MAX's, or MIN's once NULLs (the smallest keys of a
 * tree) are passed. No row: the aggregate of none, NULL, as the whole walk would give.
 */
function firstOfWalk(walk: PhysicalPlan, key: SortKey): PhysicalPlan {
  const input: PhysicalPlan = key.desc
    ? walk
    : { kind: 'Filter', input: walk, predicate: E.isNull(key.expr, true) };
  return { kind: 'Limit', input, limit: E.literal(1), offset: null };
}

const NO_COLUMNS: ReadonlySet<number> = new Set();

/**
 * Whether nothing above a GROUP BY of plain columns reads a column of its representative row but
 * those key columns (AggregatePNode.keysOnly).
 */
function keysOnly(l: Layers): boolean {
  const groupBy = l.aggregate?.groupBy ?? [];
  const keys = new Set<number>();
  for (const g of groupBy) {
    if (g.kind !== 'column' || g.sub.length !== 0) return false;
    keys.add(g.column);
  }
  return keys.size > 0 && bareUnread(l, keys);
}

/**
 * Whether nothing above an Aggregate reads a column of its representative row (but `keys`, plain
 * columns every row of a group holds equal): a column reference
 * outside every aggregate call in HAVING, ORDER BY or the select list (a correlated subquery's
 * outer values included). Conservative: no projection, or a window, reads it.
 */
function bareUnread(l: Layers, keys: ReadonlySet<number> = NO_COLUMNS): boolean {
  if (!l.project || l.window) return false;
  const reads = (e: Expr): boolean => {
    if (e.kind === 'column') return !(e.sub.length === 0 && keys.has(e.column));
    // An aggregate's arguments read the input rows, not the Aggregate's output.
    if (e.kind === 'aggregate') return false;
    if (e.kind === 'subquery' && (e.correlated ?? []).some((b) => reads(b.expr))) return true;
    return exprChildren(e).some(reads);
  };
  return ![
    ...(l.having ? [l.having] : []),
    ...(l.sort ?? []).map((k) => k.expr),
    ...l.project.columns.map((c) => c.expr),
  ].some(reads);
}

/** Every stored-row column a single-table query reads above its access path (`project` set). */
function queryReads(residual: readonly Expr[], l: Layers): Set<number> {
  return rowColumnsOf([
    ...residual,
    ...(l.aggregate ? [...l.aggregate.groupBy, ...l.aggregate.aggregates] : []),
    ...(l.having ? [l.having] : []),
    ...(l.window ? l.window.calls.flatMap(windowCallExprs) : []),
    ...(l.sort ?? []).map((k) => k.expr),
    ...(l.project?.columns ?? []).map((c) => c.expr),
  ]);
}

const COMPOUND_KINDS = {
  union: 'Union',
  unionAll: 'Union',
  intersect: 'Intersect',
  except: 'Except',
} as const;

/** A compound's arms are planned on their own, each with its own access path. */
function compoundNode(node: Extract<LogicalPlan, { kind: 'compound' }>, catalog: Catalog): PhysicalPlan {
  return {
    kind: COMPOUND_KINDS[node.op],
    all: node.op === 'unionAll',
    left: planQuery(node.left, catalog),
    right: planQuery(node.right, catalog),
    collations: node.collations,
    ...(node.tagReals ? { tagReals: node.tagReals } : {}),
  };
}

/**
 * Rows a recursive CTE may produce before the statement fails (RECURSION_LIMIT): a query that
 * would recurse forever stops with an error instead (SQLite would loop). docs/sql.md documents it.
 */
export const RECURSIVE_CTE_ROW_LIMIT = 10_000_000;
let recursiveRowLimit = RECURSIVE_CTE_ROW_LIMIT;

/** Tests only: lower the recursive CTE row limit (null restores the default). */
export function setRecursiveRowLimitForTests(limit: number | null): void {
  recursiveRowLimit = limit ?? RECURSIVE_CTE_ROW_LIMIT;
}

function recursiveNode(node: Extract<LogicalPlan, { kind: 'recursiveCte' }>, catalog: Catalog): PhysicalPlan {
  return {
    kind: 'RecursiveUnion',
    name: node.name,
    id: node.id,
    all: node.all,
    init: planQuery(node.init, catalog),
    steps: node.steps.map((s) => planQuery(s, catalog)),
    maxRows: recursiveRowLimit,
    ...(node.order ? { order: node.order } : {}),
    ...(node.tagReals ? { tagReals: node.tagReals } : {}),
  };
}

function joinPlanning(catalog: Catalog): JoinPlanning {
  return {
    collection: (name, hint) => {
      const view = catalog.collection(name);
      return view && hintedView(view, hint);
    },
    naive: catalog.naiveJoins === true,
    access: (view, preds) =>
      accessPlan(chooseAccess(view, preds.length ? balancedTree([...preds], 'and') : null, null, false)),
    query: (plan) => planQuery(plan, catalog),
    stats: (table) => catalog.stats?.(table),
  };
}

/**
 * SELECT DISTINCT ordered by terms it does not select, over input not already in that order:
 * the selected values and the sort terms are projected together, rows are made distinct by the
 * selected values in input order (each keeps its first row's sort values, as in SQLite, whose
 * DISTINCT also sees the rows before its sorter does), sorted by the carried terms, and the
 * carried terms dropped.
 */
function distinctThenSort(
  input: PhysicalPlan,
  columns: readonly { expr: Expr; name: string }[],
  keys: readonly SortKey[],
  /** The input comes ordered by this many leading keys (an index walk): it still does after Distinct. */
  presorted: number,
): PhysicalPlan {
  const width = columns.length;
  const carried = keys.map((k, i) => ({ expr: k.expr, name: `sort${i}` }));
  const slotOf = (expr: Expr, at: number, name: string): Expr => {
    const slot: Expr = { kind: 'slot', index: at, type: typeOf(expr), name };
    const collation = exprCollation(expr);
    return collation ? { kind: 'collate', arg: slot, collation } : slot;
  };
  let node: PhysicalPlan = { kind: 'Project', input, columns: [...columns, ...carried] };
  node = { kind: 'Distinct', input: node, width };
  node = {
    kind: 'Sort',
    input: node,
    keys: keys.map((k, i) => ({ ...k, expr: slotOf(k.expr, width + i, carried[i].name) })),
    ...(presorted > 0 ? { presorted } : {}),
  };
  return {
    kind: 'Project',
    input: node,
    columns: columns.map((c, i) => ({
      name: c.name,
      expr: { kind: 'slot', index: i, type: typeOf(c.expr), name: c.name },
    })),
  };
}

/** The type of the first result column of a subquery's plan, when it is a plain projection. */
function firstColumnType(plan: LogicalPlan): ValueType | null {
  let p = plan;
  while (p.kind === 'distinct' || p.kind === 'sort' || p.kind === 'limit') p = p.input;
  return p.kind === 'project' && p.columns.length > 0 ? typeOf(p.columns[0].expr) : null;
}

/**
 * `col IN (SELECT …)` (uncorrelated) over the primary key or a one-column index, as a lookup of
 * each value the subquery returns. Only where no affinity converts a value (both sides hold one
 * storage class) and the column has no collation of its own.
 */
function inListAccess(
  view: HintedView,
  terms: readonly SemiTerm[],
  catalog: Catalog,
): { term: SemiTerm; node: PrimaryKeyLookupNode | IndexLookupNode } | null {
  for (const term of terms) {
    const e = term.inList;
    const arg = e?.arg;
    if (!e || !arg || arg.kind !== 'column' || arg.collation !== undefined) continue;
    // A COLLATE on the subquery's column does not stop it: SQLite, too, then looks the values up
    // in the column's index, whose BINARY order decides (a scan would have compared under it).
    const sub = firstColumnType(e.plan);
    const cls = (t: ValueType): string | null =>
      t === 'integer' || t === 'real' ? 'number' : t === 'text' || t === 'blob' ? t : null;
    if (sub === null || cls(sub) === null || cls(sub) !== cls(arg.type)) continue;
    const collection = view.meta.schema.name;
    const keysFrom = planQuery(e.plan, catalog);
    if (arg.column === view.compiled.pkColumn && arg.sub.length === 0) {
      if (view.hint?.kind === 'indexedBy') continue;
      return { term, node: { kind: 'PrimaryKeyLookup', collection, keys: [], keysFrom } };
    }
    const ix = view.indexes.find(
      (i) => !i.composite && sameColumn(arg, i.columns[0].column, i.columns[0].sub),
    );
    if (ix)
      return {
        term,
        node: { kind: 'IndexLookup', collection, index: ix.def.name, unique: ix.unique, keys: [], keysFrom },
      };
  }
  return null;
}

/** Build the physical plan for a logical plan against the collections in `catalog`. */
export function planQuery(plan: LogicalPlan, catalog: Catalog): PhysicalPlan {
  const l = layers(plan);
  let node: PhysicalPlan;
  let ordered = false;
  let minMax: SortKey | null = null;
  // The access path's rows come ordered by this many leading sort keys (AccessChoice.presorted);
  // always 0 under an aggregate or window, whose sort the access path is never asked for.
  let presorted = 0;
  // A query's table read through an index: a TopN over it may read its candidates late (narrow-reads.ts).
  let lateView: CollectionView | null = null;
  const leaf: PhysicalPlan | null = l.values
    ? { kind: 'Values', rows: l.values.rows }
    : l.virtual
      ? { kind: 'VirtualScan', source: l.virtual.source }
      : l.compound
        ? compoundNode(l.compound, catalog)
        : l.recursive
          ? recursiveNode(l.recursive, catalog)
          : null;
  // Subquery tests of the WHERE that run as semi / anti joins over the rows the rest selects.
  const semi = semiJoinTerms(l.where, (sub) => planQuery(sub, catalog));
  const semiReads = semi.terms.flatMap((t) => t.reads);
  let semiTerms = semi.terms;
  const sortedJoin =
    l.from &&
    l.sort &&
    !l.aggregate &&
    !l.window &&
    !l.distinct &&
    !catalog.naiveJoins &&
    // Trees keep NULLs smallest: NULLS FIRST/LAST is always sorted.
    !l.sort.some((k) => k.nulls)
      ? orderedJoin(l.from, semi.rest, l.sort, joinPlanning(catalog), (view, preds, sort) =>
          chooseAccess(
            view,
            preds.length ? balancedTree([...preds], 'and') : null,
            sort,
            l.limit?.limit != null,
            true,
          ),
        )
      : null;
  if (sortedJoin) {
    // ORDER BY on the first table of index joins: walked in order (planner/ordered-join.ts).
    node = sortedJoin.plan;
    ordered = sortedJoin.presorted === 0;
    presorted = sortedJoin.presorted;
  } else if (l.from) {
    // Joins and derived tables take the WHERE conjuncts down into their sources themselves.
    node = planFrom(l.from, 0, conjuncts(semi.rest), joinPlanning(catalog));
  } else if (leaf) {
    // No indexes: a Values or virtual leaf is filtered row by row.
    node = leaf;
    if (semi.rest) node = { kind: 'Filter', input: node, predicate: semi.rest };
  } else {
    const table = l.scan === null ? undefined : catalog.collection(l.scan);
    if (!table) throw new QueryError(`no such collection: ${l.scan ?? ''}`, 'QUERY');
    const view = hintedView(table, l.hint);
    // Sorting below an aggregate is over groups, above a window over its reordered rows: the
    // access path can't provide either order.
    // Trees keep NULLs smallest: an ORDER BY that moves them (NULLS FIRST/LAST) is always sorted.
    const movesNulls = l.sort?.some((k) => k.nulls) === true;
    // A lone MIN or MAX reads the first value of an index or key walk ordered by its column.
    minMax = minMaxKey(l);
    const accessSort = minMax ? [minMax] : l.aggregate || l.window || movesNulls ? null : l.sort;
    // A TopN, or a plain Sort, can use input ordered by its leading keys only (sorted run by run);
    // so can SELECT DISTINCT's sort, whose rows are then read in that index's order, as SQLite
    // reads them (which row of a duplicate group comes first depends on it).
    const partialOrder = accessSort !== null && !(l.distinct && l.limit?.limit != null);
    const choice = chooseAccess(
      view,
      semi.rest,
      accessSort,
      minMax !== null || l.limit?.limit != null,
      partialOrder,
      l.project && !l.forWrite ? queryReads([...conjuncts(semi.rest), ...semiReads], l) : null,
    );
    // Nothing better than a scan: an `x IN (SELECT …)` on a key looks x up by the subquery's
    // values instead of hashing them and scanning (SQLite's plan for it too).
    const probe = choice.access.kind === 'CollectionScan' ? inListAccess(view, semi.terms, catalog) : null;
    // Else a partial or expression index the WHERE can use (planner/sql-index-path.ts); an index
    // hint keeps the table to what it names.
    const viaSqlIndex =
      !probe && choice.access.kind === 'CollectionScan' && view.hint === undefined
        ? sqlIndexAccess(table, semi.rest, accessSort, accessSort !== null && choice.ordered)
        : null;
    if (viaSqlIndex) {
      node = viaSqlIndex.node;
      ordered = viaSqlIndex.ordered;
    } else if (probe) {
      semiTerms = semi.terms.filter((t) => t !== probe.term);
      node = coveringAccess(
        view,
        {
          ...choice,
          access: probe.node,
          residual: [...choice.residual, ...semiTerms.flatMap((t) => t.reads)],
        },
        l,
      );
    } else {
      const residual = [...choice.residual, ...semiReads];
      // A write's row search is one pass over the table in SQLite, never a covering-index scan.
      const scan =
        l.project && !l.forWrite && !orderFreeFold(l, residual)
          ? sqliteFullScan(view, choice, accessSort, queryReads(residual, l), distinctColumns(l))
          : { choice, resort: null };
      const reads = l.project && !l.forWrite ? queryReads(residual, l) : null;
      node = withReads(coveringAccess(view, { ...scan.choice, residual }, l), view, reads);
      // A TopN reads its kept rows again whole: late reads need no output list (the typed API's).
      if (!l.forWrite) lateView = view;
      if (scan.resort) node = { kind: 'Sort', input: node, keys: scan.resort };
      ordered = scan.choice.ordered && !movesNulls;
      presorted = scan.resort ? 0 : (scan.choice.presorted ?? 0);
    }
    if (choice.residual.length > 0)
      node = { kind: 'Filter', input: node, predicate: balancedTree(choice.residual, 'and') };
  }
  for (const t of semiTerms) node = t.build(node, (sub) => planQuery(sub, catalog));
  if (minMax !== null && ordered && semiTerms.length === 0) node = firstOfWalk(node, minMax);
  if (l.aggregate) {
    const fold = keyFold(l, node, catalog);
    node = distinctKeyWalk(
      {
        kind: 'Aggregate',
        input: node,
        groupBy: l.aggregate.groupBy,
        aggregates: l.aggregate.aggregates,
        inputWidth: l.aggregate.inputWidth,
        ...(bareUnread(l) ? { bareUnread: true as const } : {}),
        ...(keysOnly(l) ? { keysOnly: true as const } : {}),
        ...(fold ? { keyFold: fold } : {}),
      },
      (name) => catalog.collection(name),
    );
    if (l.having) node = { kind: 'Filter', input: node, predicate: l.having };
  }
  if (l.window)
    node = { kind: 'Window', input: node, calls: l.window.calls, inputWidth: l.window.inputWidth };
  const needSort = l.sort !== null && l.sort.length > 0 && !(ordered && !l.aggregate && !l.window);
  const limit = l.limit;
  // TopN only when nothing between the sort and the limit changes the row count.
  if (needSort && l.sort && limit?.limit && !l.distinct) {
    const top: TopNPNode = {
      kind: 'TopN',
      input: node,
      keys: l.sort,
      limit: limit.limit,
      offset: limit.offset,
      ...(presorted > 0 ? { presorted } : {}),
    };
    node = lateView ? lateTopN(top, lateView) : top;
    if (l.project) node = { kind: 'Project', input: node, columns: l.project.columns };
    return node;
  }
  if (needSort && l.sort && l.distinctFirst && l.project) {
    node = distinctThenSort(node, l.project.columns, l.sort, presorted);
  } else {
    if (needSort && l.sort)
      node = {
        kind: 'Sort',
        input: node,
        keys: l.sort,
        ...(presorted > 0 ? { presorted } : {}),
      };
    if (l.project) node = { kind: 'Project', input: node, columns: l.project.columns };
    if (l.distinct) node = { kind: 'Distinct', input: node };
  }
  if (limit) node = { kind: 'Limit', input: node, limit: limit.limit, offset: limit.offset };
  return node;
}
