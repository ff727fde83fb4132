/**
 * Introspection in the SQL front end: `sqlite_master` / `sqlite_schema` (and the empty
 * `sqlite_temp_master`) as read-only virtual tables any SELECT can read, the PRAGMAs (catalog
 * PRAGMAs lower to a SELECT over a virtual table; settings PRAGMAs to PragmaStmt), and SQLite's
 * refusals for writes to the schema tables and for names starting with `sqlite_`.
 */
import { NotSupportedError, ProgrammingError, QueryError } from '../src/errors';
import { E } from '../planner/expr';
import { L } from '../planner/logical';
import { compileSchema } from '../storage/schema/compile';
import { normalizeCollection } from '../storage/schema/normalize';
import type { FieldDescriptor } from '../storage/schema/descriptors';
import { CATALOG_PRAGMAS, VIRTUAL_COLUMNS, pragmaTable, schemaTable } from '../planner/introspect/virtual';
import type { VirtualTable } from '../planner/introspect/virtual';
import type { OutputColumn, PragmaSetting, SelectStmt, Statement } from './ir';
import type { PragmaAst, SelectAst, StatementAst } from './sql/ast';
import type { CatalogReader, TableScope } from './scope';
import type { ParamCollector } from './params';
import { lowerExpr } from './lower-expr';
import type { ExprContext } from './lower-expr';

const scopes = new Map<VirtualTable, Omit<TableScope, 'qualifiers'>>();

/**
 * The virtual table as a table scope: a schema of its columns plus a hidden integer key, so
 * `rowid` reads the row number as in SQLite. Built once per table kind.
 */
function schemaScope(table: VirtualTable): Omit<TableScope, 'qualifiers'> {
  let scope = scopes.get(table);
  if (!scope) {
    const fields: FieldDescriptor[] = VIRTUAL_COLUMNS[table].map((c) => ({
      path: c.name,
      type: c.type === 'integer' ? 'int64' : c.nullable ? { optional: 'string' } : 'string',
    }));
    fields.push({ path: '__rowid', type: 'int64' });
    const schema = normalizeCollection(table, fields, '__rowid');
    scope = { schema, compiled: compileSchema(schema), source: { table, arg: null } };
    scopes.set(table, scope);
  }
  return scope;
}

/**
 * The scope of `FROM sqlite_master` (or its aliases) or of a catalog PRAGMA read as a
 * table-valued function, `FROM pragma_table_info('t')` (its argument any constant expression or
 * parameter; a second argument may only name the schema `main`); null for any other name.
 */
export function virtualScope(
  ast: Pick<SelectAst, 'table' | 'tableArgs' | 'tableAlias'>,
  params: ParamCollector,
  sql: string,
): TableScope | null {
  const name = ast.table;
  if (name === null) return null;
  const table = schemaTable(name) ?? pragmaTable(name);
  if (table === 'sqlite_master' || table === 'sqlite_temp_master')
    params.schemaTableRead?.(table === 'sqlite_master' ? 'main' : 'temp');
  if (table === null) {
    if (ast.tableArgs) throw new NotSupportedError(`table-valued function ${name}`, 'NOT_SUPPORTED', { sql });
    return null;
  }
  const args = ast.tableArgs ?? [];
  if (args.length > 2) throw new QueryError(`too many arguments on ${name}() - max 2`, 'QUERY', { sql });
  const cx: ExprContext = { scope: null, params, sql, aggregates: null, allowColumns: false };
  const lowered = args.map((a) => lowerExpr(a, cx));
  const schemaArg = lowered[1];
  if (schemaArg && !(schemaArg.kind === 'literal' && String(schemaArg.value).toLowerCase() === 'main'))
    throw new NotSupportedError(`${name}() on a schema other than main`, 'NOT_SUPPORTED', { sql });
  const qualifiers = [name.toLowerCase(), table];
  if (ast.tableAlias !== null) qualifiers.push(ast.tableAlias.toLowerCase());
  const base = schemaScope(table);
  const arg = lowered[0] ?? null;
  const named = arg?.kind === 'literal' && typeof arg.value === 'string' ? arg.value : null;
  if (named !== null) params.catalogObjectRead?.(named, null);
  const source = { table, arg, ...viewRows(table, named, params) };
  return { ...base, source, qualifiers };
}

