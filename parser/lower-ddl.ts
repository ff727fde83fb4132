/**
 * DDL lowering: CREATE TABLE → field/index descriptors for the schema layer (SPEC §6, §7),
 * CREATE/DROP INDEX, DROP TABLE, ALTER TABLE ADD COLUMN. A table without a primary key gets a
 * hidden `__rowid` key; an INTEGER PRIMARY KEY or hidden rowid auto-assigns like SQLite's rowid.
 */
import { lowerIndexSql } from './index-sql';
import { DataError, NotSupportedError, ProgrammingError, QueryError, SchemaError } from '../src/errors';
import { MAX_COLUMNS } from './sql/token-stream';
import type {
  ConflictAlgorithm,
  FieldDescriptor,
  IndexDescriptor,
  TypeDescriptor,
} from '../storage/schema/descriptors';
import type {
  AddColumnStmt,
  CreateIndexStmt,
  CreateTableStmt,
  DropIndexStmt,
  DropTableStmt,
  Statement,
} from './ir';
import type { ColumnDefAst, ConflictPolicyAst, ForeignKeyClauseAst, SqlExpr, StatementAst } from './sql/ast';
import type { ForeignKeyDescriptor } from '../storage/schema/foreign-keys';
import type { CatalogReader } from './scope';
import { findTable, resolvePath, scopeFor, tryColumn } from './scope';
import { constValue } from './literals';
import { applyCheck, checkColumns } from './column-checks';
import { parseCollation } from '../planner/sql-text';
import type { ColumnShape } from './column-checks';
import { declaredMaxLength, primitiveFor } from './column-types';
import { lowerDropColumn, lowerRenameColumn, lowerRenameTable } from './lower-alter';
import { defaultSqlOf, isLiteralDefault } from './lower-default';
import { someSql } from './index-sql';
import { inferGeneratedTypes } from './generated-sql';
import { toFieldDescriptor } from '../storage/schema/normalize';
import type { CheckConstraint } from '../storage/schema/normalize';
import { derivedSqlType } from '../planner/introspect/create-sql';

type Ast<T extends StatementAst['t']> = Extract<StatementAst, { t: T }>;

const HIDDEN_ROWID = '__rowid';

function fieldPath(name: string): string | string[] {
  return name.includes('.') ? name.split('.') : name;
}

/** A DEFAULT literal as a value of the column's type; undefined for DEFAULT NULL (no default). */
function defaultFor(type: TypeDescriptor, e: SqlExpr, sql: string): unknown {
  const v = constValue(e, sql);
  if (v === null) return undefined;
  if (type === 'bool' && (v === 0 || v === 1)) return v === 1;
  if (type === 'float64' && typeof v === 'bigint') return Number(v);
  if (type === 'timestamp' && (typeof v === 'string' || typeof v === 'number')) {
    const d = new Date(v);
    if (Number.isNaN(d.getTime()))
      throw new DataError(`DEFAULT ${String(v)} is not a timestamp`, 'TYPE_MISMATCH', {
        sql,
        offset: e.start,
      });
    return d;
  }
  return v;
}

/** A CHECK with its `CONSTRAINT name`, if it has one, and its column if it is a column constraint. */
interface NamedCheck {
  readonly expr: SqlExpr;
  readonly name: string | null;
  readonly column: string | null;
}

/** The column's own CHECKs, with their names. */
function columnChecks(col: ColumnDefAst): NamedCheck[] {
  return col.checks.map((expr, i) => ({ expr, name: col.checkNames?.[i] ?? null, column: col.name }));
}

/**
 * A CHECK as a typed constraint of its column when it has a form one expresses (parser/
 * column-checks.ts) and no name (a named one is reported by its name, as SQLite does); else
 * it is kept as SQL (`sqlChecks`). All or nothing: a CHECK half expressible stays SQL whole.
 */
