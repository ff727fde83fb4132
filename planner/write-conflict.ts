/**
 * Conflict resolution of a write statement (SQLite's ON CONFLICT algorithms, write-plan.ts
 * ConflictAction): which failures of a row the statement's policy governs, what a NULL in a NOT
 * NULL column becomes under REPLACE, and what a failed statement tells the caller that ends it
 * (cursor/connection.ts): undo it, keep what it wrote so far, or undo the whole transaction.
 */
import type { CollectionState } from '../storage/collection-state';
import { keyHasNull, compareValues } from '../storage/compare';
import { indexPaths, keyColumnsText } from '../storage/schema/normalize';
import type { CollectionSchema } from '../storage/schema/normalize';
import { IntegrityError } from '../src/errors';
import type { ConflictAction, NullDefault } from './write-plan';
import type { Evaluator, ExecContext } from './compile-expr';
import { compileExpr } from './compile-expr';
import { baseType, sqliteTextToDate } from './write-values';

/** How a failed statement ends: undone (abort), kept as far as it got (fail), or with its transaction (rollback). */
export type Resolution = 'abort' | 'fail' | 'rollback';

/** What a statement had done when it failed. */
export interface WriteProgress {
  /** Rows changed before the failure: what changes() reports when the statement is kept (fail). */
  rowCount: number;
  /** Key of the last row inserted: SQLite's last_insert_rowid() keeps it whatever the resolution. */
  lastRowId: number | bigint | undefined;
}

export interface WriteFailure extends WriteProgress {
  readonly resolution: Resolution;
}

/**
 * Errors a row raised under a conflict policy (a UNIQUE, PRIMARY KEY, NOT NULL or CHECK failure),
 * with that policy: the statement's OR clause, or the constraint's own ON CONFLICT.
 */
const governedErrors = new WeakMap<object, ConflictAction>();
const failures = new WeakMap<object, WriteFailure>();

/**
 * Mark `err` as a constraint failure that `policy` decides about. Foreign keys, type errors and
 * the clashes of an UPSERT's DO UPDATE are never marked: SQLite aborts on those.
 */
export function governed(err: unknown, policy: ConflictAction): unknown {
  if (err instanceof IntegrityError) governedErrors.set(err, policy);
  return err;
}

/** Whether `err` stops its statement under FAIL, which keeps the rows written before it. */
export function keepsRows(err: unknown): boolean {
  return typeof err === 'object' && err !== null && governedErrors.get(err) === 'fail';
}

/** Remember how the statement that threw `err` ends and how far it got. */
export function recordFailure(err: unknown, progress: WriteProgress): void {
  if (typeof err !== 'object' || err === null) return;
  const policy = governedErrors.get(err);
  const resolution: Resolution = policy === 'fail' || policy === 'rollback' ? policy : 'abort';
  failures.set(err, { resolution, rowCount: progress.rowCount, lastRowId: progress.lastRowId });
}

/**
 * The policy each constraint of a table resolves its failures with, for a table declared with
 * `ON CONFLICT` clauses: each constraint's own for a statement without an OR clause, else the OR
 * clause's (SQLite: it overrides them). CHECK constraints have none: ABORT (or the OR clause's).
 */
export interface ConstraintPolicies {
  /** By column index: its NOT NULL constraint's policy. */
  readonly notNull: readonly ConflictAction[];
  readonly check: ConflictAction;
  readonly primaryKey: ConflictAction;
  /** By unique index name. */
  readonly unique: ReadonlyMap<string, ConflictAction>;
  /**
   * Unique indexes declared ON CONFLICT REPLACE: SQLite checks them after the others whatever the
   * statement's policy, so a row clashing on both reports the other one.
   */
  readonly replaceLast: ReadonlySet<string>;
}

/** Per schema (a new object after every DDL): whether a constraint declares an ON CONFLICT. */
const declaring = new WeakMap<CollectionSchema, boolean>();

/** Asked once per statement execution (an executeMany row): answered once per schema. */
function declaresAlgorithms(schema: CollectionSchema): boolean {
  let declared = declaring.get(schema);
  if (declared === undefined) {
    declared =
      schema.fields.some((f) => f.notNullOnConflict !== undefined || f.keyOnConflict !== undefined) ||
      schema.indexes.some((ix) => ix.onConflict !== undefined);
    declaring.set(schema, declared);
  }
  return declared;
}

