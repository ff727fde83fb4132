/**
 * Canonical SQL text for the catalog (what `sqlite_master.sql` and `PRAGMA table_info` show):
 * CREATE TABLE / CREATE INDEX statements regenerated from a normalized schema, so they describe
 * the schema as it is now (after ADD COLUMN, CREATE INDEX, schema versions), for tables made by
 * SQL and collections registered through the typed API alike. Declared types come from the
 * field's stored `sqlType` when CREATE TABLE gave one; otherwise one is derived from the type.
 * The text is valid SQLite and is accepted again by ModelVault's CREATE TABLE.
 */
import type { ConflictAlgorithm, Constraint } from '../../storage/schema/descriptors';
import type {
  CheckConstraint,
  CollectionSchema,
  NormalizedField,
  NormalizedIndex,
  NormalizedType,
} from '../../storage/schema/normalize';
import { declaredDesc, indexPaths, keyIndexOf } from '../../storage/schema/normalize';
import { sqliteRealText } from '../real-text';
import { actionSql } from '../../storage/schema/foreign-keys';
import type { NormalizedForeignKey } from '../../storage/schema/foreign-keys';

/** Prefix SQLite gives the indexes it creates for PRIMARY KEY and UNIQUE constraints. */
export const AUTOINDEX_PREFIX = 'sqlite_autoindex_';

/** Words quoted when used as names (SQLite's keywords that cannot be bare identifiers, and a few more). */
const KEYWORDS = new Set(
  (
    'ABORT ACTION ADD ALL ALTER AND AS ASC AUTOINCREMENT BETWEEN BY CASE CHECK COLLATE COLUMN ' +
    'CONSTRAINT CREATE CROSS CURRENT_DATE CURRENT_TIME CURRENT_TIMESTAMP DEFAULT DEFERRABLE DELETE ' +
    'DESC DISTINCT DROP ELSE ESCAPE EXCEPT EXISTS FILTER FOREIGN FROM FULL GLOB GROUP HAVING IN ' +
    'INDEX INNER INSERT INTERSECT INTO IS ISNULL JOIN KEY LEFT LIKE LIMIT MATCH NATURAL NOT ' +
    'NOTHING NOTNULL NULL OFFSET ON OR ORDER OUTER PRIMARY REFERENCES REGEXP RETURNING RIGHT ' +
    'SELECT SET TABLE THEN TO TRANSACTION UNION UNIQUE UPDATE USING VALUES WHEN WHERE WINDOW WITH'
  ).split(' '),
);

/** A name as SQL: bare when it is a plain identifier, else double-quoted (quotes doubled). */
export function sqlName(name: string): string {
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && !KEYWORDS.has(name.toUpperCase())) return name;
  return `"${name.split('"').join('""')}"`;
}

/**
 * A stored value as an SQL literal (DEFAULT clauses, `dflt_value`). An integral number is written
 * without a fraction even in a REAL column: `DEFAULT 0` is how such defaults are usually written.
 */
export function sqlLiteral(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'boolean') return v ? '1' : '0';
  if (typeof v === 'bigint') return String(v);
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return v > 0 ? '9e999' : '-9e999';
    return Number.isSafeInteger(v) && !Object.is(v, -0) ? String(v) : sqliteRealText(v);
  }
  if (typeof v === 'string') return `'${v.split("'").join("''")}'`;
  if (v instanceof Uint8Array) return `X'${Buffer.from(v).toString('hex').toUpperCase()}'`;
  if (v instanceof Date) return sqlLiteral(v.toISOString());
  return sqlLiteral(JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? String(x) : x)));
}

function base(t: NormalizedType): NormalizedType {
  return t.kind === 'optional' ? t.of : t;
}

const DERIVED_TYPES: Readonly<Record<string, string>> = {
  bool: 'BOOLEAN',
  int64: 'INTEGER',
  uint64: 'UNSIGNED BIG INT',
  float64: 'REAL',
  string: 'TEXT',
  bytes: 'BLOB',
  uuid: 'UUID',
  timestamp: 'TIMESTAMP',
  enum: 'TEXT',
  list: 'LIST',
  object: 'OBJECT',
};

