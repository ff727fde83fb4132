/**
 * The row work of compound SELECTs (UNION [ALL], INTERSECT, EXCEPT) over two row sources of equal
 * width. Equality is SQLite's (NULLs equal each other, 2 equals 2.0, text under the column's
 * collation). Of rows equal under it, each side keeps the first it reads, and UNION's right side
 * replaces an equal row of its left (SQLite's temporary index: `SELECT 3 UNION SELECT 3.0` is
 * 3.0, `SELECT 'a' COLLATE NOCASE UNION SELECT 'A'` is 'A').
 */
import type { Collation } from './expr';
import type { Row } from './compile-expr';
import { collationKey, compareCollated } from './sql-text';
import { tupleKey } from './value-key';
import { source } from './source';

export interface RowStream {
  next(): Row | null;
}

/** UNION ALL: every left row, then every right row. */
export function concatRows(left: RowStream, right: RowStream): RowStream {
  let leftDone = false;
  return source(() => {
    if (!leftDone) {
      const row = left.next();
      if (row !== null) return row;
      leftDone = true;
    }
    return right.next();
  });
}

/**
 * UNION, INTERSECT or EXCEPT: the distinct rows of the result in ascending order of the whole row
 * (column by column, under each column's collation), the order SQLite's temporary index yields.
 */
export function setOperation(
  op: 'Union' | 'Intersect' | 'Except',
  left: RowStream,
  right: RowStream,
  collations: readonly (Collation | undefined)[],
): Row[] {
  const folded = collations.some((c) => c !== undefined && c !== 'binary');
  const key = folded
    ? (row: Row): string => tupleKey(row.map((v, i) => (collations[i] ? collationKey(v, collations[i]) : v)))
    : (row: Row): string => tupleKey(row);
  const kept = new Map<string, Row>();
  for (let row = left.next(); row !== null; row = left.next()) {
    const k = key(row);
    if (!kept.has(k)) kept.set(k, row);
  }
  if (op === 'Union') {
    const fromRight = new Set<string>();
    for (let row = right.next(); row !== null; row = right.next()) {
      const k = key(row);
      if (fromRight.has(k)) continue;
      fromRight.add(k);
      kept.set(k, row);
    }
  } else {
    const seen = new Set<string>();
    for (let row = right.next(); row !== null; row = right.next()) seen.add(key(row));
    for (const k of kept.keys()) if (seen.has(k) !== (op === 'Intersect')) kept.delete(k);
  }
  const rows = [...kept.values()];
  return rows.sort((a, b) => {
    for (let i = 0; i < a.length; i++) {
      const c = compareCollated(a[i], b[i], collations[i]);
      if (c !== 0) return c;
    }
    return 0;
  });
}
