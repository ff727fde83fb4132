/**
 * JSON functions and the -> / ->> operators against SQLite (better-sqlite3): the edge-value table
 * of oracle.ts, plus a table of JSON documents (nested, malformed, JSON5, big numbers, unicode,
 * empty). Every expression runs on both engines; values and typeof() must agree, and where SQLite
 * fails ModelVault must fail too (malformed JSON and bad paths are DataErrors here).
 */
import BetterSqlite3 from 'better-sqlite3';
import { DataError, NotSupportedError, QueryError } from '../../../src/errors';
import { connect } from '../../../src/index';
import type { Connection } from '../../../src/index';
import { Oracle } from './oracle';

const DOCS: readonly string[] = [
  'NULL',
  "''",
  "'null'",
  '\'{"a":[1,2,{"b":null}],"c":"x","d":{"e":1.5}}\'',
  '\'[10, 20.0, "thirty", [40], {"f": true}]\'',
  '\'{"big":9223372036854775807,"small":-9223372036854775808,"over":12345678901234567890}\'',
  '\'{"r":1e400,"n":-0.0,"e":2.5e-3,"x":1.25}\'',
  '\'{"s":"tab\\tquote\\"u\\u00e9\\ud83d\\ude00","k y":"spaced","a.b":"dotted"}\'',
  "'{a: 1, ''b'': [0x1F, .5, 5., +1, Infinity, NaN,], /* c */ c: \"\\x41\"}'",
  "'[1, 2'",
  "'not json'",
  '\'"a string"\'',
  '\'  {"dup":1, "dup":2}  \'',
  "'42'",
  '\'{"é😀":"unicode key","":"empty key"}\'',
];

const PATHS = [
  "'$'",
  "'$.a'",
  "'$.a[0]'",
  "'$.a[2].b'",
  "'$.a[#-1]'",
  "'$[#-1]'",
  "'$[4].f'",
  "'$[3]'",
  "'$.c'",
  "'$.d.e'",
  "'$.big'",
  "'$.small'",
  "'$.over'",
  "'$.r'",
  "'$.n'",
  "'$.e'",
  "'$.s'",
  '\'$."k y"\'',
  '\'$."a.b"\'',
  "'$.b[1]'",
  "'$.dup'",
  '\'$."é😀"\'',
  '\'$.""\'',
  "'$.missing'",
  "'$[9]'",
  'NULL',
  "'a'",
  "'$a'",
  "'$.'",
  "'$[x]'",
  "'$[#-9'",
  "'$[#-1'",
];

/** Both engines over one table `d (id, j)` of JSON documents. */
class JsonOracle {
  readonly sqlite = new BetterSqlite3(':memory:');
  readonly conn: Connection = connect(':memory:', { autocommit: true, safeIntegers: true });
  constructor() {
    const create = 'CREATE TABLE d (id INTEGER PRIMARY KEY, j TEXT, n INTEGER, r REAL)';
    this.sqlite.exec(create);
    const cur = this.conn.cursor();
    cur.execute(create);
    DOCS.forEach((doc, k) => {
      const sql = `INSERT INTO d VALUES (${k + 1}, ${doc}, ${k - 3}, ${k / 4})`;
      this.sqlite.exec(sql);
      cur.execute(sql);
    });
  }

  private run(sql: string, engine: 'sqlite' | 'mv'): unknown[][] | Error {
    try {
      if (engine === 'sqlite') {
        const st = this.sqlite.prepare(sql);
        st.safeIntegers(true);
        return (st.raw(true).all() as unknown[][]).map((r) => r.map(norm));
      }
      const cur = this.conn.cursor();
      cur.execute(sql);
      return (cur.fetchAll() as unknown[][]).map((r) => r.map(norm));
    } catch (err) {
      // better-sqlite3's errors may come from another realm than this test's Error.
      return err instanceof Error ? err : new Error(String((err as { message?: unknown }).message ?? err));
    }
  }

  /**
   * Differences for `expr`, with typeof() unless `withType` is false: one statement per document,
   * so one malformed document's error does not hide the other rows.
   */
  diff(expr: string, withType = true): string[] {
    return DOCS.flatMap((_doc, k) =>
      this.diffQuery(`SELECT ${expr}${withType ? `, typeof(${expr})` : ''} FROM d WHERE id = ${k + 1}`),
    );
  }

