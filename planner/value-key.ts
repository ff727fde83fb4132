import { TaggedReal } from './tagged-real';

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
      // A whole-number REAL of an 'any' column (planner/tagged-real.ts) keys as its number.
      if (v instanceof TaggedReal) return valueKey(v.value);
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

/**
 * A key for grouping by one value, equal for exactly the values valueKey makes equal, built
 * without string concatenation for the common cases: strings stay themselves, and numbers,
 * booleans and safe bigints become one canonical number. null means "use valueKey".
 */
export function primitiveKey(v: unknown): string | number | null {
  switch (typeof v) {
    case 'string':
      return v;
    case 'number':
      // An unsafe integer equals some bigint: those share valueKey's decimal form instead.
      return Number.isInteger(v) && !Number.isSafeInteger(v) ? null : v;
    case 'boolean':
      return v ? 1 : 0;
    case 'bigint':
      return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : null;
    default:
      // A whole-number REAL of an 'any' column (planner/tagged-real.ts) groups with its number.
      return v instanceof TaggedReal ? v.value : null;
  }
}

/** Groups keyed by tuples of values (GROUP BY); one-value tuples take a faster path. */
export class GroupIndex<G> {
  private readonly fast = new Map<string | number, G>();
  private readonly slow = new Map<string, G>();
  private nullGroup: G | undefined = undefined;

  /** The group of the one-value tuple [v]. */
  findOne(v: unknown): G | undefined {
    if (v === null || v === undefined) return this.nullGroup;
    const k = primitiveKey(v);
    return k === null ? this.slow.get(valueKey(v)) : this.fast.get(k);
  }

  addOne(v: unknown, g: G): void {
    if (v === null || v === undefined) {
      this.nullGroup = g;
      return;
    }
    const k = primitiveKey(v);
    if (k === null) this.slow.set(valueKey(v), g);
    else this.fast.set(k, g);
  }

  find(keys: readonly unknown[]): G | undefined {
    return keys.length === 1 ? this.findOne(keys[0]) : this.slow.get(tupleKey(keys));
  }

  add(keys: readonly unknown[], g: G): void {
    if (keys.length === 1) this.addOne(keys[0], g);
    else this.slow.set(tupleKey(keys), g);
  }

  get size(): number {
    return this.fast.size + this.slow.size + (this.nullGroup === undefined ? 0 : 1);
  }

  values(): G[] {
    const out = [...this.fast.values(), ...this.slow.values()];
    if (this.nullGroup !== undefined) out.push(this.nullGroup);
    return out;
  }
}
