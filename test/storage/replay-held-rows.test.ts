/**
 * An open's replay of a killed writer's tail holds its rows back undecoded past the first 64 KiB
 * (storage/replay-indexes.ts addRow, storage/record-columns.ts): only each row's primary key is
 * decoded at open, and the rows' index keys are read back from the log once — for every index of
 * the collection — when the first of its indexes is built. Counted (records decoded whole or held,
 * passes over held rows, frames read back), and the content compared with the writer's.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Database, FormatError, IntegrityError } from '../../src/index';
import { recordColumnStats } from '../../storage/record-columns';
import { replayRecordStats } from '../../storage/engine-recovery';
import { canon, dumpState } from '../helpers/engine-util';

const ITEM_FIELDS = [
  { path: 'id', type: 'int64' as const },
  { path: 'grp', type: { optional: 'string' as const } },
  { path: 'n', type: 'int64' as const },
  { path: ['meta', 'tag'], type: { optional: 'string' as const } },
  { path: 'note', type: 'string' as const },
];
const ITEM_INDEXES = [
  { name: 'ix_grp', path: 'grp', kind: 'index' as const },
  { name: 'ux_n', path: 'n', kind: 'unique' as const },
  { name: 'ix_tag', path: 'meta.tag', kind: 'index' as const },
  { name: 'ix_grp_tag', paths: ['grp', 'meta.tag'], kind: 'index' as const },
  { name: 'ix_n_grp', paths: ['n', 'grp'], desc: [false, true], kind: 'index' as const },
];
const USER_FIELDS = [
  { path: 'email', type: 'string' as const },
  { path: 'age', type: { optional: 'int64' as const } },
];
const PAIR_FIELDS = [
  { path: 'a', type: 'string' as const },
  { path: 'b', type: 'int64' as const },
  { path: 'v', type: 'string' as const },
];

/** Deterministic scramble: keys arrive out of key order. */
const scramble = (i: number): number => (Math.imul(i, 0x9e3779b1) >>> 0) % 1_000_003;

function item(i: number): Record<string, unknown> {
  return {
    id: scramble(i),
    grp: i % 7 === 0 ? null : `g${i % 5}`,
    n: scramble(i) * 3 + 1,
    meta: { tag: i % 11 === 0 ? null : `t${i % 4}` },
    note: `row ${i} `.repeat(4),
  };
}

function register(db: Database): void {
  db.registerCollection('items', ITEM_FIELDS, 'id', ITEM_INDEXES);
  db.registerCollection('users', USER_FIELDS, 'email', [{ name: 'ix_age', path: 'age', kind: 'index' }]);
  db.registerCollection('pairs', PAIR_FIELDS, { paths: ['a', 'b'] }, [
    { name: 'ix_v', path: 'v', kind: 'index' },
  ]);
}

/** Rows `from`..`to` of all three collections, in transactions of 250. */
function writeRows(db: Database, from: number, to: number): void {
  for (let t = from; t < to; t += 250) {
    db.transaction(() => {
      for (let i = t; i < Math.min(to, t + 250); i++) {
        db.insert('items', item(i));
        db.insert('users', { email: `u${scramble(i)}@x.org`, age: i % 9 === 0 ? null : i % 80 });
        db.insert('pairs', { a: `k${scramble(i) % 97}`, b: i, v: `v${i % 13}` });
      }
    });
  }
}

/**
 * What a killed writer leaves: the bytes of an in-memory database that wrote `tail` after a
 * checkpoint and never closed (no closing checkpoint), and the writer's state at that moment.
 */
function killedWriter(tail: (db: Database) => void): { bytes: Uint8Array; state: string } {
  const db = Database.openInMemory({ checkpointEveryBytes: 0, checkpointIdleMs: 0 });
  try {
    register(db);
    writeRows(db, 0, 1000);
    db.checkpoint();
    tail(db);
    return { bytes: db.storage.bytes(), state: canon(dumpState(db.storage)) };
  } finally {
    db.close();
  }
}

