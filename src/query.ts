/**
 * The typed query builder on `db.collection(name)`. Immutable: every method returns a new Query.
 * Paths and values are checked against the collection schema when the query is built (unknown
 * path or ill-typed value → QueryError before anything runs); the query lowers into the same
 * logical plan the SQL front end produces, so both share one planner and executor.
 */
import type { CollectionState } from '../storage/collection-state';
import type { NormalizedType } from '../storage/schema/normalize';
import { parsePath } from '../storage/schema/compile';
import { setPath } from '../storage/schema/paths';
import type { Engine, ReadView } from '../storage/engine';
import { E, balancedTree } from '../planner/expr';
import type { ColumnExpr, Expr } from '../planner/expr';
import { valueTypeOf } from '../planner/value-type';
import { L } from '../planner/logical';
import type { LogicalPlan, ProjectColumn } from '../planner/logical';
import { physicalPlan, openResult } from '../planner/run';
import type { PhysicalPlan } from '../planner/physical';
import { explain as explainPlan, explainLines } from '../planner/explain';
import { active, channels, planSummary } from '../storage/trace';
import type { QueryTraceContext } from '../storage/trace';
import type { ExecStats, Source } from '../planner/execute';
import { withDeadline } from '../planner/interrupt';
import { DataError, InterfaceError, OperationalError, QueryError } from './errors';
import { typedPlansOf } from './typed-plans';

export type WhereOp =
  | '='
  | '!='
  | '<'
  | '<='
  | '>'
  | '>='
  | 'in'
  | 'notIn'
  | 'between'
  | 'like'
  | 'startsWith'
  | 'isNull'
  | 'isNotNull';

export type Condition =
  | { path: string | readonly string[]; op: WhereOp; value?: unknown }
  | { and: readonly Condition[] }
  | { or: readonly Condition[] }
  | { not: Condition };

type Row = Record<string, unknown>;

/**
 * How deeply a condition's expression tree may nest: the SQL front end's limit (and SQLite's).
 * Every planner pass walks expressions recursively, so a deeper tree is refused with a QueryError
 * instead of overflowing the stack (issue 11, item 8).
 */
export const MAX_CONDITION_DEPTH = 1000;

/** What the builder needs from its Database: the engine, which view to read, and the integer mode. */
export interface QueryHost {
  readonly engine: Engine;
  view(): ReadView;
  /** The collection as the handle sees it (another handle's uncommitted DDL is not visible). */
  collection(name: string): CollectionState | undefined;
  readonly safeIntegers: boolean;
  /**
   * How many times interrupt() was called on the handle: a query being iterated stops (INTERRUPTED)
   * when this moves past the count it started with.
   */
  interrupts?(): number;
}

/** Options of a query's terminal call (all, first, iterate, count, aggregate). */
export interface QueryRunOptions {
  /**
   * Stop the call with OperationalError INTERRUPTED once it has run this many ms (0 or absent: no
   * limit). For iterate() the limit applies to each pull, as a cursor's does to each fetch: time
   * the caller spends between rows does not count.
   */
  timeoutMs?: number;
  /** @internal Planner tests: rows read and index entries visited. */
  stats?: ExecStats;
}

function timeoutOf(options: QueryRunOptions | undefined): number {
  if (options === undefined) return 0;
  if (typeof options !== 'object' || options === null)
    throw new InterfaceError('query options must be an object', 'BAD_OPTION');
  const t = options.timeoutMs;
  if (t === undefined) return 0;
  if (typeof t !== 'number' || !(t >= 0))
    throw new InterfaceError('timeoutMs must be a non-negative number', 'BAD_OPTION');
  return t;
}

/** `fn` under a time limit of `timeoutMs` (free when there is none). */
function limited<T>(timeoutMs: number, fn: () => T): T {
  return timeoutMs > 0 ? withDeadline(Date.now() + timeoutMs, fn) : fn();
}

function interruptedError(): OperationalError {
  return new OperationalError('statement interrupted', 'INTERRUPTED');
}

