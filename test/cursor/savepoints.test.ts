/**
 * SAVEPOINT / RELEASE / ROLLBACK TO compared with better-sqlite3 step by step: the rows after each
 * statement and whether a transaction is open. A savepoint outside a transaction begins one that
 * releasing it commits; ROLLBACK TO keeps the savepoint for another rollback.
 */
import { TransactionError } from '../../src/index';
import { Oracle } from '../helpers/sqlite-oracle';

let o: Oracle;

beforeEach(() => {
  o = new Oracle();
  o.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT UNIQUE)', "INSERT INTO t (v) VALUES ('base')");
});
afterEach(() => o.close());

/**
 * SQLite reports changes 0 for control statements, the cursor -1 (PEP 249: not applicable). A
 * missing savepoint is SQLITE_ERROR there and TransactionError here, like COMMIT without a
 * transaction (Python's sqlite3 raises OperationalError for both).
 */
function outcome(r: unknown, sql: string): unknown {
  const { outcome: out, tables } = r as { outcome: { changes?: number; error?: string }; tables: unknown };
  const dml = /^\s*(INSERT|UPDATE|DELETE)/i.test(sql);
  const control = /^\s*(RELEASE|ROLLBACK)/i.test(sql);
  const error = control && out.error !== undefined ? 'no such savepoint' : out.error;
  return { outcome: { ...out, error, changes: dml ? out.changes : undefined }, tables };
}

function steps(sqls: readonly string[]): void {
  for (const sql of sqls) {
    const r = o.both(sql, ['t']);
    expect({ sql, ...(outcome(r.mv, sql) as object), inTxn: o.conn.inTransaction }).toEqual({
      sql,
      ...(outcome(r.sqlite, sql) as object),
      inTxn: o.sqlite.inTransaction,
    });
  }
}

describe('savepoints', () => {
  test('outside a transaction: SAVEPOINT begins one, RELEASE of it commits', () => {
    steps(['SAVEPOINT a', "INSERT INTO t (v) VALUES ('x')", 'RELEASE a', 'SELECT * FROM t']);
    o.conn.rollback(); // nothing to undo: the release committed
    expect(o.conn.execute('SELECT count(*) FROM t').fetchAll()).toEqual([[2n]]);
  });

  test('ROLLBACK TO undoes later work, keeps the savepoint, and can be repeated', () => {
    steps([
      'SAVEPOINT a',
      "INSERT INTO t (v) VALUES ('x')",
      'ROLLBACK TO a',
      "INSERT INTO t (v) VALUES ('y')",
      "INSERT INTO t (v) VALUES ('z')",
      'ROLLBACK TRANSACTION TO SAVEPOINT a',
      "INSERT INTO t (v) VALUES ('w')",
      'RELEASE SAVEPOINT a',
    ]);
  });

  test('nested savepoints inside BEGIN: RELEASE does not commit; names ignore case', () => {
    steps([
      'BEGIN',
      "INSERT INTO t (v) VALUES ('1')",
      'SAVEPOINT outer_sp',
      "INSERT INTO t (v) VALUES ('2')",
      'SAVEPOINT inner_sp',
      "INSERT INTO t (v) VALUES ('3')",
      'ROLLBACK TO OUTER_SP',
      'RELEASE inner_sp',
      "INSERT INTO t (v) VALUES ('4')",
      'RELEASE outer_sp',
      'ROLLBACK',
    ]);
  });

  test('equal names: the most recent wins; releasing an outer one drops the inner ones', () => {
    steps([
      'SAVEPOINT a',
      "INSERT INTO t (v) VALUES ('1')",
      'SAVEPOINT a',
      "INSERT INTO t (v) VALUES ('2')",
      'ROLLBACK TO a',
      'RELEASE a',
      "INSERT INTO t (v) VALUES ('3')",
      'SAVEPOINT b',
      "INSERT INTO t (v) VALUES ('4')",
      'RELEASE a',
      'RELEASE b',
    ]);
  });

  test('a failed statement inside a savepoint undoes only itself', () => {
    steps([
      'SAVEPOINT a',
      "INSERT INTO t (v) VALUES ('1')",
      "INSERT INTO t (v) VALUES ('2'), ('base')",
      "INSERT INTO t (v) VALUES ('3')",
      'RELEASE a',
    ]);
  });

  test('DDL inside a savepoint is rolled back with it', () => {
    steps(['SAVEPOINT a', 'CREATE TABLE u (x INTEGER)', "INSERT INTO t (v) VALUES ('1')", 'ROLLBACK TO a']);
    expect(o.runMv('SELECT * FROM u')).toEqual(o.runSqlite('SELECT * FROM u'));
    steps(['RELEASE a']);
  });

  test('COMMIT and ROLLBACK end every savepoint', () => {
    steps(['SAVEPOINT a', "INSERT INTO t (v) VALUES ('1')", 'COMMIT']);
    expect(() => o.conn.execute('RELEASE a')).toThrow(TransactionError);
    steps(['SAVEPOINT b', "INSERT INTO t (v) VALUES ('2')", 'ROLLBACK']);
    expect(() => o.conn.execute('ROLLBACK TO b')).toThrow(TransactionError);
  });

  test('an unknown savepoint is an error in both engines and changes nothing', () => {
    for (const sql of ['RELEASE nope', 'ROLLBACK TO nope']) {
      expect(o.runSqlite(sql)).toMatchObject({ ok: false });
      expect(() => o.conn.execute(sql)).toThrow(/no such savepoint: nope/);
    }
    steps(['SAVEPOINT a', 'RELEASE nope', "INSERT INTO t (v) VALUES ('1')", 'RELEASE a']);
  });
});
