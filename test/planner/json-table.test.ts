/**
 * The table-valued json_each() and json_tree() (planner/json-table.ts, planner/table-function.ts)
 * compared with better-sqlite3's SQLite, which bundles the same functions: every column (the
 * byte-offset ids included), path arguments, SQLite's quirks for keys and paths, errors, and the
 * functions used as FROM sources — alone, aliased, joined laterally to a table, in subqueries,
 * under WHERE / GROUP BY / ORDER BY / aggregates — plus a seeded property test over random
 * documents.
 */
import BetterSqlite3 from 'better-sqlite3';
import fc from 'fast-check';
import { connect } from '../../src/index';
import type { Connection } from '../../src/index';
import { normRow } from '../differential/normalize';
import { explain } from '../helpers/explain';

type Outcome = { rows: unknown[][]; names: string[] } | { error: string };

const SETUP = [
  'CREATE TABLE t (id INTEGER PRIMARY KEY, doc TEXT)',
  `INSERT INTO t VALUES (1, '[1,2]'), (2, NULL), (3, '[]'), (4, '{"x":5,"tags":["a","b"]}'),
   (5, '{}'), (6, '[[1,2],{"k":"v"},"a b",null,true,1.5]'), (7, '"scalar"'), (8, '{"tags":["x"]}')`,
  'CREATE TABLE u (id INTEGER PRIMARY KEY, name TEXT)',
  "INSERT INTO u VALUES (1, 'a'), (2, 'x'), (3, 'zz')",
];

let sqlite: BetterSqlite3.Database;
let conn: Connection;

beforeAll(() => {
  sqlite = new BetterSqlite3(':memory:');
  sqlite.defaultSafeIntegers(true);
  conn = connect(':memory:', { autocommit: true, safeIntegers: true });
  for (const s of SETUP) {
    sqlite.exec(s);
    conn.execute(s);
  }
});

afterAll(() => {
  conn.close();
  sqlite.close();
});

