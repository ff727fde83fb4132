/**
 * The rows of SQLite's table-valued json_each(X [, P]) and json_tree(X [, P]), as src/json.c's
 * jsonEach* cursor produces them: json_each the children of the element at P (or that element
 * when it is not an array or object), json_tree the element and everything under it, depth first.
 *
 * SQLite walks a JSONB blob, and two columns show it: `id` is the element's byte offset in the
 * blob (its label's, for an object member) and `parent` its container's id. The blob of a JSON
 * text is the canonical JSONB encoding, so the offsets are computed from the parsed tree: a
 * header of 1, 2, 3, 5 or 9 bytes (payload up to 11, 255, 65535, 2^32-1 bytes, else more), then
 * the payload — a number's or string's text as written, the children of a container, each
 * object member as a label (a text element) followed by its value.
 *
 * `fullkey`, `path` and the key of the first json_tree row come from the text of P the way
 * SQLite builds them (jsonAppendPathName, jsonEachPathLength), quirks included: a member name
 * is quoted unless it is an ASCII letter followed by ASCII letters and digits, and json_tree's
 * first row names its key by the part of P after the longest prefix whose element holds it as
 * its first child (else after `$`: `json_tree(x, '$.a[1]')` has key 'a[1]').
 */
import { DataError } from '../src/errors';
import { jsonArg, jsonArgText, jsonbArg, jsonTypeName, nodeToSql } from './json-sql';
import { lookup, NOT_FOUND, PATH_ERROR } from './json-path';
import type { JsonNode } from './json-value';
import { renderJson, unescapeString } from './json-value';
import { blobText } from './sqlite-conversions';
import { untag } from './tagged-real';
import type { ValueType } from './expr';

export type JsonTableFn = 'json_each' | 'json_tree';

export function isJsonTableFn(name: string): name is JsonTableFn {
  const lower = name.toLowerCase();
  return lower === 'json_each' || lower === 'json_tree';
}

export interface JsonTableColumn {
  readonly name: string;
  readonly type: ValueType;
  /** Selectable by name, not listed by `*` (SQLite's HIDDEN columns, the arguments). */
  readonly hidden?: true;
}

/**
 * The columns, in SQLite's order. None has an affinity in SQLite (the virtual table declares
 * no types), so all are 'any' here, which compares without conversion as SQLite does.
 */
export const JSON_TABLE_COLUMNS: readonly JsonTableColumn[] = [
  { name: 'key', type: 'any' },
  { name: 'value', type: 'any' },
  { name: 'type', type: 'any' },
  { name: 'atom', type: 'any' },
  { name: 'id', type: 'any' },
  { name: 'parent', type: 'any' },
  { name: 'fullkey', type: 'any' },
  { name: 'path', type: 'any' },
  { name: 'json', type: 'any', hidden: true },
  { name: 'root', type: 'any', hidden: true },
  // The virtual table's rowid: the row's number within one call, from 0 (not as _rowid_ or oid).
  { name: 'rowid', type: 'any', hidden: true },
];

/** Column positions the executor and the column readers rely on. */
export const VALUE_COLUMN = 1;
export const TYPE_COLUMN = 2;
export const ATOM_COLUMN = 3;

export type JsonTableRow = unknown[];

function badPath(path: string): DataError {
  return new DataError(`bad JSON path: '${path}'`, 'DATA');
}

function utf8Length(s: string): number {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return Buffer.byteLength(s, 'utf8');
  return s.length;
}

/** JSONB header bytes for a payload of `size` bytes (jsonBlobAppendNode). */
function headerLength(size: number): number {
  return size <= 11 ? 1 : size <= 0xff ? 2 : size <= 0xffff ? 3 : size <= 0xffffffff ? 5 : 9;
}

/** Payload sizes of a tree's containers, each computed once. */
class Sizes {
  private readonly memo = new Map<JsonNode, number>();

