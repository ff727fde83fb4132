/**
 * SQLite's core text and blob functions (src/func.c), like() and glob() on the LIKE/GLOB matcher
 * of planner/like.ts. Values convert the SQLite way: numbers to their text (REALs as
 * sql-values.ts realToText renders them), blobs read as UTF-8. Lengths and positions count code
 * points, not UTF-16 units; where SQLite reads an argument as a C string (length, substr, the
 * character set of trim, an ESCAPE) a NUL character ends it.
 */
import { DataError } from '../../src/errors';
import { globMatcher, likeMatcher } from '../like';
import { blobText, cString, storageClass, toInt64, valueBytes, valueText } from '../sqlite-conversions';
import { realToText } from '../sql-values';
import { MAX_LENGTH, tooBig } from './core';
import type { Evaluator } from '../compile-expr';
import { TaggedReal, untag } from '../tagged-real';
import type { CallSite, ScalarFunction } from './types';
import { lenientN, realFlags, returnsConst, strict1, strictN } from './types';

function scalar(def: Omit<ScalarFunction, 'kind' | 'family' | 'deterministic'>): ScalarFunction {
  return { kind: 'scalar', family: 'core', deterministic: true, ...def };
}

function codePointLength(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xdc00 || c > 0xdfff || i === 0 || s.charCodeAt(i - 1) < 0xd800 || s.charCodeAt(i - 1) > 0xdbff)
      n++;
  }
  return n;
}

/** SQLite's lower()/upper(): ASCII letters only (é stays é). */
function asciiCase(s: string, upper: boolean): string {
  // All-ASCII text (the common case) cases exactly as JS's own functions do, without a regex.
  let ascii = true;
  for (let i = 0; i < s.length && ascii; i++) ascii = s.charCodeAt(i) < 0x80;
  if (ascii) return upper ? s.toUpperCase() : s.toLowerCase();
  return upper ? s.replace(/[a-z]+/g, (m) => m.toUpperCase()) : s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}

function checkLength(s: string): string {
  if (s.length > MAX_LENGTH) throw tooBig();
  return s;
}

const SURROGATE = /[\ud800-\udfff]/;

/** Beyond this, positions are worked out in bigint (SQLite's are 64-bit and may cancel out). */
const SAFE_POSITION = 2n ** 52n;

/**
 * SQLite's substr() position rules on 64-bit integers: the start (0-based) and the count, both
 * clamped to [0, len].
 */
function substrRange(p1: bigint, p2: bigint, len: bigint): [number, number] {
  let negP2 = false;
  if (p2 < 0n) {
    p2 = -p2;
    negP2 = true;
  }
  if (p1 < 0n) {
    p1 += len;
    if (p1 < 0n) {
      p2 += p1;
      if (p2 < 0n) p2 = 0n;
      p1 = 0n;
    }
  } else if (p1 > 0n) p1--;
  else if (p2 > 0n) p2--;
  if (negP2) {
    p1 -= p2;
    if (p1 < 0n) {
      p2 += p1;
      p1 = 0n;
    }
  }
  if (p1 > len) p1 = len;
  if (p2 > len - p1) p2 = len - p1;
  if (p2 < 0n) p2 = 0n;
  return [Number(p1), Number(p2)];
}

