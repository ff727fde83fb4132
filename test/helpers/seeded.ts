/** A seeded integer source for test data: next(m) is in [0, m), the same sequence for a seed. */
export function seeded(seed: number): (m: number) => number {
  let x = seed;
  return (m) => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x % m;
  };
}
