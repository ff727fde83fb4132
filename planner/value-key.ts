/**
 * A string key per value such that two values get the same key exactly when compareValues says
 * they are equal (1, 1.0 and 1n share a key; '1' does not; all NULLs share one). DISTINCT and
 * GROUP BY hash on it.
 */
export function valueKey(v: unknown): string {
  if (v === null || v === undefined) return 'z';
  switch (typeof v) {
    case 'number':
      return Number.isInteger(v) && !Number.isSafeInteger(v)
        ? `n${BigInt(v).toString()}`
        : `n${v === 0 ? 0 : v}`;
    case 'bigint':
      return `n${v.toString()}`;
    case 'boolean':
      return v ? 'n1' : 'n0';
    case 'string':
      return `s${v}`;
    default:
      if (v instanceof Uint8Array)
        return `b${Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex')}`;
      return `o${JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x))}`;
  }
}

export function tupleKey(values: readonly unknown[]): string {
  if (values.length === 1) return valueKey(values[0]);
  let out = '';
  for (const v of values) out += `${valueKey(v)}\u0000`;
  return out;
}
