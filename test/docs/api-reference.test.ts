/**
 * Regression (issue 11, item 18): docs/api.md claimed every Database method but omitted compact,
 * compactTo, exportSnapshot, restoreSnapshot, snapshotBytes and openSnapshotBytes, and the row
 * cache budget understated heap use several times without saying so. Every public method of
 * Database (instance and static) now has a section, and the budget's meaning is documented.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Database } from '../../src/index';

const doc = fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'api.md'), 'utf8');
const headings = doc
  .split('\n')
  .filter((l) => l.startsWith('## '))
  .map((l) => l.slice(3));

/**
 * TypeScript's `private` and `@internal` are invisible at runtime, so they are read from the source:
 * a member declared `private`, or whose doc comment starts with `@internal`, is not public API.
 */
const source = fs.readFileSync(path.join(__dirname, '..', '..', 'src', 'database.ts'), 'utf8');
const PRIVATE = new Set<string>(['constructor']);
for (const m of source.matchAll(/^ {2}private (?:static )?(?:get )?(\w+)/gm)) PRIVATE.add(m[1]);
for (const m of source.matchAll(
  /\/\*\*\s*(?:\*\s*)?@internal[\s\S]*?\*\/\s*\n {2}(?:static )?(?:get )?(\w+)/gm,
))
  PRIVATE.add(m[1]);
/** Members documented elsewhere on purpose. */
const ELSEWHERE = new Set(['storage', 'readView', 'isOpen']);

function members(o: object): string[] {
  return Object.getOwnPropertyNames(o).filter((n) => !PRIVATE.has(n) && !ELSEWHERE.has(n));
}

describe('docs/api.md covers the Database API', () => {
  test.each(members(Database.prototype))('instance member %s has a section', (name) => {
    expect(headings.some((h) => new RegExp(`\`${name}\\b`).test(h))).toBe(true);
  });

  test.each(members(Database).filter((n) => !['length', 'name', 'prototype'].includes(n)))(
    'static Database.%s has a section',
    (name) => {
      expect(headings.some((h) => h.includes(`Database.${name}(`))).toBe(true);
    },
  );

  test('private and @internal members are recognised (the list above is not empty by accident)', () => {
    for (const name of ['live', 'writable', 'visibleCollection']) expect(PRIVATE.has(name)).toBe(true);
  });

  test('the six methods the issue named are there', () => {
    for (const name of [
      'compact',
      'compactTo',
      'exportSnapshot',
      'restoreSnapshot',
      'snapshotBytes',
      'openSnapshotBytes',
    ])
      expect(headings.some((h) => h.includes(`${name}(`))).toBe(true);
  });

  test('the row cache budget says what it counts: heap bytes, with measured row sizes', () => {
    const section = doc.slice(doc.indexOf('## Memory: the row cache budget'));
    expect(section).toMatch(/counts each cached row at what the decoded row holds on the JavaScript heap/);
    expect(section).toMatch(/holds about 120 bytes/);
  });
});
