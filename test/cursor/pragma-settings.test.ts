/**
 * The settings PRAGMAs: `user_version` (read/write like SQLite, stored in the file: durable
 * across reopen, checkpoints, compaction and recovery, undone by rollback), `foreign_keys`
 * (accepted, per connection), `journal_mode` and `synchronous` (answered with what ModelVault
 * does), the tuning PRAGMAs legacy start-up code sends (remembered per connection, read back as
 * SQLite reads them), switches that would change answers (their default only), and unknown
 * PRAGMAs (ignored, as SQLite ignores them).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { connect, Database, FormatError, NotSupportedError, OperationalError } from '../../src/index';
import { crc32c } from '../../storage/crc32c';
import { FRAME_FLAG_IGNORABLE, FrameKind } from '../../storage/format';
import { decodePayload } from '../../storage/codec';
import { FRAME_HEADER_SIZE } from '../../storage/format';
import { listFrames } from '../helpers/engine-util';
import { Oracle } from '../helpers/sqlite-oracle';
import type { Outcome } from '../helpers/sqlite-oracle';
import { tmpDir } from '../helpers/tmp';
import { inspectFile } from '../../src/cli/inspect';

const tmp = tmpDir();

/** One statement on both engines; rowCount and SQLite's changes() count different things. */
function expectSame(o: Oracle, sql: string): void {
  const strip = (x: Outcome): Outcome => (x.ok ? { ...x, changes: -1 } : x);
  expect(strip(o.runMv(sql))).toEqual(strip(o.runSqlite(sql)));
}
afterAll(() => tmp.cleanup());

function userVersion(file: string, opts: { readOnly?: boolean } = {}): unknown {
  const c = connect(file, opts);
  try {
    return c.execute('PRAGMA user_version').fetchOne();
  } finally {
    c.close();
  }
}

function setUserVersion(file: string, v: number): void {
  const c = connect(file, { autocommit: true });
  c.execute(`PRAGMA user_version = ${v}`);
  c.close();
}

describe('PRAGMA user_version against SQLite', () => {
  test.each([
    '7',
    '-3',
    '0',
    '2147483647',
    '-2147483648',
    '2147483648',
    '-2147483649',
    '4294967297',
    "'12abc'",
    "'-5'",
    "' 8'",
    '5.7',
    '0x10',
    '+7',
    '-0',
    'on',
    "'abc'",
  ])('PRAGMA user_version = %s', (v) => {
    const o = new Oracle();
    try {
      const set = `PRAGMA user_version = ${v}`;
      expectSame(o, set);
      expectSame(o, 'PRAGMA user_version');
      const call = `PRAGMA user_version(${v})`;
      expectSame(o, call);
      expectSame(o, 'PRAGMA main.user_version');
    } finally {
      o.close();
    }
  });

  test('the result set is one INTEGER column named user_version', () => {
    const c = connect(':memory:');
    const cur = c.cursor().execute('PRAGMA user_version');
    expect(cur.description).toEqual([['user_version', 'INTEGER', null, null, null, null, false]]);
    expect(cur.fetchAll()).toEqual([[0]]);
    expect(cur.rowCount).toBe(1);
    c.close();
  });
});

