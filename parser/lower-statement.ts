/**
 * The SQL front end's entry point: SQL text → LoweredStatement (parser/ir.ts). Parses with the
 * project's recursive-descent parser (parser/sql/), then lowers by statement kind: SELECT in
 * lower-select.ts, DML in lower-dml.ts, DDL in lower-ddl.ts. May import planner/ (expression and
 * plan factories), storage/schema types and src/errors.ts only.
 */
import { InternalError, ModelVaultError, QueryError } from '../src/errors';
import { tooComplexError } from './too-complex';
import { parseSqlSchemas } from './sql/parse';
import type { LoweredStatement, Statement, VacuumStmt } from './ir';
import { lowerExpr } from './lower-expr';
import type { SelectAst, StatementAst } from './sql/ast';
import { ParamCollector } from './params';
import type { CatalogReader } from './scope';
import { findTable } from './scope';
import type { ReindexStmt } from '../planner/ddl-plan';
import { parseCollation } from '../planner/sql-text';
import type { Scope } from './join-scope';
import { fromScope } from './lower-from';
import { lowerSelect, lowerValues } from './lower-select';
import { lowerCompound } from './lower-compound';
import { lowerDelete, lowerInsert, lowerUpdate } from './lower-dml';
import { lowerDdl } from './lower-ddl';
import { lowerCreateTableAs } from './lower-create-as';
import { refuseSystemNames } from './lower-introspect';
import { lowerPragma } from './lower-pragma';
import { withCtes } from './cte-scope';
import { lowerCteBody } from './lower-cte';
import { findView, lowerCreateView, refuseViewWrites } from './lower-view';
import type { WithAst } from './sql/ast';
import type { LogicalPlan } from '../planner/logical';
import { viewColumnRows } from './view-columns';

export type { CatalogEntry, CatalogReader } from './scope';

function selectScope(
  ast: SelectAst,
  catalog: CatalogReader,
  params: ParamCollector,
  sql: string,
): Scope | null {
  return fromScope(ast, catalog, params, sql);
}

/** Statements whose expressions may hold subqueries (DDL's CHECK and DEFAULT may not, as in SQLite). */
const QUERYING: ReadonlySet<StatementAst['t']> = new Set([
  'select',
  'values',
  'compound',
  'explain',
  'explainWrite',
  'insert',
  'update',
  'delete',
  'createTableAs',
]);

function lower(ast: StatementAst, catalog: CatalogReader, params: ParamCollector, sql: string): Statement {
  refuseSystemNames(ast, catalog, sql);
  refuseViewWrites(ast, catalog, sql);
  switch (ast.t) {
    case 'select':
      return lowerSelect(ast, selectScope(ast, catalog, params, sql), params, sql);
    case 'values':
      return lowerValues(ast, params, sql);
    case 'compound':
      return lowerCompound(ast, catalog, params, sql);
    case 'explain': {
      const { select } = ast;
      return {
        kind: 'explain',
        select:
          select.t === 'compound'
            ? lowerCompound(select, catalog, params, sql)
            : lowerSelect(select, selectScope(select, catalog, params, sql), params, sql),
      };
    }
    case 'explainWrite': {
      const w = ast.write;
      if (w.t !== 'update' && w.t !== 'delete')
        throw new InternalError('EXPLAIN of a write other than UPDATE or DELETE', 'INTERNAL');
      return {
        kind: 'explainWrite',
        write: w.t === 'update' ? lowerUpdate(w, catalog, params, sql) : lowerDelete(w, catalog, params, sql),
      };
    }
    case 'insert':
      return lowerInsert(ast, catalog, params, sql);
    case 'update':
      return lowerUpdate(ast, catalog, params, sql);
    case 'delete':
      return lowerDelete(ast, catalog, params, sql);
    case 'createTableAs':
      return lowerCreateTableAs(ast, catalog, params, sql);
    case 'begin':
    case 'commit':
    case 'rollback':
      return { kind: ast.t };
    case 'savepoint':
    case 'release':
    case 'rollbackTo':
      return { kind: ast.t, name: ast.name };
    case 'pragma':
      return lowerPragma(ast, params, sql);
    case 'createView':
      return lowerCreateView(ast, sql);
    case 'dropView':
      return { kind: 'dropView', name: ast.name, ifExists: ast.ifExists };
    case 'analyze':
      return { kind: 'analyze', schema: ast.schema, name: ast.name };
    case 'reindex':
      return lowerReindex(ast, catalog, sql);
    case 'vacuum':
      return lowerVacuum(ast, params, sql);
    default:
      return lowerDdl(ast, catalog, sql);
  }
}

/** The WITH clause that starts a statement (its CTEs are visible to all of it). */
function statementWith(ast: StatementAst): WithAst | undefined {
  switch (ast.t) {
    case 'select':
    case 'compound':
    case 'update':
    case 'delete':
      return ast.with;
    case 'insert':
      return ast.with ?? (ast.source.t === 'select' ? ast.source.select.with : undefined);
    case 'explain':
    case 'createTableAs':
      return ast.select.with;
    default:
      return undefined;
  }
}

