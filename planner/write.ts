/**
 * The write executor: runs INSERT, UPDATE and DELETE plans (planner/write-plan.ts) against the
 * engine inside its open write transaction, reading through the same planner and access paths as
 * queries (the rows an UPDATE or DELETE touches, the SELECT of an INSERT … SELECT). Every check of
 * a row runs before the row is written; atomicity of a whole statement is the caller's savepoint.
 */
import { NOT_INDEXED } from '../storage/index-exprs';
import type { ConflictMode, Engine } from '../storage/engine';
import type { CollectionState } from '../storage/collection-state';
import { setPath } from '../storage/schema/paths';
import { compareValues, keyHasNull } from '../storage/compare';
import type { NormalizedField, NormalizedType } from '../storage/schema/normalize';
import { IntegrityError } from '../src/errors';
import { compileExpr, compilePredicate } from './compile-expr';
import type { Evaluator, ExecContext } from './compile-expr';
import { truth } from './sql-values';
import type { Expr } from './expr';
import type { LogicalPlan } from './logical';
import { physicalPlan, openResult } from './run';
import { hasSubquery } from './expr-columns';
import type {
  ConflictAction,
  DeletePlan,
  InsertPlan,
  ReturningPlan,
  UpdatePlan,
  UpsertAction,
  WritePlan,
} from './write-plan';
import {
  baseType,
  collectionOrThrow,
  isAutoKey,
  nextKey,
  rowObject,
  sqlError,
  sqlToField,
  sqlToKind,
  sqliteTextToDate,
} from './write-values';
import type { Row } from './write-values';
import type { ForeignKeyGuard } from './foreign-keys';
import type { WriteProgress } from './write-conflict';
import type { ConstraintPolicies, NullDefaults } from './write-conflict';
import {
  NO_DEFAULTS,
  clashWithOther,
  constraintPolicies,
  fillNullDefaults,
  governed,
  keepsRows,
  nullDefaultsFor,
  recordFailure,
  resolveClashes,
  validationPolicy,
} from './write-conflict';
import { violation } from './foreign-keys';
import {
  joinedTargets,
  matchingKeys,
  pointTarget,
  queryView,
  readsForeign,
  runOptions,
} from './write-access';
import type { ForeignReads } from './write-access';

export interface WriteResult {
  rowCount: number;
  lastRowId?: number | bigint;
  /** RETURNING rows, one per changed row, complete before the statement's result is seen. */
  returning?: unknown[][];
}

/** VALUES expressions are constant: they read no row. */
const NO_ROW: readonly unknown[] = [];

/** What insert() needs of the target table, worked out once per statement and table state. */
interface InsertTarget {
  state: CollectionState;
  /** Per value position: the field, and its base type kind for sqlToKind. */
  fields: NormalizedField[];
  kinds: NormalizedType['kind'][];
  autoKey: boolean;
}

const insertTargets = new WeakMap<object, InsertTarget>();

function insertTarget(stmt: InsertPlan, state: CollectionState): InsertTarget {
  let t = insertTargets.get(stmt);
  if (t === undefined || t.state !== state) {
    const fields = stmt.columns.map((c) => state.meta.schema.fields[c]);
    t = { state, fields, kinds: fields.map((f) => baseType(f.type).kind), autoKey: isAutoKey(state) };
    insertTargets.set(stmt, t);
  }
  return t;
}

/**
 * A row OR IGNORE skipped because it broke NOT NULL or CHECK, and the key it was given: SQLite
 * assigns the row its key first, so with AUTOINCREMENT the skipped key is used up all the same.
 */
interface SkippedRow {
  skippedKey: unknown;
}

/**
 * One row of SQL values (by value position) → stored row. Tables whose fields are all top level
 * (every SQL table) bind the values straight into the stored row's positions and convert them in
 * place, skipping the user row object that toRow would read them back from.
 */