function applyOrKeep(
  col: ColumnDefAst,
  shape: ColumnShape,
  check: NamedCheck,
  sql: string,
  sqlChecks: NamedCheck[],
): void {
  if (check.name === null) {
    const trial: ColumnShape = { type: shape.type, constraints: [...shape.constraints] };
    try {
      applyCheck(col.name, trial, check.expr, sql);
      shape.type = trial.type;
      shape.constraints = trial.constraints;
      return;
    } catch (err) {
      if (!(err instanceof NotSupportedError)) throw err;
    }
  }
  sqlChecks.push(check);
}

/** CHECKs kept as SQL, as written, as the catalog keeps them (planner order: parser/check-sql.ts). */
function checkConstraints(checks: readonly NamedCheck[], sql: string): CheckConstraint[] {
  return [...checks]
    .sort((a, b) => a.expr.start - b.expr.start)
    .map((c) => {
      if (someSql(c.expr, (x) => x.t === 'subquery'))
        throw new QueryError('subqueries prohibited in CHECK constraints', 'QUERY', {
          sql,
          offset: c.expr.start,
        });
      return {
        sql: sql.slice(c.expr.start, c.expr.end),
        ...(c.name === null ? {} : { name: c.name }),
        ...(c.column === null ? {} : { column: c.column }),
      };
    });
}

function columnField(
  col: ColumnDefAst,
  isPk: boolean,
  checks: readonly NamedCheck[],
  sql: string,
  required = isPk,
  sqlChecks: NamedCheck[] = [],
): FieldDescriptor {
  // A generated column without one takes its expression's type (inferGeneratedTypes, afterwards).
  if (!col.typeName && !col.generated)
    throw new NotSupportedError(
      `column ${col.name} needs a declared type (ModelVault columns are strictly typed)`,
      'NOT_SUPPORTED',
      { sql, offset: col.start },
    );
  const collation = col.collate === null ? 'binary' : parseCollation(col.collate);
  if (collation === null)
    throw new QueryError(`no such collation sequence: ${col.collate ?? ''}`, 'QUERY', {
      sql,
      offset: col.start,
    });
  // The primary-key tree compares BINARY; SQLite would enforce the key's uniqueness under the
  // collation. (A UNIQUE column's index is ordered under it: NormalizedIndex.collate.)
  if (collation !== 'binary' && isPk)
    throw new NotSupportedError(
      `COLLATE ${collation.toUpperCase()} on a PRIMARY KEY column (column ${col.name})`,
      'NOT_SUPPORTED',
      { sql, offset: col.start },
    );
  const primitive = col.typeName ? primitiveFor(col.typeName) : UNTYPED_PLACEHOLDER;
  if (!primitive)
    throw new NotSupportedError(`column type ${col.typeName} (column ${col.name})`, 'NOT_SUPPORTED', {
      sql,
      offset: col.start,
    });
  const shape: ColumnShape = { type: primitive, constraints: [] };
  const maxLength = declaredMaxLength(col.typeName, col.typeArgs);
  if (maxLength !== null) shape.constraints.push({ maxLength });
  for (const check of checks) applyOrKeep(col, shape, check, sql, sqlChecks);
  const nullable = !col.notNull && !required;
  const field: FieldDescriptor = {
    path: fieldPath(col.name),
    type: nullable ? { optional: shape.type } : shape.type,
    constraints: shape.constraints,
  };
  if (collation !== 'binary') field.collate = collation;
  const notNullConflict = algorithm(col.notNullConflict);
  if (notNullConflict !== undefined && !nullable) field.notNullOnConflict = notNullConflict;
  // Kept only when it differs from the name the type shows anyway (INTEGER, TEXT, REAL, ...).
  const sqlType = declaredSqlType(col.typeText);
  const kind = typeof shape.type === 'string' ? shape.type : 'enum' in shape.type ? 'enum' : primitive;
  if (sqlType !== derivedSqlType(kind)) field.sqlType = sqlType;
  if (col.generated) {
    // The expression is checked (columns, loops, SQLite's refusals) when the table's schema compiles.
    if (required)
      throw new SchemaError('generated columns cannot be part of the PRIMARY KEY', 'SCHEMA', { sql });
    if (col.defaultValue)
      throw new SchemaError('cannot use DEFAULT on a generated column', 'SCHEMA', { sql, offset: col.start });
    // The stored text is parsed again without a query parser: a subquery is refused here, as SQLite does.
    if (someSql(col.generated.expr, (x) => x.t === 'subquery'))
      throw new QueryError('subqueries prohibited in generated columns', 'QUERY', { sql, offset: col.start });
    field.generated = { sql: col.generated.text, stored: col.generated.stored };
  } else if (col.defaultValue && !isLiteralDefault(col.defaultValue))
    field.defaultSql = defaultSqlOf(col.name, col.defaultValue, sql);
  else if (col.defaultValue) {
    const d = defaultFor(primitive, col.defaultValue, sql);
    if (d !== undefined) field.default = d;
  }
  return field;
}

