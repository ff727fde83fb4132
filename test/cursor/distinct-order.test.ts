/**
 * SELECT DISTINCT with ORDER BY (planner/physical-planner.ts distinctThenSort): SQLite makes rows
 * distinct as it reads them and sorts what is left, so a distinct row keeps its first input row's
 * values of ORDER BY terms it does not select, and a NOCASE or RTRIM group shows its first value
 * whatever the sort says. Compared with better-sqlite3 row for row: random tables, select lists
 * and ORDER BY terms without indexes and with an index on leading ORDER BY terms (read in its
 * order, as SQLite reads it: that decides which row of a group comes first), indexes that order
 * the whole ORDER BY, and a DISTINCT past its memory budget that carries the sort terms through
 * its spill.
 */
import BetterSqlite3 from 'better-sqlite3';
import { seeded } from '../helpers/seeded';
import { connect } from '../../src/index';
import type { Connection } from '../../src/index';
import { distinctSpillStats } from '../../planner/distinct-exec';
import { normRow } from '../differential/normalize';

const DDL = 'CREATE TABLE t (a INT, b INT, c TEXT COLLATE NOCASE, d REAL)';

function pair(options: { sortBudgetBytes?: number } = {}): {
  lite: BetterSqlite3.Database;
  mv: Connection;
  both: (sql: string) => void;
  agree: (sql: string) => unknown[][];
  close: () => void;
} {
  const lite = new BetterSqlite3(':memory:');
  const mv = connect(':memory:', { autocommit: true, ...options });
  const both = (sql: string): void => {
    lite.exec(sql);
    mv.execute(sql);
  };
  const agree = (sql: string): unknown[][] => {
    const ours = (mv.cursor().execute(sql).fetchAll() as unknown[][]).map(normRow);
    const theirs = (lite.prepare(sql).raw(true).all() as unknown[][]).map(normRow);
    expect({ sql, rows: ours }).toEqual({ sql, rows: theirs });
    return ours;
  };
  return { lite, mv, both, agree, close: () => (lite.close(), mv.close()) };
}

function fill(both: (sql: string) => void, next: (m: number) => number, n: number): void {
  const C = ["'x'", "'X'", "'y'", "'Y'", "'z'", "'z '", 'NULL'];
  const num = (): string => (next(7) === 0 ? 'NULL' : String(next(5)));
  for (let i = 0; i < n; i++)
    both(
      `INSERT INTO t VALUES (${num()}, ${num()}, ${C[next(C.length)]}, ${next(9) === 0 ? 'NULL' : next(30) / 10})`,
    );
}

test('the first row read decides: ORDER BY a term not selected', () => {
  const { both, agree, close } = pair();
  try {
    both(DDL);
    both(
      "INSERT INTO t VALUES (1, 3, 'x', 0), (2, 1, 'y', 0), (1, 2, 'z', 0), (3, 0, 'x', 0), (NULL, 5, 'Y', 0)",
    );
    // Sorting first would keep (1, 2) for a = 1 and put 1 before 2: SQLite keeps (1, 3). And 'Y'
    // joins the NOCASE group of 'y', read before it.
    expect(agree('SELECT DISTINCT a FROM t ORDER BY b')).toEqual([[3], [2], [1], [null]]);
    expect(agree('SELECT DISTINCT c FROM t ORDER BY a DESC')).toEqual([['y'], ['x'], ['z']]);
    agree('SELECT DISTINCT a FROM t ORDER BY b LIMIT 2 OFFSET 1');
    agree('SELECT DISTINCT a + 1 AS x FROM t ORDER BY -b');
    agree('SELECT DISTINCT a FROM t WHERE b > 0 ORDER BY c, b');
    agree('SELECT DISTINCT a FROM t GROUP BY a, b ORDER BY sum(b)');
    agree('SELECT DISTINCT t1.a FROM t t1 JOIN t t2 ON t1.a = t2.b ORDER BY t2.c, t2.b');
    agree('SELECT * FROM (SELECT DISTINCT a FROM t ORDER BY b) LIMIT 2');
    agree('SELECT a FROM t WHERE a IN (SELECT DISTINCT a FROM t ORDER BY b) ORDER BY 1');
  } finally {
    close();
  }
});

test('a NOCASE group shows its first value, not the first in sort order', () => {
  const { both, agree, close } = pair();
  try {
    both(DDL);
    both("INSERT INTO t VALUES (1, 1, 'x', 0), (2, 2, 'X', 0), (3, 3, 'Y', 0), (4, 4, 'y', 0)");
    expect(agree('SELECT DISTINCT c FROM t ORDER BY c, c COLLATE BINARY')).toEqual([['x'], ['Y']]);
    agree('SELECT DISTINCT c FROM t ORDER BY c COLLATE BINARY DESC');
    agree('SELECT DISTINCT c, a > 2 FROM t ORDER BY 2, c');
  } finally {
    close();
  }
});

