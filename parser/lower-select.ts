/**
 * SELECT → logical plan in the fixed layer order of planner/logical.ts:
 *
 *   Scan → Filter? → Aggregate? → Filter(having)? → Window? → Sort? → Project → Distinct? → Limit?
 *
 * SQLite's name rules (SQLITE-SEMANTICS §10, §11): WHERE, GROUP BY, HAVING and ORDER BY accept
 * output aliases (and GROUP BY / ORDER BY 1-based positions), but a real column wins over an
 * alias of the same name, except an ORDER BY term that is exactly an alias. Result columns are
 * named by alias, declared column name, or the expression's exact source text. Above the
 * Aggregate, group-by expressions and aggregate calls read their slots; other column references
 * read the group's representative row.
 */
import { QueryError } from '../src/errors';
import { MAX_COLUMNS } from './sql/token-stream';
import { E } from '../planner/expr';
import type { Expr } from '../planner/expr';
import { L, sortKey } from '../planner/logical';
import type { LogicalPlan, SortKey } from '../planner/logical';
import { sharedType, typeOf } from '../planner/expr-type';
import { checkOrderingCollation, exprCollation, parseCollation } from '../planner/sql-text';
import type { OutputColumn, SelectStmt } from './ir';
import type { SelectAst, SqlExpr, StatementAst } from './sql/ast';
import type { ParamCollector } from './params';
import type { Scope } from './join-scope';
import { isMulti, lookupColumn, scopeWidth, starColumns } from './join-scope';
import { containsAggregateCall, lowerExpr } from './lower-expr';
import type { AggregateScope, ExprContext } from './lower-expr';
import { containsKind, exprEquals, rewrite } from './expr-utils';
import { placeWindowSlots, windowScope } from './lower-window';
import { mapWindowCall } from '../planner/window';

interface Output {
  readonly expr: Expr;
  readonly column: OutputColumn;
}

export function ordinal(k: number): string {
  const teen = k % 100 >= 11 && k % 100 <= 13;
  return `${k}${teen ? 'th' : (['th', 'st', 'nd', 'rd'][k % 10] ?? 'th')}`;
}

/** A 1-based output position (GROUP BY 2, ORDER BY 1), or null when `e` is not an integer literal. */
function position(
  e: SqlExpr,
  term: number,
  outputs: readonly Output[],
  clause: string,
  sql: string,
): Expr | null {
  if (e.t !== 'num' || !/^[0-9]+$/.test(e.text)) return null;
  const k = Number(e.text);
  if (k < 1 || k > outputs.length)
    throw new QueryError(
      `${ordinal(term + 1)} ${clause} term out of range - should be between 1 and ${outputs.length}`,
      'QUERY',
      { sql, offset: e.start },
    );
  return outputs[k - 1].expr;
}

/** The select list, and its aliases by lower-cased name (the first of duplicate aliases wins, like SQLite). */
function lowerOutputs(
  ast: SelectAst,
  cx: ExprContext,
  scope: Scope | null,
): { outputs: Output[]; aliases: Map<string, Expr> } {
  const outputs: Output[] = [];
  const aliases = new Map<string, Expr>();
  for (const item of ast.items) {
    if (!item.expr) {
      if (scope === null)
        throw new QueryError('no tables specified', 'QUERY', { sql: cx.sql, offset: item.start });
      const star = starColumns(scope, item.qualifier, cx.sql);
      if (star === null)
        throw new QueryError(`no such table: ${item.qualifier ?? ''}`, 'QUERY', {
          sql: cx.sql,
          offset: item.start,
        });
      for (const c of star) {
        outputs.push({
          expr: c.expr,
          column: { name: c.column.declared, type: typeOf(c.expr), nullable: c.column.nullable },
        });
        // A column `*` lists is named like an alias: ORDER BY x means the first output called x.
        const key = c.column.declared.toLowerCase();
        if (!aliases.has(key)) aliases.set(key, c.expr);
      }
      continue;
    }
    const expr = lowerExpr(item.expr, cx);
    let col: ReturnType<typeof lookupColumn> = null;
    if (item.expr.t === 'col' && scope) {
      const { parts, quoted } = item.expr;
      col = lookupColumn(scope, parts, quoted, cx.sql);
      // `main.t.col` is named as `t.col` is (lowerExpr drops the schema the same way).
      if (!col && parts.length >= 3 && parts[0].toLowerCase() === 'main')
        col = lookupColumn(scope, parts.slice(1), quoted, cx.sql);
    }
    const name = item.alias ?? col?.declared ?? cx.sql.slice(item.start, item.end);
    outputs.push({ expr, column: { name, type: typeOf(expr), nullable: col ? col.nullable : true } });
    const key = item.alias?.toLowerCase();
    if (key !== undefined && !aliases.has(key)) aliases.set(key, expr);
  }
  if (outputs.length > MAX_COLUMNS)
    throw new QueryError('too many columns in result set', 'QUERY', {
      sql: cx.sql,
      offset: ast.items[0].start,
    });
  return { outputs, aliases };
}

