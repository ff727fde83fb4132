/**
 * A checkpoint's column pages (storage/column-pages.ts RowColumnWriter) after random updates: the
 * rows of a changed primary-key page then lie all over the file. Rows the row cache holds give
 * their values from memory; the other rows lying close together (the page's rows as a load wrote
 * them) are read in one system call, each row apart from them in one (a frame of up to 1 KiB). Work is counted (reads of the file during the checkpoint), not timed; the pages written
 * are proven by cold aggregates over them, compared with better-sqlite3, that decode no row.
 */
import BetterSqlite3 from 'better-sqlite3';
import { connect } from '../../src/index';
import * as fs from 'fs';
import { RowColumnWriter, denseWindow } from '../../storage/column-pages';
import { FileStore } from '../../storage/file-store';
import { RecordArena } from '../../storage/record-arena';
import { RowReader } from '../../storage/row-reader';
import { lcg } from '../helpers/seeded';
import { tmpDir } from '../helpers/tmp';

const DDL = 'CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER, x REAL, s TEXT, note TEXT)';
const ROWS = 6000;
/** Frames of ~950 bytes: the file outgrows a column writer's 4 MiB span, and each frame fits 1 KiB. */
const NOTE = 'n'.repeat(900);
/** No checkpoint but the test's own. */
const QUIET = { checkpointEveryBytes: 0, lightCheckpointBytes: 0, checkpointIdleMs: 0 };

/** The ROWS rows every file of these tests is loaded with. */
function loadRows(): unknown[][] {
  return Array.from({ length: ROWS }, (_, i) => [i + 1, i % 100, ((i * 37) % 1000) + 0.5, `s${i % 9}`, NOTE]);
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x9e3779b9) >>> 0;
    return s / 2 ** 32;
  };
}

