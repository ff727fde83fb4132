/**
 * Per-statement time limit on the sync cursor (issue 14 §5): `execute(sql, params, { timeoutMs })`
 * stops a long scan or aggregation with OperationalError INTERRUPTED; an interrupted UPDATE is
 * rolled back to where it began, the connection stays usable, and statements without a limit are
 * not affected.
 */
import { connect, OperationalError } from '../../src/index';
import type { Connection } from '../../src/index';

const N = 60_000;
let conn: Connection;

beforeAll(() => {
  conn = connect(':memory:');
  const cur = conn.cursor();
  cur.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER, s TEXT)');
  cur.executeMany(
    'INSERT INTO t VALUES (?, ?, ?)',
    Array.from({ length: N }, (_, i) => [i, (i * 7919) % 10007, `s${i}`]),
  );
  conn.commit();
});

afterAll(() => conn.close());

function failure(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return null;
}

/** A deadline of (effectively) now: passed within the first millisecond of the statement's work. */
const EXPIRED = { timeoutMs: Number.MIN_VALUE };

test('a long aggregation past its timeoutMs stops with INTERRUPTED; the cursor and connection go on', () => {
  const sql = 'SELECT v, count(*) FROM t GROUP BY v ORDER BY 2 DESC, 1 LIMIT 1';
  const cur = conn.cursor();
  const start = Date.now();
  // Wait for the clock to move so the deadline (now + tiny) is passed at the first poll.
  while (Date.now() === start);
  const err = failure(() => cur.execute(sql, [], { timeoutMs: 1 }).fetchAll());
  expect(err).toBeInstanceOf(OperationalError);
  expect((err as OperationalError).code).toBe('INTERRUPTED');
  expect(cur.execute(sql).fetchAll()).toHaveLength(1);
  expect(cur.execute('SELECT count(*) FROM t', [], { timeoutMs: 60_000 }).fetchOne()).toEqual([N]);
  expect(failure(() => cur.execute('SELECT 1', [], { timeoutMs: -5 }))).toMatchObject({ code: 'BAD_OPTION' });
});

test('a whole-table aggregate folded from column vectors stops at its deadline too', () => {
  const sql = 'SELECT sum(v), max(id) FROM t WHERE v > 5';
  const cur = conn.cursor();
  const want = cur.execute(sql).fetchAll();
  // The first run filled the scan memo: this one folds leaves, polling once per 1,024 rows folded.
  expect(cur.execute(sql).fetchAll()).toEqual(want);
  const start = Date.now();
  while (Date.now() === start);
  const err = failure(() => cur.execute(sql, [], { timeoutMs: 1 }).fetchAll());
  expect(err).toBeInstanceOf(OperationalError);
  expect((err as OperationalError).code).toBe('INTERRUPTED');
  expect(cur.execute(sql).fetchAll()).toEqual(want);
});

test('an UPDATE past its timeoutMs is rolled back to its savepoint; earlier writes stay', () => {
  const cur = conn.cursor();
  cur.execute("INSERT INTO t VALUES (?, 0, 'kept')", [N]);
  const err = failure(() => cur.execute("UPDATE t SET s = s || 'x'", [], EXPIRED));
  expect((err as OperationalError).code).toBe('INTERRUPTED');
  expect(conn.inTransaction).toBe(true);
  conn.commit();
  expect(cur.execute("SELECT count(*) FROM t WHERE s LIKE '%x'").fetchOne()).toEqual([0]);
  expect(cur.execute('SELECT s FROM t WHERE id = ?', [N]).fetchOne()).toEqual(['kept']);
});

test('a scan that rejects every row inside one fetch still stops at its deadline', () => {
  const cur = conn.cursor();
  // Pushed into the primary-key walk: one next() tests all N rows and returns none.
  const err = failure(() => cur.execute("SELECT * FROM t WHERE v < 0 OR s = 'none'", [], EXPIRED).fetchAll());
  expect(err).toMatchObject({ code: 'INTERRUPTED' });
  expect(cur.execute("SELECT count(*) FROM t WHERE v < 0 OR s = 'none'").fetchOne()).toEqual([0]);
});

test('a nested-loop join testing pairs that never match stops at its deadline', () => {
  const cur = conn.cursor();
  // An expression join condition: every pair is tested inside one next(), none is returned.
  const sql = 'SELECT a.id FROM t a JOIN t b ON a.v + b.v = -1 WHERE a.id < 400 AND b.id < 400';
  expect(failure(() => cur.execute(sql, [], EXPIRED).fetchAll())).toMatchObject({ code: 'INTERRUPTED' });
  expect(cur.execute(sql).fetchAll()).toEqual([]);
});
