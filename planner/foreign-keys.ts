/**
 * Foreign-key enforcement for the write executor and the typed API (docs/sql.md "Foreign keys").
 * SQLite's semantics, checked against better-sqlite3 with `PRAGMA foreign_keys = ON`:
 *
 * - ON DELETE / ON UPDATE actions (CASCADE, SET NULL, SET DEFAULT) run as each parent row changes;
 *   RESTRICT fails at once. The actions change child rows, which may be parents themselves, so they
 *   chain, each running to completion before the next (a bounded depth, then a queue: a
 *   self-referencing chain may be any length).
 * - Everything else (NO ACTION, a new or changed child row) is checked when the statement ends,
 *   against the table as it is then, so a statement that breaks a constraint and repairs it passes.
 *   A deferred constraint's checks wait for the transaction's commit (DeferredForeignKeys).
 * - A NULL in any child column means the row references nothing.
 * - The parent key is the parent's primary key or the columns of one of its unique indexes; any
 *   other parent (or a missing table) is an error when a statement needs the constraint.
 *
 * Child rows are found through an index whose columns are the child columns, else by scanning the
 * child table (SQLite advises an index on the child columns for the same reason).
 */
import { NOT_INDEXED } from '../storage/index-exprs';
import type { Engine } from '../storage/engine';
import type { CollectionState, IndexState } from '../storage/collection-state';
import { compareValues } from '../storage/compare';
import { collatedForm } from '../storage/collation';
import type { KeyCollation } from '../storage/collation';
import type { NormalizedForeignKey } from '../storage/schema/foreign-keys';
import { indexPaths, keyIndexOf } from '../storage/schema/normalize';
import { IntegrityError, ProgrammingError, SchemaError } from '../src/errors';
import { sqlError } from './write-values';

/** How the parent's key is looked up: its primary-key tree, or a unique index (columns in `order`). */
type ParentKey = { kind: 'pk' } | { kind: 'index'; ix: IndexState; order: number[] };

/** One foreign key of one child table, resolved against the live catalog. */
export interface Edge {
  readonly child: CollectionState;
  /** Position in the child schema's `foreignKeys`. */
  readonly id: number;
  readonly def: NormalizedForeignKey;
  /** Stored-row positions of the child columns, in key order. */
  readonly childCols: number[];
  /** null when the parent table does not exist. */
  readonly parent: CollectionState | null;
  /** Stored-row positions of the parent columns; null when they are not a key (mismatch). */
  readonly parentCols: number[] | null;
  readonly parentKey: ParentKey | null;
  /** An index of the child whose columns are exactly the child columns (positions in `order`). */
  readonly childIndex: { ix: IndexState; order: number[] } | null;
}

interface Graph {
  readonly version: number;
  readonly byChild: Map<string, Edge[]>;
  readonly byParent: Map<string, Edge[]>;
  readonly empty: boolean;
}

const graphs = new WeakMap<Engine, Graph>();

function topLevel(state: CollectionState, name: string): number {
  const lower = name.toLowerCase();
  const fields = state.meta.schema.fields;
  let at = fields.findIndex((f) => f.path.length === 1 && f.path[0] === name);
  if (at < 0) at = fields.findIndex((f) => f.path.length === 1 && f.path[0].toLowerCase() === lower);
  return at;
}

/** Top-level column positions of an index, or null when one of its paths is nested. */
function indexColumns(ix: IndexState): number[] | null {
  // A partial or expression index is no parent key (SQLite: "foreign key mismatch") and finds
  // child rows only among those it holds.
  if (ix.special) return null;
  const cols = ix.columns.map((c) => (c.sub.length === 0 ? c.column : -1));
  return cols.includes(-1) ? null : cols;
}

/** For each index column, its position in `cols`; null when the two sets differ. */
function orderOf(ixCols: readonly number[], cols: readonly number[]): number[] | null {
  if (ixCols.length !== cols.length) return null;
  const order = ixCols.map((c) => cols.indexOf(c));
  return order.includes(-1) || new Set(order).size !== order.length ? null : order;
}

