/**
 * Crash test (engine invariants I1, I2): a child process commits transactions in a loop and
 * prints each id after commit() returns; it is SIGKILLed at a random moment. The reopened file
 * must hold every printed transaction completely and no partial one.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import fc from 'fast-check';
import { Database } from '../../src/index';
import { tmpDir } from '../helpers/tmp';

const CHILD = path.join(__dirname, '..', 'helpers', 'child-writer.js');
const PER_TXN = 7;

function runAndKill(file: string, killAfterMs: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, 'crash', file, String(PER_TXN)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const printed: number[] = [];
    let buffered = '';
    let stderr = '';
    let timer: NodeJS.Timeout | null = null;
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) if (line.startsWith('C ')) printed.push(Number(line.slice(2)));
      // Start the clock at the first commit so every run kills mid-stream, not during startup.
      if (!timer && printed.length > 0) timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (_code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`child exited on its own: ${stderr}`));
      else resolve(printed);
    });
  });
}

describe('crash safety', () => {
  const tmp = tmpDir();
  afterAll(() => tmp.cleanup());

  test('20 SIGKILLs at random moments: every acknowledged transaction survives, none partially', async () => {
    const delays = fc.sample(fc.integer({ min: 1, max: 250 }), { numRuns: 20, seed: 20261124 });
    for (const delay of delays) {
      const file = tmp.file();
      const printed = await runAndKill(file, delay);
      expect(printed.length).toBeGreaterThan(0);
      // Read-only: the dead writer's lock is still on the file; recovery happens in memory.
      const db = Database.open(file, { readOnly: true, recovery: 'autoTruncate' });
      const maxPrinted = Math.max(...printed);
      const txnCounts = new Map<number, number>();
      let id = PER_TXN;
      for (;;) {
        const row = db.get('items', id);
        if (!row) break;
        const txn = row.txn as number;
        txnCounts.set(txn, (txnCounts.get(txn) ?? 0) + 1);
        id++;
      }
      db.close();
      const present = [...txnCounts.keys()];
      // A committed prefix: transactions 1..m, each complete, m at least the last acknowledged one.
      expect(present).toEqual(present.map((_, i) => i + 1));
      for (const count of txnCounts.values()) expect(count).toBe(PER_TXN);
      expect(present.length).toBeGreaterThanOrEqual(maxPrinted);
    }
  }, 120000);
});
