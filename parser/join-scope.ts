/**
 * Name resolution over a FROM clause of several sources (joins, comma joins) or a derived table.
 * The sources' rows are laid side by side in one wide row: member k's columns start at its
 * `offset`, so a resolved column is an ordinary ColumnExpr at offset + column. SQLite's rules:
 * an unqualified name found in two sources is "ambiguous column name: x", except a USING /
 * NATURAL column, which means the left one (the right one under RIGHT JOIN, COALESCE of both
 * under FULL JOIN); `*` lists that column once, `t.*` lists every column of t.
 */
import { QueryError } from '../src/errors';
import { E } from '../planner/expr';
import type { Collation, ColumnExpr, Expr, ValueType } from '../planner/expr';
import type { JoinType, LogicalPlan } from '../planner/logical';
import { unifyTypes } from '../planner/functions/types';
import { typeOf } from '../planner/expr-type';
import type { ResolvedColumn, TableScope } from './scope';
import { tryColumn, visibleColumns } from './scope';

/** A derived table's output column, named the way SQLite names it (unique within the table). */
export interface DerivedColumn {
  readonly name: string;
  readonly type: ValueType;
  readonly collation?: Collation;
  /** A table-valued function's HIDDEN column (its argument): found by name, not listed by `*`. */
  readonly hidden?: true;
  /** json_each's value and atom: see ColumnExpr.jsonTypeAt. */
  readonly jsonTypeAt?: number;
  /** Declared without a type (json_each's columns): see ColumnExpr.blobAffinity. */
  readonly blobAffinity?: true;
  /** Computed by an expression, not read from a column: see ColumnExpr.noAffinity. */
  readonly noAffinity?: true;
}

/** A resolved name: a column, or the COALESCE a merged USING column stands for. */
export interface NameRef {
  readonly expr: Expr;
  readonly declared: string;
  readonly nullable: boolean;
  /** A parenthesized join's column: its table's own name (`declared` is then the unique `id:1`). */
  readonly base?: string;
}

export interface Member {
  /** Lower-cased names the source may be qualified with (its alias, else its table name). */
  readonly qualifiers: readonly string[];
  readonly offset: number;
  readonly width: number;
  /** A table or virtual table; null for a derived table. */
  readonly table: TableScope | null;
  readonly derived: readonly DerivedColumn[] | null;
  /** The join that added this source (null for the first). */
  readonly join: JoinType | null;
  /** The side of an outer join that may be NULL-extended. */
  readonly nullable: boolean;
  /** A RIGHT or FULL join follows this source (SQLite's JT_LTORJ): `*` looks its USING columns up by name. */
  readonly leftOfRight: boolean;
  /** Lower-cased names of this source's USING (or NATURAL) columns, merged into a column to the left. */
  readonly mergedAway: ReadonlySet<string>;
  /**
   * A parenthesized join (SQLite's nested FROM): its own sources, and its columns as `*` lists
   * them, named uniquely (`id`, `id:1`) — the names a bare or alias-qualified reference uses.
   */
  readonly nested?: NestedFrom;
}

export interface NestedFrom {
  readonly scope: MultiScope;
  /** `name`: unique (`id:1`), what USING / NATURAL and `*` see; `ref.declared`: the table's own name. */
  readonly columns: readonly { readonly name: string; readonly ref: NameRef }[];
}

/**
 * How a name is looked up in a parenthesized join, as SQLite's nested FROM does it: a bare name by
 * its tables' own column names (two matches are ambiguous), an alias-qualified one likewise but
 * the first match wins, a USING / NATURAL column by the unique names.
 */
export type NestedLookup = 'bare' | 'alias' | 'using';

export interface MultiScope {
  readonly kind: 'multi';
  readonly members: readonly Member[];
  readonly width: number;
  /** The FROM clause as a logical plan (a Join tree or a Derived leaf). */
  readonly plan: LogicalPlan;
  /** ON terms that belong to the WHERE clause (they read a source right of their join). */
  readonly where: readonly Expr[];
}

/** What names resolve against: one table, or several sources. */
export type Scope = TableScope | MultiScope;

export function isMulti(scope: Scope): scope is MultiScope {
  return 'kind' in scope && scope.kind === 'multi';
}

export function scopeWidth(scope: Scope | null): number {
  if (scope === null) return 0;
  return isMulti(scope) ? scope.width : scope.compiled.columnCount;
}

