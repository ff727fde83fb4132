/**
 * Catalog PRAGMA functions whose argument reads another source's column, joined laterally
 * (`FROM sqlite_master AS m JOIN pragma_table_info(m.name) AS p`): the form Kysely's and Drizzle's
 * SQLite schema introspection send. Every outcome — result names and rows, or the error's class —
 * is compared with better-sqlite3's.
 */
import fc from 'fast-check';
import { Oracle } from '../helpers/sqlite-oracle';
import { connect } from '../../src/index';

const SCHEMA = [
  "CREATE TABLE person (id INTEGER PRIMARY KEY, first_name TEXT NOT NULL, last_name TEXT DEFAULT 'x', age INTEGER, twice INTEGER GENERATED ALWAYS AS (age * 2) VIRTUAL)",
  'CREATE TABLE pet (id INTEGER PRIMARY KEY, name TEXT UNIQUE, owner_id INTEGER NOT NULL REFERENCES person (id) ON DELETE CASCADE, species TEXT)',
  'CREATE INDEX pet_owner ON pet (owner_id, species)',
  'CREATE VIEW adults AS SELECT id, first_name AS fn, age + 1 AS next FROM person WHERE age >= 18',
  "INSERT INTO person (id, first_name, age) VALUES (1, 'a', 30)",
  "INSERT INTO pet VALUES (1, 'rex', 1, 'dog')",
];

function oracle(): Oracle {
  const o = new Oracle();
  o.exec(...SCHEMA);
  return o;
}

const QUERIES: [string, string][] = [
  [
    "Kysely's columns (a CTE of tables and views, comma join)",
    `with "table_list" as (select "name", "sql", "type" from "sqlite_master" where "type" in ('table', 'view') and "name" not like 'sqlite_%' order by "name") select "tl"."name" as "table", "p"."cid", "p"."name", "p"."type", "p"."notnull", "p"."dflt_value", "p"."pk" from "table_list" as "tl", pragma_table_info(tl.name) as "p" order by "tl"."name", "p"."cid"`,
  ],
  [
    "Drizzle's columns (table_xinfo: generated columns and hidden)",
    `SELECT m.name as "tableName", p.name as "columnName", p.type as "columnType", p."notnull" as "notNull", p.dflt_value as "defaultValue", p.pk as pk, p.hidden as hidden FROM sqlite_master AS m JOIN pragma_table_xinfo(m.name) AS p WHERE m.type = 'table' and m.tbl_name != 'sqlite_sequence' and m.tbl_name != 'sqlite_stat1' ORDER BY 1, p.cid`,
  ],
  [
    "Drizzle's indexes (two lateral functions, the second reading the first)",
    `SELECT m.tbl_name as tableName, il.name as indexName, ii.name as columnName, il.[unique] as isUnique, il.seq as seq FROM sqlite_master AS m, pragma_index_list(m.name) AS il, pragma_index_info(il.name) AS ii WHERE m.type = 'table' ORDER BY 1, 2, ii.seqno`,
  ],
  [
    "Drizzle's foreign keys",
    `SELECT m.name as "tableFrom", f.id as "id", f."table" as "tableTo", f."from", f."to", f."on_update" as "onUpdate", f."on_delete" as "onDelete", f.seq as "seq" FROM sqlite_master m, pragma_foreign_key_list(m.name) as f ORDER BY 1, 2`,
  ],
  [
    'star over both sources',
    'SELECT m.name, p.* FROM sqlite_master m JOIN pragma_table_info(m.name) p ORDER BY 1, p.cid',
  ],
  [
    'the hidden arg and schema columns',
    "SELECT p.arg, p.schema, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.name = 'pet' ORDER BY p.cid",
  ],
  [
    'schema given as a second argument',
    "SELECT p.arg, p.schema, p.name FROM sqlite_master m JOIN pragma_table_info(m.name, 'main') p WHERE m.type = 'view' ORDER BY p.cid",
  ],
  [
    'LEFT JOIN keeps objects without rows',
    'SELECT m.name, count(p.seq) FROM sqlite_master m LEFT JOIN pragma_index_list(m.name) p GROUP BY m.name ORDER BY 1',
  ],
  [
    'in a correlated scalar subquery',
    'SELECT m.name, (SELECT group_concat(name) FROM pragma_table_info(m.name)) FROM sqlite_master m ORDER BY 1',
  ],
  [
    'in EXISTS',
    'SELECT name FROM sqlite_master m WHERE EXISTS (SELECT 1 FROM pragma_table_info(m.name) WHERE pk = 1) ORDER BY 1',
  ],
  [
    'names in another case, unknown names, NULL',
    "SELECT t.n, p.name FROM (SELECT 'PERSON' AS n UNION ALL SELECT 'nosuch' UNION ALL SELECT NULL) t LEFT JOIN pragma_table_info(t.n) p ORDER BY 1, p.cid",
  ],
  [
    'index_xinfo of every index',
    "SELECT m.name, x.* FROM sqlite_master m, pragma_index_xinfo(m.name) x WHERE m.type = 'index' ORDER BY 1, x.seqno",
  ],
  ['foreign_key_check', 'SELECT count(*) FROM sqlite_master m, pragma_foreign_key_check(m.name) c'],
  ['a column that does not exist', 'SELECT * FROM sqlite_master m JOIN pragma_table_info(m.nosuch) p'],
  ['three arguments', 'SELECT * FROM sqlite_master m JOIN pragma_table_info(m.name, 1, 2) p'],
];

