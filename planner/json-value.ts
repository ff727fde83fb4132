/**
 * JSON text as SQLite's JSON functions read and write it (src/json.c): a parser that accepts
 * RFC 8259 JSON and the JSON5 extensions SQLite takes as input (comments, trailing commas,
 * unquoted keys, single-quoted strings, hex, `.5`, `5.`, `+1`, Infinity, NaN), a tree whose
 * numbers and strings keep their JSON text, and the minified canonical rendering SQLite outputs
 * (RFC escapes kept as written, JSON5 forms converted). Conversions between a node and an SQL
 * value (json_extract, ->>, json_array's arguments) are in planner/json-sql.ts.
 */

/** A parsed JSON value. Numbers keep their (canonical) text; strings their escaped body. */
export type JsonNode =
  | { readonly t: 'null' }
  | { readonly t: 'true' }
  | { readonly t: 'false' }
  /** `text` is what json() prints; `hex` is the digits of a JSON5 hex literal (SQL value differs). */
  | {
      readonly t: 'int';
      readonly text: string;
      readonly hex?: { readonly neg: boolean; readonly digits: string };
    }
  | { readonly t: 'real'; readonly text: string }
  /** `raw`: the string's body as canonical JSON (escapes as written, JSON5 escapes converted). */
  | { readonly t: 'str'; readonly raw: string }
  | { readonly t: 'arr'; readonly items: JsonNode[] }
  /** Entries in order; duplicate keys are kept, as SQLite keeps them. */
  | { readonly t: 'obj'; readonly entries: [string, JsonNode][] };

export const JSON_NULL: JsonNode = { t: 'null' };
export const JSON_TRUE: JsonNode = { t: 'true' };
export const JSON_FALSE: JsonNode = { t: 'false' };

/** Nesting deeper than this is malformed (SQLite's JSON_MAX_DEPTH). */
const MAX_DEPTH = 1000;

export interface ParseResult {
  readonly node: JsonNode;
  /** Whether any JSON5 extension was used (json_valid(X, 1) is then false). */
  readonly json5: boolean;
}

class Malformed {
  constructor(readonly at: number) {}
}

const IDENT_START = /[A-Za-z_$\u0080-\uffff]/;
const IDENT_PART = /[A-Za-z0-9_$\u0080-\uffff]/;
const SPECIAL_ESCAPES: Readonly<Record<string, string>> = { b: 'b', f: 'f', n: 'n', r: 'r', t: 't' };

/** SQLite's non-finite names (case-insensitive), longest first where one prefixes another. */
const NAN_INF: readonly [string, JsonNode][] = [
  ['infinity', { t: 'real', text: '9e999' }],
  ['inf', { t: 'real', text: '9e999' }],
  ['nan', JSON_NULL],
  ['qnan', JSON_NULL],
  ['snan', JSON_NULL],
];

/** Escape one control character the way SQLite's output does (\n and friends short, else \u00xx). */
export function controlEscape(c: number): string {
  const short = [8, 9, 10, 12, 13].indexOf(c);
  if (short >= 0) return '\\' + 'btnfr'[short];
  return '\\u00' + c.toString(16).padStart(2, '0');
}

class Parser {
  i = 0;
  json5 = false;
  constructor(readonly s: string) {}

  fail(at = this.i): never {
    throw new Malformed(at);
  }

