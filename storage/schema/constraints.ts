/**
 * Constraints: which apply to which type (checked when a schema is defined), and the checks
 * compiled once per field for the write path. A check returns null when the value passes, or the
 * failure message; the messages of real constraint failures all say "must" so SQL callers can
 * report them as CHECK failures.
 *
 * Regex safety, two rules:
 * 1. When a schema is defined, a pattern is refused if a group that repeats (`*`, `+`, `{n,}`,
 *    `{n,m}` with m > 1, `{n}` with n > 1) contains a variable quantifier (`*`, `+`, `?`, `{n,}`,
 *    `{n,m}` with m > n) or an alternation (`|`). Those are the shapes — (a+)+, (a*)*, (a|a)*,
 *    (a?){20} — in which a failing match can try exponentially many ways to split the input. The
 *    check is structural, so it also refuses some safe patterns ((ab|cd)+); the message says what
 *    to rewrite. Patterns already stored in a file are not screened again, so tightening the rule
 *    never makes an existing file unreadable.
 *    Backreferences (\1, \k<name>) and lookarounds ((?=, (?!, (?<=, (?<!) are refused outright:
 *    with a backreference no structural rule bounds the work ((a+)\1+$ took 11–14 s on 4,000
 *    characters), and refusing lookarounds keeps every accepted pattern a plain regular
 *    expression (issue 11, item 7).
 * 2. On write, a value longer than REGEX_MAX_INPUT UTF-16 units fails before matching: what the
 *    screen lets through (adjacent overlapping repeats such as \s*\s*) is at worst polynomial,
 *    and the cap keeps that bounded.
 */
import { SchemaError } from '../../src/errors';
import type { Constraint } from './descriptors';

export const REGEX_MAX_INPUT = 10_000;

export type Check = (v: unknown) => string | null;

type Kind = 'min' | 'max' | 'minLength' | 'maxLength' | 'regex' | 'email' | 'url' | 'nonEmpty';

const NUMERIC = new Set(['int64', 'uint64', 'float64']);
const SIZED = new Set(['string', 'uuid', 'enum', 'list', 'bytes']);
const TEXTUAL = new Set(['string', 'uuid', 'enum']);

/** The constraint's single key. */
export function constraintKind(c: Constraint): Kind {
  const keys = Object.keys(c);
  if (keys.length !== 1)
    throw new SchemaError(`a constraint is an object with exactly one key, got ${JSON.stringify(keys)}`);
  return keys[0] as Kind;
}

/**
 * Check one constraint descriptor against the (non-optional) type kind it is declared on, and
 * return a fresh copy for the normalized schema.
 */
export function normalizeConstraint(raw: unknown, typeKind: string, where: string): Constraint {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new SchemaError(`${where}: a constraint must be an object such as { maxLength: 10 }`);
  const c = raw as Constraint;
  const kind = constraintKind(c);
  const value: unknown = (c as Record<string, unknown>)[kind];
  const applies = (ok: boolean, what: string): void => {
    if (!ok) throw new SchemaError(`${where}: ${kind} applies to ${what}, not ${typeKind}`);
  };
  switch (kind) {
    case 'min':
    case 'max':
      applies(NUMERIC.has(typeKind), 'int64, uint64 and float64');
      if (!(typeof value === 'bigint' || (typeof value === 'number' && Number.isFinite(value))))
        throw new SchemaError(`${where}: ${kind} must be a finite number or a bigint`);
      return kind === 'min' ? { min: value } : { max: value };
    case 'minLength':
    case 'maxLength':
      applies(SIZED.has(typeKind), 'strings, lists and bytes');
      if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
        throw new SchemaError(`${where}: ${kind} must be a non-negative integer`);
      return kind === 'minLength' ? { minLength: value } : { maxLength: value };
    case 'nonEmpty':
      applies(SIZED.has(typeKind), 'strings, lists and bytes');
      if (value !== true) throw new SchemaError(`${where}: nonEmpty must be true`);
      return { nonEmpty: true };
    case 'regex':
      applies(TEXTUAL.has(typeKind), 'strings');
      screenRegex(value, where);
      return { regex: value as string };
    case 'email':
    case 'url':
      applies(typeKind === 'string', 'string fields');
      if (value !== true) throw new SchemaError(`${where}: ${kind} must be true`);
      return kind === 'email' ? { email: true } : { url: true };
    default:
      throw new SchemaError(
        `${where}: unknown constraint '${String(kind)}' (expected min, max, minLength, maxLength, regex, email, url or nonEmpty)`,
      );
  }
}