/** Whether some table has an index called `name` (SQLite's names ignore case). */
function indexExists(catalog: CatalogReader, name: string): boolean {
  const lower = name.toLowerCase();
  return (catalog.names?.() ?? []).some((t) =>
    catalog.collection(t)?.schema.indexes.some((ix) => ix.name.toLowerCase() === lower),
  );
}

/** SQLite's refusals for statements that would change a schema table or take a reserved name. */
export function refuseSystemNames(ast: StatementAst, catalog: CatalogReader, sql: string): void {
  const fail = (message: string): never => {
    throw new ProgrammingError(message, 'SYSTEM_TABLE', { sql });
  };
  switch (ast.t) {
    case 'insert':
    case 'update':
    case 'delete':
      if (schemaTable(ast.table)) fail(`table ${ast.table} may not be modified`);
      return;
    case 'dropTable':
      if (schemaTable(ast.name)) fail(`table ${ast.name} may not be dropped`);
      return;
    case 'addColumn':
    case 'renameTable':
    case 'renameColumn':
    case 'dropColumn':
      if (schemaTable(ast.table)) fail(`table ${ast.table} may not be altered`);
      return;
    case 'createIndex':
      if (schemaTable(ast.table)) fail(`table ${ast.table} may not be indexed`);
      if (ast.name.toLowerCase().startsWith('sqlite_'))
        fail(`object name reserved for internal use: ${ast.name}`);
      return;
    case 'createTable':
    case 'createTableAs':
      if (ast.name.toLowerCase().startsWith('sqlite_'))
        fail(`object name reserved for internal use: ${ast.name}`);
      return;
    case 'dropIndex':
      if (ast.name.toLowerCase().startsWith('sqlite_autoindex_') && indexExists(catalog, ast.name))
        fail('index associated with UNIQUE or PRIMARY KEY constraint cannot be dropped');
      return;
    default:
      return;
  }
}

/** `table_info(v)` of a view `v`: its rows, worked out now (the catalog keeps only the view's SQL). */
function viewRows(
  table: VirtualTable,
  name: string | null,
  params: ParamCollector,
): { rows: unknown[][] } | Record<string, never> {
  if ((table !== 'table_info' && table !== 'table_xinfo') || name === null) return {};
  const rows = params.viewInfo?.(name, table === 'table_xinfo') ?? null;
  return rows === null ? {} : { rows };
}

/** SELECT * over a catalog PRAGMA's virtual table. */
function catalogPragma(table: VirtualTable, value: string | null, params: ParamCollector): SelectStmt {
  const arg = value === null ? null : E.literal(value, 'text');
  const cols = VIRTUAL_COLUMNS[table];
  const columns: OutputColumn[] = cols.map((c) => ({ name: c.name, type: c.type, nullable: c.nullable }));
  const plan = L.project(
    L.virtual({ table, arg, ...viewRows(table, value, params) }),
    cols.map((c, i) => ({ expr: E.column(i, [], c.type, c.name), name: c.name })),
  );
  return { kind: 'select', plan, columns, collection: null };
}

/**
 * SQLite's sqlite3Atoi for `PRAGMA user_version = v`: the leading integer (decimal, or hex with
 * 0x) of the text; 0 when there is none or it does not fit 32 bits.
 */
export function pragmaInt(text: string): number {
  const hex = /^0x([0-9a-f]+)$/i.exec(text);
  if (hex) {
    if (hex[1].length > 8) return 0;
    return Number.parseInt(hex[1], 16) | 0;
  }
  const m = /^[+-]?\d+/.exec(text);
  if (!m) return 0;
  const v = BigInt(m[0]);
  return v >= -2147483648n && v <= 2147483647n ? Number(v) : 0;
}

