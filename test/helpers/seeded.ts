/** A seeded integer source for test data: next(m) is in [0, m), the same sequence for a seed. */
export function seeded(seed: number): (m: number) => number {
  let x = seed;
  return (m) => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x % m;
  };
}

/**
 * A seeded choice source whose LCG step is exact (Math.imul: 32-bit wrap-around), so its period
 * is 2^32; next(n) is in [0, n).
 */
export function lcg(seed: number): (n: number) => number {
  let x = seed >>> 0;
  return (n) => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x % n;
  };
}
