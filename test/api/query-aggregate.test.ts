/** groupBy + aggregate on the typed builder, checked against a hand computation. */
import { Database, QueryError } from '../../src/index';

function db(): Database {
  const d = Database.openInMemory();
  d.registerCollection(
    'sales',
    [
      { path: 'id', type: 'int64' },
      { path: 'dept', type: { optional: 'string' } },
      { path: 'amount', type: { optional: 'int64' } },
      { path: 'price', type: 'float64' },
    ],
    'id',
    [{ name: 'sales_dept', path: 'dept', kind: 'index' }],
  );
  const rows: [number, string | null, number | null, number][] = [
    [1, 'a', 10, 0.1],
    [2, 'a', 30, 0.2],
    [3, 'a', 20, 0.3],
    [4, 'b', 5, 1],
    [5, 'b', null, 2],
    [6, null, 7, 3],
    [7, null, null, 4],
  ];
  d.transaction(() =>
    rows.forEach(([id, dept, amount, price]) => d.insert('sales', { id, dept, amount, price })),
  );
  return d;
}

describe('aggregate()', () => {
  const d = db();
  afterAll(() => d.close());

  test('group by with COUNT, COUNT(path), SUM, AVG, MIN, MAX in group-key order (NULL group first)', () => {
    const rows = d
      .collection('sales')
      .groupBy('dept')
      .aggregate({
        n: { fn: 'count' },
        amounts: { fn: 'count', path: 'amount' },
        total: { fn: 'sum', path: 'amount' },
        avg: { fn: 'avg', path: 'amount' },
        lo: { fn: 'min', path: 'amount' },
        hi: { fn: 'max', path: 'amount' },
      });
    expect(rows).toEqual([
      { dept: null, n: 2, amounts: 1, total: 7, avg: 7, lo: 7, hi: 7 },
      { dept: 'a', n: 3, amounts: 3, total: 60, avg: 20, lo: 10, hi: 30 },
      { dept: 'b', n: 2, amounts: 1, total: 5, avg: 5, lo: 5, hi: 5 },
    ]);
  });

  test('SUM of REALs uses compensated summation like SQLite (0.1+0.2+0.3 = 0.6)', () => {
    expect(
      d
        .collection('sales')
        .where('dept', 'a')
        .aggregate({ s: { fn: 'sum', path: 'price' } }),
    ).toEqual([{ s: 0.6 }]);
  });

  test('no rows: one row with COUNT 0 and NULL SUM; with groupBy: no rows', () => {
    const q = d.collection('sales').where('dept', 'zzz');
    expect(
      q.aggregate({
        n: { fn: 'count' },
        s: { fn: 'sum', path: 'amount' },
        t: { fn: 'total', path: 'amount' },
      }),
    ).toEqual([{ n: 0, s: null, t: 0 }]);
    expect(q.groupBy('dept').aggregate({ n: { fn: 'count' } })).toEqual([]);
  });

  test('orderBy on an aggregate name and limit cut the groups', () => {
    const rows = d
      .collection('sales')
      .groupBy('dept')
      .orderBy('n', 'desc')
      .orderBy('dept')
      .limit(2)
      .aggregate({ n: { fn: 'count' } });
    expect(rows).toEqual([
      { dept: 'a', n: 3 },
      { dept: null, n: 2 },
    ]);
  });

  test('bad specs are QueryErrors', () => {
    expect(() => d.collection('sales').aggregate({ s: { fn: 'sum' } })).toThrow(QueryError);
    expect(() => d.collection('sales').aggregate({ s: { fn: 'sum', path: 'dept' } })).toThrow(QueryError);
    expect(() =>
      d
        .collection('sales')
        .orderBy('price')
        .aggregate({ n: { fn: 'count' } }),
    ).toThrow(QueryError);
  });
});
