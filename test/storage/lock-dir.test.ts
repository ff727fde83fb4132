/**
 * The numbered-entry lock protocol (storage/lock-dir.ts) in one process, with owners forged to be
 * alive or dead: who may take a lock, and what a holder that was displaced does.
 */
import * as fs from 'node:fs';
import fsModule from 'node:fs';
import * as path from 'node:path';
import { LockDir, newOwner } from '../../storage/lock-dir';
import type { HeldEntry, LockOwner } from '../../storage/lock-dir';
import { currentProcess } from '../../storage/process-identity';
import { sleepMs, useSettleMs } from '../helpers/dir-watch';
import { tmpDir } from '../helpers/tmp';

const entry = (gen: number): string => String(gen).padStart(12, '0');

/** An owner whose process surely does not exist (pid beyond the kernel's maximum). */
function deadOwner(): LockOwner {
  return { ...currentProcess(), pid: 4_194_305 + Math.floor(Math.random() * 1000), token: 'dead' };
}

describe('LockDir', () => {
  const tmp = tmpDir('mv-lockdir-');
  afterAll(() => tmp.cleanup());
  let n = 0;
  const dirPath = (): string => path.join(tmp.dir, `l${n++}.lock`);

  test('an empty lock is taken; a second owner is refused while the first is alive; release frees it', () => {
    const dir = dirPath();
    const a = new LockDir(dir, newOwner());
    const b = new LockDir(dir, newOwner());
    const ra = a.tryTake();
    expect(ra.taken).toBe(true);
    const rb = b.tryTake();
    expect(rb).toMatchObject({ taken: false, state: 'alive' });
    if (!ra.taken) throw new Error('unreachable');
    expect(a.holds(ra.entry)).toBe(true);
    a.release(ra.entry);
    expect(b.tryTake().taken).toBe(true);
  });

  test("a dead owner's entry is taken over with the next number and lower entries are swept", () => {
    const dir = dirPath();
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, entry(7)), JSON.stringify(deadOwner()));
    const r = new LockDir(dir, newOwner()).tryTake();
    expect(r.taken && r.entry.gen).toBe(8);
    expect(fs.readdirSync(dir).filter((f) => !f.startsWith('.'))).toEqual([entry(8)]);
  });

  test('an owner on another host is never taken over', () => {
    const dir = dirPath();
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, entry(1)), JSON.stringify({ ...deadOwner(), host: 'elsewhere.example' }));
    expect(new LockDir(dir, newOwner()).tryTake()).toMatchObject({ taken: false, state: 'foreign' });
  });

  test('an unreadable entry (a machine crash mid-write) counts as free', () => {
    const dir = dirPath();
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, entry(3)), '{"pid": 12');
    const r = new LockDir(dir, newOwner()).tryTake();
    expect(r.taken && r.entry.gen).toBe(4);
  });

  test('a holder displaced by a takeover no longer holds and releases nothing', () => {
    const dir = dirPath();
    const a = new LockDir(dir, newOwner());
    const ra = a.tryTake();
    if (!ra.taken) throw new Error('expected to take');
    // Someone judged A dead and took over with the next number.
    fs.writeFileSync(path.join(dir, entry(ra.entry.gen + 1)), JSON.stringify(newOwner()));
    expect(a.holds(ra.entry)).toBe(false);
    a.release(ra.entry);
    expect(fs.existsSync(path.join(dir, entry(ra.entry.gen + 1)))).toBe(true);
    expect(fs.existsSync(path.join(dir, entry(ra.entry.gen + 2)))).toBe(false);
  });

  test('a holder whose directory was deleted and restarted at its own number is not fooled', () => {
    const dir = dirPath();
    const a = new LockDir(dir, newOwner());
    const ra = a.tryTake();
    if (!ra.taken) throw new Error('expected to take');
    fs.rmSync(dir, { recursive: true });
    const b = new LockDir(dir, newOwner());
    const rb = b.tryTake();
    if (!rb.taken) throw new Error('expected B to take the recreated lock');
    expect(rb.entry.gen).toBe(ra.entry.gen); // same number, other file
    expect(a.holds(ra.entry)).toBe(false);
    a.release(ra.entry);
    expect(b.holds(rb.entry)).toBe(true);
  });

  test('a taker facing a live highest entry creates nothing, whatever lower entries exist', () => {
    const dir = dirPath();
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, entry(5)), JSON.stringify(newOwner()));
    const racer = new LockDir(dir, newOwner());
    fs.writeFileSync(path.join(dir, entry(2)), JSON.stringify(deadOwner()));
    expect(racer.tryTake()).toMatchObject({ taken: false, state: 'alive' });
    expect(fs.readdirSync(dir).filter((f) => !f.startsWith('.'))).toEqual([entry(2), entry(5)]);
  });

  test("temp files of processes that are gone are swept by the next taker; a live process's stay", () => {
    const dir = dirPath();
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, `.tmp-${deadOwner().pid}-abc`), 'x');
    fs.writeFileSync(path.join(dir, `.tmp-${process.pid}-live`), 'x');
    const owner = newOwner();
    expect(new LockDir(dir, owner).tryTake().taken).toBe(true);
    const left = fs.readdirSync(dir).filter((f) => f.startsWith('.tmp-'));
    // The taker's own: the free entry its release will link.
    expect(left.sort()).toEqual(
      [`.tmp-${process.pid}-${owner.token}-free`, `.tmp-${process.pid}-live`].sort(),
    );
  });

  test('release needs no new file: a lock taken with room is freed on a full disk', () => {
    const dir = dirPath();
    const owner = newOwner();
    const taken = new LockDir(dir, owner).tryTake();
    if (!taken.taken) throw new Error('not taken');
    const write = jest.spyOn(fsModule, 'writeFileSync').mockImplementation(() => {
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    });
    try {
      new LockDir(dir, owner).release(taken.entry);
    } finally {
      write.mockRestore();
    }
    // Free: another owner takes it, and nothing of the first one's is left.
    const next = new LockDir(dir, newOwner());
    const again = next.tryTake();
    expect(again.taken).toBe(true);
    expect(fs.readdirSync(dir).filter((f) => f.startsWith(`.tmp-${process.pid}-${owner.token}`))).toEqual([]);
    if (again.taken) next.release(again.entry);
  });

  test('retire removes the directory; the next owner starts a new one', () => {
    const dir = dirPath();
    const a = new LockDir(dir, newOwner());
    const ra = a.tryTake();
    if (!ra.taken) throw new Error('not taken');
    a.retire(ra.entry);
    expect(fs.existsSync(dir)).toBe(false);
    expect(fs.readdirSync(path.dirname(dir)).filter((f) => f.includes('.retired-'))).toEqual([]);
    const b = new LockDir(dir, newOwner());
    const rb = b.tryTake();
    expect(rb.taken && rb.entry.gen).toBe(1);
    if (rb.taken) b.retire(rb.entry);
  });

  test('retire where the rename is refused releases instead: the lock is free', () => {
    const dir = dirPath();
    const a = new LockDir(dir, newOwner());
    const ra = a.tryTake();
    if (!ra.taken) throw new Error('not taken');
    const rename = jest.spyOn(fsModule, 'renameSync').mockImplementation(() => {
      throw Object.assign(new Error('EPERM: operation not permitted, rename'), { code: 'EPERM' });
    });
    try {
      a.retire(ra.entry);
    } finally {
      rename.mockRestore();
    }
    expect(fs.existsSync(dir)).toBe(true);
    expect(LockDir.holder(dir)).toBeNull();
    const b = new LockDir(dir, newOwner());
    const rb = b.tryTake();
    expect(rb.taken).toBe(true);
    if (rb.taken) b.release(rb.entry);
  });

  test("a displaced holder's retire leaves the new owner's directory alone", () => {
    const dir = dirPath();
    const a = new LockDir(dir, newOwner());
    const ra = a.tryTake();
    if (!ra.taken) throw new Error('not taken');
    // An operator deletes the lock; another owner starts over in a new directory.
    fs.rmSync(dir, { recursive: true, force: true });
    const b = new LockDir(dir, newOwner());
    const rb = b.tryTake();
    if (!rb.taken) throw new Error('not taken');
    a.retire(ra.entry);
    expect(b.holds(rb.entry)).toBe(true);
    expect(LockDir.holder(dir)?.owner.token).toBe(b.owner.token);
    b.release(rb.entry);
  });

  test('a taker whose directory is retired under it starts over in the new one', () => {
    const dir = dirPath();
    const holder = new LockDir(dir, newOwner());
    const held = holder.tryTake();
    if (!held.taken) throw new Error('not taken');
    // The holder leaves a free entry behind; then, between the next taker's listing and its
    // link, the directory is replaced (retired and started anew by someone else).
    holder.release(held.entry);
    const realLink = fsModule.linkSync.bind(fsModule);
    let replaced = 0;
    const link = jest.spyOn(fsModule, 'linkSync').mockImplementation((from, to) => {
      if (replaced === 0 && String(from).includes('.tmp-')) {
        replaced++;
        fs.renameSync(dir, `${dir}.gone`);
        fs.mkdirSync(dir);
      }
      return realLink(from, to);
    });
    const taker = new LockDir(dir, newOwner());
    let taken;
    try {
      taken = taker.tryTake();
    } finally {
      link.mockRestore();
    }
    expect(replaced).toBe(1);
    // Not an entry numbered from the old directory's listing: the new directory's first.
    expect(taken.taken && taken.entry.gen).toBe(1);
    expect(fs.readdirSync(dir).filter((f) => /^\d+$/.test(f))).toEqual([entry(1)]);
    if (taken.taken) taker.release(taken.entry);
  });
});

