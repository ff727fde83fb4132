/**
 * Generated columns (storage/generated-columns.ts): each column's stored SQL text lowered against
 * its table with SQLite's refusals, the order they are computed in (a column after those it reads;
 * a cycle is SQLite's "generated column loop"), and the compiler storage computes them with
 * (installed by parser/sql-hooks.ts). CREATE TABLE and every later read of the catalog lower the
 * same text the same way, so inserts, updates and rebuilt rows agree.
 */
import type { Expr } from '../planner/expr';
import { compileExpr } from '../planner/compile-expr';
import { sqlToField } from '../planner/write-values';
import type { CompiledSchema } from '../storage/schema/compile';
import type { CollectionSchema } from '../storage/schema/normalize';
import type { GeneratedColumns } from '../storage/generated-columns';
import { parseExpression } from './sql/parse';
import { tokenize } from './sql/lexer';
import { sqlName } from '../planner/introspect/create-sql';
import { lowerPart, someExpr, someSql } from './index-sql';
import type { SqlExpr } from './sql/ast';
import { forbidClock } from '../planner/functions/datetime-model';
import type { TableScope } from './scope';
import { NotSupportedError, QueryError, SchemaError } from '../src/errors';
import type { FieldDescriptor, PrimitiveTypeName, TypeDescriptor } from '../storage/schema/descriptors';
import { compileSchema } from '../storage/schema/compile';
import { normalizeCollection } from '../storage/schema/normalize';
import { parsePath, pathText } from '../storage/schema/paths';
import { STORED_PRIMITIVE, typeOf } from '../planner/expr-type';
import { numericText } from '../planner/compile-expr';
import { toText } from '../planner/sqlite-cast';
import { baseType } from '../planner/write-values';
import type { NormalizedField } from '../storage/schema/normalize';

const PLACE = 'generated columns';

/** Per generated column (by field index), its expression lowered against the table. */
export function loweredGenerated(schema: CollectionSchema, compiled: CompiledSchema): Map<number, Expr> {
  const scope: TableScope = { schema, compiled, qualifiers: [schema.name.toLowerCase()] };
  const out = new Map<number, Expr>();
  schema.fields.forEach((f, i) => {
    if (f.generated === undefined) return;
    const sql = f.generated.sql;
    const ast = parseExpression(sql);
    // SQLite's rowid is no column a generated expression can read (an INTEGER PRIMARY KEY is).
    const rowid = someSqlFirst(
      ast,
      (x) => x.t === 'col' && x.parts.length === 1 && isRowidName(x.parts[0], schema),
    );
    if (rowid !== null && rowid.t === 'col')
      throw new QueryError(`no such column: ${rowid.parts[0]}`, 'QUERY', { sql });
    const lowered = lowerPart(ast, scope, sql, PLACE, 'clockAtRun');
    // Checked after lowering, as SQLite does: `other.a` is first of all no column of this table.
    if (someSql(ast, (x) => x.t === 'col' && x.parts.length > 1))
      throw new QueryError(`the "." operator prohibited in ${PLACE}`, 'QUERY', { sql });
    out.set(i, lowered);
  });
  return out;
}

const ROWID_NAMES = new Set(['rowid', '_rowid_', 'oid']);

/** Whether `name` would read SQLite's rowid: a rowid name no declared column has. */
function isRowidName(name: string, schema: CollectionSchema): boolean {
  const lower = name.toLowerCase();
  return (
    ROWID_NAMES.has(lower) &&
    !schema.fields.some((f) => f.path.length === 1 && f.path[0].toLowerCase() === lower)
  );
}

/** The first node of `e` (in pre-order) that `test` accepts, or null. */
function someSqlFirst(e: SqlExpr, test: (x: SqlExpr) => boolean): SqlExpr | null {
  let found: SqlExpr | null = null;
  someSql(e, (x) => {
    if (found === null && test(x)) found = x;
    return found !== null;
  });
  return found;
}

/** The columns expression `e` reads. */
export function columnsRead(e: Expr): Set<number> {
  const read = new Set<number>();
  someExpr(e, (x) => {
    if (x.kind === 'column') read.add(x.column);
    return false;
  });
  return read;
}

/**
 * An order to compute the generated columns in, each after the generated columns it reads. The
 * search visits columns in table order and, like SQLite, names the column whose expression reads
 * one still being computed.
 */
