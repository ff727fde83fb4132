/**
 * Replay puts a tail's index entries into their trees in key order (storage/replay-indexes.ts):
 * what a killed writer leaves is replayed leaf after leaf instead of one random leaf per entry.
 * Counted, not timed: the order in which the index trees receive their entries, and the content
 * after replays that mix inserts, updates, deletes and catalog changes.
 */
import * as fs from 'node:fs';
import { Database } from '../../src/index';
import { BTree } from '../../storage/btree';
import { compareValues } from '../../storage/compare';
import { keyOrder } from '../../storage/replay-indexes';
import { rng } from '../../bench/data';
import { tmpDir } from '../helpers/tmp';

const tmp = tmpDir('mv-replay-ix-');
afterAll(() => tmp.cleanup());

const FIELDS = [
  { path: 'id', type: 'int64' as const },
  { path: 'uid', type: 'string' as const },
  { path: 'qty', type: 'int64' as const },
];
const INDEXES = [
  { name: 'items_uid', path: 'uid', kind: 'unique' as const },
  { name: 'items_qty', path: 'qty', kind: 'index' as const },
];

const uid = (id: number): string => `${((id * 2654435761) % 4294967296).toString(36)}:${id}`;

/** A copy of a writer's file taken while it is open: what a killed writer leaves (no close checkpoint). */
function killedCopy(write: (db: Database) => void, checkpointFirst: boolean): string {
  const file = tmp.file();
  const db = Database.open(file, { checkpointEveryBytes: 0 });
  db.registerCollection('items', FIELDS, 'id', INDEXES);
  if (checkpointFirst) {
    db.transaction(() => {
      for (let id = 0; id < 3000; id++) db.insert('items', { id, uid: uid(id), qty: id % 97 });
    });
    db.checkpoint();
  }
  try {
    write(db);
    const copy = tmp.file();
    fs.copyFileSync(file, copy);
    return copy;
  } finally {
    db.close();
  }
}

/** Record, per tree, the keys in the order `BTree.addRun` is given them while `fn` runs. */
function recordRuns(fn: () => void): Map<BTree<unknown, unknown>, unknown[]> {
  const seen = new Map<BTree<unknown, unknown>, unknown[]>();
  const proto = BTree.prototype as {
    addRun: (keys: readonly unknown[], vals: readonly unknown[], order: Uint32Array) => number;
  };
  const original = proto.addRun;
  proto.addRun = function (this: BTree<unknown, unknown>, keys, vals, order): number {
    let got = seen.get(this);
    if (!got) seen.set(this, (got = []));
    for (const i of order) got.push(keys[i]);
    return original.call(this, keys, vals, order);
  };
  try {
    fn();
  } finally {
    proto.addRun = original;
  }
  return seen;
}

function ascending(keys: readonly unknown[]): boolean {
  for (let i = 1; i < keys.length; i++) if (compareValues(keys[i - 1], keys[i]) > 0) return false;
  return true;
}

