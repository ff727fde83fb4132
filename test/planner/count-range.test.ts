/**
 * `count(*)` over a range of an index or of the primary key (`WHERE qty > ?`) is counted by
 * stepping the walk, building no row (planner/table-count.ts rangeCount); over a file opened cold
 * the walk passes whole pages by their stored counts (BTreeCursor.skip), reading the pages at the
 * range's ends. Counts are compared with better-sqlite3 over generated ranges; rows read and
 * pages decoded are counted, never timed.
 */
import BetterSqlite3 from 'better-sqlite3';
import { connect } from '../../src/index';
import type { Connection } from '../../src/index';
import { StoredPage } from '../../storage/index-pages';
import { explain } from '../helpers/explain';
import { lcg } from '../helpers/seeded';
import { tmpDir } from '../helpers/tmp';

const DDL = [
  'CREATE TABLE t (id INTEGER PRIMARY KEY, q INTEGER, s TEXT, a INTEGER, b INTEGER)',
  'CREATE INDEX t_q ON t (q)',
  'CREATE INDEX t_s ON t (s)',
  'CREATE INDEX t_ab ON t (a, b)',
];

describe('count(*) over a range', () => {
  let conn: Connection;
  let db: BetterSqlite3.Database;
  beforeAll(() => {
    conn = connect(':memory:');
    db = new BetterSqlite3(':memory:');
    for (const sql of DDL) {
      conn.execute(sql);
      db.exec(sql);
    }
    const next = lcg(11);
    const rows = Array.from({ length: 30000 }, (_, i) => [
      i + 1,
      next(8) === 0 ? null : next(2000) - 500,
      next(8) === 0 ? null : `s${next(5000)}`,
      next(30),
      next(8) === 0 ? null : next(100),
    ]);
    conn.cursor().executeMany('INSERT INTO t VALUES (?, ?, ?, ?, ?)', rows);
    conn.commit();
    const ins = db.prepare('INSERT INTO t VALUES (?, ?, ?, ?, ?)');
    for (const r of rows) ins.run(...r);
  });
  afterAll(() => {
    conn.close();
    db.close();
  });

  /** `sql` answers on `on` what better-sqlite3's copy of the table answers (the statement shown on failure). */
  function expectSame(on: Connection, sql: string, values: unknown[]): void {
    expect({ sql, values, got: on.cursor().execute(sql, values).fetchAll() }).toEqual({
      sql,
      values,
      got: db
        .prepare(sql)
        .raw(true)
        .all(...values),
    });
  }

  test('steps the walk without reading a row, and counts what SQLite counts', () => {
    const sql = 'SELECT count(*) FROM t WHERE q > ?';
    expect(explain(conn, sql, [0])).toContain('IndexRangeScan t using covering t_q');
    const cur = conn.cursor();
    const got = cur.execute(sql, [0]).fetchAll();
    expect(got).toEqual(db.prepare(sql).raw(true).all(0));
    expect(cur.executionStats?.rowsRead).toBe(0);
    expect(cur.executionStats?.indexEntries).toBeGreaterThan(10000);
    // A bare column beside count(*) reads a row: the walk is aggregated as before.
    const bare = 'SELECT count(*), q FROM t WHERE q > ?';
    expect(cur.execute(bare, [0]).fetchAll()).toEqual(db.prepare(bare).raw(true).all(0));
  });

  test('ranges of every kind, against SQLite', () => {
    const next = lcg(20261209);
    const shapes: [string, () => unknown[]][] = [
      ['q > ?', () => [next(2400) - 600]],
      ['q < ?', () => [next(2400) - 600]],
      ['q >= ? AND q <= ?', () => [next(2000) - 500, next(2000) - 500]],
      ['q BETWEEN ? AND ?', () => [next(1000) - 500, next(1500)]],
      ['id > ?', () => [next(31000)]],
      ['id BETWEEN ? AND ?', () => [next(20000), next(31000)]],
      ['s > ?', () => [`s${next(5000)}`]],
      ['s < ? AND s > ?', () => [`s${next(5000)}`, `s${next(5000)}`]],
      ['a = ? AND b > ?', () => [next(30), next(100)]],
      ['a = ? AND b < ?', () => [next(30), next(100)]],
      ['a > ?', () => [next(30)]],
    ];
    for (let k = 0; k < 300; k++) {
      const [where, params] = shapes[next(shapes.length)];
      const sql = `SELECT count(*) FROM t WHERE ${where}`;
      const values = params();
      expectSame(conn, sql, values);
    }
  });

  test('a statement past its timeout stops while counting', () => {
    const big = connect(':memory:');
    try {
      big.execute('CREATE TABLE big (id INTEGER PRIMARY KEY, q INTEGER)');
      big.execute('CREATE INDEX big_q ON big (q)');
      big.cursor().executeMany(
        'INSERT INTO big VALUES (?, ?)',
        Array.from({ length: 400000 }, (_, i) => [i + 1, i % 1000]),
      );
      big.commit();
      const cur = big.cursor();
      const sql = 'SELECT count(*) FROM big WHERE q > ?';
      // Several milliseconds of stepping: a deadline of (effectively) now, set after the clock
      // moved, is passed at a check between two chunks.
      let err: unknown = null;
      for (let i = 0; i < 5 && err === null; i++) {
        const start = Date.now();
        while (Date.now() === start);
        try {
          cur.execute(sql, [-1], { timeoutMs: Number.MIN_VALUE }).fetchAll();
        } catch (e) {
          err = e;
        }
      }
      expect(err).toMatchObject({ code: 'INTERRUPTED' });
      expect(cur.execute(sql, [-1]).fetchAll()).toEqual([[400000]]);
    } finally {
      big.close();
    }
  });

  test('over a cold file: the answers SQLite gives, with a few pages read for a wide range', () => {
    const tmp = tmpDir();
    const file = tmp.file();
    const writer = connect(file);
    try {
      for (const sql of DDL) writer.execute(sql);
      const rows = db.prepare('SELECT * FROM t').raw(true).all() as unknown[][];
      writer.cursor().executeMany('INSERT INTO t VALUES (?, ?, ?, ?, ?)', rows);
      writer.commit();
      writer.database.checkpoint();
    } finally {
      writer.close();
    }
    const loads = jest.spyOn(StoredPage.prototype, 'load');
    const next = lcg(20261210);
    const shapes: [string, () => unknown[]][] = [
      // No lower bound: NULL keys (an eighth of the rows) sort first and are not counted.
      ['q < ?', () => [next(2400) - 600]],
      ['q > ?', () => [next(2400) - 600]],
      ['q BETWEEN ? AND ?', () => [next(1000) - 500, next(1500)]],
      ['s < ?', () => [`s${next(5000)}`]],
      ['s >= ? AND s < ?', () => [`s${next(2500)}`, `s${next(5000)}`]],
      ['a > ?', () => [next(30)]],
    ];
    try {
      for (let k = 0; k < 40; k++) {
        // Each query in a fresh read-only handle: every page starts cold.
        const reader = connect(file, { readOnly: true });
        try {
          const [where, params] = shapes[next(shapes.length)];
          const sql = `SELECT count(*) FROM t WHERE ${where}`;
          const values = params();
          expectSame(reader, sql, values);
          // An OFFSET deep into the same cold walk stands where SQLite's does.
          const cols = where.startsWith('s') ? 's' : where.startsWith('a') ? 'a, b' : 'q';
          for (const order of ['1, 2', '1 DESC, 2 DESC'])
            expectSame(
              reader,
              `SELECT ${cols}, id FROM t WHERE ${where} ORDER BY ${order} LIMIT 3 OFFSET 9000`,
              values,
            );
        } finally {
          reader.close();
        }
      }
      // A count over all but a few of the 30,000 entries of t_q decodes a handful of its pages
      // (those at the ends, two per directory page): of ~235 pages of 128 entries.
      const reader = connect(file, { readOnly: true });
      try {
        loads.mockClear();
        const sql = 'SELECT count(*) FROM t WHERE q > ?';
        expect(reader.cursor().execute(sql, [-499]).fetchAll()).toEqual(db.prepare(sql).raw(true).all(-499));
        expect(loads.mock.calls.length).toBeGreaterThan(0);
        expect(loads.mock.calls.length).toBeLessThan(20);
        // Without a lower bound the walk starts above the NULL keys and passes pages the same way.
        loads.mockClear();
        const below = 'SELECT count(*) FROM t WHERE q < ?';
        expect(reader.cursor().execute(below, [1999]).fetchAll()).toEqual(
          db.prepare(below).raw(true).all(1999),
        );
        expect(loads.mock.calls.length).toBeLessThan(20);
      } finally {
        reader.close();
      }
    } finally {
      loads.mockRestore();
      tmp.cleanup();
    }
  });
});
