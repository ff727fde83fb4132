/**
 * Compound SELECT → logical plan: every arm is lowered as an ordinary SELECT (or VALUES), the
 * arms are joined left to right by Compound nodes (SQLite gives UNION, UNION ALL, INTERSECT and
 * EXCEPT equal precedence), and ORDER BY / LIMIT / OFFSET apply above them to the whole result:
 *
 *   Compound(Compound(arm1, arm2), arm3) → Sort? → Limit?
 *
 * SQLite's rules: the arms must have equal widths; columns are named by the first arm; column i
 * compares under the collation of the leftmost arm whose column i has one; an ORDER BY term must
 * be an output position, an alias of an arm, or an expression equal to an arm's result column.
 */
import { ModelVaultError, QueryError } from '../src/errors';
import { E } from '../planner/expr';
import type { Collation, Expr, ValueType } from '../planner/expr';
import { L, sortKey } from '../planner/logical';
import type { CompoundOp, LogicalPlan, SortKey } from '../planner/logical';
import { parseCollation, resultCollation } from '../planner/sql-text';
import type { OutputColumn, SelectStmt } from './ir';
import type { CompoundAst, OrderItem, SelectAst, SqlExpr } from './sql/ast';
import type { ParamCollector } from './params';
import type { CatalogReader } from './scope';
import type { Scope } from './join-scope';
import { fromScope } from './lower-from';
import { lowerSelect, lowerValues, ordinal } from './lower-select';
import { lowerExpr } from './lower-expr';
import type { ExprContext } from './lower-expr';
import { exprEquals } from './expr-utils';
import { sharedType } from '../planner/expr-type';

const OPS: Readonly<Record<CompoundAst['ops'][number], CompoundOp>> = {
  UNION: 'union',
  'UNION ALL': 'unionAll',
  INTERSECT: 'intersect',
  EXCEPT: 'except',
};

interface Arm {
  readonly stmt: SelectStmt;
  /** The SELECT this arm was lowered from (null for VALUES) and the table it reads. */
  readonly ast: SelectAst | null;
  readonly scope: Scope | null;
  /** The arm's result expressions, as its Project computes them. */
  readonly exprs: readonly Expr[];
}

function projectedExprs(plan: LogicalPlan): Expr[] {
  let node = plan;
  while (node.kind === 'limit' || node.kind === 'distinct') node = node.input;
  return node.kind === 'project' ? node.columns.map((c) => c.expr) : [];
}

function lowerArm(
  arm: CompoundAst['arms'][number],
  catalog: CatalogReader,
  params: ParamCollector,
  sql: string,
): Arm {
  if (arm.t === 'values') {
    const stmt = lowerValues(arm, params, sql);
    return { stmt, ast: null, scope: null, exprs: projectedExprs(stmt.plan) };
  }
  const scope = fromScope(arm, catalog, params, sql);
  const stmt = lowerSelect(arm, scope, params, sql);
  return { stmt, ast: arm, scope, exprs: projectedExprs(stmt.plan) };
}

function containsParam(e: unknown): boolean {
  if (e === null || typeof e !== 'object') return false;
  if ((e as { t?: unknown }).t === 'param') return true;
  return Object.values(e).some(containsParam);
}

/** Output position of each select-list item of `arm` (`*` expands to several columns). */
function itemPositions(arm: Arm): number[] {
  const items = arm.ast?.items ?? [];
  const stars = items.filter((i) => i.expr === null).length;
  const starWidth = stars ? (arm.stmt.columns.length - (items.length - stars)) / stars : 0;
  let at = 0;
  return items.map((item) => {
    const k = at;
    at += item.expr === null ? starWidth : 1;
    return k;
  });
}

const SPAN_KEYS = new Set(['start', 'end', 'depth', 'quoted']);

/**
 * Whether two ORDER BY / select-list terms are written alike: spans ignored, function and
 * column names (`fold`) in any case, literals exactly.
 */
function sameTerm(a: unknown, b: unknown, fold = false): boolean {
  if (typeof a === 'string' && typeof b === 'string')
    return fold ? a.toLowerCase() === b.toLowerCase() : a === b;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return a === b;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const keys = Object.keys(ra).filter((k) => !SPAN_KEYS.has(k));
  if (keys.length !== Object.keys(rb).filter((k) => !SPAN_KEYS.has(k)).length) return false;
  const named = ra.t === 'call' || ra.t === 'col';
  return keys.every((k) => sameTerm(ra[k], rb[k], fold || (named && (k === 'name' || k === 'parts'))));
}

