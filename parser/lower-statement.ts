/**
 * The SQL front end's entry point: SQL text → LoweredStatement (parser/ir.ts). Parses with the
 * project's recursive-descent parser (parser/sql/), resolves names against the catalog, types
 * literals and collects parameters. DML/DDL lowering lives here; SELECT in lower-select.ts.
 */
import type { CompiledSchema } from '../storage/schema/compile';
import type { CollectionSchema } from '../storage/schema/normalize';
import type {
  Constraint,
  FieldDescriptor,
  IndexDescriptor,
  TypeDescriptor,
} from '../storage/schema/descriptors';
import { DataError, ModelVaultError, NotSupportedError, ProgrammingError, QueryError } from '../src/errors';
import { parseSql } from './sql/parse';
import type { ColumnDefAst, SqlExpr, StatementAst } from './sql/ast';
import type { LoweredStatement, Statement } from './ir';
import { ParamCollector, lowerExpr, numberLiteral, resolveColumn } from './lower-expr';
import type { ExprContext, TableScope } from './lower-expr';
import { lowerSelect } from './lower-select';

export interface CatalogReader {
  collection(name: string): { schema: CollectionSchema; compiled: CompiledSchema } | undefined;
  /** All collection names (for SQLite's case-insensitive table names). */
  names?(): string[];
}

/** SQLite table names are case-insensitive: exact match first, then any case. */
function findTable(
  catalog: CatalogReader,
  name: string,
): { schema: CollectionSchema; compiled: CompiledSchema } | undefined {
  const exact = catalog.collection(name);
  if (exact || !catalog.names) return exact;
  const other = catalog.names().find((n) => n.toLowerCase() === name.toLowerCase());
  return other ? catalog.collection(other) : undefined;
}

function scopeFor(catalog: CatalogReader, name: string, alias: string | null, sql: string): TableScope {
  const table = findTable(catalog, name);
  if (!table) throw new ProgrammingError(`no such table: ${name}`, 'NO_SUCH_COLLECTION', { sql });
  const qualifiers = [name.toLowerCase(), table.schema.name.toLowerCase()];
  if (alias) qualifiers.push(alias.toLowerCase());
  return { schema: table.schema, compiled: table.compiled, qualifiers };
}

/** Expressions over a table's rows (WHERE, SET), without aggregates. */
function rowContext(scope: TableScope, params: ParamCollector, sql: string): ExprContext {
  return { scope, params, sql, aggregates: null, allowAggregates: false, allowColumns: true };
}

function constContext(scope: TableScope, params: ParamCollector, sql: string): ExprContext {
  return { scope, params, sql, aggregates: null, allowAggregates: false, allowColumns: false };
}

/** Top-level field index for a column name of an INSERT/UPDATE target. */
function fieldIndex(scope: TableScope, name: string, sql: string): number {
  const parts = name.split('.');
  const found = resolveColumn(scope, parts);
  if (!found || found.acc.sub.length > 0) {
    if (found)
      throw new NotSupportedError(`assigning to a path inside an object column (${name})`, 'NOT_SUPPORTED', {
        sql,
      });
    throw new QueryError(`table ${scope.schema.name} has no column named ${name}`, 'QUERY', { sql });
  }
  return found.acc.column;
}

function isHidden(path: readonly string[]): boolean {
  return path.length === 1 && path[0].startsWith('__');
}