/**
 * The per-constraint policies a statement applies: null when the table declares no ON CONFLICT
 * clause (one policy, the statement's, then rules every constraint in the storage's order).
 */
export function constraintPolicies(
  state: CollectionState,
  statement: ConflictAction,
  byConstraint: boolean,
): ConstraintPolicies | null {
  const schema = state.meta.schema;
  const key = schema.fields[state.compiled.pkColumn].keyOnConflict;
  if (!declaresAlgorithms(schema)) return null;
  const own = (algorithm: ConflictAction | undefined): ConflictAction =>
    byConstraint ? (algorithm ?? 'abort') : statement;
  const unique = new Map<string, ConflictAction>();
  const replaceLast = new Set<string>();
  for (const ix of schema.indexes) {
    unique.set(ix.name, own(ix.onConflict));
    if (ix.onConflict === 'replace') replaceLast.add(ix.name);
  }
  return {
    notNull: schema.fields.map((f) => own(f.notNullOnConflict)),
    check: byConstraint || statement === 'replace' ? 'abort' : statement,
    primaryKey: own(key),
    unique,
    replaceLast,
  };
}

/**
 * The policy that decides about a failed validation of a row (mapped to SQLite's error): a NOT
 * NULL failure its column's, a CHECK failure the CHECK policy (REPLACE is ABORT for a CHECK).
 */
export function validationPolicy(
  state: CollectionState,
  mapped: IntegrityError,
  statement: ConflictAction,
  policies: ConstraintPolicies | null,
): ConflictAction {
  if (policies === null) return statement;
  if (mapped.code !== 'NOT_NULL') return policies.check;
  const path = (mapped.cause as { path?: unknown } | undefined)?.path;
  const column = state.meta.schema.fields.findIndex((f) => f.path.join('.') === path);
  return column < 0 ? 'abort' : policies.notNull[column];
}

/**
 * SQLite's order over a row's key clashes when constraints have their own policies: every
 * constraint whose policy is not REPLACE first (the primary key, then the unique indexes newest
 * first), the first clash deciding (IGNORE skips the row, the others fail with their policy);
 * only then REPLACE deletes the rows the remaining constraints clash with. `own`: the primary key
 * of the row an UPDATE rewrites (undefined for an INSERT). 'ignore' when the row is skipped, else
 * whether a REPLACE constraint clashes (the write then deletes those rows).
 */
export function resolveClashes(
  state: CollectionState,
  row: readonly unknown[],
  own: unknown,
  policies: ConstraintPolicies,
): 'ignore' | { replace: boolean } {
  const pk = state.pkOf(row as unknown[]);
  const isOwn = (other: unknown): boolean => own !== undefined && compareValues(other, own) === 0;
  let replace = false;
  const clash = (policy: ConflictAction, error: () => IntegrityError): 'ignore' | null => {
    if (policy === 'replace') {
      replace = true;
      return null;
    }
    if (policy === 'ignore') return 'ignore';
    throw governed(error(), policy);
  };
  const pkError = (): IntegrityError =>
    new IntegrityError(
      `UNIQUE constraint failed: ${state.name}.${state.meta.schema.primaryKey.join('.')}`,
      'PRIMARY_KEY',
    );
  if (!isOwn(pk) && state.pk.get(pk) !== undefined && clash(policies.primaryKey, pkError) === 'ignore')
    return 'ignore';
  // Newest first, as putRow checks them, those declared ON CONFLICT REPLACE after the others.
  const order = [...state.indexes].reverse();
  order.sort(
    (x, y) => Number(policies.replaceLast.has(x.def.name)) - Number(policies.replaceLast.has(y.def.name)),
  );
  for (const ix of order) {
    if (!ix.unique) continue;
    const key = ix.accessor.get(row as unknown[]) ?? null;
    if (keyHasNull(key)) continue;
    const other = ix.tree.get(key);
    if (other === undefined || isOwn(other)) continue;
    const error = (): IntegrityError =>
      new IntegrityError(
        `UNIQUE constraint failed: ${keyColumnsText(state.name, indexPaths(ix.def))}`,
        'UNIQUE',
      );
    if (clash(policies.unique.get(ix.def.name) ?? 'abort', error) === 'ignore') return 'ignore';
  }
  return { replace };
}

