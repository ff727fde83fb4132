/**
 * Statement IR: what a SQL string means after parsing, name resolution against the catalog and
 * typing, before any value is bound. The cursor layer executes these; SELECTs carry a logical
 * plan (planner/logical.ts) so SQL and the typed builder share one planner and executor.
 * Parameters stay as ParamExpr nodes so one lowered statement serves every execution (the
 * statement cache keys on the SQL text).
 */
import type { Expr, ValueType } from '../planner/expr';
import type { LogicalPlan } from '../planner/logical';
import type { FieldDescriptor, IndexDescriptor } from '../storage/schema/descriptors';

/** How parameters are referenced in the statement. */
export interface ParamInfo {
  /** 'none' | positional ('?') | numbered ('?NNN') | named (':a', '@a', '$a'). Mixing positional and named is an error. */
  readonly style: 'none' | 'positional' | 'numbered' | 'named';
  /** Positional/numbered: how many values must be bound. */
  readonly count: number;
  /** Named: the names (without prefix) that must be present. */
  readonly names: readonly string[];
}

export interface OutputColumn {
  /** SQLite naming: alias, declared column name, or the expression's exact source text. */
  readonly name: string;
  readonly type: ValueType;
  readonly nullable: boolean;
}

export interface SelectStmt {
  readonly kind: 'select';
  readonly plan: LogicalPlan;
  readonly columns: readonly OutputColumn[];
  /** How to turn stored values back into user values per output column (timestamps, booleans). */
  readonly collection: string;
}

export interface ExplainStmt {
  readonly kind: 'explain';
  readonly select: SelectStmt;
}

export type ConflictAction = 'abort' | 'ignore' | 'replace';

/** `RETURNING …`: expressions over the row a write produced (INSERT, UPDATE) or removed (DELETE). */
export interface Returning {
  readonly exprs: readonly Expr[];
  readonly columns: readonly OutputColumn[];
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

export interface InsertStmt {
  readonly kind: 'insert';
  readonly collection: string;
  /** Target top-level field index for each value position. */
  readonly columns: readonly number[];
  /**
   * One Expr list per VALUES row (constant expressions: literals, parameters, arithmetic);
   * `DEFAULT VALUES` is one empty row. Empty when `select` feeds the rows.
   */
  readonly rows: readonly (readonly Expr[])[];
  /** INSERT … SELECT: the query whose rows are inserted (read in full before the first write). */
  readonly select: SelectStmt | null;
  readonly conflict: ConflictAction;
  /** ON CONFLICT DO NOTHING differs from OR IGNORE: it does not skip NOT NULL violations. */
  readonly doNothing: boolean;
  /** ON CONFLICT clauses in order (empty when a lone targetless DO NOTHING became `conflict`). */
  readonly upserts: readonly UpsertAction[];
  readonly returning: Returning | null;
}

export interface UpdateStmt {
  readonly kind: 'update';
  readonly collection: string;
  readonly sets: readonly { readonly column: number; readonly expr: Expr }[];
  readonly where: Expr | null;
  readonly returning: Returning | null;
}

export interface DeleteStmt {
  readonly kind: 'delete';
  readonly collection: string;
  readonly where: Expr | null;
  readonly returning: Returning | null;
}

export interface CreateTableStmt {
  readonly kind: 'createTable';
  readonly name: string;
  readonly ifNotExists: boolean;
  readonly fields: readonly FieldDescriptor[];
  /** The primary-key field path; a hidden rowid field when the table declares none. */
  readonly primaryKey: string;
  readonly indexes: readonly IndexDescriptor[];
  /** The primary key auto-assigns max+1 when omitted (INTEGER PRIMARY KEY, hidden rowid). */
  readonly autoIncrementKey: boolean;
  /** Columns declared NOT NULL (for the SQL error mapping; the schema makes them non-optional). */
  readonly notNull: readonly string[];
}

export interface DropTableStmt {
  readonly kind: 'dropTable';
  readonly name: string;
  readonly ifExists: boolean;
}

export interface CreateIndexStmt {
  readonly kind: 'createIndex';
  readonly name: string;
  readonly collection: string;
  readonly path: string;
  readonly unique: boolean;
  readonly ifNotExists: boolean;
}

export interface DropIndexStmt {
  readonly kind: 'dropIndex';
  readonly name: string;
  readonly ifExists: boolean;
}

export interface AddColumnStmt {
  readonly kind: 'addColumn';
  readonly collection: string;
  readonly field: FieldDescriptor;
}

export interface TxnStmt {
  readonly kind: 'begin' | 'commit' | 'rollback';
}

/** Named savepoints; the connection keeps the stack (SQLite's rules, see cursor/connection.ts). */
export interface SavepointStmt {
  readonly kind: 'savepoint' | 'release' | 'rollbackTo';
  readonly name: string;
}

export type Statement =
  | SelectStmt
  | ExplainStmt
  | InsertStmt
  | UpdateStmt
  | DeleteStmt
  | CreateTableStmt
  | DropTableStmt
  | CreateIndexStmt
  | DropIndexStmt
  | AddColumnStmt
  | TxnStmt
  | SavepointStmt;

export interface LoweredStatement {
  readonly sql: string;
  readonly stmt: Statement;
  readonly params: ParamInfo;
}
