/**
 * Composite (multi-column) indexes through the storage layer: tuple keys survive checkpoints
 * (packed layout 2 and array layout 1), lazy index building, replay without a checkpoint, a torn
 * tail cut by recovery, and compaction; uniqueness holds over the tuple with NULLs distinct.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Database, IntegrityError, SchemaError } from '../../src/index';
import { connect } from '../../cursor/index';
import { tmpDir } from '../helpers/tmp';
import { canon, dumpState, openBytes } from '../helpers/engine-util';
import { Engine } from '../../storage/engine';
import { MemoryStore } from '../../storage/memory-store';
import { normalizeCollection } from '../../storage/schema/normalize';
import { FRAME_HEADER_SIZE } from '../../storage/format';

const FIELDS = [
  { path: 'id', type: 'int64' as const },
  { path: 'grp', type: { optional: 'string' as const } },
  { path: 'n', type: 'int64' as const },
  { path: ['meta', 'tag'], type: { optional: 'string' as const } },
];
const INDEXES = [
  { name: 'ix_grp_tag', paths: ['grp', 'meta.tag'], kind: 'index' as const },
  { name: 'ux_tag_n', paths: [['meta', 'tag'], 'n'], kind: 'unique' as const },
  { name: 'ix_n_grp', paths: ['n', 'grp'], desc: [false, true], kind: 'index' as const },
];

type Item = {
  id: number;
  grp: string | null;
  n: number;
  meta: { tag: string | null };
};

function item(i: number): Item {
  return {
    id: i,
    grp: i % 7 === 0 ? null : `g${i % 3}`,
    n: Math.floor(i / 4),
    meta: { tag: i % 11 === 0 ? null : `t${i % 4}` },
  };
}

/** Index entries of every collection, for comparing a reopened file with the state before. */
function indexDump(db: Database): string {
  return canon(dumpState(db.storage));
}

/** What the planner answers through the composite indexes, checked against a filter in JS. */
function checkQueries(file: string, expectedIds: readonly number[]): void {
  const conn = connect(file, { autocommit: true });
  const rows = expectedIds.map(item);
  const ids = (sql: string, params: unknown[] = []): number[] =>
    (conn.cursor().execute(sql, params).fetchAll() as unknown[][]).map((r) => Number(r[0]));
  const plan = (sql: string): string =>
    (conn.cursor().execute(`EXPLAIN ${sql}`).fetchAll() as unknown[][]).map((r) => String(r[0])).join('\n');
  const sorted = (xs: Item[]): number[] => xs.map((r) => r.id).sort((a, b) => a - b);
  const q1 = "SELECT id FROM items WHERE grp = 'g1' AND meta.tag = 't2' ORDER BY id";
  expect(plan(q1)).toContain("ix_grp_tag (grp, meta.tag) (grp='g1' AND meta.tag='t2')");
  expect(ids(q1)).toEqual(sorted(rows.filter((r) => r.grp === 'g1' && r.meta.tag === 't2')));
  const q2 = "SELECT id FROM items WHERE meta.tag = 't1' AND n >= 10 AND n < 20 ORDER BY id";
  expect(plan(q2)).toContain('ux_tag_n');
  expect(ids(q2)).toEqual(sorted(rows.filter((r) => r.meta.tag === 't1' && r.n >= 10 && r.n < 20)));
  const q3 = 'SELECT id FROM items WHERE grp IS NULL ORDER BY id';
  expect(ids(q3)).toEqual(sorted(rows.filter((r) => r.grp === null)));
  // The mixed-direction tree answers ORDER BY n, grp DESC by walking it (NULLs last within n).
  const q4 = 'SELECT id FROM items WHERE n >= 20 AND n < 40 ORDER BY n, grp DESC';
  expect(plan(q4)).toContain('ix_n_grp (n, grp DESC) (n>=20 AND n<40)');
  expect(plan(q4)).not.toContain('Sort');
  const byMixed = rows
    .filter((r) => r.n >= 20 && r.n < 40)
    .sort(
      (x, y) =>
        x.n - y.n ||
        (x.grp === y.grp ? x.id - y.id : x.grp === null ? 1 : y.grp === null ? -1 : x.grp < y.grp ? 1 : -1),
    );
  expect(ids(q4)).toEqual(byMixed.map((r) => r.id));
  conn.close();
}

