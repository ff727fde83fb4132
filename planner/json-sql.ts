/**
 * Between SQL values and JSON nodes, as SQLite's JSON functions convert them: an argument becomes
 * JSON (jsonAppendSqlValue: text is a JSON string unless it carries the JSON subtype, a BLOB is
 * read as JSONB), a node becomes an SQL value (jsonReturnFromBlob: integers stay exact within
 * int64 and overflow to REAL, strings are unescaped, arrays and objects are JSON text), and a
 * JSON argument is read from text or from a JSONB blob. Every failure is SQLite's message as a
 * DataError: the value, not the statement, is wrong.
 */
import { DataError } from '../src/errors';
import { fromBigInt } from './sql-values';
import { tagReal } from './tagged-real';
import { realToText } from './sqlite-cast';
import { blobText } from './sqlite-conversions';
import type { JsonNode } from './json-value';
import {
  escapeString,
  JSON_FALSE,
  JSON_NULL,
  JSON_TRUE,
  parseJson,
  renderJson,
  unescapeString,
} from './json-value';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

export function malformed(): DataError {
  return new DataError('malformed JSON', 'DATA');
}

/** A REAL as JSON: SQLite's REAL text, with infinities as 9.0e+999 (JSON has no Inf). */
export function realJson(r: number): string {
  if (r === Infinity) return '9.0e+999';
  if (r === -Infinity) return '-9.0e+999';
  return realToText(r);
}

/** Number → JSON node; `isReal` is the value's static REAL-ness (3.0 is a REAL 3). */
function numberNode(v: number, isReal: boolean): JsonNode {
  return isReal || !Number.isSafeInteger(v)
    ? { t: 'real', text: realJson(v) }
    : { t: 'int', text: String(v) };
}

/**
 * An SQL value as JSON, the way json_array(), json_object(), json_set() and json_quote() take
 * their value arguments. `isJson`: the value carries SQLite's JSON subtype (it came straight from
 * json(), json_array(), -> …), so text is embedded as JSON rather than quoted.
 */
export function sqlToNode(v: unknown, isReal: boolean, isJson: boolean): JsonNode {
  if (v === null || v === undefined) return JSON_NULL;
  switch (typeof v) {
    case 'number':
      return numberNode(v, isReal);
    case 'bigint':
      return { t: 'int', text: v.toString() };
    case 'boolean':
      return { t: 'int', text: v ? '1' : '0' };
    case 'string':
      if (isJson) return parseText(v);
      return { t: 'str', raw: escapeString(v) };
  }
  if (v instanceof Uint8Array) {
    const node = jsonbHeaderOk(v) ? decodeJsonb(v) : null;
    if (node === null) throw new DataError('JSON cannot hold BLOB values', 'DATA');
    return node;
  }
  if (v instanceof Date) return { t: 'int', text: String(v.getTime()) };
  throw new DataError(`JSON cannot hold a ${typeof v} value`, 'DATA');
}

function parseText(s: string): JsonNode {
  const r = parseJson(s);
  if ('errorAt' in r) throw malformed();
  return r.node;
}

/**
 * The JSON a function's first argument holds: text (or a number's text) parsed with JSON5
 * allowed, a JSONB blob decoded, any other blob read as text (SQLite keeps that historical
 * leniency). null for SQL NULL.
 */
export function jsonArg(v: unknown, isReal: boolean): JsonNode | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return parseText(v);
  if (v instanceof Uint8Array) {
    if (isJsonbArg(v)) {
      const node = decodeJsonb(v);
      if (node === null) throw malformed();
      return node;
    }
    return parseText(blobText(v));
  }
  // A number is read as its text: json(12) is 12, json(1.5) is 1.5, json(1e400) is 9e999 ('Inf').
  if (typeof v === 'number') return parseText(jsonArgText(v, isReal) ?? '');
  if (typeof v === 'bigint') return { t: 'int', text: v.toString() };
  if (typeof v === 'boolean') return { t: 'int', text: v ? '1' : '0' };
  return parseText(String(v));
}

/** The text json_valid() and json_error_position() check (null when the value is NULL). */
export function jsonArgText(v: unknown, isReal: boolean): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) return blobText(v);
  if (typeof v === 'number') return isReal || !Number.isSafeInteger(v) ? realToText(v) : String(v);
  return String(v);
}

/**
 * JSON node → SQL value (json_extract, ->>): null/true/false as NULL/1/0, arrays and objects as
 * text. A REAL comes back tagged (planner/tagged-real.ts) when it is a whole number, since the
 * caller's static type ('any') cannot say REAL.
 */
export function nodeToSql(n: JsonNode): unknown {
  const v = nodeValue(n);
  return typeof v === 'number' && (n.t === 'real' || !Number.isSafeInteger(v)) ? tagReal(v) : v;
}

function nodeValue(n: JsonNode): unknown {
  switch (n.t) {
    case 'null':
      return null;
    case 'true':
      return 1;
    case 'false':
      return 0;
    case 'int':
      return n.hex ? hexValue(n.hex.neg, n.hex.digits) : intValue(n.text);
    case 'real':
      return Number(n.text);
    case 'str':
      return unescapeString(n.raw);
    case 'arr':
    case 'obj':
      return renderJson(n);
  }
}