function storedRow(
  stmt: InsertPlan,
  state: CollectionState,
  sqlValues: unknown[],
  nullDefaults: NullDefaults,
  policies: ConstraintPolicies | null,
): unknown[] | SkippedRow {
  if (nullDefaults.size > 0) fillNullDefaults(stmt.columns, sqlValues, nullDefaults);
  const columnsToRow = state.compiled.columnsToRow;
  if (columnsToRow === null) return storedRowViaObject(stmt, state, sqlValues, policies);
  const target = insertTarget(stmt, state);
  const { fields, kinds } = target;
  const columns = stmt.columns;
  const values = new Array<unknown>(state.compiled.columnCount);
  // undefined only where OR REPLACE left a NULL to a literal default (fillNullDefaults).
  if (nullDefaults.size === 0)
    for (let i = 0; i < columns.length; i++)
      values[columns[i]] = sqlToKind(kinds[i], fields[i], sqlValues[i], state.name);
  else
    for (let i = 0; i < columns.length; i++)
      if (sqlValues[i] !== undefined)
        values[columns[i]] = sqlToKind(kinds[i], fields[i], sqlValues[i], state.name);
  const pk = state.compiled.pkColumn;
  if (target.autoKey && values[pk] == null) values[pk] = nextKey(state);
  try {
    return columnsToRow(values);
  } catch (err) {
    // The failing column still holds its SQL value, which is all sqlError reads.
    insertFailure(stmt, state, err, rowObject(state, values), policies);
    return { skippedKey: values[pk] };
  }
}

function storedRowViaObject(
  stmt: InsertPlan,
  state: CollectionState,
  values: readonly unknown[],
  policies: ConstraintPolicies | null,
): unknown[] | SkippedRow {
  const fields = state.meta.schema.fields;
  const obj: Row = {};
  stmt.columns.forEach((col, i) => {
    // undefined: a NULL OR REPLACE leaves to the column's literal default.
    if (values[i] !== undefined)
      setPath(obj, fields[col].path, sqlToField(fields[col], values[i], state.name));
  });
  const pkPath = fields[state.compiled.pkColumn].path;
  if (isAutoKey(state) && pkPath.reduce<unknown>((o, k) => (o as Row | undefined)?.[k], obj) == null) {
    setPath(obj, pkPath, nextKey(state));
  }
  try {
    return state.compiled.toRow(obj);
  } catch (err) {
    insertFailure(stmt, state, err, obj, policies);
    return { skippedKey: pkPath.reduce<unknown>((o, k) => (o as Row | undefined)?.[k], obj) };
  }
}

/** A row that failed validation: returns when the statement skips it, else throws the SQL error. */
function insertFailure(
  stmt: InsertPlan,
  state: CollectionState,
  err: unknown,
  obj: Row,
  policies: ConstraintPolicies | null,
): void {
  const mapped = sqlError(err, state, obj);
  // DO NOTHING is an ABORT for everything but the clash it handles (NOT NULL fails).
  if (stmt.doNothing || !(mapped instanceof IntegrityError)) throw mapped;
  // OR IGNORE also skips NOT NULL and CHECK failures.
  const policy = validationPolicy(state, mapped, stmt.conflict, policies);
  if (policy === 'ignore') return;
  throw governed(mapped, policy);
}

/**
 * Something compiled once per lowered statement (a write runs to completion before the next
 * execution starts, so one context can serve them all): the closures read parameters from a
 * per-statement context whose `params`, `session` and `runPlan` are swapped in before each
 * execution. The lowered statement is recompiled when the catalog changes.
 */
function compiledOnce<T>(
  cache: WeakMap<object, { ctx: ExecContext; value: T }>,
  stmt: object,
  ctx: ExecContext,
  compile: (shared: ExecContext) => T,
): T {
  let entry = cache.get(stmt);
  if (!entry) {
    const shared: ExecContext = { params: ctx.params, session: ctx.session, runPlan: ctx.runPlan };
    entry = { ctx: shared, value: compile(shared) };
    cache.set(stmt, entry);
  }
  entry.ctx.params = ctx.params;
  entry.ctx.session = ctx.session;
  entry.ctx.runPlan = ctx.runPlan;
  return entry.value;
}

/** VALUES expressions, compiled once per lowered statement (executeMany's hot path). */
const insertCache = new WeakMap<object, { ctx: ExecContext; value: ReturnType<typeof compileExpr>[][] }>();

