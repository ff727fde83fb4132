/**
 * Cold filtered scans over column pages (format 1.3, storage/column-pages.ts): a checkpoint stores
 * the numeric columns of the rows each primary-key page points at, so a cold `count(*) … WHERE`
 * on numbers reads no row and a cold `SELECT * … WHERE` reads only the rows it accepts. Rows
 * changed after the checkpoint come from the log tail; a rolled-back ADD COLUMN never leaks into
 * a column; a 1.2 file gets its column pages at its first checkpoint. Work is counted, not timed;
 * answers are compared with better-sqlite3.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import fc from 'fast-check';
import { connect } from '../../src/index';
import type { Connection } from '../../src/index';
import * as frame from '../../storage/frame';
import { RowReader, rowDecodeStats } from '../../storage/row-reader';
import { lastCheckpoint, pageDirectory } from '../helpers/engine-util';
import { tmpDir } from '../helpers/tmp';

const DDL = 'CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER, x REAL, s TEXT)';

/** The primary-key directory of collection `name` in the file's last checkpoint. */
function lastPkDirectory(file: string, index = 0): { v: number; columns: unknown[][] } {
  const bytes = fs.readFileSync(file);
  const payload = lastCheckpoint(bytes).payload as { v: number; collections: { pk: Uint8Array[] }[] };
  return { v: payload.v, columns: pageDirectory(bytes, payload.collections[index].pk) };
}

/** Run `sql` on both engines (ModelVault through `conn`); both must agree. */
function same(
  conn: Connection,
  sqlite: BetterSqlite3.Database,
  sql: string,
  params: unknown[] = [],
): unknown[] {
  const got = conn.cursor().execute(sql, params).fetchAll();
  expect(got).toEqual(
    sqlite
      .prepare(sql)
      .raw()
      .all(...params),
  );
  return got;
}

