/**
 * The record arena (storage/record-arena.ts) behind the decoded-row cache, and the row cache's
 * admission once full. Unit level: the arena returns exactly the bytes put for a location or
 * nothing, stays within its budget, drops oldest first. Engine level: a table larger than the
 * decoded-row budget is read a second time from the arena, not the file (reads counted, not
 * timed), with every row equal to better-sqlite3's, also after updates and a compaction.
 */
import BetterSqlite3 from 'better-sqlite3';
import { connect } from '../../src/index';
import { FileStore } from '../../storage/file-store';
import { RecordArena } from '../../storage/record-arena';
import { RowCache } from '../../storage/row-cache';
import { lcg } from '../helpers/seeded';
import { tmpDir } from '../helpers/tmp';

/** A frame-like byte string for `location`: its length and every byte follow from it. */
function frameFor(location: number, length: number): Buffer {
  const b = Buffer.alloc(length);
  for (let i = 0; i < length; i++) b[i] = (location * 31 + i * 7) & 0xff;
  return b;
}

function found(arena: RecordArena, location: number, length: number): Buffer | null {
  const at = arena.find(location);
  return at < 0 ? null : arena.buf.subarray(at, at + length);
}

describe('record arena', () => {
  test('returns the bytes put for a location, or nothing; never more than its budget', () => {
    const budget = 2 << 20;
    const arena = new RecordArena(budget);
    const next = lcg(20261207);
    const lengths = new Map<number, number>();
    let wrong = 0;
    let hits = 0;
    for (let i = 0; i < 40_000; i++) {
      const location = next(30_000) * 64;
      const known = lengths.get(location);
      const got = known === undefined ? null : found(arena, location, known);
      if (got) {
        hits++;
        if (!got.equals(frameFor(location, known as number))) wrong++;
      } else {
        const length = known ?? 20 + next(400);
        lengths.set(location, length);
        arena.put(location, frameFor(location, length), 0, length);
        expect(found(arena, location, length)?.equals(frameFor(location, length))).toBe(true);
      }
      if (i % 1000 === 0) expect(arena.bytes).toBeLessThanOrEqual(budget);
    }
    expect(wrong).toBe(0);
    expect(arena.bytes).toBeLessThanOrEqual(budget);
    // ~6.6 MB of distinct frames offered to 2 MiB: a good part is found, not all.
    expect(hits).toBeGreaterThan(4_000);
    expect(arena.size).toBeLessThan(lengths.size);
  });

  test('frames kept back to back (putAdjacent) are kept as put() one by one keeps them', () => {
    const next = lcg(20261208);
    for (let round = 0; round < 40; round++) {
      // Rounds 20 on: addresses modulo 2^22 (a table rebuild every MiB of frames, often inside a
      // run: its addresses must be read against the run's `end`).
      const budget = round < 20 ? (1 + next(4)) << 20 : 1 << 20;
      const options = round < 20 ? {} : { addressBits: 22 };
      const one = new RecordArena(budget, options);
      const run = new RecordArena(budget, options);
      let location = next(1000) * 8;
      // Several commits of frames lying back to back, some larger than an eighth of a slab
      // (never kept) and many crossing slab ends.
      for (let commit = 0; commit < 1 + next(6); commit++) {
        const count = 1 + next(3000);
        const locations: number[] = [];
        const parts: Buffer[] = [];
        for (let i = 0; i < count; i++) {
          // Odd rounds: tiny frames, so the table fills and drops old slabs while a run goes in.
          const length = next(50) === 0 ? 40_000 + next(200_000) : 20 + next(round % 2 ? 24 : 600);
          locations.push(location);
          parts.push(frameFor(location, length));
          location += length;
        }
        const lead = next(64);
        const bytes = Buffer.concat([Buffer.alloc(lead), ...parts]);
        for (let i = 0; i < count; i++) one.put(locations[i], parts[i], 0, parts[i].length);
        run.putAdjacent(locations, 0, count, bytes, lead, bytes.length);
        for (let i = 0; i < count; i++) {
          const a = found(one, locations[i], parts[i].length);
          const b = found(run, locations[i], parts[i].length);
          expect(b === null ? null : b.equals(parts[i])).toBe(a === null ? null : true);
        }
        // The same frames; its table may have been grown at once for the run (within the budget).
        expect(run.size).toBe(one.size);
        expect(run.bytes).toBeGreaterThanOrEqual(one.bytes);
        expect(run.bytes).toBeLessThanOrEqual(budget);
      }
    }
  });

  test('drops the oldest frames first, a slab at a time', () => {
    const arena = new RecordArena(1 << 20);
    const frame = frameFor(0, 200);
    for (let i = 0; i < 20_000; i++) arena.put(i, frame, 0, 200);
    // The newest frames are all there; the oldest are gone; what is held is one run of the newest.
    expect(arena.find(19_999)).toBeGreaterThanOrEqual(0);
    expect(arena.find(0)).toBe(-1);
    let held = 0;
    for (let i = 19_999; i >= 0 && arena.find(i) >= 0; i--) held++;
    expect(held).toBe(arena.size);
    expect(held).toBeGreaterThan(3_000);
    expect(arena.bytes).toBeLessThanOrEqual(1 << 20);
  });

  test('many small frames: the table stays within the budget and keeps the newest', () => {
    const budget = 1 << 20;
    const arena = new RecordArena(budget);
    const frame = frameFor(7, 24);
    for (let i = 0; i < 200_000; i++) arena.put(i * 8, frame, 0, 24);
    expect(arena.bytes).toBeLessThanOrEqual(budget);
    expect(found(arena, 199_999 * 8, 24)?.equals(frame)).toBe(true);
    expect(arena.size).toBeGreaterThan(10_000);
  });

  test('frames larger than an eighth of a slab are not kept; clear() forgets everything', () => {
    const arena = new RecordArena(4 << 20);
    const big = frameFor(1, 300_000);
    arena.put(1, big, 0, big.length);
    expect(arena.find(1)).toBe(-1);
    arena.put(2, frameFor(2, 100), 0, 100);
    expect(found(arena, 2, 100)?.equals(frameFor(2, 100))).toBe(true);
    arena.clear();
    expect(arena.find(2)).toBe(-1);
    expect(arena.size).toBe(0);
  });

  test('8-byte table slots: 208 of the default 224 MiB go to slabs; a budget past 1 GiB keeps whole addresses', () => {
    const arena = new RecordArena(224 << 20); // 7/8 of the default 256 MiB cacheBytes
    expect(arena.slotBytes).toBe(8);
    // 2M slots of 8 bytes (16 MiB) leave 208 MiB of slabs: the bench's 1M items (~200 MiB) fit.
    expect(arena.capacityBytes).toBe(208 << 20);
    expect(new RecordArena(1.5 * 2 ** 30).slotBytes).toBe(12);
  });

  /**
   * Addresses kept modulo 2^addressBits (here 2^22: a wrap every 4 MiB of puts) read back exactly
   * across hundreds of wrap-arounds. Locations put once early and never again stay in the table
   * as stale entries while re-puts of other locations overwrite their slots (no rebuild for
   * fullness): only the periodic purge keeps them from aliasing a live address later.
   */
  test.each([
    ['modulo 2^22 (narrow)', 22, 8],
    ['modulo 2^16, so kept whole (wide)', 16, 12],
  ])('addresses %s: exactly the bytes put, or nothing, across many wrap-arounds', (_name, bits, slot) => {
    const arena = new RecordArena(512 << 10, { addressBits: bits });
    expect(arena.slotBytes).toBe(slot);
    const next = lcg(20261208 + bits);
    // The LCG's high bits (its low bits repeat with short periods).
    const pick = (n: number): number => Math.floor((next(2 ** 31) / 2 ** 31) * n);
    const lengthOf = (location: number): number => 40 + ((location * 2654435761) % 2000);
    const once: number[] = [];
    // 300 of them and 300 hot ones: the table (1,024 slots) never fills to its rebuild at 3/4.
    for (let i = 0; i < 300; i++) once.push(1_000_000 + i * 4096);
    for (const location of once)
      arena.put(location, frameFor(location, lengthOf(location)), 0, lengthOf(location));
    let wrong = 0;
    let missedJustPut = 0;
    let hits = 0;
    const check = (location: number): void => {
      const length = lengthOf(location);
      const got = found(arena, location, length);
      if (got === null) return;
      hits++;
      if (!got.equals(frameFor(location, length))) wrong++;
    };
    // ~200 MiB of puts over 300 hot locations: ~50 wrap-arounds of 2^22.
    for (let i = 0; i < 200_000; i++) {
      const location = pick(300) * 64;
      const length = lengthOf(location);
      arena.put(location, frameFor(location, length), 0, length);
      if (found(arena, location, length) === null) missedJustPut++;
      check(pick(300) * 64);
      if (i % 1000 === 0) for (const o of once) check(o);
    }
    for (const o of once) check(o);
    expect(wrong).toBe(0);
    expect(missedJustPut).toBe(0);
    expect(hits).toBeGreaterThan(100_000);
    expect(arena.bytes).toBeLessThanOrEqual(512 << 10);
  });

  test('locations past 4 GiB widen the keys; every location still finds its own frame', () => {
    const arena = new RecordArena(1 << 20);
    const locations: number[] = [];
    for (let i = 0; i < 2000; i++) locations.push(i * 200, 2 ** 32 - 2000 + i * 7, 2 ** 33 + i * 200);
    for (const location of locations) arena.put(location, frameFor(location, 100), 0, 100);
    expect(arena.slotBytes).toBe(12);
    let right = 0;
    for (const location of locations)
      if (found(arena, location, 100)?.equals(frameFor(location, 100))) right++;
    // What the slabs hold (the newest ~9,000 of 6,000 frames of 100 bytes: all) is found, exactly.
    expect(right).toBe(locations.length);
    // The low 32 bits of a location past 4 GiB name a different location.
    expect(arena.find(2 ** 33 + 200 - 2 ** 32)).toBe(-1);
  });

  test('a budget below two small slabs keeps nothing', () => {
    const arena = new RecordArena(64 << 10);
    arena.put(5, frameFor(5, 50), 0, 50);
    expect(arena.find(5)).toBe(-1);
  });
});