function substr(values: unknown[], reals: readonly boolean[]): unknown {
  const [x] = values;
  const blob = x instanceof Uint8Array;
  // SQLite reads an empty blob as a NULL pointer: NULL, not an empty blob.
  if (blob && x.length === 0) return null;
  const b1 = toInt64(values[1]);
  const b2 = values.length > 2 ? toInt64(values[2]) : BigInt(MAX_LENGTH);
  const text = blob ? '' : cString(valueText(x, reals[0]) ?? '');
  // Without surrogate pairs a UTF-16 index is a code-point index: no array of characters needed.
  const simple = !blob && !SURROGATE.test(text);
  const chars = blob || simple ? null : Array.from(text);
  const len = blob ? x.length : simple ? text.length : (chars as string[]).length;
  let p1: number;
  let p2: number;
  if (b1 > -SAFE_POSITION && b1 < SAFE_POSITION && b2 > -SAFE_POSITION && b2 < SAFE_POSITION) {
    p1 = Number(b1);
    p2 = Number(b2);
    let negP2 = false;
    if (p2 < 0) {
      p2 = -p2;
      negP2 = true;
    }
    if (p1 < 0) {
      p1 += len;
      if (p1 < 0) {
        p2 += p1;
        if (p2 < 0) p2 = 0;
        p1 = 0;
      }
    } else if (p1 > 0) p1--;
    else if (p2 > 0) p2--;
    if (negP2) {
      p1 -= p2;
      if (p1 < 0) {
        p2 += p1;
        p1 = 0;
      }
    }
  } else {
    [p1, p2] = substrRange(b1, b2, BigInt(len));
  }
  if (blob) {
    if (p1 >= len) return Buffer.alloc(0);
    return Buffer.from(x.subarray(p1, p1 + Math.min(p2, len - p1)));
  }
  if (simple) return text.slice(p1, p1 + p2);
  return (chars as string[]).slice(p1, p1 + p2).join('');
}

function instr(values: unknown[], reals: readonly boolean[]): unknown {
  const [h, n] = values;
  const bothBlobs = h instanceof Uint8Array && n instanceof Uint8Array;
  if (bothBlobs) {
    if (n.length === 0) return 1;
    const at = Buffer.from(h.buffer, h.byteOffset, h.byteLength).indexOf(
      Buffer.from(n.buffer, n.byteOffset, n.byteLength),
    );
    return at + 1;
  }
  const hs = valueText(h, reals[0]) ?? '';
  const ns = valueText(n, reals[1]) ?? '';
  if (ns.length === 0) return 1;
  const at = hs.indexOf(ns);
  return at < 0 ? 0 : codePointLength(hs.slice(0, at)) + 1;
}

function trimmer(left: boolean, right: boolean): ScalarFunction['compile'] {
  return (site) => {
    const args = textArgs(site);
    const reals = realFlags(site.types);
    return (row) => {
      const x = args[0](row);
      if (x === null) return null;
      let set: ReadonlySet<string>;
      if (args.length > 1) {
        const y = valueText(args[1](row), reals[1]);
        if (y === null) return null;
        // SQLite reads the character set as a C string: a NUL ends it.
        set = new Set(Array.from(cString(y)));
      } else set = SPACE;
      const chars = Array.from(valueText(x, reals[0]) ?? '');
      let a = 0;
      let b = chars.length;
      if (set.size > 0) {
        if (left) while (a < b && set.has(chars[a])) a++;
        if (right) while (b > a && set.has(chars[b - 1])) b--;
      }
      return chars.slice(a, b).join('');
    };
  };
}
/**
 * Arguments of a function that only reads them as text: 'any'-typed ones arrive tagged so that
 * valueText renders a whole-number REAL as SQLite does ('2.0').
 */
/** Soundex digit per ASCII letter A…Z (vowels, H, W and Y: 0, which only separate). */
const SOUNDEX_CODES = '01230120022455012623010202';

/**
 * SQLite's soundex() over the text's UTF-8 bytes: from the first ASCII letter, that letter, then
 * the digits of the following bytes (each byte's low 7 bits, as SQLite indexes its table, so a
 * multi-byte character may count as letters), a digit dropped when it repeats the previous one
 * with no separator between, padded with zeros to four characters. A NUL byte ends the text.
 */
function soundex(bytes: Buffer | null): string {
  const code = (b: number): number => {
    const c = b & 0x7f;
    const upper = c >= 97 && c <= 122 ? c - 32 : c;
    return upper >= 65 && upper <= 90 ? SOUNDEX_CODES.charCodeAt(upper - 65) - 48 : 0;
  };
  const alpha = (b: number): boolean => (b >= 65 && b <= 90) || (b >= 97 && b <= 122);
  if (bytes === null) return '?000';
  let i = 0;
  while (i < bytes.length && bytes[i] !== 0 && !alpha(bytes[i])) i++;
  if (i >= bytes.length || bytes[i] === 0) return '?000';
  let out = String.fromCharCode(bytes[i] >= 97 ? bytes[i] - 32 : bytes[i]);
  let prev = code(bytes[i]);
  for (; out.length < 4 && i < bytes.length && bytes[i] !== 0; i++) {
    const c = code(bytes[i]);
    if (c === 0) prev = 0;
    else if (c !== prev) {
      prev = c;
      out += String(c);
    }
  }
  return out.padEnd(4, '0');
}

