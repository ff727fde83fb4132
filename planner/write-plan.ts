/**
 * Write plans: what an INSERT, UPDATE or DELETE does, as plain data the parser lowers SQL into and
 * planner/write.ts executes (SPEC §8: writes are plans executed in planner/, fed by the same
 * access paths as queries). Expressions are planner Exprs; parameters stay unbound.
 */
import type { Expr } from './expr';
import type { IndexHint, LogicalPlan } from './logical';

/**
 * SQLite's conflict resolution for UNIQUE, PRIMARY KEY, NOT NULL and CHECK failures of a row
 * (never foreign keys): `abort` undoes the statement, `fail` keeps the rows written before the
 * failing one, `rollback` ends the whole transaction, `ignore` skips the row, `replace` deletes
 * the rows a key clashes with (and gives a NULL in a NOT NULL column its default).
 */
export type ConflictAction = 'abort' | 'fail' | 'ignore' | 'replace' | 'rollback';

/**
 * Under `replace`, what a NULL written into a NOT NULL column with a DEFAULT becomes: the
 * column's default expression when it has one (a literal default is read from the schema).
 */
export interface NullDefault {
  readonly column: number;
  readonly expr: Expr;
}

/** `RETURNING …`: expressions over the row a write produced (INSERT, UPDATE) or removed (DELETE). */
export interface ReturningPlan {
  readonly exprs: readonly Expr[];
}

/**
 * One `ON CONFLICT … DO …` clause. Its expressions read a row of twice the table's width: the
 * existing row, then the row that would have been inserted (`excluded.col`).
 */
export interface UpsertAction {
  /** The uniqueness constraint the clause handles: the primary key, a unique index, or any (null). */
  readonly target: { readonly kind: 'pk' } | { readonly kind: 'index'; readonly name: string } | null;
  /** null for DO NOTHING. */
  readonly sets: readonly { readonly column: number; readonly expr: Expr }[] | null;
  readonly where: Expr | null;
}

export interface InsertPlan {
  readonly kind: 'insert';
  readonly collection: string;
  /** Target top-level field index for each value position. */
  readonly columns: readonly number[];
  /**
   * One Expr list per VALUES row (constant expressions: literals, parameters, arithmetic);
   * `DEFAULT VALUES` is one empty row. Empty when `select` feeds the rows.
   */
  readonly rows: readonly (readonly Expr[])[];
  /**
   * DEFAULT expressions of the columns the statement leaves out (`CURRENT_TIMESTAMP`,
   * `(random())`), evaluated for each row; their target columns are the last `defaults.length`
   * entries of `columns`, after those the VALUES rows or the SELECT fill.
   */
  readonly defaults: readonly Expr[];
  /** INSERT … SELECT: the query whose rows are inserted (read in full before the first write). */
  readonly select: { readonly plan: LogicalPlan } | null;
  readonly conflict: ConflictAction;
  /**
   * No OR clause: each constraint's own `ON CONFLICT` (CREATE TABLE) decides, `conflict` being
   * ABORT; false when the statement's OR clause (or a targetless DO NOTHING) overrides them.
   */
  readonly byConstraint: boolean;
  /** Expression defaults of NOT NULL columns that REPLACE may write (empty when none can). */
  readonly nullDefaults: readonly NullDefault[];
  /** ON CONFLICT DO NOTHING differs from OR IGNORE: it does not skip NOT NULL violations. */
  readonly doNothing: boolean;
  /** ON CONFLICT clauses in order (empty when a lone targetless DO NOTHING became `conflict`). */
  readonly upserts: readonly UpsertAction[];
  readonly returning: ReturningPlan | null;
}

export interface UpdatePlan {
  readonly kind: 'update';
  readonly collection: string;
  readonly sets: readonly { readonly column: number; readonly expr: Expr }[];
  readonly where: Expr | null;
  /** `UPDATE OR …`; `abort` without one. */
  readonly conflict: ConflictAction;
  /** No OR clause: each constraint's own `ON CONFLICT` decides (see InsertPlan). */
  readonly byConstraint: boolean;
  /** Expression defaults of the NOT NULL columns the SET list writes that REPLACE may write. */
  readonly nullDefaults: readonly NullDefault[];
  readonly returning: ReturningPlan | null;
  /** `UPDATE t INDEXED BY … / NOT INDEXED` (absent: none). */
  readonly hint?: IndexHint;
  /**
   * UPDATE … FROM: the target joined with the FROM sources, the target's columns first at their
   * stored positions; `where` and the SET expressions read that joined row (absent: plain UPDATE).
   */
  readonly from?: LogicalPlan;
}

export interface DeletePlan {
  readonly kind: 'delete';
  readonly collection: string;
  readonly where: Expr | null;
  readonly returning: ReturningPlan | null;
  /** `DELETE FROM t INDEXED BY … / NOT INDEXED` (absent: none). */
  readonly hint?: IndexHint;
}

export type WritePlan = InsertPlan | UpdatePlan | DeletePlan;
