/**
 * docs/cli.md shows real sessions: every ```console block is run here, in order, in one empty
 * folder (later blocks use the files earlier ones made), and each command must print exactly
 * what the page shows (wall-clock times aside), with the exit code its `[exit n]` line names (0 when there is none).
 * All commands run in one bash process, so the check costs one node start per command only.
 * `npm run docs:cli` records the outputs into the page from the same run (scripts/cli-sessions.ts).
 */
import * as fs from 'node:fs';
import { DOC, comparable, record, runSteps, steps } from '../../scripts/cli-sessions';

test('every session in docs/cli.md prints what the page shows', () => {
  const all = steps(fs.readFileSync(DOC, 'utf8'));
  expect(all.length).toBeGreaterThan(20);
  const ran = runSteps(all);
  all.forEach((s, i) => {
    // Times a schema version was registered differ between runs; everything else must match.
    expect({ ...ran[i], output: comparable(ran[i].output) }).toEqual({
      command: s.command,
      output: comparable(s.expected),
      code: s.code,
    });
  });
});

test('every command of the CLI has a recorded session', () => {
  const doc = fs.readFileSync(DOC, 'utf8');
  const commands = steps(doc).map((s) => s.command);
  const names = [
    'inspect',
    'dump-catalog',
    'checkpoint',
    'compact',
    'sql',
    'verify',
    'backup',
    'restore',
    'dump',
    'import',
    'export',
    'salvage',
    'types',
    'migrate plan',
    'migrate apply',
  ];
  for (const name of names)
    expect({ name, recorded: commands.some((c) => c.includes(`modelvault ${name} `)) }).toEqual({
      name,
      recorded: true,
    });
  // The shell: input piped into `modelvault <file>`.
  expect(commands.some((c) => /\| modelvault \S+\.modelvault$/.test(c))).toBe(true);
});

test('recording writes each output under its command, with [exit n] for a failure', () => {
  const page = 'text\n```console\n$ a\nold\n$ b\n```\nmore\n```console\n$ c\n[exit 2]\n```\n';
  const out = record(page, [
    { command: 'a', output: 'new\nlines\n', code: 0 },
    { command: 'b', output: '', code: 3 },
    { command: 'c', output: 'x\n', code: 0 },
  ]);
  expect(out).toBe('text\n```console\n$ a\nnew\nlines\n$ b\n[exit 3]\n```\nmore\n```console\n$ c\nx\n```\n');
  expect(steps(out)).toEqual([
    { command: 'a', expected: 'new\nlines\n', code: 0 },
    { command: 'b', expected: '', code: 3 },
    { command: 'c', expected: 'x\n', code: 0 },
  ]);
});
