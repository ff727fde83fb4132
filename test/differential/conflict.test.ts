/**
 * Differential conflict resolution (generate-conflict.ts): INSERT and UPDATE under OR ROLLBACK,
 * ABORT, FAIL, IGNORE and REPLACE over tables with PRIMARY KEY, UNIQUE (over a NOCASE or RTRIM
 * column too), NOT NULL and CHECK constraints, inside and outside explicit transactions, compared
 * with better-sqlite3 after every statement (run-conflict.ts). More cases:
 *   MV_CONFLICT_RUNS=2000 MV_CONFLICT_SEED=7 npx jest test/differential/conflict.test.ts
 */
import fc from 'fast-check';
import { conflictCaseArb } from './generate-conflict';
import { conflictStats, runConflictCase } from './run-conflict';

const SEED = Number(process.env.MV_CONFLICT_SEED ?? 20261203);
const RUNS = Number(process.env.MV_CONFLICT_RUNS ?? 300);
const PER_CASE = 14;

test(
  `conflict resolution matches SQLite (seed ${SEED}, ${RUNS} cases)`,
  () => {
    let statements = 0;
    fc.assert(
      fc.property(conflictCaseArb(PER_CASE), (c) => {
        statements += runConflictCase(c);
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
    expect(statements).toBeGreaterThanOrEqual(RUNS * PER_CASE);
    // The generator must reach each kind of ending, or the comparison proves little.
    expect(conflictStats.failed).toBeGreaterThan(RUNS);
    expect(conflictStats.kept).toBeGreaterThan(RUNS / 20);
    expect(conflictStats.rolledBack).toBeGreaterThan(RUNS / 50);
    expect(conflictStats.returning).toBeGreaterThan(RUNS / 5);
    console.log(
      `conflict differential: ${conflictStats.statements} statements, ${conflictStats.failed} failed writes (${conflictStats.kept} kept rows under FAIL, ${conflictStats.rolledBack} ended their transaction), ${conflictStats.returning} RETURNING (seed ${SEED}, ${RUNS} cases)`,
    );
  },
  Math.max(300_000, RUNS * 200),
);
