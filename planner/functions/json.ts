/**
 * SQLite's JSON scalar functions (src/json.c) and the -> / ->> operators. Inputs are parsed per
 * call (JSON5 accepted, as SQLite accepts it), results are SQLite's canonical minified text; a
 * JSON result is marked with the JSON subtype (planner/json-subtype.ts) so a JSON function
 * taking it embeds it rather than quoting it. Parsing and rendering live in planner/json-value.ts,
 * paths in planner/json-path.ts, SQL value conversions in planner/json-sql.ts. json_each and
 * json_tree are table-valued and not supported (the parser refuses table-valued functions).
 */
import { DataError, QueryError } from '../../src/errors';
import type { Evaluator } from '../compile-expr';
import type { ValueType } from '../expr';
import { applyEdit, lookup, NOT_FOUND, PATH_ERROR } from '../json-path';
import type { EditMode, Lookup } from '../json-path';
import { jsonArg, jsonArgText, jsonbArg, jsonTypeName, nodeToSql, sqlToNode } from '../json-sql';
import { carriesJson, clearMark, jsonMode, markJson, unmarkJson } from '../json-subtype';
import type { JsonMode } from '../json-subtype';
import type { JsonNode } from '../json-value';
import { escapeString, parseJson, renderJson, unescapeString } from '../json-value';
import { toInt64, toText } from '../sqlite-cast';
import { TaggedReal } from '../tagged-real';
import type { CallSite, ScalarFunction } from './types';
import { returnsConst } from './types';

function scalar(def: Omit<ScalarFunction, 'kind' | 'family' | 'deterministic'>): ScalarFunction {
  return { kind: 'scalar', family: 'json', deterministic: true, ...def };
}

function badPath(path: string): DataError {
  return new DataError(`bad JSON path: '${path}'`, 'DATA');
}

/**
 * A call's arguments, all evaluated first and in order as SQLite evaluates them (so an error in
 * any argument surfaces even when an earlier one is NULL); `json[i]` says whether argument i
 * carries the JSON subtype, read right after it was evaluated.
 */
interface Args {
  readonly v: unknown[];
  readonly json: boolean[];
  /** Whether each argument is REAL: from its static type, or per row from its tag when 'any'. */
  readonly real: boolean[];
}

function evaluateArgs(site: CallSite): (row: readonly unknown[]) => Args {
  const n = site.args.length;
  const dynamic = site.types.map((t) => t === 'any');
  const evs = site.args.map((a, i) => (dynamic[i] ? site.tagged[i] : a));
  const modes: JsonMode[] = evs.map((_a, i) => (site.exprs ? jsonMode(site.exprs[i]) : 'never'));
  const fixedReal = site.types.map((t) => t === 'real');
  return (row) => {
    const v = new Array<unknown>(n);
    const json = new Array<boolean>(n);
    const real = fixedReal.slice();
    for (let i = 0; i < n; i++) {
      if (modes[i] === 'maybe') clearMark();
      let x = evs[i](row);
      if (x instanceof TaggedReal) {
        x = x.value;
        real[i] = true;
      }
      v[i] = x;
      json[i] = modes[i] !== 'never' && carriesJson(modes[i], x);
    }
    return { v, json, real };
  };
}

/** Argument i as a JSON value (json_array's elements, json_set's values). */
function valueAt(a: Args, i: number): JsonNode {
  return sqlToNode(a.v[i], a.real[i], a.json[i]);
}

/** Argument i as a JSON document (null for NULL). */
function docAt(a: Args, i: number): JsonNode | null {
  return jsonArg(a.v[i], a.real[i]);
}

/** Argument i as a path: text, null for NULL; anything not starting with '$' is a bad path. */
function pathAt(a: Args, i: number): string | null {
  const p = toText(a.v[i], a.real[i]);
  if (p !== null && p[0] !== '$') throw badPath(p);
  return p;
}

function found(r: Lookup, path: string): JsonNode | null {
  if (r === PATH_ERROR) throw badPath(path);
  return r === NOT_FOUND ? null : r;
}

/** Renders a JSON result and marks it as carrying the subtype. */
function jsonResult(n: JsonNode): string {
  return markJson(renderJson(n));
}

/** json_extract's value for one node: SQL value, arrays and objects as subtyped text. */
function extracted(n: JsonNode): unknown {
  const v = nodeToSql(n);
  return n.t === 'arr' || n.t === 'obj' ? markJson(v as string) : unmarkJson(v);
}

