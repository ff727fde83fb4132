/**
 * Regressions (issue 11, items 16 and 17): package.json's `bin` pointed at a missing
 * dist/src/cli.js and declared unused `commander`/`zod`; the tarball shipped dist/bench (which
 * imports a dev dependency), dist/scripts, dist/examples and source maps of unshipped .ts files;
 * and suites that run the built package failed on a fresh clone without a prior build.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';

const root = path.join(__dirname, '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as Record<string, unknown>;

describe('package.json and the tarball (item 16)', () => {
  test('bin is the built CLI, and no unused dependencies', () => {
    expect(pkg.bin).toEqual({ modelvault: './dist/src/cli/main.js' });
    expect(fs.readFileSync(path.join(root, 'src', 'cli', 'main.ts'), 'utf8')).toMatch(
      /^#!\/usr\/bin\/env node\n/,
    );
    const sources = ['src', 'cursor', 'parser', 'planner', 'storage']
      .flatMap((d) =>
        fs
          .readdirSync(path.join(root, d), { recursive: true, encoding: 'utf8' })
          .map((f) => path.join(root, d, f)),
      )
      .filter((f) => f.endsWith('.ts'))
      .map((f) => fs.readFileSync(f, 'utf8'))
      .join('\n');
    for (const dep of Object.keys(pkg.dependencies as object))
      expect([dep, sources.includes(`from '${dep}'`)]).toEqual([dep, true]);
    // zod is the one peer, optional: fromZod reads a schema the caller passes and never imports it.
    expect(pkg.peerDependencies).toEqual({ zod: expect.any(String) });
    expect(pkg.peerDependenciesMeta).toEqual({ zod: { optional: true } });
    expect(sources).not.toMatch(/from 'zod'|require\('zod'\)/);
  });

  test('every file main, types and exports point to is inside the shipped files', () => {
    const exportsMap = pkg.exports as Record<string, unknown>;
    const targets = [
      pkg.main as string,
      pkg.types as string,
      ...Object.values(pkg.bin as Record<string, string>),
    ];
    const leaves = (v: unknown): string[] =>
      typeof v === 'string' ? [v] : Object.values(v as object).flatMap(leaves);
    for (const v of Object.values(exportsMap)) targets.push(...leaves(v));
    const files = pkg.files as string[];
    for (const t of targets) {
      const rel = t.replace(/^\.\//, '');
      if (rel === 'package.json') continue; // npm always ships it
      expect([rel, files.some((f) => !f.startsWith('!') && (rel === f || rel.startsWith(`${f}/`)))]).toEqual([
        rel,
        true,
      ]);
    }
  });

  test('npm pack ships the library only: no bench, scripts, examples or source maps', () => {
    const res = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(res.status).toBe(0);
    const [report] = JSON.parse(res.stdout) as { files: { path: string }[] }[];
    const paths = report.files.map((f) => f.path);
    expect(paths).toContain('dist/src/index.js');
    expect(paths).toContain('esm/index.mjs');
    expect(paths.filter((p) => /^dist\/(bench|scripts|examples|test)\//.test(p))).toEqual([]);
    expect(paths.filter((p) => p.endsWith('.map'))).toEqual([]);
    const sourceMapComments = paths
      .filter((p) => p.endsWith('.js'))
      .filter((p) => fs.readFileSync(path.join(root, p), 'utf8').includes('sourceMappingURL'));
    expect(sourceMapComments).toEqual([]);
  });
});

describe('tests from a fresh clone (item 17)', () => {
  test('jest builds dist/ first when it is missing or stale (suites run the built package)', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const config = require(path.join(root, 'jest.config.js')) as { globalSetup?: string };
    expect(config.globalSetup).toBe('<rootDir>/test/helpers/build-dist.js');
    const users = ['test/helpers/child-writer.js', 'scripts/check-doc-examples.ts'];
    for (const f of users) expect(fs.readFileSync(path.join(root, f), 'utf8')).toMatch(/dist/);
    // globalSetup ran before this suite: the built entry is there and current.
    expect(fs.existsSync(path.join(root, 'dist', 'src', 'index.js'))).toBe(true);
  });

  test('the scripts that run jest need no prior build', () => {
    const scripts = pkg.scripts as Record<string, string>;
    for (const name of ['test:unit', 'fuzz']) expect(scripts[name]).toMatch(/^jest\b/);
    expect(scripts['test:differential']).toBe('node scripts/run-differential.js');
    expect(fs.readFileSync(path.join(root, 'scripts', 'run-differential.js'), 'utf8')).toMatch(/jest/);
  });
});

describe('version, sideEffects and engines (issue 17 item 3)', () => {
  test('`version` is exported and equals package.json (src/version.ts is generated from it)', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const built = require(path.join(root, 'dist', 'src', 'index.js')) as { version: string };
    expect(built.version).toBe(pkg.version);
    const res = spawnSync(process.execPath, [path.join(root, 'scripts', 'sync-version.js'), '--check'], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(res.status).toBe(0);
    expect(fs.readFileSync(path.join(root, 'src', 'version.ts'), 'utf8')).toContain(
      `export const version = '${pkg.version}';`,
    );
    expect((pkg.scripts as Record<string, string>).version).toMatch(/sync-version\.js/);
    expect(fs.readFileSync(path.join(root, 'esm', 'index.mjs'), 'utf8')).toMatch(/^ {2}version,$/m);
  });

  test('the CHANGELOG has a dated section for the version package.json names (issue 17 item 5)', () => {
    // Keep a Changelog: "## [1.0.0-rc.1] - 2026-12-05", below an "## [Unreleased]" section.
    const log = fs.readFileSync(path.join(root, 'CHANGELOG.md'), 'utf8');
    const escaped = (pkg.version as string).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const heading = new RegExp(`^## \\[${escaped}\\] - (\\d{4}-\\d{2}-\\d{2})$`, 'm');
    const found = heading.exec(log);
    if (!found) throw new Error(`CHANGELOG.md has no "## [${pkg.version as string}] - YYYY-MM-DD" section`);
    expect(Number.isNaN(Date.parse(found[1]))).toBe(false);
    expect(log.indexOf('## [Unreleased]')).toBeGreaterThan(-1);
    expect(log.indexOf('## [Unreleased]')).toBeLessThan(found.index);
  });

  test('sideEffects lists exactly the entry files whose top level acts; nothing the main entry imports', () => {
    // Top-level statements other than imports, exports and declarations are side effects a
    // bundler must keep. The one tolerated in library code (planner/functions/index.ts) only fills
    // that module's own lookup maps, which its exports read: dropping the module drops them too.
    // A new file in this list needs that same argument, or an entry in sideEffects.
    const ts = require('typescript') as typeof import('typescript'); // eslint-disable-line @typescript-eslint/no-require-imports
    const acting: string[] = [];
    for (const dir of ['src', 'cursor', 'parser', 'planner', 'storage'])
      for (const f of fs.readdirSync(path.join(root, dir), { recursive: true, encoding: 'utf8' })) {
        if (!f.endsWith('.ts')) continue;
        const rel = `${dir}/${f.split(path.sep).join('/')}`;
        const sf = ts.createSourceFile(
          rel,
          fs.readFileSync(path.join(root, rel), 'utf8'),
          ts.ScriptTarget.ES2022,
        );
        const acts = sf.statements.some(
          (st) =>
            !ts.isImportDeclaration(st) &&
            !ts.isImportEqualsDeclaration(st) &&
            !ts.isExportDeclaration(st) &&
            !ts.isExportAssignment(st) &&
            !ts.isFunctionDeclaration(st) &&
            !ts.isClassDeclaration(st) &&
            !ts.isInterfaceDeclaration(st) &&
            !ts.isTypeAliasDeclaration(st) &&
            !ts.isEnumDeclaration(st) &&
            !ts.isModuleDeclaration(st) &&
            !ts.isVariableStatement(st),
        );
        if (acts) acting.push(rel);
      }
    expect(acting.sort()).toEqual([
      'planner/functions/index.ts',
      'src/async/worker.ts',
      'src/cli/main.ts',
      'src/startup/begin.ts',
      'src/startup/end.ts',
    ]);
    // worker.ts runs in a Worker (never imported), main.ts is the bin, begin.ts and end.ts
    // install and remove the code-cache hook around the entries' imports: all are declared.
    expect(pkg.sideEffects).toEqual([
      './dist/src/cli/main.js',
      './dist/src/async/worker.js',
      './dist/src/startup/begin.js',
      './dist/src/startup/end.js',
    ]);
  });

  test('engines says node >=20, the version CI and these tests run on', () => {
    expect(pkg.engines).toEqual({ node: '>=20' });
    expect(Number(process.versions.node.split('.')[0])).toBeGreaterThanOrEqual(20);
  });
});
