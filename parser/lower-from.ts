/**
 * FROM clause → the scope names resolve against, plus (for several sources or a derived table)
 * the logical Join tree that produces the wide row. Joins nest to the left in written order, as
 * SQLite reads them; USING and NATURAL become equality conjuncts of the ON condition, and their
 * columns are merged (parser/join-scope.ts). A derived table is lowered like any query (through
 * the statement's query lowerer, which also lowers subqueries) and becomes a Derived leaf.
 */
import { NotSupportedError, QueryError } from '../src/errors';
import { E, conjuncts } from '../planner/expr';
import { rowColumnsOf } from '../planner/expr-columns';
import type { Expr } from '../planner/expr';
import { L } from '../planner/logical';
import type { JoinType, LogicalPlan, SharedCte } from '../planner/logical';
import { comparisonCollation, exprCollation } from '../planner/sql-text';
import type { FromAst, FromSourceAst, SelectAst, SqlExpr } from './sql/ast';
import type { CteBody, CteEntry, ParamCollector } from './params';
import { findCte } from './cte-scope';
import { findView, viewEntry } from './lower-view';
import type { CatalogView } from './scope';
import type { CatalogReader, TableScope } from './scope';
import { scopeFor, visibleColumns } from './scope';
import { everyViewInfo, virtualScope } from './lower-introspect';
import { lowerExpr } from './lower-expr';
import type { DerivedColumn, Member, MultiScope, Scope } from './join-scope';
import { inMember, resolveUnqualified, starColumns } from './join-scope';
import {
  ATOM_COLUMN,
  JSON_TABLE_COLUMNS,
  TYPE_COLUMN,
  VALUE_COLUMN,
  isJsonTableFn,
} from '../planner/json-table';
import type { JsonTableFn } from '../planner/json-table';
import { pragmaFnColumns, pragmaTable } from '../planner/introspect/virtual';
import type { VirtualTable } from '../planner/introspect/virtual';
import { someSql } from './index-sql';

/** The scope of a SELECT's FROM clause; null without FROM. */
export function fromScope(
  ast: SelectAst,
  catalog: CatalogReader,
  params: ParamCollector,
  sql: string,
): Scope | null {
  if (ast.from) return lowerFrom(ast.from, catalog, params, sql);
  if (ast.table === null) return null;
  // A CTE, a view, json_each or a PRAGMA function reading a column is read like a derived table,
  // through the FROM clause machinery.
  const tableFn =
    ast.tableArgs !== undefined &&
    (isJsonTableFn(ast.table) || lateralPragma(ast.table, ast.tableArgs) !== null);
  if (tableFn)
    return lowerFrom(
      {
        first: { t: 'table', name: ast.table, args: ast.tableArgs, alias: ast.tableAlias, start: 0, end: 0 },
        joins: [],
      },
      catalog,
      params,
      sql,
    );
  if (!ast.tableArgs && (findCte(params, ast.table) || findView(catalog, ast.table)))
    return lowerFrom(
      {
        first: {
          t: 'table',
          name: ast.table,
          alias: ast.tableAlias,
          ...(ast.tableHint ? { hint: ast.tableHint } : {}),
          start: 0,
          end: 0,
        },
        joins: [],
      },
      catalog,
      params,
      sql,
    );
  return virtualScope(ast, params, sql) ?? scopeFor(catalog, ast.table, ast.tableAlias, sql, ast.tableHint);
}

/** The projected expressions of a query plan (the leftmost arm's, for a compound). */
export function projected(plan: LogicalPlan): readonly Expr[] {
  switch (plan.kind) {
    case 'project':
      return plan.columns.map((c) => c.expr);
    case 'sort':
    case 'distinct':
    case 'limit':
    case 'filter':
      return projected(plan.input);
    case 'compound':
      return projected(plan.left);
    default:
      return [];
  }
}

/** SQLite makes a derived table's column names unique by appending `:1`, `:2`, … to repeats. */
export function uniqueNames(names: readonly string[]): string[] {
  const seen = new Set<string>();
  return names.map((name) => {
    let out = name;
    for (let k = 1; seen.has(out.toLowerCase()); k++) out = `${name}:${k}`;
    seen.add(out.toLowerCase());
    return out;
  });
}

interface Leaf {
  member: Omit<Member, 'offset' | 'join' | 'nullable' | 'leftOfRight' | 'mergedAway'>;
  plan: LogicalPlan;
  /** json_each's plan, once the whole FROM clause is known (its arguments may read any source). */
  finish?: (whole: MultiScope) => LogicalPlan;
}