function compileExtract(site: CallSite): Evaluator {
  const args = evaluateArgs(site);
  const n = site.args.length;
  if (n < 2)
    return (row) => {
      args(row);
      return null;
    };
  return (row) => {
    const a = args(row);
    const root = docAt(a, 0);
    if (root === null) return null;
    if (n === 2) {
      const p = pathAt(a, 1);
      if (p === null) return null;
      const node = found(lookup(root, p), p);
      return node === null ? null : extracted(node);
    }
    const items: JsonNode[] = [];
    for (let i = 1; i < n; i++) {
      const p = pathAt(a, i);
      if (p === null) return null;
      items.push(found(lookup(root, p), p) ?? { t: 'null' });
    }
    return jsonResult({ t: 'arr', items });
  };
}

/**
 * The path an operator's right side names: a '$' path as is, an INTEGER as an array index
 * (negative counts from the end), any other text as an object label (SQLite's abbreviations).
 */
function operatorPath(v: unknown, isReal: boolean): string | null {
  if (v === null) return null;
  if (!isReal && (typeof v === 'bigint' || (typeof v === 'number' && Number.isSafeInteger(v)))) {
    const n = typeof v === 'bigint' ? v : BigInt(v);
    return n < 0n ? `$[#${n}]` : `$[${n}]`;
  }
  const s = toText(v, isReal) ?? '';
  if (s[0] === '$') return s;
  // An empty label becomes '$.', a bad path, as in SQLite.
  if (/^[A-Za-z0-9_]*$/.test(s)) return `$.${s}`;
  if (s[0] === '[' && s.length >= 3 && s[s.length - 1] === ']') return `$${s}`;
  return `$."${s}"`;
}

function compileArrow(asJson: boolean): (site: CallSite) => Evaluator {
  return (site) => {
    const args = evaluateArgs(site);
    return (row) => {
      const a = args(row);
      const root = docAt(a, 0);
      if (root === null) return null;
      const p = operatorPath(a.v[1], a.real[1]);
      if (p === null) return null;
      const n = found(lookup(root, p), p);
      if (n === null) return null;
      return asJson ? jsonResult(n) : unmarkJson(nodeToSql(n));
    };
  };
}

/** json_set / json_insert / json_replace: (doc, path, value) pairs applied in order. */
function compileEdit(name: string, mode: EditMode): (site: CallSite) => Evaluator {
  return (site) => {
    const n = site.args.length;
    const args = evaluateArgs(site);
    return (row) => {
      const a = args(row);
      if (n % 2 === 0) throw new QueryError(`${name}() needs an odd number of arguments`, 'QUERY');
      const root = docAt(a, 0);
      if (root === null) return null;
      const holder: { root: JsonNode | null } = { root };
      for (let i = 1; i + 1 < n; i += 2) {
        const p = toText(a.v[i], a.real[i]);
        if (p === null) continue;
        if (p[0] !== '$') throw badPath(p);
        const r = applyEdit(holder, p, mode, valueAt(a, i + 1));
        if (r === PATH_ERROR) throw badPath(p);
      }
      return holder.root === null ? null : jsonResult(holder.root);
    };
  };
}

function compileRemove(site: CallSite): Evaluator {
  const n = site.args.length;
  const args = evaluateArgs(site);
  return (row) => {
    const a = args(row);
    const root = docAt(a, 0);
    if (root === null) return null;
    const holder: { root: JsonNode | null } = { root };
    for (let i = 1; i < n; i++) {
      const p = toText(a.v[i], a.real[i]);
      if (p === null) return null;
      if (p[0] !== '$') throw badPath(p);
      // json_remove(X, '$') is NULL.
      if (p.length === 1) return null;
      const r = applyEdit(holder, p, 'del', { t: 'null' });
      if (r === PATH_ERROR) throw badPath(p);
    }
    return holder.root === null ? null : jsonResult(holder.root);
  };
}

/** RFC 7396 merge patch, as SQLite's jsonMergePatch applies it (first of duplicate keys). */
function mergePatch(target: JsonNode, patch: JsonNode): JsonNode {
  if (patch.t !== 'obj') return patch;
  const entries: [string, JsonNode][] = target.t === 'obj' ? target.entries.map((e) => [e[0], e[1]]) : [];
  for (const [key, value] of patch.entries) {
    // Keys match by value: "a" patches "\u0061".
    const name = unescapeString(key);
    const at = entries.findIndex(([k]) => unescapeString(k) === name);
    if (value.t === 'null') {
      if (at >= 0) entries.splice(at, 1);
    } else if (at >= 0) {
      entries[at][1] = mergePatch(entries[at][1], value);
    } else {
      entries.push([key, mergePatch({ t: 'obj', entries: [] }, value)]);
    }
  }
  return { t: 'obj', entries };
}

