/**
 * DDL plans: what a CREATE / DROP / ALTER statement (and `PRAGMA user_version = n`) does, as plain
 * data the parser lowers SQL into and planner/ddl.ts applies to the engine's catalog.
 */
import type { FieldDescriptor, IndexDescriptor } from '../storage/schema/descriptors';
import type { ForeignKeyDescriptor } from '../storage/schema/foreign-keys';
import type { CheckConstraint } from '../storage/schema/normalize';

export interface CreateTableStmt {
  readonly kind: 'createTable';
  readonly name: string;
  readonly ifNotExists: boolean;
  readonly fields: readonly FieldDescriptor[];
  /** The primary-key field path; a hidden rowid field when the table declares none. */
  readonly primaryKey: string;
  readonly indexes: readonly IndexDescriptor[];
  /** A composite PRIMARY KEY: the unique index over its columns (primaryKey is the hidden rowid). */
  readonly keyIndex?: string;
  /** REFERENCES / FOREIGN KEY clauses in declaration order (absent: none). */
  readonly foreignKeys?: readonly ForeignKeyDescriptor[];
  /** The primary key auto-assigns max+1 when omitted (INTEGER PRIMARY KEY, hidden rowid). */
  readonly autoIncrementKey: boolean;
  /** AUTOINCREMENT: keys are never reused (CollectionSchema.autoIncrement). */
  readonly autoIncrement: boolean;
  /** Columns declared NOT NULL (for the SQL error mapping; the schema makes them non-optional). */
  readonly notNull: readonly string[];
  /** `STRICT` (CollectionSchema.strict). */
  readonly strict: boolean;
  /** `WITHOUT ROWID` (CollectionSchema.withoutRowid). */
  readonly withoutRowid: boolean;
  /** CHECKs kept as SQL (CollectionSchema.checks); absent: none. */
  readonly checks?: readonly CheckConstraint[];
}

/** CREATE VIEW: `sql` is the statement text stored in the catalog (and shown by sqlite_master). */
export interface CreateViewStmt {
  readonly kind: 'createView';
  readonly name: string;
  /** TEMP: the view lives in the connection only. */
  readonly temp: boolean;
  readonly ifNotExists: boolean;
  readonly sql: string;
}

export interface DropViewStmt {
  readonly kind: 'dropView';
  readonly name: string;
  readonly ifExists: boolean;
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
  /** The first column's dotted path (the only one of a single-column index). */
  readonly path: string;
  /** Every column's dotted path, in key order (two or more make a composite index). */
  readonly paths: readonly string[];
  /** Per entry of `paths`, declared DESC. */
  readonly desc: readonly boolean[];
  readonly unique: boolean;
  readonly ifNotExists: boolean;
  /** A partial or expression index: the statement, verbatim (NormalizedIndex.sql). */
  readonly sql?: string;
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
  /** The column's REFERENCES clause, added to the table's foreign keys. */
  readonly foreignKey?: ForeignKeyDescriptor;
  /** The column's CHECKs kept as SQL, added to the table's (existing rows must pass them). */
  readonly checks?: readonly CheckConstraint[];
}

/** ALTER TABLE … RENAME TO: `from` is the table's catalog name. */
export interface RenameTableStmt {
  readonly kind: 'renameTable';
  readonly from: string;
  readonly to: string;
  /** Partial and expression indexes' CREATE INDEX statements, rewritten to name the new table. */
  readonly indexSql?: readonly { readonly name: string; readonly sql: string }[];
}

/** ALTER TABLE … RENAME COLUMN: `column` is the top-level field index. */
export interface RenameColumnStmt {
  readonly kind: 'renameColumn';
  readonly collection: string;
  readonly column: number;
  readonly to: string;
  /** Generated columns whose expression reads the column, with the expression's new text. */
  readonly generated?: readonly { readonly column: number; readonly sql: string }[];
  /** The table's CHECKs kept as SQL, rewritten to read the new name (when one reads the column). */
  readonly checks?: readonly CheckConstraint[];
  /** Partial and expression indexes that read the column, with their CREATE INDEX rewritten. */
  readonly indexSql?: readonly { readonly name: string; readonly sql: string }[];
}

/** ALTER TABLE … DROP COLUMN: `column` is the top-level field index (SQLite's rules checked when lowered). */
export interface DropColumnStmt {
  readonly kind: 'dropColumn';
  readonly collection: string;
  readonly column: number;
}

/** `PRAGMA user_version = n`: a write, stored in the file inside the transaction. */
export interface SetUserVersionStmt {
  readonly kind: 'setUserVersion';
  readonly value: number;
}

/**
 * `ANALYZE [schema | [schema.]name]`: gather the planner statistics (storage/sql-stats.ts) of
 * every table, or of the table `name` names (or the table of the index it names).
 */
export interface AnalyzeStmt {
  readonly kind: 'analyze';
  readonly schema: string | null;
  readonly name: string | null;
}

/**
 * `REINDEX [name]`, its target already resolved. Every index is kept in step with its table by
 * each write, so there is nothing to rebuild: it runs as SQLite's does, in a write transaction.
 */
export interface ReindexStmt {
  readonly kind: 'reindex';
}

export type DdlPlan =
  | AnalyzeStmt
  | ReindexStmt
  | CreateTableStmt
  | DropTableStmt
  | CreateViewStmt
  | DropViewStmt
  | CreateIndexStmt
  | DropIndexStmt
  | AddColumnStmt
  | RenameTableStmt
  | RenameColumnStmt
  | DropColumnStmt
  | SetUserVersionStmt;
