#!/usr/bin/env node
/**
 * Checks docs/readiness.md, the map from SPEC §12 items to test files: every backticked path in
 * the files column must exist, and every row must name a `*.test.ts` file unless it is marked
 * **GAP**. Prints the gaps. Exit code 1 on a missing path or a row without tests; with
 * `--no-gaps` (the release gate) also on any gap.
 *
 *   node scripts/check-readiness.js [--no-gaps]
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');

/** The table rows of the map: item text and the files column. */
function readRows(text) {
  const rows = [];
  for (const line of text.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    // `| item | files |` splits into ['', item, files, '']; skip headers and separators.
    if (cells.length !== 4 || /^-+$/.test(cells[1]) || cells[1] === 'item') continue;
    rows.push({ item: cells[1], files: cells[2] });
  }
  return rows;
}

function checkReadiness(text) {
  const problems = [];
  const gaps = [];
  const rows = readRows(text);
  for (const { item, files } of rows) {
    if (files.startsWith('**GAP**')) {
      gaps.push(`${item}: ${files.replace('**GAP**', '').trim()}`);
      continue;
    }
    const paths = [...files.matchAll(/`([^`]+)`/g)].map((m) => m[1]);
    for (const p of paths)
      if (!fs.existsSync(path.join(root, p))) problems.push(`${item}: ${p} does not exist`);
    if (!paths.some((p) => p.endsWith('.test.ts'))) problems.push(`${item}: names no *.test.ts file`);
  }
  return { rows: rows.length, problems, gaps };
}

function main() {
  const { rows, problems, gaps } = checkReadiness(
    fs.readFileSync(path.join(root, 'docs', 'readiness.md'), 'utf8'),
  );
  for (const p of problems) console.log(`✗ ${p}`);
  for (const g of gaps) console.log(`! GAP ${g}`);
  console.log(`readiness map: ${rows} items, ${problems.length} problem(s), ${gaps.length} gap(s)`);
  if (problems.length || (process.argv.includes('--no-gaps') && gaps.length)) process.exitCode = 1;
}

module.exports = { checkReadiness, readRows };
if (require.main === module) main();
