/** Cross-process writer lock: a second writer process gets LockError (code LOCKED) at once. */
import { spawn, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { Database, LockError } from '../../src/index';
import { tmpDir } from '../helpers/tmp';

const CHILD = path.join(__dirname, '..', 'helpers', 'child-writer.js');

describe('writer lock', () => {
  const tmp = tmpDir();
  afterAll(() => tmp.cleanup());

  test('a second writer process is refused while the first holds the file', async () => {
    const file = tmp.file();
    const holder = spawn(process.execPath, [CHILD, 'hold', file], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()));
    try {
      let caught: unknown = null;
      const started = Date.now();
      try {
        Database.open(file);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(LockError);
      expect((caught as LockError).code).toBe('LOCKED');
      expect(Date.now() - started).toBeLessThan(2000); // refused at once, not after retries
      // Readers are never blocked by the writer.
      const reader = Database.open(file, { readOnly: true });
      expect(reader.collectionNames()).toEqual(['items']);
      reader.close();
    } finally {
      holder.kill('SIGKILL');
    }
  });

  test('a writer in this process makes another process fail with LOCKED, and release frees it', () => {
    const file = tmp.file();
    const db = Database.open(file);
    const out = spawnSync(process.execPath, [CHILD, 'try', file], { encoding: 'utf8' });
    expect(out.stdout.trim()).toBe('LockError LOCKED');
    db.close();
    const after = spawnSync(process.execPath, [CHILD, 'try', file], { encoding: 'utf8' });
    expect(after.stdout.trim()).toBe('opened');
  });
});