function computeOrder(schema: CollectionSchema, exprs: Map<number, Expr>): number[] {
  const order: number[] = [];
  const state = new Map<number, 'busy' | 'done'>();
  const visit = (c: number): void => {
    for (const r of columnsRead(exprs.get(c) as Expr)) {
      if (!exprs.has(r) || state.get(r) === 'done') continue;
      if (state.get(r) === 'busy')
        throw new SchemaError(`generated column loop on "${schema.fields[c].path.join('.')}"`, 'SCHEMA');
      state.set(r, 'busy');
      visit(r);
      state.set(r, 'done');
      order.push(r);
    }
  };
  for (const c of exprs.keys()) {
    if (state.get(c) === 'done') continue;
    state.set(c, 'busy');
    visit(c);
    state.set(c, 'done');
    order.push(c);
  }
  return order;
}

/** The compiler storage computes a table's generated columns with. */
export function compileGeneratedColumns(
  schema: CollectionSchema,
  compiled: CompiledSchema,
): GeneratedColumns {
  const exprs = loweredGenerated(schema, compiled);
  const order = computeOrder(schema, exprs);
  // No parameters, no session: a generated column reads only its row.
  const ctx = { params: [] };
  const values = order.map((c) => {
    const expr = exprs.get(c) as Expr;
    const evaluate = compileExpr(expr, ctx).eval;
    const field = schema.fields[c];
    const convert = affinity(field, typeOf(expr) === 'real');
    return (row: readonly unknown[]): unknown => {
      forbidClock(true);
      try {
        return sqlToField(field, convert(evaluate(row)), schema.name);
      } finally {
        forbidClock(false);
      }
    };
  });
  return { order, values };
}

/**
 * The conversion SQLite applies to a generated value in a STRICT table, where it is lossless: a
 * number into a TEXT column becomes its text, text that reads entirely as a number into a numeric
 * column becomes the number. Whatever else does not fit the column's type is a DataError, as
 * for any written value (a generated value is not chosen by the writer, so the lossless
 * conversions SQLite makes are made here too).
 */
function affinity(field: NormalizedField, isReal: boolean): (v: unknown) => unknown {
  switch (baseType(field.type).kind) {
    case 'string':
      return (v) => (typeof v === 'number' || typeof v === 'bigint' ? toText(v, isReal) : v);
    case 'int64':
    case 'uint64':
      return (v) => {
        if (typeof v !== 'string') return v;
        const n = numericText(v)?.value;
        return typeof n === 'bigint' || (typeof n === 'number' && Number.isInteger(n)) ? n : v;
      };
    case 'float64':
      return (v) => {
        if (typeof v !== 'string') return v;
        const n = numericText(v)?.value;
        return n === undefined ? v : Number(n);
      };
    default:
      return (v) => v;
  }
}

/**
 * Expression text `sql` with every reference to column `from` naming `to` instead (ALTER TABLE …
 * RENAME COLUMN, as SQLite rewrites a generated column's expression). A generated expression
 * names columns bare (the "." operator is refused), so a reference is an identifier token that is
 * not a function's name and not a collation's; everything else is kept byte for byte.
 */
export function renamedInExpression(sql: string, from: string, to: string): string {
  const tokens = tokenize(sql);
  let out = '';
  let at = 0;
  tokens.forEach((t, i) => {
    if (t.kind !== 'ident' && t.kind !== 'qident') return;
    if (t.text.toLowerCase() !== from.toLowerCase()) return;
    const next = tokens[i + 1];
    const prev = tokens[i - 1];
    if (next?.kind === 'op' && next.text === '(') return;
    if (prev?.kind === 'ident' && prev.upper === 'COLLATE') return;
    out += sql.slice(at, t.start) + sqlName(to);
    at = t.end;
  });
  return out + sql.slice(at);
}

/**
 * A partial or expression index's CREATE INDEX statement after ALTER TABLE renamed its table
 * (`table`) or a column (`column`), as SQLite rewrites it: the table name after ON, and the
 * column's references in the key expressions and the WHERE (never the index's own name, nor a
 * function's or a collation's that happens to be spelled the same).
 */
