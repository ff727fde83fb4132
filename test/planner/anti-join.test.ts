/**
 * `LEFT JOIN o ON o.k = x WHERE o.k IS NULL` (or `o.<primary key> IS NULL`) keeps exactly the
 * outer rows without a match, so the index nested-loop join emits only those and reads no inner
 * row (IndexNestedLoopJoinNode.anti). Answers are better-sqlite3's; the plans say which joins
 * are marked, and a marked join's inner rows read are counted (none).
 */
import { lcg } from '../helpers/seeded';
import { explain } from '../helpers/explain';
import { twinDatabases } from '../helpers/sql-pair';

const DDL = [
  'CREATE TABLE items (id INTEGER PRIMARY KEY, sku TEXT, qty INTEGER, day INTEGER)',
  'CREATE TABLE orders (oid INTEGER PRIMARY KEY, item INTEGER, day INTEGER, note TEXT)',
  'CREATE INDEX orders_item ON orders (item)',
  'CREATE INDEX orders_day_item ON orders (day, item)',
];

/** [query, whether its join is marked unmatched-only] */
const CASES: [string, boolean][] = [
  ['SELECT i.id FROM items i LEFT JOIN orders o ON o.item = i.id WHERE o.oid IS NULL ORDER BY i.id', true],
  [
    'SELECT i.id, o.oid, o.note FROM items i LEFT JOIN orders o ON o.item = i.id WHERE o.item IS NULL ORDER BY 1',
    true,
  ],
  ['SELECT count(*) FROM items i LEFT JOIN orders o ON o.item = i.qty WHERE o.oid IS NULL', true],
  [
    'SELECT i.id FROM items i LEFT JOIN orders o ON o.oid = i.qty WHERE o.oid IS NULL AND i.sku > ? ORDER BY 1',
    true,
  ],
  [
    'SELECT i.id FROM items i LEFT JOIN orders o ON o.day = i.day AND o.item = i.id WHERE o.oid IS NULL ORDER BY 1',
    true,
  ],
  // Not marked: a nullable column, a condition on the inner side, an OR, the rows of matches wanted.
  [
    'SELECT i.id FROM items i LEFT JOIN orders o ON o.item = i.id WHERE o.note IS NULL ORDER BY 1, o.oid',
    false,
  ],
  [
    "SELECT i.id FROM items i LEFT JOIN orders o ON o.item = i.id AND o.note = 'n1' WHERE o.oid IS NULL ORDER BY 1",
    false,
  ],
  [
    'SELECT i.id FROM items i LEFT JOIN orders o ON o.item = i.id WHERE o.oid IS NULL OR i.qty = 3 ORDER BY 1, o.oid',
    false,
  ],
  ['SELECT i.id, o.oid FROM items i LEFT JOIN orders o ON o.item = i.id ORDER BY 1, 2', false],
  [
    'SELECT i.id FROM items i LEFT JOIN orders o ON o.item = i.id WHERE o.oid IS NOT NULL ORDER BY 1, o.oid',
    false,
  ],
];

describe('LEFT JOIN … IS NULL as an anti-join', () => {
  const { sqlite, conn, cur } = twinDatabases(DDL);
  const pick = lcg(99);
  for (let id = 1; id <= 300; id++) {
    const row = [id, `s${pick(50)}`, pick(8) === 0 ? null : pick(120), pick(5)];
    sqlite.prepare('INSERT INTO items VALUES (?, ?, ?, ?)').run(...row);
    cur.execute('INSERT INTO items VALUES (?, ?, ?, ?)', row);
  }
  for (let oid = 1; oid <= 250; oid++) {
    const row = [oid, pick(10) === 0 ? null : pick(400), pick(5), pick(3) === 0 ? null : `n${pick(3)}`];
    sqlite.prepare('INSERT INTO orders VALUES (?, ?, ?, ?)').run(...row);
    cur.execute('INSERT INTO orders VALUES (?, ?, ?, ?)', row);
  }
  afterAll(() => {
    sqlite.close();
    conn.close();
  });
  const params = (q: string): unknown[] => (q.includes('?') ? ['s2'] : []);

  test.each(CASES)('%s', (q, marked) => {
    expect(cur.execute(q, params(q)).fetchAll()).toEqual(
      sqlite
        .prepare(q)
        .raw()
        .all(...params(q)),
    );
    const plan = explain(conn, q, params(q));
    expect(plan.includes('unmatched only')).toBe(marked);
  });

  test('an unmatched-only join reads no order row', () => {
    const q = 'SELECT count(*) FROM items i LEFT JOIN orders o ON o.item = i.id WHERE o.oid IS NULL';
    expect(cur.execute(q).fetchAll()).toEqual(sqlite.prepare(q).raw().all());
    // The 300 items are read (a scan, or none when the count walks an index); no order row.
    expect(cur.executionStats?.rowsRead).toBeLessThanOrEqual(300);
    const joined = 'SELECT count(*) FROM items i LEFT JOIN orders o ON o.item = i.id WHERE o.note IS NULL';
    cur.execute(joined).fetchAll();
    // Without the mark, every match's order row is read as well.
    expect(cur.executionStats?.rowsRead).toBeGreaterThan(300);
  });
});
