// Jest globalSetup: some suites run the built package in child processes (crash and lock tests,
// the doc-example check), so `jest` must work from a fresh clone without `npm run build` first.
// Builds dist/ when it is missing or older than any source file, and its V8 code cache when that
// is missing or older than the build; a no-op when both are current.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const root = path.join(__dirname, '..', '..');
const SOURCES = ['src', 'parser', 'planner', 'storage', 'cursor', 'scripts', 'bench', 'examples'];
const BUILT = path.join(root, 'dist', 'src', 'index.js');

function newestSource(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, fs.statSync(p).mtimeMs);
  }
  return newest;
}

const CODE_CACHE = path.join(root, 'dist', 'src', 'startup', 'code-cache.bin');

/** `npm run build`'s second step: the V8 code cache of the built modules (scripts/build-code-cache.js). */
function buildCodeCache() {
  const res = spawnSync(process.execPath, [path.join(root, 'scripts', 'build-code-cache.js')], {
    cwd: root,
    stdio: 'inherit',
  });
  if (res.status !== 0) throw new Error('jest globalSetup: `node scripts/build-code-cache.js` failed');
}

module.exports = function buildDist() {
  buildTs();
  const built = fs.statSync(BUILT).mtimeMs;
  if (!fs.existsSync(CODE_CACHE) || fs.statSync(CODE_CACHE).mtimeMs < built) buildCodeCache();
};

function buildTs() {
  const built = fs.existsSync(BUILT) ? fs.statSync(BUILT).mtimeMs : 0;
  const config = path.join(root, 'tsconfig.build.json');
  const sources = Math.max(
    fs.statSync(config).mtimeMs,
    ...SOURCES.map((d) => path.join(root, d))
      .filter((d) => fs.existsSync(d))
      .map(newestSource),
  );
  if (built >= sources) return;
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const res = spawnSync(process.execPath, [tsc, '-p', config], { cwd: root, stdio: 'inherit' });
  if (res.status !== 0) throw new Error('jest globalSetup: `tsc -p tsconfig.build.json` failed');
  // tsc leaves an unchanged output file alone; touch the entry so the next run sees it current.
  const now = new Date();
  fs.utimesSync(BUILT, now, now);
}
