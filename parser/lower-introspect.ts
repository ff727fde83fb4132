/**
 * Introspection in the SQL front end: `sqlite_master` / `sqlite_schema` (and the empty
 * `sqlite_temp_master`) as read-only virtual tables any SELECT can read, the catalog PRAGMAs
 * (a SELECT over a virtual table; parser/lower-pragma.ts lowers every PRAGMA), and SQLite's
 * refusals for writes to the schema tables and for names starting with `sqlite_`.
 */
import { NotSupportedError, ProgrammingError, QueryError } from '../src/errors';
import { E } from '../planner/expr';
import { L } from '../planner/logical';
import { compileSchema } from '../storage/schema/compile';
import { normalizeCollection } from '../storage/schema/normalize';
import type { FieldDescriptor } from '../storage/schema/descriptors';
import { VIRTUAL_COLUMNS, pragmaTable, schemaTable } from '../planner/introspect/virtual';
import type { VirtualTable } from '../planner/introspect/virtual';
import type { OutputColumn, SelectStmt } from './ir';
import type { SelectAst, StatementAst } from './sql/ast';
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
  // table_list names main's objects only (lower-pragma.ts): nothing to route.
  if (named !== null && table !== 'table_list') params.catalogObjectRead?.(named, null);
  const source = {
    table,
    arg,
    ...viewRows(table, named, params),
    ...(table === 'sqlite_temp_master' ? { tempViews: params.tempViews?.() ?? [] } : {}),
  };
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

/**
 * `table_info(v)` of a view `v`: its rows, worked out now (the catalog keeps only the view's SQL);
 * for table_list, every view's (which it counts).
 */
function viewRows(
  table: VirtualTable,
  name: string | null,
  params: ParamCollector,
): { rows: unknown[][] } | { views: Map<string, unknown[][]> } | Record<string, never> {
  if (table === 'table_list') return { views: everyViewInfo(params, false) };
  if ((table !== 'table_info' && table !== 'table_xinfo') || name === null) return {};
  const rows = params.viewInfo?.(name, table === 'table_xinfo') ?? null;
  return rows === null ? {} : { rows };
}

/** table_info (or table_xinfo) rows of every view, by lower-cased name, worked out now. */
export function everyViewInfo(params: ParamCollector, extended: boolean): Map<string, unknown[][]> {
  const views = new Map<string, unknown[][]>();
  for (const v of params.viewNames?.() ?? []) {
    const rows = params.viewInfo?.(v, extended) ?? null;
    if (rows !== null) views.set(v.toLowerCase(), rows);
  }
  return views;
}

/** SELECT * over a catalog PRAGMA's virtual table. */
export function catalogPragma(
  table: VirtualTable,
  value: string | null,
  params: ParamCollector,
  mainOnly = false,
): SelectStmt {
  const arg = value === null ? null : E.literal(value, 'text');
  const cols = VIRTUAL_COLUMNS[table];
  const columns: OutputColumn[] = cols.map((c) => ({ name: c.name, type: c.type, nullable: c.nullable }));
  const plan = L.project(
    L.virtual({
      table,
      arg,
      ...viewRows(table, value, params),
      ...(mainOnly ? { mainOnly: true as const } : {}),
    }),
    cols.map((c, i) => ({ expr: E.column(i, [], c.type, c.name), name: c.name })),
  );
  return { kind: 'select', plan, columns, collection: null };
}
