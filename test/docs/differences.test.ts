/**
 * Regression (issue 11, item 15): docs/sql.md "Differences from SQLite" lists every behaviour a
 * porting user tripped over, and each listed behaviour is what the driver does (SQLite's side is
 * checked with better-sqlite3).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Sqlite from 'better-sqlite3';
import { connect, IntegrityError } from '../../src/index';

const doc = fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'sql.md'), 'utf8');
const differences = doc.slice(doc.indexOf('## Differences from SQLite'), doc.indexOf('## How SQL runs'));

function setup() {
  const conn = connect(':memory:', { autocommit: true });
  conn.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, x INTEGER, s VARCHAR(3))');
  conn.execute("INSERT INTO t (x, s) VALUES (1, 'ab')");
  const lite = new Sqlite(':memory:');
  lite.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, x INTEGER, s VARCHAR(3))');
  lite.exec("INSERT INTO t (x, s) VALUES (1, 'ab')");
  return { conn, lite };
}

describe('Differences from SQLite, as documented', () => {
  test('VARCHAR(n) enforces its length (SQLite stores any length)', () => {
    expect(differences).toMatch(/`VARCHAR\(n\)`.*enforce/);
    const { conn, lite } = setup();
    lite.exec("INSERT INTO t (x, s) VALUES (2, 'abcd')");
    expect(() => conn.execute("INSERT INTO t (x, s) VALUES (2, 'abcd')")).toThrow(IntegrityError);
  });

  test('a column assigned twice in UPDATE keeps the rightmost assignment, as in SQLite', () => {
    expect(differences).not.toMatch(/assigned twice/);
    const { conn, lite } = setup();
    lite.exec('UPDATE t SET x = 5, x = 7');
    conn.execute('UPDATE t SET x = 5, x = 7');
    expect(conn.execute('SELECT x FROM t').fetchAll()).toEqual(
      lite.prepare('SELECT x FROM t').raw(true).all(),
    );
    expect(conn.execute('SELECT x FROM t').fetchAll()).toEqual([[7]]);
  });

  test('rowCount after an exhausted SELECT is the number of rows fetched', () => {
    expect(differences).toMatch(/`rowCount` after a `SELECT`/);
    const { conn } = setup();
    const cur = conn.execute('SELECT * FROM t');
    expect(cur.rowCount).toBe(-1);
    cur.fetchAll();
    expect(cur.rowCount).toBe(1);
  });

  test('executeMany sets lastRowId', () => {
    expect(differences).toMatch(/`executeMany` sets `lastRowId`/);
    const { conn } = setup();
    const cur = conn.cursor().executeMany('INSERT INTO t (x) VALUES (?)', [[1], [2]]);
    expect(cur.lastRowId).toBe(3);
  });

  test('NUMERIC columns are REAL (SQLite keeps whole values INTEGER)', () => {
    expect(differences).toMatch(/`NUMERIC` and `DECIMAL` columns are REAL/);
    const { conn, lite } = setup();
    for (const run of [(q: string) => conn.execute(q), (q: string) => lite.exec(q)]) {
      run('CREATE TABLE n (id INTEGER PRIMARY KEY, w NUMERIC)');
      run('INSERT INTO n (w) VALUES (3)');
    }
    const sql = 'SELECT w / 2, typeof(w) FROM n';
    expect(lite.prepare(sql).raw().all()).toEqual([[1, 'integer']]);
    expect(conn.execute(sql).fetchAll()).toEqual([[1.5, 'real']]);
  });

  test('SUM over TEXT is no longer a difference: a whole REAL sum stays REAL', () => {
    expect(differences).not.toMatch(/`SUM` over `TEXT`/);
    const { conn, lite } = setup();
    conn.execute("INSERT INTO t (x, s) VALUES (2, '3x')");
    lite.exec("INSERT INTO t (x, s) VALUES (2, '3x')");
    const sql = "SELECT sum(s) / 2, typeof(sum(s)) FROM t WHERE s = '3x'";
    expect(conn.execute(sql).fetchAll()).toEqual(lite.prepare(sql).raw().all());
    expect(conn.execute(sql).fetchAll()).toEqual([[1.5, 'real']]);
  });
});
