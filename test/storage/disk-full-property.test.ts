/**
 * Random workloads on a disk that fills and empties (test/helpers/full-disk.ts): transactions of
 * inserts, updates and deletes, explicit checkpoints and compactions, each run against a capacity
 * that moves between "no room at all" and "plenty". A model holds what was acknowledged. After
 * every step the open database equals the model (a failed commit left nothing, a failed
 * checkpoint or compaction changed nothing); at the end a fresh open of the file equals it too
 * and passes the integrity check. Every failure is OperationalError FULL.
 */
import { OperationalError, connect } from '../../src/index';
import type { Connection } from '../../src/index';
import { tmpDir } from '../helpers/tmp';
import { seeded } from '../helpers/seeded';
import { limitDisk } from '../helpers/full-disk';

type Model = Map<number, [string, number]>;

function contents(conn: Connection): [number, string, number][] {
  return conn.cursor().execute('SELECT id, k, n FROM t ORDER BY id').fetchAll() as [number, string, number][];
}

function expected(model: Model): [number, string, number][] {
  return [...model].sort((a, b) => a[0] - b[0]).map(([id, [k, n]]) => [id, k, n]);
}

/** Run `fn`; a failure must be FULL. Returns whether it succeeded. */
function fits(fn: () => void): boolean {
  try {
    fn();
    return true;
  } catch (err) {
    if (!(err instanceof OperationalError) || err.code !== 'FULL') throw err;
    return false;
  }
}

describe('random workloads on a disk that fills up', () => {
  const tmp = tmpDir();
  afterEach(() => jest.restoreAllMocks());
  afterAll(() => tmp.cleanup());

  const SEEDS = [11, 12, 13, 14, 15, 16];

  test.each(SEEDS)('seed %i: the file holds exactly the acknowledged commits', (seed) => {
    // The generator's low bits cycle: take choices from its high ones.
    const raw = seeded(seed);
    const next = (m: number) => Math.floor((raw(1 << 30) / (1 << 30)) * m);
    const file = tmp.file();
    const model: Model = new Map();
    // Automatic checkpoints every 40 frames: many of them meet a full disk after their commit.
    const conn = connect(file, { checkpointEveryBytes: 32 * 1024, replayLimitFrames: 40 });
    const outcomes = { committed: 0, refused: 0, checkpoints: 0, compactions: 0, failedMaintenance: 0 };
    try {
      const cur = conn.cursor();
      cur.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, k TEXT UNIQUE, n INTEGER, pad TEXT)');
      cur.execute('CREATE INDEX t_n ON t (n)');
      conn.commit();
      // Every positional write of the test is the database's, its compaction copy's or a spill
      // file's: each may grow to the capacity.
      const disk = limitDisk(() => true, { bytes: Number.MAX_SAFE_INTEGER, refused: 0 });
      for (let step = 0; step < 60; step++) {
        // Measured from the log's end: a disk may refuse even the zeros a writer reserved past it
        // (a copy-on-write file system allocates on every write).
        const size = conn.database.storage.fileSize;
        const roll = next(10);
        disk.bytes = roll < 3 ? size : roll < 7 ? size + next(40_000) : Number.MAX_SAFE_INTEGER;
        const what = next(10);
        if (what < 7) {
          const staged: Model = new Map(model);
          const ok = fits(() => {
            for (let i = 0, n = 1 + next(60); i < n; i++) {
              const id = next(400);
              const op = next(4);
              if (op < 2 || !staged.has(id)) {
                const k = `k${id}-${next(1_000_000)}`;
                const v = next(100);
                cur.execute('INSERT OR REPLACE INTO t VALUES (?, ?, ?, ?)', [
                  id,
                  k,
                  v,
                  'p'.repeat(next(300)),
                ]);
                staged.set(id, [k, v]);
              } else if (op === 2) {
                const v = next(100);
                cur.execute('UPDATE t SET n = ? WHERE id = ?', [v, id]);
                staged.set(id, [(staged.get(id) as [string, number])[0], v]);
              } else {
                cur.execute('DELETE FROM t WHERE id = ?', [id]);
                staged.delete(id);
              }
            }
            conn.commit();
          });
          if (ok) {
            model.clear();
            for (const [id, row] of staged) model.set(id, row);
            outcomes.committed++;
          } else {
            outcomes.refused++;
            expect(conn.inTransaction).toBe(false);
          }
        } else if (what < 9) {
          if (fits(() => conn.cursor().execute('PRAGMA wal_checkpoint'))) outcomes.checkpoints++;
          else outcomes.failedMaintenance++;
        } else {
          // The compacted copy is a new file: room for all of it, or for part of it.
          if (next(3) > 0) disk.bytes = next(size);
          if (fits(() => conn.database.compact())) outcomes.compactions++;
          else outcomes.failedMaintenance++;
        }
        expect(contents(conn)).toEqual(expected(model));
      }
      expect(outcomes.committed).toBeGreaterThan(0);
      expect(outcomes.refused).toBeGreaterThan(0);
      expect(outcomes.failedMaintenance).toBeGreaterThan(0);
      expect(outcomes.compactions).toBeGreaterThan(0);
    } finally {
      conn.close();
    }
    jest.restoreAllMocks();
    const again = connect(file, { readOnly: true });
    try {
      expect(contents(again)).toEqual(expected(model));
      expect(again.cursor().execute('PRAGMA integrity_check').fetchAll()).toEqual([['ok']]);
    } finally {
      again.close();
    }
  });
});
