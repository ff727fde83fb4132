/**
 * `EXPLAIN UPDATE …` / `EXPLAIN DELETE …`: the write on top of the query that finds its rows,
 * planned as the write itself plans it (an index when one applies), and nothing is written.
 */
import { connect } from '../../src/index';
import type { Connection } from '../../src/index';

let conn: Connection;
beforeEach(() => {
  conn = connect(':memory:', { autocommit: true });
  conn.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, b TEXT)');
  conn.execute('CREATE INDEX t_a ON t (a)');
  conn.execute("INSERT INTO t VALUES (1, 5, 'x'), (2, 6, 'y'), (3, 7, 'z')");
});
afterEach(() => conn.close());

const plan = (sql: string, params: unknown[] = []): string[] =>
  conn
    .cursor()
    .execute(sql, params)
    .fetchAll()
    .map((r) => String((r as unknown[])[0]));

describe('EXPLAIN of writes', () => {
  test('UPDATE by primary key, DELETE through an index, DELETE of everything', () => {
    expect(plan('EXPLAIN UPDATE t SET a = 1, b = ? WHERE id = 2', ['q'])).toEqual([
      'Update t SET a, b',
      '  Project pk',
      '    PrimaryKeyLookup t keys=[2]',
    ]);
    expect(plan('EXPLAIN QUERY PLAN DELETE FROM t WHERE a > 5')).toEqual([
      'Delete t',
      '  Project pk',
      '    IndexRangeScan t using covering t_a range=[> 5]',
    ]);
    expect(plan('EXPLAIN DELETE FROM t')).toEqual(['Delete t', '  Project pk', '    CollectionScan t']);
  });

  test('a subquery in the WHERE is shown; nothing is written', () => {
    const lines = plan('EXPLAIN UPDATE t SET b = ? WHERE a IN (SELECT a FROM t WHERE b = ?)', ['w', 'x']);
    expect(lines[0]).toBe('Update t SET b');
    // The IN list drives lookups of the index on a (entries carry the primary key: covering).
    expect(lines.slice(1, 6)).toEqual([
      '  Project pk',
      '    IndexLookup t using covering t_a keys=IN (subquery)',
      '      Project a',
      '        Filter (b = ?2)',
      '          CollectionScan t',
    ]);
    expect(conn.cursor().execute('SELECT id, a, b FROM t ORDER BY id').fetchAll()).toEqual([
      [1, 5, 'x'],
      [2, 6, 'y'],
      [3, 7, 'z'],
    ]);
    expect(() => plan('EXPLAIN UPDATE nope SET a = 1')).toThrow(/no such table: nope/);
    expect(() => plan('EXPLAIN INSERT INTO t VALUES (4, 8, ?)', ['w'])).toThrow(
      /EXPLAIN of anything but SELECT, UPDATE or DELETE/,
    );
  });
});