  /** Skips white space and comments; JSON5 forms mark the text non-standard. */
  ws(): void {
    const s = this.s;
    for (;;) {
      const c = s.charCodeAt(this.i);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) {
        this.i++;
      } else if (c === 0x0b || c === 0x0c || c === 0xa0 || c === 0xfeff || c === 0x1680 || c === 0x3000) {
        this.json5 = true;
        this.i++;
      } else if (
        (c >= 0x2000 && c <= 0x200a) ||
        c === 0x2028 ||
        c === 0x2029 ||
        c === 0x202f ||
        c === 0x205f
      ) {
        this.json5 = true;
        this.i++;
      } else if (c === 0x2f /* / */ && s[this.i + 1] === '/') {
        this.json5 = true;
        while (this.i < s.length && s[this.i] !== '\n') this.i++;
      } else if (c === 0x2f && s[this.i + 1] === '*') {
        this.json5 = true;
        const end = s.indexOf('*/', this.i + 2);
        if (end < 0) this.fail();
        this.i = end + 2;
      } else {
        return;
      }
    }
  }

  /** `depth`: the containers around this value; a container more than MAX_DEPTH deep is malformed. */
  value(depth: number): JsonNode {
    this.ws();
    const s = this.s;
    const c = s[this.i];
    if ((c === '{' || c === '[') && depth >= MAX_DEPTH) this.fail();
    switch (c) {
      case '{':
        return this.object(depth);
      case '[':
        return this.array(depth);
      case '"':
      case "'":
        return { t: 'str', raw: this.string() };
      case 't':
        if (s.startsWith('true', this.i) && !IDENT_PART.test(s[this.i + 4] ?? '')) {
          this.i += 4;
          return JSON_TRUE;
        }
        break;
      case 'f':
        if (s.startsWith('false', this.i) && !IDENT_PART.test(s[this.i + 5] ?? '')) {
          this.i += 5;
          return JSON_FALSE;
        }
        break;
      case 'n':
        if (s.startsWith('null', this.i) && !IDENT_PART.test(s[this.i + 4] ?? '')) {
          this.i += 4;
          return JSON_NULL;
        }
        break;
      default:
        if (c !== undefined && /[-+.0-9]/.test(c)) return this.number();
    }
    const named = this.nanInf(this.i);
    if (named) {
      this.json5 = true;
      this.i = named.end;
      return named.node;
    }
    return this.fail();
  }

  nanInf(at: number): { node: JsonNode; end: number } | null {
    const lower = this.s.slice(at, at + 8).toLowerCase();
    for (const [name, node] of NAN_INF) {
      if (!lower.startsWith(name)) continue;
      if (/[A-Za-z0-9]/.test(this.s[at + name.length] ?? '')) continue;
      return { node, end: at + name.length };
    }
    return null;
  }

  number(): JsonNode {
    const s = this.s;
    const start = this.i;
    let i = this.i;
    let neg = false;
    if (s[i] === '+' || s[i] === '-') {
      neg = s[i] === '-';
      if (s[i] === '+') this.json5 = true;
      i++;
      // ±Infinity (and SQLite's other spellings of it).
      const named = /[iI]/.test(s[i] ?? '') ? this.nanInf(i) : null;
      if (named && named.node.t === 'real') {
        this.json5 = true;
        this.i = named.end;
        return { t: 'real', text: neg ? '-9e999' : '9e999' };
      }
    }
    if (s[i] === '0' && (s[i + 1] === 'x' || s[i + 1] === 'X') && /[0-9a-fA-F]/.test(s[i + 2] ?? '')) {
      this.json5 = true;
      let j = i + 2;
      while (/[0-9a-fA-F]/.test(s[j] ?? '')) j++;
      const digits = s.slice(i + 2, j);
      this.i = j;
      return { t: 'int', text: hexText(neg, digits), hex: { neg, digits } };
    }
    const sign = neg ? '-' : '';
    let intPart = '';
    let j = i;
    while (s[j] >= '0' && s[j] <= '9') j++;
    intPart = s.slice(i, j);
    if (intPart.length > 1 && intPart[0] === '0') this.fail(i + 1);
    let frac: string | null = null;
    if (s[j] === '.') {
      const k = j + 1;
      j = k;
      while (s[j] >= '0' && s[j] <= '9') j++;
      frac = s.slice(k, j);
    }
    if (intPart === '' && (frac === null || frac === '')) this.fail(start);
    let exp = '';
    if (s[j] === 'e' || s[j] === 'E') {
      let k = j + 1;
      if (s[k] === '+' || s[k] === '-') k++;
      const ds = k;
      while (s[k] >= '0' && s[k] <= '9') k++;
      if (k === ds) this.fail(j);
      exp = s.slice(j, k);
      j = k;
    }
    this.i = j;
    if (frac === null && exp === '') return { t: 'int', text: sign + intPart };
    if (intPart === '' || frac === '') this.json5 = true;
    const text = `${sign}${intPart === '' ? '0' : intPart}${frac === null ? '' : `.${frac === '' ? '0' : frac}`}${exp}`;
    return { t: 'real', text };
  }

  /** A string at `this.i` (either quote): its body as canonical JSON. */
  string(): string {
    const s = this.s;
    const q = s[this.i];
    if (q === "'") this.json5 = true;
    let i = this.i + 1;
    let out = '';
    let run = i;
    for (;;) {
      if (i >= s.length) this.fail(i);
      const c = s.charCodeAt(i);
      if (s[i] === q) break;
      if (c === 0x22 /* " inside '…' */) {
        out += s.slice(run, i) + '\\"';
        run = ++i;
        continue;
      }
      if (c < 0x20) {
        if (c === 0) this.fail(i);
        this.json5 = true;
        out += s.slice(run, i) + controlEscape(c);
        run = ++i;
        continue;
      }
      if (c !== 0x5c /* \ */) {
        i++;
        continue;
      }
      const e = s[i + 1];
      if (e === '"' || e === '\\' || e === '/' || (e !== undefined && SPECIAL_ESCAPES[e] !== undefined)) {
        i += 2;
        continue;
      }
      if (e === 'u') {
        if (!/^[0-9a-fA-F]{4}$/.test(s.slice(i + 2, i + 6))) this.fail(i);
        i += 6;
        continue;
      }
      // JSON5 escapes, converted to their RFC form on output as SQLite converts them.
      this.json5 = true;
      out += s.slice(run, i);
      if (e === "'") {
        out += "'";
        i += 2;
      } else if (e === 'v') {
        out += '\\u000b';
        i += 2;
      } else if (e === 'x') {
        const h = s.slice(i + 2, i + 4);
        if (!/^[0-9a-fA-F]{2}$/.test(h)) this.fail(i);
        out += '\\u00' + h;
        i += 4;
      } else if (e === '0' && !(s[i + 2] >= '0' && s[i + 2] <= '9')) {
        out += '\\u0000';
        i += 2;
      } else if (e === '\r') {
        i += s[i + 2] === '\n' ? 3 : 2;
      } else if (e === '\n' || e === '\u2028' || e === '\u2029') {
        i += 2;
      } else {
        this.fail(i);
      }
      run = i;
    }
    out += s.slice(run, i);
    this.i = i + 1;
    return out;
  }

  array(depth: number): JsonNode {
    this.i++;
    const items: JsonNode[] = [];
    for (;;) {
      this.ws();
      if (this.s[this.i] === ']') {
        if (items.length > 0) this.json5 = true;
        this.i++;
        return { t: 'arr', items };
      }
      items.push(this.value(depth + 1));
      this.ws();
      const c = this.s[this.i];
      if (c === ',') {
        this.i++;
        this.ws();
        if (this.s[this.i] === ']') {
          this.json5 = true;
          this.i++;
          return { t: 'arr', items };
        }
        continue;
      }
      if (c === ']') {
        this.i++;
        return { t: 'arr', items };
      }
      this.fail();
    }
  }

  object(depth: number): JsonNode {
    this.i++;
    const entries: [string, JsonNode][] = [];
    this.ws();
    if (this.s[this.i] === '}') {
      this.i++;
      return { t: 'obj', entries };
    }
    for (;;) {
      this.ws();
      const s = this.s;
      let key: string;
      const c = s[this.i];
      if (c === '"' || c === "'") {
        key = this.string();
      } else if (c !== undefined && IDENT_START.test(c)) {
        this.json5 = true;
        let j = this.i + 1;
        while (j < s.length && IDENT_PART.test(s[j])) j++;
        key = s.slice(this.i, j);
        this.i = j;
      } else {
        this.fail();
      }
      this.ws();
      if (s[this.i] !== ':') this.fail();
      this.i++;
      entries.push([key, this.value(depth + 1)]);
      this.ws();
      const d = s[this.i];
      if (d === ',') {
        this.i++;
        this.ws();
        if (s[this.i] === '}') {
          this.json5 = true;
          this.i++;
          return { t: 'obj', entries };
        }
        continue;
      }
      if (d === '}') {
        this.i++;
        return { t: 'obj', entries };
      }
      this.fail();
    }
  }
}

