/**
 * sqlite_version(): the version of SQLite whose semantics ModelVault's SQL follows, which is the
 * version of the oracle the differential tests run (better-sqlite3's bundled SQLite).
 */
import BetterSqlite3 from 'better-sqlite3';
import { connect, ProgrammingError } from '../../src/index';

test('sqlite_version() is the oracle SQLite version, as text', () => {
  const lite = new BetterSqlite3(':memory:');
  const want = (lite.prepare('SELECT sqlite_version()').raw(true).get() as unknown[])[0];
  lite.close();
  const c = connect(':memory:');
  const cur = c.cursor();
  cur.execute("SELECT sqlite_version(), typeof(sqlite_version()), sqlite_version() >= '3.35.0'");
  expect(cur.fetchAll()).toEqual([[want, 'text', 1]]);
  expect(cur.description?.[0][0]).toBe('sqlite_version()');
  expect(() => cur.execute('SELECT sqlite_version(1)')).toThrow(ProgrammingError);
  c.close();
});