/** Whether a plan reads an outer query's column (a correlated reference) anywhere. */
function readsOuter(root: unknown): boolean {
  const seen = new Set<object>();
  const walk = (v: unknown): boolean => {
    if (typeof v !== 'object' || v === null || seen.has(v) || ArrayBuffer.isView(v)) return false;
    seen.add(v);
    if ((v as { kind?: unknown }).kind === 'param' && 'outer' in v) return true;
    return Object.values(v).some(walk);
  };
  return walk(root);
}

/**
 * A CTE's body for one reference. A non-recursive CTE without NOT MATERIALIZED whose body reads
 * nothing of the query around it is lowered once and shared by every reference, so the planner
 * computes it once per execution when it is read more than once (SQLite materializes it then).
 */
function cteBody(
  entry: CteEntry,
  lower: (entry: CteEntry) => CteBody,
): { body: CteBody; info: SharedCte | undefined } {
  if (entry.notMaterialized) return { body: lower(entry), info: undefined };
  if (entry.shared) {
    entry.shared.info.refs++;
    return entry.shared;
  }
  const body = lower(entry);
  const recursive =
    body.plan.kind === 'recursiveCte' ||
    (body.plan.kind === 'limit' && body.plan.input.kind === 'recursiveCte');
  if (recursive || readsOuter(body.plan)) return { body, info: undefined };
  entry.shared = { body, info: { refs: 1 } };
  return entry.shared;
}

/** A FROM source naming a CTE: its body as a derived table, or the working table of a recursive arm. */
function cteLeaf(
  entry: CteEntry,
  src: { name: string; alias: string | null },
  params: ParamCollector,
  sql: string,
): Leaf {
  const qualifiers = [(src.alias ?? src.name).toLowerCase()];
  const w = entry.working;
  if (w && w.depth === params.nestDepth) {
    if (++w.refs > 1)
      throw new QueryError(`multiple references to recursive table: ${entry.name}`, 'QUERY', { sql });
    return {
      member: { qualifiers, width: w.columns.length, table: null, derived: w.columns },
      plan: L.workingTable(entry.name, w.id, w.columns.length),
    };
  }
  if (entry.lowering || !params.cteLowerer)
    throw new QueryError(`circular reference: ${entry.name}`, 'QUERY', { sql });
  const { body, info } = cteBody(entry, params.cteLowerer);
  return {
    member: { qualifiers, width: body.columns.length, table: null, derived: [...body.columns] },
    plan: entry.view
      ? {
          ...L.derived(body.plan, src.alias ?? entry.name, body.columns.length, entry.name, info),
          view: true,
        }
      : L.derived(body.plan, src.alias, body.columns.length, entry.name, info),
  };
}

/** A FROM source naming a view: its stored query, expanded like a CTE. */
function viewLeaf(
  view: CatalogView,
  src: { name: string; alias: string | null },
  params: ParamCollector,
  sql: string,
): Leaf {
  const key = view.name.toLowerCase();
  if (params.viewsLowering.has(key))
    throw new QueryError(`view ${view.name} is circularly defined`, 'QUERY', { sql });
  params.viewsLowering.add(key);
  try {
    // One entry per view and statement, so a view read twice is computed once, like a CTE.
    let entry = params.viewEntries.get(key);
    if (!entry) {
      entry = viewEntry(view);
      params.viewEntries.set(key, entry);
    }
    return cteLeaf(entry, src, params, sql);
  } finally {
    params.viewsLowering.delete(key);
  }
}

/**
 * A parenthesized join, lowered at global column `offset` as SQLite's nested FROM: one source
 * whose columns are what `*` lists inside it, named uniquely; its ON terms see its own sources only.
 */
