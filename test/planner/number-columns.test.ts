/**
 * A scan filtered only by comparisons of INTEGER / REAL columns with numbers tests the scan
 * memo's column vectors (storage/scan-memo.ts) and reads only the rows that pass: counted here
 * through the row reader, not timed. Answers equal SQLite's through NULLs, mixed integer and
 * real values, writes inside an open transaction (leaves changed in place), deletes, updates,
 * ALTER TABLE ADD COLUMN (rows too short for the column) and rollback.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import fc from 'fast-check';
import { connect } from '../../src/index';
import type { Connection, Cursor } from '../../src/index';
import { RowReader } from '../../storage/row-reader';
import { ColumnVectors } from '../../storage/column-vectors';

const bag = (rows: readonly unknown[]): string[] => rows.map((r) => JSON.stringify(r)).sort();

test('after the first pass, only the rows that pass are read', () => {
  const conn = connect(':memory:');
  const spy = jest.spyOn(RowReader.prototype, 'scanRowWhere');
  try {
    const cur = conn.cursor();
    cur.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER, x REAL, s TEXT)');
    cur.executeMany(
      'INSERT INTO t VALUES (?, ?, ?, ?)',
      Array.from({ length: 5000 }, (_, i) => [i + 1, i % 100, ((i * 37) % 1000) + 0.5, `s${i}`]),
    );
    conn.commit();
    const sql = 'SELECT id FROM t WHERE x > ? AND n < ?';
    const first = cur.execute(sql, [990, 50]).fetchAll();
    spy.mockClear();
    const second = cur.execute(sql, [990, 50]).fetchAll();
    expect(second).toEqual(first);
    // Every row of 5,000 tested on the vectors; only the matches read.
    expect(spy.mock.calls.length).toBe(second.length);
    expect(second.length).toBeGreaterThan(0);
    expect(second.length).toBeLessThan(100);
    // A term over a text and a number column is neither a number nor a text test: every row is
    // read again.
    spy.mockClear();
    cur.execute("SELECT id FROM t WHERE x > 990 AND s || x >= 's'").fetchAll();
    expect(spy.mock.calls.length).toBe(5000);
  } finally {
    spy.mockRestore();
    conn.close();
  }
});

test("a vector is trusted only where its locations equal the leaf's entries", () => {
  // A vector that no longer describes some entries (they moved since it was built) must not let
  // a scan skip them: here it says "rejected" exactly where it is stale and the row would pass.
  const conn = connect(':memory:');
  const real = ColumnVectors.prototype.scanNumberColumn;
  const spy = jest.spyOn(ColumnVectors.prototype, 'scanNumberColumn');
  try {
    const cur = conn.cursor();
    cur.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER)');
    cur.executeMany(
      'INSERT INTO t VALUES (?, ?)',
      Array.from({ length: 3000 }, (_, i) => [i + 1, (i * 7) % 100]),
    );
    conn.commit();
    const sql = 'SELECT id FROM t WHERE n > 90';
    const expected = cur.execute(sql).fetchAll();
    expect(expected.length).toBe(270);
    spy.mockImplementation(function (
      this: ColumnVectors,
      ...args: Parameters<ColumnVectors['scanNumberColumn']>
    ) {
      const v = real.apply(this, args);
      if (v === undefined) return v;
      const locations = Float64Array.from(v.locations);
      const values = Float64Array.from(v.values);
      for (let p = 0; p < values.length; p++)
        if (values[p] > 90) {
          locations[p] = -1;
          values[p] = 0;
        }
      return { locations, values, trustedOn: null };
    });
    for (let round = 0; round < 3; round++) expect(cur.execute(sql).fetchAll()).toEqual(expected);
    expect(spy).toHaveBeenCalled();
  } finally {
    spy.mockRestore();
    conn.close();
  }
});

test('number filters agree with SQLite through NULLs, writes in place, ALTER and rollback', () => {
  const ops = ['<', '<=', '>', '>=', '=', '!=', '<>'];
  fc.assert(
    fc.property(
      fc.array(
        fc.record({
          col: fc.constantFrom('n', 'x'),
          op: fc.constantFrom(...ops),
          value: fc.oneof(fc.integer({ min: -3, max: 12 }), fc.constantFrom(2.5, 7.0, -0.5, 0)),
          flip: fc.boolean(),
        }),
        { minLength: 1, maxLength: 3 },
      ),
      fc.integer({ min: 0, max: 1_000_000 }),
      (terms, seed) => {
        const conn = connect(':memory:');
        const sqlite = new BetterSqlite3(':memory:');
        try {
          let s = seed;
          const r = (m: number): number => {
            s = (s * 1103515245 + 12345) % 2147483648;
            return s % m;
          };
          const cur = conn.cursor();
          const both = (sql: string, params: unknown[] = []): void => {
            cur.execute(sql, params);
            sqlite.prepare(sql).run(...params);
          };
          both('CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER, x REAL)');
          const rows = Array.from({ length: 700 }, (_, i) => [
            i + 1,
            r(9) === 0 ? null : r(12) - 1,
            r(7) === 0 ? null : r(24) / 2 - 1,
          ]);
          sqlite.exec('BEGIN');
          cur.executeMany('INSERT INTO t VALUES (?, ?, ?)', rows);
          const ins = sqlite.prepare('INSERT INTO t VALUES (?, ?, ?)');
          for (const row of rows) ins.run(...row);
          conn.commit();
          sqlite.exec('COMMIT');
          const where = terms
            .map((t) => (t.flip ? `${t.value} ${flip(t.op)} ${t.col}` : `${t.col} ${t.op} ${t.value}`))
            .join(' AND ');
          const sql = `SELECT id, n, x FROM t WHERE ${where}`;
          const same = (): void => {
            // Twice: the first pass memoizes the rows, the second runs on the vectors.
            for (let k = 0; k < 2; k++)
              expect({ sql, rows: bag(cur.execute(sql).fetchAll()) }).toEqual({
                sql,
                rows: bag(sqlite.prepare(sql).raw(true).all() as unknown[][]),
              });
          };
          same();
          // Writes inside an open transaction change the writer's leaves in place.
          sqlite.exec('BEGIN');
          both('INSERT INTO t VALUES (?, ?, ?)', [10_000 + r(50), 5, 5.5]);
          both('INSERT INTO t VALUES (?, ?, ?)', [2000 + r(50), null, 7]);
          both('DELETE FROM t WHERE id % 11 = ?', [r(11)]);
          both('UPDATE t SET x = x + 1 WHERE id % 13 = ?', [r(13)]);
          same();
          // Leaves the transaction cloned now have vectors; change them in place again.
          both('DELETE FROM t WHERE id % 5 = ?', [r(5)]);
          both('UPDATE t SET n = n + 1 WHERE id % 3 = ?', [r(3)]);
          same();
          conn.rollback();
          sqlite.exec('ROLLBACK');
          same();
          // Rows written before ADD COLUMN lack the new column: they read its default.
          both('ALTER TABLE t ADD COLUMN y REAL DEFAULT 3');
          conn.commit();
          const y = `SELECT id FROM t WHERE y > 2 AND ${where}`;
          for (let k = 0; k < 2; k++)
            expect(bag(cur.execute(y).fetchAll())).toEqual(
              bag(sqlite.prepare(y).raw(true).all() as unknown[][]),
            );
        } finally {
          conn.close();
          sqlite.close();
        }
      },
    ),
    { seed: 4711, numRuns: 60 },
  );
});

function flip(op: string): string {
  return ({ '<': '>', '<=': '>=', '>': '<', '>=': '<=' } as Record<string, string>)[op] ?? op;
}

/**
 * A file written by `write` and closed, then opened again cold for `read`, with scanRowWhere
 * counted through `spy` (rows the reader had to test one by one).
 */
