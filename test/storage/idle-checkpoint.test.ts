/**
 * The idle checkpoint (`checkpointIdleMs`, docs/operations.md "Checkpoints"): a writer that stays
 * idle after its commits checkpoints as a clean close would, so a process killed while idle leaves
 * nothing to replay. A copy of the file taken while the writer is open stands for the kill.
 */
import * as fs from 'node:fs';
import { Database } from '../../src/index';
import type { OpenOptions } from '../../src/index';
import { tmpDir } from '../helpers/tmp';

const tmp = tmpDir('mv-idle-ckpt-');
afterAll(() => tmp.cleanup());

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function writer(options: OpenOptions): { db: Database; file: string } {
  const file = tmp.file();
  const db = Database.open(file, options);
  db.registerCollection(
    't',
    [
      { path: 'id', type: 'int64' },
      { path: 'note', type: 'string' },
    ],
    'id',
  );
  return { db, file };
}

/** `rows` rows of ~200 B in one transaction (`rows` ≥ 400 is past the 64 KiB threshold). */
function write(db: Database, from: number, rows: number): void {
  db.transaction(() => {
    for (let id = from; id < from + rows; id++) db.insert('t', { id, note: 'x'.repeat(200) });
  });
}

/** What a kill now would leave: the transactions the next open replays. */
function replayedAfterKill(file: string): number {
  const copy = tmp.file();
  fs.copyFileSync(file, copy);
  const db = Database.open(copy, { readOnly: true });
  try {
    return db.storage.recoveryReport.replayedTransactions;
  } finally {
    db.close();
  }
}

describe('checkpointIdleMs', () => {
  test('an idle writer checkpoints: a kill then leaves nothing to replay', async () => {
    const { db, file } = writer({ checkpointIdleMs: 50 });
    try {
      write(db, 0, 1000);
      write(db, 1000, 1000);
      // registerCollection's transaction and the two writes.
      expect(replayedAfterKill(file)).toBe(3);
      await sleep(300);
      expect(db.storage.logBytesSinceCheckpoint).toBe(0);
      expect(replayedAfterKill(file)).toBe(0);
    } finally {
      db.close();
    }
  });

  test('not while a transaction is open, nor below 64 KiB of log, nor when disabled', async () => {
    const small = writer({ checkpointIdleMs: 50 });
    const off = writer({ checkpointIdleMs: 0 });
    try {
      write(small.db, 0, 10);
      write(off.db, 0, 1000);
      await sleep(300);
      expect(replayedAfterKill(small.file)).toBe(2);
      expect(replayedAfterKill(off.file)).toBe(2);

      // The timer fires inside an open transaction: it waits for that transaction's commit.
      write(small.db, 10, 1000);
      small.db.begin();
      small.db.insert('t', { id: 5000, note: 'open' });
      await sleep(300);
      expect(replayedAfterKill(small.file)).toBe(3);
      small.db.commit();
      await sleep(300);
      expect(replayedAfterKill(small.file)).toBe(0);
    } finally {
      small.db.close();
      off.db.close();
    }
  });

  test('commits keep pushing it back', async () => {
    const { db, file } = writer({ checkpointIdleMs: 1000 });
    try {
      for (let i = 0; i < 5; i++) {
        write(db, i * 1000, 500);
        await sleep(20);
      }
      expect(replayedAfterKill(file)).toBe(6);
    } finally {
      db.close();
    }
    expect(replayedAfterKill(file)).toBe(0);
  });

  test('the option is checked like the others', () => {
    expect(() => Database.open(tmp.file(), { checkpointIdleMs: -1 } as OpenOptions)).toThrow(
      /checkpointIdleMs/,
    );
  });
});
