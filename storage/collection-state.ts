/**
 * The in-memory state of one collection: its catalog entry, compiled schema, primary-key tree
 * (pk → file offset of the row's RECORD_PUT frame) and secondary index trees. Secondary trees are
 * multi-mode (key, pk) trees for unique and non-unique indexes alike, so both iterate the same
 * way; uniqueness is enforced on write (several NULL keys are allowed, as in SQLite).
 */
import { BTree } from './btree';
import type { BTreeSnapshot, LeafPage } from './btree';
import { collatedKeyCompare, compareKeys, compareValues, directedKeyCompare } from './compare';
import { compileSchema } from './schema/compile';
import type { CompiledSchema, PathAccessor } from './schema/compile';
import type { CollectionSchema, NormalizedIndex } from './schema/normalize';
import { indexDesc, indexPaths, isCompositeIndex, keyColumnsText } from './schema/normalize';
import { SchemaError } from '../src/errors';
import { NOT_INDEXED, compileIndexSql } from './index-exprs';
import type { SchemaVersionRecord } from './schema-history';

export interface CollectionMeta {
  id: number;
  /** Schema version, starting at 1. */
  version: number;
  schema: CollectionSchema;
  /**
   * When each version was registered and what it changed (storage/schema-history.ts); absent or
   * partial in files written before the history existed.
   */
  history?: readonly SchemaVersionRecord[];
}

/**
 * An index as a checkpoint stored it, and how to build its tree: packed columns (layout 2) or
 * pages (layout 3). Either is written into the next checkpoint of its layout without a build.
 */
export interface PackedIndex {
  /** Layout 2: the packed columns. */
  readonly keys?: Uint8Array;
  readonly pks?: Uint8Array;
  /** Layout 3: visit the stored pages in order, as BTree.forEachLeaf visits cold leaves. */
  forEachPage?(visit: (page: LeafPage<unknown, unknown>, keys: null, vals: null) => void): void;
  /**
   * Layout 5: the directory as the checkpoint stored it (a root directory's `{ dirs }`, or an
   * inline one), and the file it names pages of: a checkpoint of that same file stores it again
   * as it is, reading none of its directory pages.
   */
  readonly stored?: { readonly directory: unknown; readonly store: object; readonly lagging?: boolean };
  /**
   * Build the tree; `ix` is the index state asking (a lagging index of a light checkpoint reads
   * its key accessor to catch up with the log: storage/index-lag.ts).
   */
  build(ix: IndexState): BTree<unknown, unknown>;
}

/**
 * How a row's index key is read: the column's value for a single-column index, a tuple of the
 * columns' values (NULL for a missing one) for a composite index.
 */
export interface KeyAccessor {
  get(row: readonly unknown[]): unknown;
}

/** The key accessor of an index whose columns are `columns`. */
export function keyAccessor(columns: readonly PathAccessor[]): KeyAccessor {
  if (columns.length === 1) return columns[0];
  const gets = columns.map((c) => c.get);
  return { get: (row) => gets.map((g) => g(row) ?? null) };
}

/**
 * The key accessor of a partial or expression index: the compiled key, NOT_INDEXED for a row its
 * WHERE does not accept. A row written before an ADD COLUMN reads the added columns' defaults.
 */
export function sqlKeyAccessor(
  schema: CollectionSchema,
  compiled: CompiledSchema,
  def: NormalizedIndex,
): SqlKeyAccessor {
  const { key, covers, exprColumns } = compileIndexSql(schema, compiled, def);
  const width = compiled.columnCount;
  const at = (row: readonly unknown[]): readonly unknown[] =>
    row.length < width ? widenRow(row as unknown[], compiled.storedDefaults) : row;
  const partial = covers !== null;
  if (covers === null) return { exprColumns, partial, get: (row) => key(at(row)) };
  return {
    exprColumns,
    partial,
    get: (row) => {
      const full = at(row);
      return covers(full) ? key(full) : NOT_INDEXED;
    },
  };
}

export interface SqlKeyAccessor extends KeyAccessor {
  /** Per key column, whether it is an expression. */
  readonly exprColumns: readonly boolean[];
  /** Whether the index has a WHERE. */
  readonly partial: boolean;
}