/** table_info rows of the view `name`, or null when no view (or a table) has that name. */
function viewInfo(name: string, extended: boolean, catalog: CatalogReader): unknown[][] | null {
  const view = catalog.view?.(name);
  const key = name.toLowerCase();
  if (!view || (catalog.names?.() ?? []).some((t) => t.toLowerCase() === key)) return null;
  const selectAll = (n: string): { names: string[]; plan: LogicalPlan } => {
    const { stmt } = lowerStatement(`SELECT * FROM "${n.replace(/"/g, '""')}"`, catalog);
    if (stmt.kind !== 'select') throw new InternalError('SELECT * lowered to another statement', 'INTERNAL');
    return { names: stmt.columns.map((c) => c.name), plan: stmt.plan };
  };
  return viewColumnRows(view, catalog, selectAll, extended);
}

/**
 * Parse and lower one statement against the catalog. Throws QueryError (SYNTAX) for malformed
 * SQL, NotSupportedError for SQL outside the subset, ProgrammingError / QueryError / DataError /
 * SchemaError for statements that do not fit the catalog — never anything but a ModelVaultError.
 */
export function lowerStatement(sql: string, catalog: CatalogReader): LoweredStatement {
  try {
    const { ast, schemas, unqualified } = parseSqlSchemas(sql);
    catalog.useSchemas?.(schemas, unqualified);
    const params = new ParamCollector(sql);
    params.schemaTableRead = catalog.readsSchemaTable ? (s) => catalog.readsSchemaTable?.(s) : null;
    params.catalogObjectRead = catalog.readsCatalogOf ? (n, s) => catalog.readsCatalogOf?.(n, s) : null;
    params.viewInfo = (name, extended) => viewInfo(name, extended, catalog);
    params.viewNames = () => catalog.viewNames?.() ?? [];
    params.tempViews = () => catalog.tempViews?.() ?? [];
    if (QUERYING.has(ast.t)) {
      // asTable: read as a table (FROM), where a compound's columns take affinity (lowerCompound).
      params.queryLowerer = (q, asTable) => {
        params.nestDepth++;
        try {
          return withCtes(q.with, params, sql, () =>
            q.t === 'compound'
              ? lowerCompound(q, catalog, params, sql, asTable)
              : lowerSelect(q, selectScope(q, catalog, params, sql), params, sql),
          );
        } finally {
          params.nestDepth--;
        }
      };
      params.cteLowerer = (entry) => lowerCteBody(entry, catalog, params, sql);
    }
    const stmt = withCtes(statementWith(ast), params, sql, () => lower(ast, catalog, params, sql));
    return { sql, stmt, params: params.info() };
  } catch (err) {
    if (err instanceof ModelVaultError) throw err;
    throw tooComplexError(err, typeof sql === 'string' ? sql : undefined) ?? internalError(err, sql);
  }
}

/** Anything else is a defect of the front end; it must still surface as a library error. */
function internalError(err: unknown, sql: unknown): InternalError {
  return new InternalError(
    `could not compile statement: ${err instanceof Error ? err.message : String(err)}`,
    'INTERNAL',
    { sql: typeof sql === 'string' ? sql : undefined, cause: err },
  );
}

/**
 * REINDEX's target as SQLite resolves it: no name (everything), a collating sequence (a name
 * SQLite has one for wins over a table of that name), a table or view, or an index; `main.` may qualify
 * the last two. Anything else is SQLite's error.
 */
function lowerReindex(
  ast: Extract<StatementAst, { t: 'reindex' }>,
  catalog: CatalogReader,
  sql: string,
): ReindexStmt {
  const { schema, name } = ast;
  if (name === null) return { kind: 'reindex' };
  const qualified = schema !== null;
  const known =
    (!qualified && parseCollation(name) !== null) ||
    ((!qualified || schema.toLowerCase() === 'main') &&
      (findTable(catalog, name) !== undefined ||
        findView(catalog, name) !== undefined ||
        indexNamed(catalog, name)));
  if (!known) throw new QueryError('unable to identify the object to be reindexed', 'QUERY', { sql });
  return { kind: 'reindex' };
}

/**
 * VACUUM's schema is `main` (also unnamed) or `temp`, any other is SQLite's "unknown database";
 * the INTO target is an expression without columns (a file name literal or a parameter).
 */
function lowerVacuum(
  ast: Extract<StatementAst, { t: 'vacuum' }>,
  params: ParamCollector,
  sql: string,
): VacuumStmt {
  const lower = ast.schema?.toLowerCase() ?? 'main';
  if (lower !== 'main' && lower !== 'temp')
    throw new QueryError(`unknown database ${ast.schema ?? ''}`, 'QUERY', { sql });
  const into =
    ast.into === null
      ? null
      : lowerExpr(ast.into, { scope: null, params, sql, aggregates: null, allowColumns: false });
  return { kind: 'vacuum', schema: lower, into };
}

function indexNamed(catalog: CatalogReader, name: string): boolean {
  const lower = name.toLowerCase();
  return (catalog.names?.() ?? []).some((t) =>
    catalog.collection(t)?.schema.indexes.some((ix) => ix.name.toLowerCase() === lower),
  );
}
