/**
 * A re-executed statement leaves only young garbage: what one execution allocates dies before the
 * next young-generation collection, so collections promote (almost) nothing. This is the
 * regression test for the pretenuring trap described in planner/source.ts: object literals in the
 * per-execution path got allocated straight into the old generation once V8 decided they
 * survived, and then kept every young object they pointed at alive, promoting ~1-5 KB per
 * execution and making collection a third of a point query's time. Counted in bytes promoted
 * (from `--trace-gc-nvp`), not timed.
 */
import * as path from 'node:path';
import { steadyLines } from '../helpers/steady-child';

const CHILD = path.join(__dirname, '..', 'helpers', 'gc-child.js');
const STATEMENTS = 7;

/** Bytes promoted by scavenges between the child's START and END lines, per execution. */
function promotedPerRun(index: number): number {
  const { lines, runs } = steadyLines(['--trace-gc-nvp'], CHILD, [String(index)]);
  let promoted = 0;
  let scavenges = 0;
  for (const line of lines) {
    if (!line.includes('gc=s ')) continue;
    scavenges++;
    promoted += Number(/ promoted=(\d+)/.exec(line)?.[1] ?? 'NaN');
  }
  // The loop allocates enough that young collections run during it: otherwise nothing is measured.
  expect(scavenges).toBeGreaterThan(3);
  return promoted / runs;
}

describe('re-executed statements leave only young garbage', () => {
  for (let i = 0; i < STATEMENTS; i++) {
    test(`statement ${i}`, () => {
      // Before the fix: 1,000-5,000 bytes per execution. A few bytes remain legitimately (caches).
      expect(promotedPerRun(i)).toBeLessThan(64);
    }, 120_000);
  }
});