function parentKeyOf(
  parent: CollectionState,
  def: NormalizedForeignKey,
): { cols: number[]; key: ParentKey } | null {
  const schema = parent.meta.schema;
  let cols: number[];
  if (def.parentColumns) {
    cols = def.parentColumns.map((n) => topLevel(parent, n));
    if (cols.includes(-1)) return null;
  } else {
    const keyIx = keyIndexOf(schema);
    const paths = keyIx ? indexPaths(keyIx) : [schema.primaryKey];
    // A table without a declared key has none to reference (its hidden rowid is not a column).
    if (!keyIx && schema.primaryKey.length === 1 && schema.primaryKey[0].startsWith('__')) return null;
    if (paths.some((p) => p.length !== 1)) return null;
    cols = paths.map((p) => topLevel(parent, p[0]));
    if (cols.includes(-1)) return null;
  }
  if (cols.length !== def.columns.length) return null;
  if (cols.length === 1 && cols[0] === parent.compiled.pkColumn) return { cols, key: { kind: 'pk' } };
  for (const ix of parent.indexes) {
    if (!ix.unique) continue;
    const ixCols = indexColumns(ix);
    const order = ixCols && orderOf(ixCols, cols);
    if (order) return { cols, key: { kind: 'index', ix, order } };
  }
  return null;
}

function childIndexOf(child: CollectionState, cols: readonly number[]): Edge['childIndex'] {
  for (const ix of child.indexes) {
    const ixCols = indexColumns(ix);
    const order = ixCols && orderOf(ixCols, cols);
    if (order) return { ix, order };
  }
  return null;
}

function buildGraph(engine: Engine): Graph {
  const byChild = new Map<string, Edge[]>();
  const byParent = new Map<string, Edge[]>();
  const names = engine.collectionNames();
  const byLower = new Map<string, CollectionState>();
  for (const n of names) {
    const s = engine.collection(n);
    if (s && !byLower.has(n.toLowerCase())) byLower.set(n.toLowerCase(), s);
  }
  let empty = true;
  // SQLite runs the actions of the constraints referencing a table newest first: tables by
  // creation (collection id), each table's constraints by declaration, every one put in front.
  const byId = names
    .map((n) => engine.collection(n))
    .filter((s): s is CollectionState => s !== undefined)
    .sort((a, b) => a.meta.id - b.meta.id);
  for (const child of byId) {
    const fks = child.meta.schema.foreignKeys;
    if (!fks || fks.length === 0) continue;
    const edges: Edge[] = [];
    fks.forEach((def, id) => {
      const parent = engine.collection(def.table) ?? byLower.get(def.table.toLowerCase()) ?? null;
      const childCols = def.columns.map((c) => topLevel(child, c));
      const resolved = parent && !childCols.includes(-1) ? parentKeyOf(parent, def) : null;
      const edge: Edge = {
        child,
        id,
        def,
        childCols,
        parent,
        parentCols: resolved?.cols ?? null,
        parentKey: resolved?.key ?? null,
        childIndex: childCols.includes(-1) ? null : childIndexOf(child, childCols),
      };
      edges.push(edge);
      if (parent) byParent.set(parent.name, [edge, ...(byParent.get(parent.name) ?? [])]);
      empty = false;
    });
    byChild.set(child.name, edges);
  }
  return { version: engine.catalogVersion, byChild, byParent, empty };
}

function graphOf(engine: Engine): Graph {
  let g = graphs.get(engine);
  if (g === undefined || g.version !== engine.catalogVersion) {
    g = buildGraph(engine);
    graphs.set(engine, g);
  }
  return g;
}

/** The foreign keys of table `name` (as child) resolved against the live catalog, in declaration order. */
export function foreignKeysOf(engine: Engine, name: string): readonly Edge[] {
  return graphOf(engine).byChild.get(name) ?? [];
}

export function violation(): IntegrityError {
  return new IntegrityError('FOREIGN KEY constraint failed', 'FOREIGN_KEY');
}

function mismatch(edge: Edge): SchemaError {
  return new SchemaError(
    `foreign key mismatch - "${edge.child.name}" referencing "${edge.parent?.name ?? edge.def.table}"`,
    'SCHEMA',
  );
}

function hasNull(values: readonly unknown[]): boolean {
  for (const v of values) if (v === null || v === undefined) return true;
  return false;
}