  /** Differences for a whole statement; where SQLite fails, ModelVault must fail with a DataError. */
  diffQuery(sql: string): string[] {
    const want = this.run(sql, 'sqlite');
    const got = this.run(sql, 'mv');
    if (want instanceof Error || got instanceof Error) {
      if (want instanceof Error && got instanceof Error) {
        if (got instanceof DataError || got instanceof QueryError) return [];
        return [`${sql}: ModelVault failed with ${got.name}: ${got.message}`];
      }
      return [`${sql}: sqlite ${show(want)} / modelvault ${show(got)}`];
    }
    if (show(want) === show(got)) return [];
    const out: string[] = [];
    want.forEach((w, i) => {
      if (show(w) !== show(got[i]))
        out.push(`${sql} [row ${i + 1}]: sqlite ${show(w)} / modelvault ${show(got[i])}`);
    });
    return out.length ? out : [`${sql}: sqlite ${show(want)} / modelvault ${show(got)}`];
  }

  mvError(sql: string): Error | null {
    const r = this.run(sql, 'mv');
    return r instanceof Error ? r : null;
  }

  close(): void {
    this.conn.close();
    this.sqlite.close();
  }
}

function norm(v: unknown): unknown {
  if (typeof v === 'bigint') return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : `${v}n`;
  if (v instanceof Uint8Array) return `x'${Buffer.from(v).toString('hex')}'`;
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  if (typeof v === 'number' && Object.is(v, -0)) return 0;
  return v;
}

function show(v: unknown): string {
  return v instanceof Error ? `error ${v.message}` : JSON.stringify(v);
}

let db: JsonOracle;
let edge: Oracle;
beforeAll(() => {
  db = new JsonOracle();
  edge = new Oracle();
});
afterAll(() => {
  db.close();
  edge.close();
});

const check = (exprs: readonly string[], withType = true): void =>
  expect(exprs.flatMap((e) => db.diff(e, withType))).toEqual([]);

test('json(), json_valid() with and without flags, json_error_position(), json_type() of whole documents', () => {
  check([
    'json(j)',
    'json_valid(j)',
    'json_valid(j, 1)',
    'json_valid(j, 2)',
    'json_valid(j, 3)',
    'json_valid(j, 4)',
    'json_valid(j, 8)',
    'json_error_position(j)',
    'json_type(j)',
    'json_array_length(j)',
    'json(n)',
    'json(r)',
    'json_valid(n)',
    'json_quote(j)',
    'json_quote(json(j))',
  ]);
});

test('json_extract, json_type, json_array_length, -> and ->> on every path and document', () => {
  const exprs: string[] = [];
  for (const p of PATHS)
    exprs.push(
      `json_type(j, ${p})`,
      `j -> ${p}`,
      `j ->> ${p}`,
      `json_array_length(j, ${p})`,
      `json_extract(j, ${p})`,
      // A whole-valued JSON real (20.0) stays REAL through arithmetic and text conversion.
      `json_extract(j, ${p}) / 8`,
      `(j ->> ${p}) || ''`,
      `json_array(j ->> ${p})`,
    );
  check(exprs);
});

test('-> and ->> abbreviations: labels, integers (negative from the end), [N], chains', () => {
  check([
    "j -> 'a'",
    "j -> 'c'",
    "j ->> 'c'",
    "j -> 'k y'",
    "j -> 'a.b'",
    'j -> 0',
    'j -> 3',
    'j -> -1',
    'j -> -5',
    'j -> -6',
    "j -> '[1]'",
    "j -> 'a' -> 2 -> 'b'",
    "j -> 'a' ->> 0",
    "j -> 'd' ->> 'e'",
    'j -> n',
    "j -> ''",
    "j -> 'é😀'",
    'j -> NULL',
    "(j -> 'a') || 'x'",
    '\'{"1.5":"one and a half"}\' -> 1.5',
  ]);
});

test('json_extract with several paths returns a JSON array, NULL for a NULL path', () => {
  check([
    "json_extract(j, '$.a', '$.c')",
    "json_extract(j, '$[0]', '$[9]', '$[#-1]')",
    "json_extract(j, '$.a', NULL)",
    'json_extract(j)',
  ]);
});

