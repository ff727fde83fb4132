/**
 * UPSERT (`INSERT … ON CONFLICT … DO NOTHING | DO UPDATE SET … [WHERE …]`) compared with
 * better-sqlite3 statement by statement: the rows, rows changed, RETURNING and error classes,
 * including chained clauses, `excluded.`, NULLs in the conflict target, and a DO UPDATE that
 * collides with another unique key (an error that undoes the whole statement).
 */
import { Oracle } from '../helpers/sqlite-oracle';

const TABLES = ['t'];
let o: Oracle;

beforeEach(() => {
  o = new Oracle();
  o.exec(
    'CREATE TABLE t (id INTEGER PRIMARY KEY, email TEXT UNIQUE, code TEXT UNIQUE, n INTEGER NOT NULL DEFAULT 0, note TEXT)',
    "INSERT INTO t (id, email, code, n, note) VALUES (1, 'a@x', 'A', 1, 'one'), (2, 'b@x', 'B', 2, NULL), (3, NULL, 'C', 3, 'three')",
  );
});
afterEach(() => o.close());

describe('UPSERT', () => {
  test.each([
    // DO UPDATE on each kind of target, with excluded. and the existing row.
    "INSERT INTO t (id, email, n) VALUES (1, 'new@x', 10) ON CONFLICT (id) DO UPDATE SET n = n + excluded.n",
    "INSERT INTO t (email, n) VALUES ('a@x', 5) ON CONFLICT (email) DO UPDATE SET n = excluded.n, note = 'upd'",
    "INSERT INTO t (email, code) VALUES ('zz@x', 'B') ON CONFLICT (code) DO UPDATE SET email = excluded.email",
    "INSERT INTO t (email, n) VALUES ('a@x', 5) ON CONFLICT (email) DO UPDATE SET n = t.n * 100",
    // No conflict: a plain insert.
    "INSERT INTO t (email, n) VALUES ('new@x', 5) ON CONFLICT (email) DO UPDATE SET n = 99",
    // NULLs never conflict.
    "INSERT INTO t (email, code, n) VALUES (NULL, 'Z', 5) ON CONFLICT (email) DO UPDATE SET n = 99",
    // WHERE on DO UPDATE: false skips the row.
    "INSERT INTO t (email, n) VALUES ('a@x', 5) ON CONFLICT (email) DO UPDATE SET n = 50 WHERE excluded.n > 10",
    "INSERT INTO t (email, n) VALUES ('a@x', 50) ON CONFLICT (email) DO UPDATE SET n = 50 WHERE excluded.n > 10",
    "INSERT INTO t (email, n) VALUES ('b@x', 5) ON CONFLICT (email) DO UPDATE SET n = 1 WHERE note IS NULL",
    // DO NOTHING with a target; a conflict on another constraint still fails.
    "INSERT INTO t (email, n) VALUES ('a@x', 5) ON CONFLICT (email) DO NOTHING",
    "INSERT INTO t (email, code) VALUES ('q@x', 'A') ON CONFLICT (email) DO NOTHING",
    "INSERT INTO t (id, email) VALUES (1, 'q@x') ON CONFLICT (email) DO NOTHING",
    // Chained clauses: the first whose target matches the clash wins; the last may be targetless.
    "INSERT INTO t (email, code) VALUES ('q@x', 'A') ON CONFLICT (email) DO NOTHING ON CONFLICT (code) DO UPDATE SET note = 'by code'",
    "INSERT INTO t (email, code) VALUES ('a@x', 'Q') ON CONFLICT (email) DO UPDATE SET note = 'by email' ON CONFLICT (code) DO NOTHING",
    "INSERT INTO t (id, email) VALUES (2, 'q@x') ON CONFLICT (email) DO NOTHING ON CONFLICT DO UPDATE SET note = 'any'",
    "INSERT INTO t (id, email) VALUES (2, 'q@x') ON CONFLICT DO UPDATE SET note = 'any'",
    // A row clashing on several keys: the first clause's target is checked before the primary
    // key; a targetless clause takes the first clash in SQLite's order (newest index first).
    "INSERT INTO t (id, email) VALUES (2, 'a@x') ON CONFLICT (email) DO UPDATE SET note = 'by email'",
    "INSERT INTO t (id, email) VALUES (2, 'a@x') ON CONFLICT (id) DO UPDATE SET note = 'by id'",
    "INSERT INTO t (id, email, code) VALUES (9, 'a@x', 'B') ON CONFLICT DO UPDATE SET note = 'any'",
    "INSERT INTO t (id, email, code) VALUES (9, 'a@x', 'B') ON CONFLICT (id) DO NOTHING ON CONFLICT DO UPDATE SET note = 'any'",
    // Several clauses: every targeted index is checked (in clause order) before the primary key,
    // unless the first clause targets the primary key; untargeted indexes come last.
    "INSERT INTO t (id, email, code) VALUES (1, 'q@x', 'A') ON CONFLICT (email) DO NOTHING ON CONFLICT (code) DO UPDATE SET note = 'by code'",
    "INSERT INTO t (id, email, code) VALUES (1, 'q@x', 'Q') ON CONFLICT (email) DO NOTHING ON CONFLICT (code) DO NOTHING",
    "INSERT INTO t (id, email, code) VALUES (1, 'q@x', 'B') ON CONFLICT (code) DO UPDATE SET note = 'by code' ON CONFLICT (id) DO UPDATE SET note = 'by id'",
    "INSERT INTO t (id, email, code) VALUES (1, 'q@x', 'B') ON CONFLICT (id) DO UPDATE SET note = 'by id' ON CONFLICT (code) DO UPDATE SET note = 'by code'",
    "INSERT INTO t (id, email, code) VALUES (9, 'b@x', 'C') ON CONFLICT (n) DO NOTHING ON CONFLICT (code) DO UPDATE SET note = 'by code'",
    "INSERT INTO t (id, email, code) VALUES (1, 'b@x', 'Q') ON CONFLICT (code) DO NOTHING ON CONFLICT (email) DO UPDATE SET note = 'by email'",
    // The target's clash may be the row with the same primary key (not yet excluded as "itself").
    "INSERT INTO t (id, email) VALUES (1, 'a@x') ON CONFLICT (email) DO UPDATE SET note = 'self'",
    "INSERT INTO t (id, email) VALUES (5, 'a@x'), (1, 'a@x') ON CONFLICT (email) DO UPDATE SET n = n + 1",
    // Several rows, some conflicting, one with a row inserted earlier by the same statement.
    "INSERT INTO t (email, n) VALUES ('a@x', 1), ('new@x', 1), ('new@x', 7) ON CONFLICT (email) DO UPDATE SET n = n + excluded.n",
    // DO UPDATE colliding with another unique key or primary key: an error, nothing written.
    "INSERT INTO t (email, n) VALUES ('new@x', 1), ('a@x', 5) ON CONFLICT (email) DO UPDATE SET code = 'B'",
    "INSERT INTO t (email) VALUES ('a@x') ON CONFLICT (email) DO UPDATE SET id = 2",
    "INSERT INTO t (email) VALUES ('a@x') ON CONFLICT (email) DO UPDATE SET n = NULL",
    // NOT NULL is not a uniqueness conflict: DO NOTHING does not skip it.
    "INSERT INTO t (email, n) VALUES ('a@x', NULL) ON CONFLICT (email) DO NOTHING",
    // RETURNING sees the updated row, and nothing for DO NOTHING.
    "INSERT INTO t (email, n) VALUES ('a@x', 5), ('r@x', 6) ON CONFLICT (email) DO UPDATE SET n = excluded.n + 1 RETURNING id, email, n",
    "INSERT INTO t (email, n) VALUES ('a@x', 5), ('r@x', 6) ON CONFLICT (email) DO NOTHING RETURNING *",
    // OR REPLACE / OR IGNORE for the constraints no clause names.
    "INSERT OR REPLACE INTO t (email, code) VALUES ('a@x', 'B') ON CONFLICT (email) DO UPDATE SET note = 'u'",
    "INSERT OR IGNORE INTO t (email, code) VALUES ('q@x', 'B') ON CONFLICT (email) DO UPDATE SET note = 'u'",
    // INSERT … SELECT with an upsert (WHERE true keeps SQLite's parser from reading ON as a join).
    'INSERT INTO t (email, n) SELECT email, n FROM t WHERE true ON CONFLICT (email) DO UPDATE SET n = t.n + excluded.n',
    // Without anything between FROM and ON, SQLite reads ON as a join constraint: a syntax error.
    'INSERT INTO t (email, n) SELECT email, n FROM t ON CONFLICT (email) DO NOTHING',
    'INSERT INTO t (email, n) SELECT DISTINCT email, n FROM t AS s ON CONFLICT DO NOTHING',
    'INSERT INTO t (email, n) SELECT email, n FROM t ORDER BY id ON CONFLICT (email) DO UPDATE SET n = 0',
    'INSERT INTO t (email, n) SELECT email, n FROM t LIMIT 2 ON CONFLICT DO NOTHING',
    'INSERT INTO t DEFAULT VALUES ON CONFLICT DO NOTHING',
    // Errors: a target that is no uniqueness constraint, an unknown column, excluded misuse.
    "INSERT INTO t (email) VALUES ('a@x') ON CONFLICT (n) DO NOTHING",
    "INSERT INTO t (email) VALUES ('a@x') ON CONFLICT (nope) DO NOTHING",
    "INSERT INTO t (email) VALUES ('a@x') ON CONFLICT (email, email) DO NOTHING",
    "INSERT INTO t (email) VALUES ('a@x') ON CONFLICT (email, code) DO NOTHING",
    "INSERT INTO t (id, email) VALUES (1, 'zz') ON CONFLICT (rowid) DO UPDATE SET email = excluded.email",
    "INSERT INTO t (email) VALUES ('a@x') ON CONFLICT (email) DO UPDATE SET n = excluded.nope",
    "INSERT INTO t (email) VALUES ('a@x') ON CONFLICT DO NOTHING ON CONFLICT (email) DO NOTHING",
  ])('%s', (sql) => {
    const r = o.both(sql, TABLES);
    expect(r.mv).toEqual(r.sqlite);
  });

  test('parameters bind in VALUES, SET and WHERE', () => {
    const r = o.both(
      'INSERT INTO t (email, n) VALUES (?, ?) ON CONFLICT (email) DO UPDATE SET n = excluded.n + ? WHERE n < ?',
      TABLES,
      ['a@x', 4n, 100n, 10n],
    );
    expect(r.mv).toEqual(r.sqlite);
  });

  test('lastRowId after an insert and after a DO UPDATE', () => {
    const ins = o.conn
      .cursor()
      .execute("INSERT INTO t (email) VALUES ('k@x') ON CONFLICT (email) DO NOTHING");
    const sqliteIns = o.sqlite
      .prepare("INSERT INTO t (email) VALUES ('k@x') ON CONFLICT (email) DO NOTHING")
      .run();
    expect(ins.lastRowId).toBe(Number(sqliteIns.lastInsertRowid));
    const sql = "INSERT INTO t (email, n) VALUES ('a@x', 9) ON CONFLICT (email) DO UPDATE SET n = 9";
    const upd = o.conn.cursor().execute(sql);
    const sqliteUpd = o.sqlite.prepare(sql).run();
    expect(upd.rowCount).toBe(sqliteUpd.changes);
    expect(o.conn.execute('SELECT n FROM t WHERE id = 1').fetchAll()).toEqual([[9n]]);
  });
});