function textArgs(site: CallSite): readonly Evaluator[] {
  return site.types.map((t, i) => (t === 'any' ? site.tagged[i] : site.args[i]));
}

const SPACE: ReadonlySet<string> = new Set([' ']);

function quote(arg: unknown, isReal: boolean): string {
  const v = untag(arg);
  switch (storageClass(v, isReal || arg instanceof TaggedReal)) {
    case 'null':
      return 'NULL';
    case 'integer':
      return valueText(v, false) ?? '';
    case 'real': {
      const r = typeof v === 'number' ? v : Number(v);
      if (!Number.isFinite(r)) return Number.isNaN(r) ? 'NULL' : r > 0 ? '9.0e+999' : '-9.0e+999';
      return realToText(r);
    }
    case 'text':
      return `'${(v as string).split("'").join("''")}'`;
    case 'blob':
      return `X'${Buffer.from(v as Uint8Array)
        .toString('hex')
        .toUpperCase()}'`;
  }
}

function unhex(values: unknown[], reals: readonly boolean[]): unknown {
  const hex = cString(valueText(values[0], reals[0]) ?? '');
  const pass =
    values.length > 1 ? new Set(Array.from(valueText(values[1], reals[1]) ?? '')) : new Set<string>();
  const out: number[] = [];
  const chars = Array.from(hex);
  const isHex = (c: string | undefined): boolean => c !== undefined && /^[0-9a-fA-F]$/.test(c);
  let i = 0;
  while (i < chars.length) {
    while (!isHex(chars[i])) {
      if (!pass.has(chars[i])) return null;
      i++;
      if (i >= chars.length) return Buffer.from(out);
    }
    const hi = chars[i++];
    const lo = chars[i++];
    if (!isHex(lo)) return null;
    out.push(parseInt(hi + lo, 16));
  }
  return Buffer.from(out);
}

/** like(X, Y [, Z]) is Y LIKE X [ESCAPE Z], checked in SQLite's order. */
function like(values: unknown[], reals: readonly boolean[], caseSensitive: boolean): unknown {
  const [p, subject] = values;
  // SQLite (this build) never matches a blob on either side: 0, even against NULL.
  if (p instanceof Uint8Array || subject instanceof Uint8Array) return 0;
  let esc: string | null = null;
  if (values.length > 2) {
    const e = valueText(values[2], reals[2]);
    if (e === null) return null;
    esc = cString(e);
    if (Array.from(esc).length !== 1)
      throw new DataError('ESCAPE expression must be a single character', 'DATA');
  }
  const pattern = valueText(p, reals[0]);
  const text = valueText(subject, reals[1]);
  if (pattern === null || text === null) return null;
  return likeMatcher(pattern, esc, caseSensitive)(text) ? 1 : 0;
}

/** glob(X, Y) is Y GLOB X; like like(), a blob on either side never matches. */
function glob(values: unknown[], reals: readonly boolean[]): unknown {
  const [p, subject] = values;
  if (p instanceof Uint8Array || subject instanceof Uint8Array) return 0;
  const pattern = valueText(p, reals[0]);
  const text = valueText(subject, reals[1]);
  if (pattern === null || text === null) return null;
  return globMatcher(pattern)(text) ? 1 : 0;
}

