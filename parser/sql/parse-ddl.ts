/**
 * DDL grammar: CREATE TABLE / INDEX, DROP TABLE / INDEX, ALTER TABLE ADD COLUMN / RENAME. Only the
 * syntax is checked here; what a column definition means (types, constraints) is decided in
 * parser/lower-ddl.ts.
 */
import type {
  ColumnDefAst,
  GeneratedAst,
  ConflictPolicyAst,
  ForeignKeyAst,
  ForeignKeyClauseAst,
  QueryAst,
  SqlExpr,
  StatementAst,
} from './ast';
import type { ForeignKeyAction } from '../../storage/schema/foreign-keys';
import { CONFLICT_POLICIES } from './ast';
import type { ExprParser } from './parse-expr';
import { QueryError } from '../../src/errors';
import type { Token } from './lexer';
import { MAX_COLUMNS } from './token-stream';

/** Words that end a column's type name and start its constraints. */
const CONSTRAINT_WORDS = [
  'PRIMARY',
  'NOT',
  'NULL',
  'UNIQUE',
  'DEFAULT',
  'CHECK',
  'CONSTRAINT',
  'REFERENCES',
  'COLLATE',
  'GENERATED',
  'AS',
  'AUTOINCREMENT',
];

function ifNotExists(p: ExprParser): boolean {
  if (!p.acceptWord('IF')) return false;
  p.expectWord('NOT');
  p.expectWord('EXISTS');
  return true;
}

function ifExists(p: ExprParser): boolean {
  if (!p.acceptWord('IF')) return false;
  p.expectWord('EXISTS');
  return true;
}

/** `ON CONFLICT <algorithm>` after a constraint (SQLite's conflict clause), or null without one. */
function conflictClause(p: ExprParser): ConflictPolicyAst | null {
  if (!(p.isWord('ON') && p.isWord('CONFLICT', p.peek()))) return null;
  p.next();
  p.next();
  const w = p.tok.kind === 'ident' ? p.tok.upper : '';
  const policy = CONFLICT_POLICIES.find((c) => c.toUpperCase() === w);
  if (policy === undefined) throw p.error('expected ROLLBACK, ABORT, FAIL, IGNORE or REPLACE');
  p.next();
  return policy;
}

/** `(a [ASC|DESC], ...)`; `autoinc` is set when a primary key's list ends in AUTOINCREMENT. */
function nameList(p: ExprParser, autoinc?: { seen: boolean }): string[] {
  p.expectOp('(');
  const out: string[] = [];
  do {
    out.push(p.name('a column name'));
    if (p.isWord('COLLATE')) throw p.unsupported('COLLATE');
    if (!p.acceptWord('ASC')) p.acceptWord('DESC');
  } while (p.acceptOp(','));
  if (autoinc && p.acceptWord('AUTOINCREMENT')) autoinc.seen = true;
  p.expectOp(')');
  return out;
}

function fkAction(p: ExprParser): ForeignKeyAction {
  if (p.acceptWord('SET')) {
    if (p.acceptWord('NULL')) return 'setNull';
    p.expectWord('DEFAULT');
    return 'setDefault';
  }
  if (p.acceptWord('CASCADE')) return 'cascade';
  if (p.acceptWord('RESTRICT')) return 'restrict';
  p.expectWord('NO');
  p.expectWord('ACTION');
  return 'noAction';
}

/**
 * What follows REFERENCES. SQLite accepts MATCH with any name and ignores it; a constraint is
 * deferred only when DEFERRABLE INITIALLY DEFERRED (NOT DEFERRABLE … and INITIALLY IMMEDIATE are
 * immediate).
 */