function compiledInsertRows(stmt: InsertPlan, ctx: ExecContext): ReturnType<typeof compileExpr>[][] {
  return compiledOnce(insertCache, stmt, ctx, (shared) =>
    stmt.rows.map((r) => r.map((e) => compileExpr(e, shared))),
  );
}

/** RETURNING expressions compiled for one execution; null when the statement has none. */
function returningOf(
  returning: ReturningPlan | null,
  ctx: ExecContext,
): ((row: readonly unknown[]) => unknown[]) | null {
  if (returning === null) return null;
  const evals = returning.exprs.map((e) => compileExpr(e, ctx).eval);
  return (row) => evals.map((f) => f(row));
}

/**
 * The first uniqueness constraint `row` clashes with, in SQLite's order. When the first ON
 * CONFLICT clause targets a unique index, the indexes the clauses target come first (in clause
 * order), then the primary key; when it targets the primary key, the primary key comes first,
 * then those indexes. The other unique indexes follow, newest first (SQLite prepends each new
 * index to the table's list). The order decides which clause applies when a row clashes on
 * several keys (checked against better-sqlite3 in test/cursor/upsert.test.ts).
 */
function firstClash(
  state: CollectionState,
  row: readonly unknown[],
  targets: readonly UpsertAction['target'][],
): { target: NonNullable<UpsertAction['target']>; pk: unknown } | null {
  const pk = state.pkOf(row as unknown[]);
  const indexClash = (ix: CollectionState['indexes'][number]): unknown => {
    if (!ix.unique) return undefined;
    const key = ix.accessor.get(row as unknown[]) ?? null;
    if (key === NOT_INDEXED || keyHasNull(key)) return undefined;
    // The row is not in the table yet: an entry under its own primary key is a clash too.
    // probe() as putRow's check does: when no clause applies, that check takes this descent's
    // answer instead of descending again.
    return ix.tree.probe(key);
  };
  const targeted: string[] = [];
  for (const t of targets) if (t?.kind === 'index' && !targeted.includes(t.name)) targeted.push(t.name);
  const pkFirst = targets[0]?.kind === 'pk';
  if (pkFirst && state.pk.get(pk) !== undefined) return { target: { kind: 'pk' }, pk };
  for (const name of targeted) {
    const ix = state.indexes.find((i) => i.def.name === name);
    const other = ix ? indexClash(ix) : undefined;
    if (other !== undefined) return { target: { kind: 'index', name }, pk: other };
  }
  if (!pkFirst && state.pk.get(pk) !== undefined) return { target: { kind: 'pk' }, pk };
  for (let i = state.indexes.length - 1; i >= 0; i--) {
    const ix = state.indexes[i];
    if (targeted.includes(ix.def.name)) continue;
    const other = indexClash(ix);
    if (other !== undefined) return { target: { kind: 'index', name: ix.def.name }, pk: other };
  }
  return null;
}

function handles(u: UpsertAction, target: NonNullable<UpsertAction['target']>): boolean {
  if (u.target === null) return true;
  return u.target.kind === 'pk'
    ? target.kind === 'pk'
    : target.kind === 'index' && target.name === u.target.name;
}

type Upsert = (engine: Engine, state: CollectionState, row: unknown[]) => unknown[] | 'skipped' | null;

interface UpsertClause {
  readonly u: UpsertAction;
  readonly sets: { column: number; eval: Evaluator }[] | null;
  /** The columns `sets` write, in order. */
  readonly columns: readonly number[];
  readonly where: Evaluator | null;
}

/**
 * The DO UPDATE expressions compiled once per lowered statement, like the VALUES rows
 * (compiledInsertRows): an UPSERT loop re-executes one statement, and compiling its SET and
 * WHERE expressions on every execution was a tenth of its time.
 */
const upsertCache = new WeakMap<object, { ctx: ExecContext; value: UpsertClause[] }>();

