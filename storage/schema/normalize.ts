/**
 * Descriptor → normalized schema. The normalized form is plain data (the catalog persists it in
 * CATALOG frames and checkpoints, docs/format.md §3.1); every defect is a SchemaError naming the
 * field, found here, before anything is written.
 */
import { SchemaError } from '../../src/errors';
import type { KeyCollation } from '../collation';
import type {
  ConflictAlgorithm,
  Constraint,
  FieldDescriptor,
  IndexDescriptor,
  PrimaryKeyDescriptor,
  PrimitiveTypeName,
  TypeDescriptor,
} from './descriptors';
import { PRIMITIVE_TYPES } from './descriptors';
import { checkBounds, normalizeConstraint } from './constraints';
import { INVALID, failureText } from './failure';
import { isWellFormed, parsePath, pathText } from './paths';
import { compileToStored } from './to-stored';
import { normalizeForeignKeys } from './foreign-keys';
import type { ForeignKeyDescriptor, NormalizedForeignKey } from './foreign-keys';

export type NormalizedType =
  | { kind: PrimitiveTypeName }
  | { kind: 'optional'; of: NormalizedType }
  | { kind: 'list'; of: NormalizedType }
  | { kind: 'object'; fields: NormalizedField[] }
  | { kind: 'enum'; values: string[] };

export interface NormalizedField {
  path: string[];
  type: NormalizedType;
  constraints: Constraint[];
  default?: unknown;
  /**
   * SQL text of a DEFAULT expression that SQL INSERTs evaluate for each row (`CURRENT_TIMESTAMP`,
   * `(random())`); absent for a literal default, which is `default`.
   */
  defaultSql?: string;
  /** Set only when not BINARY (schemas written before collations existed have none). */
  collate?: KeyCollation;
  /** The declared SQL type as written (`VARCHAR(20)`), kept for introspection only. */
  sqlType?: string;
  /** The NOT NULL constraint's conflict algorithm (SQL `NOT NULL ON CONFLICT …`); absent: ABORT. */
  notNullOnConflict?: ConflictAlgorithm;
  /** The primary key's conflict algorithm, on its field (SQL `PRIMARY KEY ON CONFLICT …`); absent: ABORT. */
  keyOnConflict?: ConflictAlgorithm;
  /** A generated column: its expression's SQL text, and whether it was declared STORED. */
  generated?: { sql: string; stored: boolean };
}

export interface NormalizedIndex {
  name: string;
  /**
   * One path (segments) for a single-column index; for a composite index (two or more columns)
   * one path per column, in key order (docs/format.md §3.1). Read it through indexPaths().
   */
  path: string[] | string[][];
  kind: 'unique' | 'index';
  /**
   * Composite indexes whose columns do not all share one direction: per column, descending. Absent
   * otherwise (all descending is stored as all ascending: the tree walked backwards is the same).
   */
  desc?: boolean[];
  /**
   * Every column was declared descending (SQL `CREATE INDEX … (a DESC)`). The tree stays ascending
   * (walked backwards it is the same order), so only what shows the declaration reads this: the
   * catalog's SQL text, `PRAGMA index_xinfo`, and a walk in the index's own order (SQLite's scan
   * order). Absent otherwise; readers that predate it see an ascending index, which it is.
   */
  descending?: true;
  /**
   * A partial index or an index on expressions: its CREATE INDEX statement, verbatim. The key and
   * the WHERE are evaluated from it (storage/index-exprs.ts); `path` then holds, per key column,
   * the column it names or, for an expression, a column the expression reads (docs/format.md §3.1).
   */
  sql?: string;
  /** A unique index's conflict algorithm (SQL `UNIQUE … ON CONFLICT …`); absent: ABORT. */
  onConflict?: ConflictAlgorithm;
  /**
   * A unique index over columns declared COLLATE NOCASE or RTRIM (not a partial or expression
   * one): per key column its collation, null for BINARY. Its entries are ordered and compared
   * under them, so 'a' and 'A' clash as in SQLite (storage/compare.ts collatedKeyCompare).
   * Worked out from the fields whenever a schema is normalized (a stored value is not read);
   * absent on every other index, whose entries are ordered BINARY whatever the columns declare.
   */
  collate?: (KeyCollation | null)[];
}

