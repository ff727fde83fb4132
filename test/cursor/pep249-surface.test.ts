/**
 * Regression (issue 11, item 12): the PEP 249 surface a porting user expects — module
 * constructors, Cursor.setInputSizes/setOutputSize (no-ops), Cursor.connection,
 * Connection.executeMany, the error classes as Connection attributes, and callproc/nextSet as
 * NotSupportedError — each checked in every cursor state like the state matrix.
 */
import * as mv from '../../src/index';
import {
  Binary,
  connect,
  DataError,
  Date as DbDate,
  DateFromTicks,
  IntegrityError,
  InterfaceError,
  NotSupportedError,
  Time,
  TimeFromTicks,
  Timestamp,
  TimestampFromTicks,
} from '../../src/index';
import type { Connection, Cursor } from '../../src/index';

describe('module constructors', () => {
  test('Date, Time, Timestamp build UTC values (months from 1, as in Python)', () => {
    expect(DbDate(2024, 2, 29).toISOString()).toBe('2024-02-29T00:00:00.000Z');
    expect(DbDate(1, 1, 1).toISOString()).toBe('0001-01-01T00:00:00.000Z');
    expect(Time(7, 5, 9)).toBe('07:05:09');
    expect(Timestamp(2024, 12, 31, 23, 59, 59.5).toISOString()).toBe('2024-12-31T23:59:59.500Z');
    expect(Timestamp(2024, 1, 2).toISOString()).toBe('2024-01-02T00:00:00.000Z');
  });

  test('the FromTicks variants read seconds since the epoch (UTC)', () => {
    expect(DateFromTicks(86_400 * 3 + 5000).toISOString()).toBe('1970-01-04T00:00:00.000Z');
    expect(TimeFromTicks(3600 * 25 + 61)).toBe('01:01:01');
    expect(TimestampFromTicks(1.25).toISOString()).toBe('1970-01-01T00:00:01.250Z');
  });

  test('Binary copies bytes and encodes text as UTF-8', () => {
    const src = Buffer.from([1, 2]);
    const b = Binary(src);
    expect(b).toEqual(Buffer.from([1, 2]));
    expect(b).not.toBe(src);
    expect(Binary('é')).toEqual(Buffer.from([0xc3, 0xa9]));
    expect(Binary([255, 0])).toEqual(Buffer.from([255, 0]));
    expect(Binary(new Uint8Array([9]).buffer)).toEqual(Buffer.from([9]));
  });

  test.each<[string, () => unknown]>([
    ['Date(2023, 2, 30)', () => DbDate(2023, 2, 30)],
    ['Date(2024, 13, 1)', () => DbDate(2024, 13, 1)],
    ['Date(2024.5, 1, 1)', () => DbDate(2024.5, 1, 1)],
    ['Time(24, 0, 0)', () => Time(24, 0, 0)],
    ['Timestamp(2024, 1, 1, 0, 0, 60)', () => Timestamp(2024, 1, 1, 0, 0, 60)],
    ['TimestampFromTicks(1e300)', () => TimestampFromTicks(1e300)],
    ['DateFromTicks(NaN)', () => DateFromTicks(NaN)],
    ['Binary([256])', () => Binary([256])],
    ['Binary(5)', () => Binary(5 as never)],
  ])('%s is a DataError', (_name, fn) => {
    expect(fn).toThrow(DataError);
  });

  test('the values bind: a Date into a TIMESTAMP column, Time as text, Binary as a BLOB', () => {
    const conn = connect(':memory:', { autocommit: true });
    conn.execute('CREATE TABLE e (id INTEGER PRIMARY KEY, at TIMESTAMP, t TEXT, b BLOB)');
    conn.execute('INSERT INTO e (at, t, b) VALUES (?, ?, ?)', [
      Timestamp(2024, 5, 6, 7, 8, 9),
      Time(1, 2, 3),
      Binary('x'),
    ]);
    expect(conn.execute('SELECT at, t, b FROM e').fetchOne()).toEqual([
      new globalThis.Date('2024-05-06T07:08:09Z'),
      '01:02:03',
      Buffer.from('x'),
    ]);
    conn.close();
  });

  test('the module exports them under their PEP 249 names', () => {
    for (const name of [
      'Date',
      'Time',
      'Timestamp',
      'DateFromTicks',
      'TimeFromTicks',
      'TimestampFromTicks',
      'Binary',
    ])
      expect(typeof (mv as Record<string, unknown>)[name]).toBe('function');
  });
});

