#!/usr/bin/env node
// npm run test:differential -- [--runs N] [--seed S]: the differential suite with more cases.
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
};
const env = {
  ...process.env,
  MV_DIFF_RUNS: arg('runs', '1000'),
  MV_DIFF_SEED: arg('seed', String(Date.now() % 1e9)),
};
console.log(`differential: ${env.MV_DIFF_RUNS} cases, seed ${env.MV_DIFF_SEED}`);
const jest = path.join(__dirname, '..', 'node_modules', 'jest', 'bin', 'jest.js');
const res = spawnSync(process.execPath, [jest, 'test/differential', '--verbose=false'], {
  env,
  stdio: 'inherit',
  cwd: path.join(__dirname, '..'),
});
process.exit(res.status ?? 1);