function lowerInsert(
  ast: Extract<StatementAst, { t: 'insert' }>,
  catalog: CatalogReader,
  params: ParamCollector,
  sql: string,
): Statement {
  const scope = scopeFor(catalog, ast.table, null, sql);
  const columns = ast.columns
    ? ast.columns.map((c) => fieldIndex(scope, c, sql))
    : scope.schema.fields.map((f, i) => (isHidden(f.path) ? -1 : i)).filter((i) => i >= 0);
  if (new Set(columns).size !== columns.length)
    throw new ProgrammingError('a column is named twice in the INSERT column list', 'PROGRAMMING', { sql });
  const cx = constContext(scope, params, sql);
  const rows = ast.rows.map((row, r) => {
    if (row.length !== columns.length) {
      throw new ProgrammingError(
        ast.columns
          ? `${columns.length} columns but ${row.length} values in row ${r + 1}`
          : `table ${scope.schema.name} has ${columns.length} columns but ${row.length} values were supplied`,
        'PROGRAMMING',
        { sql },
      );
    }
    return row.map((e) => lowerExpr(e, cx));
  });
  return {
    kind: 'insert',
    collection: scope.schema.name,
    columns,
    rows,
    conflict: ast.or === 'ignore' ? 'ignore' : ast.or === 'replace' ? 'replace' : 'abort',
    doNothing: ast.doNothing,
  };
}

function lowerUpdate(
  ast: Extract<StatementAst, { t: 'update' }>,
  catalog: CatalogReader,
  params: ParamCollector,
  sql: string,
): Statement {
  const scope = scopeFor(catalog, ast.table, null, sql);
  const cx = rowContext(scope, params, sql);
  const sets = ast.sets.map((s) => ({
    column: fieldIndex(scope, s.column, sql),
    expr: lowerExpr(s.expr, cx),
  }));
  if (new Set(sets.map((s) => s.column)).size !== sets.length)
    throw new ProgrammingError('a column is assigned twice in UPDATE', 'PROGRAMMING', { sql });
  return {
    kind: 'update',
    collection: scope.schema.name,
    sets,
    where: ast.where ? lowerExpr(ast.where, cx) : null,
  };
}

// ───────────────────────────── DDL ─────────────────────────────

const TYPE_MAP: Record<string, TypeDescriptor> = {
  INTEGER: 'int64',
  INT: 'int64',
  BIGINT: 'int64',
  SMALLINT: 'int64',
  TINYINT: 'int64',
  MEDIUMINT: 'int64',
  INT8: 'int64',
  INT64: 'int64',
  'UNSIGNED BIG INT': 'uint64',
  REAL: 'float64',
  DOUBLE: 'float64',
  'DOUBLE PRECISION': 'float64',
  FLOAT: 'float64',
  NUMERIC: 'float64',
  DECIMAL: 'float64',
  TEXT: 'string',
  VARCHAR: 'string',
  'VARYING CHARACTER': 'string',
  NVARCHAR: 'string',
  CHAR: 'string',
  CHARACTER: 'string',
  NCHAR: 'string',
  CLOB: 'string',
  STRING: 'string',
  BLOB: 'bytes',
  BOOLEAN: 'bool',
  BOOL: 'bool',
  UUID: 'uuid',
  TIMESTAMP: 'timestamp',
  DATETIME: 'timestamp',
  DATE: 'timestamp',
};

/** A constant DEFAULT/CHECK operand as a JS value. */
function constValue(e: SqlExpr, sql: string): unknown {
  if (e.t === 'num') return (numberLiteral(e.text, false) as { value: unknown }).value;
  if (e.t === 'unary' && e.op === '-' && e.arg.t === 'num')
    return (numberLiteral(e.arg.text, true) as { value: unknown }).value;
  if (e.t === 'str') return e.value;
  if (e.t === 'null') return null;
  if (e.t === 'bool') return e.value ? 1 : 0;
  if (e.t === 'blob') return Buffer.from(e.hex, 'hex');
  throw new NotSupportedError(
    `non-constant expression ${sql.slice(e.start, e.end)} in a column definition`,
    'NOT_SUPPORTED',
    { sql },
  );
}

function defaultFor(type: TypeDescriptor, e: SqlExpr, sql: string): unknown {
  const v = constValue(e, sql);
  if (v === null) return undefined;
  if (type === 'bool' && (v === 0 || v === 1)) return v === 1;
  if (type === 'float64' && typeof v === 'bigint') return Number(v);
  if (type === 'timestamp' && (typeof v === 'string' || typeof v === 'number')) {
    const d = new Date(v);
    if (Number.isNaN(d.getTime()))
      throw new DataError(`DEFAULT ${String(v)} is not a timestamp`, 'TYPE_MISMATCH', { sql });
    return d;
  }
  return v;
}

