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

describe('writer lock hardening', () => {
  const tmp = tmpDir();
  afterAll(() => tmp.cleanup());

  test("a SIGKILLed writer's lock is taken over after the stale period", async () => {
    const file = tmp.file();
    const holder = spawn(process.execPath, [CHILD, 'hold5', file], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()));
    holder.kill('SIGKILL');
    await new Promise((r) => holder.once('exit', r));
    const killedAt = Date.now();
    const early = spawnSync(process.execPath, [CHILD, 'take', file], { encoding: 'utf8' });
    expect(early.stdout.trim()).toBe('LockError LOCKED');
    // Poll: the takeover must happen once the stale period (5 s) has passed, not before, and soon after.
    let tookAfter = -1;
    while (Date.now() - killedAt < 15_000) {
      await new Promise((r) => setTimeout(r, 500));
      const attempt = spawnSync(process.execPath, [CHILD, 'take', file], { encoding: 'utf8' });
      if (attempt.stdout.trim() === 'took') {
        tookAfter = Date.now() - killedAt;
        break;
      }
      expect(attempt.stdout.trim()).toBe('LockError LOCKED');
    }
    expect(tookAfter).toBeGreaterThanOrEqual(4500);
    expect(tookAfter).toBeLessThan(15_000);
  }, 40_000);

  test('a writer whose event loop was blocked past the stale period refuses to commit; the taker wins', async () => {
    const file = tmp.file();
    const staller = spawn(process.execPath, [CHILD, 'stall', file, '7000'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    staller.stdout.on('data', (c: Buffer) => (out += c.toString()));
    await new Promise<void>((resolve) => staller.stdout.once('data', () => resolve()));
    // While the staller is blocked, its lock goes stale and another process takes it over.
    const exited = new Promise((r) => staller.once('exit', r));
    await new Promise((r) => setTimeout(r, 5200));
    let took = false;
    for (let i = 0; i < 20 && !took; i++) {
      took =
        spawnSync(process.execPath, [CHILD, 'take', file], { encoding: 'utf8' }).stdout.trim() === 'took';
      if (!took) await new Promise((r) => setTimeout(r, 400));
    }
    expect(took).toBe(true);
    await exited;
    expect(out).toContain('LockError LOCKED');
    expect(out).not.toContain('committed');
    const db = Database.open(file, { readOnly: true });
    expect(db.get('items', 1)).toBeNull();
    expect(db.get('items', 2)).not.toBeNull();
    db.close();
  }, 30_000);
});
