/**
 * One row made of two: what joins (and window slots) build per output row. Array.prototype.concat
 * is generic (it checks each argument for Symbol.isConcatSpreadable and handles holes and array
 * subclasses); copying into an array of the final length is 4–6× faster for rows of a few
 * columns (measured on Node 20: ~150 ns against ~30 ns for 4 + 3 values), which was a quarter of
 * a join + GROUP BY over 1M rows.
 */
export function joinedRow(a: readonly unknown[], b: readonly unknown[]): unknown[] {
  const n = a.length;
  const m = b.length;
  const row = new Array<unknown>(n + m);
  for (let k = 0; k < n; k++) row[k] = a[k];
  for (let k = 0; k < m; k++) row[n + k] = b[k];
  return row;
}