/** CHECK (col IN (...)) → enum, CHECK (col >= n) and friends → min/max constraints. */
function applyCheck(
  check: SqlExpr,
  col: ColumnDefAst,
  base: { type: TypeDescriptor; constraints: Constraint[] },
  sql: string,
): void {
  const isSelf = (e: SqlExpr): boolean =>
    e.t === 'col' && e.parts.length === 1 && e.parts[0].toLowerCase() === col.name.toLowerCase();
  const unsupported = (): never => {
    throw new NotSupportedError(
      `CHECK (${sql.slice(check.start, check.end)}) — supported: col IN (...), col >= n, col > n, col <= n, col < n, col BETWEEN a AND b`,
      'NOT_SUPPORTED',
      { sql },
    );
  };
  if (check.t === 'in' && !check.not && isSelf(check.arg)) {
    const values = check.list.map((x) => constValue(x, sql));
    if (base.type !== 'string' || !values.every((v) => typeof v === 'string')) unsupported();
    base.type = { enum: values as string[] };
    return;
  }
  if (check.t === 'between' && !check.not && isSelf(check.arg)) {
    base.constraints.push(
      { min: constValue(check.lo, sql) as number },
      { max: constValue(check.hi, sql) as number },
    );
    return;
  }
  if (check.t === 'bin' && ['<', '<=', '>', '>='].includes(check.op)) {
    const [op, other] = isSelf(check.l)
      ? [check.op, check.r]
      : isSelf(check.r)
        ? [{ '<': '>', '<=': '>=', '>': '<', '>=': '<=' }[check.op] as string, check.l]
        : unsupported();
    const v = constValue(other, sql);
    if (typeof v !== 'number' && typeof v !== 'bigint') return unsupported();
    const isInt = base.type === 'int64' || base.type === 'uint64';
    if ((op === '>' || op === '<') && !isInt) return unsupported(); // strict bounds only have an exact form for integers
    const n = typeof v === 'bigint' ? v : v;
    if (op === '>=') base.constraints.push({ min: n });
    else if (op === '>') base.constraints.push({ min: typeof n === 'bigint' ? n + 1n : n + 1 });
    else if (op === '<=') base.constraints.push({ max: n });
    else base.constraints.push({ max: typeof n === 'bigint' ? n - 1n : n - 1 });
    return;
  }
  if (check.t === 'bin' && check.op === 'AND') {
    applyCheck(check.l, col, base, sql);
    applyCheck(check.r, col, base, sql);
    return;
  }
  unsupported();
}

function columnField(col: ColumnDefAst, isPk: boolean, tableChecks: SqlExpr[], sql: string): FieldDescriptor {
  const typeName = col.typeName.trim();
  if (!typeName)
    throw new NotSupportedError(
      `column ${col.name} needs a declared type (ModelVault columns are strictly typed)`,
      'NOT_SUPPORTED',
      { sql },
    );
  const mapped = TYPE_MAP[typeName] ?? (/^UNSIGNED /.test(typeName) ? undefined : undefined);
  if (!mapped) throw new NotSupportedError(`column type ${typeName}`, 'NOT_SUPPORTED', { sql });
  const base: { type: TypeDescriptor; constraints: Constraint[] } = { type: mapped, constraints: [] };
  if (mapped === 'string' && col.typeArgs.length === 1 && /CHAR/.test(typeName))
    base.constraints.push({ maxLength: col.typeArgs[0] });
  for (const check of [...col.checks, ...tableChecks]) applyCheck(check, col, base, sql);
  const nullable = !col.notNull && !isPk;
  const field: FieldDescriptor = {
    path: col.name.includes('.') ? col.name.split('.') : col.name,
    type: nullable ? { optional: base.type } : base.type,
    constraints: base.constraints,
  };
  if (col.defaultValue) {
    const d = defaultFor(base.type, col.defaultValue, sql);
    if (d !== undefined) field.default = d;
  }
  return field;
}