/** The output column an ORDER BY term names in `arm`, or -1. */
function matchInArm(term: SqlExpr, arm: Arm, params: ParamCollector, sql: string): number {
  const positions = itemPositions(arm);
  const items = arm.ast?.items ?? [];
  if (term.t === 'col' && term.parts.length === 1) {
    const name = term.parts[0].toLowerCase();
    const k = items.findIndex((item) => item.alias?.toLowerCase() === name);
    if (k >= 0) return positions[k];
  }
  // A term with a parameter never names a column (SQLite's answer too); lowering it would not matter.
  if (containsParam(term)) return -1;
  const cx: ExprContext = { scope: arm.scope, params, sql, aggregates: null, allowColumns: arm.ast !== null };
  try {
    const expr = lowerExpr(term, cx);
    const k = arm.exprs.findIndex((x) => exprEquals(x, expr));
    if (k >= 0) return k;
  } catch (err) {
    // A term that does not resolve outside an aggregate (an unknown column, count(*)) may still be
    // written exactly as a result column, which is how SQLite matches aggregates.
    if (!(err instanceof ModelVaultError)) throw err;
  }
  const k = items.findIndex((item) => item.expr !== null && sameTerm(item.expr, term));
  return k >= 0 ? positions[k] : -1;
}

function orderKey(
  item: OrderItem,
  index: number,
  arms: readonly Arm[],
  columns: readonly OutputColumn[],
  collations: readonly (Collation | undefined)[],
  params: ParamCollector,
  sql: string,
): SortKey {
  let term = item.expr;
  let explicit: Collation | undefined;
  if (term.t === 'collate') {
    const c = parseCollation(term.collation);
    if (c === null)
      throw new QueryError(`no such collation sequence: ${term.collation}`, 'QUERY', {
        sql,
        offset: term.start,
      });
    explicit = c;
    term = term.arg;
  }
  let k = -1;
  if (term.t === 'num' && /^[0-9]+$/.test(term.text)) {
    k = Number(term.text) - 1;
    if (k < 0 || k >= columns.length)
      throw new QueryError(
        `${ordinal(index + 1)} ORDER BY term out of range - should be between 1 and ${columns.length}`,
        'QUERY',
        { sql, offset: term.start },
      );
  } else {
    for (const arm of arms) {
      k = matchInArm(term, arm, params, sql);
      if (k >= 0) break;
    }
  }
  if (k < 0)
    throw new QueryError(
      `${ordinal(index + 1)} ORDER BY term does not match any column in the result set`,
      'QUERY',
      { sql, offset: item.expr.start },
    );
  const slot = E.slot(k, columns[k].type, columns[k].name);
  const collation = explicit ?? collations[k];
  return sortKey(
    collation && collation !== 'binary' ? E.collate(slot, collation) : slot,
    item.desc,
    item.nulls,
  );
}

/**
 * Whether `e`'s values may be text, as SQLite's sqlite3ExprDataType tells it: a column or CAST of
 * no numeric affinity, a parameter or function call may be anything; arithmetic never is text.
 */
function mayBeText(e: Expr): boolean {
  switch (e.kind) {
    case 'literal':
      return typeof e.value === 'string';
    case 'column':
      return e.noAffinity === true || !NUMERIC_COLUMN.has(e.type);
    case 'cast':
      return e.to === 'text' || e.to === 'blob';
    case 'collate':
      return mayBeText(e.arg);
    case 'case':
      return e.whens.some((w) => mayBeText(w.then)) || (e.otherwise !== null && mayBeText(e.otherwise));
    case 'binary':
      return e.op === '||';
    case 'param':
    case 'call':
    case 'subquery':
    case 'slot':
    case 'aggregate':
      return true;
    default:
      return false;
  }
}

const NUMERIC_COLUMN: ReadonlySet<ValueType> = new Set(['integer', 'real', 'boolean', 'timestamp']);

/** SQLite's affinity of an arm's result expression, as far as REAL reads need it: 'real' or not. */
function realColumnAffinity(e: Expr): 'real' | 'other' | 'none' {
  switch (e.kind) {
    case 'collate':
      return realColumnAffinity(e.arg);
    case 'column':
      if (e.noAffinity === true || e.jsonTypeAt !== undefined) return 'none';
      return e.type === 'real' ? 'real' : 'other';
    case 'cast':
      return e.to === 'real' ? 'real' : 'other';
    default:
      return 'none';
  }
}

/**
 * Whether a compound read as a table (FROM, a CTE) gives column `i` REAL affinity, which makes
 * every INTEGER read from it REAL (`SELECT r UNION ALL SELECT i` reads 5 as 5.0). SQLite's rule
 * (sqlite3SubqueryColumnTypes): the column takes the affinity of the first arm whose expression
 * has one; it is lost if another arm may be text, and a CAST in the first arm keeps its values
 * as they are.
 */
