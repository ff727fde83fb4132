/**
 * Expression lowering: SQL syntax → planner Expr with names resolved against one table's schema,
 * literals typed the SQLite way, parameters collected, and ModelVault's strict typing enforced
 * (a column compared with a literal of another type is a DataError, never coerced).
 */
import type { CompiledSchema, PathAccessor } from '../storage/schema/compile';
import type { CollectionSchema, NormalizedType } from '../storage/schema/normalize';
import { DataError, ProgrammingError, QueryError } from '../src/errors';
import { E } from '../planner/expr';
import type { AggregateFn, ColumnExpr, Expr, ValueType } from '../planner/expr';
import { valueTypeOf } from '../planner/value-type';
import type { SqlExpr } from './sql/ast';
import type { ParamInfo } from './ir';

export interface TableScope {
  readonly schema: CollectionSchema;
  readonly compiled: CompiledSchema;
  /** Lower-cased names the table may be qualified with (its name and alias). */
  readonly qualifiers: readonly string[];
}

/** Collects parameters across a statement and checks their styles do not mix. */
export class ParamCollector {
  private style: ParamInfo['style'] = 'none';
  private positional = 0;
  private maxNumbered = 0;
  private readonly names: string[] = [];

  constructor(private readonly sql: string) {}

  key(spec: string): number | string {
    if (spec === '?') {
      this.use('positional');
      return this.positional++;
    }
    if (spec.startsWith('?')) {
      const n = Number(spec.slice(1));
      if (!Number.isSafeInteger(n) || n < 1 || n > 32766)
        throw new ProgrammingError(`parameter ${spec} is out of range`, 'PARAMETER', { sql: this.sql });
      this.use('numbered');
      this.maxNumbered = Math.max(this.maxNumbered, n);
      return n - 1;
    }
    this.use('named');
    const name = spec.slice(1);
    if (!this.names.includes(name)) this.names.push(name);
    return name;
  }

  private use(style: ParamInfo['style']): void {
    if (this.style !== 'none' && this.style !== style) {
      throw new ProgrammingError(
        `parameters of different styles (${this.style} and ${style}) cannot be mixed in one statement`,
        'PARAMETER',
        { sql: this.sql },
      );
    }
    this.style = style;
  }

  info(): ParamInfo {
    return {
      style: this.style,
      count: this.style === 'numbered' ? this.maxNumbered : this.positional,
      names: [...this.names],
    };
  }
}

function isHidden(path: readonly string[]): boolean {
  return path.length === 1 && path[0].startsWith('__');
}

/** Case-insensitive resolution of a path (SQLite identifiers ignore case). */
export function resolveColumn(
  scope: TableScope,
  parts: readonly string[],
): { path: string[]; acc: PathAccessor } | null {
  const exact = scope.compiled.resolvePath(parts);
  if (exact) return { path: [...parts], acc: exact };
  const lower = parts.map((p) => p.toLowerCase());
  const search = (fields: CollectionSchema['fields'], rest: string[], prefix: string[]): string[] | null => {
    for (const f of fields) {
      const fp = f.path.map((s) => s.toLowerCase());
      if (rest.length < fp.length || fp.some((s, i) => s !== rest[i])) continue;
      const path = [...prefix, ...f.path];
      if (rest.length === fp.length) return path;
      const t = f.type.kind === 'optional' ? f.type.of : f.type;
      if (t.kind === 'object') return search(t.fields, rest.slice(fp.length), path);
    }
    return null;
  };
  const path = search(scope.schema.fields, lower, []);
  if (!path) return null;
  const acc = scope.compiled.resolvePath(path);
  return acc ? { path, acc } : null;
}

function isIntegerPk(scope: TableScope): boolean {
  const f = scope.schema.fields[scope.compiled.pkColumn];
  return f.type.kind === 'int64' || f.type.kind === 'uint64';
}

export interface ResolvedColumn {
  expr: ColumnExpr;
  /** The declared name (SQLite names a selected column by its declaration). */
  declared: string;
  nullable: boolean;
  type: NormalizedType;
}

