#!/usr/bin/env node
/**
 * The release gate (SPEC §12, docs/readiness.md): lint, build, typecheck, every jest suite, the
 * doc-example check, a fuzz pass longer than `npm test`'s, the pack smoke test, the readiness
 * map (gaps refused) and `npm audit --omit=dev --audit-level=high`. Every step runs even after a
 * failure, so one run shows everything that is wrong; a summary with times ends the output.
 * A step that cannot run here is reported as SKIPPED with the reason, and is not a pass.
 *
 *   npm run check:ready                      # everything (about 7 minutes on 2 shared cores)
 *   npm run check:ready -- --only lint,audit # named steps only
 *   npm run check:ready -- --skip tests      # all but the named steps
 *   npm run check:ready -- --strict          # a SKIPPED step fails too
 *   MV_FUZZ_RUNS=20000 npm run check:ready   # one run count for every fuzz harness
 */
'use strict';
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const root = path.join(__dirname, '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const jest = path.join(root, 'node_modules', 'jest', 'bin', 'jest.js');

// Several times each harness's `npm test` count (the defaults in the files): about 30 s on two
// cores. The seeds are fixed, so the runs past the default count are cases `npm test` never tried.
const FUZZ = [
  ['test/fuzz/sql-frontend.fuzz.test.ts', 10000],
  ['test/parser/fuzz.test.ts', 8000],
  ['test/fuzz/file-decode.fuzz.test.ts', 2000],
  ['test/fuzz/shapes.fuzz.test.ts', 200],
];

function run(cmd, args, env = {}) {
  const res = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  return res.status === 0 ? { ok: true } : { ok: false, detail: `exit ${res.status ?? res.signal}` };
}

function fuzz() {
  for (const [file, runs] of FUZZ) {
    const n = process.env.MV_FUZZ_RUNS || String(runs);
    console.log(`fuzz: ${file} with MV_FUZZ_RUNS=${n}`);
    const res = run(process.execPath, [jest, '--maxWorkers=1', file], { MV_FUZZ_RUNS: n });
    if (!res.ok) return { ok: false, detail: `${file}: ${res.detail}` };
  }
  return { ok: true };
}

/** `npm audit` needs the registry's advisory endpoint; without it the step is skipped, loudly. */
function audit() {
  const res = spawnSync(npm, ['audit', '--omit=dev', '--audit-level=high', '--json'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 120_000,
  });
  let report = null;
  try {
    report = JSON.parse(res.stdout);
  } catch {
    report = null;
  }
  const counts = report && report.metadata && report.metadata.vulnerabilities;
  if (!counts) {
    const why =
      (report && report.message) ||
      (res.stderr || '').split('\n').find((l) => /error/i.test(l)) ||
      (res.error && res.error.message) ||
      `exit ${res.status}`;
    return { skipped: true, detail: `the registry's audit endpoint did not answer (${why.trim()})` };
  }
  const high = (counts.high || 0) + (counts.critical || 0);
  const names = Object.entries(report.vulnerabilities || {})
    .filter(([, v]) => v.severity === 'high' || v.severity === 'critical')
    .map(([name, v]) => `${name} (${v.severity})`);
  console.log(`npm audit --omit=dev: ${JSON.stringify(counts)}`);
  return high === 0
    ? { ok: true, detail: 'no high or critical advisories' }
    : { ok: false, detail: names.join(', ') };
}

const STEPS = [
  ['lint', () => run(npm, ['run', '--silent', 'lint'])],
  ['build', () => run(npm, ['run', '--silent', 'build'])],
  ['typecheck', () => run(npm, ['run', '--silent', 'typecheck'])],
  ['tests', () => run(process.execPath, [jest, '--maxWorkers=2'])],
  ['docs', () => run(process.execPath, [path.join(root, 'dist', 'scripts', 'check-doc-examples.js')])],
  ['fuzz', fuzz],
  ['pack', () => run(process.execPath, [path.join(root, 'scripts', 'pack-smoke.js')])],
  [
    'readiness',
    () => {
      const res = run(process.execPath, [path.join(root, 'scripts', 'check-readiness.js'), '--no-gaps']);
      return res.ok
        ? res
        : { ok: false, detail: 'docs/readiness.md has a gap or a missing path (lines above)' };
    },
  ],
  ['audit', audit],
];

function listArg(name) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1].split(',') : null;
}

function main() {
  const only = listArg('only');
  const skip = listArg('skip') || [];
  const unknown = [...(only || []), ...skip].filter((n) => !STEPS.some(([s]) => s === n));
  if (unknown.length) {
    console.error(`unknown step(s): ${unknown.join(', ')}; steps: ${STEPS.map(([s]) => s).join(', ')}`);
    process.exitCode = 2;
    return;
  }
  const results = [];
  for (const [name, fn] of STEPS) {
    if ((only && !only.includes(name)) || skip.includes(name)) {
      results.push({ name, state: 'not run', detail: 'deselected', ms: 0 });
      continue;
    }
    console.log(`\n──── check:ready · ${name} ────`);
    const start = Date.now();
    const res = fn();
    const state = res.skipped ? 'SKIPPED' : res.ok ? 'ok' : 'FAILED';
    results.push({ name, state, detail: res.detail || '', ms: Date.now() - start });
  }
  console.log('\n──── check:ready summary ────');
  for (const r of results)
    console.log(
      `${r.state.padEnd(8)} ${r.name.padEnd(10)} ${r.ms ? `${(r.ms / 1000).toFixed(1)} s`.padStart(8) : ''.padStart(8)}  ${r.detail}`,
    );
  const failed = results.filter((r) => r.state === 'FAILED');
  const skipped = results.filter((r) => r.state === 'SKIPPED');
  const partial = results.some((r) => r.state === 'not run');
  if (failed.length) console.log(`NOT READY: ${failed.map((r) => r.name).join(', ')} failed`);
  else if (partial) console.log('steps passed (a partial run: not a readiness verdict)');
  else if (skipped.length)
    console.log(
      `READY except for skipped step(s) ${skipped.map((r) => r.name).join(', ')}: run them where they can run`,
    );
  else console.log('READY');
  // --strict: a skipped step fails the gate too (for a machine that can reach the registry).
  if (failed.length || (process.argv.includes('--strict') && skipped.length)) process.exitCode = 1;
}

main();
