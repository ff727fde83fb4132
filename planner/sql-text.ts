/**
 * Text rules of SQLite that need more than the one comparison function: the built-in
 * collating sequences (BINARY, NOCASE, RTRIM) and GLOB matching. GLOB patterns compile once
 * to a token list matched greedily with one remembered `*` position, so a match costs at most
 * O(pattern × text) steps and never backtracks exponentially as a regex could.
 */
import { compareValues } from '../storage/compare';
import type { Collation, Expr } from './expr';
import { exprChildren } from './expr';
import { QueryError } from '../src/errors';

/** NOCASE folds only the ASCII letters, like SQLite's sqlite3StrICmp. */
function foldAscii(s: string): string {
  return /[A-Z]/.test(s) ? s.replace(/[A-Z]+/g, (m) => m.toLowerCase()) : s;
}

/** RTRIM ignores trailing spaces (U+0020 only). */
function trimSpaces(s: string): string {
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === 32) end--;
  return end === s.length ? s : s.slice(0, end);
}

/** The form of a text value a collation compares (and groups) by; other values pass through. */
export function collationKey(v: unknown, collation: Collation): unknown {
  if (typeof v !== 'string' || collation === 'binary') return v;
  return collation === 'nocase' ? foldAscii(v) : trimSpaces(v);
}

/** SQLite's order (NULL < numbers < text < blob) with text compared under `collation`. */
export function compareCollated(a: unknown, b: unknown, collation: Collation | undefined): number {
  if (collation === undefined || collation === 'binary' || typeof a !== 'string' || typeof b !== 'string')
    return compareValues(a, b);
  return compareValues(collationKey(a, collation), collationKey(b, collation));
}

/** A collation name as written (any case); null when SQLite has no such collating sequence. */
export function parseCollation(name: string): Collation | null {
  const n = name.toUpperCase();
  return n === 'BINARY' ? 'binary' : n === 'NOCASE' ? 'nocase' : n === 'RTRIM' ? 'rtrim' : null;
}

interface CollationSource {
  readonly collation: Collation;
  /** From a COLLATE operator (beats a column's declared collation). */
  readonly explicit: boolean;
  /** The name of an unknown collating sequence this source would use. */
  readonly unknown?: string;
}

/**
 * Where an operand's collation comes from, following sqlite3ExprCollSeq: a COLLATE operator
 * anywhere in it (left first), else a column (through CAST and unary +), else none.
 */
function collationSource(e: Expr): CollationSource | null {
  if (e.kind === 'collate') return fromCollate(e);
  if (e.kind === 'column') return { collation: e.collation ?? 'binary', explicit: false };
  if (e.kind === 'cast' || (e.kind === 'unary' && e.op === 'pos')) return collationSource(e.arg);
  const explicit = findExplicit(e);
  return explicit ? fromCollate(explicit) : null;
}

function fromCollate(e: Extract<Expr, { kind: 'collate' }>): CollationSource {
  return e.unknown === undefined
    ? { collation: e.collation, explicit: true }
    : { collation: e.collation, explicit: true, unknown: e.unknown };
}

function findExplicit(e: Expr): Extract<Expr, { kind: 'collate' }> | null {
  if (e.kind === 'collate') return e;
  if (e.kind === 'aggregate') return null;
  for (const c of exprChildren(e)) {
    const found = findExplicit(c);
    if (found) return found;
  }
  return null;
}

function refuseUnknown(source: CollationSource | null | undefined): void {
  if (source?.unknown !== undefined)
    throw new QueryError(`no such collation sequence: ${source.unknown}`, 'QUERY');
}

/** Refuse `e` as an ORDER BY, GROUP BY or DISTINCT term when its collation does not exist. */
export function checkOrderingCollation(e: Expr): void {
  refuseUnknown(collationSource(e));
}

/** The collation ORDER BY, GROUP BY and DISTINCT use for `e`; undefined for BINARY. */
export function exprCollation(e: Expr): Collation | undefined {
  const c = collationSource(e)?.collation;
  return c === 'binary' ? undefined : c;
}