/** The type name a column of this kind shows when none was declared (CREATE TABLE stores only other names). */
export function derivedSqlType(kind: NormalizedType['kind']): string {
  return DERIVED_TYPES[kind] ?? '';
}

/** The declared type of a column: as written in CREATE TABLE, or derived from its type. */
export function declaredType(field: NormalizedField): string {
  return field.sqlType ?? derivedSqlType(base(field.type).kind);
}

/** The SQL name of a top-level field (a multi-segment path is one column named by its dotted path). */
export function columnName(field: NormalizedField): string {
  return field.path.join('.');
}

/** Hidden fields (the `__rowid` of a table without a primary key) are not columns. */
export function isHiddenField(field: NormalizedField): boolean {
  return field.path.length === 1 && field.path[0].startsWith('__');
}

export function visibleFields(schema: CollectionSchema): NormalizedField[] {
  return schema.fields.filter((f) => !isHiddenField(f));
}

/** Field paths of the primary key (none when the key is the hidden rowid). */
export function primaryKeyPaths(schema: CollectionSchema): string[][] {
  const key = keyIndexOf(schema);
  if (key) return indexPaths(key);
  const pk = schema.primaryKey;
  return pk.length === 1 && pk[0].startsWith('__') ? [] : [[...pk]];
}

function samePath(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((s, i) => s === b[i]);
}

/**
 * Whether the primary key is SQLite's rowid (an INTEGER PRIMARY KEY, or no declared key): such
 * tables have no separate primary-key index in SQLite.
 */
export function keyIsRowid(schema: CollectionSchema): boolean {
  if (schema.withoutRowid) return false;
  const paths = primaryKeyPaths(schema);
  if (paths.length !== 1) return paths.length === 0;
  const field = schema.fields.find((f) => samePath(f.path, paths[0]));
  if (!field || base(field.type).kind !== 'int64') return false;
  return declaredType(field).toUpperCase() === 'INTEGER';
}

export function isAutoindex(ix: NormalizedIndex): boolean {
  return ix.name.startsWith(AUTOINDEX_PREFIX);
}

/** An index SQLite makes for a PRIMARY KEY or UNIQUE constraint. */
export interface ConstraintIndex {
  readonly name: string;
  readonly paths: readonly (readonly string[])[];
  readonly origin: 'u' | 'pk';
  /** SQLite's number for it (`sqlite_autoindex_<table>_<n>`): constraint order. */
  readonly n: number;
}

/** The `<n>` of `sqlite_autoindex_<table>_<n>` (read from the end: the table may have been renamed). */
function autoindexNumber(ix: NormalizedIndex): number {
  const m = /_(\d+)$/.exec(ix.name);
  const n = m ? Number(m[1]) : NaN;
  return Number.isSafeInteger(n) ? n : Number.MAX_SAFE_INTEGER;
}

/**
 * The constraint indexes in SQLite's numbering. A primary key that is not the rowid has one in
 * SQLite; here the key itself is the index, and it takes the number its constraint left free.
 */
export function constraintIndexes(schema: CollectionSchema): ConstraintIndex[] {
  const out: ConstraintIndex[] = schema.indexes.filter(isAutoindex).map((ix): ConstraintIndex => ({
    name: ix.name,
    paths: indexPaths(ix),
    origin: ix.name === schema.keyIndex ? 'pk' : 'u',
    n: autoindexNumber(ix),
  }));
  // A composite key is one of the indexes above; a single-field one is the rows' own key here.
  if (!keyIsRowid(schema) && schema.keyIndex === undefined) {
    const used = new Set(out.map((c) => c.n));
    let n = 1;
    while (used.has(n)) n++;
    out.push({
      name: `${AUTOINDEX_PREFIX}${schema.name}_${n}`,
      paths: primaryKeyPaths(schema),
      origin: 'pk',
      n,
    });
  }
  return out.sort((a, b) => a.n - b.n);
}

/**
 * Whether writing PRIMARY KEY and UNIQUE on the columns themselves numbers the constraint
 * indexes as they are numbered now (SQLite numbers column constraints in column order); if not,
 * they are written as table constraints in number order.
 */