function groupLeaf(
  src: Extract<FromSourceAst, { t: 'group' }>,
  offset: number,
  catalog: CatalogReader,
  params: ParamCollector,
  sql: string,
): Leaf {
  const inner = lowerFrom(src.from, catalog, params, sql, offset);
  let plan = inner.plan;
  if (inner.where.length > 0) {
    // An inner join's ON term reading a source to its right filters the group's rows: it joins
    // the ON of the group's last join when that one is inner (the same rows), else it is refused.
    if (plan.kind !== 'join' || plan.type !== 'inner')
      throw new NotSupportedError(
        'an ON term reading a later source inside a parenthesized join that ends in an outer join',
        'NOT_SUPPORTED',
        { sql },
      );
    const terms = inner.where.reduce((a, b) => E.and(a, b));
    plan = { ...plan, on: plan.on ? E.and(plan.on, terms) : terms };
  }
  const star = starColumns(inner, null, sql) ?? [];
  // Named from the tables' own column names, as SQLite names a nested FROM's columns.
  const names = uniqueNames(star.map((c) => c.column.base ?? c.column.declared));
  return {
    member: {
      qualifiers: src.alias !== null ? [src.alias.toLowerCase()] : [],
      width: inner.width - offset,
      table: null,
      derived: null,
      nested: {
        scope: inner,
        columns: star.map((c, i) => ({ name: names[i], ref: { ...c.column, expr: c.expr } })),
      },
    },
    plan,
  };
}

/** JSON_TABLE_COLUMNS as a source's columns; value and atom know where their row's type is. */
const JSON_TABLE_DERIVED: readonly DerivedColumn[] = JSON_TABLE_COLUMNS.map((c, i) => ({
  name: c.name,
  type: c.type,
  blobAffinity: true,
  ...(c.hidden ? { hidden: true as const } : {}),
  ...(i === VALUE_COLUMN || i === ATOM_COLUMN ? { jsonTypeAt: TYPE_COLUMN - i } : {}),
}));

/**
 * `json_each(…)` / `json_tree(…)` in FROM, qualified by its alias, else its name. Its arguments
 * are lowered once the whole FROM clause is known: as in SQLite they may read any of its sources
 * (the planner runs the function after them, planner/lateral-order.ts) or an enclosing query's.
 */
function jsonTableLeaf(
  src: Extract<FromSourceAst, { t: 'table' }>,
  params: ParamCollector,
  sql: string,
): Leaf {
  const fn: JsonTableFn = src.name.toLowerCase() === 'json_tree' ? 'json_tree' : 'json_each';
  const args = src.args ?? [];
  if (args.length > 2) throw new QueryError(`too many arguments on ${fn}() - max 2`, 'QUERY', { sql });
  const width = JSON_TABLE_DERIVED.length;
  return {
    member: {
      qualifiers: [(src.alias ?? src.name).toLowerCase()],
      width,
      table: null,
      derived: JSON_TABLE_DERIVED,
    },
    plan: L.tableFunction(fn, [], src.alias, width),
    finish: (whole) => {
      const cx = { scope: whole, params, sql, aggregates: null, allowColumns: true };
      return L.tableFunction(
        fn,
        args.map((a) => lowerExpr(a, cx)),
        src.alias,
        width,
      );
    },
  };
}

/** The catalog PRAGMA `pragma_<name>(args)` reads when its argument reads a column, else null. */
function lateralPragma(name: string, args: readonly SqlExpr[]): VirtualTable | null {
  const table = pragmaTable(name);
  return table !== null && someSql(args[0] ?? null, (x) => x.t === 'col') ? table : null;
}

/**
 * A catalog PRAGMA's table-valued function whose argument reads a column (`FROM sqlite_master AS
 * m JOIN pragma_table_info(m.name) AS p`, how Kysely and Drizzle introspect a schema): lowered like
 * json_each, a lateral function run once per row of the sources before it, with SQLite's hidden
 * `arg` and `schema` columns. A view's table_info rows are worked out now, for every view, as
 * `PRAGMA table_info(v)` does (the statement cache is keyed by the catalog version); table_list
 * counts them.
 */
function pragmaFnLeaf(
  src: Extract<FromSourceAst, { t: 'table' }>,
  table: VirtualTable,
  params: ParamCollector,
  sql: string,
): Leaf {
  const name = src.name.toLowerCase();
  const args = src.args ?? [];
  if (args.length > 2) throw new QueryError(`too many arguments on ${name}() - max 2`, 'QUERY', { sql });
  const schemaArg = args[1];
  if (schemaArg && !(schemaArg.t === 'str' && schemaArg.value.toLowerCase() === 'main'))
    throw new NotSupportedError(`${name}() on a schema other than main`, 'NOT_SUPPORTED', { sql });
  const derived: DerivedColumn[] = pragmaFnColumns(table).map((c) => ({
    name: c.name,
    type: c.type,
    ...(c.hidden ? { hidden: true as const } : {}),
  }));
  const views =
    table === 'table_info' || table === 'table_xinfo' || table === 'table_list'
      ? everyViewInfo(params, table === 'table_xinfo')
      : undefined;
  const fn = `pragma_${table}` as const;
  return {
    member: {
      qualifiers: [(src.alias ?? src.name).toLowerCase()],
      width: derived.length,
      table: null,
      derived,
    },
    plan: L.tableFunction(fn, [], src.alias, derived.length, views),
    finish: (whole) => {
      const cx = { scope: whole, params, sql, aggregates: null, allowColumns: true };
      const lowered = args.map((a) => lowerExpr(a, cx));
      return L.tableFunction(fn, lowered, src.alias, derived.length, views);
    },
  };
}