export function lowerColumn(
  scope: TableScope,
  e: Extract<SqlExpr, { t: 'col' }>,
  sql: string,
): ResolvedColumn {
  let parts = [...e.parts];
  if (parts.length >= 2 && scope.qualifiers.includes(parts[0].toLowerCase())) {
    const rest = parts.slice(1);
    if (resolveColumn(scope, rest)) parts = rest;
  }
  if (
    parts.length === 1 &&
    ['rowid', '_rowid_', 'oid'].includes(parts[0].toLowerCase()) &&
    !resolveColumn(scope, parts) &&
    isIntegerPk(scope)
  ) {
    parts = [...scope.schema.primaryKey];
  }
  let found = resolveColumn(scope, parts);
  // A quoted "profile.timezone" names the multi-segment path.
  if (!found && e.quoted && parts.length === 1 && parts[0].includes('.'))
    found = resolveColumn(scope, parts[0].split('.'));
  if (!found) throw new QueryError(`no such column: ${e.parts.join('.')}`, 'QUERY', { sql, offset: e.start });
  const { path, acc } = found;
  const name = path.join('.');
  return {
    expr: E.column(acc.column, acc.sub, valueTypeOf(acc.type), name),
    declared: name,
    nullable: acc.nullable,
    type: acc.type,
  };
}

/** Top-level, user-visible fields in declaration order (what `*` expands to). */
export function visibleColumns(scope: TableScope): ResolvedColumn[] {
  return scope.schema.fields
    .filter((f) => !isHidden(f.path))
    .map((f) => {
      const acc = scope.compiled.resolvePath(f.path) as PathAccessor;
      const name = f.path.join('.');
      return {
        expr: E.column(acc.column, acc.sub, valueTypeOf(acc.type), name),
        declared: name,
        nullable: acc.nullable,
        type: acc.type,
      };
    });
}

const INT64_MAX = 2n ** 63n - 1n;

export function numberLiteral(text: string, negative: boolean): Expr {
  if (/^0[xX]/.test(text)) {
    let v = BigInt(text);
    if (v > 2n ** 64n - 1n) throw new DataError(`hexadecimal literal ${text} is too big`, 'DATA');
    if (v > INT64_MAX) v -= 2n ** 64n; // SQLite reads 64-bit hex as two's complement
    if (negative) v = -v;
    return E.literal(v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v, 'integer');
  }
  if (/^[0-9]+$/.test(text)) {
    const v = negative ? -BigInt(text) : BigInt(text);
    if (v >= -9007199254740991n && v <= 9007199254740991n) return E.literal(Number(v), 'integer');
    if (v >= -(2n ** 63n) && v <= INT64_MAX) return E.literal(v, 'integer');
    return E.literal(Number(v), 'real');
  }
  const n = Number(text);
  return E.literal(negative ? -n : n, 'real');
}

/** Static storage class of a type for the strict-typing check. */
function typeClass(t: ValueType): 'number' | 'text' | 'blob' | 'null' | 'other' {
  if (t === 'integer' || t === 'real' || t === 'boolean' || t === 'timestamp') return 'number';
  if (t === 'text') return 'text';
  if (t === 'blob') return 'blob';
  if (t === 'null') return 'null';
  return 'other';
}

export interface ExprContext {
  scope: TableScope;
  params: ParamCollector;
  sql: string;
  /** Non-null inside an aggregate query: aggregate calls are registered here and become slots. */
  aggregates: {
    list: { fn: AggregateFn; arg: Expr | null; distinct: boolean; key: string }[];
    base: number;
  } | null;
  /** Where aggregate calls are allowed (select items, HAVING, ORDER BY of a SELECT). */
  allowAggregates: boolean;
  /** Where column references are allowed (not in VALUES, DEFAULT, LIMIT). */
  allowColumns: boolean;
  /** Output aliases a name falls back to when it is not a real column (GROUP BY, HAVING, ORDER BY). */
  aliases?: ReadonlyMap<string, Expr>;
}

