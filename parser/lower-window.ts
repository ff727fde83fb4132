/**
 * Window function calls → WindowCall entries of the SELECT's Window node (planner/window.ts),
 * read back through slots. SQLite's rules: a window may name a window of the WINDOW clause
 * (`OVER w`) or extend it (`OVER (w ORDER BY …)`) without overriding its PARTITION BY, its
 * ORDER BY or any frame; the default frame is RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT
 * ROW; RANGE with an offset needs exactly one ORDER BY term. Window calls are allowed in the
 * select list and ORDER BY only; their arguments may hold aggregates (`sum(count(*)) OVER ()`)
 * but no other window call.
 *
 * Until the Aggregate's width is known a call's slot is a placeholder (index -1 - n for call
 * n); lowerSelect places them with placeWindowSlots once every aggregate has its slot.
 */
import { QueryError } from '../src/errors';
import { E } from '../planner/expr';
import type { Expr } from '../planner/expr';
import type { FunctionDef } from '../planner/functions';
import { typeOf } from '../planner/expr-type';
import { checkOrderingCollation } from '../planner/sql-text';
import { DEFAULT_FRAME } from '../planner/window';
import { sortKey } from '../planner/logical';
import type { FrameBound, WindowCall, WindowFrame, WindowSpec } from '../planner/window';
import type { FrameBoundAst, NamedWindowAst, SqlExpr, WindowSpecAst } from './sql/ast';
import type { ExprContext } from './lower-expr';
import { children, rewrite } from './expr-utils';

/** The window calls of one SELECT, and its WINDOW clause by lower-cased name. */
export interface WindowScope {
  readonly list: WindowCall[];
  readonly named: ReadonlyMap<string, WindowSpecAst>;
}

type CallAst = Extract<SqlExpr, { t: 'call' }>;
type Lower = (e: SqlExpr, cx: ExprContext) => Expr;

function misuse(message: string, sql: string, offset: number): QueryError {
  return new QueryError(message, 'QUERY', { sql, offset });
}

/** The WINDOW clause, each definition resolved against the ones before it (SQLite allows that). */
export function windowScope(windows: readonly NamedWindowAst[] | undefined, sql: string): WindowScope {
  const named = new Map<string, WindowSpecAst>();
  // A repeated name means its first definition, as SQLite's lookup finds it.
  for (const w of windows ?? [])
    if (!named.has(w.name.toLowerCase())) named.set(w.name.toLowerCase(), resolveSpec(w.spec, named, sql));
  return { list: [], named };
}

/** `spec` with its base window merged in, refusing what SQLite refuses to override. */
function resolveSpec(
  spec: WindowSpecAst,
  named: ReadonlyMap<string, WindowSpecAst>,
  sql: string,
): WindowSpecAst {
  if (spec.base === null) return spec;
  const base = named.get(spec.base.toLowerCase());
  if (!base) throw misuse(`no such window: ${spec.base}`, sql, spec.start);
  if (spec.partitionBy.length > 0)
    throw misuse(`cannot override PARTITION clause of window: ${spec.base}`, sql, spec.start);
  if (base.orderBy.length > 0 && spec.orderBy.length > 0)
    throw misuse(`cannot override ORDER BY clause of window: ${spec.base}`, sql, spec.start);
  if (base.frame !== null)
    throw misuse(`cannot override frame specification of window: ${spec.base}`, sql, spec.start);
  return {
    ...spec,
    base: null,
    partitionBy: base.partitionBy,
    orderBy: base.orderBy.length > 0 ? base.orderBy : spec.orderBy,
  };
}

