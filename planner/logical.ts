/**
 * Logical plan nodes: what a query means, independent of indexes. The SQL front end and the typed
 * query builder both lower into this tree; planner/physical-planner.ts turns it into a physical
 * plan. Node order from the leaf up is fixed:
 *
 *   Scan | Values | Virtual | Derived | Join | RecursiveCte | WorkingTable | TableFunction → Filter? → Aggregate? → Filter(having)? → Sort? → Project → Distinct? → Limit?
 *
 * A compound SELECT is a Compound node (a leaf as far as this order goes) under Sort? → Limit?:
 * its arms are ordinary plans, its rows are the arms' projected rows (SlotExprs read them).
 * Values is the leaf of a SELECT without FROM (one row of no columns) and of a VALUES statement
 * (its rows, read by SlotExprs).
 * Rows flowing out of Scan/Filter are stored row arrays (ColumnExpr reads them). Aggregate
 * emits rows shaped [...representative stored row, ...group keys, ...aggregate values], so column
 * references keep working after grouping and SlotExprs (starting at the collection's column
 * count) read keys and aggregates. Sort sits below Project so it may use columns that are not
 * projected; with DISTINCT it sorts on output slots, or on terms not selected when the Distinct
 * is marked `beforeSort`.
 * A Window node (SQL window functions) sits between Filter(having)? and Sort?: it appends one
 * slot per window function call to each row (after the Aggregate's slots, or after the stored
 * row) and may reorder the rows, as SQLite's window sorts do.
 */
import type { AggregateExpr, Collation, Expr } from './expr';
import type { VirtualSource } from './introspect/virtual';
import type { WindowCall } from './window';
import type { JsonTableFn } from './json-table';
import type { PragmaFn, ViewInfoRows } from './introspect/virtual';

/**
 * SQLite's index hints: `NOT INDEXED` plans the table without its indexes (the primary key still
 * serves lookups and gives the scan order), `INDEXED BY` reads it through that index only.
 */
export type IndexHint =
  { readonly kind: 'notIndexed' } | { readonly kind: 'indexedBy'; readonly index: string };

export interface ScanNode {
  readonly kind: 'scan';
  readonly collection: string;
  readonly hint?: IndexHint;
  /**
   * The row search of an UPDATE or DELETE: SQLite makes it in one pass over the table, never a
   * covering-index scan (planner/covering-scan.ts), which decides the order RETURNING sees.
   */
  readonly forWrite?: true;
}

/** A virtual table (sqlite_master, the catalog PRAGMAs): rows computed from the read view's catalog. */
export interface VirtualNode {
  readonly kind: 'virtual';
  readonly source: VirtualSource;
}

/** Constant rows (literals, parameters and expressions over them), produced in order. */
export interface ValuesNode {
  readonly kind: 'values';
  readonly rows: readonly (readonly Expr[])[];
}

export interface FilterNode {
  readonly kind: 'filter';
  readonly input: LogicalPlan;
  readonly predicate: Expr;
}

export interface AggregateNode {
  readonly kind: 'aggregate';
  readonly input: LogicalPlan;
  readonly groupBy: readonly Expr[];
  readonly aggregates: readonly AggregateExpr[];
  /** Width of the input rows (the collection's column count): where slots start. */
  readonly inputWidth: number;
}

/** Window function calls over the input rows; call i's value is slot `inputWidth + i`. */
export interface WindowNode {
  readonly kind: 'window';
  readonly input: LogicalPlan;
  readonly calls: readonly WindowCall[];
  /** Width of the input rows (stored row, or stored row + group keys + aggregates). */
  readonly inputWidth: number;
}

export interface SortKey {
  readonly expr: Expr;
  readonly desc: boolean;
  /**
   * Set only when NULLs go where the direction would not put them (`ASC NULLS LAST`, `DESC NULLS
   * FIRST`): NULLs then sort after (`last`) or before (`first`) every value, whatever the direction.
   */
  readonly nulls?: 'first' | 'last';
}

/** A SortKey from an ORDER BY term: `nulls` kept only when it differs from the direction's default. */
export function sortKey(expr: Expr, desc: boolean, nulls?: 'first' | 'last'): SortKey {
  const moved = nulls !== undefined && (nulls === 'first') === desc;
  return moved ? { expr, desc, nulls } : { expr, desc };
}

/** Whether NULLs come first in the key's output order. */
export function nullsFirst(k: Pick<SortKey, 'desc' | 'nulls'>): boolean {
  return k.nulls === undefined ? !k.desc : k.nulls === 'first';
}

/** `a` against `b` under key `k`: NULLs placed as the key says, other values by `compare`, reversed for DESC. */
export function compareUnderKey(
  k: Pick<SortKey, 'desc' | 'nulls'>,
  a: unknown,
  b: unknown,
  compare: (x: unknown, y: unknown) => number,
): number {
  if (k.nulls !== undefined) {
    const an = a === null || a === undefined;
    const bn = b === null || b === undefined;
    if (an || bn) return an && bn ? 0 : (an ? -1 : 1) * (k.nulls === 'first' ? 1 : -1);
  }
  const c = compare(a, b);
  return k.desc ? -c : c;
}

