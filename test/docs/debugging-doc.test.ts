/**
 * docs/ops/debugging.md is outside the folder the doc-example check reads by default (docs/*.md):
 * its examples (subscribing to modelvault:query, EXPLAIN output) are run here the same way.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

test('docs/ops/debugging.md examples print what they say', () => {
  const root = path.join(__dirname, '..', '..');
  const script = path.join(root, 'dist', 'scripts', 'check-doc-examples.js');
  const res = spawnSync(process.execPath, [script, 'docs/ops/debugging.md'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 120_000,
  });
  expect(res.stderr).toBe('');
  expect(res.status).toBe(0);
  expect(res.stdout).toMatch(/^([1-9]\d*)\/\1 doc examples print what they say(; \d+ fragments? not run)?$/m);
});