function references(p: ExprParser): ForeignKeyClauseAst {
  p.expectWord('REFERENCES');
  const table = p.name('a table name');
  let columns: string[] | null = null;
  if (p.isOp('(')) {
    p.expectOp('(');
    columns = [];
    do columns.push(p.name('a column name'));
    while (p.acceptOp(','));
    p.expectOp(')');
  }
  let onDelete: ForeignKeyAction = 'noAction';
  let onUpdate: ForeignKeyAction = 'noAction';
  let deferred = false;
  for (;;) {
    if (p.isWord('ON') && (p.isWord('DELETE', p.peek()) || p.isWord('UPDATE', p.peek()))) {
      p.expectWord('ON');
      if (p.acceptWord('DELETE')) onDelete = fkAction(p);
      else {
        p.expectWord('UPDATE');
        onUpdate = fkAction(p);
      }
    } else if (p.acceptWord('MATCH')) p.name('a match type');
    else if (p.isWord('NOT') && p.isWord('DEFERRABLE', p.peek())) {
      p.expectWord('NOT');
      p.expectWord('DEFERRABLE');
      if (p.acceptWord('INITIALLY') && !p.acceptWord('DEFERRED')) p.expectWord('IMMEDIATE');
      deferred = false;
    } else if (p.acceptWord('DEFERRABLE')) {
      deferred = false;
      if (p.acceptWord('INITIALLY')) {
        if (p.acceptWord('DEFERRED')) deferred = true;
        else p.expectWord('IMMEDIATE');
      }
    } else break;
  }
  return { table, columns, onDelete, onUpdate, deferred };
}

function check(p: ExprParser): SqlExpr {
  p.expectOp('(');
  const e = p.expr();
  p.expectOp(')');
  return e;
}

function typeArgs(p: ExprParser): number[] {
  const args: number[] = [];
  if (!p.acceptOp('(')) return args;
  do {
    const neg = p.acceptOp('-');
    if (!neg) p.acceptOp('+');
    const t = p.tok;
    if (t.kind !== 'number') throw p.error('expected a number in the type');
    args.push((neg ? -1 : 1) * Number(t.text));
    p.next();
  } while (p.acceptOp(','));
  p.expectOp(')');
  return args;
}

function columnDef(p: ExprParser): ColumnDefAst {
  const start = p.tok.start;
  const name = p.name('a column name');
  const typeStart = p.tok.start;
  let typeName = '';
  while (p.tok.kind === 'ident' && !CONSTRAINT_WORDS.includes(p.tok.upper))
    typeName = typeName ? `${typeName} ${p.next().upper}` : p.next().upper;
  const args = typeArgs(p);
  const typeText = typeName ? p.sql.slice(typeStart, p.prev.end) : '';
  let notNull = false;
  let primaryKey = false;
  let autoIncrement = false;
  let unique = false;
  let notNullConflict: ConflictPolicyAst | null = null;
  let primaryKeyConflict: ConflictPolicyAst | null = null;
  let uniqueConflict: ConflictPolicyAst | null = null;
  let defaultValue: SqlExpr | null = null;
  const checks: SqlExpr[] = [];
  const checkNames: (string | null)[] = [];
  let collate: string | null = null;
  let ref: ForeignKeyClauseAst | null = null;
  let generated: GeneratedAst | null = null;
  for (;;) {
    const constraint = p.acceptWord('CONSTRAINT') ? p.name('a constraint name') : null;
    if (p.acceptWord('PRIMARY')) {
      p.expectWord('KEY');
      if (p.acceptWord('DESC')) throw p.unsupported('PRIMARY KEY DESC');
      p.acceptWord('ASC');
      primaryKeyConflict = conflictClause(p);
      autoIncrement = p.acceptWord('AUTOINCREMENT');
      primaryKey = true;
    } else if (p.acceptWord('NOT')) {
      p.expectWord('NULL');
      notNullConflict = conflictClause(p);
      notNull = true;
    } else if (p.acceptWord('NULL')) {
      // explicitly nullable: already the default
    } else if (p.acceptWord('UNIQUE')) {
      uniqueConflict = conflictClause(p);
      unique = true;
    } else if (p.acceptWord('DEFAULT')) defaultValue = p.isOp('(') ? check(p) : p.signed();
    else if (p.acceptWord('CHECK')) {
      checks.push(check(p));
      checkNames.push(constraint);
    } else if (p.isWord('REFERENCES')) ref = references(p);
    else if (p.acceptWord('COLLATE')) collate = p.name('a collation name');
    else if (p.isWord('GENERATED') || p.isWord('AS')) {
      if (generated !== null) throw p.error('expected a column constraint');
      generated = generatedClause(p);
    } else break;
  }
  return {
    name,
    typeName,
    typeArgs: args,
    typeText,
    notNull,
    primaryKey,
    autoIncrement,
    unique,
    notNullConflict,
    primaryKeyConflict,
    uniqueConflict,
    defaultValue,
    checks,
    checkNames,
    collate,
    references: ref,
    generated,
    start,
    end: p.prev.end,
  };
}

