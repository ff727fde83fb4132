/**
 * FROM clause → the scope names resolve against, plus (for several sources or a derived table)
 * the logical Join tree that produces the wide row. Joins nest to the left in written order, as
 * SQLite reads them; USING and NATURAL become equality conjuncts of the ON condition, and their
 * columns are merged (parser/join-scope.ts). A derived table is lowered like any query (through
 * the statement's query lowerer, which also lowers subqueries) and becomes a Derived leaf.
 */
import { NotSupportedError, QueryError } from '../src/errors';
import { E } from '../planner/expr';
import type { Expr } from '../planner/expr';
import { L } from '../planner/logical';
import type { JoinType, LogicalPlan } from '../planner/logical';
import { comparisonCollation, exprCollation } from '../planner/sql-text';
import { unifyTypes } from '../planner/functions/types';
import { typeOf } from '../planner/compile-expr';
import type { FromAst, FromSourceAst, SelectAst } from './sql/ast';
import type { ParamCollector } from './params';
import type { CatalogReader, TableScope } from './scope';
import { scopeFor, visibleColumns } from './scope';
import { virtualScope } from './lower-introspect';
import { lowerExpr } from './lower-expr';
import type { DerivedColumn, MergedName, Member, MultiScope, Scope } from './join-scope';
import { inMember } from './join-scope';

/** The scope of a SELECT's FROM clause; null without FROM. */
export function fromScope(
  ast: SelectAst,
  catalog: CatalogReader,
  params: ParamCollector,
  sql: string,
): Scope | null {
  if (ast.from) return lowerFrom(ast.from, catalog, params, sql);
  if (ast.table === null) return null;
  return virtualScope(ast, params, sql) ?? scopeFor(catalog, ast.table, ast.tableAlias, sql);
}

/** The projected expressions of a query plan (the leftmost arm's, for a compound). */
function projected(plan: LogicalPlan): readonly Expr[] {
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
function uniqueNames(names: readonly string[]): string[] {
  const seen = new Set<string>();
  return names.map((name) => {
    let out = name;
    for (let k = 1; seen.has(out.toLowerCase()); k++) out = `${name}:${k}`;
    seen.add(out.toLowerCase());
    return out;
  });
}

interface Leaf {
  member: Omit<Member, 'offset' | 'nullable' | 'mergedAway'>;
  plan: LogicalPlan;
}

function leaf(src: FromSourceAst, catalog: CatalogReader, params: ParamCollector, sql: string): Leaf {
  if (src.t === 'table') {
    const scope: TableScope =
      virtualScope({ table: src.name, tableArgs: src.args, tableAlias: src.alias }, params, sql) ??
      scopeFor(catalog, src.name, src.alias, sql);
    return {
      member: {
        qualifiers: scope.qualifiers,
        width: scope.compiled.columnCount,
        table: scope,
        derived: null,
      },
      plan: scope.source ? L.virtual(scope.source) : L.scan(scope.schema.name),
    };
  }
  const lowerQuery = params.queryLowerer;
  if (!lowerQuery)
    throw new NotSupportedError('subqueries in FROM in this statement', 'NOT_SUPPORTED', { sql });
  const inner = lowerQuery(src.query);
  const exprs = projected(inner.plan);
  const names = uniqueNames(inner.columns.map((c) => c.name));
  const derived: DerivedColumn[] = inner.columns.map((c, i) => {
    const collation = exprs[i] ? exprCollation(exprs[i]) : undefined;
    return { name: names[i], type: c.type, ...(collation ? { collation } : {}) };
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
  if (m.table) return visibleColumns(m.table).map((c) => c.declared);
  return (m.derived ?? []).map((d) => d.name);
}

/** The left member an unqualified name resolves to (merged names to their owner), or -1. */
function leftOwner(
  members: readonly Member[],
  merged: ReadonlyMap<string, MergedName>,
  name: string,
): number {
  const m = merged.get(name.toLowerCase());
  if (m) return m.owner;
  const hits = members.flatMap((member, k) =>
    !member.mergedAway.has(name.toLowerCase()) && inMember(member, [name], false) ? [k] : [],
  );
  return hits.length === 1 ? hits[0] : hits.length > 1 ? -2 : -1;
}

function multi(
  members: readonly Member[],
  merged: ReadonlyMap<string, MergedName>,
  plan: LogicalPlan,
): MultiScope {
  const last = members[members.length - 1];
  return { kind: 'multi', members, width: last.offset + last.width, merged, plan };
}

export function lowerFrom(
  from: FromAst,
  catalog: CatalogReader,
  params: ParamCollector,
  sql: string,
): MultiScope {
  const first = leaf(from.first, catalog, params, sql);
  let members: Member[] = [{ ...first.member, offset: 0, nullable: false, mergedAway: new Set() }];
  const merged = new Map<string, MergedName>();
  let plan = first.plan;
  for (const j of from.joins) {
    const right = leaf(j.source, catalog, params, sql);
    const type: JoinType = j.kind === 'cross' ? 'inner' : j.kind;
    const offset = members[members.length - 1].offset + members[members.length - 1].width;
    // The kept side of an outer join is the other side's NULL source.
    if (type === 'right' || type === 'full') members = members.map((m) => ({ ...m, nullable: true }));
    const mergedAway = new Set<string>();
    const r: Member = {
      ...right.member,
      offset,
      nullable: type === 'left' || type === 'full',
      mergedAway,
    };
    const left = members;
    let using: readonly string[] = j.using ?? [];
    if (j.natural) {
      const rightNames = memberNames(r);
      using = rightNames.filter((n) => leftOwner(left, merged, n) >= 0);
    }
    const conds: Expr[] = [];
    const seen = new Set<string>();
    for (const name of using) {
      const key = name.toLowerCase();
      if (seen.has(key)) continue;
      seen.add(key);
      const owner = leftOwner(left, merged, name);
      const rc = inMember(r, [name], false);
      if (owner === -2) throw new QueryError(`ambiguous reference to ${name} in USING()`, 'QUERY', { sql });
      if (owner < 0 || !rc)
        throw new QueryError(
          `cannot join using column ${name} - column not present in both tables`,
          'QUERY',
          { sql },
        );
      const prior = merged.get(key);
      const lc = inMember(left[owner], [name], false);
      const lexpr = prior ? prior.expr : (lc?.expr ?? rc.expr);
      const eq = E.binary('=', lexpr, rc.expr);
      const collation = comparisonCollation(lexpr, rc.expr);
      conds.push(collation ? { ...eq, collation } : eq);
      mergedAway.add(key);
      if (type === 'right' || type === 'full') {
        const t = unifyTypes([typeOf(lexpr), typeOf(rc.expr)]);
        merged.set(key, { owner, expr: E.call('coalesce', [lexpr, rc.expr], t) });
      }
    }
    members = [...members, r];
    if (j.on) {
      const scope = multi(members, merged, plan);
      conds.push(lowerExpr(j.on, { scope, params, sql, aggregates: null, allowColumns: true }));
    }
    const on = conds.length === 0 ? null : conds.reduce((a, b) => E.and(a, b));
    plan = L.join(type, plan, right.plan, on, offset, r.width);
  }
  return multi(members, merged, plan);
}