  payload(n: JsonNode): number {
    switch (n.t) {
      case 'null':
      case 'true':
      case 'false':
        return 0;
      case 'int':
        // A JSON5 hex literal keeps its text in JSONB (INT5): sign, `0x`, digits.
        return n.hex ? (n.hex.neg ? 1 : 0) + 2 + n.hex.digits.length : n.text.length;
      case 'real':
        return n.text.length;
      case 'str':
        return utf8Length(n.raw);
      case 'arr':
      case 'obj': {
        let size = this.memo.get(n);
        if (size !== undefined) return size;
        size = 0;
        if (n.t === 'arr') for (const item of n.items) size += this.total(item);
        else for (const [label, value] of n.entries) size += this.label(label) + this.total(value);
        this.memo.set(n, size);
        return size;
      }
    }
  }

  total(n: JsonNode): number {
    const p = this.payload(n);
    return headerLength(p) + p;
  }

  label(raw: string): number {
    const p = utf8Length(raw);
    return headerLength(p) + p;
  }
}

/** An element found by a path: its node, its offset, and its label's offset when in an object. */
interface Located {
  readonly node: JsonNode;
  readonly at: number;
  readonly label: number | null;
}

function locate(root: JsonNode, path: string, sizes: Sizes): Located | typeof NOT_FOUND | typeof PATH_ERROR {
  const trail: number[] = [];
  const found = lookup(root, path, trail);
  if (found === NOT_FOUND || found === PATH_ERROR) return found;
  let node = root;
  let at = 0;
  let label: number | null = null;
  for (const k of trail) {
    let child = at + headerLength(sizes.payload(node));
    if (node.t === 'arr') {
      for (let i = 0; i < k; i++) child += sizes.total(node.items[i]);
      node = node.items[k];
      label = null;
    } else if (node.t === 'obj') {
      for (let i = 0; i < k; i++) child += sizes.label(node.entries[i][0]) + sizes.total(node.entries[i][1]);
      label = child;
      child += sizes.label(node.entries[k][0]);
      node = node.entries[k][1];
    }
    at = child;
  }
  return { node, at, label };
}

/** `.name` or `."name"` (the name as the JSON text has it, escapes and all). */
function memberStep(raw: string): string {
  return /^[A-Za-z][A-Za-z0-9]*$/.test(raw) ? `.${raw}` : `."${raw}"`;
}

/** sqlite3Atoi64 on text like `12]`: an optional sign, then the leading digits. */
function leadingInt(s: string): number {
  const m = /^\s*([+-]?)(\d*)/.exec(s);
  const digits = m?.[2] ?? '';
  if (digits === '') return 0;
  const v = Number(digits);
  return m?.[1] === '-' ? -v : v;
}

/** SQL value of an element (JSON text for a container); never a TaggedReal. */
function valueOf(n: JsonNode): unknown {
  return n.t === 'arr' || n.t === 'obj' ? renderJson(n) : untag(nodeToSql(n));
}

/**
 * One call's inputs: the document argument as SQL value (`real`: it is a REAL) and, when the
 * call has a second argument, the path argument.
 */
export interface JsonTableArgs {
  readonly doc: unknown;
  readonly docReal: boolean;
  readonly path?: unknown;
  readonly pathReal?: boolean;
}

/** The `json` column: the document argument as SQLite's cursor keeps it (text, or a JSONB blob). */
function docColumn(v: unknown, real: boolean): unknown {
  if (v instanceof Uint8Array) return jsonbArg(v) === undefined ? blobText(v) : v;
  return jsonArgText(v, real);
}

function pathText(v: unknown, real: boolean): string | null {
  if (v instanceof Uint8Array) return blobText(v);
  return jsonArgText(v, real);
}