export const TEXT: readonly ScalarFunction[] = [
  scalar({
    name: 'length',
    minArgs: 1,
    maxArgs: 1,
    summary: "Characters in a text (up to the first NUL), bytes in a blob, characters of a number's text.",
    returns: returnsConst('integer'),
    compile: strict1((v, real) =>
      v instanceof Uint8Array ? v.length : codePointLength(cString(valueText(v, real) ?? '')),
    ),
  }),
  scalar({
    name: 'octet_length',
    minArgs: 1,
    maxArgs: 1,
    summary: "Bytes of the value's text (UTF-8) or blob.",
    returns: returnsConst('integer'),
    compile: strict1((v, real) => (valueBytes(v, real) ?? Buffer.alloc(0)).length),
  }),
  scalar({
    name: 'lower',
    minArgs: 1,
    maxArgs: 1,
    summary: 'ASCII letters to lower case (other characters unchanged, as in SQLite without ICU).',
    returns: returnsConst('text'),
    compile: strict1((v, real) => asciiCase(valueText(v, real) ?? '', false)),
  }),
  scalar({
    name: 'upper',
    minArgs: 1,
    maxArgs: 1,
    summary: 'ASCII letters to upper case.',
    returns: returnsConst('text'),
    compile: strict1((v, real) => asciiCase(valueText(v, real) ?? '', true)),
  }),
  ...['substr', 'substring'].map((name) =>
    scalar({
      name,
      minArgs: 2,
      maxArgs: 3,
      summary:
        'Z characters (bytes of a blob) from position Y: 1-based, negative Y counts from the end, negative Z takes the characters before Y; an empty blob gives NULL.',
      returns: ([t]) => (t === 'blob' ? 'blob' : t === 'any' ? 'any' : 'text'),
      compile: strictN(substr),
    }),
  ),
  scalar({
    name: 'instr',
    minArgs: 2,
    maxArgs: 2,
    summary:
      '1-based position of the first occurrence of Y in X (characters; bytes when both are blobs), 0 if none.',
    returns: returnsConst('integer'),
    compile: strictN(instr),
  }),
  scalar({
    name: 'replace',
    minArgs: 3,
    maxArgs: 3,
    summary: 'Every occurrence of Y in X replaced by Z; an empty Y returns X unchanged.',
    returns: returnsConst('text'),
    compile: (site) => {
      const args = textArgs(site);
      const reals = realFlags(site.types);
      return (row) => {
        const x = args[0](row);
        if (x === null) return null;
        const y = valueText(args[1](row), reals[1]);
        if (y === null) return null;
        // An empty pattern gives X back, converted to text like every other result.
        if (y === '' || y.startsWith('\u0000')) return valueText(x, reals[0]);
        const z = valueText(args[2](row), reals[2]);
        if (z === null) return null;
        return checkLength((valueText(x, reals[0]) ?? '').split(y).join(z));
      };
    },
  }),
  scalar({
    name: 'trim',
    args: 'X [, CHARS]',
    minArgs: 1,
    maxArgs: 2,
    summary: 'Removes characters of Y (default: spaces only) from both ends.',
    returns: returnsConst('text'),
    compile: trimmer(true, true),
  }),
  scalar({
    name: 'ltrim',
    args: 'X [, CHARS]',
    minArgs: 1,
    maxArgs: 2,
    summary: 'Removes characters of Y (default: spaces only) from the start.',
    returns: returnsConst('text'),
    compile: trimmer(true, false),
  }),
  scalar({
    name: 'rtrim',
    args: 'X [, CHARS]',
    minArgs: 1,
    maxArgs: 2,
    summary: 'Removes characters of Y (default: spaces only) from the end.',
    returns: returnsConst('text'),
    compile: trimmer(false, true),
  }),
  scalar({
    name: 'hex',
    minArgs: 1,
    maxArgs: 1,
    summary: "Upper-case hex of a blob, or of the UTF-8 of any other value's text; hex(NULL) is ''.",
    returns: returnsConst('text'),
    compile: (site) => {
      const [a] = textArgs(site);
      const real = site.types[0] === 'real';
      return (row) => (valueBytes(a(row), real) ?? Buffer.alloc(0)).toString('hex').toUpperCase();
    },
  }),
  scalar({
    name: 'unhex',
    args: 'X [, SEPARATORS]',
    minArgs: 1,
    maxArgs: 2,
    summary: 'The blob a hex text encodes; characters of Y may separate byte pairs; NULL if not valid hex.',
    returns: returnsConst('blob'),
    compile: strictN(unhex),
  }),
  scalar({
    name: 'quote',
    minArgs: 1,
    maxArgs: 1,
    summary: "The value as an SQL literal: NULL, 12, 1.5, 'it''s', X'00FF'.",
    returns: returnsConst('text'),
    compile: (site) => {
      const [a] = textArgs(site);
      const real = site.types[0] === 'real';
      return (row) => quote(a(row), real);
    },
  }),
  scalar({
    name: 'char',
    args: 'C1, C2, …',
    minArgs: 0,
    maxArgs: -1,
    summary: 'The text of the given code points (out of range → U+FFFD; NULL → U+0000).',
    deviation:
      'A surrogate code point (U+D800–U+DFFF) gives three U+FFFD, the text SQLite returns for it; SQLite stores three invalid bytes, so its length() is 1 and its hex() differs.',
    returns: returnsConst('text'),
    compile:
      ({ args }) =>
      (row) => {
        let s = '';
        for (const a of args) {
          const c = toInt64(a(row));
          // SQLite writes a surrogate's three UTF-8-style bytes, which read back as three U+FFFD.
          if (c >= 0xd800n && c <= 0xdfffn) s += '\ufffd\ufffd\ufffd';
          else s += String.fromCodePoint(c < 0n || c > 0x10ffffn ? 0xfffd : Number(c));
        }
        return s;
      },
  }),
  scalar({
    name: 'soundex',
    minArgs: 1,
    maxArgs: 1,
    summary:
      "The Soundex code of the text's first ASCII letter onwards ('R163'); '?000' for NULL or no letter.",
    returns: returnsConst('text'),
    compile: (site) => {
      const [arg] = textArgs(site);
      const real = site.types[0] === 'real';
      return (row) => {
        const v = arg(row);
        return soundex(valueBytes(untag(v), real || v instanceof TaggedReal));
      };
    },
  }),
  scalar({
    name: 'unicode',
    minArgs: 1,
    maxArgs: 1,
    summary: 'Code point of the first character; NULL for an empty text.',
    returns: returnsConst('integer'),
    compile: strict1((v, real) => {
      const s = v instanceof Uint8Array ? blobText(v) : (valueText(v, real) ?? '');
      return s.length === 0 || s.charCodeAt(0) === 0 ? null : (s.codePointAt(0) ?? null);
    }),
  }),
  scalar({
    name: 'concat',
    minArgs: 1,
    maxArgs: -1,
    summary: "The arguments' texts joined; NULLs are skipped (never NULL).",
    returns: returnsConst('text'),
    compile: (site) => {
      const args = textArgs(site);
      const reals = realFlags(site.types);
      return (row) => {
        let s = '';
        for (let i = 0; i < args.length; i++) s += valueText(args[i](row), reals[i]) ?? '';
        return checkLength(s);
      };
    },
  }),
  scalar({
    name: 'concat_ws',
    args: 'SEP, X, …',
    minArgs: 2,
    maxArgs: -1,
    summary:
      'Arguments after the first joined with the first as separator; NULL arguments are skipped; NULL separator gives NULL.',
    returns: returnsConst('text'),
    compile: (site) => {
      const args = textArgs(site);
      const reals = realFlags(site.types);
      return (row) => {
        const sep = valueText(args[0](row), reals[0]);
        if (sep === null) return null;
        const parts: string[] = [];
        for (let i = 1; i < args.length; i++) {
          const t = valueText(args[i](row), reals[i]);
          if (t !== null) parts.push(t);
        }
        return checkLength(parts.join(sep));
      };
    },
  }),
  scalar({
    name: 'like',
    args: 'PATTERN, X [, ESCAPE]',
    minArgs: 2,
    maxArgs: 3,
    summary: 'X LIKE PATTERN [ESCAPE ESCAPE]; 0 when either side is a blob.',
    returns: returnsConst('integer'),
    // The connection's `PRAGMA case_sensitive_like`, read per call (its session is per execution).
    compile: (site) =>
      lenientN((values, reals) => like(values, reals, site.ctx.session?.caseSensitiveLike === true))(site),
  }),
  scalar({
    name: 'glob',
    args: 'PATTERN, X',
    minArgs: 2,
    maxArgs: 2,
    summary: 'X GLOB PATTERN: `*`, `?` and `[...]`, case-sensitive; 0 when either side is a blob.',
    returns: returnsConst('integer'),
    compile: lenientN(glob),
  }),
];
