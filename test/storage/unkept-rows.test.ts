/**
 * A large transaction keeps only its first txnRowPolicy.keptRows rows decoded until its commit
 * (storage/row-cache.ts UNKEPT_ROW); the others are read back from their staged bytes, their
 * spill file or, once committed, the log. Whatever the policy, every read answers the same:
 * seeded scripts of inserts, updates, deletes, failing statements, savepoints, rollbacks and
 * cursors left open across them run with 3 rows kept and with every row kept, and each fetch,
 * error and final table must be equal. Cursors opened inside a transaction and read after a
 * rollback let later rows land at the same offsets: the undone rows they still read are decoded
 * before the cut (engine-transactions.ts truncateStagedRows).
 */
import { connect, type Connection, type Cursor } from '../../src/index';
import { FileStore } from '../../storage/file-store';
import { txnRowPolicy } from '../../storage/row-cache';
import { RowReader } from '../../storage/row-reader';
import { lcg } from '../helpers/seeded';
import { tmpDir } from '../helpers/tmp';

const tmp = tmpDir('mv-unkept-');
afterAll(() => tmp.cleanup());

const DEFAULT_KEPT = txnRowPolicy.keptRows;
afterEach(() => {
  txnRowPolicy.keptRows = DEFAULT_KEPT;
  jest.restoreAllMocks();
});

const SELECT = 'SELECT id, k, n, length(pad) FROM t WHERE n >= ? ORDER BY id';

/** Run `body` on a new connection to a new file, closed whatever happens. */
function withConnection(body: (conn: Connection) => void): void {
  const conn = connect(tmp.file());
  try {
    body(conn);
  } finally {
    conn.close();
  }
}

/** withConnection on a table t (id, v), with the engine's count of rows rollbacks examined. */
function withRollbackCounts(body: (conn: Connection, engine: { unkeptExamined: number }) => void): void {
  withConnection((conn) => {
    conn.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
    conn.commit();
    body(conn, (conn as unknown as { database: { storage: { unkeptExamined: number } } }).database.storage);
  });
}

function attempt(log: unknown[], what: string, run: () => unknown): void {
  try {
    log.push([what, run()]);
  } catch (err) {
    log.push([what, 'error', (err as { code?: string }).code ?? String(err)]);
  }
}