function counters(): { whole: number; held: number; passes: number; frames: number } {
  return { ...replayRecordStats, ...recordColumnStats };
}

function since(start: ReturnType<typeof counters>): ReturnType<typeof counters> {
  const now = counters();
  return {
    whole: now.whole - start.whole,
    held: now.held - start.held,
    passes: now.passes - start.passes,
    frames: now.frames - start.frames,
  };
}

describe('an open holds replayed rows back undecoded', () => {
  test('only primary keys at open; one pass per collection when its first index is built; the writer’s content', () => {
    const { bytes, state } = killedWriter((db) => writeRows(db, 1000, 5000));
    const start = counters();
    const db = Database.openSnapshotBytes(bytes);
    try {
      expect(db.storage.recoveryReport.replayedTransactions).toBe(16);
      const atOpen = since(start);
      // 12,000 records in the tail: the first 64 KiB decoded whole (and cached), the rest held.
      expect(atOpen.whole + atOpen.held).toBe(12_000);
      expect(atOpen.held).toBeGreaterThan(10_000);
      expect(atOpen.passes).toBe(0);
      // Reads by primary key need none of the held keys.
      expect(db.get('items', scramble(4321))).toMatchObject(item(4321));
      expect(since(start).passes).toBe(0);
      // The first query through an index of `items` reads its held rows' keys once, for all five.
      expect(db.collection('items').where('meta.tag', '=', 't2').count()).toBe(
        Array.from({ length: 5000 }, (_, i) => i).filter((i) => i % 11 !== 0 && i % 4 === 2).length,
      );
      const first = since(start);
      expect(first.passes).toBe(1);
      expect(first.frames).toBeGreaterThan(3000);
      expect(first.frames).toBeLessThan(4000);
      expect(
        db
          .collection('items')
          .where('n', '=', scramble(4321) * 3 + 1)
          .first(),
      ).toMatchObject({ id: scramble(4321) });
      expect(since(start).passes).toBe(1);
      // A composite primary key is found through its own index: pairs' held rows are read then.
      expect(db.get('pairs', [`k${scramble(4999) % 97}`, 4999])).toMatchObject({ v: `v${4999 % 13}` });
      expect(since(start).passes).toBe(2);
      // Every tree, built: the same rows and entries as the writer had (one more pass, for users).
      expect(canon(dumpState(db.storage))).toBe(state);
      expect(since(start).passes).toBe(3);
    } finally {
      db.close();
    }
  });

  test('a tail that rewrites its own rows reads held keys back once, then decodes rows whole', () => {
    const { bytes, state } = killedWriter((db) => {
      writeRows(db, 1000, 3000);
      // Updates of rows written in the tail: each supersedes a replayed row.
      for (let t = 0; t < 8; t++) {
        db.transaction(() => {
          for (let i = 1000 + t * 200; i < 1200 + t * 200; i++)
            db.insert('items', { ...item(i), grp: `upd${t}`, meta: { tag: null } });
          db.delete('users', `u${scramble(1000 + t)}@x.org`);
        });
      }
    });
    const start = counters();
    const db = Database.openSnapshotBytes(bytes);
    try {
      const atOpen = since(start);
      // The first update flushes the batch: one pass for each collection's held rows, then none.
      expect(atOpen.passes).toBe(3);
      expect(atOpen.whole).toBeGreaterThan(1600);
      expect(canon(dumpState(db.storage))).toBe(state);
    } finally {
      db.close();
    }
  });

  test('a writer opening the file checks unique keys against held rows, checkpoints them, reopens', () => {
    const { bytes, state } = killedWriter((db) => writeRows(db, 1000, 4000));
    const writer = Database.openSnapshotBytes(bytes);
    let after: Uint8Array;
    try {
      expect(() =>
        writer.insert('items', { ...item(9_999_999), n: scramble(3999) * 3 + 1 }, { onConflict: 'abort' }),
      ).toThrow(IntegrityError);
      expect(canon(dumpState(writer.storage))).toBe(state);
      writer.insert('items', item(9_999_999));
      writer.checkpoint();
      after = writer.storage.bytes();
    } finally {
      writer.close();
    }
    const start = counters();
    const db = Database.openSnapshotBytes(after);
    try {
      expect(db.storage.recoveryReport.replayedTransactions).toBe(0);
      expect(
        db
          .collection('items')
          .where('n', '=', scramble(3999) * 3 + 1)
          .first(),
      ).toMatchObject({ id: scramble(3999) });
      expect(
        db
          .collection('items')
          .where('n', '=', scramble(9_999_999) * 3 + 1)
          .first(),
      ).toMatchObject({
        id: scramble(9_999_999),
      });
      expect(db.collection('items').count()).toBe(4001);
      expect(since(start).passes).toBe(0);
    } finally {
      db.close();
    }
  });
});

