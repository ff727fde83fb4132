/**
 * Runs a child script under node flags (`--trace-gc-nvp`, `--trace-deopt`) and returns the
 * lines it printed between its "START" and "END <runs>" lines: what a steady-state loop did,
 * for tests that count work (promoted bytes, deoptimizations) instead of timing it.
 */
import { spawnSync } from 'node:child_process';

export function steadyLines(
  flags: string[],
  script: string,
  args: string[],
): { lines: string[]; runs: number } {
  const out = spawnSync(process.execPath, [...flags, script, ...args], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  if (out.status !== 0) throw new Error(`child failed: ${out.stderr}`);
  const lines = out.stdout.split('\n');
  const start = lines.indexOf('START');
  const end = lines.findIndex((l) => l.startsWith('END '));
  expect(start).toBeGreaterThanOrEqual(0);
  expect(end).toBeGreaterThan(start);
  return { lines: lines.slice(start + 1, end), runs: Number(lines[end].split(' ')[1]) };
}