/** Whether an index is partial or on expressions: its entries are not plain column values. */
export function isSqlIndex(ix: NormalizedIndex): boolean {
  return ix.sql !== undefined;
}

/** The per-column directions of an index's tree, or null when every column ascends. */
export function indexDesc(ix: NormalizedIndex): readonly boolean[] | null {
  return Array.isArray(ix.desc) && ix.desc.some((d) => d === true) ? ix.desc : null;
}

/** The declared direction of each column, descending = true (the tree's own or `descending`). */
export function declaredDesc(ix: NormalizedIndex): boolean[] {
  const tree = indexDesc(ix);
  return tree ? [...tree] : indexPaths(ix).map(() => ix.descending === true);
}

/** Whether an index has several columns (its key is a tuple). */
export function isCompositeIndex(ix: NormalizedIndex): boolean {
  return Array.isArray(ix.path[0]);
}

/** The paths of an index's columns, in key order (one for a single-column index). */
export function indexPaths(ix: NormalizedIndex): string[][] {
  return isCompositeIndex(ix) ? (ix.path as string[][]) : [ix.path as string[]];
}

/** The public descriptor of a normalized index (`path` for one column, `paths` for several). */
export function indexDescriptor(ix: NormalizedIndex): IndexDescriptor {
  const d = plainIndexDescriptor(ix);
  return ix.sql === undefined ? d : { ...d, sql: ix.sql };
}

function plainIndexDescriptor(ix: NormalizedIndex): IndexDescriptor {
  const paths = indexPaths(ix);
  const conflict = ix.onConflict === undefined ? {} : { onConflict: ix.onConflict };
  if (ix.descending)
    return {
      name: ix.name,
      paths: paths.map((p) => [...p]),
      desc: paths.map(() => true),
      kind: ix.kind,
      ...conflict,
    };
  if (paths.length === 1) return { name: ix.name, path: [...paths[0]], kind: ix.kind, ...conflict };
  const d: IndexDescriptor = { name: ix.name, paths: paths.map((p) => [...p]), kind: ix.kind, ...conflict };
  const desc = indexDesc(ix);
  return desc ? { ...d, desc: [...desc] } : d;
}

/** `table.a, table.b`: the columns of a key as SQLite's constraint messages name them. */
export function keyColumnsText(table: string, paths: readonly (readonly string[])[]): string {
  return paths.map((p) => `${table}.${pathText(p)}`).join(', ');
}

export interface CollectionSchema {
  name: string;
  fields: NormalizedField[];
  primaryKey: string[];
  indexes: NormalizedIndex[];
  /**
   * SQL `INTEGER PRIMARY KEY AUTOINCREMENT`: a new key is one more than the largest ever written
   * (storage/sequence.ts), never a deleted row's. Absent in schemas without it.
   */
  autoIncrement?: true;
  /**
   * A composite primary key: the unique index whose columns are the key (`primaryKey` is then
   * the hidden rowid). Absent for a single-field key (docs/format.md §3.1).
   */
  keyIndex?: string;
  /**
   * Foreign keys this collection's rows hold (storage/schema/foreign-keys.ts); absent when none
   * (docs/format.md §3.1).
   */
  foreignKeys?: NormalizedForeignKey[];
  /**
   * SQL `STRICT`: declared with SQLite's strict column types only (INT, INTEGER, REAL, TEXT, BLOB);
   * values are checked as in every collection. Kept for the catalog's SQL text (docs/format.md §3.1).
   */
  strict?: true;
  /**
   * SQL `WITHOUT ROWID`: the primary key is the row's identity, so the table has no `rowid` and an
   * INTEGER PRIMARY KEY does not auto-assign (docs/format.md §3.1).
   */
  withoutRowid?: true;
  /**
   * SQL CHECK constraints kept as SQL (those no typed constraint expresses: `a < b`, a named one):
   * evaluated on every written row, a false result failing the write (docs/format.md §3.1).
   * Absent when none.
   */
  checks?: CheckConstraint[];
}

