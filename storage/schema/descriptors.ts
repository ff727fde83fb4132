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
}

export type Collation = 'binary' | 'nocase' | 'rtrim';

export interface IndexDescriptor {
  name: string;
  path: string | readonly string[];
  kind: 'unique' | 'index';
}

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