describe('replay of a killed writer’s tail', () => {
  test('an index takes the tail’s entries at its first use, in key order, a descent per leaf rather than per entry', () => {
    const r = rng(7);
    const ids = Array.from({ length: 2000 }, (_, i) => 10_000 + i).sort(() => r() - 0.5);
    const file = killedCopy((db) => {
      for (let t = 0; t < 10; t++)
        db.transaction(() => {
          for (const id of ids.slice(t * 200, t * 200 + 200))
            db.insert('items', { id, uid: uid(id), qty: id % 97 });
        });
    }, true);
    const db = Database.open(file, { readOnly: true });
    try {
      expect(db.storage.recoveryReport.replayedTransactions).toBe(10);
      const loaded = (): boolean[] => (db.storage.collection('items')?.indexes ?? []).map((ix) => ix.loaded);
      // The open and a read by primary key insert none of the tail's index entries.
      const atOpen = recordRuns(() => {
        expect(db.get('items', ids[3])).toMatchObject({ id: ids[3], uid: uid(ids[3]) });
      });
      expect(atOpen.size).toBe(0);
      expect(loaded()).toEqual([false, false]);
      // The first use of an index builds it with the 2,000 entries, given sorted (the log had
      // them in random order), a descent per leaf rather than per entry.
      const seen = recordRuns(() => {
        expect(db.collection('items').where('uid', '=', uid(ids[17])).first()).toMatchObject({ id: ids[17] });
        expect(db.collection('items').where('qty', '=', 5).count()).toBe(
          [...Array(3000).keys(), ...ids].filter((id) => id % 97 === 5).length,
        );
      });
      expect(loaded()).toEqual([true, true]);
      const runs = [...seen].filter(([, keys]) => keys.length === 2000);
      expect(runs).toHaveLength(2);
      for (const [tree, keys] of runs) {
        expect(ascending(keys)).toBe(true);
        expect(tree.descents).toBeLessThan(1000);
      }
      expect(ascending(ids.map(uid))).toBe(false);
      expect(db.collection('items').count()).toBe(5000);
    } finally {
      db.close();
    }
  });

  test('a writer reopening the file sees the deferred entries: unique checks, checkpoint, reopen', () => {
    const file = killedCopy((db) => {
      db.transaction(() => {
        for (let id = 5000; id < 5600; id++) db.insert('items', { id, uid: uid(id), qty: id % 97 });
      });
    }, true);
    const writer = Database.open(file);
    try {
      expect(writer.storage.recoveryReport.replayedTransactions).toBe(1);
      expect(() =>
        writer.insert('items', { id: 9999, uid: uid(5123), qty: 1 }, { onConflict: 'abort' }),
      ).toThrow(/UNIQUE/);
      writer.insert('items', { id: 9999, uid: 'fresh', qty: 1 });
      writer.checkpoint();
    } finally {
      writer.close();
    }
    const db = Database.open(file, { readOnly: true });
    try {
      expect(db.storage.recoveryReport.replayedTransactions).toBe(0);
      const items = db.collection('items');
      for (const id of [0, 2999, 5000, 5599, 9999])
        expect(items.where('uid', '=', id === 9999 ? 'fresh' : uid(id)).first()).toMatchObject({ id });
      expect(items.where('qty', '>=', 0).count()).toBe(3601);
    } finally {
      db.close();
    }
  });

  test('a writer that opens and closes at once checkpoints the deferred entries', () => {
    const file = killedCopy((db) => {
      db.transaction(() => {
        // Past the 64 KiB a clean close checkpoints for.
        for (let id = 5000; id < 9000; id++) db.insert('items', { id, uid: uid(id), qty: id % 97 });
      });
    }, true);
    Database.open(file).close();
    const db = Database.open(file, { readOnly: true });
    try {
      expect(db.storage.recoveryReport.replayedTransactions).toBe(0);
      expect(db.collection('items').where('uid', '=', uid(5555)).first()).toMatchObject({ id: 5555 });
      expect(db.collection('items').where('qty', '=', 3).count()).toBe(
        [...Array(3000).keys(), ...Array.from({ length: 4000 }, (_, i) => 5000 + i)].filter(
          (id) => id % 97 === 3,
        ).length,
      );
    } finally {
      db.close();
    }
  });

  test('updates, deletes, re-inserts and a new index in the tail replay to the writer’s content', () => {
    const r = rng(11);
    let expected: unknown[] = [];
    const file = killedCopy((db) => {
      for (let t = 0; t < 40; t++) {
        db.transaction(() => {
          for (let k = 0; k < 60; k++) {
            const id = Math.floor(r() * 4000);
            const op = r();
            if (op < 0.2) db.delete('items', id);
            else db.insert('items', { id, uid: `${uid(id)}#${t}`, qty: Math.floor(r() * 50) });
          }
        });
        // A catalog change in the middle of the tail: a new index, built from the rows so far.
        if (t === 20) {
          db.registerSchemaVersion('items', {
            fields: FIELDS,
            primaryKey: 'id',
            indexes: [
              ...INDEXES,
              { name: 'items_qty_uid', paths: ['qty', 'uid'], desc: [true, false], kind: 'index' },
            ],
          });
        }
      }
      expected = db.collection('items').where('qty', '>=', 0).orderBy('id').all();
    }, true);
    const db = Database.open(file, { readOnly: true });
    try {
      expect(db.storage.recoveryReport.replayedTransactions).toBeGreaterThan(40);
      const items = db.collection('items');
      expect(items.where('qty', '>=', 0).orderBy('id').all()).toEqual(expected);
      // Every index answers as the rows say (each row found through each of its keys).
      for (const row of expected as { id: number; uid: string; qty: number }[]) {
        expect(items.where('uid', '=', row.uid).first()).toEqual(row);
        expect(items.where('qty', '=', row.qty).all()).toContainEqual(row);
      }
      expect(items.where('qty', '>=', 0).count()).toBe(expected.length);
    } finally {
      db.close();
    }
  });
});

