/**
 * npm run docs:functions — rewrites docs/sql.md's function list from the function table
 * (planner/functions). The generated markdown is already in prettier's style, so `npm run lint`
 * keeps passing and the docs test can compare it byte for byte.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BEGIN_MARKER, END_MARKER, functionDocsMarkdown } from '../planner/functions/docs';

function main(): void {
  const root = path.join(__dirname, '..', '..');
  const file = path.join(root, 'docs', 'sql.md');
  const doc = fs.readFileSync(file, 'utf8');
  const start = doc.indexOf(BEGIN_MARKER);
  const end = doc.indexOf(END_MARKER);
  if (start < 0 || end < 0) throw new Error(`docs/sql.md lacks the function table markers`);
  const section = functionDocsMarkdown();
  fs.writeFileSync(file, doc.slice(0, start) + section + doc.slice(end + END_MARKER.length));
  console.log('docs/sql.md function table updated');
}

main();
