/**
 * Live read-only readers: another process appends (and compacts); a read-only handle sees each
 * newly committed transaction on its next statement, never a partial one, and survives the
 * writer's compactions (it re-attaches to the replaced file). Read-only handles never write.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Database, connect } from '../../src/index';
import { livePolicy } from '../../storage/engine-types';
import { tmpDir } from '../helpers/tmp';

const CHILD = path.join(__dirname, '..', 'helpers', 'child-writer.js');

describe('live readers', () => {
  const tmp = tmpDir();
  afterAll(() => tmp.cleanup());

  test('see every commit of a writer process, whole transactions only, across compactions', async () => {
    const file = tmp.file();
    const writer = spawn(process.execPath, [CHILD, 'live', file], { stdio: ['ignore', 'pipe', 'inherit'] });
    let acknowledged = 0;
    writer.stdout.on('data', (c: Buffer) => {
      for (const line of c.toString().split('\n'))
        if (line.startsWith('C ')) acknowledged = Math.max(acknowledged, Number(line.slice(2)));
    });
    try {
      while (acknowledged < 1) await new Promise((r) => setTimeout(r, 10));
      const reader = Database.open(file, { readOnly: true });
      const conn = connect(file, { readOnly: true });
      let last = 0;
      let sawCompaction = false;
      const inode = fs.statSync(file).ino;
      // At least 2.5 s of reads, and on a loaded machine as long as it takes (up to 20 s) to see
      // 50 batches and a compaction: the writer's pace is not what this test is about.
      const until = Date.now() + 2500;
      const giveUp = Date.now() + 20_000;
      while (Date.now() < until || ((last <= 50 || !sawCompaction) && Date.now() < giveUp)) {
        const seenBefore = acknowledged;
        const count = reader.collection('items').count();
        expect(count % 10).toBe(0); // never a partial transaction
        expect(count).toBeGreaterThanOrEqual(last); // never goes back
        expect(count / 10).toBeGreaterThanOrEqual(seenBefore); // everything acknowledged before the statement
        last = count;
        const [n] = conn.execute('SELECT COUNT(*) FROM items').fetchOne() as number[];
        expect(n % 10).toBe(0);
        if (fs.statSync(file).ino !== inode) sawCompaction = true;
        await new Promise((r) => setTimeout(r, 15));
      }
      expect(last).toBeGreaterThan(50);
      expect(sawCompaction).toBe(true);
      reader.close();
      conn.close();
    } finally {
      writer.kill('SIGKILL');
    }
  }, 30_000);

  test.each([
    ['a file with one link', false],
    ['a file with another hard link', true],
  ])('notice a file renamed over theirs by hand at the next identity check (%s)', async (_name, hardLink) => {
    const make = (file: string, rows: number): void => {
      const db = Database.open(file);
      db.registerCollection('items', [{ path: 'id', type: 'int64' }], 'id');
      db.transaction(() => {
        for (let id = 0; id < rows; id++) db.insert('items', { id });
      });
      db.close();
    };
    const file = tmp.file();
    make(file, 3);
    if (hardLink) fs.linkSync(file, `${file}.link`);
    const reader = Database.open(file, { readOnly: true });
    const interval = livePolicy.identityCheckMs;
    try {
      livePolicy.identityCheckMs = 20;
      expect(reader.collection('items').count()).toBe(3);
      const replacement = tmp.file();
      make(replacement, 7);
      // A rename without the MOVED frame this library's renames append first (live-reader-look.test.ts).
      fs.renameSync(replacement, file);
      await new Promise((r) => setTimeout(r, 30));
      expect(reader.collection('items').count()).toBe(7);
    } finally {
      livePolicy.identityCheckMs = interval;
      reader.close();
    }
  });
});