export function lowerExpr(e: SqlExpr, cx: ExprContext): Expr {
  switch (e.t) {
    case 'num':
      return numberLiteral(e.text, false);
    case 'str':
      return E.literal(e.value, 'text');
    case 'blob':
      return E.literal(Buffer.from(e.hex, 'hex'), 'blob');
    case 'null':
      return E.literal(null, 'null');
    case 'bool':
      return E.literal(e.value ? 1 : 0, 'integer');
    case 'param':
      return E.param(cx.params.key(e.spec));
    case 'col':
      if (!cx.allowColumns)
        throw new QueryError(
          `no such column: ${e.parts.join('.')} (column references are not allowed here)`,
          'QUERY',
          { sql: cx.sql, offset: e.start },
        );
      try {
        return lowerColumn(cx.scope, e, cx.sql).expr;
      } catch (err) {
        // A real column wins over an alias of the same name; an alias is the fallback.
        const alias = e.parts.length === 1 ? cx.aliases?.get(e.parts[0].toLowerCase()) : undefined;
        if (alias) return alias;
        throw err;
      }
    case 'unary':
      if (e.op === '-' && e.arg.t === 'num') return numberLiteral(e.arg.text, true);
      return E.unary(e.op === 'NOT' ? 'not' : e.op === '-' ? 'neg' : 'pos', lowerExpr(e.arg, cx));
    case 'bin': {
      const l = lowerExpr(e.l, cx);
      const r = lowerExpr(e.r, cx);
      if (e.op === 'AND') return E.and(l, r);
      if (e.op === 'OR') return E.or(l, r);
      if (['=', '!=', '<', '<=', '>', '>='].includes(e.op)) {
        checkComparable(l, r, cx, e.start);
        return E.binary(e.op as '=', l, r);
      }
      return E.binary(e.op as '+', l, r);
    }
    case 'in': {
      const arg = lowerExpr(e.arg, cx);
      const list = e.list.map((x) => lowerExpr(x, cx));
      for (const x of list) checkComparable(arg, x, cx, e.start);
      return E.in(arg, list, e.not);
    }
    case 'between': {
      const arg = lowerExpr(e.arg, cx);
      const lo = lowerExpr(e.lo, cx);
      const hi = lowerExpr(e.hi, cx);
      checkComparable(arg, lo, cx, e.start);
      checkComparable(arg, hi, cx, e.start);
      return E.between(arg, lo, hi, e.not);
    }
    case 'like':
      return E.like(lowerExpr(e.arg, cx), lowerExpr(e.pat, cx), e.esc ? lowerExpr(e.esc, cx) : null, e.not);
    case 'isnull':
      return E.isNull(lowerExpr(e.arg, cx), e.not);
    case 'call': {
      const agg = cx.aggregates;
      if (!agg || !cx.allowAggregates) {
        throw new QueryError(`misuse of aggregate function ${e.name}()`, 'QUERY', {
          sql: cx.sql,
          offset: e.start,
        });
      }
      const inner = { ...cx, allowAggregates: false };
      const arg = e.star ? null : lowerExpr(e.args[0], inner);
      const fn = e.name.toLowerCase() as AggregateFn;
      const key = `${fn}|${e.distinct}|${e.star ? '*' : cx.sql.slice(e.args[0].start, e.args[0].end).replace(/\s+/g, ' ')}`;
      let idx = agg.list.findIndex((a) => a.key === key);
      if (idx < 0) {
        agg.list.push({ fn, arg, distinct: e.distinct, key });
        idx = agg.list.length - 1;
      }
      const type: ValueType =
        fn === 'count'
          ? 'integer'
          : fn === 'avg' || fn === 'total'
            ? 'real'
            : arg
              ? typeOfArg(arg)
              : 'integer';
      return E.slot(agg.base + idx, type, e.name);
    }
  }
}

function typeOfArg(e: Expr): ValueType {
  return e.kind === 'column' || e.kind === 'literal' || e.kind === 'slot' ? e.type : 'any';
}

/** Strict typing: a column and a literal of different storage classes never compare. */
function checkComparable(a: Expr, b: Expr, cx: ExprContext, offset: number): void {
  const col = a.kind === 'column' ? a : b.kind === 'column' ? b : null;
  const lit = a.kind === 'literal' ? a : b.kind === 'literal' ? b : null;
  if (!col || !lit) return;
  const cc = typeClass(col.type);
  const lc = typeClass(lit.type);
  if (lc === 'null' || cc === 'other' || cc === lc) return;
  throw new DataError(
    `datatype mismatch: column ${col.name} (${col.type}) compared with a ${lit.type} literal; ModelVault does not convert between types`,
    'TYPE_MISMATCH',
    { sql: cx.sql, offset },
  );
}
