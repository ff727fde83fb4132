/**
 * ALTER TABLE … RENAME TO and RENAME [COLUMN] … TO lowering: names are checked against the catalog
 * the way SQLite checks them (tables and indexes share one case-insensitive namespace; a column's
 * new name must not clash with another column). Only top-level declared columns can be renamed.
 */
import { ProgrammingError, QueryError, SchemaError } from '../src/errors';
import type { RenameColumnStmt, RenameTableStmt } from './ir';
import type { StatementAst } from './sql/ast';
import type { CatalogReader } from './scope';
import { findTable, isHidden, scopeFor } from './scope';

type Ast<T extends StatementAst['t']> = Extract<StatementAst, { t: T }>;

/** Every table and index name in the catalog, lower-cased. */
function objectNames(catalog: CatalogReader): Set<string> {
  const out = new Set<string>();
  for (const name of catalog.names?.() ?? []) {
    out.add(name.toLowerCase());
    for (const ix of catalog.collection(name)?.schema.indexes ?? []) out.add(ix.name.toLowerCase());
  }
  return out;
}

export function lowerRenameTable(
  ast: Ast<'renameTable'>,
  catalog: CatalogReader,
  sql: string,
): RenameTableStmt {
  const table = findTable(catalog, ast.table);
  if (!table) throw new ProgrammingError(`no such table: ${ast.table}`, 'NO_SUCH_COLLECTION', { sql });
  if (ast.to.toLowerCase().startsWith('sqlite_'))
    throw new SchemaError(`object name reserved for internal use: ${ast.to}`, 'SCHEMA', { sql });
  // As in SQLite, the table's own name (in any case) is taken too.
  if (objectNames(catalog).has(ast.to.toLowerCase()))
    throw new SchemaError(`there is already another table or index with this name: ${ast.to}`, 'SCHEMA', {
      sql,
    });
  return { kind: 'renameTable', from: table.schema.name, to: ast.to };
}

export function lowerRenameColumn(
  ast: Ast<'renameColumn'>,
  catalog: CatalogReader,
  sql: string,
): RenameColumnStmt {
  const scope = scopeFor(catalog, ast.table, null, sql);
  const fields = scope.schema.fields;
  const named = (name: string): number =>
    fields.findIndex(
      (f) => f.path.length === 1 && !isHidden(f.path) && f.path[0].toLowerCase() === name.toLowerCase(),
    );
  const column = named(ast.from);
  if (column < 0) throw new QueryError(`no such column: "${ast.from}"`, 'QUERY', { sql });
  const other = named(ast.to);
  if (other >= 0 && other !== column)
    throw new SchemaError(
      `error in table ${scope.schema.name} after rename: duplicate column name: ${ast.to}`,
      'SCHEMA',
      { sql },
    );
  // A dot would make the name a nested path; a leading "__" would hide the column.
  if (ast.to.includes('.') || isHidden([ast.to]))
    throw new SchemaError(`column name ${ast.to} is not allowed (no '.', no leading '__')`, 'SCHEMA', {
      sql,
    });
  return { kind: 'renameColumn', collection: scope.schema.name, column, to: ast.to };
}
