/**
 * A writer checks, before every change to its file, that the file is still its own
 * (FileStore.checkOwnPlace): still the file at its path, the length it left, zeros where it is
 * about to append. These tests break each condition behind a writer's back — without touching
 * its lock, which the lock tests cover — and expect the next commit to stop with LOCK_LOST and
 * nothing of the intruder's file overwritten. Both ways of checking run: through
 * /proc/self/fd (Linux, no stat of the file: see FileStore.fdLink) and through stat.
 */
import * as fs from 'node:fs';
import { Database, LockError } from '../../src/index';
import type { FileStore } from '../../storage/file-store';
import { dirWatchPolicy } from '../../storage/dir-watch';
import type { DirWatch } from '../../storage/dir-watch';
import { sleepMs, useSettleMs } from '../helpers/dir-watch';
import { tmpDir } from '../helpers/tmp';

const FIELDS = [
  { path: 'id', type: 'int64' as const },
  { path: 'note', type: 'string' as const },
];

type Mode = 'link' | 'stat' | 'settled';

function storeOf(db: Database): FileStore {
  return (db as unknown as { engine: { store: FileStore } }).engine.store;
}

function open(file: string, mode: Mode): Database {
  const db = Database.open(file);
  db.registerCollection('items', FIELDS, 'id');
  db.insert('items', { id: 1, note: 'first' });
  if (mode === 'stat') {
    // The portable way: what platforms without /proc use.
    (storeOf(db) as unknown as { fdLink: string | null }).fdLink = null;
  }
  if (mode === 'settled') {
    // Long enough after the folder last changed that its watch answers the name check.
    sleepMs(dirWatchPolicy.settleMs * 2);
    db.delete('items', 1);
    db.insert('items', { id: 1, note: 'first' });
    const watch = (storeOf(db) as unknown as { nameWatch: DirWatch }).nameWatch;
    if (watch.spared === 0) {
      db.close();
      throw new Error('the folder watch never answered the name check');
    }
  }
  return db;
}

function expectLost(db: Database, reason: RegExp): void {
  let err: unknown = null;
  try {
    db.insert('items', { id: 2, note: 'second' });
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(LockError);
  expect((err as LockError).code).toBe('LOCK_LOST');
  expect((err as Error).message).toMatch(reason);
  db.close();
}

describe.each<[string, Mode]>([
  ['through /proc/self/fd', 'link'],
  ['through stat', 'stat'],
  // Linux: while its folder is unchanged, the name check is one fstat of the folder (dir-watch.ts).
  ...(process.platform === 'linux'
    ? [['through /proc/self/fd, its folder watched', 'settled'] as [string, Mode]]
    : []),
])('a writer notices its file changed under it (%s)', (_name, mode) => {
  const tmp = tmpDir();
  useSettleMs(30);
  afterAll(() => tmp.cleanup());

  if (mode === 'link' && process.platform === 'linux') {
    test('the link check is the one in use on Linux', () => {
      const db = Database.open(tmp.file());
      const store = (db as unknown as { engine: { store: FileStore } }).engine.store;
      expect((store as unknown as { fdLink: string | null }).fdLink).toBe(fs.realpathSync(store.path));
      db.close();
    });
  }

  test('another file renamed over its path', () => {
    const file = tmp.file();
    const db = open(file, mode);
    const other = `${file}.other`;
    fs.writeFileSync(other, 'not a database');
    fs.renameSync(other, file);
    expectLost(db, /another file now sits at/);
    expect(fs.readFileSync(file, 'utf8')).toBe('not a database');
  });

  test('its file removed', () => {
    const file = tmp.file();
    const db = open(file, mode);
    fs.unlinkSync(file);
    expectLost(db, /another file now sits at|cannot be checked/);
    expect(fs.existsSync(file)).toBe(false);
  });

  test('its file renamed away', () => {
    const file = tmp.file();
    const db = open(file, mode);
    fs.renameSync(file, `${file}.moved`);
    expectLost(db, /another file now sits at|cannot be checked/);
  });

  test('bytes appended by someone else', () => {
    const file = tmp.file();
    const db = open(file, mode);
    const before = fs.statSync(file).size;
    fs.appendFileSync(file, Buffer.from('intruder'));
    expectLost(db, /length changed under this writer/);
    expect(fs.statSync(file).size).toBe(before + 8);
  });

  test('the file cut short by someone else', () => {
    const file = tmp.file();
    const db = open(file, mode);
    const before = fs.statSync(file).size;
    fs.truncateSync(file, before - 1);
    expectLost(db, /length changed under this writer/);
  });

  test('bytes written where it was about to append', () => {
    const file = tmp.file();
    const db = open(file, mode);
    const at = (db as unknown as { engine: { durableEnd: number } }).engine.durableEnd;
    const fd = fs.openSync(file, 'r+');
    fs.writeSync(fd, Buffer.from([0xab]), 0, 1, at);
    fs.closeSync(fd);
    expectLost(db, /were written by someone else/);
    const check = Buffer.alloc(1);
    const rd = fs.openSync(file, 'r');
    fs.readSync(rd, check, 0, 1, at);
    fs.closeSync(rd);
    expect(check[0]).toBe(0xab);
  });

  test('nothing changed: commits go on', () => {
    const file = tmp.file();
    const db = open(file, mode);
    for (let i = 2; i < 50; i++) db.insert('items', { id: i, note: `n${i}` });
    expect(db.collection('items').count()).toBe(49);
    db.close();
  });
});
