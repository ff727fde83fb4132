/** Plan choice and bounded work: the planner picks the documented access path and does O(k) work for k rows. */
import { Database } from '../../src/index';
import type { ExecStats } from '../../planner/execute';
import { spillStats } from '../../planner/sort';
import { presortedStats } from '../../planner/presorted-sort';
import { InternalError, QueryError } from '../../src/errors';
import { physicalPlan, openResult } from '../../planner/run';
import { L } from '../../planner/logical';
import { E } from '../../planner/expr';

function itemsDb(n: number): Database {
  const db = Database.openInMemory();
  db.registerCollection(
    'items',
    [
      { path: 'id', type: 'int64' },
      { path: 'sku', type: 'string' },
      { path: 'qty', type: 'int64' },
      { path: 'status', type: 'string' },
      { path: ['meta', 'tag'], type: { optional: 'string' } },
    ],
    'id',
    [
      { name: 'items_sku', path: 'sku', kind: 'unique' },
      { name: 'items_qty', path: 'qty', kind: 'index' },
      { name: 'items_status', path: 'status', kind: 'index' },
      { name: 'items_tag', path: 'meta.tag', kind: 'index' },
    ],
  );
  db.transaction(() => {
    for (let i = 0; i < n; i++) {
      db.insert('items', {
        id: i,
        sku: `sku-${i}`,
        qty: (i * 7919) % 1000,
        status: ['new', 'paid', 'shipped'][i % 3],
        meta: { tag: i % 10 === 0 ? null : `t${i % 5}` },
      });
    }
  });
  return db;
}

function stats(): ExecStats {
  return { rowsRead: 0, indexEntries: 0 };
}

describe('plan choice', () => {
  const db = itemsDb(2000);
  afterAll(() => db.close());
  const q = () => db.collection('items');

  test('primary key equality → PrimaryKeyLookup', () => {
    expect(q().where('id', 5).explain()).toMatch(/^PrimaryKeyLookup items keys=\[5\]$/);
    expect(
      q()
        .where('id', 5)
        .all()
        .map((r) => r.id),
    ).toEqual([5]);
  });

  test('unique index equality → IndexLookup (unique)', () => {
    expect(q().where('sku', 'sku-9').explain()).toBe(
      "IndexLookup items using items_sku (unique) keys=['sku-9']",
    );
  });

  test('indexed equality → IndexLookup; nested path too', () => {
    expect(q().where('status', 'paid').explain()).toContain('IndexLookup items using items_status');
    expect(q().where('meta.tag', 't1').explain()).toContain('IndexLookup items using items_tag');
    expect(q().where('meta.tag', 'isNull', null).explain()).toContain('IndexLookup items using items_tag');
    expect(q().where('meta.tag', 'isNull', null).count()).toBe(200);
  });

  test('primary key beats a secondary index; residual conjuncts become a Filter', () => {
    const plan = q().where('status', 'paid').where('id', 4).explain();
    expect(plan.split('\n')).toEqual(["Filter (status = 'paid')", '  PrimaryKeyLookup items keys=[4]']);
    expect(
      q()
        .where('status', 'paid')
        .where('id', 4)
        .all()
        .map((r) => r.id),
    ).toEqual([4]);
  });

  test('range on an indexed path → IndexRangeScan with merged bounds', () => {
    const plan = q().where('qty', '>=', 10).where('qty', '<', 20).explain();
    expect(plan).toBe('IndexRangeScan items using items_qty range=[>= 10 AND < 20]');
    expect(q().where('qty', 'between', [10, 20]).explain()).toContain(
      'IndexRangeScan items using items_qty range=[>= 10 AND <= 20]',
    );
  });

  test('unindexed predicate → CollectionScan + Filter', () => {
    expect(q().where('sku', 'like', 'SKU-1%').explain()).toContain('IndexRangeScan items using items_sku');
    expect(q().where('sku', '!=', 'x').explain().split('\n')).toEqual([
      "Filter (sku != 'x')",
      '  CollectionScan items',
    ]);
  });

  test('OR of indexable branches → IndexUnion', () => {
    const query = q().or({ path: 'id', op: '=', value: 1 }, { path: 'sku', op: '=', value: 'sku-2' });
    expect(query.explain()).toContain('IndexUnion items (2 branches)');
    expect(
      query
        .all()
        .map((r) => r.id)
        .sort(),
    ).toEqual([1, 2]);
  });

  test('ORDER BY without index + LIMIT → TopN; without LIMIT → Sort', () => {
    expect(q().orderBy('sku', 'desc').limit(3).explain()).toContain(
      'IndexRangeScan items using items_sku range=[full] reverse',
    );
    expect(q().where('status', 'new').orderBy('qty').limit(3).explain()).toMatch(
      /^TopN qty ASC limit=3 late\n {2}IndexLookup/,
    );
    expect(q().where('status', 'new').orderBy('qty').explain()).toMatch(/^Sort qty ASC/);
  });
});

