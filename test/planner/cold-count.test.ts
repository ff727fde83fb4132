/**
 * Cold filtered scans (storage/row-reader.ts scanRowWhere, planner/execute.ts filteredScan):
 * `count(*) … WHERE` decodes no accepted row whole beyond the first (bare columns read it), a
 * scan reading the file through its window does not probe the row cache per row, and a damaged
 * frame is still a FormatError whichever way the scan reads it. Work is counted, not timed;
 * answers are compared with better-sqlite3.
 */
import * as fs from 'node:fs';
import BetterSqlite3 from 'better-sqlite3';
import fc from 'fast-check';
import { FormatError, connect } from '../../src/index';
import { FrameKind } from '../../storage/format';
import { RowCache } from '../../storage/row-cache';
import { RowReader } from '../../storage/row-reader';
import { listFrames } from '../helpers/engine-util';
import { tmpDir } from '../helpers/tmp';

type Row = [number, number | null, number | null, string | null];

const DDL = 'CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER, x REAL, s TEXT)';

function rowsOf(count: number): Row[] {
  return Array.from({ length: count }, (_, i): Row => [
    i + 1,
    i % 7 === 3 ? null : i % 100,
    ((i * 37) % 1000) + 0.5,
    i % 11 === 0 ? null : `s${i % 50}`,
  ]);
}

