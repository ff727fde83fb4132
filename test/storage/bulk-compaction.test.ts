/**
 * Compaction by bulk copy (storage/compact-copy.ts): the compacted database equals the original —
 * every row, every index entry, every lookup and range scan, constraints, settings, sequences,
 * schema versions — in a live session (warm leaves, pages encoded again) and after reopen (cold
 * pages copied verbatim), across reopen and a replay of the copy's own log; and it is done without
 * one per-row tree operation (work counted, never timed).
 */
import * as fs from 'node:fs';
import fc from 'fast-check';
import { Database, FormatError, IntegrityError } from '../../src/index';
import { connect } from '../../cursor/index';
import type { Connection } from '../../cursor/index';
import { BTree } from '../../storage/btree';
import { BTreeReader } from '../../storage/btree-reader';
import { Engine } from '../../storage/engine';
import { FrameKind, SUPERBLOCK_OFFSETS, SUPERBLOCK_SIZE } from '../../storage/format';
import { MemoryStore } from '../../storage/memory-store';
import { readExact } from '../../storage/byte-store';
import { writeCompactedCopy } from '../../storage/compact-copy';
import { ROWS_PER_TXN } from '../../storage/record-copier';
import { canon, dumpState, listFrames, openBytes } from '../helpers/engine-util';
import { tmpDir } from '../helpers/tmp';

const tmp = tmpDir();
afterAll(() => tmp.cleanup());

const ITEM_FIELDS = [
  { path: 'id', type: 'int64' as const },
  { path: 'grp', type: { optional: 'string' as const } },
  { path: 'n', type: 'int64' as const },
  { path: ['meta', 'tag'], type: { optional: 'string' as const } },
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
  { path: 'name', type: 'string' as const },
  { path: 'age', type: { optional: 'int64' as const } },
];
const USER_INDEXES = [{ name: 'ix_age', path: 'age', kind: 'index' as const }];
const PAIR_FIELDS = [
  { path: 'a', type: 'string' as const },
  { path: 'b', type: 'int64' as const },
  { path: 'v', type: 'string' as const },
];

/** Deterministic scramble, so string keys arrive out of key order (their rows out of file order). */
const scramble = (i: number): number => (Math.imul(i, 0x9e3779b1) >>> 0) % 100_003;

/** Four collections (one empty, one keyed by strings in random order, one with a composite key). */
function build(db: Database, n: number): void {
  db.registerCollection('items', ITEM_FIELDS, 'id', ITEM_INDEXES);
  db.registerCollection('users', USER_FIELDS, 'email', USER_INDEXES);
  db.registerCollection('empty', [{ path: 'k', type: 'string' }], 'k', [
    { name: 'ux_k', path: 'k', kind: 'unique' },
  ]);
  db.registerCollection('pairs', PAIR_FIELDS, { paths: ['a', 'b'] }, [
    { name: 'ix_v', path: 'v', kind: 'index' },
  ]);
  db.transaction(() => {
    for (let i = 0; i < n; i++) {
      db.insert('items', {
        id: i,
        grp: i % 7 === 0 ? null : `g${i % 5}`,
        n: i * 3,
        meta: { tag: i % 11 === 0 ? null : `t${i % 4}` },
      });
      db.insert('users', {
        email: `u${scramble(i)}@x.org`,
        name: `n${i}`,
        age: i % 13 === 0 ? null : i % 90,
      });
      if (i % 3 === 0) db.insert('pairs', { a: `p${i % 17}`, b: i, v: `v${i % 6}` });
    }
  });
  db.transaction(() => {
    for (let i = 0; i < n; i += 4) db.delete('items', i);
    for (let i = 1; i < n; i += 9) db.delete('users', `u${scramble(i)}@x.org`);
    // Updates: the new rows are written after the old ones, which become garbage.
    for (let i = 2; i < n; i += 5)
      db.insert('items', { id: i, grp: 'updated', n: i * 3, meta: { tag: `u${i % 3}` } });
    for (let i = 3; i < n; i += 10)
      db.insert('users', { email: `u${scramble(i)}@x.org`, name: `renamed${i}`, age: 1 });
  });
}

