/**
 * SQL values into typed stored rows for the write executor: strict, lossless conversions into a
 * column's type (ModelVault never coerces a value into a column of another type: DataError),
 * validation failures mapped to SQLite's classes (NOT NULL and CHECK → IntegrityError), and
 * SQLite's rowid assignment.
 */
import type { Engine } from '../storage/engine';
import type { CollectionState } from '../storage/collection-state';
import type { CollectionSchema, NormalizedField, NormalizedType } from '../storage/schema/normalize';
import { HIDDEN_ROWID } from '../storage/schema/normalize';
import { setPath } from '../storage/schema/paths';
import { DataError, IntegrityError, ProgrammingError, ValidationError } from '../src/errors';
import { TaggedReal } from './tagged-real';

export type Row = Record<string, unknown>;

export function collectionOrThrow(engine: Engine, name: string): CollectionState {
  const state = engine.collection(name);
  if (!state) throw new ProgrammingError(`no such table: ${name}`, 'NO_SUCH_COLLECTION');
  return state;
}

export function baseType(t: NormalizedType): NormalizedType {
  return t.kind === 'optional' ? baseType(t.of) : t;
}

/** SQL value → the typed value a field accepts; strict: only lossless conversions. */
export function sqlToField(field: NormalizedField, v: unknown, table: string): unknown {
  return sqlToKind(baseType(field.type).kind, field, v, table);
}

/** sqlToField for a field whose base type kind is `kind` (hoisted out of the per-row loop). */
export function sqlToKind(
  kind: NormalizedType['kind'],
  field: NormalizedField,
  v: unknown,
  table: string,
): unknown {
  if (v === null || v === undefined) return null;
  // A query's 'any' column hands whole-number REALs on tagged (planner/tagged-real.ts).
  if (typeof v === 'object' && v instanceof TaggedReal) return sqlToKind(kind, field, v.value, table);
  switch (kind) {
    case 'bool':
      if (typeof v === 'boolean') return v;
      if (v === 0 || v === 1) return v === 1;
      break;
    case 'timestamp':
      if (v instanceof Date) return v;
      if (typeof v === 'number' && Number.isInteger(v)) return new Date(v);
      if (typeof v === 'string' && !Number.isNaN(Date.parse(v))) return new Date(v);
      break;
    case 'float64':
      if (typeof v === 'bigint' && BigInt(Number(v)) === v) return Number(v);
      // A BOOLEAN column's value read by INSERT … SELECT or RETURNING is SQL's integer 1 or 0.
      if (typeof v === 'boolean') return v ? 1 : 0;
      return v;
    case 'int64':
      if (typeof v === 'boolean') return v ? 1 : 0;
      return v;
    default:
      return v;
  }
  const name = `${table}.${field.path.join('.')}`;
  throw new DataError(`datatype mismatch: ${String(v)} for column ${name} (${kind})`, 'TYPE_MISMATCH');
}

const SQLITE_TIME_TEXT = /^(?:(\d{4})-(\d{2})-(\d{2}))?[ T]?(?:(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?)?$/;

/**
 * A date function's text ('YYYY-MM-DD HH:MM:SS', 'YYYY-MM-DD', 'HH:MM:SS') as the instant it names
 * in UTC, as SQLite reads it (a time alone is on 2000-01-01); anything else is returned as is. A
 * DEFAULT CURRENT_TIMESTAMP in a TIMESTAMP column stores that instant, whatever the process's zone.
 */
export function sqliteTextToDate(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  const m = SQLITE_TIME_TEXT.exec(v);
  if (m === null || (m[1] === undefined && m[4] === undefined)) return v;
  const [y, mo, d] = m[1] === undefined ? [2000, 1, 1] : [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = m[7] === undefined ? 0 : Math.round(Number(m[7]) * 1000);
  const date = new Date(Date.UTC(y, mo - 1, d, Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0), ms));
  // Date.UTC maps years 0-99 to 1900-1999.
  if (y < 100) date.setUTCFullYear(y);
  return date;
}

/** Map a ValidationError to SQLite's error class for the failing column of table `state`. */
export function sqlError(
  err: unknown,
  state: { readonly name: string; readonly meta: { readonly schema: CollectionSchema } },
  obj: Row,
): unknown {
  if (!(err instanceof ValidationError)) return err;
  const path = err.path;
  const field = state.meta.schema.fields.find((f) => f.path.join('.') === path);
  const value = path
    .split('.')
    .reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Row)[k] : undefined), obj);
  if (field && (value === null || value === undefined)) {
    return new IntegrityError(`NOT NULL constraint failed: ${state.name}.${path}`, 'NOT_NULL', {
      cause: err,
    });
  }
  if (
    field &&
    (field.constraints.length > 0 || baseType(field.type).kind === 'enum') &&
    /constraint|must|enum|one of|at least|at most|length/i.test(err.message)
  ) {
    return new IntegrityError(`CHECK constraint failed: ${state.name}.${path}: ${err.message}`, 'CHECK', {
      cause: err,
    });
  }
  return err;
}

export function isAutoKey(state: CollectionState): boolean {
  const schema = state.meta.schema;
  const pkField = schema.fields[state.compiled.pkColumn];
  // A WITHOUT ROWID table's declared key is never assigned (its composite key's hidden one is).
  if (schema.withoutRowid && pkField.path[0] !== HIDDEN_ROWID) return false;
  return baseType(pkField.type).kind === 'int64';
}

/** SQLite: a new rowid is max(rowid) + 1; with AUTOINCREMENT, the largest key ever written + 1. */
export function nextKey(state: CollectionState): number | bigint {
  const max = state.pk.max();
  const seq = state.seq;
  if (!max && seq === null) return 1;
  const k = !max ? seq : seq === null || (max[0] as number | bigint) >= seq ? max[0] : seq;
  if (typeof k === 'bigint') {
    if (k >= 2n ** 63n - 1n)
      throw new IntegrityError(`table ${state.name} has no room for another rowid`, 'PRIMARY_KEY');
    return k + 1n === 9007199254740992n ? 9007199254740992n : k + 1n;
  }
  const n = (k as number) + 1;
  return Number.isSafeInteger(n) ? n : BigInt(k as number) + 1n;
}

/** The user row object of a row by column, for sqlError (only built when a row fails). */
export function rowObject(state: CollectionState, values: readonly unknown[]): Row {
  const obj: Row = {};
  state.meta.schema.fields.forEach((f, i) => {
    if (values[i] !== undefined) setPath(obj, f.path, values[i]);
  });
  return obj;
}