describe('column pages after random updates', () => {
  const tmp = tmpDir();
  afterAll(() => tmp.cleanup());

  /** A checkpointed file of ROWS rows and its SQLite twin. */
  function build(): { file: string; sqlite: BetterSqlite3.Database } {
    const file = tmp.file();
    const sqlite = new BetterSqlite3(':memory:');
    sqlite.exec(DDL);
    const conn = connect(file, QUIET);
    conn.execute(DDL);
    const rows = loadRows();
    conn.cursor().executeMany('INSERT INTO t VALUES (?, ?, ?, ?, ?)', rows);
    // 5 MB of another table's rows: every row updated later lies more than a column writer's
    // 4 MiB span past every page's first row, so no page is read in one go.
    conn.execute('CREATE TABLE pad (id INTEGER PRIMARY KEY, note TEXT)');
    conn.cursor().executeMany(
      'INSERT INTO pad VALUES (?, ?)',
      Array.from({ length: 5000 }, (_, i) => [i, NOTE]),
    );
    conn.commit();
    conn.database.checkpoint();
    conn.close();
    const ins = sqlite.prepare('INSERT INTO t VALUES (?, ?, ?, ?, ?)');
    for (const r of rows) ins.run(...r);
    return { file, sqlite };
  }

  /** Update `count` random rows (numbers, NULLs and texts) in one transaction on both engines; distinct ids. */
  function update(
    conn: ReturnType<typeof connect>,
    sqlite: BetterSqlite3.Database,
    count: number,
    seed: number,
  ): number {
    const rnd = rng(seed);
    const ids = new Set<number>();
    const sql = 'UPDATE t SET n = ?, x = ?, s = ? WHERE id = ?';
    const cur = conn.cursor();
    const mirror = sqlite.prepare(sql);
    for (let k = 0; k < count; k++) {
      const id = 1 + Math.floor(rnd() * ROWS);
      ids.add(id);
      const params = [k % 11 === 0 ? null : Math.floor(rnd() * 200), rnd() * 1000, `u${k % 5}`, id];
      cur.execute(sql, params);
      mirror.run(...params);
    }
    conn.commit();
    return ids.size;
  }

  test("cached rows are not read again; a page's cold rows lying together are read in one call", () => {
    const { file, sqlite } = build();
    const conn = connect(file, QUIET);
    const reads = jest.spyOn(FileStore.prototype, 'readInto');
    try {
      // The updated rows' new versions are cached at the commit; the rest of each page is cold,
      // and lies where the load wrote it, side by side.
      const updated = update(conn, sqlite, 1500, 7);
      reads.mockClear();
      conn.database.checkpoint();
      const cold = ROWS - updated;
      expect(cold).toBeGreaterThan(4000);
      // A read per page of ~512 entries and little else (a read per cold row before: > 4,000).
      expect(reads.mock.calls.length).toBeGreaterThanOrEqual(ROWS / 512);
      expect(reads.mock.calls.length).toBeLessThanOrEqual(ROWS / 256 + 16);
    } finally {
      reads.mockRestore();
      conn.close();
      sqlite.close();
    }
  });

  test('without a row cache, the rows an update moved are read one by one, the rest a page at a time', () => {
    const { file, sqlite } = build();
    const conn = connect(file, { ...QUIET, cacheBytes: 0 });
    const reads = jest.spyOn(FileStore.prototype, 'readInto');
    try {
      // The moved rows lie ~11 KiB apart per page (a page's share of 1,500 rows of ~950 bytes):
      // too sparse for one read, while each page's other rows still lie together.
      const updated = update(conn, sqlite, 1500, 7);
      reads.mockClear();
      conn.database.checkpoint();
      expect(reads.mock.calls.length).toBeGreaterThanOrEqual(updated);
      expect(reads.mock.calls.length).toBeLessThanOrEqual(updated + ROWS / 256 + 16);
    } finally {
      reads.mockRestore();
      conn.close();
      sqlite.close();
    }
  });

  test('pages written from cached and read rows hold their values: cold aggregates equal SQLite', () => {
    const { file, sqlite } = build();
    const conn = connect(file, QUIET);
    update(conn, sqlite, 2000, 11);
    // Some cold rows cached by reading them, a second transaction's rows on top.
    conn.cursor().execute('SELECT sum(n) FROM t WHERE id BETWEEN 100 AND 900').fetchAll();
    update(conn, sqlite, 300, 12);
    conn.database.checkpoint();
    conn.close();
    coldAggregates(file, sqlite, 1);
    sqlite.close();
  });

  test('rows the record arena holds as frames are read there, not from the file', () => {
    const file = tmp.file();
    const sqlite = new BetterSqlite3(':memory:');
    sqlite.exec(DDL);
    // A 2 MiB budget: the load's rows overflow the decoded cache, and the commit leaves its newest
    // frames in the record arena (RowReader.keepCommitted).
    const conn = connect(file, { ...QUIET, cacheBytes: 2 << 20 });
    const rows = loadRows();
    const found = jest.spyOn(RecordArena.prototype, 'find');
    const reads = jest.spyOn(FileStore.prototype, 'readInto');
    try {
      conn.execute(DDL);
      conn.cursor().executeMany('INSERT INTO t VALUES (?, ?, ?, ?, ?)', rows);
      conn.commit();
      const ins = sqlite.prepare('INSERT INTO t VALUES (?, ?, ?, ?, ?)');
      for (const r of rows) ins.run(...r);
      found.mockClear();
      reads.mockClear();
      conn.database.checkpoint();
      const held = found.mock.results.filter((r) => (r.value as number) >= 0).length;
      expect(held).toBeGreaterThan(1000);
      // The others (in neither cache) lie side by side: a read per page, not one per row.
      expect(reads.mock.calls.length).toBeLessThanOrEqual(ROWS / 256 + 16);
    } finally {
      found.mockRestore();
      reads.mockRestore();
      conn.close();
    }
    coldAggregates(file, sqlite, 1);
    sqlite.close();
  });

  test('a light checkpoint builds no column page; the next full one gives every page its own', () => {
    const { file, sqlite } = build();
    const conn = connect(file, { ...QUIET, checkpointEveryBytes: 1 << 30, lightCheckpointBytes: 4096 });
    const writes = jest.spyOn(RowColumnWriter.prototype, 'write');
    const copy = tmp.file();
    try {
      const engine = conn.database.storage as unknown as { lightsWritten: number };
      const lights = engine.lightsWritten;
      update(conn, sqlite, 1500, 21);
      expect(engine.lightsWritten).toBe(lights + 1);
      expect(writes).not.toHaveBeenCalled();
      // A writer killed now leaves the light checkpoint: its pages' rows are read, and right.
      fs.copyFileSync(file, copy);
      coldAggregates(copy, sqlite, Infinity);
      conn.database.checkpoint();
      expect(writes.mock.calls.length).toBeGreaterThanOrEqual(ROWS / 512);
    } finally {
      writes.mockRestore();
      conn.close();
    }
    coldAggregates(file, sqlite, 1);
    sqlite.close();
  });
});