/**
 * `1 COLLATE NOCASE` or `alias COLLATE NOCASE` in ORDER BY / GROUP BY: SQLite looks through the
 * COLLATE for a position or an alias, then applies the collation to what it names.
 */
function throughCollate(e: SqlExpr, cx: ExprContext): { inner: SqlExpr; wrap: (x: Expr) => Expr } {
  if (e.t !== 'collate') return { inner: e, wrap: (x) => x };
  const collation = parseCollation(e.collation);
  if (collation === null)
    throw new QueryError(`no such collation sequence: ${e.collation}`, 'QUERY', {
      sql: cx.sql,
      offset: e.start,
    });
  return { inner: e.arg, wrap: (x) => E.collate(x, collation) };
}

function lowerOrder(ast: SelectAst, outputs: readonly Output[], cx: ExprContext): SortKey[] {
  return ast.orderBy.map((o, i) => {
    const { inner, wrap } = throughCollate(o.expr, cx);
    const pos = position(inner, i, outputs, 'ORDER BY', cx.sql);
    if (pos) return sortKey(wrap(pos), o.desc, o.nulls);
    // An ORDER BY term that is exactly an alias means the alias, even if a column has that name.
    if (inner.t === 'col' && inner.parts.length === 1) {
      const alias = cx.aliases?.get(inner.parts[0].toLowerCase());
      if (alias) return sortKey(wrap(alias), o.desc, o.nulls);
    }
    return sortKey(lowerExpr(o.expr, cx), o.desc, o.nulls);
  });
}

interface Grouped {
  plan: LogicalPlan;
  outputs: Output[];
  keys: SortKey[];
  /** Post-aggregate rewriting (group keys → their slots), for the window calls' expressions. */
  toSlots: (e: Expr) => Expr;
}

/** Aggregate → Filter(having)?, with post-aggregate expressions reading group keys from their slots. */
function lowerGrouping(
  ast: SelectAst,
  input: LogicalPlan,
  outputs: readonly Output[],
  aggregates: AggregateScope,
  cx: ExprContext,
  rowCx: ExprContext,
): Grouped {
  const { sql } = cx;
  const width = scopeWidth(cx.scope);
  const misuse = 'aggregate functions are not allowed in the GROUP BY clause';
  const groupCx: ExprContext = { ...rowCx, aggregateMisuse: misuse };
  const groupBy = ast.groupBy.map((g, i) => {
    const { inner, wrap } = throughCollate(g, cx);
    const pos = position(inner, i, outputs, 'GROUP BY', sql);
    return pos ? wrap(pos) : lowerExpr(g, groupCx);
  });
  if (groupBy.some((g) => containsKind(g, 'slot'))) throw new QueryError(misuse, 'QUERY', { sql });
  groupBy.forEach(checkOrderingCollation);
  const groupNames = groupBy.map((g, i) => {
    const out = outputs.find((o) => exprEquals(o.expr, g));
    return out ? out.column.name : sql.slice(ast.groupBy[i].start, ast.groupBy[i].end);
  });
  const having = ast.having ? lowerExpr(ast.having, { ...cx, windows: null }) : null;
  const keys = lowerOrder(ast, outputs, cx);
  const toSlots = (e: Expr): Expr =>
    rewrite(e, (node) => {
      const k = groupBy.findIndex((g) => exprEquals(g, node));
      if (k < 0) return null;
      const slot = E.slot(width + k, typeOf(node), groupNames[k]);
      // The slot keeps the key's collation so ORDER BY and comparisons above still fold case.
      const collation = exprCollation(node);
      return collation ? E.collate(slot, collation) : slot;
    });
  // Without GROUP BY an aggregate query yields one row even over no input: every column may be NULL.
  const oneGroup = groupBy.length === 0;
  // Aggregates met in HAVING and ORDER BY were registered while lowering them: build the node last.
  let plan: LogicalPlan = L.aggregate(input, groupBy, aggregates.list, width);
  if (having) plan = L.filter(plan, toSlots(having));
  return {
    plan,
    outputs: outputs.map((o) => ({
      expr: toSlots(o.expr),
      column: oneGroup ? { ...o.column, nullable: true } : o.column,
    })),
    keys: keys.map((k) => ({ ...k, expr: toSlots(k.expr) })),
    toSlots,
  };
}

/**
 * A SELECT over `scope`, or without FROM when `scope` is null: then the input is one row of no
 * columns (a Values leaf), so WHERE, GROUP BY, ORDER BY and LIMIT apply as SQLite applies them.
 */
