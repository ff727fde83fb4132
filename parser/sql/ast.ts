/**
 * Syntax tree of the SQL subset, before name resolution. Nodes carry source offsets so errors can
 * point at them and result columns can be named by their source text.
 */
import type { ForeignKeyAction } from '../../storage/schema/foreign-keys';

interface Span {
  readonly start: number;
  readonly end: number;
}

interface ExprMeta extends Span {
  /** Height of the subtree: bounded by the parser so the recursive lowering cannot overflow the stack. */
  readonly depth: number;
}

export type SqlExpr = ExprMeta &
  (
    | { readonly t: 'num'; readonly text: string }
    | { readonly t: 'str'; readonly value: string }
    | { readonly t: 'blob'; readonly hex: string }
    | { readonly t: 'null' }
    | { readonly t: 'bool'; readonly value: boolean }
    /** `spec` is the text (`?`, `?3`, `:a`); `ordinal` numbers the bare `?`s in order of appearance. */
    | { readonly t: 'param'; readonly spec: string; readonly ordinal: number }
    /** A column reference: `a`, `t.a`, `profile.timezone`, `"profile.timezone"`. */
    | { readonly t: 'col'; readonly parts: readonly string[]; readonly quoted: boolean }
    | { readonly t: 'unary'; readonly op: '-' | '+' | '~' | 'NOT'; readonly arg: SqlExpr }
    | { readonly t: 'bin'; readonly op: string; readonly l: SqlExpr; readonly r: SqlExpr }
    | { readonly t: 'in'; readonly arg: SqlExpr; readonly list: readonly SqlExpr[]; readonly not: boolean }
    | {
        readonly t: 'between';
        readonly arg: SqlExpr;
        readonly lo: SqlExpr;
        readonly hi: SqlExpr;
        readonly not: boolean;
      }
    | {
        readonly t: 'like';
        readonly arg: SqlExpr;
        readonly pat: SqlExpr;
        readonly esc: SqlExpr | null;
        readonly not: boolean;
        /** GLOB (case-sensitive, `*` `?` `[...]`) rather than LIKE. */
        readonly glob: boolean;
      }
    | { readonly t: 'isnull'; readonly arg: SqlExpr; readonly not: boolean }
    /** `l IS r`, `l IS NOT r`, `l IS [NOT] DISTINCT FROM r` (DISTINCT FROM is IS NOT). */
    | { readonly t: 'is'; readonly l: SqlExpr; readonly r: SqlExpr; readonly not: boolean }
    | { readonly t: 'glob'; readonly arg: SqlExpr; readonly pat: SqlExpr; readonly not: boolean }
    /** `typeName` as written, words upper-cased and joined by one space (`VARCHAR(10)` keeps its arguments). */
    | { readonly t: 'cast'; readonly arg: SqlExpr; readonly typeName: string }
    | {
        readonly t: 'case';
        /** The operand of a simple CASE; null for a searched CASE. */
        readonly base: SqlExpr | null;
        readonly whens: readonly { readonly when: SqlExpr; readonly then: SqlExpr }[];
        readonly otherwise: SqlExpr | null;
      }
    | { readonly t: 'collate'; readonly arg: SqlExpr; readonly collation: string }
    /** A row value `(a, b, …)` of two or more scalars: valid only where SQLite takes one (rowvalue.html). */
    | { readonly t: 'row'; readonly items: readonly SqlExpr[] }
    /**
     * `(SELECT …)` (scalar), `[NOT] EXISTS (SELECT …)`, `arg [NOT] IN (SELECT …)`: `arg` is set for
     * IN only; `not` negates EXISTS and IN.
     */
    | {
        readonly t: 'subquery';
        readonly mode: 'scalar' | 'exists' | 'in';
        readonly query: QueryAst;
        readonly arg: SqlExpr | null;
        readonly not: boolean;
        /**
         * `UPDATE … SET (a, b) = (SELECT x, y …)`: this node is column `index` of a scalar
         * subquery that must return `of` columns (one node per assigned column).
         */
        readonly column?: { readonly index: number; readonly of: number };
      }
    /** Any function call; which ones the subset accepts is decided when lowering. */
    | {
        readonly t: 'call';
        /** As written (for messages and naming). */
        readonly name: string;
        readonly args: readonly SqlExpr[];
        readonly star: boolean;
        readonly distinct: boolean;
        /** FILTER (WHERE …) after an aggregate call. */
        readonly filter: SqlExpr | null;
        /** `ORDER BY` after the arguments (an aggregate's input order, SQLite 3.44); absent when none. */
        readonly orderBy?: readonly OrderItem[];
        /** `OVER name` (a string) or `OVER (…)`: a window function call; absent otherwise. */
        readonly over?: string | WindowSpecAst;
      }
  );