test('json_array and json_object: SQL values, the JSON subtype, NULLs, reals, blobs, bad labels', () => {
  check([
    'json_array(j, n, r, NULL)',
    'json_array(json(j))',
    "json_array(j -> 'a', j ->> 'a', json_extract(j, '$.a'), json_extract(j, '$.c'))",
    "json_array(coalesce(json(j), 'none'), CASE WHEN n > 0 THEN json(j) ELSE j END, upper(json(j)))",
    "json_array(ifnull(j -> 'a', 0), iif(n > 0, json_array(n), 'no'))",
    'json_array(1e400, -1e400, 0.1 + 0.2, 1.0, 1e20, -0.0, 9223372036854775807)',
    'json(1e400)',
    'json(-1e400)',
    'json(0.1 + 0.2)',
    "json_array(x'00', x'01')",
    "json_array(x'0102')",
    "json_array(x'4b13231323', x'c7036162')",
    "json(x'bc17616217')",
    'json_array()',
    "json_object('doc', json(j), 'text', j, 'n', n, 'r', r)",
    "json_object('a', 1, 'a', 2)",
    'json_object()',
    "json_object('a')",
    'json_object(n, 1)',
    'json_object(NULL, 1)',
    "json_object('q\"uote', 'tab\tx')",
    "json_array(json_object('x', json_array(1, json('{\"y\":[]}'))))",
  ]);
});

test('the JSON subtype travels through CASE, coalesce, iif, nullif, scalar max/min, unary +, CAST AS TEXT', () => {
  check([
    "json_array(max(json('[2]'), json('[1]')), min(json('[2]'), json('[1]')), max('[3]', json('[1]')))",
    "json_array(nullif(json('[1]'), json('[2]')), nullif(json(j), 'x'))",
    "json_array(+json('[1]'), CAST(json('[1]') AS TEXT), json('[1]') COLLATE NOCASE, (json('[1]')))",
    "json_array(likely(json(j)), unlikely(j -> '$.a'), ifnull(NULL, json(j)))",
    "json_array(CASE n % 2 WHEN 0 THEN json(j) ELSE j END, CASE WHEN n > 2 THEN json_extract(j, '$.a') END)",
    "json_array(json_extract(j, '$.a') || '', substr(json(j), 1), lower(j -> '$.d'))",
    "json_array(j ->> '$.a', json_extract(j, '$.a', '$.c'), json_quote(j ->> '$.c'))",
    // Text equal to JSON made inside the same argument is still text.
    "json_array(json_extract(json_array(lower(json(j))), '$[0]'), json_array(lower(json(j))) ->> 0)",
    "json_object('set', json_set(j, '$.z', 1), 'rm', json_remove(j, '$.a'), 'patch', json_patch(j, '{}'))",
  ]);
});

test('json_set, json_insert, json_replace, json_remove, json_patch', () => {
  check([
    "json_set(j, '$.a[0]', 99)",
    "json_set(j, '$.new.deep', 'v')",
    "json_set(j, '$.new[0]', 'v')",
    "json_set(j, '$.new[3]', 'v')",
    "json_set(j, '$[#]', n, '$[#]', r)",
    "json_set(j, '$', 1)",
    "json_set(j, '$.a', json('[1]'), '$.c', '[1]')",
    'json_set(j, NULL, 1)',
    "json_set(j, 'x', 1)",
    "json_set(j, '$.a')",
    "json_set(j, '$.a.', 1)",
    'json_set(j)',
    "json_insert(j, '$.a', 0, '$.z', 0, '$[#]', 0, '$[1]', 0)",
    "json_replace(j, '$.a', 0, '$.z', 0, '$[0]', 0, '$[#]', 0)",
    "json_remove(j, '$.a[0]', '$.a[0]')",
    "json_remove(j, '$[#-1]', '$.c')",
    "json_remove(j, '$')",
    'json_remove(j, NULL)',
    "json_remove(j, 'bad')",
    'json_remove(j)',
    'json_patch(j, \'{"a":null,"c":{"x":[1]},"z":{"w":null,"v":1}}\')',
    'json_patch(\'{"a":{"b":1}}\', j)',
    'json_patch(j, NULL)',
    "json_set(j, '$.a', x'01')",
    "json_set(j, '$.a', x'0102')",
    'json_patch(\'{"\\u0061":1,"b":2}\', \'{"a":3,"b":null}\')',
    "json_set(j, NULL, json(''))",
  ]);
});