function inlineKeepsNumbers(schema: CollectionSchema, constraints: readonly ConstraintIndex[]): boolean {
  const inline: ConstraintIndex[] = [];
  for (const f of visibleFields(schema)) {
    for (const c of constraints)
      if (c.paths.length === 1 && samePath(c.paths[0], f.path) && c.origin === 'pk') inline.push(c);
    for (const c of constraints)
      if (c.paths.length === 1 && samePath(c.paths[0], f.path) && c.origin === 'u') inline.push(c);
  }
  return inline.length === constraints.length && inline.every((c, i) => c === constraints[i]);
}

/** The length a sized text type declares (`VARCHAR(20)`), which already states a maxLength constraint. */
function declaredLength(sqlType: string | undefined): number | null {
  const m = sqlType === undefined ? null : /\(\s*\+?(\d+)\s*\)\s*$/.exec(sqlType);
  return m ? Number(m[1]) : null;
}

function checkText(col: string, c: Constraint): string | null {
  if ('min' in c) return `${col} >= ${sqlLiteral(c.min)}`;
  if ('max' in c) return `${col} <= ${sqlLiteral(c.max)}`;
  if ('minLength' in c) return `length(${col}) >= ${c.minLength}`;
  if ('maxLength' in c) return `length(${col}) <= ${c.maxLength}`;
  if ('nonEmpty' in c) return `${col} <> ''`;
  // regex, email and url have no SQL spelling: they are enforced but not shown.
  return null;
}

/** ` ON CONFLICT <ALGORITHM>` after a constraint declared with one, else nothing. */
function onConflict(algorithm: ConflictAlgorithm | undefined): string {
  return algorithm === undefined ? '' : ` ON CONFLICT ${algorithm.toUpperCase()}`;
}

/** An expression default as CREATE TABLE writes it: the CURRENT_* keywords bare, others in parentheses. */
function defaultExpression(text: string): string {
  return /^CURRENT_(TIMESTAMP|DATE|TIME)$/i.test(text.trim()) ? text.trim() : `(${text})`;
}

function columnDefinition(field: NormalizedField, schema: CollectionSchema, inline: boolean): string {
  const col = sqlName(columnName(field));
  const type = declaredType(field);
  const parts = [type === '' ? col : `${col} ${type}`];
  const t = field.type;
  const keys = primaryKeyPaths(schema);
  const isPk = keys.length === 1 && samePath(keys[0], field.path);
  // WITHOUT ROWID makes its key columns NOT NULL: the option says so without the clause.
  const impliedNotNull = isPk || (schema.withoutRowid === true && keys.some((k) => samePath(k, field.path)));
  // The rowid's INTEGER PRIMARY KEY has no constraint index to number: it stays on its column.
  if (isPk && (inline || keyIsRowid(schema)))
    parts.push(
      `PRIMARY KEY${onConflict(field.keyOnConflict)}${schema.autoIncrement ? ' AUTOINCREMENT' : ''}`,
    );
  else if (t.kind !== 'optional' && !impliedNotNull)
    parts.push(`NOT NULL${onConflict(field.notNullOnConflict)}`);
  const unique = schema.indexes.find(
    (ix) =>
      isAutoindex(ix) &&
      ix.kind === 'unique' &&
      indexPaths(ix).length === 1 &&
      samePath(indexPaths(ix)[0], field.path),
  );
  if (unique && !isPk && inline) parts.push(`UNIQUE${onConflict(unique.onConflict)}`);
  if (field.defaultSql !== undefined) parts.push(`DEFAULT ${defaultExpression(field.defaultSql)}`);
  else if (field.default !== undefined) parts.push(`DEFAULT ${sqlLiteral(field.default)}`);
  if (field.collate) parts.push(`COLLATE ${field.collate.toUpperCase()}`);
  const b = base(t);
  if (b.kind === 'enum') parts.push(`CHECK (${col} IN (${b.values.map((v) => sqlLiteral(v)).join(', ')}))`);
  const sized = declaredLength(field.sqlType);
  for (const c of field.constraints) {
    if ('maxLength' in c && c.maxLength === sized) continue;
    const text = checkText(col, c);
    if (text !== null) parts.push(`CHECK (${text})`);
  }
  for (const c of schema.checks ?? [])
    if (field.path.length === 1 && c.column === field.path[0]) parts.push(checkClause(c));
  const g = field.generated;
  if (g !== undefined) parts.push(`GENERATED ALWAYS AS (${g.sql}) ${g.stored ? 'STORED' : 'VIRTUAL'}`);
  return parts.join(' ');
}

