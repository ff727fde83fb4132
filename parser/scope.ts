/**
 * Name resolution against one table: table lookup (case-insensitive like SQLite), column
 * references (`col`, `t.col`, nested paths `profile.timezone`, quoted `"profile.timezone"`),
 * the rowid aliases, `*` expansion and the target columns of INSERT/UPDATE.
 */
import type { CompiledSchema, PathAccessor } from '../storage/schema/compile';
import type { CollectionSchema } from '../storage/schema/normalize';
import { fieldAt } from '../storage/schema/normalize';
import { NotSupportedError, ProgrammingError, QueryError } from '../src/errors';
import { E } from '../planner/expr';
import type { ColumnExpr } from '../planner/expr';
import { valueTypeOf } from '../planner/value-type';
import type { VirtualSource } from '../planner/introspect/virtual';
import type { IndexHint } from '../planner/logical';
import type { IndexHintAst } from './sql/ast';

export interface CatalogEntry {
  schema: CollectionSchema;
  compiled: CompiledSchema;
}

export interface CatalogReader {
  collection(name: string): CatalogEntry | undefined;
  /** All collection names; lets `FROM Books` find `books` (SQLite table names ignore case). */
  names?(): string[];
  /** The view called `name` (any case; TEMP views first), or undefined. */
  view?(name: string): CatalogView | undefined;
  /** Every view's name (what `pragma_table_info(m.name)` may be asked about). */
  viewNames?(): string[];
  /** The connection's TEMP views, in creation order (what sqlite_temp_master lists beside its tables). */
  tempViews?(): CatalogView[];
  /**
   * Told, before a statement is lowered, which names it qualifies with a schema (`main`, `temp`),
   * and when it reads a schema table which one (`sqlite_master` is main's, `sqlite_temp_master`
   * temp's): a connection with temporary tables resolves and routes the statement by them.
   */
  useSchemas?(schemas: ReadonlyMap<string, 'main' | 'temp'>, unqualified: ReadonlySet<string>): void;
  readsSchemaTable?(schema: 'main' | 'temp'): void;
  /** A catalog PRAGMA (`table_info(t)`) reads the table or index `name` (of `schema` when named). */
  readsCatalogOf?(name: string, schema: 'main' | 'temp' | null): void;
}

/** A view as the catalog keeps it: its name and CREATE VIEW text. */
export interface CatalogView {
  readonly name: string;
  readonly sql: string;
}

export interface TableScope {
  readonly schema: CollectionSchema;
  readonly compiled: CompiledSchema;
  /** Lower-cased names the table may be qualified with (its name and alias). */
  readonly qualifiers: readonly string[];
  /** Set when the table is virtual (sqlite_master): its rows come from the catalog. */
  readonly source?: VirtualSource;
  /** `INDEXED BY` / `NOT INDEXED` after the table, the index named as the catalog spells it. */
  readonly hint?: IndexHint;
}

export interface ResolvedColumn {
  readonly expr: ColumnExpr;
  /** The declared name (SQLite names a selected column by its declaration). */
  readonly declared: string;
  readonly nullable: boolean;
}

const ROWID_NAMES = ['rowid', '_rowid_', 'oid'];

/** Hidden fields (the `__rowid` of a table without a primary key) are not part of `*`. */
export function isHidden(path: readonly string[]): boolean {
  return path.length === 1 && path[0].startsWith('__');
}

/** Exact match first, then any case. */
export function findTable(catalog: CatalogReader, name: string): CatalogEntry | undefined {
  const exact = catalog.collection(name);
  if (exact || !catalog.names) return exact;
  const lower = name.toLowerCase();
  const other = catalog.names().find((n) => n.toLowerCase() === lower);
  return other === undefined ? undefined : catalog.collection(other);
}

export function scopeFor(
  catalog: CatalogReader,
  name: string,
  alias: string | null,
  sql: string,
  hintAst?: IndexHintAst,
): TableScope {
  const table = findTable(catalog, name);
  if (!table) throw new ProgrammingError(`no such table: ${name}`, 'NO_SUCH_COLLECTION', { sql });
  const hint = hintAst ? resolveHint(table, hintAst, sql) : undefined;
  // An alias hides the table's own name (SQLite: `SELECT t.a FROM t AS x` is "no such column"),
  // which is also what keeps `t.a` in a subquery over `t AS x` pointing at an outer `t`.
  const qualifiers =
    alias !== null ? [alias.toLowerCase()] : [name.toLowerCase(), table.schema.name.toLowerCase()];
  return { schema: table.schema, compiled: table.compiled, qualifiers, ...(hint ? { hint } : {}) };
}

/** An index hint against `table`'s indexes (names ignore case, as SQLite's do). */
function resolveHint(table: CatalogEntry, hint: IndexHintAst, sql: string): IndexHint {
  if (hint.t === 'notIndexed') return { kind: 'notIndexed' };
  const lower = hint.index.toLowerCase();
  const ix = table.schema.indexes.find((i) => i.name.toLowerCase() === lower);
  if (!ix) throw new QueryError(`no such index: ${hint.index}`, 'QUERY', { sql });
  return { kind: 'indexedBy', index: ix.name };
}

