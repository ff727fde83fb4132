/**
 * Entry point of the planner layer for callers above it (src/, cursor/): plan a logical query
 * against a read view and open a pull-based result over it.
 */
import type { ReadView } from '../storage/engine';
import type { CollectionView } from '../storage/collection-state';
import type { RowReaders, ScanPosition } from '../storage/row-readers';
import type { ExecContext, Row } from './compile-expr';
import type { LogicalPlan, SharedCte } from './logical';
import type { PhysicalPlan } from './physical';
import { planQuery } from './physical-planner';
import { build, drain } from './execute';
import { existsProbe, scalarProbe } from './exists-probe';
import type { ExistsProbe, ScalarProbe } from './exists-probe';
import type { ExecEnv, ExecStats, Source } from './execute';

/** Estimated bytes of rows a Sort holds before it spills sorted runs (ConnectOptions.sortBudgetBytes). */
export const DEFAULT_SORT_BUDGET_BYTES = 64 * 1024 * 1024;

export interface RunOptions {
  readers: RowReaders;
  params?: ExecContext['params'];
  session?: ExecContext['session'];
  /** Sort memory budget in bytes (planner/sort.ts); absent: DEFAULT_SORT_BUDGET_BYTES. */
  sortBudgetBytes?: number | undefined;
  stats?: ExecStats;
  /**
   * Physical plans of the statement's subqueries, kept by the caller for as long as `plan` itself
   * is valid (the same catalog), so re-executions do not plan them again. Absent: planned once
   * per execution.
   */
  subplans?: Map<LogicalPlan, PhysicalPlan>;
  /** Rows of shared CTEs, when several runs make up one statement execution (a write's queries). */
  sharedCtes?: Map<SharedCte, Row[]>;
  /** HashJoin memory budget in bytes (planner/hash-spill.ts); absent: the default. */
  hashJoinBudgetBytes?: number | undefined;
  /**
   * Tables of another store the plan reads (planner/foreign-tables.ts): `view` given to
   * openResult holds them (combinedView), and their rows are read through these.
   */
  foreign?: ForeignStore;
}

/** A store other than the view's whose tables a statement reads: its view and row readers. */
export interface ForeignStore {
  readonly view: ReadView;
  readonly readers: RowReaders;
  /**
   * The schema the store holds, and the statement's own store's view before its foreign tables
   * were added: each schema table (`sqlite_master`, `sqlite_temp_master`) reads its own catalog.
   */
  readonly schema: 'main' | 'temp';
  readonly home: ReadView;
}

/**
 * A view for planning and running a statement over `main` and the tables `names` of `foreign`
 * (which hide main tables of the same name, as TEMP tables do).
 */
export function combinedView(main: ReadView, foreign: ReadView, names: Iterable<string>): ReadView {
  const collections = new Map(main.collections);
  for (const name of names) {
    const c = foreign.collections.get(name);
    if (c) collections.set(name, c);
  }
  return { ...main, collections };
}

export function physicalPlan(
  plan: LogicalPlan,
  view: ReadView,
  consulted?: (view: CollectionView) => void,
): PhysicalPlan {
  return planQuery(plan, {
    collection: (name) => {
      const c = view.collections.get(name);
      if (c && consulted) consulted(c);
      return c;
    },
    stats: (table) => view.sqlStats?.find((t) => t.table.toLowerCase() === table.toLowerCase()),
  });
}

/**
 * Why the per-execution objects below are class instances and not object literals: V8 tracks
 * each literal's allocation site and, when objects from a site seem to survive young-generation
 * collections, allocates all later ones straight into the old generation ("pretenuring"). A
 * statement re-executed in a loop tripped that for its context and environment; once they were
 * old, every young object they pointed at (bindings, the operator tree, fetched rows) was kept
 * alive by them and promoted too, and collection took a third of a point query's time (measured
 * with --trace-gc-nvp: ~4 MB promoted per scavenge, none with pretenuring off). Instances of a
 * class carry no allocation site, so they stay young and die young.
 */