function realAffinity(arms: readonly Arm[], i: number): boolean {
  const exprs = arms.map((a) => a.exprs[i] as Expr | undefined);
  if (exprs.some((e) => e === undefined)) return false;
  const known = exprs as Expr[];
  const j = known.findIndex((e) => realColumnAffinity(e) !== 'none');
  if (j < 0 || realColumnAffinity(known[j]) !== 'real') return false;
  if (j === 0 && known[0].kind === 'cast') return false;
  return known.every((e, k) => k === j || !mayBeText(e));
}

export function lowerCompound(
  ast: CompoundAst,
  catalog: CatalogReader,
  params: ParamCollector,
  sql: string,
  asTable = false,
): SelectStmt {
  const arms = ast.arms.map((arm) => lowerArm(arm, catalog, params, sql));
  const width = arms[0].stmt.columns.length;
  arms.forEach((arm, i) => {
    if (i > 0 && arm.stmt.columns.length !== width)
      throw new QueryError(
        `SELECTs to the left and right of ${ast.ops[i - 1]} do not have the same number of result columns`,
        'QUERY',
        { sql },
      );
  });
  const columns: OutputColumn[] = arms[0].stmt.columns.map((c, i) => ({
    name: c.name,
    type: sharedType(arms.map((a) => a.stmt.columns[i].type)),
    nullable: arms.some((a) => a.stmt.columns[i].nullable),
  }));
  const collations = columns.map((_, i) => {
    for (const arm of arms) {
      const c = arm.exprs[i] ? resultCollation(arm.exprs[i]) : null;
      if (c !== null) return c;
    }
    return undefined;
  });
  // An arm's REAL column in a column the arms do not agree on: its whole numbers are tagged as
  // they enter the compound (planner/tagged-real.ts), each arm's at the compound it joins; under
  // REAL affinity every arm's numbers are.
  const affinity = columns.map((c, i) => asTable && c.type === 'any' && realAffinity(arms, i));
  const realIn = (arm: Arm): number[] =>
    columns.flatMap((c, i) =>
      affinity[i] || (c.type === 'any' && arm.stmt.columns[i].type === 'real') ? [i] : [],
    );
  let plan: LogicalPlan = arms[0].stmt.plan;
  for (let i = 1; i < arms.length; i++) {
    const tags = { left: i === 1 ? realIn(arms[0]) : [], right: realIn(arms[i]) };
    const tagReals = tags.left.length + tags.right.length > 0 ? tags : undefined;
    plan = L.compound(OPS[ast.ops[i - 1]], plan, arms[i].stmt.plan, collations, tagReals);
  }
  const keys = ast.orderBy.map((o, i) => orderKey(o, i, arms, columns, collations, params, sql));
  if (keys.length > 0) plan = L.sort(plan, keys);
  if (ast.limit) {
    const cx: ExprContext = { scope: null, params, sql, aggregates: null, allowColumns: false };
    plan = L.limit(plan, lowerExpr(ast.limit, cx), ast.offset ? lowerExpr(ast.offset, cx) : null);
  }
  return { kind: 'select', plan, columns, collection: null };
}

/**
 * A recursive CTE's own ORDER BY as sort keys over the CTE's rows. SQLite matches its terms
 * against the arms as it does a compound's (a position, an arm's alias, an arm's result
 * expression): `stmts` are the lowered initial SELECT (the first arms as one compound) and each
 * recursive arm, in order. Terms are matched as written, the way a compound's terms that do not
 * resolve in an arm's scope are.
 */
export function recursiveOrderKeys(
  ast: CompoundAst,
  stmts: readonly SelectStmt[],
  params: ParamCollector,
  sql: string,
): SortKey[] {
  if (ast.orderBy.length === 0) return [];
  const initArms = ast.arms.length - (stmts.length - 1);
  // Several initial arms were lowered as one compound: each still names its items (aliases,
  // terms), but has no result expressions of its own to compare with.
  const armOf = (stmt: SelectStmt, i: number, own: boolean): Arm => {
    const source = ast.arms[i];
    return {
      stmt,
      ast: source.t === 'select' ? source : null,
      scope: null,
      exprs: own ? projectedExprs(stmt.plan) : [],
    };
  };
  const arms: Arm[] = [];
  for (let i = 0; i < initArms; i++) arms.push(armOf(stmts[0], i, initArms === 1));
  stmts.slice(1).forEach((stmt, j) => arms.push(armOf(stmt, initArms + j, true)));
  const columns = stmts[0].columns;
  const collations = columns.map((_, i) => {
    for (const arm of arms) {
      const c = arm.exprs[i] ? resultCollation(arm.exprs[i]) : null;
      if (c !== null) return c;
    }
    return undefined;
  });
  return ast.orderBy.map((o, i) => orderKey(o, i, arms, columns, collations, params, sql));
}
