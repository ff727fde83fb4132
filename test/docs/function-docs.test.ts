/** docs/sql.md lists every function of the function table, exactly as the table describes it. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { functionTable } from '../../planner/functions';
import { BEGIN_MARKER, END_MARKER, functionDocsMarkdown, signature } from '../../planner/functions/docs';

const file = path.join(__dirname, '..', '..', 'docs', 'sql.md');
const doc = fs.readFileSync(file, 'utf8');

test('every function in the table is listed in docs/sql.md', () => {
  for (const def of functionTable()) expect(doc).toContain(`\`${signature(def)}\``);
});

test('the function list is the one generated from the table (npm run docs:functions)', () => {
  const want = functionDocsMarkdown();
  const start = doc.indexOf(BEGIN_MARKER);
  const end = doc.indexOf(END_MARKER);
  expect(start).toBeGreaterThanOrEqual(0);
  expect(doc.slice(start, end + END_MARKER.length)).toBe(want);
});
