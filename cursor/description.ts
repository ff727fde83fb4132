/**
 * PEP 249 `description` 7-tuples and type codes. A type code is a string naming the column's
 * value type; the exported type objects (STRING, BINARY, NUMBER, DATETIME, ROWID) answer
 * `X.equals(code)` the way PEP 249's `code == X` does in Python.
 */
import type { ValueType } from '../planner/expr';
import type { OutputColumn } from '../parser/ir';

export type TypeCode = 'INTEGER' | 'REAL' | 'TEXT' | 'BLOB' | 'BOOLEAN' | 'TIMESTAMP' | 'NULL' | 'ANY';

/** [name, type_code, display_size, internal_size, precision, scale, null_ok] */
export type ColumnDescription = readonly [string, TypeCode, null, null, null, null, boolean];

export function typeCodeOf(t: ValueType): TypeCode {
  switch (t) {
    case 'integer':
      return 'INTEGER';
    case 'real':
      return 'REAL';
    case 'text':
      return 'TEXT';
    case 'blob':
      return 'BLOB';
    case 'boolean':
      return 'BOOLEAN';
    case 'timestamp':
      return 'TIMESTAMP';
    case 'null':
      return 'NULL';
    default:
      return 'ANY';
  }
}

export function describeColumns(columns: readonly OutputColumn[]): ColumnDescription[] {
  return columns.map((c) => [c.name, typeCodeOf(c.type), null, null, null, null, c.nullable] as const);
}

class TypeObject {
  constructor(private readonly codes: readonly TypeCode[]) {}
  equals(code: TypeCode): boolean {
    return this.codes.includes(code);
  }
}

export const STRING = new TypeObject(['TEXT']);
export const BINARY = new TypeObject(['BLOB']);
export const NUMBER = new TypeObject(['INTEGER', 'REAL', 'BOOLEAN']);
export const DATETIME = new TypeObject(['TIMESTAMP']);
export const ROWID = new TypeObject(['INTEGER']);