/** One end of a window frame: `n PRECEDING` / `n FOLLOWING` carry their offset expression. */
export interface FrameBoundAst {
  readonly kind: 'unboundedPreceding' | 'preceding' | 'currentRow' | 'following' | 'unboundedFollowing';
  readonly offset: SqlExpr | null;
}

export interface FrameAst {
  readonly unit: 'rows' | 'range' | 'groups';
  readonly start: FrameBoundAst;
  readonly end: FrameBoundAst;
  readonly exclude: 'noOthers' | 'currentRow' | 'group' | 'ties';
}

/** `([base] [PARTITION BY …] [ORDER BY …] [frame])`: `base` names a window of the WINDOW clause. */
export interface WindowSpecAst extends Span {
  readonly base: string | null;
  readonly partitionBy: readonly SqlExpr[];
  readonly orderBy: readonly OrderItem[];
  readonly frame: FrameAst | null;
}

/** `WINDOW name AS (…)` of a SELECT. */
export interface NamedWindowAst {
  readonly name: string;
  readonly spec: WindowSpecAst;
}

export interface SelectItem extends Span {
  /** null for `*` (or `t.*`). */
  readonly expr: SqlExpr | null;
  /** The `t` of `t.*`. */
  readonly qualifier: string | null;
  readonly alias: string | null;
}

export interface OrderItem {
  readonly expr: SqlExpr;
  readonly desc: boolean;
  /** `NULLS FIRST` / `NULLS LAST` as written (absent: SQLite's default, NULLs sort smallest). */
  readonly nulls?: 'first' | 'last';
}

/** One `name [(cols)] AS [[NOT] MATERIALIZED] (query)` of a WITH clause. */
export interface CteAst extends Span {
  readonly name: string;
  /** The column list `name(a, b)`; null when none (the query names the columns). */
  readonly columns: readonly string[] | null;
  readonly query: QueryAst;
  /** `AS NOT MATERIALIZED` (absent: no hint, or MATERIALIZED). */
  readonly notMaterialized?: boolean;
}

/** `WITH [RECURSIVE] cte, cte …` before a query or a write statement. */
export interface WithAst {
  /** Accepted and ignored as in SQLite: a CTE whose body reads itself is recursive either way. */
  readonly recursive: boolean;
  readonly ctes: readonly CteAst[];
}

export interface SelectAst {
  readonly t: 'select';
  /** The WITH clause that starts this query (absent: none). */
  readonly with?: WithAst;
  readonly distinct: boolean;
  readonly items: readonly SelectItem[];
  /** null for a SELECT without FROM (one row of no columns). */
  readonly table: string | null;
  /** Arguments of a table-valued function (`FROM pragma_table_info('t')`); absent for a table. */
  readonly tableArgs?: readonly SqlExpr[];
  readonly tableAlias: string | null;
  /** `INDEXED BY name` / `NOT INDEXED` after the table (absent: none). */
  readonly tableHint?: IndexHintAst;
  /**
   * Set when FROM is more than one table (joins, comma joins) or a derived table: then `table`
   * is null and the sources are here, in written order.
   */
  readonly from?: FromAst;
  readonly where: SqlExpr | null;
  readonly groupBy: readonly SqlExpr[];
  readonly having: SqlExpr | null;
  /** The WINDOW clause (absent when there is none). */
  readonly windows?: readonly NamedWindowAst[];
  readonly orderBy: readonly OrderItem[];
  readonly limit: SqlExpr | null;
  readonly offset: SqlExpr | null;
}

/**
 * SQLite's index hint after a table name: `NOT INDEXED` (no index, the rowid still may be used) or
 * `INDEXED BY name` (that index must be used).
 */
export type IndexHintAst = { readonly t: 'notIndexed' } | { readonly t: 'indexedBy'; readonly index: string };

