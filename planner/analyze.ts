/**
 * ANALYZE: count, per index of each table, how many rows share each leftmost key prefix, and
 * store the averages with the row count (storage/sql-stats.ts) for the join planner
 * (planner/join-order.ts). One pass over the table's rows per run; the figures are estimates the
 * planner scales by the live row count, so nothing has to keep them exact between runs.
 */
import type { Engine } from '../storage/engine';
import type { CollectionState } from '../storage/collection-state';
import { rowOfState } from '../storage/collection-state';
import type { IndexStats, TableStats } from '../storage/sql-stats';
import { QueryError } from '../src/errors';
import type { AnalyzeStmt } from './ddl-plan';
import { tupleKey } from './value-key';

const same = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

/** The tables `stmt` names, with SQLite's rules and error words. */
function targets(engine: Engine, stmt: AnalyzeStmt): CollectionState[] {
  const all = (): CollectionState[] =>
    engine.collectionNames().flatMap((n) => {
      const s = engine.collection(n);
      return s ? [s] : [];
    });
  const { schema, name } = stmt;
  if (schema !== null && !same(schema, 'main') && !same(schema, 'temp'))
    throw new QueryError(`unknown database ${schema}`, 'QUERY');
  if (name === null) return all();
  // A lone `main` or `temp` names a schema; there are no temporary tables to analyse.
  if (schema === null && same(name, 'main')) return all();
  if (schema === null && same(name, 'temp')) return [];
  if (schema !== null && same(schema, 'temp'))
    throw new QueryError(`no such table: ${schema}.${name}`, 'QUERY');
  for (const state of all()) {
    if (same(state.meta.schema.name, name)) return [state];
    if (state.indexes.some((ix) => same(ix.def.name, name))) return [state];
  }
  throw new QueryError(`no such table: ${schema === null ? name : `${schema}.${name}`}`, 'QUERY');
}

function gather(engine: Engine, state: CollectionState): TableStats {
  const rows = state.pk.size;
  // Partial and expression indexes get no figures: the planner weighs them by their own rules.
  const indexes = state.indexes
    .filter((ix) => !ix.special)
    .map((ix) => ({ ix, seen: ix.columns.map(() => new Set<string>()) }));
  if (rows > 0 && indexes.length > 0) {
    const cur = state.pk.cursor();
    const values: unknown[] = [];
    while (cur.next()) {
      const row = rowOfState(state, engine.readRow(cur.value));
      for (const { ix, seen } of indexes) {
        values.length = 0;
        for (let k = 0; k < ix.columns.length; k++) {
          values.push(ix.columns[k].get(row));
          seen[k].add(tupleKey(values));
        }
      }
    }
  }
  const out: IndexStats[] = indexes.map(({ ix, seen }) => ({
    name: ix.def.name,
    avgRows: seen.map((s) => (s.size === 0 ? 1 : Math.max(1, Math.ceil(rows / s.size)))),
  }));
  return { table: state.meta.schema.name, rows, indexes: out };
}

/** Run ANALYZE in the engine's open write transaction: new figures replace the named tables'. */
export function analyze(engine: Engine, stmt: AnalyzeStmt): void {
  const named = targets(engine, stmt);
  if (named.length === 0) return;
  // An empty table gets no figures (as in SQLite): the planner's guesses serve it until it fills.
  const fresh = named.filter((s) => s.pk.size > 0).map((s) => gather(engine, s));
  const live = new Set(engine.collectionNames().map((n) => n.toLowerCase()));
  // Figures of dropped tables go; those of tables not named this time stay.
  const kept = engine
    .sqlStatsList()
    .filter((t) => live.has(t.table.toLowerCase()) && !named.some((s) => same(s.meta.schema.name, t.table)));
  engine.setSqlStats([...kept, ...fresh]);
}
