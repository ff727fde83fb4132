/**
 * LIKE and GLOB matching without regular expressions. A pattern is split at its "any run"
 * wildcards (`%`, `*`) into segments of fixed width in code points; the first segment is matched
 * at the start, the last at the end, and each middle one at its leftmost place after the previous.
 * Taking the leftmost place is always safe for fixed-width segments, so nothing is ever retried,
 * and a segment's search falls back to a bit-parallel automaton when checking candidates gets
 * expensive: the cost is O(value length × pattern length / 32) at worst, never exponential, where
 * a backtracking regex took seconds on `'%a%a%b'` and never returned on longer ones (issue 11,
 * item 6).
 *
 * Patterns longer than SQLite's SQLITE_MAX_LIKE_PATTERN_LENGTH (50,000 bytes) are refused with a
 * DataError, as SQLite refuses them ("LIKE or GLOB pattern too complex").
 */
import { DataError } from '../src/errors';
import { foldAscii } from '../storage/collation';

/** SQLite's default SQLITE_MAX_LIKE_PATTERN_LENGTH, in UTF-8 bytes. */
export const MAX_PATTERN_BYTES = 50_000;

type Token =
  | { readonly kind: 'lit'; readonly text: string; readonly width: number }
  | { readonly kind: 'one' }
  | { readonly kind: 'set'; readonly ranges: readonly number[]; readonly negated: boolean };

interface Compiled {
  /** Segments between the any-run wildcards; one segment means the pattern has none. */
  readonly segments: readonly (readonly Token[])[];
  /** LIKE folds ASCII case: the value is lower-cased (ASCII only) before matching. */
  readonly foldValue: boolean;
  /** A trailing ESCAPE character makes SQLite's LIKE match nothing. */
  readonly never: boolean;
}

function checkLength(pattern: string, op: string): void {
  // UTF-8 length is at most 3 bytes per UTF-16 unit; only count exactly near the limit.
  if (pattern.length * 3 <= MAX_PATTERN_BYTES) return;
  if (Buffer.byteLength(pattern, 'utf8') > MAX_PATTERN_BYTES)
    throw new DataError(
      `${op} pattern too complex: longer than ${MAX_PATTERN_BYTES} bytes (SQLite's limit)`,
      'VALUE_TOO_LARGE',
    );
}

/** Builds the token list of one pattern, merging adjacent literal characters. */
class SegmentBuilder {
  readonly segments: Token[][] = [[]];
  private lit = '';
  private width = 0;
  char(c: string): void {
    this.lit += c;
    this.width++;
  }
  token(t: Token): void {
    this.flush();
    this.segments[this.segments.length - 1].push(t);
  }
  anyRun(): void {
    this.flush();
    this.segments.push([]);
  }
  private flush(): void {
    if (this.lit === '') return;
    this.segments[this.segments.length - 1].push({ kind: 'lit', text: this.lit, width: this.width });
    this.lit = '';
    this.width = 0;
  }
  done(): Token[][] {
    this.flush();
    return this.segments;
  }
}

function compileLike(pattern: string, escape: string | null, caseSensitive: boolean): Compiled {
  checkLength(pattern, 'LIKE');
  const b = new SegmentBuilder();
  const chars = Array.from(pattern);
  const fold = caseSensitive ? (c: string): string => c : foldAscii;
  let never = false;
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i];
    // The escape character is compared exactly (not case-folded), before the wildcards.
    if (escape !== null && c === escape) {
      const next = chars[++i];
      if (next === undefined) never = true;
      else b.char(fold(next));
    } else if (c === '%') b.anyRun();
    else if (c === '_') b.token({ kind: 'one' });
    else b.char(fold(c));
  }
  return { segments: b.done(), foldValue: !caseSensitive && /[a-zA-Z]/.test(pattern), never };
}

function compileGlob(pattern: string): Compiled {
  checkLength(pattern, 'GLOB');
  const b = new SegmentBuilder();
  const chars = Array.from(pattern);
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i];
    if (c === '*') b.anyRun();
    else if (c === '?') b.token({ kind: 'one' });
    else if (c === '[') {
      // A set, parsed as SQLite's patternCompare does: [abc], [^abc], a ']' right after '[' or
      // '[^' is a member, and 'x-y' adds the range x..y on top of x itself. Unclosed: no match.
      const cp = (k: number): number => chars[k].codePointAt(0) ?? 0;
      let j = i + 1;
      let negated = false;
      if (chars[j] === '^') {
        negated = true;
        j++;
      }
      const ranges: number[] = [];
      if (chars[j] === ']') {
        ranges.push(0x5d, 0x5d);
        j++;
      }
      let prior = -1;
      for (; j < chars.length && chars[j] !== ']'; j++) {
        if (chars[j] === '-' && prior >= 0 && j + 1 < chars.length && chars[j + 1] !== ']') {
          ranges.push(prior, cp(++j));
          prior = -1;
        } else {
          ranges.push(cp(j), cp(j));
          prior = cp(j);
        }
      }
      if (j >= chars.length) return { segments: [[]], foldValue: false, never: true };
      b.token({ kind: 'set', ranges, negated });
      i = j;
    } else b.char(c);
  }
  return { segments: b.done(), foldValue: false, never: false };
}

