#!/usr/bin/env node
// The registry this project installs from carries only the linux-x64 build of msgpackr's optional
// native helper, so `npm install` writes a package-lock.json without the other platforms' entries
// and `npm ci` then refuses the lockfile as out of sync. This adds those optional, platform-bound
// entries back (npm skips them on non-matching platforms without fetching). Run it after any
// `npm install` that rewrites the lockfile:  node scripts/complete-lockfile.js
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const file = path.join(__dirname, '..', 'package-lock.json');
const lock = JSON.parse(fs.readFileSync(file, 'utf8'));
const extract = lock.packages['node_modules/msgpackr-extract'];
if (!extract) process.exit(0);
let added = 0;
for (const name of Object.keys(extract.optionalDependencies ?? {})) {
  const key = `node_modules/${name}`;
  if (lock.packages[key]) continue;
  const [os, cpu] = name.replace('@msgpackr-extract/msgpackr-extract-', '').split('-');
  lock.packages[key] = {
    version: extract.optionalDependencies[name],
    cpu: [cpu],
    license: 'MIT',
    optional: true,
    os: [os],
  };
  added++;
}
const entries = Object.entries(lock.packages).sort(([a], [b]) =>
  a === '' ? -1 : b === '' ? 1 : a < b ? -1 : a > b ? 1 : 0,
);
lock.packages = Object.fromEntries(entries);
fs.writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`complete-lockfile: added ${added} platform entr${added === 1 ? 'y' : 'ies'}`);