/** `t.x` in EXPLAIN output: a bare name would not say which side of a join it reads. */
function qualified(m: Member, name: string): string {
  return m.qualifiers.length > 0 ? `${m.qualifiers[0]}.${name}` : name;
}

function shifted(c: ResolvedColumn, m: Member): ResolvedColumn {
  const expr: ColumnExpr = { ...c.expr, column: c.expr.column + m.offset, name: qualified(m, c.expr.name) };
  return { expr, declared: c.declared, nullable: c.nullable || m.nullable };
}

function derivedColumn(m: Member, i: number): ResolvedColumn {
  const d = (m.derived ?? [])[i];
  const column = E.column(m.offset + i, [], d.type, qualified(m, d.name));
  const plain = {
    ...column,
    ...(d.jsonTypeAt === undefined ? {} : { jsonTypeAt: d.jsonTypeAt }),
    ...(d.blobAffinity ? { blobAffinity: true as const } : {}),
    ...(d.noAffinity ? { noAffinity: true as const } : {}),
  };
  return {
    expr: d.collation ? { ...plain, collation: d.collation } : plain,
    declared: d.name,
    nullable: true,
  };
}

/** A column of one member, by unqualified parts. */
export function inMember(
  m: Member,
  parts: readonly string[],
  quoted: boolean,
  how: NestedLookup = 'bare',
  sql?: string,
): NameRef | null {
  if (m.nested) {
    const key = parts.join('.').toLowerCase();
    const hits = m.nested.columns.filter(
      (x) => (how === 'using' ? x.name : (x.ref.base ?? x.ref.declared)).toLowerCase() === key,
    );
    if (hits.length > 1 && how === 'bare') throw ambiguous(parts.join('.'), sql);
    const c = hits[0];
    return c ? { ...c.ref, declared: c.name, nullable: c.ref.nullable || m.nullable } : null;
  }
  if (m.table) {
    const found = tryColumn({ ...m.table, qualifiers: [] }, parts, quoted);
    return found ? shifted(found, m) : null;
  }
  const name = parts.join('.').toLowerCase();
  const i = (m.derived ?? []).findIndex((d) => d.name.toLowerCase() === name);
  return i < 0 ? null : derivedColumn(m, i);
}

function ambiguous(name: string, sql: string | undefined): QueryError {
  return new QueryError(`ambiguous column name: ${name}`, 'QUERY', { sql });
}

/**
 * Resolve an unqualified name (or path) over the members, left to right, as SQLite does: a second
 * match is an error unless it is that source's USING column, which keeps the left match (INNER,
 * LEFT), takes the right one (RIGHT) or becomes COALESCE(left, right) (FULL).
 */
export function resolveUnqualified(
  members: readonly Member[],
  parts: readonly string[],
  quoted: boolean,
  sql?: string,
): NameRef | null {
  const key = parts.join('.').toLowerCase();
  let found: NameRef | null = null;
  for (const member of members) {
    const c = inMember(member, parts, quoted, 'bare', sql);
    if (!c) continue;
    if (!found) found = c;
    else if (!member.mergedAway.has(key)) throw ambiguous(parts.join('.'), sql);
    else if (member.join === 'right') found = c;
    else if (member.join === 'full') {
      const type = unifyTypes([typeOf(found.expr), typeOf(c.expr)]);
      found = {
        expr: E.call('coalesce', [found.expr, c.expr], type),
        declared: found.declared,
        nullable: true,
      };
    }
  }
  return found;
}

/**
 * Resolve a column reference: `t.col` (or `t.path.to.field`) against the members qualified by t,
 * else the parts as an unqualified name or nested path. Throws for an ambiguous name.
 */
export function lookupColumn(
  scope: Scope,
  parts: readonly string[],
  quoted: boolean,
  sql?: string,
): NameRef | null {
  if (!isMulti(scope)) return tryColumn(scope, parts, quoted);
  if (parts.length >= 2) {
    const q = parts[0].toLowerCase();
    const owners = scope.members.filter((m) => m.qualifiers.includes(q));
    let found: NameRef | null = null;
    for (const m of owners) {
      const c = inMember(m, parts.slice(1), quoted, 'alias', sql);
      if (!c) continue;
      if (found) throw ambiguous(parts.join('.'), sql);
      found = c;
    }
    // The tables of a parenthesized join stay qualifiable by their own names (SQLite's nested FROM).
    for (const m of scope.members) {
      if (!m.nested || !qualifies(m.nested.scope, q)) continue;
      const c = lookupColumn(m.nested.scope, parts, quoted, sql);
      if (!c) continue;
      if (found) throw ambiguous(parts.join('.'), sql);
      // Named as the nested FROM names it (`id:1`), as SQLite names such a result column.
      const own = m.nested.columns.find((x) => sameColumn(x.ref.expr, c.expr));
      const named = own ? { ...c, declared: own.name } : c;
      found = m.nullable ? { ...named, nullable: true } : named;
    }
    if (found) return found;
  }
  return resolveUnqualified(scope.members, parts, quoted, sql);
}