function upsertClauses(stmt: InsertPlan, ctx: ExecContext): UpsertClause[] {
  return compiledOnce(upsertCache, stmt, ctx, (shared) =>
    stmt.upserts.map((u) => ({
      u,
      sets: u.sets?.map((s) => ({ column: s.column, eval: compileExpr(s.expr, shared).eval })) ?? null,
      columns: u.sets?.map((s) => s.column) ?? [],
      where: u.where ? compilePredicate(u.where, shared) : null,
    })),
  );
}

/**
 * The ON CONFLICT clauses for one execution: given a row about to be inserted, null when no
 * clause applies (insert as usual), 'skipped' for DO NOTHING or a DO UPDATE whose WHERE is not
 * true, else the existing row as DO UPDATE rewrote it. Expressions read the existing row
 * followed by the proposed one (`excluded.`).
 */
function compiledUpserts(stmt: InsertPlan, ctx: ExecContext, fk: ForeignKeyGuard | null): Upsert | null {
  if (stmt.upserts.length === 0) return null;
  const clauses = upsertClauses(stmt, ctx);
  const targets = stmt.upserts.map((u) => u.target);
  return (engine, state, row) => {
    const clash = firstClash(state, row, targets);
    if (clash === null) return null;
    const clause = clauses.find((c) => handles(c.u, clash.target));
    if (clause === undefined) return null;
    if (clause.sets === null) return 'skipped';
    const old = engine.getRow(state, clash.pk);
    if (old === undefined) return null;
    // Laid out by the table's width, which the excluded columns were offset by at lowering.
    const width = state.compiled.columnCount;
    const both = new Array<unknown>(width * 2);
    for (let i = 0; i < width; i++) {
      both[i] = old[i];
      both[width + i] = row[i];
    }
    if (clause.where && truth(clause.where(both)) !== true) return 'skipped';
    // A DO UPDATE never skips a row (its clashes abort, as SQLite's do).
    const stored = rewriteRow(
      engine,
      state,
      clash.pk,
      old,
      clause.columns,
      clause.sets.map((s) => s.eval(both)),
    ) as unknown[];
    if (fk !== null) fk.updated(state, old, stored, clause.columns);
    return stored;
  };
}

/**
 * Every row of an INSERT … SELECT, read before the first write: SQLite evaluates a SELECT from
 * the table being inserted into in full first, so the new rows never feed the query.
 */
function selectedRows(engine: Engine, select: { readonly plan: LogicalPlan }, ctx: ExecContext): unknown[][] {
  const view = queryView(engine, ctx);
  const { source } = openResult(physicalPlan(select.plan, view), view, runOptions(engine, view, ctx));
  const rows: unknown[][] = [];
  for (let r = source.next(); r !== null; r = source.next()) rows.push([...r]);
  return rows;
}

/**
 * The DEFAULT expressions of an INSERT, compiled once per lowered statement (like its VALUES):
 * they write each row's values for the columns the statement leaves out into the positions after
 * the given ones. The lowered statement is recompiled when the catalog changes, so the target
 * column types cannot change under the cached closures.
 */
const defaultsCache = new WeakMap<object, { ctx: ExecContext; value: (values: unknown[]) => void }>();

function compiledDefaults(
  engine: Engine,
  stmt: InsertPlan,
  ctx: ExecContext,
): ((values: unknown[]) => void) | null {
  if (stmt.defaults.length === 0) return null;
  return compiledOnce(defaultsCache, stmt, ctx, (shared) => {
    const evals = stmt.defaults.map((e) => compileExpr(e, shared).eval);
    const given = stmt.columns.length - evals.length;
    const fields = collectionOrThrow(engine, stmt.collection).meta.schema.fields;
    const timestamps = evals.map(
      (_, j) => baseType(fields[stmt.columns[given + j]].type).kind === 'timestamp',
    );
    return (values: unknown[]): void => {
      for (let j = 0; j < evals.length; j++) {
        const v = evals[j](NO_ROW);
        values[given + j] = timestamps[j] ? sqliteTextToDate(v) : v;
      }
    };
  });
}

