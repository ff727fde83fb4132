/**
 * `backup` while another process writes: the writer keeps committing during the backup, and the
 * backup holds a consistent prefix of its transactions (each one whole). `restore` puts a backup
 * in place, and refuses while a writer holds the destination.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import BetterSqlite3 from 'better-sqlite3';
import * as path from 'node:path';
import { connect } from '../../src/index';
import { tmpDir } from '../helpers/tmp';
import { cli, cliAsync } from './cli-helper';

const CHILD = path.join(__dirname, '..', 'helpers', 'child-writer.js');
const PER_TXN = 5;
const tmp = tmpDir('mv-cli-backup-');
afterAll(() => tmp.cleanup());

/** A child committing PER_TXN rows per transaction; `commits()` is how many it has acknowledged. */
function startWriter(file: string): { child: ChildProcess; commits: () => number; ready: Promise<void> } {
  const child = spawn(process.execPath, [CHILD, 'crash', file, String(PER_TXN)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let last = 0;
  let buffered = '';
  let resolveReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => (resolveReady = resolve));
  child.stdout?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) if (line.startsWith('C ')) last = Number(line.slice(2));
    if (last >= 20) resolveReady();
  });
  return { child, commits: () => last, ready };
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.on('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/** Transactions in `file` with how many of their rows it holds. */
function txnCounts(file: string): Map<number, number> {
  const conn = connect(file, { readOnly: true });
  try {
    const rows = conn
      .execute('SELECT txn, count(*) FROM items GROUP BY txn ORDER BY txn')
      .fetchAll() as number[][];
    return new Map(rows.map(([t, n]) => [t, n]));
  } finally {
    conn.close();
  }
}

test('backup --verify while a writer commits: a whole-transaction prefix, and the writer never waits', async () => {
  const file = tmp.file();
  const writer = startWriter(file);
  try {
    await writer.ready;
    const dest = tmp.file();
    const before = writer.commits();
    const r = await cliAsync(['backup', file, '--to', dest, '--verify']);
    const after = writer.commits();
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^backup of .* at transaction \d+ written to .*: 1 collection, \d+ rows, \d+ bytes\n/,
    );
    expect(r.stdout).toMatch(/\nbackup verified: \d+ frames, \d+ rows, indexes consistent\n$/);
    // The writer went on committing while the backup ran.
    expect(after).toBeGreaterThan(before);
    const counts = txnCounts(dest);
    const txns = [...counts.keys()];
    expect(txns.length).toBeGreaterThanOrEqual(20);
    // A prefix of the writer's transactions, each complete.
    expect(txns).toEqual(Array.from({ length: txns.length }, (_, i) => i + 1));
    for (const n of counts.values()) expect(n).toBe(PER_TXN);

    // verify reads the live file too: what was committed when it looked, no false damage.
    const live = await cliAsync(['verify', file]);
    expect(live.stderr).toBe('');
    expect(live.code).toBe(0);
    expect(live.stdout).toMatch(/^note: a writer \(pid \d+\) has the file open/m);
    expect(live.stdout).toMatch(/^ok .*: \d+ frames/m);

    // dump reads one snapshot (a private copy while a writer is live): whole transactions only.
    const dump = await cliAsync(['dump', file]);
    expect(dump.code).toBe(0);
    const lite = new BetterSqlite3(':memory:');
    lite.exec(dump.stdout);
    const dumped = lite
      .prepare('SELECT txn, count(*) AS n FROM items GROUP BY txn ORDER BY txn')
      .raw(true)
      .all() as number[][];
    lite.close();
    expect(dumped.map(([t]) => t)).toEqual(Array.from({ length: dumped.length }, (_, i) => i + 1));
    for (const [, n] of dumped) expect(n).toBe(PER_TXN);
    // The header names the source's transaction: registering items was the first.
    expect(dump.stdout).toMatch(
      new RegExp(`^-- ModelVault dump of .* at transaction ${dumped.length + 1} \\(sqlite dialect\\)\\n`),
    );
    expect(fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith('modelvault-snapshot-'))).toEqual([]);

    // Reading commands take no lock; writing ones meet the writer's lock (LOCKED, exit 1).
    const count = await cliAsync(['sql', file, 'SELECT count(*) > 0 AS busy FROM items', '-f', 'csv']);
    expect(count).toEqual({ code: 0, stdout: 'busy\r\n1\r\n', stderr: '' });
    const locked = await cliAsync(['checkpoint', file, '--busy-timeout', '50']);
    expect(locked.code).toBe(1);
    expect(locked.stderr).toMatch(/^modelvault: LockError LOCKED: /);
    const insert = await cliAsync(['sql', file, 'INSERT INTO items VALUES (0, 0, ?)', 'x']);
    expect(insert.stderr).toMatch(/^modelvault: LockError LOCKED: /);
    // The shell falls back to reading.
    const shell = cli([file], { input: 'SELECT count(*) > 0 AS busy FROM items;\n' });
    expect(shell.stderr).toBe(`note: another process is writing ${file}; opened read-only\n`);
    expect(shell.stdout).toBe('busy\n----\n   1\n(1 row)\n');

    // Restoring over the live writer's file is refused ...
    const refused = cli(['restore', dest, '--to', file]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^modelvault: LockError LOCKED: /);
    // ... and into a fresh path gives the backup's rows.
    const restored = tmp.file();
    const ok = cli(['restore', dest, '--to', restored]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^restored .* from .* \(\d+ bytes\)\n$/);
    expect(txnCounts(restored)).toEqual(counts);
  } finally {
    await stop(writer.child);
  }
});

test('restore refuses a damaged backup and leaves the destination alone', () => {
  const file = tmp.file();
  const conn = connect(file, { autocommit: true });
  conn.execute('CREATE TABLE items (id INTEGER PRIMARY KEY, txn INTEGER)');
  conn.execute('INSERT INTO items VALUES (1, 1)');
  conn.close();
  const bad = tmp.file();
  fs.writeFileSync(bad, Buffer.from('MVAULT\r\n but not really a database file at all........'));
  const r = cli(['restore', bad, '--to', file]);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/^modelvault: FormatError /);
  expect(txnCounts(file)).toEqual(new Map([[1, 1]]));
});