describe('cold scans over column pages', () => {
  const tmp = tmpDir();
  afterAll(() => tmp.cleanup());

  function build(count: number): { file: string; sqlite: BetterSqlite3.Database } {
    const file = tmp.file();
    const conn = connect(file);
    const cur = conn.cursor();
    const sqlite = new BetterSqlite3(':memory:');
    cur.execute(DDL);
    sqlite.exec(DDL);
    const rows = Array.from({ length: count }, (_, i) => [
      i + 1,
      i % 7 === 3 ? null : i % 100,
      ((i * 37) % 1000) + 0.5,
      `s${i % 50}`,
    ]);
    cur.executeMany('INSERT INTO t VALUES (?, ?, ?, ?)', rows);
    const ins = sqlite.prepare('INSERT INTO t VALUES (?, ?, ?, ?)');
    for (const r of rows) ins.run(...r);
    conn.commit();
    conn.database.checkpoint();
    conn.close();
    return { file, sqlite };
  }

  test('a checkpoint writes a column page beside every primary-key page', () => {
    const { file, sqlite } = build(3000);
    sqlite.close();
    const { v, columns } = lastPkDirectory(file);
    expect(v).toBe(5);
    expect(columns).toHaveLength(9);
    const lengths = columns[7] as number[];
    expect(lengths.length).toBeGreaterThan(3);
    expect(lengths.every((l) => l > 0)).toBe(true);
  });

  test('cold count(*) reads no row beyond the first match; cold SELECT * reads only the matches', () => {
    const { file, sqlite } = build(4000);
    const scan = jest.spyOn(RowReader.prototype, 'scanRowWhere');
    const decode = jest.spyOn(RowReader.prototype, 'decodeRecord');
    try {
      for (const [sql, params] of [
        ['SELECT count(*) FROM t WHERE x > ?', [900]],
        ['SELECT count(*) FROM t WHERE n < ? AND x >= ?', [50, 500]],
        ['SELECT count(*) FROM t WHERE n != 3', []],
      ] as [string, unknown[]][]) {
        const conn = connect(file, { readOnly: true, cacheBytes: 0 });
        try {
          scan.mockClear();
          decode.mockClear();
          expect((same(conn, sqlite, sql, params)[0] as number[])[0]).toBeGreaterThan(100);
          expect(scan.mock.calls.length).toBeLessThanOrEqual(1);
          expect(decode.mock.calls.length).toBeLessThanOrEqual(1);
        } finally {
          conn.close();
        }
      }
      const conn = connect(file, { readOnly: true, cacheBytes: 0 });
      try {
        scan.mockClear();
        decode.mockClear();
        const partial = rowDecodeStats.partial;
        const rows = same(conn, sqlite, 'SELECT * FROM t WHERE x > ? AND n >= ?', [800, 10]);
        expect(rows.length).toBeGreaterThan(100);
        // One pushed-down read per accepted row; the rejected ones were tested on the column pages.
        expect(scan.mock.calls.length).toBe(rows.length);
        expect(decode.mock.calls.length).toBe(rows.length);
        // An accepted row is decoded whole at once: its tested columns are not decoded first.
        expect(rowDecodeStats.partial).toBe(partial);
      } finally {
        conn.close();
      }
    } finally {
      scan.mockRestore();
      decode.mockRestore();
      sqlite.close();
    }
  });

  test("a cold scan verifies each row's checksum once, whether it tests the row or reads it whole", () => {
    const { file, sqlite } = build(3000);
    const checksum = jest.spyOn(frame, 'frameChecksumOkAt');
    try {
      for (const [sql, verified] of [
        // Tested on the column pages: only the accepted rows are read, each verified once.
        ['SELECT * FROM t WHERE x > 800', (rows: number) => rows],
        // No vector for this term: every row is tested on its columns (verified then) and the
        // accepted ones are decoded whole from the same bytes, not verified again.
        ["SELECT * FROM t WHERE s || x >= 's3'", () => 3000],
      ] as [string, (rows: number) => number][]) {
        const conn = connect(file, { readOnly: true });
        try {
          checksum.mockClear();
          const rows = same(conn, sqlite, sql);
          expect(rows.length).toBeGreaterThan(100);
          expect(rows.length).toBeLessThan(3000);
          expect(checksum.mock.calls.length).toBe(verified(rows.length));
        } finally {
          conn.close();
        }
      }
    } finally {
      checksum.mockRestore();
      sqlite.close();
    }
  });

  test('a count over leaves some decoded, some not, agrees with SQLite', () => {
    const { file, sqlite } = build(5000);
    const conn = connect(file, { readOnly: true });
    try {
      // Point gets decode the leaves they land in; the count then meets both kinds.
      for (let id = 1; id <= 5000; id += 700) expect(conn.database.get('t', id)).not.toBeNull();
      for (const sql of [
        'SELECT count(*) FROM t WHERE x > 900',
        'SELECT count(*) FROM t WHERE n = 3 AND x < 500',
        'SELECT count(*), min(id) FROM t WHERE x >= 10.5',
      ])
        same(conn, sqlite, sql);
    } finally {
      conn.close();
      sqlite.close();
    }
  });

  test('a damaged column page is a FormatError CORRUPT for a cold count(*) through SQL', () => {
    const { file, sqlite } = build(1500);
    sqlite.close();
    const { columns } = lastPkDirectory(file);
    const offsets = columns[6] as number[];
    const lengths = columns[7] as number[];
    const bytes = fs.readFileSync(file);
    // The last page's column page, in its last byte (x's last value): only its checksum sees it.
    const last = offsets.length - 1;
    bytes[offsets[last] + lengths[last] - 1] ^= 0x10;
    fs.writeFileSync(file, bytes);
    const conn = connect(file, { readOnly: true, cacheBytes: 0 });
    try {
      expect(() => conn.cursor().execute('SELECT count(*) FROM t WHERE x > 10').fetchAll()).toThrow(
        expect.objectContaining({
          code: 'CORRUPT',
          message: expect.stringMatching(/corrupt column page at offset \d+: checksum mismatch/) as unknown,
        }),
      );
      // The TEXT column s (50 strings a page) is in the damaged column page too (format 1.5).
      expect(() => conn.cursor().execute("SELECT count(*) FROM t WHERE s = 's3'").fetchAll()).toThrow(
        expect.objectContaining({ code: 'CORRUPT' }),
      );
      // A filter no column page can serve (it reads two columns at once) reads the rows, which are
      // intact: s = 's3' and n = 3 for ids 104, 204, …, 1404 whose n is not NULL (12 of 14).
      expect(conn.cursor().execute("SELECT count(*) FROM t WHERE s || n = 's33'").fetchAll()).toEqual([[12]]);
    } finally {
      conn.close();
    }
  });

  test('rows changed after the checkpoint come from the log tail, not the column pages', () => {
    const { file, sqlite } = build(3000);
    const conn = connect(file);
    const cur = conn.cursor();
    for (const sql of [
      'UPDATE t SET x = x + 2000 WHERE id % 10 = 0',
      'DELETE FROM t WHERE id % 13 = 0',
      'UPDATE t SET n = NULL WHERE id % 17 = 0',
      "INSERT INTO t VALUES (5000, 1, 999.5, 'new')",
    ]) {
      cur.execute(sql);
      sqlite.exec(sql);
    }
    conn.commit();
    conn.close(); // a small tail: left to replay
    const cold = connect(file, { readOnly: true, cacheBytes: 0 });
    try {
      expect(cold.database.storage.recoveryReport.replayedTransactions).toBeGreaterThan(0);
      same(cold, sqlite, 'SELECT count(*) FROM t WHERE x > 1500');
      same(cold, sqlite, 'SELECT id, x FROM t WHERE x > 990 ORDER BY id');
      same(cold, sqlite, 'SELECT count(*) FROM t WHERE n IS NULL OR n > 98');
    } finally {
      cold.close();
      sqlite.close();
    }
  });

  test('a rolled-back ADD COLUMN reusing the column number sees no stale column', () => {
    const { file, sqlite } = build(2000);
    const conn = connect(file);
    const cur = conn.cursor();
    // Column 4 is first x2 REAL, written to every row, then rolled back; then y INTEGER DEFAULT 7.
    cur.execute('ALTER TABLE t ADD COLUMN x2 REAL');
    cur.execute('UPDATE t SET x2 = id * 1.5');
    expect(cur.execute('SELECT count(*) FROM t WHERE x2 > 10').fetchAll()).toEqual([[1994]]);
    conn.rollback();
    for (const sql of [
      'ALTER TABLE t ADD COLUMN y INTEGER DEFAULT 7',
      'UPDATE t SET y = 9 WHERE id % 4 = 0',
    ]) {
      cur.execute(sql);
      sqlite.exec(sql);
    }
    conn.commit();
    conn.database.checkpoint();
    for (const sql of [
      'SELECT count(*) FROM t WHERE y = 7',
      'SELECT count(*) FROM t WHERE y > 8 AND x > 500',
    ])
      same(conn, sqlite, sql);
    conn.close();
    const cold = connect(file, { readOnly: true, cacheBytes: 0 });
    try {
      same(cold, sqlite, 'SELECT count(*) FROM t WHERE y = 7');
      same(cold, sqlite, 'SELECT count(*) FROM t WHERE y > 8 AND x > 500');
      same(cold, sqlite, 'SELECT id, y FROM t WHERE y < 8 AND n = 5 ORDER BY id');
    } finally {
      cold.close();
      sqlite.close();
    }
  });

  test('a 1.2 file gets column pages at its first checkpoint and scans on them cold', () => {
    const fixture = path.join(__dirname, '..', '..', 'fixtures', 'format', 'v1.2', 'all-types.modelvault');
    const expected = JSON.parse(
      fs.readFileSync(path.join(path.dirname(fixture), 'expected.json'), 'utf8'),
    ) as { users: { ratio: number }[] };
    const file = tmp.file();
    fs.copyFileSync(fixture, file);
    const matching = expected.users.filter((u) => u.ratio > 2).length;
    const before = connect(file);
    expect(before.database.collection('users').where('ratio', '>', 2).count()).toBe(matching);
    before.database.insert('notes', { key: 'cp', body: 'upgrade' });
    before.database.checkpoint();
    before.close();
    expect(fs.readFileSync(file).readUInt16LE(10)).toBe(6);
    const { v, columns } = lastPkDirectory(file);
    expect(v).toBe(5);
    expect((columns[7] as number[]).every((l) => l > 0)).toBe(true);
    const scan = jest.spyOn(RowReader.prototype, 'scanRowWhere');
    const cold = connect(file, { readOnly: true, recovery: 'strict', cacheBytes: 0 });
    try {
      expect(cold.cursor().execute('SELECT count(*) FROM users WHERE ratio > 2').fetchAll()).toEqual([
        [matching],
      ]);
      expect(scan.mock.calls.length).toBeLessThanOrEqual(1);
    } finally {
      scan.mockRestore();
      cold.close();
    }
  });

  test('property: cold scans over checkpointed and tail-modified rows equal SQLite', () => {
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('put' as const),
        id: fc.integer({ min: 1, max: 300 }),
        n: fc.option(fc.integer({ min: -50, max: 50 })),
        x: fc.option(fc.double({ min: -100, max: 100, noNaN: true })),
      }),
      fc.record({ kind: fc.constant('delete' as const), id: fc.integer({ min: 1, max: 300 }) }),
      fc.record({ kind: fc.constant('checkpoint' as const) }),
    );
    const term = fc.tuple(
      fc.constantFrom('n', 'x'),
      fc.constantFrom('<', '>=', '=', '!='),
      fc.integer({ min: -60, max: 60 }),
    );
    fc.assert(
      fc.property(
        fc.array(op, { minLength: 1, maxLength: 120 }),
        fc.array(term, { minLength: 1, maxLength: 2 }),
        (ops, where) => {
          const file = tmp.file();
          const conn = connect(file);
          const cur = conn.cursor();
          const sqlite = new BetterSqlite3(':memory:');
          cur.execute(DDL);
          sqlite.exec(DDL);
          // A first batch checkpointed, so the ops below modify checkpointed rows.
          const seed = Array.from({ length: 200 }, (_, i) => [i + 1, i % 40, (i % 90) - 20, 's']);
          cur.executeMany('INSERT INTO t VALUES (?, ?, ?, ?)', seed);
          const ins = sqlite.prepare('INSERT INTO t VALUES (?, ?, ?, ?)');
          for (const r of seed) ins.run(...r);
          conn.commit();
          conn.database.checkpoint();
          for (const o of ops) {
            if (o.kind === 'checkpoint') {
              conn.commit();
              conn.database.checkpoint();
            } else if (o.kind === 'delete') {
              cur.execute('DELETE FROM t WHERE id = ?', [o.id]);
              sqlite.prepare('DELETE FROM t WHERE id = ?').run(o.id);
            } else {
              const sql = 'INSERT OR REPLACE INTO t VALUES (?, ?, ?, ?)';
              cur.execute(sql, [o.id, o.n, o.x, 'p']);
              sqlite.prepare(sql).run(o.id, o.n, o.x, 'p');
            }
          }
          conn.commit();
          conn.close();
          const cond = where.map(([c, op2, v]) => `${c} ${op2} ${v}`).join(' AND ');
          const cold = connect(file, { readOnly: true, cacheBytes: 0 });
          try {
            same(cold, sqlite, `SELECT count(*) FROM t WHERE ${cond}`);
            same(cold, sqlite, `SELECT * FROM t WHERE ${cond}`);
            same(cold, sqlite, `SELECT count(*) FROM t WHERE ${cond}`); // keeps the page columns
            same(cold, sqlite, `SELECT count(*) FROM t WHERE ${cond}`); // on the kept columns
          } finally {
            cold.close();
            sqlite.close();
          }
        },
      ),
      { numRuns: 40, seed: 20261203 },
    );
  });
});
