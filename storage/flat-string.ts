/**
 * Stored keys as flat strings. V8 represents the result of a concatenation of 13 or more
 * characters (`'SKU-' + n`, template literals) as a tree of its parts (a "cons string") until
 * something flattens it, and it compares two strings by walking their trees: a binary search over
 * 200,000 UUID-shaped keys built by template literals took 2–3× as long as over the same keys as
 * flat strings (the bench's keys, and any application's keys built that way). Index trees keep
 * their keys for the life of the process, so a key is made flat once, when it is stored.
 */

/** V8 builds shorter concatenations as flat strings already. */
const CONS_MIN_LENGTH = 13;

/**
 * `s`, flat. normalize() returns a flat string; when `s` is not in NFC that string differs from
 * `s`, and `s` itself is kept (a stored value never changes).
 */
export function flatString(s: string): string {
  if (s.length < CONS_MIN_LENGTH) return s;
  const n = s.normalize();
  return n === s ? n : s;
}

function flattenAt(row: unknown[], column: number, current: readonly unknown[] | undefined): void {
  const v = row[column];
  // The string the stored row holds was made flat when it was stored: an UPDATE's row shares its
  // unchanged strings (the same object compares equal without being read), and a new string equal
  // to the stored one changes no index key, so the trees keep the flat one they hold.
  if (current !== undefined && current[column] === v) return;
  if (typeof v === 'string' && v.length >= CONS_MIN_LENGTH) row[column] = flatString(v);
}

/**
 * Make the strings of a row about to be stored flat where they are keys: its primary key and its
 * top-level indexed columns (in place; the row then holds only the flat copy). `current`: the
 * stored row it replaces, whose strings an UPDATE's row shares where their columns did not change.
 */
export function flattenKeys(
  row: unknown[],
  pkColumn: number,
  indexes: readonly {
    readonly columns: readonly { readonly column: number; readonly sub: readonly number[] }[];
  }[],
  current?: readonly unknown[],
): void {
  flattenAt(row, pkColumn, current);
  for (let i = 0; i < indexes.length; i++) {
    const columns = indexes[i].columns;
    for (let j = 0; j < columns.length; j++)
      if (columns[j].sub.length === 0) flattenAt(row, columns[j].column, current);
  }
}
