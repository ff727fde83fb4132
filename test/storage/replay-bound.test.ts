/**
 * The replay bound (docs/operations.md "Checkpoints"): a writer killed with SIGKILL — no clean
 * close, so no close checkpoint — leaves at most `replayLimitBytes` of log (or
 * `replayLimitFrames` frames) plus the transaction that crossed it for the next open to replay,
 * even where the spacing rule (4× the last checkpoint's size) would have let the log grow. The
 * writers are real child processes running the built package.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { Database } from '../../src/index';
import { DEFAULT_REPLAY_LIMIT_BYTES, DEFAULT_REPLAY_LIMIT_FRAMES } from '../../storage/engine';
import { tmpDir } from '../helpers/tmp';

const DIST = path.join(__dirname, '..', '..', 'dist', 'src', 'index.js');
const ROWS_PER_TXN = 200;

/**
 * A child writes `txns` transactions of random-key rows with `options`, prints the largest tail it
 * saw after a commit and the bytes of a transaction, then waits to be killed.
 */
function writeAndKill(
  file: string,
  options: object,
  txns: number,
): Promise<{ maxTail: number; txnBytes: number }> {
  const script = `
    const mv = require(${JSON.stringify(DIST)});
    const db = mv.Database.open(${JSON.stringify(file)}, ${JSON.stringify(options)});
    db.registerCollection('items', [
      { path: 'id', type: 'int64' }, { path: 'uid', type: 'string' }, { path: 'qty', type: 'int64' },
    ], 'id', [{ name: 'items_uid', path: 'uid', kind: 'unique' }, { name: 'items_qty', path: 'qty', kind: 'index' }]);
    let maxTail = 0, txnBytes = 0;
    for (let t = 0; t < ${txns}; t++) {
      const before = db.storage.logBytesSinceCheckpoint;
      db.transaction(() => {
        for (let i = 0; i < ${ROWS_PER_TXN}; i++) {
          const id = t * ${ROWS_PER_TXN} + i;
          db.insert('items', { id, uid: ((id * 2654435761) % 4294967296).toString(36) + ':' + id, qty: id % 997 });
        }
      });
      const after = db.storage.logBytesSinceCheckpoint;
      if (after > before) txnBytes = Math.max(txnBytes, after - before);
      maxTail = Math.max(maxTail, after);
    }
    process.stdout.write(JSON.stringify({ maxTail, txnBytes }) + '\\n');
    setInterval(() => {}, 1000);`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) child.kill('SIGKILL');
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (_code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`writer exited on its own: ${err}`));
      else resolve(JSON.parse(out.trim()) as { maxTail: number; txnBytes: number });
    });
  });
}

describe('replay bound after a killed writer', () => {
  const tmp = tmpDir();
  afterAll(() => tmp.cleanup());

  test('defaults are documented values: 64 MiB and 250,000 frames', () => {
    expect(DEFAULT_REPLAY_LIMIT_BYTES).toBe(64 * 1024 * 1024);
    expect(DEFAULT_REPLAY_LIMIT_FRAMES).toBe(250_000);
  });

  test('replayLimitBytes bounds the log the next open replays, where the spacing rule would not', async () => {
    const file = tmp.file();
    const limit = 128 * 1024;
    // A small checkpointEveryBytes makes the spacing rule (4x the last checkpoint, whose random-key
    // index pages are rewritten whole) the one that decides, as in a large random-key load.
    const { maxTail, txnBytes } = await writeAndKill(
      file,
      { checkpointEveryBytes: 1, replayLimitBytes: limit },
      60,
    );
    expect(maxTail).toBeLessThanOrEqual(limit + txnBytes);
    const db = Database.open(file, { readOnly: true });
    expect(db.storage.recoveryReport.usedCheckpoint).toBe(true);
    expect(db.storage.logBytesSinceCheckpoint).toBeLessThanOrEqual(limit + txnBytes);
    expect(db.collection('items').count()).toBe(60 * ROWS_PER_TXN);
    expect(db.get('items', 60 * ROWS_PER_TXN - 1)).toMatchObject({ qty: (60 * ROWS_PER_TXN - 1) % 997 });
    db.close();

    // Without the bound, the same writer leaves more than that (so the bound is what held it).
    const unbounded = tmp.file();
    const free = await writeAndKill(
      unbounded,
      { checkpointEveryBytes: 1, replayLimitBytes: 0, replayLimitFrames: 0 },
      60,
    );
    expect(free.maxTail).toBeGreaterThan(limit + txnBytes);
  });

  test('replayLimitFrames bounds the transactions replayed', async () => {
    const file = tmp.file();
    const frames = 2_000;
    await writeAndKill(file, { checkpointEveryBytes: 1, replayLimitBytes: 0, replayLimitFrames: frames }, 60);
    const db = Database.open(file, { readOnly: true });
    const replayed = db.storage.recoveryReport.replayedTransactions;
    // Each transaction is ROWS_PER_TXN frames and a commit frame.
    expect(replayed * (ROWS_PER_TXN + 1)).toBeLessThanOrEqual(frames + ROWS_PER_TXN + 1);
    expect(db.collection('items').count()).toBe(60 * ROWS_PER_TXN);
    db.close();
  });
});
