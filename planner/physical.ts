/**
 * Physical plan nodes: how a query runs. Names are the ones `explain()` prints and SPEC §8 fixes.
 * The executor (planner/execute.ts) dispatches on `kind` through a Record the compiler checks,
 * so adding a node kind without an operator is a type error.
 */
import type { AggregateExpr, Collation, Expr, SubqueryExpr } from './expr';
import type { JoinType, ProjectColumn, RealTags, RecursiveCteNode, SharedCte, SortKey } from './logical';
import type { VirtualSource } from './introspect/virtual';
import type { WindowCall } from './window';
import type { JsonTableFn } from './json-table';
import type { PragmaFn, ViewInfoRows } from './introspect/virtual';

export interface Bound {
  readonly expr: Expr;
  readonly inclusive: boolean;
  /**
   * Composite indexes: values of the columns after the bounded one, from a row-value comparison
   * (planner/row-bound.ts), so the bound is the tuple `(expr, ...rest)` in the tree's order.
   */
  readonly rest?: readonly Expr[];
}

/** Point lookups on the primary key: one key, or several (IN lists, OR of equalities). */
export interface PrimaryKeyLookupNode {
  readonly kind: 'PrimaryKeyLookup';
  readonly collection: string;
  readonly keys: readonly Expr[];
  /** `pk IN (SELECT …)` (uncorrelated): the keys are these rows' first column, NULLs skipped. */
  readonly keysFrom?: PhysicalPlan;
}

export interface IndexLookupNode {
  readonly kind: 'IndexLookup';
  readonly collection: string;
  readonly index: string;
  readonly unique: boolean;
  readonly keys: readonly Expr[];
  /** `col IN (SELECT …)` (uncorrelated): the keys are these rows' first column, NULLs skipped. */
  readonly keysFrom?: PhysicalPlan;
  /** IS NULL lookups: a NULL key matches NULL entries (an `=` lookup with a NULL key matches nothing). */
  readonly matchNull?: boolean;
  /** Rows are built from the index entries alone (the query reads only the key and the primary key). */
  readonly covering?: boolean;
  /**
   * The columns anything above reads from the rows (ascending), when not every column: a row not
   * decoded in memory may come back holding these alone, the others null (storage/row-readers.ts
   * ReadRowColumns), as a covering scan's rows do. Only on a query's plan, never a write's.
   */
  readonly reads?: readonly number[];
}

/** Ordered iteration over the primary key (index null) or a secondary index between bounds. */
export interface IndexRangeScanNode {
  readonly kind: 'IndexRangeScan';
  readonly collection: string;
  readonly index: string | null;
  readonly lo: Bound | null;
  readonly hi: Bound | null;
  readonly reverse: boolean;
  /**
   * Entries of equal key come in the opposite order from the walk's (planner/flipped-ties.ts): an
   * index declared DESC on every column, stored ascending, read in SQLite's order.
   */
  readonly flipTies?: true;
  /** Entries with a NULL key are skipped (a range predicate is never true for NULL). */
  readonly skipNulls: boolean;
  /**
   * Composite indexes only: equality values for the leftmost columns (`matchNull`: an IS NULL
   * that a NULL value matches), `lo`/`hi` then bound the next column. Present (maybe empty)
   * exactly when the index's key is a tuple; `skipNulls` then means the ranged column's NULLs.
   */
  readonly prefix?: readonly PrefixKey[];
  /**
   * Composite indexes only: an `IN` list on the first column. The walk is one prefix scan per
   * distinct value, in ascending order (`prefix[0]` stands for the value); a composite index
   * holding every column a query reads is read for `a IN (…)` as SQLite reads it.
   */
  readonly prefixIn?: readonly Expr[];
  /** Composite indexes only: the names of the index's columns, for explain(). */
  readonly columns?: readonly string[];
  /** Composite indexes whose columns mix directions: per column, whether the tree descends. */
  readonly desc?: readonly boolean[];
  /**
   * Composite indexes only: every column the query reads is an index column or the primary key,
   * so rows are built from the index entries without reading the stored rows (other columns NULL).
   */
  readonly covering?: boolean;
  /**
   * Covering walks only: of each run of entries whose keys are the same value, the first alone
   * (an aggregate of DISTINCT values of the key reads nothing else: planner/distinct-keys.ts).
   */
  readonly distinctKeys?: true;
  /**
   * The columns anything above reads from the rows (ascending), when not every column: a row not
   * decoded in memory may come back holding these alone, the others null (storage/row-readers.ts
   * ReadRowColumns), as a covering scan's rows do. Only on a query's plan, never a write's.
   */
  readonly reads?: readonly number[];
}