/**
 * A CHECK constraint as SQL text (its expression), with its CONSTRAINT name when it has one, and
 * the top-level column it was declared on when it is a column constraint (SQLite tests those
 * first, in column order, then the table's own).
 */
export interface CheckConstraint {
  sql: string;
  name?: string;
  column?: string;
}

/** Validated CHECK constraints of a schema (from SQL or read from a catalog). */
export function normalizeChecks(name: string, raw: unknown): CheckConstraint[] {
  if (!Array.isArray(raw)) throw new SchemaError(`${name}: checks must be an array`);
  return raw.map((c: unknown) => {
    if (!isRecord(c)) throw new SchemaError(`${name}: each check is an object { sql, name? }`);
    checkKeys(c, CHECK_KEYS, `${name}: check`);
    if (typeof c.sql !== 'string' || c.sql.trim().length === 0 || !isWellFormed(c.sql))
      throw new SchemaError(`${name}: a check's sql must be a non-empty string`);
    if (c.name !== undefined && (typeof c.name !== 'string' || !isWellFormed(c.name)))
      throw new SchemaError(`${name}: a check's name must be a string`);
    if (c.column !== undefined && (typeof c.column !== 'string' || !isWellFormed(c.column)))
      throw new SchemaError(`${name}: a check's column must be a string`);
    return {
      sql: c.sql,
      ...(c.name === undefined ? {} : { name: c.name }),
      ...(c.column === undefined ? {} : { column: c.column }),
    };
  });
}

/** The hidden field identifying the rows of a table without a single-field primary key. */
export const HIDDEN_ROWID = '__rowid';

/** The index of the composite primary key of `schema`, or null. */
export function keyIndexOf(schema: CollectionSchema): NormalizedIndex | null {
  if (schema.keyIndex === undefined) return null;
  return schema.indexes.find((ix) => ix.name === schema.keyIndex) ?? null;
}

const PK_TYPES = new Set<string>(['int64', 'uint64', 'string', 'uuid', 'bytes', 'timestamp']);
const FIELD_KEYS = new Set([
  'path',
  'type',
  'constraints',
  'default',
  'defaultSql',
  'collate',
  'sqlType',
  'notNullOnConflict',
  'keyOnConflict',
  'generated',
]);
const CONFLICT_ALGORITHMS: readonly unknown[] = ['rollback', 'fail', 'ignore', 'replace'];
/** Longest declared SQL type kept (SQLite has no limit; real type names are short). */
const MAX_SQL_TYPE_LENGTH = 1000;
const GENERATED_KEYS = new Set(['sql', 'stored']);
const CHECK_KEYS = new Set(['sql', 'name', 'column']);
const INDEX_KEYS = new Set(['name', 'path', 'paths', 'desc', 'kind', 'sql', 'onConflict', 'collate']);

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A misspelled key ('constraint', 'unique') would otherwise be ignored without a word. */
function checkKeys(raw: Record<string, unknown>, allowed: Set<string>, where: string): void {
  for (const k of Object.keys(raw)) {
    if (!allowed.has(k))
      throw new SchemaError(`${where}: unknown key '${k}' (expected ${[...allowed].join(', ')})`);
  }
}

function checkName(name: unknown, what: string): asserts name is string {
  if (typeof name !== 'string' || name.length === 0 || !isWellFormed(name))
    throw new SchemaError(`${what} must be a non-empty string`);
}

/**
 * How deeply types may nest (each optional, list and object counts one level). Every layer that
 * walks a type or a value recurses, so a bound keeps schemas nested thousands deep from
 * overflowing the stack (issue 11, item 8); 64 is far beyond any real document shape.
 */
