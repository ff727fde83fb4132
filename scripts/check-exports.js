#!/usr/bin/env node
/**
 * Entry-point check, in the spirit of @arethetypeswrong/cli (kept local: no extra dev dependency,
 * and it runs offline). For an installed `modelvault` it checks that
 *   1. `exports["."]` resolves for `import` and for `require`, each to an existing file with an
 *      existing declaration file of the matching module format (.d.mts beside .mjs, .d.ts beside
 *      .js in a CommonJS package: a .d.ts beside .mjs is what attw calls "masquerading as CJS");
 *   2. TypeScript (module node16) resolves both entries to declarations without error, and the
 *      names the ESM types export equal the names the CJS types export;
 *   3. at run time `import('modelvault')` and `require('modelvault')` expose the same names, share
 *      one instance, and `version` equals package.json's.
 *
 *   node scripts/check-exports.js <project dir with node_modules/modelvault>
 *   node scripts/check-exports.js            (checks this checkout through a temporary link)
 * Prints one line per check; exit code 1 on any failure.
 */
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const repo = path.join(__dirname, '..');

/** Resolves an exports entry for a set of conditions, the way Node and TypeScript walk it. */
function resolveTarget(entry, conditions) {
  if (typeof entry === 'string') return entry;
  if (entry === null || typeof entry !== 'object') return null;
  for (const [key, value] of Object.entries(entry)) {
    if (key === 'default' || conditions.includes(key)) {
      const hit = resolveTarget(value, conditions);
      if (hit) return hit;
    }
  }
  return null;
}

function staticChecks(pkgDir, pkg, fail) {
  const root = pkg.exports && pkg.exports['.'];
  if (!root) return fail('package.json has no exports["."]');
  for (const mode of ['import', 'require']) {
    const js = resolveTarget(root, [mode, 'node']);
    const types = resolveTarget(root, ['types', mode, 'node']);
    if (!js || !fs.existsSync(path.join(pkgDir, js))) fail(`${mode}: target ${js} is missing`);
    if (!types || !/\.d\.[mc]?ts$/.test(types) || !fs.existsSync(path.join(pkgDir, types)))
      fail(`${mode}: types ${types} are missing`);
    if (!js || !types) continue;
    const esmJs = js.endsWith('.mjs') || (js.endsWith('.js') && pkg.type === 'module');
    const esmTypes = types.endsWith('.d.mts') || (types.endsWith('.d.ts') && pkg.type === 'module');
    if (esmJs !== esmTypes)
      fail(
        `${mode}: ${js} is ${esmJs ? 'ESM' : 'CJS'} but its types ${types} are ${esmTypes ? 'ESM' : 'CJS'}`,
      );
    if (mode === 'import' && !esmJs) fail(`import: ${js} is not an ES module`);
    if (mode === 'require' && esmJs) fail(`require: ${js} is not CommonJS`);
    console.log(`✓ ${mode} → ${js} (types ${types})`);
  }
}