/** The row readers of one store, as an ExecEnv holds them (both environments below). */
abstract class StoreReaders {
  readonly readRow: ExecEnv['readRow'];
  readonly readRowSequential: ExecEnv['readRowSequential'];
  readonly scanRowWhere: ExecEnv['scanRowWhere'];
  readonly scanRowColumns: ExecEnv['scanRowColumns'];
  readonly readRowColumns: ExecEnv['readRowColumns'];
  readonly narrowing: ExecEnv['narrowing'];
  readonly scanNumberColumn: ExecEnv['scanNumberColumn'];
  readonly keepNumberColumn: ExecEnv['keepNumberColumn'];
  readonly scanCodeColumn: ExecEnv['scanCodeColumn'];
  readonly keepCodeColumn: ExecEnv['keepCodeColumn'];
  readonly stringCodes: ExecEnv['stringCodes'];
  readonly scanPageCodeColumn: ExecEnv['scanPageCodeColumn'];
  readonly scanPageColumn: ExecEnv['scanPageColumn'];

  constructor(readers: RowReaders) {
    this.readRow = readers.readRow;
    this.readRowSequential = readers.readRowSequential ?? ((at: ScanPosition) => readers.readRow(at.value));
    this.scanRowWhere = readers.scanRowWhere;
    this.scanRowColumns = readers.scanRowColumns;
    this.readRowColumns = readers.readRowColumns;
    this.narrowing = readers.narrowing;
    this.scanNumberColumn = readers.scanNumberColumn;
    this.keepNumberColumn = readers.keepNumberColumn;
    this.scanCodeColumn = readers.scanCodeColumn;
    this.keepCodeColumn = readers.keepCodeColumn;
    this.stringCodes = readers.stringCodes;
    this.scanPageCodeColumn = readers.scanPageCodeColumn;
    this.scanPageColumn = readers.scanPageColumn;
  }
}

/** The environment of a foreign store's tables within one execution (planner/foreign-tables.ts). */
class ForeignEnv extends StoreReaders implements ExecEnv {
  readonly view: ReadView;
  readonly ctx: ExecContext;
  readonly stats: ExecStats;
  readonly sortBudgetBytes: number;
  readonly hashJoinBudgetBytes: number | undefined;
  readonly sharedCtes: Map<SharedCte, Row[]> | undefined;

  constructor(store: ForeignStore, parent: ExecEnv) {
    super(store.readers);
    this.view = store.view;
    this.ctx = parent.ctx;
    this.stats = parent.stats;
    this.sortBudgetBytes = parent.sortBudgetBytes;
    this.hashJoinBudgetBytes = parent.hashJoinBudgetBytes;
    this.sharedCtes = parent.sharedCtes;
  }
}

class Counters implements ExecStats {
  rowsRead = 0;
  indexEntries = 0;
}

class Context implements ExecContext {
  runPlan: (plan: LogicalPlan) => readonly Row[];
  planOf: (plan: LogicalPlan) => PhysicalPlan;
  probeOf: (plan: LogicalPlan) => ExistsProbe | null;
  tableRows: (plan: LogicalPlan) => number | null;
  scalarProbeOf: (plan: LogicalPlan) => ScalarProbe | null;
  constructor(
    readonly params: ExecContext['params'],
    readonly session: ExecContext['session'],
    run: (plan: LogicalPlan) => readonly Row[],
    planOf: (plan: LogicalPlan) => PhysicalPlan,
    probeOf: (plan: LogicalPlan) => ExistsProbe | null,
    tableRows: (plan: LogicalPlan) => number | null,
    scalarProbeOf: (plan: LogicalPlan) => ScalarProbe | null,
  ) {
    this.runPlan = run;
    this.planOf = planOf;
    this.probeOf = probeOf;
    this.tableRows = tableRows;
    this.scalarProbeOf = scalarProbeOf;
  }
}

/** The rows of the tables `plan` scans in `view`; null when one is not a table of it. */
function scannedRows(plan: LogicalPlan, view: ReadView): number | null {
  let rows = 0;
  let known = true;
  const walk = (v: unknown): void => {
    if (!known || typeof v !== 'object' || v === null || ArrayBuffer.isView(v)) return;
    const node = v as { kind?: unknown; collection?: unknown };
    if (node.kind === 'scan' && typeof node.collection === 'string') {
      const c = view.collections.get(node.collection);
      if (c === undefined) known = false;
      else rows += c.pk.size;
      return;
    }
    for (const x of Array.isArray(v) ? v : Object.values(v)) walk(x);
  };
  walk(plan);
  return known ? rows : null;
}