/** `[GENERATED ALWAYS] AS (expr) [STORED | VIRTUAL]`: the expression's text is what the catalog keeps. */
function generatedClause(p: ExprParser): GeneratedAst {
  if (p.acceptWord('GENERATED')) p.expectWord('ALWAYS');
  p.expectWord('AS');
  p.expectOp('(');
  const first = p.tok.start;
  const expr = p.expr();
  const text = p.sql.slice(first, p.prev.end);
  p.expectOp(')');
  const stored = p.acceptWord('STORED');
  if (!stored) p.acceptWord('VIRTUAL');
  return { expr, text, stored };
}

/**
 * SQLite's table options after the column list: `STRICT` and `WITHOUT ROWID`, comma-separated, in
 * any order. SQLite names a word it does not know ("unknown table option: FOO"); options not
 * separated by a comma are a syntax error there and here.
 */
function tableOptions(p: ExprParser): { strict: boolean; withoutRowid: boolean } {
  let strict = false;
  let withoutRowid = false;
  if (p.tok.kind !== 'ident') return { strict, withoutRowid };
  do {
    const t = p.tok;
    if (p.acceptWord('STRICT')) strict = true;
    else if (p.acceptWord('WITHOUT')) {
      const word = p.tok;
      if (!p.acceptWord('ROWID')) throw unknownOption(p, word);
      withoutRowid = true;
    } else throw unknownOption(p, t);
  } while (p.acceptOp(','));
  return { strict, withoutRowid };
}

function unknownOption(p: ExprParser, t: Token): Error {
  if (t.kind === 'eof') return p.error('expected a table option', t);
  return new QueryError(`unknown table option: ${t.text}`, 'QUERY', { sql: p.sql, offset: t.start });
}

/** The statement parser's SELECT, for CREATE TABLE … AS SELECT (it lives above this module). */
export type SelectParser = () => QueryAst;

function createTable(p: ExprParser, select: SelectParser, tempWord: boolean): StatementAst {
  p.expectWord('TABLE');
  const exists = ifNotExists(p);
  const at = p.tok;
  const name = p.objectName('a table name', 'table');
  const key = name.toLowerCase();
  if (tempWord && p.schemas.get(key) === 'main')
    throw new QueryError('temporary table name must be unqualified', 'QUERY', {
      sql: p.sql,
      offset: at.start,
    });
  // `CREATE TEMP TABLE t` or `CREATE TABLE temp.t`: the connection's temporary schema.
  const temp = tempWord || p.schemas.get(key) === 'temp';
  // The new table's schema: TEMP's, else main (SQLite's CREATE TABLE never means temp unqualified).
  p.schemas.set(key, temp ? 'temp' : 'main');
  if (p.acceptWord('AS')) {
    if (!p.isWord('SELECT') && !p.isWord('WITH'))
      throw p.unsupported('CREATE TABLE ... AS with anything but SELECT');
    return { t: 'createTableAs', name, ifNotExists: exists, temp, select: select() };
  }
  p.expectOp('(');
  const columns: ColumnDefAst[] = [];
  const primaryKeys: string[][] = [];
  const uniques: string[][] = [];
  const uniqueConflicts: (ConflictPolicyAst | null)[] = [];
  let primaryKeyConflict: ConflictPolicyAst | null = null;
  const checks: SqlExpr[] = [];
  const foreignKeys: ForeignKeyAst[] = [];
  const autoinc = { seen: false };
  let uniquesBeforeKey: number | undefined;
  const checkNames: (string | null)[] = [];
  // SQLite's grammar has every column before the first table constraint.
  let tableConstraints = false;
  do {
    const constraint = p.acceptWord('CONSTRAINT') ? p.name('a constraint name') : null;
    if (constraint !== null || p.isAnyWord(['PRIMARY', 'UNIQUE', 'CHECK', 'FOREIGN']))
      tableConstraints = true;
    else if (tableConstraints) throw p.error(`near "${p.sql.slice(p.tok.start, p.tok.end)}": syntax error`);
    if (p.acceptWord('PRIMARY')) {
      p.expectWord('KEY');
      uniquesBeforeKey ??= uniques.length;
      primaryKeys.push(nameList(p, autoinc));
      primaryKeyConflict = conflictClause(p);
    } else if (p.acceptWord('UNIQUE')) {
      uniques.push(nameList(p));
      uniqueConflicts.push(conflictClause(p));
    } else if (p.acceptWord('CHECK')) {
      checks.push(check(p));
      checkNames.push(constraint);
    } else if (p.acceptWord('FOREIGN')) {
      p.expectWord('KEY');
      const cols = nameList(p);
      foreignKeys.push({ columns: cols, ref: references(p) });
    } else columns.push(columnDef(p));
  } while (p.acceptOp(','));
  p.expectOp(')');
  if (columns.length > MAX_COLUMNS) throw p.limitError(`too many columns on ${name}`, at.start);
  const options = tableOptions(p);
  return {
    t: 'createTable',
    name,
    ifNotExists: exists,
    temp,
    ...options,
    columns,
    primaryKeys,
    pkAutoIncrement: autoinc.seen,
    uniques,
    primaryKeyConflict,
    uniqueConflicts,
    uniquesBeforeKey,
    checks,
    checkNames,
    foreignKeys,
  };
}

