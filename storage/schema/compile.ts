/**
 * Compiled schemas: the per-collection object the engine, planner and Database use to turn user
 * rows into stored rows (to-stored.ts) and back (to-user.ts), to canonicalize single values, and
 * to resolve field paths to stored-row positions. Built once per collection and schema version.
 */
import { SchemaError, ValidationError } from '../../src/errors';
import type { CollectionSchema, NormalizedField, NormalizedType } from './normalize';
import { INVALID, describe, failureText, invalid, precisionFailure, validationFailure } from './failure';
import { parsePath, pathText } from './paths';
import {
  type ToStored,
  compileColumnsToStored,
  compileFieldsToStored,
  compileToStored,
  isRecord,
} from './to-stored';
import { compileFieldsToUser } from './to-user';
import { type StoredCheck, compileStoredCheck, compileStoredRowCheck } from './stored-check';
import { compileGenerated } from '../generated-columns';
import { compileChecks } from '../check-constraints';

export { parsePath } from './paths';

export interface PathAccessor {
  /** Column of the stored row. */
  column: number;
  /** Positions inside nested object values (object fields are stored as arrays). */
  sub: readonly number[];
  /** The path's type, wrapped in optional when `nullable`. */
  type: NormalizedType;
  /** Whether the value can be null (an optional field or an optional object on the way). */
  nullable: boolean;
  get(row: readonly unknown[]): unknown;
}

export interface CompiledSchema {
  readonly schema: CollectionSchema;
  readonly columnCount: number;
  /** The stored row's column holding the primary key. */
  readonly pkColumn: number;
  /** Stored form of each top-level field's default (null when it has none): pads rows written before a column was added. */
  readonly storedDefaults: readonly unknown[];
  /** Validate a user row object; return the stored row array. Throws ValidationError naming the dotted path; never mutates its input. */
  toRow(obj: unknown): unknown[];
  /**
   * toRow for a row given by column (`values[i]`: field i, undefined when absent), converted in
   * place; null when some field has a multi-segment path (use toRow). The SQL insert path.
   */
  readonly columnsToRow: ((values: unknown[]) => unknown[]) | null;
  /**
   * An UPDATE's row without the object round trip: a copy of the stored row `stored` with each
   * column `columns[i]` set to the user value `values[i]` (undefined: the field's default),
   * converted and checked as toRow would; the other columns are kept as stored, which a stored
   * row's values already satisfy (a schema version that tightens a field refuses rows that break
   * it). Generated columns are computed again and the CHECKs run. Null when anything refuses the
   * row: the caller then goes through toRow, whose error names the field. Itself null when some
   * field has a multi-segment path.
   */
  readonly patchRow: PatchRow | null;
  /**
   * Compute the generated columns of a stored row in place and check its CHECK constraints kept as
   * SQL (after a column is added or the row is otherwise rebuilt outside toRow); the row itself
   * when the schema has neither. Throws as toRow.
   */
  withGenerated(row: unknown[]): unknown[];
  /** Stored row → user object (nested objects, Date, Buffer; int64 as number when safe, else bigint with safeIntegers, else DataError INT_PRECISION). */
  toObject(row: readonly unknown[], safeIntegers: boolean): Record<string, unknown>;
  /** Validate and canonicalize one non-null value for a path's type, constraints not applied (a query may compare with any value of the type): primary-key arguments, query values. */
  canonicalValue(path: readonly string[], value: unknown): unknown;
  /** A column, or a field inside an object column; null when the path names neither. */
  resolvePath(path: readonly string[]): PathAccessor | null;
  /** Whether a decoded row has the stored form of this schema (stored-check.ts); false = corrupt. */
  isStoredRow(row: readonly unknown[]): boolean;
  /** Per column, whether a decoded value has its field's stored form (for rows decoded column by column). */
  readonly storedColumnChecks: readonly StoredCheck[];
}

export type PatchRow = (
  stored: readonly unknown[],
  columns: readonly number[],
  values: readonly unknown[],
) => unknown[] | null;

/** Memo keyed by path; separate maps so ['a.b'] and ['a', 'b'] can never share an entry. */
class PathMemo<T> {
  private readonly single = new Map<string, T>();
  private readonly multi = new Map<string, T>();

  get(path: readonly string[], make: () => T): T {
    const map = path.length === 1 ? this.single : this.multi;
    const key = path.length === 1 ? path[0] : JSON.stringify(path);
    let v = map.get(key);
    if (v === undefined) {
      v = make();
      map.set(key, v);
    }
    return v;
  }
}

function unwrap(t: NormalizedType): { type: NormalizedType; optional: boolean } {
  return t.kind === 'optional' ? { type: t.of, optional: true } : { type: t, optional: false };
}

/** The field whose path starts `path`, and what is left of `path` after it. */
function fieldAt(
  fields: readonly NormalizedField[],
  path: readonly string[],
): { index: number; rest: readonly string[]; field: NormalizedField } | null {
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i];
    if (path.length >= f.path.length && f.path.every((s, j) => s === path[j]))
      return { index: i, rest: path.slice(f.path.length), field: f };
  }
  return null;
}

function accessorFor(fields: readonly NormalizedField[], path: readonly string[]): PathAccessor | null {
  let found = fieldAt(fields, path);
  if (!found) return null;
  const column = found.index;
  const sub: number[] = [];
  let { type, optional: nullable } = unwrap(found.field.type);
  while (found.rest.length > 0) {
    if (type.kind !== 'object') return null;
    found = fieldAt(type.fields, found.rest);
    if (!found) return null;
    sub.push(found.index);
    const inner = unwrap(found.field.type);
    type = inner.type;
    nullable = nullable || inner.optional;
  }
  const get =
    sub.length === 0
      ? (row: readonly unknown[]) => row[column] ?? null
      : (row: readonly unknown[]) => {
          let v: unknown = row[column];
          for (const s of sub) {
            if (!Array.isArray(v)) return null;
            v = v[s];
          }
          return v ?? null;
        };
  return { column, sub, type: nullable ? { kind: 'optional', of: type } : type, nullable, get };
}