/** What json() prints for a JSON5 hex literal: the unsigned 64-bit value, 9.0e999 past 64 bits. */
function hexText(neg: boolean, digits: string): string {
  let u = 0n;
  for (const d of digits) {
    if (u >> 60n !== 0n) return `${neg ? '-' : ''}9.0e999`;
    u = u * 16n + BigInt(parseInt(d, 16));
  }
  return `${neg ? '-' : ''}${u}`;
}

/** Parses JSON (JSON5 accepted) or returns the 0-based offset where it stops being JSON. */
export function parseJson(s: string): ParseResult | { readonly errorAt: number } {
  const p = new Parser(s);
  try {
    const node = p.value(0);
    p.ws();
    // SQLite reports trailing text after a complete value at position 1 (offset 0).
    if (p.i < s.length) return { errorAt: 0 };
    return { node, json5: p.json5 };
  } catch (e) {
    if (e instanceof Malformed) return { errorAt: e.at };
    if (e instanceof RangeError) return { errorAt: p.i };
    throw e;
  }
}

/** The canonical, minified text of a node (what json() returns). */
export function renderJson(n: JsonNode): string {
  switch (n.t) {
    case 'null':
    case 'true':
    case 'false':
      return n.t;
    case 'int':
    case 'real':
      return n.text;
    case 'str':
      return `"${n.raw}"`;
    case 'arr':
      return `[${n.items.map(renderJson).join(',')}]`;
    case 'obj':
      return `{${n.entries.map(([k, v]) => `"${k}":${renderJson(v)}`).join(',')}}`;
  }
}

