/**
 * The shell (`modelvault <file>`) with a script piped in: multi-line statements, semicolons
 * inside strings, the dot-commands, `.read`, `.quit`, and exit 1 when a statement failed.
 */
import * as fs from 'node:fs';
import { tmpDir } from '../helpers/tmp';
import { cli } from './cli-helper';

const tmp = tmpDir('mv-cli-shell-');
afterAll(() => tmp.cleanup());

test('a piped script: statements, dot-commands, errors and .quit', () => {
  const file = tmp.file();
  const script = `${tmp.dir}/script.sql`;
  fs.writeFileSync(
    script,
    "INSERT INTO t VALUES (3, 'from file');\n-- a comment\nSELECT count(*) AS n FROM t;\n",
  );
  const input = [
    'CREATE TABLE t (id INTEGER PRIMARY KEY,',
    '  name TEXT);',
    "INSERT INTO t VALUES (1, 'a;b'), (2, 'two');",
    '.tables',
    '.schema',
    'CREATE INDEX t_name ON t(name);',
    '.indexes t',
    '.mode csv',
    'SELECT * FROM t ORDER BY id;',
    '.mode json',
    'SELECT id FROM t WHERE id = 2;',
    '.timer on',
    'SELECT 1 AS one;',
    '.timer off',
    '.explain on',
    "SELECT * FROM t WHERE name = 'two';",
    '.explain off',
    `.read ${script}`,
    'SELEC bad;',
    '.mode nope',
    '.quit',
    "SELECT 'not reached';",
    '',
  ].join('\n');
  const r = cli([file], { input });
  expect(r.code).toBe(1);
  expect(r.stderr).toBe(
    `error: QueryError SYNTAX: unknown statement 'SELEC' at line 1, column 1 (offset 0) near "SELEC bad"\n` +
      'error: .mode: expected one of table, json, jsonl, csv\n',
  );
  const out = r.stdout.replace(/Run Time: \d+\.\d{3} ms/, 'Run Time: <t> ms');
  expect(out).toBe(
    [
      '(2 rows changed)',
      't',
      'CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT);',
      't_name',
      'id,name\r',
      '1,a;b\r',
      '2,two\r',
      '[',
      '  {"id":2}',
      ']',
      '[',
      '  {"one":1}',
      ']',
      'Run Time: <t> ms',
      'plan',
      '--------------------------------------------------',
      'Project id, name',
      "  IndexLookup t using covering t_name keys=['two']",
      '(2 rows)',
      '[',
      '  {"id":2,"name":"two"}',
      ']',
      '[',
      '  {"n":3}',
      ']',
      '',
    ].join('\n'),
  );
  expect(r.stdout).not.toContain('not reached');
});

test('a script that ends without a semicolon still runs its last statement; exit 0 without errors', () => {
  const file = tmp.file();
  const r = cli(['shell', file], {
    input: 'CREATE TABLE k (id INTEGER PRIMARY KEY);\nINSERT INTO k VALUES (7);\nSELECT id FROM k',
  });
  expect(r).toEqual({ code: 0, stdout: '(1 row changed)\nid\n--\n 7\n(1 row)\n', stderr: '' });
});