function pick(row: readonly unknown[], cols: readonly number[]): unknown[] {
  return cols.map((c) => row[c] ?? null);
}

/** Whether the parent table holds a row whose key is `values` (in foreign-key column order). */
export function parentHas(edge: Edge, values: readonly unknown[]): boolean {
  const key = edge.parentKey;
  if (!edge.parent || !key) return false;
  if (key.kind === 'pk') return edge.parent.pk.get(values[0]) !== undefined;
  const probe = key.ix.composite ? key.order.map((i) => values[i]) : values[key.order[0]];
  return key.ix.tree.get(probe) !== undefined;
}

/**
 * Per foreign-key column, the collation of the parent key's index (a UNIQUE or PRIMARY KEY column
 * declared COLLATE NOCASE or RTRIM, NormalizedIndex.collate), or null when every column compares
 * BINARY: SQLite matches child values with the parent key's collating sequence.
 */
function parentCollations(edge: Edge): (KeyCollation | null)[] | null {
  const key = edge.parentKey;
  const collate = key?.kind === 'index' ? key.ix.def.collate : undefined;
  if (!key || key.kind !== 'index' || collate === undefined) return null;
  const out: (KeyCollation | null)[] = edge.childCols.map(() => null);
  key.order.forEach((fk, at) => (out[fk] = collate[at] ?? null));
  return out;
}

/** Primary keys of the child rows whose columns equal `values` (in foreign-key column order). */
export function childrenOf(engine: Engine, edge: Edge, values: readonly unknown[]): unknown[] {
  const child = edge.child;
  const found: unknown[] = [];
  // The child's own index and primary key compare BINARY: under a collated parent key, scan.
  const collations = parentCollations(edge);
  const ci = collations ? null : edge.childIndex;
  if (ci) {
    const probe = ci.ix.composite ? ci.order.map((i) => values[i]) : values[ci.order[0]];
    for (const [, pk] of ci.ix.tree.entries({ lo: probe, hi: probe })) found.push(pk);
    return found;
  }
  if (!collations && edge.childCols.length === 1 && edge.childCols[0] === child.compiled.pkColumn) {
    return child.pk.get(values[0]) === undefined ? [] : [values[0]];
  }
  const keys: unknown[] = [];
  for (const [pk] of child.pk.entries()) keys.push(pk);
  const cols = edge.childCols;
  for (const pk of keys) {
    const row = engine.getRow(child, pk);
    if (!row) continue;
    let match = true;
    for (let i = 0; i < cols.length && match; i++) {
      const v = row[cols[i]];
      const c = collations?.[i] ?? null;
      match =
        v !== null &&
        v !== undefined &&
        (c === null
          ? compareValues(v, values[i])
          : compareValues(collatedForm(v, c), collatedForm(values[i], c))) === 0;
    }
    if (match) found.push(pk);
  }
  return found;
}

/** A child row to verify, or a parent key whose removal to verify, when the statement or transaction ends. */
type Pending = { kind: 'child'; edge: Edge; pk: unknown } | { kind: 'parent'; edge: Edge; key: unknown[] };

/** Whether a pending check still fails, with the table as it is now. */
function fails(engine: Engine, p: Pending): boolean {
  if (p.kind === 'child') {
    const row = engine.getRow(p.edge.child, p.pk);
    if (!row) return false;
    const values = pick(row, p.edge.childCols);
    return !hasNull(values) && !parentHas(p.edge, values);
  }
  return !parentHas(p.edge, p.key) && childrenOf(engine, p.edge, p.key).length > 0;
}

/**
 * The deferred constraints' checks of one transaction, kept by the handle that owns it and run
 * by its commit. Entries name their constraint by child table and position, so a catalog change
 * inside the transaction resolves them again.
 */
export class DeferredForeignKeys {
  private items: { child: string; id: number; p: Pending }[] = [];

  add(p: Pending): void {
    this.items.push({ child: p.edge.child.name, id: p.edge.id, p });
  }

  clear(): void {
    this.items = [];
  }

