/**
 * A full disk (ENOSPC) at every write the engine makes: the failure is OperationalError `FULL`,
 * a commit reported failed is never found by the next open (and every one reported done is), the
 * database stays usable, and once there is room again it goes on. The disk is simulated: a spy on
 * `fs.writeSync` lets the database file (or every file under a temporary directory) grow up to a
 * capacity, writes what fits of a write that crosses it, then fails as the kernel does
 * (test/helpers/full-disk.ts).
 */
import * as fs from 'node:fs';
// The module object itself (not the namespace copy `import *` makes): what the spy replaces.
import fsModule from 'node:fs';
import * as path from 'node:path';
import { Database, OperationalError, connect } from '../../src/index';
import { tmpDir } from '../helpers/tmp';
import { limitDisk, noSpace, theFile } from '../helpers/full-disk';
import { thrown } from '../helpers/thrown';

function expectFull(fn: () => unknown): OperationalError {
  const err = thrown(fn, OperationalError, 'FULL');
  expect(err.message).toMatch(/database or disk is full/);
  return err;
}

describe('a full disk', () => {
  const tmp = tmpDir();
  afterEach(() => jest.restoreAllMocks());
  afterAll(() => tmp.cleanup());

  test('a commit that does not fit fails FULL, leaves nothing behind, and the database goes on', () => {
    const file = tmp.file();
    const conn = connect(file);
    try {
      fillUntilFull(conn, file);
    } finally {
      conn.close();
    }
    jest.restoreAllMocks();
    const again = connect(file, { readOnly: true });
    try {
      const c = again.cursor();
      const acknowledged = lastAcknowledged;
      expect(c.execute('SELECT count(*) FROM t').fetchOne()).toEqual([acknowledged + 41]);
      expect(
        c.execute('SELECT count(*) FROM t WHERE id >= ? AND id < ?', [acknowledged, 1e6]).fetchOne(),
      ).toEqual([0]);
      expect(c.execute('SELECT id FROM t WHERE k = ?', ['small']).fetchAll()).toEqual([[1e6]]);
      expect(c.execute('PRAGMA integrity_check').fetchAll()).toEqual([['ok']]);
    } finally {
      again.close();
    }
  });

  let lastAcknowledged = 0;

  function fillUntilFull(conn: ReturnType<typeof connect>, file: string): void {
    const cur = conn.cursor();
    cur.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, k TEXT UNIQUE, v TEXT)');
    cur.execute('CREATE INDEX t_v ON t (v)');
    conn.commit();
    // Room for the reserved zeros already there and ~60 KB more.
    const capacity = limitDisk(theFile(file), { bytes: fs.statSync(file).size + 60_000, refused: 0 });
    let acknowledged = 0;
    const batch = (from: number) =>
      Array.from({ length: 40 }, (_v, i) => [from + i, `k${(from + i) * 7919}`, 'v'.repeat(200)]);
    const err = expectFull(() => {
      for (;;) {
        cur.executeMany('INSERT INTO t VALUES (?, ?, ?)', batch(acknowledged));
        conn.commit();
        acknowledged += 40;
      }
    });
    expect(err.message).toMatch(/ENOSPC/);
    // Past the 1 MiB of zeros a writer reserves, the commits that fit went on without a reservation.
    expect(acknowledged).toBeGreaterThan(1_048_576 / 300);
    expect(conn.inTransaction).toBe(false);
    expect(cur.execute('SELECT count(*), max(id) FROM t').fetchOne()).toEqual([
      acknowledged,
      acknowledged - 1,
    ]);
    // A small commit still fits in what the failed one gave back.
    cur.execute('INSERT INTO t VALUES (?, ?, ?)', [1e6, 'small', 's']);
    conn.commit();
    // Room again: writing goes on.
    capacity.bytes = Number.MAX_SAFE_INTEGER;
    cur.executeMany('INSERT INTO t VALUES (?, ?, ?)', batch(2e6));
    conn.commit();
    lastAcknowledged = acknowledged;
  }

  test('an automatic checkpoint that does not fit leaves its commit acknowledged and durable', () => {
    const file = tmp.file();
    // A checkpoint after every 20 frames, whatever the log's size.
    const db = Database.open(file, { replayLimitFrames: 20 });
    try {
      checkpointsWithoutRoom(db, file);
    } finally {
      db.close();
    }
    jest.restoreAllMocks();
    const again = Database.open(file, { readOnly: true });
    try {
      expect(again.collection('items').count()).toBe(2_016 + filled + paced);
      expect(again.get('items', 2_014)).toEqual({ id: 2_014, note: 'after' });
      expect(again.get('items', 5_000)).toEqual({ id: 5_000, note: 'still writing' });
    } finally {
      again.close();
    }
  });

  function checkpointsWithoutRoom(db: Database, file: string): void {
    db.registerCollection(
      'items',
      [
        { path: 'id', type: 'int64' },
        { path: 'note', type: 'string' },
      ],
      'id',
    );
    for (let id = 0; id < 2_000; id++) db.insert('items', { id, note: `note ${id} `.repeat(8) });
    // Fill the zeros the writer reserved past the log until ~1.5 KB are left: room for the
    // small commits below, not for a checkpoint (a directory, pages, a frame; 2.5 KB left room
    // for a light one once those stopped building column pages).
    let id = 10_000;
    for (let left = fs.statSync(file).size - db.storage.fileSize; left > 2_000;) {
      db.insert('items', { id: id++, note: 'f'.repeat(Math.min(left - 1_500, 8_000)) });
      left = fs.statSync(file).size - db.storage.fileSize;
    }
    const disk = limitDisk(theFile(file), { bytes: fs.statSync(file).size, refused: 0 });
    const before = db.storage.logBytesSinceCheckpoint;
    // 30 frames: past replayLimitFrames, so a checkpoint is due (and tried) on the way.
    for (let k = 2_000; k < 2_015; k++) db.insert('items', { id: k, note: 'after' });
    // Every insert returned: the checkpoint their frames asked for was refused, not the commits.
    expect(disk.refused).toBeGreaterThan(0);
    expect(db.storage.logBytesSinceCheckpoint).toBeGreaterThan(before);
    // The explicit one fails FULL, and cuts back what it wrote: the next commit is not refused
    // as if someone else had written past the log.
    expectFull(() => db.checkpoint());
    db.insert('items', { id: 5_000, note: 'still writing' });
    disk.bytes = Number.MAX_SAFE_INTEGER;
    db.checkpoint();
    expect(db.storage.logBytesSinceCheckpoint).toBe(0);
    // With room again, automatic checkpoints come back at their usual pace (every 20 frames).
    let dropped = false;
    for (let k = 0; k < 15 && !dropped; k++) {
      const tail = db.storage.logBytesSinceCheckpoint;
      db.insert('items', { id: 6_000 + k, note: 'paced' });
      dropped = db.storage.logBytesSinceCheckpoint < tail;
    }
    expect(dropped).toBe(true);
    filled = id - 10_000;
    paced = db.collection('items').where('note', 'paced').count();
  }

  let filled = 0;
  let paced = 0;

  test('operators spilling into a full temporary directory fail FULL and remove their files', () => {
    const conn = connect(':memory:', { sortBudgetBytes: 1 << 20 });
    // The temporary directories this test's statements make (other test files spill at the same
    // time in other processes: the shared folder's listing says nothing).
    const made: string[] = [];
    const realMkdtemp = fsModule.mkdtempSync.bind(fsModule);
    try {
      const cur = conn.cursor();
      cur.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
      cur.executeMany(
        'INSERT INTO t VALUES (?, ?)',
        Array.from({ length: 30_000 }, (_v, i) => [i, `${'v'.repeat(60)}${(i * 7919) % 30011}`]),
      );
      conn.commit();
      jest.spyOn(fsModule, 'mkdtempSync').mockImplementation(((prefix: string) => {
        const dir = realMkdtemp(prefix);
        made.push(dir);
        return dir;
      }) as unknown as typeof fs.mkdtempSync);
      // The database is in memory: every positional write now is a spill file's.
      const disk = limitDisk(() => true, { bytes: 64 * 1024, refused: 0 });
      expectFull(() => cur.execute('SELECT * FROM t ORDER BY v').fetchAll());
      expectFull(() =>
        cur.execute('SELECT v, count(*) FROM t GROUP BY v ORDER BY 2 DESC LIMIT 3').fetchAll(),
      );
      expect(disk.refused).toBeGreaterThan(0);
      expect(made.length).toBeGreaterThan(0);
      expect(made.filter((dir) => fs.existsSync(dir))).toEqual([]);
      jest.restoreAllMocks();
      // The connection is fine, and with room the same sort runs.
      const rows = cur.execute('SELECT id FROM t ORDER BY v, id').fetchAll();
      expect(rows).toHaveLength(30_000);
    } finally {
      conn.close();
    }
  });

  test('a snapshot restored onto a full disk leaves the destination and no partial copy', () => {
    const src = tmp.file();
    const db = Database.open(src);
    db.registerCollection('items', [{ path: 'id', type: 'int64' }], 'id');
    for (let id = 0; id < 500; id++) db.insert('items', { id });
    db.close();
    const dest = tmp.file();
    const keep = Database.open(dest);
    keep.registerCollection('old', [{ path: 'id', type: 'int64' }], 'id');
    keep.insert('old', { id: 1 });
    keep.close();
    const copy = jest.spyOn(fsModule, 'copyFileSync').mockImplementation(() => {
      throw noSpace();
    });
    expectFull(() => Database.restoreSnapshot(src, dest));
    copy.mockRestore();
    expect(fs.readdirSync(path.dirname(dest)).filter((n) => n.includes('.restore-'))).toEqual([]);
    const check = Database.open(dest, { readOnly: true });
    expect(check.collection('old').count()).toBe(1);
    check.close();
  });
});