interface QueryState {
  readonly where: readonly Condition[];
  /**
   * The where conditions as lowered when they were added (where, and, or): their shape (the
   * plan cache's key) and the values they bind, in parameter order, against `whereFor`. A row
   * query whose collection state is still `whereFor` runs a cached plan with these and lowers
   * nothing again; null `whereFor`: conditions lowered against different states (a schema change
   * between two where calls), so the query lowers them again when it runs. Held weakly: a query
   * the application keeps after closing its database must not keep the collection's trees alive.
   */
  readonly whereShape: string;
  readonly whereBinds: readonly unknown[];
  readonly whereFor: WeakRef<CollectionState> | null;
  readonly order: readonly { path: string[]; desc: boolean }[];
  readonly limit: number | null;
  readonly offset: number | null;
  readonly select: readonly string[][] | null;
  readonly groupBy: readonly string[][];
}

/** One aggregate of `aggregate()`: COUNT(*) when `path` is omitted for 'count'. */
export interface AggregateSpec {
  fn: 'count' | 'sum' | 'avg' | 'min' | 'max' | 'total';
  path?: string | readonly string[];
  distinct?: boolean;
}

/** Stored value → user value for one path's type (timestamps as Date, int64 precision rule). */
export function toUserValue(t: NormalizedType, v: unknown, safeIntegers: boolean, path: string): unknown {
  if (v === null || v === undefined) return null;
  switch (t.kind) {
    case 'optional':
      return toUserValue(t.of, v, safeIntegers, path);
    case 'int64':
    case 'uint64':
      if (typeof v === 'bigint' || (typeof v === 'number' && !Number.isSafeInteger(v))) {
        if (safeIntegers) return BigInt(v);
        throw new DataError(
          `${path}: integer ${String(v)} cannot be represented exactly as a number; open with safeIntegers`,
          'INT_PRECISION',
          { path },
        );
      }
      return safeIntegers ? BigInt(v as number) : v;
    case 'timestamp':
      return new Date(v as number);
    case 'list':
      return (v as unknown[]).map((x, i) => toUserValue(t.of, x, safeIntegers, `${path}[${i}]`));
    case 'object': {
      const out: Row = {};
      t.fields.forEach((f, i) =>
        setPath(
          out,
          f.path,
          toUserValue(f.type, (v as unknown[])[i], safeIntegers, `${path}.${f.path.join('.')}`),
        ),
      );
      return out;
    }
    default:
      return v;
  }
}

function successor(prefix: string): string | null {
  const cps = Array.from(prefix);
  while (cps.length > 0) {
    const last = cps.pop() as string;
    const cp = last.codePointAt(0) as number;
    if (cp < 0x10ffff) return cps.join('') + String.fromCodePoint(cp === 0xd7ff ? 0xe000 : cp + 1);
  }
  return null;
}

/** While a traced typed query runs: receives each physical plan it opens (calls are synchronous). */
let planSink: ((plan: PhysicalPlan) => void) | null = null;

let typedPlansMade = 0;

/** @internal Physical plans row queries have made so far (tests count planning work with it). */
export function typedPlanCount(): number {
  return typedPlansMade;
}

let conditionsLowered = 0;

/** Paths remembered per collection state before the memo starts over (as the plan cache does). */
const REMEMBERED_PATHS_LIMIT = 512;

const COMPARISONS: ReadonlySet<WhereOp> = new Set<WhereOp>(['=', '!=', '<', '<=', '>', '>=']);

/**
 * Per collection state (a schema change makes a new one), operator and path: the shape of a
 * comparison lower() accepted (see Query.comparisonShape), and each such path's segments.
 */
const comparisonShapes = new WeakMap<CollectionState, Map<WhereOp, Map<string, string>>>();
const pathSegments = new WeakMap<CollectionState, Map<string, string[]>>();

function parsedPaths(state: CollectionState): Map<string, string[]> {
  let m = pathSegments.get(state);
  if (m === undefined) pathSegments.set(state, (m = new Map()));
  return m;
}