describe('user_version is stored in the file', () => {
  test('defaults to 0 and survives close and reopen', () => {
    const file = tmp.file();
    expect(userVersion(file)).toEqual([0]);
    setUserVersion(file, 42);
    expect(userVersion(file)).toEqual([42]);
    expect(userVersion(file, { readOnly: true })).toEqual([42]);
    setUserVersion(file, -7);
    expect(userVersion(file)).toEqual([-7]);
  });

  test('it is part of the transaction: rollback, ROLLBACK TO and close without commit undo it', () => {
    const file = tmp.file();
    const c = connect(file);
    c.execute('PRAGMA user_version = 3');
    expect(c.inTransaction).toBe(true);
    c.commit();
    c.execute('PRAGMA user_version = 4');
    expect(c.execute('PRAGMA user_version').fetchOne()).toEqual([4]);
    c.rollback();
    expect(c.execute('PRAGMA user_version').fetchOne()).toEqual([3]);
    c.execute('SAVEPOINT a');
    c.execute('PRAGMA user_version = 5');
    c.execute('ROLLBACK TO a');
    expect(c.execute('PRAGMA user_version').fetchOne()).toEqual([3]);
    c.execute('PRAGMA user_version = 6');
    c.close();
    expect(userVersion(file)).toEqual([3]);
  });

  test('another connection sees only the committed value', () => {
    const file = tmp.file();
    const a = connect(file);
    const b = connect(file);
    a.execute('PRAGMA user_version = 11');
    expect(b.execute('PRAGMA user_version').fetchOne()).toEqual([0]);
    a.commit();
    expect(b.execute('PRAGMA user_version').fetchOne()).toEqual([11]);
    a.close();
    b.close();
  });

  test('survives a checkpoint (read from the checkpoint, not replay) and compaction', () => {
    const file = tmp.file();
    setUserVersion(file, 1234);
    const db = Database.open(file);
    db.checkpoint();
    db.close();
    const reopened = Database.open(file);
    expect(reopened.storage.recoveryReport.usedCheckpoint).toBe(true);
    expect(reopened.readView().userVersion).toBe(1234);
    reopened.compact();
    reopened.close();
    expect(userVersion(file)).toEqual([1234]);
    const dest = tmp.file();
    const again = Database.open(file);
    again.compactTo(dest);
    again.close();
    expect(userVersion(dest)).toEqual([1234]);
  });

  test('snapshots of in-memory databases keep it', () => {
    const c = connect(':memory:', { autocommit: true });
    c.execute('PRAGMA user_version = 77');
    const copy = Database.openSnapshotBytes(c.database.snapshotBytes());
    expect(copy.readView().userVersion).toBe(77);
    copy.close();
    c.close();
  });

  test('a torn commit of a new value recovers the previous one', () => {
    const file = tmp.file();
    setUserVersion(file, 5);
    const db = Database.open(file);
    const goodEnd = db.storage.fileSize;
    db.close();
    setUserVersion(file, 6);
    const again = Database.open(file);
    const end = again.storage.fileSize;
    again.close();
    // Cut the last transaction inside its commit marker.
    fs.truncateSync(file, end - 1);
    expect(end).toBeGreaterThan(goodEnd);
    expect(userVersion(file)).toEqual([5]);
  });

  test('a META frame: IGNORABLE, inside the transaction, not counted by TXN_COMMIT', () => {
    const file = tmp.file();
    setUserVersion(file, 9);
    const bytes = fs.readFileSync(file);
    const db = Database.open(file, { readOnly: true });
    const frames = listFrames(bytes.subarray(0, db.storage.fileSize));
    db.close();
    expect(frames.map((f) => f.kind)).toEqual([FrameKind.TXN_BEGIN, FrameKind.META, FrameKind.TXN_COMMIT]);
    const meta = frames[1];
    expect(bytes[meta.offset + 5] & FRAME_FLAG_IGNORABLE).toBe(FRAME_FLAG_IGNORABLE);
    const payload = bytes.subarray(
      meta.offset + FRAME_HEADER_SIZE,
      meta.offset + FRAME_HEADER_SIZE + meta.length,
    );
    expect(decodePayload(payload, meta.offset)).toEqual({ userVersion: 9 });
    const commit = frames[2];
    const count = bytes.subarray(
      commit.offset + FRAME_HEADER_SIZE,
      commit.offset + FRAME_HEADER_SIZE + commit.length,
    );
    expect(decodePayload(count, commit.offset)).toBe(0);
  });

  test('a META frame with a user_version that is not an int32 is corruption', () => {
    const file = tmp.file();
    setUserVersion(file, 9);
    const bytes = fs.readFileSync(file);
    const db = Database.open(file, { readOnly: true });
    const meta = listFrames(bytes.subarray(0, db.storage.fileSize))[1];
    db.close();
    // {userVersion: 9}: the last payload byte is the value; nil (0xc0) keeps the length.
    const start = meta.offset + FRAME_HEADER_SIZE;
    expect(bytes[start + meta.length - 1]).toBe(9);
    bytes[start + meta.length - 1] = 0xc0;
    const crc = crc32c(bytes, start, start + meta.length, crc32c(bytes, meta.offset, meta.offset + 16));
    bytes.writeUInt32LE(crc, meta.offset + 16);
    fs.writeFileSync(file, bytes);
    expect(() => Database.open(file, { readOnly: true })).toThrow(FormatError);
  });

  test.each(['1.0', '1.1'])(
    'a format %s fixture opens with user_version 0 and keeps a new one',
    (version) => {
      const src = path.join(
        __dirname,
        '..',
        '..',
        'fixtures',
        'format',
        `v${version}`,
        'all-types.modelvault',
      );
      const file = tmp.file();
      fs.copyFileSync(src, file);
      expect(userVersion(file)).toEqual([0]);
      setUserVersion(file, 3);
      expect(userVersion(file)).toEqual([3]);
      // Its typed collections answer the catalog PRAGMAs.
      const c = connect(file, { readOnly: true });
      const cols = c.execute('PRAGMA table_info(notes)').fetchAll();
      expect(cols.map((r) => (r as unknown[])[1])).toEqual(['key', 'body']);
      c.close();
    },
  );

  test('setting it on a read-only connection is refused', () => {
    const file = tmp.file();
    setUserVersion(file, 1);
    const c = connect(file, { readOnly: true });
    expect(() => c.execute('PRAGMA user_version = 2')).toThrow(OperationalError);
    expect(c.execute('PRAGMA user_version').fetchOne()).toEqual([1]);
    c.close();
  });
});