/**
 * holds() answers from a watch on the lock directory once a full check passed with its ctime
 * settled (storage/dir-watch.ts): every way of displacing a holder must still be seen then.
 */
(process.platform === 'linux' ? describe : describe.skip)('LockDir with its directory watch settled', () => {
  const tmp = tmpDir('mv-lockdir-watch-');
  const settle = 30;
  useSettleMs(settle);
  afterAll(() => tmp.cleanup());
  let n = 0;

  /** A lock taken, and held long enough that holds() is answered by the watch. */
  function settled(): { dir: string; lock: LockDir; held: HeldEntry } {
    const dir = path.join(tmp.dir, `w${n++}.lock`);
    const lock = new LockDir(dir, newOwner());
    const taken = lock.tryTake();
    if (!taken.taken) throw new Error('expected to take');
    sleepMs(settle * 2);
    expect(lock.holds(taken.entry)).toBe(true);
    expect(lock.holds(taken.entry)).toBe(true);
    expect(taken.entry.watch.spared).toBeGreaterThan(0);
    return { dir, lock, held: taken.entry };
  }

  /** Displaced now, and still once the directory has settled again (a failed check trusts nothing). */
  function expectDisplaced(lock: LockDir, held: HeldEntry): void {
    expect(lock.holds(held)).toBe(false);
    sleepMs(settle * 2);
    expect(lock.holds(held)).toBe(false);
    expect(lock.holds(held)).toBe(false);
  }

  test('the next number created by someone who judged the holder dead', () => {
    const { dir, lock, held } = settled();
    fs.writeFileSync(path.join(dir, entry(held.gen + 1)), JSON.stringify(newOwner()));
    expectDisplaced(lock, held);
  });

  test('its entry removed', () => {
    const { lock, held } = settled();
    fs.unlinkSync(held.path);
    expectDisplaced(lock, held);
  });

  test('the directory deleted and restarted at its own number by another owner', () => {
    const { dir, lock, held } = settled();
    fs.rmSync(dir, { recursive: true });
    const other = new LockDir(dir, newOwner()).tryTake();
    expect(other.taken && other.entry.gen).toBe(held.gen);
    expectDisplaced(lock, held);
  });

  test('the directory renamed away and another started in its place', () => {
    const { dir, lock, held } = settled();
    fs.renameSync(dir, `${dir}.moved`);
    expect(lock.holds(held)).toBe(false);
    expect(new LockDir(dir, newOwner()).tryTake().taken).toBe(true);
    expectDisplaced(lock, held);
  });

  test("another process's probe (a temp file written and removed) costs a full check and no false loss", () => {
    const { dir, lock, held } = settled();
    const spared = held.watch.spared;
    expect(new LockDir(dir, newOwner()).tryTake()).toMatchObject({ taken: false, state: 'alive' });
    expect(lock.holds(held)).toBe(true);
    expect(held.watch.spared).toBe(spared);
  });

  test('release and retire close the watch', () => {
    const fdOf = (held: HeldEntry): number | null => (held.watch as unknown as { fd: number | null }).fd;
    const a = settled();
    expect(fdOf(a.held)).not.toBeNull();
    a.lock.release(a.held);
    expect(fdOf(a.held)).toBeNull();
    const b = settled();
    b.lock.retire(b.held);
    expect(fdOf(b.held)).toBeNull();
    expect(fs.existsSync(b.dir)).toBe(false);
  });
});