const state = (db: Database): string => canon(dumpState(db.storage));

/** What the query layer answers: scans, index equality and ranges (typed API and SQL). */
function answers(file: string): unknown[] {
  const conn = connect(file, { readOnly: true });
  const cur = conn.cursor();
  const sql = (q: string, p: unknown[] = []): unknown[] => cur.execute(q, p).fetchAll();
  const out = [
    sql("SELECT id FROM items WHERE grp = 'g2' ORDER BY id"),
    sql('SELECT id, n FROM items WHERE n BETWEEN 300 AND 900 ORDER BY n DESC'),
    sql("SELECT id FROM items WHERE meta.tag = 't1' AND grp = 'g1' ORDER BY id"),
    sql("SELECT count(*) FROM items WHERE grp = 'updated'"),
    sql('SELECT email, name FROM users WHERE age > 80 ORDER BY email'),
    sql("SELECT email FROM users WHERE email >= 'u5' ORDER BY email LIMIT 20"),
    sql("SELECT a, b FROM pairs WHERE v = 'v2' ORDER BY a, b"),
    sql('SELECT count(*) FROM empty'),
  ];
  conn.close();
  return out;
}

/** Constraints after compaction: unique keys, the composite primary key, deleted rows gone. */
function checkConstraints(db: Database, n: number): void {
  expect(() => db.insert('items', { id: n + 1, grp: null, n: 3, meta: { tag: null } })).toThrow(
    IntegrityError,
  );
  expect(() => db.insert('pairs', { a: 'p3', b: 3, v: 'x' }, { onConflict: 'abort' })).toThrow(
    IntegrityError,
  );
  expect(() => db.insert('empty', { k: 'a' }, { onConflict: 'abort' })).not.toThrow();
  expect(() => db.insert('empty', { k: 'a' }, { onConflict: 'abort' })).toThrow(IntegrityError);
  expect(db.get('items', 4)).toBeNull();
  expect(db.get('items', 7)).toEqual({ id: 7, grp: 'updated', n: 21, meta: { tag: 'u1' } });
  expect(db.get('users', `u${scramble(10)}@x.org`)).toBeNull();
  expect((db.get('users', `u${scramble(3)}@x.org`) as { name: string }).name).toBe('renamed3');
}