/** The type an untyped generated column has until its expression's type replaces it. */
const UNTYPED_PLACEHOLDER = 'string';

/** A constraint's `ON CONFLICT …` as the catalog keeps it: absent for none and for ABORT, the default. */
function algorithm(policy: ConflictPolicyAst | null | undefined): ConflictAlgorithm | undefined {
  return policy === null || policy === undefined || policy === 'abort' ? undefined : policy;
}

/** SQLite's standard type names read back upper-cased; any other type text is kept as written. */
const STANDARD_TYPES = new Set(['INT', 'INTEGER', 'REAL', 'TEXT', 'BLOB', 'ANY']);

function declaredSqlType(text: string): string {
  return STANDARD_TYPES.has(text.toUpperCase()) ? text.toUpperCase() : text;
}

/**
 * Table-level CHECKs: one that mentions a single column is tried as that column's typed
 * constraint (columnField); the others are kept as SQL (`sqlChecks`).
 */
function checksByColumn(ast: Ast<'createTable'>, sqlChecks: NamedCheck[]): Map<ColumnDefAst, NamedCheck[]> {
  const out = new Map<ColumnDefAst, NamedCheck[]>();
  ast.checks.forEach((expr, i) => {
    const check = { expr, name: ast.checkNames?.[i] ?? null, column: null };
    const used = [...checkColumns(expr)];
    const col = used.length === 1 ? ast.columns.find((x) => x.name.toLowerCase() === used[0]) : undefined;
    if (col) out.set(col, [...(out.get(col) ?? []), check]);
    else sqlChecks.push(check);
  });
  return out;
}

function findColumn(columns: readonly ColumnDefAst[], name: string): ColumnDefAst | undefined {
  const lower = name.toLowerCase();
  return columns.find((c) => c.name.toLowerCase() === lower);
}

interface PrimaryKey {
  /** The one primary-key column, or undefined for none or a key kept in a unique index. */
  column: ColumnDefAst | undefined;
  /**
   * The columns of a key kept in a unique index over a hidden rowid, as a SQLite rowid table
   * keeps it: a composite key, or one column declared COLLATE NOCASE or RTRIM (the primary-key
   * tree compares BINARY; the index compares under the collation). Else empty.
   */
  composite: ColumnDefAst[];
}

function keyColumns(
  ast: Ast<'createTable'>,
  names: readonly string[],
  what: string,
  sql: string,
): ColumnDefAst[] {
  const cols = names.map((n) => {
    const col = findColumn(ast.columns, n);
    if (!col) throw new SchemaError(`${what} names unknown column ${n}`, 'SCHEMA', { sql });
    return col;
  });
  // SQLite accepts a repeated column in a key list; the key means the same without the repeat.
  return cols.filter((c, i) => cols.indexOf(c) === i);
}

function primaryKeyOf(ast: Ast<'createTable'>, sql: string): PrimaryKey {
  const declared = [...ast.columns.filter((c) => c.primaryKey).map((c) => [c.name]), ...ast.primaryKeys];
  if (declared.length > 1)
    throw new SchemaError(`table ${ast.name} has more than one primary key`, 'SCHEMA', { sql });
  const names = declared[0];
  if (names === undefined) return { column: undefined, composite: [] };
  const cols = keyColumns(ast, names, 'PRIMARY KEY', sql);
  const collated =
    cols.length === 1 &&
    !ast.withoutRowid &&
    cols[0].typeName !== 'INTEGER' &&
    cols[0].collate !== null &&
    parseCollation(cols[0].collate) !== 'binary';
  return cols.length === 1 && !collated
    ? { column: cols[0], composite: [] }
    : { column: undefined, composite: cols };
}