describe('column pages written one after another', () => {
  const tmp = tmpDir();
  afterAll(() => tmp.cleanup());

  test("each page holds its own rows' values: NULLs after a page of strings and numbers", () => {
    const file = tmp.file();
    const sqlite = new BetterSqlite3(':memory:');
    sqlite.exec(DDL);
    const conn = connect(file, QUIET);
    conn.execute(DDL);
    // Pages of 512 rows: the first ones full of values, then pages where some rows hold NULL.
    const rows = Array.from({ length: 4096 }, (_, i) => {
      const late = i >= 2048 && i % 3 === 0;
      return [i + 1, late ? null : i % 100, late ? null : i + 0.5, late ? null : `s${i % 4}`, 'n'];
    });
    conn.cursor().executeMany('INSERT INTO t VALUES (?, ?, ?, ?, ?)', rows);
    conn.commit();
    conn.database.checkpoint();
    conn.close();
    const ins = sqlite.prepare('INSERT INTO t VALUES (?, ?, ?, ?, ?)');
    for (const r of rows) ins.run(...r);
    const reader = connect(file, { readOnly: true, cacheBytes: 0 });
    const decode = jest.spyOn(RowReader.prototype, 'decodeRecord');
    try {
      for (const sql of [
        'SELECT count(*) FROM t WHERE s IS NULL',
        "SELECT count(*) FROM t WHERE s = 's1'",
        'SELECT count(*), sum(n), sum(x) FROM t WHERE n IS NULL OR n < 50',
      ]) {
        decode.mockClear();
        expect(reader.cursor().execute(sql).fetchAll()).toEqual(sqlite.prepare(sql).raw().all());
        expect(decode.mock.calls.length).toBeLessThanOrEqual(1);
      }
    } finally {
      decode.mockRestore();
      reader.close();
      sqlite.close();
    }
  });
});

describe("a commit's own checkpoint", () => {
  const tmp = tmpDir();
  afterAll(() => tmp.cleanup());

  test('takes its column pages from the rows the commit wrote: no frame is read back, the values are right', () => {
    const file = tmp.file();
    const sqlite = new BetterSqlite3(':memory:');
    sqlite.exec(DDL);
    // No decoded rows to find them in; a full checkpoint due at the commit of the load below.
    const conn = connect(file, { cacheBytes: 0, checkpointEveryBytes: 1 << 20, lightCheckpointBytes: 0 });
    conn.execute(DDL);
    conn.commit();
    const next = lcg(20261209);
    const rows = Array.from({ length: ROWS }, (_, i) => [
      i + 1,
      next(9) === 0 ? null : next(200),
      next(7) === 0 ? null : next(100_000) / 100,
      `u${next(6)}`,
      NOTE,
    ]);
    // Updated within the transaction too: the newest version of a row is the one kept.
    const cur = conn.cursor();
    cur.executeMany('INSERT INTO t VALUES (?, ?, ?, ?, ?)', rows);
    cur.executeMany(
      'UPDATE t SET n = ?, s = ? WHERE id = ?',
      rows.filter((_r, i) => i % 5 === 0).map((r, k) => [k % 3 === 0 ? null : k, `s${k % 4}`, r[0]]),
    );
    const ins = sqlite.prepare('INSERT INTO t VALUES (?, ?, ?, ?, ?)');
    for (const r of rows) ins.run(...r);
    const upd = sqlite.prepare('UPDATE t SET n = ?, s = ? WHERE id = ?');
    rows.filter((_r, i) => i % 5 === 0).forEach((r, k) => upd.run(k % 3 === 0 ? null : k, `s${k % 4}`, r[0]));
    const writes = jest.spyOn(RowColumnWriter.prototype, 'write');
    const reads = jest.spyOn(FileStore.prototype, 'readInto');
    try {
      conn.commit();
      // The checkpoint ran and wrote column pages, reading no row's frame back (a read per page
      // and per moved row before).
      expect(writes.mock.calls.length).toBeGreaterThanOrEqual(ROWS / 512);
      expect(reads.mock.calls.length).toBeLessThanOrEqual(2);
    } finally {
      writes.mockRestore();
      reads.mockRestore();
      conn.close();
    }
    coldAggregates(file, sqlite, 1);
    sqlite.close();
  });
});

