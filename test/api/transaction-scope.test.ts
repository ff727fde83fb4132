/**
 * Regression (issue 11, item 4): inside `db.transaction(fn)` the transaction belongs to the
 * scope. Committing or rolling it back from inside `fn` (through the Database, the connection or
 * a COMMIT/ROLLBACK statement) is refused with TransactionError, so a throw after it still
 * undoes everything `fn` did.
 */
import { connect, Database, TransactionError } from '../../src/index';

function items(db: Database): void {
  db.registerCollection(
    'items',
    [
      { path: 'id', type: 'int64' },
      { path: 'name', type: 'string' },
    ],
    'id',
  );
}

function scopeError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return null;
}

describe('commit and rollback inside db.transaction(fn)', () => {
  test('db.commit() is refused and a later throw rolls the row back', () => {
    const db = Database.openInMemory();
    items(db);
    let refused: unknown = null;
    expect(() =>
      db.transaction(() => {
        db.insert('items', { id: 1, name: 'one' });
        refused = scopeError(() => db.commit());
        throw new Error('fn fails after the commit attempt');
      }),
    ).toThrow('fn fails after the commit attempt');
    expect(refused).toBeInstanceOf(TransactionError);
    expect((refused as TransactionError).code).toBe('TRANSACTION');
    expect(db.get('items', 1)).toBeNull();
    expect(db.inTransaction).toBe(false);
    db.close();
  });

  test('db.rollback() is refused; the scope still commits when fn returns', () => {
    const db = Database.openInMemory();
    items(db);
    db.transaction(() => {
      db.insert('items', { id: 1, name: 'one' });
      expect(() => db.rollback()).toThrow(TransactionError);
      db.insert('items', { id: 2, name: 'two' });
    });
    expect(db.collection('items').all()).toEqual([
      { id: 1, name: 'one' },
      { id: 2, name: 'two' },
    ]);
    db.close();
  });

  test('db.begin() inside the scope stays refused', () => {
    const db = Database.openInMemory();
    items(db);
    db.transaction(() => {
      expect(() => db.begin()).toThrow(TransactionError);
    });
    db.close();
  });

  test('nested scopes: commit is refused in the inner one too', () => {
    const db = Database.openInMemory();
    items(db);
    expect(() =>
      db.transaction(() => {
        db.insert('items', { id: 1, name: 'one' });
        db.transaction(() => {
          expect(() => db.commit()).toThrow(TransactionError);
        });
        throw new Error('outer fails');
      }),
    ).toThrow('outer fails');
    expect(db.get('items', 1)).toBeNull();
    db.close();
  });

  test('commit and rollback work again once the scope has ended, even by a throw', () => {
    const db = Database.openInMemory();
    items(db);
    expect(() =>
      db.transaction(() => {
        throw new Error('x');
      }),
    ).toThrow('x');
    db.begin();
    db.insert('items', { id: 1, name: 'one' });
    db.commit();
    expect(db.get('items', 1)).toEqual({ id: 1, name: 'one' });
    db.close();
  });

  test('the SQL connection on the same handle: commit(), COMMIT and ROLLBACK are refused', () => {
    const con = connect(':memory:');
    con.execute('CREATE TABLE t (id INTEGER PRIMARY KEY)');
    con.commit();
    const db = con.database;
    expect(() =>
      db.transaction(() => {
        con.execute('INSERT INTO t VALUES (1)');
        expect(() => con.commit()).toThrow(TransactionError);
        expect(() => con.execute('COMMIT')).toThrow(TransactionError);
        expect(() => con.execute('ROLLBACK')).toThrow(TransactionError);
        expect(() => con.rollback()).toThrow(TransactionError);
        throw new Error('fn fails');
      }),
    ).toThrow('fn fails');
    expect(con.execute('SELECT COUNT(*) FROM t').fetchOne()).toEqual([0]);
    con.close();
  });
});
