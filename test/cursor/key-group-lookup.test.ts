/**
 * Equality lookups and index joins through a single-column index read whole key groups from the
 * tree's memo (storage/btree.ts keyGroup) with the rows' locations remembered on the group
 * (BTreeSnapshot.getEach). Compared with better-sqlite3 in order while writes move, add and drop
 * entries and rows, inside transactions that commit or roll back; the memo's use is counted.
 */
import BetterSqlite3 from 'better-sqlite3';
import fc from 'fast-check';
import { connect } from '../../src/index';
import type { Connection } from '../../src/index';
import type { Engine } from '../../storage/engine';
import { normRow } from '../differential/normalize';

const DDL = [
  'CREATE TABLE p (id INTEGER PRIMARY KEY, k REAL)',
  'CREATE TABLE t (id INTEGER PRIMARY KEY, a REAL, b TEXT)',
  'CREATE INDEX t_a ON t (a)',
];
const A = [-2, -1, 0, 1, 2, 3, -0, 0.5, 2.5, null];
const READS = [
  'SELECT id, a, b FROM t WHERE a = ?',
  'SELECT p.id, t.id, t.b FROM p JOIN t ON t.a = p.k WHERE p.id = ?',
  'SELECT p.id, t.id, t.b FROM p LEFT JOIN t ON t.a = p.k WHERE p.id = ?',
  'SELECT p.id, count(t.id) FROM p JOIN t ON t.a = p.k GROUP BY p.id',
];

type Op =
  | { kind: 'read'; q: number; arg: number | null }
  | { kind: 'insert'; a: number | null; b: string }
  | { kind: 'move'; id: number; a: number | null }
  | { kind: 'rename'; id: number; b: string }
  | { kind: 'delete'; id: number }
  | { kind: 'commit' }
  | { kind: 'rollback' };

const aValue = fc.constantFrom(...A);
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    arbitrary: fc.record({
      kind: fc.constant('read' as const),
      q: fc.nat(READS.length - 1),
      arg: fc.oneof(aValue, fc.integer({ min: 1, max: 12 })),
    }),
    weight: 12,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('insert' as const),
      a: aValue,
      b: fc.constantFrom('x', 'y', 'z'),
    }),
    weight: 4,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('move' as const),
      id: fc.integer({ min: 1, max: 80 }),
      a: aValue,
    }),
    weight: 3,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('rename' as const),
      id: fc.integer({ min: 1, max: 80 }),
      b: fc.constantFrom('u', 'v'),
    }),
    weight: 3,
  },
  {
    arbitrary: fc.record({ kind: fc.constant('delete' as const), id: fc.integer({ min: 1, max: 80 }) }),
    weight: 2,
  },
  { arbitrary: fc.constant({ kind: 'commit' as const }), weight: 1 },
  { arbitrary: fc.constant({ kind: 'rollback' as const }), weight: 1 },
);

/** The statement and parameters an operation runs (commit and rollback: none). */
function statement(o: Op): [string, unknown[]] | null {
  switch (o.kind) {
    case 'read':
      return [
        READS[o.q],
        o.q === 3
          ? []
          : [o.q === 0 ? o.arg : typeof o.arg === 'number' ? Math.abs(Math.trunc(o.arg)) : o.arg],
      ];
    case 'insert':
      return ['INSERT INTO t (a, b) VALUES (?, ?)', [o.a, o.b]];
    case 'move':
      return ['UPDATE t SET a = ? WHERE id = ?', [o.a, o.id]];
    case 'rename':
      return ['UPDATE t SET b = ? WHERE id = ?', [o.b, o.id]];
    case 'delete':
      return ['DELETE FROM t WHERE id = ?', [o.id]];
    default:
      return null;
  }
}

function setUp(rows: number): { conn: Connection; sqlite: BetterSqlite3.Database } {
  const conn = connect(':memory:');
  const sqlite = new BetterSqlite3(':memory:');
  for (const sql of DDL) {
    conn.execute(sql);
    sqlite.exec(sql);
  }
  const p = Array.from({ length: 12 }, (_v, i) => [i + 1, A[i % A.length]]);
  const t = Array.from({ length: rows }, (_v, i) => [i + 1, A[(i * 7) % A.length], `r${i}`]);
  conn.executeMany('INSERT INTO p VALUES (?, ?)', p);
  conn.executeMany('INSERT INTO t VALUES (?, ?, ?)', t);
  conn.commit();
  const ps = sqlite.prepare('INSERT INTO p VALUES (?, ?)');
  const ts = sqlite.prepare('INSERT INTO t VALUES (?, ?, ?)');
  for (const r of p) ps.run(...r);
  for (const r of t) ts.run(...r);
  sqlite.exec('BEGIN');
  return { conn, sqlite };
}