describe('foreign_keys, journal_mode, synchronous', () => {
  test('foreign_keys is on by default and remembered per connection', () => {
    const file = tmp.file();
    const a = connect(file);
    const b = connect(file);
    expect(a.execute('PRAGMA foreign_keys').fetchOne()).toEqual([1]);
    const cur = a.cursor().execute('PRAGMA foreign_keys = OFF');
    expect(cur.description).toBeNull();
    expect(a.execute('PRAGMA foreign_keys').fetchOne()).toEqual([0]);
    expect(b.execute('PRAGMA foreign_keys').fetchOne()).toEqual([1]);
    for (const [v, want] of [
      ['off', 0],
      ['yes', 1],
      ["'false'", 0],
      ['2', 1],
      ['0', 0],
      ['true', 1],
    ] as const) {
      a.execute(`PRAGMA foreign_keys = ${v}`);
      expect([v, a.execute('PRAGMA foreign_keys').fetchOne()]).toEqual([v, [want]]);
    }
    expect(a.inTransaction).toBe(false);
    a.close();
    b.close();
  });

  test('journal_mode: wal for a file, memory in memory, whatever is asked (the mode in force, as SQLite answers a mode it cannot switch to)', () => {
    const file = connect(tmp.file());
    expect(file.execute('PRAGMA journal_mode').fetchAll()).toEqual([['wal']]);
    expect(file.execute('PRAGMA journal_mode = WAL').fetchAll()).toEqual([['wal']]);
    expect(file.execute('PRAGMA journal_mode = bogus').fetchAll()).toEqual([['wal']]);
    for (const mode of ['delete', 'TRUNCATE', 'persist', 'memory', 'off'])
      expect(file.execute(`PRAGMA journal_mode = ${mode}`).fetchAll()).toEqual([['wal']]);
    expect(file.execute('PRAGMA journal_mode').fetchAll()).toEqual([['wal']]);
    file.close();
    const o = new Oracle();
    for (const sql of ['PRAGMA journal_mode', 'PRAGMA journal_mode = wal', 'PRAGMA journal_mode = delete'])
      expectSame(o, sql);
    o.close();
  });

  test('synchronous: FULL (2), the level ModelVault runs at; a lower level is accepted and FULL kept, EXTRA refused', () => {
    const o = new Oracle();
    for (const sql of [
      'PRAGMA synchronous',
      'PRAGMA synchronous = FULL',
      'PRAGMA synchronous = 2',
      'PRAGMA synchronous',
    ])
      expectSame(o, sql);
    for (const v of ['OFF', 'NORMAL', '1', '0']) {
      expect(o.conn.execute(`PRAGMA synchronous = ${v}`).description).toBeNull();
      expect(o.conn.execute('PRAGMA synchronous').fetchOne()).toEqual([2n]);
    }
    for (const v of ['EXTRA', '3'])
      expect(() => o.conn.execute(`PRAGMA synchronous = ${v}`)).toThrow(NotSupportedError);
    o.close();
  });
});

