/**
 * An UPDATE rewrites a row's stored array in place of the object round trip: the set columns
 * converted and checked, the others kept as stored, generated columns computed again, CHECKs run
 * (CompiledSchema.patchRow). A refused row goes the toRow way for its error. A point UPDATE reads
 * its row once. Work is counted (calls of toObject/toRow, row reads), never timed; outcomes —
 * whether a statement raised, and the table after it — are compared with better-sqlite3.
 */
import BetterSqlite3 from 'better-sqlite3';
import { connect } from '../../src/index';
import type { Connection } from '../../src/index';
import type { CollectionState } from '../../storage/collection-state';
import { lcg } from '../helpers/seeded';

const DDL = [
  `CREATE TABLE t (
     id INTEGER PRIMARY KEY,
     code TEXT UNIQUE,
     qty INTEGER NOT NULL DEFAULT 5 CHECK (qty >= 0),
     price REAL,
     label TEXT NOT NULL DEFAULT 'none',
     note TEXT CHECK (length(note) < 12),
     total REAL GENERATED ALWAYS AS (qty * price) VIRTUAL,
     shout TEXT GENERATED ALWAYS AS (upper(label)) STORED
   )`,
  'CREATE INDEX t_qty ON t (qty)',
];

function rows(n: number): unknown[][] {
  return Array.from({ length: n }, (_, k) => [
    k + 1,
    `code-${(k * 7919) % 1000}-${k}`,
    k % 9,
    k % 4 === 0 ? null : (k * 1.25) % 50,
    ['a', 'bb', 'ccc'][k % 3],
    k % 5 === 0 ? null : `n${k}`,
  ]);
}
const INSERT = 'INSERT INTO t (id, code, qty, price, label, note) VALUES (?, ?, ?, ?, ?, ?)';

function fill(conn: Connection, db: BetterSqlite3.Database, n: number): void {
  for (const sql of DDL) {
    conn.execute(sql);
    db.exec(sql);
  }
  conn.executeMany(INSERT, rows(n));
  conn.commit();
  const ins = db.prepare(INSERT);
  for (const r of rows(n)) ins.run(...r);
}

function stateOf(conn: Connection): CollectionState {
  const state = conn.database.storage.collection('t');
  if (!state) throw new Error('no table t');
  return state;
}

const ALL = 'SELECT id, code, qty, price, label, note, total, shout FROM t ORDER BY id';

