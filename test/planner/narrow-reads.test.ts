/**
 * Index fetches that decode only the columns a query reads (planner/narrow-reads.ts): on a table
 * larger than the decoded-row budget, rows an index names come from the record arena decoded for
 * the columns read alone, and a TopN over an index reads its candidates' sort keys only and its
 * kept rows again whole. Every answer is compared with better-sqlite3's — through filters,
 * correlated subqueries, an ALTER TABLE ADD COLUMN (rows read at the wider width), an open
 * transaction's rows and writes — and the partial decodes are counted, so the path is shown to run.
 */
import BetterSqlite3 from 'better-sqlite3';
import { connect } from '../../src/index';
import type { Connection } from '../../src/index';
import { rowDecodeStats } from '../../storage/row-reader';
import * as rowFetch from '../../planner/row-fetch';
import { lcg } from '../helpers/seeded';
import { tmpDir } from '../helpers/tmp';

const DDL = [
  'CREATE TABLE t (id INTEGER PRIMARY KEY, k INTEGER, a TEXT, b REAL, c TEXT, note TEXT)',
  'CREATE INDEX t_k ON t (k)',
  'CREATE INDEX t_ab ON t (a, b)',
];
const ROWS = 12_000;
/** ~180-byte records, ~400 bytes decoded: 4.8 MB of decoded rows over a 2 MiB budget. */
const CACHE = 2 << 20;
const KEYS = 300;

/** Queries whose index fetches read some columns only; `?` are keys in [0, KEYS). */
const QUERIES: readonly string[] = [
  'SELECT id, lower(a), b * k FROM t WHERE k = ?',
  'SELECT a FROM t WHERE k IN (?, ?) ORDER BY id',
  'SELECT id FROM t WHERE k = ? AND note > ?',
  'SELECT count(*), sum(b), max(c) FROM t WHERE k BETWEEN ? AND ?',
  'SELECT k, max(b), min(a) FROM t WHERE k < ? GROUP BY k ORDER BY k',
  'SELECT c, (SELECT count(*) FROM t AS u WHERE u.k = t.k AND u.b > t.b) FROM t WHERE k = ?',
  'SELECT * FROM t WHERE k >= ? ORDER BY k, b DESC LIMIT 7',
  'SELECT id, note FROM t WHERE k >= ? ORDER BY k DESC, c LIMIT 5 OFFSET 3',
  "SELECT * FROM t WHERE k >= ? AND c LIKE 'c1%' ORDER BY k, b DESC, id LIMIT 6",
  'SELECT upper(note), id FROM t WHERE k > ? ORDER BY b LIMIT 4',
  'SELECT id, b FROM t WHERE a = ? ORDER BY b DESC LIMIT 3',
];

function paramsFor(sql: string, next: (n: number) => number): unknown[] {
  const count = sql.split('?').length - 1;
  if (sql.includes('a = ?')) return [`a${next(400)}`];
  if (sql.includes('note > ?')) return [next(KEYS), `note ${next(9)}`];
  const keys = Array.from({ length: count }, () => next(KEYS));
  if (sql.includes('BETWEEN')) keys.sort((x, y) => x - y);
  return keys;
}

/** Rows as JSON, sorted when the query leaves their order open (no ORDER BY). */
function shape(sql: string, rows: unknown[][]): string {
  const text = rows.map((r) => JSON.stringify(r));
  return JSON.stringify(/ORDER BY/.test(sql) ? text : text.sort());
}

