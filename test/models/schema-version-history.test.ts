/**
 * Every schema version is recorded in the catalog with its time and kind of change (issue 16 item
 * 4): db.schemaVersions() lists them; the record survives reopen (replay), checkpoints of every
 * layout, compaction, snapshots and salvage; files written before it existed open with their
 * versions' times unknown; a malformed record is CORRUPT.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Database, FormatError, SchemaError, connect } from '../../src/index';
import type { FieldDescriptor, SchemaVersionInfo } from '../../src/index';
import { salvage } from '../../src/cli/salvage';
import { encodeHistory, readHistory } from '../../storage/schema-history';
import { CatalogOp, FrameKind } from '../../storage/format';
import { tmpDir } from '../helpers/tmp';

const tmp = tmpDir('mv-version-history-');
afterAll(() => tmp.cleanup());

const V1: FieldDescriptor[] = [
  { path: 'id', type: 'int64' },
  { path: 'name', type: 'string', constraints: [{ maxLength: 10 }] },
];
const V2: FieldDescriptor[] = [...V1, { path: 'nick', type: { optional: 'string' } }];
const V3: FieldDescriptor[] = [
  V1[0],
  { path: 'name', type: 'string', constraints: [{ maxLength: 5 }] },
  V2[2],
];
const V4: FieldDescriptor[] = [V1[0], V3[1]];

/** Registers v1, then a compatible, a needsMigration and a breaking version; returns when it started. */
function evolve(db: Database): number {
  const start = Date.now();
  db.registerCollection('u', V1, 'id', [{ name: 'u_name', path: 'name', kind: 'index' }]);
  db.insert('u', { id: 1, name: 'ann' });
  db.insert('u', { id: 2, name: 'bob' });
  db.registerSchemaVersion('u', { fields: V2 });
  db.registerSchemaVersion('u', { fields: V3 }, { force: true });
  db.registerSchemaVersion('u', { fields: V4 }, { force: true });
  return start;
}

const kinds = (list: SchemaVersionInfo[]): [number, string | null][] =>
  list.map((v) => [v.version, v.change]);
const EVOLVED: [number, string][] = [
  [1, 'create'],
  [2, 'compatible'],
  [3, 'needsMigration'],
  [4, 'breaking'],
];

function expectTimes(list: SchemaVersionInfo[], from: number, to: number): void {
  let last = from;
  for (const v of list) {
    expect(v.time).toBeInstanceOf(Date);
    const t = (v.time as Date).getTime();
    expect(t).toBeGreaterThanOrEqual(last);
    expect(t).toBeLessThanOrEqual(to);
    last = t;
  }
}

describe('recording', () => {
  test('each version has its number, time and kind of change, oldest first', () => {
    const db = Database.openInMemory();
    try {
      const start = evolve(db);
      const list = db.schemaVersions('u');
      expect(kinds(list)).toEqual(EVOLVED);
      expectTimes(list, start, Date.now());
      expect(db.rebuildIndexes('u')).toBe(1);
      expect(kinds(db.schemaVersions('u')).slice(4)).toEqual([
        [5, 'rebuildIndexes'],
        [6, 'rebuildIndexes'],
      ]);
      expect(() => db.schemaVersions('nope')).toThrow(
        expect.objectContaining({ name: 'SchemaError', code: 'NO_SUCH_COLLECTION' }),
      );
      expect(() => db.schemaVersions('nope')).toThrow(SchemaError);
    } finally {
      db.close();
    }
  });

  test('an unchanged version records nothing; a rolled-back one leaves no record', () => {
    const db = Database.openInMemory();
    try {
      db.registerCollection('u', V1, 'id');
      db.registerSchemaVersion('u', { fields: V1 });
      expect(kinds(db.schemaVersions('u'))).toEqual([[1, 'create']]);
      expect(() =>
        db.transaction(() => {
          db.registerSchemaVersion('u', { fields: V2 });
          expect(kinds(db.schemaVersions('u'))).toEqual([
            [1, 'create'],
            [2, 'compatible'],
          ]);
          throw new Error('undo');
        }),
      ).toThrow('undo');
      expect(kinds(db.schemaVersions('u'))).toEqual([[1, 'create']]);
    } finally {
      db.close();
    }
  });

  test('SQL: CREATE TABLE, ADD COLUMN, CREATE INDEX, RENAME and DROP COLUMN are versions too', () => {
    const conn = connect(':memory:', { autocommit: true });
    try {
      conn.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT)');
      conn.execute('ALTER TABLE t ADD COLUMN b INTEGER');
      conn.execute('CREATE INDEX t_b ON t (b)');
      conn.execute('DROP INDEX t_b');
      conn.execute('ALTER TABLE t RENAME COLUMN a TO c');
      conn.execute('ALTER TABLE t DROP COLUMN b');
      conn.execute('ALTER TABLE t RENAME TO s');
      const db = conn.database;
      expect(kinds(db.schemaVersions('s'))).toEqual([
        [1, 'create'],
        [2, 'compatible'],
        [3, 'compatible'],
        [4, 'compatible'],
        [5, 'breaking'],
        [6, 'breaking'],
        [7, 'breaking'],
      ]);
      // A table dropped and created again starts over.
      conn.execute('DROP TABLE s');
      conn.execute('CREATE TABLE s (id INTEGER PRIMARY KEY)');
      expect(kinds(db.schemaVersions('s'))).toEqual([[1, 'create']]);
    } finally {
      conn.close();
    }
  });
});