export const MAX_TYPE_DEPTH = 64;

export function normalizeType(t: TypeDescriptor, where: string, depth = 0): NormalizedType {
  if (depth >= MAX_TYPE_DEPTH)
    throw new SchemaError(`${where}: types nest too deeply (at most ${MAX_TYPE_DEPTH} levels)`);
  if (typeof t === 'string') {
    if (!(PRIMITIVE_TYPES as readonly string[]).includes(t))
      throw new SchemaError(`${where}: unknown type '${t}' (expected ${PRIMITIVE_TYPES.join(', ')})`);
    return { kind: t };
  }
  if (!isRecord(t))
    throw new SchemaError(`${where}: a type is a type name or an object like { optional: 'string' }`);
  const keys = Object.keys(t);
  if (keys.length !== 1)
    throw new SchemaError(`${where}: a type object has exactly one key: optional, list, object or enum`);
  if ('optional' in t) {
    const inner = normalizeType(t.optional, where, depth + 1);
    if (inner.kind === 'optional') throw new SchemaError(`${where}: optional<optional<T>> is not allowed`);
    return { kind: 'optional', of: inner };
  }
  if ('list' in t) return { kind: 'list', of: normalizeType(t.list, `${where}[]`, depth + 1) };
  if ('object' in t) {
    if (!Array.isArray(t.object) || t.object.length === 0)
      throw new SchemaError(`${where}: object needs at least one field`);
    return { kind: 'object', fields: normalizeFields(t.object, `${where}.`, depth + 1) };
  }
  if ('enum' in t) {
    const values: unknown = t.enum;
    if (
      !Array.isArray(values) ||
      values.length === 0 ||
      !values.every((v) => typeof v === 'string' && isWellFormed(v))
    ) {
      throw new SchemaError(`${where}: enum needs a non-empty list of strings`);
    }
    if (new Set(values).size !== values.length)
      throw new SchemaError(`${where}: enum values must be distinct`);
    return { kind: 'enum', values: [...(values as string[])] };
  }
  throw new SchemaError(`${where}: unknown type '${keys[0]}' (expected optional, list, object or enum)`);
}

function base(t: NormalizedType): NormalizedType {
  return t.kind === 'optional' ? base(t.of) : t;
}

/** A copy of a (validated) default, so later changes to the caller's object do not reach the schema. */
function detach(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(detach);
  if (v instanceof Uint8Array) return Buffer.from(v);
  if (v instanceof Date) return new Date(v.getTime());
  if (isRecord(v)) {
    const copy: Record<string, unknown> = {};
    for (const k of Object.keys(v)) if (v[k] !== undefined) copy[k] = detach(v[k]);
    return copy;
  }
  return v;
}

