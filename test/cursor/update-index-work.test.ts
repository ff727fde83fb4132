/**
 * UPDATE and UPSERT touch only the index entries whose key changes, and an UPSERT's conflict
 * check and its insert share one descent per unique index (issue 15: the bench's UPSERT). Work is
 * counted in descents, never timed; the results (rows, reads through each index, errors, after
 * commit and rollback) are compared with better-sqlite3.
 */
import BetterSqlite3 from 'better-sqlite3';
import fc from 'fast-check';
import { connect } from '../../src/index';
import type { Connection } from '../../src/index';
import { Engine } from '../../storage/engine';
import { dumpState, canon } from '../helpers/engine-util';

const DDL = [
  'CREATE TABLE items (id INTEGER PRIMARY KEY, sku TEXT UNIQUE, uuid TEXT UNIQUE, qty INTEGER, status TEXT, note TEXT)',
  'CREATE INDEX items_status ON items (status)',
  'CREATE INDEX items_qty ON items (qty)',
];
const INSERT = 'INSERT INTO items (id, sku, uuid, qty, status, note) VALUES (?, ?, ?, ?, ?, ?)';

/** Keys in random text order, so that no insert takes the rightmost-leaf shortcut. */
function key(prefix: string, i: number): string {
  return `${prefix}-${(Math.imul(i ^ 0x5bd1e995, 0x27d4eb2f) >>> 0).toString(16).padStart(8, '0')}-${i}`;
}

const row = (i: number): unknown[] => [
  i,
  key('s', i),
  key('u', i),
  i % 50,
  ['new', 'paid', 'gone'][i % 3],
  'n',
];

function engineOf(conn: Connection): Engine {
  return conn.database.storage;
}

function descents(conn: Connection): Record<string, number> {
  const state = engineOf(conn).collection('items');
  if (!state) throw new Error('no items');
  // By column: the UNIQUE constraints' indexes are named sqlite_autoindex_items_N.
  return Object.fromEntries(state.indexes.map((ix) => [String(ix.def.path), ix.tree.descents]));
}

function delta(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.keys(after).map((k) => [k, after[k] - before[k]]));
}

describe('index work of UPDATE and UPSERT', () => {
  const ROWS = 3000;
  let conn: Connection;
  beforeEach(() => {
    conn = connect(':memory:');
    for (const sql of DDL) conn.execute(sql);
    conn.executeMany(
      INSERT,
      Array.from({ length: ROWS }, (_, k) => row(k + 1)),
    );
    conn.commit();
  });
  afterEach(() => conn.close());

  test('an UPDATE of one indexed column descends only that index', () => {
    const before = descents(conn);
    const cur = conn.cursor();
    for (let id = 1; id <= 200; id++) cur.execute('UPDATE items SET qty = qty + 1000 WHERE id = ?', [id]);
    const d = delta(descents(conn), before);
    // Before: each row's sku and uuid were probed for uniqueness and every index entry deleted
    // and added again (at least three descents per index per row).
    expect(d.sku).toBe(0);
    expect(d.uuid).toBe(0);
    expect(d.status).toBe(0);
    // qty: the old entry deleted, the new one added.
    expect(d.qty).toBeLessThanOrEqual(2 * 200);
    expect(d.qty).toBeGreaterThan(0);
    conn.commit();
    expect(cur.execute('SELECT count(*) FROM items WHERE qty >= 1000').fetchOne()).toEqual([200]);
    expect(cur.execute('SELECT id FROM items WHERE qty = 1001').fetchAll()).toEqual([
      [1],
      [51],
      [101],
      [151],
    ]);
    expect(cur.execute('SELECT count(*) FROM items WHERE qty = 1').fetchOne()).toEqual([56]);
  });

  test('an UPDATE that changes nothing indexed descends no index', () => {
    const before = descents(conn);
    conn.cursor().execute("UPDATE items SET note = 'changed' WHERE id <= 100");
    expect(Object.values(delta(descents(conn), before))).toEqual([0, 0, 0, 0]);
    expect(conn.cursor().execute("SELECT count(*) FROM items WHERE note = 'changed'").fetchOne()).toEqual([
      100,
    ]);
  });

  test('an UPSERT inserting new rows descends each unique index once per row', () => {
    const before = descents(conn);
    const cur = conn.cursor();
    const sql = `${INSERT} ON CONFLICT (id) DO UPDATE SET qty = qty + excluded.qty`;
    for (let id = ROWS + 1; id <= ROWS + 300; id++) cur.execute(sql, row(id));
    const d = delta(descents(conn), before);
    // The conflict check's probe is the insert's: at most one descent each (two before; a key
    // above every other takes none).
    expect(d.sku).toBeLessThanOrEqual(300);
    expect(d.uuid).toBeLessThanOrEqual(300);
    expect(d.sku + d.uuid).toBeGreaterThan(500);
    conn.commit();
    expect(cur.execute('SELECT count(*) FROM items').fetchOne()).toEqual([ROWS + 300]);
    expect(cur.execute('SELECT id FROM items WHERE uuid = ?', [key('u', ROWS + 7)]).fetchAll()).toEqual([
      [ROWS + 7],
    ]);
  });

  test('an UPSERT updating rows touches only the changed index', () => {
    const before = descents(conn);
    const cur = conn.cursor();
    const sql = `${INSERT} ON CONFLICT (id) DO UPDATE SET qty = qty + excluded.qty, note = excluded.note`;
    for (let id = 1; id <= 300; id++) cur.execute(sql, [id, 'x', 'y', 7, 'new', 'upserted']);
    const d = delta(descents(conn), before);
    expect(d.sku).toBe(0);
    expect(d.uuid).toBe(0);
    expect(d.status).toBe(0);
    expect(d.qty).toBeLessThanOrEqual(2 * 300);
    conn.rollback();
    // The rollback put every entry back.
    expect(cur.execute("SELECT count(*) FROM items WHERE note = 'upserted'").fetchOne()).toEqual([0]);
    expect(cur.execute('SELECT count(*) FROM items WHERE qty = 7').fetchOne()).toEqual([60]);
  });

  test('the index contents after updates equal those of a reopened copy', () => {
    const cur = conn.cursor();
    cur.execute("UPDATE items SET qty = qty * 3, status = 'paid' WHERE id % 7 = 0");
    cur.execute("UPDATE items SET sku = sku || '!' WHERE id % 11 = 0");
    conn.commit();
    const engine = engineOf(conn);
    const expected = canon(dumpState(engine));
    const copy = Engine.openMemory(Buffer.from(engine.bytes()));
    try {
      expect(canon(dumpState(copy))).toBe(expected);
    } finally {
      copy.close();
    }
  });
});