describe('the PRAGMAs legacy start-up code sends', () => {
  test('tuning PRAGMAs read and set as in SQLite, remembered per connection', () => {
    const o = new Oracle();
    for (const sql of [
      'PRAGMA temp_store',
      'PRAGMA temp_store = MEMORY',
      'PRAGMA temp_store',
      'PRAGMA temp_store = 1',
      'PRAGMA temp_store',
      'PRAGMA wal_autocheckpoint',
      'PRAGMA wal_autocheckpoint = 500',
      'PRAGMA wal_autocheckpoint',
      'PRAGMA automatic_index',
      'PRAGMA automatic_index = off',
      'PRAGMA automatic_index',
      'PRAGMA analysis_limit = 400',
      'PRAGMA threads',
      'PRAGMA threads = 4',
      'PRAGMA page_size',
      'PRAGMA page_size = 8192',
      'PRAGMA page_size',
      'PRAGMA secure_delete',
      'PRAGMA secure_delete = 1',
      'PRAGMA recursive_triggers',
      'PRAGMA reverse_unordered_selects',
      'PRAGMA trusted_schema',
      'PRAGMA legacy_alter_table = ON',
      'PRAGMA legacy_alter_table',
      'PRAGMA read_uncommitted',
      'PRAGMA auto_vacuum',
      'PRAGMA auto_vacuum = incremental',
      'PRAGMA auto_vacuum',
      'PRAGMA cell_size_check',
      'PRAGMA fullfsync',
      'PRAGMA checkpoint_fullfsync',
      'PRAGMA busy_timeout = 250',
      'PRAGMA busy_timeout',
      'PRAGMA soft_heap_limit',
      'PRAGMA journal_size_limit',
      'PRAGMA cache_size = -64000',
      'PRAGMA cache_size',
      'PRAGMA cache_size = 500',
      'PRAGMA cache_size',
      'PRAGMA encoding',
      "PRAGMA encoding = 'UTF-16'",
      'PRAGMA collation_list',
      'PRAGMA optimize',
      'PRAGMA shrink_memory',
      'PRAGMA incremental_vacuum',
      'PRAGMA locking_mode',
      // Switches that would change answers: their defaults.
      'PRAGMA case_sensitive_like',
      'PRAGMA case_sensitive_like = 0',
      'PRAGMA count_changes',
      'PRAGMA full_column_names',
      'PRAGMA short_column_names',
      'PRAGMA query_only',
      'PRAGMA query_only = false',
      'PRAGMA defer_foreign_keys',
      'PRAGMA ignore_check_constraints',
      // A PRAGMA SQLite does not know is ignored: no error, no result.
      'PRAGMA no_such_pragma',
      'PRAGMA no_such_pragma = 12',
      'PRAGMA main.cache_size = 100',
    ])
      expectSame(o, sql);
    // Another connection starts from the defaults.
    const other = connect(':memory:');
    expect(other.execute('PRAGMA temp_store').fetchOne()).toEqual([0]);
    other.close();
    o.close();
  });

  test('cache_size and busy_timeout start at what the connection runs with', () => {
    const c = connect(':memory:', { cacheBytes: 8 * 1024 * 1024 });
    expect(c.execute('PRAGMA cache_size').fetchOne()).toEqual([-8192]);
    c.close();
    const d = connect(':memory:');
    expect(d.execute('PRAGMA cache_size').fetchOne()).toEqual([-65536]);
    d.close();
    const file = tmp.file();
    const e = connect(file, { busyTimeoutMs: 1500 });
    expect(e.execute('PRAGMA busy_timeout').fetchOne()).toEqual([1500]);
    expect(e.execute('PRAGMA database_list').fetchAll()).toEqual([[0, 'main', e.database.storage.path]]);
    e.close();
  });

  test('switches that would change answers refuse their other value', () => {
    const c = connect(':memory:');
    for (const sql of [
      'PRAGMA count_changes = 1',
      'PRAGMA full_column_names = 1',
      'PRAGMA short_column_names = 0',
      'PRAGMA query_only = 1',
      'PRAGMA defer_foreign_keys = ON',
      'PRAGMA ignore_check_constraints = yes',
      'PRAGMA writable_schema = 1',
    ])
      expect(() => c.execute(sql)).toThrow(NotSupportedError);
    c.close();
  });

  test('case_sensitive_like: LIKE and like() compare ASCII letters exactly while it is on, per connection', () => {
    const o = new Oracle();
    const setup = [
      'CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT)',
      'CREATE INDEX t_a ON t (a)',
      "INSERT INTO t (a) VALUES ('ABC'), ('abc'), ('aBc'), ('xyz'), ('Ab%'), ('ab_d'), (NULL), ('ÀBC'), ('àbc')",
    ];
    for (const sql of setup) expectSame(o, sql);
    const queries = (): string[] => [
      "SELECT id FROM t WHERE a LIKE 'abc' ORDER BY id",
      "SELECT id FROM t WHERE a LIKE 'a%' ORDER BY id",
      "SELECT id FROM t WHERE a LIKE 'A_C' ORDER BY id",
      "SELECT id FROM t WHERE a NOT LIKE '%B%' ORDER BY id",
      "SELECT id FROM t WHERE a LIKE 'ab!%' ESCAPE '!' ORDER BY id",
      "SELECT id FROM t WHERE a LIKE 'àbc' ORDER BY id",
      "SELECT like('a%', a), like('AB!_', a, '!') FROM t ORDER BY id",
    ];
    for (const on of ['1', 'on', 'true', '0', 'yes', 'off']) {
      expectSame(o, `PRAGMA case_sensitive_like = ${on}`);
      for (const q of queries()) expectSame(o, q);
    }
    // Another connection keeps its own (off).
    const other = connect(':memory:');
    o.conn.execute('PRAGMA case_sensitive_like = 1');
    expect(other.execute("SELECT 'ABC' LIKE 'abc'").fetchOne()).toEqual([1]);
    expect(o.conn.execute("SELECT 'ABC' LIKE 'abc'").fetchOne()).toEqual([0n]);
    other.close();
    o.close();
  });

  test('wal_checkpoint checkpoints a file outside a transaction; busy inside one', () => {
    const file = tmp.file();
    const c = connect(file);
    try {
      c.execute('CREATE TABLE t (a INTEGER)');
      c.execute('INSERT INTO t VALUES (1), (2)');
      expect(c.execute('PRAGMA wal_checkpoint').fetchAll()).toEqual([[1, -1, -1]]);
      c.commit();
      expect(inspectFile(file).checkpoint).toBeNull();
      expect(c.execute('PRAGMA wal_checkpoint(TRUNCATE)').fetchAll()).toEqual([[0, 0, 0]]);
      // The checkpoint is in the file: nothing after it to replay.
      const report = inspectFile(file);
      expect(report.checkpoint).not.toBeNull();
      expect(report.logBytesSinceCheckpoint).toBe(0);
    } finally {
      c.close();
    }
    const m = connect(':memory:');
    expect(m.execute('PRAGMA wal_checkpoint').fetchAll()).toEqual([[0, -1, -1]]);
    m.close();
  });
});
