/**
 * CREATE TABLE … AS SELECT lowering: the query is lowered like any SELECT, and its result columns
 * become the new table's columns, named as SQLite names them (a repeated name gets `:1`, `:2`, …).
 * The column types are decided from the rows when the statement runs (planner/create-as.ts).
 */
import { NotSupportedError, SchemaError } from '../src/errors';
import type { CreateTableAsStmt } from './ir';
import type { StatementAst } from './sql/ast';
import type { ParamCollector } from './params';
import type { CatalogReader } from './scope';
import { findTable, isHidden } from './scope';
import { fromScope } from './lower-from';
import { lowerSelect } from './lower-select';
import { lowerCompound } from './lower-compound';

type Ast<T extends StatementAst['t']> = Extract<StatementAst, { t: T }>;

/** SQLite's naming of CREATE TABLE AS columns: a name already taken (any case) gets `:N`. */
function uniqueNames(names: readonly string[]): string[] {
  const taken = new Set<string>();
  return names.map((name) => {
    let out = name;
    for (let n = 1; taken.has(out.toLowerCase()); n++) out = `${name}:${n}`;
    taken.add(out.toLowerCase());
    return out;
  });
}

export function lowerCreateTableAs(
  ast: Ast<'createTableAs'>,
  catalog: CatalogReader,
  params: ParamCollector,
  sql: string,
): CreateTableAsStmt {
  // As in SQLite, an existing table makes IF NOT EXISTS a no-op before the query is even looked at.
  if (ast.ifNotExists && findTable(catalog, ast.name))
    return { kind: 'createTableAs', name: ast.name, ifNotExists: true, select: null, columns: [] };
  const lower = ast.name.toLowerCase();
  for (const table of catalog.names?.() ?? [])
    if (catalog.collection(table)?.schema.indexes.some((ix) => ix.name.toLowerCase() === lower))
      throw new SchemaError(`there is already an index named ${ast.name}`, 'SCHEMA', { sql });
  const sel = ast.select;
  const select =
    sel.t === 'compound'
      ? lowerCompound(sel, catalog, params, sql)
      : lowerSelect(sel, fromScope(sel, catalog, params, sql), params, sql);
  const names = uniqueNames(select.columns.map((c) => c.name));
  for (const name of names) {
    // A '.' would make the name a nested path, a leading '__' a hidden field.
    if (name.includes('.') || isHidden([name]) || name.length === 0)
      throw new NotSupportedError(
        `CREATE TABLE ... AS: column name '${name}' cannot be a ModelVault column name (give it an alias)`,
        'NOT_SUPPORTED',
        { sql },
      );
  }
  if (ast.name.toLowerCase().startsWith('sqlite_'))
    throw new SchemaError(`object name reserved for internal use: ${ast.name}`, 'SCHEMA', { sql });
  return {
    kind: 'createTableAs',
    name: ast.name,
    ifNotExists: ast.ifNotExists,
    select,
    columns: names.map((name, i) => ({ name, type: select.columns[i].type })),
  };
}