/** One source of a FROM clause: a table (or table-valued function), or `(SELECT …)`. */
export type FromSourceAst = Span &
  (
    | {
        readonly t: 'table';
        readonly name: string;
        readonly args?: readonly SqlExpr[];
        readonly alias: string | null;
        readonly hint?: IndexHintAst;
      }
    | { readonly t: 'derived'; readonly query: QueryAst; readonly alias: string | null }
    /**
     * A parenthesized join `(a JOIN b ON …)` that SQLite reads as a nested FROM: a source of its
     * own (columns named uniquely, its tables still qualifiable by name). A lone source in
     * parentheses and a leading group without alias are unwrapped by the parser instead.
     */
    | { readonly t: 'group'; readonly from: FromAst; readonly alias: string | null }
  );

export type JoinKind = 'inner' | 'left' | 'right' | 'full' | 'cross';

/** `… kind JOIN source [ON …|USING (…)]` (a comma is an inner join without a constraint). */
export interface JoinAst {
  readonly kind: JoinKind;
  readonly natural: boolean;
  readonly source: FromSourceAst;
  readonly on: SqlExpr | null;
  readonly using: readonly string[] | null;
}

export interface FromAst {
  readonly first: FromSourceAst;
  readonly joins: readonly JoinAst[];
}

/** The set operator joining two arms of a compound SELECT. */
export type CompoundOp = 'UNION' | 'UNION ALL' | 'INTERSECT' | 'EXCEPT';

/** `VALUES (…), (…)` as an arm of a compound SELECT. */
export interface ValuesArmAst {
  readonly t: 'values';
  readonly rows: readonly (readonly SqlExpr[])[];
}

/**
 * `arm op arm op arm … [ORDER BY …] [LIMIT …]`: the operators apply left to right (SQLite gives
 * them equal precedence); ORDER BY / LIMIT / OFFSET belong to the whole compound, so the arms
 * themselves have none.
 */
export interface CompoundAst {
  readonly t: 'compound';
  /** The WITH clause that starts this query (absent: none). */
  readonly with?: WithAst;
  readonly arms: readonly (SelectAst | ValuesArmAst)[];
  /** `ops[i]` joins the result so far with `arms[i + 1]`. */
  readonly ops: readonly CompoundOp[];
  readonly orderBy: readonly OrderItem[];
  readonly limit: SqlExpr | null;
  readonly offset: SqlExpr | null;
}

/** What may stand where a query goes: a SELECT or a compound SELECT. */
export type QueryAst = SelectAst | CompoundAst;

export interface ColumnDefAst extends Span {
  readonly name: string;
  readonly typeName: string;
  readonly typeArgs: readonly number[];
  /** The type exactly as written (`varchar ( 20 )`), for introspection; '' when none. */
  readonly typeText: string;
  readonly notNull: boolean;
  readonly primaryKey: boolean;
  /** `PRIMARY KEY AUTOINCREMENT` (checked for an INTEGER PRIMARY KEY when lowering). */
  readonly autoIncrement: boolean;
  readonly unique: boolean;
  /** `ON CONFLICT …` of the column's NOT NULL, PRIMARY KEY and UNIQUE constraints (absent or null: none). */
  readonly notNullConflict?: ConflictPolicyAst | null;
  readonly primaryKeyConflict?: ConflictPolicyAst | null;
  readonly uniqueConflict?: ConflictPolicyAst | null;
  readonly defaultValue: SqlExpr | null;
  readonly checks: readonly SqlExpr[];
  /** Per check, its `CONSTRAINT name` (null: unnamed); absent: all unnamed. */
  readonly checkNames?: readonly (string | null)[];
  /** COLLATE name as written, or null. */
  readonly collate: string | null;
  /** `REFERENCES t [(col)] …` on the column (absent or null: none). */
  readonly references?: ForeignKeyClauseAst | null;
  /** `[GENERATED ALWAYS] AS (expr) [STORED | VIRTUAL]` (absent or null: an ordinary column). */
  readonly generated?: GeneratedAst | null;
}

/** A generated column's expression, its SQL text (inside the parentheses), and its kind. */
export interface GeneratedAst {
  readonly expr: SqlExpr;
  readonly text: string;
  readonly stored: boolean;
}

/** `REFERENCES t [(cols)] [ON DELETE|UPDATE action] [MATCH name] [[NOT] DEFERRABLE [INITIALLY …]]`. */
export interface ForeignKeyClauseAst {
  readonly table: string;
  /** null: the parent's primary key. */
  readonly columns: readonly string[] | null;
  readonly onDelete: ForeignKeyAction;
  readonly onUpdate: ForeignKeyAction;
  /** DEFERRABLE INITIALLY DEFERRED. */
  readonly deferred: boolean;
}

