/**
 * How an UPDATE or DELETE finds its rows: the query of its WHERE (or its FROM join), planned like
 * a SELECT and kept with the statement, run over the transaction's current state with the
 * statement's foreign (TEMP) tables beside it, and read in full before the write changes any row.
 */
import type { Engine } from '../storage/engine';
import { rowOfState } from '../storage/collection-state';
import type { CollectionState } from '../storage/collection-state';
import { QueryError } from '../src/errors';
import type { ReadView } from '../storage/row-reader';
import { compareValues } from '../storage/compare';
import { evalConstant } from './compile-expr';
import type { ExecContext, Row as ExecRow } from './compile-expr';
import type { Expr } from './expr';
import { hasSubquery } from './expr-columns';
import { E } from './expr';
import { exprText } from './explain';
import { L } from './logical';
import type { LogicalPlan, SharedCte } from './logical';
import type { PhysicalPlan } from './physical';
import { combinedView, openResult, physicalPlan } from './run';
import type { ForeignStore, RunOptions } from './run';
import type { DeletePlan, UpdatePlan } from './write-plan';
import { collectionOrThrow } from './write-values';

/**
 * The query an UPDATE or DELETE finds its rows with: the primary keys of the rows `where` accepts,
 * planned like any SELECT (so it uses an index), and what `EXPLAIN UPDATE/DELETE` shows. For
 * UPDATE … FROM it reads the join and also yields each SET expression's value per joined row.
 */
export function writeAccessPlan(pkColumn: number, write: UpdatePlan | DeletePlan): LogicalPlan {
  const pk = { expr: E.column(pkColumn, [], 'any', 'pk'), name: 'pk' };
  const from = write.kind === 'update' ? write.from : undefined;
  let plan: LogicalPlan = from ?? L.scan(write.collection, write.hint, true);
  if (write.where) plan = L.filter(plan, write.where);
  if (from === undefined || write.kind !== 'update') return L.project(plan, [pk]);
  return L.project(plan, [pk, ...write.sets.map((s) => ({ expr: s.expr, name: exprText(s.expr) }))]);
}

/** The rows of a write's access plan, read in full before any change (no Halloween problem). */
function accessRows(engine: Engine, write: UpdatePlan | DeletePlan, ctx: ExecContext): unknown[][] {
  // Read in full before the first change: a view the writes do not have to copy around.
  const view = queryView(engine, ctx, true);
  const opts = runOptions(engine, view, ctx);
  const { plan, subplans } = accessPlan(engine, write, view, ctx);
  if (subplans) opts.subplans = subplans;
  const { source } = openResult(plan, view, opts);
  const rows: unknown[][] = [];
  for (let r = source.next(); r !== null; r = source.next()) rows.push(r.length === 1 ? [r[0]] : [...r]);
  return rows;
}

/** A write's physical access plan, kept while the catalog it was planned against stands. */
interface CachedAccess {
  readonly engine: Engine;
  readonly version: number;
  readonly plan: PhysicalPlan;
  readonly subplans: Map<LogicalPlan, PhysicalPlan>;
  /** The lookup when the plan is one of one key and nothing else (pointLookup). */
  readonly point: PointLookup | null;
}

const accessPlans = new WeakMap<UpdatePlan | DeletePlan, CachedAccess>();

/**
 * The physical plan that finds a write's rows. Planning it again at every execution was most of
 * a point UPDATE or DELETE's own cost (`UPDATE … WHERE id = ?` in a loop); like a cached SELECT's
 * (cursor/connection.ts), a plan of one table is kept until the catalog changes — a table's size
 * does not change its plan. UPDATE … FROM (a join, whose order does depend on sizes) and writes
 * reading another store's tables are planned each time.
 */
function accessPlan(
  engine: Engine,
  write: UpdatePlan | DeletePlan,
  view: ReadView,
  ctx: ExecContext,
): { plan: PhysicalPlan; subplans: Map<LogicalPlan, PhysicalPlan> | null } {
  const cached = cachedAccess(engine, write, ctx);
  if (cached !== undefined) return cached;
  const projected = writeAccessPlan(collectionOrThrow(engine, write.collection).compiled.pkColumn, write);
  const plan = physicalPlan(projected, view);
  if (!cacheable(write, ctx)) return { plan, subplans: null };
  const entry: CachedAccess = {
    engine,
    version: engine.catalogVersion,
    plan,
    subplans: new Map(),
    point: pointLookup(plan, write.collection),
  };
  accessPlans.set(write, entry);
  return entry;
}

function cacheable(write: UpdatePlan | DeletePlan, ctx: ExecContext): boolean {
  return (write.kind !== 'update' || write.from === undefined) && !statementForeign.has(ctx);
}

/** The write's cached access plan, if it is still good for this engine's catalog. */
function cachedAccess(
  engine: Engine,
  write: UpdatePlan | DeletePlan,
  ctx: ExecContext,
): CachedAccess | undefined {
  if (!cacheable(write, ctx)) return undefined;
  const cached = accessPlans.get(write);
  return cached !== undefined && cached.engine === engine && cached.version === engine.catalogVersion
    ? cached
    : undefined;
}

/** A lookup of one key: in the primary key (`index` null) or in a unique index. */
interface PointLookup {
  readonly index: string | null;
  readonly key: Expr;
}

/**
 * The lookup of a plan that finds one row by one key and does nothing else (`WHERE id = ?`,
 * `WHERE uuid = ?` on a UNIQUE column, once the planner has folded away what it could), else
 * null. Such a write's row is found as the executor's lookup finds it, without opening a query.
 */
