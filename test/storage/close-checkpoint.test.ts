/**
 * Checkpoint on clean close (docs/format.md §5): a writer that closes cleanly with more than
 * CLOSE_CHECKPOINT_BYTES of log after its last checkpoint publishes one, so the next open replays
 * nothing. The writers are real child processes running the built package, as an application
 * would: written through SQL and through the typed API, never calling checkpoint() themselves.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { Database } from '../../src/index';
import { CLOSE_CHECKPOINT_BYTES } from '../../storage/engine';
import { tmpDir } from '../helpers/tmp';

const DIST = path.join(__dirname, '..', '..', 'dist', 'src', 'index.js');

/** Run `body` in a fresh node process with `mv` bound to the built package and `file` to the path. */
function inChild(file: string, body: string, killed = false): string {
  const script = `const mv = require(${JSON.stringify(DIST)}); const file = ${JSON.stringify(file)};\n${body}`;
  const res = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  const ok = killed ? res.signal === 'SIGKILL' : res.status === 0;
  if (!ok) throw new Error(`child failed (${String(res.status ?? res.signal)}): ${res.stderr}`);
  return res.stdout;
}

describe('checkpoint on clean close', () => {
  const tmp = tmpDir();
  afterAll(() => tmp.cleanup());

  test('a file written through SQL and closed without checkpoint() reopens without replay', () => {
    const file = tmp.file();
    inChild(
      file,
      `const conn = mv.connect(file, { autocommit: true });
       conn.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, qty INTEGER)');
       for (let b = 0; b < 20; b++)
         conn.executeMany('INSERT INTO t VALUES (?, ?, ?)',
           Array.from({ length: 250 }, (_, i) => [b * 250 + i, 'name-' + (b * 250 + i), i]));
       conn.close();`,
    );
    const db = Database.open(file, { readOnly: true });
    const report = db.storage.recoveryReport;
    expect(report.usedCheckpoint).toBe(true);
    expect(report.replayedTransactions).toBe(0);
    expect(db.collection('t').count()).toBe(5000);
    expect(db.get('t', 4321)).toMatchObject({ id: 4321, name: 'name-4321', qty: 71 });
    db.close();
  });

  test('a session that wrote less than the threshold leaves its log to replay, byte for byte', () => {
    const file = tmp.file();
    const out = inChild(
      file,
      `const db = mv.Database.open(file);
       db.registerCollection('t', [{ path: 'id', type: 'int64' }, { path: 'v', type: 'string' }], 'id');
       for (let i = 0; i < 10; i++) db.insert('t', { id: i, v: 'x' });
       const log = db.storage.logBytesSinceCheckpoint;
       db.close();
       process.stdout.write(String(log));`,
    );
    expect(Number(out)).toBeLessThanOrEqual(CLOSE_CHECKPOINT_BYTES);
    const db = Database.open(file, { readOnly: true });
    expect(db.storage.recoveryReport.usedCheckpoint).toBe(false);
    expect(db.storage.recoveryReport.replayedTransactions).toBe(11);
    expect(db.collection('t').count()).toBe(10);
    db.close();
  });

  test('a killed writer leaves its tail to replay; the next clean close checkpoints it', () => {
    const file = tmp.file();
    inChild(
      file,
      `const db = mv.Database.open(file);
       db.registerCollection('t', [{ path: 'id', type: 'int64' }, { path: 'v', type: 'string' }], 'id');
       db.transaction(() => { for (let i = 0; i < 3000; i++) db.insert('t', { id: i, v: 'v'.repeat(40) }); });
       process.kill(process.pid, 'SIGKILL');`,
      true,
    );
    const ro = Database.open(file, { readOnly: true, recovery: 'autoTruncate' });
    expect(ro.storage.recoveryReport.replayedTransactions).toBe(2);
    ro.close();
    inChild(file, `mv.Database.open(file).close();`);
    const db = Database.open(file, { readOnly: true });
    expect(db.storage.recoveryReport.replayedTransactions).toBe(0);
    expect(db.collection('t').count()).toBe(3000);
    db.close();
  });
});