function onSqlite(sql: string, params: unknown[]): Outcome {
  try {
    const stmt = sqlite.prepare(sql);
    const rows = (stmt.raw(true).all(...params) as unknown[][]).map(normRow);
    return { rows, names: stmt.columns().map((c) => c.name) };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

function onMv(sql: string, params: unknown[]): Outcome {
  try {
    const cur = conn.cursor().execute(sql, params);
    const rows = (cur.fetchAll() as unknown[][]).map(normRow);
    return { rows, names: (cur.description ?? []).map((d) => d[0]) };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

function same(sql: string, params: unknown[] = []): void {
  expect({ sql, out: onMv(sql, params) }).toEqual({ sql, out: onSqlite(sql, params) });
}

const DOC = `'{"a":[1,2,{"x":[3]}],"b":{"c":4,"d e":[5]},"é":"ü","e\\"f":-1.5e3,"":null,"1a":true,"a1":false}'`;

describe('json_each / json_tree on their own', () => {
  test.each([
    "SELECT * FROM json_each('[1,2,3]')",
    "SELECT * FROM json_tree('[1,2,3]')",
    `SELECT * FROM json_each(${DOC})`,
    `SELECT * FROM json_tree(${DOC})`,
    `SELECT *, json, root FROM json_tree(${DOC})`,
    `SELECT key, value, json, root FROM json_each(${DOC})`,
    "SELECT * FROM json_each('5')",
    "SELECT * FROM json_tree('5')",
    `SELECT * FROM json_each('"x"')`,
    "SELECT * FROM json_tree('null')",
    "SELECT * FROM json_tree('[[],{}]')",
    "SELECT * FROM json_each('[]')",
    "SELECT * FROM json_tree('{}')",
    'SELECT * FROM json_each(NULL)',
    'SELECT * FROM json_tree(NULL)',
    'SELECT * FROM json_each()',
    'SELECT * FROM json_each(12)',
    'SELECT *, json FROM json_each(1.5)',
    "SELECT * FROM json_each(' [ 1 , 2 ] ')",
    `SELECT * FROM json_tree('[1,{"a":2},"\\u00e9",-3,1.0e2,"é",12345678901234567890,1e400]')`,
    "SELECT typeof(value), typeof(atom), value, atom FROM json_each('[1.0, 2, 1e400, 99999999999999999999, -0.0]')",
    'SELECT key, fullkey, path FROM json_tree(\'{"a b":{"x":1},"c.d":[2],"e\\"f":3,"":4,"ü":5,"a1":6,"1a":7,"_x":8,"$y":9,"ab_c":0}\')',
    // JSONB blobs: jsonb('[1,{"a":2}]') and jsonb('{"a":[1,2],"b":"x"}').
    "SELECT *, json FROM json_each(x'7B13314C17611332')",
    "SELECT * FROM json_tree(x'BC17614B1331133217621778')",
    "SELECT *, json FROM json_each(x'5b315d')",
    'SELECT json_array(value), json_array(atom), json_type(value) FROM json_each(\'[[1,2],{"a":1},"s","[1]"]\')',
    "SELECT value -> '$[0]', json_extract(value, '$.a') FROM json_each('[[1,2],{\"a\":1}]')",
    "SELECT value / 2, typeof(value * 1), value || '' FROM json_each('[1.0, 3, 2.5]')",
  ])('%s', (sql) => same(sql));

  test('ids past one-byte headers (payloads over 11, 255 and 65535 bytes)', () => {
    const big = `{"k":"${'x'.repeat(300)}","z":[${'1,'.repeat(200)}1],"w":{"q":[${'"abc",'.repeat(20000)}"d"]}}`;
    same('SELECT id, parent, fullkey FROM json_tree(?) WHERE id < 400 OR id > 80000', [big]);
    same("SELECT id, parent FROM json_each(?, '$.w.q') WHERE key IN (0, 19999, 20000)", [big]);
  });
});

describe('path argument', () => {
  const paths = [
    '$',
    '$.a',
    '$.a[0]',
    '$.a[1]',
    '$.a[2]',
    '$.a[2].x',
    '$.a[2].x[0]',
    '$.b',
    '$.b.c',
    '$.b."d e"',
    '$.b."d e"[0]',
    '$.a[#-1]',
    '$."a"',
    '$."é"',
    '$.zz',
    '$.a[9]',
    '$.a.b',
    '$.a[',
  ];
  test.each(paths)('json_each(doc, %s)', (p) => same(`SELECT *, json, root FROM json_each(${DOC}, '${p}')`));
  test.each(paths)('json_tree(doc, %s)', (p) => same(`SELECT *, json, root FROM json_tree(${DOC}, '${p}')`));
  test.each([
    "SELECT * FROM json_each('[1]', NULL)",
    "SELECT * FROM json_each('{\"a\":1}', 'zz')",
    "SELECT * FROM json_each('{\"a\":1}', '$x')",
    "SELECT * FROM json_each('[1]', 5)",
    "SELECT * FROM json_tree('[1]', '$[0')",
    "SELECT * FROM json_each('[1', '$')",
    "SELECT * FROM json_each('[1', NULL)",
    'SELECT * FROM json_each(\'{"a":1\')',
    "SELECT * FROM json_tree('nope')",
    "SELECT * FROM json_each(x'1b')",
    "SELECT * FROM json_each('[1]', '$', 'x')",
  ])('errors and NULLs: %s', (sql) => same(sql));

  // A backslash in a quoted path key escapes the next character, the quote included.
  test.each([
    `SELECT *, root FROM json_each('{"q\\"t":[1]}', '$."q\\"t"')`,
    `SELECT json_extract('{"q\\"t":1,"a\\\\b":2}', '$."q\\"t"', '$."a\\\\b"')`,
    `SELECT json_extract('{"a":1}', '$."a\\"')`,
  ])('escaped quotes in path keys: %s', (sql) => same(sql));
});

describe('as a FROM source', () => {
  test.each([
    "SELECT j.key, j.value FROM json_each('[5,6]') AS j",
    "SELECT json_each.key FROM json_each('[5,6]')",
    "SELECT json_each.key FROM json_each('[5,6]') AS j",
    "SELECT value FROM json_each('[1]'), json_each('[2]')",
    "SELECT * FROM json_each('[1]'), json_each('[2]')",
    "SELECT a.value, b.value FROM json_each('[1,2]') a, json_each('[3,4]') b",
    'SELECT t.id, j.value FROM t, json_each(t.doc) AS j',
    'SELECT t.id, j.key, j.value, j.type FROM t JOIN json_each(t.doc) j',
    'SELECT t.id, j.value FROM t LEFT JOIN json_each(t.doc) AS j',
    "SELECT t.id, j.value FROM t LEFT JOIN json_each(t.doc) AS j ON j.type = 'integer'",
    "SELECT t.id, j.value FROM t LEFT JOIN json_each(t.doc) AS j WHERE j.type = 'integer'",
    'SELECT t.id, j.value FROM t RIGHT JOIN json_each(t.doc) AS j',
    'SELECT t.id, j.value FROM t FULL JOIN json_each(t.doc) AS j',
    'SELECT t.id, j.value FROM t JOIN json_each(t.doc) AS j USING (id)',
    'SELECT * FROM t NATURAL JOIN json_each(t.doc)',
    'SELECT t.*, j.* FROM t, json_each(t.doc) j',
    'SELECT t.id, j.fullkey FROM t, json_tree(t.doc) j WHERE j.atom IS NOT NULL',
    "SELECT t.id, j.value FROM t, json_each(t.doc, '$.tags') j",
    'SELECT t.id, u.name FROM t, json_each(t.doc) j, u WHERE u.id = j.value',
    "SELECT t.id, u.name FROM t, json_each(t.doc, '$.tags') j JOIN u ON u.name = j.value",
    "SELECT a.key, b.key, b.value FROM json_each('[[1,2],[3],4]') a, json_each(a.value) b",
    "SELECT a.key, b.value FROM json_each('[[1,2],[3]]') a LEFT JOIN json_each(a.value) b ON b.value > 1",
    'SELECT t.id FROM t WHERE EXISTS (SELECT 1 FROM json_each(t.doc) WHERE value = 2)',
    "SELECT t.id FROM t WHERE EXISTS (SELECT 1 FROM json_each(t.doc, '$.tags') WHERE value = 'x')",
    "SELECT t.id FROM t WHERE 'a' IN (SELECT value FROM json_each(t.doc, '$.tags'))",
    'SELECT t.id, (SELECT count(*) FROM json_each(t.doc)) FROM t',
    'SELECT t.id, (SELECT sum(value) FROM json_tree(t.doc) WHERE atom IS NOT NULL) FROM t',
    'SELECT id FROM u WHERE name IN (SELECT value FROM json_each(\'["a","zz"]\'))',
    "SELECT count(*), sum(value), group_concat(key), max(id) FROM json_each('[1,2,3]')",
    'SELECT type, count(*) FROM json_tree(\'[1,"a",[2],{"b":null}]\') GROUP BY type ORDER BY 1',
    'SELECT t.id, count(j.key) FROM t LEFT JOIN json_each(t.doc) j GROUP BY t.id ORDER BY t.id',
    'SELECT j.type, count(*) FROM t, json_tree(t.doc) j GROUP BY j.type ORDER BY 2 DESC, 1',
    "SELECT value FROM json_each('[3,1,2]') ORDER BY value DESC",
    "SELECT value FROM json_each('[3,1,2]') ORDER BY value LIMIT 2",
    'SELECT DISTINCT type FROM json_tree(\'[1,2,[3,"x"]]\') ORDER BY type',
    'SELECT key FROM json_each(\'{"a":1,"b":2,"c":3}\') WHERE value > 1',
    "SELECT id FROM json_each('[1]') WHERE id = '1'",
    "SELECT type FROM json_each('[1]') WHERE type = 'integer'",
    'SELECT json_group_array(value) FROM json_each(\'[[1],{"a":2},3]\')',
    "SELECT value FROM json_each('[1,2]') UNION ALL SELECT value FROM json_each('[3]')",
    "WITH d(x) AS (SELECT '[7,8]') SELECT value FROM d, json_each(d.x)",
    "SELECT v.value FROM (SELECT * FROM json_each('[1,2]')) v",
    "SELECT (SELECT max(value) FROM json_each('[4,9,2]'))",
    'SELECT rowid, key FROM json_tree(\'{"a":[1,2],"b":3}\')',
    'SELECT t.id, j.rowid, j.value FROM t, json_each(t.doc) j',
    "SELECT j.rowid FROM json_each('[5,6]') j WHERE j.rowid = 1",
    // Columns declared without a type: BLOB affinity, so TEXT converts nothing, NUMERIC converts.
    'SELECT u.id, j.value FROM u, json_each(\'[1, "1", "x", 2.5, "2.5", 3]\') j WHERE u.name = j.value',
    'SELECT u.id, j.key FROM u, json_each(\'["a", "b"]\') j WHERE u.id = j.key',
    'SELECT t.id, j.key FROM t, json_each(\'[1, "1"]\') j WHERE CAST(t.id AS TEXT) = j.key',
    'SELECT j.value FROM json_each(\'[1, "1", "a", "x"]\') j WHERE j.value IN (SELECT name FROM u)',
    'SELECT j.value FROM json_each(\'[1, "1", 2]\') j WHERE j.value IN (SELECT id FROM u)',
    'SELECT name FROM u WHERE name = (SELECT value FROM json_each(\'["x", 1]\'))',
    'SELECT u.id, v.x FROM u, (SELECT value AS x FROM json_each(\'[1, "1", "a"]\')) v WHERE u.name = v.x',
    'SELECT u.id, j.value FROM u JOIN json_each(\'[1, "2", "zz"]\') j ON j.value = u.id OR j.value = u.name',
    // Arguments that read a source written after the function: SQLite runs it after that source.
    'SELECT t.id, j.value FROM json_each(t.doc) AS j, t',
    'SELECT t.id, j.value, u.name FROM json_each(t.doc) AS j JOIN t JOIN u ON u.id = t.id',
    'SELECT t.id, j.value FROM u, json_each(t.doc) AS j, t WHERE u.id = 1',
    "SELECT * FROM json_each(t.doc) AS j, t WHERE j.type = 'integer' AND t.id < 5",
    "SELECT b.value FROM json_each(a.value) b, json_each('[[1,2],[3]]') a",
  ])('%s', (sql) => same(sql));

  test('functions reading each other are an error, as in SQLite ("no query solution")', () => {
    const sql = 'SELECT * FROM json_each(b.value) a, json_each(a.value) b';
    expect(onSqlite(sql, [])).toEqual({ error: 'no query solution' });
    expect(onMv(sql, [])).toEqual({
      error: expect.stringContaining('cannot be joined before it') as unknown,
    });
  });

  test.each(['SELECT * FROM json_each(t.doc) AS j LEFT JOIN t', 'SELECT * FROM json_each(json_each.value)'])(
    'arguments no join order can supply are an error (SQLite finds no rows): %s',
    (sql) => {
      expect(onSqlite(sql, [])).toMatchObject({ rows: [] });
      expect(onMv(sql, [])).toEqual({
        error: expect.stringMatching(
          /json_each\(\) reads a table that cannot be joined before it/,
        ) as unknown,
      });
    },
  );

  test('a view over json_each: its rows and PRAGMA table_info', () => {
    const view = "CREATE VIEW jv AS SELECT key, value AS v, id + 1 AS n, j.type FROM json_tree('[1,[2]]') j";
    sqlite.exec(view);
    conn.execute(view);
    same('PRAGMA table_info(jv)');
    same('SELECT * FROM jv');
    same('SELECT t.id, jv.v FROM t, jv WHERE t.id = jv.n');
  });

  test('INSERT … SELECT from json_each, and json_each in a recursive CTE', () => {
    const ins = `INSERT INTO u SELECT key + 10, value FROM json_each('["p","q"]')`;
    sqlite.exec(ins);
    conn.execute(ins);
    same('SELECT * FROM u ORDER BY id');
    same(
      `WITH RECURSIVE r(d, x) AS (SELECT 0, '[[1,[2,[3]]],4]' UNION ALL SELECT r.d + 1, j.value FROM r, json_each(r.x) j WHERE j.type = 'array') SELECT d, x FROM r`,
    );
  });

  test('with parameters as arguments', () => {
    same('SELECT * FROM json_each(?)', ['[1,{"a":2}]']);
    same('SELECT * FROM json_tree(?, ?)', ['{"a":[1,[2]]}', '$.a']);
    same('SELECT t.id, j.value FROM t, json_each(t.doc, ?) j', ['$.tags']);
    same('SELECT * FROM json_each(?)', [null]);
  });

  test('EXPLAIN names the node, lateral joins show their input', () => {
    expect(explain(conn, "SELECT * FROM json_each('[1]') AS j")).toContain(
      "TableFunction json_each('[1]') AS j",
    );
    const lateral = explain(conn, 'SELECT t.id, j.value FROM t LEFT JOIN json_tree(t.doc) j');
    expect(lateral).toMatch(/TableFunction json_tree\(t\.doc\) AS j lateral left\n\s+CollectionScan t/);
    // Written before the table it reads: run after it, the columns put back by a Project.
    const ahead = explain(conn, 'SELECT t.id, j.value FROM json_each(t.doc) AS j, t WHERE t.id > 2');
    expect(ahead).toMatch(
      /Project j\.\*, t\.\*\n\s+TableFunction json_each\(t\.doc\) AS j lateral inner\n\s+IndexRangeScan t/,
    );
  });

  test('an unknown table-valued function stays refused', () => {
    expect(onMv('SELECT * FROM generate_series(1, 3)', [])).toEqual({
      error: expect.stringContaining('generate_series') as unknown,
    });
  });
});

describe('random documents (seeded)', () => {
  const key = fc.oneof(
    fc.constantFrom(
      'a',
      'b1',
      'key',
      'a b',
      'x.y',
      'q"t',
      'back\\slash',
      '',
      '1a',
      '_u',
      'é',
      'ключ',
      '😀',
      '[0]',
    ),
    fc.string({ maxLength: 6 }),
  );
  const scalar = fc.oneof(
    fc.constant(null),
    fc.boolean(),
    fc.integer({ min: -1e6, max: 1e6 }),
    fc.maxSafeInteger(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.string({ maxLength: 20 }),
    fc.constantFrom('x', 'ü', 'a\nb', 'tab\t', '"q"', '\u0001', '[1]'),
  );
  const { doc } = fc.letrec<{ doc: unknown }>((tie) => ({
    doc: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      scalar,
      fc.array(tie('doc'), { maxLength: 5 }),
      fc.dictionary(key, tie('doc'), { maxKeys: 5 }),
    ),
  }));
  const text = fc.tuple(doc, fc.boolean()).map(([v, pretty]) => JSON.stringify(v, null, pretty ? 1 : 0));

  test('json_tree and json_each of random documents, and of every path json_tree reports', () => {
    fc.assert(
      fc.property(text, (json) => {
        same('SELECT *, json, root FROM json_tree(?)', [json]);
        same('SELECT *, json, root FROM json_each(?)', [json]);
        const paths = sqlite.prepare('SELECT fullkey FROM json_tree(?)').pluck().all(json) as string[];
        for (const p of paths.slice(0, 12)) {
          same('SELECT *, root FROM json_tree(?, ?)', [json, p]);
          same('SELECT *, root FROM json_each(?, ?)', [json, p]);
        }
      }),
      { seed: 13, numRuns: 400 },
    );
  });
});