export interface PrefixKey {
  readonly expr: Expr;
  readonly matchNull: boolean;
}

/**
 * Rows through a partial index or an index on expressions (planner/sql-index-path.ts): the
 * entries whose first key column equals `key`, or with `key` null every entry, in index order.
 * The query's WHERE is always applied above it in full.
 */
export interface SqlIndexScanNode {
  readonly kind: 'SqlIndexScan';
  readonly collection: string;
  readonly index: string;
  readonly key: Expr | null;
  /**
   * The values `key` is looked up as they are: any (an expression without affinity: `=` converts
   * nothing), or only numbers / only text (a plain column's affinity would convert another
   * class). Another value walks the whole index, the filter above deciding.
   */
  readonly keyClass: 'any' | 'number' | 'text';
  /** The index has a WHERE (for explain()). */
  readonly partial: boolean;
  /** A walk backwards (an ORDER BY … DESC it answers). */
  readonly reverse?: true;
  /**
   * With `key` null: bounds on the first key column from range terms of the WHERE (`lower(n) >
   * ?`, `BETWEEN`); absent, the walk covers every entry. A bound of a class `keyClass` excludes
   * widens the walk to every entry (the filter above decides).
   */
  readonly lo?: Bound;
  readonly hi?: Bound;
}

export interface CollectionScanNode {
  readonly kind: 'CollectionScan';
  readonly collection: string;
}

/** Union of several access paths (OR of indexable branches); each row is produced once. */
export interface IndexUnionNode {
  readonly kind: 'IndexUnion';
  readonly collection: string;
  readonly inputs: readonly (PrimaryKeyLookupNode | IndexLookupNode | IndexRangeScanNode)[];
}

/** Constant rows: the leaf of SELECT without FROM and of VALUES. */
export interface ValuesPNode {
  readonly kind: 'Values';
  readonly rows: readonly (readonly Expr[])[];
}

/** Rows of a virtual table (sqlite_master, catalog PRAGMAs), computed when the scan starts. */
export interface VirtualScanNode {
  readonly kind: 'VirtualScan';
  readonly source: VirtualSource;
}

export interface FilterPNode {
  readonly kind: 'Filter';
  readonly input: PhysicalPlan;
  readonly predicate: Expr;
}

export interface AggregatePNode {
  readonly kind: 'Aggregate';
  readonly input: PhysicalPlan;
  readonly groupBy: readonly Expr[];
  readonly aggregates: readonly AggregateExpr[];
  readonly inputWidth: number;
  /**
   * Nothing above reads the representative row's columns (bare columns, SQLite's rule for them):
   * only the group keys and aggregate values matter, so a whole-table aggregate may be folded
   * from column vectors without reading rows (planner/column-aggregate.ts).
   */
  readonly bareUnread?: true;
  /**
   * Nothing above reads the representative row's columns but the GROUP BY keys, plain columns
   * every row of a group holds equal: a grouped aggregate of one key may be folded from column
   * vectors (planner/grouped-fold.ts), one of count(*) alone counted from index runs
   * (planner/group-counts.ts).
   */
  readonly keysOnly?: true;
  /**
   * A whole-table aggregate of one INTEGER column (or COUNT(*)) whose WHERE reads only that
   * column: folded from the keys of `index`, an index led by that column, the WHERE decided once
   * per distinct key (planner/key-fold.ts). The input below stays the plan run when the index
   * holds too many distinct keys for that to pay.
   */
  readonly keyFold?: { readonly index: string; readonly column: number };
}

/** Window function calls (planner/window-exec.ts): reads all input rows, sorts per window. */
export interface WindowPNode {
  readonly kind: 'Window';
  readonly input: PhysicalPlan;
  readonly calls: readonly WindowCall[];
  readonly inputWidth: number;
  /**
   * Only the first this-many rows of each partition matter (a `rn <= k` above; set by
   * planner/window-topk.ts when every call is a ranking function over one specification).
   */
  readonly keepPerPartition?: Expr;
  /** `rn < k` rather than `rn <= k`: keep k - 1 rows (k rounded up). */
  readonly keepStrict?: true;
}

export interface SortPNode {
  readonly kind: 'Sort';
  readonly input: PhysicalPlan;
  readonly keys: readonly SortKey[];
  /** The input arrives ordered by this many leading keys (an index walk): sorted run by run. */
  readonly presorted?: number;
}

