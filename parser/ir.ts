/**
 * Statement IR: what a SQL string means after parsing, name resolution against the catalog and
 * typing, before any value is bound. The cursor layer executes these; SELECTs carry a logical
 * plan (planner/logical.ts) so SQL and the typed builder share one planner and executor.
 * Parameters stay as ParamExpr nodes so one lowered statement serves every execution (the
 * statement cache keys on the SQL text).
 */
import type { Expr, ValueType } from '../planner/expr';
import type { LogicalPlan } from '../planner/logical';
import type { DeletePlan, InsertPlan, ReturningPlan, UpdatePlan } from '../planner/write-plan';
import type {
  AddColumnStmt,
  CreateIndexStmt,
  CreateTableStmt,
  CreateViewStmt,
  DropIndexStmt,
  DropTableStmt,
  DropViewStmt,
  RenameColumnStmt,
  DropColumnStmt,
  RenameTableStmt,
  SetUserVersionStmt,
  AnalyzeStmt,
  ReindexStmt,
} from '../planner/ddl-plan';

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
  /** The table read, or null for a SELECT without FROM and a VALUES statement. */
  readonly collection: string | null;
}

export interface ExplainStmt {
  readonly kind: 'explain';
  readonly select: SelectStmt;
}

/** `EXPLAIN UPDATE …` / `EXPLAIN DELETE …`: the write's plan, shown and never run. */
export interface ExplainWriteStmt {
  readonly kind: 'explainWrite';
  readonly write: UpdateStmt | DeleteStmt;
}

export type { ConflictAction, UpsertAction } from '../planner/write-plan';
/** DDL statements are the planner's DDL plans (planner/ddl-plan.ts). */
export type {
  AddColumnStmt,
  CreateIndexStmt,
  CreateTableStmt,
  CreateViewStmt,
  DropIndexStmt,
  DropTableStmt,
  DropViewStmt,
  RenameColumnStmt,
  DropColumnStmt,
  RenameTableStmt,
  SetUserVersionStmt,
  AnalyzeStmt,
  ReindexStmt,
} from '../planner/ddl-plan';

/** RETURNING with the result columns the cursor describes (named like a select list). */
export interface Returning extends ReturningPlan {
  readonly columns: readonly OutputColumn[];
}

/** Write statements are the planner's write plans (planner/write-plan.ts), with result columns. */
export interface InsertStmt extends InsertPlan {
  readonly select: SelectStmt | null;
  readonly returning: Returning | null;
}

export interface UpdateStmt extends UpdatePlan {
  readonly returning: Returning | null;
}

export interface DeleteStmt extends DeletePlan {
  readonly returning: Returning | null;
}

/**
 * CREATE TABLE … AS SELECT: the new table's columns are the query's, named as SQLite names them;
 * their types are decided when it runs (planner/create-as.ts), from `type` or, where the query
 * gives no static type, from the rows. The table gets a hidden rowid key.
 */
export interface CreateTableAsStmt {
  readonly kind: 'createTableAs';
  readonly name: string;
  readonly ifNotExists: boolean;
  /** null when IF NOT EXISTS found the table already there (nothing to do). */
  readonly select: SelectStmt | null;
  readonly columns: readonly { readonly name: string; readonly type: ValueType }[];
}

export interface TxnStmt {
  readonly kind: 'begin' | 'commit' | 'rollback';
}

/** Named savepoints; the connection keeps the stack (SQLite's rules, see cursor/connection.ts). */
export interface SavepointStmt {
  readonly kind: 'savepoint' | 'release' | 'rollbackTo';
  readonly name: string;
}

/** Settings a PRAGMA reads or sets on the connection (the catalog PRAGMAs lower to SELECTs). */
export type PragmaSetting =
  | 'user_version'
  | 'foreign_keys'
  | 'journal_mode'
  | 'synchronous'
  | 'integrity_check'
  | 'quick_check'
  | 'database_list'
  | 'wal_checkpoint'
  | 'data_version'
  | 'case_sensitive_like'
  /** A knob remembered per connection and read back as set (parser/lower-pragma.ts). */
  | 'tuning'
  /** A fixed answer (`rows`), maybe none. */
  | 'rows';

/**
 * A settings PRAGMA run by the connection: `value` null reads the setting (one row, one column
 * named after it), else sets it — `foreign_keys` 0/1 and `synchronous` 2 return no rows,
 * `journal_mode` returns the mode in force like SQLite. `integrity_check` / `quick_check` answer
 * `ok` or one row per problem; their value is the most rows to give (a number) or a table name.
 */
export interface PragmaStmt {
  readonly kind: 'pragma';
  readonly name: PragmaSetting;
  readonly value: string | number | null;
  readonly columns: readonly OutputColumn[];
  /** 'tuning' and 'rows': the PRAGMA's own name, lower-cased. */
  readonly pragma?: string;
  /** 'tuning': SQLite's initial value, and whether setting it answers the new value as a row. */
  readonly tuning?: { readonly initial: number | string; readonly echo: boolean };
  /** 'rows': the answer. */
  readonly rows?: readonly (readonly unknown[])[];
}

/**
 * `VACUUM [schema] [INTO target]`: compaction of the database (cursor/vacuum.ts). `into` is the
 * target file's expression (a literal or a parameter, evaluated when the statement runs).
 */
export interface VacuumStmt {
  readonly kind: 'vacuum';
  /** `temp`: the connection's temporary schema, which holds nothing to compact. */
  readonly schema: 'main' | 'temp';
  readonly into: Expr | null;
}

export type Statement =
  | SelectStmt
  | ExplainStmt
  | ExplainWriteStmt
  | InsertStmt
  | UpdateStmt
  | DeleteStmt
  | CreateTableStmt
  | CreateTableAsStmt
  | DropTableStmt
  | CreateViewStmt
  | DropViewStmt
  | CreateIndexStmt
  | DropIndexStmt
  | AddColumnStmt
  | RenameTableStmt
  | RenameColumnStmt
  | DropColumnStmt
  | TxnStmt
  | SavepointStmt
  | PragmaStmt
  | SetUserVersionStmt
  | AnalyzeStmt
  | ReindexStmt
  | VacuumStmt;

export interface LoweredStatement {
  readonly sql: string;
  readonly stmt: Statement;
  readonly params: ParamInfo;
}