/** SQLite's choice for a binary comparison: explicit left, explicit right, column left, column right. */
export function comparisonCollation(l: Expr, r: Expr): Collation | undefined {
  const a = collationSource(l);
  const b = collationSource(r);
  const pick = a?.explicit ? a : b?.explicit ? b : (a ?? b);
  refuseUnknown(pick);
  return pick && pick.collation !== 'binary' ? pick.collation : undefined;
}

type GlobToken =
  | { readonly k: 'star' }
  | { readonly k: 'one' }
  | { readonly k: 'char'; readonly cp: number }
  | {
      readonly k: 'set';
      readonly invert: boolean;
      readonly singles: readonly number[];
      readonly ranges: readonly (readonly [number, number])[];
    };

/** Tokens of a GLOB pattern, or null when a `[` set is never closed (SQLite: no match). */
function compileGlob(pattern: string): GlobToken[] | null {
  const cps = Array.from(pattern, (c) => c.codePointAt(0) ?? 0);
  const out: GlobToken[] = [];
  let i = 0;
  while (i < cps.length) {
    const c = cps[i++];
    if (c === 42 /* * */) {
      if (out[out.length - 1]?.k !== 'star') out.push({ k: 'star' });
    } else if (c === 63 /* ? */) out.push({ k: 'one' });
    else if (c === 91 /* [ */) {
      // Mirrors sqlite3's patternCompare: `^` inverts, a leading `]` is literal, `-` between two
      // characters is a range, elsewhere literal.
      let invert = false;
      const singles: number[] = [];
      const ranges: [number, number][] = [];
      if (cps[i] === 94 /* ^ */) {
        invert = true;
        i++;
      }
      if (cps[i] === 93 /* ] */) {
        singles.push(93);
        i++;
      }
      let prior = -1;
      let closed = false;
      while (i < cps.length) {
        const d = cps[i++];
        if (d === 93) {
          closed = true;
          break;
        }
        if (d === 45 /* - */ && prior >= 0 && i < cps.length && cps[i] !== 93) {
          ranges.push([prior, cps[i++]]);
          prior = -1;
        } else {
          singles.push(d);
          prior = d;
        }
      }
      if (!closed) return null;
      out.push({ k: 'set', invert, singles, ranges });
    } else out.push({ k: 'char', cp: c });
  }
  return out;
}

function matchesOne(t: GlobToken, cp: number): boolean {
  switch (t.k) {
    case 'one':
      return true;
    case 'char':
      return t.cp === cp;
    case 'set': {
      const seen = t.singles.includes(cp) || t.ranges.some(([lo, hi]) => cp >= lo && cp <= hi);
      return seen !== t.invert;
    }
    case 'star':
      return false;
  }
}

function runGlob(tokens: readonly GlobToken[], text: string): boolean {
  const s = Array.from(text, (c) => c.codePointAt(0) ?? 0);
  let ti = 0;
  let si = 0;
  // Segments between stars have a fixed length, so the leftmost match of each is as good as any:
  // on a mismatch only the last star needs to absorb one more character.
  let starT = -1;
  let starS = 0;
  while (si < s.length) {
    const t = tokens[ti];
    if (t !== undefined && t.k === 'star') {
      starT = ti++;
      starS = si;
    } else if (t !== undefined && matchesOne(t, s[si])) {
      ti++;
      si++;
    } else if (starT >= 0) {
      ti = starT + 1;
      si = ++starS;
    } else return false;
  }
  while (ti < tokens.length && tokens[ti].k === 'star') ti++;
  return ti === tokens.length;
}

const globCache = new Map<string, GlobToken[] | null>();

/** Whether `text` matches the GLOB `pattern` (case-sensitive, `*`, `?`, `[...]`, `[^...]`). */
export function globMatch(pattern: string, text: string): boolean {
  let tokens = globCache.get(pattern);
  if (tokens === undefined) {
    tokens = compileGlob(pattern);
    if (globCache.size > 1000) globCache.clear();
    globCache.set(pattern, tokens);
  }
  return tokens !== null && runGlob(tokens, text);
}
