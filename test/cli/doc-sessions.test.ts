/**
 * docs/cli.md shows real sessions: every ```console block is run here, in order, in one empty
 * folder (later blocks use the files earlier ones made), and each command must print exactly
 * what the page shows, with the exit code its `[exit n]` line names (0 when there is none).
 * All commands run in one bash process, so the check costs one node start per command only.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tmpDir } from '../helpers/tmp';
import { BIN } from './cli-helper';

interface Step {
  command: string;
  expected: string;
  code: number;
}

function steps(markdown: string): Step[] {
  const out: Step[] = [];
  for (const m of markdown.matchAll(/```console\n([\s\S]*?)```/g)) {
    let current: { command: string; lines: string[] } | null = null;
    const finish = (): void => {
      if (!current) return;
      const lines = current.lines;
      const exit = lines.length > 0 ? /^\[exit (\d+)\]$/.exec(lines[lines.length - 1]) : null;
      if (exit) lines.pop();
      out.push({
        command: current.command,
        expected: lines.map((l) => `${l}\n`).join(''),
        code: exit ? Number(exit[1]) : 0,
      });
    };
    for (const line of m[1].replace(/\n$/, '').split('\n')) {
      if (line.startsWith('$ ')) {
        finish();
        current = { command: line.slice(2), lines: [] };
      } else {
        current?.lines.push(line);
      }
    }
    finish();
  }
  return out;
}

test('every session in docs/cli.md prints what the page shows', () => {
  const doc = fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'cli.md'), 'utf8');
  const all = steps(doc);
  expect(all.length).toBeGreaterThan(20);
  const tmp = tmpDir('mv-cli-docs-');
  try {
    const script = [
      `modelvault() { ${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} "$@"; }`,
      ...all.map((s) => `{ ${s.command}\n} 2>&1; printf '\\0%d\\n' $?`),
    ].join('\n');
    const res = spawnSync('bash', ['-c', script], {
      cwd: tmp.dir,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1', HOME: tmp.dir },
      timeout: 60_000,
    });
    const parts = res.stdout.split('\0');
    all.forEach((s, i) => {
      const output = parts[i].replace(/^\d+\n/, '').replace(/\r\n/g, '\n');
      const code = Number(/^(\d+)\n/.exec(parts[i + 1])?.[1]);
      expect({ command: s.command, output, code }).toEqual({
        command: s.command,
        output: s.expected,
        code: s.code,
      });
    });
  } finally {
    tmp.cleanup();
  }
});