function intValue(text: string): unknown {
  const b = BigInt(text);
  if (b >= INT64_MIN && b <= INT64_MAX) return fromBigInt(b);
  // Past int64 SQLite reads the digits as a REAL.
  return Number(text);
}

/** A hex literal's value: exact within int64, a REAL up to 16 digits, malformed past that. */
function hexValue(neg: boolean, digits: string): unknown {
  const significant = digits.replace(/^0+/, '');
  if (significant.length > 16) throw malformed();
  const u = BigInt(`0x${significant || '0'}`);
  if (u > INT64_MAX) return neg ? -Number(u) : Number(u);
  return fromBigInt(neg ? -u : u);
}

/** json_type()'s name for a node. */
export function jsonTypeName(n: JsonNode): string {
  switch (n.t) {
    case 'int':
      return 'integer';
    case 'str':
      return 'text';
    case 'arr':
      return 'array';
    case 'obj':
      return 'object';
    default:
      return n.t;
  }
}

// --- JSONB (SQLite's binary JSON, which the functions accept as BLOB arguments) ---------------

/** Header at `i`: element type, payload size and header length, or null when cut off. */
function header(b: Uint8Array, i: number): { type: number; size: number; len: number } | null {
  if (i >= b.length) return null;
  const type = b[i] & 0x0f;
  const code = b[i] >> 4;
  if (code <= 11) return { type, size: code, len: 1 };
  const extra = code === 12 ? 1 : code === 13 ? 2 : code === 14 ? 4 : 8;
  if (i + extra >= b.length) return null;
  let size = 0;
  for (let k = 1; k <= extra; k++) size = size * 256 + b[i + k];
  return { type, size, len: 1 + extra };
}

/** SQLite's quick test that a blob is JSONB (jsonFuncArgMightBeBinary): one element filling it. */
function jsonbHeaderOk(b: Uint8Array): boolean {
  if (b.length < 1 || (b[0] & 0x0f) > 12) return false;
  const h = header(b, 0);
  if (h === null || h.size + h.len !== b.length) return false;
  return !(h.type <= 2 && h.size > 0);
}

/** Whether a JSON argument blob is taken as JSONB (jsonArgIsJsonb); else it is read as text. */
function isJsonbArg(b: Uint8Array): boolean {
  if (!jsonbHeaderOk(b)) return false;
  const h = header(b, 0);
  const c = b[0];
  // Short blobs that could as well be JSON text ('{', '[' or a digit) must decode fully.
  if (h !== null && h.size <= 7 && (c === 0x7b || c === 0x5b || (c >= 0x30 && c <= 0x39)))
    return decodeJsonb(b) !== null;
  return true;
}

/** A blob SQLite takes as JSONB: its node (null when malformed inside); undefined when it is read as text. */
export function jsonbArg(b: Uint8Array): JsonNode | null | undefined {
  return isJsonbArg(b) ? decodeJsonb(b) : undefined;
}

/** Decodes a whole JSONB blob; null when it is not well-formed. */
export function decodeJsonb(b: Uint8Array): JsonNode | null {
  const r = decodeAt(b, 0, 0);
  return r !== null && r.end === b.length ? r.node : null;
}

function decodeAt(b: Uint8Array, i: number, depth: number): { node: JsonNode; end: number } | null {
  if (depth > 1000) return null;
  const h = header(b, i);
  if (h === null) return null;
  const start = i + h.len;
  const end = start + h.size;
  if (end > b.length) return null;
  const text = (): string => Buffer.from(b.buffer, b.byteOffset + start, h.size).toString('utf8');
  const scalar = (s: string): JsonNode | null => {
    const r = parseJson(s);
    return 'errorAt' in r ? null : r.node;
  };
  let node: JsonNode | null;
  switch (h.type) {
    case 0:
      node = JSON_NULL;
      break;
    case 1:
      node = JSON_TRUE;
      break;
    case 2:
      node = JSON_FALSE;
      break;
    case 3:
    case 4:
    case 5:
    case 6:
      node = scalar(text());
      if (node !== null && node.t !== 'int' && node.t !== 'real') node = null;
      break;
    case 7:
    case 10:
      node = { t: 'str', raw: escapeString(text()) };
      break;
    case 8:
    case 9:
      node = scalar(`"${text()}"`);
      break;
    case 11:
    case 12: {
      const kids: JsonNode[] = [];
      for (let j = start; j < end;) {
        const r = decodeAt(b, j, depth + 1);
        if (r === null) return null;
        kids.push(r.node);
        j = r.end;
        if (j > end) return null;
      }
      if (h.type === 11) {
        node = { t: 'arr', items: kids };
        break;
      }
      if (kids.length % 2 !== 0) return null;
      const entries: [string, JsonNode][] = [];
      for (let k = 0; k < kids.length; k += 2) {
        const key = kids[k];
        if (key.t !== 'str') return null;
        entries.push([key.raw, kids[k + 1]]);
      }
      node = { t: 'obj', entries };
      break;
    }
    default:
      return null;
  }
  return node === null ? null : { node, end };
}