/** Table CHECKs that mention exactly one column attach to it. */
function checksByColumn(
  checks: readonly SqlExpr[],
  columns: readonly ColumnDefAst[],
  sql: string,
): Map<string, SqlExpr[]> {
  const out = new Map<string, SqlExpr[]>();
  const names = (e: SqlExpr, acc: Set<string>): Set<string> => {
    if (e.t === 'col') acc.add(e.parts.join('.').toLowerCase());
    for (const v of Object.values(e))
      if (v && typeof v === 'object' && 't' in (v as object)) names(v as SqlExpr, acc);
    if (e.t === 'in') e.list.forEach((x) => names(x, acc));
    return acc;
  };
  for (const c of checks) {
    const used = [...names(c, new Set())];
    const col = columns.find((x) => x.name.toLowerCase() === used[0]);
    if (used.length !== 1 || !col)
      throw new NotSupportedError(
        `CHECK (${sql.slice(c.start, c.end)}) over several columns`,
        'NOT_SUPPORTED',
        { sql },
      );
    out.set(col.name, [...(out.get(col.name) ?? []), c]);
  }
  return out;
}

function safeName(s: string): string {
  return s.replace(/[^A-Za-z0-9_]/g, '_');
}

function lowerCreateTable(ast: Extract<StatementAst, { t: 'createTable' }>, sql: string): Statement {
  const pkCols = ast.columns.filter((c) => c.primaryKey).map((c) => c.name);
  if (ast.primaryKey) pkCols.push(...ast.primaryKey);
  if (pkCols.length > 1) throw new NotSupportedError('composite PRIMARY KEY', 'NOT_SUPPORTED', { sql });
  const seen = new Set<string>();
  for (const c of ast.columns) {
    const k = c.name.toLowerCase();
    if (seen.has(k)) throw new ProgrammingError(`duplicate column name: ${c.name}`, 'SCHEMA', { sql });
    seen.add(k);
  }
  const pkName = pkCols[0];
  const pkDef =
    pkName === undefined ? undefined : ast.columns.find((c) => c.name.toLowerCase() === pkName.toLowerCase());
  if (pkName !== undefined && !pkDef)
    throw new ProgrammingError(`PRIMARY KEY names unknown column ${pkName}`, 'SCHEMA', { sql });
  const tableChecks = checksByColumn(ast.checks, ast.columns, sql);
  const fields = ast.columns.map((c) => columnField(c, c === pkDef, tableChecks.get(c.name) ?? [], sql));
  let primaryKey: string;
  let autoIncrementKey = false;
  if (pkDef) {
    primaryKey = pkDef.name;
    autoIncrementKey = pkDef.typeName === 'INTEGER';
  } else {
    primaryKey = '__rowid';
    fields.push({ path: '__rowid', type: 'int64' });
    autoIncrementKey = true;
  }
  const indexes: IndexDescriptor[] = [];
  const uniqueCols = [
    ...ast.columns.filter((c) => c.unique && c !== pkDef).map((c) => [c.name]),
    ...ast.uniques,
  ];
  for (const cols of uniqueCols) {
    if (cols.length !== 1)
      throw new NotSupportedError('UNIQUE over several columns', 'NOT_SUPPORTED', { sql });
    if (pkDef && cols[0].toLowerCase() === pkDef.name.toLowerCase()) continue;
    const def = ast.columns.find((c) => c.name.toLowerCase() === cols[0].toLowerCase());
    if (!def) throw new ProgrammingError(`UNIQUE names unknown column ${cols[0]}`, 'SCHEMA', { sql });
    indexes.push({
      name: `${safeName(ast.name)}_${safeName(def.name)}_unique`,
      path: def.name.includes('.') ? def.name.split('.') : def.name,
      kind: 'unique',
    });
  }
  const notNull = ast.columns.filter((c) => c.notNull || c === pkDef).map((c) => c.name);
  return {
    kind: 'createTable',
    name: ast.name,
    ifNotExists: ast.ifNotExists,
    fields,
    primaryKey,
    indexes,
    autoIncrementKey,
    notNull,
  };
}