/** The rows of `fn` over `args` (none for a NULL document or path); malformed JSON and bad paths throw. */
export function* jsonTableRows(
  fn: JsonTableFn,
  args: JsonTableArgs | null,
): Generator<JsonTableRow, void, void> {
  if (args === null) return;
  const root = jsonArg(args.doc, args.docReal);
  if (root === null) return;
  const json = docColumn(args.doc, args.docReal);
  let rootPath = '$';
  if ('path' in args) {
    const p = pathText(args.path, args.pathReal === true);
    if (p === null) return;
    if (!p.startsWith('$')) throw badPath(p);
    rootPath = p;
  }
  const sizes = new Sizes();
  const target = rootPath === '$' ? { node: root, at: 0, label: null } : locate(root, rootPath, sizes);
  if (target === NOT_FOUND) return;
  if (target === PATH_ERROR) throw badPath(rootPath);
  const recursive = fn === 'json_tree';
  let rowid = 0;
  const row = (
    n: JsonNode,
    key: unknown,
    id: number,
    parent: number | null,
    fullkey: string,
    path: string,
  ) => {
    const container = n.t === 'arr' || n.t === 'obj';
    const value = valueOf(n);
    const type = jsonTypeName(n);
    return [key, value, type, container ? null : value, id, parent, fullkey, path, json, rootPath, rowid++];
  };
  /** Rows for the children of container `n` at offset `at` (row id `id`, fullkey `fullkey`). */
  function* children(
    n: JsonNode,
    at: number,
    id: number,
    fullkey: string,
  ): Generator<JsonTableRow, void, void> {
    let child = at + headerLength(sizes.payload(n));
    const parent = recursive ? id : null;
    if (n.t === 'arr') {
      for (let k = 0; k < n.items.length; k++) {
        const item = n.items[k];
        const key = `${fullkey}[${k}]`;
        yield row(item, k, child, parent, key, fullkey);
        if (recursive) yield* descend(item, child, child, key);
        child += sizes.total(item);
      }
    } else if (n.t === 'obj') {
      for (const [raw, value] of n.entries) {
        const at2 = child + sizes.label(raw);
        const key = fullkey + memberStep(raw);
        yield row(value, raw.includes('\\') ? unescapeString(raw) : raw, child, parent, key, fullkey);
        if (recursive) yield* descend(value, at2, child, key);
        child = at2 + sizes.total(value);
      }
    }
  }
  function* descend(
    n: JsonNode,
    at: number,
    id: number,
    fullkey: string,
  ): Generator<JsonTableRow, void, void> {
    if (n.t === 'arr' || n.t === 'obj') yield* children(n, at, id, fullkey);
  }
  const id = target.label ?? target.at;
  const container = target.node.t === 'arr' || target.node.t === 'obj';
  if (!recursive) {
    if (container) yield* children(target.node, target.at, id, rootPath);
    else yield row(target.node, null, id, null, rootPath, rootPath);
    return;
  }
  const j = firstRowPathLength(root, rootPath, id, sizes);
  yield row(target.node, firstRowKey(rootPath, j), id, null, rootPath, rootPath.slice(0, j));
  yield* descend(target.node, target.at, id, rootPath);
}

/**
 * jsonEachPathLength for json_tree's first row: the longest prefix of P, cut at a `.` or `[`,
 * whose element's first child is the row's element; 1 (`$`) when there is none.
 */
function firstRowPathLength(root: JsonNode, path: string, id: number, sizes: Sizes): number {
  for (let n = path.length - 1; n >= 1; n--) {
    if (path[n] !== '.' && path[n] !== '[') continue;
    const up = locate(root, path.slice(0, n), sizes);
    if (up === NOT_FOUND || up === PATH_ERROR) continue;
    if (up.at + headerLength(sizes.payload(up.node)) === id) return n;
  }
  return Math.min(1, path.length);
}

/** json_tree's first-row key: the text of P after the first `j` characters (see above). */
function firstRowKey(path: string, j: number): unknown {
  if (path.length <= 1) return null;
  const n = path.length - j;
  if (n === 0) return null;
  if (path[j] === '[') return leadingInt(path.slice(j + 1, j + n));
  if (path[j + 1] === '"') return path.slice(j + 2, j + n - 1);
  return path.slice(j + 1, j + n);
}
