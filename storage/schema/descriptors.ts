/**
 * Public field and index descriptors for registerCollection (SPEC §3): the JSON-able shape users
 * of ModelVault's `fields_json` know. A string path 'profile.timezone' means ['profile', 'timezone'].
 */
export type PrimitiveTypeName =
  'bool' | 'int64' | 'uint64' | 'float64' | 'string' | 'bytes' | 'uuid' | 'timestamp';

export type TypeDescriptor =
  | PrimitiveTypeName
  | { optional: TypeDescriptor }
  | { list: TypeDescriptor }
  | { object: FieldDescriptor[] }
  | { enum: string[] };

export type Constraint =
  | { min: number | bigint }
  | { max: number | bigint }
  | { minLength: number }
  | { maxLength: number }
  | { regex: string }
  | { email: true }
  | { url: true }
  | { nonEmpty: true };

export interface FieldDescriptor {
  path: string | readonly string[];
  type: TypeDescriptor;
  constraints?: readonly Constraint[];
  /** Used when the input omits the field (undefined). */
  default?: unknown;
  /**
   * A SQL DEFAULT expression (`CURRENT_TIMESTAMP`, `random()`) that SQL INSERTs evaluate per row
   * when they leave the column out; the typed API does not evaluate it.
   */
  defaultSql?: string;
  /**
   * How SQL compares and orders this field's text (SQLite's COLLATE on a column): 'nocase' folds
   * ASCII case, 'rtrim' ignores trailing spaces. Not allowed on the primary key or a unique index.
   */
  collate?: Collation;
  /**
   * The declared SQL type (`VARCHAR(20)`), shown by `PRAGMA table_info` and `sqlite_master`;
   * it does not change how values are checked. CREATE TABLE sets it; absent, one is derived.
   */
  sqlType?: string;
  /**
   * SQL only: the conflict algorithm of the field's NOT NULL constraint (`NOT NULL ON CONFLICT
   * IGNORE`), used by INSERT and UPDATE statements without an OR clause. Absent: ABORT.
   */
  notNullOnConflict?: ConflictAlgorithm;
  /** SQL only: the conflict algorithm of the primary key when this field is it. Absent: ABORT. */
  keyOnConflict?: ConflictAlgorithm;
  /**
   * A generated column (SQL `AS (expr) [STORED|VIRTUAL]`): `sql` is the expression's SQL text,
   * computed from the row's other columns on every write, by SQL and the typed API alike (a value
   * given for the field is replaced). `stored` records the keyword; both kinds are kept in the row.
   * Top-level fields only, never the primary key, never with a default.
   */
  generated?: GeneratedColumn;
}

export interface GeneratedColumn {
  sql: string;
  stored?: boolean;
}

/**
 * SQLite's conflict resolution algorithms a constraint can be declared with (`ON CONFLICT …` in
 * CREATE TABLE), other than the default, ABORT.
 */
export type ConflictAlgorithm = 'rollback' | 'fail' | 'ignore' | 'replace';

export type Collation = 'binary' | 'nocase' | 'rtrim';

/**
 * An index over one path (`path`) or over several (`paths`: a composite index, one entry per
 * column in key order, each a dotted string or a segment array). Give exactly one of the two.
 * A unique composite index treats a key with any NULL column as distinct (SQLite's rule).
 */
export interface IndexDescriptor {
  name: string;
  path?: string | readonly string[];
  paths?: readonly (string | readonly string[])[];
  /**
   * With `paths`: per column, whether the index orders it descending (SQL's `DESC`). It changes
   * which orderings the index answers without sorting, never an answer or a uniqueness rule.
   */
  desc?: readonly boolean[];
  kind: 'unique' | 'index';
  /**
   * A partial index or an index on expressions, as SQL `CREATE INDEX` makes it: the statement,
   * whose key expressions and WHERE the index is kept by. `path`/`paths` then name, per key
   * column, the column or a column the expression reads. Set by SQL; not for hand-written schemas.
   */
  sql?: string;
  /** SQL only, on a unique index: the conflict algorithm of its UNIQUE constraint. Absent: ABORT. */
  onConflict?: ConflictAlgorithm;
}

/**
 * A collection's primary key: one field (a name, a dotted path or an array of segments, which is
 * one nested path), or `{ paths }` for a key over several fields. A composite key is a unique
 * index over those fields (named `<collection>_pk`) plus a hidden int64 `__rowid` field that
 * identifies the row, as a SQLite rowid table with `PRIMARY KEY (a, b)` has.
 */
export type PrimaryKeyDescriptor =
  string | readonly string[] | { paths: readonly (string | readonly string[])[] };

export const PRIMITIVE_TYPES: readonly PrimitiveTypeName[] = [
  'bool',
  'int64',
  'uint64',
  'float64',
  'string',
  'bytes',
  'uuid',
  'timestamp',
];
