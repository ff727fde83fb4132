/**
 * Regression (issue 11, item 3): after `ALTER TABLE … ADD COLUMN … DEFAULT`, rows written before
 * it read as the default — whether they are cold in the file, decoded in the row cache (written
 * or replayed in this process), or still staged by the open transaction — through every read
 * path: scans, filtered scans, primary-key and index lookups, UPDATE, indexes built later, and
 * the typed API. A rolled-back ALTER leaves no trace in any of them.
 */
import { connect, Database } from '../../src/index';
import type { Connection } from '../../src/index';
import { tmpDir } from '../helpers/tmp';

const tmp = tmpDir();
afterAll(() => tmp.cleanup());

type Where = 'memory' | 'file' | 'reopened' | 'checkpointed';
const WHERE: Where[] = ['memory', 'file', 'reopened', 'checkpointed'];

/** A table with rows 1..3 written before the ALTER, in the state `where` names. */
function seeded(where: Where): Connection {
  const file = where === 'memory' ? ':memory:' : tmp.file();
  let con = connect(file);
  con.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)');
  con.execute("INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c')");
  con.commit();
  if (where === 'checkpointed') con.database.checkpoint();
  if (where === 'reopened' || where === 'checkpointed') {
    // reopened: replay decodes every row into the cache; checkpointed: rows stay cold.
    con.close();
    con = connect(file);
  }
  return con;
}

function tmpFileOf(con: Connection): string {
  const path = con.database.storage.path;
  if (path === null) throw new Error('not a file database');
  return path;
}

describe.each(WHERE)('%s: ADD COLUMN … NOT NULL DEFAULT over existing rows', (where) => {
  test('SELECT reads the default through every access path', () => {
    const con = seeded(where);
    con.execute('ALTER TABLE t ADD COLUMN n INTEGER NOT NULL DEFAULT 7');
    con.commit();
    expect(con.execute('SELECT * FROM t ORDER BY id').fetchAll()).toEqual([
      [1, 'a', 7],
      [2, 'b', 7],
      [3, 'c', 7],
    ]);
    expect(con.execute('SELECT n FROM t WHERE id = 2').fetchAll()).toEqual([[7]]);
    expect(con.execute('SELECT id FROM t WHERE n = 7 ORDER BY id').fetchAll()).toEqual([[1], [2], [3]]);
    expect(con.execute('SELECT id FROM t WHERE id >= 2 AND n > 6').fetchAll()).toEqual([[2], [3]]);
    expect(con.execute('SELECT SUM(n) FROM t').fetchAll()).toEqual([[21]]);
    con.close();
  });

  test('UPDATE of an old row keeps the default and passes NOT NULL', () => {
    const con = seeded(where);
    con.execute('ALTER TABLE t ADD COLUMN n INTEGER NOT NULL DEFAULT 7');
    con.execute("UPDATE t SET name = 'z' WHERE id = 1");
    con.execute('UPDATE t SET n = n + 1 WHERE id = 2');
    con.commit();
    expect(con.execute('SELECT id, name, n FROM t ORDER BY id').fetchAll()).toEqual([
      [1, 'z', 7],
      [2, 'b', 8],
      [3, 'c', 7],
    ]);
    con.close();
  });

  test('an index created on the new column indexes the default', () => {
    const con = seeded(where);
    con.execute('ALTER TABLE t ADD COLUMN n INTEGER DEFAULT 7');
    con.execute('CREATE INDEX t_n ON t (n)');
    con.commit();
    const plan = con
      .execute('EXPLAIN SELECT id FROM t WHERE n = 7')
      .fetchAll()
      .map((r) => String((r as unknown[])[0]))
      .join('\n');
    expect(plan).toContain('IndexLookup');
    expect(con.execute('SELECT id FROM t WHERE n = 7 ORDER BY id').fetchAll()).toEqual([[1], [2], [3]]);
    con.execute('UPDATE t SET n = 1 WHERE id = 3');
    con.commit();
    expect(con.execute('SELECT id FROM t WHERE n = 7 ORDER BY id').fetchAll()).toEqual([[1], [2]]);
    expect(con.execute('SELECT id FROM t WHERE n = 1').fetchAll()).toEqual([[3]]);
    con.close();
  });

  test('the typed API reads the default', () => {
    const con = seeded(where);
    con.execute("ALTER TABLE t ADD COLUMN s TEXT NOT NULL DEFAULT 'dflt'");
    con.commit();
    const db = con.database;
    expect(db.get('t', 1)).toEqual({ id: 1, name: 'a', s: 'dflt' });
    expect(db.collection('t').where('id', 3).all()).toEqual([{ id: 3, name: 'c', s: 'dflt' }]);
    if (where !== 'memory') {
      // Another handle reads the committed row while this connection's transaction is open.
      const other = Database.open(tmpFileOf(con));
      con.execute("INSERT INTO t VALUES (4, 'd', 'x')");
      expect(other.get('t', 2)).toEqual({ id: 2, name: 'b', s: 'dflt' });
      con.rollback();
      other.close();
    }
    con.close();
  });
});

describe('ADD COLUMN inside the transaction that wrote the rows', () => {
  test('rows staged before the ALTER read the default before and after commit', () => {
    const con = connect(':memory:');
    con.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)');
    con.execute("INSERT INTO t VALUES (1, 'a')");
    con.execute('ALTER TABLE t ADD COLUMN n INTEGER NOT NULL DEFAULT 7');
    con.execute("INSERT INTO t (id, name) VALUES (2, 'b')");
    expect(con.execute('SELECT * FROM t').fetchAll()).toEqual([
      [1, 'a', 7],
      [2, 'b', 7],
    ]);
    con.commit();
    expect(con.execute('SELECT * FROM t').fetchAll()).toEqual([
      [1, 'a', 7],
      [2, 'b', 7],
    ]);
    con.execute("UPDATE t SET name = 'z'");
    con.commit();
    expect(con.execute('SELECT * FROM t').fetchAll()).toEqual([
      [1, 'z', 7],
      [2, 'z', 7],
    ]);
    con.close();
  });
});

describe('a rolled-back ADD COLUMN leaves no trace', () => {
  test('added again with another default: the new default, never the rolled-back one', () => {
    const file = tmp.file();
    let con = connect(file);
    con.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)');
    con.execute("INSERT INTO t VALUES (1, 'a'), (2, 'b')");
    con.commit();
    con.execute('ALTER TABLE t ADD COLUMN n INTEGER DEFAULT 7');
    expect(con.execute('SELECT n FROM t').fetchAll()).toEqual([[7], [7]]);
    con.rollback();
    expect(con.execute('SELECT * FROM t').fetchAll()).toEqual([
      [1, 'a'],
      [2, 'b'],
    ]);
    // Rows rewritten after the rollback must be stored at the table's width, not the ALTER's.
    con.execute("UPDATE t SET name = 'z' WHERE id = 1");
    con.commit();
    con.execute('ALTER TABLE t ADD COLUMN n INTEGER DEFAULT 9');
    con.commit();
    expect(con.execute('SELECT * FROM t ORDER BY id').fetchAll()).toEqual([
      [1, 'z', 9],
      [2, 'b', 9],
    ]);
    con.close();
    con = connect(file, { recovery: 'strict' });
    expect(con.execute('SELECT * FROM t ORDER BY id').fetchAll()).toEqual([
      [1, 'z', 9],
      [2, 'b', 9],
    ]);
    con.close();
  });
});