interface UniqueIndexes {
  readonly indexes: IndexDescriptor[];
  /** The index of a composite primary key. */
  readonly keyIndex?: string;
}

/**
 * The unique indexes of a table, in the order SQLite creates them (text order: column
 * constraints, then table constraints), which decides which clash a conflict clause meets first,
 * and named as SQLite names them: `sqlite_autoindex_<table>_<n>`. A single-column PRIMARY KEY that
 * is not the rowid takes a number too (its index is the primary key itself here). A composite
 * primary key is one of these indexes: the table keeps a hidden rowid, as a SQLite rowid table
 * does. A constraint over the same columns (in the same order) as an earlier one is the same index.
 */
function uniqueIndexes(ast: Ast<'createTable'>, pk: PrimaryKey, sql: string): UniqueIndexes {
  const indexes: IndexDescriptor[] = [];
  const seen = new Set<string>();
  const keyOf = (cols: readonly ColumnDefAst[]): string =>
    cols.map((c) => c.name.toLowerCase()).join('\u0000');
  const single = pk.column;
  // An INTEGER PRIMARY KEY is the rowid and has no index, except in a WITHOUT ROWID table.
  const singleIndexed = single !== undefined && (ast.withoutRowid || single.typeName !== 'INTEGER');
  if (single) seen.add(keyOf([single]));
  let n = 0;
  let keyIndex: string | undefined;
  const add = (
    cols: readonly ColumnDefAst[],
    policy: ConflictPolicyAst | null | undefined,
    isKey = false,
  ): void => {
    const key = keyOf(cols);
    if (seen.has(key)) return;
    seen.add(key);
    const name = `sqlite_autoindex_${ast.name}_${++n}`;
    if (isKey) keyIndex = name;
    const onConflict = algorithm(policy);
    const conflict = onConflict === undefined ? {} : { onConflict };
    if (cols.length === 1) indexes.push({ name, path: fieldPath(cols[0].name), kind: 'unique', ...conflict });
    else indexes.push({ name, paths: cols.map((c) => fieldPath(c.name)), kind: 'unique', ...conflict });
  };
  for (const col of ast.columns) {
    if (col === single && col.primaryKey && singleIndexed) n++;
    // A collated column PRIMARY KEY is kept in its own index (PrimaryKey.composite), made here.
    if (col.primaryKey && pk.composite.length === 1 && pk.composite[0] === col)
      add([col], col.primaryKeyConflict ?? ast.primaryKeyConflict, true);
    if (col.unique) add([col], col.uniqueConflict);
  }
  const keyAt = ast.uniquesBeforeKey ?? 0;
  const tableKey = (): void => {
    if (pk.composite.length > 0) add(pk.composite, ast.primaryKeyConflict, true);
    else if (singleIndexed && !single.primaryKey) n++;
  };
  ast.uniques.forEach((names, i) => {
    if (i === keyAt && ast.primaryKeys.length > 0) tableKey();
    add(keyColumns(ast, names, 'UNIQUE', sql), ast.uniqueConflicts?.[i]);
  });
  if (keyAt >= ast.uniques.length && ast.primaryKeys.length > 0) tableKey();
  return keyIndex === undefined ? { indexes } : { indexes, keyIndex };
}

/** AUTOINCREMENT is only allowed on the INTEGER PRIMARY KEY (SQLite's rowid alias). */
function autoIncrementOf(ast: Ast<'createTable'>, pk: ColumnDefAst | undefined, sql: string): boolean {
  const declared = ast.pkAutoIncrement || ast.columns.some((c) => c.autoIncrement);
  if (!declared) return false;
  if (!pk || pk.typeName !== 'INTEGER')
    throw new SchemaError('AUTOINCREMENT is only allowed on an INTEGER PRIMARY KEY', 'SCHEMA', { sql });
  return true;
}