describe('cold filtered scans', () => {
  const tmp = tmpDir();
  afterAll(() => tmp.cleanup());

  /** A checkpointed file (open reads rows from the log, replays none) and the same rows in SQLite. */
  function files(rows: readonly Row[]): { file: string; sqlite: BetterSqlite3.Database } {
    const file = tmp.file();
    const conn = connect(file);
    const cur = conn.cursor();
    cur.execute(DDL);
    cur.executeMany(
      'INSERT INTO t VALUES (?, ?, ?, ?)',
      rows.map((r) => [...r]),
    );
    conn.commit();
    conn.database.checkpoint();
    conn.close();
    const sqlite = new BetterSqlite3(':memory:');
    sqlite.exec(DDL);
    const ins = sqlite.prepare('INSERT INTO t VALUES (?, ?, ?, ?)');
    for (const r of rows) ins.run(...r);
    return { file, sqlite };
  }

  test('count(*) WHERE over cold rows decodes at most the first accepted row whole', () => {
    const { file, sqlite } = files(rowsOf(3000));
    const decode = jest.spyOn(RowReader.prototype, 'decodeRecord');
    const conn = connect(file, { readOnly: true });
    try {
      const cur = conn.cursor();
      for (const [sql, params] of [
        ['SELECT count(*) FROM t WHERE x > ?', [900]],
        ['SELECT count(*) FROM t WHERE n < ? AND x > ?', [50, 500]],
        ["SELECT count(*) FROM t WHERE s = 's7' OR n = 3", []],
      ] as [string, unknown[]][]) {
        decode.mockClear();
        const got = cur.execute(sql, params).fetchAll();
        expect(got).toEqual(
          sqlite
            .prepare(sql)
            .raw()
            .all(...params),
        );
        expect((got[0] as number[])[0]).toBeGreaterThan(10);
        expect(decode.mock.calls.length).toBeLessThanOrEqual(1);
      }
      // Reading the rows themselves still decodes every match.
      decode.mockClear();
      const rows = cur.execute('SELECT * FROM t WHERE x > ?', [990]).fetchAll();
      expect(rows).toEqual(sqlite.prepare('SELECT * FROM t WHERE x > ?').raw().all(990));
      expect(decode.mock.calls.length).toBe(rows.length);
    } finally {
      decode.mockRestore();
      conn.close();
      sqlite.close();
    }
  });

  test('bare columns beside a lean count(*) read the same row as SQLite', () => {
    const { file, sqlite } = files(rowsOf(2000));
    const conn = connect(file, { readOnly: true, cacheBytes: 0 });
    try {
      const cur = conn.cursor();
      for (const sql of [
        'SELECT id, s, count(*) FROM t WHERE x > 700',
        'SELECT count(*), n FROM t WHERE x > 2000',
        'SELECT count(*) FROM t WHERE x < 0',
      ]) {
        expect(cur.execute(sql).fetchAll()).toEqual(sqlite.prepare(sql).raw().all());
      }
    } finally {
      conn.close();
      sqlite.close();
    }
  });

  test('property: cold, warm and SQLite counts agree for random filters and tables', () => {
    const terms = fc.oneof(
      fc.tuple(
        fc.constantFrom('n', 'x'),
        fc.constantFrom('<', '>=', '=', '!='),
        fc.integer({ min: -5, max: 110 }),
      ),
      fc.tuple(
        fc.constant('s'),
        fc.constantFrom('=', '>', 'IS NOT'),
        fc.constantFrom("'s3'", "'s40'", 'NULL'),
      ),
    );
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.option(fc.integer({ min: 0, max: 100 })),
            fc.option(fc.double({ min: -5, max: 110, noNaN: true })),
            fc.option(fc.constantFrom('s3', 's40', 'zz')),
          ),
          { maxLength: 400 },
        ),
        fc.array(terms, { minLength: 1, maxLength: 3 }),
        fc.constantFrom(0, 1 << 20),
        (values, where, cacheBytes) => {
          const rows = values.map(([n, x, s], i): Row => [i + 1, n, x, s]);
          const { file, sqlite } = files(rows);
          const sql = `SELECT count(*) FROM t WHERE ${where.map(([c, op, v]) => `${c} ${op} ${v}`).join(' AND ')}`;
          const want = sqlite.prepare(sql).raw().all();
          sqlite.close();
          const conn = connect(file, { readOnly: true, cacheBytes });
          try {
            const cur = conn.cursor();
            expect(cur.execute(sql).fetchAll()).toEqual(want); // cold
            expect(cur.execute(sql).fetchAll()).toEqual(want); // warm: memo, column vectors
          } finally {
            conn.close();
          }
        },
      ),
      { numRuns: 60, seed: 20261202 },
    );
  });

  test('a scan reading through its window does not probe the row cache per row', () => {
    const { file, sqlite } = files(rowsOf(4000));
    sqlite.close();
    const probe = jest.spyOn(RowCache.prototype, 'get');
    const conn = connect(file, { readOnly: true });
    try {
      const cur = conn.cursor();
      const rows = cur.execute('SELECT * FROM t WHERE x > 100').fetchAll();
      expect(rows.length).toBeGreaterThan(3000);
      // One probe per window read at most (a window starts at a row the cache might hold).
      expect(probe.mock.calls.length).toBeLessThan(40);
    } finally {
      probe.mockRestore();
      conn.close();
    }
  });

  test('rows straddling read-ahead windows or larger than one read the same cold as warm', () => {
    // Sizes from a few bytes to 1.5 MiB (the window grows from 16 KiB to 1 MiB), so frames start
    // near window ends, run past them, and some never fit a window at all.
    const sizes = [10, 16_000, 40, 300_000, 5, 700_000, 1_500_000, 20, 1_100_000, 60_000, 15];
    const file = tmp.file();
    const conn = connect(file);
    const cur = conn.cursor();
    cur.execute('CREATE TABLE b (id INTEGER PRIMARY KEY, n INTEGER, blob BLOB)');
    const rows = Array.from({ length: 120 }, (_, i) => [
      i + 1,
      i % 5,
      Buffer.alloc(sizes[i % sizes.length], i % 251),
    ]);
    cur.executeMany('INSERT INTO b VALUES (?, ?, ?)', rows);
    conn.commit();
    conn.database.checkpoint();
    const warm = (sql: string): unknown[] => cur.execute(sql).fetchAll();
    const queries = [
      'SELECT id, length(blob), hex(substr(blob, 1, 2)) FROM b WHERE n >= 3',
      'SELECT count(*) FROM b WHERE n = 1',
      'SELECT id FROM b WHERE length(blob) > 100000',
    ];
    const expected = queries.map(warm);
    conn.close();
    for (const cacheBytes of [0, 64 << 20]) {
      const cold = connect(file, { readOnly: true, cacheBytes });
      try {
        queries.forEach((sql, k) => expect(cold.cursor().execute(sql).fetchAll()).toEqual(expected[k]));
      } finally {
        cold.close();
      }
    }
    expect((expected[0] as unknown[]).length).toBe(48);
  });

  test('a damaged frame is a FormatError for a cold scan that reads it', () => {
    const { file, sqlite } = files(rowsOf(200));
    sqlite.close();
    const pristine = fs.readFileSync(file);
    const records = listFrames(pristine).filter((f) => f.kind === FrameKind.RECORD_PUT);
    // Row 121 has x = 477.5 (accepted by x > 400), row 122 has x = 14.5 (rejected). The damage
    // is in the last byte, `s`, a column the filter does not read: only the checksum sees it.
    // A filter on `s` and `n` at once reads every row (one on `s` alone tests its DICT column,
    // format 1.5); one on `x` tests the column pages (format 1.3) and reads the rows it accepts
    // when it returns them; a count reads none of them.
    for (const [index, sql] of [
      [120, 'SELECT * FROM t WHERE x > 400'],
      [121, "SELECT count(*) FROM t WHERE s || n = 's33'"],
      [121, 'SELECT id, s FROM t WHERE n < 1000'],
    ] as [number, string][]) {
      const bytes = Buffer.from(pristine);
      const record = records[index];
      bytes[record.offset + 20 + record.length - 1] ^= 0x01;
      fs.writeFileSync(file, bytes);
      const conn = connect(file, { readOnly: true, cacheBytes: 0 });
      try {
        expect(() => conn.cursor().execute(sql).fetchAll()).toThrow(FormatError);
        expect(() => conn.cursor().execute(sql).fetchAll()).toThrow(/record checksum mismatch/);
      } finally {
        conn.close();
      }
    }
  });
});
