/**
 * Doc-example check: every ```ts (or ```js) block in README.md and docs/ (subfolders too) that
 * ends with a `// prints:` comment is transpiled, run in a fresh temporary directory against the built
 * package, and its stdout compared line by line with the lines after `// prints:`. A block that
 * cannot run (a type declaration, code that must not compile, call shapes with placeholders)
 * says why in a `// not run: <reason>` line: it is listed with its reason and counted. A block
 * with neither marker fails the check, so no fragment hides. Exit code 1 on any mismatch or
 * unmarked block.
 *
 *   node dist/scripts/check-doc-examples.js [files...]
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import * as ts from 'typescript';

const root = path.resolve(__dirname, '..', '..');
const entry = path.join(root, 'dist', 'src', 'index.js');

interface Example {
  file: string;
  line: number;
  code: string;
  expected: string[];
}

const BLOCK = /```(?:ts|typescript|js|javascript)\n([\s\S]*?)```/g;

const NOT_RUN = /^\/\/ not run: (.+)$/m;

/**
 * The TypeScript/JavaScript blocks that have no `// prints:` (not run): line number and the
 * reason their `// not run:` line gives, or null when they give none (a failure).
 */
export function extractFragments(text: string): { line: number; reason: string | null }[] {
  return [...text.matchAll(BLOCK)]
    .filter((m) => !m[1].includes('// prints:'))
    .map((m) => ({
      line: text.slice(0, m.index).split('\n').length,
      reason: NOT_RUN.exec(m[1])?.[1].trim() ?? null,
    }));
}

export function extractExamples(file: string, text: string): Example[] {
  const out: Example[] = [];
  const re = new RegExp(BLOCK);
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const body = m[1];
    const marker = body.indexOf('// prints:');
    if (marker < 0) continue;
    const [inline, ...rest] = body.slice(marker + '// prints:'.length).split('\n');
    // `// prints: text` on one line, or `// prints:` followed by `// line` comments.
    const lines = inline.trim() ? [inline.trim()] : rest.map((l) => l.replace(/^\/\/ ?/, ''));
    const expected = lines.filter((l, i, all) => !(i === all.length - 1 && l === ''));
    out.push({
      file,
      line: text.slice(0, m.index).split('\n').length,
      code: body.slice(0, marker),
      expected,
    });
  }
  return out;
}

function run(ex: Example): string | null {
  const js = ts.transpileModule(ex.code, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
  }).outputText;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modelvault-doc-'));
  try {
    const script = path.join(dir, 'example.js');
    fs.writeFileSync(
      script,
      js.replace(/require\("modelvault"\)/g, JSON.stringify(entry).replace(/^/, 'require(') + ')'),
    );
    // NODE_PATH lets examples import the project's (dev) dependencies, such as zod in docs/models.md.
    const env = { ...process.env, NODE_PATH: path.join(root, 'node_modules') };
    const res = spawnSync(process.execPath, [script], { cwd: dir, encoding: 'utf8', timeout: 60_000, env });
    const got = res.stdout.replace(/\n$/, '').split('\n');
    if (res.status !== 0)
      return `exited with ${res.status}: ${res.stderr.trim().split('\n').slice(0, 5).join(' | ')}`;
    const want = ex.expected;
    if (got.length !== want.length || got.some((l, i) => l !== want[i])) {
      return `output differs:\n--- expected\n${want.join('\n')}\n--- got\n${got.join('\n')}`;
    }
    return null;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function main(): void {
  const files = process.argv.slice(2).length
    ? process.argv.slice(2)
    : [
        'README.md',
        // Recursive: pages in subfolders (docs/ops/) are checked too.
        ...fs
          .readdirSync(path.join(root, 'docs'), { recursive: true, encoding: 'utf8' })
          // The generated API reference shows signatures, not examples (its own check: docs:api).
          .filter((f) => f.endsWith('.md') && !f.startsWith(`api-reference${path.sep}`))
          .sort()
          .map((f) => path.join('docs', f)),
      ];
  let failed = 0;
  let unmarked = 0;
  let count = 0;
  let fragments = 0;
  for (const f of files) {
    const text = fs.readFileSync(path.join(root, f), 'utf8');
    for (const { line, reason } of extractFragments(text)) {
      if (reason === null) {
        unmarked++;
        console.error(`✗ ${f}:${line} has neither // prints: nor a // not run: <reason> line`);
        continue;
      }
      fragments++;
      console.log(`- ${f}:${line} not run: ${reason}`);
    }
    for (const ex of extractExamples(f, text)) {
      count++;
      const problem = run(ex);
      if (problem) {
        failed++;
        console.error(`✗ ${ex.file}:${ex.line} ${problem}`);
      } else console.log(`✓ ${ex.file}:${ex.line}`);
    }
  }
  console.log(`${count - failed}/${count} doc examples print what they say; ${fragments} fragments not run`);
  if (failed > 0 || unmarked > 0) process.exitCode = 1;
}

if (require.main === module) main();