export function renamedIndexStatement(
  sql: string,
  rename: { table?: { from: string; to: string }; column?: { from: string; to: string } },
): string {
  const tokens = tokenize(sql);
  const on = tokens.findIndex((t) => t.kind === 'ident' && t.upper === 'ON');
  if (on < 0) return sql;
  // The table: `ON name` or `ON schema.name`.
  let table = on + 1;
  if (tokens[table + 1]?.kind === 'op' && tokens[table + 1].text === '.') table += 2;
  let out = '';
  let at = 0;
  // As SQLite writes them: a renamed table always quoted, a column quoted when it was.
  const replace = (i: number, to: string, quote: boolean): void => {
    const quoted = quote || (tokens[i].kind === 'qident' && sql[tokens[i].start] === '"');
    out += sql.slice(at, tokens[i].start) + (quoted ? `"${to.replace(/"/g, '""')}"` : sqlName(to));
    at = tokens[i].end;
  };
  const named = (i: number, name: string): boolean =>
    (tokens[i]?.kind === 'ident' || tokens[i]?.kind === 'qident') &&
    tokens[i].text.toLowerCase() === name.toLowerCase();
  if (rename.table && named(table, rename.table.from)) replace(table, rename.table.to, true);
  if (rename.column) {
    const { from, to } = rename.column;
    for (let i = table + 1; i < tokens.length; i++) {
      if (!named(i, from)) continue;
      const next = tokens[i + 1];
      const prev = tokens[i - 1];
      if (next?.kind === 'op' && next.text === '(') continue;
      if (prev?.kind === 'ident' && prev.upper === 'COLLATE') continue;
      replace(i, to, false);
    }
  }
  return out + sql.slice(at);
}

/**
 * How SQLite reports expression `sql` reading column `name` once the column is gone: a bare name
 * as is; a double-quoted one, which SQLite could have read as a string, with its hint.
 */
export function missingColumnText(sql: string, name: string): string {
  const quoted = tokenize(sql).some(
    (t) => t.kind === 'qident' && sql[t.start] === '"' && t.text.toLowerCase() === name.toLowerCase(),
  );
  return quoted
    ? `no such column: "${name}" - should this be a string literal in single-quotes?`
    : `no such column: ${name}`;
}

function withPrimitive(t: TypeDescriptor, primitive: PrimitiveTypeName): TypeDescriptor {
  return typeof t === 'object' && 'optional' in t ? { optional: primitive } : primitive;
}

/**
 * SQLite lets a generated column leave out its type (it then keeps whatever the expression gives);
 * a ModelVault column holds one type, so such a column (`fields[i]` for each i of `untyped`, with a
 * placeholder type) takes its expression's static type, after those of the untyped generated
 * columns it reads. An expression whose type is not known before it runs (NULL, a CASE or
 * function mixing types) is a NotSupportedError asking for a declared type. A loop is left to the
 * schema's compilation, which reports it as SQLite does. Changes `fields` in place.
 */
export function inferGeneratedTypes(
  table: string,
  fields: FieldDescriptor[],
  primaryKey: string | readonly string[],
  untyped: readonly number[],
  sql: string,
): void {
  const pending = new Set(untyped);
  for (let progressed = true; progressed && pending.size > 0;) {
    progressed = false;
    // Nothing generated in this provisional schema: it only resolves the columns' current types.
    const provisional = fields.map((f) => {
      const { generated: _ignored, ...plain } = f;
      return plain;
    });
    const schema = normalizeCollection(table, provisional, primaryKey);
    const scope: TableScope = { schema, compiled: compileSchema(schema), qualifiers: [table.toLowerCase()] };
    for (const c of [...pending]) {
      const text = fields[c].generated?.sql ?? '';
      const expr = lowerPart(parseExpression(text), scope, text, PLACE, 'clockAtRun');
      if ([...columnsRead(expr)].some((r) => pending.has(r))) continue;
      const primitive = STORED_PRIMITIVE[typeOf(expr)];
      const name = pathText(parsePath(fields[c].path));
      if (primitive === undefined)
        throw new NotSupportedError(
          `generated column ${name} needs a declared type: the type of (${text}) is not known before it runs`,
          'NOT_SUPPORTED',
          { sql },
        );
      fields[c].type = withPrimitive(fields[c].type, primitive);
      pending.delete(c);
      progressed = true;
      // The columns reading this one see its type only in a schema built again.
      break;
    }
  }
}