/** Bounds that no value can satisfy are a schema mistake, not a validation failure on every write. */
export function checkBounds(constraints: readonly Constraint[], where: string): void {
  const pick = (k: 'min' | 'max' | 'minLength' | 'maxLength'): (number | bigint)[] =>
    constraints.flatMap((c) => (k in c ? [(c as Record<string, number | bigint>)[k]] : []));
  for (const lo of pick('min'))
    for (const hi of pick('max'))
      if (lo > hi) throw new SchemaError(`${where}: min ${lo} is greater than max ${hi}`);
  for (const lo of pick('minLength'))
    for (const hi of pick('maxLength'))
      if (lo > hi) throw new SchemaError(`${where}: minLength ${lo} is greater than maxLength ${hi}`);
}

function compileRegex(pattern: string, where: string): RegExp {
  try {
    return new RegExp(pattern, 'u');
  } catch (err) {
    throw new SchemaError(
      `${where}: invalid regex /${pattern}/: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}

/** Rule 1 of the module comment: the pattern compiles and has no repeated risky group. */
export function screenRegex(pattern: unknown, where: string): void {
  if (typeof pattern !== 'string') throw new SchemaError(`${where}: regex must be a string`);
  compileRegex(pattern, where);
  const irregular = irregularConstruct(pattern);
  if (irregular !== null) {
    throw new SchemaError(
      `${where}: regex /${pattern}/ uses ${irregular}, which constraint regexes do not allow ` +
        `(their matching time cannot be bounded); write the pattern without it`,
    );
  }
  if (hasRepeatedRiskyGroup(pattern)) {
    throw new SchemaError(
      `${where}: regex /${pattern}/ repeats a group that contains a quantifier or '|' ` +
        `(catastrophic backtracking risk); use a character class or a fixed count inside the repeated group`,
    );
  }
}

interface Quantifier {
  /** Index after the quantifier (== start when there is none). */
  end: number;
  /** Can match its atom more than once. */
  repeats: boolean;
  /** Lets its atom match a varying number of times. */
  variable: boolean;
}

const COUNT = /^\{(\d+)(,(\d*))?\}/;

function quantifierAt(p: string, i: number): Quantifier {
  const c = p[i];
  let q: Quantifier;
  if (c === '*' || c === '+') q = { end: i + 1, repeats: true, variable: true };
  else if (c === '?') q = { end: i + 1, repeats: false, variable: true };
  else if (c === '{') {
    const m = COUNT.exec(p.slice(i, i + 40));
    if (!m) return { end: i, repeats: false, variable: false };
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : m[3] === '' ? Infinity : Number(m[3]);
    q = { end: i + m[0].length, repeats: hi > 1, variable: hi > lo };
  } else return { end: i, repeats: false, variable: false };
  if (p[q.end] === '?') q.end++; // lazy form: same shape
  return q;
}

/** Index of the last character of the escape starting at p[i] === '\\'. */
function escapeEnd(p: string, i: number): number {
  const c = p[i + 1];
  if ((c === 'p' || c === 'P' || c === 'u') && p[i + 2] === '{') return Math.max(p.indexOf('}', i), i + 1);
  if (c === 'k' && p[i + 2] === '<') return Math.max(p.indexOf('>', i), i + 1);
  return i + 1;
}

/** The first backreference or lookaround in the pattern, described, or null. */
function irregularConstruct(p: string): string | null {
  for (let i = 0; i < p.length; i++) {
    const c = p[i];
    if (c === '\\') {
      const n = p[i + 1];
      // With the 'u' flag a digit escape that compiles is a backreference (\0 is NUL).
      if ((n >= '1' && n <= '9') || n === 'k') return `a backreference (\\${n}${n === 'k' ? '<…>' : ''})`;
      i = escapeEnd(p, i);
    } else if (c === '[') {
      for (i++; i < p.length && p[i] !== ']'; i++) if (p[i] === '\\') i = escapeEnd(p, i);
    } else if (c === '(' && p[i + 1] === '?') {
      const look = p[i + 2] === '<' ? p.slice(i, i + 4) : p.slice(i, i + 3);
      if (look === '(?=' || look === '(?!' || look === '(?<=' || look === '(?<!')
        return `a lookaround (${look})`;
    }
  }
  return null;
}

function hasRepeatedRiskyGroup(p: string): boolean {
  /** Per open group: whether it contains a variable quantifier or an alternation. */
  const risky: boolean[] = [];
  const mark = (): void => {
    if (risky.length > 0) risky[risky.length - 1] = true;
  };
  for (let i = 0; i < p.length; i++) {
    const c = p[i];
    if (c === '\\') {
      i = escapeEnd(p, i);
    } else if (c === '[') {
      for (i++; i < p.length && p[i] !== ']'; i++) if (p[i] === '\\') i = escapeEnd(p, i);
    } else if (c === '(') {
      risky.push(false);
      // (?:  (?=  (?!  (?<=  (?<!  (?<name>: the '?' there is syntax, not a quantifier.
      if (p[i + 1] === '?') {
        if (p[i + 2] === '<' && p[i + 3] !== '=' && p[i + 3] !== '!') i = Math.max(p.indexOf('>', i), i);
        else i += p[i + 2] === '<' ? 3 : 2;
      }
    } else if (c === ')') {
      const inner = risky.pop() ?? false;
      const q = quantifierAt(p, i + 1);
      if (inner && q.repeats) return true;
      if (inner || q.variable) mark();
      i = q.end - 1;
    } else if (c === '|') {
      mark();
    } else {
      const q = quantifierAt(p, i);
      if (q.end > i) {
        if (q.variable) mark();
        i = q.end - 1;
      }
    }
  }
  return false;
}

const EMAIL = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/u;

/** A practical shape check (local@domain.tld), not RFC 5322; 320 is the longest valid address. */
export function isEmail(s: string): boolean {
  return s.length <= 320 && EMAIL.test(s);
}

const URL_SCHEMES = new Set(['http:', 'https:', 'ftp:', 'ws:', 'wss:']);

export function isUrl(s: string): boolean {
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    return false;
  }
  return URL_SCHEMES.has(u.protocol) && u.host.length > 0;
}

/** Length in code points (what a user means by characters), not UTF-16 units. */
export function codePointLength(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length - 1; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

function sizeOf(v: unknown): number {
  return typeof v === 'string' ? codePointLength(v) : (v as { length: number }).length;
}

/** The write-path check for one normalized constraint; `v` is the field's stored, non-null value. */
export function compileCheck(c: Constraint, where: string): Check {
  const kind = constraintKind(c);
  switch (kind) {
    case 'min': {
      const min = (c as { min: number | bigint }).min;
      return (v) => ((v as number | bigint) < min ? `must be at least ${min} (got ${String(v)})` : null);
    }
    case 'max': {
      const max = (c as { max: number | bigint }).max;
      return (v) => ((v as number | bigint) > max ? `must be at most ${max} (got ${String(v)})` : null);
    }
    case 'minLength': {
      const min = (c as { minLength: number }).minLength;
      return (v) => {
        const n = sizeOf(v);
        return n < min ? `length must be at least ${min} (got ${n})` : null;
      };
    }
    case 'maxLength': {
      const max = (c as { maxLength: number }).maxLength;
      return (v) => {
        // At most max UTF-16 units is at most max code points: no need to count.
        if (typeof v === 'string' && v.length <= max) return null;
        const n = sizeOf(v);
        return n > max ? `length must be at most ${max} (got ${n})` : null;
      };
    }
    case 'nonEmpty':
      return (v) => (sizeOf(v) === 0 ? 'must not be empty' : null);
    case 'regex': {
      const source = (c as { regex: string }).regex;
      const re = compileRegex(source, where);
      return (v) => {
        const s = v as string;
        if (s.length > REGEX_MAX_INPUT)
          return `must be at most ${REGEX_MAX_INPUT} characters long to be matched against /${source}/`;
        return re.test(s) ? null : `must match /${source}/`;
      };
    }
    case 'email':
      return (v) => (isEmail(v as string) ? null : 'must be an email address');
    case 'url':
      return (v) => (isUrl(v as string) ? null : 'must be an http(s), ftp or ws(s) URL with a host');
    default:
      throw new SchemaError(`${where}: unknown constraint '${String(kind)}'`);
  }
}
