/** Child processes for multi-process tests: spawn, wait for a line of output, talk over stdin. */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import * as path from 'node:path';

export const LOCK_CHILD = path.join(__dirname, 'lock-child.js');
export const CHILD_WRITER = path.join(__dirname, 'child-writer.js');

export interface Child {
  proc: ChildProcessWithoutNullStreams;
  /** Everything printed so far. */
  output(): string;
  /** Resolves once the output contains `text` (from `from` on); rejects when the child exits first. */
  waitFor(text: string, from?: number): Promise<void>;
  send(line: string): void;
  exited: Promise<number | null>;
  kill(): Promise<void>;
}

export function startChild(script: string, args: string[]): Child {
  const proc = spawn(process.execPath, [script, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const waiters: (() => void)[] = [];
  proc.stdout.on('data', (c: Buffer) => {
    out += c.toString();
    for (const w of waiters.splice(0)) w();
  });
  proc.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  let done = false;
  void exited.then(() => {
    done = true;
    for (const w of waiters.splice(0)) w();
  });
  return {
    proc,
    output: () => out,
    waitFor(text: string, from = 0) {
      return new Promise<void>((resolve, reject) => {
        const check = (): void => {
          if (out.indexOf(text, from) >= 0) resolve();
          else if (done)
            reject(new Error(`child exited before printing ${text}; stdout: ${out}; stderr: ${err}`));
          else waiters.push(check);
        };
        check();
      });
    },
    send: (line: string) => proc.stdin.write(`${line}\n`),
    exited,
    async kill() {
      if (!done) proc.kill('SIGKILL');
      await exited;
    },
  };
}

/** Run a child to completion and return its trimmed stdout. */
export function runChild(script: string, args: string[]): string {
  return spawnSync(process.execPath, [script, ...args], { encoding: 'utf8' }).stdout.trim();
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