test('json_quote and JSON functions over the edge values (NULL, empty, -0.0, int64 limits, blobs, unicode)', () => {
  const exprs: string[] = [];
  for (const x of ['i', 'r', 's', 'b'])
    exprs.push(`json_quote(${x})`, `json_array(${x})`, `json_valid(${x})`, `json_error_position(${x})`);
  exprs.push(
    "json_object('s', s, 'r', r)",
    'json_type(s)',
    'json(s)',
    'json(b)',
    'json_valid(b, 4)',
    'json_valid(b, 8)',
  );
  expect(exprs.flatMap((e) => edge.diff(e))).toEqual([]);
});

test('json_group_array and json_group_object: NULLs, DISTINCT, FILTER, groups, no rows, subtype', () => {
  const q = [
    'SELECT json_group_array(j) FROM d',
    'SELECT json_group_array(json(j)) FROM d WHERE json_valid(j, 2)',
    'SELECT json_group_array(n), json_group_array(r) FROM d',
    'SELECT json_group_array(DISTINCT n % 3) FROM d',
    'SELECT json_group_array(DISTINCT j) FROM d',
    'SELECT json_group_array(n) FILTER (WHERE n > 2) FROM d',
    'SELECT json_group_object(id, n) FROM d',
    'SELECT json_group_object(j, n) FROM d',
    "SELECT json_group_object('k' || id, j -> '$.a') FROM d WHERE json_valid(j, 2)",
    'SELECT n % 2, json_group_array(id) FROM d GROUP BY n % 2 ORDER BY 1',
    'SELECT json_group_array(id), json_group_object(id, id) FROM d WHERE id < 0',
    'SELECT json_array(json_group_array(id)), json_array_length(json_group_array(id)) FROM d',
  ];
  expect(q.flatMap((s) => db.diffQuery(s))).toEqual([]);
});

test('errors: malformed JSON and bad paths are DataErrors, wrong argument counts QueryErrors', () => {
  const malformed = db.mvError("SELECT json('[1,')");
  expect(malformed).toBeInstanceOf(DataError);
  expect(malformed?.message).toBe('malformed JSON');
  const path = db.mvError("SELECT json_extract('[1]', 'a')");
  expect(path).toBeInstanceOf(DataError);
  expect(path?.message).toBe("bad JSON path: 'a'");
  expect(db.mvError("SELECT json_object('a')")).toBeInstanceOf(QueryError);
  expect(db.mvError("SELECT json_set('[1]', '$[0]')")).toBeInstanceOf(QueryError);
  expect(db.mvError('SELECT json_type()')).toBeInstanceOf(QueryError);
  expect(db.mvError("SELECT json_valid('[1]', 16)")).toBeInstanceOf(DataError);
  expect(db.mvError("SELECT json_array(x'0102')")?.message).toBe('JSON cannot hold BLOB values');
});

test('json_each and json_tree are table-valued only: called as scalars they are refused by name', () => {
  // As FROM sources they are compared with SQLite in test/planner/json-table.test.ts.
  for (const name of ['json_each', 'json_tree']) {
    const call = db.mvError(`SELECT ${name}('[1,2]')`);
    expect(call).toBeInstanceOf(NotSupportedError);
    expect(call?.message).toContain(name);
  }
});

test('-> and ->> bind like || (tighter than arithmetic and comparisons)', () => {
  check([
    "j -> 'a' ->> 1 + 1",
    "j ->> 'a' = 'x'",
    "'[1,2,3]' -> 1 || 'z'",
    "j ->> '$.d.e' + 1",
    "NOT j -> 'c' IS NULL",
  ]);
});

test('EXPLAIN shows -> and ->> as operators', () => {
  const cur = db.conn.cursor();
  cur.execute("EXPLAIN SELECT j -> 'a' FROM d WHERE j ->> '$.a[0]' > 0");
  const plan = (cur.fetchAll() as unknown[][]).map((r) => String(r[0])).join('\n');
  expect(plan).toContain("Filter ((j ->> '$.a[0]') > 0)");
});
