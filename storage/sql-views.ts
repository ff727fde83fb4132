/**
 * SQL views as the file stores them: the name and the `CREATE VIEW` text, as SQLite keeps them in
 * sqlite_master. The engine holds the list like user_version: META frames carry the whole list
 * after each change (`views` key), checkpoints carry it too (docs/format.md §3.3, §4); readers that
 * predate views ignore both keys.
 */
export interface StoredView {
  readonly name: string;
  /** The CREATE VIEW statement as written (without a TEMP keyword: temporary views are not stored). */
  readonly sql: string;
}

/** The list decoded from a META frame or checkpoint, or null when its shape is wrong. */
export function readStoredViews(value: unknown): StoredView[] | null {
  if (!Array.isArray(value)) return null;
  const out: StoredView[] = [];
  for (const v of value) {
    if (!Array.isArray(v) || v.length !== 2 || typeof v[0] !== 'string' || typeof v[1] !== 'string')
      return null;
    out.push({ name: v[0], sql: v[1] });
  }
  return out;
}

/** The stored shape: an array of `[name, sql]` pairs. */
export function encodeStoredViews(views: readonly StoredView[]): [string, string][] {
  return views.map((v) => [v.name, v.sql]);
}