function indexTree(conn: Connection): { prefixStats: { hits: number; fills: number } } {
  const engine: Engine = conn.database.storage;
  const ix = engine.collection('t')?.indexes.find((i) => i.def.name === 't_a');
  if (!ix) throw new Error('no index t_a');
  return ix.tree as unknown as { prefixStats: { hits: number; fills: number } };
}

describe('single-column key groups', () => {
  test('lookups and joins equal SQLite, in order, while writes, commits and rollbacks interleave', () => {
    let hits = 0;
    fc.assert(
      fc.property(fc.array(op, { minLength: 20, maxLength: 120 }), fc.constantFrom(30, 400), (ops, rows) => {
        const { conn, sqlite } = setUp(rows);
        const before = indexTree(conn).prefixStats.hits;
        try {
          const cur = conn.cursor();
          for (const o of ops) {
            if (o.kind === 'commit') {
              conn.commit();
              sqlite.exec('COMMIT; BEGIN');
              continue;
            }
            if (o.kind === 'rollback') {
              conn.rollback();
              sqlite.exec('ROLLBACK; BEGIN');
              continue;
            }
            const [sql, params] = statement(o) as [string, unknown[]];
            const st = sqlite.prepare(sql);
            if (o.kind === 'read') {
              const want = (st.raw(true).all(...params) as unknown[][]).map(normRow);
              const got = (cur.execute(sql, params).fetchAll() as unknown[][]).map(normRow);
              expect({ sql, params, rows: got }).toEqual({ sql, params, rows: want });
            } else {
              const want = st.run(...params).changes;
              cur.execute(sql, params);
              expect({ sql, params, changed: cur.rowCount }).toEqual({ sql, params, changed: want });
            }
          }
          hits += indexTree(conn).prefixStats.hits - before;
        } finally {
          conn.close();
          sqlite.close();
        }
      }),
      { seed: 20261209, numRuns: 60 },
    );
    // The memo answered some of the reads (a test of the memo, not just of the walk).
    expect(hits).toBeGreaterThan(100);
  });

  test('a repeated key is read from the memo: no walk of the index, no new group', () => {
    const conn = connect(':memory:');
    try {
      for (const sql of DDL) conn.execute(sql);
      conn.executeMany(
        'INSERT INTO p VALUES (?, ?)',
        Array.from({ length: 100 }, (_v, i) => [i + 1, i]),
      );
      conn.executeMany(
        'INSERT INTO t VALUES (?, ?, ?)',
        Array.from({ length: 2000 }, (_v, i) => [i + 1, i % 100, `r${i}`]),
      );
      conn.commit();
      const cur = conn.cursor();
      const tree = indexTree(conn);
      // p.id 4 joins the 20 rows with a = 3.
      const first = cur.execute(READS[1], [4]).fetchAll();
      expect(first).toEqual(Array.from({ length: 20 }, (_v, j) => [4, 4 + 100 * j, `r${3 + 100 * j}`]));
      const { hits, fills } = tree.prefixStats;
      expect(cur.execute(READS[1], [4]).fetchAll()).toEqual(first);
      expect(cur.execute(READS[0], [3]).fetchAll()).toHaveLength(20);
      expect(tree.prefixStats.hits).toBe(hits + 2);
      expect(tree.prefixStats.fills).toBe(fills);
      // A write under the key drops its group: the next read walks and sees the new row.
      cur.execute("INSERT INTO t (a, b) VALUES (3, 'new')");
      const after = cur.execute(READS[1], [4]).fetchAll();
      expect(after).toEqual([...first, [4, 2001, 'new']]);
      expect(tree.prefixStats.fills).toBe(fills + 1);
      // A moved row (new location, same key): the group's remembered locations are not reused.
      cur.execute("UPDATE t SET b = 'moved' WHERE id = 4");
      expect(cur.execute(READS[1], [4]).fetchAll()[0]).toEqual([4, 4, 'moved']);
      conn.rollback();
      expect(cur.execute(READS[1], [4]).fetchAll()).toEqual(first);
    } finally {
      conn.close();
    }
  });
});
