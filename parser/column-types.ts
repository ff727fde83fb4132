/**
 * Declared SQL column types → ModelVault primitive types. SQLite accepts any type name and
 * derives an affinity from it; ModelVault columns are strictly typed, so an unknown or missing
 * type name is refused rather than guessed.
 */
import type { PrimitiveTypeName } from '../storage/schema/descriptors';

const TYPE_MAP: Readonly<Record<string, PrimitiveTypeName>> = {
  INTEGER: 'int64',
  INT: 'int64',
  BIGINT: 'int64',
  SMALLINT: 'int64',
  TINYINT: 'int64',
  MEDIUMINT: 'int64',
  INT2: 'int64',
  INT8: 'int64',
  INT64: 'int64',
  INT4: 'int64',
  'UNSIGNED BIG INT': 'uint64',
  REAL: 'float64',
  DOUBLE: 'float64',
  'DOUBLE PRECISION': 'float64',
  FLOAT: 'float64',
  FLOAT4: 'float64',
  FLOAT8: 'float64',
  NUMERIC: 'float64',
  DECIMAL: 'float64',
  TEXT: 'string',
  VARCHAR: 'string',
  'VARYING CHARACTER': 'string',
  NVARCHAR: 'string',
  'NATIVE CHARACTER': 'string',
  CHAR: 'string',
  CHARACTER: 'string',
  NCHAR: 'string',
  CLOB: 'string',
  STRING: 'string',
  // Standard SQL, Oracle and MySQL spellings of text and blob types, all of which SQLite reads
  // with the same affinity (their names contain CHAR, TEXT or BLOB).
  'CHARACTER VARYING': 'string',
  'NATIONAL CHARACTER': 'string',
  'NATIONAL CHARACTER VARYING': 'string',
  'NATIONAL VARCHAR': 'string',
  'NCHAR VARYING': 'string',
  VARCHAR2: 'string',
  NVARCHAR2: 'string',
  TINYTEXT: 'string',
  MEDIUMTEXT: 'string',
  LONGTEXT: 'string',
  BLOB: 'bytes',
  TINYBLOB: 'bytes',
  MEDIUMBLOB: 'bytes',
  LONGBLOB: 'bytes',
  BOOLEAN: 'bool',
  BOOL: 'bool',
  UUID: 'uuid',
  TIMESTAMP: 'timestamp',
  DATETIME: 'timestamp',
  DATE: 'timestamp',
};

/** Type names whose `(n)` argument is a maximum length in characters. */
const SIZED_TEXT = new Set([
  'VARCHAR',
  'VARYING CHARACTER',
  'NVARCHAR',
  'NATIVE CHARACTER',
  'CHAR',
  'CHARACTER',
  'NCHAR',
  'CHARACTER VARYING',
  'NATIONAL CHARACTER',
  'NATIONAL CHARACTER VARYING',
  'NATIONAL VARCHAR',
  'NCHAR VARYING',
  'VARCHAR2',
  'NVARCHAR2',
]);

/** The primitive for an upper-cased, space-normalized type name, or undefined when unknown. */
export function primitiveFor(typeName: string): PrimitiveTypeName | undefined {
  return Object.prototype.hasOwnProperty.call(TYPE_MAP, typeName) ? TYPE_MAP[typeName] : undefined;
}

/** The maxLength a sized text type declares (`VARCHAR(20)` → 20), or null. */
export function declaredMaxLength(typeName: string, args: readonly number[]): number | null {
  if (!SIZED_TEXT.has(typeName) || args.length !== 1) return null;
  const n = args[0];
  return Number.isSafeInteger(n) && n >= 0 ? n : null;
}
