/**
 * Regression (issue 11, item 1): a result set opened inside a transaction keeps the snapshot it
 * took at execute() after the transaction is rolled back (or a savepoint is). Rows staged by the
 * transaction live past the durable end of the log, and a rollback lets later writes reuse those
 * offsets: the snapshot must never read them, nor call a healthy file corrupt.
 */
import { connect, Database } from '../../src/index';
import type { Connection } from '../../src/index';
import { tmpDir } from '../helpers/tmp';

const tmp = tmpDir();
afterAll(() => tmp.cleanup());

const KINDS = ['memory', 'file'] as const;

function open(kind: (typeof KINDS)[number]): Connection {
  return connect(kind === 'memory' ? ':memory:' : tmp.file());
}

function accounts(con: Connection): void {
  con.execute('create table acct(id integer primary key, owner text, balance integer)');
  con.commit();
}

describe.each(KINDS)('%s database: snapshot of a cursor opened in a rolled-back transaction', (kind) => {
  test('the issue: rollback, then a later insert reusing the offsets', () => {
    const con = open(kind);
    const cur = con.cursor();
    accounts(con);
    con.execute("insert into acct values (1,'alice',100)");
    cur.execute('select id, owner, balance from acct');
    con.rollback();
    con.execute("insert into acct values (7,'mallo',999)");
    expect(cur.fetchAll()).toEqual([[1, 'alice', 100]]);
    expect(con.execute('select id from acct').fetchAll()).toEqual([[7]]);
    con.close();
  });

  test('rollback without a later write: no FormatError, the rolled-back rows', () => {
    const con = open(kind);
    const cur = con.cursor();
    accounts(con);
    con.execute("insert into acct values (1,'alice',100)");
    cur.execute('select id, owner, balance from acct');
    con.rollback();
    expect(cur.fetchAll()).toEqual([[1, 'alice', 100]]);
    con.close();
  });

  test('rollback, then a later transaction commits over the same offsets', () => {
    const con = open(kind);
    accounts(con);
    con.execute("insert into acct values (1,'alice',100), (2,'bob',50)");
    const cur = con.execute('select owner from acct order by id');
    expect(cur.fetchOne()).toEqual(['alice']);
    con.rollback();
    con.execute("insert into acct values (3,'carol',1), (4,'dave',2)");
    con.commit();
    expect(cur.fetchAll()).toEqual([['bob']]);
    expect(con.execute('select owner from acct order by id').fetchAll()).toEqual([['carol'], ['dave']]);
    con.close();
  });

  test('mixed committed and staged rows, read through an index and by primary key', () => {
    const con = open(kind);
    con.execute('create table t(id integer primary key, k text)');
    con.execute('create index t_k on t(k)');
    con.execute("insert into t values (1,'a'), (2,'b')");
    con.commit();
    con.execute("update t set k = 'z' where id = 1");
    con.execute("insert into t values (3,'c')");
    const byIndex = con.execute("select id, k from t where k >= 'b' order by k");
    const byPk = con.execute('select k from t where id = 3');
    const scan = con.execute('select id, k from t where k <> ?', ['q']);
    con.rollback();
    con.execute("insert into t values (4,'d'), (5,'e'), (6,'f')");
    expect(byIndex.fetchAll()).toEqual([
      [2, 'b'],
      [3, 'c'],
      [1, 'z'],
    ]);
    expect(byPk.fetchAll()).toEqual([['c']]);
    expect(scan.fetchAll()).toEqual([
      [1, 'z'],
      [2, 'b'],
      [3, 'c'],
    ]);
    con.close();
  });

  test('a failed statement rolls back to its savepoint: earlier cursors keep their rows', () => {
    const con = open(kind);
    con.execute('create table t(id integer primary key, v text not null)');
    con.commit();
    con.execute("insert into t values (1,'one')");
    const cur = con.execute('select id, v from t');
    // Two rows: the first is staged, the second fails NOT NULL and the statement is undone.
    expect(() => con.execute("insert into t values (2,'two'), (3,null)")).toThrow();
    con.execute("insert into t values (4,'four')");
    expect(cur.fetchAll()).toEqual([[1, 'one']]);
    expect(con.execute('select id from t').fetchAll()).toEqual([[1], [4]]);
    con.close();
  });

  test('a nested Database.transaction that throws: cursors opened inside it keep their rows', () => {
    const con = open(kind);
    accounts(con);
    const db = con.database;
    let inner: ReturnType<Connection['execute']> | null = null;
    db.transaction(() => {
      con.execute("insert into acct values (1,'alice',100)");
      expect(() =>
        db.transaction(() => {
          con.execute("insert into acct values (2,'bob',5)");
          inner = con.execute('select id from acct');
          throw new Error('undo the inner one');
        }),
      ).toThrow('undo the inner one');
      con.execute("insert into acct values (3,'carol',7), (4,'dave',8)");
    });
    expect(inner).not.toBeNull();
    expect(inner!.fetchAll()).toEqual([[1], [2]]);
    expect(con.execute('select id from acct').fetchAll()).toEqual([[1], [3], [4]]);
    con.close();
  });

  test('a cursor opened inside a transaction that commits keeps its snapshot', () => {
    const con = open(kind);
    accounts(con);
    con.execute("insert into acct values (1,'alice',100)");
    const cur = con.execute('select id from acct');
    con.commit();
    con.execute("insert into acct values (2,'bob',5)");
    con.rollback();
    con.execute("insert into acct values (3,'carol',7)");
    con.commit();
    expect(cur.fetchAll()).toEqual([[1]]);
    con.close();
  });
});

test('typed query builder: a result opened in a rolled-back transaction keeps its rows', () => {
  const db = Database.openInMemory();
  db.registerCollection(
    'items',
    [
      { path: 'id', type: 'int64' },
      { path: 'name', type: 'string' },
    ],
    'id',
  );
  db.begin();
  db.insert('items', { id: 1, name: 'one' });
  db.insert('items', { id: 2, name: 'two' });
  const it = db.collection('items').iterate();
  expect(it.next().value).toEqual({ id: 1, name: 'one' });
  db.rollback();
  db.insert('items', { id: 3, name: 'three' });
  db.insert('items', { id: 4, name: 'four' });
  expect([...it]).toEqual([{ id: 2, name: 'two' }]);
  db.close();
});