describe('held rows and compaction', () => {
  test('a writer that compacts right after opening a killed writer’s file keeps every index entry', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mv-held-compact-'));
    try {
      const file = path.join(dir, 'db.modelvault');
      const copy = path.join(dir, 'killed.modelvault');
      const writer = Database.open(file, { checkpointEveryBytes: 0, checkpointIdleMs: 0 });
      let state: string;
      try {
        register(writer);
        writeRows(writer, 0, 1000);
        writer.checkpoint();
        writeRows(writer, 1000, 4000);
        state = canon(dumpState(writer.storage));
        // What a killed writer leaves: the file as it is now, no closing checkpoint.
        fs.copyFileSync(file, copy);
      } finally {
        writer.close();
      }
      const start = counters();
      const db = Database.open(copy);
      try {
        expect(since(start).held).toBeGreaterThan(5000);
        // Compaction reads every tree, so the held keys are read from the old file before it goes.
        db.compact();
        expect(canon(dumpState(db.storage))).toBe(state);
      } finally {
        db.close();
      }
      const again = Database.open(copy, { readOnly: true });
      try {
        expect(again.storage.recoveryReport.replayedTransactions).toBe(0);
        expect(canon(dumpState(again.storage))).toBe(state);
      } finally {
        again.close();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('held rows and damage', () => {
  /** A killed writer's bytes whose tail ends with `row` of items, written without validation. */
  function forgedTail(row: unknown[]): Uint8Array {
    const db = Database.openInMemory({ checkpointEveryBytes: 0, checkpointIdleMs: 0 });
    try {
      register(db);
      writeRows(db, 0, 1000);
      db.checkpoint();
      writeRows(db, 1000, 3000);
      const engine = db.storage;
      const state = engine.collection('items');
      if (!state) throw new Error('no collection');
      engine.begin();
      engine.putRow(state, row);
      engine.commit();
      return engine.bytes();
    } finally {
      db.close();
    }
  }

  test('a held row whose index column has the wrong type: FormatError when an index is built, and when the row is read', () => {
    // Stored row of items: [id, grp, n, [tag], note]; grp is a number where a string belongs.
    const bytes = forgedTail([77, 5, 231, ['t1'], 'forged']);
    const db = Database.openSnapshotBytes(bytes);
    try {
      expect(db.get('items', scramble(2500))).toMatchObject(item(2500));
      expect(() => db.collection('items').where('grp', '=', 'g1').count()).toThrow(FormatError);
      let err: unknown;
      try {
        db.get('items', 77);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(FormatError);
      expect((err as FormatError).code).toBe('CORRUPT');
    } finally {
      db.close();
    }
  });

  test('a held row whose primary key has the wrong type: FormatError at open', () => {
    const bytes = forgedTail(['77', 'g1', 231, ['t1'], 'forged']);
    let err: unknown;
    try {
      Database.openSnapshotBytes(bytes).close();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FormatError);
    expect((err as FormatError).code).toBe('CORRUPT');
  });
});