function foreignKeyDescriptorOf(columns: string[], ref: ForeignKeyClauseAst): ForeignKeyDescriptor {
  const d: ForeignKeyDescriptor = {
    columns,
    references: ref.columns ? { table: ref.table, columns: [...ref.columns] } : { table: ref.table },
  };
  if (ref.onDelete !== 'noAction') d.onDelete = ref.onDelete;
  if (ref.onUpdate !== 'noAction') d.onUpdate = ref.onUpdate;
  if (ref.deferred) d.deferred = true;
  return d;
}

/**
 * Column REFERENCES and table FOREIGN KEY clauses, in SQLite's declaration order (column
 * constraints first, then table constraints); child names take the declared spelling.
 */
function foreignKeysOf(ast: Ast<'createTable'>, sql: string): ForeignKeyDescriptor[] {
  const out: ForeignKeyDescriptor[] = [];
  const descriptor = foreignKeyDescriptorOf;
  for (const col of ast.columns) {
    const ref = col.references;
    if (!ref) continue;
    if (ref.columns && ref.columns.length !== 1)
      throw new SchemaError(
        `foreign key on ${col.name} should reference only one column of table ${ref.table}`,
        'SCHEMA',
        { sql, offset: col.start },
      );
    out.push(descriptor([col.name], ref));
  }
  for (const fk of ast.foreignKeys ?? []) {
    const cols = fk.columns.map((n) => {
      const col = findColumn(ast.columns, n);
      if (!col) throw new SchemaError(`unknown column "${n}" in foreign key definition`, 'SCHEMA', { sql });
      return col.name;
    });
    if (fk.ref.columns && fk.ref.columns.length !== cols.length)
      throw new SchemaError(
        'number of columns in foreign key does not match the number of columns in the referenced table',
        'SCHEMA',
        { sql },
      );
    out.push(descriptor(cols, fk.ref));
  }
  return out;
}

/** SQLite's column types of a STRICT table (ANY included); any other, or none, is refused. */
const STRICT_TYPES = new Set(['INT', 'INTEGER', 'REAL', 'TEXT', 'BLOB', 'ANY']);

/**
 * A STRICT table admits only SQLite's strict type names, checked before anything ModelVault
 * would refuse so the error is SQLite's. ANY (a column holding any storage class) has no
 * ModelVault type: every column here holds one declared type.
 */
function checkStrictColumns(ast: Ast<'createTable'>, sql: string): void {
  for (const c of ast.columns) checkStrictColumn(ast.name, c, sql, '');
}

/** One column of STRICT table `table`; `prefix` leads SQLite's message (ADD COLUMN says where). */
function checkStrictColumn(table: string, c: ColumnDefAst, sql: string, prefix: string): void {
  if (!c.typeText)
    throw new SchemaError(`${prefix}missing datatype for ${table}.${c.name}`, 'SCHEMA', {
      sql,
      offset: c.start,
    });
  const upper = c.typeText.toUpperCase();
  if (!STRICT_TYPES.has(upper))
    throw new SchemaError(`${prefix}unknown datatype for ${table}.${c.name}: "${c.typeText}"`, 'SCHEMA', {
      sql,
      offset: c.start,
    });
  if (upper === 'ANY')
    throw new NotSupportedError(
      `column type ANY (column ${c.name}): ModelVault columns hold one declared type`,
      'NOT_SUPPORTED',
      { sql, offset: c.start },
    );
}

/** WITHOUT ROWID: the table needs a PRIMARY KEY and has no rowid to AUTOINCREMENT. */
function checkWithoutRowid(ast: Ast<'createTable'>, key: PrimaryKey, sql: string): void {
  if (!key.column && key.composite.length === 0)
    throw new SchemaError(`PRIMARY KEY missing on table ${ast.name}`, 'SCHEMA', { sql });
  if (ast.pkAutoIncrement || ast.columns.some((c) => c.autoIncrement))
    throw new SchemaError('AUTOINCREMENT not allowed on WITHOUT ROWID tables', 'SCHEMA', { sql });
}

