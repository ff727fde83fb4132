import fc from 'fast-check';
import { joinCaseArb } from './generate-join';
import { failures, runCase } from './run-case';

const RUNS = Number(process.env.MV_JOIN_RUNS ?? 100);
test('joins match SQLite', () => {
  let statements = 0;
  fc.assert(
    fc.property(joinCaseArb(12), (c) => {
      statements += runCase(c);
    }),
    { seed: Number(process.env.MV_JOIN_SEED ?? 1), numRuns: RUNS, endOnFailure: true },
  );
  console.log(`joins: ${statements} compared, ${failures.both} rejected by both`);
  console.log(failures.samples.slice(0, 8).join('\n'));
}, 600000);
