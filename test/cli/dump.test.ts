/**
 * `dump` loaded into SQLite (better-sqlite3) gives the same rows, indexes, sequence and
 * user_version as the ModelVault file; the PostgreSQL dialect translates types and literals.
 * `export` and `import` round-trip every value through JSON Lines and CSV.
 */
import * as fs from 'node:fs';
import BetterSqlite3 from 'better-sqlite3';
import { connect, Database } from '../../src/index';
import { tmpDir } from '../helpers/tmp';
import { cli } from './cli-helper';

const tmp = tmpDir('mv-cli-dump-');
afterAll(() => tmp.cleanup());

const ODD = '"odd ""name"""';
const ODD_DDL =
  `CREATE TABLE ${ODD} (id INTEGER PRIMARY KEY AUTOINCREMENT, "select" TEXT NOT NULL DEFAULT 'x', ` +
  'r REAL, b BLOB, big INTEGER, flag BOOLEAN, ts TIMESTAMP, u TEXT UNIQUE)';

const ODD_ROWS: unknown[][] = [
  [
    1,
    "it's\nmulti\tline ünï ☃ -- not a comment; nor a statement end",
    0.1,
    Buffer.from([0, 1, 255]),
    9223372036854775807n,
    true,
    '2024-02-03T04:05:06.789Z',
    'u1',
  ],
  [2, '', 1e300, Buffer.alloc(0), -9223372036854775808n, false, null, null],
  [3, "'", 5e-324, null, 0n, null, null, 'u3'],
  [4, '"', 2.0, null, null, null, null, '3.5'],
  [5, 'x', -0.0, null, 9007199254740993n, true, null, null],
  [6, 'y', 0.30000000000000004, Buffer.from('blob text'), -1n, false, '1970-01-01T00:00:00.000Z', 'u6'],
  [7, 'gone', 1, null, null, null, null, null],
];

