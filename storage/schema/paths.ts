/** Field paths: 'a.b' and ['a', 'b'] are the same multi-segment path. */
import { SchemaError } from '../../src/errors';

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
  if (segs.length === 0 || segs.some((s) => s.length === 0))
    throw new SchemaError(`invalid path '${segs.join('.')}': empty segment`);
  return segs;
}

export function pathText(path: readonly string[]): string {
  return path.join('.');
}