export interface SortNode {
  readonly kind: 'sort';
  readonly input: LogicalPlan;
  readonly keys: readonly SortKey[];
}

export interface ProjectColumn {
  readonly expr: Expr;
  readonly name: string;
}

export interface ProjectNode {
  readonly kind: 'project';
  readonly input: LogicalPlan;
  readonly columns: readonly ProjectColumn[];
}

export interface DistinctNode {
  readonly kind: 'distinct';
  readonly input: LogicalPlan;
  /**
   * ORDER BY reads terms the select list does not (SQLite allows it): each distinct row keeps the
   * sort values of its first row in input order, so DISTINCT runs before the Sort below the
   * Project unless the input already arrives in the sort's order (planner/physical-planner.ts).
   */
  readonly beforeSort?: true;
}

export interface LimitNode {
  readonly kind: 'limit';
  readonly input: LogicalPlan;
  /** Constant expressions (literals/parameters), evaluated once per execution; null = none. */
  readonly limit: Expr | null;
  readonly offset: Expr | null;
}

/** The set operator of a Compound node; `UNION ALL` is the only one that keeps duplicates. */
export type CompoundOp = 'union' | 'unionAll' | 'intersect' | 'except';

/**
 * `left op right` over two plans whose rows have the same width. Rows are deduplicated (all ops
 * but unionAll) and compared under `collations` (per output column; undefined = BINARY).
 */
export interface CompoundNode {
  readonly kind: 'compound';
  readonly op: CompoundOp;
  readonly left: LogicalPlan;
  readonly right: LogicalPlan;
  readonly collations: readonly (Collation | undefined)[];
  /** Columns of each side whose whole-number REALs are tagged as they enter (RealTags). */
  readonly tagReals?: RealTags;
}

/**
 * Columns, per side of a compound, that are REAL where the compound's column is typed per row
 * ('any'): their whole numbers enter tagged (planner/tagged-real.ts), or they would read back as
 * INTEGERs past the compound.
 */
export interface RealTags {
  readonly left: readonly number[];
  readonly right: readonly number[];
}

/** How a Join keeps rows without a match: `left` keeps the left's, `right` the right's, `full` both. */
export type JoinType = 'inner' | 'left' | 'right' | 'full';

/**
 * Rows of `left` side by side with rows of `right` (the wide row: the left's columns, then the
 * right's at `leftWidth`), those where `on` is true; outer joins add the unmatched rows of the
 * kept side with the other side's columns NULL. A Join tree is a leaf as far as the layer order
 * goes; its leaves are Scan, Virtual and Derived nodes, each producing its own row shape.
 */
export interface JoinNode {
  readonly kind: 'join';
  readonly type: JoinType;
  readonly left: LogicalPlan;
  readonly right: LogicalPlan;
  readonly on: Expr | null;
  readonly leftWidth: number;
  readonly rightWidth: number;
  /** Written as CROSS JOIN: the planner keeps the written loop order (SQLite's rule). */
  readonly fixed?: true;
}

/**
 * A CTE body read by several references of one statement: computed once per execution and its
 * rows reused (the references share this object; `refs` counts them, final once lowering ends).
 */
export interface SharedCte {
  refs: number;
}

/** A derived table `(SELECT …)`: its rows are the inner plan's projected rows. */
export interface DerivedNode {
  readonly kind: 'derived';
  readonly plan: LogicalPlan;
  /** The alias, for EXPLAIN (null: none). */
  readonly alias: string | null;
  readonly width: number;
  /** Set when the source is a CTE (or view): its name, for EXPLAIN's CteScan. */
  readonly cte?: string;
  /** A CTE whose body every reference shares (computed once when there are several). */
  readonly shared?: SharedCte;
  /** A view: shown as `Subquery` unless several references share its body (then a CteScan). */
  readonly view?: true;
}

/**
 * A recursive CTE: the `init` rows, then for each row produced (oldest first, as SQLite's queue)
 * every `steps` plan run with the working table holding that one row; UNION (`all` false) drops
 * rows already produced. Rows are the CTE's columns; a leaf as far as the layer order goes.
 */
export interface RecursiveCteNode {
  readonly kind: 'recursiveCte';
  readonly name: string;
  /** Identifies the working table the steps' WorkingTable leaves read. */
  readonly id: number;
  readonly init: LogicalPlan;
  readonly steps: readonly LogicalPlan[];
  readonly all: boolean;
  readonly width: number;
  /**
   * The CTE's own ORDER BY (slots of its row): the queue is then a priority queue, the smallest
   * row (first queued among equals) expanded and produced next, as in SQLite.
   */
  readonly order?: readonly SortKey[];
  /**
   * Columns of the initial rows and of each step that are REAL where the CTE's column is typed
   * per row (as a compound's RealTags): their whole numbers enter tagged.
   */
  readonly tagReals?: { readonly init: readonly number[]; readonly steps: readonly (readonly number[])[] };
}