/**
 * What a write's input may hold for each field: a generated column is computed afterwards
 * (withGenerated), so any value of its type, or none, passes here and is then replaced.
 */
function inputField(f: NormalizedField): NormalizedField {
  if (f.generated === undefined) return f;
  const type: NormalizedType = f.type.kind === 'optional' ? f.type : { kind: 'optional', of: f.type };
  return { ...f, type, constraints: [] };
}

export function compileSchema(schema: CollectionSchema): CompiledSchema {
  const fields = schema.fields;
  const hasGenerated = fields.some((f) => f.generated !== undefined);
  const inputs = hasGenerated ? fields.map(inputField) : fields;
  const rowIn = compileFieldsToStored(inputs);
  const rowOut = compileFieldsToUser(fields);
  const columnsIn = fields.every((f) => f.path.length === 1) ? compileColumnsToStored(inputs) : null;
  const columnConvs = columnsIn !== null ? inputs.map((f) => compileToStored(f.type, f.constraints)) : null;
  // Filled in once the compiled schema exists (the generated expressions and CHECKs resolve
  // columns through it): computes a written row's generated columns, then checks its CHECKs.
  let generate: ((row: unknown[]) => void) | null = null;
  const pkColumn = fields.findIndex((f) => pathText(f.path) === pathText(schema.primaryKey));
  if (pkColumn < 0) throw new SchemaError(`${schema.name}: primary key is not a field`);
  // normalizeCollection validated the defaults; a schema read from a file is checked again here.
  const storedDefaults = fields.map((f) => {
    if (f.default === undefined) return null;
    const stored = compileToStored(f.type, f.constraints)(f.default);
    if (stored === INVALID)
      throw new SchemaError(`${schema.name}.${pathText(f.path)}: invalid default: ${failureText()}`);
    return stored;
  });
  const accessors = new PathMemo<PathAccessor | null>();
  const converters = new PathMemo<{ path: string[]; conv: ToStored } | null>();

  const resolvePath = (path: readonly string[]): PathAccessor | null =>
    accessors.get(path, () => accessorFor(fields, path));

  const compiled: CompiledSchema = {
    schema,
    columnCount: fields.length,
    pkColumn,
    storedDefaults,
    toRow(obj) {
      const row = isRecord(obj) ? rowIn(obj) : invalid(`expected an object, got ${describe(obj)}`);
      if (row === INVALID) throw validationFailure();
      if (generate !== null) generate(row);
      return row;
    },
    columnsToRow: columnsIn
      ? (values) => {
          const row = columnsIn(values);
          if (row === INVALID) throw validationFailure();
          if (generate !== null) generate(row);
          return row;
        }
      : null,
    patchRow:
      columnConvs === null
        ? null
        : (stored, columns, values) => {
            const row = stored.slice();
            for (let i = 0; i < columns.length; i++) {
              const c = columns[i];
              const v = values[i];
              const s = columnConvs[c](v === undefined ? inputs[c].default : v);
              if (s === INVALID) return null;
              row[c] = s;
            }
            if (generate !== null)
              try {
                generate(row);
              } catch {
                // toRow computes the same again and reports it with the field's path.
                return null;
              }
            return row;
          },
    withGenerated(row) {
      if (generate !== null) generate(row);
      return row;
    },
    toObject(row, safeIntegers) {
      const obj = rowOut(row, safeIntegers);
      if (obj === INVALID) throw precisionFailure();
      return obj;
    },
    canonicalValue(path, value) {
      const entry = converters.get(path, () => {
        const segs = parsePath(path);
        const acc = resolvePath(segs);
        return acc && { path: segs, conv: compileToStored(unwrap(acc.type).type, []) };
      });
      if (entry === null) {
        const text = pathText(path);
        throw new ValidationError(`${text}: unknown field`, text);
      }
      const v = entry.conv(value);
      if (v === INVALID) throw validationFailure(entry.path);
      return v;
    },
    resolvePath,
    isStoredRow: compileStoredRowCheck(fields),
    storedColumnChecks: fields.map((f) => compileStoredCheck(f.type)),
  };
  const computed = hasGenerated ? generator(compiled) : null;
  const check =
    schema.checks !== undefined && schema.checks.length > 0 ? compileChecks(schema, compiled) : null;
  // Generated columns first: a CHECK may read them, as SQLite's do.
  if (computed !== null && check !== null)
    generate = (row) => {
      computed(row);
      check(row);
    };
  else generate = computed ?? check;
  return compiled;
}

/**
 * Fills a stored row's generated columns in dependency order, each checked as a written value
 * would be (type, NOT NULL, constraints: ValidationError naming the column). The typed value is
 * left in the row before it is checked, so a failure's report reads the value that failed.
 */
function generator(compiled: CompiledSchema): (row: unknown[]) => void {
  const { order, values } = compileGenerated(compiled.schema, compiled);
  const fields = compiled.schema.fields;
  const convs = order.map((c) => compileToStored(fields[c].type, fields[c].constraints));
  const paths = order.map((c) => fields[c].path);
  return (row) => {
    for (let i = 0; i < order.length; i++) {
      const typed = values[i](row);
      row[order[i]] = typed;
      const stored = convs[i](typed);
      if (stored === INVALID) throw validationFailure(paths[i]);
      row[order[i]] = stored;
    }
  };
}