function cpWidth(s: string, p: number): number {
  const c = s.charCodeAt(p);
  return c >= 0xd800 && c <= 0xdbff && p + 1 < s.length ? 2 : 1;
}

/** End of `seg` matched at exactly `p`, or -1. */
function matchAt(seg: readonly Token[], s: string, p: number): number {
  for (const t of seg) {
    if (t.kind === 'lit') {
      if (!s.startsWith(t.text, p)) return -1;
      p += t.text.length;
      continue;
    }
    if (p >= s.length) return -1;
    if (t.kind === 'set') {
      const cp = s.codePointAt(p) ?? 0;
      let inSet = false;
      for (let k = 0; k < t.ranges.length && !inSet; k += 2)
        inSet = cp >= t.ranges[k] && cp <= t.ranges[k + 1];
      if (inSet === t.negated) return -1;
    }
    p += cpWidth(s, p);
  }
  return p;
}

/**
 * End of the leftmost match of `seg` starting at or after `p`, or -1. Candidates come from
 * indexOf on the segment's leading literal and are checked in place, which is fastest when they
 * are few; once checking has cost more than a few passes over the value (a segment such as
 * 'aaaa_b' against 'aaaa…'), the rest of the search runs as a bit-parallel automaton
 * (shiftAndFrom), so a segment of width m costs O(value × m/32) at worst, not O(value × m).
 */
function findFrom(seg: readonly Token[], s: string, p: number): number {
  const head = seg[0];
  let budget = 4 * (s.length - p) + 4096;
  // What checking one candidate can cost: the segment's length in UTF-16 units, about.
  let cost = 1;
  for (const t of seg) cost += t.kind === 'lit' ? t.text.length : 2;
  if (head.kind === 'lit') {
    for (let i = s.indexOf(head.text, p); i >= 0; i = s.indexOf(head.text, i + 1)) {
      // No match starts before i: the leading literal does not occur there.
      if ((budget -= cost) < 0) return shiftAndFrom(seg, s, i);
      const end = matchAt(seg, s, i);
      if (end >= 0) return end;
    }
    return -1;
  }
  for (let i = p; i < s.length; i += cpWidth(s, i)) {
    if ((budget -= cost) < 0) return shiftAndFrom(seg, s, i);
    const end = matchAt(seg, s, i);
    if (end >= 0) return end;
  }
  return -1;
}

/**
 * Masks of a segment for Shift-And: bit k of mask(c) says position k accepts code point c. Built
 * per character from where that character occurs in the segment, so neither a pattern with many
 * distinct characters nor a value with many distinct characters costs a full pass over the
 * segment per character: a miss costs O(width / 32 + occurrences + set positions).
 */
class SegmentMasks {
  readonly width: number;
  readonly words: number;
  /** Positions that accept any code point (`_`, `?`). */
  private readonly any: Uint32Array;
  /** Where each literal code point occurs. */
  private readonly occurs = new Map<number, number[]>();
  /** Positions holding a GLOB set, tested per character. */
  private readonly sets: { k: number; t: Extract<Token, { kind: 'set' }> }[] = [];
  private readonly cache = new Map<number, Uint32Array>();

  constructor(seg: readonly Token[]) {
    let k = 0;
    const anyAt: number[] = [];
    for (const t of seg) {
      if (t.kind === 'lit') {
        for (const ch of t.text) {
          const cp = ch.codePointAt(0) ?? 0;
          const list = this.occurs.get(cp);
          if (list) list.push(k);
          else this.occurs.set(cp, [k]);
          k++;
        }
      } else if (t.kind === 'one') anyAt.push(k++);
      else this.sets.push({ k: k++, t });
    }
    this.width = k;
    this.words = Math.ceil(k / 32);
    this.any = new Uint32Array(this.words);
    for (const j of anyAt) this.any[j >>> 5] |= 1 << (j & 31);
  }