/** SQLite's boolean pragma values: on/yes/true, off/no/false, or a number (non-zero is on). */
function pragmaBool(text: string): number {
  const w = text.toLowerCase();
  if (w === 'on' || w === 'yes' || w === 'true') return 1;
  if (w === 'off' || w === 'no' || w === 'false') return 0;
  return pragmaInt(text) !== 0 ? 1 : 0;
}

function settingColumns(name: PragmaSetting): OutputColumn[] {
  const type =
    name === 'journal_mode' || name === 'integrity_check' || name === 'quick_check' ? 'text' : 'integer';
  return [{ name, type, nullable: false }];
}

/** SQLite's synchronous levels; ModelVault syncs every commit once, which is FULL (2). */
const SYNCHRONOUS: Readonly<Record<string, number>> = { off: 0, normal: 1, full: 2, extra: 3 };

function synchronousLevel(text: string): number {
  const w = text.toLowerCase();
  return Object.prototype.hasOwnProperty.call(SYNCHRONOUS, w) ? SYNCHRONOUS[w] : pragmaInt(text);
}

function settingPragma(name: PragmaSetting, ast: PragmaAst, sql: string): Statement {
  const columns = settingColumns(name);
  if (!ast.hasValue || ast.value === null) return { kind: 'pragma', name, value: null, columns };
  const value = ast.value;
  switch (name) {
    case 'user_version':
      return { kind: 'setUserVersion', value: pragmaInt(value) };
    case 'foreign_keys':
      return { kind: 'pragma', name, value: pragmaBool(value), columns };
    case 'journal_mode':
      return { kind: 'pragma', name, value: value.toLowerCase(), columns };
    case 'synchronous': {
      // Only the level ModelVault runs at is accepted: anything else would be a promise it does not keep.
      if (synchronousLevel(value) !== 2)
        throw new NotSupportedError(
          `PRAGMA synchronous = ${value}: ModelVault always syncs each commit (synchronous = FULL)`,
          'NOT_SUPPORTED',
          { sql },
        );
      return { kind: 'pragma', name, value: 2, columns };
    }
    case 'integrity_check':
    case 'quick_check':
      // `(N)`: at most N rows of problems; `(t)`: SQLite checks table t only (here: the file).
      return { kind: 'pragma', name, value: /^[+-]?\d+$/.test(value) ? pragmaInt(value) : value, columns };
  }
}

const SETTINGS: ReadonlySet<string> = new Set<PragmaSetting>([
  'user_version',
  'foreign_keys',
  'journal_mode',
  'synchronous',
  'integrity_check',
  'quick_check',
]);

export function lowerPragma(ast: PragmaAst, params: ParamCollector, sql: string): Statement {
  const name = ast.name.toLowerCase();
  const schema = ast.schema?.toLowerCase() ?? null;
  // `PRAGMA temp.table_info(t)`: the connection's temporary schema (a catalog PRAGMA only).
  const temp = schema === 'temp' && (CATALOG_PRAGMAS as readonly string[]).includes(name);
  if (schema !== null && schema !== 'main' && !temp) {
    throw new NotSupportedError(
      `PRAGMA ${ast.schema}.${ast.name}: only the main database exists`,
      'NOT_SUPPORTED',
      { sql },
    );
  }
  if ((CATALOG_PRAGMAS as readonly string[]).includes(name)) {
    if (ast.value !== null)
      params.catalogObjectRead?.(ast.value, schema === 'temp' ? 'temp' : schema === 'main' ? 'main' : null);
    return catalogPragma(name as VirtualTable, ast.value, params);
  }
  if (SETTINGS.has(name)) return settingPragma(name as PragmaSetting, ast, sql);
  throw new NotSupportedError(`PRAGMA ${ast.name}`, 'NOT_SUPPORTED', { sql });
}
