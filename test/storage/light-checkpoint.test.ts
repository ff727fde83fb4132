/**
 * Light checkpoints (checkpoint layout 6, storage/index-lag.ts): past lightCheckpointBytes of log
 * a commit persists the primary-key trees only, and the secondary indexes stay at the last full
 * checkpoint (the base) until they are first built, when they catch up from the log between the
 * two. What a killed writer leaves is compared with the writer's state at that moment: rows and
 * every index's entries (test/helpers/engine-util.ts dumpState), across updates and deletes of
 * rows older than the base, re-inserts, tails after the light checkpoint, reopen-and-write cycles,
 * and a catalog change (after which the next checkpoint must be full).
 */
import * as fs from 'node:fs';
import { Database, connect } from '../../src/index';
import { inspectFile } from '../../src/cli/inspect';
import { tmpDir } from '../helpers/tmp';
import { lagStats } from '../../storage/index-lag';
import { checkpointsDuring } from '../helpers/checkpoint-trace';
import { canon, dumpState } from '../helpers/engine-util';

const FIELDS = [
  { path: 'id', type: 'int64' as const },
  { path: 'grp', type: { optional: 'string' as const } },
  { path: 'n', type: 'int64' as const },
  { path: ['meta', 'tag'], type: { optional: 'string' as const } },
  { path: 'note', type: 'string' as const },
];
const INDEXES = [
  { name: 'ix_grp', path: 'grp', kind: 'index' as const },
  { name: 'ux_n', path: 'n', kind: 'unique' as const },
  { name: 'ix_tag', path: 'meta.tag', kind: 'index' as const },
  { name: 'ix_grp_tag', paths: ['grp', 'meta.tag'], kind: 'index' as const },
];

/** Small bounds so a few thousand rows make many light checkpoints and a few full ones. */
const OPTS = {
  checkpointIdleMs: 0,
  lightCheckpointBytes: 8 * 1024,
  checkpointEveryBytes: 64 * 1024,
  indexLagLimitBytes: 1 << 30,
};

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function row(id: number, version: number): Record<string, unknown> {
  return {
    id,
    grp: id % 7 === 0 ? null : `g${(id + version) % 5}`,
    n: id * 10 + (version % 10),
    meta: { tag: (id + version) % 11 === 0 ? null : `t${(id * 3 + version) % 4}` },
    note: `row ${id} v${version} `.repeat(3),
  };
}

/** Which checkpoints `fn` writes: true for a light one, false for a full one. */
function checkpointKinds(fn: () => void): boolean[] {
  return checkpointsDuring(fn).map((ctx) => ctx.light);
}

/** A random transaction: inserts of new ids, updates and deletes of live ones (old or new). */
function randomTxn(
  db: Database,
  live: Set<number>,
  next: { id: number; v: number },
  rnd: () => number,
): void {
  db.transaction(() => {
    const ops = 1 + Math.floor(rnd() * 40);
    for (let k = 0; k < ops; k++) {
      const r = rnd();
      const ids = [...live];
      if (r < 0.5 || ids.length === 0) {
        const id = next.id++;
        db.insert('items', row(id, next.v++));
        live.add(id);
      } else if (r < 0.8) {
        const id = ids[Math.floor(rnd() * ids.length)];
        db.insert('items', row(id, next.v++), { onConflict: 'replace' });
      } else {
        const id = ids[Math.floor(rnd() * ids.length)];
        db.delete('items', id);
        live.delete(id);
      }
    }
  });
}

