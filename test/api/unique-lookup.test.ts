/**
 * Lookups by a UNIQUE index key (issue 15): `where(path, v).first()` lowers its condition only
 * the first time its path and operator are seen (typedLoweringCount), and still checks every
 * value; the lookup reads one index entry and one row (stats), and answers
 * stay right while the keys are written between lookups — the index tree's lookup memo follows
 * every insert, update, delete and rollback — checked against better-sqlite3 on the SQL path.
 */
import BetterSqlite3 from 'better-sqlite3';
import { Database, connect } from '../../src/index';
import { typedLoweringCount, typedPlanCount } from '../../src/query';
import { tmpDir } from '../helpers/tmp';

const FIELDS = [
  { path: 'id', type: 'int64' as const },
  { path: 'u', type: 'string' as const },
  { path: 'n', type: 'int64' as const },
];
const key = (i: number): string => `u-${(Math.imul(i, 0x9e3779b1) >>> 0).toString(16)}-${i}`;

describe('typed lookups by a unique key', () => {
  const tmp = tmpDir();
  afterAll(() => tmp.cleanup());

  function open(rows: number, file?: string): Database {
    const db = file === undefined ? Database.openInMemory() : Database.open(file);
    db.registerCollection('t', FIELDS, 'id', [{ name: 't_u', path: 'u', kind: 'unique' }]);
    db.transaction(() => {
      for (let i = 0; i < rows; i++) db.insert('t', { id: i, u: key(i), n: i % 7 });
    });
    return db;
  }

  test('each call binds its value without lowering and reads one entry and one row', () => {
    const db = open(3000);
    db.collection('t').where('u', key(1)).first(); // plan the shape
    const lowered = typedLoweringCount();
    const planned = typedPlanCount();
    for (let i = 0; i < 200; i++) {
      const stats = { rowsRead: 0, indexEntries: 0 };
      const k = (i * 37) % 3000;
      expect(db.collection('t').where('u', key(k)).first({ stats })).toEqual({ id: k, u: key(k), n: k % 7 });
      expect(stats).toEqual({ rowsRead: 1, indexEntries: 1 });
    }
    // The comparison's shape is known from the first call: each call only checks and binds its value.
    expect(typedLoweringCount() - lowered).toBe(0);
    expect(typedPlanCount() - planned).toBe(0);
    // A built query run again lowers nothing more (its first run planned a new shape).
    const q = db.collection('t').where('u', key(5)).where('n', 5);
    expect(q.first()).toEqual({ id: 5, u: key(5), n: 5 });
    const before = typedLoweringCount();
    for (let i = 0; i < 5; i++) expect(q.first()).toEqual({ id: 5, u: key(5), n: 5 });
    expect(typedLoweringCount() - before).toBe(0);
    expect(db.collection('t').where('u', 'absent').first()).toBeNull();
    db.close();
  });

  test('a known comparison still checks its value', () => {
    const db = open(10);
    const t = db.collection('t');
    expect(t.where('n', 3).first()).toEqual({ id: 3, u: key(3), n: 3 });
    expect(t.where('u', key(4)).first()).toEqual({ id: 4, u: key(4), n: 4 });
    const lowered = typedLoweringCount();
    // The same messages as a first lowering gives (checked against a fresh database below).
    const errors = (d: Database): string[] =>
      [
        () => d.collection('t').where('n', 'three'),
        () => d.collection('t').where('n', 1.5),
        () => d.collection('t').where('u', 4),
        () => d.collection('t').where('u', '=', null),
        () => d.collection('t').where('n', [1, 2]),
        () => d.collection('t').where('nope', 1),
      ].map((f) => {
        try {
          f();
          return 'no error';
        } catch (err) {
          return `${(err as Error).name}: ${(err as Error).message}`;
        }
      });
    const known = errors(db);
    // The first three were refused without lowering; the rest failed inside one.
    t.where('n', 2);
    expect(typedLoweringCount() - lowered).toBe(0);
    const fresh = Database.openInMemory();
    fresh.registerCollection('t', FIELDS, 'id', [{ name: 't_u', path: 'u', kind: 'unique' }]);
    expect(known).toEqual(errors(fresh));
    expect(known.every((e) => e.startsWith('QueryError'))).toBe(true);
    // Other operators on a known path are shapes of their own.
    expect(
      t
        .where('n', '>', 5)
        .all()
        .map((r) => r.id),
    ).toEqual([6]);
    expect(
      t
        .where('n', '<=', 1)
        .all()
        .map((r) => r.id),
    ).toEqual([0, 1, 7, 8]);
    expect(t.where('n', '!=', 0).count()).toBe(8);
    fresh.close();
    db.close();
  });

  test('a collection changed between where() and first() lowers again, and plans again', () => {
    const file = tmp.file();
    const db = open(50, file);
    const q = db.collection('t').where('u', key(3));
    const conn = connect(file);
    conn.execute('CREATE INDEX t_n ON t (n)');
    conn.commit();
    const lowered = typedLoweringCount();
    const planned = typedPlanCount();
    expect(q.first()).toEqual({ id: 3, u: key(3), n: 3 });
    expect(typedLoweringCount() - lowered).toBe(1);
    expect(typedPlanCount() - planned).toBe(1);
    conn.close();
    db.close();
  });

  test('answers follow updates, deletes and rolled-back writes of the key', () => {
    const db = open(2000);
    const get = (k: string): unknown => db.collection('t').where('u', k).first()?.id ?? null;
    for (let i = 0; i < 2000; i += 13) expect(get(key(i))).toBe(i);
    db.transaction(() => {
      db.insert('t', { id: 13, u: 'moved', n: 0 });
      db.delete('t', 26);
      db.insert('t', { id: 5000, u: key(26), n: 1 });
    });
    expect(get(key(13))).toBeNull();
    expect(get('moved')).toBe(13);
    expect(get(key(26))).toBe(5000);
    expect(() =>
      db.transaction(() => {
        db.delete('t', 5000);
        db.insert('t', { id: 6000, u: key(26), n: 1 });
        expect(get(key(26))).toBe(6000);
        throw new Error('roll back');
      }),
    ).toThrow('roll back');
    expect(get(key(26))).toBe(5000);
    db.close();
  });
});