describe('UPDATE and UPSERT through several indexes, against better-sqlite3', () => {
  // c: NOCASE text changing case ('a' to 'A' is a new key in the index), v: a REAL, u: a
  // unique key, (c, v): a composite index.
  const SETUP = [
    'CREATE TABLE t (id INTEGER PRIMARY KEY, c TEXT COLLATE NOCASE, v REAL, u TEXT UNIQUE, n INTEGER)',
    'CREATE INDEX t_c ON t (c)',
    'CREATE INDEX t_v ON t (v)',
    'CREATE INDEX t_cv ON t (c, v)',
  ];
  const READS = [
    'SELECT id, c, v, u, n FROM t ORDER BY id',
    'SELECT c FROM t WHERE c = ? ORDER BY c',
    'SELECT v, typeof(v) FROM t WHERE v = ? ORDER BY v',
    'SELECT id, v FROM t WHERE v = ? ORDER BY id',
    'SELECT c, v FROM t WHERE c = ? AND v = ? ORDER BY c, v',
    'SELECT id FROM t WHERE u = ?',
  ];
  const cs = ['a', 'A', 'b', 'B'];
  const vs = [1, 1.5, 2];
  const us = ['p', 'q', 'r', 's', null];
  const stmt = fc.oneof(
    fc
      .tuple(fc.integer({ min: 1, max: 6 }), fc.constantFrom(...cs), fc.constantFrom(...vs))
      .map(([id, c, v]) => ({ sql: 'UPDATE t SET c = ?, v = ? WHERE id = ?', params: [c, v, id] })),
    fc
      .tuple(fc.integer({ min: 1, max: 6 }), fc.constantFrom(...us))
      .map(([id, u]) => ({ sql: 'UPDATE t SET u = ? WHERE id = ?', params: [u, id] })),
    fc
      .integer({ min: 1, max: 6 })
      .map((id) => ({ sql: 'UPDATE t SET v = v + 0.0, n = n + 1 WHERE id = ?', params: [id] })),
    fc
      .tuple(
        fc.integer({ min: 1, max: 8 }),
        fc.constantFrom(...cs),
        fc.constantFrom(...vs),
        fc.constantFrom(...us),
      )
      .map(([id, c, v, u]) => ({
        sql: 'INSERT INTO t (id, c, v, u, n) VALUES (?, ?, ?, ?, 0) ON CONFLICT (id) DO UPDATE SET c = excluded.c, v = excluded.v, n = n + 1',
        params: [id, c, v, u],
      })),
    fc.tuple(fc.integer({ min: 1, max: 8 }), fc.constantFrom(...us)).map(([id, u]) => ({
      sql: "INSERT INTO t (id, c, v, u, n) VALUES (?, 'a', 1, ?, 0) ON CONFLICT (u) DO UPDATE SET n = n + 10",
      params: [id, u],
    })),
  );

  test('same rows, same covering reads, same errors, after commit and rollback', () => {
    fc.assert(
      fc.property(fc.array(stmt, { minLength: 1, maxLength: 20 }), fc.boolean(), (stmts, commit) => {
        const sqlite = new BetterSqlite3(':memory:');
        const conn = connect(':memory:');
        try {
          for (const sql of SETUP) {
            sqlite.exec(sql);
            conn.execute(sql);
          }
          const seed =
            "INSERT INTO t VALUES (1, 'a', 1, 'p', 0), (2, 'A', 1.0, 'q', 0), (3, 'b', 1.5, NULL, 0), (4, 'B', 2, 'r', 0)";
          sqlite.exec(seed);
          conn.execute(seed);
          conn.commit();
          sqlite.exec('BEGIN');
          const cur = conn.cursor();
          const compare = (): void => {
            for (const q of READS) {
              const n = (q.match(/\?/g) ?? []).length;
              const args =
                n === 0 ? [[]] : n === 1 ? [...cs, ...vs, ...us].map((x) => [x]) : cs.map((c) => [c, 1]);
              for (const a of args)
                expect(cur.execute(q, a).fetchAll()).toEqual(
                  sqlite
                    .prepare(q)
                    .raw(true)
                    .all(...a),
                );
            }
          };
          for (const { sql, params } of stmts) {
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
          }
          compare();
          if (commit) {
            sqlite.exec('COMMIT');
            conn.commit();
          } else {
            sqlite.exec('ROLLBACK');
            conn.rollback();
          }
          compare();
        } finally {
          conn.close();
          sqlite.close();
        }
      }),
      { numRuns: 80, seed: 1515 },
    );
  });
});
