/**
 * Outer columns of correlated subqueries. The inner query reads each one as a ParamExpr with a
 * reserved key; before each run of the inner plan the subquery binds the key to the value on the
 * current outer row. Runs are synchronous (the inner plan is drained before the outer row moves
 * on) and keys are unique per statement lowering, so one table of current values serves every
 * statement; a nested run saves and restores what it rebinds.
 */
const PREFIX = '\u0001outer:';
let next = 0;
const values = new Map<string, unknown>();

/** A fresh key (no user parameter name can start with the control character). */
export function newOuterKey(): string {
  next = (next + 1) % Number.MAX_SAFE_INTEGER;
  return `${PREFIX}${next}`;
}

export function isOuterKey(key: string): boolean {
  return key.startsWith(PREFIX);
}

export function outerValue(key: string): unknown {
  return values.get(key) ?? null;
}

/** Run `fn` with `keys` bound to `bound`, restoring the previous bindings afterwards. */
export function withOuterValues<T>(keys: readonly string[], bound: readonly unknown[], fn: () => T): T {
  const saved = keys.map((k) => values.get(k));
  keys.forEach((k, i) => values.set(k, bound[i]));
  try {
    return fn();
  } finally {
    keys.forEach((k, i) => {
      const v = saved[i];
      if (v === undefined) values.delete(k);
      else values.set(k, v);
    });
  }
}