describe('Connection extensions', () => {
  test('executeMany runs a DML statement per parameter set and returns its cursor', () => {
    const conn = connect(':memory:');
    conn.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
    const cur = conn.executeMany('INSERT INTO t (v) VALUES (?)', [['a'], ['b'], ['c']]);
    expect(cur.rowCount).toBe(3);
    expect(cur.connection).toBe(conn);
    expect(conn.execute('SELECT COUNT(*) FROM t').fetchOne()).toEqual([3]);
    conn.close();
  });

  test('the error classes are attributes of the connection (PEP 249 optional extension)', () => {
    const conn = connect(':memory:');
    expect(conn.Error).toBe(mv.ModelVaultError);
    // The module's own attribute by PEP 249's name, base of every class below but Warning.
    expect(mv.Error).toBe(mv.ModelVaultError);
    for (const cls of [
      mv.InterfaceError,
      mv.DatabaseError,
      mv.DataError,
      mv.IntegrityError,
      mv.NotSupportedError,
    ])
      expect(cls.prototype).toBeInstanceOf(mv.Error);
    expect(conn.Warning).toBe(mv.Warning);
    expect(conn.InterfaceError).toBe(mv.InterfaceError);
    expect(conn.DatabaseError).toBe(mv.DatabaseError);
    expect(conn.DataError).toBe(mv.DataError);
    expect(conn.OperationalError).toBe(mv.OperationalError);
    expect(conn.IntegrityError).toBe(mv.IntegrityError);
    expect(conn.InternalError).toBe(mv.InternalError);
    expect(conn.ProgrammingError).toBe(mv.ProgrammingError);
    expect(conn.NotSupportedError).toBe(mv.NotSupportedError);
    conn.execute('CREATE TABLE u (id INTEGER PRIMARY KEY)');
    conn.execute('INSERT INTO u VALUES (1)');
    expect(() => conn.execute('INSERT INTO u VALUES (1)')).toThrow(conn.IntegrityError);
    expect(conn.IntegrityError).toBe(IntegrityError);
    conn.close();
    // Still readable after close: catching an error must not need an open connection.
    expect(conn.Error).toBe(mv.ModelVaultError);
  });
});

type State = 'fresh' | 'midFetch' | 'inTransaction' | 'cursorClosed' | 'connClosed';
const STATES: State[] = ['fresh', 'midFetch', 'inTransaction', 'cursorClosed', 'connClosed'];

function setup(state: State): { conn: Connection; cur: Cursor } {
  const conn = connect(':memory:');
  conn.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
  conn.execute("INSERT INTO t (v) VALUES ('a'), ('b')");
  conn.commit();
  const cur = conn.cursor();
  if (state === 'midFetch') {
    cur.execute('SELECT * FROM t ORDER BY id');
    cur.fetchOne();
  }
  if (state === 'inTransaction') cur.execute("INSERT INTO t (v) VALUES ('c')");
  if (state === 'cursorClosed') cur.close();
  if (state === 'connClosed') conn.close();
  return { conn, cur };
}

function outcome(fn: () => unknown): string {
  try {
    fn();
    return 'ok';
  } catch (err) {
    if (err instanceof InterfaceError && err.code === 'CLOSED') return 'CLOSED';
    if (err instanceof NotSupportedError && err.code === 'NOT_SUPPORTED') return 'NOT_SUPPORTED';
    return `unexpected ${String(err)}`;
  }
}

const cursorCalls: Record<string, [(cur: Cursor) => unknown, string]> = {
  setInputSizes: [(c) => c.setInputSizes([10, null]), 'ok'],
  setOutputSize: [(c) => c.setOutputSize(1000, 0), 'ok'],
  connection: [(c) => c.connection, 'ok'],
  callproc: [(c) => c.callproc('p', []), 'NOT_SUPPORTED'],
  nextSet: [(c) => c.nextSet(), 'NOT_SUPPORTED'],
};

describe('new Cursor members in every state', () => {
  for (const state of STATES) {
    for (const [name, [call, open]] of Object.entries(cursorCalls)) {
      test(`${state}: cursor.${name}`, () => {
        const { conn, cur } = setup(state);
        const closed = state === 'cursorClosed' || state === 'connClosed';
        expect(outcome(() => call(cur))).toBe(closed ? 'CLOSED' : open);
        conn.close();
      });
    }
  }

  test('setInputSizes/setOutputSize leave a running result set alone', () => {
    const { conn, cur } = setup('midFetch');
    cur.setInputSizes([]);
    cur.setOutputSize(10);
    expect(cur.fetchAll()).toEqual([[2, 'b']]);
    conn.close();
  });

  for (const state of STATES) {
    test(`${state}: connection.executeMany`, () => {
      const { conn } = setup(state);
      expect(outcome(() => conn.executeMany('INSERT INTO t (v) VALUES (?)', [['x']]))).toBe(
        state === 'connClosed' ? 'CLOSED' : 'ok',
      );
      conn.close();
    });
  }
});