/** What SQLite's "UNIQUE constraint failed: …" names for a unique index of table `table`. */
export function uniqueFailureText(table: string, ix: IndexState): string {
  return ix.keyHasExpression ? `index '${ix.def.name}'` : keyColumnsText(table, indexPaths(ix.def));
}

/** An index tree, or the packed form it is built from on first use. */
export type IndexSource = BTree<unknown, unknown> | PackedIndex;

/**
 * One secondary index of a collection. A tree that came from a checkpoint stays packed until a
 * statement or a write first needs it, so opening a large file builds only the primary-key tree
 * and a point get never pays for the other indexes. Views taken while the tree is still packed
 * share one PendingIndexView; building the tree hands that view a snapshot of the freshly built
 * tree (taken before any write can reach it), which it keeps exactly as long as it lives.
 */
export class IndexState {
  readonly unique: boolean;
  /** Whether the key is a tuple (two or more columns). */
  readonly composite: boolean;
  /** Per column, whether the tree orders it descending; null when all ascend. */
  readonly desc: readonly boolean[] | null;
  readonly accessor: KeyAccessor;
  /**
   * A partial or expression index (NormalizedIndex.sql): its key is not the `columns`' values, and
   * `accessor` answers NOT_INDEXED for a row outside a partial index. Query planning leaves it to
   * planner/sql-index-path.ts.
   */
  readonly special: boolean;
  /** A key column is an expression: SQLite's UNIQUE failure then names the index, not columns. */
  readonly keyHasExpression: boolean;
  /** The accessor given to the constructor (a rebuilt tree keeps it). */
  readonly sqlAccessor: SqlKeyAccessor | null;
  private built: BTree<unknown, unknown> | null;
  private pending: PackedIndex | null;
  private pendingView: PendingIndexView | null = null;

  constructor(
    readonly def: NormalizedIndex,
    /** One accessor per index column, in key order. */
    readonly columns: readonly PathAccessor[],
    source: IndexSource,
    /** A partial or expression index's key accessor (see sqlKeyAccessor). */
    accessor?: SqlKeyAccessor,
  ) {
    this.unique = def.kind === 'unique';
    this.composite = columns.length > 1;
    this.desc = this.composite ? indexDesc(def) : null;
    this.special = accessor !== undefined;
    this.sqlAccessor = accessor ?? null;
    this.keyHasExpression = accessor?.exprColumns.some((e) => e) === true;
    this.accessor = accessor ?? keyAccessor(columns);
    this.built = source instanceof BTree ? source : null;
    this.pending = source instanceof BTree ? null : source;
  }

  /** Whether the tree has been built (tests and diagnostics). */
  get loaded(): boolean {
    return this.pending === null;
  }

  get tree(): BTree<unknown, unknown> {
    if (this.pending) {
      const tree = this.pending.build(this);
      this.pending = null;
      this.built = tree;
      this.pendingView?.resolve(tree.snapshot());
      this.pendingView = null;
      return tree;
    }
    return this.built as BTree<unknown, unknown>;
  }

  /** The packed columns while the tree is unbuilt (so unchanged since its checkpoint), else null. */
  get packed(): PackedIndex | null {
    return this.pending;
  }

  /**
   * Replay at open (storage/replay-indexes.ts): entries of the replayed log for a tree still
   * unbuilt are put into it (`add`) when it is first built, so an open followed by reads by
   * primary key never pays for them. False, and nothing done, when the tree is built or a view
   * of it is out (that view must keep the checkpoint's content).
   */
  deferEntries(add: (tree: BTree<unknown, unknown>) => void): boolean {
    const stored = this.pending;
    if (stored === null || this.pendingView !== null) return false;
    // No pages or columns any more: the index is not what its checkpoint stored, so the next
    // checkpoint builds it and writes its changed pages.
    this.pending = {
      build: (ix) => {
        const tree = stored.build(ix);
        add(tree);
        return tree;
      },
    };
    return true;
  }

  /**
   * A frozen view of the tree; one taken while the tree is still packed does not build it.
   * `transient`: valid only until the tree's next write (BTree.transientSnapshot).
   */
  view(transient = false): IndexView {
    if (this.pending) return (this.pendingView ??= new PendingIndexView(this));
    return {
      def: this.def,
      accessor: this.accessor,
      special: this.special,
      columns: this.columns,
      composite: this.composite,
      desc: this.desc,
      unique: this.unique,
      tree: transient ? this.tree.transientSnapshot() : this.tree.snapshot(),
    };
  }

