/**
 * SQLite's value order, the one comparison function. Indexes, Sort, DISTINCT, GROUP BY and
 * predicates all use it, so the planner can swap an index walk for a sort without changing a
 * result. Order: NULL < numbers (number, bigint, boolean as 0/1; compared by exact value) <
 * text (by Unicode code point = UTF-8 byte order, not JS UTF-16 order) < bytes (memcmp).
 */
import { collatedForm } from './collation';
import type { KeyCollation } from './collation';

function rank(v: unknown): number {
  if (v === null || v === undefined) return 0;
  if (v === KEY_BOTTOM) return -1;
  const t = typeof v;
  if (t === 'number') return Number.isNaN(v) ? 0 : 1;
  if (t === 'bigint' || t === 'boolean') return 1;
  if (t === 'string') return 2;
  if (v instanceof Uint8Array) return 3;
  return 4;
}

/**
 * Exact comparison of two numeric values, including number vs bigint beyond 2^53: the language
 * compares a bigint with a number by mathematical value (infinities included), never by
 * rounding the bigint to a double.
 */
function compareNumeric(a: number | bigint | boolean, b: number | bigint | boolean): number {
  const x = typeof a === 'boolean' ? (a ? 1 : 0) : a;
  const y = typeof b === 'boolean' ? (b ? 1 : 0) : b;
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Code-point comparison of two JS strings. */
export function compareText(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (U+D800–U+DFFF) encode code points above U+FFFF: they sort after U+E000–U+FFFF.
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys) return xs ? 1 : -1;
    return x < y ? -1 : 1;
  }
  return a.length - b.length < 0 ? -1 : a.length > b.length ? 1 : 0;
}

/** Up to this length a JS loop beats Buffer.compare's native call overhead (~2x at 16 bytes). */
const SHORT_BYTES = 32;

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = a.length < b.length ? a.length : b.length;
  if (n > SHORT_BYTES) return Buffer.compare(a, b);
  for (let i = 0; i < n; i++) {
    const d = a[i] - b[i];
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

export function compareValues(a: unknown, b: unknown): number {
  // Fast paths for the common same-type cases (index keys are usually all numbers or all strings).
  if (typeof a === 'number' && typeof b === 'number' && a === a && b === b) return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'string' && typeof b === 'string') return a === b ? 0 : compareText(a, b);
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra < rb ? -1 : 1;
  switch (ra) {
    case 0:
      return 0;
    case 1:
      return compareNumeric(a as number, b as number);
    case 2:
      return a === b ? 0 : compareText(a as string, b as string);
    case 3:
      return compareBytes(a as Uint8Array, b as Uint8Array);
    default:
      return 0;
  }
}

export function compareTuples(a: readonly unknown[], b: readonly unknown[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const c = compareValues(a[i], b[i]);
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

export function valuesEqual(a: unknown, b: unknown): boolean {
  return compareValues(a, b) === 0;
}

/**
 * Order of index keys: a composite index's key is a tuple (one value per column) compared
 * column by column; a single-column key is a plain value. A shorter tuple that is a prefix of a
 * longer one sorts first, and KEY_TOP sorts after every stored value, so `[x]` and `[x, KEY_TOP]`
 * bound every key starting with x.
 */
export function compareKeys(a: unknown, b: unknown): number {
  if (!Array.isArray(a) || !Array.isArray(b)) return compareValues(a, b);
  const n = a.length < b.length ? a.length : b.length;
  for (let i = 0; i < n; i++) {
    const x: unknown = a[i];
    const y: unknown = b[i];
    // The common columns inline (numbers that are not NaN, equal strings); the rest by value order.
    if (typeof x === 'number' && typeof y === 'number' && x === x && y === y) {
      if (x !== y) return x < y ? -1 : 1;
      continue;
    }
    if (x === y && typeof x === 'string') continue;
    const c = compareValues(x, y);
    if (c !== 0) return c;
  }
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
}

/** A bound above every stored value (compareValues ranks a plain object after all of them). */
export const KEY_TOP: unknown = Object.freeze({ top: true });

/** A bound below every stored value, NULL included (the bound a descending column ends at). */
export const KEY_BOTTOM: unknown = Object.freeze({ bottom: true });

/**
 * Order of a composite index whose columns are ascending or descending (`desc[i]`): column by
 * column, a descending column's value order reversed, a key that is a prefix of another first.
 */
export function directedKeyCompare(desc: readonly boolean[]): (a: unknown, b: unknown) => number {
  return (a, b) => {
    const x = a as readonly unknown[];
    const y = b as readonly unknown[];
    const n = x.length < y.length ? x.length : y.length;
    for (let i = 0; i < n; i++) {
      const c = compareValues(x[i], y[i]);
      if (c !== 0) return desc[i] === true ? -c : c;
    }
    return x.length < y.length ? -1 : x.length > y.length ? 1 : 0;
  };
}

/**
 * Order of an index whose key columns are compared under collations (`collations[i]`, null for
 * BINARY; NormalizedIndex.collate): a UNIQUE column declared COLLATE NOCASE holds 'a' or 'A', not
 * both. Text is compared by its folded or trimmed form, everything else as compareValues orders
 * it; `desc` as for directedKeyCompare (null: all ascending). A single-column key is a plain value.
 */
export function collatedKeyCompare(
  collations: readonly (KeyCollation | null)[],
  desc: readonly boolean[] | null,
): (a: unknown, b: unknown) => number {
  const column = (i: number, x: unknown, y: unknown): number => {
    const c = collations[i];
    const r = c === null ? compareValues(x, y) : compareValues(collatedForm(x, c), collatedForm(y, c));
    return desc !== null && desc[i] === true ? -r : r;
  };
  if (collations.length === 1) return (a, b) => (a === b ? 0 : column(0, a, b));
  return (a, b) => {
    const x = a as readonly unknown[];
    const y = b as readonly unknown[];
    const n = x.length < y.length ? x.length : y.length;
    for (let i = 0; i < n; i++) {
      const c = x[i] === y[i] ? 0 : column(i, x[i], y[i]);
      if (c !== 0) return c;
    }
    return x.length < y.length ? -1 : x.length > y.length ? 1 : 0;
  };
}

/** Whether a unique index key holds a NULL column: such keys never clash (SQLite's rule). */
/**
 * Whether two index keys are the same stored value, not merely equal in the index's order: an
 * entry under `a` is then exactly an entry under `b` (covering reads return the key itself, so
 * 1 and 1.0, or 'a' and 'A' under NOCASE, are different keys here). Primitives by Object.is,
 * composite keys column by column; anything else (a BLOB) is never the same.
 */
export function sameStoredKey(a: unknown, b: unknown): boolean {
  if (typeof a !== 'object' || a === null) return Object.is(a, b);
  if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x: unknown = a[i];
    if (!Object.is(x, b[i]) || (typeof x === 'object' && x !== null)) return false;
  }
  return true;
}

export function keyHasNull(key: unknown): boolean {
  if (key === null) return true;
  if (Array.isArray(key)) {
    for (const v of key) if (v === null) return true;
  }
  return false;
}