describe('index fetches that decode only what the query reads', () => {
  const tmp = tmpDir();
  afterAll(() => tmp.cleanup());

  function build(): { conn: Connection; sqlite: BetterSqlite3.Database } {
    const file = tmp.file();
    const sqlite = new BetterSqlite3(':memory:');
    const conn = connect(file, { cacheBytes: CACHE });
    const cur = conn.cursor();
    for (const d of DDL) {
      sqlite.exec(d);
      cur.execute(d);
    }
    const next = lcg(20261207);
    const insert = 'INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)';
    const rows = Array.from({ length: ROWS }, (_v, i) => [
      i + 1,
      next(KEYS),
      `a${next(400)}`,
      next(1000) / 8,
      `c${next(50)}`,
      `note ${next(9)} ${'x'.repeat(80 + next(60))}`,
    ]);
    const ins = sqlite.prepare(insert);
    sqlite.transaction(() => rows.forEach((r) => ins.run(r)))();
    cur.executeMany(insert, rows);
    conn.commit();
    conn.close();
    return { conn: connect(file, { cacheBytes: CACHE }), sqlite };
  }

  /** Run every query `rounds` times with fresh keys on both; the number of differing answers. */
  function compare(conn: Connection, sqlite: BetterSqlite3.Database, rounds: number, seed: number): number {
    const next = lcg(seed);
    const cur = conn.cursor();
    let wrong = 0;
    for (let r = 0; r < rounds; r++) {
      for (const sql of QUERIES) {
        const params = paramsFor(sql, next);
        const mine = cur.execute(sql, params).fetchAll() as unknown[][];
        const theirs = sqlite
          .prepare(sql)
          .raw(true)
          .all(...params) as unknown[][];
        if (shape(sql, mine) !== shape(sql, theirs)) wrong++;
      }
    }
    return wrong;
  }

  test('the plans: fetches marked with their columns, a TopN over an index reads late', () => {
    const conn = connect(':memory:');
    try {
      for (const d of DDL) conn.execute(d);
      const plan = (sql: string): string =>
        conn
          .cursor()
          .execute(`EXPLAIN ${sql}`, [1])
          .fetchAll()
          .map((r) => String((r as unknown[])[(r as unknown[]).length - 1]))
          .join('\n');
      expect(plan('SELECT * FROM t WHERE k >= ? ORDER BY k, b DESC LIMIT 7')).toMatch(/TopN .* late/);
      // Every column read anyway (no ORDER BY to keep rows for): nothing to read late.
      expect(plan('SELECT * FROM t WHERE k >= ? LIMIT 7')).not.toMatch(/late/);
      // A covering read needs no row at all.
      expect(plan('SELECT id FROM t WHERE k >= ? ORDER BY k DESC LIMIT 2')).not.toMatch(/late/);
    } finally {
      conn.close();
    }
  });

  test('while the decoded rows fit their budget, fetches read whole rows and nothing is read twice', () => {
    const conn = connect(':memory:');
    const refetch = jest.spyOn(rowFetch, 'refetchRows');
    try {
      const cur = conn.cursor();
      for (const d of DDL) cur.execute(d);
      const data = Array.from({ length: 3_000 }, (_v, i) => [
        i + 1,
        i % 40,
        `a${i % 7}`,
        i / 4,
        `c${i % 5}`,
        `n${i}`,
      ]);
      cur.executeMany('INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)', data);
      const fetched = rowDecodeStats.fetched;
      const reads = cur.execute('SELECT * FROM t WHERE k >= ? ORDER BY k, b DESC LIMIT 7', [3]);
      const expected = data
        .filter((r) => (r[1] as number) >= 3)
        .sort((x, y) => (x[1] as number) - (y[1] as number) || (y[3] as number) - (x[3] as number))
        .slice(0, 7);
      expect(reads.fetchAll()).toEqual(expected);
      // Every row was read whole: the 7 kept are not read again.
      expect(refetch).not.toHaveBeenCalled();
      cur.execute('SELECT id, lower(a) FROM t WHERE k = ?', [5]).fetchAll();
      expect(rowDecodeStats.fetched).toBe(fetched);
    } finally {
      refetch.mockRestore();
      conn.close();
    }
  });

  test('rows from the arena decoded in part give SQLite’s answers', () => {
    const { conn, sqlite } = build();
    const refetch = jest.spyOn(rowFetch, 'refetchRows');
    try {
      expect(compare(conn, sqlite, 30, 1)).toBe(0);
      const before = rowDecodeStats.fetched;
      const arena = conn.database.storage.rowMemory.arenaHits;
      expect(compare(conn, sqlite, 40, 2)).toBe(0);
      // The rows no longer fit decoded: many came from the arena, most of those decoded in part.
      expect(conn.database.storage.rowMemory.arenaHits - arena).toBeGreaterThan(5_000);
      expect(rowDecodeStats.fetched - before).toBeGreaterThan(5_000);
      // The late TopNs read their kept rows again whole.
      expect(refetch.mock.calls.length).toBeGreaterThan(100);
    } finally {
      refetch.mockRestore();
      conn.close();
      sqlite.close();
    }
  });

  test('once the decoded rows are full, fetches of a few columns decode no row whole, from the arena or the file', () => {
    const { conn, sqlite } = build();
    try {
      // Fills the decoded cache past its budget: fetches narrow from here on.
      expect(compare(conn, sqlite, 10, 3)).toBe(0);
      const memory = () => conn.database.storage.rowMemory;
      const before = { ...memory(), whole: rowDecodeStats.whole, fetched: rowDecodeStats.fetched };
      const sql = 'SELECT id, lower(a), b * k FROM t WHERE k = ?';
      const cur = conn.cursor();
      // A third of the keys twice: the second pass finds the rows the first read from the file in
      // the arena (which holds about three quarters of the table).
      for (let pass = 0; pass < 2; pass++) {
        for (let k = 0; k < KEYS / 3; k++) {
          const theirs = sqlite.prepare(sql).raw(true).all(k) as unknown[][];
          expect(shape(sql, cur.execute(sql, [k]).fetchAll() as unknown[][])).toBe(shape(sql, theirs));
        }
      }
      const after = memory();
      // Every row was read (most by fetches decoded in part), from the file and from the arena:
      // none was decoded whole or offered to the decoded cache.
      expect(rowDecodeStats.fetched - before.fetched).toBeGreaterThan(ROWS / 2);
      expect(after.arenaMisses - before.arenaMisses).toBeGreaterThan(100);
      expect(after.arenaHits - before.arenaHits).toBeGreaterThan(ROWS / 4);
      expect(rowDecodeStats.whole).toBe(before.whole);
      expect(after.decodedRows).toBe(before.decodedRows);
    } finally {
      conn.close();
      sqlite.close();
    }
  });

  test('the typed API’s ORDER BY … LIMIT over an index reads late too, with SQLite’s rows', () => {
    const { conn, sqlite } = build();
    try {
      const db = conn.database;
      const query = (k: number) =>
        db.collection('t').where('k', '>=', k).orderBy('k').orderBy('b', 'desc').orderBy('id').limit(8);
      expect(query(0).explain()).toMatch(/TopN .* late/);
      const sql = 'SELECT * FROM t WHERE k >= ? ORDER BY k, b DESC, id LIMIT 8';
      const columns = ['id', 'k', 'a', 'b', 'c', 'note'];
      const next = lcg(6);
      const fetched = rowDecodeStats.fetched;
      for (let r = 0; r < 600; r++) {
        const k = next(KEYS);
        const theirs = (sqlite.prepare(sql).raw(true).all(k) as unknown[][]).map((row) =>
          Object.fromEntries(columns.map((c, i) => [c, row[i]])),
        );
        expect(query(k).all()).toEqual(theirs);
      }
      expect(rowDecodeStats.fetched - fetched).toBeGreaterThan(1_000);
    } finally {
      conn.close();
      sqlite.close();
    }
  });

  test('after ADD COLUMN, inside a transaction, and after writes through the index', () => {
    const { conn, sqlite } = build();
    try {
      expect(compare(conn, sqlite, 20, 3)).toBe(0);
      const both = (sql: string, params: unknown[] = []): void => {
        sqlite.prepare(sql).run(...params);
        conn.cursor().execute(sql, params);
      };
      // Older rows are read at the new width: the added column holds its default.
      both("ALTER TABLE t ADD COLUMN d TEXT DEFAULT 'dd'");
      conn.commit();
      const cur = conn.cursor();
      const wide = 'SELECT id, d, a FROM t WHERE k = ? ORDER BY id';
      for (let k = 0; k < 40; k++)
        expect(cur.execute(wide, [k]).fetchAll()).toEqual(sqlite.prepare(wide).raw(true).all(k));
      const late = 'SELECT * FROM t WHERE k >= ? ORDER BY k, b DESC, id LIMIT 9';
      for (let k = 0; k < 40; k++)
        expect(cur.execute(late, [k * 7]).fetchAll()).toEqual(
          sqlite
            .prepare(late)
            .raw(true)
            .all(k * 7),
        );
      // A write through the index reads whole rows: the columns it does not set stay as they were.
      sqlite.exec('BEGIN');
      for (let k = 0; k < 60; k += 3) {
        both("UPDATE t SET d = 'u' || k, b = b + 1 WHERE k = ?", [k]);
        both('DELETE FROM t WHERE k = ? AND b > 100', [k + 1]);
        both("INSERT INTO t (id, k, a, b, c, note) VALUES (?, ?, 'a1', 2.5, 'c1', 'new')", [ROWS + 1 + k, k]);
      }
      // Inside the open transaction: its own rows (staged) and the committed ones.
      expect(compare(conn, sqlite, 10, 4)).toBe(0);
      sqlite.exec('COMMIT');
      conn.commit();
      expect(compare(conn, sqlite, 20, 5)).toBe(0);
      const all = 'SELECT * FROM t ORDER BY id';
      expect(cur.execute(all).fetchAll()).toEqual(sqlite.prepare(all).raw(true).all());
    } finally {
      conn.close();
      sqlite.close();
    }
  });
});