export function lowerCreateTable(ast: Ast<'createTable'>, sql: string): CreateTableStmt {
  if (ast.strict) checkStrictColumns(ast, sql);
  const seen = new Set<string>();
  for (const c of ast.columns) {
    const k = c.name.toLowerCase();
    if (seen.has(k))
      throw new SchemaError(`duplicate column name: ${c.name}`, 'SCHEMA', { sql, offset: c.start });
    seen.add(k);
  }
  const key = primaryKeyOf(ast, sql);
  const pk = key.column;
  if (ast.withoutRowid) checkWithoutRowid(ast, key, sql);
  // A WITHOUT ROWID table's key columns are NOT NULL (a rowid table's composite key allows NULLs).
  const keyRequired = (c: ColumnDefAst): boolean =>
    c === pk || (ast.withoutRowid && key.composite.includes(c));
  if (!pk && seen.has(HIDDEN_ROWID))
    throw new SchemaError(
      `column name ${HIDDEN_ROWID} is reserved for the hidden rowid of a table without a primary key`,
      'SCHEMA',
      { sql },
    );
  const sqlChecks: NamedCheck[] = [];
  const tableChecks = checksByColumn(ast, sqlChecks);
  const fields = ast.columns.map((c) =>
    columnField(
      c,
      c === pk,
      [...columnChecks(c), ...(tableChecks.get(c) ?? [])],
      sql,
      keyRequired(c),
      sqlChecks,
    ),
  );
  const checks = checkConstraints(sqlChecks, sql);
  if (ast.columns.every((c) => c.generated))
    throw new SchemaError('must have at least one non-generated column', 'SCHEMA', { sql });
  // A single-column primary key keeps its ON CONFLICT on its field (a composite one on its index).
  const keyConflict = algorithm(pk?.primaryKeyConflict ?? (pk ? ast.primaryKeyConflict : null));
  if (pk && keyConflict !== undefined) fields[ast.columns.indexOf(pk)].keyOnConflict = keyConflict;
  if (!pk) fields.push({ path: HIDDEN_ROWID, type: 'int64' });
  const untyped = ast.columns.flatMap((c, i) => (c.generated && !c.typeName ? [i] : []));
  if (untyped.length > 0) inferGeneratedTypes(ast.name, fields, pk ? pk.name : HIDDEN_ROWID, untyped, sql);
  const { indexes, keyIndex } = uniqueIndexes(ast, key, sql);
  const foreignKeys = foreignKeysOf(ast, sql);
  return {
    kind: 'createTable',
    name: ast.name,
    ifNotExists: ast.ifNotExists,
    fields,
    primaryKey: pk ? pk.name : HIDDEN_ROWID,
    indexes,
    ...(keyIndex === undefined ? {} : { keyIndex }),
    ...(foreignKeys.length === 0 ? {} : { foreignKeys }),
    // Only the exact type name INTEGER makes a rowid alias in SQLite (INT PRIMARY KEY does not);
    // a WITHOUT ROWID table has no rowid, so its INTEGER PRIMARY KEY is an ordinary NOT NULL key.
    autoIncrementKey: ast.withoutRowid ? false : pk ? pk.typeName === 'INTEGER' : true,
    autoIncrement: autoIncrementOf(ast, pk, sql),
    notNull: ast.columns.filter((c) => c.notNull || keyRequired(c)).map((c) => c.name),
    strict: ast.strict,
    withoutRowid: ast.withoutRowid,
    ...(checks.length === 0 ? {} : { checks }),
  };
}

export function lowerCreateIndex(
  ast: Ast<'createIndex'>,
  catalog: CatalogReader,
  sql: string,
): CreateIndexStmt {
  const scope = scopeFor(catalog, ast.table, null, sql);
  if (ast.text !== undefined) {
    // A partial or expression index keeps its statement; its key columns are kept as written.
    const lowered = lowerIndexSql(ast, scope, sql);
    const keyPaths = lowered.paths.map((p) => p.join('.'));
    return {
      kind: 'createIndex',
      name: ast.name,
      collection: scope.schema.name,
      path: keyPaths[0],
      paths: keyPaths,
      desc: ast.columns.map((_, i) => ast.desc?.[i] === true),
      unique: ast.unique,
      ifNotExists: ast.ifNotExists,
      sql: ast.text,
    };
  }
  const paths: string[] = [];
  const desc: boolean[] = [];
  ast.columns.forEach((column, i) => {
    const found = tryColumn(scope, column.split('.'), false);
    if (!found) throw new QueryError(`no such column: ${column}`, 'QUERY', { sql });
    // A repeated column adds nothing to the key (SQLite accepts the repeat).
    if (paths.includes(found.expr.name)) return;
    paths.push(found.expr.name);
    desc.push(ast.desc?.[i] === true);
  });
  return {
    kind: 'createIndex',
    name: ast.name,
    collection: scope.schema.name,
    path: paths[0],
    paths,
    desc,
    unique: ast.unique,
    ifNotExists: ast.ifNotExists,
  };
}