/** Case-insensitive resolution of a path (SQLite identifiers ignore case). */
export function resolvePath(
  scope: TableScope,
  parts: readonly string[],
): { path: string[]; acc: PathAccessor } | null {
  const exact = scope.compiled.resolvePath(parts);
  if (exact) return { path: [...parts], acc: exact };
  const lower = parts.map((p) => p.toLowerCase());
  const search = (fields: CollectionSchema['fields'], rest: string[], prefix: string[]): string[] | null => {
    for (const f of fields) {
      const fp = f.path.map((s) => s.toLowerCase());
      if (rest.length < fp.length || fp.some((s, i) => s !== rest[i])) continue;
      const path = [...prefix, ...f.path];
      if (rest.length === fp.length) return path;
      const t = f.type.kind === 'optional' ? f.type.of : f.type;
      if (t.kind === 'object') return search(t.fields, rest.slice(fp.length), path);
    }
    return null;
  };
  const path = search(scope.schema.fields, lower, []);
  if (!path) return null;
  const acc = scope.compiled.resolvePath(path);
  return acc ? { path, acc } : null;
}

function hasHiddenKey(scope: TableScope): boolean {
  return isHidden(scope.schema.primaryKey);
}

/**
 * The primary key stands in for SQLite's rowid when it is an integer (an INTEGER PRIMARY KEY or
 * the hidden `__rowid`), unless a real column has that name.
 */
function rowidAlias(scope: TableScope, parts: readonly string[]): string[] | null {
  if (parts.length !== 1 || !ROWID_NAMES.includes(parts[0].toLowerCase())) return null;
  // A WITHOUT ROWID table has none ("no such column: rowid"), even over a hidden composite-key id.
  if (scope.schema.withoutRowid || resolvePath(scope, parts)) return null;
  const pk = scope.schema.fields[scope.compiled.pkColumn];
  if (pk.type.kind !== 'int64' && pk.type.kind !== 'uint64') return null;
  return [...scope.schema.primaryKey];
}

function resolved(
  scope: TableScope,
  acc: PathAccessor,
  path: readonly string[],
  declared: string,
): ResolvedColumn {
  const plain = E.column(acc.column, acc.sub, valueTypeOf(acc.type), path.join('.'));
  const expr = isRowid(scope, acc) ? { ...plain, rowid: true as const } : plain;
  // A column declared COLLATE NOCASE / RTRIM compares and orders that way in every expression.
  const collation = fieldAt(scope.schema.fields, path)?.collate;
  return { expr: collation ? { ...expr, collation } : expr, declared, nullable: acc.nullable };
}

/** Whether a column is SQLite's rowid: the hidden one, or an INTEGER (exactly) PRIMARY KEY. */
function isRowid(scope: TableScope, acc: PathAccessor): boolean {
  if (scope.schema.withoutRowid) return false;
  if (acc.column !== scope.compiled.pkColumn || acc.sub.length > 0) return false;
  const pk = scope.schema.fields[scope.compiled.pkColumn];
  if (pk.type.kind !== 'int64') return false;
  return pk.sqlType === undefined || pk.sqlType.toUpperCase() === 'INTEGER';
}

/** Resolve the parts of a column reference, or null when nothing matches. */
export function tryColumn(
  scope: TableScope,
  parts: readonly string[],
  quoted: boolean,
): ResolvedColumn | null {
  let rest = [...parts];
  // `t.col`: drop the qualifier when it names this table and the remainder resolves; otherwise
  // the first part is a path segment (`profile.timezone`).
  if (rest.length >= 2 && scope.qualifiers.includes(rest[0].toLowerCase())) {
    const unqualified = rest.slice(1);
    if (resolvePath(scope, unqualified) || rowidAlias(scope, unqualified)) rest = unqualified;
  }
  const alias = rowidAlias(scope, rest);
  if (alias) {
    const acc = scope.compiled.resolvePath(alias);
    // SQLite names a selected rowid by the INTEGER PRIMARY KEY column, or `rowid` when it has none.
    return acc ? resolved(scope, acc, alias, hasHiddenKey(scope) ? 'rowid' : alias.join('.')) : null;
  }
  let found = resolvePath(scope, rest);
  // A quoted "profile.timezone" is one identifier naming the nested path.
  if (!found && quoted && rest.length === 1 && rest[0].includes('.'))
    found = resolvePath(scope, rest[0].split('.'));
  if (!found) return null;
  return resolved(scope, found.acc, found.path, found.path.join('.'));
}

/** Top-level, user-visible fields in declaration order: what `*` expands to. */
export function visibleColumns(scope: TableScope): ResolvedColumn[] {
  const out: ResolvedColumn[] = [];
  for (const f of scope.schema.fields) {
    if (isHidden(f.path)) continue;
    const acc = scope.compiled.resolvePath(f.path);
    if (acc) out.push(resolved(scope, acc, f.path, f.path.join('.')));
  }
  return out;
}

/** Top-level field index for a column named in an INSERT column list or an UPDATE SET. */
export function targetColumn(
  scope: TableScope,
  name: string,
  sql: string,
  write: 'INSERT' | 'UPDATE' | null = null,
): number {
  const parts = name.split('.');
  const found = tryColumn(scope, parts, false);
  if (!found)
    throw new QueryError(`table ${scope.schema.name} has no column named ${name}`, 'QUERY', { sql });
  if (found.expr.sub.length > 0)
    throw new NotSupportedError(
      `assigning to a path inside an object column (${name}); assign the whole object column`,
      'NOT_SUPPORTED',
      { sql },
    );
  // A generated column is computed, never written (an ON CONFLICT target may name one).
  if (write !== null && scope.schema.fields[found.expr.column].generated !== undefined)
    throw new QueryError(
      write === 'INSERT'
        ? `cannot INSERT into generated column "${name}"`
        : `cannot UPDATE generated column "${name}"`,
      'QUERY',
      { sql },
    );
  return found.expr.column;
}
