/**
 * Views: CREATE VIEW / DROP VIEW lower to catalog statements (the query is checked when the view
 * is read, as SQLite does), writes to a view are refused, and a FROM source naming a view is
 * lowered like a CTE over the view's stored query (parser/lower-cte.ts), so it works wherever a
 * table is read. A view sees no CTE of the query reading it.
 */
import { NotSupportedError, QueryError } from '../src/errors';
import type { CreateViewStmt } from './ir';
import type { StatementAst } from './sql/ast';
import { parseSql } from './sql/parse';
import type { CteEntry } from './params';
import type { CatalogReader, CatalogView } from './scope';
import { findTable } from './scope';

function containsParam(node: unknown): boolean {
  if (node === null || typeof node !== 'object') return false;
  if ((node as { t?: unknown }).t === 'param') return true;
  return Object.values(node).some(containsParam);
}

export function lowerCreateView(
  ast: Extract<StatementAst, { t: 'createView' }>,
  sql: string,
): CreateViewStmt {
  if (containsParam(ast.select))
    throw new QueryError('parameters are not allowed in views', 'QUERY', { sql });
  return { kind: 'createView', name: ast.name, temp: ast.temp, ifNotExists: ast.ifNotExists, sql: ast.text };
}

/** ALTER TABLE and CREATE INDEX on a view, in SQLite's words. */
function refuseViewDdl(ast: StatementAst, catalog: CatalogReader, sql: string): void {
  if (
    ast.t !== 'addColumn' &&
    ast.t !== 'renameTable' &&
    ast.t !== 'renameColumn' &&
    ast.t !== 'dropColumn' &&
    ast.t !== 'createIndex'
  )
    return;
  if (findTable(catalog, ast.table)) return;
  const view = catalog.view?.(ast.table);
  if (!view) return;
  const message =
    ast.t === 'createIndex'
      ? 'views may not be indexed'
      : ast.t === 'addColumn'
        ? 'Cannot add a column to a view'
        : ast.t === 'dropColumn'
          ? `cannot drop column from view "${view.name}"`
          : `view ${view.name} may not be altered`;
  throw new QueryError(message, 'QUERY', { sql });
}

/**
 * SQLite: "cannot modify v because it is a view"; ModelVault raises it as a NotSupportedError.
 * ALTER TABLE and CREATE INDEX on a view are SQLite's errors.
 */
export function refuseViewWrites(ast: StatementAst, catalog: CatalogReader, sql: string): void {
  refuseViewDdl(ast, catalog, sql);
  if (ast.t !== 'insert' && ast.t !== 'update' && ast.t !== 'delete') return;
  if (findTable(catalog, ast.table)) return;
  const view = catalog.view?.(ast.table);
  if (view)
    throw new NotSupportedError(`cannot modify ${view.name} because it is a view`, 'NOT_SUPPORTED', { sql });
}

/** The view `name` if FROM reads one (a table of that name wins), else undefined. */
export function findView(catalog: CatalogReader, name: string): CatalogView | undefined {
  if (!catalog.view || findTable(catalog, name)) return undefined;
  return catalog.view(name);
}

/** The stored view as a CTE-like entry: its query and column list, parsed from its text. */
export function viewEntry(view: CatalogView): CteEntry {
  const ast = parseSql(view.sql);
  if (ast.t !== 'createView')
    throw new QueryError(`view ${view.name} is stored without a CREATE VIEW statement`, 'QUERY');
  return {
    name: view.name,
    columns: ast.columns,
    query: ast.select,
    visible: 0,
    lowering: false,
    working: null,
    view: true,
  };
}
