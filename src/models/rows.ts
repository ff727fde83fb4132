/**
 * Row helpers shared by the sync and async typed collections: 'now' defaults, update() merging,
 * subset projection, primary-key comparison.
 */
import { isRecord } from '../../storage/schema/to-stored';

type Row = Record<string, unknown>;

/** insert()'s options for a model's insert: an existing key is an error. */
export const ABORT = { onConflict: 'abort' } as const;

/** Fill `'now'` defaults the row leaves out; identity when the model has none. */
export function nowFiller(paths: readonly (readonly string[])[]): (row: Row) => Row {
  if (paths.length === 0) return (row) => row;
  return (row) => {
    if (!isRecord(row)) return row; // the validator reports it
    const now = new Date();
    let out = row;
    for (const p of paths) out = setIfAbsent(out, p, 0, now);
    return out;
  };
}

/** A copy of `obj` with `now` at `path` when it is undefined there (objects on the way are copied). */
function setIfAbsent(obj: Row, path: readonly string[], i: number, now: Date): Row {
  const key = path[i];
  const has = Object.prototype.hasOwnProperty.call(obj, key);
  const v = has ? obj[key] : undefined;
  if (i === path.length - 1) return v === undefined ? { ...obj, [key]: new Date(now.getTime()) } : obj;
  if (!isRecord(v)) return obj; // absent or null parent: nothing to fill, the validator decides
  const inner = setIfAbsent(v, path, i + 1, now);
  return inner === v ? obj : { ...obj, [key]: inner };
}

export function pick(row: Row, keys: readonly string[]): Row {
  const out: Row = {};
  for (const k of keys) out[k] = row[k];
  return out;
}

export function merge(current: Row, patch: Row): Row {
  const out: Row = { ...current };
  for (const k of Object.keys(patch)) {
    const v = patch[k];
    if (v === undefined) continue;
    const c = out[k];
    out[k] = isRecord(v) && isRecord(c) ? merge(c, v) : v;
  }
  return out;
}

export function sameValue(a: unknown, b: unknown): boolean {
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  if (a instanceof Uint8Array && b instanceof Uint8Array) return Buffer.compare(a, b) === 0;
  if (typeof a === 'bigint' || typeof b === 'bigint') {
    try {
      return BigInt(a as number) === BigInt(b as number);
    } catch {
      return false;
    }
  }
  return a === b;
}
