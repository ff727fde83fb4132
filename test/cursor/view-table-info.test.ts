/**
 * `PRAGMA table_info(view)` / `table_xinfo(view)` (and `pragma_table_info('view')`) list a view's
 * columns as SQLite does: names as `SELECT *` gives them, declared types by SQLite's rules for a
 * subquery's columns (a column read straight from a table keeps its declared text; otherwise the
 * type is named from the expression's affinity, and compound arms that disagree make it BLOB).
 * Every answer is compared with better-sqlite3.
 */
import BetterSqlite3 from 'better-sqlite3';
import fc from 'fast-check';
import { connect } from '../../src/index';
import type { Connection } from '../../src/index';

const TABLES = [
  'CREATE TABLE a (id INTEGER PRIMARY KEY, x INTEGER, s VARCHAR(20), r REAL, f BOOLEAN)',
  'CREATE TABLE b (k TEXT, y NUMERIC, z BLOB)',
];

function pair(): { mv: Connection; sq: BetterSqlite3.Database; both: (sql: string) => void } {
  const mv = connect(':memory:');
  const sq = new BetterSqlite3(':memory:');
  const both = (sql: string): void => {
    mv.cursor().execute(sql);
    sq.exec(sql);
  };
  for (const t of TABLES) both(t);
  return { mv, sq, both };
}

function expectSameInfo(mv: Connection, sq: BetterSqlite3.Database, view: string): void {
  for (const sql of [
    `PRAGMA table_info(${view})`,
    `PRAGMA table_xinfo(${view})`,
    `SELECT * FROM pragma_table_info('${view}')`,
    `SELECT name, type FROM pragma_table_xinfo('${view}') ORDER BY cid DESC`,
  ]) {
    const want = sq.prepare(sql).raw(true).all();
    expect({ sql, rows: mv.cursor().execute(sql).fetchAll() }).toEqual({ sql, rows: want });
  }
}

const VIEWS = [
  `CREATE VIEW v1 AS SELECT CAST(x AS TEXT) c1, 5 c2, 'q' c3, (SELECT k FROM b) c4, max(s) c5, count(*) c6,
     s, a.r, x + 0 c9, s || '' c10, upper(s) c11, coalesce(s, '') c12, +x c13, x COLLATE NOCASE c14,
     CAST(s AS INT) c15, CAST(s AS NUMERIC) c16, CAST(x AS REAL) c17, CAST(x AS BLOB) c18, f, x > 1 c20 FROM a`,
  'CREATE VIEW v2 AS SELECT s FROM a UNION SELECT y FROM b',
  'CREATE VIEW v3 (p, q) AS SELECT * FROM (SELECT id, s FROM a) t',
  'CREATE VIEW v4 AS SELECT * FROM a JOIN b ON 1',
  'CREATE VIEW v5 AS SELECT y FROM b UNION SELECT s FROM a',
  "CREATE VIEW v6 AS SELECT x, k, CAST(x AS INT) ci, s FROM a, b UNION ALL SELECT 1, 'a', y, z FROM b",
  'CREATE VIEW v7 AS SELECT * FROM v1 WHERE c2 > 0 ORDER BY 1 LIMIT 3',
  "CREATE VIEW v8 AS SELECT id, CASE WHEN x THEN s ELSE 'n' END c FROM a UNION SELECT k, k || '' FROM b",
  'CREATE VIEW v9 AS SELECT r, s FROM a EXCEPT SELECT NULL IS NULL, z FROM b',
  'CREATE VIEW v10 AS SELECT k FROM b INTERSECT SELECT CAST(id AS TEXT) FROM a',
  'CREATE VIEW v11 AS SELECT x, count(*) n FROM a GROUP BY x HAVING n > 0',
  'CREATE VIEW v12 AS SELECT row_number() OVER () rn, x FROM a',
  'CREATE VIEW v13 AS SELECT t.x AS renamed, u.k FROM a t LEFT JOIN b u ON u.k = t.s',
  'CREATE VIEW v14 AS WITH w AS (SELECT id, s FROM a) SELECT * FROM w',
];

test('each kind of view column has SQLite’s name and declared type', () => {
  const { mv, sq, both } = pair();
  try {
    for (const v of VIEWS) both(v);
    for (let i = 1; i <= VIEWS.length; i++) expectSameInfo(mv, sq, `v${i}`);
  } finally {
    mv.close();
    sq.close();
  }
});

test('a view dropped and created again is listed afresh; a temporary view is listed too', () => {
  const { mv, sq, both } = pair();
  try {
    const cur = mv.cursor();
    both('CREATE VIEW v AS SELECT id, s FROM a');
    expect(
      cur
        .execute('PRAGMA table_info(v)')
        .fetchAll()
        .map((r) => (r as unknown[])[1]),
    ).toEqual(['id', 's']);
    both('DROP VIEW v');
    expect(cur.execute('PRAGMA table_info(v)').fetchAll()).toEqual([]);
    both('CREATE VIEW v AS SELECT r, k, z FROM a, b');
    expectSameInfo(mv, sq, 'v');
    both('CREATE TEMP VIEW tv AS SELECT CAST(r AS INT) n FROM a');
    expectSameInfo(mv, sq, 'tv');
    // A name no table or view has lists nothing, as in SQLite.
    expectSameInfo(mv, sq, 'nosuch');
  } finally {
    mv.close();
    sq.close();
  }
});

/** A column expression over table a (alias t) or b (alias u), as generated views use them. */
const column = fc.constantFrom(
  't.id',
  't.x',
  't.s',
  't.r',
  't.f',
  'u.k',
  'u.y',
  'u.z',
  'CAST(t.x AS TEXT)',
  'CAST(u.k AS INT)',
  'CAST(t.s AS NUMERIC)',
  'CAST(t.r AS REAL)',
  'CAST(u.y AS BLOB)',
  't.x + 1',
  "t.s || 'z'",
  'abs(t.r)',
  '7',
  "'lit'",
  'NULL',
  "x'00'",
  't.s COLLATE NOCASE',
  '(SELECT k FROM b)',
  '(SELECT max(y) FROM b)',
  "CASE WHEN t.x THEN t.s ELSE 'n' END",
  'CASE WHEN t.x THEN 1 ELSE 2.5 END',
);

test('generated views (joins, compounds, derived tables, views of views) agree with SQLite', () => {
  fc.assert(
    fc.property(
      fc.array(fc.array(column, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 3 }),
      fc.constantFrom('UNION', 'UNION ALL', 'EXCEPT', 'INTERSECT'),
      fc.boolean(),
      (arms, op, nest) => {
        const { mv, sq, both } = pair();
        try {
          const width = arms[0].length;
          const selects = arms.map(
            (cols) =>
              `SELECT ${Array.from({ length: width }, (_, i) => `${cols[i % cols.length]} AS c${i}`).join(', ')} FROM a t LEFT JOIN b u ON u.k = t.s`,
          );
          both(`CREATE VIEW g AS ${selects.join(` ${op} `)}`);
          expectSameInfo(mv, sq, 'g');
          if (nest) {
            both('CREATE VIEW h AS SELECT * FROM (SELECT * FROM g) d WHERE 1');
            expectSameInfo(mv, sq, 'h');
          }
        } finally {
          mv.close();
          sq.close();
        }
      },
    ),
    { seed: 20261202, numRuns: 150 },
  );
});