/** One seeded script; returns everything it read (fetches, errors, the final table twice). */
function script(seed: number, keptRows: number, file: string): unknown[] {
  txnRowPolicy.keptRows = keptRows;
  const next = lcg(seed);
  const log: unknown[] = [];
  let conn: Connection = connect(file);
  conn.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, k TEXT UNIQUE, n INTEGER, pad TEXT)');
  conn.commit();
  let id = 0;
  const open: Cursor[] = [];
  const savepoints: string[] = [];
  // Rows of ~1.5 KiB: a few thousand spill past the 4 MiB staging buffer (storage/txn-spill.ts).
  const row = (i: number): unknown[] => [
    i,
    `k${(i * 7919) % 100003}-${next(1000)}`,
    next(50),
    'p'.repeat(1000 + next(600)),
  ];
  for (let step = 0; step < 60; step++) {
    const op = next(14);
    if (op <= 2) {
      const count = next(3) === 0 ? 1500 + next(2500) : 1 + next(40);
      const rows = Array.from({ length: count }, () => row(++id));
      attempt(
        log,
        `insert ${count}`,
        () => (conn.executeMany('INSERT INTO t VALUES (?, ?, ?, ?)', rows), count),
      );
    } else if (op === 3) {
      // A statement failing half-way: its rows are undone (a statement mark), the others stay.
      const rows = Array.from({ length: 20 + next(200) }, () => row(++id));
      rows.push([++id, rows[next(rows.length)][1], 0, 'dup']);
      attempt(
        log,
        'failing insert',
        () => conn.executeMany('INSERT INTO t VALUES (?, ?, ?, ?)', rows).rowCount,
      );
    } else if (op === 4) {
      const m = 2 + next(9);
      attempt(
        log,
        `update ${m}`,
        () => conn.execute('UPDATE t SET n = n + 1 WHERE id % ? = 1', [m]).rowCount,
      );
    } else if (op === 5) {
      attempt(log, 'delete', () => conn.execute('DELETE FROM t WHERE id % 13 = ?', [next(13)]).rowCount);
    } else if (op <= 7) {
      const c = conn.cursor();
      attempt(log, 'open cursor', () => c.execute(SELECT, [next(40)]).fetchMany(1 + next(5)));
      open.push(c);
    } else if (op === 8 && open.length > 0) {
      const c = open[next(open.length)];
      attempt(log, 'fetch', () => c.fetchMany(1 + next(200)));
    } else if (op === 9) {
      const name = `s${step}`;
      attempt(log, 'savepoint', () => (conn.execute(`SAVEPOINT ${name}`), name));
      savepoints.push(name);
    } else if (op === 10 && savepoints.length > 0) {
      const name = savepoints[next(savepoints.length)];
      attempt(log, `rollback to ${name}`, () => (conn.execute(`ROLLBACK TO ${name}`), true));
    } else if (op === 11) {
      attempt(log, 'commit', () => (conn.commit(), true));
      savepoints.length = 0;
    } else if (op === 12) {
      attempt(log, 'rollback', () => (conn.rollback(), true));
      savepoints.length = 0;
    } else {
      attempt(log, 'count', () => conn.execute('SELECT count(*), sum(n), max(id) FROM t').fetchAll());
    }
  }
  for (const c of open) attempt(log, 'drain', () => c.fetchAll());
  attempt(log, 'final commit', () => (conn.commit(), true));
  attempt(log, 'final', () => conn.execute(SELECT, [0]).fetchAll());
  conn.close();
  conn = connect(file);
  attempt(log, 'reopened', () => conn.execute(SELECT, [0]).fetchAll());
  attempt(log, 'filtered', () =>
    conn.execute('SELECT count(*), sum(id) FROM t WHERE n BETWEEN 10 AND 30').fetchAll(),
  );
  conn.close();
  return log;
}