/** Sort + limit kept in a bounded heap of limit + offset rows. */
export interface TopNPNode {
  readonly kind: 'TopN';
  readonly input: PhysicalPlan;
  readonly keys: readonly SortKey[];
  readonly limit: Expr;
  readonly offset: Expr | null;
  /** The input arrives ordered by this many leading keys (an index walk): read until past them. */
  readonly presorted?: number;
  /**
   * Late rows: the input's index fetch reads only what the keys and a filter below need (its
   * `reads`, with the primary key); the rows kept are read again whole, by primary key, from
   * this collection.
   */
  readonly refetch?: string;
}

export interface ProjectPNode {
  readonly kind: 'Project';
  readonly input: PhysicalPlan;
  readonly columns: readonly ProjectColumn[];
}

export interface DistinctPNode {
  readonly kind: 'Distinct';
  readonly input: PhysicalPlan;
  /** Rows are distinct by their first `width` values (the rest carry sort keys); all when absent. */
  readonly width?: number;
}

export interface LimitPNode {
  readonly kind: 'Limit';
  readonly input: PhysicalPlan;
  readonly limit: Expr | null;
  readonly offset: Expr | null;
}

/**
 * A compound SELECT's set operator over two plans of equal width (explain() names: Union,
 * Intersect, Except). All but UNION ALL deduplicate under `collations` and, as SQLite's temporary
 * index does, emit rows in ascending order of the whole row.
 */
interface CompoundFields {
  /** UNION ALL: the left rows, then the right rows, duplicates kept. */
  readonly all: boolean;
  readonly left: PhysicalPlan;
  readonly right: PhysicalPlan;
  readonly collations: readonly (Collation | undefined)[];
  readonly tagReals?: RealTags;
}

export type CompoundPNode =
  | (CompoundFields & { readonly kind: 'Union' })
  | (CompoundFields & { readonly kind: 'Intersect' })
  | (CompoundFields & { readonly kind: 'Except' });

/**
 * The join operators. Rows are laid side by side: the left's (outer's) columns, then the
 * right's, unless `swapped` (an inner join whose written right side drives the loop); every
 * predicate over the joined row reads that layout, key expressions read their own side's row.
 */
interface JoinFields {
  readonly type: JoinType;
  readonly left: PhysicalPlan;
  readonly right: PhysicalPlan;
  readonly leftWidth: number;
  readonly rightWidth: number;
}

/** Every left row against every (materialized) right row; `predicate` decides the matches. */
export interface NestedLoopJoinNode extends JoinFields {
  readonly kind: 'NestedLoopJoin';
  readonly predicate: Expr | null;
}

/**
 * An equi-join: the right rows hashed on `rightKeys` (built once), probed with `leftKeys` of each
 * left row; a NULL key matches nothing. `residual` filters matches like an ON term.
 */
export interface HashJoinNode extends JoinFields {
  readonly kind: 'HashJoin';
  readonly leftKeys: readonly Expr[];
  readonly rightKeys: readonly Expr[];
  /**
   * Per key pair: which side is a TEXT value compared with a numeric column of the other, its key
   * converted by NUMERIC affinity as the comparison converts it; absent: none.
   */
  readonly numericKeys?: readonly ('left' | 'right' | null)[];
  readonly residual: Expr | null;
}

/**
 * For each outer row, a lookup of the inner collection by key: its primary key (`index` null),
 * a one-column index, or a leftmost prefix of a composite index (`prefix`). `keys` read the
 * outer row; `innerFilter` reads the inner row alone, `residual` the joined row.
 */
export interface IndexNestedLoopJoinNode {
  readonly kind: 'IndexNestedLoopJoin';
  readonly type: 'inner' | 'left';
  readonly outer: PhysicalPlan;
  readonly collection: string;
  readonly index: string | null;
  readonly unique: boolean;
  /** Composite index: the names of its columns (the keys match the first keys.length). */
  readonly columns?: readonly string[];
  readonly desc?: readonly boolean[];
  readonly keys: readonly Expr[];
  /**
   * Per key: a TEXT outer value compared with a numeric inner column, which the lookup converts
   * by NUMERIC affinity as the comparison does (planner/join-planner.ts bestProbe); absent: none.
   */
  readonly numericKeys?: readonly boolean[];
  /** The inner columns the keys are compared with, for explain(). */
  readonly keyNames: readonly string[];
  readonly innerFilter: Expr | null;
  readonly residual: Expr | null;
  readonly outerWidth: number;
  readonly innerWidth: number;
  /** The joined row is inner columns first (the outer side is the written right side). */
  readonly swapped: boolean;
  /**
   * A LEFT join under `WHERE inner.k IS NULL` for a column no matched row has NULL (the primary
   * key, a lookup column): only outer rows without a match pass, so the join emits just those,
   * NULL-extended, testing each key's existence without reading inner rows (planner/join-planner.ts
   * antiJoin). Never with an innerFilter or residual.
   */
  readonly anti?: true;
}