function insert(
  engine: Engine,
  stmt: InsertPlan,
  ctx: ExecContext,
  fk: ForeignKeyGuard | null,
  progress: WriteProgress,
): WriteResult {
  if (fk !== null) {
    fk.prepare(stmt.collection, 'insert');
    for (const u of stmt.upserts)
      if (u.sets)
        fk.prepare(
          stmt.collection,
          'update',
          u.sets.map((s) => s.column),
        );
  }
  const project = returningOf(stmt.returning, ctx);
  const returned: unknown[][] = [];
  const policy = stmt.conflict;
  const mode = policy === 'ignore' ? 'ignore' : policy === 'replace' ? 'replaceAll' : 'abort';
  const upsert = compiledUpserts(stmt, ctx, fk);
  const fillDefaults = compiledDefaults(engine, stmt, ctx);
  // Worked out at the first row, from the table state it reads (the schema cannot change within
  // the statement): an executeMany row pays for no second lookup of the table.
  let policies: ConstraintPolicies | null | undefined;
  let nullDefaults: NullDefaults = NO_DEFAULTS;
  let single = false;
  const put = (values: unknown[]): void => {
    const state = collectionOrThrow(engine, stmt.collection);
    if (policies === undefined) {
      policies = constraintPolicies(state, policy, stmt.byConstraint);
      nullDefaults = nullDefaultsFor(state, policy, policies, stmt.nullDefaults, ctx);
      single = policy === 'abort' && policies === null && stmt.select === null && stmt.rows.length === 1;
    }
    if (fillDefaults !== null) fillDefaults(values);
    const stored = storedRow(stmt, state, values, nullDefaults, policies);
    if (!Array.isArray(stored)) {
      engine.advanceSequence(state, stored.skippedKey);
      return;
    }
    if (upsert !== null) {
      const done = upsert(engine, state, stored);
      if (done !== null) engine.advanceSequence(state, stored[state.compiled.pkColumn]);
      if (done === 'skipped') return;
      if (done !== null) {
        progress.rowCount++;
        if (project) returned.push(project(done));
        return;
      }
    }
    let rowMode: ConflictMode = mode;
    if (policies !== null) {
      // The constraints' own ON CONFLICT clauses: the first non-REPLACE clash decides.
      const verdict = resolveClashes(state, stored, undefined, policies);
      if (verdict === 'ignore') {
        engine.advanceSequence(state, stored[state.compiled.pkColumn]);
        return;
      }
      rowMode = verdict.replace ? 'replaceAll' : 'abort';
    }
    if (fk !== null && rowMode === 'replaceAll') fk.replaceClashes(state, stored);
    // A single-row INSERT's row that breaks a foreign key is refused before it is written (it then
    // needs no savepoint); a clash on a key is still the error SQLite reports first. Only under
    // ABORT and for one row: a later row's clash could end the statement otherwise (FAIL,
    // ROLLBACK), and SQLite's last_insert_rowid() is the last row it wrote before the check.
    if (fk !== null && single && fk.checksInsertFirst(state.name) && fk.insertBreaks(state, stored)) {
      if (wouldClash(state, stored)) engine.putRow(state, stored, 'abort');
      const pk = stored[state.compiled.pkColumn];
      if (typeof pk === 'number' || typeof pk === 'bigint') progress.lastRowId = pk;
      throw violation();
    }
    let result;
    try {
      result = engine.putRow(state, stored, rowMode);
    } catch (err) {
      throw governed(err, policy);
    }
    if (result === 'ignored') {
      engine.advanceSequence(state, stored[state.compiled.pkColumn]);
      return;
    }
    if (fk !== null) fk.inserted(state, stored);
    progress.rowCount++;
    const pk = stored[state.compiled.pkColumn];
    // A WITHOUT ROWID insert has no rowid and leaves lastRowId as it was (SQLite's rule).
    if ((typeof pk === 'number' || typeof pk === 'bigint') && state.meta.schema.withoutRowid !== true)
      progress.lastRowId = pk;
    if (project) returned.push(project(stored));
  };
  if (stmt.select) {
    for (const values of selectedRows(engine, stmt.select, ctx)) put(values);
  } else {
    // Reused across rows: storedRow copies what it needs out of it.
    const scratch: unknown[] = [];
    for (const exprs of compiledInsertRows(stmt, ctx)) {
      for (let i = 0; i < exprs.length; i++) scratch[i] = exprs[i].eval(NO_ROW);
      put(scratch);
    }
  }
  const { rowCount, lastRowId } = progress;
  const result: WriteResult = lastRowId === undefined ? { rowCount } : { rowCount, lastRowId };
  if (project) result.returning = returned;
  return result;
}

