/**
 * The tree order of a staged run of a multi-mode tree (a secondary index: entries are (key,
 * primary key) pairs, btree.ts `addNew`). Entries are staged by key group, in arrival order: a
 * bulk load into a non-unique index (a status, a quantity) brings many entries per key, so the
 * run is ordered by sorting its few distinct keys and placing the entries by a counting sort,
 * which keeps each group in arrival order; a group's values are then sorted only when they did
 * not arrive ascending (a load in primary-key order never needs it).
 */
import { InternalError } from '../src/errors';

/**
 * Entries `(groupKeys[groups[i]], vals[i])` in tree order. `keyOrder`: the positions of the
 * distinct `groupKeys` in ascending key order. A repeated (key, value) pair is an InternalError:
 * the caller stages only pairs it knows to be new.
 */
export function multiRunOrder<K, V>(
  groupKeys: readonly K[],
  keyOrder: Uint32Array,
  groups: readonly number[],
  vals: readonly V[],
  valueCompare: (a: V, b: V) => number,
): { keys: K[]; values: V[] } {
  const g = groupKeys.length;
  const n = groups.length;
  const rank = new Uint32Array(g);
  for (let r = 0; r < g; r++) rank[keyOrder[r]] = r;
  // starts[r]: where the group of rank r begins in the output (a prefix sum of the group sizes).
  const starts = new Uint32Array(g + 1);
  for (let i = 0; i < n; i++) starts[rank[groups[i]] + 1]++;
  for (let r = 0; r < g; r++) starts[r + 1] += starts[r];
  const next = starts.slice(0, g);
  const keys = new Array<K>(n);
  const values = new Array<V>(n);
  for (let i = 0; i < n; i++) {
    const r = rank[groups[i]];
    const at = next[r]++;
    keys[at] = groupKeys[keyOrder[r]];
    values[at] = vals[i];
  }
  for (let r = 0; r < g; r++) {
    const from = starts[r];
    const to = starts[r + 1];
    let ascending = true;
    for (let i = from + 1; i < to && ascending; i++)
      if (valueCompare(values[i - 1], values[i]) >= 0) ascending = false;
    if (ascending) continue;
    const group = values.slice(from, to).sort(valueCompare);
    for (let i = 0; i < group.length; i++) {
      if (i > 0 && valueCompare(group[i - 1], group[i]) === 0)
        throw new InternalError('BTree: a staged run holds one entry twice');
      values[from + i] = group[i];
    }
  }
  return { keys, values };
}
