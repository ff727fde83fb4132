/**
 * An aggregate's input read for the columns it uses alone: a `GROUP BY status` with `SUM(qty)`
 * over a table of seven columns decodes two of them from each cold row, building no strings nor
 * row objects for the rest (storage/row-reader.ts scanRowColumns). Only where nothing above reads
 * the representative row's other columns (AggregatePNode.bareUnread), over a primary-key walk,
 * filtered or not; a WHERE's columns are decoded too and tested on the partial row.
 */
import { widenDefaults } from '../storage/collection-state';
import type { ScanRowColumns } from '../storage/row-readers';
import { compilePredicate } from './compile-expr';
import { columnsOf } from './expr-columns';
import type { AggregatePNode, PhysicalPlan } from './physical';
import type { Expr } from './expr';
import { truth } from './sql-values';
import { source } from './source';
import type { Source } from './source';
import type { ExecEnv } from './execute';
import type { PkWalk } from './filtered-scan';

/** Every column the aggregate's keys and calls read, ascending; null when some cannot be told. */
function aggregateColumns(node: AggregatePNode): Set<number> | null {
  const exprs: Expr[] = [...node.groupBy];
  for (const a of node.aggregates) {
    if (a.arg) exprs.push(a.arg);
    exprs.push(...a.more);
    if (a.filter) exprs.push(a.filter);
    for (const o of a.orderBy ?? []) exprs.push(o.expr);
  }
  const out = new Set<number>();
  for (const e of exprs) {
    const cols = columnsOf(e);
    if (cols === null) return null;
    for (const c of cols) out.add(c);
  }
  return out;
}

/** The projected input of `node`, or null when it does not apply. */
export function projectedInput(
  node: AggregatePNode,
  env: ExecEnv,
  pkWalk: (plan: PhysicalPlan, env: ExecEnv) => PkWalk | null,
): Source | null {
  const scan = env.scanRowColumns;
  if (!node.bareUnread || !scan) return null;
  const filter = node.input.kind === 'Filter' ? node.input : null;
  const walk = pkWalk(filter ? filter.input : node.input, env);
  const columns = walk ? aggregateColumns(node) : null;
  if (!walk || !columns) return null;
  if (filter) {
    const more = columnsOf(filter.predicate);
    if (more === null) return null;
    for (const c of more) columns.add(c);
  }
  // Reading most columns anyway, the whole row (kept in the caches for the next query) is better.
  if (columns.size * 2 > node.inputWidth) return null;
  const pred = filter ? compilePredicate(filter.predicate, env.ctx) : null;
  return projectedScan(
    walk,
    env,
    scan,
    [...columns].sort((a, b) => a - b),
    node.inputWidth,
    pred,
  );
}

function projectedScan(
  { coll, opts, countsEntries }: PkWalk,
  env: ExecEnv,
  scan: ScanRowColumns,
  columns: readonly number[],
  width: number,
  pred: ((row: unknown[]) => unknown) | null,
): Source {
  if (opts === null) return source(() => null);
  const cur = coll.pk.cursor(opts);
  const defaults = widenDefaults(coll.meta, coll.compiled);
  const stats = env.stats;
  return source(() => {
    while (cur.next()) {
      if (countsEntries) stats.indexEntries++;
      stats.rowsRead++;
      const row = scan(cur, columns, width, defaults);
      if (pred === null || truth(pred(row)) === true) return row;
    }
    return null;
  });
}