function lowerFrame(spec: WindowSpecAst, cx: ExprContext, lower: Lower): WindowFrame {
  const sql = cx.sql;
  const f = spec.frame;
  if (f === null) return DEFAULT_FRAME;
  const s = f.start.kind;
  const e = f.end.kind;
  if (
    (s === 'currentRow' && e === 'preceding') ||
    (s === 'following' && (e === 'preceding' || e === 'currentRow'))
  )
    throw misuse('unsupported frame specification', sql, spec.start);
  const offset = (b: FrameBoundAst): boolean => b.kind === 'preceding' || b.kind === 'following';
  if (f.unit === 'range' && (offset(f.start) || offset(f.end)) && spec.orderBy.length !== 1)
    throw misuse('RANGE with offset PRECEDING/FOLLOWING requires one ORDER BY expression', sql, spec.start);
  // Offsets are constants: no column, aggregate or window may appear in them.
  const constCx: ExprContext = { ...cx, aggregates: null, windows: null, allowColumns: false };
  const bound = (b: FrameBoundAst): FrameBound => ({
    kind: b.kind,
    offset: b.offset ? lower(b.offset, constCx) : null,
  });
  return { unit: f.unit, start: bound(f.start), end: bound(f.end), exclude: f.exclude };
}

/** `name(…) [FILTER (…)] OVER …` → a placeholder slot reading the call's value. */
export function lowerWindowCall(e: CallAst, def: FunctionDef, cx: ExprContext, lower: Lower): Expr {
  const windows = cx.windows;
  if (!windows) throw misuse(`misuse of window function ${e.name}()`, cx.sql, e.start);
  if (def.kind === 'scalar')
    throw misuse(`${e.name}() may not be used as a window function`, cx.sql, e.start);
  if (e.distinct) throw misuse('DISTINCT is not supported for window functions', cx.sql, e.start);
  if (e.filter && def.kind === 'window')
    throw misuse('FILTER clause may only be used with aggregate window functions', cx.sql, e.start);
  const over = e.over ?? null;
  let ast: WindowSpecAst;
  if (typeof over === 'string') {
    const found = windows.named.get(over.toLowerCase());
    if (!found) throw misuse(`no such window: ${over}`, cx.sql, e.start);
    ast = found;
  } else if (over === null) {
    throw misuse(`misuse of window function ${e.name}()`, cx.sql, e.start);
  } else ast = resolveSpec(over, windows.named, cx.sql);

  // Arguments, partition and order keys read the rows the Window node sees; no window nests.
  const argCx: ExprContext = { ...cx, windows: null };
  const orderBy = ast.orderBy.map((o) => sortKey(lower(o.expr, argCx), o.desc, o.nulls));
  const partitionBy = ast.partitionBy.map((p) => lower(p, argCx));
  [...partitionBy, ...orderBy.map((o) => o.expr)].forEach(checkOrderingCollation);
  const spec: WindowSpec = { partitionBy, orderBy, frame: lowerFrame(ast, cx, lower) };
  const args = e.args.map((a) => lower(a, argCx));
  const type = def.returns(args.map(typeOf));
  const text = cx.sql.slice(e.start, e.end);
  let call: WindowCall;
  if (def.kind === 'window') {
    call = { kind: 'builtin', fn: def.fn, args, spec, type, text };
  } else {
    const filter = e.filter ? lower(e.filter, argCx) : null;
    const agg = E.aggregate(def.fn, args[0] ?? null, false, args.slice(1), filter);
    call = { kind: 'aggregate', agg, spec, type, text };
  }
  const n = windows.list.push(call) - 1;
  const slot = E.slot(-1 - n, type, text);
  return def.family === 'json' ? { ...slot, json: true } : slot;
}

/** Whether `e` reads a window call's value (a placeholder slot). */
export function readsWindow(e: Expr): boolean {
  return (e.kind === 'slot' && e.index < 0) || children(e).some(readsWindow);
}

/** Placeholder slots → the Window node's slots, which start at `base`. */
export function placeWindowSlots(e: Expr, base: number): Expr {
  return rewrite(e, (node) =>
    node.kind === 'slot' && node.index < 0 ? { ...node, index: base - 1 - node.index } : null,
  );
}
