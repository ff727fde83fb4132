/** README and docs snippets that declare `// prints:` run against the built package and print exactly that. */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

test('every doc example prints what its // prints: block says', () => {
  const script = path.join(__dirname, '..', '..', 'dist', 'scripts', 'check-doc-examples.js');
  const res = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 120_000 });
  expect(res.stderr).toBe('');
  expect(res.status).toBe(0);
  expect(res.stdout).toMatch(/(\d+)\/\1 doc examples print what they say/);
});
