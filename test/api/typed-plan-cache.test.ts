/**
 * Typed row queries (all, first, iterate) are planned once per shape — collection, condition
 * paths and operators, order, limit, offset, projection — with their values bound as parameters,
 * and planned again after a schema or index change. Planning is counted (typedPlanCount), rows
 * read are counted (stats), and every result is checked against a filter over all rows.
 */
import { Database, connect } from '../../src/index';
import { typedPlanCount } from '../../src/query';
import { tmpDir } from '../helpers/tmp';

const FIELDS = [
  { path: 'id', type: 'int64' as const },
  { path: 'n', type: 'int64' as const },
  { path: 's', type: 'string' as const },
];
type Item = { id: number; n: number; s: string };
const items: Item[] = Array.from({ length: 200 }, (_, i) => ({ id: i, n: i % 10, s: `k${(i * 37) % 200}` }));

describe('typed query plans cached by shape', () => {
  const tmp = tmpDir();
  afterAll(() => tmp.cleanup());

  function open(): { db: Database; file: string } {
    const file = tmp.file();
    const db = Database.open(file);
    db.registerCollection('t', FIELDS, 'id', [{ name: 't_s', path: 's', kind: 'unique' }]);
    db.transaction(() => {
      for (const it of items) db.insert('t', it);
    });
    return { db, file };
  }

  test('the same shape with other values plans once and returns each value’s rows', () => {
    const { db } = open();
    const before = typedPlanCount();
    for (let i = 0; i < 200; i += 7) {
      const key = `k${i}`;
      expect(db.collection('t').where('s', key).first()).toEqual(items.find((it) => it.s === key));
    }
    expect(db.collection('t').where('s', 'absent').first()).toBeNull();
    expect(typedPlanCount() - before).toBe(1);
    db.close();
  });

  test('different shapes get their own plans, and each answers correctly', () => {
    const { db } = open();
    const before = typedPlanCount();
    // Without orderBy the order is the access path's: compare as sets.
    const byIds = (rows: Record<string, unknown>[]): number[] =>
      rows.map((r) => r.id as number).sort((x, y) => x - y);
    const want = (pred: (it: Item) => boolean): number[] => items.filter(pred).map((it) => it.id);
    for (let round = 0; round < 3; round++) {
      const a = round;
      const b = round + 4;
      expect(byIds(db.collection('t').where('n', '<', b).all())).toEqual(want((it) => it.n < b));
      expect(byIds(db.collection('t').where('n', '>=', b).all())).toEqual(want((it) => it.n >= b));
      expect(byIds(db.collection('t').where('n', 'between', [a, b]).all())).toEqual(
        want((it) => it.n >= a && it.n <= b),
      );
      expect(byIds(db.collection('t').where('n', 'in', [a, b]).all())).toEqual(
        want((it) => it.n === a || it.n === b),
      );
      // Another number of IN values is another shape.
      expect(byIds(db.collection('t').where('n', 'in', [a, b, 9]).all())).toEqual(
        want((it) => it.n === a || it.n === b || it.n === 9),
      );
      expect(
        byIds(
          db.collection('t').or({ path: 'n', op: '=', value: a }, { path: 's', op: '=', value: 'k5' }).all(),
        ),
      ).toEqual(want((it) => it.n === a || it.s === 'k5'));
      expect(byIds(db.collection('t').where('s', 'startsWith', `k1${a}`).all())).toEqual(
        want((it) => it.s.startsWith(`k1${a}`)),
      );
      expect(
        db
          .collection('t')
          .where('n', a)
          .orderBy('s', 'desc')
          .limit(3)
          .all()
          .map((r) => r.id),
      ).toEqual(
        items
          .filter((it) => it.n === a)
          .sort((x, y) => (x.s < y.s ? 1 : -1))
          .slice(0, 3)
          .map((it) => it.id),
      );
      expect(db.collection('t').where('n', a).select(['s']).first()).toEqual({
        s: items.find((it) => it.n === a)?.s,
      });
    }
    // Nine shapes; startsWith keeps its prefix in the shape, so each round adds one more.
    expect(typedPlanCount() - before).toBe(8 + 3);
    db.close();
  });

  test('an index created meanwhile (another connection, same engine) is used on the next call', () => {
    const { db, file } = open();
    const stats = { rowsRead: 0, indexEntries: 0 };
    expect(db.collection('t').where('n', 3).all({ stats })).toHaveLength(20);
    // No index on n yet: every row is read.
    expect(stats.rowsRead).toBe(items.length);
    const before = typedPlanCount();
    const conn = connect(file);
    conn.execute('CREATE INDEX t_n ON t (n)');
    conn.commit();
    const after = { rowsRead: 0, indexEntries: 0 };
    expect(db.collection('t').where('n', 4).all({ stats: after })).toEqual(items.filter((it) => it.n === 4));
    expect(after.rowsRead).toBe(20);
    expect(typedPlanCount() - before).toBe(1);
    conn.execute('DROP INDEX t_n');
    conn.commit();
    const dropped = { rowsRead: 0, indexEntries: 0 };
    expect(db.collection('t').where('n', 5).all({ stats: dropped })).toHaveLength(20);
    expect(dropped.rowsRead).toBe(items.length);
    expect(typedPlanCount() - before).toBe(2);
    conn.close();
    db.close();
  });

  test('limit, offset, order and projection each make their own plan under one where shape', () => {
    const { db } = open();
    const before = typedPlanCount();
    const ofN = (a: number): Item[] => items.filter((it) => it.n === a);
    for (let round = 0; round < 3; round++) {
      const a = round + 1;
      const q = db.collection('t').where('n', a);
      // Without orderBy the order is the access path's (here the primary key's).
      expect(q.all()).toEqual(ofN(a));
      expect(q.first()).toEqual(ofN(a)[0]);
      expect(q.limit(2).all()).toEqual(ofN(a).slice(0, 2));
      expect(q.limit(3).all()).toEqual(ofN(a).slice(0, 3));
      expect(q.limit(2).offset(1).all()).toEqual(ofN(a).slice(1, 3));
      expect(q.offset(1).all()).toEqual(ofN(a).slice(1));
      expect(q.orderBy('id', 'desc').limit(2).all()).toEqual(ofN(a).reverse().slice(0, 2));
      expect(q.select(['id']).limit(2).all()).toEqual(
        ofN(a)
          .slice(0, 2)
          .map((it) => ({ id: it.id })),
      );
      expect(q.select(['s']).limit(2).all()).toEqual(
        ofN(a)
          .slice(0, 2)
          .map((it) => ({ s: it.s })),
      );
    }
    // Nine shapes, planned in the first round only: no limit, 1, 2, 3, 2 + offset, offset alone,
    // ordered, and two projections.
    expect(typedPlanCount() - before).toBe(9);
    db.close();
  });

  test('two collections with the same where shape keep their own plans', () => {
    const { db } = open();
    db.registerCollection('u', FIELDS, 'id', [{ name: 'u_s', path: 's', kind: 'unique' }]);
    db.transaction(() => {
      for (const it of items.slice(0, 50)) db.insert('u', { ...it, s: `u${it.s}` });
    });
    const before = typedPlanCount();
    for (let i = 0; i < 50; i += 5) {
      expect(db.collection('t').where('s', `k${i}`).first()).toEqual(items.find((it) => it.s === `k${i}`));
      const inU = items.slice(0, 50).find((it) => it.s === `k${i}`);
      expect(db.collection('u').where('s', `uk${i}`).first()).toEqual(inU ? { ...inU, s: `uk${i}` } : null);
    }
    expect(typedPlanCount() - before).toBe(2);
    db.close();
  });

  test('past 512 shapes the cache starts over and every query still answers correctly', () => {
    const { db } = open();
    const before = typedPlanCount();
    // 600 shapes: limits 1..600 under one where shape.
    for (let k = 1; k <= 600; k++)
      expect(db.collection('t').where('n', 4).limit(k).all()).toHaveLength(Math.min(k, 20));
    expect(typedPlanCount() - before).toBe(600);
    // The first 88 were dropped with the rest when the cache started over at the 513th; the last
    // 88 are still there.
    for (let k = 513; k <= 600; k++) expect(db.collection('t').where('n', 5).limit(k).all()).toHaveLength(20);
    expect(typedPlanCount() - before).toBe(600);
    expect(db.collection('t').where('n', 6).limit(1).all()).toEqual([items[6]]);
    expect(typedPlanCount() - before).toBe(601);
    db.close();
  });

  test('a value that does not fit its path is still a QueryError, cached plan or not', () => {
    const { db } = open();
    expect(db.collection('t').where('n', 1).first()).toEqual(items[1]);
    expect(() => db.collection('t').where('n', 'one').first()).toThrow(/does not fit its type/);
    db.close();
  });
});
