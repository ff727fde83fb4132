/**
 * An EXISTS run per outer row (an index answers its correlation, so it is not hashed) stops at
 * the subquery's first row, as SQLite's does, instead of reading every row of a large match.
 * Rows read are counted (Cursor.executionStats); answers are compared with better-sqlite3.
 */
import BetterSqlite3 from 'better-sqlite3';
import { connect } from '../../src/index';

describe('EXISTS reads one row of its subquery', () => {
  test('correlated and uncorrelated EXISTS over 100 matches a key', () => {
    const conn = connect(':memory:', { autocommit: true });
    const sqlite = new BetterSqlite3(':memory:');
    try {
      for (const sql of [
        'CREATE TABLE a (id INTEGER PRIMARY KEY, k INTEGER)',
        'CREATE TABLE b (id INTEGER PRIMARY KEY, k INTEGER, v INTEGER)',
        'CREATE INDEX b_k ON b (k)',
      ]) {
        conn.execute(sql);
        sqlite.exec(sql);
      }
      const as = Array.from({ length: 50 }, (_, i) => [i + 1, i % 25]);
      const bs = Array.from({ length: 2000 }, (_, i) => [i + 1, i % 20, i % 7]);
      conn.cursor().executeMany('INSERT INTO a VALUES (?, ?)', as);
      conn.cursor().executeMany('INSERT INTO b VALUES (?, ?, ?)', bs);
      for (const r of as) sqlite.prepare('INSERT INTO a VALUES (?, ?)').run(...r);
      for (const r of bs) sqlite.prepare('INSERT INTO b VALUES (?, ?, ?)').run(...r);
      for (const [sql, maxReads] of [
        // 40 of the 50 rows of a have 100 rows of b each: one read apiece, plus a's own rows.
        ['SELECT id FROM a WHERE EXISTS (SELECT 1 FROM b WHERE b.k = a.k) ORDER BY id', 50 + 50],
        // A filter above the lookup: the lookup reads its first batch (8 rows), not all 100.
        [
          'SELECT id FROM a WHERE NOT EXISTS (SELECT v FROM b WHERE b.k = a.k AND v >= 0) ORDER BY id',
          50 + 40 * 8,
        ],
        ['SELECT count(*) FROM a WHERE EXISTS (SELECT 1 FROM b WHERE v = 3)', 50 + 10],
        // A LIMIT of the subquery's own is kept as written (OFFSET 150 passes all 100 matches).
        [
          'SELECT count(*) FROM a WHERE EXISTS (SELECT 1 FROM b WHERE b.k = a.k LIMIT 1 OFFSET 150)',
          50 + 4000,
        ],
        [
          'SELECT count(*) FROM a WHERE EXISTS (SELECT 1 FROM b WHERE b.k = a.k LIMIT 2 OFFSET 50)',
          50 + 4000,
        ],
      ] as [string, number][]) {
        const cur = conn.cursor().execute(sql);
        expect(cur.fetchAll()).toEqual(sqlite.prepare(sql).raw().all());
        expect(cur.executionStats?.rowsRead).toBeLessThanOrEqual(maxReads);
      }
      // The lookups keyed by the outer row went past b_k's key-group memo: their keys change
      // from row to row (the subquery remembers repeated keys' results itself).
      const bk = conn.database.storage.collection('b')?.indexes.find((ix) => ix.def.name === 'b_k');
      expect(bk?.tree.prefixStats.fills).toBe(0);
      // A lookup by a parameter still fills it.
      conn.cursor().execute('SELECT v FROM b WHERE k = ?', [3]).fetchAll();
      expect(bk?.tree.prefixStats.fills).toBe(1);
    } finally {
      conn.close();
      sqlite.close();
    }
  });
});