describe('bounded work', () => {
  const db = itemsDb(100_000);
  afterAll(() => db.close());

  test('ORDER BY indexed LIMIT 10 on 100k rows reads O(10) rows', () => {
    const s = stats();
    const rows = [...db.collection('items').orderBy('qty', 'desc').limit(10).iterate({ stats: s })];
    expect(rows).toHaveLength(10);
    expect(rows.map((r) => r.qty)).toEqual([...rows.map((r) => r.qty as number)].sort((a, b) => b - a));
    expect(rows[0].qty).toBe(999);
    expect(s.rowsRead).toBeLessThanOrEqual(10);
    expect(s.indexEntries).toBeLessThanOrEqual(10);
  });

  test('index + residual + limit are correct together and stop early', () => {
    const s = stats();
    const rows = [
      ...db
        .collection('items')
        .where('qty', 'between', [100, 200])
        .where('status', 'paid')
        .orderBy('qty')
        .limit(5)
        .iterate({ stats: s }),
    ];
    const all = db
      .collection('items')
      .all()
      .filter((r) => (r.qty as number) >= 100 && (r.qty as number) <= 200 && r.status === 'paid');
    all.sort((a, b) => (a.qty as number) - (b.qty as number) || (a.id as number) - (b.id as number));
    expect(rows.map((r) => r.qty)).toEqual(all.slice(0, 5).map((r) => r.qty));
    expect(s.rowsRead).toBeLessThan(100);
  });

  test('taking k rows of a scan does O(k) work', () => {
    const s = stats();
    const it = db.collection('items').iterate({ stats: s });
    for (let i = 0; i < 25; i++) it.next();
    expect(s.rowsRead).toBe(25);
    it.return();
  });
});