describe('composite indexes in the file', () => {
  const tmp = tmpDir();
  afterAll(() => tmp.cleanup());

  function build(file: string, count: number): number[] {
    const db = Database.open(file);
    db.registerCollection('items', FIELDS, 'id', INDEXES);
    db.transaction(() => {
      for (let i = 0; i < count; i++) db.insert('items', item(i));
    });
    // Deletes and replacements so replay has superseded entries to take out of the trees.
    db.transaction(() => {
      for (let i = 0; i < count; i += 5) db.delete('items', i);
      for (let i = 1; i < count; i += 9) db.insert('items', item(i));
    });
    db.close();
    return Array.from({ length: count }, (_, i) => i).filter((i) => i % 5 !== 0 || i % 9 === 1);
  }

  test('replay, checkpoint (packed, built lazily) and compaction keep every entry and answer', () => {
    const file = tmp.file();
    const ids = build(file, 400);
    const db = Database.open(file);
    const before = indexDump(db);
    db.checkpoint();
    db.close();
    const reopened = Database.open(file);
    expect((reopened.storage.collection('items')?.indexes ?? []).map((ix) => ix.loaded)).toEqual([
      false,
      false,
      false,
    ]);
    expect(indexDump(reopened)).toEqual(before);
    reopened.compact();
    reopened.close();
    const compacted = Database.open(file);
    expect(indexDump(compacted)).toEqual(before);
    compacted.close();
    checkQueries(file, ids);
  });

  test('a torn last transaction is cut; the composite indexes hold exactly the committed rows', () => {
    const file = tmp.file();
    const ids = build(file, 120);
    const db = Database.open(file);
    const before = indexDump(db);
    db.insert('items', item(1000));
    db.close();
    const bytes = fs.readFileSync(file);
    const engine = openBytes(bytes.subarray(0, bytes.length - 3), { recovery: 'autoTruncate' });
    expect(canon(dumpState(engine))).toEqual(before);
    engine.close();
    checkQueries(file, [...ids, 1000]);
  });

  test('unique over the tuple: a whole-key clash is refused, NULL columns never clash', () => {
    const db = Database.openInMemory();
    db.registerCollection('items', FIELDS, 'id', INDEXES);
    db.insert('items', { id: 1, grp: 'a', n: 1, meta: { tag: 'x' } });
    db.insert('items', { id: 2, grp: 'a', n: 2, meta: { tag: 'x' } });
    db.insert('items', { id: 3, grp: 'a', n: 1, meta: { tag: null } });
    db.insert('items', { id: 4, grp: 'a', n: 1, meta: { tag: null } });
    expect(() => db.insert('items', { id: 5, grp: 'b', n: 1, meta: { tag: 'x' } })).toThrow(
      new IntegrityError('UNIQUE constraint failed: items.meta.tag, items.n', 'UNIQUE'),
    );
    db.close();
  });

  test('a file whose layout-1 checkpoint holds tuple keys reopens (format 1.0 files)', () => {
    const src = path.join(__dirname, '..', '..', 'fixtures', 'format', 'v1.0', 'all-types.modelvault');
    const file = tmp.file();
    fs.copyFileSync(src, file);
    const conn = connect(file, { autocommit: true });
    conn.execute('CREATE INDEX ix_composite ON users (address.city, big DESC, blob)');
    conn.execute('CREATE UNIQUE INDEX ux_composite ON users (profile.timezone, name)');
    conn.close();
    const again = Database.open(file);
    const before = indexDump(again);
    again.checkpoint();
    again.close();
    const header = fs.readFileSync(file).subarray(8, 12);
    expect(header.readUInt16LE(2)).toBe(0); // still a 1.0 file: the checkpoint was layout 1
    const last = Database.open(file);
    expect(indexDump(last)).toEqual(before);
    last.close();
  });

  test('descriptor mistakes are SchemaErrors', () => {
    const db = Database.openInMemory();
    const bad = (ix: unknown): unknown =>
      db.registerCollection('x', FIELDS, 'id', [ix] as unknown as typeof INDEXES);
    expect(() => bad({ name: 'i', kind: 'index' })).toThrow(SchemaError);
    expect(() => bad({ name: 'i', path: 'n', paths: ['n', 'grp'], kind: 'index' })).toThrow(
      'give exactly one of path',
    );
    expect(() => bad({ name: 'i', paths: [], kind: 'index' })).toThrow('non-empty');
    expect(() => bad({ name: 'i', paths: ['n', 'n'], kind: 'index' })).toThrow('appears twice');
    expect(() => bad({ name: 'i', paths: ['n', 'meta'], kind: 'index' })).toThrow('not a scalar');
    expect(() => bad({ name: 'i', paths: ['n', 'grp'], desc: [true], kind: 'index' })).toThrow(
      'one per entry of paths',
    );
    expect(() => bad({ name: 'i', path: 'n', desc: [true], kind: 'index' })).toThrow(
      'one per entry of paths',
    );
    // One direction for every column is the ascending tree walked backwards: stored without desc,
    // the declaration kept as `descending` (docs/format.md).
    db.registerCollection('z', FIELDS, 'id', [
      { name: 'all_desc', paths: ['n', 'grp'], desc: [true, true], kind: 'index' },
    ]);
    expect(db.storage.collection('z')?.meta.schema.indexes[0]).toEqual({
      name: 'all_desc',
      path: [['n'], ['grp']],
      kind: 'index',
      descending: true,
    });
    // primaryKey: an array stays one nested path; naming two fields points at { paths }.
    expect(() => db.registerCollection('y', FIELDS, ['id', 'n'])).toThrow(
      "a key over several fields is { paths: ['id', 'n'] }",
    );
    db.close();
  });

  test('an unreadable superseded row in replay: the composite indexes are rebuilt from the live rows', () => {
    const schema = normalizeCollection('items', FIELDS, 'id', INDEXES);
    const engine = Engine.openMemory(undefined, { checkpointEveryBytes: 0 });
    engine.begin();
    engine.registerCollection(schema);
    engine.commit();
    const state = engine.collection('items');
    if (!state) throw new Error('items collection missing');
    engine.begin();
    for (let i = 0; i < 40; i++) engine.putRow(state, state.compiled.toRow(item(i)));
    engine.commit();
    const old = state.pk.get(3) as number;
    engine.checkpoint();
    engine.begin();
    // Row 3 moves to other keys in both indexes; replay must take its old entries out.
    engine.putRow(state, state.compiled.toRow({ ...item(3), grp: 'zz', n: 999 }));
    engine.deleteRow(state, 4);
    engine.commit();
    const bytes = Buffer.from(engine.bytes());
    const expected = canon(dumpState(engine));
    engine.close();
    bytes[old + FRAME_HEADER_SIZE + 4] ^= 0x10;
    const reopened = Engine.openStore(new MemoryStore(bytes), { recovery: 'strict' });
    expect(reopened.recoveryReport.rebuiltIndexes).toEqual(['items']);
    expect(canon(dumpState(reopened))).toBe(expected);
    reopened.close();
  });
});