function createIndex(p: ExprParser, unique: boolean, start: number): StatementAst {
  const exists = ifNotExists(p);
  const name = p.objectName('an index name', 'index');
  p.expectWord('ON');
  const table = p.name('a table name');
  p.unqualified.add(table.toLowerCase());
  p.expectOp('(');
  const columns: string[] = [];
  const desc: boolean[] = [];
  // Per key column, the expression of an index on an expression (null: a plain column).
  const exprs: (SqlExpr | null)[] = [];
  do {
    const item = indexItem(p);
    columns.push(item.column ?? '');
    exprs.push(item.expr);
    desc.push(!p.acceptWord('ASC') && p.acceptWord('DESC'));
  } while (p.acceptOp(','));
  p.expectOp(')');
  if (columns.length > MAX_COLUMNS) throw p.limitError('too many columns in index', start);
  const where = p.acceptWord('WHERE') ? p.expr() : null;
  const base = { t: 'createIndex' as const, name, table, columns, desc, unique, ifNotExists: exists };
  if (where === null && exprs.every((e) => e === null)) return base;
  return { ...base, exprs, where, text: p.sql.slice(start, p.prev.end) };
}

/** One key column of CREATE INDEX: a column name, or any other expression (an index on it). */
function indexItem(p: ExprParser): { column: string | null; expr: SqlExpr | null } {
  const at = p.i;
  if (p.atName()) {
    const column = p.dottedName();
    if (p.isOp(',') || p.isOp(')') || p.isAnyWord(['COLLATE', 'ASC', 'DESC'])) {
      indexCollation(p);
      return { column, expr: null };
    }
    p.i = at;
  }
  let e = p.expr();
  if (e.t === 'collate') {
    checkIndexCollation(p, e.collation);
    e = e.arg;
  }
  // `(c)` and `c` are the same key column.
  if (e.t === 'col') return { column: e.parts.join('.'), expr: null };
  return { column: null, expr: e };
}

function indexCollation(p: ExprParser): void {
  if (p.acceptWord('COLLATE')) checkIndexCollation(p, p.name('a collation name'));
}

/**
 * Index trees are BINARY, so `COLLATE BINARY` asks for what every index is; other collations
 * would order the index differently.
 */
function checkIndexCollation(p: ExprParser, collation: string): void {
  if (collation.toUpperCase() !== 'BINARY') throw p.unsupported('COLLATE other than BINARY in an index');
}