  /** Put the tree back to `view` (savepoint and transaction rollback). */
  restore(view: IndexView): void {
    if (view instanceof PendingIndexView) {
      // Unresolved: the tree is still packed, so nothing was written. Resolved: back to the build.
      const snap = view.resolved;
      if (snap) this.tree.restore(snap);
      return;
    }
    this.tree.restore(view.tree);
  }
}

/** The view of an index taken while it was packed: reading its tree builds the index. */
class PendingIndexView implements IndexView {
  readonly def: NormalizedIndex;
  readonly accessor: KeyAccessor;
  readonly special: boolean;
  readonly columns: readonly PathAccessor[];
  readonly composite: boolean;
  readonly desc: readonly boolean[] | null;
  readonly unique: boolean;
  private snap: BTreeSnapshot<unknown, unknown> | null = null;
  private slot: IndexState | null;

  constructor(slot: IndexState) {
    this.slot = slot;
    this.def = slot.def;
    this.accessor = slot.accessor;
    this.special = slot.special;
    this.columns = slot.columns;
    this.composite = slot.composite;
    this.desc = slot.desc;
    this.unique = slot.unique;
  }

  get resolved(): BTreeSnapshot<unknown, unknown> | null {
    return this.snap;
  }

  resolve(snap: BTreeSnapshot<unknown, unknown>): void {
    this.snap = snap;
    this.slot = null;
  }

  get tree(): BTreeSnapshot<unknown, unknown> {
    if (!this.snap) void this.slot?.tree; // building resolves this view
    return this.snap as BTreeSnapshot<unknown, unknown>;
  }
}

export class CollectionState {
  readonly compiled: CompiledSchema;
  readonly pk: BTree<unknown, number>;
  indexes: IndexState[];
  /** AUTOINCREMENT: the largest key ever written (storage/sequence.ts); null otherwise or when none. */
  seq: number | bigint | null = null;

  constructor(
    readonly meta: CollectionMeta,
    pk?: BTree<unknown, number>,
    indexTrees?: Map<string, IndexSource>,
  ) {
    this.compiled = compileSchema(meta.schema);
    this.pk = pk ?? newPkTree();
    this.indexes = meta.schema.indexes.map((def) => {
      const paths = indexPaths(def);
      const columns = paths.map((path) => {
        // normalize() prevents both; a corrupt catalog may not.
        if (!Array.isArray(path) || !path.every((s) => typeof s === 'string'))
          throw new SchemaError(`index ${String(def.name)} has a malformed path`);
        const accessor = this.compiled.resolvePath(path);
        if (!accessor) throw new SchemaError(`index path ${path.join('.')} does not resolve`);
        return accessor;
      });
      const source = indexTrees?.get(def.name) ?? newIndexTree(def);
      if (def.sql === undefined) return new IndexState(def, columns, source);
      return new IndexState(def, columns, source, sqlKeyAccessor(meta.schema, this.compiled, def));
    });
  }

  get name(): string {
    return this.meta.schema.name;
  }

  pkOf(row: readonly unknown[]): unknown {
    return row[this.compiled.pkColumn];
  }
}

export function newPkTree(): BTree<unknown, number> {
  return new BTree<unknown, number>({ compare: compareValues });
}

/** The key order of index `def`'s tree: values, or tuples (with per-column directions). */
export function indexKeyCompare(def: NormalizedIndex | undefined): (a: unknown, b: unknown) => number {
  if (def?.collate) return collatedKeyCompare(def.collate, isCompositeIndex(def) ? indexDesc(def) : null);
  if (!def || !isCompositeIndex(def)) return compareValues;
  const desc = indexDesc(def);
  return desc ? directedKeyCompare(desc) : compareKeys;
}

/** An empty (key, pk) tree for index `def` (a composite index's keys are tuples). */
export function newIndexTree(def?: NormalizedIndex): BTree<unknown, unknown> {
  return new BTree<unknown, unknown>({
    compare: indexKeyCompare(def),
    multi: true,
    valueCompare: compareValues,
  });
}

