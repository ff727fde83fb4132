/**
 * Inserts through unique indexes with keys in random order (issue 15): each unique index is
 * checked and written in one descent (BTree.probe + addProbed), counted here as work, not time;
 * and the errors, their wording and statement rollback stay SQLite's, against better-sqlite3.
 */
import BetterSqlite3 from 'better-sqlite3';
import fc from 'fast-check';
import { connect } from '../../src/index';
import { Engine } from '../../storage/engine';
import { normalizeCollection } from '../../storage/schema/normalize';
import { canon, dumpState } from '../helpers/engine-util';

/** A key in random text order, as application keys (UUIDs, e-mail addresses) arrive. */
function randomKey(i: number): string {
  const x = Math.imul(i ^ 0x5bd1e995, 0x27d4eb2f) >>> 0;
  return `k-${x.toString(16).padStart(8, '0')}-${i}`;
}

describe('unique inserts descend each index once', () => {
  const schema = normalizeCollection(
    'items',
    [
      { path: 'id', type: 'int64' },
      { path: 'sku', type: 'string' },
      { path: 'uuid', type: 'string' },
      { path: 'qty', type: 'int64' },
    ],
    'id',
    [
      { name: 'items_sku', path: 'sku', kind: 'unique' },
      { name: 'items_uuid', path: 'uuid', kind: 'unique' },
      { name: 'items_qty', path: 'qty', kind: 'index' },
    ],
  );

  function setup(): { engine: Engine; state: NonNullable<ReturnType<Engine['collection']>> } {
    const engine = Engine.openMemory(undefined, { checkpointEveryBytes: 0 });
    engine.begin();
    engine.registerCollection(schema);
    engine.commit();
    const state = engine.collection('items');
    if (!state) throw new Error('items collection missing');
    return { engine, state };
  }

  const row = (i: number): Record<string, unknown> => ({
    id: i,
    sku: randomKey(i),
    uuid: randomKey(i * 7 + 3),
    qty: i % 13,
  });

  test('into a large index: one descent per row in each unique index, until its key filter answers', () => {
    const { engine, state } = setup();
    const rows = 5000;
    engine.begin();
    // Enough rows first that the trees are several levels deep.
    for (let i = 1; i <= rows; i++) engine.putRow(state, state.compiled.toRow(row(i)));
    engine.commit();
    const before = state.indexes.map((ix) => ix.tree.descents);
    const more = 2000;
    // An eighth of the index's size in new keys: still below the filter's threshold.
    const first = 600;
    engine.begin();
    for (let i = rows + 1; i <= rows + first; i++) engine.putRow(state, state.compiled.toRow(row(i)));
    const descents = state.indexes.map((ix, i) => ix.tree.descents - before[i]);
    // items_sku and items_uuid: one probe each, no second descent for the add. Random keys miss
    // the rightmost-leaf shortcut, so every row takes exactly one.
    expect(descents[0]).toBe(first);
    expect(descents[1]).toBe(first);
    // The non-unique index is only added to: one descent, or none on its append path.
    expect(descents[2]).toBeLessThanOrEqual(first);
    // A large non-unique index takes 64 entries one by one, then stages the rest of the load.
    expect(state.indexes.map((ix) => ix.tree.stagedCount)).toEqual([0, 0, first - 64]);
    // Past the threshold each unique index builds its key filter (storage/key-filter.ts): a new
    // key then costs a hash, and its entry waits in the staged run for the commit's sorted merge.
    const mid = state.indexes.map((ix) => ix.tree.descents);
    for (let i = rows + first + 1; i <= rows + more; i++) engine.putRow(state, state.compiled.toRow(row(i)));
    const later = state.indexes.map((ix, i) => ix.tree.descents - mid[i]);
    // The filter is built once the absent descents pass an eighth of the entries (~5,700 / 8,
    // 100 more than `first`); the 64 adds after it go in at once (a bulk load stages only past
    // 64 adds with no read between: BTree.bulkAdding), one descent each; after that only the
    // filter's false positives descend (about 1 % at most).
    expect(later[0]).toBeGreaterThanOrEqual(100 + 64);
    expect(later[0]).toBeLessThan(100 + 64 + 60);
    expect(later[1]).toBeLessThan(100 + 64 + 60);
    expect(state.indexes[0].tree.stagedCount).toBeGreaterThan(more - first - 224);
    expect(state.indexes[1].tree.stagedCount).toBeGreaterThan(more - first - 224);
    engine.commit();
    expect(state.indexes.map((ix) => ix.tree.stagedCount)).toEqual([0, 0, 0]);
    for (const ix of state.indexes) expect(ix.tree.toArrays().keys.length).toBe(rows + more);
    // Reopening rebuilds every tree from the log: the same content.
    const expected = canon(dumpState(engine));
    const bytes = Buffer.from(engine.bytes());
    engine.close();
    const reopened = Engine.openMemory(bytes);
    expect(canon(dumpState(reopened))).toBe(expected);
    reopened.close();
  });

  test('into an empty index: rows are staged, no second descent, and one sorted merge at commit', () => {
    const { engine, state } = setup();
    const rows = 5000;
    engine.begin();
    for (let i = 1; i <= rows; i++) engine.putRow(state, state.compiled.toRow(row(i)));
    // The first keys of each index went into the nodes; a later one began a run, which took
    // those entries along once it was as long as they were: all wait, unsorted, for a read or
    // the commit.
    expect(state.indexes[0].tree.stagedCount).toBe(rows);
    expect(state.indexes[1].tree.stagedCount).toBe(rows);
    // With the nodes empty a probe is one hash lookup: the few descents are the first rows' (the
    // count was one per row before the run took the nodes' entries along).
    for (const ix of state.indexes.slice(0, 2)) expect(ix.tree.descents).toBeLessThanOrEqual(5);
    // A duplicate among the staged keys is still refused, with SQLite's wording.
    expect(() =>
      engine.putRow(state, state.compiled.toRow({ ...row(rows + 1), uuid: randomKey(17 * 7 + 3) }), 'abort'),
    ).toThrow('UNIQUE constraint failed: items.uuid');
    engine.commit();
    expect(state.indexes.map((ix) => ix.tree.stagedCount)).toEqual([0, 0, 0]);
    const expected = canon(dumpState(engine));
    const bytes = Buffer.from(engine.bytes());
    engine.close();
    const reopened = Engine.openMemory(bytes);
    expect(canon(dumpState(reopened))).toBe(expected);
    reopened.close();
  });

  test('a run over a small committed index takes its entries along once as long as they are; snapshots keep theirs', () => {
    const { engine, state } = setup();
    engine.begin();
    for (let i = 1; i <= 300; i++) engine.putRow(state, state.compiled.toRow(row(i)));
    engine.commit();
    const committed = canon(dumpState(engine));
    const snap = state.indexes[1].tree.snapshot();
    const before = state.indexes.map((ix) => ix.tree.descents);
    engine.begin();
    for (let i = 301; i <= 3000; i++) engine.putRow(state, state.compiled.toRow(row(i)));
    // Each unique index's probes descended until its run was as long as the 300 committed
    // entries (a transaction of a few rows so leaves them in the nodes and inserts at commit);
    // then the run took them along, and no later probe descended.
    expect(state.indexes.slice(0, 2).map((ix, i) => ix.tree.descents - before[i])).toEqual([300, 300]);
    expect(state.indexes[1].tree.stagedCount).toBe(3000);
    // The 300 committed keys are still seen by the uniqueness check.
    expect(() =>
      engine.putRow(state, state.compiled.toRow({ ...row(4000), uuid: randomKey(5 * 7 + 3) }), 'abort'),
    ).toThrow('UNIQUE constraint failed: items.uuid');
    expect(snap.size).toBe(300);
    expect([...snap.entries()].map(([k]) => k)).toEqual(
      Array.from({ length: 300 }, (_, i) => randomKey((i + 1) * 7 + 3)).sort(),
    );
    engine.rollback();
    expect(canon(dumpState(engine))).toBe(committed);
    engine.begin();
    for (let i = 301; i <= 3000; i++) engine.putRow(state, state.compiled.toRow(row(i)));
    engine.commit();
    const expected = canon(dumpState(engine));
    const uuids = [...state.indexes[1].tree.entries()].map(([k]) => k);
    expect(uuids).toEqual(Array.from({ length: 3000 }, (_, i) => randomKey((i + 1) * 7 + 3)).sort());
    const reopened = Engine.openMemory(Buffer.from(engine.bytes()));
    expect(canon(dumpState(reopened))).toBe(expected);
    reopened.close();
    engine.close();
  });

  test('a clash costs one descent per unique index checked and changes nothing', () => {
    const { engine, state } = setup();
    engine.begin();
    for (let i = 1; i <= 500; i++)
      engine.putRow(state, state.compiled.toRow({ id: i, sku: randomKey(i), uuid: randomKey(-i), qty: 1 }));
    const expected = canon(dumpState(engine));
    const before = state.indexes.map((ix) => ix.tree.descents);
    // uuid (the later index, checked first) is new, sku clashes with row 17.
    expect(() =>
      engine.putRow(
        state,
        state.compiled.toRow({ id: 900, sku: randomKey(17), uuid: 'fresh', qty: 1 }),
        'abort',
      ),
    ).toThrow('UNIQUE constraint failed: items.sku');
    expect(state.indexes.map((ix, i) => ix.tree.descents - before[i])).toEqual([1, 1, 0]);
    expect(canon(dumpState(engine))).toBe(expected);
    // The probe left behind for 'fresh' still inserts it correctly on the next row.
    engine.putRow(state, state.compiled.toRow({ id: 901, sku: 'other', uuid: 'fresh', qty: 2 }), 'abort');
    expect(state.indexes[1].tree.get('fresh')).toBe(901);
    engine.commit();
    engine.close();
  });
});