/** `CREATE [TEMP] VIEW [IF NOT EXISTS] v [(cols)] AS query` after the VIEW keyword. */
function createView(p: ExprParser, select: SelectParser, temp: boolean): StatementAst {
  const exists = ifNotExists(p);
  const name = p.objectName('a view name', 'view');
  // SQLite keeps a view's SQL as "CREATE VIEW " and the text from its name on: no TEMP, no IF NOT
  // EXISTS, no schema prefix (sqlite_master.sql, sqlite_temp_master.sql).
  const nameStart = p.prev.start;
  let columns: string[] | null = null;
  if (p.acceptOp('(')) {
    columns = [];
    do columns.push(p.name('a column name'));
    while (p.acceptOp(','));
    p.expectOp(')');
  }
  p.expectWord('AS');
  if (!p.isAnyWord(['SELECT', 'WITH', 'VALUES'])) throw p.error('expected SELECT after AS');
  const query = select();
  return {
    t: 'createView',
    name,
    temp,
    ifNotExists: exists,
    columns,
    select: query,
    text: `CREATE VIEW ${p.sql.slice(nameStart, p.prev.end)}`,
  };
}

export function parseCreate(p: ExprParser, select: SelectParser): StatementAst {
  const start = p.tok.start;
  p.expectWord('CREATE');
  const temp = p.isWord('TEMP') || p.isWord('TEMPORARY');
  if (temp && !p.isWord('VIEW', p.peek()) && !p.isWord('TABLE', p.peek()))
    throw p.unsupported(`CREATE TEMP ${p.peek().upper}`);
  if (temp) p.i++;
  if (p.acceptWord('VIEW')) return createView(p, select, temp);
  if (temp) return createTable(p, select, true);
  if (p.isWord('TRIGGER') || p.isWord('VIRTUAL')) throw p.unsupported(`CREATE ${p.tok.upper}`);
  const unique = p.acceptWord('UNIQUE');
  if (p.acceptWord('INDEX')) return createIndex(p, unique, start);
  if (unique) throw p.error('expected INDEX');
  return createTable(p, select, false);
}

export function parseDrop(p: ExprParser): StatementAst {
  p.expectWord('DROP');
  if (p.acceptWord('TABLE')) {
    const exists = ifExists(p);
    return { t: 'dropTable', ifExists: exists, name: p.objectName('a table name', 'table') };
  }
  if (p.acceptWord('INDEX')) {
    const exists = ifExists(p);
    return { t: 'dropIndex', ifExists: exists, name: p.objectName('an index name', 'index') };
  }
  if (p.acceptWord('VIEW')) {
    const exists = ifExists(p);
    return { t: 'dropView', name: p.objectName('a view name', 'view'), ifExists: exists };
  }
  if (p.isWord('TRIGGER')) throw p.unsupported(`DROP ${p.tok.upper}`);
  throw p.error('expected TABLE or INDEX');
}

export function parseAlter(p: ExprParser): StatementAst {
  p.expectWord('ALTER');
  p.expectWord('TABLE');
  const table = p.objectName('a table name', 'table');
  if (p.acceptWord('ADD')) {
    if (p.isWord('CONSTRAINT') || p.isWord('PRIMARY') || p.isWord('UNIQUE') || p.isWord('CHECK'))
      throw p.unsupported('ALTER TABLE ADD CONSTRAINT');
    p.acceptWord('COLUMN');
    return { t: 'addColumn', table, column: columnDef(p) };
  }
  if (p.acceptWord('RENAME')) {
    if (p.acceptWord('TO')) return { t: 'renameTable', table, to: p.name('a table name') };
    p.acceptWord('COLUMN');
    const from = p.name('a column name');
    p.expectWord('TO');
    return { t: 'renameColumn', table, from, to: p.name('a column name') };
  }
  if (p.acceptWord('DROP')) {
    p.acceptWord('COLUMN');
    return { t: 'dropColumn', table, column: p.name('a column name') };
  }
  if (p.isWord('ALTER')) throw p.unsupported(`ALTER TABLE ${p.tok.upper}`);
  throw p.error('expected ADD COLUMN, DROP COLUMN or RENAME');
}