/** Whether putting `row` with conflict mode 'abort' would fail on its primary key or a unique index. */
function wouldClash(state: CollectionState, row: readonly unknown[]): boolean {
  if (state.pk.get(state.pkOf(row)) !== undefined) return true;
  return state.indexes.some((ix) => {
    if (!ix.unique) return false;
    const key = ix.accessor.get(row) ?? null;
    return key !== NOT_INDEXED && !keyHasNull(key) && ix.tree.get(key) !== undefined;
  });
}

/** How an UPDATE (or an UPSERT's DO UPDATE, always `abort`) treats a row that breaks a constraint. */
interface RewritePolicy {
  readonly conflict: ConflictAction;
  /** The constraints' own ON CONFLICT clauses, when they decide (no OR clause); else null. */
  readonly constraints: ConstraintPolicies | null;
  readonly nullDefaults: NullDefaults;
  /** Under REPLACE with foreign keys: delete the rows `row` clashes with, running their ON DELETE actions. */
  readonly replaceClashes: ((state: CollectionState, row: readonly unknown[], own: unknown) => void) | null;
}

const ABORT: RewritePolicy = {
  conflict: 'abort',
  constraints: null,
  nullDefaults: new Map(),
  replaceClashes: null,
};

/** `err` marked as decided by `rule`, except under the DO UPDATE's policy, which SQLite never resolves. */
function marked(policy: RewritePolicy, err: unknown, rule: ConflictAction): unknown {
  return policy === ABORT ? err : governed(err, rule);
}

/**
 * Replace the row with primary key `key` (currently `old`) by `old` with column `columns[i]` set to
 * `values[i]`. A failing constraint is resolved by `policy` (SQLite's UPDATE OR …): null when
 * IGNORE skips the row; REPLACE deletes the rows a changed key clashes with; else an error, which
 * `governed` marks unless the policy is the DO UPDATE's.
 */
function rewriteRow(
  engine: Engine,
  state: CollectionState,
  key: unknown,
  old: readonly unknown[],
  columns: readonly number[],
  values: readonly unknown[],
  policy: RewritePolicy = ABORT,
): unknown[] | null {
  const fields = state.meta.schema.fields;
  const conflict = policy.conflict;
  // Each set column's field value; undefined: the field's literal default.
  const fieldValues = new Array<unknown>(columns.length);
  for (let i = 0; i < columns.length; i++) {
    const column = columns[i];
    let v = values[i];
    if (v === null && policy.nullDefaults.size > 0) {
      const d = policy.nullDefaults.get(column);
      // A literal default is the schema's own value; an expression's is an SQL value.
      if (d === null) {
        fieldValues[i] = undefined;
        continue;
      }
      if (d !== undefined) v = d(NO_ROW);
    }
    fieldValues[i] = sqlToField(fields[column], v, state.name);
  }
  // The unchanged columns stay as stored; only a refused row takes the object round trip below,
  // whose error names the field and says which constraint (sqlError).
  const patch = state.compiled.patchRow;
  let stored = patch === null ? null : patch(old, columns, fieldValues);
  if (stored === null) {
    const obj = state.compiled.toObject(old as unknown[], true);
    for (let i = 0; i < columns.length; i++) {
      const f = fields[columns[i]];
      setPath(obj, f.path, fieldValues[i] === undefined ? f.default : fieldValues[i]);
    }
    try {
      stored = state.compiled.toRow(obj);
    } catch (err) {
      const mapped = sqlError(err, state, obj);
      if (!(mapped instanceof IntegrityError)) throw mapped;
      const rule = validationPolicy(state, mapped, conflict, policy.constraints);
      if (rule === 'ignore') return null;
      throw marked(policy, mapped, rule);
    }
  }
  const newKey = stored[state.compiled.pkColumn];
  // By value: a BLOB key is a fresh Buffer on every row, and 1 equals 1n.
  const keyChanged = compareValues(newKey, key) !== 0;
  let replace = conflict === 'replace';
  if (policy.constraints !== null) {
    // The constraints' own ON CONFLICT clauses: the first non-REPLACE clash decides.
    const verdict = resolveClashes(state, stored, key, policy.constraints);
    if (verdict === 'ignore') return null;
    replace = verdict.replace;
  }
  // Checked before the old row goes (a changed key moves the row): nothing is written for a
  // row that fails, which FAIL relies on. An unchanged key leaves the checks to putRow.
  else if (conflict === 'ignore' || (keyChanged && conflict !== 'replace')) {
    const clash = clashWithOther(state, stored, key);
    if (clash !== null) {
      if (conflict === 'ignore') return null;
      throw marked(policy, clash, conflict);
    }
  }
  if (replace && policy.replaceClashes !== null) {
    policy.replaceClashes(state, stored, key);
    // A clashing row's ON DELETE CASCADE may have deleted this very row: it is gone, not
    // written back (SQLite's outcome; writing it would leave its own reference dangling).
    if (state.pk.get(key) === undefined) return null;
  }
  if (keyChanged) engine.deleteRow(state, key);
  // Unchanged key: `old` is the row putRow replaces, so it moves only the index entries that
  // change. REPLACE deletes every other row the new keys clash with, the one under a changed
  // primary key included.
  try {
    engine.putRow(state, stored, replace ? 'replaceAll' : 'replacePk', keyChanged ? undefined : old);
  } catch (err) {
    throw marked(policy, err, conflict);
  }
  return stored;
}