/** A JS string as a JSON string body, escaped as SQLite escapes it (jsonAppendString). */
export function escapeString(s: string): string {
  let out = '';
  let run = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c !== 0x22 && c !== 0x5c) continue;
    out += s.slice(run, i) + (c === 0x22 ? '\\"' : c === 0x5c ? '\\\\' : controlEscape(c));
    run = i + 1;
  }
  return run === 0 ? s : out + s.slice(run);
}

/**
 * A string body's value: escapes decoded. A lone surrogate escape decodes to what SQLite's
 * 3-byte encoding of it reads back as (three U+FFFD), so results match byte for byte.
 */
export function unescapeString(raw: string): string {
  if (!raw.includes('\\')) return raw;
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = raw[++i];
    switch (e) {
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'u': {
        const u = parseInt(raw.slice(i + 1, i + 5), 16);
        i += 4;
        if (u >= 0xd800 && u <= 0xdbff && raw[i + 1] === '\\' && raw[i + 2] === 'u') {
          const lo = parseInt(raw.slice(i + 3, i + 7), 16);
          if (lo >= 0xdc00 && lo <= 0xdfff) {
            out += String.fromCharCode(u, lo);
            i += 6;
            break;
          }
        }
        out += u >= 0xd800 && u <= 0xdfff ? '\ufffd\ufffd\ufffd' : String.fromCharCode(u);
        break;
      }
      default:
        out += e;
    }
  }
  return out;
}
