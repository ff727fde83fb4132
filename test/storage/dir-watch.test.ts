/**
 * DirWatch (storage/dir-watch.ts): a directory reported unchanged only after a full check passed
 * with a settled ctime, and never once an entry in it came, went or moved, or it moved or went
 * itself. The writer lock and the database file's name check rest on it (lock-dir.test.ts and
 * own-place.test.ts break each of those with the watches settled).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DirWatch, dirWatchPolicy } from '../../storage/dir-watch';
import { sleepMs, useSettleMs } from '../helpers/dir-watch';
import { tmpDir } from '../helpers/tmp';

const linux = process.platform === 'linux';

/** A watch on `dir` trusted the way a passing full check makes it: read, wait out the settling, read and confirm. */
function trusted(dir: string): DirWatch {
  const watch = DirWatch.open(dir);
  expect(watch.unchanged()).toBe(false);
  watch.confirm();
  sleepMs(dirWatchPolicy.settleMs * 2);
  expect(watch.unchanged()).toBe(false);
  watch.confirm();
  return watch;
}

(linux ? describe : describe.skip)('DirWatch', () => {
  const tmp = tmpDir('mv-dirwatch-');
  const settle = 40;
  useSettleMs(settle);
  afterAll(() => tmp.cleanup());
  let n = 0;
  const fresh = (): string => {
    const dir = path.join(tmp.dir, `d${n++}`);
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'a'), 'a');
    return dir;
  };

  test('unchanged only after a full check confirmed a settled ctime, and then without a new check', () => {
    const dir = fresh();
    const watch = DirWatch.open(dir);
    // Nothing confirmed yet.
    expect(watch.unchanged()).toBe(false);
    // Confirmed at once after the directory changed: not settled, not trusted.
    watch.confirm();
    expect(watch.unchanged()).toBe(false);
    sleepMs(settle * 2 + 40);
    expect(watch.unchanged()).toBe(false);
    watch.confirm();
    expect(watch.spared).toBe(0);
    for (let i = 0; i < 5; i++) expect(watch.unchanged()).toBe(true);
    expect(watch.spared).toBe(5);
    watch.close();
    // A closed watch trusts nothing.
    expect(watch.unchanged()).toBe(false);
  });

  test.each([
    ['an entry created', (dir: string) => fs.writeFileSync(path.join(dir, 'b'), 'b')],
    ['an entry removed', (dir: string) => fs.unlinkSync(path.join(dir, 'a'))],
    ['an entry renamed', (dir: string) => fs.renameSync(path.join(dir, 'a'), path.join(dir, 'c'))],
    ['an entry hard-linked', (dir: string) => fs.linkSync(path.join(dir, 'a'), path.join(dir, 'd'))],
    ['the directory renamed away', (dir: string) => fs.renameSync(dir, `${dir}-moved`)],
    ['the directory removed', (dir: string) => fs.rmSync(dir, { recursive: true })],
    [
      'the directory removed and made again',
      (dir: string) => {
        fs.rmSync(dir, { recursive: true });
        fs.mkdirSync(dir);
        fs.writeFileSync(path.join(dir, 'a'), 'a');
      },
    ],
    ["the directory's times set", (dir: string) => fs.utimesSync(dir, new Date(0), new Date(0))],
  ])('%s: changed at once, and again until a full check confirms it settled', (_what, change) => {
    const dir = fresh();
    const watch = trusted(dir);
    expect(watch.unchanged()).toBe(true);
    change(dir);
    expect(watch.unchanged()).toBe(false);
    expect(watch.unchanged()).toBe(false);
    watch.close();
  });

  test('a change right after a trusted read is seen (no tick shared with the settled ctime)', () => {
    const dir = fresh();
    const watch = trusted(dir);
    for (let i = 0; i < 50; i++) {
      expect(watch.unchanged()).toBe(true);
      fs.writeFileSync(path.join(dir, `x${i}`), '');
      expect(watch.unchanged()).toBe(false);
      sleepMs(settle + 5);
      expect(watch.unchanged()).toBe(false);
      watch.confirm();
    }
    watch.close();
  });

  test('an empty directory removed (its link count 0)', () => {
    const dir = fresh();
    fs.unlinkSync(path.join(dir, 'a'));
    const watch = trusted(dir);
    expect(watch.unchanged()).toBe(true);
    fs.rmdirSync(dir);
    expect(watch.unchanged()).toBe(false);
    watch.close();
  });

  test('a file system not known to keep directory ctimes (procfs) is never trusted', () => {
    const watch = DirWatch.open('/proc/self');
    watch.confirm();
    sleepMs(settle * 2);
    expect(watch.unchanged()).toBe(false);
    watch.confirm();
    expect(watch.unchanged()).toBe(false);
    expect(watch.spared).toBe(0);
    watch.close();
  });

  test('a directory that cannot be opened gives a watch that never trusts', () => {
    const watch = DirWatch.open(path.join(tmp.dir, 'missing'));
    watch.confirm();
    expect(watch.unchanged()).toBe(false);
    watch.close();
  });
});
