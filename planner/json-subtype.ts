/**
 * SQLite's JSON subtype: text that comes straight out of a JSON function (json(), json_array(),
 * ->, json_extract() of an array or object, json_group_array(), …) is embedded as JSON by the
 * next JSON function instead of being quoted as a string. ModelVault's values are plain strings,
 * so the subtype is tracked in two halves: statically, jsonMode() says whether an argument
 * expression can carry it (a JSON function, or CASE/coalesce/… around one, as SQLite passes the
 * subtype through those); at run time, every JSON-subtyped result is recorded by markJson() as
 * it is returned, and a consumer that just evaluated a 'maybe' argument asks isMarked() whether
 * that very value was one. Evaluation is synchronous, so only the argument itself runs in
 * between. JSON functions that return plain text unmark it; what can still fool it is plain text
 * from a non-JSON function or a literal that equals JSON made inside the same argument, e.g. a
 * CASE whose WHEN makes JSON equal to the text its THEN returns
 * (`CASE WHEN json('[1]') = '[1]' THEN '[1]' END` nests as JSON here, as a string in SQLite).
 */
import type { Expr } from './expr';

/** 'always': every non-NULL result is JSON; 'maybe': ask isMarked(); 'never': plain text. */
export type JsonMode = 'always' | 'maybe' | 'never';

/** Functions whose every result carries the subtype. */
const ALWAYS: ReadonlySet<string> = new Set([
  'json',
  'json_array',
  'json_object',
  'json_set',
  'json_insert',
  'json_replace',
  'json_remove',
  'json_patch',
  'json_quote',
  '->',
]);

/** Functions that return one of their arguments as it is (the subtype travels with it). */
const PASS_THROUGH: ReadonlySet<string> = new Set([
  'coalesce',
  'ifnull',
  'iif',
  'if',
  'nullif',
  'likely',
  'unlikely',
  'likelihood',
  // Scalar max()/min() return one argument as it is.
  'max',
  'min',
]);

/**
 * JSON results since the last clearMark(). A set, not just the last one: max(json(a), json(b))
 * and nullif(json(a), json(b)) return a value that was not the last one made. Kept small: with
 * no consumer clearing it (SELECT json(x) over many rows) it is reset now and then.
 */
const marked = new Set<string>();
const MAX_MARKS = 64;

/** Records a JSON-subtyped result on its way out; returns it. */
export function markJson(s: string): string {
  if (marked.size >= MAX_MARKS) marked.clear();
  marked.add(s);
  return s;
}

/**
 * A JSON function's plain-text result (json_extract of a string, ->>): equal JSON text made while
 * computing it (json_extract(json_array(x), '$[0]') where x is JSON-looking text) must not make
 * it look subtyped. Returns it.
 */
export function unmarkJson<T>(v: T): T {
  if (typeof v === 'string') marked.delete(v);
  return v;
}

/** Forgets the marks: call before evaluating a 'maybe' argument. */
export function clearMark(): void {
  if (marked.size > 0) marked.clear();
}

/** Whether `v`, just returned by a 'maybe' argument, was a JSON-subtyped result. */
export function isMarked(v: unknown): boolean {
  return typeof v === 'string' && marked.has(v);
}

export function jsonMode(e: Expr | null): JsonMode {
  if (e === null) return 'never';
  switch (e.kind) {
    case 'call':
      if (ALWAYS.has(e.name)) return 'always';
      // json_extract() of one path is JSON only for an array or object; of several, always.
      if (e.name === 'json_extract') return e.args.length > 2 ? 'always' : 'maybe';
      if (PASS_THROUGH.has(e.name)) return e.args.some((a) => jsonMode(a) !== 'never') ? 'maybe' : 'never';
      return 'never';
    case 'slot':
      return e.json === true ? 'always' : 'never';
    case 'column':
      // json_each's value: JSON when its row says array or object.
      return e.jsonTypeAt !== undefined ? 'maybe' : 'never';
    case 'collate':
      return jsonMode(e.arg);
    case 'unary':
      // Unary + returns its operand unchanged.
      return e.op === 'pos' && jsonMode(e.arg) !== 'never' ? 'maybe' : 'never';
    case 'cast':
      // CAST of text to TEXT keeps the value, and SQLite keeps the subtype with it.
      return e.to === 'text' && jsonMode(e.arg) !== 'never' ? 'maybe' : 'never';
    case 'case':
      return [...e.whens.map((w) => w.then), e.otherwise].some((b) => jsonMode(b) !== 'never')
        ? 'maybe'
        : 'never';
    default:
      return 'never';
  }
}

/** Whether the value an argument of mode `mode` just produced carries the subtype. */
export function carriesJson(mode: JsonMode, v: unknown): boolean {
  return mode === 'always' ? typeof v === 'string' : mode === 'maybe' && isMarked(v);
}