describe('unique violations with random text keys, against better-sqlite3', () => {
  const DDL = 'CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT UNIQUE, b TEXT UNIQUE, n INTEGER)';
  const CHECK = 'SELECT id, a, b, n FROM t ORDER BY id';
  // A small key space, so that clashes on a, on b and on both are frequent.
  const key = fc.oneof(
    fc.integer({ min: 0, max: 40 }).map((i) => randomKey(i)),
    fc.constant(null),
  );
  const stmt = fc.array(fc.tuple(key, key), { minLength: 1, maxLength: 4 });

  test('multi-row INSERTs in one transaction: same error text at the same statement, same rows, same end state', () => {
    fc.assert(
      fc.property(fc.array(stmt, { minLength: 1, maxLength: 25 }), fc.boolean(), (stmts, commit) => {
        const sqlite = new BetterSqlite3(':memory:');
        const conn = connect(':memory:');
        try {
          sqlite.exec(DDL);
          conn.execute(DDL);
          conn.commit();
          sqlite.exec('BEGIN');
          const cur = conn.cursor();
          let n = 0;
          for (const rows of stmts) {
            const sql = `INSERT INTO t (a, b, n) VALUES ${rows.map(() => '(?, ?, ?)').join(', ')}`;
            const params = rows.flatMap(([a, b]) => [a, b, n++]);
            let want: string | null = null;
            let got: string | null = null;
            try {
              sqlite.prepare(sql).run(...params);
            } catch (err) {
              want = (err as Error).message;
            }
            try {
              cur.execute(sql, params);
            } catch (err) {
              got = (err as Error).message;
            }
            expect(got).toBe(want);
            expect(cur.execute(CHECK).fetchAll()).toEqual(sqlite.prepare(CHECK).raw(true).all());
          }
          if (commit) {
            sqlite.exec('COMMIT');
            conn.commit();
          } else {
            sqlite.exec('ROLLBACK');
            conn.rollback();
          }
          expect(conn.cursor().execute(CHECK).fetchAll()).toEqual(sqlite.prepare(CHECK).raw(true).all());
          // Lookups through each unique index agree with the rows.
          for (const col of ['a', 'b']) {
            const q = `SELECT id FROM t WHERE ${col} = ?`;
            for (let i = 0; i <= 40; i++)
              expect(
                conn
                  .cursor()
                  .execute(q, [randomKey(i)])
                  .fetchAll(),
              ).toEqual(sqlite.prepare(q).raw(true).all(randomKey(i)));
          }
        } finally {
          conn.close();
          sqlite.close();
        }
      }),
      { numRuns: 60, seed: 15 },
    );
  });
});
