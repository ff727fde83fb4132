/**
 * Regression (issue 11, item 2): connections to the same file share one engine, but a
 * connection that does not hold the write transaction sees the committed catalog only — never
 * another connection's uncommitted CREATE, DROP or ALTER — and sees the change once it commits.
 */
import { connect, Database, ProgrammingError, QueryError } from '../../src/index';
import type { Connection } from '../../src/index';
import { tmpDir } from '../helpers/tmp';

const tmp = tmpDir();
afterAll(() => tmp.cleanup());

function pair(): { a: Connection; b: Connection; close: () => void } {
  const file = tmp.file();
  const a = connect(file);
  a.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT)');
  a.execute("INSERT INTO t VALUES (1, 'x')");
  a.commit();
  const b = connect(file);
  return {
    a,
    b,
    close: () => {
      a.close();
      b.close();
    },
  };
}

/** What SQL naming an unknown table throws (docs/sql.md error table). */
function noSuchTable(fn: () => unknown): void {
  expect(fn).toThrow(ProgrammingError);
  expect(fn).toThrow(expect.objectContaining({ code: 'NO_SUCH_COLLECTION' }) as unknown as Error);
}

function columns(con: Connection, sql: string): string[] {
  const cur = con.execute(sql);
  return (cur.description ?? []).map((d) => String(d[0]));
}

describe('uncommitted DDL of one connection is invisible to another', () => {
  test('ALTER TABLE ADD COLUMN: SELECT * shows the committed columns until commit', () => {
    const { a, b, close } = pair();
    a.execute('ALTER TABLE t ADD COLUMN b INTEGER');
    expect(columns(a, 'SELECT * FROM t')).toEqual(['id', 'a', 'b']);
    expect(columns(b, 'SELECT * FROM t')).toEqual(['id', 'a']);
    expect(b.execute('SELECT * FROM t').fetchAll()).toEqual([[1, 'x']]);
    expect(() => b.execute('SELECT b FROM t')).toThrow(QueryError);
    a.commit();
    // The same SQL text again: the lowered statement cached before the commit must not be reused.
    expect(columns(b, 'SELECT * FROM t')).toEqual(['id', 'a', 'b']);
    expect(b.execute('SELECT * FROM t').fetchAll()).toEqual([[1, 'x', null]]);
    expect(b.execute('SELECT b FROM t').fetchAll()).toEqual([[null]]);
    close();
  });

  test('ALTER TABLE ADD COLUMN rolled back: the other connection never saw it', () => {
    const { a, b, close } = pair();
    a.execute('ALTER TABLE t ADD COLUMN b INTEGER');
    expect(columns(b, 'SELECT * FROM t')).toEqual(['id', 'a']);
    a.rollback();
    expect(columns(b, 'SELECT * FROM t')).toEqual(['id', 'a']);
    expect(columns(a, 'SELECT * FROM t')).toEqual(['id', 'a']);
    close();
  });

  test('DROP TABLE: the other connection still reads the table until commit', () => {
    const { a, b, close } = pair();
    a.execute('DROP TABLE t');
    noSuchTable(() => a.execute('SELECT * FROM t'));
    expect(b.execute('SELECT * FROM t').fetchAll()).toEqual([[1, 'x']]);
    expect(b.execute('SELECT COUNT(*) FROM T').fetchAll()).toEqual([[1]]);
    a.commit();
    noSuchTable(() => b.execute('SELECT * FROM t'));
    close();
  });

  test('CREATE TABLE: unknown to the other connection until commit', () => {
    const { a, b, close } = pair();
    a.execute('CREATE TABLE u (id INTEGER PRIMARY KEY, v TEXT)');
    a.execute("INSERT INTO u VALUES (1, 'new')");
    noSuchTable(() => b.execute('SELECT * FROM u'));
    noSuchTable(() => b.execute('SELECT * FROM U'));
    a.commit();
    expect(b.execute('SELECT * FROM u').fetchAll()).toEqual([[1, 'new']]);
    close();
  });

  test('CREATE INDEX: the other connection plans against the committed indexes', () => {
    const { a, b, close } = pair();
    a.execute('CREATE INDEX t_a ON t (a)');
    const plan = (con: Connection): string =>
      con
        .execute("EXPLAIN SELECT id FROM t WHERE a = 'x'")
        .fetchAll()
        .map((r) => String((r as unknown[])[0]))
        .join('\n');
    expect(plan(a)).toContain('IndexLookup');
    expect(plan(b)).not.toContain('IndexLookup');
    expect(b.execute("SELECT id FROM t WHERE a = 'x'").fetchAll()).toEqual([[1]]);
    a.commit();
    expect(plan(b)).toContain('IndexLookup');
    close();
  });

  test('the typed API of another handle reads the committed catalog too', () => {
    const file = tmp.file();
    const a = connect(file);
    a.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT)');
    a.execute("INSERT INTO t VALUES (1, 'x')");
    a.commit();
    const other = Database.open(file);
    a.execute('DROP TABLE t');
    expect(other.get('t', 1)).toEqual({ id: 1, a: 'x' });
    expect(other.collection('t').all()).toEqual([{ id: 1, a: 'x' }]);
    expect(other.collectionNames()).toEqual(['t']);
    a.rollback();
    a.execute('CREATE TABLE u (id INTEGER PRIMARY KEY)');
    expect(other.collectionNames()).toEqual(['t']);
    a.commit();
    expect(other.collectionNames()).toEqual(['t', 'u']);
    other.close();
    a.close();
  });
});
