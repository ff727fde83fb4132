/** Schema type → the planner's static value type (shared by the SQL front end and the typed builder). */
import type { NormalizedType } from '../storage/schema/normalize';
import type { ValueType } from './expr';

export function valueTypeOf(t: NormalizedType): ValueType {
  switch (t.kind) {
    case 'optional':
      return valueTypeOf(t.of);
    case 'bool':
      return 'boolean';
    case 'int64':
    case 'uint64':
      return 'integer';
    case 'float64':
      return 'real';
    case 'string':
    case 'uuid':
    case 'enum':
      return 'text';
    case 'bytes':
      return 'blob';
    case 'timestamp':
      return 'timestamp';
    case 'list':
    case 'object':
      return 'composite';
  }
}
