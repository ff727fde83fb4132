/**
 * The one place where deliberate differences between ModelVault and SQLite are normalized before
 * results are compared (docs/sql.md "Differences from SQLite"):
 *  - BOOLEAN columns come back from ModelVault as true/false, from SQLite as 1/0 → both 1/0.
 *  - BLOBs are compared as hex.
 *  - Numbers: INTEGER and REAL both arrive as JS numbers; compared with a 1e-12 relative
 *    tolerance (SQLite's own REAL printing is not involved), -0 equals 0.
 *  - Integers beyond 2^53: both engines run with safe integers; ModelVault never rounds them.
 */
export function normValue(v: unknown): unknown {
  if (v === true) return 1;
  if (v === false) return 0;
  // Both engines run in safe-integer mode; which integers arrive as bigint differs (ModelVault
  // types parameters by value), so compare safe ones as numbers and the rest exactly as text.
  if (typeof v === 'bigint') return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : `${v}n`;
  if (v instanceof Uint8Array) return `x'${Buffer.from(v).toString('hex')}'`;
  if (typeof v === 'number' && Object.is(v, -0)) return 0;
  return v;
}

export function normRow(row: readonly unknown[]): unknown[] {
  return row.map(normValue);
}

function valuesMatch(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') {
    if (a === b) return true;
    if (!Number.isFinite(a) || !Number.isFinite(b)) return false;
    return Math.abs(a - b) <= 1e-12 * Math.max(Math.abs(a), Math.abs(b));
  }
  return a === b;
}

export function rowsMatch(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length === b.length && a.every((v, i) => valuesMatch(v, b[i]));
}

/** Sort key for multiset comparison (numbers rounded so tolerance-equal values sort together). */
export function rowKey(row: readonly unknown[]): string {
  return JSON.stringify(row.map((v) => (typeof v === 'number' ? Number(v.toPrecision(10)) : v)));
}
