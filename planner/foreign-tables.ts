/**
 * Tables of another store in one statement: a connection's TEMP tables live in a database of
 * their own (cursor/temp-schema.ts), so a join or subquery reading TEMP and main tables reads
 * rows from two stores. The plan is made over one view holding both schemas' collections; each
 * node that reads a table's rows runs in the environment of the store that table lives in (its
 * view, row readers and snapshot), everything else (expressions, subqueries, statistics, budgets)
 * in the statement's own.
 */
import type { ExecEnv } from './execute';
import type { PhysicalPlan } from './physical';

/** The environment reading `collection`'s rows: a foreign table's own, else `env`. */
export function envFor(env: ExecEnv, collection: string): ExecEnv {
  return env.foreign?.get(collection) ?? env;
}

/**
 * The table whose rows `plan` reads itself: a scan or lookup's, or a Filter's or Aggregate's over
 * one (they may read the table directly: a filter pushed into the scan, a count from the tree).
 * Null for a node that only combines its inputs (each of them then finds its own).
 */
function tableOf(plan: PhysicalPlan): string | null {
  switch (plan.kind) {
    case 'Filter':
    case 'Aggregate':
      return tableOf(plan.input);
    case 'CollectionScan':
    case 'SqlIndexScan':
    case 'PrimaryKeyLookup':
    case 'IndexLookup':
    case 'IndexRangeScan':
    case 'IndexUnion':
      return plan.collection;
    default:
      return null;
  }
}

/** The environment `plan` runs in when the statement reads foreign tables. */
export function routedEnv(plan: PhysicalPlan, env: ExecEnv): ExecEnv {
  // A schema table lists its own schema's catalog, never the other's tables beside it.
  if (plan.kind === 'VirtualScan' && env.schemas) {
    const t = plan.source.table;
    if (t === 'sqlite_temp_master') return env.schemas.temp;
    if (t === 'sqlite_master' || t === 'sqlite_sequence' || t === 'sqlite_stat1') return env.schemas.main;
  }
  const table = tableOf(plan);
  return table === null ? env : envFor(env, table);
}
