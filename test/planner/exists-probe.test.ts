/**
 * A correlated EXISTS of a simple shape (Limit 1 → Project → [Filter] → a one-key lookup keyed by
 * the outer row) is answered by a probe built once per execution (planner/exists-probe.ts), not
 * by operators built for every outer row. Its answers are better-sqlite3's on random data, NULL
 * keys, keys of another type than the column, IS NULL lookups and filters included; the probe is
 * built once per execution and called once per outer row; other shapes get none.
 */
import { lcg } from '../helpers/seeded';
import { explain } from '../helpers/explain';
import { twinDatabases } from '../helpers/sql-pair';
import * as probeModule from '../../planner/exists-probe';

const DDL = [
  'CREATE TABLE items (id INTEGER PRIMARY KEY, sku TEXT, qty INTEGER, tag TEXT)',
  'CREATE TABLE orders (oid INTEGER PRIMARY KEY, item INTEGER, amount REAL, code TEXT, note TEXT)',
  'CREATE INDEX orders_item ON orders (item)',
  'CREATE INDEX orders_code ON orders (code)',
  'CREATE INDEX orders_note ON orders (note)',
];

const QUERIES = [
  'SELECT id FROM items i WHERE EXISTS (SELECT 1 FROM orders o WHERE o.item = i.id) ORDER BY id',
  'SELECT id FROM items i WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.item = i.id) ORDER BY id',
  'SELECT id FROM items i WHERE EXISTS (SELECT 1 FROM orders o WHERE o.item = i.id AND o.amount > 50) ORDER BY id',
  'SELECT id FROM items i WHERE NOT EXISTS (SELECT oid FROM orders o WHERE o.item = i.qty AND o.note IS NULL) ORDER BY id',
  // The outer value is TEXT, the column INTEGER (and the other way round): affinity decides.
  'SELECT id FROM items i WHERE EXISTS (SELECT 1 FROM orders o WHERE o.item = i.sku) ORDER BY id',
  'SELECT id FROM items i WHERE EXISTS (SELECT 1 FROM orders o WHERE o.code = i.qty) ORDER BY id',
  // A primary-key lookup keyed by the outer row, with and without a filter.
  'SELECT id FROM items i WHERE EXISTS (SELECT 1 FROM orders o WHERE o.oid = i.qty) ORDER BY id',
  "SELECT id FROM items i WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.oid = i.id AND o.code LIKE 'c1%') ORDER BY id",
  // NULL outer keys, and IS (a NULL matches NULL entries).
  'SELECT id FROM items i WHERE EXISTS (SELECT 1 FROM orders o WHERE o.note IS i.tag) ORDER BY id',
  'SELECT id FROM items i WHERE EXISTS (SELECT 1 FROM orders o WHERE o.note = i.tag) ORDER BY id',
  // In a select list and under OR: evaluated per row as a value.
  'SELECT id, EXISTS (SELECT 1 FROM orders o WHERE o.item = i.id) FROM items i ORDER BY id',
  'SELECT id FROM items i WHERE qty = 3 OR NOT EXISTS (SELECT 1 FROM orders o WHERE o.item = i.id AND o.amount < 10) ORDER BY id',
  // Shapes without a probe (the per-row plan runs): an OFFSET, a result column that may raise.
  'SELECT id FROM items i WHERE EXISTS (SELECT 1 FROM orders o WHERE o.item = i.id LIMIT 1 OFFSET 1) ORDER BY id',
  'SELECT id FROM items i WHERE EXISTS (SELECT abs(o.amount) FROM orders o WHERE o.item = i.id) ORDER BY id',
];

