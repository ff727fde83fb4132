/**
 * Covering reads through a single-column index: a query that reads only the indexed column and
 * the primary key is answered from the index entries, never fetching a row (counted through the
 * row cache of a cold reader), with the same answers as SQLite's covering index reads.
 */
import { connect } from '../../src/index';
import { Oracle } from '../helpers/sqlite-oracle';
import { tmpDir } from '../helpers/tmp';

const DDL = [
  'CREATE TABLE t (id INTEGER PRIMARY KEY, q INTEGER, s TEXT, r REAL)',
  'CREATE INDEX t_q ON t (q)',
  'CREATE INDEX t_s ON t (s DESC)',
];
const ROWS = Array.from({ length: 60 }, (_v, k) => {
  const q = k % 9 === 0 ? 'NULL' : String(((k * 7) % 13) - 4);
  const s = k % 7 === 0 ? 'NULL' : `'${String.fromCharCode(97 + ((k * 5) % 6))}${k % 3}'`;
  return `INSERT INTO t VALUES (${k + 1}, ${q}, ${s}, ${k / 4})`;
});

const COVERING = [
  'SELECT id FROM t WHERE q = 3 ORDER BY id',
  'SELECT id, q FROM t WHERE q IN (-4, 0, 8) ORDER BY q, id',
  'SELECT q FROM t WHERE q > 2 ORDER BY q',
  'SELECT q, id FROM t WHERE q BETWEEN -2 AND 4 ORDER BY q DESC, id DESC',
  'SELECT id FROM t WHERE q IS NULL ORDER BY id',
  'SELECT count(*) FROM t WHERE q = 5',
  'SELECT q, count(*) FROM t WHERE q >= 0 GROUP BY q ORDER BY q',
  "SELECT s, id FROM t WHERE s > 'c' ORDER BY s DESC, id",
  "SELECT id FROM t WHERE s = 'b1' ORDER BY id",
  'SELECT q FROM t WHERE q < 100 ORDER BY q LIMIT 5',
  'SELECT DISTINCT q FROM t WHERE q IS NOT NULL ORDER BY q',
];

describe('covering reads through a single-column index', () => {
  const oracle = new Oracle();
  beforeAll(() => oracle.exec(...DDL, ...ROWS));
  afterAll(() => oracle.close());

  test.each(COVERING)('%s: planned covering, same answer as SQLite', (sql) => {
    const plan = (oracle.conn.execute(`EXPLAIN ${sql}`).fetchAll() as string[][]).map((r) => r[0]).join('\n');
    expect(plan).toMatch(/using covering t_[qs]/);
    const { mv, sqlite } = oracle.query(sql);
    expect(mv).toEqual(sqlite);
  });

  test('a column outside the index makes the read fetch rows again', () => {
    const plan = (oracle.conn.execute('EXPLAIN SELECT id, r FROM t WHERE q = 3').fetchAll() as string[][])
      .map((r) => r[0])
      .join('\n');
    expect(plan).not.toContain('covering');
    const { mv, sqlite } = oracle.query('SELECT id, r FROM t WHERE q = 3 ORDER BY id');
    expect(mv).toEqual(sqlite);
  });

  test('a covering read fetches no row; a non-covering one does', () => {
    const tmp = tmpDir();
    try {
      const file = tmp.file();
      const writer = connect(file, { autocommit: true });
      for (const sql of [...DDL, ...ROWS]) writer.execute(sql);
      // From a checkpoint, the reader replays no log: it starts with no row decoded.
      writer.database.checkpoint();
      writer.close();
      const reader = connect(file, { readOnly: true });
      const rows = () => reader.database.storage.cachedRowCount;
      expect(rows()).toBe(0);
      for (const sql of COVERING) reader.execute(sql).fetchAll();
      expect(rows()).toBe(0);
      expect(reader.execute('SELECT id, r FROM t WHERE q = 3').fetchAll().length).toBeGreaterThan(0);
      expect(rows()).toBeGreaterThan(0);
      reader.close();
    } finally {
      tmp.cleanup();
    }
  });
});
