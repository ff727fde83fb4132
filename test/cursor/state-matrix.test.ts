/**
 * State matrix (after better-sqlite3's integrity test): every public Connection and Cursor method
 * in every state — fresh, mid-fetch, inside a transaction, mid-fetch of a result opened inside a
 * transaction that was then committed or rolled back, after close — either works or throws
 * exactly the documented error. A result set opened inside a transaction keeps its snapshot
 * whatever happens to the transaction afterwards (issue 11, item 1).
 */
import { connect, InterfaceError, ProgrammingError } from '../../src/index';
import type { Connection, Cursor } from '../../src/index';

type State =
  | 'fresh'
  | 'midFetch'
  | 'inTransaction'
  | 'midFetchInTransaction'
  | 'midFetchAfterCommit'
  | 'midFetchAfterRollback'
  | 'cursorClosed'
  | 'connClosed';
const STATES: State[] = [
  'fresh',
  'midFetch',
  'inTransaction',
  'midFetchInTransaction',
  'midFetchAfterCommit',
  'midFetchAfterRollback',
  'cursorClosed',
  'connClosed',
];
/** States whose cursor holds a result set opened inside a transaction. */
const TXN_RESULT_STATES: State[] = ['midFetchInTransaction', 'midFetchAfterCommit', 'midFetchAfterRollback'];

function setup(state: State): { conn: Connection; cur: Cursor } {
  const conn = connect(':memory:');
  conn.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
  conn.execute("INSERT INTO t (v) VALUES ('a'), ('b'), ('c')");
  conn.commit();
  const cur = conn.cursor();
  if (state === 'midFetch') {
    cur.execute('SELECT * FROM t ORDER BY id');
    cur.fetchOne();
  }
  if (state === 'inTransaction') cur.execute("INSERT INTO t (v) VALUES ('d')");
  if (TXN_RESULT_STATES.includes(state)) {
    conn.execute("INSERT INTO t (v) VALUES ('d'), ('e')");
    cur.execute('SELECT * FROM t ORDER BY id');
    cur.fetchOne();
    if (state === 'midFetchAfterCommit') conn.commit();
    if (state === 'midFetchAfterRollback') conn.rollback();
    // Writes after the snapshot reuse the offsets of rolled-back rows: the cursor must not see them.
    if (state !== 'midFetchInTransaction') conn.execute("INSERT INTO t (v) VALUES ('x'), ('y'), ('z')");
  }
  if (state === 'cursorClosed') cur.close();
  if (state === 'connClosed') conn.close();
  return { conn, cur };
}

type Outcome = 'ok' | 'CLOSED' | 'NO_RESULT_SET';

const cursorCalls: Record<string, (cur: Cursor) => unknown> = {
  execute: (c) => c.execute('SELECT id FROM t'),
  executeMany: (c) => c.executeMany('INSERT INTO t (v) VALUES (?)', [['x'], ['y']]),
  fetchOne: (c) => c.fetchOne(),
  fetchMany: (c) => c.fetchMany(2),
  fetchAll: (c) => c.fetchAll(),
  iterate: (c) => [...c],
  description: (c) => c.description,
  rowCount: (c) => c.rowCount,
  lastRowId: (c) => c.lastRowId,
  close: (c) => c.close(),
};

/** Expected outcome of a cursor call in a state. */
function expectedCursor(call: string, state: State): Outcome {
  if (call === 'close') return 'ok'; // close is always allowed and idempotent
  if (state === 'cursorClosed' || state === 'connClosed') return 'CLOSED';
  const fetches = ['fetchOne', 'fetchMany', 'fetchAll', 'iterate'];
  if (fetches.includes(call) && state !== 'midFetch' && !TXN_RESULT_STATES.includes(state))
    return 'NO_RESULT_SET';
  return 'ok';
}

const connCalls: Record<string, (conn: Connection) => unknown> = {
  cursor: (c) => c.cursor(),
  execute: (c) => c.execute('SELECT COUNT(*) FROM t'),
  commit: (c) => c.commit(),
  rollback: (c) => c.rollback(),
  inTransaction: (c) => c.inTransaction,
  close: (c) => c.close(),
};

function expectedConn(call: string, state: State): Outcome {
  if (call === 'close' || call === 'inTransaction') return 'ok';
  return state === 'connClosed' ? 'CLOSED' : 'ok';
}

function outcome(fn: () => unknown): Outcome | string {
  try {
    fn();
    return 'ok';
  } catch (err) {
    if (err instanceof InterfaceError && err.code === 'CLOSED') return 'CLOSED';
    if (err instanceof ProgrammingError && err.code === 'NO_RESULT_SET') return 'NO_RESULT_SET';
    return `unexpected ${String(err)}`;
  }
}

describe('Cursor methods in every state', () => {
  for (const state of STATES) {
    for (const [name, call] of Object.entries(cursorCalls)) {
      test(`${state}: cursor.${name}`, () => {
        const { conn, cur } = setup(state);
        expect(outcome(() => call(cur))).toBe(expectedCursor(name, state));
        conn.close();
      });
    }
  }
});

describe('Connection methods in every state', () => {
  for (const state of STATES) {
    for (const [name, call] of Object.entries(connCalls)) {
      test(`${state}: connection.${name}`, () => {
        const { conn } = setup(state);
        expect(outcome(() => call(conn))).toBe(expectedConn(name, state));
        conn.close();
      });
    }
  }

  test('inTransaction reflects each state', () => {
    expect(setup('fresh').conn.inTransaction).toBe(false);
    expect(setup('inTransaction').conn.inTransaction).toBe(true);
    expect(setup('midFetchInTransaction').conn.inTransaction).toBe(true);
    // The inserts after commit/rollback opened a new transaction.
    expect(setup('midFetchAfterCommit').conn.inTransaction).toBe(true);
    expect(setup('midFetchAfterRollback').conn.inTransaction).toBe(true);
    expect(setup('connClosed').conn.inTransaction).toBe(false);
  });
});

describe('A result set opened inside a transaction returns exactly its snapshot', () => {
  const rest = [
    [2, 'b'],
    [3, 'c'],
    [4, 'd'],
    [5, 'e'],
  ];
  for (const state of TXN_RESULT_STATES) {
    test(`${state}: fetchAll`, () => {
      const { conn, cur } = setup(state);
      expect(cur.fetchAll()).toEqual(rest);
      expect(cur.rowCount).toBe(5);
      conn.close();
    });

    test(`${state}: fetchMany then iteration`, () => {
      const { conn, cur } = setup(state);
      expect(cur.fetchMany(2)).toEqual(rest.slice(0, 2));
      expect([...cur]).toEqual(rest.slice(2));
      expect(cur.fetchOne()).toBeNull();
      conn.close();
    });
  }

  test('midFetchAfterRollback: the connection sees the rollback, the cursor its snapshot', () => {
    const { conn, cur } = setup('midFetchAfterRollback');
    expect(conn.execute('SELECT v FROM t ORDER BY id').fetchAll()).toEqual([
      ['a'],
      ['b'],
      ['c'],
      ['x'],
      ['y'],
      ['z'],
    ]);
    expect(cur.fetchAll()).toEqual(rest);
    conn.close();
  });
});
