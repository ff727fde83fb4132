#!/usr/bin/env node
// Writes package.json's version into src/version.ts (`--check`: only compares). Run by the
// `version` lifecycle script, so `npm version x.y.z` updates both; test/docs/package.test.ts fails when they drift apart.
// A constant (not a runtime read of package.json) keeps the entry free of fs access, which
// bundlers and the ESM wrapper would otherwise have to resolve.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const { version } = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const file = path.join(root, 'src', 'version.ts');
const text =
  '/** The package version; generated from package.json by scripts/sync-version.js (npm version). */\n' +
  `export const version = '${version}';\n`;
const current = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
if (process.argv.includes('--check')) {
  // Read-only: for tests, which must see a drift rather than repair it.
  if (current !== text) {
    console.error(`src/version.ts does not say ${version}: run node scripts/sync-version.js`);
    process.exitCode = 1;
  }
} else if (current !== text) fs.writeFileSync(file, text);
if (!process.exitCode) console.log(`src/version.ts: ${version}`);