describe('row cache admission once full', () => {
  const entry = (bytes: number) => ({ collectionId: 1, row: [bytes], bytes });

  test('admits every row until the budget is reached, then one in sixteen', () => {
    const cache = new RowCache(100 * 100);
    for (let i = 0; i < 100; i++) cache.admit(i, entry(100));
    expect(cache.size).toBe(100);
    let admitted = 0;
    for (let i = 100; i < 1_700; i++) {
      cache.admit(i, entry(100));
      if (cache.peek(i) !== undefined) admitted++;
    }
    // The first admit past the budget is kept (it finds the cache full), then every sixteenth.
    expect(admitted).toBeGreaterThanOrEqual(1_600 / 16);
    expect(admitted).toBeLessThanOrEqual(1_600 / 16 + 2);
    expect(cache.bytes).toBeLessThanOrEqual(100 * 100);
  });

  test('resize() evicts down to a smaller budget; clear() admits everything again', () => {
    const cache = new RowCache(100 * 100);
    for (let i = 0; i < 100; i++) cache.set(i, entry(100));
    cache.resize(50 * 100);
    expect(cache.bytes).toBeLessThanOrEqual(50 * 100);
    cache.clear();
    for (let i = 0; i < 40; i++) cache.admit(i, entry(100));
    expect(cache.size).toBe(40);
  });
});