function sameColumn(a: Expr, b: Expr): boolean {
  return a.kind === 'column' && b.kind === 'column' && a.column === b.column && a.sub.length === b.sub.length;
}

/** Whether a source of `scope` (at any nesting) is called `q`. */
function qualifies(scope: MultiScope, q: string): boolean {
  return scope.members.some((m) => m.qualifiers.includes(q) || (m.nested && qualifies(m.nested.scope, q)));
}

/** The members' columns in `*` order; with a qualifier, that member's columns only (null: no such table). */
export function starColumns(
  scope: Scope,
  qualifier: string | null,
  sql?: string,
): { expr: Expr; column: NameRef }[] | null {
  if (!isMulti(scope)) {
    if (qualifier !== null && !scope.qualifiers.includes(qualifier.toLowerCase())) return null;
    return visibleColumns(scope).map((c) => ({ expr: c.expr, column: c }));
  }
  const q = qualifier?.toLowerCase() ?? null;
  const out: { expr: Expr; column: NameRef }[] = [];
  let matched = false;
  scope.members.forEach((m, k) => {
    if (q !== null && !m.qualifiers.includes(q)) {
      // `t.*` for a table inside a parenthesized join: its columns under the join's unique names.
      const nested = m.nested;
      const inner = nested && qualifies(nested.scope, q) ? starColumns(nested.scope, q, sql) : null;
      if (nested && inner) {
        matched = true;
        for (const c of inner) {
          const own = nested.columns.find((x) => sameColumn(x.ref.expr, c.expr));
          out.push(own ? { expr: c.expr, column: { ...c.column, declared: own.name } } : c);
        }
      }
      return;
    }
    // SQLite: an aliased parenthesized join has no `x.*`, and its `*` finds repeated names ambiguous.
    if (m.nested && q !== null) return;
    if (m.nested && m.qualifiers.length > 0) {
      const seen = new Set<string>();
      for (const c of m.nested.columns) {
        const name = c.ref.base ?? c.ref.declared;
        const key = name.toLowerCase();
        if (seen.has(key)) throw ambiguous(name, sql);
        seen.add(key);
      }
    }
    matched = true;
    const cols: NameRef[] = m.nested
      ? m.nested.columns.map((c) => ({
          ...c.ref,
          declared: c.name,
          nullable: true,
          base: c.ref.base ?? c.ref.declared,
        }))
      : m.table
        ? visibleColumns(m.table).map((c) => shifted(c, m))
        : (m.derived ?? []).flatMap((d, i) => (d.hidden ? [] : [derivedColumn(m, i)]));
    const later = scope.members.slice(k + 1);
    // SQLite expands `*` to `t.col` terms. With several sources called t such a term is
    // ambiguous when two of them hold the column, a right source's USING / NATURAL column aside
    // (merged into the one to its left); `t.*` keeps merged columns, `*` drops them.
    const name = m.qualifiers[0];
    const namesakes = name === undefined ? [] : scope.members.filter((x) => x.qualifiers.includes(name));
    const holds = (x: Member, col: string): boolean =>
      !x.mergedAway.has(col.toLowerCase()) && inMember(x, [col], false, 'bare', sql) !== null;
    for (const c of cols) {
      const key = c.declared.toLowerCase();
      if (q === null && m.mergedAway.has(key)) continue;
      if (namesakes.length > 1 && namesakes.filter((x) => holds(x, c.declared)).length > 1)
        throw ambiguous(`main.${name ?? ''}.${c.declared}`, sql);
      // SQLite's star expansion names such a column unqualified, so it resolves (and may be
      // ambiguous, or a COALESCE) like a bare name.
      const byName = m.leftOfRight && later.some((x) => x.mergedAway.has(key));
      const ref = byName ? resolveUnqualified(scope.members, [c.declared], true, sql) : null;
      out.push({ expr: ref ? ref.expr : c.expr, column: ref ?? c });
    }
  });
  return q !== null && !matched ? null : out;
}
