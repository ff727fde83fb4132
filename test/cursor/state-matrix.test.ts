/**
 * State matrix (after better-sqlite3's integrity test): every public Connection and Cursor method
 * in every state — fresh, mid-fetch, inside a transaction, after close — either works or throws
 * exactly the documented error.
 */
import { connect, InterfaceError, ProgrammingError } from '../../src/index';
import type { Connection, Cursor } from '../../src/index';

type State = 'fresh' | 'midFetch' | 'inTransaction' | 'cursorClosed' | 'connClosed';
const STATES: State[] = ['fresh', 'midFetch', 'inTransaction', 'cursorClosed', 'connClosed'];

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
  if (fetches.includes(call) && state !== 'midFetch') return 'NO_RESULT_SET';
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
    expect(setup('connClosed').conn.inTransaction).toBe(false);
  });
});
