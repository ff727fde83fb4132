/** The error `fn` throws, checked to be a `cls` with `code` (fails the test when it returns). */
export function thrown<E extends Error & { code: string }>(
  fn: () => unknown,
  cls: abstract new (...args: never[]) => E,
  code: string,
): E {
  let caught: unknown = null;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(cls);
  expect((caught as E).code).toBe(code);
  return caught as E;
}