describe('rows a large transaction does not keep decoded', () => {
  test('seeded scripts read the same with 3 rows kept as with every row kept', () => {
    const decoded = jest.spyOn(RowReader.prototype, 'stagedRecord');
    let fetched = 0;
    for (let seed = 1; seed <= 12; seed++) {
      const all = script(seed, Number.MAX_SAFE_INTEGER, tmp.file());
      decoded.mockClear();
      const few = script(seed, 3, tmp.file());
      expect(few).toEqual(all);
      // The scripts reached the fallback: rows read back from their staged bytes.
      expect(decoded.mock.calls.length).toBeGreaterThan(0);
      fetched += JSON.stringify(all, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v)).length;
    }
    expect(fetched).toBeGreaterThan(100_000);
  });

  test('a cursor opened before ROLLBACK TO still reads the undone rows after others land at their offsets', () => {
    txnRowPolicy.keptRows = 2;
    withConnection((conn) => {
      conn.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
      conn.commit();
      conn.execute('SAVEPOINT a');
      conn.executeMany(
        'INSERT INTO t VALUES (?, ?)',
        Array.from({ length: 50 }, (_v, i) => [i + 1, `first-${i + 1}`]),
      );
      const c = conn.cursor().execute('SELECT id, v FROM t ORDER BY id');
      expect(c.fetchMany(3)).toEqual([
        [1, 'first-1'],
        [2, 'first-2'],
        [3, 'first-3'],
      ]);
      conn.execute('ROLLBACK TO a');
      // Same row sizes: each new frame lands exactly where an undone one was.
      conn.executeMany(
        'INSERT INTO t VALUES (?, ?)',
        Array.from({ length: 50 }, (_v, i) => [i + 1, `other-${i + 1}`]),
      );
      const rest = c.fetchAll();
      expect(rest).toHaveLength(47);
      expect(rest.every((r) => (r as unknown[])[1] === `first-${(r as unknown[])[0] as number}`)).toBe(true);
      expect(conn.execute('SELECT v FROM t WHERE id = 50').fetchAll()).toEqual([['other-50']]);
    });
  });

  test('a cursor opened before ROLLBACK reads the undone rows after the next transaction writes there', () => {
    txnRowPolicy.keptRows = 2;
    withConnection((conn) => {
      conn.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
      conn.commit();
      conn.executeMany(
        'INSERT INTO t VALUES (?, ?)',
        Array.from({ length: 30 }, (_v, i) => [i + 1, `gone-${i + 1}`]),
      );
      const c = conn.cursor().execute('SELECT v FROM t ORDER BY id');
      expect(c.fetchOne()).toEqual(['gone-1']);
      conn.rollback();
      conn.executeMany(
        'INSERT INTO t VALUES (?, ?)',
        Array.from({ length: 30 }, (_v, i) => [i + 1, `kept-${i + 1}`]),
      );
      conn.commit();
      expect(c.fetchAll()).toEqual(Array.from({ length: 29 }, (_v, i) => [`gone-${i + 2}`]));
      expect(conn.execute('SELECT count(*) FROM t WHERE v LIKE ?', ['kept-%']).fetchAll()).toEqual([[30]]);
    });
  });

  test('repeated rollbacks under open cursors examine each undone row once, and every cursor reads its own rows', () => {
    txnRowPolicy.keptRows = 2;
    const ROUNDS = 40;
    const ROWS = 150;
    withRollbackCounts((conn, engine) => {
      conn.execute('SAVEPOINT a');
      const cursors: Cursor[] = [];
      const before = engine.unkeptExamined;
      for (let round = 0; round < ROUNDS; round++) {
        // Same row sizes every round: each round's frames land where the previous round's were.
        conn.executeMany(
          'INSERT INTO t VALUES (?, ?)',
          Array.from({ length: ROWS }, (_v, i) => [i + 1, `r${String(round).padStart(2, '0')}-${i + 1}`]),
        );
        const c = conn.cursor().execute('SELECT v FROM t ORDER BY id');
        expect(c.fetchOne()).toEqual([`r${String(round).padStart(2, '0')}-1`]);
        cursors.push(c);
        conn.execute('ROLLBACK TO a');
      }
      // Each round's rows once, when its own rollback detaches them: not again at every later one
      // (before the low-water mark, 40 rounds of 150 rows examined 123,000 entries).
      expect(engine.unkeptExamined - before).toBe(ROUNDS * ROWS);
      cursors.forEach((c, round) => {
        const tag = `r${String(round).padStart(2, '0')}`;
        expect(c.fetchAll()).toEqual(Array.from({ length: ROWS - 1 }, (_v, i) => [`${tag}-${i + 2}`]));
      });
    });
  });

  test('a deeper rollback decodes the rows below an earlier cut once, not again at the next', () => {
    txnRowPolicy.keptRows = 2;
    const ROUNDS = 10;
    const ROWS = 100;
    withRollbackCounts((conn, engine) => {
      const insert = (from: number, tag: string): void => {
        conn.executeMany(
          'INSERT INTO t VALUES (?, ?)',
          Array.from({ length: ROWS }, (_v, i) => [from + i, `${tag}-${from + i}`]),
        );
      };
      const cursors: [Cursor, unknown[]][] = [];
      // A cursor over what the transaction holds now; what it has still to read, read now.
      const open = (): void => {
        const c = conn.cursor().execute('SELECT v FROM t ORDER BY id');
        const rows = conn.cursor().execute('SELECT v FROM t ORDER BY id').fetchAll();
        expect(c.fetchOne()).toEqual(rows[0]);
        cursors.push([c, rows.slice(1)]);
      };
      conn.execute('SAVEPOINT a');
      insert(1, 'base');
      const before = engine.unkeptExamined;
      for (let round = 0; round < ROUNDS; round++) {
        conn.execute('SAVEPOINT b');
        insert(ROWS + 1, `top${round}`);
        open();
        conn.execute('ROLLBACK TO b');
      }
      // Each round: its top rows, once.
      expect(engine.unkeptExamined - before).toBe(ROUNDS * ROWS);
      open();
      conn.execute('ROLLBACK TO a');
      // The cut to 0: every detached array's rows below its earlier cut, and the current rows.
      expect(engine.unkeptExamined - before).toBe(ROUNDS * ROWS + ROUNDS * ROWS + ROWS);
      insert(1, 'again');
      open();
      conn.execute('ROLLBACK TO a');
      // Again to 0: only the rows put since; the detached arrays were decoded down to 0 already.
      expect(engine.unkeptExamined - before).toBe(2 * ROUNDS * ROWS + 2 * ROWS);
      insert(1, 'last');
      // Every cursor still reads the rows it was opened on, though others now sit at their offsets.
      expect(cursors[0][1]).toHaveLength(2 * ROWS - 1);
      for (const [c, rest] of cursors) expect(c.fetchAll()).toEqual(rest);
    });
  });

  test('only the first keptRows rows stay decoded until the commit; the rest are found after it', () => {
    txnRowPolicy.keptRows = 100;
    withConnection((conn) => {
      conn.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER, s TEXT)');
      conn.commit();
      conn.executeMany(
        'INSERT INTO t VALUES (?, ?, ?)',
        // ~450-byte frames: 2 MiB of them, more than one 1 MiB slab of the record arena.
        Array.from({ length: 5000 }, (_v, i) => [i + 1, i % 97, `s${i}${'x'.repeat(400)}`]),
      );
      const engine = (
        conn as unknown as { database: { storage: { txn: { rowEntries: { row: unknown[] }[] } } } }
      ).database.storage;
      const entries = engine.txn.rowEntries;
      expect(entries).toHaveLength(5000);
      expect(entries.filter((e) => e.row.length > 0)).toHaveLength(100);
      conn.commit();
      expect(conn.execute('SELECT count(*), sum(n), min(s), max(s) FROM t WHERE n < 50').fetchAll()).toEqual(
        conn.execute('SELECT count(*), sum(n), min(s), max(s) FROM t WHERE n + 0 < 50').fetchAll(),
      );
      // Their frames went to the record arena at the commit, which grew for them though the
      // decoded cache is far from full: reading them reads nothing from the file.
      const reads = jest.spyOn(FileStore.prototype, 'readInto');
      for (const id of [101, 2500, 4321])
        expect(conn.execute('SELECT n, substr(s, 1, 6) FROM t WHERE id = ?', [id]).fetchAll()).toEqual([
          [(id - 1) % 97, `s${id - 1}xxxxxx`.slice(0, 6)],
        ]);
      expect(reads).not.toHaveBeenCalled();
    });
  });
  test('the decoded cache counts as full after a commit only when the unkept rows would not have fit', () => {
    txnRowPolicy.keptRows = 100;
    const rows = Array.from({ length: 5000 }, (_v, i) => [i + 1, i % 97, `s${i}${'x'.repeat(400)}`]);
    const state = (cacheBytes: number): { full: boolean; slots: number } => {
      const conn = connect(tmp.file(), { cacheBytes });
      try {
        conn.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER, s TEXT)');
        conn.commit();
        conn.executeMany('INSERT INTO t VALUES (?, ?, ?)', rows);
        conn.commit();
        const cache = (
          conn as unknown as {
            database: { storage: { rows: { cache: { isFull: boolean; keys: Float64Array } } } };
          }
        ).database.storage.rows.cache;
        return { full: cache.isFull, slots: cache.keys.length };
      } finally {
        conn.close();
      }
    };
    // ~5,000 rows of ~1 KB decoded: past a 2 MiB budget, well within 64 MiB.
    expect(state(2 << 20).full).toBe(true);
    const roomy = state(64 << 20);
    expect(roomy.full).toBe(false);
    // The table was sized for the 100 rows it took, not for the 5,000 the commit put.
    expect(roomy.slots).toBeLessThanOrEqual(1024);
  });
});