/** A frozen view of one collection: what a statement or another connection reads. */
export interface CollectionView {
  readonly state: CollectionState;
  readonly meta: CollectionMeta;
  readonly compiled: CompiledSchema;
  readonly pk: BTreeSnapshot<unknown, number>;
  /**
   * The indexes query planning may use as column indexes: every index but the partial and
   * expression ones (IndexView.special), which only planner/sql-index-path.ts reads, and those
   * ordered under a collation (see plannable).
   */
  readonly indexes: readonly IndexView[];
  /**
   * The unique indexes ordered under a collation (NormalizedIndex.collate): planning uses them
   * only for an equality compared under that collation (planner/access-path.ts collatedCandidates).
   */
  readonly collatedIndexes: readonly IndexView[];
  /** Every index, in the order of `indexStates`. */
  readonly allIndexes: readonly IndexView[];
  /** The index states as they were, so a savepoint can put them back. */
  readonly indexStates: readonly IndexState[];
  /** The AUTOINCREMENT sequence as it was. */
  readonly seq: number | bigint | null;
}

export interface IndexView {
  readonly def: NormalizedIndex;
  readonly accessor: KeyAccessor;
  /** A partial or expression index (IndexState.special). */
  readonly special: boolean;
  /** One accessor per index column, in key order. */
  readonly columns: readonly PathAccessor[];
  readonly composite: boolean;
  /** Per column, whether the tree orders it descending; null when all ascend. */
  readonly desc: readonly boolean[] | null;
  readonly unique: boolean;
  readonly tree: BTreeSnapshot<unknown, unknown>;
}

/**
 * Whether query planning may use an index as a column index: its entries are the columns' values
 * in BINARY order. Not a partial or expression index (planner/sql-index-path.ts reads those), nor
 * one ordered under a collation (NormalizedIndex.collate), which only enforces uniqueness.
 */
function plannable(ix: IndexView): boolean {
  return !ix.special && ix.def.collate === undefined;
}

/** `transient`: a view read in full before the collection's next write (Engine.transientView). */
export function snapshotCollection(state: CollectionState, transient = false): CollectionView {
  const all = state.indexes.map((ix) => ix.view(transient));
  return {
    state,
    meta: state.meta,
    compiled: state.compiled,
    pk: transient ? state.pk.transientSnapshot() : state.pk.snapshot(),
    indexes: all.every(plannable) ? all : all.filter(plannable),
    collatedIndexes: all.filter((ix) => !ix.special && ix.def.collate !== undefined),
    allIndexes: all,
    indexStates: state.indexes.slice(),
    seq: state.seq,
  };
}

/**
 * The stored defaults rows of `compiled` are widened with, or null when every stored row already
 * has its width. Only ALTER TABLE ADD COLUMN (a new schema version) leaves shorter rows behind.
 */
export function widenDefaults(meta: CollectionMeta, compiled: CompiledSchema): readonly unknown[] | null {
  return meta.version > 1 ? compiled.storedDefaults : null;
}

/**
 * `row` at the width of a schema whose stored defaults are `defaults`: a row written before ALTER
 * TABLE ADD COLUMN reads the added columns as their defaults. Stored rows are never widened in
 * place (the row cache, staged rows and views share them, and a rolled-back ALTER must leave no
 * wider row behind), so a short row is copied.
 */
export function widenRow(row: unknown[], defaults: readonly unknown[]): unknown[] {
  if (row.length >= defaults.length) return row;
  const out = row.slice();
  for (let i = row.length; i < defaults.length; i++) out.push(defaults[i]);
  return out;
}

/** The stored row `row` of collection `state` at the state's width (see widenRow). */
export function rowOfState(state: CollectionState, row: unknown[]): unknown[] {
  return row.length < state.compiled.columnCount ? widenRow(row, state.compiled.storedDefaults) : row;
}

/** Put a collection's trees back to what `view` captured (savepoint and transaction rollback). */
export function restoreCollection(view: CollectionView): void {
  const { state } = view;
  state.pk.restore(view.pk);
  state.indexes = view.indexStates.slice();
  state.seq = view.seq;
  view.indexStates.forEach((ix, i) => ix.restore(view.allIndexes[i]));
}
