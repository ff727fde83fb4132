/**
 * `PRAGMA integrity_check` and `PRAGMA quick_check` (SQLite's test scripts end most cases with
 * one): `ok` on a sound file and in memory, as better-sqlite3 answers; one row per problem, with
 * its offset, once a byte inside the log is damaged under an open read-only connection; the
 * `(N)` argument caps the rows.
 */
import * as fs from 'node:fs';
import BetterSqlite3 from 'better-sqlite3';
import { connect } from '../../src/index';
import { tmpDir } from '../helpers/tmp';

const tmp = tmpDir('mv-integrity-');
afterAll(() => tmp.cleanup());

const DDL = [
  'CREATE TABLE items (id INTEGER PRIMARY KEY, grp INTEGER, note TEXT)',
  'CREATE INDEX items_grp ON items (grp)',
];

function build(file: string): void {
  const conn = connect(file);
  for (const sql of DDL) conn.execute(sql);
  for (let t = 0; t < 4; t++) {
    conn.executeMany(
      'INSERT INTO items VALUES (?, ?, ?)',
      Array.from({ length: 10 }, (_, i) => [t * 10 + i, i % 3, `note ${t}.${i}`]),
    );
    conn.commit();
    if (t === 1) conn.database.checkpoint();
  }
  conn.close();
}

test('a sound database answers ok, as SQLite does, with the column named after the pragma', () => {
  const sqlite = new BetterSqlite3(':memory:');
  for (const sql of DDL) sqlite.exec(sql);
  const file = tmp.file();
  build(file);
  for (const conn of [connect(':memory:'), connect(file)]) {
    try {
      for (const pragma of ['integrity_check', 'quick_check', 'integrity_check(5)', 'quick_check(items)']) {
        const cur = conn.cursor().execute(`PRAGMA ${pragma}`);
        expect(cur.fetchAll()).toEqual(sqlite.prepare(`PRAGMA ${pragma}`).raw().all());
        expect(cur.description?.[0][0]).toBe(pragma.replace(/\(.*/, ''));
      }
    } finally {
      conn.close();
    }
  }
  sqlite.close();
});

test('a damaged byte inside the log is reported with its offset; (N) caps the rows', () => {
  const file = tmp.file();
  build(file);
  const conn = connect(file, { readOnly: true });
  try {
    expect(conn.cursor().execute('PRAGMA integrity_check').fetchAll()).toEqual([['ok']]);
    // Damage a row frame of the first transaction, long before the end of the log.
    const bytes = fs.readFileSync(file);
    const at = bytes.indexOf(Buffer.from('note 0.5'));
    expect(at).toBeGreaterThan(0);
    const fd = fs.openSync(file, 'r+');
    fs.writeSync(fd, Buffer.from('X'), 0, 1, at);
    fs.closeSync(fd);
    const rows = conn.cursor().execute('PRAGMA integrity_check').fetchAll() as string[][];
    expect(rows.length).toBeGreaterThanOrEqual(1);
    expect(rows[0][0]).toMatch(/checksum mismatch .*\(offset \d+\)$/);
    expect(conn.cursor().execute('PRAGMA quick_check(1)').fetchAll()).toHaveLength(1);
  } finally {
    conn.close();
  }
});
