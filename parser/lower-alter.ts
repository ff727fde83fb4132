/**
 * ALTER TABLE … RENAME TO, RENAME [COLUMN] … TO and DROP [COLUMN] lowering: names are checked against the catalog
 * the way SQLite checks them (tables and indexes share one case-insensitive namespace; a column's
 * new name must not clash with another column). Only top-level declared columns can be renamed.
 */
import { indexReadsColumn } from './index-sql';
import {
  columnsRead,
  loweredGenerated,
  missingColumnText,
  renamedIndexStatement,
  renamedInExpression,
} from './generated-sql';
import { loweredChecks } from './check-sql';
import { ProgrammingError, QueryError, SchemaError } from '../src/errors';
import type { DropColumnStmt, RenameColumnStmt, RenameTableStmt } from './ir';
import { indexPaths, keyIndexOf } from '../storage/schema/normalize';
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
  // SQLite rewrites the table name inside each index's statement: so do partial and expression
  // indexes, whose statement is what their keys are computed from.
  const rename = { table: { from: table.schema.name, to: ast.to } };
  const indexSql = table.schema.indexes.flatMap((ix) =>
    ix.sql === undefined ? [] : [{ name: ix.name, sql: renamedIndexStatement(ix.sql, rename) }],
  );
  const stmt: RenameTableStmt = { kind: 'renameTable', from: table.schema.name, to: ast.to };
  return indexSql.length === 0 ? stmt : { ...stmt, indexSql };
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
  const from = fields[column].path[0];
  // SQLite rewrites the statement of each index that reads the column (key or WHERE).
  const indexSql = scope.schema.indexes.flatMap((ix) =>
    ix.sql !== undefined && indexReadsColumn(scope.schema, scope.compiled, ix, column)
      ? [{ name: ix.name, sql: renamedIndexStatement(ix.sql, { column: { from, to: ast.to } }) }]
      : [],
  );
  const generated = [...loweredGenerated(scope.schema, scope.compiled)]
    .filter(([, e]) => columnsRead(e).has(column))
    .map(([c]) => ({ column: c, sql: renamedInExpression(fields[c].generated?.sql ?? '', from, ast.to) }));
  // The CHECKs kept as SQL that read the column, rewritten; the others as they are.
  const lowered = loweredChecks(scope.schema, scope.compiled);
  const all = scope.schema.checks ?? [];
  const reads = (i: number): boolean => columnsRead(lowered[i]).has(column);
  const touched = (i: number): boolean => all[i].column === from || reads(i);
  const checks = all.some((_c, i) => touched(i))
    ? all.map((c, i) =>
        touched(i)
          ? {
              ...c,
              sql: reads(i) ? renamedInExpression(c.sql, from, ast.to) : c.sql,
              ...(c.column === from ? { column: ast.to } : {}),
            }
          : c,
      )
    : null;
  const stmt: RenameColumnStmt = { kind: 'renameColumn', collection: scope.schema.name, column, to: ast.to };
  return {
    ...stmt,
    ...(generated.length === 0 ? {} : { generated }),
    ...(checks === null ? {} : { checks }),
    ...(indexSql.length === 0 ? {} : { indexSql }),
  };
}

/**
 * ALTER TABLE … DROP [COLUMN]: SQLite's rules for what may go, with its messages, in its order —
 * not a key column, not the only column, not in a UNIQUE constraint or an index, not a child
 * column of a multi-column foreign key. (A single-column foreign key goes with its column, as
 * SQLite's column-level REFERENCES does.) Views are checked when the statement runs, against the
 * catalog without the column (cursor/write-statements.ts).
 */
export function lowerDropColumn(ast: Ast<'dropColumn'>, catalog: CatalogReader, sql: string): DropColumnStmt {
  const scope = scopeFor(catalog, ast.table, null, sql);
  const schema = scope.schema;
  const lower = ast.column.toLowerCase();
  const column = schema.fields.findIndex(
    (f) => f.path.length === 1 && !isHidden(f.path) && f.path[0].toLowerCase() === lower,
  );
  if (column < 0) throw new QueryError(`no such column: "${ast.column}"`, 'QUERY', { sql });
  const name = schema.fields[column].path[0];
  const fail = (message: string): never => {
    throw new SchemaError(message, 'SCHEMA', { sql });
  };
  const uses = (paths: readonly (readonly string[])[]): boolean => paths.some((p) => p[0] === name);
  const keyIndex = keyIndexOf(schema);
  if (keyIndex ? uses(indexPaths(keyIndex)) : schema.primaryKey[0] === name)
    fail(`cannot drop PRIMARY KEY column: "${name}"`);
  const autoIndex = (ix: { name: string }): boolean =>
    ix.name.toLowerCase().startsWith(`sqlite_autoindex_${schema.name.toLowerCase()}_`);
  if (schema.indexes.some((ix) => autoIndex(ix) && indexPaths(ix).length === 1 && uses(indexPaths(ix))))
    fail(`cannot drop UNIQUE column: "${name}"`);
  if (schema.fields.filter((f) => f.path.length === 1 && !isHidden(f.path)).length <= 1)
    fail(`cannot drop column "${name}": no other columns exist`);
  const after = `error in table ${schema.name} after drop column`;
  const others = schema.fields.filter((f, i) => i !== column && f.path.length === 1 && !isHidden(f.path));
  if (others.every((f) => f.generated !== undefined))
    fail(`${after}: must have at least one non-generated column`);
  for (const [c, e] of loweredGenerated(schema, scope.compiled))
    if (c !== column && columnsRead(e).has(column))
      fail(`${after}: ${missingColumnText(schema.fields[c].generated?.sql ?? '', name)}`);
  // A CHECK declared on the column goes with it; another that reads it is an error.
  loweredChecks(schema, scope.compiled).forEach((e, i) => {
    const check = schema.checks?.[i];
    if (check && check.column !== name && columnsRead(e).has(column))
      fail(`${after}: ${missingColumnText(check.sql, name)}`);
  });
  for (const fk of schema.foreignKeys ?? [])
    if (fk.columns.length > 1 && fk.columns.some((c) => c.toLowerCase() === lower))
      fail(`${after}: unknown column "${name}" in foreign key definition`);
  for (const ix of schema.indexes) {
    const used =
      ix.sql === undefined ? uses(indexPaths(ix)) : indexReadsColumn(schema, scope.compiled, ix, column);
    if (ix === keyIndex || !used) continue;
    fail(
      autoIndex(ix)
        ? `${after}: no such column: ${name}`
        : `error in index ${ix.name} after drop column: no such column: ${name}`,
    );
  }
  return { kind: 'dropColumn', collection: schema.name, column };
}
