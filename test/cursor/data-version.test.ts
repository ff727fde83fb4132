/**
 * PRAGMA data_version (SQLite's rule): two reads on one connection differ exactly when a
 * transaction committed by another connection, or by a writer in another process, became visible
 * in between; the connection's own commits never change it. Checked step by step against
 * better-sqlite3 with two connections each, and against a live writer process.
 */
import BetterSqlite3 from 'better-sqlite3';
import { connect } from '../../src/index';
import type { Connection } from '../../src/index';
import { CHILD_WRITER, startChild } from '../helpers/children';
import { tmpDir } from '../helpers/tmp';

const tmp = tmpDir();
afterAll(() => tmp.cleanup());

type Step = ['a' | 'b', string];

/** The first value of the first row of `sql`. */
function one(conn: Connection, sql: string): unknown {
  return (conn.execute(sql).fetchOne() as unknown[] | null)?.[0];
}

/** For each step, whether each connection's data_version moved since its previous read. */
function moves(
  run: (who: 'a' | 'b', sql: string) => void,
  version: (who: 'a' | 'b') => number,
  steps: readonly Step[],
): [boolean, boolean][] {
  let last = { a: version('a'), b: version('b') };
  return steps.map(([who, sql]) => {
    run(who, sql);
    const now = { a: version('a'), b: version('b') };
    const moved: [boolean, boolean] = [now.a !== last.a, now.b !== last.b];
    last = now;
    return moved;
  });
}

test('own commits keep it, the other connection’s move it: as in SQLite', () => {
  const steps: Step[] = [
    ['a', 'CREATE TABLE t (x INTEGER)'],
    ['a', 'INSERT INTO t VALUES (1)'],
    ['b', 'INSERT INTO t VALUES (2)'],
    ['b', 'SELECT count(*) FROM t'],
    ['a', 'UPDATE t SET x = x + 1'],
    ['a', 'SELECT * FROM t'],
    ['b', 'DELETE FROM t WHERE x = 3'],
  ];
  const sqliteFile = tmp.file('dv.sqlite');
  const sa = new BetterSqlite3(sqliteFile);
  const sb = new BetterSqlite3(sqliteFile);
  const sq = { a: sa, b: sb };
  const expected = moves(
    (who, sql) => {
      const stmt = sq[who].prepare(sql);
      if (stmt.reader) stmt.all();
      else stmt.run();
    },
    (who) => Number(sq[who].pragma('data_version', { simple: true })),
    steps,
  );
  sa.close();
  sb.close();

  const file = tmp.file();
  const ma = connect(file, { autocommit: true });
  const mb = connect(file, { autocommit: true });
  try {
    const mv: Record<'a' | 'b', Connection> = { a: ma, b: mb };
    const got = moves(
      (who, sql) => void mv[who].execute(sql),
      (who) => Number(one(mv[who], 'PRAGMA data_version')),
      steps,
    );
    expect(got).toEqual(expected);
    // Some steps move one side only: the check could not pass with a constant or a commit counter.
    expect(got.some(([a, b]) => a !== b)).toBe(true);
    // Setting it is ignored and answers the version, as in SQLite.
    const before = one(ma, 'PRAGMA data_version');
    expect(ma.execute('PRAGMA data_version = 99').fetchAll()).toEqual([[before]]);
  } finally {
    ma.close();
    mb.close();
  }
});

test('an explicit transaction of its own does not move it; a rollback neither', () => {
  const file = tmp.file();
  const conn = connect(file);
  try {
    conn.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, x INTEGER)');
    conn.commit();
    const v0 = one(conn, 'PRAGMA data_version');
    conn.execute('INSERT INTO t (x) VALUES (1)');
    conn.execute('INSERT INTO t (x) VALUES (2)');
    conn.commit();
    conn.execute('INSERT INTO t (x) VALUES (3)');
    conn.rollback();
    conn.database.insert('t', { id: 10, x: 4 });
    expect(one(conn, 'PRAGMA data_version')).toBe(v0);
  } finally {
    conn.close();
  }
});

test('a read-only connection sees a writer in another process move it', async () => {
  const file = tmp.file();
  const writer = startChild(CHILD_WRITER, ['crash', file, '5']);
  try {
    await writer.waitFor('C 1\n');
    const reader = connect(file, { readOnly: true });
    try {
      const first = Number(one(reader, 'PRAGMA data_version'));
      const seen = (one(reader, 'SELECT count(*) FROM items') as number) ?? 0;
      // Poll until a commit the reader had not seen is visible to it.
      let now = seen;
      for (let tries = 0; now <= seen && tries < 200; tries++) {
        await new Promise((r) => setTimeout(r, 25));
        now = one(reader, 'SELECT count(*) FROM items') as number;
      }
      const second = Number(one(reader, 'PRAGMA data_version'));
      expect(now).toBeGreaterThan(seen);
      expect(second).not.toBe(first);
    } finally {
      reader.close();
    }
  } finally {
    await writer.kill();
  }
});