/**
 * @internal Conditions lowered so far, one per where/and/or condition per lowering (tests count
 * work); a comparison whose shape where() already knows is bound without one.
 */
export function typedLoweringCount(): number {
  return conditionsLowered;
}

export class Query {
  constructor(
    private readonly host: QueryHost,
    private readonly name: string,
    private readonly state: QueryState = {
      where: [],
      whereShape: '',
      whereBinds: [],
      whereFor: null,
      order: [],
      limit: null,
      offset: null,
      select: null,
      groupBy: [],
    },
  ) {}

  /**
   * While rows() lowers its conditions: compared values go here and become parameters, and the
   * shape of each condition goes to `shape` (the plan cache's key). Null otherwise: literals.
   */
  private binds: unknown[] | null = null;
  private shape: string[] | null = null;

  private with(patch: Partial<QueryState>): Query {
    return new Query(this.host, this.name, { ...this.state, ...patch });
  }

  private coll(): CollectionState {
    const state = this.host.collection(this.name);
    if (!state) throw new QueryError(`no such collection: ${this.name}`, 'QUERY');
    return state;
  }

  /**
   * `where(path, value)` is equality; `where(path, op, value)` any operator; `where(path, 'isNull')`
   * and `where(path, 'isNotNull')` take no value. Several calls AND together.
   */
  where(path: string | readonly string[], opOrValue: unknown, value?: unknown): Query {
    const cond: Condition =
      arguments.length === 2 && opOrValue !== 'isNull' && opOrValue !== 'isNotNull'
        ? { path, op: '=', value: opOrValue }
        : { path, op: opOrValue as WhereOp, value };
    return this.withCondition(cond);
  }

  and(...conds: Condition[]): Query {
    return this.withCondition({ and: conds });
  }

  or(...conds: Condition[]): Query {
    return this.withCondition({ or: conds });
  }

  /**
   * Add `cond`, lowered now: errors surface where the query is built, and the shape and bound
   * values it yields are kept, so that running the query does not lower it again.
   */
  private withCondition(cond: Condition): Query {
    const st = this.state;
    const state = this.coll();
    const binds = st.whereBinds.slice();
    let piece = this.comparisonShape(cond, state);
    if (piece !== null) {
      // A comparison seen before on this collection: its shape is known, only the value is new.
      const c = cond as { path: string; value: unknown };
      binds.push(this.canonical(parsedPaths(state).get(c.path) as string[], c.value, state));
    } else {
      const shape: string[] = [];
      this.binds = binds;
      this.shape = shape;
      try {
        this.lower(cond);
      } finally {
        this.binds = null;
        this.shape = null;
      }
      piece = shape.join('');
      conditionsLowered++;
      this.rememberComparison(cond, state, piece);
    }
    return this.with({
      where: [...st.where, cond],
      whereShape: st.whereShape + piece,
      whereBinds: binds,
      whereFor:
        st.where.length === 0
          ? new WeakRef(state)
          : st.whereFor !== null && st.whereFor.deref() === state
            ? st.whereFor
            : null,
    });
  }

  /**
   * The shape lower() gives `cond` when it is a comparison (=, !=, <, <=, >, >=) of a string path
   * with one non-null scalar value that lower() has accepted on `state` before; else null. Such a
   * condition's shape depends on its path and operator only, and its value on nothing but the
   * path's type, so where() checks the value and binds it without lowering again.
   */
  private comparisonShape(cond: Condition, state: CollectionState): string | null {
    if (typeof cond !== 'object' || cond === null || !('op' in cond)) return null;
    const { path, op, value } = cond;
    if (typeof path !== 'string' || !COMPARISONS.has(op)) return null;
    if (value === null || value === undefined || Array.isArray(value)) return null;
    return comparisonShapes.get(state)?.get(op)?.get(path) ?? null;
  }