/** One execution of a plan: the environment its operators read and the result's source. */
class Execution extends StoreReaders implements ExecEnv, Source {
  readonly ctx: ExecContext;
  readonly stats: ExecStats;
  readonly sortBudgetBytes: number;
  readonly hashJoinBudgetBytes: number | undefined;
  /** Absent unless the caller shares them; the executor makes its own on first use. */
  readonly sharedCtes: Map<SharedCte, Row[]> | undefined;
  readonly foreign: ReadonlyMap<string, ExecEnv> | undefined;
  readonly schemas: ExecEnv['schemas'];
  /** Subquery plans of this execution (a correlated one runs once per outer row: planned once). */
  private planned: Map<LogicalPlan, PhysicalPlan> | null = null;
  private source_: Source | null = null;

  constructor(
    private readonly plan: PhysicalPlan,
    readonly view: ReadView,
    opts: RunOptions,
  ) {
    super(opts.readers);
    const readers = opts.readers;
    this.stats = opts.stats ?? new Counters();
    this.sortBudgetBytes = opts.sortBudgetBytes ?? DEFAULT_SORT_BUDGET_BYTES;
    this.hashJoinBudgetBytes = opts.hashJoinBudgetBytes;
    this.planned = opts.subplans ?? null;
    this.sharedCtes = opts.sharedCtes;
    // Subqueries run on this execution's snapshot and bindings; a new function per execution is
    // what tells cached subquery results apart (ExecContext.runPlan).
    this.ctx = new Context(
      opts.params ?? [],
      opts.session,
      (sub) => this.runSubquery(sub),
      (sub) => this.subplan(sub),
      (sub) => this.probe(sub),
      (sub) => scannedRows(sub, this.view),
      (sub) => this.scalarProbe(sub),
    );
    const store = opts.foreign;
    this.foreign = store ? foreignEnvs(store, this) : undefined;
    if (store) {
      const own = new ForeignEnv({ ...store, view: store.home, readers }, this);
      const other = this.foreign?.values().next().value ?? new ForeignEnv(store, this);
      this.schemas = store.schema === 'temp' ? { main: own, temp: other } : { main: other, temp: own };
    }
  }

  /** The result's rows (this object: openResult's callers take `source` and `stats` apart). */
  get source(): Source {
    return this;
  }

  next(): Row | null {
    this.source_ ??= build(this.plan, this);
    return this.source_.next();
  }

  private subplan(sub: LogicalPlan): PhysicalPlan {
    this.planned ??= new Map();
    let p = this.planned.get(sub);
    if (!p) {
      p = physicalPlan(sub, this.view);
      this.planned.set(sub, p);
    }
    return p;
  }

  // Made on first use: most executions have no subquery (a statement re-executed in a loop).
  private probes: Map<LogicalPlan, ExistsProbe | null> | null = null;
  private scalarProbes: Map<LogicalPlan, ScalarProbe | null> | null = null;

  private probe(sub: LogicalPlan): ExistsProbe | null {
    return this.onceFor((this.probes ??= new Map()), sub, existsProbe);
  }

  private scalarProbe(sub: LogicalPlan): ScalarProbe | null {
    return this.onceFor((this.scalarProbes ??= new Map()), sub, scalarProbe);
  }

  /** `make` of a subquery's plan, built once per execution (kept in `cache`). */
  private onceFor<T>(
    cache: Map<LogicalPlan, T | null>,
    sub: LogicalPlan,
    make: (plan: PhysicalPlan, env: ExecEnv) => T | null,
  ): T | null {
    let p = cache.get(sub);
    if (p === undefined) cache.set(sub, (p = make(this.subplan(sub), this)));
    return p;
  }

  private runSubquery(sub: LogicalPlan): readonly Row[] {
    return drain(build(this.subplan(sub), this));
  }
}

/** The foreign store's environment for each of its tables `env`'s view holds (combinedView). */
function foreignEnvs(store: ForeignStore, env: ExecEnv): ReadonlyMap<string, ExecEnv> {
  const foreign = new ForeignEnv(store, env);
  const out = new Map<string, ExecEnv>();
  for (const [name, c] of store.view.collections)
    if (env.view.collections.get(name) === c) out.set(name, foreign);
  return out;
}

/** Open a result: nothing is read until the first next(). */
export function openResult(
  plan: PhysicalPlan,
  view: ReadView,
  opts: RunOptions,
): { source: Source; stats: ExecStats } {
  return new Execution(plan, view, opts);
}