function lowerDdl(ast: StatementAst, catalog: CatalogReader, sql: string): Statement {
  switch (ast.t) {
    case 'createTable':
      return lowerCreateTable(ast, sql);
    case 'dropTable':
      return {
        kind: 'dropTable',
        name: findTable(catalog, ast.name)?.schema.name ?? ast.name,
        ifExists: ast.ifExists,
      };
    case 'createIndex': {
      if (ast.columns.length !== 1)
        throw new NotSupportedError('indexes over several columns', 'NOT_SUPPORTED', { sql });
      const scope = scopeFor(catalog, ast.table, null, sql);
      const found = resolveColumn(scope, ast.columns[0].split('.'));
      if (!found) throw new QueryError(`no such column: ${ast.columns[0]}`, 'QUERY', { sql });
      return {
        kind: 'createIndex',
        name: ast.name,
        collection: scope.schema.name,
        path: found.path.join('.'),
        unique: ast.unique,
        ifNotExists: ast.ifNotExists,
      };
    }
    case 'dropIndex':
      return { kind: 'dropIndex', name: ast.name, ifExists: ast.ifExists };
    case 'addColumn': {
      const scope = scopeFor(catalog, ast.table, null, sql);
      if (ast.column.primaryKey || ast.column.unique)
        throw new NotSupportedError('ADD COLUMN with PRIMARY KEY or UNIQUE', 'NOT_SUPPORTED', { sql });
      if (ast.column.notNull && !ast.column.defaultValue)
        throw new ProgrammingError('Cannot add a NOT NULL column with default value NULL', 'SCHEMA', { sql });
      return {
        kind: 'addColumn',
        collection: scope.schema.name,
        field: columnField(ast.column, false, [], sql),
      };
    }
    default:
      throw new ProgrammingError(`not a DDL statement: ${ast.t}`, 'PROGRAMMING', { sql });
  }
}

export function lowerStatement(sql: string, catalog: CatalogReader): LoweredStatement {
  try {
    const ast = parseSql(sql);
    const params = new ParamCollector(sql);
    let stmt: Statement;
    switch (ast.t) {
      case 'select':
        stmt = lowerSelect(ast, scopeFor(catalog, ast.table, ast.tableAlias, sql), params, sql);
        break;
      case 'explain':
        stmt = {
          kind: 'explain',
          select: lowerSelect(
            ast.select,
            scopeFor(catalog, ast.select.table, ast.select.tableAlias, sql),
            params,
            sql,
          ),
        };
        break;
      case 'insert':
        stmt = lowerInsert(ast, catalog, params, sql);
        break;
      case 'update':
        stmt = lowerUpdate(ast, catalog, params, sql);
        break;
      case 'delete': {
        const scope = scopeFor(catalog, ast.table, null, sql);
        const cx = rowContext(scope, params, sql);
        stmt = {
          kind: 'delete',
          collection: scope.schema.name,
          where: ast.where ? lowerExpr(ast.where, cx) : null,
        };
        break;
      }
      case 'begin':
      case 'commit':
      case 'rollback':
        stmt = { kind: ast.t };
        break;
      default:
        stmt = lowerDdl(ast, catalog, sql);
    }
    return { sql, stmt, params: params.info() };
  } catch (err) {
    if (err instanceof ModelVaultError) throw err;
    // A defect in the front end must still surface as a library error, never a raw TypeError.
    throw new ProgrammingError(
      `could not compile statement: ${err instanceof Error ? err.message : String(err)}`,
      'PROGRAMMING',
      { sql, cause: err },
    );
  }
}