describe('UPDATE patches the stored row', () => {
  let conn: Connection;
  let db: BetterSqlite3.Database;
  beforeEach(() => {
    conn = connect(':memory:');
    db = new BetterSqlite3(':memory:');
    fill(conn, db, 60);
  });
  afterEach(() => {
    conn.close();
    db.close();
  });

  test('a valid point UPDATE takes no object round trip and reads its row once', () => {
    const compiled = stateOf(conn).compiled;
    const toObject = jest.spyOn(compiled, 'toObject');
    const toRow = jest.spyOn(compiled, 'toRow');
    const readRow = jest.spyOn(conn.database.storage, 'readRow');
    const cur = conn.cursor();
    const sql = 'UPDATE t SET qty = ?, price = ? WHERE id = ?';
    // The first execution plans the lookup; the next ones take the cached point path.
    cur.execute(sql, [1, 2.5, 1]);
    readRow.mockClear();
    for (let id = 2; id <= 41; id++) cur.execute(sql, [id % 4, id / 8, id]);
    // One read per statement (the row's key was read, then the row again, before).
    expect(readRow).toHaveBeenCalledTimes(40);
    cur.execute("UPDATE t SET label = 'zz' WHERE code = ?", ['code-0-0']);
    expect(toObject).not.toHaveBeenCalled();
    expect(toRow).not.toHaveBeenCalled();
    db.prepare(sql).run(1, 2.5, 1);
    for (let id = 2; id <= 41; id++) db.prepare(sql).run(id % 4, id / 8, id);
    db.prepare("UPDATE t SET label = 'zz' WHERE code = ?").run('code-0-0');
    expect(cur.execute(ALL).fetchAll()).toEqual(db.prepare(ALL).raw(true).all());
  });

  test.each([
    ['NOT NULL', 'UPDATE t SET qty = NULL WHERE id = 3', /NOT NULL constraint failed: t\.qty/],
    ['a column CHECK', 'UPDATE t SET qty = -1 WHERE id = 3', /CHECK constraint failed/],
    [
      'a CHECK on another column',
      "UPDATE t SET note = 'far too long a note' WHERE id = 3",
      /CHECK constraint failed/,
    ],
    ['UNIQUE', "UPDATE t SET code = 'code-919-1' WHERE id = 3", /UNIQUE constraint failed: t\.code/],
  ])('a refused row (%s) fails as before, through toRow, and changes nothing', (_what, sql, message) => {
    const compiled = stateOf(conn).compiled;
    const toRow = jest.spyOn(compiled, 'toRow');
    const cur = conn.cursor();
    const before = cur.execute(ALL).fetchAll();
    expect(() => cur.execute(sql)).toThrow(message);
    expect(() => db.exec(sql)).toThrow();
    // UNIQUE is found by the tree, after a row that converted: no second conversion for it.
    if (!String(message).includes('UNIQUE')) expect(toRow).toHaveBeenCalledTimes(1);
    expect(cur.execute(ALL).fetchAll()).toEqual(before);
    expect(before).toEqual(db.prepare(ALL).raw(true).all());
  });

  test('OR REPLACE puts a NOT NULL column with a default to its default, as SQLite does', () => {
    const sql = 'UPDATE OR REPLACE t SET qty = NULL, label = NULL WHERE id IN (4, 5)';
    conn.execute(sql);
    db.exec(sql);
    expect(conn.cursor().execute(ALL).fetchAll()).toEqual(db.prepare(ALL).raw(true).all());
    expect(conn.cursor().execute('SELECT qty, label, shout FROM t WHERE id = 4').fetchOne()).toEqual([
      5,
      'none',
      'NONE',
    ]);
  });

  test('OR IGNORE skips a refused row and writes the others', () => {
    const sql = 'UPDATE OR IGNORE t SET qty = qty - 3 WHERE id <= 12';
    conn.execute(sql);
    db.exec(sql);
    expect(conn.cursor().execute(ALL).fetchAll()).toEqual(db.prepare(ALL).raw(true).all());
  });

  test('generated columns follow the set columns they read', () => {
    const sql = "UPDATE t SET price = price + 1, label = label || '!' WHERE id % 3 = 0";
    conn.execute(sql);
    db.exec(sql);
    expect(conn.cursor().execute(ALL).fetchAll()).toEqual(db.prepare(ALL).raw(true).all());
  });

  test('random UPDATEs agree with SQLite, statement by statement', () => {
    const next = lcg(20261207);
    const pick = <T>(xs: readonly T[]): T => xs[next(xs.length)];
    // Values of each column's type (a TEXT into an INTEGER column is refused here, where SQLite
    // keeps it: docs/sql.md "Strict types"), NULL, and values the constraints refuse.
    const values: Record<string, readonly unknown[]> = {
      qty: [null, 0, 1, 7, -2, 3.0],
      price: [null, 2.5, 3, 0, -1.5, 1e300],
      label: [null, 'x', 'abc', 'a much longer text'],
      note: [null, 'x', 'far too long a note'],
      code: [null, 'x', '12', 'code-919-1', 'code-838-2'],
    };
    const columns = Object.keys(values);
    const wheres = ['id = ?', 'code = ?', 'qty = ?', 'id BETWEEN ? AND ? + 3'];
    const or = ['', 'OR IGNORE ', 'OR REPLACE ', 'OR FAIL ', 'OR ABORT '];
    const cur = conn.cursor();
    let raised = 0;
    for (let i = 0; i < 400; i++) {
      const set = Array.from({ length: 1 + next(3) }, () => pick(columns)).filter(
        (c, k, all) => all.indexOf(c) === k,
      );
      const where = pick(wheres);
      const params: unknown[] = set.map((c) => pick(values[c]));
      const id = 1 + next(65);
      if (where === 'code = ?') params.push(`code-${((id - 1) * 7919) % 1000}-${id - 1}`);
      else if (where === 'qty = ?') params.push(next(10));
      else if (where === 'id = ?') params.push(id);
      else params.push(id, id);
      const sql = `UPDATE ${pick(or)}t SET ${set.map((c) => `${c} = ?`).join(', ')} WHERE ${where}`;
      let mine: unknown = null;
      let theirs: unknown = null;
      try {
        cur.execute(sql, params);
      } catch (err) {
        mine = err;
      }
      try {
        db.prepare(sql).run(...params);
      } catch (err) {
        theirs = err;
      }
      if (mine !== null) raised++;
      expect({ sql, params, raised: mine !== null }).toEqual({ sql, params, raised: theirs !== null });
      expect(cur.execute(ALL).fetchAll()).toEqual(db.prepare(ALL).raw(true).all());
    }
    // The run met refused rows, not only accepted ones.
    expect(raised).toBeGreaterThan(20);
    expect(raised).toBeLessThan(380);
  });
});
