/**
 * The numbered-entry lock protocol (storage/lock-dir.ts) in one process, with owners forged to be
 * alive or dead: who may take a lock, and what a holder that was displaced does.
 */
import * as fs from 'node:fs';
import fsModule from 'node:fs';
import * as path from 'node:path';
import { LockDir, newOwner } from '../../storage/lock-dir';
import type { LockOwner } from '../../storage/lock-dir';
import { currentProcess } from '../../storage/process-identity';
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
});