/** How the write that threw `err` ends, or undefined when it failed before writing any row. */
export function writeFailure(err: unknown): WriteFailure | undefined {
  return typeof err === 'object' && err !== null ? failures.get(err) : undefined;
}

/** No NULL becomes a default: shared, never written. */
export const NO_DEFAULTS: NullDefaults = new Map();

/**
 * Under REPLACE (the statement's, or a NOT NULL constraint's own): for each such NOT NULL column
 * with a DEFAULT, a function giving the SQL value of that default (null for a literal default,
 * which the schema fills when the value is left undefined). Empty for the other policies.
 */
export function nullDefaultsFor(
  state: CollectionState,
  policy: ConflictAction,
  policies: ConstraintPolicies | null,
  exprs: readonly NullDefault[],
  ctx: ExecContext,
): NullDefaults {
  if (policies === null && policy !== 'replace') return NO_DEFAULTS;
  const out = new Map<number, Evaluator | null>();
  state.meta.schema.fields.forEach((f, i) => {
    if (f.type.kind === 'optional') return;
    if (policies !== null && policies.notNull[i] !== 'replace') return;
    const e = exprs.find((d) => d.column === i);
    if (e !== undefined) {
      const ev = compileExpr(e.expr, ctx).eval;
      // As an omitted column's default (write.ts compiledDefaults): SQLite's text becomes a Date.
      out.set(i, baseType(f.type).kind === 'timestamp' ? (r) => sqliteTextToDate(ev(r)) : ev);
    } else if (f.default !== undefined && f.default !== null) out.set(i, null);
  });
  return out;
}

/**
 * The error a clash of `row` with another row would raise: on its primary key, else on a unique
 * index (newest first, as putRow checks them). `own`: the primary key of the row `row` replaces
 * (an UPDATE), whose entries are no clash. Null when there is none.
 */
export function clashWithOther(
  state: CollectionState,
  row: readonly unknown[],
  own: unknown,
): IntegrityError | null {
  const pk = state.pkOf(row as unknown[]);
  const isOwn = (other: unknown): boolean => compareValues(other, own) === 0;
  if (!isOwn(pk) && state.pk.get(pk) !== undefined)
    return new IntegrityError(
      `UNIQUE constraint failed: ${state.name}.${state.meta.schema.primaryKey.join('.')}`,
      'PRIMARY_KEY',
    );
  for (let i = state.indexes.length - 1; i >= 0; i--) {
    const ix = state.indexes[i];
    if (!ix.unique) continue;
    const key = ix.accessor.get(row as unknown[]) ?? null;
    if (keyHasNull(key)) continue;
    const other = ix.tree.get(key);
    if (other !== undefined && !isOwn(other))
      return new IntegrityError(
        `UNIQUE constraint failed: ${keyColumnsText(state.name, indexPaths(ix.def))}`,
        'UNIQUE',
      );
  }
  return null;
}

/** Default expressions are constant: they read no row. */
const NO_ROW_VALUES: readonly unknown[] = [];

/** Per NOT NULL column with a DEFAULT: its expression, or null for a literal default (see nullDefaultsFor). */
export type NullDefaults = ReadonlyMap<number, Evaluator | null>;

/**
 * OR REPLACE writes a NOT NULL column's DEFAULT in place of a NULL: the expression's value, or
 * undefined, which the schema fills with a literal default. A column without one still fails.
 */
export function fillNullDefaults(
  columns: readonly number[],
  values: unknown[],
  defaults: NullDefaults,
): void {
  for (let i = 0; i < columns.length; i++) {
    if (values[i] !== null) continue;
    const d = defaults.get(columns[i]);
    if (d === null) values[i] = undefined;
    else if (d !== undefined) {
      const v = d(NO_ROW_VALUES);
      if (v !== null) values[i] = v;
    }
  }
}