test('an index that orders the whole ORDER BY is read in its order, as SQLite reads it', () => {
  const { both, agree, mv, close } = pair();
  try {
    both(DDL);
    fill(both, seeded(11), 60);
    both('CREATE INDEX ta ON t(a)');
    agree('SELECT DISTINCT c FROM t ORDER BY a DESC');
    agree('SELECT DISTINCT d FROM t ORDER BY a');
    const plan = mv.cursor().execute('EXPLAIN SELECT DISTINCT c FROM t ORDER BY a DESC').fetchAll().flat();
    expect(plan.join('\n')).not.toMatch(/Sort/);
    // Without such an index the rows are made distinct first and then sorted.
    const unordered = mv.cursor().execute('EXPLAIN SELECT DISTINCT c FROM t ORDER BY b').fetchAll().flat();
    expect(unordered.map((line) => String(line).trim().split(' ')[0])).toEqual([
      'Project',
      'Sort',
      'Distinct',
      'Project',
      'CollectionScan',
    ]);
  } finally {
    close();
  }
});

test('an index giving the leading ORDER BY terms is read in its order, as SQLite reads it', () => {
  // Which row of a duplicate group comes first, and so where the group sorts, follows the index
  // walk; the terms it does not give are sorted run by run (Sort … presorted).
  const { both, agree, mv, close } = pair();
  try {
    both(DDL);
    fill(both, seeded(23), 80);
    both('CREATE INDEX ta ON t(a)');
    both('CREATE INDEX tba ON t(b, a)');
    for (const sql of [
      'SELECT DISTINCT d FROM t ORDER BY a, b',
      'SELECT DISTINCT c FROM t ORDER BY a DESC, d',
      'SELECT DISTINCT a + b FROM t WHERE a > 0 ORDER BY a, d',
      'SELECT DISTINCT d FROM t WHERE b = 2 ORDER BY a, d DESC',
    ]) {
      expect(mv.cursor().execute(`EXPLAIN ${sql}`).fetchAll().flat().join('\n')).toMatch(/presorted=/);
      agree(sql);
    }
  } finally {
    close();
  }
});

test('property: random tables with indexes on the ORDER BY terms agree with SQLite', () => {
  const next = seeded(20261407);
  const cols = ['a', 'b', 'c', 'd', 'a + b', 'c COLLATE BINARY'];
  const indexes = ['a', 'b', 'd', 'a, b', 'b, a', 'b DESC', 'a, d'];
  const pick = (): string => cols[next(cols.length)];
  const term = (): string => ['a', 'b', 'd'][next(3)] + ['', ' DESC'][next(2)];
  let queries = 0;
  for (let run = 0; run < 50; run++) {
    const { both, agree, close } = pair();
    try {
      both(DDL);
      fill(both, next, 1 + next(40));
      both(`CREATE INDEX i1 ON t(${indexes[next(indexes.length)]})`);
      for (let q = 0; q < 10; q++) {
        const select = next(3) === 0 ? [pick(), pick()] : [pick()];
        const order = next(2) === 0 ? [term(), pick()] : [term(), term(), pick()];
        const where = next(3) === 0 ? ` WHERE ${next(2) ? 'a' : 'b'} > ${next(4)}` : '';
        agree(`SELECT DISTINCT ${select.join(', ')} FROM t${where} ORDER BY ${order.join(', ')}`);
        queries++;
      }
    } finally {
      close();
    }
  }
  expect(queries).toBe(500);
});

test('past its memory budget, DISTINCT carries the sort terms through its spill', () => {
  const { both, agree, close } = pair({ sortBudgetBytes: 2048 });
  try {
    both(DDL);
    const next = seeded(5);
    const values: string[] = [];
    for (let i = 0; i < 3000; i++)
      values.push(`(${next(400)}, ${next(1000)}, 'k${next(50)}', ${next(100) / 4})`);
    both(`INSERT INTO t VALUES ${values.join(', ')}`);
    const before = distinctSpillStats.spills;
    agree('SELECT DISTINCT a FROM t ORDER BY b DESC');
    agree('SELECT DISTINCT a, c FROM t ORDER BY d, b');
    expect(distinctSpillStats.spills - before).toBe(2);
  } finally {
    close();
  }
});

test('property: random tables, select lists and ORDER BY terms agree with SQLite', () => {
  const next = seeded(20261206);
  const cols = ['a', 'b', 'c', 'd', 'a + b', 'c COLLATE BINARY', 'c COLLATE RTRIM', 'abs(b - 2)'];
  const pick = (): string => cols[next(cols.length)];
  const dir = ['', ' ASC', ' DESC', ' NULLS LAST'];
  let queries = 0;
  for (let run = 0; run < 60; run++) {
    const { both, agree, close } = pair();
    try {
      both(DDL);
      fill(both, next, 1 + next(40));
      for (let q = 0; q < 10; q++) {
        const select = next(3) === 0 ? [pick(), pick()] : [pick()];
        const order =
          next(2) === 0 ? [pick() + dir[next(dir.length)], pick()] : [pick() + dir[next(dir.length)]];
        const where = next(3) === 0 ? ` WHERE ${next(2) ? 'a' : 'b'} > ${next(4)}` : '';
        const limit = next(3) === 0 ? ` LIMIT ${next(4)} OFFSET ${next(3)}` : '';
        agree(`SELECT DISTINCT ${select.join(', ')} FROM t${where} ORDER BY ${order.join(', ')}${limit}`);
        queries++;
      }
    } finally {
      close();
    }
  }
  expect(queries).toBe(600);
});