  mask(c: number): Uint32Array {
    const at = this.occurs.get(c);
    // A character the segment never names and no set to test: only the any-positions accept it.
    if (!at && this.sets.length === 0) return this.any;
    const hit = this.cache.get(c);
    if (hit) return hit;
    const m = Uint32Array.from(this.any);
    if (at) for (const j of at) m[j >>> 5] |= 1 << (j & 31);
    for (const { k, t } of this.sets) {
      let inSet = false;
      for (let r = 0; r < t.ranges.length && !inSet; r += 2) inSet = c >= t.ranges[r] && c <= t.ranges[r + 1];
      if (inSet !== t.negated) m[k >>> 5] |= 1 << (k & 31);
    }
    // Bounded: a value with many distinct characters must not grow the cache without limit.
    if (this.cache.size >= 256) this.cache.clear();
    this.cache.set(c, m);
    return m;
  }
}

const segmentMasks = new WeakMap<readonly Token[], SegmentMasks>();

/**
 * Shift-And (Baeza-Yates–Gonnet): bit k of the state is set when the last k+1 code points match
 * the segment's first k+1 positions. Every match has the segment's width, so the first one to
 * complete is also the leftmost: its end is returned, or -1.
 */
function shiftAndFrom(seg: readonly Token[], s: string, p: number): number {
  let masks = segmentMasks.get(seg);
  if (!masks) {
    masks = new SegmentMasks(seg);
    segmentMasks.set(seg, masks);
  }
  const { width, words } = masks;
  const state = new Uint32Array(words);
  const lastWord = (width - 1) >>> 5;
  const lastBit = 1 << ((width - 1) & 31);
  for (let i = p; i < s.length;) {
    const c = s.codePointAt(i) ?? 0;
    i += c > 0xffff ? 2 : 1;
    const m = masks.mask(c);
    let carry = 1;
    for (let w = 0; w < words; w++) {
      const v = state[w];
      state[w] = ((v << 1) | carry) & m[w];
      carry = v >>> 31;
    }
    if (state[lastWord] & lastBit) return i;
  }
  return -1;
}

/** Where `seg` would have to start to end exactly at the end of `s`, or -1. */
function tailStart(seg: readonly Token[], s: string): number {
  let width = 0;
  for (const t of seg) width += t.kind === 'lit' ? t.width : 1;
  let q = s.length;
  for (; width > 0 && q > 0; width--) {
    const c = s.charCodeAt(q - 1);
    q -=
      c >= 0xdc00 && c <= 0xdfff && q >= 2 && s.charCodeAt(q - 2) >= 0xd800 && s.charCodeAt(q - 2) <= 0xdbff
        ? 2
        : 1;
  }
  return width > 0 ? -1 : q;
}

function run(c: Compiled, value: string): boolean {
  if (c.never) return false;
  const s = c.foldValue ? foldAscii(value) : value;
  const segs = c.segments;
  if (segs.length === 1) return matchAt(segs[0], s, 0) === s.length;
  let p = matchAt(segs[0], s, 0);
  if (p < 0) return false;
  for (let k = 1; k < segs.length - 1; k++) {
    if (segs[k].length === 0) continue;
    p = findFrom(segs[k], s, p);
    if (p < 0) return false;
  }
  const last = segs[segs.length - 1];
  const q = tailStart(last, s);
  return q >= p && matchAt(last, s, q) === s.length;
}

const cache = new Map<string, (s: string) => boolean>();

function cached(key: string, build: () => Compiled): (s: string) => boolean {
  const hit = cache.get(key);
  if (hit) return hit;
  const compiled = build();
  const fn = (s: string): boolean => run(compiled, s);
  // Statements compile their patterns once; the cache serves patterns bound per execution.
  if (cache.size > 1000) cache.clear();
  cache.set(key, fn);
  return fn;
}

/**
 * A LIKE pattern as a predicate: `%` any run, `_` one code point, ASCII letters
 * case-insensitive (unless `caseSensitive`: `PRAGMA case_sensitive_like = 1`), an optional
 * single-character escape (a trailing escape matches nothing).
 */
export function likeMatcher(
  pattern: string,
  escape: string | null,
  caseSensitive = false,
): (s: string) => boolean {
  return cached(`${caseSensitive ? 'l' : 'L'}${escape ?? ''}\u0000${pattern}`, () =>
    compileLike(pattern, escape, caseSensitive),
  );
}

/** A GLOB pattern as a predicate: `*` any run, `?` one code point, `[...]` a set; case-sensitive. */
export function globMatcher(pattern: string): (s: string) => boolean {
  return cached(`G${pattern}`, () => compileGlob(pattern));
}