  /** Throw IntegrityError FOREIGN_KEY when a deferred constraint is still broken; keep the checks then. */
  verify(engine: Engine): void {
    if (this.items.length === 0) return;
    const graph = graphOf(engine);
    const remaining: typeof this.items = [];
    let broken = false;
    for (const item of this.items) {
      const edge = graph.byChild.get(item.child)?.[item.id];
      if (!edge) continue;
      const p: Pending = item.p.kind === 'child' ? { ...item.p, edge } : { ...item.p, edge };
      if (fails(engine, p)) {
        broken = true;
        remaining.push({ ...item, p });
      }
    }
    this.items = remaining;
    if (broken) throw violation();
  }
}

/** A queued action on a child row. */
type Task =
  | { kind: 'delete'; state: CollectionState; pk: unknown }
  | { kind: 'set'; edge: Edge; pk: unknown; to: 'null' | 'default' | readonly unknown[] };

/**
 * Enforcement for one statement (or one typed-API write): the writer calls the hooks around each
 * row change, then finish(). Created only when enforcement is on and some table has a foreign key.
 */
export class ForeignKeyGuard {
  private readonly pending: Pending[] = [];
  private readonly queue: Task[] = [];
  private draining = false;
  /** How deeply actions are running inside actions (see run()). */
  private depth = 0;

  private constructor(
    private readonly engine: Engine,
    private readonly graph: Graph,
    private readonly deferred: DeferredForeignKeys | null,
  ) {}

  /** A guard for one statement, or null when there is nothing to enforce. */
  static open(
    engine: Engine,
    enabled: boolean,
    deferred: DeferredForeignKeys | null,
  ): ForeignKeyGuard | null {
    if (!enabled) return null;
    const graph = graphOf(engine);
    return graph.empty ? null : new ForeignKeyGuard(engine, graph, deferred);
  }

  /**
   * SQLite's errors for a constraint it cannot enforce, raised when a statement needs it: writing
   * child columns (INSERT, DELETE, an UPDATE setting them) whose parent table is missing or whose
   * parent columns are not a key, or deleting or re-keying parent rows of such a constraint.
   */
  prepare(
    table: string,
    kind: 'insert' | 'delete' | 'update',
    setColumns: readonly number[] | null = null,
  ): void {
    const touches = (cols: readonly number[] | null): boolean =>
      kind !== 'update' || setColumns === null || cols === null || cols.some((c) => setColumns.includes(c));
    for (const edge of this.graph.byChild.get(table) ?? []) {
      if (!touches(edge.childCols)) continue;
      if (!edge.parent)
        throw new ProgrammingError(`no such table: main.${edge.def.table}`, 'NO_SUCH_COLLECTION');
      if (!edge.parentKey) throw mismatch(edge);
    }
    if (kind === 'insert') return;
    for (const edge of this.graph.byParent.get(table) ?? []) {
      if (edge.parentKey) continue;
      const declared =
        edge.def.parentColumns?.map((n) => topLevel(edge.parent as CollectionState, n)) ?? null;
      if (kind === 'delete' || touches(declared)) throw mismatch(edge);
    }
  }

  private record(p: Pending): void {
    if (p.edge.def.deferred && this.deferred) this.deferred.add(p);
    else this.pending.push(p);
  }

  /**
   * Check a row about to be inserted into `state` before it is written, when that settles it: no
   * constraint of the table references the table itself (the row could be its own parent) and the
   * table is no parent (nothing else changes). Throws for a missing parent of an immediate
   * constraint; hands deferred ones to the transaction. False: use inserted() after the write.
   */
  checkBeforeInsert(state: CollectionState, row: readonly unknown[]): boolean {
    if (!this.checksInsertFirst(state.name)) return false;
    for (const edge of this.graph.byChild.get(state.name) ?? []) {
      if (!edge.parentKey) continue;
      const values = pick(row, edge.childCols);
      if (hasNull(values) || parentHas(edge, values)) continue;
      if (edge.def.deferred && this.deferred) this.deferred.add({ kind: 'child', edge, pk: state.pkOf(row) });
      else throw violation();
    }
    return true;
  }

  /**
   * Whether a new row of `table` can be checked before it is written: no constraint of the table
   * references the table itself and the table is no parent, so inserting rows into it can neither
   * repair a reference nor set off an action.
   */
  checksInsertFirst(table: string): boolean {
    if (this.graph.byParent.has(table)) return false;
    return !(this.graph.byChild.get(table) ?? []).some((e) => e.parent?.name === table);
  }