describe('compacted database equals the original', () => {
  type Start = 'live session' | 'reopened after a checkpoint' | 'reopened, log replayed';
  test.each<Start>(['live session', 'reopened after a checkpoint', 'reopened, log replayed'])(
    '%s: rows, index entries and answers survive compact() and reopen',
    (start) => {
      const n = 1500;
      const file = tmp.file();
      let db = Database.open(file);
      build(db, n);
      if (start !== 'live session') {
        if (start === 'reopened after a checkpoint') db.checkpoint();
        db.close();
        db = Database.open(file);
      }
      const before = state(db);
      const sizeBefore = fs.statSync(file).size;
      db.close();
      const queried = answers(file);
      db = Database.open(file);
      db.compact();
      expect(state(db)).toEqual(before);
      expect(fs.statSync(file).size).toBeLessThan(sizeBefore);
      db.close();
      expect(answers(file)).toEqual(queried);
      const again = Database.open(file);
      expect(again.storage.recoveryReport.usedCheckpoint).toBe(true);
      expect(state(again)).toEqual(before);
      checkConstraints(again, n);
      again.close();
    },
  );

  test('the copy is complete without its checkpoint: replaying its own log gives the same state', () => {
    const db = Database.openInMemory();
    build(db, 700);
    const before = state(db);
    const bytes = db.snapshotBytes();
    db.close();
    // Without the superblock that publishes the checkpoint, a reader replays the whole log.
    bytes.fill(0, SUPERBLOCK_OFFSETS[1], SUPERBLOCK_OFFSETS[1] + SUPERBLOCK_SIZE);
    const replayed = openBytes(bytes, { readOnly: true, recovery: 'autoTruncate' });
    expect(replayed.recoveryReport.usedCheckpoint).toBe(false);
    expect(canon(dumpState(replayed))).toEqual(before);
    replayed.close();
  });

  test('the copy holds each live row once and one checkpoint', () => {
    const db = Database.openInMemory();
    build(db, 600);
    const live = ['items', 'users', 'pairs'].reduce((sum, c) => sum + db.collection(c).count(), 0);
    const frames = listFrames(db.snapshotBytes());
    db.close();
    expect(frames.filter((f) => f.kind === FrameKind.RECORD_PUT)).toHaveLength(live);
    expect(frames.filter((f) => f.kind === FrameKind.RECORD_DELETE)).toHaveLength(0);
    expect(frames.filter((f) => f.kind === FrameKind.CHECKPOINT)).toHaveLength(1);
  });

  test('records go in transactions of ROWS_PER_TXN, so a reader replaying the copy holds one at a time', () => {
    const db = Database.openInMemory();
    db.registerCollection('k', [{ path: 'id', type: 'int64' }], 'id');
    const n = 2 * ROWS_PER_TXN + 123;
    db.transaction(() => {
      for (let i = 0; i < n; i++) db.insert('k', { id: i });
    });
    const frames = listFrames(db.snapshotBytes());
    db.close();
    const perTxn: number[] = [];
    for (const f of frames) {
      if (f.kind === FrameKind.TXN_BEGIN) perTxn.push(0);
      if (f.kind === FrameKind.RECORD_PUT) perTxn[perTxn.length - 1]++;
    }
    // The first transaction also carries the catalog entry (a data frame TXN_COMMIT counts).
    expect(perTxn).toEqual([ROWS_PER_TXN - 1, ROWS_PER_TXN, 124]);
  });

  test('an empty database and a database of empty collections compact', () => {
    const file = tmp.file();
    const db = Database.open(file);
    db.compact();
    expect(db.collectionNames()).toEqual([]);
    db.registerCollection('empty', [{ path: 'k', type: 'string' }], 'k', [
      { name: 'ux_k', path: 'k', kind: 'unique' },
    ]);
    db.registerCollection('empty2', ITEM_FIELDS, 'id', ITEM_INDEXES);
    db.compact();
    db.close();
    const again = Database.open(file);
    expect(again.collectionNames().sort()).toEqual(['empty', 'empty2']);
    again.insert('empty', { k: 'a' });
    expect(() => again.insert('empty', { k: 'a' }, { onConflict: 'abort' })).toThrow(IntegrityError);
    expect(again.collection('empty2').count()).toBe(0);
    again.close();
  });

  test('rows larger than the read window, between small ones, are copied whole', () => {
    const file = tmp.file();
    const db = Database.open(file);
    db.registerCollection(
      'blobs',
      [
        { path: 'id', type: 'int64' },
        { path: 'data', type: 'bytes' },
      ],
      'id',
    );
    const big = (i: number): Buffer => Buffer.alloc((5 << 20) + i * 1000, i);
    db.transaction(() => {
      for (let i = 0; i < 6; i++)
        db.insert('blobs', { id: i, data: i % 2 === 0 ? big(i) : Buffer.from([i]) });
    });
    db.delete('blobs', 2);
    db.compact();
    db.close();
    const again = Database.open(file);
    for (let i = 0; i < 6; i++) {
      const row = again.get('blobs', i) as { data: Buffer } | null;
      if (i === 2) expect(row).toBeNull();
      else
        expect(Buffer.compare(row?.data ?? Buffer.alloc(0), i % 2 === 0 ? big(i) : Buffer.from([i]))).toBe(0);
    }
    again.close();
  });

  test('a damaged live row stops the compaction with CORRUPT and leaves the file as it was', () => {
    const file = tmp.file();
    const db = Database.open(file);
    build(db, 200);
    const loc = db.storage.collection('items')?.pk.get(101) as number;
    db.checkpoint(); // so that opening the file reads no row
    db.close();
    const bytes = fs.readFileSync(file);
    bytes[loc + 30] ^= 0x55; // inside the payload: the checksum no longer holds
    fs.writeFileSync(file, bytes);
    const damaged = Database.open(file);
    expect(() => damaged.compact()).toThrow(FormatError);
    damaged.close();
    expect(fs.readFileSync(file).equals(bytes)).toBe(true);
    expect(fs.readdirSync(tmp.dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});

describe('SQL: schema versions, settings and constraints survive compaction', () => {
  function run(con: Connection, sql: string, params: unknown[] = []): unknown[][] {
    const cur = con.execute(sql, params);
    return cur.description ? (cur.fetchAll() as unknown[][]) : [];
  }

  const QUERIES = [
    'SELECT id, label, b FROM t ORDER BY id',
    'SELECT id FROM t WHERE b = 7 ORDER BY id',
    'SELECT id FROM t WHERE b > 7 ORDER BY b, id',
    "SELECT id, label FROM t WHERE label >= 'a1' ORDER BY label",
    'SELECT * FROM v ORDER BY 1',
    'SELECT k, w FROM d ORDER BY k',
    'SELECT k FROM d WHERE w = 2 ORDER BY k',
    'SELECT * FROM parent ORDER BY id',
    'SELECT * FROM child ORDER BY id',
    'PRAGMA user_version',
    'SELECT tbl, idx, stat FROM sqlite_stat1 ORDER BY tbl, idx',
  ];

  test.each(['compact', 'compactTo'])('%s keeps every answer, the sequence and the foreign keys', (how) => {
    const file = tmp.file();
    const con = connect(file);
    for (const sql of [
      'CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, a TEXT UNIQUE)',
      "INSERT INTO t (a) VALUES ('x1'), ('x2'), ('x3'), ('x4'), ('x5')",
      // Schema version 2: rows written before it are shorter and read b as its default.
      'ALTER TABLE t ADD COLUMN b INT DEFAULT 7',
      'CREATE INDEX t_b ON t (b)',
      "INSERT INTO t (a, b) VALUES ('y1', 7), ('y2', 8), ('y3', 9)",
      'ALTER TABLE t RENAME COLUMN a TO label',
      "UPDATE t SET label = 'a' || id WHERE id % 2 = 0",
      'DELETE FROM t WHERE id = 8', // the largest key: the sequence must remember it
      // DROP COLUMN moves the table to a new collection id with every row written again.
      'CREATE TABLE d (k INTEGER PRIMARY KEY, w INT, gone TEXT)',
      "INSERT INTO d VALUES (1, 2, 'a'), (2, 3, 'b'), (3, 2, 'c')",
      'ALTER TABLE d DROP COLUMN gone',
      'CREATE INDEX d_w ON d (w)',
      'CREATE VIEW v AS SELECT id, label FROM t WHERE b = 7',
      'CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT)',
      'CREATE TABLE child (id INTEGER PRIMARY KEY, pid INT REFERENCES parent (id))',
      "INSERT INTO parent VALUES (1, 'p')",
      'INSERT INTO child VALUES (1, 1)',
      'PRAGMA user_version = 42',
      'ANALYZE',
    ])
      run(con, sql);
    con.commit();
    const before = QUERIES.map((q) => run(con, q));
    const versions = con.database.schemaVersions('t');
    expect(versions.length).toBeGreaterThan(1);
    // The index on the added column holds the old rows under its default.
    expect(before[1].map((r) => r[0])).toEqual([1, 2, 3, 4, 5, 6]);
    let target = file;
    if (how === 'compact') con.database.compact();
    else {
      target = tmp.file();
      con.database.compactTo(target);
    }
    con.close();
    const after = connect(target);
    expect(QUERIES.map((q) => run(after, q))).toEqual(before);
    expect(after.database.schemaVersions('t')).toEqual(versions);
    expect(run(after, "INSERT INTO t (label) VALUES ('z') RETURNING id")).toEqual([[9]]);
    expect(() => run(after, "INSERT INTO t (label) VALUES ('x1')")).toThrow(IntegrityError);
    run(after, 'PRAGMA foreign_keys = ON');
    expect(() => run(after, 'INSERT INTO child VALUES (2, 99)')).toThrow(IntegrityError);
    after.close();
  });
});

describe('property: random workloads compact to a database equal to a model', () => {
  type Op =
    | { kind: 'put'; id: number; grp: number; tag: number | null }
    | { kind: 'del'; id: number }
    | { kind: 'putUser'; key: number; age: number }
    | { kind: 'delUser'; key: number }
    | { kind: 'checkpoint' };
  const op: fc.Arbitrary<Op> = fc.oneof(
    {
      weight: 6,
      arbitrary: fc.record({
        kind: fc.constant('put' as const),
        id: fc.integer({ min: 0, max: 150 }),
        grp: fc.integer({ min: 0, max: 4 }),
        tag: fc.option(fc.integer({ min: 0, max: 3 })),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({ kind: fc.constant('del' as const), id: fc.integer({ min: 0, max: 150 }) }),
    },
    {
      weight: 4,
      arbitrary: fc.record({
        kind: fc.constant('putUser' as const),
        key: fc.integer({ min: 0, max: 80 }),
        age: fc.integer({ min: 0, max: 9 }),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({ kind: fc.constant('delUser' as const), key: fc.integer({ min: 0, max: 80 }) }),
    },
    { weight: 1, arbitrary: fc.constant({ kind: 'checkpoint' as const }) },
  );
  type ItemRow = { id: number; grp: string; n: number; meta: { tag: string | null } };
  type UserRow = { email: string; name: string; age: number | null };

  function check(db: Database, items: Map<number, ItemRow>, users: Map<string, UserRow>): void {
    const byId = [...items.values()].sort((a, b) => a.id - b.id);
    expect(db.collection('items').orderBy('id').all()).toEqual(byId);
    for (let g = 0; g < 5; g++)
      expect(db.collection('items').where('grp', '=', `g${g}`).orderBy('id').all()).toEqual(
        byId.filter((r) => r.grp === `g${g}`),
      );
    expect(db.collection('items').where('meta.tag', 'isNull').orderBy('id').all()).toEqual(
      byId.filter((r) => r.meta.tag === null),
    );
    expect(db.collection('items').where('n', '>=', 200).orderBy('n', 'desc').all()).toEqual(
      byId.filter((r) => r.n >= 200).reverse(),
    );
    const byEmail = [...users.values()].sort((a, b) => (a.email < b.email ? -1 : a.email > b.email ? 1 : 0));
    expect(db.collection('users').orderBy('email').all()).toEqual(byEmail);
    expect(db.collection('users').where('age', 'between', [3, 6]).orderBy('email').all()).toEqual(
      byEmail.filter((r) => r.age !== null && r.age >= 3 && r.age <= 6),
    );
    for (const r of byId.slice(0, 5))
      expect(() => db.insert('items', { ...r, id: 10_000 + r.id }, { onConflict: 'abort' })).toThrow(
        IntegrityError,
      );
  }

  function apply(
    db: Database,
    run: readonly Op[],
    items: Map<number, ItemRow>,
    users: Map<string, UserRow>,
  ): void {
    for (const o of run) {
      if (o.kind === 'put') {
        // n is unique: derived from the id.
        const row = {
          id: o.id,
          grp: `g${o.grp}`,
          n: o.id * 2,
          meta: { tag: o.tag === null ? null : `t${o.tag}` },
        };
        db.insert('items', row);
        items.set(o.id, row);
      } else if (o.kind === 'del') {
        db.delete('items', o.id);
        items.delete(o.id);
      } else if (o.kind === 'putUser') {
        const email = `u${scramble(o.key)}@x`;
        const row = { email, name: `n${o.key}`, age: o.age === 0 ? null : o.age };
        db.insert('users', row);
        users.set(email, row);
      } else if (o.kind === 'delUser') {
        const email = `u${scramble(o.key)}@x`;
        db.delete('users', email);
        users.delete(email);
      }
    }
  }

  test('compact() (in place), compactTo and snapshotBytes, then reopen', () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 250 }), fc.constantFrom(0, 1, 2), (ops, how) => {
        const file = tmp.file();
        const db = Database.open(file);
        db.registerCollection('items', ITEM_FIELDS, 'id', ITEM_INDEXES);
        db.registerCollection('users', USER_FIELDS, 'email', USER_INDEXES);
        const items = new Map<number, ItemRow>();
        const users = new Map<string, UserRow>();
        // One transaction per run of operations between checkpoints.
        const runs: Op[][] = [[]];
        for (const o of ops) {
          if (o.kind === 'checkpoint') runs.push([]);
          else runs[runs.length - 1].push(o);
        }
        runs.forEach((run, i) => {
          if (i > 0) db.checkpoint();
          if (run.length === 0) return;
          db.transaction(() => apply(db, run, items, users));
        });
        const before = state(db);
        let compacted: Database;
        if (how === 0) {
          db.compact();
          compacted = db;
        } else if (how === 1) {
          const dest = tmp.file();
          db.compactTo(dest);
          db.close();
          compacted = Database.open(dest);
        } else {
          const bytes = db.snapshotBytes();
          db.close();
          compacted = Database.openSnapshotBytes(bytes);
        }
        expect(state(compacted)).toEqual(before);
        check(compacted, items, users);
        if (how !== 2) {
          const path = compacted.storage.path as string;
          compacted.close();
          compacted = Database.open(path);
          expect(state(compacted)).toEqual(before);
          check(compacted, items, users);
        }
        compacted.close();
      }),
      { numRuns: 30, seed: 15 },
    );
  });
});

describe('work counted: no per-row tree operation, no row decode', () => {
  /** Calls of every point operation on any tree, and of the engine's row read/write paths. */
  function countCalls(run: () => void): number {
    const spies = [
      jest.spyOn(BTree.prototype, 'set'),
      jest.spyOn(BTree.prototype, 'add'),
      jest.spyOn(BTree.prototype, 'addProbed'),
      jest.spyOn(BTree.prototype, 'probe'),
      jest.spyOn(BTree.prototype, 'delete'),
      jest.spyOn(BTree.prototype, 'get'),
      jest.spyOn(BTreeReader.prototype, 'get'),
      jest.spyOn(Engine.prototype, 'putRow'),
      jest.spyOn(Engine.prototype, 'readRow'),
    ];
    try {
      run();
      return spies.reduce((sum, s) => sum + s.mock.calls.length, 0);
    } finally {
      for (const s of spies) s.mockRestore();
    }
  }

  function built(n: number, checkpointed: boolean): Database {
    const file = tmp.file();
    let db = Database.open(file);
    build(db, n);
    if (checkpointed) {
      db.close();
      db = Database.open(file);
    }
    return db;
  }

  test.each([false, true])(
    'reopened first: %s — zero tree inserts or lookups at 400 and at 4,000 rows',
    (reopened) => {
      for (const n of [400, 4000]) {
        const db = built(n, reopened);
        let copied = 0;
        const calls = countCalls(() => {
          const stats = writeCompactedCopy(db.storage.committedView(), new MemoryStore());
          copied = stats.rows;
          // One sequential pass: each byte of the file (its reserved tail included) read at most once.
          expect(stats.sourceBytesRead).toBeLessThanOrEqual(fs.statSync(db.storage.path as string).size);
          db.compact();
        });
        expect(calls).toBe(0);
        expect(copied).toBe(
          ['items', 'users', 'pairs'].reduce((sum, c) => sum + db.collection(c).count(), 0),
        );
        db.close();
      }
    },
  );

  test('the per-row copy it replaced would have counted one insert per row and index (the counter sees them)', () => {
    const db = built(50, false);
    const calls = countCalls(() =>
      db.insert('items', { id: 10_001, grp: 'a', n: 30_001, meta: { tag: null } }),
    );
    expect(calls).toBeGreaterThan(ITEM_INDEXES.length);
    db.close();
  });
});

describe('openBytes of a compacted copy', () => {
  test('an engine opens the bytes writeCompactedCopy wrote and reads every row', () => {
    const db = Database.openInMemory();
    build(db, 300);
    const out = new MemoryStore();
    const { bytes } = writeCompactedCopy(db.storage.committedView(), out);
    const copy = openBytes(readExact(out, 0, bytes) as Buffer, { readOnly: true });
    expect(canon(dumpState(copy))).toEqual(state(db));
    copy.close();
    db.close();
  });
});
