/**
 * The writer lock across processes (docs/operations.md "Locking model"): one writer per file, a
 * dead writer's lock recovered at once, a busy writer never displaced, a displaced writer never
 * writing, one lock whatever path names the file. Real child processes throughout.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Database, LockError, OperationalError, connect } from '../../src/index';
import { tmpDir } from '../helpers/tmp';
import { thrown } from '../helpers/thrown';
import { CHILD_WRITER, LOCK_CHILD, runChild, sleep, startChild } from '../helpers/children';
import { identityLockDir, lockPolicy } from '../../storage/lock';

function count(file: string): number {
  const db = Database.open(file, { readOnly: true });
  try {
    return db.collection('items').count();
  } finally {
    db.close();
  }
}

describe('one writer per file', () => {
  const tmp = tmpDir();
  afterAll(() => tmp.cleanup());

  test('a second writer process is refused at once while the first holds the file; readers are not', async () => {
    const file = tmp.file();
    const holder = startChild(LOCK_CHILD, ['hold', file]);
    await holder.waitFor('ready');
    try {
      const started = Date.now();
      let caught: unknown = null;
      try {
        Database.open(file);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(LockError);
      expect((caught as LockError).code).toBe('LOCKED');
      expect((caught as Error).message).toMatch(/locked by another writer \(pid \d+\)/);
      expect(Date.now() - started).toBeLessThan(2000);
      const reader = Database.open(file, { readOnly: true });
      expect(reader.collectionNames()).toEqual(['items']);
      reader.close();
    } finally {
      await holder.kill();
    }
  });

  test('close() frees the lock for the next process', async () => {
    const file = tmp.file();
    const db = Database.open(file);
    expect(runChild(CHILD_WRITER, ['try', file])).toBe('LockError LOCKED');
    db.close();
    expect(runChild(CHILD_WRITER, ['try', file])).toBe('opened');
  });

  test("a SIGKILLed writer's lock is taken over at once: its process is gone", async () => {
    const file = tmp.file();
    const holder = startChild(LOCK_CHILD, ['hold', file]);
    await holder.waitFor('ready');
    expect(runChild(CHILD_WRITER, ['take', file])).toBe('LockError LOCKED');
    await holder.kill();
    const taker = spawnSync(process.execPath, [CHILD_WRITER, 'take', file], { encoding: 'utf8' });
    expect(taker.stdout.trim()).toBe('took');
    // The child times its own open (process start-up excluded): no 5 s stale period was waited out.
    const waited = Number(/open took (\d+) ms/.exec(taker.stderr)?.[1]);
    expect(waited).toBeLessThan(2500);
  });

  test('busyTimeoutMs waits for the holder to finish; 0 refuses at once; a short wait times out', async () => {
    const file = tmp.file();
    const holder = startChild(LOCK_CHILD, ['hold', file]);
    await holder.waitFor('ready');
    const t0 = Date.now();
    expect(() => Database.open(file, { busyTimeoutMs: 300 })).toThrow(LockError);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    expect(() => connect(file, { busyTimeoutMs: 0 })).toThrow(LockError);
    // Release the holder while a waiter with a long timeout is polling (the waiter blocks this
    // thread, so the release is scheduled in the child itself).
    holder.send('close');
    await holder.waitFor('closed');
    const db = Database.open(file, { busyTimeoutMs: 5000 });
    expect(db.collectionNames()).toEqual(['items']);
    db.close();
    await holder.exited;
  });

  test('a folder that does not exist is an I/O error naming the cause, not LOCKED', () => {
    const missing = path.join(tmp.dir, 'no-such-folder', 'db.modelvault');
    for (const open of [
      () => Database.open(missing),
      () => connect(missing),
      () => Database.open(missing, { readOnly: true }),
    ]) {
      const caught = thrown(open, OperationalError, 'IO');
      expect(caught).not.toBeInstanceOf(LockError);
      expect(caught.message).toMatch(/ENOENT/);
    }
  });
});

describe('a writer keeps its lock entries fresh for temp-folder cleaners', () => {
  const tmp = tmpDir();
  const refreshMs = lockPolicy.refreshMs;
  afterAll(() => {
    lockPolicy.refreshMs = refreshMs;
    tmp.cleanup();
  });

  test('a write after the refresh period touches both held entries and their folders', () => {
    const file = tmp.file();
    const db = Database.open(file);
    try {
      db.registerCollection('t', [{ path: 'id', type: 'int64' }], 'id');
      const st = fs.statSync(file);
      const idDir = identityLockDir({ dev: st.dev, ino: st.ino, birthMs: st.birthtimeMs });
      const top = (dir: string) =>
        path.join(
          dir,
          fs
            .readdirSync(dir)
            .filter((n) => /^\d+$/.test(n))
            .sort()
            .pop() as string,
        );
      const watched = [top(`${file}.lock`), `${file}.lock`, top(idDir), idDir];
      // As a cleaner sees them after weeks of holding.
      const old = new Date('2001-01-01T00:00:00Z');
      for (const p of watched) fs.utimesSync(p, old, old);
      lockPolicy.refreshMs = 60 * 60 * 1000;
      db.insert('t', { id: 1 });
      expect(watched.map((p) => fs.statSync(p).mtimeMs)).toEqual(watched.map(() => old.getTime()));
      lockPolicy.refreshMs = 0;
      db.insert('t', { id: 2 });
      for (const p of watched) expect(fs.statSync(p).mtimeMs).toBeGreaterThan(Date.now() - 60_000);
      // Touching changed nothing the lock depends on.
      db.insert('t', { id: 3 });
      expect(db.collection('t').count()).toBe(3);
    } finally {
      db.close();
    }
  });

  test('a writer that stays idle refreshes them too', async () => {
    // The idle refresh runs at most once a second, whatever the period.
    lockPolicy.refreshMs = 0;
    const file = tmp.file();
    const db = Database.open(file);
    try {
      const entries = () => fs.readdirSync(`${file}.lock`).filter((n) => /^\d+$/.test(n));
      const entry = path.join(`${file}.lock`, entries().sort().pop() as string);
      const old = new Date('2001-01-01T00:00:00Z');
      fs.utimesSync(entry, old, old);
      await sleep(1_500);
      expect(fs.statSync(entry).mtimeMs).toBeGreaterThan(Date.now() - 60_000);
    } finally {
      db.close();
      lockPolicy.refreshMs = refreshMs;
    }
  });
});

describe('a busy writer keeps its lock (a long transaction commits)', () => {
  // /tmp is ext4 here (its inodes are reused at once after rmdir+mkdir, which defeated the old
  // stall check); /dev/shm is tmpfs.
  const roots = [tmpDir('mv-lock-ext4-')];
  if (fs.existsSync('/dev/shm')) {
    const dir = fs.mkdtempSync('/dev/shm/mv-lock-tmpfs-');
    roots.push({
      dir,
      file: (name?: string) => path.join(dir, name ?? 'stall.modelvault'),
      cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
    });
  }
  afterAll(() => roots.forEach((r) => r.cleanup()));

  test.each(roots.map((r, i) => [i === 0 ? 'ext4' : 'tmpfs', r] as const))(
    'on %s: a 7.5 s stall past lockStaleMs (5 s) keeps the lock; commit, checkpoint, compact and close all succeed; others stay locked out',
    async (_fs, root) => {
      const file = root.file();
      const staller = startChild(LOCK_CHILD, ['stall', file, '7500', '50']);
      await staller.waitFor('ready');
      const ready = Date.now();
      // Keep trying to take the lock during the stall and after the stale time: always refused.
      // Each try is a fresh process (a second or more on a loaded machine): what must happen is a
      // refusal of a try that started past lockStaleMs while the stall went on.
      const attempts: { at: number; outcome: string }[] = [];
      while (Date.now() < ready + 7000 && !staller.output().includes('close ')) {
        const at = Date.now() - ready;
        attempts.push({ at, outcome: runChild(CHILD_WRITER, ['take', file]) });
        await sleep(200);
      }
      await staller.exited;
      expect(attempts.length).toBeGreaterThanOrEqual(3);
      expect(attempts.some((a) => a.at >= 5000 && a.at < 7500 && a.outcome === 'LockError LOCKED')).toBe(
        true,
      );
      expect(attempts.every((a) => a.outcome === 'LockError LOCKED' || a.outcome === 'took')).toBe(true);
      // 'took' is only possible after the staller closed.
      const out = staller.output();
      expect(out).toContain('commit ok');
      expect(out).toContain('checkpoint ok');
      expect(out).toContain('compact ok');
      expect(out).toContain('after ok');
      expect(out).toContain('close ok');
      const db = Database.open(file, { readOnly: true, recovery: 'strict' });
      expect(db.get('items', 100000)).not.toBeNull();
      expect(db.get('items', 100001)).not.toBeNull();
      for (let i = 1; i <= 50; i++) expect(db.get('items', i)).not.toBeNull();
      db.close();
    },
    40_000,
  );
});

describe('a displaced writer stops writing and never truncates', () => {
  const tmp = tmpDir();
  afterAll(() => tmp.cleanup());

  test('after its lock is removed and another process took the file, commit/checkpoint/compact refuse and close leaves the new owner intact', async () => {
    const file = tmp.file();
    const first = startChild(LOCK_CHILD, ['displaced', file]);
    await first.waitFor('ready');
    // An operator (wrongly) deletes the lock; a second writer then opens the file and commits.
    fs.rmSync(`${file}.lock`, { recursive: true, force: true });
    const st = fs.statSync(file);
    fs.rmSync(identityLockDir({ dev: st.dev, ino: st.ino, birthMs: st.birthtimeMs }), {
      recursive: true,
      force: true,
    });
    const second = Database.open(file);
    for (let i = 100; i < 200; i++) second.insert('items', { id: i, txn: 2, note: 'second owner' });
    first.send('go');
    await first.exited;
    const out = first.output();
    expect(out).toContain('commit LockError LOCK_LOST');
    expect(out).toContain('checkpoint LockError LOCK_LOST');
    expect(out).toContain('compact LockError LOCK_LOST');
    expect(out).toContain('close ok');
    // The second owner still holds the file and keeps committing; nothing of its work was lost.
    second.insert('items', { id: 200, txn: 2, note: 'still mine' });
    second.close();
    const db = Database.open(file, { readOnly: true, recovery: 'strict' });
    for (let i = 1; i <= 5; i++) expect(db.get('items', i)).not.toBeNull();
    expect(db.get('items', 6)).toBeNull();
    for (let i = 100; i <= 200; i++) expect(db.get('items', i)).not.toBeNull();
    db.close();
    expect(fs.readdirSync(tmp.dir).filter((n) => n.includes('.compact-'))).toEqual([]);
  });
});

describe('one lock per file, whatever path names it', () => {
  const tmp = tmpDir();
  afterAll(() => tmp.cleanup());

  test('symlink, hard link, relative and .. spellings are all locked out by a writer in another process', async () => {
    const file = tmp.file('real.modelvault');
    const holder = startChild(LOCK_CHILD, ['hold', file]);
    await holder.waitFor('ready');
    try {
      const sym = path.join(tmp.dir, 'sym.modelvault');
      const hard = path.join(tmp.dir, 'hard.modelvault');
      fs.symlinkSync(file, sym);
      fs.linkSync(file, hard);
      fs.mkdirSync(path.join(tmp.dir, 'sub'));
      const dotdot = path.join(tmp.dir, 'sub', '..', 'real.modelvault');
      const relative = path.relative(process.cwd(), file);
      for (const p of [sym, hard, dotdot, relative]) {
        let caught: unknown = null;
        try {
          Database.open(p);
        } catch (err) {
          caught = err;
        }
        expect({ path: p, error: caught instanceof LockError && caught.code }).toEqual({
          path: p,
          error: 'LOCKED',
        });
      }
    } finally {
      await holder.kill();
    }
  });

  test('a writer through a hard link locks out the original path in another process', async () => {
    const file = tmp.file('orig.modelvault');
    Database.open(file).close();
    const hard = path.join(tmp.dir, 'orig-link.modelvault');
    fs.linkSync(file, hard);
    const holder = startChild(LOCK_CHILD, ['hold', hard]);
    await holder.waitFor('ready');
    try {
      expect(runChild(CHILD_WRITER, ['try', file])).toBe('LockError LOCKED');
    } finally {
      await holder.kill();
    }
  });

  test('in one process, every name of the file shares one engine (no second writer, no lost commits)', () => {
    const file = tmp.file('shared.modelvault');
    const a = Database.open(file);
    a.registerCollection('items', [{ path: 'id', type: 'int64' }], 'id');
    const hard = path.join(tmp.dir, 'shared-hard.modelvault');
    const sym = path.join(tmp.dir, 'shared-sym.modelvault');
    fs.linkSync(file, hard);
    fs.symlinkSync(file, sym);
    const b = Database.open(hard);
    const c = Database.open(sym);
    const d = Database.open(path.join(tmp.dir, '.', 'x', '..', 'shared.modelvault').replace('/x/..', ''));
    for (let i = 0; i < 40; i++) [a, b, c, d][i % 4].insert('items', { id: i });
    expect(b.collection('items').count()).toBe(40);
    for (const h of [a, b, c, d]) h.close();
    const check = Database.open(file, { readOnly: true, recovery: 'strict' });
    expect(check.collection('items').count()).toBe(40);
    check.close();
  });

  test('compact() through a symlink compacts the real file and keeps the symlink', () => {
    const file = tmp.file('target.modelvault');
    const sym = path.join(tmp.dir, 'link-to-target.modelvault');
    fs.symlinkSync(file, sym);
    const db = Database.open(sym);
    db.registerCollection(
      'items',
      [
        { path: 'id', type: 'int64' },
        { path: 'v', type: 'string' },
      ],
      'id',
    );
    for (let i = 0; i < 200; i++) db.insert('items', { id: i % 20, v: `v${i}` });
    const before = fs.statSync(file).size;
    db.compact();
    db.insert('items', { id: 99, v: 'after compaction' });
    db.close();
    expect(fs.lstatSync(sym).isSymbolicLink()).toBe(true);
    expect(fs.statSync(file).size).toBeLessThan(before);
    const check = Database.open(file, { readOnly: true, recovery: 'strict' });
    expect(check.collection('items').count()).toBe(21);
    check.close();
  });
});

describe('leftovers of killed compactions', () => {
  const tmp = tmpDir();
  afterAll(() => tmp.cleanup());

  test("the next writer removes a dead process's temp files and keeps a live process's", async () => {
    const file = tmp.file('left.modelvault');
    Database.open(file).close();
    // A pid that surely ran and is gone now: a child that exited.
    const gone = startChild(LOCK_CHILD, ['no-such-mode', file]);
    const deadPid = gone.proc.pid as number;
    await gone.exited;
    const live = startChild(LOCK_CHILD, ['hold', tmp.file('other.modelvault')]);
    await live.waitFor('ready');
    try {
      const livePid = live.proc.pid as number;
      fs.writeFileSync(`${file}.compact-${deadPid}.tmp`, Buffer.alloc(4096, 1));
      fs.mkdirSync(`${file}.compact-${deadPid}.tmp.lock`);
      fs.writeFileSync(`${file}.restore-${deadPid}.tmp`, 'x');
      fs.writeFileSync(`${file}.compact-${livePid}.tmp`, 'in progress');
      // Lock folders renamed away at a close that was killed before deleting them.
      fs.mkdirSync(`${file}.lock.retired-${deadPid}-0123abcd`);
      fs.writeFileSync(`${file}.lock.retired-${deadPid}-0123abcd/000000000007`, '{}');
      fs.mkdirSync(`${file}.lock.retired-${livePid}-4567ef`);
      const db = Database.open(file);
      db.close();
      expect(fs.existsSync(`${file}.lock.retired-${deadPid}-0123abcd`)).toBe(false);
      expect(fs.existsSync(`${file}.lock.retired-${livePid}-4567ef`)).toBe(true);
      expect(fs.existsSync(`${file}.compact-${deadPid}.tmp`)).toBe(false);
      expect(fs.existsSync(`${file}.compact-${deadPid}.tmp.lock`)).toBe(false);
      expect(fs.existsSync(`${file}.restore-${deadPid}.tmp`)).toBe(false);
      expect(fs.existsSync(`${file}.compact-${livePid}.tmp`)).toBe(true);
    } finally {
      await live.kill();
    }
  });

  test('SIGKILL during compaction, 8 times: the next writer leaves no temp file behind and no commit is lost', async () => {
    const file = tmp.file('killed.modelvault');
    let acknowledged = 0;
    for (let round = 0; round < 8; round++) {
      const child = startChild(CHILD_WRITER, ['compact', file]);
      await child.waitFor(`C ${acknowledged + 2}`);
      await sleep(5 + ((round * 37) % 60));
      await child.kill();
      const batches = child
        .output()
        .split('\n')
        .filter((l) => l.startsWith('C '))
        .map((l) => Number(l.slice(2)));
      acknowledged = Math.max(acknowledged, ...batches);
      const db = Database.open(file);
      for (let b = 1; b <= acknowledged; b++) expect(db.get('items', b * 20 + 1)).not.toBeNull();
      db.close();
      expect(fs.readdirSync(tmp.dir).filter((n) => n.startsWith('killed.modelvault.compact-'))).toEqual([]);
    }
    expect(count(file)).toBeGreaterThan(0);
  }, 60_000);
});
