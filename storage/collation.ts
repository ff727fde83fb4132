/**
 * SQLite's NOCASE and RTRIM collating sequences as the forms of a text value they compare by:
 * the one place that knows them, for the planner's comparisons, sorts and groups and for index
 * trees whose key columns are ordered under a collation (a UNIQUE column declared COLLATE NOCASE).
 */

/** A collation other than BINARY, as a schema field and an index key column name it. */
export type KeyCollation = 'nocase' | 'rtrim';

/** NOCASE folds only the ASCII letters, like SQLite's sqlite3StrICmp. */
export function foldAscii(s: string): string {
  return /[A-Z]/.test(s) ? s.replace(/[A-Z]+/g, (m) => m.toLowerCase()) : s;
}

/** RTRIM ignores trailing spaces (U+0020 only). */
export function trimSpaces(s: string): string {
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === 32) end--;
  return end === s.length ? s : s.slice(0, end);
}

/** The form `v` is compared by under `collation`: text folded or trimmed, other values as they are. */
export function collatedForm(v: unknown, collation: KeyCollation): unknown {
  if (typeof v !== 'string') return v;
  return collation === 'nocase' ? foldAscii(v) : trimSpaces(v);
}