/** The recursive arm's reference to its own CTE: the row being expanded. */
export interface WorkingTableNode {
  readonly kind: 'workingTable';
  readonly name: string;
  readonly id: number;
  readonly width: number;
}

/**
 * A table-valued function in FROM (json_each, json_tree: planner/json-table.ts; a catalog
 * PRAGMA's reading another source: planner/introspect/virtual.ts PragmaFn), a leaf. Its
 * arguments may read columns of the sources to its left (global columns): the join that adds it
 * is then lateral, the function run once per left row. An enclosing query's columns are outer
 * parameters, as in any correlated subquery.
 */
export interface TableFunctionNode {
  readonly kind: 'tableFunction';
  readonly fn: JsonTableFn | PragmaFn;
  readonly args: readonly Expr[];
  /** A PragmaFn over table_info / table_xinfo / table_list: each view's table_info rows (planner/table-function.ts). */
  readonly views?: ViewInfoRows;
  /** The alias, for EXPLAIN (null: none). */
  readonly alias: string | null;
  readonly width: number;
}

export type LogicalPlan =
  | ScanNode
  | ValuesNode
  | VirtualNode
  | FilterNode
  | AggregateNode
  | WindowNode
  | SortNode
  | ProjectNode
  | DistinctNode
  | LimitNode
  | CompoundNode
  | JoinNode
  | DerivedNode
  | RecursiveCteNode
  | WorkingTableNode
  | TableFunctionNode;

export const L = Object.freeze({
  scan: (collection: string, hint?: IndexHint, forWrite?: true): ScanNode => ({
    kind: 'scan',
    collection,
    ...(hint ? { hint } : {}),
    ...(forWrite ? { forWrite } : {}),
  }),
  values: (rows: readonly (readonly Expr[])[]): ValuesNode => ({ kind: 'values', rows }),
  virtual: (source: VirtualSource): VirtualNode => ({ kind: 'virtual', source }),
  filter: (input: LogicalPlan, predicate: Expr): FilterNode => ({ kind: 'filter', input, predicate }),
  aggregate: (
    input: LogicalPlan,
    groupBy: readonly Expr[],
    aggregates: readonly AggregateExpr[],
    inputWidth: number,
  ): AggregateNode => ({
    kind: 'aggregate',
    input,
    groupBy,
    aggregates,
    inputWidth,
  }),
  window: (input: LogicalPlan, calls: readonly WindowCall[], inputWidth: number): WindowNode => ({
    kind: 'window',
    input,
    calls,
    inputWidth,
  }),
  sort: (input: LogicalPlan, keys: readonly SortKey[]): SortNode => ({ kind: 'sort', input, keys }),
  project: (input: LogicalPlan, columns: readonly ProjectColumn[]): ProjectNode => ({
    kind: 'project',
    input,
    columns,
  }),
  compound: (
    op: CompoundOp,
    left: LogicalPlan,
    right: LogicalPlan,
    collations: readonly (Collation | undefined)[],
    tagReals?: RealTags,
  ): CompoundNode => ({ kind: 'compound', op, left, right, collations, ...(tagReals ? { tagReals } : {}) }),
  join: (
    type: JoinType,
    left: LogicalPlan,
    right: LogicalPlan,
    on: Expr | null,
    leftWidth: number,
    rightWidth: number,
  ): JoinNode => ({ kind: 'join', type, left, right, on, leftWidth, rightWidth }),
  derived: (
    plan: LogicalPlan,
    alias: string | null,
    width: number,
    cte?: string,
    shared?: SharedCte,
  ): DerivedNode => ({
    kind: 'derived',
    plan,
    alias,
    width,
    ...(cte !== undefined ? { cte } : {}),
    ...(shared !== undefined ? { shared } : {}),
  }),
  recursiveCte: (fields: Omit<RecursiveCteNode, 'kind'>): RecursiveCteNode => ({
    kind: 'recursiveCte',
    ...fields,
  }),
  workingTable: (name: string, id: number, width: number): WorkingTableNode => ({
    kind: 'workingTable',
    name,
    id,
    width,
  }),
  tableFunction: (
    fn: JsonTableFn | PragmaFn,
    args: readonly Expr[],
    alias: string | null,
    width: number,
    views?: ViewInfoRows,
  ): TableFunctionNode => ({ kind: 'tableFunction', fn, args, alias, width, ...(views ? { views } : {}) }),
  distinct: (input: LogicalPlan, beforeSort = false): DistinctNode =>
    beforeSort ? { kind: 'distinct', input, beforeSort } : { kind: 'distinct', input },
  limit: (input: LogicalPlan, limit: Expr | null, offset: Expr | null): LimitNode => ({
    kind: 'limit',
    input,
    limit,
    offset,
  }),
});