describe('SQL lookups by a unique key, against better-sqlite3', () => {
  test('lookups between inserts, updates, deletes and rollbacks', () => {
    const conn = connect(':memory:');
    const sqlite = new BetterSqlite3(':memory:');
    const cur = conn.cursor();
    const run = (sql: string, params: unknown[] = []): void => {
      cur.execute(sql, params);
      sqlite.prepare(sql).run(...params);
    };
    run('CREATE TABLE t (id INTEGER PRIMARY KEY, u TEXT UNIQUE, n INTEGER)');
    const rows = Array.from({ length: 3000 }, (_, i) => [i, key(i), i % 7]);
    cur.executeMany('INSERT INTO t VALUES (?, ?, ?)', rows);
    conn.commit();
    sqlite.transaction(() => {
      for (const r of rows) sqlite.prepare('INSERT INTO t VALUES (?, ?, ?)').run(...r);
    })();
    const lookup = sqlite.prepare('SELECT * FROM t WHERE u = ?').raw(true);
    const check = (k: unknown): void => {
      const ours = cur.execute('SELECT * FROM t WHERE u = ?', [k]).fetchAll();
      expect({ k, rows: ours }).toEqual({ k, rows: lookup.all(k) });
    };
    const probe = (): void => {
      for (let i = 0; i < 3100; i += 97) check(key(i));
      check('moved');
      check(null);
      check(42);
    };
    probe();
    probe();
    run('UPDATE t SET u = ? WHERE id = ?', ['moved', 97]);
    run('DELETE FROM t WHERE id = ?', [194]);
    run('INSERT INTO t VALUES (?, ?, ?)', [9000, key(194), 1]);
    conn.commit();
    probe();
    // A write rolled back on ModelVault only, then compared with SQLite's unchanged table.
    cur.execute('UPDATE t SET u = ? WHERE id = ?', ['gone', 291]);
    expect(cur.execute('SELECT id FROM t WHERE u = ?', ['gone']).fetchAll()).toEqual([[291]]);
    conn.rollback();
    probe();
    check('gone');
    conn.close();
    sqlite.close();
  });
});