function leaf(
  src: FromSourceAst,
  offset: number,
  catalog: CatalogReader,
  params: ParamCollector,
  sql: string,
): Leaf {
  if (src.t === 'group') return groupLeaf(src, offset, catalog, params, sql);
  if (src.t === 'table' && src.args && isJsonTableFn(src.name)) return jsonTableLeaf(src, params, sql);
  const pragma = src.t === 'table' && src.args ? lateralPragma(src.name, src.args) : null;
  if (pragma !== null && src.t === 'table') return pragmaFnLeaf(src, pragma, params, sql);
  // A CTE or a view has no indexes to name (NOT INDEXED is accepted and changes nothing).
  if (
    src.t === 'table' &&
    src.hint?.t === 'indexedBy' &&
    (findCte(params, src.name) || findView(catalog, src.name))
  )
    throw new QueryError(`no such index: ${src.hint.index}`, 'QUERY', { sql });
  const cte = src.t === 'table' && !src.args ? findCte(params, src.name) : undefined;
  if (cte && src.t === 'table') return cteLeaf(cte, src, params, sql);
  const view = src.t === 'table' && !src.args ? findView(catalog, src.name) : undefined;
  if (view && src.t === 'table') return viewLeaf(view, src, params, sql);
  if (src.t === 'table') {
    const scope: TableScope =
      virtualScope({ table: src.name, tableArgs: src.args, tableAlias: src.alias }, params, sql) ??
      scopeFor(catalog, src.name, src.alias, sql, src.hint);
    return {
      member: {
        qualifiers: scope.qualifiers,
        width: scope.compiled.columnCount,
        table: scope,
        derived: null,
      },
      plan: scope.source ? L.virtual(scope.source) : L.scan(scope.schema.name, scope.hint),
    };
  }
  const lowerQuery = params.queryLowerer;
  if (!lowerQuery)
    throw new NotSupportedError('subqueries in FROM in this statement', 'NOT_SUPPORTED', { sql });
  const inner = lowerQuery(src.query, true);
  const exprs = projected(inner.plan);
  const names = uniqueNames(inner.columns.map((c) => c.name));
  const derived: DerivedColumn[] = inner.columns.map((c, i) => {
    const e = exprs[i] as Expr | undefined;
    const collation = e ? exprCollation(e) : undefined;
    // A json_each column keeps its BLOB affinity through the subquery, as in SQLite.
    const blob = e?.kind === 'column' && e.blobAffinity === true;
    // A column keeps its affinity through the subquery (and a CAST gives one); anything else has none.
    let source = e;
    while (source?.kind === 'collate') source = source.arg;
    const none =
      source !== undefined &&
      source.kind !== 'cast' &&
      (source.kind !== 'column' || source.noAffinity === true);
    return {
      name: names[i],
      type: c.type,
      ...(collation ? { collation } : {}),
      ...(blob ? { blobAffinity: true as const } : {}),
      ...(none ? { noAffinity: true as const } : {}),
    };
  });
  return {
    member: {
      qualifiers: src.alias !== null ? [src.alias.toLowerCase()] : [],
      width: derived.length,
      table: null,
      derived,
    },
    plan: L.derived(inner.plan, src.alias, derived.length),
  };
}

/** Declared names of a member's columns, in order (what NATURAL compares). */
function memberNames(m: Member): string[] {
  if (m.nested) return m.nested.columns.map((c) => c.name);
  if (m.table) return visibleColumns(m.table).map((c) => c.declared);
  return (m.derived ?? []).filter((d) => !d.hidden).map((d) => d.name);
}

function multi(members: readonly Member[], plan: LogicalPlan): MultiScope {
  const last = members[members.length - 1];
  return { kind: 'multi', members, width: last.offset + last.width, plan, where: [] };
}

