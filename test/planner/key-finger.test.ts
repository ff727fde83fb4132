/**
 * Existence probes that remember their leaf (planner/key-finger.ts): `NOT EXISTS`, `EXISTS` and
 * `LEFT JOIN … WHERE … IS NULL` keyed by the outer row give better-sqlite3's answers whatever the
 * order the outer keys come in (ascending, descending, by another index), with duplicate keys,
 * gaps, NULLs and text keys; and an ascending outer walk answers most probes from the remembered
 * leaf (counted, not timed).
 */
import { Oracle } from '../helpers/sqlite-oracle';
import { lcg } from '../helpers/seeded';
import { keyFingerStats } from '../../planner/key-finger';

const DDL = [
  'CREATE TABLE items (id INTEGER PRIMARY KEY, sku TEXT, qty INTEGER)',
  'CREATE INDEX items_qty ON items (qty)',
  'CREATE TABLE orders (oid INTEGER PRIMARY KEY, item INTEGER, tag TEXT)',
  'CREATE INDEX orders_item ON orders (item)',
  'CREATE INDEX orders_tag ON orders (tag)',
];

function data(seed: number): string[] {
  const next = lcg(seed);
  const out: string[] = [];
  for (let i = 1; i <= 6_000; i++)
    out.push(`INSERT INTO items VALUES (${i}, 's${next(900)}', ${next(7) === 0 ? 'NULL' : next(50)})`);
  for (let o = 1; o <= 4_000; o++) {
    // Runs of duplicates, gaps, keys past the items' range and NULLs.
    const item = next(10) === 0 ? 'NULL' : String(next(3) === 0 ? 1 + next(40) * 150 : next(6_400) - 200);
    out.push(`INSERT INTO orders VALUES (${o}, ${item}, ${next(5) === 0 ? 'NULL' : `'s${next(1_200)}'`})`);
  }
  return out;
}

const QUERIES = [
  'SELECT i.id FROM items i WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.item = i.id) ORDER BY i.id',
  'SELECT i.id, i.sku FROM items i WHERE EXISTS (SELECT 1 FROM orders o WHERE o.item = i.id) ORDER BY i.id',
  'SELECT count(*) FROM items i WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.item = i.id)',
  'SELECT count(*) FROM items i LEFT JOIN orders o ON o.item = i.id WHERE o.oid IS NULL',
  'SELECT i.id FROM items i LEFT JOIN orders o ON o.item = i.id WHERE o.oid IS NULL ORDER BY i.id DESC',
  'SELECT i.id FROM items i WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.item = i.qty) ORDER BY i.id',
  'SELECT i.id FROM items i WHERE EXISTS (SELECT 1 FROM orders o WHERE o.tag = i.sku) ORDER BY i.id',
  'SELECT count(*) FROM items i LEFT JOIN orders o ON o.tag = i.sku WHERE o.oid IS NULL',
  'SELECT i.id FROM items i WHERE i.qty > 20 AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.item = i.id) ORDER BY i.id',
];

describe('existence probes that remember their leaf', () => {
  for (const seed of [1, 2]) {
    describe(`data seed ${seed}`, () => {
      const oracle = new Oracle();
      beforeAll(() => oracle.exec(...DDL, ...data(seed)));
      afterAll(() => oracle.close());

      test.each(QUERIES)('%s: same answer as SQLite', (sql) => {
        const mine = oracle.runMv(sql);
        const theirs = oracle.runSqlite(sql);
        if (!mine.ok || !theirs.ok) throw new Error(`failed: ${JSON.stringify([mine, theirs])}`);
        expect(mine.rows?.length).toBeGreaterThan(0);
        expect({ names: mine.names, rows: mine.rows }).toEqual({ names: theirs.names, rows: theirs.rows });
      });
    });
  }

  test('ascending outer keys are answered from the remembered leaf', () => {
    const oracle = new Oracle();
    try {
      oracle.exec(...DDL, ...data(3));
      const before = { ...keyFingerStats };
      oracle.runMv('SELECT i.id FROM items i LEFT JOIN orders o ON o.item = i.id WHERE o.oid IS NULL');
      const inLeaf = keyFingerStats.inLeaf - before.inLeaf;
      const descents = keyFingerStats.descents - before.descents;
      // 6,000 probes in ascending order: most within the leaf the previous one ended in.
      expect(inLeaf + descents).toBe(6_000);
      expect(descents).toBeLessThan(1_500);
    } finally {
      oracle.close();
    }
  });
});