describe('keyOrder', () => {
  test('numbers, strings, mixed and tuple keys: ascending, equal keys in arrival order', () => {
    const cases: unknown[][] = [
      [5, 3, 5, 1, 3, 3, 9, -0, 0, 2.5],
      ['b', 'a', 'b', 'é', 'A', 'a', ''],
      [2, 'x', null, 1, 'a', null, 2],
      [
        [2, 'a'],
        [1, 'b'],
        [2, 'a'],
        [1, 'a'],
      ],
    ];
    const compareTuple = (a: unknown, b: unknown): number => {
      const x = a as unknown[];
      const y = b as unknown[];
      return compareValues(x[0], y[0]) || compareValues(x[1], y[1]);
    };
    for (const keys of cases) {
      const compare = Array.isArray(keys[0]) ? compareTuple : compareValues;
      const order = Array.from(keyOrder(keys, compare));
      expect([...order].sort((a, b) => a - b)).toEqual(keys.map((_, i) => i));
      for (let i = 1; i < order.length; i++) {
        const c = compare(keys[order[i - 1]], keys[order[i]]);
        expect(c).toBeLessThanOrEqual(0);
        if (c === 0 && keys[order[i - 1]] === keys[order[i]]) expect(order[i - 1]).toBeLessThan(order[i]);
      }
    }
  });

  test('long runs take the native sorts and agree with the comparator', () => {
    const r = rng(3);
    const strings = Array.from({ length: 3000 }, () => Math.floor(r() * 1e9).toString(36));
    const numbers = Array.from({ length: 3000 }, () => Math.floor(r() * 500));
    for (const keys of [strings, numbers] as unknown[][]) {
      const order = keyOrder(keys, compareValues);
      const sorted = Array.from(order, (i) => keys[i]);
      expect(sorted).toEqual([...keys].sort(compareValues));
    }
  });
});

describe('BTree.addRun', () => {
  const multi = (): BTree<unknown, unknown> =>
    new BTree<unknown, unknown>({ compare: compareValues, multi: true, valueCompare: compareValues });

  function entries(tree: BTree<unknown, unknown>): unknown[] {
    const out: unknown[] = [];
    const cur = tree.cursor();
    while (cur.next()) out.push([cur.key, cur.value]);
    return out;
  }

  test('a sorted run shares descents between the entries of a leaf, same content as add()', () => {
    const r = rng(5);
    const base = Array.from({ length: 20_000 }, (_, i) => i * 10);
    const a = BTree.fromSorted<unknown, unknown>(base, base, {
      compare: compareValues,
      multi: true,
      valueCompare: compareValues,
    });
    const b = BTree.fromSorted<unknown, unknown>(base, base, {
      compare: compareValues,
      multi: true,
      valueCompare: compareValues,
    });
    const keys = Array.from({ length: 5000 }, () => Math.floor(r() * 200_000));
    const pks = keys.map((_, i) => 1_000_000 + i);
    // One pair already present: not added twice.
    keys.push(50);
    pks.push(50);
    const order = keyOrder(keys, compareValues);
    const d0 = a.descents;
    expect(a.addRun(keys, pks, order)).toBe(5000);
    const runDescents = a.descents - d0;
    const d1 = b.descents;
    let added = 0;
    for (const i of order) if (b.add(keys[i], pks[i])) added++;
    expect(added).toBe(5000);
    expect(b.descents - d1).toBeGreaterThanOrEqual(5000);
    // 5,000 entries over ~313 leaves of 64: a few descents per leaf, not one per entry.
    expect(runDescents).toBeLessThan(1500);
    expect(entries(a)).toEqual(entries(b));
    expect(a.size).toBe(25_000);
  });

  test('an unsorted run and a unique tree still get every entry where it belongs', () => {
    const r = rng(9);
    const a = multi();
    const b = multi();
    const keys = Array.from({ length: 3000 }, () => Math.floor(r() * 300));
    const pks = keys.map(() => Math.floor(r() * 1e6));
    const order = Uint32Array.from(keys.map((_, i) => i).sort(() => r() - 0.5));
    a.addRun(keys, pks, order);
    for (const i of order) b.add(keys[i], pks[i]);
    expect(entries(a)).toEqual(entries(b));
    const u = new BTree<unknown, unknown>({ compare: compareValues });
    const v = new BTree<unknown, unknown>({ compare: compareValues });
    const sorted = keyOrder(keys, compareValues);
    expect(u.addRun(keys, pks, sorted)).toBe(new Set(keys).size);
    for (const i of sorted) v.add(keys[i], pks[i]);
    expect(entries(u)).toEqual(entries(v));
  });
});
