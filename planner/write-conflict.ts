/**
 * Conflict resolution of a write statement (SQLite's ON CONFLICT algorithms, write-plan.ts
 * ConflictAction): which failures of a row the statement's policy governs, what a NULL in a NOT
 * NULL column becomes under REPLACE, and what a failed statement tells the caller that ends it
 * (cursor/connection.ts): undo it, keep what it wrote so far, or undo the whole transaction.
 */
import type { CollectionState } from '../storage/collection-state';
import { keyHasNull, compareValues } from '../storage/compare';
import { indexPaths, keyColumnsText } from '../storage/schema/normalize';
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

/** Errors a row raised under the statement's policy (a UNIQUE, PRIMARY KEY, NOT NULL or CHECK failure). */
const governedErrors = new WeakSet<object>();
const failures = new WeakMap<object, WriteFailure>();

/**
 * Mark `err` as a constraint failure the statement's OR policy decides about. Foreign keys, type
 * errors and the clashes of an UPSERT's DO UPDATE are never marked: SQLite aborts on those.
 */
export function governed(err: unknown): unknown {
  if (err instanceof IntegrityError) governedErrors.add(err);
  return err;
}

/** Remember how the statement that threw `err` ends and how far it got. */
export function recordFailure(err: unknown, policy: ConflictAction, progress: WriteProgress): void {
  if (typeof err !== 'object' || err === null) return;
  const ruled = governedErrors.has(err);
  const resolution: Resolution = ruled && (policy === 'fail' || policy === 'rollback') ? policy : 'abort';
  failures.set(err, { resolution, rowCount: progress.rowCount, lastRowId: progress.lastRowId });
}

/** How the write that threw `err` ends, or undefined when it failed before writing any row. */
export function writeFailure(err: unknown): WriteFailure | undefined {
  return typeof err === 'object' && err !== null ? failures.get(err) : undefined;
}

/**
 * Under REPLACE: for each NOT NULL column with a DEFAULT, a function giving the SQL value of that
 * default (null for a literal default, which the schema fills when the value is left undefined).
 * Empty for the other policies.
 */
export function nullDefaultsFor(
  state: CollectionState,
  policy: ConflictAction,
  exprs: readonly NullDefault[],
  ctx: ExecContext,
): Map<number, Evaluator | null> {
  const out = new Map<number, Evaluator | null>();
  if (policy !== 'replace') return out;
  state.meta.schema.fields.forEach((f, i) => {
    if (f.type.kind === 'optional') return;
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