/** A derived table's rows: the inner query's result rows. */
export interface SubqueryScanNode {
  readonly kind: 'Subquery';
  readonly alias: string | null;
  readonly input: PhysicalPlan;
}

/** A CTE (or view) read in FROM: its rows are `input`'s. */
export interface CteScanNode {
  readonly kind: 'CteScan';
  /** Set when several references read the CTE: its rows are computed once per execution. */
  readonly shared?: SharedCte;
  readonly name: string;
  readonly alias: string | null;
  readonly input: PhysicalPlan;
}

/**
 * A recursive CTE's rows (planner/logical.ts RecursiveCteNode): `init`, then `steps` per queued
 * row; more than `maxRows` rows is an OperationalError (code RECURSION_LIMIT).
 */
export interface RecursiveUnionNode {
  readonly kind: 'RecursiveUnion';
  readonly name: string;
  readonly id: number;
  readonly all: boolean;
  readonly init: PhysicalPlan;
  readonly steps: readonly PhysicalPlan[];
  readonly maxRows: number;
  /** The CTE's ORDER BY: rows leave the queue smallest first (logical RecursiveCteNode.order). */
  readonly order?: readonly SortKey[];
  /** logical RecursiveCteNode.tagReals. */
  readonly tagReals?: RecursiveCteNode['tagReals'];
}

/** The row of a recursive CTE being expanded, read by its recursive arm. */
export interface WorkingTablePNode {
  readonly kind: 'WorkingTable';
  readonly name: string;
  readonly id: number;
}

/**
 * A WHERE term `x [NOT] IN (SELECT …)` or a `[NOT] EXISTS (SELECT … WHERE inner = outer …)` /
 * `x [NOT] IN (SELECT col … WHERE inner = outer …)` correlated on equalities, run as a join
 * (planner/decorrelate.ts): the subquery's rows are read once per execution and hashed on their
 * key columns, each input row probes with `keys` (a correlated IN: the outer sides, then `x`). SemiJoin keeps the input rows
 * the term is true for, AntiJoin (NOT IN, NOT EXISTS) likewise for the negated term, with
 * SQLite's NULL rules for IN (`in`: the IN's comparison collation and affinity apply).
 */
interface SemiFields {
  readonly input: PhysicalPlan;
  /** Rows of the key columns, one per entry of `keys`. */
  readonly sub: PhysicalPlan;
  readonly keys: readonly Expr[];
  /** The inner side of each correlation key (correlated forms only). */
  readonly subKeys: readonly Expr[];
  readonly in: SubqueryExpr | null;
}

export type SemiJoinPNode =
  (SemiFields & { readonly kind: 'SemiJoin' }) | (SemiFields & { readonly kind: 'AntiJoin' });

/**
 * A table-valued function's rows (planner/table-function.ts), `args` evaluated once per run.
 * With `lateral`, the arguments read the rows of `lateral.input` instead: for each input row the
 * function runs and its rows are joined to it (`left`: an input row without a match comes out
 * once, the function's columns NULL), `predicate` deciding the matches over the joined row.
 */
export interface TableFunctionPNode {
  readonly kind: 'TableFunction';
  readonly fn: JsonTableFn | PragmaFn;
  readonly args: readonly Expr[];
  /** A PragmaFn over table_info / table_xinfo / table_list: each view's table_info rows (planner/table-function.ts). */
  readonly views?: ViewInfoRows;
  readonly alias: string | null;
  readonly width: number;
  readonly lateral?: LateralInput;
}

export interface LateralInput {
  readonly input: PhysicalPlan;
  readonly inputWidth: number;
  readonly type: 'inner' | 'left';
  readonly predicate: Expr | null;
}

export type JoinPNode = NestedLoopJoinNode | HashJoinNode | IndexNestedLoopJoinNode;

export type AccessNode =
  PrimaryKeyLookupNode | IndexLookupNode | IndexRangeScanNode | CollectionScanNode | IndexUnionNode;

export type PhysicalPlan =
  | AccessNode
  | SqlIndexScanNode
  | ValuesPNode
  | VirtualScanNode
  | FilterPNode
  | AggregatePNode
  | WindowPNode
  | SortPNode
  | TopNPNode
  | ProjectPNode
  | DistinctPNode
  | LimitPNode
  | CompoundPNode
  | JoinPNode
  | SemiJoinPNode
  | SubqueryScanNode
  | CteScanNode
  | RecursiveUnionNode
  | WorkingTablePNode
  | TableFunctionPNode;

export type PhysicalKind = PhysicalPlan['kind'];