/** A (doc [, path]) function: the node at the path (root without one), or null for NULL/absent. */
function atPath(site: CallSite): (row: readonly unknown[]) => JsonNode | null {
  const args = evaluateArgs(site);
  const withPath = site.args.length > 1;
  return (row) => {
    const a = args(row);
    const root = docAt(a, 0);
    if (root === null) return null;
    if (!withPath) return root;
    const p = pathAt(a, 1);
    if (p === null) return null;
    return found(lookup(root, p), p);
  };
}

function compileValid(site: CallSite): Evaluator {
  const [x, f] = site.args;
  const real = site.types[0] === 'real';
  const flagsReal = site.types[1] === 'real';
  return (row) => {
    let flags = 1;
    if (f) {
      const raw = f(row);
      const n = raw === null ? 0n : toInt64(raw, flagsReal);
      if (n < 1n || n > 15n)
        throw new DataError('FLAGS parameter to json_valid() must be between 1 and 15', 'DATA');
      flags = Number(n);
    }
    const v = x(row);
    if (v === null) return null;
    if (v instanceof Uint8Array) {
      const node = jsonbArg(v);
      // 4: looks like JSONB at the top level; 8: decodes completely.
      if (node !== undefined) return (flags & 0x04) !== 0 ? 1 : (flags & 0x08) !== 0 && node !== null ? 1 : 0;
    }
    if ((flags & 0x03) === 0) return 0;
    const text = jsonArgText(v, real) ?? '';
    const r = parseJson(text);
    if ('errorAt' in r) return 0;
    return (flags & 0x02) !== 0 || !r.json5 ? 1 : 0;
  };
}

const ANY = (): ValueType => 'any';