function normalizeField(raw: unknown, prefix: string, depth: number): NormalizedField {
  if (!isRecord(raw))
    throw new SchemaError(`${prefix || 'fields'}: each field is an object with path and type`);
  const f = raw as unknown as FieldDescriptor;
  const path = parsePath(f.path);
  const where = `${prefix}${pathText(path)}`;
  checkKeys(raw, FIELD_KEYS, where);
  const type = normalizeType(f.type, where, depth);
  if (f.constraints !== undefined && !Array.isArray(f.constraints))
    throw new SchemaError(`${where}: constraints must be an array`);
  const kind = base(type).kind;
  const constraints = (f.constraints ?? []).map((c: unknown) => normalizeConstraint(c, kind, where));
  checkBounds(constraints, where);
  const field: NormalizedField = { path, type, constraints };
  if (f.collate !== undefined) {
    if (f.collate !== 'binary' && f.collate !== 'nocase' && f.collate !== 'rtrim')
      throw new SchemaError(`${where}: collate must be 'binary', 'nocase' or 'rtrim'`);
    if (f.collate !== 'binary') field.collate = f.collate;
  }
  if (f.sqlType !== undefined) {
    if (typeof f.sqlType !== 'string' || f.sqlType.length > MAX_SQL_TYPE_LENGTH || !isWellFormed(f.sqlType))
      throw new SchemaError(
        `${where}: sqlType must be a string of at most ${MAX_SQL_TYPE_LENGTH} characters`,
      );
    field.sqlType = f.sqlType;
  }
  if (f.default !== undefined) {
    // The default goes through the same checks as a written value, so a bad one fails here
    // rather than on every later insert that omits the field.
    if (compileToStored(type, constraints)(f.default) === INVALID)
      throw new SchemaError(`${where}: invalid default: ${failureText()}`);
    field.default = detach(f.default);
  }
  if (f.defaultSql !== undefined) {
    if (typeof f.defaultSql !== 'string' || f.defaultSql.length === 0 || !isWellFormed(f.defaultSql))
      throw new SchemaError(`${where}: defaultSql must be a non-empty string`);
    field.defaultSql = f.defaultSql;
  }
  if (f.notNullOnConflict !== undefined) {
    if (type.kind === 'optional')
      throw new SchemaError(`${where}: notNullOnConflict needs a non-optional type`);
    field.notNullOnConflict = conflictAlgorithm(f.notNullOnConflict, `${where}: notNullOnConflict`);
  }
  if (f.keyOnConflict !== undefined)
    field.keyOnConflict = conflictAlgorithm(f.keyOnConflict, `${where}: keyOnConflict`);
  if (f.generated !== undefined) field.generated = normalizeGenerated(f, path, depth, where);
  return field;
}

/** A generated column's descriptor: top level, no default, an expression to compute it by. */
function normalizeGenerated(
  f: FieldDescriptor,
  path: readonly string[],
  depth: number,
  where: string,
): { sql: string; stored: boolean } {
  const g: unknown = f.generated;
  if (!isRecord(g)) throw new SchemaError(`${where}: generated must be an object { sql, stored? }`);
  checkKeys(g, GENERATED_KEYS, `${where}: generated`);
  if (typeof g.sql !== 'string' || g.sql.trim().length === 0 || !isWellFormed(g.sql))
    throw new SchemaError(`${where}: generated.sql must be a non-empty string`);
  if (g.stored !== undefined && typeof g.stored !== 'boolean')
    throw new SchemaError(`${where}: generated.stored must be a boolean`);
  if (depth > 0 || path.length !== 1)
    throw new SchemaError(`${where}: only a top-level field can be generated`);
  if (f.default !== undefined || f.defaultSql !== undefined)
    throw new SchemaError('cannot use DEFAULT on a generated column');
  return { sql: g.sql, stored: g.stored === true };
}

function normalizeFields(
  fields: readonly FieldDescriptor[],
  prefix: string,
  depth: number,
): NormalizedField[] {
  if (!Array.isArray(fields)) throw new SchemaError(`${prefix || 'fields'}: fields must be an array`);
  const out: NormalizedField[] = [];
  // One field may not be another's prefix: the user object could not hold both. Keyed sets of
  // the full paths and of every proper prefix keep the check linear in the number of fields
  // (comparing each field with all earlier ones took 2.3 s for 10,000 fields; issue 11, item 11).
  const full = new Map<string, string[]>();
  const proper = new Map<string, string[]>();
  for (const raw of fields as readonly unknown[]) {
    const field = normalizeField(raw, prefix, depth);
    const p = field.path;
    let other = proper.get(p.join('\u0000'));
    for (let k = 1; other === undefined && k <= p.length; k++) other = full.get(p.slice(0, k).join('\u0000'));
    if (other !== undefined)
      throw new SchemaError(`${prefix}${pathText(p)}: path collides with '${prefix}${pathText(other)}'`);
    full.set(p.join('\u0000'), p);
    for (let k = 1; k < p.length; k++) {
      const key = p.slice(0, k).join('\u0000');
      if (!proper.has(key)) proper.set(key, p);
    }
    out.push(field);
  }
  return out;
}