describe('correlated EXISTS probes', () => {
  const { sqlite, conn, cur } = twinDatabases(DDL);
  const pick = lcg(4242);
  const items: unknown[][] = [];
  for (let id = 1; id <= 400; id++)
    items.push([
      id,
      pick(5) === 0 ? `${pick(300)}` : `s${id}`,
      pick(40),
      pick(4) === 0 ? null : `n${pick(30)}`,
    ]);
  const orders: unknown[][] = [];
  for (let oid = 1; oid <= 500; oid++)
    orders.push([
      oid,
      pick(9) === 0 ? null : pick(450),
      pick(6) === 0 ? null : pick(10000) / 100,
      pick(3) === 0 ? `${pick(40)}` : `c${pick(200)}`,
      pick(5) === 0 ? null : `n${pick(30)}`,
    ]);
  // An item whose only order has no amount: `o.amount > 50` is NULL for it, which is not true.
  items.push([401, 's401', 7, null]);
  orders.push([501, 401, null, 'c1', null]);
  const insItems = 'INSERT INTO items VALUES (?, ?, ?, ?)';
  const insOrders = 'INSERT INTO orders VALUES (?, ?, ?, ?, ?)';
  for (const r of items) sqlite.prepare(insItems).run(...r);
  for (const r of orders) sqlite.prepare(insOrders).run(...r);
  cur.executeMany(insItems, items);
  cur.executeMany(insOrders, orders);
  afterAll(() => {
    sqlite.close();
    conn.close();
  });

  test.each(QUERIES)('%s', (q) => {
    const want = sqlite.prepare(q).raw().all();
    expect(cur.execute(q).fetchAll()).toEqual(want);
  });

  /**
   * Correlated scalar subqueries of the same shape keyed by one outer value take the lookup's
   * first row (planner/exists-probe.ts scalarProbe), projected, and a correlated IN of one column
   * walks every row's value before it reads the operand: better-sqlite3's answers, with several
   * matching rows (the first in index order), filters, affinity, collation, IS, NULL values and
   * operands, empty sets and REAL values.
   */
  test.each([
    'SELECT id, (SELECT o.amount FROM orders o WHERE o.item = i.id) FROM items i ORDER BY id',
    'SELECT id, (SELECT o.oid FROM orders o WHERE o.item = i.id) FROM items i ORDER BY id',
    "SELECT id, (SELECT o.code || '-' || o.note FROM orders o WHERE o.oid = i.qty) FROM items i ORDER BY id",
    'SELECT id, (SELECT o.amount * 2 FROM orders o WHERE o.item = i.id AND o.amount > 50) FROM items i ORDER BY id',
    'SELECT id, (SELECT o.oid FROM orders o WHERE o.item = i.sku) FROM items i ORDER BY id',
    'SELECT id, (SELECT o.amount FROM orders o WHERE o.code = i.qty) FROM items i ORDER BY id',
    'SELECT id, (SELECT o.oid FROM orders o WHERE o.note IS i.tag) FROM items i ORDER BY id',
    'SELECT id, typeof((SELECT o.amount FROM orders o WHERE o.oid = i.id)) FROM items i ORDER BY id',
    // A value typed per row: a whole REAL stays REAL (4.0, not 4) through the probe's projection.
    "SELECT id, (SELECT CASE WHEN o.oid % 2 = 0 THEN o.oid * 1.0 ELSE o.item END FROM orders o WHERE o.oid = i.id) || '' FROM items i ORDER BY id",
    'SELECT id FROM items i WHERE (SELECT o.amount FROM orders o WHERE o.item = i.id) > 50 ORDER BY id',
    'SELECT id, (SELECT o.amount FROM orders o WHERE o.item = i.id) + (SELECT o.oid FROM orders o WHERE o.oid = i.id) FROM items i ORDER BY id',
    // Correlated IN / NOT IN of one column: every value under the key, then the operand; NULL
    // values and operands, empty sets, affinity.
    'SELECT id, i.qty IN (SELECT o.oid % 40 FROM orders o WHERE o.item = i.id) FROM items i ORDER BY id',
    'SELECT id, i.qty NOT IN (SELECT o.amount FROM orders o WHERE o.item = i.id) FROM items i ORDER BY id',
    'SELECT id, i.tag IN (SELECT o.note FROM orders o WHERE o.item = i.id AND o.amount > 20) FROM items i ORDER BY id',
    'SELECT id, i.tag NOT IN (SELECT o.note FROM orders o WHERE o.oid = i.qty) FROM items i ORDER BY id',
    'SELECT id, i.sku IN (SELECT o.code FROM orders o WHERE o.item = i.id) FROM items i ORDER BY id',
    'SELECT id FROM items i WHERE i.qty IN (SELECT o.item % 40 FROM orders o WHERE o.note IS i.tag) ORDER BY id',
    'SELECT count(*) FROM items i WHERE i.qty NOT IN (SELECT o.oid % 40 FROM orders o WHERE o.item = i.id)',
    // TEXT operand, INTEGER values (some skus are digits): the values' affinity converts it.
    'SELECT id, i.sku IN (SELECT o.item FROM orders o WHERE o.note IS i.tag) FROM items i ORDER BY id',
    'SELECT id, upper(i.tag) IN (SELECT o.note COLLATE NOCASE FROM orders o WHERE o.item = i.id) FROM items i ORDER BY id',
    // No probe (the plan runs per row): an ORDER BY in the subquery, an OFFSET.
    'SELECT id, (SELECT o.amount FROM orders o WHERE o.item = i.id ORDER BY o.amount DESC) FROM items i ORDER BY id',
    'SELECT id, (SELECT o.oid FROM orders o WHERE o.item = i.id LIMIT 1 OFFSET 1) FROM items i ORDER BY id',
  ])('scalar or IN, probed: %s', (q) => {
    const want = sqlite.prepare(q).raw().all();
    expect(cur.execute(q).fetchAll()).toEqual(want);
  });

  test('a scalar probe is built once per execution and asked once per outer row', () => {
    const original = probeModule.scalarProbe;
    const spy = jest.spyOn(probeModule, 'scalarProbe');
    let built = 0;
    let calls = 0;
    spy.mockImplementation((plan, env) => {
      const p = original(plan, env);
      if (p === null) return null;
      built++;
      return {
        outerKey: p.outerKey,
        first: (v: unknown) => {
          calls++;
          return p.first(v);
        },
        each: (v: unknown, visit: (row: readonly unknown[]) => void) => {
          calls++;
          p.each(v, visit);
        },
      };
    });
    try {
      const q =
        'SELECT id, (SELECT o.amount FROM orders o WHERE o.item = i.id AND o.amount > 20) FROM items i ORDER BY id';
      const want = sqlite.prepare(q).raw().all();
      expect(cur.execute(q).fetchAll()).toEqual(want);
      expect(cur.execute(q).fetchAll()).toEqual(want);
      expect(built).toBe(2);
      expect(calls).toBe(2 * items.length);
      // A correlated IN: one walk of the values a row.
      built = 0;
      calls = 0;
      const inQ =
        'SELECT id, i.qty IN (SELECT o.oid % 40 FROM orders o WHERE o.item = i.id) FROM items i ORDER BY id';
      expect(cur.execute(inQ).fetchAll()).toEqual(sqlite.prepare(inQ).raw().all());
      expect(built).toBe(1);
      expect(calls).toBe(items.length);
      // An ORDER BY in the subquery: no probe.
      built = 0;
      cur
        .execute(
          'SELECT id, (SELECT o.amount FROM orders o WHERE o.item = i.id ORDER BY o.amount DESC) FROM items i',
        )
        .fetchAll();
      expect(built).toBe(0);
    } finally {
      spy.mockRestore();
    }
  });

  test('the probe is built once per execution and called once per outer row', () => {
    const original = probeModule.existsProbe;
    const spy = jest.spyOn(probeModule, 'existsProbe');
    let calls = 0;
    let built = 0;
    // Keyed by its only outer value, the probe takes it directly (withKey), nothing bound.
    let direct = 0;
    spy.mockImplementation((plan, env) => {
      const p = original(plan, env);
      if (p === null) return null;
      built++;
      return {
        outerKey: p.outerKey,
        run: () => {
          calls++;
          return p.run();
        },
        withKey: (v: unknown) => {
          calls++;
          direct++;
          return p.withKey(v);
        },
      };
    });
    try {
      const q = 'SELECT count(*) FROM items i WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.item = i.id)';
      const want = sqlite.prepare(q).raw().get();
      expect(cur.execute(q).fetchAll()).toEqual([want]);
      expect(cur.execute(q).fetchAll()).toEqual([want]);
      expect(built).toBe(2);
      expect(calls).toBe(2 * items.length);
      expect(direct).toBe(2 * items.length);
      // An OFFSET in the subquery: no probe, the plan runs per row.
      built = 0;
      cur.execute(QUERIES[12]).fetchAll();
      expect(built).toBe(0);
    } finally {
      spy.mockRestore();
    }
  });
});