/** A file with awkward names and values, a composite key, a typed collection and settings. */
function build(): string {
  const file = tmp.file();
  const conn = connect(file, { autocommit: true, safeIntegers: true });
  conn.execute(ODD_DDL);
  conn.execute('CREATE TABLE pairs (a TEXT, b INTEGER, v REAL, PRIMARY KEY (a, b))');
  conn.execute('CREATE INDEX pairs_v ON pairs (v DESC, a)');
  conn.execute(`CREATE INDEX odd_big ON ${ODD} (big)`);
  conn.execute('CREATE INDEX pairs_lower ON pairs (lower(a)) WHERE v IS NOT NULL');
  conn.executeMany(`INSERT INTO ${ODD} VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, ODD_ROWS);
  conn.execute(`DELETE FROM ${ODD} WHERE id = 7`);
  conn.executeMany('INSERT INTO pairs VALUES (?, ?, ?)', [
    ['a', 1, 1.5],
    ['a', 2, null],
    ['b', 1, -2.25],
  ]);
  conn.execute('PRAGMA user_version = 7');
  conn.close();
  const db = Database.open(file);
  db.registerCollection(
    'users',
    [
      { path: 'id', type: 'int64' },
      { path: 'profile.tz', type: 'string' },
      { path: 'tags', type: { list: 'string' } },
    ],
    'id',
  );
  db.insert('users', { id: 1, profile: { tz: 'UTC' }, tags: ['x', 'y'] });
  db.insert('users', { id: 2, profile: { tz: 'Europe/Paris' }, tags: [] });
  db.close();
  return file;
}

/** A value as both engines can be compared on: SQLite has no booleans, dates or lists. */
function norm(v: unknown): unknown {
  // SQLite stores a REAL -0.0 as 0, and JSON has no -0: neither can keep the sign.
  if (Object.is(v, -0)) return 0;
  if (typeof v === 'boolean') return v ? 1n : 0n;
  if (typeof v === 'number' && Number.isInteger(v) && !Object.is(v, -0) && Math.abs(v) < 2 ** 53) return v;
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return JSON.stringify(v);
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
  return v;
}

const QUERIES = [
  `SELECT * FROM ${ODD} ORDER BY id`,
  `SELECT id, hex(b), length("select"), big FROM ${ODD} WHERE big > 0 ORDER BY big`,
  'SELECT * FROM pairs ORDER BY a, b',
  'SELECT a, b FROM pairs ORDER BY v DESC, a',
  'SELECT id, "profile.tz", tags FROM users ORDER BY id',
  "SELECT type, name, tbl_name FROM sqlite_master WHERE name NOT LIKE 'sqlite_autoindex%' ORDER BY name",
  "SELECT count(*) FROM sqlite_master WHERE name LIKE 'sqlite_autoindex%'",
  "SELECT sql FROM sqlite_master WHERE name = 'pairs_lower'",
  "SELECT a, b FROM pairs WHERE lower(a) = 'a' AND v IS NOT NULL ORDER BY b",
  'SELECT name, seq FROM sqlite_sequence',
];

test('a sqlite dump loads into SQLite with the same query results', () => {
  const file = build();
  const r = cli(['dump', file]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const lite = new BetterSqlite3(':memory:');
  lite.defaultSafeIntegers(true);
  lite.exec(r.stdout);
  const mv = connect(file, { readOnly: true, safeIntegers: true });
  try {
    for (const sql of QUERIES) {
      const ours = (mv.execute(sql).fetchAll() as unknown[][]).map((row) => row.map(norm));
      const theirs = (lite.prepare(sql).raw(true).all() as unknown[][]).map((row) => row.map(norm));
      expect({ sql, rows: theirs }).toEqual({ sql, rows: ours });
    }
    expect(lite.pragma('user_version', { simple: true })).toBe(7n);
    // Reals keep every bit: the smallest subnormal and 0.1 + 0.2 read back exactly.
    const reals = lite
      .prepare(`SELECT r FROM ${ODD} WHERE id IN (3, 6) ORDER BY id`)
      .pluck()
      .all() as number[];
    expect(reals).toEqual([5e-324, 0.30000000000000004]);
  } finally {
    mv.close();
    lite.close();
  }
});

test('--table limits the dump; an unknown table is an error', () => {
  const file = build();
  const r = cli(['dump', file, '--table', 'pairs']);
  expect(r.code).toBe(0);
  expect(r.stdout).toContain('CREATE TABLE pairs');
  expect(r.stdout).not.toContain('odd');
  const lite = new BetterSqlite3(':memory:');
  lite.exec(r.stdout);
  expect(lite.prepare('SELECT count(*) FROM pairs').pluck().get()).toBe(3);
  lite.close();
  const bad = cli(['dump', file, '--table', 'nope']);
  expect(bad.code).toBe(1);
  expect(bad.stderr).toBe('modelvault: OperationalError OPERATIONAL: no such table: nope\n');
});

test('the postgres dialect maps types and writes PostgreSQL literals', () => {
  const r = cli(['dump', build(), '--dialect', 'postgres']);
  expect(r.code).toBe(0);
  const out = r.stdout;
  expect(out).toContain(
    [
      `CREATE TABLE ${ODD} (`,
      '  "id" BIGINT NOT NULL,',
      `  "select" TEXT NOT NULL DEFAULT 'x',`,
      '  "r" DOUBLE PRECISION,',
      '  "b" BYTEA,',
      '  "big" BIGINT,',
      '  "flag" BOOLEAN,',
      '  "ts" TIMESTAMPTZ,',
      '  "u" TEXT,',
      '  PRIMARY KEY ("id")',
      ');',
    ].join('\n'),
  );
  expect(out).toContain(`(1, 'it''s\nmulti\tline`);
  expect(out).toContain(`'\\x0001ff'::bytea, 9223372036854775807, TRUE, '2024-02-03T04:05:06.789Z', 'u1')`);
  expect(out).toContain(`(5, 'x', -0.0, NULL, 9007199254740993, TRUE, NULL, NULL)`);
  expect(out).toContain('PRIMARY KEY ("a", "b")');
  expect(out).toContain('CREATE INDEX "pairs_v" ON "pairs" ("v" DESC, "a");');
  expect(out).toContain(
    '-- index pairs_lower skipped: a partial or expression index (CREATE INDEX pairs_lower ON pairs (lower(a)) WHERE v IS NOT NULL)',
  );
  expect(out).toContain(`CREATE UNIQUE INDEX "sqlite_autoindex_odd ""name""_1" ON ${ODD} ("u");`);
  expect(out).toContain('"tags" JSONB NOT NULL');
  expect(out).toMatch(/^-- ModelVault dump of .* \(postgres dialect\)\nBEGIN;\n/);
  expect(out.endsWith('COMMIT;\n')).toBe(true);
});

function rowsOf(file: string, sql: string): unknown[][] {
  const conn = connect(file, { readOnly: true, safeIntegers: true });
  try {
    return (conn.execute(sql).fetchAll() as unknown[][]).map((row) => row.map(norm));
  } finally {
    conn.close();
  }
}

test.each(['jsonl', 'csv'])('export then import through %s keeps every value', (format) => {
  const file = build();
  const out = `${tmp.dir}/odd-${format}.${format}`;
  const exp = cli(['export', file, 'odd "name"', '--format', format, '--to', out]);
  expect(exp).toEqual({ code: 0, stdout: `exported 6 rows to ${out}\n`, stderr: '' });
  const target = tmp.file();
  expect(cli(['sql', target, ODD_DDL]).code).toBe(0);
  const imp = cli(['import', target, 'odd "name"', out]);
  expect(imp).toEqual({ code: 0, stdout: 'imported 6 rows into odd "name"\n', stderr: '' });
  const sql = `SELECT * FROM ${ODD} ORDER BY id`;
  expect(rowsOf(target, sql)).toEqual(rowsOf(file, sql));
});

test('export of a query to stdout streams JSON; import reads stdin and creates the table', () => {
  const file = build();
  const json = cli([
    'export',
    file,
    'SELECT a, b FROM pairs WHERE v IS NOT NULL ORDER BY a',
    '--format',
    'json',
  ]);
  expect(JSON.parse(json.stdout)).toEqual([
    { a: 'a', b: 1 },
    { a: 'b', b: 1 },
  ]);
  const target = tmp.file();
  const input = 'name,qty\r\n"a, quoted",1\r\nplain,""\r\n"multi\nline",\r\n';
  const imp = cli(['import', target, 'stock', '-', '--format', 'csv'], { input });
  expect(imp.stdout).toBe('imported 3 rows into stock\n');
  expect(rowsOf(target, 'SELECT name, qty FROM stock ORDER BY name')).toEqual([
    ['a, quoted', '1'],
    ['multi\nline', null],
    ['plain', ''],
  ]);
  const jl = cli(['import', target, 'events', '-', '--format', 'jsonl'], {
    input: '{"id":1,"what":"x","n":1.5}\n\n{"id":2,"what":null,"n":2}\n',
  });
  expect(jl.code).toBe(0);
  expect(rowsOf(target, 'SELECT id, what, n FROM events ORDER BY id')).toEqual([
    [1n, 'x', 1.5],
    [2n, null, 2],
  ]);
  const broken = cli(['import', target, 'events', '-', '--format', 'jsonl'], {
    input: '{"id":3}\nnot json\n',
  });
  expect(broken.code).toBe(1);
  expect(broken.stderr).toMatch(/^modelvault: DataError DATA: -: line 2 is not JSON/);
  const ragged = cli(['import', target, 'stock', '-', '--format', 'csv'], { input: 'name,qty\nx,1\ny\n' });
  expect(ragged.code).toBe(1);
  expect(ragged.stderr).toBe(
    'modelvault: DataError DATA: -: record 3 (counting the header) has 1 fields, the header 2\n',
  );
  // Nothing of a failed import is kept (its batch is rolled back).
  expect(rowsOf(target, "SELECT count(*) FROM stock WHERE name = 'x'")).toEqual([[0n]]);
  const unknown = cli(['import', target, 'events', `${tmp.dir}/data.txt`]);
  expect(unknown.code).toBe(2);
  expect(fs.existsSync(`${tmp.dir}/data.txt`)).toBe(false);
});

test('the all-types golden fixture dumps into SQLite: typed collections, nested paths, lists, objects', () => {
  const file = tmp.file();
  fs.copyFileSync(`${__dirname}/../../fixtures/format/v1.1/all-types.modelvault`, file);
  const r = cli(['dump', file]);
  expect(r.code).toBe(0);
  // An index on a field inside an object column has no SQLite counterpart.
  expect(r.stdout).toContain(
    '-- index users_city skipped: address.city is a field inside an object column\n',
  );
  const lite = new BetterSqlite3(':memory:');
  lite.defaultSafeIntegers(true);
  lite.exec(r.stdout);
  const mv = connect(file, { readOnly: true, safeIntegers: true });
  try {
    for (const sql of [
      // `unsigned` is left out: values above 2^63 - 1 become REAL in SQLite.
      'SELECT id, flag, big, ratio, name, blob, uid, at, "profile.timezone", tags, address, status FROM users ORDER BY id',
      'SELECT * FROM notes ORDER BY "key"',
      'SELECT name FROM users WHERE "profile.timezone" IS NOT NULL ORDER BY "profile.timezone" LIMIT 3',
    ]) {
      const ours = (mv.execute(sql).fetchAll() as unknown[][]).map((row) => row.map(norm));
      const theirs = (lite.prepare(sql).raw(true).all() as unknown[][]).map((row) => row.map(norm));
      expect({ sql, rows: theirs }).toEqual({ sql, rows: ours });
    }
  } finally {
    mv.close();
    lite.close();
  }
});
