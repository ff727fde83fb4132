/**
 * Common table expressions. A WITH clause puts its CTEs on the collector's stack for the rest of
 * the statement; a FROM source naming one is lowered as a derived table over the CTE's body,
 * lowered afresh for each reference (so it sees the CTEs defined in its WITH clause, forward
 * references included as in SQLite).
 *
 * A compound body whose later arms read the CTE itself is recursive (with or without the
 * RECURSIVE keyword, as in SQLite): the arms before the first such arm give the initial rows,
 * each later arm is run per row produced with its self-reference reading that row (a
 * WorkingTable leaf), under UNION or UNION ALL. SQLite's errors: "circular reference: x" for a
 * self-reference anywhere else, "multiple references to recursive table: x", "recursive
 * aggregate queries not supported".
 */
import { NotSupportedError, QueryError } from '../src/errors';
import { L } from '../planner/logical';
import type { LogicalPlan } from '../planner/logical';
import { exprCollation } from '../planner/sql-text';
import type { SelectStmt } from './ir';
import type { CompoundAst, QueryAst } from './sql/ast';
import { withCtes } from './cte-scope';
import type { CteBody, CteEntry, ParamCollector } from './params';
import type { CatalogReader } from './scope';
import type { DerivedColumn } from './join-scope';
import { fromScope, projected, uniqueNames } from './lower-from';
import { lowerSelect } from './lower-select';
import { lowerCompound, recursiveOrderKeys } from './lower-compound';
import { containsAggregateCall, lowerExpr } from './lower-expr';

let nextWorkingId = 1;

/** Whether a table called `name` is read anywhere inside `node` (a syntax tree). */
function readsTable(node: unknown, name: string): boolean {
  if (node === null || typeof node !== 'object') return false;
  const rec = node as Record<string, unknown>;
  if (rec.t === 'table' && typeof rec.name === 'string' && rec.name.toLowerCase() === name) return true;
  if (rec.t === 'select' && typeof rec.table === 'string' && rec.table.toLowerCase() === name) return true;
  return Object.values(rec).some((v) => readsTable(v, name));
}

function columnsOf(entry: CteEntry, stmt: SelectStmt, sql: string, anyType: boolean): DerivedColumn[] {
  if (entry.columns && entry.columns.length !== stmt.columns.length)
    throw new QueryError(
      entry.view
        ? `expected ${entry.columns.length} columns for '${entry.name}' but got ${stmt.columns.length}`
        : `table ${entry.name} has ${stmt.columns.length} values for ${entry.columns.length} columns`,
      'QUERY',
      { sql },
    );
  const names = entry.columns ? [...entry.columns] : uniqueNames(stmt.columns.map((c) => c.name));
  const exprs = projected(stmt.plan);
  return stmt.columns.map((c, i) => {
    const collation = exprs[i] ? exprCollation(exprs[i]) : undefined;
    return { name: names[i], type: anyType ? 'any' : c.type, ...(collation ? { collation } : {}) };
  });
}

function lowerQuery(q: QueryAst, catalog: CatalogReader, params: ParamCollector, sql: string): SelectStmt {
  return withCtes(q.with, params, sql, () =>
    q.t === 'compound'
      ? lowerCompound(q, catalog, params, sql, true)
      : lowerSelect(q, fromScope(q, catalog, params, sql), params, sql),
  );
}