describe('catalog PRAGMA functions reading another source', () => {
  test.each(QUERIES)('%s', (_what, sql) => {
    const o = oracle();
    const got = o.query(sql);
    expect(got.mv).toEqual(got.sqlite);
    if (got.sqlite.ok) expect(got.sqlite.rows?.length).toBeGreaterThan(0);
    o.close();
  });

  test('a cached statement sees tables and views created after it was first run', () => {
    const o = oracle();
    const sql =
      'SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p ORDER BY 1, p.cid';
    expect(o.query(sql).mv).toEqual(o.query(sql).sqlite);
    o.exec(
      'CREATE TABLE later (k INTEGER PRIMARY KEY, v TEXT)',
      'CREATE VIEW later_v AS SELECT v, k * 2 AS kk FROM later',
    );
    const got = o.query(sql);
    expect(got.mv).toEqual(got.sqlite);
    expect(JSON.stringify(got.mv)).toContain('"kk"');
    o.close();
  });

  test('a schema other than main is NotSupportedError', () => {
    const conn = connect(':memory:');
    conn.execute('CREATE TABLE t (a INTEGER)');
    expect(() =>
      conn.execute("SELECT * FROM sqlite_master m JOIN pragma_table_info(m.name, 'temp') p"),
    ).toThrow(expect.objectContaining({ code: 'NOT_SUPPORTED' }));
    conn.close();
  });

  test('EXPLAIN shows the lateral function after the source it reads', () => {
    const conn = connect(':memory:');
    conn.execute('CREATE TABLE t (a INTEGER)');
    const rows = conn
      .execute('EXPLAIN SELECT p.name FROM pragma_table_info(m.name) p, sqlite_master m')
      .fetchAll();
    const plan = (rows as unknown[][]).map((r) => String(r[0])).join('\n');
    expect(plan).toMatch(
      /TableFunction pragma_table_info\(.*name\) AS p lateral inner\n\s+VirtualScan sqlite_master/,
    );
    expect(
      conn.execute('SELECT p.name FROM pragma_table_info(m.name) p, sqlite_master m').fetchAll(),
    ).toEqual([['a']]);
    conn.close();
  });
});

describe('PRAGMA table_list', () => {
  const TABLES = [
    'CREATE TABLE a (id INTEGER PRIMARY KEY AUTOINCREMENT, x TEXT, g INTEGER GENERATED ALWAYS AS (id * 2))',
    'CREATE TABLE w (k TEXT PRIMARY KEY, v INTEGER) WITHOUT ROWID',
    'CREATE TABLE st (x INTEGER, y TEXT) STRICT',
    'CREATE VIEW vv AS SELECT 1 AS one, 2',
    'CREATE TABLE n (q INTEGER)',
  ];

  // SQLite lists its objects in hash order: compared as sets (ORDER BY), and every row's fields.
  test.each([
    'SELECT * FROM pragma_table_list ORDER BY schema, name',
    "SELECT * FROM pragma_table_list WHERE name = 'a'",
    "SELECT * FROM pragma_table_list('ST')",
    "SELECT name, ncol FROM pragma_table_list WHERE type = 'view'",
    'SELECT count(*) FROM pragma_table_list',
    'PRAGMA table_list(vv)',
    "PRAGMA table_list('nosuch')",
    'PRAGMA main.table_list(A)',
    'PRAGMA table_list(sqlite_master)',
    'PRAGMA table_list(sqlite_schema)',
    'PRAGMA table_list(sqlite_temp_master)',
    'PRAGMA table_list(sqlite_sequence)',
    "SELECT l.name, count(p.cid) FROM pragma_table_list l LEFT JOIN pragma_table_xinfo(l.name) p WHERE l.schema = 'main' GROUP BY l.name ORDER BY 1",
    'SELECT m.name, l.ncol, l.wr, l.strict FROM sqlite_master m JOIN pragma_table_list(m.name) l ORDER BY 1',
  ])('%s', (sql) => {
    const o = new Oracle();
    o.exec(...TABLES);
    const got = o.query(sql);
    expect(got.mv).toEqual(got.sqlite);
    o.close();
  });

  test('without an argument: every table and view, then the schema tables', () => {
    const conn = connect(':memory:');
    for (const sql of TABLES) conn.execute(sql);
    expect(conn.execute('PRAGMA table_list').fetchAll()).toEqual([
      ['main', 'a', 'table', 3, 0, 0],
      ['main', 'w', 'table', 2, 1, 0],
      ['main', 'st', 'table', 2, 0, 1],
      ['main', 'n', 'table', 1, 0, 0],
      ['main', 'vv', 'view', 2, 0, 0],
      ['main', 'sqlite_schema', 'table', 5, 0, 0],
      ['main', 'sqlite_sequence', 'table', 2, 0, 0],
      ['temp', 'sqlite_temp_schema', 'table', 5, 0, 0],
    ]);
    // main.table_list leaves out temp's schema table; temp.table_list is not supported.
    expect(conn.execute('PRAGMA main.table_list').fetchAll()).toHaveLength(7);
    expect(() => conn.execute('PRAGMA temp.table_list')).toThrow(
      expect.objectContaining({ code: 'NOT_SUPPORTED' }),
    );
    conn.close();
  });
});

