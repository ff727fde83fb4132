/**
 * SQLite's JSON subtype: text that comes straight out of a JSON function (json(), json_array(),
 * ->, json_extract() of an array or object, json_group_array(), …) is embedded as JSON by the
 * next JSON function instead of being quoted as a string. ModelVault's values are plain strings,
 * so the subtype is tracked in two halves: statically, jsonMode() says whether an argument
 * expression can carry it (a JSON function, or CASE/coalesce/… around one, as SQLite passes the
 * subtype through those); at run time, every JSON-subtyped result is recorded by markJson() as
 * it is returned, and a consumer that just evaluated a 'maybe' argument asks isMarked() whether
 * that very value was one. Evaluation is synchronous, so nothing runs in between.
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
]);

let marked: string | null = null;

/** Records a JSON-subtyped result on its way out; returns it. */
export function markJson(s: string): string {
  marked = s;
  return s;
}

/** Forgets the last mark: call before evaluating a 'maybe' argument. */
export function clearMark(): void {
  marked = null;
}

/** Whether `v`, just returned by a 'maybe' argument, was a JSON-subtyped result. */
export function isMarked(v: unknown): boolean {
  return typeof v === 'string' && v === marked;
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
    case 'collate':
      return jsonMode(e.arg);
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
