/**
 * JSON paths as SQLite walks them (jsonLookupStep): `$`, `.key`, `."quoted key"`, `[N]`, `[#]`,
 * `[#-N]`, one step at a time, so a path is only checked as far as the lookup gets (a bad tail
 * after a missing key is not an error, as in SQLite). Edits (json_set, json_insert,
 * json_replace, json_remove) walk the same way on a tree the caller owns and mutates.
 */
import { escapeString, unescapeString } from './json-value';
import type { JsonNode } from './json-value';

export const NOT_FOUND = 'not found';
export const PATH_ERROR = 'path error';
export type Lookup = JsonNode | typeof NOT_FOUND | typeof PATH_ERROR;

/** 'ins' only adds, 'repl' only replaces, 'set' does both, 'del' removes. */
export type EditMode = 'ins' | 'repl' | 'set' | 'del';

interface Edit {
  readonly mode: EditMode;
  readonly value: JsonNode;
}

/** Where a node lives, so the last step of an edit can replace or remove it. */
interface Place {
  set(n: JsonNode): void;
  remove(): void;
}

interface Key {
  /** The key's value (escapes decoded). */
  readonly name: string;
  /** The key as a JSON string body, for a new entry. */
  readonly raw: string;
  /** Index just past the key in the path. */
  readonly end: number;
}

function parseKey(path: string, i: number): Key | null {
  // `i` is just past the '.'.
  if (path[i] === '"') {
    // A backslash escapes the next character, a quote included (SQLite 3.53's jsonLookupStep).
    let close = i + 1;
    while (close < path.length && path[close] !== '"')
      close += path[close] === '\\' && close + 1 < path.length ? 2 : 1;
    if (close >= path.length) return null;
    const body = path.slice(i + 1, close);
    const escaped = body.includes('\\');
    return {
      name: escaped ? unescapeString(body) : body,
      raw: escaped ? body : escapeString(body),
      end: close + 1,
    };
  }
  let j = i;
  while (j < path.length && path[j] !== '.' && path[j] !== '[') j++;
  if (j === i) return null;
  const name = path.slice(i, j);
  return { name, raw: escapeString(name), end: j };
}

/** `[N]`, `[#]`, `[#-N]` at `i`: the index (given the array's length) and the index past `]`. */
function parseIndex(path: string, i: number, length: number): { k: number; end: number } | null {
  let j = i + 1;
  let k = 0;
  while (path[j] >= '0' && path[j] <= '9') {
    k = k * 10 + (path.charCodeAt(j) - 48);
    j++;
  }
  if (j > i + 1 && path[j] === ']') return { k, end: j + 1 };
  if (path[i + 1] !== '#') return null;
  k = length;
  j = i + 2;
  if (path[j] === '-' && path[j + 1] >= '0' && path[j + 1] <= '9') {
    let nn = 0;
    j++;
    while (path[j] >= '0' && path[j] <= '9') {
      nn = nn * 10 + (path.charCodeAt(j) - 48);
      j++;
    }
    // Counting back past the start finds nothing, whatever follows (SQLite checks this first).
    if (nn > length) return { k: -1, end: j };
    k -= nn;
  }
  if (path[j] !== ']') return null;
  return { k, end: j + 1 };
}

/** The structure a missing tail of an edit path creates: `.a.b` → {"a":{"b":V}}. */
function substructure(tail: string, edit: Edit): Lookup {
  if (tail === '') return edit.value;
  let made: JsonNode = tail[0] === '.' ? { t: 'obj', entries: [] } : { t: 'arr', items: [] };
  const place: Place = {
    set: (n) => (made = n),
    remove: () => undefined,
  };
  const r = step(made, tail, 0, edit, place);
  return typeof r === 'string' ? r : made;
}

/** `trail`, when given, collects the child index each step took (entry index in an object). */
function step(
  node: JsonNode,
  path: string,
  i: number,
  edit: Edit | null,
  place: Place | null,
  trail?: number[],
): Lookup {
  if (i >= path.length) {
    if (edit && place) {
      if (edit.mode === 'del') place.remove();
      else if (edit.mode !== 'ins') place.set(edit.value);
    }
    return node;
  }
  if (path[i] === '.') {
    const key = parseKey(path, i + 1);
    if (key === null) return PATH_ERROR;
    if (node.t !== 'obj') return NOT_FOUND;
    const entries = node.entries;
    for (let e = 0; e < entries.length; e++) {
      const label = entries[e][0];
      if ((label.includes('\\') ? unescapeString(label) : label) !== key.name) continue;
      const entry = entries[e];
      trail?.push(e);
      return step(
        entry[1],
        path,
        key.end,
        edit,
        {
          set: (n) => (entry[1] = n),
          remove: () => entries.splice(entries.indexOf(entry), 1),
        },
        trail,
      );
    }
    if (edit && (edit.mode === 'ins' || edit.mode === 'set')) {
      const made = substructure(path.slice(key.end), edit);
      if (typeof made === 'string') return made;
      entries.push([key.raw, made]);
      return made;
    }
    return NOT_FOUND;
  }
  if (path[i] === '[') {
    if (node.t !== 'arr') return NOT_FOUND;
    const items = node.items;
    const ix = parseIndex(path, i, items.length);
    if (ix === null) return PATH_ERROR;
    if (ix.k < 0) return NOT_FOUND;
    if (ix.k < items.length) {
      const at = ix.k;
      trail?.push(at);
      return step(
        items[at],
        path,
        ix.end,
        edit,
        {
          set: (n) => (items[at] = n),
          remove: () => items.splice(at, 1),
        },
        trail,
      );
    }
    if (ix.k === items.length && edit && (edit.mode === 'ins' || edit.mode === 'set')) {
      const made = substructure(path.slice(ix.end), edit);
      if (typeof made === 'string') return made;
      items.push(made);
      return made;
    }
    return NOT_FOUND;
  }
  return PATH_ERROR;
}

/**
 * The node at `path` (which starts with '$'). With `trail`, the child index taken at each step
 * is pushed to it (json_each needs where the node sits, not only what it is).
 */
export function lookup(root: JsonNode, path: string, trail?: number[]): Lookup {
  return step(root, path, 1, null, null, trail);
}

/**
 * Applies one edit at `path` (which starts with '$') to the tree in `holder.root`; a whole-root
 * edit replaces the root (json_set(x, '$', v)) or removes it (json_remove(x, '$') → null root).
 */
export function applyEdit(
  holder: { root: JsonNode | null },
  path: string,
  mode: EditMode,
  value: JsonNode,
): Lookup {
  const root = holder.root;
  if (root === null) return NOT_FOUND;
  return step(
    root,
    path,
    1,
    { mode, value },
    { set: (n) => (holder.root = n), remove: () => (holder.root = null) },
  );
}
