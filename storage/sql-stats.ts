/**
 * Planner statistics as the file stores them, written by ANALYZE (SQLite keeps the same facts in
 * sqlite_stat1): per table its row count when analysed, and per index the average number of rows
 * that share each leftmost prefix of its key (prefix of 1 column, of 2, …). The planner scales
 * them by the live row count, so they stay useful as a table grows; stale figures change only
 * which plan is chosen, never a result. The engine keeps the list like the SQL views: META
 * frames carry the whole list after each ANALYZE (`stats` key) and checkpoints carry it too
 * (docs/format.md §3.3, §4); readers that predate statistics ignore both keys.
 */
export interface IndexStats {
  readonly name: string;
  /** Average rows per distinct value of the first 1, 2, … key columns (each ≥ 1). */
  readonly avgRows: readonly number[];
}

export interface TableStats {
  readonly table: string;
  /** Rows when ANALYZE ran. */
  readonly rows: number;
  readonly indexes: readonly IndexStats[];
}

function positive(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x) && x >= 0;
}

/** The list decoded from a META frame or checkpoint, or null when its shape is wrong. */
export function readStoredStats(value: unknown): TableStats[] | null {
  if (!Array.isArray(value)) return null;
  const out: TableStats[] = [];
  for (const t of value) {
    if (!Array.isArray(t) || t.length !== 3 || typeof t[0] !== 'string' || !positive(t[1])) return null;
    if (!Array.isArray(t[2])) return null;
    const indexes: IndexStats[] = [];
    for (const ix of t[2] as unknown[]) {
      if (!Array.isArray(ix) || ix.length !== 2 || typeof ix[0] !== 'string' || !Array.isArray(ix[1]))
        return null;
      const avg = ix[1] as unknown[];
      if (!avg.every(positive)) return null;
      indexes.push({ name: ix[0], avgRows: avg as number[] });
    }
    out.push({ table: t[0], rows: t[1], indexes });
  }
  return out;
}

/** The stored shape: `[table, rows, [[index, [avg…]], …]]` per table. */
export function encodeStoredStats(stats: readonly TableStats[]): unknown[] {
  return stats.map((t) => [t.table, t.rows, t.indexes.map((ix) => [ix.name, [...ix.avgRows]])]);
}