export function lowerAddColumn(ast: Ast<'addColumn'>, catalog: CatalogReader, sql: string): AddColumnStmt {
  const scope = scopeFor(catalog, ast.table, null, sql);
  const col = ast.column;
  const table = scope.schema.name;
  if (scope.schema.strict) checkStrictColumn(table, col, sql, `error in table ${table} after add column: `);
  if (col.primaryKey || col.unique)
    throw new NotSupportedError('ADD COLUMN with PRIMARY KEY or UNIQUE', 'NOT_SUPPORTED', { sql });
  if (resolvePath(scope, col.name.split('.')))
    throw new SchemaError(`duplicate column name: ${col.name}`, 'SCHEMA', { sql });
  if (scope.schema.fields.length >= MAX_COLUMNS)
    throw new QueryError(`too many columns on ${table}`, 'QUERY', { sql, offset: col.start });
  const sqlChecks: NamedCheck[] = [];
  const field = columnField(col, false, columnChecks(col), sql, false, sqlChecks);
  const checks = checkConstraints(sqlChecks, sql);
  if (col.generated && !col.typeName) {
    const existing = scope.schema.fields.map(toFieldDescriptor);
    inferGeneratedTypes(table, [...existing, field], scope.schema.primaryKey, [existing.length], sql);
  }
  // Existing rows read the default, so a NOT NULL column needs one (DEFAULT NULL is none).
  if (col.generated?.stored)
    throw new SchemaError('cannot add a STORED column', 'SCHEMA', { sql, offset: col.start });
  if (col.notNull && field.default === undefined && field.defaultSql === undefined && !field.generated)
    throw new SchemaError('Cannot add a NOT NULL column with default value NULL', 'SCHEMA', { sql });
  const ref = col.references;
  if (ref && ref.columns && ref.columns.length !== 1)
    throw new SchemaError(
      `foreign key on ${col.name} should reference only one column of table ${ref.table}`,
      'SCHEMA',
      { sql, offset: col.start },
    );
  const stmt: AddColumnStmt = {
    kind: 'addColumn',
    collection: scope.schema.name,
    field,
    ...(checks.length === 0 ? {} : { checks }),
  };
  return ref ? { ...stmt, foreignKey: foreignKeyDescriptorOf([col.name], ref) } : stmt;
}

export function lowerDdl(ast: StatementAst, catalog: CatalogReader, sql: string): Statement {
  switch (ast.t) {
    case 'createTable':
      return lowerCreateTable(ast, sql);
    case 'dropTable': {
      const stmt: DropTableStmt = {
        kind: 'dropTable',
        name: findTable(catalog, ast.name)?.schema.name ?? ast.name,
        ifExists: ast.ifExists,
      };
      return stmt;
    }
    case 'createIndex':
      return lowerCreateIndex(ast, catalog, sql);
    case 'dropIndex': {
      const stmt: DropIndexStmt = { kind: 'dropIndex', name: ast.name, ifExists: ast.ifExists };
      return stmt;
    }
    case 'addColumn':
      return lowerAddColumn(ast, catalog, sql);
    case 'renameTable':
      return lowerRenameTable(ast, catalog, sql);
    case 'renameColumn':
      return lowerRenameColumn(ast, catalog, sql);
    case 'dropColumn':
      return lowerDropColumn(ast, catalog, sql);
    default:
      throw new ProgrammingError(`not a DDL statement: ${ast.t}`, 'PROGRAMMING', { sql });
  }
}