function lowerRecursive(
  entry: CteEntry,
  q: CompoundAst,
  k: number,
  catalog: CatalogReader,
  params: ParamCollector,
  sql: string,
): CteBody {
  const key = entry.name.toLowerCase();
  const op = q.ops[k - 1];
  if (op !== 'UNION' && op !== 'UNION ALL')
    throw new QueryError(`circular reference: ${entry.name}`, 'QUERY', { sql });
  q.arms.slice(k).forEach((arm, i) => {
    if (!readsTable(arm, key) || q.ops[k - 1 + i] !== op)
      throw new NotSupportedError(
        'a recursive common table expression whose recursive arms are not all joined by the same UNION or UNION ALL',
        'NOT_SUPPORTED',
        { sql },
      );
  });
  const initAst: CompoundAst = {
    t: 'compound',
    arms: q.arms.slice(0, k),
    ops: q.ops.slice(0, k - 1),
    orderBy: [],
    limit: null,
    offset: null,
  };
  const init = lowerCompound(initAst, catalog, params, sql);
  const id = nextWorkingId++;
  const lowerSteps = (columns: DerivedColumn[]): SelectStmt[] =>
    q.arms.slice(k).map((arm) => {
      if (arm.t !== 'select') throw new QueryError(`circular reference: ${entry.name}`, 'QUERY', { sql });
      entry.working = { id, depth: params.nestDepth, refs: 0, columns };
      let scope;
      try {
        scope = fromScope(arm, catalog, params, sql);
      } finally {
        entry.working = null;
      }
      if (arm.groupBy.length > 0 || arm.items.some((i) => containsAggregateCall(i.expr)))
        throw new QueryError('recursive aggregate queries not supported', 'QUERY', { sql });
      const stmt = lowerSelect(arm, scope, params, sql);
      if (stmt.columns.length !== columns.length)
        throw new QueryError(
          `SELECTs to the left and right of ${op} do not have the same number of result columns`,
          'QUERY',
          { sql },
        );
      return stmt;
    });
  // Columns keep the initial rows' types when every recursive arm produces the same ones;
  // otherwise the arms are lowered again with every column typed 'any'.
  let columns = columnsOf(entry, init, sql, false).map((c) =>
    c.type === 'null' ? { ...c, type: 'any' as const } : c,
  );
  let steps = lowerSteps(columns);
  const agree = steps.every((s) =>
    s.columns.every((c, i) => c.type === columns[i].type || c.type === 'null'),
  );
  let tagReals: { init: number[]; steps: number[][] } | undefined;
  if (!agree) {
    columns = columns.map((c) => ({ ...c, type: 'any' as const }));
    steps = lowerSteps(columns);
    // The arms' REAL columns enter tagged (planner/tagged-real.ts), or they would read back INTEGER.
    const reals = (s: SelectStmt): number[] => s.columns.flatMap((c, i) => (c.type === 'real' ? [i] : []));
    tagReals = { init: reals(init), steps: steps.map(reals) };
  }
  const width = columns.length;
  const order = recursiveOrderKeys(q, [init, ...steps], params, sql);
  let plan: LogicalPlan = L.recursiveCte({
    name: entry.name,
    id,
    init: init.plan,
    steps: steps.map((s) => s.plan),
    all: op === 'UNION ALL',
    width,
    ...(order.length > 0 ? { order } : {}),
    ...(tagReals ? { tagReals } : {}),
  });
  if (q.limit) {
    const cx = { scope: null, params, sql, aggregates: null, allowColumns: false };
    plan = L.limit(plan, lowerExpr(q.limit, cx), q.offset ? lowerExpr(q.offset, cx) : null);
  }
  return { plan, columns };
}

/**
 * The body of `entry` lowered for one reference: it sees the CTEs its WITH clause sees and, as in
 * SQLite (which expands a CTE where it is read), the queries around the reference.
 */
export function lowerCteBody(
  entry: CteEntry,
  catalog: CatalogReader,
  params: ParamCollector,
  sql: string,
): CteBody {
  const prevCtes = params.ctes;
  params.ctes = prevCtes.slice(0, entry.visible);
  params.nestDepth++;
  entry.lowering = true;
  try {
    const q = entry.query;
    const key = entry.name.toLowerCase();
    const k = q.t === 'compound' ? q.arms.findIndex((a) => readsTable(a, key)) : -1;
    if (q.t === 'compound' && k > 0)
      return withCtes(q.with, params, sql, () => lowerRecursive(entry, q, k, catalog, params, sql));
    const stmt = lowerQuery(q, catalog, params, sql);
    return { plan: stmt.plan, columns: columnsOf(entry, stmt, sql, false) };
  } finally {
    entry.lowering = false;
    params.nestDepth--;
    params.ctes = prevCtes;
  }
}