describe('table_info of the schema tables', () => {
  test.each([
    'PRAGMA table_info(sqlite_master)',
    'PRAGMA table_xinfo(SQLITE_SCHEMA)',
    "SELECT * FROM pragma_table_info('sqlite_temp_master')",
    'PRAGMA table_info(sqlite_sequence)',
    'PRAGMA table_info(sqlite_stat1)',
  ])('%s, before and after the AUTOINCREMENT row and ANALYZE', (sql) => {
    const o = new Oracle();
    o.exec('CREATE TABLE a (id INTEGER PRIMARY KEY AUTOINCREMENT, x TEXT)');
    const before = o.query(sql);
    expect(before.mv).toEqual(before.sqlite);
    o.exec("INSERT INTO a (x) VALUES ('q')", 'ANALYZE');
    const after = o.query(sql);
    expect(after.mv).toEqual(after.sqlite);
    o.close();
  });
});

// Random schemas (tables with rowid, INTEGER, AUTOINCREMENT, text and composite keys, defaults,
// NOT NULL, UNIQUE, COLLATE NOCASE, CHECK, generated columns, WITHOUT ROWID and STRICT options,
// foreign keys to earlier tables, plain / unique / multi-column / partial / DESC / expression
// indexes, and views over them), introspected the ways query builders do: every answer as SQLite's.
describe('introspection of random schemas', () => {
  const TYPES = ['INTEGER', 'TEXT', 'REAL', 'BLOB', 'VARCHAR(10)'];
  const table = fc.record({
    cols: fc.array(
      fc.record({
        type: fc.constantFrom(...TYPES),
        notNull: fc.boolean(),
        dflt: fc.boolean(),
        unique: fc.boolean(),
        nocase: fc.boolean(),
        check: fc.boolean(),
      }),
      { minLength: 1, maxLength: 4 },
    ),
    pk: fc.constantFrom('rowid', 'int', 'text', 'auto', 'composite'),
    strict: fc.boolean(),
    generated: fc.boolean(),
    fk: fc.boolean(),
    indexes: fc.array(
      fc.record({
        cols: fc.array(fc.nat(3), { minLength: 1, maxLength: 2 }),
        unique: fc.boolean(),
        partial: fc.boolean(),
        desc: fc.boolean(),
        expr: fc.boolean(),
      }),
      { maxLength: 2 },
    ),
    view: fc.boolean(),
  });

  type Table = typeof table extends fc.Arbitrary<infer T> ? T : never;
  /** A default of the column's own type (ModelVault columns are strict: another is refused). */
  const DEFAULTS: Record<string, string> = { INTEGER: '0', TEXT: "'x'", 'VARCHAR(10)': "'y'", REAL: '1.5' };

  function ddl(tables: Table[]): string[] {
    const out: string[] = [];
    tables.forEach((t, n) => {
      const name = `t${n}`;
      const cols: string[] = [];
      const nocase = new Set<number>();
      if (t.pk === 'int') cols.push('id INTEGER PRIMARY KEY');
      if (t.pk === 'auto') cols.push('id INTEGER PRIMARY KEY AUTOINCREMENT');
      if (t.pk === 'text' || t.pk === 'composite') cols.push('id TEXT NOT NULL');
      t.cols.forEach((c, i) => {
        const type = t.strict ? (c.type === 'VARCHAR(10)' ? 'TEXT' : c.type) : c.type;
        const dflt = c.dflt && DEFAULTS[type] !== undefined ? ` DEFAULT ${DEFAULTS[type]}` : '';
        const text = type === 'TEXT' || type === 'VARCHAR(10)';
        // COLLATE NOCASE on a UNIQUE or key column is refused (NotSupportedError): only on the others.
        const key = i === 0 && t.pk === 'composite';
        const collate = text && c.nocase && !c.unique && !key ? ' COLLATE NOCASE' : '';
        if (collate) nocase.add(i);
        const check = c.check && type === 'INTEGER' ? ` CHECK (c${i} >= 0)` : '';
        cols.push(
          `c${i} ${type}${c.notNull ? ' NOT NULL' : ''}${dflt}${c.unique ? ' UNIQUE' : ''}${collate}${check}`,
        );
      });
      if (t.generated) cols.push('g INTEGER GENERATED ALWAYS AS (length(c0)) VIRTUAL');
      const parent = n > 0 ? tables[n - 1].pk : 'rowid';
      if (t.fk && (parent === 'int' || parent === 'auto' || parent === 'text'))
        cols.push(
          `ref ${parent === 'text' ? 'TEXT' : 'INTEGER'} REFERENCES t${n - 1} (id) ON DELETE CASCADE`,
        );
      // Table constraints after every column, as SQLite's grammar has them.
      if (t.pk === 'text') cols.push('PRIMARY KEY (id)');
      if (t.pk === 'composite') cols.push('PRIMARY KEY (id, c0)');
      const options = [
        (t.pk === 'text' || t.pk === 'composite') && !t.strict ? 'WITHOUT ROWID' : '',
        t.strict ? 'STRICT' : '',
      ].filter(Boolean);
      out.push(`CREATE TABLE ${name} (${cols.join(', ')})${options.length ? ` ${options.join(', ')}` : ''}`);
      t.indexes.forEach((ix, k) => {
        const at = [...new Set(ix.cols.map((c) => Math.min(c, t.cols.length - 1)))];
        // A UNIQUE index over a NOCASE column is refused (the index compares BINARY): not generated.
        const unique = ix.unique && at.every((c) => !nocase.has(c));
        const on = at
          .map((c) => `c${c}`)
          .map((c, j) => (ix.expr && j === 0 ? `(${c} + 1)` : ix.desc ? `${c} DESC` : c));
        out.push(
          `CREATE ${unique ? 'UNIQUE ' : ''}INDEX ${name}_i${k} ON ${name} (${on.join(', ')})${ix.partial ? ` WHERE ${on[0]} IS NOT NULL` : ''}`,
        );
      });
      if (t.view) out.push(`CREATE VIEW ${name}_v AS SELECT c0 AS first, ${t.cols.length} AS n FROM ${name}`);
    });
    return out;
  }

  const QUERIES = [
    `SELECT m.name, p.cid, p.name, p.type, p."notnull", p.dflt_value, p.pk FROM sqlite_master AS m JOIN pragma_table_info(m.name) AS p WHERE m.type IN ('table', 'view') ORDER BY m.name, p.cid`,
    `SELECT m.name, p.name, p.hidden FROM sqlite_master AS m JOIN pragma_table_xinfo(m.name) AS p WHERE m.type = 'table' ORDER BY m.name, p.cid`,
    `SELECT m.tbl_name, il.name, il."unique", il.origin, il.partial, ii.seqno, ii.name FROM sqlite_master AS m, pragma_index_list(m.name) AS il, pragma_index_info(il.name) AS ii WHERE m.type = 'table' ORDER BY 1, 2, ii.seqno`,
    `SELECT m.name, f.id, f.seq, f."table", f."from", f."to", f.on_delete FROM sqlite_master m, pragma_foreign_key_list(m.name) f ORDER BY 1, 2, 3`,
    `SELECT m.name, x.seqno, x.cid, x.name, x."desc", x.coll, x."key" FROM sqlite_master m, pragma_index_xinfo(m.name) x WHERE m.type = 'index' ORDER BY 1, 2`,
    "SELECT type, name, tbl_name FROM sqlite_master WHERE name NOT LIKE 'sqlite_autoindex%' ORDER BY name",
    'SELECT schema, name, type, ncol, wr, strict FROM pragma_table_list ORDER BY schema, name',
  ];

  test('every introspection query answers as SQLite', () => {
    fc.assert(
      fc.property(fc.array(table, { minLength: 1, maxLength: 3 }), (tables) => {
        const o = new Oracle();
        try {
          const statements = ddl(tables);
          for (const sql of statements) {
            const made = { sql, mv: o.runMv(sql).ok, sqlite: o.runSqlite(sql).ok };
            expect(made).toEqual({ sql, mv: made.sqlite, sqlite: made.sqlite });
          }
          for (const sql of QUERIES) {
            const got = o.query(sql);
            expect({ statements, sql, outcome: got.mv }).toEqual({ statements, sql, outcome: got.sqlite });
          }
        } finally {
          o.close();
        }
      }),
      { numRuns: 200, seed: 20261602 },
    );
  });
});