  private rememberComparison(cond: Condition, state: CollectionState, piece: string): void {
    if (!('op' in cond) || typeof cond.path !== 'string' || !COMPARISONS.has(cond.op)) return;
    const v = cond.value;
    if (v === null || v === undefined || Array.isArray(v)) return;
    let byOp = comparisonShapes.get(state);
    if (byOp === undefined) comparisonShapes.set(state, (byOp = new Map()));
    let byPath = byOp.get(cond.op);
    if (byPath === undefined) byOp.set(cond.op, (byPath = new Map()));
    const paths = parsedPaths(state);
    if (paths.size >= REMEMBERED_PATHS_LIMIT) {
      paths.clear();
      byOp.clear();
      byOp.set(cond.op, (byPath = new Map()));
    }
    byPath.set(cond.path, piece);
    paths.set(cond.path, parsePath(cond.path));
  }

  orderBy(path: string | readonly string[], direction: 'asc' | 'desc' = 'asc'): Query {
    if (direction !== 'asc' && direction !== 'desc')
      throw new QueryError(`orderBy direction must be 'asc' or 'desc'`, 'QUERY');
    const segs = parsePath(path);
    // After groupBy, order keys may name aggregates: aggregate() checks them; otherwise check now.
    if (this.state.groupBy.length === 0) this.column(segs);
    return this.with({ order: [...this.state.order, { path: segs, desc: direction === 'desc' }] });
  }

  limit(n: number): Query {
    return this.with({ limit: this.count_('limit', n) });
  }

  offset(n: number): Query {
    return this.with({ offset: this.count_('offset', n) });
  }

