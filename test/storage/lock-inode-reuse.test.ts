/**
 * Inode numbers are reused: once a database file is deleted and its last descriptor closed, the
 * next file created often gets the same number (ext4 does so at once). A live writer whose
 * identity lock outlived its file (its folder left behind, the file deleted under it) must not
 * lock out the new, unrelated file: the identity lock is keyed by birth time as well as device and
 * inode (storage/lock.ts identityLockDir). Simulated here by placing a live writer's identity
 * lock folder at the new file's inode, under the old `<dev>-<ino>` name and under the new file's
 * inode with another birth time.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Database } from '../../src/index';
import { identityLockDir, identityLockRoot } from '../../storage/lock';
import { LOCK_CHILD, startChild } from '../helpers/children';
import { tmpDir } from '../helpers/tmp';

test("a live writer's identity lock on an earlier file with the same inode does not lock out a new file", async () => {
  const tmp = tmpDir();
  const held = tmp.file();
  const holder = startChild(LOCK_CHILD, ['hold', held]);
  const planted: string[] = [];
  try {
    await holder.waitFor('ready');
    const a = fs.statSync(held);
    const live = identityLockDir({ dev: a.dev, ino: a.ino, birthMs: a.birthtimeMs });
    expect(fs.existsSync(live)).toBe(true);
    const fresh = tmp.file();
    fs.writeFileSync(fresh, ''); // an empty file opens as a new database
    const b = fs.statSync(fresh);
    for (const dir of [
      path.join(identityLockRoot(), `${b.dev}-${b.ino}`),
      identityLockDir({ dev: b.dev, ino: b.ino, birthMs: a.birthtimeMs }),
    ]) {
      fs.cpSync(live, dir, { recursive: true });
      planted.push(dir);
    }
    const db = Database.open(fresh);
    db.registerCollection('t', [{ path: 'id', type: 'int64' }], 'id');
    db.insert('t', { id: 1 });
    expect(db.get('t', 1)).toEqual({ id: 1 });
    db.close();
    // The writer that holds the first file still does: a second writer on it is refused.
    expect(() => Database.open(held)).toThrow(/locked/);
  } finally {
    for (const dir of planted) fs.rmSync(dir, { recursive: true, force: true });
    await holder.kill();
    tmp.cleanup();
  }
}, 60_000);