/** Resolve a path to the scalar type it names (through object fields); null when it is not one. */
export function scalarTypeAt(
  fields: readonly NormalizedField[],
  path: readonly string[],
): NormalizedType | null {
  for (const f of fields) {
    const n = f.path.length;
    if (path.length < n || f.path.some((s, i) => s !== path[i])) continue;
    const rest = path.slice(n);
    const b = base(f.type);
    if (rest.length === 0) return b.kind === 'object' || b.kind === 'list' ? null : f.type;
    if (b.kind !== 'object') return null;
    return scalarTypeAt(b.fields, rest);
  }
  return null;
}

/** The field declared at exactly `path` (through nested objects), or null. */
export function fieldAt(fields: readonly NormalizedField[], path: readonly string[]): NormalizedField | null {
  for (const f of fields) {
    const n = f.path.length;
    if (path.length < n || f.path.some((s, i) => s !== path[i])) continue;
    if (path.length === n) return f;
    const b = base(f.type);
    return b.kind === 'object' ? fieldAt(b.fields, path.slice(n)) : null;
  }
  return null;
}

function conflictAlgorithm(v: unknown, where: string): ConflictAlgorithm {
  if (!CONFLICT_ALGORITHMS.includes(v))
    throw new SchemaError(`${where} must be 'rollback', 'fail', 'ignore' or 'replace'`);
  return v as ConflictAlgorithm;
}

function normalizeIndex(
  raw: unknown,
  fields: readonly NormalizedField[],
  collection: string,
): NormalizedIndex {
  if (!isRecord(raw))
    throw new SchemaError(`${collection}: each index is an object with name, path and kind`);
  checkName(raw.name, `${collection}: an index name`);
  const where = `${collection}: index ${raw.name}`;
  checkKeys(raw, INDEX_KEYS, where);
  const ix = raw as unknown as IndexDescriptor;
  if (ix.kind !== 'unique' && ix.kind !== 'index')
    throw new SchemaError(`${where}: kind must be 'unique' or 'index'`);
  if ((ix.path === undefined) === (ix.paths === undefined))
    throw new SchemaError(`${where}: give exactly one of path (one column) and paths (several columns)`);
  if (ix.paths !== undefined && (!Array.isArray(ix.paths) || ix.paths.length === 0))
    throw new SchemaError(`${where}: paths must be a non-empty array of paths`);
  const paths = ix.paths === undefined ? [parsePath(ix.path as string)] : ix.paths.map((p) => parsePath(p));
  const seen = new Set<string>();
  for (const path of paths) {
    if (!scalarTypeAt(fields, path))
      throw new SchemaError(
        `${where}: '${pathText(path)}' is not a scalar field (lists and objects cannot be indexed)`,
      );
    // An expression index names a column per expression: two may read the same one.
    if (seen.has(pathText(path)) && ix.sql === undefined)
      throw new SchemaError(`${where}: '${pathText(path)}' appears twice`);
    seen.add(pathText(path));
  }
  if (ix.desc !== undefined) {
    if (
      ix.paths === undefined ||
      !Array.isArray(ix.desc) ||
      ix.desc.length !== ix.paths.length ||
      !ix.desc.every((d: unknown) => typeof d === 'boolean')
    )
      throw new SchemaError(`${where}: desc must be an array of booleans, one per entry of paths`);
  }
  if (ix.sql !== undefined && (typeof ix.sql !== 'string' || ix.sql.length === 0))
    throw new SchemaError(`${where}: sql must be the CREATE INDEX statement`);
  const desc = ix.desc ?? [];
  const descending = {
    ...(desc.length > 0 && desc.every((d) => d) ? { descending: true as const } : {}),
    ...(ix.sql === undefined ? {} : { sql: ix.sql }),
  };
  if (ix.onConflict !== undefined && ix.kind !== 'unique')
    throw new SchemaError(`${where}: onConflict is for a unique index`);
  const conflict =
    ix.onConflict === undefined
      ? {}
      : { onConflict: conflictAlgorithm(ix.onConflict, `${where}: onConflict`) };
  const collations =
    ix.kind === 'unique' && ix.sql === undefined ? paths.map((p) => fieldAt(fields, p)?.collate ?? null) : [];
  const collate = collations.some((c) => c !== null) ? { collate: collations } : {};
  if (paths.length === 1)
    return { name: ix.name, path: paths[0], kind: ix.kind, ...descending, ...conflict, ...collate };
  const out: NormalizedIndex = {
    name: ix.name,
    path: paths,
    kind: ix.kind,
    ...descending,
    ...conflict,
    ...collate,
  };
  // Only a mix of directions orders the tree differently from an ascending one walked either way.
  if (desc.some((d) => d) && !desc.every((d) => d)) out.desc = [...desc];
  return out;
}