function pointLookup(plan: PhysicalPlan, collection: string): PointLookup | null {
  if (plan.kind !== 'Project' || plan.columns.length !== 1) return null;
  const input = plan.input;
  if (input.kind !== 'PrimaryKeyLookup' && input.kind !== 'IndexLookup') return null;
  if (input.collection !== collection || input.keys.length !== 1 || input.keysFrom !== undefined) return null;
  if (hasSubquery(input.keys[0])) return null;
  if (input.kind === 'PrimaryKeyLookup') return { index: null, key: input.keys[0] };
  return input.unique && !input.matchNull ? { index: input.index, key: input.keys[0] } : null;
}

/**
 * The primary key of the row `point` finds, as the executor's PrimaryKeyLookup or unique
 * IndexLookup under Project(pk) yields it, or none. A NULL key finds nothing.
 */
function pointKeys(engine: Engine, state: CollectionState, point: PointLookup, ctx: ExecContext): unknown[] {
  const key = evalConstant(point.key, ctx);
  if (key === null) return [];
  if (point.index !== null) {
    const ix = state.indexes.find((i) => i.def.name === point.index);
    if (ix === undefined) throw new QueryError(`no such index: ${point.index}`, 'QUERY');
    const pk = ix.tree.firstValue(key);
    return pk === undefined ? [] : [pk];
  }
  const location = state.pk.get(key);
  return location === undefined ? [] : [engine.readRow(location)[state.compiled.pkColumn]];
}

/**
 * The row a point write finds (see pointLookup) with its primary key, read once; null when there
 * is none, undefined when the write's plan is not a cached point lookup (then matchingKeys).
 */
export function pointTarget(
  engine: Engine,
  write: UpdatePlan | DeletePlan,
  ctx: ExecContext,
): { key: unknown; row: unknown[] } | null | undefined {
  const point = cachedAccess(engine, write, ctx)?.point ?? null;
  if (point === null) return undefined;
  const state = collectionOrThrow(engine, write.collection);
  if (point.index !== null) {
    const keys = pointKeys(engine, state, point, ctx);
    const row = keys.length === 0 ? undefined : engine.getRow(state, keys[0]);
    return row === undefined ? null : { key: keys[0], row };
  }
  const key = evalConstant(point.key, ctx);
  const location = key === null ? undefined : state.pk.get(key);
  if (location === undefined) return null;
  const row = rowOfState(state, engine.readRow(location));
  return { key: row[state.compiled.pkColumn], row };
}

export function matchingKeys(engine: Engine, write: UpdatePlan | DeletePlan, ctx: ExecContext): unknown[] {
  const point = cachedAccess(engine, write, ctx)?.point ?? null;
  if (point !== null) return pointKeys(engine, collectionOrThrow(engine, write.collection), point, ctx);
  return accessRows(engine, write, ctx).map((r) => r[0]);
}

/** Rows of shared CTEs per statement execution: every query a write runs reuses them. */
const statementCtes = new WeakMap<ExecContext, Map<SharedCte, ExecRow[]>>();

/**
 * Tables of another store a write's queries read (a connection's TEMP tables beside main ones,
 * planner/foreign-tables.ts): that store, as of the statement's start, and the tables' names.
 */
export interface ForeignReads {
  readonly store: ForeignStore;
  readonly names: readonly string[];
}

/** Per statement execution: the foreign tables its queries read. */
const statementForeign = new WeakMap<ExecContext, ForeignReads>();

/** The statement executing with `ctx` reads `foreign` beside its own store's tables. */
export function readsForeign(ctx: ExecContext, foreign: ForeignReads): void {
  statementForeign.set(ctx, foreign);
}

/** The view a write's query runs over: the engine's, with the statement's foreign tables. */
export function queryView(engine: Engine, ctx: ExecContext, transient = false): ReadView {
  const view = transient ? engine.transientView() : engine.currentView();
  const foreign = statementForeign.get(ctx);
  return foreign ? combinedView(view, foreign.store.view, foreign.names) : view;
}

export function runOptions(engine: Engine, view: ReadView, ctx: ExecContext): RunOptions {
  let shared = statementCtes.get(ctx);
  if (!shared) statementCtes.set(ctx, (shared = new Map()));
  const opts: RunOptions = { readers: engine.readersFor(view), params: ctx.params, sharedCtes: shared };
  if (ctx.session) opts.session = ctx.session;
  const foreign = statementForeign.get(ctx);
  if (foreign) opts.foreign = foreign.store;
  return opts;
}

/**
 * UPDATE … FROM: each target row matched by the join, in primary-key order, with the SET values
 * of its first joined row. SQLite updates a row once however many rows it joins with, from an
 * unspecified one of them; ModelVault takes the first the join produces.
 */
export function joinedTargets(
  engine: Engine,
  stmt: UpdatePlan,
  ctx: ExecContext,
): { key: unknown; values: unknown[] }[] {
  const rows = accessRows(engine, stmt, ctx);
  // A stable sort keeps each key's joined rows in the order the join produced them.
  rows.sort((a, b) => compareValues(a[0], b[0]));
  const out: { key: unknown; values: unknown[] }[] = [];
  for (const r of rows) {
    const last = out[out.length - 1];
    if (last !== undefined && compareValues(last.key, r[0]) === 0) continue;
    out.push({ key: r[0], values: r.slice(1) });
  }
  return out;
}
