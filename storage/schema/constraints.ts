/**
 * Constraint checks, compiled once per field. Regexes are screened when the schema is defined:
 * patterns with a quantified group that itself contains a quantifier
 * ((a+)+, (a*)*, (\w+\s?)+ ...) can backtrack catastrophically and are refused, and inputs
 * longer than REGEX_MAX_INPUT characters are refused before matching, so matching stays bounded.
 */
import { SchemaError } from '../../src/errors';
import type { Constraint } from './descriptors';

export const REGEX_MAX_INPUT = 10_000;

/** The constraint's single key. */
export function constraintKind(c: Constraint): string {
  const keys = Object.keys(c);
  if (keys.length !== 1)
    throw new SchemaError(
      `a constraint is an object with exactly one key, got ${JSON.stringify(Object.keys(c))}`,
    );
  return keys[0];
}

/** Refuse patterns whose backtracking can blow up (nested quantifiers), or that do not compile. */
export function compileSafeRegex(pattern: string, where: string): RegExp {
  if (typeof pattern !== 'string') throw new SchemaError(`${where}: regex must be a string`);
  let re: RegExp;
  try {
    re = new RegExp(pattern, 'u');
  } catch (err) {
    throw new SchemaError(
      `${where}: invalid regex /${pattern}/: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  if (hasNestedQuantifier(pattern)) {
    throw new SchemaError(
      `${where}: regex /${pattern}/ nests quantifiers (catastrophic backtracking risk); rewrite it without a repeated group that contains a repeat`,
    );
  }
  return re;
}

/** Structural check: a group followed by a quantifier whose body contains a quantifier. */
function hasNestedQuantifier(p: string): boolean {
  const stack: { inner: boolean }[] = [];
  let inClass = false;
  for (let i = 0; i < p.length; i++) {
    const c = p[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') inClass = true;
    else if (c === '(') stack.push({ inner: false });
    else if (c === ')') {
      const g = stack.pop();
      const next = p[i + 1];
      const quantified = next === '*' || next === '+' || next === '{';
      if (g && g.inner && quantified) return true;
      if (g && stack.length > 0 && (g.inner || quantified)) stack[stack.length - 1].inner = true;
    } else if ((c === '*' || c === '+' || c === '{') && stack.length > 0) {
      stack[stack.length - 1].inner = true;
    }
  }
  return false;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/u;

export function isEmail(s: string): boolean {
  return s.length <= 320 && EMAIL.test(s);
}

export function isUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return ['http:', 'https:', 'ftp:', 'ws:', 'wss:'].includes(u.protocol) && u.host.length > 0;
  } catch {
    return false;
  }
}

/** Length in code points (what a user means by characters), not UTF-16 units. */
export function codePointLength(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) i++;
    n++;
  }
  return n;
}
