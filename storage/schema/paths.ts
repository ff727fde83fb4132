/**
 * Field paths: 'a.b' and ['a', 'b'] are the same multi-segment path. Segments are checked here
 * once, when a schema or a query names a path, so the row converters can trust them.
 */
import { SchemaError } from '../../src/errors';

/** Runtime method of Node ≥ 20 that the ES2022 typings do not declare yet. */
interface WellFormed {
  isWellFormed(): boolean;
}

/**
 * Whether `s` has no lone surrogate. Stored strings are UTF-8, which cannot carry one: the encoder
 * would silently turn it into U+FFFD, so a value read back after reopen would differ from the one
 * written (and from the copy still in the row cache).
 */
export function isWellFormed(s: string): boolean {
  return (s as unknown as WellFormed).isWellFormed();
}

export function parsePath(path: string | readonly string[]): string[] {
  let segs: string[];
  if (typeof path === 'string') segs = path.split('.');
  else if (Array.isArray(path)) {
    segs = path.map((s: unknown) => {
      if (typeof s !== 'string') throw new SchemaError(`path segments must be strings, got ${typeof s}`);
      if (s.includes('.')) throw new SchemaError(`path segment '${s}' must not contain '.'`);
      return s;
    });
  } else throw new SchemaError(`a path must be a string or an array of strings`);
  const text = segs.join('.');
  if (segs.length === 0 || segs.some((s) => s.length === 0))
    throw new SchemaError(`invalid path '${text}': empty segment`);
  if (!isWellFormed(text)) throw new SchemaError(`invalid path '${text}': lone surrogate in a name`);
  // Assigning it on a plain object replaces the prototype instead of creating a field.
  if (segs.includes('__proto__')) throw new SchemaError(`invalid path '${text}': '__proto__' is reserved`);
  return segs;
}

export function pathText(path: readonly string[]): string {
  return path.join('.');
}

/** Set `value` at a (multi-segment) path of a user row object, creating the objects on the way. */
export function setPath(obj: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let o = obj;
  for (let i = 0; i < path.length - 1; i++) {
    const next = o[path[i]];
    if (typeof next !== 'object' || next === null) o[path[i]] = {};
    o = o[path[i]] as Record<string, unknown>;
  }
  o[path[path.length - 1]] = value;
}