describe('durability', () => {
  const reopen = (file: string, check: (db: Database) => void, opts = {}): void => {
    const db = Database.open(file, { readOnly: true, recovery: 'strict', ...opts });
    try {
      check(db);
    } finally {
      db.close();
    }
  };

  test('survives reopen by replay, a checkpoint, versions after it, and compaction', () => {
    const file = tmp.file();
    const db = Database.open(file, { checkpointEveryBytes: 0 });
    const start = evolve(db);
    const recorded = db.schemaVersions('u');
    db.close();
    reopen(file, (r) => {
      expect(r.storage.recoveryReport.usedCheckpoint).toBe(false);
      expect(r.schemaVersions('u')).toEqual(recorded);
    });
    expectTimes(recorded, start, Date.now());

    const w = Database.open(file, { checkpointEveryBytes: 0 });
    w.checkpoint();
    w.registerSchemaVersion('u', { fields: [...V4, { path: 'x', type: { optional: 'int64' } }] });
    const more = w.schemaVersions('u');
    w.close();
    expect(kinds(more).at(-1)).toEqual([5, 'compatible']);
    reopen(file, (r) => {
      expect(r.storage.recoveryReport.usedCheckpoint).toBe(true);
      expect(r.storage.recoveryReport.replayedTransactions).toBeGreaterThan(0);
      expect(r.schemaVersions('u')).toEqual(more);
    });

    const c = Database.open(file);
    c.compact();
    c.close();
    reopen(file, (r) => {
      expect(r.storage.recoveryReport.replayedTransactions).toBe(0);
      expect(r.schemaVersions('u')).toEqual(more);
    });
  });

  test('survives compactTo, exportSnapshot, snapshot bytes and salvage', () => {
    const file = tmp.file();
    const db = Database.open(file);
    evolve(db);
    const recorded = db.schemaVersions('u');
    const copy = tmp.file();
    db.compactTo(copy);
    const bytes = db.snapshotBytes();
    db.close();
    reopen(copy, (r) => expect(r.schemaVersions('u')).toEqual(recorded));
    const snap = Database.openSnapshotBytes(bytes);
    try {
      expect(snap.schemaVersions('u')).toEqual(recorded);
    } finally {
      snap.close();
    }
    const saved = tmp.file();
    salvage(file, saved);
    reopen(saved, (r) => expect(r.schemaVersions('u')).toEqual(recorded));
  });
});

describe('files without a history', () => {
  /** The fixtures' notes collection (scripts/generate-format-fixtures.ts). */
  const NOTES: FieldDescriptor[] = [
    { path: 'key', type: 'string' },
    { path: 'body', type: { optional: 'string' } },
  ];
  const FIXTURES = path.join(__dirname, '..', '..', 'fixtures', 'format');

  test.each(['1.0', '1.1', '1.2'])('format %s fixture: versions listed with unknown times', (version) => {
    const file = tmp.file();
    fs.copyFileSync(path.join(FIXTURES, `v${version}`, 'all-types.modelvault'), file);
    const db = Database.open(file, { safeIntegers: true });
    try {
      expect(db.schemaVersions('users')).toEqual([{ version: 1, time: null, change: null }]);
      db.registerSchemaVersion('notes', {
        fields: [...NOTES, { path: 'extra', type: { optional: 'int64' } }],
      });
      db.checkpoint(); // in the fixture's own checkpoint layout
    } finally {
      db.close();
    }
    const again = Database.open(file, { readOnly: true, recovery: 'strict', safeIntegers: true });
    try {
      expect(again.schemaVersions('users')).toEqual([{ version: 1, time: null, change: null }]);
      const notes = again.schemaVersions('notes');
      expect(kinds(notes)).toEqual([
        [1, null],
        [2, 'compatible'],
      ]);
      expect(notes[0].time).toBeNull();
      expect(notes[1].time).toBeInstanceOf(Date);
    } finally {
      again.close();
    }
  });
});

describe('stored shape', () => {
  test('encode/read round trip and every malformed history refused', () => {
    const history = [
      { version: 1, time: 1_700_000_000_000, change: 'create' as const },
      { version: 3, time: 1_700_000_000_500, change: 'breaking' as const },
    ];
    expect(readHistory(encodeHistory(history), 3)).toEqual(history);
    for (const bad of [
      'x',
      [[1, 0]],
      [[0, 0, 'create']],
      [
        [2, 0, 'create'],
        [1, 0, 'compatible'],
      ],
      [[4, 0, 'create']], // past the entry's version
      [[1, 1.5, 'create']],
      [[1, 9e15, 'create']],
      [[1, 0, '']],
      [[1, 0, 7]],
    ])
      expect(readHistory(bad, 3)).toBeNull();
  });

  test('a PUT_COLLECTION with a malformed history is CORRUPT', () => {
    const file = tmp.file();
    const db = Database.open(file, { checkpointEveryBytes: 0 });
    db.registerCollection('u', V1, 'id');
    // Stage a catalog entry whose history names a version past its own, as a forged file would.
    db.transaction(() => {
      const engine = db.storage as unknown as {
        txn: unknown;
        stage(txn: unknown, kind: number, body: unknown): void;
      };
      const meta = db.storage.collection('u')!.meta;
      engine.stage(engine.txn, FrameKind.CATALOG, [
        CatalogOp.PUT_COLLECTION,
        meta.id,
        2,
        meta.schema,
        [[3, 0, 'x']],
      ]);
    });
    db.close();
    expect(() => Database.open(file, { readOnly: true })).toThrow(FormatError);
    expect(() => Database.open(file, { readOnly: true })).toThrow(/schema version history/);
  });
});
