/**
 * Issue 17 item 3: the packed tarball, installed into an empty project, works for `require`,
 * `import`, TypeScript (node16) and the `modelvault` command. scripts/pack-smoke.js does the work
 * (also `npm run check:pack`); this runs it against the dist/ jest's global setup just built.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

test('npm pack → install into an empty project → require, import, types, bin --version/--help/sql', () => {
  const script = path.join(__dirname, '..', '..', 'scripts', 'pack-smoke.js');
  const res = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 180_000 });
  const out = res.stdout + res.stderr;
  expect([res.status, out]).toEqual([0, expect.stringContaining('pack smoke: ok')]);
  for (const step of [
    'require(): create, insert, commit, select',
    'import: reads the file written through require()',
    'TypeScript node16: import and require resolve, same exported names',
    'import() and require() expose the same',
    'modelvault --version prints',
    'npx modelvault --help',
    'modelvault sql <file>',
  ])
    expect(out).toContain(`✓ ${step}`);
});