/** `left.x = right.x` for a USING / NATURAL column, under the collation SQLite's `=` picks. */
function usingCondition(left: readonly Member[], right: Member, name: string, sql: string): Expr {
  // Only declared columns join: `USING (rowid)` names no column of either side, as in SQLite.
  const lower = name.toLowerCase();
  const declared = (m: Member): boolean => memberNames(m).some((n) => n.toLowerCase() === lower);
  const l = left.some(declared) ? resolveUnqualified(left, [name], false, sql) : null;
  const r = declared(right) ? inMember(right, [name], false, 'using', sql) : null;
  if (!l || !r)
    throw new QueryError(`cannot join using column ${name} - column not present in both tables`, 'QUERY', {
      sql,
    });
  const eq = E.binary('=', l.expr, r.expr);
  const collation = comparisonCollation(l.expr, r.expr);
  return collation ? { ...eq, collation } : eq;
}

const rightOf = (m: Member): number => m.offset + m.width;

/**
 * `base`: the global column the FROM clause's row starts at (0, except for a FROM clause nested
 * to the right of other sources, as UPDATE … FROM's is): members and expressions use global columns.
 */
export function lowerFrom(
  from: FromAst,
  catalog: CatalogReader,
  params: ParamCollector,
  sql: string,
  base = 0,
): MultiScope {
  const first = leaf(from.first, base, catalog, params, sql);
  let members: Member[] = [
    { ...first.member, offset: base, join: null, nullable: false, leftOfRight: false, mergedAway: new Set() },
  ];
  const plans = [first.plan];
  const finish = [first.finish];
  const usingConds: Expr[][] = [];
  for (const j of from.joins) {
    const right = leaf(j.source, rightOf(members[members.length - 1]), catalog, params, sql);
    finish.push(right.finish);
    const type: JoinType = j.kind === 'cross' ? 'inner' : j.kind;
    // SQLite refuses a recursive CTE's working table on the right of an outer join, in these words.
    if (right.plan.kind === 'workingTable' && type !== 'inner')
      throw new QueryError('ON clause references tables to its right', 'QUERY', { sql });
    const last = members[members.length - 1];
    // Every source to the left of a RIGHT / FULL join may be NULL-extended.
    if (type === 'right' || type === 'full')
      members = members.map((m) => ({ ...m, nullable: true, leftOfRight: true }));
    const left = members;
    const r0: Member = {
      ...right.member,
      offset: rightOf(last),
      join: type,
      nullable: type === 'left' || type === 'full',
      leftOfRight: false,
      mergedAway: new Set(),
    };
    let using: readonly string[] = j.using ?? [];
    if (j.natural) {
      using = memberNames(r0).filter((n) =>
        left.some((m) => !m.mergedAway.has(n.toLowerCase()) && inMember(m, [n], false, 'using', sql)),
      );
    }
    const keys = [...new Set(using.map((n) => n.toLowerCase()))];
    usingConds.push(
      keys.map((k) => usingCondition(left, r0, using.find((n) => n.toLowerCase() === k) ?? k, sql)),
    );
    members = [...left, { ...r0, mergedAway: new Set(keys) }];
    plans.push(right.plan);
  }
  // ON terms name columns of the whole FROM clause, as in SQLite: an inner join's term reading a
  // source to its right is a WHERE term (unless a RIGHT / FULL join follows, which would change
  // its meaning); an outer join's is an error.
  const whole = multi(members, first.plan);
  finish.forEach((f, i) => {
    if (f) plans[i] = f(whole);
  });
  const where: Expr[] = [];
  let plan = plans[0];
  from.joins.forEach((j, i) => {
    const r = members[i + 1];
    const conds = [...usingConds[i]];
    if (j.on) {
      const on = lowerExpr(j.on, { scope: whole, params, sql, aggregates: null, allowColumns: true });
      const laterOuter = members.slice(i + 2).some((m) => m.join === 'right' || m.join === 'full');
      for (const c of conjuncts(on)) {
        const beyond = [...rowColumnsOf([c])].some((col) => col >= rightOf(r));
        if (!beyond) conds.push(c);
        else if (r.join === 'inner' && !laterOuter) where.push(c);
        else throw new QueryError('ON clause references tables to its right', 'QUERY', { sql });
      }
    }
    const on = conds.length === 0 ? null : conds.reduce((a, b) => E.and(a, b));
    plan = L.join(r.join ?? 'inner', plan, plans[i + 1], on, r.offset - base, r.width);
    // SQLite never reorders around a CROSS JOIN: users write it to fix the loop order.
    if (j.kind === 'cross') plan = { ...plan, fixed: true };
  });
  return { ...multi(members, plan), where };
}
