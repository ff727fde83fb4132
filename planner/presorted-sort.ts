/**
 * ORDER BY over input already ordered by its first `presorted` keys (an index walk giving the
 * leading terms, planner/access-path.ts AccessChoice.presorted): the rows are sorted one run of
 * equal leading keys at a time, and each run is handed on as soon as the next one starts —
 * SQLite's "USE TEMP B-TREE FOR LAST TERM OF ORDER BY". The first rows come out after one run is
 * read instead of the whole input, the sort holds one run, and each run is ordered by the
 * remaining keys only. Ties keep arrival order, as the full sort's do.
 *
 * A run of up to SMALL_RUN rows within the sort budget is sorted in memory; a longer or wider one
 * (a low-cardinality leading key, large rows) streams into the external sort (planner/sort.ts),
 * which spills past the budget as any sort does.
 */
import type { Evaluator, Row } from './compile-expr';
import type { SortKey } from './logical';
import { rowBytes } from './row-bytes';
import { compareKeyed, compareSortValues, sortSource } from './sort';
import type { RowSource } from './sort';
import { source } from './source';

/** Rows of one run gathered before it goes to the external sort instead. */
const SMALL_RUN = 4096;

/** Work counters (tests check that runs are sorted one by one, and small ones without the external sort). */
export const presortedStats = { runs: 0, externalRuns: 0 };

export function presortedSource(
  input: RowSource,
  evals: readonly Evaluator[],
  keys: readonly SortKey[],
  presorted: number,
  budgetBytes: number,
): RowSource {
  const leadEvals = evals.slice(0, presorted);
  const leadKeys = keys.slice(0, presorted);
  const restEvals = evals.slice(presorted);
  const restKeys = keys.slice(presorted);
  /** The next run's first row (already read) and its leading key values. */
  let ahead: Row | null = null;
  let aheadLead: unknown[] = [];
  let started = false;
  /** The current run, in order: an array (small runs) or the external sort's source. */
  let run: Row[] = [];
  let at = 0;
  let external: RowSource | null = null;

  const leadOf = (row: Row): unknown[] => leadEvals.map((f) => f(row));
  const sameLead = (a: unknown[], b: unknown[]): boolean => {
    for (let i = 0; i < a.length; i++) if (compareSortValues(leadKeys[i], a[i], b[i]) !== 0) return false;
    return true;
  };
  const readAhead = (): void => {
    ahead = input.next();
    aheadLead = ahead === null ? [] : leadOf(ahead);
  };

  /** Read the run that starts at `ahead` (leaving `ahead` at the next run's first row). */
  const startRun = (): void => {
    presortedStats.runs++;
    const lead = aheadLead;
    const rows: Row[] = [ahead as Row];
    let bytes = rowBytes(ahead as Row);
    readAhead();
    // Small by count and by bytes: a run of wide rows goes to the external sort, which spills.
    while (ahead !== null && sameLead(lead, aheadLead) && rows.length < SMALL_RUN && bytes <= budgetBytes) {
      rows.push(ahead);
      bytes += rowBytes(ahead);
      readAhead();
    }
    if (ahead !== null && sameLead(lead, aheadLead)) {
      // A long run: the rows gathered so far, then the rest of the run, through the external sort.
      presortedStats.externalRuns++;
      let i = 0;
      const rest = source(() => {
        if (i < rows.length) return rows[i++];
        if (ahead === null || !sameLead(lead, aheadLead)) return null;
        const row = ahead;
        readAhead();
        return row;
      });
      external = sortSource(rest, restEvals, restKeys, budgetBytes);
      run = [];
      at = 0;
      return;
    }
    run = rows.length > 1 ? sortSmall(rows, restEvals, restKeys) : rows;
    at = 0;
  };

  return source(() => {
    if (!started) {
      started = true;
      readAhead();
    }
    for (;;) {
      if (external !== null) {
        const row = external.next();
        if (row !== null) return row;
        external = null;
      }
      if (at < run.length) return run[at++];
      if (ahead === null) return null;
      startRun();
    }
  });
}

/** A small run's rows by the remaining keys, stable (Array.prototype.sort is). */
function sortSmall(rows: Row[], evals: readonly Evaluator[], keys: readonly SortKey[]): Row[] {
  const keyed = rows.map((row) => ({ k: evals.map((f) => f(row)), row }));
  keyed.sort(compareKeyed(keys));
  return keyed.map((x) => x.row);
}