/** Table constraint `FOREIGN KEY (cols) REFERENCES …`. */
export interface ForeignKeyAst {
  readonly columns: readonly string[];
  readonly ref: ForeignKeyClauseAst;
}

export interface SetClause {
  readonly column: string;
  readonly expr: SqlExpr;
}

/** SQLite's conflict resolution algorithms, as `INSERT OR …` / `UPDATE OR …` name them. */
export const CONFLICT_POLICIES = ['rollback', 'abort', 'fail', 'ignore', 'replace'] as const;
export type ConflictPolicyAst = (typeof CONFLICT_POLICIES)[number];

export type InsertSource =
  | { readonly t: 'values'; readonly rows: readonly (readonly SqlExpr[])[] }
  | { readonly t: 'select'; readonly select: QueryAst }
  | { readonly t: 'defaults' };

/** `ON CONFLICT [(cols) [WHERE …]] DO NOTHING | DO UPDATE SET … [WHERE …]`. */
export interface UpsertClause {
  /** null when the clause names no target (allowed on the last clause only). */
  readonly target: readonly string[] | null;
  readonly targetWhere: SqlExpr | null;
  /** null for DO NOTHING. */
  readonly sets: readonly SetClause[] | null;
  readonly where: SqlExpr | null;
}

export type StatementAst =
  | SelectAst
  | CompoundAst
  | { readonly t: 'explain'; readonly select: QueryAst }
  /** `EXPLAIN UPDATE …` / `EXPLAIN DELETE …`: `write` is the update or delete statement. */
  | { readonly t: 'explainWrite'; readonly write: StatementAst }
  /** `VALUES (...), (...)` as a statement: rows of equal length, columns named column1, column2, .... */
  | { readonly t: 'values'; readonly rows: readonly (readonly SqlExpr[])[] }
  | {
      readonly t: 'insert';
      /** `WITH … INSERT …`: CTEs visible to the whole statement (absent: none). */
      readonly with?: WithAst;
      readonly or: ConflictPolicyAst | null;
      readonly table: string;
      readonly columns: readonly string[] | null;
      /** VALUES rows, `SELECT …` or `DEFAULT VALUES` (one row of defaults). */
      readonly source: InsertSource;
      /** ON CONFLICT clauses in the order SQLite tries them. */
      readonly upserts: readonly UpsertClause[];
      readonly returning: readonly SelectItem[] | null;
    }
  | {
      readonly t: 'update';
      /** `WITH … UPDATE …`: CTEs visible to the whole statement (absent: none). */
      readonly with?: WithAst;
      /** `UPDATE OR …` (null: none, which is ABORT). */
      readonly or: ConflictPolicyAst | null;
      readonly table: string;
      /** `UPDATE t AS x`: the target's alias (null: none). */
      readonly alias: string | null;
      readonly hint?: IndexHintAst;
      /** `UPDATE … FROM …` (SQLite ≥ 3.33): sources joined with the target (absent: none). */
      readonly from?: FromAst;
      readonly sets: readonly SetClause[];
      readonly where: SqlExpr | null;
      readonly returning: readonly SelectItem[] | null;
    }
  | {
      readonly t: 'delete';
      /** `WITH … DELETE …`: CTEs visible to the whole statement (absent: none). */
      readonly with?: WithAst;
      readonly table: string;
      /** `DELETE FROM t AS x`: the target's alias (null: none). */
      readonly alias: string | null;
      readonly hint?: IndexHintAst;
      readonly where: SqlExpr | null;
      readonly returning: readonly SelectItem[] | null;
    }
  | {
      readonly t: 'createTable';
      readonly name: string;
      readonly ifNotExists: boolean;
      /** CREATE TEMP TABLE / CREATE TABLE temp.t: a table of the connection's temporary schema. */
      readonly temp: boolean;
      /** `STRICT` after the column list: only INT, INTEGER, REAL, TEXT, BLOB (and ANY) column types. */
      readonly strict: boolean;
      /** `WITHOUT ROWID`: the primary key is the row's identity; there is no rowid. */
      readonly withoutRowid: boolean;
      readonly columns: readonly ColumnDefAst[];
      /** Table-level PRIMARY KEY (...) clauses (more than one is an error the lowering reports). */
      readonly primaryKeys: readonly (readonly string[])[];
      /** `PRIMARY KEY (col AUTOINCREMENT)` at table level. */
      readonly pkAutoIncrement: boolean;
      readonly uniques: readonly (readonly string[])[];
      /** `ON CONFLICT …` of the table-level PRIMARY KEY and of each table-level UNIQUE (null: none). */
      readonly primaryKeyConflict?: ConflictPolicyAst | null;
      readonly uniqueConflicts?: readonly (ConflictPolicyAst | null)[];
      /** How many table-level UNIQUE clauses precede the first table-level PRIMARY KEY (SQLite builds key indexes in text order). */
      readonly uniquesBeforeKey?: number;
      readonly checks: readonly SqlExpr[];
      /** Per table CHECK, its `CONSTRAINT name` (null: unnamed); absent: all unnamed. */
      readonly checkNames?: readonly (string | null)[];
      /** Table-level FOREIGN KEY constraints (absent: none). */
      readonly foreignKeys?: readonly ForeignKeyAst[];
    }
  | {
      readonly t: 'createTableAs';
      readonly name: string;
      readonly ifNotExists: boolean;
      readonly temp: boolean;
      readonly select: QueryAst;
    }
  | { readonly t: 'dropTable'; readonly name: string; readonly ifExists: boolean }
  | {
      readonly t: 'createView';
      readonly name: string;
      readonly temp: boolean;
      readonly ifNotExists: boolean;
      /** `v(a, b)`: names for the query's columns (null: the query's own names). */
      readonly columns: readonly string[] | null;
      readonly select: QueryAst;
      /** `CREATE VIEW ` and the statement's text from the name on, as SQLite keeps it (sqlite_master.sql). */
      readonly text: string;
    }
  | { readonly t: 'dropView'; readonly name: string; readonly ifExists: boolean }
  | {
      readonly t: 'createIndex';
      readonly name: string;
      readonly table: string;
      readonly columns: readonly string[];
      /** Per column, declared DESC (absent: all ascending). */
      readonly desc?: readonly boolean[];
      readonly unique: boolean;
      readonly ifNotExists: boolean;
      /**
       * An index on expressions: per key column, its expression (null for a plain column, whose
       * `columns` entry names it; '' there for an expression). Absent: every column is plain.
       */
      readonly exprs?: readonly (SqlExpr | null)[];
      /** A partial index's WHERE; absent or null for a full index. */
      readonly where?: SqlExpr | null;
      /** The statement as written, kept verbatim for a partial or expression index (sqlite_master). */
      readonly text?: string;
    }
  | { readonly t: 'dropIndex'; readonly name: string; readonly ifExists: boolean }
  | { readonly t: 'addColumn'; readonly table: string; readonly column: ColumnDefAst }
  | { readonly t: 'renameTable'; readonly table: string; readonly to: string }
  | { readonly t: 'renameColumn'; readonly table: string; readonly from: string; readonly to: string }
  | { readonly t: 'dropColumn'; readonly table: string; readonly column: string }
  | { readonly t: 'begin' | 'commit' | 'rollback' }
  /** SAVEPOINT name / RELEASE [SAVEPOINT] name / ROLLBACK [TRANSACTION] TO [SAVEPOINT] name. */
  | { readonly t: 'savepoint' | 'release' | 'rollbackTo'; readonly name: string }
  /** `REINDEX`, `REINDEX name` (a collation, table or index), `REINDEX schema.name`. */
  | { readonly t: 'reindex'; readonly schema: string | null; readonly name: string | null }
  /** `VACUUM [schema] [INTO expr]`. */
  | { readonly t: 'vacuum'; readonly schema: string | null; readonly into: SqlExpr | null }
  /** `ANALYZE`, `ANALYZE name` (a schema, table or index), `ANALYZE schema.name`. */
  | { readonly t: 'analyze'; readonly schema: string | null; readonly name: string | null }
  | PragmaAst;

/** `PRAGMA [schema.]name [= value | (value)]`. */
export interface PragmaAst extends Span {
  readonly t: 'pragma';
  readonly schema: string | null;
  readonly name: string;
  /** The value as written (a name, keyword, string or signed number); null when none. */
  readonly value: string | null;
  /** `= value` or `(value)`: both set a setting (SQLite treats them alike). */
  readonly hasValue: boolean;
}
