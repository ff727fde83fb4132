/**
 * The in-memory state of one collection: its catalog entry, compiled schema, primary-key tree
 * (pk → file offset of the row's RECORD_PUT frame) and secondary index trees. Secondary trees are
 * multi-mode (key, pk) trees for unique and non-unique indexes alike, so both iterate the same
 * way; uniqueness is enforced on write (several NULL keys are allowed, as in SQLite).
 */
import { BTree } from './btree';
import type { BTreeSnapshot } from './btree';
import { compareValues } from './compare';
import { compileSchema } from './schema/compile';
import type { CompiledSchema, PathAccessor } from './schema/compile';
import type { CollectionSchema, NormalizedIndex } from './schema/normalize';
import { SchemaError } from '../src/errors';

export interface CollectionMeta {
  id: number;
  /** Schema version, starting at 1. */
  version: number;
  schema: CollectionSchema;
}

export interface IndexState {
  readonly def: NormalizedIndex;
  readonly accessor: PathAccessor;
  readonly unique: boolean;
  tree: BTree<unknown, unknown>;
}

export class CollectionState {
  readonly compiled: CompiledSchema;
  readonly pk: BTree<unknown, number>;
  indexes: IndexState[];

  constructor(
    readonly meta: CollectionMeta,
    pk?: BTree<unknown, number>,
    indexTrees?: Map<string, BTree<unknown, unknown>>,
  ) {
    this.compiled = compileSchema(meta.schema);
    this.pk = pk ?? newPkTree();
    this.indexes = meta.schema.indexes.map((def) => {
      const accessor = this.compiled.resolvePath(def.path);
      if (!accessor) throw new SchemaError(`index path ${def.path.join('.')} does not resolve`); // normalize() prevents it; a corrupt catalog may not
      return {
        def,
        accessor,
        unique: def.kind === 'unique',
        tree: indexTrees?.get(def.name) ?? newIndexTree(),
      };
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

export function newIndexTree(): BTree<unknown, unknown> {
  return new BTree<unknown, unknown>({ compare: compareValues, multi: true, valueCompare: compareValues });
}

/** A frozen view of one collection: what a statement or another connection reads. */
export interface CollectionView {
  readonly state: CollectionState;
  readonly meta: CollectionMeta;
  readonly compiled: CompiledSchema;
  readonly pk: BTreeSnapshot<unknown, number>;
  readonly indexes: readonly IndexView[];
  /** The index states as they were, so a savepoint can put them back. */
  readonly indexStates: readonly IndexState[];
}

export interface IndexView {
  readonly def: NormalizedIndex;
  readonly accessor: PathAccessor;
  readonly unique: boolean;
  readonly tree: BTreeSnapshot<unknown, unknown>;
}

export function snapshotCollection(state: CollectionState): CollectionView {
  return {
    state,
    meta: state.meta,
    compiled: state.compiled,
    pk: state.pk.snapshot(),
    indexes: state.indexes.map((ix) => ({
      def: ix.def,
      accessor: ix.accessor,
      unique: ix.unique,
      tree: ix.tree.snapshot(),
    })),
    indexStates: state.indexes.slice(),
  };
}

/** Put a collection's trees back to what `view` captured (savepoint and transaction rollback). */
export function restoreCollection(view: CollectionView): void {
  const { state } = view;
  state.pk.restore(view.pk);
  state.indexes = view.indexStates.slice();
  view.indexStates.forEach((ix, i) => ix.tree.restore(view.indexes[i].tree));
}
