/**
 * The function table: every SQL function ModelVault runs, one entry per name and argument-count
 * range, collected from the family files. parser/lower-expr.ts resolves calls here,
 * compile-expr.ts compiles them from here, and docs/sql.md's function list is checked against
 * functionTable() by test/docs.
 */
import { AGGREGATES } from './aggregate';
import { CORE } from './core';
import { DATETIME } from './datetime';
import { JSON_FUNCTIONS, JSON_OPERATORS } from './json';
import { MATH } from './math';
import { PRINTF } from './printf';
import { TEXT } from './text';
import { WINDOW_FUNCTIONS } from './window';
import type { FunctionDef, ScalarFunction } from './types';

export type {
  AggregateFunction,
  CallSite,
  FunctionDef,
  FunctionFamily,
  ScalarFunction,
  WindowFunction,
} from './types';

const TABLE: readonly FunctionDef[] = [
  ...CORE,
  ...TEXT,
  ...PRINTF,
  ...MATH,
  ...DATETIME,
  ...JSON_FUNCTIONS,
  ...AGGREGATES,
  ...WINDOW_FUNCTIONS,
];

const BY_NAME = new Map<string, FunctionDef[]>();
for (const def of TABLE) {
  const list = BY_NAME.get(def.name) ?? [];
  list.push(def);
  BY_NAME.set(def.name, list);
}

const SCALARS = new Map<string, ScalarFunction>();
for (const def of TABLE) if (def.kind === 'scalar') SCALARS.set(def.name, def);
// -> and ->> compile like functions but cannot be called by name (parser/lower-expr.ts maps them).
for (const def of JSON_OPERATORS) SCALARS.set(def.name, def);

export function functionTable(): readonly FunctionDef[] {
  return TABLE;
}

function accepts(def: FunctionDef, n: number): boolean {
  return n >= def.minArgs && (def.maxArgs < 0 || n <= def.maxArgs);
}

export type Resolution =
  | { readonly kind: 'found'; readonly def: FunctionDef }
  | { readonly kind: 'unknown' }
  | { readonly kind: 'arity' };

/** The entry for `name(…n arguments)`: as SQLite, the argument count picks between same-named entries. */
export function resolveFunction(name: string, n: number): Resolution {
  const list = BY_NAME.get(name.toLowerCase());
  if (!list) return { kind: 'unknown' };
  const def = list.find((d) => accepts(d, n));
  return def ? { kind: 'found', def } : { kind: 'arity' };
}

/** Whether `name` with `n` arguments is an aggregate call. */
export function isAggregateCall(name: string, n: number): boolean {
  const r = resolveFunction(name, n);
  return r.kind === 'found' && r.def.kind === 'aggregate';
}

/** The scalar entry a CallExpr names (lowering only creates calls to entries that exist). */
export function scalarFunction(name: string): ScalarFunction | undefined {
  return SCALARS.get(name);
}
