/**
 * The typed API over a collection whose primary key spans several fields (`primaryKey: { paths }`
 * or SQL's `PRIMARY KEY (a, b)`): rows are identified by a hidden int64 rowid, and the key is a
 * unique index over the fields. `insert` keeps the rowid of the row holding the same key (so it
 * replaces that row) or takes max + 1; `get` and `delete` take the key as an array of values.
 */
import type { CollectionState, IndexView } from '../storage/collection-state';
import { keyHasNull } from '../storage/compare';
import { indexPaths, keyIndexOf } from '../storage/schema/normalize';
import { nextKey } from '../planner/write-values';
import { ProgrammingError } from './errors';

/** Whether the collection's primary key is composite. */
export function hasCompositeKey(state: CollectionState): boolean {
  return state.meta.schema.keyIndex !== undefined;
}

/**
 * Give a validated stored row of a composite-key collection its rowid: the rowid of the row with
 * the same key, else a fresh one (a key holding a null matches no row, as in SQLite).
 */
export function assignRowid(state: CollectionState, stored: unknown[]): void {
  const ix = state.indexes.find((i) => i.def.name === state.meta.schema.keyIndex);
  const key = ix ? ix.accessor.get(stored) : null;
  const existing = ix && !keyHasNull(key) ? ix.tree.get(key) : undefined;
  stored[state.compiled.pkColumn] = existing ?? nextKey(state);
}

/**
 * `key` (one value per key field, in key order; a single key field's value may be given alone) in
 * stored form; throws ProgrammingError when it is not such an array.
 */
export function canonicalKey(state: CollectionState, key: unknown): unknown[] {
  const def = keyIndexOf(state.meta.schema);
  const paths = def ? indexPaths(def) : [];
  if (paths.length === 1 && !Array.isArray(key)) key = [key];
  if (!Array.isArray(key) || key.length !== paths.length)
    throw new ProgrammingError(
      `collection ${state.name} has a composite primary key: pass an array of ${paths.length} values (${paths.map((p) => p.join('.')).join(', ')})`,
      'PROGRAMMING',
    );
  return paths.map((p, i) =>
    key[i] === null || key[i] === undefined ? null : state.compiled.canonicalValue(p, key[i]),
  );
}

/** The rowid of the row whose key is `key` (canonical) in `indexes`, or undefined. */
export function rowidOf(
  state: CollectionState,
  indexes: readonly { readonly def: IndexView['def']; readonly tree: { get(key: unknown): unknown } }[],
  key: readonly unknown[],
): unknown {
  if (keyHasNull(key)) return undefined;
  const ix = indexes.find((i) => i.def.name === state.meta.schema.keyIndex);
  // A one-column key (a collated `name TEXT PRIMARY KEY`) is a plain value in its index.
  return ix?.tree.get(key.length === 1 ? key[0] : key);
}