/**
 * `primaryKey: { paths }` naming several fields: the hidden rowid field and the key's unique index
 * (`<name>_pk`, listed first) join the declaration.
 */
function compositeKey(
  name: string,
  fields: readonly FieldDescriptor[],
  primaryKey: { paths: readonly (string | readonly string[])[] },
  indexes: readonly IndexDescriptor[],
): CollectionSchema {
  if (!Array.isArray(primaryKey.paths) || primaryKey.paths.length === 0)
    throw new SchemaError(`${name}: primaryKey.paths must be a non-empty array of paths`);
  if (primaryKey.paths.length === 1) return normalizeCollection(name, fields, primaryKey.paths[0], indexes);
  if (!Array.isArray(fields)) throw new SchemaError('fields: fields must be an array');
  if (
    (fields as readonly unknown[]).some(
      (f) => isRecord(f) && pathText(parsePath(f.path as string)) === HIDDEN_ROWID,
    )
  )
    throw new SchemaError(
      `${name}: field name ${HIDDEN_ROWID} is reserved for the row id of a composite key`,
    );
  const keyIndex = `${name}_pk`;
  const schema = normalizeCollection(name, [...fields, { path: HIDDEN_ROWID, type: 'int64' }], HIDDEN_ROWID, [
    { name: keyIndex, paths: primaryKey.paths, kind: 'unique' },
    ...indexes,
  ]);
  if (!isCompositeIndex(schema.indexes[0]))
    throw new SchemaError(`${name}: primaryKey.paths names the same field twice`);
  return { ...schema, keyIndex };
}