describe('composite primary keys in the typed API', () => {
  const tmp = tmpDir();
  afterAll(() => tmp.cleanup());
  const SCORE_FIELDS = [
    { path: 'player', type: 'string' as const },
    { path: 'level', type: 'int64' as const },
    { path: 'score', type: 'int64' as const },
  ];

  test('insert replaces by the whole key, get and delete take the key as an array, across reopen', () => {
    const file = tmp.file();
    const db = Database.open(file);
    db.registerCollection('scores', SCORE_FIELDS, { paths: ['player', 'level'] });
    expect(db.insert('scores', { player: 'ann', level: 1, score: 10 })).toBe('inserted');
    expect(db.insert('scores', { player: 'ann', level: 2, score: 20 })).toBe('inserted');
    expect(db.insert('scores', { player: 'bob', level: 1, score: 30 })).toBe('inserted');
    expect(db.insert('scores', { player: 'ann', level: 1, score: 11 })).toBe('replaced');
    expect(db.get('scores', ['ann', 1])).toEqual({ player: 'ann', level: 1, score: 11, __rowid: 1 });
    expect(db.get('scores', ['ann', 3])).toBeNull();
    expect(db.delete('scores', ['bob', 1])).toBe(true);
    expect(db.delete('scores', ['bob', 1])).toBe(false);
    expect(() => db.get('scores', 'ann')).toThrow('pass an array of 2 values (player, level)');
    expect(db.collection('scores').where('player', 'ann').orderBy('level').explain()).toContain(
      'scores_pk (player, level) (player=',
    );
    db.close();
    const again = Database.open(file);
    expect(again.get('scores', ['ann', 2])).toEqual({ player: 'ann', level: 2, score: 20, __rowid: 2 });
    expect(again.storage.collection('scores')?.meta.schema.keyIndex).toBe('scores_pk');
    again.close();
    // SQL sees a table whose key is (player, level): conflicts, UPSERT targets, no DROP of its index.
    const conn = connect(file, { autocommit: true });
    expect(() => conn.execute("INSERT INTO scores (player, level, score) VALUES ('ann', 2, 0)")).toThrow(
      'UNIQUE constraint failed: scores.player, scores.level',
    );
    conn.execute(
      "INSERT INTO scores (player, level, score) VALUES ('ann', 2, 5) ON CONFLICT (level, player) DO UPDATE SET score = score + excluded.score",
    );
    expect(
      conn.cursor().execute("SELECT score FROM scores WHERE player = 'ann' AND level = 2").fetchAll(),
    ).toEqual([[25]]);
    expect(() => conn.execute('DROP INDEX scores_pk')).toThrow(SchemaError);
    conn.execute('CREATE INDEX by_score ON scores (score)');
    conn.execute('ALTER TABLE scores ADD COLUMN note TEXT');
    conn.close();
    const last = Database.open(file);
    expect(last.get('scores', ['ann', 2])).toEqual({
      player: 'ann',
      level: 2,
      score: 25,
      __rowid: 2,
      note: null,
    });
    last.close();
  });

  test('a SQL PRIMARY KEY (a, b) table answers typed get and delete by key', () => {
    const file = tmp.file();
    const conn = connect(file, { autocommit: true });
    conn.execute('CREATE TABLE pairs (a INTEGER, b TEXT, v INTEGER, PRIMARY KEY (a, b))');
    conn.execute("INSERT INTO pairs VALUES (1, 'x', 10), (1, 'y', 20)");
    conn.close();
    const db = Database.open(file);
    expect(db.get('pairs', [1, 'y'])).toMatchObject({ a: 1, b: 'y', v: 20 });
    expect(db.insert('pairs', { a: 1, b: 'y', v: 21 })).toBe('replaced');
    expect(db.insert('pairs', { a: 2, b: 'x', v: 30 })).toBe('inserted');
    expect(db.delete('pairs', [1, 'x'])).toBe(true);
    expect(
      db
        .collection('pairs')
        .all()
        .map((r) => [r.a, r.b, r.v]),
    ).toEqual([
      [1, 'y', 21],
      [2, 'x', 30],
    ]);
    db.close();
  });

  test('declaration mistakes', () => {
    const db = Database.openInMemory();
    expect(() => db.registerCollection('s', SCORE_FIELDS, { paths: [] })).toThrow('non-empty');
    expect(() => db.registerCollection('s', SCORE_FIELDS, { paths: ['player', 'nope'] })).toThrow(
      SchemaError,
    );
    expect(() => db.registerCollection('s', SCORE_FIELDS, { paths: ['player', 'player'] })).toThrow(
      'appears twice',
    );
    expect(() =>
      db.registerCollection('s', [...SCORE_FIELDS, { path: '__rowid', type: 'int64' as const }], {
        paths: ['player', 'level'],
      }),
    ).toThrow('reserved');
    // One path is a plain primary key.
    db.registerCollection('one', SCORE_FIELDS, { paths: ['player'] });
    expect(db.storage.collection('one')?.meta.schema.primaryKey).toEqual(['player']);
    db.close();
  });
});