export function lowerSelect(
  ast: SelectAst,
  scope: Scope | null,
  params: ParamCollector,
  sql: string,
): SelectStmt {
  // SQLite decides aggregate-ness from GROUP BY and the select list only.
  const isAggregate = ast.groupBy.length > 0 || ast.items.some((i) => containsAggregateCall(i.expr));
  const width = scopeWidth(scope);
  const aggregates: AggregateScope | null = isAggregate
    ? { list: [], base: width + ast.groupBy.length }
    : null;
  const windows = windowScope(ast.windows, sql);
  const cx: ExprContext = { scope, params, sql, aggregates, allowColumns: true, windows };
  const selectList = lowerOutputs(ast, cx, scope);
  const aliases = selectList.aliases;
  const rowCx: ExprContext = { ...cx, aggregates: null, aliases, windows: null };

  let plan: LogicalPlan = scope
    ? isMulti(scope)
      ? scope.plan
      : scope.source
        ? L.virtual(scope.source)
        : L.scan(scope.schema.name, scope.hint)
    : L.values([[]]);
  const where = [
    ...(ast.where ? [lowerExpr(ast.where, rowCx)] : []),
    ...(scope && isMulti(scope) ? scope.where : []),
  ];
  if (where.length)
    plan = L.filter(
      plan,
      where.reduce((a, b) => E.and(a, b)),
    );
  let outputs = selectList.outputs;
  let keys: SortKey[];
  let toSlots = (e: Expr): Expr => e;
  if (aggregates) {
    ({ plan, outputs, keys, toSlots } = lowerGrouping(
      ast,
      plan,
      outputs,
      aggregates,
      { ...cx, aliases },
      rowCx,
    ));
  } else {
    if (ast.having) throw new QueryError('HAVING clause on a non-aggregate query', 'QUERY', { sql });
    keys = lowerOrder(ast, outputs, { ...rowCx, windows });
  }
  if (windows.list.length > 0) {
    // Window values follow the rows they are computed over: the stored row, or the group row.
    const base = aggregates ? width + ast.groupBy.length + aggregates.list.length : width;
    const place = (e: Expr): Expr => placeWindowSlots(e, base);
    plan = L.window(
      plan,
      windows.list.map((c) => mapWindowCall(c, toSlots)),
      base,
    );
    outputs = outputs.map((o) => ({ ...o, expr: place(o.expr) }));
    keys = keys.map((k) => ({ ...k, expr: place(k.expr) }));
  }

  // Sort runs below Project, so it may read columns the select list does not.
  const exprs = outputs.map((o) => o.expr);
  // An ordering under a collation SQLite does not have is refused where it is used.
  for (const k of keys) checkOrderingCollation(k.expr);
  if (ast.distinct) exprs.forEach(checkOrderingCollation);
  // SQLite's DISTINCT sees rows before its sorter does: each distinct row keeps the values of its
  // first input row, for ORDER BY terms it does not select and under a NOCASE or RTRIM fold alike.
  const beforeSort = ast.distinct && keys.length > 0;
  if (keys.length) plan = L.sort(plan, keys);
  plan = L.project(
    plan,
    outputs.map((o) => ({ expr: o.expr, name: o.column.name })),
  );
  if (ast.distinct) plan = L.distinct(plan, beforeSort);
  if (ast.limit) {
    const constCx: ExprContext = { ...cx, aggregates: null, allowColumns: false };
    const limit = lowerExpr(ast.limit, constCx);
    const offset = ast.offset ? lowerExpr(ast.offset, constCx) : null;
    plan = L.limit(plan, limit, offset);
  }
  return {
    kind: 'select',
    plan,
    columns: outputs.map((o) => o.column),
    collection: scope && !isMulti(scope) && !scope.source ? scope.schema.name : null,
  };
}

/** `VALUES (...), (...)` as a statement: columns column1, column2, ... like SQLite's. */
export function lowerValues(
  ast: Extract<StatementAst, { t: 'values' }>,
  params: ParamCollector,
  sql: string,
): SelectStmt {
  const width = ast.rows[0].length;
  const cx: ExprContext = { scope: null, params, sql, aggregates: null, allowColumns: false };
  const rows = ast.rows.map((r) => {
    if (r.length !== width)
      throw new QueryError('all VALUES must have the same number of terms', 'QUERY', {
        sql,
        offset: r[0].start,
      });
    return r.map((x) =>
      lowerExpr(x, { ...cx, aggregateMisuse: `misuse of aggregate: ${sql.slice(x.start, x.end)}` }),
    );
  });
  const columns: OutputColumn[] = Array.from({ length: width }, (_, i) => ({
    name: `column${i + 1}`,
    type: sharedType(rows.map((r) => typeOf(r[i]))),
    nullable: true,
  }));
  const plan = L.project(
    L.values(rows),
    columns.map((c, i) => ({ expr: E.slot(i, c.type, c.name), name: c.name })),
  );
  return { kind: 'select', plan, columns, collection: null };
}