describe('a correlated lookup keyed by TEXT in a numeric column', () => {
  // SQLite applies NUMERIC affinity to the TEXT side of `o.item = i.sku`: the lookup converts
  // the outer value as the comparison does, so it may use o.item's index (or o.oid's key).
  const ddl = [
    'CREATE TABLE i2 (id INTEGER PRIMARY KEY, sku TEXT)',
    'CREATE TABLE o2 (oid INTEGER PRIMARY KEY, item INTEGER, r REAL)',
    'CREATE INDEX o2_item ON o2 (item)',
    'CREATE INDEX o2_r ON o2 (r)',
  ];
  const skus = [
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
  ];
  const orders = [
    [1, 5, 5.0],
    [2, 0, 0.0],
    [3, 9223372036854775807n, 2.5],
    [4, null, null],
    [5, 5, 9.0],
  ];
  const { sqlite, conn, cur } = twinDatabases(ddl);
  skus.forEach((s, k) => {
    sqlite.prepare('INSERT INTO i2 VALUES (?, ?)').run(k + 1, s);
    cur.execute('INSERT INTO i2 VALUES (?, ?)', [k + 1, s]);
  });
  for (const r of orders) {
    sqlite.prepare('INSERT INTO o2 VALUES (?, ?, ?)').run(...r);
    cur.execute('INSERT INTO o2 VALUES (?, ?, ?)', r);
  }
  afterAll(() => {
    sqlite.close();
    conn.close();
  });
  test.each([
    'SELECT id FROM i2 WHERE EXISTS (SELECT 1 FROM o2 WHERE o2.item = i2.sku) ORDER BY id',
    'SELECT id FROM i2 WHERE NOT EXISTS (SELECT 1 FROM o2 WHERE o2.oid = i2.sku) ORDER BY id',
    'SELECT id, (SELECT count(*) FROM o2 WHERE o2.item = i2.sku) FROM i2 ORDER BY id',
    'SELECT id, (SELECT max(oid) FROM o2 WHERE o2.r = i2.sku) FROM i2 ORDER BY id',
    'SELECT id FROM i2 WHERE EXISTS (SELECT 1 FROM o2 WHERE i2.sku = o2.item AND o2.r > 1) ORDER BY id',
  ])('%s', (q) => {
    expect(cur.execute(q).fetchAll()).toEqual(sqlite.prepare(q).safeIntegers(false).raw().all());
    expect(explain(conn, q)).not.toMatch(/CollectionScan o2/);
  });
});