export function normalizeCollection(
  name: string,
  fields: readonly FieldDescriptor[],
  primaryKey: PrimaryKeyDescriptor,
  indexes: readonly IndexDescriptor[] = [],
  options: {
    keyIndex?: string;
    foreignKeys?: readonly ForeignKeyDescriptor[];
    checks?: readonly CheckConstraint[];
  } = {},
): CollectionSchema {
  checkName(name, 'a collection name');
  if (options.checks !== undefined) {
    const { checks, ...rest } = options;
    const schema = normalizeCollection(name, fields, primaryKey, indexes, rest);
    const normalized = normalizeChecks(name, checks);
    return normalized.length === 0 ? schema : { ...schema, checks: normalized };
  }
  if (options.foreignKeys !== undefined) {
    const { foreignKeys, ...rest } = options;
    const schema = normalizeCollection(name, fields, primaryKey, indexes, rest);
    const topLevel = schema.fields.filter((f) => f.path.length === 1).map((f) => f.path[0]);
    const fks = normalizeForeignKeys(name, foreignKeys, topLevel);
    return fks.length === 0 ? schema : { ...schema, foreignKeys: fks };
  }
  if (isRecord(primaryKey)) {
    checkKeys(primaryKey, new Set(['paths']), `${name}: primaryKey`);
    return compositeKey(
      name,
      fields,
      primaryKey as { paths: readonly (string | readonly string[])[] },
      indexes,
    );
  }
  const nf = normalizeFields(fields, '', 0);
  if (nf.length === 0) throw new SchemaError(`${name}: a collection needs at least one field`);
  const pk = parsePath(primaryKey);
  const pkField = nf.find((f) => pathText(f.path) === pathText(pk));
  if (!pkField) {
    // ['a', 'b'] naming two fields most likely meant a key over both (SQL's PRIMARY KEY (a, b)).
    const several =
      pk.length > 1 && pk.every((seg) => nf.some((f) => f.path.length === 1 && f.path[0] === seg))
        ? ` (an array is the segments of one nested path; a key over several fields is { paths: [${pk.map((seg) => `'${seg}'`).join(', ')}] })`
        : '';
    throw new SchemaError(
      `${name}: primary key '${pathText(pk)}' is not a declared field of this collection${several}`,
    );
  }
  if (!PK_TYPES.has(pkField.type.kind)) {
    throw new SchemaError(
      `${name}: primary key '${pathText(pk)}' must be a non-optional int64, uint64, string, uuid, bytes or timestamp (got ${pkField.type.kind})`,
    );
  }
  if (pkField.generated) throw new SchemaError('generated columns cannot be part of the PRIMARY KEY');
  // Trees compare BINARY: a key or unique index under another collation would need its own order.
  if (pkField.collate)
    throw new SchemaError(`${name}: primary key '${pathText(pk)}' cannot have collate '${pkField.collate}'`);
  if (!Array.isArray(indexes)) throw new SchemaError(`${name}: indexes must be an array`);
  const ni = (indexes as readonly unknown[]).map((raw) => normalizeIndex(raw, nf, name));
  const seen = new Set<string>();
  for (const ix of ni) {
    if (seen.has(ix.name)) throw new SchemaError(`${name}: duplicate index name '${ix.name}'`);
    seen.add(ix.name);
  }
  const out: CollectionSchema = { name, fields: nf, primaryKey: pk, indexes: ni };
  if (options.keyIndex !== undefined) {
    // Re-normalizing a stored schema (CREATE INDEX, ADD COLUMN) or SQL's PRIMARY KEY (a, b).
    const key = ni.find((ix) => ix.name === options.keyIndex);
    // One field only under a collation: the primary-key tree would compare it BINARY.
    if (
      !key ||
      key.kind !== 'unique' ||
      (!isCompositeIndex(key) && key.collate === undefined) ||
      pathText(pk) !== HIDDEN_ROWID
    )
      throw new SchemaError(
        `${name}: key index '${options.keyIndex}' is not a unique index over several fields or a collated one`,
      );
    if (indexPaths(key).some((p) => fieldAt(nf, p)?.generated !== undefined))
      throw new SchemaError('generated columns cannot be part of the PRIMARY KEY');
    out.keyIndex = options.keyIndex;
  }
  return out;
}

/** NormalizedType → descriptor, to re-normalize a schema (a column added, dropped, renamed). */
function toDescriptorType(t: NormalizedType): TypeDescriptor {
  switch (t.kind) {
    case 'optional':
      return { optional: toDescriptorType(t.of) };
    case 'list':
      return { list: toDescriptorType(t.of) };
    case 'object':
      return { object: t.fields.map(toFieldDescriptor) };
    case 'enum':
      return { enum: [...t.values] };
    default:
      return t.kind;
  }
}

/** A normalized field as the descriptor that normalizes to it again. */
export function toFieldDescriptor(f: NormalizedField): FieldDescriptor {
  const d: FieldDescriptor = {
    path: [...f.path],
    type: toDescriptorType(f.type),
    constraints: [...f.constraints],
  };
  if (f.collate) d.collate = f.collate;
  if (f.defaultSql !== undefined) d.defaultSql = f.defaultSql;
  if (f.sqlType !== undefined) d.sqlType = f.sqlType;
  if (f.notNullOnConflict !== undefined) d.notNullOnConflict = f.notNullOnConflict;
  if (f.keyOnConflict !== undefined) d.keyOnConflict = f.keyOnConflict;
  if (f.generated !== undefined) d.generated = { ...f.generated };
  return f.default === undefined ? d : { ...d, default: f.default };
}
