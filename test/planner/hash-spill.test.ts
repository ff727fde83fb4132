/**
 * HashJoin past its memory budget (planner/hash-spill.ts): with a budget of a few hundred bytes
 * every join spills to partition files, and its rows still equal SQLite's for every join type,
 * NULL and duplicate keys, orphans, empty sides and residual predicates; the files are gone after
 * the join ends, fails, or is abandoned (at collection and at process exit, in child processes).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import fc from 'fast-check';
import { connect } from '../../src/index';
import { Oracle } from '../helpers/sqlite-oracle';
import { hashSpillStats, setHashJoinBudgetForTests } from '../../planner/hash-spill';
import { explain } from '../helpers/explain';

const CHILD = path.join(__dirname, '..', 'helpers', 'hash-spill-child.js');

afterEach(() => setHashJoinBudgetForTests(null));

const lit = (v: number | string | null): string =>
  v === null ? 'NULL' : typeof v === 'string' ? `'${v}'` : String(v);

const rowsArb = (max: number) =>
  fc.array(
    fc.tuple(
      fc.option(fc.integer({ min: 0, max: 6 }), { freq: 5 }),
      fc.option(fc.constantFrom('x', 'y', 'zz')),
    ),
    { maxLength: max },
  );

const JOINS = [
  'SELECT a.id, a.k, b.id, b.s FROM a JOIN b ON b.k = a.k',
  'SELECT a.id, b.id, a.s FROM a LEFT JOIN b ON b.k = a.k',
  'SELECT a.id, b.id, a.s FROM a RIGHT JOIN b ON b.k = a.k',
  'SELECT a.id, b.id, a.s FROM a FULL JOIN b ON b.k = a.k',
  'SELECT a.id, b.id, a.s FROM a LEFT JOIN b ON b.k = a.k AND b.s > a.s',
  'SELECT a.id, b.id, a.s FROM a FULL JOIN b ON b.k = a.k AND b.s = a.s',
  'SELECT a.k, count(*), count(b.id) FROM a LEFT JOIN b ON b.k = a.k GROUP BY a.k',
];

test('a spilled HashJoin returns what SQLite returns, and leaves no files', () => {
  let spilled = 0;
  fc.assert(
    fc.property(rowsArb(60), rowsArb(60), fc.constantFrom(...JOINS), (a, b, join) => {
      const o = new Oracle();
      try {
        o.exec('CREATE TABLE a (id INTEGER PRIMARY KEY, k INTEGER, s TEXT)');
        o.exec('CREATE TABLE b (id INTEGER PRIMARY KEY, k INTEGER, s TEXT)');
        const ins = (t: string, rows: [number | null, string | null][]): void => {
          if (rows.length)
            o.exec(
              `INSERT INTO ${t} VALUES ${rows.map(([k, s], i) => `(${i + 1}, ${lit(k)}, ${lit(s)})`).join(', ')}`,
            );
        };
        ins('a', a);
        ins('b', b);
        const sql = `${join} ORDER BY 1, 2, 3`;
        expect(explain(o.conn, sql)).toContain('HashJoin');
        setHashJoinBudgetForTests(300);
        const before = hashSpillStats.joinsSpilled;
        const { mv, sqlite } = o.query(sql);
        if (hashSpillStats.joinsSpilled > before) spilled++;
        expect({ sql, ...mv }).toEqual({ sql, ...sqlite });
        expect(hashSpillStats.dirsRemoved).toBe(hashSpillStats.dirsCreated);
      } finally {
        setHashJoinBudgetForTests(null);
        o.close();
      }
    }),
    { numRuns: 150, seed: 13015 },
  );
  expect(spilled).toBeGreaterThan(60);
});

test('a partition over the budget is partitioned again: every partition joined in memory fits it', () => {
  const o = new Oracle();
  try {
    o.exec('CREATE TABLE a (id INTEGER PRIMARY KEY, k INTEGER, s TEXT)');
    o.exec('CREATE TABLE b (id INTEGER PRIMARY KEY, k INTEGER, s TEXT)');
    // 2,000 build rows over 1,500 keys: one pass of 64 partitions leaves ~30 rows in each, far
    // over a 600-byte budget; a second pass leaves one or two.
    const rows = (n: number, mul: number): string =>
      Array.from({ length: n }, (_, i) => `(${i + 1}, ${(i * mul) % 1500}, 's${i % 7}')`).join(', ');
    o.exec(`INSERT INTO a VALUES ${rows(1200, 7)}`);
    o.exec(`INSERT INTO b VALUES ${rows(2000, 11)}`);
    for (const join of JOINS) {
      const sql = `${join} ORDER BY 1, 2, 3`;
      expect(explain(o.conn, sql)).toContain('HashJoin');
      setHashJoinBudgetForTests(600);
      const before = { ...hashSpillStats };
      hashSpillStats.largestPartitionBytes = 0;
      const { mv, sqlite } = o.query(sql);
      expect({ sql, ...mv }).toEqual({ sql, ...sqlite });
      expect(hashSpillStats.joinsSpilled).toBe(before.joinsSpilled + 1);
      expect(hashSpillStats.repartitioned).toBeGreaterThan(before.repartitioned + 30);
      expect(hashSpillStats.largestPartitionBytes).toBeLessThanOrEqual(600);
      expect(hashSpillStats.largestPartitionBytes).toBeGreaterThan(0);
      expect(hashSpillStats.dirsRemoved).toBe(hashSpillStats.dirsCreated);
      setHashJoinBudgetForTests(null);
    }
  } finally {
    o.close();
  }
});

test('a join failing after it spilled removes its files', () => {
  const o = new Oracle();
  try {
    o.exec(
      'CREATE TABLE a (id INTEGER PRIMARY KEY, k INTEGER, j TEXT)',
      'CREATE TABLE b (id INTEGER PRIMARY KEY, k INTEGER)',
    );
    o.exec(
      `INSERT INTO a VALUES ${Array.from({ length: 200 }, (_v, i) => `(${i + 1}, ${i % 9}, '${i === 150 ? '{' : '[]'}')`).join(', ')}`,
    );
    o.exec(
      `INSERT INTO b VALUES ${Array.from({ length: 200 }, (_v, i) => `(${i + 1}, ${i % 7})`).join(', ')}`,
    );
    setHashJoinBudgetForTests(300);
    const before = { ...hashSpillStats };
    // The left side raises "malformed JSON" at its 150th row, while the join is partitioning it.
    const sql = 'SELECT x.id, b.id FROM (SELECT id, k, json(j) AS j FROM a) AS x JOIN b ON b.k = x.k';
    expect(explain(o.conn, sql)).toContain('HashJoin');
    expect(() => o.conn.cursor().execute(sql).fetchAll()).toThrow(/malformed JSON/);
    expect(hashSpillStats.joinsSpilled).toBe(before.joinsSpilled + 1);
    expect(hashSpillStats.dirsRemoved).toBe(hashSpillStats.dirsCreated);
  } finally {
    o.close();
  }
});

describe('an abandoned spilled join (LIMIT, a cursor not read to the end)', () => {
  const run = (flags: string[]): { out: string; left: string[] } => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mv-spill-test-'));
    try {
      const r = spawnSync(process.execPath, [...flags, CHILD], {
        encoding: 'utf8',
        env: { ...process.env, TMPDIR: dir },
      });
      if (r.status !== 0) throw new Error(`child failed: ${r.stderr}`);
      return { out: r.stdout, left: fs.readdirSync(dir) };
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };

  test('its files are removed when the process exits', () => {
    const { out, left } = run([]);
    expect(out).toMatch(/SPILLED 1 DIRS 1/);
    expect(left).toEqual([]);
  });

  test('its files are removed when the join is garbage collected', () => {
    const { out, left } = run(['--expose-gc']);
    expect(out).toMatch(/SPILLED 1 DIRS 1/);
    expect(out).toMatch(/AFTER GC DIRS 0/);
    expect(left).toEqual([]);
  });
});

test('the hashJoinBudgetBytes connect option sets the budget per connection', () => {
  const sqlite = new BetterSqlite3(':memory:');
  const plain = connect(':memory:', { autocommit: true });
  const small = connect(':memory:', { autocommit: true, hashJoinBudgetBytes: 300 });
  try {
    const setup = [
      'CREATE TABLE a (id INTEGER PRIMARY KEY, k INTEGER)',
      'CREATE TABLE b (id INTEGER PRIMARY KEY, k INTEGER)',
      `INSERT INTO a VALUES ${Array.from({ length: 80 }, (_v, i) => `(${i + 1}, ${i % 11})`).join(', ')}`,
      `INSERT INTO b VALUES ${Array.from({ length: 80 }, (_v, i) => `(${i + 1}, ${i % 13})`).join(', ')}`,
    ];
    for (const sql of setup) {
      sqlite.exec(sql);
      plain.execute(sql);
      small.execute(sql);
    }
    const sql = 'SELECT a.id, b.id FROM a LEFT JOIN b ON b.k = a.k ORDER BY 1, 2';
    const expected = sqlite.prepare(sql).raw(true).all();
    const before = hashSpillStats.joinsSpilled;
    expect(plain.execute(sql).fetchAll()).toEqual(expected);
    expect(hashSpillStats.joinsSpilled).toBe(before);
    expect(small.execute(sql).fetchAll()).toEqual(expected);
    expect(hashSpillStats.joinsSpilled).toBe(before + 1);
    expect(() => connect(':memory:', { hashJoinBudgetBytes: 'big' } as never)).toThrow(/hashJoinBudgetBytes/);
  } finally {
    small.close();
    plain.close();
    sqlite.close();
  }
});
