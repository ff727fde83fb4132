/** Binary search over ascending numbers, shared by the storage layers that keep sorted offsets. */

/** The first index in `sorted[0, end)` whose value is not below `x` (`end` when there is none). */
export function lowerBound(sorted: ArrayLike<number>, x: number, end: number = sorted.length): number {
  let lo = 0;
  let hi = end;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