export const JSON_FUNCTIONS: readonly ScalarFunction[] = [
  scalar({
    name: 'json',
    minArgs: 1,
    maxArgs: 1,
    summary:
      'X (JSON text, JSON5 accepted, or a JSONB blob) as minified canonical JSON; malformed JSON is a DataError.',
    returns: returnsConst('text'),
    compile: (site) => {
      const args = evaluateArgs(site);
      return (row) => {
        const n = docAt(args(row), 0);
        return n === null ? null : jsonResult(n);
      };
    },
  }),
  scalar({
    name: 'json_valid',
    args: 'X [, FLAGS]',
    minArgs: 1,
    maxArgs: 2,
    summary:
      '1 if X is well-formed JSON, else 0; NULL for NULL. FLAGS (1–15): 1 RFC 8259 text (the default), 2 JSON5 text, 4/8 a JSONB blob.',
    returns: returnsConst('integer'),
    compile: compileValid,
  }),
  scalar({
    name: 'json_type',
    args: 'X [, PATH]',
    minArgs: 1,
    maxArgs: 2,
    summary:
      "Type of X or of the value at PATH: 'null', 'true', 'false', 'integer', 'real', 'text', 'array' or 'object'; NULL when PATH finds nothing.",
    returns: returnsConst('text'),
    compile: (site) => {
      const at = atPath(site);
      return (row) => {
        const n = at(row);
        return n === null ? null : jsonTypeName(n);
      };
    },
  }),
  scalar({
    name: 'json_extract',
    args: 'X, PATH, …',
    minArgs: 1,
    maxArgs: -1,
    summary:
      'The SQL value at PATH (INTEGER, REAL, TEXT or NULL; arrays and objects as JSON text); with several paths a JSON array of the values.',
    returns: (types) => (types.length > 2 ? 'text' : 'any'),
    tagsReal: true,
    compile: compileExtract,
  }),
  scalar({
    name: 'json_array',
    args: 'X, …',
    minArgs: 0,
    maxArgs: -1,
    summary:
      'A JSON array of the arguments; text is a JSON string unless it comes from a JSON function (then it is embedded as JSON).',
    returns: returnsConst('text'),
    compile: (site) => {
      const args = evaluateArgs(site);
      return (row) => {
        const a = args(row);
        return jsonResult({ t: 'arr', items: a.v.map((_v, i) => valueAt(a, i)) });
      };
    },
  }),
  scalar({
    name: 'json_object',
    args: 'LABEL, VALUE, …',
    minArgs: 0,
    maxArgs: -1,
    summary: 'A JSON object of label/value pairs; labels must be TEXT, values as in json_array().',
    returns: returnsConst('text'),
    compile: (site) => {
      const n = site.args.length;
      const args = evaluateArgs(site);
      return (row) => {
        const a = args(row);
        if (n % 2 !== 0) throw new QueryError('json_object() requires an even number of arguments', 'QUERY');
        const entries: [string, JsonNode][] = [];
        for (let i = 0; i < n; i += 2) {
          const label = a.v[i];
          if (typeof label !== 'string') throw new DataError('json_object() labels must be TEXT', 'DATA');
          entries.push([escapeString(label), valueAt(a, i + 1)]);
        }
        return jsonResult({ t: 'obj', entries });
      };
    },
  }),
  scalar({
    name: 'json_insert',
    args: 'X, PATH, VALUE, …',
    minArgs: 1,
    maxArgs: -1,
    summary: 'X with each VALUE added at its PATH where nothing is there yet (`[#]` appends to an array).',
    returns: returnsConst('text'),
    compile: compileEdit('json_insert', 'ins'),
  }),
  scalar({
    name: 'json_replace',
    args: 'X, PATH, VALUE, …',
    minArgs: 1,
    maxArgs: -1,
    summary: 'X with the value at each existing PATH replaced by VALUE.',
    returns: returnsConst('text'),
    compile: compileEdit('json_replace', 'repl'),
  }),
  scalar({
    name: 'json_set',
    args: 'X, PATH, VALUE, …',
    minArgs: 1,
    maxArgs: -1,
    summary:
      'X with each VALUE set at its PATH, replacing or creating it (missing objects on the way are created).',
    returns: returnsConst('text'),
    compile: compileEdit('json_set', 'set'),
  }),
  scalar({
    name: 'json_remove',
    args: 'X, PATH, …',
    minArgs: 1,
    maxArgs: -1,
    summary: "X without the values at the PATHs, removed in order; json_remove(X, '$') is NULL.",
    returns: returnsConst('text'),
    compile: compileRemove,
  }),
  scalar({
    name: 'json_patch',
    args: 'T, P',
    minArgs: 2,
    maxArgs: 2,
    summary: 'T with the RFC 7396 merge patch P applied (a null in P removes the key).',
    returns: returnsConst('text'),
    compile: (site) => {
      const args = evaluateArgs(site);
      return (row) => {
        const a = args(row);
        const t = docAt(a, 0);
        if (t === null) return null;
        const p = docAt(a, 1);
        return p === null ? null : jsonResult(mergePatch(t, p));
      };
    },
  }),
  scalar({
    name: 'json_array_length',
    args: 'X [, PATH]',
    minArgs: 1,
    maxArgs: 2,
    summary:
      'Number of elements of the array X (or at PATH); 0 for any other JSON value; NULL when PATH finds nothing.',
    returns: returnsConst('integer'),
    compile: (site) => {
      const at = atPath(site);
      return (row) => {
        const n = at(row);
        return n === null ? null : n.t === 'arr' ? n.items.length : 0;
      };
    },
  }),
  scalar({
    name: 'json_quote',
    minArgs: 1,
    maxArgs: 1,
    summary:
      "X as a JSON value: text quoted and escaped, numbers as they are, NULL as 'null'; JSON from a JSON function unchanged.",
    returns: returnsConst('text'),
    compile: (site) => {
      const args = evaluateArgs(site);
      return (row) => jsonResult(valueAt(args(row), 0));
    },
  }),
  scalar({
    name: 'json_error_position',
    minArgs: 1,
    maxArgs: 1,
    summary:
      '0 when X is well-formed JSON (JSON5 accepted), else the 1-based character position of the first error; NULL for NULL.',
    deviation: 'the position of an error inside JSON5 extensions may differ by a character or two.',
    returns: returnsConst('integer'),
    compile: (site) => {
      const [x] = site.args;
      const real = site.types[0] === 'real';
      return (row) => {
        const v = x(row);
        if (v === null) return null;
        if (v instanceof Uint8Array) {
          const node = jsonbArg(v);
          if (node !== undefined) return node === null ? 1 : 0;
        }
        const r = parseJson(jsonArgText(v, real) ?? '');
        return 'errorAt' in r ? r.errorAt + 1 : 0;
      };
    },
  }),
];

/**
 * The operators, compiled like functions but not callable by name (they are not in the function
 * table, so not in docs/sql.md's function list either: the operators have their own section).
 */
export const JSON_OPERATORS: readonly ScalarFunction[] = [
  scalar({
    name: '->',
    args: 'X, PATH',
    minArgs: 2,
    maxArgs: 2,
    summary: 'X -> PATH: the JSON text at PATH.',
    returns: returnsConst('text'),
    compile: compileArrow(true),
  }),
  scalar({
    name: '->>',
    args: 'X, PATH',
    minArgs: 2,
    maxArgs: 2,
    summary: 'X ->> PATH: the SQL value at PATH.',
    returns: ANY,
    tagsReal: true,
    compile: compileArrow(false),
  }),
];