function update(
  engine: Engine,
  stmt: UpdatePlan,
  ctx: ExecContext,
  fk: ForeignKeyGuard | null,
  progress: WriteProgress,
): WriteResult {
  const setColumns = stmt.sets.map((s) => s.column);
  if (fk !== null) fk.prepare(stmt.collection, 'update', setColumns);
  // Rows change one at a time and each is checked against the table as it is by then, so the
  // order decides whether a key shifted onto another row's (UNIQUE) clashes: primary-key order,
  // the order of SQLite's usual full-table UPDATE, whatever index found the rows.
  // A point UPDATE (`WHERE id = ?`) reads its row once, with its key.
  const point = stmt.from ? undefined : pointTarget(engine, stmt, ctx);
  const targets: { key: unknown; values: unknown[] | null; row?: unknown[] }[] =
    point !== undefined
      ? point === null
        ? []
        : [{ key: point.key, values: null, row: point.row }]
      : stmt.from
        ? joinedTargets(engine, stmt, ctx)
        : matchingKeys(engine, stmt, ctx)
            .sort(compareValues)
            .map((key) => ({ key, values: null }));
  const sets = stmt.sets.map((s) => ({ column: s.column, eval: compileExpr(s.expr, ctx).eval }));
  const project = returningOf(stmt.returning, ctx);
  const returned: unknown[][] = [];
  const target = collectionOrThrow(engine, stmt.collection);
  const constraints = constraintPolicies(target, stmt.conflict, stmt.byConstraint);
  const policy: RewritePolicy = {
    conflict: stmt.conflict,
    constraints,
    nullDefaults: nullDefaultsFor(target, stmt.conflict, constraints, stmt.nullDefaults, ctx),
    replaceClashes: fk !== null ? (st, row, own) => fk.replaceClashes(st, row, own) : null,
  };
  for (const { key, values, row } of targets) {
    const state = collectionOrThrow(engine, stmt.collection);
    // A row an earlier row's REPLACE deleted is gone, as in SQLite.
    const old = row ?? engine.getRow(state, key);
    if (!old) continue;
    const stored = rewriteRow(
      engine,
      state,
      key,
      old,
      setColumns,
      values ?? sets.map((s) => s.eval(old)),
      policy,
    );
    if (stored === null) continue;
    if (fk !== null) fk.updated(state, old, stored, setColumns);
    progress.rowCount++;
    if (project) returned.push(project(stored));
  }
  const rowCount = progress.rowCount;
  return project ? { rowCount, returning: returned } : { rowCount };
}

