/**
 * One-row commits after a bulk load run optimized code: no deoptimization per commit. The
 * regression test for the on-stack-replacement trap described in storage/row-cache.ts (setMany):
 * a database's first commit was a bulk load's, V8 compiled setMany's loop in the middle of it
 * together with the code after the loop, kept that code, and every later one-row commit was
 * thrown back to the interpreter in it (777 deoptimizations in this child's 3,000 commits before
 * the fix). Counted from `--trace-deopt`, not timed.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { steadyLines } from '../helpers/steady-child';

const CHILD = path.join(__dirname, '..', 'helpers', 'deopt-child.js');

test('one-row autocommit inserts after a bulk load and a reopen are not deoptimized each time', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mv-deopt-'));
  try {
    const { lines, runs } = steadyLines(['--trace-deopt'], CHILD, [path.join(dir, 'db.mv')]);
    const deopts = lines.filter((l) => l.includes('bailout (kind: deopt'));
    // A few are legitimate (a type seen for the first time); one in every few commits is the trap.
    expect(deopts.length).toBeLessThan(runs / 100);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);