describe('light checkpoints', () => {
  test('a killed writer replays only the tail after its last light checkpoint; indexes catch up when first used', () => {
    // The policy also spaces light checkpoints by time (LIGHT_TIME_SPACING times the last one's
    // duration): on a loaded machine that skipped some and changed which checkpoint came last. A
    // clock that stands still leaves the byte rules alone to decide, the same on every machine.
    const clock = jest.spyOn(performance, 'now').mockReturnValue(0);
    const db = Database.openInMemory(OPTS);
    let bytes: Uint8Array;
    let state: string;
    let kinds: boolean[] = [];
    try {
      db.registerCollection('items', FIELDS, 'id', INDEXES);
      kinds = checkpointKinds(() => {
        for (let t = 0; t < 80; t++)
          db.transaction(() => {
            for (let i = t * 50; i < t * 50 + 50; i++) db.insert('items', row(i + 1, 0));
          });
        // Rows older than the last full checkpoint, updated and deleted after it.
        for (let t = 0; t < 10; t++)
          db.transaction(() => {
            for (let i = t * 20; i < t * 20 + 20; i++) {
              const id = i * 17 + 1;
              if (i % 3 === 0) db.delete('items', id);
              else db.insert('items', row(id, 1 + t), { onConflict: 'replace' });
            }
          });
        // More rows, so that light checkpoints follow the updates (which then lie in their range).
        for (let t = 80; t < 100; t++)
          db.transaction(() => {
            for (let i = t * 50; i < t * 50 + 50; i++) db.insert('items', row(i + 1, 0));
          });
        // The policy also spaces light checkpoints by time (LIGHT_TIME_SPACING): one more, asked for.
        expect(db.storage.checkpointLight()).toBe(true);
        db.transaction(() => db.insert('items', row(100_000, 0)));
      });
      bytes = db.storage.bytes();
      state = canon(dumpState(db.storage));
    } finally {
      db.close();
      clock.mockRestore();
    }
    expect(kinds.filter((k) => k).length).toBeGreaterThan(1);
    expect(kinds.filter((k) => !k).length).toBeGreaterThan(0);
    // The last checkpoint was a light one, with updates and deletes between it and its base.
    expect(kinds[kinds.length - 1]).toBe(true);
    const scans = lagStats.scans;
    const reader = Database.openSnapshotBytes(bytes);
    try {
      expect(reader.storage.recoveryReport.usedCheckpoint).toBe(true);
      // 111 transactions were written; the tail after the last light checkpoint is a few.
      expect(reader.storage.recoveryReport.replayedTransactions).toBeLessThanOrEqual(6);
      expect(lagStats.scans).toBe(scans);
      expect(reader.get('items', 3001)).toMatchObject({ id: 3001 });
      expect(lagStats.scans).toBe(scans);
      expect(reader.collection('items').where('meta.tag', '=', 't1').count()).toBeGreaterThan(0);
      expect(lagStats.scans).toBe(scans + 1);
      expect(canon(dumpState(reader.storage))).toBe(state);
      // One scan of the range serves every index of the collection.
      expect(lagStats.scans).toBe(scans + 1);
    } finally {
      reader.close();
    }
  });

  test('random transactions, kills at random commits, reopen-and-write cycles: the writer’s rows and entries', () => {
    const rnd = lcg(20261206);
    let bytes: Uint8Array | null = null;
    const live = new Set<number>();
    const next = { id: 1, v: 0 };
    let lights = 0;
    for (let cycle = 0; cycle < 6; cycle++) {
      const db: Database = bytes ? Database.openSnapshotBytes(bytes, OPTS) : Database.openInMemory(OPTS);
      try {
        if (!bytes) db.registerCollection('items', FIELDS, 'id', INDEXES);
        // The reopened writer's view of the file first: every index caught up equals a rebuild.
        const txns = 20 + Math.floor(rnd() * 60);
        const snapshots: { bytes: Uint8Array; state: string }[] = [];
        const kinds = checkpointKinds(() => {
          for (let t = 0; t < txns; t++) {
            randomTxn(db, live, next, rnd);
            // Beside the policy's (spaced by time too), light checkpoints at random commits.
            if (rnd() < 0.1) db.storage.checkpointLight();
            if (rnd() < 0.15)
              snapshots.push({ bytes: db.storage.bytes(), state: canon(dumpState(db.storage)) });
          }
        });
        lights += kinds.filter((k) => k).length;
        for (const snap of snapshots) {
          const reader = Database.openSnapshotBytes(snap.bytes);
          try {
            expect(canon(dumpState(reader.storage))).toBe(snap.state);
          } finally {
            reader.close();
          }
        }
        bytes = db.storage.bytes();
      } finally {
        db.close();
      }
    }
    expect(lights).toBeGreaterThan(10);
    const last = Database.openSnapshotBytes(bytes as Uint8Array);
    try {
      expect(last.collection('items').count()).toBe(live.size);
    } finally {
      last.close();
    }
  });

  test('after a catalog change the next checkpoint is full; light ones follow it', () => {
    const db = Database.openInMemory(OPTS);
    try {
      db.registerCollection('items', FIELDS, 'id', INDEXES);
      const rnd = lcg(7);
      const live = new Set<number>();
      const next = { id: 1, v: 0 };
      const before = checkpointKinds(() => {
        for (let t = 0; t < 60; t++) randomTxn(db, live, next, rnd);
      });
      expect(before).toContain(true);
      db.registerCollection('other', [{ path: 'k', type: 'int64' }], 'k', [
        { name: 'ix_k', path: 'k', kind: 'index' },
      ]);
      const after = checkpointKinds(() => {
        for (let t = 0; t < 60; t++) randomTxn(db, live, next, rnd);
      });
      expect(after[0]).toBe(false);
      expect(after.slice(1)).toContain(true);
      const reader = Database.openSnapshotBytes(db.storage.bytes());
      try {
        expect(canon(dumpState(reader.storage))).toBe(canon(dumpState(db.storage)));
      } finally {
        reader.close();
      }
    } finally {
      db.close();
    }
  });

  test('a file: inspect names the light checkpoint and its base; a clean close writes a full one', () => {
    const tmp = tmpDir();
    const file = tmp.file('light.modelvault');
    const copy = tmp.file('killed.modelvault');
    // Full checkpoints far apart, so the indexes lag by more than a clean close leaves (64 KiB).
    const db = Database.open(file, { ...OPTS, checkpointEveryBytes: 1 << 20 });
    let state = '';
    try {
      db.registerCollection('items', FIELDS, 'id', INDEXES);
      const rnd = lcg(99);
      const live = new Set<number>();
      const next = { id: 1, v: 0 };
      for (let t = 0; t < 20; t++) randomTxn(db, live, next, rnd);
      // A new file's first full checkpoint (the base light ones need) comes at checkpointEveryBytes.
      db.checkpoint();
      const kinds = checkpointKinds(() => {
        for (let t = 0; t < 150; t++) randomTxn(db, live, next, rnd);
      });
      expect(kinds).toContain(true);
      // A copy while the writer is open is what a kill leaves: its last checkpoint is light.
      expect(db.storage.checkpointLight()).toBe(true);
      fs.copyFileSync(file, copy);
      state = canon(dumpState(db.storage));
    } finally {
      db.close();
    }
    try {
      const report = inspectFile(copy);
      expect(report.formatVersion).toBe('1.6');
      expect(report.checkpoint?.light?.baseOffset).toBeGreaterThan(0);
      expect(report.checkpoint?.light?.logBytes).toBeGreaterThan(64 * 1024);
      expect(inspectFile(file).checkpoint?.light).toBeNull();
      for (const f of [copy, file]) {
        const again = Database.open(f, { readOnly: true });
        try {
          expect(canon(dumpState(again.storage))).toBe(state);
        } finally {
          again.close();
        }
      }
    } finally {
      tmp.cleanup();
    }
  });

  test('expression and partial indexes, and an ADD COLUMN after the light checkpoint, catch up exactly', () => {
    const tmp = tmpDir();
    const file = tmp.file('sql.modelvault');
    const copy = tmp.file('sql-killed.modelvault');
    const conn = connect(file, { checkpointIdleMs: 0, lightCheckpointBytes: 0 });
    let state = '';
    try {
      const cur = conn.cursor();
      cur.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b INTEGER)');
      cur.execute('CREATE INDEX t_a ON t (a)');
      cur.execute('CREATE INDEX t_lower ON t (lower(a))');
      cur.execute('CREATE INDEX t_big ON t (b) WHERE b > 5');
      cur.executeMany(
        'INSERT INTO t VALUES (?, ?, ?)',
        Array.from({ length: 400 }, (_, i) => [i + 1, `Name${i % 37}`, i % 11]),
      );
      conn.commit();
      conn.database.checkpoint();
      cur.execute("UPDATE t SET a = 'X' || a, b = b + 3 WHERE id % 5 = 0");
      cur.execute('DELETE FROM t WHERE id % 7 = 0');
      cur.executeMany(
        'INSERT INTO t VALUES (?, ?, ?)',
        Array.from({ length: 100 }, (_, i) => [1000 + i, `new${i % 9}`, i % 13]),
      );
      conn.commit();
      expect(conn.database.storage.checkpointLight()).toBe(true);
      // After it: a new column (the range's rows are shorter than the schema now) and its index.
      cur.execute('ALTER TABLE t ADD COLUMN c INTEGER DEFAULT 7');
      cur.execute('CREATE INDEX t_c ON t (c)');
      cur.execute('UPDATE t SET c = id WHERE id % 3 = 0');
      cur.execute("INSERT INTO t VALUES (5000, 'tail', 9, 1)");
      conn.commit();
      fs.copyFileSync(file, copy);
      state = canon(dumpState(conn.database.storage));
    } finally {
      conn.close();
    }
    const reader = connect(copy, { readOnly: true });
    try {
      expect(canon(dumpState(reader.database.storage))).toBe(state);
      const cur = reader.cursor();
      cur.execute('SELECT count(*) FROM t WHERE lower(a) = ?', ['xname0']);
      expect((cur.fetchAll()[0] as unknown[])[0]).toBeGreaterThan(0);
    } finally {
      reader.close();
      tmp.cleanup();
    }
  });
});
