/**
 * Secondary indexes loaded from a layout-2 checkpoint stay packed until first use: opening and
 * point gets never build them, and views taken while an index was still packed keep reading the
 * checkpoint's state after writes build and change it.
 */
import { Database } from '../../src/index';
import { connect } from '../../cursor/index';
import { tmpDir } from '../helpers/tmp';

const FIELDS = [
  { path: 'id', type: 'int64' as const },
  { path: 'grp', type: 'string' as const },
  { path: 'n', type: 'int64' as const },
];
const INDEXES = [
  { name: 'ix_grp', path: 'grp', kind: 'index' as const },
  { name: 'ix_n', path: 'n', kind: 'unique' as const },
];

describe('lazily built indexes', () => {
  const tmp = tmpDir();
  afterAll(() => tmp.cleanup());

  function checkpointed(rows = 500): string {
    const file = tmp.file();
    const db = Database.open(file);
    db.registerCollection('items', FIELDS, 'id', INDEXES);
    db.transaction(() => {
      for (let i = 0; i < rows; i++) db.insert('items', { id: i, grp: `g${i % 5}`, n: i * 10 });
    });
    db.checkpoint();
    db.close();
    return file;
  }

  function loaded(db: Database): boolean[] {
    return (db.storage.collection('items')?.indexes ?? []).map((ix) => ix.loaded);
  }

  test('open and point gets leave every secondary index packed; a query builds only the index it uses', () => {
    const db = Database.open(checkpointed(), { readOnly: true });
    expect(loaded(db)).toEqual([false, false]);
    expect(db.get('items', 42)).toEqual({ id: 42, grp: 'g2', n: 420 });
    expect(db.collection('items').where('id', '<', 3).count()).toBe(3);
    expect(loaded(db)).toEqual([false, false]);
    const q = db.collection('items').where('n', 4990);
    expect(q.explain()).toContain('ix_n');
    expect(q.all()).toEqual([{ id: 499, grp: 'g4', n: 4990 }]);
    expect(loaded(db)).toEqual([false, true]);
    expect(db.collection('items').where('grp', 'g3').count()).toBe(100);
    expect(loaded(db)).toEqual([true, true]);
    db.close();
  });

  test('a view taken while an index was packed reads the checkpoint state after writes change it', () => {
    const db = Database.open(checkpointed());
    const before = db.storage.committedView();
    expect(loaded(db)).toEqual([false, false]);
    db.insert('items', { id: 1000, grp: 'g3', n: 1 });
    db.delete('items', 3);
    expect(loaded(db)).toEqual([true, true]);
    const grp = before.collections.get('items')?.indexes.find((ix) => ix.def.name === 'ix_grp');
    const keys: unknown[] = [];
    const cur = grp?.tree.cursor({ lo: 'g3', loInclusive: true, hi: 'g3', hiInclusive: true });
    while (cur?.next()) keys.push(cur.value);
    expect(keys).toHaveLength(100);
    expect(keys).toContain(3);
    expect(keys).not.toContain(1000);
    expect(db.collection('items').where('grp', 'g3').count()).toBe(100); // +1000, -3
    db.close();
  });

  test('rolling back to a savepoint taken while an index was packed restores the checkpoint tree', () => {
    const db = Database.open(checkpointed());
    expect(() =>
      db.transaction(() => {
        db.insert('items', { id: 2000, grp: 'g1', n: 7 });
        db.delete('items', 1);
        throw new Error('roll back');
      }),
    ).toThrow('roll back');
    expect(db.collection('items').where('grp', 'g1').count()).toBe(100);
    expect(db.collection('items').where('n', 7).all()).toEqual([]);
    expect(db.collection('items').where('n', 10).all()).toEqual([{ id: 1, grp: 'g1', n: 10 }]);
    // Reads use the committed view; the next commit publishes the live trees, which must match too.
    db.insert('items', { id: 3000, grp: 'g1', n: 7 });
    expect(db.collection('items').where('n', 7).all()).toEqual([{ id: 3000, grp: 'g1', n: 7 }]);
    expect(db.collection('items').where('n', 10).all()).toEqual([{ id: 1, grp: 'g1', n: 10 }]);
    expect(db.collection('items').where('grp', 'g1').count()).toBe(101);
    db.close();
  });

  test('a checkpoint copies untouched packed indexes as they are, and the file reopens the same', () => {
    const file = checkpointed(300);
    const db = Database.open(file);
    db.insert('items', { id: 5000, grp: 'zz', n: -1 }); // builds both indexes
    db.checkpoint();
    db.close();
    const conn = connect(file, { readOnly: true });
    const cur = conn.cursor();
    cur.execute('SELECT id FROM items WHERE grp = ? ORDER BY id', ['zz']);
    expect(cur.fetchAll()).toEqual([[5000]]);
    cur.execute('SELECT COUNT(*) FROM items WHERE n >= ?', [0]);
    expect(cur.fetchAll()).toEqual([[300]]);
    conn.close();

    const again = Database.open(file);
    again.checkpoint(); // nothing touched: the packed columns are copied without building trees
    expect(loaded(again)).toEqual([false, false]);
    again.close();
    const last = Database.open(file, { readOnly: true, recovery: 'strict' });
    expect(last.collection('items').where('grp', 'g0').count()).toBe(60);
    expect(last.collection('items').where('n', 2990).all()).toEqual([{ id: 299, grp: 'g4', n: 2990 }]);
    last.close();
  });

  test('ALTER TABLE and CREATE INDEX on a table whose indexes are still packed', () => {
    const file = tmp.file();
    const setup = connect(file);
    const c = setup.cursor();
    c.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b INTEGER)');
    c.execute('CREATE INDEX t_a ON t (a)');
    c.executeMany(
      'INSERT INTO t VALUES (?, ?, ?)',
      Array.from({ length: 300 }, (_, i) => [i, `a${i % 7}`, i % 11]),
    );
    setup.commit();
    setup.close();
    const handle = Database.open(file);
    handle.checkpoint();
    handle.close();

    const conn = connect(file);
    const cur = conn.cursor();
    expect(conn.database.storage.collection('t')?.indexes.map((ix) => ix.loaded)).toEqual([false]);
    cur.execute('ALTER TABLE t ADD COLUMN z INTEGER DEFAULT 5');
    cur.execute('CREATE INDEX t_b ON t (b)');
    cur.execute('INSERT INTO t VALUES (1000, ?, 3, 9)', ['a1']);
    conn.commit();
    cur.execute('SELECT COUNT(*) FROM t WHERE a = ?', ['a1']);
    expect(cur.fetchOne()).toEqual([44]);
    cur.execute('SELECT COUNT(*), SUM(z) FROM t WHERE b = 3');
    expect(cur.fetchOne()).toEqual([28, 27 * 5 + 9]);
    conn.close();
  });
});
