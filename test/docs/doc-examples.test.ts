/** README and docs snippets that declare `// prints:` run against the built package and print exactly that. */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { extractExamples, extractFragments } from '../../scripts/check-doc-examples';

test('every doc example prints what its // prints: block says', () => {
  const script = path.join(__dirname, '..', '..', 'dist', 'scripts', 'check-doc-examples.js');
  const res = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 120_000 });
  expect(res.stderr).toBe('');
  expect(res.status).toBe(0);
  expect(res.stdout).toMatch(/(\d+)\/\1 doc examples print what they say; \d+ fragments not run/);
});

test('js blocks run too; blocks without // prints: are counted as fragments, not dropped', () => {
  const fence = '```';
  const text = [
    `${fence}js`,
    "console.log('a');",
    '// prints: a',
    fence,
    `${fence}ts`,
    'db.compact();',
    fence,
    `${fence}sh`,
    'echo not code',
    fence,
  ].join('\n');
  expect(extractExamples('x.md', text).map((e) => [e.line, e.expected])).toEqual([[1, ['a']]]);
  expect(extractFragments(text)).toEqual([5]);
});