function onReopenedFile(
  write: (w: Connection) => void,
  read: (cur: Cursor, conn: Connection, spy: jest.SpyInstance) => void,
): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mv-numcol-'));
  const file = path.join(dir, 'cold.mv');
  const spy = jest.spyOn(RowReader.prototype, 'scanRowWhere');
  try {
    const w = connect(file);
    write(w);
    w.commit();
    w.close();
    const conn = connect(file);
    try {
      read(conn.cursor(), conn, spy);
    } finally {
      conn.close();
    }
  } finally {
    spy.mockRestore();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test.each([
  ['', 'a table at its first schema version'],
  ['CREATE INDEX t_s ON t (s)', 'a table indexed after its rows were written (schema version 2)'],
  ['ALTER TABLE t ADD COLUMN y REAL DEFAULT 3', 'rows shorter than the schema (ADD COLUMN)'],
])('a file opened cold gets its vectors from the first scan (%s: %s)', (ddl) => {
  // Rejected rows are never decoded whole, so the first scan must fill the vectors itself.
  onReopenedFile(
    (w) => {
      w.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER, s TEXT)');
      w.cursor().executeMany(
        'INSERT INTO t VALUES (?, ?, ?)',
        Array.from({ length: 3000 }, (_, i) => [i + 1, i % 300, `s${i}`]),
      );
      if (ddl) w.execute(ddl);
    },
    (cur, _conn, spy) => {
      const first = cur.execute('SELECT id FROM t WHERE n = 7').fetchAll();
      expect(first).toHaveLength(10);
      spy.mockClear();
      expect(cur.execute('SELECT id FROM t WHERE n = 7').fetchAll()).toEqual(first);
      expect(spy.mock.calls.length).toBe(10);
    },
  );
});

test('a value read as a default never fills a vector: a rolled-back ADD COLUMN reuses its number', () => {
  onReopenedFile(
    (w) => {
      w.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER)');
      w.cursor().executeMany(
        'INSERT INTO t VALUES (?, ?)',
        Array.from({ length: 2000 }, (_, i) => [i + 1, i % 200]),
      );
    },
    (cur, conn, spy) => {
      cur.execute('ALTER TABLE t ADD COLUMN y INTEGER DEFAULT 5');
      // Every stored row lacks y: each scan tests every row on its default, twice over.
      for (let k = 0; k < 2; k++) {
        spy.mockClear();
        expect(cur.execute('SELECT count(*) FROM t WHERE y = 5').fetchOne()).toEqual([2000]);
        expect(spy.mock.calls.length).toBe(2000);
      }
      conn.rollback();
      // The same column number, another default: a vector kept from the first would say 5.
      cur.execute('ALTER TABLE t ADD COLUMN z INTEGER DEFAULT 7');
      expect(cur.execute('SELECT count(*) FROM t WHERE z = 7').fetchOne()).toEqual([2000]);
      expect(cur.execute('SELECT count(*) FROM t WHERE z = 5').fetchOne()).toEqual([0]);
      // The stored column still gets its vectors beside the short rows.
      cur.execute('SELECT id FROM t WHERE n = 7').fetchAll();
      spy.mockClear();
      expect(cur.execute('SELECT id FROM t WHERE n = 7').fetchAll()).toHaveLength(10);
      expect(spy.mock.calls.length).toBe(10);
    },
  );
});
