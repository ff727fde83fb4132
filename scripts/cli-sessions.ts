/**
 * The recorded sessions of docs/cli.md: every ```console block's `$ ` lines are commands, run in
 * order by one bash process in one empty folder (later blocks use the files earlier ones made);
 * the lines under a command are what it printed, stdout and stderr together, ending with
 * `[exit n]` when its exit code is not 0.
 *
 *   node dist/scripts/cli-sessions.js           run every command and write what it printed into docs/cli.md
 *   node dist/scripts/cli-sessions.js --check   exit 1 when a command prints something else
 *
 * test/cli/doc-sessions.test.ts runs the check, so the page cannot drift from the binary. The
 * check compares outputs with their ISO 8601 times (when a schema version was registered) masked:
 * those are the only text that differs between two runs.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface Step {
  command: string;
  expected: string;
  code: number;
}

export interface Ran {
  command: string;
  output: string;
  code: number;
}

const SESSION = /```console\n([\s\S]*?)```/g;

/** The checkout: this file runs from dist/scripts/ (built) and from scripts/ (under jest). */
function findRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'docs', 'cli.md'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no docs/cli.md above ${from}`);
  }
}

export const ROOT = findRoot(__dirname);
export const DOC = path.join(ROOT, 'docs', 'cli.md');
const BIN = path.join(ROOT, 'dist', 'src', 'cli', 'main.js');

function parseBlock(body: string): Step[] {
  const out: Step[] = [];
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
  for (const line of body.replace(/\n$/, '').split('\n')) {
    if (line.startsWith('$ ')) {
      finish();
      current = { command: line.slice(2), lines: [] };
    } else current?.lines.push(line);
  }
  finish();
  return out;
}

/** Every command of every session, in page order. */
export function steps(markdown: string): Step[] {
  return [...markdown.matchAll(SESSION)].flatMap((m) => parseBlock(m[1]));
}

/**
 * Run `all` in one bash process in a fresh folder, as a user would from a shell: `modelvault` is
 * the built binary, and `require('modelvault')` in a module the session writes finds this package.
 */
export function runSteps(all: readonly Step[]): Ran[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mv-cli-docs-'));
  try {
    fs.mkdirSync(path.join(dir, 'node_modules'));
    fs.symlinkSync(ROOT, path.join(dir, 'node_modules', 'modelvault'), 'dir');
    const script = [
      `modelvault() { ${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} "$@"; }`,
      ...all.map((s) => `{ ${s.command}\n} 2>&1; printf '\\0%d\\n' $?`),
    ].join('\n');
    const res = spawnSync('bash', ['-c', script], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1', HOME: dir },
      timeout: 120_000,
    });
    const parts = res.stdout.split('\0');
    return all.map((s, i) => ({
      command: s.command,
      output: parts[i].replace(/^\d+\n/, '').replace(/\r\n/g, '\n'),
      code: Number(/^(\d+)\n/.exec(parts[i + 1] ?? '')?.[1]),
    }));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const ISO_TIME = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/g;

/** A command's output as the check compares it: wall-clock times masked. */
export function comparable(output: string): string {
  return output.replace(ISO_TIME, '<time>');
}

/** `markdown` with every session's output replaced by what `ran` printed. */
export function record(markdown: string, ran: readonly Ran[]): string {
  let i = 0;
  return markdown.replace(SESSION, (_whole, body: string) => {
    const lines: string[] = [];
    for (const _step of parseBlock(body)) {
      const r = ran[i++];
      lines.push(`$ ${r.command}`);
      if (r.output !== '') lines.push(r.output.replace(/\n$/, ''));
      if (r.code !== 0) lines.push(`[exit ${r.code}]`);
    }
    return `\`\`\`console\n${lines.join('\n')}\n\`\`\``;
  });
}

function main(): void {
  const doc = fs.readFileSync(DOC, 'utf8');
  const all = steps(doc);
  const ran = runSteps(all);
  if (process.argv.includes('--check')) {
    const bad = ran.filter(
      (r, i) => comparable(r.output) !== comparable(all[i].expected) || r.code !== all[i].code,
    );
    for (const r of bad) console.error(`docs/cli.md: \`${r.command}\` prints something else now`);
    if (bad.length > 0) process.exitCode = 1;
    else console.log(`${ran.length} commands of docs/cli.md print what the page shows`);
    return;
  }
  fs.writeFileSync(DOC, record(doc, ran));
  console.log(`recorded ${ran.length} commands into docs/cli.md`);
}

if (require.main === module) main();