describe('rows read from the arena instead of the file', () => {
  const tmp = tmpDir();
  afterAll(() => tmp.cleanup());
  const DDL = 'CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER, s TEXT, note TEXT)';
  const ROWS = 30_000;
  /**
   * ~150-byte records, ~330 bytes charged decoded: the 9.9 MB of decoded rows do not fit 8 MiB,
   * the 4.5 MB of frames and their table fit the arena's 7 MiB.
   */
  const CACHE = 8 << 20;

  function build(keep?: (conn: ReturnType<typeof connect>, sqlite: BetterSqlite3.Database) => void): {
    file: string;
    sqlite: BetterSqlite3.Database;
  } {
    const file = tmp.file();
    const sqlite = new BetterSqlite3(':memory:');
    sqlite.exec(DDL);
    const conn = connect(file, { cacheBytes: CACHE });
    conn.execute(DDL);
    const insert = 'INSERT INTO t VALUES (?, ?, ?, ?)';
    const ins = sqlite.prepare(insert);
    const cur = conn.cursor();
    for (let i = 1; i <= ROWS; i++) {
      const row = [i, (i * 7919) % 1000, `s${i}`, `note ${i} ${'x'.repeat(100 + (i % 40))}`];
      ins.run(row);
      cur.execute(insert, row);
    }
    try {
      conn.commit();
      keep?.(conn, sqlite);
    } finally {
      conn.close();
    }
    return { file, sqlite };
  }

  test('by the fourth pass of random point reads no row is read from the file, and every row is right', () => {
    const { file, sqlite } = build();
    const conn = connect(file, { cacheBytes: CACHE });
    const reads = jest.spyOn(FileStore.prototype, 'readInto');
    try {
      const next = lcg(7);
      const ids = Array.from({ length: 60_000 }, () => 1 + next(ROWS));
      const get = sqlite.prepare('SELECT * FROM t WHERE id = ?').raw(true);
      const cur = conn.cursor();
      const pass = (): number => {
        let wrong = 0;
        reads.mockClear();
        for (const id of ids) {
          const got = cur.execute('SELECT * FROM t WHERE id = ?', [id]).fetchAll();
          if (JSON.stringify(got) !== JSON.stringify(get.all(id))) wrong++;
        }
        return wrong;
      };
      expect(pass()).toBe(0);
      const first = reads.mock.calls.length;
      expect(first).toBeGreaterThan(20_000); // the rows were not in memory: read from the file
      // The arena grows only once the decoded cache is full: by the second pass most rows are in
      // memory, by the third every row comes from the arena or the decoded cache, none from the
      // file, and the decoded cache gave up what the arena took.
      expect(pass()).toBe(0);
      expect(reads.mock.calls.length).toBeLessThan(first / 4);
      // The arena asks for a slab once per slab's worth of rows read from the file, so the last
      // few rows come into memory over a pass or two more (the fourth pass with 8-byte table
      // slots, whose smaller table leaves the decoded cache more of the budget at first).
      const later: number[] = [];
      for (let i = 0; i < 2 && (later.length === 0 || later[later.length - 1] > 0); i++) {
        expect(pass()).toBe(0);
        later.push(reads.mock.calls.length);
      }
      expect(later[0]).toBeLessThan(first / 20);
      const memory = conn.database.storage.rowMemory;
      expect(later[later.length - 1]).toBe(0);
      expect(memory.arenaHits).toBeGreaterThan(10_000);
      expect(memory.arenaFrames).toBeGreaterThan(8_000);
      expect(memory.arenaBytes + memory.decodedBytes).toBeLessThanOrEqual(CACHE);
    } finally {
      reads.mockRestore();
      conn.close();
      sqlite.close();
    }
  });

  test('a commit that overflows the decoded cache leaves its newest frames in the arena', () => {
    let newest: { reads: number; hits: number; wrong: number } | null = null;
    const { sqlite } = build((conn, twin) => {
      const memory = conn.database.storage.rowMemory;
      expect(memory.arenaFrames).toBeGreaterThan(15_000);
      const reads = jest.spyOn(FileStore.prototype, 'readInto');
      try {
        const cur = conn.cursor();
        const get = twin.prepare('SELECT * FROM t WHERE id = ?').raw(true);
        let wrong = 0;
        for (let id = ROWS; id > ROWS - 15_000; id--)
          if (
            JSON.stringify(cur.execute('SELECT * FROM t WHERE id = ?', [id]).fetchAll()) !==
            JSON.stringify(get.all(id))
          )
            wrong++;
        newest = { reads: reads.mock.calls.length, hits: conn.database.storage.rowMemory.arenaHits, wrong };
      } finally {
        reads.mockRestore();
      }
    });
    sqlite.close();
    // The newest 15,000 rows: those the decoded cache dropped come from the arena, none from the file.
    expect(newest).toEqual({ reads: 0, hits: expect.any(Number), wrong: 0 });
    expect((newest as unknown as { hits: number }).hits).toBeGreaterThan(5_000);
  });

  test("every frame of a commit that fits is kept, a spilled front's frames across its read chunks' ends too", () => {
    // The commit's 4.5 MB of frames: its first ~3 MiB were spilled and are read back from the
    // log a 1 MiB chunk at a time, frames cut by a chunk's end read again from their start.
    let all: { reads: number; wrong: number } | null = null;
    const { sqlite } = build((conn, twin) => {
      const reads = jest.spyOn(FileStore.prototype, 'readInto');
      try {
        const cur = conn.cursor();
        const get = twin.prepare('SELECT * FROM t WHERE id = ?').raw(true);
        let wrong = 0;
        for (let id = 1; id <= ROWS; id++)
          if (
            JSON.stringify(cur.execute('SELECT * FROM t WHERE id = ?', [id]).fetchAll()) !==
            JSON.stringify(get.all(id))
          )
            wrong++;
        all = { reads: reads.mock.calls.length, wrong };
      } finally {
        reads.mockRestore();
      }
    });
    sqlite.close();
    expect(all).toEqual({ reads: 0, wrong: 0 });
  });

  test('a read failing while a commit fills the arena ends the filling, not the commit', () => {
    const file = tmp.file();
    const quiet = { checkpointEveryBytes: 0, lightCheckpointBytes: 0, checkpointIdleMs: 0 };
    const conn = connect(file, { ...quiet, cacheBytes: CACHE });
    const original = FileStore.prototype.readInto;
    const reads = jest.spyOn(FileStore.prototype, 'readInto');
    try {
      conn.execute(DDL);
      conn.commit();
      const cur = conn.cursor();
      // ~4.5 MB in one transaction: its front spills, and the arena reads it back at commit.
      for (let i = 1; i <= ROWS; i++)
        cur.execute('INSERT INTO t VALUES (?, ?, ?, ?)', [i, i % 1000, `s${i}`, 'y'.repeat(120)]);
      // Small reads (the writer's ownership checks) go through; the read-back's chunks fail.
      let failed = 0;
      reads.mockImplementation(function (this: FileStore, buf, offset, length, position) {
        if (length < 64 << 10) return original.call(this, buf, offset, length, position);
        failed++;
        throw new Error('EIO: simulated read failure');
      });
      expect(() => conn.commit()).not.toThrow();
      expect(failed).toBe(1); // the filling tried to read the spilled front back, once
      reads.mockRestore();
      expect(cur.execute('SELECT count(*), sum(n) FROM t').fetchAll()).toEqual([[ROWS, 14_985_000]]);
    } finally {
      reads.mockRestore();
      conn.close();
    }
    const again = connect(file, { readOnly: true });
    try {
      expect(again.cursor().execute('SELECT count(*) FROM t').fetchAll()).toEqual([[ROWS]]);
    } finally {
      again.close();
    }
  });

  test('rows read again and again that fit decoded keep their budget: the arena stops growing', () => {
    const { file, sqlite } = build();
    sqlite.close();
    const conn = connect(file, { cacheBytes: 2 << 20 });
    try {
      const cur = conn.cursor();
      const next = lcg(3);
      const read = (id: number): unknown => cur.execute('SELECT * FROM t WHERE id = ?', [id]).fetchAll();
      // Spread reads fill the 2 MiB decoded cache (~6,000 rows) past its budget.
      for (let k = 0; k < 10_000; k++) read(1 + next(ROWS));
      // A hot set of 1,500 rows (admitted one miss in 16: after 60 rounds nearly all are
      // decoded), then the same with one cold row in 20 (5 % of lookups miss).
      const hot = Array.from({ length: 1_500 }, (_, i) => 1 + i * 17);
      for (let round = 0; round < 60; round++) for (const id of hot) read(id);
      const before = conn.database.storage.rowMemory;
      expect(before.decodedRows).toBeGreaterThan(1_500);
      for (let round = 0; round < 30; round++)
        hot.forEach((id, i) => {
          read(id);
          if (i % 20 === 0) read(1 + next(ROWS));
        });
      const after = conn.database.storage.rowMemory;
      // ~1,800 cold frames (~270 KB) went through the arena: it reused its slabs instead of
      // taking budget from the decoded hot rows.
      expect(after.arenaMisses - before.arenaMisses).toBeGreaterThan(1_200);
      expect(after.arenaBytes).toBeLessThanOrEqual(before.arenaBytes);
    } finally {
      conn.close();
    }
  });

  test('rows stay right through updates, deletes and a compaction (locations change)', () => {
    const { file, sqlite } = build();
    const conn = connect(file, { cacheBytes: CACHE });
    try {
      const next = lcg(11);
      const cur = conn.cursor();
      const check = (): void => {
        const want = sqlite.prepare('SELECT * FROM t WHERE n = ? ORDER BY id').raw(true);
        for (let k = 0; k < 60; k++) {
          const n = next(1000);
          const got = cur.execute('SELECT * FROM t WHERE n = ? ORDER BY id', [n]).fetchAll();
          expect(got).toEqual(want.all(n));
        }
      };
      cur.execute('CREATE INDEX t_n ON t (n)');
      conn.commit();
      check();
      for (const sql of [
        'UPDATE t SET note = note || ? WHERE id % 7 = 0',
        'DELETE FROM t WHERE id % 11 = ?',
      ]) {
        sqlite.prepare(sql).run(sql.startsWith('UPDATE') ? '!' : 3);
        cur.execute(sql, [sql.startsWith('UPDATE') ? '!' : 3]);
        conn.commit();
        check();
      }
      // The rows moved: the arena held frames by their old locations, and forgets them all.
      expect(conn.database.storage.rowMemory.arenaFrames).toBeGreaterThan(0);
      conn.database.compact();
      expect(conn.database.storage.rowMemory.arenaFrames).toBe(0);
      check();
    } finally {
      conn.close();
      sqlite.close();
    }
  });
});
