/**
 * How row converters report a bad value. A converter returns INVALID after recording the reason
 * with `invalid()`; every enclosing converter adds its own step (object key or list index) with
 * `step()` on the way out, and the public entry point turns the record into an error.
 *
 * Why not throw with the path: the converters would have to carry a path string per field and per
 * list element on every call (allocation on the bulk-insert path), or catch and rethrow at every
 * level. This way the success path allocates nothing but its output and the dotted path is built
 * only when something failed. Conversion is synchronous and runs no user callbacks between a
 * failure and its report, so one module-level record is enough.
 */
import { DataError, ValidationError } from '../../src/errors';

export const INVALID: unique symbol = Symbol('modelvault.invalid');
export type Invalid = typeof INVALID;

/** An object key, or a list index. */
type Step = string | number;

let reason = '';
/** Innermost step first. */
const trail: Step[] = [];

export function invalid(why: string): Invalid {
  reason = why;
  trail.length = 0;
  return INVALID;
}

export function step(s: Step): Invalid {
  trail.push(s);
  return INVALID;
}

/** Dotted path of the last failure below `base`: 'tags[2]', 'items[0].name'. */
function failedPath(base: readonly string[]): string {
  let text = base.join('.');
  for (let i = trail.length - 1; i >= 0; i--) {
    const s = trail[i];
    if (typeof s === 'number') text += `[${s}]`;
    else text += text.length === 0 ? s : `.${s}`;
  }
  return text;
}

export function validationFailure(base: readonly string[] = []): ValidationError {
  const path = failedPath(base);
  return new ValidationError(`${path || 'row'}: ${reason}`, path);
}

/** The last failure as text, its path relative to where conversion started. */
export function failureText(): string {
  const path = failedPath([]);
  return path ? `${path}: ${reason}` : reason;
}

export function precisionFailure(): DataError {
  const path = failedPath([]);
  return new DataError(`${path}: ${reason}`, 'INT_PRECISION', { path });
}

/** A value's kind for messages; never the value itself, which may be large or private. */
export function describe(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (Array.isArray(v)) return 'an array';
  if (v instanceof Uint8Array) return 'bytes';
  if (v instanceof Date) return 'a Date';
  if (typeof v === 'number') return Number.isNaN(v) ? 'NaN' : 'a number';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

/** The type did not match: a missing value reads as 'is required' (NOT NULL for SQL callers). */
export function mismatch(expected: string, v: unknown): Invalid {
  return invalid(v === null || v === undefined ? 'is required' : `expected ${expected}, got ${describe(v)}`);
}
