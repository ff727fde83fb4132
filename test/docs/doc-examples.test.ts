/** README and docs snippets that declare `// prints:` run against the built package and print exactly that. */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tmpDir } from '../helpers/tmp';
import { extractExamples, extractFragments } from '../../scripts/check-doc-examples';

test('every doc example prints what its // prints: block says', () => {
  const script = path.join(__dirname, '..', '..', 'dist', 'scripts', 'check-doc-examples.js');
  const res = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 120_000 });
  expect(res.stderr).toBe('');
  expect(res.status).toBe(0);
  expect(res.stdout).toMatch(/(\d+)\/\1 doc examples print what they say; \d+ fragments not run/);
});

test('js blocks run too; blocks without // prints: are fragments with their // not run: reason, or failures', () => {
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
    `${fence}ts`,
    '// not run: a type declaration',
    'interface X { a: number }',
    fence,
  ].join('\n');
  expect(extractExamples('x.md', text).map((e) => [e.line, e.expected])).toEqual([[1, ['a']]]);
  expect(extractFragments(text)).toEqual([
    { line: 5, reason: null },
    { line: 11, reason: 'a type declaration' },
  ]);
});

test('a block with neither // prints: nor // not run: fails the check', () => {
  const tmp = tmpDir('mv-doc-check-');
  try {
    const file = path.join(tmp.dir, 'page.md');
    fs.writeFileSync(file, '# page\n\n```ts\ndb.compact();\n```\n');
    const script = path.join(__dirname, '..', '..', 'dist', 'scripts', 'check-doc-examples.js');
    const res = spawnSync(process.execPath, [script, path.relative(path.join(__dirname, '..', '..'), file)], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(res.status).toBe(1);
    expect(res.stderr).toContain('page.md:3 has neither // prints: nor a // not run: <reason> line');
  } finally {
    tmp.cleanup();
  }
});