describe('sort spill', () => {
  // A plain Sort (its first key an expression no index gives), and a Sort over a walk of the
  // status index whose one run of ties (every row's status is 'x') goes to the external sort.
  test.each([
    ['a plain Sort', E.binary('+', E.column(2, [], 'integer', 'qty'), E.literal(0)), 0],
    ['a presorted Sort with one long run', E.column(3, [], 'text', 'status'), 1],
  ] as const)(
    'a tiny memory budget spills 200k rows to temp runs (%s), sorts correctly, leaves no trace',
    (_, first, presorted) => {
      const db = itemsDb(0);
      db.transaction(() => {
        for (let i = 0; i < 200_000; i++)
          db.insert('items', {
            id: i,
            sku: `s${i}`,
            qty: (i * 48271) % 65537,
            status: 'x',
            meta: { tag: null },
          });
      });
      const size = db.storage.fileSize;
      const before = { ...spillStats };
      const runsBefore = { ...presortedStats };
      const view = db.readView();
      const keys = [
        { expr: first, desc: false },
        { expr: E.column(2, [], 'integer', 'qty'), desc: false },
        { expr: E.column(0, [], 'integer', 'id'), desc: true },
      ];
      const plan = physicalPlan(L.sort(L.scan('items'), keys), view);
      expect(plan.kind).toBe('Sort');
      expect(plan.kind === 'Sort' ? (plan.presorted ?? 0) : -1).toBe(presorted);
      const { source } = openResult(plan, view, {
        readers: { readRow: (l) => db.storage.readRow(l) },
        sortBudgetBytes: 1_000_000,
      });
      let prev: readonly unknown[] | null = null;
      let n = 0;
      for (let row = source.next(); row !== null; row = source.next()) {
        if (prev) {
          const q0 = prev[2] as number;
          const q1 = row[2] as number;
          expect(q0 < q1 || (q0 === q1 && (prev[0] as number) > (row[0] as number))).toBe(true);
        }
        prev = row;
        n++;
      }
      expect(n).toBe(200_000);
      expect(spillStats.runsWritten - before.runsWritten).toBeGreaterThanOrEqual(19);
      expect(spillStats.filesRemoved - before.filesRemoved).toBe(
        spillStats.filesCreated - before.filesCreated,
      );
      expect(presortedStats.externalRuns - runsBefore.externalRuns).toBe(presorted);
      expect(db.storage.fileSize).toBe(size);
      db.close();
    },
  );
});

describe('builder errors', () => {
  const db = itemsDb(3);
  afterAll(() => db.close());
  test('unknown paths and ill-typed values are QueryErrors before execution', () => {
    expect(() => db.collection('items').where('nope', 1)).toThrow(QueryError);
    expect(() => db.collection('items').where('qty', 'abc')).toThrow(QueryError);
    expect(() => db.collection('items').where('qty', '~~' as never, 1)).toThrow(QueryError);
    expect(() => db.collection('items').orderBy('nope')).toThrow(QueryError);
    expect(() => db.collection('items').select(['meta.nope'])).toThrow(QueryError);
    expect(db.collection('items').select(['id', 'meta.tag']).where('id', 1).all()).toEqual([
      { id: 1, meta: { tag: 't1' } },
    ]);
  });
});

describe('snapshot per statement', () => {
  test('a query iterated while another transaction deletes and inserts returns the starting rows', () => {
    const db = itemsDb(500);
    const expected = db
      .collection('items')
      .where('qty', '<', 500)
      .orderBy('qty')
      .all()
      .map((r) => r.id);
    const it = db.collection('items').where('qty', '<', 500).orderBy('qty').iterate();
    const seen: unknown[] = [];
    for (let i = 0; i < 10; i++) seen.push(it.next().value?.id);
    db.transaction(() => {
      for (let i = 0; i < 500; i += 2) db.delete('items', i);
      for (let i = 1000; i < 1100; i++)
        db.insert('items', { id: i, sku: `n${i}`, qty: 1, status: 'new', meta: { tag: null } });
    });
    for (let r = it.next(); !r.done; r = it.next()) seen.push(r.value.id);
    expect(seen).toEqual(expected);
    expect(db.collection('items').where('qty', 1).count()).toBeGreaterThanOrEqual(100);
    db.close();
  });
});

describe('stale index', () => {
  test('an index entry whose row is missing raises InternalError STALE_INDEX, never a silent skip', () => {
    const db = itemsDb(50);
    // Damage the in-memory index directly: an entry pointing at a primary key that has no row.
    const state = db.storage.collection('items');
    const qty = state?.indexes.find((ix) => ix.def.name === 'items_qty');
    if (!qty) throw new Error('index missing');
    qty.tree.add(-5, 999_999);
    // Any commit publishes a view of the (damaged) trees.
    db.insert('items', { id: 10_000, sku: 'x', qty: 1, status: 'new', meta: { tag: null } });
    let caught: unknown = null;
    try {
      db.collection('items').orderBy('qty').limit(3).all();
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(InternalError);
    expect((caught as InternalError).code).toBe('STALE_INDEX');
    db.close();
  });
});
