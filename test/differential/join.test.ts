/**
 * Differential joins on their own seed set (generate-join.ts): three foreign-key-shaped tables
 * with NULL and duplicate keys, orphans and empty tables, every join kind, compared with SQLite.
 * The mixed suite (differential.test.ts) also draws join cases; this run gives them more volume.
 *   MV_JOIN_RUNS=2000 MV_JOIN_SEED=7 npx jest test/differential/join.test.ts
 * The second run lets the join-order search reorder any inner join it estimates cheaper (the
 * generator's tables are small: the default thresholds would keep the written order).
 */
import fc from 'fast-check';
import { joinCaseArb } from './generate-join';
import { failures, runCase } from './run-case';
import { setJoinReorderForTests } from '../../planner/join-order';

const SEED = Number(process.env.MV_JOIN_SEED ?? 20261202);
const RUNS = Number(process.env.MV_JOIN_RUNS ?? 150);
const PER_CASE = 12;

test(
  `joins match SQLite (seed ${SEED}, ${RUNS} cases)`,
  () => {
    const before = failures.both;
    let statements = 0;
    fc.assert(
      fc.property(joinCaseArb(PER_CASE), (c) => {
        statements += runCase(c);
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
    expect(statements).toBeGreaterThanOrEqual(RUNS * PER_CASE);
    // Both engines refusing a statement (an ambiguous name) proves little: keep it rare.
    expect(failures.both - before).toBeLessThan(statements * 0.05);
    console.log(
      `differential joins: ${statements} statements compared, ${failures.both - before} rejected by both`,
    );
  },
  Math.max(600_000, RUNS * 200),
);

test(
  `joins match SQLite with every cheaper join order taken (seed ${SEED + 1}, ${Math.ceil(RUNS / 2)} cases)`,
  () => {
    setJoinReorderForTests({ minWork: 0, minGain: 1 });
    try {
      let statements = 0;
      fc.assert(
        fc.property(joinCaseArb(PER_CASE), (c) => {
          statements += runCase(c);
        }),
        { seed: SEED + 1, numRuns: Math.ceil(RUNS / 2), endOnFailure: true },
      );
      expect(statements).toBeGreaterThanOrEqual(Math.ceil(RUNS / 2) * PER_CASE);
    } finally {
      setJoinReorderForTests(null);
    }
  },
  Math.max(600_000, RUNS * 200),
);