function remove(engine: Engine, stmt: DeletePlan, ctx: ExecContext, fk: ForeignKeyGuard | null): WriteResult {
  if (fk !== null) fk.prepare(stmt.collection, 'delete');
  const keys = matchingKeys(engine, stmt, ctx);
  const state = collectionOrThrow(engine, stmt.collection);
  const project = returningOf(stmt.returning, ctx);
  const del = (key: unknown): boolean =>
    fk === null ? engine.deleteRow(state, key) : fk.deleteRow(state, key);
  if (project === null) {
    let rowCount = 0;
    for (const key of keys) if (del(key)) rowCount++;
    return { rowCount };
  }
  const returned: unknown[][] = [];
  for (const key of keys) {
    const old = engine.getRow(state, key);
    if (old !== undefined && del(key)) returned.push(project(old));
  }
  return { rowCount: returned.length, returning: returned };
}

/** Run one INSERT/UPDATE/DELETE plan in the engine's open write transaction. */
export function executeWrite(
  engine: Engine,
  plan: WritePlan,
  params: ExecContext['params'],
  session?: ExecContext['session'],
  fk: ForeignKeyGuard | null = null,
  foreign: ForeignReads | null = null,
): WriteResult {
  // The session carries the connection's counters that changes()/last_insert_rowid() read.
  const ctx: ExecContext = session ? { params, session } : { params };
  if (foreign) readsForeign(ctx, foreign);
  // Subqueries in VALUES and SET see the snapshot the statement started from, read once. The
  // snapshot is taken only when the statement has one: taking it makes the next write to every
  // tree copy its path (copy-on-write), which a plain UPSERT would pay on every row.
  if (!writeHasSubquery(plan)) return runWritePlan(engine, plan, ctx, fk);
  const view = queryView(engine, ctx);
  ctx.runPlan = (sub) => {
    const rows: unknown[][] = [];
    const { source } = openResult(physicalPlan(sub, view), view, runOptions(engine, view, ctx));
    for (let r = source.next(); r !== null; r = source.next()) rows.push([...r]);
    return rows;
  };
  return runWritePlan(engine, plan, ctx, fk);
}

function runWritePlan(
  engine: Engine,
  plan: WritePlan,
  ctx: ExecContext,
  fk: ForeignKeyGuard | null,
): WriteResult {
  const progress: WriteProgress = { rowCount: 0, lastRowId: undefined };
  try {
    const result =
      plan.kind === 'insert'
        ? insert(engine, plan, ctx, fk, progress)
        : plan.kind === 'update'
          ? update(engine, plan, ctx, fk, progress)
          : remove(engine, plan, ctx, fk);
    // Checked when the statement ends: a row may break a constraint that a later row repairs.
    if (fk !== null) fk.finish();
    return result;
  } catch (err) {
    // FAIL keeps the rows written before the failing one, so their foreign keys are checked as
    // at a statement's end: a violation makes it an ABORT with that error, as in SQLite.
    if (fk !== null && keepsRows(err))
      try {
        fk.finish();
      } catch (violated) {
        recordFailure(violated, progress);
        throw violated;
      }
    recordFailure(err, progress);
    throw err;
  }
}

const subqueryMemo = new WeakMap<WritePlan, boolean>();

/** Whether any expression the write evaluates itself (not its WHERE scan) holds a subquery. */
function writeHasSubquery(plan: WritePlan): boolean {
  let found = subqueryMemo.get(plan);
  if (found === undefined) {
    const exprs: Expr[] = [];
    if (plan.kind === 'insert') {
      for (const row of plan.rows) exprs.push(...row);
      exprs.push(...plan.defaults);
      for (const u of plan.upserts) {
        for (const set of u.sets ?? []) exprs.push(set.expr);
        if (u.where) exprs.push(u.where);
      }
    } else if (plan.kind === 'update') {
      for (const set of plan.sets) exprs.push(set.expr);
    }
    if (plan.kind !== 'insert' && plan.where) exprs.push(plan.where);
    if (plan.returning) exprs.push(...plan.returning.exprs);
    found = exprs.some(hasSubquery);
    subqueryMemo.set(plan, found);
  }
  return found;
}
