/**
 * A join comparing a numeric column with a TEXT value of the other side (`ON o.item = i.sku`)
 * looks the rows up in the numeric column's index or primary key, the text converted by NUMERIC
 * affinity as SQLite's comparison converts it, instead of a nested loop over both tables. The rows
 * are better-sqlite3's for texts that read as numbers in every spelling, texts that do not, NULLs
 * and integers past 2^53.
 */
import Sqlite from 'better-sqlite3';
import { connect } from '../../src/index';
import { explain } from '../helpers/explain';
import { twinDatabases } from '../helpers/sql-pair';

const DDL = [
  'CREATE TABLE i2 (id INTEGER PRIMARY KEY, sku TEXT, k INTEGER)',
  'CREATE TABLE o2 (oid INTEGER PRIMARY KEY, item INTEGER, r REAL, code TEXT)',
  'CREATE INDEX o2_item ON o2 (item)',
  'CREATE INDEX o2_item_r ON o2 (item, r)',
];
const SKUS = [
  ' 5',
  '5.0',
  '5e0',
  '0x5',
  '-0',
  '',
  '9223372036854775807',
  '1e400',
  'abc',
  '5',
  '2.5',
  null,
  '+5',
  '5 ',
  '3',
  '0',
];
const ORDERS: unknown[][] = [
  [1, 5, 5.0, '5'],
  [2, 0, 0.0, 'x'],
  [3, 9223372036854775807n, 2.5, '3'],
  [4, null, null, null],
  [5, 5, 9.0, ' 5'],
  [6, 3, 2.5, 'abc'],
  [7, 2, 1.0, '2.5'],
];

const QUERIES = [
  'SELECT i2.id, o2.oid FROM i2 JOIN o2 ON o2.item = i2.sku ORDER BY 1, 2',
  'SELECT i2.id, o2.oid FROM i2 LEFT JOIN o2 ON o2.item = i2.sku ORDER BY 1, 2',
  'SELECT i2.id, o2.oid FROM o2 JOIN i2 ON i2.sku = o2.item ORDER BY 1, 2',
  'SELECT i2.id, o2.oid FROM i2 JOIN o2 ON o2.oid = i2.sku ORDER BY 1, 2',
  'SELECT i2.id, o2.oid FROM i2 LEFT JOIN o2 ON o2.oid = i2.sku WHERE o2.oid IS NULL ORDER BY 1, 2',
  'SELECT i2.id, o2.oid FROM i2 JOIN o2 ON o2.item = i2.sku AND o2.r = 5.0 ORDER BY 1, 2',
  "SELECT i2.id, o2.oid FROM i2 JOIN o2 ON o2.item = i2.sku || '' ORDER BY 1, 2",
  'SELECT count(*), sum(o2.oid) FROM i2 JOIN o2 ON o2.item = i2.sku',
];

describe('joins keyed by TEXT in a numeric column', () => {
  const { sqlite, conn, cur } = twinDatabases(DDL);
  SKUS.forEach((s, n) => {
    const row = [n + 1, s, n % 4];
    sqlite.prepare('INSERT INTO i2 VALUES (?, ?, ?)').run(...row);
    cur.execute('INSERT INTO i2 VALUES (?, ?, ?)', row);
  });
  for (const r of ORDERS) {
    sqlite.prepare('INSERT INTO o2 VALUES (?, ?, ?, ?)').run(...r);
    cur.execute('INSERT INTO o2 VALUES (?, ?, ?, ?)', r);
  }
  afterAll(() => {
    sqlite.close();
    conn.close();
  });
  const planOf = (q: string): string => explain(conn, q);

  test.each(QUERIES)('%s', (q) => {
    expect(cur.execute(q).fetchAll()).toEqual(sqlite.prepare(q).raw().all());
  });

  test('the numeric side is looked up, not scanned per row', () => {
    for (const q of QUERIES.slice(0, 6)) {
      const plan = planOf(q);
      expect(plan).toMatch(/IndexNestedLoopJoin/);
      expect(plan).not.toMatch(/NestedLoopJoin inner on|CollectionScan o2/);
    }
  });

  test.each([
    'SELECT i2.id, o2.oid FROM o2 JOIN i2 ON i2.sku = o2.r ORDER BY 1, 2',
    'SELECT i2.id, o2.oid FROM i2 LEFT JOIN o2 ON o2.r = i2.sku ORDER BY 1, 2',
    'SELECT i2.id, o2.oid FROM o2 LEFT JOIN i2 ON o2.r = i2.sku ORDER BY 1, 2',
    "SELECT i2.id, o2.oid FROM i2 JOIN o2 ON o2.r = i2.sku AND o2.code = 'x' ORDER BY 1, 2",
  ])('no index on the numeric column: a hash join on the converted text — %s', (q) => {
    expect(cur.execute(q).fetchAll()).toEqual(sqlite.prepare(q).raw().all());
    const plan = planOf(q);
    expect(plan).toMatch(/HashJoin/);
  });

  test('a spilled hash join keys the converted text alike', () => {
    const small = connect(':memory:', { autocommit: true, hashJoinBudgetBytes: 256 });
    const c2 = small.cursor();
    const make = [
      'CREATE TABLE a (id INTEGER PRIMARY KEY, t TEXT)',
      'CREATE TABLE b (id INTEGER PRIMARY KEY, n REAL)',
    ];
    const lite = new Sqlite(':memory:');
    for (const d of make) {
      c2.execute(d);
      lite.exec(d);
    }
    for (let k = 1; k <= 600; k++) {
      const a = [k, k % 3 === 0 ? `${k % 50}.0` : k % 3 === 1 ? ` ${k % 50}` : `x${k}`];
      const b = [k, (k % 60) + (k % 7 === 0 ? 0.5 : 0)];
      c2.execute('INSERT INTO a VALUES (?, ?)', a);
      c2.execute('INSERT INTO b VALUES (?, ?)', b);
      lite.prepare('INSERT INTO a VALUES (?, ?)').run(...a);
      lite.prepare('INSERT INTO b VALUES (?, ?)').run(...b);
    }
    const q = 'SELECT a.id, b.id FROM a JOIN b ON b.n = a.t ORDER BY 1, 2';
    try {
      expect(c2.execute(q).fetchAll()).toEqual(lite.prepare(q).raw().all());
    } finally {
      lite.close();
      small.close();
    }
  });

  test('a TEXT column compared with a numeric one: not looked up in its index (which holds text), hashed converted', () => {
    const q = 'SELECT i2.id, o2.oid FROM i2 JOIN o2 ON o2.code = i2.k ORDER BY 1, 2';
    expect(cur.execute(q).fetchAll()).toEqual(sqlite.prepare(q).raw().all());
    const plan = planOf(q);
    expect(plan).toMatch(/HashJoin/);
  });
});