  /** Whether row `row`, not yet in `state`, breaks an immediate constraint (checksInsertFirst tables). */
  insertBreaks(state: CollectionState, row: readonly unknown[]): boolean {
    for (const edge of this.graph.byChild.get(state.name) ?? []) {
      if (!edge.parentKey || edge.def.deferred) continue;
      const values = pick(row, edge.childCols);
      if (!hasNull(values) && !parentHas(edge, values)) return true;
    }
    return false;
  }

  /** A row was inserted into `state`. */
  inserted(state: CollectionState, row: readonly unknown[]): void {
    const edges = this.graph.byChild.get(state.name);
    if (!edges) return;
    const pk = state.pkOf(row);
    for (const edge of edges) {
      if (!edge.parentKey) continue;
      if (!hasNull(pick(row, edge.childCols))) this.record({ kind: 'child', edge, pk });
    }
  }

  /**
   * Row `old` of `state` became `row`. `setColumns` are the columns the statement assigned (null:
   * any may have changed): SQLite checks a child row's reference only when its columns were set.
   */
  updated(
    state: CollectionState,
    old: readonly unknown[],
    row: readonly unknown[],
    setColumns: readonly number[] | null,
  ): void {
    for (const edge of this.graph.byChild.get(state.name) ?? []) {
      if (!edge.parentKey) continue;
      if (setColumns !== null && !edge.childCols.some((c) => setColumns.includes(c))) continue;
      if (!hasNull(pick(row, edge.childCols))) this.record({ kind: 'child', edge, pk: state.pkOf(row) });
    }
    for (const edge of this.graph.byParent.get(state.name) ?? []) {
      const cols = edge.parentCols;
      if (!cols || !edge.parentKey) continue;
      const before = pick(old, cols);
      if (hasNull(before)) continue;
      const after = pick(row, cols);
      if (after.every((v, i) => v !== null && compareValues(v, before[i]) === 0)) continue;
      this.parentGone(edge, before, edge.def.onUpdate, after);
    }
    this.drain();
  }

  /** Delete the row with key `pk` from `state`, running the actions its removal calls for. */
  deleteRow(state: CollectionState, pk: unknown): boolean {
    const old = this.engine.getRow(state, pk);
    if (!old || !this.engine.deleteRow(state, pk)) return false;
    this.removed(state, old);
    this.drain();
    return true;
  }

  /**
   * INSERT OR REPLACE into a parent table: the rows the new one clashes with are deleted first,
   * each with its ON DELETE actions (SQLite runs them for REPLACE's deletes when foreign keys are on).
   * `own`: the primary key of the row an UPDATE OR REPLACE rewrites, which is no clash.
   */
  replaceClashes(state: CollectionState, row: readonly unknown[], own?: unknown): void {
    if (!this.graph.byParent.has(state.name)) return;
    const pk = state.pkOf(row);
    const clashes: unknown[] = [];
    if (own !== undefined) clashes.push(own);
    if (state.pk.get(pk) !== undefined && (own === undefined || compareValues(pk, own) !== 0))
      clashes.push(pk);
    for (const ix of state.indexes) {
      if (!ix.unique) continue;
      const key = ix.accessor.get(row) ?? null;
      if (key === null || key === NOT_INDEXED || (Array.isArray(key) && hasNull(key))) continue;
      const other = ix.tree.get(key);
      if (other !== undefined && !clashes.some((c) => compareValues(c, other) === 0)) clashes.push(other);
    }
    for (const other of own === undefined ? clashes : clashes.slice(1)) this.deleteRow(state, other);
  }

  /** A parent row of `state` is gone (its key `before` no longer names it); act for each constraint. */
  private removed(state: CollectionState, old: readonly unknown[]): void {
    for (const edge of this.graph.byParent.get(state.name) ?? []) {
      const cols = edge.parentCols;
      if (!cols || !edge.parentKey) continue;
      const before = pick(old, cols);
      if (!hasNull(before)) this.parentGone(edge, before, edge.def.onDelete, null);
    }
  }