  private count_(what: string, n: number): number {
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0)
      throw new QueryError(`${what} must be a non-negative integer`, 'QUERY');
    return n;
  }

  /** Return only these paths (rows keep their nested shape). */
  select(paths: readonly (string | readonly string[])[]): Query {
    const segs = paths.map((p) => parsePath(p));
    for (const s of segs) this.column(s);
    return this.with({ select: segs });
  }

  /** The physical plan as text. */
  explain(): string {
    return explainPlan(physicalPlan(this.logical(false), this.host.view()));
  }

  /** Every matching row. `timeoutMs` limits the whole call. */
  all(options?: QueryRunOptions): Row[] {
    const timeoutMs = timeoutOf(options);
    const stats = options?.stats;
    if (!active(channels.query)) return limited(timeoutMs, () => [...this.rows(0, stats)]);
    return this.traced(
      'all',
      () => limited(timeoutMs, () => [...this.rows(0, stats)]),
      (rows) => rows.length,
    );
  }

  first(options?: QueryRunOptions): Row | null {
    const timeoutMs = timeoutOf(options);
    const one = this.limit(1);
    const stats = options?.stats;
    if (!active(channels.query))
      return timeoutMs > 0 ? limited(timeoutMs, () => one.firstRow(stats)) : one.firstRow(stats);
    return this.traced(
      'first',
      () => limited(timeoutMs, () => one.firstRow(stats)),
      (row) => (row === null ? 0 : 1),
    );
  }

  /** rows(0)'s first row, without the generator and closures a lookup by key would pay for per call. */
  private firstRow(stats: ExecStats | undefined): Row | null {
    const state = this.coll();
    const row = this.openRowsOf(state, stats).next();
    if (row === null) return null;
    if (this.state.select !== null) return this.converter()(row);
    return state.compiled.toObject(row, this.host.safeIntegers);
  }

  /**
   * Rows one at a time: the result is produced as it is consumed, against a snapshot taken now.
   * `timeoutMs` limits each pull; the handle's interrupt() stops the iteration at the next pull.
   */
  iterate(options?: QueryRunOptions): Generator<Row, void, undefined> {
    const timeoutMs = timeoutOf(options);
    return this.rows(timeoutMs, options?.stats);
  }

  private *rows(timeoutMs: number, stats?: ExecStats): Generator<Row, void, undefined> {
    const interrupts = this.host.interrupts;
    const since = interrupts ? interrupts() : 0;
    // Opening plans the query: under the time limit too, and with the interrupt check installed
    // while operators are built so they poll it (planner/interrupt.ts).
    const source = limited(timeoutMs, () => this.openRows(stats));
    const convert = this.converter();
    const pull = timeoutMs > 0 ? () => limited(timeoutMs, () => source.next()) : () => source.next();
    for (;;) {
      if (interrupts && interrupts() !== since) throw interruptedError();
      const row = pull();
      if (row === null) return;
      yield convert(row);
    }
  }

  /** Group by these paths (use with aggregate()). */
  groupBy(...paths: (string | readonly string[])[]): Query {
    const segs = paths.map((p) => parsePath(p));
    for (const p of segs) {
      const { type } = this.column(p);
      if (type.kind === 'list' || type.kind === 'object')
        throw new QueryError(`cannot group by '${p.join('.')}': not a scalar`, 'QUERY');
    }
    return this.with({ groupBy: [...this.state.groupBy, ...segs] });
  }

  /**
   * Aggregate the matching rows, one result row per group (one in total without groupBy), in
   * group-key order: `{ ...group paths, ...spec names }`. SQLite rules: COUNT skips NULLs, SUM of
   * integers stays an integer, AVG is a float, MIN/MAX skip NULLs; orderBy sorts the groups by
   * output names, limit/offset cut them.
   */
  aggregate(spec: Readonly<Record<string, AggregateSpec>>, options?: QueryRunOptions): Row[] {
    const timeoutMs = timeoutOf(options);
    if (!active(channels.query)) return limited(timeoutMs, () => this.aggregateNow(spec));
    return this.traced(
      'aggregate',
      () => limited(timeoutMs, () => this.aggregateNow(spec)),
      (rows) => rows.length,
    );
  }

  private aggregateNow(spec: Readonly<Record<string, AggregateSpec>>): Row[] {
    const state = this.coll();
    const width = state.compiled.columnCount;
    const names = Object.keys(spec);
    if (names.length === 0 && this.state.groupBy.length === 0)
      throw new QueryError('aggregate() needs at least one aggregate or a groupBy', 'QUERY');
    const groupCols = this.state.groupBy.map((p) => this.column(p));
    const aggs = names.map((name) => {
      const a = spec[name];
      if (!a || !['count', 'sum', 'avg', 'min', 'max', 'total'].includes(a.fn))
        throw new QueryError(`aggregate '${name}': unknown function`, 'QUERY');
      if (a.path === undefined && a.fn !== 'count')
        throw new QueryError(`aggregate '${name}': ${a.fn} needs a path`, 'QUERY');
      const col = a.path === undefined ? null : this.column(parsePath(a.path));
      if (
        col &&
        (a.fn === 'sum' || a.fn === 'avg' || a.fn === 'total') &&
        !['integer', 'real', 'boolean'].includes(col.expr.type)
      ) {
        throw new QueryError(`aggregate '${name}': ${a.fn} needs a numeric path`, 'QUERY');
      }
      return { name, fn: a.fn, col, distinct: a.distinct === true };
    });
    let plan = this.filteredScan();
    plan = L.aggregate(
      plan,
      groupCols.map((g) => g.expr),
      aggs.map((a) => E.aggregate(a.fn, a.col?.expr ?? null, a.distinct)),
      width,
    );
    const outNames = [...this.state.groupBy.map((p) => p.join('.')), ...names];
    const outSlots = outNames.map((n, i) => E.slot(width + i, 'any', n));
    if (this.state.order.length) {
      plan = L.sort(
        plan,
        this.state.order.map((o) => {
          const i = outNames.indexOf(o.path.join('.'));
          if (i < 0)
            throw new QueryError(
              `orderBy '${o.path.join('.')}' must name a group path or an aggregate`,
              'QUERY',
            );
          return { expr: outSlots[i], desc: o.desc };
        }),
      );
    }
    plan = L.project(
      plan,
      outNames.map((name, i) => ({ expr: outSlots[i], name })),
    );
    if (this.state.limit !== null || this.state.offset !== null) {
      plan = L.limit(
        plan,
        this.state.limit === null ? null : E.literal(this.state.limit),
        this.state.offset === null ? null : E.literal(this.state.offset),
      );
    }
    const source = this.open(plan);
    const safe = this.host.safeIntegers;
    const groupTypes = groupCols.map((g) => g.type);
    const out: Row[] = [];
    for (let row = source.next(); row !== null; row = source.next()) {
      const obj: Row = {};
      this.state.groupBy.forEach((p, i) =>
        setPath(obj, p, toUserValue(groupTypes[i], row[i], safe, p.join('.'))),
      );
      aggs.forEach((a, i) => {
        const v = row[groupCols.length + i];
        const t =
          a.fn === 'count'
            ? ({ kind: 'int64' } as NormalizedType)
            : a.fn === 'avg' || a.fn === 'total'
              ? ({ kind: 'float64' } as NormalizedType)
              : (a.col?.type ?? ({ kind: 'int64' } as NormalizedType));
        const value = toUserValue(t, v, safe, a.name);
        // An aggregate named '__proto__' (a JSON.parse'd spec) is a field, not the prototype.
        if (a.name === '__proto__')
          Object.defineProperty(obj, a.name, { value, writable: true, enumerable: true, configurable: true });
        else obj[a.name] = value;
      });
      out.push(obj);
    }
    return out;
  }

  count(options?: QueryRunOptions): number {
    const timeoutMs = timeoutOf(options);
    if (!active(channels.query)) return limited(timeoutMs, () => this.countNow());
    return this.traced(
      'count',
      () => limited(timeoutMs, () => this.countNow()),
      () => 1,
    );
  }

  private countNow(): number {
    if (this.state.limit !== null || this.state.offset !== null) {
      let n = 0;
      for (const _row of this.iterateRaw()) n++;
      return n;
    }
    const row = this.open(this.logical(true)).next();
    return Number(row?.[0] ?? 0);
  }

  /**
   * Run `run` under `modelvault:query` (callers check that someone listens first, so an untraced
   * call allocates none of these closures). Typed queries read their rows inside the call, so
   * the context is complete at `end`; the plan summary is taken from the plan the query opens.
   */
  private traced<T>(statement: string, run: () => T, rowsOf: (result: T) => number): T {
    const ctx: QueryTraceContext = {
      sql: null,
      collection: this.name,
      statement,
      plan: null,
      streaming: false,
      rows: null,
      rowsChanged: null,
      complete: false,
    };
    // Rows go back to the caller, not into the context's `result`.
    let out: { v: T } | null = null;
    channels.query.traceSync(() => {
      const outer = planSink;
      // The summary is of the first plan the query opens (the one that produces its rows).
      planSink = (plan) => {
        if (ctx.plan === null) ctx.plan = planSummary(explainLines(plan));
      };
      try {
        const result = run();
        ctx.rows = rowsOf(result);
        ctx.complete = true;
        out = { v: result };
      } finally {
        planSink = outer;
      }
    }, ctx);
    return (out as unknown as { v: T }).v;
  }

  // ───────────────────────── lowering ─────────────────────────

  private column(segs: readonly string[]): { expr: ColumnExpr; type: NormalizedType } {
    const acc = this.coll().compiled.resolvePath(segs);
    if (!acc) throw new QueryError(`unknown path '${segs.join('.')}' in collection ${this.name}`, 'QUERY');
    return { expr: E.column(acc.column, acc.sub, valueTypeOf(acc.type), segs.join('.')), type: acc.type };
  }

  private value(segs: readonly string[], v: unknown): Expr {
    const canonical = this.canonical(segs, v);
    const binds = this.binds;
    if (binds === null) return E.literal(canonical);
    binds.push(canonical);
    return E.param(binds.length - 1);
  }

  /** `v` in the stored form of the field at `segs`; QueryError when it does not fit its type. */
  private canonical(segs: readonly string[], v: unknown, state: CollectionState = this.coll()): unknown {
    try {
      return state.compiled.canonicalValue(segs, v);
    } catch (err) {
      throw new QueryError(
        `value for '${segs.join('.')}' does not fit its type: ${err instanceof Error ? err.message : String(err)}`,
        'QUERY',
        { cause: err },
      );
    }
  }

  /** `depth` is the depth of the expression tree built so far, checked against MAX_CONDITION_DEPTH. */
  private lower(c: Condition, depth = 0): Expr {
    if (depth > MAX_CONDITION_DEPTH)
      throw new QueryError(`condition nests too deeply (maximum depth ${MAX_CONDITION_DEPTH})`, 'QUERY');
    if (typeof c !== 'object' || c === null) throw new QueryError('a condition must be an object', 'QUERY');
    const shape = this.shape;
    if ('and' in c) return this.combine(c.and, 'and', depth);
    if ('or' in c) return this.combine(c.or, 'or', depth);
    if ('not' in c) {
      shape?.push('not(');
      const inner = E.unary('not', this.lower(c.not, depth + 1));
      shape?.push(')');
      return inner;
    }
    const segs = parsePath(c.path);
    // Values that lower() binds as parameters count only by number; like and startsWith keep
    // their pattern as a literal (the planner reads a prefix from it), so it is part of the shape.
    if (shape !== null) {
      const v = c.value;
      const arity = Array.isArray(v) ? v.length : 1;
      const literal = c.op === 'like' || c.op === 'startsWith' ? JSON.stringify(v) : String(arity);
      shape.push(segs.join('\u0000'), '\u0001', String(c.op), '\u0001', literal, ';');
    }
    const { expr: col, type } = this.column(segs);
    if (type.kind === 'list' || type.kind === 'object')
      throw new QueryError(`'${segs.join('.')}' is not a scalar path`, 'QUERY');
    const v = c.value;
    switch (c.op) {
      case '=':
      case '!=':
      case '<':
      case '<=':
      case '>':
      case '>=':
        if (v === null || v === undefined)
          throw new QueryError(`comparing with null is never true; use 'isNull'`, 'QUERY');
        return E.binary(c.op, col, this.value(segs, v));
      case 'in':
      case 'notIn':
        if (!Array.isArray(v)) throw new QueryError(`'${c.op}' needs an array of values`, 'QUERY');
        return E.in(
          col,
          v.map((x: unknown) => this.value(segs, x)),
          c.op === 'notIn',
        );
      case 'between': {
        if (!Array.isArray(v) || v.length !== 2) throw new QueryError(`'between' needs [low, high]`, 'QUERY');
        return E.between(col, this.value(segs, v[0]), this.value(segs, v[1]));
      }
      case 'like':
        if (typeof v !== 'string' || col.type !== 'text')
          throw new QueryError(`'like' needs a text path and a string pattern`, 'QUERY');
        return E.like(col, E.literal(v, 'text'));
      case 'startsWith': {
        if (typeof v !== 'string' || col.type !== 'text')
          throw new QueryError(`'startsWith' needs a text path and a string prefix`, 'QUERY');
        const lo = E.binary('>=', col, E.literal(v, 'text'));
        const next = successor(v);
        return next === null ? lo : E.and(lo, E.binary('<', col, E.literal(next, 'text')));
      }
      case 'isNull':
      case 'isNotNull':
        return E.isNull(col, c.op === 'isNotNull');
      default:
        throw new QueryError(`unknown operator '${String(c.op)}'`, 'QUERY');
    }
  }

  private combine(conds: readonly Condition[], op: 'and' | 'or', depth: number): Expr {
    if (!Array.isArray(conds) || conds.length === 0)
      throw new QueryError(`'${op}' needs at least one condition`, 'QUERY');
    const below = depth + Math.ceil(Math.log2(conds.length));
    this.shape?.push(`${op}(`);
    const tree = balancedTree(
      conds.map((x) => this.lower(x, below)),
      op,
    );
    this.shape?.push(')');
    return tree;
  }

  private logical(countOnly: boolean): LogicalPlan {
    const state = this.coll();
    let plan = this.filteredScan();
    if (countOnly) {
      const width = state.compiled.columnCount;
      plan = L.aggregate(plan, [], [E.aggregate('count', null)], width);
      return L.project(plan, [{ expr: E.slot(width, 'integer', 'count'), name: 'count' }]);
    }
    if (this.state.order.length)
      plan = L.sort(
        plan,
        this.state.order.map((o) => ({ expr: this.column(o.path).expr, desc: o.desc })),
      );
    if (this.state.select) {
      const cols: ProjectColumn[] = this.state.select.map((s) => ({
        expr: this.column(s).expr,
        name: s.join('.'),
      }));
      plan = L.project(plan, cols);
    }
    if (this.state.limit !== null || this.state.offset !== null) {
      plan = L.limit(
        plan,
        this.state.limit === null ? null : E.literal(this.state.limit),
        this.state.offset === null ? null : E.literal(this.state.offset),
      );
    }
    return plan;
  }

  /**
   * The rows of this query, planned once per shape (src/typed-plans.ts), against a snapshot taken now.
   * The conditions' shape and values come from when they were added (QueryState.whereFor); they
   * are lowered again only to plan a shape not cached yet, or when the collection changed since.
   */
  private openRows(stats?: ExecStats): Source {
    return this.openRowsOf(this.coll(), stats);
  }

  /** openRows against `state`, the collection as this query's handle sees it now. */
  private openRowsOf(state: CollectionState, stats?: ExecStats): Source {
    const st = this.state;
    let logical: LogicalPlan | null = null;
    let binds = st.whereBinds;
    let shape = st.whereShape;
    if (st.where.length > 0 && st.whereFor?.deref() !== state) {
      const fresh: unknown[] = [];
      const parts: string[] = [];
      this.binds = fresh;
      this.shape = parts;
      try {
        logical = this.logical(false);
      } finally {
        this.binds = null;
        this.shape = null;
      }
      binds = fresh;
      shape = parts.join('');
    }
    const view = this.host.view();
    const engine = this.host.engine;
    const plans = typedPlansOf(engine);
    let cached = plans.get(this.name, shape, st);
    if (cached === undefined || cached.version !== engine.catalogVersion || cached.state !== state) {
      if (logical === null) {
        // Parameters are numbered in lowering order, so this numbering matches `binds`.
        this.binds = [];
        try {
          logical = this.logical(false);
        } finally {
          this.binds = null;
        }
      }
      typedPlansMade++;
      cached = { version: engine.catalogVersion, state, plan: physicalPlan(logical, view) };
      plans.set(this.name, shape, st, cached);
    }
    if (planSink !== null) planSink(cached.plan);
    return openResult(cached.plan, view, {
      readers: engine.readersFor(view),
      stats,
      params: binds,
    }).source;
  }

  /** Plan `plan` against a snapshot taken now and open its result (nothing runs until pulled). */
  private open(plan: LogicalPlan, stats?: ExecStats): Source {
    const view = this.host.view();
    const engine = this.host.engine;
    const physical = physicalPlan(plan, view);
    if (planSink !== null) planSink(physical);
    return openResult(physical, view, { readers: engine.readersFor(view), stats }).source;
  }

  /** Scan + the AND of the where conditions: the bottom of every plan this builder makes. */
  private filteredScan(): LogicalPlan {
    const scan: LogicalPlan = L.scan(this.name);
    const where = this.state.where.map((c) => this.lower(c));
    conditionsLowered += where.length;
    return where.length ? L.filter(scan, balancedTree(where, 'and')) : scan;
  }

  private *iterateRaw(): Generator<unknown> {
    const source = this.open(this.logical(false));
    for (let row = source.next(); row !== null; row = source.next()) yield row;
  }

  private converter(): (row: readonly unknown[]) => Row {
    const state = this.coll();
    const safe = this.host.safeIntegers;
    const select = this.state.select;
    if (!select) return (row) => state.compiled.toObject(row, safe);
    const types = select.map((s) => this.column(s).type);
    return (row) => {
      const out: Row = {};
      select.forEach((s, i) => setPath(out, s, toUserValue(types[i], row[i], safe, s.join('.'))));
      return out;
    };
  }
}
