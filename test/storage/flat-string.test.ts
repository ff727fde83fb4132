/**
 * Keys are made flat strings when stored (storage/flat-string.ts, a V8 representation detail that
 * speeds up comparisons): the values themselves never change, NFC or not, and lookups by them
 * find exactly what better-sqlite3 finds.
 */
import BetterSqlite3 from 'better-sqlite3';
import { Database, connect } from '../../src/index';
import { flatString } from '../../storage/flat-string';

/** Strings built by concatenation (cons strings in V8), in and out of NFC. */
const decomposed = (i: number): string => `key-${i}-` + 'e\u0301'.repeat(8) + `-${i}`;
const composed = (i: number): string => decomposed(i).normalize('NFC');
const ascii = (i: number): string => `SKU-${(i * 2654435761) >>> 0}-` + String(i).padStart(6, '0');

describe('flat stored keys', () => {
  test('flatString keeps every value as it is', () => {
    for (const s of ['', 'short', ascii(7), decomposed(3), composed(3), 'x'.repeat(40) + '\u{1f600}']) {
      expect(flatString(s)).toBe(s);
      expect(flatString(s).length).toBe(s.length);
    }
    expect(flatString(decomposed(3))).not.toBe(composed(3));
  });

  test('rows keep their keys unchanged; lookups agree with better-sqlite3', () => {
    const sqlite = new BetterSqlite3(':memory:');
    const conn = connect(':memory:');
    const ddl = 'CREATE TABLE t (k TEXT PRIMARY KEY, u TEXT UNIQUE, n INTEGER)';
    sqlite.exec(ddl);
    conn.execute(ddl);
    const rows = Array.from({ length: 300 }, (_, i) => [
      i % 2 ? decomposed(i) : ascii(i),
      decomposed(i + 1000),
      i,
    ]);
    const ins = sqlite.prepare('INSERT INTO t VALUES (?, ?, ?)');
    for (const r of rows) ins.run(...r);
    conn.executeMany('INSERT INTO t VALUES (?, ?, ?)', rows);
    conn.commit();
    const cur = conn.cursor();
    const all = 'SELECT k, u, n FROM t ORDER BY n';
    expect(cur.execute(all).fetchAll()).toEqual(sqlite.prepare(all).raw(true).all());
    for (const q of ['SELECT n FROM t WHERE k = ?', 'SELECT n FROM t WHERE u = ?']) {
      for (let i = 0; i < 300; i += 7) {
        for (const v of [decomposed(i), composed(i), ascii(i), decomposed(i + 1000), composed(i + 1000)]) {
          expect(cur.execute(q, [v]).fetchAll()).toEqual(sqlite.prepare(q).raw(true).all(v));
        }
      }
    }
    conn.close();
    sqlite.close();
  });

  test('typed rows read back the strings they were given', () => {
    const db = Database.openInMemory();
    db.registerCollection(
      'c',
      [
        { path: 'id', type: 'string' },
        { path: 'u', type: 'string' },
      ],
      'id',
      [{ name: 'c_u', path: 'u', kind: 'unique' }],
    );
    db.transaction(() => {
      for (let i = 0; i < 100; i++) db.insert('c', { id: decomposed(i), u: ascii(i) });
    });
    for (let i = 0; i < 100; i++) {
      expect(db.get('c', decomposed(i))).toEqual({ id: decomposed(i), u: ascii(i) });
      expect(db.get('c', composed(i))).toBeNull();
      expect(db.collection('c').where('u', ascii(i)).first()?.id).toBe(decomposed(i));
    }
    db.close();
  });
});