function typeChecks(projectDir, fail) {
  const dir = fs.mkdtempSync(path.join(projectDir, '.types-check-'));
  try {
    // Fails to compile, naming the names, when one entry's types export what the other's lack.
    fs.writeFileSync(
      path.join(dir, 'esm.mts'),
      [
        "import * as esm from 'modelvault';",
        "import mv, { connect, version } from 'modelvault';",
        "type Cjs = typeof import('modelvault', { with: { 'resolution-mode': 'require' } });",
        'type OnlyCjs = Exclude<keyof Cjs, keyof typeof esm>;',
        "type OnlyEsm = Exclude<keyof typeof esm, keyof Cjs | 'default'>;",
        'export const onlyCjs: [OnlyCjs] extends [never] ? true : OnlyCjs = true;',
        'export const onlyEsm: [OnlyEsm] extends [never] ? true : OnlyEsm = true;',
        'export const v: string = version;',
        'export const same: typeof connect = mv.connect;',
        '',
      ].join('\n'),
    );
    fs.writeFileSync(
      path.join(dir, 'cjs.cts'),
      [
        "import mv = require('modelvault');",
        'export const v: string = mv.version;',
        "export const conn: import('modelvault').Connection = mv.connect(':memory:');",
        '',
      ].join('\n'),
    );
    const tsc = path.join(repo, 'node_modules', 'typescript', 'bin', 'tsc');
    const args = [
      tsc,
      '--noEmit',
      '--strict',
      '--module',
      'node16',
      '--moduleResolution',
      'node16',
      '--target',
      'es2022',
      '--skipLibCheck',
      'false',
      '--types',
      'node',
      '--typeRoots',
      path.join(repo, 'node_modules', '@types'),
      path.join(dir, 'esm.mts'),
      path.join(dir, 'cjs.cts'),
    ];
    const res = spawnSync(process.execPath, args, { cwd: projectDir, encoding: 'utf8', timeout: 120_000 });
    if (res.status !== 0) fail(`TypeScript (node16) rejects the entry points:\n${res.stdout}${res.stderr}`);
    else console.log('✓ TypeScript node16: import and require resolve, same exported names');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function runtimeChecks(projectDir, version, fail, failures) {
  const script = [
    "import { createRequire } from 'node:module';",
    "const esm = await import('modelvault');",
    "const cjs = createRequire(import.meta.url)('modelvault');",
    "const names = Object.keys(esm).filter((k) => k !== 'default').sort();",
    'const cjsNames = Object.keys(cjs).sort();',
    'console.log(JSON.stringify({ names, cjsNames, shared: esm.default === cjs && esm.connect === cjs.connect,',
    '  version: esm.version, cjsVersion: cjs.version }));',
  ].join('\n');
  const res = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: projectDir,
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (res.status !== 0) return fail(`loading the package failed: ${res.stderr.trim()}`);
  const got = JSON.parse(res.stdout);
  const before = failures.length;
  const onlyCjs = got.cjsNames.filter((n) => !got.names.includes(n));
  const onlyEsm = got.names.filter((n) => !got.cjsNames.includes(n));
  if (onlyCjs.length) fail(`names require() has and import() lacks: ${onlyCjs.join(', ')}`);
  if (onlyEsm.length) fail(`names import() has and require() lacks: ${onlyEsm.join(', ')}`);
  if (!got.shared) fail('import() and require() load two instances');
  if (got.version !== version || got.cjsVersion !== version)
    fail(`version export ${got.version}/${got.cjsVersion}, package.json says ${version}`);
  if (failures.length > before) return;
  console.log(
    `✓ import() and require() expose the same ${got.names.length} names, one instance, version ${version}`,
  );
}

/** Returns the failures (empty when every check passes). */
function checkExports(projectDir) {
  const failures = [];
  const fail = (msg) => {
    failures.push(msg);
    console.log(`✗ ${msg}`);
  };
  const pkgDir = path.join(projectDir, 'node_modules', 'modelvault');
  const pkg = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
  staticChecks(pkgDir, pkg, fail);
  typeChecks(projectDir, fail);
  runtimeChecks(projectDir, pkg.version, fail, failures);
  return failures;
}

function main() {
  let projectDir = process.argv[2] && path.resolve(process.argv[2]);
  let cleanup = () => {};
  if (!projectDir) {
    // This checkout, reached the way a consumer reaches it: through node_modules/modelvault.
    projectDir = fs.mkdtempSync(path.join(os.tmpdir(), 'modelvault-exports-'));
    fs.mkdirSync(path.join(projectDir, 'node_modules'));
    fs.symlinkSync(repo, path.join(projectDir, 'node_modules', 'modelvault'), 'dir');
    fs.writeFileSync(path.join(projectDir, 'package.json'), '{"private":true}\n');
    cleanup = () => fs.rmSync(projectDir, { recursive: true, force: true });
  }
  try {
    const failures = checkExports(projectDir);
    if (failures.length) process.exitCode = 1;
  } finally {
    cleanup();
  }
}

module.exports = { checkExports, resolveTarget };
if (require.main === module) main();