  private parentGone(
    edge: Edge,
    key: unknown[],
    action: NormalizedForeignKey['onDelete'],
    newKey: unknown[] | null,
  ): void {
    switch (action) {
      case 'restrict':
        if (childrenOf(this.engine, edge, key).length > 0) throw violation();
        return;
      case 'cascade':
        for (const pk of childrenOf(this.engine, edge, key))
          this.run(
            newKey === null
              ? { kind: 'delete', state: edge.child, pk }
              : { kind: 'set', edge, pk, to: newKey },
          );
        return;
      case 'setNull':
      case 'setDefault':
        for (const pk of childrenOf(this.engine, edge, key))
          this.run({ kind: 'set', edge, pk, to: action === 'setNull' ? 'null' : 'default' });
        return;
      default:
        this.record({ kind: 'parent', edge, key });
    }
  }

  /**
   * Run one action now, with the actions it causes, before the next constraint's (SQLite's order:
   * a RESTRICT may find its children already gone by an earlier constraint's CASCADE). Past a
   * depth the action waits in the queue instead, so a long self-referencing chain cannot
   * overflow the stack.
   */
  private run(task: Task): void {
    if (this.depth >= 200) {
      this.queue.push(task);
      return;
    }
    this.depth++;
    try {
      this.perform(task);
    } finally {
      this.depth--;
    }
  }

  private perform(task: Task): void {
    if (task.kind === 'delete') {
      const old = this.engine.getRow(task.state, task.pk);
      if (old && this.engine.deleteRow(task.state, task.pk)) this.removed(task.state, old);
    } else this.setChild(task);
  }

  /** Run queued actions (which may queue more) until none is left. */
  private drain(): void {
    if (this.draining) return;
    this.draining = true;
    try {
      for (let i = 0; i < this.queue.length; i++) this.perform(this.queue[i]);
    } finally {
      this.queue.length = 0;
      this.draining = false;
    }
  }

  /** SET NULL, SET DEFAULT or ON UPDATE CASCADE on one child row, validated like an UPDATE. */
  private setChild(task: Extract<Task, { kind: 'set' }>): void {
    const { edge } = task;
    const state = edge.child;
    const old = this.engine.getRow(state, task.pk);
    if (!old) return;
    const fields = state.meta.schema.fields;
    // The new values go in stored form, then the row is validated like any UPDATE's (NOT NULL, types).
    const next = [...old];
    const to = task.to;
    const defaults = state.compiled.storedDefaults;
    edge.childCols.forEach((c, i) => {
      next[c] = to === 'null' ? null : to === 'default' ? (defaults[c] ?? null) : to[i];
    });
    const obj = state.compiled.toObject(next, true);
    let stored: unknown[];
    try {
      stored = state.compiled.toRow(obj);
    } catch (err) {
      throw sqlError(err, state, obj);
    }
    const oldKey = state.pkOf(old);
    const newKey = state.pkOf(stored);
    if (compareValues(oldKey, newKey) !== 0) {
      if (this.engine.getRow(state, newKey) !== undefined)
        throw new IntegrityError(
          `UNIQUE constraint failed: ${state.name}.${fields[state.compiled.pkColumn].path.join('.')}`,
          'PRIMARY_KEY',
        );
      this.engine.deleteRow(state, oldKey);
    }
    this.engine.putRow(state, stored, 'replacePk');
    this.updated(state, old, stored, edge.childCols);
  }

  /**
   * The statement is done: its immediate checks must hold now (IntegrityError FOREIGN_KEY
   * otherwise); deferred ones were handed to the transaction.
   */
  finish(): void {
    for (const p of this.pending) if (fails(this.engine, p)) throw violation();
    this.pending.length = 0;
  }

  /**
   * DROP TABLE with enforcement on: SQLite first deletes every row (running the children's ON
   * DELETE actions) and fails when that leaves a child row without its parent.
   */
  emptyBeforeDrop(state: CollectionState): void {
    const referenced = (this.graph.byParent.get(state.name) ?? []).some((e) => e.parentKey !== null);
    if (!referenced) return;
    const keys: unknown[] = [];
    for (const [pk] of state.pk.entries()) keys.push(pk);
    for (const pk of keys) this.deleteRow(state, pk);
    this.finish();
  }
}