/** A CHECK kept as SQL, as a column or table constraint: `[CONSTRAINT name] CHECK (expr)`. */
function checkClause(c: CheckConstraint): string {
  return `${c.name === undefined ? '' : `CONSTRAINT ${sqlName(c.name)} `}CHECK (${c.sql})`;
}

/** `CREATE TABLE name (col TYPE ..., ...)` for the schema as it is now. */
export function createTableSql(schema: CollectionSchema): string {
  const constraints = constraintIndexes(schema);
  const inline = inlineKeepsNumbers(schema, constraints);
  const parts = visibleFields(schema).map((f) => columnDefinition(f, schema, inline));
  if (!inline) {
    for (const c of constraints) {
      const cols = c.paths.map((p) => sqlName(p.join('.'))).join(', ');
      const auto = c.origin === 'pk' && schema.autoIncrement ? ' AUTOINCREMENT' : '';
      const ix = schema.indexes.find((i) => i.name === c.name);
      const key = schema.fields.find((f) => samePath(f.path, schema.primaryKey));
      const algorithm = ix ? ix.onConflict : c.origin === 'pk' ? key?.keyOnConflict : undefined;
      parts.push(`${c.origin === 'pk' ? 'PRIMARY KEY' : 'UNIQUE'} (${cols}${auto})${onConflict(algorithm)}`);
    }
  }
  for (const c of schema.checks ?? []) if (c.column === undefined) parts.push(checkClause(c));
  for (const fk of schema.foreignKeys ?? []) parts.push(foreignKeyClause(fk));
  return `CREATE TABLE ${sqlName(schema.name)} (${parts.join(', ')})${tableOptionsSql(schema)}`;
}

/** The table options after the column list (` STRICT, WITHOUT ROWID`), or ''. */
function tableOptionsSql(schema: CollectionSchema): string {
  const options = [...(schema.strict ? ['STRICT'] : []), ...(schema.withoutRowid ? ['WITHOUT ROWID'] : [])];
  return options.length === 0 ? '' : ` ${options.join(', ')}`;
}

/** A foreign key as a table constraint (the form that says every kind, composite ones included). */
function foreignKeyClause(fk: NormalizedForeignKey): string {
  const list = (cols: readonly string[]): string => cols.map(sqlName).join(', ');
  let text = `FOREIGN KEY (${list(fk.columns)}) REFERENCES ${sqlName(fk.table)}`;
  if (fk.parentColumns) text += ` (${list(fk.parentColumns)})`;
  if (fk.onDelete) text += ` ON DELETE ${actionSql(fk.onDelete)}`;
  if (fk.onUpdate) text += ` ON UPDATE ${actionSql(fk.onUpdate)}`;
  if (fk.deferred) text += ' DEFERRABLE INITIALLY DEFERRED';
  return text;
}

/** `CREATE [UNIQUE] INDEX name ON table (col)`; null for the indexes of constraints (as SQLite). */
export function createIndexSql(schema: CollectionSchema, ix: NormalizedIndex): string | null {
  if (isAutoindex(ix)) return null;
  const unique = ix.kind === 'unique' ? 'UNIQUE ' : '';
  const desc = declaredDesc(ix);
  const cols = indexPaths(ix)
    .map((p, i) => `${sqlName(p.join('.'))}${desc[i] ? ' DESC' : ''}`)
    .join(', ');
  return `CREATE ${unique}INDEX ${sqlName(ix.name)} ON ${sqlName(schema.name)} (${cols})`;
}