/**
 * Cold aggregates over `file` equal SQLite's; each decodes at most `decodedRows` rows (1: the
 * column pages answer, only the first match's row is read).
 */
function coldAggregates(file: string, sqlite: BetterSqlite3.Database, decodedRows: number): void {
  const decode = jest.spyOn(RowReader.prototype, 'decodeRecord');
  const partial = jest.spyOn(RowReader.prototype, 'scanRowWhere');
  const reader = connect(file, { readOnly: true, cacheBytes: 0 });
  try {
    for (const [sql, params] of [
      ['SELECT count(*), sum(n), min(x), max(x) FROM t WHERE n > ?', [50]],
      ['SELECT count(*), sum(x) FROM t WHERE n IS NULL', []],
      ['SELECT count(*) FROM t WHERE s = ?', ['u3']],
      ['SELECT count(*), sum(n) FROM t WHERE x < ? AND s != ?', [300, 's4']],
    ] as [string, unknown[]][]) {
      decode.mockClear();
      partial.mockClear();
      const got = reader.cursor().execute(sql, params).fetchAll();
      expect(got).toEqual(
        sqlite
          .prepare(sql)
          .raw()
          .all(...params),
      );
      expect(decode.mock.calls.length).toBeLessThanOrEqual(decodedRows);
      expect(partial.mock.calls.length).toBeLessThanOrEqual(decodedRows);
    }
  } finally {
    decode.mockRestore();
    partial.mockRestore();
    reader.close();
  }
}

describe('denseWindow: the run of cold rows read in one call', () => {
  const at = (n: number, step: number, start = 0): number[] =>
    Array.from({ length: n }, (_, i) => start + i * step);
  const window = (locations: number[]): { lo: number; hi: number } | null =>
    denseWindow(Float64Array.from(locations), locations.length);

  test('no run of fewer than two rows, nor of rows more than 8 KiB apart', () => {
    expect(window([])).toBeNull();
    expect(window([4096])).toBeNull();
    expect(window(at(10, 100 * 1024))).toBeNull();
  });

  test('the densest run wins, wherever it lies among the others and in whatever order', () => {
    const load = at(300, 300, 1 << 20);
    const moved = at(50, 100, 10 << 20);
    const all = [...moved, ...load, 5 << 20];
    const next = lcg(3);
    for (let i = all.length - 1; i > 0; i--) {
      const j = next(i + 1);
      [all[i], all[j]] = [all[j], all[i]];
    }
    expect(window(all)).toEqual({ lo: 1 << 20, hi: (1 << 20) + 299 * 300 });
  });

  test('a run is cut to 4 MiB even when its rows are dense enough past that', () => {
    const w = window(at(2000, 4096));
    expect(w).not.toBeNull();
    expect((w as { lo: number; hi: number }).hi - (w as { lo: number; hi: number }).lo).toBeLessThanOrEqual(
      4 << 20,
    );
    expect((w as { lo: number; hi: number }).hi - (w as { lo: number; hi: number }).lo).toBeGreaterThan(
      (4 << 20) - 4096,
    );
  });
});
